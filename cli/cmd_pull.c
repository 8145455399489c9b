/* cmd_pull.c - cvo pull shopify --shop NAME.myshopify.com -o FILE: the store's
 * orders through Shopify's bulk operations (cvo_shopify_pull), written whole or
 * not at all, with what the pull covered in FILE.pull beside it (written after
 * FILE, so a crash between the two only makes the next pull fetch more).
 *
 * ENVIRONMENT (for cvo(1)):
 *   CVO_SHOPIFY_TOKEN     the Admin API access token (never on the command line)
 *   CVO_SHOPIFY_BASE_URL  for tests only: replaces https://SHOP (http:// on loopback) */
#include "atomic.h"
#include "clock.h"
#include "commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const opt_spec specs[] = {
    {"shop", 0, "NAME.myshopify.com", "the store"},
    {"output", 'o', "FILE",
     "the orders CSV (Shopify's export columns); FILE.pull beside it "
     "records the pull"},
    {"since", 0, "DATE", "pull the orders updated since DATE (YYYY-MM-DD, UTC) into FILE"},
    {"full", 0, NULL, "pull every order: orders deleted at Shopify leave FILE"},
    {"config", 'c', "FILE", "configuration: [shopify] and [push] settings"},
    {"quiet", 'q', NULL, "no progress or summary on stderr"},
};
enum { SPEC_COUNT = sizeof specs / sizeof *specs };

typedef struct pull_job {
    cvo_ctx *ctx;
    const parsed_args *args;
    const char *output;
    char state_path[4096];
    char dir[4096];
    const char *name;
    bool quiet;
    cvo_config *config;
} pull_job;

