/* test_catalog.c - what the loader keeps of each order for the analysis:
 * its distinct products (with categories), discount code, order id hash,
 * fulfilment and delivery days; and cvo_customers_as_of against a load of
 * the same file cut at the day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/orders.h"
#include "cvo.h"

typedef struct temp_file {
    char path[64];
} temp_file;

static void temp_write(temp_file *f, const char *data)
{
    snprintf(f->path, sizeof f->path, "/tmp/cvo_catalog_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    size_t len = strlen(data);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

typedef struct loaded {
    cvo_ctx *ctx;
    cvo_customers *customers;
    cvo_load_stats stats;
    char reject[8][160];
    uint64_t reject_line[8];
    size_t rejects;
} loaded;

static cvo_status keep_reject(void *user_data, const cvo_reject *r)
{
    loaded *l = user_data;
    if (l->rejects < 8) {
        snprintf(l->reject[l->rejects], sizeof l->reject[0], "%s", r->detail);
        l->reject_line[l->rejects] = r->line;
    }
    l->rejects++;
    return CVO_OK;
}

static void load(const char *path, const char *products, const load_tuning *tune, loaded *l)
{
    memset(l, 0, sizeof *l);
    assert_int_equal(cvo_ctx_new(&l->ctx, NULL), CVO_OK);
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = path;
    o.display_name = "orders.csv";
    o.keep_orders = true;
    o.products_path = products;
    o.on_reject = keep_reject;
    o.reject_user_data = l;
    cvo_status s = tune ? orders_load_tuned(l->ctx, &o, tune, &l->customers, &l->stats)
                        : cvo_orders_load(l->ctx, &o, &l->customers, &l->stats);
    if (s != CVO_OK)
        fail_msg("load failed: %s", cvo_ctx_message(l->ctx));
}

static void unload(loaded *l)
{
    cvo_customers_free(l->customers);
    cvo_ctx_free(l->ctx);
}

static size_t find(const cvo_customers *c, const char *id)
{
    for (size_t i = 0; i < cvo_customers_count(c); i++)
        if (strcmp(cvo_customers_at(c, i)->customer_id, id) == 0)
            return i;
    fail_msg("no customer %s", id);
    return 0;
}

/* "SKU/name/category;..." of an order's products. */
static void describe_products(const cvo_customers *c, const cvo_order *o, char *out, size_t cap)
{
    size_t n = 0, used = 0;
    const uint32_t *p = cvo_customers_order_products(c, o, &n);
    out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        const cvo_product *x = cvo_customers_product(c, p[k]);
        assert_non_null(x);
        used += (size_t)snprintf(out + used, cap - used, "%s%s/%s/%s", k ? ";" : "", x->sku,
                                 x->name, x->category);
        assert_true(used < cap);
    }
}

static const char small_store[] =
    "order_id,customer_id,order_date,sku,product,category,quantity,unit_price,discount_code,"
    "fulfilled_at,delivered_at\n"
    "#1001,A,2024-01-10,S-1,Beans,Coffee,1,10.00,welcome10,2024-01-11,2024-01-14\n"
    "#1001,A,2024-01-10,S-2,Mug,,1,8.00,,,\n"
    "#1001,A,2024-01-10,S-1,Beans,Coffee,2,10.00,,,\n"
    "#1001,A,2024-01-10,,Gift card,,1,5.00,,,\n"
    "1002,A,2024-02-01,S-2,Mug,,1,8.00,WELCOME10,,\n"
    "1003,B,2024-02-03,S-3,Tea,,1,6.00,,2024-02-04,\n"
    "1004,B,2024-02-05,S-3,Tea,,1,6.00,,2024-13-01,\n"
    "1005,C,2024-02-06,S-9,Filter,,1,3.00,spring,,2024-02-09\n";

