/* lt_tensor.c — the "tide.Tensor" userdata: creation, element access, views, copying,
 * conversion to and from Lua tables, printing. Op methods come from lt_ops.c and autograd
 * methods from lt_autograd.c; all three method tables are merged into one __index table.
 * Lua conventions: indices and dims are 1-based, negative dims count from the end. */
#include <math.h>
#include <string.h>

#include "autograd.h"
#include "lt.h"
#include "limit.h"
#include "rng.h"

/* ---- creation ---- */

/* Refuses a shape whose bytes exceed max_tensor_bytes (limit.h) before anything is
 * allocated: a typo like zeros(1e6, 1e6) is an error, not an out-of-memory kill. */
static void check_alloc(lua_State *L, tide_dtype dt, int nd, const int64_t *shape, const char *fn)
{
    uint64_t n = tide_dtype_size(dt);
    for (int i = 0; i < nd; i++) {
        /* empty, negative or overflowing shapes are the engine's to refuse (tensor.c) */
        if (shape[i] <= 0 || n > UINT64_MAX / (uint64_t)shape[i]) return;
        n *= (uint64_t)shape[i];
    }
    if (tide_limit_check_bytes(n, fn) != TIDE_OK) lt_error(L, fn);
}

/* shape from args starting at 1, then an optional dtype string right after it */
static int shape_and_dtype(lua_State *L, int64_t *shape, tide_dtype *dt, const char *fn)
{
    int nd = lt_check_shape(L, 1, shape, fn);
    int next = lua_istable(L, 1) ? 2 : nd + 1;
    *dt = lt_opt_dtype(L, next, TIDE_F32, fn);
    return nd;
}

static int l_zeros(lua_State *L)
{
    int64_t shape[TIDE_MAX_DIMS];
    tide_dtype dt;
    int nd = shape_and_dtype(L, shape, &dt, "zeros");
    check_alloc(L, dt, nd, shape, "zeros");
    return lt_push_tensor(L, tide_tensor_new(dt, nd, shape), "zeros");
}

static int l_ones(lua_State *L)
{
    int64_t shape[TIDE_MAX_DIMS];
    tide_dtype dt;
    int nd = shape_and_dtype(L, shape, &dt, "ones");
    check_alloc(L, dt, nd, shape, "ones");
    return lt_push_tensor(L, tide_tensor_full(dt, nd, shape, 1.0), "ones");
}

/* full(shape, value [, dtype]) */
static int l_full(lua_State *L)
{
    int64_t shape[TIDE_MAX_DIMS];
    if (!lua_istable(L, 1)) lt_errorf(L, "full: argument #1 must be a shape table");
    int nd = lt_check_shape(L, 1, shape, "full");
    double v = luaL_checknumber(L, 2);
    tide_dtype dt = lt_opt_dtype(L, 3, TIDE_F32, "full");
    check_alloc(L, dt, nd, shape, "full");
    return lt_push_tensor(L, tide_tensor_full(dt, nd, shape, v), "full");
}

/* arange(stop) | arange(start, stop [, step [, dtype]]) : half-open like Python */
static int l_arange(lua_State *L)
{
    double start = 0, stop, step = 1;
    int dtidx;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        start = luaL_checknumber(L, 1);
        stop = luaL_checknumber(L, 2);
        step = luaL_optnumber(L, 3, 1);
        dtidx = 4;
        if (lua_type(L, 3) == LUA_TSTRING) dtidx = 3, step = 1;
    } else {
        stop = luaL_checknumber(L, 1);
        dtidx = 2;
    }
    tide_dtype dt = lt_opt_dtype(L, dtidx, TIDE_F32, "arange");
    double cnt = step != 0 ? ceil((stop - start) / step) : 0;
    if (cnt > 0 && cnt * tide_dtype_size(dt) > (double)tide_limit_get(TIDE_LIMIT_TENSOR_BYTES) &&
        tide_limit_get(TIDE_LIMIT_TENSOR_BYTES) > 0) {
        tide_limit_check_bytes(cnt < 1.8e19 ? (uint64_t)(cnt * tide_dtype_size(dt)) : UINT64_MAX, "arange");
        lt_error(L, "arange");
    }
    return lt_push_tensor(L, tide_tensor_arange(dt, start, stop, step), "arange");
}

