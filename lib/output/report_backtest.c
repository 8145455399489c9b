/* report_backtest.c - the report's "Backtest" section: the purchase model fitted
 * without the holdout against what customers did and against a naive forecast,
 * the candidates of the model choice, and the spend model against the holdout. */
#include "output/report_page.h"

#include "output/report_text.h"
#include "output/svg.h"

#include <math.h>
#include <string.h>

static double period_days(const report *r)
{
    const char *p = report_setting_text(r, "model", "period", "week");
    return strcmp(p, "day") == 0 ? 1 : strcmp(p, "month") == 0 ? 365.25 / 12 : 7;
}

static void fmt_total(char *buf, size_t size, double v)
{
    report_count(buf, size, isfinite(v) && v > 0 ? (uint64_t)llround(v) : 0);
}

static void backtest_figures(report *r, const cvo_backtest *bt)
{
    char cal[11], customers[32], actual[32], model[32], naive[32];
    report_fmt_day(cal, cvo_analysis_calibration_end(r->a));
    fmt_total(customers, sizeof customers, bt->customers);
    fmt_total(actual, sizeof actual, bt->actual_total);
    fmt_total(model, sizeof model, bt->model_total);
    fmt_total(naive, sizeof naive, bt->naive_total);
    fprintf(r->out,
            "<ul class=\"figures\"><li>Calibration until <b>%s</b></li>"
            "<li>Holdout <b>%.0f %s</b></li><li>Customers <b>%s</b></li></ul>\n"
            "<ul class=\"figures\"><li>Repeat purchases in the holdout: actual <b>%s</b>, "
            "model <b>%s</b>, naive <b>%s</b></li>"
            "<li>Mean absolute error per customer: model <b>%.3f</b>, naive <b>%.3f</b>"
            "</li></ul>\n",
            cal, bt->holdout, report_period_name(r), customers, actual, model, naive, bt->model_mae,
            bt->naive_mae);
}

static void backtest_chart(report *r, const cvo_backtest *bt)
{
    char model_name[32];
    snprintf(model_name, sizeof model_name, "model (%s)", report_chosen_title(r));
    svg_series series[2] = {{"actual", bt->tracking_actual, bt->periods, false},
                            {model_name, bt->tracking_model, bt->periods, true}};
    char x_name[64];
    snprintf(x_name, sizeof x_name, "end of each %s, labelled by month",
             report_setting_text(r, "model", "period", "week"));
    /* point i is the total at the end of period i, so it is dated one period in */
    double days = period_days(r);
    svg_lines chart = {.series = series,
                       .series_count = 2,
                       .marker = (double)bt->calibration_periods - 1,
                       .marker_label = "calibration end",
                       .x_name = x_name,
                       .y_name = "cumulative repeat purchases",
                       .origin_day = r->first_day + (int32_t)lround(days),
                       .period_days = days};
    report_figure_open(r);
    svg_line_chart(r->out, "Predicted and actual cumulative repeat purchases", &chart);
    report_figure_close(r, "The model is fitted on the calibration period only; to the right of the "
                    "dashed line (shaded) it predicts purchases it has not seen.");
}

static void backtest_table(report *r, const cvo_backtest *bt)
{
    static const char *const cols[] = {"Repeat purchases in calibration", "#Customers", "#Actual",
                                       "#Model", "#Naive"};
    report_table_head(r, "Mean holdout purchases per customer, by calibration repeat purchases", cols,
               sizeof cols / sizeof cols[0], false);
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        const cvo_backtest_bin *b = &bt->bins[i];
        fprintf(r->out, "<tr><th scope=\"row\">%d%s</th>", b->x,
                i == CVO_BACKTEST_BINS - 1 ? "+" : "");
        report_td_count(r, (uint64_t)llround(b->customers));
        report_td_real(r, b->actual, 3, "");
        report_td_real(r, b->model, 3, "");
        report_td_real(r, b->naive, 3, "");
        report_put(r, "</tr>\n");
    }
    report_table_end(r);
}

/* The classic BTYD plot: mean holdout purchases by calibration repeat purchases. */
static void calibration_chart(report *r, const cvo_backtest *bt)
{
    double actual[CVO_BACKTEST_BINS], model[CVO_BACKTEST_BINS];
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        actual[i] = bt->bins[i].actual;
        model[i] = bt->bins[i].model;
    }
    char model_name[32], x_name[96];
    snprintf(model_name, sizeof model_name, "model (%s)", report_chosen_title(r));
    snprintf(x_name, sizeof x_name, "repeat purchases in calibration (%d: %d or more)",
             CVO_BACKTEST_BINS - 1, CVO_BACKTEST_BINS - 1);
    svg_series series[2] = {{"actual", actual, CVO_BACKTEST_BINS, false},
                            {model_name, model, CVO_BACKTEST_BINS, true}};
    svg_lines chart = {.series = series,
                       .series_count = 2,
                       .marker = -1,
                       .marker_label = NULL,
                       .x_name = x_name,
                       .y_name = "mean holdout purchases per customer",
                       .origin_day = 0,
                       .period_days = 0};
    report_figure_open(r);
    svg_line_chart(r->out,
                   "Calibration vs holdout: mean holdout purchases by calibration "
                   "purchases",
                   &chart);
    report_figure_close(r, "Customers grouped by their repeat purchases before the calibration end: "
                    "what the model expected each group to buy in the holdout, beside what "
                    "it bought.");
}

