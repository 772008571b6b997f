/* lt_data.c — Lua binding of the data module: the CSV reader and id interners.
 * Sequence/filter kernels are in lt_data_seq.c, the prepared-dataset file in lt_data_ds.c,
 * feature kernels in lt_data_feat.c; this file opens them all as `tide.core.data`.
 *
 *   data.interner()                      -> new empty Interner
 *   data.interner_from(arena, offsets)   -> Interner rebuilt from :serialize()
 *   I:id(key) / I:name(id) / I:size() / I:add(key) / I:names() / I:serialize() / I:free()
 *   data.read_csv(path, opts)            -> {n, cols = {tensor...}, bad = {reason = count},
 *                                            lines, blank, quoted_lines, bytes, header_fields,
 *                                            first_bad}
 * Row indices exchanged with these internal kernels are 0-based i64 tensors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "lt_data.h"

/* ---------------- interner userdata ---------------- */
tide_intern *lt_check_intern(lua_State *L, int idx, const char *fn)
{
    lt_intern_ud *u = luaL_testudata(L, idx, LT_INTERN_MT);
    if (!u) lt_errorf(L, "%s: argument #%d: expected an Interner, got %s", fn, idx, luaL_typename(L, idx));
    if (!u->in) lt_errorf(L, "%s: argument #%d: Interner was freed", fn, idx);
    return u->in;
}

