/* ab_assign.h — deterministic, salted assignment of experiment units to arms.
 *
 * A unit's id is hashed as bytes (an integer id as its decimal text, so 42 and "42" are the same
 * unit): u = top 53 bits of XXH64(id, seed = XXH64(salt, 0)) / 2^53, uniform on [0, 1).
 * u < holdout -> the holdout (arm -1); otherwise v = (u - holdout) / (1 - holdout) picks the arm
 * whose cumulative weight interval [W_{k-1}, W_k) (weights normalised to sum 1) contains v.
 * The arm of an id depends only on (salt, id, weights, holdout): never on the other ids, the
 * order, the run or the machine. A new salt gives an independent re-randomisation. */
#ifndef TIDE_AB_ASSIGN_H
#define TIDE_AB_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#define TIDE_AB_MAX_ARMS 64

/* Hash seed of a salt. */
uint64_t tide_ab_salt_seed(const char *salt, size_t len);
/* u in [0, 1) of one id (bytes) under a salt seed. */
double tide_ab_unit(uint64_t salt_seed, const char *id, size_t len);
/* u of an integer id (hashed as its decimal text). */
double tide_ab_unit_int(uint64_t salt_seed, int64_t id);

/* Arm of u: -1 (holdout) or 0..n_arms-1. Weights must have been checked (tide_ab_check_arms). */
int tide_ab_arm_of(double u, int n_arms, const double *weights, double holdout);
/* Validates weights (finite, >= 0, positive sum, 1..TIDE_AB_MAX_ARMS arms) and holdout in
 * [0, 1). TIDE_OK or TIDE_ERR with a message naming the bad value. */
int tide_ab_check_arms(int n_arms, const double *weights, double holdout);

/* Arms of n integer ids; out[i] in {-1, 0, ..., n_arms-1}; u (optional) gets each unit value. */
int tide_ab_assign_ints(const char *salt, size_t salt_len, int64_t n, const int64_t *ids, int n_arms,
                        const double *weights, double holdout, int32_t *out, double *u);

#endif
