/* text_sgns.h — skip-gram with negative sampling (Mikolov et al. 2013, "Distributed
 * Representations of Words and Phrases and their Compositionality") over id sequences, for
 * unsupervised pretraining of token embeddings (e.g. the TextCNN's unit embeddings) on the
 * training texts themselves. */
#ifndef TIDE_TEXT_SGNS_H
#define TIDE_TEXT_SGNS_H

#include <stdint.h>

typedef struct {
    int dim;      /* embedding size (>= 1) */
    int window;   /* max context distance; each centre draws its window from 1..window */
    int neg;      /* negative samples per (centre, context) pair, from unigram^0.75 */
    int epochs;   /* passes over the data (>= 1) */
    float lr;     /* initial SGD step, decayed linearly to lr * 1e-4 over the run */
    float sample; /* frequent-token subsampling threshold t (0 = off): keep with
                     probability min(1, sqrt(t / f) + t / f), f the token's frequency */
    uint64_t seed;
} tide_sgns_opts;

/* Sequences are ids[off[i] .. off[i+1]) for i < n; ids outside [0, V) (e.g. an
 * out-of-vocabulary id) are dropped before windows are formed. Writes the input (centre)
 * vectors into emb [V * dim] (row-major); rows of ids never seen keep their random init
 * (uniform in +-0.5/dim, as word2vec). Single-threaded and deterministic for a seed.
 * Returns TIDE_OK, or TIDE_ERR with the message set (bad options, out of memory). */
int tide_sgns_train(const int32_t *ids, const int64_t *off, int64_t n, int32_t V,
                    const tide_sgns_opts *o, float *emb);

#endif
