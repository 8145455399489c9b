/* analyze.c - cvo analyze's job on a customer table: scores and segments,
 * purchase model (chosen by holdout) + Gamma-Gamma predictions, a backtest on the last part of the
 * history, and the per-customer decisions (churn risk, next-order and
 * win-back dates, tiers, lists). Model trouble never stops the rest: the
 * figures become NaN and a note says why in plain words. */
#include "analysis/analyze.h"
#include "analysis/cohort.h"
#include "analysis/dive.h"
#include "core/customers.h"
#include "core/summary.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cvo_period config_period(const cvo_config *c)
{
    const char *p = cvo_config_text(c, "model", "period");
    return p && strcmp(p, "day") == 0     ? CVO_PERIOD_DAY
           : p && strcmp(p, "month") == 0 ? CVO_PERIOD_MONTH
                                          : CVO_PERIOD_WEEK;
}

static cvo_season_mode config_season(const cvo_config *c)
{
    cvo_season_mode mode = CVO_SEASON_AUTO;
    return cvo_season_mode_from_name(cvo_config_text(c, "model", "seasonality"), &mode)
               ? mode
               : CVO_SEASON_AUTO;
}

/* ---- scores ---------------------------------------------------------------- */

static cvo_status make_scheme(cvo_analysis *a)
{
    const cvo_config *c = a->config;
    int levels = (int)cvo_config_number(c, "scoring", "levels");
    const char *map = cvo_config_text(c, "scoring", "segment_map");
    const char *name = cvo_config_text(c, "scoring", "scheme");
    if (name && strcmp(name, "klaviyo") == 0)
        levels = 3;
    if (map && map[0])
        return cvo_scheme_load(a->ctx, map, levels, &a->scheme);
    return cvo_scheme_builtin(a->ctx, name ? name : "relationship", levels, &a->scheme);
}

static cvo_status score(cvo_analysis *a)
{
    CVO_TRY(make_scheme(a));
    cvo_rfm_options o;
    cvo_rfm_options_init(&o);
    o.levels = cvo_scheme_levels(a->scheme);
    const char *ties = cvo_config_text(a->config, "scoring", "ties");
    o.ties = ties && strcmp(ties, "ntile") == 0 ? CVO_TIES_NTILE : CVO_TIES_EQUAL;
    o.no_monetary = a->stats.no_amounts;
    CVO_TRY(cvo_rfm_new(a->ctx, a->customers, &o, a->scheme, &a->rfm));
    a->as_of = cvo_rfm_as_of_day(a->rfm);
    size_t n = cvo_scheme_segment_count(a->scheme);
    a->segments = mem_zarray(a->ctx, n ? n : 1, sizeof *a->segments);
    if (a->segments == NULL)
        return ctx_nomem(a->ctx);
    return cvo_segments_summarize(a->ctx, a->customers, a->rfm, a->scheme, a->segments);
}

/* ---- models ---------------------------------------------------------------- */

static void note(char *out, size_t cap, const char *what, const cvo_ctx *ctx, const cvo_fit *fit)
{
    const char *why = fit && fit->note[0] ? fit->note : cvo_ctx_message(ctx);
    snprintf(out, cap, "%s %s", what, why && why[0] ? why : "the fit did not converge.");
}

/* Pareto/NBD has no closed form: P(alive) falls from 1 at T = t_x, so the T
 * where it crosses the threshold is bracketed by doubling and bisected (to a
 * hundredth of a period). NaN beyond 1e5 periods. */
