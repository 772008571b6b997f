/* linear_mix.h — one-pass scoring of an ensemble of linear (linear.h) and binary fastText
 * (fasttext.h) text models that tokenize alike (linear_mix.c). */
#ifndef TIDE_LINEAR_MIX_H
#define TIDE_LINEAR_MIX_H

#include "fasttext.h"
#include "linear.h"

typedef struct {
    const tide_linear *const *lin;
    int nl;
    const tide_fasttext *const *ft;
    int nf;
} tide_text_mix;

/* TIDE_OK when the members can be mixed: at least one, the same tokenizer flags, fastText
 * members binary. TIDE_ERR with a message otherwise. */
int tide_text_mix_check(const tide_text_mix *x);

/* z[i] = mean over the members of their clamped log-odds of class 1 for text i, on the batch
 * threads (text_batch.c). TIDE_ERR naming the failing text. */
int tide_text_mix_score(const tide_text_mix *x, const char *const *texts, const size_t *lens,
                        int64_t n, double *z);

#endif
