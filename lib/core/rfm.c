/* rfm.c - RFM scoring (ntile, equal and fixed tie rules) and per-segment
 * summaries; cut-point files are read in rfm_cuts.c. Rows are placed in
 * (value, tie key) order exactly as SQL's NTILE sees it, by counting or
 * stable radix sorts of integer keys only. */
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

const char *rfm_tie_key(const cvo_customer *customer)
{
    return customer->customer_id[0] != '\0' ? customer->customer_id : customer->email;
}

/* ---- tiles ---------------------------------------------------------------------- */

/* Where each SQL NTILE tile starts: count / levels rows per tile, and one more
 * in each of the first count % levels tiles. Tiles past levels start at
 * SIZE_MAX, so a tile is found by adding comparisons, without branches (the
 * positions come in random order and would defeat branch prediction). */
typedef struct tiling {
    size_t first_row[CVO_MAX_LEVELS + 1]; /* index 1..CVO_MAX_LEVELS */
} tiling;

static void tiling_init(tiling *t, size_t count, int levels)
{
    size_t rows = count / (size_t)levels, extra = count % (size_t)levels;
    for (int tile = 1; tile <= CVO_MAX_LEVELS; tile++) {
        size_t before = (size_t)(tile - 1);
        t->first_row[tile] =
            tile > levels ? SIZE_MAX : before * rows + (before < extra ? before : extra);
    }
}

static int tiling_tile(const tiling *t, size_t position)
{
    int tile = 1;
    for (int next = 2; next <= CVO_MAX_LEVELS; next++)
        tile += position >= t->first_row[next];
    return tile;
}

int rfm_ntile(size_t position, size_t count, int levels)
{
    tiling t;
    tiling_init(&t, count, levels);
    return tiling_tile(&t, position);
}

/* ---- radix sorts -------------------------------------------------------------------- */

/* Turns the counts of one byte position into scatter offsets. false when all n
 * keys share that byte, so the pass can be skipped. */
static bool radix_offsets(size_t count[256], size_t n)
{
    size_t offset = 0;
    for (unsigned digit = 0; digit < 256; digit++) {
        if (count[digit] == n)
            return false;
        size_t here = count[digit];
        count[digit] = offset;
        offset += here;
    }
    return true;
}

/* Stable sort of a[0..n) on bytes first_byte..7, from the lowest. Returns the
 * buffer holding the result (a or tmp). */
static uint64_t *radix_u64(uint64_t *a, uint64_t *tmp, size_t n, unsigned first_byte)
{
    size_t counts[8][256];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = first_byte; b < 8; b++)
            counts[b][(a[i] >> (8 * b)) & 0xFF]++;
    for (unsigned b = first_byte; b < 8; b++) {
        if (!radix_offsets(counts[b], n))
            continue;
        for (size_t i = 0; i < n; i++)
            tmp[counts[b][(a[i] >> (8 * b)) & 0xFF]++] = a[i];
        uint64_t *swap = a;
        a = tmp;
        tmp = swap;
    }
    return a;
}

/* A row with the 8 bytes of its sort text at the current depth (key) and the
 * 4 after them (next), both as big-endian numbers; 16 bytes in all. */
typedef struct text_pair {
    uint64_t key;
    uint32_t next;
    uint32_t index;
} text_pair;

/* Stable sort of a[0..n) by key; returns the buffer holding the result. */
static text_pair *radix_text(text_pair *a, text_pair *tmp, size_t n)
{
    size_t counts[8][256];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 8; b++)
            counts[b][(a[i].key >> (8 * b)) & 0xFF]++;
    for (unsigned b = 0; b < 8; b++) {
        if (!radix_offsets(counts[b], n))
            continue;
        for (size_t i = 0; i < n; i++)
            tmp[counts[b][(a[i].key >> (8 * b)) & 0xFF]++] = a[i];
        text_pair *swap = a;
        a = tmp;
        tmp = swap;
    }
    return a;
}

/* ---- ordering by tie key (ntile only) -------------------------------------------- */

/* Runs shorter than TIE_SMALL_RUN, and text deeper than TIE_MAX_DEPTH * 8
 * bytes, are merge-sorted; the depth cap bounds the recursion on hostile ids. */
