/* lt_nn.c — Lua binding of the fused nn kernels (engine/nn.h):
 * require("tide").core.nn.<fn>(...). Every function checks its arguments (types, option
 * names and values) before calling the engine; shape errors come back from the engine with
 * the shapes named. Ids are 1-based as everywhere in Lua; masks are nonzero = real token.
 *
 *   linear(x, w [, b [, act [, opts]]])        act: "relu" | "gelu" | "tanh" | "sigmoid";
 *     opts: dropout = p (after act), residual = tensor (added last): one fused kernel
 *   embedding(w, ids [, padding_idx])
 *   layernorm(x [, gamma [, beta [, eps=1e-5]]])
 *   softmax(x), log_softmax(x)                 along the last dim
 *   dropout(x, p [, training=true])            default generator (tensor.manual_seed)
 *   attention(q, k, v, heads [, opts])         opts: causal, mask [B,S], dropout, weights
 *   attention_qkv(qkv, heads [, opts])         self-attention over a fused [B,T,3D] input
 *     (with opts.weights = true both return out, weights [B,H,T,S]); time-gap terms, with
 *     gap = max(0, t_query - t_key): opts.times [B,T] (and key_times [B,S] for attention()
 *     when S != T or the key times differ), decay = "linear" | "log1p" with rate [H]
 *     (logit -= rate_h f(gap)), and/or interval embeddings ik, iv [n, D] (TiSASRec: logit +=
 *     scale q·ik[r], out += Σ w iv[r], r = min(n - 1, floor(gap))); rate, ik, iv get gradients
 *   gru(x, w_ih, w_hh [, b_ih, b_hh [, opts]])     opts: h0, mask [B,T], lengths [B], left
 *   lstm(x, w_ih, w_hh [, b_ih, b_hh [, opts]])    opts: h0, c0, mask, lengths, left
 *   lengths_mask(lengths, T [, left])
 *   conv1d(x, w [, b [, pad=0]]),  max_over_time(x [, mask])
 *   bce_with_logits(logits, target [, opts])   opts: weight, reduction
 *   cross_entropy(logits, target [, opts])     opts: ignore_index, candidates, reduction
 *   sampled_softmax(pos [N], neg [N,k], target [N], negs [k])   mean CE, shared negatives
 *   mse(pred, target [, opts]),  bpr(pos, neg [, opts])
 *   reduction: "mean" (default) | "sum" | "none" */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lt.h"
#include "nn.h"

/* ---- option helpers (all raise before any engine allocation) ---- */

static void check_opts(lua_State *L, int idx, const char *fn)
{
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        lt_errorf(L, "%s: argument #%d (options) must be a table, got %s", fn, idx,
                   luaL_typename(L, idx));
}

/* Pushes opts[key] (nil when opts is absent). */
static void get_opt(lua_State *L, int idx, const char *key)
{
    if (lua_istable(L, idx)) lua_getfield(L, idx, key);
    else lua_pushnil(L);
}

