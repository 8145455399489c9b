/* rfm.c - RFM scoring (ntile, equal and fixed tie rules), cut-point files and
 * per-segment summaries. Every ordering is a stable LSD radix sort of integer
 * keys, so rows are in (value, tie key) order exactly as SQL's NTILE sees them. */
#include "rfm.h"

#include "base/limits.h"
#include "core/customers.h"
#include "core/scheme.h"

#include <string.h>

void cvo_rfm_options_init(cvo_rfm_options *options)
{
    memset(options, 0, sizeof *options);
    options->levels = 5;
    options->ties = CVO_TIES_EQUAL;
    options->as_of_day = INT32_MIN;
    options->cuts = NULL;
}

int rfm_ntile(size_t position, size_t count, int levels)
{
    size_t tiles = (size_t)levels;
    size_t rows = count / tiles, extra = count % tiles;
    size_t big_rows = extra * (rows + 1); /* rows held by the tiles with one more */
    if (position < big_rows)
        return (int)(position / (rows + 1)) + 1;
    return (int)(extra + (position - big_rows) / rows) + 1; /* rows > 0 here */
}

const char *rfm_tie_key(const cvo_customer *customer)
{
    return customer->customer_id[0] != '\0' ? customer->customer_id : customer->email;
}

/* ---- radix sort ---------------------------------------------------------------- */

typedef struct rfm_pair {
    uint64_t key;
    uint32_t index; /* customer row */
} rfm_pair;

/* Stable sort of a[0..n) by key, byte by byte from the lowest; passes where all
 * keys share the byte are skipped (small counts and day numbers need 1-3 of 8).
 * Returns the buffer that holds the result: a or tmp. */
static rfm_pair *radix_sort(rfm_pair *a, rfm_pair *tmp, size_t n)
{
    size_t counts[8][256];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 8; b++)
            counts[b][(a[i].key >> (8 * b)) & 0xFF]++;
    for (unsigned b = 0; b < 8 && n > 0; b++) {
        size_t *count = counts[b];
        if (count[(a[0].key >> (8 * b)) & 0xFF] == n)
            continue;
        size_t offset = 0;
        for (unsigned digit = 0; digit < 256; digit++) {
            size_t here = count[digit];
            count[digit] = offset;
            offset += here;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i].key >> (8 * b)) & 0xFF]++] = a[i];
        rfm_pair *swap = a;
        a = tmp;
        tmp = swap;
    }
    return a;
}

/* ---- ordering by tie key (ntile only) -------------------------------------------- */

/* Runs shorter than this, and text deeper than TIE_MAX_DEPTH * 8 bytes, are
 * merge-sorted with strcmp; the depth cap bounds the recursion on hostile ids. */
enum { TIE_SMALL_RUN = 48, TIE_MAX_DEPTH = 16 };

/* The 8 bytes of text as a big-endian number, zero-padded after its end, so
 * that numeric order is strcmp order. */
static uint64_t text_prefix(const char *text)
{
    const unsigned char *bytes = (const unsigned char *)text;
    uint64_t key = 0;
    bool ended = false;
    for (int i = 0; i < 8; i++) {
        unsigned byte = ended ? 0u : bytes[i];
        ended = byte == 0;
        key = key << 8 | byte;
    }
    return key;
}

static int tie_compare(const cvo_customer *rows, const rfm_pair *x, const rfm_pair *y,
                       size_t offset)
{
    return strcmp(rfm_tie_key(&rows[x->index]) + offset, rfm_tie_key(&rows[y->index]) + offset);
}

static void merge_sort_text(rfm_pair *a, rfm_pair *tmp, size_t n, const cvo_customer *rows,
                            size_t offset)
{
    if (n < 2)
        return;
    size_t half = n / 2, i = 0, j = half, k = 0;
    merge_sort_text(a, tmp, half, rows, offset);
    merge_sort_text(a + half, tmp, n - half, rows, offset);
    while (i < half && j < n)
        tmp[k++] = tie_compare(rows, &a[j], &a[i], offset) < 0 ? a[j++] : a[i++];
    while (i < half)
        tmp[k++] = a[i++];
    memcpy(a, tmp, k * sizeof *a); /* a[j..n) is in place already */
}

