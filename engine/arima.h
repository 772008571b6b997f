/* arima.h — ARIMA(p, d, q) by conditional sum of squares (Box & Jenkins, "Time Series
 * Analysis", 1970/2015, ch. 7.1; Hamilton, "Time Series Analysis", 1994, sec. 5.4-5.6).
 *
 * The series is differenced d times (w_t = (1-B)^d x_t); the ARMA(p, q) model on w is
 *   w_t - mu = sum_i phi_i (w_{t-i} - mu) + e_t + sum_j theta_j e_{t-j},
 * and the CSS estimate minimises S = sum_{t > m} e_t^2 with the first m = cond (>= p) values
 * taken as given and pre-sample errors set to 0. sigma^2 = S / (n_w - m); the conditional
 * Gaussian log-likelihood is -(n_w - m)/2 (log(2 pi sigma^2) + 1). Parameters, in this order:
 * phi_1..phi_p, theta_1..theta_q, then mu if with_mean. Errors: TIDE_ERR + tide_error(). */
#ifndef TIDE_ARIMA_H
#define TIDE_ARIMA_H

#include <stdint.h>

/* S and its gradient (grad may be NULL) at params, for the (already differenced) series w[n];
 * e (may be NULL) receives the n residuals (0 for t < cond). */
int tide_arima_css(const double *w, int64_t n, int p, int q, int with_mean, int cond, const double *params,
                   double *ss, double *grad, double *e);

typedef struct {
    double params[64];     /* p + q (+1) estimates */
    double se[64];         /* from the Hessian of the log-likelihood (NaN if not positive definite) */
    double sigma2, loglik, aic;
    int nobs;              /* n_w - cond: the residuals used */
    int converged, stationary, invertible;
    char reason[160];
} tide_arima_fit_result;

/* CSS fit of x[n] (raw series; differenced d times inside) by L-BFGS from phi = theta = 0,
 * mu = mean(w). cond < p means cond = p. AIC = -2 loglik + 2 (p + q + with_mean + 1).
 * stationary / invertible: from the Schur-Cohn step-down test of the AR / MA polynomials
 * (all partial autocorrelations inside (-1, 1)). TIDE_ERR on bad arguments or a series too
 * short for the model (needs n_w - cond > p + q + with_mean + 1). */
int tide_arima_fit(const double *x, int64_t n, int p, int d, int q, int with_mean, int cond, tide_arima_fit_result *res);

/* 1 if the polynomial 1 - sum c_i z^i has all roots outside the unit circle (step-down
 * recursion; Box & Jenkins A3.1). For an MA part 1 + sum theta_j z^j pass c = -theta. */
int tide_arima_stable(const double *c, int k);

/* psi weights psi_0..psi_{h-1} of the ARIMA model (phi(B)(1-B)^d psi(B) = theta(B)), the MA(inf)
 * representation that gives the h-step forecast error variance sigma^2 sum_{j<h} psi_j^2. */
int tide_arima_psi(const double *phi, int p, int d, const double *theta, int q, int h, double *psi);

/* Forecasts x_{n+1..n+h} (mean) of the fitted model given the raw series x[n], and their
 * standard errors sqrt(sigma2 sum_{j<k} psi_j^2). */
int tide_arima_forecast(const double *x, int64_t n, int p, int d, int q, int with_mean, int cond, const double *params,
                        double sigma2, int h, double *mean, double *se);



/* ---- exact Gaussian likelihood (arima_ml.c) ----
 * The ARMA(p, q) part in Harvey's state-space form (state dimension r = max(p, q + 1) <= 12;
 * Hamilton 1994, sec. 13.1-13.4): the Kalman filter gives the one-step prediction errors v_t
 * and their variances F_t sigma^2, with the initial state covariance solving P = T P T' + R R'
 * (the stationary distribution). sigma^2 is concentrated out:
 *   sigma^2 = (1/n) sum v_t^2 / F_t,   loglik = -n/2 (log(2 pi sigma^2) + 1) - 1/2 sum log F_t. */
/* Exact log-likelihood of the (already differenced) w[n] at params (phi, theta, mu order as
 * above); *sigma2 (may be NULL) receives the concentrated variance. TIDE_ERR if the AR part is
 * not stationary or r > 12. */
int tide_arima_exact_loglik(const double *w, int64_t n, int p, int q, int with_mean, const double *params,
                            double *loglik, double *sigma2);
/* Maximum likelihood fit of x[n] (differenced d times inside) over a parameterisation that
 * keeps the AR part stationary and the MA part invertible (partial autocorrelations
 * tanh(u), mapped by the Durbin-Levinson recursion: Jones 1980, Monahan 1984), started from
 * the CSS estimate when that is stationary and invertible. L-BFGS with central-difference
 * gradients; SEs from the numerical Hessian of the log-likelihood in the natural parameters.
 * res->nobs = n - d, aic = -2 loglik + 2 (p + q + with_mean + 1). */
int tide_arima_fit_ml(const double *x, int64_t n, int p, int d, int q, int with_mean, tide_arima_fit_result *res);
#endif
