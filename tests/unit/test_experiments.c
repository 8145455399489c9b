/* test_experiments.c - holdouts on a generated store: the arm draw's share
 * over 100,000 keys lies in its 99.9 % binomial interval; an experiment's
 * members keep their arm and entry day across runs at two as-of days, and
 * their arms agree with the keyed draw and with the list bits; a changed
 * share is an error naming both; --stop and --new; an abandoned run leaves no
 * experiment or member; cvo forget drops a member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/hmac.h"
#include "cvo.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAYS 2

typedef struct fixture {
    cvo_ctx *ctx;
    char orders[64], db[64];
    cvo_customers *all;
    cvo_config *config;
    int32_t day[DAYS];
    cvo_customers *table[DAYS];
    cvo_analysis *analysis[DAYS];
    cvo_experiments *experiments[DAYS];
    cvo_history *history;
    cvo_id_key key;
} fixture;

static void generate(fixture *f)
{
    snprintf(f->orders, sizeof f->orders, "/tmp/cvo_test_experiments_XXXXXX");
    int fd = mkstemp(f->orders);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "w");
    assert_non_null(out);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = 800;
    g.seed = 5;
    assert_int_equal(cvo_generate(f->ctx, &g, out, NULL, NULL), CVO_OK);
    assert_int_equal(fclose(out), 0);
}

static void analyze_days(fixture *f)
{
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = f->orders;
    o.keep_orders = true;
    assert_int_equal(cvo_orders_load(f->ctx, &o, &f->all, NULL), CVO_OK);
    f->day[0] = cvo_day_from_ymd(2025, 3, 1);
    f->day[1] = cvo_day_from_ymd(2025, 6, 1);
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
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "holdout", "winback", "0.3"), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "holdout", "vip", "0.25"), CVO_OK);
    generate(f);
    analyze_days(f);
    snprintf(f->db, sizeof f->db, "/tmp/cvo_test_experiments_db_XXXXXX");
    int fd = mkstemp(f->db);
    assert_true(fd >= 0);
    close(fd);
    unlink(f->db);
    assert_int_equal(cvo_history_open(f->ctx, f->db, &f->history), CVO_OK);
    memset(f->key.bytes, 0x5a, sizeof f->key.bytes);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cvo_history_close(f->history);
    for (int k = 0; k < DAYS; k++) {
        cvo_analysis_free(f->analysis[k]);
        cvo_experiments_free(f->experiments[k]);
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

static int64_t query_int(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
}

/* Prepares day k's experiments and holds their holdouts out of analysis k. */
static void hold_out(fixture *f, int k)
{
    cvo_status status =
        cvo_history_experiments_prepare(f->history, f->config, f->day[k], &f->experiments[k]);
    if (status != CVO_OK)
        fail_msg("prepare: %s", cvo_ctx_message(f->ctx));
    assert_int_equal(cvo_analysis_hold_out(f->analysis[k], f->experiments[k], &f->key), CVO_OK);
}

/* Records run k (pending with its snapshot); commits it when asked. */
static void run(fixture *f, int k, bool commit)
{
    char id[16], dir[32];
    snprintf(id, sizeof id, "run%d", k);
    snprintf(dir, sizeof dir, "/nonexistent/run%d", k);
    cvo_run_record r = {id,
                        "/nonexistent/out",
                        dir,
                        "/nonexistent/lock",
                        1000 + k,
                        f->day[k],
                        1,
                        0,
                        cvo_customers_count(f->table[k]),
                        0,
                        0};
    cvo_history_record_options o = {1000 + k, NULL, NULL};
    if (cvo_history_begin_run(f->history, &r, f->analysis[k], &o) != CVO_OK)
        fail_msg("begin_run: %s", cvo_ctx_message(f->ctx));
    if (commit)
        assert_int_equal(cvo_history_commit_run(f->history, id), CVO_OK);
}

/* ---- the draw ------------------------------------------------------------------ */

static void test_share_within_binomial_interval(void **state)
{
    (void)state;
    cvo_id_key key;
    memset(key.bytes, 7, sizeof key.bytes);
    static const double shares[] = {0.05, 0.2, 0.5};
    const size_t n = 100000;
    for (size_t s = 0; s < 3; s++) {
        size_t held = 0;
        for (size_t i = 0; i < n; i++) {
            char id[32];
            snprintf(id, sizeof id, "C%07zu", i);
            held += keyed_uniform(&key, "winback@2026-01-01", id, "") < shares[s];
        }
        /* 99.9 % two-sided: z = 3.2905 */
        double p = shares[s], half = 3.2905 * sqrt(n * p * (1 - p));
        if (fabs((double)held - n * p) > half)
            fail_msg("share %g: %zu of %zu held out, outside %g +- %g", p, held, n, n * p, half);
    }
}

/* ---- arms across runs ------------------------------------------------------------- */

typedef struct member_map {
    const fixture *f;
    int k;
    size_t seen;
    int32_t entry_min, entry_max;
} member_map;

/* Every list member of analysis k has the arm the keyed draw gives, and its
 * list and holdout bits agree with it. */
