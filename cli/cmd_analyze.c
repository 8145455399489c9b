/* cmd_analyze.c - cvo analyze ORDERS -o DIR: the main job. Takes DIR's lock,
 * reads the store, refuses a run that fails a safety check, analyses it,
 * writes every output into a new run directory, publishes it as DIR with its
 * history in step (cvo_outdir, cvo_history runs), then pushes. */
#include "atomic.h"
#include "clock.h"
#include "commands.h"
#include "history_run.h"
#include "push.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const opt_spec specs[] = {
    {"output", 'o', "DIR", "directory for the report and the files (created if needed)"},
    {"config", 'c', "FILE", "configuration (INI); cvo config prints every key and default"},
    {"nps", 0, "FILE",
     "NPS answers (email,score,submitted_at,survey,comment[,order_id]): report, lists"},
    {"nps-rejects", 0, "FILE", "write rejected NPS answers (line,reason,detail,record) to FILE"},
    {"nps-map", 0, "FIELD=COL,..", "name the NPS columns, e.g. email=Email Address,score=Q1"},
    {"products", 0, "FILE", "product costs (sku,unit_cost,...) for lines without unit_cost"},
    {"xlsx", 0, NULL, "also write cvo.xlsx (customer table and a sheet per list)"},
    {"push", 0, "TARGETS",
     "after writing DIR send: klaviyo (CVO_KLAVIYO_API_KEY), gorgias "
     "(CVO_GORGIAS_DOMAIN, _USER, _API_KEY), or klaviyo,gorgias"},
    {"dry-run", 0, NULL, "with --push: show what would be sent, send nothing"},
    {"fsync", 0, NULL, "make every file and directory durable (fsync) before the switch"},
    {"db", 0, "FILE",
     "history database (SQLite): record a snapshot, show the segment migration, "
     "keep the experiments ([holdout])"},
    {"as-of", 0, "DATE", "analyse the orders as they stood on DATE (orders before it)"},
    {"backfill", 0, "monthly", "with --db: first record a snapshot per month start of the history"},
    {"max-rejects", 0, "N|P%",
     "refuse the run (exit 5, nothing written or pushed) above N (or P%) "
     "rejected records; at or below it rejects do not fail the run"},
    {"force", 0, NULL, "accept a run the drop guard ([safety] max_drop) would refuse"},
    {"model", 'm', "NAME", "purchase model: bgnbd (default), mbgnbd, pnbd, or auto: chosen by holdout"},
    CLI_INPUT_OPTIONS,
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

enum { PHASES = 5 };

typedef struct job {
    cvo_ctx *ctx;
    const parsed_args *args;
    const char *dir;     /* this run's directory: every file is written there */
    const char *out_arg; /* -o as given, for messages */
    char klaviyo_dir[4200], bulk_dir[4300], lists_dir[4200];
    bool progress;
    int phase;
    bool sync;
    cvo_outdir *outdir;
    cvo_history *history;     /* --db, or NULL */
    cvo_history *state;       /* runs and ledgers: the --db, else the output's state.db */
    cvo_history *own_state;   /* state when opened here (no --db) */
    cvo_migration *migration; /* from the last snapshot to this analysis, or NULL */
    cvo_customers *all;       /* with --as-of: the whole table the analysed one borrows from */
    cvo_customers *loaded;    /* with forgotten customers: the table the kept one borrows from */
    cli_reject_sample sample; /* the first rejected records, for a refusal */
    cvo_run_summary summary;
    double started; /* monotonic seconds */
    int64_t started_unix;
    char reason[1200];            /* why refused or failed, for the summary */
    cvo_id_key id_key;            /* of the keyed identifiers in the Klaviyo and Gorgias files */
    cvo_experiments *experiments; /* with --db: the run's experiments (holdouts), or NULL */
    cvo_experiment_results *results; /* with --db: the history's experiments measured */
    bool pushed_rejects;          /* a Klaviyo job finished with failed profiles */
    bool published;               /* DIR shows this run */
} job;

/* What the Klaviyo and Gorgias writers are given. Customers without consent
 * leave the Klaviyo files through their result's left_out, forgotten ones the
 * table before the analysis: leave_out stays NULL. */
static cvo_export_options export_options(const job *j)
{
    cvo_export_options o;
    cvo_export_options_init(&o);
    o.migration = j->migration;
    o.id_key = &j->id_key;
    return o;
}

static void progress(job *j, const char *what)
{
    j->phase++;
    if (j->progress)
        fprintf(stderr, "\rcvo: [%3d%%] %-40s%s", 100 * (j->phase - 1) / PHASES, what,
                j->phase > PHASES ? "\n" : "");
}

typedef cvo_status (*writer_fn)(cvo_ctx *ctx, const cvo_analysis *a, FILE *out);
/* The writers that show the migration (j->migration NULL: none). */
typedef cvo_status (*migration_writer_fn)(cvo_ctx *ctx, const cvo_analysis *a,
                                          const cvo_migration *m, FILE *out);
