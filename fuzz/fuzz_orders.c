/* fuzz_orders.c - libFuzzer target for the whole orders loader. The first
 * byte picks options; the rest is the file. Checks the loader's promise that
 * every record is used or rejected: records == used + rejected. */
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

static void check(const cvo_load_stats *stats, uint64_t reported, const cvo_customers *table)
{
    if (stats->records != stats->used + stats->rejected || reported != stats->rejected)
        abort();
    uint64_t orders = 0;
    for (size_t i = 0; i < cvo_customers_count(table); i++) {
        const cvo_customer *c = cvo_customers_at(table, i);
        if (c->orders == 0 || c->first_order_day > c->last_order_day)
            abort();
        orders += c->orders;
    }
    if (orders != stats->orders)
        abort();
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
    uint64_t reported = 0;
    options.on_reject = count_reject;
    options.reject_user_data = &reported;
    cvo_customers *table = NULL;
    cvo_load_stats stats;
    if (cvo_orders_load(ctx, &options, &table, &stats) == CVO_OK)
        check(&stats, reported, table);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
    close(fd);
    return 0;
}
