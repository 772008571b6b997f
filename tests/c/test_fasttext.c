/* test_fasttext.c — the fastText-style classifier: one SGD step equals -lr times the gradient
 * of the cross-entropy measured by central finite differences; a synthetic learnable task
 * reaches high accuracy; same seed -> identical model bytes, another seed -> different;
 * save/load round trip; corrupt and truncated files refused; explanations add up to the
 * centred logit; threaded batch prediction equals the single-text loop; bad input rejected
 * with a message. */
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
    assert_int_equal(na, nc);
    assert_true(memcmp(ba, bc, na) != 0);       /* another seed: another model */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_mean),        cmocka_unit_test(test_gradient_sqrt),
        cmocka_unit_test(test_learns_synthetic),     cmocka_unit_test(test_deterministic_and_io),
        cmocka_unit_test(test_predict_batch_threads), cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
