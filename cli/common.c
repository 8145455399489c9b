/* common.c - shared plumbing of the subcommands. Everything here talks to the
 * library through cvo.h only. */
#include "common.h"

#include "clock.h"
#include "progress_bar.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int cli_parse(int argc, char **argv, const opt_spec *specs, size_t count, parsed_args *out,
              const char *usage, const char *about)
{
    char err[256];
    if (!args_parse(argc, argv, specs, count, out, err, sizeof err)) {
        fprintf(stderr, "cvo: %s\nusage: %s\nTry 'cvo %s --help'.\n", err, usage, argv[0]);
        return EXIT_USAGE;
    }
    if (out->help) {
        printf("usage: %s\n\n%s\n\noptions:\n", usage, about);
        args_print_options(stdout, specs, count);
        return EXIT_OK;
    }
    return -1;
}

int cli_exit_for(cvo_status status)
{
    switch (status) {
    case CVO_OK: return EXIT_OK;
    case CVO_ERR_ARGUMENT: return EXIT_USAGE;
    case CVO_ERR_IO:
    case CVO_ERR_FORMAT:
    case CVO_ERR_EMPTY:
    case CVO_ERR_CONFIG:
    case CVO_ERR_LIMIT: return EXIT_INPUT;
    case CVO_ERR_NOMEM:
    case CVO_ERR_WRITE:
    case CVO_ERR_REMOTE:
    case CVO_ERR_INTERNAL: return EXIT_SYSTEM;
    case CVO_ERR_REFUSED: return EXIT_REFUSED;
    }
    return EXIT_SYSTEM;
}

int cli_fail(cvo_ctx *ctx, cvo_status status)
{
    const char *message = cvo_ctx_message(ctx);
    fprintf(stderr, "cvo: %s\n", message[0] ? message : cvo_strerror(status));
    return cli_exit_for(status);
}

/* A failed write on standard output already said so (once is enough);
 * stdout_errno: why it failed, seen when a command flushed it (a later flush
 * of the emptied buffer no longer knows). */
static bool stdout_reported;
static int stdout_errno;

static const char *output_name(FILE *out, const char *path)
{
    return out == stdout || path == NULL || strcmp(path, "-") == 0 ? "standard output" : path;
}

int cli_fail_output(cvo_ctx *ctx, cvo_status status, FILE *out, const char *path)
{
    if (status != CVO_ERR_WRITE)
        return cli_fail(ctx, status);
    const char *message = cvo_ctx_message(ctx);
    fprintf(stderr, "cvo: %s: %s\n", output_name(out, path),
            message[0] ? message : cvo_strerror(status));
    stdout_reported |= out == stdout;
    return cli_exit_for(status);
}

/* Flushes and closes out; the errno of the first failure, 0 when all went
 * well, -1 when an earlier write failed and its errno is gone. A stream that
 * was already closed (cvo ... >&-) and never written to is no failure. */
static int close_stream(FILE *out)
{
    errno = 0;
    int failure = fflush(out) != 0 ? (errno ? errno : -1) : 0;
    if (failure == 0 && ferror(out))
        failure = -1;
    if (fclose(out) != 0 && failure == 0 && errno != EBADF)
        failure = errno ? errno : -1;
    return failure;
}

static void report_write_error(const char *what, int failure)
{
    if (failure > 0)
        fprintf(stderr, "cvo: %s: write error: %s\n", what, strerror(failure));
    else
        fprintf(stderr, "cvo: %s: write error\n", what);
}

bool cli_close_output(FILE *out, const char *path)
{
    if (out == stdout) { /* main closes it and reports */
        errno = 0;
        if (fflush(stdout) != 0 && stdout_errno == 0)
            stdout_errno = errno;
        return !ferror(stdout);
    }
    int failure = close_stream(out);
    if (failure != 0)
        report_write_error(path, failure);
    return failure == 0;
}

int cli_close_stdout(int code)
{
    int failure = close_stream(stdout);
    if (failure == 0)
        return code;
    if (failure < 0 && stdout_errno > 0)
        failure = stdout_errno;
    if (!stdout_reported)
        report_write_error("standard output", failure);
    return code == EXIT_OK || code == EXIT_REJECTS ? EXIT_SYSTEM : code;
}

