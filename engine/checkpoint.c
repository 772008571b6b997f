/* checkpoint.c — the checkpoint file format, atomic writer and validating reader.
 *
 * FORMAT (version 1). All integers little-endian, no padding, no alignment.
 *
 *   offset  size  field
 *   0       8     magic "TIDECKPT"
 *   8       4     u32 version (1)
 *   12      4     u32 flags (0; readers refuse unknown bits)
 *   16      4     u32 tensor count
 *   20      4     u32 metadata count
 *   then, per tensor:
 *           4     u32 name length L (1..4095), then L bytes of name (UTF-8, no NUL)
 *           4     u32 dtype (0 = f32, 1 = i32, 2 = i64)
 *           4     u32 ndim (0..8), then ndim x u64 sizes
 *           8     u64 data length in bytes (= product of sizes x dtype size)
 *           4     u32 CRC-32 (zlib polynomial) of the data bytes
 *           ...   data: the elements in row-major order, little-endian
 *   then, per metadata entry:
 *           4     u32 key length K (1..4095), then K bytes of key
 *           1     u8 type: 0 = number, 1 = string
 *           8     number: IEEE-754 f64   |  4 + S: u32 length S, then S bytes of string
 *   last    4     u32 CRC-32 of every byte before it (header, names, shapes, metadata)
 *
 * The per-tensor CRC says WHICH tensor is damaged; the trailing CRC covers the structure.
 * The reader checks every length against the bytes left in the file before allocating, so a
 * corrupt count or size cannot trigger a huge allocation, and it reports the first problem
 * with the file name and byte offset.
 *
 * The same writer and reader serve files and memory (tide_checkpoint_encode / _parse), so a
 * checkpoint embedded in another file is byte for byte the file save would write. */
#include "checkpoint.h"

#include "atomic_file.h"
#include "limit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char MAGIC[8] = {'T', 'I', 'D', 'E', 'C', 'K', 'P', 'T'};

static int host_is_le(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* ---- writer ---- */

/* The writer streams to a FILE (the atomic file) or, with f == NULL, appends to a growing
 * memory buffer (tide_checkpoint_encode): one code path, so both give the same bytes. */
typedef struct {
    FILE *f;
    uint8_t *buf; /* memory sink (owned until handed out) */
    size_t len, cap;
    uLong crc; /* running CRC of everything written */
    int err;
} wr;

static int grow(wr *w, size_t n)
{
    if (n <= w->cap - w->len) return 1;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->len < n) {
        if (cap > SIZE_MAX / 2) return 0;
        cap *= 2;
    }
    uint8_t *b = realloc(w->buf, cap);
    if (!b) return 0;
    w->buf = b;
    w->cap = cap;
    return 1;
}

static void put(wr *w, const void *p, size_t n)
{
    if (w->err || n == 0) return;
    if (w->f) {
        if (fwrite(p, 1, n, w->f) != n) w->err = errno ? errno : EIO;
    } else if (grow(w, n)) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
    } else {
        tide_errorf("out of memory (%zu bytes)", w->len + n);
        w->err = ENOMEM;
    }
    w->crc = crc32(w->crc, p, (uInt)n);
}

static void put_u32(wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 4);
}

static void put_u64(wr *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, 8);
}

/* Data bytes of a contiguous tensor in little-endian order (swapped copy on BE hosts). */
static void put_data(wr *w, const tide_tensor *t, size_t nbytes)
{
    const uint8_t *p = tide_tensor_data(t);
    size_t es = tide_dtype_size(t->dtype);
    if (host_is_le()) {
        /* large blocks: CRC and write without an extra copy (put caps at uInt) */
        for (size_t off = 0; off < nbytes; off += 1u << 30) {
            size_t len = nbytes - off < (1u << 30) ? nbytes - off : (1u << 30);
            put(w, p + off, len);
        }
        return;
    }
    uint8_t buf[4096];
    for (size_t off = 0; off < nbytes; off += sizeof buf) {
        size_t len = nbytes - off < sizeof buf ? nbytes - off : sizeof buf;
        for (size_t i = 0; i < len; i++) buf[i] = p[off + (i / es) * es + (es - 1 - i % es)];
        put(w, buf, len);
    }
}

