/* decay_mark.c — the decayed-preference mark distribution of decay_mark.h: likelihood with its
 * gradient in the free parameters, the L-BFGS fit, and the state at a time for scoring.
 *
 * One pass per user over its time-sorted events. Per key and type the decayed sum
 * S[k,c] = Σ e^{−β(t − t_i)} and its β-derivative D[k,c] = −Σ (t − t_i) e^{−β(t − t_i)} are
 * brought to the current time lazily (only when the key is read or written); the user's totals
 * per type decay together, so they move once per distinct time. Touched keys are reset after
 * each user, so the work is linear in the events. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decay.h"
#include "decay_mark.h"
#include "error.h"
#include "lbfgs.h"

#define MAXT 32
#define HEAD 3 /* β, α, φ before the type weights */

int tide_mark_nfree(int n_types) { return n_types + HEAD - 1; }

int tide_mark_check(const tide_mark_data *d)
{
    const char *fn = "decay.response_marks";
    if (d->n_types < 1 || d->n_types > MAXT) return tide_errorf("%s: n_types must be 1..%d", fn, MAXT);
    if (d->ref < 0 || d->ref >= d->n_types) return tide_errorf("%s: the reference type is out of range", fn);
    if (d->n_keys < 1) return tide_errorf("%s: n_keys must be >= 1", fn);
    if (d->n_users < 0 || d->off[0] != 0) return tide_errorf("%s: offsets must start at 0", fn);
    for (int64_t u = 0; u < d->n_users; u++) {
        if (d->off[u + 1] < d->off[u]) return tide_errorf("%s: offsets decrease at user %lld", fn, (long long)u + 1);
        for (int64_t i = d->off[u]; i < d->off[u + 1]; i++) {
            if (!isfinite(d->time[i])) return tide_errorf("%s: time of event %lld is not finite", fn, (long long)i + 1);
            if (i > d->off[u] && d->time[i] < d->time[i - 1])
                return tide_errorf("%s: events of user %lld are not sorted by time (event %lld)", fn, (long long)u + 1, (long long)i + 1);
            if (d->key[i] < 0 || d->key[i] >= d->n_keys) return tide_errorf("%s: key of event %lld out of range", fn, (long long)i + 1);
            if (d->type[i] < 0 || d->type[i] >= d->n_types) return tide_errorf("%s: type of event %lld out of range", fn, (long long)i + 1);
        }
    }
    double s = 0;
    for (int32_t k = 0; k < d->n_keys; k++) {
        if (!(d->prior[k] > 0) || !isfinite(d->prior[k])) return tide_errorf("%s: prior share of key %d must be > 0", fn, k + 1);
        s += d->prior[k];
    }
    if (fabs(s - 1) > 1e-6) return tide_errorf("%s: prior shares sum to %g, not 1", fn, s);
    return TIDE_OK;
}

void tide_mark_to_free(const tide_mark_data *d, const double *par, double *u)
{
    for (int i = 0; i < HEAD; i++) u[i] = log(par[i]);
    for (int c = 0, j = HEAD; c < d->n_types; c++) if (c != d->ref) u[j++] = log(par[HEAD + c]);
}

void tide_mark_from_free(const tide_mark_data *d, const double *u, double *par)
{
    for (int i = 0; i < HEAD; i++) par[i] = exp(u[i]);
    for (int c = 0, j = HEAD; c < d->n_types; c++) par[HEAD + c] = c == d->ref ? 1 : exp(u[j++]);
}

/* Per-user work space. Each key the user touches gets the next slot (slot[k] = its index + 1,
 * 0 = none yet), so memory is the catalogue's size in int32 plus the busiest user's distinct
 * keys × types, not keys × types (a 4M-item catalogue would need ~400 MB that way). Per slot:
 * decayed sums by type, their β-derivatives, plain counts (the floor φ) and the last update. */
typedef struct {
    double *S, *D, *N, *last;
    int32_t *key;  /* [cap] the key of each slot in use */
    int32_t *slot; /* [K] */
    int64_t n_touched;
} keyspace;

