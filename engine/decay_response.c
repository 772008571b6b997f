/* decay_response.c — the interest-response kernel λ_p(t) = μ + Σ w[c_i]·g(t − t_i; θ): its
 * log-likelihood with gradients, the maximum-likelihood fit, a nonparametric occurrence /
 * exposure curve, and expected actions in a horizon, optionally with a gamma frailty per pair
 * (decay_frailty.h). See decay_response.h for the model. */
#include "decay_response.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "decay_frailty.h"
#include "error.h"
#include "lbfgs.h"
#include "threads.h"

#define MAXR 64 /* parameters: 1 + types + family (types <= 32) */

int tide_response_nparams(tide_decay_family fam, int k, int n_types)
{
    int P = tide_decay_nparams(fam, k);
    if (P < 0 || n_types < 1 || n_types > 32) return -1;
    return 1 + n_types + P;
}

static int nfree(tide_decay_family fam, int k, int C) { return 1 + C + tide_decay_nfree(fam, k); }

void tide_response_to_free(tide_decay_family fam, int k, int C, const double *par, double *u)
{
    for (int i = 0; i < 1 + C; i++) u[i] = log(par[i]);
    tide_decay_to_free(fam, k, par + 1 + C, u + 1 + C);
}

/* log μ and log w are floored at −700 (e^−700 ≈ 1e-304): an optimiser that drives a useless type's
 * weight toward 0 would otherwise underflow it to exactly 0, which later calls (scoring, a
 * segment fit started from it) reject as a parameter that must be > 0 */
void tide_response_from_free(tide_decay_family fam, int k, int C, const double *u, double *par)
{
    for (int i = 0; i < 1 + C; i++) par[i] = exp(fmax(u[i], -700));
    tide_decay_from_free(fam, k, u + 1 + C, par + 1 + C);
}

int tide_response_check(const tide_response_data *d)
{
    if (d->n_pairs < 0 || !d->off) return tide_errorf("decay.response: no pairs");
    if (d->n_types < 1 || d->n_types > 32)
        return tide_errorf("decay.response: %d event types (1..32 supported)", d->n_types);
    if (!(d->t1 > d->t0)) return tide_errorf("decay.response: window [%g, %g) is empty", d->t0, d->t1);
    if (d->units) {
        if (d->n_units < 0 || d->units[0] != 0 || d->units[d->n_units] != d->n_pairs)
            return tide_errorf("decay.response: frailty units must start at pair 0 and end at pair %lld", (long long)d->n_pairs);
        for (int64_t g = 0; g < d->n_units; g++)
            if (d->units[g + 1] < d->units[g])
                return tide_errorf("decay.response: frailty unit offsets decrease at unit %lld", (long long)g);
    }
    for (int64_t p = 0; p < d->n_pairs; p++) {
        if (d->off[p + 1] < d->off[p]) return tide_errorf("decay.response: offsets decrease at pair %lld", (long long)p);
        for (int64_t i = d->off[p]; i < d->off[p + 1]; i++) {
            if (!isfinite(d->time[i])) return tide_errorf("decay.response: event %lld has time %g", (long long)i, d->time[i]);
            if (i > d->off[p] && d->time[i] < d->time[i - 1])
                return tide_errorf("decay.response: pair %lld is not sorted by time at event %lld", (long long)p, (long long)i);
            if (d->type[i] < 0 || d->type[i] >= d->n_types)
                return tide_errorf("decay.response: event %lld has type %d (0..%d)", (long long)i, d->type[i], d->n_types - 1);
        }
    }
    return TIDE_OK;
}