static uint32_t data_crc(const tide_tensor *t, size_t nbytes)
{
    /* CRC of the little-endian bytes: on LE hosts the memory itself */
    const uint8_t *p = tide_tensor_data(t);
    size_t es = tide_dtype_size(t->dtype);
    uLong c = crc32(0L, Z_NULL, 0);
    if (host_is_le()) {
        for (size_t off = 0; off < nbytes; off += 1u << 30) {
            size_t len = nbytes - off < (1u << 30) ? nbytes - off : (1u << 30);
            c = crc32(c, p + off, (uInt)len);
        }
        return (uint32_t)c;
    }
    for (size_t i = 0; i < nbytes; i++) {
        uint8_t b = p[(i / es) * es + (es - 1 - i % es)];
        c = crc32(c, &b, 1);
    }
    return (uint32_t)c;
}

static int check_save_args(const char *path, int n, const char *const *names,
                           tide_tensor *const *tensors, int nmeta, const tide_ckpt_meta *meta)
{
    if (!path || !*path) return tide_errorf("checkpoint save: empty path");
    if (n < 0 || nmeta < 0) return tide_errorf("checkpoint save %s: negative count", path);
    for (int i = 0; i < n; i++) {
        size_t len = names[i] ? strlen(names[i]) : 0;
        if (len == 0 || len >= TIDE_CKPT_MAX_NAME)
            return tide_errorf("checkpoint save %s: tensor %d has an empty or too long name", path, i + 1);
        if (!tensors[i]) return tide_errorf("checkpoint save %s: tensor '%s' is missing", path, names[i]);
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return tide_errorf("checkpoint save %s: duplicate tensor name '%s'", path, names[i]);
    }
    for (int i = 0; i < nmeta; i++) {
        size_t len = meta[i].key ? strlen(meta[i].key) : 0;
        if (len == 0 || len >= TIDE_CKPT_MAX_NAME)
            return tide_errorf("checkpoint save %s: metadata key %d is empty or too long", path, i + 1);
        if (meta[i].is_string && !meta[i].str)
            return tide_errorf("checkpoint save %s: metadata '%s' has no string", path, meta[i].key);
    }
    return TIDE_OK;
}

/* Everything after the argument checks: header, tensors, metadata, trailing CRC. */
static void write_all(wr *w, int n, const char *const *names, tide_tensor *const *tensors,
                      int nmeta, const tide_ckpt_meta *meta)
{
    put(w, MAGIC, 8);
    put_u32(w, TIDE_CKPT_VERSION);
    put_u32(w, 0);
    put_u32(w, (uint32_t)n);
    put_u32(w, (uint32_t)nmeta);
    for (int i = 0; i < n && !w->err; i++) {
        tide_tensor *c = tide_tensor_contiguous(tensors[i]);
        if (!c) {
            w->err = ENOMEM;
            break;
        }
        size_t nbytes = (size_t)tide_tensor_numel(c) * tide_dtype_size(c->dtype);
        uint32_t len = (uint32_t)strlen(names[i]);
        put_u32(w, len);
        put(w, names[i], len);
        put_u32(w, (uint32_t)c->dtype);
        put_u32(w, (uint32_t)c->ndim);
        for (int d = 0; d < c->ndim; d++) put_u64(w, (uint64_t)c->shape[d]);
        put_u64(w, (uint64_t)nbytes);
        put_u32(w, data_crc(c, nbytes));
        put_data(w, c, nbytes);
        tide_tensor_release(c);
    }
    for (int i = 0; i < nmeta && !w->err; i++) {
        uint32_t len = (uint32_t)strlen(meta[i].key);
        put_u32(w, len);
        put(w, meta[i].key, len);
        uint8_t type = meta[i].is_string ? 1 : 0;
        put(w, &type, 1);
        if (meta[i].is_string) {
            uint32_t sl = (uint32_t)strlen(meta[i].str);
            put_u32(w, sl);
            put(w, meta[i].str, sl);
        } else {
            uint64_t bits;
            memcpy(&bits, &meta[i].num, 8);
            put_u64(w, bits);
        }
    }
    put_u32(w, (uint32_t)w->crc); /* (put updates crc afterwards; irrelevant) */
}

