/* test_push.c - the Klaviyo and Gorgias clients against a scripted transport on
 * a fake clock: pacing (no window ever over the limit), Retry-After, 5xx and
 * timeouts (tried again where safe, unknown outcomes recorded and never sent
 * again, the time bound), job polling, the ledgers resuming after a failure or
 * an interruption, the properties unset when a profile lost them, dry runs and
 * settings. Nothing touches the network; time is the script's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "cvo.h"
#include "base/hmac.h"
#include "history/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the scripted transport ------------------------------------------------------------ */

typedef struct answer {
    long status; /* 0 with failure */
    cvo_net_failure failure;
    double retry_after_s; /* 0: none */
    const char *body;
} answer;

typedef struct sent {
    char method[8];
    char url[256];
    char *body;
    double at;
} sent;

enum { SCRIPT_MAX = 64, SENT_MAX = 2048 };

typedef struct script {
    double now;
    answer queue[SCRIPT_MAX]; /* answered first, in order; then the defaults */
    size_t queued, next;
    sent log[SENT_MAX];
    size_t sent_count;
    char reply[512];
    size_t jobs;
} script;

static bool ends_with(const char *text, const char *tail)
{
    size_t n = strlen(text), m = strlen(tail);
    return n >= m && strcmp(text + n - m, tail) == 0;
}

/* What a well-behaved service answers. */
static answer default_answer(script *s, const cvo_http_request *q)
{
    if (ends_with(q->url, "/api/profile-bulk-import-jobs")) {
        snprintf(s->reply, sizeof s->reply,
                 "{\"data\":{\"id\":\"JOB%zu\",\"attributes\":{\"status\":\"queued\"}}}",
                 ++s->jobs);
        return (answer){202, CVO_NET_ANSWERED, 0, s->reply};
    }
    if (strstr(q->url, "/api/profile-bulk-import-jobs/") != NULL)
        return (answer){200, CVO_NET_ANSWERED, 0,
                        "{\"data\":{\"attributes\":{\"status\":\"complete\",\"completed_count\":2,"
                        "\"failed_count\":0}}}"};
    if (ends_with(q->url, "/api/tickets"))
        return (answer){201, CVO_NET_ANSWERED, 0, "{\"id\":4242}"};
    if (ends_with(q->url, "/api/profile-import"))
        return (answer){200, CVO_NET_ANSWERED, 0, "{}"};
    return (answer){202, CVO_NET_ANSWERED, 0, ""};
}

static cvo_status scripted_send(void *self, const cvo_http_request *q, cvo_http_response *r)
{
    script *s = self;
    assert_true(s->sent_count < SENT_MAX);
    sent *log = &s->log[s->sent_count++];
    snprintf(log->method, sizeof log->method, "%s", q->method);
    snprintf(log->url, sizeof log->url, "%s", q->url);
    log->body = q->body ? strndup(q->body, q->body_len) : NULL;
    log->at = s->now;
    answer a = s->next < s->queued ? s->queue[s->next++] : default_answer(s, q);
    s->now += a.failure == CVO_NET_TIMEOUT ? q->timeout_s : 0.01;
    r->status = a.status;
    r->failure = a.failure;
    r->retry_after_s = a.retry_after_s > 0 ? a.retry_after_s : -1;
    snprintf(r->error, sizeof r->error, "%s", a.failure ? "scripted failure" : "");
    r->body = a.body ? a.body : "";
    r->body_len = strlen(r->body);
    return CVO_OK;
}

static double scripted_now(void *self)
{
    return ((script *)self)->now;
}

static void scripted_sleep(void *self, double seconds)
{
    if (seconds > 0)
        ((script *)self)->now += seconds;
}

static void queue(script *s, answer a)
{
    assert_true(s->queued < SCRIPT_MAX);
    s->queue[s->queued++] = a;
}

