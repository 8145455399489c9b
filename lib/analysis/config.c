/* config.c - the configuration of cvo analyze: a static table of every key, a
 * strict INI reader over it, the getters and the commented defaults file.
 * Invariant: every value a cvo_config holds has passed its key's checks. */
#include "analysis/config.h"

#include "base/ctx.h"
#include "base/limits.h"
#include "core/scheme.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table ------------------------------------------------------------ */

static const char *const scheme_choices[] = {"relationship", "classic", "klaviyo", NULL};
static const char *const ties_choices[] = {"equal", "ntile", NULL};
static const char *const period_choices[] = {"day", "week", "month", NULL};
static const char *const purchase_model_choices[] = {"auto", "bgnbd", "mbgnbd", "pnbd", NULL};
static const char *const season_choices[] = {"auto", "monthly", "off", NULL};
static const char *const gorgias_channels[] = {"api", "email", NULL};
static const char *const metric_choices[] = {"conversion", "orders", "revenue", "profit", NULL};

#define NO_MAX ((double)INT32_MAX) /* integers: no upper bound but int32 */

/* clang-format off */
#define TEXT(s, k, def, fmt, doc) {s, k, CONFIG_TEXT, def, NULL, fmt, 0, 0, 0, doc}
#define NUMBER(s, k, def, lo, hi, open, doc) \
    {s, k, CONFIG_NUMBER, def, NULL, CONFIG_ANY, lo, hi, open, doc}
#define INTEGER(s, k, def, lo, hi, doc) \
    {s, k, CONFIG_INTEGER, def, NULL, CONFIG_ANY, lo, hi, 0, doc}
#define BOOL(s, k, def, doc) {s, k, CONFIG_BOOL, def, NULL, CONFIG_ANY, 0, 0, 0, doc}
#define LIST(s, k, def, doc) {s, k, CONFIG_LIST, def, NULL, CONFIG_ANY, 0, 0, 0, doc}
#define ENUM(s, k, def, choices, doc) \
    {s, k, CONFIG_ENUM, def, choices, CONFIG_ANY, 0, 0, 0, doc}
#define P_ALIVE(k, def, doc) NUMBER("lists", k, def, 0, 1, 0, doc)
/* A list's holdout share: empty means [holdout] share. */
#define HOLDOUT(k, list) \
    {"holdout", k, CONFIG_NUMBER, "", NULL, CONFIG_EMPTY_OK, 0, 0.9, 0, \
     "Holdout share of the " list " list; empty: the value of share."}
/* clang-format on */

