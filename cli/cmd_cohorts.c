/* cmd_cohorts.c - cvo cohorts ORDERS: customers by first-order month, one row
 * per cohort and one column per month since, of one metric (text or CSV) or
 * of every metric (JSON). Cells after the as-of month are absent, not zero. */
#include "commands.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const opt_spec specs[] = {
    {"products", 0, "FILE",
     "product costs (sku,product,unit_cost,category) for lines without unit_cost"},
    {"config", 'c', "FILE",
     "configuration (INI): the [profit] fees, default margin, acquisition costs"},
    {"metric", 'm', "NAME", "repeat (default), retention, revenue or profit"},
    {"as-of", 0, "DATE", "only orders before DATE (default: the day after the last order)"},
    {"csv", 0, NULL, "print CSV (one row per cohort) instead of a table"},
    {"json", 0, NULL, "print JSON: every metric of every cell"},
    CLI_INPUT_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

typedef enum metric { METRIC_REPEAT, METRIC_RETENTION, METRIC_REVENUE, METRIC_PROFIT } metric;

static const char *const metric_names[] = {"repeat", "retention", "revenue", "profit"};

static const char *const metric_titles[] = {
    "% of the cohort with a repeat order in month k",
    "% of the cohort with a repeat order in months 0..k", "net revenue per customer, months 0..k",
    "profit per customer (margins - acquisition), months 0..k"};

static bool parse_metric(const char *text, metric *out)
{
    for (size_t i = 0; i < sizeof metric_names / sizeof *metric_names; i++)
        if (strcmp(text, metric_names[i]) == 0) {
            *out = (metric)i;
            return true;
        }
    return false;
}

static void cohort_name(const cvo_cohort *c, char out[16])
{
    snprintf(out, 16, "%04d-%02d", c->year, c->month);
}

/* The metric's value of a cell as text: percent (one decimal) or money. */
static const char *cell_text(const cvo_cohort_cell *cell, metric m, bool csv, char *buf)
{
    double share = m == METRIC_REPEAT ? cell->repeat_share : cell->retention_share;
    if (m == METRIC_REPEAT || m == METRIC_RETENTION) {
        snprintf(buf, 24, csv ? "%.6f" : "%.1f", csv ? share : 100 * share);
        return buf;
    }
    double cents = m == METRIC_REVENUE ? cell->revenue_per_customer : cell->profit_per_customer;
    return cli_money_text((int64_t)llround(cents), buf);
}

/* ---- text and CSV ---------------------------------------------------------------- */

static void print_table(const cvo_cohorts *co, metric m)
{
    char as_of[11], name[16], value[24];
    cvo_day_format(cvo_cohorts_as_of(co), as_of);
    printf("cohorts as of %s: %s\n", as_of, metric_titles[m]);
    printf("%-8s %9s", "cohort", "customers");
    for (size_t k = 0; k < cvo_cohorts_max_months(co); k++)
        printf(" %9s", (snprintf(value, sizeof value, "m%zu", k), value));
    putchar('\n');
    for (size_t i = 0; i < cvo_cohorts_count(co); i++) {
        const cvo_cohort *c = cvo_cohorts_at(co, i);
        cohort_name(c, name);
        printf("%-8s %9" PRIu64, name, c->customers);
        for (size_t k = 0; k < c->months; k++) {
            char marked[32];
            snprintf(marked, sizeof marked, "%s%s", cell_text(&c->cells[k], m, false, value),
                     c->cells[k].complete ? "" : "*");
            printf(" %9s", marked);
        }
        putchar('\n');
    }
    printf("* the month had not ended on the as-of date; later months are not shown\n");
}

static void print_csv(const cvo_cohorts *co, metric m)
{
    char name[16], value[24];
    printf("cohort,customers");
    for (size_t k = 0; k < cvo_cohorts_max_months(co); k++)
        printf(",m%zu", k);
    putchar('\n');
    for (size_t i = 0; i < cvo_cohorts_count(co); i++) {
        const cvo_cohort *c = cvo_cohorts_at(co, i);
        cohort_name(c, name);
        printf("%s,%" PRIu64, name, c->customers);
        for (size_t k = 0; k < cvo_cohorts_max_months(co); k++)
            printf(",%s", k < c->months ? cell_text(&c->cells[k], m, true, value) : "");
        putchar('\n');
    }
}

/* ---- JSON ---------------------------------------------------------------------- */

