/* push_klaviyo.c - sends analyze's Klaviyo bodies with libcurl: plan (list and
 * check every file), then send bulk jobs, follow them, send events. Nothing is
 * sent unless the whole plan checks out; the key only ever goes into a header. */
#include "push_klaviyo.h"
#include "clock.h"
#include "http.h"

#include "common.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

enum {
    BODY_MAX_BYTES = 5000000, /* Klaviyo's 5 MB payload limit, as lib/output/klaviyo.c counts it */
    BULK_FILES_MAX = 100000,
    EVENTS_MAX = 10000000,
    RESPONSE_MAX_BYTES = 64 * 1024, /* kept of an answer; enough for errors and job status */
    TRIES_MAX = 6,                  /* per request: the first try and five retries */
    RETRY_AFTER_MAX_S = 60,         /* Klaviyo's steady window; a longer Retry-After is clamped */
    BACKOFF_MAX_S = 30,
    POLL_INTERVAL_MAX_S = 10,
    WAIT_DEFAULT_S = 60,
    WAIT_MAX_S = 3600,
    KEY_MAX = 256,
    URL_MAX = 512,
    BASE_URL_MAX = 200,
    PATH_BYTES = 4096,
    JOB_ID_MAX = 64,
    TEXT_MAX = 512,
    JSON_DEPTH_MAX = 64,
    BULK_BURST = 10, /* per second, and per minute below: Klaviyo's bulk-import limits */
    BULK_STEADY = 150,
    EVENT_BURST = 350,
    EVENT_STEADY = 3500
};

#define DEFAULT_BASE_URL "https://a.klaviyo.com"
#define BULK_PATH "/api/profile-bulk-import-jobs"
#define EVENTS_PATH "/api/events"
#define MEDIA_TYPE "application/vnd.api+json"

/* ---- time --------------------------------------------------------------- */


/* ---- a tiny JSON scanner: key/value pairs with their nesting depth ------- */

typedef struct json_pair {
    const char *key, *value;
    size_t key_len, value_len;
    int depth;      /* containers around the key: 1 for a member of the top object */
    bool is_string; /* value is the raw text between the quotes */
} json_pair;

/* Return false to stop the walk. */
typedef bool (*json_visit)(const json_pair *pair, void *user);

/* Index of the quote closing a string whose text starts at i, or len. */
static size_t json_string_end(const char *t, size_t len, size_t i)
{
    while (i < len && t[i] != '"')
        i += t[i] == '\\' ? 2 : 1;
    return i < len ? i : len;
}

static size_t json_skip_space(const char *t, size_t len, size_t i)
{
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

static size_t json_scalar_end(const char *t, size_t len, size_t i)
{
    while (i < len && !strchr(",}] \t\r\n", t[i]))
        i++;
    return i;
}

/* Calls visit for every member whose value is a string or a scalar. False when
 * the text is not balanced JSON (unterminated string, brackets off, too deep). */
static bool json_walk(const char *t, size_t len, json_visit visit, void *user)
{
    json_pair pair = {0};
    bool have_key = false;
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (c == '{' || c == '[') {
            have_key = false;
            if (++depth > JSON_DEPTH_MAX)
                return false;
        } else if (c == '}' || c == ']') {
            if (--depth < 0)
                return false;
        } else if (c == '"') {
            size_t end = json_string_end(t, len, i + 1);
            if (end == len)
                return false;
            size_t next = json_skip_space(t, len, end + 1);
            if (next < len && t[next] == ':') {
                pair = (json_pair){t + i + 1, NULL, end - i - 1, 0, depth, true};
                have_key = true;
                i = next;
                continue;
            }
            if (have_key) {
                pair.value = t + i + 1;
                pair.value_len = end - i - 1;
                pair.is_string = true;
                have_key = false;
                if (!visit(&pair, user))
                    return true;
            }
            i = end;
        } else if (have_key && !strchr(", \t\r\n", c)) {
            size_t end = json_scalar_end(t, len, i);
            pair.value = t + i;
            pair.value_len = end - i;
            pair.is_string = false;
            have_key = false;
            if (!visit(&pair, user))
                return true;
            i = end - 1;
        }
    }
    return depth == 0;
}

static bool json_text_is(const char *text, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(text, want, len) == 0;
}

typedef struct json_query {
    const char *key;
    int depth;
    json_pair found;
    bool hit;
} json_query;

static bool json_query_visit(const json_pair *pair, void *user)
{
    json_query *q = user;
    if (pair->depth != q->depth || !json_text_is(pair->key, pair->key_len, q->key))
        return true;
    q->found = *pair;
    q->hit = true;
    return false;
}

