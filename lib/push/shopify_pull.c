/* shopify_pull.c - cvo pull shopify over the GraphQL Admin API: the token's
 * scopes, the shop's time zone (the times are written in it, as the export
 * does), one bulk query of the orders (waiting out one already running), its
 * polling, the download of its JSONL result, the merge with the previous pull
 * (shopify_orders.c) and the state kept beside the output. The token goes only
 * into the X-Shopify-Access-Token header of requests to the shop, never to the
 * download host and never into a message. */
#include "io/datetime.h"
#include "io/tz.h"
#include "push/jsonread.h"
#include "push/session.h"
#include "push/shopify_orders.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    URL_MAX = 512,
    TOKEN_MAX = 256,
    OVERLAP_S = 300,         /* the next pull starts this much before this one's start */
    VISIBLE_DAYS = 60,       /* without read_all_orders */
    VERSION_WARN_MONTHS = 9, /* platforms.md: warn when the pinned version is older */
    THROTTLE_MAX_S = 60,
    START_TRIES = 3 /* starts refused because another bulk query ran */
};

/* The orders with what the CSV export holds: line items the one connection under
 * orders; refunds, fulfillments and discount codes are plain lists on the order. */
static const char orders_fields[] =
    "id name email createdAt updatedAt cancelledAt displayFinancialStatus "
    "displayFulfillmentStatus currencyCode sourceName discountCodes "
    "customer { id email emailMarketingConsent { marketingState } } "
    "billingAddress { countryCodeV2 } shippingAddress { countryCodeV2 } "
    "subtotalPriceSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } } "
    "totalTaxSet { shopMoney { amount } } totalPriceSet { shopMoney { amount } } "
    "totalDiscountsSet { shopMoney { amount } } totalRefundedSet { shopMoney { amount } } "
    "refunds { createdAt totalRefundedSet { shopMoney { amount } } } "
    "fulfillments { createdAt } "
    "lineItems { edges { node { id name sku quantity "
    "originalUnitPriceSet { shopMoney { amount } } "
    "totalDiscountSet { shopMoney { amount } } } } }";

static const char run_mutation[] =
    "mutation cvoPull($query: String!) { bulkOperationRunQuery(query: $query) { "
    "bulkOperation { id status createdAt } userErrors { field message code } } }";

static const char poll_query[] =
    "query cvoPoll($id: ID!) { bulkOperation(id: $id) { id status errorCode createdAt "
    "objectCount rootObjectCount fileSize url partialDataUrl } }";

static const char current_query[] =
    "{ currentBulkOperation(type: QUERY) { id status createdAt objectCount } }";

static const char scopes_query[] = "{ currentAppInstallation { accessScopes { handle } } }";

static const char zone_query[] = "{ shop { ianaTimezone } }";

typedef struct puller {
    cvo_ctx *ctx;
    const cvo_shopify_pull_options *o;
    cvo_shopify_pull_result *result;
    push_session session;
    push_window window;
    char base[URL_MAX];     /* https://SHOP, or the test server */
    char url[URL_MAX + 64]; /* the GraphQL endpoint */
    char header[TOKEN_MAX + 40];
    double poll_s, wait_s;
    tz_zone *zone;      /* the shop's, from shop.ianaTimezone */
    int64_t op_created; /* the bulk operation's createdAt */
    char op_id[128];
    char download[4096]; /* its url, "" when it has no result */
} puller;

void cvo_shopify_pull_options_init(cvo_shopify_pull_options *options)
{
    if (options == NULL)
        return;
    memset(options, 0, sizeof *options);
    options->since = INT64_MIN;
    options->state.watermark = options->state.last_full = -1;
}

/* ---- the state beside the output ----------------------------------------------------- */

