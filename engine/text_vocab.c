/* text_vocab.c — token vocabulary: an open-addressing hash table from token bytes to dense
 * 0-based ids with counts, pruning by min-count / max-size, and a checksummed text format.
 *
 * Tokens are stored back to back in one arena (offsets, not pointers, so the arena can grow).
 * The table uses linear probing at load <= 1/2 over FNV-1a hashes. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "atomic_file.h"
#include "text.h"

typedef struct {
    size_t off;    /* into arena */
    uint32_t len;
    int64_t count;
    uint64_t hash;
} entry;

struct tide_vocab {
    entry *e;       /* by id */
    size_t n, cap;
    int64_t *slot;  /* hash slots: id or -1 */
    size_t nslot;   /* power of two */
    char *arena;
    size_t arena_n, arena_cap;
};

tide_vocab *tide_vocab_new(void)
{
    tide_vocab *v = calloc(1, sizeof *v);
    if (!v) { tide_errorf("vocab: out of memory"); return NULL; }
    v->nslot = 1024;
    v->slot = malloc(v->nslot * sizeof *v->slot);
    if (!v->slot) { free(v); tide_errorf("vocab: out of memory"); return NULL; }
    memset(v->slot, 0xff, v->nslot * sizeof *v->slot);
    return v;
}

void tide_vocab_free(tide_vocab *v)
{
    if (!v) return;
    free(v->e);
    free(v->slot);
    free(v->arena);
    free(v);
}

int64_t tide_vocab_size(const tide_vocab *v) { return (int64_t)v->n; }

static int64_t find(const tide_vocab *v, const char *tok, size_t len, uint64_t h, size_t *where)
{
    size_t mask = v->nslot - 1, s = (size_t)h & mask;
    for (;;) {
        int64_t id = v->slot[s];
        if (id < 0) { *where = s; return -1; }
        const entry *e = &v->e[id];
        if (e->hash == h && e->len == len && memcmp(v->arena + e->off, tok, len) == 0) {
            *where = s;
            return id;
        }
        s = (s + 1) & mask;
    }
}

int64_t tide_vocab_id(const tide_vocab *v, const char *tok, size_t len)
{
    size_t where;
    return find(v, tok, len, tide_fnv1a64(tok, len, TIDE_FNV_OFFSET), &where);
}

int64_t tide_vocab_id_hashed(const tide_vocab *v, const char *tok, size_t len, uint64_t h)
{
    size_t where;
    return find(v, tok, len, h, &where);
}

static int rehash(tide_vocab *v)
{
    size_t ns = v->nslot * 2;
    int64_t *slot = malloc(ns * sizeof *slot);
    if (!slot) return tide_errorf("vocab: out of memory (%zu slots)", ns);
    memset(slot, 0xff, ns * sizeof *slot);
    for (size_t id = 0; id < v->n; id++) {
        size_t s = (size_t)v->e[id].hash & (ns - 1);
        while (slot[s] >= 0) s = (s + 1) & (ns - 1);
        slot[s] = (int64_t)id;
    }
    free(v->slot);
    v->slot = slot;
    v->nslot = ns;
    return TIDE_OK;
}

int tide_vocab_add(tide_vocab *v, const char *tok, size_t len, int64_t count)
{
    uint64_t h = tide_fnv1a64(tok, len, TIDE_FNV_OFFSET);
    size_t where;
    int64_t id = find(v, tok, len, h, &where);
    if (id >= 0) { v->e[id].count += count; return TIDE_OK; }
    if (len > UINT32_MAX) return tide_errorf("vocab: token of %zu bytes is too long", len);
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        entry *e = realloc(v->e, cap * sizeof *e);
        if (!e) return tide_errorf("vocab: out of memory (%zu tokens)", cap);
        v->e = e;
        v->cap = cap;
    }
    if (v->arena_n + len > v->arena_cap) {
        size_t cap = v->arena_cap ? v->arena_cap : 4096;
        while (cap < v->arena_n + len) cap *= 2;
        char *a = realloc(v->arena, cap);
        if (!a) return tide_errorf("vocab: out of memory (%zu bytes)", cap);
        v->arena = a;
        v->arena_cap = cap;
    }
    memcpy(v->arena + v->arena_n, tok, len);
    v->e[v->n] = (entry){v->arena_n, (uint32_t)len, count, h};
    v->arena_n += len;
    v->slot[where] = (int64_t)v->n;
    v->n++;
    if (v->n * 2 > v->nslot) return rehash(v);
    return TIDE_OK;
}

int tide_vocab_add_text(tide_vocab *v, const char *s, size_t len, int flags, tide_units *u)
{
    int64_t n = tide_text_units(s, len, flags, u);
    if (n < 0) return TIDE_ERR;
    for (int64_t i = 0; i < n; i++)
        if (tide_vocab_add(v, tide_unit_str(u, (size_t)i), u->u[i].len, 1) != TIDE_OK)
            return TIDE_ERR;
    return TIDE_OK;
}

const char *tide_vocab_token(const tide_vocab *v, int64_t id, size_t *len, int64_t *count)
{
    if (id < 0 || (size_t)id >= v->n) return NULL;
    if (len) *len = v->e[id].len;
    if (count) *count = v->e[id].count;
    return v->arena + v->e[id].off;
}

