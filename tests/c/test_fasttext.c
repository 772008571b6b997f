/* test_fasttext.c — the fastText-style classifier: one SGD step equals -lr times the gradient
 * of the cross-entropy measured by central finite differences; a synthetic learnable task
 * reaches high accuracy; same seed -> identical model bytes, another seed -> different;
 * save/load round trip; corrupt and truncated files refused; explanations add up to the
 * centred logit; threaded batch prediction equals the single-text loop; bad input rejected
 * with a message. File format 2: initial rows regenerate from
 * the seed, only changed rows are stored (size bound), lossless round trip of every float,
 * int8 within half a step, every truncation and every flipped byte refused naming the file,
 * format-1 files written by hand still load, unknown format words refused. */
#include <zlib.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomic_file.h"
#include "fasttext.h"
#include "fasttext_test_util.h"
#include "rng.h"

static double xent(const tide_fasttext *m, const int32_t *ids, int64_t n, int y)
{
    float p[8];
    tide_fasttext_forward(m, ids, n, p);
    return -log((double)p[y]);
}

static void copy_params(tide_fasttext *dst, const tide_fasttext *src)
{
    memcpy(dst->emb, src->emb, (size_t)src->n_rows * (size_t)src->dim * sizeof(float));
    memcpy(dst->w, src->w, (size_t)src->n_classes * (size_t)src->dim * sizeof(float));
    memcpy(dst->b, src->b, (size_t)src->n_classes * sizeof(float));
}

static void sgd_step_matches_gradient(int flags)
{
    tide_ids_opts o = {flags, 1, 10};
    tide_fasttext *m = tide_fasttext_new(NULL, &o, 4, 3, 5);
    tide_fasttext *m0 = tide_fasttext_new(NULL, &o, 4, 3, 5);
    assert_non_null(m);
    /* non-zero output weights so the embedding gradient is not trivially zero */
    for (int i = 0; i < 12; i++) m->w[i] = (float)sin(1.0 + i);
    for (int i = 0; i < 3; i++) m->b[i] = 0.1f * (float)i;
    copy_params(m0, m);
    const int32_t ids[] = {1, 4, 4, 7};
    const int64_t off[] = {0, 4};
    const int32_t y = 2;
    double lr = 1e-3;
    /* with one example and one epoch the step uses lr exactly: theta' = theta - lr * grad */
    assert_true(tide_fasttext_train(m, ids, off, 1, &y, 1, lr, 9) >= 0);
    const double eps = 1e-3;
    float *params[] = {m0->emb + 4 * 4, m0->emb + 7 * 4, m0->w, m0->w + 8, m0->b};
    float *after[] = {m->emb + 4 * 4, m->emb + 7 * 4, m->w, m->w + 8, m->b};
    for (int k = 0; k < 5; k++) {
        for (int j = 0; j < (k == 4 ? 3 : 4); j++) {
            float save = params[k][j];
            params[k][j] = save + (float)eps;
            double fp = xent(m0, ids, 4, y);
            params[k][j] = save - (float)eps;
            double fm = xent(m0, ids, 4, y);
            params[k][j] = save;
            double g = (fp - fm) / (2 * eps);
            double step = (double)(save - after[k][j]) / lr;
            assert_true(fabs(step - g) < 2e-2 * fmax(1.0, fabs(g)));
        }
    }
    tide_fasttext_free(m);
    tide_fasttext_free(m0);
}

static void test_gradient_mean(void **st) { (void)st; sgd_step_matches_gradient(0); }
static void test_gradient_sqrt(void **st) { (void)st; sgd_step_matches_gradient(TIDE_FT_SQRTN); }

/* Synthetic reviews: words p0..p9 mean positive, n0..n9 negative, f0..f49 are filler. */
static char *synth(uint64_t i, int *label)
{
    static char buf[256];
    uint64_t h = tide_fnv1a64(&i, sizeof i, TIDE_FNV_OFFSET);
    *label = (int)(h & 1);
    int k = 0;
    for (int j = 0; j < 6; j++) {
        h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        int r = (int)((h >> 33) % 100);
        if (j == 0 || r < 25) k += sprintf(buf + k, "%c%d ", *label ? 'p' : 'n', (int)((h >> 20) % 10));
        else k += sprintf(buf + k, "f%d ", (int)((h >> 40) % 50));
    }
    return buf;
}

typedef struct {
    int32_t *ids;
    int64_t *off;
    int32_t *y;
    size_t n;
} batch;

