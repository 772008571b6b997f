/* cooc.c — item-item co-occurrence counts over users' item sets, similarity transforms and
 * sparse affinity × similarity scoring: the engine of SAR-style recommenders (Microsoft
 * Recommenders' "Smart Adaptive Recommendations": time-decayed user affinity × item
 * similarity). See interest.h for the contracts.
 *
 * Counts are built one item row at a time: for item i, walk the users holding i and add their
 * items into a dense scratch row, then emit the touched columns. Cost Σ_u |items_u|², memory
 * O(I + nnz). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "interest.h"

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    float v;
    int32_t c;
} vc;

static int cmp_vc_desc(const void *a, const void *b)
{
    const vc *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? 1 : -1;
    return (x->c > y->c) - (x->c < y->c);
}

int tide_cooc(int64_t U, const int64_t *off, const int32_t *item, int64_t I, int64_t max_nb,
              int64_t **roff, int32_t **col, float **val)
{
    *roff = NULL; *col = NULL; *val = NULL;
    int64_t n = off[U];
    for (int64_t e = 0; e < n; e++)
        if (item[e] < 0 || item[e] >= I)
            return tide_errorf("cooc: item %d at row %lld is outside [0, %lld)", item[e], (long long)e, (long long)I);
    /* deduplicated per-user item sets: uoff/uit */
    int64_t *uoff = malloc((size_t)(U + 1) * sizeof(int64_t));
    int32_t *uit = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    int64_t *ioff = calloc((size_t)(I + 1), sizeof(int64_t));
    float *acc = calloc((size_t)(I > 0 ? I : 1), sizeof(float));
    int32_t *touched = malloc((size_t)(I > 0 ? I : 1) * sizeof(int32_t));
    vc *tmp = malloc((size_t)(I > 0 ? I : 1) * sizeof(vc));
    int32_t *iu = NULL;
    int64_t *ro = malloc((size_t)(I + 1) * sizeof(int64_t));
    int64_t cap = n + I + 16, m = 0;
    int32_t *cc = malloc((size_t)cap * sizeof(int32_t));
    float *cv = malloc((size_t)cap * sizeof(float));
    int rc = TIDE_ERR;
    if (!uoff || !uit || !ioff || !acc || !touched || !tmp || !ro || !cc || !cv) goto oom;
    uoff[0] = 0;
    for (int64_t u = 0, q = 0; u < U; u++) {
        int64_t start = q;
        memcpy(uit + q, item + off[u], (size_t)(off[u + 1] - off[u]) * sizeof(int32_t));
        qsort(uit + q, (size_t)(off[u + 1] - off[u]), sizeof(int32_t), cmp_i32);
        int64_t end = q + off[u + 1] - off[u], w = start;
        for (int64_t r = start; r < end; r++)
            if (r == start || uit[r] != uit[r - 1]) uit[w++] = uit[r];
        q = w;
        uoff[u + 1] = q;
    }
    /* item -> users (transpose) */
    for (int64_t p = 0; p < uoff[U]; p++) ioff[uit[p] + 1]++;
    for (int64_t i = 0; i < I; i++) ioff[i + 1] += ioff[i];
    iu = malloc((size_t)(uoff[U] > 0 ? uoff[U] : 1) * sizeof(int32_t));
    if (!iu) goto oom;
    {
        int64_t *pos = malloc((size_t)(I > 0 ? I : 1) * sizeof(int64_t));
        if (!pos) goto oom;
        memcpy(pos, ioff, (size_t)I * sizeof(int64_t));
        for (int64_t u = 0; u < U; u++)
            for (int64_t p = uoff[u]; p < uoff[u + 1]; p++) iu[pos[uit[p]]++] = (int32_t)u;
        free(pos);
    }
    ro[0] = 0;
    for (int64_t i = 0; i < I; i++) {
        int64_t nt = 0;
        for (int64_t p = ioff[i]; p < ioff[i + 1]; p++) {
            int32_t u = iu[p];
            for (int64_t q = uoff[u]; q < uoff[u + 1]; q++) {
                int32_t j = uit[q];
                if (acc[j] == 0) touched[nt++] = j;
                acc[j] += 1;
            }
        }
        int64_t keep = nt;
        if (max_nb > 0 && nt > max_nb + 1) { /* keep the diagonal and the max_nb largest others */
            int64_t z = 0;
            for (int64_t q = 0; q < nt; q++)
                if (touched[q] != i) { tmp[z].v = acc[touched[q]]; tmp[z].c = touched[q]; z++; }
            qsort(tmp, (size_t)z, sizeof(vc), cmp_vc_desc);
            for (int64_t q = max_nb; q < z; q++) acc[tmp[q].c] = -acc[tmp[q].c]; /* mark dropped */
            keep = max_nb + 1;
        }
        if (m + keep > cap) {
            cap = (m + keep) * 2;
            int32_t *nc = realloc(cc, (size_t)cap * sizeof(int32_t));
            if (!nc) goto oom;
            cc = nc;
            float *nv = realloc(cv, (size_t)cap * sizeof(float));
            if (!nv) goto oom;
            cv = nv;
        }
        qsort(touched, (size_t)nt, sizeof(int32_t), cmp_i32);
        for (int64_t q = 0; q < nt; q++) {
            int32_t j = touched[q];
            if (acc[j] > 0) { cc[m] = j; cv[m] = acc[j]; m++; }
            acc[j] = 0;
        }
        ro[i + 1] = m;
    }
    *roff = ro; *col = cc; *val = cv;
    ro = NULL; cc = NULL; cv = NULL;
    rc = TIDE_OK;
