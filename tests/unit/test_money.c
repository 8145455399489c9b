/* test_money.c - unit tests of lib/io/money: amount and quantity parsing,
 * overflow at the int64 limits, rounding to cents and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "io/money.h"

typedef struct money_case {
    const char *text;
    money_result want;
    int64_t e4; /* checked when want is MONEY_OK */
} money_case;

static void check_cases(const money_case *cases, size_t count, bool decimal_comma)
{
    for (size_t i = 0; i < count; i++) {
        int64_t e4 = 424242;
        money_result got = money_parse(cases[i].text, strlen(cases[i].text), decimal_comma, &e4);
        if (got != cases[i].want)
            fail_msg("'%s' (decimal_comma %d) gave result %d, want %d", cases[i].text,
                     (int)decimal_comma, (int)got, (int)cases[i].want);
        if (got == MONEY_OK && e4 != cases[i].e4)
            fail_msg("'%s' gave %lld, want %lld", cases[i].text, (long long)e4,
                     (long long)cases[i].e4);
        if (got != MONEY_OK && e4 != 424242)
            fail_msg("'%s' wrote a value on failure", cases[i].text);
    }
}

#define CHECK(cases, decimal_comma) check_cases(cases, sizeof cases / sizeof cases[0], decimal_comma)

static void test_plain_amounts(void **state)
{
    (void)state;
    static const money_case cases[] = {
        {"12.99", MONEY_OK, 129900},      {"2", MONEY_OK, 20000},
        {"-5", MONEY_OK, -50000},         {"0", MONEY_OK, 0},
        {"-0", MONEY_OK, 0},              {"0.425", MONEY_OK, 4250},
        {"0.0001", MONEY_OK, 1},          {"+7.5", MONEY_OK, 75000},
        {"  12.99\t", MONEY_OK, 129900},  {"007", MONEY_OK, 70000},
        {"12.995", MONEY_OK, 129950},     {"12.99000000", MONEY_OK, 129900},
        {"99999999999999.9999", MONEY_OK, INT64_C(999999999999999999)},
        {"123456789012345", MONEY_OK, INT64_C(1234567890123450000)},
    };
    CHECK(cases, false);
}

static void test_currency_and_sign_forms(void **state)
{
    (void)state;
    static const money_case cases[] = {
        {"$12.99", MONEY_OK, 129900},          {"USD 12.99", MONEY_OK, 129900},
        {"USD12.99", MONEY_OK, 129900},        {"12.99 EUR", MONEY_OK, 129900},
        {"12.99EUR", MONEY_OK, 129900},        {"12.99\xE2\x82\xAC", MONEY_OK, 129900},
        {"\xE2\x82\xAC 12.99", MONEY_OK, 129900}, {"\xC2\xA3" "5", MONEY_OK, 50000},
        {"\xC2\xA5" "100", MONEY_OK, 1000000}, {"-$12.99", MONEY_OK, -129900},
        {"$-12.99", MONEY_OK, -129900},        {"USD -12.99", MONEY_OK, -129900},
        {"-USD 12.99", MONEY_OK, -129900},     {"(5.00)", MONEY_OK, -50000},
        {"($1,234.50)", MONEY_OK, -12345000},  {"(12.99 EUR)", MONEY_OK, -129900},
        {"$1,234.50", MONEY_OK, 12345000},     {"1,234,567.89", MONEY_OK, 12345678900},
        {"1,234", MONEY_OK, 12340000},         {" $ 3 ", MONEY_OK, 30000},
    };
    CHECK(cases, false);
}

static void test_decimal_comma(void **state)
{
    (void)state;
    static const money_case cases[] = {
        {"12,99", MONEY_OK, 129900},          {"1.234,50", MONEY_OK, 12345000},
        {"1.234.567,8", MONEY_OK, 12345678000}, {"1 234,50", MONEY_OK, 12345000},
        {"1'234,50", MONEY_OK, 12345000},     {"12,99 EUR", MONEY_OK, 129900},
        {"1 234 EUR", MONEY_OK, 12340000},    {"12 EUR", MONEY_OK, 120000},
        {"-\xE2\x82\xAC" "3,5", MONEY_OK, -35000}, {"1.234", MONEY_OK, 12340000},
        {"5", MONEY_OK, 50000},               {"12.99", MONEY_INVALID, 0},
        {"1.23,4", MONEY_INVALID, 0},         {"1.234 567,00", MONEY_INVALID, 0},
        {"1,2,3", MONEY_INVALID, 0},          {"12,", MONEY_INVALID, 0},
        {"1,23456", MONEY_PRECISION, 0},
    };
    CHECK(cases, true);
}

