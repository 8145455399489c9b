/* datetime.c - order dates as day numbers: civil-date arithmetic, the automatic
 * parser for the unambiguous forms and the explicit strptime-like formats.
 * Invariant: every day a parser returns is a real date with a year in 1000..9999. */
#include "datetime.h"

#include "cvo.h"

#include <stdio.h>
#include <string.h>

#define DATE_YEAR_MIN 1000
#define DATE_YEAR_MAX 9999

/* A read position over text that is not NUL-terminated. */
typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

/* The fields one explicit format collects; -1 means "not given". */
typedef struct date_fields {
    int year, month, day;
} date_fields;

static bool is_digit(char c)
{
    return (unsigned)((unsigned char)c - '0') < 10u;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char lower_ascii(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static cursor trimmed(const char *text, size_t len)
{
    cursor c = {text, text};
    if (len == 0) /* text may be NULL then; NULL + 0 is not allowed */
        return c;
    c.end = text + len;
    while (c.p < c.end && is_blank(*c.p))
        c.p++;
    while (c.end > c.p && is_blank(c.end[-1]))
        c.end--;
    return c;
}

/* ---- civil calendar ------------------------------------------------------ */

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

bool date_valid_civil(int year, int month, int day)
{
    static const unsigned char month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1)
        return false;
    int last = month_days[month - 1] + (month == 2 && is_leap(year));
    return day <= last;
}

/* Years are counted from March so that the leap day falls last and a day's
 * offset inside its year needs no leap test; 400-year eras repeat exactly
 * (146097 days), which keeps the arithmetic exact for negative years too.
 * int64 intermediates make any int year free of undefined behaviour. */
int32_t date_from_civil(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t year_of_era = y - era * 400;
    int64_t march_month = month > 2 ? month - 3 : month + 9;
    int64_t day_of_year = (153 * march_month + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return (int32_t)(era * 146097 + day_of_era - 719468);
}

void date_to_civil(int32_t day_number, int *year, int *month, int *day)
{
    int64_t shifted = (int64_t)day_number + 719468; /* days since 0000-03-01 */
    int64_t era = (shifted >= 0 ? shifted : shifted - 146096) / 146097;
    int64_t day_of_era = shifted - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t march_month = (5 * day_of_year + 2) / 153;
    int m = (int)(march_month < 10 ? march_month + 3 : march_month - 9);
    *day = (int)(day_of_year - (153 * march_month + 2) / 5 + 1);
    *month = m;
    *year = (int)(year_of_era + era * 400 + (m <= 2));
}

static bool date_in_range(int year, int month, int day)
{
    return year >= DATE_YEAR_MIN && year <= DATE_YEAR_MAX && date_valid_civil(year, month, day);
}

static void put_digits(char *out, int value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
}

/* Years outside 0..9999 do not fit the 10 characters; they are written as
 * "0000-00-00", which no parser accepts, rather than as a wrong date. */
void date_format_iso(int32_t day, char out[11])
{
    int y, m, d;
    date_to_civil(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        memcpy(out, "0000-00-00", 11);
        return;
    }
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = '\0';
}

/* ---- small scanners --------------------------------------------------------- */

static bool take_char(cursor *c, char want)
{
    if (c->p == c->end || *c->p != want)
        return false;
    c->p++;
    return true;
}

/* Exactly n digits. */
static bool take_digits(cursor *c, int n, int *value)
{
    if (c->end - c->p < n)
        return false;
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(c->p[i]))
            return false;
        v = v * 10 + (c->p[i] - '0');
    }
    c->p += n;
    *value = v;
    return true;
}

/* 1..max digits, as many as there are. */
static bool take_number(cursor *c, int max, int *value)
{
    int v = 0, n = 0;
    while (n < max && c->p < c->end && is_digit(*c->p)) {
        v = v * 10 + (*c->p++ - '0');
        n++;
    }
    *value = v;
    return n > 0;
}