/* The Klaviyo and Gorgias writers, which take export_options. */
typedef cvo_status (*export_writer_fn)(cvo_ctx *ctx, const cvo_analysis *a,
                                       const cvo_export_options *o, FILE *out);

/* A writer's failure on f: "cvo: DIR/NAME: write error: reason". */
static void fail_writing(job *j, const atomic_file *f, cvo_status status)
{
    char path[sizeof f->dir + sizeof f->name + 2];
    snprintf(path, sizeof path, "%s/%s", f->dir, f->name);
    cli_fail_output(j->ctx, status, NULL, path);
}

/* One of the three kinds of writer (the others NULL). */
typedef struct writer {
    writer_fn plain;
    migration_writer_fn migration;
    export_writer_fn export;
} writer;

static cvo_status run_writer(job *j, const writer *w, const cvo_analysis *a, FILE *out)
{
    if (w->plain != NULL)
        return w->plain(j->ctx, a, out);
    if (w->migration != NULL)
        return w->migration(j->ctx, a, j->migration, out);
    cvo_export_options o = export_options(j);
    return w->export(j->ctx, a, &o, out);
}

static bool write_file(job *j, const char *dir, const char *name, const cvo_analysis *a, writer w)
{
    atomic_file f;
    if (!atomic_open(&f, dir, name))
        return false;
    f.sync = j->sync;
    cvo_status status = run_writer(j, &w, a, f.out);
    if (status != CVO_OK) {
        atomic_abort(&f);
        fail_writing(j, &f, status);
        return false;
    }
    return atomic_commit(&f);
}

static bool write_one(job *j, const char *dir, const char *name, const cvo_analysis *a,
                      writer_fn fn)
{
    return write_file(j, dir, name, a, (writer){fn, NULL, NULL});
}

static bool write_with_migration(job *j, const char *dir, const char *name, const cvo_analysis *a,
                                 migration_writer_fn fn)
{
    return write_file(j, dir, name, a, (writer){NULL, fn, NULL});
}

static bool write_export(job *j, const char *dir, const char *name, const cvo_analysis *a,
                         export_writer_fn fn)
{
    return write_file(j, dir, name, a, (writer){NULL, NULL, fn});
}

/* lists/<list>.csv, or with held_out lists/<list>.holdout.csv. */
static bool write_list(job *j, const cvo_analysis *a, unsigned bit, bool held_out)
{
    char name[64];
    snprintf(name, sizeof name, "%s%s.csv", cvo_list_name(bit), held_out ? ".holdout" : "");
    atomic_file f;
    if (!atomic_open(&f, j->lists_dir, name))
        return false;
    f.sync = j->sync;
    cvo_status status = held_out ? cvo_write_list_holdout(j->ctx, a, bit, f.out)
                                 : cvo_write_list(j->ctx, a, bit, f.out);
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

static bool write_klaviyo(job *j, const cvo_analysis *a)
{
    if (!write_export(j, j->klaviyo_dir, "profiles.csv", a, cvo_write_klaviyo_profiles_with) ||
        !write_export(j, j->klaviyo_dir, "events.jsonl", a, cvo_write_klaviyo_events_with) ||
        !write_export(j, j->klaviyo_dir, "withdrawn.jsonl", a, cvo_write_klaviyo_withdrawn))
        return false;
    bulk_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.j = j;
    size_t jobs = 0;
    cvo_export_options o = export_options(j);
    cvo_status status =
        cvo_write_klaviyo_bulk_with(j->ctx, a, &o, bulk_open, bulk_close, &sink, &jobs);
    if (status != CVO_OK) {
        atomic_abort(&sink.file);
        if (!sink.reported)
            fail_writing(j, &sink.file, status);
    }
    return status == CVO_OK;
}

/* libxlsxwriter writes to a path: straight into the run directory, which
 * nobody sees before it is published whole. */
static bool write_xlsx(job *j, const cvo_analysis *a)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cvo.xlsx", j->dir);
    cvo_status status = cvo_write_xlsx(j->ctx, a, path);
    if (status != CVO_OK)
        cli_fail_output(j->ctx, status, NULL, path);
    return status == CVO_OK;
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
                                     CVO_LIST_VIP,     CVO_LIST_REFERRAL,    CVO_LIST_INTERVIEW};

static cvo_status tickets_writer(cvo_ctx *ctx, const cvo_analysis *a, const cvo_export_options *o,
                                 FILE *out)
{
    return cvo_write_gorgias_tickets_with(ctx, a, cvo_analysis_nps(a), o, out);
}