static const config_key config_keys[] = {
    ENUM("scoring", "scheme", "relationship", scheme_choices,
         "Built-in segment scheme, used when segment_map is empty."),
    TEXT("scoring", "segment_map", "", CONFIG_ANY,
         "Path of a user segment map (lines \"RFM-code,Segment name\"); empty: the built-in "
         "scheme."),
    INTEGER("scoring", "levels", "5", 3, 5,
            "Score levels: R, F and M each score from 1 (worst) to levels (best)."),
    ENUM("scoring", "ties", "equal", ties_choices,
         "Tie rule: equal values get equal scores (equal), or SQL NTILE by customer id (ntile)."),
    ENUM("model", "period", "week", period_choices,
         "Time unit in which the purchase and Gamma-Gamma models are fitted."),
    NUMBER("model", "horizon_months", "12", 0, 120, CONFIG_OPEN_MIN,
           "Prediction horizon in months (expected orders, predicted CLV)."),
    NUMBER("model", "annual_discount", "0.10", 0, 10, CONFIG_OPEN_MAX,
           "Annual discount rate of the predicted CLV (0.10 is 10 %)."),
    TEXT("model", "currency", "", CONFIG_CURRENCY,
         "The store currency (an ISO 4217 code): orders in another currency are converted "
         "with --rates or rejected, never added. Empty: the currency of most orders in the "
         "file (USD when it has no currency column)."),
    NUMBER("model", "backtest_holdout_share", "0.25", 0, 1, CONFIG_OPEN_MIN | CONFIG_OPEN_MAX,
           "Share of the history held out for the backtest."),
    ENUM("model", "purchase_model", "bgnbd", purchase_model_choices,
         "Purchase model: a name uses that model; auto fits BG/NBD, MBG/NBD and Pareto/NBD on "
         "the calibration part and uses the one with the best holdout log score (within 2 "
         "standard errors: the smaller mean absolute error per customer; equal: the simpler, "
         "in that order; above 25,000 customers compared on a fixed sample of about 20,000). "
         "auto costs the two other fits and backtests, a second or more, so it is not yet the "
         "default."),
    ENUM("model", "seasonality", "auto", season_choices,
         "Monthly seasonal index of the purchase rate, from a year or more of history: auto "
         "(used when the months differ beyond chance), monthly (always) or off."),
    LIST("orders", "count_statuses", "",
         "Order statuses that count, comma-separated (any case; wc- prefix, blanks and '-' "
         "ignored: on-hold is on_hold). Empty: the format's documented default (Shopify paid, "
         "partially_paid, partially_refunded; WooCommerce completed, processing; BigCommerce "
         "the shipped, awaiting and completed statuses and partially_refunded; Magento "
         "processing, complete). The platform's other statuses do not count; a status no rule "
         "names rejects its order."),
    LIST("orders", "skip_statuses", "",
         "The store's own statuses that do not count (instead of rejecting their orders as "
         "unknown), comma-separated."),
    NUMBER("churn", "high_below", "0.3", 0, 1, 0,
           "P(alive) below this is high churn risk. One-time buyers (and every customer when "
           "no model fits) are judged by recency: R score 1 high, the two best R scores low."),
    NUMBER("churn", "low_from", "0.7", 0, 1, 0,
           "P(alive) at or above this is low churn risk (at least high_below); between is medium."),
    LIST("segments", "top", "",
         "The best segments, comma-separated; empty: the scheme's first two."),
    BOOL("lists", "exclude_worst_cell", "true", "Exclude list: the worst RFM cell (all scores 1)."),
    INTEGER("lists", "exclude_after_days", "365", 1, NO_MAX,
            "Exclude list: also customers whose last order is more than this many days old, "
            "who are unlikely to return (see exclude_max_p_alive) and whose value is below "
            "the median."),
    P_ALIVE("exclude_max_p_alive", "0.15",
            "Exclude list: unlikely to return means P(alive) below this (one-time buyers: the "
            "chance of an order within the horizon below this)."),
    P_ALIVE("no_discount_min_p_alive", "0.8",
            "No-discount list: top-segment customers who never used a discount code and whose "
            "P(alive) is at least this (they buy at full price anyway)."),
    P_ALIVE("no_discount_lost_p_alive", "0.05",
            "No-discount list: also customers with P(alive) below this (a discount would not "
            "win them back)."),
    NUMBER("lists", "standard_discount", "0.10", 0, 1, CONFIG_OPEN_MAX,
           "No-discount list: also customers whose expected profit over the horizon is negative "
           "when every future order carries this discount, (predicted margin per order - this "
           "share of their mean order value) x expected orders (0.10 is 10 %)."),
    P_ALIVE("winback_p_alive", "0.5",
            "Win-back date: the day a customer's P(alive) is expected to fall below this."),
    INTEGER("lists", "winback_window_days", "30", 1, NO_MAX,
            "Win-back list: customers whose win-back date lies within this many days before "
            "or after the as-of date (on or before it: the win-back is due)."),
    NUMBER("lists", "vip_share", "0.05", 0, 1, CONFIG_OPEN_MIN,
           "VIP list: this share of customers, highest predicted CLV first."),
    INTEGER("lists", "referral_max_recency_days", "60", 1, NO_MAX,
            "Referral list: top-segment customers whose last order is at most this many days "
            "old and whose P(alive) is at least referral_min_p_alive."),
    P_ALIVE("referral_min_p_alive", "0.7", "Referral list: the lowest P(alive) it takes."),
    INTEGER("lists", "interview_size", "30", 0, 10000,
            "Interview list: size of the stratified sample of the best customers (0: none)."),
    INTEGER("lists", "interview_seed", "1", 0, NO_MAX,
            "Seed of the interview sample (same seed and data, same sample)."),
    NUMBER("holdout", "share", "0", 0, 0.9, 0,
           "Share of every treatment list (winback, vip, referral, no-discount) held out of "
           "the action as an experiment's control group, drawn by a keyed hash of the "
           "experiment and the customer; 0: no experiment. Needs --db. Fixed while an "
           "experiment runs (cvo experiments --new LIST starts a new one)."),
    HOLDOUT("winback", "win-back"),
    HOLDOUT("vip", "VIP"),
    HOLDOUT("referral", "referral"),
    HOLDOUT("no_discount", "no-discount"),
    INTEGER("experiment", "window_days", "60", 7, 365,
            "Experiments: days after a member enters a list over which their outcomes are "
            "measured (and, before entry, the pre-period CUPED uses)."),
    ENUM("experiment", "primary_metric", "profit", metric_choices,
         "Experiments: the metric per member the verdict is about, fixed when an experiment "
         "starts (conversion, orders, revenue or profit)."),
    NUMBER("experiment", "target_uplift", "0.10", 0, 10, CONFIG_OPEN_MIN,
           "Experiments: the relative effect on the primary metric a plan is sized for "
           "(0.10 is +10 %)."),
    INTEGER("experiment", "max_weeks", "26", 1, 520,
            "Experiments: a plan needing more weeks than this says the list is too small."),
    INTEGER("experiment", "bootstrap_resamples", "2000", 2000, 100000,
            "Experiments: resamples of the seeded percentile bootstrap shown beside Welch's "
            "interval when an arm has fewer than 200 members."),
    INTEGER("experiment", "seed", "1", 0, NO_MAX,
            "Experiments: seed of the bootstrap (the same seed gives the same intervals)."),
    TEXT("loyalty", "gold_name", "Gold", CONFIG_NONEMPTY, "Name of the first loyalty tier."),
    LIST("loyalty", "gold_segments", "", "Segments of the first tier; empty: the top segments."),
    TEXT("loyalty", "silver_name", "Silver", CONFIG_NONEMPTY, "Name of the second loyalty tier."),
    LIST("loyalty", "silver_segments", "",
         "Segments of the second tier; empty: the scheme's 3rd to 7th segments."),
    TEXT("loyalty", "bronze_name", "Bronze", CONFIG_NONEMPTY,
         "Name of the third tier: everyone else."),
    NUMBER("profit", "default_margin", "0.5", 0, 1, 0,
           "Margin assumed on revenue whose cost of goods is unknown (no unit_cost on the line, "
           "SKU not in --products): 0.5 means those goods cost 50 % of that revenue."),
    NUMBER("profit", "payment_fee_percent", "0.029", 0, 1, CONFIG_OPEN_MAX,
           "Payment fee as a share of each order's net revenue (0.029 is 2.9 %)."),
    NUMBER("profit", "payment_fee_fixed", "0.30", 0, 1000, 0,
           "Payment fee per order on top of the share, in currency units."),
    LIST("profit", "acquisition_cost", "",
         "Acquisition cost of a new customer by channel (the first order's channel), items "
         "channel:amount in currency units, e.g. paid_social:25,paid_search:30,organic:0; "
         "charged to the customer's first order."),
    NUMBER("profit", "shipping_cost", "0", 0, NO_MAX, 0,
           "The store's shipping cost per order, in currency units, for orders whose file "
           "gives none (no shipping_cost column or an empty one; Shopify's export only has "
           "what the customer paid for shipping, which is not read as a cost)."),
    NUMBER("profit", "default_acquisition_cost", "0", 0, NO_MAX, 0,
           "Acquisition cost of a customer whose channel is unknown or not in acquisition_cost, "
           "in currency units."),
    INTEGER("nps", "min_group", "30", 1, NO_MAX,
            "NPS groups (a stage, segment, country or month) with fewer responses than this "
            "are shown but marked as too small to read."),
    INTEGER("nps", "delivery_days", "5", 0, 365,
            "Days from order to delivery for an order with neither delivered_at nor "
            "fulfilled_at: a response without a survey stage before that day is "
            "pre_delivery, from it on post_delivery."),
    INTEGER("nps", "transit_days", "3", 0, 365,
            "Days from fulfilled_at to delivery for an order without delivered_at (the "
            "same stage rule)."),
    INTEGER("dive", "min_group", "30", 2, NO_MAX,
            "Deep dives: a group (and the rest) needs at least this many customers counting "
            "for a metric before it is tested; smaller groups are listed, marked untested."),
    INTEGER("dive", "repeat_days", "180", 1, 3650,
            "Deep dives: the repeat rate counts a second order within this many days of the "
            "first, over customers whose first order is at least this old."),
    NUMBER("dive", "alpha", "0.05", 0, 1, CONFIG_OPEN_MIN | CONFIG_OPEN_MAX,
           "Deep dives: intervals of the differences are at 1 - alpha (0.05: 95 %)."),
    NUMBER("dive", "fdr", "0.05", 0, 1, CONFIG_OPEN_MIN | CONFIG_OPEN_MAX,
           "Deep dives: a difference is significant when its Benjamini-Hochberg q-value (per "
           "grouping and metric) is below this false discovery rate."),
    TEXT("klaviyo", "revision", "2026-07-15", CONFIG_DATE, "Klaviyo API revision header."),
    TEXT("klaviyo", "list_id", "", CONFIG_ANY,
         "Klaviyo list the imported profiles are added to; empty: none."),
    INTEGER("klaviyo", "profiles_per_job", "10000", 1, 10000, "Profiles per bulk-import job body."),
    BOOL("klaviyo", "push_without_consent", "false",
         "Customers whose latest order says they do not accept marketing (Shopify's Accepts "
         "Marketing, an accepts_marketing column) are left out of the lists and every Klaviyo "
         "file unless this is true. Customers the file says nothing about are kept."),
    INTEGER("push", "timeout_seconds", "30", 1, 3600,
            "Pushes: seconds one request to Klaviyo or Gorgias may take, answer included, "
            "before it counts as unanswered."),
    INTEGER("push", "connect_timeout_seconds", "10", 1, 600,
            "Pushes: seconds to open a connection."),
    INTEGER("push", "tries", "4", 1, 10,
            "Pushes: tries per request (429, 5xx and unanswered requests are tried again "
            "where that is safe), so one request gives up after about tries x "
            "timeout_seconds plus the waits between."),
    INTEGER("gorgias", "max_answer_age_days", "90", 1, 3650,
            "Gorgias tickets only for NPS answers younger than this many days before the "
            "as-of date, and no second ticket for a customer who got one from cvo within "
            "this many days."),
    ENUM("gorgias", "channel", "api", gorgias_channels,
         "Channel of the tickets and of the customer's message (api: Gorgias sends no "
         "auto-reply; email)."),
    LIST("gorgias", "tags", "cvo,vip-detractor", "Tags of every ticket, comma-separated."),
    INTEGER("gorgias", "assignee_team_id", "0", 0, NO_MAX,
            "Gorgias team the tickets are assigned to (its id); 0: none."),
    TEXT("shopify", "api_version", "2026-10", CONFIG_NONEMPTY,
         "cvo pull shopify: the GraphQL Admin API version (YYYY-MM, or unstable). Shopify "
         "supports each version for at least 12 months; cvo warns when it is older than 9."),
    INTEGER("shopify", "full_every_days", "7", 1, 3650,
            "cvo pull shopify: a pull is a full one (every order, deleted ones dropped from "
            "the output) when the last full pull into the same output is this many days old; "
            "the pulls between fetch only the orders updated since the last one."),
    INTEGER("shopify", "poll_seconds", "5", 1, 600,
            "cvo pull shopify: seconds between two polls of the bulk operation."),
    INTEGER("shopify", "wait_minutes", "120", 1, 14400,
            "cvo pull shopify: minutes to wait for a bulk operation (and for one already "
            "running) to finish before giving up."),
    TEXT("privacy", "id_key", "", CONFIG_ANY,
         "Secret for the keyed hashes in identifiers sent to Klaviyo and Gorgias (event "
         "unique_id, ticket external_id); empty: a random key kept in the state database."),
    TEXT("report", "title", "Customer value report", CONFIG_NONEMPTY, "Title of the report."),
    INTEGER("report", "top_customers", "25", 1, 1000, "Rows of the top-customers table."),
    BOOL("report", "show_emails", "false",
         "Show e-mail addresses in full in report.html; false masks them (j***@example.com). "
         "customers.csv, the lists and the Klaviyo and Gorgias files always keep them."),
    NUMBER("safety", "max_drop", "0.2", 0, 1, 0,
           "cvo analyze refuses the run (exit status 5, nothing written or pushed) when the "
           "customers, orders or revenue fall by more than this share against the last run "
           "into the same output (or the latest --db snapshot): a truncated export has no "
           "rejected rows. --force accepts the run. 0.2 is 20 %; 1 never refuses."),
};

