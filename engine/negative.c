/* negative.c — seeded negative sampling (see negative.h). */
#include "negative.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "rng.h"

typedef struct {
    double *prob;
    int32_t *alias;
    int64_t n;
} alias_t;

/* Vose's numerically stable variant of the alias table. */
static int alias_build(alias_t *a, const float *w, int64_t n)
{
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!(w[i] >= 0) || w[i] > 1e30f) return tide_errorf("negative: weight %lld is %g (must be finite, >= 0)", (long long)i + 1, (double)w[i]);
        total += w[i];
    }
    if (total <= 0) return tide_errorf("negative: all weights are zero");
    a->n = n;
    a->prob = malloc((size_t)n * sizeof *a->prob);
    a->alias = malloc((size_t)n * sizeof *a->alias);
    int32_t *small = malloc((size_t)n * sizeof *small), *large = malloc((size_t)n * sizeof *large);
    double *p = malloc((size_t)n * sizeof *p);
    if (!a->prob || !a->alias || !small || !large || !p) {
        free(small); free(large); free(p);
        return tide_errorf("negative: out of memory");
    }
    int64_t ns = 0, nl = 0;
    for (int64_t i = 0; i < n; i++) {
        p[i] = (double)w[i] * (double)n / total;
        if (p[i] < 1) small[ns++] = (int32_t)i;
        else large[nl++] = (int32_t)i;
    }
    while (ns && nl) {
        int32_t s = small[--ns], l = large[--nl];
        a->prob[s] = p[s];
        a->alias[s] = l;
        p[l] = (p[l] + p[s]) - 1.0;
        if (p[l] < 1) small[ns++] = l;
        else large[nl++] = l;
    }
    while (nl) { int32_t l = large[--nl]; a->prob[l] = 1; a->alias[l] = l; }
    while (ns) { int32_t s = small[--ns]; a->prob[s] = 1; a->alias[s] = s; } /* rounding leftovers */
    free(small); free(large); free(p);
    return TIDE_OK;
}

static int cmp_i32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

int64_t tide_negative_sample(int64_t n_users, const int64_t *off, const int32_t *item, int64_t n_items,
                             int64_t k, uint64_t seed, const float *weights, int per_user, int32_t *out)
{
    int64_t n = off[n_users], maxlen = 0, failed = 0;
    for (int64_t i = 0; i < n; i++)
        if (item[i] < 1 || item[i] > n_items)
            return tide_errorf("negative: item id %d at row %lld outside 1..%lld", item[i], (long long)i + 1,
                               (long long)n_items);
    for (int64_t u = 0; u < n_users; u++)
        if (off[u + 1] - off[u] > maxlen) maxlen = off[u + 1] - off[u];
    alias_t al = {0};
    int64_t drawable = n_items;
    if (weights) {
        if (alias_build(&al, weights, n_items) != TIDE_OK) {
            free(al.prob); free(al.alias);
            return TIDE_ERR;
        }
        drawable = 0;
        for (int64_t i = 0; i < n_items; i++) drawable += weights[i] > 0;
    }
    int32_t *s = malloc((size_t)(maxlen ? maxlen : 1) * sizeof *s);
    if (!s) {
        free(al.prob); free(al.alias);
        return tide_errorf("negative: out of memory");
    }
    for (int64_t u = 0; u < n_users; u++) {
        int64_t a = off[u], m = off[u + 1] - a, uniq = 0, drawable_unseen;
        memcpy(s, item + a, (size_t)m * sizeof *s);
        qsort(s, (size_t)m, sizeof *s, cmp_i32);
        for (int64_t i = 0; i < m; i++)
            if (i == 0 || s[i] != s[i - 1]) s[uniq++] = s[i];
        drawable_unseen = drawable;
        for (int64_t i = 0; i < uniq; i++) drawable_unseen -= !weights || weights[s[i] - 1] > 0;
        tide_rng r;
        tide_rng_seed(&r, seed * 0x9e3779b97f4a7c15ULL + (uint64_t)u + 1);
        int64_t rows = per_user ? 1 : m;
        int32_t *o = out + (per_user ? u : a) * k;
        for (int64_t j = 0; j < rows * k; j++) {
            int32_t v = 0;
            if (drawable_unseen > 0) {
                for (;;) { /* expected tries <= 1 / (unseen probability mass) */
                    int64_t c = (int64_t)tide_rng_below(&r, (uint64_t)n_items);
                    if (weights && tide_rng_uniform(&r) >= al.prob[c]) c = al.alias[c];
                    if (!tide_sorted_has(s, uniq, (int32_t)(c + 1))) { v = (int32_t)(c + 1); break; }
                }
            } else failed++;
            o[j] = v;
        }
    }
    free(s);
    free(al.prob);
    free(al.alias);
    return failed;
}
