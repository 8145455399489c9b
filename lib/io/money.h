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