static size_t sent_to(const script *s, const char *tail)
{
    size_t n = 0;
    for (size_t i = 0; i < s->sent_count; i++)
        n += ends_with(s->log[i].url, tail);
    return n;
}

static void forget_sent(script *s)
{
    for (size_t i = 0; i < s->sent_count; i++)
        free(s->log[i].body);
    s->sent_count = 0;
    s->queued = s->next = 0;
}

/* ---- the fixture: a folder of files, a state database, options --------------------------- */

typedef struct fixture {
    char dir[64];
    char path[160];
    cvo_ctx *ctx;
    cvo_history *state;
    cvo_id_key key;
    script script;
    cvo_transport transport;
    cvo_push_options o;
    cvo_push_result result;
    char lines[8192]; /* the report's lines, one per line */
} fixture;

static void record_line(void *user_data, cvo_push_line kind, const char *text)
{
    fixture *f = user_data;
    size_t used = strlen(f->lines);
    snprintf(f->lines + used, sizeof f->lines - used, "%d %s\n", (int)kind, text);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cvo-test-push-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
    assert_int_equal(cvo_history_open(f->ctx, f->path, &f->state), CVO_OK);
    memset(&f->key, 7, sizeof f->key);
    f->transport = (cvo_transport){scripted_send, scripted_now, scripted_sleep, &f->script, NULL};
    f->script.now = 1000;
    cvo_push_options_init(&f->o);
    f->o.dir = f->dir;
    f->o.state = f->state;
    f->o.id_key = &f->key;
    f->o.transport = &f->transport;
    f->o.report = record_line;
    f->o.report_data = f;
    f->o.klaviyo_api_key = "pk_test";
    f->o.klaviyo_base_url = "http://127.0.0.1:9";
    f->o.gorgias_base_url = "http://127.0.0.1:9";
    f->o.gorgias_user = "agent@example.com";
    f->o.gorgias_api_key = "secret";
    f->o.as_of_day = cvo_day_from_ymd(2026, 1, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    forget_sent(&f->script);
    cvo_history_close(f->state);
    char command[128];
    snprintf(command, sizeof command, "rm -rf %s", f->dir);
    assert_int_equal(system(command), 0);
    cvo_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void write_file(const fixture *f, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_true(fputs(text, out) >= 0);
    assert_int_equal(fclose(out), 0);
}

static void make_dirs(const fixture *f)
{
    char path[256];
    static const char *const dirs[] = {"klaviyo", "klaviyo/profile-bulk-import", "gorgias"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, dirs[i]);
        mkdir(path, 0700);
    }
}

/* events.jsonl with n events for w1@, w2@, ... */
static void write_events(const fixture *f, int n)
{
    static char text[400000];
    size_t used = 0;
    text[0] = '\0';
    for (int i = 1; i <= n; i++)
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 "{\"data\":{\"type\":\"event\",\"attributes\":{\"properties\":{},"
                                 "\"unique_id\":\"cvo-winback-%d\",\"metric\":{\"data\":{\"type\":"
                                 "\"metric\",\"attributes\":{\"name\":\"CVO Winback Due\"}}},"
                                 "\"profile\":{\"data\":{\"type\":\"profile\",\"attributes\":"
                                 "{\"email\":\"w%d@example.com\"}}}}}}\n",
                                 i, i);
    write_file(f, "klaviyo/events.jsonl", text);
}

/* One bulk body: x@ with x_props, y@ with y_props (JSON object members). */
static void write_bulk(const fixture *f, const char *x_props, const char *y_props)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"data\":{\"type\":\"profile-bulk-import-job\",\"attributes\":{\"profiles\":{"
             "\"data\":[{\"type\":\"profile\",\"attributes\":{\"email\":\"x@example.com\","
             "\"properties\":{%s}}},{\"type\":\"profile\",\"attributes\":{\"email\":"
             "\"y@example.com\",\"external_id\":\"Y1\",\"properties\":{%s}}}]}}}}\n",
             x_props, y_props);
    write_file(f, "klaviyo/profile-bulk-import/0001.json", text);
}

