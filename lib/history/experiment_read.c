/* experiment_read.c - the experiments and their committed members as the history
 * database keeps them (tables of docs/history.md, written by experiments.c), read
 * for cvo_experiments_measure. Until the writer lands this reads the columns of the
 * shared design directly; a database without the tables holds no experiment. */
#include "base/arena.h"
#include "base/ctx.h"
#include "history/history.h"

#include <math.h>
#include <string.h>

/* What the two tables hold, strings in one arena. */
typedef struct experiment_rows {
    cvo_ctx *ctx;
    arena strings;
    cvo_experiment_info *infos;
    size_t info_count, info_cap;
    cvo_experiment_member *members;
    size_t member_count, member_cap;
} experiment_rows;

static const char *const select_experiments =
    "SELECT id, list, share, start_day, stop_day, primary_metric, window_days, "
    "planned_members FROM experiments WHERE state = 'committed' ORDER BY start_day, id";
static const char *const select_members =
    "SELECT m.experiment_id, m.customer, m.arm, m.entry_day FROM experiment_members m "
    "JOIN experiments e ON e.id = m.experiment_id "
    "WHERE m.state = 'committed' AND e.state = 'committed'";

static cvo_status grow(cvo_ctx *ctx, void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return CVO_OK;
    size_t want = *cap ? 2 * *cap : 16;
    void *bigger = mem_realloc(ctx, *items, want * size);
    if (bigger == NULL)
        return ctx_nomem(ctx);
    *items = bigger;
    *cap = want;
    return CVO_OK;
}

static const char *column_text(sqlite3_stmt *st, int column)
{
    const unsigned char *text = sqlite3_column_text(st, column);
    return text ? (const char *)text : "";
}

/* The list bit named name (one of the treatment lists), or 0. */
static unsigned list_of(const char *name)
{
    for (unsigned bit = 1; bit < (1u << CVO_LIST_COUNT); bit <<= 1)
        if ((bit & CVO_TREATMENT_LISTS) && strcmp(cvo_list_name(bit), name) == 0)
            return bit;
    return 0;
}

static cvo_status bad_row(cvo_history *h, const char *table, const char *id)
{
    return ctx_fail(h->ctx, CVO_ERR_FORMAT, "%s: %s: a row of %s (%.48s) is not what cvo wrote",
                    h->path, "experiments", table, id);
}

static cvo_status read_info(cvo_history *h, sqlite3_stmt *st, cvo_experiment_info *e)
{
    memset(e, 0, sizeof *e);
    const char *id = column_text(st, 0), *stop = column_text(st, 4);
    bool ok = strlen(id) < sizeof e->id;
    snprintf(e->id, sizeof e->id, "%s", id);
    e->list_bit = list_of(column_text(st, 1));
    e->share = sqlite3_column_double(st, 2);
    ok = ok && e->list_bit != 0 && e->share > 0 && e->share < 1;
    ok = ok && cvo_day_parse(column_text(st, 3), &e->start_day);
    e->stop_day = INT32_MIN;
    ok = ok && (stop[0] == '\0' || cvo_day_parse(stop, &e->stop_day));
    ok = ok && cvo_exp_metric_parse(column_text(st, 5), &e->primary);
    sqlite3_int64 window = sqlite3_column_int64(st, 6), planned = sqlite3_column_int64(st, 7);
    ok = ok && window >= 1 && window <= 3650 && planned >= 0;
    e->window_days = (uint32_t)window;
    e->planned_members = (uint64_t)planned;
    return ok ? CVO_OK : bad_row(h, "experiments", id);
}

static cvo_status read_member(cvo_history *h, experiment_rows *r, sqlite3_stmt *st)
{
    CVO_TRY(
        grow(r->ctx, (void **)&r->members, &r->member_cap, r->member_count, sizeof *r->members));
    cvo_experiment_member *m = &r->members[r->member_count];
    const char *id = column_text(st, 0), *customer = column_text(st, 1);
    const char *arm = column_text(st, 2);
    m->experiment_id = arena_strndup(&r->strings, id, strlen(id));
    m->customer = arena_strndup(&r->strings, customer, strlen(customer));
    if (m->experiment_id == NULL || m->customer == NULL)
        return ctx_nomem(r->ctx);
    m->holdout = strcmp(arm, "holdout") == 0;
    if ((!m->holdout && strcmp(arm, "treatment") != 0) ||
        !cvo_day_parse(column_text(st, 3), &m->entry_day))
        return bad_row(h, "experiment_members", id);
    r->member_count++;
    return CVO_OK;
}

static cvo_status read_rows(cvo_history *h, experiment_rows *r, const char *sql, bool members)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h, sql, &st));
    cvo_status status = CVO_OK;
    int rc;
    while (status == CVO_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (members) {
            status = read_member(h, r, st);
            continue;
        }
        status = grow(r->ctx, (void **)&r->infos, &r->info_cap, r->info_count, sizeof *r->infos);
        if (status == CVO_OK)
            status = read_info(h, st, &r->infos[r->info_count]);
        r->info_count += status == CVO_OK;
    }
    if (status == CVO_OK && rc != SQLITE_DONE)
        status = history_db_fail(h, "cannot read the experiments");
    sqlite3_finalize(st);
    return status;
}

/* Whether the experiments table exists (a database cvo never ran one in has none). */
static cvo_status has_tables(cvo_history *h, bool *found)
{
    sqlite3_stmt *st = NULL;
    CVO_TRY(history_prepare(h,
                            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                            "('experiments', 'experiment_members')",
                            &st));
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) == 2;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CVO_OK : history_db_fail(h, "cannot read the schema");
}

static void rows_release(experiment_rows *r)
{
    mem_free(r->ctx, r->infos);
    mem_free(r->ctx, r->members);
    arena_release(&r->strings);
}

static cvo_status read_all(cvo_history *h, experiment_rows *r)
{
    bool found = false;
    CVO_TRY(has_tables(h, &found));
    if (found)
        CVO_TRY(read_rows(h, r, select_experiments, false));
    if (r->info_count == 0)
        return ctx_fail(h->ctx, CVO_ERR_EMPTY,
                        "%s: no experiment yet (a list starts one when [holdout] gives it a "
                        "share and cvo analyze runs with --db)",
                        h->path);
    return read_rows(h, r, select_members, true);
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
    experiment_rows r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    arena_init(&r.strings, ctx);
    cvo_status status = read_all(history, &r);
    if (status == CVO_OK)
        status = cvo_experiments_compute(ctx, customers, config, &key, r.infos, r.info_count,
                                         r.members, r.member_count, as_of_day, out);
    rows_release(&r);
    return status;
}
