/* cmd_rfm.c - cvo rfm ORDERS: one CSV row per customer with scores and segment. */
#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static const opt_spec specs[] = {
    {"output", 'o', "FILE", "write the CSV to FILE (default stdout)"},
    CLI_INPUT_OPTIONS,
    CLI_SCORE_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

static void write_row(FILE *out, const cvo_customer *c, const cvo_score *s, const char *segment,
                      int32_t as_of)
{
    (void)as_of;
    char first[11], last[11], money[24];
    cvo_day_format(c->first_order_day, first);
    cvo_day_format(c->last_order_day, last);
    cli_csv_cell(out, c->customer_id);
    putc(',', out);
    cli_csv_cell(out, c->email);
    fprintf(out, ",%s,%s,%" PRId32 ",%" PRIu32 ",%s,%u,%u,%u,%u%u%u,", first, last,
            s->recency_days, c->orders, cli_money_text(c->net_revenue_cents, money), s->r, s->f,
            s->m, s->r, s->f, s->m);
    cli_csv_cell(out, segment);
    putc('\n', out);
}

static int write_csv(FILE *out, const cvo_customers *customers, const cvo_rfm *rfm,
                     const cvo_scheme *scheme)
{
    static char buffer[1 << 20];
    setvbuf(out, buffer, _IOFBF, sizeof buffer);
    fputs("customer_id,email,first_order,last_order,recency_days,frequency,monetary,r,f,m,rfm,"
          "segment\n", out);
    const cvo_score *scores = cvo_rfm_scores(rfm);
    for (size_t i = 0; i < cvo_customers_count(customers); i++)
        write_row(out, cvo_customers_at(customers, i), &scores[i],
                  cvo_scheme_segment_name(scheme, scores[i].segment), cvo_rfm_as_of_day(rfm));
    return fflush(out) == 0 && !ferror(out) ? EXIT_OK : EXIT_SYSTEM;
}

static int output(const parsed_args *args, const cvo_customers *customers, const cvo_rfm *rfm,
                  const cvo_scheme *scheme)
{
    const char *path = args_get(args, specs, SPEC_COUNT, "output");
    FILE *out = path && strcmp(path, "-") != 0 ? fopen(path, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "cvo: %s: cannot write: %s\n", path, strerror(errno));
        return EXIT_SYSTEM;
    }
    int code = write_csv(out, customers, rfm, scheme);
    if (out != stdout && fclose(out) != 0)
        code = EXIT_SYSTEM;
    if (code != EXIT_OK)
        fprintf(stderr, "cvo: %s: write error\n", path ? path : "<stdout>");
    return code;
}

int cmd_rfm(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args, "cvo rfm [OPTIONS] ORDERS",
                         "Reads ORDERS (a file, a .gz file, or - for stdin) and writes one CSV row\n"
                         "per customer: customer_id,email,first_order,last_order,recency_days,\n"
                         "frequency,monetary,r,f,m,rfm,segment.");
    if (code >= 0)
        return code;
    if (args.positional_count != 1) {
        fprintf(stderr, "cvo: rfm needs one ORDERS file (or -)\nTry 'cvo rfm --help'.\n");
        return EXIT_USAGE;
    }
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    cvo_customers *customers = NULL;
    cvo_rfm *rfm = NULL;
    cvo_load_stats stats;
    score_setup setup;
    int load = cli_score_setup(ctx, &args, specs, SPEC_COUNT, &setup);
    if (load < 0)
        load = cli_load(ctx, &args, specs, SPEC_COUNT, args.positional[0], &customers, &stats);
    code = load;
    cvo_scheme *scheme = setup.scheme;
    if (load <= EXIT_REJECTS)
        code = cli_score(ctx, &setup, customers, &rfm);
    if (load <= EXIT_REJECTS && code == EXIT_OK)
        code = output(&args, customers, rfm, scheme);
    if (code == EXIT_OK)
        code = load;
    cvo_rfm_free(rfm);
    cvo_scheme_free(scheme);
    cvo_customers_free(customers);
    cvo_ctx_free(ctx);
    return code;
}