/* The first member named key at depth (data.id is at 2, data.attributes.status
 * and errors[0].detail at 3). */
static bool json_find(const char *t, size_t len, const char *key, int depth, json_pair *out)
{
    json_query q = {key, depth, {0}, false};
    json_walk(t, len, json_query_visit, &q);
    *out = q.found;
    return q.hit;
}

/* Appends one byte if there is room (keeping the terminating NUL). */
static void text_put(char *out, size_t cap, size_t *n, char c)
{
    if (*n + 1 < cap)
        out[(*n)++] = c;
}

static unsigned hex_value(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = tolower((unsigned char)p[i]);
        if (!isxdigit(c))
            return 0xfffe; /* not a character we print */
        v = v * 16 + (unsigned)(isdigit(c) ? c - '0' : c - 'a' + 10);
    }
    return v;
}

/* A \u escape as UTF-8; controls, surrogates and the C1 range become '?'. */
static void text_put_code(char *out, size_t cap, size_t *n, unsigned u)
{
    if (u < 0x20 || (u >= 0x7f && u < 0xa0) || (u >= 0xd800 && u < 0xe000) || u == 0xfffe) {
        text_put(out, cap, n, '?');
    } else if (u < 0x80) {
        text_put(out, cap, n, (char)u);
    } else if (u < 0x800) {
        text_put(out, cap, n, (char)(0xc0 | (u >> 6)));
        text_put(out, cap, n, (char)(0x80 | (u & 0x3f)));
    } else {
        text_put(out, cap, n, (char)(0xe0 | (u >> 12)));
        text_put(out, cap, n, (char)(0x80 | ((u >> 6) & 0x3f)));
        text_put(out, cap, n, (char)(0x80 | (u & 0x3f)));
    }
}

/* Decodes the escape at s[i] ('\\'); returns the index after it. */
static size_t text_put_escape(const char *s, size_t len, size_t i, char *out, size_t cap, size_t *n)
{
    char e = i + 1 < len ? s[i + 1] : '?';
    if (e == 'u' && i + 6 <= len) {
        text_put_code(out, cap, n, hex_value(s + i + 2));
        return i + 6;
    }
    text_put(out, cap, n, e && strchr("\"\\/", e) ? e : e == 'n' || e == 't' ? ' ' : '?');
    return i + 2;
}

/* The pair's value as printable text: escapes decoded, every control character
 * (C0, DEL, C1) replaced, so an answer cannot drive the user's terminal. */
static void json_value_text(const json_pair *pair, char *out, size_t cap)
{
    const char *s = pair->value;
    size_t n = 0, i = 0;
    while (i < pair->value_len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && pair->is_string) {
            i = text_put_escape(s, pair->value_len, i, out, cap, &n);
            continue;
        }
        bool c1 = c == 0xc2 && i + 1 < pair->value_len && (unsigned char)s[i + 1] < 0xa0;
        text_put(out, cap, &n, c < 0x20 || c == 0x7f || c1 ? '?' : (char)c);
        i += c1 ? 2 : 1;
    }
    out[n] = '\0';
}

/* A member's value as text; "" when absent. */
static void json_get_text(const char *t, size_t len, const char *key, int depth, char *out,
                          size_t cap)
{
    json_pair pair;
    out[0] = '\0';
    if (json_find(t, len, key, depth, &pair))
        json_value_text(&pair, out, cap);
}

/* A member's value as a count; -1 when absent or not a count. */
static long long json_get_count(const char *t, size_t len, const char *key, int depth)
{
    char text[32];
    json_get_text(t, len, key, depth, text, sizeof text);
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    return text[0] == '\0' || *end != '\0' || errno || v < 0 ? -1 : v;
}

static bool json_ignore_visit(const json_pair *pair, void *user)
{
    return true;
}

static bool count_profiles_visit(const json_pair *pair, void *user)
{
    if (pair->is_string && json_text_is(pair->key, pair->key_len, "type") &&
        json_text_is(pair->value, pair->value_len, "profile"))
        ++*(size_t *)user;
    return true;
}

/* ---- configuration from the environment --------------------------------- */

typedef struct push_config {
    const char *key; /* NULL when unset (allowed for a dry run only) */
    const char *revision;
    char base_url[BASE_URL_MAX + 1];
    long wait_s;
} push_config;

static bool key_usable(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (key[i] <= ' ' || key[i] > '~')
            return false;
    return true;
}

