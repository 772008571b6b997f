/* text_norm.c — UTF-8 decoding with replacement, character filtering and NFKC + case folding.
 *
 * Why a hand-written decoder: utf8proc rejects a whole string on the first invalid byte, but
 * review corpora contain stray bytes; we want U+FFFD per bad sequence (Unicode's "maximal
 * subpart" practice, simplified to one U+FFFD per byte that cannot start or continue a
 * well-formed sequence) and to keep the rest of the text.
 *
 * Why a per-character normalisation loop: ASCII and CJK unified ideographs (the bulk of the
 * corpora) are fixed points of NFKC (ASCII lower-cased for case folding), so they skip utf8proc;
 * other characters are decomposed one by one with utf8proc_decompose_char (compatibility +
 * case folding), put into canonical order, and recomposed by utf8proc_normalize_utf32.
 * The punctuation of Chinese text (U+3000-U+303F, the full-width forms U+FF00-U+FFEF) also
 * skips that: a table built once from utf8proc maps each of them whose NFKC-casefold image is
 * one starter that is ASCII or itself (full-width "，" -> ",", "。" -> "。"); such images are
 * never the second character of a composition, so a text made only of them, ASCII and Han
 * needs neither reordering nor recomposition (the whole-text pass was a tenth of scoring). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text.h"

void tide_u32buf_free(tide_u32buf *b)
{
    free(b->cp);
    b->cp = NULL;
    b->n = b->cap = 0;
}

static int u32_reserve(tide_u32buf *b, size_t extra)
{
    if (b->n + extra <= b->cap) return TIDE_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra) cap *= 2;
    int32_t *p = realloc(b->cp, cap * sizeof *p);
    if (!p) return tide_errorf("text: out of memory (%zu code points)", cap);
    b->cp = p;
    b->cap = cap;
    return TIDE_OK;
}

int tide_utf8_encode(int32_t cp, char *buf)
{
    unsigned char *o = (unsigned char *)buf;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = 0xC0 | (cp >> 6); o[1] = 0x80 | (cp & 0x3F); return 2; }
    if (cp < 0x10000) {
        o[0] = 0xE0 | (cp >> 12); o[1] = 0x80 | ((cp >> 6) & 0x3F); o[2] = 0x80 | (cp & 0x3F);
        return 3;
    }
    o[0] = 0xF0 | (cp >> 18); o[1] = 0x80 | ((cp >> 12) & 0x3F);
    o[2] = 0x80 | ((cp >> 6) & 0x3F); o[3] = 0x80 | (cp & 0x3F);
    return 4;
}

/* Decodes one well-formed UTF-8 sequence at s (n bytes left) into *cp and returns its length,
 * or 0 if the bytes at s do not start one (overlongs, surrogates, > U+10FFFF, truncation). */
static int utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) { *cp = (int32_t)c; return 1; }
    int len;
    int32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)len > n) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* Characters removed before normalisation: BOM/U+FEFF and every other format character
 * (zero-width space/joiners, bidi marks, soft hyphen, word joiner, tags), variation selectors
 * (they only pick a glyph), noncharacters. Returns 1 to drop, 2 to turn into a space. The
 * caller overrides the drop for ZWJ / VS16 / tags inside an emoji sequence (keep_in_emoji). */
static int filter_class(int32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
        return (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C ||
                cp == 0x85) ? 2 : 1;
    }
    if (cp < 0x7F || (cp >= 0x4E00 && cp <= 0x9FFF)) return 0; /* ASCII, Han (Lo): kept */
    if ((cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF)) return 1;
    if (cp == 0x2028 || cp == 0x2029) return 2;
    if ((cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF)) return 1;
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (p->category == UTF8PROC_CATEGORY_CF) return 1;
    return 0;
}

