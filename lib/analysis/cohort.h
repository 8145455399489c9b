/* cohort.h - first-order month x months since: repeat and retention shares,
 * cumulative revenue and profit per customer (the object behind cvo_cohorts). */
#ifndef CVO_COHORT_H
#define CVO_COHORT_H

#include "cvo.h"

struct cvo_cohorts {
    cvo_ctx *ctx;
    cvo_cohort *rows; /* oldest first */
    size_t count;
    cvo_cohort_cell *cells; /* every row's cells, one block */
    size_t max_months;
    int32_t as_of;
};

#endif
