/* lt_response.c — Lua binding of decay_response.h, merged into core.decay:
 *   response_fit(family, k, data, opts) -> par {}, se {}, loglik, status
 *   response_loglik(family, k, data, par) -> loglik, grad {} (d/d free parameters)
 *   response_curve(data, edges) -> count [C, B], exposure [C, B] (f64 sums as f32 tensors)
 *   response_expected(family, k, data, par, t, h) -> f32 [n_pairs]
 * data = {off = i64 [P+1], time = tensor|table, type = i32 (1-based), target = i32 0/1,
 *         n_types =, t0 =, t1 =, max_hist = 0, delay = 0, frailty = false, units = nil}; with
 * frailty = true par ends with κ (the gamma frailty's shape) and the gradient with d/d log κ;
 * units = i64 [G+1] offsets over pairs makes each run of pairs share one frailty (nil: per pair) */
#include "decay_response.h"
#include "lt_args.h"

static void check_data(lua_State *L, int idx, const char *fn, tide_response_data *d)
{
    if (!lua_istable(L, idx)) lt_errorf(L, "%s: data must be a table {off, time, type, target, n_types, t0, t1}", fn);
    int64_t n, nt, ntg;
    lua_getfield(L, idx, "time");
    d->time = la_doubles(L, lua_gettop(L), fn, "data.time", &n, 1);
    lua_getfield(L, idx, "off");
    d->off = la_offsets(L, lua_gettop(L), fn, "data.off", &d->n_pairs, n);
    d->n_types = (int)la_optfield(L, idx, "n_types", 0);
    if (d->n_types < 1 || d->n_types > 32) lt_errorf(L, "%s: data.n_types must be 1..32, got %d", fn, d->n_types);
    lua_getfield(L, idx, "type");
    int32_t *ty = la_ids0(L, lua_gettop(L), fn, "data.type", &nt, d->n_types);
    lua_getfield(L, idx, "target");
    tide_tensor *tg = la_tensor(L, lua_gettop(L), TIDE_I32, 1, fn, "data.target");
    ntg = tide_tensor_numel(tg);
    if (nt != n || ntg != n) lt_errorf(L, "%s: data.time has %d events, type %d, target %d", fn, (int)n, (int)nt, (int)ntg);
    uint8_t *t8 = la_scratch(L, (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        int32_t v = tide_i32(tg)[i];
        if (v != 0 && v != 1) lt_errorf(L, "%s: data.target[%d] = %d must be 0 or 1", fn, (int)i + 1, v);
        t8[i] = (uint8_t)v;
    }
    d->type = ty;
    d->target = t8;
    d->t0 = la_optfield(L, idx, "t0", NAN);
    d->t1 = la_optfield(L, idx, "t1", NAN);
    if (!isfinite(d->t0) || !isfinite(d->t1)) lt_errorf(L, "%s: data.t0 and data.t1 must be finite numbers", fn);
    d->max_hist = (int)la_optfield(L, idx, "max_hist", 0);
    d->delay = la_optfield(L, idx, "delay", 0);
    if (!(d->delay >= 0) || !isfinite(d->delay)) lt_errorf(L, "%s: data.delay must be a finite number >= 0", fn);
    lua_getfield(L, idx, "frailty");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) lt_errorf(L, "%s: data.frailty must be a boolean", fn);
    d->frailty = lua_toboolean(L, -1);
    d->units = NULL;
    d->n_units = 0;
    lua_getfield(L, idx, "units");
    if (!lua_isnil(L, -1)) d->units = la_offsets(L, lua_gettop(L), fn, "data.units", &d->n_units, d->n_pairs);
}

static double *check_par(lua_State *L, int idx, const char *fn, int N)
{
    int64_t n;
    double *p = la_doubles(L, idx, fn, "par", &n, 1);
    if (n != N) lt_errorf(L, "%s: par has %d values, the model has %d (mu, weights, family[, kappa])", fn, (int)n, N);
    for (int i = 0; i < N; i++)
        if (!(p[i] > 0) || !isfinite(p[i])) lt_errorf(L, "%s: par[%d] = %g must be finite and > 0", fn, i + 1, p[i]);
    return p;
}

static int l_response_fit(lua_State *L)
{
    lua_settop(L, 8);
    const char *fn = "decay.response";
    tide_decay_family f = la_family(L, 1, fn);
    int k = la_mixture_k(L, 2, f, fn);
    tide_response_data d;
    check_data(L, 3, fn, &d);
    int N = tide_response_nparams(f, k, d.n_types) + d.frailty, F = 1 + d.n_types + tide_decay_nfree(f, k) + d.frailty;
    tide_response_opts o;
    tide_response_default_opts(&o);
    int opt = 4;
    if (!lua_isnoneornil(L, opt) && !lua_istable(L, opt)) lt_errorf(L, "%s: opts must be a table", fn);
    o.max_iter = (int)la_optfield(L, opt, "max_iter", o.max_iter);
    o.prior_prec = la_optfield(L, opt, "prior_prec", 0);
    if (lua_istable(L, opt)) {
        lua_getfield(L, opt, "prior");
        if (!lua_isnil(L, -1)) {
            int64_t np;
            o.prior_free = la_doubles(L, lua_gettop(L), fn, "prior", &np, 1);
            if (np != F) lt_errorf(L, "%s: prior has %d values, need %d free parameters", fn, (int)np, F);
        }
        lua_getfield(L, opt, "init");
        if (!lua_isnil(L, -1)) o.init = check_par(L, lua_gettop(L), fn, N);
        lua_getfield(L, opt, "se");
        if (lua_isboolean(L, -1)) o.want_se = lua_toboolean(L, -1);
    }
    double *par = la_scratch(L, sizeof(double) * N), *se = la_scratch(L, sizeof(double) * N), ll;
    int32_t st;
    if (tide_response_fit(&d, f, k, &o, par, se, &ll, &st) != TIDE_OK) return lt_error(L, fn);
    lt_push_doubles(L, par, N);
    lt_push_doubles(L, se, N);
    lua_pushnumber(L, ll);
    lua_pushinteger(L, st);
    return 4;
}

