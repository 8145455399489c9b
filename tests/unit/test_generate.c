/* test_generate.c - unit tests of lib/gen: the distributions of the seeded
 * generator, and the synthetic store (determinism, exact headers, row rules,
 * option checks, error paths, orders per customer against the BG/NBD model,
 * delivery dates and survey timing, and the planted effects seen in the CSV). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "cvo.h"
#include "gen/catalog.h"
#include "gen/rng.h"

#define ORDERS_HEADER                                                                      \
    "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,discount,"      \
    "unit_cost,shipping_cost,refund,country,discount_code,channel,fulfilled_at,delivered_at\n"
#define PRODUCTS_HEADER "sku,product,unit_cost,category\n"
#define NPS_HEADER "email,score,submitted_at,survey,comment,order_id\n"

enum {
    F_ORDER_ID, F_CUSTOMER_ID, F_EMAIL, F_ORDER_DATE, F_SKU, F_PRODUCT, F_QUANTITY,
    F_UNIT_PRICE, F_DISCOUNT, F_UNIT_COST, F_SHIPPING, F_REFUND, F_COUNTRY, F_CODE,
    F_CHANNEL, F_FULFILLED, F_DELIVERED, ORDER_FIELDS
};

#define MAX_FIELDS 20
#define FIELD_BYTES 256

/* ---- helpers ---------------------------------------------------------------- */

typedef struct store {
    char *orders, *products, *nps;
    size_t orders_len, products_len, nps_len;
} store;

static void store_free(store *s)
{
    free(s->orders);
    free(s->products);
    free(s->nps);
    memset(s, 0, sizeof *s);
}

static cvo_status generate(const cvo_generate_options *options, store *s)
{
    cvo_ctx *ctx;
    memset(s, 0, sizeof *s);
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    FILE *orders = open_memstream(&s->orders, &s->orders_len);
    FILE *products = open_memstream(&s->products, &s->products_len);
    FILE *nps = open_memstream(&s->nps, &s->nps_len);
    assert_non_null(orders);
    assert_non_null(products);
    assert_non_null(nps);
    cvo_status status = cvo_generate(ctx, options, orders, products, nps);
    fclose(orders);
    fclose(products);
    fclose(nps);
    cvo_ctx_free(ctx);
    return status;
}

static void options_with(cvo_generate_options *options, uint64_t customers, uint64_t seed)
{
    cvo_generate_options_init(options);
    options->customers = customers;
    options->seed = seed;
}

/* A line at *pos (without its '\n'); false at the end of text. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line,
                      size_t *line_len)
{
    if (*pos >= len)
        return false;
    const char *start = text + *pos;
    const char *end = memchr(start, '\n', len - *pos);
    assert_non_null(end); /* every row ends with a newline */
    *line = start;
    *line_len = (size_t)(end - start);
    *pos += *line_len + 1;
    return true;
}

/* Splits one RFC 4180 record (no embedded newlines) into unquoted fields. */
static size_t split_csv(const char *line, size_t len, char fields[][FIELD_BYTES])
{
    size_t count = 0, i = 0;
    for (;;) {
        assert_true(count < MAX_FIELDS);
        size_t out = 0;
        bool quoted = i < len && line[i] == '"';
        i += quoted;
        while (i < len && (quoted || line[i] != ',')) {
            if (quoted && line[i] == '"') {
                if (i + 1 < len && line[i + 1] == '"') {
                    i++;
                } else {
                    quoted = false;
                    i++;
                    continue;
                }
            }
            assert_true(out + 1 < FIELD_BYTES);
            fields[count][out++] = line[i++];
        }
        assert_false(quoted); /* closed */
        fields[count++][out] = '\0';
        if (i >= len)
            return count;
        i++; /* the comma */
    }
}

static void copy_text(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);
    assert_true(len < size);
    memcpy(dst, src, len + 1);
}

/* "12.50" -> 1250; fails on anything else. */
static int64_t cents_of(const char *text)
{
    char *end;
    size_t len = strlen(text);
    assert_true(len >= 4 && text[len - 3] == '.');
    long long whole = strtoll(text, &end, 10);
    assert_ptr_equal(end, text + len - 3);
    long long fraction = strtoll(text + len - 2, &end, 10);
    assert_ptr_equal(end, text + len);
    return (int64_t)(whole * 100 + fraction);
}

static uint64_t number_after(const char *text, size_t prefix)
{
    char *end;
    unsigned long long value = strtoull(text + prefix, &end, 10);
    assert_true(end > text + prefix);
    return value;
}

static void day_text(int32_t day, char out[11])
{
    /* Independent of the library: walk from 1970 by months. */
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = 1970, month = 0;
    for (;;) {
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        int length = month_days[month] + (month == 1 && leap);
        if (day < length)
            break;
        day -= length;
        if (++month == 12) {
            month = 0;
            year++;
        }
    }
    char text[32];
    int written = snprintf(text, sizeof text, "%04d-%02d-%02d", year, month + 1, (int)day + 1);
    assert_int_equal(written, 10);
    memcpy(out, text, 11);
}

/* ---- the random generator ------------------------------------------------------- */

static void test_rng_is_seeded(void **state)
{
    (void)state;
    rng a, b, c;
    rng_seed(&a, 7, 1, 2, 3);
    rng_seed(&b, 7, 1, 2, 3);
    rng_seed(&c, 7, 1, 2, 4);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = rng_next(&a);
        assert_true(x == rng_next(&b));
        differ += x != rng_next(&c);
    }
    assert_true(differ > 90);
}

/* |sample mean - mean| within 5 standard errors, given the variance. */
static void assert_mean_near(double sum, double n, double mean, double variance,
                             const char *what)
{
    double error = fabs(sum / n - mean);
    double bound = 5.0 * sqrt(variance / n);
    if (!(error < bound))
        fail_msg("%s: sample mean %g, expected %g (bound %g)", what, sum / n, mean, bound);
}

static void test_rng_gamma_moments(void **state)
{
    (void)state;
    static const double shapes[] = {0.2, 0.75, 1.0, 2.5, 9.0};
    const int n = 200000;
    rng g;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        double k = shapes[s], sum = 0, sum_sq = 0;
        rng_seed(&g, 11, 0, s, 0);
        for (int i = 0; i < n; i++) {
            double x = rng_gamma(&g, k);
            assert_true(x >= 0.0);
            sum += x;
            sum_sq += (x - k) * (x - k);
        }
        assert_mean_near(sum, n, k, k, "gamma mean");
        /* (x - k)^2 has mean k and variance k^2 (2 + 6 / k) for Gamma(k). */
        assert_mean_near(sum_sq, n, k, k * k * (2.0 + 6.0 / k), "gamma variance");
    }
}

