/* fasttext_rows.c — which embedding rows a fastText model file stores, and how (see
 * fasttext_rows.h). Rows of hash buckets no training text hit keep their seeded initial
 * value bit for bit, so storing the others plus the seed is lossless. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext_rows.h"

#define BIT(bm, r) ((bm)[(r) >> 3] >> ((r) & 7) & 1)

int64_t tide_ft_rows_changed(const tide_fasttext *m, uint8_t *bitmap)
{
    int d = m->dim;
    float ib[256], *init = d <= 256 ? ib : malloc((size_t)d * sizeof *init);
    if (!init) return tide_errorf("fasttext save: out of memory");
    int64_t k = 0;
    for (int64_t r = 0; r < m->n_rows; r++) {
        if (m->lazy && (m->lazy[r >> 3] >> (r & 7) & 1)) continue; /* still its initial value */
        tide_fasttext_init_row(m->init_seed, r, d, init);
        if (memcmp(init, m->emb + (size_t)r * (size_t)d, (size_t)d * sizeof *init) != 0) {
            bitmap[r >> 3] |= (uint8_t)(1u << (r & 7));
            k++;
        }
    }
    if (init != ib) free(init);
    return k;
}

size_t tide_ft_rows_bytes(int codec, int64_t k, int dim)
{
    if (codec == TIDE_FT_ROWS_F32 || codec == TIDE_FT_ROWS_PLAIN) return (size_t)k * (size_t)dim * 4;
    if (codec == TIDE_FT_ROWS_INT8) return (size_t)k * 4 + (size_t)k * (size_t)dim;
    return 0;
}

/* Calls fn(row, slot, init, ctx) for the k rows marked in bitmap, init holding the row's
 * initial value, regenerated (encoding; decoding reads it from the model's row, dec_range). */
static void each_row(const tide_fasttext *m, const uint8_t *bitmap, float *init,
                     void (*fn)(int64_t, int64_t, const float *, void *), void *ctx)
{
    int64_t slot = 0;
    for (int64_t r = 0; r < m->n_rows; r++) {
        if (!BIT(bitmap, r)) continue;
        tide_fasttext_init_row(m->init_seed, r, m->dim, init);
        fn(r, slot++, init, ctx);
    }
}

typedef struct {
    tide_fasttext *m;
    int64_t k;
    unsigned char *buf;
} coder;

/* F32 XORs each value with its initial value; PLAIN (mask 0) keeps it. */
static void enc_planes(int64_t r, int64_t slot, const float *init, void *ctx, uint32_t mask)
{
    coder *c = ctx;
    int d = c->m->dim;
    size_t plane = (size_t)c->k * (size_t)d;
    const float *e = c->m->emb + (size_t)r * (size_t)d;
    for (int j = 0; j < d; j++) {
        uint32_t a, b;
        memcpy(&a, e + j, 4);
        memcpy(&b, init + j, 4);
        a ^= b & mask;
        size_t at = (size_t)slot * (size_t)d + (size_t)j;
        for (int byte = 0; byte < 4; byte++) c->buf[byte * plane + at] = (unsigned char)(a >> (8 * byte));
    }
}

static void enc_f32(int64_t r, int64_t slot, const float *init, void *ctx) { enc_planes(r, slot, init, ctx, ~0u); }
static void enc_plain(int64_t r, int64_t slot, const float *init, void *ctx) { enc_planes(r, slot, init, ctx, 0); }

static void dec_planes(int64_t r, int64_t slot, const float *init, void *ctx, uint32_t mask)
{
    coder *c = ctx;
    int d = c->m->dim;
    size_t plane = (size_t)c->k * (size_t)d;
    float *e = c->m->emb + (size_t)r * (size_t)d;
    for (int j = 0; j < d; j++) {
        size_t at = (size_t)slot * (size_t)d + (size_t)j;
        uint32_t a = 0, b;
        for (int byte = 0; byte < 4; byte++) a |= (uint32_t)c->buf[byte * plane + at] << (8 * byte);
        b = 0;
        if (mask) memcpy(&b, init + j, 4);
        a ^= b;
        memcpy(e + j, &a, 4);
    }
}