/* gorgias/tickets.jsonl; the push's ledger is in the state database. */
static bool write_tickets(job *j, const cvo_analysis *a)
{
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/gorgias", j->dir);
    return atomic_mkdirs(dir) && write_export(j, dir, "tickets.jsonl", a, tickets_writer);
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

/* summary.json with the run summary as it stands. */
static bool write_summary(job *j, const char *dir, const cvo_analysis *a)
{
    atomic_file f;
    if (!atomic_open(&f, dir, "summary.json"))
        return false;
    f.sync = j->sync;
    j->summary.duration_s = clock_seconds() - j->started;
    cvo_run_summary run = j->summary;
    if (run.status == NULL) { /* before the run has ended: what it will say unless it fails */
        bool rejects = (run.rejected > 0 || run.nps_rejected > 0) &&
                       args_get(j->args, specs, SPEC_COUNT, "max-rejects") == NULL;
        run.status = rejects ? "rejects" : "ok";
        run.exit_code = rejects ? EXIT_REJECTS : EXIT_OK;
    }
    cvo_status status = cvo_write_summary_json_run(j->ctx, a, &run, f.out);
    if (status != CVO_OK) {
        atomic_abort(&f);
        fail_writing(j, &f, status);
        return false;
    }
    return atomic_commit(&f);
}

static bool write_rest(job *j, const cvo_analysis *a)
{
    bool ok = write_one(j, j->dir, "customers.csv", a, cvo_write_customers_csv) &&
              write_summary(j, j->dir, a);
    for (size_t i = 0; ok && i < sizeof list_bits / sizeof *list_bits; i++)
        ok = write_list(j, a, list_bits[i], false);
    const cvo_experiments *e = cvo_analysis_experiments(a);
    for (size_t k = 0; ok && k < cvo_experiments_count(e); k++)
        ok = write_list(j, a, cvo_experiments_at(e, k)->info.list_bit, true);
    ok = ok && write_one(j, j->lists_dir, "loyalty-tiers.csv", a, cvo_write_loyalty_tiers);
    if (ok && j->migration != NULL && cvo_migration_has_previous(j->migration))
        ok = write_with_migration(j, j->lists_dir, "movers.csv", a, cvo_write_movers);
    if (ok && cvo_analysis_nps(a) != NULL)
        ok = write_tickets(j, a);
    if (ok && args_get(j->args, specs, SPEC_COUNT, "xlsx"))
        ok = write_xlsx(j, a);
    return ok;
}

/* report.html, with the migration and, with --db, the trend of the last runs. */
static bool write_report(job *j, const cvo_analysis *a)
{
    cvo_report_options options;
    cvo_report_options_init(&options);
    options.migration = j->migration;
    cvo_trend *trend = NULL;
    cvo_status status = j->history ? cvo_history_trend(j->history, 12, &trend) : CVO_OK;
    options.trend = trend;
    atomic_file f;
    bool ok = status == CVO_OK && atomic_open(&f, j->dir, "report.html");
    if (ok) {
        f.sync = j->sync;
        status = cvo_write_report_html_options(j->ctx, a, &options, f.out);
        if (status != CVO_OK)
            atomic_abort(&f);
        ok = status == CVO_OK && atomic_commit(&f);
    }
    if (status != CVO_OK) {
        char path[4400];
        snprintf(path, sizeof path, "%s/report.html", j->dir);
        cli_fail_output(j->ctx, status, NULL, path);
    }
    cvo_trend_free(trend);
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
    ok = ok && klaviyo_ok && write_report(j, a);
    return ok ? EXIT_OK : EXIT_SYSTEM;
}

/* One line per experiment: how many of the list are held out this run. */
static void print_held_out(const cvo_experiments *e)
{
    for (size_t k = 0; k < cvo_experiments_count(e); k++) {
        const cvo_experiment_arms *x = cvo_experiments_at(e, k);
        fprintf(stderr,
                "cvo: experiment %s%s: %" PRIu64 " of %" PRIu64 " held out (share %g), %" PRIu64
                " new members\n",
                x->info.id, x->starts ? " (starts)" : "", x->holdout, x->holdout + x->treatment,
                x->info.share, x->entered);
    }
}

static void print_done(const job *j, const cvo_analysis *a)
{
    const cvo_customer_result *r = cvo_analysis_results(a);
    size_t n = cvo_customers_count(cvo_analysis_customers(a)), counts[CVO_LIST_COUNT] = {0};
    size_t left_out = 0;
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < CVO_LIST_COUNT; b++)
            counts[b] += (r[i].lists >> b) & 1;
        left_out += r[i].left_out;
    }
    fprintf(stderr,
            "cvo: %zu customers; lists: exclude %zu, no-discount %zu, winback %zu "
            "(%zu due), vip %zu, referral %zu, interview %zu\n",
            n, counts[0], counts[1], counts[2], counts[6], counts[3], counts[4], counts[5]);
    print_held_out(cvo_analysis_experiments(a));
    if (left_out > 0)
        fprintf(stderr,
                "cvo: %zu customers without marketing consent left out of the lists and "
                "the Klaviyo files ([klaviyo] push_without_consent)\n",
                left_out);
    if (!cvo_analysis_model_ok(a) || cvo_analysis_model_note(a)[0])
        fprintf(stderr, "cvo: note: %s\n", cvo_analysis_model_note(a));
    const cvo_backtest *bt = cvo_analysis_backtest(a);
    if (bt != NULL && bt->season_note[0])
        fprintf(stderr,
                "cvo: backtest: %.0f repeat purchases in the holdout, the model predicted %.0f. "
                "%s\n",
                bt->actual_total, bt->model_total, bt->season_note);
    fprintf(stderr, "cvo: report: %s/report.html\n", j->out_arg);
}

