/* currency.h - ISO 4217 codes and dated exchange rates (issue 14). Rates are
 * exact fixed point (1e-8 store-currency units per unit), the one in force on
 * a day is the latest dated on or before it, and conversion rounds an
 * order's cents half away from zero, once per amount. */
#ifndef CVO_CURRENCY_H
#define CVO_CURRENCY_H

#include "base/ctx.h"

#define RATE_SCALE 100000000 /* rates in units of 1e-8 */

/* True for an active ISO 4217 code, three upper-case letters ("EUR"). */
bool currency_known(const char *code, size_t len);

typedef struct rates rates;

/* Reads "date,currency,rate" (a header line naming those columns; dates
 * YYYY-MM-DD; rate > 0 with at most 8 decimals: what one unit of currency
 * is worth in store currency). Rates for store itself are refused.
 * Errors with path:line: CVO_ERR_IO, CVO_ERR_FORMAT, CVO_ERR_NOMEM. */
CVO_MUST_USE cvo_status rates_load(cvo_ctx *ctx, const char *path, const char *store,
                                   rates **out);
void rates_free(rates *r);

typedef enum rate_result {
    RATE_OK = 0,
    RATE_NO_CURRENCY, /* the file has no rate for the currency */
    RATE_TOO_EARLY    /* its first rate is after the day; *first_day says when */
} rate_result;

/* The rate of currency in force on day. */
rate_result rates_find(const rates *r, const char *currency, int32_t day, int64_t *rate_e8,
                       int32_t *first_day);
const char *rates_path(const rates *r);

/* cents x rate, rounded half away from zero; false on overflow. */
bool currency_convert(int64_t cents, int64_t rate_e8, int64_t *out);

#endif
