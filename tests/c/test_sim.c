/* test_sim.c — the behaviour simulator against its own ground truth, with every expectation
 * computed here in closed form: determinism (bytes independent of the buffer size), row
 * counts, the exponential-rate MLE from simulated gaps, first-gap survival of the power and
 * mixture laws, Hawkes counts against the transient mean of a Hawkes process, funnel rates,
 * reactivation under incentives, review sentiment (hazard multipliers, noiseless ratings),
 * gzip round trip, bad configs and paths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "error.h"
#include "sim.h"

static char dir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tide_test_sim_%ld", (long)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    return system(cmd);
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static char *path_of(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) & 3;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* whole file, plain or gzip-decoded (gzread passes plain files through) */
static char *slurp(const char *path, size_t *n)
{
    *n = 0;
    gzFile g = gzopen(path, "rb");
    if (!g) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    int r;
    while ((r = gzread(g, b + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)r;
        if (len == cap) b = realloc(b, cap *= 2);
    }
    gzclose(g);
    *n = len;
    return b;
}

static char *slurp_raw(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long m = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)m + 1);
    *n = fread(b, 1, (size_t)m, f);
    fclose(f);
    return b;
}

static tide_sim *make(tide_sim_config *c)
{
    tide_sim *s = tide_sim_new(c);
    if (!s) fail_msg("tide_sim_new: %s", tide_error());
    return s;
}

/* ---- determinism ----
 * CSV bytes: identical for any thread count and block size, and for a fresh simulator.
 * gzip bytes: identical for any thread count; any block size decompresses to the same CSV. */
static void test_determinism(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 400, c.n_events = 20000, c.seed = 7;
    tide_sim *s = make(&c);
    tide_sim_summary a, b;
    assert_int_equal(tide_sim_write(s, path_of("a.csv"), 1, 1, 7, &a), TIDE_OK);
    assert_int_equal(tide_sim_write(s, path_of("b.csv"), 1, 3, 0, &b), TIDE_OK);
    assert_int_equal(tide_sim_write(s, path_of("e.csv"), 1, 2, 1000, NULL), TIDE_OK);
    assert_int_equal(tide_sim_write(s, path_of("a.csv.gz"), 6, 1, 0, NULL), TIDE_OK);
    assert_int_equal(tide_sim_write(s, path_of("b.csv.gz"), 6, 4, 0, NULL), TIDE_OK);
    assert_int_equal(tide_sim_write(s, path_of("e.csv.gz"), 6, 2, 13, NULL), TIDE_OK);
    tide_sim_free(s);
    tide_sim *s2 = make(&c); /* a fresh simulator with the same seed */
    assert_int_equal(tide_sim_write(s2, path_of("c.csv"), 1, 2, 0, NULL), TIDE_OK);
    tide_sim_free(s2);
    c.seed = 8;
    tide_sim *s3 = make(&c);
    assert_int_equal(tide_sim_write(s3, path_of("d.csv"), 1, 2, 0, NULL), TIDE_OK);
    tide_sim_free(s3);

    size_t na, nb, nc, nd, ne, nga, ngb, nge, rga, rgb;
    char *fa = slurp_raw(path_of("a.csv"), &na), *fb = slurp_raw(path_of("b.csv"), &nb);
    char *fc = slurp_raw(path_of("c.csv"), &nc), *fd = slurp_raw(path_of("d.csv"), &nd);
    char *fe = slurp_raw(path_of("e.csv"), &ne);
    char *ga = slurp(path_of("a.csv.gz"), &nga), *gb = slurp(path_of("b.csv.gz"), &ngb);
    char *ge = slurp(path_of("e.csv.gz"), &nge);
    char *za = slurp_raw(path_of("a.csv.gz"), &rga), *zb = slurp_raw(path_of("b.csv.gz"), &rgb);
    assert_true(na == nb && !memcmp(fa, fb, na));
    assert_true(na == ne && !memcmp(fa, fe, na));
    assert_true(na == nc && !memcmp(fa, fc, na));
    assert_true(nd != na || memcmp(fa, fd, na) != 0);
    assert_true(nga == na && !memcmp(ga, fa, na)); /* gzip reads back to the plain bytes */
    assert_true(ngb == na && !memcmp(gb, fa, na));
    assert_true(nge == na && !memcmp(ge, fa, na)); /* many small gzip members */
    assert_true(rga == rgb && !memcmp(za, zb, rga)); /* compressed bytes too */
    assert_true(rga < na / 2);
    assert_int_equal((int64_t)na, a.bytes);
    assert_memory_equal(&a, &b, sizeof a); /* summaries agree across thread counts */
    free(fa), free(fb), free(fc), free(fd), free(fe), free(ga), free(gb), free(ge), free(za);
    free(zb);
}

