/* cmd_predict.c - cvo predict: per customer P(alive), expected purchases,
 * chance of a purchase, expected spend, CLV and next-order date, from a fitted
 * (or given) purchase model and an optional Gamma-Gamma spend model. */
#include "btyd.h"
#include "commands.h"
#include "line.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const opt_spec specs[] = {
    {"model", 'm', "NAME", "purchase model: bgnbd, mbgnbd or pnbd"},
    {"spend", 0, "gg", "spend model for expected spend and CLV"},
    {"horizon", 0, "H", "how far ahead: periods, or 90d, 26w, 12m, 1y (default 12m)"},
    {"discount-rate", 0, "R/UNIT", "e.g. 10%/year (default), 0.8%/month, 0.002/week"},
    {"clv", 0, "FORM", "monthly (default: discounted monthly cash flows) or dert (pnbd)"},
    {"params", 0, "K=V,..", "fixed purchase-model parameters instead of fitting"},
    {"spend-params", 0, "K=V,..", "fixed spend parameters (p,q,gamma) instead of fitting"},
    {"penalty", 0, "L", "L2 penalty for the fits (default 0)"},
    {"output", 'o', "FILE", "write the CSV to FILE (default stdout)"},
    {"timings", 0, NULL, "print the time each phase took on stderr"},
    CLI_SUMMARY_OPTIONS,
    CLI_INPUT_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

static double unit_days(char unit)
{
    return unit == 'd' ? 1 : unit == 'w' ? 7 : unit == 'm' ? 365.25 / 12 : unit == 'y' ? 365.25 : 0;
}

/* "52" (periods) or "12m", "26w", "90d", "1y". */
static bool parse_horizon(const char *text, double period_days, double *periods)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || !(v > 0))
        return false;
    if (*end == '\0') {
        *periods = v;
        return true;
    }
    double days = unit_days(*end);
    if (days == 0 || end[1] != '\0')
        return false;
    *periods = v * days / period_days;
    return true;
}

/* "10%/year", "0.1/year", "0.8%/month", "0.002/week", "0.0003/day" -> annual. */
static bool parse_discount(const char *text, double *annual)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text)
        return false;
    if (*end == '%') {
        v /= 100;
        end++;
    }
    static const struct {
        const char *unit;
        double per_year;
    } units[] = {{"/year", 1}, {"/month", 12}, {"/week", 365.25 / 7}, {"/day", 365.25}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(end, units[i].unit) == 0 && v > -1 && v < 10) {
            *annual = pow(1 + v, units[i].per_year) - 1;
            return true;
        }
    return false;
}

/* "r=0.24,alpha=4.4,a=0.79,b=2.4" in the model's parameter names. */
static int parse_params(cvo_ctx *ctx, cvo_model model, const char *text, cvo_fit *out)
{
    cvo_fit names;
    double ones[4] = {1, 1, 1, 1}, values[4] = {NAN, NAN, NAN, NAN};
    /* the model's parameter names: the only count it accepts is its own */
    if (cvo_fit_from_params(ctx, model, ones, 4, &names) != CVO_OK &&
        cvo_fit_from_params(ctx, model, ones, 3, &names) != CVO_OK)
        return cli_fail(ctx, CVO_ERR_ARGUMENT);
    for (const char *p = text; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        int k = -1;
        for (int i = 0; eq && i < names.nparams; i++)
            if (strlen(names.param_names[i]) == (size_t)(eq - p) &&
                strncmp(names.param_names[i], p, (size_t)(eq - p)) == 0)
                k = i;
        char number[64];
        size_t nlen = eq ? len - (size_t)(eq + 1 - p) : 0;
        if (k < 0 || nlen == 0 || nlen >= sizeof number) {
            fprintf(stderr, "cvo: --params: expected %s=VALUE,... for %s, got '%.*s'\n",
                    names.param_names[0], cvo_model_name(model), (int)len, p);
            return EXIT_USAGE;
        }
        memcpy(number, eq + 1, nlen);
        number[nlen] = '\0';
        if (!cli_parse_double(number, 0, 1e12, &values[k])) {
            fprintf(stderr, "cvo: --params: %s must be a positive number\n", names.param_names[k]);
            return EXIT_USAGE;
        }
        p += len + (comma ? 1 : 0);
    }
    cvo_status status = cvo_fit_from_params(ctx, model, values, names.nparams, out);
    return status == CVO_OK ? -1 : cli_fail(ctx, status);
}

