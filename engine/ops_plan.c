/* ops_plan.c — the row walker behind every broadcasting kernel (see ops_plan.h). */
#include "ops_plan.h"

#include <string.h>

void tide_plan_begin(tide_plan *p, int ndim, const int64_t *shape)
{
    memset(p, 0, sizeof *p);
    p->ndim = ndim;
    for (int i = 0; i < ndim; i++) p->shape[i] = shape[i];
}

int tide_plan_add(tide_plan *p, const tide_tensor *t, const char *op)
{
    TIDE_ASSERT(p->nops < TIDE_PLAN_MAX_OPS);
    int lead = p->ndim - t->ndim;
    int64_t st[TIDE_MAX_DIMS];
    if (lead < 0) goto bad;
    for (int i = 0; i < p->ndim; i++) {
        if (i < lead) {
            st[i] = 0;
            continue;
        }
        int64_t s = t->shape[i - lead];
        if (s == p->shape[i]) st[i] = s == 1 ? 0 : t->strides[i - lead];
        else if (s == 1) st[i] = 0;
        else goto bad;
    }
    tide_plan_add_raw(p, t->storage->data, t->offset, st);
    return TIDE_OK;
bad : {
    char s1[96], s2[96];
    tide_tensor shp;
    shp.ndim = p->ndim;
    for (int i = 0; i < p->ndim; i++) shp.shape[i] = p->shape[i];
    return tide_errorf("%s: shape %s does not broadcast to %s", op, tide_shape_str(t, s1, sizeof s1),
                       tide_shape_str(&shp, s2, sizeof s2));
}
}

void tide_plan_add_raw(tide_plan *p, void *base, int64_t start, const int64_t *strides)
{
    TIDE_ASSERT(p->nops < TIDE_PLAN_MAX_OPS);
    int k = p->nops++;
    p->base[k] = base;
    p->start[k] = start;
    for (int i = 0; i < p->ndim; i++) p->strides[k][i] = strides[i];
}

void tide_plan_finish(tide_plan *p)
{
    /* drop size-1 dims: their strides never matter */
    int nd = 0;
    for (int i = 0; i < p->ndim; i++) {
        if (p->shape[i] == 1) continue;
        p->shape[nd] = p->shape[i];
        for (int k = 0; k < p->nops; k++) p->strides[k][nd] = p->strides[k][i];
        nd++;
    }
    /* merge dim i into i+1 when every operand steps over i as one block of i+1 */
    int out = 0;
    for (int i = 0; i < nd; i++) {
        if (out > 0) {
            int ok = 1;
            for (int k = 0; k < p->nops; k++)
                if (p->strides[k][out - 1] != p->strides[k][i] * p->shape[i]) ok = 0;
            if (ok) {
                p->shape[out - 1] *= p->shape[i];
                for (int k = 0; k < p->nops; k++) p->strides[k][out - 1] = p->strides[k][i];
                continue;
            }
        }
        p->shape[out] = p->shape[i];
        for (int k = 0; k < p->nops; k++) p->strides[k][out] = p->strides[k][i];
        out++;
    }
    if (out == 0) { /* a single element */
        p->shape[0] = 1;
        for (int k = 0; k < p->nops; k++) p->strides[k][0] = 0;
        out = 1;
    }
    p->ndim = out;
    for (int k = 0; k < p->nops; k++) p->inner[k] = p->strides[k][out - 1];
}

void tide_plan_run(const tide_plan *p, tide_row_fn row, void *ctx)
{
    int nd = p->ndim;
    for (int i = 0; i < nd; i++)
        if (p->shape[i] == 0) return;
    int64_t idx[TIDE_MAX_DIMS] = {0};
    int64_t off[TIDE_PLAN_MAX_OPS];
    for (int k = 0; k < p->nops; k++) off[k] = p->start[k];
    int64_t n = p->shape[nd - 1];
    for (;;) {
        row(p, off, n, ctx);
        int d = nd - 2;
        for (; d >= 0; d--) {
            for (int k = 0; k < p->nops; k++) off[k] += p->strides[k][d];
            if (++idx[d] < p->shape[d]) break;
            for (int k = 0; k < p->nops; k++) off[k] -= p->strides[k][d] * p->shape[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

tide_dtype tide_promote(tide_dtype a, tide_dtype b)
{
    if (a == TIDE_F32 || b == TIDE_F32) return TIDE_F32;
    if (a == TIDE_I64 || b == TIDE_I64) return TIDE_I64;
    return TIDE_I32;
}

const tide_tensor *tide_scalar_box_init(tide_scalar_box *b, tide_dtype dt, double v)
{
    memset(b, 0, sizeof *b);
    if (dt == TIDE_F32) b->v.f = (float)v;
    else if (dt == TIDE_I32) b->v.i = (int32_t)v;
    else b->v.l = (int64_t)v;
    b->st.data = &b->v;
    b->st.nbytes = sizeof b->v;
    b->st.refcount = 1;
    b->t.storage = &b->st;
    b->t.dtype = dt;
    b->t.ndim = 0;
    b->t.refcount = 1;
    return &b->t;
}
