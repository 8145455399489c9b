/* backtest.c - how a purchase model would have done on the user's own
 * history: holdout totals, the by-frequency table, per-customer error (MAE,
 * RMSE, correlation) and the
 * cumulative tracking curve, each beside a naive baseline (the customer keeps
 * buying at their past rate). The curve groups customers by birth so its cost
 * does not grow with the number of customers. */
#include "core/customers.h"
#include "core/summary.h"
#include "models/season.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct backtest_box {
    cvo_backtest result;
    cvo_ctx *ctx;
} backtest_box;

/* Weighted sums for the correlation of predicted and actual, about the first
 * customer's values (shifted, so the sums do not cancel catastrophically). */
typedef struct co_moments {
    bool started;
    double shift_actual, shift_model;
    double actual, model, actual_sq, model_sq, cross;
} co_moments;

static void co_add(co_moments *m, double w, double actual, double model)
{
    if (!m->started) {
        m->started = true;
        m->shift_actual = actual;
        m->shift_model = model;
    }
    double a = actual - m->shift_actual, p = model - m->shift_model;
    m->actual += w * a;
    m->model += w * p;
    m->actual_sq += w * a * a;
    m->model_sq += w * p * p;
    m->cross += w * a * p;
}

static double co_correlation(const co_moments *m, double n)
{
    if (!(n > 0))
        return NAN;
    double var_a = m->actual_sq - m->actual * m->actual / n;
    double var_p = m->model_sq - m->model * m->model / n;
    double cov = m->cross - m->actual * m->model / n;
    return var_a > 0 && var_p > 0 ? cov / sqrt(var_a * var_p) : NAN;
}

static void add_customer(cvo_backtest *b, co_moments *m, const cvo_summary_row *r, double model,
                         double naive)
{
    double w = r->weight;
    co_add(m, w, r->x_star, model);
    b->model_rmse += w * (r->x_star - model) * (r->x_star - model);
    b->naive_rmse += w * (r->x_star - naive) * (r->x_star - naive);
    b->customers += w;
    b->actual_total += w * r->x_star;
    b->model_total += w * model;
    b->naive_total += w * naive;
    b->model_mae += w * fabs(r->x_star - model);
    b->naive_mae += w * fabs(r->x_star - naive);
    int bin = r->x < CVO_BACKTEST_BINS - 1 ? (int)r->x : CVO_BACKTEST_BINS - 1;
    cvo_backtest_bin *x = &b->bins[bin];
    x->customers += w;
    x->actual += w * r->x_star;
    x->model += w * model;
    x->naive += w * naive;
}

static void take_means(cvo_backtest *b, const co_moments *m)
{
    b->model_correlation = co_correlation(m, b->customers);
    if (b->customers > 0) {
        b->model_mae /= b->customers;
        b->naive_mae /= b->customers;
        b->model_rmse = sqrt(b->model_rmse / b->customers);
        b->naive_rmse = sqrt(b->naive_rmse / b->customers);
    }
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        cvo_backtest_bin *x = &b->bins[i];
        x->x = i;
        if (x->customers > 0) {
            x->actual /= x->customers;
            x->model /= x->customers;
            x->naive /= x->customers;
        }
    }
}

/* ---- tracking curve ------------------------------------------------------- */

typedef struct birth_group {
    int32_t day;
    double customers;
} birth_group;

static int by_day(const void *a, const void *b)
{
    int32_t x = ((const birth_group *)a)->day, y = ((const birth_group *)b)->day;
    return (x > y) - (x < y);
}

/* Distinct first days of the summary's customers, with counts. */
static birth_group *birth_groups(cvo_ctx *ctx, const cvo_summary *s, size_t *count)
{
    birth_group *g = mem_array(ctx, s->count ? s->count : 1, sizeof *g);
    if (g == NULL)
        return NULL;
    for (size_t i = 0; i < s->count; i++)
        g[i] = (birth_group){s->rows[i].first_day, s->rows[i].weight};
    qsort(g, s->count, sizeof *g, by_day);
    size_t n = 0;
    for (size_t i = 0; i < s->count; i++) {
        if (n > 0 && g[n - 1].day == g[i].day)
            g[n - 1].customers += g[i].customers;
        else
            g[n++] = g[i];
    }
    *count = n;
    return g;
}

