/* test_dive.c - cvo_dive_compute on a hand-made store whose every figure is
 * worked out below (memberships, censoring, means, rest = all - group, NPS),
 * and on a generated store where a row's test must equal the statistics of
 * per-customer values computed here from the orders; ranking and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis/dive.h"
#include "analysis/stats.h"
#include "cvo.h"

#include <math.h>

#define close_to(value, expected, tolerance) assert_true(fabs((value) - (expected)) <= (tolerance))

/* Five customers, as of 2025-01-01, repeat window 30 days:
 *   A 2024-01-01 SKU-A + SKU-B, code WELCOME; again 2024-01-10 (repeat) - US organic
 *   B 2024-01-01 SKU-A                                                 - US paid
 *   C 2024-02-01 SKU-B, code welcome; again 2024-06-01 (no repeat; 335 days old,
 *     too young for the 365-day means)                                 - SE organic
 *   D 2024-12-20 SKU-A: too young for either                           - SE paid
 *   E 2023-12-01 SKU-C refund 1.00; 2023-12-05 (repeat); 2025-02-01 after as-of - DE paid
 *     (delivered after 3, 7 and 2 days; the last is after the as-of day)
 * Revenue within 365 days: A 27 + 10 = 37, B 10, E 4 + 5 = 9. */
static const char ORDERS[] =
    "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,discount,"
    "unit_cost,shipping_cost,refund,country,discount_code,channel,delivered_at\n"
    "O1,A,a@x.org,2024-01-01,SKU-A,Beans A,1,10.00,1.00,,,0,US,WELCOME,organic,\n"
    "O1,A,a@x.org,2024-01-01,SKU-B,Beans B,1,20.00,2.00,,,0,US,WELCOME,organic,\n"
    "O2,A,a@x.org,2024-01-10,SKU-A,Beans A,1,10.00,0,,,0,US,,organic,\n"
    "O3,B,b@x.org,2024-01-01,SKU-A,Beans A,1,10.00,0,,,0,US,,paid,\n"
    "O4,C,c@x.org,2024-02-01,SKU-B,Beans B,1,20.00,2.00,,,0,SE,welcome,organic,\n"
    "O5,C,c@x.org,2024-06-01,SKU-C,Green Tea,1,5.00,0,,,0,SE,,organic,\n"
    "O6,D,d@x.org,2024-12-20,SKU-A,Beans A,1,10.00,0,,,0,SE,,paid,\n"
    "O7,E,e@x.org,2023-12-01,SKU-C,Green Tea,1,5.00,0,,,1.00,DE,,paid,2023-12-04\n"
    "O8,E,e@x.org,2023-12-05,SKU-C,Green Tea,1,5.00,0,,,0,DE,,paid,2023-12-12\n"
    "O9,E,e@x.org,2025-02-01,SKU-A,Beans A,1,10.00,0,,,0,DE,,paid,2025-02-03\n";

static const char PRODUCTS[] = "sku,product,unit_cost,category\n"
                               "SKU-A,Beans A,4.00,Beans\nSKU-B,Beans B,8.00,Beans\n"
                               "SKU-C,Green Tea,2.00,Tea\n";

/* A's latest post-delivery answer is a 3 (detractor), C's a 9; E's answer is
 * before delivery and does not count. */
static const char NPS[] = "email,score,submitted_at,survey,comment\n"
                          "a@x.org,10,2024-01-05,post_delivery,\n"
                          "a@x.org,3,2024-01-15,post_delivery,\n"
                          "c@x.org,9,2024-02-06,post_delivery,\n"
                          "e@x.org,7,2023-12-01,pre_delivery,\n";

typedef struct fixture {
    cvo_ctx *ctx;
    cvo_config *config;
    cvo_customers *customers;
    cvo_nps *nps;
    int32_t as_of;
} fixture;

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/test_dive_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

