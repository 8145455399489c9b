/* test_experiment_read.c - cvo_experiments_measure over a history database holding the
 * experiment tables (docs/history.md): only committed experiments and members are
 * read, members are matched by their keyed identifier under [privacy] id_key, a row cvo
 * would not write is CVO_ERR_FORMAT, and a database without experiments CVO_ERR_EMPTY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/hmac.h"
#include "cvo.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char orders_csv[] = "order_id,customer_id,email,order_date,quantity,unit_price\n"
                                 "1,A,a@x.com,2025-01-10,1,10.00\n"
                                 "2,B,b@x.com,2025-01-11,1,20.00\n"
                                 "3,C,c@x.com,2025-01-12,1,30.00\n"
                                 "4,A,a@x.com,2025-03-10,1,15.00\n"
                                 "5,D,d@x.com,2025-04-20,1,40.00\n";

typedef struct fixture {
    cvo_ctx *ctx;
    cvo_config *config;
    cvo_customers *customers;
    char db[64], orders[64];
    cvo_id_key key;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "privacy", "id_key", "read-key"), CVO_OK);
    sha256("read-key", 8, f->key.bytes);
    snprintf(f->orders, sizeof f->orders, "/tmp/test_experiment_read_XXXXXX");
    int fd = mkstemp(f->orders);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, orders_csv, sizeof orders_csv - 1), (ssize_t)sizeof orders_csv - 1);
    close(fd);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = f->orders;
    lo.keep_orders = true;
    assert_int_equal(cvo_orders_load(f->ctx, &lo, &f->customers, NULL), CVO_OK);
    snprintf(f->db, sizeof f->db, "/tmp/test_experiment_read_db_XXXXXX");
    fd = mkstemp(f->db);
    assert_true(fd >= 0);
    close(fd);
    unlink(f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->db);
    unlink(f->orders);
    cvo_customers_free(f->customers);
    cvo_config_free(f->config);
    cvo_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK)
        fail_msg("%s: %s", sql, error);
}

static void add_member(fixture *f, sqlite3 *db, const char *experiment, const char *id,
                       const char *arm, const char *state)
{
    char keyed[KEYED_HEX + 1], sql[512];
    keyed_customer(&f->key, id, "", keyed);
    snprintf(sql, sizeof sql,
             "INSERT INTO experiment_members VALUES ('%s', '%s', '%s', '2025-02-01', NULL, '%s')",
             experiment, keyed, arm, state);
    exec(db, sql);
}

/* The database cvo_history_open makes (the experiment tables included), opened for rows. */
static sqlite3 *make_db(fixture *f)
{
    cvo_history *h = NULL;
    assert_int_equal(cvo_history_open(f->ctx, f->db, &h), CVO_OK);
    cvo_history_close(h);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    return db;
}

static cvo_status measure(fixture *f, cvo_experiment_results **r)
{
    cvo_history *h = NULL;
    assert_int_equal(cvo_history_open(f->ctx, f->db, &h), CVO_OK);
    cvo_status status = cvo_experiments_measure(f->ctx, h, f->customers, f->config, INT32_MIN, r);
    cvo_history_close(h);
    return status;
}

static void test_committed_only(void **state)
{
    fixture *f = *state;
    sqlite3 *db = make_db(f);
    exec(db, "INSERT INTO experiments VALUES ('winback@2025-02-01', 'winback', 0.5, "
             "'2025-02-01', NULL, 'orders', 30, 4, 0, NULL, 'committed'),"
             "('vip@2025-03-01', 'vip', 0.2, '2025-03-01', NULL, 'profit', 60, 0, 0, NULL, "
             "'pending')");
    add_member(f, db, "winback@2025-02-01", "A", "treatment", "committed");
    add_member(f, db, "winback@2025-02-01", "B", "holdout", "committed");
    add_member(f, db, "winback@2025-02-01", "C", "treatment", "committed");
    add_member(f, db, "winback@2025-02-01", "D", "holdout", "pending");
    sqlite3_close(db);
    cvo_experiment_results *r = NULL;
    assert_int_equal(measure(f, &r), CVO_OK);
    assert_int_equal(cvo_experiment_results_count(r), 1);
    const cvo_experiment_result *e = cvo_experiment_results_at(r, 0);
    assert_string_equal(e->info.id, "winback@2025-02-01");
    assert_int_equal(e->info.list_bit, CVO_LIST_WINBACK);
    assert_int_equal(e->info.primary, CVO_EXP_ORDERS);
    assert_int_equal(e->info.window_days, 30);
    assert_int_equal(e->stored, 3);
    assert_int_equal(e->missing, 0);
    assert_int_equal(e->members[0], 2);
    assert_int_equal(e->members[1], 1);
    /* A's order of 2025-03-10 is after the window [2025-02-01, 2025-03-03) */
    assert_true(e->metrics[CVO_EXP_ORDERS].treatment == 0);
    assert_int_equal(e->verdict, CVO_VERDICT_INTERIM);
    assert_string_equal(e->verdict_text, "interim: 3 of 4 members, no verdict yet");
    cvo_experiment_results_free(r);
}

static void test_bad_rows_and_empty(void **state)
{
    fixture *f = *state;
    sqlite3 *db = make_db(f);
    sqlite3_close(db);
    cvo_experiment_results *r = NULL;
    assert_int_equal(measure(f, &r), CVO_ERR_EMPTY);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "no experiment yet"));
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    exec(db, "INSERT INTO experiments VALUES ('exclude@2025-02-01', 'exclude', 0.5, "
             "'2025-02-01', NULL, 'orders', 30, 0, 0, NULL, 'committed')");
    sqlite3_close(db);
    assert_int_equal(measure(f, &r), CVO_ERR_FORMAT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "has a bad row"));
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_committed_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_rows_and_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
