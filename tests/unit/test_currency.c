/* test_currency.c - core/currency and core/status (issue 14): ISO 4217 codes,
 * conversion rounding, the rate in force on a day and its gaps, every error
 * of a rates file with its line, status folding (wc- prefix, labels,
 * BigCommerce ids) and the count/skip lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/currency.h"
#include "core/status.h"

static void iso_codes(void **state)
{
    (void)state;
    assert_true(currency_known("EUR", 3));
    assert_true(currency_known("USD", 3));
    assert_true(currency_known("AED", 3));
    assert_true(currency_known("ZWL", 3));
    assert_true(currency_known("JPY", 3));
    assert_false(currency_known("EURO", 4));
    assert_false(currency_known("eur", 3));
    assert_false(currency_known("XXY", 3));
    assert_false(currency_known("", 0));
}

static void conversion_rounds_half_away_from_zero(void **state)
{
    (void)state;
    int64_t out;
    assert_true(currency_convert(1000, 91000000, &out)); /* 10.00 x 0.91 */
    assert_int_equal(out, 910);
    assert_true(currency_convert(1, 50000000, &out)); /* 0.005 -> 0.01 */
    assert_int_equal(out, 1);
    assert_true(currency_convert(-1, 50000000, &out));
    assert_int_equal(out, -1);
    assert_true(currency_convert(12345, 123456789, &out)); /* 152.407... */
    assert_int_equal(out, 15241);
    assert_false(currency_convert(INT64_MAX, 200000000, &out));
}

static char *write_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/test_currency_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void rate_in_force(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    char *path = write_file("Date,Currency,Rate\n2025-02-01,USD,0.95\n2025-01-01,USD,0.9\n"
                            "2025-01-15,GBP,1.2\n");
    rates *r = NULL;
    assert_int_equal(rates_load(ctx, path, "EUR", &r), CVO_OK);
    int64_t rate = 0;
    int32_t first = 0;
    assert_int_equal(rates_find(r, "USD", cvo_day_from_ymd(2025, 1, 31), &rate, &first), RATE_OK);
    assert_int_equal(rate, 90000000);
    assert_int_equal(rates_find(r, "USD", cvo_day_from_ymd(2025, 2, 1), &rate, &first), RATE_OK);
    assert_int_equal(rate, 95000000);
    assert_int_equal(rates_find(r, "USD", cvo_day_from_ymd(2030, 1, 1), &rate, &first), RATE_OK);
    assert_int_equal(rate, 95000000);
    assert_int_equal(rates_find(r, "USD", cvo_day_from_ymd(2024, 12, 31), &rate, &first),
                     RATE_TOO_EARLY);
    assert_int_equal(first, cvo_day_from_ymd(2025, 1, 1));
    assert_int_equal(rates_find(r, "GBP", cvo_day_from_ymd(2025, 1, 15), &rate, &first), RATE_OK);
    assert_int_equal(rate, 120000000);
    assert_int_equal(rates_find(r, "CHF", cvo_day_from_ymd(2025, 1, 15), &rate, &first),
                     RATE_NO_CURRENCY);
    rates_free(r);
    unlink(path);
    cvo_ctx_free(ctx);
}

typedef struct bad_rates {
    const char *text;
    const char *message; /* after "path" */
} bad_rates;