static double pnbd_winback(const cvo_fit *f, const cvo_summary_row *r, double threshold)
{
    double lo = r->t_x, step = 1, hi = lo + step;
    while (cvo_fit_p_alive(f, r->x, r->t_x, hi) > threshold) {
        if (step > 1e5)
            return NAN;
        lo = hi;
        step *= 2;
        hi = r->t_x + step;
    }
    while (hi - lo > 0.01) {
        double mid = (lo + hi) / 2;
        double p = cvo_fit_p_alive(f, r->x, r->t_x, mid);
        if (!isfinite(p))
            return NAN;
        if (p > threshold)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2 - r->T;
}

/* When P(alive) falls below the threshold if no purchase comes: BG/NBD's
 * P(alive) = 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) solved for T.
 * Periods after the end of the data, negative when it fell below already
 * (a long-lapsed customer is past the win-back moment, not at it); NaN for
 * x = 0 (BG/NBD customers cannot lapse before a repeat purchase: their
 * rhythm decides, see rhythm_winback). */
static double model_winback(const cvo_fit *f, const cvo_summary_row *r, double threshold)
{
    const double *p = f->params;
    if (f->status == CVO_FIT_NO_DROPOUT) /* nobody lapses without dropout */
        return NAN;
    if (f->model == CVO_MODEL_PNBD)
        return pnbd_winback(f, r, threshold);
    /* MBG/NBD: the same with b + x, and x = 0 may lapse too */
    double b_x = f->model == CVO_MODEL_MBGNBD ? p[3] + r->x : p[3] + r->x - 1;
    if (f->model != CVO_MODEL_MBGNBD && r->x <= 0)
        return NAN;
    double k = (1 / threshold - 1) * b_x / p[2];
    return (p[1] + r->t_x) * pow(k, 1 / (p[0] + r->x)) - p[1] - r->T;
}

static const char *model_display(cvo_model model)
{
    return model == CVO_MODEL_MBGNBD ? "MBG/NBD"
           : model == CVO_MODEL_PNBD ? "Pareto/NBD"
                                     : "BG/NBD";
}

/* The purchase model to predict with: the backtest's choice, else the
 * configured one, else BG/NBD. */
static cvo_model purchase_model(const cvo_analysis *a)
{
    if (a->choice_ran && a->choice.chosen >= 0)
        return a->choice.models[a->choice.chosen];
    cvo_model model;
    const char *name = cvo_config_text(a->config, "model", "purchase_model");
    return name && cvo_model_from_name(name, &model) ? model : CVO_MODEL_BGNBD;
}

/* The chosen model's calibration fit, to start its fit on the whole history
 * from (an interior one; NULL otherwise): the optimum moves little when the
 * holdout is added, and one start of the model's own beside it keeps the
 * search honest. */
static const double *calibration_start(const cvo_analysis *a, cvo_model model)
{
    int k = a->choice_ran ? a->choice.chosen : -1;
    if (k < 0 || a->choice.models[k] != model || a->choice.fits[k].status != CVO_FIT_CONVERGED)
        return NULL;
    return a->choice.fits[k].params;
}

/* Fits the chosen purchase model and Gamma-Gamma on the whole history and predicts. */
static cvo_status predict(cvo_analysis *a, const cvo_summary *s)
{
    cvo_model model = purchase_model(a);
    char what[96];
    cvo_fit_options options;
    cvo_fit_options_init(&options);
    options.start = calibration_start(a, model);
    options.starts = options.start != NULL ? 2 : 0;
    cvo_status status = cvo_model_fit(a->ctx, model, s, &options, &a->purchase);
    if (status != CVO_OK || !a->purchase.converged) {
        snprintf(what, sizeof what, "No predictions: the purchase model (%s) could not be fitted:",
                 model_display(model));
        note(a->model_note, sizeof a->model_note, what, a->ctx,
             status == CVO_OK ? &a->purchase : NULL);
        return status == CVO_ERR_NOMEM ? status : CVO_OK;
    }
    snprintf(what, sizeof what, "The purchase model (%s):", model_display(model));
    if (a->purchase.status == CVO_FIT_NO_DROPOUT)
        note(a->model_note, sizeof a->model_note, what, a->ctx, &a->purchase);
    if (a->stats.no_amounts) {
        /* a count-only event log: no spend to model, said once */
        a->spend.converged = false;
        size_t used = strlen(a->model_note);
        snprintf(a->model_note + used, sizeof a->model_note - used, "%s%s", used ? " " : "",
                 "No amounts (a count-only event log): the count models ran; there is no "
                 "spend model, so no predicted CLV.");
        status = CVO_OK;
    } else {
        status = cvo_model_fit(a->ctx, CVO_MODEL_GG, s, NULL, &a->spend);
    }
    bool spend_ok = status == CVO_OK && a->spend.converged && a->spend.params[1] > 1;
    if (!spend_ok && !a->stats.no_amounts) {
        note(a->model_note, sizeof a->model_note,
             "Predicted CLV uses no spend model: Gamma-Gamma could not be fitted:", a->ctx,
             status == CVO_OK ? &a->spend : NULL);
    }
    cvo_predict_options o;
    cvo_predict_options_init(&o);
    o.period_days = cvo_summary_period_days(s);
    o.horizon =
        cvo_config_number(a->config, "model", "horizon_months") * 365.25 / 12 / o.period_days;
    o.annual_discount = cvo_config_number(a->config, "model", "annual_discount");
    status = cvo_season_estimate(a->ctx, &a->purchase, s, a->customers, config_season(a->config),
                                 &a->season);
    if (status != CVO_OK)
        return status;
    o.season = &a->season;
    double threshold = cvo_config_number(a->config, "lists", "winback_p_alive");
    cvo_prediction *p = mem_array(a->ctx, s->count ? s->count : 1, sizeof *p);
    if (p == NULL)
        return ctx_nomem(a->ctx);
    status = cvo_predict_all(a->ctx, &a->purchase, spend_ok ? &a->spend : NULL, s, &o, p);
    for (size_t i = 0; status == CVO_OK && i < s->count; i++) {
        cvo_customer_result *r = &a->results[i];
        r->p_alive = p[i].p_alive;
        r->expected_orders = p[i].expected;
        r->prob_purchase = p[i].prob_purchase;
        r->expected_spend = p[i].spend;
        r->predicted_clv = p[i].clv;
        r->next_order_day = isfinite(p[i].next_purchase)
                                ? s->end_day + (int32_t)ceil(p[i].next_purchase * o.period_days)
                                : INT32_MIN;
        double t = model_winback(&a->purchase, &s->rows[i], threshold);
        r->winback_day = isfinite(t) && fabs(t * o.period_days) < 1e6
                             ? s->end_day + (int32_t)ceil(t * o.period_days)
                             : INT32_MIN;
    }
    mem_free(a->ctx, p);
    a->model_ok = status == CVO_OK;
    return status;
}

/* The first candidate's reason for failing (the forced one's when forced). */
static const char *failure_note(const cvo_model_choice *c)
{
    for (int i = 0; i < CVO_CHOICE_MODELS; i++)
        if (strncmp(c->notes[i], "not tried", 9) != 0 && c->notes[i][0])
            return c->notes[i];
    return "no candidate";
}

/* The configured [model] purchase_model as a cvo_model, -1 for auto. */
static int forced_model(const cvo_analysis *a)
{
    cvo_model model;
    const char *name = cvo_config_text(a->config, "model", "purchase_model");
    return name && cvo_model_from_name(name, &model) ? (int)model : -1;
}

/* Gamma-Gamma fitted on the calibration part and backtested; a fit that fails
 * leaves no spend backtest (the predictions' own note says why spend is missing). */
static cvo_status spend_backtest(cvo_analysis *a, const cvo_summary *s)
{
    if (a->stats.no_amounts)
        return CVO_OK;
    cvo_fit gg;
    cvo_status status = cvo_model_fit(a->ctx, CVO_MODEL_GG, s, NULL, &gg);
    if (status == CVO_ERR_NOMEM)
        return status;
    if (status != CVO_OK || !gg.converged || !(gg.params[1] > 1))
        return CVO_OK;
    status = cvo_spend_backtest_run(a->ctx, &gg, s, a->customers, &a->spend_backtest);
    a->spend_backtest_ran = status == CVO_OK;
    return status == CVO_ERR_NOMEM ? status : CVO_OK;
}

/* Calibration = all but the configured share at the end of the history; every
 * candidate purchase model is fitted and backtested there, and the one with
 * the smallest holdout error chosen (cvo_model_choose). */
static cvo_status backtest(cvo_analysis *a, cvo_period period)
{
    int32_t first = INT32_MAX, last = cvo_customers_last_day(a->customers);
    for (size_t i = 0; i < a->customers->count; i++)
        if (a->customers->rows[i].first_order_day < first)
            first = a->customers->rows[i].first_order_day;
    double share = cvo_config_number(a->config, "model", "backtest_holdout_share");
    a->calibration_end = first + (int32_t)floor((last - first) * (1 - share));
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.period = period;
    so.calibration_end = a->calibration_end;
    so.as_of_day = a->as_of;
    cvo_summary *s = NULL;
    cvo_status status =
        last - first < 28 ? CVO_ERR_EMPTY : cvo_summary_from_orders(a->ctx, a->customers, &so, &s);
    if (status == CVO_OK)
        status = cvo_model_choose(a->ctx, s, a->customers, forced_model(a),
                                  config_season(a->config), &a->choice);
    a->choice_ran = status == CVO_OK;
    int k = a->choice_ran ? a->choice.chosen : -1;
    a->backtest = status == CVO_OK && k >= 0 ? a->choice.backtests[k] : NULL;
    const cvo_fit *fit = k >= 0 ? &a->choice.fits[k] : NULL;
    if (k >= 0)
        a->backtest_season = a->choice.seasons[k];
    if (a->backtest != NULL && fit->status == CVO_FIT_NO_DROPOUT)
        snprintf(a->backtest_note, sizeof a->backtest_note,
                 "Backtest with the NBD: on the calibration part %s found no dropout, so it "
                 "reduces to NBD (r = %.4g, alpha = %.4g).",
                 model_display(fit->model), fit->nbd_params[0], fit->nbd_params[1]);
    else if (status == CVO_OK && a->backtest == NULL)
        snprintf(a->backtest_note, sizeof a->backtest_note,
                 "No backtest: no purchase model could be fitted on the calibration part (%s).",
                 failure_note(&a->choice));
    if (status == CVO_OK)
        status = spend_backtest(a, s);
    if (status != CVO_OK && status != CVO_ERR_NOMEM)
        snprintf(a->backtest_note, sizeof a->backtest_note,
                 "No backtest: the history is too short to hold part of it out (%s).",
                 status == CVO_ERR_EMPTY && last - first < 28 ? "less than four weeks"
                                                              : cvo_ctx_message(a->ctx));
    cvo_summary_free(s);
    return status == CVO_ERR_NOMEM ? status : CVO_OK;
}

static cvo_status models(cvo_analysis *a)
{
    cvo_period period = config_period(a->config);
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.period = period;
    so.as_of_day = a->as_of;
    cvo_summary *s = NULL;
    cvo_status status = cvo_summary_from_orders(a->ctx, a->customers, &so, &s);
    if (status == CVO_OK && s->count != a->customers->count)
        status = ctx_fail(a->ctx, CVO_ERR_INTERNAL, "summary and customer table disagree");
    if (status == CVO_OK)
        status = backtest(a, period); /* first: it chooses the purchase model */
    if (status == CVO_OK)
        status = predict(a, s);
    cvo_summary_free(s);
    return status;
}

/* ---- profit ------------------------------------------------------------------ */

/* Profit per customer and segment with the analysis' own expected orders, so
 * BG/NBD is fitted once (NaN where there is no model: no predicted profit). */
static cvo_status profit(cvo_analysis *a)
{
    size_t n = a->customers->count;
    double *expected = mem_array(a->ctx, n ? n : 1, sizeof *expected);
    if (expected == NULL)
        return ctx_nomem(a->ctx);
    for (size_t i = 0; i < n; i++)
        expected[i] = a->results[i].expected_orders;
    cvo_status status = cvo_profit_compute(a->ctx, a->customers, a->rfm, a->scheme, a->config,
                                           expected, &a->profit);
    mem_free(a->ctx, expected);
    return status;
}

/* Cohorts as of the analysis' day; orders spanning more months than the cap
 * leave them out (NULL) rather than stop the analysis. */
static cvo_status cohorts(cvo_analysis *a)
{
    cvo_status status = profit_margins_compute(a->side_ctx, a->customers, a->config, &a->margins);
    if (status == CVO_OK)
        status = cohort_compute(a->side_ctx, a->customers, a->config, a->as_of, &a->margins,
                                &a->cohorts);
    return status == CVO_ERR_LIMIT || status == CVO_ERR_EMPTY ? CVO_OK : status;
}

/* The deep dives' model statements: Pareto/NBD with the first-order discount
 * and the acquisition channel as covariates (on ANALYSIS_COV_CUSTOMERS at
 * most, Wald intervals only), in the analysis' period. A fit that cannot be
 * made leaves a note, never an error (but running out of memory). */
#define ANALYSIS_COV_CUSTOMERS 5000
static cvo_status covariates(cvo_analysis *a)
{
    cvo_ctx *ctx = a->side_ctx;
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.period = config_period(a->config);
    so.as_of_day = a->as_of;
    cvo_summary *s = NULL;
    cvo_covariates *cov = NULL;
    cvo_cov_options o;
    cvo_cov_options_init(&o);
    o.lr_tests = false;
    o.max_customers = ANALYSIS_COV_CUSTOMERS;
    cvo_cov_fit *fit = mem_alloc(ctx, sizeof *fit);
    cvo_status status = fit ? cvo_summary_from_orders(ctx, a->customers, &so, &s) : CVO_ERR_NOMEM;
    if (status == CVO_OK)
        status = cvo_covariates_from_customers(ctx, a->customers, s, "discount,channel", 6, &cov,
                                               a->covariates_note, sizeof a->covariates_note);
    if (status == CVO_OK)
        status = cvo_cov_fit_model(ctx, CVO_MODEL_PNBD, s, cov, &o, fit);
    if (status == CVO_OK && fit->converged) {
        a->covariates = fit;
        fit = NULL;
    } else if (status == CVO_OK) {
        snprintf(a->covariates_note, sizeof a->covariates_note, "%s", fit->note);
    } else if (status != CVO_ERR_NOMEM) {
        snprintf(a->covariates_note, sizeof a->covariates_note, "%s", cvo_ctx_message(ctx));
    }
    mem_free(ctx, fit);
    cvo_covariates_free(cov);
    cvo_summary_free(s);
    return status == CVO_ERR_NOMEM ? status : CVO_OK;
}

/* Every deep dive, with the analysis' predictions and NPS answers. */
static cvo_status dives(cvo_analysis *a)
{
    dive_input in = {a->customers, a->config, a->as_of,
                     a->results,   a->nps,    a->margins.order != NULL ? &a->margins : NULL,
                     NULL,         0,         {0}};
    cvo_status status = dive_compute_all(a->side_ctx, &in, a->dives);
    return status == CVO_OK ? covariates(a) : status;
}

/* ---- a step on a second thread ------------------------------------------------
 * Cohorts run beside the models, the dives beside profit and the lists: they
 * only read what those write elsewhere. They work in a->side_ctx (the same
 * allocator, which the API requires to be thread-safe), so a failure message
 * never races with the main thread's; it is copied over once joined. */

typedef struct side_step {
    cvo_analysis *a;
    cvo_status (*run)(cvo_analysis *a);
    cvo_status status;
    pthread_t thread;
    bool started;
} side_step;

static void *side_main(void *arg)
{
    side_step *s = arg;
    s->status = s->run(s->a);
    return NULL;
}

/* Starts run on a second thread (or runs it here when none can be started). */
static void side_start(side_step *s, cvo_analysis *a, cvo_status (*run)(cvo_analysis *))
{
    s->a = a;
    s->run = run;
    s->status = CVO_OK;
    s->started = pthread_create(&s->thread, NULL, side_main, s) == 0;
    if (!s->started)
        side_main(s);
}

/* Joins the step; its status, with its message moved to the analysis' context. */
static cvo_status side_join(side_step *s, cvo_status status)
{
    if (s->started)
        pthread_join(s->thread, NULL);
    if (s->status != CVO_OK && status == CVO_OK) {
        snprintf(s->a->ctx->message, sizeof s->a->ctx->message, "%s", s->a->side_ctx->message);
        return s->status;
    }
    return status;
}

bool cvo_analysis_profit_after_discount(const cvo_analysis *a, size_t index, int64_t *cents)
{
    *cents = 0;
    if (a == NULL || a->profit == NULL || index >= a->customers->count)
        return false;
    const cvo_profit_row *row = &cvo_profit_rows(a->profit)[index];
    if (!row->has_prediction || row->orders == 0)
        return false;
    double mean_order = row->revenue_cents > 0 ? (double)row->revenue_cents / row->orders : 0;
    double margin = (double)row->margin_per_order_cents - a->rules.standard_discount * mean_order;
    *cents = (int64_t)llround(margin * row->expected_orders);
    return true;
}

cvo_no_discount_reason cvo_analysis_no_discount_reason(const cvo_analysis *a, size_t index)
{
    if (a == NULL || a->profit == NULL || index >= a->customers->count)
        return CVO_NO_DISCOUNT_NONE;
    const analysis_rules *rule = &a->rules;
    const cvo_customer_result *r = &a->results[index];
    const cvo_profit_row *row = &cvo_profit_rows(a->profit)[index];
    bool known = isfinite(r->p_alive);
    if (known && r->p_alive < rule->no_discount_lost_p_alive)
        return CVO_NO_DISCOUNT_LOST;
    if (a->stats.no_amounts)
        return CVO_NO_DISCOUNT_NONE; /* no money, no discount codes: only "lost" is known */
    int64_t after;
    if (cvo_analysis_profit_after_discount(a, index, &after) && after < 0)
        return CVO_NO_DISCOUNT_UNPROFITABLE;
    bool top = rule->top[cvo_rfm_scores(a->rfm)[index].segment];
    if (top && known && r->p_alive >= rule->no_discount_min_p_alive && row->code_orders == 0)
        return CVO_NO_DISCOUNT_FULL_PRICE;
    return CVO_NO_DISCOUNT_NONE;
}

/* ---- decisions -------------------------------------------------------------- */

static bool in_list(const cvo_analysis *a, const char *section, const char *key,
                    const char *segment, size_t index, size_t default_from, size_t default_to)
{
    const char *value = cvo_config_text(a->config, section, key);
    if (value && value[0])
        return cvo_config_has(a->config, section, key, segment);
    return index >= default_from && index < default_to;
}

static cvo_churn_risk churn(const cvo_analysis *a, const cvo_customer_result *r, const cvo_score *s,
                            const cvo_customer *c)
{
    /* no model, or a one-time buyer (BG/NBD's P(alive) is 1 until a repeat
     * purchase, so it says nothing of them): recency decides */
    if (!isfinite(r->p_alive) || c->orders < 2) {
        int levels = cvo_rfm_levels(a->rfm);
        return s->r <= 1 ? CVO_CHURN_HIGH : s->r >= levels - 1 ? CVO_CHURN_LOW : CVO_CHURN_MEDIUM;
    }
    if (r->p_alive < a->rules.churn_high_below)
        return CVO_CHURN_HIGH;
    if (r->p_alive >= a->rules.churn_low_from)
        return CVO_CHURN_LOW;
    return CVO_CHURN_MEDIUM;
}

/* The k-th smallest of v[0..n) (k < n), reordering v: Hoare's selection,
 * expected linear time, where a full sort of millions would not be needed. */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* Median days between a repeat buyer's purchases (90 when nobody repeated). */
static double median_interval(cvo_analysis *a)
{
    size_t n = 0;
    double *gaps = mem_array(a->ctx, a->customers->count + 1, sizeof *gaps);
    if (gaps == NULL)
        return 90;
    for (size_t i = 0; i < a->customers->count; i++) {
        const cvo_customer *c = &a->customers->rows[i];
        if (c->orders > 1 && c->last_order_day > c->first_order_day)
            gaps[n++] = (double)(c->last_order_day - c->first_order_day) / (c->orders - 1);
    }
    double median = n ? select_kth(gaps, n, n / 2) : 90;
    mem_free(a->ctx, gaps);
    return median;
}

/* Without a model date (one-time buyers, or no model): twice the customer's
 * own purchase rhythm after the last order, or twice the typical rhythm. */
static void rhythm_winback(cvo_analysis *a)
{
    double typical = median_interval(a);
    for (size_t i = 0; i < a->customers->count; i++) {
        cvo_customer_result *r = &a->results[i];
        const cvo_customer *c = &a->customers->rows[i];
        if (r->winback_day != INT32_MIN)
            continue;
        double own = c->orders > 1 && c->last_order_day > c->first_order_day
                         ? (double)(c->last_order_day - c->first_order_day) / (c->orders - 1)
                         : typical;
        r->winback_day = c->last_order_day + (int32_t)ceil(2 * (own > 1 ? own : 1));
    }
}

static double value_of(const cvo_analysis *a, size_t i);

/* The median predicted CLV (clv) or historic revenue; a count-only log's
 * median value in orders (value_of). */
static double median_of(cvo_analysis *a, bool clv)
{
    size_t n = a->customers->count, k = 0;
    double *v = mem_array(a->ctx, n + 1, sizeof *v);
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        double x = a->stats.no_amounts ? value_of(a, i)
                   : clv              ? a->results[i].predicted_clv
                                      : a->customers->rows[i].net_revenue_cents / 100.0;
        if (isfinite(x))
            v[k++] = x;
    }
    double median = k ? select_kth(v, k, k / 2) : 0;
    mem_free(a->ctx, v);
    return median;
}