/* YYYY-MM-DD with an optional .suffix of letters and digits (2026-07-15.pre). */
static bool revision_usable(const char *rev)
{
    size_t len = strlen(rev);
    if (len < 10 || len > 32 || rev[4] != '-' || rev[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)rev[i]))
            return false;
    if (len > 10 && (rev[10] != '.' || len == 11))
        return false;
    for (size_t i = 11; i < len; i++)
        if (!isalnum((unsigned char)rev[i]))
            return false;
    return true;
}

static bool starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* What follows the host: nothing, a path, or ":" and 1 to 5 digits. */
static bool port_usable(const char *rest)
{
    size_t digits = *rest == ':' ? strspn(rest + 1, "0123456789") : 0;
    if (*rest == ':' && (digits == 0 || digits > 5))
        return false;
    rest += *rest == ':' ? digits + 1 : 0;
    return *rest == '\0' || *rest == '/';
}

/* https:// anywhere; plain http:// only to this machine, since the key travels in it. */
static bool base_url_usable(const char *url)
{
    bool secure = starts_with(url, "https://");
    if (!secure && !starts_with(url, "http://"))
        return false;
    for (const char *p = url; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == '?' || *p == '#' || *p == '@')
            return false;
    const char *host = url + (secure ? 8 : 7);
    if (*host == '\0' || *host == '/')
        return false;
    if (secure)
        return true;
    static const char *const loopback[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof loopback / sizeof *loopback; i++) {
        size_t n = strlen(loopback[i]);
        if (strncmp(host, loopback[i], n) == 0 && port_usable(host + n))
            return true;
    }
    return false;
}

static int config_base_url(push_config *c)
{
    const char *url = getenv("CVO_KLAVIYO_BASE_URL");
    if (url == NULL || *url == '\0')
        url = DEFAULT_BASE_URL;
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    if (len > BASE_URL_MAX || !base_url_usable(url)) {
        fprintf(stderr, "cvo: klaviyo: CVO_KLAVIYO_BASE_URL must be an https:// URL (http:// only "
                        "for 127.0.0.1, localhost or [::1]), without query or user part\n");
        return EXIT_USAGE;
    }
    memcpy(c->base_url, url, len);
    c->base_url[len] = '\0';
    return -1;
}

static int config_wait(push_config *c)
{
    const char *text = getenv("CVO_KLAVIYO_WAIT");
    c->wait_s = WAIT_DEFAULT_S;
    if (text == NULL || *text == '\0')
        return -1;
    char *end;
    errno = 0;
    c->wait_s = strtol(text, &end, 10);
    if (errno || *end != '\0' || c->wait_s < 0 || c->wait_s > WAIT_MAX_S) {
        fprintf(stderr, "cvo: klaviyo: CVO_KLAVIYO_WAIT must be seconds, 0 to %d\n", WAIT_MAX_S);
        return EXIT_USAGE;
    }
    return -1;
}

static int config_key(push_config *c, bool dry_run)
{
    c->key = getenv("CVO_KLAVIYO_API_KEY");
    if (c->key != NULL && *c->key == '\0')
        c->key = NULL;
    if (c->key == NULL && !dry_run) {
        fprintf(stderr, "cvo: klaviyo: CVO_KLAVIYO_API_KEY is not set; export your private API "
                        "key in it to push (it is never taken from the command line)\n");
        return EXIT_USAGE;
    }
    if (c->key != NULL && !key_usable(c->key)) {
        fprintf(stderr,
                "cvo: klaviyo: CVO_KLAVIYO_API_KEY is not a usable key (1 to %d "
                "printable characters, no spaces)\n",
                KEY_MAX);
        return EXIT_USAGE;
    }
    return -1;
}

/* -1 to go on, or an exit code. */
static int config_read(push_config *c, const char *revision, bool dry_run)
{
    c->revision = revision != NULL ? revision : PUSH_KLAVIYO_REVISION;
    if (!revision_usable(c->revision)) {
        fprintf(stderr, "cvo: klaviyo: revision '%s' is not YYYY-MM-DD[.suffix]\n", c->revision);
        return EXIT_USAGE;
    }
    int code = config_base_url(c);
    if (code < 0)
        code = config_wait(c);
    if (code < 0)
        code = config_key(c, dry_run);
    return code;
}

/* ---- the plan: every file listed and checked before anything is sent ---- */

typedef struct bulk_job {
    char name[32]; /* NNNN.json */
    size_t bytes, profiles;
    char id[JOB_ID_MAX]; /* from the 202 answer; "" until accepted */
    char status[24];     /* queued, processing, complete, cancelled */
    long long completed, failed;
    bool followed; /* an answer about the job came back */
} bulk_job;

typedef struct push_plan {
    char bulk_dir[PATH_BYTES], events_path[PATH_BYTES];
    bulk_job *jobs;
    size_t job_count, profiles, events;
} push_plan;

