/* push_gorgias.c - sends analyze's Gorgias tickets with libcurl. Invariant: a
 * ticket's key is in the ledger (fsynced) before the next request is made, and
 * nothing whose outcome is unknown is ever sent again. */
#include "push_gorgias.h"
#include "clock.h"
#include "http.h"

#include "common.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    LINE_MAX_BYTES = 1000000, /* a ticket body; ours are a few hundred bytes */
    KEY_MAX = 255,            /* Gorgias' external_id limit */
    LEDGER_MAX = 10000000,
    SECRET_MAX = 256,
    BASE_URL_MAX = 200,
    URL_MAX = 512,
    PATH_BYTES = 4096,
    REPLY_MAX = 4096,
    TRIES_MAX = 6,
    RETRY_AFTER_MAX_S = 60,
    WINDOW_REQUESTS = 40, /* Gorgias: 40 requests per 20 s for API-key integrations */
    WINDOW_S = 20
};

#define TICKETS_PATH "/api/tickets"
#define KEY_PREFIX "{\"external_id\":\""

/* ---- settings -------------------------------------------------------------- */

typedef struct gorgias_config {
    const char *user, *key; /* NULL when unset (dry run only) */
    char base_url[BASE_URL_MAX + 1];
} gorgias_config;

static bool printable(const char *text, size_t max, const char *also_banned)
{
    size_t len = strlen(text);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (text[i] <= ' ' || text[i] > '~' || strchr(also_banned, text[i]))
            return false;
    return true;
}

static bool loopback_http(const char *host)
{
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(host, names[i], n) == 0 && (host[n] == '\0' || host[n] == ':' || host[n] == '/'))
            return strspn(host + n + (host[n] == ':'), "0123456789") <= 5;
    }
    return false;
}

static int config_base_url(gorgias_config *c)
{
    const char *url = getenv("CVO_GORGIAS_BASE_URL"), *domain = getenv("CVO_GORGIAS_DOMAIN");
    if (url == NULL || *url == '\0') {
        if (domain == NULL || !printable(domain, 63, "./:@?#_") || strspn(domain,
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen(domain)) {
            fprintf(stderr, "cvo: gorgias: CVO_GORGIAS_DOMAIN must be set to the account name "
                            "(letters, digits, '-': DOMAIN.gorgias.com)\n");
            return EXIT_USAGE;
        }
        snprintf(c->base_url, sizeof c->base_url, "https://%s.gorgias.com", domain);
        return -1;
    }
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    bool secure = strncmp(url, "https://", 8) == 0;
    bool ok = len <= BASE_URL_MAX && printable(url, BASE_URL_MAX, "?#@") &&
              (secure ? url[8] != '\0' && url[8] != '/'
                      : strncmp(url, "http://", 7) == 0 && loopback_http(url + 7));
    if (!ok) {
        fprintf(stderr, "cvo: gorgias: CVO_GORGIAS_BASE_URL must be an https:// URL (http:// "
                        "only for 127.0.0.1, localhost or [::1]), without query or user part\n");
        return EXIT_USAGE;
    }
    memcpy(c->base_url, url, len);
    c->base_url[len] = '\0';
    return -1;
}

/* -1 to go on, or an exit code. */
static int config_read(gorgias_config *c, bool dry_run)
{
    int code = config_base_url(c);
    if (code >= 0)
        return code;
    static const char *const names[2] = {"CVO_GORGIAS_USER", "CVO_GORGIAS_API_KEY"};
    const char *values[2] = {getenv(names[0]), getenv(names[1])};
    for (int i = 0; i < 2; i++) {
        if (values[i] != NULL && *values[i] == '\0')
            values[i] = NULL;
        if (values[i] == NULL && !dry_run) {
            fprintf(stderr, "cvo: gorgias: %s is not set\n", names[i]);
            return EXIT_USAGE;
        }
        if (values[i] != NULL && !printable(values[i], SECRET_MAX, i == 0 ? ":" : "")) {
            fprintf(stderr, "cvo: gorgias: %s holds a blank, control or non-ASCII character%s\n",
                    names[i], i == 0 ? " or ':'" : "");
            return EXIT_USAGE;
        }
    }
    c->user = values[0];
    c->key = values[1];
    return -1;
}

/* ---- the ledger: sorted keys in memory, appended and fsynced on disk ------- */

typedef struct ledger {
    char path[PATH_BYTES];
    char **keys;
    size_t count, cap;
    int fd; /* -1 until the first append */
} ledger;

static int key_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ledger_has(const ledger *l, const char *key)
{
    return l->count > 0 && bsearch(&key, l->keys, l->count, sizeof *l->keys, key_compare) != NULL;
}

/* Inserts a copy of key[0..len) in order; false when out of memory or full. */
static bool ledger_insert(ledger *l, const char *key, size_t len)
{
    if (l->count == LEDGER_MAX)
        return false;
    if (l->count == l->cap) {
        size_t grown = l->cap ? l->cap * 2 : 64;
        char **keys = realloc(l->keys, grown * sizeof *keys);
        if (keys == NULL)
            return false;
        l->keys = keys;
        l->cap = grown;
    }
    char *copy = strndup(key, len);
    if (copy == NULL)
        return false;
    size_t at = 0;
    while (at < l->count && strcmp(l->keys[at], copy) < 0)
        at++;
    memmove(l->keys + at + 1, l->keys + at, (l->count - at) * sizeof *l->keys);
    l->keys[at] = copy;
    l->count++;
    return true;
}

static void ledger_free(ledger *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->keys[i]);
    free(l->keys);
    if (l->fd >= 0)
        close(l->fd);
}