/* A customer's value: predicted CLV, else historic net revenue; a count-only
 * log has no money, so its expected orders (else its orders so far). */
static double value_of(const cvo_analysis *a, size_t i)
{
    if (a->stats.no_amounts) {
        double expected = a->results[i].expected_orders;
        return isfinite(expected) ? expected : (double)a->customers->rows[i].orders;
    }
    double clv = a->results[i].predicted_clv;
    return isfinite(clv) ? clv : a->customers->rows[i].net_revenue_cents / 100.0;
}

static bool should_exclude(const cvo_analysis *a, size_t i, double median_value)
{
    const cvo_score *s = &cvo_rfm_scores(a->rfm)[i];
    const cvo_customer_result *r = &a->results[i];
    const analysis_rules *rule = &a->rules;
    if (rule->exclude_worst_cell && s->r == 1 && s->f == 1 && s->m <= 1) /* m 0: count-only */
        return true;
    bool lapsed = s->recency_days > rule->exclude_after_days;
    /* one-time buyers: the chance of an order within the horizon stands in
     * for P(alive), which BG/NBD keeps at 1 for them */
    double alive = a->customers->rows[i].orders < 2 ? r->prob_purchase : r->p_alive;
    bool unlikely = !isfinite(alive) || alive < rule->exclude_max_p_alive;
    return lapsed && unlikely && value_of(a, i) < median_value;
}