static int l_eye(lua_State *L)
{
    int64_t n = lt_check_int(L, 1, "eye", "n");
    int64_t m = lua_isnoneornil(L, 2) || lua_type(L, 2) == LUA_TSTRING ? n
                                                                       : lt_check_int(L, 2, "eye", "m");
    tide_dtype dt = lt_opt_dtype(L, lua_type(L, 2) == LUA_TSTRING ? 2 : 3, TIDE_F32, "eye");
    if (n < 0 || m < 0) lt_errorf(L, "eye: sizes must be non-negative");
    check_alloc(L, dt, 2, (int64_t[]){n, m}, "eye");
    return lt_push_tensor(L, tide_tensor_eye(dt, n, m), "eye");
}

/* Walks the first elements of a nested table to find its shape. */
static int table_shape(lua_State *L, int idx, int64_t *shape)
{
    int nd = 0;
    lua_pushvalue(L, idx);
    while (lua_istable(L, -1)) {
        if (nd >= TIDE_MAX_DIMS) lt_errorf(L, "fromtable: nested deeper than %d", TIDE_MAX_DIMS);
        shape[nd++] = (int64_t)lua_objlen(L, -1);
        if (shape[nd - 1] == 0) break;
        lua_rawgeti(L, -1, 1);
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
    return nd;
}

/* Checks that the table at idx matches t's shape from dim d on and writes its numbers in
 * row-major order into flat (a 1-D view of t's fresh contiguous storage) at *k. */
static void fill_from_table(lua_State *L, int idx, const tide_tensor *t, int d,
                            tide_tensor *flat, int64_t *k, char *path)
{
    size_t plen = strlen(path);
    if (lua_type(L, idx) != LUA_TTABLE || (int64_t)lua_objlen(L, idx) != t->shape[d])
        lt_errorf(L, "fromtable: ragged table at %s: expected %lld entries", plen ? path : "top",
                   (long long)t->shape[d]);
    for (int64_t i = 1; i <= t->shape[d]; i++) {
        lua_rawgeti(L, idx, (int)i);
        snprintf(path + plen, 24, "[%lld]", (long long)i);
        if (d + 1 < t->ndim) {
            if (!lua_istable(L, -1)) lt_errorf(L, "fromtable: expected a table at %s", path);
            fill_from_table(L, lua_gettop(L), t, d + 1, flat, k, path);
        } else {
            if (lua_type(L, -1) != LUA_TNUMBER)
                lt_errorf(L, "fromtable: expected a number at %s, got %s", path,
                           luaL_typename(L, -1));
            double v = lua_tonumber(L, -1);
            if (t->dtype != TIDE_F32 && v != floor(v))
                lt_errorf(L, "fromtable: %g at %s is not an integer for dtype %s", v, path,
                           tide_dtype_name(t->dtype));
            tide_tensor_set(flat, k, v);
            (*k)++;
        }
        path[plen] = 0;
        lua_pop(L, 1);
    }
}

/* fromtable(nested [, dtype]) — a number gives a 0-dim tensor. */
static int l_fromtable(lua_State *L)
{
    tide_dtype dt = lt_opt_dtype(L, 2, TIDE_F32, "fromtable");
    if (lua_type(L, 1) == LUA_TNUMBER)
        return lt_push_tensor(L, tide_tensor_scalar(dt, lua_tonumber(L, 1)), "fromtable");
    if (!lua_istable(L, 1))
        lt_errorf(L, "fromtable: argument #1: expected table, got %s", luaL_typename(L, 1));
    int64_t shape[TIDE_MAX_DIMS];
    int nd = table_shape(L, 1, shape);
    check_alloc(L, dt, nd, shape, "fromtable");
    tide_tensor *t = tide_tensor_new(dt, nd, shape);
    /* pushed before the walk, so a Lua error inside it leaves t to the GC, not leaked */
    lt_push_tensor(L, t, "fromtable");
    tide_tensor flat = *t;
    flat.ndim = 1;
    flat.shape[0] = tide_tensor_numel(t);
    flat.strides[0] = 1;
    int64_t k = 0;
    char path[TIDE_MAX_DIMS * 24 + 8] = "";
    if (nd > 0 && shape[0] > 0) fill_from_table(L, 1, t, 0, &flat, &k, path);
    return 1;
}

static int fill_random(lua_State *L, const char *fn, int kind)
{
    int64_t shape[TIDE_MAX_DIMS];
    int nd = lt_check_shape(L, 1, shape, fn);
    int next = lua_istable(L, 1) ? 2 : nd + 1;
    double a = kind == 1 ? luaL_optnumber(L, next, 0) : (kind == 2 ? 0 : 0);
    double b = kind == 1 ? luaL_optnumber(L, next + 1, 1) : 1;
    check_alloc(L, TIDE_F32, nd, shape, fn);
    tide_tensor *t = tide_tensor_new(TIDE_F32, nd, shape);
    if (!t) return lt_error(L, fn);
    int rc = kind == 2 ? tide_rng_fill_normal(NULL, t, 0, 1) : tide_rng_fill_uniform(NULL, t, a, b);
    if (rc != TIDE_OK) {
        tide_tensor_release(t);
        return lt_error(L, fn);
    }
    return lt_push_tensor(L, t, fn);
}

static int l_rand(lua_State *L) { return fill_random(L, "rand", 0); }
static int l_randn(lua_State *L) { return fill_random(L, "randn", 2); }
/* uniform(shape, lo, hi) */
static int l_uniform(lua_State *L) { return fill_random(L, "uniform", 1); }

/* memory([reset]) -> live, peak: bytes held by tensor storages now and at most since the last
 * reset; memory(true) then starts a new peak from the live bytes */
static int l_memory(lua_State *L)
{
    if (!lua_isnoneornil(L, 1) && !lua_isboolean(L, 1))
        return luaL_error(L, "memory: reset (argument #1) must be a boolean, got %s",
                          luaL_typename(L, 1));
    size_t live, peak;
    tide_storage_memory(&live, &peak);
    lua_pushnumber(L, (lua_Number)live);
    lua_pushnumber(L, (lua_Number)peak);
    if (lua_toboolean(L, 1)) tide_storage_reset_peak();
    return 2;
}

static int l_manual_seed(lua_State *L)
{
    int64_t s = lt_check_int(L, 1, "manual_seed", "seed");
    tide_rng_seed(tide_rng_default(), (uint64_t)s);
    return 0;
}

static int l_is_tensor(lua_State *L)
{
    lua_pushboolean(L, lt_is_tensor(L, 1));
    return 1;
}

/* ---- queries ---- */

static void push_shape(lua_State *L, const tide_tensor *t)
{
    lua_createtable(L, t->ndim, 0);
    for (int i = 0; i < t->ndim; i++) {
        lua_pushnumber(L, (lua_Number)t->shape[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

static int m_shape(lua_State *L)
{
    push_shape(L, lt_check_tensor(L, 1, "shape"));
    return 1;
}

/* size() -> shape table; size(dim) -> that dim's size */
static int m_size(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "size");
    if (lua_isnoneornil(L, 2)) {
        push_shape(L, t);
        return 1;
    }
    int d = lt_check_dim(L, 2, t->ndim, "size");
    lua_pushnumber(L, (lua_Number)t->shape[d]);
    return 1;
}

static int m_len(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "#");
    lua_pushnumber(L, t->ndim ? (lua_Number)t->shape[0] : 1);
    return 1;
}

static int m_numel(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)tide_tensor_numel(lt_check_tensor(L, 1, "numel")));
    return 1;
}

static int m_dim(lua_State *L)
{
    lua_pushinteger(L, lt_check_tensor(L, 1, "dim")->ndim);
    return 1;
}

static int m_dtype(lua_State *L)
{
    lua_pushstring(L, tide_dtype_name(lt_check_tensor(L, 1, "dtype")->dtype));
    return 1;
}

static int m_strides(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "strides");
    lua_createtable(L, t->ndim, 0);
    for (int i = 0; i < t->ndim; i++) {
        lua_pushnumber(L, (lua_Number)t->strides[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int m_is_contiguous(lua_State *L)
{
    lua_pushboolean(L, tide_tensor_is_contiguous(lt_check_tensor(L, 1, "is_contiguous")));
    return 1;
}

/* ---- element access (1-based) ---- */

static void check_index(lua_State *L, tide_tensor *t, int first, int64_t *idx, const char *fn)
{
    for (int i = 0; i < t->ndim; i++) {
        int64_t v = lt_check_int(L, first + i, fn, "index");
        if (v < 0) v += t->shape[i] + 1; /* -1 is the last element */
        if (v < 1 || v > t->shape[i])
            lt_errorf(L, "%s: index %lld out of range for dim %d of size %lld (1-based)", fn,
                       (long long)lua_tonumber(L, first + i), i + 1, (long long)t->shape[i]);
        idx[i] = v - 1;
    }
}

static int m_get(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "get");
    if (lua_gettop(L) - 1 != t->ndim)
        lt_errorf(L, "get: a %d-dim tensor needs %d indices, got %d", t->ndim, t->ndim,
                   lua_gettop(L) - 1);
    int64_t idx[TIDE_MAX_DIMS];
    check_index(L, t, 2, idx, "get");
    lua_pushnumber(L, tide_tensor_get(t, idx));
    return 1;
}

static int m_set(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "set");
    if (lua_gettop(L) - 2 != t->ndim)
        lt_errorf(L, "set: a %d-dim tensor needs %d indices and a value, got %d arguments",
                   t->ndim, t->ndim, lua_gettop(L) - 1);
    int64_t idx[TIDE_MAX_DIMS];
    check_index(L, t, 2, idx, "set");
    int vi = 2 + t->ndim;
    if (lua_type(L, vi) != LUA_TNUMBER)
        lt_errorf(L, "set: value must be a number, got %s", luaL_typename(L, vi));
    tide_tensor_set(t, idx, lua_tonumber(L, vi));
    lua_settop(L, 1);
    return 1;
}

static int m_item(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "item");
    if (tide_tensor_numel(t) != 1)
        lt_errorf(L, "item: tensor has %lld elements, expected 1", (long long)tide_tensor_numel(t));
    int64_t idx[TIDE_MAX_DIMS] = {0};
    lua_pushnumber(L, tide_tensor_get(t, idx));
    return 1;
}

static void push_nested(lua_State *L, const tide_tensor *t, int d, int64_t *idx)
{
    if (d == t->ndim) {
        lua_pushnumber(L, tide_tensor_get(t, idx));
        return;
    }
    lua_createtable(L, (int)t->shape[d], 0);
    for (int64_t i = 0; i < t->shape[d]; i++) {
        idx[d] = i;
        push_nested(L, t, d + 1, idx);
        lua_rawseti(L, -2, (int)(i + 1));
    }
}

static int m_totable(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "totable");
    int64_t idx[TIDE_MAX_DIMS] = {0};
    push_nested(L, t, 0, idx);
    return 1;
}

