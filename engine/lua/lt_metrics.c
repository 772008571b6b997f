/* lt_metrics.c — Lua binding of metrics.h: core.metrics.{rank, from_ranks, topk, auc,
 * log_loss, binary, ece, beyond, brier, pr_auc, lift_at, gain_curve, reliability}. CSR row
 * slices (seen items, targets) may start anywhere in their arrays, so a caller can pass offsets:narrow(...) for a block of users without copying. */
#include <stdlib.h>

#include "lt_args.h"
#include "metrics.h"

/* CSR slice for B rows: off (i64, B+1 entries, absolute) + ids (1-based) -> 0-based copies */
static void csr_slice(lua_State *L, int ioff, int iids, int64_t B, int64_t I, const char *fn, const char *what,
                      int64_t **off0, int32_t **ids0)
{
    tide_tensor *o = la_tensor(L, ioff, TIDE_I64, 1, fn, what);
    tide_tensor *ids = la_tensor(L, iids, TIDE_I32, 1, fn, what);
    if (tide_tensor_numel(o) != B + 1)
        lt_errorf(L, "%s: %s offsets have %d entries for %d score rows (need rows + 1)", fn, what, (int)tide_tensor_numel(o), (int)B);
    const int64_t *a = tide_i64(o);
    int64_t n = tide_tensor_numel(ids);
    if (a[0] < 0 || a[B] > n || a[B] < a[0]) lt_errorf(L, "%s: %s offsets point outside the %d ids", fn, what, (int)n);
    int64_t *oo = la_scratch(L, (size_t)(B + 1) * sizeof(int64_t));
    int32_t *ii = la_scratch(L, (size_t)(a[B] - a[0]) * sizeof(int32_t));
    for (int64_t b = 0; b <= B; b++) {
        oo[b] = a[b] - a[0];
        if (b && oo[b] < oo[b - 1]) lt_errorf(L, "%s: %s offsets decrease at row %d", fn, what, (int)b);
    }
    for (int64_t p = 0; p < a[B] - a[0]; p++) {
        int32_t v = tide_i32(ids)[a[0] + p];
        if (v < 1 || v > I) lt_errorf(L, "%s: %s item %d outside 1..%d", fn, what, v, (int)I);
        ii[p] = v - 1;
    }
    *off0 = oo;
    *ids0 = ii;
}

static tide_tensor *check_scores(lua_State *L, int idx, const char *fn)
{
    tide_tensor *s = lt_check_tensor(L, idx, fn);
    if (s->ndim != 2) lt_errorf(L, "%s: scores must be [users, items], got %d dims", fn, s->ndim);
    /* row views and broadcast rows (stride 0, e.g. popularity expanded over users) pass as is */
    if (s->dtype == TIDE_F32 && s->strides[1] == 1 && (s->strides[0] >= s->shape[1] || s->strides[0] == 0)) return s;
    return la_tensor(L, idx, TIDE_F32, 2, fn, "scores");
}

/* Arguments 1-5 shared by rank and rank_topk: scores [B, I], seen CSR (or nil), target CSR. */
typedef struct {
    tide_tensor *s;
    int64_t B, I, *so, *to;
    int32_t *si, *ti;
} rank_args;

static void check_rank_args(lua_State *L, const char *fn, rank_args *a)
{
    a->s = check_scores(L, 1, fn);
    a->B = a->s->shape[0], a->I = a->s->shape[1];
    a->so = NULL, a->si = NULL;
    if (!lua_isnoneornil(L, 2)) csr_slice(L, 2, 3, a->B, a->I, fn, "seen", &a->so, &a->si);
    csr_slice(L, 4, 5, a->B, a->I, fn, "target", &a->to, &a->ti);
}

/* rank(scores [B, I], seen_off | nil, seen | nil, tgt_off, tgt, opts) -> i64 [n_targets] (0-based)
 * opts.sampled = n_neg switches to the sampled protocol (opts.seed, opts.user_base). */
static int l_rank(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "metrics.rank";
    rank_args a;
    check_rank_args(L, fn, &a);
    tide_tensor *s = a.s;
    int64_t B = a.B, I = a.I, *so = a.so, *to = a.to;
    int32_t *si = a.si, *ti = a.ti;
    int n_neg = (int)la_optfield(L, 6, "sampled", 0);
    uint64_t seed = (uint64_t)la_optfield(L, 6, "seed", 1);
    int64_t base = (int64_t)la_optfield(L, 6, "user_base", 0);
    int64_t sh[1] = {to[B]};
    tide_tensor *r = tide_tensor_new(TIDE_I64, 1, sh);
    lt_push_tensor(L, r, fn);
    int rc = n_neg > 0 ? tide_rank_sampled(B, I, tide_f32(s), s->strides[0], so, si, to, ti, n_neg, seed, base, tide_i64(r))
                       : tide_rank_targets(B, I, tide_f32(s), s->strides[0], so, si, to, ti, tide_i64(r));
    if (rc < 0) return lt_error(L, fn);
    return 1;
}

