/* lt_bytes.c — the buffer box of lt_bytes.h. */
#include "lt_bytes.h"

#include <stdlib.h>

#define BOX_MT "tide.BytesBox"

static int box_gc(lua_State *L)
{
    void **box = lua_touserdata(L, 1);
    free(*box);
    *box = NULL;
    return 0;
}

void **lt_bytes_box(lua_State *L)
{
    void **box = lua_newuserdata(L, sizeof *box);
    *box = NULL;
    if (luaL_newmetatable(L, BOX_MT)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return box;
}

void lt_bytes_push(lua_State *L, void **box, size_t n)
{
    lua_pushlstring(L, *box, n); /* may raise: __gc still frees the buffer */
    free(*box);
    *box = NULL;
}
