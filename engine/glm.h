/* glm.h — penalised binary logistic regression fitted in double precision.
 *
 * Data: X [n, d] row-major f32 (converted to double block by block, never stored in double),
 * targets t [n] in [0, 1] (0/1 labels, or soft targets such as Platt's smoothed labels), row
 * weights w [n] (NULL = 1). The fit always works on standardised features z_j = (x_j - mean_j)
 * / sd_j with the population sd (ddof 0, as sklearn's StandardScaler; sd 0 becomes 1), which
 * keeps Newton and L-BFGS well conditioned whatever the raw scales. The model is
 * eta = beta_0 + sum_j beta_j z_j, p = sigmoid(eta); coefficients live on the z scale,
 * intercept first (p = d + 1 of them); raw-scale ones are beta_j / sd_j and
 * beta_0 - sum_j beta_j mean_j / sd_j. `standardize` decides where the penalty acts: on the z
 * coefficients (1) or on the raw ones (0; weights l2 / sd_j^2 and l1 / sd_j on the z scale).
 *
 * Objective (a SUM over rows, the scaling sklearn uses), with b the penalised coefficients:
 *     F(beta) = sum_i w_i [softplus(eta_i) - t_i eta_i] + l2/2 ||b_1:||^2 + l1 ||b_1:||_1
 * so l2 = 1/C reproduces sklearn's LogisticRegression(C=C) (penalty='l2'), and for
 * penalty='elasticnet' with l1_ratio r: l2 = (1 - r)/C, l1 = r/C. The intercept is never
 * penalised (sklearn's lbfgs/newton-cg solvers do the same).
 *
 * Solvers (glm_fit.c):
 *   IRLS   Newton's method with Cholesky solves and Armijo backtracking (l1 = 0).
 *   LBFGS  engine/lbfgs.c on F (l1 = 0); for large d, where forming the Hessian is costly.
 *   l1 > 0 proximal Newton (Lee, Sun & Saunders, SIAM J. Optim. 2014): the quadratic model of
 *          the smooth part plus the l1 term is minimised by cyclic coordinate descent with soft
 *          thresholding (as glmnet, Friedman, Hastie & Tibshirani 2010, and newGLMNET, Yuan,
 *          Ho & Lin 2012), then a backtracking line search on F. Chosen by AUTO and IRLS.
 * Convergence: the minimum-norm subgradient of F has ||.||_inf <= tol * sum(w).
 *
 * Standard errors: cov = inverse of the penalised Hessian (observed Fisher information plus
 * l2 on the slopes) at the optimum. With l1 > 0 only the intercept and the non-zero slopes are
 * kept (the others get NaN): the naive, post-selection covariance. */
#ifndef TIDE_GLM_H
#define TIDE_GLM_H

#include <stdint.h>

typedef enum { TIDE_GLM_AUTO = 0, TIDE_GLM_IRLS = 1, TIDE_GLM_LBFGS = 2 } tide_glm_solver;

typedef struct {
    double l2, l1;   /* penalties on the slopes (>= 0) */
    int standardize; /* 1: penalise the z-scale coefficients; 0: the raw-scale ones */
    int solver;      /* tide_glm_solver */
    int max_iter;    /* 0: 100 for Newton, 1000 for L-BFGS */
    double tol;      /* see above (default 1e-8) */
    int want_cov;    /* 1: compute cov (needs a (d+1)^2 Hessian) */
} tide_glm_opts;

typedef struct {
    int64_t d;
    double *mean, *sd; /* [d] */
    double *beta;      /* [d + 1], z scale, intercept first */
    double *cov;       /* [(d + 1)^2] row-major, or NULL when not computed */
    double objective;  /* F at beta */
    double grad_inf;   /* ||minimum-norm subgradient||_inf at beta */
    int iterations, converged, solver; /* solver actually used */
    char message[200]; /* why it stopped, in words */
} tide_glm_model;

void tide_glm_default_opts(tide_glm_opts *o);

/* 1 if every X entry is finite; otherwise 0 and the first bad entry's 0-based row, col. */
int tide_glm_check_finite(int64_t n, int64_t d, const float *X, int64_t *row, int64_t *col);

/* Fits m (whose arrays it allocates; free with tide_glm_model_free, also after an error).
 * TIDE_ERR + message on invalid input (n < 1, d < 0, non-finite X, t outside [0, 1], negative
 * or non-finite weights, zero total weight, bad options) or out of memory. Non-convergence is
 * not an error: m->converged = 0 and m->message says why. */
int tide_glm_fit(int64_t n, int64_t d, const float *X, const float *t, const float *w, const tide_glm_opts *o,
                 tide_glm_model *m);
void tide_glm_model_free(tide_glm_model *m); /* NULL-safe, idempotent */

/* Loss + l2/2 ||beta_1:||^2 (z-scale penalty, no l1 term) at beta [d + 1] (z scale), its
 * gradient g [d + 1] (may be NULL) and Hessian H [(d + 1)^2] row-major (may be NULL). */
double tide_glm_objective(int64_t n, int64_t d, const float *X, const float *t, const float *w, const double *mean,
                          const double *sd, double l2, const double *beta, double *g, double *H);

/* Probabilities prob [n] and/or contributions contrib [n, d] = beta_j z_ij (either may be NULL);
 * eta_i = beta_0 + sum_j contrib_ij. */
void tide_glm_predict(int64_t n, int64_t d, const float *X, const double *mean, const double *sd,
                      const double *beta, float *prob, float *contrib);

/* ---- glm_linalg.c: small dense symmetric positive-definite algebra (p x p, row-major) ---- */
/* In-place Cholesky A = L L' (lower triangle); 0 on success, -1 if A is not positive definite. */
int tide_glm_cholesky(int64_t p, double *A);
/* Solves L L' x = b in place of b. */
void tide_glm_chol_solve(int64_t p, const double *L, double *b);
/* inv [p*p] = A^-1 from its Cholesky factor L. */
void tide_glm_chol_inverse(int64_t p, const double *L, double *inv);

/* ---- glm_isotonic.c: pool-adjacent-violators for calibration ---- */
/* Isotonic (non-decreasing) least-squares fit of y on x with weights w (NULL = 1), as sklearn's
 * IsotonicRegression(increasing=True): rows sorted by x, tied x pooled into their weighted mean,
 * PAV over the unique x, then the interior points of constant runs dropped. Writes the knots
 * to kx, ky [*k] (room for n each); apply by linear interpolation, clipped at the ends.
 * TIDE_ERR on n < 1, NaN, negative weights or out of memory. */
int tide_isotonic_fit(int64_t n, const float *x, const float *y, const float *w, double *kx, double *ky,
                      int64_t *k);
/* out [n] = piecewise-linear interpolation of knots (kx ascending, k >= 1) at x, clipped. */
void tide_isotonic_apply(int64_t k, const double *kx, const double *ky, int64_t n, const float *x, float *out);

#endif
