/* test_history.c - the history layer on a generated store: snapshots of three
 * as-of days in an SQLite file, a second record of a day replaces the first,
 * and the migration's counts, R drops, top-segment moves and carried previous
 * segments agree with an independent comparison of the analyses; the trend
 * of segment sizes reads back each analysis' segment table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/hmac.h"
#include "cvo.h"
#include "history/history.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAYS 3
#define TOP_SEGMENTS 2 /* [segments] top empty: the scheme's first two */

typedef struct fixture {
    cvo_ctx *ctx;
    char orders[64], db[64];
    cvo_customers *all;
    cvo_config *config;
    int32_t day[DAYS];
    cvo_customers *table[DAYS];
    cvo_analysis *analysis[DAYS];
    cvo_history *history;
} fixture;

static void generate(fixture *f)
{
    snprintf(f->orders, sizeof f->orders, "/tmp/cvo_test_history_XXXXXX");
    int fd = mkstemp(f->orders);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "w");
    assert_non_null(out);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = 600;
    g.seed = 11;
    assert_int_equal(cvo_generate(f->ctx, &g, out, NULL, NULL), CVO_OK);
    assert_int_equal(fclose(out), 0);
}

static void load_and_analyze(fixture *f)
{
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = f->orders;
    o.keep_orders = true;
    assert_int_equal(cvo_orders_load(f->ctx, &o, &f->all, NULL), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    f->day[0] = cvo_day_from_ymd(2024, 3, 1);
    f->day[1] = cvo_day_from_ymd(2024, 9, 1);
    f->day[2] = cvo_day_from_ymd(2025, 3, 1);
    for (int k = 0; k < DAYS; k++) {
        assert_int_equal(cvo_customers_as_of(f->ctx, f->all, f->day[k], &f->table[k]), CVO_OK);
        cvo_status status = cvo_analyze(f->ctx, f->table[k], NULL, f->config, &f->analysis[k]);
        if (status != CVO_OK)
            fail_msg("cvo_analyze: %s", cvo_ctx_message(f->ctx));
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    generate(f);
    load_and_analyze(f);
    snprintf(f->db, sizeof f->db, "/tmp/cvo_test_history_db_XXXXXX");
    int fd = mkstemp(f->db);
    assert_true(fd >= 0);
    close(fd);
    unlink(f->db); /* a fresh file: cvo_history_open creates it */
    assert_int_equal(cvo_history_open(f->ctx, f->db, &f->history), CVO_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cvo_history_close(f->history);
    for (int k = 0; k < DAYS; k++) {
        cvo_analysis_free(f->analysis[k]);
        cvo_customers_free(f->table[k]);
    }
    cvo_customers_free(f->all);
    cvo_config_free(f->config);
    cvo_ctx_free(f->ctx);
    unlink(f->orders);
    unlink(f->db);
    free(f);
    return 0;
}

static void record(fixture *f, int k, int64_t created)
{
    cvo_history_record_options o = {created, NULL, NULL};
    cvo_status status = cvo_history_record(f->history, f->analysis[k], &o);
    if (status != CVO_OK)
        fail_msg("record: %s", cvo_ctx_message(f->ctx));
}

static int64_t query_int(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static size_t customers_of(const fixture *f, int k)
{
    return cvo_customers_count(cvo_analysis_customers(f->analysis[k]));
}

/* ---- snapshots ---------------------------------------------------------------------- */

static void test_record_replaces(void **state)
{
    fixture *f = *state;
    record(f, 0, 1000);
    record(f, 0, 2000); /* same as-of day: replaced */
    record(f, 1, 3000);
    const cvo_snapshot_info *list = NULL;
    size_t n = 0;
    assert_int_equal(cvo_history_snapshots(f->history, &list, &n), CVO_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].as_of_day, cvo_analysis_as_of(f->analysis[0]));
    assert_int_equal(list[0].created_unix, 2000);
    assert_int_equal(list[0].customers, customers_of(f, 0));
    assert_int_equal(list[1].customers, customers_of(f, 1));
    assert_string_equal(list[1].version, cvo_version());
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshots"), 2);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshot_customers"),
                     (int64_t)(customers_of(f, 0) + customers_of(f, 1)));
    assert_int_equal(query_int(f, "PRAGMA user_version"), 2);
    /* the replaced snapshot left no row behind */
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshot_list"), 2);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshot_customer_rows"),
                     (int64_t)(customers_of(f, 0) + customers_of(f, 1)));
}

