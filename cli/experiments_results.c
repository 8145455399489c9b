/* experiments_results.c - cvo experiments --db FILE ORDERS: every experiment's arms,
 * sample-ratio check, metrics with intervals and verdict; and --plan LIST ORDERS: what a
 * test of a list would need. Text on stdout, or JSON with --json.
 * Exit codes: 0 (also when there is no verdict: no members, an empty arm, interim),
 * 1 (some orders rejected), 2 (usage), 3 (orders older than an experiment, members
 * not in the orders, a broken database), 4 (system). */
#include "experiments_results.h"

#include "history_run.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- results: text -------------------------------------------------------------- */

/* A metric's value for the table: money in currency units with 2 decimals. */
static void format_value(cvo_exp_metric m, double value, bool sign, char *out, size_t cap)
{
    if (!isfinite(value)) {
        snprintf(out, cap, "-");
        return;
    }
    bool money = m == CVO_EXP_REVENUE || m == CVO_EXP_PROFIT;
    snprintf(out, cap, sign ? "%+.*f" : "%.*f", money ? 2 : 4, money ? value / 100 : value);
}

static void print_metric(const cvo_experiment_metric_result *x, bool primary)
{
    char t[24], h[24], d[24], lo[24], hi[24];
    format_value(x->metric, x->treatment, false, t, sizeof t);
    format_value(x->metric, x->holdout, false, h, sizeof h);
    format_value(x->metric, x->estimate.diff, true, d, sizeof d);
    format_value(x->metric, x->estimate.ci_low, true, lo, sizeof lo);
    format_value(x->metric, x->estimate.ci_high, true, hi, sizeof hi);
    printf("  %-11s%c %10s %10s %10s  [%s, %s]  p %.3g  rel %+.1f%%  %s\n",
           cvo_exp_metric_name(x->metric), primary ? '*' : ' ', t, h, d, lo, hi,
           x->estimate.p_value, 100 * x->relative, x->cuped ? "CUPED" : "raw");
    format_value(x->metric, x->raw.diff, true, d, sizeof d);
    format_value(x->metric, x->raw.ci_low, true, lo, sizeof lo);
    format_value(x->metric, x->raw.ci_high, true, hi, sizeof hi);
    printf("  %12s raw %s [%s, %s] (%s); CUPED variance reduction %.1f%%", "", d, lo, hi,
           x->metric == CVO_EXP_CONVERSION ? "Newcombe" : "Welch", 100 * x->variance_reduction);
    if (x->bootstrap) {
        format_value(x->metric, x->bootstrap_low, true, lo, sizeof lo);
        format_value(x->metric, x->bootstrap_high, true, hi, sizeof hi);
        printf("; bootstrap [%s, %s]", lo, hi);
    }
    printf("\n");
}

static void print_incremental(const cvo_experiment_result *r)
{
    const cvo_experiment_metric_result *p = &r->metrics[CVO_EXP_PROFIT];
    if (!p->ok)
        return;
    char v[24], lo[24], hi[24];
    format_value(CVO_EXP_PROFIT, p->incremental, true, v, sizeof v);
    format_value(CVO_EXP_PROFIT, p->incremental_low, true, lo, sizeof lo);
    format_value(CVO_EXP_PROFIT, p->incremental_high, true, hi, sizeof hi);
    printf("  incremental profit over the %" PRIu64 " treated members: %s [%s, %s]\n",
           r->members[0], v, lo, hi);
}

static void print_experiment(const cvo_experiment_result *r)
{
    char start[11];
    cvo_day_format(r->info.start_day, start);
    printf("%s: %s list, holdout %.0f%%, since %s%s, window %u days, primary metric %s\n",
           r->info.id, cvo_list_name(r->info.list_bit), 100 * r->info.share, start,
           r->info.stop_day != INT32_MIN ? " (stopped)" : "", (unsigned)r->info.window_days,
           cvo_exp_metric_name(r->info.primary));
    printf("  members: %" PRIu64 " measured (treatment %" PRIu64 ", holdout %" PRIu64 "), %" PRIu64
           " in flight, %" PRIu64 " not in the orders\n",
           r->members[0] + r->members[1], r->members[0], r->members[1],
           r->in_flight[0] + r->in_flight[1], r->missing);
    if (isfinite(r->srm_p))
        printf("  sample ratio: chi-square %.2f, p %.3g%s\n", r->srm_chi2, r->srm_p,
               r->srm_flag ? ": MISMATCH, do not read the result" : " (ok)");
    if (r->metrics[0].ok) {
        printf("  %-12s %10s %10s %10s  95%% interval\n", "metric", "treatment", "holdout", "diff");
        for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++)
            print_metric(&r->metrics[m], m == (int)r->info.primary);
        print_incremental(r);
        printf("  q-value of the primary metric across these experiments: %.3g\n", r->q_value);
    }
    printf("  verdict: %s\n\n", r->verdict_text);
}

