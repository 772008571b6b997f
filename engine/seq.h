/* seq.h — per-user sequence building and row filters over event columns.
 *
 * Rows are events; users and items are dense 1-based ids. A CSR layout groups rows by user:
 * user u (1-based) owns positions offsets[u-1] .. offsets[u]-1 of the permuted rows, in time
 * order (ties keep input order, so the sort is stable and deterministic).
 * All functions are pure: they read the columns and write into caller-owned outputs; they
 * return a count (>= 0) or TIDE_ERR with tide_error() set for bad ids or out of memory. */
#ifndef TIDE_SEQ_H
#define TIDE_SEQ_H

#include <stdint.h>

/* perm[n]: row indices (0-based) ordered by (user, time, input order); offsets[n_users+1].
 * Counting sort by user, then a stable merge sort by time within each user (skipped when the
 * user's rows are already in order, the common case for logs written in time order). */
int tide_seq_order(int64_t n, const int32_t *user, const int64_t *time, int64_t n_users,
                   int64_t *perm, int64_t *offsets);

/* For rows already in CSR order: session[i] = 1-based session id, a new session starting at
 * each user's first row and wherever the gap to the previous row exceeds max_gap seconds.
 * Returns the number of sessions. */
int64_t tide_seq_sessions(int64_t n_users, const int64_t *offsets, const int64_t *time,
                          int64_t max_gap, int32_t *session);

/* Burst de-duplication over rows in CSR order: a row is dropped when an earlier KEPT row of
 * the same user, item (and event, if event != NULL, and key, if key != NULL) lies within
 * `window` seconds before it (window 0 drops exact repeats at the same second; `key` is a
 * per-row hash of the other columns, so exact duplicates must agree on them too).
 * keep[i] is set to 0/1; returns kept. */
int64_t tide_seq_dedupe(int64_t n_users, const int64_t *offsets, const int32_t *item,
                        const int32_t *event, const int64_t *key, const int64_t *time, int64_t window,
                        uint8_t *keep);

/* Iterative k-core: keeps rows whose user has >= k_user and whose item has >= k_item kept
 * rows, repeating until nothing changes. keep[i] 0/1 (rows with keep[i] == 0 on entry stay
 * out); *iters receives the number of passes. Returns kept rows. */
int64_t tide_seq_kcore(int64_t n, const int32_t *user, const int32_t *item, int64_t n_users,
                       int64_t n_items, int64_t k_user, int64_t k_item, uint8_t *keep, int *iters);

/* Renumbers ids (1..n_old) that occur in ids[n] to 1..m in order of first id value:
 * map[old-1] = new id or 0 when unused; ids rewritten in place. Returns m. */
int64_t tide_seq_compact_ids(int64_t n, int32_t *ids, int64_t n_old, int32_t *map);

#endif
