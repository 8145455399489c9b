/* generate.c - cvo_generate: a deterministic synthetic store. Customers buy and
 * lapse by the BG/NBD process (or the Pareto/NBD one); orders are counting-sorted by day and each
 * row is rebuilt from a seed of (options seed, customer, order ordinal), so the bytes written
 * depend on the options only, never on time, addresses or streams. */
#include "cvo.h"

#include "base/ctx.h"
#include "base/hash.h"
#include "base/hmac.h"
#include "gen/catalog.h"
#include "gen/outbuf.h"
#include "gen/rng.h"
#include "gen/season_plant.h"
#include "io/datetime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
} gen_plants;

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
    uint8_t *planted; /* per customer PLANT_* bits; NULL when nothing is planted */
    uint8_t *treated; /* per customer: in the planted uplift's treatment arm; NULL: none */
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

static void day_info_set(day_info *info, int32_t day)
{
    int year;
    info->day = day;
    date_to_civil(day, &year, &info->month, &info->day_of_month);
    date_format_iso(day, info->text);
}

/* ---- options ------------------------------------------------------------ */

void cvo_generate_options_init(cvo_generate_options *options)
{
    if (options == NULL)
        return;
    memset(options, 0, sizeof *options);
    options->customers = 1000;
    options->seed = 1;
    options->first_day = date_from_civil(2023, 1, 1);
    options->last_day = date_from_civil(2025, 12, 31);
    options->duplicate_rate = 0.0;
    options->bgnbd_r = 0.75;
    options->bgnbd_alpha = 20.0;
    options->bgnbd_a = 0.8;
    options->bgnbd_b = 2.5;
    options->process = CVO_GEN_BGNBD;
    options->pnbd_r = 0.55;
    options->pnbd_alpha = 10.5;
    options->pnbd_s = 0.6;
    options->pnbd_beta = 11.7;
    options->plant_strength = 0.5;
    options->plant_share = 0.2;
    options->plant_window = 60;
}

static cvo_status check_parameter(cvo_ctx *ctx, const char *name, double value)
{
    if (value > 0.0 && value <= GEN_MAX_PARAMETER) /* false for NaN */
        return CVO_OK;
    return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: %s must be > 0 and <= %g (got %g)", name,
                    GEN_MAX_PARAMETER, value);
}

static cvo_status check_days(cvo_ctx *ctx, const cvo_generate_options *options)
{
    int32_t earliest = date_from_civil(1000, 1, 1);
    int32_t latest = date_from_civil(9999, 12, 31);
    if (options->first_day < earliest || options->last_day > latest)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: first and last day must lie in the years 1000..9999");
    if (options->first_day >= options->last_day)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: first day must be before last day");
    return CVO_OK;
}

static cvo_status check_options(cvo_ctx *ctx, const cvo_generate_options *options)
{
    if (options->customers < 1 || options->customers > GEN_MAX_CUSTOMERS)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: customers must be 1..%u (got %llu)",
                        GEN_MAX_CUSTOMERS, (unsigned long long)options->customers);
    CVO_TRY(check_days(ctx, options));
    double rate = options->duplicate_rate;
    if (!(rate >= 0.0 && rate <= 1.0))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: duplicate rate must be 0..1 (got %g)",
                        rate);
    if (options->process == CVO_GEN_PNBD) {
        CVO_TRY(check_parameter(ctx, "r", options->pnbd_r));
        CVO_TRY(check_parameter(ctx, "alpha", options->pnbd_alpha));
        CVO_TRY(check_parameter(ctx, "s", options->pnbd_s));
        return check_parameter(ctx, "beta", options->pnbd_beta);
    }
    if (options->process != CVO_GEN_BGNBD)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: unknown purchase process %d",
                        options->process);
    CVO_TRY(check_parameter(ctx, "r", options->bgnbd_r));
    CVO_TRY(check_parameter(ctx, "alpha", options->bgnbd_alpha));
    CVO_TRY(check_parameter(ctx, "a", options->bgnbd_a));
    return check_parameter(ctx, "b", options->bgnbd_b);
}

/* ---- planted effects: the options ---------------------------------------- */

/* The product index of "SKU-0007" (len bytes), or -1 when not in the catalog. */
static int sku_index(const char *text, size_t len)
{
    unsigned number = 0;
    if (len < 5 || len > 8 || memcmp(text, "SKU-", 4) != 0)
        return -1;
    for (size_t i = 4; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        number = number * 10 + (unsigned)(text[i] - '0');
    }
    return number >= 1 && number <= CATALOG_PRODUCTS ? (int)number - 1 : -1;
}

static bool plants_have(const gen_plants *plants, unsigned product)
{
    for (unsigned i = 0; i < plants->toxic_count; i++)
        if (plants->toxic[i] == product)
            return true;
    return false;
}

/* "SKU-0007,SKU-0042": each a catalog SKU; repeats count once; "" is none. */
static cvo_status parse_toxic(cvo_ctx *ctx, const char *list, gen_plants *plants)
{
    const char *item = list;
    const char *comma = list;
    if (*list == '\0')
        return CVO_OK;
    while (comma != NULL) {
        comma = strchr(item, ',');
        size_t len = comma != NULL ? (size_t)(comma - item) : strlen(item);
        int product = sku_index(item, len);
        if (product < 0)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                            "generate: toxic SKU '%.*s' is not in the catalog (SKU-0001..SKU-%04u)",
                            (int)(len < 40 ? len : 40), item, (unsigned)CATALOG_PRODUCTS);
        if (!plants_have(plants, (unsigned)product)) {
            if (plants->toxic_count == GEN_MAX_TOXIC)
                return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: at most %d toxic SKUs",
                                GEN_MAX_TOXIC);
            plants->toxic[plants->toxic_count++] = (unsigned)product;
        }
        item += len + (comma != NULL);
    }
    return CVO_OK;
}

