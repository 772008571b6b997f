/* lt_gbdt.c — Lua binding of gbdt.h as core.gbdt: fit(X, y, w, Xv, yv, wv, opts) and
 * import(arrays, d, loss, baseline) return a "tide.GBDT" userdata with methods predict(X, raw
 * [, threads]) -> f32 [n], importance() -> {gain per feature}, info() -> table, export() ->
 * arrays (the tensors a model file stores), free(). X is an f32 [n, d] tensor (other dtypes
 * are converted), NaN = missing. lua/tide/activation/gbdt.lua is the user-facing model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gbdt.h"
#include "lt_args.h"

#define GBDT_MT "tide.GBDT"

typedef struct {
    tide_gbdt *m;
} gbdt_ud;

static tide_gbdt *check_model(lua_State *L, int idx, const char *fn)
{
    gbdt_ud *u = luaL_testudata(L, idx, GBDT_MT);
    if (!u) lt_errorf(L, "%s: argument #%d: expected a GBDT model, got %s", fn, idx, luaL_typename(L, idx));
    if (!u->m) lt_errorf(L, "%s: model was freed", fn);
    return u->m;
}

/* The engine's message under fn, without the engine's own "gbdt: " prefix. */
static int fail(lua_State *L, const char *fn)
{
    const char *msg = tide_error();
    if (!strncmp(msg, "gbdt: ", 6)) msg += 6;
    return lt_errorf(L, "%s: %s", fn, msg[0] ? msg : "failed");
}

