/* csv_timefmt.c — strptime-style timestamp patterns for the CSV reader (time_format =
 * "%m-%d", "%d/%m/%Y %H:%M", ...), for logs whose dates are not epoch / ISO 8601 / YYYYMMDD —
 * some public logs write "M-D" without a year, which a default year completes.
 * Directives: %Y (1-4 digit year), %y (2 digits, POSIX: 69-99 -> 19xx, 00-68 -> 20xx), %m, %d,
 * %H, %M, %S (1-2 digits), %b / %h (month abbreviation, any case), %B (full month name), %%;
 * a blank in the pattern matches any run of blanks (also none); other characters match
 * themselves. Times are UTC seconds. */
#include <ctype.h>
#include <string.h>

#include "csv.h"
#include "error.h"

static const char *const MONTHS[12] = {"january", "february", "march", "april", "may", "june", "july",
                                       "august", "september", "october", "november", "december"};

int tide_time_pattern_check(const char *fmt, int default_year)
{
    int year = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') continue;
        char c = *++f;
        if (c == 'Y' || c == 'y') year = 1;
        else if (!c || !strchr("mdHMSbhB%", c))
            return tide_errorf("time_format '%s': unsupported directive '%%%c' (use %%Y %%y %%m %%d %%H %%M %%S %%b %%B %%%%)",
                               fmt, c ? c : ' ');
        if (!c) break;
    }
    if (!strchr(fmt, '%')) return tide_errorf("time_format '%s' has no %% directive", fmt);
    if (!year && default_year <= 0)
        return tide_errorf("time_format '%s' has no year (%%Y or %%y): give default_year, e.g. 2011", fmt);
    return TIDE_OK;
}

/* up to n digits (at least one) */
static int digits(const char **pp, const char *e, int n, int *out)
{
    const char *p = *pp;
    int v = 0, k = 0;
    while (k < n && p < e && (unsigned)(*p - '0') <= 9) { v = v * 10 + (*p++ - '0'); k++; }
    if (!k) return 0;
    *pp = p;
    *out = v;
    return 1;
}

static int month_name(const char **pp, const char *e, int full, int *out)
{
    for (int m = 0; m < 12; m++) {
        size_t n = full ? strlen(MONTHS[m]) : 3;
        if ((size_t)(e - *pp) < n) continue;
        size_t i = 0;
        while (i < n && tolower((unsigned char)(*pp)[i]) == MONTHS[m][i]) i++;
        if (i == n) { *pp += n; *out = m + 1; return 1; }
    }
    return 0;
}

int tide_parse_time_pattern(const char *p, const char *e, const char *fmt, int default_year, int64_t *out)
{
    int y = default_year, mo = 1, d = 1, h = 0, mi = 0, s = 0, v;
    for (const char *f = fmt; *f; f++) {
        if (*f == ' ') { while (p < e && (*p == ' ' || *p == '\t')) p++; continue; }
        if (*f != '%') { if (p == e || *p != *f) return 0; p++; continue; }
        switch (*++f) {
        case 'Y': if (!digits(&p, e, 4, &y)) return 0; break;
        case 'y': if (!digits(&p, e, 2, &v)) return 0; y = v < 69 ? 2000 + v : 1900 + v; break;
        case 'm': if (!digits(&p, e, 2, &mo)) return 0; break;
        case 'd': if (!digits(&p, e, 2, &d)) return 0; break;
        case 'H': if (!digits(&p, e, 2, &h) || h > 23) return 0; break;
        case 'M': if (!digits(&p, e, 2, &mi) || mi > 59) return 0; break;
        case 'S': if (!digits(&p, e, 2, &s) || s > 60) return 0; break;
        case 'b': case 'h': if (!month_name(&p, e, 0, &mo)) return 0; break;
        case 'B': if (!month_name(&p, e, 1, &mo)) return 0; break;
        case '%': if (p == e || *p != '%') return 0; p++; break;
        default: return 0; /* tide_time_pattern_check refuses these up front */
        }
    }
    if (p != e || !tide_valid_date(y, mo, d)) return 0;
    *out = tide_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
    return 1;
}