static int keyspace_new(keyspace *w, const tide_mark_data *d)
{
    int64_t cap = 1;
    for (int64_t u = 0; u < d->n_users; u++)
        if (d->off[u + 1] - d->off[u] > cap) cap = d->off[u + 1] - d->off[u];
    if (cap > d->n_keys) cap = d->n_keys;
    int C = d->n_types;
    w->S = calloc((size_t)cap * C, sizeof(double));
    w->D = calloc((size_t)cap * C, sizeof(double));
    w->N = calloc((size_t)cap * C, sizeof(double));
    w->last = calloc((size_t)cap, sizeof(double));
    w->key = malloc(sizeof(int32_t) * (size_t)cap);
    w->slot = calloc((size_t)d->n_keys, sizeof(int32_t));
    w->n_touched = 0;
    if (!w->S || !w->D || !w->N || !w->last || !w->key || !w->slot) return tide_errorf("decay.response_marks: out of memory");
    return TIDE_OK;
}

static void keyspace_free(keyspace *w)
{
    free(w->S); free(w->D); free(w->N); free(w->last); free(w->key); free(w->slot);
}

static void keyspace_reset(keyspace *w, int C)
{
    memset(w->S, 0, sizeof(double) * (size_t)(w->n_touched * C));
    memset(w->D, 0, sizeof(double) * (size_t)(w->n_touched * C));
    memset(w->N, 0, sizeof(double) * (size_t)(w->n_touched * C));
    for (int64_t q = 0; q < w->n_touched; q++) w->slot[w->key[q]] = 0;
    w->n_touched = 0;
}

/* key k's slot; a new one starts empty at time t */
static int64_t slot_of(keyspace *w, int32_t k, double t)
{
    int64_t s = w->slot[k] - 1;
    if (s >= 0) return s;
    s = w->n_touched++;
    w->slot[k] = (int32_t)s + 1;
    w->key[s] = k;
    w->last[s] = t;
    return s;
}

/* bring key k's sums to time t (>= its last update); returns its slot */
static int64_t decay_to(keyspace *w, int C, int32_t k, double beta, double t)
{
    int64_t s = slot_of(w, k, t);
    double dt = t - w->last[s];
    if (dt <= 0) return s;
    double e = exp(-beta * dt), *S = w->S + s * C, *D = w->D + s * C;
    for (int c = 0; c < C; c++) { D[c] = (D[c] - dt * S[c]) * e; S[c] *= e; }
    w->last[s] = t;
    return s;
}

/* one interaction of type c at time ti into the C sums S, D kept at time *last; ti may be
 * earlier than *last (with a delay, history joins after later marks were read) */
static void add_at(double *S, double *D, double *last, int C, int c, double beta, double ti)
{
    if (ti >= *last) {
        double dt = ti - *last, e = exp(-beta * dt);
        for (int j = 0; j < C; j++) { D[j] = (D[j] - dt * S[j]) * e; S[j] *= e; }
        *last = ti;
        S[c] += 1;
        return;
    }
    double dt = *last - ti, x = exp(-beta * dt);
    S[c] += x;
    D[c] -= dt * x;
}

static void add_key(keyspace *w, int C, int32_t k, int c, double beta, double ti)
{
    int64_t s = slot_of(w, k, ti);
    add_at(w->S + s * C, w->D + s * C, w->last + s, C, c, beta, ti);
    w->N[s * C + c] += 1;
}

static int check_par(const tide_mark_data *d, const double *par)
{
    for (int i = 0; i < HEAD + d->n_types; i++)
        if (!(par[i] > 0) || !isfinite(par[i])) return tide_errorf("decay.response_marks: parameter %d = %g must be finite and > 0", i + 1, par[i]);
    return TIDE_OK;
}

