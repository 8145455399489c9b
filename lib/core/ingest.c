/* ingest.c - records to customers. A record is checked completely before it
 * touches an order, so a rejected record leaves no trace but its reject entry,
 * and records == used + rejected holds after every call. */
#include "ingest.h"

#include "base/bytes.h"
#include "base/hash.h"
#include "base/limits.h"
#include "core/products.h"
#include "io/money.h"
#include "io/utf8.h"

#include <stdio.h>
#include <string.h>

typedef struct row_mark {
    uint64_t hash;
    uint64_t line;
} row_mark;

struct order_acc {
    strbuf key, customer_id, email, date_text;
    uint64_t key_hash;
    int32_t day;
    uint64_t first_line;
    int64_t net_cents;          /* sum of line nets */
    int64_t items;
    int64_t line_refund_cents;
    int64_t order_refund_cents; /* order-level refunded amount */
    int64_t subtotal_cents;
    bool has_order_refund, has_subtotal, status_seen;
    bool cancelled, cancellation;
    uint8_t status_class;          /* status_class of the first status */
    char status_name[STATUS_NAME_BYTES];
    bool doomed;                   /* rejected as a whole: every record of it is */
    cvo_reject_reason doom_reason;
    uint64_t doom_line;
    strbuf doom_detail;
    char currency[4];              /* "" : the store currency */
    int64_t rate_e8;               /* 0: no conversion */
    int64_t outstanding_cents;
    bool has_outstanding;
    uint32_t lines, return_lines;
    int64_t returns_cents;
    row_mark *marks;
    size_t mark_count, mark_cap;
    /* keep_orders: what profit and the analysis need */
    int64_t discount_cents, shipping_cents, cogs_cents, costed_cents, line_cost_cents;
    bool has_shipping, has_code;
    strbuf channel, country;
    uint32_t code;                /* prodmap code index, 0 none */
    uint32_t *products;           /* distinct product indices, in first-line order */
    uint32_t product_count, product_cap;
    /* order-level dates, when the file has them */
    int32_t fulfilled_day, delivered_day;
    bool has_fulfilled, has_delivered, keyed_by_id;
    uint8_t consent; /* CVO_CONSENT_*: the first line that says */
};

typedef struct slice {
    const char *ptr;
    size_t len;
} slice;

/* Everything a record contributes, computed before any state changes. */
typedef struct line_item {
    slice order_id, customer_id, email, date;
    slice status, cancelled_at;
    uint8_t status_class;
    char status_name[STATUS_NAME_BYTES];
    char currency[4];
    int64_t rate_e8;
    int64_t outstanding_cents;
    bool has_outstanding;
    int32_t day;
    int64_t quantity;
    int64_t net_cents;
    int64_t refund_cents;
    int64_t order_refund_cents, subtotal_cents;
    bool has_order_refund, has_subtotal;
    uint64_t hash;
    order_acc *order; /* the open order this record continues, or NULL */
    /* keep_orders only */
    int64_t discount_cents, shipping_cents, cost_cents;
    bool has_shipping, cost_known, cost_from_line;
    slice code, channel, country, sku, name, category;
    int32_t fulfilled_day, delivered_day;
    bool has_fulfilled, has_delivered;
    uint8_t consent;
} line_item;

typedef struct verdict {
    cvo_reject_reason reason;
    bool order_level; /* the whole order goes: its later records too */
    uint64_t ref_line;
    char detail[400];
} verdict;

/* ---- small helpers ------------------------------------------------------ */

static bool strbuf_set(cvo_ctx *ctx, strbuf *b, const char *text, size_t len)
{
    if (len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < len + 1)
            cap *= 2;
        char *ptr = mem_realloc(ctx, b->ptr, cap);
        if (ptr == NULL)
            return false;
        b->ptr = ptr;
        b->cap = cap;
    }
    if (len)
        memcpy(b->ptr, text, len);
    b->ptr[len] = '\0';
    b->len = len;
    return true;
}

static bool strbuf_eq(const strbuf *b, slice s)
{
    return b->len == s.len && bytes_eq(b->ptr, s.ptr, s.len);
}

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

/* ---- rejects ------------------------------------------------------------- */

static cvo_status fail(shard *sh, cvo_status status, const char *message)
{
    if (sh->status == CVO_OK) {
        sh->status = status;
        snprintf(sh->message, sizeof sh->message, "%s", message);
    }
    return status;
}