static bool path_join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_BYTES, "%s/%s", dir, name);
    return n > 0 && n < PATH_BYTES;
}

/* 1 to 9 digits then ".json": what analyze writes, nothing else. */
static bool bulk_name_usable(const char *name)
{
    size_t digits = strspn(name, "0123456789");
    return digits >= 1 && digits <= 9 && strcmp(name + digits, ".json") == 0;
}

/* By number: shorter names first, then by text. */
static int bulk_job_order(const void *a, const void *b)
{
    const char *x = ((const bulk_job *)a)->name, *y = ((const bulk_job *)b)->name;
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

static int plan_add_job(push_plan *p, const char *name, size_t *cap)
{
    if (p->job_count == BULK_FILES_MAX) {
        fprintf(stderr, "cvo: klaviyo: more than %d bulk-import files\n", BULK_FILES_MAX);
        return EXIT_INPUT;
    }
    if (p->job_count == *cap) {
        size_t grown = *cap ? *cap * 2 : 16;
        bulk_job *jobs = realloc(p->jobs, grown * sizeof *jobs);
        if (jobs == NULL) {
            fprintf(stderr, "cvo: klaviyo: out of memory\n");
            return EXIT_SYSTEM;
        }
        p->jobs = jobs;
        *cap = grown;
    }
    bulk_job *job = &p->jobs[p->job_count++];
    *job = (bulk_job){.completed = -1, .failed = -1};
    memcpy(job->name, name, strlen(name) + 1); /* bulk_name_usable: at most 14 bytes */
    return EXIT_OK;
}

static int plan_list_bulk(push_plan *p)
{
    DIR *d = opendir(p->bulk_dir);
    if (d == NULL) {
        fprintf(stderr, "cvo: klaviyo: %s: %s (run analyze first)\n", p->bulk_dir, strerror(errno));
        return EXIT_INPUT;
    }
    size_t cap = 0;
    int code = EXIT_OK;
    struct dirent *e;
    while (code == EXIT_OK && (e = readdir(d)) != NULL)
        if (bulk_name_usable(e->d_name))
            code = plan_add_job(p, e->d_name, &cap);
    closedir(d);
    if (code == EXIT_OK && p->job_count > 1)
        qsort(p->jobs, p->job_count, sizeof *p->jobs, bulk_job_order);
    return code;
}

/* Reads a whole file of at most BODY_MAX_BYTES, NUL-terminated; *body is the
 * caller's to free. Prints why on failure. */
static int body_read(const char *path, char **body, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "cvo: klaviyo: %s: cannot read: %s\n", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return EXIT_INPUT;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "cvo: klaviyo: %s: not a regular file\n", path);
        fclose(f);
        return EXIT_INPUT;
    }
    if (st.st_size > BODY_MAX_BYTES) {
        fprintf(stderr, "cvo: klaviyo: %s: %lld bytes, over Klaviyo's %d-byte payload limit\n",
                path, (long long)st.st_size, BODY_MAX_BYTES);
        fclose(f);
        return EXIT_INPUT;
    }
    *body = malloc((size_t)st.st_size + 1);
    *len = *body ? fread(*body, 1, (size_t)st.st_size, f) : 0;
    bool short_read = *body == NULL || ferror(f) || *len != (size_t)st.st_size;
    fclose(f);
    if (short_read) {
        int code = *body ? EXIT_INPUT : EXIT_SYSTEM;
        fprintf(stderr, "cvo: klaviyo: %s: %s\n", path, *body ? "read error" : "out of memory");
        free(*body);
        return code;
    }
    (*body)[*len] = '\0';
    return EXIT_OK;
}

/* A JSON:API body whose data.type is want. */
static bool body_has_type(const char *body, size_t len, const char *want)
{
    json_pair pair;
    return json_find(body, len, "type", 2, &pair) && pair.is_string &&
           json_text_is(pair.value, pair.value_len, want);
}

static int plan_check_bulk(push_plan *p, bulk_job *job)
{
    char path[PATH_BYTES];
    char *body;
    size_t len;
    if (!path_join(path, p->bulk_dir, job->name))
        return EXIT_INPUT;
    int code = body_read(path, &body, &len);
    if (code != EXIT_OK)
        return code;
    job->bytes = len;
    bool balanced = json_walk(body, len, count_profiles_visit, &job->profiles);
    if (!balanced || !body_has_type(body, len, "profile-bulk-import-job") || job->profiles == 0) {
        fprintf(stderr, "cvo: klaviyo: %s: not a profile-bulk-import-job body with profiles\n",
                path);
        code = EXIT_INPUT;
    }
    p->profiles += job->profiles;
    free(body);
    return code;
}

