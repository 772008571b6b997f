/* linear_io.c — the linear text model file: atomic write, checksummed, refused when corrupt.
 *
 *   "TIDELN01" | u32 format word 0x1E1E0001, or 0x1E1E0002 with several views, or 0x1E1E0003
 *   when the tokenizer flags hold TIDE_TEXT_NEG (so that readers older than negation scoping
 *   refuse the file instead of scoring it without those ids; little-endian host order) |
 *   header (56 bytes) | zlib stream of the body | u32 CRC-32 (zlib) of every
 *   byte before it. The header's feat holds 3 bits per view (tf, idf, nb), its last word the
 *   number of views (0 in single-view files, which older readers also read).
 *   Body: bitmap of the stored rows (ceil(buckets/8) bytes, bit j = row j, the rows training
 *   saw: some q_vj > 0) | per view: f32 u[k] | f32 q[k] for the k stored rows in row order.
 * Unstored rows are zero in both arrays, so a file grows with the n-grams seen in training,
 * not with the bucket count. f32 values are copied bit for bit: load(save(m)) scores exactly
 * as m does. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "atomic_file.h"
#include "crc32.h"
#include "linear.h"

#define MAGIC "TIDELN01"
#define FORMAT 0x1E1E0001u
#define FORMAT_VIEWS 0x1E1E0002u
#define FORMAT_NEG 0x1E1E0003u /* as FORMAT_VIEWS (views 0 = one), flags with TIDE_TEXT_NEG */
#define KNOWN_FLAGS (TIDE_TEXT_STRICT | TIDE_TEXT_NO_PUNCT | TIDE_TEXT_MASK_NUM | TIDE_TEXT_DROP_NUM | TIDE_TEXT_NEG)

typedef struct {
    int32_t flags, ngrams, feat, loss; /* feat: bit 0 tf, 1 idf, 2 nb */
    int64_t buckets, n_stored, raw_bytes, z_bytes;
    float bias;
    int32_t views; /* 0: one view */
} header;

/* Row j was seen in training by some view. */
static int stored(const tide_linear *m, int64_t j)
{
    for (int v = 0; v < m->views; v++)
        if (m->uq[(size_t)j * 2 * (size_t)m->views + 2 * (size_t)v + 1] > 0) return 1;
    return 0;
}

_Static_assert(sizeof(header) == 56, "header has no padding");


unsigned char *tide_linear_encode(const tide_linear *m, const char *name, size_t *n_out)
{
    *n_out = 0;
    if (!name || !*name) name = "(memory)";
    int64_t B = m->ids.buckets, k = 0;
    size_t V = (size_t)m->views;
    for (int64_t j = 0; j < B; j++) k += stored(m, j);
    size_t nbm = (size_t)(B + 7) / 8, raw_n = nbm + (size_t)k * 8 * V, head = 12 + sizeof(header);
    uLongf zcap = compressBound((uLong)raw_n);
    unsigned char *raw = calloc(raw_n ? raw_n : 1, 1), *file = malloc(head + zcap + 4);
    if (!raw || !file) {
        free(raw); free(file);
        return tide_errorf("%s: out of memory (%zu bytes)", name, raw_n), NULL;
    }
    int64_t s = 0;
    for (int64_t j = 0; j < B; j++) {
        if (!stored(m, j)) continue;
        raw[j >> 3] |= (unsigned char)(1u << (j & 7));
        for (size_t v = 0; v < V; v++) { /* memcpy: nbm % 4 may not be 0 */
            unsigned char *u = raw + nbm + 8 * (size_t)k * v, *q = u + 4 * (size_t)k;
            memcpy(u + 4 * s, &m->uq[(size_t)j * 2 * V + 2 * v], 4);
            memcpy(q + 4 * s, &m->uq[(size_t)j * 2 * V + 2 * v + 1], 4);
        }
        s++;
    }
    if (compress2(file + head, &zcap, raw, (uLong)raw_n, 1) != Z_OK) {
        free(raw); free(file);
        return tide_errorf("%s: deflate failed", name), NULL;
    }
    int32_t feat = 0;
    for (size_t v = 0; v < V; v++)
        feat |= (m->feat[v].tf | m->feat[v].idf << 1 | m->feat[v].nb << 2) << (3 * v);
    header h = {m->ids.flags, m->ids.ngrams, feat, m->loss, B, k, (int64_t)raw_n, (int64_t)zcap,
                m->bias, V > 1 ? (int32_t)V : 0};
    uint32_t word = m->ids.flags & TIDE_TEXT_NEG ? FORMAT_NEG : V > 1 ? FORMAT_VIEWS : FORMAT;
    memcpy(file, MAGIC, 8);
    memcpy(file + 8, &word, 4);
    memcpy(file + 12, &h, sizeof h);
    uint32_t crc = tide_crc32(file, head + zcap);
    memcpy(file + head + zcap, &crc, 4);
    free(raw);
    *n_out = head + zcap + 4;
    unsigned char *fit = realloc(file, *n_out);
    return fit ? fit : file;
}