static cvo_status store_reject(shard *sh, uint64_t line, const verdict *v, const char *raw,
                               size_t raw_len)
{
    if (sh->reject_count == sh->reject_cap) {
        size_t cap = sh->reject_cap ? sh->reject_cap * 2 : 64;
        reject_entry *r = mem_realloc(sh->ctx, sh->rejects, cap * sizeof *r);
        if (r == NULL)
            return fail(sh, CVO_ERR_NOMEM, "out of memory");
        sh->rejects = r;
        sh->reject_cap = cap;
    }
    reject_entry *e = &sh->rejects[sh->reject_count];
    e->line = line;
    e->ref_line = v->ref_line;
    e->reason = v->reason;
    e->detail = arena_strndup(&sh->scratch, v->detail, strlen(v->detail));
    e->raw = arena_strndup(&sh->scratch, raw, raw_len);
    e->raw_len = raw_len;
    if (e->detail == NULL || e->raw == NULL)
        return fail(sh, CVO_ERR_NOMEM, "out of memory");
    sh->reject_count++;
    sh->stats.rejected++;
    sh->stats.rejected_by_reason[v->reason]++;
    if (v->reason == CVO_REJECT_DUPLICATE)
        sh->stats.duplicates++;
    if (sh->stats.rejected > sh->config->max_rejects)
        return fail(sh, CVO_ERR_LIMIT, "too many rejected records: wrong format or --map?");
    return CVO_OK;
}

static bool say(verdict *v, cvo_reject_reason reason, const char *format, ...)
    CVO_PRINTF(3, 4);

static bool say(verdict *v, cvo_reject_reason reason, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    v->reason = reason;
    v->order_level = false;
    v->ref_line = 0;
    vsnprintf(v->detail, sizeof v->detail, format, args);
    va_end(args);
    return false;
}

cvo_status shard_reject_raw(shard *sh, uint64_t line, cvo_reject_reason reason,
                            const char *raw, size_t raw_len)
{
    verdict v;
    if (reason == CVO_REJECT_TOO_LONG)
        say(&v, reason, "record longer than %u bytes", (unsigned)CVO_MAX_RECORD_BYTES);
    else
        say(&v, reason, "quoted field not closed before the end of the input");
    sh->stats.records++;
    return store_reject(sh, line, &v, raw, raw_len);
}

/* ---- parsing one record -------------------------------------------------- */

INGEST_COLD static bool money_error(money_result r, slice text, field_id id, verdict *v)
{
    if (r == MONEY_OVERFLOW)
        return say(v, CVO_REJECT_OVERFLOW, "amount '%.*s' in %s is too large", (int)text.len,
                   text.ptr, schema_field_name(id));
    return say(v, CVO_REJECT_BAD_MONEY, "bad amount '%.*s' in %s", (int)(text.len > 60 ? 60 : text.len),
               text.ptr, schema_field_name(id));
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
        return say(v, CVO_REJECT_FUTURE_DATE, "future date '%.*s' in %s (after %s)", n, text.ptr,
                   name, latest);
    }
    if (r == DATE_OK)
        return true;
    if (r == DATE_AMBIGUOUS)
        return say(v, CVO_REJECT_AMBIGUOUS_DATE,
                   "ambiguous date '%.*s' in %s: give --date-format (e.g. %%d/%%m/%%Y)",
                   n, text.ptr, name);
    return say(v, CVO_REJECT_BAD_DATE, "bad date '%.*s' in %s%s", n, text.ptr, name,
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
    return say(v, CVO_REJECT_BAD_QUANTITY, "bad quantity '%.*s'", (int)(q.len > 60 ? 60 : q.len),
               q.ptr);
}

