/* lt_autograd.c — autograd from Lua: tensor methods (merged into tide.Tensor's __index by
 * lt_tensor.c) and the grad-mode functions.
 *
 *   t:requires_grad([on=true]) -> t     mark a leaf (f32) as trainable
 *   t:needs_grad() -> bool              true for trainable leaves and results that depend on one
 *   t:backward([grad])                  grad may be omitted for a one-element tensor
 *   t:grad() -> tensor | nil            accumulated gradient (a leaf's; shares its storage)
 *   t:zero_grad() -> t                  drops the gradient
 *   t:detach() -> tensor                same storage, no history
 *   t:is_leaf() -> bool
 *
 * Grad mode: lt_autograd_funcs (set_grad_enabled, is_grad_enabled) are registered by
 * lt_optim.c as require("tide").core.optim.autograd; lua/tide/autograd.lua builds no_grad /
 * enable_grad on top (a pcall that always restores the mode). `t.grad` cannot be a field on
 * userdata whose __index is the method table, so the gradient is read with t:grad(). */
#include "autograd.h"
#include "lt.h"

static int m_requires_grad(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "requires_grad");
    int on = lua_isnoneornil(L, 2) ? 1 : lua_toboolean(L, 2);
    if (tide_set_requires_grad(t, on) != TIDE_OK) return lt_error(L, "requires_grad");
    lua_settop(L, 1);
    return 1;
}

static int m_needs_grad(lua_State *L)
{
    lua_pushboolean(L, tide_needs_grad(lt_check_tensor(L, 1, "needs_grad")));
    return 1;
}

static int m_backward(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "backward");
    tide_tensor *g = lt_opt_tensor(L, 2, "backward");
    if (tide_backward(t, g) != TIDE_OK) return lt_error(L, "backward");
    return 0;
}

static int m_grad(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "grad");
    if (!t->grad) {
        lua_pushnil(L);
        return 1;
    }
    return lt_push_tensor(L, tide_tensor_retain(t->grad), "grad");
}

static int m_zero_grad(lua_State *L)
{
    tide_zero_grad(lt_check_tensor(L, 1, "zero_grad"));
    lua_settop(L, 1);
    return 1;
}

static int m_detach(lua_State *L)
{
    return lt_push_tensor(L, tide_detach(lt_check_tensor(L, 1, "detach")), "detach");
}

static int m_is_leaf(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "is_leaf");
    lua_pushboolean(L, t->node == NULL || t->node->backward == NULL);
    return 1;
}

const luaL_Reg lt_tensor_methods_autograd[] = {
    {"requires_grad", m_requires_grad}, {"needs_grad", m_needs_grad},
    {"backward", m_backward},           {"grad", m_grad},
    {"zero_grad", m_zero_grad},         {"detach", m_detach},
    {"is_leaf", m_is_leaf},             {NULL, NULL}};

/* set_grad_enabled(bool) -> previous setting */
static int l_set_grad_enabled(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushboolean(L, tide_set_grad_enabled(lua_toboolean(L, 1)));
    return 1;
}

static int l_is_grad_enabled(lua_State *L)
{
    lua_pushboolean(L, tide_grad_enabled());
    return 1;
}

/* set_detect_anomaly(bool) -> previous setting; anomaly_forward() -> "op -> shape" or nil */
static int l_set_detect_anomaly(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushboolean(L, tide_set_detect_anomaly(lua_toboolean(L, 1)));
    return 1;
}

static int l_anomaly_forward(lua_State *L)
{
    const char *s = tide_anomaly_forward();
    if (*s) lua_pushstring(L, s);
    else lua_pushnil(L);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"set_grad_enabled", l_set_grad_enabled}, {"is_grad_enabled", l_is_grad_enabled},
    {"set_detect_anomaly", l_set_detect_anomaly}, {"anomaly_forward", l_anomaly_forward}, {NULL, NULL}};

int lt_open_autograd(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
