/* lt_mark.c — Lua binding of decay_mark.h, merged into core.decay:
 *   mark_fit(data, par, max_iter) -> par {}, se {}, loglik, status, n_marks
 *   mark_loglik(data, par) -> loglik, grad {} (d/d free parameters), n_marks
 *   mark_state(data, par, t[, h = 0]) -> user i32 [Q] (1-based), key i32 [Q] (1-based), share f32 [Q],
 *                               rows f32 [U], visits f32 [U]
 * data = {off = i64 [U+1], time = tensor|table, key = i32 (1-based, <= n_keys), type = i32
 *         (1-based), target = i32 0/1, n_types =, ref = (1-based type whose weight is 1),
 *         prior = f32|table [n_keys] (sums to 1), t0 = -inf, delay = 0}; par = {β, α, φ, w[1..n_types]} */
#include "decay_mark.h"
#include "lt_args.h"

static void check_data(lua_State *L, int idx, const char *fn, tide_mark_data *d)
{
    if (!lua_istable(L, idx)) lt_errorf(L, "%s: data must be a table {off, time, key, type, target, n_types, ref, prior}", fn);
    int64_t n, nk, nt, ntg, np;
    lua_getfield(L, idx, "time");
    d->time = la_doubles(L, lua_gettop(L), fn, "data.time", &n, 1);
    lua_getfield(L, idx, "off");
    d->off = la_offsets(L, lua_gettop(L), fn, "data.off", &d->n_users, n);
    d->n_types = (int)la_optfield(L, idx, "n_types", 0);
    if (d->n_types < 1 || d->n_types > 32) lt_errorf(L, "%s: data.n_types must be 1..32, got %d", fn, d->n_types);
    d->ref = (int)la_optfield(L, idx, "ref", 0) - 1;
    if (d->ref < 0 || d->ref >= d->n_types) lt_errorf(L, "%s: data.ref must be a type 1..%d", fn, d->n_types);
    lua_getfield(L, idx, "prior");
    d->prior = la_doubles(L, lua_gettop(L), fn, "data.prior", &np, 1);
    if (np < 1 || np > INT32_MAX) lt_errorf(L, "%s: data.prior must hold one share per key", fn);
    d->n_keys = (int32_t)np;
    lua_getfield(L, idx, "key");
    d->key = la_ids0(L, lua_gettop(L), fn, "data.key", &nk, np);
    lua_getfield(L, idx, "type");
    d->type = la_ids0(L, lua_gettop(L), fn, "data.type", &nt, d->n_types);
    lua_getfield(L, idx, "target");
    tide_tensor *tg = la_tensor(L, lua_gettop(L), TIDE_I32, 1, fn, "data.target");
    ntg = tide_tensor_numel(tg);
    if (nk != n || nt != n || ntg != n)
        lt_errorf(L, "%s: data.time has %d events, key %d, type %d, target %d", fn, (int)n, (int)nk, (int)nt, (int)ntg);
    uint8_t *t8 = la_scratch(L, (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        int32_t v = tide_i32(tg)[i];
        if (v != 0 && v != 1) lt_errorf(L, "%s: data.target[%d] = %d must be 0 or 1", fn, (int)i + 1, v);
        t8[i] = (uint8_t)v;
    }
    d->target = t8;
    d->t0 = la_optfield(L, idx, "t0", -INFINITY);
    d->delay = la_optfield(L, idx, "delay", 0);
    if (!(d->delay >= 0) || !isfinite(d->delay)) lt_errorf(L, "%s: data.delay must be a finite number >= 0", fn);
}

static double *check_par(lua_State *L, int idx, const char *fn, int N)
{
    int64_t n;
    double *p = la_doubles(L, idx, fn, "par", &n, 1);
    if (n != N) lt_errorf(L, "%s: par has %d values, the model has %d (beta, alpha, phi, weights)", fn, (int)n, N);
    return p;
}

static int l_mark_fit(lua_State *L)
{
    lua_settop(L, 3);
    const char *fn = "decay.response_marks";
    tide_mark_data d;
    check_data(L, 1, fn, &d);
    double par[35], se[35], ll;
    int N = 3 + d.n_types;
    memcpy(par, check_par(L, 2, fn, N), sizeof(double) * N);
    int32_t st;
    int64_t n;
    if (tide_mark_fit(&d, (int)luaL_optinteger(L, 3, 200), par, se, &ll, &n, &st) != TIDE_OK) return lt_error(L, fn);
    lt_push_doubles(L, par, N);
    lt_push_doubles(L, se, N);
    lua_pushnumber(L, ll);
    lua_pushinteger(L, st);
    lua_pushnumber(L, (double)n);
    return 5;
}

static int l_mark_loglik(lua_State *L)
{
    lua_settop(L, 2);
    const char *fn = "decay.response_marks";
    tide_mark_data d;
    check_data(L, 1, fn, &d);
    double *par = check_par(L, 2, fn, 3 + d.n_types), ll, g[34];
    int64_t n;
    if (tide_mark_check(&d) != TIDE_OK) return lt_error(L, fn); /* fit and state check for themselves */
    if (tide_mark_loglik(&d, par, &ll, g, &n) != TIDE_OK) return lt_error(L, fn);
    lua_pushnumber(L, ll);
    lt_push_doubles(L, g, tide_mark_nfree(d.n_types));
    lua_pushnumber(L, (double)n);
    return 3;
}

static int l_mark_state(lua_State *L)
{
    lua_settop(L, 4);
    const char *fn = "decay.response_marks";
    tide_mark_data d;
    check_data(L, 1, fn, &d);
    double *par = check_par(L, 2, fn, 3 + d.n_types), t = luaL_checknumber(L, 3), h = luaL_optnumber(L, 4, 0);
    if (!(h >= 0) || !isfinite(h)) lt_errorf(L, "%s: the horizon must be a finite number >= 0, got %g", fn, h);
    int64_t n = d.off[d.n_users], U = d.n_users, Q;
    int32_t *user = la_scratch(L, sizeof(int32_t) * (size_t)(n + 1)), *key = la_scratch(L, sizeof(int32_t) * (size_t)(n + 1));
    double *share = la_scratch(L, sizeof(double) * (size_t)(n + 1)), *rows = la_scratch(L, sizeof(double) * (size_t)(U + 1)),
           *visits = la_scratch(L, sizeof(double) * (size_t)(U + 1));
    if (tide_mark_state(&d, par, t, h, user, key, share, &Q, rows, visits) != TIDE_OK) return lt_error(L, fn);
    int64_t sq[1] = {Q}, su[1] = {U};
    tide_tensor *tu = tide_tensor_new(TIDE_I32, 1, sq);
    lt_push_tensor(L, tu, fn);
    tide_tensor *tk = tide_tensor_new(TIDE_I32, 1, sq);
    lt_push_tensor(L, tk, fn);
    tide_tensor *ts = tide_tensor_new(TIDE_F32, 1, sq);
    lt_push_tensor(L, ts, fn);
    for (int64_t q = 0; q < Q; q++) {
        tide_i32(tu)[q] = user[q] + 1;
        tide_i32(tk)[q] = key[q] + 1;
        tide_f32(ts)[q] = (float)share[q];
    }
    tide_tensor *tr = tide_tensor_new(TIDE_F32, 1, su);
    lt_push_tensor(L, tr, fn);
    tide_tensor *tv = tide_tensor_new(TIDE_F32, 1, su);
    lt_push_tensor(L, tv, fn);
    for (int64_t u = 0; u < U; u++) { tide_f32(tr)[u] = (float)rows[u]; tide_f32(tv)[u] = (float)visits[u]; }
    return 5;
}

const luaL_Reg lt_mark_funcs[] = {
    {"mark_fit", l_mark_fit}, {"mark_loglik", l_mark_loglik}, {"mark_state", l_mark_state}, {NULL, NULL}};
