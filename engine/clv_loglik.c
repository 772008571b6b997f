/* clv_loglik.c — per-customer log-likelihoods of the BG/NBD, MBG/NBD, Pareto/NBD and
 * Gamma-Gamma models with analytic gradients in the natural parameters, summed over
 * customers (the loop over customers stays in C). The equations are those of the papers
 * cited in clv.h; each one is written in logs and combined with a shifted log-sum-exp so no
 * intermediate overflows when x is large. */
#include <math.h>

#include "clv.h"
#include "clv_internal.h"
#include "error.h"

static double dg(double x) { return tide_clv_digamma(x); }

/* BG/NBD (Fader, Hardie & Lee 2005, eq. 6) when e = 0; MBG/NBD (Batislam et al. 2007,
 * Wagner & Hoppe 2008) when e = 1:
 *   L = B(a, b+x+e)/B(a,b) G(r+x) a^r / (G(r) (alpha+T)^(r+x))
 *     + [x > 0 or e] B(a+1, b+x+e-1)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+tx)^(r+x))
 * written as ll = A1 + A2 + log(exp(A3) + exp(A4)). */
static double bg_one(const double *th, double x, double tx, double T, int e, double *g)
{
    double r = th[0], al = th[1], a = th[2], b = th[3];
    double A1 = lgamma(r + x) - lgamma(r) + r * log(al);
    double A2 = lgamma(a + b) + lgamma(b + x + e) - lgamma(b) - lgamma(a + b + x + e);
    double A3 = -(r + x) * log(al + T);
    int has4 = x > 0 || e;
    double A4 = has4 ? log(a) - log(b + x + e - 1) - (r + x) * log(al + tx) : -INFINITY;
    double M = A3 > A4 ? A3 : A4;
    double e3 = exp(A3 - M), e4 = has4 ? exp(A4 - M) : 0, s = e3 + e4;
    double w3 = e3 / s, w4 = e4 / s;
    if (g) {
        double psi_ab = dg(a + b), psi_abx = dg(a + b + x + e);
        g[0] = dg(r + x) - dg(r) + log(al) - w3 * log(al + T) - w4 * log(al + tx);
        g[1] = r / al - w3 * (r + x) / (al + T) - (has4 ? w4 * (r + x) / (al + tx) : 0);
        g[2] = psi_ab - psi_abx + (has4 ? w4 / a : 0);
        g[3] = psi_ab + dg(b + x + e) - dg(b) - psi_abx - (has4 ? w4 / (b + x + e - 1) : 0);
    }
    return A1 + A2 + M + log(s);
}

/* log 2F1 and d log 2F1 / d(a, b, c, z) */
static int log_f21(double a, double b, double c, double z, double *lf, double dl[4])
{
    double f, d[4];
    if (tide_clv_hyp2f1(a, b, c, z, &f, d)) return TIDE_ERR;
    if (!(f > 0)) return tide_errorf("hyp2f1(%g, %g; %g; %g) = %g is not positive", a, b, c, z, f);
    *lf = log(f);
    for (int i = 0; i < 4; i++) dl[i] = d[i] / f;
    return TIDE_OK;
}

/* Pareto/NBD (Fader & Hardie 2005 note, eqs. 22-24):
 *   L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0 ]
 *   A0 = F(z(tx)) / (m+tx)^(r+s+x) - F(z(T)) / (m+T)^(r+s+x), where for alpha >= beta
 *   m = alpha, F(z) = 2F1(r+s+x, s+1; r+s+x+1; z), z(t) = (alpha-beta)/(alpha+t); else
 *   m = beta, F(z) = 2F1(r+s+x, r+x; r+s+x+1; z), z(t) = (beta-alpha)/(beta+t).
 * Choosing the larger of alpha/beta keeps 0 <= z < 1, so the series converges (the note's
 * own recommendation). palive (may be NULL) gets the first bracket term over the bracket,
 * i.e. P(alive | x, tx, T) (note eq. 18 rewritten with the same pieces). */
