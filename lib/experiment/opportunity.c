/* opportunity.c - the findings of an analysis as opportunities ranked by the
 * profit at stake over 12 months: segments at risk, toxic products, weak
 * regions, discount cohorts, unhappy top customers, no-discount reasons.
 * Invariant: a product, country or discount is an opportunity only on its
 * first-order-value adjusted effect (cvo_dive_row adj_significant). */
#include "analysis/analyze.h"
#include "base/ctx.h"
#include "core/customers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPP_Z 1.959963984540054 /* the range: +-1.96 sd, or the effect's 95 % interval */
#define OPP_YEAR_DAYS 365.0
#define OPP_LISTS 4 /* the treatment lists a test can run on */

struct cvo_opportunities {
    cvo_ctx *ctx;
    cvo_opportunity *items;
    size_t count, cap;
};

/* What one opportunity is built from. */
typedef struct opp_build {
    cvo_ctx *ctx;
    const cvo_analysis *a;
    cvo_opportunities *out;
    double year_share; /* 12 months / the [model] horizon */
    double years;      /* of history: as_of - the first order, at least one */
    cvo_experiment_plan plans[OPP_LISTS];
    bool planned[OPP_LISTS];
} opp_build;

static const char *const kind_names[CVO_OPP__COUNT] = {"segment_at_risk",       "toxic_product",
                                                       "weak_region",           "discount_cohort",
                                                       "unhappy_top_customers", "no_discount"};

const char *cvo_opportunity_kind_name(cvo_opportunity_kind kind)
{
    return (unsigned)kind < CVO_OPP__COUNT ? kind_names[kind] : "?";
}

/* ---- the list ---------------------------------------------------------------- */

static cvo_status opp_push(opp_build *b, const cvo_opportunity *item)
{
    cvo_opportunities *o = b->out;
    if (o->count == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        cvo_opportunity *grown = mem_realloc(b->ctx, o->items, cap * sizeof *grown);
        if (grown == NULL)
            return ctx_nomem(b->ctx);
        o->items = grown;
        o->cap = cap;
    }
    o->items[o->count++] = *item;
    return CVO_OK;
}

static int list_slot(unsigned list_bit)
{
    switch (list_bit) {
    case CVO_LIST_WINBACK: return 0;
    case CVO_LIST_NO_DISCOUNT: return 1;
    case CVO_LIST_VIP: return 2;
    case CVO_LIST_REFERRAL: return 3;
    default: return -1;
    }
}

/* The test that would prove an opportunity acted on through list_bit: the
 * plan of that list on profit per member (one plan per list, made once). */
static cvo_status opp_test(opp_build *b, unsigned list_bit, cvo_opportunity *item)
{
    int slot = list_slot(list_bit);
    item->action_list = list_bit;
    item->has_test = slot >= 0;
    if (slot < 0)
        return CVO_OK;
    if (!b->planned[slot])
        CVO_TRY(cvo_experiment_plan_compute(b->ctx, b->a, list_bit, NULL, CVO_EXP_PROFIT,
                                            &b->plans[slot]));
    b->planned[slot] = true;
    item->test = b->plans[slot];
    return CVO_OK;
}

static void item_init(cvo_opportunity *item, cvo_opportunity_kind kind, const char *key)
{
    memset(item, 0, sizeof *item);
    item->kind = kind;
    item->key = key;
    item->label = key;
    item->effect = item->effect_low = item->effect_high = item->effect_q = NAN;
}

/* ---- from the model ------------------------------------------------------------- */

/* A model-based sum: the cents at stake and the Poisson variance of the count
 * of orders behind them (each order worth its per-order figure). */
typedef struct stake_sum {
    uint64_t customers;
    double cents, variance;
} stake_sum;

/* Customer i's profit row; NULL when the analysis has no profit. */
static const cvo_profit_row *profit_row(const opp_build *b, size_t i)
{
    return b->a->profit != NULL ? &cvo_profit_rows(b->a->profit)[i] : NULL;
}

