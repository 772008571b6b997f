/* lt_interest.c — Lua binding of interest.h (profiles, popularity, category-profile scores,
 * co-occurrence, sparse scoring, grouping); merged into core.decay by lt_decay.c. */
#include <stdlib.h>

#include "interest.h"
#include "lt_args.h"

/* Pushes an engine-allocated CSR (off [rows+1], 0-based col, val; all malloc'd, freed here) as
 * three tensors: off i64, col i32 made 1-based, val f32. */
static int push_csr(lua_State *L, const char *fn, int64_t rows, int64_t *off, int32_t *col, float *val)
{
    int64_t m = off[rows], s1[1] = {rows + 1}, s2[1] = {m};
    for (int64_t i = 0; i < m; i++) col[i] += 1;
    tide_tensor *a = tide_tensor_from_data(TIDE_I64, 1, s1, off), *b = tide_tensor_from_data(TIDE_I32, 1, s2, col),
                *c = tide_tensor_from_data(TIDE_F32, 1, s2, val);
    free(off); free(col); free(val);
    if (!a || !b || !c) {
        tide_tensor_release(a); tide_tensor_release(b); tide_tensor_release(c);
        return lt_errorf(L, "%s: out of memory", fn);
    }
    lt_push_tensor(L, a, fn);
    lt_push_tensor(L, b, fn);
    lt_push_tensor(L, c, fn);
    return 3;
}

/* group(key (1-based) [n], time i64 [n] | nil, G) -> off i64 [G+1], perm i32 [n] (1-based) */
static int l_group(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.group";
    int64_t n, G = lt_check_int(L, 3, fn, "n_groups");
    if (G < 0) lt_errorf(L, "%s: n_groups must be >= 0", fn);
    int32_t *key = la_ids0(L, 1, fn, "key", &n, G);
    const int64_t *time = NULL;
    if (!lua_isnoneornil(L, 2)) {
        tide_tensor *t = la_tensor(L, 2, TIDE_I64, 1, fn, "time");
        if (tide_tensor_numel(t) != n) lt_errorf(L, "%s: time has %d entries, key has %d", fn, (int)tide_tensor_numel(t), (int)n);
        time = tide_i64(t);
    }
    int64_t so[1] = {G + 1}, sp[1] = {n};
    tide_tensor *off = tide_tensor_new(TIDE_I64, 1, so);
    lt_push_tensor(L, off, fn);
    tide_tensor *perm = tide_tensor_new(TIDE_I32, 1, sp);
    lt_push_tensor(L, perm, fn);
    if (tide_group_sort(n, key, time, G, tide_i64(off), tide_i32(perm)) < 0) return lt_error(L, fn);
    for (int64_t i = 0; i < n; i++) tide_i32(perm)[i] += 1;
    return 2;
}

/* spec table {family=, k=, theta=, per_user=, weights=, unit=} */
static void check_spec(lua_State *L, int idx, tide_interest_spec *sp, int64_t U, const char *fn)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_getfield(L, idx, "family");
    int f = tide_decay_lookup(lua_isstring(L, -1) ? lua_tostring(L, -1) : "exponential");
    lua_pop(L, 1);
    if (f < 0) lt_error(L, fn);
    sp->fam = (tide_decay_family)f;
    sp->k = (int)la_optfield(L, idx, "k", 2);
    int P = tide_decay_nparams(sp->fam, sp->k);
    if (P < 0) lt_errorf(L, "%s: bad mixture size %d", fn, sp->k);
    sp->unit = la_optfield(L, idx, "unit", 86400);
    if (!(sp->unit > 0)) lt_errorf(L, "%s: unit must be > 0", fn);
    lua_getfield(L, idx, "theta");
    int64_t nth;
    if (lua_isnil(L, -1)) lt_errorf(L, "%s: spec.theta is required", fn);
    double *th = la_doubles(L, lua_gettop(L), fn, "theta", &nth, 1);
    if (nth != P && nth != U * P) lt_errorf(L, "%s: theta has %d values, need %d or %d (users x params)", fn, (int)nth, P, (int)(U * P));
    for (int64_t i = 0; i < nth; i++)
        if (!(th[i] > 0) || !isfinite(th[i])) lt_errorf(L, "%s: theta[%d] = %g must be finite and > 0", fn, (int)i + 1, th[i]);
    sp->theta = th;
    sp->per_user = nth == U * P && U > 1;
    lua_getfield(L, idx, "weights");
    sp->w = NULL;
    sp->n_types = 0;
    if (!lua_isnil(L, -1)) {
        int64_t nw;
        double *w = la_doubles(L, lua_gettop(L), fn, "weights", &nw, 1);
        float *wf = la_scratch(L, (size_t)nw * sizeof(float));
        for (int64_t i = 0; i < nw; i++) wf[i] = (float)w[i];
        sp->w = wf;
        sp->n_types = (int)nw;
    }
}

