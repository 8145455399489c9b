/* generate_impl.h - what the generator's files share: its limits and rates, the
 * generator state, the order plan, and the few functions that cross files.
 * Internal to lib/gen/generate*.c; nothing here is exported. */
#ifndef CVO_GENERATE_IMPL_H
#define CVO_GENERATE_IMPL_H

#include "cvo.h"

#include "gen/catalog.h"
#include "gen/outbuf.h"
#include "gen/rng.h"

#include <stdbool.h>
#include <stdint.h>
#define GEN_MAX_CUSTOMERS 50000000u
/* Order records held at once (8 bytes each); beyond it the options are unreasonable. */
#define GEN_MAX_ORDERS 500000000u
#define GEN_MAX_PARAMETER 1e6
/* Lines per order are 1 + Poisson(GEN_EXTRA_LINES), capped at GEN_MAX_LINES. With
 * the default process this gives about 7 line rows per customer. */
#define GEN_EXTRA_LINES 1.6
#define GEN_MAX_LINES 12
/* The longest line row: product names are short, so this is generous. */
#define GEN_ROW_BYTES 1024

/* Rates of the order-level events, per order. */
#define GEN_GUEST_RATE 0.01
#define GEN_FULL_REFUND_RATE 0.015
#define GEN_PARTIAL_REFUND_RATE 0.03
#define GEN_NPS_POST_RATE 0.25
#define GEN_NPS_PRE_RATE 0.08
/* Share of a customer's lines taken from their favourite category. */
#define GEN_AFFINITY 0.6
/* Extra shipping cost per unit beyond the first, cents. */
#define GEN_SHIPPING_PER_UNIT 75
/* Deliveries: fulfilment 0..2 days after the order, then the country's carrier
 * days; a few shipments are held up 2..9 days more, a planted late country's
 * orders 7..14 days more. */
#define GEN_DELAY_RATE 0.06
#define GEN_LATE_MIN_DAYS 7
#define GEN_LATE_SPREAD_DAYS 7
/* A planted toxic SKU leaves the natural product choice and is added to an order
 * by its own draw instead, with this probability: about the share of orders
 * holding an average product (2.6 lines over 120 products), whichever SKU is
 * named, so that about 400 of 20000 first orders hold it, and buying it depends
 * on nothing else about the customer or the order. */
#define GEN_TOXIC_SHARE 0.025
#define GEN_MAX_TOXIC 8

enum {
    STREAM_PROCESS = 1,
    STREAM_PROFILE = 2,
    STREAM_ORDER = 3,
    STREAM_DUPLICATE = 4,
    STREAM_DELIVERY = 5,  /* per order: fulfilment and carrier days */
    STREAM_PLANT = 6,     /* per order: planted toxic lines */
    STREAM_CHURN = 7,     /* per customer: planted churn */
    STREAM_PLANT_NPS = 8, /* per order: planted detractor answers */
    STREAM_UPLIFT = 9,    /* per customer: the planted uplift's added order */
};

/* What planting made of a customer; all 0 in a store without plants. */
enum {
    PLANT_TOXIC = 1,    /* the first order holds a toxic SKU */
    PLANT_LATE = 2,     /* ships to the late country */
    PLANT_DISCOUNT = 4, /* the first order used a code, with discount churn planted */
    PLANT_UNHAPPY = PLANT_TOXIC | PLANT_LATE,
};

/* The planted effects, checked and resolved to catalog indices. */
typedef struct gen_plants {
    unsigned toxic[GEN_MAX_TOXIC];
    unsigned toxic_count;
    int late_country; /* -1: none */
    bool discount_churn;
    double strength;
    /* the planted uplift (cvo_generate_options.plant_uplift) */
    bool uplift;
    char uplift_id[64]; /* experiment id */
    int32_t uplift_day; /* D */
    uint32_t uplift_window;
    double uplift_share, uplift_conversion, uplift_spend;
    cvo_id_key uplift_key;
    /* the planted covariate (cvo_generate_options.plant_covariate) */
    int covariate;                                /* GEN_COV_*; GEN_COV_NONE: none */
    unsigned covariate_value;                     /* channel or country index */
    double covariate_purchase, covariate_dropout; /* gamma_p, gamma_d */
} gen_plants;

