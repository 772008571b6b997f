/* ops_plan.h — internal to the ops_*.c kernels: walks several strided operands of one common
 * (broadcast) shape row by row.
 *
 * A plan holds, per operand, element strides over the plan's shape (0 where the operand is
 * broadcast). tide_plan_finish merges adjacent dims that every operand walks contiguously
 * (so a contiguous same-shape op becomes one long row) and drops size-1 dims. tide_plan_run
 * then calls `row` once per innermost row with each operand's element OFFSET (not pointer:
 * an operand may be virtual, e.g. a running index for argmax) and the row length; the inner
 * strides are p->inner[k]. Not part of the public API. */
#ifndef TIDE_OPS_PLAN_H
#define TIDE_OPS_PLAN_H

#include "tensor.h"

#define TIDE_PLAN_MAX_OPS 4

typedef struct tide_plan {
    int ndim, nops;
    int64_t shape[TIDE_MAX_DIMS];
    int64_t strides[TIDE_PLAN_MAX_OPS][TIDE_MAX_DIMS];
    int64_t start[TIDE_PLAN_MAX_OPS];   /* element offset of each operand's first element */
    void *base[TIDE_PLAN_MAX_OPS];      /* storage data of each operand (NULL if virtual) */
    int64_t inner[TIDE_PLAN_MAX_OPS];   /* stride of the innermost dim, after finish */
} tide_plan;

typedef void (*tide_row_fn)(const tide_plan *p, const int64_t *off, int64_t n, void *ctx);

void tide_plan_begin(tide_plan *p, int ndim, const int64_t *shape);
/* Adds t broadcast (NumPy rules) to the plan shape; TIDE_ERR + message naming `op` if it
 * cannot broadcast. The operand's offsets are relative to t->storage->data. */
int tide_plan_add(tide_plan *p, const tide_tensor *t, const char *op);
/* Adds an operand given by its strides over the plan shape (ndim entries). */
void tide_plan_add_raw(tide_plan *p, void *base, int64_t start, const int64_t *strides);
void tide_plan_finish(tide_plan *p);
void tide_plan_run(const tide_plan *p, tide_row_fn row, void *ctx);

/* dtype promotion of ops.h: any f32 -> f32, else any i64 -> i64, else i32. */
tide_dtype tide_promote(tide_dtype a, tide_dtype b);

/* A 0-dim tensor header over caller storage, for scalars that must not allocate. It is never
 * retained or released. */
typedef struct {
    tide_storage st;
    tide_tensor t;
    union { float f; int32_t i; int64_t l; } v;
} tide_scalar_box;
const tide_tensor *tide_scalar_box_init(tide_scalar_box *b, tide_dtype dt, double v);

#endif
