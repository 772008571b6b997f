/* lt_data_feat.c — Lua binding of the behaviour-feature kernels (engine/rfm.c) and the
 * feature-hashing helper used by tide.features encoders.
 *
 *   features_user(offsets, time, event, price|nil, dwell|nil, category|nil, n_categories, now)
 *       -> f32 [n_users, F], {names...}
 *   features_user_cat(offsets, time, event, price|nil, dwell|nil, category, n_categories, now)
 *       -> user i32 [m], category i32 [m], f32 [m, FC], {names...}
 *   hash_bucket(keys, dim, seed) -> bucket i32 [n] (1..dim), sign f32 [n] (+-1)
 *       keys: an i32/i64 tensor of ids or a Lua array of strings/numbers (feature hashing,
 *       Weinberger et al. 2009: the sign makes collisions cancel in expectation)
 *   onehot(index i32 [n], k, sign f32|nil) -> f32 [n, k] with sign[i] (or 1) at column
 *       index[i] (1-based); index 0 (unknown) leaves the row zero
 *   negatives(offsets, item, n_items, k, seed, weights|nil, per_user) -> i32 [rows, k], failed
 *   permutation(n, seed) -> i32 [n]: a seeded random permutation of 1..n (Fisher-Yates)
 *   pad_batch(offsets, item, users i32 [B], maxlen, shift) -> items i32 [B, maxlen] (left-
 *       padded with 0, keeping each user's most recent maxlen items), lengths i32 [B], and
 *       when shift: input = all but the last item, target i32 [B, maxlen] = the next items */
#include <string.h>

#include "intern.h"
#include "negative.h"
#include "rng.h"
#include "lt_data.h"
#include "rfm.h"

