/* experiments.c - experiments in the history database: the experiments table
 * (one row per experiment of a list: its share, start and stop) and its
 * members (keyed customer, arm, entry day). New experiments and members are
 * written pending with a run's snapshot and committed or deleted with it.
 * Invariant: a member's arm and entry day never change once committed. */
#include "base/arena.h"
#include "base/ctx.h"
#include "base/hmac.h"
#include "experiment/arms.h"
#include "history/history.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Created after the snapshot schema; HISTORY_SCHEMA_VERSION is not changed by them. */
static const char EXPERIMENT_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS experiments ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " list TEXT NOT NULL,"
    " share REAL NOT NULL,"
    " start_day TEXT NOT NULL,"
    " stop_day TEXT,"
    " primary_metric TEXT NOT NULL,"
    " window_days INTEGER NOT NULL,"
    " planned_members INTEGER NOT NULL,"
    " restart INTEGER NOT NULL DEFAULT 0,"
    " run_id TEXT,"
    " state TEXT NOT NULL CHECK (state IN ('pending','committed')));"
    "CREATE TABLE IF NOT EXISTS experiment_members ("
    " experiment_id TEXT NOT NULL REFERENCES experiments (id),"
    " customer TEXT NOT NULL,"
    " arm TEXT NOT NULL CHECK (arm IN ('treatment','holdout')),"
    " entry_day TEXT NOT NULL,"
    " run_id TEXT,"
    " state TEXT NOT NULL CHECK (state IN ('pending','committed')),"
    " PRIMARY KEY (experiment_id, customer)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS experiment_members_run ON experiment_members (run_id);"
    "CREATE INDEX IF NOT EXISTS experiment_members_customer ON experiment_members (customer);";

cvo_status history_experiments_setup(cvo_history *h)
{
    if (sqlite3_exec(h->db, EXPERIMENT_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
        return history_db_fail(h, "cannot create the experiment tables");
    return CVO_OK;
}

/* ---- names ------------------------------------------------------------------- */

static const unsigned treatment_bits[] = {CVO_LIST_NO_DISCOUNT, CVO_LIST_WINBACK, CVO_LIST_VIP,
                                          CVO_LIST_REFERRAL};
#define TREATMENT_COUNT (sizeof treatment_bits / sizeof treatment_bits[0])

static bool list_of(const char *name, unsigned *out)
{
    for (size_t k = 0; k < TREATMENT_COUNT; k++)
        if (name != NULL && strcmp(name, cvo_list_name(treatment_bits[k])) == 0) {
            *out = treatment_bits[k];
            return true;
        }
    return false;
}

static cvo_status check_list(cvo_history *h, unsigned list_bit)
{
    for (size_t k = 0; k < TREATMENT_COUNT; k++)
        if (list_bit == treatment_bits[k])
            return CVO_OK;
    return ctx_fail(h->ctx, CVO_ERR_ARGUMENT,
                    "%s is not a treatment list (winback, vip, referral, no-discount)",
                    cvo_list_name(list_bit));
}

/* ---- reading experiments ----------------------------------------------------- */

#define INFO_COLUMNS                                                                               \
    "id, list, share, start_day, stop_day, primary_metric, window_days, planned_members,"          \
    " restart"

static const char *column_text(sqlite3_stmt *st, int column)
{
    const unsigned char *text = sqlite3_column_text(st, column);
    return text ? (const char *)text : NULL;
}

/* The row of st (INFO_COLUMNS) into *out, *restart. */
static cvo_status read_info(cvo_history *h, sqlite3_stmt *st, cvo_experiment_info *out,
                            bool *restart)
{
    memset(out, 0, sizeof *out);
    const char *id = column_text(st, 0), *stop = column_text(st, 4);
    bool ok = id != NULL && strlen(id) < sizeof out->id &&
              list_of(column_text(st, 1), &out->list_bit) && column_text(st, 3) != NULL &&
              cvo_day_parse(column_text(st, 3), &out->start_day) &&
              cvo_exp_metric_parse(column_text(st, 5), &out->primary);
    out->stop_day = INT32_MIN;
    if (ok && stop != NULL)
        ok = cvo_day_parse(stop, &out->stop_day);
    if (!ok)
        return ctx_fail(h->ctx, CVO_ERR_FORMAT, "%s: experiment '%.40s' has a bad row", h->path,
                        id ? id : "");
    double share = sqlite3_column_double(st, 2);
    sqlite3_int64 window = sqlite3_column_int64(st, 6), planned = sqlite3_column_int64(st, 7);
    if (!(share > 0 && share < 1) || window < 1 || window > 3650 || planned < 0)
        return ctx_fail(h->ctx, CVO_ERR_FORMAT, "%s: experiment '%.40s' has a bad row", h->path,
                        id);
    snprintf(out->id, sizeof out->id, "%s", id);
    out->share = share;
    out->window_days = (uint32_t)window;
    out->planned_members = (uint64_t)planned;
    if (restart != NULL)
        *restart = sqlite3_column_int(st, 8) != 0;
    return CVO_OK;
}

/* The latest committed experiment of list_bit (*found false when none). */
static cvo_status latest(cvo_history *h, unsigned list_bit, cvo_experiment_info *out, bool *restart,
                         bool *found)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "SELECT " INFO_COLUMNS " FROM experiments WHERE list = ?1 AND"
                            " state = 'committed' ORDER BY start_day DESC, rowid DESC LIMIT 1",
                            &st));
    sqlite3_bind_text(st, 1, cvo_list_name(list_bit), -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    cvo_status status = CVO_OK;
    *found = rc == SQLITE_ROW;
    if (*found)
        status = read_info(h, st, out, restart);
    else if (rc != SQLITE_DONE)
        status = history_db_fail(h, "cannot read experiments");
    sqlite3_finalize(st);
    return status;
}

