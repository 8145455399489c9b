/* summary_models.c - summary.json's members on the models: the fits as cvo fit
 * --json prints them, the backtest with its seasonal index, the choice of the
 * purchase model with every candidate, and the spend model's backtest. */
#include "output/summary_json.h"

#include <math.h>
#include <stdio.h>

static void fit_params(json_obj *o, const char *key, const cvo_fit *fit, const double *values)
{
    json_obj params = {o->b, false};
    summary_obj_key(o, key);
    for (int k = 0; k < fit->nparams && k < 4; k++)
        summary_obj_number(&params, fit->param_names[k] ? fit->param_names[k] : "?", values[k]);
    summary_obj_end(&params);
}

/* One fit as cvo fit --json prints it; null when there is none. */
static void summary_fit(json_obj *o, const char *key, const cvo_fit *fit)
{
    summary_obj_key(o, key);
    if (fit == NULL || fit->nparams <= 0) {
        cell_str(o->b, "null");
        return;
    }
    json_obj f = {o->b, false};
    summary_obj_text(&f, "model", cvo_model_name(fit->model));
    fit_params(&f, "params", fit, fit->params);
    fit_params(&f, "stderr", fit, fit->std_error);
    summary_obj_number(&f, "loglik", fit->loglik);
    summary_obj_uint(&f, "n", fit->n);
    summary_obj_bool(&f, "converged", fit->converged);
    summary_obj_uint(&f, "iterations", fit->iterations > 0 ? (uint64_t)fit->iterations : 0);
    summary_obj_text(&f, "note", fit->note);
    cvo_fit nbd;
    if (cvo_fit_reduced(fit, &nbd)) { /* only then, so earlier summaries read the same */
        summary_obj_text(&f, "status", cvo_fit_status_name(fit->status));
        summary_fit(&f, "nbd", &nbd);
    }
    summary_obj_end(&f);
}

void summary_model(json_obj *o, const cvo_analysis *a)
{
    json_obj m = {o->b, false};
    summary_obj_key(o, "model");
    summary_obj_bool(&m, "ok", cvo_analysis_model_ok(a));
    summary_obj_text(&m, "note", cvo_analysis_model_note(a));
    summary_fit(&m, "purchase", cvo_analysis_purchase_fit(a));
    summary_fit(&m, "spend", cvo_analysis_spend_fit(a));
    summary_obj_end(&m);
}

static void obj_series(json_obj *o, const char *key, const double *values, size_t count)
{
    summary_obj_key(o, key);
    cell_char(o->b, '[');
    for (size_t i = 0; values != NULL && i < count; i++) {
        if (i > 0)
            cell_char(o->b, ',');
        cell_json_number(o->b, values[i]);
    }
    cell_char(o->b, ']');
}

static void backtest_bin(cell_buf *b, const cvo_backtest_bin *bin, bool last)
{
    char label[16];
    json_obj o = {b, false};
    snprintf(label, sizeof label, "%d%s", bin->x, last ? "+" : "");
    summary_obj_text(&o, "x", label);
    summary_obj_number(&o, "customers", bin->customers);
    summary_obj_number(&o, "actual", bin->actual);
    summary_obj_number(&o, "model", bin->model);
    summary_obj_number(&o, "naive", bin->naive);
    summary_obj_end(&o);
}

static void backtest_tracking(json_obj *o, const cvo_backtest *bt)
{
    json_obj t = {o->b, false};
    summary_obj_key(o, "tracking");
    summary_obj_uint(&t, "calibration_periods", bt->calibration_periods);
    obj_series(&t, "actual", bt->tracking_actual, bt->periods);
    obj_series(&t, "model", bt->tracking_model, bt->periods);
    summary_obj_end(&t);
}

/* The backtest as cvo fit --json prints it. */
static void backtest_object(cell_buf *b, const cvo_backtest *bt)
{
    json_obj o = {b, false};
    summary_obj_number(&o, "holdout", bt->holdout);
    summary_obj_number(&o, "customers", bt->customers);
    summary_obj_number(&o, "actual", bt->actual_total);
    summary_obj_number(&o, "model", bt->model_total);
    summary_obj_number(&o, "naive", bt->naive_total);
    summary_obj_number(&o, "model_mae", bt->model_mae);
    summary_obj_number(&o, "naive_mae", bt->naive_mae);
    summary_obj_number(&o, "model_rmse", bt->model_rmse);
    summary_obj_number(&o, "naive_rmse", bt->naive_rmse);
    summary_obj_number(&o, "correlation", bt->model_correlation);
    summary_obj_key(&o, "by_frequency");
    cell_char(b, '[');
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        if (i > 0)
            cell_char(b, ',');
        backtest_bin(b, &bt->bins[i], i == CVO_BACKTEST_BINS - 1);
    }
    cell_char(b, ']');
    backtest_tracking(&o, bt);
    json_obj season = {b, false};
    summary_obj_key(&o, "season");
    summary_obj_bool(&season, "applied", bt->season_applied);
    summary_obj_number(&season, "model_without_index", bt->model_total_plain);
    summary_obj_text(&season, "note", bt->season_note);
    summary_obj_end(&season);
    summary_obj_end(&o);
}