/* Adds customer i's 12-month figure per_order x expected orders. */
static void stake_add(stake_sum *s, const opp_build *b, size_t i, double per_order_cents)
{
    const cvo_profit_row *p = profit_row(b, i);
    s->customers++;
    if (p == NULL || !p->has_prediction || !isfinite(p->expected_orders))
        return;
    double orders = p->expected_orders * b->year_share;
    s->cents += orders * per_order_cents;
    s->variance += orders * per_order_cents * per_order_cents;
}

/* Customer i's predicted profit per expected order, in cents. */
static double profit_per_order(const opp_build *b, size_t i)
{
    const cvo_profit_row *p = profit_row(b, i);
    return p != NULL && p->has_prediction && p->expected_orders > 0
               ? (double)p->predicted_profit_cents / p->expected_orders
               : 0;
}

static const char *customers_word(uint64_t n)
{
    return n == 1 ? "customer" : "customers";
}

static void stake_fill(cvo_opportunity *item, const stake_sum *s)
{
    double half = OPP_Z * sqrt(s->variance);
    item->customers = s->customers;
    item->at_stake_cents = (int64_t)llround(s->cents);
    /* a sum of figures that are mostly >= 0: the range does not go below 0 */
    double low = s->cents - half;
    item->at_stake_low_cents = (int64_t)llround(s->cents >= 0 && low < 0 ? 0 : low);
    item->at_stake_high_cents = (int64_t)llround(s->cents + half);
}

/* Per top segment, its customers on the win-back list. */
static cvo_status segments_at_risk(opp_build *b)
{
    const cvo_analysis *a = b->a;
    size_t segments = cvo_scheme_segment_count(a->scheme);
    const cvo_score *scores = cvo_rfm_scores(a->rfm);
    for (size_t g = 0; g < segments && g < CVO_MAX_SEGMENTS; g++) {
        if (!a->rules.top[g])
            continue;
        stake_sum s = {0, 0, 0};
        for (size_t i = 0; i < a->customers->count; i++)
            if (scores[i].segment == g && (a->results[i].lists & CVO_LIST_WINBACK))
                stake_add(&s, b, i, profit_per_order(b, i));
        if (s.customers == 0)
            continue;
        cvo_opportunity item;
        item_init(&item, CVO_OPP_SEGMENT_AT_RISK, cvo_scheme_segment_name(a->scheme, g));
        stake_fill(&item, &s);
        snprintf(item.what, sizeof item.what,
                 "%llu %s of the top segment %s %s about to lapse: the win-back date is "
                 "within the window.",
                 (unsigned long long)s.customers, customers_word(s.customers), item.key,
                 s.customers == 1 ? "is" : "are");
        item.action = "lists/winback.csv, and the CVO Winback Due event in klaviyo/events.jsonl";
        CVO_TRY(opp_test(b, CVO_LIST_WINBACK, &item));
        CVO_TRY(opp_push(b, &item));
    }
    return CVO_OK;
}

/* Detractors (latest answer) of top segments: what Gorgias tickets go to. */
static cvo_status unhappy_top(opp_build *b)
{
    const cvo_analysis *a = b->a;
    if (a->nps == NULL)
        return CVO_OK;
    const cvo_score *scores = cvo_rfm_scores(a->rfm);
    stake_sum s = {0, 0, 0};
    for (size_t i = 0; i < a->customers->count; i++) {
        int last = cvo_nps_customer_last(a->nps, i);
        if (last >= 0 && cvo_nps_class_of(last) == CVO_NPS_DETRACTOR &&
            scores[i].segment < CVO_MAX_SEGMENTS && a->rules.top[scores[i].segment])
            stake_add(&s, b, i, profit_per_order(b, i));
    }
    if (s.customers == 0)
        return CVO_OK;
    cvo_opportunity item;
    item_init(&item, CVO_OPP_UNHAPPY_TOP, "");
    stake_fill(&item, &s);
    snprintf(item.what, sizeof item.what,
             "%llu %s of top segments would not recommend the store (a detractor score in the "
             "latest answer).",
             (unsigned long long)s.customers, customers_word(s.customers));
    item.action = "gorgias/tickets.jsonl: a ticket per detractor with an email (no list, so no "
                  "holdout test: Gorgias tickets are not experiments)";
    CVO_TRY(opp_test(b, 0, &item));
    return opp_push(b, &item);
}