static cvo_status state_line(cvo_ctx *ctx, const char *path, unsigned long n, char *line,
                             cvo_shopify_state *out)
{
    char *eq = strchr(line, '=');
    if (line[0] == '#' || line[0] == '\0')
        return CVO_OK;
    if (eq == NULL)
        return ctx_fail(ctx, CVO_ERR_FORMAT, "%s:%lu: expected key=value", path, n);
    *eq = '\0';
    const char *value = eq + 1;
    int64_t *at = strcmp(line, "watermark") == 0   ? &out->watermark
                  : strcmp(line, "last_full") == 0 ? &out->last_full
                                                   : NULL;
    if (strcmp(line, "shop") == 0 && strlen(value) < sizeof out->shop) {
        memcpy(out->shop, value, strlen(value) + 1);
        return CVO_OK;
    }
    if (at != NULL && (strcmp(value, "none") == 0 || shop_time_parse(value, at))) {
        if (strcmp(value, "none") == 0)
            *at = -1;
        return CVO_OK;
    }
    return ctx_fail(ctx, CVO_ERR_FORMAT, "%s:%lu: unknown line '%s=%.40s'", path, n, line, value);
}

cvo_status cvo_shopify_state_read(cvo_ctx *ctx, const char *path, cvo_shopify_state *out)
{
    if (ctx == NULL || path == NULL || out == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "shopify: no state path") : CVO_ERR_ARGUMENT;
    memset(out, 0, sizeof *out);
    out->watermark = out->last_full = -1;
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return errno == ENOENT ? CVO_OK
                               : ctx_fail(ctx, CVO_ERR_IO, "%s: %s", path, strerror(errno));
    char line[512];
    unsigned long n = 0;
    cvo_status status = CVO_OK;
    while (status == CVO_OK && fgets(line, sizeof line, in) != NULL) {
        n++;
        line[strcspn(line, "\r\n")] = '\0';
        status = state_line(ctx, path, n, line, out);
    }
    if (status == CVO_OK && ferror(in))
        status = ctx_fail(ctx, CVO_ERR_IO, "%s: read error", path);
    fclose(in);
    return status;
}

