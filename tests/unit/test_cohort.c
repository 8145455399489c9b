/* test_cohort.c - cvo_cohorts on a generated store against a brute-force
 * recomputation from the order table (every cell, exactly; the last cell's
 * profit against cvo_profit), and hand-made edge cases: same-day second
 * orders, customers whose orders all fall in month 0, as-of cuts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cvo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- files and loading --------------------------------------------------------------- */

static char *temp_file(const char *text, size_t len)
{
    char *path = strdup("/tmp/cvo_test_cohort_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static cvo_customers *load(cvo_ctx *ctx, const char *text, size_t len)
{
    char *path = temp_file(text, len);
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = path;
    o.keep_orders = true;
    cvo_customers *customers = NULL;
    cvo_status status = cvo_orders_load(ctx, &o, &customers, NULL);
    unlink(path);
    free(path);
    if (status != CVO_OK)
        fail_msg("load: %s", cvo_ctx_message(ctx));
    return customers;
}

static cvo_customers *load_generated(cvo_ctx *ctx, uint64_t customers, uint64_t seed)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = seed;
    assert_int_equal(cvo_generate(ctx, &g, f, NULL, NULL), CVO_OK);
    assert_int_equal(fclose(f), 0);
    cvo_customers *table = load(ctx, text, len);
    free(text);
    return table;
}

/* ---- the brute force ------------------------------------------------------------------- */

/* A day's calendar month as year * 12 + month - 1, read from its printed date
 * (not from the library's day arithmetic). */
static long month_key(int32_t day)
{
    char text[11];
    cvo_day_format(day, text);
    return strtol(text, NULL, 10) * 12 + strtol(text + 5, NULL, 10) - 1;
}

typedef struct expected_cell {
    uint64_t repeat, retained;
    int64_t revenue;
} expected_cell;

/* Customer i's contribution to the cell at calendar month m of their cohort,
 * by scanning all their orders before as_of. */
static void brute_customer(const cvo_customers *t, size_t i, int32_t as_of, long m,
                           expected_cell *e)
{
    size_t n = 0;
    const cvo_order *o = cvo_customers_orders(t, i, &n);
    bool repeat = false, retained = false;
    for (size_t k = 0; k < n; k++) {
        if (o[k].day >= as_of)
            continue;
        long mk = month_key(o[k].day);
        bool again = o[k].day > o[0].day;
        repeat |= again && mk == m;
        retained |= again && mk <= m;
        e->revenue += mk <= m ? o[k].net_cents : 0;
    }
    e->repeat += repeat;
    e->retained += retained;
}

/* Checks every cell of co against the brute force, and that the cohorts hold
 * exactly the customers with an order before as_of. */
static void check_against_brute_force(const cvo_customers *t, const cvo_cohorts *co, int32_t as_of)
{
    long as_of_month = month_key(as_of - 1);
    uint64_t members = 0, expected_members = 0;
    for (size_t i = 0; i < cvo_customers_count(t); i++) {
        size_t n = 0;
        const cvo_order *o = cvo_customers_orders(t, i, &n);
        expected_members += n > 0 && o[0].day < as_of;
    }
    for (size_t r = 0; r < cvo_cohorts_count(co); r++) {
        const cvo_cohort *c = cvo_cohorts_at(co, r);
        long cm = (long)c->year * 12 + c->month - 1;
        assert_int_equal(c->months, (size_t)(as_of_month - cm + 1));
        assert_null(cvo_cohorts_cell(co, r, c->months));
        uint64_t size = 0;
        for (size_t k = 0; k < c->months; k++) {
            expected_cell e = {0, 0, 0};
            size = 0;
            for (size_t i = 0; i < cvo_customers_count(t); i++) {
                size_t n = 0;
                const cvo_order *o = cvo_customers_orders(t, i, &n);
                if (n == 0 || o[0].day >= as_of || month_key(o[0].day) != cm)
                    continue;
                size++;
                brute_customer(t, i, as_of, cm + (long)k, &e);
            }
            const cvo_cohort_cell *cell = cvo_cohorts_cell(co, r, k);
            assert_non_null(cell);
            assert_int_equal(cell->repeat_customers, e.repeat);
            assert_int_equal(cell->retained_customers, e.retained);
            assert_int_equal(cell->revenue_cents, e.revenue);
            assert_true(cell->repeat_share == (double)e.repeat / (double)size);
            assert_true(cell->retention_share == (double)e.retained / (double)size);
            assert_true(cell->revenue_per_customer == (double)e.revenue / (double)size);
            assert_int_equal(cell->complete,
                             cm + (long)k < as_of_month || month_key(as_of) != as_of_month);
        }
        assert_int_equal(c->customers, size);
        assert_true(size > 0);
        members += size;
    }
    assert_int_equal(members, expected_members);
}

/* ---- the generated store ----------------------------------------------------------------- */

/* Every cell of the analysis' cohorts against the brute force; the last cell's
 * profit summed over the cohort equals cvo_profit's profit to date. */
static void test_generated_analysis(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *t = load_generated(ctx, 400, 11);
    cvo_config *config = NULL;
    assert_int_equal(cvo_config_new(ctx, &config), CVO_OK);
    assert_int_equal(cvo_config_set(config, "profit", "default_acquisition_cost", "12.5"), CVO_OK);
    cvo_analysis *a = NULL;
    if (cvo_analyze(ctx, t, NULL, config, &a) != CVO_OK)
        fail_msg("analyze: %s", cvo_ctx_message(ctx));
    const cvo_cohorts *co = cvo_analysis_cohorts(a);
    assert_non_null(co);
    assert_int_equal(cvo_cohorts_as_of(co), cvo_analysis_as_of(a));
    assert_true(cvo_cohorts_count(co) >= 30); /* three years of first orders */
    check_against_brute_force(t, co, cvo_analysis_as_of(a));
    const cvo_profit_row *rows = cvo_profit_rows(cvo_analysis_profit(a));
    for (size_t r = 0; r < cvo_cohorts_count(co); r++) {
        const cvo_cohort *c = cvo_cohorts_at(co, r);
        int64_t profit = 0, revenue = 0;
        for (size_t i = 0; i < cvo_customers_count(t); i++) {
            const cvo_customer *cu = cvo_customers_at(t, i);
            if (month_key(cu->first_order_day) == (long)c->year * 12 + c->month - 1) {
                profit += rows[i].profit_cents;
                revenue += cu->net_revenue_cents;
            }
        }
        assert_int_equal(c->cells[c->months - 1].profit_cents, profit);
        assert_int_equal(c->cells[c->months - 1].revenue_cents, revenue);
        assert_true(c->cells[0].profit_cents < c->cells[0].revenue_cents);
    }
    cvo_analysis_free(a);
    cvo_config_free(config);
    cvo_customers_free(t);
    cvo_ctx_free(ctx);
}

/* An as-of day in the middle of the history: later orders and customers are
 * left out, the as-of month is the last, partial cell. */
static void test_generated_as_of_cut(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *t = load_generated(ctx, 400, 12);
    static const int32_t cuts[][3] = {{2024, 6, 15}, {2024, 7, 1}, {2023, 2, 1}};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        int32_t as_of = cvo_day_from_ymd(cuts[c][0], cuts[c][1], cuts[c][2]);
        cvo_cohorts *co = NULL;
        assert_int_equal(cvo_cohorts_compute(ctx, t, NULL, as_of, &co), CVO_OK);
        assert_int_equal(cvo_cohorts_as_of(co), as_of);
        check_against_brute_force(t, co, as_of);
        const cvo_cohort *last = cvo_cohorts_at(co, cvo_cohorts_count(co) - 1);
        assert_non_null(last);
        assert_int_equal(last->cells[last->months - 1].complete, cuts[c][2] == 1);
        cvo_cohorts_free(co);
    }
    cvo_customers_free(t);
    cvo_ctx_free(ctx);
}