/* density g(a) and, if dg != NULL, dg/dθ (natural) */
static double kernel(tide_decay_family fam, int k, const double *th, double a, double *dg, int P)
{
    if (fam == TIDE_DECAY_EXP || fam == TIDE_DECAY_MIXEXP) {
        /* g = Σ w_i λ_i e^(−λ_i a) (w = 1 for one exponential) computed directly: the general
         * path's log density and exp back cost two transcendentals per (action, interaction)
         * pair in the likelihood's inner loop */
        int K = fam == TIDE_DECAY_EXP ? 1 : k;
        double g = 0;
        for (int i = 0; i < K; i++) {
            double wi = fam == TIDE_DECAY_EXP ? 1 : th[i], l = fam == TIDE_DECAY_EXP ? th[0] : th[k + i];
            double e = exp(-l * a);
            g += wi * l * e;
            if (dg) {
                if (fam == TIDE_DECAY_EXP) dg[0] = e * (1 - l * a);
                else { dg[i] = l * e; dg[k + i] = wi * e * (1 - l * a); }
            }
        }
        return g;
    }
    double tmp[MAXR] = {0};
    double lg = tide_decay_loglik1(fam, k, th, a, 1, dg ? tmp : NULL);
    if (!isfinite(lg)) { if (dg) memset(dg, 0, sizeof(double) * P); return 0; }
    double g = exp(lg);
    if (dg) for (int j = 0; j < P; j++) dg[j] = g * tmp[j];
    return g;
}

/* S(a) (a >= 0) and dS/dθ */
static double surv(tide_decay_family fam, int k, const double *th, double a, double *ds, int P)
{
    if (ds) memset(ds, 0, sizeof(double) * P);
    return tide_decay_survival(fam, k, th, a < 0 ? 0 : a, ds);
}

/* S(a) − S(b), 0 <= a <= b (b may be +inf), and its gradient dm/dθ. Exponential components
 * use e^(−λa)·(−expm1(−λ(b − a))): the plain difference cancels to 0 for a slow component
 * (λ·(b − a) below ~1e-16), which would make the compensator vanish while the intensity stays
 * positive — an optimiser then drives the rate to 0 and the weight to infinity on a fake
 * likelihood gain. */
static double mass(tide_decay_family fam, int k, const double *th, double a, double b, double *dm, int P)
{
    if (fam != TIDE_DECAY_EXP && fam != TIDE_DECAY_MIXEXP) {
        double d0[MAXR], d1[MAXR];
        double m = surv(fam, k, th, a, dm ? d0 : NULL, P) - surv(fam, k, th, b, dm ? d1 : NULL, P);
        if (dm) for (int q = 0; q < P; q++) dm[q] = d0[q] - d1[q];
        return m;
    }
    int K = fam == TIDE_DECAY_EXP ? 1 : k;
    double m = 0;
    for (int i = 0; i < K; i++) {
        double wi = fam == TIDE_DECAY_EXP ? 1 : th[i], l = fam == TIDE_DECAY_EXP ? th[0] : th[k + i];
        double ea = exp(-l * a), eb = isinf(b) ? 0 : exp(-l * b);
        double mi = isinf(b) ? ea : ea * -expm1(-l * (b - a));
        m += wi * mi;
        if (dm) {
            double dl = -a * mi + (isinf(b) ? 0 : (b - a) * eb); /* d(e^(−λa) − e^(−λb))/dλ */
            if (fam == TIDE_DECAY_EXP) dm[0] = dl;
            else { dm[i] = mi; dm[k + i] = wi * dl; }
        }
    }
    return m;
}

/* end of interaction i's active span: the max_hist-th later event of the pair, or +inf */
static double active_until(const tide_response_data *d, int64_t i, int64_t end)
{
    if (d->max_hist <= 0 || i + d->max_hist >= end) return INFINITY;
    return d->time[i + d->max_hist];
}

/* One pair's terms over [start, t_end): returns Σ log λ(s) over its target actions there (not
 * the pair's opening event; skipped, with gl untouched, when want_log is 0) and adds
 * d/d(natural) of it into gl (may be NULL); *lam_out gets the compensator Λ and gL (may be NULL)
 * its gradient (overwritten); *n_out the number of those target actions. */
