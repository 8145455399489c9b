/* products.h - the product cost file (sku,unit_cost[,product,category]): a
 * read-only SKU -> unit cost table that the loader's workers share. */
#ifndef CVO_PRODUCTS_H
#define CVO_PRODUCTS_H

#include "base/arena.h"

typedef struct products products; /* struct products: see products.c */

/* Reads path. Errors: CVO_ERR_IO, CVO_ERR_FORMAT (path:line: reason). */
cvo_status products_load(cvo_ctx *ctx, const char *path, products **out);
/* The unit cost of sku in 1e-4 currency units; false when unknown. */
bool products_cost(const products *p, const char *sku, size_t len, int64_t *cost_e4);
/* The category of sku from the file's category column; false when unknown or empty. */
bool products_category(const products *p, const char *sku, size_t len, const char **category);
void products_free(products *p);

#endif
