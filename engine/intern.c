/* intern.c — open-addressing id interner (see intern.h for the contract).
 *
 * Linear probing keeps lookups to one or two cache lines at load <= 1/2. Each slot holds
 * only the 32-bit id; the full hash is kept per id so a probe compares hashes before bytes
 * and a resize rehashes without touching the arena. Canonical decimal keys take a second
 * table keyed by their value (see intern.h). */
#include "intern.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t mix(uint64_t h)
{
    /* finaliser of MurmurHash3 (Appleby), a cheap full-avalanche 64-bit mix */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t tide_hash_bytes(const char *p, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0x100000001b3ULL);
    while (len >= 8) {
        h = (h ^ load64(p)) * 0x2127599bf4325c37ULL;
        h ^= h >> 47;
        p += 8;
        len -= 8;
    }
    uint64_t t = 0;
    if (len >= 4) { /* two overlapping 4-byte loads cover 4..7 tail bytes without a loop */
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + len - 4, 4);
        t = (uint64_t)a | ((uint64_t)b << 32);
    } else {
        for (size_t i = 0; i < len; i++) t |= (uint64_t)(unsigned char)p[i] << (8 * i);
    }
    h = (h ^ t) * 0x2127599bf4325c37ULL;
    return mix(h);
}

tide_intern *tide_intern_new(uint64_t expected)
{
    tide_intern *in = calloc(1, sizeof *in);
    if (!in) goto oom;
    uint64_t cap = 64;
    while (cap < 2 * expected) cap <<= 1;
    in->cap = cap;
    in->slots = calloc(cap, sizeof *in->slots);
    in->icap = cap;
    in->islots = calloc(cap, sizeof *in->islots);
    in->n_alloc = expected > 16 ? expected : 16;
    in->hashes = malloc(in->n_alloc * sizeof *in->hashes);
    in->offs = malloc((in->n_alloc + 1) * sizeof *in->offs);
    in->arena_cap = 1024;
    in->arena = malloc(in->arena_cap);
    if (!in->slots || !in->islots || !in->hashes || !in->offs || !in->arena) goto oom;
    in->offs[0] = 0;
    return in;
oom:
    tide_intern_free(in);
    tide_errorf("intern: out of memory");
    return NULL;
}

void tide_intern_free(tide_intern *in)
{
    if (!in) return;
    free(in->slots);
    free(in->islots);
    free(in->hashes);
    free(in->offs);
    free(in->arena);
    free(in);
}

static int grow_table(tide_intern *in)
{
    uint64_t cap = in->cap * 2;
    uint32_t *s = calloc(cap, sizeof *s);
    if (!s) return tide_errorf("intern: out of memory growing the table to %llu slots",
                               (unsigned long long)cap);
    for (uint64_t j = 0; j < in->cap; j++) { /* the old table holds exactly the string ids */
        uint32_t id = in->slots[j];
        if (!id) continue;
        uint64_t i = in->hashes[id - 1] & (cap - 1);
        while (s[i]) i = (i + 1) & (cap - 1);
        s[i] = id;
    }
    free(in->slots);
    in->slots = s;
    in->cap = cap;
    return TIDE_OK;
}

static inline uint64_t int_hash(uint64_t v) { return mix(v + 0x9e3779b97f4a7c15ULL); }

static int grow_itable(tide_intern *in)
{
    uint64_t cap = in->icap * 2;
    tide_intern_islot *s = calloc(cap, sizeof *s);
    if (!s) return tide_errorf("intern: out of memory growing the table to %llu slots",
                               (unsigned long long)cap);
    for (uint64_t j = 0; j < in->icap; j++) {
        if (!in->islots[j].id) continue;
        uint64_t i = int_hash(in->islots[j].key) & (cap - 1);
        while (s[i].id) i = (i + 1) & (cap - 1);
        s[i] = in->islots[j];
    }
    free(in->islots);
    in->islots = s;
    in->icap = cap;
    return TIDE_OK;
}

/* 1 and *v set if key is a canonical decimal of at most 18 digits. */
static inline int canon_int(const char *key, size_t len, uint64_t *v)
{
    if (len == 0 || len > 18 || (key[0] == '0' && len > 1)) return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)key[i] - '0';
        if (d > 9) return 0;
        x = x * 10 + d;
    }
    *v = x;
    return 1;
}

static inline int key_eq(const tide_intern *in, uint32_t id, uint64_t h, const char *key,
                         size_t len)
{
    if (in->hashes[id - 1] != h) return 0;
    uint64_t a = in->offs[id - 1], b = in->offs[id];
    if (b - a != len) return 0;
    const char *k2 = in->arena + a;
    for (size_t i = 0; i < len; i++) /* keys are short: a loop beats a memcmp call */
        if (k2[i] != key[i]) return 0;
    return 1;
}

