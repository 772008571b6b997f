/* lt_arima.c — Lua binding of arima.h: core.arima.{css, fit, exact_loglik, forecast, psi, stable}. Series
 * arrive as tensors or Lua arrays of numbers; results are Lua numbers/arrays (double). */
#include "arima.h"
#include "lt_args.h"

typedef struct {
    int p, d, q, mean, cond, ml;
} orders;

/* opts table at idx: p, d, q (default 0), mean (boolean, default true when d == 0), cond,
 * method ("css" | "ml") */
static orders check_orders(lua_State *L, int idx, const char *fn)
{
    orders o;
    luaL_checktype(L, idx, LUA_TTABLE);
    o.p = (int)lt_opt_number(L, idx, fn, "p", 0);
    o.d = (int)lt_opt_number(L, idx, fn, "d", 0);
    o.q = (int)lt_opt_number(L, idx, fn, "q", 0);
    o.cond = (int)lt_opt_number(L, idx, fn, "cond", 0);
    lua_getfield(L, idx, "mean");
    o.mean = lua_isnil(L, -1) ? o.d == 0 : lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, idx, "method");
    const char *m = lua_isnil(L, -1) ? "css" : lua_tostring(L, -1);
    if (!m || (strcmp(m, "css") && strcmp(m, "ml"))) lt_errorf(L, "%s: method must be 'css' or 'ml'", fn);
    o.ml = !strcmp(m, "ml");
    lua_pop(L, 1);
    if (o.p < 0 || o.p > 30 || o.q < 0 || o.q > 30 || o.d < 0 || o.d > 3 || o.cond < 0)
        lt_errorf(L, "%s: orders p = %d, d = %d, q = %d must be within 0..30, 0..3, 0..30", fn, o.p, o.d, o.q);
    return o;
}

static double *check_params(lua_State *L, int idx, const orders *o, const char *fn)
{
    int64_t n;
    double *par = la_doubles(L, idx, fn, "params", &n, 1);
    int K = o->p + o->q + o->mean;
    if (n != K) lt_errorf(L, "%s: ARIMA(%d,%d,%d)%s has %d parameters, got %d", fn, o->p, o->d, o->q, o->mean ? " with mean" : "", K, (int)n);
    return par;
}

/* css(w, orders, params) -> S, gradient, residuals (w already differenced) */
static int l_css(lua_State *L)
{
    lua_settop(L, 3);
    const char *fn = "arima.css";
    int64_t n;
    double *w = la_doubles(L, 1, fn, "series", &n, 1);
    orders o = check_orders(L, 2, fn);
    double *par = check_params(L, 3, &o, fn);
    if (o.cond < o.p) o.cond = o.p;
    if (n <= o.cond) lt_errorf(L, "%s: series of %d values is too short", fn, (int)n);
    double ss, g[64];
    double *e = la_scratch(L, (size_t)n * sizeof(double));
    if (tide_arima_css(w, n, o.p, o.q, o.mean, o.cond, par, &ss, g, e)) lt_error(L, fn);
    lua_pushnumber(L, ss);
    lt_push_doubles(L, g, o.p + o.q + o.mean);
    lt_push_doubles(L, e, n);
    return 3;
}

/* fit(x, orders) -> {params, se, sigma2, loglik, aic, nobs, converged, reason, stationary, invertible} */
static int l_fit(lua_State *L)
{
    lua_settop(L, 2);
    const char *fn = "arima.fit";
    int64_t n;
    double *x = la_doubles(L, 1, fn, "series", &n, 1);
    orders o = check_orders(L, 2, fn);
    tide_arima_fit_result r;
    if (o.ml ? tide_arima_fit_ml(x, n, o.p, o.d, o.q, o.mean, &r) : tide_arima_fit(x, n, o.p, o.d, o.q, o.mean, o.cond, &r))
        lt_error(L, fn);
    int K = o.p + o.q + o.mean;
    lua_newtable(L);
    lt_push_doubles(L, r.params, K);
    lua_setfield(L, -2, "params");
    lt_push_doubles(L, r.se, K);
    lua_setfield(L, -2, "se");
    lua_pushnumber(L, r.sigma2), lua_setfield(L, -2, "sigma2");
    lua_pushnumber(L, r.loglik), lua_setfield(L, -2, "loglik");
    lua_pushnumber(L, r.aic), lua_setfield(L, -2, "aic");
    lua_pushinteger(L, r.nobs), lua_setfield(L, -2, "nobs");
    lua_pushboolean(L, r.converged), lua_setfield(L, -2, "converged");
    lua_pushstring(L, r.reason), lua_setfield(L, -2, "reason");
    lua_pushboolean(L, r.stationary), lua_setfield(L, -2, "stationary");
    lua_pushboolean(L, r.invertible), lua_setfield(L, -2, "invertible");
    return 1;
}

