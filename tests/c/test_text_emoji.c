/* test_text_emoji.c — emoji sequences are one unit each, as extended grapheme clusters
 * (UAX #29 GB9/GB9a extenders and skin-tone modifiers, GB11 ZWJ sequences, GB12/13 flag
 * pairs, UTS #51 keycaps and tag flags), and the normaliser keeps ZWJ / VS16 / tags only
 * inside such sequences. Inputs and expectations are written as code points from the
 * Unicode emoji data files (emoji-zwj-sequences.txt, emoji-sequences.txt) and encoded /
 * decoded by this file's own UTF-8 routines, not the engine's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

#define END (-1)

/* UTF-8 of a code point list ending in END; raw bytes may be spliced in as -2 - byte. */
static size_t enc(const int32_t *cps, char *out)
{
    unsigned char *o = (unsigned char *)out;
    size_t k = 0;
    for (; *cps != END; cps++) {
        int32_t c = *cps;
        if (c <= -2) { o[k++] = (unsigned char)(-2 - c); continue; }
        if (c < 0x80) o[k++] = (unsigned char)c;
        else if (c < 0x800) { o[k++] = (unsigned char)(0xC0 | c >> 6); o[k++] = (unsigned char)(0x80 | (c & 63)); }
        else if (c < 0x10000) {
            o[k++] = (unsigned char)(0xE0 | c >> 12); o[k++] = (unsigned char)(0x80 | (c >> 6 & 63));
            o[k++] = (unsigned char)(0x80 | (c & 63));
        } else {
            o[k++] = (unsigned char)(0xF0 | c >> 18); o[k++] = (unsigned char)(0x80 | (c >> 12 & 63));
            o[k++] = (unsigned char)(0x80 | (c >> 6 & 63)); o[k++] = (unsigned char)(0x80 | (c & 63));
        }
    }
    out[k] = 0;
    return k;
}

/* Code points of well-formed UTF-8 (units are always well-formed). */
static int dec(const char *s, size_t n, int32_t *out)
{
    const unsigned char *u = (const unsigned char *)s;
    int k = 0;
    for (size_t i = 0; i < n;) {
        int len = u[i] < 0x80 ? 1 : u[i] < 0xE0 ? 2 : u[i] < 0xF0 ? 3 : 4;
        int32_t c = len == 1 ? u[i] : u[i] & (0x7F >> len);
        for (int j = 1; j < len; j++) c = c << 6 | (u[i + j] & 63);
        out[k++] = c;
        i += (size_t)len;
    }
    return k;
}

typedef struct {
    int kind;
    int32_t cp[12]; /* END-terminated */
} want_unit;

static void units_are(const int32_t *in, const want_unit *want, int n_want, int want_bad)
{
    char buf[256];
    size_t len = enc(in, buf);
    tide_units u = {0};
    assert_int_equal(tide_text_units(buf, len, 0, &u), n_want);
    assert_int_equal(u.n_invalid, want_bad);
    for (int i = 0; i < n_want; i++) {
        int32_t got[64];
        int ng = dec(tide_unit_str(&u, (size_t)i), u.u[i].len, got), nw = 0;
        while (want[i].cp[nw] != END) nw++;
        if (ng != nw || memcmp(got, want[i].cp, (size_t)nw * sizeof *got) != 0) {
            print_error("unit %d:", i);
            for (int j = 0; j < ng; j++) print_error(" %X", (unsigned)got[j]);
            print_error("\n");
            fail();
        }
        assert_int_equal(u.u[i].kind, want[i].kind);
    }
    tide_units_free(&u);
}

#define E TIDE_UNIT_EMOJI
#define ZWJ 0x200D
#define VS16 0xFE0F
#define KEYCAP 0x20E3

