/* cmd_analyze.c - cvo analyze ORDERS -o DIR: the main job. Reads the store,
 * runs the analysis and writes the report, the customer table, the summary,
 * the Klaviyo files and the lists into DIR, each file published whole. */
#include "atomic.h"
#include "commands.h"
#include "history_run.h"
#include "push_gorgias.h"
#include "push_klaviyo.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const opt_spec specs[] = {
    {"output", 'o', "DIR", "directory for the report and the files (created if needed)"},
    {"config", 'c', "FILE", "configuration (INI); cvo config prints every key and default"},
    {"nps", 0, "FILE", "NPS answers (email,score,submitted_at,survey,comment[,order_id]): report, lists"},
    {"nps-rejects", 0, "FILE", "write rejected NPS answers (line,reason,detail,record) to FILE"},
    {"nps-map", 0, "FIELD=COL,..", "name the NPS columns, e.g. email=Email Address,score=Q1"},
    {"products", 0, "FILE", "product costs (sku,unit_cost,...) for lines without unit_cost"},
    {"xlsx", 0, NULL, "also write cvo.xlsx (customer table and a sheet per list)"},
    {"push", 0, "TARGETS", "after writing DIR send: klaviyo (CVO_KLAVIYO_API_KEY), gorgias "
                           "(CVO_GORGIAS_DOMAIN, _USER, _API_KEY), or klaviyo,gorgias"},
    {"dry-run", 0, NULL, "with --push: show what would be sent, send nothing"},
    {"fsync", 0, NULL, "make every file durable (fsync) before it gets its name"},
    {"db", 0, "FILE", "history database (SQLite): record a snapshot, show the segment migration"},
    {"as-of", 0, "DATE", "analyse the orders as they stood on DATE (orders before it)"},
    {"backfill", 0, "monthly", "with --db: first record a snapshot per month start of the history"},
    CLI_INPUT_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

enum { PHASES = 5 };

typedef struct job {
    cvo_ctx *ctx;
    const parsed_args *args;
    const char *dir;
    char klaviyo_dir[4200], bulk_dir[4300], lists_dir[4200];
    bool progress;
    int phase;
    bool sync;
    cvo_history *history;     /* --db, or NULL */
    cvo_migration *migration; /* from the last snapshot to this analysis, or NULL */
    cvo_customers *all;       /* with --as-of: the whole table the analysed one borrows from */
} job;

static void progress(job *j, const char *what)
{
    j->phase++;
    if (j->progress)
        fprintf(stderr, "\rcvo: [%3d%%] %-40s%s", 100 * (j->phase - 1) / PHASES, what,
                j->phase > PHASES ? "\n" : "");
}

typedef cvo_status (*writer_fn)(cvo_ctx *ctx, const cvo_analysis *a, FILE *out);

/* A writer's failure on f: "cvo: DIR/NAME: write error: reason". */
static void fail_writing(job *j, const atomic_file *f, cvo_status status)
{
    char path[sizeof f->dir + sizeof f->name + 2];
    snprintf(path, sizeof path, "%s/%s", f->dir, f->name);
    cli_fail_output(j->ctx, status, NULL, path);
}

static bool write_one(job *j, const char *dir, const char *name, const cvo_analysis *a,
                      writer_fn fn)
{
    atomic_file f;
    if (!atomic_open(&f, dir, name))
        return false;
    f.sync = j->sync;
    cvo_status status = fn(j->ctx, a, f.out);
    if (status != CVO_OK) {
        atomic_abort(&f);
        fail_writing(j, &f, status);
        return false;
    }
    return atomic_commit(&f);
}

/* The writers that show the migration (j->migration NULL: none). */
typedef cvo_status (*migration_writer_fn)(cvo_ctx *ctx, const cvo_analysis *a,
                                          const cvo_migration *m, FILE *out);

static bool write_with_migration(job *j, const char *dir, const char *name, const cvo_analysis *a,
                                 migration_writer_fn fn)
{
    atomic_file f;
    if (!atomic_open(&f, dir, name))
        return false;
    f.sync = j->sync;
    cvo_status status = fn(j->ctx, a, j->migration, f.out);
    if (status != CVO_OK) {
        atomic_abort(&f);
        fail_writing(j, &f, status);
        return false;
    }
    return atomic_commit(&f);
}