/* One "conversion=0.05" or "spend=0.10" of the planted uplift (len bytes). */
static cvo_status parse_uplift_effect(cvo_ctx *ctx, const char *text, size_t len,
                                      gen_plants *plants)
{
    char item[48];
    if (len == 0 || len >= sizeof item)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: uplift effect '%.*s': expected "
                        "conversion=X or spend=X",
                        (int)(len < 40 ? len : 40), text);
    memcpy(item, text, len);
    item[len] = '\0';
    char *eq = strchr(item, '='), *end = NULL;
    double value = eq ? strtod(eq + 1, &end) : NAN;
    bool number = eq && end != eq + 1 && *end == '\0' && isfinite(value);
    if (number && strncmp(item, "conversion=", 11) == 0 && value >= 0 && value < 1)
        plants->uplift_conversion = value;
    else if (number && strncmp(item, "spend=", 6) == 0 && value > -1 && value <= 10)
        plants->uplift_spend = value;
    else
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: uplift effect '%s': expected conversion=X (0 <= X < 1) or "
                        "spend=X (-1 < X <= 10)",
                        item);
    return CVO_OK;
}

/* "LIST@YYYY-MM-DD[:conversion=X][,spend=X]" and its share, key and window. */
static cvo_status parse_uplift(cvo_ctx *ctx, const cvo_generate_options *o, gen_plants *plants)
{
    const char *text = o->plant_uplift, *colon = strchr(text, ':');
    size_t id_len = colon ? (size_t)(colon - text) : strlen(text);
    const char *at = memchr(text, '@', id_len);
    int32_t day = 0;
    if (at == NULL || id_len >= sizeof plants->uplift_id || text + id_len - (at + 1) != 10 ||
        date_parse_auto(at + 1, 10, &day) != DATE_OK)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: plant uplift '%.60s': expected LIST@YYYY-MM-DD[:conversion="
                        "X][,spend=X]",
                        text);
    if (!(o->plant_share > 0 && o->plant_share < 1))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: plant share must be > 0 and < 1");
    if (o->plant_id_key == NULL || o->plant_id_key[0] == '\0')
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: a planted uplift needs the id key ([privacy] id_key) its "
                        "arms are drawn with");
    if (o->plant_window < 1 || o->plant_window > 3650)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: plant window must be 1..3650 days");
    memcpy(plants->uplift_id, text, id_len);
    plants->uplift_id[id_len] = '\0';
    plants->uplift = true;
    plants->uplift_day = day;
    plants->uplift_window = o->plant_window;
    plants->uplift_share = o->plant_share;
    sha256(o->plant_id_key, strlen(o->plant_id_key), plants->uplift_key.bytes);
    for (const char *item = colon ? colon + 1 : NULL; item != NULL;) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        CVO_TRY(parse_uplift_effect(ctx, item, len, plants));
        item = comma ? comma + 1 : NULL;
    }
    return CVO_OK;
}

static cvo_status parse_plants(cvo_ctx *ctx, const cvo_generate_options *options,
                               gen_plants *plants)
{
    memset(plants, 0, sizeof *plants);
    plants->late_country = -1;
    plants->discount_churn = options->plant_discount_churn;
    plants->strength = options->plant_strength;
    if (!(plants->strength >= 0.0 && plants->strength <= 1.0))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: plant strength must be 0..1 (got %g)",
                        plants->strength);
    if (options->toxic_skus != NULL)
        CVO_TRY(parse_toxic(ctx, options->toxic_skus, plants));
    if (options->plant_uplift != NULL && options->plant_uplift[0] != '\0')
        CVO_TRY(parse_uplift(ctx, options, plants));
    if (options->late_country == NULL || options->late_country[0] == '\0')
        return CVO_OK;
    plants->late_country = catalog_country_find(options->late_country);
    if (plants->late_country < 0)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: late country '%.8s' is not one the store ships to "
                        "(US GB DE FR NL CA AU ES IT SE)",
                        options->late_country);
    return CVO_OK;
}

static bool plants_any(const gen_plants *plants)
{
    return plants->toxic_count > 0 || plants->late_country >= 0 || plants->discount_churn;
}

/* The chance that planting acts on a customer with these PLANT_* bits: one
 * strength per effect, combined as independent causes. */
static double plant_chance(const gen_plants *plants, unsigned planted)
{
    double spared = 1.0;
    for (unsigned bit = PLANT_TOXIC; bit <= PLANT_DISCOUNT; bit <<= 1)
        if (planted & bit)
            spared *= 1.0 - plants->strength;
    return 1.0 - spared;
}

/* ---- the catalogue --------------------------------------------------------- */

static void write_sku(outbuf *out, unsigned product)
{
    outbuf_str(out, "SKU-");
    outbuf_uint(out, product + 1, 4);
}

static void product_text_init(product_text *text, unsigned product)
{
    outbuf head = {NULL, "product", text->head, 0, sizeof text->head};
    write_sku(&head, product);
    outbuf_char(&head, ',');
    outbuf_csv(&head, catalog_product_at(product)->name);
    text->head_len = head.len;
    text->price_cents = catalog_product_at(product)->price_cents;
    text->cost_cents = catalog_unit_cost_cents(product);
}

static cvo_status write_products(cvo_ctx *ctx, FILE *file)
{
    outbuf out;
    CVO_TRY(outbuf_open(&out, ctx, file, "products"));
    outbuf_str(&out, "sku,product,unit_cost,category\n");
    for (unsigned product = 0; product < CATALOG_PRODUCTS; product++) {
        write_sku(&out, product);
        outbuf_char(&out, ',');
        outbuf_csv(&out, catalog_product_at(product)->name);
        outbuf_char(&out, ',');
        outbuf_cents(&out, catalog_unit_cost_cents(product));
        outbuf_char(&out, ',');
        outbuf_csv(&out, catalog_category_name(product / CATALOG_PER_CATEGORY));
        outbuf_char(&out, '\n');
    }
    cvo_status status = outbuf_finish(&out, ctx);
    outbuf_close(&out, ctx);
    return status;
}

