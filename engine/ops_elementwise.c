/* ops_elementwise.c — unary and binary elementwise kernels with NumPy broadcasting, clamp and
 * where (see ops.h for the dtype rules).
 *
 * Every op goes through one tide_plan (ops_plan.h): operands are broadcast to the output
 * shape and dims that all operands walk contiguously are merged, so a contiguous same-shape
 * op is a single row. Rows are typed loops with a unit-stride branch the compiler
 * vectorizes, a scalar-operand branch (bias/scalar broadcasts) and a general strided branch.
 * Inputs of another dtype are first cast to the compute dtype (one copy), which keeps the
 * kernel set to {f32, i32, i64}. Integer +,-,*,neg wrap around (computed unsigned) instead of
 * being undefined behaviour.
 *
 * GELU is the tanh approximation (Hendrycks & Gimpel 2016, as in GPT-2/BERT):
 *   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
/* Float compares under the default -ftrapping-math block if-conversion, so loops with a
 * select (relu, clamp, tide_expf's range checks) would not vectorize. Nothing in Tide reads
 * the FP exception flags, so dropping that guarantee here is safe. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

/* The transcendental rows are compute-bound: build them also for AVX2 and AVX-512 and let
 * the loader pick per CPU (GCC function multiversioning), while the rest of the build stays
 * at the portable baseline. -std=c11 keeps FP contraction off, so every clone rounds the
 * same way and results do not depend on the machine. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && \
    defined(__linux__)
#define TIDE_MULTIVERSION __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define TIDE_MULTIVERSION
#endif

#include <math.h>

#include "ops.h"
#include "ops_math.h"
#include "ops_plan.h"

static const char *unop_names[] = {"neg",  "exp", "log",  "log1p", "sqrt",   "tanh", "sigmoid",
                                   "relu", "gelu", "abs", "square", "rsqrt", "sign"};
static const char *binop_names[] = {"add",     "sub", "mul", "div", "pow", "maximum", "minimum",
                                    "eq",      "ne",  "lt",  "le",  "gt",  "ge"};

const char *tide_unop_name(tide_unop op) { return op < TIDE_UNARY_COUNT ? unop_names[op] : "?"; }
const char *tide_binop_name(tide_binop op) { return op < TIDE_BINARY_COUNT ? binop_names[op] : "?"; }

static int is_float_unop(tide_unop op)
{
    return op == TIDE_EXP || op == TIDE_LOG || op == TIDE_LOG1P || op == TIDE_SQRT ||
           op == TIDE_TANH || op == TIDE_SIGMOID || op == TIDE_GELU || op == TIDE_RSQRT;
}
static int is_cmp(tide_binop op) { return op >= TIDE_EQ && op <= TIDE_GE; }

static inline float sigmoidf(float x)
{
    /* exp(-|x|) <= 1 never overflows; branch-free so the loop vectorizes */
    float e = tide_expf(-fabsf(x));
    float s = 1.0f / (1.0f + e);
    return x >= 0 ? s : e * s;
}

static inline float geluf(float x)
{
    const float c = 0.7978845608028654f; /* sqrt(2/pi) */
    return 0.5f * x * (1.0f + tanhf(c * (x + 0.044715f * x * x * x)));
}

/* ---- row kernels ---- */

#define ROW1(TI, TO, EXPR)                                                                     \
    do {                                                                                       \
        const TI *a = (const TI *)p->base[1] + off[1];                                         \
        TO *o = (TO *)p->base[0] + off[0];                                                     \
        int64_t sa = p->inner[1], so = p->inner[0];                                            \
        if (sa == 1 && so == 1)                                                                \
            for (int64_t j = 0; j < n; j++) { TI x = a[j]; o[j] = (TO)(EXPR); }                \
        else                                                                                   \
            for (int64_t j = 0; j < n; j++) { TI x = a[j * sa]; o[j * so] = (TO)(EXPR); }      \
    } while (0)

