/* dataset.c — prepared-dataset reader and writer (format in dataset.h).
 *
 * Loading is a handful of read() calls straight into tensor storage plus one CRC pass, so it
 * runs at disk/memory speed instead of CSV-parse speed. */
#include "dataset.h"

#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "limit.h"

static const char MAGIC[8] = {'T', 'I', 'D', 'E', 'D', 'S', 'E', 'T'};
static const char TRAILER[8] = {'T', 'I', 'D', 'E', 'E', 'N', 'D', '!'};

/* CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78): with SSE4.2 (part of
 * x86-64-v2, the build's baseline) the crc32 instruction checksums ~8 bytes per cycle, which
 * keeps verification well below the cost of reading the file; otherwise a bitwise table. */
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

static uint32_t crc_update(uint32_t c, const unsigned char *b, uint64_t n)
{
#if defined(__SSE4_2__)
    uint64_t c64 = c;
    for (; n >= 8; b += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        c64 = _mm_crc32_u64(c64, w);
    }
    c = (uint32_t)c64;
    for (; n; b++, n--) c = _mm_crc32_u8(c, *b);
    return c;
#else
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) { /* benign race: every thread writes the same values */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t x = i;
            for (int k = 0; k < 8; k++) x = (x >> 1) ^ (0x82F63B78u & (0u - (x & 1)));
            table[i] = x;
        }
        ready = 1;
    }
    for (; n; b++, n--) c = table[(c ^ *b) & 0xff] ^ (c >> 8);
    return c;
#endif
}

static uint32_t crc(const void *p, uint64_t n) { return ~crc_update(~0u, p, n); }

