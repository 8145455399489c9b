/* money.c - amount and quantity text to exact integers (1e-4 currency units).
 * Invariant: a value is exact or an error; nothing is rounded on the way in and
 * no step may wrap, so every multiply and add is overflow-checked. */
#include "money.h"

#include <string.h>

/* Keeps the full grammar out of line: inlined, its stack frame and saved
 * registers would tax every call of the fast path. */
#if defined(__GNUC__)
#define MONEY_SLOW_PATH __attribute__((noinline))
#else
#define MONEY_SLOW_PATH
#endif

/* A read position over text that is not NUL-terminated. */
typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

/* The magnitude of an amount as it is scanned; errors are remembered rather
 * than returned at once so that bad syntax wins over overflow. */
typedef struct amount_scan {
    uint64_t units;     /* the integer part */
    uint64_t fraction;  /* the first four decimals, in 1e-4 */
    bool overflow;
    bool inexact;       /* a non-zero decimal beyond the fourth */
} amount_scan;

static bool is_digit(char c)
{
    return (unsigned)((unsigned char)c - '0') < 10u;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
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

static void skip_blanks(cursor *c)
{
    while (c->p < c->end && is_blank(*c->p))
        c->p++;
}

/* A magnitude with its sign into int64; -2^63 is reachable, +2^63 is not. */
static money_result signed_result(uint64_t magnitude, bool negative, int64_t *out)
{
    if (magnitude > (uint64_t)INT64_MAX + (negative ? 1u : 0u))
        return MONEY_OVERFLOW;
    if (negative)
        *out = magnitude > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)magnitude;
    else
        *out = (int64_t)magnitude;
    return MONEY_OK;
}

/* ---- the fast path -------------------------------------------------------- */

/* "12.99", "-5", "0.425": with at most 14 integer digits and 4 decimals the
 * value is below 10^18 and cannot overflow, so no checks are needed. Anything
 * else returns false and goes to the full parser. */
static bool parse_plain(cursor c, char point, int64_t *out_e4)
{
    static const uint64_t scale[5] = {10000, 1000, 100, 10, 1};
    bool negative = *c.p == '-';
    c.p += negative;
    const char *digits = c.p;
    uint64_t units = 0, fraction = 0;
    while (c.p < c.end && is_digit(*c.p) && c.p - digits < 15)
        units = units * 10 + (uint64_t)(*c.p++ - '0');
    long integer_digits = c.p - digits;
    if (integer_digits == 0 || integer_digits > 14)
        return false;
    if (c.p < c.end) {
        if (*c.p++ != point)
            return false;
        const char *decimals = c.p;
        while (c.p < c.end && is_digit(*c.p) && c.p - decimals < 4)
            fraction = fraction * 10 + (uint64_t)(*c.p++ - '0');
        if (c.p == decimals || c.p != c.end)
            return false;
        fraction *= scale[c.p - decimals];
    }
    uint64_t magnitude = units * MONEY_SCALE + fraction;
    *out_e4 = negative ? -(int64_t)magnitude : (int64_t)magnitude;
    return true;
}

/* ---- the full grammar ---------------------------------------------------- */

static bool take_sign(cursor *c, bool *negative)
{
    if (c->p == c->end || (*c->p != '-' && *c->p != '+'))
        return false;
    *negative = *c->p++ == '-';
    return true;
}

/* $ € £ ¥ or a three-letter upper-case code such as USD. */
static bool take_currency(cursor *c)
{
    static const char *const symbols[] = {"$", "\xE2\x82\xAC", "\xC2\xA3", "\xC2\xA5"};
    size_t left = (size_t)(c->end - c->p);
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        size_t n = strlen(symbols[i]);
        if (left >= n && memcmp(c->p, symbols[i], n) == 0) {
            c->p += n;
            return true;
        }
    }
    for (size_t i = 0; i < 4; i++) {
        bool upper = i < left && c->p[i] >= 'A' && c->p[i] <= 'Z';
        if (i < 3 ? !upper : upper) /* a fourth letter makes it a word */
            return false;
    }
    c->p += 3;
    return true;
}

static void add_digit(uint64_t *value, char digit, bool *overflow)
{
    uint64_t next;
    if (__builtin_mul_overflow(*value, 10u, &next) ||
        __builtin_add_overflow(next, (uint64_t)(digit - '0'), &next))
        *overflow = true;
    else
        *value = next;
}

static void take_digit_run(cursor *c, amount_scan *a)
{
    while (c->p < c->end && is_digit(*c->p))
        add_digit(&a->units, *c->p++, &a->overflow);
}

static bool is_group_separator(char c, bool decimal_comma)
{
    return decimal_comma ? (c == '.' || c == '\'' || c == ' ') : c == ',';
}

/* A separator starts a group only when exactly three digits follow; else it
 * ends the number (and "12 EUR" keeps its blank before the code). */
static bool group_follows(const cursor *c, bool decimal_comma)
{
    const char *p = c->p;
    return c->end - p >= 4 && is_group_separator(p[0], decimal_comma) && is_digit(p[1]) &&
           is_digit(p[2]) && is_digit(p[3]) && (c->end - p == 4 || !is_digit(p[4]));
}

/* Digits, optionally in thousands groups: the first group then has 1-3 digits
 * and every later one exactly 3, all with the same separator ("1,23.4" fails). */