static double pair_terms(const tide_response_data *d, tide_decay_family fam, int k, const double *par,
                         int64_t a, int64_t b, double start, double t_end, int want_log, double *gl,
                         double *lam_out, double *gL, int64_t *n_out)
{
    int C = d->n_types, P = tide_decay_nparams(fam, k), N = 1 + C + P;
    const double mu = par[0], *w = par + 1, *th = par + 1 + C;
    double sum_log = 0, lam_c = mu * (t_end - start), dg[MAXR], ds0[MAXR], dl[MAXR];
    int64_t n = 0;
    if (gL) { memset(gL, 0, sizeof(double) * N); gL[0] = t_end - start; }
    for (int64_t j = a + 1; j < b; j++) { /* target actions: log λ(s) */
        double s = d->time[j];
        if (!d->target[j] || s < start || s >= t_end) continue;
        n++;
        if (!want_log) continue;
        double lam = mu;
        if (gl) memset(dl, 0, sizeof(double) * N), dl[0] = 1;
        int64_t lo = d->max_hist > 0 && j - d->max_hist > a ? j - d->max_hist : a;
        for (int64_t i = lo; i < j; i++) {
            if (d->time[i] >= s || s - d->time[i] < d->delay) break; /* later ones are younger */
            int c = d->type[i];
            double g = kernel(fam, k, th, s - d->time[i] - d->delay, gl ? dg : NULL, P);
            lam += w[c] * g;
            if (gl) { dl[1 + c] += g; for (int q = 0; q < P; q++) dl[1 + C + q] += w[c] * dg[q]; }
        }
        sum_log += log(lam);
        if (gl) for (int q = 0; q < N; q++) gl[q] += dl[q] / lam;
    }
    for (int64_t i = a; i < b; i++) { /* compensator of each interaction's excitation */
        double ti = d->time[i] + d->delay; /* the excitation starts after the delay */
        double hi = fmin(t_end, active_until(d, i, b)), lo = fmax(start, ti);
        if (!(hi > lo)) continue;
        int c = d->type[i];
        double m = mass(fam, k, th, lo - ti, hi - ti, gL ? ds0 : NULL, P);
        lam_c += w[c] * m;
        if (gL) {
            gL[1 + c] += m;
            for (int q = 0; q < P; q++) gL[1 + C + q] += w[c] * ds0[q];
        }
    }
    *lam_out = lam_c;
    *n_out = n;
    return sum_log;
}

/* frailty units: a run [*p0, *p1) of pairs per unit (one pair each without d->units) */
static int64_t n_units(const tide_response_data *d) { return d->units ? d->n_units : d->n_pairs; }

static void unit_pairs(const tide_response_data *d, int64_t g, int64_t *p0, int64_t *p1)
{
    *p0 = d->units ? d->units[g] : g;
    *p1 = d->units ? d->units[g + 1] : g + 1;
}

/* ℓ and dℓ/d(natural parameters) of the frailty units (or pairs) [g0, g1). Without frailty each
 * pair adds Σ log λ − Λ; with it (d->frailty, κ = par[1 + C + P]) each frailty unit adds its
 * pairs' Σ log λ + the gamma-frailty term of the unit's total N and Λ (decay_frailty.h), whose
 * gradient is the compensator's scaled by the unit's posterior mean frailty. gn (may be NULL)
 * is overwritten. */
static double loglik_units(const tide_response_data *d, tide_decay_family fam, int k, const double *par,
                           int64_t g0, int64_t g1, double *gn)
{
    int C = d->n_types, N0 = 1 + C + tide_decay_nparams(fam, k), N = N0 + (d->frailty != 0);
    double ll = 0, gL[MAXR], gU[MAXR], kappa = d->frailty ? par[N0] : 0;
    if (gn) memset(gn, 0, sizeof(double) * N);
    for (int64_t g = g0; g < g1; g++) {
        int64_t p0 = g, p1 = g + 1, nu = 0;
        if (d->frailty) unit_pairs(d, g, &p0, &p1);
        double lamu = 0;
        if (gn) memset(gU, 0, sizeof(double) * N0);
        for (int64_t p = p0; p < p1; p++) {
            int64_t a = d->off[p], b = d->off[p + 1], n;
            if (a == b) continue;
            double start = fmax(d->t0, d->time[a]), lam;
            if (start >= d->t1) continue;
            ll += pair_terms(d, fam, k, par, a, b, start, d->t1, 1, gn, &lam, gn ? gL : NULL, &n);
            lamu += lam;
            nu += n;
            if (gn) for (int q = 0; q < N0; q++) gU[q] += gL[q];
        }
        double dlam = -1;
        if (d->frailty) {
            double dk;
            ll += tide_frailty_term(kappa, nu, lamu, &dlam, &dk);
            if (gn) gn[N0] += dk;
        } else {
            ll -= lamu;
        }
        if (gn) for (int q = 0; q < N0; q++) gn[q] += dlam * gU[q];
    }
    return ll;
}