static int write_all(int fd, const void *p, uint64_t n)
{
    const char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        n -= (uint64_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, uint64_t n)
{
    char *b = p;
    while (n) {
        ssize_t r = read(fd, b, n > (1u << 30) ? (1u << 30) : n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        b += r;
        n -= (uint64_t)r;
    }
    return 0;
}

static const char ZEROS[8] = {0};

/* Reads n bytes in 2 MiB pieces, checksumming each while it is still in cache (one pass over
 * memory instead of two). */
static int read_crc(int fd, void *p, uint64_t n, uint32_t *out)
{
    uint32_t c = ~0u;
    unsigned char *b = p;
    while (n) {
        uint64_t k = n > (2u << 20) ? (2u << 20) : n;
        if (read_all(fd, b, k)) return -1;
        c = crc_update(c, b, k);
        b += k;
        n -= k;
    }
    *out = ~c;
    return 0;
}

static int skip_pad(int fd, uint64_t n)
{
    char b[8];
    if (n && read_all(fd, b, n)) return -1;
    return n && memcmp(b, ZEROS, n) ? -1 : 0;
}
static uint64_t pad8(uint64_t n) { return (8 - (n & 7)) & 7; }

/* every byte is about to be overwritten by read(): no zero-filling pass */
static tide_tensor *uninit_tensor(tide_dtype dt, int64_t n) { return tide_tensor_empty(dt, 1, &n); }

static uint64_t elem_size(int kind) { return kind == TIDE_DS_F32 || kind == TIDE_DS_I32 ? 4 : kind == TIDE_DS_I64 ? 8 : 1; }

static int kind_of(const tide_tensor *t)
{
    return t->dtype == TIDE_F32 ? TIDE_DS_F32 : t->dtype == TIDE_I32 ? TIDE_DS_I32 : TIDE_DS_I64;
}

int tide_dataset_write(const char *path, const tide_ds_entry *e, int n)
{
    for (int i = 0; i < n; i++) {
        if (e[i].kind != TIDE_DS_BYTES && (!e[i].t || !tide_tensor_is_contiguous(e[i].t)))
            return tide_errorf("dataset: entry '%s' must be a contiguous tensor", e[i].name);
        if (strlen(e[i].name) > 4096) return tide_errorf("dataset: entry name too long");
    }
    tide_atomic_file af;
    if (tide_atomic_open(&af, path) != TIDE_OK) return TIDE_ERR;
    int fd = fileno(af.f); /* nothing is buffered in af.f: all writes go to the descriptor */
    /* total size first: the header records it so truncation is detected before parsing */
    uint64_t total = 28 + 8;
    for (int i = 0; i < n; i++) {
        uint64_t hl = 4 + strlen(e[i].name) + 4 + 8 + 4 + 4;
        uint64_t nb = e[i].kind == TIDE_DS_BYTES ? e[i].nbytes
                                                 : (uint64_t)tide_tensor_numel(e[i].t) * elem_size(kind_of(e[i].t));
        total += hl + pad8(hl) + nb + pad8(nb);
    }
    unsigned char hdr[28];
    uint32_t ver = TIDE_DS_VERSION, ne = (uint32_t)n;
    memcpy(hdr, MAGIC, 8);
    memcpy(hdr + 8, &ver, 4);
    memcpy(hdr + 12, &ne, 4);
    memcpy(hdr + 16, &total, 8);
    uint32_t hc = crc(hdr, 24);
    memcpy(hdr + 24, &hc, 4);
    int bad = write_all(fd, hdr, 28);
    for (int i = 0; i < n && !bad; i++) {
        int kind = e[i].kind == TIDE_DS_BYTES ? TIDE_DS_BYTES : kind_of(e[i].t);
        const void *data = kind == TIDE_DS_BYTES ? (const void *)e[i].bytes : tide_tensor_data(e[i].t);
        uint64_t count = kind == TIDE_DS_BYTES ? e[i].nbytes : (uint64_t)tide_tensor_numel(e[i].t);
        uint64_t nb = count * elem_size(kind);
        uint32_t nl = (uint32_t)strlen(e[i].name), k = (uint32_t)kind, dc = crc(data, nb);
        unsigned char eh[4 + 4096 + 24];
        size_t o = 0;
        memcpy(eh + o, &nl, 4); o += 4;
        memcpy(eh + o, e[i].name, nl); o += nl;
        memcpy(eh + o, &k, 4); o += 4;
        memcpy(eh + o, &count, 8); o += 8;
        memcpy(eh + o, &dc, 4); o += 4;
        uint32_t ec = crc(eh, o);
        memcpy(eh + o, &ec, 4); o += 4;
        bad = write_all(fd, eh, o) || write_all(fd, ZEROS, pad8(o)) || write_all(fd, data, nb) ||
              write_all(fd, ZEROS, pad8(nb));
    }
    if (!bad) bad = write_all(fd, TRAILER, 8);
    if (bad) {
        int en = errno;
        tide_atomic_abort(&af);
        return tide_errorf("%s: write failed: %s", path, strerror(en ? en : EIO));
    }
    return tide_atomic_commit(&af);
}

void tide_dataset_free(tide_ds_entry *e, int n)
{
    if (!e) return;
    for (int i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].bytes);
        tide_tensor_release(e[i].t);
    }
    free(e);
}

