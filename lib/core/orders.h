/* orders.h - knobs of the orders loader that only tests turn: the read size
 * (1 byte proves chunk independence), the size from which two workers split
 * the input, and forcing the general (non-contiguous orders) mode. */
#ifndef CVO_ORDERS_H
#define CVO_ORDERS_H

#include "cvo.h"

typedef struct load_tuning {
    size_t chunk;
    uint64_t parallel_min;
    bool force_general;
} load_tuning;

cvo_status orders_load_tuned(cvo_ctx *ctx, const cvo_load_options *options,
                             const load_tuning *tune, cvo_customers **out,
                             cvo_load_stats *stats);

#endif