/* ---- printing ---- */

static void fmt_value(luaL_Buffer *b, const tide_tensor *t, const int64_t *idx)
{
    char s[48];
    double v = tide_tensor_get(t, idx);
    if (t->dtype == TIDE_F32) snprintf(s, sizeof s, "%10.4f", v);
    else snprintf(s, sizeof s, "%lld", (long long)v);
    luaL_addstring(b, s);
}

/* Prints up to 6 entries per dim (first 3 ... last 3). */
static void fmt_nested(luaL_Buffer *b, const tide_tensor *t, int d, int64_t *idx, int indent)
{
    if (t->ndim == 0) {
        fmt_value(b, t, idx);
        return;
    }
    int64_t n = t->shape[d];
    luaL_addchar(b, '[');
    for (int64_t i = 0; i < n; i++) {
        if (n > 6 && i == 3) {
            luaL_addstring(b, d + 1 == t->ndim ? " ..., " : "...,\n");
            if (d + 1 < t->ndim)
                for (int k = 0; k <= indent; k++) luaL_addchar(b, ' ');
            i = n - 3;
        }
        idx[d] = i;
        if (d + 1 == t->ndim) {
            fmt_value(b, t, idx);
            if (i + 1 < n) luaL_addstring(b, ", ");
        } else {
            fmt_nested(b, t, d + 1, idx, indent + 1);
            if (i + 1 < n) {
                luaL_addstring(b, ",\n");
                for (int k = 0; k <= indent; k++) luaL_addchar(b, ' ');
            }
        }
    }
    luaL_addchar(b, ']');
}