int tide_dataset_read(const char *path, tide_ds_entry **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return tide_errorf("%s: cannot open dataset: %s", path, strerror(errno));
    struct stat st;
    uint64_t fsize = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    unsigned char hdr[28];
    tide_ds_entry *e = NULL;
    uint32_t ne = 0, i = 0;
    int rc = TIDE_ERR;
    if (fsize < 36 || read_all(fd, hdr, 28)) {
        tide_errorf("%s: not a Tide dataset (too short: %llu bytes)", path, (unsigned long long)fsize);
        goto fail;
    }
    if (memcmp(hdr, MAGIC, 8) != 0) {
        tide_errorf("%s: not a Tide dataset (bad magic)", path);
        goto fail;
    }
    uint32_t ver, hc;
    uint64_t total;
    memcpy(&ver, hdr + 8, 4);
    memcpy(&ne, hdr + 12, 4);
    memcpy(&total, hdr + 16, 8);
    memcpy(&hc, hdr + 24, 4);
    if (TIDE_CRC_BAD(crc(hdr, 24), hc)) {
        tide_errorf("%s: corrupt dataset header (checksum mismatch)", path);
        goto fail;
    }
    if (ver != TIDE_DS_VERSION) {
        tide_errorf("%s: dataset version %u, this Tide reads version %d", path, ver, TIDE_DS_VERSION);
        goto fail;
    }
    if (total != fsize) {
        tide_errorf("%s: truncated or extended dataset (header says %llu bytes, file has %llu)", path,
                    (unsigned long long)total, (unsigned long long)fsize);
        goto fail;
    }
    if (ne > 1u << 20 || !(e = calloc(ne ? ne : 1, sizeof *e))) {
        tide_errorf("%s: corrupt dataset (entry count %u)", path, ne);
        goto fail;
    }
    uint64_t pos = 28;
    for (i = 0; i < ne; i++) {
        unsigned char eh[4 + 4096 + 24];
        uint32_t nl;
        if (pos + 4 > fsize || read_all(fd, eh, 4)) goto trunc;
        memcpy(&nl, eh, 4);
        if (nl > 4096 || pos + 4 + nl + 20 > fsize) {
            tide_errorf("%s: corrupt dataset (entry %u header)", path, i + 1);
            goto fail;
        }
        if (read_all(fd, eh + 4, nl + 20)) goto trunc;
        size_t o = 4 + nl;
        uint32_t kind, dc, ec;
        uint64_t count;
        memcpy(&kind, eh + o, 4);
        memcpy(&count, eh + o + 4, 8);
        memcpy(&dc, eh + o + 12, 4);
        memcpy(&ec, eh + o + 16, 4);
        if (TIDE_CRC_BAD(crc(eh, o + 16), ec) || kind > TIDE_DS_BYTES) {
            tide_errorf("%s: corrupt dataset (entry %u header checksum)", path, i + 1);
            goto fail;
        }
        e[i].name = malloc(nl + 1);
        if (!e[i].name) goto oom;
        memcpy(e[i].name, eh + 4, nl);
        e[i].name[nl] = 0;
        e[i].kind = (int)kind;
        uint64_t hl = o + 20;
        if (skip_pad(fd, pad8(hl)) != 0) goto padbad;
        pos += hl + pad8(hl);
        uint64_t nb = count * elem_size((int)kind);
        if (count > fsize || nb > fsize - pos) {
            tide_errorf("%s: corrupt dataset (entry '%s' claims %llu bytes past the end)", path,
                        e[i].name, (unsigned long long)nb);
            goto fail;
        }
        char what[300];
        snprintf(what, sizeof what, "%s: entry '%s'", path, e[i].name);
        if (tide_limit_check_bytes(nb, what) != TIDE_OK ||
            (kind != TIDE_DS_BYTES && tide_limit_check_rows(count, what) != TIDE_OK))
            goto fail;
        void *dst;
        if (kind == TIDE_DS_BYTES) {
            if (!(e[i].bytes = malloc(nb ? nb : 1))) goto oom;
            e[i].nbytes = nb;
            dst = e[i].bytes;
        } else {
            tide_dtype dt = kind == TIDE_DS_F32 ? TIDE_F32 : kind == TIDE_DS_I32 ? TIDE_I32 : TIDE_I64;
            if (!(e[i].t = uninit_tensor(dt, (int64_t)count))) goto fail;
            dst = tide_tensor_data(e[i].t);
        }
        uint32_t got;
        if (read_crc(fd, dst, nb, &got)) goto trunc;
        if (TIDE_CRC_BAD(got, dc)) {
            tide_errorf("%s: corrupt dataset (entry '%s' checksum mismatch)", path, e[i].name);
            goto fail;
        }
        if (skip_pad(fd, pad8(nb)) != 0) goto padbad;
        pos += nb + pad8(nb);
    }
    char tr[8];
    if (pos + 8 != fsize || read_all(fd, tr, 8) || memcmp(tr, TRAILER, 8) != 0) {
        tide_errorf("%s: corrupt dataset (missing end marker)", path);
        goto fail;
    }
    close(fd);
    *out = e;
    *nout = (int)ne;
    return TIDE_OK;
trunc:
    tide_errorf("%s: truncated dataset (entry %u)", path, i + 1);
    goto fail;
padbad:
    tide_errorf("%s: corrupt dataset (entry %u padding)", path, i + 1);
    goto fail;
oom:
    tide_errorf("%s: out of memory loading dataset", path);
fail:
    close(fd);
    tide_dataset_free(e, (int)ne);
    return rc;
}