/* ---- runs: pending, committed, settled on the next open ---------------------------------- */

typedef struct run_dirs {
    char root[64], output[128], lock[128], dir[4][128];
} run_dirs;

static void make_run_dirs(run_dirs *d)
{
    snprintf(d->root, sizeof d->root, "/tmp/cvo_test_runs_XXXXXX");
    assert_non_null(mkdtemp(d->root));
    snprintf(d->output, sizeof d->output, "%s/out", d->root);
    snprintf(d->lock, sizeof d->lock, "%s/out.lock", d->root);
    for (int k = 0; k < 4; k++) {
        snprintf(d->dir[k], sizeof d->dir[k], "%s/run%d", d->root, k);
        assert_int_equal(mkdir(d->dir[k], 0777), 0);
    }
    int fd = open(d->lock, O_CREAT | O_RDWR, 0666);
    assert_true(fd >= 0);
    close(fd);
}

static void remove_run_dirs(const run_dirs *d)
{
    unlink(d->output);
    unlink(d->lock);
    for (int k = 0; k < 4; k++)
        rmdir(d->dir[k]);
    rmdir(d->root);
}

static void point_output_at(const run_dirs *d, int k)
{
    unlink(d->output);
    assert_int_equal(symlink(d->dir[k], d->output), 0);
}

static void begin_run(fixture *f, const run_dirs *d, int k, int analysis, int64_t created)
{
    char id[16];
    snprintf(id, sizeof id, "run%d", k);
    const cvo_customers *c = cvo_analysis_customers(f->analysis[analysis]);
    cvo_run_record run = {id,      d->output, d->dir[k], d->lock, created,
                          cvo_analysis_as_of(f->analysis[analysis]),
                          100,     3,         cvo_customers_count(c), 0, 0};
    cvo_history_record_options o = {created, NULL, NULL};
    if (cvo_history_begin_run(f->history, &run, f->analysis[analysis], &o) != CVO_OK)
        fail_msg("begin_run: %s", cvo_ctx_message(f->ctx));
}

static void reopen(fixture *f)
{
    cvo_history_close(f->history);
    f->history = NULL;
    assert_int_equal(cvo_history_open(f->ctx, f->db, &f->history), CVO_OK);
}

static int64_t run_state_is(const fixture *f, const char *run_id, const char *state)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE run_id = '%s' AND state = '%s'",
             run_id, state);
    return query_int(f, sql);
}

