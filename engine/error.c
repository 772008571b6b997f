/* error.c — thread-local runtime error message (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <string.h>

static _Thread_local char last_error[1024];

int tide_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return TIDE_ERR;
}

const char *tide_error(void) { return last_error; }

void tide_error_prefix(const char *prefix)
{
    char tmp[sizeof last_error];
    memcpy(tmp, last_error, sizeof tmp);
    int n = snprintf(last_error, sizeof last_error, "%s: ", prefix);
    if (n > 0 && (size_t)n < sizeof last_error)
        memcpy(last_error + n, tmp, sizeof last_error - (size_t)n - 1);
    last_error[sizeof last_error - 1] = 0;
}
