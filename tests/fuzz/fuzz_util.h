/* fuzz_util.h — helpers shared by the libFuzzer targets in tests/fuzz/ (built by `make fuzz`).
 * A target that needs a file (the CSV and dataset readers take paths) writes its input to a
 * per-process scratch file in $TMPDIR. */
#ifndef TIDE_FUZZ_UTIL_H
#define TIDE_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A path unique to this fuzzing process (name = tag), created once. */
static inline const char *fuzz_scratch(const char *tag)
{
    static char path[256];
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/tide_fuzz_%s_%ld", dir && *dir ? dir : "/tmp", tag, (long)getpid());
    }
    return path;
}

/* Writes n bytes (repeated `times` times) to path; aborts on I/O failure (not an input bug). */
static inline void fuzz_write(const char *path, const uint8_t *d, size_t n, size_t times)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (times > 1 && n > 0 && n < 65536) { /* repeat into a 64 KiB block: few large writes */
        static uint8_t block[65536];
        size_t per = sizeof block / n, full = times / per;
        for (size_t k = 0; k < per; k++) memcpy(block + k * n, d, n);
        for (size_t k = 0; k < full; k++)
            if (fwrite(block, 1, per * n, f) != per * n) abort();
        times -= full * per;
    }
    for (size_t k = 0; k < times; k++)
        if (n && fwrite(d, 1, n, f) != n) abort();
    if (fclose(f) != 0) abort();
}

/* Fails the run with a message: libFuzzer records the input as a crash. */
#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);                                 \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#endif
