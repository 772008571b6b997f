/* ab_boot.h — seeded bootstrap intervals for two-arm (or k-group) statistics.
 *
 * Resampling is stratified: each group (arm) is resampled with replacement within itself, so
 * every replicate keeps the arms' sizes, as the experiment did. Random indices come from the
 * engine's Philox generator, one stream per group derived from (seed, group), so a run is
 * reproducible from its seed alone.
 * Intervals (Efron 1987, "Better bootstrap confidence intervals", JASA 82; Efron & Tibshirani
 * 1993, ch. 13-14; Davison & Hinkley 1997, sec. 5.3):
 *   percentile: the (1-level)/2 and (1+level)/2 quantiles of the replicates;
 *   BCa: the quantiles at Φ(z0 + (z0 + z_q) / (1 - a (z0 + z_q))), with the bias correction
 *   z0 = Φ^-1(share of replicates below the estimate, ties counted half) and the acceleration
 *   a = Σ_g n_g^-3 Σ_j l_gj^3 / (6 (Σ_g n_g^-2 Σ_j l_gj^2)^(3/2)) from jackknife influence
 *   values l_gj = (n_g - 1)(mean_j θ_(gj) - θ_(gj)) of each group (the multi-sample form,
 *   Davison & Hinkley eq. 5.25 with jackknife estimates of the empirical influence values).
 * Quantiles interpolate linearly between order statistics (Hyndman & Fan type 7). */
#ifndef TIDE_AB_BOOT_H
#define TIDE_AB_BOOT_H

#include <stdint.h>

typedef struct {
    double est;            /* the statistic on the data */
    double se;             /* standard deviation of the replicates */
    double pct_lo, pct_hi; /* percentile interval */
    double bca_lo, bca_hi; /* BCa interval */
    double z0, accel;      /* BCa bias correction and acceleration */
} tide_ab_interval;

/* idx[b * n + j] (B x n) = indices drawn uniformly from 0..n-1 for stream (seed, group). */
int tide_ab_boot_indices(int64_t n, int64_t B, uint64_t seed, uint64_t group, int32_t *idx);

/* Replicates of mean(b) - mean(a) (B values into reps), groups 0 (a) and 1 (b). */
int tide_ab_boot_mean_diff(const double *a, int64_t na, const double *b, int64_t nb, int64_t B,
                           uint64_t seed, double *reps);

/* Percentile and BCa intervals from B replicates (sorted in place), the estimate and the
 * jackknife estimates of each group concatenated (jack[0 .. Σ group_n - 1]; NULL: a = 0).
 * level in (0, 1). z0 is clamped to the share range [1/(2B), 1 - 1/(2B)] when every replicate
 * falls on one side of the estimate. */
int tide_ab_boot_ci(double *reps, int64_t B, double est, int n_groups, const int64_t *group_n,
                    const double *jack, double level, tide_ab_interval *out);

/* Everything for mean(b) - mean(a): replicates, exact jackknife, both intervals. */
int tide_ab_boot_mean_diff_ci(const double *a, int64_t na, const double *b, int64_t nb, int64_t B,
                              uint64_t seed, double level, tide_ab_interval *out);

#endif