/* ---- counts and format ---- */
static void test_counts_and_format(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 300, c.n_events = 30000, c.seed = 3;
    tide_sim *s = make(&c);
    tide_sim_summary sum;
    assert_int_equal(tide_sim_write(s, path_of("f.csv"), 1, 0, 0, &sum), TIDE_OK);
    size_t n;
    char *f = slurp_raw(path_of("f.csv"), &n);
    f[n] = 0;
    const char *hdr = "user_id,item_id,category_id,behavior,timestamp,price,dwell\n";
    assert_memory_equal(f, hdr, strlen(hdr));
    char *line = f + strlen(hdr), *save;
    int64_t rows = 0, prev_user = 0, prev_ts = 0, users_seen = 0;
    int64_t by[5] = {0};
    const char *names[5] = {"pv", "click", "cart", "fav", "buy"};
    for (char *l = strtok_r(line, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long long u, item, cat, ts, dwell;
        char beh[8];
        double price;
        assert_int_equal(sscanf(l, "%lld,%lld,%lld,%7[a-z],%lld,%lf,%lld", &u, &item, &cat, beh,
                                &ts, &price, &dwell), 7);
        assert_true(u >= 1 && u <= c.n_users && u >= prev_user);
        if (u != prev_user) users_seen++, prev_ts = 0;
        assert_true(ts >= prev_ts); /* time-sorted within a user */
        assert_true(item >= 1 && item <= c.n_items);
        assert_int_equal((item - 1) % c.n_categories + 1, cat); /* item layout */
        assert_true(price > 0 && dwell >= 0 && dwell <= 3600);
        assert_true(ts >= c.t_start && ts <= c.t_start + (int64_t)(c.horizon * 86400) + 86400);
        int k = -1;
        for (int j = 0; j < 5; j++)
            if (!strcmp(beh, names[j])) k = j;
        assert_true(k >= 0);
        assert_true(k <= 1 ? dwell >= 1 : dwell == 0); /* dwell on pv and click rows only */
        by[k]++;
        prev_user = u, prev_ts = ts, rows++;
    }
    assert_int_equal(rows, sum.rows);
    assert_int_equal(users_seen, c.n_users); /* every user joins with a visit */
    for (int j = 0; j < 5; j++) assert_int_equal(by[j], sum.by_behavior[j]);
    /* matched in expectation: visits are fixed by calibration, rows per visit vary a little */
    assert_true(fabs((double)rows - 30000) < 0.03 * 30000);
    free(f);
    tide_sim_free(s);
}

/* ---- exponential law: the pooled MLE of the rate from gaps ---- */
static void test_exponential_rate_mle(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 400, c.seed = 11, c.hawkes = 0, c.churn = 0, c.join_spread = 0, c.horizon = 120;
    c.n_segments = 1;
    c.seg[0].rate_shape = 1e7, c.seg[0].rate_rate = 1e7 / 0.3; /* a single rate, 0.3/day */
    tide_sim *s = make(&c);
    double times[4096];
    double d = 0, exposure = 0, truth = 0;
    for (int64_t u = 0; u < c.n_users; u++) {
        int64_t nv = tide_sim_user_visits(s, u, times, NULL, 4096, NULL);
        assert_true(nv < 4096);
        for (int64_t i = 1; i < nv; i++) exposure += times[i] - times[i - 1], d++;
        exposure += c.horizon - times[nv - 1]; /* the censored last gap */
        tide_sim_truth t;
        tide_sim_user_truth(s, u, &t);
        truth += t.rate / c.n_users;
    }
    double lam = d / exposure, se = lam / sqrt(d);
    assert_true(fabs(truth - 0.3) < 1e-3);
    if (fabs(lam - truth) > 4 * se) fail_msg("MLE %g vs truth %g (se %g)", lam, truth, se);
    tide_sim_free(s);

    /* heterogeneous rates, Gamma(3, 10): with equal exposure the pooled rate estimates the
     * mean of the users' true rates; its standard error is sqrt(Σλ_u T) / (U T). */
    c.seg[0].rate_shape = 3, c.seg[0].rate_rate = 10, c.seed = 12;
    s = make(&c);
    double sum_l = 0, cnt = 0;
    for (int64_t u = 0; u < c.n_users; u++) {
        tide_sim_truth t;
        tide_sim_user_truth(s, u, &t);
        sum_l += t.rate;
        cnt += (double)(tide_sim_user_visits(s, u, NULL, NULL, 0, NULL) - 1);
    }
    double est = cnt / (c.n_users * c.horizon), want = sum_l / c.n_users;
    double se2 = sqrt(sum_l * c.horizon) / (c.n_users * c.horizon);
    if (fabs(est - want) > 4 * se2) fail_msg("pooled %g vs mean truth %g (se %g)", est, want, se2);
    tide_sim_free(s);
}

/* ---- power and mixture laws: P(first return gap > t) = S(t; θ_u) ---- */
static double surv(tide_sim_law law, const double *th, double t)
{
    if (law == TIDE_SIM_POWER) return pow(1 + th[0] * t, -th[1]);
    if (law == TIDE_SIM_MIXTURE) return th[0] * exp(-th[2] * t) + th[1] * exp(-th[3] * t);
    return exp(-th[0] * t);
}

static void check_first_gap(tide_sim_law law)
{
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 3000, c.seed = 21 + law, c.hawkes = 0, c.churn = 0, c.join_spread = 0;
    c.horizon = 2000, c.law = law;
    tide_sim *s = make(&c);
    const double tstar[3] = {0.5, 3, 15};
    double obs[3] = {0}, exp_[3] = {0}, var[3] = {0};
    for (int64_t u = 0; u < c.n_users; u++) {
        double tm[2];
        int64_t nv = tide_sim_user_visits(s, u, tm, NULL, 2, NULL);
        double gap = nv >= 2 ? tm[1] - tm[0] : INFINITY;
        tide_sim_truth t;
        tide_sim_user_truth(s, u, &t);
        /* the truth uses decay.h's parameterisation: check it against the segment config */
        const tide_sim_segment *g = &c.seg[t.segment];
        if (law == TIDE_SIM_POWER) assert_true(t.n_theta == 2 && t.theta[1] == g->power_shape);
        if (law == TIDE_SIM_MIXTURE)
            assert_true(t.n_theta == 4 && fabs(t.theta[2] - g->mix_ratio * t.rate) < 1e-12 &&
                        t.theta[0] == g->mix_weight);
        for (int k = 0; k < 3; k++) {
            double p = surv(law, t.theta, tstar[k]);
            obs[k] += gap > tstar[k];
            exp_[k] += p;
            var[k] += p * (1 - p);
        }
    }
    for (int k = 0; k < 3; k++) {
        double z = (obs[k] - exp_[k]) / sqrt(var[k]);
        if (fabs(z) > 4) fail_msg("%s: P(gap > %g): observed %g, expected %g (z %.2f)",
                                  tide_sim_law_name(law), tstar[k], obs[k], exp_[k], z);
    }
    tide_sim_free(s);
}

static void test_power_first_gap(void **state) { (void)state, check_first_gap(TIDE_SIM_POWER); }
static void test_mixture_first_gap(void **state) { (void)state, check_first_gap(TIDE_SIM_MIXTURE); }

/* ---- Hawkes counts ----
 * λ(t) = μ + α Σ e^(−β(t−t_i)) from empty history on [0, T] plus the joining visit at 0.
 * The resolvent of the exponential kernel is ψ(t) = α e^(−(β−α)t), so one event at 0 has
 * D(T) = α/(β−α) (1 − e^(−(β−α)T)) descendants by T, and Poisson(μ) immigrants give
 * E N = μTβ/(β−α) − μα(1 − e^(−(β−α)T))/(β−α)²  (→ μT/(1 − α/β) for large T). */
static void test_hawkes_counts(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 2000, c.seed = 31, c.churn = 0, c.join_spread = 0, c.horizon = 60;
    c.n_segments = 1;
    c.seg[0].rate_shape = 5, c.seg[0].rate_rate = 10, c.seg[0].branching = 0.5, c.seg[0].beta = 2;
    tide_sim *s = make(&c);
    double obs = 0, mean = 0, var = 0, stationary = 0, kinds[4] = {0};
    double T = c.horizon;
    double times[8192];
    int8_t kd[8192];
    for (int64_t u = 0; u < c.n_users; u++) {
        tide_sim_truth t;
        tide_sim_user_truth(s, u, &t);
        assert_true(t.alpha > 0 && t.alpha < t.beta && t.mu == t.rate);
        double g = t.beta - t.alpha, n = t.alpha / t.beta;
        double e1 = 1 + t.alpha / g * (1 - exp(-g * T));
        double e2 = t.mu * T * t.beta / g - t.mu * t.alpha * (1 - exp(-g * T)) / (g * g);
        int64_t nv = tide_sim_user_visits(s, u, times, kd, 8192, NULL);
        assert_true(nv <= 8192);
        for (int64_t i = 0; i < nv; i++) kinds[kd[i]]++;
        for (int64_t i = 1; i < nv; i++) assert_true(times[i] >= times[i - 1]);
        obs += (double)nv;
        mean += e1 + e2;
        stationary += t.mu * T / (1 - n);
        var += (t.mu * T + 1) / pow(1 - n, 3); /* asymptotic Var N(T) of a Hawkes process */
    }
    double z = (obs - mean) / sqrt(var);
    if (fabs(z) > 4) fail_msg("Hawkes visits %g vs expected %g (z %.2f)", obs, mean, z);
    assert_true(fabs(obs - stationary) / stationary < 0.05); /* T ≫ 1/(β−α): near stationary */
    assert_true(kinds[0] == c.n_users && kinds[1] > 0 && kinds[2] > 0 && kinds[3] == 0);
    tide_sim_free(s);
}

/* ---- funnel conversion rates ---- */
static void test_funnel_rates(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 2000, c.n_events = 200000, c.seed = 41;
    c.p_click = 0.4, c.p_cart = 0.25, c.p_fav = 0.5, c.p_buy = 0.7;
    tide_sim *s = make(&c);
    tide_sim_summary sum;
    assert_int_equal(tide_sim_write(s, path_of("funnel.csv"), 1, 0, 0, &sum), TIDE_OK);
    const double p[4] = {c.p_click, c.p_cart, c.p_fav, c.p_buy};
    for (int k = 0; k < 4; k++) {
        double n = (double)sum.by_behavior[k], x = (double)sum.by_behavior[k + 1];
        double z = (x - n * p[k]) / sqrt(n * p[k] * (1 - p[k]));
        if (fabs(z) > 4) fail_msg("stage %d: %g of %g, rate %g (z %.2f)", k + 1, x, n, p[k], z);
    }
    double rows = (double)sum.rows;
    assert_true(fabs(rows - 200000) < 0.02 * 200000);
    assert_true(sum.visits == sum.by_behavior[0] || sum.by_behavior[0] > sum.visits);
    tide_sim_free(s);
}

/* ---- item popularity: Zipf ranks that drift (new items enter at the top) ----
 * With n_items = C · n every category holds n items; item (local j) has rank
 * (j + ⌊drift · day⌋) mod n on a given day, and ranks are Zipf(s) distributed. */
static void test_zipf_drift_and_prices(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 1500, c.n_events = 100000, c.seed = 45, c.n_items = 2000, c.n_categories = 20;
    c.drift = 1.0, c.zipf_items = 1.1, c.p_click = 0; /* pv rows only: a row's time is its visit's */
    c.dwell_median = 1, c.dwell_sigma = 0; /* ...up to a second or so per pv */
    tide_sim *s = make(&c);
    assert_int_equal(tide_sim_write(s, path_of("zipf.csv"), 1, 0, 0, NULL), TIDE_OK);
    tide_sim_free(s);
    FILE *f = fopen(path_of("zipf.csv"), "r");
    char line[256];
    int n = 100;
    double cnt[100] = {0}, total = 0;
    static double price_of[2001];
    int price_ok = 1;
    assert_non_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        long long u, item, cat, ts, dwell;
        double price;
        char beh[8];
        assert_int_equal(sscanf(line, "%lld,%lld,%lld,%7[a-z],%lld,%lf,%lld", &u, &item, &cat, beh,
                                &ts, &price, &dwell), 7);
        if (price_of[item] == 0) price_of[item] = price;
        else if (price_of[item] != price) price_ok = 0;
        double day = (double)(ts - c.t_start) / 86400.0;
        long long j = (item - 1) / c.n_categories;
        int rank = (int)((j + (long long)floor(c.drift * day)) % n);
        cnt[rank]++, total++;
    }
    fclose(f);
    assert_true(price_ok); /* an item keeps its price */
    double H = 0;
    for (int k = 1; k <= n; k++) H += pow(k, -c.zipf_items);
    /* ranks 1, 2, 3, 10 and the tail 51..100 against Zipf; a few rows may cross midnight
     * inside a visit and land one rank off, far below the tolerance */
    int ks[5] = {0, 1, 2, 9, -1};
    for (int i = 0; i < 5; i++) {
        double p = 0, o = 0;
        if (ks[i] >= 0) p = pow(ks[i] + 1, -c.zipf_items) / H, o = cnt[ks[i]];
        else
            for (int k = 50; k < n; k++) p += pow(k + 1, -c.zipf_items) / H, o += cnt[k];
        double z = (o - total * p) / sqrt(total * p * (1 - p));
        if (fabs(z) > 4) fail_msg("rank %d: %g of %g, Zipf %g (z %.2f)", ks[i] + 1, o, total, p, z);
    }
}

