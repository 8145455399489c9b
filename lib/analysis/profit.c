/* profit.c - contribution margin per order, profit per customer and segment,
 * orders to break even, and predicted profit (BG/NBD x Gamma-Gamma on margins).
 * Invariant: amounts are integer cents and rates parts per million, so sums are exact. */
#include "analysis/profit.h"
#include "base/ctx.h"
#include "core/customers.h"
#include "core/rfm.h"
#include "core/scheme.h"
#include "core/summary.h"
#include "io/money.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define PPM 1000000

typedef struct channel_cost {
    const char *name; /* into the configuration's text, not NUL-terminated */
    size_t len;
    int64_t cents;
} channel_cost;

/* The [profit] keys, read once. */
typedef struct profit_params {
    int64_t fee_ppm, fee_fixed_cents;
    int64_t cost_ppm; /* cost of goods per unit of revenue whose cost is unknown */
    int64_t default_acquisition_cents;
    int64_t default_shipping_cents; /* orders whose file gives no shipping cost */
    channel_cost *channels;
    size_t channel_count;
} profit_params;

struct cvo_profit {
    cvo_ctx *ctx;
    cvo_profit_row *rows;
    size_t count;
    cvo_profit_segment *segments;
    size_t segment_count;
    cvo_profit_totals totals;
    char note[768];
};

/* What the models need of each customer beyond the row. */
typedef struct repeat_margin {
    int64_t cents;         /* margin of the orders after the first order day */
    double mean_cents;     /* cents / repeat occasions; 0 without repeat */
} repeat_margin;

/* ---- money ---------------------------------------------------------------- */

/* round(cents x ppm / 1e6), half away from zero; exact (no overflow) because
 * the whole millions are multiplied apart from the remainder. */
static int64_t apply_ppm(int64_t cents, int64_t ppm)
{
    int64_t whole = cents / PPM, rest = cents % PPM;
    int64_t scaled = rest * ppm;
    return whole * ppm + (scaled + (scaled >= 0 ? PPM / 2 : -PPM / 2)) / PPM;
}

static int64_t to_ppm(double share)
{
    return (int64_t)llround(share * PPM);
}

static int64_t to_cents(double units)
{
    return (int64_t)llround(units * 100);
}

typedef struct order_money {
    int64_t cogs, shipping, fee, margin;
} order_money;

/* Revenue of the order whose cost is unknown. An order-level refund can take
 * net below the costed lines' revenue: then nothing is uncosted (never < 0). */
static int64_t uncosted_cents(const cvo_order *o)
{
    return o->net_cents > o->costed_cents ? o->net_cents - o->costed_cents : 0;
}

static order_money order_margin(const profit_params *p, const cvo_order *o)
{
    order_money m;
    m.cogs = o->cogs_cents + apply_ppm(uncosted_cents(o), p->cost_ppm);
    m.fee = apply_ppm(o->net_cents, p->fee_ppm) + p->fee_fixed_cents;
    m.shipping = o->shipping_known ? o->shipping_cents : p->default_shipping_cents;
    m.margin = o->net_cents - m.cogs - m.shipping - m.fee;
    return m;
}

/* ---- the [profit] keys ------------------------------------------------------ */

static cvo_status bad_item(cvo_ctx *ctx, const char *item, size_t len, const char *why)
{
    return ctx_fail(ctx, CVO_ERR_CONFIG,
                    "profit.acquisition_cost: '%.*s' %s (items are channel:amount, e.g. "
                    "paid_social:25)",
                    (int)(len > 80 ? 80 : len), item, why);
}

static bool channel_known(const profit_params *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->channel_count; i++)
        if (p->channels[i].len == len && memcmp(p->channels[i].name, name, len) == 0)
            return true;
    return false;
}

/* Parses one trimmed "channel:amount" item into the next channel slot. */
static cvo_status parse_item(cvo_ctx *ctx, profit_params *p, const char *item, size_t len)
{
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (item[i] == ':')
            colon = item + i;
    if (colon == NULL)
        return bad_item(ctx, item, len, "has no ':'");
    const char *name = item, *amount = colon + 1;
    size_t name_len = (size_t)(colon - item), amount_len = len - name_len - 1;
    scheme_trim(&name, &name_len);
    int64_t e4 = 0;
    if (name_len == 0)
        return bad_item(ctx, item, len, "names no channel");
    if (money_parse(amount, amount_len, false, &e4) != MONEY_OK || e4 < 0)
        return bad_item(ctx, item, len, "has no amount >= 0");
    if (channel_known(p, name, name_len))
        return bad_item(ctx, item, len, "names a channel twice");
    p->channels[p->channel_count++] = (channel_cost){name, name_len, money_e4_to_cents(e4)};
    return CVO_OK;
}