/* The units are cut into CHUNKS fixed runs, each summed on its own and the runs added in order,
 * so ℓ and its gradient are the same bits whatever the number of threads (TIDE_THREADS);
 * threads start only when the log has enough events to pay for them. */
enum { CHUNKS = 16, MIN_PARALLEL_EVENTS = 20000 };

typedef struct {
    const tide_response_data *d;
    tide_decay_family fam;
    int k, want_grad;
    const double *par;
    double ll[CHUNKS], gn[CHUNKS][MAXR]; /* each chunk's sums, written by the thread that ran it */
} ll_job;

typedef struct { ll_job *job; int first, stride; } ll_part; /* chunks first, first + stride, ... */

static void *ll_worker(void *arg)
{
    const ll_part *w = arg;
    ll_job *j = w->job;
    int64_t G = j->d->frailty ? n_units(j->d) : j->d->n_pairs;
    for (int c = w->first; c < CHUNKS; c += w->stride)
        j->ll[c] = loglik_units(j->d, j->fam, j->k, j->par, G * c / CHUNKS, G * (c + 1) / CHUNKS,
                                j->want_grad ? j->gn[c] : NULL);
    return NULL;
}

static double loglik_nat(const tide_response_data *d, tide_decay_family fam, int k, const double *par,
                         double *gn)
{
    int N = 1 + d->n_types + tide_decay_nparams(fam, k) + (d->frailty != 0);
    ll_job *job = malloc(sizeof(ll_job));
    if (!job) return NAN; /* the optimiser treats NaN as a failed step */
    *job = (ll_job){ .d = d, .fam = fam, .k = k, .par = par, .want_grad = gn != NULL };
    int T = d->off[d->n_pairs] >= MIN_PARALLEL_EVENTS ? tide_threads_wanted(CHUNKS) : 1;
    pthread_t th[CHUNKS];
    ll_part part[CHUNKS];
    int started[CHUNKS] = {0};
    for (int t = 1; t < T; t++) {
        part[t] = (ll_part){ job, t, T };
        started[t] = pthread_create(&th[t], NULL, ll_worker, &part[t]) == 0;
        if (!started[t]) ll_worker(&part[t]); /* no thread: the caller runs its chunks */
    }
    part[0] = (ll_part){ job, 0, T };
    ll_worker(&part[0]);
    for (int t = 1; t < T; t++)
        if (started[t]) pthread_join(th[t], NULL);
    double ll = 0;
    if (gn) memset(gn, 0, sizeof(double) * N);
    for (int c = 0; c < CHUNKS; c++) {
        ll += job->ll[c];
        if (gn) for (int q = 0; q < N; q++) gn[q] += job->gn[c][q];
    }
    free(job);
    return ll;
}

/* The parameter vector of data d: (μ, w, θ) and, with a frailty, κ last (free: log κ). */
static void free_of(const tide_response_data *d, tide_decay_family fam, int k, const double *par, double *u)
{
    tide_response_to_free(fam, k, d->n_types, par, u);
    if (d->frailty) u[nfree(fam, k, d->n_types)] = log(par[tide_response_nparams(fam, k, d->n_types)]);
}

static void nat_of(const tide_response_data *d, tide_decay_family fam, int k, const double *u, double *par)
{
    tide_response_from_free(fam, k, d->n_types, u, par);
    if (d->frailty) par[tide_response_nparams(fam, k, d->n_types)] = exp(u[nfree(fam, k, d->n_types)]);
}

/* chain rule: natural gradient -> free gradient */
static void grad_to_free(const tide_response_data *d, tide_decay_family fam, int k, const double *par,
                         const double *gn, double *gu)
{
    int C = d->n_types, N0 = tide_response_nparams(fam, k, C);
    for (int i = 0; i < 1 + C; i++) gu[i] = gn[i] * par[i];
    tide_decay_grad_to_free(fam, k, par + 1 + C, gn + 1 + C, gu + 1 + C);
    if (d->frailty) gu[nfree(fam, k, C)] = gn[N0] * par[N0];
}

