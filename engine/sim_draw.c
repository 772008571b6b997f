/* sim_draw.c — per-user ground truth of the simulator: Gamma/Beta/Dirichlet draws from the
 * user's own Philox stream, the decay-law parameters in decay.h's parameterisation, and the
 * Zipf tables for items. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sim_impl.h"

/* Marsaglia & Tsang (2000), "A simple method for generating gamma variables"; shape < 1 via
 * G(a) = G(a + 1) · U^(1/a). Returns a draw of Gamma(shape, rate) (mean shape / rate). */
double sim_gamma(sim_rng *r, double shape, double rate)
{
    double boost = 1;
    if (shape < 1) {
        boost = pow(sim_unif(r), 1.0 / shape);
        shape += 1;
    }
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = sim_normal(r), v = 1 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = sim_unif(r);
        if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
            return boost * d * v / rate;
    }
}

static double sim_beta(sim_rng *r, double a, double b)
{
    double x = sim_gamma(r, a, 1), y = sim_gamma(r, b, 1);
    return x / (x + y);
}

double *sim_zipf_cdf(int64_t n, double s)
{
    double *cdf = malloc((size_t)(n > 0 ? n : 1) * sizeof *cdf);
    if (!cdf) return NULL;
    double acc = 0;
    for (int64_t k = 0; k < n; k++) cdf[k] = (acc += pow((double)(k + 1), -s));
    for (int64_t k = 0; k < n; k++) cdf[k] /= acc;
    if (n > 0) cdf[n - 1] = 1;
    return cdf;
}

int32_t *sim_guide_table(const double *cdf, int64_t n)
{
    int32_t *g = malloc((size_t)(n > 0 ? n : 1) * sizeof *g);
    if (!g) return NULL;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        while (k < n - 1 && cdf[k] <= (double)i / (double)n) k++;
        g[i] = (int32_t)k;
    }
    return g;
}

/* Draws the truth from stream r (fresh TRUTH stream of the user). Leaves r positioned for
 * the interest profile draws. Every draw is made whatever the toggles, so turning Hawkes or
 * churn off leaves the other parameters of every user unchanged. */
static void draw_truth(const tide_sim_config *c, sim_rng *r, tide_sim_truth *t, double z)
{
    memset(t, 0, sizeof *t);
    double wsum = 0, u;
    for (int i = 0; i < c->n_segments; i++) wsum += c->seg[i].weight;
    u = sim_unif(r) * wsum;
    int s = 0;
    while (s < c->n_segments - 1 && u >= c->seg[s].weight) u -= c->seg[s++].weight;
    const tide_sim_segment *g = &c->seg[s];
    t->segment = s;
    t->rate = sim_gamma(r, g->rate_shape, g->rate_rate);
    double nb = g->branching > 0 ? sim_beta(r, g->branching_conc * g->branching,
                                            g->branching_conc * (1 - g->branching))
                                  : 0;
    double beta = sim_gamma(r, g->beta_shape, g->beta_shape / g->beta);
    double h = sim_gamma(r, g->churn_shape, g->churn_rate);
    double re = sim_gamma(r, g->react_shape, g->react_rate);
    t->beta = beta;
    t->alpha = c->hawkes ? nb * beta : 0;
    t->churn = c->churn ? h : 0;
    t->react = c->churn ? re : 0;
    /* review sentiment drives returns: e^(s z) is exactly 1 when s = 0 */
    double m = exp(c->sentiment * z);
    t->sentiment = z;
    t->churn /= m;
    t->react *= m;
    double l = t->rate;
    switch (c->law) {
    case TIDE_SIM_EXP:
        t->n_theta = 1, t->theta[0] = l, t->mu = l;
        break;
    case TIDE_SIM_MIXTURE: {
        double w = g->mix_weight, fast = g->mix_ratio * l;
        t->n_theta = 4;
        t->theta[0] = w, t->theta[1] = 1 - w, t->theta[2] = fast, t->theta[3] = l;
        t->mu = 1 / (w / fast + (1 - w) / l);
        break;
    }
    case TIDE_SIM_POWER: {
        double a = g->power_shape;
        t->n_theta = 2, t->theta[0] = l, t->theta[1] = a;
        t->mu = a > 1 ? l * (a - 1) : 0;
        break;
    }
    }
}

/* z_u from its own stream, so the other draws of a user do not depend on it */
static double draw_sentiment(const tide_sim *s, int64_t user)
{
    sim_rng r;
    sim_rng_init(&r, s->cfg.seed, (uint64_t)user, SIM_STREAM_SENTIMENT);
    return sim_normal(&r);
}

void tide_sim_user_truth(const tide_sim *s, int64_t user, tide_sim_truth *t)
{
    sim_rng r;
    sim_rng_init(&r, s->cfg.seed, (uint64_t)user, SIM_STREAM_TRUTH);
    draw_truth(&s->cfg, &r, t, draw_sentiment(s, user));
}

void sim_user_profile(const tide_sim *s, int64_t user, tide_sim_truth *t, double *cum)
{
    sim_rng r;
    sim_rng_init(&r, s->cfg.seed, (uint64_t)user, SIM_STREAM_TRUTH);
    draw_truth(&s->cfg, &r, t, draw_sentiment(s, user));
    int C = s->cfg.n_categories;
    double acc = 0;
    for (int c = 0; c < C; c++) cum[c] = (acc += sim_gamma(&r, s->cat_base[c], 1));
    /* tiny concentrations can underflow every draw: fall back to a uniform profile */
    for (int c = 0; c < C; c++) cum[c] = acc > 0 ? cum[c] / acc : (c + 1.0) / C;
    cum[C - 1] = 1;
}

int tide_sim_user_profile(const tide_sim *s, int64_t user, double *prob)
{
    tide_sim_truth t;
    sim_user_profile(s, user, &t, prob);
    int C = s->cfg.n_categories, top = 0;
    for (int c = C - 1; c > 0; c--) prob[c] -= prob[c - 1]; /* cumulative -> probabilities */
    for (int c = 1; c < C; c++)
        if (prob[c] > prob[top]) top = c;
    return top;
}
