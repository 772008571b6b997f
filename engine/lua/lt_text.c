/* lt_text.c — Lua binding for text.h: normalize, units/tokenize, vocabularies ("tide.Vocab"
 * userdata) and ids (i32 ids + i64 offsets for batches). The fastText model is bound in
 * lt_fasttext.c and registered into the same table.
 * Flags are the TIDE_TEXT_* integers (exported as core.text.STRICT etc.); tide.text (Lua)
 * turns option tables into flags. */
#include <stdlib.h>
#include <string.h>

#include "lt.h"
#include "text.h"

#define VOCAB_MT "tide.Vocab"

typedef struct {
    tide_vocab *v;
} vocab_ud;

int lt_fasttext_register(lua_State *L); /* lt_fasttext.c */

tide_vocab *lt_text_check_vocab(lua_State *L, int idx, const char *fn)
{
    vocab_ud *u = luaL_testudata(L, idx, VOCAB_MT);
    if (!u) lt_errorf(L, "%s: argument #%d: expected vocabulary, got %s", fn, idx, luaL_typename(L, idx));
    if (!u->v) lt_errorf(L, "%s: argument #%d: vocabulary was freed", fn, idx);
    return u->v;
}

tide_vocab *lt_text_opt_vocab(lua_State *L, int idx, const char *fn)
{
    return lua_isnoneornil(L, idx) ? NULL : lt_text_check_vocab(L, idx, fn);
}

static int push_vocab(lua_State *L, tide_vocab *v, const char *fn)
{
    if (!v) return lt_error(L, fn);
    vocab_ud *u = lua_newuserdata(L, sizeof *u);
    u->v = v;
    luaL_getmetatable(L, VOCAB_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static int flags_arg(lua_State *L, int idx, const char *fn)
{
    return lua_isnoneornil(L, idx) ? 0 : (int)lt_check_int(L, idx, fn, "flags");
}

/* The texts of a Lua array, checked up front (before any allocation). */
static size_t check_texts(lua_State *L, int idx, const char *fn)
{
    return (size_t)lt_check_strings(L, idx, fn, "texts");
}

static int l_normalize(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int flags = flags_arg(L, 2, "text.normalize"), bad = 0;
    size_t on;
    char *o = tide_text_normalize(s, len, flags, &on, &bad);
    if (!o) return lt_error(L, "text.normalize");
    lua_pushlstring(L, o, on);
    free(o);
    lua_pushinteger(L, bad);
    return 2;
}

static const char *kind_name[] = {"word", "num", "cjk", "punct", "emoji"};

/* units(s, flags, ngrams) -> tokens, kinds, n_invalid. With ngrams >= 2, the character
 * n-grams of each run of consecutive CJK units follow the units (kind "ngram"). */
static int l_units(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int flags = flags_arg(L, 2, "text.units");
    int ng = lua_isnoneornil(L, 3) ? 1 : (int)lt_check_int(L, 3, "text.units", "ngrams");
    tide_units u = {0};
    int64_t n = tide_text_units(s, len, flags, &u);
    if (n < 0) { tide_units_free(&u); return lt_error(L, "text.units"); }
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, (int)n, 0);
    int k = 0;
    for (int64_t i = 0; i < n; i++) {
        k++;
        lua_pushlstring(L, tide_unit_str(&u, (size_t)i), u.u[i].len);
        lua_rawseti(L, -3, k);
        lua_pushstring(L, kind_name[u.u[i].kind]);
        lua_rawseti(L, -2, k);
    }
    for (int g = 2; g <= ng; g++) {
        for (int64_t i = 0; i + g <= n; i++) {
            int all = 1;
            for (int j = 0; j < g && all; j++) all = u.u[i + j].kind == TIDE_UNIT_CJK;
            if (!all) continue;
            /* CJK units are adjacent in the normalised buffer: one contiguous byte range */
            uint32_t a = u.u[i].off, b = u.u[i + g - 1].off + u.u[i + g - 1].len;
            lua_pushlstring(L, u.text + a, b - a);
            lua_rawseti(L, -3, ++k);
            lua_pushliteral(L, "ngram");
            lua_rawseti(L, -2, k);
        }
    }
    lua_pushinteger(L, u.n_invalid);
    tide_units_free(&u);
    return 3;
}

static int l_fnv1a(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    uint64_t h = tide_fnv1a64(s, len, TIDE_FNV_OFFSET);
    char buf[20];
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
    lua_pushstring(L, buf);
    return 1;
}

/* ---- vocabulary ---- */
static int l_vocab_new(lua_State *L) { return push_vocab(L, tide_vocab_new(), "text.vocab_new"); }

static int l_vocab_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    return push_vocab(L, tide_vocab_load(path), "text.vocab_load");
}

