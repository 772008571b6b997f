/* nn_attention.c — multi-head scaled dot-product attention (Vaswani et al. 2017) with a causal
 * mask, a key-padding mask and dropout on the weights, fused per (batch, head) and per block
 * of query rows: the scores of a block are one sgemm against only the keys it can see (so a
 * causal model skips the upper triangle), the softmax runs on a tile that stays in cache, and
 * the weighted values are one more sgemm. Nothing of size T*S is kept for the backward: it
 * saves the log-sum-exp of each row and recomputes the weights tile by tile (as
 * FlashAttention, Dao et al. 2022), which costs one sgemm but saves writing and re-reading
 * B*H*T*S floats. Heads are column blocks of the [B,T,D] inputs, so nothing is transposed or
 * copied to split them.
 * Time-gap terms (see nn.h) are computed from the event times inside the same tiles: per batch
 * row, one [T,S] table of f(gap) (shared by all heads, forward and backward) and one of
 * interval buckets; the interval embeddings enter through sgemms against the [n_int, dh]
 * tables per (batch row, head) (q·ik[c] for every bucket c, gathered per pair; the weights
 * summed per bucket, times iv), so TiSASRec's [B,T,T,D] interval tensors are never formed. The autograd wrappers
 * live in nn_attention_op.c. */
#include <stdlib.h>

#include "nn_internal.h"

/* Query rows per block. Smaller blocks skip more of a causal upper triangle (the mean fraction
 * of keys computed is (1 + R/T)/2) but make smaller sgemms. */
enum { ROWS = 32 };

static inline int64_t block_rows(const tide_attn_desc *d)
{
    int64_t R = d->causal ? ROWS : d->T;
    return R > d->T ? d->T : R;
}

/* Keys visible to query i: j < limit(i) and key_mask[j]. */
static inline int64_t visible_limit(const tide_attn_desc *d, int64_t i)
{
    if (!d->causal) return d->S;
    int64_t lim = i + d->S - d->T + 1;
    return lim < 0 ? 0 : lim > d->S ? d->S : lim;
}

/* 1/0 per key of batch row b (all ones without a mask). */
static void key_weights(const tide_attn_desc *d, int64_t b, float *kw)
{
    for (int64_t j = 0; j < d->S; j++) kw[j] = d->key_mask ? (float)d->key_mask[b * d->S + j] : 1.0f;
}

/* Dropout: weight (b, h, i, j) is Philox element drop_elem(b, h, i) + j. Rows are padded to
 * a multiple of 64 elements so each starts on a vector chunk and a causal row draws only the
 * chunks covering its visible keys. */
static inline int64_t padded_row(int64_t S) { return (S + 63) & ~(int64_t)63; }
static inline uint64_t drop_elem(const tide_attn_desc *d, int64_t b, int64_t h, int64_t i)
{
    return d->counter + (uint64_t)(((b * d->H + h) * d->T + i) * padded_row(d->S));
}

/* P[i, :kmax] *= keep for n rows starting at query i0; keep: scratch of n*padded_row(S). */
static void drop_rows(const tide_attn_desc *d, float *P, float *keep, int64_t b, int64_t h,
                      int64_t i0, int64_t n, int64_t kmax, float *out)
{
    int64_t S = d->S, w = (kmax + 63) & ~(int64_t)63;
    for (int64_t i = 0; i < n; i++) {
        float *kr = keep + i * w;
        tide_nnu_keep_mask(kr, w, d->seed, drop_elem(d, b, h, i0 + i), d->dropout_p);
        float *o = out ? out + i * S : kr;
        for (int64_t j = 0; j < kmax; j++) o[j] = P[i * S + j] * kr[j];
    }
}

/* Scores of rows [i0, i1) against keys [0, kmax) into A (row stride S), scaled. */
static void scores(const tide_attn_desc *d, float *A, const float *qh, const float *kh,
                   int64_t i0, int64_t i1, int64_t kmax, int64_t dh)
{
    nn_gemm(0, 1, i1 - i0, kmax, dh, d->scale, qh + i0 * d->q_ts, d->q_ts, kh, d->k_ts, 0.0f, A,
            d->S);
}