const char *cli_money_text(int64_t cents, char *buf)
{
    uint64_t magnitude = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    snprintf(buf, 24, "%s%" PRIu64 ".%02u", cents < 0 ? "-" : "", magnitude / 100,
             (unsigned)(magnitude % 100));
    return buf;
}

void cli_money(FILE *out, int64_t cents)
{
    char buf[24];
    fputs(cli_money_text(cents, buf), out);
}

void cli_csv_cell(FILE *out, const char *text)
{
    bool formula = strchr("=+-@\t\r", text[0]) != NULL && text[0] != '\0';
    bool quote = formula || strpbrk(text, ",\"\r\n") != NULL;
    if (!quote) {
        fputs(text, out);
        return;
    }
    putc('"', out);
    if (formula)
        putc('\'', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            putc('"', out);
        putc(*p, out);
    }
    putc('"', out);
}

/* ---- loading ------------------------------------------------------------- */

/* Where rejected records go: the --rejects file and the sample, either may be NULL. */
typedef struct reject_sink {
    FILE *out;
    cli_reject_sample *sample;
} reject_sink;

static cvo_status write_reject(void *user_data, const cvo_reject *r)
{
    reject_sink *sink = user_data;
    cli_reject_sample *s = sink->sample;
    if (s != NULL && s->count < CLI_REJECT_SAMPLE) {
        s->line[s->count] = r->line;
        snprintf(s->detail[s->count++], sizeof s->detail[0], "%s", r->detail);
    }
    FILE *out = sink->out;
    if (out == NULL)
        return CVO_OK;
    char *record = malloc(r->record_len + 1);
    if (record == NULL)
        return CVO_ERR_NOMEM;
    memcpy(record, r->record, r->record_len);
    record[r->record_len] = '\0';
    fprintf(out, "%" PRIu64 ",", r->line);
    cli_csv_cell(out, r->detail);
    putc(',', out);
    cli_csv_cell(out, record);
    putc('\n', out);
    free(record);
    return ferror(out) ? CVO_ERR_WRITE : CVO_OK;
}

/* The configuration of this run (cli_load_config), for the load's [orders]
 * and [model] currency settings; NULL when the command reads none. */
static const cvo_config *run_config;

