/* intern.h — string/integer id interning into dense ids 1..N, with the reverse map kept.
 *
 * Keys are byte strings (an integer id is interned by its decimal text, so "42" from a CSV
 * and 42 from Lua meet at the same id). Open addressing with linear probing over a power-of-
 * two table of 32-bit ids; the key bytes live in one growing arena, so interning a known key
 * allocates nothing and a new key costs one memcpy. Ids are assigned in order of first
 * appearance, which makes them deterministic for a given input order.
 *
 * Ownership: tide_intern_new returns an owned interner freed with tide_intern_free.
 * Failures (out of memory, more than 2^31-1 keys) return a negative/NULL value with
 * tide_error() set. */
#ifndef TIDE_INTERN_H
#define TIDE_INTERN_H

#include <stddef.h>
#include <stdint.h>

/* Slot of the integer table: canonical decimal keys ("0", "42"; no sign, no leading zero,
 * at most 18 digits) are looked up by value, which is several times cheaper than hashing and
 * comparing bytes. Their text still goes to the arena, so names and serialization are the
 * same for both kinds. */
typedef struct {
    uint64_t key;
    uint32_t id; /* 0 = empty */
} tide_intern_islot;

typedef struct tide_intern {
    uint32_t *slots;   /* string-key table of ids (0 = empty), cap entries */
    uint64_t cap;      /* power of two */
    uint64_t n_str;    /* keys in the string table */
    tide_intern_islot *islots; /* integer-key table, icap entries */
    uint64_t icap, n_int;
    uint64_t n;        /* number of keys */
    uint64_t *hashes;  /* hash of key id-1, n_alloc entries */
    uint64_t *offs;    /* key id-1 spans arena[offs[id-1] .. offs[id]), n_alloc+1 entries */
    uint64_t n_alloc;
    char *arena;
    uint64_t arena_len, arena_cap;
} tide_intern;

tide_intern *tide_intern_new(uint64_t expected);
void tide_intern_free(tide_intern *in); /* NULL-safe */

/* Dense id (>= 1) of key, inserting it if new; -1 + error on allocation failure. */
int64_t tide_intern_add(tide_intern *in, const char *key, size_t len);
/* Dense id of key, or 0 if absent. */
int64_t tide_intern_find(const tide_intern *in, const char *key, size_t len);
/* Integer convenience: interns the decimal text of v. */
int64_t tide_intern_add_int(tide_intern *in, int64_t v);
/* Key bytes of id (1..n), not NUL-terminated; NULL if out of range. */
const char *tide_intern_name(const tide_intern *in, int64_t id, size_t *len);
static inline uint64_t tide_intern_size(const tide_intern *in) { return in->n; }

/* Rebuilds an interner from a serialized form (arena bytes + n+1 offsets); NULL + error if
 * the offsets are inconsistent or a key repeats. */
tide_intern *tide_intern_from_arena(const char *arena, uint64_t arena_len, const uint64_t *offs,
                                    uint64_t n);

/* New interner holding the keys of `in` whose map[old-1] > 0, with new id map[old-1]; the
 * map must number the kept ids 1..m in increasing old-id order (as tide_seq_compact_ids
 * does). NULL + error on OOM. */
tide_intern *tide_intern_remap(const tide_intern *in, const int32_t *map);

/* 64-bit hash of a byte string (multiply-mix over 8-byte words; not cryptographic). */
uint64_t tide_hash_bytes(const char *p, size_t len);

#endif