static tide_tensor *col(lua_State *L, int idx, tide_dtype dt, int64_t n, int opt, const char *fn, const char *what)
{
    if (opt && lua_isnoneornil(L, idx)) return NULL;
    tide_tensor *t = lt_check_tensor(L, idx, fn);
    if (t->dtype != dt || t->ndim != 1 || !tide_tensor_is_contiguous(t))
        lt_errorf(L, "%s: %s must be a contiguous 1-D %s tensor", fn, what, tide_dtype_name(dt));
    if (n >= 0 && t->shape[0] != n) lt_errorf(L, "%s: %s has %d rows, expected %d", fn, what, (int)t->shape[0], (int)n);
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
    if (a->n_users < 0 || o[0] != 0) lt_errorf(L, "%s: offsets must start at 0", fn);
    for (int64_t u = 0; u < a->n_users; u++)
        if (o[u + 1] < o[u]) lt_errorf(L, "%s: offsets decrease at %d", fn, (int)u + 2);
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
    if (dim < 1 || dim > 0x7fffffff) lt_errorf(L, "%s: dim must be in 1..2^31-1", fn);
    int64_t n;
    int is_table = lua_istable(L, 1);
    tide_tensor *ids = NULL;
    if (is_table) n = (int64_t)lua_objlen(L, 1);
    else {
        ids = lt_check_tensor(L, 1, fn);
        if ((ids->dtype != TIDE_I32 && ids->dtype != TIDE_I64) || ids->ndim != 1 || !tide_tensor_is_contiguous(ids))
            lt_errorf(L, "%s: keys must be a 1-D i32/i64 tensor or a table", fn);
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
            if (!k) lt_errorf(L, "%s: keys[%d] must be a string or number", fn, (int)i + 1);
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

static int l_onehot(lua_State *L)
{
    const char *fn = "onehot";
    tide_tensor *ix = col(L, 1, TIDE_I32, -1, 0, fn, "index");
    int64_t n = ix->shape[0], k = lt_check_int(L, 2, fn, "k");
    tide_tensor *sg = col(L, 3, TIDE_F32, n, 1, fn, "sign");
    if (k < 1) lt_errorf(L, "%s: k must be >= 1", fn);
    const int32_t *p = tide_i32(ix);
    for (int64_t i = 0; i < n; i++)
        if (p[i] < 0 || p[i] > k) lt_errorf(L, "%s: index[%d] = %d outside 0..%d", fn, (int)i + 1, p[i], (int)k);
    int64_t shape[2] = {n, k};
    tide_tensor *out = tide_tensor_new(TIDE_F32, 2, shape);
    lt_push_tensor(L, out, fn);
    float *o = tide_f32(out);
    for (int64_t i = 0; i < n; i++)
        if (p[i]) o[i * k + p[i] - 1] = sg ? tide_f32(sg)[i] : 1.0f;
    return 1;
}

static int l_negatives(lua_State *L)
{
    const char *fn = "negatives";
    tide_tensor *o = col(L, 1, TIDE_I64, -1, 0, fn, "offsets");
    int64_t nu = o->shape[0] - 1;
    const int64_t *off = tide_i64(o);
    if (nu < 0 || off[0] != 0) lt_errorf(L, "%s: offsets must start at 0", fn);
    for (int64_t u = 0; u < nu; u++)
        if (off[u + 1] < off[u]) lt_errorf(L, "%s: offsets decrease", fn);
    tide_tensor *it = col(L, 2, TIDE_I32, off[nu], 0, fn, "item");
    int64_t ni = lt_check_int(L, 3, fn, "n_items"), k = lt_check_int(L, 4, fn, "k");
    uint64_t seed = (uint64_t)lt_check_int(L, 5, fn, "seed");
    tide_tensor *w = col(L, 6, TIDE_F32, ni, 1, fn, "weights");
    int per_user = lua_toboolean(L, 7);
    if (ni < 1 || k < 0) lt_errorf(L, "%s: need n_items >= 1 and k >= 0", fn);
    int64_t shape[2] = {per_user ? nu : off[nu], k};
    tide_tensor *out = tide_tensor_new(TIDE_I32, 2, shape);
    lt_push_tensor(L, out, fn);
    int64_t failed = tide_negative_sample(nu, off, tide_i32(it), ni, k, seed, w ? tide_f32(w) : NULL,
                                          per_user, tide_i32(out));
    if (failed < 0) return lt_error(L, fn);
    lua_pushinteger(L, (lua_Integer)failed);
    return 2;
}

static int l_permutation(lua_State *L)
{
    int64_t n = lt_check_int(L, 1, "permutation", "n");
    uint64_t seed = (uint64_t)lt_check_int(L, 2, "permutation", "seed");
    if (n < 0 || n > 0x7fffffff) lt_errorf(L, "permutation: n must be in 0..2^31-1");
    tide_tensor *out = tide_tensor_new(TIDE_I32, 1, &n);
    lt_push_tensor(L, out, "permutation");
    int32_t *p = tide_i32(out);
    for (int64_t i = 0; i < n; i++) p[i] = (int32_t)(i + 1);
    tide_rng r;
    tide_rng_seed(&r, seed);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)tide_rng_below(&r, (uint64_t)i + 1);
        int32_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    return 1;
}

static int l_pad_batch(lua_State *L)
{
    const char *fn = "pad_batch";
    tide_tensor *o = col(L, 1, TIDE_I64, -1, 0, fn, "offsets");
    int64_t nu = o->shape[0] - 1;
    const int64_t *off = tide_i64(o);
    tide_tensor *it = col(L, 2, TIDE_I32, off[nu], 0, fn, "item");
    tide_tensor *us = col(L, 3, TIDE_I32, -1, 0, fn, "users");
    int64_t maxlen = lt_check_int(L, 4, fn, "maxlen"), B = us->shape[0];
    int shift = lua_toboolean(L, 5);
    if (maxlen < 1) lt_errorf(L, "%s: maxlen must be >= 1", fn);
    for (int64_t b = 0; b < B; b++)
        if (tide_i32(us)[b] < 1 || tide_i32(us)[b] > nu)
            lt_errorf(L, "%s: user %d outside 1..%d", fn, tide_i32(us)[b], (int)nu);
    int64_t shape[2] = {B, maxlen};
    tide_tensor *x = tide_tensor_new(TIDE_I32, 2, shape);
    lt_push_tensor(L, x, fn);
    tide_tensor *len = tide_tensor_new(TIDE_I32, 1, &B);
    lt_push_tensor(L, len, fn);
    tide_tensor *y = NULL;
    if (shift) {
        y = tide_tensor_new(TIDE_I32, 2, shape);
        lt_push_tensor(L, y, fn);
    }
    const int32_t *items = tide_i32(it);
    for (int64_t b = 0; b < B; b++) {
        int64_t u = tide_i32(us)[b] - 1, a = off[u], e = off[u + 1];
        if (shift && e > a) e--; /* inputs stop one before the end; targets are shifted by one */
        int64_t m = e - a < maxlen ? e - a : maxlen, start = e - m;
        int32_t *xr = tide_i32(x) + b * maxlen;
        for (int64_t j = 0; j < m; j++) xr[maxlen - m + j] = items[start + j];
        if (y) {
            int32_t *yr = tide_i32(y) + b * maxlen;
            for (int64_t j = 0; j < m; j++) yr[maxlen - m + j] = items[start + j + 1];
        }
        tide_i32(len)[b] = (int32_t)m;
    }
    return shift ? 3 : 2;
}

const luaL_Reg lt_data_feat_funcs[] = {
    {"permutation", l_permutation}, {"pad_batch", l_pad_batch},
    {"negatives", l_negatives},
    {"onehot", l_onehot},
    {"features_user", l_features_user}, {"features_user_cat", l_features_user_cat},
    {"hash_bucket", l_hash_bucket}, {NULL, NULL}};
