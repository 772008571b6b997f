/* text_ids.c — token ids for models: vocabulary ids of units plus hashed ids of unit n-grams
 * (fastText's bag of n-grams with the "hashing trick"; Joulin et al. 2016, Weinberger et al.
 * 2009). Ids are 0-based rows of an embedding table with n_vocab + buckets rows. */
#include <stdlib.h>

#include "text.h"

static int grow(int32_t **ids, int32_t **pos, size_t need, size_t *cap)
{
    if (need <= *cap) return TIDE_OK;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    int32_t *p = realloc(*ids, c * sizeof *p);
    if (!p) return tide_errorf("text ids: out of memory (%zu ids)", c);
    *ids = p;
    if (pos) {
        int32_t *q = realloc(*pos, c * sizeof *q);
        if (!q) return tide_errorf("text ids: out of memory (%zu ids)", c);
        *pos = q;
    }
    *cap = c;
    return TIDE_OK;
}

int64_t tide_units_ids(const tide_vocab *v, const tide_units *us, const tide_ids_opts *o,
                       int32_t **ids, int32_t **pos, size_t *n, size_t *cap)
{
    int64_t nv = v ? tide_vocab_size(v) : 0;
    int ng = o->ngrams < 1 ? 1 : o->ngrams > 8 ? 8 : o->ngrams;
    uint64_t nb = o->buckets > 0 ? (uint64_t)o->buckets : 0;
    size_t nu = us->n, start = *n;
    if (grow(ids, pos, *n + nu * (size_t)ng, cap) != TIDE_OK) return TIDE_ERR;
    /* FNV-1a is sequential, so the hash of units [i, i+k) extends that of [i, i+k-1) by the
     * separator and one unit: all n-gram hashes cost one pass per order over the bytes.
     * The unigram hash is also the vocabulary's key hash. hs[k-1] holds order k for start i. */
    uint64_t hs_stack[64 * 8], *hs = nu * (size_t)ng <= 64 * 8 ? hs_stack
                                                                : malloc(nu * (size_t)ng * sizeof *hs);
    if (!hs) return tide_errorf("text ids: out of memory (%zu units)", nu);
    for (size_t i = 0; i < nu; i++) {
        uint64_t h = tide_fnv1a64(tide_unit_str(us, i), us->u[i].len, TIDE_FNV_OFFSET);
        hs[i * (size_t)ng] = h;
        for (int k = 2; k <= ng && i + (size_t)k <= nu; k++) {
            size_t last = i + (size_t)k - 1;
            h = tide_fnv1a64("\x1f", 1, h);
            h = tide_fnv1a64(tide_unit_str(us, last), us->u[last].len, h);
            hs[i * (size_t)ng + (size_t)k - 1] = h;
        }
    }
    for (size_t i = 0; i < nu; i++) {
        uint64_t h = hs[i * (size_t)ng];
        int64_t id = v ? tide_vocab_id_hashed(v, tide_unit_str(us, i), us->u[i].len, h) : -1;
        if (id < 0) {
            if (!nb) continue;
            id = nv + (int64_t)((nb & (nb - 1)) == 0 ? h & (nb - 1) : h % nb);
        }
        if (pos) (*pos)[*n] = (int32_t)(i * 8);
        (*ids)[(*n)++] = (int32_t)id;
    }
    if (nb) {
        /* h % nb by a mask when nb is a power of two (the same ids, no 64-bit division) */
        uint64_t mask = (nb & (nb - 1)) == 0 ? nb - 1 : 0;
        for (int k = 2; k <= ng; k++) {
            for (size_t i = 0; i + (size_t)k <= nu; i++) {
                uint64_t h = hs[i * (size_t)ng + (size_t)k - 1];
                if (pos) (*pos)[*n] = (int32_t)(i * 8 + (size_t)k - 1);
                (*ids)[(*n)++] = (int32_t)(nv + (int64_t)(mask ? h & mask : h % nb));
            }
        }
    }
    if (hs != hs_stack) free(hs);
    return (int64_t)(*n - start);
}

int64_t tide_text_ids(const tide_vocab *v, const char *s, size_t len, const tide_ids_opts *o,
                      tide_units *scratch, int32_t **ids, size_t *n, size_t *cap)
{
    if (tide_text_units(s, len, o->flags, scratch) < 0) return TIDE_ERR;
    return tide_units_ids(v, scratch, o, ids, NULL, n, cap);
}