static bool write_list(job *j, const cvo_analysis *a, unsigned bit)
{
    char name[64];
    snprintf(name, sizeof name, "%s.csv", cvo_list_name(bit));
    atomic_file f;
    if (!atomic_open(&f, j->lists_dir, name))
        return false;
    f.sync = j->sync;
    cvo_status status = cvo_write_list(j->ctx, a, bit, f.out);
    if (status != CVO_OK) {
        atomic_abort(&f);
        fail_writing(j, &f, status);
        return false;
    }
    return atomic_commit(&f);
}

/* Bulk bodies: one atomic file each, named 0001.json, 0002.json, ... */
typedef struct bulk_sink {
    job *j;
    atomic_file file;
    bool reported; /* atomic_open or atomic_commit said what failed */
} bulk_sink;

static cvo_status bulk_open(void *user, size_t index, FILE **out)
{
    bulk_sink *s = user;
    char name[32];
    snprintf(name, sizeof name, "%04zu.json", index + 1);
    if (!atomic_open(&s->file, s->j->bulk_dir, name)) {
        s->reported = true;
        return CVO_ERR_WRITE;
    }
    s->file.sync = s->j->sync;
    *out = s->file.out;
    return CVO_OK;
}

static cvo_status bulk_close(void *user, size_t index, FILE *out)
{
    (void)index;
    (void)out;
    bulk_sink *s = user;
    s->reported = !atomic_commit(&s->file);
    return s->reported ? CVO_ERR_WRITE : CVO_OK;
}

/* Bodies of an earlier run beyond this run's count would be pushed too. */
static void remove_stale_bodies(const job *j, size_t jobs)
{
    for (size_t i = jobs + 1; i < 100000; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%04zu.json", j->bulk_dir, i);
        if (unlink(path) != 0)
            break;
    }
}

static bool write_klaviyo(job *j, const cvo_analysis *a)
{
    if (!write_with_migration(j, j->klaviyo_dir, "profiles.csv", a,
                              cvo_write_klaviyo_profiles_migration) ||
        !write_with_migration(j, j->klaviyo_dir, "events.jsonl", a,
                              cvo_write_klaviyo_events_migration))
        return false;
    bulk_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.j = j;
    size_t jobs = 0;
    cvo_status status = cvo_write_klaviyo_bulk_migration(j->ctx, a, j->migration, bulk_open,
                                                         bulk_close, &sink, &jobs);
    if (status != CVO_OK) {
        atomic_abort(&sink.file);
        if (!sink.reported)
            fail_writing(j, &sink.file, status);
    } else {
        remove_stale_bodies(j, jobs);
    }
    return status == CVO_OK;
}

/* Copies the built workbook into f; false after saying what failed. */
static bool copy_into(FILE *from, atomic_file *f)
{
    char buf[1 << 16];
    size_t n;
    errno = 0;
    while ((n = fread(buf, 1, sizeof buf, from)) > 0) {
        if (fwrite(buf, 1, n, f->out) != n) {
            fprintf(stderr, "cvo: %s/%s: write error: %s\n", f->dir, f->name, strerror(errno));
            return false;
        }
    }
    if (ferror(from))
        fprintf(stderr, "cvo: cvo.xlsx: cannot read the built workbook back: %s\n",
                strerror(errno));
    return !ferror(from);
}

/* libxlsxwriter writes to a path: build the workbook outside DIR, then
 * publish a copy atomically like every other file. */
static bool write_xlsx(job *j, const cvo_analysis *a)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[4200];
    snprintf(path, sizeof path, "%s/cvo-xlsx-XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "cvo: cannot create a temporary file in %s\n", tmpdir ? tmpdir : "/tmp");
        return false;
    }
    close(fd);
    cvo_status status = cvo_write_xlsx(j->ctx, a, path);
    FILE *built = status == CVO_OK ? fopen(path, "rb") : NULL;
    atomic_file f;
    bool ok = built != NULL && atomic_open(&f, j->dir, "cvo.xlsx");
    f.sync = j->sync;
    if (ok && !(ok = copy_into(built, &f)))
        atomic_abort(&f);
    else if (ok)
        ok = atomic_commit(&f);
    if (built != NULL)
        fclose(built);
    unlink(path);
    if (status != CVO_OK)
        cli_fail(j->ctx, status);
    return ok;
}

static bool make_dirs(job *j)
{
    snprintf(j->klaviyo_dir, sizeof j->klaviyo_dir, "%s/klaviyo", j->dir);
    snprintf(j->bulk_dir, sizeof j->bulk_dir, "%s/profile-bulk-import", j->klaviyo_dir);
    snprintf(j->lists_dir, sizeof j->lists_dir, "%s/lists", j->dir);
    return atomic_mkdirs(j->dir) && atomic_mkdirs(j->klaviyo_dir) && atomic_mkdirs(j->bulk_dir) &&
           atomic_mkdirs(j->lists_dir);
}

