/* lt_checkpoint.c — Lua binding for the checkpoint module (placeholder table until the module lands). */
#include "lt.h"

static const luaL_Reg funcs[] = {{NULL, NULL}};

int lt_open_checkpoint(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