static void test_zwj_family_and_profession(void **st)
{
    (void)st;
    const int32_t fam[] = {0x1F468, ZWJ, 0x1F469, ZWJ, 0x1F467, END}; /* man woman girl */
    const want_unit w1[] = {{E, {0x1F468, ZWJ, 0x1F469, ZWJ, 0x1F467, END}}};
    units_are(fam, w1, 1, 0);
    /* woman technologist, medium skin tone: U+1F469 U+1F3FD ZWJ U+1F4BB */
    const int32_t dev[] = {0x1F469, 0x1F3FD, ZWJ, 0x1F4BB, END};
    const want_unit w2[] = {{E, {0x1F469, 0x1F3FD, ZWJ, 0x1F4BB, END}}};
    units_are(dev, w2, 1, 0);
    /* heart on fire: U+2764 VS16 ZWJ U+1F525 */
    const int32_t fire[] = {0x2764, VS16, ZWJ, 0x1F525, END};
    const want_unit w3[] = {{E, {0x2764, VS16, ZWJ, 0x1F525, END}}};
    units_are(fire, w3, 1, 0);
    /* rainbow flag: white flag VS16 ZWJ rainbow */
    const int32_t rb[] = {0x1F3F3, VS16, ZWJ, 0x1F308, END};
    const want_unit w4[] = {{E, {0x1F3F3, VS16, ZWJ, 0x1F308, END}}};
    units_are(rb, w4, 1, 0);
    /* people holding hands, two skin tones: 1F9D1 1F3FF ZWJ 1F91D ZWJ 1F9D1 1F3FB */
    const int32_t hands[] = {0x1F9D1, 0x1F3FF, ZWJ, 0x1F91D, ZWJ, 0x1F9D1, 0x1F3FB, END};
    const want_unit w5[] = {{E, {0x1F9D1, 0x1F3FF, ZWJ, 0x1F91D, ZWJ, 0x1F9D1, 0x1F3FB, END}}};
    units_are(hands, w5, 1, 0);
}

static void test_skin_tone_and_vs16(void **st)
{
    (void)st;
    const int32_t thumbs[] = {0x1F44D, 0x1F3FD, END};
    const want_unit w1[] = {{E, {0x1F44D, 0x1F3FD, END}}};
    units_are(thumbs, w1, 1, 0);
    const int32_t two[] = {0x1F44D, 0x1F3FB, 0x1F44D, 0x1F3FF, END}; /* two hands, two tones */
    const want_unit w2[] = {{E, {0x1F44D, 0x1F3FB, END}}, {E, {0x1F44D, 0x1F3FF, END}}};
    units_are(two, w2, 2, 0);
    const int32_t heart[] = {0x2764, VS16, END};
    const want_unit w3[] = {{E, {0x2764, VS16, END}}};
    units_are(heart, w3, 1, 0);
    /* a skin tone with no emoji before it is dropped, as before */
    const int32_t lone[] = {'a', ' ', 0x1F3FD, END};
    const want_unit w4[] = {{TIDE_UNIT_WORD, {'a', END}}};
    units_are(lone, w4, 1, 0);
}

static void test_flags(void **st)
{
    (void)st;
    /* CN then US: regional indicators pair up left to right (GB12/GB13) */
    const int32_t two[] = {0x1F1E8, 0x1F1F3, 0x1F1FA, 0x1F1F8, END};
    const want_unit w1[] = {{E, {0x1F1E8, 0x1F1F3, END}}, {E, {0x1F1FA, 0x1F1F8, END}}};
    units_are(two, w1, 2, 0);
    const int32_t three[] = {0x1F1E8, 0x1F1F3, 0x1F1FA, END}; /* an odd one stays alone */
    const want_unit w2[] = {{E, {0x1F1E8, 0x1F1F3, END}}, {E, {0x1F1FA, END}}};
    units_are(three, w2, 2, 0);
    /* Scotland: black flag + tags g b s c t + cancel tag */
    const int32_t sco[] = {0x1F3F4, 0xE0067, 0xE0062, 0xE0073, 0xE0063, 0xE0074, 0xE007F, END};
    const want_unit w3[] = {{E, {0x1F3F4, 0xE0067, 0xE0062, 0xE0073, 0xE0063, 0xE0074, 0xE007F, END}}};
    units_are(sco, w3, 1, 0);
}

