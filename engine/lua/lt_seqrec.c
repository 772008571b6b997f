/* lt_seqrec.c — Lua binding of seqrec.h: require("tide").core.seqrec.
 *
 *   candidates(seen_off | nil, seen | nil, tgt_off, tgt, n_items, n_neg, seed, user_base)
 *       -> cand i32 [n_targets, 1 + n_neg] (1-based, column 1 = the target, 0 = no candidate),
 *          seen_target i32 [n_targets] (1 = the target was already seen: a miss)
 *   rank_candidates(scores f32 [N, C], cand i32 [N, C], seen_target i32 [N] | nil, n_items)
 *       -> i64 [N] 0-based ranks of column 1 among the row's candidates
 *   dot_rows(h f32 [N, D], table f32 [R, D], cand i32 [N, C]) -> f32 [N, C]: h[n] · table[cand[n, c]]
 *       (ids 1-based, 0 scores 0); the candidate scores without an [N, C, D] gather
 *   rank_topk(h f32 [B, D], table f32 [I, D], seen_off | nil, seen | nil, tgt_off | nil, tgt | nil, k)
 *       -> ranks i64 [n_targets] (0-based; nil without targets), items i32 [B, k] (1-based, 0 =
 *          none), scores f32 [B, k] (NaN = none; both nil for k = 0): full ranking of h · table without a [B, I] score matrix, the
 *          same ranks and lists as metrics.rank / metrics.rank_topk over h:matmul(table:t())
 *   rank_topk_async(same arguments[, ready]) -> run: the same evaluation on background threads, so
 *       Lua can compute the next block meanwhile (the arguments must not change until wait);
 *       with ready (0..B) only h's first ready rows hold states yet: Lua fills the next rows in
 *       order and announces them with ready(run, n), and the threads rank each block of users
 *       as soon as its states are in
 *   ready(run, n): rows 1..n of the run's h now hold states (n grows, at most B)
 *   wait(run) -> what rank_topk returns (once per run; a collected run is joined first)
 *   last_attention(q f32 [B, D] | [B, 1, D], kv f32 [B, S, 2D], mask [B, S] | nil, heads) -> f32 [B, D]:
 *       inference-only attention of each row's single query over its keys (nonzero mask =
 *       visible), read in place from MultiheadAttention's fused key/value projection
 *   embed(table f32 [R, D], ids i32 [B, T] (0-based rows), scale, pos f32 [P, D]) -> f32 [B, T, D]:
 *       table[ids] * scale + the last T rows of pos, in one pass (the tape-free input layer)
 *   blas_threads(n) -> OpenBLAS's thread count before the call (n >= 1 sets it; -1: not OpenBLAS)
 * Offsets are 0-based CSR (i64, starting at 0); ids 1-based. */
#include "lt_args.h"
#include "seqrec.h"

static int l_candidates(lua_State *L)
{
    lua_settop(L, 8);
    const char *fn = "seqrec.candidates";
    int64_t I = lt_check_int(L, 5, fn, "n_items"), n_neg = lt_check_int(L, 6, fn, "n_neg");
    uint64_t seed = (uint64_t)lt_check_int(L, 7, fn, "seed");
    int64_t base = lt_check_int(L, 8, fn, "user_base");
    if (I < 1) lt_errorf(L, "%s: n_items must be >= 1", fn);
    if (n_neg < 1 || n_neg > (1 << 24)) lt_errorf(L, "%s: n_neg must be in 1..2^24, got %d", fn, (int)n_neg);
    int64_t B, Bs, nt, ns;
    int64_t *to = la_offsets(L, 3, fn, "target offsets", &B, -1);
    int32_t *ti = la_ids0(L, 4, fn, "targets", &nt, I);
    if (to[B] != nt) lt_errorf(L, "%s: target offsets end at %d but there are %d targets", fn, (int)to[B], (int)nt);
    int64_t *so = NULL;
    int32_t *si = NULL;
    if (!lua_isnil(L, 1)) {
        so = la_offsets(L, 1, fn, "seen offsets", &Bs, -1);
        si = la_ids0(L, 2, fn, "seen", &ns, I);
        if (Bs != B) lt_errorf(L, "%s: seen offsets have %d rows, targets %d", fn, (int)Bs, (int)B);
        if (so[Bs] != ns) lt_errorf(L, "%s: seen offsets end at %d but there are %d ids", fn, (int)so[Bs], (int)ns);
    }
    uint8_t *f8 = la_scratch(L, (size_t)nt); /* before the results: they must be on top */
    int64_t sh[2] = {nt, 1 + n_neg};
    tide_tensor *cand = tide_tensor_new(TIDE_I32, 2, sh);
    lt_push_tensor(L, cand, fn);
    tide_tensor *fl = tide_tensor_new(TIDE_I32, 1, sh);
    lt_push_tensor(L, fl, fn);
    if (tide_seqrec_candidates(B, I, so, si, to, ti, (int)n_neg, seed, base, tide_i32(cand), f8) < 0)
        return lt_error(L, fn);
    int32_t *c = tide_i32(cand);
    for (int64_t p = 0; p < nt * sh[1]; p++) c[p] += 1; /* -1 (none) becomes 0 */
    for (int64_t p = 0; p < nt; p++) tide_i32(fl)[p] = f8[p];
    return 2;
}