/* What the customer's latest answer says: a promoter in a top segment is
 * asked for a referral whatever their recency; a detractor never is. */
static unsigned nps_referral(const cvo_analysis *a, size_t i, bool top, unsigned lists)
{
    int last = a->nps ? cvo_nps_customer_last(a->nps, i) : -1;
    if (last < 0)
        return lists;
    cvo_nps_class cls = cvo_nps_class_of(last);
    if (cls == CVO_NPS_DETRACTOR)
        return lists & ~(unsigned)CVO_LIST_REFERRAL;
    if (cls == CVO_NPS_PROMOTER && top)
        return lists | CVO_LIST_REFERRAL;
    return lists;
}

static unsigned decide_lists(const cvo_analysis *a, size_t i, double median_value)
{
    const cvo_score *s = &cvo_rfm_scores(a->rfm)[i];
    const cvo_customer_result *r = &a->results[i];
    const analysis_rules *rule = &a->rules;
    unsigned lists = 0;
    if (should_exclude(a, i, median_value))
        lists |= CVO_LIST_EXCLUDE;
    bool top = rule->top[s->segment], known = isfinite(r->p_alive);
    if (cvo_analysis_no_discount_reason(a, i) != CVO_NO_DISCOUNT_NONE)
        lists |= CVO_LIST_NO_DISCOUNT;
    double window = rule->winback_window_days;
    if (!(lists & CVO_LIST_EXCLUDE) && r->winback_day != INT32_MIN &&
        r->winback_day >= a->as_of - window && r->winback_day <= a->as_of + window) {
        lists |= CVO_LIST_WINBACK;
        if (r->winback_day <= a->as_of)
            lists |= CVO_LIST_WINBACK_DUE;
    }
    if (top && s->recency_days <= rule->referral_max_recency_days &&
        (!known || r->p_alive >= rule->referral_min_p_alive))
        lists |= CVO_LIST_REFERRAL;
    return nps_referral(a, i, top, lists);
}