static void test_runs_commit_and_settle(void **state)
{
    fixture *f = *state;
    run_dirs d;
    make_run_dirs(&d);
    record(f, 0, 1000);
    /* pending beside the committed snapshot of the same day: invisible until committed */
    begin_run(f, &d, 0, 0, 2000);
    assert_int_equal(query_int(f, "SELECT created_at = '1970-01-01T00:16:40Z' FROM snapshots"), 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshot_list"), 2);
    assert_int_equal(cvo_history_commit_run(f->history, "run0"), CVO_OK);
    assert_int_equal(cvo_history_commit_run(f->history, "run0"), CVO_OK); /* settled already */
    assert_int_equal(query_int(f, "SELECT created_at = '1970-01-01T00:33:20Z' FROM snapshots"), 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshot_customer_rows"),
                     (int64_t)customers_of(f, 0));
    /* killed before its link was switched: abandoned on the next open */
    begin_run(f, &d, 1, 1, 3000);
    reopen(f);
    assert_int_equal(run_state_is(f, "run1", "abandoned"), 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshots"), 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshot_list"), 1);
    /* killed after the switch: committed on the next open */
    begin_run(f, &d, 2, 1, 4000);
    point_output_at(&d, 2);
    reopen(f);
    assert_int_equal(run_state_is(f, "run2", "committed"), 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshots"), 2);
    /* alive (its lock held): left alone by an open, settled by its own output's reconcile */
    begin_run(f, &d, 3, 2, 5000);
    point_output_at(&d, 3);
    int fd = open(d.lock, O_RDWR);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    reopen(f);
    assert_int_equal(run_state_is(f, "run3", "pending"), 1);
    assert_int_equal(cvo_history_reconcile(f->history, d.output), CVO_OK);
    assert_int_equal(run_state_is(f, "run3", "committed"), 1);
    close(fd);
    cvo_run_info last;
    bool found = false;
    assert_int_equal(cvo_history_last_run(f->history, d.output, &last, &found), CVO_OK);
    assert_true(found);
    assert_string_equal(last.run_id, "run3");
    assert_int_equal(last.created_unix, 5000);
    assert_int_equal(last.customers, customers_of(f, 2));
    assert_int_equal(last.rejected, 3);
    assert_int_equal(cvo_history_commit_run(f->history, "run1"), CVO_ERR_ARGUMENT);
    assert_int_equal(cvo_history_set_run_summary(f->history, "run3", "{}"), CVO_OK);
    assert_int_equal(cvo_history_set_run_summary(f->history, "nope", "{}"), CVO_ERR_ARGUMENT);
    remove_run_dirs(&d);
}

/* A version 1 file (snapshots keyed by as_of) is upgraded with every row. */
static void test_upgrade_from_version_1(void **state)
{
    fixture *f = *state;
    cvo_history_close(f->history);
    f->history = NULL;
    unlink(f->db);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    const char *v1 =
        "CREATE TABLE snapshots (as_of TEXT PRIMARY KEY NOT NULL, created_at TEXT NOT NULL,"
        " customers INTEGER NOT NULL, revenue_cents INTEGER NOT NULL, cvo_version TEXT NOT NULL);"
        "CREATE TABLE snapshot_segments (as_of TEXT NOT NULL REFERENCES snapshots(as_of),"
        " position INTEGER NOT NULL, segment TEXT NOT NULL, is_top INTEGER NOT NULL,"
        " customers INTEGER NOT NULL, revenue_cents INTEGER NOT NULL,"
        " PRIMARY KEY (as_of, position)) WITHOUT ROWID;"
        "CREATE TABLE snapshot_customers (as_of TEXT NOT NULL REFERENCES snapshots(as_of),"
        " customer_key TEXT NOT NULL, customer_id TEXT NOT NULL, email TEXT NOT NULL,"
        " first_order_date TEXT NOT NULL, last_order_date TEXT NOT NULL,"
        " recency_days INTEGER NOT NULL, frequency INTEGER NOT NULL,"
        " monetary_cents INTEGER NOT NULL, r_score INTEGER NOT NULL, f_score INTEGER NOT NULL,"
        " m_score INTEGER NOT NULL, segment TEXT NOT NULL, in_top INTEGER NOT NULL,"
        " predicted_clv_cents INTEGER, p_alive REAL, profit_cents INTEGER,"
        " predicted_profit_cents INTEGER, previous_segment TEXT, segment_since TEXT NOT NULL,"
        " PRIMARY KEY (as_of, customer_key)) WITHOUT ROWID;"
        "INSERT INTO snapshots VALUES ('2025-01-01', '2025-01-01T00:00:00Z', 2, 500, '0.1.0'),"
        " ('2025-02-01', '2025-02-01T00:00:00Z', 1, 300, '0.1.0');"
        "INSERT INTO snapshot_segments VALUES ('2025-01-01', 0, 'Lovers', 1, 2, 500),"
        " ('2025-02-01', 0, 'Lovers', 1, 1, 300);"
        "INSERT INTO snapshot_customers VALUES"
        " ('2025-01-01', 'A', 'A', 'a@x.org', '2024-01-01', '2024-12-01', 31, 2, 200, 5, 4, 3,"
        " 'Lovers', 1, 900, 0.5, 100, NULL, NULL, '2025-01-01'),"
        " ('2025-01-01', 'B', 'B', 'b@x.org', '2024-02-01', '2024-11-01', 61, 1, 300, 4, 3, 4,"
        " 'Lovers', 1, NULL, NULL, NULL, NULL, NULL, '2025-01-01'),"
        " ('2025-02-01', 'A', 'A', 'a@x.org', '2024-01-01', '2025-01-15', 17, 3, 300, 5, 5, 4,"
        " 'Lovers', 1, 1200, 0.9, 150, 400, 'Friends', '2025-01-01');"
        "PRAGMA user_version = 1;";
    assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cvo_history_open(f->ctx, f->db, &f->history), CVO_OK);
    assert_int_equal(query_int(f, "PRAGMA user_version"), 2);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshots"), 2);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshot_segments"), 2);
    assert_int_equal(query_int(f, "SELECT sum(monetary_cents) FROM snapshot_customers"), 800);
    assert_int_equal(
        query_int(f, "SELECT count(*) FROM snapshot_customers WHERE as_of = '2025-02-01'"
                     " AND previous_segment = 'Friends' AND predicted_profit_cents = 400"),
        1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'v1_%'"), 0);
    const cvo_snapshot_info *list = NULL;
    size_t n = 0;
    assert_int_equal(cvo_history_snapshots(f->history, &list, &n), CVO_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[1].revenue_cents, 300);
}

