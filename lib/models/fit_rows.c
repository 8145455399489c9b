/* fit_rows.c - the rows a fit runs on: summary rows validated and compressed into
 * distinct weighted rows, and the samples of them the search and Newton start on.
 * Invariant: compressed rows carry every used customer exactly once (weights add up);
 * a sample's weights are scaled up to stand for all rows. */
#include "models/fit_impl.h"

#include "base/hash.h"
#include "base/limits.h"

#include <math.h>
#include <string.h>

/* ---- rows: validation and compression ------------------------------------------- */

/* Open addressing over row indexes: a slot holds the high half of the row's
 * hash (so a probe reads a row only when that matches) and 1 + its index in
 * the low half; 0 when empty. */
typedef struct row_table {
    uint64_t *slots;
    size_t mask;
    size_t capacity; /* rows allocated */
} row_table;

/* Summary rows hashed this far ahead of their lookup, so the table's cache misses overlap. */
enum { ROW_AHEAD = 16 };

static uint64_t double_bits(double v)
{
    uint64_t u;
    v += 0.0; /* -0.0 becomes +0.0, so equal keys hash equally */
    memcpy(&u, &v, sizeof u);
    return u;
}

/* One mixing round over a sum of the fields times odd constants: distinct
 * rows collide only through a linear relation modulo 2^64. */
static uint64_t row_hash(const model_row *r)
{
    uint64_t h = double_bits(r->x) * 0x9e3779b97f4a7c15ull;
    h += double_bits(r->t_x) * 0xc2b2ae3d27d4eb4full;
    h += double_bits(r->T) * 0x165667b19e3779f9ull;
    h += double_bits(r->m_x) * 0xd6e8feb86659fd93ull;
    return hash_mix64(h);
}

static uint64_t slot_of(uint64_t hash, size_t index)
{
    return (hash & 0xffffffff00000000ull) | (uint64_t)(index + 1);
}

static size_t slot_index(uint64_t slot)
{
    return (size_t)(slot & 0xffffffffu) - 1;
}

static bool row_same(const model_row *a, const model_row *b)
{
    return a->x == b->x && a->t_x == b->t_x && a->T == b->T && a->m_x == b->m_x;
}

/* Checks one summary row; *use false when the model does not use it. Returns
 * the reason when the row is invalid, else NULL. */
static const char *row_prepare(const model_ops *ops, const cvo_summary_row *s, model_row *r,
                               bool *use, fit_rows *acc)
{
    *use = false;
    if (!(s->weight >= 0 && isfinite(s->weight)))
        return "weight must be a finite number >= 0";
    if (!(s->x >= 0 && isfinite(s->x) && s->t_x >= 0 && isfinite(s->t_x) && s->T >= 0 &&
          isfinite(s->T)))
        return "x, t_x and T must be finite numbers >= 0";
    if (s->t_x > s->T * (1 + 1e-9))
        return "t_x is larger than T";
    if (s->x == 0 && s->t_x != 0)
        return "t_x must be 0 when x is 0";
    if (s->weight == 0)
        return NULL;
    if (!ops->needs_repeaters) {
        *r = (model_row){s->x, s->t_x, s->T, 0, s->weight};
        *use = true;
        return NULL;
    }
    if (s->x == 0)
        return NULL;
    if (isnan(s->m_x) || isinf(s->m_x))
        return "m_x must be a finite number";
    if (s->m_x <= 0) {
        acc->nonpositive += s->weight;
        return NULL;
    }
    *r = (model_row){s->x, 0, 0, s->m_x, s->weight};
    *use = true;
    return NULL;
}

static cvo_status table_grow(cvo_ctx *ctx, row_table *t, const fit_rows *rows)
{
    size_t size = (t->mask + 1) * 2;
    uint64_t *slots = mem_zarray(ctx, size, sizeof *slots);
    if (slots == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < rows->count; i++) {
        uint64_t hash = row_hash(&rows->rows[i]);
        size_t at = (size_t)hash & (size - 1);
        while (slots[at] != 0)
            at = (at + 1) & (size - 1);
        slots[at] = slot_of(hash, i);
    }
    mem_free(ctx, t->slots);
    t->slots = slots;
    t->mask = size - 1;
    return CVO_OK;
}

