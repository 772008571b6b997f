/* lt_privacy.c — core.privacy: keyed pseudonyms (HMAC-SHA256), DP noise from Tide's seeded
 * generator, Gaussian calibration and the RDP accountant (engine/hash_sha256.c, dp_mech.c).
 * The Lua half is lua/tide/privacy.lua; the key never leaves the call that uses it.
 *
 *   hmac_sha256(key, msg) -> 64 hex chars
 *   pseudonymize(ids, key, nbytes) -> {hex strings}    pseudonymize_i64(ids, key) -> i64 tensor
 *   noise("laplace"|"gaussian", n, scale) -> {n draws}  (default generator: tensor.manual_seed)
 *   gauss_sigma(sens, eps, delta, analytic) -> sigma
 *   rdp_sgm(q, sigma, orders) -> {rdp}    rdp_to_eps(orders, rdp, delta) -> eps, order */
#include <stdio.h>
#include <string.h>

#include "dp.h"
#include "hash_sha256.h"
#include "lt_args.h"

static void to_hex(const uint8_t *d, int n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
}

static const char *check_key(lua_State *L, int idx, const char *fn, size_t *klen)
{
    if (lua_type(L, idx) != LUA_TSTRING)
        lt_errorf(L, "%s: key (argument #%d) must be a string, got %s", fn, idx, luaL_typename(L, idx));
    const char *k = lua_tolstring(L, idx, klen);
    if (*klen < 16) lt_errorf(L, "%s: key must be at least 16 bytes, got %d", fn, (int)*klen);
    return k;
}

/* Canonical bytes of an id: strings as they are, integer-valued numbers in decimal (so 42 and
 * "42" give the same pseudonym: a column read as numbers or as strings agrees). */
static const char *id_bytes(lua_State *L, int i, const char *fn, char *buf, size_t *n)
{
    int ty = lua_type(L, -1);
    if (ty == LUA_TSTRING) return lua_tolstring(L, -1, n);
    if (ty != LUA_TNUMBER) lt_errorf(L, "%s: ids[%d] must be a string or a number, got %s", fn, i, luaL_typename(L, -1));
    double v = lua_tonumber(L, -1);
    if (!isfinite(v)) lt_errorf(L, "%s: ids[%d] is not finite", fn, i);
    int k = (v == floor(v) && fabs(v) < 9007199254740992.0) ? snprintf(buf, 32, "%.0f", v) : snprintf(buf, 32, "%.17g", v);
    *n = (size_t)k;
    return buf;
}

static void digest_of(lua_State *L, const tide_hmac_sha256_ctx *base, int tbl, int i, const char *fn, uint8_t d[32])
{
    char buf[32];
    size_t n;
    lua_rawgeti(L, tbl, i);
    const char *s = id_bytes(L, i, fn, buf, &n);
    tide_hmac_sha256_ctx c = *base;
    tide_hmac_sha256_update(&c, s, n);
    tide_hmac_sha256_final(&c, d);
    lua_pop(L, 1);
}

static int l_hmac(lua_State *L)
{
    size_t kn, mn;
    const char *k = luaL_checklstring(L, 1, &kn);
    const char *m = luaL_checklstring(L, 2, &mn);
    uint8_t d[32];
    char h[64];
    tide_hmac_sha256(k, kn, m, mn, d);
    to_hex(d, 32, h);
    lua_pushlstring(L, h, 64);
    return 1;
}