static void test_rng_beta_poisson_exponential(void **state)
{
    (void)state;
    const int n = 200000;
    rng g;
    rng_seed(&g, 12, 0, 0, 0);
    double a = 0.8, b = 2.5, sum = 0;
    for (int i = 0; i < n; i++) {
        double p = rng_beta(&g, a, b);
        assert_true(p >= 0.0 && p <= 1.0);
        sum += p;
    }
    assert_mean_near(sum, n, a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1)), "beta");
    static const double means[] = {0.3, 1.6, 16.0, 40.5};
    for (size_t m = 0; m < sizeof means / sizeof means[0]; m++) {
        sum = 0;
        for (int i = 0; i < n; i++)
            sum += rng_poisson(&g, means[m]);
        assert_mean_near(sum, n, means[m], means[m], "poisson");
    }
    sum = 0;
    for (int i = 0; i < n; i++) {
        double x = rng_exponential(&g);
        assert_true(x > 0.0);
        sum += x;
    }
    assert_mean_near(sum, n, 1.0, 1.0, "exponential");
}

static void test_rng_below_and_weighted(void **state)
{
    (void)state;
    const int n = 70000;
    int counts[7] = {0};
    static const uint16_t weights[3] = {1, 0, 3};
    int picks[3] = {0};
    rng g;
    rng_seed(&g, 13, 0, 0, 0);
    for (int i = 0; i < n; i++) {
        uint64_t x = rng_below(&g, 7);
        assert_true(x < 7);
        counts[x]++;
        picks[rng_weighted(&g, weights, 3, 4)]++;
    }
    for (int i = 0; i < 7; i++)
        assert_mean_near(counts[i], n, 1.0 / 7, (1.0 / 7) * (6.0 / 7), "below");
    assert_int_equal(picks[1], 0);
    assert_mean_near(picks[2], n, 0.75, 0.75 * 0.25, "weighted");
}

/* ---- the store -------------------------------------------------------------------- */

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    cvo_generate_options options;
    store first, second, other;
    options_with(&options, 2000, 42);
    options.duplicate_rate = 0.01;
    assert_int_equal(generate(&options, &first), CVO_OK);
    assert_int_equal(generate(&options, &second), CVO_OK);
    assert_true(first.orders_len > 1000);
    assert_int_equal(first.orders_len, second.orders_len);
    assert_memory_equal(first.orders, second.orders, first.orders_len);
    assert_int_equal(first.nps_len, second.nps_len);
    assert_memory_equal(first.nps, second.nps, first.nps_len);
    assert_int_equal(first.products_len, second.products_len);
    assert_memory_equal(first.products, second.products, first.products_len);
    options.seed = 43;
    assert_int_equal(generate(&options, &other), CVO_OK);
    assert_true(other.orders_len != first.orders_len ||
                memcmp(other.orders, first.orders, first.orders_len) != 0);
    assert_true(other.nps_len != first.nps_len ||
                memcmp(other.nps, first.nps, first.nps_len) != 0);
    store_free(&first);
    store_free(&second);
    store_free(&other);
}

/* The NPS answers do not depend on whether the orders are written too. */
static void test_streams_are_independent(void **state)
{
    (void)state;
    cvo_generate_options options;
    store full;
    options_with(&options, 1500, 5);
    assert_int_equal(generate(&options, &full), CVO_OK);
    char *nps = NULL;
    size_t nps_len = 0;
    cvo_ctx *ctx;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    FILE *stream = open_memstream(&nps, &nps_len);
    assert_int_equal(cvo_generate(ctx, &options, NULL, NULL, stream), CVO_OK);
    fclose(stream);
    assert_int_equal(nps_len, full.nps_len);
    assert_memory_equal(nps, full.nps, nps_len);
    assert_int_equal(cvo_generate(ctx, &options, NULL, NULL, NULL), CVO_OK);
    cvo_ctx_free(ctx);
    free(nps);
    store_free(&full);
}

static void test_headers_exact(void **state)
{
    (void)state;
    cvo_generate_options options;
    store s;
    options_with(&options, 10, 1);
    assert_int_equal(generate(&options, &s), CVO_OK);
    assert_true(s.orders_len > strlen(ORDERS_HEADER));
    assert_memory_equal(s.orders, ORDERS_HEADER, strlen(ORDERS_HEADER));
    assert_memory_equal(s.products, PRODUCTS_HEADER, strlen(PRODUCTS_HEADER));
    assert_memory_equal(s.nps, NPS_HEADER, strlen(NPS_HEADER));
    store_free(&s);
}

/* What a pass over the order rows found. */
typedef struct order_scan {
    uint64_t rows, orders, guest_rows, refund_rows, full_refunds, repeats;
    uint64_t duplicate_rows, coded_orders;
} order_scan;

static int64_t code_percent(const char *code)
{
    static const struct {
        const char *code;
        int percent;
    } codes[] = {
        {"", 0}, {"WELCOME10", 10}, {"SPRING15", 15}, {"VIP20", 20}, {"BLACKFRIDAY25", 25},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i].code) == 0)
            return codes[i].percent;
    fail_msg("unknown discount code '%s'", code);
    return -1;
}

/* The money columns of one line follow the rules of the generator's brief. */
static void check_line_money(char f[][FIELD_BYTES], bool first_line)
{
    int64_t quantity = (int64_t)number_after(f[F_QUANTITY], 0);
    int64_t price = cents_of(f[F_UNIT_PRICE]), cost = cents_of(f[F_UNIT_COST]);
    int64_t gross = quantity * price;
    assert_true(quantity >= 1 && quantity <= 3);
    assert_true(price >= 500 && price <= 15000);
    assert_true(cost * 100 >= price * 30 - 50 && cost * 100 <= price * 60 + 50);
    assert_int_equal(cents_of(f[F_DISCOUNT]), (gross * code_percent(f[F_CODE]) + 50) / 100);
    int64_t refund = cents_of(f[F_REFUND]);
    assert_true(refund >= 0 && refund <= gross - cents_of(f[F_DISCOUNT]));
    if (first_line) {
        assert_true(cents_of(f[F_SHIPPING]) > 0);
    } else {
        assert_string_equal(f[F_SHIPPING], "");
        assert_string_equal(f[F_FULFILLED], ""); /* order-level, like shipping */
        assert_string_equal(f[F_DELIVERED], "");
    }
}

