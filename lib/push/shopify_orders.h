/* shopify_orders.h - the orders of cvo pull shopify as rows of Shopify's order
 * export: the JSONL of a bulk operation (orders, then their line items as child
 * lines naming their order in __parentId) turned into rows, the previous pull's
 * file read back order by order, and the two merged by order id: a pulled order
 * replaces every earlier row of itself, so no order is ever written twice. Every
 * time is written in the shop's time zone, as the export writes it. */
#ifndef CVO_PUSH_SHOPIFY_ORDERS_H
#define CVO_PUSH_SHOPIFY_ORDERS_H

#include "base/ctx.h"
#include "cvo.h"
#include "io/tz.h"
#include "output/cells.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One order's rows in the text of its source. */
typedef struct shop_order {
    int64_t id;         /* the numeric order id (the export's Id) */
    int64_t created;    /* unix seconds of Created at */
    size_t offset, len; /* its rows, line ends included */
    bool pulled;        /* from the bulk operation, else from the previous file */
    bool dropped;       /* not written */
} shop_order;

typedef struct shop_table {
    cvo_ctx *ctx;
    const tz_zone *zone;  /* the shop's time zone (not owned): set before reading the
                             JSONL or writing */
    cell_buf pulled_text; /* the rows of the pulled orders */
    char *previous_text;  /* the previous file, whole */
    size_t previous_len;
    shop_order *orders;
    size_t count, cap;
} shop_table;

void shop_table_init(shop_table *t, cvo_ctx *ctx);
void shop_table_free(shop_table *t);

/* Reads the previous output at path, if any (*found false when it does not exist).
 * CVO_ERR_IO, CVO_ERR_FORMAT ("path:line: ...": not a file cvo pull wrote),
 * CVO_ERR_LIMIT, CVO_ERR_NOMEM. */
cvo_status shop_read_previous(shop_table *t, const char *path, bool *found) CVO_MUST_USE;

/* Reads a bulk operation's JSONL result from jsonl (two passes: the orders, then
 * their line items); counts them. CVO_ERR_FORMAT ("shopify: result line N: ..."),
 * CVO_ERR_IO, CVO_ERR_LIMIT, CVO_ERR_NOMEM. */
cvo_status shop_read_jsonl(shop_table *t, FILE *jsonl, size_t *orders, size_t *lines) CVO_MUST_USE;

/* How the previous file's orders that were not pulled are treated. */
typedef struct shop_merge {
    bool full;           /* drop them: Shopify no longer has them */
    int64_t keep_before; /* but keep those created before this (INT64_MIN: none):
                            without read_all_orders Shopify shows only 60 days */
} shop_merge;

/* Merges and writes the header and every kept order, sorted by Created at then
 * id; the times of the previous file's orders are written again in t->zone (an
 * earlier pull may have written them in UTC, or the shop may have moved). Fills
 * the order counts of *result. CVO_ERR_WRITE, CVO_ERR_NOMEM. */
cvo_status shop_write(shop_table *t, const shop_merge *merge, FILE *out,
                      cvo_shopify_pull_result *result) CVO_MUST_USE;

/* Shopify's DateTime ("2025-10-07T07:50:26Z", fractions and offsets allowed) as unix
 * seconds; false when it is not one. */
bool shop_time_parse(const char *text, int64_t *out);
/* unix seconds as "2025-10-07T07:50:26Z" (out: 21 bytes). */
void shop_time_iso(int64_t seconds, char *out);

#endif