cvo_status cvo_shopify_state_write(cvo_ctx *ctx, const cvo_shopify_state *state, FILE *out)
{
    if (ctx == NULL || state == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    char watermark[21] = "none", last_full[21] = "none";
    if (state->watermark >= 0)
        shop_time_iso(state->watermark, watermark);
    if (state->last_full >= 0)
        shop_time_iso(state->last_full, last_full);
    fprintf(out,
            "# cvo pull shopify: what the last pull into the file beside this one covered\n"
            "shop=%s\nwatermark=%s\nlast_full=%s\n",
            state->shop, watermark, last_full);
    return fflush(out) == 0 && !ferror(out)
               ? CVO_OK
               : ctx_fail(ctx, CVO_ERR_WRITE, "write error: %s", strerror(errno));
}

/* ---- settings ---------------------------------------------------------------------- */

static bool shop_name_ok(const char *shop)
{
    static const char suffix[] = ".myshopify.com";
    size_t len = shop ? strlen(shop) : 0, n = sizeof suffix - 1;
    if (len <= n || len > 100 || strcmp(shop + len - n, suffix) != 0)
        return false;
    for (size_t i = 0; i < len - n; i++) {
        char c = shop[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
            return false;
    }
    return true;
}

/* "YYYY-MM" or "unstable"; warns when older than VERSION_WARN_MONTHS. */
static cvo_status check_version(puller *p, const char *version)
{
    int year = 0, month = 0;
    bool dated = strlen(version) == 7 && version[4] == '-';
    for (int i = 0; dated && i < 7; i++)
        dated = i == 4 || (version[i] >= '0' && version[i] <= '9');
    if (dated) {
        year = (version[0] - '0') * 1000 + (version[1] - '0') * 100 + (version[2] - '0') * 10 +
               (version[3] - '0');
        month = (version[5] - '0') * 10 + (version[6] - '0');
    }
    if (strcmp(version, "unstable") != 0 && (!dated || month < 1 || month > 12))
        return ctx_fail(p->ctx, CVO_ERR_ARGUMENT,
                        "shopify: [shopify] api_version must be YYYY-MM or unstable, not '%s'",
                        version);
    if (dated && p->o->now > 0) {
        int y, m, d;
        date_to_civil((int32_t)(p->o->now / 86400), &y, &m, &d);
        if ((y * 12 + m) - (year * 12 + month) > VERSION_WARN_MONTHS)
            session_say(&p->session, CVO_PUSH_WARNING,
                        "API version %s is more than %d months old; Shopify supports a version "
                        "for 12 months: set a newer [shopify] api_version",
                        version, VERSION_WARN_MONTHS);
    }
    return CVO_OK;
}

static cvo_status setup(puller *p)
{
    const cvo_shopify_pull_options *o = p->o;
    if (!shop_name_ok(o->shop))
        return ctx_fail(p->ctx, CVO_ERR_ARGUMENT,
                        "shopify: the shop must be NAME.myshopify.com (lower-case letters, "
                        "digits and '-'), not '%s'",
                        o->shop ? o->shop : "");
    if (!session_secret(p->ctx, "shopify: the access token (CVO_SHOPIFY_TOKEN)", o->token,
                        TOKEN_MAX, ""))
        return CVO_ERR_ARGUMENT;
    if (o->transport == NULL)
        return ctx_fail(p->ctx, CVO_ERR_ARGUMENT, "shopify: no transport");
    char given[URL_MAX];
    snprintf(given, sizeof given, "https://%s", o->shop);
    if (!session_base_url(p->ctx, "shopify: the base URL", o->base_url ? o->base_url : given,
                          p->base, sizeof p->base - 64))
        return CVO_ERR_ARGUMENT;
    const char *version = cvo_config_text(o->config, "shopify", "api_version");
    snprintf(p->url, sizeof p->url, "%s/admin/api/%.16s/graphql.json", p->base, version);
    snprintf(p->header, sizeof p->header, "X-Shopify-Access-Token: %s", o->token);
    p->poll_s = cvo_config_number(o->config, "shopify", "poll_seconds");
    p->wait_s = 60 * cvo_config_number(o->config, "shopify", "wait_minutes");
    return check_version(p, version);
}

/* ---- one GraphQL request, throttling waited out ------------------------------------- */

/* Seconds until the bucket holds the query's cost again, from extensions.cost. */
static double throttle_wait(json_t *root, char *what, size_t cap)
{
    json_t *cost = jsonread_at(root, "extensions.cost");
    double requested = json_number_value(json_object_get(cost, "requestedQueryCost"));
    json_t *bucket = json_object_get(cost, "throttleStatus");
    double available = json_number_value(json_object_get(bucket, "currentlyAvailable"));
    double maximum = json_number_value(json_object_get(bucket, "maximumAvailable"));
    double rate = json_number_value(json_object_get(bucket, "restoreRate"));
    snprintf(what, cap, "query cost %g, %g of %g points available, restoring %g/s", requested,
             available, maximum, rate);
    double wait = rate > 0 ? (requested - available) / rate : 1;
    return wait < 1 ? 1 : wait > THROTTLE_MAX_S ? THROTTLE_MAX_S : wait;
}

static bool throttled(json_t *root)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(root, "errors"), i, e)
    {
        const char *code = jsonread_text(e, "extensions.code");
        const char *message = jsonread_text(e, "message");
        if ((code && strcmp(code, "THROTTLED") == 0) ||
            (message && strcmp(message, "Throttled") == 0))
            return true;
    }
    return false;
}

/* The errors of an answer as one message. */
static cvo_status graphql_errors(puller *p, const char *where, json_t *root)
{
    json_t *errors = json_object_get(root, "errors");
    const char *message = jsonread_text(root, "errors.0.message");
    const char *code = jsonread_text(root, "errors.0.extensions.code");
    if (message == NULL && json_is_string(errors))
        message = json_string_value(errors);
    bool denied = code && strcmp(code, "ACCESS_DENIED") == 0;
    return ctx_fail(p->ctx, CVO_ERR_REMOTE, "shopify: %s: %s%s%s%s%s; nothing written", where,
                    message ? message : "an error without a message", code ? " (" : "",
                    code ? code : "", code ? ")" : "",
                    denied ? ": the token lacks a scope the query needs (read_orders)" : "");
}

/* POSTs {query, variables} to the GraphQL endpoint; *root is the answer (json_decref it)
 * with a "data" object. A throttled answer is tried again after the wait its cost says,
 * up to [push] tries. */