static void make_batch(const tide_vocab *v, const tide_ids_opts *o, uint64_t start, size_t n,
                       batch *b)
{
    tide_units u = {0};
    size_t k = 0, cap = 0;
    b->ids = NULL;
    b->off = malloc((n + 1) * sizeof *b->off);
    b->y = malloc(n * sizeof *b->y);
    b->n = n;
    b->off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        int lab;
        char *s = synth(start + i, &lab);
        b->y[i] = lab;
        assert_true(tide_text_ids(v, s, strlen(s), o, &u, &b->ids, &k, &cap) >= 0);
        b->off[i + 1] = (int64_t)k;
    }
    tide_units_free(&u);
}

static void free_batch(batch *b) { free(b->ids); free(b->off); free(b->y); }

static tide_fasttext *train_synth(uint64_t seed, batch *tr, tide_vocab **vout)
{
    tide_vocab *v = tide_vocab_new();
    tide_units u = {0};
    for (uint64_t i = 0; i < 2000; i++) {
        int lab;
        char *s = synth(i, &lab);
        assert_int_equal(tide_vocab_add_text(v, s, strlen(s), 0, &u), TIDE_OK);
    }
    tide_units_free(&u);
    tide_ids_opts o = {TIDE_FT_SQRTN, 2, 1000};
    make_batch(v, &o, 0, 2000, tr);
    tide_fasttext *m = tide_fasttext_new(v, &o, 8, 2, seed);
    assert_non_null(m);
    assert_true(tide_fasttext_train(m, tr->ids, tr->off, (int64_t)tr->n, tr->y, 5, 0.2, seed) >= 0);
    *vout = v;
    return m;
}

static void test_learns_synthetic(void **st)
{
    (void)st;
    batch tr, te;
    tide_vocab *v;
    tide_fasttext *m = train_synth(1, &tr, &v);
    make_batch(v, &m->ids, 100000, 1000, &te);
    int correct = 0;
    for (size_t i = 0; i < te.n; i++) {
        float p[2];
        tide_fasttext_forward(m, te.ids + te.off[i], te.off[i + 1] - te.off[i], p);
        correct += (p[1] > 0.5f) == (te.y[i] == 1);
    }
    assert_true(correct >= 970); /* every text carries one label word: near-perfect */
    free_batch(&tr);
    free_batch(&te);
    tide_vocab_free(v);
    tide_fasttext_free(m);
}

static char *tmp_path(char *buf)
{
    strcpy(buf, "/tmp/tide_test_ftXXXXXX");
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
    return buf;
}

