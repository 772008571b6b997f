/* core.c — luaopen_tide_core: the native half of `require "tide"`. Returns a table with one
 * sub-table per native module; lua/tide/init.lua exposes them with the Lua halves. */
#include "lt.h"

static const struct {
    const char *name;
    int (*open)(lua_State *L);
} modules[] = {
    {"tensor", lt_open_tensor},   {"nn", lt_open_nn},         {"optim", lt_open_optim},
    {"checkpoint", lt_open_checkpoint}, {"data", lt_open_data}, {"sim", lt_open_sim},
    {"text", lt_open_text},       {"decay", lt_open_decay},   {"metrics", lt_open_metrics},
    {"io", lt_open_io},
};

static int open_core(lua_State *L)
{
    lua_newtable(L);
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        modules[i].open(L);
        lua_setfield(L, -2, modules[i].name);
    }
    return 1;
}

int luaopen_tide_core(lua_State *L) { return open_core(L); }
/* the sanitizer build is loaded as tide.core_san */
int luaopen_tide_core_san(lua_State *L) { return open_core(L); }