/* ---- the purchase process ------------------------------------------------- */

/* One customer's BG/NBD history, drawn lazily from their own stream. */
typedef struct customer_walk {
    rng g;
    int32_t first_day;
    double horizon_days; /* from first_day to the end of last_day */
    double rate_per_day, dropout, elapsed_days;
    double lifetime_days;  /* Pareto/NBD: alive until then (from first_day); BG/NBD: INFINITY */
    uint32_t orders;       /* placed so far */
    bool stop_after_first; /* planted: never comes back */
    bool done;
    bool dropped;      /* done by drop-out (not by the end of the data) */
    int32_t added_day; /* a planted uplift's added order, INT32_MIN: none */
    const double *season; /* planted: rate factors from this customer's first_day; NULL: none */
    double season_max;
} customer_walk;

/* The first draw of a customer's process stream. */
static int32_t draw_first_day(const generator *gen, rng *g)
{
    return gen->opt->first_day + (int32_t)rng_below(g, gen->span);
}

/* Planted churn, from its own stream so that the process draws stay the same. */
static void plant_churn(const generator *gen, uint32_t customer, customer_walk *walk)
{
    unsigned planted = gen->planted != NULL ? gen->planted[customer] : 0;
    walk->stop_after_first = false;
    if (planted == 0)
        return;
    double chance = plant_chance(&gen->plants, planted);
    rng g;
    rng_seed(&g, gen->opt->seed, STREAM_CHURN, customer, 0);
    walk->stop_after_first = rng_uniform(&g) < chance;
    walk->dropout = 1.0 - (1.0 - walk->dropout) * (1.0 - chance);
    walk->lifetime_days *= 1.0 - chance; /* Pareto/NBD: the dropout rate / (1 - chance) */
}

static bool walk_natural(customer_walk *walk, int32_t *day);

/* Whether the planted uplift acts on customer's order on day: treated and in the window. */
static bool uplift_treats(const generator *gen, uint32_t customer, int32_t day)
{
    const gen_plants *p = &gen->plants;
    return gen->treated != NULL && gen->treated[customer] && day >= p->uplift_day &&
           (int64_t)day < (int64_t)p->uplift_day + p->uplift_window;
}

/* The last day of the window the data still holds, plus one. */
static int32_t uplift_window_end(const generator *gen)
{
    int64_t end = (int64_t)gen->plants.uplift_day + gen->plants.uplift_window;
    return end > gen->opt->last_day + 1 ? gen->opt->last_day + 1 : (int32_t)end;
}

/* The planted conversion uplift: a treated customer who bought before D and has
 * no order in [D, end) gets one with probability delta / (1 - p), p = their own
 * chance of an order there given the process at D (0 once dropped out; else
 * 1 - exp(-lambda (end - D)), the next purchase being memoryless), so that
 * P(an order) = p + delta exactly (capped at 1). The walk is run ahead on a copy. */
static void plant_conversion(const generator *gen, uint32_t customer, customer_walk *walk)
{
    const gen_plants *p = &gen->plants;
    if (gen->treated == NULL || !gen->treated[customer] || p->uplift_conversion <= 0 ||
        walk->first_day >= p->uplift_day)
        return;
    int32_t end = uplift_window_end(gen), day;
    if (end <= p->uplift_day)
        return;
    customer_walk ahead = *walk;
    int32_t last = INT32_MIN;
    while (walk_natural(&ahead, &day)) {
        if (day >= p->uplift_day && day < end)
            return; /* converts anyway */
        last = day;
    }
    /* BG/NBD: drop-out follows an order at once, dead at D iff it followed one
     * before D; Pareto/NBD: dead once the lifetime has passed (or planted churn
     * ended it after the first order, which is before D) */
    bool alive = isinf(walk->lifetime_days)
                     ? !(ahead.dropped && last < p->uplift_day)
                     : !walk->stop_after_first &&
                           walk->lifetime_days > (double)(p->uplift_day - walk->first_day);
    double chance = alive ? 1.0 - exp(-walk->rate_per_day * (end - p->uplift_day)) : 0.0;
    double add = chance < 1.0 ? p->uplift_conversion / (1.0 - chance) : 1.0;
    rng g;
    rng_seed(&g, gen->opt->seed, STREAM_UPLIFT, customer, 0);
    if (rng_uniform(&g) < add)
        walk->added_day = p->uplift_day + (int32_t)rng_below(&g, (uint64_t)(end - p->uplift_day));
}

static void walk_begin(const generator *gen, uint32_t customer, customer_walk *walk)
{
    const cvo_generate_options *options = gen->opt;
    rng_seed(&walk->g, options->seed, STREAM_PROCESS, customer, 0);
    walk->first_day = draw_first_day(gen, &walk->g);
    walk->horizon_days = (double)(options->last_day - walk->first_day + 1);
    if (options->process == CVO_GEN_PNBD) {
        /* lambda ~ Gamma(r, rate alpha), mu ~ Gamma(s, rate beta) per week;
         * lifetime ~ Exponential(mu) weeks. */
        double lambda = rng_gamma(&walk->g, options->pnbd_r) / options->pnbd_alpha;
        double mu = rng_gamma(&walk->g, options->pnbd_s) / options->pnbd_beta;
        double life = rng_exponential(&walk->g);
        walk->rate_per_day = lambda / 7.0;
        walk->dropout = 0.0;
        walk->lifetime_days = mu > 0.0 ? 7.0 * life / mu : INFINITY;
    } else {
        /* lambda ~ Gamma(r, rate alpha) per week; p ~ Beta(a, b). */
        double lambda = rng_gamma(&walk->g, options->bgnbd_r) / options->bgnbd_alpha;
        walk->rate_per_day = lambda / 7.0;
        walk->dropout = rng_beta(&walk->g, options->bgnbd_a, options->bgnbd_b);
        walk->lifetime_days = INFINITY;
    }
    walk->elapsed_days = 0.0;
    walk->orders = 0;
    walk->done = false;
    walk->dropped = false;
    walk->added_day = INT32_MIN;
    walk->season = gen->season ? gen->season + (walk->first_day - options->first_day) : NULL;
    walk->season_max = gen->season_max;
    plant_churn(gen, customer, walk);
    plant_conversion(gen, customer, walk);
}