/* ---- emoji sequences (UTS #51 / UAX #29 GB9-GB11) ----
 * Zero-width joiners, U+FE0F and tag characters are otherwise removed, but inside an emoji
 * sequence they are part of the character the writer meant (a family, a profession, a
 * subdivision flag), so they are kept there and tokenised as one grapheme cluster
 * (text_token.c). */
int tide_text_ext_pict(int32_t cp)
{
    return cp >= 0xA9 &&
           utf8proc_get_property(cp)->boundclass == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC;
}

static int is_tag(int32_t cp) { return cp >= 0xE0020 && cp <= 0xE007F; }

/* 1 if cp (ZWJ, VS16 or a tag character) continues the emoji sequence ending in `last` (the
 * last code point written, 0 if none or a space is pending), with `next` the following input
 * code point (-1 at the end): ZWJ only between a pictograph (with its modifier, VS16 or
 * other extenders) and a pictograph (GB11); VS16 after a pictograph or on a keycap base
 * before U+20E3; tags after U+1F3F4 (subdivision flags) or another tag. */
static int keep_in_emoji(int32_t cp, int32_t last, int32_t next)
{
    if (last <= 0) return 0;
    if (cp == 0x200D)
        return tide_text_ext_pict(next) &&
               (tide_text_ext_pict(last) || (last >= 0x1F3FB && last <= 0x1F3FF) ||
                last == 0xFE0F || last == 0x20E3 || is_tag(last));
    if (cp == 0xFE0F)
        return tide_text_ext_pict(last) ||
               (next == 0x20E3 && ((last >= '0' && last <= '9') || last == '#' || last == '*'));
    if (is_tag(cp)) return last == 0x1F3F4 || is_tag(last);
    return 0;
}

static int is_space(int32_t cp)
{
    if (cp == ' ') return 1;
    if (cp < 0x80 || (cp >= 0x4E00 && cp <= 0x9FFF)) return 0; /* Han are letters (Lo) */
    utf8proc_category_t c = utf8proc_get_property(cp)->category;
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

/* Canonical ordering of combining marks (Unicode 3.11): a stable sort of each run of
 * non-starters by combining class; runs are short, so insertion sort. */
static void canonical_order(int32_t *b, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int ci = utf8proc_get_property(b[i])->combining_class;
        if (ci == 0) continue;
        size_t j = i;
        int32_t x = b[i];
        while (j > 0) {
            int cj = utf8proc_get_property(b[j - 1])->combining_class;
            if (cj <= ci) break;
            b[j] = b[j - 1];
            j--;
        }
        b[j] = x;
    }
}

/* fast_cjk[cp - 0x3000] for U+3000-U+303F and fast_cjk[cp - 0xFF00 + 0x40] for U+FF00-U+FFEF:
 * the NFKC-casefold image of cp when it is one code point d of combining class 0 with
 * 0x20 < d < 0x80 or d == cp; else 0 (the general path). */
static int32_t fast_cjk[0x40 + 0xF0];
static pthread_once_t fast_once = PTHREAD_ONCE_INIT;

static void fast_init(void)
{
    for (int k = 0; k < 0x40 + 0xF0; k++) {
        int32_t cp = k < 0x40 ? 0x3000 + k : 0xFF00 + (k - 0x40), tmp[8];
        int last = 0;
        utf8proc_ssize_t m = utf8proc_decompose_char(cp, tmp, 8,
                                                     UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, &last);
        int ok = m == 1 && utf8proc_get_property(tmp[0])->combining_class == 0 &&
                 ((tmp[0] > 0x20 && tmp[0] < 0x80) || tmp[0] == cp);
        fast_cjk[k] = ok ? tmp[0] : 0;
    }
}

static int32_t fast_image(int32_t cp)
{
    if (cp >= 0x3000 && cp < 0x3040) return fast_cjk[cp - 0x3000];
    if (cp >= 0xFF00 && cp < 0xFFF0) return fast_cjk[cp - 0xFF00 + 0x40];
    return 0;
}