static cvo_customers *load(cvo_ctx *ctx, const char *orders, const char *products, bool keep)
{
    char *path = write_temp(orders), *products_path = products ? write_temp(products) : NULL;
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = path;
    o.keep_orders = keep;
    o.products_path = products_path;
    cvo_customers *customers = NULL;
    cvo_status status = cvo_orders_load(ctx, &o, &customers, NULL);
    unlink(path);
    free(path);
    if (products_path != NULL) {
        unlink(products_path);
        free(products_path);
    }
    if (status != CVO_OK)
        fail_msg("load: %s", cvo_ctx_message(ctx));
    return customers;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "dive", "min_group", "2"), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "dive", "repeat_days", "30"), CVO_OK);
    f->customers = load(f->ctx, ORDERS, PRODUCTS, true);
    char *path = write_temp(NPS);
    cvo_nps_options o;
    cvo_nps_options_init(&o);
    o.path = path;
    o.customers = f->customers;
    assert_int_equal(cvo_nps_load(f->ctx, &o, &f->nps, NULL), CVO_OK);
    unlink(path);
    free(path);
    assert_true(cvo_day_parse("2025-01-01", &f->as_of));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cvo_nps_free(f->nps);
    cvo_customers_free(f->customers);
    cvo_config_free(f->config);
    cvo_ctx_free(f->ctx);
    free(f);
    return 0;
}

static cvo_dive *dive_by(fixture *f, cvo_dive_by by, int32_t as_of)
{
    cvo_dive *d = NULL;
    if (cvo_dive_compute(f->ctx, f->customers, f->config, as_of, NULL, f->nps, by, &d) != CVO_OK)
        fail_msg("dive: %s", cvo_ctx_message(f->ctx));
    return d;
}

static const cvo_dive_group *group_of(const cvo_dive *d, const char *key)
{
    size_t n = 0;
    const cvo_dive_group *g = cvo_dive_groups(d, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(g[i].key, key) == 0)
            return &g[i];
    fail_msg("no group %s", key);
    return NULL;
}

static const cvo_dive_row *row_of(const cvo_dive *d, const char *key, cvo_dive_metric metric)
{
    size_t n = 0;
    const cvo_dive_row *r = cvo_dive_rows(d, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].key, key) == 0 && r[i].metric == metric)
            return &r[i];
    fail_msg("no row %s/%d", key, (int)metric);
    return NULL;
}

/* Customers per group; A is in both products of its first order, and in
 * "Beans" once although both its products are beans. */
static void test_memberships(void **state)
{
    fixture *f = *state;
    static const struct {
        cvo_dive_by by;
        const char *key;
        uint64_t customers;
    } expected[] = {
        {CVO_DIVE_PRODUCT, "SKU-A", 3},       {CVO_DIVE_PRODUCT, "SKU-B", 2},
        {CVO_DIVE_PRODUCT, "SKU-C", 1},       {CVO_DIVE_CATEGORY, "Beans", 4},
        {CVO_DIVE_CATEGORY, "Tea", 1},        {CVO_DIVE_DISCOUNT, "code", 2},
        {CVO_DIVE_DISCOUNT, "full_price", 3}, {CVO_DIVE_CODE, "WELCOME", 2},
        {CVO_DIVE_COUNTRY, "US", 2},          {CVO_DIVE_COUNTRY, "SE", 2},
        {CVO_DIVE_COUNTRY, "DE", 1},          {CVO_DIVE_CHANNEL, "organic", 2},
        {CVO_DIVE_CHANNEL, "paid", 3},
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        cvo_dive *d = dive_by(f, expected[i].by, f->as_of);
        assert_int_equal(group_of(d, expected[i].key)->customers, expected[i].customers);
        assert_int_equal(cvo_dive_info_of(d)->customers, 5);
        cvo_dive_free(d);
    }
    cvo_dive *d = dive_by(f, CVO_DIVE_CODE, f->as_of);
    size_t n = 0;
    cvo_dive_groups(d, &n);
    assert_int_equal(n, 1); /* customers without a code are only in the rest */
    cvo_dive_free(d);
    d = dive_by(f, CVO_DIVE_PRODUCT, f->as_of);
    assert_string_equal(group_of(d, "SKU-C")->label, "Green Tea");
    const cvo_dive_group *groups = cvo_dive_groups(d, &n);
    assert_string_equal(groups[0].key, "SKU-A"); /* most customers first */
    cvo_dive_free(d);
}