int tide_response_loglik(const tide_response_data *d, tide_decay_family fam, int k, const double *par,
                         double *ll, double *grad_free)
{
    int N = tide_response_nparams(fam, k, d->n_types);
    if (N < 0) return tide_errorf("decay.response: bad family or %d types", d->n_types);
    if (tide_response_check(d) != TIDE_OK) return TIDE_ERR;
    double gn[MAXR];
    *ll = loglik_nat(d, fam, k, par, grad_free ? gn : NULL);
    if (grad_free) grad_to_free(d, fam, k, par, gn, grad_free);
    return TIDE_OK;
}

void tide_response_default_opts(tide_response_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_iter = 300;
    o->want_se = 1;
}

typedef struct {
    const tide_response_data *d;
    tide_decay_family fam;
    int k;
    const tide_response_opts *o;
} fit_ctx;

static double neg_obj(const double *u, double *gu, int64_t F, void *vc)
{
    fit_ctx *c = vc;
    double par[MAXR], gn[MAXR];
    nat_of(c->d, c->fam, c->k, u, par);
    double f = -loglik_nat(c->d, c->fam, c->k, par, gn);
    grad_to_free(c->d, c->fam, c->k, par, gn, gu);
    for (int64_t i = 0; i < F; i++) gu[i] = -gu[i];
    if (c->o->prior_free && c->o->prior_prec > 0)
        for (int64_t i = 0; i < F; i++) {
            double e = u[i] - c->o->prior_free[i];
            f += 0.5 * c->o->prior_prec * e * e;
            gu[i] += c->o->prior_prec * e;
        }
    return isfinite(f) ? f : INFINITY;
}

/* standard errors: the covariance of the free parameters (tide_decay_fd_covariance), then the
 * delta method through a numerical Jacobian of u -> natural parameters */
static void std_errors(fit_ctx *c, const double *u, int F, int N, double *se)
{
    double H[MAXR * MAXR], up[MAXR], J[MAXR * MAXR], pp[MAXR], pm[MAXR];
    for (int i = 0; i < N; i++) se[i] = NAN;
    if (!tide_decay_fd_covariance(neg_obj, c, u, F, H)) return;
    for (int i = 0; i < F; i++) {
        double h = 1e-5 * fmax(1, fabs(u[i]));
        memcpy(up, u, sizeof(double) * F);
        up[i] = u[i] + h; nat_of(c->d, c->fam, c->k, up, pp);
        up[i] = u[i] - h; nat_of(c->d, c->fam, c->k, up, pm);
        for (int j = 0; j < N; j++) J[j * F + i] = (pp[j] - pm[j]) / (2 * h);
    }
    for (int r = 0; r < N; r++) {
        double v = 0;
        for (int i = 0; i < F; i++)
            for (int j = 0; j < F; j++) v += J[r * F + i] * H[i * F + j] * J[r * F + j];
        se[r] = v >= 0 ? sqrt(v) : NAN;
    }
}

/* start: μ from the target rate, w = 1, θ with a half-life of a tenth of the window */
static void auto_init(const tide_response_data *d, tide_decay_family fam, int k, double *par)
{
    int C = d->n_types;
    double expo = 0, n = 0;
    for (int64_t p = 0; p < d->n_pairs; p++) {
        int64_t a = d->off[p], b = d->off[p + 1];
        if (a == b) continue;
        double start = fmax(d->t0, d->time[a]);
        if (start < d->t1) expo += d->t1 - start;
        for (int64_t j = a + 1; j < b; j++) n += d->target[j] && d->time[j] >= d->t0 && d->time[j] < d->t1;
    }
    par[0] = fmax(n, 1) / fmax(expo, 1e-12) * 0.5;
    for (int c = 0; c < C; c++) par[1 + c] = 0.1;
    double *th = par + 1 + C, lam = log(2) / ((d->t1 - d->t0) / 10);
    switch (fam) {
    case TIDE_DECAY_POWER: th[0] = lam; th[1] = 1.5; break;
    case TIDE_DECAY_WEIBULL: th[0] = lam; th[1] = 1; break;
    case TIDE_DECAY_MIXEXP:
        for (int i = 0; i < k; i++) { th[i] = 1.0 / k; th[k + i] = lam * pow(10, 1 - i); }
        break;
    default: th[0] = lam;
    }
}

