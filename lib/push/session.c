/* session.c - pacing, tries and failure messages of one push (see session.h).
 * Every wait goes through the transport's clock, so a test's fake clock sees
 * exactly the pacing and backoff a real run would do. */
#include "push/session.h"

#include "push/jsonread.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    RETRY_AFTER_MAX_S = 60, /* a longer Retry-After is clamped: the steady windows are a minute */
    BACKOFF_MAX_S = 30,
    WORDS_MAX = 300
};

/* ---- pacing ------------------------------------------------------------------------- */

cvo_status window_init(push_window *w, cvo_ctx *ctx, size_t burst, double burst_s, size_t steady,
                       double steady_s)
{
    *w = (push_window){
        mem_array(ctx, steady, sizeof(double)), burst, steady, 0, 0, burst_s, steady_s};
    return w->stamps ? CVO_OK : ctx_nomem(ctx);
}

void window_free(push_window *w, cvo_ctx *ctx)
{
    mem_free(ctx, w->stamps);
    w->stamps = NULL;
}

/* Sleeps until one more request fits, then records it. A small margin keeps the
 * count under the service's limit when the clocks disagree a little. */
static void window_wait(push_window *w, cvo_transport *t)
{
    const double margin = 0.05;
    if (w->count >= w->burst) {
        double oldest = w->stamps[(w->head + w->steady - w->burst) % w->steady];
        double wait = oldest + w->burst_s + margin - t->now(t->self);
        if (wait > 0)
            t->sleep(t->self, wait);
    }
    if (w->count >= w->steady) {
        double wait = w->stamps[w->head] + w->steady_s + margin - t->now(t->self);
        if (wait > 0)
            t->sleep(t->self, wait);
    }
    w->stamps[w->head] = t->now(t->self);
    w->head = (w->head + 1) % w->steady;
    if (w->count < w->steady)
        w->count++;
}

/* ---- lines -------------------------------------------------------------------------- */

void session_init(push_session *s, cvo_ctx *ctx, const cvo_push_options *o, const char *name,
                  const char *base_url, size_t *requests)
{
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->transport = o->transport;
    s->name = name;
    s->base_url = base_url;
    s->report = o->report;
    s->report_data = o->report_data;
    s->timeout_s = cvo_config_number(o->config, "push", "timeout_seconds");
    s->connect_timeout_s = cvo_config_number(o->config, "push", "connect_timeout_seconds");
    s->tries = (int)cvo_config_number(o->config, "push", "tries");
    s->requests = requests;
}

void session_say(const push_session *s, cvo_push_line kind, const char *format, ...)
{
    if (s->report == NULL)
        return;
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: ", s->name);
    va_list args;
    va_start(args, format);
    vsnprintf(line + n, sizeof line - (size_t)n, format, args);
    va_end(args);
    s->report(s->report_data, kind, line);
}

/* ---- one request, tried as often as is safe ------------------------------------------- */

static bool answered(const cvo_http_response *r)
{
    return r->failure == CVO_NET_ANSWERED && r->status > 0;
}

/* Whether try number `made` may be followed by another. */
static bool worth_retry(const cvo_http_response *r, push_retry policy)
{
    if (answered(r))
        return r->status == 429 || (r->status >= 500 && policy == RETRY_IDEMPOTENT);
    return r->failure == CVO_NET_NOT_SENT || policy == RETRY_IDEMPOTENT;
}

static push_outcome outcome_of(const cvo_http_response *r, push_retry policy)
{
    if (answered(r)) {
        if (r->status >= 200 && r->status <= 299)
            return OUTCOME_ACCEPTED;
        if (r->status == 429)
            return OUTCOME_NOT_DONE;
        if (r->status >= 500)
            return policy == RETRY_IDEMPOTENT ? OUTCOME_NOT_DONE : OUTCOME_UNKNOWN;
        return OUTCOME_REFUSED;
    }
    return r->failure == CVO_NET_NOT_SENT ? OUTCOME_NOT_DONE : OUTCOME_UNKNOWN;
}