static cvo_status graphql(puller *p, const char *where, const char *query, json_t *variables,
                          json_t **root)
{
    json_t *doc = json_pack("{s:s}", "query", query);
    if (doc && variables)
        json_object_set(doc, "variables", variables);
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (body == NULL)
        return ctx_nomem(p->ctx);
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json",
                             p->header};
    cvo_status status = CVO_OK;
    *root = NULL;
    for (int try = 1; status == CVO_OK; try++) {
        cvo_http_request request = {"POST", p->url, headers, 3, body, strlen(body), 0, 0};
        push_outcome outcome;
        status = session_send(&p->session, &p->window, &request, RETRY_IDEMPOTENT, where, &outcome);
        if (status != CVO_OK)
            break;
        if (outcome != OUTCOME_ACCEPTED) {
            status = session_fail(&p->session, where, outcome, "nothing written");
            break;
        }
        json_t *answer = jsonread_parse(p->session.response.body, p->session.response.body_len);
        if (!json_is_object(answer)) {
            json_decref(answer);
            status = ctx_fail(p->ctx, CVO_ERR_REMOTE, "shopify: %s: the answer is not JSON", where);
            break;
        }
        if (!throttled(answer)) {
            if (json_object_get(answer, "errors") != NULL ||
                !json_is_object(json_object_get(answer, "data"))) {
                status = graphql_errors(p, where, answer);
                json_decref(answer);
            } else {
                *root = answer;
            }
            break;
        }
        char what[160];
        double wait = throttle_wait(answer, what, sizeof what);
        json_decref(answer);
        if (try >= p->session.tries) {
            status = ctx_fail(p->ctx, CVO_ERR_REMOTE,
                              "shopify: %s: throttled by Shopify on all %d tries (%s); nothing "
                              "written: try again later, or raise [push] tries",
                              where, try, what);
            break;
        }
        session_say(&p->session, CVO_PUSH_PROGRESS,
                    "%s: throttled (%s): waiting %g s (try %d of %d)", where, what, wait, try + 1,
                    p->session.tries);
        p->o->transport->sleep(p->o->transport->self, wait);
    }
    free(body); /* jansson's */
    return status;
}

/* ---- scopes ---------------------------------------------------------------------------- */

static cvo_status check_scopes(puller *p)
{
    json_t *root;
    CVO_TRY(graphql(p, "access scopes", scopes_query, NULL, &root));
    bool orders = false, all_orders = false;
    size_t i;
    json_t *scope;
    json_array_foreach(jsonread_at(root, "data.currentAppInstallation.accessScopes"), i, scope)
    {
        const char *handle = jsonread_text(scope, "handle");
        orders |=
            handle && (strcmp(handle, "read_orders") == 0 || strcmp(handle, "write_orders") == 0);
        all_orders |= handle && strcmp(handle, "read_all_orders") == 0;
    }
    json_decref(root);
    p->result->all_orders = all_orders;
    if (!orders)
        return ctx_fail(p->ctx, CVO_ERR_REMOTE,
                        "shopify: the token lacks the read_orders scope%s: give the app "
                        "read_orders and read_all_orders (Shopify admin > Settings > Apps and "
                        "sales channels > Develop apps > the app > Configuration); nothing written",
                        all_orders ? "" : " (and read_all_orders)");
    if (!all_orders)
        session_say(&p->session, CVO_PUSH_WARNING,
                    "the token lacks the read_all_orders scope: Shopify shows only the orders of "
                    "the last %d days (older ones in the previous file are kept); ask Shopify for "
                    "read_all_orders to pull the whole history",
                    VISIBLE_DAYS);
    else
        session_say(&p->session, CVO_PUSH_PROGRESS,
                    "scopes read_orders and read_all_orders granted");
    return CVO_OK;
}

/* ---- the shop's time zone ---------------------------------------------------------------- */

/* tz_load's message turned into the pull's: a name that is not a zone name is
 * Shopify's answer at fault; a zone that cannot be read is this machine's (the name
 * passed tz_load's check, so it is safe to print). */
static cvo_status zone_failed(puller *p, cvo_status status, const char *name)
{
    char why[CVO_MESSAGE_BYTES / 2];
    snprintf(why, sizeof why, "%s", cvo_ctx_message(p->ctx));
    if (status == CVO_ERR_ARGUMENT)
        return ctx_fail(p->ctx, CVO_ERR_REMOTE, "shopify: shop.ianaTimezone: %s; nothing written",
                        why);
    return ctx_fail(p->ctx, status,
                    "shopify: the shop's time zone %s cannot be loaded (%s): install or update "
                    "tzdata (apt-get install tzdata); nothing written",
                    name, why);
}

