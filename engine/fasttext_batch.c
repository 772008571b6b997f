/* fasttext_batch.c — scoring many raw texts with a fastText model on several threads
 * (text_batch.c: contiguous chunks, one tokenizer scratch per thread, results identical for
 * any thread count). */
#include "fasttext.h"

typedef struct {
    const tide_fasttext *m;
    const char *const *texts;
    const size_t *lens;
    float *out;
} batch;

static int one(void *ctx, int64_t i, tide_units *u)
{
    batch *b = ctx;
    return tide_fasttext_predict_text(b->m, b->texts[i], b->lens[i], u, b->out + i * b->m->n_classes);
}

int tide_fasttext_predict_batch(const tide_fasttext *m, const char *const *texts,
                                const size_t *lens, int64_t n, float *out)
{
    batch b = {m, texts, lens, out};
    return tide_text_batch(n, one, &b, "fasttext predict");
}
