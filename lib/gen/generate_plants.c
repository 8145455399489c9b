/* generate_plants.c - the planted effects of cvo_generate: the plant_*
 * options checked and resolved to catalog indices, and the chance planting acts. */
#include "cvo.h"

#include "base/ctx.h"
#include "base/hash.h"
#include "base/hmac.h"
#include "gen/catalog.h"
#include "gen/generate_impl.h"
#include "gen/outbuf.h"
#include "gen/rng.h"
#include "gen/season_plant.h"
#include "io/datetime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

bool gen_plants_have(const gen_plants *plants, unsigned product)
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
        if (!gen_plants_have(plants, (unsigned)product)) {
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

/* "purchase=G" or "dropout=G" of a planted covariate. */
static cvo_status parse_covariate_effect(cvo_ctx *ctx, const char *text, size_t len,
                                         gen_plants *plants)
{
    char buf[64], *end = NULL;
    if (len >= sizeof buf)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "generate: plant covariate: effect too long");
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *eq = strchr(buf, '=');
    double value = eq ? strtod(eq + 1, &end) : NAN;
    if (eq == NULL || end == eq + 1 || *end != '\0' || !(fabs(value) <= 5))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: plant covariate: '%s' is not purchase=G or dropout=G with "
                        "|G| <= 5",
                        buf);
    *eq = '\0';
    if (strcmp(buf, "purchase") == 0)
        plants->covariate_purchase = value;
    else if (strcmp(buf, "dropout") == 0)
        plants->covariate_dropout = value;
    else
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: plant covariate: '%s' is neither purchase nor dropout", buf);
    return CVO_OK;
}

/* The attribute of a planted covariate: discount, channel=NAME or country=CC. */
static cvo_status parse_covariate_attribute(cvo_ctx *ctx, const char *text, size_t len,
                                            gen_plants *plants)
{
    if (len == 8 && strncmp(text, "discount", 8) == 0) {
        plants->covariate = GEN_COV_DISCOUNT;
        return CVO_OK;
    }
    bool channel = len > 8 && strncmp(text, "channel=", 8) == 0;
    bool country = len > 8 && strncmp(text, "country=", 8) == 0;
    unsigned count = channel   ? catalog_channel_weights().count
                     : country ? catalog_country_weights().count
                               : 0;
    for (unsigned i = 0; i < count; i++) {
        const char *name = channel ? catalog_channel_name(i) : catalog_country_code(i);
        if (strlen(name) == len - 8 && strncmp(text + 8, name, len - 8) == 0) {
            plants->covariate = channel ? GEN_COV_CHANNEL : GEN_COV_COUNTRY;
            plants->covariate_value = i;
            return CVO_OK;
        }
    }
    return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                    "generate: plant covariate: '%.*s' is not discount, channel=NAME (organic, "
                    "paid_social, ...) or country=CC of the store",
                    (int)len, text);
}

static cvo_status parse_covariate(cvo_ctx *ctx, const char *spec, gen_plants *plants)
{
    const char *colon = strchr(spec, ':');
    if (colon == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "generate: plant covariate: 'ATTRIBUTE:purchase=G,dropout=G' expected");
    CVO_TRY(parse_covariate_attribute(ctx, spec, (size_t)(colon - spec), plants));
    for (const char *item = colon + 1; item != NULL;) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        CVO_TRY(parse_covariate_effect(ctx, item, len, plants));
        item = comma ? comma + 1 : NULL;
    }
    return CVO_OK;
}

cvo_status gen_parse_plants(cvo_ctx *ctx, const cvo_generate_options *options, gen_plants *plants)
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
    if (options->plant_covariate != NULL && options->plant_covariate[0] != '\0')
        CVO_TRY(parse_covariate(ctx, options->plant_covariate, plants));
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

bool gen_plants_any(const gen_plants *plants)
{
    return plants->toxic_count > 0 || plants->late_country >= 0 || plants->discount_churn;
}

/* The chance that planting acts on a customer with these PLANT_* bits: one
 * strength per effect, combined as independent causes. */
double gen_plant_chance(const gen_plants *plants, unsigned planted)
{
    double spared = 1.0;
    for (unsigned bit = PLANT_TOXIC; bit <= PLANT_DISCOUNT; bit <<= 1)
        if (planted & bit)
            spared *= 1.0 - plants->strength;
    return 1.0 - spared;
}
