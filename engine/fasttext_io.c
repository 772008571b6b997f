/* fasttext_io.c — the fastText model file: atomic write, checksummed, refused when corrupt.
 *
 * All integers little-endian host order, checked by the format word. Every file starts with
 * the family magic "TIDEFT01" (tide.sentiment.load dispatches on it), then a u32 format word:
 *
 * Format 2 (written now), word 0xF7F70002:
 *   header (80 bytes, below) | zlib stream of the body | u32 CRC-32 (zlib) of every byte
 *   before it. Body: vocabulary (text.h format) | bitmap of stored embedding rows
 *   (ceil(n_rows/8) bytes, bit r = row r) | rows (fasttext_rows.h codec) | f32 w[n_classes*dim]
 *   | f32 b[n_classes]. Unstored rows are regenerated from init_seed, so the file grows with
 *   the rows training touched: with the default 2^19 buckets x dim 32 (64 MiB of f32), the
 *   bench corpora's lossless files are 8-51 MB, int8 ones 1-13 MB (table in
 *   lua/tide/sentiment/fasttext.lua, measured by tests/bench/bench_fasttext_size.lua).
 *
 * The bytes are built in memory (tide_fasttext_encode) and parsed from memory
 * (tide_fasttext_parse); save and load only add the atomic write and the file read, so a
 * model embedded in another file (tide.sentiment ensembles) is byte for byte its own file.
 *
 * Format 1 (read only), word 0x01020304: i32 dim, n_classes, flags, ngrams | i64 buckets,
 *   n_vocab, vocab_bytes | vocabulary | f32 emb[n_rows*dim], w, b | u32 CRC-32. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "atomic_file.h"
#include "crc32.h"
#include "fasttext_rows.h"

#define MAGIC "TIDEFT01"
#define FORMAT1 0x01020304u
#define FORMAT2 0xF7F70002u
#define SWAP32(x) (((x) >> 24) | (((x) >> 8) & 0xFF00u) | (((x) << 8) & 0xFF0000u) | ((x) << 24))
/* deflate of the shopping model rows: level 1 50.9 MB in 0.95 s, 6 50.0 MB in 1.9 s, 9 49.7 MB
 * in 10.9 s; 1 is enough */
#define DEFLATE_LEVEL 1


typedef struct {
    int32_t dim, n_classes, flags, ngrams;
    int64_t buckets, n_vocab, vocab_bytes;
} header1;

typedef struct {
    int32_t dim, n_classes, flags, ngrams;
    int64_t buckets, n_vocab, vocab_bytes;
    uint64_t init_seed;
    int32_t codec, reserved;
    int64_t n_stored, raw_bytes, z_bytes;
} header2;

_Static_assert(sizeof(header2) == 80, "header2 has no padding");

int tide_fasttext_save(const tide_fasttext *m, const char *path)
{
    return tide_fasttext_save_as(m, path, TIDE_FT_ROWS_PLAIN);
}

/* The file's bytes in one malloc'd buffer (save_as writes exactly these). */
unsigned char *tide_fasttext_encode(const tide_fasttext *m, tide_ft_rows codec, const char *name,
                                    size_t *n_out)
{
    *n_out = 0;
    if (!name || !*name) name = "(memory)";
    if (codec != TIDE_FT_ROWS_F32 && codec != TIDE_FT_ROWS_INT8 && codec != TIDE_FT_ROWS_PLAIN)
        return tide_errorf("%s: unknown row codec %d", name, (int)codec), NULL;
    size_t vn, nbm = (size_t)(m->n_rows + 7) / 8;
    size_t nw = (size_t)m->n_classes * (size_t)m->dim, nb = (size_t)m->n_classes;
    char *vb = tide_vocab_serialize(m->vocab, &vn);
    if (!vb) return NULL;
    uint8_t *bm = calloc(nbm, 1);
    unsigned char *raw = NULL, *file = NULL;
    if (!bm) { tide_errorf("%s: out of memory", name); goto fail; }
    int64_t k = tide_ft_rows_changed(m, bm);
    if (k < 0) goto fail;
    size_t nr = tide_ft_rows_bytes(codec, k, m->dim);
    size_t raw_n = vn + nbm + nr + (nw + nb) * 4;
    raw = malloc(raw_n);
    uLongf zcap = compressBound((uLong)raw_n);
    size_t head = 12 + sizeof(header2);
    file = malloc(head + zcap + 4);
    if (!raw || !file) { tide_errorf("%s: out of memory (%zu bytes)", name, raw_n); goto fail; }
    unsigned char *p = raw;
    memcpy(p, vb, vn); p += vn;
    memcpy(p, bm, nbm); p += nbm;
    tide_ft_rows_encode(m, bm, k, codec, p); p += nr;
    memcpy(p, m->w, nw * 4); p += nw * 4;
    memcpy(p, m->b, nb * 4);
    if (compress2(file + head, &zcap, raw, (uLong)raw_n, DEFLATE_LEVEL) != Z_OK) {
        tide_errorf("%s: deflate failed", name);
        goto fail;
    }
    header2 h = {m->dim, m->n_classes, m->ids.flags, m->ids.ngrams, m->ids.buckets, m->n_vocab,
                 (int64_t)vn, m->init_seed, (int32_t)codec, 0, k, (int64_t)raw_n, (int64_t)zcap};
    uint32_t word = FORMAT2;
    memcpy(file, MAGIC, 8);
    memcpy(file + 8, &word, 4);
    memcpy(file + 12, &h, sizeof h);
    uint32_t crc = tide_crc32(file, head + zcap);
    memcpy(file + head + zcap, &crc, 4);
    free(vb); free(bm); free(raw);
    *n_out = head + zcap + 4;
    unsigned char *fit = realloc(file, *n_out); /* give back the unused compressBound slack */
    return fit ? fit : file;
fail:
    free(vb); free(bm); free(raw); free(file);
    return NULL;
}