/* Actual repeat occasions per period: each customer's days after the first. */
static void count_actual(const cvo_summary *s, const cvo_customers *c, int32_t day0, double days,
                         double *per_period, size_t periods)
{
    for (size_t i = 0; i < c->count; i++) {
        size_t n;
        const cvo_order *o = cvo_customers_orders(c, i, &n);
        if (n == 0 || o[0].day > s->end_day)
            continue; /* born after the calibration end: not in the summary */
        for (size_t k = 1; k < n; k++) {
            if (o[k].day == o[k - 1].day)
                continue;
            size_t p = (size_t)((o[k].day - day0) / days);
            if (p < periods)
                per_period[p] += 1;
        }
    }
    for (size_t p = 1; p < periods; p++)
        per_period[p] += per_period[p - 1];
}

/* The model's cumulative curve; ages on the seasonal clock when there is one. */
static void expect_model(const cvo_fit *fit, const season_clock *clock, const birth_group *g,
                         size_t groups, int32_t day0, double days, double *curve, size_t periods)
{
    for (size_t p = 0; p < periods; p++) {
        double t_end = (double)(p + 1), sum = 0;
        double end = clock ? season_clock_at(clock, day0 + t_end * days) : 0;
        for (size_t i = 0; i < groups; i++) {
            double age =
                clock ? end - season_clock_at(clock, g[i].day) : t_end - (g[i].day - day0) / days;
            if (age > 0)
                sum += g[i].customers * cvo_fit_unconditional(fit, age);
        }
        curve[p] = sum;
    }
}

static cvo_status track(cvo_ctx *ctx, const cvo_fit *fit, const season_clock *clock,
                        const cvo_summary *s, const cvo_customers *c, cvo_backtest *b)
{
    size_t groups = 0;
    birth_group *g = birth_groups(ctx, s, &groups);
    if (g == NULL)
        return ctx_nomem(ctx);
    int32_t day0 = g[0].day, last = cvo_customers_last_day(c);
    double days = s->period_days;
    b->periods = (size_t)ceil((last - day0 + 1) / days);
    b->calibration_periods = (size_t)ceil((s->end_day - day0 + 1) / days);
    b->tracking_actual = mem_zarray(ctx, b->periods + 1, sizeof(double));
    b->tracking_model = mem_zarray(ctx, b->periods + 1, sizeof(double));
    if (b->tracking_actual == NULL || b->tracking_model == NULL) {
        mem_free(ctx, g);
        return ctx_nomem(ctx);
    }
    count_actual(s, c, day0, days, b->tracking_actual, b->periods);
    expect_model(fit, clock, g, groups, day0, days, b->tracking_model, b->periods);
    mem_free(ctx, g);
    return CVO_OK;
}

static void say_season(cvo_backtest *b, const cvo_season *season, const cvo_summary *summary)
{
    if (season == NULL || summary->end_day == INT32_MIN || !(summary->period_days > 0))
        return;
    int32_t to = summary->end_day + (int32_t)lround(summary->holdout * summary->period_days);
    cvo_season_warning(season, summary->end_day + 1, to, b->season_note, sizeof b->season_note);
    size_t len = strlen(b->season_note);
    if (b->season_applied && len + 1 < sizeof b->season_note)
        snprintf(b->season_note + len, sizeof b->season_note - len,
                 " The model predicts %.0f repeat purchases with it, %.0f without it; %.0f "
                 "were made.",
                 b->model_total, b->model_total_plain, b->actual_total);
}

/* The seasonal clock over the data and the summary's rows on it, when the
 * index applies (else *rows stays NULL). */
