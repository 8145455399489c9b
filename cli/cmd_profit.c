/* cmd_profit.c - cvo profit ORDERS: per segment, revenue share against profit
 * share, mean profit per customer and the unprofitable share (text, CSV or
 * JSON), with the totals and which source costed what share of revenue. */
#include "commands.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

static const opt_spec specs[] = {
    {"products", 0, "FILE", "product costs (sku,product,unit_cost,category) for lines without unit_cost"},
    {"config", 'c', "FILE", "configuration (INI): the [profit] fees, default margin, acquisition costs"},
    {"csv", 0, NULL, "print CSV instead of a table"},
    {"json", 0, NULL, "print JSON (segments, totals, cost sources, predicted profit)"},
    CLI_INPUT_OPTIONS,
    CLI_SCORE_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

/* ---- text ------------------------------------------------------------------- */

static void print_row(const char *name, uint64_t customers, int64_t revenue, double revenue_share,
                      int64_t profit, double profit_share, int64_t mean, double unprofitable)
{
    char r[24], p[24], m[24];
    printf("%-20s %9" PRIu64 " %14s %6.1f%% %14s %7.1f%% %11s %7.1f%%\n", name, customers,
           cli_money_text(revenue, r), 100 * revenue_share, cli_money_text(profit, p),
           100 * profit_share, cli_money_text(mean, m), 100 * unprofitable);
}

static int64_t mean_of(int64_t cents, uint64_t count)
{
    return count ? (int64_t)llround((double)cents / (double)count) : 0;
}

static void print_sources(const cvo_profit_totals *t)
{
    char money[24];
    printf("\ncost of goods: %.1f%% of revenue costed by the line's unit_cost, %.1f%% by the "
           "products file, %.1f%% by the default margin\n",
           100 * t->from_line_share, 100 * t->from_products_share, 100 * t->by_default_share);
    printf("revenue %s", cli_money_text(t->revenue_cents, money));
    printf(" - cost of goods %s", cli_money_text(t->cogs_cents, money));
    printf(" - shipping %s", cli_money_text(t->shipping_cents, money));
    printf(" - payment fees %s", cli_money_text(t->fee_cents, money));
    printf(" = margin %s\n", cli_money_text(t->margin_cents, money));
    printf("margin - acquisition %s", cli_money_text(t->acquisition_cents, money));
    printf(" = profit %s", cli_money_text(t->profit_cents, money));
    printf("; discounts given %s\n", cli_money_text(t->discount_cents, money));
}

static void print_table(const cvo_profit *profit)
{
    const cvo_profit_segment *s = cvo_profit_segments(profit);
    const cvo_profit_totals *t = cvo_profit_overall(profit);
    printf("%-20s %9s %14s %7s %14s %8s %11s %8s\n", "segment", "customers", "revenue",
           "rev.sh", "profit", "prof.sh", "mean profit", "unprof.");
    for (size_t i = 0; i < cvo_profit_segment_count(profit); i++)
        print_row(s[i].name, s[i].customers, s[i].revenue_cents, s[i].revenue_share,
                  s[i].profit_cents, s[i].profit_share, s[i].mean_profit_cents,
                  s[i].unprofitable_share);
    print_row("total", t->customers, t->revenue_cents, t->revenue_cents > 0 ? 1.0 : 0.0,
              t->profit_cents, t->profit_cents > 0 ? 1.0 : 0.0, mean_of(t->profit_cents, t->customers),
              t->customers ? (double)t->unprofitable / (double)t->customers : 0);
    print_sources(t);
}

/* ---- CSV ---------------------------------------------------------------------- */

static void print_csv(const cvo_profit *profit)
{
    const cvo_profit_segment *s = cvo_profit_segments(profit);
    char r[24], p[24], m[24];
    printf("segment,customers,revenue,revenue_share,profit,profit_share,mean_profit,"
           "unprofitable,unprofitable_share\n");
    for (size_t i = 0; i < cvo_profit_segment_count(profit); i++) {
        cli_csv_cell(stdout, s[i].name);
        printf(",%" PRIu64 ",%s,%.4f,%s,%.4f,%s,%" PRIu64 ",%.4f\n", s[i].customers,
               cli_money_text(s[i].revenue_cents, r), s[i].revenue_share,
               cli_money_text(s[i].profit_cents, p), s[i].profit_share,
               cli_money_text(s[i].mean_profit_cents, m), s[i].unprofitable,
               s[i].unprofitable_share);
    }
}

/* ---- JSON ---------------------------------------------------------------------- */

static void json_money(const char *key, int64_t cents, bool comma)
{
    char money[24];
    printf("\"%s\":%s%s", key, cli_money_text(cents, money), comma ? "," : "");
}

static void json_segment(const cvo_profit_segment *s, bool purchase_model)
{
    printf("{\"segment\":");
    cli_json_string(s->name);
    printf(",\"customers\":%" PRIu64 ",", s->customers);
    json_money("revenue", s->revenue_cents, true);
    printf("\"revenue_share\":%.6f,", s->revenue_share);
    json_money("profit", s->profit_cents, true);
    printf("\"profit_share\":%.6f,", s->profit_share);
    json_money("mean_profit", s->mean_profit_cents, true);
    printf("\"unprofitable\":%" PRIu64 ",\"unprofitable_share\":%.6f,", s->unprofitable,
           s->unprofitable_share);
    if (purchase_model)
        json_money("predicted_profit", s->predicted_profit_cents, false);
    else
        printf("\"predicted_profit\":null");
    putchar('}');
}

static void json_totals(const cvo_profit_totals *t)
{
    printf("\"totals\":{\"customers\":%" PRIu64 ",\"orders\":%" PRIu64 ",\"unprofitable\":%" PRIu64
           ",",
           t->customers, t->orders, t->unprofitable);
    json_money("revenue", t->revenue_cents, true);
    json_money("cost_of_goods", t->cogs_cents, true);
    json_money("shipping", t->shipping_cents, true);
    json_money("payment_fees", t->fee_cents, true);
    json_money("margin", t->margin_cents, true);
    json_money("acquisition", t->acquisition_cents, true);
    json_money("profit", t->profit_cents, true);
    json_money("discounts", t->discount_cents, true);
    json_money("mean_margin_per_order", t->mean_margin_cents, true);
    if (t->purchase_model)
        json_money("predicted_profit", t->predicted_profit_cents, false);
    else
        printf("\"predicted_profit\":null");
    printf("},\"cost_sources\":{\"line_unit_cost\":%.6f,\"products_file\":%.6f,"
           "\"default_margin\":%.6f}",
           t->from_line_share, t->from_products_share, t->by_default_share);
}

static void print_json(const cvo_profit *profit)
{
    const cvo_profit_totals *t = cvo_profit_overall(profit);
    const cvo_profit_segment *s = cvo_profit_segments(profit);
    printf("{\"segments\":[");
    for (size_t i = 0; i < cvo_profit_segment_count(profit); i++) {
        if (i)
            putchar(',');
        json_segment(&s[i], t->purchase_model);
    }
    printf("],");
    json_totals(t);
    printf(",\"spend_model_on_margins\":%s,\"note\":", t->spend_model ? "true" : "false");
    cli_json_string(cvo_profit_note(profit));
    printf("}\n");
}

/* ---- the job ------------------------------------------------------------------- */

static int emit(cvo_ctx *ctx, const parsed_args *args, const cvo_customers *customers,
                const cvo_rfm *rfm, const cvo_scheme *scheme, const cvo_config *config)
{
    cvo_profit *profit = NULL;
    cvo_status status = cvo_profit_compute(ctx, customers, rfm, scheme, config, NULL, &profit);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (args_get(args, specs, SPEC_COUNT, "json"))
        print_json(profit);
    else if (args_get(args, specs, SPEC_COUNT, "csv"))
        print_csv(profit);
    else
        print_table(profit);
    cvo_profit_free(profit);
    return cli_close_output(stdout, NULL) ? EXIT_OK : EXIT_SYSTEM;
}

static int run(cvo_ctx *ctx, const parsed_args *args)
{
    score_setup setup;
    cvo_config *config = NULL;
    cvo_customers *customers = NULL;
    cvo_rfm *rfm = NULL;
    cvo_load_stats stats;
    int load = cli_score_setup(ctx, args, specs, SPEC_COUNT, &setup);
    if (load < 0)
        load = cli_load_config_and_orders(ctx, args, specs, SPEC_COUNT, &config, &customers,
                                          &stats);
    int code = load;
    if (load <= EXIT_REJECTS)
        code = cli_score(ctx, &setup, customers, &rfm);
    if (load <= EXIT_REJECTS && code == EXIT_OK)
        code = emit(ctx, args, customers, rfm, setup.scheme, config);
    if (code == EXIT_OK)
        code = load;
    cvo_rfm_free(rfm);
    cvo_customers_free(customers);
    cvo_config_free(config);
    cvo_scheme_free(setup.scheme);
    return code;
}

int cmd_profit(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args, "cvo profit [OPTIONS] ORDERS",
                         "Profit, not revenue: per segment, revenue and revenue share beside\n"
                         "profit and profit share (margin after cost of goods, shipping, payment\n"
                         "fees and acquisition), mean profit per customer and the share of\n"
                         "unprofitable customers; then the totals and which source costed what\n"
                         "share of revenue. Segments are scored as cvo segments scores them.");
    return code >= 0 ? code : cli_run_orders_job(&args, "profit", run);
}
