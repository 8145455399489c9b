/* test_rfm.c - RFM scoring: SQL NTILE on crafted and random data (checked
 * against a brute-force oracle and against sqlite3's NTILE), the equal-ties
 * rule, fixed cut points and their file format, as-of checks, segment summaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/customers.h"
#include "core/rfm.h"
#include "core/scheme.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

static cvo_ctx *new_ctx(void)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    return ctx;
}

static cvo_customers *table_of(cvo_ctx *ctx, const cvo_customer *rows, size_t count)
{
    cvo_customers *table = NULL;
    assert_int_equal(customers_from_rows(ctx, rows, count, &table), CVO_OK);
    return table;
}

/* A customer whose last order was `recency` days before day 20000. */
static cvo_customer customer(const char *id, int32_t recency, uint32_t orders, int64_t cents)
{
    cvo_customer c = {id, "", 20000 - recency - 30, 20000 - recency, orders, cents, orders, "", ""};
    return c;
}

static cvo_rfm *score(cvo_ctx *ctx, const cvo_customers *table, cvo_ties ties, int levels)
{
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, "classic", levels, &scheme), CVO_OK);
    cvo_rfm_options options;
    cvo_rfm_options_init(&options);
    options.ties = ties;
    options.levels = levels;
    options.as_of_day = 20000;
    cvo_rfm *rfm = NULL;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &rfm), CVO_OK);
    cvo_scheme_free(scheme);
    return rfm;
}

/* A new temporary file open for writing; *path receives its malloc'd name. */
static FILE *create_temp(char **path)
{
    static const char pattern[] = "/tmp/cvo_test_rfm_XXXXXX";
    *path = malloc(sizeof pattern);
    assert_non_null(*path);
    memcpy(*path, pattern, sizeof pattern);
    int fd = mkstemp(*path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
    return file;
}

static char *write_temp(const char *content)
{
    char *path;
    FILE *file = create_temp(&path);
    assert_int_equal(fputs(content, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
    return path;
}

static void remove_temp(char *path)
{
    unlink(path);
    free(path);
}

/* ---- an oracle written from the SQL definition ----------------------------------- */

/* The tile of 0-based row position: tiles 1..count%levels hold count/levels+1
 * rows, the others count/levels; walked tile by tile. */
static int oracle_tile(size_t position, size_t count, int levels)
{
    size_t first_row = 0;
    for (int tile = 1; tile <= levels; tile++) {
        size_t size = count / (size_t)levels + ((size_t)tile <= count % (size_t)levels);
        if (position < first_row + size)
            return tile;
        first_row += size;
    }
    fail_msg("position %zu beyond %zu rows", position, count);
    return 0;
}

static const char *tie_key(const cvo_customer *c)
{
    return c->customer_id[0] ? c->customer_id : c->email;
}

/* <0 when a comes before b in the scoring order of dim (0 R, 1 F, 2 M). */
static int value_order(const cvo_customer *a, const cvo_customer *b, int dim)
{
    /* R: an older last order (larger recency) comes first */
    int64_t x = dim == 0 ? a->last_order_day : dim == 1 ? (int64_t)a->orders : a->net_revenue_cents;
    int64_t y = dim == 0 ? b->last_order_day : dim == 1 ? (int64_t)b->orders : b->net_revenue_cents;
    return (x > y) - (x < y);
}

/* NTILE (equal false) or the equal-ties score (equal true) of row i, by counting. */
static int oracle_score(const cvo_customer *rows, size_t n, size_t i, int dim, int levels,
                        bool equal)
{
    size_t before = 0;
    for (size_t j = 0; j < n; j++) {
        int order = value_order(&rows[j], &rows[i], dim);
        if (order < 0 || (!equal && order == 0 && strcmp(tie_key(&rows[j]), tie_key(&rows[i])) < 0))
            before++;
    }
    return oracle_tile(before, n, levels);
}

static void expect_oracle(const cvo_customer *rows, size_t n, cvo_ties ties, int levels)
{
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, n);
    cvo_rfm *rfm = score(ctx, table, ties, levels);
    const cvo_score *scores = cvo_rfm_scores(rfm);
    bool equal = ties == CVO_TIES_EQUAL;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(scores[i].r, oracle_score(rows, n, i, 0, levels, equal));
        assert_int_equal(scores[i].f, oracle_score(rows, n, i, 1, levels, equal));
        assert_int_equal(scores[i].m, oracle_score(rows, n, i, 2, levels, equal));
    }
    cvo_rfm_free(rfm);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

/* ---- NTILE ---------------------------------------------------------------------------- */

/* A count-only log: no M score, and each customer's segment is the one of
 * the cell with F in M's place; R and F are as with amounts. */
static void test_no_monetary_reads_f_for_m(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_customer rows[40];
    char ids[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(ids[i], sizeof ids[i], "c%d", i);
        rows[i] = customer(ids[i], (i * 37) % 200, 1 + (uint32_t)(i * 11) % 9, 0);
    }
    cvo_customers *table = table_of(ctx, rows, 40);
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, "relationship", 5, &scheme), CVO_OK);
    cvo_rfm_options options;
    cvo_rfm_options_init(&options);
    options.as_of_day = 20000;
    cvo_rfm *with = NULL, *without = NULL;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &with), CVO_OK);
    options.no_monetary = true;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &without), CVO_OK);
    const cvo_score *a = cvo_rfm_scores(with), *b = cvo_rfm_scores(without);
    for (size_t i = 0; i < 40; i++) {
        assert_int_equal(b[i].m, 0);
        assert_int_equal(b[i].r, a[i].r);
        assert_int_equal(b[i].f, a[i].f);
        assert_int_equal(b[i].segment, scheme->cells[scheme_cell(5, b[i].r, b[i].f, b[i].f)]);
    }
    cvo_rfm_free(with);
    cvo_rfm_free(without);
    cvo_scheme_free(scheme);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

