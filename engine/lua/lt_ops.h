/* lt_ops.h — internal to the ops bindings (lt_ops*.c): shared argument helpers and the
 * methods that lt_ops.c lists in lt_tensor_methods_ops (one flat table, see lt.h). */
#ifndef TIDE_LT_OPS_H
#define TIDE_LT_OPS_H

#include "lt.h"

/* lt_ops_reduce.c: reductions and matmul */
int lt_m_sum(lua_State *L);
int lt_m_mean(lua_State *L);
int lt_m_max(lua_State *L);
int lt_m_min(lua_State *L);
int lt_m_argmax(lua_State *L);
int lt_m_argmin(lua_State *L);
int lt_m_var(lua_State *L);
int lt_m_std(lua_State *L);
int lt_m_logsumexp(lua_State *L);
int lt_m_prod(lua_State *L);
int lt_ops_matmul(lua_State *L);
/* lt_ops_index.c: indexing, sorting, scans, concatenation */
int lt_m_gather(lua_State *L);
int lt_m_scatter_add(lua_State *L);
int lt_m_scatter_add_(lua_State *L);
int lt_m_index_select(lua_State *L);
int lt_m_index_add(lua_State *L);
int lt_m_index_add_(lua_State *L);
int lt_m_masked_fill(lua_State *L);
int lt_m_topk(lua_State *L);
int lt_m_sort(lua_State *L);
int lt_m_argsort(lua_State *L);
int lt_m_cumsum(lua_State *L);
int lt_ops_cat(lua_State *L);
int lt_ops_stack(lua_State *L);

/* Optional boolean at idx (nil -> def), with a clear error for other types. */
int lt_opt_bool(lua_State *L, int idx, int def, const char *fn, const char *what);
/* Adds 1 to every element of a fresh contiguous i64 tensor (0-based -> 1-based indices). */
void lt_one_based(tide_tensor *t);

#endif