/* Loads the shop's zone: Shopify's API gives times in UTC, its export in the
 * shop's local time, and cvo takes an order's day from the local date. Never
 * falls back to UTC: days would move. */
static cvo_status load_zone(puller *p)
{
    json_t *root;
    CVO_TRY(graphql(p, "shop time zone", zone_query, NULL, &root));
    const char *name = jsonread_text(root, "data.shop.ianaTimezone");
    cvo_status status;
    if (name == NULL || name[0] == '\0')
        status = ctx_fail(p->ctx, CVO_ERR_REMOTE,
                          "shopify: the answer holds no shop.ianaTimezone; nothing written");
    else if ((status = tz_load(p->ctx, NULL, name, &p->zone)) != CVO_OK)
        status = zone_failed(p, status, name);
    else
        session_say(&p->session, CVO_PUSH_PROGRESS, "shop time zone %s", name);
    json_decref(root);
    return status;
}

/* ---- the bulk operation ------------------------------------------------------------------ */

static bool status_is(const char *status, const char *name)
{
    return status != NULL && strcmp(status, name) == 0;
}

static bool time_up(puller *p, double deadline)
{
    return p->o->transport->now(p->o->transport->self) >= deadline;
}

static void pause_poll(puller *p)
{
    p->o->transport->sleep(p->o->transport->self, p->poll_s);
}

/* Another bulk query of this app is running: polls currentBulkOperation until it ends. */
static cvo_status wait_current(puller *p)
{
    double deadline = p->o->transport->now(p->o->transport->self) + p->wait_s;
    for (;;) {
        json_t *root;
        CVO_TRY(graphql(p, "current bulk operation", current_query, NULL, &root));
        const char *status = jsonread_text(root, "data.currentBulkOperation.status");
        bool running = status_is(status, "CREATED") || status_is(status, "RUNNING") ||
                       status_is(status, "CANCELING");
        char id[128];
        const char *gid = jsonread_text(root, "data.currentBulkOperation.id");
        snprintf(id, sizeof id, "%s", gid ? gid : "?");
        json_decref(root);
        if (!running)
            return CVO_OK;
        if (time_up(p, deadline))
            return ctx_fail(p->ctx, CVO_ERR_REMOTE,
                            "shopify: another bulk query of this app (%s) is still %s after %g "
                            "minutes ([shopify] wait_minutes); nothing written: try again later",
                            id, status, p->wait_s / 60);
        pause_poll(p);
    }
}

static bool in_progress(json_t *error)
{
    const char *code = jsonread_text(error, "code");
    const char *message = jsonread_text(error, "message");
    return (code && strcmp(code, "OPERATION_IN_PROGRESS") == 0) ||
           (message && strstr(message, "already in progress") != NULL);
}

/* Takes the started operation from the answer; false when it holds none. */
static bool take_operation(puller *p, json_t *root)
{
    json_t *op = jsonread_at(root, "data.bulkOperationRunQuery.bulkOperation");
    const char *id = jsonread_text(op, "id");
    if (id == NULL || strlen(id) >= sizeof p->op_id ||
        !shop_time_parse(jsonread_text(op, "createdAt"), &p->op_created))
        return false;
    memcpy(p->op_id, id, strlen(id) + 1);
    return true;
}

