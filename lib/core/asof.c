/* asof.c - cvo_customers_as_of: the customer table as it stood on a day,
 * rebuilt from the kept orders. Orders are sorted by day, so each customer's
 * orders before the day are a prefix; the new table borrows strings, products
 * and codes from its source. */
#include "core/customers.h"

#include <string.h>

static bool order_sum(const cvo_order *orders, size_t n, int64_t *revenue)
{
    *revenue = 0;
    for (size_t k = 0; k < n; k++)
        if (__builtin_add_overflow(*revenue, orders[k].net_cents, revenue))
            return false;
    return true;
}

static size_t kept_prefix(const cvo_order *orders, size_t n, int32_t as_of_day)
{
    size_t k = 0;
    while (k < n && orders[k].day < as_of_day)
        k++;
    return k;
}

/* Appends customer i's kept orders and row; false when it overflows. */
static bool keep_customer(cvo_customers *t, const cvo_customers *c, size_t i, size_t kept)
{
    const cvo_order *orders = c->orders + c->order_start[i];
    cvo_customer row = c->rows[i];
    if (!order_sum(orders, kept, &row.net_revenue_cents))
        return false;
    row.orders = (uint32_t)kept;
    row.first_order_day = orders[0].day;
    row.last_order_day = orders[kept - 1].day;
    row.items = 0;
    size_t at = t->order_start[t->count];
    memcpy(t->orders + at, orders, kept * sizeof *orders);
    t->rows[t->count++] = row;
    t->order_start[t->count] = at + kept;
    return true;
}

static cvo_status fill(cvo_customers *t, const cvo_customers *c, int32_t as_of_day)
{
    for (size_t i = 0; i < c->count; i++) {
        size_t n = c->order_start[i + 1] - c->order_start[i];
        size_t kept = kept_prefix(c->orders + c->order_start[i], n, as_of_day);
        if (kept > 0 && !keep_customer(t, c, i, kept))
            return ctx_fail(t->ctx, CVO_ERR_LIMIT, "a customer's revenue overflows 64-bit cents");
    }
    if (t->count == 0)
        return ctx_fail(t->ctx, CVO_ERR_EMPTY, "no order before the as-of date");
    t->last_day = as_of_day - 1; /* the data ends the day before, orders or not */
    return CVO_OK;
}

cvo_status cvo_customers_as_of(cvo_ctx *ctx, const cvo_customers *customers, int32_t as_of_day,
                               cvo_customers **out)
{
    if (out == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "cvo_customers_as_of: out is NULL");
    *out = NULL;
    if (customers == NULL || customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "cvo_customers_as_of: the table was loaded without keep_orders");
    size_t orders = customers->order_start[customers->count];
    cvo_customers *t = customers_new(ctx, customers->count);
    if (t == NULL)
        return ctx_nomem(ctx);
    t->orders = mem_array(ctx, orders ? orders : 1, sizeof *t->orders);
    t->order_start = mem_zarray(ctx, customers->count + 1, sizeof *t->order_start);
    t->catalog = customers->catalog;
    t->products = customers->products;
    cvo_status status = t->orders && t->order_start ? fill(t, customers, as_of_day)
                                                    : ctx_nomem(ctx);
    if (status != CVO_OK) {
        cvo_customers_free(t);
        return status;
    }
    *out = t;
    return CVO_OK;
}

/* ---- a table without some customers ---------------------------------------------- */

static void keep_whole(cvo_customers *t, const cvo_customers *c, size_t i)
{
    if (c->order_start != NULL) {
        size_t n = c->order_start[i + 1] - c->order_start[i], at = t->order_start[t->count];
        memcpy(t->orders + at, c->orders + c->order_start[i], n * sizeof *t->orders);
        t->order_start[t->count + 1] = at + n;
    }
    t->rows[t->count++] = c->rows[i];
}

cvo_status cvo_customers_without(cvo_ctx *ctx, const cvo_customers *customers, const bool *drop,
                                 cvo_customers **out)
{
    if (out == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "cvo_customers_without: out is NULL");
    *out = NULL;
    if (customers == NULL || drop == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "cvo_customers_without: no table or mask");
    cvo_customers *t = customers_new(ctx, customers->count);
    if (t == NULL)
        return ctx_nomem(ctx);
    bool ok = true;
    if (customers->order_start != NULL) {
        size_t orders = customers->order_start[customers->count];
        t->orders = mem_array(ctx, orders ? orders : 1, sizeof *t->orders);
        t->order_start = mem_zarray(ctx, customers->count + 1, sizeof *t->order_start);
        t->catalog = customers->catalog;
        t->products = customers->products;
        ok = t->orders != NULL && t->order_start != NULL;
    }
    for (size_t i = 0; ok && i < customers->count; i++)
        if (!drop[i])
            keep_whole(t, customers, i);
    t->last_day = customers->last_day;
    if (!ok) {
        cvo_customers_free(t);
        return ctx_nomem(ctx);
    }
    *out = t;
    return CVO_OK;
}