/* Reads the acquisition list (already trimmed and comma-joined by the config). */
static cvo_status parse_channels(cvo_ctx *ctx, profit_params *p, const char *list)
{
    size_t items = list[0] ? 1 : 0;
    for (const char *c = list; *c; c++)
        items += *c == ',';
    p->channels = mem_array(ctx, items ? items : 1, sizeof *p->channels);
    if (p->channels == NULL)
        return ctx_nomem(ctx);
    while (*list) {
        const char *comma = strchr(list, ',');
        size_t len = comma ? (size_t)(comma - list) : strlen(list);
        CVO_TRY(parse_item(ctx, p, list, len));
        list += len + (comma != NULL);
    }
    return CVO_OK;
}

static cvo_status params_read(cvo_ctx *ctx, const cvo_config *c, profit_params *p)
{
    memset(p, 0, sizeof *p);
    p->fee_ppm = to_ppm(cvo_config_number(c, "profit", "payment_fee_percent"));
    p->fee_fixed_cents = to_cents(cvo_config_number(c, "profit", "payment_fee_fixed"));
    p->cost_ppm = PPM - to_ppm(cvo_config_number(c, "profit", "default_margin"));
    p->default_acquisition_cents =
        to_cents(cvo_config_number(c, "profit", "default_acquisition_cost"));
    p->default_shipping_cents = to_cents(cvo_config_number(c, "profit", "shipping_cost"));
    const char *list = cvo_config_text(c, "profit", "acquisition_cost");
    return parse_channels(ctx, p, list ? list : "");
}

static int64_t acquisition_of(const profit_params *p, const char *channel)
{
    size_t len = strlen(channel);
    for (size_t i = 0; i < p->channel_count; i++)
        if (p->channels[i].len == len && memcmp(p->channels[i].name, channel, len) == 0)
            return p->channels[i].cents;
    return p->default_acquisition_cents;
}

/* ---- one customer ------------------------------------------------------------ */

/* ceil(acquisition / (margin / orders)), the orders it takes at the mean
 * margin per order; 0 (never) when that mean is not positive. */
static uint32_t expected_break_even(int64_t acquisition, int64_t margin, uint32_t orders)
{
    if (margin <= 0 || orders == 0)
        return 0;
    if (acquisition > INT64_MAX / orders) {
        double need = ceil((double)acquisition * orders / (double)margin);
        return need >= UINT32_MAX ? UINT32_MAX : (uint32_t)need;
    }
    int64_t product = acquisition * orders;
    int64_t need = product / margin + (product % margin != 0);
    return need >= UINT32_MAX ? UINT32_MAX : (uint32_t)need;
}

static void add_order(cvo_profit_row *row, const cvo_order *o, const order_money *m)
{
    row->orders++;
    row->revenue_cents += o->net_cents;
    row->cogs_cents += m->cogs;
    row->shipping_cents += m->shipping;
    row->fee_cents += m->fee;
    row->margin_cents += m->margin;
    row->code_orders += o->has_code;
    row->discount_cents += o->discount_cents;
}

static void add_sources(cvo_profit_totals *t, const cvo_order *o)
{
    t->cost_from_line_cents += o->cost_from_line_cents;
    t->cost_from_products_cents += o->costed_cents - o->cost_from_line_cents;
    t->cost_by_default_cents += uncosted_cents(o);
}

/* Walks one customer's orders (by day): the row, the break-even order and
 * the repeat margin (orders after the first order day, as the summary's
 * repeat occasions are the days after the first). */
