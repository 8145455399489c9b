/* klaviyo_push.c - cvo_klaviyo_push: bulk bodies, then the jobs followed, then
 * the properties a profile lost removed, then the events. Invariants: the
 * recorded property names of a profile are always a superset of what Klaviyo
 * may hold from cvo (written before a body is sent), and an event is in the
 * ledger as "sending" before its request leaves, so no run sends it twice. */
#include "push/klaviyo_files.h"
#include "push/session.h"

#include "base/ctx.h"
#include "output/cells.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_BASE_URL "https://a.klaviyo.com"
#define BULK_PATH "/api/profile-bulk-import-jobs"
#define IMPORT_PATH "/api/profile-import"
#define EVENTS_PATH "/api/events"
#define MEDIA_TYPE "application/vnd.api+json"

enum {
    BASE_URL_MAX = 200,
    KEY_MAX = 256,
    URL_MAX = 512,
    POLL_INTERVAL_MAX_S = 10,
    WHERE_MAX = 128,
    /* requests per second and per minute (platforms.md 4) */
    BULK_BURST = 10,
    BULK_STEADY = 150,
    IMPORT_BURST = 75,
    IMPORT_STEADY = 750,
    EVENT_BURST = 350,
    EVENT_STEADY = 3500
};

typedef struct klaviyo {
    cvo_ctx *ctx;
    const cvo_push_options *o;
    cvo_push_result *result;
    klaviyo_files files;
    push_session s;
    char base_url[BASE_URL_MAX + 1];
    char auth[KEY_MAX + 48], revision[48];
    const char *headers[4]; /* auth, revision, accept, content type (POST only) */
    push_window bulk_window, import_window, event_window;
} klaviyo;

/* ---- settings and requests ------------------------------------------------------------ */

static cvo_status settings(klaviyo *k)
{
    const cvo_push_options *o = k->o;
    const char *url = o->klaviyo_base_url ? o->klaviyo_base_url : DEFAULT_BASE_URL;
    if (!session_base_url(k->ctx, "klaviyo: the base URL", url, k->base_url, sizeof k->base_url))
        return CVO_ERR_ARGUMENT;
    const char *revision = cvo_config_text(o->config, "klaviyo", "revision");
    snprintf(k->revision, sizeof k->revision, "revision: %s", revision ? revision : "");
    if (o->dry_run)
        return CVO_OK;
    if (!session_secret(k->ctx, "klaviyo: the API key", o->klaviyo_api_key, KEY_MAX, ""))
        return CVO_ERR_ARGUMENT;
    if (o->transport == NULL || o->state == NULL || o->id_key == NULL)
        return ctx_fail(k->ctx, CVO_ERR_ARGUMENT,
                        "klaviyo: a push needs a transport, a state database and the id key");
    snprintf(k->auth, sizeof k->auth, "Authorization: Klaviyo-API-Key %s", o->klaviyo_api_key);
    k->headers[0] = k->auth;
    k->headers[1] = k->revision;
    k->headers[2] = "Accept: " MEDIA_TYPE;
    k->headers[3] = "Content-Type: " MEDIA_TYPE;
    return CVO_OK;
}

static cvo_status windows(klaviyo *k)
{
    CVO_TRY(window_init(&k->bulk_window, k->ctx, BULK_BURST, 1, BULK_STEADY, 60));
    CVO_TRY(window_init(&k->import_window, k->ctx, IMPORT_BURST, 1, IMPORT_STEADY, 60));
    return window_init(&k->event_window, k->ctx, EVENT_BURST, 1, EVENT_STEADY, 60);
}

static cvo_status post(klaviyo *k, push_window *w, const char *path, const char *body, size_t len,
                       const char *where, push_outcome *outcome)
{
    char url[URL_MAX];
    snprintf(url, sizeof url, "%s%s", k->base_url, path);
    cvo_http_request q = {"POST", url, k->headers, 4, body, len, 0, 0};
    return session_send(&k->s, w, &q, RETRY_IDEMPOTENT, where, outcome);
}