static const tide_vocab *sort_ctx;
static int by_count(const void *a, const void *b)
{
    const entry *x = &sort_ctx->e[*(const int64_t *)a], *y = &sort_ctx->e[*(const int64_t *)b];
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(sort_ctx->arena + x->off, sort_ctx->arena + y->off, m);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

tide_vocab *tide_vocab_prune(const tide_vocab *v, int64_t min_count, int64_t max_size)
{
    int64_t *ids = malloc((v->n + 1) * sizeof *ids);
    tide_vocab *o = tide_vocab_new();
    if (!ids || !o) { free(ids); tide_vocab_free(o); tide_errorf("vocab: out of memory"); return NULL; }
    size_t k = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->e[i].count >= min_count) ids[k++] = (int64_t)i;
    sort_ctx = v; /* single-threaded build step; qsort has no context argument in C11 */
    qsort(ids, k, sizeof *ids, by_count);
    if (max_size > 0 && (size_t)max_size < k) k = (size_t)max_size;
    for (size_t i = 0; i < k; i++) {
        const entry *e = &v->e[ids[i]];
        if (tide_vocab_add(o, v->arena + e->off, e->len, e->count) != TIDE_OK) {
            free(ids);
            tide_vocab_free(o);
            return NULL;
        }
    }
    free(ids);
    return o;
}

/* ---- serialisation ---- */
char *tide_vocab_serialize(const tide_vocab *v, size_t *len)
{
    size_t cap = 64 + v->arena_n + v->n * 24 + 32;
    char *b = malloc(cap);
    if (!b) { tide_errorf("vocab: out of memory"); return NULL; }
    size_t k = (size_t)snprintf(b, cap, "tide-vocab 1 %zu\n", v->n);
    for (size_t i = 0; i < v->n; i++) {
        const char *t = v->arena + v->e[i].off;
        if (memchr(t, '\n', v->e[i].len) || memchr(t, '\t', v->e[i].len)) {
            free(b);
            tide_errorf("vocab: token %zu contains a tab or newline; cannot serialise", i);
            return NULL;
        }
        k += (size_t)snprintf(b + k, cap - k, "%lld\t", (long long)v->e[i].count);
        memcpy(b + k, v->arena + v->e[i].off, v->e[i].len);
        k += v->e[i].len;
        b[k++] = '\n';
    }
    unsigned long crc = crc32(0L, (const Bytef *)b, (uInt)k);
    k += (size_t)snprintf(b + k, cap - k, "crc32 %08lx\n", crc);
    *len = k;
    return b;
}

tide_vocab *tide_vocab_parse(const char *buf, size_t len, const char *what)
{
    size_t n;
    int hdr = 0;
    /* sscanf needs a NUL-terminated string and buf need not be one (a file or a Lua string
     * slice): the header and the checksum line are copied out first */
    char head[48] = {0};
    memcpy(head, buf, len < sizeof head - 1 ? len : sizeof head - 1);
    if (len < 16 || sscanf(head, "tide-vocab 1 %zu\n%n", &n, &hdr) != 1 || hdr == 0) {
        tide_errorf("%s: not a tide vocabulary (bad header)", what);
        return NULL;
    }
    /* the checksum line is the last line */
    size_t end = len;
    if (end > 0 && buf[end - 1] == '\n') end--;
    size_t ls = end;
    while (ls > 0 && buf[ls - 1] != '\n') ls--;
    unsigned long want;
    char tail[15] = {0};
    if (end - ls == 14) memcpy(tail, buf + ls, 14);
    if (end - ls != 14 || sscanf(tail, "crc32 %8lx", &want) != 1) {
        tide_errorf("%s: vocabulary truncated (no checksum line)", what);
        return NULL;
    }
    if (TIDE_CRC_BAD(crc32(0L, (const Bytef *)buf, (uInt)ls), want)) {
        tide_errorf("%s: vocabulary checksum mismatch (file corrupt)", what);
        return NULL;
    }
    tide_vocab *v = tide_vocab_new();
    if (!v) return NULL;
    size_t p = (size_t)hdr;
    for (size_t i = 0; i < n; i++) {
        const char *tab = memchr(buf + p, '\t', ls - p);
        const char *nl = tab ? memchr(tab, '\n', ls - (size_t)(tab - buf)) : NULL;
        if (!tab || !nl) {
            tide_errorf("%s: vocabulary line %zu malformed", what, i + 2);
            tide_vocab_free(v);
            return NULL;
        }
        long long c = 0; /* digits up to the tab only: strtoll would skip blanks and could run on */
        const char *d = buf + p;
        int neg = d < tab && *d == '-';
        for (d += neg; d < tab && *d >= '0' && *d <= '9' && c < (1LL << 60); d++) c = c * 10 + (*d - '0');
        if (d != tab || d == buf + p + neg) {
            tide_errorf("%s: vocabulary line %zu has a bad count", what, i + 2);
            tide_vocab_free(v);
            return NULL;
        }
        if (neg) c = -c;
        size_t before = v->n;
        if (tide_vocab_add(v, tab + 1, (size_t)(nl - tab - 1), c) != TIDE_OK) {
            tide_vocab_free(v);
            return NULL;
        }
        if (v->n != before + 1) {
            tide_errorf("%s: vocabulary line %zu repeats a token", what, i + 2);
            tide_vocab_free(v);
            return NULL;
        }
        p = (size_t)(nl - buf) + 1;
    }
    if (p != ls) {
        tide_errorf("%s: vocabulary has %s lines than its header says", what,
                    p < ls ? "more" : "fewer");
        tide_vocab_free(v);
        return NULL;
    }
    return v;
}

int tide_vocab_save(const tide_vocab *v, const char *path)
{
    size_t n;
    char *b = tide_vocab_serialize(v, &n);
    if (!b) return TIDE_ERR;
    int rc = tide_write_file_atomic(path, b, n);
    free(b);
    return rc;
}

tide_vocab *tide_vocab_load(const char *path)
{
    size_t n;
    char *b = tide_text_read_file(path, &n);
    if (!b) return NULL;
    tide_vocab *v = tide_vocab_parse(b, n, path);
    free(b);
    return v;
}
