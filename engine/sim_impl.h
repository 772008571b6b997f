/* sim_impl.h — internals shared by sim.c (model, visits) and sim_write.c (rows, files).
 * Not a public header. */
#ifndef TIDE_SIM_IMPL_H
#define TIDE_SIM_IMPL_H

#include <math.h>
#include <stdint.h>

#include "rng.h"
#include "sim.h"

struct tide_sim {
    tide_sim_config cfg;
    double cat_base[TIDE_SIM_MAX_CATEGORIES]; /* Dirichlet concentration per category */
    /* Item i (0-based) is in category i % C at local index i / C, so categories hold n_lo or
     * n_lo + 1 items: two Zipf CDFs cover them all. */
    int64_t n_lo;
    double *cdf_lo, *cdf_hi; /* [n_lo], [n_lo + 1] */
    int32_t *guide_lo, *guide_hi; /* guide tables for inversion (Chen & Asau 1974), same sizes */
    int32_t *price_cents;    /* [n_items] */
};

/* A buffered Philox stream: word n is word n % 4 of block n / 4 of key `key`, the same
 * layout as tide_rng, but one block computation per four words. */
typedef struct {
    uint64_t key, block;
    uint32_t buf[4];
    int idx;
    int has_spare;  /* Box-Muller makes normals in pairs: the second waits here */
    double spare;
} sim_rng;

/* Independent streams of one user. */
enum { SIM_STREAM_TRUTH = 0, SIM_STREAM_VISITS = 1, SIM_STREAM_ROWS = 2, SIM_STREAM_FUTURE = 3,
       SIM_STREAM_ITEM = 4, SIM_STREAM_SENTIMENT = 5, SIM_STREAM_REVIEW = 6 };

static inline void sim_rng_init(sim_rng *r, uint64_t seed, uint64_t id, int stream)
{
    uint32_t w[4];
    tide_philox(seed, id * 8u + (uint64_t)stream, w);
    r->key = (uint64_t)w[0] | ((uint64_t)w[1] << 32);
    r->block = 0;
    r->idx = 4;
    r->has_spare = 0;
}

static inline uint32_t sim_u32(sim_rng *r)
{
    if (r->idx == 4) {
        tide_philox(r->key, r->block++, r->buf);
        r->idx = 0;
    }
    return r->buf[r->idx++];
}

/* Uniform on (0, 1): 53 bits, offset by half a step so log() never sees 0. */
static inline double sim_unif(sim_rng *r)
{
    uint64_t a = sim_u32(r) >> 5, b = sim_u32(r) >> 6;
    return ((double)((a << 26) | b) + 0.5) * (1.0 / 9007199254740992.0);
}

static inline double sim_exp(sim_rng *r, double rate) { return -log(sim_unif(r)) / rate; }

static inline double sim_normal(sim_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = sim_unif(r), u2 = sim_unif(r);
    double rad = sqrt(-2.0 * log(u1)), s, c;
    sincos(2.0 * M_PI * u2, &s, &c);
    r->spare = rad * s;
    r->has_spare = 1;
    return rad * c;
}

double sim_gamma(sim_rng *r, double shape, double rate);

/* The visit process of one user: renewal immigration + exponential self-excitation + churn.
 * All times in days. */
typedef struct {
    tide_sim_law law;
    tide_sim_truth tr;
    double t, excite;          /* current time, Σ α e^(−β(t − t_i)) at t */
    double next_imm, churn_at, react_at;
    int alive;
    int started, join_visit;
    int64_t n_visits;          /* stops at SIM_MAX_VISITS: a guard against absurd rates */
    double join;
} sim_proc;

#define SIM_MAX_VISITS 10000000
void sim_proc_init(const tide_sim *s, int64_t user, sim_proc *p, sim_rng *visits_rng);
/* Next visit before t_end: returns 1 and sets *t / *kind; or 0 with the state moved to t_end. */
int sim_proc_next(sim_proc *p, sim_rng *r, double t_end, double *t, int *kind);

/* A growable text buffer; oom is set (and the append dropped) when realloc fails. */
typedef struct {
    char *data;
    size_t len, cap;
    int oom;
} sim_buf;

int sim_buf_reserve(sim_buf *b, size_t need);
/* Appends all rows of user u (0-based) to o and counts them into sum; cum is scratch of
 * n_categories doubles. */
void sim_emit_user(const tide_sim *s, int64_t u, double *cum, sim_buf *o, tide_sim_summary *sum);

/* Truth plus the cumulative interest profile cum[C] (Dirichlet draw) of one user. */
void sim_user_profile(const tide_sim *s, int64_t user, tide_sim_truth *t, double *cum);

/* Zipf CDF of n ranks with exponent s (caller frees) */
double *sim_zipf_cdf(int64_t n, double s);
/* Guide table of a CDF: g[i] = first k with cdf[k] > i / n (caller frees). */
int32_t *sim_guide_table(const double *cdf, int64_t n);

#endif
