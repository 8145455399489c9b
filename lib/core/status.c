/* status.c - the status vocabularies of the platforms (sources in
 * docs/cvo.1, STATUSES): Shopify's financial statuses, WooCommerce's order
 * statuses, BigCommerce's status names and ids, Magento's status codes and
 * labels. Defaults count what is paid and kept: paid, partially paid,
 * partially refunded, completed, processing, shipped. */
#include "core/status.h"

#include <stdio.h>
#include <string.h>

typedef struct status_word {
    const char *name;
    bool counted;
} status_word;

#define END {NULL, false}

static const status_word shopify_words[] = {
    {"paid", true},      {"partially_paid", true}, {"partially_refunded", true},
    {"pending", false},  {"authorized", false},    {"refunded", false},
    {"voided", false},   {"expired", false},       END};

/* wc-prefixed or not; "on-hold" folds to on_hold */
static const status_word woocommerce_words[] = {
    {"completed", true}, {"processing", true}, {"pending", false},       {"on_hold", false},
    {"cancelled", false}, {"refunded", false}, {"failed", false},       {"checkout_draft", false},
    {"draft", false},    {"auto_draft", false}, {"trash", false},       END};

/* by status_id: BigCommerce's V2 order statuses 0..14 */
static const status_word bigcommerce_words[] = {
    {"incomplete", false},         {"pending", false},
    {"shipped", true},             {"partially_shipped", true},
    {"refunded", false},           {"cancelled", false},
    {"declined", false},           {"awaiting_payment", false},
    {"awaiting_pickup", true},     {"awaiting_shipment", true},
    {"completed", true},           {"awaiting_fulfillment", true},
    {"manual_verification_required", false}, {"disputed", false},
    {"partially_refunded", true},  END};

/* codes, and the labels of the predefined statuses whose code differs */
static const status_word magento_words[] = {
    {"processing", true},        {"complete", true},         {"pending", false},
    {"pending_payment", false},  {"payment_review", false},  {"fraud", false},
    {"suspected_fraud", false},  {"holded", false},          {"on_hold", false},
    {"closed", false},           {"canceled", false},        {"received", false},
    {"rejected", false},         {"pending_paypal", false},  {"paypal_reversed", false},
    {"paypay_canceled_reversal", false}, {"paypal_canceled_reversal", false}, END};

/* generic files: the union, plus the usual spellings of a cancellation */
static const status_word generic_words[] = {
    {"paid", true},            {"partially_paid", true},  {"partially_refunded", true},
    {"completed", true},       {"complete", true},        {"processing", true},
    {"shipped", true},         {"partially_shipped", true}, {"awaiting_fulfillment", true},
    {"awaiting_shipment", true}, {"awaiting_pickup", true}, {"fulfilled", true},
    {"delivered", true},       {"pending", false},        {"authorized", false},
    {"refunded", false},       {"voided", false},         {"void", false},
    {"expired", false},        {"cancelled", false},      {"canceled", false},
    {"on_hold", false},        {"failed", false},         {"declined", false},
    {"draft", false},          {"closed", false},         {"fraud", false},
    {"pending_payment", false}, {"awaiting_payment", false}, {"incomplete", false},
    END};

static const status_word *words_of(cvo_format format)
{
    switch (format) {
    case CVO_FORMAT_SHOPIFY: return shopify_words;
    case CVO_FORMAT_WOOCOMMERCE: return woocommerce_words;
    case CVO_FORMAT_BIGCOMMERCE: return bigcommerce_words;
    case CVO_FORMAT_MAGENTO: return magento_words;
    default: return generic_words;
    }
}

const char *status_known(cvo_format format)
{
    switch (format) {
    case CVO_FORMAT_SHOPIFY:
        return "paid, partially_paid, partially_refunded; not counted: pending, authorized, "
               "refunded, voided, expired";
    case CVO_FORMAT_WOOCOMMERCE:
        return "completed, processing; not counted: pending, on-hold, cancelled, refunded, "
               "failed, checkout-draft, draft, auto-draft, trash";
    case CVO_FORMAT_BIGCOMMERCE:
        return "Shipped, Partially Shipped, Awaiting Pickup, Awaiting Shipment, Completed, "
               "Awaiting Fulfillment, Partially Refunded; not counted: Incomplete, Pending, "
               "Refunded, Cancelled, Declined, Awaiting Payment, Manual Verification Required, "
               "Disputed";
    case CVO_FORMAT_MAGENTO:
        return "processing, complete; not counted: pending, pending_payment, payment_review, "
               "fraud, holded, closed, canceled, received, rejected and the PayPal statuses";
    default:
        return "paid, partially_paid, partially_refunded, completed, complete, processing, "
               "shipped, partially_shipped, awaiting_fulfillment, awaiting_shipment, "
               "awaiting_pickup, fulfilled, delivered; not counted: pending, authorized, "
               "refunded, voided, void, expired, cancelled, canceled, on_hold, failed, "
               "declined, draft, closed, fraud, pending_payment, awaiting_payment, incomplete";
    }
}

