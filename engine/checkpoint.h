/* checkpoint.h — save/load a state dict (named tensors) plus a small metadata table
 * (string -> number | string) in one checksummed little-endian file. The format is
 * documented at the top of checkpoint.c.
 *
 * Saving is atomic: the file is written to a temporary in the same directory, fsync'ed and
 * renamed over the target, so a crash leaves either the old or the new checkpoint, never a
 * torn one. Loading validates everything (magic, version, sizes against the file length,
 * per-tensor CRC32, whole-file CRC32) and refuses a truncated, corrupt, wrong-version or
 * foreign file with an error naming the file; nothing is returned unless all of it is good. */
#ifndef TIDE_CHECKPOINT_H
#define TIDE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

#define TIDE_CKPT_VERSION 1
#define TIDE_CKPT_MAX_NAME 4096

typedef struct {
    char *key;
    int is_string; /* 1: str holds the value; 0: num */
    double num;
    char *str;
} tide_ckpt_meta;

typedef struct {
    int n;
    char **names;          /* owned */
    tide_tensor **tensors; /* owned references, contiguous */
    int nmeta;
    tide_ckpt_meta *meta;  /* owned */
} tide_checkpoint;

/* Writes n named tensors (any layout; names unique, non-empty, < TIDE_CKPT_MAX_NAME bytes)
 * and nmeta entries to path. TIDE_ERR + message naming the path on failure (the target is
 * then untouched and the temporary removed). */
int tide_checkpoint_save(const char *path, int n, const char *const *names,
                         tide_tensor *const *tensors, int nmeta, const tide_ckpt_meta *meta);

/* The exact bytes tide_checkpoint_save would write, into a NEW malloc'd buffer (*out, *len;
 * the caller frees), e.g. to embed a model in another file (tide.sentiment ensembles).
 * `name` (NULL: "(memory)") only names the bytes in error messages. TIDE_ERR on bad
 * arguments or out of memory (*out NULL). */
int tide_checkpoint_encode(const char *name, int n, const char *const *names,
                           tide_tensor *const *tensors, int nmeta, const tide_ckpt_meta *meta,
                           uint8_t **out, size_t *len);

/* Reads a checkpoint; NEW object owned by the caller, or NULL + message naming the path. */
tide_checkpoint *tide_checkpoint_load(const char *path);
/* The same validation and result from the len bytes of a checkpoint file at buf (not kept);
 * errors name `name` (NULL: "(memory)"). tide_checkpoint_load reads the file and calls this. */
tide_checkpoint *tide_checkpoint_parse(const void *buf, size_t len, const char *name);
void tide_checkpoint_free(tide_checkpoint *c); /* NULL-safe */

#endif
