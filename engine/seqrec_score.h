/* seqrec_score.h — the shared state of the fused full ranking (seqrec.h), private to
 * seqrec_score.c (a block of users against the fp32 tiles), seqrec_score_bf16.c (the bf16 first
 * pass) and seqrec_run.c (threads, table preparation, the public entry points). */
#ifndef TIDE_SEQREC_SCORE_H
#define TIDE_SEQREC_SCORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "negative.h" /* tide_sorted_has: the seen-item test */
#include "seqrec.h"
#include "seqrec_internal.h"

enum { SC_U = 64, SC_I = 1024 }; /* users x items per tile: 256 KB of scores, in L2 */

typedef struct {
    float s;
    int32_t id;
} cand;

/* One user's running top-K: a min-heap of the best K so far, worst at the root. The fp32 tiles
 * bring items in increasing id, so once the heap is full a newcomer must score strictly above
 * the root (an equal score comes with a higher id: it ranks after), which a block of 16 scores
 * is tested for at once; the bf16 pass brings them in its table's order and tests
 * worse(root, newcomer). */
typedef struct {
    cand *c;
    int n;
    float thr; /* the root's score once full, else -inf */
} topk_buf;

static inline int worse(cand a, cand b) { return a.s < b.s || (a.s == b.s && a.id > b.id); }

static inline void heap_push(topk_buf *t, int K, cand x)
{
    cand *h = t->c;
    int p;
    if (t->n < K) { /* sift up */
        for (p = t->n++; p > 0 && worse(x, h[(p - 1) / 2]); p = (p - 1) / 2) h[p] = h[(p - 1) / 2];
    } else { /* replace the root, sift down */
        for (p = 0;;) {
            int l = 2 * p + 1;
            if (l >= K) break;
            int m = l + 1 < K && worse(h[l + 1], h[l]) ? l + 1 : l;
            if (!worse(h[m], x)) break;
            h[p] = h[m];
            p = m;
        }
    }
    h[p] = x;
    if (t->n == K) t->thr = h[0].s;
}

typedef struct {
    int64_t B, D, ldh, I, lde;
    const float *H, *E;
    const int64_t *seen_off, *tgt_off;
    const int32_t *seen, *tgt;
    int64_t *rank;
    int K;
    int32_t *items;
    float *vals;
    int64_t np; /* panels of the packed tables */
    int isa;
    const uint32_t *Pb; /* bf16 panels when the bf16 first pass runs (seqrec_bf16.c), else NULL */
    const int32_t *perm; /* the bf16 table's item order: its row k is item perm[k] */
    const double *tmax; /* per tile of SC_I rows of it: the largest item 2-norm, rounding-error norm */
    double emax;        /* the largest item 2-norm */
} sc_args;

/* Threads take blocks of SC_U users from a shared counter, so a thread slowed by other load
 * does not hold the rest back; every user's result is computed alone, whoever computes it. */
typedef struct {
    tide_seqrec_run *r;
    int rc;
    char err[512];
} sc_job;

/* A started evaluation (seqrec.h): its arguments, packed tables and threads. The threads pack
 * the item table themselves (the caller computes the first states meanwhile) and wait for each
 * block's states (tide_seqrec_run_ready). */
struct tide_seqrec_run {
    sc_args a;
    float *P;          /* the fp32 panels: packed when a block runs exact (or no bf16 pass) */
    uint32_t *Pb;      /* the bf16 pass's table (bf16_setup) */
    int32_t *perm;
    double *tmax;
    int T;
    atomic_llong next, ready; /* the next block to take; the rows of H that hold states */
    pthread_mutex_t mu;       /* guards the fields below and the lazy packing of P */
    pthread_cond_t cv;        /* signalled when prep or ready change, or on abort */
    int prep;                 /* the bf16 table: 0 to do, 1 being done, 2 done, -1 out of memory */
    int aborted;              /* wait came before every state */
    sc_job jobs[8];
    pthread_t th[8];
    int started[8];
};

/* One tile's items awaiting their exact scores: a fused tile is settled one tile late, so the
 * item rows it reads (from all over the table) were prefetched while the next tile was
 * computed; on Games this cut the rescoring's time by about 40%. */
typedef struct {
    int64_t start[SC_U + 1]; /* user u's items are [start[u], start[u + 1]) of the arrays below */
    double B[SC_U];          /* each user's bound for that tile */
    int32_t *idx, *ids;      /* the items' tile rows and ids, */
    uint8_t *band;           /* fused: 1 when in the target's band (not only above the top-K cut), */
    float *X;                /* and their exact scores */
    int fused;
} pend;

/* per-thread scratch for one block of up to SC_U users */
typedef struct {
    float *H, *S, *ts;    /* padded states, score tile, target scores */
    int32_t *seen;        /* each user's distinct seen ids, sorted */
    float *ss;            /* their scores, picked from the tiles (bitwise the dot products) */
    int64_t soff[SC_U + 1], seen_cap, ss_cap, ts_cap, cur[SC_U];
    cand *buf;
    topk_buf tk[SC_U];
    uint32_t *Hb;         /* the bf16 pass: bf16 states, their 2-norms, */
    double hn[SC_U], hd[SC_U];
    pend pd[2];           /* the items to rescore of the last two tiles */
    float *up, *dn;       /* each target's band [dn, up] around its score */
    float *sel;           /* scratch of kth_largest */
    int64_t *cnt, band_cap;
    float fup[SC_U], fdn[SC_U], fkc[SC_U]; /* the fused scan: one band and cut per user, */
    int64_t fcnt[SC_U];   /* the counts above, the band and top-K masks of each panel, */
    uint64_t any[SC_U];   /* and which panels have some */
    uint16_t bits[SC_U * (SC_I / SQ_PANEL)], kbits[SC_U * (SC_I / SQ_PANEL)];
} scratch;

/* seqrec_score.c: users [c0, c1) of the run, their ranks and lists written */
int tide_seqrec_run_block(tide_seqrec_run *r, scratch *w, int64_t c0, int64_t c1);
/* seqrec_run.c: the fp32 panels, packed by the first block that needs them; NULL when out of
 * memory */
const float *tide_seqrec_fp32_table(tide_seqrec_run *r);
/* seqrec_score_bf16.c: the bf16 table (sorted, packed, tile norms) when the items allow it,
 * else nothing (the fp32 tiles run); -1 when out of memory */
int tide_seqrec_bf16_setup(tide_seqrec_run *r);
/* 1 when the bf16 pass can run for the block's nu states in w (then w holds their bf16 rows and
 * norms), else 0 */
int tide_seqrec_bf16_block(const sc_args *a, scratch *w, int64_t nu);
/* the bf16 pass over every tile for the block's users c0 + [0, nu) (nr rows with padding; t0:
 * the block's first target) */
int tide_seqrec_tiles_bf16(const sc_args *a, scratch *w, int64_t c0, int64_t nu, int64_t nr, int64_t t0);

#endif
