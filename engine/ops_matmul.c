/* ops_matmul.c — matrix products over OpenBLAS.
 *
 * tide_gemm is the single BLAS entry point (as torch7's THTensor_(addmm)): a 2-D view whose
 * last stride is 1 is handed to cblas_sgemm as a row-major matrix with lda = its row stride;
 * one whose first stride is 1 is the transpose of a row-major matrix, so it goes with the
 * opposite trans flag; anything else (expanded, doubly strided) is copied once. tide_matmul
 * builds on it: 2-D x 2-D is one call; batched operands loop over the broadcast batch with
 * header-only views; a batch of row blocks times one matrix ([.., n, k] x [k, m], the common
 * "apply a linear layer to every position" case) is ONE sgemm over [B*n, k] when the batch
 * rows are evenly strided. */
#include <cblas.h>
#include <string.h>

#include "ops.h"

/* How to pass a 2-D view: as row-major (trans 0) or transposed (trans 1), with its leading
 * dimension; returns 0 if BLAS cannot read it in place. */
static int blas_layout(const tide_tensor *t, int *trans, int *ld)
{
    int64_t r = t->shape[0], c = t->shape[1];
    int64_t ldr = r == 1 ? (c > 1 ? c : 1) : t->strides[0];
    if ((t->strides[1] == 1 || c == 1) && ldr >= (c > 1 ? c : 1) && ldr <= 0x7fffffff) {
        *trans = 0, *ld = (int)ldr;
        return 1;
    }
    int64_t ldc = c == 1 ? (r > 1 ? r : 1) : t->strides[1];
    if ((t->strides[0] == 1 || r == 1) && ldc >= (r > 1 ? r : 1) && ldc <= 0x7fffffff) {
        *trans = 1, *ld = (int)ldc;
        return 1;
    }
    return 0;
}

int tide_gemm(tide_tensor *out, const tide_tensor *a, int trans_a, const tide_tensor *b,
              int trans_b, float alpha, float beta)
{
    char s1[96], s2[96], s3[96];
    if (a->ndim != 2 || b->ndim != 2 || out->ndim != 2)
        return tide_errorf("gemm: expected 2-D operands, got %s, %s -> %s", tide_shape_str(a, s1, 96),
                           tide_shape_str(b, s2, 96), tide_shape_str(out, s3, 96));
    if (a->dtype != TIDE_F32 || b->dtype != TIDE_F32 || out->dtype != TIDE_F32)
        return tide_errorf("gemm: expected f32 tensors, got %s, %s -> %s", tide_dtype_name(a->dtype),
                           tide_dtype_name(b->dtype), tide_dtype_name(out->dtype));
    int64_t m = trans_a ? a->shape[1] : a->shape[0], k = trans_a ? a->shape[0] : a->shape[1];
    int64_t kb = trans_b ? b->shape[1] : b->shape[0], n = trans_b ? b->shape[0] : b->shape[1];
    if (k != kb || out->shape[0] != m || out->shape[1] != n)
        return tide_errorf("gemm: shapes %s%s and %s%s do not align into %s",
                           tide_shape_str(a, s1, 96), trans_a ? "^T" : "", tide_shape_str(b, s2, 96),
                           trans_b ? "^T" : "", tide_shape_str(out, s3, 96));
    if (m > 0x7fffffff || n > 0x7fffffff || k > 0x7fffffff)
        return tide_errorf("gemm: dimensions exceed BLAS int range");
    if (m == 0 || n == 0) return TIDE_OK;
    tide_tensor_bump_version(out); /* autograd's in-place check */
    /* the output must be row-major with unit inner stride; otherwise compute into a copy */
    int to, ldo;
    if (!blas_layout(out, &to, &ldo) || to || (out->strides[0] == 0 && m > 1)) {
        tide_tensor *tmp = tide_tensor_clone(out);
        if (!tmp) return TIDE_ERR;
        int rc = tide_gemm(tmp, a, trans_a, b, trans_b, alpha, beta);
        if (rc == TIDE_OK) rc = tide_tensor_copy(out, tmp);
        tide_tensor_release(tmp);
        return rc;
    }
    if (k == 0) { /* BLAS would only scale C; do it here to avoid ld checks on empty operands */
        if (beta == 0) return tide_tensor_fill(out, 0);
        float *o = tide_f32(out);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) o[i * ldo + j] *= beta;
        return TIDE_OK;
    }
    tide_tensor *ca = NULL, *cb = NULL;
    int ta, tb, lda, ldb;
    if (!blas_layout(a, &ta, &lda)) {
        if (!(ca = tide_tensor_clone(a))) return TIDE_ERR;
        blas_layout(ca, &ta, &lda);
    }
    if (!blas_layout(b, &tb, &ldb)) {
        if (!(cb = tide_tensor_clone(b))) {
            tide_tensor_release(ca);
            return TIDE_ERR;
        }
        blas_layout(cb, &tb, &ldb);
    }
    cblas_sgemm(CblasRowMajor, (ta ^ (trans_a != 0)) ? CblasTrans : CblasNoTrans,
                (tb ^ (trans_b != 0)) ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha,
                tide_f32(ca ? ca : a), lda, tide_f32(cb ? cb : b), ldb, beta, tide_f32(out), ldo);
    tide_tensor_release(ca);
    tide_tensor_release(cb);
    return TIDE_OK;
}

