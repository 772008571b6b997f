/* test_decay.c — decay families against closed forms and finite differences; MLE recovery
 * on data simulated from known laws (with right censoring); AIC/BIC family choice; Gamma
 * empirical Bayes; gap extraction on a hand-made sequence. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decay.h"
#include "rng.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol) * fmax(1, fabs(b)))

static const double TH[TIDE_DECAY_NFAMILIES][6] = {
    {0.3}, {0.05}, {0.2}, {0.4}, {0.5, 1.7}, {0.25, 0.6}, {0.3, 0.7, 2.0, 0.1}};

static void test_closed_forms(void **st)
{
    (void)st;
    double t = 3.0;
    NEAR(tide_decay_survival(TIDE_DECAY_EXP, 0, TH[0], t, NULL), exp(-0.9), 1e-14);
    NEAR(tide_decay_survival(TIDE_DECAY_LINEAR, 0, TH[1], t, NULL), 0.85, 1e-14);
    NEAR(tide_decay_survival(TIDE_DECAY_LINEAR, 0, TH[1], 30, NULL), 0.0, 1e-14); /* clipped */
    NEAR(tide_decay_survival(TIDE_DECAY_LOG, 0, TH[2], t, NULL), 1 - 0.2 * log(4.0), 1e-14);
    NEAR(tide_decay_survival(TIDE_DECAY_HYPERBOLIC, 0, TH[3], t, NULL), 1 / 2.2, 1e-14);
    NEAR(tide_decay_survival(TIDE_DECAY_POWER, 0, TH[4], t, NULL), pow(2.5, -1.7), 1e-14);
    NEAR(tide_decay_survival(TIDE_DECAY_WEIBULL, 0, TH[5], t, NULL), exp(-pow(0.75, 0.6)), 1e-14);
    NEAR(tide_decay_survival(TIDE_DECAY_MIXEXP, 2, TH[6], t, NULL), 0.3 * exp(-6) + 0.7 * exp(-0.3), 1e-14);
    NEAR(tide_decay_half_life(TIDE_DECAY_EXP, 0, TH[0]), log(2) / 0.3, 1e-14);
    for (int f = 0; f < TIDE_DECAY_NFAMILIES; f++) {
        int k = f == TIDE_DECAY_MIXEXP ? 2 : 0;
        double h = tide_decay_half_life(f, k, TH[f]);
        NEAR(tide_decay_survival(f, k, TH[f], h, NULL), 0.5, 1e-9);
        NEAR(tide_decay_survival(f, k, TH[f], 0, NULL), 1.0, 1e-14);
    }
}

/* dS/dθ and d loglik/dθ by central differences; f = −dS/dt and exp(loglik(event)) = f */
static void test_gradients_fd(void **st)
{
    (void)st;
    const double ts[] = {0.7, 2.5, 6.0};
    for (int f = 0; f < TIDE_DECAY_NFAMILIES; f++) {
        int k = f == TIDE_DECAY_MIXEXP ? 2 : 0, P = tide_decay_nparams(f, k);
        for (int it = 0; it < 3; it++) {
            double t = ts[it], g[6], th[6];
            tide_decay_survival(f, k, TH[f], t, g);
            for (int p = 0; p < P; p++) {
                double h = 1e-6 * fmax(1e-3, TH[f][p]);
                memcpy(th, TH[f], sizeof th);
                th[p] += h; double sp = tide_decay_survival(f, k, th, t, NULL);
                th[p] -= 2 * h; double sm = tide_decay_survival(f, k, th, t, NULL);
                NEAR(g[p], (sp - sm) / (2 * h), 1e-6);
            }
            for (int ev = 0; ev <= 1; ev++) {
                double gl[6] = {0};
                double ll = tide_decay_loglik1(f, k, TH[f], t, ev, gl);
                if (!isfinite(ll)) continue;
                for (int p = 0; p < P; p++) {
                    double h = 1e-6 * fmax(1e-3, TH[f][p]);
                    memcpy(th, TH[f], sizeof th);
                    th[p] += h; double lp = tide_decay_loglik1(f, k, th, t, ev, NULL);
                    th[p] -= 2 * h; double lm = tide_decay_loglik1(f, k, th, t, ev, NULL);
                    NEAR(gl[p], (lp - lm) / (2 * h), 1e-5);
                }
            }
            /* density from the survival curve */
            double ht = 1e-6;
            double dens = -(tide_decay_survival(f, k, TH[f], t + ht, NULL) -
                            tide_decay_survival(f, k, TH[f], t - ht, NULL)) / (2 * ht);
            double ll = tide_decay_loglik1(f, k, TH[f], t, 1, NULL);
            if (dens > 0) NEAR(exp(ll), dens, 1e-6);
            NEAR(exp(tide_decay_loglik1(f, k, TH[f], t, 0, NULL)),
                 tide_decay_survival(f, k, TH[f], t, NULL), 1e-12);
        }
    }
}