static int m_tostring(lua_State *L)
{
    lt_tensor_ud *ud = luaL_checkudata(L, 1, LT_TENSOR_MT);
    if (!ud->t) {
        lua_pushstring(L, "tide.Tensor (freed)");
        return 1;
    }
    tide_tensor *t = ud->t;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    int64_t idx[TIDE_MAX_DIMS] = {0};
    if (tide_tensor_numel(t) == 0) luaL_addstring(&b, "[]");
    else fmt_nested(&b, t, 0, idx, 0);
    char shape[128], tail[200];
    snprintf(tail, sizeof tail, "\n[tide.Tensor %s %s%s]", tide_dtype_name(t->dtype),
             tide_shape_str(t, shape, sizeof shape), t->requires_grad ? " requires_grad" : "");
    luaL_addstring(&b, tail);
    luaL_pushresult(&b);
    return 1;
}

/* ---- lifetime ---- */

static int m_free(lua_State *L)
{
    lt_tensor_ud *ud = luaL_checkudata(L, 1, LT_TENSOR_MT);
    tide_tensor_release(ud->t);
    ud->t = NULL;
    return 0;
}

/* ---- views (through autograd so gradients flow) ---- */

/* t:view(shape) / t:reshape(shape) / t:expand(shape): one shape argument, one engine call */
typedef tide_tensor *(*shape_fn)(tide_tensor *, int, const int64_t *);

