/* migration.c - how customers moved between two snapshots (or a snapshot and
 * the analysis about to be recorded): both sides sorted by customer key and
 * merged, so the matrix counts add up to the customers present in both. */
#include "history/history.h"

#include "analysis/analyze.h"
#include "base/ctx.h"

#include <stdlib.h>
#include <string.h>

/* One customer of one side. */
typedef struct side_row {
    const char *key;      /* customer_id, else email */
    size_t segment;       /* index into m->names.names */
    const char *previous; /* carried previous segment, NULL none */
    int32_t since;        /* day the segment run began */
    uint8_t r;
    bool top;
    int64_t revenue_cents;
    size_t index; /* row of the analysis' table (analysis side) */
} side_row;

typedef struct side {
    side_row *rows;
    size_t count;
} side;

static cvo_status intern(cvo_migration *m, const char *name, size_t *index)
{
    return history_names_index(&m->names, name, index);
}

static cvo_status migration_new(cvo_ctx *ctx, cvo_migration **out)
{
    cvo_migration *m = mem_alloc(ctx, sizeof *m);
    if (m == NULL)
        return ctx_nomem(ctx);
    memset(m, 0, sizeof *m);
    m->ctx = ctx;
    arena_init(&m->strings, ctx);
    history_names_init(&m->names, ctx);
    m->from_day = INT32_MIN;
    *out = m;
    return CVO_OK;
}

static void side_free(cvo_ctx *ctx, side *s)
{
    mem_free(ctx, s->rows);
    s->rows = NULL;
}

/* ---- the snapshot side ------------------------------------------------------------ */

static cvo_status prepare_day(cvo_history *h, const char *sql, int32_t day, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(h->db, sql, -1, st, NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot read a snapshot");
    char date[11];
    cvo_day_format(day, date);
    sqlite3_bind_text(*st, 1, date, -1, SQLITE_TRANSIENT);
    return CVO_OK;
}

static cvo_status load_segment_names(cvo_migration *m, cvo_history *h, int32_t day)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(prepare_day(
        h, "SELECT segment FROM snapshot_segments WHERE as_of = ?1 ORDER BY position", day, &st));
    cvo_status status = CVO_OK;
    int rc;
    size_t index;
    while (status == CVO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        status = intern(m, (const char *)sqlite3_column_text(st, 0), &index);
    if (status == CVO_OK && rc != SQLITE_DONE)
        status = history_db_fail(h, "cannot read a snapshot");
    sqlite3_finalize(st);
    return status;
}

static const char *text_or_empty(sqlite3_stmt *st, int column)
{
    const unsigned char *text = sqlite3_column_text(st, column);
    return text ? (const char *)text : "";
}

static cvo_status read_side_row(cvo_migration *m, sqlite3_stmt *st, side_row *row)
{
    const char *key = text_or_empty(st, 0);
    memset(row, 0, sizeof *row);
    row->key = arena_strndup(&m->strings, key, strlen(key));
    if (row->key == NULL)
        return ctx_nomem(m->ctx);
    CVO_TRY(intern(m, text_or_empty(st, 1), &row->segment));
    row->r = (uint8_t)sqlite3_column_int(st, 2);
    row->top = sqlite3_column_int(st, 3) != 0;
    row->revenue_cents = sqlite3_column_int64(st, 4);
    if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
        const char *previous = text_or_empty(st, 5);
        row->previous = arena_strndup(&m->strings, previous, strlen(previous));
        if (row->previous == NULL)
            return ctx_nomem(m->ctx);
    }
    if (!cvo_day_parse(text_or_empty(st, 6), &row->since))
        row->since = INT32_MIN;
    return CVO_OK;
}

static cvo_status count_rows(cvo_history *h, int32_t day, size_t *count)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(prepare_day(h, "SELECT count(*) FROM snapshot_customers WHERE as_of = ?1", day, &st));
    int rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CVO_OK : history_db_fail(h, "cannot read a snapshot");
}