/* Adds what to do about a refused key to a 401 or 403. */
static cvo_status refused(klaviyo *k, const char *where, push_outcome outcome, const char *then)
{
    cvo_status status = session_fail(&k->s, where, outcome, then);
    long code = k->s.response.status;
    if (code == 401 || code == 403) {
        char message[CVO_MESSAGE_BYTES];
        snprintf(message, sizeof message, "%s", cvo_ctx_message(k->ctx));
        ctx_fail(k->ctx, status,
                 "%s (check the API key and its scopes: profiles:write "
                 "lists:write events:write profiles:read)",
                 message);
    }
    return status;
}

/* ---- bulk bodies -------------------------------------------------------------------- */

/* Before the body goes: every profile's recorded names become old | new, and the
 * body is "sending", in one transaction. */
static cvo_status record_before(klaviyo *k, json_t *profiles, const char *sha)
{
    cvo_history *h = k->o->state;
    char old[STATE_NAMES_MAX], both[STATE_NAMES_MAX];
    bulk_profile p;
    CVO_TRY(state_begin(h));
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < json_array_size(profiles); i++) {
        if (!klaviyo_profile_at(profiles, i, k->o->id_key, &p))
            continue;
        status = state_properties_get(h, p.customer, old);
        if (status == CVO_OK && !names_union(old, p.names, both))
            memcpy(both, p.names, sizeof both); /* too many names: keep the new ones */
        if (status == CVO_OK && strcmp(both, old) != 0)
            status = state_properties_put(h, p.customer, both);
    }
    if (status == CVO_OK)
        status = state_ledger_put(h, STATE_KLAVIYO_BULK, sha, "", STATE_SENDING, INT32_MIN, NULL);
    if (status != CVO_OK) {
        state_rollback(h);
        return status;
    }
    return state_commit(h);
}

static void read_job(klaviyo *k, bulk_file *b)
{
    json_t *reply = jsonread_parse(k->s.response.body, k->s.response.body_len);
    const char *id = jsonread_text(reply, "data.id");
    const char *status = jsonread_text(reply, "data.attributes.status");
    long long count;
    if (b->job_id[0] == '\0' && id != NULL && strlen(id) < sizeof b->job_id &&
        strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
            strlen(id))
        memcpy(b->job_id, id, strlen(id) + 1);
    if (status != NULL)
        snprintf(b->status, sizeof b->status, "%s", status);
    if (jsonread_integer(reply, "data.attributes.completed_count", &count))
        b->completed = count;
    if (jsonread_integer(reply, "data.attributes.failed_count", &count))
        b->failed = count;
    json_decref(reply);
}

static void body_sha(const char *text, size_t len, char out[2 * SHA256_BYTES + 1])
{
    uint8_t digest[SHA256_BYTES];
    sha256(text, len, digest);
    hmac_hex(digest, 2 * SHA256_BYTES, out);
}

/* Sends body i unless the ledger has the same bytes accepted. */
static cvo_status bulk_send(klaviyo *k, size_t i, char *text, size_t len, json_t *profiles)
{
    bulk_file *b = &k->files.bulk[i];
    char sha[2 * SHA256_BYTES + 1], where[WHERE_MAX];
    state_entry entry;
    body_sha(text, len, sha);
    snprintf(where, sizeof where, "klaviyo/profile-bulk-import/%s", b->name);
    CVO_TRY(state_ledger_get(k->o->state, STATE_KLAVIYO_BULK, sha, &entry));
    if (entry == STATE_DONE) {
        k->result->bulk_skipped++;
        session_say(&k->s, CVO_PUSH_PROGRESS,
                    "%s: accepted before (the same bytes), not sent again", where);
        return CVO_OK;
    }
    CVO_TRY(record_before(k, profiles, sha));
    push_outcome outcome;
    CVO_TRY(post(k, &k->bulk_window, BULK_PATH, text, len, where, &outcome));
    if (outcome != OUTCOME_ACCEPTED) {
        CVO_TRY(state_ledger_drop(k->o->state, STATE_KLAVIYO_BULK, sha));
        return refused(k, where, outcome, "");
    }
    memcpy(b->status, "queued", sizeof "queued");
    memcpy(b->sha, sha, sizeof b->sha);
    read_job(k, b);
    b->sent = true;
    k->result->bulk_sent++;
    k->result->profiles += b->profiles;
    return state_ledger_put(k->o->state, STATE_KLAVIYO_BULK, sha, "", STATE_DONE, INT32_MIN,
                            b->job_id[0] ? b->job_id : NULL);
}