/* ---- migration against an independent comparison ----------------------------------------- */

static const char *key_of(const cvo_customer *c)
{
    return c->customer_id[0] ? c->customer_id : c->email;
}

/* Index of key in analysis k, or -1 (linear: the tables are small). */
static long find(const fixture *f, int k, const char *key)
{
    const cvo_customers *c = cvo_analysis_customers(f->analysis[k]);
    for (size_t i = 0; i < cvo_customers_count(c); i++)
        if (strcmp(key_of(cvo_customers_at(c, i)), key) == 0)
            return (long)i;
    return -1;
}

static const char *segment_of(const fixture *f, int k, size_t i)
{
    const cvo_analysis *a = f->analysis[k];
    return cvo_scheme_segment_name(cvo_analysis_scheme(a),
                                   cvo_rfm_scores(cvo_analysis_rfm(a))[i].segment);
}

static void expect_customer(const fixture *f, const cvo_migration_customer *m, size_t i,
                            cvo_migration_totals *counted)
{
    const cvo_customer *c = cvo_customers_at(cvo_analysis_customers(f->analysis[1]), i);
    long j = find(f, 0, key_of(c));
    if (j < 0) {
        counted->new_customers++;
        assert_null(m->then_segment);
        assert_int_equal(m->previous_r, 0);
        return;
    }
    const cvo_score *now = &cvo_rfm_scores(cvo_analysis_rfm(f->analysis[1]))[i];
    const cvo_score *then = &cvo_rfm_scores(cvo_analysis_rfm(f->analysis[0]))[j];
    bool top_then = then->segment < TOP_SEGMENTS, top_now = now->segment < TOP_SEGMENTS;
    counted->in_both++;
    counted->r_dropped += now->r < then->r;
    counted->entered_top += !top_then && top_now;
    counted->left_top += top_then && !top_now;
    counted->changed_segment += strcmp(segment_of(f, 0, (size_t)j), segment_of(f, 1, i)) != 0;
    assert_string_equal(m->then_segment, segment_of(f, 0, (size_t)j));
    assert_int_equal(m->previous_r, then->r);
    assert_int_equal(m->r_dropped, now->r < then->r);
    assert_int_equal(m->entered_top, !top_then && top_now);
    assert_int_equal(m->left_top, top_then && !top_now);
}

static void test_migration_counts(void **state)
{
    fixture *f = *state;
    record(f, 0, 1000);
    cvo_migration *m = NULL;
    assert_int_equal(cvo_migration_from_analysis(f->history, f->analysis[1], &m), CVO_OK);
    assert_true(cvo_migration_has_previous(m));
    assert_int_equal(cvo_migration_from_day(m), cvo_analysis_as_of(f->analysis[0]));
    const cvo_migration_totals *t = cvo_migration_overall(m);
    uint64_t cells = 0;
    size_t n = cvo_migration_segment_count(m);
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            cells += cvo_migration_cell_at(m, a, b)->customers;
    assert_int_equal(cells, t->in_both);
    assert_int_equal(t->in_both + t->gone_customers, customers_of(f, 0));
    assert_int_equal(t->in_both + t->new_customers, customers_of(f, 1));
    size_t count = 0;
    const cvo_migration_customer *rows = cvo_migration_customers(m, &count);
    assert_int_equal(count, customers_of(f, 1));
    cvo_migration_totals counted;
    memset(&counted, 0, sizeof counted);
    for (size_t i = 0; i < count; i++)
        expect_customer(f, &rows[i], i, &counted);
    assert_int_equal(counted.in_both, t->in_both);
    assert_int_equal(counted.new_customers, t->new_customers);
    assert_int_equal(counted.r_dropped, t->r_dropped);
    assert_int_equal(counted.entered_top, t->entered_top);
    assert_int_equal(counted.left_top, t->left_top);
    assert_int_equal(counted.changed_segment, t->changed_segment);
    assert_true(t->r_dropped > 0 && t->changed_segment > 0 && t->in_both > 100);
    /* the same migration read back from two recorded snapshots */
    record(f, 1, 2000);
    cvo_migration *between = NULL;
    assert_int_equal(cvo_migration_between(f->history, INT32_MIN, INT32_MIN, &between), CVO_OK);
    assert_memory_equal(cvo_migration_overall(between), t, sizeof *t);
    assert_null(cvo_migration_customers(between, &count));
    cvo_migration_free(between);
    cvo_migration_free(m);
}