static void test_invalid_amounts(void **state)
{
    (void)state;
    static const money_case cases[] = {
        {"1e5", MONEY_INVALID, 0},     {"12.3.4", MONEY_INVALID, 0},  {"abc", MONEY_INVALID, 0},
        {"--1", MONEY_INVALID, 0},     {"1,23.4", MONEY_INVALID, 0},  {"0x10", MONEY_INVALID, 0},
        {"12,99", MONEY_INVALID, 0},   {"1234,567", MONEY_INVALID, 0}, {"1,2345", MONEY_INVALID, 0},
        {"12.", MONEY_INVALID, 0},     {".5", MONEY_INVALID, 0},      {"-", MONEY_INVALID, 0},
        {"$", MONEY_INVALID, 0},       {"USD", MONEY_INVALID, 0},     {"()", MONEY_INVALID, 0},
        {"(5", MONEY_INVALID, 0},      {"(-5)", MONEY_INVALID, 0},    {"5-", MONEY_INVALID, 0},
        {"- 5", MONEY_INVALID, 0},     {"$$5", MONEY_INVALID, 0},     {"USD 5 EUR", MONEY_INVALID, 0},
        {"usd 5", MONEY_INVALID, 0},   {"USDX 5", MONEY_INVALID, 0},  {"5 US", MONEY_INVALID, 0},
        {"-$-5", MONEY_INVALID, 0},    {"1 234", MONEY_INVALID, 0},   {"1'234", MONEY_INVALID, 0},
        {"\"$1.00\"", MONEY_INVALID, 0}, {"1.000.000", MONEY_INVALID, 0}, {"+-1", MONEY_INVALID, 0},
        {"12.99 (", MONEY_INVALID, 0}, {"1\xE2\x82", MONEY_INVALID, 0}, {"NaN", MONEY_INVALID, 0},
    };
    CHECK(cases, false);
}

static void test_empty_and_length(void **state)
{
    (void)state;
    int64_t e4 = 1;
    assert_int_equal(money_parse(NULL, 0, false, &e4), MONEY_EMPTY);
    assert_int_equal(money_parse("", 0, false, &e4), MONEY_EMPTY);
    assert_int_equal(money_parse(" \t", 2, false, &e4), MONEY_EMPTY);
    assert_int_equal(e4, 1);
    /* only len bytes are read */
    assert_int_equal(money_parse("12.99xyz", 5, false, &e4), MONEY_OK);
    assert_int_equal(e4, 129900);
    assert_int_equal(money_parse("12.99", 4, false, &e4), MONEY_OK);
    assert_int_equal(e4, 129000);
}

static void test_precision(void **state)
{
    (void)state;
    static const money_case cases[] = {
        {"1.23456", MONEY_PRECISION, 0}, {"0.00001", MONEY_PRECISION, 0},
        {"$1,000.123456789", MONEY_PRECISION, 0}, {"1.23450", MONEY_OK, 12345},
        {"1.00000000000000000000000001", MONEY_PRECISION, 0},
        {"1.000000000000000000000000000", MONEY_OK, 10000},
    };
    CHECK(cases, false);
}

/* INT64_MAX is 922337203685477.5807 in units of 1e-4. */
static void test_overflow_at_limits(void **state)
{
    (void)state;
    static const money_case cases[] = {
        {"922337203685477.5807", MONEY_OK, INT64_MAX},
        {"-922337203685477.5808", MONEY_OK, INT64_MIN},
        {"922337203685477.5808", MONEY_OVERFLOW, 0},
        {"-922337203685477.5809", MONEY_OVERFLOW, 0},
        {"922337203685478", MONEY_OVERFLOW, 0},
        {"$922,337,203,685,477.5807", MONEY_OK, INT64_MAX},
        {"(922,337,203,685,477.5808)", MONEY_OK, INT64_MIN},
        {"99999999999999999999999", MONEY_OVERFLOW, 0},
        {"-99999999999999999999999.99", MONEY_OVERFLOW, 0},
        {"000000000000000000000000012", MONEY_OK, 120000},
        {"99999999999999999999999x", MONEY_INVALID, 0},
    };
    CHECK(cases, false);
}

