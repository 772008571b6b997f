/* lbfgs.c — L-BFGS (Nocedal & Wright Alg. 7.4/7.5) with a strong-Wolfe line search
 * (Alg. 3.5 bracketing + Alg. 3.6 zoom, cubic interpolation eq. 3.59), written as a state
 * machine so the caller evaluates the objective (reverse communication, see lbfgs.h). */
#include "lbfgs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

enum { PH_START, PH_BRACKET, PH_ZOOM, PH_FINAL, PH_DONE };

struct tide_lbfgs {
    int64_t n;
    tide_lbfgs_opts o;
    double *x0, *g0, *d;   /* accepted point, its gradient, search direction */
    double *S, *Y, *rho;   /* history: m pairs of n, ring buffer */
    double *al;            /* two-loop scratch [m] */
    double f0, dg0;
    double fscale;         /* max(1, |f| at the start point): scale of the gradient test */
    int k, head;           /* stored pairs, next slot */
    int phase, ls_evals, iter, evals, retried;
    double a, a_prev, f_prev, dg_prev;
    double a_lo, f_lo, dg_lo, a_hi, f_hi, dg_hi;
};

void tide_lbfgs_default_opts(tide_lbfgs_opts *o)
{
    o->m = 8;
    o->max_iter = 200;
    o->max_evals = 0; /* 0: 20 * max_iter */
    o->gtol = 1e-6;
    o->ftol = 1e-12;
    o->c1 = 1e-4;
    o->c2 = 0.9;
    o->max_step = 1e10;
}

tide_lbfgs *tide_lbfgs_new(int64_t n, const tide_lbfgs_opts *opts)
{
    tide_lbfgs_opts o;
    if (opts) o = *opts; else tide_lbfgs_default_opts(&o);
    if (n <= 0) { tide_errorf("lbfgs: need at least one variable, got %lld", (long long)n); return NULL; }
    if (o.m < 1 || o.max_iter < 1 || !(o.c1 > 0 && o.c1 < o.c2 && o.c2 < 1) || !(o.gtol >= 0) ||
        !(o.ftol >= 0) || !(o.max_step > 0)) {
        tide_errorf("lbfgs: bad options (m=%d max_iter=%d c1=%g c2=%g gtol=%g ftol=%g); need "
                    "m>=1, max_iter>=1, 0<c1<c2<1, tolerances >= 0", o.m, o.max_iter, o.c1, o.c2,
                    o.gtol, o.ftol);
        return NULL;
    }
    if (o.max_evals <= 0) o.max_evals = 20 * o.max_iter;
    tide_lbfgs *s = calloc(1, sizeof *s);
    size_t nn = (size_t)n;
    if (s) {
        s->x0 = malloc(nn * sizeof(double));
        s->g0 = malloc(nn * sizeof(double));
        s->d = malloc(nn * sizeof(double));
        s->S = malloc(nn * (size_t)o.m * sizeof(double));
        s->Y = malloc(nn * (size_t)o.m * sizeof(double));
        s->rho = malloc((size_t)o.m * sizeof(double));
        s->al = malloc((size_t)o.m * sizeof(double));
    }
    if (!s || !s->x0 || !s->g0 || !s->d || !s->S || !s->Y || !s->rho || !s->al) {
        tide_lbfgs_free(s);
        tide_errorf("lbfgs: out of memory for %lld variables", (long long)n);
        return NULL;
    }
    s->n = n;
    s->o = o;
    tide_lbfgs_reset(s);
    return s;
}

void tide_lbfgs_free(tide_lbfgs *s)
{
    if (!s) return;
    free(s->x0); free(s->g0); free(s->d); free(s->S); free(s->Y); free(s->rho); free(s->al);
    free(s);
}

void tide_lbfgs_reset(tide_lbfgs *s)
{
    s->k = s->head = 0;
    s->phase = PH_START;
    s->ls_evals = s->iter = s->evals = s->retried = 0;
}

int tide_lbfgs_iterations(const tide_lbfgs *s) { return s->iter; }
int tide_lbfgs_evaluations(const tide_lbfgs *s) { return s->evals; }

