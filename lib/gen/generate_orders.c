/* generate_orders.c - one order of cvo_generate and its rows: the
 * order planned from its own seed, the planted customers found by planning their
 * first order, the order and NPS rows written in day order. */
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
static void day_info_set(day_info *info, int32_t day)
{
    int year;
    info->day = day;
    date_to_civil(day, &year, &info->month, &info->day_of_month);
    date_format_iso(day, info->text);
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
        if (!plan_has(plan, product) && !gen_plants_have(&gen->plants, product))
            return product;
    }
    unsigned product = 0;
    while (plan_has(plan, product) || gen_plants_have(&gen->plants, product))
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
        gen_uplift_treats(gen, ref->customer, day->day) ? 1.0 + gen->plants.uplift_spend : 1.0;
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
    day_info_set(&first, gen_draw_first_day(gen, &g));
    rng_seed(&g, gen->opt->seed, STREAM_ORDER, customer, 0);
    plan_order(gen, &g, &who, &ref, &first, &plan);
    uint8_t planted = (int)who.country == gen->plants.late_country ? PLANT_LATE : 0;
    if (gen->plants.discount_churn && plan.discount->percent > 0)
        planted |= PLANT_DISCOUNT;
    for (unsigned i = 0; i < plan.line_count; i++)
        if (gen_plants_have(&gen->plants, plan.lines[i].product))
            planted |= PLANT_TOXIC;
    return planted;
}

/* Whether customer has the planted covariate: their profile, or their first
 * order planned exactly as emit_order will plan it (as plants_of). */
static bool covariate_of(const generator *gen, uint32_t customer)
{
    const gen_plants *p = &gen->plants;
    profile who = profile_of(gen, customer);
    if (p->covariate == GEN_COV_CHANNEL)
        return who.channel == p->covariate_value;
    if (p->covariate == GEN_COV_COUNTRY)
        return who.country == p->covariate_value;
    rng g;
    day_info first;
    order_plan plan;
    order_ref ref = {customer, 0};
    rng_seed(&g, gen->opt->seed, STREAM_PROCESS, customer, 0);
    day_info_set(&first, gen_draw_first_day(gen, &g));
    rng_seed(&g, gen->opt->seed, STREAM_ORDER, customer, 0);
    plan_order(gen, &g, &who, &ref, &first, &plan);
    return plan.discount->percent > 0;
}

cvo_status gen_mark_covariate(generator *gen)
{
    if (gen->plants.covariate == GEN_COV_NONE)
        return CVO_OK;
    gen->covariate = mem_array(gen->ctx, gen->opt->customers, sizeof *gen->covariate);
    if (gen->covariate == NULL)
        return ctx_nomem(gen->ctx);
    for (uint32_t customer = 0; customer < gen->opt->customers; customer++)
        gen->covariate[customer] = covariate_of(gen, customer);
    return CVO_OK;
}

cvo_status gen_mark_planted(generator *gen)
{
    if (!gen_plants_any(&gen->plants))
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
cvo_status gen_mark_treated(generator *gen)
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
    return u < gen_plant_chance(&gen->plants, planted) ? score : -1;
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

cvo_status gen_emit_orders(generator *gen)
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
