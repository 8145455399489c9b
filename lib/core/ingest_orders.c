/* ingest_orders.c - order accumulators: found by key, opened, fed checked lines,
 * closed into the customer table (counted, not counted, a return or a refund).
 * Fast mode keeps one open order and checks that order keys run one way. */
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

bool ingest_strbuf_set(cvo_ctx *ctx, strbuf *b, const char *text, size_t len)
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

bool ingest_strbuf_eq(const strbuf *b, slice s)
{
    return b->len == s.len && bytes_eq(b->ptr, s.ptr, s.len);
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
    if (sh->key_count == 0 && !ingest_strbuf_set(sh->ctx, &sh->first_key, key.ptr, key.len))
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
    return ingest_strbuf_set(sh->ctx, &sh->last_key, key.ptr, key.len);
}

order_acc *ingest_find_order(shard *sh, slice key, uint64_t hash)
{
    if (!sh->config->general) {
        order_acc *o = sh->current;
        return (o && o->key_hash == hash && ingest_strbuf_eq(&o->key, key)) ? o : NULL;
    }
    if (sh->seen == NULL)
        return NULL;
    for (size_t s = (size_t)hash & sh->seen_mask; sh->seen[s] != 0; s = (s + 1) & sh->seen_mask) {
        order_acc *o = &sh->accs[sh->seen[s] - 1];
        if (o->key_hash == hash && ingest_strbuf_eq(&o->key, key))
            return o;
    }
    return NULL;
}

void ingest_acc_release(cvo_ctx *ctx, order_acc *o)
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
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (customers)");
    if (r == CUSTMAP_LIMIT)
        return ingest_fail(sh, CVO_ERR_LIMIT,
                           "more customers than cvo can hold (CVO_MAX_CUSTOMERS)");
    if (r == CUSTMAP_OVERFLOW)
        return ingest_fail(sh, CVO_ERR_LIMIT, "a customer's revenue overflows 64-bit cents");
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
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (order products)");
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
        return ingest_fail(sh, CVO_ERR_LIMIT, "an order's amounts overflow 64-bit cents");
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
            return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
        sh->accs = accs;
        sh->acc_cap = cap;
    }
    if ((sh->seen_count + 1) * 2 > (sh->seen ? sh->seen_mask + 1 : 0) && !seen_grow(sh))
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
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
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (order keys)");
    *out = o;
    return CVO_OK;
}

static bool starts_with(slice s, const char *prefix, size_t len)
{
    return len > 0 && s.len >= len && memcmp(s.ptr, prefix, len) == 0;
}

cvo_status ingest_open_order(shard *sh, const line_item *li, slice key, uint64_t hash,
                             uint64_t line, order_acc **out)
{
    order_acc *o = NULL;
    CVO_TRY(next_order_slot(sh, key, &o));
    cvo_ctx *ctx = sh->ctx;
    if (!ingest_strbuf_set(ctx, &o->key, key.ptr, key.len) ||
        !ingest_strbuf_set(ctx, &o->customer_id, li->customer_id.ptr, li->customer_id.len) ||
        !ingest_strbuf_set(ctx, &o->email, li->email.ptr, li->email.len) ||
        !ingest_strbuf_set(ctx, &o->date_text, li->date.ptr, li->date.len))
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
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
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (products)");
    for (uint32_t i = 0; i < o->product_count; i++)
        if (o->products[i] == product)
            return CVO_OK;
    return push_product(sh, o, product)
               ? CVO_OK
               : ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (products)");
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
        return ingest_fail(sh, CVO_ERR_LIMIT, "an order's amounts overflow 64-bit cents");
    if (li->has_shipping && !o->has_shipping) {
        o->has_shipping = true;
        o->shipping_cents = li->shipping_cents;
    }
    if (li->code.len > 0 && !o->has_code) {
        o->has_code = true;
        o->code = prodmap_code(&sh->catalog, li->code.ptr, li->code.len);
        if (o->code == INTERN_NONE)
            return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (discount codes)");
    }
    if (li->sku.len > 0 || li->name.len > 0)
        CVO_TRY(add_product(sh, o, li));
    if ((o->channel.len == 0 && li->channel.len > 0 &&
         !ingest_strbuf_set(sh->ctx, &o->channel, li->channel.ptr, li->channel.len)) ||
        (o->country.len == 0 && li->country.len > 0 &&
         !ingest_strbuf_set(sh->ctx, &o->country, li->country.ptr, li->country.len)))
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (orders)");
    return CVO_OK;
}

cvo_status ingest_add_line(shard *sh, order_acc *o, const line_item *li, uint64_t line)
{
    if (o->lines >= CVO_MAX_ORDER_LINES)
        return ingest_fail(sh, CVO_ERR_LIMIT, "an order has too many lines");
    if (!add_checked(&o->net_cents, li->net_cents) || !add_checked(&o->items, li->quantity) ||
        !add_checked(&o->line_refund_cents, li->refund_cents))
        return ingest_fail(sh, CVO_ERR_LIMIT, "an order's amounts overflow 64-bit cents");
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
        return ingest_fail(sh, CVO_ERR_NOMEM, "out of memory (order lines)");
    return CVO_OK;
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