static void json_money(const char *key, double cents)
{
    char money[24];
    printf(",\"%s\":%s", key, cli_money_text((int64_t)llround(cents), money));
}

static void json_cell(const cvo_cohort_cell *cell, size_t k)
{
    printf("{\"month\":%zu,\"complete\":%s,\"repeat_customers\":%" PRIu64
           ",\"repeat_share\":%.6f,\"retained_customers\":%" PRIu64 ",\"retention_share\":%.6f",
           k, cell->complete ? "true" : "false", cell->repeat_customers, cell->repeat_share,
           cell->retained_customers, cell->retention_share);
    json_money("revenue", (double)cell->revenue_cents);
    json_money("revenue_per_customer", cell->revenue_per_customer);
    json_money("profit", (double)cell->profit_cents);
    json_money("profit_per_customer", cell->profit_per_customer);
    putchar('}');
}

static void print_json(const cvo_cohorts *co)
{
    char as_of[11], name[16];
    cvo_day_format(cvo_cohorts_as_of(co), as_of);
    printf("{\"as_of\":\"%s\",\"cohorts\":[", as_of);
    for (size_t i = 0; i < cvo_cohorts_count(co); i++) {
        const cvo_cohort *c = cvo_cohorts_at(co, i);
        cohort_name(c, name);
        printf("%s{\"cohort\":\"%s\",\"customers\":%" PRIu64 ",\"months\":[", i ? "," : "", name,
               c->customers);
        for (size_t k = 0; k < c->months; k++) {
            if (k)
                putchar(',');
            json_cell(&c->cells[k], k);
        }
        printf("]}");
    }
    printf("]}\n");
}

/* ---- the job ------------------------------------------------------------------- */

typedef struct cohort_setup {
    metric metric;
    int32_t as_of;
} cohort_setup;

/* The options checked before any input is read: -1 to go on, else an exit code. */
static int read_setup(const parsed_args *args, cohort_setup *setup)
{
    const char *name = args_get(args, specs, SPEC_COUNT, "metric");
    const char *as_of = args_get(args, specs, SPEC_COUNT, "as-of");
    setup->metric = METRIC_REPEAT;
    setup->as_of = INT32_MIN;
    if (name && !parse_metric(name, &setup->metric)) {
        fprintf(stderr, "cvo: --metric must be repeat, retention, revenue or profit\n");
        return EXIT_USAGE;
    }
    if (as_of && !cvo_day_parse(as_of, &setup->as_of)) {
        fprintf(stderr, "cvo: --as-of must be a date like 2025-12-31\n");
        return EXIT_USAGE;
    }
    return -1;
}

static int emit(cvo_ctx *ctx, const parsed_args *args, const cohort_setup *setup,
                const cvo_customers *customers, const cvo_config *config)
{
    cvo_cohorts *co = NULL;
    cvo_status status = cvo_cohorts_compute(ctx, customers, config, setup->as_of, &co);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (args_get(args, specs, SPEC_COUNT, "json"))
        print_json(co);
    else if (args_get(args, specs, SPEC_COUNT, "csv"))
        print_csv(co, setup->metric);
    else
        print_table(co, setup->metric);
    cvo_cohorts_free(co);
    return cli_close_output(stdout, NULL) ? EXIT_OK : EXIT_SYSTEM;
}

static int run(cvo_ctx *ctx, const parsed_args *args)
{
    cohort_setup setup;
    cvo_config *config = NULL;
    cvo_customers *customers = NULL;
    cvo_load_stats stats;
    int load = read_setup(args, &setup);
    if (load < 0)
        load = cli_load_config_and_orders(ctx, args, specs, SPEC_COUNT, &config, &customers,
                                          &stats);
    int code = load;
    if (load <= EXIT_REJECTS)
        code = emit(ctx, args, &setup, customers, config);
    if (code == EXIT_OK)
        code = load;
    cvo_customers_free(customers);
    cvo_config_free(config);
    return code;
}

int cmd_cohorts(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args, "cvo cohorts [OPTIONS] ORDERS",
                         "Cohorts: customers by the month of their first order (rows) and the\n"
                         "months since (columns): the share that ordered again in that month\n"
                         "(repeat), the share with any repeat order so far (retention), or\n"
                         "revenue or profit per customer so far. A repeat order is one on a day\n"
                         "after the first order's day. Months after the as-of date are absent.");
    return code >= 0 ? code : cli_run_orders_job(&args, "cohorts", run);
}