static void test_ntile_sizes(void **state)
{
    (void)state;
    /* 7 rows in 5 tiles: 2,2,1,1,1 */
    static const int seven[7] = {1, 1, 2, 2, 3, 4, 5};
    for (size_t p = 0; p < 7; p++)
        assert_int_equal(rfm_ntile(p, 7, 5), seven[p]);
    /* fewer rows than tiles: one row per tile from 1 */
    for (size_t p = 0; p < 3; p++)
        assert_int_equal(rfm_ntile(p, 3, 5), (int)p + 1);
    /* 13 rows in 4 tiles: 4,3,3,3 */
    static const int thirteen[13] = {1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4};
    for (size_t p = 0; p < 13; p++)
        assert_int_equal(rfm_ntile(p, 13, 4), thirteen[p]);
    for (size_t n = 1; n < 40; n++)
        for (int levels = 3; levels <= 5; levels++)
            for (size_t p = 0; p < n; p++)
                assert_int_equal(rfm_ntile(p, n, levels), oracle_tile(p, n, levels));
}

static void test_ntile_byte_order(void **state)
{
    (void)state;
    /* all values tie, so only the ids order the rows: "B" (0x42) < "a" (0x61) < "é" (0xC3) */
    cvo_customer rows[3] = {customer("\xc3\xa9", 10, 1, 500), customer("a", 10, 1, 500),
                            customer("B", 10, 1, 500)};
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 3);
    cvo_rfm *rfm = score(ctx, table, CVO_TIES_NTILE, 5);
    const cvo_score *s = cvo_rfm_scores(rfm);
    /* n < N: tiles 1, 2, 3 in id order */
    assert_int_equal(s[2].f, 1);
    assert_int_equal(s[1].f, 2);
    assert_int_equal(s[0].f, 3);
    assert_int_equal(s[2].m, 1);
    assert_int_equal(s[0].m, 3);
    /* R: recency ties too, broken by id ascending as well */
    assert_int_equal(s[2].r, 1);
    assert_int_equal(s[1].r, 2);
    assert_int_equal(s[0].r, 3);
    cvo_rfm_free(rfm);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

static void test_ntile_recency_descending(void **state)
{
    (void)state;
    /* 7 customers, 5 tiles (2,2,1,1,1); the largest recency gets tile 1 */
    cvo_customer rows[7] = {customer("c1", 1, 1, 100),   customer("c2", 400, 2, 200),
                            customer("c3", 30, 3, 300),  customer("c4", 30, 4, 400),
                            customer("c5", 90, 5, 500),  customer("c6", 2, 6, 600),
                            customer("c7", 200, 7, 700)};
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 7);
    cvo_rfm *rfm = score(ctx, table, CVO_TIES_NTILE, 5);
    const cvo_score *s = cvo_rfm_scores(rfm);
    /* order: c2 400, c7 200, c5 90, c3 30, c4 30 (id breaks the tie), c6 2, c1 1 */
    static const int expected_r[7] = {5, 1, 2, 3, 2, 4, 1};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(s[i].r, expected_r[i]);
        assert_int_equal(s[i].recency_days, 20000 - rows[i].last_order_day);
    }
    /* F ascending 1..7: c1 c2 | c3 c4 | c5 | c6 | c7 */
    static const int expected_f[7] = {1, 1, 2, 2, 3, 4, 5};
    for (int i = 0; i < 7; i++)
        assert_int_equal(s[i].f, expected_f[i]);
    cvo_rfm_free(rfm);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

static void test_ntile_email_key(void **state)
{
    (void)state;
    /* no id: the email is the tie key, compared with the other ids byte-wise */
    cvo_customer rows[4] = {customer("m", 5, 1, 100), customer("", 5, 1, 100),
                            customer("c", 5, 1, 100), customer("z", 5, 1, 100)};
    rows[1].email = "d@example.com";
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 4);
    cvo_rfm *rfm = score(ctx, table, CVO_TIES_NTILE, 4);
    const cvo_score *s = cvo_rfm_scores(rfm);
    assert_int_equal(s[2].f, 1); /* c */
    assert_int_equal(s[1].f, 2); /* d@example.com */
    assert_int_equal(s[0].f, 3); /* m */
    assert_int_equal(s[3].f, 4); /* z */
    cvo_rfm_free(rfm);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

/* ---- random data ------------------------------------------------------------------ */

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

enum { RANDOM_CUSTOMERS = 2000, KEY_BYTES = 300 };

typedef struct random_table {
    cvo_customer rows[RANDOM_CUSTOMERS];
    char keys[RANDOM_CUSTOMERS][KEY_BYTES];
} random_table;

/* Ids of many shapes, all distinct and free of ',' and '"': short, numeric,
 * mixed case, UTF-8, long shared prefixes (deeper than the 8-byte radix steps
 * and the 128-byte recursion cap), and 5% without id (email is the key). */
static void random_key(char *out, size_t i, uint64_t *rng)
{
    switch (next_random(rng) % 8) {
    case 0: snprintf(out, KEY_BYTES, "%zu", i); break;
    case 1: snprintf(out, KEY_BYTES, "C%05zu", i); break;
    case 2: snprintf(out, KEY_BYTES, "customer-number-%06zu", i); break;
    case 3: snprintf(out, KEY_BYTES, "\xc3\xa9l\xc3\xa8ve-%zu", i); break;
    case 4: snprintf(out, KEY_BYTES, "Zz%zu", i); break;
    case 5: snprintf(out, KEY_BYTES, "zZ%zu", i); break;
    default: /* 200 shared bytes */
        memset(out, 'q', 200);
        snprintf(out + 200, KEY_BYTES - 200, "%zu", i);
    }
}

/* spread_m and spread_r stretch money and recency: wide spans take the
 * library's sorting paths (over 65536 apart, over 2^32 apart) instead of counting. */
static void make_spread(random_table *t, uint64_t seed, int64_t spread_m, int32_t spread_r)
{
    uint64_t rng = seed;
    for (size_t i = 0; i < RANDOM_CUSTOMERS; i++) {
        random_key(t->keys[i], i, &rng);
        uint64_t roll = next_random(&rng) % 100;
        uint32_t orders = roll < 60 ? 1 : roll < 80 ? 2 : roll < 90 ? 3 : 4 + (uint32_t)(roll % 7);
        int64_t cents = ((int64_t)(next_random(&rng) % 40) * 500 - 2000) * spread_m; /* ties */
        int32_t recency = (int32_t)(next_random(&rng) % 120) * spread_r;
        t->rows[i] = customer(t->keys[i], recency, orders, cents);
        if (next_random(&rng) % 20 == 0) { /* no id: key by email */
            t->rows[i].customer_id = "";
            t->rows[i].email = t->keys[i];
        }
    }
}

static void make_random(random_table *t, uint64_t seed)
{
    make_spread(t, seed, 1, 1);
}

static void test_ntile_random_oracle(void **state)
{
    (void)state;
    random_table *t = malloc(sizeof *t);
    assert_non_null(t);
    make_random(t, 7);
    expect_oracle(t->rows, RANDOM_CUSTOMERS, CVO_TIES_NTILE, 5);
    expect_oracle(t->rows, RANDOM_CUSTOMERS, CVO_TIES_NTILE, 3);
    expect_oracle(t->rows, 997, CVO_TIES_NTILE, 4);
    expect_oracle(t->rows, RANDOM_CUSTOMERS, CVO_TIES_EQUAL, 5);
    expect_oracle(t->rows, 13, CVO_TIES_EQUAL, 4);
    make_spread(t, 8, 100003, 1000); /* spans above 65536: sorted, not counted */
    expect_oracle(t->rows, RANDOM_CUSTOMERS, CVO_TIES_NTILE, 5);
    expect_oracle(t->rows, RANDOM_CUSTOMERS, CVO_TIES_EQUAL, 5);
    make_spread(t, 9, INT64_C(1000000000000), 1); /* money spans above 2^32: ranked first */
    expect_oracle(t->rows, RANDOM_CUSTOMERS, CVO_TIES_NTILE, 4);
    expect_oracle(t->rows, RANDOM_CUSTOMERS, CVO_TIES_EQUAL, 3);
    free(t);
}

/* ---- sqlite3 cross-check ------------------------------------------------------------- */

static bool have_sqlite(void)
{
    FILE *pipe = popen("command -v sqlite3", "r");
    char line[256] = "";
    if (pipe == NULL)
        return false;
    bool found = fgets(line, sizeof line, pipe) != NULL && line[0] == '/';
    pclose(pipe);
    return found;
}

static char *write_random_csv(const random_table *t)
{
    char *path;
    FILE *file = create_temp(&path);
    for (size_t i = 0; i < RANDOM_CUSTOMERS; i++) {
        const cvo_customer *c = &t->rows[i];
        fprintf(file, "%zu,%s,%u,%lld,%d\n", i, tie_key(c), c->orders,
                (long long)c->net_revenue_cents, 20000 - c->last_order_day);
    }
    assert_int_equal(fclose(file), 0);
    return path;
}

/* The ntile query, and for the equal rule the smallest tile of each value. */
static char *write_sql(const char *csv, int levels, bool equal)
{
    char script[2048];
    snprintf(script, sizeof script,
             "CREATE TABLE c(i INTEGER, k TEXT, f INTEGER, m INTEGER, r INTEGER);\n"
             ".import --csv %s c\n"
             ".mode csv\n"
             "SELECT i, %s FROM (SELECT i, r, f, m,\n"
             " NTILE(%d) OVER (ORDER BY r DESC, k) AS tr,\n"
             " NTILE(%d) OVER (ORDER BY f, k) AS tf,\n"
             " NTILE(%d) OVER (ORDER BY m, k) AS tm FROM c) ORDER BY i;\n",
             csv,
             equal ? "MIN(tr) OVER (PARTITION BY r), MIN(tf) OVER (PARTITION BY f), "
                     "MIN(tm) OVER (PARTITION BY m)"
                   : "tr, tf, tm",
             levels, levels, levels);
    return write_temp(script);
}

static void compare_with_sqlite(const random_table *t, const char *csv, int levels, bool equal)
{
    char *sql = write_sql(csv, levels, equal);
    char command[512];
    snprintf(command, sizeof command, "sqlite3 -batch :memory: < %s", sql);
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, t->rows, RANDOM_CUSTOMERS);
    cvo_rfm *rfm = score(ctx, table, equal ? CVO_TIES_EQUAL : CVO_TIES_NTILE, levels);
    const cvo_score *s = cvo_rfm_scores(rfm);
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    size_t rows = 0;
    long i, r, f, m;
    while (fscanf(pipe, "%ld,%ld,%ld,%ld", &i, &r, &f, &m) == 4) {
        assert_int_equal(i, (long)rows);
        assert_int_equal(s[i].r, r);
        assert_int_equal(s[i].f, f);
        assert_int_equal(s[i].m, m);
        rows++;
    }
    assert_int_equal(pclose(pipe), 0);
    assert_int_equal(rows, RANDOM_CUSTOMERS);
    cvo_rfm_free(rfm);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
    remove_temp(sql);
}

static void test_ntile_matches_sqlite(void **state)
{
    (void)state;
    if (!have_sqlite())
        skip();
    random_table *t = malloc(sizeof *t);
    assert_non_null(t);
    make_random(t, 20240601);
    char *csv = write_random_csv(t);
    for (int levels = 3; levels <= 5; levels++) {
        compare_with_sqlite(t, csv, levels, false);
        compare_with_sqlite(t, csv, levels, true);
    }
    remove_temp(csv);
    free(t);
}

/* ---- equal ties ----------------------------------------------------------------------- */

