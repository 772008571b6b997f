/* gbdt_model.c — the fitted model as flat node arrays: growing them during a fit, prediction
 * on raw float rows, feature importance, and rebuilding (with full validation) from saved
 * arrays. Prediction adds leaf values in double, tree by tree in order, exactly as the fit
 * added them to its training scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gbdt_internal.h"

void tide_gbdt_free(tide_gbdt *m)
{
    if (!m) return;
    free(m->tree_off);
    free(m->feat);
    free(m->thr);
    free(m->miss_left);
    free(m->left);
    free(m->right);
    free(m->value);
    free(m->gain);
    free(m->valid_loss);
    free(m);
}

tide_gbdt *gbdt_model_new(int d, tide_gbdt_loss loss, double baseline)
{
    tide_gbdt *m = calloc(1, sizeof *m);
    if (m) m->tree_off = calloc(17, sizeof *m->tree_off);
    if (!m || !m->tree_off) {
        tide_gbdt_free(m);
        tide_errorf("gbdt: out of memory");
        return NULL;
    }
    m->tree_cap = 16;
    m->d = d;
    m->loss = loss;
    m->baseline = baseline;
    return m;
}

#define GROW(p, cap)                                                                                               \
    do {                                                                                                           \
        void *q_ = realloc((p), (size_t)(cap) * sizeof *(p));                                                      \
        if (!q_)                                                                                                   \
            ok = 0;                                                                                                \
        else                                                                                                       \
            (p) = q_;                                                                                              \
    } while (0)

int64_t gbdt_model_add_node(tide_gbdt *m)
{
    if (m->n_nodes == m->node_cap) {
        int64_t cap = m->node_cap ? 2 * m->node_cap : 256;
        int ok = 1;
        GROW(m->feat, cap);
        GROW(m->thr, cap);
        GROW(m->miss_left, cap);
        GROW(m->left, cap);
        GROW(m->right, cap);
        GROW(m->value, cap);
        GROW(m->gain, cap);
        if (!ok || cap > INT32_MAX) return tide_errorf("gbdt: out of memory for %lld tree nodes", (long long)cap);
        m->node_cap = cap;
    }
    int64_t i = m->n_nodes++;
    m->feat[i] = -1;
    m->thr[i] = 0;
    m->miss_left[i] = 0;
    m->left[i] = -1;
    m->right[i] = -1;
    m->value[i] = 0;
    m->gain[i] = 0;
    return i;
}

/* Closes the tree whose nodes were added since the last call. */
int gbdt_model_end_tree(tide_gbdt *m)
{
    if (m->n_trees == m->tree_cap) {
        int ok = 1, cap = 2 * m->tree_cap;
        GROW(m->tree_off, cap + 1);
        if (!ok) return tide_errorf("gbdt: out of memory for %d trees", cap);
        m->tree_cap = cap;
    }
    m->tree_off[++m->n_trees] = m->n_nodes;
    return TIDE_OK;
}

static inline float tree_value(const tide_gbdt *m, int64_t node, const float *x)
{
    while (m->feat[node] >= 0) {
        float v = x[m->feat[node]];
        int left = isnan(v) ? m->miss_left[node] : v <= m->thr[node];
        node = left ? m->left[node] : m->right[node];
    }
    return m->value[node];
}

#define PRED_BLOCK 256

/* One node in one cache-friendly record for prediction (the model keeps separate arrays). */
typedef struct {
    float thr;    /* leaf: its value */
    int32_t feat; /* -1 at a leaf */
    int32_t left, right;
    int32_t miss_left;
} pnode;

typedef struct {
    const tide_gbdt *m;
    const pnode *nodes;
    int64_t n;
    const float *X;
    int raw;
    float *out;
} pred_job;

static inline float pnode_value(const pnode *t, int64_t node, const float *x)
{
    while (t[node].feat >= 0) {
        const pnode *p = &t[node];
        float v = x[p->feat];
        int left = isnan(v) ? p->miss_left : v <= p->thr;
        node = left ? p->left : p->right;
    }
    return t[node].thr;
}

