/* autograd_elementwise.c — differentiable unary, binary (tensor-tensor and tensor-scalar),
 * clamp, where and masked_fill.
 *
 * Backward functions are flat loops over contiguous operands: the input (and the saved
 * output where the derivative is cheaper in terms of it, e.g. exp, tanh, sigmoid) is made
 * contiguous at the output's shape, the input gradient is written at that shape, and
 * tide_ag_accumulate sums the broadcast dims away (the inverse of broadcasting). Derivatives
 * at kinks follow PyTorch: relu'(0) = 0, |x|'(0) = 0, clamp passes the gradient on the closed
 * interval, maximum/minimum split it evenly on ties, d/db a^b is 0 where a == 0. */
#include <math.h>

#include "autograd_internal.h"

/* x expanded to (ndim, shape) as a contiguous f32 tensor (no copy when it already is). */
static tide_tensor *dense_f32(tide_tensor *x, int ndim, const int64_t *shape)
{
    tide_tensor *e = tide_tensor_expand(x, ndim, shape);
    if (!e) return NULL;
    tide_tensor *c = e->dtype == TIDE_F32 ? ag_contig(e) : tide_tensor_cast(e, TIDE_F32);
    tide_tensor_release(e);
    return c;
}

/* ---- unary ---- */

/* ops whose derivative is a function of their output: the node saves the output (which its
 * reader keeps anyway) instead of keeping the input alive */
static int unary_from_output(tide_unop op)
{
    return op == TIDE_EXP || op == TIDE_SQRT || op == TIDE_TANH || op == TIDE_SIGMOID ||
           op == TIDE_RSQRT || op == TIDE_RELU;
}

static int bw_unary(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    tide_unop op = (tide_unop)n->ints[0];
    /* the derivative of these comes from the saved output or from nothing: a's values are
     * not kept (value-free, tide_ag_unary) and must not be read */
    if (op == TIDE_NEG) return ag_give(a, tide_unary(TIDE_NEG, g));
    if (op == TIDE_SIGN) return ag_give(a, tide_tensor_new(TIDE_F32, a->ndim, a->shape));
    int from_y = unary_from_output(op);
    tide_tensor *xc = from_y ? NULL : ag_contig(a), *dx = tide_tensor_new(TIDE_F32, a->ndim, a->shape);
    tide_tensor *yc = n->nsaved ? ag_contig(n->saved[0]) : NULL;
    if ((!from_y && !xc) || !dx || (n->nsaved && !yc)) {
        tide_tensor_release(xc), tide_tensor_release(dx), tide_tensor_release(yc);
        return TIDE_ERR;
    }
    const float *gy = tide_f32(g), *y = yc ? tide_f32(yc) : NULL;
    const float *x = from_y ? y : tide_f32(xc); /* relu: y > 0 exactly when x > 0 */
    float *d = tide_f32(dx);
    int64_t len = tide_tensor_numel(a);
    const float c = 0.7978845608028654f, k = 0.044715f; /* gelu: sqrt(2/pi), cubic coeff */
    /* one loop per op (the switch outside), so each body vectorises */
#define UNARY_LOOP(expr)                                                                    \
    for (int64_t i = 0; i < len; i++) {                                                     \
        const float v = x[i], gi = gy[i];                                                   \
        (void)v;                                                                            \
        d[i] = (expr);                                                                      \
    }                                                                                       \
    break
    switch (op) {
    case TIDE_EXP: UNARY_LOOP(gi * y[i]);
    case TIDE_LOG: UNARY_LOOP(gi / v);
    case TIDE_LOG1P: UNARY_LOOP(gi / (1.0f + v));
    case TIDE_SQRT: UNARY_LOOP(gi * 0.5f / y[i]);
    case TIDE_TANH: UNARY_LOOP(gi * (1.0f - y[i] * y[i]));
    case TIDE_SIGMOID: UNARY_LOOP(gi * y[i] * (1.0f - y[i]));
    case TIDE_RELU: UNARY_LOOP(v > 0.0f ? gi : 0.0f);
    case TIDE_GELU:
        for (int64_t i = 0; i < len; i++) {
            float v = x[i], t = tanhf(c * (v + k * v * v * v));
            d[i] = gy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * c * (1.0f + 3.0f * k * v * v));
        }
        break;
    case TIDE_ABS: UNARY_LOOP(v > 0.0f ? gi : v < 0.0f ? -gi : 0.0f);
    case TIDE_SQUARE: UNARY_LOOP(2.0f * v * gi);
    case TIDE_RSQRT: UNARY_LOOP(-0.5f * gi * y[i] * y[i] * y[i]);
    default: break; /* sign: zero almost everywhere (dx is zero-filled) */
    }
#undef UNARY_LOOP
    tide_tensor_release(xc), tide_tensor_release(yc);
    return ag_give(a, dx);
}

