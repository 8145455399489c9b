/* history.c - the history database (SQLite): schema set-up, one transaction
 * per recorded snapshot (a snapshot of the same as-of day is replaced, never
 * duplicated), and the list of snapshots. Days are stored as ISO text. */
#include "history/history.h"

#include "analysis/analyze.h"
#include "base/ctx.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char SCHEMA[] = "CREATE TABLE IF NOT EXISTS snapshots ("
                             " as_of TEXT PRIMARY KEY NOT NULL,"
                             " created_at TEXT NOT NULL,"
                             " customers INTEGER NOT NULL,"
                             " revenue_cents INTEGER NOT NULL,"
                             " cvo_version TEXT NOT NULL);"
                             "CREATE TABLE IF NOT EXISTS snapshot_segments ("
                             " as_of TEXT NOT NULL REFERENCES snapshots(as_of),"
                             " position INTEGER NOT NULL,"
                             " segment TEXT NOT NULL,"
                             " is_top INTEGER NOT NULL,"
                             " customers INTEGER NOT NULL,"
                             " revenue_cents INTEGER NOT NULL,"
                             " PRIMARY KEY (as_of, position)) WITHOUT ROWID;"
                             "CREATE TABLE IF NOT EXISTS snapshot_customers ("
                             " as_of TEXT NOT NULL REFERENCES snapshots(as_of),"
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
                             " PRIMARY KEY (as_of, customer_key)) WITHOUT ROWID;";

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

/* A new file gets the schema; an old one must carry this code's version. */
static cvo_status setup_schema(cvo_history *h)
{
    int version = 0;
    CVO_TRY(user_version(h, &version));
    if (version == HISTORY_SCHEMA_VERSION)
        return CVO_OK;
    if (version != 0)
        return ctx_fail(h->ctx, CVO_ERR_FORMAT,
                        "%s: history schema version %d, this cvo reads version %d", h->path,
                        version, HISTORY_SCHEMA_VERSION);
    char sql[sizeof SCHEMA + 96];
    snprintf(sql, sizeof sql, "BEGIN IMMEDIATE;%sPRAGMA user_version = %d;COMMIT;", SCHEMA,
             HISTORY_SCHEMA_VERSION);
    cvo_status status = exec(h, sql, "cannot create the schema");
    if (status != CVO_OK)
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
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
    *h = (cvo_history){ctx, NULL, "", NULL, 0};
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
    sqlite3_close(h->db);
    mem_free(h->ctx, h->list);
    mem_free(h->ctx, h);
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
