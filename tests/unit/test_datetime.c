/* test_datetime.c - unit tests of lib/io/datetime: civil arithmetic, the
 * automatic parser (accepted, ambiguous and rejected forms) and explicit formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cvo.h"
#include "io/datetime.h"

static date_result parse_auto(const char *text, int32_t *day)
{
    return date_parse_auto(text, strlen(text), day);
}

static date_result parse_with(const char *format, const char *text, int32_t *day)
{
    date_format compiled;
    char err[128];
    assert_true(date_format_compile(format, &compiled, err, sizeof err));
    return date_parse_format(&compiled, text, strlen(text), day);
}

static void test_known_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(date_from_civil(1970, 1, 1), 0);
    assert_int_equal(date_from_civil(1969, 12, 31), -1);
    assert_int_equal(date_from_civil(2000, 3, 1), 11017);
    assert_int_equal(date_from_civil(2021, 1, 1), 18628);
    assert_int_equal(date_from_civil(2025, 10, 7), 20368);
    assert_int_equal(date_from_civil(1600, 1, 1), -135140);
    assert_int_equal(date_from_civil(1000, 1, 1), -354285);
    assert_int_equal(date_from_civil(9999, 12, 31), 2932896);
}

/* Walks the calendar one day at a time and checks both directions agree. */
static void test_civil_round_trip_1600_2400(void **state)
{
    (void)state;
    int y = 1600, m = 1, d = 1;
    int32_t day = date_from_civil(y, m, d);
    while (y <= 2400) {
        int cy, cm, cd;
        assert_int_equal(date_from_civil(y, m, d), day);
        date_to_civil(day, &cy, &cm, &cd);
        assert_int_equal(cy, y);
        assert_int_equal(cm, m);
        assert_int_equal(cd, d);
        day++;
        if (date_valid_civil(y, m, d + 1)) {
            d++;
        } else if (m < 12) {
            m++;
            d = 1;
        } else {
            y++;
            m = 1;
            d = 1;
        }
    }
    assert_int_equal(day - 1, 157419); /* 2400-12-31 */
}

static void test_civil_round_trip_far_years(void **state)
{
    (void)state;
    static const int years[] = {-4713, -1, 0, 1, 999, 10000, 100000};
    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        int cy, cm, cd;
        date_to_civil(date_from_civil(years[i], 2, 28), &cy, &cm, &cd);
        assert_int_equal(cy, years[i]);
        assert_int_equal(cm, 2);
        assert_int_equal(cd, 28);
    }
}

static void test_leap_years(void **state)
{
    (void)state;
    assert_true(date_valid_civil(2000, 2, 29));
    assert_true(date_valid_civil(2020, 2, 29));
    assert_true(date_valid_civil(2400, 2, 29));
    assert_true(date_valid_civil(1600, 2, 29));
    assert_false(date_valid_civil(1900, 2, 29));
    assert_false(date_valid_civil(2100, 2, 29));
    assert_false(date_valid_civil(2021, 2, 29));
    assert_false(date_valid_civil(2020, 2, 30));
    assert_int_equal(date_from_civil(2000, 3, 1) - date_from_civil(2000, 2, 28), 2);
    assert_int_equal(date_from_civil(1900, 3, 1) - date_from_civil(1900, 2, 28), 1);
}

static void test_valid_civil_bounds(void **state)
{
    (void)state;
    assert_true(date_valid_civil(2021, 1, 31));
    assert_true(date_valid_civil(2021, 12, 31));
    assert_false(date_valid_civil(2021, 0, 1));
    assert_false(date_valid_civil(2021, 13, 1));
    assert_false(date_valid_civil(2021, 1, 0));
    assert_false(date_valid_civil(2021, 1, 32));
    assert_false(date_valid_civil(2021, 4, 31));
    assert_false(date_valid_civil(2021, 6, 31));
    assert_false(date_valid_civil(2021, 9, 31));
    assert_false(date_valid_civil(2021, 11, 31));
    assert_false(date_valid_civil(2021, -1, 1));
}