/* A line of events.jsonl, without its line end. */
typedef struct event_line {
    const char *body;
    size_t len;
    unsigned long number; /* 1-based line number in the file */
} event_line;

typedef int (*event_visit)(const event_line *line, void *user);

static bool line_is_blank(const char *text, size_t len)
{
    return json_skip_space(text, len, 0) == len;
}

/* Calls visit for each non-blank line of path; stops at its first non-OK code. */
static int events_each(const char *path, event_visit visit, void *user)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cvo: klaviyo: %s: %s (run analyze first)\n", path, strerror(errno));
        return EXIT_INPUT;
    }
    char *text = NULL;
    size_t cap = 0;
    ssize_t got;
    event_line line = {0};
    int code = EXIT_OK;
    while (code == EXIT_OK && (got = getline(&text, &cap, f)) >= 0) {
        line = (event_line){text, (size_t)got, line.number + 1};
        while (line.len > 0 && (text[line.len - 1] == '\n' || text[line.len - 1] == '\r'))
            line.len--;
        if (!line_is_blank(line.body, line.len))
            code = visit(&line, user);
    }
    if (code == EXIT_OK && ferror(f)) {
        fprintf(stderr, "cvo: klaviyo: %s: read error\n", path);
        code = EXIT_INPUT;
    }
    free(text);
    fclose(f);
    return code;
}

