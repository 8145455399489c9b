/* plan.c - what a test of a list would need before it starts: the metric's
 * baseline and spread per member, the members and weeks to detect the target
 * effect, and the MDE of the list as it is. Estimated from the store's own
 * history and the analysis' purchase model (see cvo_experiment_plan_compute). */
#include "analysis/analyze.h"
#include "base/ctx.h"
#include "core/customers.h"
#include "experiment/power.h"
#include "experiment/window.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PLAN_ALPHA 0.05
#define PLAN_POWER 0.8
#define PLAN_DEFAULT_SHARE 0.2

/* Sums for a correlation between the pre-period x and the window y. */
typedef struct pair_sums {
    double n, sx, sy, sxx, syy, sxy;
} pair_sums;

/* What one window of the store's history says of a metric. */
typedef struct history_window {
    double customers, converters;
    double conv_sum[CVO_EXP_METRIC__COUNT], conv_sq[CVO_EXP_METRIC__COUNT]; /* converters */
    pair_sums pairs[CVO_EXP_METRIC__COUNT];
} history_window;

static void pair_add(pair_sums *s, double x, double y)
{
    s->n += 1;
    s->sx += x;
    s->sy += y;
    s->sxx += x * x;
    s->syy += y * y;
    s->sxy += x * y;
}

/* rho^2 of the sums; 0 when a side does not vary. */
static double pair_rho2(const pair_sums *s)
{
    if (s->n < 3)
        return 0;
    double vx = s->sxx - s->sx * s->sx / s->n, vy = s->syy - s->sy * s->sy / s->n;
    double cxy = s->sxy - s->sx * s->sy / s->n;
    if (!(vx > 0 && vy > 0))
        return 0;
    double rho2 = cxy * cxy / (vx * vy);
    return rho2 > 1 ? 1 : rho2;
}

/* The last full window before as_of, over customers who had bought before it. */
static void measure_history(const cvo_customers *c, const int64_t *margins, int32_t as_of,
                            uint32_t window, history_window *h)
{
    memset(h, 0, sizeof *h);
    int32_t start = as_of - (int32_t)window;
    for (size_t i = 0; i < c->count; i++) {
        if (c->rows[i].first_order_day >= start)
            continue;
        window_outcome w;
        window_measure(c, margins, i, start, window, &w);
        h->customers += 1;
        for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++)
            pair_add(&h->pairs[m], w.before[m], w.after[m]);
        if (w.after[CVO_EXP_CONVERSION] == 0)
            continue;
        h->converters += 1;
        for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
            h->conv_sum[m] += w.after[m];
            h->conv_sq[m] += w.after[m] * w.after[m];
        }
    }
}

/* BG/NBD: P(an order in the next t periods | alive) = 1 - ((alpha+T)/(alpha+T+t))^(r+x). */
static double order_chance(const cvo_fit *fit, double x, double T, double t)
{
    double r = fit->params[0], alpha = fit->params[1];
    return 1 - pow((alpha + T) / (alpha + T + t), r + x);
}

static double period_days(const cvo_config *config)
{
    const char *period = cvo_config_text(config, "model", "period");
    if (period && strcmp(period, "day") == 0)
        return 1;
    return period && strcmp(period, "month") == 0 ? 365.25 / 12 : 7;
}

static bool on_list(const cvo_customer_result *r, unsigned list_bit)
{
    return ((r->lists | r->holdout) & list_bit) != 0;
}

/* Members now, and the mean chance of an order in the window: from the model
 * when it was fitted (model true), else the members' own last window. */
static double member_conversion(const cvo_analysis *a, const int64_t *margins, unsigned list_bit,
                                uint32_t window, uint64_t *members, bool *model)
{
    const cvo_customers *c = a->customers;
    double pd = period_days(a->config), sum = 0;
    *model = a->model_ok && a->purchase.model == CVO_MODEL_BGNBD;
    *members = 0;
    for (size_t i = 0; i < c->count; i++) {
        const cvo_customer_result *r = &a->results[i];
        if (!on_list(r, list_bit))
            continue;
        ++*members;
        if (*model && isfinite(r->p_alive)) {
            double x = c->rows[i].orders > 0 ? c->rows[i].orders - 1.0 : 0;
            double T = (a->as_of - c->rows[i].first_order_day) / pd;
            sum += r->p_alive * order_chance(&a->purchase, x, T, window / pd);
        } else {
            window_outcome w;
            window_measure(c, margins, i, a->as_of - (int32_t)window, window, &w);
            sum += w.after[CVO_EXP_CONVERSION];
        }
    }
    return *members ? sum / (double)*members : NAN;
}

/* Mean and sd per member of a metric that is 0 without an order and, with one,
 * drawn from what converters brought: p m_c and p v_c + p (1 - p) m_c^2. */
static void mixture(const history_window *h, cvo_exp_metric metric, double p, double *mean,
                    double *sd)
{
    if (metric == CVO_EXP_CONVERSION) {
        *mean = p;
        *sd = sqrt(power_proportion_variance(p));
        return;
    }
    if (h->converters < 2) {
        *mean = *sd = NAN;
        return;
    }
    double mc = h->conv_sum[metric] / h->converters;
    double vc = (h->conv_sq[metric] - h->converters * mc * mc) / (h->converters - 1);
    *mean = p * mc;
    *sd = sqrt(p * (vc > 0 ? vc : 0) + p * (1 - p) * mc * mc);
}