/* at: a number (same for all users) or an i64 tensor [U] */
static int64_t *check_at(lua_State *L, int idx, int64_t U, const char *fn)
{
    int64_t *at = la_scratch(L, (size_t)U * sizeof(int64_t));
    if (lua_type(L, idx) == LUA_TNUMBER) {
        int64_t v = lt_check_int(L, idx, fn, "at");
        for (int64_t u = 0; u < U; u++) at[u] = v;
        return at;
    }
    tide_tensor *t = la_tensor(L, idx, TIDE_I64, 1, fn, "at");
    if (tide_tensor_numel(t) != U) lt_errorf(L, "%s: at has %d entries for %d users", fn, (int)tide_tensor_numel(t), (int)U);
    memcpy(at, tide_i64(t), (size_t)U * sizeof(int64_t));
    return at;
}

/* interest(spec, off [U+1], key [n] (1-based), time i64 [n], type [n] (1-based) | nil, X, at, opts)
 *   opts.dense: rows opts.first..opts.first+opts.count-1 -> f32 [count, X]
 *   else: sparse CSR off i64 [U+1], key i32 (1-based), val f32; opts.norm ("sum"|"max"), opts.threshold */
static int l_interest(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.interest";
    int64_t U, n, nt = 0;
    tide_tensor *tt = la_tensor(L, 4, TIDE_I64, 1, fn, "time");
    n = tide_tensor_numel(tt);
    int64_t *off = la_offsets(L, 2, fn, "offsets", &U, n);
    int64_t X = lt_check_int(L, 6, fn, "n_keys");
    int32_t *key = la_ids0(L, 3, fn, "key", &n, X);
    if (n != tide_tensor_numel(tt)) lt_errorf(L, "%s: key and time lengths differ", fn);
    tide_interest_spec sp;
    check_spec(L, 1, &sp, U, fn);
    int32_t *type = NULL;
    if (!lua_isnoneornil(L, 5)) {
        type = la_ids0(L, 5, fn, "type", &nt, sp.n_types > 0 ? sp.n_types : 0);
        if (nt != n) lt_errorf(L, "%s: type has %d entries, key has %d", fn, (int)nt, (int)n);
        if (!sp.w) type = NULL; /* no weights: types do not matter */
    } else if (sp.w && sp.n_types > 1) {
        lt_errorf(L, "%s: weights given but no event types", fn);
    }
    int64_t *at = check_at(L, 7, U, fn);
    int opt = 8;
    int dense = 0;
    if (lua_istable(L, opt)) {
        lua_getfield(L, opt, "dense");
        dense = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    if (dense) {
        int64_t u0 = (int64_t)la_optfield(L, opt, "first", 1) - 1, B = (int64_t)la_optfield(L, opt, "count", (double)(U - u0));
        if (u0 < 0 || B < 0 || u0 + B > U) lt_errorf(L, "%s: rows %d..%d outside 1..%d", fn, (int)u0 + 1, (int)(u0 + B), (int)U);
        int64_t sh[2] = {B, X};
        tide_tensor *o = tide_tensor_new(TIDE_F32, 2, sh);
        lt_push_tensor(L, o, fn);
        if (tide_interest_dense(&sp, off, key, tide_i64(tt), type, X, u0, B, at, tide_f32(o)) < 0) return lt_error(L, fn);
        return 1;
    }
    int norm = 0;
    if (lua_istable(L, opt)) {
        lua_getfield(L, opt, "norm");
        const char *s = lua_tostring(L, -1);
        if (s && !strcmp(s, "sum")) norm = 1;
        else if (s && !strcmp(s, "max")) norm = 2;
        else if (s && strcmp(s, "none")) lt_errorf(L, "%s: norm must be 'sum', 'max' or 'none', got '%s'", fn, s);
        lua_pop(L, 1);
    }
    double thr = la_optfield(L, opt, "threshold", 0);
    int64_t *oo; int32_t *ok; float *ov;
    if (tide_interest_sparse(&sp, U, off, key, tide_i64(tt), type, X, at, norm, thr, &oo, &ok, &ov) < 0) return lt_error(L, fn);
    return push_csr(L, fn, U, oo, ok, ov);
}

/* The event arguments shared by popularity and popularity_at:
 * (item [n] (1-based), time i64 [n], type | nil, weights | nil, n_items) at stack 1..5. */
typedef struct {
    int64_t I, n, nw;
    int32_t *item, *type;
    tide_tensor *time;
    float *w;
} pop_args;

static void check_pop_args(lua_State *L, const char *fn, pop_args *a)
{
    int64_t nt = 0;
    a->I = lt_check_int(L, 5, fn, "n_items");
    a->nw = 0;
    a->item = la_ids0(L, 1, fn, "item", &a->n, a->I);
    a->time = la_tensor(L, 2, TIDE_I64, 1, fn, "time");
    if (tide_tensor_numel(a->time) != a->n) lt_errorf(L, "%s: time and item lengths differ", fn);
    a->w = NULL;
    if (!lua_isnoneornil(L, 4)) {
        double *wd = la_doubles(L, 4, fn, "weights", &a->nw, 1);
        a->w = la_scratch(L, (size_t)a->nw * sizeof(float));
        for (int64_t i = 0; i < a->nw; i++) a->w[i] = (float)wd[i];
    }
    a->type = NULL;
    if (a->w && !lua_isnoneornil(L, 3)) {
        a->type = la_ids0(L, 3, fn, "type", &nt, a->nw);
        if (nt != a->n) lt_errorf(L, "%s: type and item lengths differ", fn);
    } else if (a->w && a->nw != 1) {
        lt_errorf(L, "%s: weights per type need the type column", fn);
    }
}

/* popularity(item [n] (1-based), time i64 [n], type | nil, weights | nil, I, t_ref, half_life, window) */
static int l_popularity(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.popularity";
    pop_args a;
    check_pop_args(L, fn, &a);
    int64_t t_ref = lt_check_int(L, 6, fn, "t_ref");
    double hl = luaL_optnumber(L, 7, 0), win = luaL_optnumber(L, 8, 0);
    int64_t sh[1] = {a.I};
    tide_tensor *o = tide_tensor_new(TIDE_F32, 1, sh);
    lt_push_tensor(L, o, fn);
    if (tide_item_popularity(a.n, a.item, tide_i64(a.time), a.type, a.w, (int)a.nw, a.I, t_ref, hl, win,
                             tide_f32(o)) < 0)
        return lt_error(L, fn);
    return 1;
}

/* popularity_at(item, time, type | nil, weights | nil, I, at i64 [B], half_life, window) -> f32 [B, I] */
static int l_popularity_at(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.popularity_at";
    pop_args a;
    check_pop_args(L, fn, &a);
    tide_tensor *at = la_tensor(L, 6, TIDE_I64, 1, fn, "at");
    int64_t B = tide_tensor_numel(at);
    if (B < 1) lt_errorf(L, "%s: at is empty", fn);
    double hl = luaL_optnumber(L, 7, 0), win = luaL_optnumber(L, 8, 0);
    int64_t sh[2] = {B, a.I};
    tide_tensor *o = tide_tensor_new(TIDE_F32, 2, sh);
    lt_push_tensor(L, o, fn);
    if (tide_item_popularity_at(a.n, a.item, tide_i64(a.time), a.type, a.w, (int)a.nw, a.I, hl, win, B,
                                tide_i64(at), tide_f32(o)) < 0)
        return lt_error(L, fn);
    return 1;
}

/* profile_scores(prof f32 [B, X], cat [I] (1-based), pop f32 [I] | nil, eps) -> f32 [B, I] */
static int l_profile_scores(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.profile_scores";
    tide_tensor *p = la_tensor(L, 1, TIDE_F32, 2, fn, "profile");
    int64_t I, B = p->shape[0], X = p->shape[1];
    int32_t *cat = la_ids0(L, 2, fn, "category", &I, X);
    const float *pop = NULL;
    if (!lua_isnoneornil(L, 3)) {
        tide_tensor *pt = la_tensor(L, 3, TIDE_F32, 1, fn, "popularity");
        if (tide_tensor_numel(pt) != I) lt_errorf(L, "%s: popularity has %d entries for %d items", fn, (int)tide_tensor_numel(pt), (int)I);
        pop = tide_f32(pt);
    }
    float eps = (float)luaL_optnumber(L, 4, 1e-6);
    int64_t sh[2] = {B, I};
    tide_tensor *o = tide_tensor_new(TIDE_F32, 2, sh);
    lt_push_tensor(L, o, fn);
    if (tide_profile_scores(B, X, tide_f32(p), I, cat, pop, eps, tide_f32(o)) < 0) return lt_error(L, fn);
    return 1;
}

/* cooc(off [U+1], item [n] (1-based), I, max_nb, kind, drop_diag) -> roff i64, col i32 (1-based), val f32 */
static int l_cooc(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.cooc";
    int64_t I = lt_check_int(L, 3, fn, "n_items"), n, U;
    int32_t *item = la_ids0(L, 2, fn, "item", &n, I);
    int64_t *off = la_offsets(L, 1, fn, "offsets", &U, n);
    int64_t max_nb = luaL_optinteger(L, 4, 0);
    int kind = (int)luaL_optinteger(L, 5, 1), drop = lua_isnoneornil(L, 6) ? 1 : lua_toboolean(L, 6);
    if (kind < 0 || kind > 3) lt_errorf(L, "%s: kind must be 0 (counts), 1 (jaccard), 2 (lift) or 3 (cosine)", fn);
    int64_t *ro; int32_t *col; float *val;
    if (tide_cooc(U, off, item, I, max_nb, &ro, &col, &val) < 0) return lt_error(L, fn);
    tide_cooc_similarity(I, ro, col, val, kind, drop);
    return push_csr(L, fn, I, ro, col, val);
}

/* sparse_scores(aoff i64 [B+1] (any start), acol (1-based), aval f32, I, soff, scol (1-based), sval)
 *   -> f32 [B, I] */
static int l_sparse_scores(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "decay.sparse_scores";
    tide_tensor *ao = la_tensor(L, 1, TIDE_I64, 1, fn, "affinity offsets");
    int64_t B = tide_tensor_numel(ao) - 1, I = lt_check_int(L, 4, fn, "n_items"), nac, S;
    if (B < 0) lt_errorf(L, "%s: affinity offsets are empty", fn);
    tide_tensor *ac = la_tensor(L, 2, TIDE_I32, 1, fn, "affinity cols");
    tide_tensor *av = la_tensor(L, 3, TIDE_F32, 1, fn, "affinity values");
    nac = tide_tensor_numel(ac);
    if (tide_tensor_numel(av) != nac) lt_errorf(L, "%s: affinity cols and values differ in length", fn);
    const int64_t *a = tide_i64(ao);
    if (a[0] < 0 || a[B] > nac) lt_errorf(L, "%s: affinity offsets outside the %d entries", fn, (int)nac);
    int64_t a0 = a[0], na = a[B] - a0;
    int64_t *aoff = la_scratch(L, (size_t)(B + 1) * sizeof(int64_t));
    int32_t *acol = la_scratch(L, (size_t)na * sizeof(int32_t));
    for (int64_t b = 0; b <= B; b++) {
        aoff[b] = a[b] - a0;
        if (b && aoff[b] < aoff[b - 1]) lt_errorf(L, "%s: affinity offsets decrease", fn);
    }
    for (int64_t p = 0; p < na; p++) {
        int32_t c = tide_i32(ac)[a0 + p];
        if (c < 1 || c > I) lt_errorf(L, "%s: affinity item %d outside 1..%d", fn, c, (int)I);
        acol[p] = c - 1;
    }
    int64_t ns;
    tide_tensor *sv = la_tensor(L, 7, TIDE_F32, 1, fn, "similarity values");
    int32_t *scol = la_ids0(L, 6, fn, "similarity cols", &ns, I);
    int64_t *soff = la_offsets(L, 5, fn, "similarity offsets", &S, ns);
    if (S != I || tide_tensor_numel(sv) != ns) lt_errorf(L, "%s: similarity must be a CSR [%d, %d]", fn, (int)I, (int)I);
    int64_t sh[2] = {B, I};
    tide_tensor *o = tide_tensor_new(TIDE_F32, 2, sh);
    lt_push_tensor(L, o, fn);
    if (tide_sparse_scores(B, aoff, acol, tide_f32(av) + a0, I, soff, scol, tide_f32(sv), tide_f32(o), I) < 0)
        return lt_error(L, fn);
    return 1;
}

const luaL_Reg lt_interest_funcs[] = {
    {"group", l_group},     {"interest", l_interest},         {"popularity", l_popularity}, {"popularity_at", l_popularity_at},
    {"profile_scores", l_profile_scores}, {"cooc", l_cooc}, {"sparse_scores", l_sparse_scores},
    {NULL, NULL}};