/* Sorts a[0..n) by tie key; all keys share their first `offset` bytes. An MSD
 * radix sort on 8 bytes at a time, recursing only into runs that tie on all 8. */
static void sort_by_text(rfm_pair *a, rfm_pair *tmp, size_t n, const cvo_customer *rows,
                         size_t offset, int depth)
{
    if (n < TIE_SMALL_RUN || depth >= TIE_MAX_DEPTH) {
        merge_sort_text(a, tmp, n, rows, offset);
        return;
    }
    for (size_t i = 0; i < n; i++)
        a[i].key = text_prefix(rfm_tie_key(&rows[a[i].index]) + offset);
    rfm_pair *sorted = radix_sort(a, tmp, n);
    if (sorted != a)
        memcpy(a, sorted, n * sizeof *a);
    for (size_t start = 0, end; start < n; start = end) {
        for (end = start + 1; end < n && a[end].key == a[start].key;)
            end++;
        /* a last byte of 0 means the texts ended inside these 8 bytes: equal */
        if (end - start > 1 && (a[start].key & 0xFF) != 0)
            sort_by_text(a + start, tmp + start, end - start, rows, offset + 8, depth + 1);
    }
}

/* ---- scoring ------------------------------------------------------------------------ */

enum { DIM_R, DIM_F, DIM_M };

/* One scoring run; pairs, tmp and order live only while it lasts. */
typedef struct scoring {
    const cvo_customer *rows;
    size_t count;
    int levels;
    bool ntile;
    cvo_score *scores;
    rfm_pair *pairs, *tmp;
    uint32_t *order; /* rows in tie-key order (ntile), NULL: table order */
} scoring;

/* An unsigned key whose ascending order is the scoring order of dim: R by
 * recency descending (recency >= 0 here), F and M ascending. */
static uint64_t dim_key(const scoring *s, size_t row, int dim)
{
    if (dim == DIM_R)
        return (uint64_t)(INT32_MAX - s->scores[row].recency_days);
    if (dim == DIM_F)
        return s->rows[row].orders;
    return (uint64_t)s->rows[row].net_revenue_cents ^ (UINT64_C(1) << 63);
}

static void set_score(cvo_score *score, int dim, int value)
{
    uint8_t v = (uint8_t)value;
    if (dim == DIM_R)
        score->r = v;
    else if (dim == DIM_F)
        score->f = v;
    else
        score->m = v;
}

/* ntile: the tile of the row's own position. equal: the tile of the first row
 * holding the same value, so equal values always share a score. */
static void score_dimension(scoring *s, int dim)
{
    size_t n = s->count;
    for (size_t p = 0; p < n; p++) {
        uint32_t row = s->order ? s->order[p] : (uint32_t)p;
        s->pairs[p].key = dim_key(s, row, dim);
        s->pairs[p].index = row;
    }
    const rfm_pair *sorted = radix_sort(s->pairs, s->tmp, n);
    size_t group_start = 0;
    for (size_t p = 0; p < n; p++) {
        if (p > 0 && sorted[p].key != sorted[p - 1].key)
            group_start = p;
        int tile = rfm_ntile(s->ntile ? p : group_start, n, s->levels);
        set_score(&s->scores[sorted[p].index], dim, tile);
    }
}

static void order_by_tie_key(scoring *s)
{
    for (size_t i = 0; i < s->count; i++)
        s->pairs[i].index = (uint32_t)i;
    sort_by_text(s->pairs, s->tmp, s->count, s->rows, 0, 0);
    for (size_t i = 0; i < s->count; i++)
        s->order[i] = s->pairs[i].index;
}