static int v_add(lua_State *L)
{
    tide_vocab *v = lt_text_check_vocab(L, 1, "vocab:add");
    size_t len;
    const char *t = luaL_checklstring(L, 2, &len);
    int64_t c = lua_isnoneornil(L, 3) ? 1 : lt_check_int(L, 3, "vocab:add", "count");
    if (tide_vocab_add(v, t, len, c) != TIDE_OK) return lt_error(L, "vocab:add");
    return 0;
}

static int v_add_texts(lua_State *L)
{
    tide_vocab *v = lt_text_check_vocab(L, 1, "vocab:add_texts");
    size_t n = check_texts(L, 2, "vocab:add_texts");
    int flags = flags_arg(L, 3, "vocab:add_texts");
    tide_units u = {0};
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, (int)i);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        int rc = tide_vocab_add_text(v, s, len, flags, &u);
        lua_pop(L, 1);
        if (rc != TIDE_OK) { tide_units_free(&u); return lt_error(L, "vocab:add_texts"); }
    }
    tide_units_free(&u);
    return 0;
}

static int v_prune(lua_State *L)
{
    tide_vocab *v = lt_text_check_vocab(L, 1, "vocab:prune");
    int64_t mc = lua_isnoneornil(L, 2) ? 1 : lt_check_int(L, 2, "vocab:prune", "min_count");
    int64_t ms = lua_isnoneornil(L, 3) ? 0 : lt_check_int(L, 3, "vocab:prune", "max_size");
    return push_vocab(L, tide_vocab_prune(v, mc, ms), "vocab:prune");
}

static int v_size(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tide_vocab_size(lt_text_check_vocab(L, 1, "vocab:size")));
    return 1;
}

static int v_id(lua_State *L)
{
    tide_vocab *v = lt_text_check_vocab(L, 1, "vocab:id");
    size_t len;
    const char *t = luaL_checklstring(L, 2, &len);
    int64_t id = tide_vocab_id(v, t, len);
    if (id < 0) lua_pushnil(L); else lua_pushinteger(L, (lua_Integer)id);
    return 1;
}

static int v_token(lua_State *L)
{
    tide_vocab *v = lt_text_check_vocab(L, 1, "vocab:token");
    int64_t id = lt_check_int(L, 2, "vocab:token", "id");
    size_t len;
    int64_t c;
    const char *t = tide_vocab_token(v, id, &len, &c);
    if (!t) return 0;
    lua_pushlstring(L, t, len);
    lua_pushinteger(L, (lua_Integer)c);
    return 2;
}

static int v_save(lua_State *L)
{
    tide_vocab *v = lt_text_check_vocab(L, 1, "vocab:save");
    const char *path = luaL_checkstring(L, 2);
    if (tide_vocab_save(v, path) != TIDE_OK) return lt_error(L, "vocab:save");
    return 0;
}

static int v_free(lua_State *L)
{
    vocab_ud *u = luaL_checkudata(L, 1, VOCAB_MT);
    tide_vocab_free(u->v);
    u->v = NULL;
    return 0;
}

/* ids(vocab|nil, texts, flags, ngrams, buckets) -> ids i32 [total], offsets i64 [n+1] */
static int l_ids(lua_State *L)
{
    const char *fn = "text.ids";
    tide_vocab *v = lt_text_opt_vocab(L, 1, fn);
    size_t n = check_texts(L, 2, fn);
    tide_ids_opts o = {flags_arg(L, 3, fn),
                       lua_isnoneornil(L, 4) ? 1 : (int)lt_check_int(L, 4, fn, "ngrams"),
                       lua_isnoneornil(L, 5) ? 0 : lt_check_int(L, 5, fn, "buckets")};
    if (o.ngrams < 1 || o.ngrams > 8) return lt_errorf(L, "%s: ngrams must be in 1..8", fn);
    if (o.buckets < 0) return lt_errorf(L, "%s: buckets must be >= 0", fn);
    int64_t shp = (int64_t)n + 1;
    tide_tensor *off = tide_tensor_new(TIDE_I64, 1, &shp);
    if (!off) return lt_error(L, fn);
    int64_t *po = tide_i64(off);
    tide_units u = {0};
    int32_t *ids = NULL;
    size_t k = 0, cap = 0;
    po[0] = 0;
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, (int)i);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        int64_t r = tide_text_ids(v, s, len, &o, &u, &ids, &k, &cap);
        lua_pop(L, 1);
        if (r < 0) {
            tide_units_free(&u); free(ids); tide_tensor_release(off);
            return lt_error(L, fn);
        }
        po[i] = (int64_t)k;
    }
    tide_units_free(&u);
    int64_t nk = (int64_t)k;
    tide_tensor *t = tide_tensor_new(TIDE_I32, 1, &nk);
    if (t && k) memcpy(tide_i32(t), ids, k * sizeof *ids);
    free(ids);
    if (!t) { tide_tensor_release(off); return lt_error(L, fn); }
    lt_push_tensor(L, t, fn);
    lt_push_tensor(L, off, fn);
    return 2;
}


