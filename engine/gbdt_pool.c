/* gbdt_pool.c — a persistent worker pool for the GBDT fit.
 *
 * A fit runs thousands of small parallel steps (one histogram per leaf); starting threads for
 * each would cost more than the work, so workers live for the whole fit and sleep on a
 * condition variable between jobs. Tasks are handed out by an atomic ticket: which thread
 * runs which task varies, but every task writes its own output, so results do not.
 *
 * The caller works on its own job too and waits only for the tasks, not for every worker to
 * wake: on a loaded machine a descheduled worker would otherwise stall each of the thousands
 * of steps. The ticket carries the job's generation in its high 32 bits, so a worker that wakes
 * late cannot take a task of a newer job with the older job's function. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"
#include "gbdt_internal.h"
#include "threads.h"

#define POOL_MAX 8

struct gbdt_pool {
    int threads; /* including the caller */
    pthread_t th[POOL_MAX];
    pthread_mutex_t mu;
    pthread_cond_t wake, finished;
    uint32_t generation; /* bumped per job */
    int stop;
    void (*fn)(void *, int);
    void *ctx;
    int ntasks;
    _Atomic uint64_t ticket; /* generation << 32 | next task */
    atomic_int done;         /* tasks finished in the current job */
};

int gbdt_threads(int requested)
{
    if (requested <= 0) return tide_threads_wanted(POOL_MAX);
    return requested > POOL_MAX ? POOL_MAX : requested;
}

/* Runs tasks of job `gen` (fn, ctx, ntasks as read for it) until none is left. */
static void drain(gbdt_pool *p, uint32_t gen, void (*fn)(void *, int), void *ctx, int ntasks)
{
    for (;;) {
        uint64_t t = atomic_load(&p->ticket);
        if ((uint32_t)(t >> 32) != gen || (int)(uint32_t)t >= ntasks) return;
        if (!atomic_compare_exchange_weak(&p->ticket, &t, t + 1)) continue;
        fn(ctx, (int)(uint32_t)t);
        if (atomic_fetch_add(&p->done, 1) + 1 == ntasks) {
            pthread_mutex_lock(&p->mu); /* the caller checks `done` under the lock: no lost wake-up */
            pthread_cond_signal(&p->finished);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void *worker(void *arg)
{
    gbdt_pool *p = arg;
    uint32_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        void (*fn)(void *, int) = p->fn;
        void *ctx = p->ctx;
        int ntasks = p->ntasks;
        pthread_mutex_unlock(&p->mu);
        drain(p, seen, fn, ctx, ntasks);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

gbdt_pool *gbdt_pool_new(int threads)
{
    gbdt_pool *p = calloc(1, sizeof *p);
    if (!p) {
        tide_errorf("gbdt: out of memory for the thread pool");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->finished, NULL);
    p->threads = 1;
    int want = gbdt_threads(threads);
    for (int k = 1; k < want; k++) {
        if (pthread_create(&p->th[k], NULL, worker, p) != 0) break; /* fewer threads, same results */
        p->threads++;
    }
    return p;
}

void gbdt_pool_run(gbdt_pool *p, int ntasks, void (*fn)(void *, int), void *ctx, int parallel)
{
    if (ntasks <= 0) return;
    if (!p || p->threads == 1 || !parallel || ntasks == 1) {
        for (int t = 0; t < ntasks; t++)
            fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&p->mu);
    uint32_t gen = ++p->generation;
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    atomic_store(&p->done, 0);
    atomic_store(&p->ticket, (uint64_t)gen << 32);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    drain(p, gen, fn, ctx, ntasks);
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->done) < ntasks)
        pthread_cond_wait(&p->finished, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

int gbdt_pool_threads(const gbdt_pool *p) { return p ? p->threads : 1; }

void gbdt_pool_free(gbdt_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int k = 1; k < p->threads; k++)
        pthread_join(p->th[k], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->finished);
    free(p);
}