/* log(1 + x) for 0 <= x < 1e30: Cephes' logf polynomial on 1 + x (rel. error ~1e-7), branch
 * free so the table loop vectorises (glibc's log1pf does not), with Goldberg's correction
 * log(u) * x / (u - 1) for the rounding of u = 1 + x, which keeps small gaps accurate. */
static inline float gap_log1pf(float x)
{
    float u = 1.0f + x;
    int32_t bits;
    memcpy(&bits, &u, sizeof bits);
    int32_t e = ((bits >> 23) & 0xff) - 126; /* u = m 2^e, m in [0.5, 1) */
    bits = (bits & 0x007fffff) | 0x3f000000;
    float m;
    memcpy(&m, &bits, sizeof m);
    int lo = m < 0.707106781186547524f;
    e -= lo;
    m = lo ? m + m - 1.0f : m - 1.0f;
    float z = m * m, y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    float fe = (float)e;
    float lg = m + (y - 2.12194440e-4f * fe - 0.5f * z) + 0.693359375f * fe;
    float du = u - 1.0f;
    return du == 0.0f ? x : lg * (x / du);
}

/* Gaps of batch row b's visible pairs: F[i*S+j] = f(gap) when d->decay, Rb[i*S+j] = the
 * interval bucket (as a float, exact below 2^24) when d->n_int; 0 past each row's visible
 * keys, so tile loops may run to the block's widest row. */
NN_VECTOR static void gap_tables(const tide_attn_desc *d, int64_t b, float *F, float *Rb)
{
    int64_t T = d->T, S = d->S;
    const float *tk = d->tk + b * S;
    float top = (float)(d->n_int - 1);
    int lg = d->decay == TIDE_ATTN_DECAY_LOG1P;
    for (int64_t i = 0; i < T; i++) {
        float ti = d->tq[b * T + i];
        int64_t lim = visible_limit(d, i);
        if (F) {
            float *restrict f = F + i * S;
            for (int64_t j = 0; j < lim; j++) {
                float g = ti - tk[j];
                g = g > 0.0f ? g : 0.0f;
                g = g < 1e30f ? g : 1e30f;
                f[j] = lg ? gap_log1pf(g) : g;
            }
            for (int64_t j = lim; j < S; j++) f[j] = 0.0f;
        }
        if (Rb) {
            float *restrict r = Rb + i * S;
            for (int64_t j = 0; j < lim; j++) {
                float g = floorf(ti - tk[j]);
                g = g > 0.0f ? g : 0.0f;
                r[j] = g < top ? g : top;
            }
            for (int64_t j = lim; j < S; j++) r[j] = 0.0f;
        }
    }
}

/* W[i, c] = sum of P[i, j] over keys j < kmax in bucket c, for n rows (Rb: the rows' buckets).
 * W is zero on entry: each (batch row, head) zeroes its [T, n_int] table once. */
static void bucket_sum(const float *P, const float *Rb, float *W, int64_t n, int64_t kmax,
                       int64_t S, int64_t K1)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < kmax; j++) W[i * K1 + (int64_t)Rb[i * S + j]] += P[i * S + j];
}

/* Adds head h's gap terms to the logits A of rows [i0, i0 + n), keys < kmax: -rate F, and
 * scale q_i·ik[r] gathered from QK [T, n_int] (scale q_i·ik[c] for every bucket c). */
static void add_gap_terms(const tide_attn_desc *d, float *A, const float *F, const float *Rb,
                          const float *QK, int64_t h, int64_t i0, int64_t n, int64_t kmax)
{
    int64_t S = d->S, K1 = d->n_int;
    if (F) {
        float lam = d->rate[h];
        for (int64_t i = 0; i < n; i++) {
            float *restrict a = A + i * S;
            const float *restrict f = F + (i0 + i) * S;
            for (int64_t j = 0; j < kmax; j++) a[j] -= lam * f[j];
        }
    }
    if (Rb) {
        for (int64_t i = 0; i < n; i++) {
            const float *r = Rb + (i0 + i) * S, *w = QK + (i0 + i) * K1;
            float *a = A + i * S;
            for (int64_t j = 0; j < kmax; j++) a[j] += w[(int64_t)r[j]];
        }
    }
}

/* Softmax of one row in place over its visible keys; returns the log-sum-exp (INFINITY when
 * no key is visible: the row becomes zeros). Entries in [lim, kmax) become 0. */