static cvo_status start(puller *p, int64_t updated_since)
{
    char inner[sizeof orders_fields + 128], filter[64] = "";
    if (updated_since != INT64_MIN) {
        char iso[21];
        shop_time_iso(updated_since, iso);
        snprintf(filter, sizeof filter, "(query: \"updated_at:>='%s'\")", iso);
    }
    snprintf(inner, sizeof inner, "{ orders%s { edges { node { %s } } } }", filter, orders_fields);
    for (int attempt = 1;; attempt++) {
        json_t *root, *variables = json_pack("{s:s}", "query", inner);
        if (variables == NULL)
            return ctx_nomem(p->ctx);
        cvo_status status = graphql(p, "bulk query start", run_mutation, variables, &root);
        json_decref(variables);
        CVO_TRY(status);
        json_t *error = jsonread_at(root, "data.bulkOperationRunQuery.userErrors.0");
        if (error == NULL && take_operation(p, root)) {
            json_decref(root);
            session_say(&p->session, CVO_PUSH_PROGRESS, "bulk operation %s started", p->op_id);
            return CVO_OK;
        }
        bool busy = in_progress(error) && attempt < START_TRIES;
        char words[300];
        const char *message = jsonread_text(error, "message"), *code = jsonread_text(error, "code");
        snprintf(words, sizeof words, "%s (%s)",
                 error == NULL ? "no operation in the answer"
                 : message     ? message
                               : "no message",
                 code ? code : "no code");
        json_decref(root);
        if (!busy)
            return ctx_fail(p->ctx, CVO_ERR_REMOTE,
                            "shopify: the bulk query was refused: %s; nothing written", words);
        session_say(&p->session, CVO_PUSH_PROGRESS,
                    "another bulk query of this app is in progress: waiting for it to finish");
        CVO_TRY(wait_current(p));
    }
}

static const char *failure_hint(const char *code)
{
    if (status_is(code, "ACCESS_DENIED"))
        return ": the token lacks a scope the query needs (read_orders, read_all_orders)";
    if (status_is(code, "INTERNAL_SERVER_ERROR"))
        return ": an intermittent error at Shopify; pull again";
    if (status_is(code, "TIMEOUT"))
        return ": the query took too long at Shopify; pull again, or pull --since a later date";
    return "";
}

/* Polls until the operation ends; COMPLETED keeps its url, anything else fails. */
static cvo_status poll(puller *p)
{
    double deadline = p->o->transport->now(p->o->transport->self) + p->wait_s;
    char last[32] = "CREATED";
    for (;;) {
        json_t *root, *variables = json_pack("{s:s}", "id", p->op_id);
        if (variables == NULL)
            return ctx_nomem(p->ctx);
        cvo_status s = graphql(p, "bulk operation poll", poll_query, variables, &root);
        json_decref(variables);
        CVO_TRY(s);
        json_t *op = jsonread_at(root, "data.bulkOperation");
        const char *status = jsonread_text(op, "status");
        const char *code = jsonread_text(op, "errorCode");
        const char *url = jsonread_text(op, "url");
        long long objects = 0; /* UnsignedInt64: a string in JSON */
        const char *count = jsonread_text(op, "objectCount");
        if (count == NULL || (objects = strtoll(count, NULL, 10)) < 0)
            jsonread_integer(op, "objectCount", &objects);
        if (status && strcmp(status, last) != 0) {
            session_say(&p->session, CVO_PUSH_PROGRESS, "bulk operation %s: %s, %lld objects",
                        p->op_id, status, objects);
            snprintf(last, sizeof last, "%s", status);
        }
        if (status_is(status, "COMPLETED")) {
            bool fits = url == NULL || strlen(url) < sizeof p->download;
            snprintf(p->download, sizeof p->download, "%s", url && fits ? url : "");
            json_decref(root);
            return fits ? CVO_OK
                        : ctx_fail(p->ctx, CVO_ERR_REMOTE, "shopify: the result's URL is too long");
        }
        if (!status_is(status, "CREATED") && !status_is(status, "RUNNING")) {
            cvo_status failed = ctx_fail(p->ctx, CVO_ERR_REMOTE,
                                         "shopify: bulk operation %s %s%s%s%s; nothing written",
                                         p->op_id, status ? status : "vanished", code ? ": " : "",
                                         code ? code : "", failure_hint(code));
            json_decref(root);
            return failed;
        }
        json_decref(root);
        if (time_up(p, deadline))
            return ctx_fail(p->ctx, CVO_ERR_REMOTE,
                            "shopify: bulk operation %s is still %s after %g minutes ([shopify] "
                            "wait_minutes); nothing written: the next pull waits for it",
                            p->op_id, last, p->wait_s / 60);
        pause_poll(p);
    }
}

/* ---- the download --------------------------------------------------------------------- */