/* The customers of the snapshot of day, by customer key (SQLite's BINARY
 * order, the same as strcmp's for text without NUL). */
static cvo_status load_side(cvo_migration *m, cvo_history *h, int32_t day, side *s)
{
    size_t count = 0;
    CVO_TRY(count_rows(h, day, &count));
    s->rows = mem_array(m->ctx, count ? count : 1, sizeof *s->rows);
    s->count = 0;
    if (s->rows == NULL)
        return ctx_nomem(m->ctx);
    sqlite3_stmt *st = NULL;
    CVO_TRY(prepare_day(h,
                        "SELECT customer_key, segment, r_score, in_top, monetary_cents,"
                        " previous_segment, segment_since FROM snapshot_customers"
                        " WHERE as_of = ?1 ORDER BY customer_key",
                        day, &st));
    cvo_status status = CVO_OK;
    int rc = SQLITE_DONE;
    while (status == CVO_OK && s->count < count && (rc = sqlite3_step(st)) == SQLITE_ROW)
        status = read_side_row(m, st, &s->rows[s->count++]);
    if (status == CVO_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = history_db_fail(h, "cannot read a snapshot");
    sqlite3_finalize(st);
    return status;
}

/* ---- the analysis side --------------------------------------------------------------- */

static int by_key(const void *x, const void *y)
{
    return strcmp(((const side_row *)x)->key, ((const side_row *)y)->key);
}

static cvo_status analysis_side(cvo_migration *m, const cvo_analysis *a, side *s)
{
    const cvo_customers *c = cvo_analysis_customers(a);
    const cvo_scheme *scheme = cvo_analysis_scheme(a);
    size_t n = cvo_customers_count(c), segments = cvo_scheme_segment_count(scheme);
    size_t map[CVO_MAX_SEGMENTS];
    for (size_t g = 0; g < segments && g < CVO_MAX_SEGMENTS; g++)
        CVO_TRY(intern(m, cvo_scheme_segment_name(scheme, g), &map[g]));
    s->rows = mem_array(m->ctx, n ? n : 1, sizeof *s->rows);
    s->count = n;
    if (s->rows == NULL)
        return ctx_nomem(m->ctx);
    const cvo_score *scores = cvo_rfm_scores(cvo_analysis_rfm(a));
    for (size_t i = 0; i < n; i++) {
        const cvo_customer *row = cvo_customers_at(c, i);
        uint16_t g = scores[i].segment;
        s->rows[i] = (side_row){row->customer_id[0] ? row->customer_id : row->email,
                                g < CVO_MAX_SEGMENTS ? map[g] : 0,
                                NULL,
                                INT32_MIN,
                                scores[i].r,
                                g < CVO_MAX_SEGMENTS && a->rules.top[g],
                                row->net_revenue_cents,
                                i};
    }
    qsort(s->rows, n, sizeof *s->rows, by_key);
    return CVO_OK;
}

/* ---- merging ------------------------------------------------------------------------- */

/* What a customer in both sides says for the per-customer rows. */
static void carry(cvo_migration *m, const side_row *then, const side_row *now)
{
    cvo_migration_customer *c = &m->customers[now->index];
    c->then_segment = m->names.names[then->segment];
    c->previous_r = then->r;
    c->segment_changed = then->segment != now->segment;
    c->r_dropped = now->r < then->r;
    c->entered_top = !then->top && now->top;
    c->left_top = then->top && !now->top;
    if (c->segment_changed) {
        c->previous_segment = m->names.names[then->segment];
        c->segment_changed_day = m->to_day;
        m->segment_since[now->index] = m->to_day;
    } else {
        c->previous_segment = then->previous;
        c->segment_changed_day = then->previous ? then->since : INT32_MIN;
        m->segment_since[now->index] = then->since != INT32_MIN ? then->since : m->to_day;
    }
}

static void count_pair(cvo_migration *m, const side_row *then, const side_row *now)
{
    cvo_migration_cell *cell = &m->cells[then->segment * m->segment_count + now->segment];
    cell->customers++;
    cell->revenue_cents += now->revenue_cents;
    cvo_migration_totals *t = &m->totals;
    t->in_both++;
    t->changed_segment += then->segment != now->segment;
    t->r_dropped += now->r < then->r;
    t->entered_top += !then->top && now->top;
    t->left_top += then->top && !now->top;
    if (m->customers != NULL)
        carry(m, then, now);
}

static cvo_status merge(cvo_migration *m, const side *then, const side *now)
{
    m->segment_count = m->names.count;
    size_t n = m->segment_count ? m->segment_count : 1;
    m->cells = mem_zarray(m->ctx, n * n, sizeof *m->cells);
    if (m->cells == NULL)
        return ctx_nomem(m->ctx);
    size_t i = 0, j = 0;
    while (i < then->count && j < now->count) {
        int cmp = strcmp(then->rows[i].key, now->rows[j].key);
        if (cmp == 0)
            count_pair(m, &then->rows[i++], &now->rows[j++]);
        else if (cmp < 0)
            i++, m->totals.gone_customers++;
        else
            j++, m->totals.new_customers++;
    }
    m->totals.gone_customers += then->count - i;
    m->totals.new_customers += now->count - j;
    return CVO_OK;
}

/* ---- public -------------------------------------------------------------------------- */

static cvo_status customer_rows(cvo_migration *m, size_t n)
{
    m->customer_count = n;
    m->customers = mem_zarray(m->ctx, n ? n : 1, sizeof *m->customers);
    m->segment_since = mem_array(m->ctx, n ? n : 1, sizeof *m->segment_since);
    if (m->customers == NULL || m->segment_since == NULL)
        return ctx_nomem(m->ctx);
    for (size_t i = 0; i < n; i++) {
        m->customers[i].segment_changed_day = INT32_MIN;
        m->segment_since[i] = m->to_day;
    }
    return CVO_OK;
}

static cvo_status build_from_analysis(cvo_migration *m, cvo_history *h, const cvo_analysis *a)
{
    m->to_day = cvo_analysis_as_of(a);
    CVO_TRY(history_latest_before(h, m->to_day, &m->from_day));
    m->has_previous = m->from_day != INT32_MIN;
    CVO_TRY(customer_rows(m, cvo_customers_count(cvo_analysis_customers(a))));
    side now = {NULL, 0}, then = {NULL, 0};
    cvo_status status = analysis_side(m, a, &now);
    if (status == CVO_OK && m->has_previous)
        status = load_segment_names(m, h, m->from_day);
    if (status == CVO_OK && m->has_previous)
        status = load_side(m, h, m->from_day, &then);
    if (status == CVO_OK)
        status = merge(m, &then, &now);
    side_free(m->ctx, &now);
    side_free(m->ctx, &then);
    return status;
}

cvo_status cvo_migration_from_analysis(cvo_history *h, const cvo_analysis *a, cvo_migration **out)
{
    if (h == NULL || out == NULL)
        return h ? ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "migration: no output") : CVO_ERR_ARGUMENT;
    *out = NULL;
    if (a == NULL)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "migration: no analysis");
    cvo_migration *m = NULL;
    CVO_TRY(migration_new(h->ctx, &m));
    cvo_status status = build_from_analysis(m, h, a);
    if (status != CVO_OK) {
        cvo_migration_free(m);
        return status;
    }
    *out = m;
    return CVO_OK;
}

