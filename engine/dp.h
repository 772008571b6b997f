/* dp.h — differential-privacy mechanisms and accounting (used by lua/tide/privacy*.lua).
 *
 * Noise comes from Tide's counter-based generator (rng.h), so a seeded run releases the same
 * numbers every time — reproducible tests; a real release should seed from a secret source.
 * Known limit: noise is added in double precision, which leaks through the low bits of the
 * result in theory (Mironov, "On significance of the least significant bits for differential
 * privacy", CCS 2012); Tide does not implement the snapping mechanism. */
#ifndef TIDE_DP_H
#define TIDE_DP_H

#include <stdint.h>

#include "rng.h"

/* out[i] = Laplace(0, b) draws, as the difference of two Exp(1/b) draws. b > 0. */
void tide_dp_laplace(tide_rng *r, double *out, int64_t n, double b);
/* out[i] = N(0, sigma^2) draws. */
void tide_dp_gaussian(tide_rng *r, double *out, int64_t n, double sigma);

/* Standard deviation of Gaussian noise making a query of L2 sensitivity `sens`
 * (eps, delta)-DP. analytic != 0: the smallest sigma by Balle & Wang, "Improving the Gaussian
 * mechanism for differential privacy: analytical calibration and optimal denoising" (ICML
 * 2018, Theorem 8), any eps > 0. analytic == 0: the classic sigma = sens sqrt(2 ln(1.25/delta))
 * / eps of Dwork & Roth (2014, Theorem A.1), valid only for eps < 1. TIDE_ERR + message on bad
 * arguments. */
int tide_dp_gauss_sigma(double sens, double eps, double delta, int analytic, double *sigma);

/* Renyi DP of order alpha (an integer >= 2) of one step of the sampled Gaussian mechanism:
 * each record is included with probability q, the sum of clipped contributions (L2 norm <= 1)
 * gets N(0, sigma^2) noise. Mironov, Talwar & Zhang, "Renyi differential privacy of the
 * sampled Gaussian mechanism" (2019, §3.3):
 *   eps(alpha) = log( sum_k C(alpha,k) (1-q)^(alpha-k) q^k exp((k^2-k)/(2 sigma^2)) ) / (alpha-1)
 * summed in log space. q = 1 gives alpha / (2 sigma^2). */
double tide_dp_rdp_sgm(double q, double sigma, int alpha);

/* (eps, delta) from RDP values at n orders (Mironov, "Renyi differential privacy", CSF 2017,
 * Proposition 3): eps = min over orders of rdp[i] + log(1/delta) / (order[i] - 1). Writes the
 * minimising order to *best (may be NULL). */
double tide_dp_rdp_to_eps(const double *orders, const double *rdp, int n, double delta, double *best);

#endif
