/* profit.h - what other analyses reuse of profit.c: each order's contribution
 * margin and each customer's acquisition cost, as cvo_profit_compute sums them. */
#ifndef CVO_PROFIT_H
#define CVO_PROFIT_H

#include "cvo.h"

/* Under config's [profit] keys: margins[k] is the contribution margin of the
 * table's k-th kept order (k = the order's place in customers->orders, so
 * customer i's orders are margins[order_start[i] .. order_start[i+1])) and
 * acquisition[i] customer i's acquisition cost, both in cents; arrays the
 * caller sized. Errors: CVO_ERR_ARGUMENT (no orders kept), CVO_ERR_CONFIG
 * (a bad acquisition_cost item), CVO_ERR_NOMEM. */
cvo_status profit_order_margins(cvo_ctx *ctx, const cvo_customers *customers,
                                const cvo_config *config, int64_t *margins, int64_t *acquisition);

/* The same in arrays of its own, so that the analyses of one run (cohorts,
 * dives) compute them once. */
typedef struct profit_margins {
    int64_t *order;       /* by the order's place in customers->orders */
    int64_t *acquisition; /* by customer */
} profit_margins;

/* Fills m; profit_margins_free it whatever the result. Errors as above. */
cvo_status profit_margins_compute(cvo_ctx *ctx, const cvo_customers *customers,
                                  const cvo_config *config, profit_margins *m);
void profit_margins_free(cvo_ctx *ctx, profit_margins *m);

#endif
