/* rfm.c — RFM-style per-user and per-(user, category) features (see rfm.h).
 *
 * One pass per user over its time-sorted rows. Category statistics use a dense scratch array
 * indexed by category plus a list of the categories touched, so each user costs O(rows)
 * whatever the number of categories, and the scratch is reset only where it was written. */
#include "rfm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

const char *const tide_fu_names[TIDE_FU_N] = {
    "recency", "tenure", "frequency", "buys", "monetary", "avg_price", "active_days",
    "dwell_mean", "dwell_total", "gap_mean", "gap_std", "gap_min", "gap_max", "mix_browse",
    "mix_click", "mix_cart", "mix_fav", "mix_buy", "n_categories", "top_share", "cat_entropy"};

const char *const tide_fc_names[TIDE_FC_N] = {"recency", "frequency", "buys", "monetary", "dwell", "affinity"};

static const double DAY = 86400.0;

static int64_t floor_day(int64_t t) { return t >= 0 ? t / 86400 : -((-t + 86399) / 86400); }

static int check_cats(int64_t n, const int32_t *cat, int64_t nc)
{
    for (int64_t i = 0; i < n; i++)
        if (cat[i] < 1 || cat[i] > nc)
            return tide_errorf("features: category id %d at row %lld outside 1..%lld", cat[i],
                               (long long)i + 1, (long long)nc);
    return TIDE_OK;
}

int tide_features_user(int64_t n_users, const int64_t *off, const int64_t *time, const int32_t *event,
                       const float *price, const float *dwell, const int32_t *category,
                       int64_t n_categories, int64_t now, float *out)
{
    int64_t n = off[n_users];
    int64_t *ccount = NULL;
    int32_t *touched = NULL;
    if (category) {
        if (check_cats(n, category, n_categories) != TIDE_OK) return TIDE_ERR;
        ccount = calloc((size_t)n_categories + 1, sizeof *ccount);
        touched = malloc(((size_t)n_categories + 1) * sizeof *touched);
        if (!ccount || !touched) {
            free(ccount);
            free(touched);
            return tide_errorf("features: out of memory");
        }
    }
    for (int64_t u = 0; u < n_users; u++) {
        float *o = out + u * TIDE_FU_N;
        memset(o, 0, TIDE_FU_N * sizeof *o);
        int64_t a = off[u], b = off[u + 1], m = b - a;
        if (m == 0) continue;
        o[TIDE_FU_RECENCY] = (float)((double)(now - time[b - 1]) / DAY);
        o[TIDE_FU_TENURE] = (float)((double)(now - time[a]) / DAY);
        o[TIDE_FU_FREQUENCY] = (float)m;
        double money = 0, psum = 0, dsum = 0, gsum = 0, gsq = 0, gmin = HUGE_VAL, gmax = 0;
        int64_t pn = 0, dn = 0, buys = 0, days = 0, lastday = INT64_MIN, mix[6] = {0};
        for (int64_t i = a; i < b; i++) {
            int e = event[i] >= 1 && event[i] <= 5 ? event[i] : 0;
            mix[e]++;
            if (e == 5) buys++;
            if (price && price[i] == price[i]) {
                psum += price[i];
                pn++;
                if (e == 5) money += price[i];
            }
            if (dwell && dwell[i] > 0) {
                dsum += dwell[i];
                dn++;
            }
            int64_t d = floor_day(time[i]);
            if (d != lastday) { days++; lastday = d; } /* rows are time-sorted */
            if (i > a) {
                double g = (double)(time[i] - time[i - 1]) / DAY;
                gsum += g;
                gsq += g * g;
                if (g < gmin) gmin = g;
                if (g > gmax) gmax = g;
            }
        }
        o[TIDE_FU_BUYS] = (float)buys;
        o[TIDE_FU_MONETARY] = (float)money;
        o[TIDE_FU_AVG_PRICE] = pn ? (float)(psum / (double)pn) : 0;
        o[TIDE_FU_ACTIVE_DAYS] = (float)days;
        o[TIDE_FU_DWELL_MEAN] = dn ? (float)(dsum / (double)dn) : 0;
        o[TIDE_FU_DWELL_TOTAL] = (float)dsum;
        if (m > 1) {
            double k = (double)(m - 1), mean = gsum / k, var = gsq / k - mean * mean;
            o[TIDE_FU_GAP_MEAN] = (float)mean;
            o[TIDE_FU_GAP_STD] = (float)sqrt(var > 0 ? var : 0); /* population std */
            o[TIDE_FU_GAP_MIN] = (float)gmin;
            o[TIDE_FU_GAP_MAX] = (float)gmax;
        }
        for (int e = 1; e <= 5; e++) o[TIDE_FU_MIX_BROWSE + e - 1] = (float)((double)mix[e] / (double)m);
        if (category) {
            int64_t nt = 0, top = 0;
            for (int64_t i = a; i < b; i++)
                if (ccount[category[i]]++ == 0) touched[nt++] = category[i];
            double ent = 0;
            for (int64_t k = 0; k < nt; k++) {
                int64_t c = ccount[touched[k]];
                if (c > top) top = c;
                double p = (double)c / (double)m;
                ent -= p * log(p);
                ccount[touched[k]] = 0;
            }
            o[TIDE_FU_N_CATEGORIES] = (float)nt;
            o[TIDE_FU_TOP_SHARE] = (float)((double)top / (double)m);
            o[TIDE_FU_CAT_ENTROPY] = (float)ent;
        }
    }
    free(ccount);
    free(touched);
    return TIDE_OK;
}

