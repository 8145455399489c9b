/* cohort.c - customers by first-order month, followed month by month: who
 * ordered again, and revenue and profit accumulated per customer.
 * Invariant: totals are sums of whole cents, so cumulative cells are exact. */
#include "analysis/cohort.h"
#include "analysis/profit.h"
#include "base/ctx.h"
#include "base/limits.h"
#include "core/customers.h"
#include "io/datetime.h"

#include <string.h>

/* Months since year 0: a calendar month as one number. */
static int64_t month_of(int32_t day)
{
    int y, m, d;
    date_to_civil(day, &y, &m, &d);
    return (int64_t)y * 12 + (m - 1);
}

/* The first day of month index mi. */
static int32_t month_start(int64_t mi)
{
    return date_from_civil((int)(mi / 12), (int)(mi % 12) + 1, 1);
}

/* A customer's counted orders before as_of (the orders are by day). */
static size_t orders_before(const cvo_customers *c, size_t i, int32_t as_of,
                            const cvo_order **orders)
{
    size_t n = 0;
    *orders = cvo_customers_orders(c, i, &n);
    while (n > 0 && (*orders)[n - 1].day >= as_of)
        n--;
    return n;
}

/* ---- layout: which cohorts, how many cells ------------------------------------ */

/* Customers per first-order month from first_month .. last_month into size[]. */
static void count_sizes(const cvo_customers *c, int32_t as_of, int64_t first_month, uint64_t *size)
{
    for (size_t i = 0; i < c->count; i++) {
        const cvo_order *o;
        if (orders_before(c, i, as_of, &o) > 0)
            size[month_of(o[0].day) - first_month]++;
    }
}

/* The rows of the non-empty months, their cells laid out one after another;
 * slot[m] is the row of month first_month + m (unused when empty). */
static cvo_status lay_out(cvo_cohorts *co, const uint64_t *size, size_t span, int64_t first_month,
                          size_t *slot)
{
    size_t rows = 0, cells = 0;
    for (size_t m = 0; m < span; m++)
        if (size[m] > 0) {
            rows++;
            cells += span - m;
        }
    if (cells > CVO_MAX_COHORT_CELLS)
        return ctx_fail(co->ctx, CVO_ERR_LIMIT,
                        "cohorts: %zu cohorts over %zu months would need %zu cells (at most %u)",
                        rows, span, cells, CVO_MAX_COHORT_CELLS);
    co->rows = mem_zarray(co->ctx, rows ? rows : 1, sizeof *co->rows);
    co->cells = mem_zarray(co->ctx, cells ? cells : 1, sizeof *co->cells);
    if (co->rows == NULL || co->cells == NULL)
        return ctx_nomem(co->ctx);
    size_t used = 0;
    for (size_t m = 0; m < span; m++) {
        if (size[m] == 0)
            continue;
        int64_t mi = first_month + (int64_t)m;
        cvo_cohort *row = &co->rows[co->count];
        *row =
            (cvo_cohort){(int)(mi / 12), (int)(mi % 12) + 1, size[m], span - m, co->cells + used};
        slot[m] = co->count++;
        used += span - m;
    }
    co->max_months = rows ? co->rows[0].months : 0;
    return CVO_OK;
}

/* ---- filling -------------------------------------------------------------------- */

/* Adds one customer's orders to their cohort's cells as per-month amounts
 * (accumulated later); retained_customers holds first-repeat counts for now. */
static void add_customer(cvo_cohort_cell *cells, const cvo_order *o, size_t n,
                         const int64_t *margin, int64_t acquisition)
{
    int64_t start = month_of(o[0].day);
    size_t last_repeat = SIZE_MAX;
    cells[0].profit_cents -= acquisition;
    for (size_t k = 0; k < n; k++) {
        size_t offset = (size_t)(month_of(o[k].day) - start);
        cells[offset].revenue_cents += o[k].net_cents;
        cells[offset].profit_cents += margin[k];
        if (o[k].day <= o[0].day || offset == last_repeat)
            continue;
        cells[offset].repeat_customers++;
        cells[offset].retained_customers += last_repeat == SIZE_MAX;
        last_repeat = offset;
    }
}

/* Running sums over the months, then the shares and means. */
static void accumulate(const cvo_cohort *row, cvo_cohort_cell *cells, int32_t as_of)
{
    int64_t mi = (int64_t)row->year * 12 + (row->month - 1);
    double size = (double)row->customers;
    for (size_t k = 0; k < row->months; k++) {
        cvo_cohort_cell *c = &cells[k];
        if (k > 0) {
            c->revenue_cents += cells[k - 1].revenue_cents;
            c->profit_cents += cells[k - 1].profit_cents;
            c->retained_customers += cells[k - 1].retained_customers;
        }
        c->repeat_share = (double)c->repeat_customers / size;
        c->retention_share = (double)c->retained_customers / size;
        c->revenue_per_customer = (double)c->revenue_cents / size;
        c->profit_per_customer = (double)c->profit_cents / size;
        c->complete = month_start(mi + (int64_t)k + 1) <= as_of;
    }
}