/* The censored figures of SKU-A (A, B, D) and the rest (C, E). */
static void test_figures(void **state)
{
    fixture *f = *state;
    cvo_dive *d = dive_by(f, CVO_DIVE_PRODUCT, f->as_of);
    const cvo_dive_group *a = group_of(d, "SKU-A");
    assert_int_equal(a->repeat_customers, 2); /* D is too young */
    close_to(a->repeat_rate, 0.5, 1e-15);
    assert_int_equal(a->year_customers, 2);
    close_to(a->mean_orders, 1.5, 1e-15);
    close_to(a->mean_revenue, 23.5, 1e-12);
    assert_true(isnan(a->mean_clv)); /* no predictions given */
    const cvo_dive_group *c = group_of(d, "SKU-C");
    close_to(c->mean_revenue, 9, 1e-12);  /* E's order after the as-of day is left out */
    close_to(c->refund_rate, 0.1, 1e-15); /* 1.00 of 4.00 + 1.00 + 5.00 */
    close_to(c->mean_delivery_days, 5, 1e-15); /* (3 + 7) / 2: O9 is after the as-of day */
    assert_true(isnan(a->mean_delivery_days)); /* none of A, B, D's orders has delivered_at */
    /* SKU-B: A and C; only A is old enough for the means; NPS of 3 and 9 = 0 */
    const cvo_dive_group *b = group_of(d, "SKU-B");
    assert_int_equal(b->year_customers, 1);
    close_to(b->mean_orders, 2, 0);
    assert_int_equal(b->nps_customers, 2);
    close_to(b->nps, 0, 1e-12);
    /* rows: the rest of SKU-A's repeat rate is C (no) and E (yes) */
    const cvo_dive_row *r = row_of(d, "SKU-A", CVO_DIVE_REPEAT);
    assert_int_equal(r->customers, 2);
    close_to(r->rest_value, 0.5, 1e-15);
    assert_true(r->tested);
    close_to(r->diff, 0, 1e-15);
    close_to(r->p_value, 1, 1e-12);
    assert_int_equal(r->direction, CVO_DIVE_HELPFUL);
    /* orders: SKU-A 2 and 1 vs the rest E's 2: only one in the rest, untested */
    r = row_of(d, "SKU-A", CVO_DIVE_ORDERS);
    close_to(r->rest_value, 2, 0);
    assert_false(r->tested);
    assert_true(isnan(r->p_value) && isnan(r->q_value) && isnan(r->ci_low));
    close_to(r->diff, -0.5, 1e-15);
    assert_int_equal(r->direction, CVO_DIVE_HARMFUL);
    /* NPS: SKU-A holds A (3) and the rest C (9): 1 answer each, below min_group */
    r = row_of(d, "SKU-A", CVO_DIVE_NPS);
    close_to(r->value, -100, 1e-12);
    close_to(r->rest_value, 100, 1e-12);
    assert_false(r->tested);
    assert_string_equal(cvo_dive_metric_name(d, CVO_DIVE_REPEAT), "repeat_30d");
    assert_string_equal(cvo_dive_metric_name(d, CVO_DIVE_PROFIT), "profit_365d");
    cvo_dive_free(d);
}

/* An earlier as-of day leaves out customers who had not come yet, and
 * without NPS there are no nps_post rows. */