int tide_mark_loglik(const tide_mark_data *d, const double *par, double *ll, double *grad_free, int64_t *n_marks)
{
    if (check_par(d, par) != TIDE_OK) return TIDE_ERR;
    int C = d->n_types;
    double beta = par[0], alpha = par[1], phi = par[2];
    const double *w = par + HEAD;
    keyspace ks;
    if (keyspace_new(&ks, d) != TIDE_OK) { keyspace_free(&ks); return TIDE_ERR; }
    double L = 0, g_beta = 0, g_alpha = 0, g_phi = 0, g_w[MAXT] = {0};
    int64_t n = 0;
    for (int64_t u = 0; u < d->n_users; u++) {
        double T[MAXT] = {0}, DT[MAXT] = {0}, NT[MAXT] = {0}, t_tot = -INFINITY; /* the user's totals, kept at t_tot */
        int64_t a = d->off[u], b = d->off[u + 1], h = a; /* events before h are in the history */
        for (int64_t i = a; i < b;) {
            double t = d->time[i];
            int64_t e = i;
            while (e < b && d->time[e] == t) e++; /* the marks at time t */
            int any = 0;
            for (int64_t j = i; j < e; j++) any |= d->target[j] && t >= d->t0;
            if (any) {
                for (; h < b && d->time[h] + d->delay < t; h++) { /* history older than the delay */
                    add_key(&ks, C, d->key[h], d->type[h], beta, d->time[h]);
                    if (t_tot == -INFINITY) t_tot = d->time[h];
                    add_at(T, DT, &t_tot, C, d->type[h], beta, d->time[h]);
                    NT[d->type[h]] += 1;
                }
                if (t_tot > -INFINITY && t > t_tot) {
                    double dt = t - t_tot, x = exp(-beta * dt);
                    for (int c = 0; c < C; c++) { DT[c] = (DT[c] - dt * T[c]) * x; T[c] *= x; }
                    t_tot = t;
                }
                double B = alpha, dB = 0, nB = 0;
                for (int c = 0; c < C; c++) { B += w[c] * (T[c] + phi * NT[c]); dB += w[c] * DT[c]; nB += w[c] * NT[c]; }
                for (int64_t j = i; j < e; j++) {
                    if (!d->target[j]) continue;
                    int32_t k = d->key[j];
                    int64_t sl = decay_to(&ks, C, k, beta, t);
                    const double *S = ks.S + sl * C, *D = ks.D + sl * C, *Nk = ks.N + sl * C;
                    double A = alpha * d->prior[k], dA = 0, nA = 0;
                    for (int c = 0; c < C; c++) { A += w[c] * (S[c] + phi * Nk[c]); dA += w[c] * D[c]; nA += w[c] * Nk[c]; }
                    L += log(A) - log(B);
                    n++;
                    if (grad_free) {
                        g_beta += beta * (dA / A - dB / B);
                        g_alpha += alpha * (d->prior[k] / A - 1 / B);
                        g_phi += phi * (nA / A - nB / B);
                        for (int c = 0; c < C; c++) g_w[c] += w[c] * ((S[c] + phi * Nk[c]) / A - (T[c] + phi * NT[c]) / B);
                    }
                }
            }
            i = e;
        }
        keyspace_reset(&ks, C);
    }
    keyspace_free(&ks);
    *ll = L;
    if (n_marks) *n_marks = n;
    if (grad_free) {
        grad_free[0] = g_beta;
        grad_free[1] = g_alpha;
        grad_free[2] = g_phi;
        for (int c = 0, j = HEAD; c < C; c++) if (c != d->ref) grad_free[j++] = g_w[c];
    }
    return TIDE_OK;
}

typedef struct { const tide_mark_data *d; int failed; } fit_ctx;

/* A weak ridge on the free parameters (log scale, precision RIDGE) keeps them finite when the
 * data do not identify one: a type whose interactions only ever come with another's, or a
 * floor of 0. Against log-likelihoods summed over thousands of marks it moves nothing else. */
#define RIDGE 1e-3

static double neg_obj(const double *u, double *g, int64_t F, void *vc)
{
    fit_ctx *c = vc;
    double par[HEAD + MAXT], ll;
    tide_mark_from_free(c->d, u, par);
    for (int i = 0; i < HEAD + c->d->n_types; i++)
        if (!(par[i] > 0) || !isfinite(par[i])) return INFINITY; /* a trial step too far: step back */
    if (tide_mark_loglik(c->d, par, &ll, g, NULL) != TIDE_OK) { c->failed = 1; return INFINITY; }
    double f = -ll;
    for (int64_t i = 0; i < F; i++) {
        g[i] = -g[i] + RIDGE * u[i];
        f += 0.5 * RIDGE * u[i] * u[i];
    }
    return isfinite(f) ? f : INFINITY;
}

/* standard errors: the covariance of the free parameters (tide_decay_fd_covariance), then the
 * delta method (natural = exp(free), so se = value · se_free) */