static const unsigned list_bits[] = {CVO_LIST_EXCLUDE, CVO_LIST_NO_DISCOUNT, CVO_LIST_WINBACK,
                                     CVO_LIST_VIP, CVO_LIST_REFERRAL, CVO_LIST_INTERVIEW};

static cvo_status tickets_writer(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return cvo_write_gorgias_tickets(ctx, a, cvo_analysis_nps(a), out);
}

/* gorgias/tickets.jsonl; sent.ledger beside it is the push's and stays. */
static bool write_tickets(job *j, const cvo_analysis *a)
{
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/gorgias", j->dir);
    return atomic_mkdirs(dir) && write_one(j, dir, "tickets.jsonl", a, tickets_writer);
}

/* The Klaviyo files (the largest) are written by a second thread with its own
 * context while the first writes the rest; the analysis is only read. */
typedef struct klaviyo_part {
    job j;
    const cvo_analysis *a;
    bool ok;
} klaviyo_part;

static void *write_klaviyo_part(void *arg)
{
    klaviyo_part *part = arg;
    part->ok = write_klaviyo(&part->j, part->a);
    return NULL;
}

static bool write_rest(job *j, const cvo_analysis *a)
{
    bool ok = write_one(j, j->dir, "customers.csv", a, cvo_write_customers_csv) &&
              write_one(j, j->dir, "summary.json", a, cvo_write_summary_json);
    for (size_t i = 0; ok && i < sizeof list_bits / sizeof *list_bits; i++)
        ok = write_list(j, a, list_bits[i]);
    ok = ok && write_one(j, j->lists_dir, "loyalty-tiers.csv", a, cvo_write_loyalty_tiers);
    if (ok && j->migration != NULL && cvo_migration_has_previous(j->migration))
        ok = write_with_migration(j, j->lists_dir, "movers.csv", a, cvo_write_movers);
    if (ok && cvo_analysis_nps(a) != NULL)
        ok = write_tickets(j, a);
    if (ok && args_get(j->args, specs, SPEC_COUNT, "xlsx"))
        ok = write_xlsx(j, a);
    return ok;
}

static int write_all(job *j, const cvo_analysis *a)
{
    if (!make_dirs(j))
        return EXIT_SYSTEM;
    klaviyo_part *part = malloc(sizeof *part);
    pthread_t thread;
    bool threaded = part != NULL && cvo_ctx_new(&part->j.ctx, NULL) == CVO_OK;
    if (threaded) {
        cvo_ctx *own = part->j.ctx;
        part->j = *j;
        part->j.ctx = own;
        part->a = a;
        part->ok = false;
        threaded = pthread_create(&thread, NULL, write_klaviyo_part, part) == 0;
        if (!threaded)
            cvo_ctx_free(own);
    }
    bool ok = write_rest(j, a);
    bool klaviyo_ok = threaded ? (pthread_join(thread, NULL), part->ok) : write_klaviyo(j, a);
    if (threaded)
        cvo_ctx_free(part->j.ctx);
    free(part);
    /* the report last: its presence says the run completed */
    ok = ok && klaviyo_ok &&
         write_with_migration(j, j->dir, "report.html", a, cvo_write_report_html_migration);
    return ok ? EXIT_OK : EXIT_SYSTEM;
}

static void print_done(const job *j, const cvo_analysis *a)
{
    const cvo_customer_result *r = cvo_analysis_results(a);
    size_t n = cvo_customers_count(cvo_analysis_customers(a)), counts[CVO_LIST_COUNT] = {0};
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < CVO_LIST_COUNT; b++)
            counts[b] += (r[i].lists >> b) & 1;
    fprintf(stderr, "cvo: %zu customers; lists: exclude %zu, no-discount %zu, winback %zu "
                    "(%zu due), vip %zu, referral %zu, interview %zu\n",
            n, counts[0], counts[1], counts[2], counts[6], counts[3], counts[4], counts[5]);
    if (!cvo_analysis_model_ok(a) || cvo_analysis_model_note(a)[0])
        fprintf(stderr, "cvo: note: %s\n", cvo_analysis_model_note(a));
    fprintf(stderr, "cvo: report: %s/report.html\n", j->dir);
}

/* ---- NPS answers: rejected ones reported like rejected orders ------------------ */

/* Runs the analysis, with the answers of --nps when given. Returns an exit
 * code: EXIT_REJECTS when answers were rejected and all else went well. */