typedef struct order_state {
    char id[FIELD_BYTES], date[11];
    uint64_t lines, refunded_lines, number;
    const char *previous_line;
    size_t previous_len;
} order_state;

static void finish_order(order_scan *scan, const order_state *order)
{
    if (order->lines > 0 && order->refunded_lines == order->lines)
        scan->full_refunds++;
}

static void scan_order_row(order_scan *scan, order_state *order, char f[][FIELD_BYTES])
{
    bool new_order = strcmp(f[F_ORDER_ID], order->id) != 0;
    if (new_order) {
        finish_order(scan, order);
        assert_true(f[F_ORDER_ID][0] == 'O');
        assert_int_equal(number_after(f[F_ORDER_ID], 1), order->number + 1); /* contiguous */
        assert_true(strcmp(f[F_ORDER_DATE], order->date) >= 0);           /* sorted */
        order->number++;
        order->lines = order->refunded_lines = 0;
        copy_text(order->id, sizeof order->id, f[F_ORDER_ID]);
        copy_text(order->date, sizeof order->date, f[F_ORDER_DATE]);
        scan->orders++;
        scan->coded_orders += f[F_CODE][0] != '\0';
    }
    assert_string_equal(f[F_ORDER_DATE], order->date);
    check_line_money(f, new_order);
    int64_t net = (int64_t)number_after(f[F_QUANTITY], 0) * cents_of(f[F_UNIT_PRICE]) -
                  cents_of(f[F_DISCOUNT]);
    int64_t refund = cents_of(f[F_REFUND]);
    order->lines++;
    order->refunded_lines += refund == net;
    scan->refund_rows += refund > 0;
}

static void scan_identity(order_scan *scan, char f[][FIELD_BYTES])
{
    uint64_t by_email = number_after(f[F_EMAIL], 1);
    assert_true(f[F_EMAIL][0] == 'c');
    assert_non_null(strstr(f[F_EMAIL], "@example.com"));
    if (f[F_CUSTOMER_ID][0] == '\0') {
        scan->guest_rows++;
        return;
    }
    assert_true(f[F_CUSTOMER_ID][0] == 'C');
    assert_int_equal(number_after(f[F_CUSTOMER_ID], 1), by_email);
}

static order_scan scan_orders(const store *s, const cvo_generate_options *options)
{
    order_scan scan = {0};
    order_state order = {.id = "", .date = "0000-00-00"};
    char first[11], last[11], f[MAX_FIELDS][FIELD_BYTES];
    day_text(options->first_day, first);
    day_text(options->last_day, last);
    size_t pos = strlen(ORDERS_HEADER);
    const char *line;
    size_t len;
    while (next_line(s->orders, s->orders_len, &pos, &line, &len)) {
        if (order.previous_line && len == order.previous_len &&
            memcmp(line, order.previous_line, len) == 0) {
            scan.duplicate_rows++;
            continue;
        }
        order.previous_line = line;
        order.previous_len = len;
        assert_int_equal(split_csv(line, len, f), ORDER_FIELDS);
        assert_true(strcmp(f[F_ORDER_DATE], first) >= 0 && strcmp(f[F_ORDER_DATE], last) <= 0);
        scan_identity(&scan, f);
        scan_order_row(&scan, &order, f);
        scan.rows++;
    }
    finish_order(&scan, &order);
    return scan;
}

static void test_order_rows(void **state)
{
    (void)state;
    cvo_generate_options options;
    store s;
    options_with(&options, 4000, 7);
    assert_int_equal(generate(&options, &s), CVO_OK);
    order_scan scan = scan_orders(&s, &options);
    assert_int_equal(scan.duplicate_rows, 0);
    assert_true(scan.orders >= options.customers); /* everyone buys once */
    assert_true(scan.rows > scan.orders);
    assert_true(scan.guest_rows > 0);
    assert_true(scan.refund_rows > 0);
    assert_true(scan.full_refunds > 0);
    assert_true(scan.coded_orders > 0);
    /* Guests are about 1% of orders; allow a wide margin. */
    assert_true(scan.guest_rows < scan.rows / 20);
    store_free(&s);
}

static void test_duplicates(void **state)
{
    (void)state;
    cvo_generate_options options;
    store s;
    options_with(&options, 3000, 9);
    options.duplicate_rate = 0.05;
    assert_int_equal(generate(&options, &s), CVO_OK);
    order_scan scan = scan_orders(&s, &options);
    /* Binomial(rows, 0.05): within 5 standard deviations. */
    double expected = 0.05 * (double)scan.rows;
    double bound = 5.0 * sqrt(expected * 0.95);
    assert_true(scan.duplicate_rows > 0);
    assert_true(fabs((double)scan.duplicate_rows - expected) < bound);
    store_free(&s);
    options.duplicate_rate = 1.0;
    assert_int_equal(generate(&options, &s), CVO_OK);
    scan = scan_orders(&s, &options);
    assert_int_equal(scan.duplicate_rows, scan.rows);
    store_free(&s);
}

static void test_products(void **state)
{
    (void)state;
    cvo_generate_options options;
    store s;
    char f[MAX_FIELDS][FIELD_BYTES];
    bool comma = false, quote = false;
    size_t pos = strlen(PRODUCTS_HEADER), len, rows = 0;
    const char *line;
    options_with(&options, 1, 1);
    assert_int_equal(generate(&options, &s), CVO_OK);
    while (next_line(s.products, s.products_len, &pos, &line, &len)) {
        assert_int_equal(split_csv(line, len, f), 4);
        assert_int_equal(number_after(f[0], 4), rows + 1);
        comma |= strchr(f[1], ',') != NULL;
        quote |= strchr(f[1], '"') != NULL;
        assert_true(cents_of(f[2]) > 0);
        rows++;
    }
    assert_int_equal(rows, CATALOG_PRODUCTS);
    assert_true(comma && quote);
    for (unsigned i = 0; i < CATALOG_PRODUCTS; i++) {
        uint32_t price = catalog_product_at(i)->price_cents, cost = catalog_unit_cost_cents(i);
        assert_true(strlen(catalog_product_at(i)->name) <= 60); /* generate.c's row room */
        assert_true(price >= 500 && price <= 15000);
        assert_true(cost * 100 >= price * 30 - 50 && cost * 100 <= price * 60 + 50);
    }
    store_free(&s);
}

