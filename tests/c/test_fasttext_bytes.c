/* test_fasttext_bytes.c — fastText models in memory: tide_fasttext_encode gives exactly the
 * bytes tide_fasttext_save_as writes (both row codecs), tide_fasttext_parse reads them back
 * like tide_fasttext_load, and every prefix and every flipped byte of the bytes is refused
 * with the given name, never a crash (each candidate sits in a buffer of exactly its size,
 * so the sanitizer run catches reads past the end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fasttext.h"
#include "fasttext_test_util.h"

static tide_fasttext *tiny_trained(void)
{
    const char *texts[] = {"great stay", "awful room", "great food awful bed", "很好吃"};
    const int32_t y[] = {1, 0, 1, 1};
    return ftt_train_small(texts, y, 4, 32, 5, 3, 6);
}

static void tmp_path(char *p, const char *tag)
{
    snprintf(p, 64, "/tmp/tide_ftbytes_%ld_%s.bin", (long)getpid(), tag);
}

/* Loaded models expand their unstored rows lazily: materialize before comparing tables. */
static void same_params(tide_fasttext *a, tide_fasttext *b)
{
    tide_fasttext_materialize(a);
    tide_fasttext_materialize(b);
    assert_int_equal(a->dim, b->dim);
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_vocab, b->n_vocab);
    assert_memory_equal(a->emb, b->emb, (size_t)a->n_rows * (size_t)a->dim * sizeof(float));
    assert_memory_equal(a->w, b->w, (size_t)a->n_classes * (size_t)a->dim * sizeof(float));
    assert_memory_equal(a->b, b->b, (size_t)a->n_classes * sizeof(float));
}

static void test_encode_equals_file(void **st)
{
    (void)st;
    tide_fasttext *m = tiny_trained();
    char path[64];
    tmp_path(path, "eq");
    for (int codec = 0; codec < 3; codec++) {
        assert_int_equal(tide_fasttext_save_as(m, path, (tide_ft_rows)codec), TIDE_OK);
        size_t nf, nm;
        char *file = tide_text_read_file(path, &nf);
        assert_non_null(file);
        unsigned char *mem = tide_fasttext_encode(m, (tide_ft_rows)codec, "mem", &nm);
        assert_non_null(mem);
        assert_int_equal(nm, nf);
        assert_memory_equal(mem, file, nf);
        tide_fasttext *a = tide_fasttext_parse(mem, nm, "mem"), *b = tide_fasttext_load(path);
        assert_non_null(a);
        assert_non_null(b);
        same_params(a, b);
        if (codec != TIDE_FT_ROWS_INT8) same_params(a, m); /* lossless */
        tide_fasttext_free(a); tide_fasttext_free(b);
        free(mem); free(file);
    }
    size_t n = 7;
    assert_null(tide_fasttext_encode(m, (tide_ft_rows)9, "blob", &n));
    assert_int_equal(n, 0);
    assert_non_null(strstr(tide_error(), "blob: unknown row codec 9"));
    assert_null(tide_fasttext_parse(NULL, 0, NULL));
    assert_non_null(strstr(tide_error(), "(memory)"));
    unlink(path);
    tide_fasttext_free(m);
}

static void test_parse_every_truncation_and_flip(void **st)
{
    (void)st;
    tide_fasttext *m = tiny_trained();
    for (int codec = 0; codec < 3; codec++) {
        size_t n;
        unsigned char *mem = tide_fasttext_encode(m, (tide_ft_rows)codec, NULL, &n);
        assert_non_null(mem);
        assert_true(n > 100);
        for (size_t len = 0; len < n; len++) {
            unsigned char *cut = malloc(len ? len : 1);
            memcpy(cut, mem, len);
            assert_null(tide_fasttext_parse(cut, len, "ens member 2"));
            assert_non_null(strstr(tide_error(), "ens member 2"));
            free(cut);
        }
        unsigned char *mod = malloc(n);
        for (size_t i = 0; i < n; i++) {
            memcpy(mod, mem, n);
            mod[i] ^= 0x01;
            assert_null(tide_fasttext_parse(mod, n, "ens member 2"));
            assert_non_null(strstr(tide_error(), "ens member 2"));
        }
        unsigned char *longer = malloc(n + 1);
        memcpy(longer, mem, n);
        longer[n] = 0;
        assert_null(tide_fasttext_parse(longer, n + 1, "ens member 2"));
        free(longer); free(mod); free(mem);
    }
    tide_fasttext_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_equals_file),
        cmocka_unit_test(test_parse_every_truncation_and_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