static void rates_errors(void **state)
{
    (void)state;
    static const bad_rates cases[] = {
        {"date,currency\n", ":1: needs the columns date, currency and rate"},
        {"date,currency,rate\n2025-13-01,USD,1\n", ":2: bad date '2025-13-01' (YYYY-MM-DD)"},
        {"date,currency,rate\n2025-01-01,USX,1\n", ":2: unknown currency code 'USX'"},
        {"date,currency,rate\n2025-01-01,EUR,1\n", ":2: a rate for EUR, the store currency"},
        {"date,currency,rate\n2025-01-01,USD,0\n", ":2: bad rate '0'"},
        {"date,currency,rate\n2025-01-01,USD,1.123456789\n", ":2: bad rate '1.123456789'"},
        {"date,currency,rate\n2025-01-01,USD,-1\n", ":2: bad rate '-1'"},
        {"date,currency,rate\n2025-01-01,USD,1\n2025-01-01,USD,2\n",
         ":3: a second USD rate for 2025-01-01 (line 2)"},
        {"date,currency,rate\n", ": no rates"},
    };
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *path = write_file(cases[i].text);
        rates *r = NULL;
        assert_int_equal(rates_load(ctx, path, "EUR", &r), CVO_ERR_FORMAT);
        assert_null(r);
        const char *m = cvo_ctx_message(ctx);
        if (strncmp(m, path, strlen(path)) != 0 ||
            strncmp(m + strlen(path), cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("case %zu: %s", i, m);
        unlink(path);
    }
    cvo_ctx_free(ctx);
}

static status_class classify(const status_rules *rules, const char *text)
{
    char folded[STATUS_NAME_BYTES];
    status_fold(rules, text, strlen(text), folded);
    return status_classify(rules, folded);
}

static void statuses_by_platform(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    status_rules r;
    assert_int_equal(status_rules_init(ctx, &r, CVO_FORMAT_WOOCOMMERCE, NULL, NULL), CVO_OK);
    assert_int_equal(classify(&r, "wc-completed"), STATUS_COUNTED);
    assert_int_equal(classify(&r, "Processing"), STATUS_COUNTED);
    assert_int_equal(classify(&r, "wc-on-hold"), STATUS_NOT_COUNTED);
    assert_int_equal(classify(&r, "On hold"), STATUS_NOT_COUNTED);
    assert_int_equal(classify(&r, "wc-cancelled"), STATUS_NOT_COUNTED);
    assert_int_equal(classify(&r, "shipped"), STATUS_UNKNOWN);
    assert_int_equal(status_rules_init(ctx, &r, CVO_FORMAT_SHOPIFY, NULL, NULL), CVO_OK);
    assert_int_equal(classify(&r, "partially_paid"), STATUS_COUNTED);
    assert_int_equal(classify(&r, "expired"), STATUS_NOT_COUNTED);
    assert_int_equal(classify(&r, "authorized"), STATUS_NOT_COUNTED);
    assert_int_equal(status_rules_init(ctx, &r, CVO_FORMAT_BIGCOMMERCE, NULL, NULL), CVO_OK);
    assert_int_equal(classify(&r, "Awaiting Fulfillment"), STATUS_COUNTED);
    assert_int_equal(classify(&r, "11"), STATUS_COUNTED); /* status_id 11 */
    assert_int_equal(classify(&r, "7"), STATUS_NOT_COUNTED); /* Awaiting Payment */
    assert_int_equal(classify(&r, "15"), STATUS_UNKNOWN);
    assert_int_equal(status_rules_init(ctx, &r, CVO_FORMAT_MAGENTO, NULL, NULL), CVO_OK);
    assert_int_equal(classify(&r, "Complete"), STATUS_COUNTED);
    assert_int_equal(classify(&r, "holded"), STATUS_NOT_COUNTED);
    assert_int_equal(classify(&r, "Suspected Fraud"), STATUS_NOT_COUNTED);
    assert_int_equal(classify(&r, "Canceled"), STATUS_NOT_COUNTED);
    /* a list replaces the counted defaults; skip names the store's own */
    assert_int_equal(status_rules_init(ctx, &r, CVO_FORMAT_WOOCOMMERCE, "completed, wc-shipped",
                                       "Awaiting Pickup"),
                     CVO_OK);
    assert_int_equal(classify(&r, "processing"), STATUS_NOT_COUNTED);
    assert_int_equal(classify(&r, "Shipped"), STATUS_COUNTED);
    assert_int_equal(classify(&r, "wc-awaiting-pickup"), STATUS_NOT_COUNTED);
    assert_int_equal(status_rules_init(ctx, &r, CVO_FORMAT_SHOPIFY, "paid,,x", NULL),
                     CVO_ERR_ARGUMENT);
    assert_string_equal(cvo_ctx_message(ctx),
                        "orders.count_statuses: an empty status name in 'paid,,x'");
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iso_codes),
        cmocka_unit_test(conversion_rounds_half_away_from_zero),
        cmocka_unit_test(rate_in_force),
        cmocka_unit_test(rates_errors),
        cmocka_unit_test(statuses_by_platform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
