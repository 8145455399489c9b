/* history.c - the history database (SQLite): schema set-up, one transaction
 * per recorded snapshot (a snapshot of the same as-of day is replaced, never
 * duplicated), and the list of snapshots. Days are stored as ISO text. */
#include "history/history.h"
#include "history/state.h"

#include "analysis/analyze.h"
#include "base/ctx.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Version 2 (docs/history.md): the rows of a snapshot hang off its id, so a
 * snapshot can be written as pending beside a committed one of the same day
 * and made visible by one UPDATE; readers use the views, which show committed
 * snapshots only, under the names and columns of version 1. */
static const char TABLES[] =
    "CREATE TABLE snapshot_list ("
    " id INTEGER PRIMARY KEY,"
    " as_of TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending', 'committed')),"
    " run_id TEXT,"
    " created_at TEXT NOT NULL,"
    " customers INTEGER NOT NULL,"
    " orders INTEGER,"
    " revenue_cents INTEGER NOT NULL,"
    " cvo_version TEXT NOT NULL);"
    "CREATE UNIQUE INDEX snapshot_list_committed ON snapshot_list (as_of)"
    " WHERE state = 'committed';"
    "CREATE TABLE snapshot_segment_rows ("
    " snapshot_id INTEGER NOT NULL REFERENCES snapshot_list (id),"
    " position INTEGER NOT NULL,"
    " segment TEXT NOT NULL,"
    " is_top INTEGER NOT NULL,"
    " customers INTEGER NOT NULL,"
    " revenue_cents INTEGER NOT NULL,"
    " PRIMARY KEY (snapshot_id, position)) WITHOUT ROWID;"
    "CREATE TABLE snapshot_customer_rows ("
    " snapshot_id INTEGER NOT NULL REFERENCES snapshot_list (id),"
    " customer_key TEXT NOT NULL,"
    " customer_id TEXT NOT NULL,"
    " email TEXT NOT NULL,"
    " first_order_date TEXT NOT NULL,"
    " last_order_date TEXT NOT NULL,"
    " recency_days INTEGER NOT NULL,"
    " frequency INTEGER NOT NULL,"
    " monetary_cents INTEGER NOT NULL,"
    " r_score INTEGER NOT NULL,"
    " f_score INTEGER NOT NULL,"
    " m_score INTEGER NOT NULL,"
    " segment TEXT NOT NULL,"
    " in_top INTEGER NOT NULL,"
    " predicted_clv_cents INTEGER,"
    " p_alive REAL,"
    " profit_cents INTEGER,"
    " predicted_profit_cents INTEGER,"
    " previous_segment TEXT,"
    " segment_since TEXT NOT NULL,"
    " PRIMARY KEY (snapshot_id, customer_key)) WITHOUT ROWID;"
    "CREATE TABLE runs ("
    " run_id TEXT PRIMARY KEY NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'abandoned')),"
    " output TEXT NOT NULL,"
    " run_dir TEXT NOT NULL,"
    " lock_path TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " as_of TEXT NOT NULL,"
    " records INTEGER NOT NULL,"
    " rejected INTEGER NOT NULL,"
    " customers INTEGER NOT NULL,"
    " orders INTEGER NOT NULL,"
    " revenue_cents INTEGER NOT NULL,"
    " snapshot_id INTEGER REFERENCES snapshot_list (id),"
    " summary TEXT);"
    "CREATE INDEX runs_by_output ON runs (output, state);";

static const char VIEWS[] =
    "CREATE VIEW snapshots AS"
    " SELECT as_of, created_at, customers, orders, revenue_cents, cvo_version"
    " FROM snapshot_list WHERE state = 'committed';"
    "CREATE VIEW snapshot_segments AS"
    " SELECT l.as_of, s.position, s.segment, s.is_top, s.customers, s.revenue_cents"
    " FROM snapshot_segment_rows s JOIN snapshot_list l ON l.id = s.snapshot_id"
    " WHERE l.state = 'committed';"
    "CREATE VIEW snapshot_customers AS"
    " SELECT l.as_of, c.customer_key, c.customer_id, c.email, c.first_order_date,"
    " c.last_order_date, c.recency_days, c.frequency, c.monetary_cents, c.r_score, c.f_score,"
    " c.m_score, c.segment, c.in_top, c.predicted_clv_cents, c.p_alive, c.profit_cents,"
    " c.predicted_profit_cents, c.previous_segment, c.segment_since"
    " FROM snapshot_customer_rows c JOIN snapshot_list l ON l.id = c.snapshot_id"
    " WHERE l.state = 'committed';";