static const char *const reason_keys[] = {"", "lost", "unprofitable", "full_price"};

static void no_discount_words(cvo_opportunity *item, cvo_no_discount_reason reason)
{
    static const char *const words[] = {
        "",
        "probably gone (P(alive) below [lists] no_discount_lost_p_alive): a discount would be "
        "wasted.",
        "would become unprofitable with the standard discount ([lists] standard_discount): "
        "the margin cannot carry it.",
        "(top segments, likely active) always paid full price: a discount would only give "
        "margin away."};
    bool one = item->customers == 1;
    snprintf(item->what, sizeof item->what, "%llu %s %s%s", (unsigned long long)item->customers,
             customers_word(item->customers),
             reason == CVO_NO_DISCOUNT_LOST ? (one ? "is " : "are ") : "", words[reason]);
}

/* One opportunity per no-discount reason: the discount not given. */
static cvo_status no_discount(opp_build *b)
{
    const cvo_analysis *a = b->a;
    for (int reason = CVO_NO_DISCOUNT_LOST; reason <= CVO_NO_DISCOUNT_FULL_PRICE; reason++) {
        stake_sum s = {0, 0, 0};
        for (size_t i = 0; i < a->customers->count; i++) {
            if (cvo_analysis_no_discount_reason(a, i) != (cvo_no_discount_reason)reason)
                continue;
            const cvo_profit_row *p = profit_row(b, i);
            int64_t after = 0;
            bool known = p != NULL && cvo_analysis_profit_after_discount(a, i, &after) &&
                         p->has_prediction && p->expected_orders > 0;
            double per_order =
                known ? (double)(p->predicted_profit_cents - after) / p->expected_orders : 0;
            stake_add(&s, b, i, per_order);
        }
        if (s.customers == 0)
            continue;
        cvo_opportunity item;
        item_init(&item, CVO_OPP_NO_DISCOUNT, reason_keys[reason]);
        stake_fill(&item, &s);
        no_discount_words(&item, (cvo_no_discount_reason)reason);
        item.action = "lists/no-discount.csv: leave them out of discount campaigns";
        CVO_TRY(opp_test(b, CVO_LIST_NO_DISCOUNT, &item));
        CVO_TRY(opp_push(b, &item));
    }
    return CVO_OK;
}

/* ---- from the deep dives ----------------------------------------------------------- */

/* The row of group g's first-year profit, when its adjusted effect is harmful
 * and significant; else NULL. */
static const cvo_dive_row *harmful_profit(const cvo_dive *d, size_t g)
{
    size_t n = 0;
    const cvo_dive_row *rows = cvo_dive_rows(d, &n);
    size_t metrics = cvo_dive_info_of(d)->has_nps ? CVO_DIVE_METRIC__COUNT : CVO_DIVE_NPS;
    const cvo_dive_row *r =
        g * metrics + CVO_DIVE_PROFIT < n ? &rows[g * metrics + CVO_DIVE_PROFIT] : NULL;
    return r != NULL && r->adj_significant && r->adj_diff < 0 ? r : NULL;
}

/* The effect's stake: |difference| x the group's customers per year. */
static void effect_fill(opp_build *b, cvo_opportunity *item, const cvo_dive_group *g,
                        const cvo_dive_row *r)
{
    double intake = (double)g->customers / b->years;
    double near = fmin(fabs(r->adj_ci_low), fabs(r->adj_ci_high));
    double far = fmax(fabs(r->adj_ci_low), fabs(r->adj_ci_high));
    bool crosses = r->adj_ci_low < 0 && r->adj_ci_high > 0;
    item->customers = g->customers;
    item->from_effect = true;
    item->effect = r->adj_diff;
    item->effect_low = r->adj_ci_low;
    item->effect_high = r->adj_ci_high;
    item->effect_q = r->adj_q;
    item->at_stake_cents = (int64_t)llround(fabs(r->adj_diff) * 100 * intake);
    item->at_stake_low_cents = crosses ? 0 : (int64_t)llround(near * 100 * intake);
    item->at_stake_high_cents = (int64_t)llround(far * 100 * intake);
}

