/* catalog.h - the fixed world of the synthetic store: products in categories,
 * countries, acquisition channels, NPS scores and comment phrases. Constant
 * tables only; every price lies in 5..150 and every unit cost in 30-60% of it. */
#ifndef CVO_CATALOG_H
#define CVO_CATALOG_H

#include <stdint.h>

#define CATALOG_CATEGORIES 8
#define CATALOG_PER_CATEGORY 15
#define CATALOG_PRODUCTS (CATALOG_CATEGORIES * CATALOG_PER_CATEGORY)

/* A discrete distribution for rng_weighted. */
typedef struct catalog_weights {
    const uint16_t *weights;
    unsigned count;
    unsigned total;
} catalog_weights;

typedef struct catalog_product {
    const char *name; /* may hold commas and double quotes */
    uint32_t price_cents;
} catalog_product;

typedef enum catalog_mood {
    CATALOG_DETRACTOR = 0, /* scores 0..6 */
    CATALOG_PASSIVE = 1,   /* 7..8 */
    CATALOG_PROMOTER = 2   /* 9..10 */
} catalog_mood;

/* Products are numbered 0..CATALOG_PRODUCTS-1, category = index / PER_CATEGORY;
 * within a category the best sellers come first. */
const catalog_product *catalog_product_at(unsigned index);
uint32_t catalog_unit_cost_cents(unsigned index);
const char *catalog_category_name(unsigned category);
catalog_weights catalog_category_weights(void);

const char *catalog_country_code(unsigned country);
/* What shipping one order to the country costs the store, before extra units. */
uint32_t catalog_country_shipping_cents(unsigned country);
catalog_weights catalog_country_weights(void);
/* Country index of an ISO code such as "SE", or -1 when not in the catalog. */
int catalog_country_find(const char *code);
/* Carrier days from fulfilment to delivery: min + 0..spread (before delays). */
void catalog_country_transit(unsigned country, unsigned *min_days, unsigned *spread_days);

const char *catalog_channel_name(unsigned channel);
catalog_weights catalog_channel_weights(void);

/* Scores 0..10, mostly 8-10. */
catalog_weights catalog_nps_weights(void);
/* Comment phrases of a survey (pre-delivery or post-delivery) and mood; some
 * are empty, some hold commas or quotes. */
unsigned catalog_comment_count(int post_delivery, catalog_mood mood);
const char *catalog_comment(int post_delivery, catalog_mood mood, unsigned index);

#endif
