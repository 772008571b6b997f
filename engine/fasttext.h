/* fasttext.h — a fastText-style linear text classifier (Joulin, Grave, Bojanowski, Mikolov,
 * "Bag of Tricks for Efficient Text Classification", EACL 2017 / arXiv 2016).
 *
 *   h = mean of emb[id] over the ids of a text (units + hashed n-grams, see text.h), or the
 *       sum / sqrt(n) with TIDE_FT_SQRTN
 *   z = W h + b,  p = softmax(z)
 *
 * trained by plain SGD on the cross-entropy with a learning rate decaying linearly to 0, one
 * example at a time in an order shuffled per epoch by the Philox generator: single-threaded
 * and deterministic (same data + seed -> the same bytes), no Hogwild.
 *
 * A model owns its vocabulary and tokenizer options, so it can score raw UTF-8 text.
 * Files (fasttext_io.c): "TIDEFT01" magic, a format word, header, deflated body, CRC-32
 * trailer; written atomically; a truncated or corrupt file is refused with a message naming
 * it. Format 2 stores only the embedding rows that differ from their seeded initialisation
 * (fasttext_rows.c), so a file grows with what was learned, not with the bucket count. */
#ifndef TIDE_FASTTEXT_H
#define TIDE_FASTTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

/* Pooling flag stored with the tokenizer flags (text functions ignore it): h = sum / sqrt(n)
 * instead of the mean. Measured on online_shopping_10_cats, test rows of the hashed 20 % row
 * split (tide.sentiment.io.split, NOT stratified; ~12.5k rows): mean 92.5 %, sqrt 92.9 %
 * accuracy, each +-0.45 pt (binomial 95 %); the paired difference was not tested, so the
 * choice rests on a 0.4-point gap of that order — long reviews are not averaged down to
 * their common n-grams. */
#define TIDE_FT_SQRTN 256

typedef struct {
    int dim, n_classes;
    tide_ids_opts ids;  /* tokenizer flags, n-gram order, buckets */
    int64_t n_vocab;    /* rows [0, n_vocab) are vocabulary units, then hash buckets */
    int64_t n_rows;     /* n_vocab + buckets */
    tide_vocab *vocab;  /* owned */
    float *emb;         /* [n_rows, dim] input embeddings */
    float *w;           /* [n_classes, dim] output weights */
    float *b;           /* [n_classes] output bias */
    uint64_t init_seed; /* seed of the initial embeddings (tide_fasttext_init_row) */
    uint8_t *lazy;      /* NULL, or a bitmap of rows still at their initial value and not yet
                         * written to emb (a loaded model expands them on demand) */
} tide_fasttext;

/* Row id of the embeddings: a pointer into emb, or, for a lazy row, buf (dim floats) filled
 * with its initial value. Read-only: safe from several threads. */
const float *tide_fasttext_row(const tide_fasttext *m, int64_t id, float *buf);

/* Writes every lazy row into emb (training and whole-table uses call it first). */
void tide_fasttext_materialize(tide_fasttext *m);

/* The initial value of embedding row `row` for a model created with `seed`: uniform in
 * (-1/dim, 1/dim), element j drawn from Philox counter 2 (row dim + j), so any row can be
 * regenerated on its own (the file format relies on it). */
void tide_fasttext_init_row(uint64_t seed, int64_t row, int dim, float *out);

/* A new model over a copy of vocab (may be NULL: every unit hashed). Embeddings start
 * uniform in (-1/dim, 1/dim) from seed, the output layer at zero (as fastText does). */
tide_fasttext *tide_fasttext_new(const tide_vocab *vocab, const tide_ids_opts *ids, int dim,
                                 int n_classes, uint64_t seed);
void tide_fasttext_free(tide_fasttext *m);

/* SGD over n examples: example i has ids[offsets[i] .. offsets[i+1]) (0-based rows) and
 * class labels[i] in [0, n_classes). Empty examples are skipped. Returns the mean training
 * loss of the last epoch, or a negative value with tide_error() set on bad input. */
double tide_fasttext_train(tide_fasttext *m, const int32_t *ids, const int64_t *offsets,
                           int64_t n, const int32_t *labels, int epochs, double lr,
                           uint64_t seed);

/* Class probabilities (n_classes floats) for one example. An empty example gets softmax(b). */
void tide_fasttext_forward(const tide_fasttext *m, const int32_t *ids, int64_t n, float *prob);

/* Probabilities for a raw text (tokenised with the model's options). TIDE_ERR on failure. */
int tide_fasttext_predict_text(const tide_fasttext *m, const char *s, size_t len,
                               tide_units *scratch, float *prob);

/* Probabilities for n raw texts into out [n, n_classes], split over threads (fasttext_batch.c;
 * identical results for any thread count). TIDE_ERR naming the failing text. */
int tide_fasttext_predict_batch(const tide_fasttext *m, const char *const *texts,
                                const size_t *lens, int64_t n, float *out);

/* Per-unit contributions to z_c - mean_k z_k for the text's units: each id contributes
 * (W_c - mean_k W_k) . emb[id] / n_ids (/ sqrt(n_ids) with TIDE_FT_SQRTN), shared equally among the units its n-gram covers.
 * They sum (with the bias term) to that centred logit. *contrib is malloc'd with one float
 * per unit of scratch (caller frees). Returns the number of units or TIDE_ERR. */
int64_t tide_fasttext_explain(const tide_fasttext *m, const char *s, size_t len, int c,
                              tide_units *scratch, float **contrib);

/* How save stores the changed embedding rows. F32 is lossless: load(save(m)) predicts
 * bit-identically to m. INT8 (opt-in, lossy) stores each changed row's difference from its
 * initial value as int8 codes with one f32 scale per row (max |delta| / 127), as in
 * FastText.zip (Joulin et al. 2016) without product quantization. */
/* PLAIN (lossless, the default since issue 17) stores the changed rows' values as they are, in
 * byte planes, so a load regenerates only the rows training never touched: loading the
 * 50 MB online_shopping_10_cats model no longer recomputes 16 M seeded values (see
 * lua/tide/sentiment/fasttext.lua for the measured load times). */
typedef enum { TIDE_FT_ROWS_F32 = 0, TIDE_FT_ROWS_INT8 = 1, TIDE_FT_ROWS_PLAIN = 2 } tide_ft_rows;

/* Writes the model atomically (format 2). TIDE_ERR with a message naming path on failure. */
int tide_fasttext_save(const tide_fasttext *m, const char *path);
int tide_fasttext_save_as(const tide_fasttext *m, const char *path, tide_ft_rows codec);
/* Reads format 2 (and the original raw format 1). Truncated, corrupt, foreign or
 * newer-format files give NULL and a message naming path. */
tide_fasttext *tide_fasttext_load(const char *path);

/* In memory: encode returns the exact bytes save_as writes, in a NEW malloc'd buffer of *n
 * bytes (NULL on failure); parse reads a model from the n bytes of a model file at buf (not
 * kept), with the same checks as load. `name` (NULL: "(memory)") names the bytes in errors. */
unsigned char *tide_fasttext_encode(const tide_fasttext *m, tide_ft_rows codec, const char *name,
                                    size_t *n);
tide_fasttext *tide_fasttext_parse(const void *buf, size_t n, const char *name);

#endif
