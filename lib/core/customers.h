/* customers.h - the customer table: one row per customer, strings in an arena.
 * Built by the orders loader; read by scoring, models and analysis. */
#ifndef CVO_CUSTOMERS_H
#define CVO_CUSTOMERS_H

#include "base/arena.h"
#include "core/prodmap.h"
#include "cvo.h"

struct cvo_customers {
    cvo_ctx *ctx;
    cvo_customer *rows;
    size_t count;
    size_t capacity;
    int32_t last_day; /* max last_order_day, INT32_MIN when empty */
    arena strings;
    /* keep_orders: row i's counted orders are orders[order_start[i] .. order_start[i+1]) */
    cvo_order *orders;
    size_t *order_start;
    /* keep_orders: products, codes and each order's products. A table made
     * by cvo_customers_as_of borrows them from its source (owns_catalog false). */
    prodmap *catalog;
    cvo_product *products; /* by product index, pointing into catalog */
    bool owns_catalog;
};

/* Takes over pm (emptied) as the table's catalogue; false when out of memory. */
bool customers_take_catalog(cvo_customers *table, prodmap *pm);

/* An empty table with room for capacity rows. NULL when out of memory. */
cvo_customers *customers_new(cvo_ctx *ctx, size_t capacity);
/* Appends a row, copying its strings into the table. false when out of memory. */
bool customers_append(cvo_customers *table, const cvo_customer *row);
/* A table holding copies of rows (tests and callers with ready-made data). */
cvo_status customers_from_rows(cvo_ctx *ctx, const cvo_customer *rows, size_t count,
                               cvo_customers **out);

#endif