const char *tide_lbfgs_status_name(int st)
{
    switch (st) {
    case TIDE_LBFGS_NEED_EVAL: return "need_eval";
    case TIDE_LBFGS_CONVERGED: return "converged";
    case TIDE_LBFGS_MAXITER: return "max_iter";
    case TIDE_LBFGS_ELINESEARCH: return "line_search_failed";
    case TIDE_LBFGS_ENONFINITE: return "non_finite_start";
    case TIDE_LBFGS_EARG: return "bad_arguments";
    default: return "unknown";
    }
}

static double norm_inf(const double *v, int64_t n);

/* Gradient test ||g||_inf <= gtol * scale, the scale being |f| capped by |f| at the start:
 * scaling by the current |f| alone let an unbounded objective (f -> -inf, e.g. a likelihood
 * whose rate runs off to 0) pass for converged once |f| had grown large enough. */
static int grad_small(const struct tide_lbfgs *s, const double *g, double f)
{
    return norm_inf(g, s->n) <= s->o.gtol * fmax(1.0, fmin(fabs(f), s->fscale));
}

static double dot(const double *a, const double *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double norm_inf(const double *a, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

static int all_finite(const double *a, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(a[i])) return 0;
    return 1;
}

static void set_trial(tide_lbfgs *s, double *x)
{
    for (int64_t i = 0; i < s->n; i++) x[i] = s->x0[i] + s->a * s->d[i];
}

/* Puts the solver back at the last accepted point and reports `st`. */
static int finish(tide_lbfgs *s, double *x, double *f, double *g, int st)
{
    memcpy(x, s->x0, (size_t)s->n * sizeof(double));
    memcpy(g, s->g0, (size_t)s->n * sizeof(double));
    *f = s->f0;
    s->phase = PH_DONE;
    return st;
}

/* Starts a line search along s->d from x0 with first trial a_init. */
static int begin_ls(tide_lbfgs *s, double *x, double a_init)
{
    int64_t n = s->n;
    s->dg0 = dot(s->g0, s->d, n);
    if (!(s->dg0 < 0)) { /* not a descent direction (curvature info went stale): restart */
        s->k = s->head = 0;
        for (int64_t i = 0; i < n; i++) s->d[i] = -s->g0[i];
        s->dg0 = -dot(s->g0, s->g0, n);
        a_init = 1.0 / fmax(sqrt(-s->dg0), 1e-300);
        if (a_init > 1) a_init = 1;
    }
    double dn = norm_inf(s->d, n);
    if (a_init * dn > s->o.max_step) a_init = s->o.max_step / dn;
    s->a = a_init;
    s->a_prev = 0;
    s->f_prev = s->f0;
    s->dg_prev = s->dg0;
    s->ls_evals = 0;
    s->phase = PH_BRACKET;
    set_trial(s, x);
    return TIDE_LBFGS_NEED_EVAL;
}

/* Two-loop recursion (N&W Alg. 7.4): d = -H g0, with H0 = (s'y / y'y) I. */
static void direction(tide_lbfgs *s)
{
    int64_t n = s->n;
    int m = s->o.m;
    double *q = s->d;
    for (int64_t i = 0; i < n; i++) q[i] = s->g0[i];
    for (int j = 0; j < s->k; j++) {
        int idx = (s->head - 1 - j + m) % m;
        s->al[idx] = s->rho[idx] * dot(s->S + (size_t)idx * n, q, n);
        const double *y = s->Y + (size_t)idx * n;
        for (int64_t i = 0; i < n; i++) q[i] -= s->al[idx] * y[i];
    }
    if (s->k > 0) {
        int last = (s->head - 1 + m) % m;
        const double *y = s->Y + (size_t)last * n;
        double gamma = 1.0 / (s->rho[last] * dot(y, y, n));
        for (int64_t i = 0; i < n; i++) q[i] *= gamma;
    }
    for (int j = s->k - 1; j >= 0; j--) {
        int idx = (s->head - 1 - j + m) % m;
        const double *y = s->Y + (size_t)idx * n, *sv = s->S + (size_t)idx * n;
        double b = s->rho[idx] * dot(y, q, n);
        for (int64_t i = 0; i < n; i++) q[i] += sv[i] * (s->al[idx] - b);
    }
    for (int64_t i = 0; i < n; i++) q[i] = -q[i];
}

/* The trial point (x, f, g) satisfies the Wolfe conditions: store the pair, test convergence,
 * then start the next line search. */
static int accept(tide_lbfgs *s, double *x, double *f, double *g)
{
    int64_t n = s->n;
    int m = s->o.m;
    double *sv = s->S + (size_t)s->head * n, *y = s->Y + (size_t)s->head * n;
    for (int64_t i = 0; i < n; i++) {
        sv[i] = x[i] - s->x0[i];
        y[i] = g[i] - s->g0[i];
    }
    double sy = dot(sv, y, n), yy = dot(y, y, n);
    if (sy > 1e-12 * yy && yy > 0) { /* keep H positive definite: skip pairs without curvature */
        s->rho[s->head] = 1.0 / sy;
        s->head = (s->head + 1) % m;
        if (s->k < m) s->k++;
    }
    double fold = s->f0;
    memcpy(s->x0, x, (size_t)n * sizeof(double));
    memcpy(s->g0, g, (size_t)n * sizeof(double));
    s->f0 = *f;
    s->iter++;
    s->retried = 0;
    if (grad_small(s, g, *f)) return finish(s, x, f, g, TIDE_LBFGS_CONVERGED);
    if (fold - *f <= s->o.ftol * fmax(fmax(fabs(fold), fabs(*f)), 1.0))
        return finish(s, x, f, g, TIDE_LBFGS_CONVERGED);
    if (s->iter >= s->o.max_iter || s->evals >= s->o.max_evals) return finish(s, x, f, g, TIDE_LBFGS_MAXITER);
    direction(s);
    return begin_ls(s, x, 1.0);
}

/* Next zoom trial: cubic interpolation (N&W eq. 3.59) kept inside the middle 80% of the
 * bracket, bisection when the cubic is unusable (infinite f_hi, complex roots). */
static double zoom_trial(const tide_lbfgs *s)
{
    double lo = s->a_lo, hi = s->a_hi, a = 0.5 * (lo + hi);
    if (isfinite(s->f_hi) && isfinite(s->dg_hi)) {
        double d1 = s->dg_lo + s->dg_hi - 3 * (s->f_lo - s->f_hi) / (lo - hi);
        double disc = d1 * d1 - s->dg_lo * s->dg_hi;
        if (disc >= 0) {
            double d2 = (hi > lo ? 1 : -1) * sqrt(disc);
            double den = s->dg_hi - s->dg_lo + 2 * d2;
            if (den != 0) {
                double c = hi - (hi - lo) * (s->dg_hi + d2 - d1) / den;
                double w = fabs(hi - lo), mn = fmin(lo, hi), mx = fmax(lo, hi);
                if (isfinite(c) && c >= mn + 0.1 * w && c <= mx - 0.1 * w) a = c;
            }
        }
    }
    return a;
}

/* The zoom bracket has collapsed: settle for a_lo (it satisfies sufficient decrease), or
 * retry once along steepest descent, or give up at x0. */
static int ls_fallback(tide_lbfgs *s, double *x, double *f, double *g)
{
    if (s->a_lo > 0 && s->f_lo < s->f0) {
        s->a = s->a_lo;
        s->phase = PH_FINAL;
        set_trial(s, x);
        return TIDE_LBFGS_NEED_EVAL;
    }
    if (!s->retried && s->k > 0) {
        s->retried = 1;
        s->k = s->head = 0;
        for (int64_t i = 0; i < s->n; i++) s->d[i] = -s->g0[i];
        return begin_ls(s, x, fmin(1.0, 1.0 / fmax(norm_inf(s->g0, s->n), 1e-300)));
    }
    /* a gradient at the resolution limit of f is as converged as this problem gets */
    return finish(s, x, f, g, TIDE_LBFGS_ELINESEARCH);
}

int tide_lbfgs_step(tide_lbfgs *s, double *x, double *f, double *g)
{
    int64_t n = s->n;
    if (s->phase == PH_DONE) return tide_errorf("lbfgs: step called after the solver stopped"), TIDE_LBFGS_EARG;
    s->evals++;
    int ok = isfinite(*f) && all_finite(g, n);
    if (s->phase == PH_START) {
        if (!ok) {
            s->phase = PH_DONE;
            tide_errorf("lbfgs: objective or gradient not finite at the start point (f=%g)", *f);
            return TIDE_LBFGS_ENONFINITE;
        }
        memcpy(s->x0, x, (size_t)n * sizeof(double));
        memcpy(s->g0, g, (size_t)n * sizeof(double));
        s->f0 = *f;
        s->fscale = fmax(1.0, fabs(*f));
        if (grad_small(s, g, *f)) return finish(s, x, f, g, TIDE_LBFGS_CONVERGED);
        for (int64_t i = 0; i < n; i++) s->d[i] = -g[i];
        return begin_ls(s, x, fmin(1.0, 1.0 / sqrt(dot(g, g, n))));
    }
    if (s->phase == PH_FINAL) {
        if (ok && *f < s->f0) return accept(s, x, f, g);
        return finish(s, x, f, g, TIDE_LBFGS_ELINESEARCH);
    }
    s->ls_evals++;
    double a = s->a, fa = ok ? *f : INFINITY, dga = ok ? dot(g, s->d, n) : NAN;
    int armijo_fail = !ok || fa > s->f0 + s->o.c1 * a * s->dg0;
    if (s->evals >= s->o.max_evals) {
        if (!armijo_fail && fa < s->f0) return accept(s, x, f, g); /* accept() stops on budget */
        return finish(s, x, f, g, TIDE_LBFGS_MAXITER);
    }
    if (s->phase == PH_BRACKET) {
        if (armijo_fail || (s->ls_evals > 1 && fa >= s->f_prev)) {
            s->a_lo = s->a_prev; s->f_lo = s->f_prev; s->dg_lo = s->dg_prev;
            s->a_hi = a; s->f_hi = fa; s->dg_hi = dga;
        } else if (fabs(dga) <= -s->o.c2 * s->dg0) {
            return accept(s, x, f, g);
        } else if (dga >= 0) {
            s->a_lo = a; s->f_lo = fa; s->dg_lo = dga;
            s->a_hi = s->a_prev; s->f_hi = s->f_prev; s->dg_hi = s->dg_prev;
        } else {
            double amax = s->o.max_step / fmax(norm_inf(s->d, n), 1e-300);
            if (a >= amax || s->ls_evals >= 40) return accept(s, x, f, g); /* decreasing, capped */
            s->a_prev = a; s->f_prev = fa; s->dg_prev = dga;
            s->a = fmin(4 * a, amax);
            set_trial(s, x);
            return TIDE_LBFGS_NEED_EVAL;
        }
        s->phase = PH_ZOOM;
    } else { /* PH_ZOOM */
        if (armijo_fail || fa >= s->f_lo) {
            s->a_hi = a; s->f_hi = fa; s->dg_hi = dga;
        } else {
            if (fabs(dga) <= -s->o.c2 * s->dg0) return accept(s, x, f, g);
            if (dga * (s->a_hi - s->a_lo) >= 0) {
                s->a_hi = s->a_lo; s->f_hi = s->f_lo; s->dg_hi = s->dg_lo;
            }
            s->a_lo = a; s->f_lo = fa; s->dg_lo = dga;
        }
    }
    if (fabs(s->a_hi - s->a_lo) <= 1e-14 * fmax(s->a_lo, s->a_hi) || s->ls_evals >= 40)
        return ls_fallback(s, x, f, g);
    s->a = zoom_trial(s);
    set_trial(s, x);
    return TIDE_LBFGS_NEED_EVAL;
}

int tide_lbfgs_minimize(tide_lbfgs_fn fn, void *ctx, int64_t n, double *x, double *fx,
                        const tide_lbfgs_opts *opts)
{
    tide_lbfgs *s = tide_lbfgs_new(n, opts);
    if (!s) return TIDE_LBFGS_EARG;
    double *g = malloc((size_t)n * sizeof(double));
    if (!g) {
        tide_lbfgs_free(s);
        tide_errorf("lbfgs: out of memory");
        return TIDE_LBFGS_EARG;
    }
    double f = fn(x, g, n, ctx);
    int rc;
    while ((rc = tide_lbfgs_step(s, x, &f, g)) == TIDE_LBFGS_NEED_EVAL) f = fn(x, g, n, ctx);
    if (fx) *fx = f;
    free(g);
    tide_lbfgs_free(s);
    return rc;
}