static void test_as_of_and_no_nps(void **state)
{
    fixture *f = *state;
    int32_t as_of;
    assert_true(cvo_day_parse("2024-01-05", &as_of));
    cvo_dive *d = NULL;
    assert_int_equal(
        cvo_dive_compute(f->ctx, f->customers, f->config, as_of, NULL, NULL, CVO_DIVE_COUNTRY, &d),
        CVO_OK);
    assert_int_equal(cvo_dive_info_of(d)->customers, 3); /* A, B, E */
    assert_false(cvo_dive_info_of(d)->has_nps);
    size_t groups = 0, rows = 0;
    cvo_dive_groups(d, &groups);
    const cvo_dive_row *r = cvo_dive_rows(d, &rows);
    assert_int_equal(groups, 2); /* US and DE */
    assert_int_equal(rows, groups * 4);
    for (size_t i = 0; i < rows; i++)
        assert_true(r[i].metric != CVO_DIVE_NPS);
    cvo_dive_free(d);
}

/* With min_group above every group nothing is tested, and groups are small. */
static void test_min_group(void **state)
{
    fixture *f = *state;
    assert_int_equal(cvo_config_set(f->config, "dive", "min_group", "100"), CVO_OK);
    cvo_dive *d = dive_by(f, CVO_DIVE_CHANNEL, f->as_of);
    assert_int_equal(cvo_config_set(f->config, "dive", "min_group", "2"), CVO_OK);
    assert_int_equal(cvo_dive_info_of(d)->tests, 0);
    assert_int_equal(cvo_dive_info_of(d)->min_group, 100);
    assert_true(group_of(d, "paid")->small);
    const cvo_dive_row *top[4];
    assert_int_equal(cvo_dive_rank(d, CVO_DIVE_HARMFUL, top, 4), 0);
    cvo_dive_free(d);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    cvo_dive *d = (cvo_dive *)1;
    assert_int_equal(cvo_dive_compute(f->ctx, f->customers, f->config, f->as_of, NULL, NULL,
                                      CVO_DIVE_BY__COUNT, &d),
                     CVO_ERR_ARGUMENT);
    assert_null(d);
    cvo_customers *plain = load(f->ctx, ORDERS, NULL, false);
    assert_int_equal(
        cvo_dive_compute(f->ctx, plain, f->config, f->as_of, NULL, NULL, CVO_DIVE_PRODUCT, &d),
        CVO_ERR_ARGUMENT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "orders"));
    cvo_customers_free(plain);
    cvo_dive_by by;
    assert_true(cvo_dive_by_parse("channel", &by) && by == CVO_DIVE_CHANNEL);
    assert_false(cvo_dive_by_parse("colour", &by));
    assert_string_equal(cvo_dive_by_name(CVO_DIVE_CODE), "code");
    assert_string_equal(cvo_dive_direction_name(CVO_DIVE_HARMFUL), "harmful");
    cvo_dive_free(NULL);
}

/* ---- a generated store ------------------------------------------------------------ */

static cvo_customers *load_generated(cvo_ctx *ctx, uint64_t customers, uint64_t seed)
{
    char *orders = NULL, *products = NULL;
    size_t orders_len = 0, products_len = 0;
    FILE *o = open_memstream(&orders, &orders_len), *p = open_memstream(&products, &products_len);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = seed;
    assert_int_equal(cvo_generate(ctx, &g, o, p, NULL), CVO_OK);
    assert_int_equal(fclose(o), 0);
    assert_int_equal(fclose(p), 0);
    cvo_customers *table = load(ctx, orders, products, true);
    free(orders);
    free(products);
    return table;
}

/* Orders within 365 days of the first, computed here from the kept orders. */
static double orders_365(const cvo_customers *t, size_t i)
{
    size_t n = 0;
    const cvo_order *o = cvo_customers_orders(t, i, &n);
    double count = 0;
    for (size_t k = 0; k < n; k++)
        count += o[k].day - o[0].day < 365;
    return count;
}

/* The country table's orders_365d rows equal the pooled t test on per-customer
 * counts split here by country; q >= p, significance is q < fdr, and the
 * ranking runs from the smallest q. */
