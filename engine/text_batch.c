/* text_batch.c — running one function over many texts (or index ranges) on several threads.
 * Each text's result depends on that text only, so splitting the batch into contiguous chunks
 * (one per thread, each with its own tokenizer scratch) gives results identical to the
 * single-threaded loop. Threads: TIDE_THREADS if set, else the online CPUs (at most 8); small
 * batches stay on the calling thread. Used by the fastText and linear text models. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "text.h"

typedef struct {
    tide_text_job fn;
    void *ctx;
    int64_t lo, hi;
    int rc;
    char err[256];
} job;

static void *run(void *p)
{
    job *j = p;
    tide_units u = {0};
    j->rc = TIDE_OK;
    for (int64_t i = j->lo; i < j->hi; i++) {
        if (j->fn(j->ctx, i, &u) != TIDE_OK) {
            j->rc = TIDE_ERR;
            snprintf(j->err, sizeof j->err, "text %lld: %s", (long long)i + 1, tide_error());
            break;
        }
    }
    tide_units_free(&u);
    return NULL;
}

static int n_threads(int64_t n, int64_t min_per_thread)
{
    const char *e = getenv("TIDE_THREADS");
    long t = e ? atol(e) : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1) t = 1;
    if (t > 8) t = 8;
    if (n < min_per_thread * 2) t = 1; /* thread start-up costs more than it saves */
    return (int)t;
}

typedef struct {
    tide_range_job fn;
    void *ctx;
    int64_t lo, hi;
} range;

static void *run_range(void *p)
{
    range *r = p;
    r->fn(r->ctx, r->lo, r->hi);
    return NULL;
}

void tide_parallel_for(int64_t n, int64_t min_per_thread, tide_range_job fn, void *ctx)
{
    int T = n_threads(n, min_per_thread);
    range rs[8];
    pthread_t th[8];
    int started[8] = {0};
    for (int k = 0; k < T; k++) rs[k] = (range){fn, ctx, n * k / T, n * (k + 1) / T};
    for (int k = 1; k < T; k++) started[k] = pthread_create(&th[k], NULL, run_range, &rs[k]) == 0;
    run_range(&rs[0]);
    for (int k = 1; k < T; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else run_range(&rs[k]);
    }
}

int tide_text_batch(int64_t n, tide_text_job fn, void *ctx, const char *what)
{
    int T = n_threads(n, 1024);
    job jobs[8];
    pthread_t th[8];
    int started[8] = {0};
    for (int k = 0; k < T; k++) jobs[k] = (job){fn, ctx, n * k / T, n * (k + 1) / T, TIDE_OK, ""};
    for (int k = 1; k < T; k++) started[k] = pthread_create(&th[k], NULL, run, &jobs[k]) == 0;
    run(&jobs[0]);
    for (int k = 1; k < T; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else run(&jobs[k]); /* could not start a thread: do its share here */
    }
    for (int k = 0; k < T; k++)
        if (jobs[k].rc != TIDE_OK) return tide_errorf("%s: %s", what, jobs[k].err);
    return TIDE_OK;
}