static void test_equal_skewed(void **state)
{
    (void)state;
    /* 10 customers: six with one order (60%), two with 2, one with 3, one with 5 */
    static const uint32_t orders[10] = {1, 2, 1, 1, 5, 1, 2, 1, 3, 1};
    cvo_customer rows[10];
    char ids[10][4];
    for (int i = 0; i < 10; i++) {
        snprintf(ids[i], sizeof ids[i], "%c", 'j' - i); /* ids against table order */
        rows[i] = customer(ids[i], i < 5 ? 10 : 20, orders[i], 1000 * (i % 3));
    }
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 10);
    cvo_rfm *rfm = score(ctx, table, CVO_TIES_EQUAL, 5);
    const cvo_score *s = cvo_rfm_scores(rfm);
    for (int i = 0; i < 10; i++) {
        /* F=1 starts at row 0: tile 1; F=2 at row 6: tile 4; F=3 at 8, F=5 at 9: tile 5 */
        int want = orders[i] == 1 ? 1 : orders[i] == 2 ? 4 : 5;
        assert_int_equal(s[i].f, want);
        /* recency 20 (rows 5..9) comes first (worse): tile 1; recency 10 starts at row 5: tile 3 */
        assert_int_equal(s[i].r, i < 5 ? 3 : 1);
        /* M: 0 x4, 1000 x3, 2000 x3 -> starts 0, 4, 7 -> tiles 1, 3, 4 */
        int m_want = (i % 3) == 0 ? 1 : (i % 3) == 1 ? 3 : 4;
        assert_int_equal(s[i].m, m_want);
    }
    cvo_rfm_free(rfm);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

static void test_equal_values_equal_scores(void **state)
{
    (void)state;
    random_table *t = malloc(sizeof *t);
    assert_non_null(t);
    make_random(t, 99);
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, t->rows, RANDOM_CUSTOMERS);
    cvo_rfm *rfm = score(ctx, table, CVO_TIES_EQUAL, 5);
    const cvo_score *s = cvo_rfm_scores(rfm);
    for (size_t i = 0; i < RANDOM_CUSTOMERS; i += 7)
        for (size_t j = 0; j < RANDOM_CUSTOMERS; j++) {
            const cvo_customer *a = &t->rows[i], *b = &t->rows[j];
            if (a->orders == b->orders)
                assert_int_equal(s[i].f, s[j].f);
            if (a->net_revenue_cents == b->net_revenue_cents)
                assert_int_equal(s[i].m, s[j].m);
            if (a->last_order_day == b->last_order_day)
                assert_int_equal(s[i].r, s[j].r);
            if (a->orders < b->orders) /* never a better score for a worse value */
                assert_true(s[i].f <= s[j].f);
        }
    cvo_rfm_free(rfm);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
    free(t);
}

/* ---- fixed cut points ------------------------------------------------------------------ */

static void test_fixed_boundaries(void **state)
{
    (void)state;
    cvo_cuts cuts = {5, {30, 90, 180, 365}, {1, 2, 3, 5}, {5000, 10000, 25000, 50000}};
    cvo_customer rows[8] = {customer("a", 30, 1, 5000),  customer("b", 31, 2, 5001),
                            customer("c", 90, 3, 10000), customer("d", 91, 4, 25000),
                            customer("e", 365, 5, 50000), customer("f", 366, 6, 50001),
                            customer("g", 0, 0, -100),   customer("h", 180, 100, 25001)};
    static const int want_r[8] = {5, 4, 4, 3, 2, 1, 5, 3};
    static const int want_f[8] = {1, 2, 3, 4, 4, 5, 1, 5};
    static const int want_m[8] = {1, 2, 2, 3, 4, 5, 1, 4};
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 8);
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, "relationship", 5, &scheme), CVO_OK);
    cvo_rfm_options options;
    cvo_rfm_options_init(&options);
    options.ties = CVO_TIES_FIXED;
    options.cuts = &cuts;
    options.levels = 3; /* ignored: the cuts decide */
    options.as_of_day = 20000;
    cvo_rfm *rfm = NULL;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &rfm), CVO_OK);
    assert_int_equal(cvo_rfm_levels(rfm), 5);
    const cvo_score *s = cvo_rfm_scores(rfm);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(s[i].r, want_r[i]);
        assert_int_equal(s[i].f, want_f[i]);
        assert_int_equal(s[i].m, want_m[i]);
        assert_int_equal(s[i].segment, cvo_scheme_lookup(scheme, s[i].r, s[i].f, s[i].m));
    }
    cvo_rfm_free(rfm);
    /* missing and unordered cuts are argument errors */
    options.cuts = NULL;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &rfm), CVO_ERR_ARGUMENT);
    assert_null(rfm);
    cuts.frequency[2] = 2;
    options.cuts = &cuts;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &rfm), CVO_ERR_ARGUMENT);
    assert_non_null(strstr(cvo_ctx_message(ctx), "ascending"));
    cvo_scheme_free(scheme);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

/* Loads content as a cut-point file; on failure the message must be the
 * temporary file's path followed by `message`. */
static cvo_status load_cuts(cvo_ctx *ctx, const char *content, cvo_cuts *cuts, const char *message)
{
    char *path = write_temp(content);
    cvo_status status = cvo_cuts_load(ctx, path, cuts);
    if (status != CVO_OK) {
        char expected[512];
        snprintf(expected, sizeof expected, "%s%s", path, message);
        assert_string_equal(cvo_ctx_message(ctx), expected);
    }
    remove_temp(path);
    return status;
}

static void test_cuts_file(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_cuts cuts;
    assert_int_equal(load_cuts(ctx,
                               "\xEF\xBB\xBF# cut points\n\n"
                               "recency = 30, 90,180 ,365   # days\r\n"
                               "  frequency=1,2,3,5\n"
                               "monetary = 49.99,100,250.5,500\n",
                               &cuts, ""),
                     CVO_OK);
    assert_int_equal(cuts.levels, 5);
    assert_int_equal(cuts.recency_days[0], 30);
    assert_int_equal(cuts.recency_days[3], 365);
    assert_int_equal(cuts.frequency[3], 5);
    assert_int_equal(cuts.monetary_cents[0], 4999);
    assert_int_equal(cuts.monetary_cents[1], 10000);
    assert_int_equal(cuts.monetary_cents[2], 25050);
    assert_int_equal(cuts.monetary_cents[3], 50000);
    assert_int_equal(load_cuts(ctx, "monetary=-10,0.05\nrecency=7,30\nfrequency=1,3\n", &cuts, ""),
                     CVO_OK);
    assert_int_equal(cuts.levels, 3);
    assert_int_equal(cuts.monetary_cents[0], -1000);
    assert_int_equal(cuts.monetary_cents[1], 5);
    cvo_ctx_free(ctx);
}

static void expect_cuts_error(const char *content, const char *message)
{
    cvo_ctx *ctx = new_ctx();
    cvo_cuts cuts;
    assert_int_equal(load_cuts(ctx, content, &cuts, message), CVO_ERR_CONFIG);
    cvo_ctx_free(ctx);
}

static void test_cuts_errors(void **state)
{
    (void)state;
    static const char good_fm[] = "frequency = 1,2,3,5\nmonetary = 50,100,250,500\n";
    char text[256];
    expect_cuts_error("recency = 30,90\nfrequency = 1,2\n\nsize = 3\n",
                      ":4: unknown key 'size' (expected recency, frequency or monetary)");
    snprintf(text, sizeof text, "# x\nrecency = 30,9O,180,365\n%s", good_fm);
    expect_cuts_error(text, ":2: '9O' is not a whole number of days");
    snprintf(text, sizeof text, "%srecency = 30,90,90,365\n", good_fm);
    expect_cuts_error(text, ":3: cut points must be strictly ascending ('90' is not above the "
                            "one before)");
    expect_cuts_error("recency = 30,90\nfrequency = 1,2\nmonetary = 1.234,5\n",
                      ":3: '1.234' is not an amount (digits, at most 2 decimals)");
    expect_cuts_error("recency = 30,90\nfrequency = 1,2\nmonetary = 5.,6\n",
                      ":3: '5.' is not an amount (digits, at most 2 decimals)");
    expect_cuts_error("recency = 30,90\nfrequency = 1,2\n", ": missing key 'monetary'");
    snprintf(text, sizeof text, "recency = 30,90,180\n%s", good_fm);
    expect_cuts_error(text, ":2: frequency has 4 cut points but recency (line 1) has 3");
    expect_cuts_error("recency = 1,2\nrecency = 3,4\n", ":2: duplicate key 'recency' (first on line 1)");
    expect_cuts_error("recency = 1,2,3,4,5\n",
                      ":1: more than 4 cut points (levels 3 to 5 need 2 to 4)");
    expect_cuts_error("recency = 30\n", ":1: recency has 1 cut point(s); levels 3 to 5 need 2 to 4");
    expect_cuts_error("recency 30,90\n", ":1: expected 'key = values'");
    expect_cuts_error("recency = 30,,90\n", ":1: empty cut point");
    expect_cuts_error("frequency = -1,2\n", ":1: '-1' is not a whole number of orders");
    expect_cuts_error("recency = 1,99999999999\n", ":1: '99999999999' is not a whole number of days");

    cvo_ctx *ctx = new_ctx();
    cvo_cuts cuts;
    assert_int_equal(cvo_cuts_load(ctx, "/nonexistent/cuts.ini", &cuts), CVO_ERR_IO);
    assert_non_null(strstr(cvo_ctx_message(ctx), "/nonexistent/cuts.ini: cannot open"));
    cvo_ctx_free(ctx);
}

/* ---- options and as-of -------------------------------------------------------------------- */

static void test_as_of(void **state)
{
    (void)state;
    cvo_customer rows[2] = {customer("a", 3, 1, 100), customer("b", 0, 1, 100)};
    rows[0].last_order_day = 19000;
    rows[1].last_order_day = 19010;
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 2);
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, NULL, 5, &scheme), CVO_OK);
    cvo_rfm *rfm = NULL;
    /* default: the day after the last order */
    assert_int_equal(cvo_rfm_new(ctx, table, NULL, scheme, &rfm), CVO_OK);
    assert_int_equal(cvo_rfm_as_of_day(rfm), 19011);
    assert_int_equal(cvo_rfm_scores(rfm)[0].recency_days, 11);
    assert_int_equal(cvo_rfm_scores(rfm)[1].recency_days, 1);
    cvo_rfm_free(rfm);
    cvo_rfm_options options;
    cvo_rfm_options_init(&options);
    options.as_of_day = 19010; /* the last order day itself: recency 0 */
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &rfm), CVO_OK);
    assert_int_equal(cvo_rfm_scores(rfm)[1].recency_days, 0);
    cvo_rfm_free(rfm);
    options.as_of_day = 19005;
    rfm = (cvo_rfm *)&options; /* any non-NULL value: a failure must reset it */
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &rfm), CVO_ERR_ARGUMENT);
    assert_null(rfm);
    assert_string_equal(cvo_ctx_message(ctx),
                        "the as-of day is 5 day(s) before the last order of customer 'b'");
    cvo_scheme_free(scheme);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    cvo_customer rows[1] = {customer("a", 3, 1, 100)};
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 1);
    cvo_customers *empty = table_of(ctx, rows, 0);
    cvo_scheme *scheme3 = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, "klaviyo", 3, &scheme3), CVO_OK);
    cvo_rfm_options options;
    cvo_rfm_options_init(&options);
    assert_int_equal(options.levels, 5);
    assert_int_equal(options.ties, CVO_TIES_EQUAL);
    assert_int_equal(options.as_of_day, INT32_MIN);
    cvo_rfm *rfm = NULL;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme3, &rfm), CVO_ERR_ARGUMENT);
    assert_string_equal(cvo_ctx_message(ctx), "the scheme has 3 levels but scoring uses 5");
    options.levels = 6;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme3, &rfm), CVO_ERR_ARGUMENT);
    options.levels = 3;
    options.ties = (cvo_ties)7;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme3, &rfm), CVO_ERR_ARGUMENT);
    options.ties = CVO_TIES_NTILE;
    assert_int_equal(cvo_rfm_new(ctx, empty, &options, scheme3, &rfm), CVO_ERR_EMPTY);
    assert_int_equal(cvo_rfm_new(ctx, table, &options, NULL, &rfm), CVO_ERR_ARGUMENT);
    /* one customer: NTILE puts it in tile 1 of every dimension */
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme3, &rfm), CVO_OK);
    assert_int_equal(cvo_rfm_scores(rfm)[0].r, 1);
    assert_int_equal(cvo_rfm_scores(rfm)[0].f, 1);
    assert_int_equal(cvo_rfm_scores(rfm)[0].m, 1);
    assert_int_equal(cvo_rfm_levels(rfm), 3);
    cvo_rfm_free(rfm);
    cvo_rfm_free(NULL);
    assert_null(cvo_rfm_scores(NULL));
    cvo_scheme_free(scheme3);
    cvo_customers_free(table);
    cvo_customers_free(empty);
    cvo_ctx_free(ctx);
}

/* ---- segment summary ----------------------------------------------------------------------- */

static void test_summary(void **state)
{
    (void)state;
    /* klaviyo on fixed cuts: R3 <= 10 days, R2 <= 100; F1 = 1, F2 2-3, F3 >= 4;
     * M1 <= 50.00, M2 <= 200.00, M3 above */
    cvo_cuts cuts = {3, {10, 100}, {1, 3}, {5000, 20000}};
    cvo_customer rows[8] = {
        customer("A", 5, 5, 30000),  /* 333 Champions */
        customer("B", 8, 4, 25001),  /* 333 Champions */
        customer("C", 2, 1, 1000),   /* 311 Recent */
        customer("D", 50, 2, 7000),  /* 222 Needs attention */
        customer("E", 400, 1, 999),  /* 111 Inactive */
        customer("F", 200, 1, -500), /* 111 Inactive */
        customer("G", 20, 3, 20001), /* 223 Needs attention */
        customer("H", 150, 2, -301), /* 121 At risk */
    };
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 8);
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, "klaviyo", 3, &scheme), CVO_OK);
    cvo_rfm_options options;
    cvo_rfm_options_init(&options);
    options.ties = CVO_TIES_FIXED;
    options.cuts = &cuts;
    options.as_of_day = 20000;
    cvo_rfm *rfm = NULL;
    assert_int_equal(cvo_rfm_new(ctx, table, &options, scheme, &rfm), CVO_OK);
    cvo_segment_row out[6];
    assert_int_equal(cvo_segments_summarize(ctx, table, rfm, scheme, out), CVO_OK);
    /* Champions, Loyal, Recent, Needs attention, At risk, Inactive */
    static const uint64_t customers[6] = {2, 0, 1, 2, 1, 2};
    static const int64_t revenue[6] = {55001, 0, 1000, 27001, -301, 499};
    static const uint64_t orders[6] = {9, 0, 1, 5, 2, 2};
    /* 55001/9 = 6111.2; 27001/5 = 5400.2; -301/2 = -150.5 -> -151; 499/2 = 249.5 -> 250 */
    static const int64_t aov[6] = {6111, 0, 1000, 5400, -151, 250};
    static const double median[6] = {6.5, 0, 2, 35, 150, 300};
    const double total = 83200;
    for (int s = 0; s < 6; s++) {
        assert_string_equal(out[s].name, cvo_scheme_segment_name(scheme, (size_t)s));
        assert_int_equal(out[s].customers, customers[s]);
        assert_true(fabs(out[s].customer_share - (double)customers[s] / 8) < 1e-12);
        assert_int_equal(out[s].revenue_cents, revenue[s]);
        assert_true(fabs(out[s].revenue_share - (double)revenue[s] / total) < 1e-12);
        assert_int_equal(out[s].orders, orders[s]);
        assert_int_equal(out[s].aov_cents, aov[s]);
        assert_true(fabs(out[s].median_recency_days - median[s]) < 1e-12);
    }
    /* scores made at another level count are refused */
    cvo_scheme *other = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, "classic", 5, &other), CVO_OK);
    assert_int_equal(cvo_segments_summarize(ctx, table, rfm, other, out), CVO_ERR_ARGUMENT);
    cvo_scheme_free(other);
    cvo_rfm_free(rfm);
    cvo_scheme_free(scheme);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

static void test_summary_negative_total(void **state)
{
    (void)state;
    cvo_customer rows[2] = {customer("a", 1, 1, -500), customer("b", 1, 1, 200)};
    cvo_ctx *ctx = new_ctx();
    cvo_customers *table = table_of(ctx, rows, 2);
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, "classic", 3, &scheme), CVO_OK);
    cvo_rfm *rfm = score(ctx, table, CVO_TIES_EQUAL, 3);
    cvo_segment_row out[11];
    assert_int_equal(cvo_segments_summarize(ctx, table, rfm, scheme, out), CVO_OK);
    for (int s = 0; s < 11; s++)
        assert_true(out[s].revenue_share == 0); /* total <= 0: shares are 0 */
    cvo_rfm_free(rfm);
    cvo_scheme_free(scheme);
    cvo_customers_free(table);
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntile_sizes),
        cmocka_unit_test(test_no_monetary_reads_f_for_m),
        cmocka_unit_test(test_ntile_byte_order),
        cmocka_unit_test(test_ntile_recency_descending),
        cmocka_unit_test(test_ntile_email_key),
        cmocka_unit_test(test_ntile_random_oracle),
        cmocka_unit_test(test_ntile_matches_sqlite),
        cmocka_unit_test(test_equal_skewed),
        cmocka_unit_test(test_equal_values_equal_scores),
        cmocka_unit_test(test_fixed_boundaries),
        cmocka_unit_test(test_cuts_file),
        cmocka_unit_test(test_cuts_errors),
        cmocka_unit_test(test_as_of),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_summary_negative_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
