/* history.h - the history layer's private parts: the open database and the
 * migration object shared by history.c (schema, record, list) and migration.c
 * (matching two snapshots customer by customer). */
#ifndef CVO_HISTORY_H
#define CVO_HISTORY_H

#include "base/arena.h"
#include "cvo.h"

#include <sqlite3.h>

/* PRAGMA user_version of the schema this code writes (docs/history.md). */
#define HISTORY_SCHEMA_VERSION 1

struct cvo_history {
    cvo_ctx *ctx;
    sqlite3 *db;
    char path[1024];
    cvo_snapshot_info *list; /* the last cvo_history_snapshots answer */
    size_t list_count;
};

struct cvo_migration {
    cvo_ctx *ctx;
    arena strings;
    bool has_previous;
    int32_t from_day, to_day;
    const char **names; /* segment names; the first segment_count form the matrix */
    size_t name_count, name_cap, segment_count;
    cvo_migration_cell *cells; /* segment_count x segment_count, [then * n + now] */
    cvo_migration_totals totals;
    cvo_migration_customer *customers; /* analysis migrations only */
    int32_t *segment_since; /* as-of day the current segment run began (carried forward) */
    size_t customer_count;
};

/* Fails with "path: what: SQLite's message": CVO_ERR_WRITE when SQLite could
 * not write (disk full, read-only), else CVO_ERR_IO. */
cvo_status history_db_fail(cvo_history *h, const char *what);
/* The as-of day of the latest snapshot before day (INT32_MIN for none), or
 * of the latest of all when day is INT32_MAX. */
cvo_status history_latest_before(cvo_history *h, int32_t day, int32_t *found);
/* Whether a snapshot of day exists. */
cvo_status history_has_snapshot(cvo_history *h, int32_t day, bool *found);

#endif