static void print_results(const cvo_experiment_results *r)
{
    char as_of[11];
    cvo_day_format(cvo_experiment_results_as_of(r), as_of);
    printf("Experiments as of %s (members counted from entry over their window; money per "
           "member; * primary metric)\n\n",
           as_of);
    for (size_t i = 0; i < cvo_experiment_results_count(r); i++)
        print_experiment(cvo_experiment_results_at(r, i));
}

/* ---- results: the job ----------------------------------------------------------- */

typedef struct results_job {
    cvo_ctx *ctx;
    cvo_config *config;
    cvo_customers *customers;
    cvo_history *history;
    cvo_experiment_results *results;
} results_job;

static int measure(results_job *j, const parsed_args *args, const opt_spec *specs, size_t count,
                   int32_t as_of)
{
    bool json = args_get(args, specs, count, "json") != NULL;
    cvo_status status =
        cvo_experiments_measure(j->ctx, j->history, j->customers, j->config, as_of, &j->results);
    if (status == CVO_ERR_EMPTY) { /* no experiment yet: said, not a failure */
        fprintf(stderr, "cvo: %s\n", cvo_ctx_message(j->ctx));
        if (json)
            printf("{\"as_of\":null,\"experiments\":[]}\n");
        return EXIT_OK;
    }
    if (status == CVO_ERR_FORMAT) { /* the orders do not fit the experiments: name the file */
        fprintf(stderr, "cvo: %s: %s\n", args->positional[0], cvo_ctx_message(j->ctx));
        return EXIT_INPUT;
    }
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    if (json)
        status = cvo_write_experiments_json(j->ctx, j->results, j->config, stdout);
    else
        print_results(j->results);
    return status == CVO_OK ? EXIT_OK : cli_fail_output(j->ctx, status, stdout, NULL);
}

int experiments_results(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count)
{
    const char *db = args_get(args, specs, count, "db");
    int32_t as_of = INT32_MIN;
    int code = history_parse_as_of(args_get(args, specs, count, "as-of"), &as_of);
    if (code >= 0)
        return code;
    if (db == NULL) {
        fprintf(stderr, "cvo: experiments needs --db FILE: the experiments and their members "
                        "are kept in the history database of cvo analyze --db\n");
        return EXIT_USAGE;
    }
    if (access(db, F_OK) != 0) { /* reading must not create an empty database */
        fprintf(stderr, "cvo: %s: no such history database (cvo analyze --db makes it)\n", db);
        return EXIT_INPUT;
    }
    results_job j = {ctx, NULL, NULL, NULL, NULL};
    cvo_load_stats stats;
    int load = cli_load_config_and_orders(ctx, args, specs, count, &j.config, &j.customers, &stats);
    code = load == EXIT_OK || load == EXIT_REJECTS ? history_open(ctx, db, &j.history) : load;
    if (code < 0)
        code = measure(&j, args, specs, count, as_of);
    cvo_experiment_results_free(j.results);
    cvo_history_close(j.history);
    cvo_customers_free(j.customers);
    cvo_config_free(j.config);
    return code == EXIT_OK && load == EXIT_REJECTS ? EXIT_REJECTS : code;
}

/* ---- plan ----------------------------------------------------------------------- */

/* The treatment list named name ("no-discount" or "no_discount"), or 0. */
static unsigned list_named(const char *name)
{
    char spelled[32];
    snprintf(spelled, sizeof spelled, "%s", name);
    for (char *c = spelled; *c; c++)
        if (*c == '_')
            *c = '-';
    for (unsigned bit = 1; bit < (1u << CVO_LIST_COUNT); bit <<= 1)
        if ((bit & CVO_TREATMENT_LISTS) && strcmp(cvo_list_name(bit), spelled) == 0)
            return bit;
    return 0;
}

static void print_plan(const cvo_experiment_plan *p)
{
    char base[24], sd[24], mde[24], effect[24];
    format_value(p->metric, p->baseline, false, base, sizeof base);
    format_value(p->metric, p->sd, false, sd, sizeof sd);
    format_value(p->metric, p->mde_now, false, mde, sizeof mde);
    format_value(p->metric, p->target_effect * p->baseline, false, effect, sizeof effect);
    printf("Plan for a test of the %s list: %s per member over %u days, holdout %.0f%%\n",
           cvo_list_name(p->list_bit), cvo_exp_metric_name(p->metric), (unsigned)p->window_days,
           100 * p->share);
    printf("  members now: %" PRIu64 " (about %.*f new members a week)\n", p->members_now,
           p->entrants_per_week < 10 ? 1 : 0, p->entrants_per_week);
    printf("  baseline: %s per member, standard deviation %s; CUPED should take %.1f%% off the "
           "variance\n",
           base, sd, 100 * p->variance_reduction);
    if (p->planned_members > 0)
        printf("  to detect %+.0f%% (%s per member) at 80%% power, 5%% level: %" PRIu64
               " members, about %.0f weeks\n",
               100 * p->target_effect, effect, p->planned_members, p->weeks);
    printf("  smallest effect the %" PRIu64 " members now would detect: %s per member (%+.0f%%)\n",
           p->members_now, mde, 100 * p->mde_relative_now);
    printf("  %s\n", p->too_small ? "too small to test as it is" : "big enough to test");
    if (p->advice[0])
        printf("  %s\n", p->advice);
    printf("  basis: %s\n", p->basis);
}