/* Calls each(k, i, text, len, profiles) for every body, parsed. */
typedef cvo_status (*body_fn)(klaviyo *k, size_t i, char *text, size_t len, json_t *profiles);

static cvo_status bodies_each(klaviyo *k, body_fn each)
{
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < k->files.bulk_count; i++) {
        char *text = NULL;
        size_t len = 0;
        CVO_TRY(klaviyo_files_read(&k->files, i, &text, &len));
        json_t *body = jsonread_parse(text, len);
        json_t *profiles = klaviyo_body_profiles(body);
        status = profiles
                     ? each(k, i, text, len, profiles)
                     : ctx_fail(k->ctx, CVO_ERR_FORMAT, "klaviyo: %s/%s: changed during the push",
                                k->files.bulk_dir, k->files.bulk[i].name);
        json_decref(body);
        mem_free(k->ctx, text);
    }
    return status;
}

/* ---- following the jobs ---------------------------------------------------------------- */

static bool job_pending(const bulk_file *b)
{
    return b->sent && b->job_id[0] != '\0' && strcmp(b->status, "complete") != 0 &&
           strcmp(b->status, "cancelled") != 0;
}

/* One GET of the job; false (with a warning) when it cannot be followed. */
static cvo_status job_poll(klaviyo *k, bulk_file *b, bool *given_up)
{
    char url[URL_MAX], where[WHERE_MAX];
    snprintf(url, sizeof url, "%s" BULK_PATH "/%s", k->base_url, b->job_id);
    snprintf(where, sizeof where, "job %s", b->job_id);
    cvo_http_request q = {"GET", url, k->headers, 3, NULL, 0, 0, 0};
    push_outcome outcome;
    CVO_TRY(session_send(&k->s, &k->bulk_window, &q, RETRY_IDEMPOTENT, where, &outcome));
    if (outcome != OUTCOME_ACCEPTED) {
        char words[320];
        session_reply_words(&k->s.response, words, sizeof words);
        session_say(&k->s, CVO_PUSH_WARNING,
                    "%s: cannot follow the job (HTTP %ld %s); it was accepted", where,
                    k->s.response.status, words);
        *given_up = true;
        return CVO_OK;
    }
    b->followed = true;
    read_job(k, b);
    return CVO_OK;
}

/* Polls the unfinished jobs, 1 s then doubling to 10 s apart, for at most wait_s. */
static cvo_status jobs_follow(klaviyo *k)
{
    cvo_transport *t = k->o->transport;
    size_t n = k->files.bulk_count;
    bool *given_up = mem_zarray(k->ctx, n ? n : 1, sizeof *given_up);
    if (given_up == NULL)
        return ctx_nomem(k->ctx);
    double deadline = t->now(t->self) + k->o->klaviyo_wait_s, interval = 1;
    cvo_status status = CVO_OK;
    for (bool pending = true; status == CVO_OK && pending && t->now(t->self) < deadline;) {
        double left = deadline - t->now(t->self);
        t->sleep(t->self, interval < left ? interval : left);
        pending = false;
        for (size_t i = 0; status == CVO_OK && i < n; i++)
            if (job_pending(&k->files.bulk[i]) && !given_up[i]) {
                status = job_poll(k, &k->files.bulk[i], &given_up[i]);
                pending = pending || (job_pending(&k->files.bulk[i]) && !given_up[i]);
            }
        interval = interval * 2 < POLL_INTERVAL_MAX_S ? interval * 2 : POLL_INTERVAL_MAX_S;
    }
    mem_free(k->ctx, given_up);
    return status;
}

