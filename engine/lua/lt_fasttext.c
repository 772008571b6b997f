/* lt_fasttext.c — Lua binding for fasttext.h as "tide.FastText" userdata, registered into
 * core.text: fasttext_new(vocab|nil, dim, n_classes, flags, ngrams, buckets, seed),
 * fasttext_load(path), fasttext_load_bytes(bytes [, name]); methods train, forward, predict,
 * explain, vectors, save(path [, rows]), to_bytes([rows]) (the bytes save writes), info, free.
 * Class labels are 0-based integers (i32 tensors); probabilities are f32 [n, n_classes]. */
#include <stdlib.h>
#include <string.h>

#include "fasttext.h"
#include "lt.h"
#include "lt_bytes.h"

#define FT_MT "tide.FastText"

typedef struct {
    tide_fasttext *m;
} ft_ud;

tide_vocab *lt_text_opt_vocab(lua_State *L, int idx, const char *fn); /* lt_text.c */

static tide_fasttext *check_ft(lua_State *L, int idx, const char *fn)
{
    ft_ud *u = luaL_testudata(L, idx, FT_MT);
    if (!u) lt_errorf(L, "%s: argument #%d: expected fastText model, got %s", fn, idx, luaL_typename(L, idx));
    if (!u->m) lt_errorf(L, "%s: model was freed", fn);
    return u->m;
}

/* For other bindings (lt_linear.c's ensemble scorer): the model at idx or a Lua error. */
tide_fasttext *lt_fasttext_check(lua_State *L, int idx, const char *fn) { return check_ft(L, idx, fn); }