/* ---- category interest profiles: without self-excitation every visit's category is a draw
 * from θ_u; a chi-square over users × categories (df = U (C − 1)) checks the counts. ---- */
static void test_category_profiles(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 40, c.seed = 47, c.hawkes = 0, c.churn = 0, c.join_spread = 0, c.horizon = 2000;
    c.mean_pv = 1, c.p_click = 0, c.n_categories = 10, c.n_items = 1000;
    tide_sim *s = make(&c);
    assert_int_equal(tide_sim_write(s, path_of("prof.csv"), 1, 0, 0, NULL), TIDE_OK);
    static double cnt[40][10];
    FILE *f = fopen(path_of("prof.csv"), "r");
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    long long u, item, cat;
    while (fgets(line, sizeof line, f) && sscanf(line, "%lld,%lld,%lld", &u, &item, &cat) == 3)
        cnt[u - 1][cat - 1]++;
    fclose(f);
    double chi2 = 0;
    int df = 0;
    for (int i = 0; i < 40; i++) {
        double p[10], n = 0, sum = 0;
        int top = tide_sim_user_profile(s, i, p);
        for (int k = 0; k < 10; k++) n += cnt[i][k], sum += p[k];
        assert_true(fabs(sum - 1) < 1e-12 && top >= 0 && top < 10);
        for (int k = 0; k < 10; k++) assert_true(p[k] <= p[top]);
        for (int k = 0; k < 10; k++)
            if (n * p[k] > 1e-9) chi2 += (cnt[i][k] - n * p[k]) * (cnt[i][k] - n * p[k]) / (n * p[k]), df++;
        df--;
    }
    if (fabs(chi2 - df) > 5 * sqrt(2.0 * df)) fail_msg("chi-square %g with %d df", chi2, df);
    tide_sim_free(s);
}

