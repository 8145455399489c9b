/* rfm_cuts.c - fixed RFM cut points read from a file (cvo_cuts_load): recency,
 * frequency and monetary each a comma-separated list, strictly ascending, the
 * same count for all three; every error names the file and line. */
#include "rfm.h"

#include "base/limits.h"
#include "core/customers.h"
#include "core/scheme.h"

#include <string.h>

/* ---- cut-point files -------------------------------------------------------------------- */

enum { CUT_RECENCY, CUT_FREQUENCY, CUT_MONETARY, CUT__COUNT };

static const char *const cut_names[CUT__COUNT] = {"recency", "frequency", "monetary"};

typedef struct cuts_parse {
    cvo_ctx *ctx;
    const char *path;
    unsigned long line;
    unsigned long key_line[CUT__COUNT]; /* 0 while the key is not seen */
    int count[CUT__COUNT];
    int64_t values[CUT__COUNT][CVO_MAX_LEVELS - 1];
} cuts_parse;

/* Digits only, value 0..max. */
static bool parse_whole(const char *text, size_t len, int64_t max, int64_t *out)
{
    int64_t value = 0;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        int digit = text[i] - '0';
        if (value > (max - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

/* Currency units with at most two decimals ("250", "-5", "99.9", "0.05") to cents. */
static bool parse_cents(const char *text, size_t len, int64_t *out)
{
    bool negative = len > 0 && text[0] == '-';
    if (negative) {
        text++;
        len--;
    }
    const char *dot = memchr(text, '.', len);
    size_t whole_len = dot ? (size_t)(dot - text) : len;
    size_t frac_len = dot ? len - whole_len - 1 : 0;
    int64_t whole = 0, frac = 0;
    if (!parse_whole(text, whole_len, INT64_MAX / 100 - 1, &whole))
        return false;
    if (dot && (frac_len < 1 || frac_len > 2 || !parse_whole(dot + 1, frac_len, 99, &frac)))
        return false;
    int64_t cents = whole * 100 + (frac_len == 1 ? frac * 10 : frac);
    *out = negative ? -cents : cents;
    return true;
}

static cvo_status parse_cut(cuts_parse *p, int key, const char *text, size_t len, int64_t *out)
{
    if (len == 0)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s:%lu: empty cut point", p->path, p->line);
    if (key == CUT_RECENCY && !parse_whole(text, len, INT32_MAX, out))
        return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s:%lu: '%.*s' is not a whole number of days",
                        p->path, p->line, (int)len, text);
    if (key == CUT_FREQUENCY && !parse_whole(text, len, UINT32_MAX, out))
        return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s:%lu: '%.*s' is not a whole number of orders",
                        p->path, p->line, (int)len, text);
    if (key == CUT_MONETARY && !parse_cents(text, len, out))
        return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                        "%s:%lu: '%.*s' is not an amount (digits, at most 2 decimals)", p->path,
                        p->line, (int)len, text);
    return CVO_OK;
}

static cvo_status parse_cut_list(cuts_parse *p, int key, const char *text, size_t len)
{
    int count = 0;
    for (size_t start = 0; start <= len;) {
        const char *comma = memchr(text + start, ',', len - start);
        const char *item = text + start;
        size_t item_len = comma ? (size_t)(comma - item) : len - start;
        start += item_len + 1;
        scheme_trim(&item, &item_len);
        if (count == CVO_MAX_LEVELS - 1)
            return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                            "%s:%lu: more than %d cut points (levels 3 to 5 need 2 to 4)",
                            p->path, p->line, CVO_MAX_LEVELS - 1);
        CVO_TRY(parse_cut(p, key, item, item_len, &p->values[key][count]));
        if (count > 0 && p->values[key][count] <= p->values[key][count - 1])
            return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                            "%s:%lu: cut points must be strictly ascending ('%.*s' is not above "
                            "the one before)", p->path, p->line, (int)item_len, item);
        count++;
    }
    if (count < CVO_MIN_LEVELS - 1)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                        "%s:%lu: %s has %d cut point(s); levels 3 to 5 need 2 to 4", p->path,
                        p->line, cut_names[key], count);
    p->count[key] = count;
    return CVO_OK;
}

static cvo_status parse_cuts_line(cuts_parse *p, const char *text, size_t len)
{
    const char *equals = memchr(text, '=', len);
    if (equals == NULL)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s:%lu: expected 'key = values'", p->path,
                        p->line);
    const char *name = text, *values = equals + 1;
    size_t name_len = (size_t)(equals - text), values_len = len - name_len - 1;
    scheme_trim(&name, &name_len);
    scheme_trim(&values, &values_len);
    int key = 0;
    while (key < CUT__COUNT && !(strlen(cut_names[key]) == name_len &&
                                 memcmp(cut_names[key], name, name_len) == 0))
        key++;
    if (key == CUT__COUNT)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                        "%s:%lu: unknown key '%.*s' (expected recency, frequency or monetary)",
                        p->path, p->line, (int)name_len, name);
    if (p->key_line[key] != 0)
        return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s:%lu: duplicate key '%s' (first on line %lu)",
                        p->path, p->line, cut_names[key], p->key_line[key]);
    p->key_line[key] = p->line;
    return parse_cut_list(p, key, values, values_len);
}

static cvo_status finish_cuts(cuts_parse *p, cvo_cuts *out)
{
    for (int key = 0; key < CUT__COUNT; key++)
        if (p->key_line[key] == 0)
            return ctx_fail(p->ctx, CVO_ERR_CONFIG, "%s: missing key '%s'", p->path,
                            cut_names[key]);
    for (int key = 1; key < CUT__COUNT; key++)
        if (p->count[key] != p->count[0])
            return ctx_fail(p->ctx, CVO_ERR_CONFIG,
                            "%s:%lu: %s has %d cut points but recency (line %lu) has %d",
                            p->path, p->key_line[key], cut_names[key], p->count[key],
                            p->key_line[0], p->count[0]);
    memset(out, 0, sizeof *out);
    out->levels = p->count[0] + 1;
    for (int i = 0; i < p->count[0]; i++) {
        out->recency_days[i] = (int32_t)p->values[CUT_RECENCY][i];
        out->frequency[i] = p->values[CUT_FREQUENCY][i];
        out->monetary_cents[i] = p->values[CUT_MONETARY][i];
    }
    return CVO_OK;
}

cvo_status cvo_cuts_load(cvo_ctx *ctx, const char *path, cvo_cuts *out)
{
    if (ctx == NULL || path == NULL || out == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "no cut-point file");
    cuts_parse p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    p.path = path;
    scheme_lines lines;
    CVO_TRY(scheme_lines_open(ctx, path, &lines));
    const char *text;
    size_t len;
    cvo_status status = CVO_OK;
    while (status == CVO_OK && scheme_lines_next(&lines, &text, &len)) {
        p.line = lines.line;
        status = parse_cuts_line(&p, text, len);
    }
    scheme_lines_close(ctx, &lines);
    return status == CVO_OK ? finish_cuts(&p, out) : status;
}