/* Simulates `users` renewal processes on [0, W] with gaps from the law `draw`; the open gap at
 * W is censored. Returns the gap count; arrays sized generously by the caller. */
typedef double (*draw_fn)(tide_rng *r, const double *th);
static double draw_exp(tide_rng *r, const double *th) { return -log(1 - tide_rng_uniform(r)) / th[0]; }
static double draw_weib(tide_rng *r, const double *th)
{
    return pow(-log(1 - tide_rng_uniform(r)), 1 / th[1]) / th[0];
}
static double draw_mix(tide_rng *r, const double *th)
{
    int c = tide_rng_uniform(r) < th[0] ? 0 : 1;
    return -log(1 - tide_rng_uniform(r)) / th[2 + c];
}
static int64_t simulate(draw_fn draw, const double *th, int users, double W, uint64_t seed,
                        double *t, uint8_t *ev, int64_t *off, int64_t cap)
{
    tide_rng r;
    tide_rng_seed(&r, seed);
    int64_t m = 0;
    for (int u = 0; u < users; u++) {
        if (off) off[u] = m;
        double now = 0;
        for (;;) {
            double g = draw(&r, th);
            if (now + g > W || m >= cap - 1) { t[m] = W - now; ev[m] = 0; m++; break; }
            t[m] = g; ev[m] = 1; m++;
            now += g;
        }
    }
    if (off) off[users] = m;
    return m;
}

#define CAP 400000
static double T_[CAP];
static uint8_t E_[CAP];

static void fit_one(int fam, int k, int64_t n, double *th, double *se, double *ll)
{
    int64_t off[2] = {0, n};
    int32_t stt;
    assert_int_equal(tide_decay_fit(fam, k, 1, off, T_, E_, NULL, th, se, ll, &stt), 0);
    assert_true(stt == 0 || stt == -2);
}

static void test_mle_exponential(void **st)
{
    (void)st;
    double truth[1] = {0.2}, th[1], se[1], ll;
    int64_t n = simulate(draw_exp, truth, 2000, 30, 11, T_, E_, NULL, CAP);
    fit_one(TIDE_DECAY_EXP, 0, n, th, se, &ll);
    /* closed form with censoring: d / total exposure */
    double d = 0, T = 0;
    for (int64_t i = 0; i < n; i++) { d += E_[i]; T += T_[i]; }
    NEAR(th[0], d / T, 1e-6);
    NEAR(se[0], (d / T) / sqrt(d), 1e-3);
    assert_true(fabs(th[0] - 0.2) < 3 * se[0]);
}

static void test_mle_weibull_mixture(void **st)
{
    (void)st;
    double tw[2] = {0.1, 0.6}, th[4], se[4], ll;
    int64_t n = simulate(draw_weib, tw, 3000, 60, 12, T_, E_, NULL, CAP);
    fit_one(TIDE_DECAY_WEIBULL, 0, n, th, se, &ll);
    assert_true(fabs(th[0] - 0.1) < 3 * se[0]);
    assert_true(fabs(th[1] - 0.6) < 3 * se[1]);
    double tm[4] = {0.3, 0.7, 1.0, 0.05}; /* w_fast, w_slow, λ_fast, λ_slow */
    n = simulate(draw_mix, tm, 3000, 100, 13, T_, E_, NULL, CAP);
    fit_one(TIDE_DECAY_MIXEXP, 2, n, th, se, &ll);
    assert_true(th[2] > th[3]); /* sorted fast first */
    for (int p = 0; p < 4; p++) assert_true(fabs(th[p] - tm[p]) < 3.5 * se[p]);
}

