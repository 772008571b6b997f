/* atomic_file.c — temp + fsync + rename writes (see atomic_file.h). */
#include "atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

static void free_names(tide_atomic_file *af)
{
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    af->f = NULL;
}

/* Temporaries are named "<target>.tmp.<pid>.<n>". A writer killed before its commit leaves
 * one behind; the next writer of the same target removes those whose pid no longer exists
 * (kill(pid, 0) fails with ESRCH). A live pid — this process, another writer, or a reused
 * pid — is left alone, so a concurrent write is never disturbed. Returns the number removed. */
int tide_atomic_reclaim(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) return 0;
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return 0;
    }
    size_t nb = strlen(base);
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        if (strncmp(nm, base, nb) != 0 || strncmp(nm + nb, ".tmp.", 5) != 0) continue;
        char *end;
        long pid = strtol(nm + nb + 5, &end, 10);
        if (pid <= 0 || *end != '.' || end[1] < '0' || end[1] > '9') continue;
        for (end++; *end >= '0' && *end <= '9'; end++) {}
        if (*end || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to judge */
        if (unlinkat(dirfd(d), nm, 0) == 0) removed++;
    }
    closedir(d);
    free(dir);
    return removed;
}

int tide_atomic_open(tide_atomic_file *af, const char *path)
{
    static int counter;
    memset(af, 0, sizeof *af);
    if (!path || !*path) return tide_errorf("write: empty file name");
    size_t n = strlen(path) + 48;
    af->path = strdup(path);
    af->tmp = malloc(n);
    if (!af->path || !af->tmp) {
        free_names(af);
        return tide_errorf("%s: out of memory", path);
    }
    tide_atomic_reclaim(path);
    /* atomic counter + O_EXCL: two threads writing one target never share a temporary */
    snprintf(af->tmp, n, "%s.tmp.%ld.%d", path, (long)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    af->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!af->f) {
        if (fd >= 0) close(fd);
        int e = errno;
        free_names(af);
        return tide_errorf("%s: cannot create a temporary file beside it: %s", path, strerror(e));
    }
    return TIDE_OK;
}

/* fsync the directory holding path, so the rename itself survives a crash */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) return;
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int tide_atomic_commit(tide_atomic_file *af)
{
    if (!af->f) return tide_errorf("write: file already finished");
    int e = 0;
    if (ferror(af->f)) e = EIO;
    if (!e && fflush(af->f) != 0) e = errno ? errno : EIO;
    if (!e && fsync(fileno(af->f)) != 0) e = errno ? errno : EIO;
    if (fclose(af->f) != 0 && !e) e = errno ? errno : EIO;
    af->f = NULL;
    if (!e && rename(af->tmp, af->path) != 0) e = errno ? errno : EIO;
    if (e) {
        unlink(af->tmp);
        int rc = tide_errorf("%s: write failed: %s", af->path, strerror(e));
        free_names(af);
        return rc;
    }
    sync_dir(af->path);
    free_names(af);
    return TIDE_OK;
}

void tide_atomic_abort(tide_atomic_file *af)
{
    if (af->f) fclose(af->f);
    if (af->tmp) unlink(af->tmp);
    free_names(af);
}

int tide_write_file_atomic(const char *path, const void *data, size_t n)
{
    tide_atomic_file af;
    if (tide_atomic_open(&af, path) != TIDE_OK) return TIDE_ERR;
    if (n && fwrite(data, 1, n, af.f) != n) {
        int e = errno;
        tide_atomic_abort(&af);
        return tide_errorf("%s: write failed: %s", path, strerror(e ? e : EIO));
    }
    return tide_atomic_commit(&af);
}
