/* history.h - the history layer's private parts: the open database and the
 * migration object shared by history.c (schema, record, list) and migration.c
 * (matching two snapshots customer by customer). */
#ifndef CVO_HISTORY_H
#define CVO_HISTORY_H

#include "base/arena.h"
#include "cvo.h"

#include <sqlite3.h>

/* PRAGMA user_version of the schema this code writes (docs/history.md). */
#define HISTORY_SCHEMA_VERSION 2

/* Statements of the state tables (state.c) kept prepared on the open database. */
#define HISTORY_STATE_STATEMENTS 12

struct cvo_history {
    cvo_ctx *ctx;
    sqlite3 *db;
    char path[1024];
    cvo_snapshot_info *list; /* the last cvo_history_snapshots answer */
    size_t list_count;
    sqlite3_stmt *state[HISTORY_STATE_STATEMENTS]; /* state.c's, prepared on first use */
    cvo_experiment_info *experiments;              /* the last cvo_history_experiments answer */
    size_t experiment_count;
};

/* Distinct segment names in the order first seen, copied into their own arena. */
typedef struct history_names {
    arena strings;
    const char **names;
    size_t count, cap;
} history_names;

struct cvo_migration {
    cvo_ctx *ctx;
    arena strings;
    bool has_previous;
    int32_t from_day, to_day;
    history_names names; /* segment names; the first segment_count form the matrix */
    size_t segment_count;
    cvo_migration_cell *cells; /* segment_count x segment_count, [then * n + now] */
    cvo_migration_totals totals;
    cvo_migration_customer *customers; /* analysis migrations only */
    int32_t *segment_since; /* as-of day the current segment run began (carried forward) */
    size_t customer_count;
};

void history_names_init(history_names *n, cvo_ctx *ctx);
/* The index of name in n, added at the end when new. Errors: CVO_ERR_NOMEM. */
cvo_status history_names_index(history_names *n, const char *name, size_t *index);
void history_names_release(history_names *n);

/* Fails with "path: what: SQLite's message": CVO_ERR_WRITE when SQLite could
 * not write (disk full, read-only), else CVO_ERR_IO. */
cvo_status history_db_fail(cvo_history *h, const char *what);
/* sqlite3_prepare_v2, failing like history_db_fail. */
cvo_status history_prepare(cvo_history *h, const char *sql, sqlite3_stmt **st);
/* Steps a statement that returns no row, then resets it and clears its bindings. */
cvo_status history_step_done(cvo_history *h, sqlite3_stmt *st, const char *what);
/* Binds day as 'YYYY-MM-DD'. */
void history_bind_day(sqlite3_stmt *st, int column, int32_t day);
/* 'YYYY-MM-DDTHH:MM:SSZ' of a Unix time. */
void history_format_time(int64_t unix_seconds, char out[32]);
/* BEGIN IMMEDIATE; and its end: COMMIT when status is CVO_OK (a failed commit
 * becomes the status), else ROLLBACK. Returns the final status. */
cvo_status history_begin(cvo_history *h);
cvo_status history_end(cvo_history *h, cvo_status status);

/* record.c: a snapshot of an analysis inserted as pending inside the caller's
 * transaction (*id its id; run_id NULL for none); made the committed one of its
 * day, replacing the old one; or deleted. */
cvo_status history_insert_pending(cvo_history *h, const cvo_analysis *a, int64_t created_unix,
                                  const char *run_id, int64_t *id);
cvo_status history_commit_snapshot(cvo_history *h, int64_t id, int32_t day);
cvo_status history_delete_snapshot(cvo_history *h, int64_t id);
/* experiments.c: the experiment tables (CREATE TABLE IF NOT EXISTS), set up by
 * cvo_history_open; the run's new experiments and members written as pending
 * inside the caller's transaction (a without experiments: nothing); made
 * committed with the run, or deleted when it is abandoned. */
cvo_status history_experiments_setup(cvo_history *h);
cvo_status history_experiments_record(cvo_history *h, const cvo_analysis *a, const char *run_id);
cvo_status history_experiments_settle(cvo_history *h, const char *run_id, bool commit);
/* runs.c: settles the pending runs (see cvo_history_reconcile). */
cvo_status history_reconcile_runs(cvo_history *h, const char *output);
/* The as-of day of the latest snapshot before day (INT32_MIN for none), or
 * of the latest of all when day is INT32_MAX. */
cvo_status history_latest_before(cvo_history *h, int32_t day, int32_t *found);
/* Whether a snapshot of day exists. */
cvo_status history_has_snapshot(cvo_history *h, int32_t day, bool *found);

#endif
