/* ops_reduce.c — reductions over all or listed dims (sum mean max min argmax argmin var std
 * logsumexp prod) and tide_sum_to, the inverse of broadcasting.
 *
 * One strategy for every layout: walk the input in its own row-major order (a tide_plan) and
 * fold each element into a double accumulator slot of the output (stride 0 over the reduced
 * dims). Reducing the last dim folds a row into one slot (4 partial sums break the add
 * latency chain); reducing a leading dim adds whole rows into the accumulator row, which
 * stays cache- and vector-friendly. Sums accumulate in double.
 *   var/std: two passes (mean, then sum of squared deviations) — no cancellation as in
 *            E[x^2]-E[x]^2.
 *   logsumexp: max pass, then m + log(sum exp(x - m)), so nothing overflows.
 * dtypes: sum/prod of integers give i64; max/min keep the dtype; mean/var/std/logsumexp give
 * f32; argmax/argmin give i64 0-based indices (first occurrence on ties, NaN counts as the
 * maximum and the minimum so it is never hidden). */
/* lets the select-based loops below be if-converted (see ops_elementwise.c) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ops.h"
#include "ops_plan.h"

static const char *redop_names[] = {"sum",    "mean",   "max", "min", "argmax",
                                    "argmin", "var",    "std", "logsumexp", "prod"};
const char *tide_redop_name(tide_redop op) { return op < TIDE_REDUCE_COUNT ? redop_names[op] : "?"; }

typedef enum { K_SUM, K_PROD, K_MAX, K_MIN, K_ARGMAX, K_ARGMIN, K_SQDEV, K_SUMEXP } kop;

typedef struct {
    kop k;
    double *acc;     /* operand 0 */
    int64_t *arg;    /* argmax/argmin: best index per slot */
    const double *aux; /* K_SQDEV: mean per slot; K_SUMEXP: max per slot (operand 3 strides) */
} kctx;

/* operands: 0 = accumulator slot, 1 = input, 2 = running index (arg ops), 3 = aux (same
 * strides as 0) */