#define ROW2(TI, TO, EXPR)                                                                     \
    do {                                                                                       \
        const TI *a = (const TI *)p->base[1] + off[1], *b = (const TI *)p->base[2] + off[2];   \
        TO *o = (TO *)p->base[0] + off[0];                                                     \
        int64_t sa = p->inner[1], sb = p->inner[2], so = p->inner[0];                          \
        if (so == 1 && sa == 1 && sb == 1)                                                     \
            for (int64_t j = 0; j < n; j++) { TI x = a[j], y = b[j]; o[j] = (TO)(EXPR); }      \
        else if (so == 1 && sa == 1 && sb == 0) {                                              \
            TI y = b[0];                                                                       \
            for (int64_t j = 0; j < n; j++) { TI x = a[j]; o[j] = (TO)(EXPR); }                \
        } else if (so == 1 && sa == 0 && sb == 1) {                                            \
            TI x = a[0];                                                                       \
            for (int64_t j = 0; j < n; j++) { TI y = b[j]; o[j] = (TO)(EXPR); }                \
        } else                                                                                 \
            for (int64_t j = 0; j < n; j++) {                                                  \
                TI x = a[j * sa], y = b[j * sb];                                               \
                o[j * so] = (TO)(EXPR);                                                        \
            }                                                                                  \
    } while (0)

TIDE_MULTIVERSION
static void row_un_f32(const tide_plan *p, const int64_t *off, int64_t n, void *ctx)
{
    switch (*(const tide_unop *)ctx) {
    case TIDE_NEG: ROW1(float, float, -x); break;
    case TIDE_EXP: ROW1(float, float, tide_expf(x)); break;
    case TIDE_LOG: ROW1(float, float, logf(x)); break;
    case TIDE_LOG1P: ROW1(float, float, log1pf(x)); break;
    case TIDE_SQRT: ROW1(float, float, sqrtf(x)); break;
    case TIDE_TANH: ROW1(float, float, tanhf(x)); break;
    case TIDE_SIGMOID: ROW1(float, float, sigmoidf(x)); break;
    case TIDE_RELU: ROW1(float, float, x < 0 ? 0.0f : x); break; /* NaN stays NaN */
    case TIDE_GELU: ROW1(float, float, geluf(x)); break;
    case TIDE_ABS: ROW1(float, float, fabsf(x)); break;
    case TIDE_SQUARE: ROW1(float, float, x * x); break;
    case TIDE_RSQRT: ROW1(float, float, 1.0f / sqrtf(x)); break;
    case TIDE_SIGN: ROW1(float, float, x > 0 ? 1.0f : (x < 0 ? -1.0f : x)); break;
    default: TIDE_ASSERT(0 && "float unop");
    }
}

/* integer unary ops (the float ones are promoted before we get here) */
#define INT_UNARY(T, U)                                                                        \
    static void row_un_##T(const tide_plan *p, const int64_t *off, int64_t n, void *ctx)       \
    {                                                                                          \
        switch (*(const tide_unop *)ctx) {                                                     \
        case TIDE_NEG: ROW1(T, T, (T)(0u - (U)x)); break;                                     \
        case TIDE_RELU: ROW1(T, T, x < 0 ? 0 : x); break;                                     \
        case TIDE_ABS: ROW1(T, T, x < 0 ? (T)(0u - (U)x) : x); break;                         \
        case TIDE_SQUARE: ROW1(T, T, (T)((U)x * (U)x)); break;                                \
        case TIDE_SIGN: ROW1(T, T, (x > 0) - (x < 0)); break;                                 \
        default: TIDE_ASSERT(0 && "int unop");                                                 \
        }                                                                                      \
    }
typedef int32_t i32;
typedef int64_t i64;
INT_UNARY(i32, uint32_t)
INT_UNARY(i64, uint64_t)

static void row_bin_f32(const tide_plan *p, const int64_t *off, int64_t n, void *ctx)
{
    switch (*(const tide_binop *)ctx) {
    case TIDE_ADD: ROW2(float, float, x + y); break;
    case TIDE_SUB: ROW2(float, float, x - y); break;
    case TIDE_MUL: ROW2(float, float, x * y); break;
    case TIDE_DIV: ROW2(float, float, x / y); break;
    case TIDE_POW: ROW2(float, float, powf(x, y)); break;
    /* NaN in either operand propagates, as in NumPy's maximum/minimum */
    case TIDE_MAXIMUM: ROW2(float, float, (x != x || x > y) ? x : y); break;
    case TIDE_MINIMUM: ROW2(float, float, (x != x || x < y) ? x : y); break;
    case TIDE_EQ: ROW2(float, int32_t, x == y); break;
    case TIDE_NE: ROW2(float, int32_t, x != y); break;
    case TIDE_LT: ROW2(float, int32_t, x < y); break;
    case TIDE_LE: ROW2(float, int32_t, x <= y); break;
    case TIDE_GT: ROW2(float, int32_t, x > y); break;
    case TIDE_GE: ROW2(float, int32_t, x >= y); break;
    default: TIDE_ASSERT(0 && "binop");
    }
}