/* Resolves INT32_MIN defaults and checks both snapshots exist. */
static cvo_status resolve_days(cvo_history *h, int32_t *from_day, int32_t *to_day)
{
    bool found = false;
    if (*to_day == INT32_MIN)
        CVO_TRY(history_latest_before(h, INT32_MAX, to_day));
    if (*to_day != INT32_MIN)
        CVO_TRY(history_has_snapshot(h, *to_day, &found));
    if (!found)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "%s: no snapshot to migrate to", h->path);
    if (*from_day == INT32_MIN)
        CVO_TRY(history_latest_before(h, *to_day, from_day));
    found = false;
    if (*from_day != INT32_MIN && *from_day < *to_day)
        CVO_TRY(history_has_snapshot(h, *from_day, &found));
    if (!found)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT,
                        "%s: no earlier snapshot to migrate from (needs two, from before to)",
                        h->path);
    return CVO_OK;
}

static cvo_status build_between(cvo_migration *m, cvo_history *h)
{
    side now = {NULL, 0}, then = {NULL, 0};
    m->has_previous = true;
    cvo_status status = load_segment_names(m, h, m->to_day);
    if (status == CVO_OK)
        status = load_segment_names(m, h, m->from_day);
    if (status == CVO_OK)
        status = load_side(m, h, m->to_day, &now);
    if (status == CVO_OK)
        status = load_side(m, h, m->from_day, &then);
    if (status == CVO_OK)
        status = merge(m, &then, &now);
    side_free(m->ctx, &now);
    side_free(m->ctx, &then);
    return status;
}