static void test_auto_date_forms(void **state)
{
    (void)state;
    static const char *const forms[] = {"2021-03-04", "20210304",  "2021/03/04",
                                        "  2021-03-04\t", "\t20210304 ", " 2021/03/04"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int32_t day = -1;
        assert_int_equal(parse_auto(forms[i], &day), DATE_OK);
        assert_int_equal(day, 18690);
    }
}

static void test_auto_date_times(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "2025-10-07 09:50:26 +0200",      "2025-10-07T23:30:00-05:00",
        "2025-10-07T23:30:00Z",           "2025-10-07T23:30:00.123456Z",
        "2025-10-07 23:30",               "2025-10-07T23:30:59+05",
        "2025-10-07T00:00:00+0530",       "2025-10-07 09:50:26+02:00",
        "20251007T10:00:00",              "2025/10/07 10:00:00",
        "2025-10-07 23:59:60",            "2025-10-07 09:50:26 Z",
        "2025-10-07T23:30:00.5-05:00",    " 2025-10-07 09:50:26 +0200 "};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int32_t day = -1;
        assert_int_equal(parse_auto(forms[i], &day), DATE_OK);
        assert_int_equal(day, 20368); /* the offset never moves the day */
    }
}

static void test_auto_ambiguous(void **state)
{
    (void)state;
    static const char *const forms[] = {"03/04/2021", "3.4.21",         "03-04-2021",
                                        "3/4/2021",   "13/04/2021",     "04/13/2021",
                                        "03.04.2021", "03/04/2021 10:00", "12/1/2010 8:26",
                                        "03-04-21",   "29/02/2020"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int32_t day = 12345;
        assert_int_equal(parse_auto(forms[i], &day), DATE_AMBIGUOUS);
        assert_int_equal(day, 12345);
    }
}

static void test_auto_invalid(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "2021-02-29", "2020-02-30",  "2021-13-01",  "2021-00-10",  "2021-04-31",
        "2021-01-00", "0999-12-31",  "10000-01-01", "2021-3-4",    "2021-03-4",
        "2021-03-04x", "2021-03-04T", "2021-03-04 25:00", "2021-03-04 10:60",
        "2021-03-04 1:00", "2021-03-04T10", "2021-03-04T10:00:61", "2021-03-04T10:00:00.",
        "2021-03-04T10:00:00+2500", "2021-03-04T10:00:00+02:0", "2021-03-04T10:00:00+02:60",
        "2021-03-04T10:00:00 UTC", "2021-03-04T10:00:00+", "abc", "2021", "1.5",
        "99/99/2021", "29/02/2021", "03/04/202", "03/04-2021", "2021-03/04", "2021.03.04",
        "12.99", "202103045", "2021030", "-2021-03-04", "2021-03-04t10:00", "03/04/2021x"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int32_t day = 12345;
        date_result got = parse_auto(forms[i], &day);
        if (got != DATE_INVALID)
            fail_msg("'%s' gave %d, want DATE_INVALID", forms[i], (int)got);
        assert_int_equal(day, 12345);
    }
}

static void test_auto_year_range(void **state)
{
    (void)state;
    int32_t day;
    assert_int_equal(parse_auto("1000-01-01", &day), DATE_OK);
    assert_int_equal(day, -354285);
    assert_int_equal(parse_auto("9999-12-31", &day), DATE_OK);
    assert_int_equal(day, 2932896);
    assert_int_equal(parse_auto("0999-12-31", &day), DATE_INVALID);
    assert_int_equal(parse_auto("00000101", &day), DATE_INVALID);
    assert_int_equal(parse_auto("1900-02-29", &day), DATE_INVALID);
    assert_int_equal(parse_auto("2000-02-29", &day), DATE_OK);
    assert_int_equal(day, 11016);
}

static void test_auto_empty_and_length(void **state)
{
    (void)state;
    int32_t day;
    assert_int_equal(date_parse_auto(NULL, 0, &day), DATE_EMPTY);
    assert_int_equal(parse_auto("", &day), DATE_EMPTY);
    assert_int_equal(parse_auto(" \t ", &day), DATE_EMPTY);
    /* only len bytes are read: the text need not be NUL-terminated */
    assert_int_equal(date_parse_auto("2021-03-04T10:00", 10, &day), DATE_OK);
    assert_int_equal(day, 18690);
    assert_int_equal(date_parse_auto("2021-03-04", 9, &day), DATE_INVALID);
}

