/* test_sim_recovery.c — the simulator's truth is recoverable by Tide's own estimators, which
 * checks that the two agree on parameterisations: empirical-Bayes Gamma priors of exponential
 * rates per segment (decay_eb.c, judged by a likelihood-ratio test written here), the MLE of
 * power-law and exponential-mixture gap laws (decay_fit.c), and the Hawkes MLE (hawkes.c) on a
 * population with shared μ, α, β. Uses only the public headers of those modules. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decay.h"
#include "error.h"
#include "hawkes.h"
#include "sim.h"

static tide_sim *make(tide_sim_config *c)
{
    tide_sim *s = tide_sim_new(c);
    if (!s) fail_msg("tide_sim_new: %s", tide_error());
    return s;
}

/* log marginal likelihood of counts d over exposure T under λ ~ Gamma(a, b), dropping terms
 * that do not depend on (a, b) */
static double eb_loglik(int n, const double *d, const double *T, double a, double b)
{
    double l = 0;
    for (int i = 0; i < n; i++)
        l += a * log(b) - (a + d[i]) * log(b + T[i]) + lgamma(a + d[i]) - lgamma(a);
    return l;
}

static void test_gamma_prior_per_segment(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 6000, c.seed = 61, c.hawkes = 0, c.churn = 0, c.join_spread = 0, c.horizon = 60;
    tide_sim *s = make(&c);
    int n = (int)c.n_users;
    double *d = malloc(sizeof(double) * n), *T = malloc(sizeof(double) * n);
    int32_t *seg = malloc(sizeof(int32_t) * n);
    for (int u = 0; u < n; u++) {
        tide_sim_truth t;
        tide_sim_user_truth(s, u, &t);
        seg[u] = t.segment;
        d[u] = (double)(tide_sim_user_visits(s, u, NULL, NULL, 0, NULL) - 1);
        T[u] = c.horizon;
    }
    double a[3], b[3];
    assert_int_equal(tide_decay_gamma_eb(n, d, T, seg, 3, a, b), TIDE_OK);
    for (int g = 0; g < 3; g++) {
        double dg[6000], Tg[6000];
        int m = 0;
        for (int u = 0; u < n; u++)
            if (seg[u] == g) dg[m] = d[u], Tg[m++] = T[u];
        double lr = 2 * (eb_loglik(m, dg, Tg, a[g], b[g]) -
                         eb_loglik(m, dg, Tg, c.seg[g].rate_shape, c.seg[g].rate_rate));
        /* the fit is the maximum (lr >= 0) and the truth is inside its 99.9% region (χ²₂) */
        if (lr < -1e-6 || lr > 13.8)
            fail_msg("segment %d: fitted Gamma(%g, %g) vs true (%g, %g): LR %g", g, a[g], b[g],
                     c.seg[g].rate_shape, c.seg[g].rate_rate, lr);
        double mean = a[g] / b[g], want = c.seg[g].rate_shape / c.seg[g].rate_rate;
        assert_true(fabs(mean - want) < 0.1 * want);
    }
    free(d), free(T), free(seg);
    tide_sim_free(s);
}

/* Gaps between consecutive visits (observed) plus the censored tail to the horizon. */
static void check_law_fit(tide_sim_law law, tide_decay_family fam, int k)
{
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 800, c.seed = 71 + law, c.hawkes = 0, c.churn = 0, c.join_spread = 0;
    c.horizon = 300, c.law = law, c.n_segments = 1;
    c.seg[0].rate_shape = 1e9, c.seg[0].rate_rate = 1e9 / 0.2, c.seg[0].power_shape = 2.0;
    c.seg[0].mix_weight = 0.7, c.seg[0].mix_ratio = 12;
    tide_sim *s = make(&c);
    int64_t cap = 1 << 20, n = 0;
    double *gap = malloc(sizeof(double) * (size_t)cap), tv[4096];
    uint8_t *ev = malloc((size_t)cap);
    for (int64_t u = 0; u < c.n_users; u++) {
        int64_t nv = tide_sim_user_visits(s, u, tv, NULL, 4096, NULL);
        assert_true(nv < 4096 && n + nv < cap);
        for (int64_t i = 1; i < nv; i++) gap[n] = tv[i] - tv[i - 1], ev[n++] = 1;
        gap[n] = c.horizon - tv[nv - 1], ev[n++] = 0;
    }
    tide_sim_truth t;
    tide_sim_user_truth(s, 0, &t);
    int64_t off[2] = {0, n};
    tide_decay_fit_opts o;
    tide_decay_fit_default_opts(&o);
    o.max_iter = 500;
    double th[4], se[4], ll;
    int32_t st;
    assert_int_equal(tide_decay_fit(fam, k, 1, off, gap, ev, &o, th, se, &ll, &st), TIDE_OK);
    for (int j = 0; j < t.n_theta; j++) {
        if (!(fabs(th[j] - t.theta[j]) < 4 * se[j]))
            fail_msg("%s θ[%d]: fitted %g ± %g, true %g", tide_sim_law_name(law), j, th[j], se[j],
                     t.theta[j]);
    }
    free(gap), free(ev);
    tide_sim_free(s);
}

static void test_power_law_fit(void **state) { (void)state, check_law_fit(TIDE_SIM_POWER, TIDE_DECAY_POWER, 0); }
static void test_mixture_fit(void **state) { (void)state, check_law_fit(TIDE_SIM_MIXTURE, TIDE_DECAY_MIXEXP, 2); }

static void test_hawkes_mle(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 200, c.seed = 81, c.churn = 0, c.join_spread = 0, c.horizon = 300;
    c.join_visit = 0, c.n_segments = 1;
    tide_sim_segment *g = &c.seg[0];
    g->rate_shape = 1e9, g->rate_rate = 1e9 / 0.4;
    g->branching = 0.5, g->branching_conc = 1e9, g->beta = 3, g->beta_shape = 1e9;
    tide_sim *s = make(&c);
    int64_t S = c.n_users, cap = 1 << 20, n = 0;
    double *t = malloc(sizeof(double) * (size_t)cap);
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(S + 1));
    double *t0 = calloc((size_t)S, sizeof(double)), *t1 = malloc(sizeof(double) * (size_t)S);
    off[0] = 0;
    for (int64_t u = 0; u < S; u++) {
        n += tide_sim_user_visits(s, u, t + n, NULL, cap - n, NULL);
        assert_true(n < cap);
        off[u + 1] = n, t1[u] = c.horizon;
    }
    tide_sim_truth tr;
    tide_sim_user_truth(s, 0, &tr);
    tide_hawkes p = {0, 0, 0};
    double se[3], ll;
    assert_true(tide_hawkes_fit(S, off, t, t0, t1, &p, se, &ll) >= 0);
    double fit[3] = {p.mu, p.alpha, p.beta}, want[3] = {tr.mu, tr.alpha, tr.beta};
    for (int j = 0; j < 3; j++)
        if (!(fabs(fit[j] - want[j]) < 4 * se[j]))
            fail_msg("Hawkes param %d: fitted %g ± %g, true %g", j, fit[j], se[j], want[j]);
    free(t), free(off), free(t0), free(t1);
    tide_sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gamma_prior_per_segment),
        cmocka_unit_test(test_power_law_fit),
        cmocka_unit_test(test_mixture_fit),
        cmocka_unit_test(test_hawkes_mle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