/* From version 1 (snapshots keyed by as_of in three tables): the old tables
 * are renamed, the new ones made, the rows copied and the old tables dropped,
 * in one transaction. */
static const char RENAME_VERSION_1[] =
    "ALTER TABLE snapshot_customers RENAME TO v1_snapshot_customers;"
    "ALTER TABLE snapshot_segments RENAME TO v1_snapshot_segments;"
    "ALTER TABLE snapshots RENAME TO v1_snapshots;";
static const char COPY_VERSION_1[] =
    "INSERT INTO snapshot_list (as_of, state, created_at, customers, revenue_cents, cvo_version)"
    " SELECT as_of, 'committed', created_at, customers, revenue_cents, cvo_version"
    " FROM v1_snapshots ORDER BY as_of;"
    "INSERT INTO snapshot_segment_rows SELECT l.id, s.position, s.segment, s.is_top,"
    " s.customers, s.revenue_cents FROM v1_snapshot_segments s"
    " JOIN snapshot_list l ON l.as_of = s.as_of;"
    "INSERT INTO snapshot_customer_rows SELECT l.id, c.customer_key, c.customer_id, c.email,"
    " c.first_order_date, c.last_order_date, c.recency_days, c.frequency, c.monetary_cents,"
    " c.r_score, c.f_score, c.m_score, c.segment, c.in_top, c.predicted_clv_cents, c.p_alive,"
    " c.profit_cents, c.predicted_profit_cents, c.previous_segment, c.segment_since"
    " FROM v1_snapshot_customers c JOIN snapshot_list l ON l.as_of = c.as_of"
    " ORDER BY l.id, c.customer_key;"
    "DROP TABLE v1_snapshot_customers;"
    "DROP TABLE v1_snapshot_segments;"
    "DROP TABLE v1_snapshots;";

/* A write the disk or the file system refused is CVO_ERR_WRITE (the CLI's
 * "cannot write" exit status); opening, reading or a damaged file CVO_ERR_IO. */
static cvo_status db_status(sqlite3 *db)
{
    int code = sqlite3_extended_errcode(db);
    switch (code) {
    case SQLITE_IOERR_WRITE:
    case SQLITE_IOERR_FSYNC:
    case SQLITE_IOERR_DIR_FSYNC:
    case SQLITE_IOERR_TRUNCATE: return CVO_ERR_WRITE;
    default: break;
    }
    int primary = code & 0xff;
    return primary == SQLITE_FULL || primary == SQLITE_READONLY ? CVO_ERR_WRITE : CVO_ERR_IO;
}

