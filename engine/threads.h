/* threads.h — how many threads one of Tide's own parallel kernels may start: TIDE_THREADS when it
 * is a positive integer, else the online CPUs; at least 1 and at most `cap`. Callers lower it
 * further by their amount of work. */
#ifndef TIDE_THREADS_H
#define TIDE_THREADS_H

#include <stdlib.h>
#include <unistd.h>

static inline int tide_threads_wanted(int cap)
{
    const char *e = getenv("TIDE_THREADS");
    long t = e && atoi(e) > 0 ? atoi(e) : sysconf(_SC_NPROCESSORS_ONLN);
    if (t > cap) t = cap;
    return t < 1 ? 1 : (int)t;
}

#endif