static void std_errors(fit_ctx *c, const double *u, int F, double *se)
{
    const tide_mark_data *d = c->d;
    double H[(HEAD + MAXT) * (HEAD + MAXT)], par[HEAD + MAXT];
    for (int i = 0; i < HEAD + d->n_types; i++) se[i] = NAN;
    if (!tide_decay_fd_covariance(neg_obj, c, u, F, H)) return;
    tide_mark_from_free(d, u, par);
    for (int i = 0; i < HEAD; i++) se[i] = par[i] * sqrt(H[i * F + i]);
    for (int ct = 0, j = HEAD; ct < d->n_types; ct++)
        if (ct == d->ref) se[HEAD + ct] = 0;
        else { se[HEAD + ct] = par[HEAD + ct] * sqrt(H[j * F + j]); j++; }
}

int tide_mark_fit(const tide_mark_data *d, int max_iter, double *par, double *se, double *ll, int64_t *n_marks,
                  int32_t *status)
{
    if (tide_mark_check(d) != TIDE_OK || check_par(d, par) != TIDE_OK) return TIDE_ERR;
    int F = tide_mark_nfree(d->n_types);
    double u[HEAD + MAXT], f;
    tide_mark_to_free(d, par, u);
    fit_ctx c = {d, 0};
    tide_lbfgs_opts lo;
    tide_lbfgs_default_opts(&lo);
    lo.max_iter = max_iter > 0 ? max_iter : 200;
    lo.gtol = 1e-7;
    int st = tide_lbfgs_minimize(neg_obj, &c, F, u, &f, &lo);
    if (c.failed) return TIDE_ERR;
    tide_mark_from_free(d, u, par);
    if (tide_mark_loglik(d, par, ll, NULL, n_marks) != TIDE_OK) return TIDE_ERR; /* without the ridge */
    *status = st;
    if (se) std_errors(&c, u, F, se);
    return TIDE_OK;
}

/* the mean of (a·e^{−βτ} + b) / (c·e^{−βτ} + e) over τ in [0, h] (Simpson, 16 intervals; the
 * integrand is smooth and monotone in τ) */
static double mean_ratio(double a, double b, double c, double e, double beta, double h)
{
    if (!(h > 0)) return (a + b) / (c + e);
    double s = 0;
    for (int i = 0; i <= 16; i++) {
        double x = exp(-beta * h * i / 16), f = (a * x + b) / (c * x + e);
        s += f * (i == 0 || i == 16 ? 1 : i % 2 ? 4 : 2);
    }
    return s / 48;
}

int tide_mark_state(const tide_mark_data *d, const double *par, double t, double h, int32_t *user, int32_t *key,
                    double *share, int64_t *n_out, double *rows, double *visits)
{
    if (tide_mark_check(d) != TIDE_OK || check_par(d, par) != TIDE_OK) return TIDE_ERR;
    int C = d->n_types;
    double beta = par[0], alpha = par[1], phi = par[2];
    const double *w = par + HEAD;
    keyspace ks;
    if (keyspace_new(&ks, d) != TIDE_OK) { keyspace_free(&ks); return TIDE_ERR; }
    int64_t q = 0;
    for (int64_t u = 0; u < d->n_users; u++) {
        double r = 0, v = 0, prev = NAN;
        for (int64_t i = d->off[u]; i < d->off[u + 1] && d->time[i] < t; i++) {
            add_key(&ks, C, d->key[i], d->type[i], beta, d->time[i]);
            r += d->target[i] * exp(-beta * (t - d->time[i]));
            v += !(d->time[i] - prev <= d->delay) * exp(-beta * (t - d->time[i])); /* a new visit */
            prev = d->time[i];
        }
        double Bd = 0, Bf = alpha; /* the decaying and the lasting part of the denominator */
        for (int64_t j = 0; j < ks.n_touched; j++) {
            decay_to(&ks, C, ks.key[j], beta, t);
            for (int c = 0; c < C; c++) {
                Bd += w[c] * ks.S[j * C + c];
                Bf += w[c] * phi * ks.N[j * C + c];
            }
        }
        for (int64_t j = 0; j < ks.n_touched; j++) {
            int32_t k = ks.key[j];
            double Ad = 0, Af = alpha * d->prior[k];
            for (int c = 0; c < C; c++) {
                Ad += w[c] * ks.S[j * C + c];
                Af += w[c] * phi * ks.N[j * C + c];
            }
            user[q] = (int32_t)u; key[q] = k; share[q] = mean_ratio(Ad, Af, Bd, Bf, beta, h);
            q++;
        }
        rows[u] = r;
        visits[u] = v;
        keyspace_reset(&ks, C);
    }
    keyspace_free(&ks);
    *n_out = q;
    return TIDE_OK;
}