/* Previous segment and change day over three snapshots. */
static void expect_carried(const fixture *f, const cvo_migration_customer *m, size_t i)
{
    const char *key = key_of(cvo_customers_at(cvo_analysis_customers(f->analysis[2]), i));
    long j1 = find(f, 1, key), j0 = find(f, 0, key);
    const char *s2 = segment_of(f, 2, i);
    const char *s1 = j1 >= 0 ? segment_of(f, 1, (size_t)j1) : NULL;
    const char *s0 = j0 >= 0 && j1 >= 0 ? segment_of(f, 0, (size_t)j0) : NULL;
    if (s1 && strcmp(s1, s2) != 0) {
        assert_string_equal(m->previous_segment, s1);
        assert_int_equal(m->segment_changed_day, cvo_analysis_as_of(f->analysis[2]));
    } else if (s1 && s0 && strcmp(s0, s1) != 0) {
        assert_string_equal(m->previous_segment, s0);
        assert_int_equal(m->segment_changed_day, cvo_analysis_as_of(f->analysis[1]));
    } else {
        assert_null(m->previous_segment);
        assert_int_equal(m->segment_changed_day, INT32_MIN);
    }
}

static void test_previous_segment_carried(void **state)
{
    fixture *f = *state;
    record(f, 0, 1000);
    record(f, 1, 2000);
    cvo_migration *m = NULL;
    assert_int_equal(cvo_migration_from_analysis(f->history, f->analysis[2], &m), CVO_OK);
    size_t count = 0;
    const cvo_migration_customer *rows = cvo_migration_customers(m, &count);
    size_t carried = 0;
    for (size_t i = 0; i < count; i++) {
        expect_carried(f, &rows[i], i);
        carried += rows[i].previous_segment != NULL && !rows[i].segment_changed;
    }
    assert_true(carried > 0); /* some come from the older snapshot */
    cvo_migration_free(m);
}

static void test_events_follow_migration(void **state)
{
    fixture *f = *state;
    record(f, 0, 1000);
    cvo_migration *m = NULL;
    assert_int_equal(cvo_migration_from_analysis(f->history, f->analysis[1], &m), CVO_OK);
    FILE *out = tmpfile();
    assert_non_null(out);
    assert_int_equal(cvo_write_klaviyo_events_migration(f->ctx, f->analysis[1], m, out), CVO_OK);
    rewind(out);
    char line[4096];
    uint64_t changed = 0, dropped = 0;
    while (fgets(line, sizeof line, out)) {
        changed += strstr(line, "\"name\":\"CVO Segment Changed\"") != NULL;
        dropped += strstr(line, "\"name\":\"CVO Recency Dropped\"") != NULL;
    }
    fclose(out);
    assert_int_equal(changed, cvo_migration_overall(m)->changed_segment);
    assert_int_equal(dropped, cvo_migration_overall(m)->r_dropped);
    cvo_migration_free(m);
}

