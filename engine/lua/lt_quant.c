/* lt_quant.c — `core.quant`: int8 row tables and pruned sparse tables for scoring (quant.h).
 *   int8(W f32 [R, D]) -> QRows          per-row symmetric int8 codes + f32 scales
 *   prune(W, frac) -> W', threshold, kept   a copy with the frac smallest |w| set to 0
 *   sparse(W f32 [R, D]) -> Sparse       CSR of the non-zero entries
 *   q:scores(X [B, D] | [D] [, bias [R]]) -> f32 [B, R]   X · W^T (+ bias)
 *   q:dequant() -> f32 [R, D] (QRows)   q:codes() -> i32 [R, D]   q:scales() -> f32 [R]
 *   q:bytes()  q:shape() -> {R, D}  s:nnz()   q:free() (safe twice; __gc frees too) */
#include <string.h>

#include "lt.h"
#include "quant.h"

#define QROWS_MT "tide.QRows"
#define SPARSE_MT "tide.Sparse"

typedef struct {
    tide_qrows *q;
} qrows_ud;
typedef struct {
    tide_qsparse *s;
} sparse_ud;

/* W: contiguous f32 2-D (a converted copy is anchored on the stack) */
static tide_tensor *check_table(lua_State *L, int idx, const char *fn)
{
    tide_tensor *t = lt_check_tensor(L, idx, fn);
    if (t->ndim != 2) {
        char b[64];
        lt_errorf(L, "%s: the table must be 2-D [rows, cols], got shape %s", fn, tide_shape_str(t, b, sizeof b));
    }
    if (t->dtype == TIDE_F32 && tide_tensor_is_contiguous(t)) return t;
    tide_tensor *c = tide_tensor_cast(t, TIDE_F32);
    lt_push_tensor(L, c, fn);
    return c;
}

static qrows_ud *check_q(lua_State *L, int idx, const char *fn)
{
    qrows_ud *u = luaL_checkudata(L, idx, QROWS_MT);
    if (!u->q) lt_errorf(L, "%s: the int8 table was freed", fn);
    return u;
}

static sparse_ud *check_s(lua_State *L, int idx, const char *fn)
{
    sparse_ud *u = luaL_checkudata(L, idx, SPARSE_MT);
    if (!u->s) lt_errorf(L, "%s: the sparse table was freed", fn);
    return u;
}

/* X as contiguous f32 [B, cols] (a 1-D X is one row); bias (idx + 1) f32 [rows] or nil */
static const float *check_x(lua_State *L, int idx, int64_t rows, int64_t cols, const char *fn, int64_t *B,
                            const float **bias)
{
    tide_tensor *x = lt_check_tensor(L, idx, fn);
    int64_t d = x->ndim == 1 ? x->shape[0] : x->ndim == 2 ? x->shape[1] : -1;
    if (d != cols) {
        char b[64];
        lt_errorf(L, "%s: X must be [B, %lld] or [%lld], got shape %s", fn, (long long)cols, (long long)cols,
                  tide_shape_str(x, b, sizeof b));
    }
    *B = x->ndim == 1 ? 1 : x->shape[0];
    if (!(x->dtype == TIDE_F32 && tide_tensor_is_contiguous(x))) {
        tide_tensor *c = x->dtype == TIDE_F32 ? tide_tensor_clone(x) : tide_tensor_cast(x, TIDE_F32);
        lt_push_tensor(L, c, fn);
        x = c;
    }
    *bias = NULL;
    if (!lua_isnoneornil(L, idx + 1)) {
        tide_tensor *b = lt_check_tensor(L, idx + 1, fn);
        if (b->ndim != 1 || b->shape[0] != rows || b->dtype != TIDE_F32 || !tide_tensor_is_contiguous(b))
            lt_errorf(L, "%s: bias must be a contiguous f32 tensor [%lld]", fn, (long long)rows);
        *bias = tide_f32(b);
    }
    return tide_f32(x);
}

static int l_int8(lua_State *L)
{
    const char *fn = "quant.int8";
    tide_tensor *w = check_table(L, 1, fn);
    qrows_ud *u = lua_newuserdata(L, sizeof *u);
    u->q = NULL;
    luaL_getmetatable(L, QROWS_MT);
    lua_setmetatable(L, -2);
    u->q = tide_qrows_new(tide_f32(w), w->shape[0], w->shape[1]);
    if (!u->q) return lt_error(L, fn);
    return 1;
}

static int q_scores(lua_State *L)
{
    const char *fn = "QRows:scores";
    qrows_ud *u = check_q(L, 1, fn);
    int64_t B;
    const float *bias;
    const float *x = check_x(L, 2, u->q->rows, u->q->cols, fn, &B, &bias);
    int64_t shp[2] = {B, u->q->rows};
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 2, shp);
    if (!out) return lt_error(L, fn);
    if (tide_qrows_scores(u->q, x, B, bias, tide_f32(out)) != TIDE_OK) {
        tide_tensor_release(out);
        return lt_error(L, fn);
    }
    return lt_push_tensor(L, out, fn);
}

static int q_dequant(lua_State *L)
{
    qrows_ud *u = check_q(L, 1, "QRows:dequant");
    int64_t shp[2] = {u->q->rows, u->q->cols};
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 2, shp);
    if (out) tide_qrows_dequant(u->q, tide_f32(out));
    return lt_push_tensor(L, out, "QRows:dequant");
}