/* Which purchase model, why, and every candidate's holdout errors. */
static void backtest_choice(report *r)
{
    const cvo_model_choice *c = cvo_analysis_model_choice(r->a);
    if (c == NULL || c->chosen < 0)
        return;
    report_note_box(r, "Purchase model.", c->reason);
    static const char *const cols[] = {"Model",      "#Log score",   "#Standard error",
                                       "#Predicted", "#Actual",      "#MAE",
                                       "#RMSE",      "#Correlation", "Note"};
    report_table_head(r,
               "Each purchase model fitted on the calibration part, against the holdout, per "
               "customer: the log score (log-likelihood of the holdout purchases given the "
               "calibration; higher is better) with the standard error of its difference from "
               "the best, repeat purchases predicted and actual, and the errors",
               cols, sizeof cols / sizeof cols[0], false);
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        const cvo_choice_metrics *m = &c->metrics[i];
        fprintf(r->out, "<tr><th scope=\"row\">%s%s</th>", report_model_title(c->models[i]),
                i == c->chosen ? " (used)" : "");
        report_td_real(r, m->log_score, 4, "");
        report_td_real(r, m->log_score_se, 4, "");
        report_td_real(r, m->predicted, 3, "");
        report_td_real(r, m->actual, 3, "");
        report_td_real(r, m->mae, 4, "");
        report_td_real(r, m->rmse, 4, "");
        report_td_real(r, m->correlation, 3, "");
        report_td(r, c->notes[i], false);
        report_put(r, "</tr>\n");
    }
    report_table_end(r);
}

/* Gamma-Gamma against the holdout's average spend, and its assumption. */
static void backtest_spend(report *r)
{
    const cvo_spend_backtest *sp = cvo_analysis_spend_backtest(r->a);
    if (sp == NULL)
        return;
    if (sp->correlation_warned)
        report_note_box(r, "Spend model assumption.", sp->correlation_note);
    static const char *const cols[] = {"Spend model (Gamma-Gamma)", "#Value"};
    report_table_head(r,
               "Average spend per purchase of the customers who bought in the holdout: "
               "predicted from the calibration part, and actual",
               cols, sizeof cols / sizeof cols[0], false);
    double n = sp->customers;
    report_put(r, "<tr><th scope=\"row\">Customers with holdout purchases</th>");
    report_td_real(r, n, 0, "");
    report_put(r, "</tr>\n<tr><th scope=\"row\">Predicted average spend, mean</th>");
    report_td_real(r, n > 0 ? sp->predicted_total / n : NAN, 2, "");
    report_put(r, "</tr>\n<tr><th scope=\"row\">Actual average spend, mean</th>");
    report_td_real(r, n > 0 ? sp->actual_total / n : NAN, 2, "");
    report_put(r, "</tr>\n<tr><th scope=\"row\">Mean absolute error per customer</th>");
    report_td_real(r, sp->mae, 2, "");
    report_put(r, "</tr>\n<tr><th scope=\"row\">Correlation of frequency and average spend "
           "(repeat buyers; the model assumes none)</th>");
    report_td_real(r, sp->correlation, 3, "");
    report_put(r, "</tr>\n");
    report_table_end(r);
}

void report_section_backtest(report *r)
{
    report_section_open(r, "backtest", "Backtest",
                 "How well would the model have predicted the most recent part of the history? "
                 "It is fitted without the holdout, then compared with what customers actually "
                 "did and with a naive forecast (each customer keeps their past rate).");
    const cvo_backtest *bt = cvo_analysis_backtest(r->a);
    if (bt == NULL) {
        report_note_box(r, "No backtest.", cvo_analysis_backtest_note(r->a));
    } else {
        const char *note = cvo_analysis_backtest_note(r->a);
        if (note != NULL && note[0])
            report_note_box(r, "Model note.", note);
        if (bt->season_note[0])
            report_note_box(r, "Seasons.", bt->season_note);
        backtest_figures(r, bt);
        if (bt->periods > 1 && bt->tracking_actual && bt->tracking_model)
            backtest_chart(r, bt);
        backtest_table(r, bt);
        calibration_chart(r, bt);
        backtest_choice(r);
        backtest_spend(r);
    }
    report_section_close(r);
}
