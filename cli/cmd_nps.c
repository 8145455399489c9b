/* cmd_nps.c - cvo nps NPS --orders ORDERS: NPS with 95 % intervals overall, by
 * stage (with the post - pre difference), segment, country, month, product and
 * category, and the frequent words and phrases of each class and segment
 * (text or JSON). */
#include "commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const opt_spec specs[] = {
    {"orders", 0, "FILE", "the orders the responses are joined to (required)"},
    {"map", 0, "FIELD=COL,..", "name the NPS columns, e.g. email=Email Address,score=Q1"},
    {"products", 0, "FILE", "products (sku,product,unit_cost,category): the categories"},
    {"rejects", 0, "FILE", "write rejected responses (line,reason,detail,record) to FILE"},
    {"config", 'c', "FILE", "configuration (INI): [nps] min_group, delivery_days, transit_days"},
    {"json", 0, NULL, "print JSON instead of tables"},
    {"format", 0, "NAME", "orders format: auto (default), generic, shopify, cdnow"},
    {"date-format", 0, "FMT", "order date format, e.g. %m/%d/%Y %H:%M"},
    {"decimal-comma", 0, NULL, "amounts use a decimal comma (12,99)"},
    {"cancel-prefix", 0, "P", "order ids starting with P are cancellations (UCI: C)"},
    {"threads", 0, "N", "worker threads (default 2)"},
    {"quiet", 'q', NULL, "no summary on stderr"},
    CLI_SCORE_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

static const char *const dimension_titles[CVO_NPS_BY__COUNT] = {
    "stage", "segment", "country", "month", "product", "category"};
static const char *const dimension_keys[CVO_NPS_BY__COUNT] = {
    "by_stage", "by_segment", "by_country", "by_month", "by_product", "by_category"};

/* ---- text ---------------------------------------------------------------------- */

/* Characters of UTF-8 text (bytes that do not continue a character). */
static size_t text_width(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += ((unsigned char)*text & 0xc0) != 0x80;
    return n;
}

static void print_group(const cvo_nps_group *g, int width)
{
    /* padded by characters, not bytes: "Tarrazú" is 7 wide */
    width += (int)(strlen(g->key) - text_width(g->key));
    printf("%-*s %7" PRIu64 " %9" PRIu64 " %8" PRIu64 " %10" PRIu64 " %7.1f  [%6.1f, %6.1f]%s\n",
           width, g->key, g->n, g->promoters, g->passives, g->detractors, g->nps, g->ci_low,
           g->ci_high, g->small ? "  *small" : "");
}

/* The first column is as wide as the longest key (at least 22, at most 60 bytes). */
static void print_table(const char *title, const cvo_nps_group *rows, size_t n)
{
    size_t width = 22;
    for (size_t i = 0; i < n; i++)
        width = text_width(rows[i].key) > width ? text_width(rows[i].key) : width;
    width = width < 60 ? width : 60;
    printf("%-*s %7s %9s %8s %10s %7s  %-16s\n", (int)width, title, "n", "promoters", "passives",
           "detractors", "nps", "95% interval");
    for (size_t i = 0; i < n; i++)
        print_group(&rows[i], (int)width);
    printf("\n");
}

static void print_terms(const cvo_nps *nps)
{
    for (int c = CVO_NPS_PROMOTER; c >= CVO_NPS_DETRACTOR; c--) {
        for (int phrases = 0; phrases < 2; phrases++) {
            size_t n = 0;
            const cvo_nps_term *t = cvo_nps_top_terms(nps, (cvo_nps_class)c, phrases, &n);
            printf("%s %s:", cvo_nps_class_name((cvo_nps_class)c), phrases ? "phrases" : "words");
            for (size_t i = 0; i < n; i++)
                printf("%s %s (%" PRIu64 ")", i ? "," : "", t[i].text, t[i].count);
            printf("%s\n", n ? "" : " none");
        }
    }
}

/* Words and phrases of each segment that has responses. */
static void print_segment_terms(const cvo_nps *nps)
{
    size_t segments = 0;
    const cvo_nps_group *rows = cvo_nps_groups(nps, CVO_NPS_BY_SEGMENT, &segments);
    for (size_t s = 0; s < segments; s++) {
        if (rows[s].n == 0)
            continue;
        for (int phrases = 0; phrases < 2; phrases++) {
            size_t n = 0;
            const cvo_nps_term *t = cvo_nps_segment_terms(nps, s, phrases, &n);
            printf("%s %s:", rows[s].key, phrases ? "phrases" : "words");
            for (size_t i = 0; i < n; i++)
                printf("%s %s (%" PRIu64 ")", i ? "," : "", t[i].text, t[i].count);
            printf("%s\n", n ? "" : " none");
        }
    }
}