#define KEY_COUNT (sizeof config_keys / sizeof config_keys[0])

size_t config_key_count(void)
{
    return KEY_COUNT;
}

const config_key *config_key_at(size_t index)
{
    return index < KEY_COUNT ? &config_keys[index] : NULL;
}

/* Index of section.key, or KEY_COUNT. */
static size_t key_index(const char *section, const char *key)
{
    if (section == NULL || key == NULL)
        return KEY_COUNT;
    for (size_t i = 0; i < KEY_COUNT; i++)
        if (strcmp(config_keys[i].section, section) == 0 && strcmp(config_keys[i].key, key) == 0)
            return i;
    return KEY_COUNT;
}

/* Index of the first key of section, or KEY_COUNT. */
static size_t section_index(const char *section, size_t len)
{
    for (size_t i = 0; i < KEY_COUNT; i++)
        if (strlen(config_keys[i].section) == len &&
            memcmp(config_keys[i].section, section, len) == 0)
            return i;
    return KEY_COUNT;
}

/* ---- describing allowed values ------------------------------------------- */

/* Appends to out[0..size) at *used, truncating; out stays NUL-terminated. */
static void append(char *out, size_t size, size_t *used, const char *text)
{
    size_t len = strlen(text);
    size_t room = size - 1 - *used;
    if (len > room)
        len = room;
    memcpy(out + *used, text, len);
    *used += len;
    out[*used] = '\0';
}

