/* fuzz_text.c — the tokenizer on arbitrary bytes: normalisation (NFKC + case folding, invalid
 * UTF-8 replaced), unit splitting, vocabulary building and id lookup. The first byte gives the
 * flags. Checks: units lie inside the normalised text, every unit added to a vocabulary is
 * found again, and normalising is deterministic. */
#include "fuzz_util.h"

#include "error.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1) return 0;
    int flags = d[0];
    const char *s = (const char *)d + 1;
    size_t len = n - 1;
    tide_units u = {0};
    int64_t k = tide_text_units(s, len, flags, &u);
    if (k >= 0) {
        FUZZ_CHECK((size_t)k == u.n, "count %lld vs %zu", (long long)k, u.n);
        tide_vocab *v = tide_vocab_new();
        FUZZ_CHECK(v != NULL, "vocab");
        for (size_t i = 0; i < u.n; i++) {
            const char *t = tide_unit_str(&u, i);
            FUZZ_CHECK(t != NULL, "unit %zu", i);
            if (t >= u.text && t < u.text + u.text_len) /* "<num>" lives outside the text */
                FUZZ_CHECK(u.u[i].off + (size_t)u.u[i].len <= u.text_len, "unit %zu past the text", i);
            FUZZ_CHECK(tide_vocab_add(v, t, u.u[i].len, 1) == TIDE_OK, "add %zu: %s", i, tide_error());
            FUZZ_CHECK(tide_vocab_id(v, t, u.u[i].len) >= 0, "unit %zu not found after adding it", i);
        }
        tide_vocab_free(v);
    }
    size_t n1 = 0, n2 = 0;
    int bad1 = 0, bad2 = 0;
    char *a = tide_text_normalize(s, len, flags, &n1, &bad1);
    char *b = tide_text_normalize(s, len, flags, &n2, &bad2);
    FUZZ_CHECK((a == NULL) == (b == NULL), "normalize is not deterministic");
    if (a) FUZZ_CHECK(n1 == n2 && !memcmp(a, b, n1) && bad1 == bad2, "normalize differs between calls");
    free(a);
    free(b);
    tide_units_free(&u);
    return 0;
}