static void customer_walk(const profit_params *p, const cvo_customer *c, const cvo_order *orders,
                          size_t n, cvo_profit_row *row, repeat_margin *repeat,
                          cvo_profit_totals *t)
{
    memset(row, 0, sizeof *row);
    row->expected_orders = NAN; /* until a prediction says otherwise */
    row->acquisition_cents = acquisition_of(p, c->channel ? c->channel : "");
    int64_t cumulative = -row->acquisition_cents;
    uint32_t repeat_days = 0;
    repeat->cents = 0;
    for (size_t k = 0; k < n; k++) {
        order_money m = order_margin(p, &orders[k]);
        add_order(row, &orders[k], &m);
        add_sources(t, &orders[k]);
        cumulative += m.margin;
        if (!row->break_even_reached && cumulative >= 0) {
            row->break_even_reached = true;
            row->break_even_orders = (uint32_t)(k + 1);
        }
        if (k > 0 && orders[k].day > orders[0].day) {
            repeat->cents += m.margin;
            repeat_days += orders[k].day != orders[k - 1].day;
        }
    }
    repeat->mean_cents = repeat_days ? (double)repeat->cents / repeat_days : 0;
    row->profit_cents = row->margin_cents - row->acquisition_cents;
    row->profitable = row->profit_cents > 0;
    row->code_share = row->orders ? (double)row->code_orders / row->orders : 0;
    if (!row->break_even_reached)
        row->break_even_orders =
            expected_break_even(row->acquisition_cents, row->margin_cents, row->orders);
}

static void add_row(cvo_profit_totals *t, const cvo_profit_row *row)
{
    t->customers++;
    t->orders += row->orders;
    t->unprofitable += !row->profitable;
    t->revenue_cents += row->revenue_cents;
    t->cogs_cents += row->cogs_cents;
    t->shipping_cents += row->shipping_cents;
    t->fee_cents += row->fee_cents;
    t->margin_cents += row->margin_cents;
    t->acquisition_cents += row->acquisition_cents;
    t->profit_cents += row->profit_cents;
    t->discount_cents += row->discount_cents;
}

static double share(int64_t part, int64_t whole)
{
    return whole > 0 ? (double)part / (double)whole : 0;
}

static void finish_totals(cvo_profit_totals *t)
{
    /* over the three sources, which equal revenue unless order-level refunds
     * took back costed revenue: the shares always add up to 1 */
    int64_t costed = t->cost_from_line_cents + t->cost_from_products_cents +
                     t->cost_by_default_cents;
    t->from_line_share = share(t->cost_from_line_cents, costed);
    t->from_products_share = share(t->cost_from_products_cents, costed);
    t->by_default_share = share(t->cost_by_default_cents, costed);
    t->mean_margin_cents =
        t->orders ? (int64_t)llround((double)t->margin_cents / (double)t->orders) : 0;
}

static void walk_all(cvo_profit *pr, const cvo_customers *customers, const profit_params *p,
                     repeat_margin *repeat)
{
    memset(&pr->totals, 0, sizeof pr->totals);
    for (size_t i = 0; i < customers->count; i++) {
        size_t n = 0;
        const cvo_order *orders = cvo_customers_orders(customers, i, &n);
        customer_walk(p, &customers->rows[i], orders, n, &pr->rows[i], &repeat[i], &pr->totals);
        add_row(&pr->totals, &pr->rows[i]);
    }
    finish_totals(&pr->totals);
}

/* ---- predictions ------------------------------------------------------------ */

static void add_note(cvo_profit *pr, const char *what, const cvo_ctx *ctx, const cvo_fit *fit)
{
    const char *why = fit && fit->note[0] ? fit->note : ctx ? cvo_ctx_message(ctx) : "";
    size_t used = strlen(pr->note);
    snprintf(pr->note + used, sizeof pr->note - used, "%s%s %s", used ? " " : "", what,
             why && why[0] ? why : "the fit did not converge.");
}

static cvo_period config_period(const cvo_config *c)
{
    const char *p = cvo_config_text(c, "model", "period");
    if (p && strcmp(p, "day") == 0)
        return CVO_PERIOD_DAY;
    return p && strcmp(p, "month") == 0 ? CVO_PERIOD_MONTH : CVO_PERIOD_WEEK;
}

/* The customers' summary up to the as-of day, m_x the mean repeat margin in
 * currency units; NULL with a note when it cannot be built. */