static void print_plan_json(const cvo_experiment_plan *p)
{
    bool money = p->metric == CVO_EXP_REVENUE || p->metric == CVO_EXP_PROFIT;
    double unit = money ? 100 : 1;
    printf("{\"list\":\"%s\",\"metric\":\"%s\",\"share\":%.6g,\"window_days\":%u,"
           "\"members_now\":%" PRIu64 ",\"entrants_per_week\":%.6g,\"baseline\":%.10g,"
           "\"sd\":%.10g,\"variance_reduction\":%.6g,\"target_effect\":%.6g,"
           "\"planned_members\":%" PRIu64 ",\"weeks\":",
           cvo_list_name(p->list_bit), cvo_exp_metric_name(p->metric), p->share,
           (unsigned)p->window_days, p->members_now, p->entrants_per_week, p->baseline / unit,
           p->sd / unit, p->variance_reduction, p->target_effect, p->planned_members);
    printf(isfinite(p->weeks) ? "%.6g" : "null", p->weeks);
    printf(",\"mde_now\":");
    printf(isfinite(p->mde_now) ? "%.10g" : "null", p->mde_now / unit);
    printf(",\"mde_relative_now\":");
    printf(isfinite(p->mde_relative_now) ? "%.6g" : "null", p->mde_relative_now);
    printf(",\"too_small\":%s,\"basis\":", p->too_small ? "true" : "false");
    cli_json_string(p->basis);
    printf(",\"advice\":");
    cli_json_string(p->advice);
    printf("}\n");
}

/* The metric: --metric, else [experiment] primary_metric. */
static int plan_metric(const parsed_args *args, const opt_spec *specs, size_t count,
                       const cvo_config *config, cvo_exp_metric *out)
{
    const char *name = args_get(args, specs, count, "metric");
    if (cvo_exp_metric_parse(name ? name : cvo_config_text(config, "experiment", "primary_metric"),
                             out))
        return -1;
    fprintf(stderr, "cvo: --metric must be conversion, orders, revenue or profit\n");
    return EXIT_USAGE;
}

static int plan_of(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                   unsigned list, cvo_config *config, cvo_customers *customers,
                   const cvo_load_stats *stats)
{
    cvo_exp_metric metric;
    int code = plan_metric(args, specs, count, config, &metric);
    if (code >= 0)
        return code;
    cvo_analysis *a = NULL;
    cvo_experiment_plan plan;
    cvo_status status = cvo_analyze(ctx, customers, stats, config, &a);
    if (status == CVO_OK)
        status = cvo_experiment_plan_compute(ctx, a, list, config, metric, &plan);
    cvo_analysis_free(a);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (args_get(args, specs, count, "json") != NULL)
        print_plan_json(&plan);
    else
        print_plan(&plan);
    return EXIT_OK;
}

int experiments_plan(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count)
{
    const char *name = args_get(args, specs, count, "plan");
    unsigned list = list_named(name);
    if (list == 0) {
        fprintf(stderr,
                "cvo: --plan: '%s' is not a list that can be tested (winback, vip, "
                "referral, no-discount)\n",
                name);
        return EXIT_USAGE;
    }
    int32_t as_of = INT32_MIN;
    int code = history_parse_as_of(args_get(args, specs, count, "as-of"), &as_of);
    if (code >= 0)
        return code;
    cvo_config *config = NULL;
    cvo_customers *customers = NULL, *all = NULL;
    cvo_load_stats stats;
    int load = cli_load_config_and_orders(ctx, args, specs, count, &config, &customers, &stats);
    code = load == EXIT_OK || load == EXIT_REJECTS ? -1 : load;
    if (code < 0 && as_of != INT32_MIN)
        code = history_as_of(ctx, &customers, as_of, &all);
    if (code < 0)
        code = plan_of(ctx, args, specs, count, list, config, customers, &stats);
    cvo_customers_free(customers);
    cvo_customers_free(all);
    cvo_config_free(config);
    return code == EXIT_OK && load == EXIT_REJECTS ? EXIT_REJECTS : code;
}
