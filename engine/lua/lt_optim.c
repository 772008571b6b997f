/* lt_optim.c — Lua binding for optim.c (require("tide").core.optim). lua/tide/optim.lua
 * builds the optimizer objects; this file only moves tensors across:
 *
 *   step(kind, cfg, params, states, t)   kind "sgd"|"adam"|"adamw"|"adagrad"|"rmsprop";
 *       cfg {lr=, weight_decay=, momentum=, dampening=, nesterov=, beta1=, beta2=, eps=,
 *       lr_decay=, alpha=, centered=}; params: array of tensors (their :grad() is used);
 *       states: array (one per param) of arrays of state tensors; t: 1-based step count.
 *   grad_norm(params) -> global L2 norm of the params' gradients
 *   clip_grad_norm(params, max_norm) -> norm before clipping (gradients scaled in place)
 *
 * Scratch arrays are Lua userdata, so a Lua error frees them. */
#include <string.h>

#include "lt.h"
#include "optim.h"

static double opt_num(lua_State *L, int t, const char *k, double def)
{
    return lt_opt_number(L, t, "optim", k, def);
}

static int opt_bool(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

/* The tensors of the array at idx (as a GC-owned scratch array pushed on the stack). */
static tide_tensor **param_list(lua_State *L, int idx, int *n, const char *fn)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    *n = (int)lua_objlen(L, idx);
    tide_tensor **ps = lua_newuserdata(L, (size_t)(*n ? *n : 1) * sizeof *ps);
    for (int i = 0; i < *n; i++) {
        lua_rawgeti(L, idx, i + 1);
        if (!lt_is_tensor(L, -1))
            lt_errorf(L, "%s: parameter %d is not a tensor (got %s)", fn, i + 1, luaL_typename(L, -1));
        if (!(ps[i] = ((lt_tensor_ud *)lua_touserdata(L, -1))->t))
            lt_errorf(L, "%s: parameter %d is a freed tensor", fn, i + 1);
        lua_pop(L, 1);
    }
    return ps;
}

/* Kind (argument 1) and cfg table (argument 2) into c. */
static void read_config(lua_State *L, tide_opt_config *c)
{
    static const char *const kinds[] = {"sgd", "adam", "adamw", "adagrad", "rmsprop", NULL};
    memset(c, 0, sizeof *c);
    c->kind = (tide_opt_kind)luaL_checkoption(L, 1, NULL, kinds);
    luaL_checktype(L, 2, LUA_TTABLE);
    c->lr = opt_num(L, 2, "lr", 1e-3);
    c->weight_decay = opt_num(L, 2, "weight_decay", 0);
    c->momentum = opt_num(L, 2, "momentum", 0);
    c->dampening = opt_num(L, 2, "dampening", 0);
    c->nesterov = opt_bool(L, 2, "nesterov");
    c->beta1 = opt_num(L, 2, "beta1", 0.9);
    c->beta2 = opt_num(L, 2, "beta2", 0.999);
    c->eps = opt_num(L, 2, "eps", c->kind == TIDE_OPT_ADAGRAD ? 1e-10 : 1e-8);
    c->lr_decay = opt_num(L, 2, "lr_decay", 0);
    c->alpha = opt_num(L, 2, "alpha", 0.99);
    c->centered = opt_bool(L, 2, "centered");
}

/* validate(kind, cfg): the checks step() makes, so a bad option fails at construction */
static int l_validate(lua_State *L)
{
    tide_opt_config c;
    read_config(L, &c);
    if (tide_opt_validate(&c) != TIDE_OK) return lt_error(L, "optim");
    return 0;
}

static int l_step(lua_State *L)
{
    tide_opt_config c;
    read_config(L, &c);
    int n;
    tide_tensor **ps = param_list(L, 3, &n, "optim.step");
    luaL_checktype(L, 4, LUA_TTABLE);
    int64_t t = lt_check_int(L, 5, "optim.step", "step");
    tide_tensor **gs = lua_newuserdata(L, (size_t)(n ? n : 1) * sizeof *gs);
    tide_tensor **st = lua_newuserdata(L, (size_t)(n ? n : 1) * TIDE_OPTIM_NSTATE * sizeof *st);
    int ns = tide_opt_nstate(&c);
    for (int i = 0; i < n; i++) {
        gs[i] = ps[i]->grad;
        lua_rawgeti(L, 4, i + 1);
        if (!lua_istable(L, -1))
            lt_errorf(L, "optim.step: state %d must be a table of tensors, got %s", i + 1, luaL_typename(L, -1));
        for (int k = 0; k < TIDE_OPTIM_NSTATE; k++) {
            st[i * TIDE_OPTIM_NSTATE + k] = NULL;
            if (k >= ns) continue;
            lua_rawgeti(L, -1, k + 1);
            if (!lua_isnil(L, -1) && !lt_is_tensor(L, -1))
                lt_errorf(L, "optim.step: state %d.%d is not a tensor (got %s)", i + 1, k + 1, luaL_typename(L, -1));
            st[i * TIDE_OPTIM_NSTATE + k] = lua_isnil(L, -1) ? NULL : ((lt_tensor_ud *)lua_touserdata(L, -1))->t;
            if (!lua_isnil(L, -1) && !st[i * TIDE_OPTIM_NSTATE + k])
                lt_errorf(L, "optim.step: state %d.%d is a freed tensor", i + 1, k + 1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (tide_optim_step(&c, n, ps, gs, st, t) != TIDE_OK) return lt_error(L, "optim.step");
    return 0;
}

static tide_tensor **grads_of(lua_State *L, int idx, int *n, const char *fn)
{
    tide_tensor **ps = param_list(L, idx, n, fn);
    for (int i = 0; i < *n; i++) ps[i] = ps[i]->grad; /* reuse the scratch array */
    return ps;
}

static int l_grad_norm(lua_State *L)
{
    int n;
    tide_tensor **gs = grads_of(L, 1, &n, "grad_norm");
    lua_pushnumber(L, tide_grad_norm(n, gs));
    return 1;
}

static int l_clip_grad_norm(lua_State *L)
{
    int n;
    double max_norm = luaL_checknumber(L, 2);
    tide_tensor **gs = grads_of(L, 1, &n, "clip_grad_norm");
    double norm = 0;
    if (tide_clip_grad_norm(n, gs, max_norm, &norm) != TIDE_OK) return lt_error(L, "clip_grad_norm");
    lua_pushnumber(L, norm);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"step", l_step}, {"validate", l_validate}, {"grad_norm", l_grad_norm}, {"clip_grad_norm", l_clip_grad_norm}, {NULL, NULL}};

int lt_open_optim(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
