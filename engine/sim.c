/* sim.c — the simulator's model: config, per-user ground truth, the visit process (renewal
 * immigration + Hawkes self-excitation by Ogata thinning + churn/reactivation), calibration
 * of the row count, and incentive experiments. Rows and files are in sim_write.c. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sim_impl.h"

static const tide_sim_segment default_segments[3] = {
    /* name      w    λ prior    mix      pow  n̄    β̄  conc k  churn prior  react prior */
    {"loyal", 0.3, 4, 8, 0.6, 10, 2.5, 0.40, 6, 20, 4, 2, 360, 2, 60},
    {"casual", 0.5, 3, 15, 0.5, 10, 2.0, 0.25, 4, 20, 4, 2, 120, 2, 120},
    {"at_risk", 0.2, 2, 20, 0.4, 10, 1.7, 0.15, 3, 20, 4, 2, 40, 2, 240},
};

void tide_sim_default_config(tide_sim_config *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->n_users = 1000;
    c->n_items = 5000;
    c->n_categories = 20;
    c->law = TIDE_SIM_EXP;
    c->n_segments = 3;
    memcpy(c->seg, default_segments, sizeof default_segments);
    c->t_start = 1704067200; /* 2024-01-01T00:00:00Z */
    c->horizon = 90;
    c->join_spread = 0.5;
    c->mean_pv = 3;
    c->p_click = 0.3, c->p_cart = 0.3, c->p_fav = 0.5, c->p_buy = 0.6;
    c->zipf_items = 1.1, c->zipf_categories = 0.8, c->dirichlet_conc = 5, c->stick = 0.7;
    c->drift = 0.5;
    c->price_median = 30, c->price_sigma = 0.8, c->dwell_median = 25, c->dwell_sigma = 0.9;
    c->hawkes = 1;
    c->churn = 1;
    c->join_visit = 1;
}

static const char *law_names[] = {"exponential", "mixture", "power"};

const char *tide_sim_law_name(tide_sim_law law)
{
    return (unsigned)law < 3 ? law_names[law] : "?";
}

int tide_sim_law_lookup(const char *name)
{
    if (!name) return tide_errorf("sim: decay law is missing");
    if (!strcmp(name, "exponential") || !strcmp(name, "exp")) return TIDE_SIM_EXP;
    if (!strcmp(name, "mixture") || !strcmp(name, "mixexp")) return TIDE_SIM_MIXTURE;
    if (!strcmp(name, "power")) return TIDE_SIM_POWER;
    tide_errorf("sim: unknown decay law '%s' (exponential, mixture, power)", name);
    return -1;
}

double tide_sim_rows_per_pv(const tide_sim_config *c)
{
    return 1 + c->p_click * (1 + c->p_cart * (1 + c->p_fav * (1 + c->p_buy)));
}

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

/* Draws the truth from stream r (fresh TRUTH stream of the user). Leaves r positioned for
 * the interest profile draws. Every draw is made whatever the toggles, so turning Hawkes or
 * churn off leaves the other parameters of every user unchanged. */
static void draw_truth(const tide_sim_config *c, sim_rng *r, tide_sim_truth *t)
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

void tide_sim_user_truth(const tide_sim *s, int64_t user, tide_sim_truth *t)
{
    sim_rng r;
    sim_rng_init(&r, s->cfg.seed, (uint64_t)user, SIM_STREAM_TRUTH);
    draw_truth(&s->cfg, &r, t);
}

void sim_user_profile(const tide_sim *s, int64_t user, tide_sim_truth *t, double *cum)
{
    sim_rng r;
    sim_rng_init(&r, s->cfg.seed, (uint64_t)user, SIM_STREAM_TRUTH);
    draw_truth(&s->cfg, &r, t);
    int C = s->cfg.n_categories;
    double acc = 0;
    for (int c = 0; c < C; c++) cum[c] = (acc += sim_gamma(&r, s->cat_base[c], 1));
    /* tiny concentrations can underflow every draw: fall back to a uniform profile */
    for (int c = 0; c < C; c++) cum[c] = acc > 0 ? cum[c] / acc : (c + 1.0) / C;
    cum[C - 1] = 1;
}

/* One return gap drawn from the decay law by inversion of S. */
static double draw_gap(const sim_proc *p, sim_rng *r)
{
    const double *th = p->tr.theta;
    switch (p->law) {
    case TIDE_SIM_MIXTURE: {
        double u = sim_unif(r);
        return u < th[0] ? sim_exp(r, th[2]) : sim_exp(r, th[3]);
    }
    case TIDE_SIM_POWER: /* S(t) = (1 + λt)^(−a) = U */
        return (pow(sim_unif(r), -1.0 / th[1]) - 1) / th[0];
    default:
        return sim_exp(r, th[0]);
    }
}