static void print_text(const cvo_nps *nps, uint64_t min_group)
{
    print_table("all responses", cvo_nps_overall(nps), 1);
    for (int d = 0; d < CVO_NPS_BY__COUNT; d++) {
        size_t n = 0;
        const cvo_nps_group *rows = cvo_nps_groups(nps, (cvo_nps_dimension)d, &n);
        print_table(dimension_titles[d], rows, n);
        const cvo_nps_difference *diff = cvo_nps_stage_difference(nps);
        if (d == CVO_NPS_BY_STAGE && diff->available)
            printf("post_delivery - pre_delivery: %.1f  [%.1f, %.1f]\n\n", diff->difference,
                   diff->ci_low, diff->ci_high);
    }
    printf("* small: fewer than %" PRIu64 " responses ([nps] min_group)\n\n", min_group);
    print_terms(nps);
    printf("\n");
    print_segment_terms(nps);
}

/* ---- JSON ---------------------------------------------------------------------- */

static void json_group(const cvo_nps_group *g)
{
    printf("{\"key\":");
    cli_json_string(g->key);
    printf(",\"n\":%" PRIu64 ",\"promoters\":%" PRIu64 ",\"passives\":%" PRIu64
           ",\"detractors\":%" PRIu64 ",\"nps\":%.4f,\"ci_low\":%.4f,\"ci_high\":%.4f,"
           "\"small\":%s}",
           g->n, g->promoters, g->passives, g->detractors, g->nps, g->ci_low, g->ci_high,
           g->small ? "true" : "false");
}

static void json_term_list(const cvo_nps_term *t, size_t n)
{
    printf("[");
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"text\":", i ? "," : "");
        cli_json_string(t[i].text);
        printf(",\"count\":%" PRIu64 "}", t[i].count);
    }
    printf("]");
}

/* "terms_by_segment":{"Soulmates":{"words":[..],"phrases":[..]},..} */
static void json_segment_terms(const cvo_nps *nps)
{
    size_t segments = 0;
    const cvo_nps_group *rows = cvo_nps_groups(nps, CVO_NPS_BY_SEGMENT, &segments);
    printf(",\"terms_by_segment\":{");
    for (size_t s = 0; s < segments; s++) {
        printf("%s", s ? "," : "");
        cli_json_string(rows[s].key);
        for (int phrases = 0; phrases < 2; phrases++) {
            size_t n = 0;
            const cvo_nps_term *t = cvo_nps_segment_terms(nps, s, phrases, &n);
            printf("%s\"%s\":", phrases ? "," : ":{", phrases ? "phrases" : "words");
            json_term_list(t, n);
        }
        printf("}");
    }
    printf("}");
}

static void json_terms(const cvo_nps *nps)
{
    printf(",\"terms\":{");
    for (int c = CVO_NPS_PROMOTER; c >= CVO_NPS_DETRACTOR; c--) {
        printf("%s\"%s\":{", c == CVO_NPS_PROMOTER ? "" : ",", cvo_nps_class_name((cvo_nps_class)c));
        for (int phrases = 0; phrases < 2; phrases++) {
            size_t n = 0;
            const cvo_nps_term *t = cvo_nps_top_terms(nps, (cvo_nps_class)c, phrases, &n);
            printf("%s\"%s\":", phrases ? "," : "", phrases ? "phrases" : "words");
            json_term_list(t, n);
        }
        printf("}");
    }
    printf("}");
    json_segment_terms(nps);
}

static void print_json(const cvo_nps *nps)
{
    const cvo_nps_stats *st = cvo_nps_load_stats(nps);
    printf("{\"records\":%" PRIu64 ",\"used\":%" PRIu64 ",\"rejected\":%" PRIu64
           ",\"joined_customers\":%" PRIu64 ",\"joined_orders\":%" PRIu64
           ",\"joined_by_order_id\":%" PRIu64 ",\"overall\":",
           st->records, st->used, st->rejected, st->joined_customers, st->joined_orders,
           st->joined_by_order_id);
    json_group(cvo_nps_overall(nps));
    for (int d = 0; d < CVO_NPS_BY__COUNT; d++) {
        size_t n = 0;
        const cvo_nps_group *rows = cvo_nps_groups(nps, (cvo_nps_dimension)d, &n);
        printf(",\"%s\":[", dimension_keys[d]);
        for (size_t i = 0; i < n; i++) {
            printf("%s", i ? "," : "");
            json_group(&rows[i]);
        }
        printf("]");
    }
    const cvo_nps_difference *diff = cvo_nps_stage_difference(nps);
    if (diff->available)
        printf(",\"post_minus_pre\":{\"difference\":%.4f,\"ci_low\":%.4f,\"ci_high\":%.4f}",
               diff->difference, diff->ci_low, diff->ci_high);
    else
        printf(",\"post_minus_pre\":null");
    json_terms(nps);
    printf("}\n");
}

/* ---- running ------------------------------------------------------------------- */

typedef struct nps_run {
    cvo_ctx *ctx;
    const parsed_args *args;
    const char *path;
    uint64_t min_group;
    int32_t delivery_days, transit_days;
    cvo_config *config; /* kept to the end: the orders' load reads its [orders] too */
} nps_run;