tide_tensor *tide_ag_unary(tide_unop op, tide_tensor *a)
{
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_unary(op, a), tide_unop_name(op), bw_unary, 1, &a, &n);
    if (n) {
        n->ints[0] = op;
        if (op == TIDE_NEG || op == TIDE_SIGN || unary_from_output(op)) ag_value_free(n, 1u);
        if (unary_from_output(op)) tide_ag_save(n, out);
    }
    return out;
}

/* ---- binary ---- */

static int bw_binary(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0], *b = n->inputs[1];
    tide_binop op = (tide_binop)n->ints[0];
    int na = tide_needs_grad(a), nb = tide_needs_grad(b);
    if (op == TIDE_ADD || op == TIDE_SUB) {
        if (na && tide_ag_accumulate(a, g) != TIDE_OK) return TIDE_ERR;
        if (nb) return op == TIDE_ADD ? tide_ag_accumulate(b, g) : ag_give(b, tide_unary(TIDE_NEG, g));
        return TIDE_OK;
    }
    if (op == TIDE_MUL) { /* broadcasting raw products: no expanded copies of a or b */
        if (na && ag_give(a, tide_binary(TIDE_MUL, g, b)) != TIDE_OK) return TIDE_ERR;
        return nb ? ag_give(b, tide_binary(TIDE_MUL, g, a)) : TIDE_OK;
    }
    if (op == TIDE_DIV && !nb) return ag_give(a, tide_binary(TIDE_DIV, g, b));
    int nd = g->ndim;
    const int64_t *sh = g->shape;
    tide_tensor *ac = dense_f32(a, nd, sh), *bc = dense_f32(b, nd, sh);
    tide_tensor *da = na ? tide_tensor_new(TIDE_F32, nd, sh) : NULL;
    tide_tensor *db = nb ? tide_tensor_new(TIDE_F32, nd, sh) : NULL;
    if (!ac || !bc || (na && !da) || (nb && !db)) {
        tide_tensor_release(ac), tide_tensor_release(bc), tide_tensor_release(da), tide_tensor_release(db);
        return TIDE_ERR;
    }
    const float *x = tide_f32(ac), *y = tide_f32(bc), *gy = tide_f32(g);
    float *dx = da ? tide_f32(da) : NULL, *dy = db ? tide_f32(db) : NULL;
    int64_t len = tide_tensor_numel(g);
    for (int64_t i = 0; i < len; i++) {
        double u = x[i], v = y[i], gi = gy[i], ru = 0, rv = 0;
        switch (op) {
        case TIDE_MUL: ru = gi * v, rv = gi * u; break;
        case TIDE_DIV: ru = gi / v, rv = -gi * u / (v * v); break;
        case TIDE_POW: /* d/da a^0 = 0 even at a = 0 (PyTorch's convention) */
            ru = v == 0.0 ? 0.0 : gi * v * pow(u, v - 1.0);
            rv = u == 0.0 ? 0.0 : gi * pow(u, v) * log(u);
            break;
        case TIDE_MAXIMUM: ru = u > v ? gi : u == v ? 0.5 * gi : 0, rv = gi - ru; break;
        case TIDE_MINIMUM: ru = u < v ? gi : u == v ? 0.5 * gi : 0, rv = gi - ru; break;
        default: break;
        }
        if (dx) dx[i] = (float)ru;
        if (dy) dy[i] = (float)rv;
    }
    tide_tensor_release(ac), tide_tensor_release(bc);
    int rc = na ? ag_give(a, da) : TIDE_OK;
    if (nb) {
        if (rc == TIDE_OK) rc = ag_give(b, db);
        else tide_tensor_release(db);
    }
    return rc;
}

tide_tensor *tide_ag_binary(tide_binop op, tide_tensor *a, tide_tensor *b)
{
    tide_tensor *in[2] = {a, b};
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_binary(op, a, b), tide_binop_name(op), bw_binary, 2, in, &n);
    if (n) n->ints[0] = op; /* comparisons give i32 and are never recorded */
    if (op == TIDE_ADD || op == TIDE_SUB) ag_value_free(n, 3u);
    /* d(a*b)/da = b and d(a/b)/da = 1/b: an operand's own value is needed only for the
     * other operand's gradient (as PyTorch saves `self` only when `other` requires grad) */
    if ((op == TIDE_MUL || op == TIDE_DIV) && !tide_needs_grad(b)) ag_value_free(n, 1u);
    if (op == TIDE_MUL && !tide_needs_grad(a)) ag_value_free(n, 2u);
    return out;
}

/* ---- tensor op scalar ---- */

