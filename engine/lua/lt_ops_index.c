/* lt_ops_index.c — Lua methods for indexing, sorting, scans and concatenation.
 *
 * Indices in Lua are 1-BASED, in and out: t:index_select(1, {3, 1}) picks rows 3 and 1;
 * topk/sort/argsort return 1-based i64 indices that feed straight back into gather or
 * index_select. An index argument is an i32/i64 tensor or (for the 1-D index of
 * index_select/index_add) a Lua table of integers; each entry is checked against the dim
 * size here, so the message speaks in 1-based terms.
 *   t:gather(dim, index)            t:scatter_add(dim, index, src)   (+ scatter_add_ in place)
 *   t:index_select(dim, index)      t:index_add(dim, index, src)     (+ index_add_ in place)
 *   t:masked_fill(mask, value)      t:topk(k [, {largest = true}])   -> values, indices
 *   t:sort([dim [, descending]])    -> values, indices   t:argsort([dim [, descending]])
 *   t:cumsum([dim])                 T.cat({t1, t2, ...} [, dim])      T.stack({...} [, dim])
 * In-place forms (trailing _) do not record autograd history. */
#include "autograd.h"
#include "lt_ops.h"
#include "ops.h"

static int64_t raw_index(const tide_tensor *ix, int64_t off)
{
    return ix->dtype == TIDE_I32 ? ((const int32_t *)ix->storage->data)[off]
                                 : ((const int64_t *)ix->storage->data)[off];
}

static void bad_index(lua_State *L, const char *fn, double v, int dim, int64_t size)
{
    /* lua_pushfstring knows no %lld/%g: format here */
    char msg[160];
    snprintf(msg, sizeof msg, "index %.17g out of range for dim %d of size %lld (indices are 1-based)",
             v, dim + 1, (long long)size);
    lt_errorf(L, "%s: %s", fn, msg);
}

/* The 1-based index at idx (tensor, or table when allow_table) as a NEW 0-based i64 tensor.
 * All checks happen before the allocation, so errors leak nothing. */
static tide_tensor *index0(lua_State *L, int idx, int64_t size, int dim, int allow_table,
                           const char *fn)
{
    tide_tensor *out;
    if (allow_table && lua_istable(L, idx)) {
        int64_t n = (int64_t)lua_objlen(L, idx);
        for (int64_t i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, (int)i);
            double v = lua_tonumber(L, -1);
            if (lua_type(L, -1) != LUA_TNUMBER || v != (double)(int64_t)v)
                lt_errorf(L, "%s: index[%d] must be an integer, got %s", fn, (int)i,
                           luaL_typename(L, -1));
            if (v < 1 || v > (double)size) bad_index(L, fn, v, dim, size);
            lua_pop(L, 1);
        }
        if (!(out = tide_tensor_new(TIDE_I64, 1, &n))) lt_error(L, fn);
        for (int64_t i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, (int)i);
            tide_i64(out)[i - 1] = (int64_t)lua_tonumber(L, -1) - 1;
            lua_pop(L, 1);
        }
        return out;
    }
    if (!lt_is_tensor(L, idx))
        lt_errorf(L, "%s: index (argument #%d) must be an i32/i64 tensor%s, got %s", fn, idx,
                   allow_table ? " or a table of integers" : "", luaL_typename(L, idx));
    tide_tensor *ix = lt_check_tensor(L, idx, fn);
    if (ix->dtype != TIDE_I32 && ix->dtype != TIDE_I64)
        lt_errorf(L, "%s: index must be an i32 or i64 tensor, got %s", fn, tide_dtype_name(ix->dtype));
    int64_t n = tide_tensor_numel(ix);
    tide_iter it;
    tide_iter_init(&it, ix);
    for (int64_t i = 0; i < n; i++, tide_iter_next(&it)) {
        int64_t v = raw_index(ix, it.pos);
        if (v < 1 || v > size) bad_index(L, fn, (double)v, dim, size);
    }
    if (!(out = tide_tensor_new(TIDE_I64, ix->ndim, ix->shape))) lt_error(L, fn);
    tide_iter_init(&it, ix);
    for (int64_t i = 0; i < n; i++, tide_iter_next(&it)) tide_i64(out)[i] = raw_index(ix, it.pos) - 1;
    return out;
}

