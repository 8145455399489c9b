/* runs.c - the runs of cvo analyze as the history records them: begun as
 * pending with their snapshot, committed once their output directory is
 * published, and settled by whoever opens the database next when a run died
 * in between. Invariant: a committed snapshot is one whose run was published. */
#include "history/history.h"

#include "base/ctx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PENDING_MAX = 64 }; /* settled per call; more are left for the next one */

static bool text_ok(const char *text)
{
    return text != NULL && text[0] != '\0';
}

static cvo_status check_run(cvo_history *h, const cvo_run_record *run)
{
    if (run == NULL || !text_ok(run->run_id) || !text_ok(run->output) || !text_ok(run->run_dir) ||
        !text_ok(run->lock_path))
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT,
                        "history: a run needs an id, output, "
                        "directory and lock path");
    if (strlen(run->run_id) >= sizeof((cvo_run_info *)0)->run_id)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "history: run id '%s' too long", run->run_id);
    return CVO_OK;
}

static cvo_status insert_run(cvo_history *h, const cvo_run_record *run, int64_t snapshot_id)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "INSERT INTO runs (run_id, state, output, run_dir, lock_path,"
                            " created_at, as_of, records, rejected, customers, orders,"
                            " revenue_cents, snapshot_id) VALUES"
                            " (?1, 'pending', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                            &st));
    char created[32];
    history_format_time(run->created_unix, created);
    sqlite3_bind_text(st, 1, run->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, run->output, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, run->run_dir, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, run->lock_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, created, -1, SQLITE_TRANSIENT);
    history_bind_day(st, 6, run->as_of_day);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)run->records);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)run->rejected);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)run->customers);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)run->orders);
    sqlite3_bind_int64(st, 11, run->revenue_cents);
    if (snapshot_id != 0)
        sqlite3_bind_int64(st, 12, snapshot_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "%s: run %s was recorded before", h->path,
                        run->run_id);
    return rc == SQLITE_DONE ? CVO_OK : history_db_fail(h, "cannot record the run");
}

static cvo_status begin_in_transaction(cvo_history *h, const cvo_run_record *run,
                                       const cvo_analysis *a, int64_t created_unix)
{
    int64_t snapshot_id = 0;
    if (a != NULL)
        CVO_TRY(history_insert_pending(h, a, created_unix, run->run_id, &snapshot_id));
    CVO_TRY(insert_run(h, run, snapshot_id));
    return a != NULL ? history_experiments_record(h, a, run->run_id) : CVO_OK;
}

cvo_status cvo_history_begin_run(cvo_history *h, const cvo_run_record *run, const cvo_analysis *a,
                                 const cvo_history_record_options *options)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    CVO_TRY(check_run(h, run));
    CVO_TRY(history_begin(h));
    cvo_status status =
        begin_in_transaction(h, run, a, options ? options->created_unix : run->created_unix);
    if (status == CVO_OK && options != NULL && options->before_commit != NULL)
        options->before_commit(options->user_data);
    return history_end(h, status);
}

/* ---- one run's state ------------------------------------------------------------ */

typedef struct run_state {
    char state[16];
    int64_t snapshot_id; /* 0: none */
    int32_t as_of_day;
} run_state;

static cvo_status read_state(cvo_history *h, const char *run_id, run_state *out, bool *found)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(
        history_prepare(h, "SELECT state, snapshot_id, as_of FROM runs WHERE run_id = ?1", &st));
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    memset(out, 0, sizeof *out);
    if (*found) {
        const unsigned char *state = sqlite3_column_text(st, 0);
        snprintf(out->state, sizeof out->state, "%s", state ? (const char *)state : "");
        out->snapshot_id = sqlite3_column_int64(st, 1);
        const unsigned char *day = sqlite3_column_text(st, 2);
        if (day == NULL || !cvo_day_parse((const char *)day, &out->as_of_day))
            rc = SQLITE_CORRUPT;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CVO_OK : history_db_fail(h, "cannot read runs");
}

static cvo_status set_state(cvo_history *h, const char *run_id, const char *state)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, "UPDATE runs SET state = ?2 WHERE run_id = ?1", &st));
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    cvo_status status = history_step_done(h, st, "cannot update the run");
    sqlite3_finalize(st);
    return status;
}

