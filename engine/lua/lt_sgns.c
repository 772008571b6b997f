/* lt_sgns.c — Lua binding for text_sgns.h (skip-gram negative-sampling embeddings):
 *   core.sgns.train(ids i32 [N], offsets i64 [n+1], V, {dim = 64, window = 5, neg = 5,
 *                   epochs = 5, lr = 0.025, sample = 1e-4, seed = 1}) -> f32 [V, dim]
 * ids/offsets as returned by core.text.ids; ids outside [0, V) are skipped. */
#include "lt.h"
#include "tensor.h"
#include "text_sgns.h"

/* opts.key (lt_opt_number), and not NaN */
static double opt_num(lua_State *L, int idx, const char *key, double def)
{
    double v = lt_opt_number(L, idx, "sgns.train", key, def);
    if (v != v) lt_errorf(L, "sgns.train: opts.%s is NaN", key);
    return v;
}

static int l_train(lua_State *L)
{
    const char *fn = "sgns.train";
    tide_tensor *ti, *to;
    lt_check_ids_offsets(L, fn, &ti, &to);
    if (to->shape[0] < 1) return lt_errorf(L, "%s: offsets must not be empty", fn);
    int64_t V = lt_check_int(L, 3, fn, "V");
    if (V < 1 || V > INT32_MAX) return lt_errorf(L, "%s: V = %lld must be in 1..2^31-1", fn, (long long)V);
    lua_settop(L, 4); /* a missing options table reads as {} */
    if (lua_isnil(L, 4)) lua_newtable(L), lua_replace(L, 4);
    luaL_checktype(L, 4, LUA_TTABLE);
    tide_sgns_opts o = {(int)opt_num(L, 4, "dim", 64), (int)opt_num(L, 4, "window", 5),
                        (int)opt_num(L, 4, "neg", 5), (int)opt_num(L, 4, "epochs", 5),
                        (float)opt_num(L, 4, "lr", 0.025), (float)opt_num(L, 4, "sample", 1e-4),
                        (uint64_t)opt_num(L, 4, "seed", 1)};
    if (o.dim < 1 || o.dim > 4096) return lt_errorf(L, "%s: opts.dim = %d must be in 1..4096", fn, o.dim);
    /* offsets must be non-decreasing and inside ids, checked before any work */
    const int64_t *off = tide_i64(to);
    int64_t n = to->shape[0] - 1;
    if (off[0] != 0 || off[n] != ti->shape[0])
        return lt_errorf(L, "%s: offsets must run from 0 to #ids = %lld", fn, (long long)ti->shape[0]);
    for (int64_t i = 0; i < n; i++)
        if (off[i + 1] < off[i]) return lt_errorf(L, "%s: offsets[%lld] decreases", fn, (long long)i + 2);
    int64_t shp[2] = {V, o.dim};
    tide_tensor *e = tide_tensor_new(TIDE_F32, 2, shp);
    if (!e) return lt_error(L, fn);
    if (tide_sgns_train(tide_i32(ti), off, n, (int32_t)V, &o, tide_f32(e)) != TIDE_OK) {
        tide_tensor_release(e);
        return lt_error(L, fn);
    }
    return lt_push_tensor(L, e, fn);
}

int lt_open_sgns(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"train", l_train}, {NULL, NULL}};
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