NN_VECTOR static float softmax_row(float *restrict row, const float *restrict kw, int64_t lim, int64_t kmax)
{
    float m = -INFINITY;
    for (int64_t j = 0; j < lim; j++) {
        float sc = kw[j] != 0.0f ? row[j] : -INFINITY;
        m = sc > m ? sc : m;
    }
    if (m == -INFINITY) {
        memset(row, 0, (size_t)kmax * sizeof *row);
        return INFINITY;
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < lim; j++) {
        float e = nn_expf(row[j] - m) * kw[j];
        row[j] = e;
        sum += e;
    }
    for (int64_t j = lim; j < kmax; j++) row[j] = 0.0f;
    float inv = 1.0f / sum;
    for (int64_t j = 0; j < lim; j++) row[j] *= inv;
    return m + logf(sum);
}

/* The weights of one row again from its scores and saved log-sum-exp. */
NN_VECTOR static void weights_row(float *restrict row, const float *restrict kw, int64_t lim, int64_t kmax,
                        float lse)
{
    if (lse == INFINITY) {
        memset(row, 0, (size_t)kmax * sizeof *row);
        return;
    }
    for (int64_t j = 0; j < lim; j++) row[j] = nn_expf(row[j] - lse) * kw[j];
    for (int64_t j = lim; j < kmax; j++) row[j] = 0.0f;
}

int64_t tide_attention_scratch(const tide_attn_desc *d, int backward)
{
    int64_t R = block_rows(d), S = d->S;
    int64_t n = (backward ? 2 : 1) * R * S + R * padded_row(S) + S + 1;
    if (d->decay != TIDE_ATTN_DECAY_NONE) n += d->T * S;
    if (d->n_int > 0) n += d->T * S + (backward ? 4 : 2) * d->T * d->n_int;
    return n;
}

/* Carves the gap tables out of scratch (NULL when the term is off); W: the [T, n_int] tables
 * of the interval terms (2 in the forward, 4 in the backward) for one (batch row, head). */
static void gap_scratch(const tide_attn_desc *d, float *p, float **F, float **Rb, float **W)
{
    *F = *Rb = *W = NULL;
    if (d->decay != TIDE_ATTN_DECAY_NONE) *F = p, p += d->T * d->S;
    if (d->n_int > 0) *Rb = p, p += d->T * d->S, *W = p;
}

/* Interval terms are tile-local gathers and scatters around a few sgemms per (batch row, head)
 * over all T rows at once (fewer, larger calls than one per tile): QK = scale Q ik_h^T, and at
 * the end, out_h += Wb iv_h with Wb the bucketed weights. */
static void interval_start(const tide_attn_desc *d, float *QK, float *Wb, const float *qh,
                           int64_t h, int64_t dh)
{
    int64_t T = d->T, K1 = d->n_int;
    nn_gemm(0, 1, T, K1, dh, d->scale, qh, d->q_ts, d->ik + h * dh, d->D, 0.0f, QK, K1);
    memset(Wb, 0, (size_t)(T * K1) * sizeof *Wb);
}

/* out: [B,T,D] contiguous  lse: [B,H,T] (saved for the backward)  probs: [B,H,T,S] or NULL
 * (filled with the weights when given; used for explanations, not by the backward)
 * q: [B,T,D]  k, v: [B,S,D] (strided)  scratch: tide_attention_scratch(d, 0) floats */