void sim_proc_init(const tide_sim *s, int64_t user, sim_proc *p, sim_rng *vr)
{
    memset(p, 0, sizeof *p);
    p->law = s->cfg.law;
    p->join_visit = s->cfg.join_visit;
    tide_sim_user_truth(s, user, &p->tr);
    sim_rng_init(vr, s->cfg.seed, (uint64_t)user, SIM_STREAM_VISITS);
    p->join = sim_unif(vr) * s->cfg.join_spread * s->cfg.horizon;
    if (s->cfg.join_spread == 0) p->join = 0;
}

static inline void decay_to(sim_proc *p, double t)
{
    if (p->excite > 0) p->excite *= exp(-p->tr.beta * (t - p->t));
    p->t = t;
}

static double hazard_time(sim_proc *p, sim_rng *r, double h)
{
    double u = sim_unif(r); /* always drawn: keeps paired streams aligned */
    return h > 0 ? p->t - log(u) / h : INFINITY;
}

/* Ogata (1981) thinning for the excitation part, whose intensity only decays between
 * visits, so its current value bounds it until the next visit; immigrant, churn and
 * reactivation times are drawn exactly and compete with the thinning proposals. */
int sim_proc_next(sim_proc *p, sim_rng *r, double t_end, double *t, int *kind)
{
    if (!p->started) {
        p->started = 1;
        p->t = p->join;
        if (p->join >= t_end) return 0;
        p->alive = 1;
        p->excite = p->join_visit ? p->tr.alpha : 0;
        p->next_imm = p->t + draw_gap(p, r);
        p->churn_at = hazard_time(p, r, p->tr.churn);
        if (p->join_visit) {
            *t = p->t, *kind = 0;
            return 1;
        }
    }
    for (;;) {
        if (!p->alive) {
            if (p->react_at >= t_end) {
                decay_to(p, t_end);
                return 0;
            }
            decay_to(p, p->react_at);
            p->alive = 1;
            p->excite += p->tr.alpha;
            p->next_imm = p->t + draw_gap(p, r);
            p->churn_at = hazard_time(p, r, p->tr.churn);
            *t = p->t, *kind = 3;
            return 1;
        }
        double bound = p->excite;
        double prop = bound > 1e-12 ? p->t + sim_exp(r, bound) : INFINITY;
        double tn = fmin(prop, fmin(p->next_imm, p->churn_at));
        if (tn >= t_end) {
            decay_to(p, t_end);
            return 0;
        }
        decay_to(p, tn);
        if (tn == p->churn_at) {
            p->alive = 0;
            p->react_at = hazard_time(p, r, p->tr.react);
            continue;
        }
        if (tn == p->next_imm) {
            p->excite += p->tr.alpha;
            p->next_imm = p->t + draw_gap(p, r);
            *t = p->t, *kind = 1;
            return 1;
        }
        if (sim_unif(r) * bound <= p->excite) {
            p->excite += p->tr.alpha;
            *t = p->t, *kind = 2;
            return 1;
        }
    }
}

int64_t tide_sim_user_visits(const tide_sim *s, int64_t user, double *times, int8_t *kinds,
                             int64_t cap, int *alive_at_end)
{
    sim_proc p;
    sim_rng r;
    sim_proc_init(s, user, &p, &r);
    int64_t n = 0;
    double t;
    int k;
    while (sim_proc_next(&p, &r, s->cfg.horizon, &t, &k)) {
        if (n < cap) {
            if (times) times[n] = t;
            if (kinds) kinds[n] = (int8_t)k;
        }
        n++;
    }
    if (alive_at_end) *alive_at_end = p.alive;
    return n;
}