enum { TIE_SMALL_RUN = 48, TIE_MAX_DEPTH = 16 };

/* `width` bytes of text as a big-endian number, zero-padded after its end, so
 * that numeric order is strcmp order. A low byte of 0 means the text ends inside. */
static uint64_t text_prefix(const char *text, int width)
{
    const unsigned char *bytes = (const unsigned char *)text;
    uint64_t key = 0;
    bool ended = false;
    for (int i = 0; i < width; i++) {
        unsigned byte = ended ? 0u : bytes[i];
        ended = byte == 0;
        key = key << 8 | byte;
    }
    return key;
}

static bool text_continues(uint64_t prefix)
{
    return (prefix & 0xFF) != 0;
}

/* Fills key and next from the row's text at offset (which the text reaches). */
static void text_load(text_pair *pair, const cvo_customer *rows, size_t offset)
{
    const char *text = rfm_tie_key(&rows[pair->index]) + offset;
    pair->key = text_prefix(text, 8);
    pair->next = text_continues(pair->key) ? (uint32_t)text_prefix(text + 8, 4) : 0;
}

/* strcmp order of the rows' texts, which share their first `offset` bytes. */
static int text_compare(const cvo_customer *rows, const text_pair *x, const text_pair *y,
                        size_t offset)
{
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (!text_continues(x->key))
        return 0;
    if (x->next != y->next)
        return x->next < y->next ? -1 : 1;
    if (!text_continues(x->next))
        return 0;
    return strcmp(rfm_tie_key(&rows[x->index]) + offset + 12,
                  rfm_tie_key(&rows[y->index]) + offset + 12);
}

static void merge_sort_text(text_pair *a, text_pair *tmp, size_t n, const cvo_customer *rows,
                            size_t offset)
{
    if (n < 2)
        return;
    size_t half = n / 2, i = 0, j = half, k = 0;
    merge_sort_text(a, tmp, half, rows, offset);
    merge_sort_text(a + half, tmp, n - half, rows, offset);
    while (i < half && j < n)
        tmp[k++] = text_compare(rows, &a[j], &a[i], offset) < 0 ? a[j++] : a[i++];
    while (i < half)
        tmp[k++] = a[i++];
    memcpy(a, tmp, k * sizeof *a); /* a[j..n) is in place already */
}

/* Sorts a[0..n) by tie key; all share their first `offset` bytes and carry
 * the prefixes at offset (key) and offset + 8 (next). An MSD radix sort 8
 * bytes at a time; small runs are merge-sorted on (key, next), which settles
 * most of them without touching the texts again (a random memory access). */
static void sort_by_text(text_pair *a, text_pair *tmp, size_t n, const cvo_customer *rows,
                         size_t offset, int depth)
{
    if (n < TIE_SMALL_RUN || depth >= TIE_MAX_DEPTH) {
        merge_sort_text(a, tmp, n, rows, offset);
        return;
    }
    const text_pair *sorted = radix_text(a, tmp, n);
    if (sorted != a)
        memcpy(a, sorted, n * sizeof *a);
    for (size_t start = 0, end; start < n; start = end) {
        for (end = start + 1; end < n && a[end].key == a[start].key;)
            end++;
        size_t run = end - start;
        if (run < 2 || !text_continues(a[start].key))
            continue;
        if (run < TIE_SMALL_RUN) { /* (key, next) are still those at offset */
            merge_sort_text(a + start, tmp + start, run, rows, offset);
            continue;
        }
        for (size_t i = start; i < end; i++)
            text_load(&a[i], rows, offset + 8);
        sort_by_text(a + start, tmp + start, run, rows, offset + 8, depth + 1);
    }
}

/* order[0..n) = the rows sorted by tie key. */
static cvo_status order_by_tie_key(cvo_ctx *ctx, const cvo_customer *rows, size_t n,
                                   uint32_t *order)
{
    text_pair *pairs = mem_array(ctx, n, sizeof *pairs);
    text_pair *tmp = mem_array(ctx, n, sizeof *tmp);
    if (pairs == NULL || tmp == NULL) {
        mem_free(ctx, pairs);
        mem_free(ctx, tmp);
        return ctx_nomem(ctx);
    }
    for (size_t i = 0; i < n; i++) {
        pairs[i].index = (uint32_t)i;
        text_load(&pairs[i], rows, 0);
    }
    sort_by_text(pairs, tmp, n, rows, 0, 0);
    for (size_t i = 0; i < n; i++)
        order[i] = pairs[i].index;
    mem_free(ctx, pairs);
    mem_free(ctx, tmp);
    return CVO_OK;
}

