/* test_orders.c - the orders loader through cvo.h and the tuning knobs of
 * core/orders.h: every way of reading a file (whole, 1-byte chunks, split
 * between two workers, general mode) gives the same customer table, stats and
 * rejects; non-contiguous orders; the row rules on tests/data/messy.csv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/limits.h"
#include "core/orders.h"
#include "cvo.h"

#define CANONICAL_HEADER                                                                           \
    "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,discount,"              \
    "unit_cost,shipping_cost,refund,country,discount_code,channel\n"

#define MESSY_PATH "tests/data/messy.csv"

/* ---- growing text buffer ----------------------------------------------------- */

typedef struct text {
    char *ptr;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->ptr = realloc(t->ptr, cap);
        assert_non_null(t->ptr);
        t->cap = cap;
    }
    memcpy(t->ptr + t->len, s, n);
    t->len += n;
    t->ptr[t->len] = '\0';
}

static void text_printf(text *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(text *t, const char *format, ...)
{
    char buf[4096];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    assert_true(n >= 0 && (size_t)n < sizeof buf);
    text_add(t, buf, (size_t)n);
}

static void text_free(text *t)
{
    free(t->ptr);
    memset(t, 0, sizeof *t);
}

/* ---- temp files ------------------------------------------------------------------ */

typedef struct temp_file {
    char path[64];
} temp_file;

static void temp_write(temp_file *f, const char *data, size_t len)
{
    snprintf(f->path, sizeof f->path, "/tmp/cvo-test-orders-XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    assert_int_equal(close(fd), 0);
}

static void temp_remove(temp_file *f)
{
    unlink(f->path);
}

/* ---- loading and snapshots ------------------------------------------------------ */

enum { MAX_REJECTS = 256 };

typedef struct reject_log {
    size_t count;
    uint64_t line[MAX_REJECTS];
    cvo_reject_reason reason[MAX_REJECTS];
    char detail[MAX_REJECTS][96];
} reject_log;

static cvo_status log_reject(void *user_data, const cvo_reject *r)
{
    reject_log *log = user_data;
    if (log->count == MAX_REJECTS)
        return CVO_ERR_LIMIT;
    log->line[log->count] = r->line;
    log->reason[log->count] = r->reason;
    snprintf(log->detail[log->count], sizeof log->detail[0], "%s", r->detail);
    log->count++;
    return CVO_OK;
}

/* One load: the table, the stats and the rejects it reported. */
typedef struct result {
    cvo_ctx *ctx; /* lives as long as the table made in it */
    cvo_status status;
    cvo_customers *customers;
    cvo_load_stats stats;
    reject_log rejects;
    char message[512];
} result;

typedef struct load_setup {
    const char *cancel_prefix;
    const char *date_format;
    const char *rates_path;
} load_setup;

/* tune NULL: the public cvo_orders_load. */
static void load_with(const char *path, const load_tuning *tune, const load_setup *setup,
                      result *out)
{
    memset(out, 0, sizeof *out);
    assert_int_equal(cvo_ctx_new(&out->ctx, NULL), CVO_OK);
    cvo_ctx *ctx = out->ctx;
    cvo_load_options options;
    cvo_load_options_init(&options);
    options.path = path;
    options.display_name = "test.csv";
    options.on_reject = log_reject;
    options.reject_user_data = &out->rejects;
    if (setup != NULL) {
        options.cancel_prefix = setup->cancel_prefix;
        options.date_format = setup->date_format;
        options.rates_path = setup->rates_path;
    }
    if (tune == NULL)
        out->status = cvo_orders_load(ctx, &options, &out->customers, &out->stats);
    else
        out->status = orders_load_tuned(ctx, &options, tune, &out->customers, &out->stats);
    snprintf(out->message, sizeof out->message, "%s", cvo_ctx_message(ctx));
}

static void load_ok(const char *path, const load_tuning *tune, const load_setup *setup, result *out)
{
    load_with(path, tune, setup, out);
    if (out->status != CVO_OK)
        fail_msg("load of %s failed: %d %s", path, (int)out->status, out->message);
    assert_non_null(out->customers);
}

static void result_free(result *r)
{
    cvo_customers_free(r->customers);
    cvo_ctx_free(r->ctx);
    r->customers = NULL;
    r->ctx = NULL;
}

static const cvo_customer *find_customer(const cvo_customers *table, const char *id,
                                         const char *email)
{
    for (size_t i = 0; i < cvo_customers_count(table); i++) {
        const cvo_customer *c = cvo_customers_at(table, i);
        if (strcmp(c->customer_id, id) == 0 && (email == NULL || strcmp(c->email, email) == 0))
            return c;
    }
    fail_msg("customer '%s' not in the table", id);
    return NULL;
}

static void expect_customer(const cvo_customers *table, const char *id, const char *email,
                            uint32_t orders, int64_t cents, const char *first, const char *last)
{
    const cvo_customer *c = find_customer(table, id, email);
    char day[11];
    assert_int_equal(c->orders, orders);
    assert_int_equal(c->net_revenue_cents, cents);
    cvo_day_format(c->first_order_day, day);
    assert_string_equal(day, first);
    cvo_day_format(c->last_order_day, day);
    assert_string_equal(day, last);
}

/* Same customers in the same order with the same figures. */
static void expect_same_table(const cvo_customers *a, const cvo_customers *b, const char *what)
{
    if (cvo_customers_count(a) != cvo_customers_count(b))
        fail_msg("%s: %zu customers, want %zu", what, cvo_customers_count(b),
                 cvo_customers_count(a));
    for (size_t i = 0; i < cvo_customers_count(a); i++) {
        const cvo_customer *x = cvo_customers_at(a, i), *y = cvo_customers_at(b, i);
        if (strcmp(x->customer_id, y->customer_id) != 0 || strcmp(x->email, y->email) != 0 ||
            x->first_order_day != y->first_order_day || x->last_order_day != y->last_order_day ||
            x->orders != y->orders || x->net_revenue_cents != y->net_revenue_cents ||
            x->items != y->items)
            fail_msg("%s: row %zu differs: '%s' '%s' %u orders %lld cents %lld items, want "
                     "'%s' '%s' %u orders %lld cents %lld items",
                     what, i, y->customer_id, y->email, y->orders, (long long)y->net_revenue_cents,
                     (long long)y->items, x->customer_id, x->email, x->orders,
                     (long long)x->net_revenue_cents, (long long)x->items);
    }
    assert_int_equal(cvo_customers_last_day(a), cvo_customers_last_day(b));
}

/* Every figure but bytes: it counts reads, and the header reader's first
 * block is read again by the workers, so it depends on the read path. */
static void expect_same_stats(const cvo_load_stats *a, const cvo_load_stats *b, const char *what)
{
#define SAME(field)                                                                                \
    if (a->field != b->field)                                                                      \
        fail_msg("%s: stats." #field " %lld, want %lld", what, (long long)b->field,                \
                 (long long)a->field);
    SAME(records)
    SAME(used)
    SAME(rejected)
    SAME(duplicates)
    SAME(return_lines)
    SAME(returns_cents)
    SAME(orders)
    SAME(cancelled_orders)
    SAME(refunded_orders)
    SAME(return_orders)
    SAME(repaired_fields)
    SAME(joined_by_email)
    SAME(format)
    SAME(delimiter)
    for (int i = 0; i < CVO_REJECT__COUNT; i++)
        SAME(rejected_by_reason[i])
    SAME(not_counted)
    SAME(not_counted_orders)
    SAME(status_kinds)
    for (uint32_t i = 0; i < a->status_kinds; i++) {
        SAME(not_counted_by_status[i].orders)
        SAME(not_counted_by_status[i].records)
        assert_string_equal(a->not_counted_by_status[i].status, b->not_counted_by_status[i].status);
    }
    SAME(currency_count)
    for (uint32_t i = 0; i < a->currency_count; i++) {
        SAME(currencies[i].orders)
        SAME(currencies[i].net_cents)
        SAME(currencies[i].store_cents)
        SAME(currencies[i].rejected_orders)
        assert_string_equal(a->currencies[i].code, b->currencies[i].code);
    }
    assert_string_equal(a->currency, b->currency);
#undef SAME
}

static void expect_same_rejects(const reject_log *a, const reject_log *b, const char *what)
{
    if (a->count != b->count)
        fail_msg("%s: %zu rejects, want %zu", what, b->count, a->count);
    for (size_t i = 0; i < a->count; i++)
        if (a->line[i] != b->line[i] || a->reason[i] != b->reason[i] ||
            strcmp(a->detail[i], b->detail[i]) != 0)
            fail_msg("%s: reject %zu is line %llu '%s', want line %llu '%s'", what, i,
                     (unsigned long long)b->line[i], b->detail[i], (unsigned long long)a->line[i],
                     a->detail[i]);
}

static void expect_totals_add_up(const cvo_load_stats *s)
{
    uint64_t by_reason = 0;
    for (int i = 0; i < CVO_REJECT__COUNT; i++)
        by_reason += s->rejected_by_reason[i];
    assert_int_equal(s->records, s->used + s->not_counted + s->rejected);
    assert_int_equal(s->rejected, by_reason);
    assert_int_equal(s->duplicates, s->rejected_by_reason[CVO_REJECT_DUPLICATE]);
}

/* The tunings every file is read with; the first is the reference. */
static const struct {
    const char *name;
    load_tuning tune;
} tunings[] = {
    {"whole, one worker", {0, UINT64_MAX, false}},
    {"1-byte chunks", {1, UINT64_MAX, false}},
    {"two workers", {0, 1, false}},
    {"two workers, 1-byte chunks", {1, 1, false}},
    {"two workers, 7-byte chunks", {7, 1, false}},
    {"general mode", {0, UINT64_MAX, true}},
    {"general mode, 1-byte chunks", {1, UINT64_MAX, true}},
};

/* Reads path every way and checks all agree; returns the reference result. */
static void expect_all_tunings_agree(const char *path, const load_setup *setup, result *reference)
{
    load_ok(path, &tunings[0].tune, setup, reference);
    expect_totals_add_up(&reference->stats);
    for (size_t i = 1; i < sizeof tunings / sizeof tunings[0]; i++) {
        result r;
        load_ok(path, &tunings[i].tune, setup, &r);
        expect_same_table(reference->customers, r.customers, tunings[i].name);
        expect_same_stats(&reference->stats, &r.stats, tunings[i].name);
        expect_same_rejects(&reference->rejects, &r.rejects, tunings[i].name);
        result_free(&r);
    }
    result public_api;
    load_ok(path, NULL, setup, &public_api);
    expect_same_table(reference->customers, public_api.customers, "cvo_orders_load");
    expect_same_stats(&reference->stats, &public_api.stats, "cvo_orders_load");
    result_free(&public_api);
}

/* ---- a store of a few hundred orders ------------------------------------------------ */

enum { STORE_ORDERS = 400 };

/* special_at >= 0: that order's first line carries a product note of many
 * quoted lines. pad: extra characters in the first product name, to move the
 * middle of the file against the records. */
static void build_store(text *t, int special_at, int pad)
{
    t->len = 0;
    text_add(t, CANONICAL_HEADER, strlen(CANONICAL_HEADER));
    int32_t day0 = cvo_day_from_ymd(2024, 1, 1);
    for (int i = 0; i < STORE_ORDERS; i++) {
        char date[11], id[16];
        cvo_day_format(day0 + i % 300, date);
        int customer = (i * 7) % 97;
        if (i % 23 == 7)
            id[0] = '\0'; /* email only: joined to C<customer> */
        else
            snprintf(id, sizeof id, "C%03d", customer);
        int lines = 1 + i % 3;
        bool refunded = i % 41 == 3;
        size_t first_line = t->len;
        for (int j = 0; j < lines; j++) {
            int quantity = (i + j) % 4 + 1;
            if (i % 37 == 5 && j == 1)
                quantity = -1;
            int price = (i * 13 + j * 7) % 5000 + 100;
            text_printf(t, "O%05d,%s,c%03d@example.com,%s,SKU-%d,", i, id, customer, date, j);
            if (i == special_at && j == 0) {
                text_add(t, "\"Engraved note:\n", 16);
                for (int k = 0; k < 30; k++)
                    text_printf(t, "line %02d of the note, a fairly long text\n", k);
                text_add(t, "end of note\"", 12);
            } else if (i == 0 && j == 0) {
                text_add(t, "Mug ", 4);
                for (int k = 0; k < pad; k++)
                    text_add(t, "x", 1);
            } else if (i % 5 == 0) {
                text_add(t, "\"Mug, large\"", 12);
            } else if (i % 11 == 0) {
                text_add(t, "\"Say \"\"hi\"\"\"", 12);
            } else {
                text_printf(t, "Item %d", (i * 31 + j) % 57);
            }
            int refund = refunded && quantity > 0 ? quantity * price : 0;
            text_printf(t, ",%d,%d.%02d,%s,1.00,%s,%d.%02d,FR,,web\n", quantity, price / 100,
                        price % 100, i % 9 == 0 && j == 0 ? "1.00" : "0", j == 0 ? "4.90" : "",
                        refund / 100, refund % 100);
            if (i % 31 == 4 && j == lines - 1) /* an exact copy of the order's first line */
                text_add(t, t->ptr + first_line,
                         (size_t)(strchr(t->ptr + first_line, '\n') - (t->ptr + first_line)) + 1);
        }
        if (i % 53 == 10)
            text_printf(t,
                        "O%05d,%s,c%03d@example.com,2024-02-30,SKU-9,Bad,1,1.00,0,1,,0,FR,,"
                        "web\n",
                        i, id, customer);
    }
}

/* Where the second worker starts: after the first '\n' at or after the middle
 * of the data (as orders.c splits). */
static size_t split_offset(const text *t)
{
    size_t header = strlen(CANONICAL_HEADER);
    size_t middle = header + (t->len - header) / 2;
    const char *nl = memchr(t->ptr + middle, '\n', t->len - middle);
    assert_non_null(nl);
    return (size_t)(nl - t->ptr) + 1;
}

/* True when offset is inside a quoted field. */
static bool inside_quotes(const text *t, size_t offset)
{
    bool quoted = false;
    for (size_t i = 0; i < offset; i++)
        if (t->ptr[i] == '"')
            quoted = !quoted;
    return quoted;
}

static void order_id_at(const text *t, size_t line_start, char out[8])
{
    memcpy(out, t->ptr + line_start, 6);
    out[6] = '\0';
}

static void check_store(const text *t)
{
    temp_file f;
    temp_write(&f, t->ptr, t->len);
    result reference;
    expect_all_tunings_agree(f.path, NULL, &reference);
    const cvo_load_stats *s = &reference.stats;
    assert_true(s->duplicates > 0);
    assert_true(s->refunded_orders > 0);
    assert_true(s->return_lines > 0);
    assert_true(s->joined_by_email > 0);
    assert_true(s->rejected_by_reason[CVO_REJECT_BAD_DATE] > 0);
    assert_true(cvo_customers_count(reference.customers) > 50);
    for (size_t i = 1; i < reference.rejects.count; i++)
        assert_true(reference.rejects.line[i] > reference.rejects.line[i - 1]);
    result_free(&reference);
    temp_remove(&f);
}

/* The split lands inside a quoted field that holds line breaks. */
static void test_split_inside_quoted_newlines(void **state)
{
    (void)state;
    text t = {0};
    int at = -1;
    for (int k = STORE_ORDERS / 4; k < STORE_ORDERS && at < 0; k++) {
        build_store(&t, k, 0);
        size_t split = split_offset(&t);
        if (inside_quotes(&t, split) && strstr(t.ptr + split, "end of note") != NULL &&
            (size_t)(strstr(t.ptr + split, "end of note") - t.ptr) > split + 100)
            at = k;
    }
    if (at < 0)
        fail_msg("no layout puts the split inside the note");
    build_store(&t, at, 0);
    check_store(&t);
    text_free(&t);
}

/* The split lands between two lines of one order (the head-capture path), and
 * between two orders. */
static void test_split_inside_an_order_and_between_orders(void **state)
{
    (void)state;
    text t = {0};
    bool seen_inside = false, seen_between = false;
    for (int pad = 0; pad < 400 && !(seen_inside && seen_between); pad++) {
        build_store(&t, -1, pad);
        size_t split = split_offset(&t);
        size_t prev = split - 1;
        while (prev > 0 && t.ptr[prev - 1] != '\n')
            prev--;
        char before[8], after[8];
        order_id_at(&t, prev, before);
        order_id_at(&t, split, after);
        bool inside = strcmp(before, after) == 0;
        if ((inside && seen_inside) || (!inside && seen_between))
            continue;
        check_store(&t);
        if (inside)
            seen_inside = true;
        else
            seen_between = true;
    }
    assert_true(seen_inside);
    assert_true(seen_between);
    text_free(&t);
}

/* ---- non-contiguous orders --------------------------------------------------------- */

static const char scattered[] =
    CANONICAL_HEADER "A1,C1,c1@example.com,2024-03-01,S1,Tea,2,5.00,0,1,,0,FR,,web\n"
                     "B1,C2,c2@example.com,2024-03-02,S1,Tea,1,5.00,0,1,,5.00,FR,,web\n"
                     "A1,C1,c1@example.com,2024-03-01,S2,Mug,1,9.00,0,1,,0,FR,,web\n"
                     "C1,C3,c3@example.com,2024-03-03,S2,Mug,1,9.00,0,1,,0,FR,,web\n"
                     "B1,C2,c2@example.com,2024-03-02,S2,Mug,1,9.00,0,1,,9.00,FR,,web\n"
                     "A1,C1,c1@example.com,2024-03-01,S1,Tea,2,5.00,0,1,,0,FR,,web\n"
                     "D1,C1,c1@example.com,2024-03-05,S3,Pot,1,30.00,0,1,,0,FR,,web\n";

static const char sorted_orders[] =
    CANONICAL_HEADER "A1,C1,c1@example.com,2024-03-01,S1,Tea,2,5.00,0,1,,0,FR,,web\n"
                     "A1,C1,c1@example.com,2024-03-01,S2,Mug,1,9.00,0,1,,0,FR,,web\n"
                     "A1,C1,c1@example.com,2024-03-01,S1,Tea,2,5.00,0,1,,0,FR,,web\n"
                     "B1,C2,c2@example.com,2024-03-02,S1,Tea,1,5.00,0,1,,5.00,FR,,web\n"
                     "B1,C2,c2@example.com,2024-03-02,S2,Mug,1,9.00,0,1,,9.00,FR,,web\n"
                     "C1,C3,c3@example.com,2024-03-03,S2,Mug,1,9.00,0,1,,0,FR,,web\n"
                     "D1,C1,c1@example.com,2024-03-05,S3,Pot,1,30.00,0,1,,0,FR,,web\n";

static void test_noncontiguous_orders(void **state)
{
    (void)state;
    temp_file a, b;
    temp_write(&a, scattered, strlen(scattered));
    temp_write(&b, sorted_orders, strlen(sorted_orders));
    result r_scattered, r_sorted;
    expect_all_tunings_agree(a.path, NULL, &r_scattered);
    expect_all_tunings_agree(b.path, NULL, &r_sorted);
    expect_same_table(r_sorted.customers, r_scattered.customers, "scattered vs sorted");
    expect_same_stats(&r_sorted.stats, &r_scattered.stats, "scattered vs sorted");
    /* A1 = 10 + 9 (its third line is a copy of the first); B1 refunded in
     * full, so C2 has no order; C3 9.00; D1 30.00. The table keeps the order
     * of first appearance, the same in both files. */
    assert_int_equal(cvo_customers_count(r_sorted.customers), 2);
    expect_customer(r_sorted.customers, "C1", "c1@example.com", 2, 4900, "2024-03-01",
                    "2024-03-05");
    expect_customer(r_sorted.customers, "C3", "c3@example.com", 1, 900, "2024-03-03", "2024-03-03");
    assert_int_equal(r_scattered.stats.duplicates, 1);
    assert_int_equal(r_scattered.stats.refunded_orders, 1);
    assert_int_equal(r_scattered.stats.orders, 3);
    assert_int_equal(r_scattered.rejects.count, 1);
    assert_int_equal(r_scattered.rejects.line[0], 7);
    assert_string_equal(r_scattered.rejects.detail[0], "exact duplicate of line 2");
    assert_int_equal(r_sorted.rejects.line[0], 4);
    assert_string_equal(r_sorted.rejects.detail[0], "exact duplicate of line 2");
    result_free(&r_scattered);
    result_free(&r_sorted);
    temp_remove(&a);
    temp_remove(&b);
}

/* ---- row rules ------------------------------------------------------------------------- */

/* Line numbers and reasons as worked out by hand in tests/data/make_messy.py. */
static void test_messy_rejects_in_file_order(void **state)
{
    (void)state;
    static const struct {
        uint64_t line;
        cvo_reject_reason reason;
        const char *detail;
    } want[] = {
        {4, CVO_REJECT_DUPLICATE, "exact duplicate of line 3"},
        {10, CVO_REJECT_BAD_DATE, "bad date '2021-13-01' in order_date"},
        {11, CVO_REJECT_BAD_DATE, "bad date 'yesterday' in order_date"},
        {12, CVO_REJECT_AMBIGUOUS_DATE, NULL},
        {14, CVO_REJECT_FIELD_COUNT, "record has 17 fields, the header has 16"},
        {15, CVO_REJECT_FIELD_COUNT, "record has 15 fields, the header has 16"},
        {23, CVO_REJECT_NO_CUSTOMER, NULL},
        {39, CVO_REJECT_DUPLICATE, "exact duplicate of line 37"},
        {40, CVO_REJECT_BAD_MONEY, "bad amount 'twelve' in unit_price"},
        {41, CVO_REJECT_BAD_QUANTITY, NULL},
        {42, CVO_REJECT_NO_AMOUNT, NULL},
        {43, CVO_REJECT_NO_DATE, NULL},
        {50, CVO_REJECT_UNTERMINATED, NULL},
    };
    result r;
    expect_all_tunings_agree(MESSY_PATH, NULL, &r);
    if (r.rejects.count != sizeof want / sizeof want[0])
        fail_msg("%zu rejects, want %zu", r.rejects.count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < r.rejects.count; i++) {
        if (r.rejects.line[i] != want[i].line || r.rejects.reason[i] != want[i].reason)
            fail_msg("reject %zu: line %llu reason %d (%s), want line %llu reason %d", i,
                     (unsigned long long)r.rejects.line[i], (int)r.rejects.reason[i],
                     r.rejects.detail[i], (unsigned long long)want[i].line, (int)want[i].reason);
        if (want[i].detail != NULL)
            assert_string_equal(r.rejects.detail[i], want[i].detail);
    }
    result_free(&r);
}

/* The platform fixtures (tests/data/make_platforms.py): whole orders rejected
 * for their currency, orders not counted for their status, and rates, the
 * same whichever way the file is read. tests/ingest_check.sh checks the
 * figures themselves against an independent computation. */
static void test_platform_exports_every_way(void **state)
{
    (void)state;
    static const struct {
        const char *path, *rates;
        uint64_t not_counted, rejected;
    } files[] = {
        {"tests/data/woocommerce_orders.csv", "tests/data/rates.csv", 81, 0},
        {"tests/data/bigcommerce_orders.csv", NULL, 62, 0},
        {"tests/data/magento_orders.csv", NULL, 96, 0},
        {"tests/data/shopify_two_currencies.csv", NULL, 62, 37},
        {"tests/data/shopify_two_currencies.csv", "tests/data/rates.csv", 62, 0},
        {"tests/data/shopify_two_currencies.csv", "tests/data/rates_gap.csv", 62, 7},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        load_setup setup = {NULL, NULL, files[i].rates};
        result r;
        expect_all_tunings_agree(files[i].path, &setup, &r);
        assert_int_equal(r.stats.not_counted, files[i].not_counted);
        assert_int_equal(r.stats.rejected, files[i].rejected);
        result_free(&r);
    }
}

static void test_messy_totals_and_rules(void **state)
{
    (void)state;
    result r;
    load_ok(MESSY_PATH, NULL, NULL, &r);
    const cvo_load_stats *s = &r.stats;
    expect_totals_add_up(s);
    assert_int_equal(s->records, 44);
    assert_int_equal(s->used, 28);
    assert_int_equal(s->not_counted, 3); /* Cancelled (2 records) and voided */
    assert_int_equal(s->not_counted_orders, 2);
    assert_int_equal(s->rejected, 13);
    assert_int_equal(s->rejected_by_reason[CVO_REJECT_FIELD_COUNT], 2);
    assert_int_equal(s->rejected_by_reason[CVO_REJECT_BAD_DATE], 2);
    assert_int_equal(s->rejected_by_reason[CVO_REJECT_DUPLICATE], 2);
    assert_int_equal(s->orders, 21);
    assert_int_equal(s->cancelled_orders, 2);
    assert_int_equal(s->refunded_orders, 1);
    assert_int_equal(s->return_orders, 1); /* 1013 */
    assert_int_equal(s->return_lines, 2);
    assert_int_equal(s->returns_cents, -2299);
    assert_int_equal(s->joined_by_email, 3);
    /* the customer id of 1012 and the product name of 1011 */
    assert_int_equal(s->repaired_fields, 2);
    assert_int_equal(s->format, CVO_FORMAT_GENERIC);
    assert_int_equal(s->delimiter, ',');
    assert_int_equal(cvo_customers_count(r.customers), 16);
    /* the duplicate of line 3 counted once, the return order 1013 takes
     * 12.99 back without counting, 1014 (no id) joined by email */
    expect_customer(r.customers, "C001", "alice@example.com", 3, 8049, "2021-01-05", "2021-11-20");
    /* 1015 "BOB@example.com" joined; " C002 " trimmed */
    expect_customer(r.customers, "C002", "bob@example.com", 3, 120800, "2021-02-10", "2021-12-15");
    /* a return line inside an order */
    expect_customer(r.customers, "C003", "carol@example.com", 1, 4000, "2021-03-01", "2021-03-01");
    /* 1018 refunded in full does not count: first order is 1019 */
    expect_customer(r.customers, "C008", "heidi@example.com", 1, 400, "2021-08-20", "2021-08-20");
    /* 1021 cancelled by its status */
    expect_customer(r.customers, "C009", "ivan@example.com", 1, 2250, "2021-09-01", "2021-09-01");
    /* the email-only customer seen first, joined to the id seen later */
    expect_customer(r.customers, "C016", "nora@example.com", 2, 3000, "2021-03-10", "2021-12-20");
    expect_customer(r.customers, "", "newbie@example.com", 1, 1299, "2021-07-02", "2021-07-02");
    expect_customer(r.customers,
                    "C\xef\xbf\xbd"
                    "07",
                    "grace@example.com", 1, 1299, "2021-05-11", "2021-05-11");
    /* C010's only order was voided */
    for (size_t i = 0; i < cvo_customers_count(r.customers); i++)
        assert_string_not_equal(cvo_customers_at(r.customers, i)->customer_id, "C010");
    assert_int_equal(cvo_customers_last_day(r.customers), cvo_day_from_ymd(2021, 12, 20));
    result_free(&r);
}

static const char duplicates_file[] = CANONICAL_HEADER
    "1,C1,,2024-05-01,S1,Tea,1,5.00,0,1,,0,FR,,web\n"
    "1,C1,,2024-05-01,S2,Mug,1,9.00,0,1,,0,FR,,web\n"
    "1,C1,,2024-05-01,S1,Tea,1,5.00,0,1,,0,FR,,web\n" /* copy of line 2: rejected */
    "2,C1,,2024-05-01,S1,Tea,1,5.00,0,1,,0,FR,,web\n" /* same line, other order: used */
    "3,C2,,2024-05-02,S1,Tea,1,5.00,0,1,,0,FR,,web\n"
    "3,C2,,2024-05-02,S1,Tea,1,5.00,0,1,,0,FR,,web\n"    /* adjacent copy: rejected */
    "3,C2,,2024-05-02,S1,Tea,1,5.00,0,1,,0,FR,,web\r\n"; /* CRLF copy: the same record */

static void test_duplicates_only_within_an_order(void **state)
{
    (void)state;
    temp_file f;
    temp_write(&f, duplicates_file, strlen(duplicates_file));
    result r;
    expect_all_tunings_agree(f.path, NULL, &r);
    assert_int_equal(r.stats.duplicates, 3);
    assert_int_equal(r.rejects.count, 3);
    assert_int_equal(r.rejects.line[0], 4);
    assert_string_equal(r.rejects.detail[0], "exact duplicate of line 2");
    assert_int_equal(r.rejects.line[1], 7);
    assert_string_equal(r.rejects.detail[1], "exact duplicate of line 6");
    assert_int_equal(r.rejects.line[2], 8);
    assert_string_equal(r.rejects.detail[2], "exact duplicate of line 6");
    expect_customer(r.customers, "C1", "", 2, 1900, "2024-05-01", "2024-05-01");
    expect_customer(r.customers, "C2", "", 1, 500, "2024-05-02", "2024-05-02");
    result_free(&r);
    temp_remove(&f);
}

static const char email_join_file[] = CANONICAL_HEADER
    "1,,Ann@Example.com,2024-01-10,S1,Tea,1,10.00,0,1,,0,FR,,web\n" /* before the id */
    "2,A7,ann@example.com,2024-02-10,S1,Tea,1,20.00,0,1,,0,FR,,web\n"
    "3,, ANN@EXAMPLE.COM ,2024-03-10,S1,Tea,1,30.00,0,1,,0,FR,,web\n" /* after it */
    "4,,solo@example.com,2024-03-11,S1,Tea,1,5.00,0,1,,0,FR,,web\n"   /* nobody to join */
    "5,B8,b@example.com,2024-03-12,S1,Tea,1,7.00,0,1,,0,FR,,web\n"
    "6,,,2024-03-13,S1,Tea,1,7.00,0,1,,0,FR,,web\n"; /* neither: rejected */

static void test_email_join(void **state)
{
    (void)state;
    temp_file f;
    temp_write(&f, email_join_file, strlen(email_join_file));
    result r;
    expect_all_tunings_agree(f.path, NULL, &r);
    /* one customer (ann@example.com, orders 1 and 3) joined */
    assert_int_equal(r.stats.joined_by_email, 1);
    assert_int_equal(cvo_customers_count(r.customers), 3);
    expect_customer(r.customers, "A7", "ann@example.com", 3, 6000, "2024-01-10", "2024-03-10");
    expect_customer(r.customers, "", "solo@example.com", 1, 500, "2024-03-11", "2024-03-11");
    expect_customer(r.customers, "B8", "b@example.com", 1, 700, "2024-03-12", "2024-03-12");
    assert_int_equal(r.rejects.count, 1);
    assert_int_equal(r.rejects.line[0], 7);
    assert_int_equal(r.rejects.reason[0], CVO_REJECT_NO_CUSTOMER);
    result_free(&r);
    temp_remove(&f);
}

static const char refunds_file[] = CANONICAL_HEADER
    "1,C1,,2024-01-10,S1,Tea,2,10.00,0,1,,20.00,FR,,web\n" /* refunded in full */
    "1,C1,,2024-01-10,S2,Mug,1,5.00,1.00,1,,4.00,FR,,web\n"
    "2,C1,,2024-02-10,S1,Tea,1,10.00,0,1,,2.50,FR,,web\n"  /* partly: 7.50 */
    "3,C2,,2024-02-11,S1,Tea,1,10.00,0,1,,10.00,FR,,web\n" /* C2's only order, refunded */
    "4,C3,,2024-02-12,S1,Tea,1,0.00,0,1,,0,FR,,web\n";     /* a free order still counts */

static void test_fully_refunded_order_not_counted(void **state)
{
    (void)state;
    temp_file f;
    temp_write(&f, refunds_file, strlen(refunds_file));
    result r;
    expect_all_tunings_agree(f.path, NULL, &r);
    assert_int_equal(r.stats.refunded_orders, 2);
    assert_int_equal(r.stats.return_orders, 0);
    assert_int_equal(r.stats.orders, 2);
    assert_int_equal(r.stats.used, 5);
    assert_int_equal(cvo_customers_count(r.customers), 2);
    expect_customer(r.customers, "C1", "", 1, 750, "2024-02-10", "2024-02-10");
    expect_customer(r.customers, "C3", "", 1, 0, "2024-02-12", "2024-02-12");
    result_free(&r);
    temp_remove(&f);
}

static const char uci_file[] =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "536365,85123A,WHITE MUG,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
    "536365,71053,\"LANTERN, WHITE\",2,12/1/2010 8:26,3.00,17850,United Kingdom\n"
    "C536379,85123A,WHITE MUG,-6,12/1/2010 9:41,2.55,17850,United Kingdom\n"
    "536380,22728,CLOCK,1,12/2/2010 10:00,3.75,17851,France\n"
    "C536381,22728,CLOCK,-1,12/3/2010 10:00,3.75,17851,France\n";

static void test_cancel_prefix(void **state)
{
    (void)state;
    temp_file f;
    temp_write(&f, uci_file, strlen(uci_file));
    load_setup setup = {"C", "%m/%d/%Y %H:%M", NULL};
    result r;
    expect_all_tunings_agree(f.path, &setup, &r);
    assert_int_equal(r.stats.used, 5);
    assert_int_equal(r.stats.orders, 2);
    assert_int_equal(r.stats.cancelled_orders, 2);
    assert_int_equal(r.stats.return_orders, 0);
    assert_int_equal(r.stats.return_lines, 2);
    assert_int_equal(r.stats.returns_cents, -1530 - 375);
    /* 15.30 + 6.00 - 15.30; a cancellation is not an order and sets no date */
    expect_customer(r.customers, "17850", "", 1, 600, "2010-12-01", "2010-12-01");
    /* 3.75 - 3.75: the order still counts, with nothing left */
    expect_customer(r.customers, "17851", "", 1, 0, "2010-12-02", "2010-12-02");
    result_free(&r);

    /* without the prefix the C invoices are return orders: same revenue,
     * counted as return lines, never as orders */
    setup.cancel_prefix = NULL;
    expect_all_tunings_agree(f.path, &setup, &r);
    assert_int_equal(r.stats.orders, 2);
    assert_int_equal(r.stats.cancelled_orders, 0);
    assert_int_equal(r.stats.return_orders, 2);
    assert_int_equal(r.stats.return_lines, 2);
    expect_customer(r.customers, "17850", "", 1, 600, "2010-12-01", "2010-12-01");
    result_free(&r);

    /* without a date format every date is ambiguous */
    setup.date_format = NULL;
    load_ok(f.path, NULL, &setup, &r);
    assert_int_equal(r.stats.rejected_by_reason[CVO_REJECT_AMBIGUOUS_DATE], 5);
    assert_int_equal(cvo_customers_count(r.customers), 0);
    result_free(&r);
    temp_remove(&f);
}

/* A record over CVO_MAX_RECORD_BYTES is rejected however the chunks fall:
 * whole in the default 4 MiB buffer as much as cut by 4 KiB chunks (smaller
 * chunks rescan the partial record per refill: minutes for a MiB). */
static void test_long_record_any_chunk(void **state)
{
    (void)state;
    text t = {0};
    const char *head = "order_id,customer_id,order_date,total,note\n1,A,2025-01-02,10.00,x\n"
                       "2,B,2025-01-03,20.00,";
    text_add(&t, head, strlen(head));
    for (size_t i = 0; i < CVO_MAX_RECORD_BYTES + CVO_MAX_RECORD_BYTES / 2; i++)
        text_add(&t, "y", 1);
    const char *tail = "\n3,C,2025-01-04,30.00,z\n";
    text_add(&t, tail, strlen(tail));
    temp_file f;
    temp_write(&f, t.ptr, t.len);
    static const load_tuning chunked[] = {{0, UINT64_MAX, false},
                                          {4096, UINT64_MAX, false},
                                          {4096, 1, false},
                                          {0, 1, false},
                                          {4096, UINT64_MAX, true}};
    for (size_t i = 0; i < sizeof chunked / sizeof chunked[0]; i++) {
        result r;
        load_ok(f.path, &chunked[i], NULL, &r);
        expect_totals_add_up(&r.stats);
        assert_int_equal(r.stats.used, 2);
        assert_int_equal(r.stats.rejected_by_reason[CVO_REJECT_TOO_LONG], 1);
        assert_int_equal(r.rejects.line[0], 3);
        result_free(&r);
    }
    temp_remove(&f);
    text_free(&t);
}

/* A date after latest_day, in any date column, rejects its record (a typo
 * like 9999-12-31 would move the as-of date); the latest day itself is fine. */
static void test_future_dates(void **state)
{
    (void)state;
    static const char file[] = "order_id,customer_id,order_date,total,delivered_at\n"
                               "1,A,2025-12-30,10.00,2026-01-02\n"
                               "2,B,9999-12-31,20.00,\n"
                               "3,A,2026-01-02,5.00,\n"
                               "4,C,2025-12-31,7.00,2026-01-03\n";
    temp_file f;
    temp_write(&f, file, strlen(file));
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_load_options options;
    cvo_load_options_init(&options);
    assert_int_equal(options.latest_day, INT32_MAX);
    reject_log *log = calloc(1, sizeof *log);
    assert_non_null(log);
    options.path = f.path;
    options.display_name = "test.csv";
    options.on_reject = log_reject;
    options.reject_user_data = log;
    options.latest_day = cvo_day_from_ymd(2026, 1, 2);
    cvo_customers *table = NULL;
    cvo_load_stats stats;
    assert_int_equal(cvo_orders_load(ctx, &options, &table, &stats), CVO_OK);
    assert_int_equal(stats.used, 2);
    assert_int_equal(stats.rejected_by_reason[CVO_REJECT_FUTURE_DATE], 2);
    expect_totals_add_up(&stats);
    assert_int_equal(log->count, 2);
    assert_int_equal(log->line[0], 3);
    assert_string_equal(log->detail[0],
                        "future date '9999-12-31' in order_date (after 2026-01-02)");
    assert_int_equal(log->line[1], 5);
    assert_string_equal(log->detail[1],
                        "future date '2026-01-03' in delivered_at (after 2026-01-02)");
    assert_int_equal(cvo_customers_last_day(table), cvo_day_from_ymd(2026, 1, 2));
    assert_string_equal(cvo_reject_reason_name(CVO_REJECT_FUTURE_DATE), "future date");
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
    free(log);
    temp_remove(&f);
}

static void test_errors(void **state)
{
    (void)state;
    result r;
    load_with("tests/data/no-such-file.csv", NULL, NULL, &r);
    assert_int_equal(r.status, CVO_ERR_IO);
    assert_null(r.customers);
    assert_non_null(strstr(r.message, "test.csv: cannot open"));
    result_free(&r);

    temp_file f;
    temp_write(&f, "", 0);
    load_with(f.path, NULL, NULL, &r);
    assert_int_equal(r.status, CVO_ERR_EMPTY);
    assert_null(r.customers);
    assert_non_null(strstr(r.message, "test.csv: empty input"));
    result_free(&r);
    temp_remove(&f);

    static const char unknown[] = "colour,size\nred,9\n";
    temp_write(&f, unknown, strlen(unknown));
    load_with(f.path, NULL, NULL, &r);
    assert_int_equal(r.status, CVO_ERR_FORMAT);
    assert_null(r.customers);
    assert_non_null(strstr(r.message, "test.csv:1: unknown header"));
    assert_non_null(strstr(r.message, "--map"));
    result_free(&r);
    temp_remove(&f);

    temp_write(&f, CANONICAL_HEADER, strlen(CANONICAL_HEADER));
    load_ok(f.path, NULL, NULL, &r);
    assert_int_equal(r.stats.records, 0);
    assert_int_equal(cvo_customers_count(r.customers), 0);
    result_free(&r);
    temp_remove(&f);
}

static cvo_status stop_at_second(void *user_data, const cvo_reject *reject)
{
    int *calls = user_data;
    (void)reject;
    return ++*calls == 2 ? CVO_ERR_IO : CVO_OK;
}

/* A callback's failure stops the load and is returned. */
static void test_reject_callback_stops(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_load_options options;
    cvo_load_options_init(&options);
    options.path = MESSY_PATH;
    int calls = 0;
    options.on_reject = stop_at_second;
    options.reject_user_data = &calls;
    cvo_customers *customers = NULL;
    cvo_load_stats stats;
    assert_int_equal(cvo_orders_load(ctx, &options, &customers, &stats), CVO_ERR_IO);
    assert_null(customers);
    assert_int_equal(calls, 2);
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_inside_quoted_newlines),
        cmocka_unit_test(test_split_inside_an_order_and_between_orders),
        cmocka_unit_test(test_noncontiguous_orders),
        cmocka_unit_test(test_messy_rejects_in_file_order),
        cmocka_unit_test(test_messy_totals_and_rules),
        cmocka_unit_test(test_platform_exports_every_way),
        cmocka_unit_test(test_duplicates_only_within_an_order),
        cmocka_unit_test(test_email_join),
        cmocka_unit_test(test_fully_refunded_order_not_counted),
        cmocka_unit_test(test_cancel_prefix),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_reject_callback_stops),
        cmocka_unit_test(test_future_dates),
        cmocka_unit_test(test_long_record_any_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