void tide_attention_forward(const tide_attn_desc *d, float *out, float *lse, float *probs,
                            const float *q, const float *k, const float *v, float *scratch)
{
    int64_t B = d->B, T = d->T, S = d->S, D = d->D, H = d->H, dh = D / H, K1 = d->n_int;
    int64_t R = block_rows(d);
    float *A = scratch, *keep = A + R * S, *kw = keep + R * padded_row(S), *F, *Rb, *W;
    gap_scratch(d, kw + S, &F, &Rb, &W);
    float *QK = W, *Wb = W ? W + T * K1 : NULL;
    for (int64_t b = 0; b < B; b++) {
        key_weights(d, b, kw);
        if (F || Rb) gap_tables(d, b, F, Rb);
        for (int64_t h = 0; h < H; h++) {
            const float *qh = q + b * d->q_bs + h * dh, *kh = k + b * d->k_bs + h * dh;
            const float *vh = v + b * d->v_bs + h * dh;
            float *oh = out + b * T * D + h * dh, *lh = lse + (b * H + h) * T;
            if (Rb) interval_start(d, QK, Wb, qh, h, dh);
            for (int64_t i0 = 0; i0 < T; i0 += R) {
                int64_t i1 = i0 + R < T ? i0 + R : T, kmax = visible_limit(d, i1 - 1);
                if (kmax == 0) { /* no row of the block sees a key */
                    for (int64_t i = i0; i < i1; i++) {
                        memset(oh + i * D, 0, (size_t)dh * sizeof *oh);
                        lh[i] = INFINITY;
                    }
                    continue;
                }
                scores(d, A, qh, kh, i0, i1, kmax, dh);
                if (F || Rb) add_gap_terms(d, A, F, Rb, QK, h, i0, i1 - i0, kmax);
                for (int64_t i = i0; i < i1; i++) {
                    float *row = A + (i - i0) * S;
                    lh[i] = softmax_row(row, kw, visible_limit(d, i), kmax);
                    if (probs) memcpy(probs + ((b * H + h) * T + i) * S, row, (size_t)kmax * sizeof *row);
                }
                if (d->dropout_p > 0.0f) drop_rows(d, A, keep, b, h, i0, i1 - i0, kmax, A);
                nn_gemm(0, 0, i1 - i0, dh, kmax, 1.0f, A, S, vh, d->v_ts, 0.0f, oh + i0 * D, D);
                if (Rb) bucket_sum(A, Rb + i0 * S, Wb + i0 * K1, i1 - i0, kmax, S, K1);
            }
            /* out_i += Σ_c (weights in bucket c) iv[c] */
            if (Rb) nn_gemm(0, 0, T, dh, K1, 1.0f, Wb, K1, d->iv + h * dh, D, 1.0f, oh, D);
        }
    }
}

/* dout: [B,T,D] contiguous  lse: [B,H,T] from the forward  scratch: tide_attention_scratch(d, 1).
 * With O = (P∘M) V:  dV = (P∘M)^T dO,  dP = (dO V^T)∘M,  dS = P∘(dP - rowsum(P∘dP)),
 * dQ = scale dS K,  dK = scale dS^T Q; P is recomputed from the scores and lse. The gap terms
 * add dλ_h = -Σ f(gap) dS, d iv[c] = Σ_{r=c} (P∘M)^T dO, dP += dO·iv[r], and through the
 * bucketed dS (Sb): dQ += scale Sb ik, d ik = scale Sb^T Q. */