static void describe_range(const config_key *key, char *out, size_t size)
{
    const char *kind = key->type == CONFIG_INTEGER ? "an integer" : "a number";
    bool open_min = key->open & CONFIG_OPEN_MIN, open_max = key->open & CONFIG_OPEN_MAX;
    if (key->max == NO_MAX)
        snprintf(out, size, "%s %s %g", kind, open_min ? ">" : ">=", key->min);
    else if (!open_min && !open_max)
        snprintf(out, size, "%s from %g to %g", kind, key->min, key->max);
    else
        snprintf(out, size, "%s %s %g and %s %g", kind, open_min ? ">" : ">=", key->min,
                 open_max ? "<" : "<=", key->max);
}

static const char *describe_format(config_format format)
{
    switch (format) {
    case CONFIG_NONEMPTY: return "non-empty text";
    case CONFIG_CURRENCY: return "three upper-case letters (an ISO 4217 code), or empty";
    case CONFIG_DATE: return "a date YYYY-MM-DD";
    default: return "any text";
    }
}

void config_describe(const config_key *key, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    switch (key->type) {
    case CONFIG_NUMBER:
    case CONFIG_INTEGER:
        if (key->format == CONFIG_EMPTY_OK)
            append(out, size, &used, "empty or ");
        describe_range(key, out + used, size - used);
        break;
    case CONFIG_BOOL: append(out, size, &used, "true or false"); break;
    case CONFIG_LIST: append(out, size, &used, "a comma-separated list of names, or empty"); break;
    case CONFIG_ENUM:
        append(out, size, &used, "one of ");
        for (size_t i = 0; key->choices[i] != NULL; i++) {
            append(out, size, &used, i ? ", " : "");
            append(out, size, &used, key->choices[i]);
        }
        break;
    default: append(out, size, &used, describe_format(key->format));
    }
}

/* ---- checking one value ---------------------------------------------------- */

static size_t span_digits(const char **p)
{
    size_t n = 0;
    while (**p >= '0' && **p <= '9') {
        (*p)++;
        n++;
    }
    return n;
}

