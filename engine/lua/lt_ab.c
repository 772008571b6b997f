/* lt_ab.c — Lua binding of the experiment engine (ab_assign.h, ab_dist.h, ab_boot.h,
 * hash_xx64.h). The friendly API with option checking is lua/tide/abtest/.
 *   core.ab.assign(salt, ids, weights, holdout) -> i32 tensor: 0 holdout, k = arm k (1-based)
 *       ids: a Lua array of integers and/or strings, or an integer tensor
 *   core.ab.unit(salt, id) -> u in [0, 1)            core.ab.xx64(str [, seed]) -> 16 hex digits
 *   core.ab.norm_cdf/norm_ppf/t_cdf/t_ppf/chi2_sf/gamma_p/beta_inc(...) -> number
 *   core.ab.boot_mean_diff(a, b, B, seed, level) -> interval table
 *   core.ab.boot_indices(n, B, seed, group) -> i32 tensor [B, n] of 1-based indices
 *   core.ab.boot_ci(reps, est, group_n, jack|nil, level) -> interval table */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ab_assign.h"
#include "ab_boot.h"
#include "ab_dist.h"
#include "error.h"
#include "hash_xx64.h"
#include "lt.h"
#include "lt_args.h"

static double check_num(lua_State *L, int idx, const char *fn, const char *what)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        lt_errorf(L, "%s: %s (argument #%d) must be a number, got %s", fn, what, idx, luaL_typename(L, idx));
    return lua_tonumber(L, idx);
}

static uint64_t check_seed(lua_State *L, int idx, const char *fn)
{
    int64_t s = lt_check_int(L, idx, fn, "seed");
    if (s < 0) lt_errorf(L, "%s: seed must be >= 0, got %lld", fn, (long long)s);
    return (uint64_t)s;
}

/* weights: a Lua array of numbers (checked by the engine for sign and sum) */
static int check_weights(lua_State *L, int idx, const char *fn, double *w)
{
    if (!lua_istable(L, idx)) lt_errorf(L, "%s: weights (argument #%d) must be a table of numbers", fn, idx);
    int k = (int)lua_objlen(L, idx);
    if (k < 1 || k > TIDE_AB_MAX_ARMS) lt_errorf(L, "%s: need 1..%d arm weights, got %d", fn, TIDE_AB_MAX_ARMS, k);
    for (int i = 0; i < k; i++) {
        lua_rawgeti(L, idx, i + 1);
        if (lua_type(L, -1) != LUA_TNUMBER) lt_errorf(L, "%s: weights[%d] must be a number", fn, i + 1);
        w[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    return k;
}

/* Unit value of the id at stack index idx (integer or string). */
static double unit_of(lua_State *L, int idx, uint64_t seed, const char *fn, int64_t pos)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (v != floor(v) || fabs(v) > 9.007199254740992e15)
            lt_errorf(L, "%s: ids[%lld] = %g is not an integer (ids are integers or strings)", fn, (long long)pos, v);
        return tide_ab_unit_int(seed, (int64_t)v);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        return tide_ab_unit(seed, s, len);
    }
    return lt_errorf(L, "%s: ids[%lld] must be an integer or a string, got %s", fn, (long long)pos, luaL_typename(L, idx));
}

