/* lt_decay.c — Lua binding of decay.h and hawkes.h: core.decay.{families, eval, half_life,
 * family, weights, gaps, fit, gamma_eb, hawkes_*}. Profiles, popularity and co-occurrence are in
 * lt_interest.c and merged into the same table. Lua ids are 1-based. */
#include <stdlib.h>

#include "decay.h"
#include "hawkes.h"
#include "lbfgs.h"
#include "lt_args.h"

#define check_family la_family
#define check_k la_mixture_k

static int l_families(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    lua_newtable(L);
    for (int i = 0; i < TIDE_DECAY_NFAMILIES; i++) {
        lua_pushstring(L, tide_decay_name(i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* family(name) -> the canonical family name (aliases such as "exp" or "stretched" resolved) */
static int l_family(lua_State *L)
{
    lua_pushstring(L, tide_decay_name(check_family(L, 1, "decay.family")));
    return 1;
}

/* theta at idx: S parameter rows of P doubles each (S >= 1), flattened; *nth = S * P. */
static double *check_thetas(lua_State *L, int idx, const char *fn, int P, int64_t *nth)
{
    double *th = la_doubles(L, idx, fn, "theta", nth, 1);
    if (*nth < P || *nth % P) lt_errorf(L, "%s: theta has %d values, need a multiple of %d", fn, (int)*nth, P);
    return th;
}

static int l_nparams(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    tide_decay_family f = check_family(L, 1, "decay.nparams");
    int k = check_k(L, 2, f, "decay.nparams");
    lua_pushinteger(L, tide_decay_nparams(f, k));
    lua_pushinteger(L, tide_decay_nfree(f, k));
    return 2;
}

/* eval(family, k, theta [S*P], t [n], series (1-based) | nil) -> values [n], grad [n, P] */
static int l_eval(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.eval";
    tide_decay_family f = check_family(L, 1, fn);
    int k = check_k(L, 2, f, fn), P = tide_decay_nparams(f, k);
    int64_t nth, n, ns = 0;
    double *th = check_thetas(L, 3, fn, P, &nth);
    double *t = la_doubles(L, 4, fn, "t", &n, 1);
    int32_t *series = NULL;
    if (!lua_isnoneornil(L, 5)) {
        series = la_ids0(L, 5, fn, "series", &ns, nth / P);
        if (ns != n) lt_errorf(L, "%s: series has %d entries, t has %d", fn, (int)ns, (int)n);
    }
    for (int64_t i = 0; i < nth; i++)
        if (!(th[i] > 0) || !isfinite(th[i])) lt_errorf(L, "%s: theta[%d] = %g must be finite and > 0", fn, (int)i + 1, th[i]);
    double *out = la_scratch(L, (size_t)n * sizeof(double)), *g = la_scratch(L, (size_t)(n * P) * sizeof(double));
    if (tide_decay_eval(f, k, n, th, series, nth / P, t, out, g) < 0) return lt_error(L, fn);
    int64_t s1[1] = {n}, s2[2] = {n, P};
    tide_tensor *v = tide_tensor_new(TIDE_F32, 1, s1), *gr = v ? tide_tensor_new(TIDE_F32, 2, s2) : NULL;
    if (v && gr) {
        for (int64_t i = 0; i < n; i++) tide_f32(v)[i] = (float)out[i];
        for (int64_t i = 0; i < n * P; i++) tide_f32(gr)[i] = (float)g[i];
    }
    if (!gr) tide_tensor_release(v), v = NULL;
    lt_push_tensor(L, v, fn);
    lt_push_tensor(L, gr, fn);
    return 2;
}

static int l_half_life(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.half_life";
    tide_decay_family f = check_family(L, 1, fn);
    int k = check_k(L, 2, f, fn), P = tide_decay_nparams(f, k);
    int64_t nth;
    double *th = check_thetas(L, 3, fn, P, &nth);
    int64_t S = nth / P, sh[1] = {S};
    tide_tensor *o = tide_tensor_new(TIDE_F32, 1, sh);
    if (o)
        for (int64_t s = 0; s < S; s++) tide_f32(o)[s] = (float)tide_decay_half_life(f, k, th + s * P);
    return lt_push_tensor(L, o, fn);
}

/* weights(family, k, theta [P], ages [n], half_life | nil) -> Lua array of n doubles:
 * S(age) under the law (0 for negative ages), or 2^(-age/half_life) when half_life is given
 * (tide_decay_weights; full double precision, unlike eval's f32 tensors). */
static int l_weights(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.weights";
    tide_decay_family f = check_family(L, 1, fn);
    int k = check_k(L, 2, f, fn), P = tide_decay_nparams(f, k);
    int64_t nth = 0, n;
    double *th = NULL, hl = 0;
    if (!lua_isnoneornil(L, 5)) {
        hl = luaL_checknumber(L, 5);
        if (!(hl > 0) || !isfinite(hl)) return lt_errorf(L, "%s: half_life must be finite and > 0, got %g", fn, hl);
    } else {
        th = la_doubles(L, 3, fn, "theta", &nth, 1);
        if (nth != P) return lt_errorf(L, "%s: %s needs %d parameters, got %d", fn, tide_decay_name(f), P, (int)nth);
    }
    double *age = la_doubles(L, 4, fn, "ages", &n, 1);
    double *out = la_scratch(L, (size_t)n * sizeof(double));
    if (tide_decay_weights(f, k, th, hl, n, age, out) != TIDE_OK) return lt_error(L, fn);
    lt_push_doubles(L, out, n);
    return 1;
}

/* gaps(off i64 [U+1], time i64 [n], key (1-based) | nil, t_end, min_gap, unit)
 *   -> gap f32, event i32, user i32 (1-based), key i32 (1-based) | nil */
static int l_gaps(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.gaps";
    int64_t U, n, nk;
    tide_tensor *tt = la_tensor(L, 2, TIDE_I64, 1, fn, "time");
    n = tide_tensor_numel(tt);
    int64_t *off = la_offsets(L, 1, fn, "offsets", &U, n);
    int32_t *key = lua_isnoneornil(L, 3) ? NULL : la_ids0(L, 3, fn, "key", &nk, 0);
    if (key && nk != n) lt_errorf(L, "%s: key has %d entries, time has %d", fn, (int)nk, (int)n);
    int64_t t_end = lt_check_int(L, 4, fn, "t_end");
    double min_gap = luaL_optnumber(L, 5, 0), unit = luaL_optnumber(L, 6, 1);
    double *g; uint8_t *e; int32_t *u, *ko;
    int64_t m = tide_decay_gaps(U, off, tide_i64(tt), key, t_end, min_gap, unit, &g, &e, &u, key ? &ko : NULL);
    if (m < 0) return lt_error(L, fn);
    int64_t sh[1] = {m};
    tide_tensor *tg = tide_tensor_new(TIDE_F32, 1, sh), *te = tide_tensor_new(TIDE_I32, 1, sh),
                *tu = tide_tensor_new(TIDE_I32, 1, sh), *tk = key ? tide_tensor_new(TIDE_I32, 1, sh) : NULL;
    if (tg && te && tu && (!key || tk))
        for (int64_t i = 0; i < m; i++) {
            tide_f32(tg)[i] = (float)g[i];
            tide_i32(te)[i] = e[i];
            tide_i32(tu)[i] = u[i] + 1;
            if (tk) tide_i32(tk)[i] = ko[i] + 1;
        }
    free(g); free(e); free(u);
    if (key) free(ko);
    if (!tg || !te || !tu || (key && !tk)) {
        tide_tensor_release(tg); tide_tensor_release(te); tide_tensor_release(tu); tide_tensor_release(tk);
        return lt_errorf(L, "%s: out of memory", fn);
    }
    lt_push_tensor(L, tg, fn);
    lt_push_tensor(L, te, fn);
    lt_push_tensor(L, tu, fn);
    if (tk) lt_push_tensor(L, tk, fn); else lua_pushnil(L);
    return 4;
}

/* fit(family, k, off i64 [S+1], gap [n], event [n], opts)
 *   -> theta f32 [S, P], se f32 [S, P], loglik f32 [S], status i32 [S], total loglik */
static int l_fit(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.fit";
    tide_decay_family f = check_family(L, 1, fn);
    int k = check_k(L, 2, f, fn), P = tide_decay_nparams(f, k), F = tide_decay_nfree(f, k);
    int64_t S, n, ne;
    double *gap = la_doubles(L, 4, fn, "gap", &n, 1);
    int64_t *off = la_offsets(L, 3, fn, "offsets", &S, n);
    tide_tensor *ev = la_tensor(L, 5, TIDE_I32, 1, fn, "event");
    ne = tide_tensor_numel(ev);
    if (ne != n) lt_errorf(L, "%s: event has %d entries, gap has %d", fn, (int)ne, (int)n);
    uint8_t *e8 = la_scratch(L, (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        int32_t v = tide_i32(ev)[i];
        if (v != 0 && v != 1) lt_errorf(L, "%s: event[%d] = %d must be 0 (censored) or 1", fn, (int)i + 1, v);
        e8[i] = (uint8_t)v;
    }
    tide_decay_fit_opts o;
    tide_decay_fit_default_opts(&o);
    int opt = 6;
    if (!lua_isnoneornil(L, opt) && !lua_istable(L, opt)) lt_errorf(L, "%s: opts must be a table", fn);
    o.max_iter = (int)la_optfield(L, opt, "max_iter", 200);
    o.prior_prec = la_optfield(L, opt, "prior_prec", 0);
    if (lua_istable(L, opt)) {
        lua_getfield(L, opt, "se");
        if (lua_isboolean(L, -1)) o.want_se = lua_toboolean(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, opt, "prior");
        if (!lua_isnil(L, -1)) {
            int64_t np;
            double *pu = la_doubles(L, lua_gettop(L), fn, "prior", &np, 1);
            if (np != F && np != S * F)
                lt_errorf(L, "%s: prior has %d values, need %d or %d (series x free params)", fn, (int)np, F, (int)(S * F));
            o.prior_u = pu;
            o.prior_shared = np == F;
        }
        lua_getfield(L, opt, "init");
        if (!lua_isnil(L, -1)) {
            int64_t ni;
            double *in = la_doubles(L, lua_gettop(L), fn, "init", &ni, 1);
            if (ni != P) lt_errorf(L, "%s: init has %d values, family needs %d", fn, (int)ni, P);
            for (int i = 0; i < P; i++)
                if (!(in[i] > 0)) lt_errorf(L, "%s: init[%d] must be > 0", fn, i + 1);
            o.init = in;
        }
    }
    double *th = la_scratch(L, (size_t)(S * P) * sizeof(double)), *se = la_scratch(L, (size_t)(S * P) * sizeof(double));
    double *ll = la_scratch(L, (size_t)S * sizeof(double));
    int32_t *st = la_scratch(L, (size_t)S * sizeof(int32_t));
    int shared = 0;
    if (lua_istable(L, opt)) {
        lua_getfield(L, opt, "shared_shape");
        shared = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    if (shared ? tide_decay_fit_shared(f, S, off, gap, e8, o.prior_prec, o.max_iter, o.want_se, th, se, ll, st) < 0
               : tide_decay_fit(f, k, S, off, gap, e8, &o, th, se, ll, st) < 0)
        return lt_error(L, fn);
    int64_t s2[2] = {S, P}, s1[1] = {S};
    tide_tensor *tt = tide_tensor_new(TIDE_F32, 2, s2), *ts = tide_tensor_new(TIDE_F32, 2, s2),
                *tl = tide_tensor_new(TIDE_F32, 1, s1), *tst = tide_tensor_from_data(TIDE_I32, 1, s1, st);
    double tot = 0;
    if (tt && ts && tl && tst) {
        for (int64_t i = 0; i < S * P; i++) { tide_f32(tt)[i] = (float)th[i]; tide_f32(ts)[i] = (float)se[i]; }
        for (int64_t s = 0; s < S; s++) { tide_f32(tl)[s] = (float)ll[s]; tot += ll[s]; }
    } else {
        tide_tensor_release(tt); tide_tensor_release(ts); tide_tensor_release(tl); tide_tensor_release(tst);
        return lt_errorf(L, "%s: out of memory", fn);
    }
    lt_push_tensor(L, tt, fn);
    lt_push_tensor(L, ts, fn);
    lt_push_tensor(L, tl, fn);
    lt_push_tensor(L, tst, fn);
    lua_pushnumber(L, tot);
    return 5;
}

/* gamma_eb(d [S], T [S], segment (1-based) | nil, G) -> a {G}, b {G} (Lua tables) */
static int l_gamma_eb(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.gamma_eb";
    int64_t S, S2, S3 = 0;
    double *d = la_doubles(L, 1, fn, "d", &S, 1), *T = la_doubles(L, 2, fn, "T", &S2, 1);
    if (S2 != S) lt_errorf(L, "%s: d has %d entries, T has %d", fn, (int)S, (int)S2);
    int64_t G = lua_isnoneornil(L, 4) ? 1 : lt_check_int(L, 4, fn, "n_segments");
    if (G < 1) lt_errorf(L, "%s: n_segments must be >= 1", fn);
    int32_t *seg = lua_isnoneornil(L, 3) ? NULL : la_ids0(L, 3, fn, "segment", &S3, G);
    if (seg && S3 != S) lt_errorf(L, "%s: segment has %d entries, d has %d", fn, (int)S3, (int)S);
    double *a = la_scratch(L, (size_t)G * sizeof(double)), *b = la_scratch(L, (size_t)G * sizeof(double));
    if (tide_decay_gamma_eb(S, d, T, seg, G, a, b) < 0) return lt_error(L, fn);
    lua_createtable(L, (int)G, 0);
    lua_createtable(L, (int)G, 0);
    for (int64_t g = 0; g < G; g++) {
        lua_pushnumber(L, a[g]); lua_rawseti(L, -3, (int)g + 1);
        lua_pushnumber(L, b[g]); lua_rawseti(L, -2, (int)g + 1);
    }
    return 2;
}

/* ---- Hawkes ---- */
static tide_hawkes check_hawkes(lua_State *L, int idx, const char *fn)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    tide_hawkes p = {la_optfield(L, idx, "mu", NAN), la_optfield(L, idx, "alpha", NAN), la_optfield(L, idx, "beta", NAN)};
    if (!(p.mu > 0) || !(p.alpha >= 0) || !(p.beta > 0))
        lt_errorf(L, "%s: params need mu > 0, alpha >= 0, beta > 0 (got %g, %g, %g)", fn, p.mu, p.alpha, p.beta);
    return p;
}

/* sequences: t (table/tensor), off (i64 tensor | nil = one sequence), t0, t1 (numbers or lists) */
typedef struct {
    double *t, *t0, *t1;
    int64_t *off, S, n;
} seqs;

static seqs check_seqs(lua_State *L, int it, int ioff, int it0, int it1, const char *fn)
{
    seqs s;
    s.t = la_doubles(L, it, fn, "times", &s.n, 1);
    if (lua_isnoneornil(L, ioff)) {
        s.S = 1;
        s.off = la_scratch(L, 2 * sizeof(int64_t));
        s.off[0] = 0; s.off[1] = s.n;
    } else {
        s.off = la_offsets(L, ioff, fn, "offsets", &s.S, s.n);
    }
    int64_t m;
    for (int w = 0; w < 2; w++) {
        int idx = w ? it1 : it0;
        double *v;
        if (lua_type(L, idx) == LUA_TNUMBER) {
            v = la_scratch(L, (size_t)s.S * sizeof(double));
            for (int64_t q = 0; q < s.S; q++) v[q] = lua_tonumber(L, idx);
        } else {
            v = la_doubles(L, idx, fn, w ? "t1" : "t0", &m, 1);
            if (m != s.S) lt_errorf(L, "%s: %s has %d entries for %d sequences", fn, w ? "t1" : "t0", (int)m, (int)s.S);
        }
        if (w) s.t1 = v; else s.t0 = v;
    }
    return s;
}

/* hawkes_fit(times, off|nil, t0, t1, init|nil) -> {mu, alpha, beta, se = {..}, loglik, status} */
static int l_hawkes_fit(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.hawkes_fit";
    seqs s = check_seqs(L, 1, 2, 3, 4, fn);
    tide_hawkes p = {0, 0, 0};
    if (lua_istable(L, 5)) p = check_hawkes(L, 5, fn);
    double se[3], ll;
    int st = tide_hawkes_fit(s.S, s.off, s.t, s.t0, s.t1, &p, se, &ll);
    if (st < 0) return lt_error(L, fn);
    lua_newtable(L);
    lua_pushnumber(L, p.mu); lua_setfield(L, -2, "mu");
    lua_pushnumber(L, p.alpha); lua_setfield(L, -2, "alpha");
    lua_pushnumber(L, p.beta); lua_setfield(L, -2, "beta");
    lua_newtable(L);
    lua_pushnumber(L, se[0]); lua_setfield(L, -2, "mu");
    lua_pushnumber(L, se[1]); lua_setfield(L, -2, "alpha");
    lua_pushnumber(L, se[2]); lua_setfield(L, -2, "beta");
    lua_setfield(L, -2, "se");
    lua_pushnumber(L, ll); lua_setfield(L, -2, "loglik");
    lua_pushinteger(L, (lua_Integer)s.n); lua_setfield(L, -2, "n");
    /* never a silent failure: the reason is the solver's own status name */
    lua_pushstring(L, st == 0 ? "converged" : "stopped"); lua_setfield(L, -2, "status");
    lua_pushboolean(L, st == TIDE_LBFGS_CONVERGED); lua_setfield(L, -2, "converged");
    lua_pushstring(L, tide_lbfgs_status_name(st)); lua_setfield(L, -2, "reason");
    return 1;
}

static int l_hawkes_loglik(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.hawkes_loglik";
    tide_hawkes p = check_hawkes(L, 1, fn);
    seqs s = check_seqs(L, 2, 3, 4, 5, fn);
    double g[3];
    lua_pushnumber(L, tide_hawkes_loglik(&p, s.S, s.off, s.t, s.t0, s.t1, g));
    lt_push_doubles(L, g, 3);
    return 2;
}

static int l_hawkes_intensity(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.hawkes_intensity";
    tide_hawkes p = check_hawkes(L, 1, fn);
    int64_t n;
    double *t = la_doubles(L, 2, fn, "times", &n, 1);
    lua_pushnumber(L, tide_hawkes_intensity(&p, n, t, luaL_checknumber(L, 3)));
    return 1;
}

static int l_hawkes_prob(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.hawkes_prob";
    tide_hawkes p = check_hawkes(L, 1, fn);
    int64_t n;
    double *t = la_doubles(L, 2, fn, "times", &n, 1), h = luaL_checknumber(L, 4);
    if (!(h >= 0)) lt_errorf(L, "%s: horizon must be >= 0", fn);
    lua_pushnumber(L, tide_hawkes_prob_event(&p, n, t, luaL_checknumber(L, 3), h));
    return 1;
}

/* hawkes_prob_batch(params, times, off, at (list/tensor or number), h) -> f32 [S] */
static int l_hawkes_prob_batch(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.hawkes_prob_batch";
    tide_hawkes p = check_hawkes(L, 1, fn);
    seqs s = check_seqs(L, 2, 3, 4, 4, fn); /* t0 = t1 = at */
    double h = luaL_checknumber(L, 5);
    if (!(h >= 0)) lt_errorf(L, "%s: horizon must be >= 0", fn);
    double *out = la_scratch(L, (size_t)s.S * sizeof(double));
    tide_hawkes_prob_batch(&p, s.S, s.off, s.t, s.t0, h, out);
    int64_t sh[1] = {s.S};
    tide_tensor *o = tide_tensor_new(TIDE_F32, 1, sh);
    if (o)
        for (int64_t i = 0; i < s.S; i++) tide_f32(o)[i] = (float)out[i];
    return lt_push_tensor(L, o, fn);
}

static int l_hawkes_simulate(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.hawkes_simulate";
    tide_hawkes p = check_hawkes(L, 1, fn);
    double T = luaL_checknumber(L, 2);
    tide_rng r;
    tide_rng_seed(&r, (uint64_t)luaL_optnumber(L, 3, 1));
    double *t;
    int64_t n = tide_hawkes_simulate(&p, T, &r, &t);
    if (n < 0) return lt_error(L, fn);
    double *v = lua_newuserdata(L, (size_t)(n > 0 ? n : 1) * sizeof(double)); /* an OOM here leaks t (tiny) */
    memcpy(v, t, (size_t)n * sizeof(double));
    free(t); /* from here on only GC-owned memory */
    lt_push_doubles(L, v, n);
    return 1;
}

/* returns ks, p_value, tau (table, in time order) of rescaled inter-event times against Exp(1);
 * tau is pushed first because the KS statistic sorts it in place */
static int push_ks(lua_State *L, double *tau, int64_t n)
{
    lt_push_doubles(L, tau, n);
    double pv, D = tide_ks_exp1(n, tau, &pv);
    lua_pushnumber(L, D);
    lua_pushnumber(L, pv);
    lua_pushvalue(L, -3);
    return 3;
}

/* hawkes_gof(params, times, t0) -> ks, p_value, tau (table) */
static int l_hawkes_gof(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.hawkes_gof";
    tide_hawkes p = check_hawkes(L, 1, fn);
    int64_t n;
    double *t = la_doubles(L, 2, fn, "times", &n, 1), t0 = luaL_optnumber(L, 3, 0);
    if (n < 1) lt_errorf(L, "%s: need at least one event", fn);
    double *tau = la_scratch(L, (size_t)n * sizeof(double));
    tide_hawkes_rescale(&p, n, t, t0, tau);
    return push_ks(L, tau, n);
}

/* hawkes_gof_pooled(params, times, off, t0, t1) -> ks, p_value, tau (table): the pooled
 * time-rescaling test over many sequences (tide_hawkes_rescale_pooled) */
static int l_hawkes_gof_pooled(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.hawkes_gof_pooled";
    tide_hawkes p = check_hawkes(L, 1, fn);
    seqs s = check_seqs(L, 2, 3, 4, 5, fn);
    if (s.n < 1) lt_errorf(L, "%s: need at least one event", fn);
    for (int64_t q = 0; q < s.S; q++) {
        if (!(s.t1[q] >= s.t0[q])) lt_errorf(L, "%s: sequence %d has an empty window [%g, %g]", fn, (int)q + 1, s.t0[q], s.t1[q]);
        for (int64_t i = s.off[q]; i < s.off[q + 1]; i++)
            if (!(s.t[i] >= (i > s.off[q] ? s.t[i - 1] : s.t0[q])) || !(s.t[i] <= s.t1[q]))
                lt_errorf(L, "%s: event %d at %g is unsorted or outside its window [%g, %g]", fn, (int)i + 1, s.t[i], s.t0[q], s.t1[q]);
    }
    double *tau = la_scratch(L, (size_t)s.n * sizeof(double));
    return push_ks(L, tau, tide_hawkes_rescale_pooled(&p, s.S, s.off, s.t, s.t0, s.t1, tau));
}

/* rows_topk(off i64 [U+1], key i32 [n], val f32 [n], k) -> off, key, val: each row's k largest */
static int l_rows_topk(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.rows_topk";
    tide_tensor *tk = la_tensor(L, 2, TIDE_I32, 1, fn, "key"), *tv = la_tensor(L, 3, TIDE_F32, 1, fn, "val");
    int64_t n = tide_tensor_numel(tk), U;
    if (tide_tensor_numel(tv) != n) lt_errorf(L, "%s: val has %d entries, key has %d", fn, (int)tide_tensor_numel(tv), (int)n);
    int64_t *off = la_offsets(L, 1, fn, "offsets", &U, n);
    int64_t k = lt_check_int(L, 4, fn, "k");
    if (k < 1) lt_errorf(L, "%s: k must be an integer >= 1, got %d", fn, (int)k);
    int64_t *oo = la_scratch(L, (size_t)(U + 1) * sizeof(int64_t));
    int32_t *ok = la_scratch(L, (size_t)(n ? n : 1) * sizeof(int32_t));
    float *ov = la_scratch(L, (size_t)(n ? n : 1) * sizeof(float));
    int64_t m = tide_decay_rows_topk(U, off, tide_i32(tk), tide_f32(tv), k, oo, ok, ov);
    if (m < 0) return lt_error(L, fn);
    int64_t s1[1] = {U + 1}, s2[1] = {m};
    la_push_copy(L, TIDE_I64, 1, s1, oo, fn);
    la_push_copy(L, TIDE_I32, 1, s2, ok, fn);
    la_push_copy(L, TIDE_F32, 1, s2, ov, fn);
    return 3;
}

static const luaL_Reg funcs[] = {
    {"families", l_families},     {"family", l_family},         {"nparams", l_nparams},
    {"eval", l_eval},             {"half_life", l_half_life},
    {"weights", l_weights},
    {"gaps", l_gaps},             {"fit", l_fit},
    {"gamma_eb", l_gamma_eb},     {"hawkes_fit", l_hawkes_fit},
    {"hawkes_loglik", l_hawkes_loglik}, {"hawkes_intensity", l_hawkes_intensity},
    {"hawkes_prob", l_hawkes_prob}, {"hawkes_prob_batch", l_hawkes_prob_batch},
    {"hawkes_simulate", l_hawkes_simulate},
    {"hawkes_gof", l_hawkes_gof}, {"hawkes_gof_pooled", l_hawkes_gof_pooled},
    {"rows_topk", l_rows_topk}, {NULL, NULL}};

extern const luaL_Reg lt_interest_funcs[]; /* lt_interest.c */
extern const luaL_Reg lt_lbfgs_funcs[];    /* lt_lbfgs.c */
extern const luaL_Reg lt_response_funcs[]; /* lt_response.c */
extern const luaL_Reg lt_mark_funcs[];     /* lt_mark.c */

int lt_open_decay(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    lt_register(L, lt_interest_funcs);
    lt_register(L, lt_lbfgs_funcs);
    lt_register(L, lt_response_funcs);
    lt_register(L, lt_mark_funcs);
    return 1;
}
