/* record.c - cvo_history_record: one snapshot of an analysis written in one
 * SQLite transaction (the old snapshot of the same as-of day deleted inside
 * it), so a failure or a crash leaves the database exactly as it was. */
#include "history/history.h"

#include "analysis/analyze.h"
#include "base/ctx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void format_created(int64_t unix_seconds, char out[32])
{
    int64_t day = unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
    int64_t second = unix_seconds - day * 86400;
    char date[11];
    cvo_day_format((int32_t)day, date);
    snprintf(out, 32, "%sT%02d:%02d:%02dZ", date, (int)(second / 3600), (int)(second / 60 % 60),
             (int)(second % 60));
}

static void bind_day(sqlite3_stmt *st, int column, int32_t day)
{
    char date[11];
    cvo_day_format(day, date);
    sqlite3_bind_text(st, column, date, -1, SQLITE_TRANSIENT);
}

static cvo_status step_done(cvo_history *h, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? CVO_OK : history_db_fail(h, what);
}

static cvo_status prepare(cvo_history *h, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(h->db, sql, -1, st, NULL) == SQLITE_OK
               ? CVO_OK
               : history_db_fail(h, "cannot prepare a statement");
}

/* Removes the snapshot of the same as-of day (if any): replace, never duplicate. */
static cvo_status delete_day(cvo_history *h, int32_t as_of)
{
    static const char *const sql[3] = {"DELETE FROM snapshot_customers WHERE as_of = ?1",
                                       "DELETE FROM snapshot_segments WHERE as_of = ?1",
                                       "DELETE FROM snapshots WHERE as_of = ?1"};
    for (int k = 0; k < 3; k++) {
        sqlite3_stmt *st = NULL;
        CVO_TRY(prepare(h, sql[k], &st));
        bind_day(st, 1, as_of);
        cvo_status status = step_done(h, st, "cannot delete the old snapshot");
        sqlite3_finalize(st);
        CVO_TRY(status);
    }
    return CVO_OK;
}

static cvo_status insert_snapshot(cvo_history *h, const cvo_analysis *a, int64_t created_unix)
{
    const cvo_customers *c = cvo_analysis_customers(a);
    int64_t revenue = 0;
    for (size_t i = 0; i < cvo_customers_count(c); i++)
        revenue += cvo_customers_at(c, i)->net_revenue_cents;
    char created[32];
    format_created(created_unix, created);
    sqlite3_stmt *st = NULL;
    CVO_TRY(prepare(h,
                    "INSERT INTO snapshots (as_of, created_at, customers, revenue_cents, "
                    "cvo_version) VALUES (?1, ?2, ?3, ?4, ?5)",
                    &st));
    bind_day(st, 1, cvo_analysis_as_of(a));
    sqlite3_bind_text(st, 2, created, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)cvo_customers_count(c));
    sqlite3_bind_int64(st, 4, revenue);
    sqlite3_bind_text(st, 5, cvo_version(), -1, SQLITE_STATIC);
    cvo_status status = step_done(h, st, "cannot insert the snapshot");
    sqlite3_finalize(st);
    return status;
}

static cvo_status insert_segments(cvo_history *h, const cvo_analysis *a)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(prepare(h,
                    "INSERT INTO snapshot_segments (as_of, position, segment, is_top, "
                    "customers, revenue_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    &st));
    const cvo_segment_row *rows = cvo_analysis_segments(a);
    size_t n = cvo_scheme_segment_count(cvo_analysis_scheme(a));
    cvo_status status = CVO_OK;
    for (size_t g = 0; status == CVO_OK && g < n; g++) {
        bind_day(st, 1, cvo_analysis_as_of(a));
        sqlite3_bind_int64(st, 2, (sqlite3_int64)g);
        sqlite3_bind_text(st, 3, rows[g].name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, g < CVO_MAX_SEGMENTS && a->rules.top[g]);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)rows[g].customers);
        sqlite3_bind_int64(st, 6, rows[g].revenue_cents);
        status = step_done(h, st, "cannot insert a segment");
    }
    sqlite3_finalize(st);
    return status;
}

static const char INSERT_CUSTOMER[] =
    "INSERT INTO snapshot_customers (as_of, customer_key, customer_id, email, first_order_date,"
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

static void bind_customer(sqlite3_stmt *st, const cvo_analysis *a, const cvo_migration *m, size_t i)
{
    const cvo_customer *c = cvo_customers_at(cvo_analysis_customers(a), i);
    const cvo_score *s = &cvo_rfm_scores(cvo_analysis_rfm(a))[i];
    bind_day(st, 1, cvo_analysis_as_of(a));
    sqlite3_bind_text(st, 2, c->customer_id[0] ? c->customer_id : c->email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->customer_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->email, -1, SQLITE_STATIC);
    bind_day(st, 5, c->first_order_day);
    bind_day(st, 6, c->last_order_day);
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
    bind_day(st, 20, m->segment_since[i]);
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

static cvo_status insert_customers(cvo_history *h, const cvo_analysis *a, const cvo_migration *m)
{
    const cvo_customers *c = cvo_analysis_customers(a);
    keyed *order = key_order(h, c);
    if (order == NULL)
        return ctx_nomem(h->ctx);
    sqlite3_stmt *st = NULL;
    cvo_status status = prepare(h, INSERT_CUSTOMER, &st);
    size_t n = cvo_customers_count(c);
    for (size_t k = 0; status == CVO_OK && k < n; k++) {
        bind_customer(st, a, m, order[k].index);
        status = step_done(h, st, "cannot insert a customer");
    }
    sqlite3_finalize(st);
    mem_free(h->ctx, order);
    return status;
}

static cvo_status record_in_transaction(cvo_history *h, const cvo_analysis *a,
                                        const cvo_history_record_options *o)
{
    cvo_migration *m = NULL;
    CVO_TRY(cvo_migration_from_analysis(h, a, &m));
    cvo_status status = delete_day(h, cvo_analysis_as_of(a));
    if (status == CVO_OK)
        status = insert_snapshot(h, a, o->created_unix);
    if (status == CVO_OK)
        status = insert_segments(h, a);
    if (status == CVO_OK)
        status = insert_customers(h, a, m);
    cvo_migration_free(m);
    return status;
}

cvo_status cvo_history_record(cvo_history *h, const cvo_analysis *a,
                              const cvo_history_record_options *options)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    if (a == NULL || options == NULL)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "history: no analysis or options");
    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot begin a transaction");
    cvo_status status = record_in_transaction(h, a, options);
    if (status == CVO_OK && options->before_commit != NULL)
        options->before_commit(options->user_data);
    if (status == CVO_OK && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        status = history_db_fail(h, "cannot commit the snapshot");
    if (status != CVO_OK)
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}
