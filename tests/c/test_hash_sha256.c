/* test_hash_sha256.c — SHA-256 against the FIPS 180-4 example messages (NIST "Example
 * Algorithms" SHA256.pdf; the one-million-'a' vector from the SHA-2 validation suite) and
 * HMAC-SHA256 against RFC 4231 test cases 1-7. Digests were also re-derived with Python's
 * hashlib / hmac modules when the test was written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash_sha256.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_sha(const void *msg, size_t n, const char *want)
{
    uint8_t d[32];
    char h[65];
    tide_sha256(msg, n, d);
    hex(d, 32, h);
    assert_string_equal(h, want);
}

static void test_fips_vectors(void **state)
{
    (void)state;
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_sha(m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    check_sha(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

/* Feeding a message in pieces of every size gives the one-shot digest (padding across a block
 * boundary: lengths 55, 56, 63, 64 are the edge cases). */
static void test_chunked_equals_oneshot(void **state)
{
    (void)state;
    uint8_t msg[200], a[32], b[32];
    for (int i = 0; i < 200; i++) msg[i] = (uint8_t)(i * 37 + 11);
    for (size_t len = 0; len <= 200; len++) {
        tide_sha256(msg, len, a);
        for (size_t step = 1; step <= 70; step += 23) {
            tide_sha256_ctx c;
            tide_sha256_init(&c);
            for (size_t off = 0; off < len; off += step)
                tide_sha256_update(&c, msg + off, off + step <= len ? step : len - off);
            tide_sha256_final(&c, b);
            assert_memory_equal(a, b, 32);
        }
    }
}

static void check_hmac(const void *key, size_t klen, const void *msg, size_t n, const char *want)
{
    uint8_t d[32];
    char h[65];
    tide_hmac_sha256(key, klen, msg, n, d);
    hex(d, 32, h);
    assert_memory_equal(h, want, strlen(want)); /* case 5 is truncated to 128 bits */
}

static void test_rfc4231(void **state)
{
    (void)state;
    uint8_t k[131], m[50];
    memset(k, 0x0b, 20);
    check_hmac(k, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac("Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(m, 0xdd, 50);
    check_hmac(k, 20, m, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++) k[i] = (uint8_t)(i + 1);
    memset(m, 0xcd, 50);
    check_hmac(k, 25, m, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0x0c, 20);
    check_hmac(k, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b");
    memset(k, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_hmac(k, 131, m6, strlen(m6), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *m7 = "This is a test using a larger than block-size key and a larger than block-size data. "
                     "The key needs to be hashed before being used by the HMAC algorithm.";
    check_hmac(k, 131, m7, strlen(m7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/* A context initialised once can be copied and reused per message (how pseudonymisation runs). */
static void test_hmac_context_reuse(void **state)
{
    (void)state;
    tide_hmac_sha256_ctx base, c;
    uint8_t a[32], b[32];
    tide_hmac_sha256_init(&base, "Jefe", 4);
    for (int rep = 0; rep < 2; rep++) {
        c = base;
        tide_hmac_sha256_update(&c, "what do ya ", 11);
        tide_hmac_sha256_update(&c, "want for nothing?", 17);
        tide_hmac_sha256_final(&c, a);
        tide_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, b);
        assert_memory_equal(a, b, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_vectors),
        cmocka_unit_test(test_chunked_equals_oneshot),
        cmocka_unit_test(test_rfc4231),
        cmocka_unit_test(test_hmac_context_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
