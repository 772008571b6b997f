/* lt_args.h — argument converters shared by the decay and metrics bindings.
 *
 * Every temporary lives in memory owned by the Lua stack (a userdata or a tensor userdata
 * pushed by the converter), so a later luaL_error cannot leak it: the binding can check and
 * convert arguments in any order and still never longjmp over an owned C allocation.
 * Ids are 1-based in Lua and 0-based in the engine; the converters shift them. */
#ifndef TIDE_LT_ARGS_H
#define TIDE_LT_ARGS_H

#include <math.h>
#include <string.h>

#include "decay.h"
#include "lt.h"

/* GC-owned scratch buffer of `bytes` (pushed on the stack). */
static inline void *la_scratch(lua_State *L, size_t bytes)
{
    return lua_newuserdata(L, bytes ? bytes : 1);
}

/* Contiguous tensor of dtype dt: the argument itself, or a converted copy anchored on the
 * stack. ndim_want < 0: any rank. */
static inline tide_tensor *la_tensor(lua_State *L, int idx, tide_dtype dt, int ndim_want, const char *fn,
                                     const char *what)
{
    if (!lt_is_tensor(L, idx))
        luaL_error(L, "%s: %s (argument #%d) must be a tensor, got %s", fn, what, idx, luaL_typename(L, idx));
    tide_tensor *t = lt_check_tensor(L, idx, fn);
    if (ndim_want >= 0 && t->ndim != ndim_want) {
        char b[64];
        luaL_error(L, "%s: %s must have %d dims, got shape %s", fn, what, ndim_want, tide_shape_str(t, b, sizeof b));
    }
    if (t->dtype == dt && tide_tensor_is_contiguous(t)) return t;
    tide_tensor *c = tide_tensor_cast(t, dt);
    lt_push_tensor(L, c, fn); /* raises if c == NULL */
    return c;
}

/* Doubles from a tensor (any dtype) or a Lua array of numbers, times `scale`. */
static inline double *la_doubles(lua_State *L, int idx, const char *fn, const char *what, int64_t *n, double scale)
{
    if (lua_istable(L, idx)) {
        int64_t m = (int64_t)lua_objlen(L, idx);
        double *d = la_scratch(L, (size_t)m * sizeof(double));
        for (int64_t i = 0; i < m; i++) {
            lua_rawgeti(L, idx, (int)(i + 1));
            if (lua_type(L, -1) != LUA_TNUMBER)
                luaL_error(L, "%s: %s[%d] must be a number, got %s", fn, what, (int)(i + 1), luaL_typename(L, -1));
            d[i] = lua_tonumber(L, -1) * scale;
            lua_pop(L, 1);
        }
        *n = m;
        return d;
    }
    if (!lt_is_tensor(L, idx))
        luaL_error(L, "%s: %s (argument #%d) must be a tensor or a table of numbers, got %s", fn, what, idx,
                   luaL_typename(L, idx));
    tide_tensor *t = lt_check_tensor(L, idx, fn);
    int64_t m = tide_tensor_numel(t);
    double *d = la_scratch(L, (size_t)m * sizeof(double));
    tide_iter it;
    tide_iter_init(&it, t);
    const char *base = (const char *)t->storage->data;
    for (int64_t i = 0; i < m; i++, tide_iter_next(&it)) {
        switch (t->dtype) {
        case TIDE_F32: d[i] = ((const float *)base)[it.pos] * scale; break;
        case TIDE_I32: d[i] = ((const int32_t *)base)[it.pos] * scale; break;
        default: d[i] = (double)((const int64_t *)base)[it.pos] * scale; break;
        }
    }
    *n = m;
    return d;
}

/* 1-based ids (tensor of any integer-valued dtype) -> anchored 0-based int32 copy; checks the
 * range 1..maxid (maxid <= 0: only >= 1). */
static inline int32_t *la_ids0(lua_State *L, int idx, const char *fn, const char *what, int64_t *n, int64_t maxid)
{
    tide_tensor *t = la_tensor(L, idx, TIDE_I32, -1, fn, what);
    int64_t m = tide_tensor_numel(t);
    const int32_t *s = tide_i32(t);
    int32_t *d = la_scratch(L, (size_t)m * sizeof(int32_t));
    for (int64_t i = 0; i < m; i++) {
        if (s[i] < 1 || (maxid > 0 && s[i] > maxid))
            luaL_error(L, "%s: %s[%d] = %d is outside 1..%d", fn, what, (int)(i + 1), s[i], (int)maxid);
        d[i] = s[i] - 1;
    }
    *n = m;
    return d;
}

/* CSR offsets (i64 tensor [G+1], 0-based, non-decreasing, last == n_expected if >= 0). */
static inline int64_t *la_offsets(lua_State *L, int idx, const char *fn, const char *what, int64_t *G,
                                  int64_t n_expected)
{
    tide_tensor *t = la_tensor(L, idx, TIDE_I64, 1, fn, what);
    int64_t m = tide_tensor_numel(t);
    int64_t *o = tide_i64(t);
    if (m < 1) luaL_error(L, "%s: %s must have at least one entry", fn, what);
    if (o[0] != 0) luaL_error(L, "%s: %s must start at 0, got %d", fn, what, (int)o[0]);
    for (int64_t i = 1; i < m; i++)
        if (o[i] < o[i - 1]) luaL_error(L, "%s: %s decreases at entry %d", fn, what, (int)(i + 1));
    if (n_expected >= 0 && o[m - 1] != n_expected)
        luaL_error(L, "%s: %s ends at %d but there are %d rows", fn, what, (int)o[m - 1], (int)n_expected);
    *G = m - 1;
    return o;
}

/* Optional number field of the table at idx. */
static inline double la_optfield(lua_State *L, int idx, const char *key, double def)
{
    if (!lua_istable(L, idx)) return def;
    lua_getfield(L, idx, key);
    double v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : def;
    lua_pop(L, 1);
    return v;
}

/* Decay family by name (argument idx); raises with the engine's message if unknown. */
static inline tide_decay_family la_family(lua_State *L, int idx, const char *fn)
{
    const char *name = luaL_checkstring(L, idx);
    int f = tide_decay_lookup(name);
    if (f < 0) lt_error(L, fn);
    return (tide_decay_family)f;
}

/* Mixture size (argument idx, default 2), checked for the mixture family. */
static inline int la_mixture_k(lua_State *L, int idx, tide_decay_family fam, const char *fn)
{
    int k = (int)luaL_optinteger(L, idx, 2);
    if (fam == TIDE_DECAY_MIXEXP && (k < 1 || k > 16)) lt_errorf(L, "%s: mixture components must be 1..16, got %d", fn, k);
    return k;
}

/* New tensor from a C buffer (copied), pushed. */
static inline void la_push_copy(lua_State *L, tide_dtype dt, int ndim, const int64_t *shape, const void *data,
                                const char *fn)
{
    lt_push_tensor(L, tide_tensor_from_data(dt, ndim, shape, data), fn);
}

#endif