static int l_rank_candidates(lua_State *L)
{
    lua_settop(L, 4);
    const char *fn = "seqrec.rank_candidates";
    tide_tensor *s = la_tensor(L, 1, TIDE_F32, 2, fn, "scores");
    tide_tensor *c = la_tensor(L, 2, TIDE_I32, 2, fn, "candidates");
    int64_t I = lt_check_int(L, 4, fn, "n_items");
    int64_t N = s->shape[0], C = s->shape[1];
    if (c->shape[0] != N || c->shape[1] != C)
        lt_errorf(L, "%s: scores [%d, %d] and candidates [%d, %d] differ", fn, (int)N, (int)C, (int)c->shape[0], (int)c->shape[1]);
    int32_t *c0 = la_scratch(L, (size_t)(N * C) * sizeof(int32_t));
    for (int64_t p = 0; p < N * C; p++) {
        int32_t v = tide_i32(c)[p];
        if (v < 0 || v > I) lt_errorf(L, "%s: candidate %d outside 0..%d", fn, v, (int)I);
        c0[p] = v - 1;
    }
    uint8_t *f8 = NULL;
    if (!lua_isnil(L, 3)) {
        tide_tensor *f = la_tensor(L, 3, TIDE_I32, 1, fn, "seen_target");
        if (f->shape[0] != N) lt_errorf(L, "%s: seen_target has %d rows, scores %d", fn, (int)f->shape[0], (int)N);
        f8 = la_scratch(L, (size_t)N);
        for (int64_t p = 0; p < N; p++) f8[p] = tide_i32(f)[p] != 0;
    }
    tide_tensor *r = tide_tensor_new(TIDE_I64, 1, &N);
    lt_push_tensor(L, r, fn);
    if (tide_seqrec_rank_candidates(N, C, tide_f32(s), C, c0, f8, I, tide_i64(r)) < 0) return lt_error(L, fn);
    return 1;
}

static int l_dot_rows(lua_State *L)
{
    lua_settop(L, 3);
    const char *fn = "seqrec.dot_rows";
    tide_tensor *h = la_tensor(L, 1, TIDE_F32, 2, fn, "h");
    tide_tensor *e = la_tensor(L, 2, TIDE_F32, 2, fn, "table");
    tide_tensor *c = la_tensor(L, 3, TIDE_I32, 2, fn, "candidates");
    int64_t N = h->shape[0], D = h->shape[1], R = e->shape[0], C = c->shape[1];
    if (e->shape[1] != D) lt_errorf(L, "%s: h has %d columns, table %d", fn, (int)D, (int)e->shape[1]);
    if (c->shape[0] != N) lt_errorf(L, "%s: h has %d rows, candidates %d", fn, (int)N, (int)c->shape[0]);
    int32_t *c0 = la_scratch(L, (size_t)(N * C) * sizeof(int32_t));
    for (int64_t p = 0; p < N * C; p++) {
        int32_t v = tide_i32(c)[p];
        if (v < 0 || v > R) lt_errorf(L, "%s: candidate %d outside 0..%d", fn, v, (int)R);
        c0[p] = v - 1;
    }
    int64_t sh[2] = {N, C};
    tide_tensor *out = tide_tensor_new(TIDE_F32, 2, sh);
    lt_push_tensor(L, out, fn);
    if (tide_seqrec_dot_rows(N, C, D, tide_f32(h), D, tide_f32(e), D, R, c0, tide_f32(out)) < 0) return lt_error(L, fn);
    return 1;
}