static cvo_status commit_in_transaction(cvo_history *h, const char *run_id)
{
    run_state run;
    bool found = false;
    CVO_TRY(read_state(h, run_id, &run, &found));
    if (found && strcmp(run.state, "committed") == 0)
        return CVO_OK;
    if (!found || strcmp(run.state, "pending") != 0)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "%s: run %s is %s, not pending", h->path, run_id,
                        found ? run.state : "unknown");
    if (run.snapshot_id != 0)
        CVO_TRY(history_commit_snapshot(h, run.snapshot_id, run.as_of_day));
    CVO_TRY(history_experiments_settle(h, run_id, true));
    return set_state(h, run_id, "committed");
}

cvo_status cvo_history_commit_run(cvo_history *h, const char *run_id)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    if (!text_ok(run_id))
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "history: no run id");
    CVO_TRY(history_begin(h));
    return history_end(h, commit_in_transaction(h, run_id));
}

/* A run that never got published: its snapshot goes, the run stays as a record. */
static cvo_status abandon_in_transaction(cvo_history *h, const char *run_id)
{
    run_state run;
    bool found = false;
    CVO_TRY(read_state(h, run_id, &run, &found));
    if (!found || strcmp(run.state, "pending") != 0)
        return CVO_OK;
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, "UPDATE runs SET snapshot_id = NULL WHERE run_id = ?1", &st));
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    cvo_status status = history_step_done(h, st, "cannot update the run");
    sqlite3_finalize(st);
    if (status == CVO_OK && run.snapshot_id != 0)
        status = history_delete_snapshot(h, run.snapshot_id);
    if (status == CVO_OK)
        status = history_experiments_settle(h, run_id, false);
    return status == CVO_OK ? set_state(h, run_id, "abandoned") : status;
}

/* ---- settling pending runs -------------------------------------------------------- */

/* Whether another open file holds the lock (flock) at path: its run is alive. */
static bool lock_held(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}

/* Whether the link at output resolves to run_dir. */
static bool published(const char *output, const char *run_dir)
{
    struct stat link, dir;
    return stat(output, &link) == 0 && stat(run_dir, &dir) == 0 && link.st_dev == dir.st_dev &&
           link.st_ino == dir.st_ino;
}

typedef struct pending_run {
    char run_id[64];
    bool publish;
} pending_run;

static cvo_status pending_runs(cvo_history *h, const char *output, pending_run *runs, size_t *count)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "SELECT run_id, output, run_dir, lock_path FROM runs"
                            " WHERE state = 'pending' AND (?1 IS NULL OR output = ?1)"
                            " ORDER BY created_at, rowid",
                            &st));
    if (output != NULL)
        sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
    int rc = SQLITE_DONE;
    *count = 0;
    while (*count < PENDING_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text[4];
        for (int k = 0; k < 4; k++) {
            const unsigned char *t = sqlite3_column_text(st, k);
            text[k] = t ? (const char *)t : "";
        }
        if (output == NULL && lock_held(text[3]))
            continue; /* alive: its own process settles it */
        pending_run *p = &runs[(*count)++];
        snprintf(p->run_id, sizeof p->run_id, "%s", text[0]);
        p->publish = published(text[1], text[2]);
    }
    if (*count < PENDING_MAX && rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        return history_db_fail(h, "cannot read runs");
    }
    sqlite3_finalize(st);
    return CVO_OK;
}

cvo_status history_reconcile_runs(cvo_history *h, const char *output)
{
    pending_run runs[PENDING_MAX];
    size_t count = 0;
    CVO_TRY(pending_runs(h, output, runs, &count));
    for (size_t i = 0; i < count; i++) {
        CVO_TRY(history_begin(h));
        cvo_status status = runs[i].publish ? commit_in_transaction(h, runs[i].run_id)
                                            : abandon_in_transaction(h, runs[i].run_id);
        CVO_TRY(history_end(h, status));
    }
    return CVO_OK;
}

cvo_status cvo_history_reconcile(cvo_history *h, const char *output)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    return history_reconcile_runs(h, output);
}

/* ---- reading runs ------------------------------------------------------------------ */

static cvo_status read_info(cvo_history *h, sqlite3_stmt *st, cvo_run_info *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *id = sqlite3_column_text(st, 0);
    const unsigned char *day = sqlite3_column_text(st, 1);
    snprintf(out->run_id, sizeof out->run_id, "%s", id ? (const char *)id : "");
    if (day == NULL || !cvo_day_parse((const char *)day, &out->as_of_day))
        return ctx_fail(h->ctx, CVO_ERR_FORMAT, "%s: a run with a bad as_of", h->path);
    out->created_unix = sqlite3_column_int64(st, 2);
    out->records = (uint64_t)sqlite3_column_int64(st, 3);
    out->rejected = (uint64_t)sqlite3_column_int64(st, 4);
    out->customers = (uint64_t)sqlite3_column_int64(st, 5);
    out->orders = (uint64_t)sqlite3_column_int64(st, 6);
    out->revenue_cents = sqlite3_column_int64(st, 7);
    return CVO_OK;
}