int lt_push_intern(lua_State *L, tide_intern *in, const char *fn)
{
    if (!in) return lt_error(L, fn);
    lt_intern_ud *u = lua_newuserdata(L, sizeof *u);
    u->in = in;
    luaL_getmetatable(L, LT_INTERN_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static const char *key_arg(lua_State *L, int idx, size_t *len, const char *fn)
{
    int t = lua_type(L, idx);
    if (t != LUA_TSTRING && t != LUA_TNUMBER)
        lt_errorf(L, "%s: key must be a string or number, got %s", fn, luaL_typename(L, idx));
    if (t == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (v == floor(v) && fabs(v) < 9e15) { /* integers by their decimal text, like the reader */
            char b[32];
            snprintf(b, sizeof b, "%lld", (long long)v);
            lua_pushstring(L, b);
            lua_replace(L, idx);
        }
    }
    return lua_tolstring(L, idx, len);
}

static int i_id(lua_State *L)
{
    tide_intern *in = lt_check_intern(L, 1, "Interner:id");
    size_t len;
    const char *k = key_arg(L, 2, &len, "Interner:id");
    int64_t id = tide_intern_find(in, k, len);
    if (id) lua_pushinteger(L, (lua_Integer)id);
    else lua_pushnil(L);
    return 1;
}

static int i_add(lua_State *L)
{
    tide_intern *in = lt_check_intern(L, 1, "Interner:add");
    size_t len;
    const char *k = key_arg(L, 2, &len, "Interner:add");
    int64_t id = tide_intern_add(in, k, len);
    if (id < 0) return lt_error(L, "Interner:add");
    lua_pushinteger(L, (lua_Integer)id);
    return 1;
}

static int i_name(lua_State *L)
{
    tide_intern *in = lt_check_intern(L, 1, "Interner:name");
    int64_t id = lt_check_int(L, 2, "Interner:name", "id");
    size_t len;
    const char *k = tide_intern_name(in, id, &len);
    if (k) lua_pushlstring(L, k, len);
    else lua_pushnil(L);
    return 1;
}

static int i_size(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tide_intern_size(lt_check_intern(L, 1, "Interner:size")));
    return 1;
}

static int i_names(lua_State *L)
{
    tide_intern *in = lt_check_intern(L, 1, "Interner:names");
    lua_createtable(L, (int)in->n, 0);
    for (uint64_t i = 1; i <= in->n; i++) {
        size_t len;
        const char *k = tide_intern_name(in, (int64_t)i, &len);
        lua_pushlstring(L, k, len);
        lua_rawseti(L, -2, (int)i);
    }
    return 1;
}

/* -> arena string, offsets i64 [n+1] */
static int i_serialize(lua_State *L)
{
    tide_intern *in = lt_check_intern(L, 1, "Interner:serialize");
    int64_t m = (int64_t)in->n + 1;
    tide_tensor *o = tide_tensor_from_data(TIDE_I64, 1, &m, in->offs);
    if (!o) return lt_error(L, "Interner:serialize");
    lua_pushlstring(L, in->arena, in->arena_len);
    lt_push_tensor(L, o, "Interner:serialize");
    return 2;
}

static int i_free(lua_State *L)
{
    lt_intern_ud *u = luaL_checkudata(L, 1, LT_INTERN_MT);
    tide_intern_free(u->in);
    u->in = NULL;
    return 0;
}

static int i_tostring(lua_State *L)
{
    lt_intern_ud *u = luaL_checkudata(L, 1, LT_INTERN_MT);
    if (u->in) lua_pushfstring(L, "Interner(%d ids)", (int)u->in->n);
    else lua_pushstring(L, "Interner(freed)");
    return 1;
}

static int l_interner(lua_State *L)
{
    int64_t expected = luaL_optinteger(L, 1, 0);
    return lt_push_intern(L, tide_intern_new(expected > 0 ? (uint64_t)expected : 0), "interner");
}

/* interner_range(n) -> Interner with keys "1".."n" mapped to ids 1..n (identity ids) */
static int l_interner_range(lua_State *L)
{
    int64_t n = lt_check_int(L, 1, "interner_range", "n");
    if (n < 0 || n > 0x7fffffff) lt_errorf(L, "interner_range: n must be in 0..2^31-1");
    tide_intern *in = tide_intern_new((uint64_t)n);
    for (int64_t i = 1; in && i <= n; i++)
        if (tide_intern_add_int(in, i) != i) {
            tide_intern_free(in);
            in = NULL;
        }
    return lt_push_intern(L, in, "interner_range");
}

static int l_interner_from(lua_State *L)
{
    size_t len;
    const char *arena = luaL_checklstring(L, 1, &len);
    tide_tensor *o = lt_check_tensor(L, 2, "interner_from");
    if (o->dtype != TIDE_I64 || o->ndim != 1 || !tide_tensor_is_contiguous(o) || o->shape[0] < 1)
        lt_errorf(L, "interner_from: offsets must be a contiguous 1-D i64 tensor");
    const int64_t *off = tide_i64(o);
    int64_t n = o->shape[0] - 1;
    for (int64_t i = 0; i < n; i++)
        if (off[i] < 0 || off[i + 1] < off[i] || (uint64_t)off[i + 1] > len)
            lt_errorf(L, "interner_from: offsets are not increasing within the key bytes");
    return lt_push_intern(L, tide_intern_from_arena(arena, len, (const uint64_t *)off, (uint64_t)n),
                          "interner_from");
}

/* interner_remap(I, map i32[n_old]) -> new Interner with the kept keys */
static int l_interner_remap(lua_State *L)
{
    tide_intern *in = lt_check_intern(L, 1, "interner_remap");
    tide_tensor *m = lt_check_tensor(L, 2, "interner_remap");
    if (m->dtype != TIDE_I32 || !tide_tensor_is_contiguous(m) || tide_tensor_numel(m) != (int64_t)in->n)
        lt_errorf(L, "interner_remap: map must be a contiguous i32 tensor of %d entries", (int)in->n);
    return lt_push_intern(L, tide_intern_remap(in, tide_i32(m)), "interner_remap");
}

/* ---------------- CSV reader ---------------- */
typedef struct {
    const char *path;
    double last;
    int shown;
} progress_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void show_progress(void *ud, uint64_t done, uint64_t total)
{
    progress_t *p = ud;
    double t = now_s();
    if (t - p->last < 0.25 && done < total) return;
    p->last = t;
    p->shown = 1;
    fprintf(stderr, "\rreading %s: %5.1f%% of %.1f MB", p->path,
            total ? 100.0 * (double)done / (double)total : 0.0, (double)total / 1e6);
    fflush(stderr);
}

static int opt_bool(lua_State *L, int t, const char *k, int def)
{
    lua_getfield(L, t, k);
    int v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static int64_t opt_int(lua_State *L, int t, const char *k, int64_t def)
{
    lua_getfield(L, t, k);
    int64_t v = def;
    if (!lua_isnil(L, -1)) {
        if (!lua_isnumber(L, -1)) lt_errorf(L, "read_csv: option '%s' must be a number", k);
        v = (int64_t)lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

static char opt_char(lua_State *L, int t, const char *k, char def)
{
    lua_getfield(L, t, k);
    char c = def;
    if (lua_isstring(L, -1)) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        if (n > 1) lt_errorf(L, "read_csv: option '%s' must be a single byte, got '%s'", k, s);
        c = n ? s[0] : 0;
    } else if (lua_toboolean(L, -1) == 0 && !lua_isnil(L, -1)) {
        c = 0; /* quote = false */
    }
    lua_pop(L, 1);
    return c;
}

static tide_time_fmt time_fmt(lua_State *L, const char *s)
{
    if (!s || !strcmp(s, "auto")) return TIDE_TIME_AUTO;
    if (!strcmp(s, "epoch") || !strcmp(s, "s")) return TIDE_TIME_EPOCH;
    if (!strcmp(s, "epoch_ms") || !strcmp(s, "ms")) return TIDE_TIME_EPOCH_MS;
    if (!strcmp(s, "iso")) return TIDE_TIME_ISO;
    if (!strcmp(s, "ymd")) return TIDE_TIME_YMD;
    if (strchr(s, '%')) return TIDE_TIME_PATTERN;
    lt_errorf(L, "read_csv: unknown time format '%s' (auto, epoch, epoch_ms, iso, ymd, or a strptime-style "
                 "pattern such as \"%%m-%%d\" with default_year)", s);
    return TIDE_TIME_AUTO;
}

/* A 1-D tensor of n elements over the reader's column buffer *buf (64-byte aligned, from
 * aligned_alloc, so tensor storage can own and free() it): no copy of the column. On success
 * *buf is set to NULL (ownership moved). */
static tide_tensor *adopt(tide_dtype dt, int64_t n, void **buf, size_t nbytes)
{
    int64_t zero = 0;
    tide_tensor *t = tide_tensor_new(dt, 1, &zero);
    tide_storage *s = t ? tide_storage_adopt(*buf, nbytes) : NULL;
    if (!t || !s) {
        tide_tensor_release(t);
        tide_errorf("read_csv: out of memory");
        return NULL;
    }
    tide_storage_release(t->storage);
    t->storage = s;
    t->shape[0] = n;
    t->strides[0] = 1;
    *buf = NULL;
    return t;
}

static int l_read_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    tide_csv_opts o;
    tide_csv_opts_init(&o);
    o.sep = opt_char(L, 2, "sep", ',');
    o.quote = opt_char(L, 2, "quote", '"');
    o.whitespace = opt_bool(L, 2, "whitespace", 0);
    o.header = opt_bool(L, 2, "header", 1);
    o.strict = opt_bool(L, 2, "strict", 0);
    o.nfields = opt_int(L, 2, "nfields", 0);
    o.max_rows = opt_int(L, 2, "max_rows", 0);
    int64_t chunk = opt_int(L, 2, "chunk", 4 << 20);
    if (chunk < 1) lt_errorf(L, "read_csv: chunk must be >= 1");
    o.chunk = (size_t)chunk;
    if (o.sep == 0 && !o.whitespace) lt_errorf(L, "read_csv: sep must be one byte");
    progress_t prog = {path, 0, 0};
    if (opt_bool(L, 2, "progress", 0)) {
        o.progress = show_progress;
        o.progress_ud = &prog;
    }
    lua_getfield(L, 2, "cols");
    int ct = lua_gettop(L);
    if (!lua_istable(L, ct)) lt_errorf(L, "read_csv: opts.cols must be a table of column specs");
    int ncols = (int)lua_objlen(L, ct);
    if (ncols < 1 || ncols > 64) lt_errorf(L, "read_csv: between 1 and 64 columns, got %d", ncols);
    tide_csv_col cols[64];
    memset(cols, 0, sizeof cols);
    for (int c = 0; c < ncols; c++) {
        lua_rawgeti(L, ct, c + 1);
        int s = lua_gettop(L);
        if (!lua_istable(L, s)) lt_errorf(L, "read_csv: cols[%d] must be a table", c + 1);
        lua_getfield(L, s, "type");
        const char *ty = lua_tostring(L, -1);
        if (!ty) lt_errorf(L, "read_csv: cols[%d].type missing (id, int, float, time, line)", c + 1);
        if (!strcmp(ty, "id")) cols[c].type = TIDE_CSV_ID;
        else if (!strcmp(ty, "int")) cols[c].type = TIDE_CSV_INT;
        else if (!strcmp(ty, "float")) cols[c].type = TIDE_CSV_FLOAT;
        else if (!strcmp(ty, "time")) cols[c].type = TIDE_CSV_TIME;
        else if (!strcmp(ty, "line")) cols[c].type = TIDE_CSV_LINE;
        else lt_errorf(L, "read_csv: cols[%d].type '%s' unknown (id, int, float, time, line)", c + 1, ty);
        lua_pop(L, 1);
        lua_getfield(L, s, "name");
        cols[c].name = lua_tostring(L, -1); /* anchored by opts.cols[c] */
        lua_pop(L, 1);
        lua_getfield(L, s, "index");
        if (lua_isnumber(L, -1)) cols[c].index = (int)lua_tointeger(L, -1) - 1;
        else if (!cols[c].name && cols[c].type != TIDE_CSV_LINE)
            lt_errorf(L, "read_csv: cols[%d] needs a name or a 1-based index", c + 1);
        lua_pop(L, 1);
        lua_getfield(L, s, "time");
        cols[c].time_fmt = time_fmt(L, lua_tostring(L, -1));
        cols[c].time_pattern = lua_tostring(L, -1); /* anchored by opts.cols[c] */
        lua_pop(L, 1);
        if (cols[c].time_fmt == TIDE_TIME_PATTERN) {
            lua_getfield(L, s, "default_year");
            if (!lua_isnil(L, -1) && !lua_isnumber(L, -1)) lt_errorf(L, "read_csv: default_year must be a number");
            cols[c].default_year = (int)lua_tointeger(L, -1);
            lua_pop(L, 1);
            if (tide_time_pattern_check(cols[c].time_pattern, cols[c].default_year) < 0) return lt_error(L, "read_csv");
        }
        cols[c].optional = opt_bool(L, s, "optional", 0);
        if (cols[c].type == TIDE_CSV_ID) {
            lua_getfield(L, s, "intern");
            cols[c].intern = lt_check_intern(L, lua_gettop(L), "read_csv");
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    tide_csv_result res;
    int rc = tide_csv_read(path, &o, cols, ncols, &res);
    if (prog.shown) fprintf(stderr, "\r%*s\r", 60, "");
    if (rc != TIDE_OK) {
        tide_csv_result_free(&res);
        return lt_error(L, "read_csv");
    }
    /* build every tensor before pushing, so a failure frees everything in one place */
    tide_tensor *ts[64] = {0};
    int64_t n = res.n;
    for (int c = 0; c < ncols; c++) {
        tide_dtype dt = res.types[c] == TIDE_CSV_ID ? TIDE_I32 : res.types[c] == TIDE_CSV_FLOAT ? TIDE_F32 : TIDE_I64;
        ts[c] = n ? adopt(dt, n, &res.cols[c], (size_t)res.cap * tide_dtype_size(dt))
                  : tide_tensor_new(dt, 1, &n);
        if (!ts[c]) {
            for (int k = 0; k < c; k++) tide_tensor_release(ts[k]);
            tide_csv_result_free(&res);
            return lt_error(L, "read_csv");
        }
    }
    tide_csv_result_free(&res);
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, "n");
    lua_createtable(L, ncols, 0);
    for (int c = 0; c < ncols; c++) {
        lt_push_tensor(L, ts[c], "read_csv");
        lua_rawseti(L, -2, c + 1);
    }
    lua_setfield(L, -2, "cols");
    lua_createtable(L, 0, TIDE_BAD_NREASONS);
    for (int k = 0; k < TIDE_BAD_NREASONS; k++) {
        lua_pushnumber(L, (lua_Number)res.bad[k]);
        lua_setfield(L, -2, tide_csv_reason_names[k]);
    }
    lua_setfield(L, -2, "bad");
    lua_pushnumber(L, (lua_Number)res.lines);
    lua_setfield(L, -2, "lines");
    lua_pushnumber(L, (lua_Number)res.blank);
    lua_setfield(L, -2, "blank");
    lua_pushnumber(L, (lua_Number)res.quoted_lines);
    lua_setfield(L, -2, "quoted_lines");
    lua_pushnumber(L, (lua_Number)res.bytes);
    lua_setfield(L, -2, "bytes");
    lua_pushnumber(L, (lua_Number)res.header_fields);
    lua_setfield(L, -2, "header_fields");
    lua_pushstring(L, res.first_bad);
    lua_setfield(L, -2, "first_bad");
    return 1;
}

/* parse_time(string [, fmt [, default_year]]) -> epoch seconds or nil (the reader's parser) */
static int l_parse_time(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n), *fs = luaL_optstring(L, 2, "auto");
    tide_time_fmt f = time_fmt(L, fs);
    int dy = (int)luaL_optinteger(L, 3, 0);
    if (f == TIDE_TIME_PATTERN && tide_time_pattern_check(fs, dy) < 0) return lt_error(L, "parse_time");
    int64_t v;
    if (f == TIDE_TIME_PATTERN ? tide_parse_time_pattern(s, s + n, fs, dy, &v) : tide_parse_time(s, s + n, f, &v))
        lua_pushnumber(L, (lua_Number)v);
    else lua_pushnil(L);
    return 1;
}

static const luaL_Reg intern_methods[] = {
    {"id", i_id}, {"add", i_add}, {"name", i_name}, {"size", i_size}, {"names", i_names},
    {"serialize", i_serialize}, {"free", i_free}, {NULL, NULL}};

static const luaL_Reg funcs[] = {
    {"interner", l_interner}, {"interner_from", l_interner_from},
    {"interner_range", l_interner_range},
    {"interner_remap", l_interner_remap}, {"read_csv", l_read_csv},
    {"parse_time", l_parse_time}, {NULL, NULL}};

int lt_open_data(lua_State *L)
{
    if (luaL_newmetatable(L, LT_INTERN_MT)) {
        lua_newtable(L);
        lt_register(L, intern_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, i_free);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, i_size);
        lua_setfield(L, -2, "__len");
        lua_pushcfunction(L, i_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lt_register(L, funcs);
    lt_register(L, lt_data_seq_funcs);
    lt_register(L, lt_data_ds_funcs);
    lt_register(L, lt_data_feat_funcs);
    return 1;
}
