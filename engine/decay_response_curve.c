/* decay_response_curve.c — the data side of the response kernel: grouping an event log into
 * (user, key) pairs, and the nonparametric occurrence/exposure curve of target actions by the
 * type and age of the pair's latest interaction. The model and its fit: decay_response.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decay_response.h"
#include "error.h"

int tide_response_curve(const tide_response_data *d, int nb, const double *edges, double *count, double *expo)
{
    if (tide_response_check(d) != TIDE_OK) return TIDE_ERR;
    if (nb < 1) return tide_errorf("decay.response_curve: need at least one bin");
    for (int b = 0; b < nb; b++)
        if (!(edges[b + 1] > edges[b]) || edges[b] < 0)
            return tide_errorf("decay.response_curve: bin edges must start >= 0 and increase (edge %d)", b + 1);
    int C = d->n_types;
    memset(count, 0, sizeof(double) * C * nb);
    memset(expo, 0, sizeof(double) * C * nb);
    for (int64_t p = 0; p < d->n_pairs; p++) {
        int64_t a = d->off[p], e = d->off[p + 1];
        if (a == e) continue;
        double start = fmax(d->t0, d->time[a]);
        for (int64_t i = a; i < e; i++) {
            double ti = d->time[i], next = i + 1 < e ? d->time[i + 1] : INFINITY;
            double lo = fmax(start, ti), hi = fmin(d->t1, next);
            double *ex = expo + (int64_t)d->type[i] * nb;
            for (int b = 0; b < nb && hi > lo; b++) { /* age interval [lo-ti, hi-ti) against the bins */
                double x0 = fmax(lo - ti, edges[b]), x1 = fmin(hi - ti, edges[b + 1]);
                if (x1 > x0) ex[b] += x1 - x0;
            }
        }
        for (int64_t j = a + 1; j < e; j++) {
            double s = d->time[j];
            if (!d->target[j] || s < start || s >= d->t1) continue;
            int64_t i = j - 1;
            while (i >= a && d->time[i] >= s) i--; /* the most recent interaction strictly before */
            if (i < a) continue;
            double age = s - d->time[i];
            for (int b = 0; b < nb; b++)
                if (age >= edges[b] && age < edges[b + 1]) { count[(int64_t)d->type[i] * nb + b] += 1; break; }
        }
    }
    return TIDE_OK;
}

typedef struct { int32_t user, key; int64_t time, idx; } group_row;

static int cmp_group(const void *a, const void *b)
{
    const group_row *x = a, *y = b;
    if (x->user != y->user) return x->user < y->user ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx; /* stable: ties keep row order */
}

int tide_response_group(int64_t n, const int32_t *user, const int32_t *key, const int64_t *time,
                        int64_t *perm, int64_t *off, int64_t *n_pairs)
{
    group_row *r = malloc(sizeof *r * (size_t)(n ? n : 1));
    if (!r) return tide_errorf("decay.response_pairs: out of memory for %lld events", (long long)n);
    for (int64_t i = 0; i < n; i++) r[i] = (group_row){user[i], key[i], time[i], i};
    qsort(r, (size_t)n, sizeof *r, cmp_group);
    int64_t P = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || r[i].user != r[i - 1].user || r[i].key != r[i - 1].key) off[P++] = i;
        perm[i] = r[i].idx;
    }
    off[P] = n;
    *n_pairs = P;
    free(r);
    return TIDE_OK;
}