/* Strict decimal: [+-]digits[.digits][e[+-]digits]; no hex, inf or nan. */
static bool parse_number(const char *text, double *out)
{
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = span_digits(&p);
    if (*p == '.') {
        p++;
        digits += span_digits(&p);
    }
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (span_digits(&p) == 0)
            return false;
    }
    char *end = NULL;
    double value = strtod(text, &end);
    if (*p != '\0' || end != p || !isfinite(value))
        return false;
    *out = value;
    return true;
}

/* Strict decimal integer: [+-]digits, within int64. */
static bool parse_integer(const char *text, double *out)
{
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    if (span_digits(&p) == 0 || *p != '\0')
        return false;
    errno = 0;
    char *end = NULL;
    long long value = strtoll(text, &end, 10);
    if (errno == ERANGE || end != p)
        return false;
    *out = (double)value;
    return true;
}

static bool in_range(const config_key *key, double value)
{
    bool above = (key->open & CONFIG_OPEN_MIN) ? value > key->min : value >= key->min;
    bool below = (key->open & CONFIG_OPEN_MAX) ? value < key->max : value <= key->max;
    return above && below;
}

static bool is_choice(const config_key *key, const char *value)
{
    for (size_t i = 0; key->choices[i] != NULL; i++)
        if (strcmp(key->choices[i], value) == 0)
            return true;
    return false;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Every comma-separated item, trimmed, is non-empty (an all-blank list is empty). */
static bool list_ok(const char *value)
{
    const char *p = value;
    while (is_blank(*p))
        p++;
    if (*p == '\0')
        return true;
    for (;;) {
        const char *comma = strchr(value, ',');
        size_t len = comma ? (size_t)(comma - value) : strlen(value);
        const char *item = value;
        scheme_trim(&item, &len);
        if (len == 0)
            return false;
        if (comma == NULL)
            return true;
        value = comma + 1;
    }
}

/* Rewrites a valid list in place as its trimmed items joined by ',' (blank: ""),
 * so that a list is empty exactly when its text is. */
static void list_normalize(char *value)
{
    char *write = value;
    const char *read = value;
    for (;;) {
        const char *comma = strchr(read, ',');
        const char *item = read;
        size_t len = comma ? (size_t)(comma - read) : strlen(read);
        scheme_trim(&item, &len);
        if (write != value)
            *write++ = ',';
        memmove(write, item, len);
        write += len;
        if (comma == NULL)
            break;
        read = comma + 1;
    }
    *write = '\0';
}

static bool text_ok(config_format format, const char *value)
{
    size_t len = strlen(value);
    int32_t day;
    switch (format) {
    case CONFIG_NONEMPTY: return len > 0;
    case CONFIG_CURRENCY:
        return len == 0 || (len == 3 && value[0] >= 'A' && value[0] <= 'Z' && value[1] >= 'A' &&
               value[1] <= 'Z' && value[2] >= 'A' && value[2] <= 'Z');
    case CONFIG_DATE:
        return len == 10 && value[4] == '-' && value[7] == '-' && cvo_day_parse(value, &day);
    default: return true;
    }
}

static bool has_control(const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return true;
    return false;
}

/* Whether value suits key; otherwise a reason completing "section.key: ". */
static bool value_ok(const config_key *key, const char *value, char *reason, size_t size)
{
    double number = 0;
    bool ok;
    if (key->format == CONFIG_EMPTY_OK && value[0] == '\0')
        return true;
    switch (key->type) {
    case CONFIG_NUMBER: ok = parse_number(value, &number) && in_range(key, number); break;
    case CONFIG_INTEGER: ok = parse_integer(value, &number) && in_range(key, number); break;
    case CONFIG_BOOL: ok = strcmp(value, "true") == 0 || strcmp(value, "false") == 0; break;
    case CONFIG_LIST: ok = list_ok(value); break;
    case CONFIG_ENUM: ok = is_choice(key, value); break;
    default: ok = text_ok(key->format, value);
    }
    if (ok && !has_control(value))
        return true;
    char allowed[256];
    config_describe(key, allowed, sizeof allowed);
    snprintf(reason, size, "must be %s, not '%.80s'", allowed, value);
    return false;
}

/* ---- the configuration object --------------------------------------------- */

struct cvo_config {
    cvo_ctx *ctx;
    char *values[KEY_COUNT]; /* NULL: the table's default */
};

/* config NULL: the defaults. */
static const char *value_of(const cvo_config *config, size_t index)
{
    return config && config->values[index] ? config->values[index]
                                           : config_keys[index].default_value;
}

/* Rules across keys, over the values the configuration would hold. */
static bool rules_ok(const char *const values[KEY_COUNT], char *reason, size_t size)
{
    size_t high = key_index("churn", "high_below"), low = key_index("churn", "low_from");
    double high_below = strtod(values[high], NULL), low_from = strtod(values[low], NULL);
    if (low_from >= high_below)
        return true;
    snprintf(reason, size, "churn.low_from (%s) must be >= churn.high_below (%s)", values[low],
             values[high]);
    return false;
}

cvo_status cvo_config_new(cvo_ctx *ctx, cvo_config **out)
{
    *out = NULL;
    cvo_config *config = mem_zarray(ctx, 1, sizeof *config);
    if (config == NULL)
        return ctx_nomem(ctx);
    config->ctx = ctx;
    *out = config;
    return CVO_OK;
}

void cvo_config_free(cvo_config *config)
{
    if (config == NULL)
        return;
    for (size_t i = 0; i < KEY_COUNT; i++)
        mem_free(config->ctx, config->values[i]);
    mem_free(config->ctx, config);
}

/* Replaces the value of index by the owned copy value (NULL: the default). */
static void replace(cvo_config *config, size_t index, char *value)
{
    mem_free(config->ctx, config->values[index]);
    config->values[index] = value;
}

/* ---- reading a value as a line holds it ----------------------------------- */

/* Where a comment starts in a bare value: '#' or ';' first or after a blank. */
static size_t bare_length(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((text[i] == '#' || text[i] == ';') && (i == 0 || is_blank(text[i - 1])))
            return i;
    return len;
}

/* Whether text[0..len) is blank up to an optional comment. */
static bool only_comment(const char *text, size_t len)
{
    scheme_trim(&text, &len);
    return len == 0 || text[0] == '#' || text[0] == ';';
}

/* Decodes the quoted value at text[0] == '"' into out; \" and \\ are escapes.
 * Returns a reason or NULL. */
static const char *unquote(const char *text, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 1; i < len; i++) {
        if (text[i] == '"') {
            out[n] = '\0';
            return only_comment(text + i + 1, len - i - 1) ? NULL : "text after the closing quote";
        }
        if (text[i] == '\\' && i + 1 < len && (text[i + 1] == '"' || text[i + 1] == '\\'))
            i++;
        out[n++] = text[i];
    }
    return "unterminated quoted value";
}