/* lists/movers.csv: one row per mover; each flag column sums to its total. */
static void test_movers_list(void **state)
{
    fixture *f = *state;
    record(f, 0, 1000);
    cvo_migration *m = NULL;
    assert_int_equal(cvo_migration_from_analysis(f->history, f->analysis[1], &m), CVO_OK);
    FILE *out = tmpfile();
    assert_non_null(out);
    assert_int_equal(cvo_write_movers(f->ctx, f->analysis[1], m, out), CVO_OK);
    rewind(out);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, out));
    assert_string_equal(line, "Email,customer_id,segment_then,segment_now,r_then,r_now,"
                              "segment_changed,r_dropped,entered_top,left_top,"
                              "segment_changed_at\n");
    uint64_t rows = 0, sums[4] = {0, 0, 0, 0};
    while (fgets(line, sizeof line, out)) {
        const char *p = line; /* the flags are fields 7..10 (no field here holds a comma) */
        for (int k = 0; k < 6; k++)
            p = strchr(p, ',') + 1;
        for (int k = 0; k < 4; k++, p += 2)
            sums[k] += p[0] == '1';
        rows++;
    }
    fclose(out);
    const cvo_migration_totals *t = cvo_migration_overall(m);
    assert_int_equal(sums[0], t->changed_segment);
    assert_int_equal(sums[1], t->r_dropped);
    assert_int_equal(sums[2], t->entered_top);
    assert_int_equal(sums[3], t->left_top);
    assert_true(rows > 0 && rows <= t->changed_segment + t->r_dropped);
    assert_true(rows >= t->changed_segment && rows >= t->r_dropped);
    /* a migration between two snapshots has no customers of an analysis */
    cvo_migration *between = NULL;
    record(f, 1, 1001);
    assert_int_equal(cvo_migration_between(f->history, INT32_MIN, INT32_MIN, &between), CVO_OK);
    out = tmpfile();
    assert_int_equal(cvo_write_movers(f->ctx, f->analysis[1], between, out), CVO_ERR_ARGUMENT);
    fclose(out);
    cvo_migration_free(between);
    cvo_migration_free(m);
}

static void test_no_previous(void **state)
{
    fixture *f = *state;
    cvo_migration *m = NULL;
    assert_int_equal(cvo_migration_from_analysis(f->history, f->analysis[0], &m), CVO_OK);
    assert_false(cvo_migration_has_previous(m));
    assert_int_equal(cvo_migration_overall(m)->in_both, 0);
    cvo_migration_free(m);
    assert_int_equal(cvo_migration_between(f->history, INT32_MIN, INT32_MIN, &m), CVO_ERR_ARGUMENT);
    assert_null(m);
}

/* ---- trend --------------------------------------------------------------------------- */

