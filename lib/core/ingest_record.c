/* ingest_record.c - one record: its fields, parsed and checked into a line_item
 * before anything changes, then added to its order or rejected (a first record
 * rejected for its order's sake leaves the order open, doomed). */
#include "ingest_impl.h"

#include "base/bytes.h"
#include "base/hash.h"
#include "base/limits.h"
#include "core/products.h"
#include "io/money.h"
#include "io/utf8.h"

#include <stdio.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------ */

static slice trim(slice s)
{
    /* the usual field neither starts nor ends in a byte up to ' ' */
    if (s.len == 0 || ((unsigned char)s.ptr[0] > ' ' && (unsigned char)s.ptr[s.len - 1] > ' '))
        return s;
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* Bump allocation from the per-record text buffer (sized in shard_record). */
typedef struct text_pool {
    char *ptr;
    size_t used;
} text_pool;

#if defined(__GNUC__)
#define INGEST_COLD __attribute__((noinline))
#define INGEST_HOT __attribute__((always_inline)) inline
#else
#define INGEST_COLD
#define INGEST_HOT inline
#endif

INGEST_COLD static slice unescaped(const csv_field *f, text_pool *pool)
{
    char *out = pool->ptr + pool->used;
    size_t len = csv_unescape(f, out);
    pool->used += len;
    return trim((slice){out, len});
}

/* Inlined: a record reads some twenty fields, most of them plain. */
static INGEST_HOT slice field(const shard *sh, const csv_record *rec, field_id id,
                              text_pool *pool)
{
    int column = sh->config->schema->column[id];
    if (column < 0 || (uint32_t)column >= rec->stored)
        return (slice){"", 0};
    const csv_field *f = &rec->fields[column];
    if (!f->needs_unescape)
        return trim((slice){f->ptr, f->len});
    return unescaped(f, pool);
}

static bool has_column(const shard *sh, field_id id)
{
    return sh->config->schema->column[id] >= 0;
}

/* Shopify prefixes zips and phones with ' so spreadsheets keep zeros. */
static slice strip_apostrophe(slice s)
{
    if (s.len && s.ptr[0] == '\'') {
        s.ptr++;
        s.len--;
    }
    return s;
}

static slice lower_email(slice s, text_pool *pool)
{
    char *out = pool->ptr + pool->used;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    pool->used += s.len;
    return (slice){out, s.len};
}

static slice repair_utf8(slice s, text_pool *pool)
{
    if (utf8_valid_prefix(s.ptr, s.len) == s.len)
        return s;
    char *out = pool->ptr + pool->used;
    size_t len = utf8_repair(s.ptr, s.len, out);
    pool->used += len + 1;
    return (slice){out, len};
}

/* ---- parsing one record -------------------------------------------------- */

INGEST_COLD static bool money_error(money_result r, slice text, field_id id, verdict *v)
{
    if (r == MONEY_OVERFLOW)
        return ingest_say(v, CVO_REJECT_OVERFLOW, "amount '%.*s' in %s is too large", (int)text.len,
                          text.ptr, schema_field_name(id));
    return ingest_say(v, CVO_REJECT_BAD_MONEY, "bad amount '%.*s' in %s",
                      (int)(text.len > 60 ? 60 : text.len), text.ptr, schema_field_name(id));
}

static INGEST_HOT bool parse_money(shard *sh, slice text, field_id id, int64_t *e4, verdict *v)
{
    *e4 = 0;
    money_result r = money_parse_quick(text.ptr, text.len, sh->config->decimal_comma, e4);
    if (r == MONEY_OK || r == MONEY_EMPTY)
        return true;
    return money_error(r, text, id, v);
}

static bool parse_field_day(shard *sh, slice text, const char *name, int32_t *day, verdict *v)
{
    const ingest_config *c = sh->config;
    date_result r = c->has_date_format ? date_parse_format(&c->date_fmt, text.ptr, text.len, day)
                                       : date_parse_auto(text.ptr, text.len, day);
    int n = (int)(text.len > 60 ? 60 : text.len);
    if (r == DATE_OK && *day > c->latest_day) {
        char latest[11];
        cvo_day_format(c->latest_day, latest);
        return ingest_say(v, CVO_REJECT_FUTURE_DATE, "future date '%.*s' in %s (after %s)", n,
                          text.ptr, name, latest);
    }
    if (r == DATE_OK)
        return true;
    if (r == DATE_AMBIGUOUS)
        return ingest_say(v, CVO_REJECT_AMBIGUOUS_DATE,
                          "ambiguous date '%.*s' in %s: give --date-format (e.g. %%d/%%m/%%Y)", n,
                          text.ptr, name);
    return ingest_say(v, CVO_REJECT_BAD_DATE, "bad date '%.*s' in %s%s", n, text.ptr, name,
                      c->has_date_format ? " (does not match --date-format)" : "");
}

static bool parse_day(shard *sh, slice text, int32_t *day, verdict *v)
{
    return parse_field_day(sh, text, "order_date", day, v);
}

/* An order-level date (fulfilled_at, delivered_at): read until the order has one. */
static bool parse_order_day(shard *sh, const csv_record *rec, text_pool *pool, field_id id,
                            int32_t *day, bool *has, verdict *v)
{
    *has = false;
    if (!has_column(sh, id))
        return true;
    slice t = field(sh, rec, id, pool);
    if (t.len == 0)
        return true;
    *has = true;
    return parse_field_day(sh, t, schema_field_name(id), day, v);
}

static bool parse_quantity(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                           verdict *v)
{
    li->quantity = 1;
    if (!has_column(sh, FIELD_QUANTITY))
        return true;
    slice q = field(sh, rec, FIELD_QUANTITY, pool);
    money_result r = quantity_parse(q.ptr, q.len, &li->quantity);
    if (r == MONEY_OK)
        return true;
    if (r == MONEY_EMPTY && !has_column(sh, FIELD_UNIT_PRICE))
        return true; /* an item count beside an order total may be blank */
    return ingest_say(v, CVO_REJECT_BAD_QUANTITY, "bad quantity '%.*s'",
                      (int)(q.len > 60 ? 60 : q.len), q.ptr);
}

static bool sub_e4(int64_t a, int64_t b, int64_t *out, verdict *v)
{
    if (__builtin_sub_overflow(a, b, out))
        return ingest_say(v, CVO_REJECT_OVERFLOW, "line amount overflows");
    return true;
}

static bool line_cost(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                      int64_t unit_cost_e4, bool has_unit_cost, verdict *v);

/* WooCommerce's "key:value|key:value" lists: the value after key (up to
 * the next '|' or ';'), or an empty slice. */
static slice compound_value(slice s, const char *key, size_t *from)
{
    size_t n = strlen(key);
    for (size_t i = *from; i + n <= s.len; i++) {
        if (memcmp(s.ptr + i, key, n) != 0 || (i > 0 && s.ptr[i - 1] != '|' && s.ptr[i - 1] != ';'))
            continue;
        size_t end = i + n;
        while (end < s.len && s.ptr[end] != '|' && s.ptr[end] != ';')
            end++;
        *from = end;
        return trim((slice){s.ptr + i + n, end - i - n});
    }
    *from = s.len;
    return (slice){"", 0};
}

/* The sum of every "amount:" of a refund_items list. */
static bool compound_refunds(shard *sh, slice s, int64_t *e4, verdict *v)
{
    *e4 = 0;
    for (size_t at = 0; at < s.len;) {
        slice amount = compound_value(s, "amount:", &at);
        int64_t one;
        if (amount.len == 0)
            continue;
        if (!parse_money(sh, amount, FIELD_REFUND, &one, v))
            return false;
        if (__builtin_add_overflow(*e4, one, e4))
            return ingest_say(v, CVO_REJECT_OVERFLOW, "refunds overflow");
    }
    return true;
}

static bool parse_refund(shard *sh, const csv_record *rec, text_pool *pool, int64_t *e4,
                         verdict *v)
{
    slice t = field(sh, rec, FIELD_REFUND, pool);
    if (sh->config->schema->compound_items)
        return compound_refunds(sh, t, e4, v);
    return parse_money(sh, t, FIELD_REFUND, e4, v);
}

/* Shipping and handling charged inside order_total (BigCommerce, Magento). */
static bool parse_charged(shard *sh, const csv_record *rec, text_pool *pool, int64_t *e4,
                          verdict *v)
{
    int64_t shipping, handling;
    if (!parse_money(sh, field(sh, rec, FIELD_SHIPPING_CHARGED, pool), FIELD_SHIPPING_CHARGED,
                     &shipping, v) ||
        !parse_money(sh, field(sh, rec, FIELD_HANDLING_CHARGED, pool), FIELD_HANDLING_CHARGED,
                     &handling, v))
        return false;
    if (__builtin_add_overflow(shipping, handling, e4))
        return ingest_say(v, CVO_REJECT_OVERFLOW, "shipping and handling overflow");
    return true;
}

/* net = quantity x unit_price - discount - refund, or order_total - refund
 * (- shipping and handling charged); 0 in a count-only event log */
static bool parse_amounts(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                          verdict *v)
{
    int64_t price, discount, refund, total, cost, shipping, charged;
    slice price_text = field(sh, rec, FIELD_UNIT_PRICE, pool);
    slice total_text = field(sh, rec, FIELD_ORDER_TOTAL, pool);
    slice cost_text = field(sh, rec, FIELD_UNIT_COST, pool);
    if (!parse_quantity(sh, rec, pool, li, v) ||
        !parse_money(sh, price_text, FIELD_UNIT_PRICE, &price, v) ||
        !parse_money(sh, field(sh, rec, FIELD_DISCOUNT, pool), FIELD_DISCOUNT, &discount, v) ||
        !parse_refund(sh, rec, pool, &refund, v) ||
        !parse_money(sh, total_text, FIELD_ORDER_TOTAL, &total, v) ||
        !parse_money(sh, cost_text, FIELD_UNIT_COST, &cost, v) ||
        !parse_money(sh, field(sh, rec, FIELD_SHIPPING_COST, pool), FIELD_SHIPPING_COST,
                     &shipping, v) ||
        !parse_charged(sh, rec, pool, &charged, v))
        return false;
    int64_t gross;
    if (price_text.len > 0) {
        if (!money_mul(price, li->quantity, &gross))
            return ingest_say(v, CVO_REJECT_OVERFLOW, "quantity x unit_price overflows");
    } else if (total_text.len > 0) {
        gross = total;
    } else if (!sh->config->schema->has_amount) {
        gross = 0;
    } else {
        return ingest_say(v, CVO_REJECT_NO_AMOUNT, "no amount: %s is empty",
                          has_column(sh, FIELD_UNIT_PRICE) ? "unit_price" : "order_total");
    }
    int64_t net;
    if (!sub_e4(gross, discount, &net, v) || !sub_e4(net, refund, &net, v) ||
        !sub_e4(net, charged, &net, v))
        return false;
    li->net_cents = money_e4_to_cents(net);
    li->refund_cents = money_e4_to_cents(refund);
    if (!sh->config->keep_orders)
        return true;
    li->discount_cents = money_e4_to_cents(discount);
    li->shipping_cents = money_e4_to_cents(shipping);
    li->has_shipping = shipping != 0 || field(sh, rec, FIELD_SHIPPING_COST, pool).len > 0;
    return line_cost(sh, rec, pool, li, cost, cost_text.len > 0, v);
}

/* The line's cost of goods: its own unit_cost, else the products file by
 * SKU, else unknown (the profit model applies a default margin to it). */
static bool line_cost(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                      int64_t unit_cost_e4, bool has_unit_cost, verdict *v)
{
    li->cost_known = li->cost_from_line = false;
    li->cost_cents = 0;
    int64_t e4 = unit_cost_e4, total;
    if (has_unit_cost) {
        li->cost_from_line = true;
    } else {
        slice sku = field(sh, rec, FIELD_SKU, pool);
        if (sku.len == 0 || !products_cost(sh->config->products, sku.ptr, sku.len, &e4))
            return true;
    }
    if (!money_mul(e4, li->quantity, &total))
        return ingest_say(v, CVO_REJECT_OVERFLOW, "quantity x unit_cost overflows");
    li->cost_known = true;
    li->cost_cents = money_e4_to_cents(total);
    return true;
}

/* yes/no and the usual spellings of it; false for anything else. */
static bool consent_value(slice t, uint8_t *out)
{
    static const char *const yes[] = {"yes", "y", "true", "1", "subscribed", "opted_in",
                                      "opt_in", "accepted", "granted"};
    static const char *const no[] = {"no", "n", "false", "0", "unsubscribed", "not_subscribed",
                                     "opted_out", "opt_out", "declined", "revoked", "pending"};
    char word[20];
    if (t.len == 0 || t.len >= sizeof word)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        char c = t.ptr[i];
        word[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c == '-' || c == ' ' ? '_' : c;
    }
    word[t.len] = '\0';
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (strcmp(word, yes[i]) == 0)
            return *out = CVO_CONSENT_YES, true;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (strcmp(word, no[i]) == 0)
            return *out = CVO_CONSENT_NO, true;
    return false;
}

/* The order's marketing consent: read until the open order has it. */
static bool parse_consent(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                          verdict *v)
{
    li->consent = CVO_CONSENT_UNKNOWN;
    if (!has_column(sh, FIELD_ACCEPTS_MARKETING) || (li->order && li->order->consent))
        return true;
    slice t = field(sh, rec, FIELD_ACCEPTS_MARKETING, pool);
    if (t.len == 0 || consent_value(t, &li->consent))
        return true;
    return ingest_say(v, CVO_REJECT_BAD_CONSENT,
                      "bad consent '%.*s' in accepts_marketing (yes or no)",
                      (int)(t.len > 40 ? 40 : t.len), t.ptr);
}

/* Order-level fields, read only while the order has not got them yet. */
static bool parse_order_fields(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                               verdict *v)
{
    const order_acc *o = li->order;
    li->status = field(sh, rec, FIELD_STATUS, pool);
    li->cancelled_at = field(sh, rec, FIELD_CANCELLED_AT, pool);
    int64_t e4 = 0;
    if (!(o && o->has_order_refund)) {
        slice t = field(sh, rec, FIELD_ORDER_REFUND, pool);
        if (!parse_money(sh, t, FIELD_ORDER_REFUND, &e4, v))
            return false;
        li->has_order_refund = t.len > 0;
        li->order_refund_cents = money_e4_to_cents(e4);
    }
    if (!(o && o->has_subtotal)) {
        slice t = field(sh, rec, FIELD_SUBTOTAL, pool);
        if (!parse_money(sh, t, FIELD_SUBTOTAL, &e4, v))
            return false;
        li->has_subtotal = t.len > 0;
        li->subtotal_cents = money_e4_to_cents(e4);
    }
    if (!(o && o->has_outstanding) && has_column(sh, FIELD_OUTSTANDING)) {
        slice t = field(sh, rec, FIELD_OUTSTANDING, pool);
        if (!parse_money(sh, t, FIELD_OUTSTANDING, &e4, v))
            return false;
        li->has_outstanding = t.len > 0;
        li->outstanding_cents = money_e4_to_cents(e4);
    }
    if (!(o && o->has_fulfilled) && !parse_order_day(sh, rec, pool, FIELD_FULFILLED_AT,
                                                     &li->fulfilled_day, &li->has_fulfilled, v))
        return false;
    if (!(o && o->has_delivered) && !parse_order_day(sh, rec, pool, FIELD_DELIVERED_AT,
                                                     &li->delivered_day, &li->has_delivered, v))
        return false;
    return parse_consent(sh, rec, pool, li, v);
}

/* ---- one record ------------------------------------------------------------ */

static bool check_field_count(const shard *sh, const csv_record *rec, verdict *v)
{
    const schema *s = sh->config->schema;
    if (s->columns != 0 && rec->count != s->columns)
        return ingest_say(v, CVO_REJECT_FIELD_COUNT, "record has %u fields, the header has %u",
                          rec->count, s->columns);
    if (rec->count >= sh->fields_needed)
        return true;
    for (int f = 0; f < FIELD__COUNT; f++)
        if (s->column[f] >= 0 && (uint32_t)s->column[f] >= rec->count)
            return ingest_say(v, CVO_REJECT_FIELD_COUNT, "record has %u fields, %s is field %d",
                              rec->count, schema_field_name((field_id)f), s->column[f] + 1);
    return true;
}

/* Text fields checked for invalid UTF-8 when a record holds any. */
static const field_id text_fields[] = {FIELD_CUSTOMER_ID, FIELD_EMAIL, FIELD_SKU, FIELD_PRODUCT,
                                       FIELD_COUNTRY, FIELD_DISCOUNT_CODE, FIELD_CHANNEL,
                                       FIELD_STATUS, FIELD_CATEGORY};

/* Counts the text fields with invalid UTF-8 (they are repaired where kept). */
static void count_bad_text(shard *sh, const csv_record *rec, text_pool *pool)
{
    for (size_t i = 0; i < sizeof text_fields / sizeof *text_fields; i++) {
        slice f = field(sh, rec, text_fields[i], pool);
        if (utf8_valid_prefix(f.ptr, f.len) != f.len)
            sh->stats.repaired_fields++;
    }
}

static void read_customer(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                          bool valid_utf8)
{
    li->customer_id = strip_apostrophe(field(sh, rec, FIELD_CUSTOMER_ID, pool));
    li->email = field(sh, rec, FIELD_EMAIL, pool);
    if (!valid_utf8) {
        li->customer_id = repair_utf8(li->customer_id, pool);
        li->email = repair_utf8(li->email, pool);
    }
}

/* Customer and date, inherited from the open order when blank. */
static bool read_customer_and_date(shard *sh, line_item *li, verdict *v)
{
    const order_acc *o = li->order;
    if (li->customer_id.len == 0 && li->email.len == 0) {
        if (o == NULL)
            return ingest_say(v, CVO_REJECT_NO_CUSTOMER,
                              "no customer: customer_id and email are empty");
        li->customer_id = (slice){o->customer_id.ptr, o->customer_id.len};
        li->email = (slice){o->email.ptr, o->email.len};
    }
    if (li->date.len == 0) {
        if (o == NULL)
            return ingest_say(v, CVO_REJECT_NO_DATE, "no order date");
        li->date = (slice){o->date_text.ptr, o->date_text.len};
        li->day = o->day;
        return true;
    }
    if (o != NULL && ingest_strbuf_eq(&o->date_text, li->date)) {
        li->day = o->day;
        return true;
    }
    return parse_day(sh, li->date, &li->day, v);
}

/* Without an order id, a customer's records of one day make one order. */
static slice day_key(const line_item *li, text_pool *pool)
{
    slice who = li->customer_id.len ? li->customer_id : li->email;
    char *out = pool->ptr + pool->used;
    memcpy(out, who.ptr, who.len);
    out[who.len] = li->customer_id.len ? '\x1f' : '\x1e';
    uint32_t day = (uint32_t)li->day ^ 0x80000000u; /* big-endian, sign flipped: sorts */
    for (int i = 0; i < 4; i++)
        out[who.len + 1 + i] = (char)(day >> (24 - 8 * i));
    size_t len = who.len + 1 + sizeof li->day;
    pool->used += len;
    return (slice){out, len};
}

static bool check_duplicate(const order_acc *o, const line_item *li, verdict *v)
{
    for (size_t i = 0; o && i < o->mark_count; i++) {
        if (o->marks[i].hash == li->hash) {
            ingest_say(v, CVO_REJECT_DUPLICATE, "exact duplicate of line %llu",
                       (unsigned long long)o->marks[i].line);
            v->ref_line = o->marks[i].line;
            return false;
        }
    }
    return true;
}

/* Only general mode looks orders up by hash; fast mode compares with the one
 * open order's key directly. */
static uint64_t order_key_hash(const shard *sh, slice key)
{
    return sh->config->general ? hash_bytes(key.ptr, key.len, 0x0d) : 0;
}

static void init_item(line_item *li)
{
    li->order = NULL;
    li->has_order_refund = li->has_subtotal = false;
    li->order_refund_cents = li->subtotal_cents = 0;
    li->hash = 0;
    li->day = 0;
    li->has_fulfilled = li->has_delivered = false;
    li->consent = CVO_CONSENT_UNKNOWN;
    li->status_class = STATUS_COUNTED;
    li->status_name[0] = '\0';
    li->currency[0] = '\0';
    li->rate_e8 = 0;
    li->has_outstanding = false;
    li->outstanding_cents = 0;
}

/* The order's status, read from its first record that has one. An unknown
 * status rejects the order (a store's own status may mean anything). */
static bool read_status(shard *sh, line_item *li, verdict *v)
{
    const order_acc *o = li->order;
    if (li->status.len == 0 || (o != NULL && o->status_seen))
        return true;
    const status_rules *rules = sh->config->statuses;
    status_fold(rules, li->status.ptr, li->status.len, li->status_name);
    li->status_class = (uint8_t)status_classify(rules, li->status_name);
    if (li->status_class != STATUS_UNKNOWN)
        return true;
    ingest_say(
        v, CVO_REJECT_UNKNOWN_STATUS,
        "unknown status '%.*s' (%s statuses that count: %s; add it to [orders] count_statuses "
        "or skip_statuses)",
        (int)(li->status.len > 40 ? 40 : li->status.len), li->status.ptr,
        cvo_format_name(rules->format),
        rules->listed ? "as listed in count_statuses" : cvo_format_counted_statuses(rules->format));
    v->order_level = o == NULL;
    return false;
}

static bool rate_verdict(shard *sh, line_item *li, verdict *v)
{
    const rates *r = sh->config->rates;
    int32_t first = 0;
    char on[11], from[11];
    v->order_level = true;
    if (r == NULL) {
        ingest_say(v, CVO_REJECT_OTHER_CURRENCY,
                   "order in %s, the store currency is %s: amounts in two currencies are never "
                   "added; give --rates FILE to convert them, or set [model] currency",
                   li->currency, sh->store);
        v->order_level = true;
        return false;
    }
    rate_result rr = rates_find(r, li->currency, li->day, &li->rate_e8, &first);
    if (rr == RATE_OK)
        return true;
    cvo_day_format(li->day, on);
    if (rr == RATE_NO_CURRENCY)
        ingest_say(v, CVO_REJECT_NO_RATE, "no %s rate in %s (order of %s)", li->currency,
                   rates_path(r), on);
    else {
        cvo_day_format(first, from);
        ingest_say(v, CVO_REJECT_NO_RATE,
                   "no %s rate in force on %s in %s: its first %s rate is for %s", li->currency, on,
                   rates_path(r), li->currency, from);
    }
    v->order_level = true;
    return false;
}

/* The order's currency, from its first record: blank is the store
 * currency; another one is converted at the rate in force on the order date
 * or, without rates, the order is rejected. Orders that do not count need no
 * rate: no money of theirs is added. */
static bool read_currency(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                          verdict *v)
{
    const order_acc *o = li->order;
    if (o != NULL) {
        memcpy(li->currency, o->currency, sizeof li->currency);
        li->rate_e8 = o->rate_e8;
        return true;
    }
    slice c = field(sh, rec, FIELD_CURRENCY, pool);
    if (c.len == 0)
        return true;
    if (!currency_known(c.ptr, c.len)) {
        ingest_say(v, CVO_REJECT_BAD_CURRENCY,
                   "unknown currency code '%.*s' (ISO 4217 codes, three capital letters: EUR, USD)",
                   (int)(c.len > 40 ? 40 : c.len), c.ptr);
        v->order_level = true;
        return false;
    }
    memcpy(li->currency, c.ptr, 3);
    li->currency[3] = '\0';
    if (sh->store[0] == '\0' && sh->config->currency_lazy) {
        memcpy(sh->store, li->currency, sizeof sh->store);
        memcpy(sh->stats.currency, li->currency, sizeof sh->stats.currency);
    }
    if (sh->store[0] == '\0' || strcmp(li->currency, sh->store) == 0 ||
        li->status_class == STATUS_NOT_COUNTED || li->cancelled_at.len > 0)
        return true;
    return rate_verdict(sh, li, v);
}

/* Checks the whole record; fills li and key. false with a verdict to reject.
 * A record that continues the open order takes its customer from the order,
 * so only an order's first record normalises the customer's email. */
static bool examine(shard *sh, const csv_record *rec, text_pool *pool, line_item *li,
                    slice *key, uint64_t *key_hash, verdict *v)
{
    init_item(li);
    if (!check_field_count(sh, rec, v))
        return false;
    bool valid_utf8 = rec->ascii || utf8_valid_prefix(rec->raw, rec->raw_len) == rec->raw_len;
    if (!valid_utf8)
        count_bad_text(sh, rec, pool);
    li->order_id = field(sh, rec, FIELD_ORDER_ID, pool);
    li->date = field(sh, rec, FIELD_ORDER_DATE, pool);
    read_customer(sh, rec, pool, li, valid_utf8);
    if (li->order_id.len > 0) {
        *key = li->order_id;
        *key_hash = order_key_hash(sh, *key);
        li->order = ingest_find_order(sh, *key, *key_hash);
    }
    if (li->order == NULL)
        li->email = lower_email(li->email, pool);
    if (!read_customer_and_date(sh, li, v))
        return false;
    if (li->order_id.len == 0) {
        *key = day_key(li, pool);
        *key_hash = order_key_hash(sh, *key);
        li->order = ingest_find_order(sh, *key, *key_hash);
    }
    if (li->order != NULL && li->order->doomed)
        return ingest_say(v, li->order->doom_reason, "%.300s (the order was rejected at line %llu)",
                          li->order->doom_detail.ptr ? li->order->doom_detail.ptr : "",
                          (unsigned long long)li->order->doom_line);
    if (!parse_amounts(sh, rec, pool, li, v) || !parse_order_fields(sh, rec, pool, li, v) ||
        !read_status(sh, li, v) || !read_currency(sh, rec, pool, li, v))
        return false;
    if (sh->config->keep_orders) {
        /* order-level facts: read only until the open order has them */
        const order_acc *o = li->order;
        slice none = {"", 0};
        li->code = o && o->has_code ? none : field(sh, rec, FIELD_DISCOUNT_CODE, pool);
        if (sh->config->schema->compound_items) {
            size_t from = 0;
            li->code = compound_value(li->code, "code:", &from);
        }
        li->channel = o && o->channel.len ? none : field(sh, rec, FIELD_CHANNEL, pool);
        li->country = o && o->country.len ? none : field(sh, rec, FIELD_COUNTRY, pool);
        li->sku = field(sh, rec, FIELD_SKU, pool);
        li->name = field(sh, rec, FIELD_PRODUCT, pool);
        li->category = field(sh, rec, FIELD_CATEGORY, pool);
        if (!valid_utf8) {
            li->channel = repair_utf8(li->channel, pool);
            li->country = repair_utf8(li->country, pool);
            li->code = repair_utf8(li->code, pool);
            li->sku = repair_utf8(li->sku, pool);
            li->name = repair_utf8(li->name, pool);
            li->category = repair_utf8(li->category, pool);
        }
    }
    if (has_column(sh, FIELD_ORDER_ID)) {
        li->hash = hash_long(rec->raw, rec->raw_len, 0x5eed);
        return check_duplicate(li->order, li, v);
    }
    return true;
}

static bool ensure_text(shard *sh, size_t need)
{
    if (need <= sh->text_cap)
        return true;
    size_t cap = sh->text_cap ? sh->text_cap : 4096;
    while (cap < need)
        cap *= 2;
    char *text = mem_realloc(sh->ctx, sh->text, cap);
    if (text == NULL)
        return false;
    sh->text = text;
    sh->text_cap = cap;
    return true;
}

/* The first record of an order was rejected for the order's sake: the order
 * stays open, doomed, so that its later records go the same way. */
static cvo_status open_doomed(shard *sh, const line_item *li, slice key, uint64_t hash,
                              uint64_t line, const verdict *v)
{
    order_acc *o = NULL;
    CVO_TRY(ingest_open_order(sh, li, key, hash, line, &o));
    o->doomed = true;
    o->doom_reason = v->reason;
    o->doom_line = line;
    if (!ingest_strbuf_set(sh->ctx, &o->doom_detail, v->detail, strlen(v->detail)))
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
    if (v->reason == CVO_REJECT_OTHER_CURRENCY || v->reason == CVO_REJECT_NO_RATE)
        ingest_count_currency(&sh->stats, li->currency, 0, 0, 0, 1);
    return CVO_OK;
}

cvo_status shard_record(shard *sh, const csv_record *rec)
{
    if (sh->status != CVO_OK)
        return sh->status;
    /* unescaped fields + UTF-8 repairs (3x) + lower-cased email + order key */
    if (!ensure_text(sh, rec->raw_len * 8 + 64))
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory");
    text_pool pool = {sh->text, 0};
    line_item li;
    slice key = {"", 0};
    uint64_t key_hash = 0;
    verdict v;
    sh->stats.records++;
    if (!examine(sh, rec, &pool, &li, &key, &key_hash, &v)) {
        if (v.order_level && li.order == NULL && key.len > 0)
            CVO_TRY(open_doomed(sh, &li, key, key_hash, rec->line, &v));
        return ingest_store_reject(sh, rec->line, &v, rec->raw, rec->raw_len);
    }
    order_acc *o = li.order;
    if (o == NULL)
        CVO_TRY(ingest_open_order(sh, &li, key, key_hash, rec->line, &o));
    CVO_TRY(ingest_add_line(sh, o, &li, rec->line));
    sh->stats.used++;
    return CVO_OK;
}