static int push_ft(lua_State *L, tide_fasttext *m, const char *fn)
{
    if (!m) return lt_error(L, fn);
    ft_ud *u = lua_newuserdata(L, sizeof *u);
    u->m = m;
    luaL_getmetatable(L, FT_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static int l_new(lua_State *L)
{
    const char *fn = "text.fasttext_new";
    tide_vocab *v = lt_text_opt_vocab(L, 1, fn);
    int dim = (int)lt_check_int(L, 2, fn, "dim");
    int nc = (int)lt_check_int(L, 3, fn, "n_classes");
    tide_ids_opts o = {(int)lt_check_int(L, 4, fn, "flags"), (int)lt_check_int(L, 5, fn, "ngrams"),
                       lt_check_int(L, 6, fn, "buckets")};
    uint64_t seed = (uint64_t)lt_check_int(L, 7, fn, "seed");
    if (o.ngrams < 1 || o.ngrams > 8) return lt_errorf(L, "%s: ngrams must be in 1..8", fn);
    return push_ft(L, tide_fasttext_new(v, &o, dim, nc, seed), fn);
}

static int l_load(lua_State *L)
{
    return push_ft(L, tide_fasttext_load(luaL_checkstring(L, 1)), "text.fasttext_load");
}

/* fasttext_load_bytes(bytes [, name]): a model from the bytes of a model file */
static int l_load_bytes(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *name = luaL_optstring(L, 2, "(memory)");
    return push_ft(L, tide_fasttext_parse(s, n, name), "text.fasttext_load_bytes");
}

static tide_tensor *check_typed(lua_State *L, int idx, tide_dtype dt, const char *fn,
                                const char *what)
{
    tide_tensor *t = lt_check_tensor(L, idx, fn);
    if (t->dtype != dt || t->ndim != 1 || !tide_tensor_is_contiguous(t))
        lt_errorf(L, "%s: %s must be a contiguous 1-d %s tensor (got %s, %d-d)", fn, what,
                   tide_dtype_name(dt), tide_dtype_name(t->dtype), t->ndim);
    return t;
}

/* Shared check of (ids i32, offsets i64): offsets monotone from 0 to #ids, ids in range. */
static int64_t check_batch(lua_State *L, tide_fasttext *m, int idx, const char *fn,
                           const int32_t **ids, const int64_t **off)
{
    tide_tensor *ti = check_typed(L, idx, TIDE_I32, fn, "ids");
    tide_tensor *to = check_typed(L, idx + 1, TIDE_I64, fn, "offsets");
    int64_t n = to->shape[0] - 1;
    if (n < 0) lt_errorf(L, "%s: offsets must have at least one entry", fn);
    const int64_t *o = tide_i64(to);
    const int32_t *x = tide_i32(ti);
    if (o[0] != 0 || o[n] != ti->shape[0])
        lt_errorf(L, "%s: offsets must start at 0 and end at #ids (%lld), got %lld..%lld", fn,
                   (long long)ti->shape[0], (long long)o[0], (long long)o[n]);
    for (int64_t i = 0; i < n; i++)
        if (o[i + 1] < o[i]) lt_errorf(L, "%s: offsets decrease at %lld", fn, (long long)i + 1);
    for (int64_t j = 0; j < ti->shape[0]; j++)
        if (x[j] < 0 || x[j] >= m->n_rows)
            lt_errorf(L, "%s: ids[%lld] = %d outside [0, %lld)", fn, (long long)j + 1, x[j],
                       (long long)m->n_rows);
    *ids = x;
    *off = o;
    return n;
}

/* m:train(ids, offsets, labels, epochs, lr, seed) -> mean loss of the last epoch */
static int m_train(lua_State *L)
{
    const char *fn = "fasttext:train";
    tide_fasttext *m = check_ft(L, 1, fn);
    const int32_t *ids;
    const int64_t *off;
    int64_t n = check_batch(L, m, 2, fn, &ids, &off);
    tide_tensor *tl = check_typed(L, 4, TIDE_I32, fn, "labels");
    if (tl->shape[0] != n) lt_errorf(L, "%s: %lld labels for %lld examples", fn,
                                      (long long)tl->shape[0], (long long)n);
    int epochs = (int)lt_check_int(L, 5, fn, "epochs");
    double lr = luaL_checknumber(L, 6);
    uint64_t seed = (uint64_t)lt_check_int(L, 7, fn, "seed");
    double loss = tide_fasttext_train(m, ids, off, n, tide_i32(tl), epochs, lr, seed);
    if (loss < 0) return lt_error(L, fn);
    lua_pushnumber(L, loss);
    return 1;
}

static int m_forward(lua_State *L)
{
    const char *fn = "fasttext:forward";
    tide_fasttext *m = check_ft(L, 1, fn);
    const int32_t *ids;
    const int64_t *off;
    int64_t n = check_batch(L, m, 2, fn, &ids, &off);
    int64_t shp[2] = {n, m->n_classes};
    tide_tensor *p = tide_tensor_new(TIDE_F32, 2, shp);
    if (!p) return lt_error(L, fn);
    for (int64_t i = 0; i < n; i++)
        tide_fasttext_forward(m, ids + off[i], off[i + 1] - off[i], tide_f32(p) + i * m->n_classes);
    return lt_push_tensor(L, p, fn);
}

/* m:predict(texts) -> f32 [#texts, n_classes] */
static int m_predict(lua_State *L)
{
    const char *fn = "fasttext:predict";
    tide_fasttext *m = check_ft(L, 1, fn);
    int64_t n = lt_check_strings(L, 2, fn, "texts");
    int64_t shp[2] = {n, m->n_classes};
    tide_tensor *p = tide_tensor_new(TIDE_F32, 2, shp);
    if (!p) return lt_error(L, fn);
    /* the strings stay anchored by the table at argument 2 while the threads read them */
    const char **texts = malloc((size_t)(n > 0 ? n : 1) * sizeof *texts);
    size_t *lens = malloc((size_t)(n > 0 ? n : 1) * sizeof *lens);
    if (!texts || !lens) {
        free(texts); free(lens); tide_tensor_release(p);
        return lt_errorf(L, "%s: out of memory", fn);
    }
    for (int64_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (int)i + 1);
        texts[i] = lua_tolstring(L, -1, &lens[i]);
        lua_pop(L, 1);
    }
    int rc = tide_fasttext_predict_batch(m, texts, lens, n, tide_f32(p));
    free(texts);
    free(lens);
    if (rc != TIDE_OK) { tide_tensor_release(p); return lt_error(L, fn); }
    return lt_push_tensor(L, p, fn);
}

/* m:explain(text, class0) -> units (table), contributions (table), bias term */
static int m_explain(lua_State *L)
{
    const char *fn = "fasttext:explain";
    tide_fasttext *m = check_ft(L, 1, fn);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    int c = (int)lt_check_int(L, 3, fn, "class");
    tide_units u = {0};
    float *contrib = NULL;
    int64_t n = tide_fasttext_explain(m, s, len, c, &u, &contrib);
    if (n < 0) { tide_units_free(&u); return lt_error(L, fn); }
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, (int)n, 0);
    for (int64_t i = 0; i < n; i++) {
        lua_pushlstring(L, tide_unit_str(&u, (size_t)i), u.u[i].len);
        lua_rawseti(L, -3, (int)i + 1);
        lua_pushnumber(L, contrib[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    double mean = 0;
    for (int k = 0; k < m->n_classes; k++) mean += m->b[k];
    lua_pushnumber(L, m->b[c] - mean / m->n_classes);
    free(contrib);
    tide_units_free(&u);
    return 3;
}


/* m:vectors(tokens) -> f32 [#tokens, dim]: the input embedding row of each token as a unit
 * (its vocabulary row, or its hash bucket when out of vocabulary; zeros without either).
 * Used to initialise other models (the TextCNN) from a trained fastText model. */
static int m_vectors(lua_State *L)
{
    const char *fn = "fasttext:vectors";
    tide_fasttext *m = check_ft(L, 1, fn);
    int64_t n = lt_check_strings(L, 2, fn, "tokens");
    int64_t shp[2] = {n, m->dim};
    tide_tensor *out = tide_tensor_new(TIDE_F32, 2, shp);
    if (!out) return lt_error(L, fn);
    for (int64_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (int)i + 1);
        size_t len;
        const char *t = lua_tolstring(L, -1, &len);
        int64_t id = tide_vocab_id(m->vocab, t, len);
        if (id < 0 && m->ids.buckets > 0)
            id = m->n_vocab + (int64_t)(tide_fnv1a64(t, len, TIDE_FNV_OFFSET) % (uint64_t)m->ids.buckets);
        lua_pop(L, 1);
        if (id >= 0)
            tide_fasttext_materialize(m), /* whole-table use: expand lazy rows once */
            memcpy(tide_f32(out) + i * m->dim, m->emb + id * m->dim, (size_t)m->dim * sizeof(float));
    }
    return lt_push_tensor(L, out, fn);
}

static tide_ft_rows check_rows(lua_State *L, int idx, const char *fn)
{
    const char *rows = luaL_optstring(L, idx, "plain");
    if (strcmp(rows, "plain") == 0) return TIDE_FT_ROWS_PLAIN;
    if (strcmp(rows, "f32") == 0) return TIDE_FT_ROWS_F32;
    if (strcmp(rows, "int8") == 0) return TIDE_FT_ROWS_INT8;
    return lt_errorf(L, "%s: rows must be 'plain', 'f32' or 'int8', got '%s'", fn, rows), TIDE_FT_ROWS_PLAIN;
}

/* m:save(path [, rows]) with rows "plain" (default, lossless), "f32" (lossless, XOR with the
 * seeded values: smaller, slower to load) or "int8" (lossy) (fasttext.h) */
static int m_save(lua_State *L)
{
    const char *fn = "fasttext:save";
    tide_fasttext *m = check_ft(L, 1, fn);
    const char *path = luaL_checkstring(L, 2);
    tide_ft_rows codec = check_rows(L, 3, fn);
    if (tide_fasttext_save_as(m, path, codec) != TIDE_OK) return lt_error(L, fn);
    return 0;
}

/* m:to_bytes([rows]) -> the string m:save(path, rows) writes */
static int m_to_bytes(lua_State *L)
{
    const char *fn = "fasttext:to_bytes";
    tide_fasttext *m = check_ft(L, 1, fn);
    tide_ft_rows codec = check_rows(L, 2, fn);
    lua_settop(L, 2);
    void **box = lt_bytes_box(L);
    size_t n;
    if (!(*box = tide_fasttext_encode(m, codec, fn, &n))) return lt_error(L, fn);
    lt_bytes_push(L, box, n);
    return 1;
}

static int m_info(lua_State *L)
{
    tide_fasttext *m = check_ft(L, 1, "fasttext:info");
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, m->dim); lua_setfield(L, -2, "dim");
    lua_pushinteger(L, m->n_classes); lua_setfield(L, -2, "n_classes");
    lua_pushinteger(L, m->ids.flags); lua_setfield(L, -2, "flags");
    lua_pushinteger(L, m->ids.ngrams); lua_setfield(L, -2, "ngrams");
    lua_pushinteger(L, (lua_Integer)m->ids.buckets); lua_setfield(L, -2, "buckets");
    lua_pushinteger(L, (lua_Integer)m->n_vocab); lua_setfield(L, -2, "n_vocab");
    lua_pushinteger(L, (lua_Integer)m->n_rows); lua_setfield(L, -2, "n_rows");
    return 1;
}

static int m_free(lua_State *L)
{
    ft_ud *u = luaL_checkudata(L, 1, FT_MT);
    tide_fasttext_free(u->m);
    u->m = NULL;
    return 0;
}

static const luaL_Reg methods[] = {
    {"train", m_train}, {"forward", m_forward}, {"predict", m_predict}, {"explain", m_explain},
    {"save", m_save}, {"to_bytes", m_to_bytes}, {"info", m_info}, {"vectors", m_vectors}, {"free", m_free},
    {NULL, NULL}};

static const luaL_Reg funcs[] = {{"fasttext_new", l_new},
                                  {"fasttext_load", l_load},
                                  {"fasttext_load_bytes", l_load_bytes},
                                  {NULL, NULL}};

int lt_fasttext_register(lua_State *L)
{
    lt_class(L, FT_MT, methods, m_free);
    lt_register(L, funcs);
    return 0;
}
