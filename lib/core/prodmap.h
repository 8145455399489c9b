/* prodmap.h - the products and discount codes of a load, and the distinct
 * products of every logged order (one flat index list; an order holds its
 * first position and count). A worker fills its own; the merge of two
 * workers re-indexes the second one's orders into the first. */
#ifndef CVO_PRODMAP_H
#define CVO_PRODMAP_H

#include "base/intern.h"
#include "cvo.h"

typedef struct prodmap {
    cvo_ctx *ctx;
    intern keys;           /* "s" + SKU, or "n" + name when the SKU is empty */
    intern text;           /* names and categories */
    uint32_t *name, *category; /* by product: index in text */
    size_t cap;
    intern codes;          /* upper-case discount codes; index 0 is "" */
    uint32_t *order_products; /* product indices of the logged orders */
    size_t count, order_cap;
} prodmap;

bool prodmap_init(prodmap *pm, cvo_ctx *ctx);
void prodmap_free(prodmap *pm);
/* The index of the product keyed by sku (or name when sku is empty); a
 * category fills in an unknown one. INTERN_NONE when out of memory. */
uint32_t prodmap_product(prodmap *pm, const char *sku, size_t sku_len, const char *name,
                         size_t name_len, const char *category, size_t category_len);
/* The index of a discount code (compared upper-case); 0 for "". INTERN_NONE
 * when out of memory. */
uint32_t prodmap_code(prodmap *pm, const char *code, size_t len);
/* Appends an order's distinct products; *first is where they start. */
bool prodmap_log(prodmap *pm, const uint32_t *products, uint32_t count, uint32_t *first);
/* Moves src's products and codes into pm and re-indexes the orders[0..n)
 * that were logged with src. false when out of memory. */
bool prodmap_absorb(prodmap *pm, const prodmap *src, cvo_order *orders, size_t n,
                    size_t stride);

#endif
