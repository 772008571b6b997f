/* metrics_cls.c — binary-classification metrics (AUC with tied scores, log-loss, confusion
 * scores, expected calibration error, average precision, lift, cumulative gain) and beyond-accuracy metrics of top-K lists (coverage,
 * novelty, intra-list diversity). Contracts in metrics.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metrics.h"

typedef struct {
    float s;
    float y;
} sy_pair;

static int cmp_sy(const void *a, const void *b)
{
    float x = ((const sy_pair *)a)->s, y = ((const sy_pair *)b)->s;
    return (x > y) - (x < y);
}

/* Mann-Whitney U with mid-ranks: AUC = (Σ rank(pos) − P(P+1)/2) / (P·N) */
double tide_auc(int64_t n, const float *score, const float *y)
{
    sy_pair *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return NAN;
    for (int64_t i = 0; i < n; i++) { v[i].s = score[i]; v[i].y = y[i]; }
    qsort(v, (size_t)n, sizeof *v, cmp_sy);
    double rsum = 0, npos = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j + 1 < n && v[j + 1].s == v[i].s) j++;
        double mid = 0.5 * ((double)i + (double)j) + 1; /* 1-based mid-rank of the tie group */
        for (int64_t q = i; q <= j; q++)
            if (v[q].y > 0.5) { rsum += mid; npos++; }
        i = j + 1;
    }
    free(v);
    double nneg = (double)n - npos;
    if (npos == 0 || nneg == 0) return NAN;
    return (rsum - npos * (npos + 1) / 2) / (npos * nneg);
}

double tide_log_loss(int64_t n, const float *p, const float *y)
{
    const double eps = 1e-15;
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double q = fmin(fmax(p[i], eps), 1 - eps);
        s -= y[i] * log(q) + (1 - y[i]) * log(1 - q);
    }
    return n > 0 ? s / (double)n : NAN;
}

void tide_binary_scores(int64_t n, const float *p, const float *y, double thr, double out[8])
{
    double tp = 0, fp = 0, tn = 0, fn = 0;
    for (int64_t i = 0; i < n; i++) {
        int pred = p[i] >= thr, pos = y[i] > 0.5;
        tp += pred && pos; fp += pred && !pos; tn += !pred && !pos; fn += !pred && pos;
    }
    double prec = tp + fp > 0 ? tp / (tp + fp) : 0, rec = tp + fn > 0 ? tp / (tp + fn) : 0;
    out[0] = n > 0 ? (tp + tn) / (double)n : NAN;
    out[1] = prec;
    out[2] = rec;
    out[3] = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
    out[4] = tp; out[5] = fp; out[6] = tn; out[7] = fn;
}

double tide_ece(int64_t n, const float *p, const float *y, int nb)
{
    if (nb < 1 || n <= 0) return NAN;
    double *acc = calloc((size_t)nb * 3, sizeof(double));
    if (!acc) return NAN;
    for (int64_t i = 0; i < n; i++) {
        int b = (int)(p[i] * nb);
        b = b < 0 ? 0 : b >= nb ? nb - 1 : b; /* p = 1 goes to the last bin */
        acc[3 * b] += 1; acc[3 * b + 1] += y[i]; acc[3 * b + 2] += p[i];
    }
    double e = 0;
    for (int b = 0; b < nb; b++)
        if (acc[3 * b] > 0) e += fabs(acc[3 * b + 1] - acc[3 * b + 2]) / (double)n;
    free(acc);
    return e;
}