/* one L-BFGS run from par (natural parameters, updated); returns the status, *f the objective */
static int fit_from(fit_ctx *c, int F, double *par, double *u, double *f, int max_iter)
{
    free_of(c->d, c->fam, c->k, par, u);
    tide_lbfgs_opts lo;
    tide_lbfgs_default_opts(&lo);
    lo.max_iter = max_iter;
    lo.gtol = 1e-7;
    int st = tide_lbfgs_minimize(neg_obj, c, F, u, f, &lo);
    nat_of(c->d, c->fam, c->k, u, par);
    return st;
}

/* Mixture starts. A mixture started with both rates near one value stays there (the two
 * components are exchangeable, the gradient that separates them is ~0), so it is started from
 * the fitted exponential kernel spread apart in several ways — a fast component at the
 * exponential rate with a slow one 10, 100 or 1000 times slower, and a symmetric spread —
 * and the best likelihood wins. Type weights and μ start from the exponential fit. */
static int fit_mixture(fit_ctx *c, int F, const tide_response_opts *o, double *par, double *u, double *f)
{
    const tide_response_data *d = c->d;
    int C = d->n_types, k = c->k;
    double pe[MAXR], ue[MAXR], fe;
    tide_response_opts oe = *o;
    oe.prior_free = NULL; oe.init = NULL;
    fit_ctx ce = {d, TIDE_DECAY_EXP, 1, &oe};
    auto_init(d, TIDE_DECAY_EXP, 1, pe);
    fit_from(&ce, 2 + C, pe, ue, &fe, o->max_iter);
    double le = pe[1 + C], spreads[4][2] = {{1, 0.1}, {1, 0.01}, {1, 0.001}, {3, 1.0 / 3}};
    double best = INFINITY, bp[MAXR];
    int bst = TIDE_LBFGS_ELINESEARCH;
    for (int s = 0; s < 4; s++) {
        double p[MAXR], uu[MAXR], fs;
        memcpy(p, pe, sizeof(double) * (1 + C));
        double *th = p + 1 + C;
        for (int i = 0; i < k; i++) { /* rates spread geometrically between the two ends */
            double r = k == 1 ? 0 : (double)i / (k - 1);
            th[i] = 1.0 / k;
            th[k + i] = le * spreads[s][0] * pow(spreads[s][1] / spreads[s][0], r);
        }
        int st = fit_from(c, F, p, uu, &fs, o->max_iter);
        if (fs < best) { best = fs; bst = st; memcpy(bp, p, sizeof(double) * (1 + C + 2 * k)); memcpy(u, uu, sizeof(double) * F); }
    }
    memcpy(par, bp, sizeof(double) * (1 + C + 2 * k));
    *f = best;
    return bst;
}

/* A frailty fit starts from the frailty-free fit (with its mixture starts) and κ = 1, a
 * moderate heterogeneity (frailty variance 1); κ then moves freely on log scale, toward +inf
 * when the pairs are homogeneous. */
static int fit_frailty(fit_ctx *c, int F, const tide_response_opts *o, double *par, double *u, double *f)
{
    tide_response_data d0 = *c->d;
    d0.frailty = 0;
    tide_response_opts o0 = *o;
    o0.want_se = 0;
    double ll0;
    int32_t st0;
    if (tide_response_fit(&d0, c->fam, c->k, &o0, par, NULL, &ll0, &st0) != TIDE_OK) return TIDE_LBFGS_ELINESEARCH;
    par[tide_response_nparams(c->fam, c->k, d0.n_types)] = 1;
    return fit_from(c, F, par, u, f, o->max_iter);
}