/* The value of text[0..len) (after '=') as an owned string, or a reason. */
static const char *decode_value(cvo_ctx *ctx, const char *text, size_t len, bool comments,
                                char **out)
{
    scheme_trim(&text, &len);
    *out = mem_alloc(ctx, len + 1);
    if (*out == NULL)
        return NULL;
    if (len > 0 && text[0] == '"') {
        const char *reason = unquote(text, len, *out);
        if (reason != NULL) {
            mem_free(ctx, *out);
            *out = NULL;
        }
        return reason;
    }
    if (comments) {
        len = bare_length(text, len);
        scheme_trim(&text, &len);
    }
    memcpy(*out, text, len);
    (*out)[len] = '\0';
    return NULL;
}

/* The names of the sections, or of the keys of section (when not KEY_COUNT). */
static void name_list(size_t section, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < KEY_COUNT; i++) {
        const config_key *k = &config_keys[i];
        bool first = section == KEY_COUNT ? i == 0 : i == section;
        if (section != KEY_COUNT && strcmp(k->section, config_keys[section].section) != 0)
            continue;
        if (section == KEY_COUNT && i > 0 && strcmp(k->section, config_keys[i - 1].section) == 0)
            continue;
        append(out, size, &used, first ? "" : ", ");
        append(out, size, &used, section == KEY_COUNT ? k->section : k->key);
    }
}

/* ---- setting one key ------------------------------------------------------- */

static cvo_status unknown_key(cvo_ctx *ctx, const char *section, const char *key)
{
    char wanted[512];
    size_t first = section ? section_index(section, strlen(section)) : KEY_COUNT;
    name_list(first, wanted, sizeof wanted);
    return ctx_fail(ctx, CVO_ERR_CONFIG, "%.80s.%.80s: unknown %s (expected one of %s)",
                    section ? section : "(null)", key ? key : "(null)",
                    first == KEY_COUNT ? "section" : "key", wanted);
}

/* Whether value suits key index and keeps the rules across keys; else a reason. */
static bool checked(const cvo_config *config, size_t index, const char *value, char *reason,
                    size_t size)
{
    if (!value_ok(&config_keys[index], value, reason, size))
        return false;
    const char *values[KEY_COUNT];
    for (size_t i = 0; i < KEY_COUNT; i++)
        values[i] = value_of(config, i);
    values[index] = value;
    return rules_ok(values, reason, size);
}

cvo_status cvo_config_set(cvo_config *config, const char *section, const char *key,
                          const char *value)
{
    cvo_ctx *ctx = config->ctx;
    size_t index = key_index(section, key);
    if (index == KEY_COUNT)
        return unknown_key(ctx, section, key);
    if (value == NULL || strlen(value) > CVO_MAX_CONFIG_BYTES)
        return ctx_fail(ctx, value ? CVO_ERR_LIMIT : CVO_ERR_CONFIG, "%s.%s: %s", section, key,
                        value ? "value too long" : "no value");
    char *decoded = NULL;
    const char *problem = decode_value(ctx, value, strlen(value), false, &decoded);
    if (problem != NULL)
        return ctx_fail(ctx, CVO_ERR_CONFIG, "%s.%s: %s", section, key, problem);
    if (decoded == NULL)
        return ctx_nomem(ctx);
    char reason[512];
    if (!checked(config, index, decoded, reason, sizeof reason)) {
        mem_free(ctx, decoded);
        return ctx_fail(ctx, CVO_ERR_CONFIG, "%s.%s: %s", section, key, reason);
    }
    if (config_keys[index].type == CONFIG_LIST)
        list_normalize(decoded);
    replace(config, index, decoded);
    return CVO_OK;
}

/* ---- loading a file ------------------------------------------------------- */

/* The state of one load: values are staged and only kept when the whole file is valid. */
typedef struct config_load {
    cvo_config *config;
    const char *path;
    unsigned long line;
    size_t section;                /* first key of the current section, KEY_COUNT: none */
    char *staged[KEY_COUNT];       /* owned; NULL: unchanged */
    unsigned long seen[KEY_COUNT]; /* line that set the key, 0: none */
} config_load;

static cvo_status load_fail(config_load *load, const char *format, ...) CVO_PRINTF(2, 3);

static cvo_status load_fail(config_load *load, const char *format, ...)
{
    char reason[768];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    return ctx_fail(load->config->ctx, CVO_ERR_CONFIG, "%s:%lu: %s", load->path, load->line,
                    reason);
}

static cvo_status load_section(config_load *load, const char *text, size_t len)
{
    const char *close = memchr(text, ']', len);
    if (close == NULL)
        return load_fail(load, "missing ']' in section header");
    if (!only_comment(close + 1, len - (size_t)(close - text) - 1))
        return load_fail(load, "text after ']' in section header");
    const char *name = text + 1;
    size_t name_len = (size_t)(close - name);
    scheme_trim(&name, &name_len);
    load->section = section_index(name, name_len);
    if (load->section < KEY_COUNT)
        return CVO_OK;
    char wanted[512];
    name_list(KEY_COUNT, wanted, sizeof wanted);
    return load_fail(load, "unknown section [%.*s] (expected one of %s)",
                     (int)(name_len > 80 ? 80 : name_len), name, wanted);
}

/* Index of the key text[0..len) in the current section, or KEY_COUNT after failing. */
static size_t load_key(config_load *load, const char *text, size_t len, cvo_status *status)
{
    int shown = (int)(len > 80 ? 80 : len);
    if (len == 0) {
        *status = load_fail(load, "missing key before '='");
        return KEY_COUNT;
    }
    if (load->section == KEY_COUNT) {
        *status = load_fail(load, "key '%.*s' before any [section]", shown, text);
        return KEY_COUNT;
    }
    const char *section = config_keys[load->section].section;
    char name[96];
    snprintf(name, sizeof name, "%.*s", shown, text);
    size_t index = len <= 80 ? key_index(section, name) : KEY_COUNT;
    if (index < KEY_COUNT)
        return index;
    char wanted[512];
    name_list(load->section, wanted, sizeof wanted);
    *status =
        load_fail(load, "unknown key '%s' in [%s] (expected one of %s)", name, section, wanted);
    return KEY_COUNT;
}

static cvo_status load_pair(config_load *load, const char *text, size_t len)
{
    const char *equals = memchr(text, '=', len);
    if (equals == NULL)
        return load_fail(load, "expected 'key = value' or '[section]'");
    size_t key_len = (size_t)(equals - text);
    scheme_trim(&text, &key_len);
    cvo_status status = CVO_OK;
    size_t index = load_key(load, text, key_len, &status);
    if (index == KEY_COUNT)
        return status;
    const config_key *key = &config_keys[index];
    if (load->seen[index] != 0)
        return load_fail(load, "%s.%s: duplicate key, already set on line %lu", key->section,
                         key->key, load->seen[index]);
    char *value = NULL;
    const char *problem = decode_value(load->config->ctx, equals + 1,
                                       len - (size_t)(equals + 1 - text), true, &value);
    if (problem != NULL)
        return load_fail(load, "%s.%s: %s", key->section, key->key, problem);
    if (value == NULL)
        return ctx_nomem(load->config->ctx);
    load->staged[index] = value;
    load->seen[index] = load->line;
    char reason[512];
    if (!value_ok(key, value, reason, sizeof reason))
        return load_fail(load, "%s.%s: %s", key->section, key->key, reason);
    if (key->type == CONFIG_LIST)
        list_normalize(value);
    return CVO_OK;
}

static cvo_status load_line(config_load *load, const char *text, size_t len)
{
    if (len > 0 && text[len - 1] == '\r')
        len--;
    scheme_trim(&text, &len);
    if (len == 0 || text[0] == '#' || text[0] == ';')
        return CVO_OK;
    if (text[0] == '[')
        return load_section(load, text, len);
    return load_pair(load, text, len);
}

static cvo_status load_lines(config_load *load, const scheme_lines *lines)
{
    size_t next = lines->next;
    while (next < lines->len) {
        const char *start = lines->text + next;
        const char *end = memchr(start, '\n', lines->len - next);
        size_t len = end ? (size_t)(end - start) : lines->len - next;
        next += len + (end != NULL);
        load->line++;
        CVO_TRY(load_line(load, start, len));
    }
    return CVO_OK;
}