/* Reads the ledger (missing is empty): one key per line, "\t..." notes ignored. */
static int ledger_load(ledger *l)
{
    FILE *f = fopen(l->path, "rb");
    if (f == NULL)
        return errno == ENOENT ? EXIT_OK : (fprintf(stderr, "cvo: gorgias: %s: %s\n", l->path,
                                                    strerror(errno)), EXIT_INPUT);
    char *text = NULL;
    size_t cap = 0;
    ssize_t got;
    int code = EXIT_OK;
    while (code == EXIT_OK && (got = getline(&text, &cap, f)) >= 0) {
        size_t len = strcspn(text, "\t\r\n");
        if (len > 0 && !ledger_insert(l, text, len)) {
            fprintf(stderr, "cvo: gorgias: %s: out of memory or too many keys\n", l->path);
            code = EXIT_SYSTEM;
        }
    }
    free(text);
    fclose(f);
    if (code == EXIT_OK && l->count > 1)
        qsort(l->keys, l->count, sizeof *l->keys, key_compare);
    return code;
}

/* Appends "key[note]\n" and makes it durable before anything else is sent. */
static int ledger_append(ledger *l, const char *key, const char *note)
{
    if (l->fd < 0)
        l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    char line[KEY_MAX + 32];
    int n = snprintf(line, sizeof line, "%s%s\n", key, note);
    if (l->fd < 0 || write(l->fd, line, (size_t)n) != n || fsync(l->fd) != 0) {
        fprintf(stderr, "cvo: gorgias: %s: cannot record '%s': %s\n", l->path, key,
                strerror(errno));
        return EXIT_SYSTEM;
    }
    return ledger_insert(l, key, strlen(key)) ? EXIT_OK : EXIT_SYSTEM;
}

/* ---- the tickets file ------------------------------------------------------- */

typedef struct ticket {
    const char *body;
    size_t len;
    unsigned long number;
    char key[KEY_MAX + 1]; /* the external_id as written (JSON-escaped) */
} ticket;

typedef int (*ticket_visit)(const ticket *t, void *user);

/* The external_id opening the body: its escaped text up to the closing quote. */
static bool ticket_key(ticket *t)
{
    size_t prefix = strlen(KEY_PREFIX);
    if (t->len < prefix + 3 || memcmp(t->body, KEY_PREFIX, prefix) != 0 ||
        t->body[t->len - 1] != '}')
        return false;
    size_t i = prefix;
    while (i < t->len && t->body[i] != '"')
        i += t->body[i] == '\\' ? 2 : 1;
    size_t len = i - prefix;
    if (i >= t->len || len == 0 || len > KEY_MAX)
        return false;
    memcpy(t->key, t->body + prefix, len);
    t->key[len] = '\0';
    return true;
}