static double aic_of(int fam, int k, int64_t n)
{
    int P = tide_decay_nparams(fam, k);
    double th[8], se[8], ll;
    fit_one(fam, k, n, th, se, &ll);
    (void)P;
    return 2 * tide_decay_nfree(fam, k) - 2 * ll;
}

static void test_aic_choice(void **st)
{
    (void)st;
    int fams[] = {TIDE_DECAY_EXP, TIDE_DECAY_HYPERBOLIC, TIDE_DECAY_POWER, TIDE_DECAY_WEIBULL, TIDE_DECAY_MIXEXP};
    double tw[2] = {0.1, 0.5};
    int64_t n = simulate(draw_weib, tw, 2000, 60, 21, T_, E_, NULL, CAP);
    int best = -1;
    double ba = INFINITY;
    for (int i = 0; i < 5; i++) {
        double a = aic_of(fams[i], 2, n);
        if (a < ba) { ba = a; best = fams[i]; }
    }
    assert_int_equal(best, TIDE_DECAY_WEIBULL);
    double tm[4] = {0.5, 0.5, 2.0, 0.05};
    n = simulate(draw_mix, tm, 2000, 100, 22, T_, E_, NULL, CAP);
    best = -1; ba = INFINITY;
    for (int i = 0; i < 5; i++) {
        double a = aic_of(fams[i], 2, n);
        if (a < ba) { ba = a; best = fams[i]; }
    }
    assert_int_equal(best, TIDE_DECAY_MIXEXP);
}

static void test_linear_closed_form(void **st)
{
    (void)st;
    double t[] = {1, 4, 2.5, 3};
    uint8_t ev[] = {1, 1, 1, 1};
    int64_t off[2] = {0, 4};
    double th, se, ll;
    int32_t s;
    assert_int_equal(tide_decay_fit(TIDE_DECAY_LINEAR, 0, 1, off, t, ev, NULL, &th, &se, &ll, &s), 0);
    NEAR(th, 0.25, 1e-12); /* uniform on [0, 1/λ]: MLE 1/λ = max gap */
    NEAR(ll, 4 * log(0.25), 1e-12);
    /* with one censored gap the maximum is interior: d/λ = c/(1−λc) → λ = d/(c(d+1)) */
    double t2[] = {1, 2, 10};
    uint8_t e2[] = {1, 1, 0};
    off[1] = 3;
    tide_decay_fit(TIDE_DECAY_LINEAR, 0, 1, off, t2, e2, NULL, &th, &se, &ll, &s);
    NEAR(th, 2.0 / 30, 1e-9);
}

static void test_gamma_eb(void **st)
{
    (void)st;
    enum { S = 4000 };
    static double d[S], T[S];
    tide_rng r;
    tide_rng_seed(&r, 5);
    double a0 = 3, b0 = 30; /* mean rate 0.1 */
    for (int s = 0; s < S; s++) {
        /* Gamma(3, 30) as a sum of three exponentials */
        double lam = 0;
        for (int j = 0; j < 3; j++) lam += -log(1 - tide_rng_uniform(&r)) / b0;
        double now = 0, W = 40;
        d[s] = 0;
        for (;;) {
            double g = -log(1 - tide_rng_uniform(&r)) / lam;
            if (now + g > W) break;
            now += g; d[s]++;
        }
        T[s] = W;
    }
    double a, b;
    assert_int_equal(tide_decay_gamma_eb(S, d, T, NULL, 1, &a, &b), 0);
    assert_true(fabs(a - a0) / a0 < 0.2);
    assert_true(fabs(a / b - a0 / b0) / (a0 / b0) < 0.05);
    NEAR(tide_digamma(1.0), -0.5772156649015329, 1e-12);
    NEAR(tide_digamma(0.5), -1.9635100260214235, 1e-12);
}