static int analyze(job *j, const cvo_customers *customers, const cvo_load_stats *stats,
                   const cvo_config *config, cvo_analysis **a)
{
    const char *path = args_get(j->args, specs, SPEC_COUNT, "nps");
    const char *rejects_path = args_get(j->args, specs, SPEC_COUNT, "nps-rejects");
    cvo_nps_options options;
    cvo_nps_options_init(&options);
    options.latest_day = cli_latest_day();
    options.path = path;
    options.column_map = args_get(j->args, specs, SPEC_COUNT, "nps-map");
    FILE *rejects = NULL;
    if (cli_nps_rejects_open(path ? rejects_path : NULL, &options, &rejects) >= 0)
        return EXIT_SYSTEM;
    cvo_status status =
        cvo_analyze_nps(j->ctx, customers, stats, config, path ? &options : NULL, a);
    if (cli_nps_rejects_close(rejects_path, rejects) >= 0)
        return EXIT_SYSTEM;
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    const cvo_nps *nps = cvo_analysis_nps(*a);
    if (nps == NULL)
        return EXIT_OK;
    if (args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
        cli_print_nps_summary(path, cvo_nps_load_stats(nps));
    return cvo_nps_load_stats(nps)->rejected ? EXIT_REJECTS : EXIT_OK;
}

/* Whether the comma-separated --push list names target. */
static bool wants(const char *push, const char *target)
{
    size_t len = strlen(target);
    for (const char *p = push; p != NULL && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && strncmp(p, target, len) == 0)
            return true;
        p = comma ? comma + 1 : p + n;
    }
    return false;
}

static bool env_set(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0';
}

