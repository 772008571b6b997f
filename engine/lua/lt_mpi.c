/* lt_mpi.c — `tide.mpi_core`: MPI collectives from Lua (engine/mpi_comm.c), a separate shared
 * object (lua/tide/mpi_core.so, Makefile target `mpi`, linked by mpicc) so that core.so never
 * links MPI. lua/tide/mpi.lua is the public face (tide.mpi).
 *
 * This object is loaded next to core.so but cannot call core.so's binding helpers (Lua loads
 * C modules RTLD_LOCAL), so it checks tensor userdata itself by their metatable name and
 * works only IN PLACE on caller-owned contiguous tensors; Lua allocates any result first.
 *
 *   init() -> rank, size            finalize()          rank(), size(), wtime(), barrier()
 *   allreduce(t [, op]) -> t        in place, op "sum" (default) | "max" | "min"
 *   allreduce_numbers({...} [, op]) -> {...}   (doubles)
 *   bcast(t [, root = 0]) -> t      in place
 *   gather_counts(n) -> {n_0, ..., n_{size-1}}
 *   gatherv(send, recv, counts)     recv <- ranks' sends concatenated in rank order
 *   allreduce_grads(params, scale)  every parameter's gradient packed into ONE flat f32
 *                                   block, summed over ranks, times scale, unpacked
 *   bcast_params(params [, root])   every parameter packed into one block, broadcast */
#include <lauxlib.h>
#include <lua.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "lt.h"
#include "mpi_comm.h"

static tide_tensor *check_dense(lua_State *L, int idx, const char *fn)
{
    lt_tensor_ud *ud = luaL_testudata(L, idx, LT_TENSOR_MT);
    if (!ud) luaL_error(L, "mpi.%s: argument #%d must be a tensor, got %s", fn, idx, luaL_typename(L, idx));
    if (!ud->t) luaL_error(L, "mpi.%s: argument #%d is a freed tensor", fn, idx);
    if (!tide_tensor_is_contiguous(ud->t))
        luaL_error(L, "mpi.%s: argument #%d must be contiguous (call :contiguous())", fn, idx);
    return ud->t;
}

static tide_mpi_type type_of(const tide_tensor *t)
{
    return t->dtype == TIDE_F32 ? TIDE_MPI_F32 : t->dtype == TIDE_I32 ? TIDE_MPI_I32 : TIDE_MPI_I64;
}

static tide_mpi_op check_op(lua_State *L, int idx, const char *fn)
{
    const char *s = luaL_optstring(L, idx, "sum");
    if (!strcmp(s, "sum")) return TIDE_MPI_SUM;
    if (!strcmp(s, "max")) return TIDE_MPI_MAX;
    if (!strcmp(s, "min")) return TIDE_MPI_MIN;
    return (tide_mpi_op)luaL_error(L, "mpi.%s: op must be 'sum', 'max' or 'min', got '%s'", fn, s);
}