static bool parse_int(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int32_t cli_latest_day(void)
{
    long long seconds = clock_unix();
    return (int32_t)((seconds >= 0 ? seconds : 0) / 86400) + 1;
}

static int load_options(const parsed_args *a, const opt_spec *s, size_t n, const char *path,
                        cvo_load_options *o)
{
    cvo_load_options_init(o);
    o->path = path;
    o->latest_day = cli_latest_day();
    const char *format = args_get(a, s, n, "format");
    if (format && !cvo_format_parse(format, &o->format)) {
        fprintf(stderr, "cvo: --format must be auto, generic, shopify, woocommerce, bigcommerce, "
                        "magento or cdnow\n");
        return EXIT_USAGE;
    }
    o->rates_path = args_get(a, s, n, "rates");
    if (run_config != NULL) {
        o->count_statuses = cvo_config_text(run_config, "orders", "count_statuses");
        o->skip_statuses = cvo_config_text(run_config, "orders", "skip_statuses");
        o->currency = cvo_config_text(run_config, "model", "currency");
    }
    o->column_map = args_get(a, s, n, "map");
    o->date_format = args_get(a, s, n, "date-format");
    o->decimal_comma = args_get(a, s, n, "decimal-comma") != NULL;
    o->cancel_prefix = args_get(a, s, n, "cancel-prefix");
    o->products_path = args_get(a, s, n, "products");
    const char *threads = args_get(a, s, n, "threads");
    long t = 0;
    if (threads && !parse_int(threads, 1, 8, &t)) {
        fprintf(stderr, "cvo: --threads must be 1..8\n");
        return EXIT_USAGE;
    }
    o->threads = (int)t;
    return -1;
}

static void print_reasons(const cvo_load_stats *st)
{
    const char *sep = " (";
    for (int i = 0; i < CVO_REJECT__COUNT; i++) {
        if (st->rejected_by_reason[i] == 0)
            continue;
        fprintf(stderr, "%s%" PRIu64 " %s", sep, st->rejected_by_reason[i],
                cvo_reject_reason_name((cvo_reject_reason)i));
        sep = ", ";
    }
    if (st->rejected)
        fputc(')', stderr);
}

/* "cvo: not counted by status: 2 pending (3 records), 1 on_hold (1 record)" */
static void print_statuses(const cvo_load_stats *st)
{
    if (st->status_kinds == 0)
        return;
    fputs("cvo: not counted by status:", stderr);
    for (uint32_t i = 0; i < st->status_kinds; i++) {
        const cvo_status_count *c = &st->not_counted_by_status[i];
        fprintf(stderr, "%s %" PRIu64 " %s (%" PRIu64 " record%s)", i ? "," : "", c->orders,
                c->status, c->records, c->records == 1 ? "" : "s");
    }
    fputs("; [orders] count_statuses says which count\n", stderr);
}

static void print_currency_source(const cvo_load_stats *st)
{
    switch (st->currency_source) {
    case CVO_CURRENCY_GIVEN: fprintf(stderr, "cvo: store currency %s ([model] currency)", st->currency); break;
    case CVO_CURRENCY_MAJORITY:
        fprintf(stderr,
                "cvo: store currency %s, the currency of most orders (%" PRIu64 " of %" PRIu64
                "; [model] currency sets it)",
                st->currency, st->currency_majority_orders, st->currency_scanned_orders);
        break;
    case CVO_CURRENCY_FIRST:
        fprintf(stderr, "cvo: store currency %s, the first order's (the input is read once; "
                        "[model] currency sets it)", st->currency);
        break;
    default: return;
    }
    fputc('\n', stderr);
}

/* Totals per currency, never added across currencies. */
static void print_currencies(const cvo_load_stats *st)
{
    print_currency_source(st);
    if (st->currency_count < 2 && (st->currency_count == 0 || st->currencies[0].rejected_orders == 0))
        return;
    char a[24], b[24];
    for (uint32_t i = 0; i < st->currency_count; i++) {
        const cvo_currency_total *t = &st->currencies[i];
        fprintf(stderr, "cvo:   %s: %" PRIu64 " orders, net %s %s", t->code[0] ? t->code : "other",
                t->orders, cli_money_text(t->net_cents, a), t->code);
        if (strcmp(t->code, st->currency) != 0 && t->orders > 0)
            fprintf(stderr, " = %s %s", cli_money_text(t->store_cents, b), st->currency);
        if (t->rejected_orders > 0)
            fprintf(stderr, "; %" PRIu64 " orders rejected (%s)", t->rejected_orders,
                    st->rejected_by_reason[CVO_REJECT_NO_RATE] ? "no rate on their date, or no --rates"
                                                               : "no --rates");
        fputc('\n', stderr);
    }
}

static void print_summary(const char *name, const cvo_load_stats *st, size_t customers)
{
    char money[24];
    if (st->format_detected)
        fprintf(stderr, "cvo: %s: %s export (detected from the header)\n", name,
                cvo_format_name(st->format));
    fprintf(stderr, "cvo: %s: %" PRIu64 " records: %" PRIu64 " used, ", name, st->records,
            st->used);
    if (st->not_counted)
        fprintf(stderr, "%" PRIu64 " not counted, ", st->not_counted);
    fprintf(stderr, "%" PRIu64 " rejected", st->rejected);
    print_reasons(st);
    fprintf(stderr, "\ncvo: %" PRIu64 " orders; not counted: %" PRIu64 " cancelled, %" PRIu64
                    " fully refunded, %" PRIu64 " returns only; %" PRIu64 " return lines (%s)\n",
            st->orders, st->cancelled_orders, st->refunded_orders, st->return_orders,
            st->return_lines, cli_money_text(st->returns_cents, money));
    fprintf(stderr, "cvo: %zu customers; %" PRIu64 " joined by email; %" PRIu64
                    " duplicates; %" PRIu64 " text fields with invalid UTF-8 repaired\n",
            customers, st->joined_by_email, st->duplicates, st->repaired_fields);
    print_statuses(st);
    print_currencies(st);
    if (st->no_amounts)
        fputs("cvo: no amount column: a count-only event log; the count models run, the spend "
              "model and money figures are skipped\n", stderr);
}

int cli_load(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
             const char *path, cvo_customers **out, cvo_load_stats *stats)
{
    return cli_load_orders(ctx, args, specs, count, path, false, out, stats);
}

int cli_load_orders(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                    const char *path, bool keep_orders, cvo_customers **out,
                    cvo_load_stats *stats)
{
    return cli_load_orders_sampled(ctx, args, specs, count, path, keep_orders, out, stats, NULL);
}

int cli_load_orders_sampled(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs,
                            size_t count, const char *path, bool keep_orders, cvo_customers **out,
                            cvo_load_stats *stats, cli_reject_sample *sample)
{
    cvo_load_options options;
    int code = load_options(args, specs, count, path, &options);
    if (code >= 0)
        return code;
    options.keep_orders = keep_orders;
    const char *rejects_path = args_get(args, specs, count, "rejects");
    reject_sink sink = {NULL, sample};
    if (rejects_path != NULL) {
        sink.out = fopen(rejects_path, "w");
        if (sink.out == NULL) {
            fprintf(stderr, "cvo: %s: cannot write: %s\n", rejects_path, strerror(errno));
            return EXIT_SYSTEM;
        }
        fputs("line,reason,record\n", sink.out);
    }
    if (sink.out != NULL || sample != NULL) {
        options.on_reject = write_reject;
        options.reject_user_data = &sink;
    }
    progress_bar bar;
    bool quiet = args_get(args, specs, count, "quiet") != NULL;
    bar_start(&bar, strcmp(path, "-") == 0 ? "<stdin>" : path, quiet);
    if (bar.active) {
        options.on_progress = bar_update;
        options.progress_user_data = &bar;
    }
    cvo_status status = cvo_orders_load(ctx, &options, out, stats);
    bar_end(&bar);
    if (sink.out != NULL && !cli_close_output(sink.out, rejects_path))
        return EXIT_SYSTEM;
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (!quiet)
        print_summary(strcmp(path, "-") == 0 ? "<stdin>" : path, stats, cvo_customers_count(*out));
    return stats->rejected ? EXIT_REJECTS : EXIT_OK;
}

/* ---- scoring ------------------------------------------------------------- */

static int parse_ties(const char *ties, const char *cuts_path, cvo_ties *out)
{
    if (ties == NULL)
        ties = cuts_path ? "fixed" : "equal";
    if (strcmp(ties, "equal") == 0 && cuts_path == NULL)
        *out = CVO_TIES_EQUAL;
    else if (strcmp(ties, "ntile") == 0 && cuts_path == NULL)
        *out = CVO_TIES_NTILE;
    else if (strcmp(ties, "fixed") == 0 && cuts_path != NULL)
        *out = CVO_TIES_FIXED;
    else {
        fprintf(stderr, "cvo: --ties must be equal or ntile, or fixed together with --cuts FILE\n");
        return EXIT_USAGE;
    }
    return -1;
}

static int rfm_options(cvo_ctx *ctx, const parsed_args *a, const opt_spec *s, size_t n,
                       cvo_rfm_options *o, cvo_cuts *cuts)
{
    cvo_rfm_options_init(o);
    const char *as_of = args_get(a, s, n, "as-of");
    if (as_of && !cvo_day_parse(as_of, &o->as_of_day)) {
        fprintf(stderr, "cvo: --as-of must be a date like 2025-12-31\n");
        return EXIT_USAGE;
    }
    const char *levels = args_get(a, s, n, "levels");
    long lv = 5;
    if (levels && !parse_int(levels, CVO_MIN_LEVELS, CVO_MAX_LEVELS, &lv)) {
        fprintf(stderr, "cvo: --levels must be 3, 4 or 5\n");
        return EXIT_USAGE;
    }
    o->levels = (int)lv;
    const char *cuts_path = args_get(a, s, n, "cuts");
    int code = parse_ties(args_get(a, s, n, "ties"), cuts_path, &o->ties);
    if (code >= 0 || o->ties != CVO_TIES_FIXED)
        return code;
    cvo_status status = cvo_cuts_load(ctx, cuts_path, cuts);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (levels != NULL && cuts->levels != o->levels) {
        fprintf(stderr, "cvo: --levels %ld but %s has %d levels\n", lv, cuts_path, cuts->levels);
        return EXIT_USAGE;
    }
    o->cuts = cuts;
    o->levels = cuts->levels;
    return -1;
}

int cli_score_setup(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                    score_setup *setup)
{
    setup->scheme = NULL;
    int code = rfm_options(ctx, args, specs, count, &setup->options, &setup->cuts);
    if (code >= 0)
        return code;
    if (setup->options.ties == CVO_TIES_FIXED)
        setup->options.cuts = &setup->cuts;
    const char *map = args_get(args, specs, count, "segment-map");
    const char *name = args_get(args, specs, count, "scheme");
    if (name != NULL && strcmp(name, "klaviyo") == 0 && args_get(args, specs, count, "levels") == NULL &&
        setup->options.ties != CVO_TIES_FIXED)
        setup->options.levels = 3; /* Klaviyo's groups are defined on 1-3 scores */
    cvo_status status = map ? cvo_scheme_load(ctx, map, setup->options.levels, &setup->scheme)
                            : cvo_scheme_builtin(ctx, name ? name : "relationship",
                                                 setup->options.levels, &setup->scheme);
    return status == CVO_OK ? -1 : cli_fail(ctx, status);
}

int cli_score(cvo_ctx *ctx, score_setup *setup, const cvo_customers *customers, cvo_rfm **rfm)
{
    cvo_status status = cvo_rfm_new(ctx, customers, &setup->options, setup->scheme, rfm);
    return status == CVO_OK ? EXIT_OK : cli_fail(ctx, status);
}

bool cli_parse_double(const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !(v >= min && v <= max))
        return false;
    *out = v;
    return true;
}