static void klaviyo_store(fixture *f, int events)
{
    make_dirs(f);
    write_bulk(f, "\"CVO VIP\":true", "\"CVO VIP\":false");
    write_events(f, events);
}

/* tickets.jsonl with n tickets, customers 0..n-1 (hex keys), answer day 20251220. */
static void write_tickets(const fixture *f, int n, int same_customer_from)
{
    static char text[200000];
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < n; i++) {
        int c = same_customer_from >= 0 && i >= same_customer_from ? same_customer_from : i;
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 "{\"external_id\":\"cvo-nps-%024x-202512%02d\",\"channel\":"
                                 "\"api\",\"via\":\"api\",\"customer\":{\"email\":"
                                 "\"t%d@example.com\"},\"messages\":[]}\n",
                                 c, 1 + i % 28, i);
    }
    make_dirs(f);
    write_file(f, "gorgias/tickets.jsonl", text);
}

/* ---- pacing ------------------------------------------------------------------------------ */

/* The most requests to tail in any window of `seconds`. */
static size_t busiest(const script *s, const char *tail, double seconds)
{
    size_t most = 0;
    for (size_t i = 0; i < s->sent_count; i++) {
        size_t n = 0;
        for (size_t j = i; j < s->sent_count; j++)
            n += ends_with(s->log[j].url, tail) && s->log[j].at < s->log[i].at + seconds;
        most = n > most ? n : most;
    }
    return most;
}

static void test_gorgias_pacing(void **state)
{
    fixture *f = *state;
    write_tickets(f, 100, -1);
    double start = f->script.now;
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->result.tickets_sent, 100);
    assert_int_equal(sent_to(&f->script, "/api/tickets"), 100);
    assert_true(busiest(&f->script, "/api/tickets", 20) <= 40);
    assert_true(f->script.now - start >= 40); /* 100 at 40 per 20 s: two full windows waited */
    assert_true(f->script.now - start < 45);
}

static void test_klaviyo_event_pacing(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 800);
    f->o.klaviyo_wait_s = 0;
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->result.events_sent, 800);
    assert_true(busiest(&f->script, "/api/events", 1) <= 350);
    assert_true(busiest(&f->script, "/api/events", 60) <= 3500);
}

/* ---- answers that are not a success -------------------------------------------------------- */

static void test_retry_after(void **state)
{
    fixture *f = *state;
    write_tickets(f, 2, -1);
    queue(&f->script, (answer){429, CVO_NET_ANSWERED, 7, "{\"error\":{\"msg\":\"slow down\"}}"});
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->script.sent_count, 3);
    assert_true(f->script.log[1].at - f->script.log[0].at >= 7);
    assert_true(f->script.log[1].at - f->script.log[0].at < 7.2);
    assert_non_null(strstr(f->lines, "HTTP 429, retrying in 7 s (try 2 of 4)"));
    assert_int_equal(f->result.tickets_sent, 2);
}

static void test_klaviyo_5xx_retried(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 1);
    f->o.klaviyo_wait_s = 0;
    queue(&f->script, (answer){202, CVO_NET_ANSWERED, 0, "{\"data\":{\"id\":\"J\"}}"}); /* bulk */
    queue(&f->script, (answer){503, CVO_NET_ANSWERED, 0, "{}"});
    queue(&f->script, (answer){502, CVO_NET_ANSWERED, 0, "{}"});
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/events"), 3);
    /* backoff 1 s, then 2 s */
    assert_true(f->script.log[2].at - f->script.log[1].at >= 1);
    assert_true(f->script.log[3].at - f->script.log[2].at >= 2);
    assert_int_equal(f->result.events_sent, 1);
}