/* The checked arguments of rank_topk; its three results (ranks | nil, items | nil, scores |
 * nil) are the top three stack slots, above every converted copy of the arguments. */
typedef struct {
    int64_t B, D, I, K, *so, *to, *rank;
    int32_t *si, *ti, *items;
    float *H, *E, *vals;
} rt_args;

static void rank_topk_args(lua_State *L, const char *fn, rt_args *a)
{
    lua_settop(L, 7);
    tide_tensor *h = la_tensor(L, 1, TIDE_F32, 2, fn, "h");
    tide_tensor *e = la_tensor(L, 2, TIDE_F32, 2, fn, "table");
    int64_t B = h->shape[0], D = h->shape[1], I = e->shape[0], K = lt_check_int(L, 7, fn, "k");
    if (e->shape[1] != D) lt_errorf(L, "%s: h has %d columns, table %d", fn, (int)D, (int)e->shape[1]);
    if (I < 1 || D < 1) lt_errorf(L, "%s: need at least one item and one column", fn);
    if (K < 0 || K > (1 << 24)) lt_errorf(L, "%s: k must be in 0..2^24, got %d", fn, (int)K);
    int64_t *so = NULL, *to = NULL, Bs, Bt, ns, nt = 0;
    int32_t *si = NULL, *ti = NULL;
    if (!lua_isnil(L, 3) || !lua_isnil(L, 4)) {
        so = la_offsets(L, 3, fn, "seen offsets", &Bs, -1);
        si = la_ids0(L, 4, fn, "seen", &ns, I);
        if (Bs != B) lt_errorf(L, "%s: seen offsets have %d rows, h %d", fn, (int)Bs, (int)B);
        if (so[B] != ns) lt_errorf(L, "%s: seen offsets end at %d but there are %d ids", fn, (int)so[B], (int)ns);
    }
    if (!lua_isnil(L, 5) || !lua_isnil(L, 6)) {
        to = la_offsets(L, 5, fn, "target offsets", &Bt, -1);
        ti = la_ids0(L, 6, fn, "targets", &nt, I);
        if (Bt != B) lt_errorf(L, "%s: target offsets have %d rows, h %d", fn, (int)Bt, (int)B);
        if (to[B] != nt) lt_errorf(L, "%s: target offsets end at %d but there are %d targets", fn, (int)to[B], (int)nt);
    }
    tide_tensor *r = NULL, *it = NULL, *v = NULL;
    if (ti) {
        r = tide_tensor_new(TIDE_I64, 1, &nt);
        lt_push_tensor(L, r, fn);
    } else {
        lua_pushnil(L);
    }
    if (K > 0) {
        int64_t sh[2] = {B, K};
        it = tide_tensor_new(TIDE_I32, 2, sh);
        lt_push_tensor(L, it, fn);
        v = tide_tensor_new(TIDE_F32, 2, sh);
        lt_push_tensor(L, v, fn);
    } else {
        lua_pushnil(L);
        lua_pushnil(L);
    }
    *a = (rt_args){B, D, I, K, so, to, r ? tide_i64(r) : NULL, si, ti, it ? tide_i32(it) : NULL,
                   tide_f32(h), tide_f32(e), v ? tide_f32(v) : NULL};
}

static void items_one_based(rt_args *a)
{
    for (int64_t p = 0; a->items && p < a->B * a->K; p++) a->items[p] += 1; /* -1 (none) becomes 0 */
}