/* One line per job sent. A job that lost profiles or was cancelled leaves the
 * bulk ledger, so the next run sends its body again. */
static cvo_status jobs_report(klaviyo *k)
{
    cvo_status status = CVO_OK;
    for (size_t i = 0; i < k->files.bulk_count; i++) {
        const bulk_file *b = &k->files.bulk[i];
        if (!b->sent)
            continue;
        char counts[96] = "", tail[160] = "";
        if (b->completed >= 0 && b->failed >= 0)
            snprintf(counts, sizeof counts, ", %lld completed, %lld failed", b->completed,
                     b->failed);
        if (job_pending(b))
            snprintf(tail, sizeof tail,
                     b->followed ? " (not finished after %g s)" : " (not followed)",
                     k->o->klaviyo_wait_s);
        if (b->failed > 0)
            snprintf(tail + strlen(tail), sizeof tail - strlen(tail),
                     "; see GET " BULK_PATH "/%s/import-errors", b->job_id);
        session_say(&k->s, b->failed > 0 ? CVO_PUSH_WARNING : CVO_PUSH_PROGRESS,
                    "klaviyo/profile-bulk-import/%s: job %s %s, %zu profiles%s%s", b->name,
                    b->job_id[0] ? b->job_id : "(no id in the answer)", b->status, b->profiles,
                    counts, tail);
        k->result->profiles_failed += b->failed > 0 ? (size_t)b->failed : 0;
        k->result->jobs_cancelled += strcmp(b->status, "cancelled") == 0;
        k->result->jobs_unfinished += job_pending(b);
        if (status == CVO_OK && (b->failed > 0 || strcmp(b->status, "cancelled") == 0))
            status = state_ledger_drop(k->o->state, STATE_KLAVIYO_BULK, b->sha);
    }
    return status;
}

/* ---- properties a profile lost ------------------------------------------------------- */

/* The profile-import body: the identifiers, and meta.patch_properties.unset. */
static void unset_body(cell_buf *b, const bulk_profile *p, const char *names)
{
    cell_str(b, "{\"data\":{\"type\":\"profile\",\"attributes\":{");
    if (p->email != NULL) {
        cell_str(b, "\"email\":");
        cell_json_string(b, p->email);
    }
    if (p->external_id != NULL) {
        cell_str(b, p->email ? ",\"external_id\":" : "\"external_id\":");
        cell_json_string(b, p->external_id);
    }
    cell_str(b, "},\"meta\":{\"patch_properties\":{\"unset\":[");
    for (const char *n = names; *n; n += strcspn(n, "\n") + 1) {
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(n, "\n"), n);
        if (n != names)
            cell_char(b, ',');
        cell_json_string(b, name);
    }
    cell_str(b, "]}}}}");
}

static cvo_status unset_send(klaviyo *k, const bulk_profile *p, const char *gone, size_t count,
                             const char *file)
{
    cell_buf b;
    cell_buf_init(&b, k->ctx);
    unset_body(&b, p, gone);
    cvo_status status = cell_status(&b);
    char where[WHERE_MAX];
    snprintf(where, sizeof where, "%s: profile-import (%zu properties to remove)", file, count);
    push_outcome outcome = OUTCOME_NOT_DONE;
    if (status == CVO_OK)
        status = post(k, &k->import_window, IMPORT_PATH, b.data, b.len, where, &outcome);
    cell_buf_free(&b);
    CVO_TRY(status);
    if (outcome != OUTCOME_ACCEPTED)
        return refused(k, where, outcome, "");
    k->result->unset_sent++;
    k->result->unset_names += count;
    return state_properties_put(k->o->state, p->customer, p->names);
}