static void test_format_compile(void **state)
{
    (void)state;
    date_format f;
    char err[128];
    assert_true(date_format_compile("%Y-%m-%d", &f, err, sizeof err));
    assert_int_equal(f.len, 8);
    assert_true(date_format_compile("%d %b %y %H:%M:%S %z %%", &f, err, sizeof err));
    assert_true(date_format_compile("%e.%m.%Y", &f, NULL, 0));

    assert_false(date_format_compile("%Y-%m", &f, err, sizeof err));
    assert_non_null(strstr(err, "year, a month and a day"));
    assert_false(date_format_compile("%Y-%m-%Q", &f, err, sizeof err));
    assert_non_null(strstr(err, "'%Q'"));
    assert_false(date_format_compile("%Y-%m-%d %Y", &f, err, sizeof err));
    assert_non_null(strstr(err, "twice"));
    assert_false(date_format_compile("%Y-%b-%m-%d", &f, err, sizeof err));
    assert_false(date_format_compile("%Y-%m-%d%", &f, err, sizeof err));
    assert_non_null(strstr(err, "lone"));
    assert_false(date_format_compile(NULL, &f, err, sizeof err));
    char too_long[80];
    memset(too_long, 'x', sizeof too_long - 1);
    memcpy(too_long, "%Y%m%d", 6);
    too_long[sizeof too_long - 1] = '\0';
    assert_false(date_format_compile(too_long, &f, err, sizeof err));
    assert_false(date_format_compile("%Y-%m-%d %Q", &f, NULL, 0));
}

static void test_format_parse(void **state)
{
    (void)state;
    int32_t day = -1;
    assert_int_equal(parse_with("%m/%d/%Y %H:%M", "12/1/2010 8:26", &day), DATE_OK);
    assert_int_equal(day, 14944);
    assert_int_equal(parse_with("%m/%d/%Y %H:%M", "12/01/2010 08:26", &day), DATE_OK);
    assert_int_equal(day, 14944);
    assert_int_equal(parse_with("%d.%m.%Y", "03.04.2021", &day), DATE_OK);
    assert_int_equal(day, 18720);
    assert_int_equal(parse_with("%d.%m.%Y", "3.4.2021", &day), DATE_OK);
    assert_int_equal(day, 18720);
    assert_int_equal(parse_with("%d %b %Y", "4 Mar 2021", &day), DATE_OK);
    assert_int_equal(day, 18690);
    assert_int_equal(parse_with("%d %b %Y", "04 mar 2021", &day), DATE_OK);
    assert_int_equal(parse_with("%d %b %Y", "4 MARCH  2021", &day), DATE_OK);
    assert_int_equal(day, 18690);
    assert_int_equal(parse_with("%e %b %Y", " 4 Mar 2021 ", &day), DATE_OK);
    assert_int_equal(parse_with("%b %e, %Y", "Mar  4, 2021", &day), DATE_OK);
    assert_int_equal(day, 18690);
    assert_int_equal(parse_with("%d/%m/%y", "04/03/21", &day), DATE_OK);
    assert_int_equal(day, 18690);
    assert_int_equal(parse_with("%Y%m%d", "20210304", &day), DATE_OK);
    assert_int_equal(day, 18690);
    assert_int_equal(parse_with("%Y-%m-%dT%H:%M:%S%z", "2025-10-07T23:30:00-05:00", &day),
                     DATE_OK);
    assert_int_equal(day, 20368);
    assert_int_equal(parse_with("%Y-%m-%d %H:%M:%S %z", "2025-10-07 09:50:26 +0200", &day),
                     DATE_OK);
    assert_int_equal(day, 20368);
    assert_int_equal(parse_with("%d%%%m%%%Y", "07%10%2025", &day), DATE_OK);
    assert_int_equal(day, 20368);
}

