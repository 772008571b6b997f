/* lt_lbfgs.c — Lua binding of the reverse-communication L-BFGS (lbfgs.h), merged into
 * core.decay as lbfgs_new. The objective stays in Lua: the solver object only holds x, g and
 * the curvature history, so a Lua error inside the objective can never unwind through C.
 *
 *   local s = core.decay.lbfgs_new(x0_table, {m=, max_iter=, gtol=, ftol=})
 *   repeat local x = s:x(); local f, g = fn(x); local st = s:step(f, g) until st ~= "need_eval"
 */
#include <stdlib.h>

#include "lbfgs.h"
#include "lt_args.h"

#define LBFGS_MT "tide.LBFGS"

typedef struct {
    tide_lbfgs *s;
    int64_t n;
    double *x, *g;
    int done;
} lb_ud;

static lb_ud *check_lb(lua_State *L, int idx)
{
    lb_ud *u = luaL_checkudata(L, idx, LBFGS_MT);
    if (!u->s) lt_errorf(L, "lbfgs: solver already freed");
    return u;
}

static int lb_free(lua_State *L)
{
    lb_ud *u = luaL_checkudata(L, 1, LBFGS_MT);
    tide_lbfgs_free(u->s);
    free(u->x);
    free(u->g);
    u->s = NULL; u->x = u->g = NULL;
    return 0;
}

static int l_lbfgs_new(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "lbfgs";
    int64_t n;
    double *x0 = la_doubles(L, 1, fn, "x0", &n, 1);
    if (n < 1) lt_errorf(L, "%s: x0 is empty", fn);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x0[i])) lt_errorf(L, "%s: x0[%d] is not finite", fn, (int)i + 1);
    tide_lbfgs_opts o;
    tide_lbfgs_default_opts(&o);
    o.m = (int)la_optfield(L, 2, "m", o.m);
    o.max_iter = (int)la_optfield(L, 2, "max_iter", o.max_iter);
    o.max_evals = (int)la_optfield(L, 2, "max_evals", 0);
    o.gtol = la_optfield(L, 2, "gtol", o.gtol);
    o.ftol = la_optfield(L, 2, "ftol", o.ftol);
    o.c1 = la_optfield(L, 2, "c1", o.c1);
    o.c2 = la_optfield(L, 2, "c2", o.c2);
    o.max_step = la_optfield(L, 2, "max_step", o.max_step);
    lb_ud *u = lua_newuserdata(L, sizeof *u);
    memset(u, 0, sizeof *u);
    luaL_getmetatable(L, LBFGS_MT);
    lua_setmetatable(L, -2); /* from here __gc owns whatever gets allocated */
    u->n = n;
    u->x = malloc((size_t)n * sizeof(double));
    u->g = malloc((size_t)n * sizeof(double));
    if (!u->x || !u->g) lt_errorf(L, "%s: out of memory", fn);
    memcpy(u->x, x0, (size_t)n * sizeof(double));
    u->s = tide_lbfgs_new(n, &o);
    if (!u->s) lt_error(L, fn);
    return 1;
}

/* s:x() -> current point as a Lua table */
static int lb_x(lua_State *L)
{
    lb_ud *u = check_lb(L, 1);
    lt_push_doubles(L, u->x, u->n);
    return 1;
}

/* s:step(f, g) -> status name ("need_eval", "converged", "max_iter", "line_search_failed", ...) */
static int lb_step(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    lb_ud *u = check_lb(L, 1);
    if (u->done) lt_errorf(L, "lbfgs: step after the solver stopped");
    double f = lua_type(L, 2) == LUA_TNUMBER ? lua_tonumber(L, 2) : NAN;
    if (lua_type(L, 2) != LUA_TNUMBER) lt_errorf(L, "lbfgs: objective must return a number, got %s", luaL_typename(L, 2));
    int64_t ng;
    double *g = la_doubles(L, 3, "lbfgs", "gradient", &ng, 1);
    if (ng != u->n) lt_errorf(L, "lbfgs: gradient has %d entries, x has %d", (int)ng, (int)u->n);
    memcpy(u->g, g, (size_t)ng * sizeof(double));
    int st = tide_lbfgs_step(u->s, u->x, &f, u->g);
    if (st != TIDE_LBFGS_NEED_EVAL) u->done = 1;
    lua_pushstring(L, tide_lbfgs_status_name(st));
    lua_pushnumber(L, f);
    return 2;
}

static int lb_counts(lua_State *L)
{
    lb_ud *u = check_lb(L, 1);
    lua_pushinteger(L, tide_lbfgs_iterations(u->s));
    lua_pushinteger(L, tide_lbfgs_evaluations(u->s));
    return 2;
}

static const luaL_Reg methods[] = {{"x", lb_x}, {"step", lb_step}, {"counts", lb_counts}, {"free", lb_free}, {NULL, NULL}};

static int l_lbfgs_new_wrap(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    lt_class(L, LBFGS_MT, methods, lb_free);
    return l_lbfgs_new(L);
}

const luaL_Reg lt_lbfgs_funcs[] = {{"lbfgs_new", l_lbfgs_new_wrap}, {NULL, NULL}};
