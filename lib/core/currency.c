/* currency.c - ISO 4217 codes and the dated rates file. Strict like every
 * input: a bad line stops the read with path:line: reason. */
#include "core/currency.h"

#include "io/header.h"
#include "io/reader.h"

#include <stdlib.h>
#include <string.h>

/* Active ISO 4217 codes (2025), sorted, each followed by a blank. */
static const char iso_codes[] =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD "
    "JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT "
    "MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG "
    "QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB "
    "TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF "
    "YER ZAR ZMW ZWG ZWL ";

bool currency_known(const char *code, size_t len)
{
    if (len != 3)
        return false;
    for (size_t i = 0; i < 3; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return false;
    size_t lo = 0, hi = (sizeof iso_codes - 1) / 4;
    while (lo < hi) { /* binary search over the 4-byte cells */
        size_t mid = (lo + hi) / 2;
        int c = memcmp(iso_codes + 4 * mid, code, 3);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

__extension__ typedef __int128 wide; /* cents x rate needs up to ~90 bits */

bool currency_convert(int64_t cents, int64_t rate_e8, int64_t *out)
{
    wide p = (wide)cents * rate_e8;
    wide half = RATE_SCALE / 2;
    wide q = p >= 0 ? (p + half) / RATE_SCALE : -((-p + half) / RATE_SCALE);
    if (q > INT64_MAX || q < INT64_MIN)
        return false;
    *out = (int64_t)q;
    return true;
}

/* ---- the rates file ---------------------------------------------------------- */

typedef struct rate {
    char code[4];
    int32_t day;
    int64_t rate_e8;
    uint64_t line;
} rate;

struct rates {
    cvo_ctx *ctx;
    rate *items;
    size_t count, cap;
    char *path;
};

const char *rates_path(const rates *r)
{
    return r->path;
}

/* "1.0825" -> 108250000; digits, one optional point, at most 8 decimals, > 0. */
static bool parse_rate(const char *text, size_t len, int64_t *out)
{
    int64_t v = 0;
    int decimals = -1;
    if (len == 0 || len > 20)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (text[i] < '0' || text[i] > '9' || decimals == 8 || v > INT64_MAX / 100)
            return false;
        v = v * 10 + (text[i] - '0');
        if (decimals >= 0)
            decimals++;
    }
    for (int d = decimals < 0 ? 0 : decimals; d < 8; d++) {
        if (v > INT64_MAX / 10)
            return false;
        v *= 10;
    }
    *out = v;
    return v > 0;
}


static cvo_status add_rate(rates *r, const char *path, const csv_record *rec, const int col[3],
                           const char *store)
{
    char text[3][64];
    size_t len[3];
    for (int k = 0; k < 3; k++) {
        if ((uint32_t)col[k] >= rec->stored)
            return ctx_fail(r->ctx, CVO_ERR_FORMAT, "%s:%llu: needs date, currency and rate",
                            path, (unsigned long long)rec->line);
        len[k] = header_name_text(&rec->fields[col[k]], text[k], sizeof text[k]);
        text[k][len[k]] = '\0';
    }
    rate x;
    memset(&x, 0, sizeof x);
    x.line = rec->line;
    if (!cvo_day_parse(text[0], &x.day))
        return ctx_fail(r->ctx, CVO_ERR_FORMAT, "%s:%llu: bad date '%s' (YYYY-MM-DD)", path,
                        (unsigned long long)rec->line, text[0]);
    if (!currency_known(text[1], len[1]))
        return ctx_fail(r->ctx, CVO_ERR_FORMAT,
                        "%s:%llu: unknown currency code '%s' (ISO 4217, like EUR or USD)", path,
                        (unsigned long long)rec->line, text[1]);
    if (strcmp(text[1], store) == 0)
        return ctx_fail(r->ctx, CVO_ERR_FORMAT,
                        "%s:%llu: a rate for %s, the store currency itself", path,
                        (unsigned long long)rec->line, store);
    if (!parse_rate(text[2], len[2], &x.rate_e8))
        return ctx_fail(r->ctx, CVO_ERR_FORMAT,
                        "%s:%llu: bad rate '%s' (a positive number, at most 8 decimals: what "
                        "1 %s is worth in %s)",
                        path, (unsigned long long)rec->line, text[2], text[1], store);
    memcpy(x.code, text[1], 4);
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        rate *items = mem_realloc(r->ctx, r->items, cap * sizeof *items);
        if (items == NULL)
            return ctx_nomem(r->ctx);
        r->items = items;
        r->cap = cap;
    }
    r->items[r->count++] = x;
    return CVO_OK;
}

static int rate_order(const void *a, const void *b)
{
    const rate *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    if (c != 0)
        return c;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static cvo_status read_rates(rates *r, const char *path, reader *rd, csv_scanner *sc,
                             const char *store)
{
    csv_record rec;
    reader_result rr = reader_next(rd, sc, &rec);
    if (rr != READER_RECORD)
        return header_unreadable(r->ctx, path, rr);
    CVO_TRY(header_check(r->ctx, path, &rec, header_fold_lower));
    int col[3] = {header_column(&rec, "date"), header_column(&rec, "currency"), header_column(&rec, "rate")};
    if (col[0] < 0 || col[1] < 0 || col[2] < 0)
        return ctx_fail(r->ctx, CVO_ERR_FORMAT,
                        "%s:1: needs the columns date, currency and rate (what 1 unit of "
                        "currency is worth in %s from date on)",
                        path, store);
    while ((rr = reader_next(rd, sc, &rec)) == READER_RECORD)
        if (rec.raw_len > 0)
            CVO_TRY(add_rate(r, path, &rec, col, store));
    if (rr != READER_END)
        return ctx_fail(r->ctx, CVO_ERR_FORMAT, "%s:%llu: unreadable record", path,
                        (unsigned long long)sc->line);
    if (r->count > 1) /* items is NULL when there are none */
        qsort(r->items, r->count, sizeof *r->items, rate_order);
    for (size_t i = 1; i < r->count; i++) {
        const rate *a = &r->items[i - 1], *b = &r->items[i];
        if (strcmp(a->code, b->code) == 0 && a->day == b->day) {
            char day[11];
            cvo_day_format(a->day, day);
            return ctx_fail(r->ctx, CVO_ERR_FORMAT, "%s:%llu: a second %s rate for %s (line %llu)",
                            path, (unsigned long long)(a->line > b->line ? a->line : b->line),
                            a->code, day, (unsigned long long)(a->line < b->line ? a->line : b->line));
        }
    }
    if (r->count == 0)
        return ctx_fail(r->ctx, CVO_ERR_FORMAT, "%s: no rates", path);
    return CVO_OK;
}

cvo_status rates_load(cvo_ctx *ctx, const char *path, const char *store, rates **out)
{
    *out = NULL;
    rates *r = mem_zarray(ctx, 1, sizeof *r);
    if (r == NULL)
        return ctx_nomem(ctx);
    r->ctx = ctx;
    r->path = mem_strndup(ctx, path, strlen(path));
    source *src = NULL;
    reader rd;
    memset(&rd, 0, sizeof rd);
    csv_scanner *sc = mem_alloc(ctx, sizeof *sc);
    cvo_status status = sc && r->path ? CVO_OK : ctx_nomem(ctx);
    if (status == CVO_OK)
        status = source_open(ctx, path, path, &src);
    if (status == CVO_OK)
        status = reader_init(&rd, ctx, src, false, 0, 0);
    if (status == CVO_OK) {
        reader_skip_bom(&rd);
        csv_init(sc, ',', 1);
        status = read_rates(r, path, &rd, sc, store);
    }
    mem_free(ctx, sc);
    reader_free(&rd);
    source_close(src);
    if (status != CVO_OK)
        rates_free(r);
    else
        *out = r;
    return status;
}

rate_result rates_find(const rates *r, const char *currency, int32_t day, int64_t *rate_e8,
                       int32_t *first_day)
{
    const rate *found = NULL, *first = NULL;
    /* the items are sorted by code, then day: find the code's run */
    size_t lo = 0, hi = r->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(r->items[mid].code, currency) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < r->count && strcmp(r->items[i].code, currency) == 0; i++) {
        if (first == NULL)
            first = &r->items[i];
        if (r->items[i].day > day)
            break;
        found = &r->items[i];
    }
    if (first == NULL)
        return RATE_NO_CURRENCY;
    if (found == NULL) {
        *first_day = first->day;
        return RATE_TOO_EARLY;
    }
    *rate_e8 = found->rate_e8;
    return RATE_OK;
}

void rates_free(rates *r)
{
    if (r == NULL)
        return;
    mem_free(r->ctx, r->items);
    mem_free(r->ctx, r->path);
    mem_free(r->ctx, r);
}
