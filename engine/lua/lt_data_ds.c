/* lt_data_ds.c — Lua binding of the prepared-dataset file (engine/dataset.c).
 *
 *   ds_write(path, {{name = "user", tensor = t}, {name = "meta", bytes = "..."}, ...})
 *   ds_read(path) -> {name = tensor or string, ...} */
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "lt_data.h"

static int l_ds_write(lua_State *L)
{
    const char *fn = "ds_write";
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int n = (int)lua_objlen(L, 2);
    tide_ds_entry *e = lua_newuserdata(L, sizeof *e * (size_t)(n ? n : 1));
    memset(e, 0, sizeof *e * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 2, i + 1); /* stays on the stack: anchors the name and bytes */
        int s = lua_gettop(L);
        if (!lua_istable(L, s)) lt_errorf(L, "%s: entry %d must be a table", fn, i + 1);
        lua_getfield(L, s, "name");
        e[i].name = (char *)lua_tostring(L, -1);
        if (!e[i].name) lt_errorf(L, "%s: entry %d has no name", fn, i + 1);
        lua_getfield(L, s, "tensor");
        if (!lua_isnil(L, -1)) {
            e[i].t = lt_check_tensor(L, lua_gettop(L), fn);
            if (!tide_tensor_is_contiguous(e[i].t)) lt_errorf(L, "%s: entry '%s' must be contiguous", fn, e[i].name);
            e[i].kind = e[i].t->dtype == TIDE_F32 ? TIDE_DS_F32 : e[i].t->dtype == TIDE_I32 ? TIDE_DS_I32 : TIDE_DS_I64;
        } else {
            lua_getfield(L, s, "bytes");
            size_t len;
            const char *b = lua_tolstring(L, -1, &len);
            if (!b) lt_errorf(L, "%s: entry '%s' needs a tensor or bytes", fn, e[i].name);
            e[i].kind = TIDE_DS_BYTES;
            e[i].bytes = (char *)b;
            e[i].nbytes = len;
        }
    }
    if (tide_dataset_write(path, e, n) != TIDE_OK) return lt_error(L, fn);
    return 0;
}

static int l_ds_read(lua_State *L)
{
    const char *fn = "ds_read";
    const char *path = luaL_checkstring(L, 1);
    tide_ds_entry *e;
    int n;
    if (tide_dataset_read(path, &e, &n) != TIDE_OK) return lt_error(L, fn);
    /* checkstack before pushing so no Lua error can strand the entries */
    if (!lua_checkstack(L, 8)) {
        tide_dataset_free(e, n);
        return lt_errorf(L, "%s: Lua stack exhausted", fn);
    }
    lua_createtable(L, 0, n);
    for (int i = 0; i < n; i++) {
        if (e[i].kind == TIDE_DS_BYTES) lua_pushlstring(L, e[i].bytes, e[i].nbytes);
        else {
            lt_push_tensor(L, e[i].t, fn); /* takes over the reference */
            e[i].t = NULL;
        }
        lua_setfield(L, -2, e[i].name);
    }
    tide_dataset_free(e, n);
    return 1;
}

const luaL_Reg lt_data_ds_funcs[] = {{"ds_write", l_ds_write}, {"ds_read", l_ds_read}, {NULL, NULL}};
