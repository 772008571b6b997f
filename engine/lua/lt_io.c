/* lt_io.c — small system helpers for Lua code: atomic whole-file writes (reports, JSON
 * summaries, CSV outputs), whole-file reads through the CSV reader's input (gzip inflated by
 * zlib, so a truncated or corrupt file is an error: `gzip -dc` through io.popen lost the
 * rest of the file silently, since LuaJIT's popen:close reports no exit status) and clocks
 * for timing (os.clock is process CPU time only).
 *   tide.core.io.write_atomic(path, string)
 *   tide.core.io.read_all(path) -> string (plain, gzip, a pipe or /dev/stdin)
 *   tide.core.io.wall() -> monotonic seconds;  tide.core.io.cpu() -> process CPU seconds */
#include <time.h>

#include "atomic_file.h"
#include "csv_internal.h"
#include "error.h"
#include "lt.h"

static int push_clock(lua_State *L, clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
    return 1;
}

static int l_wall(lua_State *L) { return push_clock(L, CLOCK_MONOTONIC); }
static int l_cpu(lua_State *L) { return push_clock(L, CLOCK_PROCESS_CPUTIME_ID); }

static int l_write_atomic(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    if (tide_write_file_atomic(path, s, n) != TIDE_OK) return lt_error(L, "write_atomic");
    lua_pushboolean(L, 1);
    return 1;
}

static int l_read_all(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    tide_csv_src src;
    if (tide_csv_src_open(&src, path) != TIDE_OK) return lt_error(L, "read_all");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (;;) {
        char *buf = luaL_prepbuffer(&b);
        int64_t r = tide_csv_src_read(&src, buf, LUAL_BUFFERSIZE, path);
        if (r < 0) {
            tide_csv_src_close(&src);
            return lt_error(L, "read_all");
        }
        if (r == 0) break;
        luaL_addsize(&b, (size_t)r);
    }
    tide_csv_src_close(&src);
    luaL_pushresult(&b);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"write_atomic", l_write_atomic}, {"read_all", l_read_all}, {"wall", l_wall}, {"cpu", l_cpu}, {NULL, NULL}};

int lt_open_io(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