static cvo_status margin_summary(cvo_profit *pr, const cvo_customers *customers,
                                 const cvo_config *config, int32_t as_of,
                                 const repeat_margin *repeat, cvo_summary **out)
{
    cvo_summary_options o;
    cvo_summary_options_init(&o);
    o.period = config_period(config);
    o.as_of_day = as_of;
    cvo_status status = cvo_summary_from_orders(pr->ctx, customers, &o, out);
    if (status == CVO_OK && (*out)->count != customers->count) {
        cvo_summary_free(*out);
        *out = NULL;
        return ctx_fail(pr->ctx, CVO_ERR_INTERNAL, "summary and customer table disagree");
    }
    if (status != CVO_OK) {
        add_note(pr, "No predicted profit: the customers could not be summarised:", pr->ctx, NULL);
        return status == CVO_ERR_NOMEM ? status : CVO_OK;
    }
    for (size_t i = 0; i < customers->count; i++)
        (*out)->rows[i].m_x = (*out)->rows[i].x > 0 ? repeat[i].mean_cents / 100 : 0;
    return CVO_OK;
}

/* Expected orders over the horizon from a BG/NBD fit into expected[]. */
static cvo_status fit_purchases(cvo_profit *pr, const cvo_summary *s, const cvo_config *config,
                                double *expected)
{
    cvo_fit fit;
    cvo_status status = cvo_model_fit(pr->ctx, CVO_MODEL_BGNBD, s, NULL, &fit);
    if (status != CVO_OK || !fit.converged) {
        add_note(pr, "No predicted profit: the purchase model (BG/NBD) could not be fitted:",
                 pr->ctx, status == CVO_OK ? &fit : NULL);
        return status == CVO_ERR_NOMEM ? status : CVO_OK;
    }
    double horizon = cvo_config_number(config, "model", "horizon_months") * 365.25 / 12 /
                     cvo_summary_period_days(s);
    for (size_t i = 0; i < s->count; i++) {
        const cvo_summary_row *r = &s->rows[i];
        expected[i] = cvo_fit_expected(&fit, r->x, r->t_x, r->T, horizon);
    }
    return CVO_OK;
}

/* Gamma-Gamma on the positive mean repeat margins; false with a note when it
 * cannot be used (no positive repeaters, no convergence, or q <= 1: no mean). */
static cvo_status fit_margins(cvo_profit *pr, const cvo_summary *s, cvo_fit *fit, bool *ok)
{
    cvo_status status = cvo_model_fit(pr->ctx, CVO_MODEL_GG, s, NULL, fit);
    *ok = status == CVO_OK && fit->converged && fit->params[1] > 1;
    if (!*ok)
        add_note(pr,
                 "Margins per future order use each customer's own mean (one-time buyers: the "
                 "mean of all orders): Gamma-Gamma on margins could not be fitted:",
                 pr->ctx, status == CVO_OK ? fit : NULL);
    return status == CVO_ERR_NOMEM ? status : CVO_OK;
}

/* The margin per future order in cents, and where it comes from. */
static double future_margin(const cvo_profit *pr, const cvo_fit *gg, bool gg_ok,
                            const cvo_summary_row *r, const repeat_margin *repeat,
                            cvo_margin_source *source)
{
    if (gg_ok && (r->x == 0 || r->m_x > 0)) {
        *source = CVO_MARGIN_SPEND_MODEL;
        return 100 * cvo_fit_spend(gg, r->x, r->m_x);
    }
    if (r->x > 0) {
        *source = CVO_MARGIN_OWN;
        return repeat->mean_cents;
    }
    *source = CVO_MARGIN_POPULATION;
    return pr->totals.orders ? (double)pr->totals.margin_cents / (double)pr->totals.orders : 0;
}

static void predict_rows(cvo_profit *pr, const cvo_summary *s, const double *expected,
                         const cvo_fit *gg, bool gg_ok, const repeat_margin *repeat)
{
    for (size_t i = 0; i < pr->count; i++) {
        cvo_profit_row *row = &pr->rows[i];
        row->expected_orders = expected[i];
        double margin = future_margin(pr, gg, gg_ok, &s->rows[i], &repeat[i], &row->margin_source);
        row->has_prediction = isfinite(expected[i]) && isfinite(margin);
        if (!row->has_prediction)
            continue;
        row->margin_per_order_cents = (int64_t)llround(margin);
        row->predicted_profit_cents = (int64_t)llround(expected[i] * margin);
        pr->totals.predicted_profit_cents += row->predicted_profit_cents;
        pr->totals.purchase_model = true;
    }
}

