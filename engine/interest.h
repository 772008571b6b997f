/* interest.h — decayed interest profiles for all users at once, decayed item popularity, and
 * item-item co-occurrence for SAR-style recommenders (cooc.c).
 *
 * Inputs are per-user time-sorted sequences in CSR form: off [U+1] (0-based offsets), key [n]
 * (0-based item or category id), time [n] (seconds), optional type [n] (0-based event type)
 * with weights w[type]. For user u evaluated at time at[u] (seconds):
 *     interest(u, x) = Σ_{e of u, key_e = x, t_e <= at[u]} w[type_e] · S((at[u] − t_e) / unit; θ_u)
 * with S a decay family of decay.h and θ_u = theta + u·P when per_user, else theta.
 * Events after at[u] are ignored (no peeking into the future). */
#ifndef TIDE_INTEREST_H
#define TIDE_INTEREST_H

#include <stdint.h>

#include "decay.h"

typedef struct {
    tide_decay_family fam;
    int k;                 /* mixture components */
    const double *theta;   /* [P] or [U, P] */
    int per_user;
    const float *w;        /* [n_types] weights per event type, NULL = 1 */
    int n_types;
    double unit;           /* seconds per time unit of θ (e.g. 86400) */
} tide_interest_spec;

/* Stable grouping of n records by key (0-based, < G) then time: off [G+1], perm [n] such that
 * records perm[off[g]..off[g+1]) are group g in time order. */
int tide_group_sort(int64_t n, const int32_t *key, const int64_t *time, int64_t G, int64_t *off, int32_t *perm);

/* Dense profiles for users u0..u0+B-1: out [B, X] (zeroed first). */
int tide_interest_dense(const tide_interest_spec *sp, const int64_t *off, const int32_t *key,
                        const int64_t *time, const int32_t *type, int64_t X, int64_t u0, int64_t B,
                        const int64_t *at, float *out);

/* Sparse profiles for all U users: CSR (*ooff [U+1], *okey, *oval: malloc'ed, free them),
 * keys sorted per user. norm: 0 none, 1 divide by the user's sum, 2 by the user's max.
 * Entries below thr (after normalisation) are dropped — the θ-threshold set of
 * still-interesting keys. */
int tide_interest_sparse(const tide_interest_spec *sp, int64_t U, const int64_t *off, const int32_t *key,
                         const int64_t *time, const int32_t *type, int64_t X, const int64_t *at,
                         int norm, double thr, int64_t **ooff, int32_t **okey, float **oval);

/* Item popularity from n events: out[I] = Σ w[type]·g(t_ref − t) over events with t <= t_ref,
 * g = 1 (half_life <= 0) or 2^(−Δ/half_life); only events with t_ref − t < window count when
 * window > 0. Items 0-based. */
int tide_item_popularity(int64_t n, const int32_t *item, const int64_t *time, const int32_t *type,
                         const float *w, int n_types, int64_t I, int64_t t_ref, double half_life,
                         double window, float *out);

/* Popularity as each of B users would have seen it at their own time at[b] (no events after
 * at[b]: no leakage from the future in logs spanning years): out[b, i] as in
 * tide_item_popularity with t_ref = at[b]. One sweep over time-sorted events; the running
 * vector is decayed once per distinct reference time. Cost O(n log n + B·I). */
int tide_item_popularity_at(int64_t n, const int32_t *item, const int64_t *time, const int32_t *type,
                            const float *w, int n_types, int64_t I, double half_life, double window,
                            int64_t B, const int64_t *at, float *out);

/* scores[b, i] = prof[b, cat[i]] + eps · pop[i] (pop may be NULL): a category profile spread
 * over the catalogue, popularity breaking ties inside a category. */
int tide_profile_scores(int64_t B, int64_t X, const float *prof, int64_t I, const int32_t *cat,
                        const float *pop, float eps, float *out);

/* ---- cooc.c ---- */
/* Item-item co-occurrence over users' item sets (CSR off [U+1], item [n], 0-based; an item
 * repeated within a user counts once): C[i][j] = number of users holding both (C[i][i] = number
 * holding i). Output CSR [I, I] (*roff [I+1], *col, *val, malloc'ed), columns sorted. Rows keep
 * at most max_nb off-diagonal entries with the largest counts (0 = all) plus the diagonal. */
int tide_cooc(int64_t U, const int64_t *off, const int32_t *item, int64_t I, int64_t max_nb,
              int64_t **roff, int32_t **col, float **val);
/* In-place similarity from counts: 0 keep counts, 1 Jaccard c_ij/(c_ii + c_jj − c_ij),
 * 2 lift c_ij/(c_ii·c_jj), 3 cosine c_ij/sqrt(c_ii·c_jj). Diagonal entries set to 0 when
 * drop_diag (so an item does not recommend itself). */
int tide_cooc_similarity(int64_t I, const int64_t *roff, const int32_t *col, float *val, int kind, int drop_diag);
/* out[b, :] (ld >= I, zeroed first) = Σ_{p in row b of A} aval[p] · S[acol[p], :] for a sparse
 * B×I affinity A (aoff [B+1]) and sparse S (CSR, I rows). */
int tide_sparse_scores(int64_t B, const int64_t *aoff, const int32_t *acol, const float *aval, int64_t I,
                       const int64_t *soff, const int32_t *scol, const float *sval, float *out, int64_t ld);

#endif
