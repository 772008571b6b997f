/* lt_bytes.h — returning an engine-malloc'd byte buffer (a model file built in memory) to Lua
 * as a string without a leak if Lua raises while copying it: the buffer sits in a "box"
 * userdata whose __gc frees it, made BEFORE the engine allocates.
 *
 *   void **box = lt_bytes_box(L);            -- pushes the box
 *   *box = engine_encode(..., &n);           -- NULL: lt_error as usual (the box is empty)
 *   lt_bytes_push(L, box, n);                -- pushes the string, frees the buffer now
 *   return 1; */
#ifndef TIDE_LT_BYTES_H
#define TIDE_LT_BYTES_H

#include <stddef.h>

#include "lt.h"

void **lt_bytes_box(lua_State *L);
void lt_bytes_push(lua_State *L, void **box, size_t n);

#endif