cvo_status history_db_fail(cvo_history *h, const char *what)
{
    return ctx_fail(h->ctx, db_status(h->db), "%s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
}

static cvo_status exec(cvo_history *h, const char *sql, const char *what)
{
    return sqlite3_exec(h->db, sql, NULL, NULL, NULL) == SQLITE_OK ? CVO_OK
                                                                   : history_db_fail(h, what);
}

cvo_status history_prepare(cvo_history *h, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(h->db, sql, -1, st, NULL) == SQLITE_OK
               ? CVO_OK
               : history_db_fail(h, "cannot prepare a statement");
}

cvo_status history_step_done(cvo_history *h, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? CVO_OK : history_db_fail(h, what);
}

void history_bind_day(sqlite3_stmt *st, int column, int32_t day)
{
    char date[11];
    cvo_day_format(day, date);
    sqlite3_bind_text(st, column, date, -1, SQLITE_TRANSIENT);
}

void history_format_time(int64_t unix_seconds, char out[32])
{
    int64_t day = unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
    int64_t second = unix_seconds - day * 86400;
    char date[11];
    cvo_day_format((int32_t)day, date);
    snprintf(out, 32, "%sT%02d:%02d:%02dZ", date, (int)(second / 3600), (int)(second / 60 % 60),
             (int)(second % 60));
}

cvo_status history_begin(cvo_history *h)
{
    return exec(h, "BEGIN IMMEDIATE", "cannot begin a transaction");
}

cvo_status history_end(cvo_history *h, cvo_status status)
{
    if (status == CVO_OK && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        status = history_db_fail(h, "cannot commit");
    if (status != CVO_OK)
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

static cvo_status user_version(cvo_history *h, int *version)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return history_db_fail(h, "not a history database");
    }
    *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return CVO_OK;
}

/* Runs sql (a transaction of its own) and sets user_version; rolls back on failure. */
static cvo_status upgrade(cvo_history *h, const char *sql, const char *what)
{
    size_t size = strlen(sql) + 96;
    char *text = mem_alloc(h->ctx, size);
    if (text == NULL)
        return ctx_nomem(h->ctx);
    snprintf(text, size, "BEGIN IMMEDIATE;%sPRAGMA user_version = %d;COMMIT;", sql,
             HISTORY_SCHEMA_VERSION);
    cvo_status status = exec(h, text, what);
    if (status != CVO_OK)
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    mem_free(h->ctx, text);
    return status;
}

/* A new file gets the schema, a version 1 file is upgraded; any other version
 * is refused. */
static cvo_status setup_schema(cvo_history *h)
{
    int version = 0;
    CVO_TRY(user_version(h, &version));
    if (version == HISTORY_SCHEMA_VERSION)
        return CVO_OK;
    if (version == 0) {
        char sql[sizeof TABLES + sizeof VIEWS];
        snprintf(sql, sizeof sql, "%s%s", TABLES, VIEWS);
        return upgrade(h, sql, "cannot create the schema");
    }
    if (version != 1)
        return ctx_fail(h->ctx, CVO_ERR_FORMAT,
                        "%s: history schema version %d, this cvo reads versions 1 and %d", h->path,
                        version, HISTORY_SCHEMA_VERSION);
    char sql[sizeof RENAME_VERSION_1 + sizeof TABLES + sizeof COPY_VERSION_1 + sizeof VIEWS];
    snprintf(sql, sizeof sql, "%s%s%s%s", RENAME_VERSION_1, TABLES, COPY_VERSION_1, VIEWS);
    return upgrade(h, sql, "cannot upgrade the schema from version 1");
}

cvo_status cvo_history_open(cvo_ctx *ctx, const char *path, cvo_history **out)
{
    if (ctx == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "history: no database path");
    cvo_history *h = mem_alloc(ctx, sizeof *h);
    if (h == NULL)
        return ctx_nomem(ctx);
    memset(h, 0, sizeof *h);
    h->ctx = ctx;
    snprintf(h->path, sizeof h->path, "%s", path);
    int rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    cvo_status status = rc == SQLITE_OK ? CVO_OK : history_db_fail(h, "cannot open");
    if (status == CVO_OK)
        sqlite3_busy_timeout(h->db, 5000);
    /* rollback journal (the default): a crash mid-record is rolled back on the next open */
    if (status == CVO_OK)
        status = exec(h, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;",
                      "not a history database");
    if (status == CVO_OK)
        status = setup_schema(h);
    if (status == CVO_OK)
        status = state_setup(h);
    if (status == CVO_OK)
        status = history_experiments_setup(h);
    if (status == CVO_OK) /* a run that died before settling its snapshot */
        status = history_reconcile_runs(h, NULL);
    if (status != CVO_OK) {
        cvo_history_close(h);
        return status;
    }
    *out = h;
    return CVO_OK;
}

void cvo_history_close(cvo_history *h)
{
    if (h == NULL)
        return;
    state_close(h);
    sqlite3_close(h->db);
    mem_free(h->ctx, h->list);
    mem_free(h->ctx, h->experiments);
    mem_free(h->ctx, h);
}

/* ---- segment names ---------------------------------------------------------------- */

void history_names_init(history_names *n, cvo_ctx *ctx)
{
    memset(n, 0, sizeof *n);
    arena_init(&n->strings, ctx);
}

cvo_status history_names_index(history_names *n, const char *name, size_t *index)
{
    for (size_t i = 0; i < n->count; i++)
        if (strcmp(n->names[i], name) == 0)
            return *index = i, CVO_OK;
    cvo_ctx *ctx = n->strings.ctx;
    if (n->count == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 16;
        const char **names = mem_realloc(ctx, n->names, cap * sizeof *names);
        if (names == NULL)
            return ctx_nomem(ctx);
        n->names = names;
        n->cap = cap;
    }
    char *copy = arena_strndup(&n->strings, name, strlen(name));
    if (copy == NULL)
        return ctx_nomem(ctx);
    n->names[n->count] = copy;
    *index = n->count++;
    return CVO_OK;
}

void history_names_release(history_names *n)
{
    mem_free(n->strings.ctx, n->names);
    arena_release(&n->strings);
    n->names = NULL;
    n->count = n->cap = 0;
}

/* ---- reading ------------------------------------------------------------------- */

static bool day_of_text(const unsigned char *text, int32_t *day)
{
    return text != NULL && cvo_day_parse((const char *)text, day);
}

cvo_status history_latest_before(cvo_history *h, int32_t day, int32_t *found)
{
    *found = INT32_MIN;
    char date[11] = "9999-12-31";
    if (day != INT32_MAX)
        cvo_day_format(day, date);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, "SELECT max(as_of) FROM snapshots WHERE as_of < ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot read snapshots");
    sqlite3_bind_text(st, 1, date, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
        !day_of_text(sqlite3_column_text(st, 0), found))
        rc = SQLITE_CORRUPT;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CVO_OK : history_db_fail(h, "cannot read snapshots");
}