/* Seconds before try `next`: Retry-After on a 429 (clamped), else 1, 2, 4 .. capped. */
static double retry_delay(const cvo_http_response *r, int next)
{
    if (answered(r) && r->status == 429 && r->retry_after_s > 0)
        return r->retry_after_s < RETRY_AFTER_MAX_S ? r->retry_after_s : RETRY_AFTER_MAX_S;
    double backoff = ldexp(1.0, next - 2);
    return backoff < BACKOFF_MAX_S ? backoff : BACKOFF_MAX_S;
}

static void say_retry(const push_session *s, const char *where, int next, double delay)
{
    const cvo_http_response *r = &s->response;
    if (answered(r))
        session_say(s, CVO_PUSH_PROGRESS, "%s: HTTP %ld, retrying in %g s (try %d of %d)", where,
                    r->status, delay, next, s->tries);
    else
        session_say(s, CVO_PUSH_PROGRESS, "%s: %s, retrying in %g s (try %d of %d)", where,
                    r->error[0] ? r->error : "no answer", delay, next, s->tries);
}

static cvo_status try_once(push_session *s, push_window *w, const cvo_http_request *request)
{
    window_wait(w, s->transport);
    memset(&s->response, 0, sizeof s->response);
    s->response.retry_after_s = -1;
    s->response.body = "";
    (*s->requests)++;
    cvo_status status = s->transport->send(s->transport->self, request, &s->response);
    if (status != CVO_OK)
        return status;
    if (s->response.body == NULL) {
        s->response.body = "";
        s->response.body_len = 0;
    }
    if (s->response.status > 0)
        s->response.failure = CVO_NET_ANSWERED;
    else if (s->response.failure == CVO_NET_ANSWERED)
        s->response.failure = CVO_NET_BROKEN; /* no status is no answer */
    return CVO_OK;
}

cvo_status session_send(push_session *s, push_window *w, cvo_http_request *request,
                        push_retry policy, const char *where, push_outcome *outcome)
{
    request->timeout_s = s->timeout_s;
    request->connect_timeout_s = s->connect_timeout_s;
    for (s->tries_made = 1;; s->tries_made++) {
        CVO_TRY(try_once(s, w, request));
        if (s->tries_made >= s->tries || !worth_retry(&s->response, policy))
            break;
        double delay = retry_delay(&s->response, s->tries_made + 1);
        say_retry(s, where, s->tries_made + 1, delay);
        s->transport->sleep(s->transport->self, delay);
    }
    *outcome = outcome_of(&s->response, policy);
    return CVO_OK;
}

/* ---- messages ---------------------------------------------------------------------- */

static void printable_line(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        out[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    out[n] = '\0';
}

void session_reply_words(const cvo_http_response *r, char *out, size_t cap)
{
    json_t *root = jsonread_parse(r->body, r->body_len);
    const char *title = jsonread_text(root, "errors.0.title");
    const char *detail = jsonread_text(root, "errors.0.detail");
    const char *message = jsonread_text(root, "error.msg");
    if (message == NULL)
        message = jsonread_text(root, "message");
    char words[WORDS_MAX + 1];
    if (title || detail)
        snprintf(words, sizeof words, "%s%s%s", title ? title : "", title && detail ? ": " : "",
                 detail ? detail : "");
    else if (message)
        snprintf(words, sizeof words, "%s", message);
    else
        printable_line(r->body, r->body_len, words, sizeof words);
    json_decref(root);
    printable_line(words, strlen(words), out, cap);
}

cvo_status session_fail(push_session *s, const char *where, push_outcome outcome,
                        const char *consequence)
{
    const cvo_http_response *r = &s->response;
    char words[WORDS_MAX + 1] = "";
    if (answered(r)) {
        session_reply_words(r, words, sizeof words);
        return ctx_fail(s->ctx, CVO_ERR_REMOTE, "%s: %s: HTTP %ld%s%s%s%s%s", s->name, where,
                        r->status, outcome == OUTCOME_REFUSED ? "" : " (tries exhausted)",
                        words[0] ? ": " : "", words, consequence[0] ? "; " : "", consequence);
    }
    return ctx_fail(s->ctx, CVO_ERR_REMOTE, "%s: %s: no answer from %s within %g s (%d %s): %s%s%s",
                    s->name, where, s->base_url, s->timeout_s, s->tries_made,
                    s->tries_made == 1 ? "try" : "tries", r->error[0] ? r->error : "no answer",
                    consequence[0] ? "; " : "", consequence);
}

/* ---- the files ----------------------------------------------------------------------- */

cvo_status session_begin(cvo_ctx *ctx, const cvo_push_options *o, cvo_push_result *result,
                         const char *name)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (o == NULL || result == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "%s: no options or result", name);
    memset(result, 0, sizeof *result);
    if (o->dir == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "%s: no output directory", name);
    return CVO_OK;
}