static cvo_status rows_append(cvo_ctx *ctx, row_table *t, fit_rows *rows, const model_row *r)
{
    if (rows->count == t->capacity) {
        size_t capacity = t->capacity * 2;
        model_row *grown = mem_realloc(ctx, rows->rows, capacity * sizeof *grown);
        if (grown == NULL)
            return ctx_nomem(ctx);
        rows->rows = grown;
        t->capacity = capacity;
    }
    rows->rows[rows->count++] = *r;
    if (rows->count * 2 > t->mask + 1)
        return table_grow(ctx, t, rows);
    return CVO_OK;
}

/* Adds r (of the given hash) to its group, or starts a new group. */
static cvo_status rows_add(cvo_ctx *ctx, row_table *t, fit_rows *rows, const model_row *r,
                           uint64_t hash)
{
    rows->weight += r->weight;
    if (r->x > 0)
        rows->repeat_weight += r->weight;
    if (r->T > rows->max_T)
        rows->max_T = r->T;
    size_t at = (size_t)hash & t->mask;
    uint64_t tag = slot_of(hash, 0) & 0xffffffff00000000ull;
    for (; t->slots[at] != 0; at = (at + 1) & t->mask) {
        if ((t->slots[at] & 0xffffffff00000000ull) != tag)
            continue;
        model_row *group = &rows->rows[slot_index(t->slots[at])];
        if (row_same(group, r)) {
            group->weight += r->weight;
            return CVO_OK;
        }
    }
    t->slots[at] = slot_of(hash, rows->count);
    return rows_append(ctx, t, rows, r);
}

/* Summary rows staged ahead of their lookup: prepared, hashed, their slot prefetched. */
typedef struct row_stage {
    model_row row[ROW_AHEAD];
    uint64_t hash[ROW_AHEAD];
    bool use[ROW_AHEAD];
} row_stage;

static cvo_status rows_stage(cvo_ctx *ctx, const model_ops *ops, const cvo_summary_row *s,
                             size_t index, const row_table *t, fit_rows *out, row_stage *stage)
{
    size_t j = index % ROW_AHEAD;
    if (ops->discrete && s->T > CVO_MAX_OPPORTUNITIES)
        return ctx_fail(ctx, CVO_ERR_LIMIT,
                        "summary row %zu: T = %g opportunities; the %s model takes at most %d",
                        index + 1, s->T, ops->name, CVO_MAX_OPPORTUNITIES);
    const char *why = row_prepare(ops, s, &stage->row[j], &stage->use[j], out);
    if (why != NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "summary row %zu: %s", index + 1, why);
    stage->hash[j] = stage->use[j] ? row_hash(&stage->row[j]) : 0;
    if (stage->use[j])
        __builtin_prefetch(&t->slots[(size_t)stage->hash[j] & t->mask]);
    return CVO_OK;
}

/* Adds the summary's rows in order, each staged ROW_AHEAD rows before its lookup. */
static cvo_status rows_scan(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                            row_table *t, fit_rows *out)
{
    if (summary->count >= UINT32_MAX)
        return ctx_fail(ctx, CVO_ERR_LIMIT, "a fit takes at most %u customers", UINT32_MAX - 1);
    row_stage stage;
    for (size_t i = 0; i < summary->count + ROW_AHEAD; i++) {
        size_t j = i % ROW_AHEAD;
        if (i >= ROW_AHEAD && stage.use[j])
            CVO_TRY(rows_add(ctx, t, out, &stage.row[j], stage.hash[j]));
        if (i < summary->count)
            CVO_TRY(rows_stage(ctx, ops, &summary->rows[i], i, t, out, &stage));
    }
    return CVO_OK;
}

/* Table slots for a summary: at least its rows (summaries rarely compress
 * less than twofold, so the table seldom grows), capped so a huge summary
 * grows the table only as its distinct rows require. */
static size_t table_size(size_t summary_rows)
{
    size_t size = 1024;
    while (size < summary_rows && size < ((size_t)1 << 21))
        size *= 2;
    return size;
}

cvo_status fit_rows_build(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                          fit_rows *out)
{
    memset(out, 0, sizeof *out);
    row_table t = {NULL, table_size(summary->count) - 1, 512};
    t.slots = mem_zarray(ctx, t.mask + 1, sizeof *t.slots);
    out->rows = mem_array(ctx, t.capacity, sizeof *out->rows);
    cvo_status status = CVO_ERR_NOMEM;
    if (t.slots == NULL || out->rows == NULL)
        status = ctx_nomem(ctx);
    else
        status = rows_scan(ctx, ops, summary, &t, out);
    mem_free(ctx, t.slots);
    if (status != CVO_OK)
        fit_rows_free(ctx, out);
    return status;
}

