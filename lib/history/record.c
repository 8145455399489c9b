/* record.c - writing snapshots: a snapshot is inserted as pending and made the
 * committed one of its day by one UPDATE (the one it replaces deleted in the
 * same transaction), so a failure or a crash leaves the database as it was. */
#include "history/history.h"

#include "analysis/analyze.h"
#include "base/ctx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Removes the rows of snapshot id (the committed one a new snapshot replaces,
 * or a pending one given up). */
cvo_status history_delete_snapshot(cvo_history *h, int64_t id)
{
    static const char *const sql[3] = {"DELETE FROM snapshot_customer_rows WHERE snapshot_id = ?1",
                                       "DELETE FROM snapshot_segment_rows WHERE snapshot_id = ?1",
                                       "DELETE FROM snapshot_list WHERE id = ?1"};
    for (int k = 0; k < 3; k++) {
        sqlite3_stmt *st = NULL;
        CVO_TRY(history_prepare(h, sql[k], &st));
        sqlite3_bind_int64(st, 1, id);
        cvo_status status = history_step_done(h, st, "cannot delete a snapshot");
        sqlite3_finalize(st);
        CVO_TRY(status);
    }
    return CVO_OK;
}

/* The id of the committed snapshot of day, 0 when there is none. */
static cvo_status committed_id(cvo_history *h, int32_t day, int64_t *id)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, "SELECT id FROM snapshot_list WHERE as_of = ?1 AND state = 'committed'",
                    &st));
    history_bind_day(st, 1, day);
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CVO_OK
                                                 : history_db_fail(h, "cannot read snapshots");
}

/* Makes pending snapshot id the committed one of its day, deleting the
 * committed one it replaces: the caller's transaction makes it one step. */
cvo_status history_commit_snapshot(cvo_history *h, int64_t id, int32_t day)
{
    int64_t old = 0;
    CVO_TRY(committed_id(h, day, &old));
    if (old != 0 && old != id)
        CVO_TRY(history_delete_snapshot(h, old));
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, "UPDATE snapshot_list SET state = 'committed' WHERE id = ?1", &st));
    sqlite3_bind_int64(st, 1, id);
    cvo_status status = history_step_done(h, st, "cannot commit the snapshot");
    sqlite3_finalize(st);
    return status;
}

static cvo_status insert_snapshot(cvo_history *h, const cvo_analysis *a, int64_t created_unix,
                                  const char *run_id, int64_t *id)
{
    const cvo_customers *c = cvo_analysis_customers(a);
    int64_t revenue = 0, orders = 0;
    for (size_t i = 0; i < cvo_customers_count(c); i++) {
        revenue += cvo_customers_at(c, i)->net_revenue_cents;
        orders += cvo_customers_at(c, i)->orders;
    }
    char created[32];
    history_format_time(created_unix, created);
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                    "INSERT INTO snapshot_list (as_of, state, run_id, created_at, customers,"
                    " orders, revenue_cents, cvo_version) VALUES"
                    " (?1, 'pending', ?2, ?3, ?4, ?5, ?6, ?7)",
                    &st));
    history_bind_day(st, 1, cvo_analysis_as_of(a));
    if (run_id != NULL)
        sqlite3_bind_text(st, 2, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, created, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)cvo_customers_count(c));
    sqlite3_bind_int64(st, 5, orders);
    sqlite3_bind_int64(st, 6, revenue);
    sqlite3_bind_text(st, 7, cvo_version(), -1, SQLITE_STATIC);
    cvo_status status = history_step_done(h, st, "cannot insert the snapshot");
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(h->db);
    return status;
}

static cvo_status insert_segments(cvo_history *h, const cvo_analysis *a, int64_t id)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                    "INSERT INTO snapshot_segment_rows (snapshot_id, position, segment, is_top, "
                    "customers, revenue_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    &st));
    const cvo_segment_row *rows = cvo_analysis_segments(a);
    size_t n = cvo_scheme_segment_count(cvo_analysis_scheme(a));
    cvo_status status = CVO_OK;
    for (size_t g = 0; status == CVO_OK && g < n; g++) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)g);
        sqlite3_bind_text(st, 3, rows[g].name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, g < CVO_MAX_SEGMENTS && a->rules.top[g]);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)rows[g].customers);
        sqlite3_bind_int64(st, 6, rows[g].revenue_cents);
        status = history_step_done(h, st, "cannot insert a segment");
    }
    sqlite3_finalize(st);
    return status;
}

static const char INSERT_CUSTOMER[] =
    "INSERT INTO snapshot_customer_rows (snapshot_id, customer_key, customer_id, email, first_order_date,"
    " last_order_date, recency_days, frequency, monetary_cents, r_score, f_score, m_score,"
    " segment, in_top, predicted_clv_cents, p_alive, profit_cents, predicted_profit_cents,"
    " previous_segment, segment_since) VALUES"
    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";

