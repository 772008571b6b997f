/* lt_clv.c — Lua binding of clv.h: core.clv.{models, nparams, loglik, fit, predict, hyp2f1,
 * digamma}. Customer columns arrive as tensors or Lua arrays of numbers; results are Lua
 * arrays of doubles (the model outputs are compared with published values to 3-6 digits, so
 * they stay in double precision). */
#include "clv.h"
#include "lbfgs.h"
#include "lt_args.h"

static tide_clv_model check_model(lua_State *L, int idx, const char *fn)
{
    const char *name = luaL_checkstring(L, idx);
    int m = tide_clv_lookup(name);
    if (m < 0) lt_error(L, fn);
    return (tide_clv_model)m;
}

/* theta at idx: exactly nparams numbers */
static double *check_theta(lua_State *L, int idx, tide_clv_model m, const char *fn)
{
    int64_t n;
    double *th = la_doubles(L, idx, fn, "theta", &n, 1);
    if (n != tide_clv_nparams(m)) lt_errorf(L, "%s: %s has %d parameters, got %d", fn, tide_clv_name(m), tide_clv_nparams(m), (int)n);
    return th;
}

/* Columns x, tx, T (T may be nil for gammagamma) and optional weights, at idx..idx+3.
 * predicting: a Gamma-Gamma mean spend of 0 is a valid history to predict from (it only
 * cannot be fitted: its likelihood has log m). */
static void check_data(lua_State *L, int idx, tide_clv_model m, const char *fn, tide_clv_data *d, int predicting)
{
    int64_t nx, ntx, nT = -1, nw = -1;
    d->x = la_doubles(L, idx, fn, "frequency", &nx, 1);
    d->tx = la_doubles(L, idx + 1, fn, m == TIDE_CLV_GAMMAGAMMA ? "monetary" : "recency", &ntx, 1);
    d->T = lua_isnoneornil(L, idx + 2) ? NULL : la_doubles(L, idx + 2, fn, "T", &nT, 1);
    d->w = lua_isnoneornil(L, idx + 3) ? NULL : la_doubles(L, idx + 3, fn, "weights", &nw, 1);
    if (!d->T && m != TIDE_CLV_GAMMAGAMMA) lt_errorf(L, "%s: T is required for %s", fn, tide_clv_name(m));
    if (ntx != nx || (d->T && nT != nx) || (d->w && nw != nx))
        lt_errorf(L, "%s: columns differ in length (frequency %d, %s %d%s)", fn, (int)nx,
                  m == TIDE_CLV_GAMMAGAMMA ? "monetary" : "recency", (int)ntx, d->T && nT != nx ? ", T differs" : "");
    d->n = nx;
    if (predicting && m == TIDE_CLV_GAMMAGAMMA) {
        for (int64_t i = 0; i < nx; i++) {
            if (!isfinite(d->x[i]) || d->x[i] < 0 || d->x[i] != floor(d->x[i]))
                lt_errorf(L, "%s: customer %d: frequency %g must be a non-negative integer", fn, (int)i + 1, d->x[i]);
            if (!isfinite(d->tx[i]) || d->tx[i] < 0)
                lt_errorf(L, "%s: customer %d: monetary value %g must be finite and >= 0", fn, (int)i + 1, d->tx[i]);
        }
    } else if (tide_clv_check(m, d))
        lt_error(L, fn);
}

static int l_nparams(lua_State *L)
{
    tide_clv_model m = check_model(L, 1, "clv.nparams");
    int P = tide_clv_nparams(m);
    lua_pushinteger(L, P);
    lua_newtable(L);
    for (int i = 0; i < P; i++) {
        lua_pushstring(L, tide_clv_param_name(m, i));
        lua_rawseti(L, -2, i + 1);
    }
    return 2;
}

/* loglik(model, theta, x, tx, T [, w]) -> ll, gradient (natural parameters) */
static int l_loglik(lua_State *L)
{
    lua_settop(L, 6);
    const char *fn = "clv.loglik";
    tide_clv_model m = check_model(L, 1, fn);
    double *th = check_theta(L, 2, m, fn);
    tide_clv_data d;
    check_data(L, 3, m, fn, &d, 0);
    double ll, g[4];
    if (tide_clv_loglik(m, th, &d, &ll, g)) lt_error(L, fn);
    lua_pushnumber(L, ll);
    lt_push_doubles(L, g, tide_clv_nparams(m));
    return 2;
}

/* fit(model, x, tx, T, w, {init=, max_iter=, gtol=}) -> {theta, se, loglik, converged, reason,
 * status, iterations, evaluations} */
