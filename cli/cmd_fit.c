/* cmd_fit.c - cvo fit: fits a BTYD model and, with a calibration end, shows
 * how its holdout predictions compare with what happened and with a naive
 * baseline. */
#include "btyd.h"
#include "commands.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

static const opt_spec specs[] = {
    {"model", 'm', "NAME", "bgnbd, mbgnbd, pnbd, bgbb or gg"},
    {"penalty", 0, "L", "L2 penalty on the parameters (default 0)"},
    {"json", 0, NULL, "print one JSON object"},
    {"covariates", 0, "LIST",
     "bgnbd, pnbd: static covariates discount,channel,country,category, with LR tests"},
    {"covariate-file", 0, "FILE", "bgnbd, pnbd: numeric covariates by customer_id (or Id)"},
    CLI_SUMMARY_OPTIONS,
    CLI_INPUT_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

static const char *unit_name(const cvo_summary *s)
{
    double d = cvo_summary_period_days(s);
    return d == 1 ? "days" : d == 7 ? "weeks" : d > 7 ? "months" : "periods";
}

static void repeat_buyers(const cvo_summary *s, double *customers, double *repeaters)
{
    *customers = *repeaters = 0;
    for (size_t i = 0; i < cvo_summary_count(s); i++) {
        const cvo_summary_row *r = cvo_summary_at(s, i);
        *customers += r->weight;
        *repeaters += r->x > 0 ? r->weight : 0;
    }
}

static void print_fit(const char *source, const cvo_fit *fit, const cvo_summary *s)
{
    double customers, repeaters;
    repeat_buyers(s, &customers, &repeaters);
    printf("model           %s\ndata            %s: %.0f customers, %.0f repeat buyers",
           cvo_model_name(fit->model), source, customers, repeaters);
    if (cvo_summary_period_days(s) > 0)
        printf(", time in %s", unit_name(s));
    if (cvo_summary_born_after(s) > 0)
        printf(", %" PRIu64 " born after the calibration end left out", cvo_summary_born_after(s));
    printf("\n\n%-14s %14s %14s\n", "parameter", "estimate", "std. error");
    for (int k = 0; k < fit->nparams; k++)
        printf("%-14s %14.7g %14.7g\n", fit->param_names[k], fit->params[k], fit->std_error[k]);
    printf("\nlog-likelihood  %.4f (total over %" PRIu64 " customers)\n", fit->loglik, fit->n);
    if (fit->status == CVO_FIT_NO_DROPOUT)
        printf("optimiser       reached the no-dropout edge after %d iterations\n",
               fit->iterations);
    else
        printf("optimiser       %s after %d iterations\n",
               fit->converged ? "converged" : "NOT converged", fit->iterations);
    if (fit->note[0])
        printf("note            %s\n", fit->note);
    cvo_fit nbd;
    if (!cvo_fit_reduced(fit, &nbd))
        return;
    printf("\nno dropout detected: the model reduces to NBD (P(alive) = 1); predictions use it\n");
    printf("%-14s %14s %14s\n", "NBD parameter", "estimate", "std. error");
    for (int k = 0; k < nbd.nparams; k++)
        printf("%-14s %14.7g %14.7g\n", nbd.param_names[k], nbd.params[k], nbd.std_error[k]);
    printf("NBD log-likelihood  %.4f\n", nbd.loglik);
}

static const char *const month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The season lines of the backtest: the note in words, the index when applied. */
static void print_season(const cvo_backtest *b, const cvo_season *season)
{
    if (b->season_note[0])
        printf("  seasons: %s\n", b->season_note);
    if (!b->season_applied)
        return;
    printf("  seasonal index of the calibration period (shrinkage k = %.4g):\n  ",
           season->shrinkage);
    for (int m = 0; m < 12; m++)
        printf(" %s %.3f", month_abbr[m], season->index[m]);
    printf("\n");
}

static void print_backtest(const cvo_backtest *b, const cvo_season *season, const cvo_summary *s)
{
    printf("\nbacktest: holdout of %.4g %s\n", b->holdout, unit_name(s));
    print_season(b, season);
    printf("  %-26s %10s %10s %10s\n", "", "actual", "model", "naive");
    printf("  %-26s %10.1f %10.1f %10.1f\n", "repeat purchases", b->actual_total, b->model_total,
           b->naive_total);
    if (b->season_applied)
        printf("  %-26s %10s %10.1f\n", "  without the index", "", b->model_total_plain);
    printf("  %-26s %10s %10.4f %10.4f\n", "mean abs. error / customer", "", b->model_mae,
           b->naive_mae);
    printf("  %-26s %10s %10.4f %10.4f\n", "root mean sq. error", "", b->model_rmse, b->naive_rmse);
    printf("  %-26s %10s %10.4f\n", "correlation with actual", "", b->model_correlation);
    printf("\n  mean holdout purchases by calibration repeat purchases:\n");
    printf("  %4s %10s %10s %10s %10s\n", "x", "customers", "actual", "model", "naive");
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        const cvo_backtest_bin *x = &b->bins[i];
        char label[8];
        snprintf(label, sizeof label, i == CVO_BACKTEST_BINS - 1 ? "%d+" : "%d", x->x);
        printf("  %4s %10.0f %10.4f %10.4f %10.4f\n", label, x->customers, x->actual, x->model,
               x->naive);
    }
    if (b->periods == 0)
        return;
    printf("\n  cumulative repeat purchases (calibration ends after period %zu):\n",
           b->calibration_periods);
    printf("  %6s %10s %10s\n", "period", "actual", "model");
    for (size_t p = 0; p < b->periods; p++)
        printf("  %6zu %10.0f %10.2f\n", p + 1, b->tracking_actual[p], b->tracking_model[p]);
}