static void bind_predictions(sqlite3_stmt *st, const cvo_analysis *a, size_t i)
{
    const cvo_customer_result *r = &cvo_analysis_results(a)[i];
    if (isfinite(r->predicted_clv))
        sqlite3_bind_int64(st, 15, (sqlite3_int64)llround(r->predicted_clv * 100.0));
    if (isfinite(r->p_alive))
        sqlite3_bind_double(st, 16, r->p_alive);
    const cvo_profit *profit = cvo_analysis_profit(a);
    if (profit == NULL)
        return;
    const cvo_profit_row *p = &cvo_profit_rows(profit)[i];
    sqlite3_bind_int64(st, 17, p->profit_cents);
    if (p->has_prediction)
        sqlite3_bind_int64(st, 18, p->predicted_profit_cents);
}

static void bind_customer(sqlite3_stmt *st, const cvo_analysis *a, const cvo_migration *m, size_t i,
                          int64_t id)
{
    const cvo_customer *c = cvo_customers_at(cvo_analysis_customers(a), i);
    const cvo_score *s = &cvo_rfm_scores(cvo_analysis_rfm(a))[i];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, c->customer_id[0] ? c->customer_id : c->email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->customer_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->email, -1, SQLITE_STATIC);
    history_bind_day(st, 5, c->first_order_day);
    history_bind_day(st, 6, c->last_order_day);
    sqlite3_bind_int(st, 7, s->recency_days);
    sqlite3_bind_int64(st, 8, c->orders);
    sqlite3_bind_int64(st, 9, c->net_revenue_cents);
    sqlite3_bind_int(st, 10, s->r);
    sqlite3_bind_int(st, 11, s->f);
    sqlite3_bind_int(st, 12, s->m);
    sqlite3_bind_text(st, 13, cvo_scheme_segment_name(cvo_analysis_scheme(a), s->segment), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 14, s->segment < CVO_MAX_SEGMENTS && a->rules.top[s->segment]);
    bind_predictions(st, a, i);
    if (m->customers[i].previous_segment != NULL)
        sqlite3_bind_text(st, 19, m->customers[i].previous_segment, -1, SQLITE_STATIC);
    history_bind_day(st, 20, m->segment_since[i]);
}

typedef struct keyed {
    const char *key;
    size_t index;
} keyed;

static int keyed_compare(const void *x, const void *y)
{
    return strcmp(((const keyed *)x)->key, ((const keyed *)y)->key);
}

/* Customers in the table's key order (customer_key, as SQLite's BINARY
 * collation compares it), so that every insert appends to the B-tree
 * instead of landing at random: several times faster on a large store. */
static keyed *key_order(cvo_history *h, const cvo_customers *c)
{
    size_t n = cvo_customers_count(c);
    keyed *order = mem_array(h->ctx, n ? n : 1, sizeof *order);
    for (size_t i = 0; order != NULL && i < n; i++) {
        const cvo_customer *row = cvo_customers_at(c, i);
        order[i] = (keyed){row->customer_id[0] ? row->customer_id : row->email, i};
    }
    if (order != NULL)
        qsort(order, n, sizeof *order, keyed_compare);
    return order;
}

static cvo_status insert_customers(cvo_history *h, const cvo_analysis *a, const cvo_migration *m,
                                   int64_t id)
{
    const cvo_customers *c = cvo_analysis_customers(a);
    keyed *order = key_order(h, c);
    if (order == NULL)
        return ctx_nomem(h->ctx);
    sqlite3_stmt *st = NULL;
    cvo_status status = history_prepare(h, INSERT_CUSTOMER, &st);
    size_t n = cvo_customers_count(c);
    for (size_t k = 0; status == CVO_OK && k < n; k++) {
        bind_customer(st, a, m, order[k].index, id);
        status = history_step_done(h, st, "cannot insert a customer");
    }
    sqlite3_finalize(st);
    mem_free(h->ctx, order);
    return status;
}

/* Writes the snapshot of a as pending (inside the caller's transaction); *id
 * gets its id. */
cvo_status history_insert_pending(cvo_history *h, const cvo_analysis *a, int64_t created_unix,
                                  const char *run_id, int64_t *id)
{
    cvo_migration *m = NULL;
    CVO_TRY(cvo_migration_from_analysis(h, a, &m));
    cvo_status status = insert_snapshot(h, a, created_unix, run_id, id);
    if (status == CVO_OK)
        status = insert_segments(h, a, *id);
    if (status == CVO_OK)
        status = insert_customers(h, a, m, *id);
    cvo_migration_free(m);
    return status;
}

static cvo_status record_in_transaction(cvo_history *h, const cvo_analysis *a,
                                        const cvo_history_record_options *o)
{
    int64_t id = 0;
    CVO_TRY(history_insert_pending(h, a, o->created_unix, NULL, &id));
    return history_commit_snapshot(h, id, cvo_analysis_as_of(a));
}

cvo_status cvo_history_record(cvo_history *h, const cvo_analysis *a,
                              const cvo_history_record_options *options)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    if (a == NULL || options == NULL)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "history: no analysis or options");
    CVO_TRY(history_begin(h));
    cvo_status status = record_in_transaction(h, a, options);
    if (status == CVO_OK && options->before_commit != NULL)
        options->before_commit(options->user_data);
    return history_end(h, status);
}