/* A 5xx from Gorgias may come after the ticket was made: never tried again. */
static void test_gorgias_5xx_unknown(void **state)
{
    fixture *f = *state;
    write_tickets(f, 3, -1);
    queue(&f->script, (answer){201, CVO_NET_ANSWERED, 0, "{\"id\":1}"});
    queue(&f->script, (answer){500, CVO_NET_ANSWERED, 0, "{\"error\":{\"msg\":\"boom\"}}"});
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_ERR_REMOTE);
    assert_int_equal(f->script.sent_count, 2);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "HTTP 500"));
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "recorded as unknown"));
    state_entry entry;
    assert_int_equal(state_ledger_get(f->state, STATE_GORGIAS_TICKET,
                                      "cvo-nps-000000000000000000000001-20251202", &entry),
                     CVO_OK);
    assert_int_equal(entry, STATE_UNKNOWN);
    forget_sent(&f->script);
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->script.sent_count, 1); /* only the third */
    assert_int_equal(f->result.tickets_skipped, 2);
}

/* A hung Klaviyo: every try times out; the push gives up within tries x timeout
 * and the waits between, and the event's outcome is unknown. */
static void test_klaviyo_timeouts(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 2);
    f->o.klaviyo_wait_s = 0;
    queue(&f->script, (answer){202, CVO_NET_ANSWERED, 0, "{\"data\":{\"id\":\"J\"}}"});
    for (int i = 0; i < 4; i++)
        queue(&f->script, (answer){0, CVO_NET_TIMEOUT, 0, NULL});
    double start = f->script.now;
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_ERR_REMOTE);
    double took = f->script.now - start;
    assert_int_equal(sent_to(&f->script, "/api/events"), 4);
    assert_true(took >= 4 * 30 && took <= 4 * 30 + 1 + 2 + 4 + 1);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "no answer from http://127.0.0.1:9 within 30 s "
                                                    "(4 tries)"));
    assert_int_equal(f->result.unknown, 1);
    forget_sent(&f->script);
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/events"), 1); /* the second; never the first */
}

static void test_timeouts_from_config(void **state)
{
    fixture *f = *state;
    cvo_config *config = NULL;
    assert_int_equal(cvo_config_new(f->ctx, &config), CVO_OK);
    assert_int_equal(cvo_config_set(config, "push", "timeout_seconds", "5"), CVO_OK);
    assert_int_equal(cvo_config_set(config, "push", "tries", "2"), CVO_OK);
    f->o.config = config;
    write_tickets(f, 1, -1);
    queue(&f->script, (answer){0, CVO_NET_NOT_SENT, 0, NULL});
    queue(&f->script, (answer){0, CVO_NET_NOT_SENT, 0, NULL});
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_ERR_REMOTE);
    assert_int_equal(f->script.sent_count, 2); /* never connected: tried again, twice in all */
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "within 5 s (2 tries)"));
    state_entry entry;
    assert_int_equal(state_ledger_get(f->state, STATE_GORGIAS_TICKET,
                                      "cvo-nps-000000000000000000000000-20251201", &entry),
                     CVO_OK);
    assert_int_equal(entry, STATE_NONE); /* nothing reached Gorgias: free to send later */
    cvo_config_free(config);
}

static void test_refused_with_detail(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 1);
    queue(&f->script, (answer){400, CVO_NET_ANSWERED, 0,
                               "{\"errors\":[{\"title\":\"Invalid input.\",\"detail\":\"bad "
                               "email\"}]}"});
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_ERR_REMOTE);
    assert_string_equal(cvo_ctx_message(f->ctx), "klaviyo: klaviyo/profile-bulk-import/0001.json: "
                                                 "HTTP 400: Invalid input.: bad email");
    assert_int_equal(f->script.sent_count, 1);
}

/* ---- job polling --------------------------------------------------------------------------- */

