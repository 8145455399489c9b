/* cmd_history.c - cvo history --db FILE: the snapshots recorded by cvo analyze
 * --db, and with --migration the matrix of segment then x segment now between
 * two of them (table, CSV or JSON). */
#include "commands.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const opt_spec specs[] = {
    {"db", 0, "FILE", "history database written by cvo analyze --db (required)"},
    {"migration", 0, NULL, "print the segment migration between two snapshots"},
    {"from", 0, "DATE", "with --migration: the earlier snapshot (default: the one before --to)"},
    {"to", 0, "DATE", "with --migration: the later snapshot (default: the latest)"},
    {"csv", 0, NULL, "print CSV instead of a table"},
    {"json", 0, NULL, "print JSON instead of a table"},
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

typedef enum style { STYLE_TABLE, STYLE_CSV, STYLE_JSON } style;

static void created_text(int64_t unix_seconds, char out[32])
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "-");
}

/* ---- the list ------------------------------------------------------------------- */

static void list_row(style how, const cvo_snapshot_info *s, size_t i)
{
    char as_of[11], revenue[24], created[32];
    cvo_day_format(s->as_of_day, as_of);
    cli_money_text(s->revenue_cents, revenue);
    created_text(s->created_unix, created);
    if (how == STYLE_CSV)
        printf("%s,%" PRIu64 ",%s,%s,%s\n", as_of, s->customers, revenue, created, s->version);
    else if (how == STYLE_JSON)
        printf("%s{\"as_of\":\"%s\",\"customers\":%" PRIu64 ",\"revenue\":%s,\"created_at\":"
               "\"%s\",\"cvo_version\":\"%s\"}",
               i ? "," : "", as_of, s->customers, revenue, created, s->version);
    else
        printf("%-10s %10" PRIu64 " %15s  %-20s %s\n", as_of, s->customers, revenue, created,
               s->version);
}

static int print_list(cvo_ctx *ctx, cvo_history *h, style how)
{
    const cvo_snapshot_info *list = NULL;
    size_t n = 0;
    cvo_status status = cvo_history_snapshots(h, &list, &n);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (how == STYLE_CSV)
        printf("as_of,customers,revenue,created_at,cvo_version\n");
    else if (how == STYLE_JSON)
        printf("{\"snapshots\":[");
    else
        printf("%-10s %10s %15s  %-20s %s\n", "as_of", "customers", "revenue", "created_at",
               "version");
    for (size_t i = 0; i < n; i++)
        list_row(how, &list[i], i);
    if (how == STYLE_JSON)
        printf("]}\n");
    else if (how == STYLE_TABLE && n == 0)
        printf("(no snapshots yet: cvo analyze ORDERS -o DIR --db FILE records one)\n");
    return EXIT_OK;
}

/* ---- the migration ---------------------------------------------------------------- */

/* Segments holding anyone then or now, into used; returns their count. */
static size_t used_segments(const cvo_migration *m, size_t *used)
{
    size_t k = 0;
    for (size_t g = 0; g < cvo_migration_segment_count(m); g++)
        if (cvo_migration_segment_used(m, g))
            used[k++] = g;
    return k;
}

static void print_totals_table(const cvo_migration *m)
{
    const cvo_migration_totals *t = cvo_migration_overall(m);
    char from[11], to[11];
    cvo_day_format(cvo_migration_from_day(m), from);
    cvo_day_format(cvo_migration_to_day(m), to);
    printf("migration from %s to %s\n", from, to);
    printf("in both %" PRIu64 ", new %" PRIu64 ", gone %" PRIu64 "; changed segment %" PRIu64
           ", R dropped %" PRIu64 ", entered top %" PRIu64 ", left top %" PRIu64 "\n\n",
           t->in_both, t->new_customers, t->gone_customers, t->changed_segment, t->r_dropped,
           t->entered_top, t->left_top);
    printf("customers: rows = segment on %s, columns = segment on %s\n", from, to);
}

static void print_matrix(const cvo_migration *m, const size_t *used, size_t k)
{
    print_totals_table(m);
    printf("%-24s", "");
    for (size_t j = 0; j < k; j++)
        printf(" %6zu", j + 1);
    printf(" %8s\n", "total");
    for (size_t i = 0; i < k; i++) {
        uint64_t total = 0;
        printf("%2zu %-21.21s", i + 1, cvo_migration_segment_name(m, used[i]));
        for (size_t j = 0; j < k; j++) {
            uint64_t n = cvo_migration_cell_at(m, used[i], used[j])->customers;
            total += n;
            printf(" %6" PRIu64, n);
        }
        printf(" %8" PRIu64 "\n", total);
    }
}

