/* test_header.c - unit tests of lib/io/header: duplicate column names as a
 * reader folds them, quoted names, empty names, the message, a full header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/header.h"

static void fold_lower(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++)
        out[n++] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] - 'A' + 'a') : text[i];
    out[n] = '\0';
}

static csv_scanner scanner;

static csv_record header_of(const char *line)
{
    csv_init(&scanner, ',', 1);
    csv_record rec;
    size_t pos = 0;
    assert_int_equal(csv_next(&scanner, line, strlen(line), &pos, true, &rec), CSV_RECORD);
    return rec;
}

static void expect_pair(const char *line, uint32_t first, uint32_t second)
{
    csv_record rec = header_of(line);
    uint32_t a = 99, b = 99;
    assert_true(header_duplicate(&rec, fold_lower, &a, &b));
    assert_int_equal(a, first);
    assert_int_equal(b, second);
}

static void expect_none(const char *line)
{
    csv_record rec = header_of(line);
    uint32_t a, b;
    assert_false(header_duplicate(&rec, fold_lower, &a, &b));
}

static void test_duplicates(void **state)
{
    (void)state;
    expect_none("order_id,email,order_date,total\n");
    expect_pair("order_id,email,order_date,email\n", 1, 3);
    expect_pair("a,b,c,B,A\n", 1, 3);                   /* the first repeat found, folded */
    expect_pair("\"na\"\"me\",x,\"NA\"\"ME\"\n", 0, 2); /* compared unescaped */
    expect_none("a,b,,,\n");                            /* empty names may repeat */
    expect_none("a,ab,abc,b\n");
}

static void test_message(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    csv_record rec = header_of("order_id,Email,order_date,total,x,y,EMAIL\n");
    assert_int_equal(header_check(ctx, "orders.csv", &rec, fold_lower), CVO_ERR_FORMAT);
    assert_string_equal(cvo_ctx_message(ctx),
                        "orders.csv:1: column \"Email\" appears twice (columns 2 and 7)");
    rec = header_of("order_id,email\n");
    assert_int_equal(header_check(ctx, "orders.csv", &rec, fold_lower), CVO_OK);
    cvo_ctx_free(ctx);
}

/* CVO_MAX_COLUMNS distinct names, then the same with the last equal to the first. */
static void test_full_header(void **state)
{
    (void)state;
    size_t cap = CVO_MAX_COLUMNS * 8 + 2;
    char *line = malloc(cap);
    assert_non_null(line);
    size_t n = 0;
    for (int i = 0; i < CVO_MAX_COLUMNS; i++)
        n += (size_t)snprintf(line + n, cap - n, "%sc%d", i ? "," : "", i);
    snprintf(line + n, cap - n, "\n");
    expect_none(line);
    char *last = strrchr(line, ',');
    snprintf(last, cap - (size_t)(last - line), ",C0\n");
    expect_pair(line, 0, CVO_MAX_COLUMNS - 1);
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_full_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
