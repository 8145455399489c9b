/* http.c - the libcurl session of the pushes. The answer buffer is allocated
 * once; a longer answer is cut, never an error. */
#include "http.h"
#include "clock.h"

#include <stdlib.h>
#include <string.h>

void http_window_wait(http_window *w)
{
    const double margin = 0.05;
    if (w->count >= w->burst)
        clock_sleep(w->stamps[(w->head + w->steady - w->burst) % w->steady] + w->burst_s +
                    margin - clock_seconds());
    if (w->count >= w->steady)
        clock_sleep(w->stamps[w->head] + w->steady_s + margin - clock_seconds());
    w->stamps[w->head] = clock_seconds();
    w->head = (w->head + 1) % w->steady;
    if (w->count < w->steady)
        w->count++;
}

static size_t reply_write(char *data, size_t size, size_t count, void *user)
{
    http_session *s = user;
    size_t bytes = size * count, room = s->reply_max - s->reply_len;
    size_t kept = bytes < room ? bytes : room;
    memcpy(s->reply + s->reply_len, data, kept);
    s->reply_len += kept;
    s->reply[s->reply_len] = '\0';
    return bytes; /* the rest is dropped, not an error */
}

static void set_options(http_session *s, long timeout_s)
{
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->error);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cvo");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

bool http_open(http_session *s, const char *name, size_t reply_max, long timeout_s)
{
    memset(s, 0, sizeof *s);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "cvo: %s: cannot start libcurl\n", name);
        return false;
    }
    s->reply = malloc(reply_max + 1);
    s->curl = s->reply ? curl_easy_init() : NULL;
    if (s->curl == NULL) {
        fprintf(stderr, "cvo: %s: out of memory\n", name);
        free(s->reply);
        curl_global_cleanup();
        return false;
    }
    s->reply_max = reply_max;
    s->reply[0] = '\0';
    set_options(s, timeout_s);
    return true;
}

void http_close(http_session *s)
{
    if (s->curl == NULL)
        return;
    curl_easy_cleanup(s->curl);
    free(s->reply);
    curl_global_cleanup();
    memset(s, 0, sizeof *s);
}

long http_perform(http_session *s)
{
    s->reply_len = 0;
    s->reply[0] = '\0';
    s->error[0] = '\0';
    long status = 0;
    s->transfer = curl_easy_perform(s->curl);
    if (s->transfer == CURLE_OK)
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

long http_retry_after(http_session *s, long cap)
{
#if LIBCURL_VERSION_NUM >= 0x074200 /* CURLINFO_RETRY_AFTER: seconds or an HTTP date */
    curl_off_t after = 0;
    if (curl_easy_getinfo(s->curl, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
        return after < cap ? (long)after : cap;
#else
    (void)s;
    (void)cap;
#endif
    return 0;
}

const char *http_failure(const http_session *s)
{
    return s->error[0] ? s->error : curl_easy_strerror(s->transfer);
}

void http_reply_print(const http_session *s, FILE *out, size_t max)
{
    for (size_t i = 0; i < s->reply_len && i < max; i++) {
        unsigned char c = (unsigned char)s->reply[i];
        fputc(c < 0x20 || c == 0x7f ? ' ' : c, out);
    }
}
