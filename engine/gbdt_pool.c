/* gbdt_pool.c — a persistent worker pool for the GBDT fit.
 *
 * A fit runs thousands of small parallel steps (one histogram per leaf); starting threads for
 * each would cost more than the work, so workers live for the whole fit and sleep on a
 * condition variable between jobs. Tasks are handed out by an atomic counter: which thread
 * runs which task varies, but every task writes its own output, so results do not. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"
#include "gbdt_internal.h"

#define POOL_MAX 8

struct gbdt_pool {
    int threads; /* including the caller */
    pthread_t th[POOL_MAX];
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t generation; /* bumped per job */
    int busy;            /* workers still inside the current job */
    int stop;
    void (*fn)(void *, int);
    void *ctx;
    int ntasks;
    atomic_int next;
};

int gbdt_threads(int requested)
{
    long t = requested;
    if (t <= 0) {
        const char *e = getenv("TIDE_THREADS");
        t = e && atoi(e) > 0 ? atoi(e) : sysconf(_SC_NPROCESSORS_ONLN);
    }
    if (t < 1) t = 1;
    if (t > POOL_MAX) t = POOL_MAX;
    return (int)t;
}

static void drain(gbdt_pool *p)
{
    for (;;) {
        int t = atomic_fetch_add(&p->next, 1);
        if (t >= p->ntasks) break;
        p->fn(p->ctx, t);
    }
}

static void *worker(void *arg)
{
    gbdt_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        drain(p);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

gbdt_pool *gbdt_pool_new(int threads)
{
    gbdt_pool *p = calloc(1, sizeof *p);
    if (!p) { tide_errorf("gbdt: out of memory for the thread pool"); return NULL; }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
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
        for (int t = 0; t < ntasks; t++) fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    atomic_store(&p->next, 0);
    p->busy = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    drain(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void gbdt_pool_free(gbdt_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int k = 1; k < p->threads; k++) pthread_join(p->th[k], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p);
}