/* ---- churn, reactivation and incentives ---- */
static void test_future_incentive(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 3000, c.seed = 51, c.hawkes = 0, c.horizon = 120;
    tide_sim *s = make(&c);
    int64_t n = c.n_users;
    int64_t *users = malloc(sizeof(int64_t) * n);
    uint8_t *tr = malloc(n), *ret0 = malloc(n), *ret1 = malloc(n), *ret2 = malloc(n);
    double *f0 = malloc(sizeof(double) * n), *f1 = malloc(sizeof(double) * n);
    int32_t *v0 = malloc(sizeof(int32_t) * n), *v1 = malloc(sizeof(int32_t) * n);
    for (int64_t i = 0; i < n; i++) users[i] = i, tr[i] = 1;
    double W = 30, eff = 3;
    assert_int_equal(tide_sim_future(s, n, users, NULL, eff, W, ret0, f0, v0), TIDE_OK);
    assert_int_equal(tide_sim_future(s, n, users, tr, 0.0, W, ret2, NULL, NULL), TIDE_OK);
    assert_memory_equal(ret0, ret2, (size_t)n); /* effect 0 == untreated, same stream */
    assert_int_equal(tide_sim_future(s, n, users, tr, eff, W, ret1, f1, v1), TIDE_OK);
    /* dormant users come back only by reactivation: P = 1 − e^(−r(1+effect)W) */
    double obs = 0, want = 0, var = 0, obs0 = 0, want0 = 0, var0 = 0;
    int64_t dormant = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_true(v1[i] >= 0 && (ret1[i] ? f1[i] >= 0 && f1[i] <= W : isnan(f1[i])));
        int alive;
        tide_sim_user_visits(s, i, NULL, NULL, 0, &alive);
        if (alive) continue;
        /* common random numbers: a dormant user's reactivation only comes sooner */
        assert_true(ret1[i] >= ret0[i]);
        assert_true(!ret0[i] || f1[i] <= f0[i]);
        dormant++;
        tide_sim_truth t;
        tide_sim_user_truth(s, i, &t);
        double p1 = 1 - exp(-t.react * (1 + eff) * W), p0 = 1 - exp(-t.react * W);
        obs += ret1[i], want += p1, var += p1 * (1 - p1);
        obs0 += ret0[i], want0 += p0, var0 += p0 * (1 - p0);
    }
    assert_true(dormant > 100);
    if (fabs(obs - want) > 4 * sqrt(var)) fail_msg("treated: %g vs %g", obs, want);
    if (fabs(obs0 - want0) > 4 * sqrt(var0)) fail_msg("control: %g vs %g", obs0, want0);
    assert_true(obs > obs0);
    /* errors */
    users[0] = n;
    assert_int_equal(tide_sim_future(s, 1, users, NULL, 0, W, ret0, NULL, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "out of range"));
    users[0] = 0;
    assert_int_equal(tide_sim_future(s, 1, users, NULL, -1, W, ret0, NULL, NULL), TIDE_ERR);
    assert_int_equal(tide_sim_future(s, 1, users, NULL, 0, NAN, ret0, NULL, NULL), TIDE_ERR);
    free(users), free(tr), free(ret0), free(ret1), free(ret2), free(f0), free(f1), free(v0);
    free(v1);
    tide_sim_free(s);
}

