/* sim.h — behaviour simulator: synthetic e-commerce logs with known ground truth.
 *
 * Generative model (per user u; every draw comes from Philox streams keyed by (seed, u), so a
 * user's output does not depend on the other users, on chunking or on threads):
 *  - segment s ~ Categorical(segment weights);
 *  - category interest profile θ_u ~ Dirichlet(conc · base), base ∝ Zipf over categories;
 *  - interest decay law (tide_sim_law, same parameterisation as decay.h): its survival curve
 *    S(t) is the law of the gap until interest brings the user back. Per-user rate
 *    λ_u ~ Gamma(shape, rate) of the segment (per day); mixture: S = w e^(−rλt) + (1−w) e^(−λt)
 *    (fast component r·λ); power: S = (1 + λt)^(−a);
 *  - return visits: a self-exciting process with renewal immigration (Wheatley, Filimonov &
 *    Sornette 2016): "immigrant" visits form a renewal process with gap survival S(t), and
 *    every visit adds α e^(−β(t − t_i)) to the intensity (exponential Hawkes kernel, simulated
 *    by Ogata 1981 thinning). For the exponential law this is exactly the Hawkes process
 *    λ(t) = μ + α Σ e^(−β(t − t_i)) with μ = λ_u (hawkes.h's parameterisation);
 *    branching n_u = α/β ~ Beta(c n̄, c (1 − n̄)) (c = branching_conc, default 20),
 *    β_u ~ Gamma(k, k/β̄) (k = beta_shape, default 4); huge c and k make them constant;
 *  - churn: lifetime ~ Exp(h_u), then dormancy ~ Exp(r_u) until reactivation (an incentive
 *    multiplies r by (1 + effect) and divides h by it; see tide_sim_future);
 *  - each visit: a category (θ_u, or the previous visit's with probability `stick` when the
 *    visit was self-excited), 1 + Geometric pv rows, a funnel pv → click → cart → fav → buy with
 *    conditional rates p_click, p_cart, p_fav, p_buy; items by Zipf rank within the category,
 *    ranks drifting (new items enter at the top, `drift` ranks per day); item prices
 *    log-normal around a per-category median; dwell log-normal (pv, click rows; 0 otherwise);
 *  - review sentiment (optional): a latent z_u ~ N(0, 1) from the user's own stream. With
 *    `sentiment` = s != 0 the reactivation hazard is multiplied and the churn hazard divided
 *    by e^(s z_u) (s = 0: no effect, the log is byte-identical). Activity while active does not
 *    reveal z_u (the decay-law rate is untouched), so reviews carry information about returns
 *    that behaviour alone does not. With p_review > 0 each buy row
 *    carries, with probability p_review, a rating round(3 + 1.5 z_u + review_noise · N(0, 1))
 *    clamped to 1..5 in an extra `rating` column (empty on other rows), drawn from a separate
 *    stream so every other field is unchanged.
 * Times inside the model are days from the log start; the CSV has epoch seconds.
 * What a fit can recover: with hawkes = 0 and churn = 0 the gaps between visits are i.i.d.
 * S(t) (the last one censored at the horizon); with self-excitation they mix S with the short
 * kernel gaps, and churn adds dormant spells. Item i (1-based) is in category (i − 1) % C + 1.
 *
 * Output CSV (header line, rows grouped by user, time-sorted within a user):
 *   user_id,item_id,category_id,behavior,timestamp,price,dwell[,rating (p_review > 0)]
 * ids are 1-based integers, behavior is pv|click|cart|fav|buy, timestamp epoch seconds,
 * price with 2 decimals, dwell integer seconds. */
#ifndef TIDE_SIM_H
#define TIDE_SIM_H

#include <stdint.h>

typedef enum { TIDE_SIM_EXP = 0, TIDE_SIM_MIXTURE = 1, TIDE_SIM_POWER = 2 } tide_sim_law;

#define TIDE_SIM_MAX_SEGMENTS 8
#define TIDE_SIM_MAX_CATEGORIES 4096

typedef struct {
    char name[24];
    double weight;                   /* relative share of users */
    double rate_shape, rate_rate;    /* Gamma(shape, rate) prior on λ_u, per day */
    double mix_weight, mix_ratio;    /* mixture: weight and rate multiple of the fast part */
    double power_shape;              /* power law exponent a (> 1 keeps the mean gap finite) */
    double branching, beta;          /* Hawkes: mean α/β and mean β (per day) */
    double branching_conc;           /* per-user α/β ~ Beta(conc·n̄, conc·(1 − n̄)) */
    double beta_shape;               /* per-user β ~ Gamma(beta_shape, beta_shape / β̄) */
    double churn_shape, churn_rate;  /* Gamma prior on the churn hazard h_u (per day) */
    double react_shape, react_rate;  /* Gamma prior on the reactivation hazard r_u (per day) */
} tide_sim_segment;