int tide_linear_save(const tide_linear *m, const char *path)
{
    size_t n;
    unsigned char *file = tide_linear_encode(m, path, &n);
    if (!file) return TIDE_ERR;
    int rc = tide_write_file_atomic(path, file, n);
    free(file);
    return rc;
}

tide_linear *tide_linear_parse(const void *bytes, size_t n, const char *name)
{
    const unsigned char *buf = bytes;
    header h;
    size_t head = 12 + sizeof h;
    uint32_t word, crc;
    if (!name || !*name) name = "(memory)";
    if (!buf || n < 12 || memcmp(buf, MAGIC, 8) != 0)
        return tide_errorf("%s: not a tide linear model (bad magic or too short)", name), NULL;
    memcpy(&word, buf + 8, 4);
    if (word != FORMAT && word != FORMAT_VIEWS && word != FORMAT_NEG)
        return tide_errorf("%s: unknown linear model format word 0x%08x", name, (unsigned)word), NULL;
    if (n < head + 4) return tide_errorf("%s: truncated (%zu bytes)", name, n), NULL;
    memcpy(&crc, buf + n - 4, 4);
    if (tide_crc32(buf, n - 4) != crc)
        return tide_errorf("%s: checksum mismatch (file corrupt or truncated)", name), NULL;
    memcpy(&h, buf + 12, sizeof h);
    int V = word == FORMAT || (word == FORMAT_NEG && h.views == 0) ? 1 : h.views;
    if (h.ngrams < 1 || h.ngrams > 8 || h.buckets < 1 || h.buckets > ((int64_t)1 << 30) ||
        h.n_stored < 0 || h.n_stored > h.buckets || V < 1 || V > TIDE_LINEAR_VIEWS ||
        (word == FORMAT && h.views != 0) || (word == FORMAT_VIEWS && V < 2) || (word == FORMAT_NEG && h.views == 1) ||
        (h.flags & ~KNOWN_FLAGS) || !(h.flags & TIDE_TEXT_NEG) != (word != FORMAT_NEG) ||
        (h.feat & ~((1 << (3 * V)) - 1)) || (h.loss != TIDE_LINEAR_LR && h.loss != TIDE_LINEAR_SVM))
        return tide_errorf("%s: invalid header", name), NULL;
    size_t nbm = (size_t)(h.buckets + 7) / 8, want = nbm + (size_t)h.n_stored * 8 * (size_t)V;
    if ((size_t)h.raw_bytes != want || h.z_bytes < 0 || (size_t)h.z_bytes != n - head - 4)
        return tide_errorf("%s: sizes in the header do not match the file (%zu bytes)", name, n), NULL;
    tide_linear *m = calloc(1, sizeof *m);
    unsigned char *raw = malloc(want ? want : 1);
    if (m) {
        m->uq = tide_linear_rows_alloc(h.buckets, V);
    }
    if (!m || !raw || !m->uq) {
        tide_errorf("%s: out of memory (%lld buckets)", name, (long long)h.buckets);
        goto fail;
    }
    uLongf got = (uLongf)want;
    if (uncompress(raw, &got, buf + head, (uLong)h.z_bytes) != Z_OK || got != want) {
        tide_errorf("%s: body does not inflate to its %zu bytes (file corrupt)", name, want);
        goto fail;
    }
    int64_t k = 0;
    for (int64_t j = 0; j < h.buckets; j++) k += raw[j >> 3] >> (j & 7) & 1;
    if (k != h.n_stored) {
        tide_errorf("%s: row bitmap marks %lld rows, header says %lld", name, (long long)k,
                    (long long)h.n_stored);
        goto fail;
    }
    int64_t s = 0;
    for (int64_t j = 0; j < h.buckets; j++) {
        if (!(raw[j >> 3] >> (j & 7) & 1)) continue;
        for (size_t v = 0; v < (size_t)V; v++) {
            const unsigned char *u = raw + nbm + 8 * (size_t)k * v, *q = u + 4 * (size_t)k;
            memcpy(&m->uq[(size_t)j * 2 * (size_t)V + 2 * v], u + 4 * s, 4);
            memcpy(&m->uq[(size_t)j * 2 * (size_t)V + 2 * v + 1], q + 4 * s, 4);
        }
        s++;
    }
    m->ids = (tide_ids_opts){h.flags, h.ngrams, h.buckets};
    m->views = V;
    for (int v = 0; v < V; v++) /* min_df acts in training only */
        m->feat[v] = (tide_linear_feat){h.feat >> (3 * v) & 1, h.feat >> (3 * v + 1) & 1, h.feat >> (3 * v + 2) & 1, 0};
    m->loss = h.loss;
    m->bias = h.bias;
    if (tide_linear_index(m) != TIDE_OK) goto fail;
    free(raw);
    return m;
fail:
    free(raw);
    tide_linear_free(m);
    return NULL;
}

tide_linear *tide_linear_load(const char *path)
{
    size_t n;
    unsigned char *buf = (unsigned char *)tide_text_read_file(path, &n);
    if (!buf) return NULL;
    tide_linear *m = tide_linear_parse(buf, n, path);
    free(buf);
    return m;
}
