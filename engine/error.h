/* error.h — the engine's two kinds of errors.
 *
 * Programmer errors (a broken invariant inside the engine) are TIDE_ASSERT: they abort with
 * file and line. Runtime errors (bad shapes, bad files, bad values from a caller) are reported
 * by the failing function's return value (NULL or a negative status) plus a message kept in
 * a thread-local buffer, read with tide_error(). Bindings copy that message into a Lua error
 * after releasing whatever they own, so no longjmp ever crosses engine code. */
#ifndef TIDE_ERROR_H
#define TIDE_ERROR_H

#include <stdio.h>
#include <stdlib.h>

enum { TIDE_OK = 0, TIDE_ERR = -1 };

/* Formats the message for the current thread and returns TIDE_ERR, so callers can write
 * `return tide_errorf("matmul: shapes %s and %s do not align", ...)`. */
int tide_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last message set on this thread ("" if none). Valid until the next tide_errorf. */
const char *tide_error(void);

/* Prefixes the current message, e.g. with the op that called a failing helper. */
void tide_error_prefix(const char *prefix);

/* Checksum comparison of the file readers. Fuzz builds (make fuzz defines libFuzzer's
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) accept any checksum, so mutated inputs reach the
 * parsing code behind it instead of all stopping at the first CRC. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define TIDE_CRC_BAD(got, want) ((void)(got), (void)(want), 0)
#else
#define TIDE_CRC_BAD(got, want) ((got) != (want))
#endif

#define TIDE_ASSERT(cond)                                                                 \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: internal error: assertion '%s' failed\n", __FILE__,    \
                    __LINE__, #cond);                                                      \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif
