/* fuzz_orders.c - libFuzzer target for the whole orders loader. The first
 * byte picks options; the rest is the file. Checks the loader's promise that
 * every record is used or rejected: records == used + rejected; with the kept
 * orders, that every order's products and code are in range and that the
 * table as of any day holds exactly the orders before it; with a latest day,
 * that no order comes after it. */
#include "cvo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cvo_status count_reject(void *user_data, const cvo_reject *reject)
{
    (void)reject;
    (*(uint64_t *)user_data)++;
    return CVO_OK;
}

/* Kept orders: as many as counted, by day, products and code in range. */
static uint64_t check_orders(const cvo_customers *table, size_t i)
{
    size_t n = 0, products = 0;
    const cvo_order *o = cvo_customers_orders(table, i, &n);
    for (size_t k = 0; k < n; k++) {
        if ((k > 0 && o[k].day < o[k - 1].day) || o[k].code >= cvo_customers_code_count(table) ||
            (o[k].code != 0) != o[k].has_code)
            abort();
        const uint32_t *p = cvo_customers_order_products(table, &o[k], &products);
        for (size_t j = 0; j < products; j++)
            if (cvo_customers_product(table, p[j]) == NULL)
                abort();
    }
    return n;
}

/* The table as of its middle day: customers with an order before it, each
 * with exactly those orders. */
static void check_as_of(const cvo_customers *table, uint64_t kept)
{
    if (cvo_customers_count(table) == 0)
        return;
    int32_t first = INT32_MAX, last = cvo_customers_last_day(table);
    for (size_t i = 0; i < cvo_customers_count(table); i++)
        if (cvo_customers_at(table, i)->first_order_day < first)
            first = cvo_customers_at(table, i)->first_order_day;
    int32_t mid = first + (int32_t)(((int64_t)last - first + 1) / 2);
    cvo_ctx *ctx = NULL;
    cvo_customers *cut = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        abort();
    cvo_status status = cvo_customers_as_of(ctx, table, mid, &cut);
    uint64_t before = 0, orders = 0;
    for (size_t i = 0; i < cvo_customers_count(table); i++) {
        size_t n = 0;
        const cvo_order *o = cvo_customers_orders(table, i, &n);
        for (size_t k = 0; k < n; k++)
            before += o[k].day < mid;
    }
    if ((status == CVO_OK) != (before > 0) || before > kept)
        abort();
    for (size_t i = 0; i < cvo_customers_count(cut); i++) {
        const cvo_customer *c = cvo_customers_at(cut, i);
        if (c->last_order_day >= mid || c->orders != check_orders(cut, i))
            abort();
        orders += c->orders;
    }
    if (status == CVO_OK && (orders != before || cvo_customers_last_day(cut) != mid - 1))
        abort();
    cvo_customers_free(cut);
    cvo_ctx_free(ctx);
}

static void check(const cvo_load_stats *stats, uint64_t reported, const cvo_customers *table,
                  const cvo_load_options *options)
{
    bool kept = options->keep_orders;
    if (stats->records != stats->used + stats->rejected || reported != stats->rejected)
        abort();
    if (cvo_customers_count(table) > 0 && cvo_customers_last_day(table) > options->latest_day)
        abort();
    uint64_t orders = 0;
    for (size_t i = 0; i < cvo_customers_count(table); i++) {
        const cvo_customer *c = cvo_customers_at(table, i);
        if (c->orders == 0 || c->first_order_day > c->last_order_day)
            abort();
        if (kept && check_orders(table, i) != c->orders)
            abort();
        orders += c->orders;
    }
    if (orders != stats->orders)
        abort();
    if (kept)
        check_as_of(table, orders);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int fd = memfd_create("orders", 0);
    if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        abort();
    cvo_load_options options;
    cvo_load_options_init(&options);
    options.path = path;
    options.format = (cvo_format)(data[0] & 3);
    options.decimal_comma = (data[0] & 4) != 0;
    options.cancel_prefix = (data[0] & 8) ? "C" : NULL;
    options.date_format = (data[0] & 16) ? "%m/%d/%Y %H:%M" : NULL;
    options.keep_orders = (data[0] & 32) != 0;
    options.latest_day = (data[0] & 64) ? cvo_day_from_ymd(2024, 1, 2) : INT32_MAX;
    uint64_t reported = 0;
    options.on_reject = count_reject;
    options.reject_user_data = &reported;
    cvo_customers *table = NULL;
    cvo_load_stats stats;
    if (cvo_orders_load(ctx, &options, &table, &stats) == CVO_OK)
        check(&stats, reported, table, &options);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
    close(fd);
    return 0;
}
