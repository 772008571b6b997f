/* test_hawkes.c — Hawkes likelihood against the O(n²) definition, gradient by finite
 * differences, MLE recovery from Ogata-thinned simulations within 3 standard errors, horizon
 * probability, and the time-rescaling KS test (accepts the true law, rejects Poisson). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hawkes.h"

static double brute_ll(const tide_hawkes *p, int64_t n, const double *t, double a, double T)
{
    double ll = 0;
    for (int64_t i = 0; i < n; i++) {
        double lam = p->mu;
        for (int64_t j = 0; j < i; j++) lam += p->alpha * exp(-p->beta * (t[i] - t[j]));
        ll += log(lam);
    }
    double comp = p->mu * (T - a);
    for (int64_t i = 0; i < n; i++) comp += p->alpha / p->beta * (1 - exp(-p->beta * (T - t[i])));
    return ll - comp;
}

static void test_loglik_and_grad(void **st)
{
    (void)st;
    double t[] = {0.5, 0.9, 1.0, 2.7, 3.1, 6.0};
    int64_t off[2] = {0, 6};
    double t0 = 0, t1 = 8;
    tide_hawkes p = {0.4, 0.7, 1.3};
    double g[3];
    double ll = tide_hawkes_loglik(&p, 1, off, t, &t0, &t1, g);
    assert_true(fabs(ll - brute_ll(&p, 6, t, 0, 8)) < 1e-12);
    for (int k = 0; k < 3; k++) {
        tide_hawkes q = p;
        double *v = k == 0 ? &q.mu : k == 1 ? &q.alpha : &q.beta, h = 1e-6;
        *v += h; double lp = tide_hawkes_loglik(&q, 1, off, t, &t0, &t1, NULL);
        *v -= 2 * h; double lm = tide_hawkes_loglik(&q, 1, off, t, &t0, &t1, NULL);
        assert_true(fabs(g[k] - (lp - lm) / (2 * h)) < 1e-6);
    }
}

static void test_mle_recovery_and_gof(void **st)
{
    (void)st;
    tide_hawkes truth = {0.5, 0.8, 1.2};
    tide_rng r;
    tide_rng_seed(&r, 42);
    double *t;
    double T = 3000;
    int64_t n = tide_hawkes_simulate(&truth, T, &r, &t);
    /* stationary mean rate μ / (1 − α/β) = 1.5 */
    assert_true(fabs(n / T - 1.5) < 0.25);
    int64_t off[2] = {0, n};
    double t0 = 0, t1 = T, se[3], ll;
    tide_hawkes p = {0, 0, 0};
    assert_true(tide_hawkes_fit(1, off, t, &t0, &t1, &p, se, &ll) >= 0);
    assert_true(fabs(p.mu - truth.mu) < 3 * se[0]);
    assert_true(fabs(p.alpha - truth.alpha) < 3 * se[1]);
    assert_true(fabs(p.beta - truth.beta) < 3 * se[2]);
    double *tau = malloc((size_t)n * sizeof(double)), pv;
    tide_hawkes_rescale(&p, n, t, 0, tau);
    double D = tide_ks_exp1(n, tau, &pv);
    assert_true(pv > 0.01);
    assert_true(D < 0.05);
    /* a Poisson process with the same mean rate fits badly */
    tide_hawkes pois = {n / T, 1e-9, 1};
    tide_hawkes_rescale(&pois, n, t, 0, tau);
    tide_ks_exp1(n, tau, &pv);
    assert_true(pv < 1e-4);
    free(tau);
    free(t);
}

