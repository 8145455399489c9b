/* btyd.h - what cvo fit and cvo predict share: the summary options, building
 * the summary from ORDERS or --summary FILE, and fitting a named model. */
#ifndef CVO_CLI_BTYD_H
#define CVO_CLI_BTYD_H

#include "common.h"

#define CLI_SUMMARY_OPTIONS                                                                    \
    {"summary", 0, "FILE", "read a ready summary (lifetimes, BTYD or cvo columns)"},          \
    {"period", 0, "UNIT", "time unit: day, week (default) or month"},                          \
    {"whole-periods", 0, NULL, "count whole periods (lifetimes-compatible)"},                  \
    {"calibration-end", 0, "DATE", "split: calibration up to DATE, holdout after it"},         \
    {"holdout", 0, "T", "holdout length in periods (for a --summary with x.star)"},            \
    {"as-of", 0, "DATE", "end of the data (default: the day after the last order)"},           \
    {"season", 0, "MODE", "seasonal index: auto (default), monthly or off"}

typedef struct btyd_data {
    cvo_customers *customers; /* NULL with --summary */
    cvo_summary *summary;
    cvo_load_stats stats;
    int load_code;            /* EXIT_OK or EXIT_REJECTS */
} btyd_data;

/* Loads ORDERS (args->positional[0]) or --summary. Returns -1 to go on or an
 * exit code. */
int btyd_load(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
              btyd_data *out);
void btyd_free(btyd_data *data);
/* "bgnbd" etc. from --model; -1 to go on, or EXIT_USAGE. */
int btyd_model(const parsed_args *args, const opt_spec *specs, size_t count, const char *option,
               cvo_model *out);
/* The seasonal index of fit on the loaded data (--season: auto, monthly, off);
 * none (inactive, with its note) for a --summary file. -1 to go on, or an exit code. */
int btyd_season(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                const cvo_fit *fit, const btyd_data *data, cvo_season *out);
/* Days per period: the summary's, or --period's for a summary read from a file. */
double btyd_period_days(const parsed_args *args, const opt_spec *specs, size_t count,
                        const cvo_summary *summary);

#endif
