/* dive.c - deep dives: each customer's censored figures (repeat within D days,
 * orders, revenue and profit within 365 days, refunds, post-delivery NPS),
 * summed per group of one grouping, each group tested against the rest and
 * BH-corrected per metric. Invariant: rest = all - group, customer by customer.
 * The first-order value adjustment (strata, fitted figures) is in dive_adjust.c. */
#include "analysis/dive.h"
#include "analysis/profit.h"
#include "analysis/stats.h"
#include "base/ctx.h"
#include "core/customers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIVE_YEAR_DAYS 365

/* ---- names ------------------------------------------------------------------ */

static const char *const by_names[CVO_DIVE_BY__COUNT] = {"product",  "category", "country",
                                                         "discount", "code",     "channel"};

const char *cvo_dive_by_name(cvo_dive_by by)
{
    return (unsigned)by < CVO_DIVE_BY__COUNT ? by_names[by] : "?";
}

const char *cvo_dive_direction_name(cvo_dive_direction direction)
{
    return direction == CVO_DIVE_HARMFUL ? "harmful" : "helpful";
}

bool cvo_dive_by_parse(const char *name, cvo_dive_by *out)
{
    for (int i = 0; name != NULL && i < CVO_DIVE_BY__COUNT; i++)
        if (strcmp(name, by_names[i]) == 0) {
            *out = (cvo_dive_by)i;
            return true;
        }
    return false;
}

const char *cvo_dive_metric_name(const cvo_dive *dive, cvo_dive_metric metric)
{
    static const char *const names[] = {"repeat", "orders_365d", "revenue_365d", "profit_365d",
                                        "nps_post"};
    if (metric == CVO_DIVE_REPEAT && dive != NULL)
        return dive->repeat_name;
    return (unsigned)metric < CVO_DIVE_METRIC__COUNT ? names[metric] : "?";
}

/* ---- one customer ------------------------------------------------------------- */

static void customer_figures(const cvo_customers *cs, size_t i, const int64_t *margins,
                             int64_t acquisition, const cvo_dive_info *info, const cvo_nps *nps,
                             dive_customer *f)
{
    memset(f, 0, sizeof *f);
    f->nps_class = -1;
    size_t n = 0;
    const cvo_order *o = cvo_customers_orders(cs, i, &n);
    if (n == 0 || o[0].day >= info->as_of_day)
        return;
    int32_t first = o[0].day, age = info->as_of_day - first;
    f->in_scope = true;
    f->first_value = (double)o[0].net_cents / 100;
    f->first_profit = (double)(margins[0] - acquisition) / 100;
    f->repeat_counts = age >= (int64_t)info->repeat_days;
    f->year_counts = age >= DIVE_YEAR_DAYS;
    int64_t revenue = 0, profit = -acquisition;
    for (size_t k = 0; k < n && o[k].day < info->as_of_day; k++) {
        int32_t since = o[k].day - first;
        f->repeated |= since > 0 && since < (int64_t)info->repeat_days;
        f->refund_cents += o[k].refund_cents;
        f->gross_cents += o[k].net_cents + o[k].refund_cents;
        if (o[k].delivered_day != INT32_MIN) {
            f->delivery_days += o[k].delivered_day - o[k].day;
            f->delivered_orders++;
        }
        if (since < DIVE_YEAR_DAYS) {
            f->orders += 1;
            revenue += o[k].net_cents;
            profit += margins[k];
        }
    }
    f->revenue = (double)revenue / 100;
    f->profit = (double)profit / 100;
    int score = nps ? cvo_nps_customer_post_delivery(nps, i) : -1;
    if (score >= 0)
        f->nps_class = (int)cvo_nps_class_of(score);
}

/* ---- sums per group ------------------------------------------------------------- */