/* from_ranks(tgt_off [B+1], ranks i64, {k1, k2, ...}) -> {[k] = {hr, ndcg, recall, precision,
 * map, mrr} (sums over users)}, n_users */
static int l_from_ranks(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "metrics.from_ranks";
    tide_tensor *o = la_tensor(L, 1, TIDE_I64, 1, fn, "target offsets");
    tide_tensor *r = la_tensor(L, 2, TIDE_I64, 1, fn, "ranks");
    int64_t B = tide_tensor_numel(o) - 1;
    const int64_t *a = tide_i64(o);
    if (B < 0 || a[B] - a[0] != tide_tensor_numel(r)) lt_errorf(L, "%s: offsets and ranks do not match", fn);
    int64_t *oo = la_scratch(L, (size_t)(B + 1) * sizeof(int64_t));
    for (int64_t b = 0; b <= B; b++) oo[b] = a[b] - a[0];
    luaL_checktype(L, 3, LUA_TTABLE);
    int nk = (int)lua_objlen(L, 3);
    if (nk < 1 || nk > 64) lt_errorf(L, "%s: give 1..64 cutoffs", fn);
    int ks[64];
    for (int j = 0; j < nk; j++) {
        lua_rawgeti(L, 3, j + 1);
        ks[j] = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    double *sums = la_scratch(L, (size_t)nk * 6 * sizeof(double));
    memset(sums, 0, (size_t)nk * 6 * sizeof(double));
    int64_t used;
    if (tide_rank_metrics(B, oo, tide_i64(r), nk, ks, sums, &used) < 0) return lt_error(L, fn);
    static const char *names[6] = {"hr", "ndcg", "recall", "precision", "map", "mrr"};
    lua_newtable(L);
    for (int j = 0; j < nk; j++) {
        lua_newtable(L);
        for (int m = 0; m < 6; m++) { lua_pushnumber(L, sums[j * 6 + m]); lua_setfield(L, -2, names[m]); }
        lua_rawseti(L, -2, ks[j]);
    }
    lua_pushinteger(L, (lua_Integer)used);
    return 2;
}

/* topk(scores [B, I], seen_off | nil, seen | nil, K) -> items i32 [B, K] (1-based, 0 = none), vals */
static int l_topk(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "metrics.topk";
    tide_tensor *s = check_scores(L, 1, fn);
    int64_t B = s->shape[0], I = s->shape[1];
    int64_t *so = NULL;
    int32_t *si = NULL;
    if (!lua_isnoneornil(L, 2)) csr_slice(L, 2, 3, B, I, fn, "seen", &so, &si);
    int64_t K = lt_check_int(L, 4, fn, "k");
    if (K < 1) lt_errorf(L, "%s: k must be >= 1, got %d", fn, (int)K);
    int64_t sh[2] = {B, K};
    tide_tensor *it = tide_tensor_new(TIDE_I32, 2, sh);
    lt_push_tensor(L, it, fn);
    tide_tensor *v = tide_tensor_new(TIDE_F32, 2, sh);
    lt_push_tensor(L, v, fn);
    if (tide_metrics_topk(B, I, tide_f32(s), s->strides[0], so, si, (int)K, tide_i32(it), tide_f32(v)) < 0)
        return lt_error(L, fn);
    for (int64_t i = 0; i < B * K; i++) tide_i32(it)[i] += 1;
    return 2;
}

/* rank_topk(scores, seen_off | nil, seen | nil, tgt_off, tgt, k) -> ranks i64 (0-based),
 * items i32 [B, k] (1-based, 0 = none): one pass over the scores */
static int l_rank_topk(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "metrics.rank_topk";
    rank_args a;
    check_rank_args(L, fn, &a);
    tide_tensor *s = a.s;
    int64_t B = a.B, I = a.I, *so = a.so, *to = a.to;
    int32_t *si = a.si, *ti = a.ti;
    int64_t K = lt_check_int(L, 6, fn, "k");
    if (K < 1) lt_errorf(L, "%s: k must be >= 1, got %d", fn, (int)K);
    int64_t sr[1] = {to[B]}, sk[2] = {B, K};
    tide_tensor *r = tide_tensor_new(TIDE_I64, 1, sr);
    lt_push_tensor(L, r, fn);
    tide_tensor *it = tide_tensor_new(TIDE_I32, 2, sk);
    lt_push_tensor(L, it, fn);
    if (tide_rank_topk(B, I, tide_f32(s), s->strides[0], so, si, to, ti, tide_i64(r), (int)K, tide_i32(it), NULL) < 0)
        return lt_error(L, fn);
    for (int64_t i = 0; i < B * K; i++) tide_i32(it)[i] += 1;
    return 2;
}

/* two same-length f32 vectors (scores/probabilities and labels) */
static int64_t two_vectors(lua_State *L, const char *fn, float **a, float **y)
{
    tide_tensor *ta = la_tensor(L, 1, TIDE_F32, -1, fn, "scores");
    tide_tensor *ty = la_tensor(L, 2, TIDE_F32, -1, fn, "labels");
    int64_t n = tide_tensor_numel(ta);
    if (tide_tensor_numel(ty) != n) lt_errorf(L, "%s: %d scores but %d labels", fn, (int)n, (int)tide_tensor_numel(ty));
    *a = tide_f32(ta);
    *y = tide_f32(ty);
    for (int64_t i = 0; i < n; i++) {
        if (isnan((*a)[i])) lt_errorf(L, "%s: score %d is NaN", fn, (int)i + 1);
        if ((*y)[i] != 0 && (*y)[i] != 1) lt_errorf(L, "%s: label %d is %g, must be 0 or 1", fn, (int)i + 1, (*y)[i]);
    }
    return n;
}

static int l_auc(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    float *a, *y;
    int64_t n = two_vectors(L, "metrics.auc", &a, &y);
    lua_pushnumber(L, tide_auc(n, a, y));
    return 1;
}

static int l_log_loss(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    float *a, *y;
    int64_t n = two_vectors(L, "metrics.log_loss", &a, &y);
    for (int64_t i = 0; i < n; i++)
        if (a[i] < 0 || a[i] > 1) lt_errorf(L, "metrics.log_loss: probability %d is %g, not in [0, 1]", (int)i + 1, a[i]);
    lua_pushnumber(L, tide_log_loss(n, a, y));
    return 1;
}

static int l_binary(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    float *a, *y;
    int64_t n = two_vectors(L, "metrics.binary", &a, &y);
    double o[8];
    tide_binary_scores(n, a, y, luaL_optnumber(L, 3, 0.5), o);
    static const char *names[8] = {"accuracy", "precision", "recall", "f1", "tp", "fp", "tn", "fn"};
    lua_newtable(L);
    for (int i = 0; i < 8; i++) { lua_pushnumber(L, o[i]); lua_setfield(L, -2, names[i]); }
    return 1;
}

static int l_ece(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    float *a, *y;
    int64_t n = two_vectors(L, "metrics.ece", &a, &y);
    int nb = (int)luaL_optinteger(L, 3, 10);
    if (nb < 1) lt_errorf(L, "metrics.ece: bins must be >= 1");
    lua_pushnumber(L, tide_ece(n, a, y, nb));
    return 1;
}

static int l_brier(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    float *a, *y;
    int64_t n = two_vectors(L, "metrics.brier", &a, &y);
    if (n < 1) lt_errorf(L, "metrics.brier: no predictions");
    lua_pushnumber(L, tide_brier(n, a, y));
    return 1;
}

static int l_average_precision(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    float *a, *y;
    int64_t n = two_vectors(L, "metrics.pr_auc", &a, &y);
    if (n < 1) lt_errorf(L, "metrics.pr_auc: no scores");
    lua_pushnumber(L, tide_average_precision(n, a, y));
    return 1;
}

/* lift_at(score, y, k_frac) -> lift, precision@k, share of positives captured */
static int l_lift_at(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    float *a, *y;
    int64_t n = two_vectors(L, "metrics.lift_at", &a, &y);
    double o[3];
    if (tide_lift_at(n, a, y, luaL_checknumber(L, 3), o) < 0) return lt_error(L, "metrics.lift_at");
    for (int i = 0; i < 3; i++) lua_pushnumber(L, o[i]);
    return 3;
}

/* gain_curve(score, y) -> frac targeted, frac of positives captured (f32 tensors, from 0) */
static int l_gain_curve(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "metrics.gain_curve";
    float *a, *y;
    int64_t n = two_vectors(L, fn, &a, &y);
    if (n < 1) lt_errorf(L, "%s: no scores", fn);
    double *fr = la_scratch(L, (size_t)(n + 1) * 2 * sizeof(double)), *cap = fr + n + 1;
    int64_t m = tide_gain_curve(n, a, y, fr, cap);
    if (m < 0) return lt_error(L, fn);
    int64_t sh[1] = {m};
    tide_tensor *tf = tide_tensor_new(TIDE_F32, 1, sh);
    lt_push_tensor(L, tf, fn);
    tide_tensor *tc = tide_tensor_new(TIDE_F32, 1, sh);
    lt_push_tensor(L, tc, fn);
    for (int64_t i = 0; i < m; i++) tide_f32(tf)[i] = (float)fr[i], tide_f32(tc)[i] = (float)cap[i];
    return 2;
}

/* reliability(p, y, bins, quantile) -> {{lo, hi, count, mean_pred, frac_pos}, ...} for the
 * non-empty bins, lowest first */
static int l_reliability(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "metrics.reliability";
    float *a, *y;
    int64_t n = two_vectors(L, fn, &a, &y);
    int nb = (int)luaL_optinteger(L, 3, 10);
    if (n < 1 || nb < 1 || nb > 100000) lt_errorf(L, "%s: need predictions and 1..100000 bins (got %lld, %d)", fn, (long long)n, nb);
    for (int64_t i = 0; i < n; i++)
        if (a[i] < 0 || a[i] > 1) lt_errorf(L, "%s: probability %lld is %g, not in [0, 1]", fn, (long long)i + 1, a[i]);
    double *edges = la_scratch(L, (size_t)(4 * nb + 1) * sizeof(double)), *st = edges + nb + 1;
    if (tide_reliability(n, a, y, nb, lua_toboolean(L, 4), edges, st) < 0) return lt_error(L, fn);
    lua_newtable(L);
    int k = 0;
    for (int b = 0; b < nb; b++) {
        if (st[3 * b] == 0) continue;
        lua_newtable(L);
        double v[5] = {edges[b], edges[b + 1], st[3 * b], st[3 * b + 1] / st[3 * b], st[3 * b + 2] / st[3 * b]};
        static const char *names[5] = {"lo", "hi", "count", "mean_pred", "frac_pos"};
        for (int q = 0; q < 5; q++) { lua_pushnumber(L, v[q]); lua_setfield(L, -2, names[q]); }
        lua_rawseti(L, -2, ++k);
    }
    return 1;
}

/* beyond(items i32 [B, K] (1-based, 0 = none), n_items, pop f32 [I] | nil, n_users, emb [I, d] | nil,
 *        cat [I] (1-based) | nil) -> coverage, novelty, ild */
static int l_beyond(lua_State *L)
{
    lua_settop(L, 8); /* absent arguments read as nil even after temporaries are pushed */
    const char *fn = "metrics.beyond";
    tide_tensor *it = la_tensor(L, 1, TIDE_I32, 2, fn, "items");
    int64_t B = it->shape[0], K = it->shape[1], I = lt_check_int(L, 2, fn, "n_items");
    int32_t *items = la_scratch(L, (size_t)(B * K) * sizeof(int32_t));
    for (int64_t i = 0; i < B * K; i++) {
        int32_t v = tide_i32(it)[i];
        if (v < 0 || v > I) lt_errorf(L, "%s: item %d outside 0..%d", fn, v, (int)I);
        items[i] = v - 1;
    }
    const float *pop = NULL, *emb = NULL;
    int64_t d = 0, nc;
    if (!lua_isnoneornil(L, 3)) {
        tide_tensor *p = la_tensor(L, 3, TIDE_F32, 1, fn, "popularity");
        if (tide_tensor_numel(p) != I) lt_errorf(L, "%s: popularity needs %d entries", fn, (int)I);
        pop = tide_f32(p);
    }
    double nu = luaL_optnumber(L, 4, 1);
    if (!lua_isnoneornil(L, 5)) {
        tide_tensor *e = la_tensor(L, 5, TIDE_F32, 2, fn, "embeddings");
        if (e->shape[0] != I) lt_errorf(L, "%s: embeddings need %d rows", fn, (int)I);
        emb = tide_f32(e);
        d = e->shape[1];
    }
    int32_t *cat = NULL;
    if (!lua_isnoneornil(L, 6)) {
        cat = la_ids0(L, 6, fn, "category", &nc, 0);
        if (nc != I) lt_errorf(L, "%s: category needs %d entries", fn, (int)I);
    }
    double o[3];
    if (tide_beyond_accuracy(B, (int)K, items, I, pop, nu, emb, d, cat, o) < 0) return lt_error(L, fn);
    for (int i = 0; i < 3; i++) lua_pushnumber(L, o[i]);
    return 3;
}

static const luaL_Reg funcs[] = {
    {"rank", l_rank}, {"from_ranks", l_from_ranks}, {"topk", l_topk},     {"rank_topk", l_rank_topk},
    {"auc", l_auc},
    {"log_loss", l_log_loss}, {"binary", l_binary}, {"ece", l_ece}, {"beyond", l_beyond},
    {"brier", l_brier}, {"pr_auc", l_average_precision}, {"lift_at", l_lift_at}, {"gain_curve", l_gain_curve},
    {"reliability", l_reliability},
    {NULL, NULL}};

int lt_open_metrics(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
