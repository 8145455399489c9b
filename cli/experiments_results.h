/* experiments_results.h - the reading side of cvo experiments: the results of the
 * experiments in the history database (--db FILE ORDERS) and the plan of a test of
 * one list (--plan LIST ORDERS). The dispatch (cmd_experiments.c) stays thin. */
#ifndef CVO_CLI_EXPERIMENTS_RESULTS_H
#define CVO_CLI_EXPERIMENTS_RESULTS_H

#include "common.h"

/* cvo experiments --db FILE ORDERS [--as-of DATE] [--json]: the exit code. Uses the
 * options db, as-of, json, config and the input options of specs. */
int experiments_results(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count);
/* cvo experiments --plan LIST ORDERS [--metric M] [--json]: the exit code. */
int experiments_plan(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count);

#endif
