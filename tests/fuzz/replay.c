/* replay.c — runs a libFuzzer target's LLVMFuzzerTestOneInput on the files named on the command
 * line, without libFuzzer (any compiler): cc -Iengine tests/fuzz/replay.c tests/fuzz/fuzz_x.c
 * build/libtide.a ... Used to reproduce and minimise a crash with a plain debug build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) { perror(argv[i]); return 2; }
        static uint8_t buf[1 << 24];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        fprintf(stderr, "replay %s (%zu bytes)\n", argv[i], n);
        LLVMFuzzerTestOneInput(buf, n);
    }
    return 0;
}
