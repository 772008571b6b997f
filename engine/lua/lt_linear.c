/* lt_linear.c — Lua binding for linear.h as core.linear:
 *   dcd(offsets i64, idx i32 (0-based), val f32, labels i32, dim, opts) -> {w_1..w_dim, bias}
 *       the bare solver, opts {loss = "lr"|"svm", C, eps, max_iter, seed}
 *   train(ids i32, offsets i64, labels i32, opts) -> "tide.Linear"   ids from core.text.ids
 *       with no vocabulary; opts {flags, ngrams, buckets, tf, idf, nb (booleans), loss, C, eps, max_iter, seed}
 *   stack(ids, offsets, labels, fold i32, K, {member opts...}, {flags, ngrams, buckets})
 *       -> "tide.Linear", {intercept, weights...}, {out-of-fold accuracies...} (linear.h)
 *   load(path), load_bytes(bytes [, name])
 * Methods: score(texts) -> {z...} (decision values), score_ids(ids, offsets) -> {z...}, explain(text) -> units, contributions,
 * bias; save(path), to_bytes(), info(), free(). */
#include <stdlib.h>
#include <string.h>

#include "linear_mix.h"
#include "lt.h"
#include "lt_bytes.h"

#define LIN_MT "tide.Linear"

typedef struct {
    tide_linear *m;
} lin_ud;

static tide_linear *check_lin(lua_State *L, int idx, const char *fn)
{
    lin_ud *u = luaL_testudata(L, idx, LIN_MT);
    if (!u) lt_errorf(L, "%s: argument #%d: expected linear model, got %s", fn, idx, luaL_typename(L, idx));
    if (!u->m) lt_errorf(L, "%s: model was freed", fn);
    return u->m;
}

