/* cmd_dive.c - cvo dive ORDERS: what drives customer value. Runs the analysis
 * (for CLV, P(alive) and the NPS join) and prints, per grouping, the groups'
 * figures and the most harmful and most helpful differences from the rest. */
#include "commands.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

static const opt_spec specs[] = {
    {"by", 0, "NAME", "product, category, country, discount, code or channel (default: all)"},
    {"products", 0, "FILE", "products (sku,product,unit_cost,category): categories and costs"},
    {"nps", 0, "FILE", "NPS answers: adds nps_post (latest post-delivery answer per customer)"},
    {"config", 'c', "FILE", "configuration (INI): [dive] min_group, repeat_days, alpha, fdr"},
    {"top", 0, "N", "rows of each ranked list (default 10)"},
    {"json", 0, NULL, "print JSON: one object per grouping, one per line"},
    CLI_INPUT_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

#define MAX_TOP 1000

/* ---- text ---------------------------------------------------------------------- */

static void print_number(double value, int width, int decimals)
{
    if (isfinite(value))
        printf(" %*.*f", width, decimals, value);
    else
        printf(" %*s", width, "-");
}

static void print_groups(const cvo_dive *dive)
{
    const cvo_dive_info *info = cvo_dive_info_of(dive);
    size_t n = 0;
    const cvo_dive_group *g = cvo_dive_groups(dive, &n);
    printf("%-24s %9s %7s %7s %10s %10s %10s %7s %7s %8s %6s\n", "group", "customers", "repeat",
           "orders", "revenue", "profit", "clv", "p_alive", "refund", "delivery", "nps");
    for (size_t i = 0; i < n; i++) {
        printf("%-24s %9" PRIu64, g[i].key, g[i].customers);
        print_number(g[i].repeat_rate, 7, 3);
        print_number(g[i].mean_orders, 7, 2);
        print_number(g[i].mean_revenue, 10, 2);
        print_number(g[i].mean_profit, 10, 2);
        print_number(g[i].mean_clv, 10, 2);
        print_number(g[i].mean_p_alive, 7, 3);
        print_number(g[i].refund_rate, 7, 3);
        print_number(g[i].mean_delivery_days, 8, 1);
        print_number(g[i].nps, 6, 1);
        printf("%s\n", g[i].small ? "  (small)" : "");
    }
    printf("repeat: within %u days of the first order; orders, revenue, profit: means per "
           "customer within 365 days; delivery: mean days from order to delivery\n",
           (unsigned)info->repeat_days);
}

/* Metric values: shares to three decimals, money and NPS to two. */
static int decimals_of(cvo_dive_metric metric)
{
    return metric == CVO_DIVE_REPEAT ? 3 : metric == CVO_DIVE_NPS ? 1 : 2;
}

/* The difference at equal first order and its q-value, * when significant. */
static void print_adjusted(const cvo_dive_row *r, int decimals)
{
    if (!r->adj_tested) {
        printf(" %10s %9s\n", "-", "-");
        return;
    }
    print_number(r->adj_diff, 10, decimals);
    printf(" %9.2e%s\n", r->adj_q, r->adj_significant ? " *" : "");
}

static void print_ranked(const cvo_dive *dive, cvo_dive_direction direction, size_t top)
{
    const cvo_dive_row **rows = malloc((top ? top : 1) * sizeof *rows);
    if (rows == NULL)
        return;
    size_t n = cvo_dive_rank(dive, direction, rows, top);
    printf("\nmost %s\n", cvo_dive_direction_name(direction));
    if (n == 0)
        printf("  (none tested)\n");
    else
        printf("  %-24s %-13s %7s %10s %10s %10s  %-23s %9s %9s %10s %9s\n", "group", "metric", "n",
               "group", "rest", "diff", "interval", "p", "q", "adj_diff", "adj_q");
    for (size_t i = 0; i < n; i++) {
        const cvo_dive_row *r = rows[i];
        int d = decimals_of(r->metric);
        char interval[64];
        snprintf(interval, sizeof interval, "[%.*f, %.*f]", d, r->ci_low, d, r->ci_high);
        printf("%c %-24s %-13s %7" PRIu64, r->significant ? '*' : ' ', r->key,
               cvo_dive_metric_name(dive, r->metric), r->customers);
        print_number(r->value, 10, d);
        print_number(r->rest_value, 10, d);
        print_number(r->diff, 10, d);
        printf("  %-23s %9.2e %9.2e", interval, r->p_value, r->q_value);
        print_adjusted(r, d);
    }
    free(rows);
}

static void print_text(const cvo_dive *dive, size_t top)
{
    const cvo_dive_info *info = cvo_dive_info_of(dive);
    size_t groups = 0;
    cvo_dive_groups(dive, &groups);
    printf("== by %s: %zu groups, %" PRIu64 " customers; %" PRIu64 " tests, %" PRIu64
           " significant\n\n",
           cvo_dive_by_name(info->by), groups, info->customers, info->tests, info->significant);
    print_groups(dive);
    print_ranked(dive, CVO_DIVE_HARMFUL, top);
    print_ranked(dive, CVO_DIVE_HELPFUL, top);
    printf("\n* significant: Benjamini-Hochberg q < %g per metric; intervals at %g %%; tested "
           "when the group and the rest have at least %" PRIu64 " customers\n",
           info->fdr, 100 * (1 - info->alpha), info->min_group);
    printf("adj_diff, adj_q: orders, revenue and profit against customers whose first order "
           "was worth as much (%" PRIu64 " of %" PRIu64 " significant, * after adj_q)\n\n",
           info->adj_significant, info->adj_tests);
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_number(const char *key, double value)
{
    if (isfinite(value))
        printf(",\"%s\":%.10g", key, value);
    else
        printf(",\"%s\":null", key);
}

static void print_json(const cvo_dive *dive)
{
    size_t n = 0;
    const cvo_dive_row *r = cvo_dive_rows(dive, &n);
    printf("{\"by\":\"%s\",\"groups\":[", cvo_dive_by_name(cvo_dive_info_of(dive)->by));
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"key\":", i ? "," : "");
        cli_json_string(r[i].key);
        printf(",\"metric\":\"%s\",\"customers\":%" PRIu64, cvo_dive_metric_name(dive, r[i].metric),
               r[i].customers);
        json_number("value", r[i].value);
        json_number("diff", r[i].diff);
        json_number("ci_low", r[i].ci_low);
        json_number("ci_high", r[i].ci_high);
        json_number("p_value", r[i].p_value);
        json_number("q_value", r[i].q_value);
        printf(",\"significant\":%s,\"direction\":\"%s\"", r[i].significant ? "true" : "false",
               cvo_dive_direction_name(r[i].direction));
        json_number("adj_diff", r[i].adj_diff);
        json_number("adj_ci_low", r[i].adj_ci_low);
        json_number("adj_ci_high", r[i].adj_ci_high);
        json_number("adj_p", r[i].adj_p);
        json_number("adj_q", r[i].adj_q);
        printf(",\"adj_significant\":%s}", r[i].adj_significant ? "true" : "false");
    }
    printf("]}\n");
}

