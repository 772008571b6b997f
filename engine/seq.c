/* seq.c — CSR per-user ordering, sessionization, burst de-dup and k-core (see seq.h). */
#include "seq.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

static int check_ids(int64_t n, const int32_t *id, int64_t maxid, const char *what)
{
    for (int64_t i = 0; i < n; i++)
        if (id[i] < 1 || id[i] > maxid)
            return tide_errorf("seq: %s id %d at row %lld is outside 1..%lld", what, id[i],
                               (long long)i + 1, (long long)maxid);
    return TIDE_OK;
}

/* Stable merge sort of perm[0..m) by key time[perm[i]], using tmp[m]. */
static void msort(int64_t *a, int64_t *tmp, int64_t m, const int64_t *time)
{
    if (m < 24) { /* insertion sort: stable, fast on short runs */
        for (int64_t i = 1; i < m; i++) {
            int64_t v = a[i], tv = time[v], j = i;
            while (j > 0 && time[a[j - 1]] > tv) { a[j] = a[j - 1]; j--; }
            a[j] = v;
        }
        return;
    }
    int64_t h = m / 2;
    msort(a, tmp, h, time);
    msort(a + h, tmp, m - h, time);
    if (time[a[h - 1]] <= time[a[h]]) return;
    memcpy(tmp, a, (size_t)h * sizeof *a);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < m) a[k++] = time[a[j]] < time[tmp[i]] ? a[j++] : tmp[i++];
    while (i < h) a[k++] = tmp[i++];
}

int tide_seq_order(int64_t n, const int32_t *user, const int64_t *time, int64_t n_users,
                   int64_t *perm, int64_t *offsets)
{
    if (check_ids(n, user, n_users, "user") != TIDE_OK) return TIDE_ERR;
    memset(offsets, 0, (size_t)(n_users + 1) * sizeof *offsets);
    for (int64_t i = 0; i < n; i++) offsets[user[i]]++;
    for (int64_t u = 0; u < n_users; u++) offsets[u + 1] += offsets[u];
    /* offsets[u] is now the END of user u (1-based); fill backwards for stability */
    for (int64_t i = n - 1; i >= 0; i--) perm[--offsets[user[i]]] = i;
    /* offsets[u] is now the START of user u+1 ... shift: offsets[0..n_users] */
    for (int64_t u = 1; u <= n_users; u++) offsets[u - 1] = offsets[u];
    offsets[n_users] = n;
    /* offsets[u-1] = start of user u: the prefix after the backward fill */
    if (!time) return TIDE_OK;
    int64_t maxlen = 0;
    for (int64_t u = 0; u < n_users; u++) {
        int64_t a = offsets[u], b = offsets[u + 1];
        int sorted = 1;
        for (int64_t i = a + 1; i < b && sorted; i++) sorted = time[perm[i - 1]] <= time[perm[i]];
        if (!sorted && b - a > maxlen) maxlen = b - a;
    }
    if (!maxlen) return TIDE_OK;
    int64_t *tmp = malloc((size_t)maxlen * sizeof *tmp);
    if (!tmp) return tide_errorf("seq: out of memory");
    for (int64_t u = 0; u < n_users; u++) {
        int64_t a = offsets[u], b = offsets[u + 1];
        int sorted = 1;
        for (int64_t i = a + 1; i < b && sorted; i++) sorted = time[perm[i - 1]] <= time[perm[i]];
        if (!sorted) msort(perm + a, tmp, b - a, time);
    }
    free(tmp);
    return TIDE_OK;
}

int64_t tide_seq_sessions(int64_t n_users, const int64_t *offsets, const int64_t *time,
                          int64_t max_gap, int32_t *session)
{
    int64_t s = 0;
    for (int64_t u = 0; u < n_users; u++)
        for (int64_t i = offsets[u]; i < offsets[u + 1]; i++) {
            if (i == offsets[u] || time[i] - time[i - 1] > max_gap) s++;
            session[i] = (int32_t)s;
        }
    return s;
}

typedef struct {
    const int32_t *item, *event;
    const int64_t *key, *time;
} dd_ctx;
static _Thread_local dd_ctx g_dd;