static cvo_status list_push(cvo_history *h, size_t *cap, const cvo_experiment_info *info)
{
    if (h->experiment_count == *cap) {
        size_t grown = *cap ? *cap * 2 : 16;
        cvo_experiment_info *list = mem_realloc(h->ctx, h->experiments, grown * sizeof *list);
        if (list == NULL)
            return ctx_nomem(h->ctx);
        h->experiments = list;
        *cap = grown;
    }
    h->experiments[h->experiment_count++] = *info;
    return CVO_OK;
}

cvo_status cvo_history_experiments(cvo_history *h, const cvo_experiment_info **list, size_t *count)
{
    if (h == NULL || list == NULL || count == NULL)
        return CVO_ERR_ARGUMENT;
    *list = NULL;
    *count = h->experiment_count = 0;
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "SELECT " INFO_COLUMNS " FROM experiments WHERE state = 'committed'"
                            " ORDER BY start_day, list, rowid",
                            &st));
    size_t cap = 0;
    cvo_status status = CVO_OK;
    int rc = SQLITE_DONE;
    while (status == CVO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        cvo_experiment_info info;
        status = read_info(h, st, &info, NULL);
        if (status == CVO_OK)
            status = list_push(h, &cap, &info);
    }
    if (status == CVO_OK && rc != SQLITE_DONE)
        status = history_db_fail(h, "cannot read experiments");
    sqlite3_finalize(st);
    *list = h->experiments;
    *count = status == CVO_OK ? h->experiment_count : 0;
    return status;
}

/* ---- members ------------------------------------------------------------------- */

cvo_status cvo_history_experiment_members(cvo_history *h, const char *experiment_id,
                                          cvo_experiment_member_fn each, void *user_data)
{
    if (h == NULL || experiment_id == NULL || each == NULL)
        return CVO_ERR_ARGUMENT;
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "SELECT customer, arm, entry_day FROM experiment_members"
                            " WHERE experiment_id = ?1 AND state = 'committed' ORDER BY customer",
                            &st));
    sqlite3_bind_text(st, 1, experiment_id, -1, SQLITE_STATIC);
    cvo_status status = CVO_OK;
    int rc = SQLITE_DONE;
    while (status == CVO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        cvo_experiment_member m;
        memset(&m, 0, sizeof m);
        const char *customer = column_text(st, 0), *arm = column_text(st, 1);
        const char *entry = column_text(st, 2);
        if (customer == NULL || strlen(customer) != KEYED_HEX || arm == NULL || entry == NULL ||
            !cvo_day_parse(entry, &m.entry_day)) {
            status = ctx_fail(h->ctx, CVO_ERR_FORMAT, "%s: experiment %s: a bad member row",
                              h->path, experiment_id);
            break;
        }
        m.experiment_id = experiment_id;
        m.customer = customer;
        m.holdout = strcmp(arm, "holdout") == 0;
        status = each(user_data, &m);
    }
    if (status == CVO_OK && rc != SQLITE_DONE)
        status = history_db_fail(h, "cannot read experiment members");
    sqlite3_finalize(st);
    return status;
}

static cvo_status add_recorded(void *user_data, const cvo_experiment_member *m)
{
    void **pair = user_data;
    arms_member member;
    memcpy(member.customer, m->customer, sizeof member.customer - 1);
    member.customer[sizeof member.customer - 1] = '\0';
    member.holdout = m->holdout;
    return arms_add_recorded(pair[0], pair[1], &member);
}