static void exec_sql(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Snapshot s of the trend holds analysis k's segment table, cell by cell. */
static void expect_trend_snapshot(const fixture *f, const cvo_trend *t, size_t s, int k)
{
    const cvo_analysis *a = f->analysis[k];
    const cvo_segment_row *rows = cvo_analysis_segments(a);
    size_t n = cvo_scheme_segment_count(cvo_analysis_scheme(a));
    assert_int_equal(cvo_trend_day(t, s), cvo_analysis_as_of(a));
    uint64_t customers = 0;
    for (size_t g = 0; g < n; g++) {
        assert_string_equal(cvo_trend_segment_name(t, g), rows[g].name);
        const cvo_trend_cell *c = cvo_trend_cell_at(t, s, g);
        assert_non_null(c);
        assert_int_equal(c->customers, rows[g].customers);
        assert_int_equal(c->revenue_cents, rows[g].revenue_cents);
        customers += c->customers;
    }
    assert_int_equal(customers, customers_of(f, k));
}

static void test_trend(void **state)
{
    fixture *f = *state;
    cvo_trend *t = NULL;
    assert_int_equal(cvo_history_trend(f->history, 5, &t), CVO_OK); /* empty database */
    assert_int_equal(cvo_trend_snapshot_count(t), 0);
    assert_int_equal(cvo_trend_segment_count(t), 0);
    assert_null(cvo_trend_cell_at(t, 0, 0));
    cvo_trend_free(t);
    for (int k = 0; k < DAYS; k++)
        record(f, k, 1000 + k);
    assert_int_equal(cvo_history_trend(f->history, 2, &t), CVO_OK); /* the latest two */
    assert_int_equal(cvo_trend_snapshot_count(t), 2);
    expect_trend_snapshot(f, t, 0, 1);
    expect_trend_snapshot(f, t, 1, 2);
    assert_int_equal(cvo_trend_day(t, 2), INT32_MIN);
    assert_string_equal(cvo_trend_segment_name(t, 999), "");
    cvo_trend_free(t);
    assert_int_equal(cvo_history_trend(f->history, 1000, &t), CVO_OK);
    assert_int_equal(cvo_trend_snapshot_count(t), DAYS);
    for (int k = 0; k < DAYS; k++)
        expect_trend_snapshot(f, t, (size_t)k, k);
    cvo_trend_free(t);
    assert_int_equal(cvo_history_trend(f->history, 0, &t), CVO_ERR_ARGUMENT);
    assert_null(t);
    assert_int_equal(cvo_history_trend(f->history, 1001, &t), CVO_ERR_ARGUMENT);
    cvo_trend_free(NULL);
}

/* A segment the latest snapshot lacks comes after its segments, with 0 where absent. */
static void test_trend_matches_by_name(void **state)
{
    fixture *f = *state;
    record(f, 0, 1000);
    record(f, 1, 2000);
    char sql[320], day[11];
    cvo_day_format(cvo_analysis_as_of(f->analysis[0]), day);
    snprintf(sql, sizeof sql,
             "UPDATE snapshot_segment_rows SET segment = 'Retired' WHERE position = 0 AND"
             " snapshot_id = (SELECT id FROM snapshot_list WHERE as_of = '%s')",
             day);
    exec_sql(f, sql);
    cvo_trend *t = NULL;
    assert_int_equal(cvo_history_trend(f->history, 10, &t), CVO_OK);
    size_t n = cvo_scheme_segment_count(cvo_analysis_scheme(f->analysis[1]));
    assert_int_equal(cvo_trend_segment_count(t), n + 1);
    assert_string_equal(cvo_trend_segment_name(t, n), "Retired");
    const cvo_segment_row *then = cvo_analysis_segments(f->analysis[0]);
    assert_int_equal(cvo_trend_cell_at(t, 0, n)->customers, then[0].customers);
    assert_int_equal(cvo_trend_cell_at(t, 0, 0)->customers, 0);
    assert_int_equal(cvo_trend_cell_at(t, 1, n)->customers, 0);
    expect_trend_snapshot(f, t, 1, 1);
    cvo_trend_free(t);
}


/* ---- erasure ------------------------------------------------------------------------- */

/* Every snapshot's totals equal the sums of its customer rows and of its segments. */
static void expect_totals_add_up(const fixture *f)
{
    assert_int_equal(
        query_int(f, "SELECT count(*) FROM snapshots s WHERE customers != (SELECT count(*)"
                     " FROM snapshot_customers c WHERE c.as_of = s.as_of) OR revenue_cents !="
                     " (SELECT sum(monetary_cents) FROM snapshot_customers c WHERE c.as_of ="
                     " s.as_of) OR orders != (SELECT sum(frequency) FROM snapshot_customers c"
                     " WHERE c.as_of = s.as_of)"),
        0);
    assert_int_equal(
        query_int(f, "SELECT count(*) FROM snapshot_segments g WHERE customers != (SELECT"
                     " count(*) FROM snapshot_customers c WHERE c.as_of = g.as_of AND"
                     " c.segment = g.segment) OR revenue_cents != (SELECT"
                     " coalesce(sum(monetary_cents), 0) FROM snapshot_customers c WHERE"
                     " c.as_of = g.as_of AND c.segment = g.segment)"),
        0);
}

static void test_forget(void **state)
{
    fixture *f = *state;
    for (int k = 0; k < DAYS; k++)
        record(f, k, 1000 + k);
    expect_totals_add_up(f);
    cvo_id_key key;
    memset(&key, 7, sizeof key);
    /* one customer of the last table by id, another by its e-mail in capitals */
    const cvo_customers *c = cvo_analysis_customers(f->analysis[2]);
    const cvo_customer *by_id = cvo_customers_at(c, 0), *by_email = cvo_customers_at(c, 1);
    char email[256], sql[512], keyed[KEYED_HEX + 1];
    snprintf(email, sizeof email, "  %s ", by_email->email);
    for (char *p = email; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    keyed_customer(&key, by_id->customer_id, "", keyed);
    snprintf(sql, sizeof sql,
             "INSERT INTO push_ledger VALUES ('gorgias-ticket', 'k1', '%s', 'done', NULL, NULL);"
             "INSERT INTO klaviyo_property_sets (id, names) VALUES (1, 'CVO VIP\n');"
             "INSERT INTO klaviyo_profiles VALUES ('%s', 1)",
             keyed, keyed);
    exec_sql(f, sql);
    int64_t rows = query_int(f, "SELECT count(*) FROM snapshot_customer_rows");
    const char *who[3] = {by_id->customer_id, email, "stranger@example.com"};
    cvo_forget_result r;
    assert_int_equal(cvo_history_forget(f->history, &key, who, 3, 5000, &r), CVO_OK);
    assert_int_equal(r.matched, 2);
    assert_int_equal(r.ledger_rows, 2);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM snapshot_customer_rows WHERE customer_key IN ('%s', '%s')"
             " OR email IN ('%s', '%s')",
             by_id->customer_id, by_email->customer_id, by_id->email, by_email->email);
    assert_int_equal(query_int(f, sql), 0);
    assert_int_equal(query_int(f, "SELECT count(*) FROM snapshot_customer_rows"),
                     rows - (int64_t)r.snapshot_rows);
    assert_true(r.snapshot_rows >= 2);
    expect_totals_add_up(f);
    /* nothing in the clear: the suppression entries are keyed hashes */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM suppressed WHERE customer LIKE '%%@%%' OR"
                              " customer = '%s'", by_id->customer_id);
    assert_int_equal(query_int(f, sql), 0);
    assert_int_equal(query_int(f, "SELECT count(*) FROM suppressed"), (int64_t)r.suppressed);
    /* later tables leave exactly them out */
    size_t n = cvo_customers_count(c), dropped = 0;
    bool *drop = calloc(n, sizeof *drop);
    assert_non_null(drop);
    assert_int_equal(cvo_history_forgotten(f->history, &key, c, drop, &dropped), CVO_OK);
    assert_int_equal(dropped, 2);
    assert_true(drop[0] && drop[1]);
    cvo_customers *kept = NULL;
    assert_int_equal(cvo_customers_without(f->ctx, c, drop, &kept), CVO_OK);
    assert_int_equal(cvo_customers_count(kept), n - 2);
    assert_string_equal(cvo_customers_at(kept, 0)->customer_id,
                        cvo_customers_at(c, 2)->customer_id);
    cvo_customers_free(kept);
    /* another key does not recognise them */
    cvo_id_key other;
    memset(&other, 8, sizeof other);
    assert_int_equal(cvo_history_forgotten(f->history, &other, c, drop, &dropped), CVO_OK);
    assert_int_equal(dropped, 0);
    free(drop);
    /* forgetting again changes nothing but is fine */
    assert_int_equal(cvo_history_forget(f->history, &key, who, 1, 6000, &r), CVO_OK);
    assert_int_equal(r.snapshot_rows, 0);
    assert_int_equal(r.suppressed, 0);
    const char *empty[1] = {"  "};
    assert_int_equal(cvo_history_forget(f->history, &key, empty, 1, 6000, &r), CVO_ERR_ARGUMENT);
}

/* ---- bad files ------------------------------------------------------------------------- */

static void test_bad_files(void **state)
{
    fixture *f = *state;
    cvo_history *h = NULL;
    assert_int_equal(cvo_history_open(f->ctx, f->orders, &h), CVO_ERR_IO); /* a CSV file */
    assert_null(h);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cvo_history_open(f->ctx, f->db, &h), CVO_ERR_FORMAT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "version 99"));
}

/* A database that cannot grow (the disk is full) is a write error, which the
 * command reports as such (exit status 4), not as unreadable input. */
static void test_full_database(void **state)
{
    fixture *f = *state;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->history->db, "PRAGMA page_count", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %d", sqlite3_column_int(st, 0));
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(f->history->db, sql, NULL, NULL, NULL), SQLITE_OK);
    cvo_history_record_options o = {0, NULL, NULL};
    assert_int_equal(cvo_history_record(f->history, f->analysis[0], &o), CVO_ERR_WRITE);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "full"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs_commit_and_settle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_version_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_previous_segment_carried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_follow_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_movers_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_previous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trend_matches_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_database, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