/* A header-only 2-D view of the matrix at `offset` of t (never retained or released). */
static void mat_view(tide_tensor *v, const tide_tensor *t, int64_t offset)
{
    *v = *t;
    v->ndim = 2;
    v->shape[0] = t->shape[t->ndim - 2], v->shape[1] = t->shape[t->ndim - 1];
    v->strides[0] = t->strides[t->ndim - 2], v->strides[1] = t->strides[t->ndim - 1];
    v->offset = offset;
    v->refcount = 1;
    v->grad = NULL, v->node = NULL;
}

/* True if the leading dims of t (all but the last) can be flattened into one row index with
 * a single stride, i.e. t is viewable as [rows, k]. */
static int rows_flatten(const tide_tensor *t)
{
    for (int d = 0; d + 2 < t->ndim; d++)
        if (t->shape[d] != 1 && t->strides[d] != t->strides[d + 1] * t->shape[d + 1]) return 0;
    return 1;
}

tide_tensor *tide_matmul(const tide_tensor *a, const tide_tensor *b)
{
    char s1[96], s2[96];
    if (a->dtype != TIDE_F32 || b->dtype != TIDE_F32)
        return tide_errorf("matmul: expected f32 tensors, got %s and %s", tide_dtype_name(a->dtype),
                           tide_dtype_name(b->dtype)), NULL;
    if (a->ndim == 0 || b->ndim == 0)
        return tide_errorf("matmul: operands must have at least 1 dim, got %s and %s",
                           tide_shape_str(a, s1, 96), tide_shape_str(b, s2, 96)), NULL;
    /* 1-D operands become a row (left) or a column (right) */
    tide_tensor av = *a, bv = *b;
    int drop_row = a->ndim == 1, drop_col = b->ndim == 1;
    if (drop_row) {
        av.ndim = 2, av.shape[1] = a->shape[0], av.strides[1] = a->strides[0];
        av.shape[0] = 1, av.strides[0] = a->shape[0];
    }
    if (drop_col) {
        bv.ndim = 2, bv.shape[0] = b->shape[0], bv.strides[0] = b->strides[0];
        bv.shape[1] = 1, bv.strides[1] = 1;
    }
    int64_t n = av.shape[av.ndim - 2], k = av.shape[av.ndim - 1];
    int64_t kb = bv.shape[bv.ndim - 2], m = bv.shape[bv.ndim - 1];
    if (k != kb)
        return tide_errorf("matmul: shapes %s and %s do not align", tide_shape_str(a, s1, 96),
                           tide_shape_str(b, s2, 96)), NULL;
    /* batch dims broadcast (NumPy rules) */
    int nba = av.ndim - 2, nbb = bv.ndim - 2, nb = nba > nbb ? nba : nbb;
    int64_t bshape[TIDE_MAX_DIMS], sta[TIDE_MAX_DIMS], stb[TIDE_MAX_DIMS], nbatch = 1;
    for (int i = 0; i < nb; i++) {
        int ia = nba - nb + i, ib = nbb - nb + i;
        int64_t sa = ia >= 0 ? av.shape[ia] : 1, sb = ib >= 0 ? bv.shape[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            return tide_errorf("matmul: batch dims of %s and %s do not broadcast",
                               tide_shape_str(a, s1, 96), tide_shape_str(b, s2, 96)), NULL;
        bshape[i] = sa == 1 ? sb : sa;
        sta[i] = ia >= 0 && sa != 1 ? av.strides[ia] : 0;
        stb[i] = ib >= 0 && sb != 1 ? bv.strides[ib] : 0;
        nbatch *= bshape[i];
    }
    if (nb + 2 > TIDE_MAX_DIMS)
        return tide_errorf("matmul: result would have more than %d dims", TIDE_MAX_DIMS), NULL;
    int64_t oshape[TIDE_MAX_DIMS];
    int ond = 0;
    for (int i = 0; i < nb; i++) oshape[ond++] = bshape[i];
    if (!drop_row) oshape[ond++] = n;
    if (!drop_col) oshape[ond++] = m;
    tide_tensor *out = tide_tensor_empty(TIDE_F32, ond, oshape);
    if (!out || nbatch == 0) return out;
    tide_tensor ov;
    ov = *out;
    ov.ndim = 2, ov.shape[0] = n, ov.shape[1] = m, ov.strides[0] = m, ov.strides[1] = 1;
    ov.refcount = 1;
    tide_tensor am, bm;
    if (nbb == 0 && nba > 0 && rows_flatten(&av)) {
        /* [.., n, k] x [k, m]: one sgemm over all rows */
        mat_view(&am, &av, av.offset);
        am.shape[0] = nbatch * n;
        mat_view(&bm, &bv, bv.offset);
        ov.shape[0] = nbatch * n;
        if (tide_gemm(&ov, &am, 0, &bm, 0, 1.0f, 0.0f) != TIDE_OK) goto fail;
        return out;
    }
    int64_t idx[TIDE_MAX_DIMS] = {0};
    for (int64_t bi = 0; bi < nbatch; bi++) {
        int64_t oa = av.offset, ob = bv.offset;
        for (int i = 0; i < nb; i++) oa += idx[i] * sta[i], ob += idx[i] * stb[i];
        mat_view(&am, &av, oa);
        mat_view(&bm, &bv, ob);
        ov.offset = out->offset + bi * n * m;
        if (tide_gemm(&ov, &am, 0, &bm, 0, 1.0f, 0.0f) != TIDE_OK) goto fail;
        for (int i = nb - 1; i >= 0; i--) {
            if (++idx[i] < bshape[i]) break;
            idx[i] = 0;
        }
    }
    return out;
fail:
    tide_tensor_release(out);
    return NULL;
}