static void json_number(double v)
{
    if (isfinite(v))
        printf("%.10g", v);
    else
        printf("null");
}

static void json_params(const char *key, const cvo_fit *fit, const double *values)
{
    printf("\"%s\":{", key);
    for (int k = 0; k < fit->nparams; k++) {
        printf("%s\"%s\":", k ? "," : "", fit->param_names[k]);
        json_number(values[k]);
    }
    printf("}");
}

static void json_series(const char *key, const double *v, size_t n)
{
    printf("\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        printf(i ? "," : "");
        json_number(v[i]);
    }
    printf("]");
}

static void json_backtest(const cvo_backtest *b, const cvo_season *season)
{
    printf(",\"backtest\":{\"holdout\":%.10g,\"customers\":%.10g,\"actual\":%.10g,"
           "\"model\":%.10g,\"naive\":%.10g,\"model_mae\":%.10g,\"naive_mae\":%.10g,"
           "\"model_rmse\":%.10g,\"naive_rmse\":%.10g,\"correlation\":",
           b->holdout, b->customers, b->actual_total, b->model_total, b->naive_total, b->model_mae,
           b->naive_mae, b->model_rmse, b->naive_rmse);
    json_number(b->model_correlation);
    printf(",\"by_frequency\":[");
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        const cvo_backtest_bin *x = &b->bins[i];
        printf("%s{\"x\":\"%d%s\",\"customers\":%.10g,\"actual\":%.10g,\"model\":%.10g,"
               "\"naive\":%.10g}",
               i ? "," : "", x->x, i == CVO_BACKTEST_BINS - 1 ? "+" : "", x->customers, x->actual,
               x->model, x->naive);
    }
    printf("],\"tracking\":{\"calibration_periods\":%zu,", b->calibration_periods);
    json_series("actual", b->tracking_actual, b->periods);
    printf(",");
    json_series("model", b->tracking_model, b->periods);
    printf("},\"season\":{\"applied\":%s,\"model_without_index\":%.10g,\"index\":",
           b->season_applied ? "true" : "false", b->model_total_plain);
    for (int m = 0; m < 12; m++) {
        printf(m ? "," : b->season_applied ? "[" : "null");
        if (!b->season_applied)
            break;
        json_number(season->index[m]);
    }
    printf(b->season_applied ? "]" : "");
    printf(",\"note\":");
    cli_json_string(b->season_note);
    printf("}}");
}