/* A seasonal index: active, its 12 values (null when none), why none. */
static void season_object(json_obj *o, const char *key, const cvo_season *s)
{
    json_obj x = {o->b, false};
    summary_obj_key(o, key);
    summary_obj_bool(&x, "active", s->active);
    if (s->active)
        obj_series(&x, "index", s->index, 12);
    else {
        summary_obj_key(&x, "index");
        cell_str(o->b, "null");
    }
    summary_obj_text(&x, "note", s->note);
    summary_obj_end(&x);
}

void summary_backtest(json_obj *o, const cvo_analysis *a)
{
    const cvo_backtest *bt = cvo_analysis_backtest(a);
    summary_obj_day(o, "calibration_end", cvo_analysis_calibration_end(a));
    summary_obj_key(o, "backtest");
    if (bt != NULL)
        backtest_object(o->b, bt);
    else
        cell_str(o->b, "null");
    summary_obj_text(o, "backtest_note", cvo_analysis_backtest_note(a));
    json_obj seasons = {o->b, false};
    summary_obj_key(o, "seasonal_index");
    season_object(&seasons, "predictions", cvo_analysis_season(a, false));
    season_object(&seasons, "backtest", cvo_analysis_season(a, true));
    summary_obj_end(&seasons);
}

/* One candidate of the model choice: its calibration fit and holdout errors. */
static void choice_candidate(cell_buf *b, const cvo_model_choice *c, int i)
{
    json_obj o = {b, false};
    const cvo_choice_metrics *m = &c->metrics[i];
    bool tested = isfinite(m->mae);
    summary_obj_text(&o, "model", cvo_model_name(c->models[i]));
    summary_obj_bool(&o, "chosen", i == c->chosen);
    summary_obj_bool(&o, "backtested", tested);
    summary_obj_text(&o, "fit", tested ? cvo_fit_status_name(c->fits[i].status) : "");
    summary_obj_text(&o, "note", c->notes[i]);
    summary_obj_number(&o, "calibration_loglik", tested ? c->fits[i].loglik : NAN);
    summary_obj_number(&o, "actual_per_customer", m->actual);
    summary_obj_number(&o, "predicted_per_customer", m->predicted);
    summary_obj_number(&o, "mae", m->mae);
    summary_obj_number(&o, "rmse", m->rmse);
    summary_obj_number(&o, "correlation", m->correlation);
    summary_obj_number(&o, "log_score", m->log_score);
    summary_obj_number(&o, "log_score_se", m->log_score_se);
    summary_obj_end(&o);
}

/* "model_choice": which purchase model was used and why, with every candidate. */
void summary_model_choice(json_obj *o, const cvo_analysis *a)
{
    const cvo_model_choice *c = cvo_analysis_model_choice(a);
    summary_obj_key(o, "model_choice");
    if (c == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj m = {o->b, false};
    summary_obj_text(&m, "chosen", c->chosen >= 0 ? cvo_model_name(c->models[c->chosen]) : "");
    summary_obj_bool(&m, "forced", c->forced);
    summary_obj_text(&m, "criterion",
             "holdout log score per customer; within 2 standard errors, holdout mean absolute "
             "error per customer; then the simpler model");
    summary_obj_number(&m, "score_z", CVO_CHOICE_SCORE_Z);
    summary_obj_number(&m, "customers", (double)c->customers);
    summary_obj_number(&m, "compared", (double)c->compared);
    summary_obj_text(&m, "reason", c->reason);
    summary_obj_key(&m, "candidates");
    cell_char(o->b, '[');
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        if (i > 0)
            cell_char(o->b, ',');
        choice_candidate(o->b, c, i);
    }
    cell_char(o->b, ']');
    summary_obj_end(&m);
}

/* "spend_backtest": Gamma-Gamma on the calibration part against the holdout. */
void summary_spend_backtest(json_obj *o, const cvo_analysis *a)
{
    const cvo_spend_backtest *sp = cvo_analysis_spend_backtest(a);
    summary_obj_key(o, "spend_backtest");
    if (sp == NULL) {
        cell_str(o->b, "null");
        return;
    }
    json_obj m = {o->b, false};
    summary_obj_number(&m, "customers", sp->customers);
    summary_obj_number(&m, "actual_total", sp->actual_total);
    summary_obj_number(&m, "predicted_total", sp->predicted_total);
    summary_obj_number(&m, "mae", sp->mae);
    summary_obj_number(&m, "repeat_buyers", sp->repeat_buyers);
    summary_obj_number(&m, "frequency_spend_correlation", sp->correlation);
    summary_obj_bool(&m, "correlation_warned", sp->correlation_warned);
    summary_obj_text(&m, "correlation_note", sp->correlation_note);
    summary_obj_end(&m);
}
