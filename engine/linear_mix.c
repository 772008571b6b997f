/* linear_mix.c — scoring an ensemble of linear and fastText text models in one pass per text:
 * the text is normalised and split into units ONCE (the dominant cost of scoring), then each
 * member computes its ids from those units; members sharing tokenizer options (n-gram order,
 * buckets, negation scoping) share the ids too. The result is the mean of the members' log-odds, each clamped
 * to logit(1e-7) .. logit(1 - 1e-7) as tide.sentiment.ensemble does in Lua. */
#include <math.h>
#include <stdlib.h>

#include "linear_mix.h"

#define TEXT_FLAGS 255 /* the TIDE_TEXT_* bits; fastText keeps its pooling flag above them */
#define UNIT_FLAGS (TEXT_FLAGS & ~TIDE_TEXT_NEG) /* the bits that shape the units (NEG adds ids) */

static double clamp_logit(double z)
{
    const double lim = 16.118095650958319; /* logit(1 - 1e-7) */
    return z > lim ? lim : z < -lim ? -lim : z;
}

int tide_text_mix_check(const tide_text_mix *x)
{
    if (x->nl + x->nf < 1) return tide_errorf("text mix: no members");
    int flags = (x->nl ? x->lin[0]->ids.flags : x->ft[0]->ids.flags) & UNIT_FLAGS;
    for (int i = 0; i < x->nl; i++)
        if ((x->lin[i]->ids.flags & UNIT_FLAGS) != flags) return tide_errorf("text mix: members tokenize differently");
    for (int i = 0; i < x->nf; i++) {
        if ((x->ft[i]->ids.flags & UNIT_FLAGS) != flags)
            return tide_errorf("text mix: members tokenize differently");
        if (x->ft[i]->n_classes != 2) return tide_errorf("text mix: fastText member %d is not binary", i + 1);
    }
    return TIDE_OK;
}

typedef struct {
    const tide_text_mix *x;
    const char *const *texts;
    const size_t *lens;
    double *z;
} mix_job;

static int one(void *ctx, int64_t i, tide_units *u)
{
    mix_job *j = ctx;
    const tide_text_mix *x = j->x;
    int flags = (x->nl ? x->lin[0]->ids.flags : x->ft[0]->ids.flags) & UNIT_FLAGS;
    if (tide_text_units(j->texts[i], j->lens[i], flags, u) < 0) return TIDE_ERR;
    double s = 0;
    size_t n = 0;
    const tide_ids_opts *have = NULL; /* the options u->ids currently holds ids for */
    for (int k = 0; k < x->nl; k++) {
        const tide_ids_opts *o = &x->lin[k]->ids;
        if (!have || have->ngrams != o->ngrams || have->buckets != o->buckets ||
            (have->flags & TIDE_TEXT_NEG) != (o->flags & TIDE_TEXT_NEG)) {
            n = 0;
            if (tide_units_ids(NULL, u, o, &u->ids, NULL, &n, &u->ids_cap) < 0) return TIDE_ERR;
            have = o;
        }
        s += clamp_logit(tide_linear_score_ids(x->lin[k], u->ids, (int64_t)n));
    }
    for (int k = 0; k < x->nf; k++) {
        const tide_fasttext *m = x->ft[k];
        n = 0;
        if (tide_units_ids(m->vocab, u, &m->ids, &u->ids, NULL, &n, &u->ids_cap) < 0) return TIDE_ERR;
        float p[2];
        tide_fasttext_forward(m, u->ids, (int64_t)n, p);
        double q = fmin(fmax((double)p[1], 1e-7), 1 - 1e-7);
        s += log(q / (1 - q));
    }
    j->z[i] = s / (x->nl + x->nf);
    return TIDE_OK;
}

int tide_text_mix_score(const tide_text_mix *x, const char *const *texts, const size_t *lens,
                        int64_t n, double *z)
{
    if (tide_text_mix_check(x) != TIDE_OK) return TIDE_ERR;
    mix_job j = {x, texts, lens, z};
    return tide_text_batch(n, one, &j, "text mix score");
}
