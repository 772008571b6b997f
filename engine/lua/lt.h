/* lt.h — shared helpers for the Lua bindings (the only place besides engine/lua/ sources that
 * sees lua.h). One way to check a tensor argument, one way to push a result, one way to turn
 * an engine error into a Lua error.
 *
 * Binding rule: check every argument BEFORE allocating engine memory; if an engine call
 * fails, release what you own, then call lt_error (which longjmps). */
#ifndef TIDE_LT_H
#define TIDE_LT_H

#include <lauxlib.h>
#include <lua.h>

#include "tensor.h"

#define LT_TENSOR_MT "tide.Tensor"

/* Userdata payload: one owned reference (NULL after :free()). */
typedef struct {
    tide_tensor *t;
} lt_tensor_ud;

/* The tensor at idx, or a Lua error "fn: argument #idx: expected tensor, got <type>". */
tide_tensor *lt_check_tensor(lua_State *L, int idx, const char *fn);
/* True if the value at idx is a tensor userdata (even a freed one). */
int lt_is_tensor(lua_State *L, int idx);
/* Tensor at idx, or NULL if nil/none. Errors on a non-tensor. */
tide_tensor *lt_opt_tensor(lua_State *L, int idx, const char *fn);
/* Tensor at idx; a Lua number becomes a 0-dim f32 tensor. Result is a NEW reference. */
tide_tensor *lt_to_tensor(lua_State *L, int idx, const char *fn);
/* Pushes a tensor userdata that TAKES OVER the reference t. If t is NULL, raises the engine
 * error instead (prefixed with fn). */
int lt_push_tensor(lua_State *L, tide_tensor *t, const char *fn);
/* Pushes a new Lua array {v[0], ..., v[n-1]} of numbers. */
void lt_push_doubles(lua_State *L, const double *v, int64_t n);
/* Arguments 1 and 2 as contiguous 1-D i32 ids and i64 offsets (core.text.ids output); a Lua
 * error naming fn otherwise. */
void lt_check_ids_offsets(lua_State *L, const char *fn, tide_tensor **ids, tide_tensor **off);
/* opts[key] of the options table at idx: def when the table or the key is absent, a Lua error
 * "<fn>: opts.<key> must be a number" when it holds anything else. */
double lt_opt_number(lua_State *L, int idx, const char *fn, const char *key, double def);
/* luaL_error with full printf formats (Lua's own formatter knows only %s %d %f %p %c, so
 * %lld or %g there print '?'). Use this for every binding error. Never returns. */
int lt_errorf(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Raises tide_error() as a Lua error, prefixed with fn unless already prefixed. Never returns. */
int lt_error(lua_State *L, const char *fn);

/* Shape from a table {2,3} or from integer arguments starting at idx; returns ndim. */
int lt_check_shape(lua_State *L, int idx, int64_t *shape, const char *fn);
/* An integer argument, with a clear message for non-integers. */
int64_t lt_check_int(lua_State *L, int idx, const char *fn, const char *what);
/* A Lua 1-based dim (negative counts from the end) to a 0-based one for a tensor of ndim. */
int lt_check_dim(lua_State *L, int idx, int ndim, const char *fn);
/* Length of the Lua array of strings at idx, every entry checked before anything is
 * allocated ("fn: what[3] is number, expected string"). */
int64_t lt_check_strings(lua_State *L, int idx, const char *fn, const char *what);
/* Optional dtype name: "f32"|"float" / "i32"|"int" / "i64"|"long". */
tide_dtype lt_opt_dtype(lua_State *L, int idx, tide_dtype def, const char *fn);

/* Adds the functions of `l` to the table at the top of the stack. */
void lt_register(lua_State *L, const luaL_Reg *l);
/* Registers the metatable `mt` once: __index = the methods, __gc = gc (userdata classes). */
void lt_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction gc);

/* Method tables merged into the "tide.Tensor" metatable's __index, one per binding file. */
extern const luaL_Reg lt_tensor_methods_core[];     /* lt_tensor.c: views, get/set, copy */
extern const luaL_Reg lt_tensor_methods_ops[];      /* lt_ops.c: elementwise, reduce, matmul... */
extern const luaL_Reg lt_tensor_methods_autograd[]; /* lt_autograd.c: requires_grad, backward */
/* Metamethods (__add, __sub, __mul, __div, __unm, __pow, __eq is NOT overloaded) from lt_ops.c */
extern const luaL_Reg lt_tensor_meta_ops[];
/* Module-level functions from lt_ops.c (T.where, T.cat, T.stack, T.matmul ...) */
extern const luaL_Reg lt_tensor_funcs_ops[];

/* Module openers: each pushes one table. Called by luaopen_tide_core (core.c). */
int lt_open_tensor(lua_State *L);
int lt_open_nn(lua_State *L);
int lt_open_optim(lua_State *L);
int lt_open_checkpoint(lua_State *L);
int lt_open_data(lua_State *L);
int lt_open_sim(lua_State *L);
int lt_open_text(lua_State *L);
int lt_open_decay(lua_State *L);
int lt_open_metrics(lua_State *L);
int lt_open_io(lua_State *L);
int lt_open_autograd(lua_State *L);
int lt_open_sgns(lua_State *L);
int lt_open_glm(lua_State *L);
int lt_open_clv(lua_State *L);
int lt_open_arima(lua_State *L);
int lt_open_ab(lua_State *L);
int lt_open_gbdt(lua_State *L);
int lt_open_linear(lua_State *L);
int lt_open_privacy(lua_State *L);
int lt_open_config(lua_State *L);
int lt_open_quant(lua_State *L);
int lt_open_seqrec(lua_State *L);

#endif
