/* ops_cat.h — concatenation (ops_index.c). Kept apart from ops.h, which the lead owns; to be
 * folded into ops.h. Ownership and errors as in ops.h. */
#ifndef TIDE_OPS_CAT_H
#define TIDE_OPS_CAT_H

#include "tensor.h"

/* Joins n >= 1 tensors of one dtype along an existing dim; all other dims must match. */
tide_tensor *tide_cat(const tide_tensor *const *ts, int n, int dim);
/* Joins n >= 1 tensors of one shape and dtype along a NEW dim (0..ndim). */
tide_tensor *tide_stack(const tide_tensor *const *ts, int n, int dim);

#endif
