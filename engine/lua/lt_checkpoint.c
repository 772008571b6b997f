/* lt_checkpoint.c — Lua binding for checkpoint.c (require("tide").core.checkpoint).
 *
 *   save(path, tensors, meta)  tensors: {name = tensor}; meta: {key = number|string} or nil.
 *                              Tensors and metadata are written in name order, so the
 *                              same content always gives the same bytes.
 *   load(path) -> tensors, meta
 *   save_bytes(tensors, meta [, name]) -> string   the exact bytes save(path, ...) writes
 *   load_bytes(string [, name]) -> tensors, meta   errors name `name` instead of a path
 *
 * All argument checks happen before the engine is called; scratch arrays are Lua userdata
 * and the strings stay anchored in the argument tables, so a Lua error leaks nothing. */
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "lt.h"
#include "lt_bytes.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const tide_ckpt_meta *)a)->key, ((const tide_ckpt_meta *)b)->key);
}

static int count_keys(lua_State *L, int idx)
{
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) n++, lua_pop(L, 1);
    return n;
}

/* The checked, name-sorted arguments of save / save_bytes. */
typedef struct {
    int n, nmeta;
    const char **names;
    tide_tensor **ts;
    tide_ckpt_meta *meta;
} save_args;

/* Reads the tensor table at ti and the metadata table (or nil) at mi; every check happens
 * here, before the engine is called. Scratch arrays are userdata pushed on the stack. */
static void collect(lua_State *L, int ti, int mi, const char *fn, save_args *a)
{
    int n = count_keys(L, ti);
    const char **names = lua_newuserdata(L, (size_t)(n ? n : 1) * sizeof *names);
    int i = 0;
    lua_pushnil(L);
    while (lua_next(L, ti)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            lt_errorf(L, "%s: tensor names must be strings, got a %s key", fn, luaL_typename(L, -2));
        if (!lt_is_tensor(L, -1))
            lt_errorf(L, "%s: '%s' is not a tensor (got %s)", fn, lua_tostring(L, -2), luaL_typename(L, -1));
        if (!((lt_tensor_ud *)lua_touserdata(L, -1))->t)
            lt_errorf(L, "%s: '%s' is a freed tensor", fn, lua_tostring(L, -2));
        names[i++] = lua_tostring(L, -2);
        lua_pop(L, 1);
    }
    qsort(names, (size_t)n, sizeof *names, by_name);
    tide_tensor **ts = lua_newuserdata(L, (size_t)(n ? n : 1) * sizeof *ts);
    for (i = 0; i < n; i++) {
        lua_getfield(L, ti, names[i]);
        ts[i] = ((lt_tensor_ud *)lua_touserdata(L, -1))->t; /* checked above */
        lua_pop(L, 1);
    }
    int nmeta = lua_isnil(L, mi) ? 0 : count_keys(L, mi);
    tide_ckpt_meta *meta = lua_newuserdata(L, (size_t)(nmeta ? nmeta : 1) * sizeof *meta);
    i = 0;
    if (nmeta) {
        lua_pushnil(L);
        while (lua_next(L, mi)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                lt_errorf(L, "%s: metadata keys must be strings, got a %s key", fn, luaL_typename(L, -2));
            tide_ckpt_meta *m = &meta[i++];
            memset(m, 0, sizeof *m);
            m->key = (char *)lua_tostring(L, -2);
            if (lua_type(L, -1) == LUA_TNUMBER) m->num = lua_tonumber(L, -1);
            else if (lua_type(L, -1) == LUA_TSTRING) m->is_string = 1, m->str = (char *)lua_tostring(L, -1);
            else
                lt_errorf(L, "%s: metadata '%s' must be a number or a string, got %s", fn, m->key,
                          luaL_typename(L, -1));
            lua_pop(L, 1);
        }
    }
    qsort(meta, (size_t)nmeta, sizeof *meta, by_key);
    *a = (save_args){n, nmeta, names, ts, meta};
}

static int l_save(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    save_args a;
    collect(L, 2, 3, "checkpoint.save", &a);
    if (tide_checkpoint_save(path, a.n, a.names, a.ts, a.nmeta, a.meta) != TIDE_OK)
        return lt_error(L, "checkpoint.save");
    return 0;
}

/* save_bytes(tensors, meta [, name]) -> the string save(path, ...) would write */
static int l_save_bytes(lua_State *L)
{
    const char *fn = "checkpoint.save_bytes";
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
    const char *name = luaL_optstring(L, 3, "(memory)");
    lua_settop(L, 3);
    save_args a;
    collect(L, 1, 2, fn, &a);
    void **box = lt_bytes_box(L);
    size_t n;
    if (tide_checkpoint_encode(name, a.n, a.names, a.ts, a.nmeta, a.meta, (uint8_t **)box, &n) != TIDE_OK)
        return lt_error(L, fn);
    lt_bytes_push(L, box, n);
    return 1;
}

/* tensors {name = tensor}, meta {key = value} from a parsed checkpoint (which is freed) */
static int push_checkpoint(lua_State *L, tide_checkpoint *c, const char *fn)
{
    if (!c) return lt_error(L, fn);
    /* move everything into Lua values first; lt_push_tensor cannot fail for a non-NULL tensor */
    lua_createtable(L, 0, c->n);
    for (int i = 0; i < c->n; i++) {
        lt_push_tensor(L, c->tensors[i], fn);
        c->tensors[i] = NULL; /* the userdata owns it now */
        lua_setfield(L, -2, c->names[i]);
    }
    lua_createtable(L, 0, c->nmeta);
    for (int i = 0; i < c->nmeta; i++) {
        if (c->meta[i].is_string) lua_pushstring(L, c->meta[i].str);
        else lua_pushnumber(L, c->meta[i].num);
        lua_setfield(L, -2, c->meta[i].key);
    }
    tide_checkpoint_free(c);
    return 2;
}

static int l_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    return push_checkpoint(L, tide_checkpoint_load(path), "checkpoint.load");
}

/* load_bytes(bytes [, name]) -> tensors, meta; errors name `name` */
static int l_load_bytes(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, "(memory)");
    return push_checkpoint(L, tide_checkpoint_parse(s, n, name), "checkpoint.load_bytes");
}

static const luaL_Reg funcs[] = {{"save", l_save},
                                  {"load", l_load},
                                  {"save_bytes", l_save_bytes},
                                  {"load_bytes", l_load_bytes},
                                  {NULL, NULL}};

int lt_open_checkpoint(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