#define INT_BINARY(T, U)                                                                       \
    static void row_bin_##T(const tide_plan *p, const int64_t *off, int64_t n, void *ctx)      \
    {                                                                                          \
        switch (*(const tide_binop *)ctx) {                                                    \
        case TIDE_ADD: ROW2(T, T, (T)((U)x + (U)y)); break;                                   \
        case TIDE_SUB: ROW2(T, T, (T)((U)x - (U)y)); break;                                   \
        case TIDE_MUL: ROW2(T, T, (T)((U)x * (U)y)); break;                                   \
        case TIDE_MAXIMUM: ROW2(T, T, x > y ? x : y); break;                                  \
        case TIDE_MINIMUM: ROW2(T, T, x < y ? x : y); break;                                  \
        case TIDE_EQ: ROW2(T, int32_t, x == y); break;                                        \
        case TIDE_NE: ROW2(T, int32_t, x != y); break;                                        \
        case TIDE_LT: ROW2(T, int32_t, x < y); break;                                         \
        case TIDE_LE: ROW2(T, int32_t, x <= y); break;                                        \
        case TIDE_GT: ROW2(T, int32_t, x > y); break;                                         \
        case TIDE_GE: ROW2(T, int32_t, x >= y); break;                                        \
        default: TIDE_ASSERT(0 && "int binop");                                                \
        }                                                                                      \
    }
INT_BINARY(i32, uint32_t)
INT_BINARY(i64, uint64_t)

/* ---- drivers ---- */

/* Returns t itself when it already has dtype dt, else a cast copy stored in *tmp. */
static const tide_tensor *as_dtype(const tide_tensor *t, tide_dtype dt, tide_tensor **tmp)
{
    *tmp = NULL;
    if (t->dtype == dt) return t;
    *tmp = tide_tensor_cast(t, dt);
    return *tmp;
}

static int check_out(const tide_tensor *out, tide_dtype dt, int nd, const int64_t *shape,
                     const char *op)
{
    int same = out->ndim == nd;
    for (int i = 0; same && i < nd; i++) same = out->shape[i] == shape[i];
    char s1[96], s2[96];
    tide_tensor want;
    want.ndim = nd;
    for (int i = 0; i < nd; i++) want.shape[i] = shape[i];
    if (!same)
        return tide_errorf("%s: out has shape %s, expected %s", op, tide_shape_str(out, s1, sizeof s1),
                           tide_shape_str(&want, s2, sizeof s2));
    if (out->dtype != dt)
        return tide_errorf("%s: out has dtype %s, expected %s", op, tide_dtype_name(out->dtype),
                           tide_dtype_name(dt));
    return TIDE_OK;
}

static int unary_run(tide_tensor *out, tide_unop op, const tide_tensor *a)
{
    tide_dtype odt = is_float_unop(op) ? TIDE_F32 : a->dtype;
    const char *name = tide_unop_name(op);
    if ((unsigned)op >= TIDE_UNARY_COUNT) return tide_errorf("unary: bad op %d", (int)op);
    if (check_out(out, odt, a->ndim, a->shape, name) != TIDE_OK) return TIDE_ERR;
    tide_tensor *tmp;
    const tide_tensor *ca = as_dtype(a, odt, &tmp);
    if (!ca) return TIDE_ERR;
    tide_plan p;
    tide_plan_begin(&p, out->ndim, out->shape);
    tide_plan_add(&p, out, name);
    tide_plan_add(&p, ca, name);
    tide_plan_finish(&p);
    tide_plan_run(&p, odt == TIDE_F32 ? row_un_f32 : odt == TIDE_I32 ? row_un_i32 : row_un_i64, &op);
    tide_tensor_release(tmp);
    return TIDE_OK;
}

int tide_unary_out(tide_tensor *out, tide_unop op, const tide_tensor *a)
{
    tide_tensor_bump_version(out); /* autograd's in-place check */
    return unary_run(out, op, a);
}