static bool take_blanks(cursor *c)
{
    const char *start = c->p;
    while (c->p < c->end && is_blank(*c->p))
        c->p++;
    return c->p > start;
}

/* Z, +HH, +HHMM or +HH:MM. The offset is checked but never applied: the day
 * of an order is the local date its shop wrote down. */
static bool take_zone(cursor *c)
{
    int hours, minutes = 0;
    if (take_char(c, 'Z'))
        return true;
    if (!take_char(c, '+') && !take_char(c, '-'))
        return false;
    if (!take_digits(c, 2, &hours) || hours > 23)
        return false;
    if (take_char(c, ':'))
        return take_digits(c, 2, &minutes) && minutes <= 59;
    if (c->end - c->p >= 2 && is_digit(c->p[0]) && is_digit(c->p[1]))
        return take_digits(c, 2, &minutes) && minutes <= 59;
    return true; /* +HH alone */
}

/* HH:MM[:SS[.fraction]] */
static bool take_clock(cursor *c)
{
    int hour, minute, second;
    if (!take_digits(c, 2, &hour) || hour > 23 || !take_char(c, ':') ||
        !take_digits(c, 2, &minute) || minute > 59)
        return false;
    if (!take_char(c, ':'))
        return true;
    if (!take_digits(c, 2, &second) || second > 60) /* 60: a leap second */
        return false;
    if (!take_char(c, '.'))
        return true;
    if (c->p == c->end || !is_digit(*c->p))
        return false;
    while (c->p < c->end && is_digit(*c->p))
        c->p++;
    return true;
}

/* What may follow a date: nothing, or [T or space]clock[zone or blanks zone]. */
static bool time_tail_valid(cursor c)
{
    if (c.p == c.end)
        return true;
    if (!take_char(&c, 'T') && !take_char(&c, ' '))
        return false;
    if (!take_clock(&c))
        return false;
    if (c.p == c.end)
        return true;
    take_blanks(&c);
    return take_zone(&c) && c.p == c.end;
}

/* ---- automatic detection ---------------------------------------------------- */

static date_result finish_date(cursor rest, int year, int month, int day, int32_t *out)
{
    if (!date_in_range(year, month, day) || !time_tail_valid(rest))
        return DATE_INVALID;
    *out = date_from_civil(year, month, day);
    return DATE_OK;
}

/* YYYY-MM-DD or YYYY/MM/DD: the hot path of every load. */
static date_result parse_year_first(cursor c, int32_t *out)
{
    int year, month, day;
    if (c.end - c.p < 10)
        return DATE_INVALID;
    char sep = c.p[4];
    if ((sep != '-' && sep != '/') || c.p[7] != sep)
        return DATE_INVALID;
    cursor at = c;
    if (!take_digits(&at, 4, &year) || !take_char(&at, sep) || !take_digits(&at, 2, &month) ||
        !take_char(&at, sep) || !take_digits(&at, 2, &day))
        return DATE_INVALID;
    return finish_date(at, year, month, day, out);
}

static date_result parse_compact(cursor c, int32_t *out)
{
    int year, month, day;
    if (!take_digits(&c, 4, &year) || !take_digits(&c, 2, &month) || !take_digits(&c, 2, &day))
        return DATE_INVALID;
    return finish_date(c, year, month, day, out);
}

/* NN/NN/NNNN, N.N.NN, NN-NN-NNNN: day-first and month-first files both exist,
 * and one row cannot tell which this file is (even 13/04 only shows it for
 * that row), so a well-shaped one is always ambiguous, never guessed. Its time
 * is not checked: such files often write "8:26", and the explicit format the
 * user must give anyway will check it. */
