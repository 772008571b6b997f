/* glm_logistic.c — the logistic log-likelihood, its gradient and Hessian, and prediction, in
 * double precision over f32 data (contracts in glm.h).
 *
 * Rows are processed in blocks: a block of X is standardised into a double buffer Z whose first
 * column is the constant 1, then BLAS does the products (eta = Z beta, g += Z' r,
 * H += Z' diag(v) Z via dsyrk on sqrt(v)-scaled rows). Standardising before accumulating keeps
 * the sums well conditioned even when a feature's mean is large against its spread, and a
 * block never holds more than a few MB whatever n is. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "glm.h"

/* rows per block: about 1 MB of doubles, at least 16 rows */
static int64_t block_rows(int64_t p)
{
    int64_t b = (int64_t)(1 << 17) / (p > 0 ? p : 1);
    return b < 16 ? 16 : b > 512 ? 512 : b;
}

/* Z [rows, p] = [1, (x - mean) / sd] for rows r0 .. r0 + rows - 1 */
static void standardise(int64_t r0, int64_t rows, int64_t d, const float *X, const double *mean, const double *sd,
                        double *Z)
{
    for (int64_t i = 0; i < rows; i++) {
        const float *x = X + (r0 + i) * d;
        double *z = Z + i * (d + 1);
        z[0] = 1;
        for (int64_t j = 0; j < d; j++) z[j + 1] = ((double)x[j] - mean[j]) / sd[j];
    }
}

/* log(1 + e^eta) without overflow */
static double softplus(double eta)
{
    return eta > 0 ? eta + log1p(exp(-eta)) : log1p(exp(eta));
}

static double sigmoid(double eta)
{
    if (eta >= 0) return 1 / (1 + exp(-eta));
    double e = exp(eta);
    return e / (1 + e);
}

double tide_glm_objective(int64_t n, int64_t d, const float *X, const float *t, const float *w, const double *mean,
                          const double *sd, double l2, const double *beta, double *g, double *H)
{
    int64_t p = d + 1, B = block_rows(p);
    double *Z = malloc((size_t)(B * p + 2 * B) * sizeof(double));
    if (!Z) return NAN;
    double *eta = Z + B * p, *r = eta + B;
    if (g) memset(g, 0, (size_t)p * sizeof(double));
    if (H) memset(H, 0, (size_t)(p * p) * sizeof(double));
    double f = 0;
    for (int64_t r0 = 0; r0 < n; r0 += B) {
        int64_t rows = n - r0 < B ? n - r0 : B;
        standardise(r0, rows, d, X, mean, sd, Z);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)p, 1.0, Z, (int)p, beta, 1, 0.0, eta, 1);
        for (int64_t i = 0; i < rows; i++) {
            double wi = w ? w[r0 + i] : 1, ti = t[r0 + i], pi = sigmoid(eta[i]);
            f += wi * (softplus(eta[i]) - ti * eta[i]);
            r[i] = wi * (pi - ti);
            eta[i] = sqrt(wi * pi * (1 - pi)); /* reused: square root of the IRLS weight */
        }
        if (g) cblas_dgemv(CblasRowMajor, CblasTrans, (int)rows, (int)p, 1.0, Z, (int)p, r, 1, 1.0, g, 1);
        if (H) {
            for (int64_t i = 0; i < rows; i++) cblas_dscal((int)p, eta[i], Z + i * p, 1);
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)rows, 1.0, Z, (int)p, 1.0, H, (int)p);
        }
    }
    free(Z);
    for (int64_t j = 1; j < p; j++) {
        f += 0.5 * l2 * beta[j] * beta[j];
        if (g) g[j] += l2 * beta[j];
        if (H) H[j * p + j] += l2;
    }
    if (H) /* dsyrk filled the upper triangle */
        for (int64_t a = 0; a < p; a++)
            for (int64_t b = 0; b < a; b++) H[a * p + b] = H[b * p + a];
    return f;
}

void tide_glm_predict(int64_t n, int64_t d, const float *X, const double *mean, const double *sd,
                      const double *beta, float *prob, float *contrib)
{
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        double eta = beta[0];
        for (int64_t j = 0; j < d; j++) {
            double c = beta[j + 1] * (((double)x[j] - mean[j]) / sd[j]);
            eta += c;
            if (contrib) contrib[i * d + j] = (float)c;
        }
        if (prob) prob[i] = (float)sigmoid(eta);
    }
}

int tide_glm_check_finite(int64_t n, int64_t d, const float *X, int64_t *row, int64_t *col)
{
    for (int64_t i = 0; i < n * d; i++)
        if (!isfinite(X[i])) {
            *row = i / d;
            *col = i % d;
            return 0;
        }
    return 1;
}