static int dd_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    if (g_dd.item[a] != g_dd.item[b]) return g_dd.item[a] < g_dd.item[b] ? -1 : 1;
    if (g_dd.event && g_dd.event[a] != g_dd.event[b]) return g_dd.event[a] < g_dd.event[b] ? -1 : 1;
    if (g_dd.key && g_dd.key[a] != g_dd.key[b]) return g_dd.key[a] < g_dd.key[b] ? -1 : 1;
    if (g_dd.time[a] != g_dd.time[b]) return g_dd.time[a] < g_dd.time[b] ? -1 : 1;
    return (a > b) - (a < b);
}

int64_t tide_seq_dedupe(int64_t n_users, const int64_t *offsets, const int32_t *item,
                        const int32_t *event, const int64_t *key, const int64_t *time, int64_t window,
                        uint8_t *keep)
{
    int64_t maxlen = 0, n = offsets[n_users], kept = 0;
    for (int64_t u = 0; u < n_users; u++)
        if (offsets[u + 1] - offsets[u] > maxlen) maxlen = offsets[u + 1] - offsets[u];
    int64_t *ix = malloc((size_t)(maxlen ? maxlen : 1) * sizeof *ix);
    if (!ix) return tide_errorf("seq: out of memory");
    g_dd = (dd_ctx){item, event, key, time};
    memset(keep, 1, (size_t)n);
    for (int64_t u = 0; u < n_users; u++) {
        int64_t a = offsets[u], m = offsets[u + 1] - a;
        for (int64_t i = 0; i < m; i++) ix[i] = a + i;
        /* grouped by (item, event), each group in time order: a row survives when it is more
         * than `window` after the last survivor of its group */
        qsort(ix, (size_t)m, sizeof *ix, dd_cmp);
        int64_t last = -1;
        for (int64_t i = 0; i < m; i++) {
            int64_t r = ix[i];
            int same = last >= 0 && item[last] == item[r] && (!event || event[last] == event[r]) &&
                       (!key || key[last] == key[r]);
            if (same && time[r] - time[last] <= window) keep[r] = 0;
            else last = r;
        }
    }
    free(ix);
    for (int64_t i = 0; i < n; i++) kept += keep[i];
    return kept;
}

int64_t tide_seq_kcore(int64_t n, const int32_t *user, const int32_t *item, int64_t n_users,
                       int64_t n_items, int64_t k_user, int64_t k_item, uint8_t *keep, int *iters)
{
    if (check_ids(n, user, n_users, "user") != TIDE_OK || check_ids(n, item, n_items, "item") != TIDE_OK)
        return TIDE_ERR;
    int64_t *du = malloc((size_t)(n_users + 1) * sizeof *du);
    int64_t *di = malloc((size_t)(n_items + 1) * sizeof *di);
    if (!du || !di) {
        free(du);
        free(di);
        return tide_errorf("seq: out of memory");
    }
    int64_t kept = 0;
    int it = 0;
    for (;;) {
        it++;
        memset(du, 0, (size_t)(n_users + 1) * sizeof *du);
        memset(di, 0, (size_t)(n_items + 1) * sizeof *di);
        for (int64_t i = 0; i < n; i++)
            if (keep[i]) { du[user[i]]++; di[item[i]]++; }
        int64_t dropped = 0;
        kept = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!keep[i]) continue;
            if (du[user[i]] < k_user || di[item[i]] < k_item) { keep[i] = 0; dropped++; }
            else kept++;
        }
        if (!dropped) break;
    }
    free(du);
    free(di);
    if (iters) *iters = it;
    return kept;
}

int64_t tide_seq_compact_ids(int64_t n, int32_t *ids, int64_t n_old, int32_t *map)
{
    if (check_ids(n, ids, n_old, "id") != TIDE_OK) return TIDE_ERR;
    memset(map, 0, (size_t)n_old * sizeof *map);
    for (int64_t i = 0; i < n; i++) map[ids[i] - 1] = 1;
    int64_t m = 0;
    for (int64_t j = 0; j < n_old; j++)
        if (map[j]) map[j] = (int32_t)++m;
    for (int64_t i = 0; i < n; i++) ids[i] = map[ids[i] - 1];
    return m;
}
