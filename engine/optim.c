/* optim.c — SGD/Adam/AdamW/Adagrad/RMSprop updates and global-norm clipping (see optim.h
 * for the rules). Each parameter is one flat loop over contiguous floats; per-step scalars
 * (bias corrections, decayed learning rates) are computed once in double. */
#include "optim.h"

#include <math.h>

/* GCC will not vectorise sqrtf without -fno-math-errno (it keeps a libm call for negative
 * arguments), so the square roots of the adaptive methods go through vsqrt, four lanes at a
 * time with SSE on x86-64 (sqrtps is exact, IEEE-rounded), a plain loop elsewhere. Measured:
 * Adam over 1M parameters 5.3 ms -> see tests/bench/bench_autograd.sh. */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* y[i] = 1 / (sqrt(x[i]) * scale + eps) */
static void inv_sqrt_den(float *restrict y, const float *restrict x, int64_t n, float scale, float eps)
{
    int64_t i = 0;
#if defined(__SSE2__)
    const __m128 vs = _mm_set1_ps(scale), ve = _mm_set1_ps(eps), one = _mm_set1_ps(1.0f);
    for (; i + 4 <= n; i += 4) {
        __m128 d = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(_mm_loadu_ps(x + i)), vs), ve);
        _mm_storeu_ps(y + i, _mm_div_ps(one, d));
    }
#endif
    for (; i < n; i++) y[i] = 1.0f / (sqrtf(x[i]) * scale + eps);
}

#define CHUNK 1024 /* scratch for inv_sqrt_den, on the stack */

static const char *names[] = {"sgd", "adam", "adamw", "adagrad", "rmsprop"};

const char *tide_opt_name(tide_opt_kind k) { return k < TIDE_OPT_COUNT ? names[k] : "?"; }

int tide_opt_nstate(const tide_opt_config *c)
{
    switch (c->kind) {
    case TIDE_OPT_ADAM:
    case TIDE_OPT_ADAMW: return 2;
    case TIDE_OPT_RMSPROP: return 3;
    case TIDE_OPT_SGD: return c->momentum > 0 ? 1 : 0;
    default: return 1;
    }
}

int tide_opt_validate(const tide_opt_config *c)
{
    const char *nm = tide_opt_name(c->kind);
    if (c->kind >= TIDE_OPT_COUNT) return tide_errorf("optim: unknown optimizer kind %d", c->kind);
    if (!(c->lr >= 0) || !isfinite(c->lr)) return tide_errorf("%s: lr must be >= 0, got %g", nm, c->lr);
    /* NaN fails every comparison and isfinite catches Inf: a NaN or infinite option would
     * otherwise turn every parameter into NaN on the first step */
    if (!(c->weight_decay >= 0) || !isfinite(c->weight_decay))
        return tide_errorf("%s: weight_decay must be finite and >= 0, got %g", nm, c->weight_decay);
    if (!(c->momentum >= 0) || !isfinite(c->momentum))
        return tide_errorf("%s: momentum must be finite and >= 0, got %g", nm, c->momentum);
    if (!(c->dampening >= 0 && c->dampening <= 1))
        return tide_errorf("%s: dampening must be in [0, 1], got %g", nm, c->dampening);
    if (!(c->lr_decay >= 0) || !isfinite(c->lr_decay))
        return tide_errorf("%s: lr_decay must be finite and >= 0, got %g", nm, c->lr_decay);
    if (c->kind == TIDE_OPT_SGD && c->nesterov && (c->momentum <= 0 || c->dampening != 0))
        return tide_errorf("sgd: nesterov needs momentum > 0 and dampening 0");
    if (c->kind == TIDE_OPT_ADAM || c->kind == TIDE_OPT_ADAMW) {
        if (!(c->beta1 >= 0 && c->beta1 < 1)) return tide_errorf("%s: beta1 must be in [0, 1), got %g", nm, c->beta1);
        if (!(c->beta2 >= 0 && c->beta2 < 1)) return tide_errorf("%s: beta2 must be in [0, 1), got %g", nm, c->beta2);
    }
    if (c->kind == TIDE_OPT_RMSPROP && !(c->alpha >= 0 && c->alpha <= 1))
        return tide_errorf("rmsprop: alpha must be in [0, 1], got %g", c->alpha);
    if (c->kind != TIDE_OPT_SGD && (!(c->eps > 0) || !isfinite(c->eps)))
        return tide_errorf("%s: eps must be finite and > 0, got %g", nm, c->eps);
    return TIDE_OK;
}