/* ---- preparing a run's experiments ------------------------------------------------ */

/* "<list>@<day>", with "-2", "-3"... when an experiment has that id already. */
static cvo_status new_id(cvo_history *h, unsigned list_bit, int32_t day, char *id, size_t size)
{
    char date[11];
    cvo_day_format(day, date);
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, "SELECT count(*) FROM experiments WHERE id = ?1", &st));
    cvo_status status = CVO_OK;
    for (int n = 1; status == CVO_OK; n++) {
        if (n == 1)
            snprintf(id, size, "%s@%s", cvo_list_name(list_bit), date);
        else
            snprintf(id, size, "%s@%s-%d", cvo_list_name(list_bit), date, n);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_ROW)
            status = history_db_fail(h, "cannot read experiments");
        else if (sqlite3_column_int(st, 0) == 0)
            break;
    }
    sqlite3_finalize(st);
    return status;
}

static cvo_status share_changed(cvo_history *h, const cvo_experiment_info *x, double share)
{
    const char *list = cvo_list_name(x->list_bit);
    if (share == 0)
        return ctx_fail(h->ctx, CVO_ERR_CONFIG,
                        "[holdout]: the %s list has no holdout share, but experiment %s runs "
                        "with share %g: run `cvo experiments --stop %s` to end it, or set its "
                        "share back to %g",
                        list, x->id, x->share, list, x->share);
    return ctx_fail(h->ctx, CVO_ERR_CONFIG,
                    "[holdout]: the %s list's share is %g, but experiment %s runs with share "
                    "%g and a share cannot change while its experiment runs: run `cvo "
                    "experiments --new %s` to start a new one, or set the share back to %g",
                    list, share, x->id, x->share, list, x->share);
}

static cvo_status start_new(cvo_history *h, cvo_experiments *e, const cvo_config *config,
                            unsigned list_bit, double share, int32_t day)
{
    cvo_experiment_info info;
    memset(&info, 0, sizeof info);
    CVO_TRY(new_id(h, list_bit, day, info.id, sizeof info.id));
    info.list_bit = list_bit;
    info.share = share;
    info.start_day = day;
    info.stop_day = INT32_MIN;
    if (!cvo_exp_metric_parse(cvo_config_text(config, "experiment", "primary_metric"),
                              &info.primary))
        info.primary = CVO_EXP_PROFIT;
    info.window_days = (uint32_t)cvo_config_number(config, "experiment", "window_days");
    arms_experiment *x = NULL;
    return arms_add(e, &info, true, &x);
}

static cvo_status continue_running(cvo_history *h, cvo_experiments *e,
                                   const cvo_experiment_info *info)
{
    arms_experiment *x = NULL;
    CVO_TRY(arms_add(e, info, false, &x));
    void *pair[2] = {e, x};
    CVO_TRY(cvo_history_experiment_members(h, info->id, add_recorded, pair));
    arms_sort(x);
    return CVO_OK;
}

static void note_stopped(cvo_experiments *e, const cvo_experiment_info *x, double share)
{
    char date[11], line[512];
    cvo_day_format(x->stop_day, date);
    const char *list = cvo_list_name(x->list_bit);
    snprintf(line, sizeof line,
             "experiment %s was stopped on %s (cvo experiments --stop): the %s list's holdout "
             "share %g holds no one out; `cvo experiments --new %s` starts a new experiment",
             x->id, date, list, share, list);
    arms_note(e, line);
}

/* A run as of a day before the experiment started (a look back) holds no one
 * out and records no member: members enter from the start on. */
static void note_before_start(cvo_experiments *e, const cvo_experiment_info *x, int32_t day)
{
    char date[11], start[11], line[512];
    cvo_day_format(day, date);
    cvo_day_format(x->start_day, start);
    snprintf(line, sizeof line,
             "experiment %s started on %s, after this run's as-of date %s: no one is held out "
             "of the %s list in this run",
             x->id, start, date, cvo_list_name(x->list_bit));
    arms_note(e, line);
}

static cvo_status prepare_list(cvo_history *h, cvo_experiments *e, const cvo_config *config,
                               unsigned list_bit, int32_t day)
{
    double share = cvo_holdout_share(config, list_bit);
    cvo_experiment_info x;
    bool restart = false, found = false;
    CVO_TRY(latest(h, list_bit, &x, &restart, &found));
    bool running = found && x.stop_day == INT32_MIN;
    if (running && fabs(share - x.share) > 1e-12)
        return share_changed(h, &x, share);
    if (running && day < x.start_day) {
        note_before_start(e, &x, day);
        return CVO_OK;
    }
    if (running)
        return continue_running(h, e, &x);
    if (share <= 0)
        return CVO_OK;
    if (found && !restart) {
        note_stopped(e, &x, share);
        return CVO_OK;
    }
    return start_new(h, e, config, list_bit, share, day);
}