/* luaL_error with full printf formats (lt_errorf lives in core.so, out of reach here). */
static int errf(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int errf(lua_State *L, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return luaL_error(L, "%s", buf);
}

static int fail(lua_State *L, const char *fn)
{
    return luaL_error(L, "mpi.%s: %s", fn, tide_error());
}

static int l_init(lua_State *L)
{
    if (tide_mpi_init() != TIDE_OK) return fail(L, "init");
    lua_pushinteger(L, tide_mpi_rank());
    lua_pushinteger(L, tide_mpi_size());
    return 2;
}

static int l_finalize(lua_State *L)
{
    tide_mpi_finalize();
    return 0;
}

static int l_initialized(lua_State *L)
{
    lua_pushboolean(L, tide_mpi_initialized());
    return 1;
}

static int l_rank(lua_State *L)
{
    lua_pushinteger(L, tide_mpi_rank());
    return 1;
}

static int l_size(lua_State *L)
{
    lua_pushinteger(L, tide_mpi_size());
    return 1;
}

static int l_wtime(lua_State *L)
{
    lua_pushnumber(L, tide_mpi_wtime());
    return 1;
}

static int l_barrier(lua_State *L)
{
    if (tide_mpi_barrier() != TIDE_OK) return fail(L, "barrier");
    return 0;
}

static int l_allreduce(lua_State *L)
{
    tide_tensor *t = check_dense(L, 1, "allreduce");
    tide_mpi_op op = check_op(L, 2, "allreduce");
    if (tide_mpi_allreduce(tide_tensor_data(t), tide_tensor_numel(t), type_of(t), op) != TIDE_OK)
        return fail(L, "allreduce");
    tide_tensor_bump_version(t);
    lua_settop(L, 1);
    return 1;
}

static int l_allreduce_numbers(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    tide_mpi_op op = check_op(L, 2, "allreduce_numbers");
    int n = (int)lua_objlen(L, 1);
    double *v = lua_newuserdata(L, (size_t)(n ? n : 1) * sizeof(double));
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 1, i + 1);
        if (lua_type(L, -1) != LUA_TNUMBER)
            return luaL_error(L, "mpi.allreduce_numbers: entry %d must be a number, got %s", i + 1, luaL_typename(L, -1));
        v[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    if (tide_mpi_allreduce(v, n, TIDE_MPI_F64, op) != TIDE_OK) return fail(L, "allreduce_numbers");
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int check_root(lua_State *L, int idx, const char *fn)
{
    lua_Integer root = luaL_optinteger(L, idx, 0);
    if (root < 0 || root >= tide_mpi_size())
        return luaL_error(L, "mpi.%s: root %d outside 0..%d", fn, (int)root, tide_mpi_size() - 1);
    return (int)root;
}

static int l_bcast(lua_State *L)
{
    tide_tensor *t = check_dense(L, 1, "bcast");
    int root = check_root(L, 2, "bcast");
    if (tide_mpi_bcast(tide_tensor_data(t), tide_tensor_numel(t), type_of(t), root) != TIDE_OK) return fail(L, "bcast");
    tide_tensor_bump_version(t);
    lua_settop(L, 1);
    return 1;
}

static int l_gather_counts(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    if (n < 0) return luaL_error(L, "mpi.gather_counts: count must be >= 0, got %d", (int)n);
    int size = tide_mpi_size();
    int64_t *c = lua_newuserdata(L, (size_t)size * sizeof(int64_t));
    if (tide_mpi_allgather_count((int64_t)n, c) != TIDE_OK) return fail(L, "gather_counts");
    lua_createtable(L, size, 0);
    for (int r = 0; r < size; r++) {
        lua_pushnumber(L, (lua_Number)c[r]);
        lua_rawseti(L, -2, r + 1);
    }
    return 1;
}

static int l_gatherv(lua_State *L)
{
    tide_tensor *send = check_dense(L, 1, "gatherv");
    tide_tensor *recv = check_dense(L, 2, "gatherv");
    luaL_checktype(L, 3, LUA_TTABLE);
    int size = tide_mpi_size(), rank = tide_mpi_rank();
    if ((int)lua_objlen(L, 3) != size) return luaL_error(L, "mpi.gatherv: counts must have %d entries", size);
    if (send->dtype != recv->dtype) return luaL_error(L, "mpi.gatherv: send and recv dtypes differ");
    int64_t *c = lua_newuserdata(L, (size_t)size * sizeof(int64_t));
    int64_t total = 0;
    for (int r = 0; r < size; r++) {
        lua_rawgeti(L, 3, r + 1);
        c[r] = (int64_t)lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (c[r] < 0) return luaL_error(L, "mpi.gatherv: counts[%d] is negative", r + 1);
        total += c[r];
    }
    if (c[rank] != tide_tensor_numel(send))
        return errf(L, "mpi.gatherv: counts[%d] = %lld but send has %lld elements", rank + 1, (long long)c[rank],
                         (long long)tide_tensor_numel(send));
    if (total != tide_tensor_numel(recv))
        return errf(L, "mpi.gatherv: recv has %lld elements, counts sum to %lld", (long long)tide_tensor_numel(recv),
                         (long long)total);
    if (tide_mpi_allgatherv(tide_tensor_data(send), tide_tensor_data(recv), c, type_of(send)) != TIDE_OK)
        return fail(L, "gatherv");
    tide_tensor_bump_version(recv);
    lua_pushvalue(L, 2);
    return 1;
}

/* The f32 tensors of the list at idx (checked before anything is allocated); count in *n. */
static tide_tensor **check_params(lua_State *L, int idx, const char *fn, int *n, int64_t *total)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    *n = (int)lua_objlen(L, idx);
    if (*n == 0) luaL_error(L, "mpi.%s: the parameter list is empty", fn);
    tide_tensor **p = lua_newuserdata(L, (size_t)*n * sizeof *p);
    *total = 0;
    for (int i = 0; i < *n; i++) {
        lua_rawgeti(L, idx, i + 1);
        p[i] = check_dense(L, -1, fn);
        lua_pop(L, 1);
        if (p[i]->dtype != TIDE_F32) luaL_error(L, "mpi.%s: parameter %d is not f32", fn, i + 1);
        *total += tide_tensor_numel(p[i]);
    }
    return p;
}

static int l_allreduce_grads(lua_State *L)
{
    int n;
    int64_t total;
    tide_tensor **p = check_params(L, 1, "allreduce_grads", &n, &total);
    double scale = luaL_optnumber(L, 2, 1.0);
    /* a parameter the local batch did not reach has no gradient yet; another rank's may */
    for (int i = 0; i < n; i++)
        if (!p[i]->grad && !(p[i]->grad = tide_tensor_empty_like(p[i]))) return fail(L, "allreduce_grads");
    float *flat = malloc((size_t)(total ? total : 1) * sizeof(float));
    if (!flat) return luaL_error(L, "mpi.allreduce_grads: out of memory for %d floats", (int)total);
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        int64_t m = tide_tensor_numel(p[i]);
        memcpy(flat + off, tide_tensor_data(p[i]->grad), (size_t)m * sizeof(float));
        off += m;
    }
    int rc = tide_mpi_allreduce(flat, total, TIDE_MPI_F32, TIDE_MPI_SUM);
    off = 0;
    for (int i = 0; rc == TIDE_OK && i < n; i++) {
        int64_t m = tide_tensor_numel(p[i]);
        float *g = tide_tensor_data(p[i]->grad);
        for (int64_t j = 0; j < m; j++) g[j] = (float)(flat[off + j] * scale);
        tide_tensor_bump_version(p[i]->grad);
        off += m;
    }
    free(flat);
    if (rc != TIDE_OK) return fail(L, "allreduce_grads");
    lua_pushnumber(L, (lua_Number)total * sizeof(float));
    return 1;
}

