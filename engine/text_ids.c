/* text_ids.c — token ids for models: vocabulary ids of units plus hashed ids of unit n-grams
 * (fastText's bag of n-grams with the "hashing trick"; Joulin et al. 2016, Weinberger et al.
 * 2009). Ids are 0-based rows of an embedding table with n_vocab + buckets rows.
 *
 * Negation scope (flag TIDE_TEXT_NEG): each of the TIDE_TEXT_NEG_WINDOW units after a Chinese
 * negator (不 没 无 别 未 非; a negator restarts the window) also yields the hashed id of
 * "\x03" + unit, so "不 好" gives 好 and a marked 好 that a linear model can weigh apart (the
 * classic NOT_ marking of Das & Chen 2001 / Pang et al. 2002, over characters). In K-fold
 * cross-validation on the training rows of three Chinese review corpora it lifted the default
 * stack by 0.06-0.18 points (tests/bench/tune_sentiment_views.lua, sentiment/linear.lua). */
#include <stdlib.h>
#include <string.h>

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

static int is_negator(const tide_units *us, size_t i)
{
    static const char neg[][4] = {"不", "没", "无", "别", "未", "非"}; /* 3 UTF-8 bytes each */
    if (us->u[i].kind != TIDE_UNIT_CJK || us->u[i].len != 3) return 0;
    for (size_t k = 0; k < sizeof neg / sizeof neg[0]; k++)
        if (memcmp(tide_unit_str(us, i), neg[k], 3) == 0) return 1;
    return 0;
}

int64_t tide_units_ids(const tide_vocab *v, const tide_units *us, const tide_ids_opts *o,
                       int32_t **ids, int32_t **pos, size_t *n, size_t *cap)
{
    int64_t nv = v ? tide_vocab_size(v) : 0;
    int ng = o->ngrams < 1 ? 1 : o->ngrams > 8 ? 8 : o->ngrams;
    uint64_t nb = o->buckets > 0 ? (uint64_t)o->buckets : 0;
    size_t nu = us->n, start = *n;
    int neg = (o->flags & TIDE_TEXT_NEG) && o->buckets > 0;
    if (grow(ids, pos, *n + nu * (size_t)(ng + neg), cap) != TIDE_OK) return TIDE_ERR;
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
    if (neg) {
        uint64_t mask = (nb & (nb - 1)) == 0 ? nb - 1 : 0, mark = tide_fnv1a64("\x03", 1, TIDE_FNV_OFFSET);
        int left = 0; /* units of the current negation window still to mark */
        for (size_t i = 0; i < nu; i++) {
            if (left > 0) {
                uint64_t h = tide_fnv1a64(tide_unit_str(us, i), us->u[i].len, mark);
                if (pos) (*pos)[*n] = (int32_t)(i * 8);
                (*ids)[(*n)++] = (int32_t)(nv + (int64_t)(mask ? h & mask : h % nb));
                left--;
            }
            if (is_negator(us, i)) left = TIDE_TEXT_NEG_WINDOW;
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