typedef struct {
    uint64_t seed;
    int64_t n_users;
    int64_t n_events;      /* target row count (matched in expectation); 0 = use mean_pv */
    int64_t n_items;
    int32_t n_categories;
    tide_sim_law law;
    int n_segments;
    tide_sim_segment seg[TIDE_SIM_MAX_SEGMENTS];
    int64_t t_start;       /* epoch seconds of day 0 */
    double horizon;        /* days observed */
    double join_spread;    /* users join uniformly on [0, join_spread · horizon) */
    double mean_pv;        /* mean pv rows per visit (>= 1) when n_events == 0 */
    double p_click, p_cart, p_fav, p_buy;
    double zipf_items, zipf_categories, dirichlet_conc, stick, drift;
    double price_median, price_sigma, dwell_median, dwell_sigma;
    int hawkes;            /* 0: no self-excitation (α = 0) */
    int churn;             /* 0: no churn (users stay active) */
    int join_visit;        /* 1: a user's first visit is at its join time (every user appears
                              in the log); 0: the process starts empty at the join time, as a
                              plain Hawkes process would (users may have no visits) */
    double sentiment;      /* strength s: reactivation × e^(s z_u), churn ÷ e^(s z_u); 0 = off */
    double p_review;       /* probability that a buy row carries a rating; 0 = no rating column */
    double review_noise;   /* sd of the rating noise around 3 + 1.5 z_u */
} tide_sim_config;

/* Defaults: 3 segments (loyal, casual, at_risk), exponential law, 90 days, 20 categories. */
void tide_sim_default_config(tide_sim_config *c);
/* "exponential"/"exp", "mixture"/"mixexp", "power" -> law; -1 + error if unknown. */
int tide_sim_law_lookup(const char *name);
const char *tide_sim_law_name(tide_sim_law law);

/* Ground truth of one user (a pure function of the config and the user). */
typedef struct {
    int32_t segment;        /* 0-based */
    double rate;            /* λ_u (per day) */
    double theta[4];        /* decay.h natural parameters: EXP (λ); POWER (λ, a);
                               MIXEXP (w_fast, w_slow, λ_fast, λ_slow) */
    int n_theta;
    double mu;              /* immigrant rate 1/E[gap] (= λ for EXP; 0 if the mean is infinite) */
    double alpha, beta;     /* Hawkes kernel α e^(−βt), per day */
    double churn, react;    /* hazards per day (0 when churn is off) */
    double sentiment;       /* latent review sentiment z_u ~ N(0, 1) (drawn whatever the config) */
} tide_sim_truth;

typedef struct tide_sim tide_sim;

/* Validates the config, builds item tables. Owned result (tide_sim_free) or NULL + error.
 * With n_events > 0 it runs a visits-only pass over all users to set mean_pv (and shrinks the
 * horizon if even one pv per visit would overshoot), so construction costs O(visits). */
tide_sim *tide_sim_new(const tide_sim_config *cfg);
void tide_sim_free(tide_sim *s);
/* The effective config (after calibration: mean_pv, horizon). */
const tide_sim_config *tide_sim_config_of(const tide_sim *s);
/* Expected rows per pv: 1 + p_click (1 + p_cart (1 + p_fav (1 + p_buy))). */
double tide_sim_rows_per_pv(const tide_sim_config *c);

void tide_sim_user_truth(const tide_sim *s, int64_t user, tide_sim_truth *t); /* user 0-based */
/* The user's category interest profile θ_u (n_categories probabilities summing to 1; the
 * category of a decay-law return visit is drawn from it). Returns the top category, 0-based. */
int tide_sim_user_profile(const tide_sim *s, int64_t user, double *prob);

/* Visit times (days) of one user over [0, horizon]; kinds[i]: 0 join, 1 immigrant (decay-law
 * return), 2 self-excited, 3 reactivation. Fills at most cap entries (times/kinds may be NULL
 * with cap 0) and returns the total count. *alive_at_end (optional) gets the churn state. */
int64_t tide_sim_user_visits(const tide_sim *s, int64_t user, double *times, int8_t *kinds,
                             int64_t cap, int *alive_at_end);

typedef struct {
    int64_t rows, visits, users_alive_at_end;
    int64_t by_behavior[5]; /* pv, click, cart, fav, buy */
    int64_t bytes;          /* uncompressed CSV bytes */
    int64_t t_min, t_max;   /* epoch seconds */
} tide_sim_summary;

/* Writes the log to path (gzip when it ends in ".gz", zlib level gz_level 1..9) through a
 * temporary file that is fsynced and renamed into place. Users are cut into blocks of
 * block_users (0 = automatic: about 64k rows per block, from n_events / n_users); `threads`
 * workers (0 = one per core, at most 8) generate and compress blocks while the caller's thread
 * writes them in order. Memory is O(threads · block size), not O(log size). The CSV bytes do
 * not depend on threads or block_users; with gzip each block is one gzip member, so the
 * compressed bytes do not depend on threads and decompress to the same CSV for any
 * block_users. Returns TIDE_OK / TIDE_ERR (message names the path). */
int tide_sim_write(const tide_sim *s, const char *path, int gz_level, int threads,
                   int64_t block_users, tide_sim_summary *sum);
/* Writes the truth JSON (config, per segment priors, and per user rows when per_user != 0;
 * sum may be NULL). Atomic. */
int tide_sim_write_truth(const tide_sim *s, const char *path, int per_user,
                         const tide_sim_summary *sum);

/* Incentive experiment: for each user (0-based ids), continue the logged history past the
 * horizon for `window` days with an independent random stream. treated[i] != 0 applies the
 * incentive: reactivation hazard × (1 + effect), churn hazard ÷ (1 + effect), from the log's
 * end. Outputs (caller-owned, n entries): returned (any visit in the window), first (days after
 * the log end of the first visit, NaN if none), visits (count in the window). Untreated users
 * get the same stream, so treated − control differences are common-random-number paired. */
int tide_sim_future(const tide_sim *s, int64_t n, const int64_t *users, const uint8_t *treated,
                    double effect, double window, uint8_t *returned, double *first, int32_t *visits);

#endif