static void check_nps_row(char f[][FIELD_BYTES], const char *first, const char *last)
{
    char day[11];
    assert_true(f[0][0] == 'c' && strstr(f[0], "@example.com") != NULL);
    char *end;
    long score = strtol(f[1], &end, 10);
    assert_true(*end == '\0' && end != f[1]);
    assert_true(score >= 0 && score <= 10);
    assert_int_equal(strlen(f[2]), 20); /* 2024-03-05T14:22:00Z */
    assert_true(f[2][10] == 'T' && f[2][19] == 'Z');
    memcpy(day, f[2], 10);
    day[10] = '\0';
    assert_true(strcmp(day, first) >= 0 && strcmp(day, last) <= 0);
    assert_true(strcmp(f[3], "pre_delivery") == 0 || strcmp(f[3], "post_delivery") == 0);
}

static void test_nps_rows(void **state)
{
    (void)state;
    cvo_generate_options options;
    store s;
    char f[MAX_FIELDS][FIELD_BYTES], first[11], last[11];
    size_t pos = strlen(NPS_HEADER), len, rows = 0, promoters = 0;
    const char *line;
    options_with(&options, 3000, 3);
    assert_int_equal(generate(&options, &s), CVO_OK);
    day_text(options.first_day, first);
    day_text(options.last_day, last);
    while (next_line(s.nps, s.nps_len, &pos, &line, &len)) {
        assert_int_equal(split_csv(line, len, f), 6);
        check_nps_row(f, first, last);
        promoters += strcmp(f[1], "9") == 0 || strcmp(f[1], "10") == 0;
        rows++;
    }
    assert_true(rows > 0);
    assert_true(promoters > rows / 3); /* mostly happy */
    store_free(&s);
}

/* ---- orders per customer against the model ---------------------------------------- */

/* E[X(t) | p] for a BG/NBD customer of age t weeks: given lambda the n-th repeat
 * needs n Poisson events and survival of the n-1 repeats before it, which sums to
 * (1 - e^(-lambda p t)) / p; averaged over lambda ~ Gamma(r, alpha) this is
 * (1 - (alpha / (alpha + p t))^r) / p. */
static double repeats_given_p(double r, double alpha, double p, double t)
{
    return -expm1(-r * log1p(p * t / alpha)) / p;
}

/* E over p ~ Beta(a, b), with p = u^(1/a) so that the density's p^(a-1) cancels:
 * E = 1 / (a B(a, b)) * integral over u in (0, 1) of f(u^(1/a)) (1 - u^(1/a))^(b-1). */
static double expected_repeats(const cvo_generate_options *o, double t)
{
    const int steps = 4000;
    double log_beta = lgamma(o->bgnbd_a) + lgamma(o->bgnbd_b) - lgamma(o->bgnbd_a + o->bgnbd_b);
    double sum = 0;
    for (int i = 0; i < steps; i++) {
        double u = (i + 0.5) / steps;
        double p = pow(u, 1.0 / o->bgnbd_a);
        sum += repeats_given_p(o->bgnbd_r, o->bgnbd_alpha, p, t) * pow(1.0 - p, o->bgnbd_b - 1.0);
    }
    return sum / steps / (o->bgnbd_a * exp(log_beta));
}

/* Pareto/NBD (Schmittlein et al. 1987, eq. for E[X(t)]), s != 1. */
static double expected_pnbd_repeats(const cvo_generate_options *o, double t)
{
    double r = o->pnbd_r, alpha = o->pnbd_alpha, s = o->pnbd_s, beta = o->pnbd_beta;
    return r * beta / (alpha * (s - 1.0)) * (1.0 - pow(beta / (beta + t), s - 1.0));
}

/* Every customer's first order day is uniform on the window; a purchase counts
 * while its time is before the end of last_day, so the age is (last - d + 1) / 7. */
static double expected_orders(const cvo_generate_options *o)
{
    double sum = 0;
    int32_t span = o->last_day - o->first_day + 1;
    for (int32_t d = o->first_day; d <= o->last_day; d++)
        sum += o->process == CVO_GEN_PNBD ? expected_pnbd_repeats(o, (o->last_day - d + 1) / 7.0)
                                          : expected_repeats(o, (o->last_day - d + 1) / 7.0);
    return 1.0 + sum / span;
}

static void check_orders_per_customer(const cvo_generate_options *options)
{
    store s;
    char f[MAX_FIELDS][FIELD_BYTES], previous[FIELD_BYTES] = "";
    size_t pos = strlen(ORDERS_HEADER), len;
    const char *line;
    uint32_t *orders = calloc(options->customers, sizeof *orders);
    assert_non_null(orders);
    assert_int_equal(generate(options, &s), CVO_OK);
    while (next_line(s.orders, s.orders_len, &pos, &line, &len)) {
        split_csv(line, len, f);
        if (strcmp(f[F_ORDER_ID], previous) == 0)
            continue;
        copy_text(previous, sizeof previous, f[F_ORDER_ID]);
        uint64_t customer = number_after(f[F_EMAIL], 1) - 1; /* guests too */
        assert_true(customer < options->customers);
        orders[customer]++;
    }
    double n = (double)options->customers, sum = 0, sum_sq = 0;
    for (uint64_t i = 0; i < options->customers; i++) {
        assert_true(orders[i] >= 1);
        sum += orders[i];
        sum_sq += (double)orders[i] * orders[i];
    }
    double mean = sum / n, variance = (sum_sq - n * mean * mean) / (n - 1);
    double expected = expected_orders(options);
    if (!(fabs(mean - expected) < 5.0 * sqrt(variance / n)))
        fail_msg("mean orders per customer %g, the model expects %g", mean, expected);
    free(orders);
    store_free(&s);
}

static void test_orders_per_customer_defaults(void **state)
{
    (void)state;
    cvo_generate_options options;
    options_with(&options, 20000, 17);
    check_orders_per_customer(&options);
}