static void test_job_polling(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 0);
    f->o.klaviyo_wait_s = 60;
    queue(&f->script,
          (answer){202, CVO_NET_ANSWERED, 0,
                   "{\"data\":{\"id\":\"01JOB\",\"attributes\":{\"status\":\"queued\"}}}"});
    const char *processing = "{\"data\":{\"attributes\":{\"status\":\"processing\"}}}";
    queue(&f->script, (answer){200, CVO_NET_ANSWERED, 0, processing});
    queue(&f->script, (answer){200, CVO_NET_ANSWERED, 0, processing});
    queue(&f->script, (answer){200, CVO_NET_ANSWERED, 0,
                               "{\"data\":{\"attributes\":{\"status\":\"complete\","
                               "\"completed_count\":1,\"failed_count\":1}}}"});
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/profile-bulk-import-jobs/01JOB"), 3);
    /* 1 s, then 2 s, then 4 s apart */
    assert_true(f->script.log[2].at - f->script.log[1].at >= 2);
    assert_true(f->script.log[3].at - f->script.log[2].at >= 4);
    assert_int_equal(f->result.profiles_failed, 1);
    assert_non_null(strstr(f->lines, "job 01JOB complete, 2 profiles, 1 completed, 1 failed; see "
                                     "GET /api/profile-bulk-import-jobs/01JOB/import-errors"));
    /* a job that lost profiles is not in the ledger: the next run sends the body again */
    forget_sent(&f->script);
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/profile-bulk-import-jobs"), 1);
    assert_int_equal(f->result.bulk_skipped, 0);
}

static void test_job_not_finished(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 0);
    f->o.klaviyo_wait_s = 10;
    for (int i = 0; i < 8; i++) /* the bulk POST gets the default; every poll: processing */
        queue(&f->script, (answer){i == 0 ? 202 : 200, CVO_NET_ANSWERED, 0,
                                   i == 0 ? "{\"data\":{\"id\":\"J9\"}}"
                                          : "{\"data\":{\"attributes\":{\"status\":"
                                            "\"processing\"}}}"});
    double start = f->script.now;
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_true(f->script.now - start <= 11);
    assert_int_equal(f->result.jobs_unfinished, 1);
    assert_non_null(strstr(f->lines, "(not finished after 10 s)"));
}

/* ---- ledgers ------------------------------------------------------------------------------ */

static void test_events_resume(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 5);
    f->o.klaviyo_wait_s = 0;
    queue(&f->script, (answer){202, CVO_NET_ANSWERED, 0, "{\"data\":{\"id\":\"J\"}}"});
    queue(&f->script, (answer){202, CVO_NET_ANSWERED, 0, ""});
    queue(&f->script, (answer){202, CVO_NET_ANSWERED, 0, ""});
    queue(&f->script, (answer){400, CVO_NET_ANSWERED, 0, "{}"});
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_ERR_REMOTE);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "klaviyo/events.jsonl:3: HTTP 400"));
    /* an interrupted run left event 4 "sending" */
    assert_int_equal(state_ledger_put(f->state, STATE_KLAVIYO_EVENT, "cvo-winback-4", "c",
                                      STATE_SENDING, INT32_MIN, NULL),
                     CVO_OK);
    forget_sent(&f->script);
    f->lines[0] = '\0';
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/profile-bulk-import-jobs"), 0); /* same bytes */
    assert_int_equal(f->result.bulk_skipped, 1);
    assert_int_equal(sent_to(&f->script, "/api/events"), 2); /* 3 and 5 */
    assert_true(strstr(f->script.log[0].body, "cvo-winback-3") != NULL);
    assert_true(strstr(f->script.log[1].body, "cvo-winback-5") != NULL);
    assert_int_equal(f->result.events_skipped, 3);
    assert_int_equal(f->result.unknown, 1);
    assert_non_null(strstr(f->lines, "1 event of an interrupted push may or may not have reached"));
}

