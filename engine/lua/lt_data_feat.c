/* lt_data_feat.c — Lua binding of the per-user feature kernels (engine/features.c). */
#include "lt_data.h"

const luaL_Reg lt_data_feat_funcs[] = {{NULL, NULL}};