static int tickets_each(const char *path, ticket_visit visit, void *user)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cvo: gorgias: %s: %s (run analyze first)\n", path, strerror(errno));
        return EXIT_INPUT;
    }
    char *text = NULL;
    size_t cap = 0;
    ssize_t got;
    ticket t = {0};
    int code = EXIT_OK;
    while (code == EXIT_OK && (got = getline(&text, &cap, f)) >= 0) {
        t = (ticket){text, (size_t)got, t.number + 1, ""};
        while (t.len > 0 && (text[t.len - 1] == '\n' || text[t.len - 1] == '\r'))
            t.len--;
        if (t.len == 0)
            continue;
        if (t.len > LINE_MAX_BYTES || memchr(t.body, '\0', t.len) || !ticket_key(&t)) {
            fprintf(stderr, "cvo: gorgias: %s:%lu: not a ticket body opening with its "
                            "external_id\n", path, t.number);
            code = EXIT_INPUT;
        } else {
            code = visit(&t, user);
        }
    }
    if (code == EXIT_OK && ferror(f)) {
        fprintf(stderr, "cvo: gorgias: %s: read error\n", path);
        code = EXIT_INPUT;
    }
    free(text);
    fclose(f);
    return code;
}

static int ticket_check(const ticket *t, void *user)
{
    return EXIT_OK;
}

/* ---- time and pacing -------------------------------------------------------- */


/* ---- the session ------------------------------------------------------------ */

typedef struct session {
    http_session http;
    struct curl_slist *headers;
    const gorgias_config *config;
    ledger *ledger;
    const char *tickets_path;
    bool quiet;
    http_window window;
    double stamps[WINDOW_REQUESTS];
    size_t sent, skipped;
} session;

static bool session_setup(session *s)
{
    const char *lines[] = {"Accept: application/json", "Content-Type: application/json",
                           "Expect:"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        struct curl_slist *grown = curl_slist_append(s->headers, lines[i]);
        if (grown == NULL)
            return false;
        s->headers = grown;
    }
    CURL *c = s->http.curl;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, s->config->user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, s->config->key);
    char url[URL_MAX];
    snprintf(url, sizeof url, "%s" TICKETS_PATH, s->config->base_url);
    curl_easy_setopt(c, CURLOPT_URL, url); /* libcurl copies it */
    return true;
}

static long session_try(session *s, const ticket *t)
{
    curl_easy_setopt(s->http.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->len);
    curl_easy_setopt(s->http.curl, CURLOPT_POSTFIELDS, t->body);
    http_window_wait(&s->window);
    return http_perform(&s->http);
}

/* Seconds to wait before another try: Retry-After on a 429 (clamped), else 1, 2, 4 ... */
static long retry_delay(session *s, long status, int attempt)
{
    long after = status == 429 ? http_retry_after(&s->http, RETRY_AFTER_MAX_S) : 0;
    return after > 0 ? after : 1L << (attempt - 1);
}

/* A try that surely made no ticket and may be repeated. */
static bool nothing_made(long status, CURLcode transfer)
{
    return status == 429 ||
           (status == 0 && (transfer == CURLE_COULDNT_CONNECT ||
                            transfer == CURLE_COULDNT_RESOLVE_HOST));
}

static int report_failure(session *s, const ticket *t, long status)
{
    fprintf(stderr, "cvo: gorgias: %s:%lu (%s): ", s->tickets_path, t->number, t->key);
    if (status == 0)
        fprintf(stderr, "no answer from %s: %s", s->config->base_url, http_failure(&s->http));
    else
        fprintf(stderr, "HTTP %ld%s", status, status == 429 ? " (tries exhausted)" : "");
    if (status != 0 && s->http.reply_len > 0) {
        fputs(": ", stderr); /* Gorgias' answer as one printable line, cut short */
        http_reply_print(&s->http, stderr, 300);
    }
    fputc('\n', stderr);
    if (status == 401 || status == 403)
        fprintf(stderr, "cvo: gorgias: check CVO_GORGIAS_USER and CVO_GORGIAS_API_KEY\n");
    if (nothing_made(status, s->http.transfer) || (status >= 400 && status < 500))
        return EXIT_SYSTEM;
    fprintf(stderr, "cvo: gorgias: the ticket may have been made; recorded as unconfirmed in %s "
                    "and never sent again: check it in Gorgias\n", s->ledger->path);
    int code = ledger_append(s->ledger, t->key, "\tunconfirmed");
    return code == EXIT_OK ? EXIT_SYSTEM : code;
}

