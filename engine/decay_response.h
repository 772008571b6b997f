/* decay_response.h — the interest-response kernel: how the chance that a user acts on a key
 * (item, category, brand) falls with the age of each past interaction with that key, by type.
 *
 * Return-gap laws (decay.h) describe when a user comes back at all; the response kernel
 * describes which key they act on. Model (a marked, multivariate Hawkes / Poisson-regression
 * intensity; Hawkes 1971, Bacry et al. 2015 "Hawkes processes in finance" §3 for marks):
 *
 *     λ_p(t) = μ + Σ_{i in p, t_i < t} w[type_i] · g(t − t_i; θ)
 *
 * for each (user, key) pair p, with g = −dS/dt the density of a tide.decay family (so each
 * interaction of type c adds w[c] expected target actions over its whole life) and the target
 * actions (e.g. buys) of p the events of the process. A pair is observed from its first
 * interaction (or the window start t0, whichever is later) to t1; the target action that opens
 * a pair is not modelled (its first interaction is the condition). Log-likelihood:
 *
 *     ℓ = Σ_{targets s in [t0,t1)} log λ_p(s) − Σ_p [ μ·(t1 − a_p) + Σ_i w[c_i]·(S(max(0, a_p − t_i)) − S(t1 − t_i)) ]
 *
 * with a_p = max(t0, first time of p). Parameters are fitted on log scale (μ, w, θ > 0).
 * Only the max_hist most recent interactions before an event excite it (documented cap; 0 =
 * all). Pairs: CSR offsets over events sorted by time within each pair.
 *
 * With d->frailty, pairs differ in their baseline propensity: λ_p(t | Z_p) = Z_p·λ_p(t) with
 * Z_p ~ Gamma(κ, κ) integrated out; each pair's −Λ_p above becomes the gamma-frailty term of
 * decay_frailty.h (Aalen 1988) and κ is fitted with the rest. The frailty may instead be shared
 * by a run of consecutive pairs (d->units, e.g. all pairs of one user: a user who acts on the
 * keys they touched more often than the kernel predicts will keep doing so): the unit's pairs
 * then add their target counts and compensators into one gamma-frailty term (a shared-frailty
 * model, Hougaard 2000 ch. 7; Clayton 1978), still in closed form. */
#ifndef TIDE_DECAY_RESPONSE_H
#define TIDE_DECAY_RESPONSE_H

#include <stdint.h>

#include "decay.h"

typedef struct {
    int64_t n_pairs;
    const int64_t *off;    /* [n_pairs + 1] */
    const double *time;    /* [off[n]] sorted within a pair, in the fit's time unit */
    const int32_t *type;   /* [off[n]] 0..n_types-1 */
    const uint8_t *target; /* [off[n]] 1 = a target action (also an interaction of its type) */
    int n_types;
    double t0, t1;         /* window whose target actions are fitted */
    int max_hist;          /* most recent interactions that excite an event; 0 = all */
    double delay;          /* dead time: interaction i excites from t_i + delay on, with
                            * g(t − t_i − delay) (0 = none); e.g. half an hour keeps a
                            * session's own funnel (view, cart, buy in minutes) out of a kernel
                            * meant for interest over days */
    int frailty;           /* model option: a gamma frailty Z_p ~ Gamma(κ, κ) multiplies each
                            * pair's intensity, integrated out (decay_frailty.h); the parameter
                            * vector then ends with κ (free: log κ), one past nparams */
    const int64_t *units;  /* frailty units: [n_units + 1] offsets over pairs, each unit a run of
                            * consecutive pairs sharing one Z (e.g. one user's pairs; pairs
                            * are grouped by user first). NULL: one unit per pair */
    int64_t n_units;
} tide_response_data;

/* Checks offsets, times (finite, sorted within a pair), types, units and the window; TIDE_ERR + message. */
int tide_response_check(const tide_response_data *d);

/* Number of parameters: 1 (μ) + n_types (w) + family parameters (+ 1 for κ with a frailty). */
int tide_response_nparams(tide_decay_family fam, int k, int n_types);

/* Log-likelihood at natural parameters par = (μ, w[0..C-1], θ[, κ]); grad (optional, one per
 * free parameter) gets dℓ/d(log μ, log w, free θ[, log κ]); with a frailty, the marginal
 * likelihood with Z_p integrated out. Returns TIDE_OK and writes *ll, or TIDE_ERR. */
int tide_response_loglik(const tide_response_data *d, tide_decay_family fam, int k,
                         const double *par, double *ll, double *grad_free);

typedef struct {
    int max_iter;       /* L-BFGS iterations (default 300) */
    double prior_prec;  /* Gaussian penalty on the free parameters toward prior (segment fits) */
    const double *prior_free; /* [nfree] or NULL */
    const double *init; /* natural parameters to start from, or NULL (auto) */
    int want_se;        /* standard errors of the natural parameters (observed information) */
} tide_response_opts;

void tide_response_default_opts(tide_response_opts *o);

/* Maximum likelihood. par [nparams] natural parameters out; se [nparams] (may be NULL, NaN when
 * the information is singular, e.g. a type that never occurs); *ll the log-likelihood (without
 * the prior); *status an L-BFGS status (tide_lbfgs_status). TIDE_ERR on bad data. */
int tide_response_fit(const tide_response_data *d, tide_decay_family fam, int k,
                      const tide_response_opts *opts, double *par, double *se, double *ll,
                      int32_t *status);

/* Free (log / logit) parameters of natural ones and back. */
void tide_response_to_free(tide_decay_family fam, int k, int n_types, const double *par, double *u);
void tide_response_from_free(tide_decay_family fam, int k, int n_types, const double *u, double *par);

/* Nonparametric occurrence/exposure curve: target actions per unit of time while the most recent
 * interaction of the pair has type c and age in [edges[b], edges[b+1]). count and exposure are
 * [n_types, n_bins] (caller-owned, filled). Only time inside [t0, t1) counts. The rate
 * count/exposure is a piecewise-constant estimate of the response hazard (Aalen 1978). */
int tide_response_curve(const tide_response_data *d, int n_bins, const double *edges,
                        double *count, double *exposure);

/* Expected target actions of each pair in [t, t + h) given its interactions before t:
 * out[p] = μ·h + Σ_{t_i < t} w[c_i]·(S(t − t_i) − S(t + h − t_i)). Interactions at or after t
 * are ignored (no peeking). With a frailty the sum is multiplied by the posterior mean frailty
 * (κ + N)/(κ + Λ) of the pair's unit, N and Λ the target actions and compensators of the unit's
 * pairs over [max(t0, first time of the pair), t) (d->t0 must be finite; d->t1 is unused). */
int tide_response_expected(const tide_response_data *d, tide_decay_family fam, int k,
                           const double *par, double t, double h, double *out);

/* Groups events into (user, key) pairs sorted by time (ties keep row order): perm [n] lists the
 * rows pair by pair, off [n + 1] (caller-owned) gets the pair offsets into perm, *n_pairs their
 * number. */
int tide_response_group(int64_t n, const int32_t *user, const int32_t *key, const int64_t *time,
                        int64_t *perm, int64_t *off, int64_t *n_pairs);

#endif
