/* cmd_experiments.c - cvo experiments: the results of the experiments kept in the
 * history database (--db FILE ORDERS), and the plan of a test of one list
 * (--plan LIST ORDERS). A thin dispatch: the work is in experiments_results.c. */
#include "commands.h"
#include "experiments_results.h"

static const opt_spec specs[] = {
    {"db", 0, "FILE", "the history database of cvo analyze --db (experiments and members)"},
    {"plan", 0, "LIST", "what a test of LIST (winback, vip, referral, no-discount) would need"},
    {"metric", 0, "NAME",
     "--plan: conversion, orders, revenue or profit (default: "
     "[experiment] primary_metric)"},
    {"as-of", 0, "DATE",
     "measure as of DATE: windows closed before it (default: the day "
     "after the last order)"},
    {"json", 0, NULL, "print JSON"},
    {"config", 'c', "FILE", "configuration: [experiment], [profit], [privacy] id_key"},
    {"products", 0, "FILE", "product costs (sku,product,unit_cost,category) for the profit"},
    CLI_INPUT_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

static int job(cvo_ctx *ctx, const parsed_args *args)
{
    if (args_get(args, specs, SPEC_COUNT, "plan") != NULL)
        return experiments_plan(ctx, args, specs, SPEC_COUNT);
    return experiments_results(ctx, args, specs, SPEC_COUNT);
}

int cmd_experiments(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args,
                         "cvo experiments --db FILE ORDERS [--as-of DATE] [--json]\n"
                         "       cvo experiments --plan LIST ORDERS [--metric NAME] [--json]",
                         "Reads the experiments of the history database and measures each\n"
                         "member over [experiment] window_days from the day they entered the\n"
                         "list: conversion, orders, revenue and profit, treated against held\n"
                         "out, with 95% intervals, CUPED, the sample-ratio check and a verdict\n"
                         "on the primary metric once the planned size is reached. --plan says\n"
                         "what a test of a list would need. Exit 3: orders older than an\n"
                         "experiment, or its members not in the orders (ids renamed?).");
    if (code >= 0)
        return code;
    return cli_run_orders_job(&args, "experiments", job);
}