tide_tensor *tide_unary(tide_unop op, const tide_tensor *a)
{
    if ((unsigned)op >= TIDE_UNARY_COUNT) return tide_errorf("unary: bad op %d", (int)op), NULL;
    tide_tensor *out = tide_tensor_empty(is_float_unop(op) ? TIDE_F32 : a->dtype, a->ndim, a->shape);
    if (out && unary_run(out, op, a) != TIDE_OK) {
        tide_tensor_release(out);
        return NULL;
    }
    return out;
}

static tide_dtype binary_compute_dtype(tide_binop op, const tide_tensor *a, const tide_tensor *b)
{
    if (op == TIDE_DIV || op == TIDE_POW) return TIDE_F32;
    return tide_promote(a->dtype, b->dtype);
}

int tide_binary_out(tide_tensor *out, tide_binop op, const tide_tensor *a, const tide_tensor *b)
{
    if ((unsigned)op >= TIDE_BINARY_COUNT) return tide_errorf("binary: bad op %d", (int)op);
    const char *name = tide_binop_name(op);
    int64_t shape[TIDE_MAX_DIMS];
    int nd = tide_broadcast_shape(a, b, shape, name);
    if (nd < 0) return TIDE_ERR;
    tide_dtype ct = binary_compute_dtype(op, a, b);
    if (check_out(out, is_cmp(op) ? TIDE_I32 : ct, nd, shape, name) != TIDE_OK) return TIDE_ERR;
    tide_tensor *ta, *tb;
    const tide_tensor *ca = as_dtype(a, ct, &ta), *cb = as_dtype(b, ct, &tb);
    int rc = TIDE_ERR;
    if (ca && cb) {
        tide_tensor_bump_version(out); /* autograd's in-place check */
        tide_plan p;
        tide_plan_begin(&p, nd, shape);
        tide_plan_add(&p, out, name);
        tide_plan_add(&p, ca, name);
        tide_plan_add(&p, cb, name);
        tide_plan_finish(&p);
        tide_plan_run(&p, ct == TIDE_F32 ? row_bin_f32 : ct == TIDE_I32 ? row_bin_i32 : row_bin_i64,
                      &op);
        rc = TIDE_OK;
    }
    tide_tensor_release(ta);
    tide_tensor_release(tb);
    return rc;
}

tide_tensor *tide_binary(tide_binop op, const tide_tensor *a, const tide_tensor *b)
{
    if ((unsigned)op >= TIDE_BINARY_COUNT) return tide_errorf("binary: bad op %d", (int)op), NULL;
    int64_t shape[TIDE_MAX_DIMS];
    int nd = tide_broadcast_shape(a, b, shape, tide_binop_name(op));
    if (nd < 0) return NULL;
    tide_dtype ct = binary_compute_dtype(op, a, b);
    tide_tensor *out = tide_tensor_empty(is_cmp(op) ? TIDE_I32 : ct, nd, shape);
    if (out && tide_binary_out(out, op, a, b) != TIDE_OK) {
        tide_tensor_release(out);
        return NULL;
    }
    return out;
}

/* An integral scalar keeps an integer tensor's dtype (t + 1 stays i32); anything else is f32. */
static tide_dtype scalar_dtype(const tide_tensor *a, double s)
{
    if (a->dtype == TIDE_F32 || s != floor(s)) return TIDE_F32;
    if (a->dtype == TIDE_I32 && (s < -2147483648.0 || s > 2147483647.0)) return TIDE_I64;
    if (fabs(s) > 9.2e18) return TIDE_F32;
    return a->dtype;
}

tide_tensor *tide_binary_scalar(tide_binop op, const tide_tensor *a, double s, int reversed)
{
    tide_scalar_box box;
    const tide_tensor *st = tide_scalar_box_init(&box, scalar_dtype(a, s), s);
    return reversed ? tide_binary(op, st, a) : tide_binary(op, a, st);
}

/* ---- clamp ---- */

typedef struct {
    double lo, hi;
} clamp_ctx;

/* lo > hi gives hi everywhere (as torch.clamp); NaN inputs stay NaN */
#define CLAMP_ROW(T)                                                                           \
    static void row_clamp_##T(const tide_plan *p, const int64_t *off, int64_t n, void *ctx)    \
    {                                                                                          \
        const clamp_ctx *c = ctx;                                                              \
        T lo = (T)c->lo, hi = (T)c->hi;                                                        \
        ROW1(T, T, (x < lo ? lo : x) > hi ? hi : (x < lo ? lo : x));                           \
    }