typedef struct group_acc {
    uint64_t customers, repeat_n, repeat_x, pred_n;
    uint64_t nps[CVO_NPS_CLASS__COUNT]; /* by cvo_nps_class */
    stats_moments orders, revenue, profit;
    stats_xy strata[DIVE_ADJUSTED][DIVE_STRATA]; /* (first_value, metric) per quintile */
    double clv_sum, p_alive_sum;
    int64_t refund_cents, gross_cents;
    int64_t delivery_days, delivered_orders;
    size_t stamp;      /* customer index + 1 last added: one count per customer */
    const char *label; /* product name (arena), else NULL */
} group_acc;

static void acc_add(group_acc *g, const dive_customer *f, const cvo_customer_result *r)
{
    g->customers++;
    if (f->repeat_counts) {
        g->repeat_n++;
        g->repeat_x += f->repeated;
    }
    if (f->year_counts) {
        stats_moments_add(&g->orders, f->orders);
        stats_moments_add(&g->revenue, f->revenue);
        stats_moments_add(&g->profit, f->profit);
        const double y[DIVE_ADJUSTED] = {f->orders, f->revenue, f->profit};
        for (int k = 0; k < DIVE_ADJUSTED; k++)
            stats_xy_add(&g->strata[k][f->stratum], f->fitted[k], y[k]);
    }
    if (r != NULL && isfinite(r->predicted_clv) && isfinite(r->p_alive)) {
        g->pred_n++;
        g->clv_sum += r->predicted_clv;
        g->p_alive_sum += r->p_alive;
    }
    g->refund_cents += f->refund_cents;
    g->gross_cents += f->gross_cents;
    g->delivery_days += f->delivery_days;
    g->delivered_orders += f->delivered_orders;
    if (f->nps_class >= 0)
        g->nps[f->nps_class]++;
}

/* all - g for the figures the tests compare. */
static group_acc acc_minus(const group_acc *all, const group_acc *g)
{
    group_acc rest;
    memset(&rest, 0, sizeof rest);
    rest.customers = all->customers - g->customers;
    rest.repeat_n = all->repeat_n - g->repeat_n;
    rest.repeat_x = all->repeat_x - g->repeat_x;
    rest.orders = stats_moments_minus(&all->orders, &g->orders);
    rest.revenue = stats_moments_minus(&all->revenue, &g->revenue);
    rest.profit = stats_moments_minus(&all->profit, &g->profit);
    for (int c = 0; c < CVO_NPS_CLASS__COUNT; c++)
        rest.nps[c] = all->nps[c] - g->nps[c];
    for (int k = 0; k < DIVE_ADJUSTED; k++)
        for (int s = 0; s < DIVE_STRATA; s++)
            rest.strata[k][s] = stats_xy_minus(&all->strata[k][s], &g->strata[k][s]);
    return rest;
}

typedef struct dive_build {
    cvo_dive *dive;
    const cvo_customers *customers;
    const cvo_customer_result *results;
    const dive_customer *figures;
    group_acc *acc;
    size_t acc_cap;
    group_acc all;
} dive_build;

static cvo_status acc_grow(dive_build *b, size_t need)
{
    if (need <= b->acc_cap)
        return CVO_OK;
    size_t cap = b->acc_cap ? b->acc_cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    group_acc *grown = mem_realloc(b->dive->ctx, b->acc, cap * sizeof *grown);
    if (grown == NULL)
        return ctx_nomem(b->dive->ctx);
    memset(grown + b->acc_cap, 0, (cap - b->acc_cap) * sizeof *grown);
    b->acc = grown;
    b->acc_cap = cap;
    return CVO_OK;
}

/* Puts customer i into the group key (once, however often it is named). */
static cvo_status add_member(dive_build *b, const char *key, const char *label, size_t i)
{
    cvo_dive *d = b->dive;
    bool added = false;
    uint32_t id = intern_put(&d->keys, key, strlen(key), &added);
    if (id == INTERN_NONE)
        return ctx_nomem(d->ctx);
    CVO_TRY(acc_grow(b, (size_t)id + 1));
    group_acc *g = &b->acc[id];
    if (added && label != NULL) {
        g->label = arena_strndup(&d->labels, label, strlen(label));
        if (g->label == NULL)
            return ctx_nomem(d->ctx);
    }
    if (g->stamp == i + 1)
        return CVO_OK;
    g->stamp = i + 1;
    acc_add(g, &b->figures[i], b->results ? &b->results[i] : NULL);
    return CVO_OK;
}