/* f(a, dim, index [, src]) helpers: Lua args are (self, dim, index [, src]) */
typedef tide_tensor *(*idx_fn)(tide_tensor *, int, tide_tensor *);
typedef tide_tensor *(*idx_src_fn)(tide_tensor *, int, tide_tensor *, tide_tensor *);
typedef int (*idx_inplace_fn)(tide_tensor *, int, const tide_tensor *, const tide_tensor *);

/* exactly one of f, fs, fi is set */
static int with_index(lua_State *L, const char *fn, int allow_table, idx_fn f, idx_src_fn fs,
                      idx_inplace_fn fi)
{
    tide_tensor *a = lt_check_tensor(L, 1, fn);
    int d = lt_check_dim(L, 2, a->ndim, fn);
    tide_tensor *src = f ? NULL : lt_check_tensor(L, 4, fn);
    if (fi && tide_grad_enabled() && tide_needs_grad(a))
        lt_errorf(L, "%s: in-place update of a tensor that requires grad (the tape would miss it); "
                      "use the out-of-place form", fn);
    tide_tensor *ix = index0(L, 3, a->shape[d], d, allow_table, fn);
    if (fi) {
        int rc = fi(a, d, ix, src);
        tide_tensor_release(ix);
        if (rc != TIDE_OK) return lt_error(L, fn);
        lua_settop(L, 1);
        return 1;
    }
    tide_tensor *r = f ? f(a, d, ix) : fs(a, d, ix, src);
    tide_tensor_release(ix);
    return lt_push_tensor(L, r, fn);
}

int lt_m_gather(lua_State *L) { return with_index(L, "gather", 0, tide_ag_gather, NULL, NULL); }
int lt_m_index_select(lua_State *L)
{
    return with_index(L, "index_select", 1, tide_ag_index_select, NULL, NULL);
}
int lt_m_scatter_add(lua_State *L)
{
    return with_index(L, "scatter_add", 0, NULL, tide_ag_scatter_add, NULL);
}
int lt_m_scatter_add_(lua_State *L) { return with_index(L, "scatter_add_", 0, NULL, NULL, tide_scatter_add_); }
int lt_m_index_add(lua_State *L) { return with_index(L, "index_add", 1, NULL, tide_ag_index_add, NULL); }
int lt_m_index_add_(lua_State *L) { return with_index(L, "index_add_", 1, NULL, NULL, tide_index_add_); }

int lt_m_masked_fill(lua_State *L)
{
    tide_tensor *a = lt_check_tensor(L, 1, "masked_fill");
    tide_tensor *m = lt_check_tensor(L, 2, "masked_fill");
    if (lua_type(L, 3) != LUA_TNUMBER)
        lt_errorf(L, "masked_fill: value (argument #3) must be a number, got %s", luaL_typename(L, 3));
    return lt_push_tensor(L, tide_ag_masked_fill(a, m, lua_tonumber(L, 3)), "masked_fill");
}

/* pushes values and 1-based indices, or raises the engine error */
static int push_pair(lua_State *L, int rc, tide_tensor *v, tide_tensor *i, const char *fn, int want_values)
{
    if (rc != TIDE_OK) {
        tide_tensor_release(v), tide_tensor_release(i);
        return lt_error(L, fn);
    }
    lt_one_based(i);
    if (!want_values) {
        tide_tensor_release(v);
        return lt_push_tensor(L, i, fn);
    }
    lt_push_tensor(L, v, fn);
    lt_push_tensor(L, i, fn);
    return 2;
}

