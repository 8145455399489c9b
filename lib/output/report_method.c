/* report_method.c - the report's "Method" section: how the scores, the models,
 * the horizon, the backtest and net revenue were made, with the fitted
 * parameters as the analysis holds them. */
#include "output/report_page.h"

#include <string.h>

static void method_item(report *r, const char *term, const char *text)
{
    report_put(r, "<dt>");
    report_esc(r, term);
    report_put(r, "</dt><dd>");
    report_esc(r, text);
    report_put(r, "</dd>\n");
}

static void fit_text(char *buf, size_t size, const cvo_fit *fit)
{
    size_t k = (size_t)snprintf(buf, size, "%s,", report_model_title(fit->model));
    for (int i = 0; i < fit->nparams && i < 4 && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, " %s = %.4g%s", fit->param_names[i],
                              fit->params[i], i + 1 < fit->nparams ? "," : "");
    if (k < size)
        snprintf(buf + k, size - k, "; fitted on %llu customers.", (unsigned long long)fit->n);
}

static void method_models(report *r)
{
    char text[512];
    const cvo_fit *purchase = cvo_analysis_purchase_fit(r->a);
    const cvo_fit *spend = cvo_analysis_spend_fit(r->a);
    if (!cvo_analysis_model_ok(r->a) || purchase == NULL) {
        method_item(r, "Models",
                    "BG/NBD (Fader, Hardie & Lee 2005) for purchases and "
                    "Gamma-Gamma for spend; not fitted on this data.");
        return;
    }
    fit_text(text, sizeof text, purchase);
    method_item(r, "Purchase model", text);
    const cvo_model_choice *choice = cvo_analysis_model_choice(r->a);
    if (choice != NULL && choice->chosen >= 0)
        method_item(r, "Model choice", choice->reason);
    if (spend && spend->converged) {
        fit_text(text, sizeof text, spend);
        method_item(r, "Spend model", text);
    }
}

void report_section_method(report *r)
{
    report_section_open(r, "method", "Method", NULL);
    char text[512];
    const char *ties = report_setting_text(r, "scoring", "ties", "equal");
    snprintf(text, sizeof text,
             "Scores 1 to %d for recency, frequency and monetary value, from quantiles of the "
             "customers' own values; ties rule \"%s\"%s. Segments: the \"%s\" scheme, one "
             "segment per score cell.",
             cvo_rfm_levels(cvo_analysis_rfm(r->a)), ties,
             strcmp(ties, "ntile") == 0 ? " (equal-sized groups, equal values may split)"
                                        : " (equal values always get equal scores)",
             report_setting_text(r, "scoring", "scheme", "relationship"));
    report_put(r, "<dl class=\"method\">\n");
    method_item(r, "RFM", text);
    method_models(r);
    snprintf(text, sizeof text,
             "%.0f months ahead, in %s; future value discounted at %.1f%% a year. P(alive) "
             "and purchases from %s, value per order from Gamma-Gamma.",
             report_setting_number(r, "model", "horizon_months", 12), report_period_name(r),
             100 * report_setting_number(r, "model", "annual_discount", 0.1), report_chosen_title(r));
    method_item(r, "Horizon and discount", text);
    snprintf(text, sizeof text,
             "The last %.0f%% of the history is held out, the model refitted on the rest, and "
             "its forecast compared with what happened and with each customer's past rate.",
             100 * report_setting_number(r, "model", "backtest_holdout_share", 0.25));
    method_item(r, "Backtest", text);
    method_item(r, "Money",
                "Net revenue: quantity \xC3\x97 unit price minus discounts, "
                "refunds and returns; cancelled and fully refunded orders do not "
                "count.");
    report_put(r, "</dl>\n");
    report_section_close(r);
}
