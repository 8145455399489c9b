/* cohort.h - first-order month x months since: repeat and retention shares,
 * cumulative revenue and profit per customer (the object behind cvo_cohorts). */
#ifndef CVO_COHORT_H
#define CVO_COHORT_H

#include "analysis/profit.h"
#include "cvo.h"

struct cvo_cohorts {
    cvo_ctx *ctx;
    cvo_cohort *rows; /* oldest first */
    size_t count;
    cvo_cohort_cell *cells; /* every row's cells, one block */
    size_t max_months;
    int32_t as_of;
};

/* cvo_cohorts_compute with the orders' margins already computed under the
 * same config (NULL: computed here). */
cvo_status cohort_compute(cvo_ctx *ctx, const cvo_customers *customers, const cvo_config *config,
                          int32_t as_of_day, const profit_margins *margins, cvo_cohorts **out);

#endif
