/* cmd_rfm.c - cvo rfm ORDERS: one CSV row per customer with scores and segment. */
#include "commands.h"
#include "line.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const opt_spec specs[] = {
    {"output", 'o', "FILE", "write the CSV to FILE (default stdout)"},
    CLI_INPUT_OPTIONS,
    CLI_SCORE_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

/* One customer's row; the line is reused for every row. */
static int write_row(FILE *out, line *l, const cvo_customer *c, const cvo_score *s,
                     const char *segment)
{
    l->len = 0;
    if (!line_reserve(l, 2 * (strlen(c->customer_id) + strlen(c->email) + strlen(segment)) + 160))
        return 0;
    line_cell(l, c->customer_id);
    line_char(l, ',');
    line_cell(l, c->email);
    line_char(l, ',');
    line_day(l, c->first_order_day);
    line_char(l, ',');
    line_day(l, c->last_order_day);
    line_char(l, ',');
    line_int(l, s->recency_days);
    line_char(l, ',');
    line_int(l, c->orders);
    line_char(l, ',');
    if (s->m != 0) /* m 0: a count-only log, no money to show */
        line_money(l, c->net_revenue_cents);
    char scores[13] = {',', (char)('0' + s->r), ',', (char)('0' + s->f), ',', (char)('0' + s->m),
                       ',', (char)('0' + s->r), (char)('0' + s->f), (char)('0' + s->m), ','};
    if (s->m == 0) /* a count-only log: no M score, the code is R and F */
        line_text(l, (const char[9]){',', scores[1], ',', scores[3], ',', ',', scores[1], scores[3], ','}, 9);
    else
        line_text(l, scores, 11);
    line_cell(l, segment);
    line_char(l, '\n');
    return fwrite(l->buf, 1, l->len, out) == l->len;
}

static int write_csv(FILE *out, const cvo_customers *customers, const cvo_rfm *rfm,
                     const cvo_scheme *scheme)
{
    static char buffer[1 << 20];
    setvbuf(out, buffer, _IOFBF, sizeof buffer);
    fputs("customer_id,email,first_order,last_order,recency_days,frequency,monetary,r,f,m,rfm,"
          "segment\n", out);
    const cvo_score *scores = cvo_rfm_scores(rfm);
    line l = {NULL, 0, 0};
    int ok = 1;
    for (size_t i = 0; ok && i < cvo_customers_count(customers); i++)
        ok = write_row(out, &l, cvo_customers_at(customers, i), &scores[i],
                       cvo_scheme_segment_name(scheme, scores[i].segment));
    free(l.buf);
    return ok ? EXIT_OK : EXIT_SYSTEM;
}

static int output(cvo_ctx *ctx, const parsed_args *args, const cvo_customers *customers,
                  const cvo_rfm *rfm, const cvo_scheme *scheme)
{
    (void)ctx;
    const char *path = args_get(args, specs, SPEC_COUNT, "output");
    FILE *out = path && strcmp(path, "-") != 0 ? fopen(path, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "cvo: %s: cannot write: %s\n", path, strerror(errno));
        return EXIT_SYSTEM;
    }
    int code = write_csv(out, customers, rfm, scheme);
    return cli_close_output(out, path) ? code : EXIT_SYSTEM;
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
    return cli_run_scored(&args, specs, SPEC_COUNT, "rfm", output);
}