static void check_bits(const fixture *f, int k, const cvo_experiment_arms *x)
{
    const cvo_customer_result *r = cvo_analysis_results(f->analysis[k]);
    const cvo_customers *c = cvo_analysis_customers(f->analysis[k]);
    unsigned bit = x->info.list_bit;
    uint64_t treatment = 0, holdout = 0;
    for (size_t i = 0; i < cvo_customers_count(c); i++) {
        const cvo_customer *cu = cvo_customers_at(c, i);
        bool listed = (r[i].lists & bit) != 0, held = (r[i].holdout & bit) != 0;
        assert_false(listed && held);
        if (!listed && !held)
            continue;
        double u = keyed_uniform(&f->key, x->info.id, cu->customer_id, cu->email);
        assert_int_equal(held, u < x->info.share);
        if (held && bit == CVO_LIST_WINBACK)
            assert_int_equal(r[i].lists & CVO_LIST_WINBACK_DUE, 0);
        treatment += listed;
        holdout += held;
    }
    assert_int_equal(treatment, x->treatment);
    assert_int_equal(holdout, x->holdout);
}

static cvo_status count_member(void *user_data, const cvo_experiment_member *m)
{
    member_map *map = user_data;
    map->seen++;
    if (m->entry_day < map->entry_min)
        map->entry_min = m->entry_day;
    if (m->entry_day > map->entry_max)
        map->entry_max = m->entry_day;
    return CVO_OK;
}

static void test_arms_stable_across_runs(void **state)
{
    fixture *f = *state;
    hold_out(f, 0);
    assert_int_equal(cvo_experiments_count(f->experiments[0]), 2);
    const cvo_experiment_arms *w0 = cvo_experiments_find(f->experiments[0], CVO_LIST_WINBACK);
    assert_non_null(w0);
    assert_true(w0->starts);
    assert_true(w0->holdout > 0 && w0->treatment > 0);
    assert_int_equal(w0->entered, w0->holdout + w0->treatment);
    char date[11], id[48];
    cvo_day_format(f->day[0], date);
    snprintf(id, sizeof id, "winback@%s", date);
    assert_string_equal(w0->info.id, id);
    check_bits(f, 0, w0);
    run(f, 0, true);
    /* the second run at a later as-of: same experiment, recorded arms kept */
    hold_out(f, 1);
    const cvo_experiment_arms *w1 = cvo_experiments_find(f->experiments[1], CVO_LIST_WINBACK);
    assert_non_null(w1);
    assert_false(w1->starts);
    assert_string_equal(w1->info.id, id);
    assert_int_equal(w1->recorded, w0->holdout + w0->treatment);
    check_bits(f, 1, w1);
    assert_true(w1->entered <= w1->holdout + w1->treatment);
    run(f, 1, true);
    member_map map = {f, 1, 0, INT32_MAX, INT32_MIN};
    assert_int_equal(cvo_history_experiment_members(f->history, id, count_member, &map), CVO_OK);
    assert_int_equal(map.seen, w1->recorded + w1->entered);
    assert_int_equal(map.entry_min, f->day[0]);
    assert_int_equal(map.entry_max, w1->entered > 0 ? f->day[1] : f->day[0]);
    /* every member in both runs' lists: the one arm in the database */
    assert_int_equal(query_int(f, "SELECT count(*) FROM experiment_members WHERE state <> "
                                  "'committed'"),
                     0);
    assert_ptr_equal(cvo_analysis_experiments(f->analysis[1]), f->experiments[1]);
    assert_int_equal(cvo_analysis_hold_out(f->analysis[1], f->experiments[1], &f->key),
                     CVO_ERR_ARGUMENT);
}

/* ---- the share, --stop, --new ------------------------------------------------------ */

static void test_share_change_is_an_error(void **state)
{
    fixture *f = *state;
    hold_out(f, 0);
    run(f, 0, true);
    cvo_experiments *e = NULL;
    assert_int_equal(cvo_config_set(f->config, "holdout", "winback", "0.4"), CVO_OK);
    assert_int_equal(cvo_history_experiments_prepare(f->history, f->config, f->day[1], &e),
                     CVO_ERR_CONFIG);
    assert_null(e);
    const char *message = cvo_ctx_message(f->ctx);
    assert_non_null(strstr(message, "share is 0.4"));
    assert_non_null(strstr(message, "runs with share 0.3"));
    assert_non_null(strstr(message, "cvo experiments --new winback"));
    assert_int_equal(cvo_config_set(f->config, "holdout", "winback", "0"), CVO_OK);
    assert_int_equal(cvo_history_experiments_prepare(f->history, f->config, f->day[1], &e),
                     CVO_ERR_CONFIG);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "cvo experiments --stop winback"));
}