static int get_fit(cvo_ctx *ctx, const parsed_args *a, cvo_model model, const char *params,
                   const cvo_summary *s, cvo_fit *out)
{
    if (params != NULL)
        return parse_params(ctx, model, params, out);
    cvo_fit_options options;
    cvo_fit_options_init(&options);
    const char *penalty = args_get(a, specs, SPEC_COUNT, "penalty");
    if (penalty && !cli_parse_double(penalty, 0, 1e6, &options.penalty)) {
        fprintf(stderr, "cvo: --penalty must be a number >= 0\n");
        return EXIT_USAGE;
    }
    cvo_status status = cvo_model_fit(ctx, model, s, &options, out);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (!out->converged)
        fprintf(stderr, "cvo: warning: the %s fit did not converge%s%s\n", cvo_model_name(model),
                out->note[0] ? ": " : "", out->note);
    return -1;
}

static int read_options(const parsed_args *a, double period_days, cvo_predict_options *o)
{
    cvo_predict_options_init(o);
    o->period_days = period_days;
    o->horizon = 365.25 / period_days;
    const char *h = args_get(a, specs, SPEC_COUNT, "horizon");
    const char *d = args_get(a, specs, SPEC_COUNT, "discount-rate");
    const char *clv = args_get(a, specs, SPEC_COUNT, "clv");
    if (h && !parse_horizon(h, period_days, &o->horizon)) {
        fprintf(stderr, "cvo: --horizon must be periods (52) or with a unit (90d, 26w, 12m, 1y)\n");
        return EXIT_USAGE;
    }
    if (d && !parse_discount(d, &o->annual_discount)) {
        fprintf(stderr,
                "cvo: --discount-rate needs its unit: 10%%/year, 0.8%%/month, 0.002/week\n");
        return EXIT_USAGE;
    }
    if (clv && strcmp(clv, "monthly") != 0 && strcmp(clv, "dert") != 0) {
        fprintf(stderr, "cvo: --clv must be monthly or dert\n");
        return EXIT_USAGE;
    }
    o->clv = clv && strcmp(clv, "dert") == 0 ? CVO_CLV_DERT : CVO_CLV_MONTHLY;
    return -1;
}

/* With a calibration end, each row ends with the customer's actual holdout
 * purchases (x_star), beside the prediction. */
static bool write_row(FILE *out, line *l, const cvo_summary_row *r, const cvo_prediction *p,
                      int32_t end_day, double period_days, bool holdout)
{
    l->len = 0;
    if (!line_reserve(l, 2 * strlen(r->customer_id) + 256))
        return false;
    line_cell(l, r->customer_id);
    const double numbers[] = {r->x, r->t_x, r->T, p->p_alive, p->expected, p->prob_purchase};
    const int decimals[] = {6, 6, 6, 6, 6, 6};
    for (int i = 0; i < 6; i++) {
        line_char(l, ',');
        line_fixed(l, numbers[i], decimals[i], i < 3);
    }
    line_char(l, ',');
    line_fixed(l, p->spend, 2, 0);
    line_char(l, ',');
    line_fixed(l, p->clv, 2, 0);
    line_char(l, ',');
    if (isfinite(p->next_purchase) && end_day != INT32_MIN)
        line_day(l, end_day + (int32_t)ceil(p->next_purchase * period_days));
    if (holdout) {
        line_char(l, ',');
        line_fixed(l, r->x_star, 6, true);
    }
    line_char(l, '\n');
    return fwrite(l->buf, 1, l->len, out) == l->len;
}

static int write_all(const parsed_args *a, const cvo_summary *s, const cvo_prediction *p,
                     double period_days)
{
    const char *path = args_get(a, specs, SPEC_COUNT, "output");
    FILE *out = path && strcmp(path, "-") != 0 ? fopen(path, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "cvo: %s: cannot write: %s\n", path, strerror(errno));
        return EXIT_SYSTEM;
    }
    static char buffer[1 << 20];
    setvbuf(out, buffer, _IOFBF, sizeof buffer); /* before any output on the stream */
    bool holdout = cvo_summary_has_holdout(s);
    fputs("customer_id,x,t_x,T,p_alive,expected_purchases,prob_purchase,expected_spend,clv,"
          "next_order_date",
          out);
    fputs(holdout ? ",actual_holdout\n" : "\n", out);
    line l = {NULL, 0, 0};
    bool failed = false;
    for (size_t i = 0; !failed && i < cvo_summary_count(s); i++)
        failed = !write_row(out, &l, cvo_summary_at(s, i), &p[i], cvo_summary_end_day(s),
                            period_days, holdout);
    free(l.buf);
    return cli_close_output(out, path) && !failed ? EXIT_OK : EXIT_SYSTEM;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void phase(const parsed_args *a, const char *name, double *since)
{
    double now = seconds();
    if (args_get(a, specs, SPEC_COUNT, "timings"))
        fprintf(stderr, "cvo: %-22s %8.3f s\n", name, now - *since);
    *since = now;
}

