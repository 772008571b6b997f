/* lt_data_seq.c — Lua binding of the sequence and row-filter kernels (engine/seq.c), plus
 * the small column helpers tide.data is built from. Row indices are 0-based i64 tensors.
 *
 *   seq_order(user i32, time i64|nil, n_users) -> perm i64 [n], offsets i64 [n_users+1]
 *   take(t, idx)                 -> rows idx of the 1-D tensor t (any dtype)
 *   sessions(offsets, time, gap) -> session i32 [n] (1-based), n_sessions
 *   dedupe(offsets, item, event|nil, time, window, key|nil) -> kept row indices
 *   row_hash({tensors...}) -> i64 [n]: a hash of each row's values in the given columns
 *   kcore(user, item, n_users, n_items, k_user, k_item) -> kept row indices, passes
 *   compact(ids i32, n_old)      -> new ids i32, map i32 [n_old], m
 *   lut(ids i32, table i32|f32)  -> table[ids[i]] (ids 1-based; 0 where id is out of range)
 *   range_idx(t, lo, hi)         -> indices of rows with lo <= t[i] <= hi (NaN never kept)
 *   nonzero(t)                   -> indices of nonzero entries
 *   counts(ids i32, n)           -> i64 [n] occurrences of each id 1..n
 *   minmax(t)                    -> min, max of a 1-D tensor (nil, nil when empty; NaN skipped)
 *   split_tail(offsets, n_valid, n_test, min_len) -> train, valid, test row indices: each
 *       user's last n_test rows to test, the n_valid before to valid (users shorter than
 *       min_len keep everything in train)
 *   split_ratio(offsets, r_train, r_valid) -> train, valid, test row indices: per user the
 *       first floor(r_train*len) rows, the next floor(r_valid*len), the rest */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lt_data.h"
#include "seq.h"

/* A contiguous 1-D tensor of dtype dt at idx (no conversion: callers pass what tide.data
 * built), with an optional expected length. */
static tide_tensor *col(lua_State *L, int idx, tide_dtype dt, int64_t n, const char *fn, const char *what)
{
    tide_tensor *t = lt_check_tensor(L, idx, fn);
    if (t->dtype != dt || t->ndim != 1 || !tide_tensor_is_contiguous(t))
        lt_errorf(L, "%s: %s must be a contiguous 1-D %s tensor, got %s [%d dims]", fn, what,
                   tide_dtype_name(dt), tide_dtype_name(t->dtype), t->ndim);
    if (n >= 0 && t->shape[0] != n)
        lt_errorf(L, "%s: %s has %d rows, expected %d", fn, what, (int)t->shape[0], (int)n);
    return t;
}

static tide_tensor *new1(lua_State *L, tide_dtype dt, int64_t n, const char *fn)
{
    tide_tensor *t = tide_tensor_new(dt, 1, &n);
    lt_push_tensor(L, t, fn); /* anchored before anything can fail */
    return t;
}

static void check_offsets(lua_State *L, tide_tensor *o, int64_t n, const char *fn)
{
    const int64_t *p = tide_i64(o);
    int64_t m = o->shape[0];
    if (m < 1 || p[0] != 0 || p[m - 1] != n) lt_errorf(L, "%s: offsets must run from 0 to %d", fn, (int)n);
    for (int64_t i = 1; i < m; i++)
        if (p[i] < p[i - 1]) lt_errorf(L, "%s: offsets decrease at %d", fn, (int)i + 1);
}

