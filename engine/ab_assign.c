/* ab_assign.c — salted hash assignment (see ab_assign.h for the mapping). */
#include "ab_assign.h"

#include <math.h>
#include <stdio.h>

#include "error.h"
#include "hash_xx64.h"

uint64_t tide_ab_salt_seed(const char *salt, size_t len) { return tide_hash_xx64(salt, len, 0); }

double tide_ab_unit(uint64_t salt_seed, const char *id, size_t len)
{
    return tide_hash_unit(tide_hash_xx64(id, len, salt_seed));
}

double tide_ab_unit_int(uint64_t salt_seed, int64_t id)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)id);
    return tide_ab_unit(salt_seed, buf, (size_t)n);
}

int tide_ab_check_arms(int n_arms, const double *weights, double holdout)
{
    if (n_arms < 1 || n_arms > TIDE_AB_MAX_ARMS)
        return tide_errorf("ab assign: need 1..%d arms, got %d", TIDE_AB_MAX_ARMS, n_arms);
    double s = 0;
    for (int k = 0; k < n_arms; k++) {
        if (!(weights[k] >= 0 && isfinite(weights[k])))
            return tide_errorf("ab assign: weight of arm %d must be finite and >= 0 (got %g)", k + 1, weights[k]);
        s += weights[k];
    }
    if (!(s > 0)) return tide_errorf("ab assign: the arm weights sum to 0");
    if (!(holdout >= 0 && holdout < 1))
        return tide_errorf("ab assign: holdout must be in [0, 1) (got %g)", holdout);
    return TIDE_OK;
}

int tide_ab_arm_of(double u, int n_arms, const double *weights, double holdout)
{
    if (u < holdout) return -1;
    double v = (u - holdout) / (1 - holdout), s = 0, c = 0;
    for (int k = 0; k < n_arms; k++) s += weights[k];
    for (int k = 0; k < n_arms; k++) {
        c += weights[k];
        if (weights[k] > 0 && v * s < c) return k;
    }
    /* v * s rounded up to s: the last arm with a positive weight */
    for (int k = n_arms - 1; k >= 0; k--)
        if (weights[k] > 0) return k;
    return 0;
}

int tide_ab_assign_ints(const char *salt, size_t salt_len, int64_t n, const int64_t *ids, int n_arms,
                        const double *weights, double holdout, int32_t *out, double *u)
{
    if (tide_ab_check_arms(n_arms, weights, holdout) != TIDE_OK) return TIDE_ERR;
    uint64_t seed = tide_ab_salt_seed(salt, salt_len);
    for (int64_t i = 0; i < n; i++) {
        double x = tide_ab_unit_int(seed, ids[i]);
        out[i] = tide_ab_arm_of(x, n_arms, weights, holdout);
        if (u) u[i] = x;
    }
    return TIDE_OK;
}