/* Mean days to delivery of the customers of every other group of a grouping
 * (group means weighted by customers); NaN when unknown. */
static double delivery_elsewhere(const cvo_dive_group *groups, size_t n, size_t except)
{
    double days = 0, weight = 0;
    for (size_t i = 0; i < n; i++)
        if (i != except && isfinite(groups[i].mean_delivery_days)) {
            days += groups[i].mean_delivery_days * (double)groups[i].customers;
            weight += (double)groups[i].customers;
        }
    return weight > 0 ? days / weight : NAN;
}

static void region_words(cvo_opportunity *item, const char *less, const cvo_dive_group *g,
                         double elsewhere)
{
    if (isfinite(g->mean_delivery_days) && isfinite(elsewhere) &&
        g->mean_delivery_days > elsewhere + 1)
        snprintf(item->what, sizeof item->what,
                 "Customers in %s bring %s less first-year profit than others whose first "
                 "order was worth as much; their parcels take %.1f days, %.1f elsewhere.",
                 item->key, less, g->mean_delivery_days, elsewhere);
    else
        snprintf(item->what, sizeof item->what,
                 "Customers in %s bring %s less first-year profit than others whose first "
                 "order was worth as much.",
                 item->key, less);
}

static void effect_words(const opp_build *b, cvo_opportunity *item, const cvo_dive_group *g,
                         double elsewhere)
{
    const char *currency = cvo_currency_of(b->a->config, cvo_analysis_load_stats(b->a));
    char less[48];
    snprintf(less, sizeof less, "%.2f%s%.8s", fabs(item->effect),
             currency && currency[0] ? " " : "", currency ? currency : "");
    if (item->kind == CVO_OPP_TOXIC_PRODUCT)
        snprintf(item->what, sizeof item->what,
                 "Customers whose first order held %s (%s) bring %s less profit in their "
                 "first year than customers whose first order was worth as much.",
                 item->label, item->key, less);
    else if (item->kind == CVO_OPP_WEAK_REGION)
        region_words(item, less, g, elsewhere);
    else if (strcmp(item->key, "code") == 0)
        snprintf(item->what, sizeof item->what,
                 "Customers whose first order used a discount code bring %s less first-year "
                 "profit than full-price customers whose first order was worth as much.",
                 less);
    else
        snprintf(item->what, sizeof item->what,
                 "Customers whose first order used the code %s bring %s less first-year "
                 "profit than others whose first order was worth as much.",
                 item->key, less);
}

/* The action and test of an effect: the win-back list (product, region: the
 * customers it lost), the no-discount list (discounts). */
static cvo_status effect_action(opp_build *b, cvo_opportunity *item)
{
    if (item->kind == CVO_OPP_DISCOUNT_COHORT) {
        item->action = "lists/no-discount.csv: acquire and keep them without a code";
        return opp_test(b, CVO_LIST_NO_DISCOUNT, item);
    }
    item->action = item->kind == CVO_OPP_TOXIC_PRODUCT
                       ? "review the product (What drives value); its customers about to "
                         "lapse are in lists/winback.csv, its unhappy top customers get "
                         "gorgias/tickets.jsonl"
                       : "check the carrier and delivery times (What drives value); its "
                         "customers about to lapse are in lists/winback.csv";
    return opp_test(b, CVO_LIST_WINBACK, item);
}

/* Whether discounts as a whole (the discount grouping's "code") are an
 * opportunity: then single codes are not listed again. */
static bool discounts_listed(const opp_build *b)
{
    for (size_t i = 0; i < b->out->count; i++)
        if (b->out->items[i].kind == CVO_OPP_DISCOUNT_COHORT)
            return true;
    return false;
}

