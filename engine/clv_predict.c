/* clv_predict.c — per-customer predictions of the fitted customer-base models: probability
 * of being alive, expected repeat purchases in a future window (conditional on the history,
 * or for a new customer), and the Gamma-Gamma expected spend per transaction. Formulas and
 * their sources are given next to each case. */
#include <math.h>

#include "clv.h"
#include "clv_internal.h"
#include "error.h"

/* 1 / (1 + a/(b + x + e - 1) ((alpha+T)/(alpha+tx))^(r+x)); the term is absent for BG/NBD
 * customers with x = 0 (they cannot have died before buying again). */
static double bg_palive(const double *th, double x, double tx, double T, int e)
{
    double r = th[0], al = th[1], a = th[2], b = th[3];
    if (!e && x == 0) return 1;
    double lt = log(a) - log(b + x + e - 1) + (r + x) * (log(al + T) - log(al + tx));
    return 1 / (1 + exp(lt));
}

/* [(a+b+x+e-1)/(a-1)] [1 - ((al+T)/(al+T+t))^(r+x) 2F1(r+x, b+x+e; a+b+x+e-1; t/(al+T+t))]
 *   * P(alive): BG/NBD eq. 10 of Fader, Hardie & Lee (2005) for e = 0; the MBG/NBD version of
 * Wagner & Hoppe (2008) for e = 1. For a new customer (x = 0, T = 0, no P(alive) factor):
 * E[X(t)] = (a+b-1)/(a-1) [1 - (al/(al+t))^r 2F1(r, b; a+b-1; t/(al+t))] (FHL eq. 9), and
 * for MBG/NBD b/(a-1) [1 - (al/(al+t))^r 2F1(r, b+1; a+b; t/(al+t))]. */
static int bg_cond(const double *th, double t, double x, double tx, double T, int e, int uncond, double *out)
{
    double r = th[0], al = th[1], a = th[2], b = th[3], f;
    if (uncond) {
        if (tide_clv_hyp2f1(r, b + e, a + b + e - 1, t / (al + t), &f, NULL)) return TIDE_ERR;
        double lead = e ? b / (a - 1) : (a + b - 1) / (a - 1);
        *out = lead * (1 - pow(al / (al + t), r) * f);
        return TIDE_OK;
    }
    if (tide_clv_hyp2f1(r + x, b + x + e, a + b + x + e - 1, t / (al + T + t), &f, NULL)) return TIDE_ERR;
    double lead = (a + b + x + e - 1) / (a - 1);
    *out = lead * (1 - pow((al + T) / (al + T + t), r + x) * f) * bg_palive(th, x, tx, T, e);
    return TIDE_OK;
}

/* Pareto/NBD (Fader & Hardie 2005 note, eqs. 17 and 25; Schmittlein et al. 1987):
 *   E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]
 *   E[Y(t) | x, tx, T] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
 *                        * P(alive)
 * with the s -> 1 limit (beta+T) log((beta+T+t)/(beta+T)) written out. */
static double pnbd_window(double s, double be, double t)
{
    if (fabs(s - 1) < 1e-9) return be * log1p(t / be);
    return be / (s - 1) * -expm1((s - 1) * log(be / (be + t)));
}

int tide_clv_predict(tide_clv_model m, tide_clv_quantity q, const double *th, const double *t, int64_t nt,
                     const tide_clv_data *d, double *out)
{
    int P = tide_clv_nparams(m);
    for (int i = 0; i < P; i++)
        if (!(th[i] > 0) || !isfinite(th[i]))
            return tide_errorf("%s: parameter %s = %g must be finite and > 0", tide_clv_name(m), tide_clv_param_name(m, i), th[i]);
    if ((m == TIDE_CLV_GAMMAGAMMA) != (q == TIDE_CLV_COND_VALUE))
        return tide_errorf("%s: this prediction is not defined for this model", tide_clv_name(m));
    if (q == TIDE_CLV_COND_EXPECTED || q == TIDE_CLV_EXPECTED) {
        if (nt != 1 && nt != d->n) return tide_errorf("%s: %lld horizons for %lld customers", tide_clv_name(m), (long long)nt, (long long)d->n);
        for (int64_t i = 0; i < nt; i++)
            if (!(t[i] >= 0) || !isfinite(t[i])) return tide_errorf("%s: horizon %g must be finite and >= 0", tide_clv_name(m), t[i]);
    }
    for (int64_t i = 0; i < d->n; i++) {
        double ti = (q == TIDE_CLV_COND_EXPECTED || q == TIDE_CLV_EXPECTED) ? t[nt == 1 ? 0 : i] : 0;
        int uncond = q == TIDE_CLV_EXPECTED;
        double x = uncond ? 0 : d->x[i], tx = uncond ? 0 : d->tx[i], T = uncond || !d->T ? 0 : d->T[i];
        int e = m == TIDE_CLV_MBGNBD;
        switch (m) {
        case TIDE_CLV_BGNBD:
        case TIDE_CLV_MBGNBD:
            if (q == TIDE_CLV_P_ALIVE) out[i] = bg_palive(th, x, tx, T, e);
            else if (bg_cond(th, ti, x, tx, T, e, uncond, &out[i])) goto fail;
            break;
        case TIDE_CLV_PARETONBD: {
            double r = th[0], al = th[1], s = th[2], be = th[3], pa = 1;
            if (q == TIDE_CLV_EXPECTED) {
                out[i] = r / al * pnbd_window(s, be, ti);
                break;
            }
            if (tide_clv_pnbd_palive(th, x, tx, T, &pa)) goto fail;
            out[i] = q == TIDE_CLV_P_ALIVE ? pa : (r + x) / (al + T) * pnbd_window(s, be + T, ti) * pa;
            break;
        }
        default: { /* Gamma-Gamma (Fader & Hardie 2013, eq. 5): E[Z | p, q, g, m, x] =
                    * (p (g + x m)) / (p x + q - 1); with x = 0 the population mean p g / (q - 1) */
            double p = th[0], qq = th[1], ga = th[2], x0 = d->x[i], mv = x0 > 0 ? d->tx[i] : 0;
            if (qq <= 1) return tide_errorf("gammagamma: q = %g <= 1: the mean spend is infinite", qq);
            out[i] = p * (ga + x0 * mv) / (p * x0 + qq - 1);
        }
        }
        continue;
    fail:
        tide_error_prefix(tide_clv_name(m));
        return TIDE_ERR;
    }
    return TIDE_OK;
}