cvo_status history_has_snapshot(cvo_history *h, int32_t day, bool *found)
{
    char date[11];
    cvo_day_format(day, date);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, "SELECT count(*) FROM snapshots WHERE as_of = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot read snapshots");
    sqlite3_bind_text(st, 1, date, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CVO_OK : history_db_fail(h, "cannot read snapshots");
}

static cvo_status list_push(cvo_history *h, size_t *cap, const cvo_snapshot_info *info)
{
    if (h->list_count == *cap) {
        size_t grown = *cap ? *cap * 2 : 16;
        cvo_snapshot_info *list = mem_realloc(h->ctx, h->list, grown * sizeof *list);
        if (list == NULL)
            return ctx_nomem(h->ctx);
        h->list = list;
        *cap = grown;
    }
    h->list[h->list_count++] = *info;
    return CVO_OK;
}

static cvo_status list_rows(cvo_history *h, sqlite3_stmt *st)
{
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cvo_snapshot_info info;
        memset(&info, 0, sizeof info);
        if (!day_of_text(sqlite3_column_text(st, 0), &info.as_of_day))
            return ctx_fail(h->ctx, CVO_ERR_FORMAT, "%s: a snapshot with a bad as_of", h->path);
        info.created_unix = sqlite3_column_int64(st, 1);
        info.customers = (uint64_t)sqlite3_column_int64(st, 2);
        info.revenue_cents = sqlite3_column_int64(st, 3);
        const unsigned char *version = sqlite3_column_text(st, 4);
        snprintf(info.version, sizeof info.version, "%s", version ? (const char *)version : "");
        CVO_TRY(list_push(h, &cap, &info));
    }
    return rc == SQLITE_DONE ? CVO_OK : history_db_fail(h, "cannot read snapshots");
}

cvo_status cvo_history_snapshots(cvo_history *h, const cvo_snapshot_info **snapshots, size_t *count)
{
    if (h == NULL || snapshots == NULL || count == NULL)
        return h ? ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "history: no output") : CVO_ERR_ARGUMENT;
    h->list_count = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db,
                           "SELECT as_of, CAST(strftime('%s', created_at) AS INTEGER), customers,"
                           " revenue_cents, cvo_version FROM snapshots ORDER BY as_of",
                           -1, &st, NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot read snapshots");
    cvo_status status = list_rows(h, st);
    sqlite3_finalize(st);
    *snapshots = h->list;
    *count = status == CVO_OK ? h->list_count : 0;
    return status;
}