static void test_generated(void **state)
{
    fixture *f = *state;
    cvo_customers *t = load_generated(f->ctx, 4000, 5);
    assert_int_equal(cvo_config_set(f->config, "dive", "min_group", "30"), CVO_OK);
    int32_t as_of = cvo_customers_last_day(t) + 1;
    cvo_dive *d = NULL;
    assert_int_equal(
        cvo_dive_compute(f->ctx, t, f->config, as_of, NULL, NULL, CVO_DIVE_COUNTRY, &d), CVO_OK);
    size_t rows = 0;
    const cvo_dive_row *r = cvo_dive_rows(d, &rows);
    size_t checked = 0;
    for (size_t i = 0; i < rows; i++) {
        if (r[i].metric != CVO_DIVE_ORDERS || !r[i].tested)
            continue;
        stats_moments in = {0, 0, 0}, out = {0, 0, 0};
        for (size_t c = 0; c < cvo_customers_count(t); c++) {
            const cvo_customer *row = cvo_customers_at(t, c);
            if (as_of - row->first_order_day < 365)
                continue;
            const char *country = row->country[0] ? row->country : "(unknown)";
            stats_moments_add(strcmp(country, r[i].key) == 0 ? &in : &out, orders_365(t, c));
        }
        stats_test w = stats_pooled_t(&in, &out, 0.05);
        close_to(r[i].customers, in.n, 0);
        close_to(r[i].diff, w.diff, 1e-9);
        close_to(r[i].ci_low, w.ci_low, 1e-9);
        close_to(r[i].p_value, w.p_value, 1e-9);
        checked++;
    }
    assert_true(checked >= 5);
    for (size_t i = 0; i < rows; i++)
        if (r[i].tested) {
            assert_true(r[i].q_value >= r[i].p_value - 1e-15 && r[i].q_value <= 1);
            assert_int_equal(r[i].significant, r[i].q_value < 0.05);
        }
    const cvo_dive_row *top[8];
    size_t n = cvo_dive_rank(d, CVO_DIVE_HELPFUL, top, 8);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(top[i]->direction, CVO_DIVE_HELPFUL);
        assert_true(top[i]->tested);
        if (i > 0)
            assert_true(top[i - 1]->q_value <= top[i]->q_value);
    }
    assert_int_equal(cvo_dive_rank(d, CVO_DIVE_HELPFUL, top, 1), 1);
    assert_ptr_equal(top[0], cvo_dive_rank(d, CVO_DIVE_HELPFUL, top + 1, 7) ? top[1] : NULL);
    cvo_dive_free(d);
    cvo_customers_free(t);
    assert_int_equal(cvo_config_set(f->config, "dive", "min_group", "2"), CVO_OK);
}

/* Every grouping at once (as cvo_analyze runs them) gives what each alone gives. */
static void test_all_at_once(void **state)
{
    fixture *f = *state;
    dive_input in = {f->customers, f->config, f->as_of, NULL, f->nps, NULL, NULL, 0, {0}};
    cvo_dive *all[CVO_DIVE_BY__COUNT];
    assert_int_equal(dive_compute_all(f->ctx, &in, all), CVO_OK);
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++) {
        cvo_dive *one = dive_by(f, (cvo_dive_by)by, f->as_of);
        size_t n = 0, m = 0;
        const cvo_dive_row *a = cvo_dive_rows(all[by], &n), *b = cvo_dive_rows(one, &m);
        assert_int_equal(n, m);
        assert_int_equal(cvo_dive_info_of(all[by])->by, by);
        assert_int_equal(cvo_dive_info_of(all[by])->customers, 5);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(a[i].key, b[i].key);
            assert_int_equal(a[i].metric, b[i].metric);
            assert_int_equal(a[i].customers, b[i].customers);
            assert_true(a[i].value == b[i].value || (isnan(a[i].value) && isnan(b[i].value)));
        }
        cvo_dive_free(one);
        cvo_dive_free(all[by]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memberships),      cmocka_unit_test(test_figures),
        cmocka_unit_test(test_as_of_and_no_nps), cmocka_unit_test(test_min_group),
        cmocka_unit_test(test_errors),           cmocka_unit_test(test_generated),
        cmocka_unit_test(test_all_at_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