/* Gamma-Gamma: the assumption check, and the backtest when it ran. */
static void print_spend(const cvo_spend_backtest *sp)
{
    printf("\nfrequency and average spend among %.0f repeat buyers: correlation %.4f%s\n",
           sp->repeat_buyers, sp->correlation,
           sp->correlation_warned ? "" : " (weak enough for Gamma-Gamma)");
    if (sp->correlation_warned)
        printf("  warning: %s\n", sp->correlation_note);
    if (!sp->ran)
        return;
    printf("\nspend backtest: %.0f customers with holdout purchases\n", sp->customers);
    printf("  %-34s %12s %12s\n", "", "actual", "predicted");
    printf("  %-34s %12.2f %12.2f\n", "average spend per purchase, summed", sp->actual_total,
           sp->predicted_total);
    printf("  %-34s %12.2f %12.2f\n", "mean per customer",
           sp->customers > 0 ? sp->actual_total / sp->customers : NAN,
           sp->customers > 0 ? sp->predicted_total / sp->customers : NAN);
    printf("  %-34s %12s %12.4f\n", "mean abs. error / customer", "", sp->mae);
}

static void json_spend(const cvo_spend_backtest *sp)
{
    printf(",\"spend_check\":{\"repeat_buyers\":%.10g,\"correlation\":", sp->repeat_buyers);
    json_number(sp->correlation);
    printf(",\"warned\":%s,\"note\":", sp->correlation_warned ? "true" : "false");
    cli_json_string(sp->correlation_note);
    printf("}");
    if (sp->ran)
        printf(",\"spend_backtest\":{\"customers\":%.10g,\"actual\":%.10g,\"predicted\":%.10g,"
               "\"mae\":%.10g}",
               sp->customers, sp->actual_total, sp->predicted_total, sp->mae);
}

static void print_json(const cvo_fit *fit, const cvo_backtest *b, const cvo_season *season,
                       const cvo_spend_backtest *spend)
{
    printf("{\"model\":\"%s\",", cvo_model_name(fit->model));
    json_params("params", fit, fit->params);
    printf(",");
    json_params("stderr", fit, fit->std_error);
    printf(",\"loglik\":");
    json_number(fit->loglik);
    printf(",\"n\":%" PRIu64 ",\"converged\":%s,\"iterations\":%d,\"note\":", fit->n,
           fit->converged ? "true" : "false", fit->iterations);
    cli_json_string(fit->note);
    printf(",\"status\":");
    cli_json_string(cvo_fit_status_name(fit->status));
    cvo_fit nbd;
    if (cvo_fit_reduced(fit, &nbd)) {
        printf(",\"nbd\":{");
        json_params("params", &nbd, nbd.params);
        printf(",");
        json_params("stderr", &nbd, nbd.std_error);
        printf(",\"loglik\":");
        json_number(nbd.loglik);
        printf("}");
    }
    if (b != NULL)
        json_backtest(b, season);
    if (spend != NULL)
        json_spend(spend);
    printf("}\n");
}

static void print_effect(const char *process, const cvo_cov_effect *e)
{
    printf("  %-9s %10.4f %10.4f %9.3f  %7.3f..%-7.3f %9.2f %10.3g\n", process, e->gamma,
           e->std_error, e->factor, e->factor_low, e->factor_high, e->lr_stat, e->lr_p);
}

static void print_cov_fit(const char *source, const cvo_cov_fit *fit, const cvo_summary *s,
                          const char *note)
{
    printf("model           %s with static covariates (CLVTools' parametrisation)\n",
           cvo_model_name(fit->model));
    printf("data            %s: %" PRIu64 " customers", source, fit->n);
    if (cvo_summary_period_days(s) > 0)
        printf(", time in %s", unit_name(s));
    printf("\n\n%-14s %14s %14s\n", "parameter", "estimate", "std. error");
    for (int k = 0; k < fit->nparams; k++)
        printf("%-14s %14.7g %14.7g\n", fit->param_names[k], fit->params[k], fit->std_error[k]);
    printf("\ncovariate effects: factor exp(gamma) on the purchase rate and on dropout%s\n",
           fit->model == CVO_MODEL_PNBD ? " (the rate mu)" : " (a and b of the Beta)");
    printf("  %-9s %10s %10s %9s  %-16s %9s %10s\n", "", "gamma", "std. err.", "factor", "95% CI",
           "LR chi2", "LR p");
    for (size_t j = 0; j < fit->columns; j++) {
        const cvo_cov_column *c = &fit->column[j];
        printf("%s (%.0f customers)\n", c->name, c->customers);
        print_effect("purchase", &c->purchase);
        print_effect("dropout", &c->dropout);
    }
    printf("\nlikelihood-ratio tests by covariate (both processes):\n");
    for (size_t g = 0; g < fit->groups; g++)
        printf("  %-20s chi2 %9.2f  df %2d  p %.3g\n", fit->group[g].name, fit->group[g].lr_stat,
               fit->group[g].df, fit->group[g].lr_p);
    printf("\nlog-likelihood  %.4f with covariates, %.4f without (LR chi2 %.2f, df %zu, p %.3g)\n",
           fit->loglik, fit->loglik_base, fit->lr_all, 2 * fit->columns, fit->lr_all_p);
    printf("optimiser       %s after %d Newton steps\n",
           fit->converged ? "converged" : "NOT converged", fit->iterations);
    if (fit->note[0])
        printf("note            %s\n", fit->note);
    if (note != NULL && note[0])
        printf("covariates      %s\n", note);
}