static void dec_f32(int64_t r, int64_t slot, const float *init, void *ctx) { dec_planes(r, slot, init, ctx, ~0u); }
static void dec_plain(int64_t r, int64_t slot, const float *init, void *ctx) { dec_planes(r, slot, init, ctx, 0); }

static void enc_int8(int64_t r, int64_t slot, const float *init, void *ctx)
{
    coder *c = ctx;
    int d = c->m->dim;
    const float *e = c->m->emb + (size_t)r * (size_t)d;
    float mx = 0;
    for (int j = 0; j < d; j++) mx = fmaxf(mx, fabsf(e[j] - init[j]));
    float scale = mx / 127.0f;
    memcpy(c->buf + (size_t)slot * 4, &scale, 4);
    signed char *q = (signed char *)c->buf + (size_t)c->k * 4 + (size_t)slot * (size_t)d;
    for (int j = 0; j < d; j++) {
        float v = scale > 0 ? rintf((e[j] - init[j]) / scale) : 0;
        q[j] = (signed char)fminf(127.0f, fmaxf(-127.0f, v));
    }
}

static void dec_int8(int64_t r, int64_t slot, const float *init, void *ctx)
{
    coder *c = ctx;
    int d = c->m->dim;
    float *e = c->m->emb + (size_t)r * (size_t)d, scale;
    memcpy(&scale, c->buf + (size_t)slot * 4, 4);
    const signed char *q = (const signed char *)c->buf + (size_t)c->k * 4 + (size_t)slot * (size_t)d;
    for (int j = 0; j < d; j++) e[j] = init[j] + scale * (float)q[j];
}

static void run(const tide_fasttext *m, const uint8_t *bitmap, int64_t k, unsigned char *buf,
                void (*fn)(int64_t, int64_t, const float *, void *))
{
    float ib[256], *init = m->dim <= 256 ? ib : malloc((size_t)m->dim * sizeof *init);
    /* dim <= 4096: the fallback is 16 KiB; without it there is nothing sensible to do */
    TIDE_ASSERT(init != NULL);
    coder c = {(tide_fasttext *)m, k, buf};
    each_row(m, bitmap, init, fn, &c);
    if (init != ib) free(init);
}

void tide_ft_rows_encode(const tide_fasttext *m, const uint8_t *bitmap, int64_t k, int codec,
                         unsigned char *out)
{
    run(m, bitmap, k, out, codec == TIDE_FT_ROWS_INT8 ? enc_int8 : codec == TIDE_FT_ROWS_PLAIN ? enc_plain : enc_f32);
}

typedef struct {
    tide_fasttext *m;
    const uint8_t *bitmap;
    int64_t k;
    const unsigned char *in;
    void (*fn)(int64_t, int64_t, const float *, void *);
} dec_job;

/* Rows [lo, hi): the first stored one's slot is the number of bits set before lo. */
static void dec_range(void *p, int64_t lo, int64_t hi)
{
    dec_job *j = p;
    int d = j->m->dim;
    float ib[256], *init = d <= 256 ? ib : malloc((size_t)d * sizeof *init);
    TIDE_ASSERT(init != NULL); /* dim <= 4096: 16 KiB */
    int64_t slot = 0;
    for (int64_t r = 0; r < lo; r++) slot += BIT(j->bitmap, r);
    coder c = {j->m, j->k, (unsigned char *)j->in};
    for (int64_t r = lo; r < hi; r++) {
        if (!BIT(j->bitmap, r)) continue;
        if (j->fn != dec_plain) memcpy(init, j->m->emb + (size_t)r * (size_t)d, (size_t)d * 4); /* the row holds it */
        j->fn(r, slot++, init, &c);
    }
    if (init != ib) free(init);
}

/* Rows decode independently, so the loader splits them over the batch threads. */
void tide_ft_rows_decode(tide_fasttext *m, const uint8_t *bitmap, int64_t k, int codec,
                         const unsigned char *in)
{
    dec_job j = {m, bitmap, k, in, codec == TIDE_FT_ROWS_INT8 ? dec_int8 : codec == TIDE_FT_ROWS_PLAIN ? dec_plain : dec_f32};
    tide_parallel_for(m->n_rows, 1 << 14, dec_range, &j);
}