const char *cvo_format_counted_statuses(cvo_format format)
{
    switch (format) {
    case CVO_FORMAT_SHOPIFY: return "paid, partially_paid, partially_refunded";
    case CVO_FORMAT_WOOCOMMERCE: return "completed, processing";
    case CVO_FORMAT_BIGCOMMERCE:
        return "shipped, partially_shipped, awaiting_pickup, awaiting_shipment, completed, "
               "awaiting_fulfillment, partially_refunded";
    case CVO_FORMAT_MAGENTO: return "processing, complete";
    default:
        return "paid, partially_paid, partially_refunded, completed, complete, processing, "
               "shipped, partially_shipped, awaiting_fulfillment, awaiting_shipment, "
               "awaiting_pickup, fulfilled, delivered";
    }
}

void status_fold(const status_rules *rules, const char *text, size_t len,
                 char folded[STATUS_NAME_BYTES])
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < STATUS_NAME_BYTES; i++) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (c == ' ' || c == '-')
            c = '_';
        folded[n++] = c;
    }
    folded[n] = '\0';
    if (n > 3 && memcmp(folded, "wc_", 3) == 0)
        memmove(folded, folded + 3, n - 2);
    /* BigCommerce's status_id */
    if (rules->format == CVO_FORMAT_BIGCOMMERCE && n > 0 && n <= 2 && folded[0] >= '0' &&
        folded[0] <= '9' && (n == 1 || (folded[1] >= '0' && folded[1] <= '9'))) {
        int id = n == 1 ? folded[0] - '0' : (folded[0] - '0') * 10 + folded[1] - '0';
        if (id <= 14)
            snprintf(folded, STATUS_NAME_BYTES, "%s", bigcommerce_words[id].name);
    }
}

static bool listed(const char (*names)[STATUS_NAME_BYTES], uint32_t count, const char *folded)
{
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(names[i], folded) == 0)
            return true;
    return false;
}

status_class status_classify(const status_rules *rules, const char *folded)
{
    if (listed(rules->counted, rules->counted_count, folded))
        return STATUS_COUNTED;
    if (listed(rules->skipped, rules->skipped_count, folded))
        return STATUS_NOT_COUNTED;
    for (const status_word *w = words_of(rules->format); w->name != NULL; w++)
        if (strcmp(w->name, folded) == 0)
            return w->counted && !rules->listed ? STATUS_COUNTED : STATUS_NOT_COUNTED;
    return STATUS_UNKNOWN;
}

static cvo_status parse_list(cvo_ctx *ctx, const status_rules *rules, const char *what,
                             const char *text, char (*names)[STATUS_NAME_BYTES], uint32_t *count)
{
    *count = 0;
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *q = p;
        while (len > 0 && (*q == ' ' || *q == '\t'))
            q++, len--;
        while (len > 0 && (q[len - 1] == ' ' || q[len - 1] == '\t'))
            len--;
        if (len == 0 || len >= STATUS_NAME_BYTES)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT, "orders.%s: %s status name in '%s'", what,
                            len == 0 ? "an empty" : "a too long", text);
        if (*count == STATUS_MAX_LISTED)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT, "orders.%s: more than %d statuses", what,
                            STATUS_MAX_LISTED);
        status_fold(rules, q, len, names[(*count)++]);
        p = end ? end + 1 : NULL;
    }
    return CVO_OK;
}

cvo_status status_rules_init(cvo_ctx *ctx, status_rules *rules, cvo_format format,
                             const char *count_statuses, const char *skip_statuses)
{
    memset(rules, 0, sizeof *rules);
    rules->format = format;
    rules->listed = count_statuses != NULL && count_statuses[0] != '\0';
    CVO_TRY(parse_list(ctx, rules, "count_statuses", count_statuses, rules->counted,
                       &rules->counted_count));
    return parse_list(ctx, rules, "skip_statuses", skip_statuses, rules->skipped,
                      &rules->skipped_count);
}
