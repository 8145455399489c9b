/* gorgias_push.c - cvo_gorgias_push: each ticket of DIR/gorgias/tickets.jsonl at
 * most once. Invariant: a ticket is in the ledger as "sending" (committed) before
 * its request leaves, and one whose outcome is unknown is never sent again.
 * One ticket per customer within max_answer_age_days: the ledger's day of a
 * ticket is the as-of day of the run that opened it. */
#include "push/jsonread.h"
#include "push/session.h"

#include "base/ctx.h"
#include "history/state.h"
#include "output/gorgias.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICKETS_PATH "/api/tickets"

enum {
    BASE_URL_MAX = 200,
    SECRET_MAX = 256,
    URL_MAX = 512,
    PATH_BYTES = 4096,
    LINE_MAX_BYTES = 1000000, /* a ticket body; ours are a few kilobytes */
    WINDOW_REQUESTS = 40,     /* Gorgias: 40 requests per 20 s for API-key integrations */
    WINDOW_S = 20
};

typedef struct gorgias {
    cvo_ctx *ctx;
    const cvo_push_options *o;
    cvo_push_result *result;
    push_session s;
    char base_url[BASE_URL_MAX + 1], url[URL_MAX];
    char auth[2 * SECRET_MAX + 64];
    const char *headers[3];
    char path[PATH_BYTES];
    push_window window;
    int32_t held_since; /* a ledger entry of the customer dated on or after: no new ticket */
} gorgias;

/* ---- settings ------------------------------------------------------------------------- */

static void base64(const char *in, size_t len, char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        v |= i + 1 < len ? (uint32_t)(unsigned char)in[i + 1] << 8 : 0;
        v |= i + 2 < len ? (uint32_t)(unsigned char)in[i + 2] : 0;
        out[o++] = digits[v >> 18 & 63];
        out[o++] = digits[v >> 12 & 63];
        out[o++] = i + 1 < len ? digits[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? digits[v & 63] : '=';
    }
    out[o] = '\0';
}