/* topk(k [, {largest = true}]) along the last dim */
int lt_m_topk(lua_State *L)
{
    tide_tensor *a = lt_check_tensor(L, 1, "topk");
    int64_t k = lt_check_int(L, 2, "topk", "k");
    int largest = 1;
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "largest");
        if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
            lt_errorf(L, "topk: option largest must be a boolean, got %s", luaL_typename(L, -1));
        largest = lua_isnil(L, -1) ? 1 : lua_toboolean(L, -1);
        lua_pop(L, 1);
    } else if (!lua_isnoneornil(L, 3)) {
        lt_errorf(L, "topk: options (argument #3) must be a table like {largest = false}, got %s",
                   luaL_typename(L, 3));
    }
    tide_tensor *v = NULL, *i = NULL;
    int rc = tide_ag_topk(a, k, largest, &v, &i);
    return push_pair(L, rc, v, i, "topk", 1);
}

static int sort_common(lua_State *L, const char *fn, int want_values)
{
    tide_tensor *a = lt_check_tensor(L, 1, fn);
    if (a->ndim == 0) lt_errorf(L, "%s: input must have at least 1 dim", fn);
    int d = lua_isnoneornil(L, 2) ? a->ndim - 1 : lt_check_dim(L, 2, a->ndim, fn);
    int desc = lt_opt_bool(L, 3, 0, fn, "descending");
    tide_tensor *v = NULL, *i = NULL;
    int rc = want_values ? tide_ag_sort(a, d, desc, &v, &i) : tide_sort(a, d, desc, &v, &i);
    return push_pair(L, rc, v, i, fn, want_values);
}

int lt_m_sort(lua_State *L) { return sort_common(L, "sort", 1); }
int lt_m_argsort(lua_State *L) { return sort_common(L, "argsort", 0); }

int lt_m_cumsum(lua_State *L)
{
    tide_tensor *a = lt_check_tensor(L, 1, "cumsum");
    if (lua_isnoneornil(L, 2) && a->ndim != 1)
        lt_errorf(L, "cumsum: give a dim for a %d-dim tensor", a->ndim);
    int d = lua_isnoneornil(L, 2) ? 0 : lt_check_dim(L, 2, a->ndim, "cumsum");
    return lt_push_tensor(L, tide_ag_cumsum(a, d), "cumsum");
}

/* The tensors of the list at idx 1 in a GC-owned scratch array; returns the count. */
static int tensor_list(lua_State *L, const char *fn, const tide_tensor ***out)
{
    if (!lua_istable(L, 1))
        lt_errorf(L, "%s: argument #1 must be a table of tensors, got %s", fn, luaL_typename(L, 1));
    int n = (int)lua_objlen(L, 1);
    if (n < 1) lt_errorf(L, "%s: needs at least one tensor", fn);
    const tide_tensor **ts = lua_newuserdata(L, (size_t)n * sizeof *ts); /* freed by the GC */
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        if (!lt_is_tensor(L, -1))
            lt_errorf(L, "%s: element %d is not a tensor (got %s)", fn, i + 1, luaL_typename(L, -1));
        ts[i] = lt_check_tensor(L, lua_gettop(L), fn);
        lua_pop(L, 1);
    }
    *out = ts;
    return n;
}

int lt_ops_cat(lua_State *L)
{
    const tide_tensor **ts;
    lua_settop(L, 2); /* the scratch list goes above the arguments */
    int n = tensor_list(L, "cat", &ts);
    int d = lua_isnoneornil(L, 2) ? 0 : lt_check_dim(L, 2, ts[0]->ndim, "cat");
    return lt_push_tensor(L, tide_ag_cat((tide_tensor *const *)ts, n, d), "cat");
}

int lt_ops_stack(lua_State *L)
{
    const tide_tensor **ts;
    lua_settop(L, 2);
    int n = tensor_list(L, "stack", &ts);
    int d = lua_isnoneornil(L, 2) ? 0 : lt_check_dim(L, 2, ts[0]->ndim + 1, "stack");
    return lt_push_tensor(L, tide_ag_stack((tide_tensor *const *)ts, n, d), "stack");
}
