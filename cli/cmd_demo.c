/* cmd_demo.c - cvo demo: generates a sample store with planted effects and
 * runs cvo analyze on it with a monthly history; cvo config: prints every
 * configuration key with its default. */
#include "atomic.h"
#include "commands.h"

#include <stdlib.h>
#include <string.h>

static const opt_spec demo_specs[] = {
    {"output", 'o', "DIR", "where to put the store, the history and the analysis (default demo)"},
    {"customers", 'n', "N", "customers in the sample store (default 5000)"},
    {"quiet", 'q', NULL, "no progress or summary on stderr"},
};
enum { DEMO_SPECS = sizeof demo_specs / sizeof *demo_specs };

int cmd_demo(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, demo_specs, DEMO_SPECS, &args, "cvo demo [-o DIR] [-n N]",
                         "Generates a sample store (cvo generate) with planted effects for the\n"
                         "deep dives to find (customers whose first order holds SKU-0042, those in\n"
                         "SE and those acquired with a discount code churn more) and analyses it\n"
                         "(cvo analyze) with its products, NPS answers and a snapshot per month in\n"
                         "DIR/history.db: DIR/store/ holds the store, DIR/analysis/ the report and\n"
                         "the files.");
    if (code >= 0)
        return code;
    const char *dir = args_get(&args, demo_specs, DEMO_SPECS, "output");
    const char *n = args_get(&args, demo_specs, DEMO_SPECS, "customers");
    bool quiet = args_get(&args, demo_specs, DEMO_SPECS, "quiet") != NULL;
    char store[4096], orders[4200], products[4200], nps[4200], db[4200], out[4200];
    snprintf(store, sizeof store, "%s/store", dir ? dir : "demo");
    snprintf(out, sizeof out, "%s/analysis", dir ? dir : "demo");
    snprintf(db, sizeof db, "%s/history.db", dir ? dir : "demo");
    snprintf(orders, sizeof orders, "%s/orders.csv", store);
    snprintf(products, sizeof products, "%s/products.csv", store);
    snprintf(nps, sizeof nps, "%s/nps.csv", store);
    if (!atomic_mkdirs(store))
        return EXIT_SYSTEM;
    char *generate[] = {"generate", "-n", (char *)(n ? n : "5000"), "-s", "42",
                        "--plant-toxic", "SKU-0042", "--plant-late-region", "SE",
                        "--plant-discount-churn", "-o", store, NULL};
    code = cmd_generate(12, generate);
    if (code != EXIT_OK)
        return code;
    char *analyze[] = {"analyze", orders, "--products", products, "--nps", nps,
                       "--db", db, "--backfill", "monthly",
                       "-o", out, quiet ? "-q" : NULL, NULL};
    return cmd_analyze(quiet ? 13 : 12, analyze);
}

int cmd_config(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, NULL, 0, &args, "cvo config",
                         "Prints a complete configuration file: every key, its meaning and its\n"
                         "default. Save it, edit it, and pass it to cvo analyze --config FILE.");
    if (code >= 0)
        return code;
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    cvo_status status = cvo_config_write_defaults(ctx, stdout);
    code = status == CVO_OK ? EXIT_OK : cli_fail_output(ctx, status, stdout, NULL);
    cvo_ctx_free(ctx);
    return code;
}