/* ---- truth JSON ---- */
static void test_truth_json(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c);
    c.n_users = 50, c.n_events = 3000, c.law = TIDE_SIM_MIXTURE;
    tide_sim *s = make(&c);
    tide_sim_summary sum;
    assert_int_equal(tide_sim_write(s, path_of("t.csv"), 1, 0, 0, &sum), TIDE_OK);
    assert_int_equal(tide_sim_write_truth(s, path_of("t.json"), 1, &sum), TIDE_OK);
    size_t n;
    char *j = slurp_raw(path_of("t.json"), &n);
    j[n] = 0;
    assert_non_null(strstr(j, "\"decay\": \"mixture\""));
    assert_non_null(strstr(j, "\"name\": \"at_risk\""));
    int rows = 0;
    for (char *p = strstr(j, "\"users\": ["); p && (p = strstr(p + 1, "\n[")); ) rows++;
    assert_int_equal(rows, 50);
    /* the visits in the truth equal the visits in the log */
    char key[64];
    snprintf(key, sizeof key, "\"visits\": %lld,", (long long)sum.visits);
    assert_non_null(strstr(j, key));
    free(j);
    assert_int_equal(tide_sim_write_truth(s, path_of("t2.json"), 0, NULL), TIDE_OK);
    tide_sim_free(s);
}

