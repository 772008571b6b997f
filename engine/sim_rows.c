/* sim_rows.c — turns one user's simulated visits into CSV rows: category choice, 1 +
 * Geometric pv per visit, the pv -> click -> cart -> fav -> buy funnel, Zipf items with rank
 * drift, prices and dwell times, formatted without printf. */
#include <stdlib.h>
#include <string.h>

#include "sim_impl.h"

static const char *behavior_names[5] = {"pv", "click", "cart", "fav", "buy"};

int sim_buf_reserve(sim_buf *b, size_t need)
{
    if (b->cap - b->len >= need) return 1;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap - b->len < need) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->data = p, b->cap = cap;
    return 1;
}

/* ---- number formatting ---- */
/* Two digits per division: "00".."99" */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 24;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        tmp[--n] = digits2[d + 1];
        tmp[--n] = digits2[d];
    }
    if (v >= 10) {
        tmp[--n] = digits2[v * 2 + 1];
        tmp[--n] = digits2[v * 2];
    } else {
        tmp[--n] = (char)('0' + v);
    }
    memcpy(p, tmp + n, (size_t)(24 - n));
    return p + (24 - n);
}

static inline char *put_cents(char *p, int32_t c)
{
    p = put_u64(p, (uint64_t)(c / 100));
    *p++ = '.';
    *p++ = (char)('0' + c / 10 % 10);
    *p++ = (char)('0' + c % 10);
    return p;
}

typedef struct {
    uint64_t user;
    int64_t item; /* 0-based */
    int cat;      /* 0-based */
} row_key;

/* rating: -1 no rating column, 0 an empty rating field, 1..5 a review on this row */
static inline void put_row(sim_buf *o, const tide_sim *s, const row_key *k, int beh, int64_t ts,
                           int64_t dwell, int rating, tide_sim_summary *sum)
{
    if (!sim_buf_reserve(o, 128)) return;
    char *p = o->data + o->len, *p0 = p;
    p = put_u64(p, k->user);
    *p++ = ',';
    p = put_u64(p, (uint64_t)k->item + 1);
    *p++ = ',';
    p = put_u64(p, (uint64_t)k->cat + 1);
    *p++ = ',';
    const char *b = behavior_names[beh];
    while (*b) *p++ = *b++;
    *p++ = ',';
    p = put_u64(p, (uint64_t)ts);
    *p++ = ',';
    p = put_cents(p, s->price_cents[k->item]);
    *p++ = ',';
    p = put_u64(p, (uint64_t)dwell);
    if (rating >= 0) {
        *p++ = ',';
        if (rating > 0) *p++ = (char)('0' + rating);
    }
    *p++ = '\n';
    o->len += (size_t)(p - p0);
    sum->rows++;
    sum->by_behavior[beh]++;
    if (ts < sum->t_min) sum->t_min = ts;
    if (ts > sum->t_max) sum->t_max = ts;
}

static int64_t draw_dwell(sim_rng *r, double median, double sigma)
{
    double d = median * exp(sigma * sim_normal(r));
    return d < 1 ? 1 : d > 3600 ? 3600 : (int64_t)llround(d);
}

/* The rating of a buy row (0: not reviewed), from the user's review stream. */
static int draw_rating(const tide_sim_config *c, sim_rng *rv, double z)
{
    if (sim_unif(rv) >= c->p_review) return 0;
    long r = lround(3 + 1.5 * z + c->review_noise * sim_normal(rv));
    return r < 1 ? 1 : r > 5 ? 5 : (int)r;
}

static int pick_category(const double *cum, int C, double u)
{
    int lo = 0, hi = C - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* First k with cdf[k] > u, found from the guide table's start: the same answer as a
 * binary search, in about one comparison on average. */
static inline int64_t pick_rank(const double *cdf, const int32_t *guide, int64_t n, double u)
{
    int64_t k = guide[(int64_t)(u * (double)n)];
    while (k < n - 1 && cdf[k] <= u) k++;
    return k;
}

/* All rows of one user: its visits, and within each visit 1 + Geometric pv rows, each
 * followed down the funnel. Seconds inside a visit advance with dwell and short pauses. */
void sim_emit_user(const tide_sim *s, int64_t u, double *cum, sim_buf *o, tide_sim_summary *sum)
{
    const tide_sim_config *c = &s->cfg;
    tide_sim_truth tr;
    sim_user_profile(s, u, &tr, cum);
    sim_proc p;
    sim_rng vr, rr;
    sim_proc_init(s, u, &p, &vr);
    sim_rng_init(&rr, c->seed, (uint64_t)u, SIM_STREAM_ROWS);
    sim_rng rv; /* reviews: their own stream, so the rows are the same with or without them */
    sim_rng_init(&rv, c->seed, (uint64_t)u, SIM_STREAM_REVIEW);
    const int rcol = c->p_review > 0 ? 0 : -1;
    const int C = c->n_categories;
    const int64_t rem = c->n_items % C;
    const double log_q = c->mean_pv > 1 ? log(1 - 1 / c->mean_pv) : 0;
    int prev_cat = -1;
    int64_t last = INT64_MIN;
    double t;
    int kind;
    row_key k = {(uint64_t)u + 1, 0, 0};
    while (sim_proc_next(&p, &vr, c->horizon, &t, &kind)) {
        sum->visits++;
        double us = sim_unif(&rr);
        k.cat = kind == 2 && prev_cat >= 0 && us < c->stick ? prev_cat
                                                            : pick_category(cum, C, sim_unif(&rr));
        prev_cat = k.cat;
        int64_t n_c = s->n_lo + (k.cat < rem);
        const double *cdf = k.cat < rem ? s->cdf_hi : s->cdf_lo;
        const int32_t *guide = k.cat < rem ? s->guide_hi : s->guide_lo;
        int64_t shift = (int64_t)floor(c->drift * t) % n_c;
        int64_t extra = 0;
        if (log_q < 0) {
            double e = floor(log(sim_unif(&rr)) / log_q);
            extra = e > 1e5 ? 100000 : (int64_t)e;
        }
        int64_t ts = c->t_start + (int64_t)floor(t * 86400.0);
        if (ts <= last) ts = last + 1; /* a visit never starts before the previous one ends */
        for (int64_t v = 0; v <= extra; v++) {
            int64_t rank = pick_rank(cdf, guide, n_c, sim_unif(&rr));
            k.item = ((rank + n_c - shift) % n_c) * C + k.cat;
            int64_t dw = draw_dwell(&rr, c->dwell_median, c->dwell_sigma);
            put_row(o, s, &k, 0, ts, dw, rcol, sum);
            ts += dw;
            if (sim_unif(&rr) < c->p_click) {
                int64_t dc = draw_dwell(&rr, 2 * c->dwell_median, c->dwell_sigma);
                put_row(o, s, &k, 1, ts, dc, rcol, sum);
                ts += dc;
                for (int b = 2; b <= 4; b++) {
                    double pb = b == 2 ? c->p_cart : b == 3 ? c->p_fav : c->p_buy;
                    if (sim_unif(&rr) >= pb) break;
                    ts += 2 + (int64_t)sim_exp(&rr, 1.0 / 20);
                    put_row(o, s, &k, b, ts, 0, b == 4 && rcol == 0 ? draw_rating(c, &rv, tr.sentiment) : rcol, sum);
                }
            }
            last = ts;
            ts += 1 + (int64_t)sim_exp(&rr, 1.0 / 15);
        }
    }
    if (p.alive) sum->users_alive_at_end++;
}
