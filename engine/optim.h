/* optim.h — first-order optimizers and gradient clipping over lists of parameter tensors.
 *
 * One call updates every parameter (llm.c's gpt2_update, torch/optim's per-step closure
 * without the closure). State is plain data: up to TIDE_OPTIM_NSTATE tensors per parameter,
 * of the parameter's shape, OWNED BY THE CALLER (Lua creates them as zeros and saves them
 * in checkpoints), plus the step counter the caller passes in. The update rules follow
 * PyTorch's torch.optim documentation so results can be compared one to one:
 *   SGD      (Sutskever et al. 2013 momentum; Nesterov as in PyTorch)
 *            g += wd p;  b = mu b + (1 - dampening) g  (b = g at step 1);
 *            d = nesterov ? g + mu b : b  (d = g without momentum);  p -= lr d
 *            state: [0] momentum buffer (only when mu > 0)
 *   Adam     (Kingma & Ba 2015) g += wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *            p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)      state: [0] m, [1] v
 *   AdamW    (Loshchilov & Hutter 2019) as Adam without the L2 term, and p -= lr wd p first
 *   Adagrad  (Duchi et al. 2011) g += wd p; s += g^2; p -= lr / (1 + (t-1) lr_decay) g /
 *            (sqrt(s) + eps)                                               state: [0] s
 *   RMSprop  (Hinton's lecture 6e) g += wd p; v = a v + (1-a) g^2; centered: c = a c +
 *            (1-a) g, den = sqrt(v - c^2) + eps, else sqrt(v) + eps; with momentum mu:
 *            b = mu b + g / den, p -= lr b; else p -= lr g / den
 *            state: [0] v, [1] momentum buffer, [2] c
 * Parameters whose grad is NULL are skipped (their state is untouched). Parameters and
 * state tensors must be contiguous f32; grads may be any f32 layout of the same shape. */
#ifndef TIDE_OPTIM_H
#define TIDE_OPTIM_H

#include <stdint.h>

#include "tensor.h"

#define TIDE_OPTIM_NSTATE 3

typedef enum {
    TIDE_OPT_SGD = 0, TIDE_OPT_ADAM, TIDE_OPT_ADAMW, TIDE_OPT_ADAGRAD, TIDE_OPT_RMSPROP,
    TIDE_OPT_COUNT
} tide_opt_kind;

typedef struct {
    tide_opt_kind kind;
    double lr;
    double weight_decay;
    double momentum, dampening; /* SGD, RMSprop (momentum) */
    int nesterov;               /* SGD */
    double beta1, beta2;        /* Adam, AdamW */
    double eps;                 /* Adam, AdamW, Adagrad, RMSprop */
    double lr_decay;            /* Adagrad */
    double alpha;               /* RMSprop smoothing */
    int centered;               /* RMSprop */
} tide_opt_config;

const char *tide_opt_name(tide_opt_kind k);
/* Number of state tensors the kind uses per parameter (0..TIDE_OPTIM_NSTATE; plain SGD
 * without momentum needs none). */
int tide_opt_nstate(const tide_opt_config *c);
/* Checks ranges (lr >= 0, betas in [0,1), eps > 0, ...); TIDE_ERR with a message. */
int tide_opt_validate(const tide_opt_config *c);

/* One update of n parameters. grads[i] is the gradient of params[i] (NULL: skip);
 * state[i * TIDE_OPTIM_NSTATE + k] the k-th state tensor of parameter i (NULL for slots the
 * kind does not use). step is the 1-based count of this update (for bias correction).
 * Everything is checked before any parameter changes. */
int tide_optim_step(const tide_opt_config *c, int n, tide_tensor *const *params,
                    tide_tensor *const *grads, tide_tensor *const *state, int64_t step);

/* Global L2 norm of all gradients (NULL entries skipped), accumulated in double. */
double tide_grad_norm(int n, tide_tensor *const *grads);
/* Scales every gradient in place by max_norm / (norm + 1e-6) when the global norm exceeds
 * max_norm (Pascanu et al. 2013). Returns the norm before clipping through *norm. Grads
 * must be contiguous (a leaf's ->grad always is). */
int tide_clip_grad_norm(int n, tide_tensor *const *grads, double max_norm, double *norm);

#endif