/* ---- errors ---- */
static void expect_bad(tide_sim_config *c, const char *needle)
{
    tide_sim *s = tide_sim_new(c);
    assert_null(s);
    if (!strstr(tide_error(), needle)) fail_msg("'%s' lacks '%s'", tide_error(), needle);
}

/* Review sentiment: z_u does not depend on the strength; reactivation x e^(s z), churn
 * / e^(s z), decay rate untouched; with review_noise = 0 every reviewed buy row carries
 * clamp(round(3 + 1.5 z), 1, 5) and every other row an empty rating field. */
static void test_sentiment(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c), c.n_users = 200;
    tide_sim *s0 = make(&c);
    c.sentiment = 0.7;
    tide_sim *s1 = make(&c);
    for (int64_t u = 0; u < 200; u++) {
        tide_sim_truth a, b;
        tide_sim_user_truth(s0, u, &a);
        tide_sim_user_truth(s1, u, &b);
        double m = exp(0.7 * a.sentiment);
        assert_true(a.sentiment == b.sentiment && a.rate == b.rate);
        assert_true(fabs(b.react - a.react * m) <= 1e-12 * b.react);
        assert_true(fabs(b.churn - a.churn / m) <= 1e-12 * b.churn);
    }
    tide_sim_free(s1);
    tide_sim_default_config(&c), c.n_users = 100, c.p_review = 1, c.review_noise = 0;
    c.p_click = c.p_cart = c.p_fav = c.p_buy = 0.8;
    tide_sim *s = make(&c);
    assert_int_equal(tide_sim_write(s, path_of("rev.csv"), 1, 1, 0, NULL), TIDE_OK);
    size_t n;
    char *text = slurp(path_of("rev.csv"), &n);
    assert_non_null(text);
    text = realloc(text, n + 1); /* NUL-terminated for strstr */
    assert_non_null(text);
    text[n] = 0;
    assert_memory_equal(text, "user_id,item_id,category_id,behavior,timestamp,price,dwell,rating\n", 66);
    int buys = 0;
    for (char *line = strchr(text, '\n') + 1; line < text + n; line = strchr(line, '\n') + 1) {
        char *end = strchr(line, '\n');
        long user = strtol(line, NULL, 10);
        if (strstr(line, ",buy,") && strstr(line, ",buy,") < end) {
            tide_sim_truth t;
            tide_sim_user_truth(s, user - 1, &t);
            long want = lround(3 + 1.5 * t.sentiment);
            want = want < 1 ? 1 : want > 5 ? 5 : want;
            assert_int_equal(end[-1] - '0', want);
            assert_int_equal(end[-2], ',');
            buys++;
        } else {
            assert_int_equal(end[-1], ',');
        }
    }
    assert_true(buys > 50);
    free(text);
    tide_sim_free(s);
    tide_sim_free(s0);
}

