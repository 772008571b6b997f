/* fasttext_rows.h — internal to fasttext_io.c / fasttext_rows.c: the embedding rows a model
 * file stores. Only rows that differ (bitwise) from their seeded initial value are stored;
 * the loader regenerates every other row with tide_fasttext_init_row. */
#ifndef TIDE_FASTTEXT_ROWS_H
#define TIDE_FASTTEXT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "fasttext.h"

/* Sets bit r of bitmap (ceil(n_rows / 8) bytes, zeroed by the caller) for every row r of
 * m->emb that differs from its initial value; returns their number. */
int64_t tide_ft_rows_changed(const tide_fasttext *m, uint8_t *bitmap);

/* Bytes of the encoded payload of k rows of dim floats, or 0 if codec is unknown. */
size_t tide_ft_rows_bytes(int codec, int64_t k, int dim);

/* Encodes the k rows marked in bitmap into out (tide_ft_rows_bytes bytes).
 * F32: the 32-bit XOR of each value with its initial value, stored byte-plane by byte-plane
 * (all lowest bytes, then the next...), so the high bytes the update left unchanged become
 * long zero runs for deflate — lossless, in the spirit of Gorilla's XOR float compression
 * (Pelkonen et al., VLDB 2015) and HDF5's shuffle filter.
 * INT8: k f32 scales, then k*dim int8 codes q with row = init + scale * q.
 * PLAIN: the values themselves in the same byte planes (no initial values involved). */
void tide_ft_rows_encode(const tide_fasttext *m, const uint8_t *bitmap, int64_t k, int codec,
                         unsigned char *out);

/* Inverse of encode into a model whose rows hold their initial values (same init_seed); for
 * PLAIN only the rows NOT marked need them (tide_ft_new_except). */
void tide_ft_rows_decode(tide_fasttext *m, const uint8_t *bitmap, int64_t k, int codec,
                         const unsigned char *in);

/* tide_fasttext_new, except that only the rows marked in `only` (NULL: all) get their initial
 * value; the others are left unwritten (the loader decodes or marks them lazy). */
tide_fasttext *tide_ft_new_rows(const tide_vocab *vocab, const tide_ids_opts *ids, int dim,
                                int n_classes, uint64_t seed, const uint8_t *only);

#endif
