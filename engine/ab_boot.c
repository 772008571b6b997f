/* ab_boot.c — stratified bootstrap, percentile and BCa intervals (see ab_boot.h). */
#include "ab_boot.h"

#include <math.h>
#include <stdlib.h>

#include "ab_dist.h"
#include "error.h"
#include "hash_xx64.h"
#include "rng.h"

/* one independent Philox stream per (seed, group) */
static void group_rng(tide_rng *r, uint64_t seed, uint64_t group)
{
    tide_rng_seed(r, tide_hash_splitmix64(seed ^ tide_hash_splitmix64(group + 1)));
}

int tide_ab_boot_indices(int64_t n, int64_t B, uint64_t seed, uint64_t group, int32_t *idx)
{
    if (n < 1 || n > INT32_MAX) return tide_errorf("bootstrap: group size must be in 1..%d (got %lld)", INT32_MAX, (long long)n);
    if (B < 1) return tide_errorf("bootstrap: need at least 1 replicate (got %lld)", (long long)B);
    tide_rng r;
    group_rng(&r, seed, group);
    for (int64_t i = 0; i < B * n; i++) idx[i] = (int32_t)tide_rng_below(&r, (uint64_t)n);
    return TIDE_OK;
}

static int check_sample(const double *x, int64_t n, const char *name)
{
    if (n < 2) return tide_errorf("bootstrap: arm %s needs at least 2 values (got %lld)", name, (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return tide_errorf("bootstrap: %s[%lld] is not finite", name, (long long)i + 1);
    return TIDE_OK;
}

int tide_ab_boot_mean_diff(const double *a, int64_t na, const double *b, int64_t nb, int64_t B,
                           uint64_t seed, double *reps)
{
    if (check_sample(a, na, "a") || check_sample(b, nb, "b")) return TIDE_ERR;
    if (B < 2) return tide_errorf("bootstrap: need at least 2 replicates (got %lld)", (long long)B);
    tide_rng ra, rb;
    group_rng(&ra, seed, 0);
    group_rng(&rb, seed, 1);
    for (int64_t k = 0; k < B; k++) {
        double sa = 0, sb = 0;
        for (int64_t j = 0; j < na; j++) sa += a[tide_rng_below(&ra, (uint64_t)na)];
        for (int64_t j = 0; j < nb; j++) sb += b[tide_rng_below(&rb, (uint64_t)nb)];
        reps[k] = sb / (double)nb - sa / (double)na;
    }
    return TIDE_OK;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* type 7 quantile of sorted values */
static double quantile(const double *s, int64_t B, double q)
{
    double h = (double)(B - 1) * q;
    int64_t lo = (int64_t)floor(h);
    if (lo < 0) return s[0];
    if (lo >= B - 1) return s[B - 1];
    return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

static double acceleration(int n_groups, const int64_t *group_n, const double *jack)
{
    double num = 0, den = 0;
    const double *j = jack;
    for (int g = 0; g < n_groups; g++) {
        int64_t n = group_n[g];
        double m = 0;
        for (int64_t i = 0; i < n; i++) m += j[i];
        m /= (double)n;
        double s2 = 0, s3 = 0;
        for (int64_t i = 0; i < n; i++) {
            double l = (double)(n - 1) * (m - j[i]);
            s2 += l * l, s3 += l * l * l;
        }
        double dn = (double)n;
        num += s3 / (dn * dn * dn);
        den += s2 / (dn * dn);
        j += n;
    }
    return den > 0 ? num / (6 * pow(den, 1.5)) : 0;
}

int tide_ab_boot_ci(double *reps, int64_t B, double est, int n_groups, const int64_t *group_n,
                    const double *jack, double level, tide_ab_interval *out)
{
    if (B < 2) return tide_errorf("bootstrap: need at least 2 replicates (got %lld)", (long long)B);
    if (!(level > 0 && level < 1)) return tide_errorf("bootstrap: level must be in (0, 1) (got %g)", level);
    if (!isfinite(est)) return tide_errorf("bootstrap: the estimate is not finite");
    if (jack)
        for (int g = 0; g < n_groups; g++)
            if (group_n[g] < 2) return tide_errorf("bootstrap: jackknife group %d has %lld values (need >= 2)", g + 1, (long long)group_n[g]);
    double below = 0, mean = 0, ss = 0;
    for (int64_t k = 0; k < B; k++) {
        if (!isfinite(reps[k])) return tide_errorf("bootstrap: replicate %lld is not finite", (long long)k + 1);
        below += reps[k] < est ? 1 : reps[k] == est ? 0.5 : 0;
        mean += reps[k];
    }
    mean /= (double)B;
    for (int64_t k = 0; k < B; k++) ss += (reps[k] - mean) * (reps[k] - mean);
    qsort(reps, (size_t)B, sizeof *reps, cmp_double);
    double half = 0.5 / (double)B, share = fmin(fmax(below / (double)B, half), 1 - half);
    double z0 = tide_norm_ppf(share), a = jack ? acceleration(n_groups, group_n, jack) : 0;
    double ql = (1 - level) / 2, qh = (1 + level) / 2;
    double zl = z0 + tide_norm_ppf(ql), zh = z0 + tide_norm_ppf(qh);
    out->est = est;
    out->se = sqrt(ss / (double)(B - 1));
    out->pct_lo = quantile(reps, B, ql);
    out->pct_hi = quantile(reps, B, qh);
    out->bca_lo = quantile(reps, B, tide_norm_cdf(z0 + zl / (1 - a * zl)));
    out->bca_hi = quantile(reps, B, tide_norm_cdf(z0 + zh / (1 - a * zh)));
    out->z0 = z0;
    out->accel = a;
    return TIDE_OK;
}

int tide_ab_boot_mean_diff_ci(const double *a, int64_t na, const double *b, int64_t nb, int64_t B,
                              uint64_t seed, double level, tide_ab_interval *out)
{
    if (check_sample(a, na, "a") || check_sample(b, nb, "b")) return TIDE_ERR;
    if (B < 2) return tide_errorf("bootstrap: need at least 2 replicates (got %lld)", (long long)B);
    double *reps = malloc(sizeof(double) * (size_t)B), *jack = malloc(sizeof(double) * (size_t)(na + nb));
    if (!reps || !jack) {
        free(reps), free(jack);
        return tide_errorf("bootstrap: out of memory for %lld replicates", (long long)B);
    }
    double sa = 0, sb = 0;
    for (int64_t i = 0; i < na; i++) sa += a[i];
    for (int64_t i = 0; i < nb; i++) sb += b[i];
    double ma = sa / (double)na, mb = sb / (double)nb;
    /* leave-one-out estimates, exact for a difference of means */
    for (int64_t i = 0; i < na; i++) jack[i] = mb - (sa - a[i]) / (double)(na - 1);
    for (int64_t i = 0; i < nb; i++) jack[na + i] = (sb - b[i]) / (double)(nb - 1) - ma;
    int64_t gn[2] = {na, nb};
    int rc = tide_ab_boot_mean_diff(a, na, b, nb, B, seed, reps);
    if (rc == TIDE_OK) rc = tide_ab_boot_ci(reps, B, mb - ma, 2, gn, jack, level, out);
    free(reps), free(jack);
    return rc;
}
