/* test_intern.c — the id interner: dense first-appearance ids, lookups, growth through many
 * rehashes (checked against a naive linear-search map), integer keys, serialization round
 * trip and remapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "intern.h"

static void test_basic(void **st)
{
    (void)st;
    tide_intern *in = tide_intern_new(0);
    assert_int_equal(tide_intern_add(in, "b", 1), 1);
    assert_int_equal(tide_intern_add(in, "a", 1), 2);
    assert_int_equal(tide_intern_add(in, "b", 1), 1);
    assert_int_equal(tide_intern_add(in, "", 0), 3); /* the empty key is a key */
    assert_int_equal(tide_intern_find(in, "a", 1), 2);
    assert_int_equal(tide_intern_find(in, "c", 1), 0);
    assert_int_equal(tide_intern_find(in, "ab", 2), 0);
    size_t len;
    assert_memory_equal(tide_intern_name(in, 2, &len), "a", 1);
    assert_null(tide_intern_name(in, 0, &len));
    assert_null(tide_intern_name(in, 4, &len));
    assert_int_equal(tide_intern_add_int(in, -12), 4);
    assert_int_equal(tide_intern_find(in, "-12", 3), 4);
    assert_int_equal(tide_intern_add_int(in, 0), 5);
    assert_int_equal(tide_intern_find(in, "0", 1), 5);
    assert_int_equal(tide_intern_size(in), 5);
    tide_intern_free(in);
    tide_intern_free(NULL);
}

/* 20k keys of varied lengths (including 8-byte multiples and long ones) against a naive map */
static void test_many(void **st)
{
    (void)st;
    enum { N = 20000 };
    static char keys[N][48];
    tide_intern *in = tide_intern_new(0);
    uint64_t x = 12345;
    int distinct = 0;
    static int naive[N];
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = (int)((x >> 33) % 15000); /* repeats are frequent */
        int len = snprintf(keys[i], sizeof keys[i], "key-%d-%.*s", k, (int)(k % 30), "abcdefghijklmnopqrstuvwxyz0123");
        int found = 0;
        for (int j = 0; j < i && !found; j++)
            if (!strcmp(keys[j], keys[i])) found = naive[j];
        naive[i] = found ? found : ++distinct;
        assert_int_equal(tide_intern_add(in, keys[i], (size_t)len), naive[i]);
    }
    assert_int_equal(tide_intern_size(in), distinct);
    for (int i = 0; i < N; i++) {
        assert_int_equal(tide_intern_find(in, keys[i], strlen(keys[i])), naive[i]);
        size_t len;
        const char *nm = tide_intern_name(in, naive[i], &len);
        assert_int_equal(len, strlen(keys[i]));
        assert_memory_equal(nm, keys[i], len);
    }
    /* serialization round trip */
    tide_intern *b = tide_intern_from_arena(in->arena, in->arena_len, in->offs, in->n);
    assert_non_null(b);
    for (int i = 0; i < N; i += 7) assert_int_equal(tide_intern_find(b, keys[i], strlen(keys[i])), naive[i]);
    tide_intern_free(b);
    tide_intern_free(in);
}

static void test_from_arena_errors(void **st)
{
    (void)st;
    const char arena[] = "aab";
    uint64_t dup[] = {0, 1, 2, 3}; /* "a","a","b": a repeat */
    assert_null(tide_intern_from_arena(arena, 3, dup, 3));
    assert_non_null(strstr(tide_error(), "repeats"));
    uint64_t short_[] = {0, 1, 2}; /* does not span all 3 bytes */
    assert_null(tide_intern_from_arena(arena, 3, short_, 2));
    uint64_t dec[] = {0, 2, 1, 3};
    assert_null(tide_intern_from_arena(arena, 3, dec, 3));
}

static void test_remap(void **st)
{
    (void)st;
    tide_intern *in = tide_intern_new(0);
    const char *k[] = {"u1", "u2", "u3", "u4"};
    for (int i = 0; i < 4; i++) tide_intern_add(in, k[i], 2);
    int32_t map[4] = {1, 0, 2, 0}; /* keep u1 -> 1, u3 -> 2 */
    tide_intern *out = tide_intern_remap(in, map);
    assert_non_null(out);
    assert_int_equal(tide_intern_size(out), 2);
    assert_int_equal(tide_intern_find(out, "u3", 2), 2);
    assert_int_equal(tide_intern_find(out, "u2", 2), 0);
    int32_t bad[4] = {2, 0, 1, 0}; /* not increasing */
    assert_null(tide_intern_remap(in, bad));
    tide_intern_free(out);
    tide_intern_free(in);
}

static void test_hash(void **st)
{
    (void)st;
    /* all lengths 0..40 differ from their one-byte variants */
    char a[41], b[41];
    for (int i = 0; i < 40; i++) a[i] = (char)('a' + i % 26);
    for (int len = 1; len <= 40; len++)
        for (int pos = 0; pos < len; pos++) {
            memcpy(b, a, (size_t)len);
            b[pos] ^= 1;
            assert_true(tide_hash_bytes(a, (size_t)len) != tide_hash_bytes(b, (size_t)len));
        }
    assert_true(tide_hash_bytes("ab", 2) != tide_hash_bytes("ab\0", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic), cmocka_unit_test(test_many), cmocka_unit_test(test_from_arena_errors),
        cmocka_unit_test(test_remap), cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