#define BAD(x) (!(x) || isnan((double)(x)))
static int validate(const tide_sim_config *c)
{
    if (c->n_users < 1) return tide_errorf("sim: users must be >= 1 (got %lld)", (long long)c->n_users);
    if (c->n_events < 0) return tide_errorf("sim: events must be >= 0");
    if (c->n_categories < 1 || c->n_categories > TIDE_SIM_MAX_CATEGORIES)
        return tide_errorf("sim: categories must be in 1..%d (got %d)", TIDE_SIM_MAX_CATEGORIES,
                           c->n_categories);
    if (c->n_items < c->n_categories || c->n_items > INT32_MAX)
        return tide_errorf("sim: items (%lld) must be >= categories (%d) and < 2^31",
                           (long long)c->n_items, c->n_categories);
    if ((unsigned)c->law > TIDE_SIM_POWER) return tide_errorf("sim: bad decay law %d", c->law);
    if (BAD(c->horizon > 0 && isfinite(c->horizon)))
        return tide_errorf("sim: horizon must be a positive number of days (got %g)", c->horizon);
    if (BAD(c->join_spread >= 0 && c->join_spread <= 1))
        return tide_errorf("sim: join_spread must be in [0, 1] (got %g)", c->join_spread);
    if (BAD(c->mean_pv >= 1 && c->mean_pv < 1e6))
        return tide_errorf("sim: mean_pv must be >= 1 (got %g)", c->mean_pv);
    const double *pr[] = {&c->p_click, &c->p_cart, &c->p_fav, &c->p_buy, &c->stick};
    const char *pn[] = {"p_click", "p_cart", "p_fav", "p_buy", "stick"};
    for (int i = 0; i < 5; i++)
        if (BAD(*pr[i] >= 0 && *pr[i] <= 1))
            return tide_errorf("sim: %s must be a probability (got %g)", pn[i], *pr[i]);
    if (BAD(c->zipf_items >= 0 && c->zipf_items < 10 && c->zipf_categories >= 0 &&
            c->zipf_categories < 10))
        return tide_errorf("sim: Zipf exponents must be in [0, 10)");
    if (BAD(c->dirichlet_conc > 0 && c->drift >= 0 && isfinite(c->drift)))
        return tide_errorf("sim: dirichlet_conc must be > 0 and drift >= 0");
    if (BAD(c->price_median > 0 && c->price_median < 1e6 && c->price_sigma >= 0 &&
            c->price_sigma < 5 && c->dwell_median > 0 && c->dwell_median < 1e5 &&
            c->dwell_sigma >= 0 && c->dwell_sigma < 5))
        return tide_errorf("sim: price/dwell medians must be positive, sigmas in [0, 5)");
    if (c->n_segments < 1 || c->n_segments > TIDE_SIM_MAX_SEGMENTS)
        return tide_errorf("sim: 1..%d segments (got %d)", TIDE_SIM_MAX_SEGMENTS, c->n_segments);
    for (int i = 0; i < c->n_segments; i++) {
        const tide_sim_segment *g = &c->seg[i];
        if (BAD(g->weight > 0 && isfinite(g->weight)))
            return tide_errorf("sim: segment %d: weight must be > 0", i + 1);
        double pos[] = {g->rate_shape, g->rate_rate, g->beta, g->churn_shape, g->churn_rate,
                        g->react_shape, g->react_rate, g->power_shape, g->branching_conc,
                        g->beta_shape};
        for (int j = 0; j < 10; j++)
            if (BAD(pos[j] > 0 && isfinite(pos[j])))
                return tide_errorf("sim: segment %d: Gamma priors, beta, power_shape, "
                                   "branching_conc and beta_shape must be positive and finite",
                                   i + 1);
        if (BAD(g->branching >= 0 && g->branching < 0.95))
            return tide_errorf("sim: segment %d: branching must be in [0, 0.95) (got %g)", i + 1,
                               g->branching);
        if (BAD(g->mix_weight > 0 && g->mix_weight < 1 && g->mix_ratio >= 1 &&
                isfinite(g->mix_ratio)))
            return tide_errorf("sim: segment %d: mix_weight in (0, 1), mix_ratio >= 1", i + 1);
    }
    return TIDE_OK;
}

/* Chooses mean_pv so that the expected row count equals n_events; the visits themselves do
 * not depend on mean_pv, so one visits-only pass gives their exact number. If even one pv
 * per visit is too many, the horizon shrinks (roughly in proportion) and we retry. */
static int calibrate(tide_sim *s)
{
    tide_sim_config *c = &s->cfg;
    double r = tide_sim_rows_per_pv(c);
    if ((double)c->n_events < (double)c->n_users * r)
        return tide_errorf("sim: events=%lld is too few for users=%lld: every user visits at "
                           "least once (about %.2f rows per visit); ask for >= %.0f events",
                           (long long)c->n_events, (long long)c->n_users, r,
                           ceil(c->n_users * r * 1.2));
    for (int iter = 0; iter < 60; iter++) {
        double visits = 0;
        for (int64_t u = 0; u < c->n_users; u++)
            visits += (double)tide_sim_user_visits(s, u, NULL, NULL, 0, NULL);
        if (visits == 0)
            return tide_errorf("sim: no user visits within the horizon (%g days): cannot reach "
                               "events=%lld", c->horizon, (long long)c->n_events);
        double m = (double)c->n_events / (visits * r);
        if (m > 1e5)
            return tide_errorf("sim: events=%lld would need %.3g pv per visit (only %.0f visits): "
                               "add users or lengthen the horizon", (long long)c->n_events, m, visits);
        if (m >= 1) {
            c->mean_pv = m;
            return TIDE_OK;
        }
        c->horizon *= fmax(0.02, 0.97 * m);
    }
    return tide_errorf("sim: could not fit events=%lld into users=%lld (horizon %g days)",
                       (long long)c->n_events, (long long)c->n_users, c->horizon);
}

