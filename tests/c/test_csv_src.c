/* test_csv_src.c — where the bytes come from (issue 13, item 6): pipes and /dev/stdin are
 * read like files (they used to be "empty file"), plain or gzip; concatenated gzip members
 * are read as gzip -d reads them; anything but gzip after the last member is an error (it
 * used to be ignored), as is a truncated member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include <cmocka.h>

#include "csv_test_util.h"

static const char LOG[] = "user,item,ts\nu1,i1,1\nu2,i2,2\nu1,i3,3\n";

/* gzip of n bytes as one member (zlib's gzip wrapper), appended to out; returns its size */
static size_t gz_member(const char *data, size_t n, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t k = cap - z.avail_out;
    deflateEnd(&z);
    return k;
}

static void check_log(csvt_t *f)
{
    assert_int_equal(f->r.n, 3);
    assert_int_equal(csvt_dropped(&f->r), 0);
    assert_int_equal(tide_intern_size(f->u), 2);
    assert_int_equal(CSVT_I64(*f, 2, 2), 3);
}

/* Reads `path` while a child process writes `data` into the fifo or pipe it names. */
static int read_fed(csvt_t *f, const char *path, int wfd_or_fifo, const void *data, size_t n)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = wfd_or_fifo >= 0 ? wfd_or_fifo : open(path, O_WRONLY);
        const char *b = data;
        for (size_t k = 0; k < n;) { /* in small pieces, as a slow producer would */
            size_t m = n - k < 7 ? n - k : 7;
            if (write(fd, b + k, m) != (ssize_t)m) _exit(1);
            k += m;
        }
        _exit(0);
    }
    if (wfd_or_fifo >= 0) close(wfd_or_fifo);
    int rc = csvt_read(f, path);
    int status;
    waitpid(pid, &status, 0);
    return rc;
}

static void test_fifo_plain_and_gzip(void **st)
{
    (void)st;
    char path[64];
    snprintf(path, sizeof path, "/tmp/tide_test_fifo_%d", (int)getpid());
    assert_int_equal(mkfifo(path, 0600), 0);
    csvt_t f;
    csvt_init(&f, 1);
    assert_int_equal(read_fed(&f, path, -1, LOG, sizeof LOG - 1), TIDE_OK);
    check_log(&f);
    csvt_free(&f);
    unsigned char gz[512];
    size_t n = gz_member(LOG, sizeof LOG - 1, gz, sizeof gz);
    for (int threads = 0; threads < 2; threads++) {
        if (threads) setenv("TIDE_THREADS", "1", 1);
        csvt_init(&f, 1);
        assert_int_equal(read_fed(&f, path, -1, gz, n), TIDE_OK);
        check_log(&f);
        csvt_free(&f);
        unsetenv("TIDE_THREADS");
    }
    csvt_init(&f, 1); /* nothing written: empty */
    assert_int_equal(read_fed(&f, path, -1, "", 0), TIDE_ERR);
    assert_non_null(strstr(tide_error(), "empty"));
    csvt_free(&f);
    unlink(path);
}

static void test_dev_stdin(void **st)
{
    (void)st;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(0);
    assert_int_equal(dup2(fds[0], 0), 0);
    close(fds[0]);
    csvt_t f;
    csvt_init(&f, 1);
    int rc = read_fed(&f, "/dev/stdin", fds[1], LOG, sizeof LOG - 1);
    dup2(saved, 0);
    close(saved);
    assert_int_equal(rc, TIDE_OK);
    check_log(&f);
    csvt_free(&f);
}

static void test_gzip_members_and_trailing_junk(void **st)
{
    (void)st;
    unsigned char gz[1024];
    size_t n = gz_member("user,item,ts\nu1,i1,1\n", 21, gz, sizeof gz);
    n += gz_member("u2,i2,2\nu1,i3,3\n", 16, gz + n, sizeof gz - n);
    for (int threads = 0; threads < 2; threads++) {
        if (threads) setenv("TIDE_THREADS", "1", 1);
        const char *p = csvt_write((const char *)gz, n);
        csvt_t f;
        csvt_init(&f, 1);
        f.o.chunk = 5;
        assert_int_equal(csvt_read(&f, p), TIDE_OK); /* gzip -d reads both members */
        check_log(&f);
        csvt_free(&f);
        unlink(p);
        memcpy(gz + n, "junk!", 5);
        p = csvt_write((const char *)gz, n + 5);
        csvt_init(&f, 1);
        assert_int_equal(csvt_read(&f, p), TIDE_ERR);
        assert_non_null(strstr(tide_error(), p));
        assert_non_null(strstr(tide_error(), "after the gzip data"));
        csvt_free(&f);
        unlink(p);
        p = csvt_write((const char *)gz, n - 3); /* the second member cut short */
        csvt_init(&f, 1);
        assert_int_equal(csvt_read(&f, p), TIDE_ERR);
        assert_non_null(strstr(tide_error(), "truncated"));
        csvt_free(&f);
        unlink(p);
        unsetenv("TIDE_THREADS");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_plain_and_gzip),
        cmocka_unit_test(test_dev_stdin),
        cmocka_unit_test(test_gzip_members_and_trailing_junk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
