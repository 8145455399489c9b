/* dive.h - the deep dives behind cvo_dive_compute: each customer's censored
 * figures, groups keyed by interned text, and one row per group and metric.
 * Invariant: a customer counts at most once in a group, and rest = all - group. */
#ifndef CVO_DIVE_H
#define CVO_DIVE_H

#include "base/arena.h"
#include "base/intern.h"
#include "analysis/profit.h"
#include "cvo.h"

/* One customer's figures (see the definitions in cvo.h). */
typedef struct dive_customer {
    bool in_scope;                     /* first order before as_of */
    bool repeat_counts;                /* as_of - first >= repeat_days */
    bool repeated;                     /* a later-day order with day - first < repeat_days */
    bool year_counts;                  /* as_of - first >= 365 */
    double orders, revenue, profit;    /* within 365 days; currency units */
    int64_t refund_cents, gross_cents; /* all orders before as_of */
    int64_t delivery_days;             /* order to delivery, summed over ... */
    uint32_t delivered_orders;         /* ... its orders before as_of with delivered_at */
    int nps_class;          /* cvo_nps_class of the latest post-delivery answer, -1 none */
    double first_value;     /* the first order's net value, currency units */
    double first_profit;    /* its margin less the acquisition cost, idem */
    uint8_t stratum;        /* its quintile among year_counts customers, 0..4 */
    uint32_t main_category; /* the category holding most of the first order's
                               value (an index of the run's categories) */
    double fitted[3];       /* orders, revenue, profit expected from first_value and main_category
                               (the regression of their cell: main category x quintile) */
} dive_customer;

/* The strata of the first-order value adjustment (quintiles). */
#define DIVE_STRATA 5
/* The metrics adjusted: orders, revenue and profit (CVO_DIVE_ORDERS + k). */
#define DIVE_ADJUSTED 3

/* What every grouping is computed from; figures are filled once for all. */
typedef struct dive_input {
    const cvo_customers *customers;
    const cvo_config *config;
    int32_t as_of_day;
    const cvo_customer_result *results; /* or NULL */
    const cvo_nps *nps;                 /* or NULL */
    const profit_margins *margins;      /* the orders' margins, or NULL: computed here */
    dive_customer *figures;             /* per customer, while computing */
    uint64_t in_scope;                  /* customers whose first order is before as_of */
    double value_cuts[DIVE_STRATA - 1]; /* where the quintiles 2..5 of first_value begin */
} dive_input;

struct cvo_dive {
    cvo_ctx *ctx;
    cvo_dive_info info;
    intern keys;  /* group keys: group i before sorting is key i */
    arena labels; /* product names */
    cvo_dive_group *groups;
    size_t group_count;
    cvo_dive_row *rows;
    size_t row_count;
    char repeat_name[32]; /* "repeat_180d" */
};

/* Every grouping at once (out[by]), each customer's figures computed once;
 * on failure every out[by] is NULL. Errors as cvo_dive_compute. */
cvo_status dive_compute_all(cvo_ctx *ctx, const dive_input *in, cvo_dive *out[CVO_DIVE_BY__COUNT]);

/* dive_adjust.c: the first-order value adjustment, once in->figures hold every
 * customer's own figures. */

/* Each year_counts customer's stratum, the quintile of their first_value, and
 * the cuts into in->value_cuts. CVO_ENOMEM. */
cvo_status dive_stratify(cvo_ctx *ctx, dive_input *in);
/* Each year_counts customer's fitted figures, from the regression of their cell
 * (category set, else main category, x quintile). CVO_ENOMEM. */
cvo_status dive_fit_cells(cvo_ctx *ctx, dive_input *in);

#endif