/* The one row st yields (if any) into *out, then finalizes st. */
static cvo_status step_info(cvo_history *h, sqlite3_stmt *st, cvo_run_info *out, bool *found)
{
    int rc = sqlite3_step(st);
    cvo_status status = CVO_OK;
    if (rc == SQLITE_ROW) {
        status = read_info(h, st, out);
        *found = status == CVO_OK;
    } else if (rc != SQLITE_DONE) {
        status = history_db_fail(h, "cannot read runs");
    }
    sqlite3_finalize(st);
    return status;
}

cvo_status cvo_history_last_run(cvo_history *h, const char *output, cvo_run_info *out, bool *found)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    if (output == NULL || out == NULL || found == NULL)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "history: no output or result");
    *found = false;
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "SELECT run_id, as_of, CAST(strftime('%s', created_at) AS INTEGER),"
                            " records, rejected, customers, orders, revenue_cents FROM runs"
                            " WHERE output = ?1 AND state = 'committed'"
                            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
                            &st));
    sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
    return step_info(h, st, out, found);
}

cvo_status cvo_history_set_run_summary(cvo_history *h, const char *run_id, const char *json)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    if (!text_ok(run_id) || json == NULL)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "history: no run id or summary");
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, "UPDATE runs SET summary = ?2 WHERE run_id = ?1", &st));
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
    cvo_status status = history_step_done(h, st, "cannot store the run summary");
    sqlite3_finalize(st);
    if (status == CVO_OK && sqlite3_changes(h->db) != 1)
        status = ctx_fail(h->ctx, CVO_ERR_ARGUMENT, "%s: no run %s", h->path, run_id);
    return status;
}

/* ---- the drop guard ------------------------------------------------------------------ */

/* The figures of the last committed run into output, else of the latest
 * snapshot (orders unknown there for version 1 files: 0). */
static cvo_status baseline(cvo_history *h, const char *output, cvo_run_info *out, bool *found)
{
    CVO_TRY(cvo_history_last_run(h, output, out, found));
    if (*found)
        return CVO_OK;
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "SELECT 'snapshot', as_of, CAST(strftime('%s', created_at) AS INTEGER),"
                            " 0, 0, customers, coalesce(orders, 0), revenue_cents FROM snapshots"
                            " ORDER BY as_of DESC LIMIT 1",
                            &st));
    return step_info(h, st, out, found);
}

/* Whether now fell below then by more than max_drop (a share of then). */
static bool fell(double then, double now, double max_drop)
{
    return then > 0 && now < then * (1.0 - max_drop);
}

cvo_status cvo_history_drop_check(cvo_history *h, const char *output, const cvo_run_record *now,
                                  double max_drop)
{
    if (h == NULL)
        return CVO_ERR_ARGUMENT;
    if (output == NULL || now == NULL || !(max_drop >= 0 && max_drop <= 1))
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT,
                        "history: drop check needs an output, the "
                        "run and a share from 0 to 1");
    cvo_run_info then;
    bool found = false;
    CVO_TRY(baseline(h, output, &then, &found));
    if (!found)
        return CVO_OK;
    static const char *const names[3] = {"customers", "orders", "revenue"};
    double before[3] = {(double)then.customers, (double)then.orders, (double)then.revenue_cents};
    double after[3] = {(double)now->customers, (double)now->orders, (double)now->revenue_cents};
    for (int k = 0; k < 3; k++) {
        if (!fell(before[k], after[k], max_drop))
            continue;
        char date[11];
        cvo_day_format(then.as_of_day, date);
        double scale = k == 2 ? 100.0 : 1.0;
        return ctx_fail(h->ctx, CVO_ERR_REFUSED,
                        "%s fell from %.*f to %.*f (%.1f%%) since the run as of %s, more than "
                        "the %.0f%% [safety] max_drop allows (a truncated or partial export?)",
                        names[k], k == 2 ? 2 : 0, before[k] / scale, k == 2 ? 2 : 0,
                        after[k] / scale, 100.0 * (after[k] - before[k]) / before[k], date,
                        100.0 * max_drop);
    }
    return CVO_OK;
}