typedef struct ranked {
    double value;
    size_t index;
} ranked;

static int by_value_desc(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->value != b->value)
        return a->value < b->value ? 1 : -1;
    return (a->index > b->index) - (a->index < b->index);
}

/* The top vip_share of customers by predicted (else historic) value; ties at
 * the threshold go to the earlier customers, so the count is exact. */
static cvo_status mark_vips(cvo_analysis *a)
{
    size_t n = a->customers->count;
    size_t vips = (size_t)ceil(cvo_config_number(a->config, "lists", "vip_share") * (double)n);
    if (vips == 0)
        return CVO_OK;
    double *v = mem_array(a->ctx, n + 1, sizeof *v);
    if (v == NULL)
        return ctx_nomem(a->ctx);
    for (size_t i = 0; i < n; i++)
        v[i] = -value_of(a, i);
    double threshold = -select_kth(v, n, vips - 1);
    mem_free(a->ctx, v);
    size_t above = 0;
    for (size_t i = 0; i < n; i++)
        above += value_of(a, i) > threshold;
    size_t at_threshold = vips - above;
    for (size_t i = 0; i < n; i++) {
        double value = value_of(a, i);
        bool vip = value > threshold || (value == threshold && at_threshold > 0 && at_threshold--);
        if (vip && !(a->results[i].lists & CVO_LIST_EXCLUDE))
            a->results[i].lists |= CVO_LIST_VIP;
    }
    return CVO_OK;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dull;
    return x ^ (x >> 33);
}