static bool sub_e4(int64_t a, int64_t b, int64_t *out, verdict *v)
{
    if (__builtin_sub_overflow(a, b, out))
        return say(v, CVO_REJECT_OVERFLOW, "line amount overflows");
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
            return say(v, CVO_REJECT_OVERFLOW, "refunds overflow");
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
        return say(v, CVO_REJECT_OVERFLOW, "shipping and handling overflow");
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
            return say(v, CVO_REJECT_OVERFLOW, "quantity x unit_price overflows");
    } else if (total_text.len > 0) {
        gross = total;
    } else if (!sh->config->schema->has_amount) {
        gross = 0;
    } else {
        return say(v, CVO_REJECT_NO_AMOUNT, "no amount: %s is empty",
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
        return say(v, CVO_REJECT_OVERFLOW, "quantity x unit_cost overflows");
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
    return say(v, CVO_REJECT_BAD_CONSENT, "bad consent '%.*s' in accepts_marketing (yes or no)",
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

/* ---- orders --------------------------------------------------------------- */

static bool seen_grow(shard *sh)
{
    size_t old_size = sh->seen ? sh->seen_mask + 1 : 0;
    size_t size = old_size ? old_size * 2 : 4096;
    uint64_t *slots = mem_zarray(sh->ctx, size, sizeof *slots);
    if (slots == NULL)
        return false;
    uint64_t *old = sh->seen;
    sh->seen = slots;
    sh->seen_mask = size - 1;
    for (size_t i = 0; i < old_size; i++) {
        if (old[i] == 0)
            continue;
        uint64_t h = sh->config->general ? sh->accs[old[i] - 1].key_hash : old[i];
        size_t s = (size_t)h & sh->seen_mask;
        while (slots[s] != 0)
            s = (s + 1) & sh->seen_mask;
        slots[s] = old[i];
    }
    mem_free(sh->ctx, old);
    return true;
}

/* Order keys compare by length, then bytes: "#999" < "#1000", "O0009" <
 * "O0010". */
static int key_compare(const char *a, size_t a_len, const char *b, size_t b_len)
{
    if (a_len != b_len)
        return a_len < b_len ? -1 : 1;
    int c = memcmp(a, b, a_len);
    return (c > 0) - (c < 0);
}

/* Fast mode relies on order keys running strictly up (or down) through the
 * input, as store exports number their orders: then no order can come back
 * after another one started. The first key against the run ends fast mode. */
static bool track_key(shard *sh, slice key)
{
    if (!sh->keys_monotonic)
        return true;
    if (sh->key_count == 0 && !strbuf_set(sh->ctx, &sh->first_key, key.ptr, key.len))
        return false;
    if (sh->key_count > 0) {
        int c = key_compare(key.ptr, key.len, sh->last_key.ptr, sh->last_key.len);
        if (sh->key_direction == 0)
            sh->key_direction = c;
        if (c == 0 || c != sh->key_direction) {
            sh->keys_monotonic = false;
            sh->noncontiguous = true;
            return true;
        }
    }
    sh->key_count++;
    return strbuf_set(sh->ctx, &sh->last_key, key.ptr, key.len);
}

static order_acc *find_order(shard *sh, slice key, uint64_t hash)
{
    if (!sh->config->general) {
        order_acc *o = sh->current;
        return (o && o->key_hash == hash && strbuf_eq(&o->key, key)) ? o : NULL;
    }
    if (sh->seen == NULL)
        return NULL;
    for (size_t s = (size_t)hash & sh->seen_mask; sh->seen[s] != 0; s = (s + 1) & sh->seen_mask) {
        order_acc *o = &sh->accs[sh->seen[s] - 1];
        if (o->key_hash == hash && strbuf_eq(&o->key, key))
            return o;
    }
    return NULL;
}

static void acc_release(cvo_ctx *ctx, order_acc *o)
{
    mem_free(ctx, o->key.ptr);
    mem_free(ctx, o->customer_id.ptr);
    mem_free(ctx, o->email.ptr);
    mem_free(ctx, o->date_text.ptr);
    mem_free(ctx, o->marks);
    mem_free(ctx, o->channel.ptr);
    mem_free(ctx, o->country.ptr);
    mem_free(ctx, o->products);
    mem_free(ctx, o->doom_detail.ptr);
}

/* Clears an order for reuse, keeping its buffers. */
static void acc_reset(order_acc *o)
{
    order_acc keep = *o;
    memset(o, 0, sizeof *o);
    o->key = keep.key;
    o->customer_id = keep.customer_id;
    o->email = keep.email;
    o->date_text = keep.date_text;
    o->marks = keep.marks;
    o->mark_cap = keep.mark_cap;
    o->channel = keep.channel;
    o->country = keep.country;
    o->channel.len = o->country.len = 0;
    o->products = keep.products;
    o->product_cap = keep.product_cap;
    o->doom_detail = keep.doom_detail;
    o->doom_detail.len = 0;
}

static bool add_checked(int64_t *sum, int64_t value)
{
    return !__builtin_add_overflow(*sum, value, sum);
}

static cvo_status custmap_failure(shard *sh, custmap_result r)
{
    if (r == CUSTMAP_NOMEM)
        return fail(sh, CVO_ERR_NOMEM, "out of memory (customers)");
    if (r == CUSTMAP_LIMIT)
        return fail(sh, CVO_ERR_LIMIT, "more customers than cvo can hold (CVO_MAX_CUSTOMERS)");
    if (r == CUSTMAP_OVERFLOW)
        return fail(sh, CVO_ERR_LIMIT, "a customer's revenue overflows 64-bit cents");
    return CVO_OK;
}

/* The order as the customer table keeps it; its products join the load's list. */
static cvo_status make_order(shard *sh, const order_acc *o, bool counted, int64_t net,
                             cvo_order *order)
{
    *order = (cvo_order){.day = o->day,
                         .net_cents = net,
                         .discount_cents = o->discount_cents,
                         .refund_cents = o->line_refund_cents + o->order_refund_cents,
                         .shipping_cents = o->shipping_cents,
                         .shipping_known = o->has_shipping,
                         .cogs_cents = o->cogs_cents,
                         .costed_cents = o->costed_cents,
                         .cost_from_line_cents = o->line_cost_cents,
                         .has_code = o->has_code,
                         .code = o->code,
                         .fulfilled_day = o->has_fulfilled ? o->fulfilled_day : INT32_MIN,
                         .delivered_day = o->has_delivered ? o->delivered_day : INT32_MIN,
                         .product_count = o->product_count,
                         .consent = o->consent};
    if (o->keyed_by_id && sh->config->keep_orders) /* only logged orders keep it */
        order->id_hash = cvo_order_id_hash(o->key.ptr, o->key.len);
    if (counted && sh->config->keep_orders &&
        !prodmap_log(&sh->catalog, o->products, o->product_count, &order->product_first))
        return fail(sh, CVO_ERR_NOMEM, "out of memory (order products)");
    return CVO_OK;
}

static cvo_status queue_update(shard *sh, const order_acc *o, bool counted, int64_t net)
{
    cvo_order order;
    CVO_TRY(make_order(sh, o, counted, net, &order));
    cust_order_info info = {o->channel.ptr ? o->channel.ptr : "", o->country.ptr ? o->country.ptr : "",
                            o->channel.len, o->country.len, &order, counted, o->items};
    custmap_result r = custmap_update(&sh->customers, o->customer_id.ptr, o->customer_id.len,
                                      o->email.ptr, o->email.len, &info);
    return custmap_failure(sh, r);
}

/* Decides what an order is (cancelled, refunded, a return, or an order that
 * counts) and queues its effect on the customer. */
static bool is_cancel_word(const char *name)
{
    return strcmp(name, "cancelled") == 0 || strcmp(name, "canceled") == 0 ||
           strcmp(name, "voided") == 0 || strcmp(name, "void") == 0;
}

/* An order whose status does not count (or that was cancelled): its records
 * are "not counted", by status. */
static cvo_status not_counted(shard *sh, const order_acc *o, bool by_status)
{
    cvo_load_stats *st = &sh->stats;
    const char *name = by_status ? o->status_name : "cancelled";
    st->not_counted_orders++;
    st->not_counted += o->lines;
    st->used -= o->lines;
    ingest_count_status(st, name, 1, o->lines);
    if (!by_status || is_cancel_word(name))
        st->cancelled_orders++;
    else if (strcmp(name, "refunded") == 0)
        st->refunded_orders++;
    return CVO_OK;
}

/* Every amount of an order in another currency, in the store currency at
 * the order's rate (each rounded to the cent once). */
static bool convert_order(order_acc *o, int64_t *net)
{
    if (o->rate_e8 == 0)
        return true;
    int64_t *amounts[] = {net, &o->discount_cents, &o->shipping_cents, &o->cogs_cents,
                          &o->costed_cents, &o->line_cost_cents, &o->line_refund_cents,
                          &o->order_refund_cents, &o->returns_cents};
    for (size_t i = 0; i < sizeof amounts / sizeof *amounts; i++)
        if (!currency_convert(*amounts[i], o->rate_e8, amounts[i]))
            return false;
    return true;
}

/* The order's net in its own currency: the subtotal (or the lines), less
 * refunds; a partially paid order at what was captured. */
static bool order_net(const order_acc *o, int64_t *net)
{
    *net = o->has_subtotal ? o->subtotal_cents : o->net_cents;
    if (o->status_seen && o->has_outstanding && strcmp(o->status_name, "partially_paid") == 0 &&
        __builtin_sub_overflow(*net, o->outstanding_cents, net))
        return false;
    return !__builtin_sub_overflow(*net, o->order_refund_cents, net);
}

static cvo_status close_order(shard *sh, order_acc *o)
{
    cvo_load_stats *st = &sh->stats;
    if (o->doomed)
        return CVO_OK;
    bool by_status = o->status_seen && o->status_class == STATUS_NOT_COUNTED;
    if (o->cancelled || by_status)
        return not_counted(sh, o, by_status);
    int64_t net, own_net;
    if (!order_net(o, &own_net) || (net = own_net, !convert_order(o, &net)))
        return fail(sh, CVO_ERR_LIMIT, "an order's amounts overflow 64-bit cents");
    bool refunded = o->line_refund_cents > 0 || o->order_refund_cents > 0;
    if (o->cancellation) {
        st->cancelled_orders++;
        st->return_lines += o->lines;
        st->returns_cents += net;
        return queue_update(sh, o, false, net);
    }
    st->return_lines += o->return_lines;
    st->returns_cents += o->returns_cents;
    /* refunds that took everything, or returns worth more than the purchases:
     * revenue moves, but it is no order; a free (zero) order still counts */
    if ((net <= 0 && refunded) || net < 0) {
        st->refunded_orders += refunded;
        st->return_orders += !refunded;
        return queue_update(sh, o, false, net);
    }
    st->orders++;
    const char *code = o->currency[0] ? o->currency : sh->store;
    if (code[0] != '\0')
        ingest_count_currency(st, code, 1, own_net, net, 0);
    return queue_update(sh, o, true, net);
}

static cvo_status general_insert(shard *sh, order_acc **out)
{
    if (sh->acc_count == sh->acc_cap) {
        size_t cap = sh->acc_cap * 2;
        order_acc *accs = mem_realloc(sh->ctx, sh->accs, cap * sizeof *accs);
        if (accs == NULL)
            return fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
        sh->accs = accs;
        sh->acc_cap = cap;
    }
    if ((sh->seen_count + 1) * 2 > (sh->seen ? sh->seen_mask + 1 : 0) && !seen_grow(sh))
        return fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
    order_acc *o = &sh->accs[sh->acc_count];
    memset(o, 0, sizeof *o);
    *out = o;
    return CVO_OK;
}

static void general_index(shard *sh, order_acc *o)
{
    size_t s = (size_t)o->key_hash & sh->seen_mask;
    while (sh->seen[s] != 0)
        s = (s + 1) & sh->seen_mask;
    sh->seen[s] = sh->acc_count + 1;
    sh->seen_count++;
    sh->acc_count++;
}

/* Makes room for a new open order: fast mode closes the previous one. */
static cvo_status next_order_slot(shard *sh, slice key, order_acc **out)
{
    if (sh->config->general)
        return general_insert(sh, out);
    order_acc *o = sh->current;
    if (o != NULL) {
        CVO_TRY(close_order(sh, o));
        acc_reset(o);
    } else {
        o = &sh->accs[0];
        sh->current = o;
    }
    if (!track_key(sh, key))
        return fail(sh, CVO_ERR_NOMEM, "out of memory (order keys)");
    *out = o;
    return CVO_OK;
}

static bool starts_with(slice s, const char *prefix, size_t len)
{
    return len > 0 && s.len >= len && memcmp(s.ptr, prefix, len) == 0;
}

static cvo_status open_order(shard *sh, const line_item *li, slice key, uint64_t hash,
                             uint64_t line, order_acc **out)
{
    order_acc *o = NULL;
    CVO_TRY(next_order_slot(sh, key, &o));
    cvo_ctx *ctx = sh->ctx;
    if (!strbuf_set(ctx, &o->key, key.ptr, key.len) ||
        !strbuf_set(ctx, &o->customer_id, li->customer_id.ptr, li->customer_id.len) ||
        !strbuf_set(ctx, &o->email, li->email.ptr, li->email.len) ||
        !strbuf_set(ctx, &o->date_text, li->date.ptr, li->date.len))
        return fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
    o->key_hash = hash;
    o->day = li->day;
    o->first_line = line;
    o->cancellation = starts_with(li->order_id, sh->config->cancel_prefix,
                                  sh->config->cancel_prefix_len);
    o->keyed_by_id = li->order_id.len > 0;
    memcpy(o->currency, li->currency, sizeof o->currency);
    o->rate_e8 = li->rate_e8;
    if (sh->config->general)
        general_index(sh, o);
    *out = o;
    return CVO_OK;
}

static bool push_mark(shard *sh, order_acc *o, uint64_t hash, uint64_t line)
{
    if (o->mark_count == o->mark_cap) {
        size_t cap = o->mark_cap ? o->mark_cap * 2 : 8;
        row_mark *m = mem_realloc(sh->ctx, o->marks, cap * sizeof *m);
        if (m == NULL)
            return false;
        o->marks = m;
        o->mark_cap = cap;
    }
    o->marks[o->mark_count++] = (row_mark){hash, line};
    return true;
}

static void take_status(order_acc *o, const line_item *li)
{
    if (li->cancelled_at.len > 0)
        o->cancelled = true;
    if (o->status_seen || li->status.len == 0)
        return;
    o->status_seen = true;
    o->status_class = li->status_class;
    memcpy(o->status_name, li->status_name, sizeof o->status_name);
}

static bool push_product(shard *sh, order_acc *o, uint32_t product)
{
    if (o->product_count == o->product_cap) {
        uint32_t cap = o->product_cap ? o->product_cap * 2 : 8;
        uint32_t *p = mem_realloc(sh->ctx, o->products, cap * sizeof *p);
        if (p == NULL)
            return false;
        o->products = p;
        o->product_cap = cap;
    }
    o->products[o->product_count++] = product;
    return true;
}

/* The line's product joins the order's distinct products. A line count is
 * capped (CVO_MAX_ORDER_LINES), so the scan is bounded; real orders have few. */
static cvo_status add_product(shard *sh, order_acc *o, const line_item *li)
{
    uint32_t product = prodmap_product(&sh->catalog, li->sku.ptr, li->sku.len, li->name.ptr,
                                       li->name.len, li->category.ptr, li->category.len);
    if (product == INTERN_NONE)
        return fail(sh, CVO_ERR_NOMEM, "out of memory (products)");
    for (uint32_t i = 0; i < o->product_count; i++)
        if (o->products[i] == product)
            return CVO_OK;
    return push_product(sh, o, product) ? CVO_OK
                                         : fail(sh, CVO_ERR_NOMEM, "out of memory (products)");
}

/* keep_orders: the order's discounts, shipping (given once: the first value),
 * costs, code, channel and country (first non-empty values). */
static cvo_status add_profit_fields(shard *sh, order_acc *o, const line_item *li)
{
    bool ok = add_checked(&o->discount_cents, li->discount_cents);
    if (li->cost_known) {
        ok = ok && add_checked(&o->cogs_cents, li->cost_cents) &&
             add_checked(&o->costed_cents, li->net_cents);
        if (li->cost_from_line)
            ok = ok && add_checked(&o->line_cost_cents, li->net_cents);
    }
    if (!ok)
        return fail(sh, CVO_ERR_LIMIT, "an order's amounts overflow 64-bit cents");
    if (li->has_shipping && !o->has_shipping) {
        o->has_shipping = true;
        o->shipping_cents = li->shipping_cents;
    }
    if (li->code.len > 0 && !o->has_code) {
        o->has_code = true;
        o->code = prodmap_code(&sh->catalog, li->code.ptr, li->code.len);
        if (o->code == INTERN_NONE)
            return fail(sh, CVO_ERR_NOMEM, "out of memory (discount codes)");
    }
    if (li->sku.len > 0 || li->name.len > 0)
        CVO_TRY(add_product(sh, o, li));
    if ((o->channel.len == 0 && li->channel.len > 0 &&
         !strbuf_set(sh->ctx, &o->channel, li->channel.ptr, li->channel.len)) ||
        (o->country.len == 0 && li->country.len > 0 &&
         !strbuf_set(sh->ctx, &o->country, li->country.ptr, li->country.len)))
        return fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
    return CVO_OK;
}

static cvo_status add_line(shard *sh, order_acc *o, const line_item *li, uint64_t line)
{
    if (o->lines >= CVO_MAX_ORDER_LINES)
        return fail(sh, CVO_ERR_LIMIT, "an order has too many lines");
    if (!add_checked(&o->net_cents, li->net_cents) || !add_checked(&o->items, li->quantity) ||
        !add_checked(&o->line_refund_cents, li->refund_cents))
        return fail(sh, CVO_ERR_LIMIT, "an order's amounts overflow 64-bit cents");
    o->lines++;
    if (li->quantity < 0) {
        o->return_lines++;
        o->returns_cents += li->net_cents;
    }
    if (li->has_order_refund && !o->has_order_refund) {
        o->has_order_refund = true;
        o->order_refund_cents = li->order_refund_cents;
    }
    if (li->has_subtotal && !o->has_subtotal) {
        o->has_subtotal = true;
        o->subtotal_cents = li->subtotal_cents;
    }
    if (li->has_outstanding && !o->has_outstanding) {
        o->has_outstanding = true;
        o->outstanding_cents = li->outstanding_cents;
    }
    take_status(o, li);
    if (li->has_fulfilled && !o->has_fulfilled) {
        o->has_fulfilled = true;
        o->fulfilled_day = li->fulfilled_day;
    }
    if (li->has_delivered && !o->has_delivered) {
        o->has_delivered = true;
        o->delivered_day = li->delivered_day;
    }
    if (li->consent != CVO_CONSENT_UNKNOWN && o->consent == CVO_CONSENT_UNKNOWN)
        o->consent = li->consent;
    if (sh->config->keep_orders)
        CVO_TRY(add_profit_fields(sh, o, li));
    if (sh->config->schema->column[FIELD_ORDER_ID] >= 0 && !push_mark(sh, o, li->hash, line))
        return fail(sh, CVO_ERR_NOMEM, "out of memory (order lines)");
    return CVO_OK;
}

/* ---- one record ------------------------------------------------------------ */

static bool check_field_count(const shard *sh, const csv_record *rec, verdict *v)
{
    const schema *s = sh->config->schema;
    if (s->columns != 0 && rec->count != s->columns)
        return say(v, CVO_REJECT_FIELD_COUNT, "record has %u fields, the header has %u",
                   rec->count, s->columns);
    if (rec->count >= sh->fields_needed)
        return true;
    for (int f = 0; f < FIELD__COUNT; f++)
        if (s->column[f] >= 0 && (uint32_t)s->column[f] >= rec->count)
            return say(v, CVO_REJECT_FIELD_COUNT, "record has %u fields, %s is field %d",
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
            return say(v, CVO_REJECT_NO_CUSTOMER, "no customer: customer_id and email are empty");
        li->customer_id = (slice){o->customer_id.ptr, o->customer_id.len};
        li->email = (slice){o->email.ptr, o->email.len};
    }
    if (li->date.len == 0) {
        if (o == NULL)
            return say(v, CVO_REJECT_NO_DATE, "no order date");
        li->date = (slice){o->date_text.ptr, o->date_text.len};
        li->day = o->day;
        return true;
    }
    if (o != NULL && strbuf_eq(&o->date_text, li->date)) {
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
            say(v, CVO_REJECT_DUPLICATE, "exact duplicate of line %llu",
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
    say(v, CVO_REJECT_UNKNOWN_STATUS,
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
        say(v, CVO_REJECT_OTHER_CURRENCY,
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
        say(v, CVO_REJECT_NO_RATE, "no %s rate in %s (order of %s)", li->currency, rates_path(r),
            on);
    else {
        cvo_day_format(first, from);
        say(v, CVO_REJECT_NO_RATE,
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
        say(v, CVO_REJECT_BAD_CURRENCY,
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
        li->order = find_order(sh, *key, *key_hash);
    }
    if (li->order == NULL)
        li->email = lower_email(li->email, pool);
    if (!read_customer_and_date(sh, li, v))
        return false;
    if (li->order_id.len == 0) {
        *key = day_key(li, pool);
        *key_hash = order_key_hash(sh, *key);
        li->order = find_order(sh, *key, *key_hash);
    }
    if (li->order != NULL && li->order->doomed)
        return say(v, li->order->doom_reason, "%.300s (the order was rejected at line %llu)",
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
    CVO_TRY(open_order(sh, li, key, hash, line, &o));
    o->doomed = true;
    o->doom_reason = v->reason;
    o->doom_line = line;
    if (!strbuf_set(sh->ctx, &o->doom_detail, v->detail, strlen(v->detail)))
        return fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
    if (v->reason == CVO_REJECT_OTHER_CURRENCY || v->reason == CVO_REJECT_NO_RATE)
        ingest_count_currency(&sh->stats, li->currency, 0, 0, 0, 1);
    return CVO_OK;
}

void ingest_count_status(cvo_load_stats *st, const char *name, uint64_t orders,
                         uint64_t records)
{
    uint32_t i = 0;
    while (i < st->status_kinds && strcmp(st->not_counted_by_status[i].status, name) != 0)
        i++;
    if (i == st->status_kinds) {
        if (i == CVO_MAX_STATUS_KINDS) {
            i = CVO_MAX_STATUS_KINDS - 1;
            name = "other";
        } else
            st->status_kinds++;
        snprintf(st->not_counted_by_status[i].status, sizeof st->not_counted_by_status[i].status,
                 "%s", name);
    }
    st->not_counted_by_status[i].orders += orders;
    st->not_counted_by_status[i].records += records;
}

void ingest_count_currency(cvo_load_stats *st, const char *code, uint64_t orders,
                           int64_t net_cents, int64_t store_cents, uint64_t rejected_orders)
{
    uint32_t i = 0;
    while (i < st->currency_count && strcmp(st->currencies[i].code, code) != 0)
        i++;
    if (i == st->currency_count) {
        if (i == CVO_MAX_CURRENCIES) {
            i = CVO_MAX_CURRENCIES - 1;
            code = "";
        } else
            st->currency_count++;
        snprintf(st->currencies[i].code, sizeof st->currencies[i].code, "%s", code);
    }
    cvo_currency_total *t = &st->currencies[i];
    t->orders += orders;
    t->net_cents += net_cents;
    t->store_cents += store_cents;
    t->rejected_orders += rejected_orders;
}

cvo_status shard_record(shard *sh, const csv_record *rec)
{
    if (sh->status != CVO_OK)
        return sh->status;
    /* unescaped fields + UTF-8 repairs (3x) + lower-cased email + order key */
    if (!ensure_text(sh, rec->raw_len * 8 + 64))
        return fail(sh, CVO_ERR_NOMEM, "out of memory");
    text_pool pool = {sh->text, 0};
    line_item li;
    slice key = {"", 0};
    uint64_t key_hash = 0;
    verdict v;
    sh->stats.records++;
    if (!examine(sh, rec, &pool, &li, &key, &key_hash, &v)) {
        if (v.order_level && li.order == NULL && key.len > 0)
            CVO_TRY(open_doomed(sh, &li, key, key_hash, rec->line, &v));
        return store_reject(sh, rec->line, &v, rec->raw, rec->raw_len);
    }
    order_acc *o = li.order;
    if (o == NULL)
        CVO_TRY(open_order(sh, &li, key, key_hash, rec->line, &o));
    CVO_TRY(add_line(sh, o, &li, rec->line));
    sh->stats.used++;
    return CVO_OK;
}

static size_t append_field(const ingest_config *config, const csv_record *record,
                           field_id id, char *out, size_t n, size_t cap)
{
    int column = config->schema->column[id];
    if (column < 0 || (uint32_t)column >= record->stored)
        return n;
    const csv_field *f = &record->fields[column];
    size_t len = f->len < cap - n ? f->len : cap - n;
    memcpy(out + n, f->ptr, len);
    n += len;
    if (n < cap)
        out[n++] = '\x1f';
    return n;
}

size_t shard_group_key(const ingest_config *config, const csv_record *record, char *out,
                       size_t cap)
{
    size_t n = append_field(config, record, FIELD_ORDER_ID, out, 0, cap);
    if (n > 1)
        return n;
    n = append_field(config, record, FIELD_CUSTOMER_ID, out, 0, cap);
    n = append_field(config, record, FIELD_EMAIL, out, n, cap);
    return append_field(config, record, FIELD_ORDER_DATE, out, n, cap);
}

/* ---- lifecycle -------------------------------------------------------------- */

cvo_status shard_init(shard *sh, cvo_ctx *ctx, const ingest_config *config, size_t expected)
{
    memset(sh, 0, sizeof *sh);
    sh->ctx = ctx;
    sh->config = config;
    arena_init(&sh->scratch, ctx);
    sh->keys_monotonic = true;
    memcpy(sh->store, config->store_currency, sizeof sh->store);
    for (int f = 0; f < FIELD__COUNT; f++)
        if (config->schema->column[f] >= 0 &&
            (uint32_t)config->schema->column[f] + 1 > sh->fields_needed)
            sh->fields_needed = (uint32_t)config->schema->column[f] + 1;
    sh->acc_cap = config->general ? 1024 : 1;
    sh->accs = mem_zarray(ctx, sh->acc_cap, sizeof *sh->accs);
    if (sh->accs == NULL || !custmap_init(&sh->customers, ctx, expected)) {
        shard_free(sh);
        return ctx_nomem(ctx);
    }
    if (config->keep_orders &&
        (!custmap_keep_orders(&sh->customers) || !prodmap_init(&sh->catalog, ctx))) {
        shard_free(sh);
        return ctx_nomem(ctx);
    }
    return CVO_OK;
}

void shard_free(shard *sh)
{
    if (sh->ctx == NULL)
        return; /* never set up, or freed already */
    size_t accs = sh->config && sh->config->general ? sh->acc_count : (sh->accs ? 1 : 0);
    for (size_t i = 0; i < accs; i++)
        acc_release(sh->ctx, &sh->accs[i]);
    mem_free(sh->ctx, sh->accs);
    mem_free(sh->ctx, sh->seen);
    mem_free(sh->ctx, sh->first_key.ptr);
    mem_free(sh->ctx, sh->last_key.ptr);
    mem_free(sh->ctx, sh->rejects);
    mem_free(sh->ctx, sh->text);
    arena_release(&sh->scratch);
    custmap_free(&sh->customers);
    prodmap_free(&sh->catalog);
    memset(sh, 0, sizeof *sh);
}

static cvo_status flush_customers(shard *sh)
{
    return custmap_failure(sh, custmap_flush(&sh->customers));
}

cvo_status shard_finish(shard *sh)
{
    if (sh->status != CVO_OK)
        return sh->status;
    if (!sh->config->general) {
        if (sh->current != NULL)
            CVO_TRY(close_order(sh, sh->current));
        if (sh->current != NULL)
            acc_reset(sh->current);
        sh->current = NULL;
        return flush_customers(sh);
    }
    for (size_t i = 0; i < sh->acc_count; i++)
        CVO_TRY(close_order(sh, &sh->accs[i]));
    return flush_customers(sh);
}

bool shard_orders_overlap(const shard *a, const shard *b)
{
    if (!a->keys_monotonic || !b->keys_monotonic)
        return true;
    if (a->key_count == 0 || b->key_count == 0)
        return false;
    int between = key_compare(b->first_key.ptr, b->first_key.len, a->last_key.ptr,
                              a->last_key.len);
    int direction = a->key_direction ? a->key_direction : b->key_direction;
    if (direction == 0)
        direction = between;
    return between == 0 || between != direction ||
           (a->key_direction != 0 && a->key_direction != direction) ||
           (b->key_direction != 0 && b->key_direction != direction);
}
