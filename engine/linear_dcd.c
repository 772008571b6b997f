/* linear_dcd.c — dual coordinate descent for L2-regularised logistic regression (Yu, Huang &
 * Lin 2011, Algorithm 3/5) and the L2-loss linear SVM (Hsieh et al. 2008, Algorithm 1), on a
 * CSR matrix with an implicit constant bias feature. See linear.h for the objectives.
 *
 * Both keep w = sum_i alpha_i y_i x_i up to date, so one coordinate step costs one sparse dot
 * product and one sparse axpy. Coordinates are visited in a fresh random order each pass;
 * the pass stops the solve when the largest (projected) gradient of the dual falls below eps,
 * LIBLINEAR's stopping rule. */
#include <math.h>
#include <stdlib.h>

#include "linear.h"
#include "rng.h"

static double dot(const double *w, const int32_t *idx, const float *val, int64_t a, int64_t b,
                  int32_t dim)
{
    double s = w[dim]; /* bias feature, value 1 */
    for (int64_t k = a; k < b; k++) s += w[idx[k]] * val[k];
    return s;
}

static void axpy(double *w, double d, const int32_t *idx, const float *val, int64_t a, int64_t b,
                 int32_t dim)
{
    w[dim] += d;
    for (int64_t k = a; k < b; k++) w[idx[k]] += d * val[k];
}

static void shuffle(int64_t *ix, int64_t n, tide_rng *r)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)tide_rng_below(r, (uint64_t)i + 1), t = ix[i];
        ix[i] = ix[j];
        ix[j] = t;
    }
}

/* One coordinate of the LR dual: alpha_i and C - alpha_i are the pair (a1, a2) of Yu et al.;
 * min over z in (0, C) of z log z + (C - z) log(C - z) + a/2 (z - z0)^2 + sign b (z - z0),
 * solved by Newton steps kept inside (0, C). Returns |g'(z0)| (for the stopping rule). */
static double lr_step(double *alpha, double a, double b, double C, double innereps,
                      double *dz, int *newton)
{
    double *a1 = &alpha[0], *a2 = &alpha[1], sign = 1;
    if (0.5 * a * (*a2 - *a1) + b < 0) { a1 = &alpha[1]; a2 = &alpha[0]; sign = -1; }
    double z0 = *a1, z = z0;
    if (C - z < 0.5 * C) z *= 0.1;
    double gp = a * (z - z0) + sign * b + log(z / (C - z)), g0 = fabs(gp);
    int it = 0;
    while (it <= 100 && fabs(gp) >= innereps) {
        double gpp = a + C / (C - z) / z, t = z - gp / gpp;
        z = t <= 0 ? z * 0.1 : t;
        gp = a * (z - z0) + sign * b + log(z / (C - z));
        it++;
    }
    *newton += it;
    *dz = 0;
    if (it > 0) {
        *a1 = z;
        *a2 = C - z;
        *dz = sign * (z - z0); /* change of alpha_i (the first of the pair) */
    }
    return g0;
}

int tide_linear_dcd(const int64_t *off, const int32_t *idx, const float *val, int64_t n,
                    int32_t dim, const int32_t *y, const tide_linear_opts *o, double *w)
{
    if (n < 1) return tide_errorf("linear solver: no rows");
    if (dim < 1) return tide_errorf("linear solver: dim must be >= 1, got %d", dim);
    if (!(o->C > 0) || !isfinite(o->C)) return tide_errorf("linear solver: C must be > 0, got %g", o->C);
    if (!(o->eps > 0)) return tide_errorf("linear solver: eps must be > 0, got %g", o->eps);
    if (o->max_iter < 1) return tide_errorf("linear solver: max_iter must be >= 1, got %d", o->max_iter);
    if (o->loss != TIDE_LINEAR_LR && o->loss != TIDE_LINEAR_SVM)
        return tide_errorf("linear solver: unknown loss %d", (int)o->loss);
    for (int64_t i = 0; i < n; i++)
        if (y[i] != 0 && y[i] != 1)
            return tide_errorf("linear solver: label %lld is %d, expected 0 or 1", (long long)i + 1, y[i]);
    int lr = o->loss == TIDE_LINEAR_LR;
    double C = o->C;
    double *alpha = malloc((size_t)n * (lr ? 2 : 1) * sizeof *alpha);
    double *qii = malloc((size_t)n * sizeof *qii);
    int64_t *ix = malloc((size_t)n * sizeof *ix);
    if (!alpha || !qii || !ix) {
        free(alpha); free(qii); free(ix);
        return tide_errorf("linear solver: out of memory (%lld rows)", (long long)n);
    }
    for (int32_t j = 0; j <= dim; j++) w[j] = 0;
    /* SVM: D_ii = 1/(2C) enters the diagonal (Hsieh et al. sec. 2) */
    double dii = lr ? 0 : 0.5 / C;
    for (int64_t i = 0; i < n; i++) {
        double s = 1; /* the bias feature */
        for (int64_t k = off[i]; k < off[i + 1]; k++) s += (double)val[k] * val[k];
        qii[i] = s + dii;
        ix[i] = i;
        double yi = y[i] ? 1 : -1;
        if (lr) {
            /* LIBLINEAR's start: alpha strictly inside (0, C) */
            alpha[2 * i] = fmin(0.001 * C, 1e-8);
            alpha[2 * i + 1] = C - alpha[2 * i];
            axpy(w, yi * alpha[2 * i], idx, val, off[i], off[i + 1], dim);
        } else {
            alpha[i] = 0;
        }
    }
    tide_rng r;
    tide_rng_seed(&r, o->seed);
    double innereps = 1e-2, innereps_min = fmin(1e-8, o->eps);
    int iter = 0;
    while (iter < o->max_iter) {
        shuffle(ix, n, &r);
        double gmax = 0;
        int newton = 0;
        for (int64_t s = 0; s < n; s++) {
            int64_t i = ix[s];
            double yi = y[i] ? 1 : -1;
            double ywx = yi * dot(w, idx, val, off[i], off[i + 1], dim);
            double d;
            if (lr) {
                double g = lr_step(&alpha[2 * i], qii[i], ywx, C, innereps, &d, &newton);
                if (g > gmax) gmax = g;
            } else {
                double G = ywx - 1 + dii * alpha[i];
                double pg = alpha[i] == 0 ? fmin(G, 0) : G; /* no upper bound for L2 loss */
                if (fabs(pg) > gmax) gmax = fabs(pg);
                if (pg == 0) continue;
                double a0 = alpha[i];
                alpha[i] = fmax(a0 - G / qii[i], 0);
                d = alpha[i] - a0;
            }
            if (d != 0) axpy(w, d * yi, idx, val, off[i], off[i + 1], dim);
        }
        iter++;
        if (gmax < o->eps) break;
        if (lr && newton <= n / 10) innereps = fmax(innereps_min, 0.1 * innereps);
    }
    free(alpha); free(qii); free(ix);
    return iter;
}