/* One ticket per answer and one per customer within max_answer_age_days. */
static void test_tickets_one_per_customer(void **state)
{
    fixture *f = *state;
    write_tickets(f, 3, 1); /* tickets 2 and 3 are customer 1's, other answers */
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->result.tickets_sent, 2);
    assert_int_equal(f->result.tickets_held, 1);
    /* 90 days later the customer may get another one */
    forget_sent(&f->script);
    f->o.as_of_day += 90;
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->result.tickets_sent, 1);
    assert_int_equal(f->result.tickets_skipped, 2);
    assert_int_equal(f->result.tickets_held, 0);
}

/* ---- properties a profile lost ------------------------------------------------------------ */

static void test_unset(void **state)
{
    fixture *f = *state;
    make_dirs(f);
    write_events(f, 0);
    f->o.klaviyo_wait_s = 0;
    write_bulk(f, "\"CVO VIP\":true,\"CVO Winback Date\":\"2026-01-05\",\"CVO Profit\":3.5",
               "\"CVO VIP\":false,\"CVO Profit\":1");
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/profile-import"), 0);
    /* x left the win-back list and its profit is unknown; y is unchanged; a null is nothing */
    forget_sent(&f->script);
    write_bulk(f, "\"CVO VIP\":true,\"CVO Profit\":null", "\"CVO VIP\":false,\"CVO Profit\":1");
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/profile-import"), 1);
    assert_int_equal(f->result.unset_sent, 1);
    assert_int_equal(f->result.unset_names, 2);
    const char *body = f->script.log[1].body;
    assert_string_equal(body, "{\"data\":{\"type\":\"profile\",\"attributes\":{\"email\":"
                              "\"x@example.com\"},\"meta\":{\"patch_properties\":{\"unset\":"
                              "[\"CVO Profit\",\"CVO Winback Date\"]}}}}");
    /* the same again: nothing to send at all */
    forget_sent(&f->script);
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->script.sent_count, 0);
    /* y loses its profit; a refused unset keeps the old names: the next push tries again */
    write_bulk(f, "\"CVO VIP\":true", "\"CVO VIP\":false");
    queue(&f->script, (answer){202, CVO_NET_ANSWERED, 0, "{\"data\":{\"id\":\"J\"}}"});
    queue(&f->script, (answer){409, CVO_NET_ANSWERED, 0, "{}"});
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_ERR_REMOTE);
    forget_sent(&f->script);
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->script.sent_count, 1); /* the body was accepted before */
    assert_string_equal(f->script.log[0].body,
                        "{\"data\":{\"type\":\"profile\",\"attributes\":{\"email\":"
                        "\"y@example.com\",\"external_id\":\"Y1\"},\"meta\":{\"patch_properties\":"
                        "{\"unset\":[\"CVO Profit\"]}}}}");
}

/* A customer who withdrew consent leaves the bodies and is listed in
 * withdrawn.jsonl: every cvo property the last push gave them is removed. */
static void test_withdrawn(void **state)
{
    fixture *f = *state;
    make_dirs(f);
    write_events(f, 0);
    f->o.klaviyo_wait_s = 0;
    write_bulk(f, "\"CVO VIP\":true,\"CVO Winback\":false", "\"CVO VIP\":false");
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    forget_sent(&f->script);
    /* x withdraws: y's body alone, x in withdrawn.jsonl (and someone never pushed) */
    write_file(f, "klaviyo/profile-bulk-import/0001.json",
               "{\"data\":{\"type\":\"profile-bulk-import-job\",\"attributes\":{\"profiles\":"
               "{\"data\":[{\"type\":\"profile\",\"attributes\":{\"email\":\"y@example.com\","
               "\"external_id\":\"Y1\",\"properties\":{\"CVO VIP\":false}}}]}}}}\n");
    write_file(f, "klaviyo/withdrawn.jsonl",
               "{\"type\":\"profile\",\"attributes\":{\"email\":\"x@example.com\"}}\n"
               "{\"type\":\"profile\",\"attributes\":{\"email\":\"new@example.com\"}}\n");
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/profile-import"), 1);
    assert_int_equal(f->result.unset_names, 2);
    const char *body = NULL;
    for (size_t i = 0; i < f->script.sent_count; i++)
        if (ends_with(f->script.log[i].url, "/api/profile-import"))
            body = f->script.log[i].body;
    assert_non_null(body);
    assert_string_equal(body, "{\"data\":{\"type\":\"profile\",\"attributes\":{\"email\":"
                              "\"x@example.com\"},\"meta\":{\"patch_properties\":{\"unset\":"
                              "[\"CVO VIP\",\"CVO Winback\"]}}}}");
    /* once removed, nothing more to send for them */
    forget_sent(&f->script);
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(sent_to(&f->script, "/api/profile-import"), 0);
    /* a malformed line stops the push before any request */
    write_file(f, "klaviyo/withdrawn.jsonl", "{\"type\":\"event\"}\n");
    forget_sent(&f->script);
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_ERR_FORMAT);
    assert_int_equal(f->script.sent_count, 0);
}

