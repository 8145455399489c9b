/* btyd.c - loading for the model commands. */
#include "btyd.h"

#include <stdlib.h>
#include <string.h>

static int parse_period(const char *text, cvo_period *out)
{
    if (text == NULL || strcmp(text, "week") == 0)
        *out = CVO_PERIOD_WEEK;
    else if (strcmp(text, "day") == 0)
        *out = CVO_PERIOD_DAY;
    else if (strcmp(text, "month") == 0)
        *out = CVO_PERIOD_MONTH;
    else {
        fprintf(stderr, "cvo: --period must be day, week or month\n");
        return EXIT_USAGE;
    }
    return -1;
}

static int summary_options(const parsed_args *a, const opt_spec *s, size_t n,
                           cvo_summary_options *o)
{
    cvo_summary_options_init(o);
    int code = parse_period(args_get(a, s, n, "period"), &o->period);
    if (code >= 0)
        return code;
    o->whole_periods = args_get(a, s, n, "whole-periods") != NULL;
    const char *cal = args_get(a, s, n, "calibration-end");
    const char *as_of = args_get(a, s, n, "as-of");
    if ((cal && !cvo_day_parse(cal, &o->calibration_end)) ||
        (as_of && !cvo_day_parse(as_of, &o->as_of_day))) {
        fprintf(stderr, "cvo: --calibration-end and --as-of take dates like 1997-09-30\n");
        return EXIT_USAGE;
    }
    return -1;
}

static int from_orders(cvo_ctx *ctx, const parsed_args *a, const opt_spec *s, size_t n,
                       btyd_data *out)
{
    cvo_summary_options so;
    int code = summary_options(a, s, n, &so);
    if (code >= 0)
        return code;
    code = cli_load_orders(ctx, a, s, n, a->positional[0], true, &out->customers, &out->stats);
    if (code > EXIT_REJECTS)
        return code;
    out->load_code = code;
    cvo_status status = cvo_summary_from_orders(ctx, out->customers, &so, &out->summary);
    return status == CVO_OK ? -1 : cli_fail(ctx, status);
}

int btyd_load(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
              btyd_data *out)
{
    memset(out, 0, sizeof *out);
    const char *summary = args_get(args, specs, count, "summary");
    if ((summary != NULL) == (args->positional_count == 1) || args->positional_count > 1) {
        fprintf(stderr, "cvo: give either ORDERS or --summary FILE\n");
        return EXIT_USAGE;
    }
    if (summary == NULL) {
        if (args_get(args, specs, count, "holdout") != NULL) {
            fprintf(stderr, "cvo: --holdout is for --summary files; with ORDERS the holdout "
                            "runs from --calibration-end to the end of the data\n");
            return EXIT_USAGE;
        }
        return from_orders(ctx, args, specs, count, out);
    }
    static const char *const orders_only[] = {"calibration-end", "whole-periods", "as-of",
                                              "season",          "map",           "date-format",
                                              "cancel-prefix",   "rejects"};
    for (size_t i = 0; i < sizeof orders_only / sizeof *orders_only; i++)
        if (args_get(args, specs, count, orders_only[i]) != NULL) {
            fprintf(stderr, "cvo: --%s applies to ORDERS, not to a --summary file\n",
                    orders_only[i]);
            return EXIT_USAGE;
        }
    cvo_status status = cvo_summary_load(ctx, summary, &out->summary);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    const char *holdout = args_get(args, specs, count, "holdout");
    if (holdout != NULL && cvo_summary_has_holdout(out->summary)) {
        char *end;
        double t = strtod(holdout, &end);
        if (*end != '\0' || !(t > 0)) {
            fprintf(stderr, "cvo: --holdout must be a positive number of periods\n");
            return EXIT_USAGE;
        }
        cvo_summary_set_holdout(out->summary, t);
    }
    return -1;
}

void btyd_free(btyd_data *data)
{
    cvo_summary_free(data->summary);
    cvo_customers_free(data->customers);
    memset(data, 0, sizeof *data);
}

int btyd_model(const parsed_args *args, const opt_spec *specs, size_t count, const char *option,
               cvo_model *out)
{
    const char *name = args_get(args, specs, count, option);
    if (name == NULL || !cvo_model_from_name(name, out)) {
        fprintf(stderr, "cvo: --%s must be bgnbd, mbgnbd, pnbd, bgbb or gg\n", option);
        return EXIT_USAGE;
    }
    return -1;
}

int btyd_season(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                const cvo_fit *fit, const btyd_data *data, cvo_season *out)
{
    const char *name = args_get(args, specs, count, "season");
    cvo_season_mode mode = CVO_SEASON_AUTO;
    if (name != NULL && !cvo_season_mode_from_name(name, &mode)) {
        fprintf(stderr, "cvo: --season must be auto, monthly or off\n");
        return EXIT_USAGE;
    }
    cvo_status status = cvo_season_estimate(ctx, fit, data->summary, data->customers, mode, out);
    return status == CVO_OK ? -1 : cli_fail(ctx, status);
}

double btyd_period_days(const parsed_args *args, const opt_spec *specs, size_t count,
                        const cvo_summary *summary)
{
    double days = cvo_summary_period_days(summary);
    if (days > 0)
        return days;
    cvo_period period = CVO_PERIOD_WEEK;
    parse_period(args_get(args, specs, count, "period"), &period);
    return period == CVO_PERIOD_DAY ? 1 : period == CVO_PERIOD_WEEK ? 7 : 365.25 / 12;
}