/* ---- the job ------------------------------------------------------------------------ */

typedef struct dive_request {
    bool all;
    cvo_dive_by by;
    size_t top;
    bool json;
} dive_request;

static int read_request(const parsed_args *args, dive_request *req)
{
    const char *by = args_get(args, specs, SPEC_COUNT, "by");
    const char *top = args_get(args, specs, SPEC_COUNT, "top");
    double t = 10;
    req->all = by == NULL;
    req->by = CVO_DIVE_PRODUCT;
    req->json = args_get(args, specs, SPEC_COUNT, "json") != NULL;
    if (by != NULL && !cvo_dive_by_parse(by, &req->by)) {
        fprintf(stderr,
                "cvo: --by must be product, category, country, discount, code or "
                "channel, not '%s'\n",
                by);
        return EXIT_USAGE;
    }
    if (top != NULL && (!cli_parse_double(top, 1, MAX_TOP, &t) || t != floor(t))) {
        fprintf(stderr, "cvo: --top must be an integer from 1 to %d\n", MAX_TOP);
        return EXIT_USAGE;
    }
    req->top = (size_t)t;
    return -1;
}

static int emit(const cvo_analysis *a, const dive_request *req)
{
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++) {
        if (!req->all && by != (int)req->by)
            continue;
        const cvo_dive *dive = cvo_analysis_dive(a, (cvo_dive_by)by);
        if (req->json)
            print_json(dive);
        else
            print_text(dive, req->top);
    }
    return cli_close_output(stdout, NULL) ? EXIT_OK : EXIT_SYSTEM;
}

/* The analysis, with --nps answers; EXIT_REJECTS when answers were rejected. */
static int analyze(cvo_ctx *ctx, const parsed_args *args, const cvo_customers *customers,
                   const cvo_load_stats *stats, const cvo_config *config, cvo_analysis **a)
{
    cvo_nps_options options;
    cvo_nps_options_init(&options);
    options.latest_day = cli_latest_day();
    options.path = args_get(args, specs, SPEC_COUNT, "nps");
    cvo_status status =
        cvo_analyze_nps(ctx, customers, stats, config, options.path ? &options : NULL, a);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    const cvo_nps *nps = cvo_analysis_nps(*a);
    if (nps == NULL || cvo_nps_load_stats(nps)->rejected == 0)
        return EXIT_OK;
    if (args_get(args, specs, SPEC_COUNT, "quiet") == NULL)
        fprintf(stderr,
                "cvo: %s: %" PRIu64 " NPS answers rejected (cvo nps --rejects lists them)\n",
                options.path, cvo_nps_load_stats(nps)->rejected);
    return EXIT_REJECTS;
}

static int run(cvo_ctx *ctx, const parsed_args *args)
{
    dive_request req;
    cvo_config *config = NULL;
    cvo_customers *customers = NULL;
    cvo_analysis *a = NULL;
    cvo_load_stats stats;
    int load = read_request(args, &req);
    if (load < 0)
        load =
            cli_load_config_and_orders(ctx, args, specs, SPEC_COUNT, &config, &customers, &stats);
    int code = load;
    if (load <= EXIT_REJECTS)
        code = analyze(ctx, args, customers, &stats, config, &a);
    int written = code <= EXIT_REJECTS ? emit(a, &req) : EXIT_OK;
    if (written != EXIT_OK)
        code = written;
    else if (code == EXIT_OK)
        code = load;
    cvo_analysis_free(a);
    cvo_customers_free(customers);
    cvo_config_free(config);
    return code;
}

int cmd_dive(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args, "cvo dive [OPTIONS] ORDERS",
                         "What drives customer value: customers grouped by their first order's\n"
                         "products and categories, discount and code, by country and channel,\n"
                         "each group against all other customers on repeat rate, orders,\n"
                         "revenue and profit within 365 days, and post-delivery NPS; tested\n"
                         "(two proportions, pooled t, NPS z), Benjamini-Hochberg per metric, and\n"
                         "ranked: the most harmful and the most helpful groups.");
    return code >= 0 ? code : cli_run_orders_job(&args, "dive", run);
}