/* Arguments 1-3 of the padding functions: contiguous i32 ids, i64 offsets, a table of rows. */
static void check_ids_offsets(lua_State *L, const char *fn, tide_tensor **ti, tide_tensor **to)
{
    lt_check_ids_offsets(L, fn, ti, to);
    luaL_checktype(L, 3, LUA_TTABLE);
}

/* pad(ids i32, offsets i64, rows {1-based example numbers}, maxlen, shift [, minlen])
 * -> X i32 [#rows, T] with X[b][t] = ids[offsets[r]+t] + shift (1 where padded), lengths i32
 * [#rows]; T = max(minlen, longest row clipped to maxlen). Batches for sequence models. */
static int l_pad(lua_State *L)
{
    const char *fn = "text.pad";
    tide_tensor *ti, *to;
    check_ids_offsets(L, fn, &ti, &to);
    int64_t maxlen = lt_check_int(L, 4, fn, "maxlen"), shift = lt_check_int(L, 5, fn, "shift");
    int64_t minlen = lua_isnoneornil(L, 6) ? 1 : lt_check_int(L, 6, fn, "minlen");
    if (maxlen < 1 || minlen < 1) return lt_errorf(L, "%s: maxlen and minlen must be >= 1", fn);
    int64_t nex = to->shape[0] - 1, B = (int64_t)lua_objlen(L, 3), T = minlen;
    const int64_t *off = tide_i64(to);
    const int32_t *ids = tide_i32(ti);
    for (int64_t b = 0; b < B; b++) {
        lua_rawgeti(L, 3, (int)b + 1);
        int64_t r = (int64_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (r < 1 || r > nex) return lt_errorf(L, "%s: rows[%d] = %d outside 1..%d", fn, (int)b + 1, (int)r, (int)nex);
        int64_t len = off[r] - off[r - 1];
        if (len > maxlen) len = maxlen;
        if (len > T) T = len;
    }
    int64_t shp[2] = {B, T};
    tide_tensor *x = tide_tensor_full(TIDE_I32, 2, shp, 1.0);
    tide_tensor *lens = tide_tensor_new(TIDE_I32, 1, &B);
    if (!x || !lens) { tide_tensor_release(x); tide_tensor_release(lens); return lt_error(L, fn); }
    int32_t *px = tide_i32(x), *pl = tide_i32(lens);
    for (int64_t b = 0; b < B; b++) {
        lua_rawgeti(L, 3, (int)b + 1);
        int64_t r = (int64_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
        int64_t len = off[r] - off[r - 1];
        if (len > maxlen) len = maxlen;
        for (int64_t t = 0; t < len; t++) px[b * T + t] = (int32_t)(ids[off[r - 1] + t] + shift);
        pl[b] = (int32_t)len;
    }
    lt_push_tensor(L, x, fn);
    lt_push_tensor(L, lens, fn);
    return 2;
}

/* window_mask(lengths i32 [B], T, k) -> f32 [B, T-k+1]: 1 where a width-k window starting at
 * t lies inside the first lengths[b] steps (valid positions of an unpadded convolution). */
static int l_window_mask(lua_State *L)
{
    const char *fn = "text.window_mask";
    tide_tensor *tl = lt_check_tensor(L, 1, fn);
    int64_t T = lt_check_int(L, 2, fn, "T"), k = lt_check_int(L, 3, fn, "k");
    if (tl->dtype != TIDE_I32 || tl->ndim != 1 || !tide_tensor_is_contiguous(tl))
        return lt_errorf(L, "%s: lengths must be a contiguous 1-d i32 tensor", fn);
    if (k < 1 || T < k) return lt_errorf(L, "%s: need 1 <= k <= T (k=%d, T=%d)", fn, (int)k, (int)T);
    int64_t shp[2] = {tl->shape[0], T - k + 1};
    tide_tensor *m = tide_tensor_new(TIDE_F32, 2, shp);
    if (!m) return lt_error(L, fn);
    for (int64_t b = 0; b < shp[0]; b++)
        for (int64_t t = 0; t < shp[1]; t++)
            tide_f32(m)[b * shp[1] + t] = (t + k <= tide_i32(tl)[b]) ? 1.0f : 0.0f;
    return lt_push_tensor(L, m, fn);
}

/* pad_bigrams(ids, offsets, rows, T, shift) -> i32 [#rows, T]: the hashed bigram ids of
 * text.ids(nil, texts, flags, 2, buckets) aligned with the units: step t >= 1 holds the
 * bigram (t-1, t) + shift, step 0 and padding hold 1. A text of n units has n unigram ids
 * followed by n-1 bigram ids in that layout (text_ids.c). */
static int l_pad_bigrams(lua_State *L)
{
    const char *fn = "text.pad_bigrams";
    tide_tensor *ti, *to;
    check_ids_offsets(L, fn, &ti, &to);
    int64_t T = lt_check_int(L, 4, fn, "T"), shift = lt_check_int(L, 5, fn, "shift");
    int64_t nex = to->shape[0] - 1, B = (int64_t)lua_objlen(L, 3);
    const int64_t *off = tide_i64(to);
    for (int64_t b = 0; b < B; b++) {
        lua_rawgeti(L, 3, (int)b + 1);
        int64_t r = (int64_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (r < 1 || r > nex) return lt_errorf(L, "%s: rows[%d] = %d outside 1..%d", fn, (int)b + 1, (int)r, (int)nex);
        int64_t len = off[r] - off[r - 1];
        if (len > 0 && len % 2 == 0) return lt_errorf(L, "%s: text %d does not hold n + (n-1) ids", fn, (int)r);
    }
    int64_t shp[2] = {B, T};
    tide_tensor *x = tide_tensor_full(TIDE_I32, 2, shp, 1.0);
    if (!x) return lt_error(L, fn);
    int32_t *px = tide_i32(x);
    const int32_t *ids = tide_i32(ti);
    for (int64_t b = 0; b < B; b++) {
        lua_rawgeti(L, 3, (int)b + 1);
        int64_t r = (int64_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
        int64_t len = off[r] - off[r - 1], n = (len + 1) / 2;
        for (int64_t t = 1; t < n && t < T; t++)
            px[b * T + t] = (int32_t)(ids[off[r - 1] + n + t - 1] + shift);
    }
    return lt_push_tensor(L, x, fn);
}

static const luaL_Reg vocab_methods[] = {
    {"add", v_add}, {"add_texts", v_add_texts}, {"prune", v_prune}, {"size", v_size},
    {"id", v_id}, {"token", v_token}, {"save", v_save}, {"free", v_free}, {NULL, NULL}};

static const luaL_Reg funcs[] = {
    {"normalize", l_normalize}, {"units", l_units}, {"fnv1a", l_fnv1a},
    {"vocab_new", l_vocab_new}, {"vocab_load", l_vocab_load}, {"ids", l_ids},
    {"pad", l_pad}, {"window_mask", l_window_mask}, {"pad_bigrams", l_pad_bigrams}, {NULL, NULL}};

int lt_open_text(lua_State *L)
{
    if (luaL_newmetatable(L, VOCAB_MT)) {
        lua_newtable(L);
        lt_register(L, vocab_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, v_free);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, v_size);
        lua_setfield(L, -2, "__len");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lt_register(L, funcs);
    static const struct { const char *k; int v; } fl[] = {
        {"STRICT", TIDE_TEXT_STRICT}, {"NO_PUNCT", TIDE_TEXT_NO_PUNCT},
        {"MASK_NUM", TIDE_TEXT_MASK_NUM}, {"DROP_NUM", TIDE_TEXT_DROP_NUM},
        {"NEG", TIDE_TEXT_NEG}};
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
        lua_pushinteger(L, fl[i].v);
        lua_setfield(L, -2, fl[i].k);
    }
    lt_fasttext_register(L);
    return 1;
}