static int ticket_send(const ticket *t, void *user)
{
    session *s = user;
    if (ledger_has(s->ledger, t->key)) {
        s->skipped++;
        return EXIT_OK;
    }
    long status = 0;
    for (int attempt = 1; attempt <= TRIES_MAX; attempt++) {
        status = session_try(s, t);
        if (!nothing_made(status, s->http.transfer) || attempt == TRIES_MAX)
            break;
        long delay = retry_delay(s, status, attempt);
        if (!s->quiet)
            fprintf(stderr, "gorgias: %s:%lu: %s, retrying in %ld s (try %d of %d)\n",
                    s->tickets_path, t->number, status ? "HTTP 429" : "no connection", delay,
                    attempt + 1, TRIES_MAX);
        clock_sleep((double)delay);
    }
    if (status < 200 || status > 299)
        return report_failure(s, t, status);
    s->sent++;
    return ledger_append(s->ledger, t->key, "");
}

/* ---- dry run ---------------------------------------------------------------- */

typedef struct dry_plan {
    const gorgias_config *config;
    const ledger *ledger;
    const char *path;
    size_t would, skipped;
} dry_plan;

static int dry_print(const ticket *t, void *user)
{
    dry_plan *d = user;
    if (ledger_has(d->ledger, t->key)) {
        d->skipped++;
        printf("skip %s:%lu  %s  (in the ledger)\n", d->path, t->number, t->key);
        return EXIT_OK;
    }
    d->would++;
    printf("POST %s" TICKETS_PATH "  %s:%lu  %s  %zu bytes\n", d->config->base_url, d->path,
           t->number, t->key, t->len);
    return EXIT_OK;
}

static int dry_run_print(const gorgias_config *c, const ledger *l, const char *path)
{
    printf("gorgias dry run: nothing is sent. Headers of every request:\n");
    printf("  Authorization: Basic base64(%s:%s)\n", c->user ? c->user : "(CVO_GORGIAS_USER unset)",
           c->key ? "********" : "(CVO_GORGIAS_API_KEY unset)");
    printf("  Content-Type: application/json\n  Accept: application/json\n");
    dry_plan d = {c, l, path, 0, 0};
    int code = tickets_each(path, dry_print, &d);
    printf("gorgias: %zu tickets would be sent, %zu already in the ledger\n", d.would, d.skipped);
    return code;
}

/* ---- the entry point -------------------------------------------------------- */

static int push_send(const gorgias_config *c, ledger *l, const char *path, bool quiet)
{
    session *s = calloc(1, sizeof *s);
    if (s == NULL || !http_open(&s->http, "gorgias", REPLY_MAX, 60L)) {
        if (s == NULL)
            fprintf(stderr, "cvo: gorgias: out of memory\n");
        free(s);
        return EXIT_SYSTEM;
    }
    s->config = c;
    s->ledger = l;
    s->tickets_path = path;
    s->quiet = quiet;
    s->window = (http_window){s->stamps, WINDOW_REQUESTS, WINDOW_REQUESTS, 0, 0, WINDOW_S, WINDOW_S};
    int code = session_setup(s) ? tickets_each(path, ticket_send, s) : EXIT_SYSTEM;
    if (!quiet)
        fprintf(stderr, "gorgias: %zu tickets sent, %zu already in the ledger\n", s->sent,
                s->skipped);
    curl_slist_free_all(s->headers);
    http_close(&s->http);
    free(s);
    return code;
}

int push_gorgias(const char *dir, bool dry_run, bool quiet)
{
    gorgias_config config = {0};
    ledger book = {.fd = -1};
    char path[PATH_BYTES];
    int code = config_read(&config, dry_run);
    if (code >= 0)
        return code;
    int n = snprintf(path, sizeof path, "%s/gorgias/tickets.jsonl", dir);
    int m = snprintf(book.path, sizeof book.path, "%s/gorgias/sent.ledger", dir);
    if (n <= 0 || n >= PATH_BYTES || m <= 0 || m >= PATH_BYTES) {
        fprintf(stderr, "cvo: gorgias: %s: path too long\n", dir);
        return EXIT_INPUT;
    }
    code = ledger_load(&book);
    if (code == EXIT_OK)
        code = tickets_each(path, ticket_check, NULL); /* every line checks out first */
    if (code == EXIT_OK)
        code = dry_run ? dry_run_print(&config, &book, path)
                       : push_send(&config, &book, path, quiet);
    ledger_free(&book);
    return code;
}
