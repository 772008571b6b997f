/* sim_proc.c — the visit process of one user: renewal immigration with decay-law gaps
 * (Wheatley, Filimonov & Sornette 2016), exponential Hawkes self-excitation by Ogata (1981)
 * thinning, churn and reactivation hazards; and incentive experiments that continue a user's
 * logged history with modified hazards. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sim_impl.h"

#define BAD(x) (!(x) || isnan((double)(x)))

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

static int sim_proc_step(sim_proc *p, sim_rng *r, double t_end, double *t, int *kind);

/* A user's process ends after SIM_MAX_VISITS visits (10^7: far beyond any sane config, and it
 * bounds the work when Gamma draws land on extreme rates). */
int sim_proc_next(sim_proc *p, sim_rng *r, double t_end, double *t, int *kind)
{
    if (p->n_visits >= SIM_MAX_VISITS || !sim_proc_step(p, r, t_end, t, kind)) return 0;
    p->n_visits++;
    return 1;
}

/* Ogata (1981) thinning for the excitation part, whose intensity only decays between
 * visits, so its current value bounds it until the next visit; immigrant, churn and
 * reactivation times are drawn exactly and compete with the thinning proposals. */
static int sim_proc_step(sim_proc *p, sim_rng *r, double t_end, double *t, int *kind)
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