static void test_errors(void **state)
{
    (void)state;
    tide_sim_config c;
    tide_sim_default_config(&c), c.n_users = 0, expect_bad(&c, "users");
    tide_sim_default_config(&c), c.n_items = 5, expect_bad(&c, "items");
    tide_sim_default_config(&c), c.p_click = 1.5, expect_bad(&c, "p_click");
    tide_sim_default_config(&c), c.p_buy = NAN, expect_bad(&c, "p_buy");
    tide_sim_default_config(&c), c.horizon = NAN, expect_bad(&c, "horizon");
    tide_sim_default_config(&c), c.n_events = 500, expect_bad(&c, "too few");
    tide_sim_default_config(&c), c.seg[1].branching = 1, expect_bad(&c, "branching");
    tide_sim_default_config(&c), c.seg[0].rate_rate = -1, expect_bad(&c, "segment 1");
    tide_sim_default_config(&c), c.n_segments = 0, expect_bad(&c, "segments");
    tide_sim_default_config(&c), c.horizon = 1e300, expect_bad(&c, "horizon"); /* never ends */
    tide_sim_default_config(&c), c.seg[2].rate_rate = 1e-300, expect_bad(&c, "segment 3");
    tide_sim_default_config(&c), c.drift = 1e300, expect_bad(&c, "drift");
    tide_sim_default_config(&c), c.n_items = 2000000000, expect_bad(&c, "items");
    tide_sim_default_config(&c), c.sentiment = 6, expect_bad(&c, "sentiment");
    tide_sim_default_config(&c), c.sentiment = NAN, expect_bad(&c, "sentiment");
    tide_sim_default_config(&c), c.p_review = -0.1, expect_bad(&c, "p_review");
    tide_sim_default_config(&c), c.review_noise = NAN, expect_bad(&c, "review_noise");
    assert_int_equal(tide_sim_law_lookup("weibull"), -1);
    assert_non_null(strstr(tide_error(), "weibull"));
    assert_int_equal(tide_sim_law_lookup("power"), TIDE_SIM_POWER);
    tide_sim_default_config(&c), c.n_users = 5;
    tide_sim *s = make(&c);
    assert_int_equal(tide_sim_write(s, "/nonexistent_dir/x.csv", 1, 0, 0, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "/nonexistent_dir/x.csv"));
    assert_int_equal(tide_sim_write(s, "", 1, 0, 0, NULL), TIDE_ERR);
    assert_int_equal(tide_sim_write(s, path_of("x.csv.gz"), 0, 0, 0, NULL), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "level"));
    assert_int_equal(tide_sim_write(s, path_of("x.csv"), 1, 0, -1, NULL), TIDE_ERR);
    tide_sim_free(s);
    tide_sim_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),       cmocka_unit_test(test_counts_and_format),
        cmocka_unit_test(test_exponential_rate_mle), cmocka_unit_test(test_power_first_gap),
        cmocka_unit_test(test_mixture_first_gap), cmocka_unit_test(test_hawkes_counts),
        cmocka_unit_test(test_funnel_rates),      cmocka_unit_test(test_zipf_drift_and_prices),
        cmocka_unit_test(test_category_profiles), cmocka_unit_test(test_future_incentive),
        cmocka_unit_test(test_truth_json),        cmocka_unit_test(test_sentiment),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