/* The day of the next order, or false once the customer has dropped out or the
 * window has ended. As in FHL (2005), drop-out may follow each repeat purchase,
 * never the first one; purchases while alive are a Poisson process. In the
 * Pareto/NBD process dropout is 0 and the customer is gone once the next
 * purchase would fall after their lifetime. */
/* When the next purchase comes: exponential at the customer's rate, or with a
 * planted season thinned from rate x max(s), each draw kept with s(day) / max(s). */
static double next_purchase_days(customer_walk *walk)
{
    double t = walk->elapsed_days;
    if (walk->season == NULL)
        return t + rng_exponential(&walk->g) / walk->rate_per_day;
    for (;;) {
        t += rng_exponential(&walk->g) / (walk->rate_per_day * walk->season_max);
        if (t >= walk->horizon_days ||
            rng_uniform(&walk->g) * walk->season_max < walk->season[(int32_t)t])
            return t;
    }
}

static bool walk_natural(customer_walk *walk, int32_t *day)
{
    if (walk->done)
        return false;
    if (walk->orders >= 2 && rng_uniform(&walk->g) < walk->dropout) {
        walk->done = walk->dropped = true;
    } else if (walk->orders == 1 && walk->stop_after_first) {
        walk->done = walk->dropped = true;
    } else if (walk->orders >= 1) {
        if (walk->rate_per_day > 0.0)
            walk->elapsed_days = next_purchase_days(walk);
        walk->done = !(walk->rate_per_day > 0.0) || walk->elapsed_days >= walk->horizon_days;
        if (!walk->done && walk->elapsed_days >= walk->lifetime_days)
            walk->done = walk->dropped = true;
    }
    if (walk->done)
        return false;
    *day = walk->first_day + (int32_t)walk->elapsed_days;
    walk->orders++;
    return true;
}

/* The natural orders, then the planted uplift's added one (last, whatever its day:
 * the orders are sorted by day afterwards). */
static bool walk_next(customer_walk *walk, int32_t *day)
{
    if (walk_natural(walk, day))
        return true;
    if (walk->added_day == INT32_MIN)
        return false;
    *day = walk->added_day;
    walk->added_day = INT32_MIN;
    walk->orders++;
    return true;
}

/* Pass 1: orders per day, into day_end. */
static cvo_status count_orders(generator *gen)
{
    uint64_t total = 0;
    for (uint32_t customer = 0; customer < gen->opt->customers; customer++) {
        customer_walk walk;
        int32_t day;
        walk_begin(gen, customer, &walk);
        while (walk_next(&walk, &day)) {
            gen->day_end[day - gen->opt->first_day]++;
            if (++total > GEN_MAX_ORDERS)
                return ctx_fail(gen->ctx, CVO_ERR_ARGUMENT,
                                "generate: the options give more than %u orders; lower the "
                                "customers or the purchase rate r/alpha",
                                GEN_MAX_ORDERS);
        }
    }
    gen->order_count = (uint32_t)total;
    return CVO_OK;
}

/* Pass 2: the same walks again, each order placed at its day's next slot (a
 * counting sort, stable in customer order). Afterwards day_end holds ends. */
static void place_orders(generator *gen)
{
    uint32_t start = 0;
    for (uint32_t d = 0; d < gen->span; d++) {
        uint32_t count = gen->day_end[d];
        gen->day_end[d] = start;
        start += count;
    }
    for (uint32_t customer = 0; customer < gen->opt->customers; customer++) {
        customer_walk walk;
        int32_t day;
        walk_begin(gen, customer, &walk);
        while (walk_next(&walk, &day)) {
            uint32_t slot = gen->day_end[day - gen->opt->first_day]++;
            gen->orders[slot] = (order_ref){customer, walk.orders - 1};
        }
    }
}

/* ---- one order -------------------------------------------------------------- */

/* Drawn again for every order from the customer's own stream: hashing is
 * cheaper than a cache-missing lookup in a per-customer table. */
static profile profile_of(const generator *gen, uint32_t customer)
{
    rng g;
    profile result;
    rng_seed(&g, gen->opt->seed, STREAM_PROFILE, customer, 0);
    result.country =
        rng_weighted(&g, gen->countries.weights, gen->countries.count, gen->countries.total);
    result.channel =
        rng_weighted(&g, gen->channels.weights, gen->channels.count, gen->channels.total);
    result.category =
        rng_weighted(&g, gen->categories.weights, gen->categories.count, gen->categories.total);
    return result;
}

static const discount_code no_code = {"", 0};
static const discount_code welcome_code = {"WELCOME10", 10};
static const discount_code black_friday_code = {"BLACKFRIDAY25", 25};
static const discount_code spring_code = {"SPRING15", 15};
static const discount_code vip_code = {"VIP20", 20};

