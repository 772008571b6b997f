/* csv_fields.c — locale-free field converters for the CSV reader: integers, decimals,
 * timestamps (epoch and ISO 8601 / "YYYY-MM-DD HH:MM:SS" / YYYYMMDD) and UTF-8 validation.
 *
 * Dates use the days-from-civil construction (H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms"): shift the year to start in March so the leap day is last, then count 400-year
 * eras of 146097 days. No tables, no timezone database, valid for any proleptic year. */
#include <math.h>
#include <string.h>

#include "csv.h"

int tide_parse_i64(const char *p, const char *e, int64_t *out)
{
    int neg = 0;
    if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
    if (p == e) return 0;
    uint64_t v = 0;
    const char *fast = e - p > 18 ? p + 18 : e; /* 18 digits cannot overflow: no check */
    for (; p < fast; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d > 9) return 0;
        v = v * 10 + d;
    }
    for (; p < e; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d > 9) return 0;
        if (v > (UINT64_C(9223372036854775807) - d) / 10) return 0; /* overflow */
        v = v * 10 + d;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 1;
}

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Scales m by 10^ex. Exact when m < 2^53 and |ex| <= 22 (Clinger's fast path); otherwise a
 * correctly-rounded-enough product for data columns stored as f32. */
static double scale10(double m, int ex)
{
    if (ex >= 0) {
        while (ex > 22) { m *= 1e22; ex -= 22; }
        return m * pow10_tab[ex];
    }
    /* exact division: a multiply by an inexact 1e-k would be cheaper but could miss the
     * correctly rounded double; division latency is small next to the digit loop */
    while (ex < -22) { m /= 1e22; ex += 22; }
    return m / pow10_tab[-ex];
}

int tide_parse_f64(const char *p, const char *e, double *out)
{
    int neg = 0;
    if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
    uint64_t m = 0;
    int digits = 0, ex = 0, any = 0;
    const char *ip = p;
    while (p < e && (unsigned)(*p - '0') <= 9) p++;
    any = p > ip;
    if (p - ip <= 18) { /* the common short case: no digit cap needed */
        for (const char *q = ip; q < p; q++) m = m * 10 + (unsigned)(*q - '0');
        digits = (int)(p - ip);
    } else {
        for (const char *q = ip; q < p; q++) {
            if (digits < 19) { m = m * 10 + (unsigned)(*q - '0'); if (m) digits++; }
            else ex++;
        }
    }
    if (p < e && *p == '.') {
        for (p++; p < e && (unsigned)(*p - '0') <= 9; p++, any = 1) {
            if (digits < 19) { m = m * 10 + (unsigned)(*p - '0'); if (m) digits++; ex--; }
        }
    }
    if (!any) return 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, ev = 0, edig = 0;
        if (p < e && (*p == '-' || *p == '+')) eneg = *p++ == '-';
        for (; p < e && (unsigned)(*p - '0') <= 9; p++, edig++)
            if (ev < 100000) ev = ev * 10 + (*p - '0');
        if (!edig) return 0;
        ex += eneg ? -ev : ev;
    }
    if (p != e) return 0;
    double v = m ? scale10((double)m, ex) : 0.0;
    if (!isfinite(v)) return 0;
    *out = neg ? -v : v;
    return 1;
}

int64_t tide_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);                        /* [0, 399] */
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  /* [0, 365] */
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

static int ndig(const char **pp, const char *e, int n, int *out)
{
    const char *p = *pp;
    if (e - p < n) return 0;
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (d > 9) return 0;
        v = v * 10 + (int)d;
    }
    *pp = p + n;
    *out = v;
    return 1;
}

int tide_valid_date(int y, int mo, int d)
{
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[mo - 1] + (mo == 2 && leap);
}

static int parse_iso(const char *p, const char *e, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, s = 0;
    if (!ndig(&p, e, 4, &y) || p == e || *p++ != '-' || !ndig(&p, e, 2, &mo) || p == e ||
        *p++ != '-' || !ndig(&p, e, 2, &d))
        return 0;
    if (!tide_valid_date(y, mo, d)) return 0;
    int64_t off = 0;
    if (p < e) {
        if (*p != 'T' && *p != ' ') return 0;
        p++;
        if (!ndig(&p, e, 2, &h) || p == e || *p++ != ':' || !ndig(&p, e, 2, &mi)) return 0;
        if (p < e && *p == ':') {
            p++;
            if (!ndig(&p, e, 2, &s)) return 0;
            if (p < e && (*p == '.' || *p == ',')) { /* fraction: truncated to seconds */
                p++;
                const char *f = p;
                while (p < e && (unsigned)(*p - '0') <= 9) p++;
                if (p == f) return 0;
            }
        }
        if (h > 24 || mi > 59 || s > 60 || (h == 24 && (mi || s))) return 0;
        if (p < e) {
            if (*p == 'Z' && p + 1 == e) p++;
            else if (*p == '+' || *p == '-') {
                int sg = *p++ == '-' ? -1 : 1, oh, om = 0;
                if (!ndig(&p, e, 2, &oh)) return 0;
                if (p < e && *p == ':') p++;
                if (p < e && !ndig(&p, e, 2, &om)) return 0;
                if (oh > 23 || om > 59) return 0;
                off = sg * (oh * 3600 + om * 60);
            } else return 0;
        }
    }
    if (p != e) return 0;
    *out = tide_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s - off;
    return 1;
}

int tide_parse_time(const char *p, const char *e, tide_time_fmt fmt, int64_t *out)
{
    if (p == e) return 0;
    if (fmt == TIDE_TIME_AUTO) {
        fmt = TIDE_TIME_EPOCH;
        for (const char *q = p; q < e; q++)
            if (*q == '-' && q != p) { fmt = TIDE_TIME_ISO; break; }
    }
    switch (fmt) {
    case TIDE_TIME_ISO: return parse_iso(p, e, out);
    case TIDE_TIME_YMD: {
        int y, mo, d;
        if (e - p != 8 || !ndig(&p, e, 4, &y) || !ndig(&p, e, 2, &mo) || !ndig(&p, e, 2, &d)) return 0;
        if (!tide_valid_date(y, mo, d)) return 0;
        *out = tide_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400;
        return 1;
    }
    case TIDE_TIME_EPOCH_MS:
    case TIDE_TIME_EPOCH: {
        const char *dot = memchr(p, '.', (size_t)(e - p));
        int64_t v;
        if (!tide_parse_i64(p, dot ? dot : e, &v)) return 0;
        if (dot) { /* fractional part must be digits; truncated */
            if (dot + 1 == e) return 0;
            for (const char *q = dot + 1; q < e; q++)
                if ((unsigned)(*q - '0') > 9) return 0;
        }
        if (fmt == TIDE_TIME_EPOCH_MS) v /= 1000;
        /* years 0..9999: beyond that a "timestamp" is a unit mistake */
        if (v < -62167219200LL || v > 253402300799LL) return 0;
        *out = v;
        return 1;
    }
    default: return 0;
    }
}

int tide_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        /* ASCII fast path, 8 bytes at a time */
        while (e - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (w & 0x8080808080808080ULL) break;
            p += 8;
        }
        if (p == e) break;
        unsigned c = *p;
        if (c < 0x80) { p++; continue; }
        int len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
        else return 0;
        if (e - p < len) return 0;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += len;
    }
    return 1;
}