static int with_shape(lua_State *L, const char *name, shape_fn fn)
{
    tide_tensor *t = lt_check_tensor(L, 1, name);
    int64_t shape[TIDE_MAX_DIMS];
    int nd = lt_check_shape(L, 2, shape, name);
    return lt_push_tensor(L, fn(t, nd, shape), name);
}

static int m_view(lua_State *L) { return with_shape(L, "view", tide_ag_view); }
static int m_reshape(lua_State *L) { return with_shape(L, "reshape", tide_ag_reshape); }
static int m_expand(lua_State *L) { return with_shape(L, "expand", tide_ag_expand); }

/* transpose([d0, d1]) — defaults to the last two dims */
static int m_transpose(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "transpose");
    if (t->ndim < 2 && lua_isnoneornil(L, 2)) lt_errorf(L, "transpose: needs at least 2 dims");
    int d0 = lua_isnoneornil(L, 2) ? t->ndim - 2 : lt_check_dim(L, 2, t->ndim, "transpose");
    int d1 = lua_isnoneornil(L, 3) ? t->ndim - 1 : lt_check_dim(L, 3, t->ndim, "transpose");
    return lt_push_tensor(L, tide_ag_transpose(t, d0, d1), "transpose");
}

static int m_permute(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "permute");
    int perm[TIDE_MAX_DIMS];
    int n = lua_istable(L, 2) ? (int)lua_objlen(L, 2) : lua_gettop(L) - 1;
    if (n != t->ndim) lt_errorf(L, "permute: %d dims given for a %d-dim tensor", n, t->ndim);
    for (int i = 0; i < n; i++) {
        if (lua_istable(L, 2)) {
            lua_rawgeti(L, 2, i + 1);
            perm[i] = lt_check_dim(L, -1, t->ndim, "permute");
            lua_pop(L, 1);
        } else {
            perm[i] = lt_check_dim(L, i + 2, t->ndim, "permute");
        }
    }
    return lt_push_tensor(L, tide_ag_permute(t, perm), "permute");
}

/* narrow(dim, start, len) — start is 1-based */
static int m_narrow(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "narrow");
    int d = lt_check_dim(L, 2, t->ndim, "narrow");
    int64_t start = lt_check_int(L, 3, "narrow", "start");
    int64_t len = lt_check_int(L, 4, "narrow", "length");
    return lt_push_tensor(L, tide_ag_narrow(t, d, start - 1, len), "narrow");
}

/* select(dim, index) — index is 1-based, negative from the end */
static int m_select(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "select");
    int d = lt_check_dim(L, 2, t->ndim, "select");
    int64_t i = lt_check_int(L, 3, "select", "index");
    if (i < 0) i += t->shape[d] + 1;
    return lt_push_tensor(L, tide_ag_select(t, d, i - 1), "select");
}

static int m_expand_as(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "expand_as");
    tide_tensor *o = lt_check_tensor(L, 2, "expand_as");
    return lt_push_tensor(L, tide_ag_expand(t, o->ndim, o->shape), "expand_as");
}

static int m_squeeze(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "squeeze");
    int d = lua_isnoneornil(L, 2) ? -TIDE_MAX_DIMS - 1 : lt_check_dim(L, 2, t->ndim, "squeeze");
    return lt_push_tensor(L, tide_ag_squeeze(t, d), "squeeze");
}

static int m_unsqueeze(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "unsqueeze");
    int d = lt_check_dim(L, 2, t->ndim + 1, "unsqueeze");
    return lt_push_tensor(L, tide_ag_unsqueeze(t, d), "unsqueeze");
}

static int m_contiguous(lua_State *L)
{
    return lt_push_tensor(L, tide_ag_contiguous(lt_check_tensor(L, 1, "contiguous")), "contiguous");
}

static int m_clone(lua_State *L)
{
    return lt_push_tensor(L, tide_ag_clone(lt_check_tensor(L, 1, "clone")), "clone");
}

/* ---- copying and casting ---- */

static int m_copy(lua_State *L)
{
    tide_tensor *dst = lt_check_tensor(L, 1, "copy");
    tide_tensor *src = lt_check_tensor(L, 2, "copy");
    if (tide_tensor_copy(dst, src) != TIDE_OK) return lt_error(L, "copy");
    lua_settop(L, 1);
    return 1;
}

