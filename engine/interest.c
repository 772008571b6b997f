/* interest.c — decayed interest profiles (dense or sparse, θ-threshold sets), decayed item
 * popularity and category-profile scores; see interest.h. One pass over each user's events:
 * cost O(n) for all users, plus O(keys touched) to emit sparse rows. */
#include "interest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static int check_spec(const tide_interest_spec *sp)
{
    if (tide_decay_nparams(sp->fam, sp->k) < 0) return tide_errorf("interest: bad decay family");
    if (!(sp->unit > 0)) return tide_errorf("interest: unit must be > 0, got %g", sp->unit);
    return TIDE_OK;
}

static int check_keys(int64_t n, const int32_t *key, int64_t X, const int32_t *type, int n_types)
{
    for (int64_t i = 0; i < n; i++) {
        if (key[i] < 0 || key[i] >= X)
            return tide_errorf("interest: key %d at row %lld is outside [0, %lld)", key[i], (long long)i, (long long)X);
        if (type && (type[i] < 0 || type[i] >= n_types))
            return tide_errorf("interest: event type %d at row %lld is outside [0, %d)", type[i], (long long)i, n_types);
    }
    return TIDE_OK;
}

typedef struct {
    int32_t key;
    int64_t time;
    int32_t idx;
} rec;