static void test_deterministic_and_io(void **st)
{
    (void)st;
    batch tr1, tr2, tr3;
    tide_vocab *v1, *v2, *v3;
    tide_fasttext *a = train_synth(7, &tr1, &v1), *b = train_synth(7, &tr2, &v2);
    tide_fasttext *c = train_synth(8, &tr3, &v3);
    char pa[64], pb[64], pc[64];
    assert_int_equal(tide_fasttext_save(a, tmp_path(pa)), TIDE_OK);
    assert_int_equal(tide_fasttext_save(b, tmp_path(pb)), TIDE_OK);
    assert_int_equal(tide_fasttext_save(c, tmp_path(pc)), TIDE_OK);
    size_t na, nb, nc;
    char *ba = tide_text_read_file(pa, &na), *bb = tide_text_read_file(pb, &nb);
    char *bc = tide_text_read_file(pc, &nc);
    assert_int_equal(na, nb);
    assert_memory_equal(ba, bb, na);            /* same seed: same bytes */
    assert_true(na != nc || memcmp(ba, bc, na) != 0); /* another seed: another model */
    /* round trip: identical predictions on raw text, same explanation */
    tide_fasttext *l = tide_fasttext_load(pa);
    assert_non_null(l);
    assert_int_equal(l->n_vocab, a->n_vocab);
    tide_units u = {0};
    const char *s = "p3 f1 f2 n4 p7";
    float p1[2], p2[2];
    assert_int_equal(tide_fasttext_predict_text(a, s, strlen(s), &u, p1), TIDE_OK);
    assert_int_equal(tide_fasttext_predict_text(l, s, strlen(s), &u, p2), TIDE_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    /* explanation: contributions + centred bias = centred logit = log(p1/p0) / 2 */
    float *contrib = NULL;
    assert_int_equal(tide_fasttext_explain(l, s, strlen(s), 1, &u, &contrib), 5);
    double sum = (l->b[1] - l->b[0]) / 2.0;
    for (int i = 0; i < 5; i++) sum += contrib[i];
    assert_true(fabs(sum - 0.5 * log((double)p2[1] / p2[0])) < 1e-4);
    assert_true(contrib[0] > 0 && contrib[3] < 0); /* p3 pushes up, n4 down */
    free(contrib);
    tide_units_free(&u);
    tide_fasttext_free(l);
    /* one flipped byte in the embeddings: refused */
    ba[na / 2] ^= 0x10;
    assert_int_equal(tide_write_file_atomic(pa, ba, na), TIDE_OK);
    assert_null(tide_fasttext_load(pa));
    assert_non_null(strstr(tide_error(), "checksum"));
    ba[na / 2] ^= 0x10;
    assert_int_equal(tide_write_file_atomic(pa, ba, na - 100), TIDE_OK);
    assert_null(tide_fasttext_load(pa));
    assert_int_equal(tide_write_file_atomic(pa, "TIDEFT", 6), TIDE_OK);
    assert_null(tide_fasttext_load(pa));
    assert_non_null(strstr(tide_error(), "not a tide fastText model"));
    free(ba); free(bb); free(bc);
    unlink(pa); unlink(pb); unlink(pc);
    free_batch(&tr1); free_batch(&tr2); free_batch(&tr3);
    tide_vocab_free(v1); tide_vocab_free(v2); tide_vocab_free(v3);
    tide_fasttext_free(a); tide_fasttext_free(b); tide_fasttext_free(c);
}

static void test_predict_batch_threads(void **st)
{
    (void)st;
    batch tr;
    tide_vocab *v;
    tide_fasttext *m = train_synth(3, &tr, &v);
    enum { N = 3000 };
    static char store[N][64];
    const char *texts[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        int lab;
        snprintf(store[i], sizeof store[i], "%s", synth(50000 + (uint64_t)i, &lab));
        texts[i] = store[i];
        lens[i] = strlen(store[i]);
    }
    float *one = malloc(N * 2 * sizeof *one), *many = malloc(N * 2 * sizeof *many);
    tide_units u = {0};
    for (int i = 0; i < N; i++)
        assert_int_equal(tide_fasttext_predict_text(m, texts[i], lens[i], &u, one + 2 * i), TIDE_OK);
    setenv("TIDE_THREADS", "3", 1);
    assert_int_equal(tide_fasttext_predict_batch(m, texts, lens, N, many), TIDE_OK);
    assert_memory_equal(one, many, N * 2 * sizeof *one); /* identical for any thread count */
    setenv("TIDE_THREADS", "1", 1);
    assert_int_equal(tide_fasttext_predict_batch(m, texts, lens, N, many), TIDE_OK);
    assert_memory_equal(one, many, N * 2 * sizeof *one);
    /* a strict-UTF-8 model reports the failing text from whichever thread met it */
    m->ids.flags |= TIDE_TEXT_STRICT;
    store[2500][1] = (char)0xFF;
    setenv("TIDE_THREADS", "2", 1);
    assert_int_equal(tide_fasttext_predict_batch(m, texts, lens, N, many), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "text 2501"));
    unsetenv("TIDE_THREADS");
    free(one); free(many);
    tide_units_free(&u);
    free_batch(&tr);
    tide_vocab_free(v);
    tide_fasttext_free(m);
}

static void test_bad_input(void **st)
{
    (void)st;
    tide_ids_opts o = {0, 1, 10};
    assert_null(tide_fasttext_new(NULL, &o, 0, 2, 1));
    assert_null(tide_fasttext_new(NULL, &o, 4, 1, 1));
    tide_fasttext *m = tide_fasttext_new(NULL, &o, 4, 2, 1);
    const int32_t ids[] = {1, 99};
    const int64_t off[] = {0, 2};
    const int32_t y[] = {0}, ybad[] = {2};
    assert_true(tide_fasttext_train(m, ids, off, 1, y, 1, 0.1, 1) < 0);
    assert_non_null(strstr(tide_error(), "id 99"));
    const int32_t ok_ids[] = {1, 2};
    assert_true(tide_fasttext_train(m, ok_ids, off, 1, ybad, 1, 0.1, 1) < 0);
    assert_non_null(strstr(tide_error(), "label 2"));
    assert_true(tide_fasttext_train(m, ok_ids, off, 1, y, 1, NAN, 1) < 0);
    /* an empty text scores softmax(b) = uniform for an untrained model */
    float p[2];
    tide_units u = {0};
    assert_int_equal(tide_fasttext_predict_text(m, "", 0, &u, p), TIDE_OK);
    assert_true(fabsf(p[0] - 0.5f) < 1e-6f);
    tide_units_free(&u);
    tide_fasttext_free(m);
}