/* A customer's place in the interview draw: a hash of seed and key, so the
 * sample is the same every run and does not depend on the file's order. */
static double draw(const cvo_analysis *a, size_t i, uint64_t seed)
{
    const cvo_customer *c = &a->customers->rows[i];
    const char *key = c->customer_id[0] ? c->customer_id : c->email;
    uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ull);
    for (const char *p = key; *p; p++)
        h = mix64(h ^ (unsigned char)*p);
    return (double)(h >> 11);
}

/* Stratified by top segment, proportional (largest remainder), lowest draws. */
static cvo_status mark_interviews(cvo_analysis *a)
{
    size_t n = a->customers->count, segments = cvo_scheme_segment_count(a->scheme);
    size_t want = (size_t)cvo_config_number(a->config, "lists", "interview_size");
    uint64_t seed = (uint64_t)cvo_config_number(a->config, "lists", "interview_seed");
    ranked *pool = mem_array(a->ctx, n + 1, sizeof *pool);
    size_t *quota = mem_zarray(a->ctx, segments + 1, sizeof *quota);
    if (pool == NULL || quota == NULL) {
        mem_free(a->ctx, pool);
        mem_free(a->ctx, quota);
        return ctx_nomem(a->ctx);
    }
    const cvo_score *scores = cvo_rfm_scores(a->rfm);
    size_t eligible = 0;
    for (size_t i = 0; i < n; i++)
        if (a->rules.top[scores[i].segment] && !(a->results[i].lists & CVO_LIST_EXCLUDE) &&
            !a->results[i].left_out)
            pool[eligible++] = (ranked){-draw(a, i, seed), i};
    /* quotas per segment: floor of the proportional share, remainders after */
    for (size_t k = 0; k < eligible; k++)
        quota[scores[pool[k].index].segment]++;
    size_t take = want < eligible ? want : eligible, given = 0;
    for (size_t g = 0; g < segments; g++) {
        quota[g] = eligible ? quota[g] * take / eligible : 0;
        given += quota[g];
    }
    qsort(pool, eligible, sizeof *pool, by_value_desc);
    for (size_t k = 0; k < eligible; k++) {
        size_t g = scores[pool[k].index].segment;
        bool extra = given < take && quota[g] == 0;
        if (quota[g] > 0 || extra) {
            a->results[pool[k].index].lists |= CVO_LIST_INTERVIEW;
            if (extra)
                given++;
            else
                quota[g]--;
        }
    }
    mem_free(a->ctx, pool);
    mem_free(a->ctx, quota);
    return CVO_OK;
}

static void assign_tiers(cvo_analysis *a)
{
    const cvo_score *scores = cvo_rfm_scores(a->rfm);
    for (size_t i = 0; i < a->customers->count; i++)
        a->results[i].tier = a->rules.tier[scores[i].segment];
}

static double number(const cvo_analysis *a, const char *section, const char *key)
{
    return cvo_config_number(a->config, section, key);
}