/* ---- NPS answers: rejected ones reported like rejected orders ------------------ */

/* Runs the analysis, with the answers of --nps when given (their counts go in
 * the run summary). -1 to go on, or an exit code. */
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
        return -1;
    if (args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
        cli_print_nps_summary(path, cvo_nps_load_stats(nps));
    j->summary.nps_records = cvo_nps_load_stats(nps)->records;
    j->summary.nps_rejected = cvo_nps_load_stats(nps)->rejected;
    return -1;
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
    bool quiet = args_get(j->args, specs, SPEC_COUNT, "quiet") != NULL;
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
        return -1;
    cvo_status status = cvo_migration_from_analysis(j->history, a, &j->migration);
    return status == CVO_OK ? -1 : cli_fail(j->ctx, status);
}

/* ---- refusing a run: the lock, --max-rejects, the drop guard ------------------------ */

/* Prints why the run is refused, keeps it for the summary; EXIT_REFUSED. */
static int refuse(job *j, const char *why)
{
    snprintf(j->reason, sizeof j->reason, "%s", why);
    j->summary.status = "refused";
    fprintf(stderr,
            "cvo: refused: %s\ncvo: nothing was written or pushed; the outputs of the "
            "last run remain\n",
            why);
    return EXIT_REFUSED;
}