static int check_args(const tide_opt_config *c, int n, tide_tensor *const *params,
                      tide_tensor *const *grads, tide_tensor *const *state)
{
    char s1[96], s2[96];
    const char *nm = tide_opt_name(c->kind);
    int ns = tide_opt_nstate(c);
    for (int i = 0; i < n; i++) {
        tide_tensor *p = params[i], *g = grads[i];
        if (!p) return tide_errorf("%s: parameter %d is missing", nm, i + 1);
        if (p->dtype != TIDE_F32 || !tide_tensor_is_contiguous(p))
            return tide_errorf("%s: parameter %d must be a contiguous f32 tensor", nm, i + 1);
        if (!g) continue;
        if (g->dtype != TIDE_F32 || !tide_same_shape(p, g))
            return tide_errorf("%s: gradient %d is %s %s, parameter is f32 %s", nm, i + 1,
                               tide_dtype_name(g->dtype), tide_shape_str(g, s1, 96),
                               tide_shape_str(p, s2, 96));
        for (int k = 0; k < ns; k++) {
            tide_tensor *s = state[i * TIDE_OPTIM_NSTATE + k];
            if (!s || s->dtype != TIDE_F32 || !tide_tensor_is_contiguous(s) || !tide_same_shape(s, p))
                return tide_errorf("%s: state %d of parameter %d must be a contiguous f32 tensor "
                                   "of shape %s", nm, k + 1, i + 1, tide_shape_str(p, s2, 96));
        }
    }
    return TIDE_OK;
}

/* Kernels: restrict pointers and branch-free bodies (loop-invariant choices are folded into
 * coefficients) so GCC vectorises them. */
static void sgd(const tide_opt_config *c, int64_t len, float *restrict p,
                         const float *restrict g, float *restrict b, int64_t step)
{
    const float lr = (float)c->lr, wd = (float)c->weight_decay, mu = (float)c->momentum;
    if (mu <= 0) {
        for (int64_t i = 0; i < len; i++) p[i] -= lr * (g[i] + wd * p[i]);
        return;
    }
    /* b = keep * b + damp * g: at step 1 the buffer starts as g itself (PyTorch) */
    const float keep = step == 1 ? 0.0f : mu, damp = step == 1 ? 1.0f : (float)(1.0 - c->dampening);
    const float nest = c->nesterov ? 1.0f : 0.0f;
    for (int64_t i = 0; i < len; i++) {
        float gi = g[i] + wd * p[i];
        float bi = keep * b[i] + damp * gi;
        b[i] = bi;
        /* nesterov: g + mu b; classic: b */
        p[i] -= lr * (nest * (gi + mu * bi) + (1.0f - nest) * bi);
    }
}

static void adam(const tide_opt_config *c, int64_t len, float *restrict p,
                 const float *restrict g, float *restrict m, float *restrict v, int64_t step)
{
    const float b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    const double bc1 = 1.0 - pow(c->beta1, (double)step), bc2 = 1.0 - pow(c->beta2, (double)step);
    const float step_size = (float)(c->lr / bc1), rbc2 = (float)(1.0 / sqrt(bc2));
    const int decoupled = c->kind == TIDE_OPT_ADAMW;
    /* AdamW shrinks p first (decay < 1, no L2 term); Adam adds wd p to g (decay = 1) */
    const float l2 = decoupled ? 0.0f : (float)c->weight_decay;
    const float decay = decoupled ? (float)(1.0 - c->lr * c->weight_decay) : 1.0f;
    float den[CHUNK];
    for (int64_t o = 0; o < len; o += CHUNK) {
        int64_t n = len - o < CHUNK ? len - o : CHUNK;
        float *pp = p + o, *mm = m + o, *vv = v + o;
        const float *gg = g + o;
        for (int64_t i = 0; i < n; i++) {
            float pi = pp[i] * decay;
            float gi = gg[i] + l2 * pi;
            mm[i] = b1 * mm[i] + (1.0f - b1) * gi;
            vv[i] = b2 * vv[i] + (1.0f - b2) * gi * gi;
            pp[i] = pi;
        }
        inv_sqrt_den(den, vv, n, rbc2, eps);
        for (int64_t i = 0; i < n; i++) pp[i] -= step_size * mm[i] * den[i];
    }
}

static void adagrad(const tide_opt_config *c, int64_t len, float *restrict p,
                    const float *restrict g, float *restrict s, int64_t step)
{
    const float clr = (float)(c->lr / (1.0 + (double)(step - 1) * c->lr_decay));
    const float wd = (float)c->weight_decay, eps = (float)c->eps;
    float den[CHUNK], gs[CHUNK];
    for (int64_t o = 0; o < len; o += CHUNK) {
        int64_t n = len - o < CHUNK ? len - o : CHUNK;
        float *pp = p + o, *ss = s + o;
        const float *gg = g + o;
        for (int64_t i = 0; i < n; i++) {
            gs[i] = gg[i] + wd * pp[i];
            ss[i] += gs[i] * gs[i];
        }
        inv_sqrt_den(den, ss, n, 1.0f, eps);
        for (int64_t i = 0; i < n; i++) pp[i] -= clr * gs[i] * den[i];
    }
}

