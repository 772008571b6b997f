/* hawkes.h — univariate self-exciting (Hawkes) process with an exponential kernel, for the
 * intensity of return visits:  λ(t) = μ + α Σ_{t_i < t} e^(−β (t − t_i)).
 * μ is the background rate, each visit adds α to the intensity and the excitation fades at
 * rate β; the branching ratio α/β (< 1 for a stationary process) is the expected number of
 * visits triggered by one visit. Likelihoods use Ozaki's (1979) O(n) recursion
 * A_i = e^(−β(t_i − t_{i−1})) (1 + A_{i−1}). Many sequences (users) may share one parameter set:
 * sequence s has events t[off[s]..off[s+1]) (sorted) observed on the window [t0[s], t1[s]]. */
#ifndef TIDE_HAWKES_H
#define TIDE_HAWKES_H

#include <stdint.h>

#include "rng.h"

typedef struct {
    double mu, alpha, beta;
} tide_hawkes;

/* Log-likelihood summed over sequences; grad (optional) gets d/d(μ, α, β). */
double tide_hawkes_loglik(const tide_hawkes *p, int64_t S, const int64_t *off, const double *t,
                          const double *t0, const double *t1, double grad[3]);
/* MLE by L-BFGS over log parameters. p: start values (all > 0) or zeros for an automatic
 * start; on return the estimate. se (optional) from the observed information (finite
 * differences of the analytic gradient, delta method). Returns a tide_lbfgs_status >= 0 or
 * TIDE_ERR (unsorted times, events outside the window...). */
int tide_hawkes_fit(int64_t S, const int64_t *off, const double *t, const double *t0, const double *t1,
                    tide_hawkes *p, double se[3], double *loglik);
/* λ(at) given the events t[0..n) (only those < at count). */
double tide_hawkes_intensity(const tide_hawkes *p, int64_t n, const double *t, double at);
/* P(at least one event in (at, at+h] | history up to at): without new events the intensity
 * evolves deterministically, so P = 1 − exp(−(μh + (α/β) Σ_{t_i <= at} e^(−β(at−t_i)) (1 − e^(−βh)))). */
double tide_hawkes_prob_event(const tide_hawkes *p, int64_t n, const double *t, double at, double h);
/* The same for S sequences at once (events t[off[s]..off[s+1]), reference times at[s]). */
void tide_hawkes_prob_batch(const tide_hawkes *p, int64_t S, const int64_t *off, const double *t,
                            const double *at, double h, double *out);
/* Ogata thinning on [0, T]. *out is malloc'ed (free it); returns the count or -1 + error. */
int64_t tide_hawkes_simulate(const tide_hawkes *p, double T, tide_rng *r, double **out);
/* Time rescaling (Brown et al. 2002): tau_i = Λ(t_i) − Λ(t_{i−1}) (tau_0 from t0), i.i.d.
 * Exp(1) under the model. tau has n entries. */
void tide_hawkes_rescale(const tide_hawkes *p, int64_t n, const double *t, double t0, double *tau);
/* Pooled time rescaling for S sequences sharing the law (sequence s: events t[off[s]..off[s+1])
 * on the window [t0[s], t1[s]]). Each sequence's compensator increments are laid end to end:
 * the increment that straddles two sequences joins the open interval after s's last event,
 * Λ_s(t1[s]) − Λ_s(t_last) (the whole Λ_s(t1) − Λ_s(t0) = μ(t1 − t0) for a sequence without
 * events), with the wait to the next sequence's first event. Independent unit-rate Poisson
 * processes laid end to end form one, so under the model the n = off[S] increments are i.i.d.
 * Exp(1); the open interval of the last sequence is censored and left out. Returns n. */
int64_t tide_hawkes_rescale_pooled(const tide_hawkes *p, int64_t S, const int64_t *off, const double *t,
                                   const double *t0, const double *t1, double *tau);
/* Kolmogorov-Smirnov statistic of x against Exp(1) and its asymptotic p-value (Stephens'
 * small-sample correction). x is sorted in place. */
double tide_ks_exp1(int64_t n, double *x, double *pvalue);

#endif