static int l_seq_order(lua_State *L)
{
    const char *fn = "seq_order";
    tide_tensor *u = col(L, 1, TIDE_I32, -1, fn, "user");
    int64_t n = u->shape[0];
    tide_tensor *t = lua_isnil(L, 2) ? NULL : col(L, 2, TIDE_I64, n, fn, "time");
    int64_t nu = lt_check_int(L, 3, fn, "n_users");
    if (nu < 0) lt_errorf(L, "%s: n_users must be >= 0", fn);
    tide_tensor *perm = new1(L, TIDE_I64, n, fn);
    tide_tensor *off = new1(L, TIDE_I64, nu + 1, fn);
    if (tide_seq_order(n, tide_i32(u), t ? tide_i64(t) : NULL, nu, tide_i64(perm), tide_i64(off)) != TIDE_OK)
        return lt_error(L, fn);
    return 2;
}

static int l_take(lua_State *L)
{
    const char *fn = "take";
    tide_tensor *t = lt_check_tensor(L, 1, fn);
    if (t->ndim != 1 || !tide_tensor_is_contiguous(t)) lt_errorf(L, "%s: expected a contiguous 1-D tensor", fn);
    tide_tensor *ix = col(L, 2, TIDE_I64, -1, fn, "index");
    int64_t m = ix->shape[0], n = t->shape[0];
    const int64_t *p = tide_i64(ix);
    for (int64_t i = 0; i < m; i++)
        if (p[i] < 0 || p[i] >= n) lt_errorf(L, "%s: row index %d out of range 0..%d", fn, (int)p[i], (int)n - 1);
    tide_tensor *out = new1(L, t->dtype, m, fn);
    switch (t->dtype) {
    case TIDE_F32: { const float *s = tide_f32(t); float *d = tide_f32(out); for (int64_t i = 0; i < m; i++) d[i] = s[p[i]]; break; }
    case TIDE_I32: { const int32_t *s = tide_i32(t); int32_t *d = tide_i32(out); for (int64_t i = 0; i < m; i++) d[i] = s[p[i]]; break; }
    default: { const int64_t *s = tide_i64(t); int64_t *d = tide_i64(out); for (int64_t i = 0; i < m; i++) d[i] = s[p[i]]; break; }
    }
    return 1;
}

static int l_sessions(lua_State *L)
{
    const char *fn = "sessions";
    tide_tensor *o = col(L, 1, TIDE_I64, -1, fn, "offsets");
    tide_tensor *t = col(L, 2, TIDE_I64, -1, fn, "time");
    int64_t gap = lt_check_int(L, 3, fn, "gap");
    check_offsets(L, o, t->shape[0], fn);
    tide_tensor *s = new1(L, TIDE_I32, t->shape[0], fn);
    int64_t ns = tide_seq_sessions(o->shape[0] - 1, tide_i64(o), tide_i64(t), gap, tide_i32(s));
    lua_pushinteger(L, (lua_Integer)ns);
    return 2;
}

/* 0/1 mask -> pushed i64 index tensor of the ones */
static void push_kept(lua_State *L, const uint8_t *keep, int64_t n, int64_t kept, const char *fn)
{
    tide_tensor *ix = new1(L, TIDE_I64, kept, fn);
    int64_t *d = tide_i64(ix), k = 0;
    for (int64_t i = 0; i < n; i++)
        if (keep[i]) d[k++] = i;
}

static int l_dedupe(lua_State *L)
{
    const char *fn = "dedupe";
    tide_tensor *o = col(L, 1, TIDE_I64, -1, fn, "offsets");
    tide_tensor *it = col(L, 2, TIDE_I32, -1, fn, "item");
    int64_t n = it->shape[0];
    tide_tensor *ev = lua_isnil(L, 3) ? NULL : col(L, 3, TIDE_I32, n, fn, "event");
    tide_tensor *t = col(L, 4, TIDE_I64, n, fn, "time");
    int64_t w = lt_check_int(L, 5, fn, "window");
    tide_tensor *key = lua_isnoneornil(L, 6) ? NULL : col(L, 6, TIDE_I64, n, fn, "key");
    check_offsets(L, o, n, fn);
    uint8_t *keep = lua_newuserdata(L, (size_t)(n ? n : 1));
    int64_t kept = tide_seq_dedupe(o->shape[0] - 1, tide_i64(o), tide_i32(it), ev ? tide_i32(ev) : NULL,
                                   key ? tide_i64(key) : NULL, tide_i64(t), w, keep);
    if (kept < 0) return lt_error(L, fn);
    push_kept(L, keep, n, kept, fn);
    return 1;
}