static cvo_status predict(cvo_profit *pr, const cvo_customers *customers, const cvo_config *config,
                          int32_t as_of, const double *given, const repeat_margin *repeat)
{
    cvo_summary *s = NULL;
    double *expected = mem_array(pr->ctx, pr->count ? pr->count : 1, sizeof *expected);
    if (expected == NULL)
        return ctx_nomem(pr->ctx);
    for (size_t i = 0; i < pr->count; i++)
        expected[i] = given ? given[i] : NAN;
    cvo_status status = margin_summary(pr, customers, config, as_of, repeat, &s);
    if (status == CVO_OK && s != NULL && given == NULL)
        status = fit_purchases(pr, s, config, expected);
    cvo_fit gg;
    bool gg_ok = false;
    if (status == CVO_OK && s != NULL)
        status = fit_margins(pr, s, &gg, &gg_ok);
    if (status == CVO_OK && s != NULL)
        predict_rows(pr, s, expected, &gg, gg_ok, repeat);
    pr->totals.spend_model = gg_ok;
    mem_free(pr->ctx, expected);
    cvo_summary_free(s);
    return status;
}

/* ---- segments ------------------------------------------------------------------ */

static void segments_fill(cvo_profit *pr, const cvo_rfm *rfm, const cvo_scheme *scheme)
{
    for (size_t k = 0; k < pr->segment_count; k++)
        pr->segments[k].name = cvo_scheme_segment_name(scheme, k);
    for (size_t i = 0; i < pr->count; i++) {
        const cvo_profit_row *row = &pr->rows[i];
        cvo_profit_segment *seg = &pr->segments[rfm->scores[i].segment];
        seg->customers++;
        seg->revenue_cents += row->revenue_cents;
        seg->profit_cents += row->profit_cents;
        seg->unprofitable += !row->profitable;
        seg->predicted_profit_cents += row->has_prediction ? row->predicted_profit_cents : 0;
    }
    const cvo_profit_totals *t = &pr->totals;
    for (size_t k = 0; k < pr->segment_count; k++) {
        cvo_profit_segment *seg = &pr->segments[k];
        seg->revenue_share = share(seg->revenue_cents, t->revenue_cents);
        seg->profit_share = share(seg->profit_cents, t->profit_cents);
        if (seg->customers == 0)
            continue;
        seg->mean_profit_cents = (int64_t)llround((double)seg->profit_cents / seg->customers);
        seg->unprofitable_share = (double)seg->unprofitable / seg->customers;
    }
}

/* ---- the object ------------------------------------------------------------------ */