static int push_lin(lua_State *L, tide_linear *m, const char *fn)
{
    if (!m) return lt_error(L, fn);
    lin_ud *u = lua_newuserdata(L, sizeof *u);
    u->m = m;
    luaL_getmetatable(L, LIN_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static tide_tensor *check_vec(lua_State *L, int idx, tide_dtype dt, const char *fn, const char *what)
{
    tide_tensor *t = lt_check_tensor(L, idx, fn);
    if (t->dtype != dt || t->ndim != 1 || !tide_tensor_is_contiguous(t))
        lt_errorf(L, "%s: %s must be a contiguous 1-d %s tensor (got %s, %d-d)", fn, what,
                  tide_dtype_name(dt), tide_dtype_name(t->dtype), t->ndim);
    return t;
}

/* Offsets at idx: from 0 to `total`, never decreasing; returns the row count. */
static int64_t check_offsets(lua_State *L, tide_tensor *to, int64_t total, const char *fn)
{
    int64_t n = to->shape[0] - 1;
    const int64_t *o = tide_i64(to);
    if (n < 0 || o[0] != 0 || o[n] != total)
        lt_errorf(L, "%s: offsets must start at 0 and end at %lld", fn, (long long)total);
    for (int64_t i = 0; i < n; i++)
        if (o[i + 1] < o[i]) lt_errorf(L, "%s: offsets decrease at %lld", fn, (long long)i + 1);
    return n;
}

static void check_labels(lua_State *L, tide_tensor *tl, int64_t n, const char *fn)
{
    if (tl->shape[0] != n) lt_errorf(L, "%s: %lld labels for %lld rows", fn, (long long)tl->shape[0], (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (tide_i32(tl)[i] != 0 && tide_i32(tl)[i] != 1)
            lt_errorf(L, "%s: labels[%lld] = %d, expected 0 or 1", fn, (long long)i + 1, tide_i32(tl)[i]);
}

/* Solver options from the table at idx (LIBLINEAR's defaults: C 1, eps 0.1). */
static tide_linear_opts check_opts(lua_State *L, int idx, const char *fn)
{
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        lt_errorf(L, "%s: opts must be a table, got %s", fn, luaL_typename(L, idx));
    tide_linear_opts o = {TIDE_LINEAR_LR, lt_opt_number(L, idx, fn, "C", 1), lt_opt_number(L, idx, fn, "eps", 0.1),
                          (int)lt_opt_number(L, idx, fn, "max_iter", 100),
                          (uint64_t)lt_opt_number(L, idx, fn, "seed", 1)};
    if (lua_istable(L, idx)) {
        lua_getfield(L, idx, "loss");
        if (!lua_isnil(L, -1)) {
            const char *s = lua_tostring(L, -1);
            if (s && strcmp(s, "svm") == 0) o.loss = TIDE_LINEAR_SVM;
            else if (!s || strcmp(s, "lr") != 0)
                lt_errorf(L, "%s: opts.loss must be \"lr\" or \"svm\", got %s", fn, s ? s : luaL_typename(L, -1));
        }
        lua_pop(L, 1);
    }
    if (!(o.C > 0)) lt_errorf(L, "%s: opts.C must be > 0, got %g", fn, o.C);
    if (!(o.eps > 0)) lt_errorf(L, "%s: opts.eps must be > 0, got %g", fn, o.eps);
    if (o.max_iter < 1) lt_errorf(L, "%s: opts.max_iter must be >= 1, got %d", fn, o.max_iter);
    return o;
}

/* Tokenizer options {flags, ngrams, buckets} from the table at idx. */
static tide_ids_opts check_ids(lua_State *L, int idx, const char *fn)
{
    tide_ids_opts ids = {(int)lt_opt_number(L, idx, fn, "flags", 0), (int)lt_opt_number(L, idx, fn, "ngrams", 1),
                         (int64_t)lt_opt_number(L, idx, fn, "buckets", 0)};
    if (ids.ngrams < 1 || ids.ngrams > 8) lt_errorf(L, "%s: opts.ngrams must be in 1..8", fn);
    if (ids.buckets < 1 || ids.buckets > INT32_MAX - 1) lt_errorf(L, "%s: opts.buckets must be in [1, 2^31 - 1)", fn);
    return ids;
}

/* Feature options {tf, idf, nb (booleans), min_df} from the table at idx. */
static tide_linear_feat check_feat(lua_State *L, int idx, const char *fn)
{
    tide_linear_feat f;
    const char *keys[3] = {"tf", "idf", "nb"};
    int *dst[3] = {&f.tf, &f.idf, &f.nb};
    for (int k = 0; k < 3; k++) {
        lua_getfield(L, idx, keys[k]);
        *dst[k] = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    f.min_df = (int)lt_opt_number(L, idx, fn, "min_df", 1);
    return f;
}

static int l_dcd(lua_State *L)
{
    const char *fn = "linear.dcd";
    tide_tensor *to = check_vec(L, 1, TIDE_I64, fn, "offsets");
    tide_tensor *ti = check_vec(L, 2, TIDE_I32, fn, "idx");
    tide_tensor *tv = check_vec(L, 3, TIDE_F32, fn, "val");
    tide_tensor *tl = check_vec(L, 4, TIDE_I32, fn, "labels");
    int64_t dim = lt_check_int(L, 5, fn, "dim");
    tide_linear_opts o = check_opts(L, 6, fn);
    if (tv->shape[0] != ti->shape[0]) lt_errorf(L, "%s: %lld values for %lld indices", fn,
                                                (long long)tv->shape[0], (long long)ti->shape[0]);
    int64_t n = check_offsets(L, to, ti->shape[0], fn);
    check_labels(L, tl, n, fn);
    if (dim < 1 || dim > INT32_MAX - 1) lt_errorf(L, "%s: dim must be in [1, 2^31 - 1)", fn);
    for (int64_t k = 0; k < ti->shape[0]; k++)
        if (tide_i32(ti)[k] < 0 || tide_i32(ti)[k] >= dim)
            lt_errorf(L, "%s: idx[%lld] = %d outside [0, %lld)", fn, (long long)k + 1, tide_i32(ti)[k], (long long)dim);
    double *w = lua_newuserdata(L, (size_t)(dim + 1) * sizeof *w); /* GC-owned */
    int iters = tide_linear_dcd(tide_i64(to), tide_i32(ti), tide_f32(tv), n, (int32_t)dim, tide_i32(tl), &o, w);
    if (iters < 0) return lt_error(L, fn);
    lt_push_doubles(L, w, dim + 1);
    lua_pushinteger(L, iters);
    return 2;
}

static int l_train(lua_State *L)
{
    const char *fn = "linear.train";
    tide_tensor *ti = check_vec(L, 1, TIDE_I32, fn, "ids");
    tide_tensor *to = check_vec(L, 2, TIDE_I64, fn, "offsets");
    tide_tensor *tl = check_vec(L, 3, TIDE_I32, fn, "labels");
    luaL_checktype(L, 4, LUA_TTABLE);
    int64_t n = check_offsets(L, to, ti->shape[0], fn);
    check_labels(L, tl, n, fn);
    tide_linear_opts o = check_opts(L, 4, fn);
    tide_ids_opts ids = check_ids(L, 4, fn);
    tide_linear_feat f = check_feat(L, 4, fn);
    return push_lin(L, tide_linear_train(&ids, &f, tide_i32(ti), tide_i64(to), n, tide_i32(tl), &o), fn);
}

/* stack(ids i32, offsets i64, labels i32, fold i32 (0-based), K, {member opts...}, opts)
 *   -> model, {intercept, weight...}, {out-of-fold accuracy per member..., of the stack}
 * member opts: tf, idf, nb, min_df and the solver's; opts: flags, ngrams, buckets */
static int l_stack(lua_State *L)
{
    const char *fn = "linear.stack";
    tide_tensor *ti = check_vec(L, 1, TIDE_I32, fn, "ids");
    tide_tensor *to = check_vec(L, 2, TIDE_I64, fn, "offsets");
    tide_tensor *tl = check_vec(L, 3, TIDE_I32, fn, "labels");
    tide_tensor *tf = check_vec(L, 4, TIDE_I32, fn, "fold");
    int K = (int)lt_check_int(L, 5, fn, "K");
    luaL_checktype(L, 6, LUA_TTABLE);
    luaL_checktype(L, 7, LUA_TTABLE);
    int64_t n = check_offsets(L, to, ti->shape[0], fn);
    check_labels(L, tl, n, fn);
    if (tf->shape[0] != n) lt_errorf(L, "%s: %lld folds for %lld rows", fn, (long long)tf->shape[0], (long long)n);
    int M = (int)lua_objlen(L, 6);
    if (M < 1 || M > 8) lt_errorf(L, "%s: 1 to 8 members, got %d", fn, M);
    tide_linear_feat f[8];
    tide_linear_opts o[8];
    for (int m = 0; m < M; m++) {
        lua_rawgeti(L, 6, m + 1);
        int top = lua_gettop(L);
        if (!lua_istable(L, top)) lt_errorf(L, "%s: members[%d] must be a table", fn, m + 1);
        f[m] = check_feat(L, top, fn);
        o[m] = check_opts(L, top, fn);
        lua_pop(L, 1);
    }
    tide_ids_opts ids = check_ids(L, 7, fn);
    double w[9], acc[9];
    tide_linear *model = tide_linear_stack(&ids, M, f, o, tide_i32(ti), tide_i64(to), n, tide_i32(tl), tide_i32(tf), K, w, acc);
    push_lin(L, model, fn);
    lt_push_doubles(L, w, M + 1);
    lt_push_doubles(L, acc, M + 1);
    return 3;
}

static int l_load(lua_State *L)
{
    return push_lin(L, tide_linear_load(luaL_checkstring(L, 1)), "linear.load");
}

static int l_load_bytes(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    return push_lin(L, tide_linear_parse(s, n, luaL_optstring(L, 2, "(memory)")), "linear.load_bytes");
}

/* m:score(texts) -> Lua array of decision values z (P = sigmoid(z) for loss "lr") */
static int m_score(lua_State *L)
{
    const char *fn = "linear:score";
    tide_linear *m = check_lin(L, 1, fn);
    int64_t n = lt_check_strings(L, 2, fn, "texts");
    size_t k = (size_t)(n > 0 ? n : 1);
    /* GC-owned scratch; the strings stay anchored by the table at argument 2 */
    const char **texts = lua_newuserdata(L, k * sizeof *texts);
    size_t *lens = lua_newuserdata(L, k * sizeof *lens);
    double *z = lua_newuserdata(L, k * sizeof *z);
    for (int64_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (int)i + 1);
        texts[i] = lua_tolstring(L, -1, &lens[i]);
        lua_pop(L, 1);
    }
    if (tide_linear_score_batch(m, texts, lens, n, z) != TIDE_OK) return lt_error(L, fn);
    lt_push_doubles(L, z, n);
    return 1;
}

/* m:score_ids(ids i32, offsets i64) -> Lua array of decision values z of the reviews given as
 * ids (core.text.ids with the model's tokenizer options; ids outside [0, buckets) are errors) */
static int m_score_ids(lua_State *L)
{
    const char *fn = "linear:score_ids";
    tide_linear *m = check_lin(L, 1, fn);
    tide_tensor *ti = check_vec(L, 2, TIDE_I32, fn, "ids");
    tide_tensor *to = check_vec(L, 3, TIDE_I64, fn, "offsets");
    int64_t n = check_offsets(L, to, ti->shape[0], fn);
    const int32_t *ids = tide_i32(ti);
    const int64_t *off = tide_i64(to);
    for (int64_t k = 0; k < ti->shape[0]; k++)
        if (ids[k] < 0 || ids[k] >= m->ids.buckets)
            return lt_errorf(L, "%s: ids[%lld] = %d outside [0, %lld)", fn, (long long)k + 1, ids[k], (long long)m->ids.buckets);
    double *z = lua_newuserdata(L, (size_t)(n > 0 ? n : 1) * sizeof *z); /* GC-owned scratch */
    for (int64_t i = 0; i < n; i++) {
        z[i] = tide_linear_score_ids(m, ids + off[i], off[i + 1] - off[i]);
        if (z[i] != z[i]) return lt_errorf(L, "%s: out of memory scoring review %lld", fn, (long long)i + 1);
    }
    lt_push_doubles(L, z, n);
    return 1;
}

static int m_explain(lua_State *L)
{
    const char *fn = "linear:explain";
    tide_linear *m = check_lin(L, 1, fn);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    tide_units u = {0};
    float *contrib = NULL;
    int64_t n = tide_linear_explain(m, s, len, &u, &contrib);
    if (n < 0) { tide_units_free(&u); return lt_error(L, fn); }
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, (int)n, 0);
    for (int64_t i = 0; i < n; i++) {
        lua_pushlstring(L, tide_unit_str(&u, (size_t)i), u.u[i].len);
        lua_rawseti(L, -3, (int)i + 1);
        lua_pushnumber(L, contrib[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_pushnumber(L, m->bias);
    free(contrib);
    tide_units_free(&u);
    return 3;
}

static int m_save(lua_State *L)
{
    const char *fn = "linear:save";
    tide_linear *m = check_lin(L, 1, fn);
    if (tide_linear_save(m, luaL_checkstring(L, 2)) != TIDE_OK) return lt_error(L, fn);
    return 0;
}

static int m_to_bytes(lua_State *L)
{
    const char *fn = "linear:to_bytes";
    tide_linear *m = check_lin(L, 1, fn);
    lua_settop(L, 1);
    void **box = lt_bytes_box(L);
    size_t n;
    if (!(*box = tide_linear_encode(m, fn, &n))) return lt_error(L, fn);
    lt_bytes_push(L, box, n);
    return 1;
}

static int m_info(lua_State *L)
{
    tide_linear *m = check_lin(L, 1, "linear:info");
    int64_t seen = 0;
    for (int64_t j = 0; j < m->ids.buckets; j++) {
        int any = 0;
        for (int v = 0; v < m->views; v++) any |= m->uq[(size_t)j * 2 * (size_t)m->views + 2 * (size_t)v + 1] > 0;
        seen += any;
    }
    lua_createtable(L, 0, 10);
    lua_pushinteger(L, m->ids.flags); lua_setfield(L, -2, "flags");
    lua_pushinteger(L, m->ids.ngrams); lua_setfield(L, -2, "ngrams");
    lua_pushinteger(L, (lua_Integer)m->ids.buckets); lua_setfield(L, -2, "buckets");
    lua_pushboolean(L, m->feat[0].tf); lua_setfield(L, -2, "tf"); /* the first view's */
    lua_pushboolean(L, m->feat[0].idf); lua_setfield(L, -2, "idf");
    lua_pushboolean(L, m->feat[0].nb); lua_setfield(L, -2, "nb");
    lua_pushinteger(L, m->views); lua_setfield(L, -2, "views");
    lua_createtable(L, m->views, 0);
    for (int v = 0; v < m->views; v++) {
        lua_createtable(L, 0, 3);
        lua_pushboolean(L, m->feat[v].tf); lua_setfield(L, -2, "tf");
        lua_pushboolean(L, m->feat[v].idf); lua_setfield(L, -2, "idf");
        lua_pushboolean(L, m->feat[v].nb); lua_setfield(L, -2, "nb");
        lua_rawseti(L, -2, v + 1);
    }
    lua_setfield(L, -2, "view_features");
    lua_pushstring(L, m->loss == TIDE_LINEAR_SVM ? "svm" : "lr"); lua_setfield(L, -2, "loss");
    lua_pushnumber(L, m->bias); lua_setfield(L, -2, "bias");
    lua_pushinteger(L, (lua_Integer)seen); lua_setfield(L, -2, "n_features");
    return 1;
}

static int m_free(lua_State *L)
{
    lin_ud *u = luaL_checkudata(L, 1, LIN_MT);
    tide_linear_free(u->m);
    u->m = NULL;
    return 0;
}

static const luaL_Reg methods[] = {{"score", m_score}, {"score_ids", m_score_ids}, {"explain", m_explain}, {"save", m_save},
                                   {"to_bytes", m_to_bytes}, {"info", m_info}, {"free", m_free},
                                   {NULL, NULL}};

tide_fasttext *lt_fasttext_check(lua_State *L, int idx, const char *fn); /* lt_fasttext.c */

/* mix_score({linear models}, {fastText models}, texts) -> {z...}: the mean clamped log-odds
 * of the members, one tokenization per text (linear_mix.h) */
static int l_mix_score(lua_State *L)
{
    const char *fn = "linear.mix_score";
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    int nl = (int)lua_objlen(L, 1), nf = (int)lua_objlen(L, 2);
    int64_t n = lt_check_strings(L, 3, fn, "texts");
    /* GC-owned scratch; the models and strings stay anchored by the argument tables */
    const tide_linear **lin = lua_newuserdata(L, (size_t)(nl + 1) * sizeof *lin);
    const tide_fasttext **ft = lua_newuserdata(L, (size_t)(nf + 1) * sizeof *ft);
    for (int i = 0; i < nl; i++) {
        lua_rawgeti(L, 1, i + 1);
        lin[i] = check_lin(L, lua_gettop(L), fn);
        lua_pop(L, 1);
    }
    for (int i = 0; i < nf; i++) {
        lua_rawgeti(L, 2, i + 1);
        ft[i] = lt_fasttext_check(L, lua_gettop(L), fn);
        lua_pop(L, 1);
    }
    tide_text_mix x = {lin, nl, ft, nf};
    if (tide_text_mix_check(&x) != TIDE_OK) return lt_error(L, fn);
    size_t k = (size_t)(n > 0 ? n : 1);
    const char **texts = lua_newuserdata(L, k * sizeof *texts);
    size_t *lens = lua_newuserdata(L, k * sizeof *lens);
    double *z = lua_newuserdata(L, k * sizeof *z);
    for (int64_t i = 0; i < n; i++) {
        lua_rawgeti(L, 3, (int)i + 1);
        texts[i] = lua_tolstring(L, -1, &lens[i]);
        lua_pop(L, 1);
    }
    if (tide_text_mix_score(&x, texts, lens, n, z) != TIDE_OK) return lt_error(L, fn);
    lt_push_doubles(L, z, n);
    return 1;
}

static const luaL_Reg funcs[] = {{"dcd", l_dcd}, {"train", l_train}, {"stack", l_stack}, {"load", l_load}, {"mix_score", l_mix_score},
                                 {"load_bytes", l_load_bytes}, {NULL, NULL}};

int lt_open_linear(lua_State *L)
{
    lt_class(L, LIN_MT, methods, m_free);
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