cvo_status session_lines(cvo_ctx *ctx, const char *name, const char *path, line_fn each, void *user)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        return ctx_fail(ctx, CVO_ERR_IO, "%s: %s: %s (run analyze first)", name, path,
                        strerror(errno));
    char *text = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long number = 0;
    cvo_status status = CVO_OK;
    while (status == CVO_OK && (got = getline(&text, &cap, in)) >= 0) {
        size_t len = (size_t)got;
        number++;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            len--;
        if (strspn(text, " \t\r\n") < len)
            status = each(user, number, text, len);
    }
    if (status == CVO_OK && ferror(in))
        status = ctx_fail(ctx, CVO_ERR_IO, "%s: %s: read error", name, path);
    free(text); /* getline's */
    fclose(in);
    return status;
}

/* ---- settings ----------------------------------------------------------------------- */

static bool printable(const char *text, size_t max, const char *banned)
{
    size_t len = strlen(text);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (text[i] <= ' ' || text[i] > '~' || strchr(banned, text[i]))
            return false;
    return true;
}

static bool loopback_host(const char *host)
{
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(host, names[i], n) == 0 &&
            (host[n] == '\0' || host[n] == ':' || host[n] == '/'))
            return strspn(host + n + (host[n] == ':'), "0123456789") <= 5;
    }
    return false;
}

bool session_base_url(cvo_ctx *ctx, const char *what, const char *url, char *out, size_t cap)
{
    size_t len = url ? strlen(url) : 0;
    while (len > 0 && url[len - 1] == '/')
        len--;
    bool secure = url && strncmp(url, "https://", 8) == 0;
    bool ok = url && len < cap && printable(url, cap + 64, "?#@") &&
              (secure ? url[8] != '\0' && url[8] != '/'
                      : strncmp(url, "http://", 7) == 0 && loopback_host(url + 7));
    if (!ok) {
        ctx_fail(ctx, CVO_ERR_ARGUMENT,
                 "%s must be an https:// URL (http:// only for 127.0.0.1, localhost or [::1]), "
                 "without query or user part, at most %zu bytes",
                 what, cap - 1);
        return false;
    }
    memcpy(out, url, len);
    out[len] = '\0';
    return true;
}

bool session_secret(cvo_ctx *ctx, const char *what, const char *value, size_t max,
                    const char *banned)
{
    if (value == NULL || value[0] == '\0') {
        ctx_fail(ctx, CVO_ERR_ARGUMENT, "%s is not set", what);
        return false;
    }
    if (!printable(value, max, banned)) {
        ctx_fail(ctx, CVO_ERR_ARGUMENT,
                 "%s holds a blank, control or non-ASCII character%s%s, or is over %zu bytes", what,
                 banned[0] ? " or " : "", banned[0] ? banned : "", max);
        return false;
    }
    return true;
}
