/* rfm.h — per-user and per-(user, category) behaviour features over CSR sequences.
 *
 * Input rows are in CSR order (tide_seq_order): user u (0-based here) owns rows
 * off[u] .. off[u+1]-1, time-sorted. `now` is the reference time (features must be computed
 * from training rows only; the caller passes the training table and its cut time). Times are
 * epoch seconds; durations come out in days. Undefined values (no gap for a single event, no
 * dwell) are 0, so downstream encoders never see NaN; counts tell them apart.
 * Event codes are 1..5 (browse, click, cart, fav, buy). price/dwell/category may be NULL.
 * (Named rfm.h, not features.h: under -Iengine that name would shadow glibc's <features.h>.) */
#ifndef TIDE_RFM_H
#define TIDE_RFM_H

#include <stdint.h>

enum {
    TIDE_FU_RECENCY = 0,  /* days since the last event */
    TIDE_FU_TENURE,       /* days since the first event */
    TIDE_FU_FREQUENCY,    /* number of events */
    TIDE_FU_BUYS,         /* number of buy events */
    TIDE_FU_MONETARY,     /* sum of price over buy events */
    TIDE_FU_AVG_PRICE,    /* mean price over events with a price */
    TIDE_FU_ACTIVE_DAYS,  /* distinct UTC days with an event */
    TIDE_FU_DWELL_MEAN,   /* mean dwell (seconds) over rows with dwell > 0 */
    TIDE_FU_DWELL_TOTAL,  /* total dwell seconds */
    TIDE_FU_GAP_MEAN,     /* inter-event gap statistics, days */
    TIDE_FU_GAP_STD,
    TIDE_FU_GAP_MIN,
    TIDE_FU_GAP_MAX,
    TIDE_FU_MIX_BROWSE,   /* event-type mix: share of each code */
    TIDE_FU_MIX_CLICK,
    TIDE_FU_MIX_CART,
    TIDE_FU_MIX_FAV,
    TIDE_FU_MIX_BUY,
    TIDE_FU_N_CATEGORIES, /* distinct categories */
    TIDE_FU_TOP_SHARE,    /* share of events in the user's most frequent category */
    TIDE_FU_CAT_ENTROPY,  /* entropy (nats) of the user's category distribution */
    TIDE_FU_N
};
extern const char *const tide_fu_names[TIDE_FU_N];

/* out: [n_users, TIDE_FU_N] row-major. Returns TIDE_OK or TIDE_ERR (bad category ids / OOM). */
int tide_features_user(int64_t n_users, const int64_t *off, const int64_t *time, const int32_t *event,
                       const float *price, const float *dwell, const int32_t *category,
                       int64_t n_categories, int64_t now, float *out);

enum {
    TIDE_FC_RECENCY = 0, /* days since the user's last event in the category */
    TIDE_FC_FREQUENCY,   /* events in the category */
    TIDE_FC_BUYS,
    TIDE_FC_MONETARY,    /* price sum over buys in the category */
    TIDE_FC_DWELL,       /* total dwell seconds in the category */
    TIDE_FC_AFFINITY,    /* frequency / user's events */
    TIDE_FC_N
};
extern const char *const tide_fc_names[TIDE_FC_N];

/* Sparse per-(user, category) rows, users ascending then categories ascending: writes up to
 * n (= off[n_users]) entries into user_out/cat_out (1-based ids) and vals [n, TIDE_FC_N];
 * returns the number of pairs or TIDE_ERR. */
int64_t tide_features_user_cat(int64_t n_users, const int64_t *off, const int64_t *time,
                               const int32_t *event, const float *price, const float *dwell,
                               const int32_t *category, int64_t n_categories, int64_t now,
                               int32_t *user_out, int32_t *cat_out, float *vals);

#endif