/* Bad --push targets and missing keys are found before the long run. */
static int check_push(const parsed_args *args, const char *push)
{
    if (push == NULL)
        return -1;
    bool klaviyo = wants(push, "klaviyo"), gorgias = wants(push, "gorgias");
    size_t named = (size_t)klaviyo + (size_t)gorgias, commas = 0;
    for (const char *p = push; *p; p++)
        commas += *p == ',';
    if (named == 0 || named != commas + 1) {
        fprintf(stderr, "cvo: --push takes klaviyo, gorgias or klaviyo,gorgias\n");
        return EXIT_USAGE;
    }
    if (args_get(args, specs, SPEC_COUNT, "dry-run") != NULL)
        return -1;
    if (klaviyo && !env_set("CVO_KLAVIYO_API_KEY")) {
        fprintf(stderr, "cvo: --push klaviyo needs the private API key in CVO_KLAVIYO_API_KEY\n");
        return EXIT_USAGE;
    }
    bool where = env_set("CVO_GORGIAS_DOMAIN") || env_set("CVO_GORGIAS_BASE_URL");
    if (gorgias && !(where && env_set("CVO_GORGIAS_USER") && env_set("CVO_GORGIAS_API_KEY"))) {
        fprintf(stderr, "cvo: --push gorgias needs CVO_GORGIAS_DOMAIN, CVO_GORGIAS_USER and "
                        "CVO_GORGIAS_API_KEY\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* --db, --backfill and --as-of before the analysis: the backfill reads the
 * whole table, then the table becomes the one as of --as-of. Returns -1 or an
 * exit code. */
static int history_before(job *j, cvo_customers **customers, const cvo_config *config)
{
    int32_t as_of = INT32_MIN;
    int code = history_parse_as_of(args_get(j->args, specs, SPEC_COUNT, "as-of"), &as_of);
    const char *db = args_get(j->args, specs, SPEC_COUNT, "db");
    bool quiet = args_get(j->args, specs, SPEC_COUNT, "quiet") != NULL;
    if (code < 0 && db != NULL)
        code = history_open(j->ctx, db, &j->history);
    if (code < 0 && args_get(j->args, specs, SPEC_COUNT, "backfill") != NULL) {
        int32_t end = as_of != INT32_MIN ? as_of : cvo_customers_last_day(*customers) + 1;
        code = history_backfill(j->ctx, j->history, *customers, config, end, quiet);
    }
    if (code < 0 && as_of != INT32_MIN)
        code = history_as_of(j->ctx, customers, as_of, &j->all);
    return code;
}

/* The migration from the latest earlier snapshot, for the writers. */
static int history_migration(job *j, const cvo_analysis *a)
{
    if (j->history == NULL)
        return EXIT_OK;
    cvo_status status = cvo_migration_from_analysis(j->history, a, &j->migration);
    return status == CVO_OK ? EXIT_OK : cli_fail(j->ctx, status);
}

static int run(job *j, const char *orders)
{
    cvo_config *config = NULL;
    int code = cli_load_config(j->ctx, j->args, specs, SPEC_COUNT, &config);
    cvo_customers *customers = NULL;
    cvo_load_stats stats;
    cvo_analysis *a = NULL;
    if (code < 0) {
        progress(j, "reading orders");
        code = cli_load_orders(j->ctx, j->args, specs, SPEC_COUNT, orders, true, &customers,
                               &stats);
    }
    int load = code;
    if (code <= EXIT_REJECTS) {
        int before = history_before(j, &customers, config);
        code = before >= 0 ? before : code;
    }
    if (code <= EXIT_REJECTS) {
        progress(j, "scoring and fitting models");
        code = analyze(j, customers, &stats, config, &a);
        if (code == EXIT_REJECTS)
            load = EXIT_REJECTS;
        if (code <= EXIT_REJECTS)
            code = EXIT_OK;
    }
    if (code == EXIT_OK)
        code = history_migration(j, a);
    if (code == EXIT_OK) {
        progress(j, "writing");
        code = write_all(j, a);
    }
    if (code == EXIT_OK && j->history != NULL) {
        int recorded = history_record(j->ctx, j->history, a,
                                      args_get(j->args, specs, SPEC_COUNT, "quiet") != NULL);
        code = recorded >= 0 ? recorded : EXIT_OK;
    }
    const char *push = args_get(j->args, specs, SPEC_COUNT, "push");
    bool dry = args_get(j->args, specs, SPEC_COUNT, "dry-run") != NULL;
    bool quiet = args_get(j->args, specs, SPEC_COUNT, "quiet") != NULL;
    if (code == EXIT_OK && wants(push, "klaviyo")) {
        progress(j, "pushing to Klaviyo");
        code = push_klaviyo(j->dir, cvo_config_text(config, "klaviyo", "revision"), dry, quiet);
    }
    if (code == EXIT_OK && wants(push, "gorgias")) {
        progress(j, "pushing to Gorgias");
        code = cvo_analysis_nps(a) != NULL ? push_gorgias(j->dir, dry, quiet) : EXIT_OK;
        if (cvo_analysis_nps(a) == NULL && !quiet)
            fprintf(stderr, "cvo: no --nps answers: no Gorgias tickets to send\n");
    }
    j->phase = PHASES;
    progress(j, code == EXIT_OK ? "done" : "failed");
    if (code == EXIT_OK && args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
        print_done(j, a);
    cvo_migration_free(j->migration);
    cvo_history_close(j->history);
    cvo_analysis_free(a);
    cvo_customers_free(customers);
    cvo_customers_free(j->all);
    cvo_config_free(config);
    return code == EXIT_OK ? load : code;
}

int cmd_analyze(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args, "cvo analyze ORDERS -o DIR [OPTIONS]",
                         "Scores and segments every customer, predicts with BG/NBD + Gamma-Gamma,\n"
                         "backtests on the last quarter of the history, and writes into DIR:\n"
                         "report.html, customers.csv, summary.json, klaviyo/ and lists/.");
    if (code >= 0)
        return code;
    const char *dir = args_get(&args, specs, SPEC_COUNT, "output");
    const char *push = args_get(&args, specs, SPEC_COUNT, "push");
    if (args.positional_count != 1 || dir == NULL) {
        fprintf(stderr, "cvo: analyze needs ORDERS and -o DIR\nTry 'cvo analyze --help'.\n");
        return EXIT_USAGE;
    }
    if ((code = check_push(&args, push)) >= 0)
        return code;
    const char *backfill = args_get(&args, specs, SPEC_COUNT, "backfill");
    if (backfill != NULL &&
        (strcmp(backfill, "monthly") != 0 || args_get(&args, specs, SPEC_COUNT, "db") == NULL)) {
        fprintf(stderr, "cvo: --backfill takes monthly and needs --db FILE\n");
        return EXIT_USAGE;
    }
    int32_t as_of = INT32_MIN; /* checked before the orders are read */
    if ((code = history_parse_as_of(args_get(&args, specs, SPEC_COUNT, "as-of"), &as_of)) >= 0)
        return code;
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    job j = {ctx, &args, dir, "", "", "", false, 0, false, NULL, NULL, NULL};
    j.sync = args_get(&args, specs, SPEC_COUNT, "fsync") != NULL;
    j.progress = isatty(STDERR_FILENO) && args_get(&args, specs, SPEC_COUNT, "quiet") == NULL;
    code = run(&j, args.positional[0]);
    cvo_ctx_free(ctx);
    return code;
}