/* --max-rejects N or P%: *limit the count or the percentage. */
static int parse_max_rejects(const char *text, double *limit, bool *percent)
{
    size_t len = text ? strlen(text) : 0;
    *percent = len > 0 && text[len - 1] == '%';
    char number[32];
    if (len == 0 || len >= sizeof number)
        return EXIT_USAGE;
    snprintf(number, sizeof number, "%.*s", (int)(len - *percent), text);
    bool ok = *percent
                  ? cli_parse_double(number, 0, 100, limit)
                  : cli_parse_double(number, 0, 1e18, limit) && *limit == (double)(uint64_t)*limit;
    if (!ok) {
        fprintf(stderr, "cvo: --max-rejects takes a count (10) or a percentage (2.5%%)\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* Refuses when what (orders, NPS answers) of path has more rejects than
 * --max-rejects, naming the first (sample, NULL: none kept) by file and line. */
static int check_rejects(job *j, const char *path, const char *what, uint64_t records,
                         uint64_t rejected, const cli_reject_sample *sample)
{
    const char *text = args_get(j->args, specs, SPEC_COUNT, "max-rejects");
    double limit = 0;
    bool percent = false;
    if (text == NULL || parse_max_rejects(text, &limit, &percent) >= 0)
        return -1;
    double share = records ? 100.0 * (double)rejected / (double)records : 0;
    if (percent ? share <= limit : (double)rejected <= limit)
        return -1;
    char why[1024];
    int n = snprintf(why, sizeof why,
                     "%" PRIu64 " of %" PRIu64 " %s of %s rejected (%.1f%%), more than "
                     "--max-rejects %s",
                     rejected, records, what, strcmp(path, "-") ? path : "<stdin>", share, text);
    for (size_t i = 0; sample != NULL && i < sample->count && n > 0 && (size_t)n < sizeof why; i++)
        n += snprintf(why + n, sizeof why - (size_t)n, "%s%s:%" PRIu64 ": %s",
                      i == 0 ? "; first: " : "; ", strcmp(path, "-") ? path : "<stdin>",
                      sample->line[i], sample->detail[i]);
    return refuse(j, why);
}

static void run_totals(const cvo_analysis *a, cvo_run_summary *s)
{
    const cvo_customers *c = cvo_analysis_customers(a);
    s->customers = cvo_customers_count(c);
    s->orders = 0;
    s->revenue_cents = 0;
    for (size_t i = 0; i < s->customers; i++) {
        s->orders += cvo_customers_at(c, i)->orders;
        s->revenue_cents += cvo_customers_at(c, i)->net_revenue_cents;
    }
    s->as_of_day = cvo_analysis_as_of(a);
    s->no_amounts = cvo_analysis_load_stats(a)->no_amounts;
}

static cvo_run_record run_record(const job *j)
{
    const cvo_run_summary *s = &j->summary;
    return (cvo_run_record){cvo_outdir_run_id(j->outdir),
                            cvo_outdir_link_path(j->outdir),
                            cvo_outdir_run_path(j->outdir),
                            cvo_outdir_lock_path(j->outdir),
                            j->started_unix,
                            s->as_of_day,
                            s->records,
                            s->rejected,
                            s->customers,
                            s->orders,
                            s->revenue_cents};
}

/* Refuses a run whose customers, orders or revenue fell too far since the last. */
static int drop_guard(job *j, const cvo_config *config)
{
    if (args_get(j->args, specs, SPEC_COUNT, "force") != NULL)
        return -1;
    cvo_run_record now = run_record(j);
    cvo_status status = cvo_history_drop_check(j->state, now.output, &now,
                                               cvo_config_number(config, "safety", "max_drop"));
    if (status == CVO_ERR_REFUSED) {
        char why[1100];
        snprintf(why, sizeof why, "%s; --force accepts it", cvo_ctx_message(j->ctx));
        return refuse(j, why);
    }
    return status == CVO_OK ? -1 : cli_fail(j->ctx, status);
}

/* ---- the output directory and the state database --------------------------------------- */

/* Whether path lies inside dir (both existing; dir itself counts). */
static bool inside(const char *path, const char *dir)
{
    char real_dir[PATH_MAX], real_parent[PATH_MAX], parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash == NULL)
        snprintf(parent, sizeof parent, ".");
    else
        *(slash == parent ? slash + 1 : slash) = '\0';
    if (realpath(dir, real_dir) == NULL || realpath(parent, real_parent) == NULL)
        return false;
    size_t n = strlen(real_dir);
    return strncmp(real_parent, real_dir, n) == 0 &&
           (real_parent[n] == '\0' || real_parent[n] == '/');
}

static int open_output(job *j, const cvo_config *config)
{
    const char *db_path = args_get(j->args, specs, SPEC_COUNT, "db");
    if (db_path != NULL && inside(db_path, j->out_arg)) {
        fprintf(stderr,
                "cvo: --db %s lies inside the output directory %s, which every run "
                "replaces as a whole: keep the history beside it\n",
                db_path, j->out_arg);
        return EXIT_USAGE;
    }
    cvo_status status = cvo_outdir_open(j->ctx, j->out_arg, j->started_unix, &j->outdir);
    if (status == CVO_ERR_REFUSED)
        return refuse(j, cvo_ctx_message(j->ctx));
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    j->dir = cvo_outdir_run_path(j->outdir);
    j->summary.run_id = cvo_outdir_run_id(j->outdir);
    const char *db = args_get(j->args, specs, SPEC_COUNT, "db");
    int code = history_open(j->ctx, db ? db : cvo_outdir_state_path(j->outdir), &j->state);
    if (code >= 0)
        return code;
    if (db != NULL)
        j->history = j->state;
    else
        j->own_state = j->state;
    /* we hold the lock: a pending run of this output died, settle it */
    status = cvo_history_reconcile(j->state, cvo_outdir_link_path(j->outdir));
    if (status == CVO_OK) /* the key of the identifiers in the Klaviyo and Gorgias files */
        status = cvo_id_key_load(j->ctx, j->state, config, &j->id_key);
    return status == CVO_OK ? -1 : cli_fail(j->ctx, status);
}

/* CVO_TEST_PAUSE=STAGE:SECONDS sleeps at a stage of the publication, saying
 * so on stderr (for the crash tests): written, pending, published. */
static void test_pause(const char *stage)
{
    const char *spec = getenv("CVO_TEST_PAUSE");
    size_t n = strlen(stage);
    double seconds = 0;
    if (spec == NULL || strncmp(spec, stage, n) != 0 || spec[n] != ':' ||
        !cli_parse_double(spec + n + 1, 0, 3600, &seconds))
        return;
    fprintf(stderr, "cvo: pause at %s\n", stage);
    fflush(stderr);
    clock_sleep(seconds);
}

/* Records the run (with its snapshot under --db) as pending, switches DIR to
 * it, commits it. A crash anywhere leaves the last run's outputs with its
 * history, or this run's with its own: the next open settles a pending run. */
static int publish(job *j, const cvo_analysis *a)
{
    test_pause("written");
    double seconds = 0;
    cvo_history_record_options options = history_record_options(j->started_unix, &seconds);
    cvo_run_record run = run_record(j);
    cvo_status status = cvo_history_begin_run(j->state, &run, j->history ? a : NULL, &options);
    if (status == CVO_OK) {
        test_pause("pending");
        status = cvo_outdir_publish(j->outdir, j->sync);
    }
    if (status == CVO_OK) {
        j->published = true;
        test_pause("published");
        status = cvo_history_commit_run(j->state, run.run_id);
    }
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    const char *moved = cvo_outdir_replaced_directory(j->outdir);
    if (moved != NULL)
        fprintf(stderr,
                "cvo: note: %s was a directory; from now on it is a link to each run's "
                "outputs, and what it held is in %s\n",
                j->out_arg, moved);
    if (j->history != NULL && args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL) {
        char date[11];
        cvo_day_format(cvo_analysis_as_of(a), date);
        fprintf(stderr, "cvo: history: snapshot as of %s recorded\n", date);
    }
    return -1;
}

/* ---- the run ------------------------------------------------------------------------------ */

/* The run summary, final: in summary.json of the published run, stored with
 * the run, and as the last line on stderr (unless quiet). Returns the code,
 * EXIT_SYSTEM when summary.json cannot be written. */
static int finish_summary(job *j, int code, const cvo_analysis *a)
{
    cvo_run_summary *s = &j->summary;
    s->exit_code = code;
    if (s->status == NULL)
        s->status = code == EXIT_OK ? "ok" : code == EXIT_REJECTS ? "rejects" : "failed";
    if (code > EXIT_REJECTS && j->reason[0] == '\0')
        snprintf(j->reason, sizeof j->reason, "%s", cvo_ctx_message(j->ctx));
    s->reason = j->reason;
    if (j->published && a != NULL && !write_summary(j, j->out_arg, a)) {
        s->exit_code = code = EXIT_SYSTEM;
        s->status = "failed";
    }
    s->duration_s = clock_seconds() - j->started;
    char *line = NULL;
    size_t len = 0;
    FILE *mem = j->published ? open_memstream(&line, &len) : NULL;
    if (mem != NULL && cvo_write_run_summary(j->ctx, s, mem) == CVO_OK && fclose(mem) == 0) {
        line[len ? len - 1 : 0] = '\0';
        if (cvo_history_set_run_summary(j->state, s->run_id, line) != CVO_OK)
            fprintf(stderr, "cvo: %s\n", cvo_ctx_message(j->ctx));
    } else if (mem != NULL) {
        fclose(mem);
    }
    free(line);
    if (args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
        (void)!cvo_write_run_summary(j->ctx, s, stderr); /* stderr gone: nobody to tell */
    return code;
}

/* Customers erased with cvo forget never come back: they are taken out of the
 * table before anything is computed. -1 to go on, or an exit code. */
static int leave_out_forgotten(job *j, cvo_customers **customers)
{
    size_t n = cvo_customers_count(*customers), dropped = 0;
    bool *drop = calloc(n ? n : 1, sizeof *drop);
    if (drop == NULL)
        return EXIT_SYSTEM;
    cvo_status status = cvo_history_forgotten(j->state, &j->id_key, *customers, drop, &dropped);
    cvo_customers *kept = NULL;
    if (status == CVO_OK && dropped > 0)
        status = cvo_customers_without(j->ctx, *customers, drop, &kept);
    free(drop);
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    if (dropped == 0)
        return -1;
    j->loaded = *customers;
    *customers = kept;
    if (args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
        fprintf(stderr, "cvo: %zu forgotten customers left out (cvo forget)\n", dropped);
    return -1;
}

/* The Gorgias ledger of cvo 0.1.0, kept in DIR/gorgias/sent.ledger, goes into
 * the state database once, so no answer it ticketed gets a second ticket. */
static int import_old_ledger(job *j, const cvo_customers *customers)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/gorgias/sent.ledger", cvo_outdir_link_path(j->outdir));
    size_t imported = 0;
    cvo_status status =
        cvo_gorgias_import_ledger(j->ctx, j->state, &j->id_key, customers, path, &imported);
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    if (imported > 0 && args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
        fprintf(stderr, "cvo: gorgias: %zu tickets of %s taken into the state database\n", imported,
                path);
    return -1;
}

/* Reads and analyses; -1 to go on, or an exit code. *load gets the load's code. */
static int read_and_analyze(job *j, const char *orders, const cvo_config *config,
                            cvo_customers **customers, cvo_analysis **a, int *load)
{
    cvo_load_stats stats;
    memset(&stats, 0, sizeof stats);
    progress(j, "reading orders");
    int code = cli_load_orders_sampled(j->ctx, j->args, specs, SPEC_COUNT, orders, true, customers,
                                       &stats, &j->sample);
    *load = code;
    j->summary.records = stats.records;
    j->summary.used = stats.used;
    j->summary.not_counted = stats.not_counted;
    j->summary.rejected = stats.rejected;
    if (code > EXIT_REJECTS)
        return code;
    code = check_rejects(j, orders, "records", stats.records, stats.rejected, &j->sample);
    if (code < 0)
        code = leave_out_forgotten(j, customers);
    if (code < 0)
        code = import_old_ledger(j, *customers);
    if (code < 0)
        code = history_before(j, customers, config);
    if (code < 0) {
        progress(j, "scoring and fitting models");
        code = analyze(j, *customers, &stats, config, a);
    }
    if (code < 0 && j->summary.nps_rejected > 0)
        code = check_rejects(j, args_get(j->args, specs, SPEC_COUNT, "nps"), "NPS answers",
                             j->summary.nps_records, j->summary.nps_rejected, NULL);
    if (code < 0)
        run_totals(*a, &j->summary);
    return code;
}

/* ---- experiments: holdouts ------------------------------------------------------------------ */

static const char no_db_message[] =
    "cvo: [holdout] share needs --db: an experiment keeps its members and their entry dates in "
    "the history database\n";

/* Whether the configuration holds a list out (a share above 0). */
static bool holdout_wanted(const cvo_config *config)
{
    static const unsigned lists[] = {CVO_LIST_NO_DISCOUNT, CVO_LIST_WINBACK, CVO_LIST_VIP,
                                     CVO_LIST_REFERRAL};
    for (size_t k = 0; k < sizeof lists / sizeof *lists; k++)
        if (cvo_holdout_share(config, lists[k]) > 0)
            return true;
    return false;
}

/* With --db: the run's experiments, their arms drawn and the holdouts taken
 * out of the lists before anything is written. -1 to go on, or an exit code. */
static int hold_out(job *j, const cvo_config *config, cvo_analysis *a)
{
    if (j->history == NULL)
        return -1;
    cvo_status status =
        cvo_history_experiments_prepare(j->history, config, cvo_analysis_as_of(a), &j->experiments);
    if (status == CVO_OK)
        status = cvo_analysis_hold_out(a, j->experiments, &j->id_key);
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    const char *note = cvo_experiments_note(j->experiments);
    if (note[0] && args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
        for (const char *line = note; *line;) {
            const char *end = strchr(line, '\n');
            fprintf(stderr, "cvo: note: %.*s\n", (int)(end - line), line);
            line = end + 1;
        }
    return -1;
}

/* With --db: the experiments of the history measured on this run's orders, for
 * the report and summary.json. A measurement that cannot be made (the orders
 * end before an experiment, its members are not in them) is a note: the run's
 * lists do not depend on it. -1 to go on, or an exit code. */
static int measure_experiments(job *j, const cvo_config *config, const cvo_customers *customers,
                               cvo_analysis *a)
{
    if (j->history == NULL)
        return -1;
    cvo_status status = cvo_experiments_measure(j->ctx, j->history, customers, config,
                                                cvo_analysis_as_of(a), &j->results);
    if (status == CVO_ERR_EMPTY)
        return -1;
    if (status == CVO_ERR_FORMAT) {
        if (args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
            fprintf(stderr, "cvo: note: experiments not measured: %s\n",
                    cvo_ctx_message(j->ctx));
        return -1;
    }
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    cvo_analysis_set_experiment_results(a, j->results);
    return -1;
}

/* ---- pushing ------------------------------------------------------------------------------ */

/* --push, after the run is published: Klaviyo first, then Gorgias, from the
 * published files; summary.json and the run summary then say what was sent.
 * Returns -1 to go on, or an exit code (EXIT_REJECTS: a Klaviyo job lost
 * profiles). */
static int push_targets(job *j, const cvo_analysis *a, const cvo_config *config)
{
    const char *push = args_get(j->args, specs, SPEC_COUNT, "push");
    if (push == NULL)
        return -1;
    push_setup setup = {
        .dir = j->out_arg, .config = config, .state = j->state, .id_key = &j->id_key};
    setup.as_of_day = cvo_analysis_as_of(a);
    setup.dry_run = args_get(j->args, specs, SPEC_COUNT, "dry-run") != NULL;
    setup.quiet = args_get(j->args, specs, SPEC_COUNT, "quiet") != NULL;
    cvo_push_result sent;
    memset(&sent, 0, sizeof sent);
    int code = EXIT_OK;
    if (wants(push, "klaviyo")) {
        progress(j, "pushing to Klaviyo");
        code = push_klaviyo(j->ctx, &setup, &sent);
    }
    if (code <= EXIT_REJECTS && wants(push, "gorgias")) {
        progress(j, "pushing to Gorgias");
        int gorgias = cvo_analysis_nps(a) != NULL ? push_gorgias(j->ctx, &setup, &sent) : EXIT_OK;
        code = gorgias > code ? gorgias : code;
        if (cvo_analysis_nps(a) == NULL && !setup.quiet)
            fprintf(stderr, "cvo: no --nps answers: no Gorgias tickets to send\n");
    }
    j->summary.pushed = sent.profiles + sent.events_sent + sent.tickets_sent;
    j->summary.skipped = sent.events_skipped + sent.tickets_skipped + sent.tickets_held;
    if (code == EXIT_REJECTS)
        j->pushed_rejects = true;
    return code <= EXIT_REJECTS ? -1 : code;
}

static int run(job *j, const char *orders)
{
    cvo_config *config = NULL;
    cvo_customers *customers = NULL;
    cvo_analysis *a = NULL;
    int load = EXIT_OK;
    int code = cli_load_config(j->ctx, j->args, specs, SPEC_COUNT, &config);
    const char *model = args_get(j->args, specs, SPEC_COUNT, "model");
    if (code < 0 && model != NULL &&
        cvo_config_set(config, "model", "purchase_model", model) != CVO_OK)
        code = cli_fail(j->ctx, CVO_ERR_CONFIG);
    if (code < 0 && holdout_wanted(config) && args_get(j->args, specs, SPEC_COUNT, "db") == NULL) {
        fputs(no_db_message, stderr);
        code = EXIT_USAGE;
    }
    if (code < 0)
        code = open_output(j, config);
    if (code < 0)
        code = read_and_analyze(j, orders, config, &customers, &a, &load);
    if (code < 0)
        code = drop_guard(j, config);
    if (code < 0)
        code = hold_out(j, config, a);
    if (code < 0)
        code = measure_experiments(j, config, customers, a);
    if (code < 0)
        code = history_migration(j, a);
    if (code < 0) {
        progress(j, "writing");
        code = write_all(j, a) == EXIT_OK ? -1 : EXIT_SYSTEM;
    }
    if (code < 0)
        code = publish(j, a);
    if (code < 0)
        code = push_targets(j, a, config);
    bool rejects_fail = load == EXIT_REJECTS || j->summary.nps_rejected > 0;
    if (args_get(j->args, specs, SPEC_COUNT, "max-rejects") != NULL)
        rejects_fail = false; /* under the limit: a success for cron */
    if (code < 0)
        code = rejects_fail || j->pushed_rejects ? EXIT_REJECTS : EXIT_OK;
    j->phase = PHASES;
    progress(j, code <= EXIT_REJECTS ? "done" : "failed");
    if (code <= EXIT_REJECTS && args_get(j->args, specs, SPEC_COUNT, "quiet") == NULL)
        print_done(j, a);
    code = finish_summary(j, code, a);
    cvo_migration_free(j->migration);
    cvo_history_close(j->own_state);
    cvo_history_close(j->history);
    cvo_outdir_free(j->outdir);
    cvo_analysis_free(a);
    cvo_experiments_free(j->experiments);
    cvo_experiment_results_free(j->results);
    cvo_customers_free(customers);
    cvo_customers_free(j->all);
    cvo_customers_free(j->loaded);
    cvo_config_free(config);
    return code;
}

int cmd_analyze(int argc, char **argv)
{
    parsed_args args;
    int code =
        cli_parse(argc, argv, specs, SPEC_COUNT, &args, "cvo analyze ORDERS -o DIR [OPTIONS]",
                  "Scores and segments every customer, predicts with BG/NBD + Gamma-Gamma,\n"
                  "backtests on the last quarter of the history, and writes into DIR:\n"
                  "report.html, customers.csv, summary.json, klaviyo/ and lists/.\n"
                  "DIR appears whole or not at all: a symbolic link to the run's directory\n"
                  "(.NAME.cvo/runs/ beside it), switched when every file is written.");
    if (code >= 0)
        return code;
    const char *dir = args_get(&args, specs, SPEC_COUNT, "output");
    const char *push_targets = args_get(&args, specs, SPEC_COUNT, "push");
    if (args.positional_count != 1 || dir == NULL) {
        fprintf(stderr, "cvo: analyze needs ORDERS and -o DIR\nTry 'cvo analyze --help'.\n");
        return EXIT_USAGE;
    }
    if ((code = check_push(&args, push_targets)) >= 0)
        return code;
    const char *backfill = args_get(&args, specs, SPEC_COUNT, "backfill");
    if (backfill != NULL &&
        (strcmp(backfill, "monthly") != 0 || args_get(&args, specs, SPEC_COUNT, "db") == NULL)) {
        fprintf(stderr, "cvo: --backfill takes monthly and needs --db FILE\n");
        return EXIT_USAGE;
    }
    double limit = 0;
    bool percent = false;
    const char *max_rejects = args_get(&args, specs, SPEC_COUNT, "max-rejects");
    if (max_rejects != NULL && (code = parse_max_rejects(max_rejects, &limit, &percent)) >= 0)
        return code;
    int32_t as_of = INT32_MIN; /* checked before the orders are read */
    if ((code = history_parse_as_of(args_get(&args, specs, SPEC_COUNT, "as-of"), &as_of)) >= 0)
        return code;
    cvo_ctx *ctx = NULL;
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    job j;
    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    j.args = &args;
    j.out_arg = dir;
    j.summary.as_of_day = INT32_MIN;
    j.started = clock_seconds();
    j.started_unix = clock_unix();
    j.sync = args_get(&args, specs, SPEC_COUNT, "fsync") != NULL;
    j.progress = isatty(STDERR_FILENO) && args_get(&args, specs, SPEC_COUNT, "quiet") == NULL;
    code = run(&j, args.positional[0]);
    cvo_ctx_free(ctx);
    return code;
}