/* The ledger of cvo 0.1.0 (sent.ledger, keys by e-mail) is taken into the state
 * database under the keys this cvo gives the same answers, so they are never
 * ticketed twice. */
static void test_old_ledger(void **state)
{
    fixture *f = *state;
    write_file(f, "orders.csv", "customer_id,email,order_date,order_total\n"
                                "C1,one@example.com,2025-06-01,10.00\n"
                                ",guest@example.com,2025-06-02,20.00\n");
    char orders[200];
    snprintf(orders, sizeof orders, "%s/orders.csv", f->dir);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = orders;
    cvo_customers *customers = NULL;
    assert_int_equal(cvo_orders_load(f->ctx, &lo, &customers, NULL), CVO_OK);
    make_dirs(f);
    write_file(f, "gorgias/sent.ledger", "cvo-nps-one@example.com-2025-12-01\n"
                                         "cvo-nps-guest@example.com-2025-12-02\tunconfirmed\n"
                                         "cvo-nps-one@example.com-score-3\n"
                                         "garbage\n");
    char path[200];
    snprintf(path, sizeof path, "%s/gorgias/sent.ledger", f->dir);
    size_t imported = 0;
    assert_int_equal(cvo_gorgias_import_ledger(f->ctx, f->state, &f->key, customers, path,
                                               &imported),
                     CVO_OK);
    assert_int_equal(imported, 2);
    char hash[KEYED_HEX + 1], key[80];
    state_entry entry = STATE_NONE;
    keyed_customer(&f->key, "C1", "one@example.com", hash); /* by id: the customer has one */
    snprintf(key, sizeof key, "cvo-nps-%s-20251201", hash);
    assert_int_equal(state_ledger_get(f->state, STATE_GORGIAS_TICKET, key, &entry), CVO_OK);
    assert_int_equal(entry, STATE_DONE);
    keyed_customer(&f->key, "", "guest@example.com", hash);
    snprintf(key, sizeof key, "cvo-nps-%s-20251202", hash);
    assert_int_equal(state_ledger_get(f->state, STATE_GORGIAS_TICKET, key, &entry), CVO_OK);
    assert_int_equal(entry, STATE_DONE);
    /* the customer is held: no second ticket within max_answer_age_days */
    bool found = false;
    keyed_customer(&f->key, "C1", "", hash);
    assert_int_equal(state_ledger_customer_since(f->state, STATE_GORGIAS_TICKET, hash,
                                                 cvo_day_from_ymd(2025, 11, 1), &found),
                     CVO_OK);
    assert_true(found);
    snprintf(path, sizeof path, "%s/no-such.ledger", f->dir);
    assert_int_equal(cvo_gorgias_import_ledger(f->ctx, f->state, &f->key, customers, path,
                                               &imported),
                     CVO_OK);
    assert_int_equal(imported, 0);
    cvo_customers_free(customers);
}

/* ---- dry runs and settings ------------------------------------------------------------------ */