#define REDUCE_ROW(T)                                                                          \
    static void row_##T(const tide_plan *p, const int64_t *off, int64_t n, void *vctx)         \
    {                                                                                          \
        const kctx *c = vctx;                                                                  \
        const T *x = (const T *)p->base[1] + off[1];                                           \
        double *acc = c->acc + off[0];                                                         \
        int64_t sx = p->inner[1], sa = p->inner[0];                                            \
        switch (c->k) {                                                                        \
        case K_SUM:                                                                            \
            if (sa == 0) {                                                                     \
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                         \
                int64_t j = 0;                                                                 \
                if (sx == 1)                                                                   \
                    for (; j + 4 <= n; j += 4) {                                               \
                        s0 += (double)x[j]; s1 += (double)x[j + 1];                            \
                        s2 += (double)x[j + 2]; s3 += (double)x[j + 3];                        \
                    }                                                                          \
                for (; j < n; j++) s0 += (double)x[j * sx];                                    \
                acc[0] += (s0 + s1) + (s2 + s3);                                               \
            } else                                                                             \
                for (int64_t j = 0; j < n; j++) acc[j * sa] += (double)x[j * sx];              \
            break;                                                                             \
        case K_PROD:                                                                           \
            for (int64_t j = 0; j < n; j++) acc[j * sa] *= (double)x[j * sx];                  \
            break;                                                                             \
        case K_MAX:                                                                            \
        case K_MIN: {                                                                          \
            int mx = c->k == K_MAX;                                                            \
            if (sa == 0) { /* one slot: 4 independent running extremes + a NaN flag */        \
                double m0 = acc[0], m1 = m0, m2 = m0, m3 = m0;                                 \
                int nan = m0 != m0;                                                            \
                int64_t j = 0;                                                                 \
                for (; j + 4 <= n; j += 4) {                                                   \
                    double v0 = (double)x[j * sx], v1 = (double)x[(j + 1) * sx];               \
                    double v2 = (double)x[(j + 2) * sx], v3 = (double)x[(j + 3) * sx];         \
                    nan |= (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3);                  \
                    m0 = (mx ? v0 > m0 : v0 < m0) ? v0 : m0;                                   \
                    m1 = (mx ? v1 > m1 : v1 < m1) ? v1 : m1;                                   \
                    m2 = (mx ? v2 > m2 : v2 < m2) ? v2 : m2;                                   \
                    m3 = (mx ? v3 > m3 : v3 < m3) ? v3 : m3;                                   \
                }                                                                              \
                for (; j < n; j++) {                                                           \
                    double v = (double)x[j * sx];                                              \
                    nan |= v != v;                                                             \
                    m0 = (mx ? v > m0 : v < m0) ? v : m0;                                      \
                }                                                                              \
                if (mx) m0 = m0 > m1 ? m0 : m1, m2 = m2 > m3 ? m2 : m3, m0 = m0 > m2 ? m0 : m2; \
                else m0 = m0 < m1 ? m0 : m1, m2 = m2 < m3 ? m2 : m3, m0 = m0 < m2 ? m0 : m2;   \
                acc[0] = nan ? NAN : m0;                                                       \
            } else                                                                             \
                for (int64_t j = 0; j < n; j++) {                                              \
                    double v = (double)x[j * sx];                                              \
                    if ((mx ? v > acc[j * sa] : v < acc[j * sa]) || v != v) acc[j * sa] = v;   \
                }                                                                              \
            break;                                                                             \
        }                                                                                      \
        case K_ARGMAX:                                                                         \
        case K_ARGMIN: {                                                                       \
            int64_t *arg = c->arg + off[0], si = p->inner[2], i0 = off[2];                     \
            int mx = c->k == K_ARGMAX;                                                         \
            int64_t jn = sa == 0 ? 1 : n; /* one slot: find the row's best first */           \
            double rb = 0;                                                                     \
            int64_t rj = 0;                                                                    \
            if (sa == 0 && n > 0) {                                                            \
                rb = (double)x[0];                                                             \
                for (int64_t j = 1; j < n && rb == rb; j++) {                                  \
                    double v = (double)x[j * sx];                                              \
                    if (v != v || (mx ? v > rb : v < rb)) rb = v, rj = j;                      \
                }                                                                              \
            }                                                                                  \
            for (int64_t j = 0; j < jn; j++) {                                                 \
                double v = sa == 0 ? rb : (double)x[j * sx], b = acc[j * sa];                  \
                int64_t id = i0 + (sa == 0 ? rj : j) * si, cur = arg[j * sa];                  \
                int vn = v != v, bn = b != b, better;                                          \
                if (cur < 0) better = 1;                                                       \
                else if (vn != bn) better = vn; /* NaN wins */                                 \
                else if (!vn && v != b) better = mx ? v > b : v < b;                           \
                else better = id < cur; /* tie: the lower index */                             \
                if (better) { acc[j * sa] = v; arg[j * sa] = id; }                             \
            }                                                                                  \
            break;                                                                             \
        }                                                                                      \
        case K_SQDEV: {                                                                        \
            const double *m = c->aux + off[0];                                                 \
            for (int64_t j = 0; j < n; j++) {                                                  \
                double d = (double)x[j * sx] - m[j * sa];                                      \
                acc[j * sa] += d * d;                                                          \
            }                                                                                  \
            break;                                                                             \
        }                                                                                      \
        case K_SUMEXP: {                                                                       \
            const double *m = c->aux + off[0];                                                 \
            /* x - m <= 0: libm's expf is as exact as the f32 result needs and cheaper than exp */    \
            if (sa == 0) {                                                                     \
                if (!isfinite(m[0])) break;                                                    \
                double mm = m[0], s0 = 0, s1 = 0, s2 = 0, s3 = 0;                              \
                int64_t j = 0;                                                                 \
                for (; j + 4 <= n; j += 4) {                                                   \
                    s0 += (double)expf((float)((double)x[j * sx] - mm));                  \
                    s1 += (double)expf((float)((double)x[(j + 1) * sx] - mm));            \
                    s2 += (double)expf((float)((double)x[(j + 2) * sx] - mm));            \
                    s3 += (double)expf((float)((double)x[(j + 3) * sx] - mm));            \
                }                                                                              \
                for (; j < n; j++) s0 += (double)expf((float)((double)x[j * sx] - mm));   \
                acc[0] += (s0 + s1) + (s2 + s3);                                               \
            } else                                                                             \
                for (int64_t j = 0; j < n; j++)                                                \
                    if (isfinite(m[j * sa]))                                                   \
                        acc[j * sa] += (double)expf((float)((double)x[j * sx] - m[j * sa])); \
            break;                                                                             \
        }                                                                                      \
        }                                                                                      \
    }
typedef int32_t i32;
typedef int64_t i64;
REDUCE_ROW(float)
REDUCE_ROW(i32)
REDUCE_ROW(i64)

/* One pass of kernel k over a into acc (and arg). */
/* One pass of kernel k over a into acc (and arg). The walk follows a's memory order (dims
 * sorted by decreasing stride, broadcast dims outermost), so reducing a transposed view
 * streams through memory instead of striding; argmax/argmin break ties by index, so the
 * walk order never changes which index wins. */