/* ---- scoring ------------------------------------------------------------------------ */

/* The tie rules (docs/segments.md section 2). Per dimension, the rows are in
 * scoring order: F and M ascending, R by recency descending, ties by tie key
 * (rfm_tie_key: customer_id, or the email when the id is "", compared as
 * unsigned bytes). n rows make N tiles as SQL NTILE(N) does (tiling_init).
 *   ntile: a row's score is the tile of its own position.
 *   equal: a row's score is the tile of the first row holding the same value,
 *          i.e. of position b, b = the rows with a strictly worse value; so
 *          equal values always share a score, and the tie key plays no part. */

enum { DIM_R, DIM_F, DIM_M, DIM__COUNT };

/* Values spanning fewer than max(count, DENSE_MIN_SPAN) are placed by counting
 * (one array of that span, no sort); wider ones by a radix sort of (value, row). */
enum { DENSE_MIN_SPAN = 1 << 16 };

/* One scoring run. Scratch memory is kept small on purpose: fresh pages cost
 * more than reading the customer rows again, and rows visited in tie-key order
 * are visited once for all three dimensions, since each visit is a cache miss. */
typedef struct scoring {
    cvo_ctx *ctx;
    const cvo_customer *rows;
    size_t count;
    tiling tiles_of;
    bool ntile;
    cvo_score *scores;
    const uint32_t *order;         /* rows in tie-key order (ntile), NULL: table order */
    uint64_t low[DIM__COUNT];      /* smallest key of each dimension */
    uint64_t high[DIM__COUNT];     /* largest key */
    uint32_t *counted[DIM__COUNT]; /* counting: per value, see count_values; else NULL */
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

static void set_score(cvo_score *score, int dim, int tile)
{
    if (dim == DIM_R)
        score->r = (uint8_t)tile;
    else if (dim == DIM_F)
        score->f = (uint8_t)tile;
    else
        score->m = (uint8_t)tile;
}

static void key_range(scoring *s, int dim)
{
    s->low[dim] = UINT64_MAX;
    s->high[dim] = 0;
    for (size_t i = 0; i < s->count; i++) {
        uint64_t key = dim_key(s, i, dim);
        s->low[dim] = key < s->low[dim] ? key : s->low[dim];
        s->high[dim] = key > s->high[dim] ? key : s->high[dim];
    }
}

static size_t row_at(const scoring *s, size_t position)
{
    return s->order ? s->order[position] : position;
}

/* counted[v] = rows with a smaller value = the position of the first row
 * holding v; for equal, directly the tile of that position. */
static cvo_status count_values(scoring *s, int dim)
{
    size_t span = (size_t)(s->high[dim] - s->low[dim]) + 1;
    uint32_t *counted = mem_zarray(s->ctx, span, sizeof *counted);
    if (counted == NULL)
        return ctx_nomem(s->ctx);
    for (size_t i = 0; i < s->count; i++)
        counted[dim_key(s, i, dim) - s->low[dim]]++;
    uint32_t rows_before = 0;
    for (size_t v = 0; v < span; v++) {
        uint32_t here = counted[v];
        counted[v] = s->ntile ? rows_before : (uint32_t)tiling_tile(&s->tiles_of, rows_before);
        rows_before += here;
    }
    s->counted[dim] = counted;
    return CVO_OK;
}

#if defined(__GNUC__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif

/* Rows visited in tie-key order are random accesses: fetching them this many
 * rows ahead lets the memory system work on several misses at once. */
enum { PREFETCH_AHEAD = 16 };

/* One pass over the rows for all counted dimensions. ntile hands out the
 * positions counted[v], counted[v]+1, ... in tie-key order. */
static void assign_counted(scoring *s)
{
    for (size_t p = 0; p < s->count; p++) {
        if (s->order != NULL && p + PREFETCH_AHEAD < s->count) {
            PREFETCH(&s->rows[s->order[p + PREFETCH_AHEAD]]);
            PREFETCH(&s->scores[s->order[p + PREFETCH_AHEAD]]);
        }
        size_t row = row_at(s, p);
        for (int dim = 0; dim < DIM__COUNT; dim++) {
            if (s->counted[dim] == NULL)
                continue;
            uint32_t *slot = &s->counted[dim][dim_key(s, row, dim) - s->low[dim]];
            int tile = s->ntile ? tiling_tile(&s->tiles_of, (*slot)++) : (int)*slot;
            set_score(&s->scores[row], dim, tile);
        }
    }
}

/* ranks[row] = the dense rank of the row's key, for values that span more
 * than 32 bits (only huge money ranges): one sort of (key, row) pairs. */
static cvo_status rank_wide_keys(scoring *s, int dim, uint32_t *ranks)
{
    size_t n = s->count;
    text_pair *pairs = mem_array(s->ctx, n, sizeof *pairs);
    text_pair *tmp = mem_array(s->ctx, n, sizeof *tmp);
    if (pairs == NULL || tmp == NULL) {
        mem_free(s->ctx, pairs);
        mem_free(s->ctx, tmp);
        return ctx_nomem(s->ctx);
    }
    for (size_t i = 0; i < n; i++)
        pairs[i] = (text_pair){dim_key(s, i, dim), 0, (uint32_t)i};
    const text_pair *sorted = radix_text(pairs, tmp, n);
    uint32_t rank = 0;
    for (size_t p = 0; p < n; p++) {
        rank += p > 0 && sorted[p].key != sorted[p - 1].key;
        ranks[sorted[p].index] = rank;
    }
    mem_free(s->ctx, pairs);
    mem_free(s->ctx, tmp);
    return CVO_OK;
}

/* (value << 32 | row) in table or tie-key order, value = key - low or the
 * key's rank when the span is wider than 32 bits. */
static cvo_status pack_values(scoring *s, int dim, uint64_t *packed)
{
    uint32_t *ranks = NULL;
    if (s->high[dim] - s->low[dim] > UINT32_MAX) {
        ranks = mem_array(s->ctx, s->count, sizeof *ranks);
        if (ranks == NULL)
            return ctx_nomem(s->ctx);
        cvo_status status = rank_wide_keys(s, dim, ranks);
        if (status != CVO_OK) {
            mem_free(s->ctx, ranks);
            return status;
        }
    }
    for (size_t p = 0; p < s->count; p++) {
        size_t row = row_at(s, p);
        uint64_t value = ranks ? ranks[row] : dim_key(s, row, dim) - s->low[dim];
        packed[p] = value << 32 | (uint64_t)row;
    }
    mem_free(s->ctx, ranks);
    return CVO_OK;
}

/* Sorting, stably on the value bytes only, so rows keep their tie-key order
 * inside a value. */
static cvo_status place_by_sorting(scoring *s, int dim)
{
    size_t n = s->count;
    uint64_t *packed = mem_array(s->ctx, n, sizeof *packed);
    uint64_t *tmp = mem_array(s->ctx, n, sizeof *tmp);
    cvo_status status = packed && tmp ? pack_values(s, dim, packed) : ctx_nomem(s->ctx);
    if (status == CVO_OK) {
        const uint64_t *sorted = radix_u64(packed, tmp, n, 4);
        size_t group_start = 0;
        for (size_t p = 0; p < n; p++) {
            if (p > 0 && sorted[p] >> 32 != sorted[p - 1] >> 32)
                group_start = p;
            int tile = tiling_tile(&s->tiles_of, s->ntile ? p : group_start);
            set_score(&s->scores[(uint32_t)sorted[p]], dim, tile);
        }
    }
    mem_free(s->ctx, packed);
    mem_free(s->ctx, tmp);
    return status;
}

static cvo_status place_dimensions(scoring *s)
{
    size_t dense_span = s->count > DENSE_MIN_SPAN ? s->count : DENSE_MIN_SPAN;
    for (int dim = 0; dim < DIM__COUNT; dim++) {
        key_range(s, dim);
        if (s->high[dim] - s->low[dim] < dense_span)
            CVO_TRY(count_values(s, dim));
        else
            CVO_TRY(place_by_sorting(s, dim));
    }
    assign_counted(s);
    return CVO_OK;
}

/* Scores by position in the scoring order (ntile and equal rules, see above);
 * the tie-key order is only needed, and only computed, for ntile. */
static cvo_status score_by_rank(scoring *s)
{
    uint32_t *order = NULL;
    cvo_status status = CVO_OK;
    if (s->ntile) {
        order = mem_array(s->ctx, s->count, sizeof *order);
        status = order ? order_by_tie_key(s->ctx, s->rows, s->count, order) : ctx_nomem(s->ctx);
    }
    s->order = order;
    if (status == CVO_OK)
        status = place_dimensions(s);
    for (int dim = 0; dim < DIM__COUNT; dim++)
        mem_free(s->ctx, s->counted[dim]);
    mem_free(s->ctx, order);
    return status;
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
    int levels = cuts->levels;
    int64_t recency_cuts[CVO_MAX_LEVELS - 1];
    for (int i = 0; i < levels - 1; i++)
        recency_cuts[i] = cuts->recency_days[i];
    for (size_t i = 0; i < s->count; i++) {
        cvo_score *score = &s->scores[i];
        /* fewer days is better: the lowest band gets the top score */
        score->r = (uint8_t)(levels + 1 - score_up(score->recency_days, recency_cuts, levels));
        score->f = (uint8_t)score_up(s->rows[i].orders, cuts->frequency, levels);
        score->m = (uint8_t)score_up(s->rows[i].net_revenue_cents, cuts->monetary_cents, levels);
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
        return ctx_fail(ctx, CVO_ERR_EMPTY, "no customers to score: no order counts (all records rejected, or every order cancelled or refunded)");
    if (customers->count > CVO_MAX_CUSTOMERS)
        return ctx_fail(ctx, CVO_ERR_LIMIT, "more than %u customers", CVO_MAX_CUSTOMERS);
    return CVO_OK;
}

static cvo_status score_all(cvo_rfm *rfm, const cvo_customers *customers,
                            const cvo_rfm_options *options, const cvo_scheme *scheme)
{
    CVO_TRY(fill_recency(rfm->ctx, customers, rfm->as_of_day, rfm->scores));
    scoring s;
    memset(&s, 0, sizeof s);
    s.ctx = rfm->ctx;
    s.rows = customers->rows;
    s.count = rfm->count;
    s.ntile = rfm->ties == CVO_TIES_NTILE;
    s.scores = rfm->scores;
    tiling_init(&s.tiles_of, rfm->count, rfm->levels);
    if (rfm->ties == CVO_TIES_FIXED)
        score_fixed(&s, options->cuts);
    else
        CVO_TRY(score_by_rank(&s));
    for (size_t i = 0; i < rfm->count; i++) {
        cvo_score *score = &rfm->scores[i];
        if (options->no_monetary)
            score->m = 0;
        int m = score->m ? score->m : score->f; /* count-only: F stands in for M */
        score->segment = scheme->cells[scheme_cell(rfm->levels, score->r, score->f, m)];
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
    uint64_t *keys = mem_array(ctx, n, sizeof *keys), *tmp = mem_array(ctx, n, sizeof *tmp);
    if (keys == NULL || tmp == NULL) {
        mem_free(ctx, keys);
        mem_free(ctx, tmp);
        return ctx_nomem(ctx);
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (uint64_t)rfm->scores[i].segment << 32 | (uint32_t)rfm->scores[i].recency_days;
    const uint64_t *sorted = radix_u64(keys, tmp, n, 0);
    for (size_t start = 0; start < n;) {
        cvo_segment_row *row = &rows[sorted[start] >> 32];
        size_t count = (size_t)row->customers, mid = start + count / 2;
        double upper = (double)(uint32_t)sorted[mid];
        double lower = count % 2 ? upper : (double)(uint32_t)sorted[mid - 1];
        row->median_recency_days = (lower + upper) / 2;
        start += count;
    }
    mem_free(ctx, keys);
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