static int l_pseudonymize(lua_State *L)
{
    const char *fn = "privacy.pseudonymize";
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t kn;
    const char *key = check_key(L, 2, fn, &kn);
    int nbytes = (int)luaL_optinteger(L, 3, 16);
    if (nbytes < 8 || nbytes > 32) lt_errorf(L, "%s: opts.bytes must be in 8..32, got %d", fn, nbytes);
    int n = (int)lua_objlen(L, 1);
    tide_hmac_sha256_ctx base;
    tide_hmac_sha256_init(&base, key, kn);
    lua_createtable(L, n, 0);
    uint8_t d[32];
    char h[64];
    for (int i = 1; i <= n; i++) {
        digest_of(L, &base, 1, i, fn, d);
        to_hex(d, nbytes, h);
        lua_pushlstring(L, h, (size_t)nbytes * 2);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

/* Pseudonyms as non-negative 63-bit integers (the digest's first 8 bytes, big-endian, top bit
 * cleared), in an i64 tensor: exact, unlike Lua numbers beyond 2^53. */
static int l_pseudonymize_i64(lua_State *L)
{
    const char *fn = "privacy.pseudonymize";
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t kn;
    const char *key = check_key(L, 2, fn, &kn);
    int64_t n = (int64_t)lua_objlen(L, 1);
    int64_t *v = la_scratch(L, (size_t)n * sizeof(int64_t));
    tide_hmac_sha256_ctx base;
    tide_hmac_sha256_init(&base, key, kn);
    uint8_t d[32];
    for (int64_t i = 0; i < n; i++) {
        digest_of(L, &base, 1, (int)i + 1, fn, d);
        uint64_t x = 0;
        for (int b = 0; b < 8; b++) x = x << 8 | d[b];
        v[i] = (int64_t)(x & 0x7fffffffffffffffULL);
    }
    la_push_copy(L, TIDE_I64, 1, &n, v, fn);
    return 1;
}

static int l_noise(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    int64_t n = lt_check_int(L, 2, "privacy.noise", "n");
    double scale = luaL_checknumber(L, 3);
    if (n < 0 || n > (1 << 26)) lt_errorf(L, "privacy.noise: n must be in 0..2^26, got %lld", (long long)n);
    if (!(scale >= 0) || !isfinite(scale)) lt_errorf(L, "privacy.noise: scale must be finite and >= 0, got %g", scale);
    double *out = la_scratch(L, (size_t)n * sizeof(double));
    if (!strcmp(kind, "laplace")) tide_dp_laplace(tide_rng_default(), out, n, scale);
    else if (!strcmp(kind, "gaussian")) tide_dp_gaussian(tide_rng_default(), out, n, scale);
    else lt_errorf(L, "privacy.noise: unknown kind '%s' (laplace, gaussian)", kind);
    lt_push_doubles(L, out, n);
    return 1;
}

static int l_gauss_sigma(lua_State *L)
{
    double s;
    if (tide_dp_gauss_sigma(luaL_checknumber(L, 1), luaL_checknumber(L, 2), luaL_checknumber(L, 3),
                            lua_toboolean(L, 4), &s) != TIDE_OK)
        return lt_error(L, "privacy.gaussian");
    lua_pushnumber(L, s);
    return 1;
}

static int l_rdp_sgm(lua_State *L)
{
    const char *fn = "privacy.rdp";
    double q = luaL_checknumber(L, 1), sigma = luaL_checknumber(L, 2);
    if (!(q >= 0 && q <= 1)) lt_errorf(L, "%s: sampling rate q must be in [0, 1], got %g", fn, q);
    if (!(sigma > 0) || !isfinite(sigma)) lt_errorf(L, "%s: noise multiplier must be > 0, got %g", fn, sigma);
    int64_t n;
    double *orders = la_doubles(L, 3, fn, "orders", &n, 1);
    double *out = la_scratch(L, (size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        if (orders[i] != floor(orders[i]) || orders[i] < 2 || orders[i] > 4096)
            lt_errorf(L, "%s: orders[%d] = %g must be an integer in 2..4096", fn, (int)i + 1, orders[i]);
        out[i] = tide_dp_rdp_sgm(q, sigma, (int)orders[i]);
    }
    lt_push_doubles(L, out, n);
    return 1;
}

static int l_rdp_to_eps(lua_State *L)
{
    const char *fn = "privacy.rdp_to_eps";
    int64_t n, m;
    double *orders = la_doubles(L, 1, fn, "orders", &n, 1);
    double *rdp = la_doubles(L, 2, fn, "rdp", &m, 1);
    double delta = luaL_checknumber(L, 3);
    if (n != m || n < 1) lt_errorf(L, "%s: orders and rdp must have the same non-zero length", fn);
    if (!(delta > 0 && delta < 1)) lt_errorf(L, "%s: delta must be in (0, 1), got %g", fn, delta);
    double best;
    lua_pushnumber(L, tide_dp_rdp_to_eps(orders, rdp, (int)n, delta, &best));
    lua_pushnumber(L, best);
    return 2;
}

int lt_open_privacy(lua_State *L)
{
    static const luaL_Reg f[] = {
        {"hmac_sha256", l_hmac}, {"pseudonymize", l_pseudonymize}, {"pseudonymize_i64", l_pseudonymize_i64},
        {"noise", l_noise}, {"gauss_sigma", l_gauss_sigma}, {"rdp_sgm", l_rdp_sgm},
        {"rdp_to_eps", l_rdp_to_eps}, {NULL, NULL}};
    lua_newtable(L);
    lt_register(L, f);
    return 1;
}