enum { GEN_COV_NONE = 0, GEN_COV_DISCOUNT, GEN_COV_CHANNEL, GEN_COV_COUNTRY };

/* One order before sorting: which customer, and which of their orders. */
typedef struct order_ref {
    uint32_t customer;
    uint32_t ordinal; /* 0 = first order */
} order_ref;

/* "SKU-0001,Name" with the name quoted as CSV needs, and its numbers. */
typedef struct product_text {
    char head[2 * 64 + 16];
    size_t head_len;
    uint32_t price_cents, cost_cents;
} product_text;

typedef struct generator {
    cvo_ctx *ctx;
    const cvo_generate_options *opt;
    uint32_t span;     /* days in [first_day, last_day] */
    uint32_t *day_end; /* per day: index after its last order, once sorted */
    order_ref *orders;
    uint32_t order_count;
    int customer_digits, order_digits;
    uint64_t duplicate_threshold; /* a row hash below it is written twice */
    bool duplicate_all;
    catalog_weights countries, channels, categories, scores;
    gen_plants plants;
    uint8_t *planted;   /* per customer PLANT_* bits; NULL when nothing is planted */
    uint8_t *treated;   /* per customer: in the planted uplift's treatment arm; NULL: none */
    uint8_t *covariate; /* per customer: has the planted covariate; NULL: none planted */
    product_text products[CATALOG_PRODUCTS];
    outbuf orders_out, nps_out;
    double *season; /* planted: the rate factor of each day from first_day; NULL: none */
    double season_max;
} generator;

/* What a customer is: the same first draws of their profile stream, always. */
typedef struct profile {
    unsigned country, channel, category;
} profile;

typedef struct day_info {
    int32_t day;
    int month, day_of_month;
    char text[11];
} day_info;

typedef struct order_line {
    unsigned product;
    uint32_t unit_price_cents; /* the catalog's, times a planted spend uplift */
    uint32_t quantity;
    uint64_t discount_cents, refund_cents;
} order_line;

typedef struct discount_code {
    const char *code;
    unsigned percent;
} discount_code;

typedef struct order_plan {
    order_line lines[GEN_MAX_LINES + GEN_MAX_TOXIC];
    unsigned line_count;
    const discount_code *discount;
    bool guest;
    uint64_t shipping_cents;
    double price_factor; /* 1 + a planted spend uplift on the order, else 1 */
} order_plan;

/* generate_plants.c: the planted effects' options */

/* Checks and resolves the plant_* options into plants; a bad one is CVO_EINVAL with a message. */
cvo_status gen_parse_plants(cvo_ctx *ctx, const cvo_generate_options *options, gen_plants *plants);
/* Whether product is one of the planted toxic SKUs. */
bool gen_plants_have(const gen_plants *plants, unsigned product);
/* Whether any effect is planted. */
bool gen_plants_any(const gen_plants *plants);
/* The chance that planting acts on a customer with these PLANT_* bits. */
double gen_plant_chance(const gen_plants *plants, unsigned planted);

/* generate_process.c: the purchase process */

/* The first draw of a customer's process stream: the day of their first order. */
int32_t gen_draw_first_day(const generator *gen, rng *g);
/* Whether the planted uplift acts on customer's order on day. */
bool gen_uplift_treats(const generator *gen, uint32_t customer, int32_t day);
/* Pass 1: orders per day, into day_end. */
cvo_status gen_count_orders(generator *gen);
/* Pass 2: each order placed at its day's slot; afterwards day_end holds ends. */
void gen_place_orders(generator *gen);

/* generate_orders.c: planted customers, orders and their rows */

/* Per customer marks of the planted covariate, effects and uplift arm; CVO_ENOMEM. */
cvo_status gen_mark_covariate(generator *gen);
cvo_status gen_mark_planted(generator *gen);
cvo_status gen_mark_treated(generator *gen);
/* Writes every order's rows (and surveys) in day order. */
cvo_status gen_emit_orders(generator *gen);

#endif