static bool base_url(gorgias *g)
{
    const cvo_push_options *o = g->o;
    if (o->gorgias_base_url != NULL && o->gorgias_base_url[0] != '\0')
        return session_base_url(g->ctx, "gorgias: the base URL", o->gorgias_base_url, g->base_url,
                                sizeof g->base_url);
    const char *domain = o->gorgias_domain;
    size_t len = domain ? strlen(domain) : 0;
    if (len == 0 || len > 63 ||
        strspn(domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != len) {
        ctx_fail(g->ctx, CVO_ERR_ARGUMENT,
                 "gorgias: the domain must be the account name "
                 "(letters, digits, '-': DOMAIN.gorgias.com)");
        return false;
    }
    snprintf(g->base_url, sizeof g->base_url, "https://%s.gorgias.com", domain);
    return true;
}

static cvo_status settings(gorgias *g)
{
    const cvo_push_options *o = g->o;
    if (!base_url(g))
        return CVO_ERR_ARGUMENT;
    snprintf(g->url, sizeof g->url, "%s" TICKETS_PATH, g->base_url);
    double age = cvo_config_number(o->config, "gorgias", "max_answer_age_days");
    g->held_since = o->as_of_day == INT32_MIN ? INT32_MIN : o->as_of_day - (int32_t)age + 1;
    if (o->dry_run)
        return CVO_OK;
    if (!session_secret(g->ctx, "gorgias: the user", o->gorgias_user, SECRET_MAX, ":") ||
        !session_secret(g->ctx, "gorgias: the API key", o->gorgias_api_key, SECRET_MAX, ""))
        return CVO_ERR_ARGUMENT;
    if (o->transport == NULL || o->state == NULL || o->as_of_day == INT32_MIN)
        return ctx_fail(g->ctx, CVO_ERR_ARGUMENT,
                        "gorgias: a push needs a transport, a state database and the as-of day");
    char pair[2 * SECRET_MAX + 2], encoded[2 * SECRET_MAX + 8];
    int n = snprintf(pair, sizeof pair, "%s:%s", o->gorgias_user, o->gorgias_api_key);
    base64(pair, (size_t)n, encoded);
    snprintf(g->auth, sizeof g->auth, "Authorization: Basic %s", encoded);
    explicit_bzero(pair, sizeof pair);
    explicit_bzero(encoded, sizeof encoded);
    g->headers[0] = g->auth;
    g->headers[1] = "Accept: application/json";
    g->headers[2] = "Content-Type: application/json";
    return CVO_OK;
}

/* ---- the tickets file ------------------------------------------------------------------ */

typedef struct ticket {
    const char *body;
    size_t len;
    unsigned long number;
    const char *key; /* its external_id */
    char customer[KEYED_HEX + 1];
} ticket;

typedef cvo_status (*ticket_visit)(gorgias *g, const ticket *t);

typedef struct ticket_walk {
    gorgias *g;
    ticket_visit visit;
} ticket_walk;

static cvo_status ticket_line(void *user, unsigned long number, char *text, size_t len)
{
    ticket_walk *w = user;
    gorgias *g = w->g;
    json_t *body = len <= LINE_MAX_BYTES ? jsonread_parse(text, len) : NULL;
    ticket t = {text, len, number, jsonread_text(body, "external_id"), ""};
    cvo_status status = CVO_OK;
    if (t.key == NULL || !gorgias_key_customer(t.key, t.customer) || !json_is_object(body))
        status =
            ctx_fail(g->ctx, CVO_ERR_FORMAT,
                     "gorgias: %s:%lu: not a ticket body with a cvo external_id", g->path, number);
    else if (w->visit != NULL)
        status = w->visit(g, &t);
    json_decref(body);
    return status;
}

static cvo_status tickets_each(gorgias *g, ticket_visit visit)
{
    ticket_walk w = {g, visit};
    return session_lines(g->ctx, "gorgias", g->path, ticket_line, &w);
}

/* ---- one ticket ------------------------------------------------------------------------ */

typedef enum ticket_plan { PLAN_SEND, PLAN_SKIP, PLAN_HOLD } ticket_plan;

/* In the ledger: skip. A ticket for the customer within the age: hold. */
static cvo_status plan_of(gorgias *g, const ticket *t, ticket_plan *plan)
{
    state_entry entry = STATE_NONE;
    bool recent = false;
    *plan = PLAN_SEND;
    if (g->o->state == NULL)
        return CVO_OK;
    CVO_TRY(state_ledger_get(g->o->state, STATE_GORGIAS_TICKET, t->key, &entry));
    if (entry == STATE_NONE && g->held_since != INT32_MIN)
        CVO_TRY(state_ledger_customer_since(g->o->state, STATE_GORGIAS_TICKET, t->customer,
                                            g->held_since, &recent));
    *plan = entry != STATE_NONE ? PLAN_SKIP : recent ? PLAN_HOLD : PLAN_SEND;
    return CVO_OK;
}

static void count_plan(gorgias *g, ticket_plan plan)
{
    g->result->tickets_skipped += plan == PLAN_SKIP;
    g->result->tickets_held += plan == PLAN_HOLD;
}

/* The ticket's id from a 201. */
static void ticket_id(const cvo_http_response *r, char out[32])
{
    json_t *reply = jsonread_parse(r->body, r->body_len);
    long long id = 0;
    out[0] = '\0';
    if (jsonread_integer(reply, "id", &id))
        snprintf(out, 32, "%lld", id);
    json_decref(reply);
}

static cvo_status send_one(gorgias *g, const ticket *t)
{
    cvo_history *h = g->o->state;
    ticket_plan plan;
    CVO_TRY(plan_of(g, t, &plan));
    count_plan(g, plan);
    if (plan != PLAN_SEND)
        return CVO_OK;
    int32_t day = g->o->as_of_day;
    CVO_TRY(
        state_ledger_put(h, STATE_GORGIAS_TICKET, t->key, t->customer, STATE_SENDING, day, NULL));
    char where[PATH_BYTES + 96], id[32];
    snprintf(where, sizeof where, "%s:%lu (%s)", g->path, t->number, t->key);
    cvo_http_request q = {"POST", g->url, g->headers, 3, t->body, t->len, 0, 0};
    push_outcome outcome;
    CVO_TRY(session_send(&g->s, &g->window, &q, RETRY_UNSENT, where, &outcome));
    if (outcome == OUTCOME_ACCEPTED) {
        g->result->tickets_sent++;
        ticket_id(&g->s.response, id);
        return state_ledger_put(h, STATE_GORGIAS_TICKET, t->key, t->customer, STATE_DONE, day,
                                id[0] ? id : NULL);
    }
    if (outcome == OUTCOME_UNKNOWN) {
        char then[PATH_BYTES + 128];
        g->result->unknown++;
        CVO_TRY(state_ledger_put(h, STATE_GORGIAS_TICKET, t->key, t->customer, STATE_UNKNOWN, day,
                                 NULL));
        snprintf(then, sizeof then,
                 "the ticket may have been made: recorded as unknown in %s "
                 "and never sent again: check it in Gorgias",
                 h->path);
        return session_fail(&g->s, where, outcome, then);
    }
    CVO_TRY(state_ledger_drop(h, STATE_GORGIAS_TICKET, t->key));
    cvo_status status = session_fail(&g->s, where, outcome, "");
    if (g->s.response.status == 401 || g->s.response.status == 403) {
        char message[CVO_MESSAGE_BYTES];
        snprintf(message, sizeof message, "%s", cvo_ctx_message(g->ctx));
        ctx_fail(g->ctx, status, "%s (check the user and the API key)", message);
    }
    return status;
}

/* ---- dry run ---------------------------------------------------------------------------- */

static cvo_status dry_one(gorgias *g, const ticket *t)
{
    ticket_plan plan;
    CVO_TRY(plan_of(g, t, &plan));
    count_plan(g, plan);
    g->result->tickets_sent += plan == PLAN_SEND;
    if (plan == PLAN_SEND)
        session_say(&g->s, CVO_PUSH_PLAN, "POST %s  gorgias/tickets.jsonl:%lu  %s  %zu bytes",
                    g->url, t->number, t->key, t->len);
    else
        session_say(&g->s, CVO_PUSH_PLAN, "skip gorgias/tickets.jsonl:%lu  %s  (%s)", t->number,
                    t->key,
                    plan == PLAN_SKIP ? "in the ledger" : "the customer got a cvo ticket recently");
    return CVO_OK;
}

static cvo_status dry_run(gorgias *g)
{
    const cvo_push_options *o = g->o;
    session_say(&g->s, CVO_PUSH_PLAN, "dry run: nothing is sent. Headers of every request:");
    session_say(&g->s, CVO_PUSH_PLAN, "  Authorization: Basic base64(%s:%s)",
                o->gorgias_user && o->gorgias_user[0] ? o->gorgias_user : "(no user set)",
                o->gorgias_api_key && o->gorgias_api_key[0] ? "********" : "(no key set)");
    session_say(&g->s, CVO_PUSH_PLAN, "  Content-Type: application/json");
    session_say(&g->s, CVO_PUSH_PLAN, "  Accept: application/json");
    CVO_TRY(tickets_each(g, dry_one));
    const cvo_push_result *r = g->result;
    session_say(&g->s, CVO_PUSH_PLAN,
                "%zu tickets would be sent, %zu already in the ledger, "
                "%zu held (a cvo ticket for the customer within max_answer_age_days)",
                r->tickets_sent, r->tickets_skipped, r->tickets_held);
    return CVO_OK;
}

/* ---- the entry point ---------------------------------------------------------------------- */

static cvo_status push_all(gorgias *g)
{
    size_t interrupted = 0;
    CVO_TRY(window_init(&g->window, g->ctx, WINDOW_REQUESTS, WINDOW_S, WINDOW_REQUESTS, WINDOW_S));
    CVO_TRY(state_ledger_sweep(g->o->state, STATE_GORGIAS_TICKET, &interrupted));
    g->result->unknown += interrupted;
    if (interrupted > 0)
        session_say(&g->s, CVO_PUSH_WARNING,
                    "%zu ticket%s of an interrupted push may or may not "
                    "have been made: recorded as unknown in %s, never sent again: check in Gorgias",
                    interrupted, interrupted == 1 ? "" : "s", g->o->state->path);
    cvo_status status = tickets_each(g, send_one);
    const cvo_push_result *r = g->result;
    session_say(&g->s, CVO_PUSH_PROGRESS,
                "%zu tickets sent, %zu already in the ledger, %zu held "
                "(the customer got a cvo ticket within max_answer_age_days)",
                r->tickets_sent, r->tickets_skipped, r->tickets_held);
    return status;
}

cvo_status cvo_gorgias_push(cvo_ctx *ctx, const cvo_push_options *options, cvo_push_result *result)
{
    CVO_TRY(session_begin(ctx, options, result, "gorgias"));
    gorgias *g = mem_alloc(ctx, sizeof *g);
    if (g == NULL)
        return ctx_nomem(ctx);
    memset(g, 0, sizeof *g);
    g->ctx = ctx;
    g->o = options;
    g->result = result;
    int n = snprintf(g->path, sizeof g->path, "%s/gorgias/tickets.jsonl", options->dir);
    cvo_status status =
        n > 0 && (size_t)n < sizeof g->path
            ? settings(g)
            : ctx_fail(ctx, CVO_ERR_ARGUMENT, "gorgias: %s: path too long", options->dir);
    session_init(&g->s, ctx, options, "gorgias", g->base_url, &result->requests);
    if (status == CVO_OK)
        status = tickets_each(g, NULL); /* every line checks out first */
    if (status == CVO_OK)
        status = options->dry_run ? dry_run(g) : push_all(g);
    window_free(&g->window, ctx);
    explicit_bzero(g->auth, sizeof g->auth);
    mem_free(ctx, g);
    return status;
}

/* ---- the ledger of cvo 0.1.0 ------------------------------------------------------------- */

/* "cvo-nps-<email>-<YYYY-MM-DD>" (a "\t..." note after it): the e-mail and the
 * day; false for any other line (the "-score-N" keys had no day). */
static bool legacy_key(const char *line, char *email, size_t size, int32_t *day)
{
    static const char prefix[] = "cvo-nps-";
    size_t len = strcspn(line, "\t\r\n"), p = sizeof prefix - 1;
    if (len < p + 12 || strncmp(line, prefix, p) != 0 || line[len - 11] != '-')
        return false;
    char date[11];
    snprintf(date, sizeof date, "%.10s", line + len - 10);
    size_t email_len = len - 11 - p;
    if (!cvo_day_parse(date, day) || email_len == 0 || email_len >= size)
        return false;
    memcpy(email, line + p, email_len);
    email[email_len] = '\0';
    return true;
}

static int by_email(const void *a, const void *b)
{
    return strcmp((*(const cvo_customer *const *)a)->email, (*(const cvo_customer *const *)b)->email);
}

/* The customer with that (normalised) e-mail in sorted (by e-mail); NULL when none. */
static const cvo_customer *customer_by_email(const cvo_customer *const *sorted, size_t count,
                                             const char *email)
{
    cvo_customer probe = {.email = email};
    const cvo_customer *key = &probe;
    const cvo_customer *const *hit = bsearch(&key, sorted, count, sizeof *sorted, by_email);
    return hit ? *hit : NULL;
}

typedef struct legacy_import {
    cvo_history *state;
    const cvo_id_key *key;
    const cvo_customer **sorted; /* the customers by e-mail */
    size_t count;
    size_t imported;
} legacy_import;

static cvo_status legacy_line(void *user, unsigned long number, char *text, size_t len)
{
    legacy_import *l = user;
    char email[512], hash[KEYED_HEX + 1], key[GORGIAS_KEY_BYTES], date[11];
    int32_t day = 0;
    text[len] = '\0';
    if (!legacy_key(text, email, sizeof email, &day))
        return CVO_OK;
    const cvo_customer *c = customer_by_email(l->sorted, l->count, email);
    keyed_customer(l->key, c ? c->customer_id : "", email, hash);
    cvo_day_format(day, date);
    snprintf(key, sizeof key, GORGIAS_KEY_PREFIX "%s-%.4s%.2s%.2s", hash, date, date + 5,
             date + 8);
    CVO_TRY(state_ledger_put(l->state, STATE_GORGIAS_TICKET, key, hash, STATE_DONE, day, NULL));
    l->imported++;
    return CVO_OK;
}

cvo_status cvo_gorgias_import_ledger(cvo_ctx *ctx, cvo_history *state, const cvo_id_key *key,
                                     const cvo_customers *customers, const char *path,
                                     size_t *imported)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (state == NULL || key == NULL || customers == NULL || path == NULL || imported == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "gorgias: ledger import needs its arguments");
    *imported = 0;
    if (access(path, F_OK) != 0)
        return CVO_OK;
    size_t n = cvo_customers_count(customers);
    legacy_import l = {state, key, mem_array(ctx, n ? n : 1, sizeof *l.sorted), n, 0};
    if (l.sorted == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < n; i++)
        l.sorted[i] = cvo_customers_at(customers, i);
    qsort(l.sorted, n, sizeof *l.sorted, by_email);
    cvo_status status = state_begin(state);
    if (status == CVO_OK)
        status = session_lines(ctx, "gorgias", path, legacy_line, &l);
    if (status == CVO_OK)
        status = state_commit(state);
    else
        state_rollback(state);
    *imported = status == CVO_OK ? l.imported : 0;
    mem_free(ctx, l.sorted);
    return status;
}