static bool take_integer_part(cursor *c, bool decimal_comma, amount_scan *a)
{
    const char *start = c->p;
    take_digit_run(c, a);
    long first_group = c->p - start;
    if (first_group == 0)
        return false;
    char separator = 0;
    while (group_follows(c, decimal_comma)) {
        if (first_group > 3 || (separator != 0 && *c->p != separator))
            return false;
        separator = *c->p++;
        take_digit_run(c, a);
    }
    return true;
}

static bool take_fraction(cursor *c, char point, amount_scan *a)
{
    static const uint64_t scale[5] = {10000, 1000, 100, 10, 1};
    if (c->p == c->end || *c->p != point)
        return true;
    c->p++;
    int decimals = 0;
    for (; c->p < c->end && is_digit(*c->p); c->p++, decimals++) {
        if (decimals < 4)
            a->fraction = a->fraction * 10 + (uint64_t)(*c->p - '0');
        else if (*c->p != '0')
            a->inexact = true;
    }
    a->fraction *= scale[decimals < 4 ? decimals : 4];
    return decimals > 0;
}

/* Sign and currency before the number, in either order, each at most once. */
static void take_prefix(cursor *c, bool *has_sign, bool *negative, bool *has_currency)
{
    for (int i = 0; i < 2; i++) {
        if (!*has_sign && take_sign(c, negative)) {
            *has_sign = true;
        } else if (!*has_currency && take_currency(c)) {
            *has_currency = true;
            skip_blanks(c);
        } else {
            return;
        }
    }
}

static bool take_suffix(cursor *c, bool has_currency)
{
    if (c->p == c->end)
        return true;
    skip_blanks(c);
    return !has_currency && take_currency(c) && c->p == c->end;
}

MONEY_SLOW_PATH static money_result parse_full(cursor c, bool decimal_comma, int64_t *out_e4)
{
    bool parens = false, has_sign = false, negative = false, has_currency = false;
    if (*c.p == '(') {
        if (c.end - c.p < 2 || c.end[-1] != ')')
            return MONEY_INVALID;
        parens = true;
        c.p++;
        c.end--;
    }
    take_prefix(&c, &has_sign, &negative, &has_currency);
    amount_scan a = {0, 0, false, false};
    if ((parens && has_sign) || !take_integer_part(&c, decimal_comma, &a) ||
        !take_fraction(&c, decimal_comma ? ',' : '.', &a) || !take_suffix(&c, has_currency))
        return MONEY_INVALID;
    uint64_t magnitude;
    if (a.overflow || __builtin_mul_overflow(a.units, (uint64_t)MONEY_SCALE, &magnitude) ||
        __builtin_add_overflow(magnitude, a.fraction, &magnitude))
        return MONEY_OVERFLOW;
    if (a.inexact)
        return MONEY_PRECISION;
    return signed_result(magnitude, negative || parens, out_e4);
}

money_result money_parse(const char *text, size_t len, bool decimal_comma, int64_t *out_e4)
{
    cursor c = trimmed(text, len);
    if (c.p == c.end)
        return MONEY_EMPTY;
    if (parse_plain(c, decimal_comma ? ',' : '.', out_e4))
        return MONEY_OK;
    return parse_full(c, decimal_comma, out_e4);
}

money_result quantity_parse(const char *text, size_t len, int64_t *out)
{
    cursor c = trimmed(text, len);
    if (c.p == c.end)
        return MONEY_EMPTY;
    bool negative = false, overflow = false;
    take_sign(&c, &negative);
    const char *digits = c.p;
    uint64_t magnitude = 0;
    while (c.p < c.end && is_digit(*c.p))
        add_digit(&magnitude, *c.p++, &overflow);
    if (c.p == digits)
        return MONEY_INVALID;
    if (c.p < c.end && *c.p == '.') { /* "2.0" from spreadsheets is still an integer */
        const char *zeros = ++c.p;
        while (c.p < c.end && *c.p == '0')
            c.p++;
        if (c.p == zeros)
            return MONEY_INVALID;
    }
    if (c.p != c.end)
        return MONEY_INVALID;
    return overflow ? MONEY_OVERFLOW : signed_result(magnitude, negative, out);
}

/* ---- arithmetic and output ------------------------------------------------ */

bool money_mul(int64_t e4, int64_t quantity, int64_t *out_e4)
{
    int64_t product;
    if (__builtin_mul_overflow(e4, quantity, &product))
        return false;
    *out_e4 = product;
    return true;
}

int64_t money_e4_to_cents(int64_t e4)
{
    int64_t cents = e4 / 100, rest = e4 % 100; /* rest has the sign of e4 */
    if (rest >= 50)
        cents++;
    else if (rest <= -50)
        cents--;
    return cents;
}

/* Exact over the whole int64 range: INT64_MIN is "-92233720368547758.08". */
size_t money_format_cents(int64_t cents, char *out)
{
    uint64_t magnitude = cents < 0 ? (uint64_t)(-(cents + 1)) + 1u : (uint64_t)cents;
    uint64_t units = magnitude / 100;
    unsigned hundredths = (unsigned)(magnitude % 100);
    char reversed[20];
    size_t n = 0, len = 0;
    do {
        reversed[n++] = (char)('0' + units % 10);
        units /= 10;
    } while (units != 0);
    if (cents < 0)
        out[len++] = '-';
    while (n > 0)
        out[len++] = reversed[--n];
    out[len++] = '.';
    out[len++] = (char)('0' + hundredths / 10);
    out[len++] = (char)('0' + hundredths % 10);
    out[len] = '\0';
    return len;
}