static int opt_bool(lua_State *L, int idx, const char *key, int def, const char *fn)
{
    get_opt(L, idx, key);
    int v = def;
    if (!lua_isnil(L, -1)) {
        if (!lua_isboolean(L, -1))
            lt_errorf(L, "%s: option '%s' must be a boolean, got %s", fn, key, luaL_typename(L, -1));
        v = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

/* opts[key] as a tensor (borrowed: the options table keeps it alive) or NULL */
static tide_tensor *opt_tensor(lua_State *L, int idx, const char *key, const char *fn)
{
    get_opt(L, idx, key);
    tide_tensor *t = NULL;
    if (!lua_isnil(L, -1)) {
        if (!lt_is_tensor(L, -1))
            lt_errorf(L, "%s: option '%s' must be a tensor, got %s", fn, key, luaL_typename(L, -1));
        t = lt_check_tensor(L, lua_gettop(L), fn);
    }
    lua_pop(L, 1);
    return t;
}

static tide_reduction opt_reduction(lua_State *L, int idx, const char *fn)
{
    get_opt(L, idx, "reduction");
    tide_reduction r = TIDE_REDUCE_MEAN;
    if (!lua_isnil(L, -1)) {
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
        if (!strcmp(s, "mean")) r = TIDE_REDUCE_MEAN;
        else if (!strcmp(s, "sum")) r = TIDE_REDUCE_SUM;
        else if (!strcmp(s, "none")) r = TIDE_REDUCE_NONE;
        else lt_errorf(L, "%s: reduction must be \"mean\", \"sum\" or \"none\"", fn);
    }
    lua_pop(L, 1);
    return r;
}

static tide_act check_act(lua_State *L, int idx, const char *fn)
{
    if (lua_isnoneornil(L, idx)) return TIDE_ACT_NONE;
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : "";
    if (!strcmp(s, "none")) return TIDE_ACT_NONE;
    if (!strcmp(s, "relu")) return TIDE_ACT_RELU;
    if (!strcmp(s, "gelu")) return TIDE_ACT_GELU;
    if (!strcmp(s, "tanh")) return TIDE_ACT_TANH;
    if (!strcmp(s, "sigmoid")) return TIDE_ACT_SIGMOID;
    lt_errorf(L, "%s: activation must be \"relu\", \"gelu\", \"tanh\", \"sigmoid\" or nil", fn);
    return TIDE_ACT_NONE;
}

/* ---- layers ---- */

static int l_linear(lua_State *L)
{
    const char *fn = "nn.linear";
    tide_tensor *x = lt_check_tensor(L, 1, fn), *w = lt_check_tensor(L, 2, fn);
    tide_tensor *b = lt_opt_tensor(L, 3, fn);
    tide_act act = check_act(L, 4, fn);
    check_opts(L, 5, fn);
    double p = lt_opt_number(L, 5, fn, "dropout", 0.0);
    tide_tensor *res = opt_tensor(L, 5, "residual", fn);
    return lt_push_tensor(L, tide_nn_linear_ex(x, w, b, act, p, NULL, res), fn);
}

static int l_embedding(lua_State *L)
{
    const char *fn = "nn.embedding";
    tide_tensor *w = lt_check_tensor(L, 1, fn), *ids = lt_check_tensor(L, 2, fn);
    int64_t pad = lua_isnoneornil(L, 3) ? INT64_MIN : lt_check_int(L, 3, fn, "padding_idx");
    return lt_push_tensor(L, tide_nn_embedding(w, ids, 1, pad), fn);
}

static int l_layernorm(lua_State *L)
{
    const char *fn = "nn.layernorm";
    tide_tensor *x = lt_check_tensor(L, 1, fn);
    tide_tensor *g = lt_opt_tensor(L, 2, fn), *b = lt_opt_tensor(L, 3, fn);
    double eps = luaL_optnumber(L, 4, 1e-5);
    return lt_push_tensor(L, tide_nn_layernorm(x, g, b, eps), fn);
}

static int l_softmax(lua_State *L)
{
    return lt_push_tensor(L, tide_nn_softmax(lt_check_tensor(L, 1, "nn.softmax"), 0), "nn.softmax");
}

static int l_log_softmax(lua_State *L)
{
    const char *fn = "nn.log_softmax";
    return lt_push_tensor(L, tide_nn_softmax(lt_check_tensor(L, 1, fn), 1), fn);
}

static int l_dropout(lua_State *L)
{
    const char *fn = "nn.dropout";
    tide_tensor *x = lt_check_tensor(L, 1, fn);
    double p = luaL_checknumber(L, 2);
    int training = lua_isnoneornil(L, 3) ? 1 : lua_toboolean(L, 3);
    return lt_push_tensor(L, tide_nn_dropout(x, p, training, NULL), fn);
}

static int check_heads(lua_State *L, int idx, const char *fn)
{
    int64_t h = lt_check_int(L, idx, fn, "heads");
    if (h < 1 || h > (1 << 20)) lt_errorf(L, "%s: heads must be >= 1, got %d", fn, (int)h);
    return (int)h;
}

/* pushes out (and weights when asked) */
static int push_attention(lua_State *L, tide_tensor *out, tide_tensor *w, int want, const char *fn)
{
    if (!out) {
        tide_tensor_release(w);
        return lt_error(L, fn);
    }
    lt_push_tensor(L, out, fn);
    if (!want) return 1;
    lt_push_tensor(L, w, fn);
    return 2;
}

/* opts.times / key_times / decay / rate / ik / iv into tm; NULL when none is given */
static const tide_attn_time *opt_time(lua_State *L, int idx, tide_attn_time *tm, const char *fn)
{
    tm->times = opt_tensor(L, idx, "times", fn), tm->key_times = opt_tensor(L, idx, "key_times", fn);
    tm->rate = opt_tensor(L, idx, "rate", fn);
    tm->ik = opt_tensor(L, idx, "ik", fn), tm->iv = opt_tensor(L, idx, "iv", fn);
    tm->decay = TIDE_ATTN_DECAY_NONE;
    get_opt(L, idx, "decay");
    if (!lua_isnil(L, -1)) {
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
        if (!strcmp(s, "linear")) tm->decay = TIDE_ATTN_DECAY_LINEAR;
        else if (!strcmp(s, "log1p")) tm->decay = TIDE_ATTN_DECAY_LOG1P;
        else lt_errorf(L, "%s: option 'decay' must be \"linear\" or \"log1p\"", fn);
    }
    lua_pop(L, 1);
    int any = tm->times || tm->key_times || tm->rate || tm->ik || tm->iv || tm->decay;
    return any ? tm : NULL;
}

static int l_attention(lua_State *L)
{
    const char *fn = "nn.attention";
    tide_tensor *q = lt_check_tensor(L, 1, fn), *k = lt_check_tensor(L, 2, fn);
    tide_tensor *v = lt_check_tensor(L, 3, fn);
    int heads = check_heads(L, 4, fn);
    check_opts(L, 5, fn);
    int causal = opt_bool(L, 5, "causal", 0, fn), want = opt_bool(L, 5, "weights", 0, fn);
    double p = lt_opt_number(L, 5, fn, "dropout", 0.0);
    tide_tensor *mask = opt_tensor(L, 5, "mask", fn), *w = NULL;
    tide_attn_time tm;
    const tide_attn_time *tp = opt_time(L, 5, &tm, fn);
    tide_tensor *out = tide_nn_attention_time(q, k, v, heads, causal, mask, tp, p, NULL, want ? &w : NULL);
    return push_attention(L, out, w, want, fn);
}

static int l_attention_qkv(lua_State *L)
{
    const char *fn = "nn.attention_qkv";
    tide_tensor *qkv = lt_check_tensor(L, 1, fn);
    int heads = check_heads(L, 2, fn);
    check_opts(L, 3, fn);
    int causal = opt_bool(L, 3, "causal", 0, fn), want = opt_bool(L, 3, "weights", 0, fn);
    double p = lt_opt_number(L, 3, fn, "dropout", 0.0);
    tide_tensor *mask = opt_tensor(L, 3, "mask", fn), *w = NULL;
    tide_attn_time tm;
    const tide_attn_time *tp = opt_time(L, 3, &tm, fn);
    tide_tensor *out = tide_nn_attention_qkv_time(qkv, heads, causal, mask, tp, p, NULL, want ? &w : NULL);
    return push_attention(L, out, w, want, fn);
}

/* mask from opts.mask, or built from opts.lengths (+ opts.left); *owned set when built */
static tide_tensor *rnn_mask(lua_State *L, int idx, int64_t T, int *owned, const char *fn)
{
    *owned = 0;
    tide_tensor *mask = opt_tensor(L, idx, "mask", fn);
    tide_tensor *lengths = opt_tensor(L, idx, "lengths", fn);
    int left = opt_bool(L, idx, "left", 0, fn);
    if (mask && lengths) lt_errorf(L, "%s: give either 'mask' or 'lengths', not both", fn);
    if (!lengths) return mask;
    tide_tensor *m = tide_nn_lengths_mask(lengths, T, left);
    if (!m) lt_error(L, fn);
    *owned = 1;
    return m;
}

static int l_rnn(lua_State *L, int lstm)
{
    const char *fn = lstm ? "nn.lstm" : "nn.gru";
    tide_tensor *x = lt_check_tensor(L, 1, fn);
    tide_tensor *wih = lt_check_tensor(L, 2, fn), *whh = lt_check_tensor(L, 3, fn);
    tide_tensor *bih = lt_opt_tensor(L, 4, fn), *bhh = lt_opt_tensor(L, 5, fn);
    check_opts(L, 6, fn);
    tide_tensor *h0 = opt_tensor(L, 6, "h0", fn), *c0 = lstm ? opt_tensor(L, 6, "c0", fn) : NULL;
    if (x->ndim != 3) lt_errorf(L, "%s: x must be [B,T,in], got %d dims", fn, x->ndim);
    int owned;
    tide_tensor *mask = rnn_mask(L, 6, x->shape[1], &owned, fn);
    tide_tensor *out = lstm ? tide_nn_lstm(x, h0, c0, wih, whh, bih, bhh, mask)
                            : tide_nn_gru(x, h0, wih, whh, bih, bhh, mask);
    if (owned) tide_tensor_release(mask);
    return lt_push_tensor(L, out, fn);
}
static int l_gru(lua_State *L) { return l_rnn(L, 0); }
static int l_lstm(lua_State *L) { return l_rnn(L, 1); }

static int l_lengths_mask(lua_State *L)
{
    const char *fn = "nn.lengths_mask";
    tide_tensor *len = lt_check_tensor(L, 1, fn);
    int64_t T = lt_check_int(L, 2, fn, "T");
    return lt_push_tensor(L, tide_nn_lengths_mask(len, T, lua_toboolean(L, 3)), fn);
}

static int l_conv1d(lua_State *L)
{
    const char *fn = "nn.conv1d";
    tide_tensor *x = lt_check_tensor(L, 1, fn), *w = lt_check_tensor(L, 2, fn);
    tide_tensor *b = lt_opt_tensor(L, 3, fn);
    int64_t pad = lua_isnoneornil(L, 4) ? 0 : lt_check_int(L, 4, fn, "pad");
    return lt_push_tensor(L, tide_nn_conv1d(x, w, b, pad), fn);
}

static int l_max_over_time(lua_State *L)
{
    const char *fn = "nn.max_over_time";
    tide_tensor *x = lt_check_tensor(L, 1, fn), *m = lt_opt_tensor(L, 2, fn);
    return lt_push_tensor(L, tide_nn_max_over_time(x, m), fn);
}

/* ---- losses ---- */

static int l_bce(lua_State *L)
{
    const char *fn = "nn.bce_with_logits";
    tide_tensor *x = lt_check_tensor(L, 1, fn), *y = lt_check_tensor(L, 2, fn);
    check_opts(L, 3, fn);
    tide_tensor *w = opt_tensor(L, 3, "weight", fn);
    tide_reduction r = opt_reduction(L, 3, fn);
    return lt_push_tensor(L, tide_nn_bce_logits(x, y, w, r), fn);
}

static int l_cross_entropy(lua_State *L)
{
    const char *fn = "nn.cross_entropy";
    tide_tensor *x = lt_check_tensor(L, 1, fn), *y = lt_check_tensor(L, 2, fn);
    check_opts(L, 3, fn);
    tide_tensor *cand = opt_tensor(L, 3, "candidates", fn);
    tide_reduction r = opt_reduction(L, 3, fn);
    get_opt(L, 3, "ignore_index");
    int64_t ignore = INT64_MIN;
    if (!lua_isnil(L, -1)) ignore = lt_check_int(L, lua_gettop(L), fn, "ignore_index");
    lua_pop(L, 1);
    return lt_push_tensor(L, tide_nn_cross_entropy(x, y, 1, ignore, cand, r), fn);
}

static int l_sampled_softmax(lua_State *L)
{
    const char *fn = "nn.sampled_softmax";
    tide_tensor *pos = lt_check_tensor(L, 1, fn), *neg = lt_check_tensor(L, 2, fn);
    tide_tensor *tg = lt_check_tensor(L, 3, fn), *negs = lt_check_tensor(L, 4, fn);
    return lt_push_tensor(L, tide_nn_sampled_softmax(pos, neg, tg, negs), fn);
}

static int l_mse(lua_State *L)
{
    const char *fn = "nn.mse";
    tide_tensor *p = lt_check_tensor(L, 1, fn), *t = lt_check_tensor(L, 2, fn);
    check_opts(L, 3, fn);
    return lt_push_tensor(L, tide_nn_mse(p, t, opt_reduction(L, 3, fn)), fn);
}

static int l_bpr(lua_State *L)
{
    const char *fn = "nn.bpr";
    tide_tensor *p = lt_check_tensor(L, 1, fn), *n = lt_check_tensor(L, 2, fn);
    check_opts(L, 3, fn);
    return lt_push_tensor(L, tide_nn_bpr(p, n, opt_reduction(L, 3, fn)), fn);
}

static const luaL_Reg funcs[] = {
    {"linear", l_linear},
    {"embedding", l_embedding},
    {"layernorm", l_layernorm},
    {"softmax", l_softmax},
    {"log_softmax", l_log_softmax},
    {"dropout", l_dropout},
    {"attention", l_attention},
    {"attention_qkv", l_attention_qkv},
    {"gru", l_gru},
    {"lstm", l_lstm},
    {"lengths_mask", l_lengths_mask},
    {"conv1d", l_conv1d},
    {"max_over_time", l_max_over_time},
    {"bce_with_logits", l_bce},
    {"cross_entropy", l_cross_entropy}, {"sampled_softmax", l_sampled_softmax},
    {"mse", l_mse},
    {"bpr", l_bpr},
    {NULL, NULL},
};

int lt_open_nn(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