static int cmp_rec(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

int tide_group_sort(int64_t n, const int32_t *key, const int64_t *time, int64_t G, int64_t *off, int32_t *perm)
{
    for (int64_t i = 0; i < n; i++)
        if (key[i] < 0 || key[i] >= G)
            return tide_errorf("group_sort: id %d at row %lld is outside [0, %lld)", key[i], (long long)i, (long long)G);
    if (!time) { /* by key alone: a counting sort, stable (ties by row), O(n + G) */
        memset(off, 0, (size_t)(G + 1) * sizeof(int64_t));
        for (int64_t i = 0; i < n; i++) off[key[i] + 1]++;
        for (int64_t g = 0; g < G; g++) off[g + 1] += off[g];
        for (int64_t i = 0; i < n; i++) perm[off[key[i]]++] = (int32_t)i; /* off[g] ends at group g + 1's start */
        memmove(off + 1, off, (size_t)G * sizeof(int64_t));
        off[0] = 0;
        return TIDE_OK;
    }
    rec *r = malloc((size_t)(n > 0 ? n : 1) * sizeof *r);
    if (!r) return tide_errorf("group_sort: out of memory for %lld rows", (long long)n);
    for (int64_t i = 0; i < n; i++) { r[i].key = key[i]; r[i].time = time ? time[i] : 0; r[i].idx = (int32_t)i; }
    qsort(r, (size_t)n, sizeof *r, cmp_rec);
    memset(off, 0, (size_t)(G + 1) * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) { off[r[i].key + 1]++; perm[i] = r[i].idx; }
    for (int64_t g = 0; g < G; g++) off[g + 1] += off[g];
    free(r);
    return TIDE_OK;
}

/* adds user u's decayed weights into acc (indexed by key) */
static void accumulate_user(const tide_interest_spec *sp, int64_t u, const int64_t *off, const int32_t *key,
                            const int64_t *time, const int32_t *type, int64_t at, float *acc)
{
    int P = tide_decay_nparams(sp->fam, sp->k);
    const double *th = sp->theta + (sp->per_user ? u * P : 0);
    for (int64_t e = off[u]; e < off[u + 1]; e++) {
        if (time[e] > at) continue;
        double w = sp->w ? sp->w[type ? type[e] : 0] : 1;
        if (w == 0) continue;
        acc[key[e]] += (float)(w * tide_decay_survival(sp->fam, sp->k, th, (double)(at - time[e]) / sp->unit, NULL));
    }
}

int tide_interest_dense(const tide_interest_spec *sp, const int64_t *off, const int32_t *key,
                        const int64_t *time, const int32_t *type, int64_t X, int64_t u0, int64_t B,
                        const int64_t *at, float *out)
{
    if (check_spec(sp) < 0) return TIDE_ERR;
    if (check_keys(off[u0 + B] - off[u0], key + off[u0], X, type ? type + off[u0] : NULL, sp->n_types) < 0)
        return TIDE_ERR;
    memset(out, 0, (size_t)(B * X) * sizeof(float));
    for (int64_t b = 0; b < B; b++)
        accumulate_user(sp, u0 + b, off, key, time, type, at[u0 + b], out + b * X);
    return TIDE_OK;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int tide_interest_sparse(const tide_interest_spec *sp, int64_t U, const int64_t *off, const int32_t *key,
                         const int64_t *time, const int32_t *type, int64_t X, const int64_t *at,
                         int norm, double thr, int64_t **ooff, int32_t **okey, float **oval)
{
    *ooff = NULL; *okey = NULL; *oval = NULL;
    if (check_spec(sp) < 0 || check_keys(off[U], key, X, type, sp->n_types) < 0) return TIDE_ERR;
    int64_t n = off[U];
    float *acc = calloc((size_t)X, sizeof(float));
    uint8_t *touched = calloc((size_t)X, 1);
    int32_t *keys = malloc((size_t)(X > 0 ? X : 1) * sizeof(int32_t));
    int64_t *o = malloc((size_t)(U + 1) * sizeof(int64_t));
    int32_t *ok = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    float *ov = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!acc || !touched || !keys || !o || !ok || !ov) {
        free(acc); free(touched); free(keys); free(o); free(ok); free(ov);
        return tide_errorf("interest: out of memory");
    }
    int64_t m = 0;
    o[0] = 0;
    for (int64_t u = 0; u < U; u++) {
        accumulate_user(sp, u, off, key, time, type, at[u], acc);
        int64_t nk = 0;
        for (int64_t e = off[u]; e < off[u + 1]; e++)
            if (!touched[key[e]]) { touched[key[e]] = 1; keys[nk++] = key[e]; }
        qsort(keys, (size_t)nk, sizeof(int32_t), cmp_i32);
        double tot = 0, mx = 0;
        for (int64_t q = 0; q < nk; q++) { tot += acc[keys[q]]; mx = fmax(mx, acc[keys[q]]); }
        double scale = norm == 1 ? (tot > 0 ? 1 / tot : 0) : norm == 2 ? (mx > 0 ? 1 / mx : 0) : 1;
        for (int64_t q = 0; q < nk; q++) {
            float v = (float)(acc[keys[q]] * scale);
            if (v > 0 && v >= thr) { ok[m] = keys[q]; ov[m] = v; m++; }
            acc[keys[q]] = 0;
            touched[keys[q]] = 0;
        }
        o[u + 1] = m;
    }
    free(acc); free(touched); free(keys);
    *ooff = o; *okey = ok; *oval = ov;
    return TIDE_OK;
}

int tide_item_popularity(int64_t n, const int32_t *item, const int64_t *time, const int32_t *type,
                         const float *w, int n_types, int64_t I, int64_t t_ref, double half_life,
                         double window, float *out)
{
    if (check_keys(n, item, I, w ? type : NULL, n_types) < 0) return TIDE_ERR;
    memset(out, 0, (size_t)I * sizeof(float));
    for (int64_t e = 0; e < n; e++) {
        double d = (double)(t_ref - time[e]);
        if (d < 0 || (window > 0 && d >= window)) continue;
        double v = w ? w[type ? type[e] : 0] : 1;
        if (half_life > 0) v *= exp2(-d / half_life);
        out[item[e]] += (float)v;
    }
    return TIDE_OK;
}

typedef struct {
    int64_t t;
    int64_t i;
} ti_pair;

static int cmp_ti(const void *a, const void *b)
{
    const ti_pair *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int tide_item_popularity_at(int64_t n, const int32_t *item, const int64_t *time, const int32_t *type,
                            const float *w, int n_types, int64_t I, double half_life, double window,
                            int64_t B, const int64_t *at, float *out)
{
    if (check_keys(n, item, I, w ? type : NULL, n_types) < 0) return TIDE_ERR;
    ti_pair *ev = malloc((size_t)(n > 0 ? n : 1) * sizeof *ev), *us = malloc((size_t)(B > 0 ? B : 1) * sizeof *us);
    double *run = calloc((size_t)(I > 0 ? I : 1), sizeof(double));
    if (!ev || !us || !run) { free(ev); free(us); free(run); return tide_errorf("popularity_at: out of memory"); }
    for (int64_t e = 0; e < n; e++) { ev[e].t = time[e]; ev[e].i = e; }
    for (int64_t b = 0; b < B; b++) { us[b].t = at[b]; us[b].i = b; }
    qsort(ev, (size_t)n, sizeof *ev, cmp_ti);
    qsort(us, (size_t)B, sizeof *us, cmp_ti);
    int64_t in = 0, out_ptr = 0; /* events added so far; events removed (window) so far */
    int64_t now = us[0].t;
    int have_now = 0;
    for (int64_t q = 0; q < B; q++) {
        int64_t t = us[q].t;
        if (half_life > 0 && have_now && t != now) {
            double f = exp2(-(double)(t - now) / half_life);
            for (int64_t i = 0; i < I; i++) run[i] *= f;
        }
        now = t;
        have_now = 1;
        for (; in < n && ev[in].t <= t; in++) {
            int64_t e = ev[in].i;
            double v = w ? w[type ? type[e] : 0] : 1;
            if (half_life > 0) v *= exp2(-(double)(t - time[e]) / half_life);
            run[item[e]] += v;
        }
        if (window > 0) /* drop events that left the window (t - t_e >= window) */
            for (; out_ptr < in && (double)(t - ev[out_ptr].t) >= window; out_ptr++) {
                int64_t e = ev[out_ptr].i;
                double v = w ? w[type ? type[e] : 0] : 1;
                if (half_life > 0) v *= exp2(-(double)(t - time[e]) / half_life);
                run[item[e]] -= v;
                if (run[item[e]] < 1e-9) run[item[e]] = 0; /* rounding */
            }
        float *o = out + us[q].i * I;
        for (int64_t i = 0; i < I; i++) o[i] = (float)run[i];
    }
    free(ev); free(us); free(run);
    return TIDE_OK;
}

int tide_profile_scores(int64_t B, int64_t X, const float *prof, int64_t I, const int32_t *cat,
                        const float *pop, float eps, float *out)
{
    for (int64_t i = 0; i < I; i++)
        if (cat[i] < 0 || cat[i] >= X)
            return tide_errorf("profile_scores: category %d of item %lld is outside [0, %lld)", cat[i], (long long)i, (long long)X);
    for (int64_t b = 0; b < B; b++) {
        const float *p = prof + b * X;
        float *o = out + b * I;
        for (int64_t i = 0; i < I; i++) o[i] = p[cat[i]] + (pop ? eps * pop[i] : 0);
    }
    return TIDE_OK;
}
