/* crc32.h — zlib's CRC-32 over a buffer of any size (zlib takes at most 4 GiB - 1 per call,
 * so longer buffers go in 1 GiB pieces). Model and dataset files checksum their bytes with it. */
#ifndef TIDE_CRC32_H
#define TIDE_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t tide_crc32(const void *p, size_t n);

#endif