/* Per body: the profiles whose recorded names hold more than they now set get
 * an unset call; the others are only brought up to date. */
static cvo_status unset_body_profiles(klaviyo *k, size_t i, char *text, size_t len,
                                      json_t *profiles)
{
    cvo_history *h = k->o->state;
    char old[STATE_NAMES_MAX], gone[STATE_NAMES_MAX], file[64];
    bulk_profile p;
    snprintf(file, sizeof file, "klaviyo/profile-bulk-import/%s", k->files.bulk[i].name);
    cvo_status status = CVO_OK;
    for (size_t j = 0; status == CVO_OK && j < json_array_size(profiles); j++) {
        if (!klaviyo_profile_at(profiles, j, k->o->id_key, &p))
            continue;
        status = state_properties_get(h, p.customer, old);
        size_t count = status == CVO_OK ? names_minus(old, p.names, gone) : 0;
        if (status != CVO_OK || (count == 0 && strcmp(old, p.names) == 0))
            continue;
        if (count > 0 && k->o->dry_run) {
            k->result->unset_sent++;
            k->result->unset_names += count;
        } else if (count > 0) {
            status = unset_send(k, &p, gone, count, file);
        } else if (!k->o->dry_run) {
            status = state_properties_put(h, p.customer, p.names);
        }
    }
    return status;
}

/* A customer who no longer accepts marketing keeps no cvo property: every name
 * the last accepted push set is removed (withdrawn.jsonl lists them). */
static cvo_status unset_withdrawn(void *user, unsigned long number, const bulk_profile *p)
{
    klaviyo *k = user;
    char old[STATE_NAMES_MAX], gone[STATE_NAMES_MAX];
    CVO_TRY(state_properties_get(k->o->state, p->customer, old));
    size_t count = names_minus(old, "", gone);
    if (count == 0)
        return CVO_OK;
    if (k->o->dry_run) {
        k->result->unset_sent++;
        k->result->unset_names += count;
        return CVO_OK;
    }
    char file[64];
    snprintf(file, sizeof file, "klaviyo/withdrawn.jsonl:%lu", number);
    return unset_send(k, p, gone, count, file);
}

static cvo_status unset_all_withdrawn(klaviyo *k)
{
    if (k->o->state == NULL || k->o->id_key == NULL)
        return CVO_OK;
    return klaviyo_withdrawn_each(&k->files, k->o->id_key, unset_withdrawn, k);
}

/* ---- events --------------------------------------------------------------------------- */

static void event_customer(json_t *event, const cvo_id_key *key, char out[KEYED_HEX + 1])
{
    const char *email = jsonread_text(event, "data.attributes.profile.data.attributes.email");
    const char *id = jsonread_text(event, "data.attributes.profile.data.attributes.external_id");
    keyed_customer(key, id ? id : "", email ? email : "", out);
}

