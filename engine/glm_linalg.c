/* glm_linalg.c — Cholesky factorisation, solve and inverse for the small symmetric
 * positive-definite systems of Newton's method and the standard errors (p = d + 1, at most a
 * few thousand). Plain loops: p^3/3 flops is negligible next to the n p^2 Hessian pass. */
#include <math.h>

#include "glm.h"

int tide_glm_cholesky(int64_t p, double *A)
{
    for (int64_t j = 0; j < p; j++) {
        double s = A[j * p + j];
        for (int64_t k = 0; k < j; k++) s -= A[j * p + k] * A[j * p + k];
        if (!(s > 0) || !isfinite(s)) return -1;
        double ljj = sqrt(s);
        A[j * p + j] = ljj;
        for (int64_t i = j + 1; i < p; i++) {
            double v = A[i * p + j];
            for (int64_t k = 0; k < j; k++) v -= A[i * p + k] * A[j * p + k];
            A[i * p + j] = v / ljj;
        }
    }
    for (int64_t i = 0; i < p; i++) /* clear the upper triangle so A is exactly L */
        for (int64_t j = i + 1; j < p; j++) A[i * p + j] = 0;
    return 0;
}

void tide_glm_chol_solve(int64_t p, const double *L, double *b)
{
    for (int64_t i = 0; i < p; i++) { /* L y = b */
        double s = b[i];
        for (int64_t k = 0; k < i; k++) s -= L[i * p + k] * b[k];
        b[i] = s / L[i * p + i];
    }
    for (int64_t i = p - 1; i >= 0; i--) { /* L' x = y */
        double s = b[i];
        for (int64_t k = i + 1; k < p; k++) s -= L[k * p + i] * b[k];
        b[i] = s / L[i * p + i];
    }
}

void tide_glm_chol_inverse(int64_t p, const double *L, double *inv)
{
    for (int64_t c = 0; c < p; c++) { /* column c of the inverse = solve(e_c) */
        double *col = inv + c * p;   /* written as row c: the inverse is symmetric */
        for (int64_t i = 0; i < p; i++) col[i] = i == c;
        tide_glm_chol_solve(p, L, col);
    }
}