static cvo_status score_by_rank(cvo_ctx *ctx, scoring *s)
{
    s->pairs = mem_array(ctx, s->count, sizeof *s->pairs);
    s->tmp = mem_array(ctx, s->count, sizeof *s->tmp);
    s->order = s->ntile ? mem_array(ctx, s->count, sizeof *s->order) : NULL;
    bool ok = s->pairs && s->tmp && (s->order || !s->ntile);
    if (ok) {
        if (s->ntile)
            order_by_tie_key(s);
        score_dimension(s, DIM_R);
        score_dimension(s, DIM_F);
        score_dimension(s, DIM_M);
    }
    mem_free(ctx, s->pairs);
    mem_free(ctx, s->tmp);
    mem_free(ctx, s->order);
    return ok ? CVO_OK : ctx_nomem(ctx);
}

/* 1 when value <= cuts[0], 2 when <= cuts[1], ..., levels above the last. */
static int score_up(int64_t value, const int64_t *cuts, int levels)
{
    int score = 1;
    while (score < levels && value > cuts[score - 1])
        score++;
    return score;
}

static void score_fixed(scoring *s, const cvo_cuts *cuts)
{
    int64_t recency_cuts[CVO_MAX_LEVELS - 1];
    for (int i = 0; i < cuts->levels - 1; i++)
        recency_cuts[i] = cuts->recency_days[i];
    for (size_t i = 0; i < s->count; i++) {
        cvo_score *score = &s->scores[i];
        /* fewer days is better: the lowest band gets the top score */
        score->r = (uint8_t)(s->levels + 1 - score_up(score->recency_days, recency_cuts, s->levels));
        score->f = (uint8_t)score_up(s->rows[i].orders, cuts->frequency, s->levels);
        score->m = (uint8_t)score_up(s->rows[i].net_revenue_cents, cuts->monetary_cents, s->levels);
    }
}

/* ---- options, as-of day, recency -------------------------------------------------- */

static bool ascending(const int64_t *values, int count)
{
    for (int i = 1; i < count; i++)
        if (values[i] <= values[i - 1])
            return false;
    return true;
}

static cvo_status check_cuts(cvo_ctx *ctx, const cvo_cuts *cuts)
{
    if (cuts->levels < CVO_MIN_LEVELS || cuts->levels > CVO_MAX_LEVELS)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "cut points for %d levels; 3, 4 or 5 allowed",
                        cuts->levels);
    int64_t recency[CVO_MAX_LEVELS - 1];
    for (int i = 0; i < cuts->levels - 1; i++)
        recency[i] = cuts->recency_days[i];
    if (!ascending(recency, cuts->levels - 1) || !ascending(cuts->frequency, cuts->levels - 1) ||
        !ascending(cuts->monetary_cents, cuts->levels - 1))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "cut points must be strictly ascending");
    return CVO_OK;
}

static cvo_status check_options(cvo_ctx *ctx, const cvo_rfm_options *options, int *levels)
{
    if (options->ties == CVO_TIES_FIXED) {
        if (options->cuts == NULL)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT, "fixed cut points were not given");
        CVO_TRY(check_cuts(ctx, options->cuts));
        *levels = options->cuts->levels;
        return CVO_OK;
    }
    if (options->ties != CVO_TIES_EQUAL && options->ties != CVO_TIES_NTILE)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "unknown tie rule %d", (int)options->ties);
    if (options->levels < CVO_MIN_LEVELS || options->levels > CVO_MAX_LEVELS)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "levels must be 3, 4 or 5, not %d",
                        options->levels);
    *levels = options->levels;
    return CVO_OK;
}

static cvo_status resolve_as_of(cvo_ctx *ctx, const cvo_customers *customers, int32_t wanted,
                                int32_t *as_of)
{
    if (wanted != INT32_MIN) {
        *as_of = wanted;
        return CVO_OK;
    }
    if (customers->last_day == INT32_MAX)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the last order day is out of range");
    *as_of = customers->last_day + 1;
    return CVO_OK;
}

static cvo_status fill_recency(cvo_ctx *ctx, const cvo_customers *customers, int32_t as_of,
                               cvo_score *scores)
{
    for (size_t i = 0; i < customers->count; i++) {
        const cvo_customer *c = &customers->rows[i];
        int64_t days = (int64_t)as_of - c->last_order_day;
        if (days < 0)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                            "the as-of day is %lld day(s) before the last order of customer '%s'",
                            (long long)-days, rfm_tie_key(c));
        if (days > INT32_MAX)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT, "recency of customer '%s' is out of range",
                            rfm_tie_key(c));
        memset(&scores[i], 0, sizeof scores[i]);
        scores[i].recency_days = (int32_t)days;
    }
    return CVO_OK;
}

