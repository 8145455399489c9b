/* cmd_experiments.c - cvo experiments --db FILE [ORDERS]: the experiments of
 * the history (holdouts of the action lists), their results on ORDERS, a plan
 * for a list before it starts (--plan), and their life: --new LIST starts a
 * new one at the next run, --stop LIST ends one. */
#include "clock.h"
#include "commands.h"
#include "experiments_results.h"
#include "history_run.h"

#include <inttypes.h>
#include <string.h>

static const opt_spec specs[] = {
    {"db", 0, "FILE", "the history database of cvo analyze --db (required)"},
    {"as-of", 0, "DATE",
     "the day of --new and --stop (default: today); with ORDERS, measure as of "
     "DATE: windows closed before it (default: the day after the last order)"},
    {"json", 0, NULL, "write JSON on stdout instead of text"},
    {"plan", 0, "LIST", "what a test of LIST would need: minimal detectable effect and weeks"},
    {"new", 0, "LIST", "end LIST's experiment: the next run with a share starts a new one"},
    {"stop", 0, "LIST", "end LIST's experiment: no holdout any more, whatever the share"},
    {"metric", 0, "NAME",
     "--plan: conversion, orders, revenue or profit (default: [experiment] primary_metric)"},
    {"config", 'c', "FILE", "configuration ([holdout], [experiment], [profit], [privacy] id_key)"},
    {"products", 0, "FILE", "product costs (sku,product,unit_cost,category) for the profit"},
    CLI_INPUT_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

typedef struct experiments_job {
    cvo_ctx *ctx;
    const parsed_args *args;
    cvo_history *history;
    cvo_config *config;
    int32_t day; /* --as-of, else today */
} experiments_job;

static const char *option(const experiments_job *x, const char *name)
{
    return args_get(x->args, specs, SPEC_COUNT, name);
}

/* The treatment list named name ('_' for '-' accepted); 0 when none. */
static unsigned parse_list(const char *name)
{
    static const unsigned lists[] = {CVO_LIST_NO_DISCOUNT, CVO_LIST_WINBACK, CVO_LIST_VIP,
                                     CVO_LIST_REFERRAL};
    char wanted[32];
    snprintf(wanted, sizeof wanted, "%s", name);
    for (char *p = wanted; *p; p++)
        if (*p == '_')
            *p = '-';
    for (size_t k = 0; k < sizeof lists / sizeof *lists; k++)
        if (strcmp(wanted, cvo_list_name(lists[k])) == 0)
            return lists[k];
    return 0;
}

static int bad_list(const char *option_name, const char *name)
{
    fprintf(stderr,
            "cvo: --%s %s: not a list with experiments (winback, vip, referral, "
            "no-discount)\n",
            option_name, name);
    return EXIT_USAGE;
}

/* ---- the life of an experiment: --stop, --new -------------------------------------------- */

static int stop_list(experiments_job *x, unsigned list)
{
    cvo_experiment_info stopped;
    cvo_status status = cvo_history_experiment_stop(x->history, list, x->day, &stopped);
    if (status != CVO_OK)
        return cli_fail(x->ctx, status);
    char date[11];
    cvo_day_format(x->day, date);
    if (option(x, "quiet") == NULL)
        fprintf(stderr,
                "cvo: experiment %s stopped as of %s: the next runs hold no one out of "
                "the %s list (cvo experiments --new %s starts a new experiment)\n",
                stopped.id, date, cvo_list_name(list), cvo_list_name(list));
    return EXIT_OK;
}

static int new_list(experiments_job *x, unsigned list)
{
    cvo_experiment_info stopped;
    bool found = false;
    cvo_status status = cvo_history_experiment_new(x->history, list, x->day, &stopped, &found);
    if (status != CVO_OK)
        return cli_fail(x->ctx, status);
    if (option(x, "quiet") != NULL)
        return EXIT_OK;
    if (found)
        fprintf(stderr,
                "cvo: experiment %s ended: the next run of cvo analyze --db with a "
                "[holdout] share for the %s list starts a new experiment (new id, "
                "fresh arms)\n",
                stopped.id, cvo_list_name(list));
    else
        fprintf(stderr,
                "cvo: the %s list has no experiment yet: the next run of cvo analyze "
                "--db with a [holdout] share for it starts one\n",
                cvo_list_name(list));
    return EXIT_OK;
}

/* ---- the listing -------------------------------------------------------------------------- */

typedef struct arm_counts {
    uint64_t treatment, holdout;
} arm_counts;

static cvo_status count_member(void *user_data, const cvo_experiment_member *m)
{
    arm_counts *c = user_data;
    if (m->holdout)
        c->holdout++;
    else
        c->treatment++;
    return CVO_OK;
}

static void print_text(const cvo_experiment_info *e, const arm_counts *c)
{
    char start[11], stop[11] = "running";
    cvo_day_format(e->start_day, start);
    if (e->stop_day != INT32_MIN)
        cvo_day_format(e->stop_day, stop);
    printf("%-28s %-12s %5.2f  %s  %-10s %-10s %4" PRIu32 "  %9" PRIu64 " %9" PRIu64 "\n", e->id,
           cvo_list_name(e->list_bit), e->share, start, stop, cvo_exp_metric_name(e->primary),
           e->window_days, c->treatment, c->holdout);
}

static void print_json(const cvo_experiment_info *e, const arm_counts *c, bool first)
{
    char start[11], stop[11];
    cvo_day_format(e->start_day, start);
    if (e->stop_day != INT32_MIN)
        cvo_day_format(e->stop_day, stop);
    printf("%s{\"id\":\"%s\",\"list\":\"%s\",\"share\":%g,\"start\":\"%s\",\"stop\":",
           first ? "" : ",", e->id, cvo_list_name(e->list_bit), e->share, start);
    printf(e->stop_day != INT32_MIN ? "\"%s\"" : "null", stop);
    printf(",\"primary_metric\":\"%s\",\"window_days\":%" PRIu32 ",\"arms\":{\"treatment\":%" PRIu64
           ",\"holdout\":%" PRIu64 "}}",
           cvo_exp_metric_name(e->primary), e->window_days, c->treatment, c->holdout);
}

static int list_all(experiments_job *x)
{
    const cvo_experiment_info *list = NULL;
    size_t count = 0;
    cvo_status status = cvo_history_experiments(x->history, &list, &count);
    bool json = option(x, "json") != NULL;
    if (json)
        printf("{\"experiments\":[");
    else if (count > 0)
        printf("%-28s %-12s %5s  %-10s  %-10s %-10s %4s  %9s %9s\n", "experiment", "list", "share",
               "start", "stop", "metric", "days", "treatment", "holdout");
    for (size_t i = 0; i < count && status == CVO_OK; i++) {
        arm_counts c = {0, 0};
        status = cvo_history_experiment_members(x->history, list[i].id, count_member, &c);
        if (status == CVO_OK && json)
            print_json(&list[i], &c, i == 0);
        else if (status == CVO_OK)
            print_text(&list[i], &c);
    }
    if (status != CVO_OK)
        return cli_fail(x->ctx, status);
    if (json)
        printf("]}\n");
    else if (count == 0 && option(x, "quiet") == NULL)
        fprintf(stderr,
                "cvo: no experiments yet: set a [holdout] share and run cvo analyze "
                "--db %s\n",
                option(x, "db"));
    return EXIT_OK;
}

/* ---- results on ORDERS and plans (experiments_results.c) ------------------------------------ */

static int reading_job(cvo_ctx *ctx, const parsed_args *args)
{
    if (args_get(args, specs, SPEC_COUNT, "plan") != NULL)
        return experiments_plan(ctx, args, specs, SPEC_COUNT);
    return experiments_results(ctx, args, specs, SPEC_COUNT);
}

/* ---- the command ----------------------------------------------------------------------------- */

static int dispatch(experiments_job *x)
{
    static const char *const actions[] = {"stop", "new"};
    for (size_t k = 0; k < 2; k++) {
        const char *name = option(x, actions[k]);
        if (name == NULL)
            continue;
        unsigned list = parse_list(name);
        if (list == 0)
            return bad_list(actions[k], name);
        return k == 0 ? stop_list(x, list) : new_list(x, list);
    }
    return list_all(x);
}

static int run(experiments_job *x)
{
    int code = cli_load_config(x->ctx, x->args, specs, SPEC_COUNT, &x->config);
    if (code < 0) {
        cvo_status status = cvo_history_open(x->ctx, option(x, "db"), &x->history);
        code = status == CVO_OK ? -1 : cli_fail(x->ctx, status);
    }
    if (code < 0)
        code = dispatch(x);
    cvo_history_close(x->history);
    cvo_config_free(x->config);
    return code;
}

/* --db (but for --plan), at most one of --new, --stop and --plan; ORDERS with
 * --plan, not with --new or --stop. */
static bool options_ok(const parsed_args *args)
{
    int actions = (args_get(args, specs, SPEC_COUNT, "new") != NULL) +
                  (args_get(args, specs, SPEC_COUNT, "stop") != NULL);
    int plans = args_get(args, specs, SPEC_COUNT, "plan") != NULL;
    return (plans || args_get(args, specs, SPEC_COUNT, "db") != NULL) && actions + plans <= 1 &&
           args->positional_count <= 1 && !(actions && args->positional_count) &&
           !(plans && args->positional_count == 0);
}

int cmd_experiments(int argc, char **argv)
{
    parsed_args args;
    int code =
        cli_parse(argc, argv, specs, SPEC_COUNT, &args,
                  "cvo experiments --db FILE [ORDERS] [--as-of DATE] [--json]\n"
                  "       cvo experiments --db FILE (--new LIST | --stop LIST)\n"
                  "       cvo experiments --plan LIST ORDERS [--metric NAME] [--json]",
                  "The experiments of the history: a [holdout] share of an action list\n"
                  "(winback, vip, referral, no-discount) gets no action, so the difference\n"
                  "can be measured. Without ORDERS: lists them with their arms. With\n"
                  "ORDERS: measures each member over [experiment] window_days from the day\n"
                  "they entered the list (conversion, orders, revenue, profit), treated\n"
                  "against held out, with 95% intervals, CUPED, the sample-ratio check and a\n"
                  "verdict on the primary metric once the planned size is reached. --plan\n"
                  "says what a test of a list would need. Exit 3: orders older than an\n"
                  "experiment, or its members not in the orders (ids renamed?).");
    if (code >= 0)
        return code;
    if (args_get(&args, specs, SPEC_COUNT, "db") == NULL &&
        args_get(&args, specs, SPEC_COUNT, "plan") == NULL) {
        fputs("cvo: experiments needs --db FILE: the experiments and their members are kept in "
              "the history database of cvo analyze --db\n",
              stderr);
        return EXIT_USAGE;
    }
    if (!options_ok(&args)) {
        fprintf(stderr, "cvo: experiments takes at most one of --new, --stop and --plan; --plan "
                        "needs ORDERS, --new and --stop take none\n"
                        "Try 'cvo experiments --help'.\n");
        return EXIT_USAGE;
    }
    if (args.positional_count == 1)
        return cli_run_orders_job(&args, "experiments", reading_job);
    experiments_job x = {NULL, &args, NULL, NULL, (int32_t)(clock_unix() / 86400)};
    const char *as_of = args_get(&args, specs, SPEC_COUNT, "as-of");
    if (as_of != NULL && (code = history_parse_as_of(as_of, &x.day)) >= 0)
        return code;
    if (cvo_ctx_new(&x.ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    code = run(&x);
    cvo_ctx_free(x.ctx);
    return code;
}