oom:
    if (rc != TIDE_OK) tide_errorf("cooc: out of memory (%lld users, %lld items)", (long long)U, (long long)I);
    free(uoff); free(uit); free(ioff); free(acc); free(touched); free(tmp); free(iu);
    free(ro); free(cc); free(cv);
    return rc;
}

int tide_cooc_similarity(int64_t I, const int64_t *roff, const int32_t *col, float *val, int kind, int drop_diag)
{
    if (kind < 0 || kind > 3) return tide_errorf("cooc_similarity: kind must be 0..3, got %d", kind);
    float *diag = calloc((size_t)(I > 0 ? I : 1), sizeof(float));
    if (!diag) return tide_errorf("cooc_similarity: out of memory");
    for (int64_t i = 0; i < I; i++)
        for (int64_t p = roff[i]; p < roff[i + 1]; p++)
            if (col[p] == i) diag[i] = val[p];
    for (int64_t i = 0; i < I; i++)
        for (int64_t p = roff[i]; p < roff[i + 1]; p++) {
            int32_t j = col[p];
            double c = val[p], a = diag[i], b = diag[j], s = c;
            if (kind == 1) s = a + b - c > 0 ? c / (a + b - c) : 0;
            else if (kind == 2) s = a > 0 && b > 0 ? c / (a * b) : 0;
            else if (kind == 3) s = a > 0 && b > 0 ? c / sqrt(a * b) : 0;
            val[p] = (float)s;
        }
    if (drop_diag)
        for (int64_t i = 0; i < I; i++)
            for (int64_t p = roff[i]; p < roff[i + 1]; p++)
                if (col[p] == i) val[p] = 0;
    free(diag);
    return TIDE_OK;
}

int tide_sparse_scores(int64_t B, const int64_t *aoff, const int32_t *acol, const float *aval, int64_t I,
                       const int64_t *soff, const int32_t *scol, const float *sval, float *out, int64_t ld)
{
    for (int64_t b = 0; b < B; b++) {
        float *o = out + b * ld;
        memset(o, 0, (size_t)I * sizeof(float));
        for (int64_t p = aoff[b]; p < aoff[b + 1]; p++) {
            int32_t i = acol[p];
            if (i < 0 || i >= I)
                return tide_errorf("sparse_scores: item %d of row %lld is outside [0, %lld)", i, (long long)b, (long long)I);
            float a = aval[p];
            for (int64_t q = soff[i]; q < soff[i + 1]; q++) o[scol[q]] += a * sval[q];
        }
    }
    return TIDE_OK;
}