static bool download_url_ok(const char *url)
{
    static const char *const loopback[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c > '~')
            return false;
    if (strncmp(url, "https://", 8) == 0 && url[8] != '\0' && url[8] != '/')
        return true;
    for (size_t i = 0; i < sizeof loopback / sizeof *loopback; i++) {
        size_t n = strlen(loopback[i]);
        if (strncmp(url, loopback[i], n) == 0 && (url[n] == ':' || url[n] == '/'))
            return true;
    }
    return false;
}

/* One GET of the result into file: through receive, or send and a copy. */
static cvo_status fetch_once(puller *p, cvo_http_request *request, FILE *file)
{
    cvo_transport *t = p->o->transport;
    cvo_http_response *r = &p->session.response;
    memset(r, 0, sizeof *r);
    r->retry_after_s = -1;
    r->body = "";
    (*p->session.requests)++;
    if (fseek(file, 0, SEEK_SET) != 0 || ftruncate(fileno(file), 0) != 0)
        return ctx_fail(p->ctx, CVO_ERR_WRITE, "shopify: cannot reset the download: %s",
                        strerror(errno));
    if (t->receive != NULL)
        return t->receive(t->self, request, file, r);
    CVO_TRY(t->send(t->self, request, r));
    if (r->status >= 200 && r->status <= 299 && r->body_len > 0 &&
        fwrite(r->body, 1, r->body_len, file) != r->body_len)
        return ctx_fail(p->ctx, CVO_ERR_WRITE, "shopify: cannot write the download: %s",
                        strerror(errno));
    return CVO_OK;
}

/* Downloads the result (no token: the file lives on another host) into a temporary file. */
static cvo_status download(puller *p, FILE *file)
{
    if (!download_url_ok(p->download))
        return ctx_fail(p->ctx, CVO_ERR_REMOTE,
                        "shopify: the result's URL is not an https:// URL; nothing written");
    cvo_http_request request = {"GET", p->download, NULL,      0,
                                NULL,  0,           p->wait_s, p->session.connect_timeout_s};
    const cvo_http_response *r = &p->session.response;
    for (int try = 1;; try++) {
        CVO_TRY(fetch_once(p, &request, file));
        if (r->status >= 200 && r->status <= 299)
            break;
        if (try >= p->session.tries || (r->status >= 400 && r->status < 500 && r->status != 429))
            return ctx_fail(p->ctx, CVO_ERR_REMOTE,
                            "shopify: the result of %s could not be downloaded (%s%ld%s%s); "
                            "nothing written",
                            p->op_id, r->status ? "HTTP " : "", r->status, r->status ? "" : " ",
                            r->status ? "" : r->error);
        session_say(&p->session, CVO_PUSH_PROGRESS, "download: %s, retrying (try %d of %d)",
                    r->status ? "an error answer" : r->error, try + 1, p->session.tries);
        p->o->transport->sleep(p->o->transport->self, try);
    }
    if (fflush(file) != 0)
        return ctx_fail(p->ctx, CVO_ERR_WRITE, "shopify: cannot write the download: %s",
                        strerror(errno));
    long size = ftell(file);
    session_say(&p->session, CVO_PUSH_PROGRESS, "result downloaded: %ld bytes", size);
    rewind(file);
    return CVO_OK;
}

/* ---- the pull -------------------------------------------------------------------------- */

/* Full or incremental, and from when; says why. *from is INT64_MIN for a full pull. */
static cvo_status choose_mode(puller *p, bool have_previous, int64_t *from)
{
    const cvo_shopify_pull_options *o = p->o;
    const cvo_shopify_state *s = &o->state;
    double days = cvo_config_number(o->config, "shopify", "full_every_days");
    const char *why = NULL;
    char text[160];
    if (o->full && o->since != INT64_MIN)
        return ctx_fail(p->ctx, CVO_ERR_ARGUMENT, "shopify: --full and --since exclude each other");
    if (o->full)
        why = "asked for";
    else if (o->since == INT64_MIN && !have_previous)
        why = "no earlier pull into this file";
    else if (o->since == INT64_MIN && s->watermark < 0)
        why = "the record of the last pull does not say the file is complete";
    else if (o->since == INT64_MIN &&
             (s->last_full < 0 || (double)(o->now - s->last_full) >= days * 86400)) {
        snprintf(text, sizeof text,
                 "the last full pull is over %g days old ([shopify] "
                 "full_every_days)",
                 days);
        why = text;
    }
    p->result->full = why != NULL;
    *from = why ? INT64_MIN : o->since != INT64_MIN ? o->since : s->watermark;
    if (why) {
        session_say(&p->session, CVO_PUSH_PROGRESS, "full pull: %s", why);
        return CVO_OK;
    }
    char iso[21];
    shop_time_iso(*from, iso);
    session_say(&p->session, CVO_PUSH_PROGRESS, "orders updated since %s", iso);
    return CVO_OK;
}

