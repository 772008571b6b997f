/* crc32.c — see crc32.h. */
#include "crc32.h"

#include <zlib.h>

uint32_t tide_crc32(const void *buf, size_t n)
{
    const unsigned char *p = buf;
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}