static const char *or_unknown(const char *text)
{
    return text != NULL && text[0] ? text : "(unknown)";
}

/* The products or categories of customer i's first order. */
static cvo_status add_products(dive_build *b, const cvo_order *first, size_t i, bool category)
{
    size_t n = 0;
    const uint32_t *products = cvo_customers_order_products(b->customers, first, &n);
    for (size_t k = 0; k < n; k++) {
        const cvo_product *p = cvo_customers_product(b->customers, products[k]);
        if (p == NULL)
            continue;
        const char *key = p->sku[0] ? p->sku : p->name;
        if (category)
            CVO_TRY(add_member(b, or_unknown(p->category), NULL, i));
        else
            CVO_TRY(add_member(b, or_unknown(key), p->name[0] ? p->name : key, i));
    }
    return CVO_OK;
}

static cvo_status add_customer(dive_build *b, size_t i)
{
    const cvo_customer *c = cvo_customers_at(b->customers, i);
    size_t n = 0;
    const cvo_order *first = cvo_customers_orders(b->customers, i, &n);
    switch (b->dive->info.by) {
    case CVO_DIVE_PRODUCT: return add_products(b, first, i, false);
    case CVO_DIVE_CATEGORY: return add_products(b, first, i, true);
    case CVO_DIVE_COUNTRY: return add_member(b, or_unknown(c->country), NULL, i);
    case CVO_DIVE_CHANNEL: return add_member(b, or_unknown(c->channel), NULL, i);
    case CVO_DIVE_DISCOUNT: return add_member(b, first->has_code ? "code" : "full_price", NULL, i);
    default:
        if (!first->has_code)
            return CVO_OK;
        const char *code = cvo_customers_code(b->customers, first->code);
        return add_member(b, code[0] ? code : "(unnamed)", NULL, i);
    }
}

static cvo_status add_all(dive_build *b)
{
    const dive_customer *f = b->figures;
    memset(&b->all, 0, sizeof b->all);
    for (size_t i = 0; i < b->customers->count; i++) {
        if (!f[i].in_scope)
            continue;
        acc_add(&b->all, &f[i], b->results ? &b->results[i] : NULL);
        CVO_TRY(add_customer(b, i));
    }
    return CVO_OK;
}

/* ---- rows ------------------------------------------------------------------------- */

static double ratio(double part, double whole)
{
    return whole > 0 ? part / whole : NAN;
}

static double mean_of(const stats_moments *m)
{
    return m->n > 0 ? m->mean : NAN;
}

static double nps_of(const uint64_t c[CVO_NPS_CLASS__COUNT])
{
    double n = (double)(c[0] + c[1] + c[2]);
    return n > 0 ? 100 * ((double)c[CVO_NPS_PROMOTER] - (double)c[CVO_NPS_DETRACTOR]) / n : NAN;
}

static const stats_moments *moments_of(const group_acc *g, cvo_dive_metric m)
{
    return m == CVO_DIVE_ORDERS ? &g->orders : m == CVO_DIVE_REVENUE ? &g->revenue : &g->profit;
}

/* The group's count and value and the rest's value for one metric into row;
 * returns how many of the rest count for it. */
static uint64_t metric_values(const group_acc *g, const group_acc *r, cvo_dive_metric m,
                              cvo_dive_row *row)
{
    if (m == CVO_DIVE_REPEAT) {
        row->customers = g->repeat_n;
        row->value = ratio((double)g->repeat_x, (double)g->repeat_n);
        row->rest_value = ratio((double)r->repeat_x, (double)r->repeat_n);
        return r->repeat_n;
    }
    if (m == CVO_DIVE_NPS) {
        row->customers = g->nps[0] + g->nps[1] + g->nps[2];
        row->value = nps_of(g->nps);
        row->rest_value = nps_of(r->nps);
        return r->nps[0] + r->nps[1] + r->nps[2];
    }
    row->customers = (uint64_t)moments_of(g, m)->n;
    row->value = mean_of(moments_of(g, m));
    row->rest_value = mean_of(moments_of(r, m));
    return (uint64_t)moments_of(r, m)->n;
}

