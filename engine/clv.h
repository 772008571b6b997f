/* clv.h — customer-base ("buy 'til you die") models: BG/NBD, Pareto/NBD, MBG/NBD for the
 * number and timing of repeat purchases, Gamma-Gamma for spend per transaction.
 *
 * Data per customer (the Fader-Hardie summary): x = repeat transactions in the calibration
 * period, tx = time of the last one since the first purchase (recency), T = time from the
 * first purchase to the end of calibration; for Gamma-Gamma, x and m = the mean value of the
 * repeat transactions. Parameters are natural (all > 0):
 *   BG/NBD, MBG/NBD  {r, alpha, a, b}     Pareto/NBD  {r, alpha, s, beta}
 *   Gamma-Gamma      {p, q, gamma}
 * References (cited where used): Fader, Hardie & Lee (2005), "Counting your customers the
 * easy way", Marketing Science 24(2) [BG/NBD]; Fader & Hardie (2005), "A note on deriving
 * the Pareto/NBD model and related expressions" (brucehardie.com/notes/009) [Pareto/NBD];
 * Batislam, Denizel & Filiztekin (2007), IJRM 24(3), with Wagner & Hoppe's (2008) erratum
 * [MBG/NBD]; Fader & Hardie (2013), "The Gamma-Gamma model of monetary value"
 * (brucehardie.com/notes/025). Errors: TIDE_ERR + tide_error() message. */
#ifndef TIDE_CLV_H
#define TIDE_CLV_H

#include <stdint.h>

typedef enum { TIDE_CLV_BGNBD = 0, TIDE_CLV_PARETONBD, TIDE_CLV_MBGNBD, TIDE_CLV_GAMMAGAMMA, TIDE_CLV_NMODELS } tide_clv_model;

/* Model by name ("bgnbd", "paretonbd", "mbgnbd", "gammagamma"); -1 + message if unknown. */
int tide_clv_lookup(const char *name);
const char *tide_clv_name(tide_clv_model m);
int tide_clv_nparams(tide_clv_model m);          /* 4, 4, 4, 3 */
const char *tide_clv_param_name(tide_clv_model m, int i);

/* Customers: arrays of n. For Gamma-Gamma tx holds the mean repeat value m and T is unused
 * (may be NULL); customers with x = 0 carry no spend information and are skipped. w: optional
 * weights (customers with an identical summary), NULL = 1 each. */
typedef struct {
    int64_t n;
    const double *x, *tx, *T, *w;
} tide_clv_data;

/* Checks the data for model m: x a non-negative integer, 0 <= tx <= T, finite values,
 * m > 0 when x > 0 for Gamma-Gamma, w >= 0. TIDE_ERR names the first bad customer. */
int tide_clv_check(tide_clv_model m, const tide_clv_data *d);

/* Total log-likelihood at natural parameters theta; grad (natural parameters, may be NULL)
 * receives its gradient. TIDE_ERR if a hypergeometric series fails to converge or theta is
 * not positive and finite. */
int tide_clv_loglik(tide_clv_model m, const double *theta, const tide_clv_data *d, double *ll, double *grad);

typedef struct {
    double theta[4], se[4];  /* se: NaN when the Hessian is not positive definite */
    double loglik;
    int status;              /* tide_lbfgs_status */
    int converged;           /* 1 only if L-BFGS converged AND the Hessian is positive definite */
    int iterations, evaluations;
    char reason[192];        /* why converged == 0 ("" otherwise) */
} tide_clv_fit_result;

/* Maximum likelihood over log-parameters with L-BFGS (lbfgs.h); init NULL = all ones (the
 * start Fader-Hardie's spreadsheets use). Standard errors from the numerical Hessian of the
 * log-likelihood (central differences of the analytic gradient), by the delta method.
 * Returns TIDE_OK whenever a result was produced (check res->converged), TIDE_ERR on bad
 * data or when the likelihood cannot be evaluated at the start. */
int tide_clv_fit(tide_clv_model m, const tide_clv_data *d, const double *init, int max_iter, double gtol,
                 tide_clv_fit_result *res);

typedef enum { TIDE_CLV_P_ALIVE = 0, TIDE_CLV_COND_EXPECTED, TIDE_CLV_EXPECTED, TIDE_CLV_COND_VALUE } tide_clv_quantity;

/* Per-customer predictions into out[n]:
 *   P_ALIVE         P(alive at T | x, tx, T)
 *   COND_EXPECTED   E[repeat purchases in (T, T + t[i]] | x, tx, T]
 *   EXPECTED        E[X(t[i])] for a new customer (x, tx, T ignored, may be NULL)
 *   COND_VALUE      Gamma-Gamma E[spend per transaction | x, m] (tx = m)
 * t may have 1 entry (shared) or n. TIDE_ERR on a series that does not converge. */
int tide_clv_predict(tide_clv_model m, tide_clv_quantity q, const double *theta, const double *t, int64_t nt,
                     const tide_clv_data *d, double *out);

/* Gauss hypergeometric 2F1(a, b; c; z) for |z| < 1 by its power series, summed until a term
 * no longer changes the sum (and its derivatives) in double precision. d (may be NULL)
 * receives dF/da, dF/db, dF/dc, dF/dz, accumulated term by term (d/da log (a)_k = sum_{j<k}
 * 1/(a+j)). TIDE_ERR if it has not converged within 500000 terms or overflows. */
int tide_clv_hyp2f1(double a, double b, double c, double z, double *f, double d[4]);
/* Digamma psi(x), x > 0: upward recurrence to x >= 10, then the asymptotic series
 * (Abramowitz & Stegun 6.3.18). */
double tide_clv_digamma(double x);

#endif