static void pred_task(void *arg, int t)
{
    pred_job *j = arg;
    const tide_gbdt *m = j->m;
    int64_t i0 = (int64_t)t * PRED_BLOCK, i1 = i0 + PRED_BLOCK < j->n ? i0 + PRED_BLOCK : j->n;
    double acc[PRED_BLOCK];
    for (int64_t i = i0; i < i1; i++)
        acc[i - i0] = m->baseline;
    for (int k = 0; k < m->n_trees; k++) /* tree-major inside a block: one tree stays in cache */
        for (int64_t i = i0; i < i1; i++)
            acc[i - i0] += (double)pnode_value(j->nodes, m->tree_off[k], j->X + i * m->d);
    for (int64_t i = i0; i < i1; i++) {
        double r = acc[i - i0];
        if (!j->raw && m->loss == TIDE_GBDT_LOGISTIC) r = r >= 0 ? 1.0 / (1.0 + exp(-r)) : exp(r) / (1.0 + exp(r));
        j->out[i] = (float)r;
    }
}

int tide_gbdt_predict(const tide_gbdt *m, int64_t n, const float *X, int raw, float *out, int threads)
{
    if (!m || n < 0 || (n > 0 && (!X || !out))) return tide_errorf("gbdt predict: bad arguments");
    pnode *nodes = malloc((size_t)(m->n_nodes ? m->n_nodes : 1) * sizeof *nodes);
    if (!nodes) return tide_errorf("gbdt predict: out of memory for %lld nodes", (long long)m->n_nodes);
    for (int64_t i = 0; i < m->n_nodes; i++)
        nodes[i] = (pnode){m->feat[i] >= 0 ? m->thr[i] : m->value[i], m->feat[i], m->left[i], m->right[i],
                           m->miss_left[i]};
    int ntasks = (int)((n + PRED_BLOCK - 1) / PRED_BLOCK);
    pred_job j = {m, nodes, n, X, raw, out};
    int par = n * (int64_t)(m->n_trees + 1) >= 200000 && gbdt_threads(threads) > 1;
    gbdt_pool *p = par ? gbdt_pool_new(threads) : NULL; /* NULL: run here */
    gbdt_pool_run(p, ntasks, pred_task, &j, 1);
    gbdt_pool_free(p);
    free(nodes);
    return TIDE_OK;
}

/* Adds tree k's value to raw[i] for the n rows X (the fit's validation scores). */
typedef struct {
    const tide_gbdt *m;
    int k;
    int64_t n;
    const float *X;
    double *raw;
} add_job;

static void add_task(void *arg, int t)
{
    add_job *j = arg;
    int64_t i0 = (int64_t)t * 4096, i1 = i0 + 4096 < j->n ? i0 + 4096 : j->n;
    for (int64_t i = i0; i < i1; i++)
        j->raw[i] += (double)tree_value(j->m, j->m->tree_off[j->k], j->X + i * j->m->d);
}

void gbdt_model_add_tree(const tide_gbdt *m, int k, gbdt_pool *p, int64_t n, const float *X, double *raw)
{
    add_job j = {m, k, n, X, raw};
    gbdt_pool_run(p, (int)((n + 4095) / 4096), add_task, &j, n >= 8192);
}

void tide_gbdt_importance(const tide_gbdt *m, double *out)
{
    double tot = 0;
    for (int f = 0; f < m->d; f++)
        out[f] = 0;
    for (int64_t i = 0; i < m->n_nodes; i++)
        if (m->feat[i] >= 0) out[m->feat[i]] += m->gain[i], tot += m->gain[i];
    if (tot > 0)
        for (int f = 0; f < m->d; f++)
            out[f] /= tot;
}

/* Every node of tree [a, b) is reached from a once: children lie after their parent, inside
 * the tree, and nobody is a child twice. */
