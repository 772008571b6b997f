/* autograd_anomaly.c — locating the op that first produced a NaN or an infinity (the idea of
 * PyTorch's detect_anomaly). Off by default: it scans every recorded output and every
 * gradient. tide.train switches it on only to explain a non-finite loss or gradient it has
 * already caught with its cheap per-step check, by replaying that one batch. */
#include <math.h>
#include <stdio.h>

#include "autograd_internal.h"
#include "error.h"

static _Thread_local int anomaly_on = 0;
static _Thread_local char first_forward[96];

int tide_set_detect_anomaly(int on)
{
    int prev = anomaly_on;
    anomaly_on = on != 0;
    if (anomaly_on && !prev) first_forward[0] = 0;
    return prev;
}

int tide_detect_anomaly(void) { return anomaly_on; }

const char *tide_anomaly_forward(void) { return first_forward; }

int tide_tensor_all_finite(const tide_tensor *t)
{
    if (!t || t->dtype != TIDE_F32) return 1;
    tide_iter it;
    tide_iter_init(&it, t);
    const float *base = (const float *)t->storage->data;
    int64_t n = tide_tensor_numel(t);
    for (int64_t i = 0; i < n; i++, tide_iter_next(&it))
        if (!isfinite(base[it.pos])) return 0;
    return 1;
}

void ag_anomaly_forward(const tide_node *n, const tide_tensor *out)
{
    if (!anomaly_on || first_forward[0] || tide_tensor_all_finite(out)) return;
    for (int i = 0; i < n->ninputs; i++)
        if (!tide_tensor_all_finite(n->inputs[i])) return; /* inherited, not produced here */
    char s[64];
    snprintf(first_forward, sizeof first_forward, "%s -> %s", n->name, tide_shape_str(out, s, sizeof s));
}

int ag_anomaly_backward(const tide_node *n, const tide_tensor *grad_out)
{
    if (!anomaly_on || !tide_tensor_all_finite(grad_out)) return TIDE_OK;
    for (int i = 0; i < n->ninputs; i++) {
        const tide_tensor *in = n->inputs[i];
        if (in && in->grad && !tide_tensor_all_finite(in->grad)) {
            char s[64];
            return tide_errorf("op '%s' produced a non-finite gradient for its input %d (%s) "
                               "from a finite one", n->name, i + 1, tide_shape_str(in->grad, s, sizeof s));
        }
    }
    return TIDE_OK;
}