static void test_orders_per_customer_other_process(void **state)
{
    (void)state;
    cvo_generate_options options;
    options_with(&options, 20000, 18);
    options.first_day = options.last_day - 364;
    options.bgnbd_r = 2.0;
    options.bgnbd_alpha = 8.0;
    options.bgnbd_a = 2.0;
    options.bgnbd_b = 6.0;
    check_orders_per_customer(&options);
}

static void test_orders_per_customer_pareto_nbd(void **state)
{
    (void)state;
    cvo_generate_options options;
    options_with(&options, 20000, 19);
    options.process = CVO_GEN_PNBD;
    check_orders_per_customer(&options);
    options_with(&options, 20000, 20);
    options.process = CVO_GEN_PNBD;
    options.first_day = options.last_day - 364;
    options.pnbd_r = 2.0;
    options.pnbd_alpha = 8.0;
    options.pnbd_s = 1.5;
    options.pnbd_beta = 6.0;
    check_orders_per_customer(&options);
}

/* A BG/NBD store's bytes do not depend on the Pareto/NBD parameters, and the
 * Pareto/NBD mode is as deterministic as the default. */
static void test_pareto_nbd_mode_bytes(void **state)
{
    (void)state;
    cvo_generate_options options;
    store plain, changed, pareto, again;
    options_with(&options, 1500, 7);
    assert_int_equal(generate(&options, &plain), CVO_OK);
    options.pnbd_r = 3.0;
    options.pnbd_beta = 1.0;
    assert_int_equal(generate(&options, &changed), CVO_OK);
    assert_int_equal(plain.orders_len, changed.orders_len);
    assert_memory_equal(plain.orders, changed.orders, plain.orders_len);
    options.process = CVO_GEN_PNBD;
    assert_int_equal(generate(&options, &pareto), CVO_OK);
    assert_int_equal(generate(&options, &again), CVO_OK);
    assert_int_equal(pareto.orders_len, again.orders_len);
    assert_memory_equal(pareto.orders, again.orders, pareto.orders_len);
    assert_true(pareto.orders_len != plain.orders_len ||
                memcmp(pareto.orders, plain.orders, plain.orders_len) != 0);
    store_free(&plain);
    store_free(&changed);
    store_free(&pareto);
    store_free(&again);
}

/* ---- deliveries, surveys and planted effects, read back from the CSV ------------------ */

#define NO_DAY INT32_MIN

/* One order of a written store, from its first line row (and its other lines). */
typedef struct read_order {
    uint32_t customer;                 /* from the email, guests too */
    int32_t day, fulfilled, delivered; /* NO_DAY when empty */
    bool marked;                       /* holds the SKU asked about */
    bool coded;
    char country[3];
} read_order;

/* The orders in file order (by day), and per customer the first of them. */
typedef struct read_store {
    read_order *orders;
    size_t count, cap;
    size_t *first; /* per customer: index of the first order, SIZE_MAX none */
    uint32_t customers;
} read_store;

static int32_t day_or_none(const char *text)
{
    int32_t day;
    if (text[0] == '\0')
        return NO_DAY;
    assert_true(cvo_day_parse(text, &day));
    return day;
}

static read_order *read_store_add(read_store *rs)
{
    if (rs->count == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 4096;
        rs->orders = realloc(rs->orders, rs->cap * sizeof *rs->orders);
        assert_non_null(rs->orders);
    }
    return &rs->orders[rs->count++];
}

static void read_order_set(read_order *order, char f[][FIELD_BYTES])
{
    memset(order, 0, sizeof *order);
    order->customer = (uint32_t)number_after(f[F_EMAIL], 1) - 1;
    order->day = day_or_none(f[F_ORDER_DATE]);
    order->fulfilled = day_or_none(f[F_FULFILLED]);
    order->delivered = day_or_none(f[F_DELIVERED]);
    order->coded = f[F_CODE][0] != '\0';
    assert_int_equal(strlen(f[F_COUNTRY]), 2);
    memcpy(order->country, f[F_COUNTRY], 3);
}

/* Reads the orders back; sku (or NULL) marks the orders holding it. */
static read_store read_orders(const store *s, uint32_t customers, const char *sku)
{
    read_store rs = {.customers = customers};
    char f[MAX_FIELDS][FIELD_BYTES], previous[FIELD_BYTES] = "";
    size_t pos = strlen(ORDERS_HEADER), len;
    const char *line;
    rs.first = malloc(customers * sizeof *rs.first);
    assert_non_null(rs.first);
    for (uint32_t i = 0; i < customers; i++)
        rs.first[i] = SIZE_MAX;
    while (next_line(s->orders, s->orders_len, &pos, &line, &len)) {
        assert_int_equal(split_csv(line, len, f), ORDER_FIELDS);
        if (strcmp(f[F_ORDER_ID], previous) != 0) {
            copy_text(previous, sizeof previous, f[F_ORDER_ID]);
            read_order *order = read_store_add(&rs);
            read_order_set(order, f);
            assert_true(order->customer < customers);
            if (rs.first[order->customer] == SIZE_MAX)
                rs.first[order->customer] = rs.count - 1;
        }
        rs.orders[rs.count - 1].marked |= sku != NULL && strcmp(f[F_SKU], sku) == 0;
    }
    return rs;
}

static void read_store_free(read_store *rs)
{
    free(rs->orders);
    free(rs->first);
}

/* fulfilled 0..2 days after the order, delivered after that; empty only when
 * it would lie after the last day, and never delivered when not fulfilled. */
static void check_delivery(const read_order *order, int32_t last_day)
{
    if (order->fulfilled == NO_DAY) {
        assert_true(order->day + 2 > last_day);
        assert_true(order->delivered == NO_DAY);
        return;
    }
    assert_true(order->fulfilled >= order->day && order->fulfilled <= order->day + 2);
    if (order->delivered == NO_DAY) {
        assert_true(order->fulfilled + 13 + 9 + 14 > last_day); /* slowest: AU held, late */
        return;
    }
    assert_true(order->delivered > order->fulfilled);
    assert_true(order->delivered <= order->fulfilled + 13 + 9 + 14);
}

static double mean_transit(const read_store *rs, const char *country)
{
    double days = 0, count = 0;
    for (size_t i = 0; i < rs->count; i++) {
        const read_order *order = &rs->orders[i];
        if (order->delivered == NO_DAY || strcmp(order->country, country) != 0)
            continue;
        days += order->delivered - order->fulfilled;
        count++;
    }
    assert_true(count > 30);
    return days / count;
}