CLAMP_ROW(float)
CLAMP_ROW(i32)
CLAMP_ROW(i64)

tide_tensor *tide_clamp(const tide_tensor *a, double lo, double hi)
{
    if (lo != lo || hi != hi) return tide_errorf("clamp: bounds must not be NaN"), NULL;
    clamp_ctx c = {lo, hi};
    if (a->dtype != TIDE_F32) {
        /* integer bounds: the tightest integers inside [lo, hi], saturated to the dtype */
        double mn = a->dtype == TIDE_I32 ? -2147483648.0 : -9.2e18;
        double mx = a->dtype == TIDE_I32 ? 2147483647.0 : 9.2e18;
        c.lo = fmin(fmax(ceil(lo), mn), mx);
        c.hi = fmin(fmax(floor(hi), mn), mx);
    } else {
        c.lo = fmax(lo, -HUGE_VAL);
        c.hi = fmin(hi, HUGE_VAL);
    }
    tide_tensor *out = tide_tensor_empty(a->dtype, a->ndim, a->shape);
    if (!out) return NULL;
    tide_plan p;
    tide_plan_begin(&p, a->ndim, a->shape);
    tide_plan_add(&p, out, "clamp");
    tide_plan_add(&p, a, "clamp");
    tide_plan_finish(&p);
    tide_plan_run(&p, a->dtype == TIDE_F32 ? row_clamp_float
                      : a->dtype == TIDE_I32 ? row_clamp_i32 : row_clamp_i64, &c);
    return out;
}

/* ---- where ---- */

#define WHERE_ROW(T)                                                                           \
    static void row_where_##T(const tide_plan *p, const int64_t *off, int64_t n, void *ctx)    \
    {                                                                                          \
        (void)ctx;                                                                             \
        T *o = (T *)p->base[0] + off[0];                                                       \
        const int32_t *c = (const int32_t *)p->base[1] + off[1];                               \
        const T *a = (const T *)p->base[2] + off[2], *b = (const T *)p->base[3] + off[3];      \
        int64_t so = p->inner[0], sc = p->inner[1], sa = p->inner[2], sb = p->inner[3];        \
        for (int64_t j = 0; j < n; j++) o[j * so] = c[j * sc] ? a[j * sa] : b[j * sb];         \
    }
WHERE_ROW(float)
WHERE_ROW(i32)
WHERE_ROW(i64)

tide_tensor *tide_where(const tide_tensor *cond, const tide_tensor *a, const tide_tensor *b)
{
    int64_t s1[TIDE_MAX_DIMS], shape[TIDE_MAX_DIMS];
    int nd1 = tide_broadcast_shape(a, b, s1, "where");
    if (nd1 < 0) return NULL;
    tide_tensor ab;
    ab.ndim = nd1;
    for (int i = 0; i < nd1; i++) ab.shape[i] = s1[i];
    int nd = tide_broadcast_shape(cond, &ab, shape, "where");
    if (nd < 0) return NULL;
    tide_dtype dt = tide_promote(a->dtype, b->dtype);
    tide_tensor *tc = NULL, *ta, *tb, *out = NULL;
    const tide_tensor *cc = cond;
    if (cond->dtype != TIDE_I32) cc = tc = tide_binary_scalar(TIDE_NE, cond, 0.0, 0);
    const tide_tensor *ca = as_dtype(a, dt, &ta), *cb = as_dtype(b, dt, &tb);
    if (cc && ca && cb) out = tide_tensor_empty(dt, nd, shape);
    if (out) {
        tide_plan p;
        tide_plan_begin(&p, nd, shape);
        tide_plan_add(&p, out, "where");
        tide_plan_add(&p, cc, "where");
        tide_plan_add(&p, ca, "where");
        tide_plan_add(&p, cb, "where");
        tide_plan_finish(&p);
        tide_plan_run(&p, dt == TIDE_F32 ? row_where_float : dt == TIDE_I32 ? row_where_i32
                                                                            : row_where_i64, NULL);
    }
    tide_tensor_release(tc);
    tide_tensor_release(ta);
    tide_tensor_release(tb);
    return out;
}
