/* ingest_impl.h - what the files of a shard's ingest share, beyond ingest.h:
 * ingest.c (rejects, tallies, group keys, set-up), ingest_record.c (fields,
 * parsing and checking one record) and ingest_orders.c (order accumulators,
 * closing orders into customers). Kept out of ingest.h, which orders.c includes.
 * Invariant: a record is checked completely (a line_item) before it touches an order. */
#ifndef CVO_INGEST_IMPL_H
#define CVO_INGEST_IMPL_H

#include "core/ingest.h"

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

/* Records the shard's first failure (out of memory, a limit); returns status. */
cvo_status ingest_fail(shard *sh, cvo_status status, const char *message);
/* Stores a rejected record with its verdict; fails past max_rejects. */
cvo_status ingest_store_reject(shard *sh, uint64_t line, const verdict *v, const char *raw,
                               size_t raw_len);
/* Fills a record-level verdict; always false, for "return ingest_say(...)". */
bool ingest_say(verdict *v, cvo_reject_reason reason, const char *format, ...) CVO_PRINTF(3, 4);
/* Sets b to text (len bytes, NUL-terminated); false when out of memory. */
bool ingest_strbuf_set(cvo_ctx *ctx, strbuf *b, const char *text, size_t len);
bool ingest_strbuf_eq(const strbuf *b, slice s);
/* The open order with this key (fast mode: the current one), or NULL. */
order_acc *ingest_find_order(shard *sh, slice key, uint64_t hash);
/* Frees an order accumulator's buffers (not the accumulator). */
void ingest_acc_release(cvo_ctx *ctx, order_acc *o);
/* Opens an order for li's first record; fast mode closes the previous one. */
cvo_status ingest_open_order(shard *sh, const line_item *li, slice key, uint64_t hash,
                             uint64_t line, order_acc **out);
/* Adds a checked record to its order. */
cvo_status ingest_add_line(shard *sh, order_acc *o, const line_item *li, uint64_t line);

#endif