/* init_row reproduces the sequential Philox stream tide_fasttext_new used to draw */
static void test_init_row_stream(void **st)
{
    (void)st;
    for (int dim = 1; dim <= 7; dim += 3) {
        tide_rng r;
        tide_rng_seed(&r, 77);
        float row[7];
        for (int64_t k = 0; k < 9; k++) {
            tide_fasttext_init_row(77, k, dim, row);
            for (int j = 0; j < dim; j++) {
                float want = (float)(tide_rng_uniform(&r) * 2.0 - 1.0) * (1.0f / (float)dim);
                assert_memory_equal(&row[j], &want, sizeof want);
            }
        }
    }
}

static void write_raw(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void fix_crc(unsigned char *b, size_t n)
{
    uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    memcpy(b + n - 4, &c, 4);
}

static int64_t file_i64(const char *b, size_t off)
{
    int64_t v;
    memcpy(&v, b + off, 8);
    return v;
}

/* A model with many buckets whose training touches three rows stores three rows. */
static void test_only_changed_rows_stored(void **st)
{
    (void)st;
    tide_ids_opts o = {0, 1, 1 << 16};
    tide_fasttext *m = tide_fasttext_new(NULL, &o, 16, 2, 11);
    assert_non_null(m);
    const int32_t ids[] = {3, 17, 42, 17};
    const int64_t off[] = {0, 2, 4};
    const int32_t y[] = {0, 1};
    assert_true(tide_fasttext_train(m, ids, off, 2, y, 3, 0.5, 2) >= 0);
    char path[64];
    tmp_path(path);
    assert_int_equal(tide_fasttext_save(m, path), TIDE_OK);
    size_t n;
    char *b = tide_text_read_file(path, &n);
    assert_int_equal(file_i64(b, 12 + 56), 3);    /* header: n_stored */
    /* format 1 stored 2^16 x 16 floats (4 MiB); now: header, an 8 KiB bitmap (deflated),
     * 3 rows, the output layer */
    assert_true(n < 1024);
    tide_fasttext *l = tide_fasttext_load(path);
    assert_non_null(l);
    assert_non_null(l->lazy); /* the unstored rows are expanded on demand */
    /* a lazy row reads as its initial value, then materialize writes exactly that */
    float rb[16], init[16];
    tide_fasttext_init_row(l->init_seed, 5, 16, init);
    assert_memory_equal(tide_fasttext_row(l, 5, rb), init, sizeof init);
    assert_ptr_equal(tide_fasttext_row(l, 3, rb), l->emb + 3 * 16); /* a stored row */
    tide_fasttext_materialize(l);
    assert_null(l->lazy);
    assert_memory_equal(l->emb, m->emb, (size_t)m->n_rows * 16 * sizeof(float));
    assert_memory_equal(l->w, m->w, 2 * 16 * sizeof(float));
    assert_memory_equal(l->b, m->b, 2 * sizeof(float));
    /* an untrained model stores no row */
    tide_fasttext *u = tide_fasttext_new(NULL, &o, 16, 2, 12);
    assert_int_equal(tide_fasttext_save(u, path), TIDE_OK);
    free(b);
    b = tide_text_read_file(path, &n);
    assert_int_equal(file_i64(b, 12 + 56), 0);
    tide_fasttext_free(l);
    l = tide_fasttext_load(path);
    tide_fasttext_materialize(l);
    assert_memory_equal(l->emb, u->emb, (size_t)u->n_rows * 16 * sizeof(float));
    free(b);
    unlink(path);
    tide_fasttext_free(l); tide_fasttext_free(u); tide_fasttext_free(m);
}

/* Lossless: every parameter bit survives; int8: untouched rows exact, others within half a
 * quantization step of their change (max |delta| / 127 / 2 per row). */
static void test_roundtrip_f32_and_int8(void **st)
{
    (void)st;
    batch tr;
    tide_vocab *v;
    tide_fasttext *m = train_synth(21, &tr, &v);
    char path[64];
    tmp_path(path);
    assert_int_equal(tide_fasttext_save_as(m, path, TIDE_FT_ROWS_F32), TIDE_OK);
    tide_fasttext *l = tide_fasttext_load(path);
    assert_non_null(l);
    tide_fasttext_materialize(l);
    size_t ne = (size_t)m->n_rows * (size_t)m->dim;
    assert_memory_equal(l->emb, m->emb, ne * sizeof(float));
    assert_memory_equal(l->w, m->w, (size_t)m->n_classes * (size_t)m->dim * sizeof(float));
    assert_memory_equal(l->b, m->b, (size_t)m->n_classes * sizeof(float));
    tide_fasttext_free(l);
    assert_int_equal(tide_fasttext_save_as(m, path, TIDE_FT_ROWS_INT8), TIDE_OK);
    l = tide_fasttext_load(path);
    assert_non_null(l);
    tide_fasttext_materialize(l);
    int d = m->dim, touched = 0;
    for (int64_t r = 0; r < m->n_rows; r++) {
        float init[8];
        tide_fasttext_init_row(21, r, d, init);
        const float *a = m->emb + r * d, *q = l->emb + r * d;
        float mx = 0;
        for (int j = 0; j < d; j++) mx = fmaxf(mx, fabsf(a[j] - init[j]));
        if (mx == 0) { assert_memory_equal(a, q, (size_t)d * sizeof *a); continue; }
        touched++;
        for (int j = 0; j < d; j++) assert_true(fabsf(a[j] - q[j]) <= mx / 254.0f * 1.001f + 1e-7f);
    }
    assert_true(touched > 50);
    assert_memory_equal(l->w, m->w, (size_t)m->n_classes * (size_t)d * sizeof(float));
    batch te;
    make_batch(v, &m->ids, 70000, 300, &te);
    for (size_t i = 0; i < te.n; i++) {
        float p1[2], p2[2];
        tide_fasttext_forward(m, te.ids + te.off[i], te.off[i + 1] - te.off[i], p1);
        tide_fasttext_forward(l, te.ids + te.off[i], te.off[i + 1] - te.off[i], p2);
        assert_true(fabsf(p1[1] - p2[1]) < 0.02f);
    }
    assert_int_equal(tide_fasttext_save_as(m, path, (tide_ft_rows)7), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "unknown row codec 7"));
    unlink(path);
    free_batch(&tr); free_batch(&te);
    tide_vocab_free(v);
    tide_fasttext_free(l); tide_fasttext_free(m);
}