static int l_bcast_params(lua_State *L)
{
    int n;
    int64_t total;
    tide_tensor **p = check_params(L, 1, "bcast_params", &n, &total);
    int root = check_root(L, 2, "bcast_params");
    float *flat = malloc((size_t)(total ? total : 1) * sizeof(float));
    if (!flat) return luaL_error(L, "mpi.bcast_params: out of memory for %d floats", (int)total);
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        int64_t m = tide_tensor_numel(p[i]);
        memcpy(flat + off, tide_tensor_data(p[i]), (size_t)m * sizeof(float));
        off += m;
    }
    int rc = tide_mpi_bcast(flat, total, TIDE_MPI_F32, root);
    off = 0;
    for (int i = 0; rc == TIDE_OK && i < n; i++) {
        int64_t m = tide_tensor_numel(p[i]);
        memcpy(tide_tensor_data(p[i]), flat + off, (size_t)m * sizeof(float));
        tide_tensor_bump_version(p[i]);
        off += m;
    }
    free(flat);
    if (rc != TIDE_OK) return fail(L, "bcast_params");
    lua_pushnumber(L, (lua_Number)total * sizeof(float));
    return 1;
}

/* Finalises MPI when the Lua state closes (a sentinel's __gc), so a script that simply ends
 * still leaves mpirun a clean exit. */
static int l_sentinel_gc(lua_State *L)
{
    tide_mpi_finalize();
    return 0;
}

static const luaL_Reg funcs[] = {
    {"init", l_init},
    {"finalize", l_finalize},
    {"initialized", l_initialized},
    {"rank", l_rank},
    {"size", l_size},
    {"wtime", l_wtime},
    {"barrier", l_barrier},
    {"allreduce", l_allreduce},
    {"allreduce_numbers", l_allreduce_numbers},
    {"bcast", l_bcast},
    {"gather_counts", l_gather_counts},
    {"gatherv", l_gatherv},
    {"allreduce_grads", l_allreduce_grads},
    {"bcast_params", l_bcast_params},
    {NULL, NULL},
};

int luaopen_tide_mpi_core(lua_State *L)
{
    lua_newtable(L);
    luaL_register(L, NULL, funcs);
    lua_newuserdata(L, 1);
    lua_newtable(L);
    lua_pushcfunction(L, l_sentinel_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "_sentinel");
    return 1;
}