/* Reads the rules once; per-segment flags from the configured segment lists. */
static void read_rules(cvo_analysis *a)
{
    analysis_rules *r = &a->rules;
    r->churn_high_below = number(a, "churn", "high_below");
    r->churn_low_from = number(a, "churn", "low_from");
    r->exclude_worst_cell = number(a, "lists", "exclude_worst_cell") != 0;
    r->exclude_after_days = number(a, "lists", "exclude_after_days");
    r->exclude_max_p_alive = number(a, "lists", "exclude_max_p_alive");
    r->no_discount_min_p_alive = number(a, "lists", "no_discount_min_p_alive");
    r->no_discount_lost_p_alive = number(a, "lists", "no_discount_lost_p_alive");
    r->standard_discount = number(a, "lists", "standard_discount");
    r->winback_window_days = number(a, "lists", "winback_window_days");
    r->referral_max_recency_days = number(a, "lists", "referral_max_recency_days");
    r->referral_min_p_alive = number(a, "lists", "referral_min_p_alive");
    static const char *const names[3] = {"gold_name", "silver_name", "bronze_name"};
    for (int t = 0; t < 3; t++) {
        const char *name = cvo_config_text(a->config, "loyalty", names[t]);
        snprintf(a->tier_names[t], sizeof a->tier_names[t], "%s", name ? name : "");
    }
    const char *gold = cvo_config_text(a->config, "loyalty", "gold_segments");
    size_t segments = cvo_scheme_segment_count(a->scheme);
    for (size_t g = 0; g < segments && g < CVO_MAX_SEGMENTS; g++) {
        const char *segment = cvo_scheme_segment_name(a->scheme, g);
        r->top[g] = in_list(a, "segments", "top", segment, g, 0, 2);
        bool is_gold =
            gold && gold[0] ? in_list(a, "loyalty", "gold_segments", segment, g, 0, 0) : r->top[g];
        bool is_silver = in_list(a, "loyalty", "silver_segments", segment, g, 2, 7);
        r->tier[g] = is_gold ? 0 : is_silver ? 1 : 2;
    }
}

/* Consent from the orders; without it a customer is left out of the lists
 * and the Klaviyo files unless [klaviyo] push_without_consent. */
static void read_consent(cvo_analysis *a)
{
    bool anyway = number(a, "klaviyo", "push_without_consent") != 0;
    for (size_t i = 0; i < a->customers->count; i++) {
        cvo_customer_result *r = &a->results[i];
        r->consent = cvo_customers_consent(a->customers, i);
        r->left_out = r->consent == CVO_CONSENT_NO && !anyway;
    }
}

static void leave_out(cvo_analysis *a)
{
    for (size_t i = 0; i < a->customers->count; i++)
        if (a->results[i].left_out)
            a->results[i].lists = 0;
}

static cvo_status decide(cvo_analysis *a)
{
    read_rules(a);
    read_consent(a);
    rhythm_winback(a);
    double median_value = median_of(a, a->model_ok);
    const cvo_score *scores = cvo_rfm_scores(a->rfm);
    for (size_t i = 0; i < a->customers->count; i++) {
        a->results[i].churn_risk = churn(a, &a->results[i], &scores[i], &a->customers->rows[i]);
        a->results[i].lists = decide_lists(a, i, median_value);
    }
    CVO_TRY(mark_vips(a));
    CVO_TRY(mark_interviews(a));
    leave_out(a);
    assign_tiers(a);
    return CVO_OK;
}

/* ---- entry and accessors --------------------------------------------------------- */

static cvo_status init_results(cvo_analysis *a)
{
    size_t n = a->customers->count;
    a->results = mem_array(a->ctx, n ? n : 1, sizeof *a->results);
    if (a->results == NULL)
        return ctx_nomem(a->ctx);
    for (size_t i = 0; i < n; i++)
        a->results[i] = (cvo_customer_result){NAN,
                                              NAN,
                                              NAN,
                                              NAN,
                                              NAN,
                                              CVO_CHURN_MEDIUM,
                                              INT32_MIN,
                                              INT32_MIN,
                                              2,
                                              0,
                                              CVO_CONSENT_UNKNOWN,
                                              false,
                                              0};
    return CVO_OK;
}

/* The responses, read once the customers are scored so that the by-segment
 * table uses the analysis' own scheme. */
static cvo_status load_nps(cvo_analysis *a, const cvo_nps_options *given)
{
    if (given == NULL)
        return CVO_OK;
    cvo_nps_options o = *given;
    o.customers = a->customers;
    o.rfm = a->rfm;
    o.scheme = a->scheme;
    o.min_group = (uint64_t)cvo_config_number(a->config, "nps", "min_group");
    o.delivery_days = (int32_t)cvo_config_number(a->config, "nps", "delivery_days");
    o.transit_days = (int32_t)cvo_config_number(a->config, "nps", "transit_days");
    o.before_day = a->as_of; /* as of a past day, later answers are not heard */
    return cvo_nps_load(a->ctx, &o, &a->nps, NULL);
}

cvo_status cvo_analyze(cvo_ctx *ctx, const cvo_customers *customers, const cvo_load_stats *stats,
                       const cvo_config *config, cvo_analysis **out)
{
    return cvo_analyze_nps(ctx, customers, stats, config, NULL, out);
}