static tide_fasttext *small_trained(void)
{
    const char *texts[] = {"good hotel", "bad room", "good food bad bed"};
    const int32_t y[] = {1, 0, 1};
    return ftt_train_small(texts, y, 3, 40, 3, 2, 4);
}

/* Every prefix of a model file and every single flipped byte is refused with the path. */
static void test_every_truncation_refused(void **st)
{
    (void)st;
    tide_fasttext *m = small_trained();
    char path[64], bad[64];
    tmp_path(path);
    tmp_path(bad);
    for (int codec = 0; codec < 2; codec++) {
        assert_int_equal(tide_fasttext_save_as(m, path, (tide_ft_rows)codec), TIDE_OK);
        size_t n;
        unsigned char *b = (unsigned char *)tide_text_read_file(path, &n);
        assert_true(n > 100);
        for (size_t len = 0; len < n; len++) {
            write_raw(bad, b, len);
            assert_null(tide_fasttext_load(bad));
            assert_non_null(strstr(tide_error(), bad));
        }
        for (size_t i = 0; i < n; i++) {
            b[i] ^= 0x01;
            write_raw(bad, b, n);
            assert_null(tide_fasttext_load(bad));
            assert_non_null(strstr(tide_error(), bad));
            b[i] ^= 0x01;
        }
        /* a consistent checksum over an inconsistent header or body is still refused */
        int64_t k = file_i64((char *)b, 12 + 56) + 1;
        memcpy(b + 12 + 56, &k, 8);
        fix_crc(b, n);
        write_raw(bad, b, n);
        assert_null(tide_fasttext_load(bad));
        assert_non_null(strstr(tide_error(), "do not match"));
        k -= 1;
        memcpy(b + 12 + 56, &k, 8);
        memset(b + 12 + 80, 0x5A, 8); /* the deflate stream's first bytes */
        fix_crc(b, n);
        write_raw(bad, b, n);
        assert_null(tide_fasttext_load(bad));
        assert_non_null(strstr(tide_error(), "inflate"));
        if (codec == 0) {
            /* a consistent header claiming 2^26 buckets over a tiny body: refused before
             * allocating (deflate expands at most 1032:1) */
            memcpy(b + 12 + 80, "\x78", 1); /* (body stays corrupt; the size check is first) */
            int64_t buckets = (int64_t)1 << 26, nv = file_i64((char *)b, 12 + 24);
            int64_t vbytes = file_i64((char *)b, 12 + 32), ks = file_i64((char *)b, 12 + 56);
            int64_t raw = vbytes + (nv + buckets + 7) / 8 + ks * 4 * 4 + (2 * 4 + 2) * 4;
            memcpy(b + 12 + 16, &buckets, 8);
            memcpy(b + 12 + 64, &raw, 8);
            fix_crc(b, n);
            write_raw(bad, b, n);
            assert_null(tide_fasttext_load(bad));
            assert_non_null(strstr(tide_error(), "cannot inflate"));
        }
        free(b);
    }
    unlink(path); unlink(bad);
    tide_fasttext_free(m);
}