/* ---- by hand ------------------------------------------------------------------------------- */

#define HAND_HEADER "order_id,customer_id,email,order_date,sku,product,quantity,unit_price\n"

/* a: a second order the same day (not a repeat) and one later in January;
 * b: two orders, both on its first day; c: last day of January, then March;
 * d: February, then April; e: first order in April. */
static const char hand_rows[] = HAND_HEADER "1,a,,2024-01-05,S,p,1,10.00\n"
                                            "2,a,,2024-01-05,S,p,1,20.00\n"
                                            "3,b,,2024-01-10,S,p,1,5.00\n"
                                            "4,b,,2024-01-10,S,p,2,5.00\n"
                                            "5,a,,2024-01-20,S,p,1,1.00\n"
                                            "6,c,,2024-01-31,S,p,1,100.00\n"
                                            "7,d,,2024-02-15,S,p,1,40.00\n"
                                            "8,c,,2024-03-01,S,p,1,50.00\n"
                                            "9,d,,2024-04-02,S,p,1,60.00\n"
                                            "10,e,,2024-04-03,S,p,1,70.00\n";

/* summary.json carries the cohorts: as_of, then one row per cohort whose
 * arrays have one entry per month. */
static void test_summary_json(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *t = load(ctx, hand_rows, sizeof hand_rows - 1);
    cvo_config *config = NULL;
    assert_int_equal(cvo_config_new(ctx, &config), CVO_OK);
    cvo_analysis *a = NULL;
    if (cvo_analyze(ctx, t, NULL, config, &a) != CVO_OK)
        fail_msg("analyze: %s", cvo_ctx_message(ctx));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(cvo_write_summary_json(ctx, a, f), CVO_OK);
    assert_int_equal(fclose(f), 0);
    const char *co = strstr(text, "\"cohorts\":{\"as_of\":\"2024-04-04\",\"rows\":[");
    assert_non_null(co);
    assert_non_null(strstr(co, "{\"cohort\":\"2024-01\",\"customers\":3,\"last_complete\":false,"
                               "\"repeat_share\":[0.3333333333,0,0.3333333333,0],"
                               "\"retention_share\":[0.3333333333,0.3333333333,0.6666666667,"
                               "0.6666666667],\"revenue_per_customer\":[48.67,48.67,65.33,65.33]"));
    assert_non_null(strstr(co, "{\"cohort\":\"2024-04\",\"customers\":1,"));
    free(text);
    cvo_analysis_free(a);
    cvo_config_free(config);
    cvo_customers_free(t);
    cvo_ctx_free(ctx);
}

