/* trend.c - segment sizes and revenue over the latest snapshots (the
 * snapshot_segments table), oldest first, for the report's trend. Segments
 * are matched by name, so every snapshot has a cell for every segment. */
#include "history/history.h"

#include "base/ctx.h"
#include "base/limits.h"

#include <string.h>

/* The snapshots a trend may show, newest first. A filter on the snapshot's
 * state (say, committed runs only) belongs in this one statement. */
#define TREND_SNAPSHOTS "SELECT as_of FROM snapshots ORDER BY as_of DESC LIMIT ?1"

/* Every segment row of those snapshots, newest snapshot first and each in its
 * scheme order; a snapshot without segment rows still gives one row (NULLs). */
static const char TREND_SQL[] =
    "WITH recent AS (" TREND_SNAPSHOTS ")"
    " SELECT recent.as_of, g.segment, g.customers, g.revenue_cents"
    " FROM recent LEFT JOIN snapshot_segments g ON g.as_of = recent.as_of"
    " ORDER BY recent.as_of DESC, g.position";

struct cvo_trend {
    cvo_ctx *ctx;
    history_names segments;
    int32_t *days; /* oldest first */
    size_t snapshot_count;
    cvo_trend_cell *cells; /* [snapshot * segment count + segment] */
};

/* One segment row as read, before the matrix has its final width. */
typedef struct trend_row {
    size_t snapshot; /* 0 = newest while reading */
    size_t segment;
    cvo_trend_cell cell;
} trend_row;

typedef struct trend_rows {
    trend_row *rows;
    size_t count, cap;
} trend_rows;

static cvo_status rows_push(cvo_ctx *ctx, trend_rows *r, const trend_row *row)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        trend_row *grown = mem_realloc(ctx, r->rows, cap * sizeof *grown);
        if (grown == NULL)
            return ctx_nomem(ctx);
        r->rows = grown;
        r->cap = cap;
    }
    r->rows[r->count++] = *row;
    return CVO_OK;
}

/* A new as-of text starts a snapshot (rows come grouped by snapshot). */
static cvo_status note_day(cvo_history *h, cvo_trend *t, const unsigned char *text)
{
    int32_t day;
    if (text == NULL || !cvo_day_parse((const char *)text, &day))
        return ctx_fail(h->ctx, CVO_ERR_FORMAT, "%s: a snapshot with a bad as_of", h->path);
    if (t->snapshot_count > 0 && t->days[t->snapshot_count - 1] == day)
        return CVO_OK;
    t->days[t->snapshot_count++] = day;
    return CVO_OK;
}

static cvo_status read_row(cvo_history *h, cvo_trend *t, sqlite3_stmt *st, trend_rows *rows)
{
    CVO_TRY(note_day(h, t, sqlite3_column_text(st, 0)));
    if (sqlite3_column_type(st, 1) == SQLITE_NULL)
        return CVO_OK; /* a snapshot without segment rows */
    trend_row row = {t->snapshot_count - 1, 0, {0, 0}};
    CVO_TRY(
        history_names_index(&t->segments, (const char *)sqlite3_column_text(st, 1), &row.segment));
    sqlite3_int64 customers = sqlite3_column_int64(st, 2);
    row.cell.customers = customers > 0 ? (uint64_t)customers : 0;
    row.cell.revenue_cents = sqlite3_column_int64(st, 3);
    return rows_push(h->ctx, rows, &row);
}

static cvo_status read_rows(cvo_history *h, cvo_trend *t, size_t max, trend_rows *rows)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, TREND_SQL, -1, &st, NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot read the segments of the snapshots");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
    cvo_status status = CVO_OK;
    int rc = SQLITE_DONE;
    while (status == CVO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        status = read_row(h, t, st, rows);
    if (status == CVO_OK && rc != SQLITE_DONE)
        status = history_db_fail(h, "cannot read the segments of the snapshots");
    sqlite3_finalize(st);
    return status;
}

/* Reverses the days to oldest first and fills the matrix from the rows. */
static cvo_status build_matrix(cvo_trend *t, const trend_rows *rows)
{
    size_t width = t->segments.count, n = t->snapshot_count, cells = n * width;
    t->cells = mem_zarray(t->ctx, cells > 0 ? cells : 1, sizeof *t->cells);
    if (t->cells == NULL)
        return ctx_nomem(t->ctx);
    for (size_t i = 0; i < n / 2; i++) {
        int32_t day = t->days[i];
        t->days[i] = t->days[n - 1 - i];
        t->days[n - 1 - i] = day;
    }
    for (size_t i = 0; i < rows->count; i++) {
        const trend_row *r = &rows->rows[i];
        t->cells[(n - 1 - r->snapshot) * width + r->segment] = r->cell;
    }
    return CVO_OK;
}

static cvo_status trend_new(cvo_ctx *ctx, size_t max, cvo_trend **out)
{
    cvo_trend *t = mem_alloc(ctx, sizeof *t);
    if (t == NULL)
        return ctx_nomem(ctx);
    memset(t, 0, sizeof *t);
    t->ctx = ctx;
    history_names_init(&t->segments, ctx);
    *out = t;
    t->days = mem_array(ctx, max, sizeof *t->days);
    return t->days != NULL ? CVO_OK : ctx_nomem(ctx);
}

cvo_status cvo_history_trend(cvo_history *history, size_t max_snapshots, cvo_trend **out)
{
    if (history == NULL || out == NULL)
        return history ? ctx_fail(history->ctx, CVO_ERR_ARGUMENT, "history: no output")
                       : CVO_ERR_ARGUMENT;
    *out = NULL;
    if (max_snapshots < 1 || max_snapshots > CVO_MAX_TREND_SNAPSHOTS)
        return ctx_fail(history->ctx, CVO_ERR_ARGUMENT,
                        "history: a trend shows 1 to %u snapshots, not %zu",
                        CVO_MAX_TREND_SNAPSHOTS, max_snapshots);
    cvo_trend *t = NULL;
    trend_rows rows = {NULL, 0, 0};
    cvo_status status = trend_new(history->ctx, max_snapshots, &t);
    if (status == CVO_OK)
        status = read_rows(history, t, max_snapshots, &rows);
    if (status == CVO_OK)
        status = build_matrix(t, &rows);
    mem_free(history->ctx, rows.rows);
    if (status != CVO_OK) {
        cvo_trend_free(t);
        return status;
    }
    *out = t;
    return CVO_OK;
}

size_t cvo_trend_snapshot_count(const cvo_trend *trend)
{
    return trend ? trend->snapshot_count : 0;
}

int32_t cvo_trend_day(const cvo_trend *trend, size_t snapshot)
{
    return trend && snapshot < trend->snapshot_count ? trend->days[snapshot] : INT32_MIN;
}

size_t cvo_trend_segment_count(const cvo_trend *trend)
{
    return trend ? trend->segments.count : 0;
}

const char *cvo_trend_segment_name(const cvo_trend *trend, size_t segment)
{
    return trend && segment < trend->segments.count ? trend->segments.names[segment] : "";
}

const cvo_trend_cell *cvo_trend_cell_at(const cvo_trend *trend, size_t snapshot, size_t segment)
{
    if (trend == NULL || snapshot >= trend->snapshot_count || segment >= trend->segments.count)
        return NULL;
    return &trend->cells[snapshot * trend->segments.count + segment];
}

void cvo_trend_free(cvo_trend *trend)
{
    if (trend == NULL)
        return;
    history_names_release(&trend->segments);
    mem_free(trend->ctx, trend->days);
    mem_free(trend->ctx, trend->cells);
    mem_free(trend->ctx, trend);
}