/* ENOMEM carries the engine's message (tensor copy or buffer growth); others are errno. */
static int write_error(const wr *w, const char *name)
{
    char why[256];
    snprintf(why, sizeof why, "%s", w->err == ENOMEM ? tide_error() : strerror(w->err));
    return tide_errorf("checkpoint save %s: %s", name, why);
}

int tide_checkpoint_save(const char *path, int n, const char *const *names,
                         tide_tensor *const *tensors, int nmeta, const tide_ckpt_meta *meta)
{
    if (check_save_args(path, n, names, tensors, nmeta, meta) != TIDE_OK) return TIDE_ERR;
    tide_atomic_file af;
    if (tide_atomic_open(&af, path) != TIDE_OK) {
        tide_error_prefix("checkpoint save");
        return TIDE_ERR;
    }
    wr w = {af.f, NULL, 0, 0, crc32(0L, Z_NULL, 0), 0};
    write_all(&w, n, names, tensors, nmeta, meta);
    if (w.err) {
        write_error(&w, path);
        tide_atomic_abort(&af);
        return TIDE_ERR;
    }
    if (tide_atomic_commit(&af) != TIDE_OK) {
        tide_error_prefix("checkpoint save");
        return TIDE_ERR;
    }
    return TIDE_OK;
}

int tide_checkpoint_encode(const char *name, int n, const char *const *names,
                           tide_tensor *const *tensors, int nmeta, const tide_ckpt_meta *meta,
                           uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!name || !*name) name = "(memory)";
    if (check_save_args(name, n, names, tensors, nmeta, meta) != TIDE_OK) return TIDE_ERR;
    wr w = {NULL, NULL, 0, 0, crc32(0L, Z_NULL, 0), 0};
    write_all(&w, n, names, tensors, nmeta, meta);
    if (w.err) {
        free(w.buf);
        return write_error(&w, name);
    }
    *out = w.buf;
    *len = w.len;
    return TIDE_OK;
}

/* ---- reader ---- */

typedef struct {
    const char *path;
    const uint8_t *buf;
    size_t len, pos;
} rd;

static int need(rd *r, size_t n, const char *what)
{
    if (r->len - r->pos < n)
        return tide_errorf("checkpoint %s: truncated file: %s at byte %zu needs %zu bytes, %zu left",
                           r->path, what, r->pos, n, r->len - r->pos);
    return TIDE_OK;
}

static int get_u32(rd *r, uint32_t *v, const char *what)
{
    if (need(r, 4, what) != TIDE_OK) return TIDE_ERR;
    const uint8_t *b = r->buf + r->pos;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    r->pos += 4;
    return TIDE_OK;
}

static int get_u64(rd *r, uint64_t *v, const char *what)
{
    if (need(r, 8, what) != TIDE_OK) return TIDE_ERR;
    *v = 0;
    for (int i = 7; i >= 0; i--) *v = *v << 8 | r->buf[r->pos + i];
    r->pos += 8;
    return TIDE_OK;
}

/* a length-prefixed string (1..max-1 bytes) as a new NUL-terminated copy */
static char *get_str(rd *r, uint32_t max, const char *what)
{
    uint32_t len;
    if (get_u32(r, &len, what) != TIDE_OK) return NULL;
    if ((max && (len == 0 || len >= max)))
        return tide_errorf("checkpoint %s: corrupt file: %s length %u at byte %zu", r->path, what,
                           len, r->pos - 4), NULL;
    if (need(r, len, what) != TIDE_OK) return NULL;
    char *s = malloc((size_t)len + 1);
    if (!s) return tide_errorf("checkpoint %s: out of memory", r->path), NULL;
    memcpy(s, r->buf + r->pos, len);
    s[len] = 0;
    r->pos += len;
    return s;
}