int tide_fasttext_save_as(const tide_fasttext *m, const char *path, tide_ft_rows codec)
{
    size_t n;
    unsigned char *file = tide_fasttext_encode(m, codec, path, &n);
    if (!file) return TIDE_ERR;
    int rc = tide_write_file_atomic(path, file, n);
    free(file);
    return rc;
}

/* The vocabulary at p must hold exactly n_vocab units. */
static tide_vocab *read_vocab(const unsigned char *p, int64_t nbytes, int64_t n_vocab,
                              const char *path)
{
    tide_vocab *v = tide_vocab_parse((const char *)p, (size_t)nbytes, path);
    if (v && tide_vocab_size(v) != n_vocab) {
        tide_errorf("%s: vocabulary size %lld does not match header %lld", path,
                    (long long)tide_vocab_size(v), (long long)n_vocab);
        tide_vocab_free(v);
        return NULL;
    }
    return v;
}

/* Shape fields shared by both formats; sizes are bounded before anything is multiplied. */
static int header_ok(int32_t dim, int32_t nc, int32_t ngrams, int64_t buckets, int64_t nv,
                     int64_t vbytes)
{
    return dim >= 1 && dim <= 4096 && nc >= 2 && nc <= 65536 && ngrams >= 1 && ngrams <= 8 &&
           buckets >= 0 && buckets <= ((int64_t)1 << 28) && nv >= 0 && nv <= INT32_MAX &&
           nv + buckets <= INT32_MAX && vbytes >= 0 && (uint64_t)vbytes <= (uint64_t)1 << 40;
}

static tide_fasttext *load_v1(const unsigned char *buf, size_t n, const char *path)
{
    header1 h;
    if (n < 12 + sizeof h + 4) { tide_errorf("%s: truncated (%zu bytes)", path, n); return NULL; }
    memcpy(&h, buf + 12, sizeof h);
    if (!header_ok(h.dim, h.n_classes, h.ngrams, h.buckets, h.n_vocab, h.vocab_bytes)) {
        tide_errorf("%s: invalid header", path);
        return NULL;
    }
    size_t ne = (size_t)(h.n_vocab + h.buckets) * (size_t)h.dim;
    size_t nw = (size_t)h.n_classes * (size_t)h.dim;
    size_t want = 12 + sizeof h + (size_t)h.vocab_bytes + (ne + nw + (size_t)h.n_classes) * 4 + 4;
    if (want != n) {
        tide_errorf("%s: size %zu does not match header (%zu)", path, n, want);
        return NULL;
    }
    const unsigned char *p = buf + 12 + sizeof h;
    tide_vocab *v = read_vocab(p, h.vocab_bytes, h.n_vocab, path);
    if (!v) return NULL;
    tide_ids_opts o = {h.flags, h.ngrams, h.buckets};
    /* format 1 did not record the seed: every row is overwritten below, and a later save
     * compares against seed 0, i.e. stores all rows (still lossless) */
    tide_fasttext *m = tide_fasttext_new(v, &o, h.dim, h.n_classes, 0);
    tide_vocab_free(v);
    if (!m) return NULL;
    p += h.vocab_bytes;
    memcpy(m->emb, p, ne * 4); p += ne * 4;
    memcpy(m->w, p, nw * 4); p += nw * 4;
    memcpy(m->b, p, (size_t)h.n_classes * 4);
    return m;
}