/* Welcome codes on first orders, seasonal codes, and VIP codes for loyal customers. */
static const discount_code *pick_code(rng *g, const order_ref *ref, const day_info *day)
{
    double u = rng_uniform(g);
    bool black_friday = (day->month == 11 && day->day_of_month >= 24) ||
                        (day->month == 12 && day->day_of_month <= 2);
    if (ref->ordinal == 0 && u < 0.20)
        return &welcome_code;
    if (black_friday && u < 0.25)
        return &black_friday_code;
    if (day->month >= 3 && day->month <= 5 && u < 0.06)
        return &spring_code;
    if (ref->ordinal >= 4 && u < 0.12)
        return &vip_code;
    return &no_code;
}

static bool plan_has(const order_plan *plan, unsigned product)
{
    for (unsigned i = 0; i < plan->line_count; i++)
        if (plan->lines[i].product == product)
            return true;
    return false;
}

/* A product not yet in the order: mostly from the customer's favourite
 * category, best sellers (low index) more often; never a planted toxic one. */
static unsigned pick_product(const generator *gen, rng *g, const profile *who,
                             const order_plan *plan)
{
    for (int attempt = 0; attempt < 32; attempt++) {
        unsigned category = rng_uniform(g) < GEN_AFFINITY
                                ? who->category
                                : rng_weighted(g, gen->categories.weights, gen->categories.count,
                                               gen->categories.total);
        double u = rng_uniform(g);
        unsigned rank = (unsigned)(CATALOG_PER_CATEGORY * u * u);
        unsigned product = category * CATALOG_PER_CATEGORY + rank;
        if (!plan_has(plan, product) && !plants_have(&gen->plants, product))
            return product;
    }
    unsigned product = 0;
    while (plan_has(plan, product) || plants_have(&gen->plants, product))
        product++;
    return product;
}

static uint32_t pick_quantity(rng *g)
{
    double u = rng_uniform(g);
    return u < 0.82 ? 1 : u < 0.95 ? 2 : 3;
}

static uint64_t line_gross(const generator *gen, const order_line *line)
{
    (void)gen;
    return (uint64_t)line->unit_price_cents * line->quantity;
}

/* Full refunds give back every line; partial ones one line's net (half of
 * it when the order has a single line, so that it stays partial). */
static void pick_refunds(const generator *gen, rng *g, order_plan *plan)
{
    double u = rng_uniform(g);
    unsigned chosen = (unsigned)rng_below(g, plan->line_count);
    for (unsigned i = 0; i < plan->line_count; i++) {
        order_line *line = &plan->lines[i];
        uint64_t net = line_gross(gen, line) - line->discount_cents;
        if (u < GEN_FULL_REFUND_RATE)
            line->refund_cents = net;
        else if (u < GEN_FULL_REFUND_RATE + GEN_PARTIAL_REFUND_RATE && i == chosen)
            line->refund_cents = plan->line_count > 1 ? net : net / 2;
    }
}

static void plan_line(const generator *gen, rng *g, order_line *line, unsigned product,
                      const discount_code *discount, double price_factor)
{
    line->product = product;
    line->unit_price_cents = (uint32_t)llround(gen->products[product].price_cents * price_factor);
    line->quantity = pick_quantity(g);
    line->discount_cents = (line_gross(gen, line) * discount->percent + 50) / 100;
    line->refund_cents = 0;
}

/* Each planted toxic SKU joins the order by its own draw; the units added. */
static uint64_t add_toxic_lines(const generator *gen, const order_ref *ref, order_plan *plan)
{
    uint64_t units = 0;
    rng g;
    if (gen->plants.toxic_count == 0)
        return 0;
    rng_seed(&g, gen->opt->seed, STREAM_PLANT, ref->customer, ref->ordinal);
    for (unsigned i = 0; i < gen->plants.toxic_count; i++) {
        if (rng_uniform(&g) >= GEN_TOXIC_SHARE)
            continue;
        order_line *line = &plan->lines[plan->line_count++];
        plan_line(gen, &g, line, gen->plants.toxic[i], plan->discount, plan->price_factor);
        units += line->quantity;
    }
    return units;
}

static void plan_order(const generator *gen, rng *g, const profile *who, const order_ref *ref,
                       const day_info *day, order_plan *plan)
{
    plan->guest = rng_uniform(g) < GEN_GUEST_RATE;
    plan->discount = pick_code(g, ref, day);
    plan->price_factor =
        uplift_treats(gen, ref->customer, day->day) ? 1.0 + gen->plants.uplift_spend : 1.0;
    uint32_t extra = rng_poisson(g, GEN_EXTRA_LINES);
    unsigned count = 1 + (extra < GEN_MAX_LINES - 1 ? extra : GEN_MAX_LINES - 1);
    uint64_t units = 0;
    plan->line_count = 0;
    while (plan->line_count < count) {
        order_line *line = &plan->lines[plan->line_count];
        plan_line(gen, g, line, pick_product(gen, g, who, plan), plan->discount,
                  plan->price_factor);
        units += line->quantity;
        plan->line_count++;
    }
    units += add_toxic_lines(gen, ref, plan);
    pick_refunds(gen, g, plan);
    plan->shipping_cents =
        catalog_country_shipping_cents(who->country) + GEN_SHIPPING_PER_UNIT * (units - 1);
}

/* When the order left the warehouse and reached the customer. From its own
 * stream, every draw always made: the other columns never depend on it. */
typedef struct delivery {
    int32_t fulfilled_day, delivered_day;
} delivery;