/* What the new file covers, for the record beside it. */
static void next_state(puller *p, bool have_previous, int64_t from)
{
    const cvo_shopify_state *s = &p->o->state;
    cvo_shopify_state *n = &p->result->state;
    memset(n, 0, sizeof *n);
    snprintf(n->shop, sizeof n->shop, "%s", p->o->shop);
    /* complete from this start on when it follows a complete file without a gap */
    bool chained = p->result->full || (have_previous && s->watermark >= 0 && from <= s->watermark);
    n->watermark = chained ? p->op_created - OVERLAP_S : have_previous ? s->watermark : -1;
    n->last_full = p->result->full ? p->op_created : s->last_full;
}

static cvo_status pull_into(puller *p, shop_table *t, FILE *out)
{
    const cvo_shopify_pull_options *o = p->o;
    if (o->state.shop[0] && strcmp(o->state.shop, o->shop) != 0)
        return ctx_fail(p->ctx, CVO_ERR_ARGUMENT,
                        "shopify: %s holds the orders of %s, not %s: pull into another file",
                        o->previous, o->state.shop, o->shop);
    bool have_previous;
    CVO_TRY(shop_read_previous(t, o->previous, &have_previous));
    int64_t from = INT64_MIN;
    CVO_TRY(choose_mode(p, have_previous, &from));
    CVO_TRY(check_scopes(p));
    CVO_TRY(load_zone(p));
    t->zone = p->zone;
    CVO_TRY(start(p, from));
    CVO_TRY(poll(p));
    FILE *jsonl = tmpfile();
    if (jsonl == NULL)
        return ctx_fail(p->ctx, CVO_ERR_WRITE, "shopify: no temporary file: %s", strerror(errno));
    cvo_status status = p->download[0] ? download(p, jsonl) : CVO_OK;
    if (status == CVO_OK)
        status = shop_read_jsonl(t, jsonl, &p->result->orders_pulled, &p->result->lines_pulled);
    fclose(jsonl);
    CVO_TRY(status);
    shop_merge merge = {p->result->full, INT64_MIN};
    if (!p->result->all_orders)
        merge.keep_before = p->op_created - (int64_t)(VISIBLE_DAYS - 1) * 86400;
    CVO_TRY(shop_write(t, &merge, out, p->result));
    next_state(p, have_previous, from);
    return CVO_OK;
}

cvo_status cvo_shopify_pull(cvo_ctx *ctx, const cvo_shopify_pull_options *options, FILE *out,
                            cvo_shopify_pull_result *result)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (options == NULL || out == NULL || result == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "shopify: no options, output or result");
    memset(result, 0, sizeof *result);
    puller p = {.ctx = ctx, .o = options, .result = result};
    cvo_push_options push;
    cvo_push_options_init(&push);
    push.config = options->config;
    push.transport = options->transport;
    push.report = options->report;
    push.report_data = options->report_data;
    session_init(&p.session, ctx, &push, "shopify", p.base, &result->requests);
    cvo_status status = setup(&p);
    if (status == CVO_OK)
        status = window_init(&p.window, ctx, 2, 1.0, 40, 60.0);
    shop_table t;
    shop_table_init(&t, ctx);
    if (status == CVO_OK)
        status = pull_into(&p, &t, out);
    shop_table_free(&t);
    tz_free(ctx, p.zone);
    window_free(&p.window, ctx);
    memset(p.header, 0, sizeof p.header); /* held the token */
    return status;
}