static cvo_status from_dive(opp_build *b, cvo_dive_by by, cvo_opportunity_kind kind)
{
    if (by == CVO_DIVE_CODE && discounts_listed(b))
        return CVO_OK;
    const cvo_dive *d = cvo_analysis_dive(b->a, by);
    if (d == NULL)
        return CVO_OK;
    size_t n = 0;
    const cvo_dive_group *groups = cvo_dive_groups(d, &n);
    for (size_t g = 0; g < n; g++) {
        const cvo_dive_row *r = harmful_profit(d, g);
        if (r == NULL || (by == CVO_DIVE_DISCOUNT && strcmp(r->key, "code") != 0))
            continue;
        cvo_opportunity item;
        item_init(&item, kind, r->key);
        item.label = groups[g].label;
        effect_fill(b, &item, &groups[g], r);
        effect_words(b, &item, &groups[g], delivery_elsewhere(groups, n, g));
        CVO_TRY(effect_action(b, &item));
        CVO_TRY(opp_push(b, &item));
    }
    return CVO_OK;
}

/* ---- the whole ------------------------------------------------------------------ */

static int by_stake(const void *x, const void *y)
{
    const cvo_opportunity *a = x, *b = y;
    if (a->at_stake_cents != b->at_stake_cents)
        return a->at_stake_cents > b->at_stake_cents ? -1 : 1;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    return strcmp(a->key, b->key);
}

/* 12 months over the horizon, and the years of history (at least one). */
static void opp_scales(opp_build *b)
{
    double months = cvo_config_number(b->a->config, "model", "horizon_months");
    b->year_share = isfinite(months) && months > 0 ? 12 / months : 1;
    int32_t first = b->a->as_of;
    for (size_t i = 0; i < b->a->customers->count; i++)
        if (b->a->customers->rows[i].first_order_day < first)
            first = b->a->customers->rows[i].first_order_day;
    double years = (double)(b->a->as_of - first) / OPP_YEAR_DAYS;
    b->years = years > 1 ? years : 1;
}

static cvo_status opp_collect(opp_build *b)
{
    CVO_TRY(segments_at_risk(b));
    CVO_TRY(from_dive(b, CVO_DIVE_PRODUCT, CVO_OPP_TOXIC_PRODUCT));
    CVO_TRY(from_dive(b, CVO_DIVE_COUNTRY, CVO_OPP_WEAK_REGION));
    CVO_TRY(from_dive(b, CVO_DIVE_DISCOUNT, CVO_OPP_DISCOUNT_COHORT));
    CVO_TRY(from_dive(b, CVO_DIVE_CODE, CVO_OPP_DISCOUNT_COHORT));
    CVO_TRY(unhappy_top(b));
    return no_discount(b);
}

cvo_status cvo_opportunities_compute(cvo_ctx *ctx, const cvo_analysis *a, cvo_opportunities **out)
{
    if (out != NULL)
        *out = NULL;
    if (ctx == NULL || a == NULL || out == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "opportunities: no analysis")
                   : CVO_ERR_ARGUMENT;
    opp_build *b = mem_zarray(ctx, 1, sizeof *b);
    cvo_opportunities *o = mem_zarray(ctx, 1, sizeof *o);
    cvo_status status = b && o ? CVO_OK : ctx_nomem(ctx);
    if (status == CVO_OK) {
        o->ctx = ctx;
        *b = (opp_build){.ctx = ctx, .a = a, .out = o};
        opp_scales(b);
        status = opp_collect(b);
    }
    if (status == CVO_OK && o->count > 1)
        qsort(o->items, o->count, sizeof *o->items, by_stake);
    mem_free(ctx, b);
    if (status == CVO_OK)
        *out = o;
    else
        cvo_opportunities_free(o);
    return status;
}

const cvo_opportunity *cvo_opportunities_items(const cvo_opportunities *opps, size_t *count)
{
    *count = opps ? opps->count : 0;
    return opps ? opps->items : NULL;
}

void cvo_opportunities_free(cvo_opportunities *opps)
{
    if (opps == NULL)
        return;
    mem_free(opps->ctx, opps->items);
    mem_free(opps->ctx, opps);
}