static int l_rank_topk(lua_State *L)
{
    const char *fn = "seqrec.rank_topk";
    rt_args a;
    rank_topk_args(L, fn, &a);
    if (tide_seqrec_rank_topk(a.B, a.D, a.H, a.D, a.I, a.E, a.D, a.so, a.si, a.to, a.ti, a.rank, (int)a.K, a.items,
                              a.vals) < 0)
        return lt_error(L, fn);
    items_one_based(&a);
    return 3;
}

/* A running rank_topk_async: the C run, and a registry reference to the table that keeps its
 * arguments, their converted copies and its results alive until wait. */
#define RUN_MT "tide.seqrec.run"
typedef struct {
    tide_seqrec_run *run;
    int ref, n;
    rt_args a;
} lt_run;

/* joins the threads (once) and releases the anchors; the status of the run */
static int run_finish(lt_run *u)
{
    int rc = tide_seqrec_rank_topk_wait(u->run);
    u->run = NULL;
    if (rc == 0) items_one_based(&u->a);
    return rc;
}

static int run_gc(lua_State *L)
{
    lt_run *u = luaL_checkudata(L, 1, RUN_MT);
    if (u->run) run_finish(u); /* never free what the threads still read */
    if (u->ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, u->ref);
    u->ref = LUA_NOREF;
    return 0;
}

static int l_rank_topk_async(lua_State *L)
{
    const char *fn = "seqrec.rank_topk_async";
    rt_args a;
    int partial = !lua_isnoneornil(L, 8);
    int64_t ready = partial ? lt_check_int(L, 8, fn, "ready") : 0;
    if (partial) { /* the threads read h itself, which Lua fills later: no converted copy */
        tide_tensor *h = la_tensor(L, 1, TIDE_F32, 2, fn, "h");
        if (h != lt_check_tensor(L, 1, fn)) lt_errorf(L, "%s: with ready, h must be a contiguous f32 tensor", fn);
    }
    rank_topk_args(L, fn, &a);
    if (!partial) ready = a.B;
    if (ready < 0 || ready > a.B) lt_errorf(L, "%s: ready must be in 0..%d, got %d", fn, (int)a.B, (int)ready);
    int n = lua_gettop(L);
    lua_createtable(L, n, 0);
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, i);
        lua_rawseti(L, -2, i);
    }
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lt_run *u = lua_newuserdata(L, sizeof *u);
    *u = (lt_run){NULL, ref, n, a};
    if (luaL_newmetatable(L, RUN_MT)) {
        lua_pushcfunction(L, run_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2); /* from here __gc releases the anchors */
    if (tide_seqrec_rank_topk_start_rows(a.B, a.D, a.H, a.D, a.I, a.E, a.D, a.so, a.si, a.to, a.ti, a.rank, (int)a.K,
                                         a.items, a.vals, ready, &u->run) < 0)
        return lt_error(L, fn);
    return 1;
}

static int l_ready(lua_State *L)
{
    const char *fn = "seqrec.ready";
    lt_run *u = luaL_testudata(L, 1, RUN_MT);
    if (!u) lt_errorf(L, "%s: argument #1 must be a handle from rank_topk_async, got %s", fn, luaL_typename(L, 1));
    if (!u->run) lt_errorf(L, "%s: this run was already waited for", fn);
    int64_t n = lt_check_int(L, 2, fn, "n");
    if (tide_seqrec_run_ready(u->run, n) < 0) return lt_error(L, fn);
    return 0;
}

static int l_wait(lua_State *L)
{
    const char *fn = "seqrec.wait";
    lt_run *u = luaL_testudata(L, 1, RUN_MT);
    if (!u) lt_errorf(L, "%s: argument #1 must be a handle from rank_topk_async, got %s", fn, luaL_typename(L, 1));
    if (u->ref == LUA_NOREF) lt_errorf(L, "%s: this run was already waited for", fn);
    int rc = run_finish(u);
    lua_rawgeti(L, LUA_REGISTRYINDEX, u->ref);
    luaL_unref(L, LUA_REGISTRYINDEX, u->ref);
    u->ref = LUA_NOREF;
    if (rc < 0) return lt_error(L, fn);
    for (int i = u->n - 2; i <= u->n; i++) lua_rawgeti(L, -1 - (i - (u->n - 2)), i);
    return 3;
}

