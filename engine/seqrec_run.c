/* seqrec_run.c — the threads of the fused full ranking (seqrec.h): a run's workers prepare the
 * item tables, take blocks of users from a shared counter as their states come in
 * (tide_seqrec_run_ready) and rank each (seqrec_score.c); start, ready and wait. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"
#include "seqrec_score.h"
#include "threads.h"

/* The fp32 panels, packed by the first block that needs them; NULL when out of memory */
const float *tide_seqrec_fp32_table(tide_seqrec_run *r)
{
    pthread_mutex_lock(&r->mu);
    int64_t np;
    if (!r->P) r->P = tide_seqrec_pack(r->a.I, r->a.D, r->a.E, r->a.lde, &np);
    const float *P = r->P;
    pthread_mutex_unlock(&r->mu);
    return P;
}

/* The first thread to come prepares the bf16 table (when this CPU has the pass), the others wait
 * for it: -1 when out of memory. */
static int prepare(tide_seqrec_run *r)
{
    pthread_mutex_lock(&r->mu);
    int mine = r->prep == 0;
    if (mine) r->prep = 1;
    while (!mine && r->prep == 1) pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    if (mine) {
        int rc = r->a.isa == SQ_BF16 ? tide_seqrec_bf16_setup(r) : 0;
        pthread_mutex_lock(&r->mu);
        r->prep = rc < 0 ? -1 : 2;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    return r->prep < 0 ? tide_errorf("seqrec: out of memory packing %lld items", (long long)r->a.I) : TIDE_OK;
}

/* Blocks until the states of users [0, c1) are in; -1 when the run was ended without them */
static int await_rows(tide_seqrec_run *r, int64_t c1)
{
    if (atomic_load_explicit(&r->ready, memory_order_acquire) >= c1) return TIDE_OK;
    pthread_mutex_lock(&r->mu);
    while (atomic_load_explicit(&r->ready, memory_order_acquire) < c1 && !r->aborted)
        pthread_cond_wait(&r->cv, &r->mu);
    int ok = atomic_load_explicit(&r->ready, memory_order_acquire) >= c1;
    pthread_mutex_unlock(&r->mu);
    return ok ? TIDE_OK : tide_errorf("seqrec: the run was ended before its states were in");
}

static void *job_run(void *arg)
{
    sc_job *j = arg;
    tide_seqrec_run *r = j->r;
    const sc_args *a = &r->a;
    scratch w = {0};
    int64_t nr = (SC_U + SQ_MR - 1) / SQ_MR * SQ_MR;
    j->rc = prepare(r);
    w.H = aligned_alloc(64, (size_t)((nr * a->D * 4 + 63) / 64 * 64));
    w.S = aligned_alloc(64, (size_t)nr * SC_I * sizeof(float));
    w.buf = malloc((size_t)SC_U * (size_t)(a->K > 0 ? a->K : 1) * sizeof(cand));
    if (j->rc == 0 && a->Pb) {
        w.Hb = malloc((size_t)(nr * ((a->D + 1) / 2)) * sizeof(uint32_t));
        w.sel = malloc(SC_I * sizeof(float));
        if (!w.Hb || !w.sel) j->rc = tide_errorf("seqrec: out of memory");
        for (int k = 0; k < 2; k++) {
            pend *pd = &w.pd[k];
            pd->idx = malloc(((size_t)SC_U * SC_I + 16) * sizeof(int32_t)); /* scan_avx512 writes 16 at once */
            pd->ids = malloc((size_t)SC_U * SC_I * sizeof(int32_t));
            pd->band = malloc((size_t)SC_U * SC_I);
            pd->X = malloc((size_t)SC_U * SC_I * sizeof(float));
            if (!pd->idx || !pd->ids || !pd->band || !pd->X) j->rc = tide_errorf("seqrec: out of memory");
        }
    }
    if (j->rc == 0 && (!w.H || !w.S || !w.buf)) j->rc = tide_errorf("seqrec: out of memory");
    for (int64_t c0; j->rc == 0 && (c0 = atomic_fetch_add(&r->next, SC_U)) < a->B;) {
        int64_t c1 = c0 + SC_U < a->B ? c0 + SC_U : a->B;
        j->rc = await_rows(r, c1);
        if (j->rc == 0) j->rc = tide_seqrec_run_block(r, &w, c0, c1);
    }
    if (j->rc < 0) snprintf(j->err, sizeof j->err, "%s", tide_error()); /* messages are per thread */
    free(w.H); free(w.S); free(w.buf); free(w.seen); free(w.ss); free(w.ts);
    free(w.Hb); free(w.sel);
    free(w.up); free(w.dn); free(w.cnt);
    for (int k = 0; k < 2; k++) free(w.pd[k].idx), free(w.pd[k].ids), free(w.pd[k].band), free(w.pd[k].X);
    return NULL;
}

static int n_threads(int64_t B, int64_t I)
{
    long t = tide_threads_wanted(8);
    int64_t by_work = B * I / (1 << 22) + 1, blocks = (B + SC_U - 1) / SC_U;
    if (t > by_work) t = (long)by_work;
    if (t > blocks) t = (long)blocks;
    return t < 1 ? 1 : (int)t;
}

static int check_csr(int64_t B, const int64_t *off, const int32_t *ids, int64_t I, const char *what)
{
    if (off[0] != 0) return tide_errorf("seqrec: %s offsets must start at 0, got %lld", what, (long long)off[0]);
    for (int64_t b = 0; b < B; b++) {
        if (off[b + 1] < off[b]) return tide_errorf("seqrec: %s offsets decrease at row %lld", what, (long long)b);
        for (int64_t p = off[b]; p < off[b + 1]; p++)
            if (ids[p] < 0 || ids[p] >= I)
                return tide_errorf("seqrec: %s item %d of row %lld is outside [0, %lld)", what, ids[p], (long long)b,
                                   (long long)I);
    }
    return TIDE_OK;
}

int tide_seqrec_rank_topk_start_rows(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                                     int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                                     const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals,
                                     int64_t ready, tide_seqrec_run **out)
{
    *out = NULL;
    if (B < 0 || D < 1 || I < 1 || I > INT32_MAX || ldh < D || lde < D)
        return tide_errorf("seqrec: bad sizes B %lld, D %lld, I %lld (ldh %lld, lde %lld)", (long long)B, (long long)D,
                           (long long)I, (long long)ldh, (long long)lde);
    if (K < 0 || (K > 0 && !items)) return tide_errorf("seqrec: K must be >= 0 (with an items buffer), got %d", K);
    if (ready < 0 || ready > B)
        return tide_errorf("seqrec: ready must be in [0, %lld], got %lld", (long long)B, (long long)ready);
    if (seen && check_csr(B, seen_off, seen, I, "seen") < 0) return TIDE_ERR;
    if (tgt && check_csr(B, tgt_off, tgt, I, "target") < 0) return TIDE_ERR;
    tide_seqrec_run *r = calloc(1, sizeof *r);
    if (!r) return tide_errorf("seqrec: out of memory");
    int64_t np = (I + SQ_PANEL - 1) / SQ_PANEL;
    r->a = (sc_args){B, D, ldh, I, lde, H, E, seen_off, tgt_off, seen, tgt, rank, K, items, vals, np + (np & 1),
                     tide_seqrec_isa(), NULL, NULL, NULL, 0};
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    atomic_init(&r->next, 0);
    atomic_init(&r->ready, ready);
    *out = r;
    if (B == 0) return TIDE_OK; /* nothing to run: wait only frees */
    r->T = n_threads(B, I);
    /* every worker is a background thread, so the caller can compute the next states meanwhile;
     * a job whose thread cannot be created runs in wait, once every state is in */
    for (int k = 0; k < r->T; k++) {
        r->jobs[k] = (sc_job){r, 0, ""};
        r->started[k] = pthread_create(&r->th[k], NULL, job_run, &r->jobs[k]) == 0;
    }
    return TIDE_OK;
}

int tide_seqrec_rank_topk_start(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                                int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                                const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals,
                                tide_seqrec_run **out)
{
    return tide_seqrec_rank_topk_start_rows(B, D, H, ldh, I, E, lde, seen_off, seen, tgt_off, tgt, rank, K, items,
                                            vals, B, out);
}

int tide_seqrec_run_ready(tide_seqrec_run *r, int64_t n)
{
    pthread_mutex_lock(&r->mu);
    int64_t have = atomic_load_explicit(&r->ready, memory_order_relaxed);
    int ok = n >= have && n <= r->a.B;
    if (ok) atomic_store_explicit(&r->ready, n, memory_order_release);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return ok ? TIDE_OK
              : tide_errorf("seqrec: ready must grow within [%lld, %lld], got %lld", (long long)have,
                            (long long)r->a.B, (long long)n);
}

int tide_seqrec_rank_topk_wait(tide_seqrec_run *r)
{
    if (!r) return TIDE_OK;
    pthread_mutex_lock(&r->mu);
    int64_t have = atomic_load_explicit(&r->ready, memory_order_relaxed);
    r->aborted = have < r->a.B; /* the workers stop instead of waiting forever */
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (int k = 0; k < r->T; k++) {
        if (r->started[k]) pthread_join(r->th[k], NULL);
        else job_run(&r->jobs[k]);
    }
    int rc = TIDE_OK;
    if (r->aborted)
        rc = tide_errorf("seqrec: waited with the states of %lld of %lld users", (long long)have, (long long)r->a.B);
    for (int k = 0; k < r->T && rc == TIDE_OK; k++)
        if (r->jobs[k].rc < 0) rc = tide_errorf("%s", r->jobs[k].err);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->P);
    free(r->Pb);
    free(r->perm);
    free(r->tmax);
    free(r);
    return rc;
}

int tide_seqrec_rank_topk(int64_t B, int64_t D, const float *H, int64_t ldh, int64_t I, const float *E,
                          int64_t lde, const int64_t *seen_off, const int32_t *seen, const int64_t *tgt_off,
                          const int32_t *tgt, int64_t *rank, int K, int32_t *items, float *vals)
{
    tide_seqrec_run *r;
    if (tide_seqrec_rank_topk_start(B, D, H, ldh, I, E, lde, seen_off, seen, tgt_off, tgt, rank, K, items, vals, &r) < 0)
        return TIDE_ERR;
    return tide_seqrec_rank_topk_wait(r);
}