static date_result classify_day_month(cursor c)
{
    int first, second, year;
    if (!take_number(&c, 2, &first) || c.p == c.end)
        return DATE_INVALID;
    char sep = *c.p;
    if ((sep != '/' && sep != '.' && sep != '-') || !take_char(&c, sep) ||
        !take_number(&c, 2, &second) || !take_char(&c, sep))
        return DATE_INVALID;
    const char *year_start = c.p;
    take_number(&c, 4, &year);
    long year_digits = c.p - year_start;
    if (year_digits == 2)
        year += 2000;
    else if (year_digits != 4)
        return DATE_INVALID;
    if (c.p != c.end && *c.p != ' ' && *c.p != 'T')
        return DATE_INVALID;
    if (date_in_range(year, second, first) || date_in_range(year, first, second))
        return DATE_AMBIGUOUS;
    return DATE_INVALID;
}

static bool take_month_name(cursor *c, int *month);

/* "Oct 7, 2025 9:50:26 AM" (Magento's admin grid): the month is named, so
 * nothing is ambiguous. The clock is H:MM[:SS] with an optional AM/PM. */
static date_result parse_month_name_first(cursor c, int32_t *out)
{
    int month, day, year, hour, minute, second;
    if (!take_month_name(&c, &month) || !take_blanks(&c) || !take_number(&c, 2, &day) ||
        !take_char(&c, ',') || !take_blanks(&c) || !take_digits(&c, 4, &year))
        return DATE_INVALID;
    if (c.p != c.end) {
        if (!take_blanks(&c) || !take_number(&c, 2, &hour) || hour > 23 || !take_char(&c, ':') ||
            !take_digits(&c, 2, &minute) || minute > 59)
            return DATE_INVALID;
        if (take_char(&c, ':') && (!take_digits(&c, 2, &second) || second > 60))
            return DATE_INVALID;
        if (c.p != c.end) {
            take_blanks(&c);
            if (c.end - c.p != 2 || (lower_ascii(c.p[0]) != 'a' && lower_ascii(c.p[0]) != 'p') ||
                lower_ascii(c.p[1]) != 'm' || hour > 12)
                return DATE_INVALID;
            c.p = c.end;
        }
    }
    if (!date_in_range(year, month, day))
        return DATE_INVALID;
    *out = date_from_civil(year, month, day);
    return DATE_OK;
}

date_result date_parse_auto(const char *text, size_t len, int32_t *day)
{
    cursor c = trimmed(text, len);
    if (c.p == c.end)
        return DATE_EMPTY;
    long lead = 0;
    while (lead < 9 && c.p + lead < c.end && is_digit(c.p[lead]))
        lead++;
    if (lead == 4)
        return parse_year_first(c, day);
    if (lead == 8)
        return parse_compact(c, day);
    if (lead == 1 || lead == 2)
        return classify_day_month(c);
    if (lead == 0 && c.end - c.p >= 3 && lower_ascii(*c.p) >= 'a' && lower_ascii(*c.p) <= 'z')
        return parse_month_name_first(c, day);
    return DATE_INVALID;
}

/* ---- explicit formats ------------------------------------------------------- */

static bool compile_fail(char *err, size_t err_len, const char *reason, char conversion)
{
    if (err == NULL || err_len == 0)
        return false;
    if (conversion != '\0')
        snprintf(err, err_len, "%s '%%%c'", reason, conversion);
    else
        snprintf(err, err_len, "%s", reason);
    return false;
}

/* Which field a conversion fills, so that each is given once: 0 year,
 * 1 month, 2 day, 3 hour, 4 minute, 5 second, 6 zone, -1 none ('%%'),
 * -2 unknown. */
static int conversion_slot(char conversion)
{
    switch (conversion) {
    case 'Y': case 'y': return 0;
    case 'm': case 'b': return 1;
    case 'd': case 'e': return 2;
    case 'H': return 3;
    case 'M': return 4;
    case 'S': return 5;
    case 'z': return 6;
    case '%': return -1;
    default: return -2;
    }
}

