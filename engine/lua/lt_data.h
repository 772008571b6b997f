/* lt_data.h — shared pieces of the data bindings (lt_data*.c). */
#ifndef TIDE_LT_DATA_H
#define TIDE_LT_DATA_H

#include "intern.h"
#include "lt.h"

#define LT_INTERN_MT "tide.Interner"

typedef struct {
    tide_intern *in;
} lt_intern_ud;

/* The interner at idx, or a Lua error naming fn. */
tide_intern *lt_check_intern(lua_State *L, int idx, const char *fn);
/* Pushes a userdata that takes over `in` (raises the engine error if in == NULL). */
int lt_push_intern(lua_State *L, tide_intern *in, const char *fn);

extern const luaL_Reg lt_data_seq_funcs[];   /* lt_data_seq.c */
extern const luaL_Reg lt_data_ds_funcs[];    /* lt_data_ds.c */
extern const luaL_Reg lt_data_feat_funcs[];  /* lt_data_feat.c */

#endif