static int pnbd_one(const double *th, double x, double tx, double T, double *ll, double *g, double *palive)
{
    double r = th[0], al = th[1], s = th[2], be = th[3];
    double A = r + s + x, c = A + 1;
    int abig = al >= be;
    double m = abig ? al : be, bb = abig ? s + 1 : r + x;
    double z1 = fabs(al - be) / (m + tx), z2 = fabs(al - be) / (m + T);
    double lf1 = 0, lf2 = 0, d1[4] = {0}, d2[4] = {0};
    if (log_f21(A, bb, c, z1, &lf1, d1) || log_f21(A, bb, c, z2, &lf2, d2)) return TIDE_ERR;
    double L1 = -(r + x) * log(al + T) - s * log(be + T);
    double L2 = lf1 - A * log(m + tx), L3 = lf2 - A * log(m + T);
    double k = s / A;
    double M = L1 > L2 ? L1 : L2;
    double e1 = exp(L1 - M), e2 = exp(L2 - M), e3 = exp(L3 - M);
    double B = e1 + k * (e2 - e3); /* A0 >= 0 (an integral of a positive density) */
    if (!(B > 0)) return tide_errorf("paretonbd: likelihood underflows for x=%g tx=%g T=%g", x, tx, T);
    *ll = lgamma(r + x) - lgamma(r) + r * log(al) + s * log(be) + M + log(B);
    if (palive) *palive = e1 / B;
    if (!g) return TIDE_OK;
    /* d L2 / d theta through a = A (dA/dr = dA/ds = 1), b, c = A + 1, z and the power */
    double dL2[4], dL3[4];
    const double *dd[2] = {d1, d2};
    double *out[2] = {dL2, dL3};
    double tt[2] = {tx, T};
    for (int j = 0; j < 2; j++) {
        const double *d = dd[j];
        double lm = log(m + tt[j]), u = m + tt[j];
        double via_ac = d[0] + d[2];
        if (abig) { /* b = s + 1, z = (alpha - beta)/(alpha + t) */
            out[j][0] = via_ac - lm;
            out[j][2] = via_ac + d[1] - lm;
            out[j][1] = d[3] * (be + tt[j]) / (u * u) - A / u;
            out[j][3] = -d[3] / u;
        } else {    /* b = r + x, z = (beta - alpha)/(beta + t) */
            out[j][0] = via_ac + d[1] - lm;
            out[j][2] = via_ac - lm;
            out[j][1] = -d[3] / u;
            out[j][3] = d[3] * (al + tt[j]) / (u * u) - A / u;
        }
    }
    double dL1[4] = {-log(al + T), -(r + x) / (al + T), -log(be + T), -s / (be + T)};
    double dk[4] = {-s / (A * A), 0, (r + x) / (A * A), 0};
    double pre[4] = {dg(r + x) - dg(r) + log(al), r / al, log(be), s / be};
    for (int i = 0; i < 4; i++)
        g[i] = pre[i] + (e1 * dL1[i] + dk[i] * (e2 - e3) + k * (e2 * dL2[i] - e3 * dL3[i])) / B;
    return TIDE_OK;
}

/* Gamma-Gamma (Fader & Hardie 2013 note, eq. 4): mean spend m over x repeat transactions,
 *   f(m | p, q, g, x) = G(px+q) / (G(px) G(q)) g^q m^(px-1) x^(px) / (g + x m)^(px+q) */
static double gg_one(const double *th, double x, double mv, double *g)
{
    double p = th[0], q = th[1], ga = th[2], px = p * x;
    double lgm = log(ga + x * mv);
    if (g) {
        double psi = dg(px + q);
        g[0] = x * (psi - dg(px) + log(mv) + log(x) - lgm);
        g[1] = psi - dg(q) + log(ga) - lgm;
        g[2] = q / ga - (px + q) / (ga + x * mv);
    }
    return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(ga) + (px - 1) * log(mv) + px * log(x) - (px + q) * lgm;
}

int tide_clv_loglik(tide_clv_model mdl, const double *theta, const tide_clv_data *d, double *ll, double *grad)
{
    int P = tide_clv_nparams(mdl);
    for (int i = 0; i < P; i++)
        if (!(theta[i] > 0) || !isfinite(theta[i]))
            return tide_errorf("%s: parameter %s = %g must be finite and > 0", tide_clv_name(mdl),
                               tide_clv_param_name(mdl, i), theta[i]);
    double sum = 0, gs[4] = {0, 0, 0, 0}, g[4];
    for (int64_t i = 0; i < d->n; i++) {
        double w = d->w ? d->w[i] : 1, li;
        if (w == 0) continue;
        switch (mdl) {
        case TIDE_CLV_BGNBD: li = bg_one(theta, d->x[i], d->tx[i], d->T[i], 0, grad ? g : NULL); break;
        case TIDE_CLV_MBGNBD: li = bg_one(theta, d->x[i], d->tx[i], d->T[i], 1, grad ? g : NULL); break;
        case TIDE_CLV_PARETONBD:
            if (pnbd_one(theta, d->x[i], d->tx[i], d->T[i], &li, grad ? g : NULL, NULL)) {
                tide_error_prefix("paretonbd");
                return TIDE_ERR;
            }
            break;
        default:
            if (d->x[i] == 0) continue;
            li = gg_one(theta, d->x[i], d->tx[i], grad ? g : NULL);
        }
        sum += w * li;
        if (grad)
            for (int j = 0; j < P; j++) gs[j] += w * g[j];
    }
    *ll = sum;
    if (grad)
        for (int j = 0; j < P; j++) grad[j] = gs[j];
    if (!isfinite(sum)) return tide_errorf("%s: log-likelihood is not finite at these parameters", tide_clv_name(mdl));
    return TIDE_OK;
}

/* P(alive) of a Pareto/NBD customer, shared with clv_predict.c. */
int tide_clv_pnbd_palive(const double *th, double x, double tx, double T, double *p)
{
    double ll;
    return pnbd_one(th, x, tx, T, &ll, NULL, p);
}
