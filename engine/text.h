/* text.h — text normalisation, CJK-aware tokenisation, vocabularies and hashed n-gram ids.
 *
 * Pipeline (each stage usable on its own):
 *   1. tide_text_normalize32: UTF-8 bytes -> code points. Invalid UTF-8 becomes U+FFFD (or an
 *      error with TIDE_TEXT_STRICT); U+FEFF/BOM, other format (Cf) characters, zero-width
 *      characters, variation selectors and control characters are removed (tab/newline become
 *      spaces) — except ZWJ, U+FE0F and tag characters inside an emoji sequence (ZWJ between
 *      two pictographs, VS16 after a pictograph or in a keycap, tags after U+1F3F4); then
 *      NFKC + case folding through utf8proc; whitespace runs collapse to one U+0020 and ends
 *      are trimmed.
 *   2. tide_text_units: normalised code points -> "units": one unit per CJK character (Han,
 *      kana), one per word of letters/digits (internal ' - joining letters, . , joining
 *      digits), one per number, one per punctuation/symbol character, one per emoji — an
 *      emoji sequence (ZWJ family/profession, skin tone, VS16, keycap, regional-indicator
 *      flag pair, tag flag) is one unit: its extended grapheme cluster (UAX #29, GB9-GB13).
 *   3. tide_vocab: unit strings -> dense 0-based ids, built with min-count and max-size.
 *   4. tide_text_ids: units -> vocabulary ids plus hashed ids of the n-grams of consecutive
 *      units (fastText-style bucket hashing, Joulin et al. 2016 "Bag of Tricks"): for CJK the
 *      n-grams are character bigrams/trigrams, for Latin text word n-grams.
 *
 * Hashing (documented so other tools can reproduce ids): h = FNV-1a 64-bit over the UTF-8
 * bytes of the units joined by the byte 0x1F; id = n_vocab + h % buckets. An out-of-vocabulary
 * unit is hashed the same way (its own bytes), so unseen words still land in a bucket. */
#ifndef TIDE_TEXT_H
#define TIDE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* ---- options ---- */
enum {
    TIDE_TEXT_STRICT = 1,     /* invalid UTF-8 is an error instead of U+FFFD */
    TIDE_TEXT_NO_PUNCT = 2,   /* tokenizer drops punctuation/symbol units */
    TIDE_TEXT_MASK_NUM = 4,   /* numbers become the unit "<num>" */
    TIDE_TEXT_DROP_NUM = 8,   /* numbers are dropped */
    TIDE_TEXT_NEG = 16,       /* ids: each of the TIDE_TEXT_NEG_WINDOW units after a negator
                               * also gets a marked hashed id (text_ids.c) */
};
#define TIDE_TEXT_NEG_WINDOW 3

typedef enum {
    TIDE_UNIT_WORD = 0, /* letters (maybe with digits) */
    TIDE_UNIT_NUM,      /* digits with optional . , separators */
    TIDE_UNIT_CJK,      /* one Han / kana character */
    TIDE_UNIT_PUNCT,    /* one punctuation or non-emoji symbol character */
    TIDE_UNIT_EMOJI,    /* one pictographic symbol (Unicode category So) */
} tide_unit_kind;

/* A growable code point buffer; zero-initialise, free with tide_u32buf_free. */
typedef struct {
    int32_t *cp;
    size_t n, cap;
} tide_u32buf;
void tide_u32buf_free(tide_u32buf *b);

/* Normalises len bytes of UTF-8 into out (overwritten). Returns the number of code points, or
 * TIDE_ERR (only with TIDE_TEXT_STRICT on invalid input, or on OOM). *n_invalid (may be NULL)
 * receives the number of invalid sequences replaced by U+FFFD. */
int64_t tide_text_normalize32(const char *s, size_t len, int flags, tide_u32buf *out,
                              int *n_invalid);

/* Same, as a NUL-terminated malloc'd UTF-8 string (caller frees); NULL + error on failure. */
char *tide_text_normalize(const char *s, size_t len, int flags, size_t *out_len, int *n_invalid);

/* 1 if cp has the Extended_Pictographic property (UTS #51; via utf8proc's boundclass). */
int tide_text_ext_pict(int32_t cp);

/* Encodes one code point as UTF-8 into buf (>= 4 bytes); returns the byte count. */
int tide_utf8_encode(int32_t cp, char *buf);

/* ---- units ---- */
typedef struct {
    uint32_t off, len; /* byte range in tide_units.text (or the static "<num>") */
    uint8_t kind;      /* tide_unit_kind */
} tide_unit;

/* The units of one text, reused across calls (zero-initialise, free with tide_units_free). */
typedef struct {
    char *text;        /* normalised UTF-8 */
    size_t text_len, text_cap;
    tide_unit *u;
    size_t n, cap;
    tide_u32buf cps;   /* scratch */
    int32_t *ids;      /* scratch for callers computing ids (freed by tide_units_free) */
    size_t ids_cap;
    int n_invalid;     /* invalid sequences replaced in the last call */
} tide_units;
void tide_units_free(tide_units *u);