/* ---- the rfm object ------------------------------------------------------------------ */

static cvo_status check_inputs(cvo_ctx *ctx, const cvo_customers *customers,
                               const cvo_rfm_options *options, const cvo_scheme *scheme,
                               int *levels)
{
    if (customers == NULL || scheme == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "scoring needs a customer table and a scheme");
    CVO_TRY(check_options(ctx, options, levels));
    if (scheme->levels != *levels)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the scheme has %d levels but scoring uses %d",
                        scheme->levels, *levels);
    if (customers->count == 0)
        return ctx_fail(ctx, CVO_ERR_EMPTY, "no customers to score");
    if (customers->count > CVO_MAX_CUSTOMERS)
        return ctx_fail(ctx, CVO_ERR_LIMIT, "more than %u customers", CVO_MAX_CUSTOMERS);
    return CVO_OK;
}

static cvo_status score_all(cvo_rfm *rfm, const cvo_customers *customers,
                            const cvo_rfm_options *options, const cvo_scheme *scheme)
{
    CVO_TRY(fill_recency(rfm->ctx, customers, rfm->as_of_day, rfm->scores));
    scoring s = {customers->rows, rfm->count, rfm->levels, rfm->ties == CVO_TIES_NTILE,
                 rfm->scores, NULL, NULL, NULL};
    if (rfm->ties == CVO_TIES_FIXED)
        score_fixed(&s, options->cuts);
    else
        CVO_TRY(score_by_rank(rfm->ctx, &s));
    for (size_t i = 0; i < rfm->count; i++) {
        cvo_score *score = &rfm->scores[i];
        score->segment = scheme->cells[scheme_cell(rfm->levels, score->r, score->f, score->m)];
    }
    return CVO_OK;
}

