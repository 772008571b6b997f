/* decay.h — interest-decay laws: values, gradients, likelihoods and batched fits.
 *
 * Every family is a survival curve S(t; θ) with S(0) = 1, read two ways:
 *  - as the decay of interest, I(t) = I0 · S(t) (the articles' I0·e^(−λt) and friends);
 *  - as the distribution of the return gap: S(t) = P(the user has not come back t time units
 *    after an interaction). That reading is what we FIT (decay_fit.c): the estimand is the
 *    return-time (inter-event gap) survival function, observed gaps are events, the gap from
 *    the last interaction to the end of the observation window is right-censored.
 *
 * Families (natural parameters θ, all > 0 unless said; time t >= 0):
 *   EXP         S = e^(−λt)                                   θ = (λ)
 *   LINEAR      S = max(0, 1 − λt)          (uniform gap on [0, 1/λ])        θ = (λ)
 *   LOG         S = max(0, 1 − λ·ln(1+t))                    θ = (λ)
 *   HYPERBOLIC  S = 1 / (1 + λt)                              θ = (λ)
 *   POWER       S = (1 + λt)^(−a)          (Lomax / Pareto II)             θ = (λ, a)
 *   WEIBULL     S = exp(−(λt)^k)           (stretched exponential for k<1) θ = (λ, k)
 *   MIXEXP      S = Σ_i w_i e^(−λ_i t), Σ w_i = 1, K components  θ = (w_1..w_K, λ_1..λ_K)
 * Half-life: the t with S(t) = 1/2 (ln2/λ for EXP). */
#ifndef TIDE_DECAY_H
#define TIDE_DECAY_H

#include <stdint.h>

typedef enum {
    TIDE_DECAY_EXP = 0,
    TIDE_DECAY_LINEAR,
    TIDE_DECAY_LOG,
    TIDE_DECAY_HYPERBOLIC,
    TIDE_DECAY_POWER,
    TIDE_DECAY_WEIBULL,
    TIDE_DECAY_MIXEXP,
    TIDE_DECAY_NFAMILIES
} tide_decay_family;

/* "exponential", "linear", "logarithmic", "hyperbolic", "power", "weibull", "mixture" */
const char *tide_decay_name(tide_decay_family fam);
/* Family by name (also "exp", "log", "stretched", "mixexp"); -1 + error if unknown. */
int tide_decay_lookup(const char *name);
/* Number of natural parameters (k = mixture components, ignored otherwise); -1 if bad. */
int tide_decay_nparams(tide_decay_family fam, int k);
/* Free parameters (for AIC/BIC): nparams, minus one for the mixture's weights constraint. */
int tide_decay_nfree(tide_decay_family fam, int k);

/* S(t; θ) and, if grad != NULL, dS/dθ (nparams entries). */
double tide_decay_survival(tide_decay_family fam, int k, const double *theta, double t, double *grad);
/* log-likelihood contribution of one gap: log f(t) if event, else log S(t) (censored);
 * adds d/dθ into grad if non-NULL. -inf outside the support (e.g. λt >= 1 for LINEAR). */
double tide_decay_loglik1(tide_decay_family fam, int k, const double *theta, double t, int event,
                          double *grad);
/* Half-life of the curve (S = 1/2); NaN for bad θ. */
double tide_decay_half_life(tide_decay_family fam, int k, const double *theta);

/* Vectorised values: out[i] = S(t[i]; θ_{s}) with θ_s = theta + s*P and s = series[i]
 * (series NULL: s = 0). grad [n, P] (optional) gets dS/dθ. Returns TIDE_OK / TIDE_ERR. */
int tide_decay_eval(tide_decay_family fam, int k, int64_t n, const double *theta,
                    const int32_t *series, int64_t n_series, const double *t, double *out,
                    double *grad);

/* Weights of events of ages age[i] (time units) under one law: out[i] = S(age[i]; θ), and 0
 * for age < 0 (an event after the evaluation time carries no weight). With half_life > 0
 * (fam must be EXP; θ unused) S = 2^(−age / half_life) evaluated as pow(2, −age/half_life),
 * the half-life form of the same curve. θ entries must be finite and > 0, mixture weights
 * must sum to 1 (± 1e-4). TIDE_ERR + message on a NaN age or bad parameters. */
int tide_decay_weights(tide_decay_family fam, int k, const double *theta, double half_life,
                       int64_t n, const double *age, double *out);

/* ---- fitting (decay_fit.c) ---- */
typedef struct {
    int max_iter;          /* L-BFGS iterations per series (default 200) */
    double prior_prec;     /* Gaussian penalty 0.5·prec·||u − prior_u||² on the transformed
                              parameters u (log rates, logits); 0 = plain MLE */
    const double *prior_u; /* [n_series, nfree] or [nfree] (prior_shared), NULL = none */
    int prior_shared;
    const double *init;    /* natural θ to start from, [nparams] for all series, NULL = auto */
    int want_se;           /* fill se (observed Fisher information, finite differences) */
} tide_decay_fit_opts;

void tide_decay_fit_default_opts(tide_decay_fit_opts *o);