static int bw_binary_scalar(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    tide_binop op = (tide_binop)n->ints[0];
    int rev = (int)n->ints[1];
    double s = n->scalars[0];
    if (op == TIDE_ADD || (op == TIDE_SUB && !rev)) return tide_ag_accumulate(a, g);
    /* the linear maps read only g: a's values are not kept (value-free, below) */
    if (op == TIDE_SUB) return ag_give(a, tide_unary(TIDE_NEG, g));
    if (op == TIDE_MUL || (op == TIDE_DIV && !rev))
        return ag_give(a, tide_binary_scalar(op, g, s, 0));
    tide_tensor *ac = ag_contig(a), *da = tide_tensor_new(TIDE_F32, a->ndim, a->shape);
    if (!ac || !da) {
        tide_tensor_release(ac), tide_tensor_release(da);
        return TIDE_ERR;
    }
    const float *x = tide_f32(ac), *gy = tide_f32(g);
    float *d = tide_f32(da);
    int64_t len = tide_tensor_numel(a);
    double ls = log(s);
    for (int64_t i = 0; i < len; i++) {
        double u = x[i], gi = gy[i], r = 0;
        switch (op) {
        case TIDE_SUB: r = -gi; break; /* s - a */
        case TIDE_MUL: r = gi * s; break;
        case TIDE_DIV: r = rev ? -gi * s / (u * u) : gi / s; break;
        case TIDE_POW:
            r = rev ? (s == 0.0 ? 0.0 : gi * pow(s, u) * ls) : (s == 0.0 ? 0.0 : gi * s * pow(u, s - 1.0));
            break;
        case TIDE_MAXIMUM: r = u > s ? gi : u == s ? 0.5 * gi : 0; break;
        case TIDE_MINIMUM: r = u < s ? gi : u == s ? 0.5 * gi : 0; break;
        default: break;
        }
        d[i] = (float)r;
    }
    tide_tensor_release(ac);
    return ag_give(a, da);
}

tide_tensor *tide_ag_binary_scalar(tide_binop op, tide_tensor *a, double s, int reversed)
{
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_binary_scalar(op, a, s, reversed), tide_binop_name(op),
                               bw_binary_scalar, 1, &a, &n);
    if (n) {
        n->ints[0] = op;
        n->ints[1] = reversed != 0;
        n->scalars[0] = s;
        /* a linear map of a: the gradient does not depend on a's values */
        if (op == TIDE_ADD || op == TIDE_SUB || op == TIDE_MUL || (op == TIDE_DIV && !reversed))
            ag_value_free(n, 1u);
    }
    return out;
}

/* ---- clamp ---- */

static int bw_clamp(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    double lo = n->scalars[0], hi = n->scalars[1];
    tide_tensor *ac = ag_contig(a), *da = tide_tensor_new(TIDE_F32, a->ndim, a->shape);
    if (!ac || !da) {
        tide_tensor_release(ac), tide_tensor_release(da);
        return TIDE_ERR;
    }
    const float *x = tide_f32(ac), *gy = tide_f32(g);
    float *d = tide_f32(da);
    int64_t len = tide_tensor_numel(a);
    for (int64_t i = 0; i < len; i++) d[i] = x[i] >= lo && x[i] <= hi ? gy[i] : 0.0f;
    tide_tensor_release(ac);
    return ag_give(a, da);
}

tide_tensor *tide_ag_clamp(tide_tensor *a, double lo, double hi)
{
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_clamp(a, lo, hi), "clamp", bw_clamp, 1, &a, &n);
    if (n) n->scalars[0] = lo, n->scalars[1] = hi;
    return out;
}

/* ---- where / masked_fill: the gradient goes to whichever operand was selected ---- */

static int bw_where(tide_node *n, const tide_tensor *g)
{
    tide_tensor *cond = n->inputs[0], *a = n->inputs[1], *b = n->inputs[2];
    tide_tensor *zero = tide_tensor_scalar(TIDE_F32, 0.0);
    if (!zero) return TIDE_ERR;
    int rc = TIDE_OK;
    if (tide_needs_grad(a)) rc = ag_give(a, tide_where(cond, g, zero));
    if (rc == TIDE_OK && tide_needs_grad(b)) rc = ag_give(b, tide_where(cond, zero, g));
    tide_tensor_release(zero);
    return rc;
}

tide_tensor *tide_ag_where(tide_tensor *cond, tide_tensor *a, tide_tensor *b)
{
    tide_tensor *in[3] = {cond, a, b};
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_where(cond, a, b), "where", bw_where, 3, in, &n);
    ag_value_free(n, 6u); /* only cond's values select the gradient */
    return out;
}

static int bw_masked_fill(tide_node *n, const tide_tensor *g)
{
    tide_tensor *a = n->inputs[0];
    if (!tide_needs_grad(a)) return TIDE_OK;
    return ag_give(a, tide_masked_fill(g, n->saved[0], 0.0));
}

tide_tensor *tide_ag_masked_fill(tide_tensor *a, tide_tensor *mask, double v)
{
    tide_node *n;
    tide_tensor *out = ag_wrap(tide_masked_fill(a, mask, v), "masked_fill", bw_masked_fill, 1, &a, &n);
    ag_value_free(n, 1u);
    tide_ag_save(n, mask);
    return out;
}