static void json_effect(const char *key, const cvo_cov_effect *e)
{
    printf("\"%s\":{\"gamma\":", key);
    json_number(e->gamma);
    printf(",\"std_error\":");
    json_number(e->std_error);
    printf(",\"factor\":");
    json_number(e->factor);
    printf(",\"factor_low\":");
    json_number(e->factor_low);
    printf(",\"factor_high\":");
    json_number(e->factor_high);
    printf(",\"lr_stat\":");
    json_number(e->lr_stat);
    printf(",\"lr_p\":");
    json_number(e->lr_p);
    printf("}");
}

static void print_cov_json(const cvo_cov_fit *fit)
{
    printf("{\"model\":\"%s\",\"covariates\":true,\"params\":{", cvo_model_name(fit->model));
    for (int k = 0; k < fit->nparams; k++) {
        printf("%s\"%s\":", k ? "," : "", fit->param_names[k]);
        json_number(fit->params[k]);
    }
    printf("},\"stderr\":{");
    for (int k = 0; k < fit->nparams; k++) {
        printf("%s\"%s\":", k ? "," : "", fit->param_names[k]);
        json_number(fit->std_error[k]);
    }
    printf("},\"effects\":[");
    for (size_t j = 0; j < fit->columns; j++) {
        const cvo_cov_column *c = &fit->column[j];
        printf("%s{\"name\":", j ? "," : "");
        cli_json_string(c->name);
        printf(",\"group\":");
        cli_json_string(c->group);
        printf(",\"customers\":%.10g,", c->customers);
        json_effect("purchase", &c->purchase);
        printf(",");
        json_effect("dropout", &c->dropout);
        printf("}");
    }
    printf("],\"groups\":[");
    for (size_t g = 0; g < fit->groups; g++) {
        printf("%s{\"name\":", g ? "," : "");
        cli_json_string(fit->group[g].name);
        printf(",\"df\":%d,\"lr_stat\":", fit->group[g].df);
        json_number(fit->group[g].lr_stat);
        printf(",\"lr_p\":");
        json_number(fit->group[g].lr_p);
        printf("}");
    }
    printf("],\"loglik\":");
    json_number(fit->loglik);
    printf(",\"loglik_base\":");
    json_number(fit->loglik_base);
    printf(",\"n\":%" PRIu64 ",\"converged\":%s,\"iterations\":%d,\"note\":", fit->n,
           fit->converged ? "true" : "false", fit->iterations);
    cli_json_string(fit->note);
    printf("}\n");
}

static int run_cov_fit(cvo_ctx *ctx, const parsed_args *args, cvo_model model, btyd_data *data)
{
    const char *list = args_get(args, specs, SPEC_COUNT, "covariates");
    const char *file = args_get(args, specs, SPEC_COUNT, "covariate-file");
    if (model != CVO_MODEL_BGNBD && model != CVO_MODEL_PNBD) {
        fprintf(stderr, "cvo: covariates are fitted in the bgnbd and pnbd models only\n");
        return EXIT_USAGE;
    }
    if (list != NULL && data->customers == NULL) {
        fprintf(stderr, "cvo: --covariates needs ORDERS (a --summary has no attributes; use "
                        "--covariate-file)\n");
        return EXIT_USAGE;
    }
    char note[256] = "";
    cvo_covariates *cov = NULL;
    cvo_status status = file != NULL
                            ? cvo_covariates_load(ctx, file, data->summary, &cov)
                            : cvo_covariates_from_customers(ctx, data->customers, data->summary,
                                                            list, 0, &cov, note, sizeof note);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    cvo_cov_fit fit;
    status = cvo_cov_fit_model(ctx, model, data->summary, cov, NULL, &fit);
    cvo_covariates_free(cov);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    const char *source =
        data->customers ? args->positional[0] : args_get(args, specs, SPEC_COUNT, "summary");
    if (args_get(args, specs, SPEC_COUNT, "json"))
        print_cov_json(&fit);
    else
        print_cov_fit(source, &fit, data->summary, note);
    return cli_close_output(stdout, NULL) ? EXIT_OK : EXIT_SYSTEM;
}

