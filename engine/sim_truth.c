/* sim_truth.c — the simulator's ground truth as JSON next to the log: config, per-segment
 * priors and (optionally) one row per user. Written to a temporary name, fsynced, renamed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "atomic_file.h"
#include "sim_impl.h"

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void write_config(FILE *f, const tide_sim_config *c)
{
    fprintf(f, "\"config\": {\"seed\": %llu, \"users\": %lld, \"events_requested\": %lld, "
               "\"items\": %lld, \"categories\": %d, \"decay\": \"%s\", \"t_start\": %lld, "
               "\"horizon_days\": %.10g, \"join_spread\": %.10g, \"mean_pv\": %.10g,\n"
               "  \"funnel\": {\"p_click\": %.10g, \"p_cart\": %.10g, \"p_fav\": %.10g, "
               "\"p_buy\": %.10g}, \"rows_per_pv\": %.10g,\n"
               "  \"zipf_items\": %.10g, \"zipf_categories\": %.10g, \"dirichlet_conc\": %.10g, "
               "\"stick\": %.10g, \"drift_ranks_per_day\": %.10g, \"price_median\": %.10g, "
               "\"price_sigma\": %.10g, \"dwell_median\": %.10g, \"dwell_sigma\": %.10g, "
               "\"hawkes\": %s, \"churn\": %s, \"join_visit\": %s, \"sentiment\": %.10g, "
               "\"p_review\": %.10g, \"review_noise\": %.10g},\n",
            (unsigned long long)c->seed, (long long)c->n_users, (long long)c->n_events,
            (long long)c->n_items, c->n_categories, tide_sim_law_name(c->law),
            (long long)c->t_start, c->horizon, c->join_spread, c->mean_pv, c->p_click, c->p_cart,
            c->p_fav, c->p_buy, tide_sim_rows_per_pv(c), c->zipf_items, c->zipf_categories,
            c->dirichlet_conc, c->stick, c->drift, c->price_median, c->price_sigma,
            c->dwell_median, c->dwell_sigma, c->hawkes ? "true" : "false",
            c->churn ? "true" : "false", c->join_visit ? "true" : "false", c->sentiment,
            c->p_review, c->review_noise);
}

static void write_segments(FILE *f, const tide_sim_config *c)
{
    fprintf(f, "\"segments\": [\n");
    for (int i = 0; i < c->n_segments; i++) {
        const tide_sim_segment *g = &c->seg[i];
        fprintf(f, "  {\"id\": %d, \"name\": ", i + 1);
        json_str(f, g->name);
        fprintf(f, ", \"weight\": %.10g, \"decay\": \"%s\", \"rate_prior\": {\"dist\": \"gamma\", "
                   "\"shape\": %.10g, \"rate\": %.10g, \"mean\": %.10g}, \"mix_weight\": %.10g, "
                   "\"mix_ratio\": %.10g, \"power_shape\": %.10g, \"hawkes\": {\"branching_mean\": "
                   "%.10g, \"beta_mean\": %.10g, \"branching_conc\": %.10g, \"beta_shape\": %.10g, "
                   "\"branching_dist\": \"beta(conc n, conc (1-n))\", "
                   "\"beta_dist\": \"gamma(beta_shape, beta_shape/beta_mean)\"}, \"churn_prior\": {\"dist\": "
                   "\"gamma\", \"shape\": %.10g, \"rate\": %.10g}, \"react_prior\": {\"dist\": "
                   "\"gamma\", \"shape\": %.10g, \"rate\": %.10g}}%s\n",
                g->weight, tide_sim_law_name(c->law), g->rate_shape, g->rate_rate,
                g->rate_shape / g->rate_rate, g->mix_weight, g->mix_ratio, g->power_shape,
                c->hawkes ? g->branching : 0, g->beta, g->branching_conc, g->beta_shape, g->churn_shape, g->churn_rate,
                g->react_shape, g->react_rate, i + 1 < c->n_segments ? "," : "");
    }
    fprintf(f, "],\n");
}

int tide_sim_write_truth(const tide_sim *s, const char *path, int per_user,
                         const tide_sim_summary *sum)
{
    if (!path || !*path) return tide_errorf("sim: truth path is empty");
    tide_atomic_file af;
    if (tide_atomic_open(&af, path) != TIDE_OK) return TIDE_ERR;
    FILE *f = af.f;
    const tide_sim_config *c = &s->cfg;
    fprintf(f, "{\"format\": \"tide.sim.truth/1\", \"time_unit\": \"day\",\n"
               "\"columns\": [\"user_id\", \"item_id\", \"category_id\", \"behavior\", "
               "\"timestamp\", \"price\", \"dwell\"%s],\n"
               "\"notes\": \"theta uses decay.h natural parameters: exponential [rate]; mixture "
               "[w_fast, w_slow, rate_fast, rate_slow]; power [rate, a] with S=(1+rate t)^-a. "
               "churn and react include the sentiment multiplier m = e^(strength sentiment): churn / m, react * m. "
               "mu = 1/E[return gap] (the Hawkes background rate; = rate for exponential). "
               "Hawkes kernel alpha exp(-beta t), branching = alpha/beta. Hazards per day.\",\n",
            c->p_review > 0 ? ", \"rating\"" : "");
    write_config(f, c);
    if (sum)
        fprintf(f, "\"summary\": {\"rows\": %lld, \"visits\": %lld, \"users_alive_at_end\": %lld, "
                   "\"pv\": %lld, \"click\": %lld, \"cart\": %lld, \"fav\": %lld, \"buy\": %lld, "
                   "\"t_min\": %lld, \"t_max\": %lld, \"bytes\": %lld},\n",
                (long long)sum->rows, (long long)sum->visits, (long long)sum->users_alive_at_end,
                (long long)sum->by_behavior[0], (long long)sum->by_behavior[1],
                (long long)sum->by_behavior[2], (long long)sum->by_behavior[3],
                (long long)sum->by_behavior[4], (long long)sum->t_min, (long long)sum->t_max,
                (long long)sum->bytes);
    write_segments(f, c);
    fprintf(f, "\"user_columns\": [\"user_id\", \"segment\", \"rate\", \"theta\", \"mu\", "
               "\"alpha\", \"beta\", \"branching\", \"churn\", \"react\", \"visits\", "
               "\"alive_at_end\", \"top_category\", \"sentiment\"],\n\"users\": [");
    double *prob = per_user ? malloc(sizeof(double) * (size_t)c->n_categories) : NULL;
    if (per_user && !prob) {
        tide_atomic_abort(&af);
        return tide_errorf("sim: out of memory");
    }
    for (int64_t u = 0; per_user && u < c->n_users; u++) {
        tide_sim_truth t;
        int alive;
        tide_sim_user_truth(s, u, &t);
        int64_t nv = tide_sim_user_visits(s, u, NULL, NULL, 0, &alive);
        fprintf(f, "%s\n[%lld, %d, %.10g, [", u ? "," : "", (long long)u + 1, t.segment + 1, t.rate);
        for (int j = 0; j < t.n_theta; j++) fprintf(f, "%s%.10g", j ? ", " : "", t.theta[j]);
        fprintf(f, "], %.10g, %.10g, %.10g, %.10g, %.10g, %.10g, %lld, %s, %d, %.10g]", t.mu,
                t.alpha, t.beta, t.alpha / t.beta, t.churn, t.react, (long long)nv,
                alive ? "true" : "false", tide_sim_user_profile(s, u, prob) + 1, t.sentiment);
    }
    free(prob);
    fprintf(f, "]}\n");
    if (tide_atomic_commit(&af) != TIDE_OK) {
        tide_error_prefix("sim");
        return TIDE_ERR;
    }
    return TIDE_OK;
}
