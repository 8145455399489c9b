/* curl_transport.c - the production cvo_transport: one libcurl easy handle,
 * http and https only, no signals, the answer kept up to REPLY_MAX bytes (a
 * longer one is cut, never an error), and the monotonic clock. */
#include "base/ctx.h"
#include "cvo.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { REPLY_MAX = 1 << 20 };

typedef struct curl_transport {
    cvo_ctx *ctx;
    CURL *curl;
    char *reply; /* REPLY_MAX + 1 bytes */
    size_t reply_len;
    char error[CURL_ERROR_SIZE];
    cvo_http_response *response; /* being filled */
    FILE *sink;                  /* receive: the body goes here, not to reply */
    bool sink_failed;
} curl_transport;

static size_t reply_write(char *data, size_t size, size_t count, void *user)
{
    curl_transport *t = user;
    size_t bytes = size * count, room = REPLY_MAX - t->reply_len;
    if (t->sink != NULL) { /* a short count makes libcurl stop with CURLE_WRITE_ERROR */
        if (fwrite(data, 1, bytes, t->sink) != bytes)
            t->sink_failed = true;
        return t->sink_failed ? 0 : bytes;
    }
    size_t kept = bytes < room ? bytes : room;
    memcpy(t->reply + t->reply_len, data, kept);
    t->reply_len += kept;
    t->reply[t->reply_len] = '\0';
    return bytes;
}

/* Copies the value of header line `line` named `name` into out; false if another. */
static bool header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return false;
    const char *v = line + n + 1;
    size_t vlen = len - n - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    if (vlen >= cap)
        vlen = cap - 1;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
    return true;
}

static size_t header_seen(char *data, size_t size, size_t count, void *user)
{
    curl_transport *t = user;
    size_t len = size * count;
    char value[64];
    cvo_http_response *r = t->response;
    if (header_value(data, len, "Retry-After", value, sizeof value)) {
        char *end = NULL;
        double seconds = strtod(value, &end);
        if (end != value && *end == '\0' && seconds >= 0)
            r->retry_after_s = seconds;
    } else if (header_value(data, len, "RateLimit-Remaining", value, sizeof value) ||
               header_value(data, len, "X-Gorgias-Account-Api-Call-Limit", value, sizeof value)) {
        memcpy(r->rate_limit, value, sizeof r->rate_limit);
    }
    return len;
}

static void set_common(curl_transport *t)
{
    CURL *c = t->curl;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_seen);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cvo/" CVO_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

/* Why there was no answer: nothing issued means nothing reached the server. */
static cvo_net_failure failure_of(curl_transport *t, CURLcode code)
{
    long issued = 0;
    curl_easy_getinfo(t->curl, CURLINFO_REQUEST_SIZE, &issued);
    if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
        code == CURLE_COULDNT_RESOLVE_PROXY || issued == 0)
        return CVO_NET_NOT_SENT;
    return code == CURLE_OPERATION_TIMEDOUT ? CVO_NET_TIMEOUT : CVO_NET_BROKEN;
}

static void finish_response(curl_transport *t, CURLcode code, cvo_http_response *r)
{
    r->body = t->reply;
    r->body_len = t->reply_len;
    if (code == CURLE_OK) {
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &r->status);
#if LIBCURL_VERSION_NUM >= 0x074200 /* Retry-After as an HTTP date */
        curl_off_t after = 0;
        if (r->retry_after_s < 0 &&
            curl_easy_getinfo(t->curl, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
            r->retry_after_s = (double)after;
#endif
        r->failure = r->status > 0 ? CVO_NET_ANSWERED : CVO_NET_BROKEN;
        return;
    }
    r->status = 0;
    r->failure = failure_of(t, code);
    snprintf(r->error, sizeof r->error, "%s", t->error[0] ? t->error : curl_easy_strerror(code));
}

static cvo_status curl_exchange(curl_transport *t, const cvo_http_request *q, cvo_http_response *r)
{
    struct curl_slist *headers = NULL;
    /* "Expect:" stops libcurl from waiting for a 100 Continue before large bodies */
    for (size_t i = 0; i <= q->header_count; i++) {
        const char *line = i < q->header_count ? q->headers[i] : "Expect:";
        struct curl_slist *grown = curl_slist_append(headers, line);
        if (grown == NULL) {
            curl_slist_free_all(headers);
            return ctx_nomem(t->ctx);
        }
        headers = grown;
    }
    CURL *c = t->curl;
    curl_easy_setopt(c, CURLOPT_URL, q->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(q->timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(q->connect_timeout_s * 1000));
    if (strcmp(q->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    t->reply_len = 0;
    t->reply[0] = '\0';
    t->error[0] = '\0';
    t->response = r;
    CURLcode code = curl_easy_perform(c);
    t->response = NULL;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers); /* they held the key: libcurl keeps no copy */
    finish_response(t, code, r);
    return CVO_OK;
}

static cvo_status curl_send(void *self, const cvo_http_request *q, cvo_http_response *r)
{
    curl_transport *t = self;
    t->sink = NULL;
    return curl_exchange(t, q, r);
}

static cvo_status curl_receive(void *self, const cvo_http_request *q, FILE *out,
                               cvo_http_response *r)
{
    curl_transport *t = self;
    t->sink = out;
    t->sink_failed = false;
    cvo_status status = curl_exchange(t, q, r);
    t->sink = NULL;
    if (status == CVO_OK && t->sink_failed)
        return ctx_fail(t->ctx, CVO_ERR_WRITE, "cannot write a download: %s", strerror(errno));
    return status;
}

static double monotonic_now(void *self)
{
    (void)self;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void monotonic_sleep(void *self, double seconds)
{
    (void)self;
    if (!(seconds > 0))
        return;
    struct timespec left = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

cvo_status cvo_transport_curl_open(cvo_ctx *ctx, cvo_transport *out)
{
    if (ctx == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ctx_fail(ctx, CVO_ERR_INTERNAL, "cannot start libcurl");
    curl_transport *t = mem_alloc(ctx, sizeof *t);
    char *reply = t ? mem_alloc(ctx, REPLY_MAX + 1) : NULL;
    CURL *curl = reply ? curl_easy_init() : NULL;
    if (curl == NULL) {
        mem_free(ctx, reply);
        mem_free(ctx, t);
        curl_global_cleanup();
        return ctx_nomem(ctx);
    }
    *t = (curl_transport){ctx, curl, reply, 0, "", NULL, NULL, false};
    reply[0] = '\0';
    set_common(t);
    *out = (cvo_transport){curl_send, monotonic_now, monotonic_sleep, t, curl_receive};
    return CVO_OK;
}

void cvo_transport_curl_close(cvo_transport *transport)
{
    if (transport == NULL || transport->self == NULL)
        return;
    curl_transport *t = transport->self;
    curl_easy_cleanup(t->curl);
    mem_free(t->ctx, t->reply);
    mem_free(t->ctx, t);
    curl_global_cleanup();
    memset(transport, 0, sizeof *transport);
}