static delivery delivery_of(const generator *gen, const order_ref *ref, const profile *who,
                            int32_t order_day)
{
    static const uint16_t fulfil_weights[3] = {55, 35, 10}; /* 0, 1, 2 days */
    unsigned min_days, spread_days;
    rng g;
    rng_seed(&g, gen->opt->seed, STREAM_DELIVERY, ref->customer, ref->ordinal);
    catalog_country_transit(who->country, &min_days, &spread_days);
    delivery result;
    result.fulfilled_day = order_day + (int32_t)rng_weighted(&g, fulfil_weights, 3, 100);
    int32_t transit = (int32_t)(min_days + rng_below(&g, spread_days + 1));
    bool held = rng_uniform(&g) < GEN_DELAY_RATE;
    int32_t held_days = 2 + (int32_t)rng_below(&g, 8);
    int32_t late_days = GEN_LATE_MIN_DAYS + (int32_t)rng_below(&g, GEN_LATE_SPREAD_DAYS + 1);
    transit += held ? held_days : 0;
    transit += (int)who->country == gen->plants.late_country ? late_days : 0;
    result.delivered_day = result.fulfilled_day + transit;
    return result;
}

/* ---- planted customers -------------------------------------------------------- */

/* The PLANT_* bits of a customer: their country, and their first order planned
 * exactly as emit_order will plan it, before any purchase process is drawn. */
static uint8_t plants_of(const generator *gen, uint32_t customer)
{
    rng g;
    day_info first;
    order_plan plan;
    order_ref ref = {customer, 0};
    profile who = profile_of(gen, customer);
    rng_seed(&g, gen->opt->seed, STREAM_PROCESS, customer, 0);
    day_info_set(&first, draw_first_day(gen, &g));
    rng_seed(&g, gen->opt->seed, STREAM_ORDER, customer, 0);
    plan_order(gen, &g, &who, &ref, &first, &plan);
    uint8_t planted = (int)who.country == gen->plants.late_country ? PLANT_LATE : 0;
    if (gen->plants.discount_churn && plan.discount->percent > 0)
        planted |= PLANT_DISCOUNT;
    for (unsigned i = 0; i < plan.line_count; i++)
        if (plants_have(&gen->plants, plan.lines[i].product))
            planted |= PLANT_TOXIC;
    return planted;
}

static cvo_status mark_planted(generator *gen)
{
    if (!plants_any(&gen->plants))
        return CVO_OK;
    gen->planted = mem_array(gen->ctx, gen->opt->customers, sizeof *gen->planted);
    if (gen->planted == NULL)
        return ctx_nomem(gen->ctx);
    for (uint32_t customer = 0; customer < gen->opt->customers; customer++)
        gen->planted[customer] = plants_of(gen, customer);
    return CVO_OK;
}

/* The planted uplift's treatment arm: keyed_uniform >= share, with the customer's
 * id and e-mail as the orders spell them. */
static cvo_status mark_treated(generator *gen)
{
    if (!gen->plants.uplift)
        return CVO_OK;
    gen->treated = mem_array(gen->ctx, gen->opt->customers, sizeof *gen->treated);
    if (gen->treated == NULL)
        return ctx_nomem(gen->ctx);
    keyed_hasher h;
    keyed_hasher_init(&h, &gen->plants.uplift_key);
    for (uint32_t customer = 0; customer < gen->opt->customers; customer++) {
        char id[32], email[48];
        snprintf(id, sizeof id, "C%0*llu", gen->customer_digits, (unsigned long long)customer + 1);
        snprintf(email, sizeof email, "c%0*llu@example.com", gen->customer_digits,
                 (unsigned long long)customer + 1);
        double u = keyed_hasher_uniform(&h, gen->plants.uplift_id, id, email);
        gen->treated[customer] = u >= gen->plants.uplift_share;
    }
    return CVO_OK;
}

/* A detractor score 0..6 in place of the drawn one when planting makes this
 * customer's post-delivery answer unhappy; -1 keeps the drawn score. */
static int planted_score(const generator *gen, const order_ref *ref)
{
    unsigned planted = gen->planted != NULL ? gen->planted[ref->customer] & PLANT_UNHAPPY : 0;
    if (planted == 0)
        return -1;
    rng g;
    rng_seed(&g, gen->opt->seed, STREAM_PLANT_NPS, ref->customer, ref->ordinal);
    double u = rng_uniform(&g);
    int score = (int)rng_below(&g, 7);
    return u < plant_chance(&gen->plants, planted) ? score : -1;
}

/* ---- rows ------------------------------------------------------------------- */

static void write_email(const generator *gen, outbuf *out, uint32_t customer)
{
    outbuf_char(out, 'c');
    outbuf_uint(out, (uint64_t)customer + 1, gen->customer_digits);
    outbuf_str(out, "@example.com");
}

/* "order_id,customer_id,email,order_date," shared by the order's rows. */
static void write_order_head(const generator *gen, outbuf *head, uint32_t index, uint32_t customer,
                             const day_info *day, bool guest)
{
    outbuf_char(head, 'O');
    outbuf_uint(head, (uint64_t)index + 1, gen->order_digits);
    outbuf_char(head, ',');
    if (!guest) {
        outbuf_char(head, 'C');
        outbuf_uint(head, (uint64_t)customer + 1, gen->customer_digits);
    }
    outbuf_char(head, ',');
    write_email(gen, head, customer);
    outbuf_char(head, ',');
    outbuf_bytes(head, day->text, 10);
    outbuf_char(head, ',');
}

/* ",country,discount_code,channel," */
static void write_order_tail(outbuf *tail, const profile *who, const order_plan *plan)
{
    outbuf_char(tail, ',');
    outbuf_str(tail, catalog_country_code(who->country));
    outbuf_char(tail, ',');
    outbuf_str(tail, plan->discount->code);
    outbuf_char(tail, ',');
    outbuf_str(tail, catalog_channel_name(who->channel));
    outbuf_char(tail, ',');
}

/* An ISO day, or nothing when it lies after the store's last day (not yet). */
static void write_event_day(const generator *gen, outbuf *out, int32_t day)
{
    char text[11];
    if (day > gen->opt->last_day)
        return;
    date_format_iso(day, text);
    outbuf_bytes(out, text, 10);
}