static int l_assign(lua_State *L)
{
    const char *fn = "abtest.assign";
    size_t slen;
    const char *salt = luaL_checklstring(L, 1, &slen);
    double w[TIDE_AB_MAX_ARMS];
    int k = check_weights(L, 3, fn, w);
    double holdout = check_num(L, 4, fn, "holdout");
    if (tide_ab_check_arms(k, w, holdout) != TIDE_OK) return lt_error(L, fn);
    uint64_t seed = tide_ab_salt_seed(salt, slen);
    int64_t n;
    const int64_t *ids = NULL;
    if (lua_istable(L, 2)) {
        n = (int64_t)lua_objlen(L, 2);
    } else if (lt_is_tensor(L, 2)) {
        if (lt_check_tensor(L, 2, fn)->dtype == TIDE_F32) lt_errorf(L, "%s: an id tensor must be i32 or i64, got f32", fn);
        tide_tensor *t = la_tensor(L, 2, TIDE_I64, -1, fn, "ids"); /* a converted copy stays on the stack */
        n = tide_tensor_numel(t);
        ids = tide_i64(t);
    } else {
        return lt_errorf(L, "%s: ids (argument #2) must be a table or an integer tensor, got %s", fn, luaL_typename(L, 2));
    }
    int64_t shape[1] = {n};
    /* table ids are checked while filling; the output is a tensor userdata pushed first, so an
     * error half-way leaves it to the GC */
    lt_push_tensor(L, tide_tensor_new(TIDE_I32, 1, shape), fn);
    int32_t *out = tide_i32(lt_check_tensor(L, -1, fn));
    for (int64_t i = 0; i < n; i++) {
        double u;
        if (ids) {
            u = tide_ab_unit_int(seed, ids[i]);
        } else {
            lua_rawgeti(L, 2, (int)(i + 1));
            u = unit_of(L, -1, seed, fn, i + 1);
            lua_pop(L, 1);
        }
        out[i] = tide_ab_arm_of(u, k, w, holdout) + 1;
    }
    return 1;
}

static int l_unit(lua_State *L)
{
    size_t slen;
    const char *salt = luaL_checklstring(L, 1, &slen);
    lua_pushnumber(L, unit_of(L, 2, tide_ab_salt_seed(salt, slen), "abtest.unit", 1));
    return 1;
}

static int l_xx64(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    uint64_t seed = lua_isnoneornil(L, 2) ? 0 : check_seed(L, 2, "abtest.xx64");
    char buf[20];
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)tide_hash_xx64(s, len, seed));
    lua_pushstring(L, buf);
    return 1;
}

