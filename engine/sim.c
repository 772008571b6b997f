/* sim.c — the simulator's configuration: defaults, validation, construction (item tables,
 * prices) and calibration of the row count. The model's draws are in sim_draw.c, the visit
 * process and incentive futures in sim_proc.c, rows in sim_rows.c, files in sim_write.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    c->review_noise = 1;
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

#define BAD(x) (!(x) || isnan((double)(x)))
static int validate(const tide_sim_config *c)
{
    if (c->n_users < 1) return tide_errorf("sim: users must be >= 1 (got %lld)", (long long)c->n_users);
    if (c->n_events < 0) return tide_errorf("sim: events must be >= 0");
    if (c->n_categories < 1 || c->n_categories > TIDE_SIM_MAX_CATEGORIES)
        return tide_errorf("sim: categories must be in 1..%d (got %d)", TIDE_SIM_MAX_CATEGORIES,
                           c->n_categories);
    if (c->n_items < c->n_categories || c->n_items > 100000000)
        return tide_errorf("sim: items (%lld) must be >= categories (%d) and <= 1e8",
                           (long long)c->n_items, c->n_categories);
    if ((unsigned)c->law > TIDE_SIM_POWER) return tide_errorf("sim: bad decay law %d", c->law);
    if (BAD(c->horizon > 0 && c->horizon <= 1e5))
        return tide_errorf("sim: horizon must be in (0, 1e5] days (got %g)", c->horizon);
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
    if (BAD(c->dirichlet_conc > 0 && c->dirichlet_conc <= 1e6 && c->drift >= 0 && c->drift <= 1e6))
        return tide_errorf("sim: dirichlet_conc must be in (0, 1e6] and drift in [0, 1e6]");
    if (BAD(c->price_median > 0 && c->price_median < 1e6 && c->price_sigma >= 0 &&
            c->price_sigma < 5 && c->dwell_median > 0 && c->dwell_median < 1e5 &&
            c->dwell_sigma >= 0 && c->dwell_sigma < 5))
        return tide_errorf("sim: price/dwell medians must be positive, sigmas in [0, 5)");
    if (BAD(fabs(c->sentiment) <= 5))
        return tide_errorf("sim: sentiment strength must be in [-5, 5] (got %g)", c->sentiment);
    if (BAD(c->p_review >= 0 && c->p_review <= 1))
        return tide_errorf("sim: p_review must be a probability (got %g)", c->p_review);
    if (BAD(c->review_noise >= 0 && c->review_noise <= 100))
        return tide_errorf("sim: review_noise must be in [0, 100] (got %g)", c->review_noise);
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
            if (BAD(pos[j] > 0 && pos[j] <= 1e12))
                return tide_errorf("sim: segment %d: Gamma priors, beta, power_shape, "
                                   "branching_conc and beta_shape must be in (0, 1e12]", i + 1);
        /* mean rates per day: beyond these a user's process never ends in practice */
        if (g->rate_shape / g->rate_rate > 1e4 || g->beta > 1e6 ||
            g->churn_shape / g->churn_rate > 1e6 || g->react_shape / g->react_rate > 1e6)
            return tide_errorf("sim: segment %d: mean decay rate must be <= 1e4 per day, beta, "
                               "churn and reactivation means <= 1e6 per day", i + 1);
        if (BAD(g->branching >= 0 && g->branching < 0.95))
            return tide_errorf("sim: segment %d: branching must be in [0, 0.95) (got %g)", i + 1,
                               g->branching);
        if (BAD(g->mix_weight > 0 && g->mix_weight < 1 && g->mix_ratio >= 1 && g->mix_ratio <= 1e6))
            return tide_errorf("sim: segment %d: mix_weight in (0, 1), mix_ratio in [1, 1e6]", i + 1);
    }
    return TIDE_OK;
}

typedef struct {
    const tide_sim *s;
    int64_t u0, u1, visits;
} count_job;

static void *count_main(void *arg)
{
    count_job *j = arg;
    for (int64_t u = j->u0; u < j->u1; u++) j->visits += tide_sim_user_visits(j->s, u, NULL, NULL, 0, NULL);
    return NULL;
}

/* Total visits of all users; users are independent, so ranges are counted in parallel and
 * the integer sum is exact whatever the split. */
static int64_t count_visits(const tide_sim *s)
{
    int64_t U = s->cfg.n_users;
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    int T = U < 4096 || nproc < 2 ? 1 : nproc > 8 ? 8 : (int)nproc;
    count_job jobs[8];
    pthread_t th[8];
    int started[8] = {0};
    for (int i = 0; i < T; i++) {
        jobs[i] = (count_job){s, U * i / T, U * (i + 1) / T, 0};
        if (i > 0) started[i] = pthread_create(&th[i], NULL, count_main, &jobs[i]) == 0;
    }
    count_main(&jobs[0]);
    int64_t total = jobs[0].visits;
    for (int i = 1; i < T; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else count_main(&jobs[i]); /* no thread: count here */
        total += jobs[i].visits;
    }
    return total;
}

/* Chooses mean_pv so that the expected row count equals n_events; the visits themselves do
 * not depend on mean_pv, so one visits-only pass gives their exact number. If even one pv
 * per visit is too many, the horizon shrinks (roughly in proportion) and we retry. */
static int calibrate(tide_sim *s)
{
    tide_sim_config *c = &s->cfg;
    double r = tide_sim_rows_per_pv(c);
    if (c->join_visit && (double)c->n_events < (double)c->n_users * r)
        return tide_errorf("sim: events=%lld is too few for users=%lld: every user visits at "
                           "least once (about %.2f rows per visit); ask for >= %.0f events",
                           (long long)c->n_events, (long long)c->n_users, r,
                           ceil(c->n_users * r * 1.2));
    for (int iter = 0; iter < 60; iter++) {
        double visits = (double)count_visits(s);
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
    s->guide_lo = s->cdf_lo ? sim_guide_table(s->cdf_lo, s->n_lo) : NULL;
    s->guide_hi = s->cdf_hi ? sim_guide_table(s->cdf_hi, s->n_lo + 1) : NULL;
    s->price_cents = malloc((size_t)cfg->n_items * sizeof *s->price_cents);
    if (!s->cdf_lo || !s->cdf_hi || !s->guide_lo || !s->guide_hi || !s->price_cents) {
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
    free(s->guide_lo);
    free(s->guide_hi);
    free(s->price_cents);
    free(s);
}

const tide_sim_config *tide_sim_config_of(const tide_sim *s) { return &s->cfg; }