static int l_last_attention(lua_State *L)
{
    lua_settop(L, 4);
    const char *fn = "seqrec.last_attention";
    tide_tensor *q = la_tensor(L, 1, TIDE_F32, -1, fn, "q");
    tide_tensor *kv = la_tensor(L, 2, TIDE_F32, 3, fn, "kv");
    int64_t H = lt_check_int(L, 4, fn, "heads");
    int64_t B = kv->shape[0], S = kv->shape[1], D = kv->shape[2] / 2, nq = tide_tensor_numel(q);
    if (kv->shape[2] % 2 != 0 || D < 1) lt_errorf(L, "%s: kv must be [B, S, 2D] with D >= 1", fn);
    if (nq != B * D || q->shape[0] != B) lt_errorf(L, "%s: q must be [%d, %d] (or [%d, 1, %d])", fn, (int)B, (int)D, (int)B, (int)D);
    if (S < 1) lt_errorf(L, "%s: kv needs at least one position", fn);
    if (H < 1 || D % H != 0) lt_errorf(L, "%s: heads must divide %d, got %d", fn, (int)D, (int)H);
    uint8_t *m8 = NULL;
    if (!lua_isnil(L, 3)) {
        tide_tensor *m = la_tensor(L, 3, TIDE_F32, 2, fn, "mask");
        if (m->shape[0] != B || m->shape[1] != S) lt_errorf(L, "%s: mask must be [%d, %d]", fn, (int)B, (int)S);
        m8 = la_scratch(L, (size_t)(B * S));
        for (int64_t p = 0; p < B * S; p++) m8[p] = tide_f32(m)[p] != 0.0f;
    }
    int64_t sh[2] = {B, D};
    tide_tensor *out = tide_tensor_new(TIDE_F32, 2, sh);
    lt_push_tensor(L, out, fn);
    if (tide_seqrec_last_attention(B, S, D, H, tide_f32(q), tide_f32(kv), m8, tide_f32(out)) < 0) return lt_error(L, fn);
    return 1;
}

static int l_embed(lua_State *L)
{
    lua_settop(L, 4);
    const char *fn = "seqrec.embed";
    tide_tensor *w = la_tensor(L, 1, TIDE_F32, 2, fn, "table");
    tide_tensor *ids = la_tensor(L, 2, TIDE_I32, 2, fn, "ids");
    double scale = luaL_checknumber(L, 3);
    tide_tensor *pos = la_tensor(L, 4, TIDE_F32, 2, fn, "pos");
    int64_t B = ids->shape[0], T = ids->shape[1], D = w->shape[1];
    if (pos->shape[1] != D) lt_errorf(L, "%s: table has %d columns, pos %d", fn, (int)D, (int)pos->shape[1]);
    int64_t sh[3] = {B, T, D};
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 3, sh);
    lt_push_tensor(L, out, fn);
    if (tide_seqrec_embed(B, T, D, tide_f32(w), w->shape[0], tide_i32(ids), (float)scale, tide_f32(pos),
                          pos->shape[0], tide_f32(out)) < 0)
        return lt_error(L, fn);
    return 1;
}

static int l_blas_threads(lua_State *L)
{
    int64_t n = lt_check_int(L, 1, "seqrec.blas_threads", "n");
    if (n < 0 || n > 1024) lt_errorf(L, "seqrec.blas_threads: n must be in 0..1024 (0 = only read), got %d", (int)n);
    lua_pushinteger(L, tide_seqrec_blas_threads((int)n));
    return 1;
}

static const luaL_Reg funcs[] = {
    {"candidates", l_candidates}, {"rank_candidates", l_rank_candidates}, {"dot_rows", l_dot_rows},
    {"rank_topk", l_rank_topk}, {"rank_topk_async", l_rank_topk_async}, {"wait", l_wait},
    {"ready", l_ready},
    {"last_attention", l_last_attention}, {"blas_threads", l_blas_threads},
    {"embed", l_embed},
    {NULL, NULL}};

int lt_open_seqrec(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