/* The test of one metric, group against rest (ok false when either side is
 * below min_group). */
static stats_test metric_test(const group_acc *g, const group_acc *r, cvo_dive_metric m,
                              const cvo_dive_info *info, cvo_dive_row *row)
{
    uint64_t rest_n = metric_values(g, r, m, row);
    stats_test t = {0};
    if (row->customers < info->min_group || rest_n < info->min_group)
        return t;
    if (m == CVO_DIVE_REPEAT)
        return stats_two_proportions(g->repeat_x, g->repeat_n, r->repeat_x, r->repeat_n,
                                     info->alpha);
    if (m == CVO_DIVE_NPS) {
        const uint64_t a[3] = {g->nps[CVO_NPS_PROMOTER], g->nps[CVO_NPS_PASSIVE],
                               g->nps[CVO_NPS_DETRACTOR]};
        const uint64_t b[3] = {r->nps[CVO_NPS_PROMOTER], r->nps[CVO_NPS_PASSIVE],
                               r->nps[CVO_NPS_DETRACTOR]};
        return stats_nps_difference(a, b, info->alpha);
    }
    return stats_pooled_t(moments_of(g, m), moments_of(r, m), info->alpha);
}

/* The first-order-value adjusted test of a tested orders, revenue or profit row. */
static void adjusted_fill(cvo_dive_row *row, const group_acc *g, const group_acc *rest,
                          const cvo_dive_info *info)
{
    int k = (int)row->metric - CVO_DIVE_ORDERS;
    stats_test t = {0};
    if (row->tested && k >= 0 && k < DIVE_ADJUSTED)
        t = stats_stratified_ancova(g->strata[k], rest->strata[k], DIVE_STRATA, info->alpha);
    row->adj_tested = t.ok;
    row->adj_diff = t.ok ? t.diff : NAN;
    row->adj_ci_low = t.ok ? t.ci_low : NAN;
    row->adj_ci_high = t.ok ? t.ci_high : NAN;
    row->adj_p = t.ok ? t.p_value : NAN;
    row->adj_q = NAN;
}

static void row_fill(cvo_dive_row *row, const group_acc *g, const group_acc *rest,
                     cvo_dive_metric m, const cvo_dive_info *info)
{
    row->metric = m;
    stats_test t = metric_test(g, rest, m, info, row);
    row->tested = t.ok;
    row->diff = row->value - row->rest_value; /* NaN when either is */
    row->ci_low = t.ok ? t.ci_low : NAN;
    row->ci_high = t.ok ? t.ci_high : NAN;
    row->p_value = t.ok ? t.p_value : NAN;
    row->q_value = NAN;
    row->direction = row->diff < 0 ? CVO_DIVE_HARMFUL : CVO_DIVE_HELPFUL;
    adjusted_fill(row, g, rest, info);
}

/* BH of the adjusted tests of metric m across the groups (p, q, order: scratch). */
static void correct_adjusted(cvo_dive *d, size_t metrics, size_t m, double *p, double *q,
                             size_t *order)
{
    size_t groups = d->group_count;
    for (size_t g = 0; g < groups; g++)
        p[g] = d->rows[g * metrics + m].adj_p;
    stats_bh(p, groups, q, order);
    for (size_t g = 0; g < groups; g++) {
        cvo_dive_row *row = &d->rows[g * metrics + m];
        row->adj_q = q[g];
        row->adj_significant = row->adj_tested && q[g] < d->info.fdr;
        d->info.adj_tests += row->adj_tested;
        d->info.adj_significant += row->adj_significant;
    }
}