/* Maximum likelihood of one law per series. Series s owns gaps off[s]..off[s+1]-1 (gap
 * lengths t, event flags ev: 1 observed return, 0 right-censored). Outputs (caller-owned):
 * theta [S, P] natural parameters, se [S, P] (NaN when unavailable, may be NULL), loglik [S],
 * status [S] (tide_lbfgs_status, or 3 = no observed gaps: θ from the prior / init, or
 * TIDE_DECAY_FIT_NONFINITE = the estimate or its likelihood is not finite).
 * Mixture components come out sorted by decreasing rate. Returns TIDE_OK / TIDE_ERR. */
enum { TIDE_DECAY_FIT_NODATA = 3, TIDE_DECAY_FIT_NONFINITE = -5 };
int tide_decay_fit(tide_decay_family fam, int k, int64_t n_series, const int64_t *off,
                   const double *t, const uint8_t *ev, const tide_decay_fit_opts *opts,
                   double *theta, double *se, double *loglik, int32_t *status);

/* One shape shared by all series, a rate per series (decay_shared.c): fam EXP (rates only),
 * POWER (shared a) or WEIBULL (shared k); prec > 0 shrinks log λ_s toward their fitted mean.
 * Same outputs as tide_decay_fit (theta [S, P], se [S, P] (shape se repeated per row; may be
 * NULL), loglik [S] without the prior, status [S], 3 = no observed return and prec = 0: rate
 * 0.5/exposure reported). TIDE_ERR on bad gaps, an unsupported family or no returns at all. */
int tide_decay_fit_shared(tide_decay_family fam, int64_t n_series, const int64_t *off, const double *t,
                          const uint8_t *ev, double prec, int max_iter, int want_se, double *theta,
                          double *se, double *loglik, int32_t *status);

/* Each row's k largest entries of a CSR matrix (off [U+1], key/val [off[U]]), strongest first,
 * ties by smaller key (decay_topk.c). oo [U+1], ok/ov [off[U]] caller-owned; returns the kept
 * count or -1 + error (k < 1, decreasing offsets, out of memory). */
int64_t tide_decay_rows_topk(int64_t U, const int64_t *off, const int32_t *key, const float *val, int64_t k,
                             int64_t *oo, int32_t *ok, float *ov);

/* Transformed (unconstrained) parameters of θ: log rates, mixture logits (last = 0 dropped). */
int tide_decay_to_free(tide_decay_family fam, int k, const double *theta, double *u);
void tide_decay_from_free(tide_decay_family fam, int k, const double *u, double *theta);

/* Empirical Bayes for exponential rates: λ_s ~ Gamma(a, b) (shape, rate) per segment; series s
 * has d[s] observed returns over total exposure T[s]. Fits (a, b) per segment by maximising the
 * marginal (negative-binomial-like) likelihood Π_s b^a Γ(a+d)/(Γ(a)(b+T)^(a+d)) with L-BFGS.
 * segment NULL = one segment. The posterior is Gamma(a + d, b + T): mean (a+d)/(b+T). */
int tide_decay_gamma_eb(int64_t n_series, const double *d, const double *T, const int32_t *segment,
                        int64_t n_segments, double *a, double *b);

/* Return gaps from per-user time-sorted sequences (CSR off [U+1], time [n], key [n] or NULL).
 * With key, gaps are taken between consecutive events of the same (user, key); else between
 * consecutive events of the user. An event less than min_gap (or 0) after the previous one
 * continues the same visit and emits no gap (sessions). The last gap of each (user[, key]) runs to t_end and is censored.
 * Times are divided by `unit` (e.g. 86400 for days). Allocates *gap, *event, *user, *keyo
 * (keyo only when key != NULL; free() them); returns the count or -1 + error. */
int64_t tide_decay_gaps(int64_t n_users, const int64_t *off, const int64_t *time,
                        const int32_t *key, int64_t t_end, double min_gap, double unit,
                        double **gap, uint8_t **event, int32_t **user, int32_t **keyo);

/* dℓ/du from dℓ/dθ at θ, for the free parameters u of tide_decay_to_free. */
void tide_decay_grad_to_free(tide_decay_family fam, int k, const double *theta, const double *gtheta,
                             double *gu);
/* Most free parameters the two helpers below take (the response kernel's μ, 32 type weights,
 * its family and κ fit comfortably). */
#define TIDE_DECAY_MAX_FREE 64
/* Inverts a symmetric positive-definite F×F matrix (F <= TIDE_DECAY_MAX_FREE) in place; 0 if
 * it is not SPD or F is out of range. */
int tide_decay_invert_spd(double *A, int F);
/* Covariance of free parameters at a maximum u: the inverse of the observed information, the
 * Hessian of fn (a negative log-likelihood in the L-BFGS objective form: returns f, writes its
 * gradient) by central differences of the gradient, symmetrised. H [F×F] out; 0 when it is
 * not positive definite or F > TIDE_DECAY_MAX_FREE. */
int tide_decay_fd_covariance(double (*fn)(const double *u, double *g, int64_t F, void *ctx), void *ctx,
                             const double *u, int F, double *H);

/* digamma ψ(x), x > 0 */
double tide_digamma(double x);

#endif
