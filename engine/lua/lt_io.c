/* lt_io.c — small file helpers for Lua code: atomic whole-file writes (reports, JSON
 * summaries, CSV outputs). tide.core.io.write_atomic(path, string). */
#include "atomic_file.h"
#include "lt.h"

static int l_write_atomic(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    if (tide_write_file_atomic(path, s, n) != TIDE_OK) return lt_error(L, "write_atomic");
    lua_pushboolean(L, 1);
    return 1;
}

static const luaL_Reg funcs[] = {{"write_atomic", l_write_atomic}, {NULL, NULL}};

int lt_open_io(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