/* BH per metric across the groups; significance and the counts. */
static cvo_status correct(cvo_dive *d, size_t metrics)
{
    size_t groups = d->group_count;
    double *p = mem_array(d->ctx, groups ? groups : 1, sizeof *p);
    double *q = mem_array(d->ctx, groups ? groups : 1, sizeof *q);
    size_t *order = mem_array(d->ctx, groups ? groups : 1, sizeof *order);
    cvo_status status = p && q && order ? CVO_OK : ctx_nomem(d->ctx);
    for (size_t m = 0; status == CVO_OK && m < metrics; m++) {
        for (size_t g = 0; g < groups; g++)
            p[g] = d->rows[g * metrics + m].p_value;
        stats_bh(p, groups, q, order);
        for (size_t g = 0; g < groups; g++) {
            cvo_dive_row *row = &d->rows[g * metrics + m];
            row->q_value = q[g];
            row->significant = row->tested && q[g] < d->info.fdr;
            d->info.tests += row->tested;
            d->info.significant += row->significant;
        }
        correct_adjusted(d, metrics, m, p, q, order);
    }
    mem_free(d->ctx, p);
    mem_free(d->ctx, q);
    mem_free(d->ctx, order);
    return status;
}

/* ---- groups ------------------------------------------------------------------------ */

static void group_fill(cvo_dive_group *out, const group_acc *g, const char *key, uint64_t min)
{
    out->key = key;
    out->label = g->label ? g->label : key;
    out->customers = g->customers;
    out->repeat_customers = g->repeat_n;
    out->year_customers = (uint64_t)g->orders.n;
    out->nps_customers = g->nps[0] + g->nps[1] + g->nps[2];
    out->repeat_rate = ratio((double)g->repeat_x, (double)g->repeat_n);
    out->mean_orders = mean_of(&g->orders);
    out->mean_revenue = mean_of(&g->revenue);
    out->mean_profit = mean_of(&g->profit);
    out->mean_clv = ratio(g->clv_sum, (double)g->pred_n);
    out->mean_p_alive = ratio(g->p_alive_sum, (double)g->pred_n);
    out->refund_rate = ratio((double)g->refund_cents, (double)g->gross_cents);
    out->mean_delivery_days = ratio((double)g->delivery_days, (double)g->delivered_orders);
    out->nps = nps_of(g->nps);
    out->small = g->customers < min;
}

typedef struct group_order {
    uint64_t customers;
    const char *key;
    uint32_t id;
} group_order;

