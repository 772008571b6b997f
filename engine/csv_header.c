/* csv_header.c — the CSV reader's header row: field names collected while the first record
 * is parsed, matched against the schema's column names (a name missing or given twice is an
 * error naming it), and the field -> column map that the record parser in csv.c follows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"
#include "error.h"

const char *tide_csv_col_name(const tide_csv_state *s, int c, char *buf, size_t n)
{
    if (s->cols[c].name) return s->cols[c].name;
    snprintf(buf, n, "#%d", s->cols[c].index + 1);
    return buf;
}

int tide_csv_push_header_field(tide_csv_state *s, tide_csv_span sp)
{
    if (s->nhdr == s->hdr_cap) {
        int64_t cap = s->hdr_cap ? s->hdr_cap * 2 : 16;
        tide_csv_span *h = realloc(s->hdr, (size_t)cap * sizeof *h);
        if (!h) return tide_errorf("csv: out of memory");
        s->hdr = h;
        s->hdr_cap = cap;
    }
    s->hdr[s->nhdr++] = sp;
    return TIDE_OK;
}

static int hdr_eq(const tide_csv_state *s, tide_csv_span h, const char *name)
{
    const char *p = h.p, *e = h.e;
    tide_csv_trim(&p, &e);
    size_t k = 0, n = strlen(name);
    for (; p < e; p++, k++) {
        if (k >= n || *p != name[k]) return 0;
        if (h.esc && *p == s->o->quote && p + 1 < e && p[1] == s->o->quote) p++;
    }
    return k == n;
}

/* Builds the field -> column map from each column's field index (fld[c], -1 for line
 * columns). A field selected twice is an error, and so is an expected field count (nfields)
 * that a selected field lies beyond: every row would be dropped or, worse, kept without it. */
int tide_csv_build_fmap(tide_csv_state *s, const int64_t *fld)
{
    int64_t n = 0;
    for (int c = 0; c < s->ncols; c++)
        if (fld[c] + 1 > n) n = fld[c] + 1;
    free(s->fmap);
    s->fmap = malloc((size_t)(n ? n : 1) * sizeof *s->fmap);
    if (!s->fmap) return tide_errorf("csv: out of memory");
    for (int64_t i = 0; i < n; i++) s->fmap[i] = -1;
    s->nfmap = n;
    char nb[24], nb2[24];
    for (int c = 0; c < s->ncols; c++) {
        if (fld[c] < 0) continue;
        if (s->fmap[fld[c]] >= 0)
            return tide_errorf("%s: field %lld selected twice (columns '%s' and '%s')", s->path,
                               (long long)fld[c] + 1, tide_csv_col_name(s, s->fmap[fld[c]], nb, sizeof nb),
                               tide_csv_col_name(s, c, nb2, sizeof nb2));
        s->fmap[fld[c]] = c;
        if (s->o->nfields && fld[c] >= s->o->nfields)
            return tide_errorf("%s: column '%s' is field %lld but nfields = %lld, so no row has it",
                               s->path, tide_csv_col_name(s, c, nb, sizeof nb), (long long)fld[c] + 1,
                               (long long)s->o->nfields);
    }
    return TIDE_OK;
}

int tide_csv_finish_header(tide_csv_state *s)
{
    s->res->header_fields = s->nhdr;
    if (!s->o->nfields) s->expect = s->nhdr;
    int64_t fld[64];
    for (int c = 0; c < s->ncols; c++) {
        fld[c] = -1;
        if (s->cols[c].type == TIDE_CSV_LINE) continue;
        int64_t f = -1;
        if (s->cols[c].name) {
            for (int64_t i = 0; i < s->nhdr; i++) {
                if (!hdr_eq(s, s->hdr[i], s->cols[c].name)) continue;
                if (f >= 0) /* which one did the user mean? */
                    return tide_errorf("%s: the header names '%s' twice (fields %lld and %lld)", s->path,
                                       s->cols[c].name, (long long)f + 1, (long long)i + 1);
                f = i;
            }
        } else if (s->cols[c].index < s->nhdr) {
            f = s->cols[c].index;
        }
        if (f < 0) {
            char have[160] = "";
            size_t k = 0;
            for (int64_t i = 0; i < s->nhdr && k + 2 < sizeof have; i++) {
                int w = snprintf(have + k, sizeof have - k, "%s%.*s", i ? "," : "",
                                 (int)(s->hdr[i].e - s->hdr[i].p), s->hdr[i].p);
                if (w < 0) break;
                k += (size_t)w;
            }
            char nb[24];
            return tide_errorf("%s: missing column '%s' (header has: %s)", s->path,
                               tide_csv_col_name(s, c, nb, sizeof nb), have);
        }
        fld[c] = f;
    }
    return tide_csv_build_fmap(s, fld);
}