static const char *env(const char *name)
{
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

static void print_line(void *user_data, cvo_push_line kind, const char *text)
{
    bool quiet = *(const bool *)user_data;
    if (kind == CVO_PUSH_WARNING)
        fprintf(stderr, "cvo: warning: %s\n", text);
    else if (!quiet)
        fprintf(stderr, "cvo: %s\n", text);
}

/* FILE's folder and name, and FILE.pull. */
static bool split_output(pull_job *j)
{
    const char *slash = strrchr(j->output, '/');
    size_t dir_len = slash ? (size_t)(slash - j->output) : 1;
    j->name = slash ? slash + 1 : j->output;
    if (j->name[0] == '\0' || dir_len >= sizeof j->dir || strlen(j->name) > 200 ||
        snprintf(j->state_path, sizeof j->state_path, "%s.pull", j->output) >=
            (int)sizeof j->state_path) {
        fprintf(stderr, "cvo: pull: -o must name a file (at most 200 bytes in its folder)\n");
        return false;
    }
    memcpy(j->dir, slash ? j->output : ".", dir_len);
    j->dir[slash == j->output ? 1 : dir_len] = '\0';
    return true;
}

/* --since DATE as unix seconds; -1 with the message on a bad date. */
static int since_of(const char *text, int64_t *since)
{
    int32_t day;
    *since = INT64_MIN;
    if (text == NULL)
        return -1;
    if (!cvo_day_parse(text, &day)) {
        fprintf(stderr, "cvo: pull: --since must be a date YYYY-MM-DD, not '%s'\n", text);
        return EXIT_USAGE;
    }
    *since = (int64_t)day * 86400;
    return -1;
}

static int write_state(pull_job *j, const cvo_shopify_state *state)
{
    char name[256];
    snprintf(name, sizeof name, "%s.pull", j->name);
    atomic_file f;
    if (!atomic_open(&f, j->dir, name))
        return EXIT_SYSTEM;
    cvo_status status = cvo_shopify_state_write(j->ctx, state, f.out);
    if (status != CVO_OK) {
        atomic_abort(&f);
        return cli_fail(j->ctx, status);
    }
    return atomic_commit(&f) ? -1 : EXIT_SYSTEM;
}

static void say_done(const pull_job *j, const cvo_shopify_pull_result *r)
{
    if (j->quiet)
        return;
    fprintf(stderr,
            "cvo: pull shopify: %s pull, %zu orders (%zu line items) pulled: %zu new, %zu "
            "updated; %zu kept from the last pull, %zu dropped (gone from Shopify)\n",
            r->full ? "full" : "incremental", r->orders_pulled, r->lines_pulled, r->orders_new,
            r->orders_updated, r->orders_kept, r->orders_dropped);
    fprintf(stderr, "cvo: wrote %s: %zu orders, %zu rows (%zu requests)\n", j->output,
            r->orders_written, r->rows_written, r->requests);
}

/* Pulls into FILE atomically, then records the state. */
static int pull(pull_job *j, cvo_shopify_pull_options *o)
{
    cvo_transport transport;
    cvo_status status = cvo_transport_curl_open(j->ctx, &transport);
    if (status != CVO_OK)
        return cli_fail(j->ctx, status);
    o->transport = &transport;
    atomic_file f;
    int code = -1;
    cvo_shopify_pull_result result;
    if (!atomic_open(&f, j->dir, j->name))
        code = EXIT_SYSTEM;
    if (code < 0 && (status = cvo_shopify_pull(j->ctx, o, f.out, &result)) != CVO_OK) {
        atomic_abort(&f);
        code = cli_fail(j->ctx, status);
    } else if (code < 0 && !atomic_commit(&f)) {
        code = EXIT_SYSTEM;
    }
    cvo_transport_curl_close(&transport);
    if (code < 0)
        code = write_state(j, &result.state);
    if (code < 0)
        say_done(j, &result);
    return code;
}

static int run(pull_job *j)
{
    cvo_shopify_pull_options o;
    cvo_shopify_pull_options_init(&o);
    int code = since_of(args_get(j->args, specs, SPEC_COUNT, "since"), &o.since);
    if (code < 0)
        code = cli_load_config(j->ctx, j->args, specs, SPEC_COUNT, &j->config);
    cvo_status status = CVO_OK;
    if (code < 0 && (status = cvo_shopify_state_read(j->ctx, j->state_path, &o.state)) != CVO_OK)
        code = cli_fail(j->ctx, status);
    if (code >= 0)
        return code;
    o.shop = args_get(j->args, specs, SPEC_COUNT, "shop");
    o.token = env("CVO_SHOPIFY_TOKEN");
    o.base_url = env("CVO_SHOPIFY_BASE_URL");
    o.config = j->config;
    o.report = print_line;
    o.report_data = &j->quiet;
    o.previous = j->output;
    o.full = args_get(j->args, specs, SPEC_COUNT, "full") != NULL;
    o.now = clock_unix();
    code = pull(j, &o);
    return code < 0 ? EXIT_OK : code;
}

int cmd_pull(int argc, char **argv)
{
    parsed_args args;
    int code =
        cli_parse(argc, argv, specs, SPEC_COUNT, &args,
                  "cvo pull shopify --shop NAME.myshopify.com -o FILE [--since DATE | --full]",
                  "Pulls the store's orders through Shopify's GraphQL Admin API (bulk\n"
                  "operations) into FILE, in the columns of Shopify's order export and,\n"
                  "as in the export, with times in the shop's time zone (the tzdata\n"
                  "package must be installed): the first pull takes every order, later\n"
                  "ones the orders updated since the last pull, and every [shopify]\n"
                  "full_every_days a full pull drops the orders deleted at Shopify. The\n"
                  "access token comes from CVO_SHOPIFY_TOKEN; it needs read_orders and\n"
                  "read_all_orders.");
    if (code >= 0)
        return code;
    pull_job j = {.args = &args};
    j.output = args_get(&args, specs, SPEC_COUNT, "output");
    j.quiet = args_get(&args, specs, SPEC_COUNT, "quiet") != NULL;
    if (args.positional_count != 1 || strcmp(args.positional[0], "shopify") != 0 ||
        args_get(&args, specs, SPEC_COUNT, "shop") == NULL || j.output == NULL) {
        fprintf(stderr, "cvo: pull needs the platform 'shopify', --shop NAME.myshopify.com and "
                        "-o FILE\nTry 'cvo pull --help'.\n");
        return EXIT_USAGE;
    }
    if (args_get(&args, specs, SPEC_COUNT, "full") && args_get(&args, specs, SPEC_COUNT, "since")) {
        fprintf(stderr, "cvo: pull: --full and --since exclude each other\n");
        return EXIT_USAGE;
    }
    if (!split_output(&j))
        return EXIT_USAGE;
    if (cvo_ctx_new(&j.ctx, NULL) != CVO_OK)
        return EXIT_SYSTEM;
    code = run(&j);
    cvo_config_free(j.config);
    cvo_ctx_free(j.ctx);
    return code;
}
