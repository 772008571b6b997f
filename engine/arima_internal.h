/* arima_internal.h — shared between arima.c and arima_ml.c, not part of the engine API. */
#ifndef TIDE_ARIMA_INTERNAL_H
#define TIDE_ARIMA_INTERNAL_H

/* diag(H^-1) of a K x K matrix (H destroyed); 0 if singular or a diagonal entry is <= 0. */
int tide_arima_inverse_diag(double *H, int K, double *diag);

#endif