static int run_fit(cvo_ctx *ctx, const parsed_args *args, cvo_model model, btyd_data *data)
{
    if (args_get(args, specs, SPEC_COUNT, "covariates") ||
        args_get(args, specs, SPEC_COUNT, "covariate-file"))
        return run_cov_fit(ctx, args, model, data);
    cvo_fit_options options;
    cvo_fit_options_init(&options);
    const char *penalty = args_get(args, specs, SPEC_COUNT, "penalty");
    if (penalty != NULL && !cli_parse_double(penalty, 0, 1e6, &options.penalty)) {
        fprintf(stderr, "cvo: --penalty must be a number >= 0\n");
        return EXIT_USAGE;
    }
    cvo_fit fit;
    cvo_status status = cvo_model_fit(ctx, model, data->summary, &options, &fit);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    cvo_backtest *bt = NULL;
    bool holdout = cvo_summary_holdout(data->summary) > 0;
    if (cvo_summary_has_holdout(data->summary) && !holdout && model != CVO_MODEL_GG)
        fprintf(stderr, "cvo: the summary has holdout counts: give --holdout T (its length in "
                        "periods) for a backtest\n");
    cvo_season season;
    if (holdout && model != CVO_MODEL_GG && model != CVO_MODEL_BGBB && fit.converged) {
        int code = btyd_season(ctx, args, specs, SPEC_COUNT, &fit, data, &season);
        if (code >= 0)
            return code;
        status = cvo_backtest_run_season(ctx, &fit, &season, data->summary, data->customers, &bt);
        if (status != CVO_OK)
            return cli_fail(ctx, status);
    }
    cvo_spend_backtest spend;
    bool spend_ran = model == CVO_MODEL_GG && fit.converged;
    if (spend_ran &&
        (status = cvo_spend_backtest_run(ctx, &fit, data->summary, data->customers, &spend)) !=
            CVO_OK)
        return cli_fail(ctx, status);
    const char *source =
        data->customers ? args->positional[0] : args_get(args, specs, SPEC_COUNT, "summary");
    if (args_get(args, specs, SPEC_COUNT, "json"))
        print_json(&fit, bt, &season, spend_ran ? &spend : NULL);
    else {
        print_fit(source, &fit, data->summary);
        if (bt != NULL)
            print_backtest(bt, &season, data->summary);
        if (spend_ran)
            print_spend(&spend);
    }
    cvo_backtest_free(bt);
    return cli_close_output(stdout, NULL) ? EXIT_OK : EXIT_SYSTEM;
}

int cmd_fit(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args,
                         "cvo fit --model NAME [OPTIONS] (ORDERS | --summary FILE)",
                         "Fits a \"Buy 'Til You Die\" model by maximum likelihood and prints its\n"
                         "parameters, standard errors and log-likelihood. With --calibration-end,\n"
                         "also a backtest of the holdout against a naive baseline.");
    if (code >= 0)
        return code;
    cvo_model model;
    if ((code = btyd_model(&args, specs, SPEC_COUNT, "model", &model)) >= 0)
        return code;
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    btyd_data data;
    code = btyd_load(ctx, &args, specs, SPEC_COUNT, &data);
    if (code < 0 && model == CVO_MODEL_GG && data.stats.no_amounts) {
        fprintf(stderr, "cvo: %s has no amounts (a count-only event log): there is no spend "
                        "to fit a gg model to\n", args.positional[0]);
        code = EXIT_INPUT;
    }
    if (code < 0)
        code = run_fit(ctx, &args, model, &data);
    if (code == EXIT_OK)
        code = data.load_code;
    btyd_free(&data);
    cvo_ctx_free(ctx);
    return code;
}