cvo_status cvo_rfm_new(cvo_ctx *ctx, const cvo_customers *customers,
                       const cvo_rfm_options *options, const cvo_scheme *scheme, cvo_rfm **out)
{
    if (ctx == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    *out = NULL;
    cvo_rfm_options defaults;
    if (options == NULL) {
        cvo_rfm_options_init(&defaults);
        options = &defaults;
    }
    int levels = 0;
    int32_t as_of = 0;
    CVO_TRY(check_inputs(ctx, customers, options, scheme, &levels));
    CVO_TRY(resolve_as_of(ctx, customers, options->as_of_day, &as_of));
    cvo_rfm *rfm = mem_alloc(ctx, sizeof *rfm);
    if (rfm == NULL)
        return ctx_nomem(ctx);
    *rfm = (cvo_rfm){ctx, customers->count, levels, options->ties, as_of, NULL};
    rfm->scores = mem_array(ctx, rfm->count, sizeof *rfm->scores);
    cvo_status status = rfm->scores ? score_all(rfm, customers, options, scheme) : ctx_nomem(ctx);
    if (status != CVO_OK) {
        cvo_rfm_free(rfm);
        return status;
    }
    *out = rfm;
    return CVO_OK;
}

const cvo_score *cvo_rfm_scores(const cvo_rfm *rfm)
{
    return rfm ? rfm->scores : NULL;
}

int32_t cvo_rfm_as_of_day(const cvo_rfm *rfm)
{
    return rfm ? rfm->as_of_day : INT32_MIN;
}

int cvo_rfm_levels(const cvo_rfm *rfm)
{
    return rfm ? rfm->levels : 0;
}

void cvo_rfm_free(cvo_rfm *rfm)
{
    if (rfm == NULL)
        return;
    mem_free(rfm->ctx, rfm->scores);
    mem_free(rfm->ctx, rfm);
}

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

/* ---- segment summary -------------------------------------------------------------------- */

/* Half away from zero, so -2.5 cents and 2.5 cents round alike in size. */
static int64_t divide_rounded(int64_t numerator, uint64_t denominator)
{
    int64_t d = (int64_t)denominator;
    int64_t quotient = numerator / d, remainder = numerator % d;
    uint64_t twice = 2 * (uint64_t)(remainder < 0 ? -remainder : remainder);
    if (twice >= denominator)
        quotient += numerator < 0 ? -1 : 1;
    return quotient;
}

/* sum += value unless that leaves the int64 range. */
static bool add_cents(int64_t *sum, int64_t value)
{
    if ((value > 0 && *sum > INT64_MAX - value) || (value < 0 && *sum < INT64_MIN - value))
        return false;
    *sum += value;
    return true;
}

static cvo_status add_totals(cvo_ctx *ctx, const cvo_customers *customers, const cvo_rfm *rfm,
                             size_t segments, cvo_segment_row *rows, int64_t *total_revenue)
{
    *total_revenue = 0;
    for (size_t i = 0; i < rfm->count; i++) {
        const cvo_customer *c = &customers->rows[i];
        size_t segment = rfm->scores[i].segment;
        if (segment >= segments)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the scores were made with another scheme");
        cvo_segment_row *row = &rows[segment];
        if (!add_cents(&row->revenue_cents, c->net_revenue_cents) ||
            !add_cents(total_revenue, c->net_revenue_cents))
            return ctx_fail(ctx, CVO_ERR_LIMIT, "revenue total does not fit in 64 bits");
        row->customers++;
        row->orders += c->orders;
    }
    return CVO_OK;
}

/* Medians from one sort of (segment, recency) keys: each segment's recencies
 * end up contiguous and ascending. */
static cvo_status add_medians(cvo_ctx *ctx, const cvo_rfm *rfm, cvo_segment_row *rows)
{
    size_t n = rfm->count;
    rfm_pair *pairs = mem_array(ctx, n, sizeof *pairs), *tmp = mem_array(ctx, n, sizeof *tmp);
    if (pairs == NULL || tmp == NULL) {
        mem_free(ctx, pairs);
        mem_free(ctx, tmp);
        return ctx_nomem(ctx);
    }
    for (size_t i = 0; i < n; i++) {
        pairs[i].key = (uint64_t)rfm->scores[i].segment << 32 | (uint32_t)rfm->scores[i].recency_days;
        pairs[i].index = (uint32_t)i;
    }
    const rfm_pair *sorted = radix_sort(pairs, tmp, n);
    for (size_t start = 0; start < n;) {
        cvo_segment_row *row = &rows[sorted[start].key >> 32];
        size_t count = (size_t)row->customers, mid = start + count / 2;
        double upper = (double)(uint32_t)sorted[mid].key;
        double lower = count % 2 ? upper : (double)(uint32_t)sorted[mid - 1].key;
        row->median_recency_days = (lower + upper) / 2;
        start += count;
    }
    mem_free(ctx, pairs);
    mem_free(ctx, tmp);
    return CVO_OK;
}

cvo_status cvo_segments_summarize(cvo_ctx *ctx, const cvo_customers *customers,
                                  const cvo_rfm *rfm, const cvo_scheme *scheme,
                                  cvo_segment_row *rows)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (customers == NULL || rfm == NULL || scheme == NULL || rows == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "summary needs customers, scores and a scheme");
    if (customers->count != rfm->count || scheme->levels != rfm->levels)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the scores belong to another table or scheme");
    size_t segments = scheme->segment_count;
    memset(rows, 0, segments * sizeof *rows);
    int64_t total_revenue;
    CVO_TRY(add_totals(ctx, customers, rfm, segments, rows, &total_revenue));
    for (size_t s = 0; s < segments; s++) {
        cvo_segment_row *row = &rows[s];
        row->name = scheme->names[s];
        row->customer_share = rfm->count ? (double)row->customers / (double)rfm->count : 0;
        row->revenue_share = total_revenue > 0 ? (double)row->revenue_cents / (double)total_revenue : 0;
        row->aov_cents = row->orders ? divide_rounded(row->revenue_cents, row->orders) : 0;
    }
    return add_medians(ctx, rfm, rows);
}