cvo_status cvo_history_experiments_prepare(cvo_history *h, const cvo_config *config,
                                           int32_t as_of_day, cvo_experiments **out)
{
    if (h == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    *out = NULL;
    cvo_experiments *e = NULL;
    CVO_TRY(arms_new(h->ctx, &e));
    cvo_status status = CVO_OK;
    for (size_t k = 0; k < TREATMENT_COUNT && status == CVO_OK; k++)
        status = prepare_list(h, e, config, treatment_bits[k], as_of_day);
    if (status != CVO_OK) {
        cvo_experiments_free(e);
        return status;
    }
    *out = e;
    return CVO_OK;
}

/* ---- stopping ------------------------------------------------------------------------ */

static cvo_status set_stop(cvo_history *h, const char *id, int32_t day, bool restart)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "UPDATE experiments SET stop_day = coalesce(stop_day, ?2),"
                            " restart = ?3 WHERE id = ?1",
                            &st));
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    history_bind_day(st, 2, day);
    sqlite3_bind_int(st, 3, restart);
    cvo_status status = history_step_done(h, st, "cannot stop the experiment");
    sqlite3_finalize(st);
    return status;
}

/* The latest experiment of list_bit, checked to start on or before day. */
static cvo_status latest_before(cvo_history *h, unsigned list_bit, int32_t day,
                                cvo_experiment_info *x, bool *found)
{
    CVO_TRY(check_list(h, list_bit));
    bool restart = false;
    CVO_TRY(latest(h, list_bit, x, &restart, found));
    if (*found && x->stop_day == INT32_MIN && day < x->start_day) {
        char date[11];
        cvo_day_format(x->start_day, date);
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT,
                        "experiment %s started on %s: it cannot stop before that", x->id, date);
    }
    return CVO_OK;
}

cvo_status cvo_history_experiment_stop(cvo_history *h, unsigned list_bit, int32_t day,
                                       cvo_experiment_info *stopped)
{
    if (h == NULL || stopped == NULL)
        return CVO_ERR_ARGUMENT;
    bool found = false;
    CVO_TRY(latest_before(h, list_bit, day, stopped, &found));
    if (!found || stopped->stop_day != INT32_MIN)
        return ctx_fail(h->ctx, CVO_ERR_ARGUMENT,
                        "no experiment of the %s list runs (cvo experiments --db %s lists them)",
                        cvo_list_name(list_bit), h->path);
    CVO_TRY(set_stop(h, stopped->id, day, false));
    stopped->stop_day = day;
    return CVO_OK;
}

cvo_status cvo_history_experiment_new(cvo_history *h, unsigned list_bit, int32_t day,
                                      cvo_experiment_info *stopped, bool *found)
{
    if (h == NULL || stopped == NULL || found == NULL)
        return CVO_ERR_ARGUMENT;
    CVO_TRY(latest_before(h, list_bit, day, stopped, found));
    if (!*found)
        return CVO_OK;
    CVO_TRY(set_stop(h, stopped->id, day, true));
    if (stopped->stop_day == INT32_MIN)
        stopped->stop_day = day;
    return CVO_OK;
}

/* ---- recording with a run ------------------------------------------------------------ */

static cvo_status insert_experiment(cvo_history *h, const cvo_experiment_info *x,
                                    const char *run_id)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "INSERT INTO experiments (id, list, share, start_day, primary_metric,"
                            " window_days, planned_members, restart, run_id, state) VALUES"
                            " (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, 'pending')",
                            &st));
    sqlite3_bind_text(st, 1, x->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cvo_list_name(x->list_bit), -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, x->share);
    history_bind_day(st, 4, x->start_day);
    sqlite3_bind_text(st, 5, cvo_exp_metric_name(x->primary), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, x->window_days);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)x->planned_members);
    sqlite3_bind_text(st, 8, run_id, -1, SQLITE_STATIC);
    cvo_status status = history_step_done(h, st, "cannot record the experiment");
    sqlite3_finalize(st);
    return status;
}