static int l_row_hash(lua_State *L)
{
    const char *fn = "row_hash";
    luaL_checktype(L, 1, LUA_TTABLE);
    int m = (int)lua_objlen(L, 1);
    int64_t n = -1;
    tide_tensor *cols[16];
    if (m < 1 || m > 16) lt_errorf(L, "%s: between 1 and 16 columns", fn);
    for (int j = 0; j < m; j++) {
        lua_rawgeti(L, 1, j + 1);
        cols[j] = lt_check_tensor(L, -1, fn); /* anchored by the argument table */
        lua_pop(L, 1);
        if (cols[j]->ndim != 1 || !tide_tensor_is_contiguous(cols[j]))
            lt_errorf(L, "%s: column %d must be a contiguous 1-D tensor", fn, j + 1);
        if (n >= 0 && cols[j]->shape[0] != n) lt_errorf(L, "%s: columns differ in length", fn);
        n = cols[j]->shape[0];
    }
    tide_tensor *out = new1(L, TIDE_I64, n, fn);
    int64_t *h = tide_i64(out);
    for (int64_t i = 0; i < n; i++) {
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        for (int j = 0; j < m; j++) {
            uint64_t v = 0;
            switch (cols[j]->dtype) { /* bit patterns: NaN == NaN here, as a duplicate should */
            case TIDE_F32: { uint32_t b; memcpy(&b, tide_f32(cols[j]) + i, 4); v = b; break; }
            case TIDE_I32: v = (uint32_t)tide_i32(cols[j])[i]; break;
            default: v = (uint64_t)tide_i64(cols[j])[i]; break;
            }
            x = (x ^ v) * 0xff51afd7ed558ccdULL;
            x ^= x >> 32;
        }
        h[i] = (int64_t)x;
    }
    return 1;
}

static int l_kcore(lua_State *L)
{
    const char *fn = "kcore";
    tide_tensor *u = col(L, 1, TIDE_I32, -1, fn, "user");
    int64_t n = u->shape[0];
    tide_tensor *it = col(L, 2, TIDE_I32, n, fn, "item");
    int64_t nu = lt_check_int(L, 3, fn, "n_users"), ni = lt_check_int(L, 4, fn, "n_items");
    int64_t ku = lt_check_int(L, 5, fn, "k_user"), ki = lt_check_int(L, 6, fn, "k_item");
    uint8_t *keep = lua_newuserdata(L, (size_t)(n ? n : 1));
    memset(keep, 1, (size_t)n);
    int iters = 0;
    int64_t kept = tide_seq_kcore(n, tide_i32(u), tide_i32(it), nu, ni, ku, ki, keep, &iters);
    if (kept < 0) return lt_error(L, fn);
    push_kept(L, keep, n, kept, fn);
    lua_pushinteger(L, iters);
    return 2;
}

static int l_compact(lua_State *L)
{
    const char *fn = "compact";
    tide_tensor *ids = col(L, 1, TIDE_I32, -1, fn, "ids");
    int64_t nold = lt_check_int(L, 2, fn, "n_old");
    if (nold < 0) lt_errorf(L, "%s: n_old must be >= 0", fn);
    int64_t n = ids->shape[0];
    tide_tensor *out = new1(L, TIDE_I32, n, fn);
    memcpy(tide_i32(out), tide_i32(ids), (size_t)n * 4);
    tide_tensor *map = new1(L, TIDE_I32, nold, fn);
    int64_t m = tide_seq_compact_ids(n, tide_i32(out), nold, tide_i32(map));
    if (m < 0) return lt_error(L, fn);
    lua_pushinteger(L, (lua_Integer)m);
    return 3;
}

