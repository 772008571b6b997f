/* test_atomic_file.c — atomic writes: content lands whole, failures leave the target alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "atomic_file.h"
#include "error.h"
#include "hash_sha256.h"

static char dir[] = "/tmp/tide_atomic_XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return (size_t)-1;
    size_t k = fread(buf, 1, n, f);
    fclose(f);
    return k;
}

static int count_entries(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1) n = -1;
    if (p) pclose(p);
    return n;
}

static void test_write_replaces_whole_content(void **state)
{
    (void)state;
    char path[256], buf[64];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    assert_int_equal(tide_write_file_atomic(path, "first version", 13), TIDE_OK);
    assert_int_equal(tide_write_file_atomic(path, "second", 6), TIDE_OK);
    assert_int_equal(slurp(path, buf, sizeof buf), 6);
    assert_memory_equal(buf, "second", 6);
    assert_int_equal(count_entries(), 1); /* no temporary left behind */
}

static void test_abort_keeps_old_content(void **state)
{
    (void)state;
    char path[256], buf[64];
    snprintf(path, sizeof path, "%s/keep.txt", dir);
    assert_int_equal(tide_write_file_atomic(path, "old", 3), TIDE_OK);
    tide_atomic_file af;
    assert_int_equal(tide_atomic_open(&af, path), TIDE_OK);
    fputs("half-written new content", af.f);
    tide_atomic_abort(&af);
    tide_atomic_abort(&af); /* twice is safe */
    assert_int_equal(slurp(path, buf, sizeof buf), 3);
    assert_memory_equal(buf, "old", 3);
}

static void test_bad_directory_is_reported(void **state)
{
    (void)state;
    assert_int_equal(tide_write_file_atomic("/nonexistent-dir/x.bin", "x", 1), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "/nonexistent-dir/x.bin"));
    assert_int_equal(tide_write_file_atomic("", "x", 1), TIDE_ERR);
}

/* entries of dir whose name contains ".tmp." */
static int count_temps(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -c '\\.tmp\\.'", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1) n = -1;
    if (p) pclose(p);
    return n;
}

/* version v of the file: its own length and byte pattern, so any mix of two versions or a
 * truncation changes the digest */
#define VLEN(v) ((size_t)(40000 + 7919 * (v)))
static void version_bytes(int v, unsigned char *buf)
{
    for (size_t i = 0; i < VLEN(v); i++) buf[i] = (unsigned char)(i * 31 + v * 101 + (i >> 8));
}

static void digest_of_version(int v, uint8_t out[32])
{
    unsigned char *b = malloc(VLEN(v));
    assert_non_null(b);
    version_bytes(v, b);
    tide_sha256(b, VLEN(v), out);
    free(b);
}

static int file_digest(const char *path, uint8_t out[32])
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    tide_sha256_ctx c;
    tide_sha256_init(&c);
    unsigned char b[4096];
    size_t k;
    while ((k = fread(b, 1, sizeof b, f)) > 0) tide_sha256_update(&c, b, k);
    fclose(f);
    tide_sha256_final(&c, out);
    return 0;
}

/* A writer SIGKILLed in the middle of a write: the target keeps its old content (checked by
 * SHA-256), its temporary is left behind, and the next write removes it. */
static void test_killed_writer_leaves_old_content(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/killed.bin", dir);
    unsigned char *b = malloc(VLEN(9));
    assert_non_null(b);
    version_bytes(0, b);
    assert_int_equal(tide_write_file_atomic(path, b, VLEN(0)), TIDE_OK);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* child: half of version 1, tell the parent, then wait to be killed */
        tide_atomic_file af;
        version_bytes(1, b);
        if (tide_atomic_open(&af, path) != TIDE_OK) _exit(2);
        fwrite(b, 1, VLEN(1) / 2, af.f);
        fflush(af.f);
        if (write(fds[1], "x", 1) != 1) _exit(3);
        for (;;) pause();
    }
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    close(fds[0]), close(fds[1]);
    assert_true(WIFSIGNALED(st));
    uint8_t want[32], got[32];
    digest_of_version(0, want);
    assert_int_equal(file_digest(path, got), 0);
    assert_memory_equal(got, want, 32);
    assert_int_equal(count_temps(), 1); /* the dead writer's temporary */
    version_bytes(2, b);
    assert_int_equal(tide_write_file_atomic(path, b, VLEN(2)), TIDE_OK);
    assert_int_equal(count_temps(), 0);
    digest_of_version(2, want);
    assert_int_equal(file_digest(path, got), 0);
    assert_memory_equal(got, want, 32);
    free(b);
}

/* A writer rewriting the file in a loop, killed at random moments (during a write, an fsync
 * or a rename): every time the target is exactly one complete version. */
static void test_random_kills_leave_a_whole_version(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/loop.bin", dir);
    unsigned char *b = malloc(VLEN(9));
    assert_non_null(b);
    version_bytes(0, b);
    assert_int_equal(tide_write_file_atomic(path, b, VLEN(0)), TIDE_OK);
    uint8_t want[10][32], got[32];
    for (int v = 0; v < 10; v++) digest_of_version(v, want[v]);
    srand(12345);
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (int v = 1;; v = v % 9 + 1) {
                version_bytes(v, b);
                tide_atomic_file af;
                if (tide_atomic_open(&af, path) != TIDE_OK) _exit(2);
                for (size_t off = 0; off < VLEN(v); off += 4096) /* many small writes */
                    fwrite(b + off, 1, VLEN(v) - off < 4096 ? VLEN(v) - off : 4096, af.f);
                if (tide_atomic_commit(&af) != TIDE_OK) _exit(3);
            }
        }
        struct timespec ts = {0, (long)(rand() % 20000) * 1000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(file_digest(path, got), 0);
        int match = -1;
        for (int v = 0; v < 10; v++)
            if (!memcmp(got, want[v], 32)) match = v;
        assert_true(match >= 0);
    }
    assert_true(count_temps() >= 0);
    assert_int_equal(tide_atomic_reclaim(path) >= 0, 1);
    assert_int_equal(count_temps(), 0); /* every dead writer's temporary reclaimed */
    free(b);
}

/* A temporary whose pid is alive (this process, or another live writer) is never touched. */
static void test_live_temps_are_kept(void **state)
{
    (void)state;
    char path[256], mine[300], other[300];
    snprintf(path, sizeof path, "%s/live.bin", dir);
    snprintf(mine, sizeof mine, "%s.tmp.%ld.77", path, (long)getpid());
    snprintf(other, sizeof other, "%s.tmp.%ld.3", path, (long)getppid());
    FILE *f = fopen(mine, "wb");
    fclose(f);
    f = fopen(other, "wb");
    fclose(f);
    assert_int_equal(tide_atomic_reclaim(path), 0);
    assert_int_equal(access(mine, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0);
    unlink(mine);
    unlink(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_replaces_whole_content),
        cmocka_unit_test(test_abort_keeps_old_content),
        cmocka_unit_test(test_bad_directory_is_reported),
        cmocka_unit_test(test_killed_writer_leaves_old_content),
        cmocka_unit_test(test_random_kills_leave_a_whole_version),
        cmocka_unit_test(test_live_temps_are_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