/* Normalises and splits s into units. Returns the unit count or TIDE_ERR. */
int64_t tide_text_units(const char *s, size_t len, int flags, tide_units *out);
/* Pointer to the bytes of unit i (not NUL-terminated; length out->u[i].len). */
const char *tide_unit_str(const tide_units *us, size_t i);

/* ---- hashing ---- */
#define TIDE_FNV_OFFSET 0xcbf29ce484222325ULL
/* FNV-1a (Fowler, Noll, Vo): h ^= byte; h *= 1099511628211; start with TIDE_FNV_OFFSET.
 * Inline: the n-gram ids hash a few bytes per call, millions of times per batch. */
static inline uint64_t tide_fnv1a64(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
/* FNV-1a of units [i, i+n) joined by 0x1F. */
uint64_t tide_units_hash(const tide_units *us, size_t i, size_t n);

/* ---- vocabulary ---- */
typedef struct tide_vocab tide_vocab;

tide_vocab *tide_vocab_new(void);
void tide_vocab_free(tide_vocab *v);
/* Adds `count` occurrences of the token (inserting it if new). TIDE_ERR on OOM. */
int tide_vocab_add(tide_vocab *v, const char *tok, size_t len, int64_t count);
/* Adds every unit of s (normalised with flags). */
int tide_vocab_add_text(tide_vocab *v, const char *s, size_t len, int flags, tide_units *scratch);
/* A new vocabulary keeping tokens with count >= min_count, the max_size most frequent
 * (max_size <= 0: no limit); ids ordered by count descending, then bytes ascending. */
tide_vocab *tide_vocab_prune(const tide_vocab *v, int64_t min_count, int64_t max_size);
int64_t tide_vocab_size(const tide_vocab *v);
/* 0-based id, or -1 if absent. */
int64_t tide_vocab_id(const tide_vocab *v, const char *tok, size_t len);
/* Same, given h = tide_fnv1a64(tok, len, TIDE_FNV_OFFSET) already computed. */
int64_t tide_vocab_id_hashed(const tide_vocab *v, const char *tok, size_t len, uint64_t h);
/* Token bytes and count of id (NULL if out of range). */
const char *tide_vocab_token(const tide_vocab *v, int64_t id, size_t *len, int64_t *count);
/* Text file "tide-vocab 1 <n>\n", then "<count>\t<token>\n" per id, then "crc32 <hex>\n";
 * written atomically (temp file, fsync, rename). */
int tide_vocab_save(const tide_vocab *v, const char *path);
tide_vocab *tide_vocab_load(const char *path);
/* Serialise into / parse from a memory buffer (same format; used inside model files). */
char *tide_vocab_serialize(const tide_vocab *v, size_t *len);
tide_vocab *tide_vocab_parse(const char *buf, size_t len, const char *what);

/* ---- ids ---- */
typedef struct {
    int flags;        /* TIDE_TEXT_* */
    int ngrams;       /* max n of hashed unit n-grams (1 = unigrams only; at most 8) */
    int64_t buckets;  /* hash buckets (0 = no hashing: OOV units and n-grams are dropped) */
} tide_ids_opts;

/* Appends the ids of text s to *ids (growable int32 array with *n used, *cap allocated):
 * vocabulary ids of units (OOV -> hashed bucket), then hashed n-gram ids for n = 2..ngrams,
 * then (flag TIDE_TEXT_NEG, buckets > 0) the hashed ids of the negation-scoped units.
 * Returns the number appended or TIDE_ERR. v may be NULL (every unit hashed). */
int64_t tide_text_ids(const tide_vocab *v, const char *s, size_t len, const tide_ids_opts *o,
                      tide_units *scratch, int32_t **ids, size_t *n, size_t *cap);
/* Same but from units already computed. If pos is non-NULL it receives, per id, the span it
 * covers packed as first_unit * 8 + (n - 1) (n-grams are capped at n = 8). */
int64_t tide_units_ids(const tide_vocab *v, const tide_units *us, const tide_ids_opts *o,
                       int32_t **ids, int32_t **pos, size_t *n, size_t *cap);

/* ---- batches (text_batch.c) ---- */
/* fn(ctx, i, scratch) scores text i (0-based) with a per-thread tokenizer scratch. */
typedef int (*tide_text_job)(void *ctx, int64_t i, tide_units *scratch);
/* Calls fn for i in [0, n) split into contiguous chunks over TIDE_THREADS threads (default
 * the online CPUs, at most 8; one thread below 2048 texts). TIDE_ERR with a message
 * "<what>: text <i>: ..." naming the first failing text of a chunk. */
int tide_text_batch(int64_t n, tide_text_job fn, void *ctx, const char *what);

/* fn(ctx, lo, hi) handles indices [lo, hi). tide_parallel_for splits [0, n) into contiguous
 * ranges over the same threads (one thread below 2 * min_per_thread); fn must not fail. */
typedef void (*tide_range_job)(void *ctx, int64_t lo, int64_t hi);
void tide_parallel_for(int64_t n, int64_t min_per_thread, tide_range_job fn, void *ctx);

/* Reads a whole file (malloc'd, caller frees); NULL + error naming the path. */
char *tide_text_read_file(const char *path, size_t *n);

#endif