static int l_lut(lua_State *L)
{
    const char *fn = "lut";
    tide_tensor *ids = col(L, 1, TIDE_I32, -1, fn, "ids");
    tide_tensor *tab = lt_check_tensor(L, 2, fn);
    if ((tab->dtype != TIDE_I32 && tab->dtype != TIDE_F32) || tab->ndim != 1 || !tide_tensor_is_contiguous(tab))
        lt_errorf(L, "%s: table must be a contiguous 1-D i32 or f32 tensor", fn);
    int64_t n = ids->shape[0], k = tab->shape[0];
    tide_tensor *out = new1(L, tab->dtype, n, fn);
    const int32_t *s = tide_i32(ids);
    if (tab->dtype == TIDE_I32) {
        const int32_t *tb = tide_i32(tab);
        int32_t *d = tide_i32(out);
        for (int64_t i = 0; i < n; i++) d[i] = s[i] >= 1 && s[i] <= k ? tb[s[i] - 1] : 0;
    } else {
        const float *tb = tide_f32(tab);
        float *d = tide_f32(out);
        for (int64_t i = 0; i < n; i++) d[i] = s[i] >= 1 && s[i] <= k ? tb[s[i] - 1] : 0.0f;
    }
    return 1;
}

static double at(const tide_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case TIDE_F32: return tide_f32(t)[i];
    case TIDE_I32: return tide_i32(t)[i];
    default: return (double)tide_i64(t)[i];
    }
}

