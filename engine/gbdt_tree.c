/* gbdt_tree.c — grows one regression tree on gradients/hessians, leaf-wise (best-first).
 *
 * Leaf-wise growth (LightGBM, Ke et al. 2017; Shi 2007): among the current leaves, split the
 * one whose best split gains most, until max_leaves leaves or no leaf can gain. A leaf is a
 * contiguous segment of the row permutation `rows`; a split partitions its segment stably
 * (rows stay ascending, so histogram reads stay in memory order). Histogram subtraction: only
 * the child with fewer rows is histogrammed, the other is parent minus it. Leaf values are
 * Newton steps -G/(H+λ) (Chen & Guestrin 2016, eq. 5) times the learning rate, rounded to
 * float once; the raw scores of the leaf's rows get that same float added, so training scores
 * equal what prediction on the same rows returns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gbdt_internal.h"

typedef struct {
    int64_t start, cnt, node;
    int depth;
    gbdt_stat tot;
    gbdt_stat *hist;  /* NULL once the leaf is final */
    gbdt_split split; /* feat -1: will not be split */
} leaf;

struct gbdt_grower {
    tide_gbdt_opts o;
    gbdt_split_opts so;
    const gbdt_binner *b;
    gbdt_pool *pool;
    int64_t n;
    int d;
    const uint8_t *bins, *cols; /* [n][d] for histograms, [d][n] for partitions */
    int32_t *rows, *tmp;        /* [n] */
    gbdt_hist_ctx hc;
    leaf *leaves;      /* [max_leaves] */
    gbdt_stat **spare; /* histogram buffers not in use */
    int nspare, nbufs;
    gbdt_stat **all; /* every buffer, to free */
};

gbdt_grower *gbdt_grower_new(const tide_gbdt_opts *o, const gbdt_binner *b, gbdt_pool *p, int64_t n, int d,
                             const uint8_t *bins, const uint8_t *cols, int unit_hessian)
{
    gbdt_grower *gr = calloc(1, sizeof *gr);
    if (!gr) {
        tide_errorf("gbdt: out of memory");
        return NULL;
    }
    gr->o = *o;
    gr->so = (gbdt_split_opts){o->l2, o->min_child_weight, o->min_split_gain, o->min_samples_leaf};
    gr->b = b;
    gr->pool = p;
    gr->n = n;
    gr->d = d;
    gr->bins = bins;
    gr->cols = cols;
    gr->rows = malloc((size_t)n * sizeof *gr->rows);
    gr->tmp = malloc((size_t)n * sizeof *gr->tmp);
    gr->leaves = calloc((size_t)o->max_leaves, sizeof *gr->leaves);
    gr->spare = calloc((size_t)o->max_leaves + 1, sizeof *gr->spare);
    gr->all = calloc((size_t)o->max_leaves + 1, sizeof *gr->all);
    gr->hc = (gbdt_hist_ctx){.d = d, .stride = b->max_bins + 1, .n = n, .bins = bins, .pool = p,
                             .unit_hessian = unit_hessian};
    if (!gr->rows || !gr->tmp || !gr->leaves || !gr->spare || !gr->all) {
        gbdt_grower_free(gr);
        tide_errorf("gbdt: out of memory for %lld rows", (long long)n);
        return NULL;
    }
    return gr;
}

void gbdt_grower_free(gbdt_grower *gr)
{
    if (!gr) return;
    for (int i = 0; i < gr->nbufs; i++)
        free(gr->all[i]);
    free(gr->rows);
    free(gr->tmp);
    free(gr->leaves);
    free(gr->spare);
    free(gr->all);
    free(gr->hc.partial);
    free(gr->hc.all_counts);
    free(gr);
}

static gbdt_stat *take_hist(gbdt_grower *gr)
{
    if (gr->nspare > 0) return gr->spare[--gr->nspare];
    if (gr->nbufs > gr->o.max_leaves) return NULL; /* cannot happen: one per open leaf */
    gbdt_stat *h = malloc((size_t)gr->d * gr->hc.stride * sizeof *h);
    if (h) gr->all[gr->nbufs++] = h;
    return h;
}

static void release_hist(gbdt_grower *gr, leaf *lf)
{
    if (lf->hist) gr->spare[gr->nspare++] = lf->hist;
    lf->hist = NULL;
}

/* Whether a leaf could still be split: depth and size allow it and the tree has leaves to spare. */
static int splittable(const gbdt_grower *gr, const leaf *lf, int nleaves)
{
    int deep = gr->o.max_depth > 0 && lf->depth >= gr->o.max_depth;
    return !deep && lf->cnt >= 2 * gr->o.min_samples_leaf && nleaves < gr->o.max_leaves;
}

/* Finds the leaf's best split if it may be split; otherwise (or if none) makes it final. */
static void prepare(gbdt_grower *gr, leaf *lf, int nleaves)
{
    lf->split = (gbdt_split){.gain = 0, .feat = -1};
    if (lf->hist && splittable(gr, lf, nleaves))
        lf->split = gbdt_split_find(gr->b, gr->pool, &gr->so, lf->hist, lf->tot, lf->cnt * gr->d >= 65536);
    if (lf->split.feat < 0) release_hist(gr, lf);
}

