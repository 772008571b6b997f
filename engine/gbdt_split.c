/* gbdt_split.c — the best split of a node from its histograms.
 *
 * For each feature the bins are scanned left to right twice: once with the missing bin sent
 * right, once (if the node has missing values) sent left; the all-non-missing-left /
 * missing-right cut (threshold +inf) is tried too, so missingness itself can be split on
 * (LightGBM and scikit-learn do the same). The gain is XGBoost's (Chen & Guestrin 2016,
 * eq. 7): 0.5 [GL²/(HL+λ) + GR²/(HR+λ) - G²/(H+λ)]. A node without missing values sends
 * future missing values to the child with more training rows (scikit-learn's rule).
 * Features are searched in parallel, each into its own slot; the winner is then picked in
 * feature order, so ties and results do not depend on the thread count. */
#include <math.h>
#include <stdlib.h>

#include "gbdt_internal.h"

static inline double gain_of(gbdt_stat l, gbdt_stat r, double l2)
{
    double G = l.g + r.g, H = l.h + r.h;
    return 0.5 * (l.g * l.g / (l.h + l2) + r.g * r.g / (r.h + l2) - G * G / (H + l2));
}

double gbdt_split_gain(gbdt_stat l, gbdt_stat r, double l2) { return gain_of(l, r, l2); }

static gbdt_stat sub(gbdt_stat a, gbdt_stat b) { return (gbdt_stat){a.g - b.g, a.h - b.h, a.n - b.n}; }
static gbdt_stat add(gbdt_stat a, gbdt_stat b) { return (gbdt_stat){a.g + b.g, a.h + b.h, a.n + b.n}; }

typedef struct {
    const gbdt_binner *b;
    const gbdt_split_opts *o;
    const gbdt_stat *hist;
    gbdt_stat tot;
    gbdt_split *res; /* [d] */
} find_job;

/* During the search best->gain holds the score GL²/(HL+λ) + GR²/(HR+λ); the parent's term and
 * the factor 1/2 are constant for the node and applied once at the end. */
static inline void consider(const gbdt_split_opts *o, gbdt_split *best, gbdt_stat l, gbdt_stat r, int f, int bin,
                            int miss_left)
{
    if (l.n < o->min_samples_leaf || r.n < o->min_samples_leaf) return;
    if (l.h < o->min_child_weight || r.h < o->min_child_weight) return;
    double score = l.g * l.g / (l.h + o->l2) + r.g * r.g / (r.h + o->l2);
    if (!(score > best->gain)) return;
    best->gain = score;
    best->feat = f;
    best->bin = bin;
    best->miss_left = miss_left;
    best->l = l;
    best->r = r;
}

/* Bins without rows are skipped: they leave the left side unchanged, so their cut repeats the
 * previous one, which already won any tie. The scan stops once the right side is too small. */
static gbdt_split search(const find_job *j, int f)
{
    const gbdt_split_opts *o = j->o;
    int B = j->b->max_bins, nb = j->b->n_bins[f];
    const gbdt_stat *H = j->hist + (int64_t)f * (B + 1);
    gbdt_stat miss = H[B], tot = j->tot, l = {0, 0, 0};
    double parent = tot.g * tot.g / (tot.h + o->l2);
    gbdt_split best = {.gain = parent + 2 * o->min_split_gain, .feat = -1};
    for (int b = 0; b < nb - 1; b++) { /* missing right */
        if (H[b].n == 0) continue;
        l = add(l, H[b]);
        if (tot.n - l.n < o->min_samples_leaf) break;
        consider(o, &best, l, sub(tot, l), f, b, 0);
    }
    if (miss.n > 0) {
        consider(o, &best, sub(tot, miss), miss, f, nb - 1, 0); /* missing alone on the right */
        l = miss;
        for (int b = 0; b < nb - 1; b++) { /* missing left */
            if (H[b].n == 0) continue;
            l = add(l, H[b]);
            if (tot.n - l.n < o->min_samples_leaf) break;
            consider(o, &best, l, sub(tot, l), f, b, 1);
        }
    }
    if (best.feat >= 0) {
        best.gain = gain_of(best.l, best.r, o->l2);
        best.thr = best.bin == nb - 1 ? INFINITY : j->b->edges[(int64_t)f * B + best.bin];
        if (miss.n == 0) best.miss_left = best.l.n > best.r.n;
        if (!(best.gain > o->min_split_gain)) best = (gbdt_split){.gain = 0, .feat = -1}; /* rounding */
    }
    return best;
}

static void find_task(void *arg, int f)
{
    find_job *j = arg;
    j->res[f] = search(j, f);
}

gbdt_split gbdt_split_find(const gbdt_binner *b, gbdt_pool *p, const gbdt_split_opts *o, const gbdt_stat *hist,
                           gbdt_stat tot, int parallel)
{
    gbdt_split best = {.gain = 0, .feat = -1};
    gbdt_split *res = malloc((size_t)b->d * sizeof *res); /* NULL: search one by one here */
    find_job j = {b, o, hist, tot, res};
    if (res) gbdt_pool_run(p, b->d, find_task, &j, parallel);
    for (int f = 0; f < b->d; f++) {
        gbdt_split s = res ? res[f] : search(&j, f);
        if (s.feat >= 0 && s.gain > best.gain) best = s;
    }
    free(res);
    return best;
}