static void test_keycaps(void **st)
{
    (void)st;
    const int32_t one[] = {'1', VS16, KEYCAP, END};
    const want_unit w1[] = {{E, {'1', VS16, KEYCAP, END}}};
    units_are(one, w1, 1, 0);
    const int32_t bare[] = {'#', KEYCAP, END}; /* without VS16 (not fully qualified) */
    const want_unit w2[] = {{E, {'#', KEYCAP, END}}};
    units_are(bare, w2, 1, 0);
    /* 1 then keycap 2: the number stops before the keycap's base */
    const int32_t num[] = {'1', '2', VS16, KEYCAP, 'x', END};
    const want_unit w3[] = {{TIDE_UNIT_NUM, {'1', END}}, {E, {'2', VS16, KEYCAP, END}},
                            {TIDE_UNIT_WORD, {'x', END}}};
    units_are(num, w3, 3, 0);
    /* full-width ３ + VS16 + keycap: NFKC gives 3 first, the keycap survives */
    const int32_t fw[] = {0xFF13, VS16, KEYCAP, END};
    const want_unit w4[] = {{E, {'3', VS16, KEYCAP, END}}};
    units_are(fw, w4, 1, 0);
}

static void test_mixed_scripts(void **st)
{
    (void)st;
    /* 好👍🏽great👨‍👩‍👧棒 */
    const int32_t in[] = {0x597D, 0x1F44D, 0x1F3FD, 'g', 'r', 'e', 'a', 't', 0x1F468, ZWJ,
                          0x1F469, ZWJ, 0x1F467, 0x68D2, END};
    const want_unit w[] = {{TIDE_UNIT_CJK, {0x597D, END}}, {E, {0x1F44D, 0x1F3FD, END}},
                           {TIDE_UNIT_WORD, {'g', 'r', 'e', 'a', 't', END}},
                           {E, {0x1F468, ZWJ, 0x1F469, ZWJ, 0x1F467, END}},
                           {TIDE_UNIT_CJK, {0x68D2, END}}};
    units_are(in, w, 5, 0);
}

static void test_stray_joiners_removed(void **st)
{
    (void)st;
    const int32_t ab[] = {'a', ZWJ, 'b', END}; /* between letters: removed, one word */
    const want_unit w1[] = {{TIDE_UNIT_WORD, {'a', 'b', END}}};
    units_are(ab, w1, 1, 0);
    const int32_t cjk[] = {0x597D, ZWJ, 0x8BC4, END}; /* between Han: removed */
    const want_unit w2[] = {{TIDE_UNIT_CJK, {0x597D, END}}, {TIDE_UNIT_CJK, {0x8BC4, END}}};
    units_are(cjk, w2, 2, 0);
    /* after an emoji but before a letter, at the end, after a space, doubled: removed */
    const int32_t e1[] = {0x1F44D, ZWJ, 'a', END};
    const want_unit w3[] = {{E, {0x1F44D, END}}, {TIDE_UNIT_WORD, {'a', END}}};
    units_are(e1, w3, 2, 0);
    const int32_t e2[] = {0x1F44D, ZWJ, END};
    const want_unit w4[] = {{E, {0x1F44D, END}}};
    units_are(e2, w4, 1, 0);
    const int32_t e3[] = {0x1F468, ' ', ZWJ, 0x1F469, END};
    const want_unit w5[] = {{E, {0x1F468, END}}, {E, {0x1F469, END}}};
    units_are(e3, w5, 2, 0);
    const int32_t e4[] = {0x1F468, ZWJ, ZWJ, 0x1F469, END};
    const want_unit w6[] = {{E, {0x1F468, ZWJ, 0x1F469, END}}};
    units_are(e4, w6, 1, 0);
    /* VS16 on a letter or on a digit without keycap: removed */
    const int32_t v[] = {'a', VS16, '1', VS16, END};
    const want_unit w7[] = {{TIDE_UNIT_WORD, {'a', '1', END}}};
    units_are(v, w7, 1, 0);
    /* tags without the black flag: removed */
    const int32_t t[] = {'x', 0xE0067, 0xE007F, END};
    const want_unit w8[] = {{TIDE_UNIT_WORD, {'x', END}}};
    units_are(t, w8, 1, 0);
}