static int q_codes(lua_State *L)
{
    qrows_ud *u = check_q(L, 1, "QRows:codes");
    int64_t shp[2] = {u->q->rows, u->q->cols};
    tide_tensor *out = tide_tensor_empty(TIDE_I32, 2, shp);
    if (out)
        for (int64_t i = 0; i < shp[0] * shp[1]; i++) tide_i32(out)[i] = u->q->q[i];
    return lt_push_tensor(L, out, "QRows:codes");
}

static int q_scales(lua_State *L)
{
    qrows_ud *u = check_q(L, 1, "QRows:scales");
    return lt_push_tensor(L, tide_tensor_from_data(TIDE_F32, 1, &u->q->rows, u->q->scale), "QRows:scales");
}

static int q_bytes(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)tide_qrows_bytes(check_q(L, 1, "QRows:bytes")->q));
    return 1;
}

static void push_shape(lua_State *L, int64_t r, int64_t c)
{
    lua_createtable(L, 2, 0);
    lua_pushnumber(L, (lua_Number)r);
    lua_rawseti(L, -2, 1);
    lua_pushnumber(L, (lua_Number)c);
    lua_rawseti(L, -2, 2);
}

static int q_shape(lua_State *L)
{
    qrows_ud *u = check_q(L, 1, "QRows:shape");
    push_shape(L, u->q->rows, u->q->cols);
    return 1;
}

static int q_free(lua_State *L)
{
    qrows_ud *u = luaL_checkudata(L, 1, QROWS_MT);
    tide_qrows_free(u->q);
    u->q = NULL;
    return 0;
}

static int l_prune(lua_State *L)
{
    const char *fn = "quant.prune";
    tide_tensor *w = lt_check_tensor(L, 1, fn);
    double frac = luaL_checknumber(L, 2);
    if (w->dtype != TIDE_F32) lt_errorf(L, "%s: the weights must be f32", fn);
    tide_tensor *c = tide_tensor_is_contiguous(w) ? w : tide_tensor_clone(w);
    if (c != w) lt_push_tensor(L, c, fn);
    int64_t n = tide_tensor_numel(c);
    float thr;
    if (tide_prune_threshold(tide_f32(c), n, frac, &thr) != TIDE_OK) return lt_error(L, fn);
    tide_tensor *out = tide_tensor_empty_like(c);
    if (!out) return lt_error(L, fn);
    int64_t kept = tide_prune_apply(tide_f32(c), n, thr, tide_f32(out));
    lt_push_tensor(L, out, fn);
    lua_pushnumber(L, thr);
    lua_pushnumber(L, (lua_Number)kept);
    return 3;
}

static int l_sparse(lua_State *L)
{
    const char *fn = "quant.sparse";
    tide_tensor *w = check_table(L, 1, fn);
    sparse_ud *u = lua_newuserdata(L, sizeof *u);
    u->s = NULL;
    luaL_getmetatable(L, SPARSE_MT);
    lua_setmetatable(L, -2);
    u->s = tide_qsparse_new(tide_f32(w), w->shape[0], w->shape[1]);
    if (!u->s) return lt_error(L, fn);
    return 1;
}

static int s_scores(lua_State *L)
{
    const char *fn = "Sparse:scores";
    sparse_ud *u = check_s(L, 1, fn);
    int64_t B;
    const float *bias;
    const float *x = check_x(L, 2, u->s->rows, u->s->cols, fn, &B, &bias);
    int64_t shp[2] = {B, u->s->rows};
    tide_tensor *out = tide_tensor_empty(TIDE_F32, 2, shp);
    if (out) tide_qsparse_scores(u->s, x, B, bias, tide_f32(out));
    return lt_push_tensor(L, out, fn);
}

static int s_bytes(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)tide_qsparse_bytes(check_s(L, 1, "Sparse:bytes")->s));
    return 1;
}

static int s_nnz(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)check_s(L, 1, "Sparse:nnz")->s->nnz);
    return 1;
}

static int s_shape(lua_State *L)
{
    sparse_ud *u = check_s(L, 1, "Sparse:shape");
    push_shape(L, u->s->rows, u->s->cols);
    return 1;
}

static int s_free(lua_State *L)
{
    sparse_ud *u = luaL_checkudata(L, 1, SPARSE_MT);
    tide_qsparse_free(u->s);
    u->s = NULL;
    return 0;
}

static const luaL_Reg q_methods[] = {{"scores", q_scores}, {"dequant", q_dequant}, {"codes", q_codes},
                                     {"scales", q_scales}, {"bytes", q_bytes},     {"shape", q_shape},
                                     {"free", q_free},     {NULL, NULL}};
static const luaL_Reg s_methods[] = {{"scores", s_scores}, {"bytes", s_bytes}, {"nnz", s_nnz},
                                     {"shape", s_shape},   {"free", s_free},   {NULL, NULL}};
static const luaL_Reg funcs[] = {{"int8", l_int8}, {"prune", l_prune}, {"sparse", l_sparse}, {NULL, NULL}};

int lt_open_quant(lua_State *L)
{
    lt_class(L, QROWS_MT, q_methods, q_free);
    lt_class(L, SPARSE_MT, s_methods, s_free);
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