static void rmsprop(const tide_opt_config *c, int64_t len, float *restrict p,
                    const float *restrict g, float *restrict v, float *restrict b,
                    float *restrict ca)
{
    const float a = (float)c->alpha, lr = (float)c->lr, wd = (float)c->weight_decay;
    const float eps = (float)c->eps, mu = (float)c->momentum;
    const float cen = c->centered ? 1.0f : 0.0f;
    float den[CHUNK], gs[CHUNK], var[CHUNK];
    for (int64_t o = 0; o < len; o += CHUNK) {
        int64_t n = len - o < CHUNK ? len - o : CHUNK;
        float *pp = p + o, *vv = v + o, *bb = b + o, *cc = ca + o;
        const float *gg = g + o;
        for (int64_t i = 0; i < n; i++) {
            float gi = gg[i] + wd * pp[i];
            vv[i] = a * vv[i] + (1.0f - a) * gi * gi;
            cc[i] = a * cc[i] + (1.0f - a) * gi; /* running mean, used when centered */
            var[i] = vv[i] - cen * cc[i] * cc[i];
            gs[i] = gi;
        }
        inv_sqrt_den(den, var, n, 1.0f, eps);
        if (mu > 0)
            for (int64_t i = 0; i < n; i++) {
                bb[i] = mu * bb[i] + gs[i] * den[i];
                pp[i] -= lr * bb[i];
            }
        else
            for (int64_t i = 0; i < n; i++) pp[i] -= lr * gs[i] * den[i];
    }
}

int tide_optim_step(const tide_opt_config *c, int n, tide_tensor *const *params,
                    tide_tensor *const *grads, tide_tensor *const *state, int64_t step)
{
    if (tide_opt_validate(c) != TIDE_OK) return TIDE_ERR;
    if (step < 1) return tide_errorf("%s: step must be >= 1, got %lld", tide_opt_name(c->kind), (long long)step);
    if (check_args(c, n, params, grads, state) != TIDE_OK) return TIDE_ERR;
    for (int i = 0; i < n; i++) {
        if (!grads[i]) continue;
        tide_tensor *gc = tide_tensor_contiguous(grads[i]);
        if (!gc) return TIDE_ERR;
        tide_tensor *const *st = state + i * TIDE_OPTIM_NSTATE;
        /* parameter and state are written in place: autograd's version check sees it */
        tide_tensor_bump_version(params[i]);
        for (int k = 0; k < TIDE_OPTIM_NSTATE; k++)
            if (st[k]) tide_tensor_bump_version(st[k]);
        float *p = tide_f32(params[i]);
        const float *g = tide_f32(gc);
        int64_t len = tide_tensor_numel(params[i]);
        switch (c->kind) {
        case TIDE_OPT_SGD: sgd(c, len, p, g, st[0] ? tide_f32(st[0]) : NULL, step); break;
        case TIDE_OPT_ADAM:
        case TIDE_OPT_ADAMW: adam(c, len, p, g, tide_f32(st[0]), tide_f32(st[1]), step); break;
        case TIDE_OPT_ADAGRAD: adagrad(c, len, p, g, tide_f32(st[0]), step); break;
        case TIDE_OPT_RMSPROP:
            rmsprop(c, len, p, g, tide_f32(st[0]), tide_f32(st[1]), tide_f32(st[2]));
            break;
        default: break;
        }
        tide_tensor_release(gc);
    }
    return TIDE_OK;
}

/* sum of squares of x[0..len) in double, in 8 independent chains (one chain is bound by the
 * add latency: ~14 % of a SASRec training step went here with one) */
static double sum_squares(const float *x, int64_t len)
{
    double acc[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= len; j += 8)
        for (int z = 0; z < 8; z++) acc[z] += (double)x[j + z] * x[j + z];
    for (; j < len; j++) acc[0] += (double)x[j] * x[j];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

double tide_grad_norm(int n, tide_tensor *const *grads)
{
    double ss = 0;
    for (int i = 0; i < n; i++) {
        if (!grads[i]) continue;
        if (tide_tensor_is_contiguous(grads[i])) {
            ss += sum_squares(tide_f32(grads[i]), tide_tensor_numel(grads[i]));
            continue;
        }
        tide_iter it;
        tide_iter_init(&it, grads[i]);
        const float *base = (const float *)grads[i]->storage->data;
        int64_t len = tide_tensor_numel(grads[i]);
        for (int64_t j = 0; j < len; j++, tide_iter_next(&it)) {
            double v = base[it.pos];
            ss += v * v;
        }
    }
    return sqrt(ss);
}

int tide_clip_grad_norm(int n, tide_tensor *const *grads, double max_norm, double *norm)
{
    if (!(max_norm > 0)) return tide_errorf("clip_grad_norm: max_norm must be > 0, got %g", max_norm);
    for (int i = 0; i < n; i++)
        if (grads[i] && (grads[i]->dtype != TIDE_F32 || !tide_tensor_is_contiguous(grads[i])))
            return tide_errorf("clip_grad_norm: gradient %d must be a contiguous f32 tensor", i + 1);
    double total = tide_grad_norm(n, grads);
    if (norm) *norm = total;
    if (!(total > max_norm)) return TIDE_OK; /* also leaves NaN norms alone: caller sees them */
    float scale = (float)(max_norm / (total + 1e-6));
    for (int i = 0; i < n; i++) {
        if (!grads[i]) continue;
        tide_tensor_bump_version(grads[i]); /* scaled in place */
        float *g = tide_f32(grads[i]);
        int64_t len = tide_tensor_numel(grads[i]);
        for (int64_t j = 0; j < len; j++) g[j] *= scale;
    }
    return TIDE_OK;
}
