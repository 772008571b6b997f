/* ops.h — raw (non-autograd) tensor operations.
 *
 * These are the functional kernels: they read any strided view, broadcast with NumPy rules,
 * and either write into a caller-provided `out` (the *_out forms: out must already have the
 * result shape and dtype) or return a NEW contiguous tensor owned by the caller. On failure
 * they return NULL / TIDE_ERR with tide_error() naming the op and the shapes involved.
 * Autograd-aware versions live in autograd.h and call these.
 *
 * dtype rules: arithmetic on two f32 gives f32; i32 with i32 stays i32 (DIV and the float
 * functions promote to f32); mixing f32 and an int dtype gives f32. Comparisons give i32 0/1.
 * Files: ops_elementwise.c, ops_reduce.c, ops_matmul.c, ops_index.c, ops_sort.c. */
#ifndef TIDE_OPS_H
#define TIDE_OPS_H

#include "tensor.h"

typedef enum {
    TIDE_NEG, TIDE_EXP, TIDE_LOG, TIDE_LOG1P, TIDE_SQRT, TIDE_TANH, TIDE_SIGMOID, TIDE_RELU,
    TIDE_GELU, TIDE_ABS, TIDE_SQUARE, TIDE_RSQRT, TIDE_SIGN,
    TIDE_UNARY_COUNT
} tide_unop;

typedef enum {
    TIDE_ADD, TIDE_SUB, TIDE_MUL, TIDE_DIV, TIDE_POW, TIDE_MAXIMUM, TIDE_MINIMUM,
    TIDE_EQ, TIDE_NE, TIDE_LT, TIDE_LE, TIDE_GT, TIDE_GE,
    TIDE_BINARY_COUNT
} tide_binop;

typedef enum {
    TIDE_SUM, TIDE_MEAN, TIDE_MAX, TIDE_MIN, TIDE_ARGMAX, TIDE_ARGMIN, TIDE_VAR, TIDE_STD,
    TIDE_LOGSUMEXP, TIDE_PROD,
    TIDE_REDUCE_COUNT
} tide_redop;

const char *tide_unop_name(tide_unop op);
const char *tide_binop_name(tide_binop op);
const char *tide_redop_name(tide_redop op);

/* ---- elementwise (ops_elementwise.c) ---- */
tide_tensor *tide_unary(tide_unop op, const tide_tensor *a);
int tide_unary_out(tide_tensor *out, tide_unop op, const tide_tensor *a);
tide_tensor *tide_binary(tide_binop op, const tide_tensor *a, const tide_tensor *b);
int tide_binary_out(tide_tensor *out, tide_binop op, const tide_tensor *a, const tide_tensor *b);
/* a op s, or s op a when `reversed` (for Lua's 2 - t). */
tide_tensor *tide_binary_scalar(tide_binop op, const tide_tensor *a, double s, int reversed);
tide_tensor *tide_clamp(const tide_tensor *a, double lo, double hi); /* use +-INFINITY to skip */
/* cond ? a : b, all three broadcast together; cond is nonzero-true of any dtype. */
tide_tensor *tide_where(const tide_tensor *cond, const tide_tensor *a, const tide_tensor *b);

/* ---- reductions (ops_reduce.c) ----
 * Reduce over the listed dims (ndims == 0 means all dims). keepdim keeps them as size 1.
 * ARGMAX/ARGMIN take exactly one dim (or all: index into the flattened tensor) and return
 * i64 0-based indices. VAR/STD use the unbiased (n-1) estimator when `unbiased`. */
tide_tensor *tide_reduce(tide_redop op, const tide_tensor *a, const int *dims, int ndims,
                         int keepdim, int unbiased);
/* Sums `a` down to `shape` (the inverse of broadcasting), used by autograd. */
tide_tensor *tide_sum_to(const tide_tensor *a, int ndim, const int64_t *shape);

/* ---- matmul (ops_matmul.c) ----
 * [n,k]x[k,m] -> [n,m]; [b,n,k]x[b,k,m] -> [b,n,m]; a 2-D operand broadcasts over the batch
 * of a 3-D one. 1-D operands are treated as a row (left) / column (right) and that dim is
 * dropped. Transposed or strided operands are passed to BLAS with trans flags, not copied,
 * when their inner stride is 1. f32 only. */
tide_tensor *tide_matmul(const tide_tensor *a, const tide_tensor *b);
/* out = beta*out + alpha*op(a)*op(b) for 2-D f32 views, the single BLAS entry point. */
int tide_gemm(tide_tensor *out, const tide_tensor *a, int trans_a, const tide_tensor *b,
              int trans_b, float alpha, float beta);

/* ---- indexing (ops_index.c); index tensors are i32 or i64, 0-based ---- */
tide_tensor *tide_gather(const tide_tensor *a, int dim, const tide_tensor *index);
/* returns a copy of a with src added at index positions along dim */
tide_tensor *tide_scatter_add(const tide_tensor *a, int dim, const tide_tensor *index,
                              const tide_tensor *src);
tide_tensor *tide_index_select(const tide_tensor *a, int dim, const tide_tensor *index);
/* returns a copy of a with src slices added at rows index along dim */
tide_tensor *tide_index_add(const tide_tensor *a, int dim, const tide_tensor *index,
                            const tide_tensor *src);
/* in-place forms, used by autograd and optimizers */
int tide_index_add_(tide_tensor *a, int dim, const tide_tensor *index, const tide_tensor *src);
int tide_scatter_add_(tide_tensor *a, int dim, const tide_tensor *index, const tide_tensor *src);
tide_tensor *tide_masked_fill(const tide_tensor *a, const tide_tensor *mask, double v);
/* Joins n >= 1 tensors of one dtype along an existing dim; all other dims must match. */
tide_tensor *tide_cat(const tide_tensor *const *ts, int n, int dim);
/* Joins n >= 1 tensors of one shape and dtype along a NEW dim (0..ndim). */
tide_tensor *tide_stack(const tide_tensor *const *ts, int n, int dim);

/* ---- sorting and scans (ops_sort.c) ----
 * topk along the last dim: values and i64 indices of shape [..., k], sorted. sort along
 * `dim`, stable. cumsum along dim. Outputs are returned through *values / *indices (new
 * references); the return value is TIDE_OK or TIDE_ERR. */
int tide_topk(const tide_tensor *a, int64_t k, int largest, tide_tensor **values,
              tide_tensor **indices);
int tide_sort(const tide_tensor *a, int dim, int descending, tide_tensor **values,
              tide_tensor **indices);
tide_tensor *tide_cumsum(const tide_tensor *a, int dim);

#endif