/* exact_loglik(w, orders, params) -> loglik, sigma2 (w already differenced; Kalman filter) */
static int l_exact_loglik(lua_State *L)
{
    lua_settop(L, 3);
    const char *fn = "arima.exact_loglik";
    int64_t n;
    double *w = la_doubles(L, 1, fn, "series", &n, 1);
    orders o = check_orders(L, 2, fn);
    double *par = check_params(L, 3, &o, fn);
    if (n < 1) lt_errorf(L, "%s: empty series", fn);
    double ll, s2;
    if (tide_arima_exact_loglik(w, n, o.p, o.q, o.mean, par, &ll, &s2)) lt_error(L, fn);
    lua_pushnumber(L, ll);
    lua_pushnumber(L, s2);
    return 2;
}

/* forecast(x, orders, params, sigma2, h) -> mean[h], se[h] */
static int l_forecast(lua_State *L)
{
    lua_settop(L, 5);
    const char *fn = "arima.forecast";
    int64_t n;
    double *x = la_doubles(L, 1, fn, "series", &n, 1);
    orders o = check_orders(L, 2, fn);
    double *par = check_params(L, 3, &o, fn);
    double s2 = luaL_checknumber(L, 4);
    int h = (int)lt_check_int(L, 5, fn, "h");
    if (h < 1 || h > 100000) lt_errorf(L, "%s: horizon h = %d must be within 1..100000", fn, h);
    if (!(s2 >= 0)) lt_errorf(L, "%s: sigma2 must be >= 0", fn);
    double *m = la_scratch(L, (size_t)h * sizeof(double)), *se = la_scratch(L, (size_t)h * sizeof(double));
    if (tide_arima_forecast(x, n, o.p, o.d, o.q, o.mean, o.cond, par, s2, h, m, se)) lt_error(L, fn);
    lt_push_doubles(L, m, h);
    lt_push_doubles(L, se, h);
    return 2;
}

/* psi(phi, d, theta, h) -> psi weights psi_0..psi_{h-1} */
static int l_psi(lua_State *L)
{
    lua_settop(L, 4);
    const char *fn = "arima.psi";
    int64_t p, q;
    double *phi = la_doubles(L, 1, fn, "phi", &p, 1);
    int d = (int)lt_check_int(L, 2, fn, "d");
    double *th = la_doubles(L, 3, fn, "theta", &q, 1);
    int h = (int)lt_check_int(L, 4, fn, "h");
    if (p > 30 || q > 30 || d < 0 || d > 3 || h < 1 || h > 100000) lt_errorf(L, "%s: orders or horizon out of range", fn);
    double *psi = la_scratch(L, (size_t)h * sizeof(double));
    tide_arima_psi(phi, (int)p, d, th, (int)q, h, psi);
    lt_push_doubles(L, psi, h);
    return 1;
}

/* stable(c) -> true if 1 - sum c_i z^i has all roots outside the unit circle */
static int l_stable(lua_State *L)
{
    lua_settop(L, 1);
    int64_t k;
    double *c = la_doubles(L, 1, "arima.stable", "coefficients", &k, 1);
    if (k > 64) lt_errorf(L, "arima.stable: at most 64 coefficients");
    lua_pushboolean(L, tide_arima_stable(c, (int)k));
    return 1;
}

static const luaL_Reg funcs[] = {{"css", l_css}, {"fit", l_fit}, {"exact_loglik", l_exact_loglik}, {"forecast", l_forecast}, {"psi", l_psi}, {"stable", l_stable}, {NULL, NULL}};

int lt_open_arima(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
