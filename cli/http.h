/* http.h - what the pushes share of libcurl: a session whose answers are kept
 * up to a cap, the options every request uses, sliding-window pacing, and the
 * server's Retry-After. Each push adds its own headers, auth and retry rule. */
#ifndef CVO_CLI_HTTP_H
#define CVO_CLI_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* At most `burst` requests in any burst_s seconds and `steady` in any
 * steady_s seconds (burst <= steady; stamps holds `steady` entries). */
typedef struct http_window {
    double *stamps; /* send times, a ring */
    size_t burst, steady, count, head;
    double burst_s, steady_s;
} http_window;

/* Sleeps until one more request fits, then records it. */
void http_window_wait(http_window *w);

typedef struct http_session {
    CURL *curl;
    CURLcode transfer; /* of the last request */
    char error[CURL_ERROR_SIZE];
    char *reply;       /* the last answer's body, cut at reply_max, NUL-terminated */
    size_t reply_len, reply_max;
} http_session;

/* Starts libcurl and a handle with the common options (http/https only, no
 * signals, the given total timeout, answers kept up to reply_max bytes).
 * false (with the message printed under name) when it cannot. */
bool http_open(http_session *s, const char *name, size_t reply_max, long timeout_s);
void http_close(http_session *s);
/* Performs the request set up on s->curl: the HTTP status, 0 without an answer. */
long http_perform(http_session *s);
/* The answer's Retry-After in seconds, clamped to cap; 0 when none. */
long http_retry_after(http_session *s, long cap);
/* Why there was no answer: libcurl's message. */
const char *http_failure(const http_session *s);
/* The answer as one printable line of at most max bytes. */
void http_reply_print(const http_session *s, FILE *out, size_t max);

#endif