static void test_prob_and_intensity(void **st)
{
    (void)st;
    tide_hawkes p = {0.3, 0.0, 1.0};
    double t[3] = {1, 2, 3};
    assert_true(fabs(tide_hawkes_prob_event(&p, 3, t, 4, 2) - (1 - exp(-0.6))) < 1e-12);
    p.alpha = 0.5;
    double lam = tide_hawkes_intensity(&p, 3, t, 4);
    assert_true(fabs(lam - (0.3 + 0.5 * (exp(-3) + exp(-2) + exp(-1)))) < 1e-12);
    /* for a tiny horizon P ≈ λ h */
    double h = 1e-7;
    assert_true(fabs(tide_hawkes_prob_event(&p, 3, t, 4, h) / h - lam) < 1e-5);
    /* Monte Carlo check of the horizon probability */
    tide_rng r;
    tide_rng_seed(&r, 3);
    int hit = 0, N = 20000;
    tide_hawkes q = {0.2, 0.9, 1.5};
    for (int k = 0; k < N; k++) {
        /* simulate forward from at = 4 with history t by thinning */
        double now = 4, S = 0;
        for (int i = 0; i < 3; i++) S += exp(-q.beta * (4 - t[i]));
        double bar = q.mu + q.alpha * S, w = -log(1 - tide_rng_uniform(&r)) / bar;
        int got = 0;
        while (now + w <= 5.5) {
            now += w;
            S *= exp(-q.beta * w);
            if (tide_rng_uniform(&r) * bar <= q.mu + q.alpha * S) { got = 1; break; }
            bar = q.mu + q.alpha * S;
            w = -log(1 - tide_rng_uniform(&r)) / bar;
        }
        hit += got;
    }
    double pe = tide_hawkes_prob_event(&q, 3, t, 4, 1.5);
    assert_true(fabs((double)hit / N - pe) < 4 * sqrt(pe * (1 - pe) / N));
}

static void test_ks_and_errors(void **st)
{
    (void)st;
    double x[1000], pv;
    for (int i = 0; i < 1000; i++) x[i] = -log(1 - (i + 0.5) / 1000); /* exact quantiles */
    double D = tide_ks_exp1(1000, x, &pv);
    assert_true(D <= 0.0005 + 1e-12);
    assert_true(pv > 0.99);
    double t[2] = {5, 1};
    int64_t off[2] = {0, 2};
    double a = 0, b = 10;
    tide_hawkes p = {0, 0, 0};
    assert_true(tide_hawkes_fit(1, off, t, &a, &b, &p, NULL, NULL) < 0); /* unsorted */
    double *o;
    tide_hawkes bad = {-1, 0, 1};
    assert_true(tide_hawkes_simulate(&bad, 10, NULL, &o) < 0);
}

/* pooled rescaling: brute-force compensators Λ_s(x) = μ(x − t0) + (α/β) Σ_{t_j < x} (1 − e^(−β(x − t_j)))
 * per sequence, increments joined across sequences (the open tail carried to the next one) */
static double brute_comp(const tide_hawkes *p, int64_t n, const double *t, double t0, double x)
{
    double c = p->mu * (x - t0);
    for (int64_t j = 0; j < n && t[j] < x; j++) c += p->alpha / p->beta * (1 - exp(-p->beta * (x - t[j])));
    return c;
}

static void test_rescale_pooled(void **st)
{
    (void)st;
    tide_hawkes p = {0.3, 0.7, 1.3};
    double t[] = {0.5, 1.0, 4.0, /* seq 2 empty */ 2.0, 2.5, 7.0};
    int64_t off[] = {0, 3, 3, 6};
    double t0[] = {0, 1, 0.5}, t1[] = {6, 3, 8}, tau[6];
    assert_int_equal(tide_hawkes_rescale_pooled(&p, 3, off, t, t0, t1, tau), 6);
    double want[6], carry = 0;
    int m = 0;
    for (int s = 0; s < 3; s++) {
        int64_t n = off[s + 1] - off[s];
        const double *ts = t + off[s];
        double prev = 0;
        for (int64_t i = 0; i < n; i++) {
            double c = brute_comp(&p, n, ts, t0[s], ts[i]);
            want[m++] = (i == 0 ? carry : 0) + c - prev;
            if (i == 0) carry = 0;
            prev = c;
        }
        carry += brute_comp(&p, n, ts, t0[s], t1[s]) - prev;
    }
    for (int i = 0; i < 6; i++) assert_true(fabs(tau[i] - want[i]) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loglik_and_grad), cmocka_unit_test(test_mle_recovery_and_gof),
        cmocka_unit_test(test_prob_and_intensity), cmocka_unit_test(test_ks_and_errors),
        cmocka_unit_test(test_rescale_pooled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