static cvo_status event_send(void *user, unsigned long number, const char *line, size_t len,
                             json_t *event)
{
    klaviyo *k = user;
    cvo_history *h = k->o->state;
    const char *uid = jsonread_text(event, "data.attributes.unique_id");
    char customer[KEYED_HEX + 1], where[WHERE_MAX];
    state_entry entry;
    snprintf(where, sizeof where, "klaviyo/events.jsonl:%lu", number);
    CVO_TRY(state_ledger_get(h, STATE_KLAVIYO_EVENT, uid, &entry));
    if (entry != STATE_NONE) {
        k->result->events_skipped++;
        return CVO_OK;
    }
    event_customer(event, k->o->id_key, customer);
    CVO_TRY(
        state_ledger_put(h, STATE_KLAVIYO_EVENT, uid, customer, STATE_SENDING, INT32_MIN, NULL));
    push_outcome outcome;
    CVO_TRY(post(k, &k->event_window, EVENTS_PATH, line, len, where, &outcome));
    if (outcome == OUTCOME_ACCEPTED) {
        k->result->events_sent++;
        return state_ledger_put(h, STATE_KLAVIYO_EVENT, uid, customer, STATE_DONE, INT32_MIN, NULL);
    }
    if (outcome == OUTCOME_UNKNOWN) {
        k->result->unknown++;
        CVO_TRY(state_ledger_put(h, STATE_KLAVIYO_EVENT, uid, customer, STATE_UNKNOWN, INT32_MIN,
                                 NULL));
        return refused(k, where, outcome,
                       "it may have reached Klaviyo: recorded as unknown in "
                       "the ledger and never sent again");
    }
    CVO_TRY(state_ledger_drop(h, STATE_KLAVIYO_EVENT, uid));
    return refused(k, where, outcome, "");
}

/* Events an interrupted run was sending: recorded unknown, never sent again. */
static cvo_status events_interrupted(klaviyo *k)
{
    size_t count = 0;
    CVO_TRY(state_ledger_sweep(k->o->state, STATE_KLAVIYO_EVENT, &count));
    if (count > 0)
        session_say(&k->s, CVO_PUSH_WARNING,
                    "%zu event%s of an interrupted push may or may not "
                    "have reached Klaviyo: recorded as unknown, not sent again",
                    count, count == 1 ? "" : "s");
    k->result->unknown += count;
    return CVO_OK;
}

/* ---- dry run ---------------------------------------------------------------------------- */

static cvo_status dry_event(void *user, unsigned long number, const char *line, size_t len,
                            json_t *event)
{
    klaviyo *k = user;
    state_entry entry = STATE_NONE;
    const char *uid = jsonread_text(event, "data.attributes.unique_id");
    if (k->o->state != NULL)
        CVO_TRY(state_ledger_get(k->o->state, STATE_KLAVIYO_EVENT, uid, &entry));
    if (entry != STATE_NONE) {
        k->result->events_skipped++;
        session_say(&k->s, CVO_PUSH_PLAN, "skip klaviyo/events.jsonl:%lu  (in the ledger)", number);
        return CVO_OK;
    }
    k->result->events_sent++;
    session_say(&k->s, CVO_PUSH_PLAN, "POST %s" EVENTS_PATH "  klaviyo/events.jsonl:%lu  %zu bytes",
                k->base_url, number, len);
    return CVO_OK;
}

static cvo_status dry_body(klaviyo *k, size_t i, char *text, size_t len, json_t *profiles)
{
    const bulk_file *b = &k->files.bulk[i];
    char sha[2 * SHA256_BYTES + 1];
    state_entry entry = STATE_NONE;
    body_sha(text, len, sha);
    if (k->o->state != NULL)
        CVO_TRY(state_ledger_get(k->o->state, STATE_KLAVIYO_BULK, sha, &entry));
    if (entry == STATE_DONE) {
        k->result->bulk_skipped++;
        session_say(&k->s, CVO_PUSH_PLAN,
                    "skip klaviyo/profile-bulk-import/%s  (accepted before, the same bytes)",
                    b->name);
    } else {
        k->result->bulk_sent++;
        k->result->profiles += b->profiles;
        session_say(&k->s, CVO_PUSH_PLAN,
                    "POST %s" BULK_PATH "  klaviyo/profile-bulk-import/%s  %zu bytes, %zu profiles",
                    k->base_url, b->name, b->bytes, b->profiles);
    }
    return k->o->state && k->o->id_key ? unset_body_profiles(k, i, text, len, profiles) : CVO_OK;
}