static void test_gaps(void **st)
{
    (void)st;
    /* user 0: times 0, 10, 10, 25 (end 40); user 1: 5 */
    int64_t off[3] = {0, 4, 5}, time[5] = {0, 10, 10, 25, 5};
    int32_t key[5] = {1, 2, 1, 1, 3};
    double *g; uint8_t *e; int32_t *u, *k;
    int64_t m = tide_decay_gaps(2, off, time, NULL, 40, 0, 1, &g, &e, &u, NULL);
    assert_int_equal(m, 4); /* 10, 15, censored 15; user 1: censored 35 */
    double wg[] = {10, 15, 15, 35};
    uint8_t we[] = {1, 1, 0, 0};
    for (int i = 0; i < 4; i++) { NEAR(g[i], wg[i], 0); assert_int_equal(e[i], we[i]); }
    free(g); free(e); free(u);
    m = tide_decay_gaps(2, off, time, key, 40, 0, 10, &g, &e, &u, &k);
    /* key 1: 0,10,25 → 1.0, 1.5, cens 1.5; key 2: cens 3.0; user 1 key 3: cens 3.5 */
    assert_int_equal(m, 5);
    double wg2[] = {1.0, 1.5, 1.5, 3.0, 3.5};
    int32_t wk[] = {1, 1, 1, 2, 3};
    for (int i = 0; i < 5; i++) { NEAR(g[i], wg2[i], 1e-12); assert_int_equal(k[i], wk[i]); }
    free(g); free(e); free(u); free(k);
    int64_t bad[2] = {5, 1};
    int64_t off1[2] = {0, 2};
    assert_true(tide_decay_gaps(1, off1, bad, NULL, 10, 0, 1, &g, &e, &u, NULL) < 0);
    assert_true(tide_decay_lookup("nope") < 0);
    assert_int_equal(tide_decay_lookup("Weibull"), TIDE_DECAY_WEIBULL);
}

/* many series in one call: the batched fit equals one-by-one fits */
static void test_batched(void **st)
{
    (void)st;
    static int64_t off[501];
    double tr[2] = {0.1, 0.8};
    simulate(draw_weib, tr, 500, 50, 31, T_, E_, off, CAP);
    static double th[1000], se[1000], ll[500];
    static int32_t s[500];
    assert_int_equal(tide_decay_fit(TIDE_DECAY_WEIBULL, 0, 500, off, T_, E_, NULL, th, se, ll, s), 0);
    double th1[2], se1[2], ll1;
    int32_t s1;
    assert_int_equal(tide_decay_fit(TIDE_DECAY_WEIBULL, 0, 1, off + 7, T_, E_, NULL, th1, se1, &ll1, &s1), 0);
    NEAR(th1[0], th[14], 1e-12);
    NEAR(ll1, ll[7], 1e-12);
}

/* free <-> natural parameter round trip, names, counts, and the vectorised evaluator */
static void test_transforms_and_eval(void **st)
{
    (void)st;
    for (int f = 0; f < TIDE_DECAY_NFAMILIES; f++) {
        int k = f == TIDE_DECAY_MIXEXP ? 2 : 0, P = tide_decay_nparams(f, k);
        double u[8], back[8];
        assert_int_equal(tide_decay_to_free(f, k, TH[f], u), 0);
        tide_decay_from_free(f, k, u, back);
        for (int p = 0; p < P; p++) NEAR(back[p], TH[f][p], 1e-12);
        assert_int_equal(tide_decay_lookup(tide_decay_name(f)), f);
        assert_int_equal(tide_decay_nfree(f, k), f == TIDE_DECAY_MIXEXP ? 3 : P);
    }
    assert_int_equal(tide_decay_nparams(TIDE_DECAY_MIXEXP, 0), -1);
    /* two series: exponential rates 0.5 and 2 */
    double th[2] = {0.5, 2.0}, t[3] = {1, 1, 0.5}, out[3], g[3];
    int32_t series[3] = {0, 1, 1};
    assert_int_equal(tide_decay_eval(TIDE_DECAY_EXP, 0, 3, th, series, 2, t, out, g), 0);
    NEAR(out[0], exp(-0.5), 1e-14); NEAR(out[1], exp(-2.0), 1e-14); NEAR(out[2], exp(-1.0), 1e-14);
    NEAR(g[2], -0.5 * exp(-1.0), 1e-14);
    int32_t bad[3] = {0, 2, 0};
    assert_true(tide_decay_eval(TIDE_DECAY_EXP, 0, 3, th, bad, 2, t, out, NULL) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),     cmocka_unit_test(test_gradients_fd),
        cmocka_unit_test(test_mle_exponential),  cmocka_unit_test(test_mle_weibull_mixture),
        cmocka_unit_test(test_aic_choice),       cmocka_unit_test(test_linear_closed_form),
        cmocka_unit_test(test_gamma_eb),         cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_batched),          cmocka_unit_test(test_transforms_and_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