static int read_tensor(rd *r, int i, char **name, tide_tensor **out)
{
    uint32_t dt, nd, crc;
    uint64_t nbytes, sz[TIDE_MAX_DIMS];
    if (!(*name = get_str(r, TIDE_CKPT_MAX_NAME, "tensor name"))) return TIDE_ERR;
    if (get_u32(r, &dt, "dtype") || get_u32(r, &nd, "ndim")) return TIDE_ERR;
    if (dt > TIDE_I64 || nd > TIDE_MAX_DIMS)
        return tide_errorf("checkpoint %s: corrupt file: tensor '%s' has dtype %u, ndim %u", r->path,
                           *name, dt, nd);
    uint64_t numel = 1;
    for (uint32_t d = 0; d < nd; d++) {
        if (get_u64(r, &sz[d], "shape")) return TIDE_ERR;
        if (sz[d] > (uint64_t)INT64_MAX || (sz[d] && numel > UINT64_MAX / sz[d]))
            return tide_errorf("checkpoint %s: corrupt file: tensor '%s' has an impossible shape",
                               r->path, *name);
        numel *= sz[d];
    }
    if (get_u64(r, &nbytes, "data length") || get_u32(r, &crc, "checksum")) return TIDE_ERR;
    size_t es = tide_dtype_size((tide_dtype)dt);
    if (numel > UINT64_MAX / es || nbytes != numel * es)
        return tide_errorf("checkpoint %s: corrupt file: tensor '%s' declares %llu data bytes for "
                           "its shape", r->path, *name, (unsigned long long)nbytes);
    if (need(r, (size_t)nbytes, "tensor data") != TIDE_OK) return TIDE_ERR;
    char what[96 + TIDE_CKPT_MAX_NAME];
    snprintf(what, sizeof what, "checkpoint %s: tensor '%s'", r->path, *name);
    if (tide_limit_check_bytes(nbytes, what) != TIDE_OK) return TIDE_ERR;
    const uint8_t *data = r->buf + r->pos;
    uLong c = crc32(0L, Z_NULL, 0);
    for (uint64_t off = 0; off < nbytes; off += 1u << 30) {
        uint64_t len = nbytes - off < (1u << 30) ? nbytes - off : (1u << 30);
        c = crc32(c, data + off, (uInt)len);
    }
    if (TIDE_CRC_BAD((uint32_t)c, crc))
        return tide_errorf("checkpoint %s: corrupt file: checksum mismatch in tensor '%s' (#%d)",
                           r->path, *name, i + 1);
    int64_t shape[TIDE_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++) shape[d] = (int64_t)sz[d];
    tide_tensor *t = tide_tensor_new((tide_dtype)dt, (int)nd, shape);
    if (!t) {
        char pre[TIDE_CKPT_MAX_NAME + 300];
        snprintf(pre, sizeof pre, "checkpoint %s: tensor '%s'", r->path, *name);
        tide_error_prefix(pre);
        return TIDE_ERR;
    }
    uint8_t *dst = tide_tensor_data(t);
    if (host_is_le()) memcpy(dst, data, (size_t)nbytes);
    else
        for (size_t b = 0; b < nbytes; b++) dst[(b / es) * es + (es - 1 - b % es)] = data[b];
    r->pos += (size_t)nbytes;
    *out = t;
    return TIDE_OK;
}

static int read_meta(rd *r, tide_ckpt_meta *m)
{
    if (!(m->key = get_str(r, TIDE_CKPT_MAX_NAME, "metadata key"))) return TIDE_ERR;
    if (need(r, 1, "metadata type") != TIDE_OK) return TIDE_ERR;
    uint8_t type = r->buf[r->pos++];
    if (type == 0) {
        uint64_t bits;
        if (get_u64(r, &bits, "metadata number")) return TIDE_ERR;
        memcpy(&m->num, &bits, 8);
        return TIDE_OK;
    }
    if (type != 1)
        return tide_errorf("checkpoint %s: corrupt file: metadata '%s' has type %u", r->path, m->key, type);
    m->is_string = 1;
    return (m->str = get_str(r, 0, "metadata string")) ? TIDE_OK : TIDE_ERR;
}