cvo_status cvo_analyze_nps(cvo_ctx *ctx, const cvo_customers *customers,
                           const cvo_load_stats *stats, const cvo_config *config,
                           const cvo_nps_options *nps, cvo_analysis **out)
{
    *out = NULL;
    if (customers == NULL || config == NULL || customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "analyze needs a table loaded with its orders");
    if (customers->count == 0)
        return ctx_fail(ctx, CVO_ERR_EMPTY, "no customers to analyse");
    cvo_analysis *a = mem_alloc(ctx, sizeof *a);
    if (a == NULL)
        return ctx_nomem(ctx);
    memset(a, 0, sizeof *a);
    for (int m = 0; m < 12; m++) /* no index until one is estimated */
        a->season.index[m] = a->backtest_season.index[m] = 1.0;
    a->season.first_day = a->backtest_season.first_day = INT32_MIN;
    a->ctx = ctx;
    a->customers = customers;
    a->config = config;
    if (stats != NULL)
        a->stats = *stats;
    cvo_status status = cvo_ctx_new(&a->side_ctx, &ctx->allocator);
    if (status == CVO_OK)
        status = init_results(a);
    if (status == CVO_OK)
        status = score(a);
    if (status == CVO_OK)
        status = load_nps(a, nps);
    side_step side;
    if (status == CVO_OK) {
        side_start(&side, a, cohorts);
        status = side_join(&side, models(a));
    }
    if (status == CVO_OK) {
        side_start(&side, a, dives);
        status = profit(a);
        if (status == CVO_OK)
            status = decide(a);
        status = side_join(&side, status);
    }
    if (status != CVO_OK) {
        cvo_analysis_free(a);
        return status;
    }
    *out = a;
    return CVO_OK;
}

const char *cvo_list_name(unsigned list_bit)
{
    static const char *const names[CVO_LIST_COUNT] = {
        "exclude", "no-discount", "winback", "vip", "referral", "interview", "winback-due"};
    for (int i = 0; i < CVO_LIST_COUNT; i++)
        if (list_bit == 1u << i)
            return names[i];
    return "unknown";
}

const cvo_customers *cvo_analysis_customers(const cvo_analysis *a)
{
    return a->customers;
}
const cvo_customer_result *cvo_analysis_results(const cvo_analysis *a)
{
    return a->results;
}
const cvo_rfm *cvo_analysis_rfm(const cvo_analysis *a)
{
    return a->rfm;
}
const cvo_scheme *cvo_analysis_scheme(const cvo_analysis *a)
{
    return a->scheme;
}
const cvo_config *cvo_analysis_config(const cvo_analysis *a)
{
    return a->config;
}
const cvo_segment_row *cvo_analysis_segments(const cvo_analysis *a)
{
    return a->segments;
}
const cvo_load_stats *cvo_analysis_load_stats(const cvo_analysis *a)
{
    return &a->stats;
}
int32_t cvo_analysis_as_of(const cvo_analysis *a)
{
    return a->as_of;
}
bool cvo_analysis_model_ok(const cvo_analysis *a)
{
    return a->model_ok;
}
const char *cvo_analysis_model_note(const cvo_analysis *a)
{
    return a->model_note;
}
const cvo_fit *cvo_analysis_purchase_fit(const cvo_analysis *a)
{
    return a->model_ok ? &a->purchase : NULL;
}
const cvo_fit *cvo_analysis_spend_fit(const cvo_analysis *a)
{
    return a->model_ok && a->spend.converged ? &a->spend : NULL;
}
const cvo_profit *cvo_analysis_profit(const cvo_analysis *a)
{
    return a->profit;
}
const cvo_nps *cvo_analysis_nps(const cvo_analysis *a)
{
    return a->nps;
}
const cvo_cohorts *cvo_analysis_cohorts(const cvo_analysis *a)
{
    return a->cohorts;
}
const cvo_cov_fit *cvo_analysis_covariates(const cvo_analysis *a)
{
    return a->covariates;
}

const char *cvo_analysis_covariates_note(const cvo_analysis *a)
{
    return a->covariates_note;
}

const cvo_dive *cvo_analysis_dive(const cvo_analysis *a, cvo_dive_by by)
{
    return (unsigned)by < CVO_DIVE_BY__COUNT ? a->dives[by] : NULL;
}
const cvo_backtest *cvo_analysis_backtest(const cvo_analysis *a)
{
    return a->backtest;
}
const cvo_model_choice *cvo_analysis_model_choice(const cvo_analysis *a)
{
    return a != NULL && a->choice_ran ? &a->choice : NULL;
}

const cvo_spend_backtest *cvo_analysis_spend_backtest(const cvo_analysis *a)
{
    return a != NULL && a->spend_backtest_ran ? &a->spend_backtest : NULL;
}

const cvo_season *cvo_analysis_season(const cvo_analysis *a, bool backtest)
{
    return backtest ? &a->backtest_season : &a->season;
}

const char *cvo_analysis_backtest_note(const cvo_analysis *a)
{
    return a->backtest_note;
}
int32_t cvo_analysis_calibration_end(const cvo_analysis *a)
{
    return a->calibration_end;
}
size_t cvo_analysis_tier_count(const cvo_analysis *a)
{
    (void)a;
    return 3;
}
const char *cvo_analysis_tier_name(const cvo_analysis *a, size_t tier)
{
    return tier < 3 ? a->tier_names[tier] : "";
}

void cvo_analysis_free(cvo_analysis *a)
{
    if (a == NULL)
        return;
    cvo_profit_free(a->profit);
    cvo_cohorts_free(a->cohorts);
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++)
        cvo_dive_free(a->dives[by]);
    if (a->covariates != NULL)
        mem_free(a->side_ctx, a->covariates);
    if (a->side_ctx != NULL)
        profit_margins_free(a->side_ctx, &a->margins);
    cvo_ctx_free(a->side_ctx);
    cvo_nps_free(a->nps);
    cvo_model_choice_release(&a->choice);
    cvo_rfm_free(a->rfm);
    cvo_scheme_free(a->scheme);
    mem_free(a->ctx, a->segments);
    mem_free(a->ctx, a->results);
    mem_free(a->ctx, a);
}
