/* generate.c - cvo_generate: a deterministic synthetic store. Customers buy and
 * lapse by the BG/NBD process (or the Pareto/NBD one); orders are counting-sorted by day and each
 * row is rebuilt from a seed of (options seed, customer, order ordinal), so the bytes written
 * depend on the options only, never on time, addresses or streams. This file holds the
 * options, the catalogue and the run; generate_plants.c, generate_process.c and
 * generate_orders.c the rest, sharing generate_impl.h. */
#include "cvo.h"

#include "base/ctx.h"
#include "base/hash.h"
#include "base/hmac.h"
#include "gen/catalog.h"
#include "gen/outbuf.h"
#include "gen/rng.h"
#include "gen/generate_impl.h"
#include "gen/season_plant.h"
#include "io/datetime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    CVO_TRY(gen_mark_treated(gen));
    CVO_TRY(gen_mark_planted(gen));
    CVO_TRY(gen_mark_covariate(gen));
    CVO_TRY(gen_count_orders(gen));
    gen->orders = mem_array(ctx, gen->order_count, sizeof *gen->orders);
    if (gen->orders == NULL)
        return ctx_nomem(ctx);
    gen_place_orders(gen);
    gen->order_digits = digits_of(gen->order_count, 8);
    CVO_TRY(outbuf_open(&gen->orders_out, ctx, orders, "orders"));
    CVO_TRY(outbuf_open(&gen->nps_out, ctx, nps, "nps"));
    write_headers(gen); /* the buffers are empty: room enough */
    CVO_TRY(gen_emit_orders(gen));
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
    mem_free(gen->ctx, gen->covariate);
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
    CVO_TRY(gen_parse_plants(ctx, options, &plants));
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
