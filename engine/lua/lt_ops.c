/* lt_ops.c — Lua methods for the elementwise ops of ops.h, the arithmetic metamethods, and
 * the method/function tables of all op bindings (reductions and matmul: lt_ops_reduce.c;
 * indexing, sorting, cat: lt_ops_index.c).
 *
 * Differentiable ops go through the tide_ag_* wrappers so the tape sees them; comparisons
 * are not differentiable and call the raw kernels. A Lua number may stand on either side of
 * a binary op: t + 1, 2 - t, 2 ^ t, t:mul(0.5). Conditional selection is the module
 * function T.where(cond, a, b) (a, b tensors or numbers); cond:where(a, b) is the same
 * function used as a method. */
#include <math.h>

#include "autograd.h"
#include "lt_ops.h"

int lt_opt_bool(lua_State *L, int idx, int def, const char *fn, const char *what)
{
    if (lua_isnoneornil(L, idx)) return def;
    if (!lua_isboolean(L, idx))
        lt_errorf(L, "%s: %s (argument #%d) must be a boolean, got %s", fn, what, idx,
                   luaL_typename(L, idx));
    return lua_toboolean(L, idx);
}

void lt_one_based(tide_tensor *t)
{
    int64_t *p = tide_i64(t), n = tide_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) p[i]++;
}

static void check_operand(lua_State *L, int idx, const char *fn)
{
    if (lua_type(L, idx) != LUA_TNUMBER && !lt_is_tensor(L, idx))
        lt_errorf(L, "%s: argument #%d: expected tensor or number, got %s", fn, idx,
                   luaL_typename(L, idx));
}

/* x op y where either may be a number (not both: Lua would not call us) */
static int binop(lua_State *L, tide_binop op)
{
    const char *fn = tide_binop_name(op);
    int cmp = op >= TIDE_EQ;
    check_operand(L, 1, fn);
    check_operand(L, 2, fn);
    if (lua_type(L, 1) == LUA_TNUMBER) {
        if (lua_type(L, 2) == LUA_TNUMBER) lt_errorf(L, "%s: needs at least one tensor", fn);
        tide_tensor *b = lt_check_tensor(L, 2, fn);
        double s = lua_tonumber(L, 1);
        return lt_push_tensor(L, cmp ? tide_binary_scalar(op, b, s, 1)
                                     : tide_ag_binary_scalar(op, b, s, 1), fn);
    }
    tide_tensor *a = lt_check_tensor(L, 1, fn);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        double s = lua_tonumber(L, 2);
        return lt_push_tensor(L, cmp ? tide_binary_scalar(op, a, s, 0)
                                     : tide_ag_binary_scalar(op, a, s, 0), fn);
    }
    tide_tensor *b = lt_check_tensor(L, 2, fn);
    return lt_push_tensor(L, cmp ? tide_binary(op, a, b) : tide_ag_binary(op, a, b), fn);
}

#define BINOP(name, OP) static int m_##name(lua_State *L) { return binop(L, OP); }
BINOP(add, TIDE_ADD)
BINOP(sub, TIDE_SUB)
BINOP(mul, TIDE_MUL)
BINOP(div, TIDE_DIV)
BINOP(pow, TIDE_POW)
BINOP(maximum, TIDE_MAXIMUM)
BINOP(minimum, TIDE_MINIMUM)
BINOP(eq, TIDE_EQ)
BINOP(ne, TIDE_NE)
BINOP(lt, TIDE_LT)
BINOP(le, TIDE_LE)
BINOP(gt, TIDE_GT)
BINOP(ge, TIDE_GE)

static int unop(lua_State *L, tide_unop op)
{
    const char *fn = tide_unop_name(op);
    tide_tensor *a = lt_check_tensor(L, 1, fn);
    return lt_push_tensor(L, tide_ag_unary(op, a), fn);
}

#define UNOP(name, OP) static int m_##name(lua_State *L) { return unop(L, OP); }
UNOP(neg, TIDE_NEG)
UNOP(exp, TIDE_EXP)
UNOP(log, TIDE_LOG)
UNOP(log1p, TIDE_LOG1P)
UNOP(sqrt, TIDE_SQRT)
UNOP(tanh, TIDE_TANH)
UNOP(sigmoid, TIDE_SIGMOID)
UNOP(relu, TIDE_RELU)
UNOP(gelu, TIDE_GELU)
UNOP(abs, TIDE_ABS)
UNOP(square, TIDE_SQUARE)
UNOP(rsqrt, TIDE_RSQRT)
UNOP(sign, TIDE_SIGN)

/* __unm receives the operand twice in LuaJIT; only the first matters */
static int mm_unm(lua_State *L)
{
    lua_settop(L, 1);
    return unop(L, TIDE_NEG);
}