/* Stable partition of the leaf's segment; returns the number of rows sent left. */
static int64_t partition(gbdt_grower *gr, const leaf *lf)
{
    const gbdt_split *s = &lf->split;
    const uint8_t *col = gr->cols + (int64_t)s->feat * gr->n; /* one feature: 1 byte per row, cache-dense */
    int miss = gr->b->max_bins;
    int32_t *r = gr->rows + lf->start;
    int64_t nl = 0, nr = 0;
    int32_t *tmp = gr->tmp;
    for (int64_t i = 0; i < lf->cnt; i++) { /* branch-free: the side is a coin flip to the CPU */
        int32_t ri = r[i];
        int bin = col[ri];
        int left = bin == miss ? s->miss_left : bin <= s->bin;
        r[nl] = ri; /* nl <= i: that slot was already read */
        tmp[nr] = ri;
        nl += left;
        nr += !left;
    }
    memcpy(r + nl, gr->tmp, (size_t)nr * sizeof *r);
    return nl;
}

static int split_leaf(gbdt_grower *gr, tide_gbdt *m, int k, int *nleaves)
{
    leaf P = gr->leaves[k]; /* a copy: its slot becomes the left child */
    const gbdt_split *s = &P.split;
    int64_t ln = gbdt_model_add_node(m), rn = ln < 0 ? -1 : gbdt_model_add_node(m);
    if (rn < 0) return TIDE_ERR;
    m->feat[P.node] = s->feat;
    m->thr[P.node] = s->thr;
    m->miss_left[P.node] = (uint8_t)s->miss_left;
    m->left[P.node] = (int32_t)ln;
    m->right[P.node] = (int32_t)rn;
    m->gain[P.node] = (float)s->gain;
    int64_t nl = partition(gr, &P);
    TIDE_ASSERT(nl == s->l.n);
    leaf L = {P.start, nl, ln, P.depth + 1, s->l, NULL, {.feat = -1}};
    leaf R = {P.start + nl, P.cnt - nl, rn, P.depth + 1, s->r, NULL, {.feat = -1}};
    leaf *small = L.cnt <= R.cnt ? &L : &R, *big = small == &L ? &R : &L;
    int n_after = *nleaves + 1;
    if (splittable(gr, &L, n_after) || splittable(gr, &R, n_after)) { /* else no histogram is needed */
        small->hist = take_hist(gr);
        if (!small->hist) return tide_errorf("gbdt: out of memory for histograms");
        if (gbdt_hist_build(&gr->hc, gr->rows + small->start, small->cnt, small->hist) < 0) return TIDE_ERR;
        big->hist = P.hist;
        gbdt_hist_subtract(big->hist, small->hist, (int64_t)gr->d * gr->hc.stride);
    } else {
        release_hist(gr, &P);
    }
    prepare(gr, &L, n_after);
    prepare(gr, &R, n_after);
    gr->leaves[k] = L;
    gr->leaves[(*nleaves)++] = R;
    return TIDE_OK;
}

int gbdt_grower_grow(gbdt_grower *gr, const float *g, const float *h, tide_gbdt *m, double *raw)
{
    gr->hc.g = g;
    gr->hc.h = h;
    for (int64_t i = 0; i < gr->n; i++)
        gr->rows[i] = (int32_t)i;
    int64_t root = gbdt_model_add_node(m);
    if (root < 0) return TIDE_ERR;
    leaf *lf = &gr->leaves[0];
    *lf = (leaf){0, gr->n, root, 0, {0, 0, 0}, take_hist(gr), {.feat = -1}};
    if (!lf->hist) return tide_errorf("gbdt: out of memory for histograms");
    if (gbdt_hist_build(&gr->hc, NULL, gr->n, lf->hist) < 0) return TIDE_ERR;
    for (int b = 0; b < gr->hc.stride; b++) { /* node totals = feature 0's bins, in bin order */
        lf->tot.g += lf->hist[b].g;
        lf->tot.h += lf->hist[b].h;
        lf->tot.n += lf->hist[b].n;
    }
    prepare(gr, lf, 1);
    int nleaves = 1;
    while (nleaves < gr->o.max_leaves) {
        int k = -1;
        for (int i = 0; i < nleaves; i++)
            if (gr->leaves[i].split.feat >= 0 && (k < 0 || gr->leaves[i].split.gain > gr->leaves[k].split.gain))
                k = i;
        if (k < 0) break;
        if (split_leaf(gr, m, k, &nleaves) < 0) return TIDE_ERR;
    }
    for (int i = 0; i < nleaves; i++) {
        lf = &gr->leaves[i];
        release_hist(gr, lf);
        double den = lf->tot.h + gr->o.l2;
        float v = den > 0 ? (float)(-lf->tot.g / den * gr->o.learning_rate) : 0.0f;
        m->value[lf->node] = v;
        for (int64_t j = lf->start; j < lf->start + lf->cnt; j++)
            raw[gr->rows[j]] += (double)v;
    }
    return TIDE_OK;
}