typedef struct {
    int64_t count, buys, last;
    double money, dwell;
} cat_acc;

static int cmp_i32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

int64_t tide_features_user_cat(int64_t n_users, const int64_t *off, const int64_t *time,
                               const int32_t *event, const float *price, const float *dwell,
                               const int32_t *category, int64_t n_categories, int64_t now,
                               int32_t *user_out, int32_t *cat_out, float *vals)
{
    int64_t n = off[n_users];
    if (check_cats(n, category, n_categories) != TIDE_OK) return TIDE_ERR;
    cat_acc *acc = calloc((size_t)n_categories + 1, sizeof *acc);
    int32_t *touched = malloc(((size_t)n_categories + 1) * sizeof *touched);
    if (!acc || !touched) {
        free(acc);
        free(touched);
        return tide_errorf("features: out of memory");
    }
    int64_t np = 0;
    for (int64_t u = 0; u < n_users; u++) {
        int64_t a = off[u], b = off[u + 1], nt = 0;
        for (int64_t i = a; i < b; i++) {
            cat_acc *c = &acc[category[i]];
            if (c->count++ == 0) touched[nt++] = category[i];
            if (event[i] == 5) {
                c->buys++;
                if (price && price[i] == price[i]) c->money += price[i];
            }
            if (dwell && dwell[i] > 0) c->dwell += dwell[i];
            c->last = time[i]; /* time-sorted: the last write is the latest */
        }
        qsort(touched, (size_t)nt, sizeof *touched, cmp_i32);
        for (int64_t k = 0; k < nt; k++) {
            cat_acc *c = &acc[touched[k]];
            float *v = vals + np * TIDE_FC_N;
            user_out[np] = (int32_t)(u + 1);
            cat_out[np] = touched[k];
            v[TIDE_FC_RECENCY] = (float)((double)(now - c->last) / DAY);
            v[TIDE_FC_FREQUENCY] = (float)c->count;
            v[TIDE_FC_BUYS] = (float)c->buys;
            v[TIDE_FC_MONETARY] = (float)c->money;
            v[TIDE_FC_DWELL] = (float)c->dwell;
            v[TIDE_FC_AFFINITY] = (float)((double)c->count / (double)(b - a));
            np++;
            memset(c, 0, sizeof *c);
        }
    }
    free(acc);
    free(touched);
    return np;
}
