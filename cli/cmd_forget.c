/* cmd_forget.c - cvo forget --db FILE | -o DIR CUSTOMER...: erases customers on
 * request (GDPR art. 17) from the history, the push ledgers and the Klaviyo
 * state, and keeps them out of every later run. */
#include "clock.h"
#include "commands.h"

#include <inttypes.h>
#include <string.h>

static const opt_spec specs[] = {
    {"db", 0, "FILE", "the history database of cvo analyze --db"},
    {"output", 'o', "DIR", "the output directory of cvo analyze: its own state database (when "
                           "the runs have no --db), and the run kept before the last is removed"},
    {"config", 'c', "FILE", "configuration: [privacy] id_key, when the runs set it"},
    {"quiet", 'q', NULL, "no summary on stderr"},
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

typedef struct forget_job {
    cvo_ctx *ctx;
    const parsed_args *args;
    cvo_outdir *outdir; /* -o: locked while forgetting, so no run records them again */
    cvo_history *state;
    cvo_config *config;
} forget_job;

/* -o DIR: lock it as a run would; the state database is its own unless --db. */
static int open_state(forget_job *f)
{
    const char *db = args_get(f->args, specs, SPEC_COUNT, "db");
    const char *dir = args_get(f->args, specs, SPEC_COUNT, "output");
    if (dir != NULL) {
        cvo_status status = cvo_outdir_open(f->ctx, dir, clock_unix(), &f->outdir);
        if (status != CVO_OK)
            return cli_fail(f->ctx, status);
    }
    const char *path = db ? db : cvo_outdir_state_path(f->outdir);
    cvo_status status = cvo_history_open(f->ctx, path, &f->state);
    return status == CVO_OK ? -1 : cli_fail(f->ctx, status);
}

static void say_done(const forget_job *f, const cvo_forget_result *r, size_t asked,
                     bool dropped)
{
    if (args_get(f->args, specs, SPEC_COUNT, "quiet") != NULL)
        return;
    fprintf(stderr,
            "cvo: forgot %zu of %zu customers given (the others were not in the history): "
            "%" PRIu64 " snapshot rows and %" PRIu64 " ledger entries removed, %zu "
            "suppression entries added\n",
            r->matched, asked, r->snapshot_rows, r->ledger_rows, r->suppressed);
    fprintf(stderr, "cvo: every later run leaves them out of every output%s\n",
                    f->outdir ? "; the run kept before the last one was removed" : "");
    const char *dir = args_get(f->args, specs, SPEC_COUNT, "output");
    if (dir != NULL)
        fprintf(stderr, "cvo: %s still holds them until the next run replaces it%s\n", dir,
                dropped ? "" : " (there was no earlier run to remove)");
    else
        fprintf(stderr, "cvo: the outputs of the runs still hold them until the next run: "
                        "give -o DIR to remove the run kept before the last\n");
    fprintf(stderr, "cvo: Klaviyo and Gorgias keep what was sent before: ask them to delete "
                    "the profile (Klaviyo's data privacy deletion, Gorgias' customer delete)\n");
}

static int run(forget_job *f)
{
    int code = cli_load_config(f->ctx, f->args, specs, SPEC_COUNT, &f->config);
    if (code < 0)
        code = open_state(f);
    cvo_id_key key;
    if (code < 0) {
        cvo_status status = cvo_id_key_load(f->ctx, f->state, f->config, &key);
        code = status == CVO_OK ? -1 : cli_fail(f->ctx, status);
    }
    cvo_forget_result result;
    if (code < 0) {
        cvo_status status = cvo_history_forget(
            f->state, &key, (const char *const *)f->args->positional,
            (size_t)f->args->positional_count, clock_unix(), &result);
        code = status == CVO_OK ? -1 : cli_fail(f->ctx, status);
    }
    bool dropped = false;
    if (code < 0 && f->outdir != NULL) {
        cvo_status status = cvo_outdir_drop_previous(f->outdir, &dropped);
        code = status == CVO_OK ? -1 : cli_fail(f->ctx, status);
    }
    if (code < 0)
        say_done(f, &result, (size_t)f->args->positional_count, dropped);
    cvo_history_close(f->state);
    cvo_outdir_free(f->outdir);
    cvo_config_free(f->config);
    return code < 0 ? EXIT_OK : code;
}

int cmd_forget(int argc, char **argv)
{
    parsed_args args;
    int code = cli_parse(argc, argv, specs, SPEC_COUNT, &args,
                         "cvo forget (--db FILE | -o DIR) CUSTOMER...",
                         "Erases customers (by customer id or e-mail) on request: from every\n"
                         "snapshot of the history, the push ledgers and the Klaviyo state, keeping\n"
                         "only keyed hashes so that later runs leave them out of every output.");
    if (code >= 0)
        return code;
    bool where = args_get(&args, specs, SPEC_COUNT, "db") != NULL ||
                 args_get(&args, specs, SPEC_COUNT, "output") != NULL;
    if (!where || args.positional_count == 0) {
        fprintf(stderr, "cvo: forget needs --db FILE or -o DIR, and at least one customer\n"
                        "Try 'cvo forget --help'.\n");
        return EXIT_USAGE;
    }
    forget_job f = {NULL, &args, NULL, NULL, NULL};
    if (cvo_ctx_new(&f.ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    code = run(&f);
    cvo_ctx_free(f.ctx);
    return code;
}
