/* lt_data_feat.c — Lua binding of the behaviour-feature kernels (engine/rfm.c) and the
 * feature-hashing helper used by tide.features encoders.
 *
 *   features_user(offsets, time, event, price|nil, dwell|nil, category|nil, n_categories, now)
 *       -> f32 [n_users, F], {names...}
 *   features_user_cat(offsets, time, event, price|nil, dwell|nil, category, n_categories, now)
 *       -> user i32 [m], category i32 [m], f32 [m, FC], {names...}
 *   hash_bucket(keys, dim, seed) -> bucket i32 [n] (1..dim), sign f32 [n] (+-1)
 *       keys: an i32/i64 tensor of ids or a Lua array of strings/numbers (feature hashing,
 *       Weinberger et al. 2009: the sign makes collisions cancel in expectation) */
#include <string.h>

#include "intern.h"
#include "lt_data.h"
#include "rfm.h"

static tide_tensor *col(lua_State *L, int idx, tide_dtype dt, int64_t n, int opt, const char *fn, const char *what)
{
    if (opt && lua_isnoneornil(L, idx)) return NULL;
    tide_tensor *t = lt_check_tensor(L, idx, fn);
    if (t->dtype != dt || t->ndim != 1 || !tide_tensor_is_contiguous(t))
        luaL_error(L, "%s: %s must be a contiguous 1-D %s tensor", fn, what, tide_dtype_name(dt));
    if (n >= 0 && t->shape[0] != n) luaL_error(L, "%s: %s has %d rows, expected %d", fn, what, (int)t->shape[0], (int)n);
    return t;
}

typedef struct {
    tide_tensor *off, *time, *event, *price, *dwell, *cat;
    int64_t n_users, n, nc, now;
} feat_args;

static void get_args(lua_State *L, feat_args *a, int need_cat, const char *fn)
{
    a->off = col(L, 1, TIDE_I64, -1, 0, fn, "offsets");
    a->n_users = a->off->shape[0] - 1;
    const int64_t *o = tide_i64(a->off);
    if (a->n_users < 0 || o[0] != 0) luaL_error(L, "%s: offsets must start at 0", fn);
    for (int64_t u = 0; u < a->n_users; u++)
        if (o[u + 1] < o[u]) luaL_error(L, "%s: offsets decrease at %d", fn, (int)u + 2);
    a->n = o[a->n_users];
    a->time = col(L, 2, TIDE_I64, a->n, 0, fn, "time");
    a->event = col(L, 3, TIDE_I32, a->n, 0, fn, "event");
    a->price = col(L, 4, TIDE_F32, a->n, 1, fn, "price");
    a->dwell = col(L, 5, TIDE_F32, a->n, 1, fn, "dwell");
    a->cat = col(L, 6, TIDE_I32, a->n, !need_cat, fn, "category");
    a->nc = a->cat ? lt_check_int(L, 7, fn, "n_categories") : 0;
    a->now = lt_check_int(L, 8, fn, "now");
}

static void push_names(lua_State *L, const char *const *names, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

static int l_features_user(lua_State *L)
{
    const char *fn = "features_user";
    feat_args a;
    get_args(L, &a, 0, fn);
    int64_t shape[2] = {a.n_users, TIDE_FU_N};
    tide_tensor *out = tide_tensor_new(TIDE_F32, 2, shape);
    lt_push_tensor(L, out, fn);
    if (tide_features_user(a.n_users, tide_i64(a.off), tide_i64(a.time), tide_i32(a.event),
                           a.price ? tide_f32(a.price) : NULL, a.dwell ? tide_f32(a.dwell) : NULL,
                           a.cat ? tide_i32(a.cat) : NULL, a.nc, a.now, tide_f32(out)) != TIDE_OK)
        return lt_error(L, fn);
    push_names(L, tide_fu_names, TIDE_FU_N);
    return 2;
}

static int l_features_user_cat(lua_State *L)
{
    const char *fn = "features_user_cat";
    feat_args a;
    get_args(L, &a, 1, fn);
    int64_t n = a.n, shape[2] = {a.n, TIDE_FC_N};
    /* worst case one pair per row; scratch anchored on the stack, then copied to size */
    int32_t *u = lua_newuserdata(L, (size_t)(n ? n : 1) * 4);
    int32_t *c = lua_newuserdata(L, (size_t)(n ? n : 1) * 4);
    tide_tensor *v = tide_tensor_new(TIDE_F32, 2, shape);
    lt_push_tensor(L, v, fn);
    int64_t m = tide_features_user_cat(a.n_users, tide_i64(a.off), tide_i64(a.time), tide_i32(a.event),
                                       a.price ? tide_f32(a.price) : NULL, a.dwell ? tide_f32(a.dwell) : NULL,
                                       tide_i32(a.cat), a.nc, a.now, u, c, tide_f32(v));
    if (m < 0) return lt_error(L, fn);
    lt_push_tensor(L, tide_tensor_from_data(TIDE_I32, 1, &m, u), fn);
    lt_push_tensor(L, tide_tensor_from_data(TIDE_I32, 1, &m, c), fn);
    int64_t vs[2] = {m, TIDE_FC_N};
    lt_push_tensor(L, tide_tensor_from_data(TIDE_F32, 2, vs, tide_f32(v)), fn);
    push_names(L, tide_fc_names, TIDE_FC_N);
    return 4;
}

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

static int l_hash_bucket(lua_State *L)
{
    const char *fn = "hash_bucket";
    int64_t dim = lt_check_int(L, 2, fn, "dim");
    uint64_t seed = (uint64_t)luaL_optnumber(L, 3, 0);
    if (dim < 1 || dim > 0x7fffffff) luaL_error(L, "%s: dim must be in 1..2^31-1", fn);
    int64_t n;
    int is_table = lua_istable(L, 1);
    tide_tensor *ids = NULL;
    if (is_table) n = (int64_t)lua_objlen(L, 1);
    else {
        ids = lt_check_tensor(L, 1, fn);
        if ((ids->dtype != TIDE_I32 && ids->dtype != TIDE_I64) || ids->ndim != 1 || !tide_tensor_is_contiguous(ids))
            luaL_error(L, "%s: keys must be a 1-D i32/i64 tensor or a table", fn);
        n = ids->shape[0];
    }
    tide_tensor *b = tide_tensor_new(TIDE_I32, 1, &n);
    lt_push_tensor(L, b, fn);
    tide_tensor *s = tide_tensor_new(TIDE_F32, 1, &n);
    lt_push_tensor(L, s, fn);
    for (int64_t i = 0; i < n; i++) {
        uint64_t h;
        if (is_table) {
            lua_rawgeti(L, 1, (int)i + 1);
            size_t len;
            const char *k = lua_tolstring(L, -1, &len); /* numbers become their text */
            if (!k) luaL_error(L, "%s: keys[%d] must be a string or number", fn, (int)i + 1);
            h = tide_hash_bytes(k, len);
            lua_pop(L, 1);
        } else {
            h = mix64((uint64_t)(ids->dtype == TIDE_I32 ? tide_i32(ids)[i] : tide_i64(ids)[i]) + 0x9e3779b97f4a7c15ULL);
        }
        h = mix64(h ^ mix64(seed + 1));
        tide_i32(b)[i] = (int32_t)(1 + (h >> 1) % (uint64_t)dim);
        tide_f32(s)[i] = (h & 1) ? 1.0f : -1.0f;
    }
    return 2;
}

const luaL_Reg lt_data_feat_funcs[] = {
    {"features_user", l_features_user}, {"features_user_cat", l_features_user_cat},
    {"hash_bucket", l_hash_bucket}, {NULL, NULL}};
