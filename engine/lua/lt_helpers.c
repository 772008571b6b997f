/* lt_helpers.c — the shared argument checkers and result pushers declared in lt.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lt.h"

void lt_register(lua_State *L, const luaL_Reg *l)
{
    for (; l && l->name; l++) {
        lua_pushcfunction(L, l->func);
        lua_setfield(L, -2, l->name);
    }
}

void lt_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction gc)
{
    if (luaL_newmetatable(L, mt)) {
        lua_newtable(L);
        lt_register(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
}

int lt_errorf(lua_State *L, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    luaL_where(L, 1);
    lua_pushstring(L, buf);
    lua_concat(L, 2);
    return lua_error(L);
}

int lt_error(lua_State *L, const char *fn)
{
    const char *msg = tide_error();
    size_t n = fn ? strlen(fn) : 0;
    if (fn && !(strncmp(msg, fn, n) == 0 && msg[n] == ':'))
        return lt_errorf(L, "%s: %s", fn, msg[0] ? msg : "failed");
    return lt_errorf(L, "%s", msg[0] ? msg : "failed");
}

tide_tensor *lt_opt_tensor(lua_State *L, int idx, const char *fn)
{
    if (lua_isnoneornil(L, idx)) return NULL;
    return lt_check_tensor(L, idx, fn);
}

tide_tensor *lt_check_tensor(lua_State *L, int idx, const char *fn)
{
    lt_tensor_ud *ud = lua_touserdata(L, idx);
    if (ud && lua_getmetatable(L, idx)) {
        luaL_getmetatable(L, LT_TENSOR_MT);
        int same = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (same) {
            if (!ud->t) lt_errorf(L, "%s: argument #%d is a freed tensor", fn, idx);
            return ud->t;
        }
    }
    lt_errorf(L, "%s: argument #%d: expected tensor, got %s", fn, idx, luaL_typename(L, idx));
    return NULL;
}

int lt_is_tensor(lua_State *L, int idx)
{
    if (!lua_touserdata(L, idx) || !lua_getmetatable(L, idx)) return 0;
    luaL_getmetatable(L, LT_TENSOR_MT);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

tide_tensor *lt_to_tensor(lua_State *L, int idx, const char *fn)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        tide_tensor *t = tide_tensor_scalar(TIDE_F32, lua_tonumber(L, idx));
        if (!t) lt_error(L, fn);
        return t;
    }
    return tide_tensor_retain(lt_check_tensor(L, idx, fn));
}

/* Bytes of fresh tensor storage handed to Lua since the last GC step. Lua 5.1 cannot be told
 * about external memory, so big allocations advance the collector explicitly; otherwise a
 * loop creating large temporaries would hold gigabytes of dead tensors. */
static size_t pending_bytes;

void lt_check_ids_offsets(lua_State *L, const char *fn, tide_tensor **ids, tide_tensor **off)
{
    *ids = lt_check_tensor(L, 1, fn);
    *off = lt_check_tensor(L, 2, fn);
    if ((*ids)->dtype != TIDE_I32 || (*off)->dtype != TIDE_I64 || (*ids)->ndim != 1 || (*off)->ndim != 1 ||
        !tide_tensor_is_contiguous(*ids) || !tide_tensor_is_contiguous(*off))
        lt_errorf(L, "%s: expected contiguous i32 ids and i64 offsets", fn);
}

double lt_opt_number(lua_State *L, int idx, const char *fn, const char *key, double def)
{
    if (!lua_istable(L, idx)) return def;
    lua_getfield(L, idx, key);
    double v = def;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TNUMBER)
            lt_errorf(L, "%s: opts.%s must be a number, got %s", fn, key, luaL_typename(L, -1));
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