/* The holdout share: the list's own [holdout] key, else [holdout] share, else 0.2
 * (keys that do not exist read NaN). */
static double plan_share(const cvo_config *config, unsigned list_bit)
{
    char key[32];
    snprintf(key, sizeof key, "%s", cvo_list_name(list_bit));
    for (char *k = key; *k; k++)
        if (*k == '-')
            *k = '_';
    double share = cvo_config_number(config, "holdout", key);
    if (!(share > 0 && share < 1))
        share = cvo_config_number(config, "holdout", "share");
    return share > 0 && share < 1 ? share : PLAN_DEFAULT_SHARE;
}

/* Members, weeks, MDE and too_small from baseline and sd. */
static void size_plan(cvo_experiment_plan *p, double max_weeks)
{
    /* the verdict reads the CUPED estimate: its sd is sd sqrt(1 - rho^2) */
    double sigma = p->sd * sqrt(1 - p->variance_reduction);
    double delta = p->target_effect * p->baseline;
    double n = power_members(sigma, delta, p->share, PLAN_ALPHA, PLAN_POWER);
    p->planned_members = isfinite(n) && n < 1e15 ? (uint64_t)ceil(n) : 0;
    p->weeks = p->planned_members && p->entrants_per_week > 0
                   ? (double)p->planned_members / p->entrants_per_week + p->window_days / 7.0
                   : INFINITY;
    p->mde_now = power_mde(sigma, (double)p->members_now, p->share, PLAN_ALPHA, PLAN_POWER);
    p->mde_relative_now = p->baseline != 0 ? p->mde_now / p->baseline : NAN;
    p->too_small = !(p->weeks <= max_weeks);
}

static void write_advice(cvo_experiment_plan *p, double max_weeks)
{
    p->advice[0] = '\0';
    if (!p->too_small)
        return;
    if (p->members_now == 0 || !(p->baseline > 0)) {
        snprintf(p->advice, sizeof p->advice,
                 "%s: no baseline to size a test on; run it again when the list has members "
                 "who buy.",
                 p->members_now == 0 ? "The list is empty" : "Its members did not buy");
        return;
    }
    double even = power_members(p->sd * sqrt(1 - p->variance_reduction),
                                p->target_effect * p->baseline, 0.5, PLAN_ALPHA, PLAN_POWER);
    snprintf(p->advice, sizeof p->advice,
             "Too small to detect %+.0f%% within %.0f weeks. A holdout share of 0.5 needs "
             "%.0f members; a longer window, a larger list or a bigger effect would help.",
             100 * p->target_effect, max_weeks, ceil(even));
}

static void write_basis(cvo_experiment_plan *p, bool model, double history_customers)
{
    snprintf(p->basis, sizeof p->basis,
             "%s; spread from %.0f customers' last %u days; entrants: list turned over per window",
             model ? "baseline: BG/NBD P(alive) x P(order in window)"
                   : "baseline: members' last window (no model)",
             history_customers, (unsigned)p->window_days);
}

static cvo_status check_plan_args(cvo_ctx *ctx, const cvo_analysis *a, unsigned list_bit,
                                  cvo_exp_metric metric)
{
    if (a == NULL || a->customers == NULL || a->customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "experiment plan: an analysis with orders kept");
    if ((list_bit & CVO_TREATMENT_LISTS) == 0 || (list_bit & (list_bit - 1)) != 0)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "experiment plan: not a treatment list");
    if ((unsigned)metric >= CVO_EXP_METRIC__COUNT)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "experiment plan: unknown metric");
    return CVO_OK;
}

cvo_status cvo_experiment_plan_compute(cvo_ctx *ctx, const cvo_analysis *a, unsigned list_bit,
                                       const cvo_config *config, cvo_exp_metric metric,
                                       cvo_experiment_plan *out)
{
    CVO_TRY(check_plan_args(ctx, a, list_bit, metric));
    const cvo_config *cfg = config ? config : a->config;
    memset(out, 0, sizeof *out);
    out->list_bit = list_bit;
    out->metric = metric;
    out->share = plan_share(cfg, list_bit);
    out->window_days = (uint32_t)cvo_config_number(cfg, "experiment", "window_days");
    out->target_effect = cvo_config_number(cfg, "experiment", "target_uplift");
    /* the analysis' own margins when they are under the same [profit] rules */
    bool own = cfg == a->config && a->margins.order != NULL;
    profit_margins m = own ? a->margins : (profit_margins){NULL, NULL};
    cvo_status status = own ? CVO_OK : profit_margins_compute(ctx, a->customers, cfg, &m);
    if (status == CVO_OK) {
        history_window h;
        bool model;
        measure_history(a->customers, m.order, a->as_of, out->window_days, &h);
        double p =
            member_conversion(a, m.order, list_bit, out->window_days, &out->members_now, &model);
        mixture(&h, metric, p, &out->baseline, &out->sd);
        out->variance_reduction = pair_rho2(&h.pairs[metric]);
        out->entrants_per_week = (double)out->members_now * 7.0 / out->window_days;
        double max_weeks = cvo_config_number(cfg, "experiment", "max_weeks");
        size_plan(out, max_weeks);
        write_advice(out, max_weeks);
        write_basis(out, model, h.customers);
    }
    if (!own)
        profit_margins_free(ctx, &m);
    return status;
}
