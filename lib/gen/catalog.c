/* catalog.c - the constant tables of the synthetic coffee-and-tea store.
 * Product k of category c is entry c * CATALOG_PER_CATEGORY + k; nothing here
 * changes at run time, so the tables are shared read-only data. */
#include "catalog.h"

#include "base/hash.h"

#include <stddef.h>
#include <string.h>

static const char *const category_names[CATALOG_CATEGORIES] = {
    "Coffee Beans",    "Tea",           "Brewing Equipment", "Mugs & Drinkware",
    "Snacks & Sweets", "Syrups & Extras", "Gift Sets",       "Merchandise",
};

static const uint16_t category_weights[CATALOG_CATEGORIES] = {30, 18, 12, 10, 12, 8, 5, 5};

static const catalog_product products[CATALOG_PRODUCTS] = {
    /* Coffee Beans */
    {"House Blend Espresso Beans 1kg", 3200},
    {"Colombia Huila Medium Roast 250g", 1250},
    {"Ethiopia Yirgacheffe, Washed, 250g", 1490},
    {"Brazil Cerrado Dark Roast 500g", 1600},
    {"Kenya AA Light Roast 250g", 1550},
    {"Guatemala Antigua 250g", 1300},
    {"Decaf Swiss Water Process 250g", 1200},
    {"Sumatra Mandheling 500g", 1850},
    {"Costa Rica Tarraz\xc3\xba Honey 250g", 1690},
    {"Single Origin Sampler (4 x 100g)", 2400},
    {"Cold Brew Coarse Grind 1kg", 2900},
    {"Rwanda Nyamasheke Natural 250g", 1750},
    {"Panama Geisha Lot 12, 100g", 3800},
    {"Espresso Crema Blend 500g", 1700},
    {"Instant Specialty Coffee (10 sachets)", 950},
    /* Tea */
    {"English Breakfast Loose Leaf 100g", 750},
    {"Earl Grey Supreme 100g", 850},
    {"Japanese Sencha 80g", 1100},
    {"Ceremonial Matcha 30g", 2400},
    {"Darjeeling First Flush 100g", 1450},
    {"Chamomile & Lavender Herbal 50g", 690},
    {"Moroccan Mint Green Tea 100g", 790},
    {"Masala Chai Spice Blend 150g", 990},
    {"Oolong \"Iron Goddess\" 100g", 1600},
    {"Rooibos Vanilla 100g", 700},
    {"Pu-erh 2015 Cake 357g", 3900},
    {"Jasmine Pearls 50g", 1350},
    {"Peppermint Herbal 60g", 550},
    {"Tea Sampler, 12 Pyramids", 1200},
    {"Lapsang Souchong 100g", 900},
    /* Brewing Equipment */
    {"Pour-Over Dripper Size 02", 2400},
    {"Gooseneck Kettle 1L", 5900},
    {"Electric Burr Grinder", 14900},
    {"Hand Grinder, Stainless Steel", 6900},
    {"French Press 8-Cup", 3400},
    {"Immersion Coffee Maker", 3990},
    {"Moka Pot 6-Cup", 3200},
    {"Paper Filters 02 (100 pack)", 650},
    {"Digital Coffee Scale with Timer", 4500},
    {"Cold Brew Bottle 1L", 2900},
    {"Glass Carafe 600ml", 2200},
    {"Milk Frother, Handheld", 1800},
    {"Cast Iron Teapot 800ml", 5400},
    {"Tea Infuser Basket", 900},
    {"Hourglass Pour-Over Brewer 6-Cup", 4900},
    /* Mugs & Drinkware */
    {"Stoneware Mug \"Morning Ritual\" 350ml", 1800},
    {"Double-Wall Glass Cup 250ml (Set of 2)", 2200},
    {"Travel Tumbler 16oz", 2800},
    {"Espresso Cups with Saucers, Set of 4", 3200},
    {"Enamel Camp Mug", 1400},
    {"Latte Bowl 400ml", 1600},
    {"Insulated Bottle 500ml", 3000},
    {"Cortado Glass 135ml", 800},
    {"Porcelain Tea Cup and Saucer", 1900},
    {"Reusable Cup 12oz", 1500},
    {"Ceramic Tumbler, Speckled", 1700},
    {"Tasting Cups (Set of 6)", 3600},
    {"Handmade Mug, Blue Glaze", 2600},
    {"Kids' Hot Chocolate Mug", 1200},
    {"Thermal Carafe 1L", 4400},
    /* Snacks & Sweets */
    {"Almond Biscotti 200g", 650},
    {"Dark Chocolate 70%, 100g", 550},
    {"Stroopwafels (8 pack)", 600},
    {"Salted Caramel Fudge 150g", 750},
    {"Shortbread Tin 300g", 1200},
    {"Chocolate-Covered Espresso Beans 150g", 890},
    {"Oat Cookies, Gluten Free", 690},
    {"Florentines 120g", 950},
    {"Hazelnut Praline Box", 1800},
    {"Cantuccini 250g", 790},
    {"Ginger Snaps 200g", 500},
    {"Matcha White Chocolate 80g", 650},
    {"Assorted Macarons (12)", 2400},
    {"Honey Almonds 200g", 800},
    {"Cocoa Dusted Truffles 150g", 1400},
    /* Syrups & Extras */
    {"Vanilla Syrup 750ml", 1100},
    {"Caramel Syrup 750ml", 1100},
    {"Hazelnut Syrup 750ml", 1100},
    {"Oat Drink Barista Edition 1L", 520},
    {"Raw Cane Sugar Cubes 500g", 500},
    {"Cinnamon Sticks 50g", 590},
    {"Cocoa Powder 250g", 850},
    {"Descaling Solution 500ml", 1200},
    {"Grinder Cleaning Tablets", 1400},
    {"Wildflower Honey 350g", 1050},
    {"Pumpkin Spice Syrup 750ml", 1250},
    {"Sugar-Free Vanilla Syrup 750ml", 1200},
    {"Chai Concentrate 1L", 1300},
    {"Whipped Cream Chargers (24)", 1900},
    {"Coffee Storage Canister", 2700},
    /* Gift Sets */
    {"Coffee Lover's Gift Box", 5900},
    {"Tea Discovery Box", 4500},
    {"Brew Kit Starter Set", 8900},
    {"Premium Espresso Gift Set", 12000},
    {"Chocolate & Coffee Hamper", 7500},
    {"Matcha Ceremony Kit", 9500},
    {"Coffee Subscription, 3 Months", 6600},
    {"Tea Subscription, 3 Months", 5400},
    {"Holiday Advent Calendar", 4900},
    {"Pour-Over Gift Set", 7900},
    {"Cold Brew Gift Set", 6500},
    {"Barista at Home Bundle", 15000},
    {"Tasting Flight Box", 3900},
    {"Tea Party Set for Two", 8500},
    {"Corporate Gift Crate", 14000},
    /* Merchandise */
    {"Canvas Tote Bag", 1500},
    {"Barista Apron, Denim", 3800},
    {"Logo T-Shirt", 2500},
    {"Hoodie, Roasted Brown", 5500},
    {"Enamel Pin Set", 1000},
    {"The Coffee Atlas (Hardcover)", 3200},
    {"Brewing Guide Poster", 1400},
    {"Knit Beanie", 2200},
    {"Cap \"Drink Good Coffee\"", 2400},
    {"Tea Towel Set", 1600},
    {"Sticker Pack", 500},
    {"Notebook, Recycled Paper", 1200},
    {"Bamboo Coaster Set", 1800},
    {"Coffee Scoop, Walnut", 1300},
    {"Socks, Bean Pattern", 1100},
};