static void fold(const tide_tensor *a, const int *red, const int64_t *accst, kctx *c)
{
    int nd = a->ndim, perm[TIDE_MAX_DIMS];
    int64_t idxst[TIDE_MAX_DIMS], st = 1;
    for (int i = nd - 1; i >= 0; i--) { /* running index: flat over the reduced dims */
        idxst[i] = red[i] ? st : 0;
        if (red[i]) st *= a->shape[i];
    }
    for (int i = 0; i < nd; i++) { /* stable insertion sort of dims by memory stride */
        int j = i;
        uint64_t si = a->strides[i] == 0 ? UINT64_MAX : (uint64_t)llabs(a->strides[i]);
        for (; j > 0; j--) {
            int64_t pj = a->strides[perm[j - 1]];
            uint64_t sj = pj == 0 ? UINT64_MAX : (uint64_t)llabs(pj);
            if (sj >= si) break;
            perm[j] = perm[j - 1];
        }
        perm[j] = i;
    }
    int64_t shape[TIDE_MAX_DIMS], sa[TIDE_MAX_DIMS], sx[TIDE_MAX_DIMS], si[TIDE_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        shape[i] = a->shape[perm[i]], sa[i] = accst[perm[i]];
        sx[i] = a->strides[perm[i]], si[i] = idxst[perm[i]];
    }
    tide_plan p;
    tide_plan_begin(&p, nd, shape);
    tide_plan_add_raw(&p, c->acc, 0, sa);
    tide_plan_add_raw(&p, a->storage->data, a->offset, sx);
    tide_plan_add_raw(&p, NULL, 0, si);
    tide_plan_finish(&p);
    tide_plan_run(&p, a->dtype == TIDE_F32 ? row_float : a->dtype == TIDE_I32 ? row_i32 : row_i64, c);
}

static tide_dtype out_dtype(tide_redop op, tide_dtype in)
{
    switch (op) {
    case TIDE_SUM: case TIDE_PROD: return in == TIDE_F32 ? TIDE_F32 : TIDE_I64;
    case TIDE_MAX: case TIDE_MIN: return in;
    case TIDE_ARGMAX: case TIDE_ARGMIN: return TIDE_I64;
    default: return TIDE_F32;
    }
}

