/* main.c - the cvo command: finds the subcommand and hands over. */
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const cli_command commands[] = {
    {"analyze", cmd_analyze, "the main job: report, customer table, Klaviyo files and lists"},
    {"demo", cmd_demo, "generate a sample store and analyse it"},
    {"config", cmd_config, "print every configuration key with its default"},
    {"rfm", cmd_rfm, "score every customer: recency, frequency, monetary, segment (CSV)"},
    {"segments", cmd_segments, "per segment: customers, revenue, AOV, median recency"},
    {"profit", cmd_profit, "per segment: revenue share vs profit share, unprofitable customers"},
    {"cohorts", cmd_cohorts, "first-order month x months since: repeat share, revenue, profit"},
    {"dive", cmd_dive, "what drives value: groups vs the rest, tested, harmful and helpful"},
    {"nps", cmd_nps, "NPS with intervals by stage, segment, country, month, product; top words"},
    {"fit", cmd_fit, "fit a BTYD model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma), backtest"},
    {"predict", cmd_predict, "per customer: P(alive), expected orders, spend, CLV, next order"},
    {"history", cmd_history, "snapshots of analyze --db and how customers moved between segments"},
    {"experiments", cmd_experiments, "holdout experiments: measured uplift, --plan, --new, --stop"},
    {"forget", cmd_forget, "erase customers on request: history, ledgers; later runs leave them out"},
    {"pull", cmd_pull, "fetch a store's orders from Shopify (bulk operations) into a CSV"},
    {"generate", cmd_generate, "write a deterministic synthetic store (orders, products, NPS)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: cvo COMMAND [OPTIONS] [ARGS]\n\n"
                 "cvo - Customer Value Optimization: from a store's orders to scored,\n"
                 "segmented customers.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'cvo COMMAND --help' for a command's options; man cvo for the details.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return cli_close_stdout(EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("cvo %s\n", cvo_version());
        return cli_close_stdout(EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return cli_close_stdout(commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "cvo: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