/* "fulfilled_at,delivered_at\n" of the first line row. */
static void write_delivery(const generator *gen, outbuf *out, const delivery *sent)
{
    write_event_day(gen, out, sent->fulfilled_day);
    outbuf_char(out, ',');
    write_event_day(gen, out, sent->delivered_day);
    outbuf_char(out, '\n');
}

/* "sku,product,quantity,unit_price,discount,unit_cost,shipping_cost,refund" */
static void write_line_middle(const generator *gen, outbuf *out, const order_plan *plan,
                              unsigned line_index)
{
    const order_line *line = &plan->lines[line_index];
    const product_text *text = &gen->products[line->product];
    outbuf_bytes(out, text->head, text->head_len);
    outbuf_char(out, ',');
    outbuf_uint(out, line->quantity, 1);
    outbuf_char(out, ',');
    outbuf_cents(out, line->unit_price_cents);
    outbuf_char(out, ',');
    outbuf_cents(out, line->discount_cents);
    outbuf_char(out, ',');
    outbuf_cents(out, text->cost_cents);
    outbuf_char(out, ',');
    if (line_index == 0)
        outbuf_cents(out, plan->shipping_cents);
    outbuf_char(out, ',');
    outbuf_cents(out, line->refund_cents);
}

/* Whether line row (order index, line) is written twice: a hash of the
 * position, so the decision does not disturb any other draw. */
static bool duplicate_row(const generator *gen, uint32_t index, unsigned line_index)
{
    if (gen->duplicate_all)
        return true;
    uint64_t key = hash_mix64(gen->opt->seed ^ (STREAM_DUPLICATE * 0x9e3779b97f4a7c15ull));
    key = hash_mix64(key + ((uint64_t)index << 5) + line_index + 1);
    return key < gen->duplicate_threshold;
}

static cvo_status write_order(generator *gen, uint32_t index, uint32_t customer,
                              const day_info *day, const profile *who, const order_plan *plan,
                              const delivery *sent)
{
    char head_bytes[128], tail_bytes[64];
    outbuf head = {NULL, "head", head_bytes, 0, sizeof head_bytes};
    outbuf tail = {NULL, "tail", tail_bytes, 0, sizeof tail_bytes};
    outbuf *out = &gen->orders_out;
    write_order_head(gen, &head, index, customer, day, plan->guest);
    write_order_tail(&tail, who, plan);
    for (unsigned i = 0; i < plan->line_count; i++) {
        CVO_TRY(outbuf_reserve(out, gen->ctx, 2 * GEN_ROW_BYTES));
        size_t row_start = out->len;
        outbuf_bytes(out, head.data, head.len);
        write_line_middle(gen, out, plan, i);
        outbuf_bytes(out, tail.data, tail.len);
        if (i == 0)
            write_delivery(gen, out, sent);
        else
            outbuf_str(out, ",\n");
        if (duplicate_row(gen, index, i))
            outbuf_bytes(out, out->data + row_start, out->len - row_start);
    }
    return CVO_OK;
}

static catalog_mood mood_of(unsigned score)
{
    return score <= 6 ? CATALOG_DETRACTOR : score <= 8 ? CATALOG_PASSIVE : CATALOG_PROMOTER;
}

/* One survey answer; forced_score >= 0 replaces the drawn score. Every draw is
 * made even when the answer is not written, so the stream of the order never
 * depends on which outputs are requested. */
static cvo_status write_answer(generator *gen, rng *g, uint32_t index, uint32_t customer,
                               int32_t day, bool post_delivery, int forced_score)
{
    unsigned score = rng_weighted(g, gen->scores.weights, gen->scores.count, gen->scores.total);
    if (forced_score >= 0)
        score = (unsigned)forced_score;
    catalog_mood mood = mood_of(score);
    unsigned phrase = (unsigned)rng_below(g, catalog_comment_count(post_delivery, mood));
    unsigned minute = 7 * 60 + (unsigned)rng_below(g, 17 * 60); /* 07:00 to 23:59 */
    outbuf *out = &gen->nps_out;
    if (out->file == NULL || day > gen->opt->last_day)
        return CVO_OK;
    day_info when;
    day_info_set(&when, day);
    CVO_TRY(outbuf_reserve(out, gen->ctx, GEN_ROW_BYTES));
    write_email(gen, out, customer);
    outbuf_char(out, ',');
    outbuf_uint(out, score, 1);
    outbuf_char(out, ',');
    outbuf_bytes(out, when.text, 10);
    outbuf_char(out, 'T');
    outbuf_uint(out, minute / 60, 2);
    outbuf_char(out, ':');
    outbuf_uint(out, minute % 60, 2);
    outbuf_str(out, ":00Z,");
    outbuf_str(out, post_delivery ? "post_delivery," : "pre_delivery,");
    outbuf_csv(out, catalog_comment(post_delivery, mood, phrase));
    outbuf_str(out, ",O"); /* the order the answer is about */
    outbuf_uint(out, (uint64_t)index + 1, gen->order_digits);
    outbuf_char(out, '\n');
    return CVO_OK;
}

/* A post-delivery answer 0..8 days after delivery, a pre-delivery one on the
 * order day (always before delivery, which takes at least a day). */
static cvo_status write_surveys(generator *gen, rng *g, uint32_t index, const day_info *day,
                                const delivery *sent)
{
    const order_ref *ref = &gen->orders[index];
    double post = rng_uniform(g);
    int32_t answered_day = sent->delivered_day + (int32_t)rng_below(g, 9);
    double pre = rng_uniform(g);
    if (post < GEN_NPS_POST_RATE)
        CVO_TRY(write_answer(gen, g, index, ref->customer, answered_day, true,
                             planted_score(gen, ref)));
    if (pre < GEN_NPS_PRE_RATE)
        CVO_TRY(write_answer(gen, g, index, ref->customer, day->day, false, -1));
    return CVO_OK;
}