static int push_model(lua_State *L, tide_gbdt *m, const char *fn)
{
    if (!m) return fail(L, fn);
    gbdt_ud *u = lua_newuserdata(L, sizeof *u);
    u->m = m;
    luaL_getmetatable(L, GBDT_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static tide_gbdt_loss check_loss(lua_State *L, const char *name, const char *fn)
{
    if (!strcmp(name, "logistic")) return TIDE_GBDT_LOGISTIC;
    if (!strcmp(name, "squared")) return TIDE_GBDT_SQUARED;
    lt_errorf(L, "%s: loss must be \"logistic\" or \"squared\", got \"%s\"", fn, name);
    return TIDE_GBDT_LOGISTIC;
}

/* opts[key] as an integer (def when absent). */
static double opt_int(lua_State *L, int idx, const char *fn, const char *key, double def)
{
    double v = lt_opt_number(L, idx, fn, key, def);
    if (v != floor(v) || fabs(v) > 9007199254740992.0)
        lt_errorf(L, "%s: opts.%s must be an integer, got %g", fn, key, v);
    return v;
}

/* X at idx: contiguous f32 [n, d] with n, d >= 1. */
static const float *check_X(lua_State *L, int idx, const char *fn, const char *what, int64_t *n, int *d)
{
    tide_tensor *t = la_tensor(L, idx, TIDE_F32, 2, fn, what);
    *n = t->shape[0];
    if (t->shape[1] > INT32_MAX) lt_errorf(L, "%s: %s has too many columns", fn, what);
    *d = (int)t->shape[1];
    if (*n < 1 || *d < 1) lt_errorf(L, "%s: %s is empty (%lld x %d)", fn, what, (long long)*n, *d);
    return tide_f32(t);
}

/* 1-D f32 values at idx with n entries (nil allowed when optional). */
static const float *check_vec(lua_State *L, int idx, const char *fn, const char *what, int64_t n, int optional)
{
    if (optional && lua_isnoneornil(L, idx)) return NULL;
    tide_tensor *t = la_tensor(L, idx, TIDE_F32, -1, fn, what);
    if (tide_tensor_numel(t) != n)
        lt_errorf(L, "%s: %s has %lld entries, X has %lld rows", fn, what, (long long)tide_tensor_numel(t),
                  (long long)n);
    return tide_f32(t);
}

/* fit(X, y, w|nil, Xv|nil, yv|nil, wv|nil, opts) */
static int l_fit(lua_State *L)
{
    const char *fn = "gbdt.fit";
    lua_settop(L, 7);
    if (!lua_istable(L, 7)) return lt_errorf(L, "%s: opts (argument #7) must be a table", fn);
    tide_gbdt_opts o;
    tide_gbdt_opts_default(&o);
    lua_getfield(L, 7, "loss");
    if (!lua_isnil(L, -1)) o.loss = check_loss(L, luaL_checkstring(L, -1), fn);
    lua_pop(L, 1);
    o.n_trees = (int)opt_int(L, 7, fn, "n_trees", o.n_trees);
    o.max_depth = (int)opt_int(L, 7, fn, "max_depth", o.max_depth);
    o.max_leaves = (int)opt_int(L, 7, fn, "max_leaves", o.max_leaves);
    o.max_bins = (int)opt_int(L, 7, fn, "max_bins", o.max_bins);
    o.learning_rate = lt_opt_number(L, 7, fn, "learning_rate", o.learning_rate);
    o.l2 = lt_opt_number(L, 7, fn, "l2", o.l2);
    o.min_child_weight = lt_opt_number(L, 7, fn, "min_child_weight", o.min_child_weight);
    o.min_samples_leaf = (int64_t)opt_int(L, 7, fn, "min_samples_leaf", (double)o.min_samples_leaf);
    o.min_split_gain = lt_opt_number(L, 7, fn, "min_split_gain", o.min_split_gain);
    o.es_rounds = (int)opt_int(L, 7, fn, "es_rounds", o.es_rounds);
    o.es_tol = lt_opt_number(L, 7, fn, "es_tol", o.es_tol);
    o.validation_fraction = lt_opt_number(L, 7, fn, "validation_fraction", o.validation_fraction);
    o.bin_sample = (int64_t)opt_int(L, 7, fn, "bin_sample", (double)o.bin_sample);
    o.seed = (uint64_t)opt_int(L, 7, fn, "seed", 0);
    o.threads = (int)opt_int(L, 7, fn, "threads", 0);
    int64_t n, nv = 0;
    int d, dv = 0;
    const float *X = check_X(L, 1, fn, "X", &n, &d);
    const float *y = check_vec(L, 2, fn, "y", n, 0);
    const float *w = check_vec(L, 3, fn, "weight", n, 1);
    const float *Xv = NULL, *yv = NULL, *wv = NULL;
    if (!lua_isnil(L, 4)) {
        Xv = check_X(L, 4, fn, "valid X", &nv, &dv);
        if (dv != d) return lt_errorf(L, "%s: valid X has %d columns, X has %d", fn, dv, d);
        yv = check_vec(L, 5, fn, "valid y", nv, 0);
        wv = check_vec(L, 6, fn, "valid weight", nv, 1);
    }
    return push_model(L, tide_gbdt_fit(&o, n, d, X, y, w, nv, Xv, yv, wv), fn);
}

/* m:predict(X, raw [, threads]) -> f32 [n] */
static int m_predict(lua_State *L)
{
    const char *fn = "gbdt.predict";
    lua_settop(L, 4);
    tide_gbdt *m = check_model(L, 1, fn);
    int raw = lua_toboolean(L, 3);
    int threads = lua_isnil(L, 4) ? 0 : (int)lt_check_int(L, 4, fn, "threads");
    int64_t n;
    int d;
    const float *X = check_X(L, 2, fn, "X", &n, &d);
    if (d != m->d) return lt_errorf(L, "%s: X has %d columns, the model was fit on %d", fn, d, m->d);
    int64_t sh[1] = {n};
    tide_tensor *out = tide_tensor_new(TIDE_F32, 1, sh);
    if (!out) return lt_error(L, fn);
    if (tide_gbdt_predict(m, n, X, raw, tide_f32(out), threads) < 0) {
        tide_tensor_release(out);
        return fail(L, fn);
    }
    return lt_push_tensor(L, out, fn);
}

static int m_importance(lua_State *L)
{
    tide_gbdt *m = check_model(L, 1, "gbdt.importance");
    double *v = la_scratch(L, (size_t)m->d * sizeof *v);
    tide_gbdt_importance(m, v);
    lt_push_doubles(L, v, m->d);
    return 1;
}

/* info() -> {d, loss, baseline, n_trees, n_nodes, n_iter, valid_loss = {after 0..n_iter trees}} */
static int m_info(lua_State *L)
{
    tide_gbdt *m = check_model(L, 1, "gbdt.info");
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, m->d);
    lua_setfield(L, -2, "d");
    lua_pushstring(L, m->loss == TIDE_GBDT_LOGISTIC ? "logistic" : "squared");
    lua_setfield(L, -2, "loss");
    lua_pushnumber(L, m->baseline);
    lua_setfield(L, -2, "baseline");
    lua_pushinteger(L, m->n_trees);
    lua_setfield(L, -2, "n_trees");
    lua_pushnumber(L, (double)m->n_nodes);
    lua_setfield(L, -2, "n_nodes");
    lua_pushinteger(L, m->n_iter);
    lua_setfield(L, -2, "n_iter");
    if (m->valid_loss) {
        lt_push_doubles(L, m->valid_loss, m->n_iter + 1);
        lua_setfield(L, -2, "valid_loss");
    }
    return 1;
}

static void set_copy(lua_State *L, const char *key, tide_dtype dt, int64_t n, const void *data)
{
    static const int64_t none = 0; /* an empty array still needs a valid source pointer */
    la_push_copy(L, dt, 1, &n, n ? data : (const void *)&none, "gbdt.export");
    lua_setfield(L, -2, key);
}

/* export() -> {tree_off i64, feat, miss_left, left, right i32, thr, value, gain f32} */
static int m_export(lua_State *L)
{
    tide_gbdt *m = check_model(L, 1, "gbdt.export");
    int64_t nn = m->n_nodes;
    int32_t *ml = la_scratch(L, (size_t)(nn ? nn : 1) * sizeof *ml);
    for (int64_t i = 0; i < nn; i++)
        ml[i] = m->miss_left[i];
    lua_createtable(L, 0, 8);
    set_copy(L, "tree_off", TIDE_I64, m->n_trees + 1, m->tree_off);
    set_copy(L, "feat", TIDE_I32, nn, m->feat);
    set_copy(L, "miss_left", TIDE_I32, nn, ml);
    set_copy(L, "left", TIDE_I32, nn, m->left);
    set_copy(L, "right", TIDE_I32, nn, m->right);
    set_copy(L, "thr", TIDE_F32, nn, m->thr);
    set_copy(L, "value", TIDE_F32, nn, m->value);
    set_copy(L, "gain", TIDE_F32, nn, m->gain);
    return 1;
}

/* arrays[key]: a contiguous 1-D tensor of dtype dt and n entries (n < 0: any, returned). */
static const void *array_field(lua_State *L, int idx, const char *key, tide_dtype dt, int64_t *n)
{
    const char *fn = "gbdt.import";
    lua_getfield(L, idx, key);
    if (!lt_is_tensor(L, -1)) lt_errorf(L, "%s: model array '%s' is missing", fn, key);
    tide_tensor *t = lt_check_tensor(L, -1, fn);
    if (t->dtype != dt || t->ndim != 1 || !tide_tensor_is_contiguous(t))
        lt_errorf(L, "%s: model array '%s' has the wrong type or shape", fn, key);
    if (*n >= 0 && t->shape[0] != *n)
        lt_errorf(L, "%s: model array '%s' has %lld entries, expected %lld", fn, key, (long long)t->shape[0],
                  (long long)*n);
    *n = t->shape[0];
    lua_pop(L, 1); /* still referenced by the table at idx */
    return tide_tensor_data(t);
}

/* import(arrays, d, loss, baseline) */
static int l_import(lua_State *L)
{
    const char *fn = "gbdt.import";
    luaL_checktype(L, 1, LUA_TTABLE);
    int64_t d = lt_check_int(L, 2, fn, "d");
    tide_gbdt_loss loss = check_loss(L, luaL_checkstring(L, 3), fn);
    double baseline = luaL_checknumber(L, 4);
    if (d < 1 || d > INT32_MAX) return lt_errorf(L, "%s: d must be >= 1, got %lld", fn, (long long)d);
    int64_t nt = -1, nn = -1;
    const int64_t *off = array_field(L, 1, "tree_off", TIDE_I64, &nt);
    if (nt < 1 || nt - 1 > INT32_MAX) return lt_errorf(L, "%s: model array 'tree_off' is empty", fn);
    const int32_t *feat = array_field(L, 1, "feat", TIDE_I32, &nn);
    if (off[nt - 1] != nn)
        return lt_errorf(L, "%s: tree_off ends at %lld, there are %lld nodes", fn, (long long)off[nt - 1],
                         (long long)nn);
    const int32_t *ml = array_field(L, 1, "miss_left", TIDE_I32, &nn),
                  *left = array_field(L, 1, "left", TIDE_I32, &nn),
                  *right = array_field(L, 1, "right", TIDE_I32, &nn);
    const float *thr = array_field(L, 1, "thr", TIDE_F32, &nn), *value = array_field(L, 1, "value", TIDE_F32, &nn),
                *gain = array_field(L, 1, "gain", TIDE_F32, &nn);
    return push_model(
        L,
        tide_gbdt_from_arrays((int)d, loss, baseline, (int)(nt - 1), off, feat, thr, ml, left, right, value, gain),
        fn);
}

static int m_free(lua_State *L)
{
    gbdt_ud *u = luaL_checkudata(L, 1, GBDT_MT);
    tide_gbdt_free(u->m);
    u->m = NULL;
    return 0;
}

static const luaL_Reg methods[] = {{"predict", m_predict}, {"importance", m_importance},
                                   {"info", m_info},       {"export", m_export},
                                   {"free", m_free},       {NULL, NULL}};

static const luaL_Reg funcs[] = {{"fit", l_fit}, {"import", l_import}, {NULL, NULL}};

int lt_open_gbdt(lua_State *L)
{
    lt_class(L, GBDT_MT, methods, m_free);
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