static void test_format_rejects(void **state)
{
    (void)state;
    int32_t day = 777;
    assert_int_equal(parse_with("%d.%m.%Y", "31.02.2021", &day), DATE_INVALID);
    assert_int_equal(parse_with("%d.%m.%Y", "29.02.1900", &day), DATE_INVALID);
    assert_int_equal(parse_with("%d.%m.%Y", "03.04.2021x", &day), DATE_INVALID);
    assert_int_equal(parse_with("%d.%m.%Y", "03/04/2021", &day), DATE_INVALID);
    assert_int_equal(parse_with("%m/%d/%Y", "13/01/2021", &day), DATE_INVALID);
    assert_int_equal(parse_with("%m/%d/%Y", "12/1/2010 8:26", &day), DATE_INVALID);
    assert_int_equal(parse_with("%m/%d/%Y %H:%M", "12/1/2010 24:00", &day), DATE_INVALID);
    assert_int_equal(parse_with("%m/%d/%Y %H:%M", "12/1/2010 8:60", &day), DATE_INVALID);
    assert_int_equal(parse_with("%m/%d/%Y %H:%M", "12/1/20108:26", &day), DATE_INVALID);
    assert_int_equal(parse_with("%d %b %Y", "4 Foo 2021", &day), DATE_INVALID);
    assert_int_equal(parse_with("%d %b %Y", "4 Ma 2021", &day), DATE_INVALID);
    assert_int_equal(parse_with("%Y-%m-%d", "21-03-04", &day), DATE_INVALID);
    assert_int_equal(parse_with("%Y-%m-%d", "10000-03-04", &day), DATE_INVALID);
    assert_int_equal(parse_with("%Y-%m-%d%z", "2021-03-04+2400", &day), DATE_INVALID);
    assert_int_equal(day, 777);
    assert_int_equal(parse_with("%Y-%m-%d", "  ", &day), DATE_EMPTY);
}

static void test_format_iso(void **state)
{
    (void)state;
    char out[11];
    date_format_iso(0, out);
    assert_string_equal(out, "1970-01-01");
    date_format_iso(-1, out);
    assert_string_equal(out, "1969-12-31");
    date_format_iso(20368, out);
    assert_string_equal(out, "2025-10-07");
    date_format_iso(-354285, out);
    assert_string_equal(out, "1000-01-01");
    date_format_iso(date_from_civil(999, 1, 2), out);
    assert_string_equal(out, "0999-01-02");
    /* years that do not fit four digits give a marker no parser accepts */
    date_format_iso(INT32_MAX, out);
    assert_string_equal(out, "0000-00-00");
    date_format_iso(INT32_MIN, out);
    assert_string_equal(out, "0000-00-00");
}

static void test_public_day_api(void **state)
{
    (void)state;
    int32_t day = 5;
    char out[11];
    assert_int_equal(cvo_day_from_ymd(1970, 1, 1), 0);
    assert_int_equal(cvo_day_from_ymd(2025, 10, 7), 20368);
    cvo_day_format(20368, out);
    assert_string_equal(out, "2025-10-07");
    assert_true(cvo_day_parse("2021-03-04", &day));
    assert_int_equal(day, 18690);
    assert_true(cvo_day_parse("20000229", &day));
    assert_int_equal(day, 11016);
    day = 5;
    static const char *const rejected[] = {" 2021-03-04", "2021-03-04 ", "2021-03-04T10:00",
                                           "2021/03/04", "2021-02-29", "19000229", "2021-3-04",
                                           "0999-01-01", "03/04/2021", "", "2021-03-0x"};
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++)
        assert_false(cvo_day_parse(rejected[i], &day));
    assert_false(cvo_day_parse(NULL, &day));
    assert_int_equal(day, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_day_numbers),
        cmocka_unit_test(test_civil_round_trip_1600_2400),
        cmocka_unit_test(test_civil_round_trip_far_years),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_valid_civil_bounds),
        cmocka_unit_test(test_auto_date_forms),
        cmocka_unit_test(test_auto_date_times),
        cmocka_unit_test(test_auto_ambiguous),
        cmocka_unit_test(test_auto_invalid),
        cmocka_unit_test(test_auto_year_range),
        cmocka_unit_test(test_auto_empty_and_length),
        cmocka_unit_test(test_format_compile),
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_format_rejects),
        cmocka_unit_test(test_format_iso),
        cmocka_unit_test(test_public_day_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
