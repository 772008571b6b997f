/* lt_decay.c — Lua binding for the decay module (placeholder table until the module lands). */
#include "lt.h"

static const luaL_Reg funcs[] = {{NULL, NULL}};

int lt_open_decay(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