tide_sim *tide_sim_new(const tide_sim_config *cfg)
{
    if (validate(cfg) != TIDE_OK) return NULL;
    tide_sim *s = calloc(1, sizeof *s);
    if (!s) {
        tide_errorf("sim: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    int C = cfg->n_categories;
    double base = 0;
    for (int c = 0; c < C; c++) base += s->cat_base[c] = pow(c + 1.0, -cfg->zipf_categories);
    for (int c = 0; c < C; c++) s->cat_base[c] *= cfg->dirichlet_conc / base;
    s->n_lo = cfg->n_items / C;
    s->cdf_lo = sim_zipf_cdf(s->n_lo, cfg->zipf_items);
    s->cdf_hi = sim_zipf_cdf(s->n_lo + 1, cfg->zipf_items);
    s->price_cents = malloc((size_t)cfg->n_items * sizeof *s->price_cents);
    if (!s->cdf_lo || !s->cdf_hi || !s->price_cents) {
        tide_sim_free(s);
        tide_errorf("sim: out of memory for %lld items", (long long)cfg->n_items);
        return NULL;
    }
    /* category medians spread log-normally around price_median; items around their category */
    for (int64_t i = 0; i < cfg->n_items; i++) {
        sim_rng r, rc;
        sim_rng_init(&r, cfg->seed, (uint64_t)i, SIM_STREAM_ITEM);
        sim_rng_init(&rc, cfg->seed ^ 0x5eedca7ull, (uint64_t)(i % C), SIM_STREAM_ITEM);
        double med = cfg->price_median * exp(0.7 * sim_normal(&rc));
        double p = med * exp(cfg->price_sigma * sim_normal(&r));
        p = fmin(fmax(p, 0.01), 1e7);
        s->price_cents[i] = (int32_t)llround(p * 100);
    }
    if (cfg->n_events > 0 && calibrate(s) != TIDE_OK) {
        tide_sim_free(s);
        return NULL;
    }
    return s;
}

void tide_sim_free(tide_sim *s)
{
    if (!s) return;
    free(s->cdf_lo);
    free(s->cdf_hi);
    free(s->price_cents);
    free(s);
}

const tide_sim_config *tide_sim_config_of(const tide_sim *s) { return &s->cfg; }

int tide_sim_future(const tide_sim *s, int64_t n, const int64_t *users, const uint8_t *treated,
                    double effect, double window, uint8_t *returned, double *first, int32_t *visits)
{
    if (BAD(effect > -1 && isfinite(effect)))
        return tide_errorf("sim future: effect must be > -1 (got %g)", effect);
    if (BAD(window > 0 && isfinite(window)))
        return tide_errorf("sim future: window must be a positive number of days (got %g)", window);
    for (int64_t i = 0; i < n; i++)
        if (users[i] < 0 || users[i] >= s->cfg.n_users)
            return tide_errorf("sim future: user %lld out of range 1..%lld",
                               (long long)users[i] + 1, (long long)s->cfg.n_users);
    double T = s->cfg.horizon;
    for (int64_t i = 0; i < n; i++) {
        sim_proc p;
        sim_rng r, fr;
        double t;
        int k;
        sim_proc_init(s, users[i], &p, &r);
        while (sim_proc_next(&p, &r, T, &t, &k)) {}
        /* hazards are memoryless: redraw the pending churn/reactivation from the log's end
         * with the (possibly) modified rates; the pending immigrant gap carries over. */
        double mult = treated && treated[i] ? 1 + effect : 1;
        p.tr.churn /= mult;
        p.tr.react *= mult;
        sim_rng_init(&fr, s->cfg.seed, (uint64_t)users[i], SIM_STREAM_FUTURE);
        if (p.alive) p.churn_at = hazard_time(&p, &fr, p.tr.churn);
        else p.react_at = hazard_time(&p, &fr, p.tr.react);
        int32_t cnt = 0;
        double f = NAN;
        while (sim_proc_next(&p, &fr, T + window, &t, &k)) {
            if (cnt == 0) f = t - T;
            cnt++;
        }
        returned[i] = cnt > 0;
        if (first) first[i] = f;
        if (visits) visits[i] = cnt;
    }
    return TIDE_OK;
}