static void test_quantity_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        money_result want;
        int64_t value;
    } cases[] = {
        {"2", MONEY_OK, 2},        {"-3", MONEY_OK, -3},       {"+4", MONEY_OK, 4},
        {" 12 ", MONEY_OK, 12},    {"2.0", MONEY_OK, 2},       {"2.000", MONEY_OK, 2},
        {"-1.0", MONEY_OK, -1},    {"0", MONEY_OK, 0},         {"", MONEY_EMPTY, 0},
        {"  ", MONEY_EMPTY, 0},    {"2.5", MONEY_INVALID, 0},  {"2.", MONEY_INVALID, 0},
        {"2.01", MONEY_INVALID, 0}, {".0", MONEY_INVALID, 0},  {"1,000", MONEY_INVALID, 0},
        {"abc", MONEY_INVALID, 0}, {"--1", MONEY_INVALID, 0},  {"1e3", MONEY_INVALID, 0},
        {"-", MONEY_INVALID, 0},   {"2 3", MONEY_INVALID, 0},  {"$2", MONEY_INVALID, 0},
        {"9223372036854775807", MONEY_OK, INT64_MAX},
        {"-9223372036854775808", MONEY_OK, INT64_MIN},
        {"9223372036854775808", MONEY_OVERFLOW, 0},
        {"-9223372036854775809", MONEY_OVERFLOW, 0},
        {"123456789012345678901234567890", MONEY_OVERFLOW, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t value = 99;
        money_result got = quantity_parse(cases[i].text, strlen(cases[i].text), &value);
        if (got != cases[i].want)
            fail_msg("'%s' gave %d, want %d", cases[i].text, (int)got, (int)cases[i].want);
        assert_int_equal(value, got == MONEY_OK ? cases[i].value : 99);
    }
}

static void test_money_mul(void **state)
{
    (void)state;
    int64_t out = 7;
    assert_true(money_mul(129900, 3, &out));
    assert_int_equal(out, 389700);
    assert_true(money_mul(129900, -2, &out));
    assert_int_equal(out, -259800);
    assert_true(money_mul(INT64_MAX, 1, &out));
    assert_int_equal(out, INT64_MAX);
    assert_true(money_mul(INT64_MIN, 1, &out));
    assert_int_equal(out, INT64_MIN);
    assert_true(money_mul(INT64_C(4611686018427387903), 2, &out));
    assert_int_equal(out, INT64_C(9223372036854775806));
    out = 7;
    assert_false(money_mul(INT64_C(4611686018427387904), 2, &out));
    assert_false(money_mul(INT64_MIN, -1, &out));
    assert_false(money_mul(INT64_MAX, -2, &out));
    assert_false(money_mul(INT64_C(3037000500), INT64_C(3037000500), &out));
    assert_int_equal(out, 7);
}

static void test_e4_to_cents_rounding(void **state)
{
    (void)state;
    static const int64_t cases[][2] = {
        {0, 0},       {129900, 1299}, {129949, 1299}, {129950, 1300}, {129951, 1300},
        {50, 1},      {49, 0},        {-49, 0},       {-50, -1},      {-129950, -1300},
        {-129949, -1299}, {150, 2},   {-150, -2},     {250, 3},       {-250, -3},
        {INT64_MAX, INT64_C(92233720368547758)}, {INT64_MIN, INT64_C(-92233720368547758)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(money_e4_to_cents(cases[i][0]), cases[i][1]);
}

static void test_format_cents(void **state)
{
    (void)state;
    static const struct {
        int64_t cents;
        const char *text;
    } cases[] = {
        {0, "0.00"},       {-5, "-0.05"},         {5, "0.05"},          {123456, "1234.56"},
        {-123456, "-1234.56"}, {100, "1.00"},     {-100, "-1.00"},      {10, "0.10"},
        {INT64_MAX, "92233720368547758.07"},      {INT64_MIN, "-92233720368547758.08"},
        {INT64_MIN + 1, "-92233720368547758.07"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[24];
        memset(out, 'x', sizeof out);
        size_t len = money_format_cents(cases[i].cents, out);
        assert_string_equal(out, cases[i].text);
        assert_int_equal(len, strlen(cases[i].text));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_amounts),
        cmocka_unit_test(test_currency_and_sign_forms),
        cmocka_unit_test(test_decimal_comma),
        cmocka_unit_test(test_invalid_amounts),
        cmocka_unit_test(test_empty_and_length),
        cmocka_unit_test(test_precision),
        cmocka_unit_test(test_overflow_at_limits),
        cmocka_unit_test(test_quantity_parse),
        cmocka_unit_test(test_money_mul),
        cmocka_unit_test(test_e4_to_cents_rounding),
        cmocka_unit_test(test_format_cents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
