/* limit.h — configurable ceilings on what one request may allocate, so a typo in a shape, a
 * corrupt file header or an oversized input becomes an error naming the limit instead of an
 * out-of-memory kill half-way through.
 *
 *   TIDE_LIMIT_TENSOR_BYTES  bytes of one tensor (or blob): every tensor storage the engine
 *                            allocates (tensor.c's storage_alloc: constructors, op results,
 *                            gradients), and each entry read from a checkpoint / prepared
 *                            dataset, checked before it is allocated. Default: the machine's
 *                            physical memory. Environment: TIDE_MAX_TENSOR_BYTES.
 *   TIDE_LIMIT_ROWS          rows (elements of one column) of a prepared dataset. Default:
 *                            2^31 - 1 (ids are int32). Environment: TIDE_MAX_ROWS.
 * Environment values are integers with an optional K, M, G or T suffix (powers of 1024); 0
 * means no limit. They are read once, on first use; tide_limit_set overrides them. */
#ifndef TIDE_LIMIT_H
#define TIDE_LIMIT_H

#include <stdint.h>

typedef enum { TIDE_LIMIT_TENSOR_BYTES = 0, TIDE_LIMIT_ROWS = 1, TIDE_LIMIT_COUNT } tide_limit;

uint64_t tide_limit_get(tide_limit which);         /* 0 = unlimited */
void tide_limit_set(tide_limit which, uint64_t v); /* 0 = unlimited */
const char *tide_limit_name(tide_limit which);     /* "max_tensor_bytes", "max_rows" */

/* TIDE_OK, or TIDE_ERR with "<what>: <n> bytes exceed max_tensor_bytes = <limit> (set
 * TIDE_MAX_TENSOR_BYTES or tide.config.set{max_tensor_bytes = ...})". */
int tide_limit_check_bytes(uint64_t nbytes, const char *what);
int tide_limit_check_rows(uint64_t rows, const char *what);

/* Parses "123", "64M", "2G" ...; returns 0 and sets *v, or -1 for anything else. */
int tide_limit_parse(const char *s, uint64_t *v);

#endif
