/* cmd_segments.c - cvo segments ORDERS: the segment table (text, CSV or JSON). */
#include "commands.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const opt_spec specs[] = {
    {"csv", 0, NULL, "print CSV instead of a table"},
    {"json", 0, NULL, "print JSON instead of a table"},
    CLI_INPUT_OPTIONS,
    CLI_SCORE_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

static void print_table(const cvo_segment_row *rows, size_t n)
{
    char revenue[24], aov[24];
    printf("%-20s %10s %7s %15s %8s %10s %9s\n", "segment", "customers", "share", "revenue",
           "rev.share", "aov", "recency");
    for (size_t i = 0; i < n; i++) {
        const cvo_segment_row *r = &rows[i];
        printf("%-20s %10" PRIu64 " %6.1f%% %15s %7.1f%% %10s %9.1f\n", r->name, r->customers,
               100.0 * r->customer_share, cli_money_text(r->revenue_cents, revenue),
               100.0 * r->revenue_share, cli_money_text(r->aov_cents, aov),
               r->median_recency_days);
    }
}

static void print_csv(const cvo_segment_row *rows, size_t n)
{
    char revenue[24], aov[24];
    printf("segment,customers,share,revenue,revenue_share,orders,aov,median_recency_days\n");
    for (size_t i = 0; i < n; i++) {
        const cvo_segment_row *r = &rows[i];
        cli_csv_cell(stdout, r->name);
        printf(",%" PRIu64 ",%.4f,%s,%.4f,%" PRIu64 ",%s,%.1f\n", r->customers, r->customer_share,
               cli_money_text(r->revenue_cents, revenue), r->revenue_share, r->orders,
               cli_money_text(r->aov_cents, aov), r->median_recency_days);
    }
}

static void print_json(const cvo_segment_row *rows, size_t n, const cvo_rfm *rfm)
{
    char as_of[11], revenue[24], aov[24];
    cvo_day_format(cvo_rfm_as_of_day(rfm), as_of);
    printf("{\"as_of\":\"%s\",\"levels\":%d,\"segments\":[", as_of, cvo_rfm_levels(rfm));
    for (size_t i = 0; i < n; i++) {
        const cvo_segment_row *r = &rows[i];
        printf("%s{\"segment\":", i ? "," : "");
        cli_json_string(r->name);
        printf(",\"customers\":%" PRIu64 ",\"share\":%.6f,\"revenue\":%s,\"revenue_share\":%.6f,"
               "\"orders\":%" PRIu64 ",\"aov\":%s,\"median_recency_days\":%.1f}",
               r->customers, r->customer_share, cli_money_text(r->revenue_cents, revenue),
               r->revenue_share, r->orders, cli_money_text(r->aov_cents, aov),
               r->median_recency_days);
    }
    printf("]}\n");
}

static int report(cvo_ctx *ctx, const parsed_args *args, const cvo_customers *customers,
                  const cvo_rfm *rfm, const cvo_scheme *scheme)
{
    size_t n = cvo_scheme_segment_count(scheme);
    cvo_segment_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (rows == NULL)
        return EXIT_SYSTEM;
    cvo_status status = cvo_segments_summarize(ctx, customers, rfm, scheme, rows);
    if (status == CVO_OK) {
        if (args_get(args, specs, SPEC_COUNT, "json"))
            print_json(rows, n, rfm);
        else if (args_get(args, specs, SPEC_COUNT, "csv"))
            print_csv(rows, n);
        else
            print_table(rows, n);
    }
    free(rows);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    return cli_close_output(stdout, NULL) ? EXIT_OK : EXIT_SYSTEM;
}

int cmd_segments(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args, "cvo segments [OPTIONS] ORDERS",
                         "Scores every customer of ORDERS and prints, per segment: customers, share,\n"
                         "revenue, revenue share, average order value and median recency (days).");
    if (code >= 0)
        return code;
    return cli_run_scored(&args, specs, SPEC_COUNT, "segments", report);
}
