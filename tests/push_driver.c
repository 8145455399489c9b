/* push_driver.c - a second front end over cvo.h for the push checks: sends a
 * directory of Klaviyo or Gorgias files with the library's clients and the
 * libcurl transport, with every setting on the command line.
 *
 *   push_driver klaviyo|gorgias DIR STATE.db [--base-url U] [--key K] [--user U]
 *               [--wait S] [--as-of DATE] [--config FILE] [--id-key TEXT] [--dry-run] [-q]
 *
 * Exit codes as cvo(1): 0 done, 1 a Klaviyo job lost profiles, 2 settings, 3 files,
 * 4 refused, unreachable, unknown outcome or ledger. */
#include "cvo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_line(void *user_data, cvo_push_line kind, const char *text)
{
    bool quiet = *(const bool *)user_data;
    if (kind == CVO_PUSH_PLAN)
        printf("%s\n", text);
    else if (kind == CVO_PUSH_WARNING)
        fprintf(stderr, "warning: %s\n", text);
    else if (!quiet)
        fprintf(stderr, "%s\n", text);
}

static int exit_for(cvo_status status)
{
    switch (status) {
    case CVO_OK: return 0;
    case CVO_ERR_ARGUMENT: return 2;
    case CVO_ERR_IO:
    case CVO_ERR_FORMAT:
    case CVO_ERR_LIMIT: return 3;
    default: return 4;
    }
}

typedef struct driver {
    cvo_push_options o;
    const char *config_path, *id_key, *as_of;
    bool quiet, gorgias;
} driver;

/* Options after DIR and STATE; false on an unknown one. */
static bool parse(driver *d, int argc, char **argv)
{
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "--dry-run") != 0 && strcmp(a, "-q") != 0;
        if (takes && v == NULL)
            return false;
        if (strcmp(a, "--dry-run") == 0)
            d->o.dry_run = true;
        else if (strcmp(a, "-q") == 0)
            d->quiet = true;
        else if (strcmp(a, "--base-url") == 0)
            d->o.klaviyo_base_url = d->o.gorgias_base_url = v;
        else if (strcmp(a, "--key") == 0)
            d->o.klaviyo_api_key = d->o.gorgias_api_key = v;
        else if (strcmp(a, "--user") == 0)
            d->o.gorgias_user = v;
        else if (strcmp(a, "--wait") == 0)
            d->o.klaviyo_wait_s = strtod(v, NULL);
        else if (strcmp(a, "--as-of") == 0)
            d->as_of = v;
        else if (strcmp(a, "--config") == 0)
            d->config_path = v;
        else if (strcmp(a, "--id-key") == 0)
            d->id_key = v;
        else
            return false;
        i += takes;
    }
    return true;
}

static cvo_status push(cvo_ctx *ctx, driver *d, cvo_config *config, const char *state_path,
                       cvo_push_result *result)
{
    cvo_history *state = NULL;
    cvo_id_key key;
    cvo_transport transport;
    cvo_status status = d->config_path ? cvo_config_load(config, d->config_path) : CVO_OK;
    if (status == CVO_OK && d->id_key != NULL)
        status = cvo_config_set(config, "privacy", "id_key", d->id_key);
    if (status == CVO_OK)
        status = cvo_history_open(ctx, state_path, &state);
    if (status == CVO_OK)
        status = cvo_id_key_load(ctx, state, config, &key);
    if (status == CVO_OK && d->as_of != NULL && !cvo_day_parse(d->as_of, &d->o.as_of_day))
        status = CVO_ERR_ARGUMENT;
    bool open = status == CVO_OK && !d->o.dry_run;
    if (open && (status = cvo_transport_curl_open(ctx, &transport)) != CVO_OK)
        open = false;
    d->o.config = config;
    d->o.state = state;
    d->o.id_key = &key;
    d->o.transport = open ? &transport : NULL;
    if (status == CVO_OK)
        status = d->gorgias ? cvo_gorgias_push(ctx, &d->o, result)
                            : cvo_klaviyo_push(ctx, &d->o, result);
    if (open)
        cvo_transport_curl_close(&transport);
    cvo_history_close(state);
    return status;
}

int main(int argc, char **argv)
{
    driver d;
    memset(&d, 0, sizeof d);
    cvo_push_options_init(&d.o);
    if (argc < 4 || (strcmp(argv[1], "klaviyo") != 0 && strcmp(argv[1], "gorgias") != 0) ||
        !parse(&d, argc, argv)) {
        fprintf(stderr, "usage: push_driver klaviyo|gorgias DIR STATE.db [OPTIONS]\n");
        return 2;
    }
    d.gorgias = strcmp(argv[1], "gorgias") == 0;
    d.o.dir = argv[2];
    d.o.report = print_line;
    d.o.report_data = &d.quiet;
    cvo_ctx *ctx = NULL;
    cvo_config *config = NULL;
    cvo_push_result result;
    memset(&result, 0, sizeof result);
    if (cvo_ctx_new(&ctx, NULL) != CVO_OK || cvo_config_new(ctx, &config) != CVO_OK)
        return 4;
    cvo_status status = push(ctx, &d, config, argv[3], &result);
    if (status != CVO_OK)
        fprintf(stderr, "error: %s\n",
                cvo_ctx_message(ctx)[0] ? cvo_ctx_message(ctx) : cvo_strerror(status));
    int code = exit_for(status);
    if (code == 0 && (result.profiles_failed > 0 || result.jobs_cancelled > 0))
        code = 1;
    printf("result: requests=%zu bulk_sent=%zu bulk_skipped=%zu profiles=%zu unset=%zu "
           "events_sent=%zu events_skipped=%zu tickets_sent=%zu tickets_skipped=%zu "
           "tickets_held=%zu unknown=%zu\n",
           result.requests, result.bulk_sent, result.bulk_skipped, result.profiles,
           result.unset_sent, result.events_sent, result.events_skipped, result.tickets_sent,
           result.tickets_skipped, result.tickets_held, result.unknown);
    cvo_config_free(config);
    cvo_ctx_free(ctx);
    return code;
}
