/* dataset.h — the prepared-dataset file: named tensors and byte blobs in one checksummed,
 * versioned binary file, written atomically.
 *
 * Layout (little-endian):
 *   header  "TIDEDSET" | u32 version (1) | u32 n_entries | u64 file size | u32 crc32 of the
 *           preceding 24 bytes
 *   entry   u32 name length | name | u32 kind (0 f32, 1 i32, 2 i64, 3 bytes) | u64 count
 *           (elements) | u32 crc32 of the data | u32 crc32 of this entry header | zero pad to
 *           8 | data | zero pad to 8
 *   trailer "TIDEEND!"
 * Checksums are CRC-32C (Castagnoli). A reader checks every size against the file size before
 * allocating, and every CRC, so a
 * truncated or corrupt file is refused with a message naming the file and the entry.
 * Writes go to "<path>.tmp.<pid>", are fsync'ed, then renamed over path (atomic on POSIX). */
#ifndef TIDE_DATASET_H
#define TIDE_DATASET_H

#include <stdint.h>

#include "tensor.h"

#define TIDE_DS_VERSION 1
enum { TIDE_DS_F32 = 0, TIDE_DS_I32 = 1, TIDE_DS_I64 = 2, TIDE_DS_BYTES = 3 };

typedef struct {
    char *name;        /* owned by the reader's result; borrowed by the writer */
    int kind;
    tide_tensor *t;    /* numeric kinds (1-D, contiguous) */
    char *bytes;       /* TIDE_DS_BYTES */
    uint64_t nbytes;   /* TIDE_DS_BYTES length */
} tide_ds_entry;

int tide_dataset_write(const char *path, const tide_ds_entry *e, int n);
/* On success *out is an array of *n entries owning their names, tensors and bytes; free it
 * with tide_dataset_free. */
int tide_dataset_read(const char *path, tide_ds_entry **out, int *n);
void tide_dataset_free(tide_ds_entry *e, int n);

#endif
