/* lt_config.c — core.config: the engine's allocation limits (limit.h) from Lua.
 *   get(name) -> number (0 = unlimited);  set(name, n)  with name "max_tensor_bytes" | "max_rows" */
#include <math.h>
#include <string.h>

#include "limit.h"
#include "lt.h"

static tide_limit check_name(lua_State *L, int idx, const char *fn)
{
    const char *nm = luaL_checkstring(L, idx);
    for (int i = 0; i < TIDE_LIMIT_COUNT; i++)
        if (!strcmp(nm, tide_limit_name((tide_limit)i))) return (tide_limit)i;
    lt_errorf(L, "%s: unknown limit '%s' (max_tensor_bytes, max_rows)", fn, nm);
    return TIDE_LIMIT_COUNT;
}

static int l_get(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)tide_limit_get(check_name(L, 1, "config.get")));
    return 1;
}

static int l_set(lua_State *L)
{
    tide_limit w = check_name(L, 1, "config.set");
    double v = luaL_checknumber(L, 2);
    if (!(v >= 0) || v > 1.8e19 || v != floor(v))
        lt_errorf(L, "config.set: %s must be an integer >= 0 (0 = no limit), got %g", tide_limit_name(w), v);
    tide_limit_set(w, (uint64_t)v);
    return 0;
}

int lt_open_config(lua_State *L)
{
    static const luaL_Reg f[] = {{"get", l_get}, {"set", l_set}, {NULL, NULL}};
    lua_newtable(L);
    lt_register(L, f);
    return 1;
}