int64_t tide_text_normalize32(const char *s, size_t len, int flags, tide_u32buf *out,
                              int *n_invalid)
{
    pthread_once(&fast_once, fast_init);
    const unsigned char *u = (const unsigned char *)s;
    int bad = 0, slow = 0;
    out->n = 0;
    if (u32_reserve(out, len + 1) != TIDE_OK) return TIDE_ERR;
    const utf8proc_option_t opts = UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD;
    size_t i = 0;
    int space_pending = 0;
    while (i < len) {
        int32_t cp;
        int k = utf8_decode(u + i, len - i, &cp);
        if (k == 0) {
            if (flags & TIDE_TEXT_STRICT) {
                if (n_invalid) *n_invalid = bad + 1;
                return tide_errorf("text: invalid UTF-8 at byte %zu (0x%02X)", i, u[i]);
            }
            bad++;
            cp = 0xFFFD;
            k = 1;
        }
        i += (size_t)k;
        int f = filter_class(cp);
        if (f == 1 && (cp == 0x200D || cp == 0xFE0F || is_tag(cp))) {
            int32_t next = -1;
            if (i < len && utf8_decode(u + i, len - i, &next) == 0) next = 0xFFFD;
            int32_t last = space_pending || out->n == 0 ? 0 : out->cp[out->n - 1];
            if (keep_in_emoji(cp, last, next)) f = 0;
        }
        if (f == 1) continue;
        if (f == 2 || is_space(cp)) { space_pending = 1; continue; }
        if (space_pending && out->n > 0) out->cp[out->n++] = ' ';
        space_pending = 0;
        if (cp < 0x80) {
            out->cp[out->n++] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        } else if (cp >= 0x4E00 && cp <= 0x9FFF) {
            out->cp[out->n++] = cp;
        } else if (fast_image(cp)) {
            out->cp[out->n++] = fast_image(cp);
        } else {
            /* A decomposition is at most 18 code points in current Unicode; ask for more
             * room when utf8proc says so. */
            int32_t tmp[32];
            int last = 0;
            utf8proc_ssize_t m = utf8proc_decompose_char(cp, tmp, 32, opts, &last);
            if (m < 0 || m > 32) { tmp[0] = 0xFFFD; m = 1; }
            if (u32_reserve(out, (size_t)m + (len - i) + 1) != TIDE_OK) return TIDE_ERR;
            for (utf8proc_ssize_t j = 0; j < m; j++) {
                /* compatibility mappings can produce spaces (U+3000 -> U+0020) */
                if (tmp[j] == ' ') { if (out->n > 0) space_pending = 1; continue; }
                if (space_pending && out->n > 0) out->cp[out->n++] = ' ';
                space_pending = 0;
                out->cp[out->n++] = tmp[j];
            }
            slow = 1;
        }
    }
    if (slow) {
        canonical_order(out->cp, out->n);
        utf8proc_ssize_t m = utf8proc_normalize_utf32((utf8proc_int32_t *)out->cp,
                                                      (utf8proc_ssize_t)out->n, UTF8PROC_COMPOSE);
        if (m >= 0) out->n = (size_t)m;
    }
    if (n_invalid) *n_invalid = bad;
    return (int64_t)out->n;
}

char *tide_text_normalize(const char *s, size_t len, int flags, size_t *out_len, int *n_invalid)
{
    tide_u32buf b = {0};
    int64_t n = tide_text_normalize32(s, len, flags, &b, n_invalid);
    if (n < 0) { tide_u32buf_free(&b); return NULL; }
    char *o = malloc((size_t)n * 4 + 1);
    if (!o) { tide_u32buf_free(&b); tide_errorf("text: out of memory"); return NULL; }
    size_t k = 0;
    for (int64_t j = 0; j < n; j++) k += (size_t)tide_utf8_encode(b.cp[j], o + k);
    o[k] = 0;
    tide_u32buf_free(&b);
    if (out_len) *out_len = k;
    return o;
}