static tide_fasttext *load_v2(const unsigned char *buf, size_t n, const char *path)
{
    header2 h;
    size_t head = 12 + sizeof h;
    if (n < head + 4) { tide_errorf("%s: truncated (%zu bytes)", path, n); return NULL; }
    memcpy(&h, buf + 12, sizeof h);
    if (!header_ok(h.dim, h.n_classes, h.ngrams, h.buckets, h.n_vocab, h.vocab_bytes) ||
        (h.codec != TIDE_FT_ROWS_F32 && h.codec != TIDE_FT_ROWS_INT8 && h.codec != TIDE_FT_ROWS_PLAIN) || h.n_stored < 0 ||
        h.n_stored > h.n_vocab + h.buckets || h.z_bytes < 0) {
        tide_errorf("%s: invalid header", path);
        return NULL;
    }
    int64_t n_rows = h.n_vocab + h.buckets;
    size_t nbm = (size_t)(n_rows + 7) / 8;
    size_t want_raw = (size_t)h.vocab_bytes + nbm + tide_ft_rows_bytes(h.codec, h.n_stored, h.dim) +
                      ((size_t)h.n_classes * (size_t)h.dim + (size_t)h.n_classes) * 4;
    if ((size_t)h.z_bytes != n - head - 4 || (size_t)h.raw_bytes != want_raw) {
        tide_errorf("%s: sizes in the header do not match the file (%zu bytes)", path, n);
        return NULL;
    }
    /* deflate cannot expand more than 1032:1: refuse before allocating for a body that
     * small a stream could never hold */
    if (want_raw / 1032 > (size_t)h.z_bytes + 64) {
        tide_errorf("%s: a %lld-byte body cannot inflate to %zu bytes (file corrupt)", path,
                    (long long)h.z_bytes, want_raw);
        return NULL;
    }
    unsigned char *raw = malloc(want_raw ? want_raw : 1);
    if (!raw) { tide_errorf("%s: out of memory (%zu bytes)", path, want_raw); return NULL; }
    uLongf got = (uLongf)want_raw;
    tide_fasttext *m = NULL;
    if (uncompress(raw, &got, buf + head, (uLong)h.z_bytes) != Z_OK || got != want_raw) {
        tide_errorf("%s: body does not inflate to its %zu bytes (file corrupt)", path, want_raw);
        goto out;
    }
    const unsigned char *p = raw;
    tide_vocab *v = read_vocab(p, h.vocab_bytes, h.n_vocab, path);
    if (!v) goto out;
    p += h.vocab_bytes;
    const uint8_t *bm = p;
    int64_t k = 0;
    for (int64_t r = 0; r < n_rows; r++) k += bm[r >> 3] >> (r & 7) & 1;
    if (k != h.n_stored || (n_rows % 8 && bm[nbm - 1] >> (n_rows % 8))) {
        tide_errorf("%s: row bitmap does not match the header (%lld rows marked, %lld stored)",
                    path, (long long)k, (long long)h.n_stored);
        tide_vocab_free(v);
        goto out;
    }
    p += nbm;
    tide_ids_opts o = {h.flags, h.ngrams, h.buckets};
    /* Rows not stored keep their seeded initial value: they stay lazy (computed when a text
     * hits them, tide_fasttext_row), so a load costs what the file holds, not the bucket
     * count. Stored rows need their initial value first for the XOR / int8 codecs. */
    {
        uint8_t *none = calloc(nbm, 1), *lazy = malloc(nbm);
        if (!none || !lazy) {
            free(none); free(lazy); tide_vocab_free(v);
            tide_errorf("%s: out of memory", path);
            goto out;
        }
        for (size_t i = 0; i < nbm; i++) lazy[i] = (uint8_t)~bm[i];
        m = tide_ft_new_rows(v, &o, h.dim, h.n_classes, h.init_seed, h.codec == TIDE_FT_ROWS_PLAIN ? none : bm);
        free(none);
        tide_vocab_free(v);
        if (!m) { free(lazy); goto out; }
        m->lazy = lazy;
    }
    tide_ft_rows_decode(m, bm, k, h.codec, p);
    p += tide_ft_rows_bytes(h.codec, k, h.dim);
    memcpy(m->w, p, (size_t)h.n_classes * (size_t)h.dim * 4);
    p += (size_t)h.n_classes * (size_t)h.dim * 4;
    memcpy(m->b, p, (size_t)h.n_classes * 4);
out:
    free(raw);
    return m;
}

tide_fasttext *tide_fasttext_parse(const void *bytes, size_t n, const char *path)
{
    const unsigned char *buf = bytes;
    uint32_t word, crc;
    if (!path || !*path) path = "(memory)";
    if (!buf || n < 12 || memcmp(buf, MAGIC, 8) != 0) {
        tide_errorf("%s: not a tide fastText model (bad magic or too short)", path);
        return NULL;
    }
    memcpy(&word, buf + 8, 4);
    if (word != FORMAT1 && word != FORMAT2) {
        if (word == SWAP32(FORMAT1) || word == SWAP32(FORMAT2))
            tide_errorf("%s: model written with another byte order", path);
        else
            tide_errorf("%s: unknown fastText format word 0x%08x (this build reads formats 1 "
                        "and 2; re-train or save with format 2)", path, (unsigned)word);
        return NULL;
    }
    if (n < 16) {
        tide_errorf("%s: checksum mismatch (file corrupt or truncated)", path);
        return NULL;
    }
    memcpy(&crc, buf + n - 4, 4);
    if (TIDE_CRC_BAD(tide_crc32(buf, n - 4), crc)) {
        tide_errorf("%s: checksum mismatch (file corrupt or truncated)", path);
        return NULL;
    }
    return word == FORMAT1 ? load_v1(buf, n, path) : load_v2(buf, n, path);
}

tide_fasttext *tide_fasttext_load(const char *path)
{
    size_t n;
    unsigned char *buf = (unsigned char *)tide_text_read_file(path, &n);
    if (!buf) return NULL;
    tide_fasttext *m = tide_fasttext_parse(buf, n, path);
    free(buf);
    return m;
}