static int parse(rd *r, tide_checkpoint *c)
{
    uint32_t version, flags, n, nmeta, crc;
    if (r->len < 8 || memcmp(r->buf, MAGIC, 8) != 0)
        return tide_errorf("checkpoint %s: not a Tide checkpoint (bad magic)", r->path);
    r->pos = 8;
    if (get_u32(r, &version, "version")) return TIDE_ERR;
    if (version != TIDE_CKPT_VERSION)
        return tide_errorf("checkpoint %s: unsupported format version %u (this build reads %d)",
                           r->path, version, TIDE_CKPT_VERSION);
    if (get_u32(r, &flags, "flags") || get_u32(r, &n, "tensor count") ||
        get_u32(r, &nmeta, "metadata count"))
        return TIDE_ERR;
    if (flags != 0) return tide_errorf("checkpoint %s: unknown flags 0x%x", r->path, flags);
    /* the smallest tensor entry takes 25 bytes, the smallest metadata entry 10: larger
     * counts than the file can hold are corruption */
    if (n > r->len / 25 || nmeta > r->len / 10)
        return tide_errorf("checkpoint %s: corrupt file: %u tensors / %u metadata entries cannot "
                           "fit in %zu bytes", r->path, n, nmeta, r->len);
    c->names = calloc(n ? n : 1, sizeof *c->names);
    c->tensors = calloc(n ? n : 1, sizeof *c->tensors);
    c->meta = calloc(nmeta ? nmeta : 1, sizeof *c->meta);
    if (!c->names || !c->tensors || !c->meta) return tide_errorf("checkpoint %s: out of memory", r->path);
    for (uint32_t i = 0; i < n; i++) {
        c->n = (int)i + 1; /* so free() sees partial entries */
        if (read_tensor(r, (int)i, &c->names[i], &c->tensors[i]) != TIDE_OK) return TIDE_ERR;
    }
    for (uint32_t i = 0; i < nmeta; i++) {
        c->nmeta = (int)i + 1;
        if (read_meta(r, &c->meta[i]) != TIDE_OK) return TIDE_ERR;
    }
    size_t body = r->pos;
    if (get_u32(r, &crc, "trailing checksum")) return TIDE_ERR;
    if (r->pos != r->len)
        return tide_errorf("checkpoint %s: corrupt file: %zu unexpected bytes after the end",
                           r->path, r->len - r->pos);
    uLong want = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < body; off += 1u << 30) {
        size_t len = body - off < (1u << 30) ? body - off : (1u << 30);
        want = crc32(want, r->buf + off, (uInt)len);
    }
    if (TIDE_CRC_BAD((uint32_t)want, crc))
        return tide_errorf("checkpoint %s: corrupt file: header/metadata checksum mismatch", r->path);
    return TIDE_OK;
}

tide_checkpoint *tide_checkpoint_parse(const void *buf, size_t len, const char *name)
{
    if (!name || !*name) name = "(memory)";
    if (!buf && len) return tide_errorf("checkpoint %s: no bytes", name), NULL;
    tide_checkpoint *c = calloc(1, sizeof *c);
    if (!c) return tide_errorf("checkpoint %s: out of memory", name), NULL;
    rd r = {name, buf, len, 0};
    if (parse(&r, c) != TIDE_OK) {
        tide_checkpoint_free(c);
        return NULL;
    }
    return c;
}

tide_checkpoint *tide_checkpoint_load(const char *path)
{
    if (!path || !*path) return tide_errorf("checkpoint load: empty path"), NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return tide_errorf("checkpoint %s: cannot open: %s", path, strerror(errno)), NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return tide_errorf("checkpoint %s: not a regular file", path), NULL;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        fclose(f);
        return tide_errorf("checkpoint %s: out of memory reading %zu bytes", path, len), NULL;
    }
    size_t got = fread(buf, 1, len, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || got != len) {
        free(buf);
        return tide_errorf("checkpoint %s: read error", path), NULL;
    }
    tide_checkpoint *c = tide_checkpoint_parse(buf, len, path);
    free(buf);
    return c;
}

void tide_checkpoint_free(tide_checkpoint *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        if (c->names) free(c->names[i]);
        if (c->tensors) tide_tensor_release(c->tensors[i]);
    }
    for (int i = 0; i < c->nmeta; i++) {
        free(c->meta[i].key);
        free(c->meta[i].str);
    }
    free(c->names);
    free(c->tensors);
    free(c->meta);
    free(c);
}