#define DIST1(name, call)                                                     \
    static int l_##name(lua_State *L)                                         \
    {                                                                         \
        double x = check_num(L, 1, "abtest." #name, "x");                     \
        lua_pushnumber(L, call);                                              \
        return 1;                                                             \
    }
#define DIST2(name, call)                                                     \
    static int l_##name(lua_State *L)                                         \
    {                                                                         \
        double x = check_num(L, 1, "abtest." #name, "x");                     \
        double y = check_num(L, 2, "abtest." #name, "parameter");             \
        lua_pushnumber(L, call);                                              \
        return 1;                                                             \
    }
DIST1(norm_cdf, tide_norm_cdf(x))
DIST1(norm_ppf, tide_norm_ppf(x))
DIST2(t_cdf, tide_t_cdf(x, y))
DIST2(t_ppf, tide_t_ppf(x, y))
DIST2(chi2_sf, tide_chi2_sf(x, y))
DIST2(gamma_p, tide_gamma_p(x, y))

static int l_beta_inc(lua_State *L)
{
    double a = check_num(L, 1, "abtest.beta_inc", "a"), b = check_num(L, 2, "abtest.beta_inc", "b");
    lua_pushnumber(L, tide_beta_inc(a, b, check_num(L, 3, "abtest.beta_inc", "x")));
    return 1;
}

static void push_interval(lua_State *L, const tide_ab_interval *iv)
{
    lua_createtable(L, 0, 8);
#define F(k) lua_pushnumber(L, iv->k), lua_setfield(L, -2, #k)
    F(est), F(se), F(pct_lo), F(pct_hi), F(bca_lo), F(bca_hi), F(z0), F(accel);
#undef F
}

static int64_t check_B(lua_State *L, int idx, const char *fn)
{
    int64_t B = lt_check_int(L, idx, fn, "replicates");
    if (B < 2 || B > 100000000) lt_errorf(L, "%s: replicates must be in 2..1e8, got %lld", fn, (long long)B);
    return B;
}

static int l_boot_mean_diff(lua_State *L)
{
    const char *fn = "abtest.bootstrap";
    int64_t na, nb;
    double *a = la_doubles(L, 1, fn, "a", &na, 1), *b = la_doubles(L, 2, fn, "b", &nb, 1);
    int64_t B = check_B(L, 3, fn);
    uint64_t seed = check_seed(L, 4, fn);
    double level = check_num(L, 5, fn, "level");
    tide_ab_interval iv;
    if (tide_ab_boot_mean_diff_ci(a, na, b, nb, B, seed, level, &iv) != TIDE_OK) return lt_error(L, fn);
    push_interval(L, &iv);
    return 1;
}

static int l_boot_indices(lua_State *L)
{
    const char *fn = "abtest.bootstrap";
    int64_t n = lt_check_int(L, 1, fn, "n"), B = check_B(L, 2, fn);
    uint64_t seed = check_seed(L, 3, fn);
    int64_t g = lt_check_int(L, 4, fn, "group");
    if (n < 1 || g < 0) lt_errorf(L, "%s: need n >= 1 and group >= 0 (got %lld, %lld)", fn, (long long)n, (long long)g);
    if (B * n > ((int64_t)1 << 31)) lt_errorf(L, "%s: %lld x %lld indices is too many", fn, (long long)B, (long long)n);
    int64_t shape[2] = {B, n};
    tide_tensor *t = tide_tensor_new(TIDE_I32, 2, shape);
    if (!t) return lt_error(L, fn);
    if (tide_ab_boot_indices(n, B, seed, (uint64_t)g, tide_i32(t)) != TIDE_OK) {
        tide_tensor_release(t);
        return lt_error(L, fn);
    }
    int32_t *d = tide_i32(t);
    for (int64_t i = 0; i < B * n; i++) d[i] += 1;
    return lt_push_tensor(L, t, fn);
}

static int l_boot_ci(lua_State *L)
{
    const char *fn = "abtest.bootstrap";
    int64_t B, ng, nj = 0;
    double *reps = la_doubles(L, 1, fn, "replicates", &B, 1);
    double est = check_num(L, 2, fn, "estimate");
    double *gd = la_doubles(L, 3, fn, "group sizes", &ng, 1);
    double *jack = lua_isnoneornil(L, 4) ? NULL : la_doubles(L, 4, fn, "jackknife", &nj, 1);
    double level = check_num(L, 5, fn, "level");
    if (ng < 1 || ng > 64) lt_errorf(L, "%s: need 1..64 groups, got %lld", fn, (long long)ng);
    int64_t gn[64], tot = 0;
    for (int64_t g = 0; g < ng; g++) {
        if (gd[g] < 2 || gd[g] != floor(gd[g])) lt_errorf(L, "%s: group %lld size must be an integer >= 2", fn, (long long)g + 1);
        gn[g] = (int64_t)gd[g];
        tot += gn[g];
    }
    if (jack && nj != tot)
        lt_errorf(L, "%s: %lld jackknife values for groups totalling %lld", fn, (long long)nj, (long long)tot);
    for (int64_t i = 0; i < nj; i++)
        if (!isfinite(jack[i])) lt_errorf(L, "%s: jackknife value %lld is not finite", fn, (long long)i + 1);
    tide_ab_interval iv;
    if (tide_ab_boot_ci(reps, B, est, (int)ng, gn, jack, level, &iv) != TIDE_OK) return lt_error(L, fn);
    push_interval(L, &iv);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"assign", l_assign},     {"unit", l_unit},       {"xx64", l_xx64},
    {"norm_cdf", l_norm_cdf}, {"norm_ppf", l_norm_ppf}, {"t_cdf", l_t_cdf},
    {"t_ppf", l_t_ppf},       {"chi2_sf", l_chi2_sf}, {"gamma_p", l_gamma_p},
    {"beta_inc", l_beta_inc}, {"boot_mean_diff", l_boot_mean_diff},
    {"boot_indices", l_boot_indices}, {"boot_ci", l_boot_ci}, {NULL, NULL}};

int lt_open_ab(lua_State *L)
{
    lua_newtable(L);
    lt_register(L, funcs);
    return 1;
}
