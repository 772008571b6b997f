/* negative.h — seeded negative sampling that excludes each user's seen items.
 *
 * Uniform over 1..n_items, or proportional to weights (popularity) with Walker's alias
 * method (A. J. Walker, "An efficient method for generating discrete random variables with
 * general distributions", ACM TOMS 1977): O(n_items) setup, O(1) per draw. Seen items are
 * rejected by binary search in the user's sorted item list. Each user draws from its own
 * Philox stream (seed, user), so results do not depend on order or threading.
 * A user who has seen every item that can be drawn gets 0 ("no negative") entries. */
#ifndef TIDE_NEGATIVE_H
#define TIDE_NEGATIVE_H

#include <stdint.h>

/* CSR input (off[n_users+1], item[off[n_users]], 1-based items). out has `rows` * k entries:
 * rows = n_users when per_user, else one row per event (off[n_users]). weights: n_items
 * non-negative values or NULL (uniform). Returns the number of 0 (failed) entries, or
 * TIDE_ERR (bad ids, bad weights, OOM). */
/* Whether v is in the sorted ids s[0..n) (binary search): a user's seen-item test, here and in
 * the fused ranking's exclusions (seqrec_score.c). */
static inline int tide_sorted_has(const int32_t *s, int64_t n, int32_t v)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (s[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && s[lo] == v;
}

int64_t tide_negative_sample(int64_t n_users, const int64_t *off, const int32_t *item, int64_t n_items,
                             int64_t k, uint64_t seed, const float *weights, int per_user, int32_t *out);

#endif
