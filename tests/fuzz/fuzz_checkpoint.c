/* fuzz_checkpoint.c — the model-file parsers on arbitrary bytes: checkpoints
 * (tide_checkpoint_parse), fastText models (tide_fasttext_parse, then one prediction with the
 * parsed model) and vocabularies (tide_vocab_parse). The first byte picks the parser. Every
 * input must be parsed or refused with an error; a parsed model must be usable. */
#include "fuzz_util.h"

#include "checkpoint.h"
#include "error.h"
#include "fasttext.h"
#include "limit.h"
#include "text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    tide_limit_set(TIDE_LIMIT_TENSOR_BYTES, 64u << 20); /* refuse, do not exhaust the fuzzer */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1) return 0;
    const uint8_t *p = d + 1;
    size_t m = n - 1;
    switch (d[0] % 3) {
    case 0: {
        tide_checkpoint *c = tide_checkpoint_parse(p, m, "fuzz");
        if (!c) FUZZ_CHECK(tide_error()[0] != 0, "refused without a message");
        tide_checkpoint_free(c);
        break;
    }
    case 1: {
        tide_fasttext *ft = tide_fasttext_parse(p, m, "fuzz");
        if (ft) {
            FUZZ_CHECK(ft->n_classes >= 1 && ft->dim >= 1, "classes %d dim %d", ft->n_classes, ft->dim);
            float *prob = malloc((size_t)ft->n_classes * sizeof *prob);
            tide_units u = {0};
            const char *text = "a fuzzed review, not bad \xF0\x9F\x91\x8D";
            if (prob && tide_fasttext_predict_text(ft, text, strlen(text), &u, prob) == TIDE_OK) {
                double s = 0;
                for (int c = 0; c < ft->n_classes; c++) s += prob[c];
                /* weights are read from the file: non-finite ones may make NaN, that is the
                 * model's business; a finite model must give a distribution */
                FUZZ_CHECK(!(s == s) || (s > 0.99 && s < 1.01), "probabilities sum to %g", s);
            }
            tide_units_free(&u);
            free(prob);
            tide_fasttext_free(ft);
        } else {
            FUZZ_CHECK(tide_error()[0] != 0, "refused without a message");
        }
        break;
    }
    default: {
        tide_vocab *v = tide_vocab_parse((const char *)p, m, "fuzz");
        if (v) {
            int64_t k = tide_vocab_size(v);
            for (int64_t i = 0; i < k && i < 64; i++) {
                size_t len;
                int64_t cnt;
                const char *tok = tide_vocab_token(v, i, &len, &cnt);
                FUZZ_CHECK(tok != NULL, "token %lld of %lld", (long long)i, (long long)k);
                FUZZ_CHECK(tide_vocab_id(v, tok, len) >= 0, "token %lld not found again", (long long)i);
            }
            tide_vocab_free(v);
        }
        break;
    }
    }
    return 0;
}