static int plan_check_event(const event_line *line, void *user)
{
    push_plan *p = user;
    if (line->len > BODY_MAX_BYTES || ++p->events > EVENTS_MAX) {
        fprintf(stderr,
                "cvo: klaviyo: %s:%lu: over Klaviyo's %d-byte payload limit, or "
                "more than %d events\n",
                p->events_path, line->number, BODY_MAX_BYTES, EVENTS_MAX);
        return EXIT_INPUT;
    }
    if (!json_walk(line->body, line->len, json_ignore_visit, NULL) ||
        !body_has_type(line->body, line->len, "event")) {
        fprintf(stderr, "cvo: klaviyo: %s:%lu: not an event body\n", p->events_path, line->number);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int plan_make(push_plan *p, const char *dir)
{
    if (!path_join(p->bulk_dir, dir, "klaviyo/profile-bulk-import") ||
        !path_join(p->events_path, dir, "klaviyo/events.jsonl")) {
        fprintf(stderr, "cvo: klaviyo: %s: path too long\n", dir);
        return EXIT_INPUT;
    }
    int code = plan_list_bulk(p);
    for (size_t i = 0; code == EXIT_OK && i < p->job_count; i++)
        code = plan_check_bulk(p, &p->jobs[i]);
    if (code == EXIT_OK)
        code = events_each(p->events_path, plan_check_event, p);
    return code;
}

/* ---- dry run -------------------------------------------------------------- */

static void dry_print_headers(const push_config *c)
{
    printf("klaviyo dry run: nothing is sent. Headers of every request:\n");
    printf("  Authorization: Klaviyo-API-Key %s\n",
           c->key ? "******** (from CVO_KLAVIYO_API_KEY)" : "(CVO_KLAVIYO_API_KEY is not set)");
    printf("  revision: %s\n  Content-Type: %s\n  Accept: %s\n", c->revision, MEDIA_TYPE,
           MEDIA_TYPE);
}

typedef struct dry_events {
    const push_config *config;
} dry_events;

static int dry_print_event(const event_line *line, void *user)
{
    const push_config *c = ((dry_events *)user)->config;
    printf("POST %s" EVENTS_PATH "  klaviyo/events.jsonl:%lu  %zu bytes\n", c->base_url,
           line->number, line->len);
    return EXIT_OK;
}

static int dry_run_print(const push_config *c, const push_plan *p)
{
    dry_print_headers(c);
    for (size_t i = 0; i < p->job_count; i++)
        printf("POST %s" BULK_PATH "  klaviyo/profile-bulk-import/%s  %zu bytes, %zu profiles\n",
               c->base_url, p->jobs[i].name, p->jobs[i].bytes, p->jobs[i].profiles);
    int code = events_each(p->events_path, dry_print_event, &(dry_events){c});
    printf("klaviyo: %zu bulk jobs (%zu profiles), %zu events would be sent\n", p->job_count,
           p->profiles, p->events);
    if (c->key == NULL)
        fprintf(stderr, "cvo: klaviyo: note: CVO_KLAVIYO_API_KEY is not set; a push would stop\n");
    return code;
}

/* ---- the HTTP session ----------------------------------------------------- */

typedef struct session {
    http_session http;
    struct curl_slist *post_headers, *get_headers;
    const push_config *config;
    bool quiet;
    /* pacing: sliding windows, stricter than Klaviyo's fixed ones */
    http_window bulk_window, event_window;
    double bulk_stamps[BULK_STEADY], event_stamps[EVENT_STEADY];
} session;

static bool header_add(struct curl_slist **list, const char *header)
{
    struct curl_slist *grown = curl_slist_append(*list, header);
    if (grown != NULL)
        *list = grown;
    return grown != NULL;
}

/* The headers; the Authorization line is built here and wiped once copied.
 * "Expect:" stops libcurl from waiting for a 100 Continue on large bodies. */
static bool session_headers(session *s)
{
    char auth[KEY_MAX + 64], revision[64];
    snprintf(auth, sizeof auth, "Authorization: Klaviyo-API-Key %s", s->config->key);
    snprintf(revision, sizeof revision, "revision: %s", s->config->revision);
    const char *common[] = {auth, revision, "Accept: " MEDIA_TYPE};
    bool ok = true;
    for (size_t i = 0; i < sizeof common / sizeof *common; i++)
        ok =
            ok && header_add(&s->get_headers, common[i]) && header_add(&s->post_headers, common[i]);
    ok = ok && header_add(&s->post_headers, "Content-Type: " MEDIA_TYPE) &&
         header_add(&s->post_headers, "Expect:");
    explicit_bzero(auth, sizeof auth);
    return ok;
}

static void session_close(session *s)
{
    if (s == NULL)
        return;
    curl_slist_free_all(s->post_headers);
    curl_slist_free_all(s->get_headers);
    http_close(&s->http);
    free(s);
}

static session *session_open(const push_config *c, bool quiet)
{
    session *s = calloc(1, sizeof *s);
    if (s == NULL || !http_open(&s->http, "klaviyo", RESPONSE_MAX_BYTES, 180L)) {
        if (s == NULL)
            fprintf(stderr, "cvo: klaviyo: out of memory\n");
        free(s);
        return NULL;
    }
    s->config = c;
    s->quiet = quiet;
    s->bulk_window = (http_window){s->bulk_stamps, BULK_BURST, BULK_STEADY, 0, 0, 1.0, 60.0};
    s->event_window = (http_window){s->event_stamps, EVENT_BURST, EVENT_STEADY, 0, 0, 1.0, 60.0};
    if (!session_headers(s)) {
        fprintf(stderr, "cvo: klaviyo: out of memory\n");
        session_close(s);
        return NULL;
    }
    return s;
}

/* One try: POST body, or GET when body is NULL. The HTTP status, 0 when no answer. */
static long session_try(session *s, const char *url, const char *body, size_t len)
{
    CURL *c = s->http.curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->post_headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->get_headers);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    return http_perform(&s->http);
}

/* Worth another try: rate limited, a server error, or a connection that failed.
 * A retried POST is harmless: bulk imports are upserts and events carry unique_id. */
static bool worth_retry(long status, CURLcode transfer)
{
    if (status == 429 || status >= 500)
        return true;
    return status == 0 &&
           (transfer == CURLE_COULDNT_CONNECT || transfer == CURLE_OPERATION_TIMEDOUT ||
            transfer == CURLE_GOT_NOTHING || transfer == CURLE_SEND_ERROR ||
            transfer == CURLE_RECV_ERROR || transfer == CURLE_COULDNT_RESOLVE_HOST);
}

/* Seconds before try number `next`: Retry-After on a 429, else 1, 2, 4 .. capped. */
static long retry_delay(session *s, long status, int next)
{
    long after = status == 429 ? http_retry_after(&s->http, RETRY_AFTER_MAX_S) : 0;
    if (after > 0)
        return after;
    long backoff = 1L << (next - 2);
    return backoff < BACKOFF_MAX_S ? backoff : BACKOFF_MAX_S;
}

static void retry_wait(session *s, long status, int next, const char *where)
{
    long delay = retry_delay(s, status, next);
    if (!s->quiet) {
        if (status)
            fprintf(stderr, "klaviyo: %s: HTTP %ld, retrying in %ld s (try %d of %d)\n", where,
                    status, delay, next, TRIES_MAX);
        else
            fprintf(stderr, "klaviyo: %s: %s, retrying in %ld s (try %d of %d)\n", where,
                    curl_easy_strerror(s->http.transfer), delay, next, TRIES_MAX);
    }
    clock_sleep((double)delay);
}

/* Sends one request, paced by w and retried as worth_retry says; the final status. */
static long session_send(session *s, http_window *w, const char *url, const char *body, size_t len,
                         const char *where)
{
    for (int attempt = 1;; attempt++) {
        http_window_wait(w);
        long status = session_try(s, url, body, len);
        if (attempt == TRIES_MAX || !worth_retry(status, s->http.transfer))
            return status;
        retry_wait(s, status, attempt + 1, where);
    }
}

/* Prints why a request failed: Klaviyo's errors[0] title and detail, or the transfer error. */
static void report_failure(const session *s, long status, const char *where)
{
    char title[TEXT_MAX], detail[TEXT_MAX];
    if (status == 0) {
        fprintf(stderr, "cvo: klaviyo: %s: no answer from %s: %s\n", where, s->config->base_url,
                http_failure(&s->http));
        return;
    }
    json_get_text(s->http.reply, s->http.reply_len, "title", 3, title, sizeof title);
    json_get_text(s->http.reply, s->http.reply_len, "detail", 3, detail, sizeof detail);
    fprintf(stderr, "cvo: klaviyo: %s: HTTP %ld%s%s%s%s%s\n", where, status,
            status == 429 || status >= 500 ? " (tries exhausted)" : "", title[0] ? ": " : "", title,
            detail[0] ? ": " : "", detail);
    if (status == 401 || status == 403)
        fprintf(stderr, "cvo: klaviyo: check CVO_KLAVIYO_API_KEY and its scopes (profiles:write "
                        "lists:write events:write)\n");
}

static void url_join(char *url, const push_config *c, const char *path, const char *id)
{
    snprintf(url, URL_MAX, "%s%s%s%s", c->base_url, path, id ? "/" : "", id ? id : "");
}

/* ---- bulk jobs ------------------------------------------------------------ */

/* Job ids go into a URL: letters, digits, '-' and '_' only. */
static bool job_id_usable(const char *id)
{
    size_t len = strlen(id);
    return len > 0 && len < JOB_ID_MAX - 1 &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

/* Reads the job's id and state from the last answer. */
static void job_read_reply(const session *s, bulk_job *job)
{
    char status[sizeof job->status];
    if (job->id[0] == '\0') {
        json_get_text(s->http.reply, s->http.reply_len, "id", 2, job->id, sizeof job->id);
        if (!job_id_usable(job->id))
            job->id[0] = '\0';
    }
    json_get_text(s->http.reply, s->http.reply_len, "status", 3, status, sizeof status);
    if (status[0] != '\0')
        memcpy(job->status, status, sizeof status);
    long long completed = json_get_count(s->http.reply, s->http.reply_len, "completed_count", 3);
    long long failed = json_get_count(s->http.reply, s->http.reply_len, "failed_count", 3);
    job->completed = completed >= 0 ? completed : job->completed;
    job->failed = failed >= 0 ? failed : job->failed;
}

static int bulk_send(session *s, const push_plan *p, bulk_job *job)
{
    char path[PATH_BYTES], where[64], url[URL_MAX];
    char *body;
    size_t len;
    if (!path_join(path, p->bulk_dir, job->name))
        return EXIT_INPUT;
    int code = body_read(path, &body, &len);
    if (code != EXIT_OK)
        return code;
    snprintf(where, sizeof where, "klaviyo/profile-bulk-import/%s", job->name);
    url_join(url, s->config, BULK_PATH, NULL);
    long status = session_send(s, &s->bulk_window, url, body, len, where);
    free(body);
    if (status < 200 || status > 299) {
        report_failure(s, status, where);
        return EXIT_SYSTEM;
    }
    memcpy(job->status, "queued", sizeof "queued");
    job_read_reply(s, job);
    return EXIT_OK;
}

static bool job_pending(const bulk_job *job)
{
    return job->id[0] != '\0' && strcmp(job->status, "complete") != 0 &&
           strcmp(job->status, "cancelled") != 0;
}

/* One GET of the job; false (with a warning) when it cannot be followed. */
static bool job_poll(session *s, bulk_job *job)
{
    char url[URL_MAX], where[96];
    url_join(url, s->config, BULK_PATH, job->id);
    snprintf(where, sizeof where, "job %s", job->id);
    long status = session_send(s, &s->bulk_window, url, NULL, 0, where);
    if (status < 200 || status > 299) {
        fprintf(stderr, "cvo: klaviyo: warning: cannot follow the job; it was accepted\n");
        report_failure(s, status, where);
        return false;
    }
    job->followed = true;
    job_read_reply(s, job);
    return true;
}

static size_t jobs_pending(const push_plan *p, const bool *given_up)
{
    size_t n = 0;
    for (size_t i = 0; i < p->job_count; i++)
        n += job_pending(&p->jobs[i]) && !given_up[i];
    return n;
}

/* Polls the unfinished jobs, 1 s then doubling to 10 s apart, for at most wait_s. */
static void jobs_follow(session *s, push_plan *p, long wait_s)
{
    bool *given_up = calloc(p->job_count ? p->job_count : 1, sizeof *given_up);
    if (given_up == NULL)
        return;
    double deadline = clock_seconds() + (double)wait_s, interval = 1;
    while (jobs_pending(p, given_up) > 0 && clock_seconds() < deadline) {
        double left = deadline - clock_seconds();
        clock_sleep(interval < left ? interval : left);
        for (size_t i = 0; i < p->job_count; i++)
            if (job_pending(&p->jobs[i]) && !given_up[i])
                given_up[i] = !job_poll(s, &p->jobs[i]);
        interval = interval * 2 < POLL_INTERVAL_MAX_S ? interval * 2 : POLL_INTERVAL_MAX_S;
    }
    free(given_up);
}

/* One line per accepted job. */
static void job_print(const bulk_job *job, long wait_s)
{
    fprintf(stderr, "klaviyo: klaviyo/profile-bulk-import/%s: job %s %s, %zu profiles", job->name,
            job->id[0] ? job->id : "(no id in the answer)", job->status, job->profiles);
    if (job->completed >= 0 && job->failed >= 0)
        fprintf(stderr, ", %lld completed, %lld failed", job->completed, job->failed);
    if (job_pending(job) && wait_s > 0 && job->followed)
        fprintf(stderr, " (not finished after %ld s)", wait_s);
    else if (job_pending(job))
        fprintf(stderr, " (not followed)");
    if (job->failed > 0)
        fprintf(stderr, "; see GET " BULK_PATH "/%s/import-errors", job->id);
    fputc('\n', stderr);
}

/* EXIT_REJECTS when a job lost profiles or was cancelled. */
static int jobs_report(const push_plan *p, size_t sent, long wait_s, bool quiet)
{
    int code = EXIT_OK;
    for (size_t i = 0; i < sent; i++) {
        const bulk_job *job = &p->jobs[i];
        if (!quiet)
            job_print(job, wait_s);
        if (job->failed > 0 || strcmp(job->status, "cancelled") == 0)
            code = EXIT_REJECTS;
    }
    return code;
}

/* ---- events --------------------------------------------------------------- */

typedef struct event_push {
    session *s;
    size_t sent;
} event_push;

static int event_send(const event_line *line, void *user)
{
    event_push *e = user;
    char url[URL_MAX], where[64];
    url_join(url, e->s->config, EVENTS_PATH, NULL);
    snprintf(where, sizeof where, "klaviyo/events.jsonl:%lu", line->number);
    long status = session_send(e->s, &e->s->event_window, url, line->body, line->len, where);
    if (status < 200 || status > 299) {
        report_failure(e->s, status, where);
        return EXIT_SYSTEM;
    }
    e->sent++;
    return EXIT_OK;
}

/* ---- the entry point ------------------------------------------------------ */

static int push_all(session *s, push_plan *p, bool quiet)
{
    size_t sent = 0;
    int code = EXIT_OK;
    while (code == EXIT_OK && sent < p->job_count)
        if ((code = bulk_send(s, p, &p->jobs[sent])) == EXIT_OK)
            sent++;
    size_t profiles = 0;
    for (size_t i = 0; i < sent; i++)
        profiles += p->jobs[i].profiles;
    if (code == EXIT_OK && s->config->wait_s > 0)
        jobs_follow(s, p, s->config->wait_s);
    int jobs_code = jobs_report(p, sent, s->config->wait_s, quiet);
    event_push events = {s, 0};
    if (code == EXIT_OK)
        code = events_each(p->events_path, event_send, &events);
    if (!quiet)
        fprintf(stderr, "klaviyo: %zu bulk jobs (%zu profiles), %zu events sent\n", sent, profiles,
                events.sent);
    return code != EXIT_OK ? code : jobs_code;
}

int push_klaviyo(const char *dir, const char *revision, bool dry_run, bool quiet)
{
    push_config config = {0};
    push_plan plan = {0};
    int code = config_read(&config, revision, dry_run);
    if (code >= 0)
        return code;
    code = plan_make(&plan, dir);
    if (code == EXIT_OK && dry_run) {
        code = dry_run_print(&config, &plan);
    } else if (code == EXIT_OK) {
        session *s = session_open(&config, quiet);
        code = s ? push_all(s, &plan, quiet) : EXIT_SYSTEM;
        session_close(s);
    }
    free(plan.jobs);
    return code;
}
