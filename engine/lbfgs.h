/* lbfgs.h — limited-memory BFGS for smooth unconstrained minimisation, in reverse
 * communication.
 *
 * Algorithm: Nocedal & Wright, "Numerical Optimization" (2nd ed.), Alg. 7.4 (two-loop
 * recursion) and 7.5 (L-BFGS), with the strong-Wolfe line search of Alg. 3.5/3.6
 * (bracketing, then zoom with safeguarded cubic interpolation).
 *
 * Reverse communication: the solver never calls the objective. The caller owns x, f and g:
 *
 *     tide_lbfgs *s = tide_lbfgs_new(n, NULL);
 *     f = objective(x, g);                      // evaluate at the start point
 *     while ((rc = tide_lbfgs_step(s, x, &f, g)) == TIDE_LBFGS_NEED_EVAL)
 *         f = objective(x, g);                  // the solver moved x; evaluate there
 *     tide_lbfgs_free(s);
 *
 * so a Lua closure (or anything else that may raise) can drive it without a longjmp through
 * solver code. On return with any other status, x/f/g hold the best accepted point.
 * Bounds are the caller's business: optimise over transformed parameters (log for rates,
 * logits for weights). A non-finite f at a trial point makes the line search step back. */
#ifndef TIDE_LBFGS_H
#define TIDE_LBFGS_H

#include <stdint.h>

typedef enum {
    TIDE_LBFGS_NEED_EVAL = 1,   /* evaluate f and g at x, then call step again */
    TIDE_LBFGS_CONVERGED = 0,   /* gradient or relative-decrease test met */
    TIDE_LBFGS_MAXITER = 2,     /* iteration or evaluation budget used up (x is best so far) */
    TIDE_LBFGS_ELINESEARCH = -2, /* no acceptable step along a descent direction */
    TIDE_LBFGS_ENONFINITE = -3,  /* f or g not finite at the start point */
    TIDE_LBFGS_EARG = -4,        /* bad options */
} tide_lbfgs_status;

typedef struct {
    int m;            /* history pairs kept (default 8) */
    int max_iter;     /* outer iterations (default 200) */
    int max_evals;    /* objective evaluations (default 20 * max_iter) */
    double gtol;      /* stop when ||g||_inf <= gtol * max(1, |f|) (default 1e-6) */
    double ftol;      /* stop when (f_prev - f) <= ftol * max(|f_prev|, |f|, 1) (default 1e-12) */
    double c1, c2;    /* Wolfe constants (default 1e-4, 0.9) */
    double max_step;  /* cap on ||alpha * d||_inf per line search (default 1e10) */
} tide_lbfgs_opts;

typedef struct tide_lbfgs tide_lbfgs;

void tide_lbfgs_default_opts(tide_lbfgs_opts *o);
/* New solver for n variables; opts NULL means defaults. NULL + tide_error() on failure. */
tide_lbfgs *tide_lbfgs_new(int64_t n, const tide_lbfgs_opts *opts);
void tide_lbfgs_free(tide_lbfgs *s); /* NULL-safe */
/* Forgets history and counters so the solver can be reused for a new problem of size n. */
void tide_lbfgs_reset(tide_lbfgs *s);
/* One reverse-communication step. x, *f, g: the point last evaluated (first call: the start
 * point). Returns a tide_lbfgs_status; on NEED_EVAL, x has been moved to the next trial. */
int tide_lbfgs_step(tide_lbfgs *s, double *x, double *f, double *g);
int tide_lbfgs_iterations(const tide_lbfgs *s);
int tide_lbfgs_evaluations(const tide_lbfgs *s);
const char *tide_lbfgs_status_name(int status);

/* Direct-call entry for C callers: fn returns f(x) and writes g. On return x holds the best
 * point, *fx its value. Returns a tide_lbfgs_status (never NEED_EVAL). */
typedef double (*tide_lbfgs_fn)(const double *x, double *g, int64_t n, void *ctx);
int tide_lbfgs_minimize(tide_lbfgs_fn fn, void *ctx, int64_t n, double *x, double *fx,
                        const tide_lbfgs_opts *opts);

#endif
