/* money.h - decimal text to exact integer amounts. Money is parsed at 1/10000
 * of a currency unit (so unit prices like 0.425 stay exact) and turned into
 * cents only after multiplying by a quantity. Overflow is an error, never a wrap. */
#ifndef CVO_MONEY_H
#define CVO_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONEY_SCALE 10000 /* units of 1e-4 */

typedef enum money_result {
    MONEY_OK = 0,
    MONEY_EMPTY,    /* only blanks */
    MONEY_INVALID,  /* not an amount */
    MONEY_OVERFLOW, /* does not fit */
    MONEY_PRECISION /* more than 4 decimals that are not zeros */
} money_result;

/* Accepts surrounding blanks; a sign before or after a currency symbol or code
 * ("-$12.99", "$-12.99", "USD 12.99", "12.99 EUR", "12.99€", "(12.99)" as
 * negative); symbols $ € £ ¥ and 3-letter upper-case codes; thousands
 * separators "," (or "." / "'" / space with decimal_comma) only in proper
 * groups of three ("1,234.50"; "1,23.4" is invalid); decimal point "."
 * (or "," with decimal_comma). "1e5", "0x10", "12.3.4", "--1" are invalid. */
money_result money_parse(const char *text, size_t len, bool decimal_comma, int64_t *out_e4);

/* money_parse for the hot path: the usual plain shape ("12", "14.50": 1-14
 * digits, then a point and 1-4 digits) is read inline; anything else goes to
 * money_parse. Same results. */
static inline bool money_digit(char c)
{
    return (unsigned)((unsigned char)c - '0') < 10u;
}

static inline money_result money_parse_quick(const char *text, size_t len, bool decimal_comma,
                                             int64_t *out_e4)
{
    static const uint16_t scale[5] = {10000, 1000, 100, 10, 1};
    if (len == 0 || len > 19 || !money_digit(text[0]) || !money_digit(text[len - 1]))
        return money_parse(text, len, decimal_comma, out_e4);
    const char *p = text, *end = text + len;
    uint64_t units = 0, fraction = 0;
    while (p < end && money_digit(*p))
        units = units * 10 + (uint64_t)(*p++ - '0');
    size_t integer_digits = (size_t)(p - text), decimals = 0;
    if (p < end) {
        if (*p++ != (decimal_comma ? ',' : '.'))
            return money_parse(text, len, decimal_comma, out_e4);
        decimals = (size_t)(end - p);
        for (const char *q = p; q < end; q++)
            if (!money_digit(*q))
                return money_parse(text, len, decimal_comma, out_e4);
            else
                fraction = fraction * 10 + (uint64_t)(*q - '0');
    }
    if (integer_digits > 14 || decimals > 4)
        return money_parse(text, len, decimal_comma, out_e4);
    *out_e4 = (int64_t)(units * MONEY_SCALE + fraction * scale[decimals]);
    return MONEY_OK;
}

/* Integer quantity: optional sign, digits, optional ".0..." ("2.0" ok, "2.5" not). */
money_result quantity_parse(const char *text, size_t len, int64_t *out);

/* e4 * quantity into e4, false on overflow. */
bool money_mul(int64_t e4, int64_t quantity, int64_t *out_e4);
/* e4 to cents, rounding half away from zero. */
int64_t money_e4_to_cents(int64_t e4);
/* Writes "-1234.50" style text (no thousands separators) and a NUL; returns
 * the length. out needs 24 bytes. */
size_t money_format_cents(int64_t cents, char *out);

#endif
