/* decay_frailty.h — a gamma frailty for point processes: each unit (here a (user, key) pair)
 * has an unobserved multiplicative effect Z ~ Gamma(κ, rate κ) (mean 1, variance 1/κ) on its
 * intensity, λ_p(t | Z) = Z · λ_p(t). Integrating Z out (Vaupel, Manton & Stallard 1979;
 * Aalen 1988 "Heterogeneity in survival analysis"; Cox 1972 for the conditional intensity),
 * a unit with n events at times s_j and compensator Λ over its observed span contributes
 *
 *     ℓ = Σ_j log λ(s_j) + log Γ(κ + n) − log Γ(κ) + κ log κ − (κ + n) log(κ + Λ)
 *
 * (the negative-binomial mixing), and given its history the frailty has the posterior
 * Gamma(κ + n, κ + Λ), so its intensity from then on is (κ + n)/(κ + Λ) · λ(t). As κ → ∞ the
 * term tends to −Λ: the frailty-free Poisson likelihood. Computed without cancellation:
 * log Γ(κ + n) − log Γ(κ) = Σ_{i<n} log(κ + i) (n is a count) and κ log κ − (κ + n) log(κ + Λ)
 * = −κ·log1p(Λ/κ) − n·log(κ + Λ), so a huge κ gives −Λ to rounding, not lgamma noise. */
#ifndef TIDE_DECAY_FRAILTY_H
#define TIDE_DECAY_FRAILTY_H

#include <stdint.h>

/* The frailty part of one unit's marginal log-likelihood (everything but Σ log λ) for n events
 * and compensator lam >= 0, κ > 0. *d_lam gets dℓ/dΛ = −(κ + n)/(κ + Λ) (minus the posterior
 * mean, the weight of the compensator's gradient); *d_kappa gets dℓ/dκ
 * = Σ_{i<n} 1/(κ + i) − n/(κ + Λ) − log1p(Λ/κ) + Λ/(κ + Λ). Either may be NULL. */
double tide_frailty_term(double kappa, int64_t n, double lam, double *d_lam, double *d_kappa);

/* Posterior mean of the frailty after n events under compensator lam: (κ + n)/(κ + Λ). */
double tide_frailty_posterior(double kappa, int64_t n, double lam);

#endif
