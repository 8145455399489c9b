/* test_summary.c - BTYD summaries: built from the CDNOW event log they must
 * equal BTYD's published CBS (tests/data/cdnow_cbs.csv) customer by customer;
 * read from lifetimes / BTYD files they must keep every value; bad files fail
 * with file:line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cvo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cvo_ctx *new_ctx(void)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    return ctx;
}

static cvo_customers *load_elog(cvo_ctx *ctx, const char *path)
{
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = path;
    o.keep_orders = true;
    cvo_customers *c = NULL;
    cvo_load_stats st;
    assert_int_equal(cvo_orders_load(ctx, &o, &c, &st), CVO_OK);
    return c;
}

static void test_elog_equals_btyd_cbs(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_customers *c = load_elog(ctx, "tests/data/cdnowElog.csv");
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.calibration_end = cvo_day_from_ymd(1997, 9, 30);
    cvo_summary *mine = NULL, *btyd = NULL;
    assert_int_equal(cvo_summary_from_orders(ctx, c, &so, &mine), CVO_OK);
    assert_int_equal(cvo_summary_load(ctx, "tests/data/cdnow_cbs.csv", &btyd), CVO_OK);
    assert_int_equal(cvo_summary_count(mine), 2357);
    assert_int_equal(cvo_summary_count(btyd), 2357);
    assert_true(fabs(cvo_summary_holdout(mine) - 39.0) < 1e-12);
    /* both are in the order of the customers' first appearance (sample id order) */
    for (size_t i = 0; i < 2357; i++) {
        const cvo_summary_row *a = cvo_summary_at(mine, i), *b = cvo_summary_at(btyd, i);
        assert_true(a->x == b->x);
        assert_true(fabs(a->t_x - b->t_x) < 1e-8);
        assert_true(fabs(a->T - b->T) < 1e-8);
        assert_true(a->x_star == b->x_star);
        assert_true(fabs(a->m_x - b->m_x) < 1e-6);
    }
    cvo_summary_free(mine);
    cvo_summary_free(btyd);
    cvo_customers_free(c);
    cvo_ctx_free(ctx);
}

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/cvo-summary-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_same_day_is_one_occasion_and_holdout(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const char *path = write_temp("customer_id,order_date,order_total\n"
                                  "a,2024-01-01,10\na,2024-01-01,5\na,2024-01-08,20\n"
                                  "a,2024-01-15,30\na,2024-01-15,1\na,2024-02-01,7\n"
                                  "b,2024-01-20,3\nc,2024-01-29,4\n");
    cvo_customers *c = load_elog(ctx, path);
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.period = CVO_PERIOD_DAY;
    so.calibration_end = cvo_day_from_ymd(2024, 1, 21);
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_from_orders(ctx, c, &so, &s), CVO_OK);
    /* c's first purchase is after the calibration end: left out and counted */
    assert_int_equal(cvo_summary_count(s), 2);
    assert_int_equal(cvo_summary_born_after(s), 1);
    const cvo_summary_row *a = cvo_summary_at(s, 0);
    assert_string_equal(a->customer_id, "a");
    assert_true(a->x == 2 && a->t_x == 14 && a->T == 20 && a->x_star == 1);
    assert_true(fabs(a->m_x - (20 + 31) / 2.0) < 1e-12); /* repeat occasions only, summed per day */
    const cvo_summary_row *b = cvo_summary_at(s, 1);
    assert_true(b->x == 0 && b->t_x == 0 && b->T == 1 && b->m_x == 0);
    /* holdout runs to the last order day (2024-02-01): 11 days */
    assert_true(cvo_summary_holdout(s) == 11);
    cvo_summary_free(s);
    so.calibration_end = INT32_MIN;
    so.period = CVO_PERIOD_WEEK;
    so.whole_periods = true; /* lifetimes: whole Monday-Sunday weeks */
    assert_int_equal(cvo_summary_from_orders(ctx, c, &so, &s), CVO_OK);
    a = cvo_summary_at(s, 0);
    /* weeks of 2024-01-01 (Mon), -08, -15, -29 (Feb 1 is in the week of Jan 29) */
    assert_true(a->x == 3 && a->t_x == 4 && a->T == 4);
    cvo_summary_free(s);
    cvo_customers_free(c);
    unlink(path);
    cvo_ctx_free(ctx);
}

static void test_reads_lifetimes_and_weights(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_load(ctx, "tests/data/donations.csv", &s), CVO_OK);
    double weight = 0;
    for (size_t i = 0; i < cvo_summary_count(s); i++)
        weight += cvo_summary_at(s, i)->weight;
    assert_true(weight == 11104); /* the 1995 donor cohort */
    assert_true(cvo_summary_at(s, 0)->T == 6);
    assert_false(cvo_summary_has_holdout(s));
    cvo_summary_free(s);
    assert_int_equal(cvo_summary_load(ctx, "tests/data/cdnow_summary_with_transactions.csv", &s),
                     CVO_OK);
    assert_int_equal(cvo_summary_count(s), 2357);
    assert_string_equal(cvo_summary_at(s, 0)->customer_id, "1");
    assert_true(fabs(cvo_summary_at(s, 0)->m_x - 22.35) < 1e-12);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void expect_error(cvo_ctx *ctx, const char *text, const char *message)
{
    const char *path = write_temp(text);
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_load(ctx, path, &s), CVO_ERR_FORMAT);
    assert_null(s);
    assert_non_null(strstr(cvo_ctx_message(ctx), message));
    unlink(path);
}

static void test_bad_summaries(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    expect_error(ctx, "a,b\n1,2\n", ":1: needs columns");
    expect_error(ctx, "x,t_x,T\n1,2,3\n2,5,4\n", ":3: recency t_x is larger than T");
    expect_error(ctx, "x,t_x,T\n0,1,3\n", ":2: t_x must be 0 when x is 0");
    expect_error(ctx, "x,t_x,T\n1,1,3\n25,0,38.86\n",
                 ":3: inconsistent summary row: x = 25 repeat purchases with t_x = 0 (repeat "
                 "purchases need t_x > 0)");
    expect_error(ctx, "x,t_x,T\n1,abc,3\n", ":2: a field is not a number");
    expect_error(ctx, "frequency,recency,T,weights\n1,1,2,0\n", ":2: negative value");
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elog_equals_btyd_cbs),
        cmocka_unit_test(test_same_day_is_one_occasion_and_holdout),
        cmocka_unit_test(test_reads_lifetimes_and_weights),
        cmocka_unit_test(test_bad_summaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
