/* lt_optim.c — Lua binding for the optim module. Also carries the grad-mode functions of
 * lt_autograd.c as the sub-table `autograd` (core.c has no autograd slot). */
#include "lt.h"

extern const luaL_Reg lt_autograd_funcs[];

static const luaL_Reg funcs[] = {{NULL, NULL}};

int lt_open_optim(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    lua_newtable(L);
    lt_register(L, lt_autograd_funcs);
    lua_setfield(L, -2, "autograd");
    return 1;
}