static double opt_bound(lua_State *L, int idx, double def, const char *what)
{
    if (lua_isnoneornil(L, idx)) return def;
    if (lua_type(L, idx) != LUA_TNUMBER)
        lt_errorf(L, "clamp: %s (argument #%d) must be a number or nil, got %s", what, idx,
                   luaL_typename(L, idx));
    double v = lua_tonumber(L, idx);
    if (v != v) lt_errorf(L, "clamp: %s is NaN", what);
    return v;
}

/* clamp(lo, hi): either bound may be nil (no bound on that side) */
static int m_clamp(lua_State *L)
{
    tide_tensor *a = lt_check_tensor(L, 1, "clamp");
    if (lua_isnoneornil(L, 2) && lua_isnoneornil(L, 3))
        lt_errorf(L, "clamp: give a lower bound, an upper bound, or both");
    double lo = opt_bound(L, 2, -INFINITY, "lo"), hi = opt_bound(L, 3, INFINITY, "hi");
    return lt_push_tensor(L, tide_ag_clamp(a, lo, hi), "clamp");
}

/* where(cond, a, b): a and b tensors or numbers (numbers become f32 scalars) */
static int f_where(lua_State *L)
{
    tide_tensor *c = lt_check_tensor(L, 1, "where");
    check_operand(L, 2, "where");
    check_operand(L, 3, "where");
    /* every check (incl. freed tensors) before the first allocation: nothing can leak */
    tide_tensor *ta = lua_type(L, 2) == LUA_TNUMBER ? NULL : lt_check_tensor(L, 2, "where");
    tide_tensor *tb = lua_type(L, 3) == LUA_TNUMBER ? NULL : lt_check_tensor(L, 3, "where");
    tide_tensor *a = ta ? tide_tensor_retain(ta) : tide_tensor_scalar(TIDE_F32, lua_tonumber(L, 2));
    tide_tensor *b = tb ? tide_tensor_retain(tb) : tide_tensor_scalar(TIDE_F32, lua_tonumber(L, 3));
    tide_tensor *r = a && b ? tide_ag_where(c, a, b) : NULL;
    tide_tensor_release(a);
    tide_tensor_release(b);
    return lt_push_tensor(L, r, "where");
}

const luaL_Reg lt_tensor_methods_ops[] = {
    {"add", m_add},         {"sub", m_sub},       {"mul", m_mul},       {"div", m_div},
    {"pow", m_pow},         {"maximum", m_maximum}, {"minimum", m_minimum},
    {"eq", m_eq},           {"ne", m_ne},         {"lt", m_lt},         {"le", m_le},
    {"gt", m_gt},           {"ge", m_ge},
    {"neg", m_neg},         {"exp", m_exp},       {"log", m_log},       {"log1p", m_log1p},
    {"sqrt", m_sqrt},       {"tanh", m_tanh},     {"sigmoid", m_sigmoid}, {"relu", m_relu},
    {"gelu", m_gelu},       {"abs", m_abs},       {"square", m_square}, {"rsqrt", m_rsqrt},
    {"sign", m_sign},       {"clamp", m_clamp},   {"where", f_where},
    /* lt_ops_reduce.c */
    {"sum", lt_m_sum},      {"mean", lt_m_mean},  {"max", lt_m_max},    {"min", lt_m_min},
    {"argmax", lt_m_argmax}, {"argmin", lt_m_argmin}, {"var", lt_m_var}, {"std", lt_m_std},
    {"logsumexp", lt_m_logsumexp}, {"prod", lt_m_prod}, {"matmul", lt_ops_matmul},
    /* lt_ops_index.c */
    {"gather", lt_m_gather}, {"scatter_add", lt_m_scatter_add},
    {"scatter_add_", lt_m_scatter_add_}, {"index_select", lt_m_index_select},
    {"index_add", lt_m_index_add}, {"index_add_", lt_m_index_add_},
    {"masked_fill", lt_m_masked_fill}, {"topk", lt_m_topk}, {"sort", lt_m_sort},
    {"argsort", lt_m_argsort}, {"cumsum", lt_m_cumsum},
    {NULL, NULL}};

const luaL_Reg lt_tensor_meta_ops[] = {
    {"__add", m_add}, {"__sub", m_sub}, {"__mul", m_mul}, {"__div", m_div},
    {"__pow", m_pow}, {"__unm", mm_unm}, {NULL, NULL}};

const luaL_Reg lt_tensor_funcs_ops[] = {
    {"where", f_where}, {"matmul", lt_ops_matmul}, {"cat", lt_ops_cat}, {"stack", lt_ops_stack},
    {"maximum", m_maximum}, {"minimum", m_minimum}, {NULL, NULL}};