void fit_rows_free(cvo_ctx *ctx, fit_rows *rows)
{
    if (rows == NULL)
        return;
    mem_free(ctx, rows->rows);
    rows->rows = NULL;
    rows->count = 0;
}

/* ---- samples ---------------------------------------------------------------------- */

/* Every stride-th row of full (at most sample_rows, into sample) as *out, its
 * weights scaled up to stand for all rows; scratch (NULL: none) prepared for it. */
static void stride_problem(const fit_problem *full, model_row *sample, size_t sample_rows,
                           void *scratch, fit_problem *out)
{
    *out = *full;
    size_t stride = (full->count + sample_rows - 1) / sample_rows, n = 0;
    double weight = 0, all = 0;
    for (size_t i = 0; i < full->count; i++) {
        all += full->rows[i].weight;
        if (i % stride == stride / 2 && n < sample_rows) {
            sample[n] = full->rows[i];
            weight += sample[n++].weight;
        }
    }
    out->rows = sample;
    out->count = n;
    out->weight_factor = weight > 0 ? all / weight : 1;
    out->scratch = scratch;
    if (scratch != NULL)
        full->ops->batch_prepare(sample, n, scratch);
}

/* The smallest power of two w such that at most half of size rows weigh w or more. */
static double heavy_weight(const fit_problem *full, size_t size)
{
    size_t count[64] = {0}, above = 0;
    for (size_t i = 0; i < full->count; i++) {
        int e = 0;
        frexp(full->rows[i].weight, &e);
        count[e < 1 ? 0 : e > 63 ? 63 : e]++;
    }
    int e = 63;
    while (e > 1 && above + count[e] <= size / 2)
        above += count[e--];
    return ldexp(1, e); /* rows in buckets above e weigh at least 2^e */
}

/* A sample for Newton: every row of weight >= heavy_weight as it is (they
 * carry much of the likelihood), and every stride-th of the others, their
 * weights scaled up to stand for all of the others. */
static void heavy_problem(const fit_problem *full, model_row *sample, size_t size, void *scratch,
                          fit_problem *out)
{
    double heavy = heavy_weight(full, size), light = 0, taken = 0;
    size_t light_rows = 0, n = 0;
    for (size_t i = 0; i < full->count; i++)
        if (full->rows[i].weight < heavy)
            light_rows++;
    size_t room = size - size / 2, stride = room > 0 ? (light_rows + room - 1) / room : 1, k = 0;
    if (stride == 0)
        stride = 1;
    for (size_t i = 0; i < full->count && n < size; i++) {
        const model_row *r = &full->rows[i];
        if (r->weight >= heavy) {
            sample[n++] = *r;
            continue;
        }
        light += r->weight;
        if (k++ % stride == stride / 2 && n < size) {
            sample[n++] = *r;
            taken += r->weight;
        }
    }
    double scale = taken > 0 ? light / taken : 1;
    for (size_t i = 0; i < n; i++)
        if (sample[i].weight < heavy)
            sample[i].weight *= scale;
    *out = *full;
    out->rows = sample;
    out->count = n;
    out->weight_factor = 1;
    out->scratch = scratch;
    if (scratch != NULL)
        full->ops->batch_prepare(sample, n, scratch);
}

/* The search problem: all rows, or every stride-th row when there are many;
 * and the middle sample when ws has room for one. */
void fit_search_problem(fit_run *run, fit_ws *ws, size_t sample_rows)
{
    run->search = run->full;
    run->mid.rows = NULL;
    if (ws->sample == NULL)
        return;
    stride_problem(&run->full, ws->sample, sample_rows, ws->sample_scratch, &run->search);
    if (ws->mid != NULL)
        heavy_problem(&run->full, ws->mid, FIT_MID_FACTOR * sample_rows, ws->mid_scratch,
                      &run->mid);
}

/* Size of the middle sample for a fit of rows rows (0: none). */
size_t fit_mid_rows(const model_ops *ops, size_t rows, size_t sample_rows)
{
    if (!fit_has_batch(ops) || sample_rows == 0)
        return 0;
    if (rows / (FIT_MID_FACTOR * FIT_MID_MIN) < sample_rows)
        return 0;
    return FIT_MID_FACTOR * sample_rows;
}