static void test_deliveries(void **state)
{
    (void)state;
    cvo_generate_options options;
    store s;
    options_with(&options, 4000, 5);
    assert_int_equal(generate(&options, &s), CVO_OK);
    read_store rs = read_orders(&s, 4000, NULL);
    size_t undelivered = 0;
    for (size_t i = 0; i < rs.count; i++) {
        check_delivery(&rs.orders[i], options.last_day);
        undelivered += rs.orders[i].delivered == NO_DAY;
    }
    assert_true(undelivered > 0 && undelivered < rs.count / 50);
    /* By country: Australia is far, the Netherlands near. */
    assert_true(mean_transit(&rs, "AU") > mean_transit(&rs, "NL") + 4.0);
    read_store_free(&rs);
    store_free(&s);
}

/* Whether some order of the customer explains a survey answer on day: a
 * pre-delivery answer on an order day before its delivery, a post-delivery one
 * 0..8 days after a delivery. */
static bool answer_fits(const read_store *rs, size_t index, uint32_t customer, int32_t day,
                        bool post)
{
    const read_order *order = &rs->orders[index];
    if (order->customer != customer)
        return false;
    if (post)
        return order->delivered != NO_DAY && day >= order->delivered &&
               day <= order->delivered + 8;
    return day == order->day && (order->delivered == NO_DAY || day < order->delivered);
}

static void check_survey_timing(const cvo_generate_options *options)
{
    store s;
    char f[MAX_FIELDS][FIELD_BYTES];
    size_t pos = strlen(NPS_HEADER), len, posts = 0, pres = 0;
    const char *line;
    assert_int_equal(generate(options, &s), CVO_OK);
    read_store rs = read_orders(&s, (uint32_t)options->customers, NULL);
    while (next_line(s.nps, s.nps_len, &pos, &line, &len)) {
        int32_t day;
        assert_int_equal(split_csv(line, len, f), 6);
        f[2][10] = '\0';
        assert_true(cvo_day_parse(f[2], &day));
        bool post = strcmp(f[3], "post_delivery") == 0;
        uint32_t customer = (uint32_t)number_after(f[0], 1) - 1;
        /* the order_id column names the order the answer is about: O1 is the first */
        size_t order = (size_t)number_after(f[5], 1) - 1;
        assert_true(order < rs.count);
        if (!answer_fits(&rs, order, customer, day, post))
            fail_msg("%s answer of %s on %s does not fit its order %s", f[3], f[0], f[2], f[5]);
        posts += post;
        pres += !post;
    }
    assert_true(posts > 100 && pres > 20);
    read_store_free(&rs);
    store_free(&s);
}

static void test_survey_timing(void **state)
{
    (void)state;
    cvo_generate_options options;
    options_with(&options, 3000, 3);
    check_survey_timing(&options);
    options.late_country = "US"; /* late deliveries move the answers too */
    check_survey_timing(&options);
}

/* Without a plant named, the strength changes nothing and no option adds a draw. */
static void test_plants_off_by_default(void **state)
{
    (void)state;
    cvo_generate_options options;
    store plain, tuned;
    options_with(&options, 2000, 8);
    assert_null(options.toxic_skus);
    assert_null(options.late_country);
    assert_false(options.plant_discount_churn);
    assert_true(options.plant_strength == 0.5);
    assert_int_equal(generate(&options, &plain), CVO_OK);
    options.plant_strength = 0.9;
    options.toxic_skus = "";
    options.late_country = "";
    assert_int_equal(generate(&options, &tuned), CVO_OK);
    assert_int_equal(plain.orders_len, tuned.orders_len);
    assert_memory_equal(plain.orders, tuned.orders, plain.orders_len);
    assert_int_equal(plain.nps_len, tuned.nps_len);
    assert_memory_equal(plain.nps, tuned.nps, plain.nps_len);
    store_free(&plain);
    store_free(&tuned);
}

/* Customers whose first order is at least 180 days before the end, split by a
 * property of that first order: who of them ordered again within 180 days. */
typedef struct repeat_split {
    double in, in_repeat, out, out_repeat;
} repeat_split;

typedef bool (*first_order_test)(const read_order *first);

static bool repeated_within(const read_store *rs, size_t first, int32_t days)
{
    const read_order *start = &rs->orders[first];
    for (size_t i = first + 1; i < rs->count && rs->orders[i].day <= start->day + days; i++)
        if (rs->orders[i].customer == start->customer)
            return true;
    return false;
}

static repeat_split split_repeats(const read_store *rs, int32_t last_day, first_order_test in)
{
    repeat_split split = {0};
    for (uint32_t c = 0; c < rs->customers; c++) {
        size_t first = rs->first[c];
        if (first == SIZE_MAX || rs->orders[first].day > last_day + 1 - 180)
            continue;
        bool repeat = repeated_within(rs, first, 180);
        if (in(&rs->orders[first])) {
            split.in++;
            split.in_repeat += repeat;
        } else {
            split.out++;
            split.out_repeat += repeat;
        }
    }
    return split;
}

/* The two-proportion z statistic (pooled), negative when the group repeats less. */
static double split_z(const repeat_split *split)
{
    double p_in = split->in_repeat / split->in, p_out = split->out_repeat / split->out;
    double pooled = (split->in_repeat + split->out_repeat) / (split->in + split->out);
    return (p_in - p_out) / sqrt(pooled * (1 - pooled) * (1 / split->in + 1 / split->out));
}

static bool first_marked(const read_order *first)
{
    return first->marked;
}

static bool first_in_se(const read_order *first)
{
    return strcmp(first->country, "SE") == 0;
}

static bool first_coded(const read_order *first)
{
    return first->coded;
}

static bool first_in_de(const read_order *first)
{
    return strcmp(first->country, "DE") == 0;
}

/* Post-delivery answers of the customers of a country: detractors (0..6) share. */
static double detractor_share(const store *s, const read_store *rs, const char *country,
                              bool inside)
{
    char f[MAX_FIELDS][FIELD_BYTES];
    size_t pos = strlen(NPS_HEADER), len;
    const char *line;
    double answers = 0, detractors = 0;
    while (next_line(s->nps, s->nps_len, &pos, &line, &len)) {
        split_csv(line, len, f);
        uint32_t customer = (uint32_t)number_after(f[0], 1) - 1;
        const read_order *first = &rs->orders[rs->first[customer]];
        if (strcmp(f[3], "post_delivery") != 0 || (strcmp(first->country, country) == 0) != inside)
            continue;
        answers++;
        detractors += strtol(f[1], NULL, 10) <= 6;
    }
    assert_true(answers > 50);
    return detractors / answers;
}