static void test_invalid_bytes_around_emoji(void **st)
{
    (void)st;
    const int32_t a[] = {-2 - 0xFF, 0x1F44D, 0x1F3FD, -2 - 0xFE, END};
    const want_unit w1[] = {{E, {0x1F44D, 0x1F3FD, END}}};
    units_are(a, w1, 1, 2);
    /* a bad byte after the ZWJ breaks the sequence: the ZWJ goes, both emoji stay */
    const int32_t b[] = {0x1F468, ZWJ, -2 - 0xC0, 0x1F469, END};
    const want_unit w2[] = {{E, {0x1F468, END}}, {E, {0x1F469, END}}};
    units_are(b, w2, 2, 1);
    /* a truncated 4-byte emoji (F0 9F 91) before a whole one */
    const int32_t c[] = {-2 - 0xF0, -2 - 0x9F, -2 - 0x91, 0x1F44D, END};
    const want_unit w3[] = {{E, {0x1F44D, END}}};
    units_are(c, w3, 1, 3);
    char buf[64];
    size_t len = enc(b, buf);
    tide_units u = {0};
    assert_int_equal(tide_text_units(buf, len, TIDE_TEXT_STRICT, &u), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "invalid UTF-8 at byte"));
    tide_units_free(&u);
}

/* Text made only of emoji sequences normalises to itself and its units concatenate back. */
static void test_round_trip(void **st)
{
    (void)st;
    const int32_t in[] = {0x1F468, ZWJ, 0x1F469, ZWJ, 0x1F467, 0x1F44D, 0x1F3FD, 0x1F1E8,
                          0x1F1F3, 0x1F1FA, 0x1F1F8, '1', VS16, KEYCAP, 0x2764, VS16, 0x1F3F4,
                          0xE0067, 0xE0062, 0xE0073, 0xE0063, 0xE0074, 0xE007F, END};
    char buf[128], cat[128];
    size_t len = enc(in, buf), n;
    char *norm = tide_text_normalize(buf, len, 0, &n, NULL);
    assert_int_equal(n, len);
    assert_memory_equal(norm, buf, len);
    free(norm);
    tide_units u = {0};
    assert_int_equal(tide_text_units(buf, len, 0, &u), 7);
    size_t k = 0;
    for (size_t i = 0; i < u.n; i++) {
        memcpy(cat + k, tide_unit_str(&u, i), u.u[i].len);
        k += u.u[i].len;
    }
    assert_int_equal(k, len);
    assert_memory_equal(cat, buf, len);
    /* one unit -> one vocabulary-free hashed id (no n-grams) */
    tide_ids_opts o = {0, 1, 1000};
    int32_t *ids = NULL;
    size_t ni = 0, cap = 0;
    assert_int_equal(tide_text_ids(NULL, buf, len, &o, &u, &ids, &ni, &cap), 7);
    free(ids);
    tide_units_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zwj_family_and_profession), cmocka_unit_test(test_skin_tone_and_vs16),
        cmocka_unit_test(test_flags),                     cmocka_unit_test(test_keycaps),
        cmocka_unit_test(test_mixed_scripts),             cmocka_unit_test(test_stray_joiners_removed),
        cmocka_unit_test(test_invalid_bytes_around_emoji), cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