static int l_range_idx(lua_State *L)
{
    const char *fn = "range_idx";
    tide_tensor *t = lt_check_tensor(L, 1, fn);
    if (t->ndim != 1 || !tide_tensor_is_contiguous(t)) lt_errorf(L, "%s: expected a contiguous 1-D tensor", fn);
    double lo = luaL_optnumber(L, 2, -HUGE_VAL), hi = luaL_optnumber(L, 3, HUGE_VAL);
    int64_t n = t->shape[0], kept = 0;
    uint8_t *keep = lua_newuserdata(L, (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        double v = at(t, i);
        keep[i] = v >= lo && v <= hi; /* NaN fails both */
        kept += keep[i];
    }
    push_kept(L, keep, n, kept, fn);
    return 1;
}

static int l_nonzero(lua_State *L)
{
    const char *fn = "nonzero";
    tide_tensor *t = lt_check_tensor(L, 1, fn);
    if (t->ndim != 1 || !tide_tensor_is_contiguous(t)) lt_errorf(L, "%s: expected a contiguous 1-D tensor", fn);
    int64_t n = t->shape[0], kept = 0;
    uint8_t *keep = lua_newuserdata(L, (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) kept += keep[i] = at(t, i) != 0;
    push_kept(L, keep, n, kept, fn);
    return 1;
}

static int l_counts(lua_State *L)
{
    const char *fn = "counts";
    tide_tensor *ids = col(L, 1, TIDE_I32, -1, fn, "ids");
    int64_t m = lt_check_int(L, 2, fn, "n");
    if (m < 0) lt_errorf(L, "%s: n must be >= 0", fn);
    tide_tensor *out = new1(L, TIDE_I64, m, fn);
    const int32_t *s = tide_i32(ids);
    int64_t *d = tide_i64(out);
    for (int64_t i = 0; i < ids->shape[0]; i++) {
        if (s[i] < 1 || s[i] > m) lt_errorf(L, "%s: id %d at row %d outside 1..%d", fn, s[i], (int)i + 1, (int)m);
        d[s[i] - 1]++;
    }
    return 1;
}

static int l_minmax(lua_State *L)
{
    tide_tensor *t = lt_check_tensor(L, 1, "minmax");
    if (t->ndim != 1 || !tide_tensor_is_contiguous(t)) lt_errorf(L, "minmax: expected a contiguous 1-D tensor");
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (int64_t i = 0; i < t->shape[0]; i++) {
        double v = at(t, i);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    if (lo > hi) { lua_pushnil(L); lua_pushnil(L); }
    else { lua_pushnumber(L, lo); lua_pushnumber(L, hi); }
    return 2;
}

/* Pushes three index tensors from a per-row part code (0 train, 1 valid, 2 test). */
static void push_parts(lua_State *L, const uint8_t *part, int64_t n, const char *fn)
{
    int64_t cnt[3] = {0, 0, 0};
    for (int64_t i = 0; i < n; i++) cnt[part[i]]++;
    int64_t *d[3];
    for (int k = 0; k < 3; k++) d[k] = tide_i64(new1(L, TIDE_I64, cnt[k], fn));
    int64_t pos[3] = {0, 0, 0};
    for (int64_t i = 0; i < n; i++) d[part[i]][pos[part[i]]++] = i;
}

static int l_split_tail(lua_State *L)
{
    const char *fn = "split_tail";
    tide_tensor *o = col(L, 1, TIDE_I64, -1, fn, "offsets");
    int64_t nv = lt_check_int(L, 2, fn, "n_valid"), nt = lt_check_int(L, 3, fn, "n_test");
    int64_t minlen = lt_check_int(L, 4, fn, "min_len");
    if (nv < 0 || nt < 0) lt_errorf(L, "%s: n_valid and n_test must be >= 0", fn);
    const int64_t *off = tide_i64(o);
    int64_t nu = o->shape[0] - 1, n = off[nu];
    check_offsets(L, o, n, fn);
    uint8_t *part = lua_newuserdata(L, (size_t)(n ? n : 1));
    memset(part, 0, (size_t)n);
    for (int64_t u = 0; u < nu; u++) {
        int64_t a = off[u], b = off[u + 1];
        if (b - a < minlen || b - a <= nv + nt) continue;
        for (int64_t i = b - nt; i < b; i++) part[i] = 2;
        for (int64_t i = b - nt - nv; i < b - nt; i++) part[i] = 1;
    }
    push_parts(L, part, n, fn);
    return 3;
}

static int l_split_ratio(lua_State *L)
{
    const char *fn = "split_ratio";
    tide_tensor *o = col(L, 1, TIDE_I64, -1, fn, "offsets");
    double rt = luaL_checknumber(L, 2), rv = luaL_checknumber(L, 3);
    if (!(rt >= 0 && rv >= 0 && rt + rv <= 1)) lt_errorf(L, "%s: ratios must be >= 0 with sum <= 1", fn);
    const int64_t *off = tide_i64(o);
    int64_t nu = o->shape[0] - 1, n = off[nu];
    check_offsets(L, o, n, fn);
    uint8_t *part = lua_newuserdata(L, (size_t)(n ? n : 1));
    for (int64_t u = 0; u < nu; u++) {
        int64_t a = off[u], len = off[u + 1] - a;
        int64_t ntr = (int64_t)floor(rt * (double)len + 1e-9), nva = (int64_t)floor(rv * (double)len + 1e-9);
        for (int64_t i = 0; i < len; i++) part[a + i] = i < ntr ? 0 : i < ntr + nva ? 1 : 2;
    }
    push_parts(L, part, n, fn);
    return 3;
}

const luaL_Reg lt_data_seq_funcs[] = {
    {"minmax", l_minmax}, {"split_tail", l_split_tail}, {"split_ratio", l_split_ratio},
    {"seq_order", l_seq_order}, {"take", l_take},       {"sessions", l_sessions},
    {"dedupe", l_dedupe},       {"kcore", l_kcore},     {"compact", l_compact},
    {"lut", l_lut},             {"range_idx", l_range_idx}, {"nonzero", l_nonzero},
    {"counts", l_counts},       {"row_hash", l_row_hash},   {NULL, NULL}};