static cvo_status check_inputs(cvo_ctx *ctx, const cvo_customers *customers, const cvo_rfm *rfm,
                               const cvo_scheme *scheme, const cvo_config *config)
{
    if (customers == NULL || config == NULL || rfm == NULL || scheme == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "profit needs the customers, scores, scheme "
                                               "and configuration");
    if (customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the customer table was loaded without orders");
    if (rfm->count != customers->count)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the scores are not of this customer table");
    for (size_t i = 0; i < rfm->count; i++)
        if (rfm->scores[i].segment >= cvo_scheme_segment_count(scheme))
            return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the scores are not of this scheme");
    return CVO_OK;
}

static cvo_status profit_new(cvo_ctx *ctx, size_t count, size_t segments, cvo_profit **out)
{
    cvo_profit *pr = mem_zarray(ctx, 1, sizeof *pr);
    if (pr == NULL)
        return ctx_nomem(ctx);
    pr->ctx = ctx;
    pr->count = count;
    pr->segment_count = segments;
    pr->rows = mem_zarray(ctx, count ? count : 1, sizeof *pr->rows);
    pr->segments = mem_zarray(ctx, segments ? segments : 1, sizeof *pr->segments);
    *out = pr;
    if (pr->rows == NULL || pr->segments == NULL)
        return ctx_nomem(ctx);
    return CVO_OK;
}

static cvo_status compute(cvo_profit *pr, const cvo_customers *customers, const cvo_rfm *rfm,
                          const cvo_scheme *scheme, const cvo_config *config,
                          const double *expected_orders)
{
    profit_params p;
    cvo_status status = params_read(pr->ctx, config, &p);
    repeat_margin *repeat = mem_array(pr->ctx, pr->count ? pr->count : 1, sizeof *repeat);
    if (status == CVO_OK && repeat == NULL)
        status = ctx_nomem(pr->ctx);
    if (status == CVO_OK) {
        walk_all(pr, customers, &p, repeat);
        status = predict(pr, customers, config, rfm->as_of_day, expected_orders, repeat);
    }
    if (status == CVO_OK)
        segments_fill(pr, rfm, scheme);
    mem_free(pr->ctx, repeat);
    mem_free(pr->ctx, p.channels);
    return status;
}

cvo_status cvo_profit_compute(cvo_ctx *ctx, const cvo_customers *customers, const cvo_rfm *rfm,
                              const cvo_scheme *scheme, const cvo_config *config,
                              const double *expected_orders, cvo_profit **out)
{
    *out = NULL;
    CVO_TRY(check_inputs(ctx, customers, rfm, scheme, config));
    cvo_profit *pr = NULL;
    cvo_status status =
        profit_new(ctx, customers->count, cvo_scheme_segment_count(scheme), &pr);
    if (status == CVO_OK)
        status = compute(pr, customers, rfm, scheme, config, expected_orders);
    if (status != CVO_OK) {
        cvo_profit_free(pr);
        return status;
    }
    *out = pr;
    return CVO_OK;
}

const cvo_profit_row *cvo_profit_rows(const cvo_profit *profit)
{
    return profit ? profit->rows : NULL;
}

const cvo_profit_segment *cvo_profit_segments(const cvo_profit *profit)
{
    return profit ? profit->segments : NULL;
}

size_t cvo_profit_segment_count(const cvo_profit *profit)
{
    return profit ? profit->segment_count : 0;
}

const cvo_profit_totals *cvo_profit_overall(const cvo_profit *profit)
{
    return profit ? &profit->totals : NULL;
}

const char *cvo_profit_note(const cvo_profit *profit)
{
    return profit ? profit->note : "";
}

const char *cvo_margin_source_name(cvo_margin_source source)
{
    switch (source) {
    case CVO_MARGIN_SPEND_MODEL: return "spend model";
    case CVO_MARGIN_OWN: return "own mean";
    case CVO_MARGIN_POPULATION: return "population mean";
    }
    return "unknown";
}

void cvo_profit_free(cvo_profit *profit)
{
    if (profit == NULL)
        return;
    cvo_ctx *ctx = profit->ctx;
    mem_free(ctx, profit->rows);
    mem_free(ctx, profit->segments);
    mem_free(ctx, profit);
}

/* ---- for other analyses ---------------------------------------------------------- */

cvo_status profit_order_margins(cvo_ctx *ctx, const cvo_customers *customers,
                                const cvo_config *config, int64_t *margins, int64_t *acquisition)
{
    if (customers == NULL || config == NULL || customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "margins need a table loaded with its orders");
    profit_params p;
    cvo_status status = params_read(ctx, config, &p);
    for (size_t i = 0; status == CVO_OK && i < customers->count; i++) {
        const cvo_customer *c = &customers->rows[i];
        acquisition[i] = acquisition_of(&p, c->channel ? c->channel : "");
        for (size_t k = customers->order_start[i]; k < customers->order_start[i + 1]; k++)
            margins[k] = order_margin(&p, &customers->orders[k]).margin;
    }
    mem_free(ctx, p.channels);
    return status;
}

cvo_status profit_margins_compute(cvo_ctx *ctx, const cvo_customers *customers,
                                  const cvo_config *config, profit_margins *m)
{
    m->order = m->acquisition = NULL;
    if (customers == NULL || customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "margins need a table loaded with its orders");
    size_t orders = customers->order_start[customers->count];
    m->order = mem_array(ctx, orders ? orders : 1, sizeof *m->order);
    m->acquisition = mem_array(ctx, customers->count ? customers->count : 1,
                               sizeof *m->acquisition);
    if (m->order == NULL || m->acquisition == NULL)
        return ctx_nomem(ctx);
    return profit_order_margins(ctx, customers, config, m->order, m->acquisition);
}

void profit_margins_free(cvo_ctx *ctx, profit_margins *m)
{
    mem_free(ctx, m->order);
    mem_free(ctx, m->acquisition);
    m->order = m->acquisition = NULL;
}