/* Margins equal to net revenue (no cost, no fees), acquisition 5.00. */
static cvo_config *plain_config(cvo_ctx *ctx)
{
    cvo_config *config = NULL;
    assert_int_equal(cvo_config_new(ctx, &config), CVO_OK);
    assert_int_equal(cvo_config_set(config, "profit", "default_margin", "1"), CVO_OK);
    assert_int_equal(cvo_config_set(config, "profit", "payment_fee_percent", "0"), CVO_OK);
    assert_int_equal(cvo_config_set(config, "profit", "payment_fee_fixed", "0"), CVO_OK);
    assert_int_equal(cvo_config_set(config, "profit", "default_acquisition_cost", "5"), CVO_OK);
    return config;
}

static void check_cell(const cvo_cohorts *co, size_t r, size_t k, uint64_t repeat,
                       uint64_t retained, int64_t revenue, int64_t profit, bool complete)
{
    const cvo_cohort_cell *cell = cvo_cohorts_cell(co, r, k);
    assert_non_null(cell);
    assert_int_equal(cell->repeat_customers, repeat);
    assert_int_equal(cell->retained_customers, retained);
    assert_int_equal(cell->revenue_cents, revenue);
    assert_int_equal(cell->profit_cents, profit);
    assert_int_equal(cell->complete, complete);
}

/* As of 2024-04-01: d's and e's April orders are left out; March is the last
 * month and complete. */
static void test_hand_month_end(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *t = load(ctx, hand_rows, sizeof hand_rows - 1);
    cvo_config *config = plain_config(ctx);
    cvo_cohorts *co = NULL;
    int32_t as_of = cvo_day_from_ymd(2024, 4, 1);
    assert_int_equal(cvo_cohorts_compute(ctx, t, config, as_of, &co), CVO_OK);
    assert_int_equal(cvo_cohorts_count(co), 2);
    assert_int_equal(cvo_cohorts_max_months(co), 3);
    const cvo_cohort *jan = cvo_cohorts_at(co, 0), *feb = cvo_cohorts_at(co, 1);
    assert_int_equal(jan->year, 2024);
    assert_int_equal(jan->month, 1);
    assert_int_equal(jan->customers, 3);
    assert_int_equal(jan->months, 3);
    assert_int_equal(feb->month, 2);
    assert_int_equal(feb->customers, 1);
    assert_int_equal(feb->months, 2);
    assert_null(cvo_cohorts_cell(co, 0, 3));
    assert_null(cvo_cohorts_cell(co, 1, 2));
    assert_null(cvo_cohorts_at(co, 2));
    /* January: a 31.00 + b 15.00 + c 100.00; a's Jan 20 order is the only repeat */
    check_cell(co, 0, 0, 1, 1, 14600, 14600 - 1500, true);
    check_cell(co, 0, 1, 0, 1, 14600, 14600 - 1500, true);
    check_cell(co, 0, 2, 1, 2, 19600, 19600 - 1500, true);
    check_cell(co, 1, 0, 0, 0, 4000, 3500, true);
    check_cell(co, 1, 1, 0, 0, 4000, 3500, true);
    assert_true(fabs(jan->cells[2].retention_share - 2.0 / 3) < 1e-15);
    assert_true(fabs(jan->cells[0].repeat_share - 1.0 / 3) < 1e-15);
    assert_true(jan->cells[2].revenue_per_customer == 19600.0 / 3);
    assert_true(jan->cells[2].profit_per_customer == 18100.0 / 3);
    check_against_brute_force(t, co, as_of);
    cvo_cohorts_free(co);
    cvo_config_free(config);
    cvo_customers_free(t);
    cvo_ctx_free(ctx);
}

/* As of the default (the day after the last order): April is the last,
 * partial month; e is a cohort of its own with a single cell. */
