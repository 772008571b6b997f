/* ab_dist.h — the distribution functions experiment analysis needs: normal, Student t and
 * chi-square CDFs and quantiles, from the regularized incomplete gamma and beta functions.
 * Accuracy: about 1e-12 relative over the ranges tests use (checked against scipy.special).
 * Arguments outside the domain return NaN (callers validate first and report errors). */
#ifndef TIDE_AB_DIST_H
#define TIDE_AB_DIST_H

double tide_norm_cdf(double x);
/* Wichura's AS 241 (PPND16), relative accuracy about 1e-16; p in (0, 1). */
double tide_norm_ppf(double p);
/* Regularized lower incomplete gamma P(a, x) and its complement Q(a, x) (a > 0, x >= 0):
 * series for x < a + 1, Lentz continued fraction otherwise (Numerical Recipes, 3rd ed., 6.2). */
double tide_gamma_p(double a, double x);
double tide_gamma_q(double a, double x);
/* Regularized incomplete beta I_x(a, b) (continued fraction, Numerical Recipes 6.4). */
double tide_beta_inc(double a, double b, double x);
/* Chi-square survival function P[X > x], df > 0. */
double tide_chi2_sf(double x, double df);
/* Student t CDF and quantile (df > 0; df = inf gives the normal). The quantile inverts the
 * CDF by safeguarded Newton steps from the normal quantile. */
double tide_t_cdf(double t, double df);
double tide_t_ppf(double p, double df);

#endif