static void test_dry_run(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 3);
    f->o.dry_run = true;
    f->o.transport = NULL;
    f->o.klaviyo_api_key = NULL;
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_int_equal(f->script.sent_count, 0);
    assert_non_null(strstr(f->lines, "2 klaviyo: POST http://127.0.0.1:9/api/profile-bulk-import-"
                                     "jobs  klaviyo/profile-bulk-import/0001.json"));
    assert_non_null(strstr(f->lines, "1 bulk jobs (2 profiles), 0 profiles with properties to "
                                     "remove, 3 events would be sent"));
    write_tickets(f, 2, -1);
    f->lines[0] = '\0';
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_OK);
    assert_non_null(strstr(f->lines, "2 tickets would be sent, 0 already in the ledger, 0 held"));
    assert_null(strstr(f->lines, "secret"));
}

static void test_settings(void **state)
{
    fixture *f = *state;
    klaviyo_store(f, 1);
    write_tickets(f, 1, -1);
    f->o.klaviyo_base_url = "http://example.com";
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_ERR_ARGUMENT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "must be an https:// URL"));
    f->o.klaviyo_base_url = "https://user@a.klaviyo.com";
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_ERR_ARGUMENT);
    f->o.klaviyo_base_url = NULL;
    f->o.klaviyo_api_key = "two words";
    assert_int_equal(cvo_klaviyo_push(f->ctx, &f->o, &f->result), CVO_ERR_ARGUMENT);
    f->o.gorgias_base_url = NULL;
    f->o.gorgias_domain = "evil.com/x";
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_ERR_ARGUMENT);
    f->o.gorgias_domain = "shop";
    f->o.gorgias_user = "a:b";
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_ERR_ARGUMENT);
    f->o.gorgias_user = "agent";
    f->o.as_of_day = INT32_MIN;
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_ERR_ARGUMENT);
    assert_int_equal(f->script.sent_count, 0);
    assert_int_equal(cvo_klaviyo_push(f->ctx, NULL, &f->result), CVO_ERR_ARGUMENT);
    write_file(f, "gorgias/tickets.jsonl", "{\"external_id\":\"cvo-nps-jane@example.com-1\"}\n");
    f->o.as_of_day = 0;
    assert_int_equal(cvo_gorgias_push(f->ctx, &f->o, &f->result), CVO_ERR_FORMAT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "tickets.jsonl:1: not a ticket body"));
}

/* The key: from [privacy] id_key, else created once in the state database. */
static void test_id_key(void **state)
{
    fixture *f = *state;
    cvo_id_key a, b, c;
    assert_int_equal(cvo_id_key_load(f->ctx, f->state, NULL, &a), CVO_OK);
    assert_int_equal(cvo_id_key_load(f->ctx, f->state, NULL, &b), CVO_OK);
    assert_memory_equal(&a, &b, sizeof a);
    cvo_config *config = NULL;
    assert_int_equal(cvo_config_new(f->ctx, &config), CVO_OK);
    assert_int_equal(cvo_config_set(config, "privacy", "id_key", "our secret"), CVO_OK);
    assert_int_equal(cvo_id_key_load(f->ctx, NULL, config, &c), CVO_OK);
    assert_memory_not_equal(&a, &c, sizeof a);
    assert_int_equal(cvo_id_key_load(f->ctx, NULL, NULL, &c), CVO_ERR_ARGUMENT);
    cvo_config_free(config);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_gorgias_pacing),
        T(test_klaviyo_event_pacing),
        T(test_retry_after),
        T(test_klaviyo_5xx_retried),
        T(test_gorgias_5xx_unknown),
        T(test_klaviyo_timeouts),
        T(test_timeouts_from_config),
        T(test_refused_with_detail),
        T(test_job_polling),
        T(test_job_not_finished),
        T(test_events_resume),
        T(test_tickets_one_per_customer),
        T(test_unset),
        T(test_withdrawn),
        T(test_old_ledger),
        T(test_dry_run),
        T(test_settings),
        T(test_id_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
