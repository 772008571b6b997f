/* atomic_file.h — the one way Tide writes a file that must never be seen half-written
 * (models, checkpoints, datasets, logs, reports): write to a temporary name in the same
 * directory, flush, fsync, rename over the target, fsync the directory. On any failure the
 * temporary is removed and the target is left as it was. A writer killed mid-write leaves its
 * temporary behind; the next write to the same target removes it (tide_atomic_reclaim). */
#ifndef TIDE_ATOMIC_FILE_H
#define TIDE_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    FILE *f;          /* write here between open and commit */
    char *path;       /* target (owned copy) */
    char *tmp;        /* temporary name (owned) */
} tide_atomic_file;

/* Opens a temporary beside `path`. TIDE_ERR + message naming the path on failure. */
int tide_atomic_open(tide_atomic_file *af, const char *path);
/* Flushes, fsyncs, closes and renames onto the target; on failure removes the temporary.
 * Either way af is finished afterwards. */
int tide_atomic_commit(tide_atomic_file *af);
/* Abandons the write: closes and removes the temporary. Safe on a finished af. */
void tide_atomic_abort(tide_atomic_file *af);
/* Removes the temporaries of `path` left by dead writers ("<path>.tmp.<pid>.<n>" whose pid no
 * longer exists); returns how many. tide_atomic_open calls it first. */
int tide_atomic_reclaim(const char *path);
/* Writes n bytes as the whole new content of path, atomically. */
int tide_write_file_atomic(const char *path, const void *data, size_t n);

#endif
