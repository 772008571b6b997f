/* clv_internal.h — pieces shared between the clv_*.c files, not part of the engine API. */
#ifndef TIDE_CLV_INTERNAL_H
#define TIDE_CLV_INTERNAL_H

/* Pareto/NBD P(alive | x, tx, T) from the likelihood's own terms (clv_loglik.c). */
int tide_clv_pnbd_palive(const double *theta, double x, double tx, double T, double *p);

#endif