static int load_nps(nps_run *run, const cvo_customers *customers, const cvo_rfm *rfm,
                    const cvo_scheme *scheme, cvo_nps **nps)
{
    cvo_nps_options options;
    cvo_nps_options_init(&options);
    options.latest_day = cli_latest_day();
    options.path = run->path;
    options.column_map = args_get(run->args, specs, SPEC_COUNT, "map");
    options.customers = customers;
    options.rfm = rfm;
    options.scheme = scheme;
    options.min_group = run->min_group;
    options.delivery_days = run->delivery_days;
    options.transit_days = run->transit_days;
    const char *rejects_path = args_get(run->args, specs, SPEC_COUNT, "rejects");
    FILE *rejects = NULL;
    if (cli_nps_rejects_open(rejects_path, &options, &rejects) >= 0)
        return EXIT_SYSTEM;
    cvo_nps_stats stats;
    cvo_status status = cvo_nps_load(run->ctx, &options, nps, &stats);
    if (cli_nps_rejects_close(rejects_path, rejects) >= 0)
        return EXIT_SYSTEM;
    if (status != CVO_OK)
        return cli_fail(run->ctx, status);
    if (args_get(run->args, specs, SPEC_COUNT, "quiet") == NULL)
        cli_print_nps_summary(run->path, &stats);
    return stats.rejected ? EXIT_REJECTS : EXIT_OK;
}

static int emit(nps_run *run, const cvo_customers *customers, const cvo_rfm *rfm,
                const cvo_scheme *scheme)
{
    cvo_nps *nps = NULL;
    int code = load_nps(run, customers, rfm, scheme, &nps);
    if (code > EXIT_REJECTS) {
        cvo_nps_free(nps); /* loaded, but its rejects file could not be written */
        return code;
    }
    if (args_get(run->args, specs, SPEC_COUNT, "json"))
        print_json(nps);
    else
        print_text(nps, run->min_group);
    cvo_nps_free(nps);
    if (!cli_close_output(stdout, NULL))
        return EXIT_SYSTEM;
    return code;
}

static int read_min_group(nps_run *run)
{
    int code = cli_load_config(run->ctx, run->args, specs, SPEC_COUNT, &run->config);
    const cvo_config *config = run->config;
    if (code < 0) {
        run->min_group = (uint64_t)cvo_config_number(config, "nps", "min_group");
        run->delivery_days = (int32_t)cvo_config_number(config, "nps", "delivery_days");
        run->transit_days = (int32_t)cvo_config_number(config, "nps", "transit_days");
    }
    return code;
}

/* --map and --rejects are the responses' options: the orders loader must not see them. */
static int load_orders(nps_run *run, const char *orders, cvo_customers **customers,
                       cvo_load_stats *stats)
{
    parsed_args order_args = *run->args;
    for (size_t i = 0; i < SPEC_COUNT; i++)
        if (strcmp(specs[i].name, "map") == 0 || strcmp(specs[i].name, "rejects") == 0)
            order_args.values[i] = NULL;
    return cli_load_orders(run->ctx, &order_args, specs, SPEC_COUNT, orders, true, customers,
                           stats);
}

static int run_nps(nps_run *run, const char *orders)
{
    score_setup setup;
    cvo_customers *customers = NULL;
    cvo_rfm *rfm = NULL;
    cvo_load_stats stats;
    int load = read_min_group(run);
    if (load < 0)
        load = cli_score_setup(run->ctx, run->args, specs, SPEC_COUNT, &setup);
    else
        setup.scheme = NULL;
    if (load < 0)
        load = load_orders(run, orders, &customers, &stats);
    int code = load;
    if (load <= EXIT_REJECTS)
        code = cli_score(run->ctx, &setup, customers, &rfm);
    if (load <= EXIT_REJECTS && code == EXIT_OK)
        code = emit(run, customers, rfm, setup.scheme);
    if (code == EXIT_OK)
        code = load;
    cvo_rfm_free(rfm);
    cvo_customers_free(customers);
    cvo_scheme_free(setup.scheme);
    return code;
}

int cmd_nps(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args,
                         "cvo nps [OPTIONS] NPS --orders ORDERS",
                         "Net Promoter Score of the responses in NPS (email,score,submitted_at,\n"
                         "survey,comment; Delighted's export; others with --map), joined to the\n"
                         "customers of ORDERS by order_id or email: overall, by stage\n"
                         "(pre_delivery or post_delivery from the survey column, else the response\n"
                         "day against the joined order's delivery: delivered_at, fulfilled_at +\n"
                         "[nps] transit_days, or order day + [nps] delivery_days), by RFM segment,\n"
                         "country, month, product and category of the joined order, each with a\n"
                         "95% interval, and the frequent words and phrases of promoters, passives,\n"
                         "detractors and of each segment.");
    if (code >= 0)
        return code;
    const char *orders = args_get(&args, specs, SPEC_COUNT, "orders");
    if (args.positional_count != 1 || orders == NULL) {
        fprintf(stderr, "cvo: nps needs one NPS file and --orders ORDERS\n"
                        "Try 'cvo nps --help'.\n");
        return EXIT_USAGE;
    }
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    nps_run run = {ctx, &args, args.positional[0], 30, 5, 3, NULL};
    code = run_nps(&run, orders);
    cvo_config_free(run.config);
    cvo_ctx_free(ctx);
    return code;
}
