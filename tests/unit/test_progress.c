/* test_progress.c - cvo_load_options.on_progress: called at most once per
 * CVO_PROGRESS_STEP bytes, never by two threads at once, never going back
 * (but once, to 0, when the loader reads the input a second time), ending at
 * the file's size; gzip counts compressed bytes of the stored size; the
 * table is the same with or without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "core/orders.h"
#include "cvo.h"

#define CANONICAL_HEADER                                                                           \
    "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,discount,"              \
    "unit_cost,shipping_cost,refund,country,discount_code,channel\n"

typedef struct watch {
    atomic_int inside;     /* threads in the callback now */
    uint64_t calls;
    uint64_t last_done, last_total;
    uint64_t restarts;     /* times bytes_done went back (to 0) */
    bool overlapped;
} watch;

static void on_progress(void *user_data, uint64_t done, uint64_t total)
{
    watch *w = user_data;
    if (atomic_fetch_add(&w->inside, 1) != 0)
        w->overlapped = true;
    if (done < w->last_done) {
        w->restarts++;
        if (done != 0 && done >= CVO_PROGRESS_STEP * 2)
            w->overlapped = true; /* a restart reports from the start */
    }
    w->calls++;
    w->last_done = done;
    w->last_total = total;
    usleep(200); /* long enough that the other worker finds the callback busy */
    atomic_fetch_sub(&w->inside, 1);
}

/* A store of `lines` lines; apart: the last line belongs to the first order
 * (the loader finds it at the end and reads the file a second time). Returns
 * the file's size. */
static uint64_t write_store(const char *path, size_t lines, bool apart)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(CANONICAL_HEADER, f);
    for (size_t i = 0; i < lines; i++) {
        size_t order = apart && i == lines - 1 ? 0 : i / 2;
        fprintf(f, "O%zu,C%zu,,2024-%02zu-%02zu,SKU-%zu,Product,1,%zu.50,,,,,,,\n", order,
                order % 7919, order % 12 + 1, order % 28 + 1, i % 50, i % 90 + 1);
    }
    assert_int_equal(fclose(f), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

typedef struct loaded {
    size_t customers;
    cvo_load_stats stats;
} loaded;

static void load(const char *path, int threads, const load_tuning *tune, watch *w, loaded *out)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_load_options options;
    cvo_load_options_init(&options);
    options.path = path;
    options.threads = threads;
    if (w != NULL) {
        memset(w, 0, sizeof *w);
        options.on_progress = on_progress;
        options.progress_user_data = w;
    }
    cvo_customers *customers = NULL;
    cvo_status status = orders_load_tuned(ctx, &options, tune, &customers, &out->stats);
    if (status != CVO_OK)
        fail_msg("%s: %s", path, cvo_ctx_message(ctx));
    out->customers = cvo_customers_count(customers);
    cvo_customers_free(customers);
    cvo_ctx_free(ctx);
}

static void expect_bounded(const watch *w, uint64_t size, uint64_t passes)
{
    assert_false(w->overlapped);
    assert_int_equal(w->last_done, size);
    assert_int_equal(w->last_total, size);
    assert_true(w->calls >= 1);
    if (w->calls > passes * (size / CVO_PROGRESS_STEP + 1))
        fail_msg("%llu calls for %llu bytes", (unsigned long long)w->calls,
                 (unsigned long long)size);
}

static void plain_file_one_and_two_workers(void **state)
{
    (void)state;
    char path[] = "/tmp/cvo-test-progress-XXXXXX";
    close(mkstemp(path));
    uint64_t size = write_store(path, 120000, false); /* ~7 MB */
    load_tuning tune = {1 << 16, 1 << 20, false};
    loaded quiet, counted;
    load(path, 2, &tune, NULL, &quiet);
    for (int threads = 1; threads <= 2; threads++) {
        watch w;
        load(path, threads, &tune, &w, &counted);
        expect_bounded(&w, size, 1);
        assert_int_equal(w.restarts, 0);
        assert_true(w.calls >= size / CVO_PROGRESS_STEP / 2); /* it does report on the way */
        assert_int_equal(counted.customers, quiet.customers);
        assert_memory_equal(&counted.stats, &quiet.stats, sizeof quiet.stats);
    }
    unlink(path);
}

static void second_pass_starts_again(void **state)
{
    (void)state;
    char path[] = "/tmp/cvo-test-progress-XXXXXX";
    close(mkstemp(path));
    uint64_t size = write_store(path, 60000, true);
    load_tuning tune = {1 << 16, 1 << 20, false};
    watch w;
    loaded counted;
    load(path, 2, &tune, &w, &counted);
    expect_bounded(&w, size, 2);
    assert_int_equal(w.restarts, 1);
    unlink(path);
}

static void gzip_counts_compressed_bytes(void **state)
{
    (void)state;
    char path[] = "/tmp/cvo-test-progress-XXXXXX";
    close(mkstemp(path));
    write_store(path, 60000, false);
    char command[128], gz_path[64];
    snprintf(gz_path, sizeof gz_path, "%s.gz", path);
    snprintf(command, sizeof command, "gzip -f %s", path);
    assert_int_equal(system(command), 0);
    struct stat st;
    assert_int_equal(stat(gz_path, &st), 0);
    load_tuning tune = {0, 1 << 20, false};
    watch w;
    loaded counted;
    load(gz_path, 2, &tune, &w, &counted);
    expect_bounded(&w, (uint64_t)st.st_size, 1);
    assert_int_equal(counted.stats.records, 60000);
    unlink(gz_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_file_one_and_two_workers),
        cmocka_unit_test(second_pass_starts_again),
        cmocka_unit_test(gzip_counts_compressed_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