cvo_status cvo_migration_between(cvo_history *h, int32_t from_day, int32_t to_day,
                                 cvo_migration **out)
{
    if (h == NULL || out == NULL)
        return h ? ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "migration: no output") : CVO_ERR_ARGUMENT;
    *out = NULL;
    CVO_TRY(resolve_days(h, &from_day, &to_day));
    cvo_migration *m = NULL;
    CVO_TRY(migration_new(h->ctx, &m));
    m->from_day = from_day;
    m->to_day = to_day;
    cvo_status status = build_between(m, h);
    if (status != CVO_OK) {
        cvo_migration_free(m);
        return status;
    }
    *out = m;
    return CVO_OK;
}

bool cvo_migration_has_previous(const cvo_migration *m)
{
    return m != NULL && m->has_previous;
}
int32_t cvo_migration_from_day(const cvo_migration *m)
{
    return m ? m->from_day : INT32_MIN;
}
int32_t cvo_migration_to_day(const cvo_migration *m)
{
    return m ? m->to_day : INT32_MIN;
}
size_t cvo_migration_segment_count(const cvo_migration *m)
{
    return m ? m->segment_count : 0;
}

const char *cvo_migration_segment_name(const cvo_migration *m, size_t segment)
{
    return m != NULL && segment < m->segment_count ? m->names.names[segment] : "";
}

bool cvo_migration_segment_used(const cvo_migration *m, size_t segment)
{
    size_t n = m ? m->segment_count : 0;
    for (size_t o = 0; segment < n && o < n; o++)
        if (m->cells[segment * n + o].customers > 0 || m->cells[o * n + segment].customers > 0)
            return true;
    return false;
}

const cvo_migration_cell *cvo_migration_cell_at(const cvo_migration *m, size_t then, size_t now)
{
    if (m == NULL || then >= m->segment_count || now >= m->segment_count)
        return NULL;
    return &m->cells[then * m->segment_count + now];
}

const cvo_migration_totals *cvo_migration_overall(const cvo_migration *m)
{
    return m ? &m->totals : NULL;
}

const cvo_migration_customer *cvo_migration_customers(const cvo_migration *m, size_t *count)
{
    if (count != NULL)
        *count = m ? m->customer_count : 0;
    return m ? m->customers : NULL;
}

void cvo_migration_free(cvo_migration *m)
{
    if (m == NULL)
        return;
    arena_release(&m->strings);
    history_names_release(&m->names);
    mem_free(m->ctx, m->cells);
    mem_free(m->ctx, m->customers);
    mem_free(m->ctx, m->segment_since);
    mem_free(m->ctx, m);
}