void tide_attention_backward(const tide_attn_desc *d, const tide_attn_grads *g,
                             const float *dout, const float *lse, const float *q,
                             const float *k, const float *v, float *scratch)
{
    int64_t B = d->B, T = d->T, S = d->S, D = d->D, H = d->H, dh = D / H, K1 = d->n_int;
    int64_t R = block_rows(d);
    float *P = scratch, *G = P + R * S, *keep = G + R * S, *kw = keep + R * padded_row(S);
    float *F, *Rb, *W;
    gap_scratch(d, kw + S, &F, &Rb, &W);
    float *QK = W, *Wb = W ? W + T * K1 : NULL, *DR = W ? W + 2 * T * K1 : NULL;
    float *Sb = W ? W + 3 * T * K1 : NULL;
    float *dq = g->dq, *dk = g->dk, *dv = g->dv;
    float *drate = F ? g->drate : NULL, *dik = Rb ? g->dik : NULL, *div = Rb ? g->div : NULL;
    int drop = d->dropout_p > 0.0f;
    for (int64_t b = 0; b < B; b++) {
        key_weights(d, b, kw);
        if (F || Rb) gap_tables(d, b, F, Rb);
        for (int64_t h = 0; h < H; h++) {
            const float *qh = q + b * d->q_bs + h * dh, *kh = k + b * d->k_bs + h * dh;
            const float *vh = v + b * d->v_bs + h * dh;
            const float *dO = dout + b * T * D + h * dh, *lh = lse + (b * H + h) * T;
            double dlam = 0.0;
            int want_ds = dq || dk || drate || dik;
            if (Rb) { /* DR = dO iv_h^T: dP_ij gains dO_i·iv[r_ij] */
                interval_start(d, QK, Wb, qh, h, dh);
                if (want_ds) {
                    nn_gemm(0, 1, T, K1, dh, 1.0f, dO, D, d->iv + h * dh, D, 0.0f, DR, K1);
                    memset(Sb, 0, (size_t)(T * K1) * sizeof *Sb);
                }
            }
            for (int64_t i0 = 0; i0 < T; i0 += R) {
                int64_t n = (i0 + R < T ? i0 + R : T) - i0, kmax = visible_limit(d, i0 + n - 1);
                if (kmax == 0) continue;
                scores(d, P, qh, kh, i0, i0 + n, kmax, dh);
                if (F || Rb) add_gap_terms(d, P, F, Rb, QK, h, i0, n, kmax);
                for (int64_t i = 0; i < n; i++)
                    weights_row(P + i * S, kw, visible_limit(d, i0 + i), kmax, lh[i0 + i]);
                int64_t kw64 = (kmax + 63) & ~(int64_t)63; /* keep row stride */
                if (drop) drop_rows(d, P, keep, b, h, i0, n, kmax, G); /* G = P∘M, keep = M */
                const float *Pv = drop ? G : P;
                if (dv) nn_gemm(1, 0, kmax, dh, n, 1.0f, Pv, S, dO + i0 * D, D, 1.0f, dv + b * d->v_bs + h * dh, d->v_ts);
                if (div) bucket_sum(Pv, Rb + i0 * S, Wb + i0 * K1, n, kmax, S, K1);
                if (!want_ds) continue;
                nn_gemm(0, 1, n, kmax, dh, 1.0f, dO + i0 * D, D, vh, d->v_ts, 0.0f, G, S);
                if (Rb) {
                    for (int64_t i = 0; i < n; i++) {
                        const float *r = Rb + (i0 + i) * S, *w = DR + (i0 + i) * K1;
                        for (int64_t j = 0; j < kmax; j++) G[i * S + j] += w[(int64_t)r[j]];
                    }
                }
                for (int64_t i = 0; i < n; i++) {
                    float *restrict gr = G + i * S;
                    const float *restrict p = P + i * S;
                    if (drop)
                        for (int64_t j = 0; j < kmax; j++) gr[j] *= keep[i * kw64 + j];
                    float dot = 0.0f;
                    for (int64_t j = 0; j < kmax; j++) dot += p[j] * gr[j];
                    for (int64_t j = 0; j < kmax; j++) gr[j] = p[j] * (gr[j] - dot);
                }
                if (dq) nn_gemm(0, 0, n, dh, kmax, d->scale, G, S, kh, d->k_ts, 1.0f, dq + b * d->q_bs + h * dh + i0 * d->q_ts, d->q_ts);
                if (dk) nn_gemm(1, 0, kmax, dh, n, d->scale, G, S, qh + i0 * d->q_ts, d->q_ts, 1.0f, dk + b * d->k_bs + h * dh, d->k_ts);
                if (drate)
                    for (int64_t i = 0; i < n; i++) {
                        const float *f = F + (i0 + i) * S, *gr = G + i * S;
                        float s = 0.0f;
                        for (int64_t j = 0; j < kmax; j++) s += f[j] * gr[j];
                        dlam += s;
                    }
                if (Rb && (dq || dik)) bucket_sum(G, Rb + i0 * S, Sb + i0 * K1, n, kmax, S, K1);
            }
            /* the bucketed weights and dS (Wb, Sb [T, n_int]) against the tables, once */
            if (div) nn_gemm(1, 0, K1, dh, T, 1.0f, Wb, K1, dO, D, 1.0f, div + h * dh, D);
            if (Rb && dq) nn_gemm(0, 0, T, dh, K1, d->scale, Sb, K1, d->ik + h * dh, D, 1.0f, dq + b * d->q_bs + h * dh, d->q_ts);
            if (Rb && dik) nn_gemm(1, 0, K1, dh, T, d->scale, Sb, K1, qh, d->q_ts, 1.0f, dik + h * dh, D);
            if (drate) drate[h] -= (float)dlam;
        }
    }
}