void lt_push_doubles(lua_State *L, const double *v, int64_t n)
{
    lua_createtable(L, (int)n, 0);
    for (int64_t i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
}

int lt_push_tensor(lua_State *L, tide_tensor *t, const char *fn)
{
    if (!t) return lt_error(L, fn);
    lt_tensor_ud *ud = lua_newuserdata(L, sizeof *ud);
    ud->t = t;
    luaL_getmetatable(L, LT_TENSOR_MT);
    lua_setmetatable(L, -2);
    if (t->storage->refcount == 1) {
        pending_bytes += t->storage->nbytes;
        if (pending_bytes > ((size_t)64 << 20)) {
            int kb = (int)(pending_bytes >> 10);
            pending_bytes = 0;
            lua_gc(L, LUA_GCSTEP, kb);
        }
    }
    return 1;
}

int64_t lt_check_int(lua_State *L, int idx, const char *fn, const char *what)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        lt_errorf(L, "%s: %s (argument #%d) must be an integer, got %s", fn, what, idx,
                   luaL_typename(L, idx));
    double v = lua_tonumber(L, idx);
    if (v != floor(v) || fabs(v) > 9.007199254740992e15)
        lt_errorf(L, "%s: %s (argument #%d) must be an integer, got %g", fn, what, idx, v);
    return (int64_t)v;
}

int lt_check_dim(lua_State *L, int idx, int ndim, const char *fn)
{
    int64_t d = lt_check_int(L, idx, fn, "dim");
    if (d >= 1 && d <= ndim) return (int)(d - 1);
    if (d < 0 && d >= -ndim) return (int)(ndim + d);
    lt_errorf(L, "%s: dim %d out of range for a %d-dim tensor (dims are 1-based)", fn, (int)d,
               ndim);
    return -1;
}

static int64_t shape_entry(lua_State *L, int idx, const char *fn, int i)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        lt_errorf(L, "%s: shape entry %d must be an integer, got %s", fn, i, luaL_typename(L, idx));
    double v = lua_tonumber(L, idx);
    if (v != floor(v) || v < -1 || v > 9.007199254740992e15)
        lt_errorf(L, "%s: shape entry %d must be a non-negative integer, got %g", fn, i, v);
    return (int64_t)v;
}

int lt_check_shape(lua_State *L, int idx, int64_t *shape, const char *fn)
{
    int n = 0;
    if (lua_istable(L, idx)) {
        n = (int)lua_objlen(L, idx);
        if (n > TIDE_MAX_DIMS) lt_errorf(L, "%s: %d dims given, at most %d", fn, n, TIDE_MAX_DIMS);
        for (int i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            shape[i - 1] = shape_entry(L, -1, fn, i);
            lua_pop(L, 1);
        }
        return n;
    }
    int top = lua_gettop(L);
    for (int i = idx; i <= top && lua_type(L, i) == LUA_TNUMBER; i++) {
        if (n >= TIDE_MAX_DIMS) lt_errorf(L, "%s: more than %d dims given", fn, TIDE_MAX_DIMS);
        shape[n] = shape_entry(L, i, fn, n + 1);
        n++;
    }
    if (n == 0 && !lua_isnoneornil(L, idx) && lua_type(L, idx) != LUA_TSTRING)
        lt_errorf(L, "%s: expected a shape (table or integers), got %s", fn, luaL_typename(L, idx));
    return n;
}

int64_t lt_check_strings(lua_State *L, int idx, const char *fn, const char *what)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        lt_errorf(L, "%s: %s (argument #%d) must be a table of strings, got %s", fn, what, idx,
                  luaL_typename(L, idx));
    int64_t n = (int64_t)lua_objlen(L, idx);
    for (int64_t i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, (int)i);
        if (lua_type(L, -1) != LUA_TSTRING)
            lt_errorf(L, "%s: %s[%d] is %s, expected string", fn, what, (int)i, luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    return n;
}

tide_dtype lt_opt_dtype(lua_State *L, int idx, tide_dtype def, const char *fn)
{
    if (lua_isnoneornil(L, idx)) return def;
    if (lua_type(L, idx) != LUA_TSTRING)
        lt_errorf(L, "%s: dtype must be a string (\"f32\", \"i32\", \"i64\"), got %s", fn,
                   luaL_typename(L, idx));
    const char *s = lua_tostring(L, idx);
    if (!strcmp(s, "f32") || !strcmp(s, "float")) return TIDE_F32;
    if (!strcmp(s, "i32") || !strcmp(s, "int")) return TIDE_I32;
    if (!strcmp(s, "i64") || !strcmp(s, "long")) return TIDE_I64;
    lt_errorf(L, "%s: unknown dtype '%s' (use \"f32\", \"i32\" or \"i64\")", fn, s);
    return def;
}
