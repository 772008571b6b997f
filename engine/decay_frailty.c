/* decay_frailty.c — the gamma-frailty term of a unit's marginal point-process likelihood and the
 * frailty's posterior mean (see decay_frailty.h for the model and the stable forms used). */
#include "decay_frailty.h"

#include <math.h>

double tide_frailty_term(double kappa, int64_t n, double lam, double *d_lam, double *d_kappa)
{
    double kl = kappa + lam, ll = -kappa * log1p(lam / kappa), dk = -log1p(lam / kappa) + lam / kl;
    /* log Γ(κ + n) − log Γ(κ) − n log(κ + Λ) = Σ_{i<n} log((κ + i)/(κ + Λ)), and its κ-derivative
     * ψ(κ + n) − ψ(κ) − n/(κ + Λ), term by term so that nothing cancels at large κ */
    for (int64_t i = 0; i < n; i++) {
        ll += log1p(((double)i - lam) / kl);
        dk += (lam - (double)i) / ((kappa + (double)i) * kl);
    }
    if (d_lam) *d_lam = -(kappa + (double)n) / kl;
    if (d_kappa) *d_kappa = dk;
    return ll;
}

double tide_frailty_posterior(double kappa, int64_t n, double lam)
{
    return (kappa + (double)n) / (kappa + lam);
}