bool date_format_compile(const char *format, date_format *out, char *err, size_t err_len)
{
    if (format == NULL || strlen(format) >= sizeof out->spec)
        return compile_fail(err, err_len, "date format missing or longer than 63 characters", 0);
    unsigned seen = 0;
    for (const char *p = format; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        if (*++p == '\0')
            return compile_fail(err, err_len, "date format ends with a lone '%'", 0);
        int slot = conversion_slot(*p);
        if (slot == -2)
            return compile_fail(err, err_len, "unknown conversion in date format:", *p);
        if (slot >= 0 && (seen & (1u << slot)))
            return compile_fail(err, err_len, "date format gives a field twice:", *p);
        if (slot >= 0)
            seen |= 1u << slot;
    }
    if ((seen & 7u) != 7u)
        return compile_fail(err, err_len, "date format needs a year, a month and a day", 0);
    out->len = strlen(format);
    memcpy(out->spec, format, out->len + 1);
    return true;
}

/* Full English month name or its three-letter abbreviation, any case. */
static bool take_month_name(cursor *c, int *month)
{
    static const char *const names[12] = {"january", "february", "march",     "april",
                                          "may",     "june",     "july",      "august",
                                          "september", "october", "november", "december"};
    for (int m = 0; m < 12; m++) {
        size_t full = strlen(names[m]), n = 0;
        while (n < full && c->p + n < c->end && lower_ascii(c->p[n]) == names[m][n])
            n++;
        if (n == full || n == 3) {
            c->p += n;
            *month = m + 1;
            return true;
        }
    }
    return false;
}

static bool take_bounded(cursor *c, int max_digits, int max_value)
{
    int value;
    return take_number(c, max_digits, &value) && value <= max_value;
}

static bool take_conversion(cursor *c, char conversion, date_fields *f)
{
    switch (conversion) {
    case 'Y': return take_number(c, 4, &f->year);
    case 'y':
        if (!take_number(c, 2, &f->year))
            return false;
        f->year += 2000;
        return true;
    case 'm': return take_number(c, 2, &f->month);
    case 'b': return take_month_name(c, &f->month);
    case 'e': take_char(c, ' '); return take_number(c, 2, &f->day);
    case 'd': return take_number(c, 2, &f->day);
    case 'H': return take_bounded(c, 2, 23);
    case 'M': return take_bounded(c, 2, 59);
    case 'S': return take_bounded(c, 2, 60);
    case 'z': return take_zone(c);
    default: return take_char(c, '%');
    }
}

date_result date_parse_format(const date_format *format, const char *text, size_t len,
                              int32_t *day)
{
    cursor c = trimmed(text, len);
    if (c.p == c.end)
        return DATE_EMPTY;
    date_fields f = {-1, -1, -1};
    for (size_t i = 0; i < format->len; i++) {
        char ch = format->spec[i];
        bool ok;
        if (ch == '%')
            ok = take_conversion(&c, format->spec[++i], &f);
        else if (ch == ' ')
            ok = take_blanks(&c);
        else
            ok = take_char(&c, ch);
        if (!ok)
            return DATE_INVALID;
    }
    if (c.p != c.end || !date_in_range(f.year, f.month, f.day))
        return DATE_INVALID;
    *day = date_from_civil(f.year, f.month, f.day);
    return DATE_OK;
}

/* ---- public API ------------------------------------------------------------- */

int32_t cvo_day_from_ymd(int year, int month, int day)
{
    return date_from_civil(year, month, day);
}

void cvo_day_format(int32_t day, char out[11])
{
    date_format_iso(day, out);
}

bool cvo_day_parse(const char *text, int32_t *day)
{
    if (text == NULL || day == NULL)
        return false;
    size_t len = strlen(text);
    cursor c = {text, text + len};
    int y, m, d;
    bool dashed = len == 10;
    if (len != 10 && len != 8)
        return false;
    if (!take_digits(&c, 4, &y) || (dashed && !take_char(&c, '-')) || !take_digits(&c, 2, &m) ||
        (dashed && !take_char(&c, '-')) || !take_digits(&c, 2, &d) || !date_in_range(y, m, d))
        return false;
    *day = date_from_civil(y, m, d);
    return true;
}