/* -1 when there is exactly one ORDERS argument, else EXIT_USAGE (said why). */
static int one_orders_argument(const parsed_args *args, const char *command)
{
    if (args->positional_count == 1)
        return -1;
    fprintf(stderr, "cvo: %s needs one ORDERS file (or -)\nTry 'cvo %s --help'.\n", command,
            command);
    return EXIT_USAGE;
}

int cli_run_scored(const parsed_args *args, const opt_spec *specs, size_t count,
                   const char *command, scored_fn emit)
{
    if (one_orders_argument(args, command) >= 0)
        return EXIT_USAGE;
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    cvo_customers *customers = NULL;
    cvo_rfm *rfm = NULL;
    cvo_load_stats stats;
    score_setup setup;
    int load = cli_score_setup(ctx, args, specs, count, &setup);
    if (load < 0)
        load = cli_load(ctx, args, specs, count, args->positional[0], &customers, &stats);
    int code = load;
    setup.options.no_monetary = load <= EXIT_REJECTS && stats.no_amounts;
    if (load <= EXIT_REJECTS)
        code = cli_score(ctx, &setup, customers, &rfm);
    if (load <= EXIT_REJECTS && code == EXIT_OK)
        code = emit(ctx, args, customers, rfm, setup.scheme);
    if (code == EXIT_OK)
        code = load;
    cvo_rfm_free(rfm);
    cvo_scheme_free(setup.scheme);
    cvo_customers_free(customers);
    cvo_ctx_free(ctx);
    return code;
}