int tide_beyond_accuracy(int64_t B, int K, const int32_t *items, int64_t n_items, const float *pop,
                         double n_pop_users, const float *emb, int64_t d, const int32_t *cat,
                         double out[3])
{
    for (int64_t i = 0; i < B * K; i++)
        if (items[i] < -1 || items[i] >= n_items)
            return tide_errorf("beyond_accuracy: item %d outside [0, %lld)", items[i], (long long)n_items);
    uint8_t *hit = calloc((size_t)n_items, 1);
    if (!hit) return tide_errorf("beyond_accuracy: out of memory");
    double distinct = 0, nov = 0, nslots = 0, ild = 0, nlists = 0;
    for (int64_t b = 0; b < B; b++) {
        const int32_t *l = items + b * K;
        for (int q = 0; q < K; q++) {
            if (l[q] < 0) continue;
            if (!hit[l[q]]) { hit[l[q]] = 1; distinct++; }
            if (pop) { nov -= log2(fmax(pop[l[q]], 1) / n_pop_users); nslots++; }
        }
        if (!emb && !cat) continue;
        double s = 0, np = 0;
        for (int a = 0; a < K; a++)
            for (int c = a + 1; c < K; c++) {
                if (l[a] < 0 || l[c] < 0) continue;
                double dis;
                if (emb) {
                    const float *ea = emb + (int64_t)l[a] * d, *ec = emb + (int64_t)l[c] * d;
                    double dot = 0, na = 0, nc = 0;
                    for (int64_t z = 0; z < d; z++) { dot += ea[z] * ec[z]; na += ea[z] * ea[z]; nc += ec[z] * ec[z]; }
                    dis = na > 0 && nc > 0 ? 1 - dot / sqrt(na * nc) : 1;
                } else {
                    dis = cat[l[a]] != cat[l[c]];
                }
                s += dis; np++;
            }
        if (np > 0) { ild += s / np; nlists++; }
    }
    free(hit);
    out[0] = distinct / (double)n_items;
    out[1] = nslots > 0 ? nov / nslots : NAN;
    out[2] = nlists > 0 ? ild / nlists : NAN;
    return TIDE_OK;
}

/* ---- ranking of binary outcomes by a score: average precision, lift, gain ---- */

/* (score, label) pairs sorted by score ascending (callers walk them from the top), and the
 * number of positives */
static sy_pair *sorted_pairs(int64_t n, const float *score, const float *y, double *npos)
{
    sy_pair *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return NULL;
    *npos = 0;
    for (int64_t i = 0; i < n; i++) { v[i].s = score[i]; v[i].y = y[i]; *npos += y[i] > 0.5; }
    qsort(v, (size_t)n, sizeof *v, cmp_sy);
    return v;
}

/* the group of scores tied with v[i], walking down: returns its lowest index, adds positives */
static int64_t tie_group(const sy_pair *v, int64_t i, double *pos)
{
    int64_t j = i;
    while (j > 0 && v[j - 1].s == v[i].s) j--;
    for (int64_t q = j; q <= i; q++) *pos += v[q].y > 0.5;
    return j;
}

double tide_average_precision(int64_t n, const float *score, const float *y)
{
    double P, tp = 0, prev = 0, ap = 0;
    sy_pair *v = sorted_pairs(n, score, y, &P);
    if (!v) return NAN;
    for (int64_t i = n - 1; i >= 0;) {
        int64_t j = tie_group(v, i, &tp);
        double prec = tp / (double)(n - j), rec = P > 0 ? tp / P : 0;
        ap += (rec - prev) * prec;
        prev = rec;
        i = j - 1;
    }
    free(v);
    return P > 0 ? ap : NAN;
}

int tide_lift_at(int64_t n, const float *score, const float *y, double k_frac, double out[3])
{
    if (n < 1 || !(k_frac > 0 && k_frac <= 1)) return tide_errorf("lift_at: need n >= 1 and k_frac in (0, 1], got n = %lld, k_frac = %g", (long long)n, k_frac);
    double P, tp = 0, k = ceil(k_frac * (double)n - 1e-9);
    sy_pair *v = sorted_pairs(n, score, y, &P);
    if (!v) return tide_errorf("lift_at: out of memory");
    for (int64_t i = n - 1; i >= 0;) {
        double before = tp;
        int64_t j = tie_group(v, i, &tp);
        double taken = (double)(n - j);
        if (taken >= k) { /* the cut falls inside this tie group: share its positives pro rata */
            double g = (double)(i - j + 1), need = k - (double)(n - 1 - i);
            tp = before + (tp - before) * need / g;
            break;
        }
        i = j - 1;
    }
    free(v);
    out[1] = tp / k;                                /* precision in the top k */
    out[2] = P > 0 ? tp / P : NAN;                  /* share of positives captured */
    out[0] = P > 0 ? out[1] / (P / (double)n) : NAN; /* lift = precision / base rate */
    return TIDE_OK;
}

int64_t tide_gain_curve(int64_t n, const float *score, const float *y, double *frac, double *captured)
{
    double P, tp = 0;
    sy_pair *v = sorted_pairs(n, score, y, &P);
    if (!v) return tide_errorf("gain_curve: out of memory");
    int64_t m = 0;
    frac[m] = 0, captured[m++] = 0;
    for (int64_t i = n - 1; i >= 0;) {
        int64_t j = tie_group(v, i, &tp);
        frac[m] = (double)(n - j) / (double)n, captured[m++] = P > 0 ? tp / P : NAN;
        i = j - 1;
    }
    free(v);
    return m;
}