tide_tensor *tide_reduce(tide_redop op, const tide_tensor *a, const int *dims, int ndims,
                         int keepdim, int unbiased)
{
    if ((unsigned)op >= TIDE_REDUCE_COUNT) return tide_errorf("reduce: bad op %d", (int)op), NULL;
    const char *name = tide_redop_name(op);
    int red[TIDE_MAX_DIMS] = {0};
    if (ndims < 0 || ndims > TIDE_MAX_DIMS) return tide_errorf("%s: bad dim count %d", name, ndims), NULL;
    for (int i = 0; i < ndims; i++) {
        int d = tide_norm_dim(dims[i], a->ndim, name);
        if (d < 0) return NULL;
        if (red[d]) return tide_errorf("%s: dim %d given twice", name, dims[i]), NULL;
        red[d] = 1;
    }
    if (ndims == 0)
        for (int i = 0; i < a->ndim; i++) red[i] = 1;
    if ((op == TIDE_ARGMAX || op == TIDE_ARGMIN) && ndims > 1)
        return tide_errorf("%s: takes one dim or none, got %d", name, ndims), NULL;
    int64_t n = 1, oshape[TIDE_MAX_DIMS], accst[TIDE_MAX_DIMS], outn = 1;
    int ond = 0;
    for (int i = 0; i < a->ndim; i++) {
        if (red[i]) n *= a->shape[i];
        else outn *= a->shape[i];
        if (!red[i] || keepdim) oshape[ond++] = red[i] ? 1 : a->shape[i];
    }
    int64_t st = 1;
    for (int i = a->ndim - 1; i >= 0; i--) {
        accst[i] = red[i] ? 0 : st;
        if (!red[i]) st *= a->shape[i];
    }
    if (n == 0 && outn > 0 && (op == TIDE_MAX || op == TIDE_MIN || op == TIDE_ARGMAX ||
                               op == TIDE_ARGMIN))
        return tide_errorf("%s: cannot reduce over an empty dim", name), NULL;
    tide_tensor *out = tide_tensor_new(out_dtype(op, a->dtype), ond, oshape);
    double *acc = calloc((size_t)(outn ? outn : 1), sizeof *acc);
    double *aux = NULL;
    int64_t *arg = NULL;
    if (op == TIDE_ARGMAX || op == TIDE_ARGMIN) arg = malloc((size_t)(outn ? outn : 1) * sizeof *arg);
    if (op == TIDE_VAR || op == TIDE_STD || op == TIDE_LOGSUMEXP)
        aux = calloc((size_t)(outn ? outn : 1), sizeof *aux);
    int needs_aux = op == TIDE_VAR || op == TIDE_STD || op == TIDE_LOGSUMEXP;
    int needs_arg = op == TIDE_ARGMAX || op == TIDE_ARGMIN;
    if (!out || !acc || (needs_aux && !aux) || (needs_arg && !arg)) {
        tide_tensor_release(out);
        free(acc), free(aux), free(arg);
        if (out) tide_errorf("%s: out of memory", name);
        return NULL;
    }
    kctx c = {K_SUM, acc, arg, NULL};
    switch (op) {
    case TIDE_SUM: case TIDE_MEAN: fold(a, red, accst, &c); break;
    case TIDE_PROD:
        for (int64_t i = 0; i < outn; i++) acc[i] = 1;
        c.k = K_PROD, fold(a, red, accst, &c);
        break;
    case TIDE_MAX: case TIDE_MIN: case TIDE_LOGSUMEXP:
        for (int64_t i = 0; i < outn; i++) acc[i] = op == TIDE_MIN ? INFINITY : -INFINITY;
        c.k = op == TIDE_MIN ? K_MIN : K_MAX;
        fold(a, red, accst, &c);
        if (op == TIDE_LOGSUMEXP) {
            double *m = acc;
            acc = aux, aux = m; /* aux now holds the max, acc (zeros) the sum */
            c.acc = acc, c.aux = aux, c.k = K_SUMEXP;
            fold(a, red, accst, &c);
            for (int64_t i = 0; i < outn; i++) acc[i] = isfinite(aux[i]) ? aux[i] + log(acc[i]) : aux[i];
        }
        break;
    case TIDE_ARGMAX: case TIDE_ARGMIN:
        for (int64_t i = 0; i < outn; i++) arg[i] = -1;
        c.k = op == TIDE_ARGMAX ? K_ARGMAX : K_ARGMIN;
        fold(a, red, accst, &c);
        for (int64_t i = 0; i < outn; i++) acc[i] = (double)arg[i];
        break;
    case TIDE_VAR: case TIDE_STD: {
        fold(a, red, accst, &c);
        for (int64_t i = 0; i < outn; i++) aux[i] = acc[i] / (double)n, acc[i] = 0;
        c.k = K_SQDEV, c.aux = aux;
        fold(a, red, accst, &c);
        double dof = (double)n - (unbiased ? 1.0 : 0.0);
        for (int64_t i = 0; i < outn; i++) {
            double v = dof > 0 ? acc[i] / dof : NAN;
            acc[i] = op == TIDE_STD ? sqrt(v) : v;
        }
        break;
    }
    default: break;
    }
    if (op == TIDE_MEAN)
        for (int64_t i = 0; i < outn; i++) acc[i] = n ? acc[i] / (double)n : NAN;
    void *o = tide_tensor_data(out);
    for (int64_t i = 0; i < outn; i++) {
        if (out->dtype == TIDE_F32) ((float *)o)[i] = (float)acc[i];
        else if (out->dtype == TIDE_I32) ((int32_t *)o)[i] = (int32_t)acc[i];
        else ((int64_t *)o)[i] = (int64_t)acc[i];
    }
    free(acc), free(aux), free(arg);
    return out;
}

tide_tensor *tide_sum_to(const tide_tensor *a, int ndim, const int64_t *shape)
{
    char s1[96];
    int dims[TIDE_MAX_DIMS], nd = 0;
    int lead = a->ndim - ndim;
    if (ndim < 0 || lead < 0) goto bad;
    for (int i = 0; i < a->ndim; i++) {
        if (i < lead) dims[nd++] = i;
        else if (shape[i - lead] == 1 && a->shape[i] != 1) dims[nd++] = i;
        else if (shape[i - lead] != a->shape[i]) goto bad;
    }
    if (nd == 0) return tide_tensor_clone(a);
    tide_tensor *s = tide_reduce(TIDE_SUM, a, dims, nd, 1, 0);
    if (!s) return NULL;
    if (s->dtype != a->dtype) {
        tide_tensor *c = tide_tensor_cast(s, a->dtype);
        tide_tensor_release(s);
        if (!(s = c)) return NULL;
    }
    tide_tensor *v = tide_tensor_view(s, ndim, shape);
    tide_tensor_release(s);
    return v;
bad : {
    tide_tensor want;
    char s2[96];
    want.ndim = ndim < 0 ? 0 : ndim;
    for (int i = 0; i < want.ndim && i < TIDE_MAX_DIMS; i++) want.shape[i] = shape[i];
    return tide_errorf("sum_to: shape %s cannot be summed to %s", tide_shape_str(a, s1, sizeof s1),
                       tide_shape_str(&want, s2, sizeof s2)), NULL;
}
}
