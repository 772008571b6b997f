/* fasttext_io.c — the fastText model file: atomic write, checksummed, refused when corrupt.
 *
 * Layout (little-endian host order, checked by a byte-order word):
 *   "TIDEFT01" | u32 0x01020304 | i32 dim, n_classes, flags, ngrams | i64 buckets, n_vocab,
 *   vocab_bytes | vocabulary (text.h format) | f32 emb[n_rows*dim], w[n_classes*dim],
 *   b[n_classes] | u32 CRC-32 (zlib) of every byte before it. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "atomic_file.h"
#include "fasttext.h"

#define MAGIC "TIDEFT01"

static uint32_t crc_all(const unsigned char *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

typedef struct {
    int32_t dim, n_classes, flags, ngrams;
    int64_t buckets, n_vocab, vocab_bytes;
} header;

int tide_fasttext_save(const tide_fasttext *m, const char *path)
{
    size_t vn;
    char *vb = tide_vocab_serialize(m->vocab, &vn);
    if (!vb) return TIDE_ERR;
    header h = {m->dim, m->n_classes, m->ids.flags, m->ids.ngrams, m->ids.buckets, m->n_vocab,
                (int64_t)vn};
    size_t ne = (size_t)m->n_rows * (size_t)m->dim, nw = (size_t)m->n_classes * (size_t)m->dim;
    size_t total = 8 + 4 + sizeof h + vn + (ne + nw + (size_t)m->n_classes) * 4 + 4;
    unsigned char *buf = malloc(total), *p = buf;
    if (!buf) { free(vb); return tide_errorf("%s: out of memory (%zu bytes)", path, total); }
    uint32_t bom = 0x01020304;
    memcpy(p, MAGIC, 8); p += 8;
    memcpy(p, &bom, 4); p += 4;
    memcpy(p, &h, sizeof h); p += sizeof h;
    memcpy(p, vb, vn); p += vn;
    memcpy(p, m->emb, ne * 4); p += ne * 4;
    memcpy(p, m->w, nw * 4); p += nw * 4;
    memcpy(p, m->b, (size_t)m->n_classes * 4); p += (size_t)m->n_classes * 4;
    uint32_t crc = crc_all(buf, (size_t)(p - buf));
    memcpy(p, &crc, 4);
    free(vb);
    int rc = tide_write_file_atomic(path, buf, total);
    free(buf);
    return rc;
}

tide_fasttext *tide_fasttext_load(const char *path)
{
    size_t n;
    unsigned char *buf = (unsigned char *)tide_text_read_file(path, &n);
    if (!buf) return NULL;
    tide_fasttext *m = NULL;
    header h;
    uint32_t bom, crc;
    if (n < 8 + 4 + sizeof h + 4 || memcmp(buf, MAGIC, 8) != 0) {
        tide_errorf("%s: not a tide fastText model (bad magic or too short)", path);
        goto out;
    }
    memcpy(&bom, buf + 8, 4);
    if (bom != 0x01020304) { tide_errorf("%s: model written with another byte order", path); goto out; }
    memcpy(&crc, buf + n - 4, 4);
    if (crc_all(buf, n - 4) != crc) {
        tide_errorf("%s: checksum mismatch (file corrupt or truncated)", path);
        goto out;
    }
    memcpy(&h, buf + 12, sizeof h);
    if (h.dim < 1 || h.n_classes < 2 || h.buckets < 0 || h.n_vocab < 0 || h.vocab_bytes < 0 ||
        h.ngrams < 1 || h.ngrams > 8) {
        tide_errorf("%s: invalid header", path);
        goto out;
    }
    size_t ne = (size_t)(h.n_vocab + h.buckets) * (size_t)h.dim;
    size_t nw = (size_t)h.n_classes * (size_t)h.dim;
    size_t want = 12 + sizeof h + (size_t)h.vocab_bytes + (ne + nw + (size_t)h.n_classes) * 4 + 4;
    if (want != n) {
        tide_errorf("%s: size %zu does not match header (%zu)", path, n, want);
        goto out;
    }
    const unsigned char *p = buf + 12 + sizeof h;
    tide_vocab *v = tide_vocab_parse((const char *)p, (size_t)h.vocab_bytes, path);
    if (!v) goto out;
    if (tide_vocab_size(v) != h.n_vocab) {
        tide_errorf("%s: vocabulary size %lld does not match header %lld", path,
                    (long long)tide_vocab_size(v), (long long)h.n_vocab);
        tide_vocab_free(v);
        goto out;
    }
    tide_ids_opts o = {h.flags, h.ngrams, h.buckets};
    m = tide_fasttext_new(v, &o, h.dim, h.n_classes, 0);
    tide_vocab_free(v);
    if (!m) goto out;
    p += h.vocab_bytes;
    memcpy(m->emb, p, ne * 4); p += ne * 4;
    memcpy(m->w, p, nw * 4); p += nw * 4;
    memcpy(m->b, p, (size_t)h.n_classes * 4);
out:
    free(buf);
    return m;
}
