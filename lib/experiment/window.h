/* window.h - one member's outcomes over an experiment window: conversion, orders,
 * net revenue and profit (contribution margin under [profit]) in [entry, entry +
 * window) and, for CUPED, in the pre-period [entry - window, entry) of the same
 * length. Money in cents (held in doubles only for the statistics). */
#ifndef CVO_EXP_WINDOW_H
#define CVO_EXP_WINDOW_H

#include "cvo.h"

#include <stdint.h>

typedef struct window_outcome {
    double after[CVO_EXP_METRIC__COUNT];  /* in [entry, entry + window) */
    double before[CVO_EXP_METRIC__COUNT]; /* in [entry - window, entry) */
} window_outcome;

/* The outcomes of customer index of customers (loaded with keep_orders) whose
 * counted orders have the margins margins[order place] (profit_margins.order). */
void window_measure(const cvo_customers *customers, const int64_t *margins, size_t index,
                    int32_t entry_day, uint32_t window_days, window_outcome *out);

#endif
