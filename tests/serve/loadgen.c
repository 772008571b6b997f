/* loadgen.c — a small closed-loop HTTP load generator for the Tide scoring service (local
 * only: it connects to 127.0.0.1). C keep-alive connections each send GET requests one after
 * another (fixed concurrency), cycling users 1..U, until N requests are done or T seconds pass;
 * prints throughput and latency percentiles (nearest-rank) of the completed requests.
 *
 *   loadgen -p PORT [-c 8] [-n 2000] [-t 10] [-u 500] [-k 10] [-P /recommend]
 *
 * Any status other than 200 counts as an error (and is still timed). A request whose idle
 * keep-alive connection the server had closed is retried once on a new one (counted). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port = 0, conc = 8, users = 500, k = 10;
static long total = 2000;
static double max_seconds = 10;
static const char *path = "/recommend";
static atomic_long issued, errors, retries;
static double t_start;
static double *lat; /* seconds per request, indexed by issue order */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int connect_local(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one response; returns its status code, -2 when the server had closed the keep-alive
 * connection before answering (nothing read), -1 on any other failure. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have + 1 >= cap) return -1;
        ssize_t r = read(fd, buf + have, cap - 1 - have);
        if (r <= 0) return have == 0 ? -2 : -1;
        have += (size_t)r;
        buf[have] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
    char *cl = strcasestr(buf, "\r\nContent-Length:");
    long len = cl ? strtol(cl + 17, NULL, 10) : 0;
    size_t body_have = have - (size_t)(end + 4 - buf);
    while ((long)body_have < len) {
        ssize_t r = read(fd, buf, cap - 1);
        if (r <= 0) return -1;
        body_have += (size_t)r;
    }
    return status;
}

static void *worker(void *arg)
{
    char req[256], *buf = malloc(1 << 20);
    int fd = connect_local();
    for (;;) {
        long i = atomic_fetch_add(&issued, 1);
        if (i >= total || now() - t_start > max_seconds) break;
        if (fd < 0 && (fd = connect_local()) < 0) {
            atomic_fetch_add(&errors, 1);
            lat[i] = -1;
            continue;
        }
        int n = snprintf(req, sizeof req, "GET %s?user=%ld&k=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path,
                         i % users + 1, k);
        double t0 = now();
        int status = write(fd, req, (size_t)n) == n ? read_response(fd, buf, 1 << 20) : -2;
        if (status == -2) { /* closed while idle (e.g. a graceful reload): one retry, as HTTP clients do */
            close(fd);
            atomic_fetch_add(&retries, 1);
            fd = connect_local();
            status = fd >= 0 && write(fd, req, (size_t)n) == n ? read_response(fd, buf, 1 << 20) : -1;
        }
        lat[i] = now() - t0;
        if (status != 200) atomic_fetch_add(&errors, 1);
        if (status < 0 && fd >= 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0) close(fd);
    free(buf);
    (void)arg;
    return NULL;
}

/* nearest-rank percentile p of the sorted v[0..n), in milliseconds */
static double pct(const double *v, long n, double p)
{
    if (n == 0) return 0;
    long r = (long)(p / 100.0 * (double)n + 0.999999);
    return v[r < 1 ? 0 : r - 1] * 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int o;
    while ((o = getopt(argc, argv, "p:c:n:t:u:k:P:")) != -1) {
        switch (o) {
        case 'p': port = atoi(optarg); break;
        case 'c': conc = atoi(optarg); break;
        case 'n': total = atol(optarg); break;
        case 't': max_seconds = atof(optarg); break;
        case 'u': users = atoi(optarg); break;
        case 'k': k = atoi(optarg); break;
        case 'P': path = optarg; break;
        default: fprintf(stderr, "usage: loadgen -p PORT [-c 8] [-n 2000] [-t 10] [-u 500] [-k 10] [-P path]\n"); return 2;
        }
    }
    if (port <= 0 || conc < 1 || conc > 1024 || total < 1 || total > 10000000 || users < 1 || max_seconds <= 0) {
        fprintf(stderr, "loadgen: need -p PORT, 1 <= c <= 1024, 1 <= n <= 1e7, u >= 1, t > 0\n");
        return 2;
    }
    lat = calloc((size_t)total, sizeof *lat);
    pthread_t *th = malloc((size_t)conc * sizeof *th);
    if (!lat || !th) return 1;
    t_start = now();
    for (int i = 0; i < conc; i++) pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < conc; i++) pthread_join(th[i], NULL);
    double secs = now() - t_start;
    long done = 0;
    for (long i = 0; i < total; i++)
        if (lat[i] > 0) lat[done++] = lat[i];
    qsort(lat, (size_t)done, sizeof *lat, cmp);
    printf("requests %ld errors %ld retries %ld concurrency %d seconds %.3f throughput %.1f req/s p50 %.3f ms p90 %.3f ms "
           "p99 %.3f ms max %.3f ms\n",
           done, (long)atomic_load(&errors), (long)atomic_load(&retries), conc, secs, done / secs, pct(lat, done, 50), pct(lat, done, 90), pct(lat, done, 99),
           done ? lat[done - 1] * 1e3 : 0);
    free(lat);
    free(th);
    return atomic_load(&errors) > 0 ? 1 : 0;
}