typedef struct effect_figures {
    double toxic_share; /* of first orders holding SKU-0042 */
    double z_toxic, z_se, z_coded, z_de;
    double detractors_se, detractors_rest;
} effect_figures;

static effect_figures measure_effects(const cvo_generate_options *options)
{
    store s;
    effect_figures fig;
    assert_int_equal(generate(options, &s), CVO_OK);
    read_store rs = read_orders(&s, (uint32_t)options->customers, "SKU-0042");
    repeat_split toxic = split_repeats(&rs, options->last_day, first_marked);
    repeat_split se = split_repeats(&rs, options->last_day, first_in_se);
    repeat_split coded = split_repeats(&rs, options->last_day, first_coded);
    repeat_split de = split_repeats(&rs, options->last_day, first_in_de);
    fig.toxic_share = toxic.in / (toxic.in + toxic.out);
    fig.z_toxic = split_z(&toxic);
    fig.z_se = split_z(&se);
    fig.z_coded = split_z(&coded);
    fig.z_de = split_z(&de);
    fig.detractors_se = detractor_share(&s, &rs, "SE", true);
    fig.detractors_rest = detractor_share(&s, &rs, "SE", false);
    print_message("toxic share %.4f, z toxic %.2f, z SE %.2f, z coded %.2f, z DE %.2f, "
                  "detractors SE %.3f rest %.3f\n",
                  fig.toxic_share, fig.z_toxic, fig.z_se, fig.z_coded, fig.z_de, fig.detractors_se,
                  fig.detractors_rest);
    read_store_free(&rs);
    store_free(&s);
    return fig;
}

static void plant_all(cvo_generate_options *options)
{
    options->toxic_skus = "SKU-0042";
    options->late_country = "SE";
    options->plant_discount_churn = true;
}

/* ~20000 customers: each planted effect stands out in the raw rows (repeat
 * within 180 days far lower, SE answers detractor-heavy); a country without a
 * plant does not. The planted SKU is in about 2.5% of first orders. */
static void test_planted_effects(void **state)
{
    (void)state;
    cvo_generate_options options;
    options_with(&options, 20000, 11);
    plant_all(&options);
    effect_figures fig = measure_effects(&options);
    assert_true(fig.toxic_share > 0.015 && fig.toxic_share < 0.04);
    assert_true(fig.z_toxic < -4.0);
    assert_true(fig.z_se < -4.0);
    assert_true(fig.z_coded < -4.0);
    assert_true(fabs(fig.z_de) < 3.0);
    assert_true(fig.detractors_se > 0.4);
    assert_true(fig.detractors_rest < 0.22); /* 0.19 without plants */
}

/* The same store without plants: none of those groups differs. */
static void test_no_plants_no_effects(void **state)
{
    (void)state;
    cvo_generate_options options;
    options_with(&options, 20000, 11);
    effect_figures fig = measure_effects(&options);
    assert_true(fabs(fig.z_toxic) < 3.0);
    assert_true(fabs(fig.z_se) < 3.0);
    assert_true(fabs(fig.z_coded) < 3.0);
    assert_true(fabs(fig.z_de) < 3.0);
    assert_true(fabs(fig.detractors_se - fig.detractors_rest) < 0.06);
}

static void test_planted_same_bytes(void **state)
{
    (void)state;
    cvo_generate_options options;
    store first, second, plain;
    options_with(&options, 3000, 4);
    assert_int_equal(generate(&options, &plain), CVO_OK);
    plant_all(&options);
    options.toxic_skus = "SKU-0001,SKU-0120,SKU-0001";
    options.plant_strength = 0.8;
    assert_int_equal(generate(&options, &first), CVO_OK);
    assert_int_equal(generate(&options, &second), CVO_OK);
    assert_int_equal(first.orders_len, second.orders_len);
    assert_memory_equal(first.orders, second.orders, first.orders_len);
    assert_int_equal(first.nps_len, second.nps_len);
    assert_memory_equal(first.nps, second.nps, first.nps_len);
    assert_true(first.orders_len != plain.orders_len ||
                memcmp(first.orders, plain.orders, plain.orders_len) != 0);
    order_scan scan = scan_orders(&first, &options); /* the row rules still hold */
    assert_true(scan.orders >= options.customers);
    store_free(&first);
    store_free(&second);
    store_free(&plain);
}

/* ---- errors ------------------------------------------------------------------------ */

static void expect_argument_error(const cvo_generate_options *options, const char *words)
{
    cvo_ctx *ctx;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    assert_int_equal(cvo_generate(ctx, options, NULL, NULL, NULL), CVO_ERR_ARGUMENT);
    if (strstr(cvo_ctx_message(ctx), words) == NULL)
        fail_msg("message '%s' lacks '%s'", cvo_ctx_message(ctx), words);
    cvo_ctx_free(ctx);
}