int64_t tide_intern_find(const tide_intern *in, const char *key, size_t len)
{
    uint64_t v;
    if (canon_int(key, len, &v)) {
        uint64_t m = in->icap - 1;
        for (uint64_t i = int_hash(v) & m;; i = (i + 1) & m) {
            if (!in->islots[i].id) return 0;
            if (in->islots[i].key == v) return in->islots[i].id;
        }
    }
    uint64_t h = tide_hash_bytes(key, len), m = in->cap - 1;
    for (uint64_t i = h & m;; i = (i + 1) & m) {
        uint32_t id = in->slots[i];
        if (!id) return 0;
        if (key_eq(in, id, h, key, len)) return id;
    }
}

/* Appends key as id n+1 (hash h kept for string-table rehashing). */
static int64_t append_key(tide_intern *in, const char *key, size_t len, uint64_t h)
{
    if (in->n >= 0x7fffffffULL) return tide_errorf("intern: more than 2^31-1 distinct ids");
    if (in->n == in->n_alloc) {
        uint64_t na = in->n_alloc * 2;
        uint64_t *hs = realloc(in->hashes, na * sizeof *hs);
        if (!hs) return tide_errorf("intern: out of memory");
        in->hashes = hs;
        uint64_t *os = realloc(in->offs, (na + 1) * sizeof *os);
        if (!os) return tide_errorf("intern: out of memory");
        in->offs = os;
        in->n_alloc = na;
    }
    if (in->arena_len + len > in->arena_cap) {
        uint64_t ac = in->arena_cap * 2;
        while (ac < in->arena_len + len) ac *= 2;
        char *a = realloc(in->arena, ac);
        if (!a) return tide_errorf("intern: out of memory growing the key arena");
        in->arena = a;
        in->arena_cap = ac;
    }
    if (len) memcpy(in->arena + in->arena_len, key, len);
    in->arena_len += len;
    uint32_t id = (uint32_t)(++in->n);
    in->hashes[id - 1] = h;
    in->offs[id] = in->arena_len;
    return id;
}

int64_t tide_intern_add(tide_intern *in, const char *key, size_t len)
{
    uint64_t v;
    if (canon_int(key, len, &v)) {
        uint64_t m = in->icap - 1, i = int_hash(v) & m;
        for (;; i = (i + 1) & m) {
            if (!in->islots[i].id) break;
            if (in->islots[i].key == v) return in->islots[i].id;
        }
        int64_t id = append_key(in, key, len, 0);
        if (id < 0) return id;
        in->islots[i].key = v;
        in->islots[i].id = (uint32_t)id;
        if (2 * ++in->n_int > in->icap && grow_itable(in) != TIDE_OK) return TIDE_ERR;
        return id;
    }
    uint64_t h = tide_hash_bytes(key, len), m = in->cap - 1, i = h & m;
    for (;; i = (i + 1) & m) {
        uint32_t id = in->slots[i];
        if (!id) break;
        if (key_eq(in, id, h, key, len)) return id;
    }
    int64_t id = append_key(in, key, len, h);
    if (id < 0) return id;
    in->slots[i] = (uint32_t)id;
    if (2 * ++in->n_str > in->cap && grow_table(in) != TIDE_OK) return TIDE_ERR;
    return id;
}

int64_t tide_intern_add_int(tide_intern *in, int64_t v)
{
    char buf[24], *e = buf + sizeof buf, *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return tide_intern_add(in, p, (size_t)(e - p));
}

const char *tide_intern_name(const tide_intern *in, int64_t id, size_t *len)
{
    if (id < 1 || (uint64_t)id > in->n) return NULL;
    *len = in->offs[id] - in->offs[id - 1];
    return in->arena + in->offs[id - 1];
}

tide_intern *tide_intern_from_arena(const char *arena, uint64_t arena_len, const uint64_t *offs,
                                    uint64_t n)
{
    if (offs[0] != 0 || offs[n] != arena_len) {
        tide_errorf("intern: serialized offsets do not span the key bytes");
        return NULL;
    }
    tide_intern *in = tide_intern_new(n);
    if (!in) return NULL;
    for (uint64_t i = 0; i < n; i++) {
        if (offs[i + 1] < offs[i]) {
            tide_intern_free(in);
            tide_errorf("intern: serialized offsets decrease at key %llu", (unsigned long long)i + 1);
            return NULL;
        }
        int64_t id = tide_intern_add(in, arena + offs[i], offs[i + 1] - offs[i]);
        if (id != (int64_t)i + 1) {
            tide_intern_free(in);
            if (id > 0) tide_errorf("intern: serialized key %llu repeats key %lld",
                                    (unsigned long long)i + 1, (long long)id);
            return NULL;
        }
    }
    return in;
}

tide_intern *tide_intern_remap(const tide_intern *in, const int32_t *map)
{
    tide_intern *out = tide_intern_new(in->n);
    if (!out) return NULL;
    for (uint64_t j = 0; j < in->n; j++) {
        if (map[j] <= 0) continue;
        size_t len = 0;
        const char *k = tide_intern_name(in, (int64_t)j + 1, &len);
        int64_t id = tide_intern_add(out, k, len);
        if (id != map[j]) {
            tide_intern_free(out);
            if (id > 0) tide_errorf("intern: remap is not increasing at id %llu", (unsigned long long)j + 1);
            return NULL;
        }
    }
    return out;
}