enum { COUNTRIES = 10, CHANNELS = 5, NPS_SCORES = 11 };

static const char *const country_codes[COUNTRIES] = {"US", "GB", "DE", "FR", "NL",
                                                     "CA", "AU", "ES", "IT", "SE"};
static const uint16_t country_weights[COUNTRIES] = {40, 14, 12, 8, 5, 7, 5, 4, 3, 2};
static const uint16_t country_shipping[COUNTRIES] = {595, 695, 795, 795, 745,
                                                     995, 1295, 795, 795, 895};
/* Carrier days: domestic-like Europe fast, Canada and Australia slow. */
static const uint8_t country_transit_min[COUNTRIES] = {2, 1, 1, 2, 1, 3, 5, 2, 3, 2};
static const uint8_t country_transit_spread[COUNTRIES] = {4, 3, 2, 3, 2, 6, 8, 4, 5, 4};

static const char *const channel_names[CHANNELS] = {"organic", "paid_social", "paid_search",
                                                    "email", "referral"};
static const uint16_t channel_weights[CHANNELS] = {35, 22, 20, 13, 10};

/* Per mille of answers with score 0..10. */
static const uint16_t nps_weights[NPS_SCORES] = {15, 10, 15, 20, 30, 40, 60, 90, 140, 240, 340};