/* The cells holding anyone, one per line (CSV) or object (JSON). */
static void print_cells(const cvo_migration *m, const size_t *used, size_t k, style how)
{
    char revenue[24];
    bool first = true;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            const cvo_migration_cell *c = cvo_migration_cell_at(m, used[i], used[j]);
            if (c->customers == 0)
                continue;
            cli_money_text(c->revenue_cents, revenue);
            if (how == STYLE_CSV) {
                cli_csv_cell(stdout, cvo_migration_segment_name(m, used[i]));
                putchar(',');
                cli_csv_cell(stdout, cvo_migration_segment_name(m, used[j]));
                printf(",%" PRIu64 ",%s\n", c->customers, revenue);
                continue;
            }
            printf("%s{\"from_segment\":", first ? "" : ",");
            cli_json_string(cvo_migration_segment_name(m, used[i]));
            printf(",\"to_segment\":");
            cli_json_string(cvo_migration_segment_name(m, used[j]));
            printf(",\"customers\":%" PRIu64 ",\"revenue\":%s}", c->customers, revenue);
            first = false;
        }
}

static void print_json_migration(const cvo_migration *m, const size_t *used, size_t k)
{
    const cvo_migration_totals *t = cvo_migration_overall(m);
    char from[11], to[11];
    cvo_day_format(cvo_migration_from_day(m), from);
    cvo_day_format(cvo_migration_to_day(m), to);
    printf("{\"from\":\"%s\",\"to\":\"%s\",\"in_both\":%" PRIu64 ",\"new\":%" PRIu64
           ",\"gone\":%" PRIu64 ",\"changed_segment\":%" PRIu64 ",\"r_dropped\":%" PRIu64
           ",\"entered_top\":%" PRIu64 ",\"left_top\":%" PRIu64 ",\"cells\":[",
           from, to, t->in_both, t->new_customers, t->gone_customers, t->changed_segment,
           t->r_dropped, t->entered_top, t->left_top);
    print_cells(m, used, k, STYLE_JSON);
    printf("]}\n");
}

static int day_option(const parsed_args *args, const char *name, int32_t *day)
{
    const char *text = args_get(args, specs, SPEC_COUNT, name);
    *day = INT32_MIN;
    if (text != NULL && !cvo_day_parse(text, day)) {
        fprintf(stderr, "cvo: --%s must be a date like 2025-12-31\n", name);
        return EXIT_USAGE;
    }
    return -1;
}

static int print_migration(cvo_ctx *ctx, cvo_history *h, const parsed_args *args, style how)
{
    int32_t from = INT32_MIN, to = INT32_MIN;
    int code = day_option(args, "from", &from);
    if (code < 0)
        code = day_option(args, "to", &to);
    if (code >= 0)
        return code;
    cvo_migration *m = NULL;
    cvo_status status = cvo_migration_between(h, from, to, &m);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    size_t n = cvo_migration_segment_count(m);
    size_t *used = malloc((n ? n : 1) * sizeof *used);
    if (used == NULL) {
        cvo_migration_free(m);
        return EXIT_SYSTEM;
    }
    size_t k = used_segments(m, used);
    if (how == STYLE_CSV) {
        printf("from_segment,to_segment,customers,revenue\n");
        print_cells(m, used, k, STYLE_CSV);
    } else if (how == STYLE_JSON) {
        print_json_migration(m, used, k);
    } else {
        print_matrix(m, used, k);
    }
    free(used);
    cvo_migration_free(m);
    return EXIT_OK;
}

static int run(cvo_ctx *ctx, const parsed_args *args, const char *path)
{
    style how = args_get(args, specs, SPEC_COUNT, "json")  ? STYLE_JSON
                : args_get(args, specs, SPEC_COUNT, "csv") ? STYLE_CSV
                                                           : STYLE_TABLE;
    cvo_history *h = NULL;
    cvo_status status = cvo_history_open(ctx, path, &h);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    int code = args_get(args, specs, SPEC_COUNT, "migration") ? print_migration(ctx, h, args, how)
                                                              : print_list(ctx, h, how);
    cvo_history_close(h);
    if (code == EXIT_OK && !cli_close_output(stdout, NULL))
        code = EXIT_SYSTEM;
    return code;
}

int cmd_history(int argc, char **argv)
{
    parsed_args args;
    int code =
        cli_parse(argc, argv, specs, SPEC_COUNT, &args,
                  "cvo history --db FILE [--migration [--from DATE] [--to DATE]]",
                  "Lists the snapshots recorded by cvo analyze --db (as-of date, customers,\n"
                  "revenue, when recorded); with --migration prints how customers moved\n"
                  "between two snapshots: segment then x segment now.");
    if (code >= 0)
        return code;
    const char *path = args_get(&args, specs, SPEC_COUNT, "db");
    if (path == NULL || args.positional_count != 0) {
        fprintf(stderr, "cvo: history needs --db FILE and no other argument\n"
                        "Try 'cvo history --help'.\n");
        return EXIT_USAGE;
    }
    bool dates =
        args_get(&args, specs, SPEC_COUNT, "from") || args_get(&args, specs, SPEC_COUNT, "to");
    if (dates && !args_get(&args, specs, SPEC_COUNT, "migration")) {
        fprintf(stderr, "cvo: --from and --to go with --migration\n");
        return EXIT_USAGE;
    }
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    code = run(ctx, &args, path);
    cvo_ctx_free(ctx);
    return code;
}