static void test_hand_default_as_of(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *t = load(ctx, hand_rows, sizeof hand_rows - 1);
    cvo_config *config = plain_config(ctx);
    cvo_cohorts *co = NULL;
    assert_int_equal(cvo_cohorts_compute(ctx, t, config, INT32_MIN, &co), CVO_OK);
    assert_int_equal(cvo_cohorts_as_of(co), cvo_day_from_ymd(2024, 4, 4));
    assert_int_equal(cvo_cohorts_count(co), 3);
    check_cell(co, 0, 3, 0, 2, 19600, 18100, false);
    check_cell(co, 1, 2, 1, 1, 10000, 9500, false);
    check_cell(co, 2, 0, 0, 0, 7000, 6500, false);
    assert_int_equal(cvo_cohorts_at(co, 2)->months, 1);
    check_against_brute_force(t, co, cvo_cohorts_as_of(co));
    cvo_cohorts_free(co);
    /* mid-March: c's March 1 order counts, March is partial */
    assert_int_equal(cvo_cohorts_compute(ctx, t, config, cvo_day_from_ymd(2024, 3, 15), &co),
                     CVO_OK);
    check_cell(co, 0, 2, 1, 2, 19600, 18100, false);
    cvo_cohorts_free(co);
    cvo_config_free(config);
    cvo_customers_free(t);
    cvo_ctx_free(ctx);
}

/* Only month-0 orders: a customer with several orders on the first day and
 * none later never counts as a repeat, in any month. */
static void test_hand_only_month_zero(void **state)
{
    (void)state;
    static const char rows[] = HAND_HEADER "1,x,,2024-05-02,S,p,1,10.00\n"
                                           "2,x,,2024-05-02,S,p,1,10.00\n"
                                           "3,y,,2024-05-03,S,p,1,10.00\n"
                                           "4,y,,2024-05-30,S,p,1,10.00\n"
                                           "5,z,,2024-08-01,S,p,1,10.00\n";
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *t = load(ctx, rows, sizeof rows - 1);
    cvo_cohorts *co = NULL;
    assert_int_equal(cvo_cohorts_compute(ctx, t, NULL, INT32_MIN, &co), CVO_OK);
    const cvo_cohort *may = cvo_cohorts_at(co, 0);
    assert_int_equal(may->customers, 2);
    assert_int_equal(may->months, 4);
    assert_int_equal(may->cells[0].repeat_customers, 1); /* y on May 30 */
    for (size_t k = 1; k < may->months; k++) {
        assert_int_equal(may->cells[k].repeat_customers, 0);
        assert_int_equal(may->cells[k].retained_customers, 1);
        assert_int_equal(may->cells[k].revenue_cents, 4000);
    }
    check_against_brute_force(t, co, cvo_cohorts_as_of(co));
    cvo_cohorts_free(co);
    cvo_customers_free(t);
    cvo_ctx_free(ctx);
}

static void test_errors(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *t = load(ctx, hand_rows, sizeof hand_rows - 1);
    cvo_cohorts *co = (cvo_cohorts *)1;
    /* before the first order: nothing to group */
    assert_int_equal(cvo_cohorts_compute(ctx, t, NULL, cvo_day_from_ymd(2024, 1, 5), &co),
                     CVO_ERR_EMPTY);
    assert_null(co);
    cvo_config *config = NULL;
    assert_int_equal(cvo_config_new(ctx, &config), CVO_OK);
    assert_int_equal(cvo_config_set(config, "profit", "acquisition_cost", "nocolon"), CVO_OK);
    assert_int_equal(cvo_cohorts_compute(ctx, t, config, INT32_MIN, &co), CVO_ERR_CONFIG);
    assert_null(co);
    cvo_config_free(config);
    cvo_customers_free(t);
    /* a table without its orders */
    char *path = temp_file(hand_rows, sizeof hand_rows - 1);
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = path;
    assert_int_equal(cvo_orders_load(ctx, &o, &t, NULL), CVO_OK);
    assert_int_equal(cvo_cohorts_compute(ctx, t, NULL, INT32_MIN, &co), CVO_ERR_ARGUMENT);
    assert_null(co);
    cvo_customers_free(t);
    unlink(path);
    free(path);
    assert_int_equal(cvo_cohorts_count(NULL), 0);
    assert_null(cvo_cohorts_at(NULL, 0));
    assert_null(cvo_cohorts_cell(NULL, 0, 0));
    cvo_cohorts_free(NULL);
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_analysis),
        cmocka_unit_test(test_generated_as_of_cut),
        cmocka_unit_test(test_hand_month_end),
        cmocka_unit_test(test_hand_default_as_of),
        cmocka_unit_test(test_hand_only_month_zero),
        cmocka_unit_test(test_summary_json),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