static int m_fill(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "fill");
    double v = luaL_checknumber(L, 2);
    if (t->dtype != TIDE_F32 && v != floor(v))
        lt_errorf(L, "fill: %g is not an integer for a %s tensor", v, tide_dtype_name(t->dtype));
    tide_tensor_fill(t, v);
    lua_settop(L, 1);
    return 1;
}

static int cast_to(lua_State *L, tide_dtype dt, const char *fn)
{
    tide_tensor *t = lt_check_tensor(L, 1, fn);
    return lt_push_tensor(L, tide_ag_cast(t, dt), fn);
}

static int m_cast(lua_State *L)
{
    lt_check_tensor(L, 1, "cast");
    if (lua_isnoneornil(L, 2)) lt_errorf(L, "cast: missing dtype (\"f32\", \"i32\", \"i64\")");
    return cast_to(L, lt_opt_dtype(L, 2, TIDE_F32, "cast"), "cast");
}
static int m_float(lua_State *L) { return cast_to(L, TIDE_F32, "float"); }
static int m_int(lua_State *L) { return cast_to(L, TIDE_I32, "int"); }
static int m_long(lua_State *L) { return cast_to(L, TIDE_I64, "long"); }

/* fill_uniform/normal in place from the default generator (for initialisers) */
static int m_uniform_(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "uniform_");
    if (tide_rng_fill_uniform(NULL, t, luaL_optnumber(L, 2, 0), luaL_optnumber(L, 3, 1)) != TIDE_OK)
        return lt_error(L, "uniform_");
    lua_settop(L, 1);
    return 1;
}

static int m_normal_(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "normal_");
    if (tide_rng_fill_normal(NULL, t, luaL_optnumber(L, 2, 0), luaL_optnumber(L, 3, 1)) != TIDE_OK)
        return lt_error(L, "normal_");
    lua_settop(L, 1);
    return 1;
}

const luaL_Reg lt_tensor_methods_core[] = {
    {"shape", m_shape},         {"size", m_size},       {"numel", m_numel},
    {"dim", m_dim},             {"dtype", m_dtype},     {"strides", m_strides},
    {"is_contiguous", m_is_contiguous},
    {"get", m_get},             {"set", m_set},         {"item", m_item},
    {"totable", m_totable},     {"free", m_free},       {"view", m_view},
    {"reshape", m_reshape},     {"transpose", m_transpose}, {"t", m_transpose},
    {"permute", m_permute},     {"narrow", m_narrow},   {"select", m_select},
    {"expand", m_expand},       {"expand_as", m_expand_as}, {"squeeze", m_squeeze},
    {"unsqueeze", m_unsqueeze}, {"contiguous", m_contiguous}, {"clone", m_clone},
    {"copy", m_copy},           {"fill", m_fill},       {"cast", m_cast},
    {"float", m_float},         {"int", m_int},         {"long", m_long},
    {"uniform_", m_uniform_},   {"normal_", m_normal_},
    {NULL, NULL}};

static const luaL_Reg module_funcs[] = {
    {"zeros", l_zeros},   {"ones", l_ones},         {"full", l_full},
    {"arange", l_arange}, {"eye", l_eye},           {"fromtable", l_fromtable},
    {"tensor", l_fromtable}, {"rand", l_rand},      {"randn", l_randn},
    {"uniform", l_uniform}, {"manual_seed", l_manual_seed}, {"memory", l_memory}, {"is_tensor", l_is_tensor},
    {NULL, NULL}};

int lt_open_tensor(lua_State *L)
{
    if (luaL_newmetatable(L, LT_TENSOR_MT)) {
        lua_newtable(L); /* __index: all methods */
        lt_register(L, lt_tensor_methods_core);
        lt_register(L, lt_tensor_methods_ops);
        lt_register(L, lt_tensor_methods_autograd);
        lua_setfield(L, -2, "__index");
        lt_register(L, lt_tensor_meta_ops);
        lua_pushcfunction(L, m_free);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, m_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushcfunction(L, m_len);
        lua_setfield(L, -2, "__len");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lt_register(L, module_funcs);
    lt_register(L, lt_tensor_funcs_ops);
    /* the method table doubles as T.methods, so Lua code can add methods */
    luaL_getmetatable(L, LT_TENSOR_MT);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -3, "methods");
    lua_pop(L, 1);
    return 1;
}