static const char *const post_detractor[] = {
    "", "", "Package arrived damaged.", "Order was late, again.", "Beans tasted stale",
    "Wrong item in the box", "Too expensive for what you get", "Customer service never replied",
};
static const char *const post_passive[] = {
    "", "", "", "Good, but shipping took a while.", "Nice taste, a bit pricey.",
    "Fine. Nothing special.", "Decent; packaging could be better",
};
static const char *const post_promoter[] = {
    "", "", "", "Great coffee, will order again!", "Fast delivery and lovely packaging.",
    "Best beans I've had in years", "Arrived quickly. Perfect.", "Love it",
    "The \"Morning Ritual\" mug is gorgeous", "Excellent quality, fair price",
};
static const char *const pre_detractor[] = {
    "", "Discount code didn't work", "Site was slow at checkout", "Shipping costs are too high",
};
static const char *const pre_passive[] = {
    "", "", "Checkout was OK", "Wish there were more payment options",
};
static const char *const pre_promoter[] = {
    "", "", "Checkout was quick", "Easy to find what I wanted",
};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

typedef struct phrase_bank {
    const char *const *phrases;
    unsigned count;
} phrase_bank;

static const phrase_bank banks[2][3] = {
    {{pre_detractor, COUNT_OF(pre_detractor)},
     {pre_passive, COUNT_OF(pre_passive)},
     {pre_promoter, COUNT_OF(pre_promoter)}},
    {{post_detractor, COUNT_OF(post_detractor)},
     {post_passive, COUNT_OF(post_passive)},
     {post_promoter, COUNT_OF(post_promoter)}},
};

static catalog_weights make_weights(const uint16_t *weights, unsigned count)
{
    catalog_weights result = {weights, count, 0};
    for (unsigned i = 0; i < count; i++)
        result.total += weights[i];
    return result;
}

const catalog_product *catalog_product_at(unsigned index)
{
    return &products[index % CATALOG_PRODUCTS];
}

uint32_t catalog_unit_cost_cents(unsigned index)
{
    /* A fixed share of the price per product, 30..60 percent. */
    uint32_t percent = 30 + (uint32_t)(hash_mix64(index + 0x5eedull) % 31);
    uint32_t price = catalog_product_at(index)->price_cents;
    return (price * percent + 50) / 100;
}

const char *catalog_category_name(unsigned category)
{
    return category_names[category % CATALOG_CATEGORIES];
}

catalog_weights catalog_category_weights(void)
{
    return make_weights(category_weights, CATALOG_CATEGORIES);
}

const char *catalog_country_code(unsigned country)
{
    return country_codes[country % COUNTRIES];
}

uint32_t catalog_country_shipping_cents(unsigned country)
{
    return country_shipping[country % COUNTRIES];
}

catalog_weights catalog_country_weights(void)
{
    return make_weights(country_weights, COUNTRIES);
}

int catalog_country_find(const char *code)
{
    for (unsigned i = 0; i < COUNTRIES; i++)
        if (strcmp(code, country_codes[i]) == 0)
            return (int)i;
    return -1;
}

void catalog_country_transit(unsigned country, unsigned *min_days, unsigned *spread_days)
{
    *min_days = country_transit_min[country % COUNTRIES];
    *spread_days = country_transit_spread[country % COUNTRIES];
}

const char *catalog_channel_name(unsigned channel)
{
    return channel_names[channel % CHANNELS];
}

catalog_weights catalog_channel_weights(void)
{
    return make_weights(channel_weights, CHANNELS);
}

catalog_weights catalog_nps_weights(void)
{
    return make_weights(nps_weights, NPS_SCORES);
}

unsigned catalog_comment_count(int post_delivery, catalog_mood mood)
{
    return banks[post_delivery != 0][mood].count;
}

const char *catalog_comment(int post_delivery, catalog_mood mood, unsigned index)
{
    const phrase_bank *bank = &banks[post_delivery != 0][mood];
    return bank->phrases[index % bank->count];
}
