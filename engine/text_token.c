/* text_token.c — splitting normalised text into units (CJK characters, words, numbers,
 * punctuation, emoji) and FNV-1a hashing of unit n-grams.
 *
 * Chinese and Japanese are written without spaces, so each Han/kana character is a unit and
 * the classifier sees words through character n-grams (as fastText does for Chinese); Latin,
 * Cyrillic, Hangul etc. are split at non-letters into words. Apostrophes and hyphens join two
 * letters ("don't", "e-mail"), '.' and ',' join two digits ("3.5", "1,000").
 *
 * An emoji sequence is one unit: from a pictograph, a regional indicator or a keycap base
 * ([0-9#*] (U+FE0F) U+20E3), the unit runs to the next extended grapheme cluster boundary
 * found by utf8proc_grapheme_break_stateful (UAX #29: GB9 extenders and skin-tone modifiers,
 * GB11 ZWJ sequences, GB12/GB13 flag pairs). The normaliser keeps the ZWJ/VS16/tags these
 * sequences need (text_norm.c). */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text.h"

enum { C_SEP = 0, C_SKIP, C_LETTER, C_DIGIT, C_CJK, C_PUNCT, C_EMOJI };

static int is_cjk(int32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F) || cp == 0x3005;
}

static int char_class(int32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return C_LETTER;
        if (cp >= '0' && cp <= '9') return C_DIGIT;
        if (cp <= ' ' || cp == 0x7F) return C_SEP;
        return C_PUNCT;
    }
    if (cp == 0xFFFD) return C_SEP; /* replaced invalid bytes carry no meaning */
    if (is_cjk(cp)) return C_CJK;
    if (cp >= 0x1F3FB && cp <= 0x1F3FF) return C_SKIP; /* skin-tone modifiers */
    switch (utf8proc_get_property(cp)->category) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return C_LETTER;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return C_DIGIT;
    case UTF8PROC_CATEGORY_SO:
        return C_EMOJI;
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
        return C_PUNCT;
    default:
        return C_SEP;
    }
}

static int is_keycap_at(const int32_t *cp, size_t n, size_t i)
{
    int32_t c = cp[i];
    if (!((c >= '0' && c <= '9') || c == '#' || c == '*')) return 0;
    return (i + 1 < n && cp[i + 1] == 0x20E3) ||
           (i + 2 < n && cp[i + 1] == 0xFE0F && cp[i + 2] == 0x20E3);
}

/* Code points in the emoji sequence starting at i (its grapheme cluster), or 0 if none
 * starts there. */
static size_t emoji_cluster(const int32_t *cp, size_t n, size_t i)
{
    int32_t c = cp[i];
    if (!(c >= 0xA9 && (tide_text_ext_pict(c) || (c >= 0x1F1E6 && c <= 0x1F1FF))) &&
        !is_keycap_at(cp, n, i))
        return 0;
    utf8proc_int32_t state = 0;
    size_t j = i + 1;
    while (j < n && !utf8proc_grapheme_break_stateful(cp[j - 1], cp[j], &state)) j++;
    return j - i;
}

static int is_word_joiner(int32_t cp) { return cp == '\'' || cp == 0x2019 || cp == '-'; }
static int is_num_joiner(int32_t cp) { return cp == '.' || cp == ','; }

void tide_units_free(tide_units *u)
{
    free(u->text);
    free(u->u);
    free(u->ids);
    tide_u32buf_free(&u->cps);
    memset(u, 0, sizeof *u);
}

static const char num_tok[] = "<num>";
#define NUM_OFF UINT32_MAX

const char *tide_unit_str(const tide_units *us, size_t i)
{
    return us->u[i].off == NUM_OFF ? num_tok : us->text + us->u[i].off;
}

static int push_unit(tide_units *o, uint32_t off, uint32_t len, int kind)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        tide_unit *p = realloc(o->u, cap * sizeof *p);
        if (!p) return tide_errorf("text: out of memory (%zu units)", cap);
        o->u = p;
        o->cap = cap;
    }
    o->u[o->n++] = (tide_unit){off, len, (uint8_t)kind};
    return TIDE_OK;
}

