/* session.h - what the Klaviyo and Gorgias clients share: pacing under a
 * service's rate limits (sliding windows on the transport's clock), one request
 * tried as often as is safe, the failure message, the report lines, and the
 * checks of base URLs and secrets. */
#ifndef CVO_PUSH_SESSION_H
#define CVO_PUSH_SESSION_H

#include "base/ctx.h"
#include "cvo.h"

#include <stdbool.h>
#include <stddef.h>

/* At most `burst` requests in any burst_s seconds and `steady` in any steady_s
 * seconds (burst <= steady): stricter than the services' fixed windows. */
typedef struct push_window {
    double *stamps; /* send times, a ring of `steady` entries */
    size_t burst, steady, count, head;
    double burst_s, steady_s;
} push_window;

/* The ring comes from ctx; CVO_ERR_NOMEM. */
cvo_status window_init(push_window *w, cvo_ctx *ctx, size_t burst, double burst_s, size_t steady,
                       double steady_s) CVO_MUST_USE;
void window_free(push_window *w, cvo_ctx *ctx);

/* Which failures a request may be tried again after. */
typedef enum push_retry {
    RETRY_IDEMPOTENT, /* 429, 5xx, no connection, timeouts, broken connections */
    RETRY_UNSENT      /* only 429 and no connection: a repeat could do it twice */
} push_retry;

/* How a request ended, after its tries. */
typedef enum push_outcome {
    OUTCOME_ACCEPTED, /* 2xx */
    OUTCOME_REFUSED,  /* another answer: nothing done (4xx but 429) */
    OUTCOME_NOT_DONE, /* surely nothing done: 429 or no connection to the end (and, for
                         idempotent requests, 5xx: the service said it failed) */
    OUTCOME_UNKNOWN   /* maybe done: a timeout or broken connection (and 5xx when a
                         repeat is not safe) */
} push_outcome;

typedef struct push_session {
    cvo_ctx *ctx;
    cvo_transport *transport;
    const char *name; /* "klaviyo", "gorgias": the start of every line */
    const char *base_url;
    cvo_push_report report;
    void *report_data;
    double timeout_s, connect_timeout_s;
    int tries;
    cvo_http_response response; /* of the last try */
    int tries_made;             /* of the last request */
    size_t *requests;           /* counts every try */
} push_session;

/* Reads [push] of o->config. */
void session_init(push_session *s, cvo_ctx *ctx, const cvo_push_options *o, const char *name,
                  const char *base_url, size_t *requests);
/* One line for the report callback: "<name>: <text>". */
void session_say(const push_session *s, cvo_push_line kind, const char *format, ...)
    CVO_PRINTF(3, 4);

/* Sends request (its timeouts are the session's), paced by w, tried up to
 * s->tries times as policy allows; where names it in the lines ("klaviyo/
 * events.jsonl:3"). *outcome says how it ended; s->response is the last try's.
 * Errors: only the transport's own (CVO_ERR_NOMEM). */
cvo_status session_send(push_session *s, push_window *w, cvo_http_request *request,
                        push_retry policy, const char *where, push_outcome *outcome) CVO_MUST_USE;
/* Sets the message for a request that ended as outcome at where and returns
 * CVO_ERR_REMOTE: the status and the service's own words, or why there was no
 * answer and after how many tries; then `consequence` (may be ""). */
cvo_status session_fail(push_session *s, const char *where, push_outcome outcome,
                        const char *consequence);

/* The service's words in an error answer: Klaviyo's errors[0] title and detail,
 * Gorgias' error message, else the body as one printable line, cut at cap - 1. */
void session_reply_words(const cvo_http_response *r, char *out, size_t cap);

/* The checks every client starts with: ctx, options with a dir, and result
 * (zeroed). CVO_ERR_ARGUMENT with "<name>: ..." otherwise. */
cvo_status session_begin(cvo_ctx *ctx, const cvo_push_options *o, cvo_push_result *result,
                         const char *name) CVO_MUST_USE;

/* One line of a file: its 1-based number and its text without the line end. */
typedef cvo_status (*line_fn)(void *user, unsigned long number, char *text, size_t len);
/* Calls each for every line of path but blank ones, in order; stops at its first
 * failure. CVO_ERR_IO ("<name>: path: ... (run analyze first)") when unreadable. */
cvo_status session_lines(cvo_ctx *ctx, const char *name, const char *path, line_fn each,
                         void *user) CVO_MUST_USE;

/* Checks of settings; false with the message set (CVO_ERR_ARGUMENT for the caller). */
/* An https:// URL (http:// only for 127.0.0.1, localhost or [::1]) without query
 * or user part; copied without trailing '/' into out (cap bytes). */
bool session_base_url(cvo_ctx *ctx, const char *what, const char *url, char *out, size_t cap);
/* 1..max printable ASCII characters, no blank, none of banned. */
bool session_secret(cvo_ctx *ctx, const char *what, const char *value, size_t max,
                    const char *banned);

#endif
