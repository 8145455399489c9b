/* test_history.c - the history layer on a generated store: snapshots of three
 * as-of days in an SQLite file, a second record of a day replaces the first,
 * and the migration's counts, R drops, top-segment moves and carried previous
 * segments agree with an independent comparison of the analyses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cvo.h"
#include "history/history.h"

#include <sqlite3.h>
#include <stdio.h>
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
    assert_int_equal(query_int(f, "PRAGMA user_version"), 1);
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
        cmocka_unit_test_setup_teardown(test_migration_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_previous_segment_carried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_follow_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_movers_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_previous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_database, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