static cvo_status on_season(cvo_ctx *ctx, const cvo_season *season, const cvo_summary *summary,
                            const cvo_customers *customers, season_clock *clock, cvo_summary **rows)
{
    if (!season_active(season) || summary->end_day == INT32_MIN || !(summary->period_days > 0))
        return CVO_OK;
    int32_t first = summary->end_day, last = summary->end_day;
    for (size_t i = 0; i < summary->count; i++)
        first = summary->rows[i].first_day < first ? summary->rows[i].first_day : first;
    double holdout_end = summary->end_day + ceil(summary->holdout * summary->period_days) + 2;
    last = holdout_end < 1e7 ? (int32_t)holdout_end : last;
    if (customers != NULL && cvo_customers_last_day(customers) + 2 > last)
        last = cvo_customers_last_day(customers) + 2;
    CVO_TRY(season_clock_new(ctx, season, first, last, summary->period_days, clock));
    cvo_status status = season_summary(ctx, summary, clock, rows);
    if (status != CVO_OK)
        season_clock_free(ctx, clock);
    return status;
}

cvo_status cvo_backtest_run(cvo_ctx *ctx, const cvo_fit *fit, const cvo_summary *summary,
                            const cvo_customers *customers, cvo_backtest **out)
{
    return cvo_backtest_run_season(ctx, fit, NULL, summary, customers, out);
}

cvo_status cvo_backtest_run_season(cvo_ctx *ctx, const cvo_fit *fit, const cvo_season *season,
                                   const cvo_summary *summary, const cvo_customers *customers,
                                   cvo_backtest **out)
{
    *out = NULL;
    if (!summary->has_holdout || summary->holdout <= 0)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "a backtest needs a calibration end (holdout)");
    if (fit->model == CVO_MODEL_GG)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "a backtest needs a purchase model, not gg");
    backtest_box *box = mem_alloc(ctx, sizeof *box);
    if (box == NULL)
        return ctx_nomem(ctx);
    memset(box, 0, sizeof *box);
    box->ctx = ctx;
    cvo_backtest *b = &box->result;
    b->holdout = summary->holdout;
    co_moments moments = {0};
    season_clock clock = {0};
    cvo_summary *seasonal = NULL;
    cvo_status status = on_season(ctx, season, summary, customers, &clock, &seasonal);
    if (status != CVO_OK) {
        mem_free(ctx, box);
        return status;
    }
    b->season_applied = seasonal != NULL;
    for (size_t i = 0; i < summary->count; i++) {
        const cvo_summary_row *r = &summary->rows[i], *o = seasonal ? &seasonal->rows[i] : r;
        double plain = cvo_fit_expected(fit, r->x, r->t_x, r->T, b->holdout);
        double model = seasonal
                           ? cvo_fit_expected(&season->fit, o->x, o->t_x, o->T, seasonal->holdout)
                           : plain;
        double naive = r->T > 0 ? r->x / r->T * b->holdout : 0;
        b->model_total_plain += r->weight * plain;
        add_customer(b, &moments, r, model, naive);
    }
    cvo_summary_free(seasonal);
    take_means(b, &moments);
    bool can_track = customers != NULL && customers->order_start != NULL &&
                     summary->period_days > 0 && fit->model != CVO_MODEL_BGBB;
    const cvo_fit *curve_fit = b->season_applied ? &season->fit : fit;
    status = can_track
                 ? track(ctx, curve_fit, b->season_applied ? &clock : NULL, summary, customers, b)
                 : CVO_OK;
    season_clock_free(ctx, &clock);
    if (status != CVO_OK) {
        cvo_backtest_free(b);
        return status;
    }
    say_season(b, season, summary);
    *out = b;
    return CVO_OK;
}

void cvo_backtest_free(cvo_backtest *backtest)
{
    if (backtest == NULL)
        return;
    backtest_box *box = (backtest_box *)backtest; /* result is the first member */
    mem_free(box->ctx, backtest->tracking_actual);
    mem_free(box->ctx, backtest->tracking_model);
    mem_free(box->ctx, box);
}
