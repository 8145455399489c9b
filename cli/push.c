/* push.c - the environment, the libcurl transport and the printed lines around
 * the library's Klaviyo and Gorgias clients (see push.h). */
#include "push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name)
{
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

static void print_line(void *user_data, cvo_push_line kind, const char *text)
{
    bool quiet = *(const bool *)user_data;
    if (kind == CVO_PUSH_PLAN)
        printf("%s\n", text);
    else if (kind == CVO_PUSH_WARNING)
        fprintf(stderr, "cvo: warning: %s\n", text);
    else if (!quiet)
        fprintf(stderr, "%s\n", text);
}

static void options_from(const push_setup *p, cvo_push_options *o, const bool *quiet)
{
    cvo_push_options_init(o);
    o->dir = p->dir;
    o->config = p->config;
    o->state = p->state;
    o->id_key = p->id_key;
    o->as_of_day = p->as_of_day;
    o->dry_run = p->dry_run;
    o->report = print_line;
    o->report_data = (void *)quiet;
}

/* Opens the transport, pushes, closes; the exit code. */
typedef cvo_status (*push_fn)(cvo_ctx *ctx, const cvo_push_options *o, cvo_push_result *r);

static int run(cvo_ctx *ctx, cvo_push_options *o, push_fn fn, cvo_push_result *result)
{
    cvo_transport transport;
    cvo_status status = CVO_OK;
    if (!o->dry_run) {
        if ((status = cvo_transport_curl_open(ctx, &transport)) != CVO_OK)
            return cli_fail(ctx, status);
        o->transport = &transport;
    }
    status = fn(ctx, o, result);
    if (!o->dry_run)
        cvo_transport_curl_close(&transport);
    return status == CVO_OK ? EXIT_OK : cli_fail(ctx, status);
}

/* Adds what one push did to the run's totals. */
static void add_result(cvo_push_result *sent, const cvo_push_result *r)
{
    sent->profiles += r->profiles;
    sent->events_sent += r->events_sent;
    sent->events_skipped += r->events_skipped;
    sent->tickets_sent += r->tickets_sent;
    sent->tickets_skipped += r->tickets_skipped;
    sent->tickets_held += r->tickets_held;
}

int push_klaviyo(cvo_ctx *ctx, const push_setup *setup, cvo_push_result *sent)
{
    cvo_push_options o;
    cvo_push_result result;
    options_from(setup, &o, &setup->quiet);
    o.klaviyo_api_key = env("CVO_KLAVIYO_API_KEY");
    o.klaviyo_base_url = env("CVO_KLAVIYO_BASE_URL");
    const char *wait = env("CVO_KLAVIYO_WAIT");
    if (wait != NULL && !cli_parse_double(wait, 0, 3600, &o.klaviyo_wait_s)) {
        fprintf(stderr, "cvo: klaviyo: CVO_KLAVIYO_WAIT must be seconds from 0 to 3600\n");
        return EXIT_USAGE;
    }
    if (o.klaviyo_api_key == NULL && setup->dry_run)
        fprintf(stderr, "cvo: klaviyo: note: CVO_KLAVIYO_API_KEY is not set; a push would stop\n");
    int code = run(ctx, &o, cvo_klaviyo_push, &result);
    add_result(sent, &result);
    if (code == EXIT_OK && (result.profiles_failed > 0 || result.jobs_cancelled > 0))
        code = EXIT_REJECTS;
    return code;
}

int push_gorgias(cvo_ctx *ctx, const push_setup *setup, cvo_push_result *sent)
{
    cvo_push_options o;
    cvo_push_result result;
    options_from(setup, &o, &setup->quiet);
    o.gorgias_domain = env("CVO_GORGIAS_DOMAIN");
    o.gorgias_base_url = env("CVO_GORGIAS_BASE_URL");
    o.gorgias_user = env("CVO_GORGIAS_USER");
    o.gorgias_api_key = env("CVO_GORGIAS_API_KEY");
    int code = run(ctx, &o, cvo_gorgias_push, &result);
    add_result(sent, &result);
    return code;
}