static void test_order_facts(void **state)
{
    (void)state;
    temp_file f, p;
    temp_write(&f, small_store);
    temp_write(&p, "sku,unit_cost,category\nS-2,2.00,Cups\nS-3,1.50,Tea\nS-1,4.00,Ignored\n");
    loaded l;
    load(f.path, p.path, NULL, &l);
    const cvo_customers *c = l.customers;
    /* the bad fulfilment date rejects its line, with the column named */
    assert_int_equal(l.stats.records, 8);
    assert_int_equal(l.stats.rejected, 1);
    assert_int_equal(l.reject_line[0], 8);
    assert_string_equal(l.reject[0], "bad date '2024-13-01' in fulfilled_at");

    size_t n;
    const cvo_order *a = cvo_customers_orders(c, find(c, "A"), &n);
    assert_int_equal(n, 2);
    char text[256];
    describe_products(c, &a[0], text, sizeof text);
    /* distinct, in first-line order; the line's category beats the file's;
     * a line without SKU is keyed by its name */
    assert_string_equal(text, "S-1/Beans/Coffee;S-2/Mug/Cups;/Gift card/");
    describe_products(c, &a[1], text, sizeof text);
    assert_string_equal(text, "S-2/Mug/Cups");
    assert_true(a[0].has_code && a[1].has_code);
    assert_int_equal(a[0].code, a[1].code); /* codes compare case-insensitively */
    assert_string_equal(cvo_customers_code(c, a[0].code), "WELCOME10");
    assert_int_equal(a[0].fulfilled_day, cvo_day_from_ymd(2024, 1, 11));
    assert_int_equal(a[0].delivered_day, cvo_day_from_ymd(2024, 1, 14));
    assert_int_equal(a[1].fulfilled_day, INT32_MIN);
    assert_int_equal(a[1].delivered_day, INT32_MIN);
    assert_true(a[0].id_hash != 0);
    assert_int_equal(a[0].id_hash, cvo_order_id_hash("1001", 4));
    assert_int_equal(a[0].id_hash, cvo_order_id_hash(" #1001 ", 7));
    assert_int_equal(a[1].id_hash, cvo_order_id_hash("1002", 4));
    assert_int_equal(cvo_order_id_hash("", 0), 0);

    const cvo_order *b = cvo_customers_orders(c, find(c, "B"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(b[0].code, 0);
    assert_false(b[0].has_code);
    assert_string_equal(cvo_customers_code(c, 0), "");
    const cvo_order *x = cvo_customers_orders(c, find(c, "C"), &n);
    assert_string_equal(cvo_customers_code(c, x[0].code), "SPRING");
    describe_products(c, &x[0], text, sizeof text);
    assert_string_equal(text, "S-9/Filter/");
    assert_int_equal(cvo_customers_product_count(c), 5);
    assert_int_equal(cvo_customers_code_count(c), 3);
    assert_null(cvo_customers_product(c, 5));
    unload(&l);
    unlink(f.path);
    unlink(p.path);
}

/* A generated store, big enough for several orders per customer. */
static void write_store(temp_file *f, uint64_t customers)
{
    snprintf(f->path, sizeof f->path, "/tmp/cvo_catalog_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "w");
    cvo_ctx *ctx;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = 11;
    assert_int_equal(cvo_generate(ctx, &g, out, NULL, NULL), CVO_OK);
    fclose(out);
    cvo_ctx_free(ctx);
}

static void expect_same_orders(const cvo_customers *x, const cvo_customers *y, const char *what)
{
    assert_int_equal(cvo_customers_count(x), cvo_customers_count(y));
    for (size_t i = 0; i < cvo_customers_count(x); i++) {
        size_t n, m;
        const cvo_order *a = cvo_customers_orders(x, i, &n);
        const cvo_order *b = cvo_customers_orders(y, i, &m);
        assert_int_equal(n, m);
        for (size_t k = 0; k < n; k++) {
            char s[2048], t[2048];
            describe_products(x, &a[k], s, sizeof s);
            describe_products(y, &b[k], t, sizeof t);
            if (strcmp(s, t) != 0 || a[k].id_hash != b[k].id_hash ||
                strcmp(cvo_customers_code(x, a[k].code), cvo_customers_code(y, b[k].code)) != 0)
                fail_msg("%s: customer %zu order %zu: '%s' vs '%s'", what, i, k, s, t);
        }
    }
}

static void test_workers_agree(void **state)
{
    (void)state;
    temp_file f;
    write_store(&f, 3000);
    loaded one, two, general;
    load_tuning t1 = {0, UINT64_MAX, false}, t2 = {0, 1, false}, tg = {7, UINT64_MAX, true};
    load(f.path, NULL, &t1, &one);
    load(f.path, NULL, &t2, &two);
    load(f.path, NULL, &tg, &general);
    expect_same_orders(one.customers, two.customers, "two workers");
    expect_same_orders(one.customers, general.customers, "general mode");
    assert_true(cvo_customers_product_count(one.customers) > 50);
    assert_true(cvo_customers_code_count(one.customers) > 1);
    unload(&one);
    unload(&two);
    unload(&general);
    unlink(f.path);
}

/* Field col of a CSV line whose first fields are unquoted. */
static const char *nth_field(const char *line, int col)
{
    for (; col > 0 && line != NULL; col--) {
        line = strchr(line, ',');
        line = line ? line + 1 : NULL;
    }
    return line;
}

/* The generated file without guest records (no customer_id: the full load
 * may join them to a customer who only appears after day) and, when day is
 * not NULL, without the records dated on or after day. */
static void write_cut(const char *from, const char *to, const char *day)
{
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    assert_non_null(in);
    assert_non_null(out);
    char line[4096];
    int date_column = -1, id_column = -1;
    assert_non_null(fgets(line, sizeof line, in));
    fputs(line, out);
    for (int col = 0; nth_field(line, col) != NULL; col++) {
        if (strncmp(nth_field(line, col), "order_date,", 11) == 0)
            date_column = col;
        if (strncmp(nth_field(line, col), "customer_id,", 12) == 0)
            id_column = col;
    }
    assert_true(date_column >= 0 && id_column >= 0);
    while (fgets(line, sizeof line, in)) {
        const char *date = nth_field(line, date_column), *id = nth_field(line, id_column);
        assert_true(date != NULL && id != NULL);
        if (id[0] != ',' && (day == NULL || strncmp(date, day, 10) < 0))
            fputs(line, out);
    }
    fclose(in);
    fclose(out);
}

static void test_as_of_equals_cut_file(void **state)
{
    (void)state;
    temp_file f;
    write_store(&f, 2000);
    char cut[80], members[80];
    snprintf(cut, sizeof cut, "%s.cut", f.path);
    snprintf(members, sizeof members, "%s.members", f.path);
    write_cut(f.path, cut, "2024-07-01");
    write_cut(f.path, members, NULL);
    loaded all, part;
    load(members, NULL, NULL, &all);
    load(cut, NULL, NULL, &part);
    cvo_customers *as_of = NULL;
    assert_int_equal(cvo_customers_as_of(all.ctx, all.customers, cvo_day_from_ymd(2024, 7, 1),
                                         &as_of),
                     CVO_OK);
    assert_int_equal(cvo_customers_count(as_of), cvo_customers_count(part.customers));
    for (size_t i = 0; i < cvo_customers_count(as_of); i++) {
        const cvo_customer *x = cvo_customers_at(as_of, i), *y = cvo_customers_at(part.customers, i);
        assert_string_equal(x->customer_id, y->customer_id);
        assert_int_equal(x->orders, y->orders);
        assert_int_equal(x->first_order_day, y->first_order_day);
        assert_int_equal(x->last_order_day, y->last_order_day);
        assert_int_equal(x->net_revenue_cents, y->net_revenue_cents);
        assert_string_equal(x->channel, y->channel);
    }
    expect_same_orders(as_of, part.customers, "as of");
    assert_int_equal(cvo_customers_last_day(as_of), cvo_day_from_ymd(2024, 6, 30));
    cvo_customers_free(as_of);
    /* nothing before the first day; a table without orders */
    assert_int_equal(cvo_customers_as_of(all.ctx, all.customers, cvo_day_from_ymd(2000, 1, 1),
                                         &as_of),
                     CVO_ERR_EMPTY);
    assert_null(as_of);
    unload(&all);
    unload(&part);
    unlink(f.path);
    unlink(cut);
    unlink(members);
}

/* Distinct guest e-mails (lines without customer_id) that also appear on a
 * line with an id: the customers the loader must join by e-mail. */
static uint64_t joinable_guests(const char *path, uint64_t *guests)
{
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, in)); /* order_id,customer_id,email,... */
    size_t cap = 1 << 20, n = 0;
    char(*emails)[40] = calloc(cap, sizeof *emails);
    bool *with_id = calloc(cap, sizeof *with_id), *guest = calloc(cap, sizeof *guest);
    assert_true(emails && with_id && guest);
    while (fgets(line, sizeof line, in)) {
        const char *id = strchr(line, ',') + 1, *email = strchr(id, ',') + 1;
        const char *end = strchr(email, ',');
        /* generated e-mails are c<number>@example.com: index by the number */
        size_t k = (size_t)strtoul(email + 1, NULL, 10);
        assert_true(k < cap && end - email < 40);
        memcpy(emails[k], email, (size_t)(end - email));
        if (id[0] == ',')
            guest[k] = true;
        else
            with_id[k] = true;
        n = k + 1 > n ? k + 1 : n;
    }
    fclose(in);
    uint64_t joinable = 0;
    *guests = 0;
    for (size_t k = 0; k < n; k++) {
        *guests += guest[k];
        joinable += guest[k] && with_id[k];
    }
    free(emails);
    free(with_id);
    free(guest);
    return joinable;
}

/* Past 65,536 customers the e-mail join and the merge look up on two threads:
 * the result must be the one the CSV says, whichever way the file is read. */
static void test_large_join(void **state)
{
    (void)state;
    temp_file f;
    write_store(&f, 70000);
    uint64_t guests = 0, joinable = joinable_guests(f.path, &guests);
    assert_true(joinable > 100 && guests >= joinable);
    loaded one, two;
    load_tuning t1 = {0, UINT64_MAX, false}, t2 = {0, 1, false};
    load(f.path, NULL, &t1, &one);
    load(f.path, NULL, &t2, &two);
    assert_true(cvo_customers_count(one.customers) > 65536);
    assert_int_equal(one.stats.joined_by_email, joinable);
    assert_int_equal(two.stats.joined_by_email, joinable);
    assert_int_equal(cvo_customers_count(one.customers), cvo_customers_count(two.customers));
    for (size_t i = 0; i < cvo_customers_count(one.customers); i++) {
        const cvo_customer *a = cvo_customers_at(one.customers, i);
        const cvo_customer *b = cvo_customers_at(two.customers, i);
        assert_string_equal(a->customer_id, b->customer_id);
        assert_string_equal(a->email, b->email);
        assert_int_equal(a->orders, b->orders);
        assert_int_equal(a->net_revenue_cents, b->net_revenue_cents);
    }
    expect_same_orders(one.customers, two.customers, "two workers, large");
    unload(&one);
    unload(&two);
    unlink(f.path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_facts),
        cmocka_unit_test(test_workers_agree),
        cmocka_unit_test(test_as_of_equals_cut_file),
        cmocka_unit_test(test_large_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
