/* window.c - per-member outcomes in a window after entry and in the pre-period
 * before it. Orders are counted where cvo counts them (the customer table's kept
 * orders); an order on the entry day belongs to the window, not the pre-period. */
#include "experiment/window.h"

#include "core/customers.h"

#include <string.h>

/* Adds one order to the outcomes of a period. */
static void add_order(double *period, const cvo_order *o, int64_t margin)
{
    period[CVO_EXP_CONVERSION] = 1;
    period[CVO_EXP_ORDERS] += 1;
    period[CVO_EXP_REVENUE] += (double)o->net_cents;
    period[CVO_EXP_PROFIT] += (double)margin;
}

void window_measure(const cvo_customers *customers, const int64_t *margins, size_t index,
                    int32_t entry_day, uint32_t window_days, window_outcome *out)
{
    memset(out, 0, sizeof *out);
    size_t first = customers->order_start[index], end = customers->order_start[index + 1];
    int64_t from = (int64_t)entry_day - window_days, to = (int64_t)entry_day + window_days;
    for (size_t k = first; k < end; k++) {
        const cvo_order *o = &customers->orders[k];
        if (o->day >= from && o->day < entry_day)
            add_order(out->before, o, margins[k]);
        else if (o->day >= entry_day && o->day < to)
            add_order(out->after, o, margins[k]);
    }
}
