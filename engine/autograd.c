/* autograd.c — PASS-THROUGH placeholder: every tide_ag_* calls the raw op and records nothing.
 * Replaced by the real tape (see autograd.h) in the autograd work. */
#include "autograd.h"

static int grad_on = 1;
int tide_grad_enabled(void) { return grad_on; }
int tide_set_grad_enabled(int on) { int prev = grad_on; grad_on = on; return prev; }
int tide_needs_grad(const tide_tensor *t) { return t && (t->requires_grad || t->node); }
int tide_set_requires_grad(tide_tensor *t, int on) { t->requires_grad = on; return TIDE_OK; }
void tide_zero_grad(tide_tensor *t) { tide_tensor_release(t->grad); t->grad = NULL; }
tide_tensor *tide_detach(tide_tensor *t)
{
    return tide_tensor_view(t, t->ndim, t->shape);
}
int tide_ag_accumulate(tide_tensor *t, const tide_tensor *g) { (void)t; (void)g; return TIDE_OK; }
int tide_backward(tide_tensor *root, const tide_tensor *grad_out)
{
    (void)root; (void)grad_out;
    return tide_errorf("backward: autograd is not available yet");
}
tide_node *tide_ag_record(tide_tensor *out, const char *name, tide_backward_fn backward,
                          int ninputs, tide_tensor *const *inputs)
{
    (void)out; (void)name; (void)backward; (void)ninputs; (void)inputs;
    return NULL;
}
void tide_ag_save(tide_node *n, tide_tensor *t) { (void)n; (void)t; }

tide_tensor *tide_ag_unary(tide_unop op, tide_tensor *a) { return tide_unary(op, a); }
tide_tensor *tide_ag_binary(tide_binop op, tide_tensor *a, tide_tensor *b) { return tide_binary(op, a, b); }
tide_tensor *tide_ag_binary_scalar(tide_binop op, tide_tensor *a, double s, int reversed) { return tide_binary_scalar(op, a, s, reversed); }
tide_tensor *tide_ag_clamp(tide_tensor *a, double lo, double hi) { return tide_clamp(a, lo, hi); }
tide_tensor *tide_ag_where(tide_tensor *c, tide_tensor *a, tide_tensor *b) { return tide_where(c, a, b); }
tide_tensor *tide_ag_reduce(tide_redop op, tide_tensor *a, const int *dims, int ndims, int keepdim, int unbiased) { return tide_reduce(op, a, dims, ndims, keepdim, unbiased); }
tide_tensor *tide_ag_matmul(tide_tensor *a, tide_tensor *b) { return tide_matmul(a, b); }
tide_tensor *tide_ag_gather(tide_tensor *a, int dim, tide_tensor *index) { return tide_gather(a, dim, index); }
tide_tensor *tide_ag_scatter_add(tide_tensor *a, int dim, tide_tensor *index, tide_tensor *src) { return tide_scatter_add(a, dim, index, src); }
tide_tensor *tide_ag_index_select(tide_tensor *a, int dim, tide_tensor *index) { return tide_index_select(a, dim, index); }
tide_tensor *tide_ag_index_add(tide_tensor *a, int dim, tide_tensor *index, tide_tensor *src) { return tide_index_add(a, dim, index, src); }
tide_tensor *tide_ag_masked_fill(tide_tensor *a, tide_tensor *mask, double v) { return tide_masked_fill(a, mask, v); }
tide_tensor *tide_ag_cumsum(tide_tensor *a, int dim) { return tide_cumsum(a, dim); }
int tide_ag_topk(tide_tensor *a, int64_t k, int largest, tide_tensor **v, tide_tensor **i) { return tide_topk(a, k, largest, v, i); }
int tide_ag_sort(tide_tensor *a, int dim, int desc, tide_tensor **v, tide_tensor **i) { return tide_sort(a, dim, desc, v, i); }
tide_tensor *tide_ag_view(tide_tensor *t, int ndim, const int64_t *shape) { return tide_tensor_view(t, ndim, shape); }
tide_tensor *tide_ag_reshape(tide_tensor *t, int ndim, const int64_t *shape) { return tide_tensor_reshape(t, ndim, shape); }
tide_tensor *tide_ag_transpose(tide_tensor *t, int d0, int d1) { return tide_tensor_transpose(t, d0, d1); }
tide_tensor *tide_ag_permute(tide_tensor *t, const int *perm) { return tide_tensor_permute(t, perm); }
tide_tensor *tide_ag_narrow(tide_tensor *t, int dim, int64_t start, int64_t len) { return tide_tensor_narrow(t, dim, start, len); }
tide_tensor *tide_ag_select(tide_tensor *t, int dim, int64_t index) { return tide_tensor_select(t, dim, index); }
tide_tensor *tide_ag_expand(tide_tensor *t, int ndim, const int64_t *shape) { return tide_tensor_expand(t, ndim, shape); }
tide_tensor *tide_ag_squeeze(tide_tensor *t, int dim) { return tide_tensor_squeeze(t, dim); }
tide_tensor *tide_ag_unsqueeze(tide_tensor *t, int dim) { return tide_tensor_unsqueeze(t, dim); }
tide_tensor *tide_ag_contiguous(tide_tensor *t) { return tide_tensor_contiguous(t); }
tide_tensor *tide_ag_clone(tide_tensor *t) { return tide_tensor_clone(t); }
tide_tensor *tide_ag_cast(tide_tensor *t, tide_dtype dt) { return tide_tensor_cast(t, dt); }