static int run(cvo_ctx *ctx, const parsed_args *a, cvo_model model, const btyd_data *data,
               double started)
{
    double clock = started;
    double period_days = btyd_period_days(a, specs, SPEC_COUNT, data->summary);
    cvo_predict_options o;
    int code = read_options(a, period_days, &o);
    /* with a holdout, predict over it by default, to sit beside actual_holdout */
    if (cvo_summary_has_holdout(data->summary) && args_get(a, specs, SPEC_COUNT, "horizon") == NULL)
        o.horizon = cvo_summary_holdout(data->summary);
    cvo_fit purchase, spend;
    bool with_spend = args_get(a, specs, SPEC_COUNT, "spend") != NULL;
    if (with_spend && data->stats.no_amounts) {
        fprintf(stderr, "cvo: no amounts (a count-only event log): --spend gg skipped, "
                        "expected_spend and clv are left empty\n");
        with_spend = false;
    }
    if (code < 0)
        code = get_fit(ctx, a, model, args_get(a, specs, SPEC_COUNT, "params"), data->summary,
                       &purchase);
    phase(a, "fit purchase model", &clock);
    if (code < 0 && with_spend)
        code = get_fit(ctx, a, CVO_MODEL_GG, args_get(a, specs, SPEC_COUNT, "spend-params"),
                       data->summary, &spend);
    phase(a, "fit spend model", &clock);
    if (code >= 0)
        return code;
    cvo_season season; /* the index refits the model: not over --params unless asked */
    bool given = args_get(a, specs, SPEC_COUNT, "params") != NULL &&
                 args_get(a, specs, SPEC_COUNT, "season") == NULL;
    if (!given && (code = btyd_season(ctx, a, specs, SPEC_COUNT, &purchase, data, &season)) >= 0)
        return code;
    o.season = given ? NULL : &season;
    phase(a, "seasonal index", &clock);
    cvo_prediction *p = calloc(cvo_summary_count(data->summary) + 1, sizeof *p);
    if (p == NULL)
        return EXIT_SYSTEM;
    cvo_status status =
        cvo_predict_all(ctx, &purchase, with_spend ? &spend : NULL, data->summary, &o, p);
    phase(a, "predict", &clock);
    code = status == CVO_OK ? write_all(a, data->summary, p, period_days) : cli_fail(ctx, status);
    phase(a, "write", &clock);
    free(p);
    return code;
}

int cmd_predict(int argc, char **argv)
{
    parsed_args args;
    int code =
        cli_parse(argc, argv, specs, SPEC_COUNT, &args,
                  "cvo predict --model NAME [--spend gg] [OPTIONS] (ORDERS | --summary FILE)",
                  "Writes one CSV row per customer: customer_id,x,t_x,T,p_alive,\n"
                  "expected_purchases,prob_purchase,expected_spend,clv,next_order_date.");
    if (code >= 0)
        return code;
    cvo_model model;
    if ((code = btyd_model(&args, specs, SPEC_COUNT, "model", &model)) >= 0)
        return code;
    if (model != CVO_MODEL_BGNBD && model != CVO_MODEL_MBGNBD && model != CVO_MODEL_PNBD) {
        fprintf(stderr, "cvo: predict needs a purchase model: bgnbd, mbgnbd or pnbd\n");
        return EXIT_USAGE;
    }
    const char *spend = args_get(&args, specs, SPEC_COUNT, "spend");
    if (spend != NULL && strcmp(spend, "gg") != 0) {
        fprintf(stderr, "cvo: --spend must be gg\n");
        return EXIT_USAGE;
    }
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    btyd_data data;
    double started = seconds();
    code = btyd_load(ctx, &args, specs, SPEC_COUNT, &data);
    phase(&args, "read orders + summary", &started);
    if (code < 0)
        code = run(ctx, &args, model, &data, started);
    if (code == EXIT_OK)
        code = data.load_code;
    btyd_free(&data);
    cvo_ctx_free(ctx);
    return code;
}
