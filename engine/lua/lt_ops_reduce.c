/* lt_ops_reduce.c — Lua methods for reductions and matmul.
 *
 * t:sum()              -> 0-dim tensor (all dims)
 * t:sum(dim [, keep])  -> reduce one dim (1-based, negative from the end)
 * t:sum({d1, d2} [, keep])
 * Same for mean, var/std (third argument `unbiased`, default true), logsumexp, prod.
 * t:max() / t:min()    -> 0-dim tensor; t:max(dim [, keep]) -> values, indices (1-based i64)
 * t:argmax([dim [, keep]]) -> 1-based i64 indices (flat index without dim)
 * a:matmul(b [, out]) / T.matmul(a, b [, out]); with `out` (2-D only) the product is written
 * into out without allocating and without autograd (for scoring loops). */
#include "autograd.h"
#include "lt_ops.h"

/* dims argument at idx: nil (all), an integer, or a table of integers; returns the count */
static int check_dims(lua_State *L, int idx, int ndim, int *dims, const char *fn)
{
    if (lua_isnoneornil(L, idx)) return 0;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        dims[0] = lt_check_dim(L, idx, ndim, fn);
        return 1;
    }
    if (!lua_istable(L, idx))
        lt_errorf(L, "%s: dim (argument #%d) must be an integer or a table of integers, got %s", fn,
                   idx, luaL_typename(L, idx));
    int n = (int)lua_objlen(L, idx);
    if (n == 0 || n > ndim)
        lt_errorf(L, "%s: %d dims given for a %d-dim tensor", fn, n, ndim);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, idx, i + 1);
        double v = lua_tonumber(L, -1);
        if (lua_type(L, -1) != LUA_TNUMBER || v != (double)(int)v)
            lt_errorf(L, "%s: dims[%d] must be an integer, got %s", fn, i + 1, luaL_typename(L, -1));
        int d = (int)v;
        lua_pop(L, 1);
        if (d >= 1 && d <= ndim) dims[i] = d - 1;
        else if (d < 0 && d >= -ndim) dims[i] = ndim + d;
        else
            lt_errorf(L, "%s: dims[%d] = %d out of range for a %d-dim tensor (dims are 1-based)", fn,
                       i + 1, d, ndim);
        for (int j = 0; j < i; j++)
            if (dims[j] == dims[i])
                lt_errorf(L, "%s: dim %d given twice (dims[%d] = %d)", fn, dims[i] + 1, i + 1, d);
    }
    return n;
}

static int reduce(lua_State *L, tide_redop op)
{
    const char *fn = tide_redop_name(op);
    tide_tensor *a = lt_check_tensor(L, 1, fn);
    int dims[TIDE_MAX_DIMS];
    int nd = check_dims(L, 2, a->ndim, dims, fn);
    int keep = lt_opt_bool(L, 3, 0, fn, "keepdim");
    int unbiased = (op == TIDE_VAR || op == TIDE_STD) ? lt_opt_bool(L, 4, 1, fn, "unbiased") : 0;
    return lt_push_tensor(L, tide_ag_reduce(op, a, dims, nd, keep, unbiased), fn);
}

int lt_m_sum(lua_State *L) { return reduce(L, TIDE_SUM); }
int lt_m_mean(lua_State *L) { return reduce(L, TIDE_MEAN); }
int lt_m_var(lua_State *L) { return reduce(L, TIDE_VAR); }
int lt_m_std(lua_State *L) { return reduce(L, TIDE_STD); }
int lt_m_logsumexp(lua_State *L) { return reduce(L, TIDE_LOGSUMEXP); }
int lt_m_prod(lua_State *L) { return reduce(L, TIDE_PROD); }

/* argmax/argmin: one dim or none; 1-based result */
static int argreduce(lua_State *L, tide_redop op)
{
    const char *fn = tide_redop_name(op);
    tide_tensor *a = lt_check_tensor(L, 1, fn);
    if (lua_istable(L, 2)) lt_errorf(L, "%s: takes a single dim, not a table", fn);
    int dims[1];
    int nd = check_dims(L, 2, a->ndim, dims, fn);
    int keep = lt_opt_bool(L, 3, 0, fn, "keepdim");
    tide_tensor *r = tide_reduce(op, a, dims, nd, keep, 0);
    if (r) lt_one_based(r);
    return lt_push_tensor(L, r, fn);
}

int lt_m_argmax(lua_State *L) { return argreduce(L, TIDE_ARGMAX); }
int lt_m_argmin(lua_State *L) { return argreduce(L, TIDE_ARGMIN); }

/* max()/min(): all -> value; with a dim -> values, 1-based indices */
static int maxmin(lua_State *L, tide_redop op, tide_redop argop)
{
    const char *fn = tide_redop_name(op);
    tide_tensor *a = lt_check_tensor(L, 1, fn);
    if (lt_is_tensor(L, 2))
        lt_errorf(L, "%s: got a tensor as dim; use %s for the elementwise form", fn,
                   op == TIDE_MAX ? "maximum" : "minimum");
    if (lua_isnoneornil(L, 2)) return lt_push_tensor(L, tide_ag_reduce(op, a, NULL, 0, 0, 0), fn);
    if (lua_istable(L, 2)) lt_errorf(L, "%s: takes a single dim, not a table", fn);
    int d = lt_check_dim(L, 2, a->ndim, fn);
    int keep = lt_opt_bool(L, 3, 0, fn, "keepdim");
    tide_tensor *v = tide_ag_reduce(op, a, &d, 1, keep, 0);
    tide_tensor *i = v ? tide_reduce(argop, a, &d, 1, keep, 0) : NULL;
    if (!i) {
        tide_tensor_release(v);
        return lt_error(L, fn);
    }
    lt_one_based(i);
    lt_push_tensor(L, v, fn);
    lt_push_tensor(L, i, fn);
    return 2;
}

int lt_m_max(lua_State *L) { return maxmin(L, TIDE_MAX, TIDE_ARGMAX); }
int lt_m_min(lua_State *L) { return maxmin(L, TIDE_MIN, TIDE_ARGMIN); }

int lt_ops_matmul(lua_State *L)
{
    tide_tensor *a = lt_check_tensor(L, 1, "matmul");
    tide_tensor *b = lt_check_tensor(L, 2, "matmul");
    tide_tensor *out = lt_opt_tensor(L, 3, "matmul");
    if (!out) return lt_push_tensor(L, tide_ag_matmul(a, b), "matmul");
    if (a->ndim != 2 || b->ndim != 2)
        lt_errorf(L, "matmul: the out= form takes 2-D operands, got %d-D and %d-D", a->ndim, b->ndim);
    if (a->shape[1] != b->shape[0]) {
        char s1[96], s2[96];
        lt_errorf(L, "matmul: shapes %s and %s do not align", tide_shape_str(a, s1, 96),
                   tide_shape_str(b, s2, 96));
    }
    if (tide_gemm(out, a, 0, b, 0, 1.0f, 0.0f) != TIDE_OK) return lt_error(L, "matmul");
    lua_settop(L, 3);
    return 1;
}