int64_t tide_text_units(const char *s, size_t len, int flags, tide_units *o)
{
    o->n = 0;
    o->text_len = 0;
    int64_t ncp = tide_text_normalize32(s, len, flags, &o->cps, &o->n_invalid);
    if (ncp < 0) return TIDE_ERR;
    size_t need = (size_t)ncp * 4 + 1;
    if (need > o->text_cap) {
        char *t = realloc(o->text, need);
        if (!t) return tide_errorf("text: out of memory");
        o->text = t;
        o->text_cap = need;
    }
    const int32_t *cp = o->cps.cp;
    size_t n = (size_t)ncp, i = 0;
    /* byte offset of each code point is implicit: we encode as we scan */
    while (i < n) {
        int c = char_class(cp[i]);
        uint32_t off = (uint32_t)o->text_len;
        size_t el = c == C_CJK ? 0 : emoji_cluster(cp, n, i); /* no emoji starts at a CJK unit */
        if (el > 1 || (el == 1 && c == C_EMOJI)) {
            for (size_t k = i; k < i + el; k++)
                o->text_len += (size_t)tide_utf8_encode(cp[k], o->text + o->text_len);
            if (push_unit(o, off, (uint32_t)(o->text_len - off), TIDE_UNIT_EMOJI)) return TIDE_ERR;
            i += el;
            continue;
        }
        if (c == C_SEP || c == C_SKIP) { i++; continue; }
        if (c == C_LETTER || c == C_DIGIT) {
            int has_letter = 0;
            size_t j = i;
            while (j < n) {
                int cj = char_class(cp[j]);
                if (j > i && is_keycap_at(cp, n, j)) break; /* "12⃣": 1, then the keycap 2⃣ */
                if (cj == C_LETTER || cj == C_DIGIT) {
                    has_letter |= cj == C_LETTER;
                } else if (j > i && j + 1 < n) {
                    int prev = char_class(cp[j - 1]), next = char_class(cp[j + 1]);
                    int ok = (is_word_joiner(cp[j]) && prev == C_LETTER && next == C_LETTER) ||
                             (is_num_joiner(cp[j]) && prev == C_DIGIT && next == C_DIGIT);
                    if (!ok) break;
                } else break;
                o->text_len += (size_t)tide_utf8_encode(cp[j], o->text + o->text_len);
                j++;
            }
            i = j;
            if (has_letter) {
                if (push_unit(o, off, (uint32_t)(o->text_len - off), TIDE_UNIT_WORD)) return TIDE_ERR;
            } else if (flags & TIDE_TEXT_DROP_NUM) {
                o->text_len = off;
            } else if (flags & TIDE_TEXT_MASK_NUM) {
                o->text_len = off;
                if (push_unit(o, NUM_OFF, 5, TIDE_UNIT_NUM)) return TIDE_ERR;
            } else if (push_unit(o, off, (uint32_t)(o->text_len - off), TIDE_UNIT_NUM)) {
                return TIDE_ERR;
            }
            continue;
        }
        if (c == C_PUNCT && (flags & TIDE_TEXT_NO_PUNCT)) { i++; continue; }
        o->text_len += (size_t)tide_utf8_encode(cp[i], o->text + o->text_len);
        int kind = c == C_CJK ? TIDE_UNIT_CJK : c == C_EMOJI ? TIDE_UNIT_EMOJI : TIDE_UNIT_PUNCT;
        if (push_unit(o, off, (uint32_t)(o->text_len - off), kind)) return TIDE_ERR;
        i++;
    }
    o->text[o->text_len] = 0;
    return (int64_t)o->n;
}

uint64_t tide_units_hash(const tide_units *us, size_t i, size_t n)
{
    uint64_t h = TIDE_FNV_OFFSET;
    for (size_t k = 0; k < n; k++) {
        if (k > 0) h = tide_fnv1a64("\x1f", 1, h);
        h = tide_fnv1a64(tide_unit_str(us, i + k), us->u[i + k].len, h);
    }
    return h;
}