static int by_size_then_key(const void *x, const void *y)
{
    const group_order *a = x, *b = y;
    if (a->customers != b->customers)
        return a->customers > b->customers ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* The groups, most customers first, and their rows. */
static cvo_status make_rows(dive_build *b)
{
    cvo_dive *d = b->dive;
    size_t n = d->keys.count, metrics = d->info.has_nps ? CVO_DIVE_METRIC__COUNT : CVO_DIVE_NPS;
    group_order *order = mem_array(d->ctx, n ? n : 1, sizeof *order);
    d->groups = mem_zarray(d->ctx, n ? n : 1, sizeof *d->groups);
    d->rows = mem_zarray(d->ctx, n ? n * metrics : 1, sizeof *d->rows);
    if (order == NULL || d->groups == NULL || d->rows == NULL) {
        mem_free(d->ctx, order);
        return ctx_nomem(d->ctx);
    }
    for (size_t i = 0; i < n; i++)
        order[i] =
            (group_order){b->acc[i].customers, intern_at(&d->keys, (uint32_t)i), (uint32_t)i};
    qsort(order, n, sizeof *order, by_size_then_key);
    d->group_count = n;
    d->row_count = n * metrics;
    for (size_t g = 0; g < n; g++) {
        const group_acc *acc = &b->acc[order[g].id];
        group_acc rest = acc_minus(&b->all, acc);
        group_fill(&d->groups[g], acc, order[g].key, d->info.min_group);
        for (size_t m = 0; m < metrics; m++) {
            cvo_dive_row *row = &d->rows[g * metrics + m];
            row->grouping = d->info.by;
            row->key = order[g].key;
            row->group = g;
            row_fill(row, acc, &rest, (cvo_dive_metric)m, &d->info);
        }
    }
    mem_free(d->ctx, order);
    return correct(d, metrics);
}

/* ---- the object ------------------------------------------------------------------------ */

/* The settings every grouping shares: [dive] keys, as_of and what was given. */
static cvo_dive_info settings_of(const dive_input *in)
{
    const cvo_config *c = in->config;
    double min = cvo_config_number(c, "dive", "min_group");
    double days = cvo_config_number(c, "dive", "repeat_days");
    double alpha = cvo_config_number(c, "dive", "alpha");
    double fdr = cvo_config_number(c, "dive", "fdr");
    cvo_dive_info info;
    memset(&info, 0, sizeof info);
    info.as_of_day = in->as_of_day;
    info.min_group = isfinite(min) && min >= 1 ? (uint64_t)min : 30;
    info.repeat_days = isfinite(days) && days >= 1 ? (uint32_t)days : 180;
    info.alpha = isfinite(alpha) && alpha > 0 && alpha < 1 ? alpha : 0.05;
    info.fdr = isfinite(fdr) && fdr > 0 && fdr < 1 ? fdr : 0.05;
    info.has_nps = in->nps != NULL;
    return info;
}

static cvo_status figures_all(cvo_ctx *ctx, dive_input *in)
{
    const cvo_customers *cs = in->customers;
    cvo_dive_info info = settings_of(in);
    profit_margins own = {NULL, NULL};
    const profit_margins *m = in->margins ? in->margins : &own;
    in->figures = mem_array(ctx, cs->count ? cs->count : 1, sizeof *in->figures);
    cvo_status status = in->figures ? CVO_OK : ctx_nomem(ctx);
    if (status == CVO_OK && in->margins == NULL)
        status = profit_margins_compute(ctx, cs, in->config, &own);
    in->in_scope = 0;
    for (size_t i = 0; status == CVO_OK && i < cs->count; i++) {
        customer_figures(cs, i, m->order + cs->order_start[i], m->acquisition[i], &info, in->nps,
                         &in->figures[i]);
        in->in_scope += in->figures[i].in_scope;
    }
    profit_margins_free(ctx, &own);
    if (status == CVO_OK)
        status = dive_stratify(ctx, in);
    if (status == CVO_OK)
        status = dive_fit_cells(ctx, in);
    return status;
}

static cvo_status dive_new(cvo_ctx *ctx, const dive_input *in, cvo_dive_by by, cvo_dive **out)
{
    cvo_dive *d = mem_zarray(ctx, 1, sizeof *d);
    *out = d;
    if (d == NULL)
        return ctx_nomem(ctx);
    d->ctx = ctx;
    d->info = settings_of(in);
    d->info.by = by;
    d->info.customers = in->in_scope;
    memcpy(d->info.value_cuts, in->value_cuts, sizeof d->info.value_cuts);
    snprintf(d->repeat_name, sizeof d->repeat_name, "repeat_%ud", (unsigned)d->info.repeat_days);
    intern_init(&d->keys, ctx);
    arena_init(&d->labels, ctx);
    return CVO_OK;
}

/* One grouping over figures already computed; *out NULL on failure. */
static cvo_status dive_one(cvo_ctx *ctx, const dive_input *in, cvo_dive_by by, cvo_dive **out)
{
    dive_build b;
    memset(&b, 0, sizeof b);
    b.customers = in->customers;
    b.results = in->results;
    b.figures = in->figures;
    cvo_status status = dive_new(ctx, in, by, &b.dive);
    if (status == CVO_OK)
        status = add_all(&b);
    if (status == CVO_OK) {
        b.dive->info.has_predictions = b.all.pred_n > 0;
        status = make_rows(&b);
    }
    mem_free(ctx, b.acc);
    *out = status == CVO_OK ? b.dive : NULL;
    if (status != CVO_OK)
        cvo_dive_free(b.dive);
    return status;
}

static cvo_status check_input(cvo_ctx *ctx, const dive_input *in)
{
    if (in->customers == NULL || in->config == NULL || in->customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "a deep dive needs a table loaded with its orders");
    return CVO_OK;
}

cvo_status cvo_dive_compute(cvo_ctx *ctx, const cvo_customers *customers, const cvo_config *config,
                            int32_t as_of_day, const cvo_customer_result *results,
                            const cvo_nps *nps, cvo_dive_by by, cvo_dive **out)
{
    *out = NULL;
    dive_input in = {customers, config, as_of_day, results, nps, NULL, NULL, 0, {0}};
    CVO_TRY(check_input(ctx, &in));
    if ((unsigned)by >= CVO_DIVE_BY__COUNT)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "unknown deep-dive grouping %d", (int)by);
    cvo_status status = figures_all(ctx, &in);
    if (status == CVO_OK)
        status = dive_one(ctx, &in, by, out);
    mem_free(ctx, in.figures);
    return status;
}