static void test_stop_and_new(void **state)
{
    fixture *f = *state;
    hold_out(f, 0);
    run(f, 0, true);
    /* a look back before the start: no holdout, a note */
    cvo_experiments *e = NULL;
    assert_int_equal(cvo_history_experiments_prepare(f->history, f->config, f->day[0] - 30, &e),
                     CVO_OK);
    assert_int_equal(cvo_experiments_count(e), 0);
    assert_non_null(strstr(cvo_experiments_note(e), "after this run's as-of date"));
    cvo_experiments_free(e);
    cvo_experiment_info stopped;
    assert_int_equal(cvo_history_experiment_stop(f->history, CVO_LIST_VIP, f->day[1], &stopped),
                     CVO_OK);
    assert_int_equal(stopped.stop_day, f->day[1]);
    assert_int_equal(cvo_history_experiment_stop(f->history, CVO_LIST_VIP, f->day[1], &stopped),
                     CVO_ERR_ARGUMENT);
    assert_int_equal(cvo_history_experiment_stop(f->history, CVO_LIST_EXCLUDE, f->day[1], &stopped),
                     CVO_ERR_ARGUMENT);
    /* stopped: a share holds no one out, and a note says so */
    assert_int_equal(cvo_history_experiments_prepare(f->history, f->config, f->day[1], &e), CVO_OK);
    assert_null(cvo_experiments_find(e, CVO_LIST_VIP));
    assert_non_null(cvo_experiments_find(e, CVO_LIST_WINBACK));
    assert_non_null(strstr(cvo_experiments_note(e), "was stopped"));
    cvo_experiments_free(e);
    /* --new the same day it started: a new id with a suffix */
    bool found = false;
    assert_int_equal(
        cvo_history_experiment_new(f->history, CVO_LIST_WINBACK, f->day[0], &stopped, &found),
        CVO_OK);
    assert_true(found);
    assert_int_equal(
        cvo_history_experiment_new(f->history, CVO_LIST_REFERRAL, f->day[0], &stopped, &found),
        CVO_OK);
    assert_false(found);
    assert_int_equal(cvo_history_experiments_prepare(f->history, f->config, f->day[0], &e), CVO_OK);
    const cvo_experiment_arms *w = cvo_experiments_find(e, CVO_LIST_WINBACK);
    assert_non_null(w);
    assert_true(w->starts);
    char date[11], id[48];
    cvo_day_format(f->day[0], date);
    snprintf(id, sizeof id, "winback@%s-2", date);
    assert_string_equal(w->info.id, id);
    cvo_experiments_free(e);
    const cvo_experiment_info *list = NULL;
    size_t count = 0;
    assert_int_equal(cvo_history_experiments(f->history, &list, &count), CVO_OK);
    assert_int_equal(count, 2);
    for (size_t i = 0; i < count; i++)
        assert_int_not_equal(list[i].stop_day, INT32_MIN);
}

/* ---- abandoned runs and forget ------------------------------------------------------- */

static void test_abandoned_run_leaves_no_members(void **state)
{
    fixture *f = *state;
    hold_out(f, 0);
    run(f, 0, false);
    assert_true(query_int(f, "SELECT count(*) FROM experiment_members") > 0);
    assert_int_equal(query_int(f, "SELECT count(*) FROM experiments"), 2);
    /* the next open settles the run: its directory was never published */
    cvo_history_close(f->history);
    assert_int_equal(cvo_history_open(f->ctx, f->db, &f->history), CVO_OK);
    assert_int_equal(query_int(f, "SELECT count(*) FROM runs WHERE state = 'abandoned'"), 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM experiment_members"), 0);
    assert_int_equal(query_int(f, "SELECT count(*) FROM experiments"), 0);
    /* the next run starts the experiments afresh */
    cvo_experiments *e = NULL;
    assert_int_equal(cvo_history_experiments_prepare(f->history, f->config, f->day[1], &e), CVO_OK);
    assert_true(cvo_experiments_find(e, CVO_LIST_WINBACK)->starts);
    cvo_experiments_free(e);
}

static void test_forget_drops_members(void **state)
{
    fixture *f = *state;
    hold_out(f, 0);
    run(f, 0, true);
    const cvo_customer_result *r = cvo_analysis_results(f->analysis[0]);
    const cvo_customers *c = cvo_analysis_customers(f->analysis[0]);
    size_t i = 0;
    while (i < cvo_customers_count(c) && !((r[i].lists | r[i].holdout) & CVO_LIST_WINBACK))
        i++;
    assert_true(i < cvo_customers_count(c));
    const cvo_customer *cu = cvo_customers_at(c, i);
    char keyed[KEYED_HEX + 1], sql[160];
    keyed_customer(&f->key, cu->customer_id, cu->email, keyed);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM experiment_members WHERE customer = '%s'",
             keyed);
    assert_true(query_int(f, sql) >= 1);
    const char *who[1] = {cu->customer_id[0] ? cu->customer_id : cu->email};
    cvo_forget_result result;
    assert_int_equal(cvo_history_forget(f->history, &f->key, who, 1, 5000, &result), CVO_OK);
    assert_int_equal(query_int(f, sql), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_within_binomial_interval),
        cmocka_unit_test_setup_teardown(test_arms_stable_across_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_share_change_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_and_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandoned_run_leaves_no_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_drops_members, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