static cvo_status emit_order(generator *gen, uint32_t index, const day_info *day)
{
    const order_ref *ref = &gen->orders[index];
    profile who = profile_of(gen, ref->customer);
    order_plan plan;
    rng g;
    rng_seed(&g, gen->opt->seed, STREAM_ORDER, ref->customer, ref->ordinal);
    plan_order(gen, &g, &who, ref, day, &plan);
    delivery sent = delivery_of(gen, ref, &who, day->day);
    if (gen->orders_out.file != NULL)
        CVO_TRY(write_order(gen, index, ref->customer, day, &who, &plan, &sent));
    return write_surveys(gen, &g, index, day, &sent);
}

static cvo_status emit_orders(generator *gen)
{
    uint32_t begin = 0;
    for (uint32_t d = 0; d < gen->span; d++) {
        uint32_t end = gen->day_end[d];
        day_info day;
        if (begin < end)
            day_info_set(&day, gen->opt->first_day + (int32_t)d);
        for (uint32_t index = begin; index < end; index++)
            CVO_TRY(emit_order(gen, index, &day));
        begin = end;
    }
    return CVO_OK;
}

/* ---- the whole run -------------------------------------------------------------- */

static int digits_of(uint64_t value, int at_least)
{
    int digits = 1;
    while (value >= 10) {
        value /= 10;
        digits++;
    }
    return digits > at_least ? digits : at_least;
}

static void generator_init(generator *gen, cvo_ctx *ctx, const cvo_generate_options *options,
                           const gen_plants *plants)
{
    memset(gen, 0, sizeof *gen);
    gen->ctx = ctx;
    gen->opt = options;
    gen->plants = *plants;
    gen->span = (uint32_t)(options->last_day - options->first_day + 1);
    gen->customer_digits = digits_of(options->customers, 7);
    gen->duplicate_all = options->duplicate_rate >= 1.0;
    gen->duplicate_threshold =
        gen->duplicate_all ? UINT64_MAX : (uint64_t)(options->duplicate_rate * 0x1.0p64);
    gen->countries = catalog_country_weights();
    gen->channels = catalog_channel_weights();
    gen->categories = catalog_category_weights();
    gen->scores = catalog_nps_weights();
    for (unsigned product = 0; product < CATALOG_PRODUCTS; product++)
        product_text_init(&gen->products[product], product);
}

static void write_headers(generator *gen)
{
    if (gen->orders_out.file != NULL)
        outbuf_str(&gen->orders_out,
                   "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,"
                   "discount,unit_cost,shipping_cost,refund,country,discount_code,channel,"
                   "fulfilled_at,delivered_at\n");
    if (gen->nps_out.file != NULL)
        outbuf_str(&gen->nps_out, "email,score,submitted_at,survey,comment,order_id\n");
}

static cvo_status generator_run(generator *gen, FILE *orders, FILE *nps)
{
    cvo_ctx *ctx = gen->ctx;
    gen->day_end = mem_zarray(ctx, gen->span, sizeof *gen->day_end);
    if (gen->day_end == NULL)
        return ctx_nomem(ctx);
    CVO_TRY(mark_treated(gen));
    CVO_TRY(mark_planted(gen));
    CVO_TRY(count_orders(gen));
    gen->orders = mem_array(ctx, gen->order_count, sizeof *gen->orders);
    if (gen->orders == NULL)
        return ctx_nomem(ctx);
    place_orders(gen);
    gen->order_digits = digits_of(gen->order_count, 8);
    CVO_TRY(outbuf_open(&gen->orders_out, ctx, orders, "orders"));
    CVO_TRY(outbuf_open(&gen->nps_out, ctx, nps, "nps"));
    write_headers(gen); /* the buffers are empty: room enough */
    CVO_TRY(emit_orders(gen));
    CVO_TRY(outbuf_finish(&gen->orders_out, ctx));
    return outbuf_finish(&gen->nps_out, ctx);
}

static void generator_release(generator *gen)
{
    outbuf_close(&gen->orders_out, gen->ctx);
    outbuf_close(&gen->nps_out, gen->ctx);
    mem_free(gen->ctx, gen->orders);
    mem_free(gen->ctx, gen->planted);
    mem_free(gen->ctx, gen->treated);
    mem_free(gen->ctx, gen->day_end);
    mem_free(gen->ctx, gen->season);
}

cvo_status cvo_generate(cvo_ctx *ctx, const cvo_generate_options *options, FILE *orders,
                        FILE *products, FILE *nps)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (options == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: no options given");
    gen_plants plants;
    CVO_TRY(check_options(ctx, options));
    CVO_TRY(parse_plants(ctx, options, &plants));
    double *season_check = NULL, top; /* a bad --plant-season fails before any output */
    CVO_TRY(
        season_plant_days(ctx, options->plant_season, options->first_day, 1, &season_check, &top));
    mem_free(ctx, season_check);
    if (products != NULL)
        CVO_TRY(write_products(ctx, products));
    if (orders == NULL && nps == NULL)
        return CVO_OK;
    generator *gen = mem_alloc(ctx, sizeof *gen);
    if (gen == NULL)
        return ctx_nomem(ctx);
    generator_init(gen, ctx, options, &plants);
    cvo_status status = season_plant_days(ctx, options->plant_season, options->first_day, gen->span,
                                          &gen->season, &gen->season_max);
    if (status == CVO_OK)
        status = generator_run(gen, orders, nps);
    generator_release(gen);
    mem_free(ctx, gen);
    return status;
}
