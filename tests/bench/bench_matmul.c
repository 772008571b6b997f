/* bench_matmul.c — the C half of the tensor benchmark (driven by bench_tensor.sh).
 *
 * Prints machine-readable lines:
 *   sgemm <n> <k> <m> <seconds per call> <GFLOP/s>     raw cblas_sgemm into a reused buffer
 *   bw <name> <bytes per call> <seconds> <GB/s>         memcpy and Tide add/exp kernels
 * Timing: wall clock, one warm-up call, then the best of 5 batches of >= 0.1 s each (the
 * best batch is the least disturbed by other processes on the machine). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef void (*bench_fn)(void *ctx);

static double time_best(bench_fn f, void *ctx)
{
    f(ctx);
    double best = 1e30;
    for (int b = 0; b < 5; b++) {
        int reps = 0;
        double t0 = now(), t;
        do {
            f(ctx);
            reps++;
        } while ((t = now() - t0) < 0.1);
        if (t / reps < best) best = t / reps;
    }
    return best;
}

typedef struct {
    int n, k, m;
    float *a, *b, *c;
    tide_tensor *ta, *tb, *to;
    void *src, *dst;
    size_t bytes;
} ctx_t;

static void run_sgemm(void *p)
{
    ctx_t *c = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->n, c->m, c->k, 1.0f, c->a, c->k,
                c->b, c->m, 0.0f, c->c, c->m);
}

static void run_memcpy(void *p)
{
    ctx_t *c = p;
    memcpy(c->dst, c->src, c->bytes);
}

static void run_add_out(void *p)
{
    ctx_t *c = p;
    tide_binary_out(c->to, TIDE_ADD, c->ta, c->tb);
}

static void run_exp_out(void *p)
{
    ctx_t *c = p;
    tide_unary_out(c->to, TIDE_EXP, c->ta);
}

static void run_add_alloc(void *p)
{
    ctx_t *c = p;
    tide_tensor_release(tide_binary(TIDE_ADD, c->ta, c->tb));
}

static float *rnd(size_t n)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (float)(i % 1013) / 1013.0f - 0.5f;
    return p;
}

int main(void)
{
    int sizes[4][3] = {{128, 128, 128}, {512, 512, 512}, {1024, 1024, 1024}, {4096, 64, 4096}};
    for (int s = 0; s < 4; s++) {
        ctx_t c = {0};
        c.n = sizes[s][0], c.k = sizes[s][1], c.m = sizes[s][2];
        c.a = rnd((size_t)c.n * c.k), c.b = rnd((size_t)c.k * c.m), c.c = rnd((size_t)c.n * c.m);
        double t = time_best(run_sgemm, &c);
        printf("sgemm %d %d %d %.6e %.2f\n", c.n, c.k, c.m, t, 2.0 * c.n * c.k * c.m / t * 1e-9);
        free(c.a), free(c.b), free(c.c);
    }
    int64_t n = 1 << 24; /* 64 MB per f32 array: well past the caches */
    ctx_t c = {0};
    c.bytes = (size_t)n * 4;
    c.src = rnd((size_t)n), c.dst = rnd((size_t)n);
    double t = time_best(run_memcpy, &c);
    printf("bw memcpy %zu %.6e %.2f\n", 2 * c.bytes, t, 2 * c.bytes / t * 1e-9);
    c.ta = tide_tensor_full(TIDE_F32, 1, &n, 0.5);
    c.tb = tide_tensor_full(TIDE_F32, 1, &n, 0.25);
    c.to = tide_tensor_new(TIDE_F32, 1, &n);
    t = time_best(run_add_out, &c);
    printf("bw add_out %zu %.6e %.2f\n", 3 * c.bytes, t, 3 * c.bytes / t * 1e-9);
    t = time_best(run_add_alloc, &c);
    printf("bw add_alloc %zu %.6e %.2f\n", 3 * c.bytes, t, 3 * c.bytes / t * 1e-9);
    t = time_best(run_exp_out, &c);
    printf("bw exp_out %zu %.6e %.2f\n", 2 * c.bytes, t, 2 * c.bytes / t * 1e-9);
    tide_tensor_release(c.ta), tide_tensor_release(c.tb), tide_tensor_release(c.to);
    free(c.src), free(c.dst);
    return 0;
}