cvo_status dive_compute_all(cvo_ctx *ctx, const dive_input *given,
                            cvo_dive *out[CVO_DIVE_BY__COUNT])
{
    dive_input in = *given;
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++)
        out[by] = NULL;
    CVO_TRY(check_input(ctx, &in));
    cvo_status status = figures_all(ctx, &in);
    for (int by = 0; status == CVO_OK && by < CVO_DIVE_BY__COUNT; by++)
        status = dive_one(ctx, &in, (cvo_dive_by)by, &out[by]);
    mem_free(ctx, in.figures);
    if (status != CVO_OK)
        for (int by = 0; by < CVO_DIVE_BY__COUNT; by++) {
            cvo_dive_free(out[by]);
            out[by] = NULL;
        }
    return status;
}

/* ---- accessors ------------------------------------------------------------------------- */

const cvo_dive_info *cvo_dive_info_of(const cvo_dive *dive)
{
    return &dive->info;
}

const cvo_dive_group *cvo_dive_groups(const cvo_dive *dive, size_t *count)
{
    *count = dive->group_count;
    return dive->groups;
}

const cvo_dive_row *cvo_dive_rows(const cvo_dive *dive, size_t *count)
{
    *count = dive->row_count;
    return dive->rows;
}

/* |diff| relative to the rest's figure (NPS and zero rests: absolute). */
static double effect(const cvo_dive_row *r)
{
    double base = fabs(r->rest_value);
    return r->metric == CVO_DIVE_NPS || !(base > 0) ? fabs(r->diff) : fabs(r->diff) / base;
}

static int most_convincing_first(const void *x, const void *y)
{
    const cvo_dive_row *a = *(const cvo_dive_row *const *)x, *b = *(const cvo_dive_row *const *)y;
    if (a->q_value != b->q_value)
        return a->q_value < b->q_value ? -1 : 1;
    if (a->p_value != b->p_value)
        return a->p_value < b->p_value ? -1 : 1;
    if (effect(a) != effect(b))
        return effect(a) > effect(b) ? -1 : 1;
    int by_key = strcmp(a->key, b->key);
    return by_key ? by_key : (int)a->metric - (int)b->metric;
}

size_t cvo_dive_rank(const cvo_dive *dive, cvo_dive_direction direction, const cvo_dive_row **out,
                     size_t cap)
{
    size_t kept = 0; /* out[0..kept) stays ranked: insertion of each candidate */
    for (size_t i = 0; i < dive->row_count; i++) {
        const cvo_dive_row *row = &dive->rows[i];
        if (!row->tested || row->direction != direction)
            continue;
        size_t at = kept < cap ? kept : cap;
        while (at > 0 && most_convincing_first(&row, &out[at - 1]) < 0)
            at--;
        if (at == cap)
            continue;
        size_t end = kept < cap ? kept : cap - 1;
        memmove(out + at + 1, out + at, (end - at) * sizeof *out);
        out[at] = row;
        kept += kept < cap;
    }
    return kept;
}

void cvo_dive_free(cvo_dive *dive)
{
    if (dive == NULL)
        return;
    intern_free(&dive->keys);
    arena_release(&dive->labels);
    mem_free(dive->ctx, dive->groups);
    mem_free(dive->ctx, dive->rows);
    mem_free(dive->ctx, dive);
}