static int l_fit(lua_State *L)
{
    lua_settop(L, 6);
    const char *fn = "clv.fit";
    tide_clv_model m = check_model(L, 1, fn);
    tide_clv_data d;
    check_data(L, 2, m, fn, &d, 0);
    double *init = NULL;
    if (lua_istable(L, 6)) {
        lua_getfield(L, 6, "init");
        if (!lua_isnil(L, -1)) init = check_theta(L, lua_gettop(L), m, fn);
    }
    int max_iter = (int)lt_opt_number(L, 6, fn, "max_iter", 500);
    double gtol = lt_opt_number(L, 6, fn, "gtol", 1e-9);
    if (max_iter < 1) lt_errorf(L, "%s: opts.max_iter must be >= 1, got %d", fn, max_iter);
    if (!(gtol > 0)) lt_errorf(L, "%s: opts.gtol must be > 0, got %g", fn, gtol);
    tide_clv_fit_result r;
    if (tide_clv_fit(m, &d, init, max_iter, gtol, &r)) lt_error(L, fn);
    int P = tide_clv_nparams(m);
    lua_newtable(L);
    lt_push_doubles(L, r.theta, P);
    lua_setfield(L, -2, "theta");
    lt_push_doubles(L, r.se, P);
    lua_setfield(L, -2, "se");
    lua_pushnumber(L, r.loglik);
    lua_setfield(L, -2, "loglik");
    lua_pushboolean(L, r.converged);
    lua_setfield(L, -2, "converged");
    lua_pushstring(L, r.reason);
    lua_setfield(L, -2, "reason");
    lua_pushstring(L, tide_lbfgs_status_name(r.status));
    lua_setfield(L, -2, "status");
    lua_pushinteger(L, r.iterations);
    lua_setfield(L, -2, "iterations");
    lua_pushinteger(L, r.evaluations);
    lua_setfield(L, -2, "evaluations");
    return 1;
}

/* predict(model, what, theta, t, x, tx, T) -> array; what = "p_alive" | "conditional_expected"
 * | "expected" | "conditional_value". t: number or array (nil for p_alive / value). For
 * "expected", x/tx/T may be nil and the result has one entry per t. */
static int l_predict(lua_State *L)
{
    lua_settop(L, 8); /* #8 = the (absent) weights column read by check_data */
    const char *fn = "clv.predict";
    tide_clv_model m = check_model(L, 1, fn);
    static const char *const whats[] = {"p_alive", "conditional_expected", "expected", "conditional_value", NULL};
    int q = luaL_checkoption(L, 2, NULL, whats);
    double *th = check_theta(L, 3, m, fn);
    int64_t nt = 0;
    double t0 = 0, *t = &t0;
    if (lua_type(L, 4) == LUA_TNUMBER) t0 = lua_tonumber(L, 4), nt = 1;
    else if (!lua_isnil(L, 4)) t = la_doubles(L, 4, fn, "t", &nt, 1);
    if ((q == TIDE_CLV_COND_EXPECTED || q == TIDE_CLV_EXPECTED) && nt == 0) lt_errorf(L, "%s: %s needs a horizon t", fn, whats[q]);
    tide_clv_data d = {0};
    if (q == TIDE_CLV_EXPECTED && lua_isnil(L, 5)) d.n = nt; /* one new customer per horizon */
    else check_data(L, 5, m, fn, &d, 1);
    double *out = la_scratch(L, (size_t)d.n * sizeof(double));
    if (tide_clv_predict(m, (tide_clv_quantity)q, th, t, nt, &d, out)) lt_error(L, fn);
    lt_push_doubles(L, out, d.n);
    return 1;
}

/* hyp2f1(a, b, c, z) -> value, {dF/da, dF/db, dF/dc, dF/dz} */
static int l_hyp2f1(lua_State *L)
{
    double f, d[4];
    if (tide_clv_hyp2f1(luaL_checknumber(L, 1), luaL_checknumber(L, 2), luaL_checknumber(L, 3), luaL_checknumber(L, 4), &f, d))
        lt_error(L, "clv.hyp2f1");
    lua_pushnumber(L, f);
    lt_push_doubles(L, d, 4);
    return 2;
}

static int l_digamma(lua_State *L)
{
    double x = luaL_checknumber(L, 1);
    if (!(x > 0)) lt_errorf(L, "clv.digamma: x must be > 0, got %g", x);
    lua_pushnumber(L, tide_clv_digamma(x));
    return 1;
}

static const luaL_Reg funcs[] = {{"nparams", l_nparams}, {"loglik", l_loglik}, {"fit", l_fit}, {"predict", l_predict},
                                 {"hyp2f1", l_hyp2f1},   {"digamma", l_digamma}, {NULL, NULL}};

int lt_open_clv(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
