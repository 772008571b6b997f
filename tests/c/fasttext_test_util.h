/* fasttext_test_util.h — a small trained fastText model for the fastText tests (file format,
 * in-memory bytes): every unit of the texts in the vocabulary, bigrams hashed into `buckets`,
 * dim 4, two classes, plain SGD at lr 0.3. Include after <cmocka.h>. */
#ifndef TIDE_TEST_FASTTEXT_UTIL_H
#define TIDE_TEST_FASTTEXT_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext.h"

static tide_fasttext *ftt_train_small(const char *const *texts, const int32_t *y, int n,
                                      int buckets, uint64_t seed, int epochs, uint64_t train_seed)
{
    enum { MAX_TEXTS = 16 };
    assert_true(n > 0 && n < MAX_TEXTS);
    tide_vocab *v = tide_vocab_new();
    tide_units u = {0};
    for (int i = 0; i < n; i++)
        assert_int_equal(tide_vocab_add_text(v, texts[i], strlen(texts[i]), 0, &u), TIDE_OK);
    tide_ids_opts o = {0, 2, buckets};
    tide_fasttext *m = tide_fasttext_new(v, &o, 4, 2, seed);
    assert_non_null(m);
    int32_t *ids = NULL;
    int64_t off[MAX_TEXTS + 1] = {0};
    size_t k = 0, cap = 0;
    for (int i = 0; i < n; i++) {
        assert_true(tide_text_ids(v, texts[i], strlen(texts[i]), &o, &u, &ids, &k, &cap) >= 0);
        off[i + 1] = (int64_t)k;
    }
    assert_true(tide_fasttext_train(m, ids, off, n, y, epochs, 0.3, train_seed) >= 0);
    free(ids);
    tide_units_free(&u);
    tide_vocab_free(v);
    return m;
}

#endif