static cvo_status fill(cvo_cohorts *co, const cvo_customers *c, const profit_margins *m,
                       int64_t first_month, const size_t *slot)
{
    const int64_t *margin = m->order, *acquisition = m->acquisition;
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < c->count; i++) {
        const cvo_order *o;
        size_t n = orders_before(c, i, co->as_of, &o);
        if (n == 0)
            continue;
        const cvo_cohort *row = &co->rows[slot[month_of(o[0].day) - first_month]];
        add_customer(co->cells + (row->cells - co->cells), o, n, margin + (o - c->orders),
                     acquisition[i]);
    }
    for (size_t r = 0; status == CVO_OK && r < co->count; r++)
        accumulate(&co->rows[r], co->cells + (co->rows[r].cells - co->cells), co->as_of);
    return status;
}

/* ---- the object ------------------------------------------------------------------- */

/* The first first-order month before as_of; false when no order is. */
static bool first_month_of(const cvo_customers *c, int32_t as_of, int64_t *first)
{
    bool any = false;
    for (size_t i = 0; i < c->count; i++) {
        const cvo_order *o;
        if (orders_before(c, i, as_of, &o) == 0)
            continue;
        int64_t m = month_of(o[0].day);
        if (!any || m < *first)
            *first = m;
        any = true;
    }
    return any;
}

static cvo_status build(cvo_cohorts *co, const cvo_customers *c, const profit_margins *m)
{
    int64_t first = 0;
    if (!first_month_of(c, co->as_of, &first))
        return ctx_fail(co->ctx, CVO_ERR_EMPTY, "cohorts: no order before the as-of date");
    size_t span = (size_t)(month_of(co->as_of - 1) - first + 1);
    if (span > CVO_MAX_COHORT_CELLS)
        return ctx_fail(co->ctx, CVO_ERR_LIMIT, "cohorts: the orders span %zu months", span);
    uint64_t *size = mem_zarray(co->ctx, span, sizeof *size);
    size_t *slot = mem_zarray(co->ctx, span, sizeof *slot);
    cvo_status status = size && slot ? CVO_OK : ctx_nomem(co->ctx);
    if (status == CVO_OK) {
        count_sizes(c, co->as_of, first, size);
        status = lay_out(co, size, span, first, slot);
    }
    if (status == CVO_OK)
        status = fill(co, c, m, first, slot);
    mem_free(co->ctx, size);
    mem_free(co->ctx, slot);
    return status;
}

/* config, or the defaults in *own when there is none. */
static cvo_status config_or_defaults(cvo_ctx *ctx, const cvo_config *config, const cvo_config **use,
                                     cvo_config **own)
{
    *own = NULL;
    *use = config;
    if (config != NULL)
        return CVO_OK;
    CVO_TRY(cvo_config_new(ctx, own));
    *use = *own;
    return CVO_OK;
}

cvo_status cvo_cohorts_compute(cvo_ctx *ctx, const cvo_customers *customers,
                               const cvo_config *config, int32_t as_of_day, cvo_cohorts **out)
{
    return cohort_compute(ctx, customers, config, as_of_day, NULL, out);
}

cvo_status cohort_compute(cvo_ctx *ctx, const cvo_customers *customers, const cvo_config *config,
                          int32_t as_of_day, const profit_margins *given, cvo_cohorts **out)
{
    *out = NULL;
    if (customers == NULL || customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "cohorts need a table loaded with its orders");
    cvo_cohorts *co = mem_zarray(ctx, 1, sizeof *co);
    if (co == NULL)
        return ctx_nomem(ctx);
    co->ctx = ctx;
    co->as_of = as_of_day != INT32_MIN ? as_of_day : cvo_customers_last_day(customers) + 1;
    const cvo_config *use = NULL;
    cvo_config *own = NULL;
    cvo_status status = customers->count == 0 || cvo_customers_last_day(customers) == INT32_MIN
                            ? ctx_fail(ctx, CVO_ERR_EMPTY, "cohorts: no customers")
                            : config_or_defaults(ctx, config, &use, &own);
    profit_margins own_margins = {NULL, NULL};
    if (status == CVO_OK && given == NULL)
        status = profit_margins_compute(ctx, customers, use, &own_margins);
    if (status == CVO_OK)
        status = build(co, customers, given ? given : &own_margins);
    profit_margins_free(ctx, &own_margins);
    cvo_config_free(own);
    if (status != CVO_OK) {
        cvo_cohorts_free(co);
        return status;
    }
    *out = co;
    return CVO_OK;
}

size_t cvo_cohorts_count(const cvo_cohorts *cohorts)
{
    return cohorts ? cohorts->count : 0;
}

const cvo_cohort *cvo_cohorts_at(const cvo_cohorts *cohorts, size_t index)
{
    return cohorts && index < cohorts->count ? &cohorts->rows[index] : NULL;
}

const cvo_cohort_cell *cvo_cohorts_cell(const cvo_cohorts *cohorts, size_t index, size_t offset)
{
    const cvo_cohort *row = cvo_cohorts_at(cohorts, index);
    return row && offset < row->months ? &row->cells[offset] : NULL;
}

size_t cvo_cohorts_max_months(const cvo_cohorts *cohorts)
{
    return cohorts ? cohorts->max_months : 0;
}

int32_t cvo_cohorts_as_of(const cvo_cohorts *cohorts)
{
    return cohorts ? cohorts->as_of : INT32_MIN;
}

void cvo_cohorts_free(cvo_cohorts *cohorts)
{
    if (cohorts == NULL)
        return;
    cvo_ctx *ctx = cohorts->ctx;
    mem_free(ctx, cohorts->rows);
    mem_free(ctx, cohorts->cells);
    mem_free(ctx, cohorts);
}