/* Checks the rules across keys on the staged values, at the line of the later key. */
static cvo_status load_rules(config_load *load)
{
    const char *values[KEY_COUNT];
    for (size_t i = 0; i < KEY_COUNT; i++)
        values[i] = load->staged[i] ? load->staged[i] : value_of(load->config, i);
    char reason[512];
    if (rules_ok(values, reason, sizeof reason))
        return CVO_OK;
    size_t high = key_index("churn", "high_below"), low = key_index("churn", "low_from");
    load->line = load->seen[low] > load->seen[high] ? load->seen[low] : load->seen[high];
    return load_fail(load, "%s", reason);
}

cvo_status cvo_config_load(cvo_config *config, const char *path)
{
    config_load load;
    memset(&load, 0, sizeof load);
    load.config = config;
    load.path = path;
    load.section = KEY_COUNT;
    scheme_lines lines;
    CVO_TRY(scheme_lines_open(config->ctx, path, &lines));
    cvo_status status = load_lines(&load, &lines);
    scheme_lines_close(config->ctx, &lines);
    if (status == CVO_OK)
        status = load_rules(&load);
    for (size_t i = 0; i < KEY_COUNT; i++) {
        if (status == CVO_OK && load.staged[i] != NULL)
            replace(config, i, load.staged[i]);
        else
            mem_free(config->ctx, load.staged[i]);
    }
    return status;
}

/* ---- getters --------------------------------------------------------------- */

const char *cvo_config_text(const cvo_config *config, const char *section, const char *key)
{
    size_t index = key_index(section, key);
    return index < KEY_COUNT ? value_of(config, index) : NULL;
}

double cvo_config_number(const cvo_config *config, const char *section, const char *key)
{
    size_t index = key_index(section, key);
    if (index == KEY_COUNT)
        return NAN;
    const char *value = value_of(config, index);
    if (value[0] == '\0')
        return NAN; /* an optional number left empty */
    switch (config_keys[index].type) {
    case CONFIG_NUMBER:
    case CONFIG_INTEGER: return strtod(value, NULL);
    case CONFIG_BOOL: return strcmp(value, "true") == 0 ? 1.0 : 0.0;
    default: return NAN;
    }
}

const char *cvo_currency_of(const cvo_config *config, const cvo_load_stats *stats)
{
    const char *given = config ? cvo_config_text(config, "model", "currency") : NULL;
    if (given != NULL && given[0] != '\0')
        return given;
    if (stats != NULL && stats->currency[0] != '\0')
        return stats->currency;
    return "USD";
}

bool cvo_config_has(const cvo_config *config, const char *section, const char *key,
                    const char *item)
{
    size_t index = key_index(section, key);
    if (index == KEY_COUNT || config_keys[index].type != CONFIG_LIST || item == NULL)
        return false;
    const char *value = value_of(config, index);
    size_t item_len = strlen(item);
    for (;;) {
        const char *comma = strchr(value, ',');
        const char *start = value;
        size_t len = comma ? (size_t)(comma - value) : strlen(value);
        scheme_trim(&start, &len);
        if (len > 0 && len == item_len && memcmp(start, item, len) == 0)
            return true;
        if (comma == NULL)
            return false;
        value = comma + 1;
    }
}

/* ---- writing the defaults ------------------------------------------------- */

static bool needs_quotes(const char *value)
{
    size_t len = strlen(value);
    return len == 0 || is_blank(value[0]) || is_blank(value[len - 1]) ||
           strpbrk(value, "\"#;\\") != NULL;
}

bool config_write_value(FILE *out, const char *value)
{
    if (!needs_quotes(value))
        return fputs(value, out) >= 0;
    bool ok = fputc('"', out) != EOF;
    for (const char *p = value; *p && ok; p++) {
        if (*p == '"' || *p == '\\')
            ok = fputc('\\', out) != EOF;
        ok = ok && fputc(*p, out) != EOF;
    }
    return ok && fputc('"', out) != EOF;
}

static const char defaults_header[] =
    "# cvo analyze configuration, every key with its default (docs/config.md).\n"
    "# [section] headers and \"key = value\" lines; '#' or ';' starts a comment\n"
    "# (in a value: after a blank). Quote a value \"...\" to keep blanks, '#' or\n"
    "# ';'; inside quotes \\\" is a quote and \\\\ a backslash. Lists are\n"
    "# comma-separated. Unknown sections or keys are errors.\n";

static bool write_key(FILE *out, const config_key *key, bool new_section)
{
    char allowed[256];
    config_describe(key, allowed, sizeof allowed);
    if (new_section && fprintf(out, "\n[%s]\n", key->section) < 0)
        return false;
    if (fprintf(out, "\n# %s\n# Allowed: %s.\n%s = ", key->doc, allowed, key->key) < 0)
        return false;
    return config_write_value(out, key->default_value) && fputc('\n', out) != EOF;
}

cvo_status cvo_config_write_defaults(cvo_ctx *ctx, FILE *out)
{
    bool ok = fputs(defaults_header, out) >= 0;
    for (size_t i = 0; i < KEY_COUNT && ok; i++) {
        bool new_section = i == 0 || strcmp(config_keys[i].section, config_keys[i - 1].section);
        ok = write_key(out, &config_keys[i], new_section);
    }
    if (!ok || fflush(out) != 0 || ferror(out))
        return ctx_fail(ctx, CVO_ERR_WRITE, "cannot write the configuration: %s", strerror(errno));
    return CVO_OK;
}
