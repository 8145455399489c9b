/* rfm.h - RFM scores of a customer table: recency, frequency and monetary
 * scores 1..levels (levels is best) and a segment per customer. scores[i]
 * always belongs to row i of the customer table the scores were made from. */
#ifndef CVO_RFM_H
#define CVO_RFM_H

#include "base/ctx.h"

struct cvo_rfm {
    cvo_ctx *ctx;
    size_t count;
    int levels;
    cvo_ties ties;
    int32_t as_of_day;
    cvo_score *scores; /* count entries */
};

/* The tile (1..levels) of 0-based row `position` among `count` rows, as SQL
 * NTILE(levels) numbers them: the first count % levels tiles hold one row more. */
int rfm_ntile(size_t position, size_t count, int levels);

/* The key ties are broken by in NTILE mode: customer_id, or the email when the
 * customer has no id. Compared byte-wise (strcmp on unsigned bytes). */
const char *rfm_tie_key(const cvo_customer *customer);

#endif
