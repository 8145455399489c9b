/* custmap.h - customers being accumulated during a load: an open-addressing
 * table keyed by customer_id, or by email when the id is empty, kept in order
 * of first appearance so that results never depend on hashing or threads. */
#ifndef CVO_CUSTMAP_H
#define CVO_CUSTMAP_H

#include "base/arena.h"
#include "cvo.h"

typedef struct cust_acc {
    const char *id;
    const char *email;
    uint32_t id_len, email_len;
    int32_t first_day, last_day; /* over counted orders; INT32_MAX / INT32_MIN before */
    uint32_t orders;
    uint32_t dead; /* joined into another customer: that entry's index + 1 */
    int64_t revenue_cents;
    int64_t items;
} cust_acc;

/* What only the models and the analysis need (kept with keep_orders): the
 * acquisition channel (of the earliest counted order) and the latest country. */
typedef struct cust_extra {
    const char *channel, *country;
    int32_t channel_day, country_day;
} cust_extra;

/* A pending change to one customer, waiting in the lookup pipeline. */
typedef struct cust_update {
    char *text; /* id, NUL, email, NUL, channel, NUL, country, NUL */
    size_t text_cap;
    uint32_t id_len, email_len, channel_len, country_len;
    int32_t channel_day, country_day; /* INT32_MAX / INT32_MIN: nothing to set */
    bool log;        /* keep_orders: log order as a counted order */
    cvo_order order;
    uint32_t tag;   /* low 32 bits of the key hash */
    uint32_t entry; /* candidate entry + 1 found while prefetching; 0 none */
    cust_acc change; /* figures to add (id/email unused) */
} cust_update;

/* Updates wait this long so that the table's cache lines they need are
 * prefetched in stages (slot, entry, key text) before they are applied. */
#define CUST_PIPELINE 32

/* A counted order kept for the models. */
typedef struct cust_order {
    uint32_t entry;
    cvo_order order;
} cust_order;

typedef struct custmap {
    cvo_ctx *ctx;
    cust_acc *entries;
    size_t count, cap;
    uint64_t *slots; /* (low 32 bits of the key hash) << 32 | (entry index + 1); 0 = empty */
    size_t slot_mask;
    arena strings;
    cust_update pending[CUST_PIPELINE];
    size_t pending_head, pending_count;
    /* keep_orders: every counted order, by entry index, in file order */
    bool keep_orders;
    cust_extra *extra; /* parallel to entries, with keep_orders only */
    cust_order *orders;
    size_t order_count, order_cap;
    uint32_t *remap; /* absorb: source entry index -> index here */
} custmap;

bool custmap_init(custmap *map, cvo_ctx *ctx, size_t expected);
/* Keeps counted orders, channels and countries from now on; false when out of memory. */
bool custmap_keep_orders(custmap *map);
void custmap_free(custmap *map);
/* Finds or adds the customer; email fills in an empty email. NULL when out of
 * memory or past CVO_MAX_CUSTOMERS. The pointer is valid until the next call. */
cust_acc *custmap_get(custmap *map, const char *id, size_t id_len, const char *email,
                      size_t email_len);
typedef enum custmap_result {
    CUSTMAP_OK = 0,
    CUSTMAP_NOMEM,
    CUSTMAP_LIMIT,
    CUSTMAP_OVERFLOW
} custmap_result;

/* Queues an order's effect on its customer (revenue and items always; one
 * more order and its day when counted). Applied in queue order, at the
 * latest by custmap_flush. */
/* The parts of an order that reach its customer. */
typedef struct cust_order_info {
    const char *channel, *country;
    size_t channel_len, country_len;
    const cvo_order *order; /* day, net revenue and the profit fields */
    bool counted;
    int64_t items;
} cust_order_info;

custmap_result custmap_update(custmap *map, const char *id, size_t id_len, const char *email,
                              size_t email_len, const cust_order_info *info);
/* Queues a whole customer's figures (first/last day, orders, revenue, items). */
custmap_result custmap_add(custmap *map, const cust_acc *figures);
custmap_result custmap_flush(custmap *map);

/* Adds every customer of src into map (src order kept for new ones). */
custmap_result custmap_absorb(custmap *map, const custmap *src);
/* Joins customers known only by email into the first customer with an id and
 * the same email. Returns how many were joined, or -1 when out of memory. */
long custmap_join_emails(custmap *map);
/* Adds b's figures into a. */
void cust_acc_combine(cust_acc *a, const cust_acc *b);

#endif