/* This run's members of x, new ones pending (an existing row keeps its arm and entry day). */
static cvo_status insert_members(cvo_history *h, const arms_experiment *x, int32_t day,
                                 const char *run_id)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "INSERT OR IGNORE INTO experiment_members (experiment_id, customer,"
                            " arm, entry_day, run_id, state) VALUES (?1, ?2, ?3, ?4, ?5,"
                            " 'pending')",
                            &st));
    cvo_status status = CVO_OK;
    for (size_t i = 0; i < x->now_count && status == CVO_OK; i++) {
        sqlite3_bind_text(st, 1, x->pub.info.id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, x->now[i].customer, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, x->now[i].holdout ? "holdout" : "treatment", -1, SQLITE_STATIC);
        history_bind_day(st, 4, day);
        sqlite3_bind_text(st, 5, run_id, -1, SQLITE_STATIC);
        status = history_step_done(h, st, "cannot record the experiment's members");
    }
    sqlite3_finalize(st);
    return status;
}

cvo_status history_experiments_record(cvo_history *h, const cvo_analysis *a, const char *run_id)
{
    const cvo_experiments *e = cvo_analysis_experiments(a);
    for (size_t k = 0; e != NULL && k < e->count; k++) {
        const arms_experiment *x = &e->items[k];
        if (x->pub.starts)
            CVO_TRY(insert_experiment(h, &x->pub.info, run_id));
        CVO_TRY(insert_members(h, x, cvo_analysis_as_of(a), run_id));
    }
    return CVO_OK;
}

cvo_status history_experiments_settle(cvo_history *h, const char *run_id, bool commit)
{
    static const char *const sql[2][2] = {
        {"DELETE FROM experiment_members WHERE run_id = ?1 AND state = 'pending'",
         "DELETE FROM experiments WHERE run_id = ?1 AND state = 'pending'"},
        {"UPDATE experiment_members SET state = 'committed' WHERE run_id = ?1 AND"
         " state = 'pending'",
         "UPDATE experiments SET state = 'committed' WHERE run_id = ?1 AND state = 'pending'"}};
    for (int k = 0; k < 2; k++) {
        sqlite3_stmt *st = NULL;
        CVO_TRY(history_prepare(h, sql[commit][k], &st));
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        cvo_status status = history_step_done(h, st, "cannot settle the run's experiments");
        sqlite3_finalize(st);
        CVO_TRY(status);
    }
    return CVO_OK;
}

/* ---- measuring: the experiments and their members for cvo_experiments_compute ------ */

/* Every committed member of every experiment, strings in one arena. */
typedef struct member_rows {
    cvo_ctx *ctx;
    arena strings;
    cvo_experiment_member *members;
    size_t count, cap;
} member_rows;

static cvo_status keep_member(void *user_data, const cvo_experiment_member *m)
{
    member_rows *r = user_data;
    if (r->count == r->cap) {
        size_t want = r->cap ? 2 * r->cap : 64;
        cvo_experiment_member *bigger = mem_realloc(r->ctx, r->members, want * sizeof *bigger);
        if (bigger == NULL)
            return ctx_nomem(r->ctx);
        r->members = bigger;
        r->cap = want;
    }
    cvo_experiment_member *kept = &r->members[r->count];
    *kept = *m;
    kept->experiment_id = arena_strndup(&r->strings, m->experiment_id, strlen(m->experiment_id));
    kept->customer = arena_strndup(&r->strings, m->customer, strlen(m->customer));
    if (kept->experiment_id == NULL || kept->customer == NULL)
        return ctx_nomem(r->ctx);
    r->count++;
    return CVO_OK;
}

cvo_status cvo_experiments_measure(cvo_ctx *ctx, cvo_history *history,
                                   const cvo_customers *customers, const cvo_config *config,
                                   int32_t as_of_day, cvo_experiment_results **out)
{
    *out = NULL;
    if (history == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "experiments: no history database");
    cvo_id_key key;
    CVO_TRY(cvo_id_key_load(ctx, history, config, &key));
    const cvo_experiment_info *infos = NULL;
    size_t count = 0;
    CVO_TRY(cvo_history_experiments(history, &infos, &count));
    if (count == 0)
        return ctx_fail(ctx, CVO_ERR_EMPTY,
                        "%s: no experiment yet (a list starts one when [holdout] gives it a "
                        "share and cvo analyze runs with --db)",
                        history->path);
    member_rows r = {.ctx = ctx};
    arena_init(&r.strings, ctx);
    cvo_status status = CVO_OK;
    for (size_t i = 0; i < count && status == CVO_OK; i++)
        status = cvo_history_experiment_members(history, infos[i].id, keep_member, &r);
    if (status == CVO_OK)
        status = cvo_experiments_compute(ctx, customers, config, &key, infos, count, r.members,
                                         r.count, as_of_day, out);
    mem_free(ctx, r.members);
    arena_release(&r.strings);
    return status;
}
