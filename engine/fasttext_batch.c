/* fasttext_batch.c — scoring many raw texts with a fastText model on several threads.
 * Each text's probabilities depend on that text only, so splitting the batch into contiguous
 * chunks (one per thread, each with its own tokenizer scratch) gives results identical to the
 * single-threaded loop. Threads: TIDE_THREADS if set, else the online CPUs (at most 8); small
 * batches stay on the calling thread. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fasttext.h"

typedef struct {
    const tide_fasttext *m;
    const char *const *texts;
    const size_t *lens;
    int64_t lo, hi;
    float *out;
    int rc;
    char err[256];
} job;

static void *run(void *p)
{
    job *j = p;
    tide_units u = {0};
    j->rc = TIDE_OK;
    for (int64_t i = j->lo; i < j->hi; i++) {
        if (tide_fasttext_predict_text(j->m, j->texts[i], j->lens[i], &u,
                                       j->out + i * j->m->n_classes) != TIDE_OK) {
            j->rc = TIDE_ERR;
            snprintf(j->err, sizeof j->err, "text %lld: %s", (long long)i + 1, tide_error());
            break;
        }
    }
    tide_units_free(&u);
    return NULL;
}

static int n_threads(int64_t n)
{
    const char *e = getenv("TIDE_THREADS");
    long t = e ? atol(e) : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1) t = 1;
    if (t > 8) t = 8;
    if (n < 2048) t = 1; /* thread start-up costs more than it saves */
    return (int)t;
}

int tide_fasttext_predict_batch(const tide_fasttext *m, const char *const *texts,
                                const size_t *lens, int64_t n, float *out)
{
    int T = n_threads(n);
    job jobs[8];
    pthread_t th[8];
    int started[8] = {0};
    for (int k = 0; k < T; k++)
        jobs[k] = (job){m, texts, lens, n * k / T, n * (k + 1) / T, out, TIDE_OK, ""};
    for (int k = 1; k < T; k++) started[k] = pthread_create(&th[k], NULL, run, &jobs[k]) == 0;
    run(&jobs[0]);
    for (int k = 1; k < T; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else run(&jobs[k]); /* could not start a thread: do its share here */
    }
    for (int k = 0; k < T; k++)
        if (jobs[k].rc != TIDE_OK) return tide_errorf("fasttext predict: %s", jobs[k].err);
    return TIDE_OK;
}