int tide_response_fit(const tide_response_data *d, tide_decay_family fam, int k,
                      const tide_response_opts *opts, double *par, double *se, double *ll,
                      int32_t *status)
{
    tide_response_opts o;
    if (opts) o = *opts; else tide_response_default_opts(&o);
    int N = tide_response_nparams(fam, k, d->n_types);
    if (N < 0) return tide_errorf("decay.response: bad family or %d types", d->n_types);
    if (fam == TIDE_DECAY_LINEAR || fam == TIDE_DECAY_LOG)
        return tide_errorf("decay.response: the %s family has a bounded support; use exponential, hyperbolic, power, weibull or mixture",
                           tide_decay_name(fam));
    if (tide_response_check(d) != TIDE_OK) return TIDE_ERR;
    int F = nfree(fam, k, d->n_types) + (d->frailty != 0);
    N += d->frailty != 0;
    double u[MAXR], f;
    fit_ctx c = {d, fam, k, &o};
    int st;
    if (d->frailty && !o.init && !o.prior_free) {
        st = fit_frailty(&c, F, &o, par, u, &f);
    } else if (fam == TIDE_DECAY_MIXEXP && !o.init && !o.prior_free) {
        st = fit_mixture(&c, F, &o, par, u, &f);
    } else {
        if (o.init) memcpy(par, o.init, sizeof(double) * N);
        else { auto_init(d, fam, k, par); if (d->frailty) par[N - 1] = 1; }
        free_of(d, fam, k, par, u);
        if (o.prior_free && !o.init) nat_of(d, fam, k, o.prior_free, par);
        st = fit_from(&c, F, par, u, &f, o.max_iter);
    }
    if (ll) *ll = loglik_nat(d, fam, k, par, NULL);
    if (se) { if (o.want_se) std_errors(&c, u, F, N, se); else for (int i = 0; i < N; i++) se[i] = NAN; }
    if (status) *status = st;
    return TIDE_OK;
}

/* one pair's expected target actions in [t, t + h) from its interactions before t (its first
 * index at or after t in *e) */
static double pair_expected(const tide_response_data *d, tide_decay_family fam, int k, const double *par,
                            int64_t p, double t, double h, int64_t *e_out)
{
    const double *w = par + 1, *th = par + 1 + d->n_types;
    double v = par[0] * h;
    int64_t a = d->off[p], b = d->off[p + 1], e = a;
    while (e < b && d->time[e] < t) e++;
    int64_t lo = d->max_hist > 0 && e - d->max_hist > a ? e - d->max_hist : a;
    for (int64_t i = lo; i < e; i++) {
        double age = t - d->time[i] - d->delay; /* < 0: the excitation has not started yet */
        if (age + h > 0) v += w[d->type[i]] * mass(fam, k, th, fmax(age, 0), age + h, NULL, 0);
    }
    *e_out = e;
    return v;
}

int tide_response_expected(const tide_response_data *d, tide_decay_family fam, int k, const double *par,
                           double t, double h, double *out)
{
    int N0 = tide_response_nparams(fam, k, d->n_types);
    if (N0 < 0) return tide_errorf("decay.response: bad family");
    if (!(h > 0) || !isfinite(t)) return tide_errorf("decay.response_expected: need a finite time and a horizon > 0");
    if (d->frailty && !isfinite(d->t0))
        return tide_errorf("decay.response_expected: a frailty needs the finite start t0 of the pairs' observed history");
    if (d->frailty && tide_response_check(d) != TIDE_OK) return TIDE_ERR;
    if (!d->frailty) {
        for (int64_t p = 0; p < d->n_pairs; p++) { int64_t e; out[p] = pair_expected(d, fam, k, par, p, t, h, &e); }
        return TIDE_OK;
    }
    for (int64_t g = 0; g < n_units(d); g++) { /* posterior mean frailty of the unit from [max(t0, a_p), t) */
        int64_t p0, p1, n_u = 0;
        double lam_u = 0;
        unit_pairs(d, g, &p0, &p1);
        for (int64_t p = p0; p < p1; p++) {
            int64_t e, a = d->off[p], n = 0;
            out[p] = pair_expected(d, fam, k, par, p, t, h, &e);
            double start = a < d->off[p + 1] ? fmax(d->t0, d->time[a]) : t, lam = 0;
            if (t > start) pair_terms(d, fam, k, par, a, e, start, t, 0, NULL, &lam, NULL, &n);
            lam_u += lam;
            n_u += n;
        }
        double z = tide_frailty_posterior(par[N0], n_u, lam_u);
        for (int64_t p = p0; p < p1; p++) out[p] *= z;
    }
    return TIDE_OK;
}