/* A file is there to be read unless looking for it says it is not; any other
 * failure (a folder on the way without access) is left to the load to say. */
static bool config_present(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

/* The configuration found without --config: ./cvo.ini, then
 * $XDG_CONFIG_HOME/cvo/config.ini (XDG_CONFIG_HOME unset, empty or relative:
 * $HOME/.config, as the XDG base directory specification says). NULL: none. */
static const char *config_found(char *buf, size_t cap)
{
    if (config_present("cvo.ini"))
        return "./cvo.ini";
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(buf, cap, "%s/cvo/config.ini", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(buf, cap, "%s/.config/cvo/config.ini", home);
    else
        return NULL;
    return n > 0 && (size_t)n < cap && config_present(buf) ? buf : NULL;
}

int cli_load_config(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs, size_t count,
                    cvo_config **config)
{
    cvo_status status = cvo_config_new(ctx, config);
    const char *path = args_get(args, specs, count, "config");
    char found[4096];
    bool implicit = path == NULL;
    if (implicit)
        path = config_found(found, sizeof found);
    if (status == CVO_OK && path != NULL)
        status = cvo_config_load(*config, path);
    run_config = status == CVO_OK ? *config : NULL;
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (implicit && path != NULL && args_get(args, specs, count, "quiet") == NULL)
        fprintf(stderr, "cvo: configuration from %s\n", path);
    return -1;
}

int cli_load_config_and_orders(cvo_ctx *ctx, const parsed_args *args, const opt_spec *specs,
                               size_t count, cvo_config **config, cvo_customers **customers,
                               cvo_load_stats *stats)
{
    int code = cli_load_config(ctx, args, specs, count, config);
    return code >= 0 ? code
                     : cli_load_orders(ctx, args, specs, count, args->positional[0], true,
                                       customers, stats);
}

int cli_run_orders_job(const parsed_args *args, const char *command, orders_job_fn job)
{
    if (one_orders_argument(args, command) >= 0)
        return EXIT_USAGE;
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    int code = job(ctx, args);
    cvo_ctx_free(ctx);
    return code;
}

void cli_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

int cli_nps_rejects_open(const char *path, cvo_nps_options *options, FILE **out)
{
    *out = path ? fopen(path, "w") : NULL;
    if (path != NULL && *out == NULL) {
        fprintf(stderr, "cvo: %s: cannot write: %s\n", path, strerror(errno));
        return EXIT_SYSTEM;
    }
    if (*out != NULL) {
        fputs("line,reason,detail,record\n", *out);
        options->on_reject = cli_write_nps_reject;
        options->reject_user_data = *out;
    }
    return -1;
}

int cli_nps_rejects_close(const char *path, FILE *rejects)
{
    return rejects == NULL || cli_close_output(rejects, path) ? -1 : EXIT_SYSTEM;
}

void cli_print_nps_summary(const char *path, const cvo_nps_stats *st)
{
    fprintf(stderr, "cvo: %s: %" PRIu64 " responses: %" PRIu64 " used, %" PRIu64 " rejected",
            strcmp(path, "-") == 0 ? "<stdin>" : path, st->records, st->used, st->rejected);
    const char *sep = " (";
    for (int k = 0; k < CVO_NPS_REJECT__COUNT; k++) {
        if (st->rejected_by_reason[k] == 0)
            continue;
        fprintf(stderr, "%s%" PRIu64 " %s", sep, st->rejected_by_reason[k],
                cvo_nps_reject_reason_name((cvo_nps_reject_reason)k));
        sep = ", ";
    }
    fputs(st->rejected ? ")" : "", stderr);
    if (st->later > 0)
        fprintf(stderr, ", %" PRIu64 " given on or after the as-of date (left out)", st->later);
    fprintf(stderr, "\ncvo: %" PRIu64 " joined to a customer, %" PRIu64 " to an order (%" PRIu64
                    " by order_id); stage from the survey column %" PRIu64 ", inferred %" PRIu64
                    "\n",
            st->joined_customers, st->joined_orders, st->joined_by_order_id,
            st->stage_from_survey, st->stage_inferred);
}

/* One rejected NPS answer as a CSV line: line,reason,detail,record. */
cvo_status cli_write_nps_reject(void *user_data, const cvo_nps_reject *r)
{
    FILE *out = user_data;
    fprintf(out, "%" PRIu64 ",%s,", r->line, cvo_nps_reject_reason_name(r->reason));
    cli_csv_cell(out, r->detail);
    fputc(',', out);
    char *record = malloc(r->record_len + 1);
    if (record == NULL)
        return CVO_ERR_NOMEM;
    memcpy(record, r->record, r->record_len);
    record[r->record_len] = '\0';
    cli_csv_cell(out, record);
    free(record);
    fputc('\n', out);
    return ferror(out) ? CVO_ERR_IO : CVO_OK;
}
