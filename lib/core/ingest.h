/* ingest.h - one worker's share of a load: records -> order lines -> orders ->
 * customers. Every record is either used or rejected, counted once. In fast
 * mode an order's lines must be contiguous (checked: a reappearing order sets
 * noncontiguous and the load is redone in general mode, which keeps every
 * order open until the end). */
#ifndef CVO_INGEST_H
#define CVO_INGEST_H

#include "core/currency.h"
#include "core/custmap.h"
#include "core/prodmap.h"
#include "core/schema.h"
#include "core/status.h"
#include "io/datetime.h"

typedef struct ingest_config {
    const schema *schema;
    const char *name;           /* file name for messages */
    bool decimal_comma;
    bool has_date_format;
    date_format date_fmt;
    const char *cancel_prefix;  /* NULL or "" for none */
    size_t cancel_prefix_len;
    bool general;               /* keep all orders open (non-contiguous input) */
    uint64_t max_rejects;       /* per worker: CVO_MAX_REJECTS shared among workers */
    bool keep_orders;           /* log counted orders for the models */
    int32_t latest_day;         /* dates after it are rejected (INT32_MAX: none) */
    const struct products *products; /* costs by SKU, or NULL */
    const status_rules *statuses;    /* which statuses count */
    char store_currency[4];          /* "" when unknown (no currency column, none given) */
    bool currency_lazy;              /* input read once: the first order's currency */
    const rates *rates;              /* dated rates, or NULL: other currencies rejected */
} ingest_config;

typedef struct reject_entry {
    uint64_t line;
    uint64_t ref_line; /* duplicates: the line of the original */
    cvo_reject_reason reason;
    const char *detail;
    const char *raw;
    size_t raw_len;
} reject_entry;

typedef struct order_acc order_acc;

/* A growable byte string owned by the shard. */
typedef struct strbuf {
    char *ptr;
    size_t len, cap;
} strbuf;


typedef struct shard {
    cvo_ctx *ctx;
    const ingest_config *config;
    custmap customers;
    prodmap catalog;      /* keep_orders: products, codes, each order's products */
    cvo_load_stats stats;
    /* orders */
    order_acc *current;   /* the open order (fast mode: always accs[0]) */
    order_acc *accs;      /* general mode: every order, in order of appearance */
    size_t acc_count, acc_cap;
    uint64_t *seen;       /* hash set of order keys met (fast) / acc index map (general) */
    size_t seen_mask, seen_count;
    /* fast mode: order keys seen so far run strictly one way */
    bool keys_monotonic;
    int key_direction; /* 0 unknown, 1 up, -1 down */
    uint64_t key_count;
    strbuf first_key, last_key;
    bool noncontiguous;
    /* rejects, emitted later in file order */
    reject_entry *rejects;
    size_t reject_count, reject_cap;
    arena scratch;        /* reject texts */
    uint32_t fields_needed; /* 1 + the highest column the schema reads */
    char *text;           /* unescape / repair buffer */
    size_t text_cap;
    cvo_status status;    /* first failure (out of memory, limit) */
    char message[256];
    char store[4];        /* the store currency this shard converts to */
} shard;

cvo_status shard_init(shard *sh, cvo_ctx *ctx, const ingest_config *config, size_t expected);
void shard_free(shard *sh);
/* Takes one record. Returns CVO_OK, or a failure that must stop the load
 * (out of memory, too many rejects); noncontiguous is a flag, not a failure. */
cvo_status shard_record(shard *sh, const csv_record *record);
/* Rejects a record the reader could not tokenise (too long, unterminated). */
cvo_status shard_reject_raw(shard *sh, uint64_t line, cvo_reject_reason reason,
                            const char *raw, size_t raw_len);
/* The key that groups a record into an order, for splitting work at order
 * boundaries: the order id field, or customer fields and date when absent. */
size_t shard_group_key(const ingest_config *config, const csv_record *record, char *out,
                       size_t cap);
/* Closes every open order into the customer table. */
cvo_status shard_finish(shard *sh);
/* Adds to the not-counted table of st (by folded status name). */
void ingest_count_status(cvo_load_stats *st, const char *name, uint64_t orders,
                         uint64_t records);
/* Adds to the currency table of st. */
void ingest_count_currency(cvo_load_stats *st, const char *code, uint64_t orders,
                           int64_t net_cents, int64_t store_cents, uint64_t rejected_orders);
/* False when b's order keys provably continue a's run (fast mode). */
bool shard_orders_overlap(const shard *a, const shard *b);

#endif