static int check_tree(int d, int t, int64_t a, int64_t b, const int32_t *feat, const float *thr,
                      const int32_t *miss_left, const int32_t *left, const int32_t *right, const float *value,
                      const float *gain, uint8_t *seen)
{
    for (int64_t i = a; i < b; i++) {
        if (i > a && !seen[i - a])
            return tide_errorf("gbdt: tree %d: node %lld has no parent", t, (long long)(i - a));
        if (!isfinite(value[i]))
            return tide_errorf("gbdt: tree %d: node %lld has a non-finite value", t, (long long)(i - a));
        if (feat[i] == -1) {
            if (left[i] != -1 || right[i] != -1)
                return tide_errorf("gbdt: tree %d: leaf %lld has children", t, (long long)(i - a));
            continue;
        }
        if (feat[i] < 0 || feat[i] >= d)
            return tide_errorf("gbdt: tree %d: node %lld splits on feature %d of %d", t, (long long)(i - a),
                               feat[i], d);
        if (isnan(thr[i]) || (miss_left[i] != 0 && miss_left[i] != 1) || !(gain[i] >= 0) || !isfinite(gain[i]))
            return tide_errorf("gbdt: tree %d: node %lld has a bad threshold, direction or gain", t,
                               (long long)(i - a));
        int32_t c[2] = {left[i], right[i]};
        for (int s = 0; s < 2; s++) {
            if (c[s] <= i || c[s] >= b || seen[c[s] - a] || c[0] == c[1])
                return tide_errorf("gbdt: tree %d: node %lld has a bad child %d", t, (long long)(i - a), c[s]);
            seen[c[s] - a] = 1;
        }
    }
    return TIDE_OK;
}

tide_gbdt *tide_gbdt_from_arrays(int d, tide_gbdt_loss loss, double baseline, int n_trees, const int64_t *tree_off,
                                 const int32_t *feat, const float *thr, const int32_t *miss_left,
                                 const int32_t *left, const int32_t *right, const float *value, const float *gain)
{
    if (d < 1 || (loss != TIDE_GBDT_LOGISTIC && loss != TIDE_GBDT_SQUARED) || !isfinite(baseline) || n_trees < 0 ||
        tree_off[0] != 0) {
        tide_errorf("gbdt: bad model header (d %d, loss %d, baseline %g, %d trees)", d, (int)loss, baseline,
                    n_trees);
        return NULL;
    }
    for (int t = 0; t < n_trees; t++)
        if (tree_off[t + 1] <= tree_off[t] || tree_off[t + 1] > INT32_MAX) {
            tide_errorf("gbdt: tree %d has a bad node range", t);
            return NULL;
        }
    int64_t nn = tree_off[n_trees];
    uint8_t *seen = calloc((size_t)(nn ? nn : 1), 1);
    tide_gbdt *m = seen ? gbdt_model_new(d, loss, baseline) : NULL;
    if (!m) {
        free(seen);
        tide_errorf("gbdt: out of memory");
        return NULL;
    }
    for (int t = 0; t < n_trees; t++)
        if (check_tree(d, t, tree_off[t], tree_off[t + 1], feat, thr, miss_left, left, right, value, gain,
                       seen + tree_off[t]) < 0) {
            free(seen);
            tide_gbdt_free(m);
            return NULL;
        }
    free(seen);
    for (int64_t i = 0; i < nn; i++) {
        if (gbdt_model_add_node(m) < 0) {
            tide_gbdt_free(m);
            return NULL;
        }
        m->feat[i] = feat[i];
        m->thr[i] = thr[i];
        m->miss_left[i] = (uint8_t)miss_left[i];
        m->left[i] = left[i];
        m->right[i] = right[i];
        m->value[i] = value[i];
        m->gain[i] = gain[i];
        for (; m->n_trees < n_trees && tree_off[m->n_trees + 1] == i + 1;)
            if (gbdt_model_end_tree(m) < 0) {
                tide_gbdt_free(m);
                return NULL;
            }
    }
    return m;
}
