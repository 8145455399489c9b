/* fuzz_nps.c - libFuzzer target for the NPS answers reader, joined to a small
 * fixed store. The first byte picks options (a column map, a before day, a latest day);
 * the rest is the answers file. Checks that every answer is used, rejected or
 * left out as later, the groups add up, and the joins stay in range. */
#include "cvo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char STORE[] =
    "order_id,email,order_date,sku,product,category,quantity,unit_price,fulfilled_at,"
    "delivered_at\n"
    "#1,ann@example.com,2024-03-01,S1,Beans,Coffee,1,40.00,2024-03-02,2024-03-06\n"
    "#1,ann@example.com,2024-03-01,S2,Mug,Cups,1,9.00,,\n"
    "2,bob@example.com,2024-03-02,S2,Mug,Cups,1,9.00,2024-03-03,\n"
    "3,ann@example.com,2024-03-20,S3,Tea,,1,30.00,,\n";

static int memfile(const void *bytes, size_t len, char *path, size_t cap)
{
    int fd = memfd_create("input", 0);
    if (fd < 0 || write(fd, bytes, len) != (ssize_t)len) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

static cvo_status count_reject(void *user_data, const cvo_nps_reject *reject)
{
    (void)reject;
    (*(uint64_t *)user_data)++;
    return CVO_OK;
}

static uint64_t group_sum(const cvo_nps *nps, cvo_nps_dimension dim)
{
    size_t n = 0;
    uint64_t sum = 0;
    const cvo_nps_group *g = cvo_nps_groups(nps, dim, &n);
    for (size_t i = 0; i < n; i++) {
        if (g[i].n != g[i].promoters + g[i].passives + g[i].detractors)
            abort();
        sum += g[i].n;
    }
    return sum;
}

static void check(const cvo_nps *nps, const cvo_nps_stats *st, uint64_t reported, size_t customers)
{
    if (st->records != st->used + st->rejected + st->later || reported != st->rejected ||
        st->joined_orders > st->joined_customers || st->joined_customers > st->used ||
        st->joined_by_order_id > st->joined_orders)
        abort();
    const cvo_nps_group *all = cvo_nps_overall(nps);
    if (all->n != st->used || group_sum(nps, CVO_NPS_BY_STAGE) != st->used ||
        group_sum(nps, CVO_NPS_BY_MONTH) != st->used ||
        group_sum(nps, CVO_NPS_BY_COUNTRY) != st->used)
        abort();
    if (all->n > 0 && (all->nps < -100 || all->nps > 100 || all->ci_low > all->ci_high))
        abort();
    for (size_t i = 0; i < customers; i++) {
        int score = cvo_nps_customer_last(nps, i);
        if (score < -1 || score > 10)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char store_path[64], nps_path[64];
    int store_fd = memfile(STORE, sizeof STORE - 1, store_path, sizeof store_path);
    int nps_fd = memfile(data + 1, size - 1, nps_path, sizeof nps_path);
    cvo_ctx *ctx = NULL;
    if (store_fd < 0 || nps_fd < 0 || cvo_ctx_new(&ctx, NULL) != CVO_OK)
        abort();
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = store_path;
    lo.keep_orders = true;
    cvo_customers *customers = NULL;
    if (cvo_orders_load(ctx, &lo, &customers, NULL) != CVO_OK)
        abort();
    cvo_nps_options o;
    cvo_nps_options_init(&o);
    o.path = nps_path;
    o.customers = customers;
    o.column_map = (data[0] & 1) ? "email=Email Address,score=How likely" : NULL;
    o.before_day = (data[0] & 2) ? cvo_day_from_ymd(2024, 3, 10) : INT32_MAX;
    o.latest_day = (data[0] & 4) ? cvo_day_from_ymd(2024, 3, 20) : INT32_MAX;
    uint64_t reported = 0;
    o.on_reject = count_reject;
    o.reject_user_data = &reported;
    cvo_nps *nps = NULL;
    cvo_nps_stats stats;
    if (cvo_nps_load(ctx, &o, &nps, &stats) == CVO_OK)
        check(nps, &stats, reported, cvo_customers_count(customers));
    cvo_nps_free(nps);
    cvo_customers_free(customers);
    cvo_ctx_free(ctx);
    close(store_fd);
    close(nps_fd);
    return 0;
}