/* A format-1 file written here by hand (the documented raw layout) still loads exactly;
 * an unknown format word asks to re-train; a byte-swapped one names the byte order. */
static void test_format1_and_unknown_format(void **st)
{
    (void)st;
    tide_fasttext *m = small_trained();
    size_t vn;
    char *vb = tide_vocab_serialize(m->vocab, &vn);
    size_t ne = (size_t)m->n_rows * 4, nw = 2 * 4;
    size_t n = 12 + 40 + vn + (ne + nw + 2) * 4 + 4;
    unsigned char *b = calloc(n, 1), *p = b;
    uint32_t word = 0x01020304;
    int32_t hi[4] = {m->dim, m->n_classes, m->ids.flags, m->ids.ngrams};
    int64_t hl[3] = {m->ids.buckets, m->n_vocab, (int64_t)vn};
    memcpy(p, "TIDEFT01", 8); p += 8;
    memcpy(p, &word, 4); p += 4;
    memcpy(p, hi, 16); p += 16;
    memcpy(p, hl, 24); p += 24;
    memcpy(p, vb, vn); p += vn;
    memcpy(p, m->emb, ne * 4); p += ne * 4;
    memcpy(p, m->w, nw * 4); p += nw * 4;
    memcpy(p, m->b, 8);
    fix_crc(b, n);
    char path[64];
    tmp_path(path);
    write_raw(path, b, n);
    tide_fasttext *l = tide_fasttext_load(path);
    assert_non_null(l);
    assert_memory_equal(l->emb, m->emb, ne * sizeof(float));
    assert_memory_equal(l->w, m->w, nw * sizeof(float));
    assert_memory_equal(l->b, m->b, 2 * sizeof(float));
    /* saved again as format 2 (seed unknown: every row stored) it is still exact */
    assert_int_equal(tide_fasttext_save(l, path), TIDE_OK);
    tide_fasttext *l2 = tide_fasttext_load(path);
    assert_memory_equal(l2->emb, m->emb, ne * sizeof(float));
    tide_fasttext_free(l2);
    word = 0xF7F70003; /* a future format */
    memcpy(b + 8, &word, 4);
    fix_crc(b, n);
    write_raw(path, b, n);
    assert_null(tide_fasttext_load(path));
    assert_non_null(strstr(tide_error(), "re-train"));
    assert_non_null(strstr(tide_error(), path));
    word = 0x0200F7F7; /* format 2's word read with the other byte order */
    memcpy(b + 8, &word, 4);
    write_raw(path, b, n);
    assert_null(tide_fasttext_load(path));
    assert_non_null(strstr(tide_error(), "byte order"));
    unlink(path);
    free(b); free(vb);
    tide_fasttext_free(l); tide_fasttext_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_mean),        cmocka_unit_test(test_gradient_sqrt),
        cmocka_unit_test(test_learns_synthetic),     cmocka_unit_test(test_deterministic_and_io),
        cmocka_unit_test(test_predict_batch_threads), cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_init_row_stream),      cmocka_unit_test(test_only_changed_rows_stored),
        cmocka_unit_test(test_roundtrip_f32_and_int8),
        cmocka_unit_test(test_every_truncation_refused),
        cmocka_unit_test(test_format1_and_unknown_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
