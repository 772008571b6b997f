/* lt_sim.c — Lua binding of the behaviour simulator (engine/sim.h).
 *
 * core.sim.new(cfg) -> a "tide.Sim" object built from a flat config table (the friendly
 * defaults and key checking live in lua/tide/sim.lua). Methods:
 *   s:write(path [, gz_level [, threads [, block_users]]]) -> summary table
 *   s:write_truth(path [, per_user])            (uses the last write's summary when present)
 *   s:truth() -> per-user truth tensors         s:visits(user) -> times, kinds, alive
 *   s:profile(user) -> θ_u (f32 [C]), top category
 *   s:future(users, treated|nil, effect, window) -> returned, first, visits tensors
 *   s:config() -> effective config (after calibration)      s:free()  (safe twice) */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "lt.h"
#include "sim.h"

#define LT_SIM_MT "tide.Sim"

typedef struct {
    tide_sim *s;
    tide_sim_summary sum;
    int has_sum;
    double build_seconds; /* wall time of tide_sim_new (calibration pass) */
} lt_sim_ud;

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- config parsing: every check happens before anything is allocated ---- */
static int get_field(lua_State *L, int idx, const char *key)
{
    lua_getfield(L, idx, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

static void opt_num(lua_State *L, int idx, const char *key, double *dst)
{
    if (!get_field(L, idx, key)) return;
    if (lua_type(L, -1) != LUA_TNUMBER)
        lt_errorf(L, "sim: '%s' must be a number, got %s", key, luaL_typename(L, -1));
    *dst = lua_tonumber(L, -1);
    lua_pop(L, 1);
}

static void opt_int(lua_State *L, int idx, const char *key, int64_t *dst, int64_t lo)
{
    if (!get_field(L, idx, key)) return;
    double v = lua_tonumber(L, -1);
    if (lua_type(L, -1) != LUA_TNUMBER || v != floor(v) || v < (double)lo || v > 9.007199254740992e15)
        lt_errorf(L, "sim: '%s' must be an integer >= %lld, got %s", key, (long long)lo,
                  lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
    *dst = (int64_t)v;
    lua_pop(L, 1);
}

static void opt_bool(lua_State *L, int idx, const char *key, int *dst)
{
    if (!get_field(L, idx, key)) return;
    if (!lua_isboolean(L, -1))
        lt_errorf(L, "sim: '%s' must be a boolean, got %s", key, luaL_typename(L, -1));
    *dst = lua_toboolean(L, -1);
    lua_pop(L, 1);
}

static void parse_segment(lua_State *L, int idx, int i, tide_sim_segment *g)
{
    if (get_field(L, idx, "name")) {
        if (lua_type(L, -1) != LUA_TSTRING)
            lt_errorf(L, "sim: segment %d: 'name' must be a string", i + 1);
        snprintf(g->name, sizeof g->name, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    struct { const char *k; double *d; } f[] = {
        {"weight", &g->weight}, {"rate_shape", &g->rate_shape}, {"rate_rate", &g->rate_rate},
        {"mix_weight", &g->mix_weight}, {"mix_ratio", &g->mix_ratio},
        {"power_shape", &g->power_shape}, {"branching", &g->branching}, {"beta", &g->beta},
        {"branching_conc", &g->branching_conc}, {"beta_shape", &g->beta_shape},
        {"churn_shape", &g->churn_shape}, {"churn_rate", &g->churn_rate},
        {"react_shape", &g->react_shape}, {"react_rate", &g->react_rate},
    };
    for (size_t j = 0; j < sizeof f / sizeof f[0]; j++) opt_num(L, idx, f[j].k, f[j].d);
}

static void parse_config(lua_State *L, int idx, tide_sim_config *c)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    tide_sim_default_config(c);
    int64_t seed = (int64_t)c->seed, users = c->n_users, events = 0, items = c->n_items;
    int64_t cats = c->n_categories, start = c->t_start;
    opt_int(L, idx, "seed", &seed, 0);
    opt_int(L, idx, "users", &users, 1);
    opt_int(L, idx, "events", &events, 0);
    opt_int(L, idx, "items", &items, 1);
    opt_int(L, idx, "categories", &cats, 1);
    opt_int(L, idx, "start", &start, 0);
    if (cats > TIDE_SIM_MAX_CATEGORIES)
        lt_errorf(L, "sim: 'categories' must be <= %d", TIDE_SIM_MAX_CATEGORIES);
    c->seed = (uint64_t)seed, c->n_users = users, c->n_events = events, c->n_items = items;
    c->n_categories = (int32_t)cats, c->t_start = start;
    if (get_field(L, idx, "decay")) {
        if (lua_type(L, -1) != LUA_TSTRING)
            lt_errorf(L, "sim: 'decay' must be a string, got %s", luaL_typename(L, -1));
        int law = tide_sim_law_lookup(lua_tostring(L, -1));
        if (law < 0) lt_error(L, "sim");
        c->law = (tide_sim_law)law;
        lua_pop(L, 1);
    }
    struct { const char *k; double *d; } f[] = {
        {"horizon", &c->horizon}, {"join_spread", &c->join_spread}, {"mean_pv", &c->mean_pv},
        {"p_click", &c->p_click}, {"p_cart", &c->p_cart}, {"p_fav", &c->p_fav},
        {"p_buy", &c->p_buy}, {"zipf_items", &c->zipf_items},
        {"zipf_categories", &c->zipf_categories}, {"dirichlet_conc", &c->dirichlet_conc},
        {"stick", &c->stick}, {"drift", &c->drift}, {"price_median", &c->price_median},
        {"price_sigma", &c->price_sigma}, {"dwell_median", &c->dwell_median},
        {"dwell_sigma", &c->dwell_sigma}, {"sentiment", &c->sentiment},
        {"p_review", &c->p_review}, {"review_noise", &c->review_noise},
    };
    for (size_t j = 0; j < sizeof f / sizeof f[0]; j++) opt_num(L, idx, f[j].k, f[j].d);
    opt_bool(L, idx, "hawkes", &c->hawkes);
    opt_bool(L, idx, "churn", &c->churn);
    opt_bool(L, idx, "join_visit", &c->join_visit);
    if (get_field(L, idx, "segments")) {
        if (!lua_istable(L, -1)) lt_errorf(L, "sim: 'segments' must be a list of tables");
        int n = (int)lua_objlen(L, -1);
        if (n < 1 || n > TIDE_SIM_MAX_SEGMENTS)
            lt_errorf(L, "sim: 1..%d segments, got %d", TIDE_SIM_MAX_SEGMENTS, n);
        tide_sim_segment base[3];
        memcpy(base, c->seg, sizeof base);
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, -1, i + 1);
            if (!lua_istable(L, -1)) lt_errorf(L, "sim: segment %d must be a table", i + 1);
            c->seg[i] = base[i < 3 ? i : 1]; /* unset fields: the default segment of that rank */
            if (i >= 3) snprintf(c->seg[i].name, sizeof c->seg[i].name, "segment%d", i + 1);
            parse_segment(L, lua_gettop(L), i, &c->seg[i]);
            lua_pop(L, 1);
        }
        c->n_segments = n;
        lua_pop(L, 1);
    }
}

static lt_sim_ud *check_sim(lua_State *L, int idx, const char *fn)
{
    lt_sim_ud *ud = luaL_checkudata(L, idx, LT_SIM_MT);
    if (!ud->s) lt_errorf(L, "%s: the simulator was freed", fn);
    return ud;
}

static int l_new(lua_State *L)
{
    tide_sim_config c;
    parse_config(L, 1, &c);
    lt_sim_ud *ud = lua_newuserdata(L, sizeof *ud);
    memset(ud, 0, sizeof *ud);
    luaL_getmetatable(L, LT_SIM_MT);
    lua_setmetatable(L, -2);
    double t0 = wall_seconds();
    ud->s = tide_sim_new(&c);
    if (!ud->s) return lt_error(L, "sim");
    ud->build_seconds = wall_seconds() - t0;
    return 1;
}

static void set_int(lua_State *L, const char *k, int64_t v)
{
    lua_pushnumber(L, (lua_Number)v);
    lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static int m_write(lua_State *L)
{
    lt_sim_ud *ud = check_sim(L, 1, "sim:write");
    const char *path = luaL_checkstring(L, 2);
    int64_t level = lua_isnoneornil(L, 3) ? 1 : lt_check_int(L, 3, "sim:write", "level");
    int64_t threads = lua_isnoneornil(L, 4) ? 0 : lt_check_int(L, 4, "sim:write", "threads");
    int64_t block = lua_isnoneornil(L, 5) ? 0 : lt_check_int(L, 5, "sim:write", "block_users");
    if (level < 1 || level > 9) lt_errorf(L, "sim:write: gzip level must be 1..9, got %lld", (long long)level);
    if (threads < 0 || threads > 64) lt_errorf(L, "sim:write: threads must be 0..64 (0 = one per core)");
    if (block < 0) lt_errorf(L, "sim:write: block_users must be >= 0 (0 = automatic)");
    double t0 = wall_seconds();
    if (tide_sim_write(ud->s, path, (int)level, (int)threads, block, &ud->sum) != TIDE_OK) {
        ud->has_sum = 0;
        return lt_error(L, "sim");
    }
    ud->has_sum = 1;
    const tide_sim_summary *s = &ud->sum;
    lua_newtable(L);
    set_int(L, "rows", s->rows);
    set_int(L, "visits", s->visits);
    set_int(L, "users_alive_at_end", s->users_alive_at_end);
    set_int(L, "bytes", s->bytes);
    set_int(L, "t_min", s->t_min);
    set_int(L, "t_max", s->t_max);
    set_num(L, "seconds", wall_seconds() - t0);          /* wall time of this write */
    set_num(L, "build_seconds", ud->build_seconds);      /* wall time of sim.new */
    lua_newtable(L);
    static const char *names[5] = {"pv", "click", "cart", "fav", "buy"};
    for (int i = 0; i < 5; i++) set_int(L, names[i], s->by_behavior[i]);
    lua_setfield(L, -2, "behaviors");
    return 1;
}

static int m_write_truth(lua_State *L)
{
    lt_sim_ud *ud = check_sim(L, 1, "sim:write_truth");
    const char *path = luaL_checkstring(L, 2);
    int per_user = lua_isnoneornil(L, 3) ? 1 : lua_toboolean(L, 3);
    if (tide_sim_write_truth(ud->s, path, per_user, ud->has_sum ? &ud->sum : NULL) != TIDE_OK)
        return lt_error(L, "sim");
    return 0;
}

static int m_config(lua_State *L)
{
    lt_sim_ud *ud = check_sim(L, 1, "sim:config");
    const tide_sim_config *c = tide_sim_config_of(ud->s);
    lua_newtable(L);
    set_int(L, "seed", (int64_t)c->seed), set_int(L, "users", c->n_users);
    set_int(L, "events", c->n_events), set_int(L, "items", c->n_items);
    set_int(L, "categories", c->n_categories), set_int(L, "start", c->t_start);
    lua_pushstring(L, tide_sim_law_name(c->law));
    lua_setfield(L, -2, "decay");
    set_num(L, "horizon", c->horizon), set_num(L, "join_spread", c->join_spread);
    set_num(L, "mean_pv", c->mean_pv), set_num(L, "rows_per_pv", tide_sim_rows_per_pv(c));
    set_num(L, "p_click", c->p_click), set_num(L, "p_cart", c->p_cart);
    set_num(L, "p_fav", c->p_fav), set_num(L, "p_buy", c->p_buy);
    set_num(L, "zipf_items", c->zipf_items), set_num(L, "zipf_categories", c->zipf_categories);
    set_num(L, "dirichlet_conc", c->dirichlet_conc), set_num(L, "stick", c->stick);
    set_num(L, "drift", c->drift), set_num(L, "price_median", c->price_median);
    set_num(L, "price_sigma", c->price_sigma), set_num(L, "dwell_median", c->dwell_median);
    set_num(L, "dwell_sigma", c->dwell_sigma);
    lua_pushboolean(L, c->hawkes), lua_setfield(L, -2, "hawkes");
    lua_pushboolean(L, c->churn), lua_setfield(L, -2, "churn");
    lua_pushboolean(L, c->join_visit), lua_setfield(L, -2, "join_visit");
    set_num(L, "sentiment", c->sentiment), set_num(L, "p_review", c->p_review);
    set_num(L, "review_noise", c->review_noise);
    lua_createtable(L, c->n_segments, 0);
    for (int i = 0; i < c->n_segments; i++) {
        const tide_sim_segment *g = &c->seg[i];
        lua_newtable(L);
        lua_pushstring(L, g->name), lua_setfield(L, -2, "name");
        set_num(L, "weight", g->weight), set_num(L, "rate_shape", g->rate_shape);
        set_num(L, "rate_rate", g->rate_rate), set_num(L, "rate_mean", g->rate_shape / g->rate_rate);
        set_num(L, "mix_weight", g->mix_weight), set_num(L, "mix_ratio", g->mix_ratio);
        set_num(L, "power_shape", g->power_shape);
        set_num(L, "branching", c->hawkes ? g->branching : 0), set_num(L, "beta", g->beta);
        set_num(L, "branching_conc", g->branching_conc), set_num(L, "beta_shape", g->beta_shape);
        set_num(L, "churn_shape", g->churn_shape), set_num(L, "churn_rate", g->churn_rate);
        set_num(L, "react_shape", g->react_shape), set_num(L, "react_rate", g->react_rate);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "segments");
    return 1;
}

/* Per-user truth as tensors: segment (i32, 1-based), visits, alive (i32); rate, mu, alpha,
 * beta, branching, churn, react (f32 [U]); theta (f32 [U, P]). */
static int m_truth(lua_State *L)
{
    lt_sim_ud *ud = check_sim(L, 1, "sim:truth");
    const tide_sim_config *c = tide_sim_config_of(ud->s);
    int64_t U = c->n_users;
    tide_sim_truth t0;
    tide_sim_user_truth(ud->s, 0, &t0);
    enum { NT = 12 };
    static const char *names[NT] = {"segment", "visits", "alive", "rate", "mu", "alpha",
                                    "beta", "branching", "churn", "react", "theta", "sentiment"};
    tide_tensor *ts[NT] = {0};
    for (int i = 0; i < NT; i++) {
        int64_t shape[2] = {U, t0.n_theta};
        ts[i] = tide_tensor_new(i < 3 ? TIDE_I32 : TIDE_F32, i == 10 ? 2 : 1, shape);
        if (!ts[i]) {
            for (int j = 0; j < i; j++) tide_tensor_release(ts[j]);
            return lt_error(L, "sim:truth");
        }
    }
    for (int64_t u = 0; u < U; u++) {
        tide_sim_truth t;
        int alive;
        tide_sim_user_truth(ud->s, u, &t);
        tide_i32(ts[0])[u] = t.segment + 1;
        tide_i32(ts[1])[u] = (int32_t)tide_sim_user_visits(ud->s, u, NULL, NULL, 0, &alive);
        tide_i32(ts[2])[u] = alive;
        double v[7] = {t.rate, t.mu, t.alpha, t.beta, t.alpha / t.beta, t.churn, t.react};
        for (int j = 0; j < 7; j++) tide_f32(ts[3 + j])[u] = (float)v[j];
        tide_f32(ts[11])[u] = (float)t.sentiment;
        for (int j = 0; j < t.n_theta; j++) tide_f32(ts[10])[u * t0.n_theta + j] = (float)t.theta[j];
    }
    lua_createtable(L, 0, NT);
    for (int i = 0; i < NT; i++) {
        lt_push_tensor(L, ts[i], "sim:truth");
        lua_setfield(L, -2, names[i]);
    }
    return 1;
}

static int m_visits(lua_State *L)
{
    lt_sim_ud *ud = check_sim(L, 1, "sim:visits");
    int64_t u = lt_check_int(L, 2, "sim:visits", "user");
    int64_t U = tide_sim_config_of(ud->s)->n_users;
    if (u < 1 || u > U) lt_errorf(L, "sim:visits: user %lld out of range 1..%lld", (long long)u, (long long)U);
    int alive;
    int64_t n = tide_sim_user_visits(ud->s, u - 1, NULL, NULL, 0, &alive);
    double *t = malloc(sizeof(double) * (size_t)(n ? n : 1));
    int8_t *k = malloc((size_t)(n ? n : 1));
    if (!t || !k) {
        free(t), free(k);
        return lt_errorf(L, "sim:visits: out of memory");
    }
    tide_sim_user_visits(ud->s, u - 1, t, k, n, NULL);
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, (int)n, 0);
    for (int64_t i = 0; i < n; i++) {
        lua_pushnumber(L, t[i]), lua_rawseti(L, -3, (int)i + 1);
        lua_pushinteger(L, k[i]), lua_rawseti(L, -2, (int)i + 1);
    }
    free(t), free(k);
    lua_pushboolean(L, alive);
    return 3;
}

/* s:profile(user) -> f32 tensor [n_categories] (θ_u), top category (1-based) */
static int m_profile(lua_State *L)
{
    lt_sim_ud *ud = check_sim(L, 1, "sim:profile");
    int64_t u = lt_check_int(L, 2, "sim:profile", "user");
    const tide_sim_config *c = tide_sim_config_of(ud->s);
    if (u < 1 || u > c->n_users)
        lt_errorf(L, "sim:profile: user %lld out of range 1..%lld", (long long)u, (long long)c->n_users);
    int64_t shape[1] = {c->n_categories};
    tide_tensor *t = tide_tensor_new(TIDE_F32, 1, shape);
    double *p = malloc(sizeof(double) * (size_t)c->n_categories);
    if (!t || !p) {
        tide_tensor_release(t);
        free(p);
        return lt_errorf(L, "sim:profile: out of memory");
    }
    int top = tide_sim_user_profile(ud->s, u - 1, p);
    for (int i = 0; i < c->n_categories; i++) tide_f32(t)[i] = (float)p[i];
    free(p);
    lt_push_tensor(L, t, "sim:profile");
    lua_pushinteger(L, top + 1);
    return 2;
}

static int64_t tensor_int_at(const tide_tensor *t, int64_t i)
{
    return t->dtype == TIDE_I64 ? tide_i64(t)[i] : t->dtype == TIDE_I32 ? tide_i32(t)[i]
                                                                        : (int64_t)tide_f32(t)[i];
}

static int m_future(lua_State *L)
{
    const char *fn = "sim:future";
    lt_sim_ud *ud = check_sim(L, 1, fn);
    tide_tensor *users = lt_check_tensor(L, 2, fn);
    tide_tensor *treated = lt_opt_tensor(L, 3, fn);
    luaL_checktype(L, 4, LUA_TNUMBER);
    luaL_checktype(L, 5, LUA_TNUMBER);
    double effect = lua_tonumber(L, 4), window = lua_tonumber(L, 5);
    if (users->ndim != 1 || users->dtype == TIDE_F32 || !tide_tensor_is_contiguous(users))
        lt_errorf(L, "%s: users must be a contiguous 1-d i32/i64 tensor of 1-based ids", fn);
    int64_t n = users->shape[0];
    if (treated && (treated->ndim != 1 || treated->shape[0] != n || !tide_tensor_is_contiguous(treated)))
        lt_errorf(L, "%s: treated must be a contiguous 1-d tensor with %lld entries", fn, (long long)n);
    int64_t shape[1] = {n};
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    uint8_t *tr = malloc((size_t)(n ? n : 1)), *ret = malloc((size_t)(n ? n : 1));
    double *first = malloc(sizeof(double) * (size_t)(n ? n : 1));
    tide_tensor *o_ret = tide_tensor_new(TIDE_I32, 1, shape);
    tide_tensor *o_first = tide_tensor_new(TIDE_F32, 1, shape);
    tide_tensor *o_vis = tide_tensor_new(TIDE_I32, 1, shape);
    int ok = ids && tr && ret && first && o_ret && o_first && o_vis;
    if (ok) {
        for (int64_t i = 0; i < n; i++) {
            ids[i] = tensor_int_at(users, i) - 1;
            tr[i] = treated ? tensor_int_at(treated, i) != 0 : 0;
        }
        ok = tide_sim_future(ud->s, n, ids, tr, effect, window, ret, first, tide_i32(o_vis)) == TIDE_OK;
    } else {
        tide_errorf("%s: out of memory", fn);
    }
    if (ok)
        for (int64_t i = 0; i < n; i++) {
            tide_i32(o_ret)[i] = ret[i];
            tide_f32(o_first)[i] = (float)first[i];
        }
    free(ids), free(tr), free(ret), free(first);
    if (!ok) {
        tide_tensor_release(o_ret), tide_tensor_release(o_first), tide_tensor_release(o_vis);
        return lt_error(L, fn);
    }
    lt_push_tensor(L, o_ret, fn);
    lt_push_tensor(L, o_first, fn);
    lt_push_tensor(L, o_vis, fn);
    return 3;
}

static int m_free(lua_State *L)
{
    lt_sim_ud *ud = luaL_checkudata(L, 1, LT_SIM_MT);
    tide_sim_free(ud->s);
    ud->s = NULL;
    return 0;
}

static int m_tostring(lua_State *L)
{
    lt_sim_ud *ud = luaL_checkudata(L, 1, LT_SIM_MT);
    if (!ud->s) {
        lua_pushstring(L, "tide.Sim (freed)");
        return 1;
    }
    const tide_sim_config *c = tide_sim_config_of(ud->s);
    lua_pushfstring(L, "tide.Sim (%s, %d users, seed %d)", tide_sim_law_name(c->law),
                    (int)c->n_users, (int)c->seed);
    return 1;
}

static const luaL_Reg methods[] = {
    {"write", m_write}, {"write_truth", m_write_truth}, {"config", m_config},
    {"truth", m_truth}, {"visits", m_visits},           {"future", m_future},
    {"profile", m_profile},
    {"free", m_free},   {NULL, NULL}};

static const luaL_Reg funcs[] = {{"new", l_new}, {NULL, NULL}};

int lt_open_sim(lua_State *L)
{
    if (luaL_newmetatable(L, LT_SIM_MT)) {
        lua_newtable(L);
        lt_register(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, m_free);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, m_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
