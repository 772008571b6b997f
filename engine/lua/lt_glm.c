/* lt_glm.c — Lua binding of glm.h: core.glm.{fit, predict, objective, isotonic_fit,
 * isotonic_apply, pack_f64, unpack_f64, erfc}. Coefficient vectors travel as Lua arrays of doubles
 * (exact); the fitted model is held in a GC-owned box while it is copied out, so no Lua error
 * can leak it. Labels and options are checked here before the engine allocates. */
#include <stdlib.h>
#include <string.h>

#include "glm.h"
#include "lt_args.h"

#define FIT_MT "tide.glm.fitbox"

static int fitbox_gc(lua_State *L)
{
    tide_glm_model_free(luaL_checkudata(L, 1, FIT_MT));
    return 0;
}

/* X as a contiguous f32 [n, d] tensor; rows of Lua numbers are the Lua layer's business */
static tide_tensor *check_X(lua_State *L, int idx, const char *fn)
{
    tide_tensor *X = la_tensor(L, idx, TIDE_F32, 2, fn, "X");
    if (X->shape[0] < 1) lt_errorf(L, "%s: X has no rows", fn);
    return X;
}

/* names[col] of opts.names at idx, or "column <col>" */
static void col_name(lua_State *L, int opts, int64_t col, char *buf, size_t len)
{
    snprintf(buf, len, "column %lld", (long long)col + 1);
    if (!lua_istable(L, opts)) return;
    lua_getfield(L, opts, "names");
    if (lua_istable(L, -1)) {
        lua_rawgeti(L, -1, (int)col + 1);
        if (lua_type(L, -1) == LUA_TSTRING) snprintf(buf, len, "column %lld ('%s')", (long long)col + 1, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int opt_bool(lua_State *L, int idx, const char *key, int def)
{
    if (!lua_istable(L, idx)) return def;
    lua_getfield(L, idx, key);
    int v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Row weights times opts.class_weight ("balanced": n / (2 n_class), sklearn's rule; or
 * {[0] = w0, [1] = w1}); w itself when there is none. */
static const float *class_weights(lua_State *L, int opts, const char *fn, int64_t n, const float *y, const float *w,
                                  int soft)
{
    lua_getfield(L, opts, "class_weight");
    if (lua_isnil(L, -1)) { lua_pop(L, 1); return w; }
    if (soft) lt_errorf(L, "%s: opts.class_weight needs 0/1 labels", fn);
    double cw[2];
    if (lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "balanced")) {
        double npos = 0;
        for (int64_t i = 0; i < n; i++) npos += y[i];
        cw[0] = (double)n / (2 * ((double)n - npos)), cw[1] = (double)n / (2 * npos);
    } else if (lua_istable(L, -1)) {
        for (int c = 0; c < 2; c++) {
            lua_rawgeti(L, -1, c);
            if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) > 0))
                lt_errorf(L, "%s: opts.class_weight[%d] must be a number > 0", fn, c);
            cw[c] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
    } else {
        lt_errorf(L, "%s: opts.class_weight must be 'balanced' or {[0] = w0, [1] = w1}, got %s", fn, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    float *out = la_scratch(L, (size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) out[i] = (float)((w ? w[i] : 1) * cw[y[i] == 1]);
    return out;
}

/* fit(X [n, d], y [n], w [n] | nil, opts) -> {beta, mean, sd, cov | nil, converged, iterations,
 * objective, grad_inf, solver, message}. opts: l2, l1, standardize, solver ("auto" | "irls" |
 * "lbfgs"), max_iter, tol, cov (default true), soft (targets in [0, 1] instead of labels), names,
 * class_weight. */
static int l_fit(lua_State *L)
{
    const char *fn = "logistic.fit";
    lua_settop(L, 4);
    if (lua_isnil(L, 4)) { lua_newtable(L); lua_replace(L, 4); }
    luaL_checktype(L, 4, LUA_TTABLE);
    tide_tensor *X = check_X(L, 1, fn);
    int64_t n = X->shape[0], d = X->shape[1];
    tide_tensor *ty = la_tensor(L, 2, TIDE_F32, -1, fn, "y");
    if (tide_tensor_numel(ty) != n) lt_errorf(L, "%s: X has %lld rows but y has %lld entries", fn, (long long)n, (long long)tide_tensor_numel(ty));
    const float *w = NULL;
    if (!lua_isnil(L, 3)) {
        tide_tensor *tw = la_tensor(L, 3, TIDE_F32, -1, fn, "weight");
        if (tide_tensor_numel(tw) != n) lt_errorf(L, "%s: X has %lld rows but weight has %lld entries", fn, (long long)n, (long long)tide_tensor_numel(tw));
        w = tide_f32(tw);
    }
    tide_glm_opts o;
    tide_glm_default_opts(&o);
    o.l2 = lt_opt_number(L, 4, fn, "l2", o.l2);
    o.l1 = lt_opt_number(L, 4, fn, "l1", o.l1);
    o.tol = lt_opt_number(L, 4, fn, "tol", o.tol);
    o.max_iter = (int)lt_opt_number(L, 4, fn, "max_iter", 0);
    o.standardize = opt_bool(L, 4, "standardize", 1);
    o.want_cov = opt_bool(L, 4, "cov", 1);
    int soft = opt_bool(L, 4, "soft", 0);
    lua_getfield(L, 4, "solver");
    const char *sv = lua_isnil(L, -1) ? "auto" : lua_tostring(L, -1);
    if (!sv) lt_errorf(L, "%s: opts.solver must be a string", fn);
    if (!strcmp(sv, "auto")) o.solver = TIDE_GLM_AUTO;
    else if (!strcmp(sv, "irls")) o.solver = TIDE_GLM_IRLS;
    else if (!strcmp(sv, "lbfgs")) o.solver = TIDE_GLM_LBFGS;
    else lt_errorf(L, "%s: opts.solver must be 'auto', 'irls' or 'lbfgs', got '%s'", fn, sv);
    lua_pop(L, 1);
    int64_t row, col;
    if (!tide_glm_check_finite(n, d, tide_f32(X), &row, &col)) {
        char nm[160];
        col_name(L, 4, col, nm, sizeof nm);
        float v = tide_f32(X)[row * d + col];
        lt_errorf(L, "%s: X row %lld %s is %s (features must be finite)", fn, (long long)row + 1, nm,
                  isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
    }
    const float *y = tide_f32(ty);
    if (!soft) {
        int64_t npos = 0;
        for (int64_t i = 0; i < n; i++) {
            if (y[i] != 0 && y[i] != 1) lt_errorf(L, "%s: label %lld is %g, labels must be 0 or 1", fn, (long long)i + 1, y[i]);
            npos += y[i] == 1;
        }
        if (npos == 0 || npos == n) lt_errorf(L, "%s: y has only one class (%lld of %lld rows are 1)", fn, (long long)npos, (long long)n);
    }
    w = class_weights(L, 4, fn, n, y, w, soft);
    tide_glm_model *m = lua_newuserdata(L, sizeof *m);
    memset(m, 0, sizeof *m);
    luaL_getmetatable(L, FIT_MT);
    lua_setmetatable(L, -2);
    if (tide_glm_fit(n, d, tide_f32(X), y, w, &o, m) < 0) return lt_error(L, fn);
    int64_t p = d + 1;
    lua_newtable(L);
    lt_push_doubles(L, m->beta, p);
    lua_setfield(L, -2, "beta");
    lt_push_doubles(L, m->mean, d);
    lua_setfield(L, -2, "mean");
    lt_push_doubles(L, m->sd, d);
    lua_setfield(L, -2, "sd");
    if (m->cov) { lt_push_doubles(L, m->cov, p * p); lua_setfield(L, -2, "cov"); }
    lua_pushboolean(L, m->converged);
    lua_setfield(L, -2, "converged");
    lua_pushinteger(L, m->iterations);
    lua_setfield(L, -2, "iterations");
    lua_pushnumber(L, m->objective);
    lua_setfield(L, -2, "objective");
    lua_pushnumber(L, m->grad_inf);
    lua_setfield(L, -2, "grad_inf");
    lua_pushstring(L, m->solver == TIDE_GLM_IRLS ? (o.l1 > 0 ? "prox-newton" : "irls") : "lbfgs");
    lua_setfield(L, -2, "solver");
    lua_pushstring(L, m->message);
    lua_setfield(L, -2, "message");
    return 1;
}

/* mean, sd (d each) and beta (d + 1) as anchored double arrays */
static void check_coefs(lua_State *L, int i, int64_t d, const char *fn, double **mean, double **sd, double **beta)
{
    int64_t a, b, c;
    *mean = la_doubles(L, i, fn, "mean", &a, 1);
    *sd = la_doubles(L, i + 1, fn, "sd", &b, 1);
    *beta = la_doubles(L, i + 2, fn, "beta", &c, 1);
    if (a != d || b != d || c != d + 1)
        lt_errorf(L, "%s: model has %lld features (beta %lld) but X has %lld columns", fn, (long long)a, (long long)c, (long long)d);
}

/* predict(X [n, d], mean, sd, beta, contrib?) -> prob f32 [n] [, contrib f32 [n, d]] */
static int l_predict(lua_State *L)
{
    const char *fn = "logistic.predict";
    lua_settop(L, 5);
    tide_tensor *X = check_X(L, 1, fn);
    int64_t n = X->shape[0], d = X->shape[1], row, col;
    double *mean, *sd, *beta;
    check_coefs(L, 2, d, fn, &mean, &sd, &beta);
    if (!tide_glm_check_finite(n, d, tide_f32(X), &row, &col))
        lt_errorf(L, "%s: X row %lld column %lld is not finite", fn, (long long)row + 1, (long long)col + 1);
    int want = lua_toboolean(L, 5);
    int64_t sp[1] = {n}, sc[2] = {n, d};
    tide_tensor *pr = tide_tensor_new(TIDE_F32, 1, sp);
    lt_push_tensor(L, pr, fn);
    tide_tensor *ct = NULL;
    if (want) { ct = tide_tensor_new(TIDE_F32, 2, sc); lt_push_tensor(L, ct, fn); }
    tide_glm_predict(n, d, tide_f32(X), mean, sd, beta, tide_f32(pr), ct ? tide_f32(ct) : NULL);
    return want ? 2 : 1;
}

/* objective(X, t, w | nil, mean, sd, beta, l2) -> f, g (array), H (flat array): smooth part */
static int l_objective(lua_State *L)
{
    const char *fn = "logistic.objective";
    lua_settop(L, 7);
    tide_tensor *X = check_X(L, 1, fn);
    int64_t n = X->shape[0], d = X->shape[1], p = d + 1;
    tide_tensor *t = la_tensor(L, 2, TIDE_F32, -1, fn, "t");
    if (tide_tensor_numel(t) != n) lt_errorf(L, "%s: t needs %lld entries", fn, (long long)n);
    const float *w = NULL;
    if (!lua_isnil(L, 3)) {
        tide_tensor *tw = la_tensor(L, 3, TIDE_F32, -1, fn, "weight");
        if (tide_tensor_numel(tw) != n) lt_errorf(L, "%s: weight needs %lld entries", fn, (long long)n);
        w = tide_f32(tw);
    }
    double *mean, *sd, *beta;
    check_coefs(L, 4, d, fn, &mean, &sd, &beta);
    double l2 = luaL_checknumber(L, 7);
    double *g = la_scratch(L, (size_t)(p + p * p) * sizeof(double));
    double f = tide_glm_objective(n, d, tide_f32(X), tide_f32(t), w, mean, sd, l2, beta, g, g + p);
    lua_pushnumber(L, f);
    lt_push_doubles(L, g, p);
    lt_push_doubles(L, g + p, p * p);
    return 3;
}

/* isotonic_fit(x [n], y [n], w [n] | nil) -> knots kx, ky (Lua arrays) */
static int l_isotonic_fit(lua_State *L)
{
    const char *fn = "calibrate.isotonic";
    lua_settop(L, 3);
    tide_tensor *x = la_tensor(L, 1, TIDE_F32, -1, fn, "score");
    tide_tensor *y = la_tensor(L, 2, TIDE_F32, -1, fn, "y");
    int64_t n = tide_tensor_numel(x), k;
    if (tide_tensor_numel(y) != n) lt_errorf(L, "%s: %lld scores but %lld labels", fn, (long long)n, (long long)tide_tensor_numel(y));
    const float *w = NULL;
    if (!lua_isnil(L, 3)) {
        tide_tensor *tw = la_tensor(L, 3, TIDE_F32, -1, fn, "weight");
        if (tide_tensor_numel(tw) != n) lt_errorf(L, "%s: weight needs %lld entries", fn, (long long)n);
        w = tide_f32(tw);
    }
    double *kx = la_scratch(L, (size_t)(n ? n : 1) * 2 * sizeof(double)), *ky = kx + (n ? n : 1);
    if (tide_isotonic_fit(n, tide_f32(x), tide_f32(y), w, kx, ky, &k) < 0) return lt_error(L, fn);
    lt_push_doubles(L, kx, k);
    lt_push_doubles(L, ky, k);
    return 2;
}

/* isotonic_apply(kx, ky, x) -> f32 tensor */
static int l_isotonic_apply(lua_State *L)
{
    const char *fn = "calibrate.isotonic:apply";
    lua_settop(L, 3);
    int64_t a, b;
    double *kx = la_doubles(L, 1, fn, "knots x", &a, 1), *ky = la_doubles(L, 2, fn, "knots y", &b, 1);
    if (a < 1 || a != b) lt_errorf(L, "%s: need matching non-empty knots (%lld x, %lld y)", fn, (long long)a, (long long)b);
    tide_tensor *x = la_tensor(L, 3, TIDE_F32, -1, fn, "score");
    int64_t n = tide_tensor_numel(x), sh[1] = {n};
    tide_tensor *out = tide_tensor_new(TIDE_F32, 1, sh);
    lt_push_tensor(L, out, fn);
    tide_isotonic_apply(a, kx, ky, n, tide_f32(x), tide_f32(out));
    return 1;
}

/* pack_f64(array) -> i64 tensor of the IEEE-754 bit patterns: checkpoints have no f64 dtype,
 * and this keeps a saved model's coefficients exact. unpack_f64 is the inverse. */
static int l_pack_f64(lua_State *L)
{
    int64_t n;
    double *v = la_doubles(L, 1, "logistic.pack_f64", "values", &n, 1);
    int64_t sh[1] = {n};
    tide_tensor *t = tide_tensor_new(TIDE_I64, 1, sh);
    lt_push_tensor(L, t, "logistic.pack_f64");
    if (n) memcpy(tide_i64(t), v, (size_t)n * sizeof(double));
    return 1;
}

static int l_unpack_f64(lua_State *L)
{
    tide_tensor *t = la_tensor(L, 1, TIDE_I64, 1, "logistic.unpack_f64", "packed values");
    int64_t n = tide_tensor_numel(t);
    double *v = la_scratch(L, (size_t)(n ? n : 1) * sizeof(double));
    if (n) memcpy(v, tide_i64(t), (size_t)n * sizeof(double));
    lt_push_doubles(L, v, n);
    return 1;
}

/* erfc(x): two-sided normal p-values are erfc(|z| / sqrt 2) */
static int l_erfc(lua_State *L)
{
    lua_pushnumber(L, erfc(luaL_checknumber(L, 1)));
    return 1;
}

static const luaL_Reg funcs[] = {{"erfc", l_erfc},{"fit", l_fit},
                                 {"predict", l_predict},
                                 {"objective", l_objective},
                                 {"isotonic_fit", l_isotonic_fit},
                                 {"isotonic_apply", l_isotonic_apply},
                                 {"pack_f64", l_pack_f64},
                                 {"unpack_f64", l_unpack_f64},
                                 {NULL, NULL}};

int lt_open_glm(lua_State *L)
{
    if (luaL_newmetatable(L, FIT_MT)) {
        lua_pushcfunction(L, fitbox_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
