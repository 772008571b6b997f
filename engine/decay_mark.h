/* decay_mark.h — which key a user acts on, given that they act: a decayed preference.
 *
 * The pair-level response kernel (decay_response.h) gives each (user, key) pair its own
 * intensity, so a user's overall activity and their choice among keys are one number. A marked
 * point process separates them (Daley & Vere-Jones 2003, §6.4): a ground intensity λ_u(t) says
 * when user u acts (the response kernel fitted per user), and a mark distribution says on
 * which key:
 *
 *     λ_{u,k}(t) = λ_u(t) · π_{u,k}(t),
 *     π_{u,k}(t) = (A_{u,k}(t) + α·p_k) / (B_u(t) + α),
 *     A_{u,k}(t) = Σ_{i in (u,k), t_i < t} w[c_i] · (e^{−β (t − t_i)} + φ),   B_u(t) = Σ_k A_{u,k}(t),
 *
 * a decayed share of the user's past interactions (type weights w, rate β, and a floor φ: the
 * lasting part of a preference, which a burst of recent interest sits on) shrunk toward the
 * population's shares p (Σ p = 1) with strength α, a Dirichlet prior that decays with the
 * evidence it is weighed against. The likelihood of the whole process factorises into the
 * ground process's and the marks' (Σ_j log π_{u_j,k_j}(t_j) over target actions j), so the mark
 * parameters are fitted alone by maximum likelihood here. Actions at one time see only what
 * came strictly before, and with a delay only what is older than it (a basket's rows, or a
 * visit's own views, do not explain its buys). w[ref] = 1 identifies
 * the scale (π is unchanged when α and every w are multiplied by one constant). */
#ifndef TIDE_DECAY_MARK_H
#define TIDE_DECAY_MARK_H

#include <stdint.h>

typedef struct {
    int64_t n_users;
    const int64_t *off;    /* [n_users + 1] offsets over events sorted by time within a user */
    const double *time;    /* [off[n]] in the fit's time unit */
    const int32_t *key;    /* [off[n]] 0..n_keys-1 */
    const int32_t *type;   /* [off[n]] 0..n_types-1 */
    const uint8_t *target; /* [off[n]] 1 = a target action (a mark to explain) */
    int n_types, ref;      /* ref: the type whose weight is fixed at 1 (the target's type) */
    int32_t n_keys;
    const double *prior;   /* [n_keys] the population shares p_k, > 0, summing to 1 */
    double t0;             /* only target actions at or after t0 enter the likelihood */
    double delay;          /* a mark at t sees the interactions with t_i + delay < t (0: strictly
                            * before t); e.g. half an hour keeps the visit's own funnel (view,
                            * cart, buy of one key in minutes) from explaining its buy */
} tide_mark_data;

/* TIDE_OK, or TIDE_ERR naming the first bad field (offsets, unsorted or non-finite times, ids out
 * of range, a prior that is not positive or does not sum to 1). */
int tide_mark_check(const tide_mark_data *d);

/* Parameters: natural par = (β, α, φ, w[0..n_types-1]) with w[ref] = 1; free parameters u =
 * (log β, log α, log φ, log w[c] for c != ref), n_types + 2 of them. */
int tide_mark_nfree(int n_types);
void tide_mark_to_free(const tide_mark_data *d, const double *par, double *u);
void tide_mark_from_free(const tide_mark_data *d, const double *u, double *par);

/* Log-likelihood at natural par; grad_free (optional) gets dℓ/du; *n_marks the number of
 * target actions in it (optional). TIDE_ERR on bad data or parameters. */
int tide_mark_loglik(const tide_mark_data *d, const double *par, double *ll, double *grad_free, int64_t *n_marks);

/* Maximum likelihood by L-BFGS from par (natural; in: the start, out: the estimate), with a weak
 * ridge (precision 1e-3) on the free parameters that keeps unidentified ones finite; *ll is the
 * log-likelihood without it, *n_marks (optional) the target actions in it. se (may be NULL)
 * gets standard errors of the natural parameters from the observed information of the free
 * ones (delta method; 0 for w[ref], NaN when singular). *status: a tide_lbfgs_status. */
int tide_mark_fit(const tide_mark_data *d, int max_iter, double *par, double *se, double *ll, int64_t *n_marks,
                  int32_t *status);

/* State at time t (events at or after t ignored), for scoring: for every (user, key) the user
 * touched before t, in user order then first-touch order: user[q], key[q] and share[q], the
 * mean of π_{u,k} over [t, t + h] as it decays with no new events (h = 0: π_{u,k}(t)) — the
 * share of the horizon's marks, where a burst of recent interest fades within it (at most
 * off[n_users] entries; *n_out their number); per user (arrays [n_users]): rows[u] =
 * Σ e^{−β(t − t_j)} over the user's target actions before t, and visits[u] the same over the
 * starts of the user's visits (runs of events with gaps <= delay; distinct times when 0):
 * their ratio is the user's recent target rows per visit. */
int tide_mark_state(const tide_mark_data *d, const double *par, double t, double h, int32_t *user, int32_t *key,
                    double *share, int64_t *n_out, double *rows, double *visits);

#endif
