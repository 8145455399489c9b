/* limits.h - every input-driven growth of libcvo has a named cap here.
 * A cap that is reached is an error (CVO_ERR_LIMIT) with a message, never a wrap. */
#ifndef CVO_LIMITS_H
#define CVO_LIMITS_H

/* One CSV record, quotes and embedded newlines included. */
#define CVO_MAX_RECORD_BYTES (1u << 20)
/* Columns in a header. */
#define CVO_MAX_COLUMNS 512
/* One header name. */
#define CVO_MAX_HEADER_BYTES 256
/* Records that may be rejected before the load gives up (wrong format?). */
#define CVO_MAX_REJECTS 5000000u
/* Customers in one table (indexes are 32-bit). */
#define CVO_MAX_CUSTOMERS 200000000u
/* Lines one order may hold. */
#define CVO_MAX_ORDER_LINES 100000u
/* Bytes of a SKU, product name or discount code kept as a key; longer ones are cut. */
#define CVO_PRODUCT_KEY_BYTES 255
/* Segments in a user map. */
#define CVO_MAX_SEGMENTS 125
/* Bytes of a config / map / cut-point file. */
#define CVO_MAX_CONFIG_BYTES (1u << 20)
/* Worker threads for one load. */
#define CVO_MAX_THREADS 8
/* Cells of a cohort table (first-order month x months since). */
#define CVO_MAX_COHORT_CELLS 1000000u
/* Snapshots of one trend (cvo_history_trend): ten years of weekly runs and more. */
#define CVO_MAX_TREND_SNAPSHOTS 1000u
/* cvo forget: the longest customer id or e-mail it takes (longer ones are cut). */
#define CVO_MAX_IDENTIFIER_BYTES 1024
/* Transaction opportunities (T) of one BG/BB summary row: its likelihood and
 * P(X(n) = x) sum over them, so T = 1e12 would take hours. */
#define CVO_MAX_OPPORTUNITIES 10000
/* cvo pull shopify: orders of one pull and its previous file together. */
#define CVO_MAX_PULL_ORDERS 50000000u
/* One compiled time zone (TZif) file; tzdata's largest are a few kilobytes. */
#define CVO_MAX_ZONE_FILE_BYTES (1u << 20)

#endif