static void test_option_errors(void **state)
{
    (void)state;
    cvo_generate_options o;
    cvo_generate_options_init(&o);
    o.customers = 0;
    expect_argument_error(&o, "customers");
    o.customers = 50000001;
    expect_argument_error(&o, "customers");
    cvo_generate_options_init(&o);
    o.last_day = o.first_day;
    expect_argument_error(&o, "first day");
    cvo_generate_options_init(&o);
    o.duplicate_rate = -0.1;
    expect_argument_error(&o, "duplicate");
    o.duplicate_rate = NAN;
    expect_argument_error(&o, "duplicate");
    cvo_generate_options_init(&o);
    o.bgnbd_r = 0;
    expect_argument_error(&o, "r must");
    cvo_generate_options_init(&o);
    o.bgnbd_alpha = -1;
    expect_argument_error(&o, "alpha");
    cvo_generate_options_init(&o);
    o.bgnbd_a = NAN;
    expect_argument_error(&o, "a must");
    cvo_generate_options_init(&o);
    o.bgnbd_b = INFINITY;
    expect_argument_error(&o, "b must");
    cvo_generate_options_init(&o);
    o.process = CVO_GEN_PNBD;
    o.pnbd_s = 0;
    expect_argument_error(&o, "s must");
    o.pnbd_s = 1;
    o.pnbd_beta = NAN;
    expect_argument_error(&o, "beta must");
    o.process = 7;
    expect_argument_error(&o, "unknown purchase process");
    cvo_generate_options_init(&o);
    o.plant_strength = 1.5;
    expect_argument_error(&o, "plant strength");
    o.plant_strength = NAN;
    expect_argument_error(&o, "plant strength");
    cvo_generate_options_init(&o);
    o.toxic_skus = "SKU-0001,SKU-0121";
    expect_argument_error(&o, "'SKU-0121' is not in the catalog");
    o.toxic_skus = "SKU-0001,";
    expect_argument_error(&o, "toxic SKU ''");
    o.toxic_skus = "sku-0001";
    expect_argument_error(&o, "toxic SKU");
    o.toxic_skus = "SKU-1,SKU-2,SKU-3,SKU-4,SKU-5,SKU-6,SKU-7,SKU-8,SKU-9";
    expect_argument_error(&o, "at most 8");
    cvo_generate_options_init(&o);
    o.late_country = "XX";
    expect_argument_error(&o, "late country 'XX'");
    cvo_ctx *ctx;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    assert_int_equal(cvo_generate(ctx, NULL, NULL, NULL, NULL), CVO_ERR_ARGUMENT);
    cvo_ctx_free(ctx);
    cvo_generate_options_init(&o);
    assert_int_equal(cvo_generate(NULL, &o, NULL, NULL, NULL), CVO_ERR_ARGUMENT);
}

static void test_defaults(void **state)
{
    (void)state;
    cvo_generate_options o;
    char day[11];
    cvo_generate_options_init(&o);
    assert_int_equal(o.customers, 1000);
    assert_int_equal(o.seed, 1);
    day_text(o.first_day, day);
    assert_string_equal(day, "2023-01-01");
    day_text(o.last_day, day);
    assert_string_equal(day, "2025-12-31");
    assert_true(o.duplicate_rate == 0.0);
    assert_true(o.bgnbd_r == 0.75 && o.bgnbd_alpha == 20.0);
    assert_true(o.bgnbd_a == 0.8 && o.bgnbd_b == 2.5);
    assert_int_equal(o.process, CVO_GEN_BGNBD);
    assert_true(o.pnbd_r == 0.55 && o.pnbd_alpha == 10.5);
    assert_true(o.pnbd_s == 0.6 && o.pnbd_beta == 11.7);
}

static void test_write_error(void **state)
{
    (void)state;
    cvo_generate_options options;
    cvo_ctx *ctx;
    options_with(&options, 100, 1);
    FILE *read_only = fopen("/dev/null", "r");
    assert_non_null(read_only);
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    assert_int_equal(cvo_generate(ctx, &options, read_only, NULL, NULL), CVO_ERR_WRITE);
    assert_non_null(strstr(cvo_ctx_message(ctx), "orders"));
    assert_int_equal(cvo_generate(ctx, &options, NULL, read_only, NULL), CVO_ERR_WRITE);
    assert_int_equal(cvo_generate(ctx, &options, NULL, NULL, read_only), CVO_ERR_WRITE);
    fclose(read_only);
    cvo_ctx_free(ctx);
}

/* An allocator that fails once `remaining` allocations have succeeded. */
typedef struct failing_allocator {
    int remaining;
    int live;
} failing_allocator;

static void *failing_alloc(void *user_data, size_t size)
{
    failing_allocator *state = user_data;
    if (state->remaining-- <= 0)
        return NULL;
    void *block = malloc(size);
    state->live += block != NULL;
    return block;
}

static void *failing_realloc(void *user_data, void *ptr, size_t size)
{
    failing_allocator *state = user_data;
    if (state->remaining-- <= 0)
        return NULL;
    state->live += ptr == NULL;
    return realloc(ptr, size);
}

static void failing_free(void *user_data, void *ptr)
{
    failing_allocator *state = user_data;
    state->live -= ptr != NULL;
    free(ptr);
}

static void check_out_of_memory(const cvo_generate_options *options)
{
    failing_allocator budget = {1000, 0};
    cvo_allocator allocator = {failing_alloc, failing_realloc, failing_free, &budget};
    cvo_status status = CVO_ERR_NOMEM;
    for (int allowed = 0; status == CVO_ERR_NOMEM; allowed++) {
        cvo_ctx *ctx;
        budget.remaining = 1;
        assert_int_equal(cvo_ctx_new(&ctx, &allocator), CVO_OK);
        budget.remaining = allowed;
        char *text = NULL;
        size_t len = 0;
        FILE *orders = open_memstream(&text, &len);
        status = cvo_generate(ctx, options, orders, orders, orders);
        assert_true(status == CVO_OK || status == CVO_ERR_NOMEM);
        fclose(orders);
        free(text);
        cvo_ctx_free(ctx);
        assert_int_equal(budget.live, 0); /* nothing leaked on any path */
        assert_true(allowed < 100);
    }
}

static void test_out_of_memory(void **state)
{
    (void)state;
    cvo_generate_options options;
    options_with(&options, 50, 1);
    check_out_of_memory(&options);
    plant_all(&options); /* the per-customer plant marks */
    check_out_of_memory(&options);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_is_seeded),
        cmocka_unit_test(test_rng_gamma_moments),
        cmocka_unit_test(test_rng_beta_poisson_exponential),
        cmocka_unit_test(test_rng_below_and_weighted),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_streams_are_independent),
        cmocka_unit_test(test_headers_exact),
        cmocka_unit_test(test_order_rows),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_products),
        cmocka_unit_test(test_nps_rows),
        cmocka_unit_test(test_orders_per_customer_defaults),
        cmocka_unit_test(test_orders_per_customer_other_process),
        cmocka_unit_test(test_orders_per_customer_pareto_nbd),
        cmocka_unit_test(test_pareto_nbd_mode_bytes),
        cmocka_unit_test(test_deliveries),
        cmocka_unit_test(test_survey_timing),
        cmocka_unit_test(test_plants_off_by_default),
        cmocka_unit_test(test_planted_effects),
        cmocka_unit_test(test_no_plants_no_effects),
        cmocka_unit_test(test_planted_same_bytes),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
