/* limit.c — allocation ceilings (see limit.h). The values are process-wide, set from the
 * environment once, then only by tide_limit_set (configuration time, not from worker
 * threads). */
#include "limit.h"

#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

static uint64_t values[TIDE_LIMIT_COUNT];
static int loaded;

static const char *const names[TIDE_LIMIT_COUNT] = {"max_tensor_bytes", "max_rows"};
static const char *const envs[TIDE_LIMIT_COUNT] = {"TIDE_MAX_TENSOR_BYTES", "TIDE_MAX_ROWS"};

int tide_limit_parse(const char *s, uint64_t *v)
{
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    if (!isdigit((unsigned char)*s)) return -1;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    int shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    default: break;
    }
    while (isspace((unsigned char)*end)) end++;
    if (*end || (shift && x > (UINT64_MAX >> shift))) return -1;
    *v = (uint64_t)x << shift;
    return 0;
}

static uint64_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    return pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
}

static void load(void)
{
    if (loaded) return;
    values[TIDE_LIMIT_TENSOR_BYTES] = physical_memory();
    values[TIDE_LIMIT_ROWS] = 2147483647u;
    for (int i = 0; i < TIDE_LIMIT_COUNT; i++) {
        const char *e = getenv(envs[i]);
        uint64_t v;
        /* a malformed value is reported once and ignored rather than silently misread */
        if (e && *e) {
            if (tide_limit_parse(e, &v) == 0) values[i] = v;
            else fprintf(stderr, "tide: ignoring %s=%s (expected an integer with an optional K/M/G/T suffix)\n", envs[i], e);
        }
    }
    loaded = 1;
}

uint64_t tide_limit_get(tide_limit which)
{
    TIDE_ASSERT(which < TIDE_LIMIT_COUNT);
    load();
    return values[which];
}

void tide_limit_set(tide_limit which, uint64_t v)
{
    TIDE_ASSERT(which < TIDE_LIMIT_COUNT);
    load();
    values[which] = v;
}

const char *tide_limit_name(tide_limit which) { return which < TIDE_LIMIT_COUNT ? names[which] : "?"; }

static int check(tide_limit which, uint64_t n, const char *what, const char *unit)
{
    uint64_t lim = tide_limit_get(which);
    if (lim == 0 || n <= lim) return TIDE_OK;
    return tide_errorf("%s: %llu %s exceed %s = %llu (set %s or tide.config.set{%s = ...})", what,
                       (unsigned long long)n, unit, names[which], (unsigned long long)lim, envs[which], names[which]);
}

int tide_limit_check_bytes(uint64_t nbytes, const char *what) { return check(TIDE_LIMIT_TENSOR_BYTES, nbytes, what, "bytes"); }
int tide_limit_check_rows(uint64_t rows, const char *what) { return check(TIDE_LIMIT_ROWS, rows, what, "rows"); }