static cvo_status dry_run(klaviyo *k)
{
    const char *key = k->o->klaviyo_api_key;
    session_say(&k->s, CVO_PUSH_PLAN, "dry run: nothing is sent. Headers of every request:");
    session_say(&k->s, CVO_PUSH_PLAN, "  Authorization: Klaviyo-API-Key %s",
                key && key[0] ? "******** (the key is set)" : "(no key is set)");
    session_say(&k->s, CVO_PUSH_PLAN, "  %s", k->revision);
    session_say(&k->s, CVO_PUSH_PLAN, "  Content-Type: " MEDIA_TYPE);
    session_say(&k->s, CVO_PUSH_PLAN, "  Accept: " MEDIA_TYPE);
    CVO_TRY(bodies_each(k, dry_body));
    CVO_TRY(unset_all_withdrawn(k));
    if (k->result->unset_sent > 0)
        session_say(&k->s, CVO_PUSH_PLAN,
                    "POST %s" IMPORT_PATH "  %zu profiles lose %zu properties", k->base_url,
                    k->result->unset_sent, k->result->unset_names);
    CVO_TRY(klaviyo_events_each(&k->files, dry_event, k));
    const cvo_push_result *r = k->result;
    session_say(&k->s, CVO_PUSH_PLAN,
                "%zu bulk jobs (%zu profiles), %zu profiles with "
                "properties to remove, %zu events would be sent; %zu bodies and %zu events "
                "already accepted",
                r->bulk_sent, r->profiles, r->unset_sent, r->events_sent, r->bulk_skipped,
                r->events_skipped);
    return CVO_OK;
}

/* ---- the entry point ------------------------------------------------------------------- */

static cvo_status push_all(klaviyo *k)
{
    CVO_TRY(windows(k));
    CVO_TRY(events_interrupted(k));
    cvo_status status = bodies_each(k, bulk_send);
    if (status == CVO_OK && k->o->klaviyo_wait_s > 0)
        status = jobs_follow(k);
    cvo_status reported = jobs_report(k);
    status = status != CVO_OK ? status : reported;
    if (status == CVO_OK)
        status = bodies_each(k, unset_body_profiles);
    if (status == CVO_OK)
        status = unset_all_withdrawn(k);
    if (status == CVO_OK)
        status = klaviyo_events_each(&k->files, event_send, k);
    const cvo_push_result *r = k->result;
    session_say(&k->s, CVO_PUSH_PROGRESS,
                "%zu bulk jobs (%zu profiles) sent, %zu already "
                "accepted; properties removed from %zu profiles; %zu events sent, %zu already "
                "in the ledger",
                r->bulk_sent, r->profiles, r->bulk_skipped, r->unset_sent, r->events_sent,
                r->events_skipped);
    return status;
}

cvo_status cvo_klaviyo_push(cvo_ctx *ctx, const cvo_push_options *options, cvo_push_result *result)
{
    CVO_TRY(session_begin(ctx, options, result, "klaviyo"));
    klaviyo *k = mem_alloc(ctx, sizeof *k);
    if (k == NULL)
        return ctx_nomem(ctx);
    memset(k, 0, sizeof *k);
    k->ctx = ctx;
    k->o = options;
    k->result = result;
    cvo_status status = settings(k);
    session_init(&k->s, ctx, options, "klaviyo", k->base_url, &result->requests);
    if (status == CVO_OK)
        status = klaviyo_files_plan(&k->files, ctx, options->dir);
    if (status == CVO_OK)
        status = options->dry_run ? dry_run(k) : push_all(k);
    klaviyo_files_free(&k->files);
    window_free(&k->bulk_window, ctx);
    window_free(&k->import_window, ctx);
    window_free(&k->event_window, ctx);
    explicit_bzero(k->auth, sizeof k->auth);
    mem_free(ctx, k);
    return status;
}

void cvo_push_options_init(cvo_push_options *options)
{
    if (options == NULL)
        return;
    memset(options, 0, sizeof *options);
    options->klaviyo_wait_s = 60;
    options->as_of_day = INT32_MIN;
}
