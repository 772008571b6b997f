/* core.c — luaopen_tide_core: the native half of `require "tide"`. Returns a table with one
 * sub-table per native module; lua/tide/init.lua exposes them with the Lua halves. */
#include <malloc.h>
#include <stdlib.h>

#include "lt.h"

static const struct {
    const char *name;
    int (*open)(lua_State *L);
} modules[] = {
    {"tensor", lt_open_tensor},   {"nn", lt_open_nn},         {"optim", lt_open_optim},
    {"checkpoint", lt_open_checkpoint}, {"data", lt_open_data}, {"sim", lt_open_sim},
    {"text", lt_open_text},       {"decay", lt_open_decay},   {"metrics", lt_open_metrics},
    {"io", lt_open_io},           {"autograd", lt_open_autograd}, {"sgns", lt_open_sgns},
    {"glm", lt_open_glm},
    {"clv", lt_open_clv}, {"arima", lt_open_arima},
    {"ab", lt_open_ab},
    {"gbdt", lt_open_gbdt},
    {"linear", lt_open_linear},
    {"privacy", lt_open_privacy}, {"config", lt_open_config},
    {"quant", lt_open_quant},
    {"seqrec", lt_open_seqrec},
};

/* Tensor buffers of tens of MB are freed and re-allocated every step. glibc serves them with
 * fresh mmaps (its mmap threshold is capped at 32 MB), so each one page-faults in again: a
 * 64 MB matmul result cost more than the sgemm. Serving everything from the heap and not
 * trimming it makes freed buffers reusable, the way framework caching allocators do.
 * TIDE_MALLOC_DEFAULT=1 keeps glibc's defaults. */
static void tune_allocator(void)
{
    const char *keep = getenv("TIDE_MALLOC_DEFAULT");
    if (keep && *keep && *keep != '0') return;
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

static int open_core(lua_State *L)
{
    tune_allocator();
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