static int l_response_loglik(lua_State *L)
{
    lua_settop(L, 8);
    const char *fn = "decay.response_loglik";
    tide_decay_family f = la_family(L, 1, fn);
    int k = la_mixture_k(L, 2, f, fn);
    tide_response_data d;
    check_data(L, 3, fn, &d);
    int N = tide_response_nparams(f, k, d.n_types) + d.frailty, F = 1 + d.n_types + tide_decay_nfree(f, k) + d.frailty;
    double *par = check_par(L, 4, fn, N), *g = la_scratch(L, sizeof(double) * F), ll;
    if (tide_response_loglik(&d, f, k, par, &ll, g) != TIDE_OK) return lt_error(L, fn);
    lua_pushnumber(L, ll);
    lt_push_doubles(L, g, F);
    return 2;
}

static int l_response_curve(lua_State *L)
{
    lua_settop(L, 8);
    const char *fn = "decay.response_curve";
    tide_response_data d;
    check_data(L, 1, fn, &d);
    int64_t ne;
    double *edges = la_doubles(L, 2, fn, "edges", &ne, 1);
    if (ne < 2) lt_errorf(L, "%s: edges needs at least 2 values", fn);
    int B = (int)ne - 1, C = d.n_types;
    double *cnt = la_scratch(L, sizeof(double) * C * B), *ex = la_scratch(L, sizeof(double) * C * B);
    if (tide_response_curve(&d, B, edges, cnt, ex) != TIDE_OK) return lt_error(L, fn);
    int64_t shape[2] = {C, B};
    tide_tensor *tc = tide_tensor_new(TIDE_F32, 2, shape), *te = tide_tensor_new(TIDE_F32, 2, shape);
    if (!tc || !te) { tide_tensor_release(tc); tide_tensor_release(te); return lt_errorf(L, "%s: out of memory", fn); }
    for (int64_t i = 0; i < (int64_t)C * B; i++) { tide_f32(tc)[i] = (float)cnt[i]; tide_f32(te)[i] = (float)ex[i]; }
    lt_push_tensor(L, tc, fn);
    lt_push_tensor(L, te, fn);
    return 2;
}

static int l_response_expected(lua_State *L)
{
    lua_settop(L, 8);
    const char *fn = "decay.response_expected";
    tide_decay_family f = la_family(L, 1, fn);
    int k = la_mixture_k(L, 2, f, fn);
    tide_response_data d;
    check_data(L, 3, fn, &d);
    double *par = check_par(L, 4, fn, tide_response_nparams(f, k, d.n_types) + d.frailty);
    double t = luaL_checknumber(L, 5), h = luaL_checknumber(L, 6);
    double *out = la_scratch(L, sizeof(double) * (d.n_pairs ? d.n_pairs : 1));
    if (tide_response_expected(&d, f, k, par, t, h, out) != TIDE_OK) return lt_error(L, fn);
    int64_t shape[1] = {d.n_pairs};
    tide_tensor *r = tide_tensor_new(TIDE_F32, 1, shape);
    if (!r) return lt_errorf(L, "%s: out of memory", fn);
    for (int64_t p = 0; p < d.n_pairs; p++) tide_f32(r)[p] = (float)out[p];
    lt_push_tensor(L, r, fn);
    return 1;
}

/* response_pairs(user i32 [n], key i32 [n], time i64 [n]) -> perm i64 [n] (1-based rows),
 * off i64 [P+1] (0-based offsets into perm) */
static int l_response_pairs(lua_State *L)
{
    lua_settop(L, 8);
    const char *fn = "decay.response_pairs";
    tide_tensor *u = la_tensor(L, 1, TIDE_I32, 1, fn, "user"), *k = la_tensor(L, 2, TIDE_I32, 1, fn, "key"),
                *t = la_tensor(L, 3, TIDE_I64, 1, fn, "time");
    int64_t n = tide_tensor_numel(u);
    if (tide_tensor_numel(k) != n || tide_tensor_numel(t) != n)
        lt_errorf(L, "%s: user, key and time must have the same length (%d, %d, %d)", fn, (int)n,
                  (int)tide_tensor_numel(k), (int)tide_tensor_numel(t));
    int64_t s1[1] = {n}, s2[1] = {n + 1}, P;
    tide_tensor *perm = tide_tensor_new(TIDE_I64, 1, s1);
    lt_push_tensor(L, perm, fn);
    int64_t *off = la_scratch(L, sizeof(int64_t) * (size_t)(n + 1));
    if (tide_response_group(n, tide_i32(u), tide_i32(k), tide_i64(t), tide_i64(perm), off, &P) != TIDE_OK)
        return lt_error(L, fn);
    for (int64_t i = 0; i < n; i++) tide_i64(perm)[i] += 1;
    s2[0] = P + 1;
    la_push_copy(L, TIDE_I64, 1, s2, off, fn);
    lua_pushvalue(L, -3);
    lua_insert(L, -2);
    return 2;
}

const luaL_Reg lt_response_funcs[] = {
    {"response_pairs", l_response_pairs},
    {"response_fit", l_response_fit},     {"response_loglik", l_response_loglik},
    {"response_curve", l_response_curve}, {"response_expected", l_response_expected},
    {NULL, NULL}};
