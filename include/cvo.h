/* cvo.h - the public contract of libcvo, the Customer Value Optimization library.
 *
 * This is the only header a program needs. The library never prints, exits or
 * aborts and keeps no mutable globals: every call reports a cvo_status, and the
 * detailed message of the last failure lives on the cvo_ctx that was passed in.
 *
 * Ownership: every *_new / *_load returns an object the caller owns and frees
 * with the matching *_free; *_free(NULL) is a no-op. Strings and arrays returned
 * by accessors are owned by the object they come from and live as long as it.
 * Money is integer cents; dates are day numbers (days since 1970-01-01).
 */
#ifndef CVO_H
#define CVO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CVO_API __attribute__((visibility("default")))
#define CVO_NODISCARD __attribute__((warn_unused_result))
#else
#define CVO_API
#define CVO_NODISCARD
#endif

#define CVO_VERSION "0.1.0"
CVO_API const char *cvo_version(void);

/* ---- status ------------------------------------------------------------ */

/* Values are pinned: they may be stored or compared across versions. */
typedef enum cvo_status {
    CVO_OK = 0,
    CVO_ERR_NOMEM = 1,    /* the allocator returned NULL */
    CVO_ERR_IO = 2,       /* a file could not be opened or read */
    CVO_ERR_FORMAT = 3,   /* the input cannot be used (unknown header, broken file) */
    CVO_ERR_ARGUMENT = 4, /* an option or argument given by the caller is invalid */
    CVO_ERR_LIMIT = 5,    /* an input-driven cap of limits.h was reached */
    CVO_ERR_EMPTY = 6,    /* the input holds no usable record */
    CVO_ERR_CONFIG = 7,   /* a map, cut-point or segment-map file is invalid */
    CVO_ERR_INTERNAL = 8, /* a thread could not be started, or an invariant broke */
    CVO_ERR_WRITE = 9,    /* an output could not be written (disk full, permissions);
                             CVO_ERR_IO is for reading */
    CVO_ERR_REFUSED = 10, /* a safety check refused: another run holds the lock, too many
                             rejected records, a drop against the last run */
    CVO_ERR_REMOTE = 11   /* a remote service (Klaviyo, Gorgias) refused a request, could
                             not be reached, or left an outcome unknown */
} cvo_status;

/* A short static description of a status ("out of memory"). Never NULL. */
CVO_API const char *cvo_strerror(cvo_status status);

/* ---- context: allocator and error message ------------------------------ */

/* A pluggable allocator. realloc/free receive the pointer from alloc. All three
 * must be set; user_data is passed through untouched. The library may call them
 * from its worker threads, so they must be thread-safe. */
typedef struct cvo_allocator {
    void *(*alloc)(void *user_data, size_t size);
    void *(*realloc)(void *user_data, void *ptr, size_t size);
    void (*free)(void *user_data, void *ptr);
    void *user_data;
} cvo_allocator;

typedef struct cvo_ctx cvo_ctx;

/* Creates a context. allocator NULL means malloc/realloc/free. A context must be
 * used by one thread at a time; objects remember the context they were made in.
 * Returns CVO_OK or CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_ctx_new(cvo_ctx **out, const cvo_allocator *allocator);
CVO_API void cvo_ctx_free(cvo_ctx *ctx);
/* The detailed message of the last failure on this context, with file, line and
 * column where they apply ("orders.csv:1042: unterminated quoted field"); "" if none. */
CVO_API const char *cvo_ctx_message(const cvo_ctx *ctx);

/* ---- days --------------------------------------------------------------- */

/* Day number of a proleptic Gregorian date (1970-01-01 is 0). */
CVO_API int32_t cvo_day_from_ymd(int year, int month, int day);
/* Writes "YYYY-MM-DD" and a NUL into out (at least 11 bytes). */
CVO_API void cvo_day_format(int32_t day, char out[11]);
/* Parses "YYYY-MM-DD" or "YYYYMMDD" strictly. Returns false when it is not a date. */
CVO_API bool cvo_day_parse(const char *text, int32_t *day);

/* ---- reading orders ----------------------------------------------------- */

typedef enum cvo_format {
    CVO_FORMAT_AUTO = 0,    /* detected from the header */
    CVO_FORMAT_GENERIC = 1, /* columns found by name (canonical header and aliases) */
    CVO_FORMAT_SHOPIFY = 2, /* Shopify orders export */
    CVO_FORMAT_CDNOW = 3,   /* whitespace-separated transaction log, CDNOW layout */
    /* issue 14: platform presets, one row per order */
    CVO_FORMAT_WOOCOMMERCE = 4, /* WooCommerce order export (order_number, customer_email, ..) */
    CVO_FORMAT_BIGCOMMERCE = 5, /* BigCommerce order export (Order ID, Customer Email, ..) */
    CVO_FORMAT_MAGENTO = 6      /* Adobe Commerce / Magento admin order grid export */
} cvo_format;

/* The format's name as --format spells it ("woocommerce"). Never NULL. */
CVO_API const char *cvo_format_name(cvo_format format);
/* Parses a --format name (auto, generic, shopify, woocommerce, bigcommerce,
 * magento, cdnow). Returns false for anything else. */
CVO_API bool cvo_format_parse(const char *name, cvo_format *out);
/* The statuses that count by default for a format, comma-separated
 * ("paid, partially_paid, partially_refunded"). Never NULL. */
CVO_API const char *cvo_format_counted_statuses(cvo_format format);

/* Why a record was rejected. Values are pinned. */
typedef enum cvo_reject_reason {
    CVO_REJECT_FIELD_COUNT = 0,    /* more or fewer fields than the header */
    CVO_REJECT_NO_CUSTOMER = 1,    /* customer_id and email both empty */
    CVO_REJECT_NO_DATE = 2,        /* order date empty */
    CVO_REJECT_BAD_DATE = 3,       /* order date not a date */
    CVO_REJECT_AMBIGUOUS_DATE = 4, /* like 03/04/2021 without --date-format */
    CVO_REJECT_BAD_MONEY = 5,      /* an amount that is not money */
    CVO_REJECT_NO_AMOUNT = 6,      /* neither quantity x unit_price nor a total */
    CVO_REJECT_BAD_QUANTITY = 7,   /* quantity not an integer */
    CVO_REJECT_OVERFLOW = 8,       /* an amount too large for 64-bit cents */
    CVO_REJECT_DUPLICATE = 9,      /* exact copy of an earlier record of the same order */
    CVO_REJECT_TOO_LONG = 10,      /* a record longer than CVO_MAX_RECORD_BYTES */
    CVO_REJECT_UNTERMINATED = 11,  /* a quoted field still open at the end of the input */
    CVO_REJECT_FUTURE_DATE = 12,   /* a date after cvo_load_options.latest_day */
    CVO_REJECT_BAD_CONSENT = 13,   /* a marketing-consent value that is not yes or no */
    /* issue 14: order-level verdicts; every record of the order is rejected */
    CVO_REJECT_UNKNOWN_STATUS = 14, /* a status neither counted nor known as not counted */
    CVO_REJECT_BAD_CURRENCY = 15,   /* a currency that is not an ISO 4217 code */
    CVO_REJECT_OTHER_CURRENCY = 16, /* not the store currency, and no rates to convert it */
    CVO_REJECT_NO_RATE = 17,        /* the rates file has no rate in force on the order date */
    CVO_REJECT__COUNT = 18
} cvo_reject_reason;

/* A short name of a reason ("bad date"). Never NULL. */
CVO_API const char *cvo_reject_reason_name(cvo_reject_reason reason);

/* One rejected record, passed to cvo_load_options.on_reject in file order.
 * All pointers are valid only during the call. */
typedef struct cvo_reject {
    uint64_t line;           /* physical line where the record starts (1-based) */
    cvo_reject_reason reason;
    const char *detail;      /* "bad date '2021-13-01' in column order_date" */
    const char *record;      /* the raw record, without its line ending */
    size_t record_len;
} cvo_reject;

typedef cvo_status (*cvo_reject_fn)(void *user_data, const cvo_reject *reject);

/* How far a read has come: bytes_done of bytes_total, in bytes as stored (for
 * gzip input, compressed bytes of the file's size); bytes_total is 0 when the
 * size is unknown (a pipe, standard input from a terminal). Called from the
 * loader's threads but never two at once, at most once per CVO_PROGRESS_STEP
 * bytes read (never per record), with bytes_done never decreasing except when
 * the loader reads the input a second time (orders whose lines are apart),
 * where it starts again from 0; and once at the end of a successful read with
 * bytes_done == bytes_total (when known). It must not call into the library. */
typedef void (*cvo_progress_fn)(void *user_data, uint64_t bytes_done, uint64_t bytes_total);
#define CVO_PROGRESS_STEP (1u << 20)

typedef struct cvo_load_options {
    const char *path;           /* file path, "-" for stdin; gzip detected by magic bytes */
    const char *display_name;   /* name used in messages; NULL = path ("<stdin>" for "-") */
    cvo_format format;          /* CVO_FORMAT_AUTO to detect */
    const char *column_map;     /* "field=Header,field=Header" overrides, or NULL */
    const char *date_format;    /* strptime-like (%Y %m %d %H %M %S %y %b %z %%), or NULL */
    bool decimal_comma;         /* "12,99" means 12.99 */
    const char *cancel_prefix;  /* order ids starting with it are cancellations, or NULL */
    int threads;                /* worker threads for plain files; 0 = up to 2 */
    bool keep_orders;           /* keep each customer's counted orders (cvo_order) */
    const char *products_path;  /* sku,product,unit_cost,category: costs of lines without
                                   unit_cost (NULL: none) */
    cvo_reject_fn on_reject;    /* may be NULL; a non-OK return stops the load */
    void *reject_user_data;
    cvo_progress_fn on_progress; /* may be NULL; see cvo_progress_fn */
    void *progress_user_data;
    /* A record with a date (order_date, fulfilled_at, delivered_at) after this
     * day is rejected (CVO_REJECT_FUTURE_DATE): a typo like 9999-12-31 would
     * move the as-of date. The library reads no clock: the caller passes
     * today + 1 (the CLI: from SOURCE_DATE_EPOCH, else the clock). INT32_MAX:
     * no limit. */
    int32_t latest_day;
    /* issue 14: statuses and currencies */
    const char *count_statuses; /* comma-separated statuses that count (NULL or "": the
                                   format's documented default, cvo_format_counted_statuses) */
    const char *skip_statuses;  /* statuses of the store's own that do not count (not
                                   rejected as unknown); NULL or "" for none */
    const char *currency;       /* the store currency (ISO 4217); NULL or "": the currency of
                                   most orders in the file */
    const char *rates_path;     /* "date,currency,rate" lines: what one unit of currency is
                                   worth in the store currency from date on; NULL: none, and
                                   orders in another currency are rejected */
} cvo_load_options;

/* Sets every option to its default (format AUTO, threads 0, latest_day INT32_MAX,
 * all else empty). */
CVO_API void cvo_load_options_init(cvo_load_options *options);

/* Orders of one status that did not count (issue 14). */
#define CVO_MAX_STATUS_KINDS 16
typedef struct cvo_status_count {
    char status[32];  /* folded: "on_hold", "voided"; "cancelled" for a cancellation date;
                         "other" collects kinds past CVO_MAX_STATUS_KINDS - 1 */
    uint64_t orders;
    uint64_t records;
} cvo_status_count;

/* What one currency contributed (issue 14); amounts in cents. */
#define CVO_MAX_CURRENCIES 16
typedef struct cvo_currency_total {
    char code[4];              /* ISO 4217; "" for currencies past CVO_MAX_CURRENCIES - 1 */
    uint64_t orders;           /* counted orders in this currency */
    int64_t net_cents;         /* their net revenue in this currency */
    int64_t store_cents;       /* the same in the store currency (converted, or equal) */
    uint64_t rejected_orders;  /* orders rejected: no rates, or no rate on their date */
} cvo_currency_total;

/* Where the store currency came from. */
typedef enum cvo_currency_source {
    CVO_CURRENCY_NONE = 0,     /* no currency column and none given */
    CVO_CURRENCY_GIVEN = 1,    /* cvo_load_options.currency */
    CVO_CURRENCY_MAJORITY = 2, /* the currency of most orders in the file */
    CVO_CURRENCY_FIRST = 3     /* the first order's (input read once: standard input) */
} cvo_currency_source;

/* What happened to every record: records == used + not_counted + rejected,
 * always. */
typedef struct cvo_load_stats {
    uint64_t records;          /* data records read (the header is not one) */
    uint64_t used;             /* records of orders that went into the customer table */
    uint64_t rejected;         /* records rejected, each reported through on_reject */
    uint64_t rejected_by_reason[CVO_REJECT__COUNT];
    uint64_t duplicates;       /* == rejected_by_reason[CVO_REJECT_DUPLICATE] */
    uint64_t return_lines;     /* used lines with a negative quantity or in a cancellation */
    int64_t returns_cents;     /* revenue those lines took back (<= 0) */
    uint64_t orders;           /* orders that count */
    uint64_t cancelled_orders; /* orders not counted: cancelled, voided or refunded status */
    uint64_t refunded_orders;  /* orders not counted: refunds took all their revenue */
    uint64_t return_orders;    /* orders not counted: returns only (net revenue below 0) */
    uint64_t repaired_fields;  /* text fields whose invalid UTF-8 was replaced by U+FFFD */
    uint64_t joined_by_email;  /* customers without id joined to an id through their email */
    uint64_t bytes;            /* bytes of input read (after decompression) */
    cvo_format format;         /* the format that was used */
    char delimiter;            /* ',' ';' '\t' or ' ' (whitespace-separated) */
    bool format_detected;      /* format came from the header (CVO_FORMAT_AUTO) */
    /* issue 14 */
    uint64_t not_counted;        /* records of orders whose status does not count */
    uint64_t not_counted_orders; /* those orders; by status in not_counted_by_status */
    uint32_t status_kinds;
    cvo_status_count not_counted_by_status[CVO_MAX_STATUS_KINDS];
    bool no_amounts;             /* the input has no amount column: a count-only event log */
    char currency[4];            /* the store currency ("" when none is known) */
    cvo_currency_source currency_source;
    uint64_t currency_majority_orders, currency_scanned_orders; /* MAJORITY: m of n orders */
    uint32_t currency_count;
    cvo_currency_total currencies[CVO_MAX_CURRENCIES];
} cvo_load_stats;

/* ---- the customer table -------------------------------------------------- */

/* One customer. Customers are keyed by customer_id, or by normalised (trimmed,
 * lower-case) email when the id is empty. */
typedef struct cvo_customer {
    const char *customer_id;   /* "" when only the email is known */
    const char *email;         /* normalised; "" when unknown */
    int32_t first_order_day;
    int32_t last_order_day;
    uint32_t orders;           /* distinct orders that count */
    int64_t net_revenue_cents; /* quantity x unit_price - discount - refund, or totals */
    int64_t items;             /* units bought, returns subtracted */
    const char *channel;       /* acquisition channel: the first order's channel ("" unknown) */
    const char *country;       /* country of the latest order ("" unknown) */
} cvo_customer;

typedef struct cvo_customers cvo_customers;

/* Reads orders and builds the customer table (customers in order of first
 * appearance in the file; customers with no counting order are left out and
 * counted in stats). On failure *out is NULL and cvo_ctx_message says why.
 * Errors: CVO_ERR_IO, CVO_ERR_FORMAT (unknown header: the message lists the
 * needed columns), CVO_ERR_ARGUMENT, CVO_ERR_EMPTY, CVO_ERR_LIMIT, CVO_ERR_NOMEM,
 * or what on_reject returned. stats may be NULL. */
CVO_API CVO_NODISCARD cvo_status cvo_orders_load(cvo_ctx *ctx, const cvo_load_options *options,
                                                 cvo_customers **out, cvo_load_stats *stats);

CVO_API size_t cvo_customers_count(const cvo_customers *customers);
CVO_API const cvo_customer *cvo_customers_at(const cvo_customers *customers, size_t index);
/* The customer's marketing consent: what their latest counted order that says
 * anything says (CVO_CONSENT_*); unknown without kept orders. */
CVO_API uint8_t cvo_customers_consent(const cvo_customers *customers, size_t index);
/* The latest order day of the table (INT32_MIN when empty); for a table made by
 * cvo_customers_as_of, the day before its as-of day. */
CVO_API int32_t cvo_customers_last_day(const cvo_customers *customers);
CVO_API void cvo_customers_free(cvo_customers *customers);

/* A counted order of a customer (loaded with keep_orders). */
typedef struct cvo_order {
    int32_t day;
    uint32_t code;                /* the first discount code: cvo_customers_code (0 = none) */
    int64_t net_cents;            /* after discounts and refunds (what the customer paid and kept) */
    int64_t discount_cents;       /* discounts given on the order */
    int64_t refund_cents;         /* refunds (already taken out of net_cents) */
    int64_t shipping_cents;       /* the store's shipping cost for the order */
    int64_t cogs_cents;           /* cost of the goods whose cost is known (see costed_cents) */
    int64_t costed_cents;         /* net revenue of the lines whose cost is known */
    int64_t cost_from_line_cents; /* of costed_cents: costed by the line's own unit_cost */
    uint64_t id_hash;             /* cvo_order_id_hash of the order id; 0 when it has none */
    int32_t fulfilled_day;        /* shipped (fulfilled_at, Shopify Fulfilled at); INT32_MIN unknown */
    int32_t delivered_day;        /* delivered (delivered_at); INT32_MIN unknown */
    uint32_t product_first;       /* its distinct products: cvo_customers_order_products */
    uint32_t product_count;
    bool has_code;                /* a discount code was used */
    bool shipping_known;          /* the file gave it (else [profit] shipping_cost applies) */
    uint8_t consent;              /* CVO_CONSENT_*: what the order says of marketing consent */
} cvo_order;

/* Marketing consent as an order states it (Shopify "Accepts Marketing", an
 * accepts_marketing column): unknown when the file does not say. */
enum { CVO_CONSENT_UNKNOWN = 0, CVO_CONSENT_NO = 1, CVO_CONSENT_YES = 2 };

/* The counted orders of customer index, by day (then file order); *count 0
 * when the table was loaded without keep_orders. */
CVO_API const cvo_order *cvo_customers_orders(const cvo_customers *customers, size_t index,
                                              size_t *count);

/* A product seen in the orders (keep_orders): keyed by SKU, or by product name
 * when the SKU is empty. category from the line's category column, else the
 * products file; "" when unknown. */
typedef struct cvo_product {
    const char *sku;      /* "" when the lines had none */
    const char *name;     /* the first name seen; "" when none */
    const char *category;
} cvo_product;

CVO_API size_t cvo_customers_product_count(const cvo_customers *customers);
/* Product index (0 .. count-1); NULL when out of range. */
CVO_API const cvo_product *cvo_customers_product(const cvo_customers *customers, uint32_t index);
/* The distinct products of an order of this table, as product indices in the
 * order of their first line; NULL with *count 0 when none were named. */
CVO_API const uint32_t *cvo_customers_order_products(const cvo_customers *customers,
                                                     const cvo_order *order, size_t *count);
/* Distinct discount codes seen (code 0 is "no code"); the text of code i ("" for 0
 * or out of range). Codes are compared case-insensitively and kept upper-case. */
CVO_API size_t cvo_customers_code_count(const cvo_customers *customers);
CVO_API const char *cvo_customers_code(const cvo_customers *customers, uint32_t code);
/* The hash the loader keeps of an order id, for joining NPS answers to orders:
 * blanks around it and one leading '#' are ignored (Shopify's "#1001" is order
 * 1001 in a survey tool). Never 0 for a non-empty id; 0 for an empty one. */
CVO_API uint64_t cvo_order_id_hash(const char *id, size_t len);

/* The table as it stood on as_of_day: only counted orders with day < as_of_day,
 * customers without any left out (the others keep their order of rows). Each
 * customer's orders, first and last day and revenue are recomputed from those
 * orders: revenue is the sum of their net_cents, so returns and refunds that
 * came without a counted order are not in it; items are not kept per order
 * and become 0; channel (the first order's) and country are kept as loaded.
 * Its cvo_customers_last_day is as_of_day - 1 (the data ends there, whether or
 * not an order fell on that day), so analyses of it run as of as_of_day.
 * Guests joined to a customer by email stay joined even when the customer's
 * id only appears later. The new table borrows strings, products and codes
 * from customers, which must outlive it; free it with cvo_customers_free.
 * Needs a table loaded with keep_orders. Errors: CVO_ERR_ARGUMENT (no orders kept), CVO_ERR_EMPTY (no
 * order before as_of_day), CVO_ERR_LIMIT, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_customers_as_of(cvo_ctx *ctx, const cvo_customers *customers,
                                                     int32_t as_of_day, cvo_customers **out);

/* The table without the customers whose drop[index] is true (the others keep
 * their order of rows, orders and figures). Like a cvo_customers_as_of table it
 * borrows strings, products and codes from customers, which must outlive it.
 * Errors: CVO_ERR_ARGUMENT, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_customers_without(cvo_ctx *ctx,
                                                       const cvo_customers *customers,
                                                       const bool *drop, cvo_customers **out);

/* ---- RFM scores ----------------------------------------------------------- */

#define CVO_MAX_LEVELS 5
#define CVO_MIN_LEVELS 3

typedef enum cvo_ties {
    CVO_TIES_EQUAL = 0, /* equal values always get equal scores (see cvo(1)) */
    CVO_TIES_NTILE = 1, /* SQL NTILE(N) OVER (ORDER BY value, customer_id) */
    CVO_TIES_FIXED = 2  /* fixed cut points (cvo_cuts) */
} cvo_ties;

/* Fixed cut points for CVO_TIES_FIXED, levels - 1 ascending values each.
 * recency_days: R = levels when recency <= recency_days[0], levels-1 when
 * <= recency_days[1], ..., 1 above the last. frequency and monetary_cents:
 * score 1 when value <= cut[0], 2 when <= cut[1], ..., levels above the last. */
typedef struct cvo_cuts {
    int levels;
    int32_t recency_days[CVO_MAX_LEVELS - 1];
    int64_t frequency[CVO_MAX_LEVELS - 1];
    int64_t monetary_cents[CVO_MAX_LEVELS - 1];
} cvo_cuts;

/* Reads cut points from an INI-like file with lines "recency = 30,90,180,365",
 * "frequency = 1,2,3,5", "monetary = 50,100,250,500" (money in currency units).
 * Errors: CVO_ERR_IO, CVO_ERR_CONFIG (message with file:line). */
CVO_API CVO_NODISCARD cvo_status cvo_cuts_load(cvo_ctx *ctx, const char *path, cvo_cuts *out);

typedef struct cvo_scheme cvo_scheme;

/* Built-in segment schemes: "relationship" (default), "classic", "klaviyo"
 * (klaviyo needs levels == 3). Errors: CVO_ERR_ARGUMENT for an unknown name or
 * an unsupported level count, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_scheme_builtin(cvo_ctx *ctx, const char *name, int levels,
                                                    cvo_scheme **out);
/* A user map: lines "RFM-code,Segment name" (e.g. "535,Champions"; '#' starts a
 * comment), every one of the levels^3 cells exactly once. Errors: CVO_ERR_IO,
 * CVO_ERR_CONFIG (file:line: reason, or the list of missing cells). */
CVO_API CVO_NODISCARD cvo_status cvo_scheme_load(cvo_ctx *ctx, const char *path, int levels,
                                                 cvo_scheme **out);
CVO_API int cvo_scheme_levels(const cvo_scheme *scheme);
CVO_API size_t cvo_scheme_segment_count(const cvo_scheme *scheme);
CVO_API const char *cvo_scheme_segment_name(const cvo_scheme *scheme, size_t segment);
/* The segment index of a score cell (scores 1..levels). */
CVO_API size_t cvo_scheme_lookup(const cvo_scheme *scheme, int r, int f, int m);
CVO_API void cvo_scheme_free(cvo_scheme *scheme);

typedef struct cvo_rfm_options {
    int levels;            /* 3, 4 or 5 (default 5) */
    cvo_ties ties;         /* default CVO_TIES_EQUAL */
    int32_t as_of_day;     /* INT32_MIN = the day after the last order */
    const cvo_cuts *cuts;  /* required with CVO_TIES_FIXED, levels taken from it */
    /* A count-only event log (cvo_load_stats.no_amounts): no M score (m is 0)
     * and the segment maps read the F score in M's place (default false). */
    bool no_monetary;
} cvo_rfm_options;

CVO_API void cvo_rfm_options_init(cvo_rfm_options *options);

/* The scores of one customer; index i belongs to cvo_customers_at(i). */
typedef struct cvo_score {
    int32_t recency_days; /* as_of - last order day */
    uint8_t r, f, m;      /* 1..levels, levels is best; m 0: no amounts, no M score */
    uint16_t segment;     /* index into the scheme */
} cvo_score;

typedef struct cvo_rfm cvo_rfm;

/* Scores every customer and assigns segments. scheme levels must equal the
 * scoring levels. Errors: CVO_ERR_ARGUMENT (levels, as-of before an order,
 * missing cuts), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_rfm_new(cvo_ctx *ctx, const cvo_customers *customers,
                                             const cvo_rfm_options *options,
                                             const cvo_scheme *scheme, cvo_rfm **out);
CVO_API const cvo_score *cvo_rfm_scores(const cvo_rfm *rfm);
CVO_API int32_t cvo_rfm_as_of_day(const cvo_rfm *rfm);
CVO_API int cvo_rfm_levels(const cvo_rfm *rfm);
CVO_API void cvo_rfm_free(cvo_rfm *rfm);

/* Per-segment summary, one row per scheme segment in scheme order (empty
 * segments included with zeros). */
typedef struct cvo_segment_row {
    const char *name;
    uint64_t customers;
    double customer_share;          /* 0..1 */
    int64_t revenue_cents;
    double revenue_share;           /* 0..1 of total net revenue (0 when total <= 0) */
    uint64_t orders;
    int64_t aov_cents;              /* revenue / orders, rounded; 0 without orders */
    double median_recency_days;     /* NaN-free: 0 for an empty segment */
} cvo_segment_row;

/* Fills rows (caller-owned array of cvo_scheme_segment_count entries). */
CVO_API CVO_NODISCARD cvo_status cvo_segments_summarize(cvo_ctx *ctx, const cvo_customers *customers,
                                                        const cvo_rfm *rfm, const cvo_scheme *scheme,
                                                        cvo_segment_row *rows);

/* ---- "Buy 'Til You Die" summaries ------------------------------------------ */

typedef enum cvo_period {
    CVO_PERIOD_DAY = 0,
    CVO_PERIOD_WEEK = 1, /* 7 days (default) */
    CVO_PERIOD_MONTH = 2 /* 365.25 / 12 days */
} cvo_period;

/* One customer's sufficient statistics. Times are in periods measured from
 * day numbers (t = days / 7 for weeks), or whole periods in lifetimes mode. */
typedef struct cvo_summary_row {
    const char *customer_id; /* id, or email when the id is empty; "" for read summaries without ids */
    double x;                /* repeat purchase occasions (days with an order, minus the first) */
    double t_x;              /* last minus first purchase */
    double T;                /* calibration end (or as-of) minus first purchase */
    double m_x;              /* mean value of the repeat occasions, currency units; 0 when x == 0 */
    double x_star;           /* occasions in the holdout (0 without one) */
    double weight;           /* customers this row stands for (1 unless read with weights) */
    int32_t first_day;       /* day of the first purchase (INT32_MIN when read from a file) */
    double t_x_full;         /* last minus first purchase, holdout included (t_x
                                when x_star is 0); NaN when not known (a summary
                                read from a file with holdout purchases); rows
                                made by hand may leave it 0: not known either */
} cvo_summary_row;

typedef struct cvo_summary_options {
    cvo_period period;
    bool whole_periods;        /* lifetimes-compatible: dates floored to whole periods */
    int32_t calibration_end;   /* last day of calibration; INT32_MIN: no holdout */
    int32_t as_of_day;         /* end of the data; INT32_MIN: the day after the last order */
} cvo_summary_options;

CVO_API void cvo_summary_options_init(cvo_summary_options *options);

typedef struct cvo_summary cvo_summary;

/* Builds the summary of every customer from a table loaded with
 * cvo_load_options.keep_orders. Customers whose first purchase is after the
 * calibration end are left out and counted (cvo_summary_born_after).
 * Errors: CVO_ERR_ARGUMENT (no orders kept, bad dates), CVO_ERR_EMPTY, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_summary_from_orders(cvo_ctx *ctx,
                                                         const cvo_customers *customers,
                                                         const cvo_summary_options *options,
                                                         cvo_summary **out);
/* Reads a ready summary: lifetimes (frequency,recency,T[,monetary_value]
 * [,periods,weights]), BTYD (x,t.x,T.cal[,m.x][,x.star][,n.cal,custs]) or cvo's
 * own (customer_id,x,t_x,T,m_x,x_star) column names. Errors: CVO_ERR_IO,
 * CVO_ERR_FORMAT (file:line: reason). */
CVO_API CVO_NODISCARD cvo_status cvo_summary_load(cvo_ctx *ctx, const char *path,
                                                  cvo_summary **out);
CVO_API size_t cvo_summary_count(const cvo_summary *summary);
CVO_API const cvo_summary_row *cvo_summary_at(const cvo_summary *summary, size_t index);
CVO_API uint64_t cvo_summary_born_after(const cvo_summary *summary);
/* Length of the holdout in periods (0 without one). */
CVO_API double cvo_summary_holdout(const cvo_summary *summary);
CVO_API bool cvo_summary_has_holdout(const cvo_summary *summary);
/* Sets the holdout length of a summary read from a file (BTYD's x.star covers
 * 39 weeks for CDNOW, say). */
CVO_API void cvo_summary_set_holdout(cvo_summary *summary, double periods);
/* Days per period of the summary (7 for weeks; 0 when read from a file). */
CVO_API double cvo_summary_period_days(const cvo_summary *summary);
/* Calibration end day (or as-of) of a summary built from orders. */
CVO_API int32_t cvo_summary_end_day(const cvo_summary *summary);
CVO_API void cvo_summary_free(cvo_summary *summary);

/* ---- models --------------------------------------------------------------- */

typedef enum cvo_model {
    CVO_MODEL_BGNBD = 0,  /* BG/NBD, Fader, Hardie & Lee (2005) */
    CVO_MODEL_MBGNBD = 1, /* MBG/NBD, Batislam et al. (2007) */
    CVO_MODEL_PNBD = 2,   /* Pareto/NBD, Schmittlein et al. (1987) */
    CVO_MODEL_BGBB = 3,   /* BG/BB, Fader, Hardie & Shang (2010), discrete */
    CVO_MODEL_GG = 4,     /* Gamma-Gamma spend, Fader, Hardie & Lee (2005) */
    CVO_MODEL_NBD = 5     /* NBD, Ehrenberg (1959): r, alpha; nobody drops out (the
                             no-dropout edge of BG/NBD, MBG/NBD and Pareto/NBD) */
} cvo_model;

/* "bgnbd", "mbgnbd", "pnbd", "bgbb", "gg", "nbd"; false for another name. */
CVO_API bool cvo_model_from_name(const char *name, cvo_model *out);
CVO_API const char *cvo_model_name(cvo_model model);

typedef struct cvo_fit_options {
    double penalty;      /* L2 penalty on the (time-rescaled) parameters; default 0 */
    int max_iterations;  /* default 500 */
    int starts;          /* starting points tried (best kept); default: by model */
    /* The first start's parameters in the summary's time unit (a fit of nearly the
     * same data, e.g. before a seasonal time change), NULL (default): the model's
     * own; a start not > 0 is ignored. With it, starts defaults to 1. */
    const double *start;
} cvo_fit_options;

CVO_API void cvo_fit_options_init(cvo_fit_options *options);

/* How a fit ended. Values are pinned. */
typedef enum cvo_fit_status {
    CVO_FIT_CONVERGED = 0,     /* an interior maximum with a usable Hessian */
    CVO_FIT_NO_DROPOUT = 1,    /* the dropout parameter went to its boundary (BG/NBD and
                                  MBG/NBD: a / (a + b) -> 0; Pareto/NBD: s / beta -> 0):
                                  a valid maximum where the model is the NBD; nbd_* hold
                                  that fit and every prediction uses it (P(alive) = 1) */
    CVO_FIT_NOT_CONVERGED = 2  /* a real failure; the note says why */
} cvo_fit_status;

/* "converged", "no dropout", "not converged". */
CVO_API const char *cvo_fit_status_name(cvo_fit_status status);

typedef struct cvo_fit {
    cvo_model model;
    int nparams;
    const char *param_names[4];
    double params[4];
    double std_error[4]; /* from the Hessian; NaN when it is not invertible */
    double loglik;       /* total (weighted) log-likelihood, not a mean */
    uint64_t n;          /* customers the fit used (weights added up) */
    int iterations;
    bool converged;      /* status is CVO_FIT_CONVERGED or CVO_FIT_NO_DROPOUT */
    cvo_fit_status status;
    /* CVO_FIT_NO_DROPOUT: the NBD fitted directly on the same customers (r, alpha;
     * standard errors from its Hessian) and its log-likelihood, equal to loglik
     * to rounding; NaN otherwise. */
    double nbd_params[2];
    double nbd_std_error[2];
    double nbd_loglik;
    char note[256];      /* why the data cannot identify the model, what the edge
                            means, or "" */
} cvo_fit;

/* The NBD a no-dropout fit reduces to, as a fit of CVO_MODEL_NBD into *out
 * (converged, with its standard errors and log-likelihood); false (out
 * untouched) when fit's status is not CVO_FIT_NO_DROPOUT. */
CVO_API bool cvo_fit_reduced(const cvo_fit *fit, cvo_fit *out);

/* Fits a model by maximum likelihood. A fit that cannot be identified (too
 * few repeat buyers) returns CVO_OK with converged false and a note. A dropout
 * model that reaches its no-dropout edge returns CVO_OK, converged true,
 * status CVO_FIT_NO_DROPOUT and the NBD fitted directly in nbd_*. Errors:
 * CVO_ERR_ARGUMENT, CVO_ERR_EMPTY (no usable rows), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_model_fit(cvo_ctx *ctx, cvo_model model,
                                               const cvo_summary *summary,
                                               const cvo_fit_options *options, cvo_fit *out);
/* A fit from given parameters (e.g. --params): loglik and stderr are NaN.
 * Errors: CVO_ERR_ARGUMENT when a parameter is missing or not > 0. */
CVO_API CVO_NODISCARD cvo_status cvo_fit_from_params(cvo_ctx *ctx, cvo_model model,
                                                     const double *params, int count,
                                                     cvo_fit *out);

/* Predictions of a fitted purchase model (times in its periods). NaN where a
 * model has no such quantity, or where it cannot be computed within the
 * model's bounds (BG/BB's P(X(t) = n): t above 10000 opportunities; Pareto/NBD:
 * parameters so extreme that its integral does not finish). */
CVO_API double cvo_fit_p_alive(const cvo_fit *fit, double x, double t_x, double T);
/* One customer's log-likelihood at the fitted parameters (the NBD's at the
 * no-dropout edge): the log density of purchase times summarised by x, t_x, T.
 * NaN for a spend model or a fit that did not converge. */
CVO_API double cvo_fit_loglik(const cvo_fit *fit, double x, double t_x, double T);
CVO_API double cvo_fit_expected(const cvo_fit *fit, double x, double t_x, double T, double t);
CVO_API double cvo_fit_unconditional(const cvo_fit *fit, double t);
CVO_API double cvo_fit_pmf(const cvo_fit *fit, double t, int n);
/* Gamma-Gamma: expected value per order given x repeat orders of mean m_x. */
CVO_API double cvo_fit_spend(const cvo_fit *fit, double x, double m_x);
/* Pareto/NBD: discounted expected residual transactions at a continuous
 * discount rate delta per period (an annual rate d is ln(1 + d) / periods per year). */
CVO_API double cvo_fit_dert(const cvo_fit *fit, double x, double t_x, double T, double delta);

/* ---- predictions for every customer ---------------------------------------- */

typedef enum cvo_clv_form {
    CVO_CLV_MONTHLY = 0, /* sum over months of spend x expected purchases that month, discounted monthly */
    CVO_CLV_DERT = 1     /* Pareto/NBD: spend x discounted expected residual transactions (no horizon) */
} cvo_clv_form;

typedef struct cvo_predict_options {
    double horizon;          /* periods ahead (default 52: a year of weeks) */
    double annual_discount;  /* yearly discount rate, 0.10 = 10% (default 0.10) */
    cvo_clv_form clv;
    double period_days;      /* days per period (default 7) */
    /* A seasonal index (cvo_season_estimate of this summary): when active, the
     * purchase predictions use its fit on seasonal time (purchase is then only
     * checked), the horizon starting at the summary's end day; NULL (the
     * default) or an inactive one: none. */
    const struct cvo_season *season;
} cvo_predict_options;

CVO_API void cvo_predict_options_init(cvo_predict_options *options);

typedef struct cvo_prediction {
    double p_alive;
    double expected;      /* purchases expected within the horizon */
    double prob_purchase; /* probability of at least one purchase within the horizon */
    double spend;         /* expected value per order (NaN without a spend model) */
    double clv;           /* currency units (NaN without a spend model) */
    double next_purchase; /* periods after T until a purchase is more likely than not, given
                             the customer stays alive; NaN when beyond the horizon */
} cvo_prediction;

/* Predicts every row of summary with a purchase model (bgnbd, mbgnbd, pnbd)
 * and optionally a Gamma-Gamma spend fit. out has cvo_summary_count rows.
 * Monthly CLV discounts month k by (1 + annual)^(k/12); DERT uses the
 * continuous rate ln(1 + annual) per year, divided into periods. Customers
 * with the same (x, T) share the costly terms, so 1e6 customers take well
 * under a second. Errors: CVO_ERR_ARGUMENT, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_predict_all(cvo_ctx *ctx, const cvo_fit *purchase,
                                                 const cvo_fit *spend, const cvo_summary *summary,
                                                 const cvo_predict_options *options,
                                                 cvo_prediction *out);

/* ---- backtest -------------------------------------------------------------- */

/* Holdout purchases of the customers with a given calibration frequency. */
typedef struct cvo_backtest_bin {
    int x;               /* calibration repeat purchases; the last bin is "x or more" */
    double customers;
    double actual;       /* mean holdout purchases */
    double model;        /* mean predicted */
    double naive;        /* mean of the naive baseline: the customer's past rate x / T */
} cvo_backtest_bin;

#define CVO_BACKTEST_BINS 8 /* 0, 1, ..., 6, 7+ as in the BTYD walkthrough */

typedef struct cvo_backtest {
    double holdout;          /* periods */
    double customers;
    double actual_total, model_total, naive_total;
    double model_mae, naive_mae; /* mean absolute error per customer */
    double model_rmse, naive_rmse; /* root mean squared error per customer */
    double model_correlation;      /* Pearson r of predicted and actual holdout purchases
                                      per customer (weighted); NaN when either is constant */
    cvo_backtest_bin bins[CVO_BACKTEST_BINS];
    /* cumulative repeat purchases at the end of each period since the first
     * customer's first purchase (needs the orders; 0 periods otherwise) */
    size_t periods;
    size_t calibration_periods;
    double *tracking_actual;
    double *tracking_model;
    /* seasonality (cvo_backtest_run_season): whether model_total, the bins and
     * the tracking curve carry the seasonal index, the holdout total without it,
     * and what the backtest should say of seasons in words ("" when nothing) */
    bool season_applied;
    double model_total_plain;
    char season_note[384];
} cvo_backtest;

/* Compares a purchase model's predictions for the holdout of summary (built
 * with a calibration end) with what happened, beside the naive baseline.
 * customers (loaded with keep_orders) may be NULL: then no tracking curve.
 * Errors: CVO_ERR_ARGUMENT (no holdout, not a purchase model), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_backtest_run(cvo_ctx *ctx, const cvo_fit *fit,
                                                  const cvo_summary *summary,
                                                  const cvo_customers *customers,
                                                  cvo_backtest **out);
CVO_API void cvo_backtest_free(cvo_backtest *backtest);

/* ---- seasonality ------------------------------------------------------------
 * A monthly seasonal index s of the repeat-purchase rate, estimated from the
 * calibration period only, and the models fitted on seasonal time. A rate
 * lambda s(day) is a constant rate lambda on the clock that runs s(day) days
 * per calendar day (the time change of a non-homogeneous Poisson process, Cox
 * & Lewis 1966), so BG/NBD, MBG/NBD and Pareto/NBD keep their form there: each
 * customer's t_x and T, and the horizon, are measured on that clock. The index
 * compares the store's repeat purchases in each calendar month (A_m) with the
 * fitted model's expected ones (E_m, from the unconditional curve of each birth
 * cohort, scaled to the same total), shrunk towards 1 by the Gamma-Poisson
 * empirical Bayes estimate s_m = (A_m + k) / (E_m + k), k = 1 / tau^2, tau^2 =
 * (X^2 - 11) / sum E_m (Clayton & Kaldor 1987), normalised to a mean of 1 over
 * the calibration days; the model is refitted on the clock and the index
 * estimated again, three times. It needs 365 days of calibration. */

typedef enum cvo_season_mode {
    CVO_SEASON_AUTO = 0,    /* the index when the months differ beyond chance (chi-square
                               test of equal months, p < 0.01) */
    CVO_SEASON_MONTHLY = 1, /* the index whenever a year of calibration allows it */
    CVO_SEASON_OFF = 2      /* no index; the coverage warnings still hold */
} cvo_season_mode;

/* "auto", "monthly", "off"; false for another name. */
CVO_API bool cvo_season_mode_from_name(const char *name, cvo_season_mode *out);

typedef struct cvo_season {
    bool active;            /* the index is applied (else index[] is all 1) */
    double index[12];       /* by calendar month, January first */
    double actual[12];      /* repeat purchases in the calibration period, by month */
    double expected[12];    /* the model's, scaled to the same total */
    uint32_t days_seen[12]; /* calibration days in each calendar month (all years) */
    double shrinkage;       /* k; INFINITY when the months do not differ beyond chance */
    double chi_square;      /* test of equal months (11 degrees of freedom); NaN untested */
    double p_value;
    int32_t first_day; /* calibration: first customer's first purchase .. */
    int32_t end_day;   /* .. the summary's end day */
    cvo_fit fit;       /* active: the model refitted on seasonal time, which the
                          predictions and the backtest use */
    char note[256];    /* why there is no index, or ""; plain words */
} cvo_season;

/* Estimates the index of a purchase model fitted on summary (built from the
 * orders of customers, loaded with keep_orders). Without orders, with less
 * than 365 days of calibration, or mode off, *out holds no index (active false,
 * index all 1) and note says why; the calendar coverage is filled whenever
 * the orders are there; the same for a model other than bgnbd, mbgnbd, pnbd
 * or nbd. Errors: CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_season_estimate(cvo_ctx *ctx, const cvo_fit *fit,
                                                     const cvo_summary *summary,
                                                     const cvo_customers *customers,
                                                     cvo_season_mode mode, cvo_season *out);
/* The index of day's calendar month (1 without an index or season NULL). */
CVO_API double cvo_season_at(const cvo_season *season, int32_t day);
/* What a forecast of the days [from, to] after the calibration should say of
 * seasons, in words, into out (cap bytes, "" when nothing): a calibration
 * shorter than a year, months of the forecast the calibration never saw ("the
 * holdout covers a season the history does not show; expect a seasonal
 * bias"), or that the index was applied. Returns out. */
CVO_API const char *cvo_season_warning(const cvo_season *season, int32_t from, int32_t to,
                                       char *out, size_t cap);
/* cvo_backtest_run with a seasonal index of the calibration (NULL: none): when
 * it is active the holdout predictions and the tracking curve are its fit's on
 * seasonal time, model_total_plain is fit's total without it; season_note says
 * in words what the backtest should say of seasons. */
CVO_API CVO_NODISCARD cvo_status cvo_backtest_run_season(cvo_ctx *ctx, const cvo_fit *fit,
                                                         const cvo_season *season,
                                                         const cvo_summary *summary,
                                                         const cvo_customers *customers,
                                                         cvo_backtest **out);

/* ---- model choice by holdout (issue 13) ------------------------------------------ */

/* The candidates, simplest first: BG/NBD, MBG/NBD, Pareto/NBD. */
#define CVO_CHOICE_MODELS 3
/* Holdout MAEs within this share of each other are equal, and the simpler
 * model wins (two fits at the same no-dropout edge, rounding). */
#define CVO_CHOICE_TOLERANCE 1e-6
/* Holdout log scores closer than this many standard errors of their paired
 * per-customer difference do not tell two candidates apart. */
#define CVO_CHOICE_SCORE_Z 2.0
/* Stores with more customers compare the candidates on a sample of about this
 * many (the same customers every run: chosen by a hash of their id); the
 * chosen model is then fitted and backtested on all of them. */
#define CVO_CHOICE_SAMPLE 20000

/* One candidate against the holdout, per customer of the comparison. */
typedef struct cvo_choice_metrics {
    double predicted, actual; /* holdout repeat purchases, mean */
    double mae, rmse, correlation;
    /* The holdout log score: log L(whole history) - log L(calibration part)
     * at the calibration fit, the log density of the holdout purchases given
     * the calibration; calendar time; NaN when not known (a summary read from
     * a file without the holdout's purchase times). */
    double log_score;
    double log_score_se; /* standard error of its paired difference with the
                            best candidate's (0 for the best; NaN: none) */
} cvo_choice_metrics;

typedef struct cvo_model_choice {
    cvo_model models[CVO_CHOICE_MODELS];        /* BG/NBD, MBG/NBD, Pareto/NBD */
    cvo_fit fits[CVO_CHOICE_MODELS];            /* on the calibration part */
    cvo_backtest *backtests[CVO_CHOICE_MODELS]; /* owned; NULL: not fitted or not run */
    cvo_season seasons[CVO_CHOICE_MODELS];      /* each fit's seasonal index of the
                                                   calibration part (its backtest's) */
    char notes[CVO_CHOICE_MODELS][256];         /* why a candidate has no backtest, or "" */
    cvo_choice_metrics metrics[CVO_CHOICE_MODELS]; /* NaN: not backtested */
    size_t compared;  /* customers the candidates were compared on */
    size_t customers; /* in the calibration summary (compared < customers: a
                         sample, without seasonal index; the chosen model's
                         fit, index and backtest are then on all customers) */
    int chosen;                                 /* index, -1: no candidate backtested */
    bool forced;                                /* one model was asked for */
    char reason[1024];                          /* the choice in words */
} cvo_model_choice;

/* The index of the model to use given each candidate's holdout MAE (NaN: not
 * available): the smallest MAE, except that the first (simplest) candidate
 * within tolerance (relative) of it wins; -1 when none is finite. */
CVO_API int cvo_model_pick(const double *mae, int count, double tolerance);

/* Fits each candidate (or only forced, when it is one of them; -1: all) on the
 * calibration part of summary (built with a calibration end), estimates its
 * seasonal index there (cvo_season_estimate with season) and backtests it with
 * that index (cvo_backtest_run_season; customers as there). The pick: the best
 * holdout log score, unless others are within CVO_CHOICE_SCORE_Z standard
 * errors of it; among those, cvo_model_pick by MAE with CVO_CHOICE_TOLERANCE
 * (by MAE alone when a score is missing). Above CVO_CHOICE_SAMPLE customers
 * the candidates are compared on a sample. A fit at the no-dropout edge is a
 * candidate: its predictions are the NBD's. A candidate that cannot be fitted
 * keeps a note and takes no part. Release with cvo_model_choice_release.
 * Errors: CVO_ERR_ARGUMENT (no holdout), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_model_choose(cvo_ctx *ctx, const cvo_summary *summary,
                                                  const cvo_customers *customers, int forced,
                                                  cvo_season_mode season, cvo_model_choice *out);
/* Frees the backtests; the struct may be reused. */
CVO_API void cvo_model_choice_release(cvo_model_choice *choice);

/* Gamma-Gamma's assumption is spend independent of frequency; above this
 * |correlation| of frequency and average spend among repeat buyers the check
 * warns (lifetimes' documentation finds 0.11 on CDNOW, and calls that weak). */
#define CVO_SPEND_CORRELATION_WARN 0.3

/* A Gamma-Gamma backtest: each customer's predicted average spend per purchase
 * (cvo_fit_spend from the calibration part) against the average they spent
 * in the holdout, over the customers with holdout purchases, and the check of
 * the model's assumption. */
typedef struct cvo_spend_backtest {
    bool ran;                /* there was a holdout and the orders by date */
    double customers;        /* with holdout purchases (and a prediction) */
    double actual_total;     /* sum of their actual holdout average spend */
    double predicted_total;  /* sum of their predicted average spend */
    double mae;              /* mean absolute error per customer; NaN when not ran */
    double repeat_buyers;    /* calibration customers with x > 0 */
    double correlation;      /* Pearson r of x and m_x among them; NaN: undefined */
    bool correlation_warned; /* |correlation| > CVO_SPEND_CORRELATION_WARN */
    char correlation_note[320]; /* the warning in words, or "" */
} cvo_spend_backtest;

/* Runs the spend backtest of gg (a Gamma-Gamma fit on summary) into *out:
 * the correlation always, the holdout comparison when summary has a holdout
 * and was built from customers' orders (loaded with keep_orders; ran says
 * whether). Errors: CVO_ERR_ARGUMENT (gg not Gamma-Gamma). */
CVO_API CVO_NODISCARD cvo_status cvo_spend_backtest_run(cvo_ctx *ctx, const cvo_fit *gg,
                                                        const cvo_summary *summary,
                                                        const cvo_customers *customers,
                                                        cvo_spend_backtest *out);
/* ---- configuration ------------------------------------------------------------ */

/* An INI file of [section] key = value lines over built-in defaults; every key
 * and its default is listed by cvo_config_write_defaults (and docs/config.md). */
typedef struct cvo_config cvo_config;

/* A configuration holding every default. Errors: CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_config_new(cvo_ctx *ctx, cvo_config **out);
/* Reads path over the current values. Unknown sections or keys and values of
 * the wrong type are errors: CVO_ERR_CONFIG with "path:line: reason"; CVO_ERR_IO. */
CVO_API CVO_NODISCARD cvo_status cvo_config_load(cvo_config *config, const char *path);
/* Sets one key from text, as a config line would. Errors as cvo_config_load. */
CVO_API CVO_NODISCARD cvo_status cvo_config_set(cvo_config *config, const char *section,
                                                const char *key, const char *value);
/* The value of a key as text (never NULL for a known key; NULL for an unknown one).
 * The getters read the defaults when config is NULL. */
CVO_API const char *cvo_config_text(const cvo_config *config, const char *section,
                                    const char *key);
/* The value as a number (NaN for an unknown or non-numeric key, and for an
 * optional number left empty, such as [holdout] winback). */
CVO_API double cvo_config_number(const cvo_config *config, const char *section, const char *key);
/* Whether the comma-separated list key holds item (exact, case-sensitive). */
/* The currency of the amounts (issue 14): [model] currency when set, else the
 * store currency the load settled on (stats may be NULL), else "USD". */
CVO_API const char *cvo_currency_of(const cvo_config *config, const cvo_load_stats *stats);
CVO_API bool cvo_config_has(const cvo_config *config, const char *section, const char *key,
                            const char *item);
/* Writes a complete, commented configuration with every default. Errors: CVO_ERR_WRITE. */
CVO_API CVO_NODISCARD cvo_status cvo_config_write_defaults(cvo_ctx *ctx, FILE *out);
CVO_API void cvo_config_free(cvo_config *config);

/* ---- profit --------------------------------------------------------------------
 * The value *of* a customer is profit, not revenue. Per counted order (cvo_order):
 *   contribution margin = net - cogs - shipping - fee
 *   net      = cvo_order.net_cents: gross less discounts and refunds, so refunds
 *              are taken out once, here, and never again
 *   cogs     = cogs_cents (lines whose cost is known: the line's unit_cost, else
 *              the products file) + round((net - costed_cents) x (1 - [profit]
 *              default_margin)) for the revenue whose cost is unknown
 *   shipping = shipping_cents (the store's cost of shipping the order) when the
 *              file gave it (shipping_known), else [profit] shipping_cost
 *   fee      = round(net x [profit] payment_fee_percent) + payment_fee_fixed
 * Rates are used to six decimals (parts per million) and every product is
 * rounded half away from zero to the cent, per order, so that sums are exact.
 * A customer's acquisition cost ([profit] acquisition_cost by channel, else
 * default_acquisition_cost) is charged to their first order:
 *   profit to date = sum of order margins - acquisition cost. */

/* Where a customer's predicted margin per future order comes from. */
typedef enum cvo_margin_source {
    CVO_MARGIN_SPEND_MODEL = 0, /* Gamma-Gamma fitted on the positive mean repeat margins:
                                   E[margin | x, m_x] (x = 0: the model's population mean) */
    CVO_MARGIN_OWN = 1,         /* the customer's own mean repeat margin (m_x; zero or
                                   negative, or no spend model could be fitted) */
    CVO_MARGIN_POPULATION = 2   /* a one-time buyer without a spend model: the mean margin
                                   per order of all customers */
} cvo_margin_source;

/* One customer's profit (index as in the customer table). */
typedef struct cvo_profit_row {
    uint32_t orders;              /* counted orders */
    int64_t revenue_cents;        /* net revenue of those orders */
    int64_t cogs_cents;           /* cost of goods, the default margin's share included */
    int64_t shipping_cents;
    int64_t fee_cents;            /* payment fees */
    int64_t margin_cents;         /* sum of the order margins (acquisition not included) */
    int64_t acquisition_cents;    /* charged to the first order */
    int64_t profit_cents;         /* profit to date: margin_cents - acquisition_cents */
    bool profitable;              /* profit_cents > 0 */
    /* Orders to break even: when cumulative profit (acquisition charged to the
     * first order) reached >= 0, the 1-based index of the order where it first
     * did (break_even_reached true). Otherwise the expected count at the
     * customer's mean margin per order, ceil(acquisition / mean margin), when
     * that mean is > 0 (capped at UINT32_MAX); 0 means never (mean margin <= 0). */
    uint32_t break_even_orders;
    bool break_even_reached;
    /* Prediction over the [model] horizon: expected orders (BG/NBD, or as given
     * to cvo_profit_compute) x predicted margin per order, not discounted. */
    bool has_prediction;          /* false: no expected orders (no purchase model, or NaN
                                     given): expected_orders NaN, the cents below 0 */
    double expected_orders;
    int64_t margin_per_order_cents; /* predicted margin per future order */
    cvo_margin_source margin_source;
    int64_t predicted_profit_cents; /* round(expected_orders x predicted margin) */
    /* discount dependence */
    uint32_t code_orders;         /* orders that used a discount code */
    double code_share;            /* code_orders / orders */
    int64_t discount_cents;       /* discounts given in total */
} cvo_profit_row;

/* One segment of the scheme (empty segments included with zeros). Shares are
 * 0..1 of the table's total (0 when that total is <= 0); a segment whose
 * profit is negative has a negative profit share. */
typedef struct cvo_profit_segment {
    const char *name;
    uint64_t customers;
    int64_t revenue_cents;
    double revenue_share;
    int64_t profit_cents;           /* profit to date */
    double profit_share;
    int64_t mean_profit_cents;      /* per customer, rounded; 0 when empty */
    uint64_t unprofitable;          /* customers whose profit to date is <= 0 */
    double unprofitable_share;      /* of the segment's customers */
    int64_t predicted_profit_cents; /* of the customers with a prediction */
} cvo_profit_segment;

/* The whole table, and which source covered what share of net revenue. */
typedef struct cvo_profit_totals {
    uint64_t customers, orders, unprofitable;
    int64_t revenue_cents, cogs_cents, shipping_cents, fee_cents, margin_cents;
    int64_t acquisition_cents, profit_cents, predicted_profit_cents, discount_cents;
    int64_t cost_from_line_cents;     /* revenue costed by the line's own unit_cost */
    int64_t cost_from_products_cents; /* revenue costed by the products file */
    int64_t cost_by_default_cents;    /* revenue costed by [profit] default_margin */
    /* of the revenue the three sources cover: revenue_cents, unless order-level
     * refunds took back costed revenue (an order's uncosted revenue is never < 0) */
    double from_line_share, from_products_share, by_default_share;
    int64_t mean_margin_cents;        /* per order, all customers (the population fallback) */
    bool purchase_model;              /* expected orders are known (has_prediction rows) */
    bool spend_model;                 /* Gamma-Gamma on margins was fitted */
} cvo_profit_totals;

typedef struct cvo_profit cvo_profit;

/* Computes the profit of every customer of a table loaded with keep_orders
 * (its orders carrying costs: cvo_load_options.products_path), the segment
 * table under rfm / scheme (rfm made from this table), and the totals.
 * expected_orders: cvo_customers_count entries over the horizon (NaN: none
 * for that customer), or NULL to fit BG/NBD here on the whole history up to
 * the rfm as-of day with config's [model] period and horizon_months. The
 * margin per future order is Gamma-Gamma fitted on each repeat customer's
 * mean repeat margin where it is > 0 (repeat occasions: days after the first,
 * as in cvo_summary_from_orders), with the fallbacks of cvo_margin_source.
 * A model that cannot be fitted is no error: cvo_profit_note says why.
 * *out is the caller's (cvo_profit_free). Errors: CVO_ERR_ARGUMENT (no orders
 * kept, rfm or scheme missing or not of this table), CVO_ERR_CONFIG (an
 * acquisition_cost item that is not "channel:amount"), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_profit_compute(cvo_ctx *ctx, const cvo_customers *customers,
                                                    const cvo_rfm *rfm, const cvo_scheme *scheme,
                                                    const cvo_config *config,
                                                    const double *expected_orders,
                                                    cvo_profit **out);
/* cvo_customers_count rows, index as in the customer table. */
CVO_API const cvo_profit_row *cvo_profit_rows(const cvo_profit *profit);
/* cvo_profit_segment_count rows in scheme order. */
CVO_API const cvo_profit_segment *cvo_profit_segments(const cvo_profit *profit);
CVO_API size_t cvo_profit_segment_count(const cvo_profit *profit);
CVO_API const cvo_profit_totals *cvo_profit_overall(const cvo_profit *profit);
/* Why there is no prediction or no spend model, in plain words; "" when both ran. */
CVO_API const char *cvo_profit_note(const cvo_profit *profit);
/* A margin source's name: "spend model", "own mean", "population mean". */
CVO_API const char *cvo_margin_source_name(cvo_margin_source source);
CVO_API void cvo_profit_free(cvo_profit *profit);

/* ---- NPS ------------------------------------------------------------------------
 * The value *for* the customer, heard through Net Promoter Score answers.
 * Input: CSV with a header; columns found by name (case, blanks, '-' and '.'
 * folded): email (email, person_properties.email, Email Address, ...), score
 * (score, nps, ...), submitted_at (submitted_at, responded_at, created_at,
 * Submit Date (UTC), End Date, ...), and optional survey, comment, order_id;
 * column_map "field=Header,..." names others (Typeform, SurveyMonkey). Dates are
 * ISO 8601 (the local day as written), "YYYY-MM-DD HH:MM:SS" or Unix seconds
 * (nine to eleven digits, Delighted; the UTC day).
 * Join: a response with an order_id belongs to that counted order (and its
 * customer, whatever the email says; ids compare as cvo_order_id_hash does);
 * otherwise to the customer with its normalised (trimmed, lower-case) email,
 * and to that customer's latest counted order on or before the response day.
 * Stage: the survey column when it reads pre_delivery or post_delivery (case,
 * blanks, '-' and '_' ignored: "Pre-delivery", "post delivery"); otherwise it
 * is inferred from the joined order's delivery day: answered before it =
 * pre_delivery, on or after it = post_delivery. The delivery day is the
 * order's delivered_at; else its fulfilled_at + transit_days; else its order
 * day + delivery_days (options). No joined order = unknown.
 * Classes: promoters 9-10, passives 7-8, detractors 0-6. NPS = 100 (p - d) with
 * Var = 100^2 (p + d - (p - d)^2) / n, 95 % interval nps -+ 1.96 sqrt(Var),
 * clamped to [-100, 100]. */

typedef enum cvo_nps_stage {
    CVO_NPS_PRE_DELIVERY = 0,
    CVO_NPS_POST_DELIVERY = 1,
    CVO_NPS_STAGE_UNKNOWN = 2,
    CVO_NPS_STAGE__COUNT = 3
} cvo_nps_stage;

typedef enum cvo_nps_class {
    CVO_NPS_DETRACTOR = 0, /* 0..6 */
    CVO_NPS_PASSIVE = 1,   /* 7..8 */
    CVO_NPS_PROMOTER = 2,  /* 9..10 */
    CVO_NPS_CLASS__COUNT = 3
} cvo_nps_class;

/* Why a response was rejected. Values are pinned. */
typedef enum cvo_nps_reject_reason {
    CVO_NPS_REJECT_FIELD_COUNT = 0,  /* more or fewer fields than the header */
    CVO_NPS_REJECT_NO_EMAIL = 1,     /* email empty */
    CVO_NPS_REJECT_BAD_SCORE = 2,    /* score empty, not an integer, or outside 0..10 */
    CVO_NPS_REJECT_NO_DATE = 3,      /* submitted_at empty */
    CVO_NPS_REJECT_BAD_DATE = 4,     /* submitted_at not a known date form (or ambiguous) */
    CVO_NPS_REJECT_TOO_LONG = 5,     /* a record longer than CVO_MAX_RECORD_BYTES */
    CVO_NPS_REJECT_UNTERMINATED = 6, /* a quoted field still open at the end */
    CVO_NPS_REJECT_FUTURE_DATE = 7,  /* submitted_at after cvo_nps_options.latest_day */
    CVO_NPS_REJECT__COUNT = 8
} cvo_nps_reject_reason;

/* "pre_delivery", "post_delivery", "unknown"; "promoter", "passive", "detractor";
 * a reason's short name ("bad score"). Never NULL. */
CVO_API const char *cvo_nps_stage_name(cvo_nps_stage stage);
CVO_API const char *cvo_nps_class_name(cvo_nps_class nps_class);
CVO_API const char *cvo_nps_reject_reason_name(cvo_nps_reject_reason reason);
/* The class of a score 0..10. */
CVO_API cvo_nps_class cvo_nps_class_of(int score);

/* One rejected response, in file order; pointers valid during the call only. */
typedef struct cvo_nps_reject {
    uint64_t line; /* physical line where the record starts (1-based) */
    cvo_nps_reject_reason reason;
    const char *detail; /* "score '11' is not an integer from 0 to 10" */
    const char *record;
    size_t record_len;
} cvo_nps_reject;

typedef cvo_status (*cvo_nps_reject_fn)(void *user_data, const cvo_nps_reject *reject);

typedef struct cvo_nps_options {
    const char *path;              /* "-" for stdin; gzip detected */
    const char *display_name;      /* name in messages; NULL = path */
    const char *column_map;        /* "field=Header,..." (fields email, score,
                                      submitted_at, survey, comment, order_id), or NULL */
    const cvo_customers *customers; /* the join target (orders kept for stage
                                       inference), or NULL */
    const cvo_rfm *rfm;            /* scores of customers for by-segment, or NULL */
    const cvo_scheme *scheme;      /* the scheme rfm was scored with, or NULL */
    uint64_t min_group;            /* groups with fewer responses are marked (default 30) */
    int32_t delivery_days;         /* order day to delivery when the order has no delivered_at
                                      or fulfilled_at (default 5) */
    int32_t transit_days;          /* fulfilled_at to delivery without delivered_at (default 3) */
    int32_t before_day;            /* answers on or after this day are left out and counted
                                      (stats.later): an analysis as of a past day must not
                                      hear the future; INT32_MAX (default): none */
    cvo_nps_reject_fn on_reject;   /* may be NULL; a non-OK return stops the read */
    void *reject_user_data;
    /* Answers submitted after this day are rejected (CVO_NPS_REJECT_FUTURE_DATE),
     * as in cvo_load_options; INT32_MAX (default): no limit. */
    int32_t latest_day;
} cvo_nps_options;

/* Sets every option to its default (min_group 30, delivery_days 5, transit_days 3,
 * before_day and latest_day INT32_MAX, all else empty). */
CVO_API void cvo_nps_options_init(cvo_nps_options *options);

/* What happened to every response: records == used + rejected + later, always. */
typedef struct cvo_nps_stats {
    uint64_t records;
    uint64_t used;
    uint64_t rejected;
    uint64_t later;            /* valid, but on or after options.before_day: left out */
    uint64_t rejected_by_reason[CVO_NPS_REJECT__COUNT];
    uint64_t joined_customers; /* used responses whose email is a customer's */
    uint64_t joined_orders;    /* of those, joined to a counted order (by id or by day) */
    uint64_t joined_by_order_id; /* of those, by the order_id column */
    uint64_t stage_from_survey;   /* stage read from the survey column */
    uint64_t stage_inferred;      /* stage inferred from the joined order */
} cvo_nps_stats;

/* NPS of one group. */
typedef struct cvo_nps_group {
    const char *key; /* "overall", a stage, segment, country ("" -> "(unknown)") or "YYYY-MM" */
    uint64_t n, promoters, passives, detractors;
    double nps, ci_low, ci_high; /* all 0 when n is 0 */
    bool small;                  /* n below min_group: shown, but read with care */
} cvo_nps_group;

/* Fills out from counts (key NULL). */
CVO_API void cvo_nps_group_compute(uint64_t promoters, uint64_t passives, uint64_t detractors,
                                   uint64_t min_group, cvo_nps_group *out);

/* A difference of two independent NPS values, a - b, with its 95 % interval
 * (variances add), clamped to [-200, 200]. available false when either is empty. */
typedef struct cvo_nps_difference {
    bool available;
    double difference, ci_low, ci_high;
} cvo_nps_difference;

CVO_API void cvo_nps_difference_compute(const cvo_nps_group *a, const cvo_nps_group *b,
                                        cvo_nps_difference *out);

typedef enum cvo_nps_dimension {
    CVO_NPS_BY_STAGE = 0,   /* pre_delivery, post_delivery, then unknown when any */
    CVO_NPS_BY_SEGMENT = 1, /* scheme order, then "(not a customer)" when any */
    CVO_NPS_BY_COUNTRY = 2, /* most responses first, then by name */
    CVO_NPS_BY_MONTH = 3,   /* of the response, ascending */
    CVO_NPS_BY_PRODUCT = 4, /* products of the joined order ("Name (SKU)"), most responses
                               first; a response counts once for each distinct product */
    CVO_NPS_BY_CATEGORY = 5, /* categories of the joined order's products, likewise */
    CVO_NPS_BY__COUNT = 6
} cvo_nps_dimension;

/* A frequent word or two-word phrase of the comments of one class. */
typedef struct cvo_nps_term {
    const char *text;
    uint64_t count;
} cvo_nps_term;

#define CVO_NPS_TOP_TERMS 10

typedef struct cvo_nps cvo_nps;

/* Reads the responses of options->path, joins and tallies them. Comments are
 * split into words of letters (non-ASCII UTF-8 letters included; ASCII and
 * Latin-1 upper case lowered; apostrophes kept inside words), English stop
 * words dropped; phrases are two adjacent words that are neither stop words.
 * Errors: CVO_ERR_IO, CVO_ERR_FORMAT (no header, or a needed column missing:
 * the message names them), CVO_ERR_ARGUMENT (bad column_map), CVO_ERR_EMPTY (no
 * usable response, and none left out as later than before_day: only later ones
 * give an empty result), CVO_ERR_NOMEM, or what on_reject returned. stats may
 * be NULL. */
CVO_API CVO_NODISCARD cvo_status cvo_nps_load(cvo_ctx *ctx, const cvo_nps_options *options,
                                              cvo_nps **out, cvo_nps_stats *stats);
CVO_API const cvo_nps_stats *cvo_nps_load_stats(const cvo_nps *nps);
CVO_API const cvo_nps_group *cvo_nps_overall(const cvo_nps *nps);
CVO_API const cvo_nps_group *cvo_nps_by_stage(const cvo_nps *nps, cvo_nps_stage stage);
/* post_delivery - pre_delivery. */
CVO_API const cvo_nps_difference *cvo_nps_stage_difference(const cvo_nps *nps);
CVO_API const cvo_nps_group *cvo_nps_groups(const cvo_nps *nps, cvo_nps_dimension dimension,
                                            size_t *count);
/* The most frequent words (phrases false) or phrases of a class's comments,
 * most frequent first, ties by text; at most CVO_NPS_TOP_TERMS. */
CVO_API const cvo_nps_term *cvo_nps_top_terms(const cvo_nps *nps, cvo_nps_class nps_class,
                                              bool phrases, size_t *count);
/* The same for the comments of the customers in one segment (index as in
 * cvo_nps_groups(CVO_NPS_BY_SEGMENT): the scheme's segments, then "(not a
 * customer)"), all classes together. NULL with *count 0 out of range. */
CVO_API const cvo_nps_term *cvo_nps_segment_terms(const cvo_nps *nps, size_t segment,
                                                  bool phrases, size_t *count);
/* The score of customer index's latest response (latest day, then the later
 * line), or -1 when none (or index out of range). */
CVO_API int cvo_nps_customer_last(const cvo_nps *nps, size_t index);
/* The day and the comment of that latest response (INT32_MIN and "" without one). */
CVO_API int32_t cvo_nps_customer_last_day(const cvo_nps *nps, size_t index);
CVO_API const char *cvo_nps_customer_last_comment(const cvo_nps *nps, size_t index);
CVO_API void cvo_nps_free(cvo_nps *nps);

/* ---- the main job: analysis ---------------------------------------------------- */

/* List memberships of a customer (bits of cvo_customer_result.lists). */
enum {
    CVO_LIST_EXCLUDE = 1u << 0,     /* stop mailing: worst cell, or lapsed and low value */
    CVO_LIST_NO_DISCOUNT = 1u << 1, /* a discount would be wasted: cvo_no_discount_reason */
    CVO_LIST_WINBACK = 1u << 2,     /* about to lapse: win-back date within the window */
    CVO_LIST_VIP = 1u << 3,         /* top predicted value */
    CVO_LIST_REFERRAL = 1u << 4,    /* top segments, recent, active, or promoters;
                                       never a detractor (latest NPS response) */
    CVO_LIST_INTERVIEW = 1u << 5,   /* the stratified sample for jobs-to-be-done interviews */
    CVO_LIST_WINBACK_DUE = 1u << 6  /* win-back date has come (Klaviyo event) */
};
#define CVO_LIST_COUNT 7
/* The lists that are treatments, so can be experiments with a holdout
 * (exclude, interview and the loyalty tiers are not). */
#define CVO_TREATMENT_LISTS (CVO_LIST_NO_DISCOUNT | CVO_LIST_WINBACK | CVO_LIST_VIP | CVO_LIST_REFERRAL)

/* "exclude", "no-discount", "winback", "vip", "referral", "interview", "winback-due". */
CVO_API const char *cvo_list_name(unsigned list_bit);

typedef enum cvo_churn_risk { CVO_CHURN_LOW = 0, CVO_CHURN_MEDIUM = 1, CVO_CHURN_HIGH = 2 } cvo_churn_risk;

/* What the analysis says of one customer (index as in the customer table). */
typedef struct cvo_customer_result {
    double p_alive;          /* NaN when no model could be fitted */
    double expected_orders;  /* over the horizon */
    double predicted_clv;    /* currency units over the horizon, discounted */
    double expected_spend;   /* per order */
    double prob_purchase;    /* at least one order within the horizon */
    cvo_churn_risk churn_risk;
    int32_t next_order_day;  /* INT32_MIN when beyond the horizon or unknown */
    int32_t winback_day;     /* INT32_MIN when none */
    uint8_t tier;            /* loyalty tier index (cvo_analysis_tier_name) */
    uint32_t lists;          /* CVO_LIST_* bits */
    uint8_t consent;         /* CVO_CONSENT_*: marketing consent (cvo_customers_consent) */
    bool left_out;           /* no consent and [klaviyo] push_without_consent false: on no
                                list, in no Klaviyo file */
    uint32_t holdout;        /* CVO_LIST_* bits of the experiments' lists the customer is
                                held out of: their bit is clear in lists (they get no
                                action), set here (cvo_analysis_hold_out) */
} cvo_customer_result;

typedef struct cvo_analysis cvo_analysis;

/* Runs the whole job on a table loaded with keep_orders: RFM and segments,
 * BG/NBD + Gamma-Gamma fits and predictions over the configured horizon, a
 * backtest whose calibration is all but the last quarter of the history, churn
 * risk, next-order and win-back dates, profit (cvo_analysis_profit), loyalty
 * tiers and the lists. When the data cannot support a model, model figures are
 * NaN, cvo_analysis_model_note says why in plain words, and everything else
 * still runs. stats (may be NULL) is kept for the data-quality section.
 * Errors: CVO_ERR_ARGUMENT (no orders kept, bad config), CVO_ERR_CONFIG (a bad
 * [profit] acquisition_cost item), CVO_ERR_EMPTY, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_analyze(cvo_ctx *ctx, const cvo_customers *customers,
                                             const cvo_load_stats *stats,
                                             const cvo_config *config, cvo_analysis **out);
/* cvo_analyze with NPS answers (nps NULL: none; cvo_analyze is this with NULL).
 * The responses are read after scoring, so nps->customers, rfm, scheme and
 * min_group are ignored: the analysis joins them to its own table and scheme,
 * with [nps] min_group. The lists then hear them: a customer whose latest
 * response is a promoter in a top segment joins the referral list, one whose
 * latest response is a detractor leaves it. Errors: those of cvo_analyze and
 * of cvo_nps_load (nps->on_reject sees every rejected response). */
CVO_API CVO_NODISCARD cvo_status cvo_analyze_nps(cvo_ctx *ctx, const cvo_customers *customers,
                                                 const cvo_load_stats *stats,
                                                 const cvo_config *config,
                                                 const cvo_nps_options *nps, cvo_analysis **out);
CVO_API const cvo_customers *cvo_analysis_customers(const cvo_analysis *analysis);
CVO_API const cvo_customer_result *cvo_analysis_results(const cvo_analysis *analysis);
CVO_API const cvo_rfm *cvo_analysis_rfm(const cvo_analysis *analysis);
CVO_API const cvo_scheme *cvo_analysis_scheme(const cvo_analysis *analysis);
CVO_API const cvo_config *cvo_analysis_config(const cvo_analysis *analysis);
/* Segment table (cvo_scheme_segment_count rows). */
CVO_API const cvo_segment_row *cvo_analysis_segments(const cvo_analysis *analysis);
CVO_API const cvo_load_stats *cvo_analysis_load_stats(const cvo_analysis *analysis);
CVO_API int32_t cvo_analysis_as_of(const cvo_analysis *analysis);
/* Whether the purchase and spend models could be fitted; the note says why
 * not (or is "" when they were). */
CVO_API bool cvo_analysis_model_ok(const cvo_analysis *analysis);
CVO_API const char *cvo_analysis_model_note(const cvo_analysis *analysis);
CVO_API const cvo_fit *cvo_analysis_purchase_fit(const cvo_analysis *analysis);
CVO_API const cvo_fit *cvo_analysis_spend_fit(const cvo_analysis *analysis);
/* Profit per customer and segment (cvo_profit_compute with the analysis' own
 * expected orders); owned by the analysis, freed with it. */
CVO_API const cvo_profit *cvo_analysis_profit(const cvo_analysis *analysis);
/* The NPS responses given to cvo_analyze_nps (their tallies, load statistics
 * and each customer's latest score), or NULL when none were given; owned by
 * the analysis, freed with it. */
CVO_API const cvo_nps *cvo_analysis_nps(const cvo_analysis *analysis);
/* Customer index's expected profit over the horizon if every future order
 * carried [lists] standard_discount: (predicted margin per order - discount x
 * mean order value) x expected orders, rounded to the cent, into *cents.
 * False (and 0) when there is no prediction or index is out of range. */
CVO_API bool cvo_analysis_profit_after_discount(const cvo_analysis *analysis, size_t index,
                                                int64_t *cents);
/* Why customer index is on the no-discount list, tried in this order. */
typedef enum cvo_no_discount_reason {
    CVO_NO_DISCOUNT_NONE = 0,
    CVO_NO_DISCOUNT_LOST = 1,         /* P(alive) below no_discount_lost_p_alive */
    CVO_NO_DISCOUNT_UNPROFITABLE = 2, /* expected profit after the standard discount < 0 */
    CVO_NO_DISCOUNT_FULL_PRICE = 3    /* top segment, no order with a code, P(alive) at
                                         least no_discount_min_p_alive */
} cvo_no_discount_reason;
CVO_API cvo_no_discount_reason cvo_analysis_no_discount_reason(const cvo_analysis *analysis,
                                                               size_t index);
/* The backtest, or NULL when it could not run (cvo_analysis_backtest_note says why). */
CVO_API const cvo_backtest *cvo_analysis_backtest(const cvo_analysis *analysis);
CVO_API const char *cvo_analysis_backtest_note(const cvo_analysis *analysis);
/* The candidates fitted and backtested on the calibration part and the choice
 * among them (chosen -1 when none could be backtested: the purchase model is
 * then [model] purchase_model, or BG/NBD for auto), or NULL before it ran.
 * Owned by the analysis. */
CVO_API const cvo_model_choice *cvo_analysis_model_choice(const cvo_analysis *analysis);
/* Gamma-Gamma's backtest on the same calibration part and its assumption check,
 * or NULL when it could not be fitted there. Owned by the analysis. */
CVO_API const cvo_spend_backtest *cvo_analysis_spend_backtest(const cvo_analysis *analysis);
/* The seasonal index of the whole history (the predictions') or, with
 * backtest, of the backtest's calibration part; inactive, with its note, when
 * none was used. Owned by the analysis. */
CVO_API const cvo_season *cvo_analysis_season(const cvo_analysis *analysis, bool backtest);
CVO_API int32_t cvo_analysis_calibration_end(const cvo_analysis *analysis);
CVO_API size_t cvo_analysis_tier_count(const cvo_analysis *analysis);
CVO_API const char *cvo_analysis_tier_name(const cvo_analysis *analysis, size_t tier);
CVO_API void cvo_analysis_free(cvo_analysis *analysis);

/* ---- outputs of an analysis ------------------------------------------------------
 * Writers put bytes on streams the caller opened (the command writes each file
 * to a temporary name and renames it when complete). Every CSV cell that would
 * start with = + - @ TAB or CR is quoted with a leading ' (OWASP), emails and
 * product names included. Errors: CVO_ERR_WRITE when a write fails (the message
 * has the system's reason; the caller knows the stream's name), CVO_ERR_NOMEM. */

/* customers.csv: the cvo rfm columns, then p_alive, expected_orders,
 * predicted_clv, churn_risk, next_order_date, winback_date, the profit
 * columns, one 0/1 column per list, holdout (the lists whose experiment holds
 * the customer out, joined by ';'), loyalty_tier, and last nps_last (the
 * latest response's score) and nps_class, both empty without a response. */
CVO_API CVO_NODISCARD cvo_status cvo_write_customers_csv(cvo_ctx *ctx, const cvo_analysis *a,
                                                         FILE *out);
/* summary.json: counts, revenue, the segment table, model parameters, backtest,
 * profit, cohorts (null when there are none, else as_of and rows: cohort
 * "YYYY-MM", customers, last_complete, and arrays by month offset of
 * repeat_share, retention_share, revenue_per_customer, profit_per_customer),
 * and nps: null without answers, else responses, used, rejected,
 * joined_customers, overall and by_stage.pre_delivery / post_delivery (each
 * n, promoters, passives, detractors, nps, ci_low, ci_high, small),
 * post_minus_pre (or null), by_segment, by_product and by_category; and
 * drivers: per grouping of the deep dives (product, category, country,
 * discount, code, channel) the significant rows, the 20 most convincing
 * harmful then the 20 most helpful at most, each key, metric, customers,
 * value, rest, diff, ci_low, ci_high, q_value, direction. */
CVO_API CVO_NODISCARD cvo_status cvo_write_summary_json(cvo_ctx *ctx, const cvo_analysis *a,
                                                        FILE *out);
/* What one run of cvo analyze did, for cron and for summary.json. */
typedef struct cvo_run_summary {
    const char *run_id;  /* the run directory's name; NULL or "" before there is one */
    const char *status;  /* "ok", "rejects" (ok, some records rejected), "refused", "failed" */
    int exit_code;       /* the command's exit status */
    int32_t as_of_day;   /* INT32_MIN when not known */
    uint64_t records, used, rejected;  /* order records */
    uint64_t nps_records, nps_rejected; /* NPS answers */
    uint64_t customers, orders;
    int64_t revenue_cents;
    bool no_amounts;     /* a count-only log: revenue is written as null */
    uint64_t pushed;     /* profiles, events and tickets the pushes sent and had accepted */
    uint64_t skipped;    /* events and tickets not sent: accepted in an earlier run (the
                            ledger), or the customer had a cvo ticket within
                            [gorgias] max_answer_age_days */
    double duration_s;
    const char *reason;  /* why refused or failed; NULL or "" when neither */
    uint64_t not_counted; /* order records whose status does not count (issue 14):
                             records == used + not_counted + rejected */
} cvo_run_summary;

/* The run summary as one line: a JSON object and a newline. Errors:
 * CVO_ERR_ARGUMENT, CVO_ERR_WRITE, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_write_run_summary(cvo_ctx *ctx, const cvo_run_summary *run,
                                                       FILE *out);
/* summary.json with the run summary as its last member "run" (run NULL: none,
 * exactly cvo_write_summary_json). */
CVO_API CVO_NODISCARD cvo_status cvo_write_summary_json_run(cvo_ctx *ctx, const cvo_analysis *a,
                                                            const cvo_run_summary *run,
                                                            FILE *out);
/* report.html: one self-contained page with inline SVG charts. Its first
 * section, "This week", says every action of the run in a sentence with its
 * count and its file (the lists, klaviyo/events.jsonl, gorgias/tickets.jsonl);
 * its nps section is always there (a plain note when the analysis has no
 * answers). E-mail addresses are masked (j***@example.com) unless [report]
 * show_emails is true. */
CVO_API CVO_NODISCARD cvo_status cvo_write_report_html(cvo_ctx *ctx, const cvo_analysis *a,
                                                       FILE *out);
/* klaviyo/profiles.csv: Email first, then the CVO profile properties. */
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_profiles(cvo_ctx *ctx, const cvo_analysis *a,
                                                            FILE *out);
/* Opens / closes the stream of one numbered output file (bulk-import bodies). */
typedef cvo_status (*cvo_sink_open)(void *user_data, size_t index, FILE **out);
typedef cvo_status (*cvo_sink_close)(void *user_data, size_t index, FILE *out);
/* klaviyo/profile-bulk-import/NNNN.json: POST /api/profile-bulk-import-jobs
 * bodies (JSON:API), each at most 10,000 profiles and 5 MB. *jobs gets the count. */
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_bulk(cvo_ctx *ctx, const cvo_analysis *a,
                                                        cvo_sink_open open, cvo_sink_close close,
                                                        void *user_data, size_t *jobs);
/* klaviyo/events.jsonl: one POST /api/events body per line ("CVO Winback Due"). */
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_events(cvo_ctx *ctx, const cvo_analysis *a,
                                                          FILE *out);
/* gorgias/tickets.jsonl: one POST /api/tickets body per line for every customer
 * of a top segment ([segments] top) with an email whose latest answer in nps
 * (loaded with the analysis' customers) is a detractor (0-6): subject, customer
 * email, channel "email", via "api", tags cvo and vip-detractor, and a first
 * message that is an internal note (segment, predicted CLV, profit, orders, last
 * order, score, comment). Each line starts with its external_id, stable per
 * answer ("cvo-nps-<email>-..."), for a push ledger. Errors: CVO_ERR_ARGUMENT,
 * CVO_ERR_WRITE, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_write_gorgias_tickets(cvo_ctx *ctx, const cvo_analysis *a,
                                                           const cvo_nps *nps, FILE *out);
/* lists/<name>.csv: Email first, then the reason columns of that list. Members
 * held out by an experiment (cvo_analysis_hold_out) are not in it. */
CVO_API CVO_NODISCARD cvo_status cvo_write_list(cvo_ctx *ctx, const cvo_analysis *a,
                                                unsigned list_bit, FILE *out);
/* lists/<name>.holdout.csv: the same columns, for the members of the list's
 * experiment held out of it this run. Errors: CVO_ERR_ARGUMENT (not a
 * treatment list), CVO_ERR_WRITE, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_write_list_holdout(cvo_ctx *ctx, const cvo_analysis *a,
                                                        unsigned list_bit, FILE *out);
/* lists/loyalty-tiers.csv: Email, tier, segment, and what placed them there. */
CVO_API CVO_NODISCARD cvo_status cvo_write_loyalty_tiers(cvo_ctx *ctx, const cvo_analysis *a,
                                                         FILE *out);
/* cvo.xlsx (libxlsxwriter): the customer table and a sheet per list. */
CVO_API CVO_NODISCARD cvo_status cvo_write_xlsx(cvo_ctx *ctx, const cvo_analysis *a,
                                                const char *path);

/* ---- the output directory ---------------------------------------------------------
 * A run's files appear together or not at all. cvo_outdir_open locks DIR.lock
 * (flock; a second run is refused), removes runs left by killed runs and makes
 * a new run directory .NAME.cvo/runs/ID in DIR's parent; the caller writes every
 * file there, then cvo_outdir_publish makes DIR a symbolic link to it with one
 * rename (a real directory DIR left by an older cvo is swapped out and kept as
 * the previous run). The published run and the one before it are kept. */

typedef struct cvo_outdir cvo_outdir;

/* Opens the output directory path (created with its parents if missing);
 * now_unix names the run (the library keeps no clock). Errors: CVO_ERR_REFUSED
 * (another run holds the lock), CVO_ERR_ARGUMENT (path names no directory, or
 * is a symbolic link cvo did not make), CVO_ERR_WRITE, CVO_ERR_IO, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_outdir_open(cvo_ctx *ctx, const char *path, int64_t now_unix,
                                                 cvo_outdir **out);
/* Where this run's files go (the new run directory), its id, the absolute
 * path of DIR, of its lock file and of the state database kept beside it
 * (.NAME.cvo/state.db). Owned by o. */
CVO_API const char *cvo_outdir_run_path(const cvo_outdir *o);
CVO_API const char *cvo_outdir_run_id(const cvo_outdir *o);
CVO_API const char *cvo_outdir_link_path(const cvo_outdir *o);
CVO_API const char *cvo_outdir_lock_path(const cvo_outdir *o);
CVO_API const char *cvo_outdir_state_path(const cvo_outdir *o);
/* After a publish that swapped out a real directory DIR: where its contents
 * went (kept as the previous run); NULL otherwise. */
CVO_API const char *cvo_outdir_replaced_directory(const cvo_outdir *o);
/* Publishes the run: DIR points at its directory from now on. sync: first
 * fsync every file and directory of the run, then the parent after the switch.
 * Errors: CVO_ERR_WRITE, CVO_ERR_ARGUMENT (published already). */
CVO_API CVO_NODISCARD cvo_status cvo_outdir_publish(cvo_outdir *o, bool sync);
/* Removes the run kept from before the published one (*dropped says whether
 * there was one): cvo forget leaves no copy of a forgotten customer but the
 * published outputs, which the next run replaces. Errors: CVO_ERR_WRITE. */
CVO_API CVO_NODISCARD cvo_status cvo_outdir_drop_previous(cvo_outdir *o, bool *dropped);
/* Releases the lock; an unpublished run directory is removed. */
CVO_API void cvo_outdir_free(cvo_outdir *o);

/* ---- cohorts ----------------------------------------------------------------------
 * Customers grouped by the calendar month of their first counted order (their
 * cohort) and followed month by month: offset k = 0 is that month, k = 1 the
 * next calendar month, and so on. Only orders before the as-of day count; a
 * cohort has a cell for every month that begins before the as-of day, so the
 * last cell of every cohort is the month of the day before as-of (complete
 * false unless that day is the month's last); later months are absent.
 * A repeat order is a counted order on a day after the customer's first order
 * day: a second order on the first day is part of the first purchase, as in the
 * BTYD summaries; so month 0's repeats are orders later in the first month.
 * Money: cohort totals are exact cents; per-customer means are cents as double
 * (total / cohort customers, not rounded). Profit is the orders' contribution
 * margins (as cvo_profit_compute: net - cogs - shipping - fee) minus the
 * acquisition cost, which is charged in month 0. */

typedef struct cvo_cohort_cell {
    uint64_t repeat_customers;   /* customers with a repeat order in this month */
    uint64_t retained_customers; /* customers with a repeat order in months 0..k */
    double repeat_share;         /* repeat_customers / cohort customers */
    double retention_share;      /* retained_customers / cohort customers */
    int64_t revenue_cents;       /* net revenue (cvo_order.net_cents) of months 0..k */
    int64_t profit_cents;        /* margins of months 0..k - acquisition costs */
    double revenue_per_customer; /* cents: revenue_cents / cohort customers */
    double profit_per_customer;  /* cents: profit_cents / cohort customers */
    bool complete;               /* the month ended before the as-of day */
} cvo_cohort_cell;

typedef struct cvo_cohort {
    int year, month;             /* the first-order month (month 1..12) */
    uint64_t customers;          /* cohort size (> 0: empty months have no cohort) */
    size_t months;               /* cells for offsets 0 .. months-1 */
    const cvo_cohort_cell *cells;
} cvo_cohort;

typedef struct cvo_cohorts cvo_cohorts;

/* The cohorts of a table loaded with keep_orders, oldest first, as of
 * as_of_day (INT32_MIN: the day after the last order); profit under config's
 * [profit] keys (config NULL: the defaults). *out is the caller's
 * (cvo_cohorts_free). Errors: CVO_ERR_ARGUMENT (no orders kept), CVO_ERR_EMPTY
 * (no order before as_of_day), CVO_ERR_CONFIG (a bad [profit]
 * acquisition_cost item), CVO_ERR_LIMIT (more cells than the library's cap:
 * the orders span too many months), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_cohorts_compute(cvo_ctx *ctx, const cvo_customers *customers,
                                                     const cvo_config *config, int32_t as_of_day,
                                                     cvo_cohorts **out);
CVO_API size_t cvo_cohorts_count(const cvo_cohorts *cohorts);
/* Cohort index (0 = oldest); NULL when out of range. */
CVO_API const cvo_cohort *cvo_cohorts_at(const cvo_cohorts *cohorts, size_t index);
/* The cell of cohort index at month offset; NULL when absent (after the as-of). */
CVO_API const cvo_cohort_cell *cvo_cohorts_cell(const cvo_cohorts *cohorts, size_t index,
                                                size_t offset);
/* The most cells of any cohort (the oldest cohort's months). */
CVO_API size_t cvo_cohorts_max_months(const cvo_cohorts *cohorts);
CVO_API int32_t cvo_cohorts_as_of(const cvo_cohorts *cohorts);
CVO_API void cvo_cohorts_free(cvo_cohorts *cohorts);
/* The analysis' cohorts (as of its as-of day); NULL when they could not be
 * computed (the orders span too many months). Owned by the analysis. */
CVO_API const cvo_cohorts *cvo_analysis_cohorts(const cvo_analysis *analysis);

/* ---- history ----------------------------------------------------------------------
 * Snapshots of analyses in an SQLite file (schema: docs/history.md), and the
 * migration of customers between two snapshots (segment then x segment now).
 * Customers are matched by customer_id, else by email. */

typedef struct cvo_history cvo_history;

/* Opens (creating when missing) the history database at path and sets up or
 * checks its schema (PRAGMA user_version). Errors: CVO_ERR_IO (cannot open,
 * not a database), CVO_ERR_FORMAT (a newer or foreign schema), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_open(cvo_ctx *ctx, const char *path,
                                                  cvo_history **out);
CVO_API void cvo_history_close(cvo_history *history);

typedef struct cvo_history_record_options {
    int64_t created_unix; /* when the snapshot was made (seconds since 1970, UTC): the
                             library keeps no clock */
    /* Called inside the transaction once every row is written, before the commit
     * (tests kill the process here); NULL: none. */
    void (*before_commit)(void *user_data);
    void *user_data;
} cvo_history_record_options;

/* Records a snapshot of the analysis as of cvo_analysis_as_of(a): one snapshot
 * row and one row per customer (ids, R/F/M values and scores, segment, top
 * flag, CLV, P(alive), profit), in one transaction. A snapshot of the same
 * as-of day is replaced (deleted and inserted in that transaction). The previous
 * segment and the day the segment changed are carried forward from the latest
 * snapshot before this as-of day. A failure or crash leaves the file as it was.
 * Errors: CVO_ERR_WRITE (the disk is full or the file read-only), CVO_ERR_IO
 * (SQLite failed otherwise: the message has its text), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_record(cvo_history *history, const cvo_analysis *a,
                                                    const cvo_history_record_options *options);

/* One snapshot in the database. */
typedef struct cvo_snapshot_info {
    int32_t as_of_day;
    int64_t created_unix;
    uint64_t customers;
    int64_t revenue_cents; /* net revenue to date of its customers */
    char version[16];      /* cvo version that recorded it */
} cvo_snapshot_info;

/* The snapshots by as-of day, into *snapshots (owned by history, valid until the
 * next call or close) and *count. Errors: CVO_ERR_IO, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_snapshots(cvo_history *history,
                                                       const cvo_snapshot_info **snapshots,
                                                       size_t *count);

/* ---- runs: outputs and history that never disagree ------------------------------
 * cvo analyze writes every run into a new directory and publishes it by switching
 * a symbolic link (cvo_outdir). Its snapshot is first written as pending, tied to
 * the run; once the link points at the run's directory the run is committed and
 * the snapshot replaces the committed one of its day. A run killed in between is
 * settled when the database is next opened: committed if its directory was
 * published, else abandoned (its snapshot deleted). */

typedef struct cvo_run_record {
    const char *run_id;    /* unique: the name of the run's directory */
    const char *output;    /* the published link (absolute path) */
    const char *run_dir;   /* the directory the link will point to (absolute path) */
    const char *lock_path; /* the output's lock file, held while the run is alive */
    int64_t created_unix;  /* when the run started (the library keeps no clock) */
    int32_t as_of_day;
    uint64_t records;  /* order records read */
    uint64_t rejected; /* of them rejected */
    uint64_t customers;
    uint64_t orders;
    int64_t revenue_cents;
} cvo_run_record;

/* Records run as pending, with the pending snapshot of a (NULL: the run only,
 * no snapshot), in one transaction. Errors: CVO_ERR_ARGUMENT (a field missing,
 * the run id used before), CVO_ERR_IO, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_begin_run(cvo_history *history,
                                                       const cvo_run_record *run,
                                                       const cvo_analysis *a,
                                                       const cvo_history_record_options *options);
/* Commits the pending run run_id and its snapshot, in one transaction. A run
 * already committed (by a concurrent reconcile) is success. Errors:
 * CVO_ERR_ARGUMENT (no such run, or abandoned), CVO_ERR_IO. */
CVO_API CVO_NODISCARD cvo_status cvo_history_commit_run(cvo_history *history, const char *run_id);
/* Settles the pending runs of output (NULL: of every output) whose lock is
 * free: committed when the output link points at the run's directory, else
 * abandoned. With output given, the caller holds that output's lock, so its
 * runs are settled whatever the lock says. cvo_history_open settles those of
 * every output. Errors: CVO_ERR_IO. */
CVO_API CVO_NODISCARD cvo_status cvo_history_reconcile(cvo_history *history, const char *output);

/* A committed run as the history keeps it. */
typedef struct cvo_run_info {
    char run_id[64];
    int32_t as_of_day;
    int64_t created_unix;
    uint64_t records, rejected, customers, orders;
    int64_t revenue_cents;
} cvo_run_info;

/* The latest committed run into output (*found false when none). Errors:
 * CVO_ERR_IO. */
CVO_API CVO_NODISCARD cvo_status cvo_history_last_run(cvo_history *history, const char *output,
                                                      cvo_run_info *out, bool *found);
/* The drop guard: compares now (customers, orders, revenue_cents) with the last
 * committed run into output, or without one the latest snapshot. Returns
 * CVO_ERR_REFUSED, the message naming the figure, when one fell by more than
 * max_drop (a share from 0 to 1) - a truncated export has no rejected rows;
 * CVO_OK when none did or there is nothing to compare with. Errors also:
 * CVO_ERR_ARGUMENT, CVO_ERR_IO. */
CVO_API CVO_NODISCARD cvo_status cvo_history_drop_check(cvo_history *history, const char *output,
                                                        const cvo_run_record *now,
                                                        double max_drop);
/* Stores the run's one-line JSON summary (after its pushes). Errors:
 * CVO_ERR_ARGUMENT (no such run), CVO_ERR_IO. */
CVO_API CVO_NODISCARD cvo_status cvo_history_set_run_summary(cvo_history *history,
                                                             const char *run_id,
                                                             const char *json);

/* ---- trend: segment sizes and revenue over the last snapshots ----------------------
 * From the snapshot_segments table, oldest snapshot first. Segments are matched
 * by name: the latest snapshot's segments in its scheme order, then any segment
 * only an older snapshot had; a segment a snapshot lacks counts 0 there. */

typedef struct cvo_trend cvo_trend;

/* One segment in one snapshot: its customers and their net revenue to date. */
typedef struct cvo_trend_cell {
    uint64_t customers;
    int64_t revenue_cents;
} cvo_trend_cell;

/* The latest max_snapshots snapshots (1 .. 1000; fewer when the database holds
 * fewer, none for an empty one) into *out, the caller's (cvo_trend_free).
 * Errors: CVO_ERR_ARGUMENT (max_snapshots out of range), CVO_ERR_IO (SQLite
 * failed), CVO_ERR_FORMAT (a snapshot with a bad date), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_trend(cvo_history *history, size_t max_snapshots,
                                                   cvo_trend **out);
CVO_API size_t cvo_trend_snapshot_count(const cvo_trend *trend);
/* The as-of day of snapshot (0 = oldest); INT32_MIN when out of range. */
CVO_API int32_t cvo_trend_day(const cvo_trend *trend, size_t snapshot);
CVO_API size_t cvo_trend_segment_count(const cvo_trend *trend);
/* A segment's name ("" when out of range); owned by the trend. */
CVO_API const char *cvo_trend_segment_name(const cvo_trend *trend, size_t segment);
/* The cell (snapshot, segment); NULL when out of range. */
CVO_API const cvo_trend_cell *cvo_trend_cell_at(const cvo_trend *trend, size_t snapshot,
                                                size_t segment);
CVO_API void cvo_trend_free(cvo_trend *trend);

typedef struct cvo_migration cvo_migration;

/* Totals of a migration. in_both = the sum of every matrix cell's customers. */
typedef struct cvo_migration_totals {
    uint64_t in_both;         /* customers in both snapshots */
    uint64_t new_customers;   /* only in the later one */
    uint64_t gone_customers;  /* only in the earlier one */
    uint64_t changed_segment; /* in both, segment differs */
    uint64_t r_dropped;       /* in both, R score lower now */
    uint64_t entered_top;     /* in both, not in a top segment then, in one now */
    uint64_t left_top;        /* in both, in a top segment then, not now */
} cvo_migration_totals;

/* One cell of the matrix: customers that were in segment then and are in
 * segment now, and their net revenue to date now. */
typedef struct cvo_migration_cell {
    uint64_t customers;
    int64_t revenue_cents;
} cvo_migration_cell;

/* What the migration says of one customer of the analysis (index as in its
 * customer table). previous_segment: the segment held before the current one
 * (carried over every snapshot), NULL when the customer never had another;
 * segment_changed_day: the as-of day when the current segment began after a
 * different one (INT32_MIN with previous_segment NULL). */
typedef struct cvo_migration_customer {
    const char *previous_segment;
    int32_t segment_changed_day;
    uint8_t previous_r; /* R score in the previous snapshot; 0 when not in it */
    const char *then_segment; /* segment in the previous snapshot; NULL when not in it */
    bool segment_changed;     /* then_segment differs from the segment now */
    bool r_dropped, entered_top, left_top;
} cvo_migration_customer;

/* The migration from the latest snapshot before the analysis' as-of day to the
 * analysis (call before recording it). Always an object: without a previous
 * snapshot cvo_migration_has_previous is false and all counts are 0, but the
 * per-customer rows still carry nothing. Errors: CVO_ERR_IO, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_migration_from_analysis(cvo_history *history,
                                                             const cvo_analysis *a,
                                                             cvo_migration **out);
/* The migration between the snapshots of from_day and to_day (from_day <
 * to_day). INT32_MIN for to_day: the latest snapshot; for from_day: the latest
 * before to_day. Errors: CVO_ERR_ARGUMENT (no such snapshot, or fewer than
 * two), CVO_ERR_IO, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_migration_between(cvo_history *history, int32_t from_day,
                                                       int32_t to_day, cvo_migration **out);
CVO_API bool cvo_migration_has_previous(const cvo_migration *m);
CVO_API int32_t cvo_migration_from_day(const cvo_migration *m); /* INT32_MIN without one */
CVO_API int32_t cvo_migration_to_day(const cvo_migration *m);
/* Segments of the matrix (the later snapshot's scheme order, then any segment
 * only the earlier one had). */
CVO_API size_t cvo_migration_segment_count(const cvo_migration *m);
CVO_API const char *cvo_migration_segment_name(const cvo_migration *m, size_t segment);
/* Whether anyone was in the segment then or is in it now (the rows and columns
 * worth showing). */
CVO_API bool cvo_migration_segment_used(const cvo_migration *m, size_t segment);
/* The cell (then, now); NULL when out of range. */
CVO_API const cvo_migration_cell *cvo_migration_cell_at(const cvo_migration *m, size_t then,
                                                        size_t now);
CVO_API const cvo_migration_totals *cvo_migration_overall(const cvo_migration *m);
/* Per customer of the analysis (cvo_migration_from_analysis); NULL for a
 * migration between two snapshots. *count gets the row count. */
CVO_API const cvo_migration_customer *cvo_migration_customers(const cvo_migration *m,
                                                              size_t *count);
CVO_API void cvo_migration_free(cvo_migration *m);

/* The writers with the migration (NULL: exactly the writers above). Profiles
 * gain "CVO Previous Segment" and "CVO Segment Changed At"; events gain "CVO
 * Segment Changed" (old and new segment, as-of) and "CVO Recency Dropped" (old
 * and new R); the report gains its "Segment migration" section. */
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_profiles_migration(cvo_ctx *ctx,
                                                                      const cvo_analysis *a,
                                                                      const cvo_migration *m,
                                                                      FILE *out);
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_bulk_migration(
    cvo_ctx *ctx, const cvo_analysis *a, const cvo_migration *m, cvo_sink_open open,
    cvo_sink_close close, void *user_data, size_t *jobs);
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_events_migration(cvo_ctx *ctx,
                                                                    const cvo_analysis *a,
                                                                    const cvo_migration *m,
                                                                    FILE *out);
CVO_API CVO_NODISCARD cvo_status cvo_write_report_html_migration(cvo_ctx *ctx,
                                                                 const cvo_analysis *a,
                                                                 const cvo_migration *m,
                                                                 FILE *out);

/* What report.html shows beside the analysis; NULL members: that part is left out. */
typedef struct cvo_report_options {
    /* cvo_migration_from_analysis of the analysis: the "Segment migration"
     * section and the movers of "This week" (NULL: the report says movers need
     * a history database) */
    const cvo_migration *migration;
    /* cvo_history_trend: the "Segments over time" section, its snapshots before
     * the analysis' as-of day followed by the analysis itself */
    const cvo_trend *trend;
} cvo_report_options;

/* Every member NULL. */
CVO_API void cvo_report_options_init(cvo_report_options *options);
/* report.html as cvo_write_report_html, with what options adds (options NULL:
 * nothing added). The report does not keep the options; the caller still owns
 * the migration and the trend. Errors: as cvo_write_report_html. */
CVO_API CVO_NODISCARD cvo_status cvo_write_report_html_options(cvo_ctx *ctx,
                                                               const cvo_analysis *a,
                                                               const cvo_report_options *options,
                                                               FILE *out);

/* lists/movers.csv: Email, customer_id, segment_then, segment_now, r_then,
 * r_now, segment_changed, r_dropped, entered_top, left_top (0/1) and
 * segment_changed_at, one row per customer of the analysis who moved since
 * the previous snapshot (any of the four flags); only the header without one.
 * m must come from cvo_migration_from_analysis of a. Errors:
 * CVO_ERR_ARGUMENT, CVO_ERR_WRITE, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_write_movers(cvo_ctx *ctx, const cvo_analysis *a,
                                                  const cvo_migration *m, FILE *out);

/* ---- Klaviyo and Gorgias: keyed identifiers and the writers' options ---------------
 * Identifiers cvo sends (event unique_id, ticket external_id) and the keys of its
 * ledgers are keyed hashes (HMAC-SHA-256) of the customer key, never an e-mail. */

/* The secret key of the keyed identifiers. */
typedef struct cvo_id_key {
    uint8_t bytes[32];
} cvo_id_key;

/* The key: the SHA-256 of [privacy] id_key when config sets it (config may be
 * NULL), else the key kept in the state database (a cvo_history), created from
 * 32 random bytes on first use and never changed. state may be NULL when the
 * config sets the key. Errors: CVO_ERR_ARGUMENT (neither), CVO_ERR_IO (SQLite),
 * CVO_ERR_INTERNAL (no random bytes). */
CVO_API CVO_NODISCARD cvo_status cvo_id_key_load(cvo_ctx *ctx, cvo_history *state,
                                                 const cvo_config *config, cvo_id_key *out);

/* ---- erasure ------------------------------------------------------------------------
 * cvo forget: a customer removed from the history on request (GDPR art. 17). */

typedef struct cvo_forget_result {
    size_t matched;         /* identifiers given that matched customers of the snapshots */
    uint64_t snapshot_rows; /* customer rows removed from the snapshots */
    uint64_t ledger_rows;   /* push-ledger, Klaviyo-state and experiment-member rows removed */
    size_t suppressed;      /* new suppression entries (keyed hashes of ids and e-mails) */
} cvo_forget_result;

/* Forgets the customers named in who[0..count) (a customer id, or an e-mail,
 * matched after trimming and, for an e-mail, lower-casing): removes their rows
 * from every snapshot, lowering each snapshot's and segment's customers,
 * orders and revenue to match; removes their push-ledger entries and Klaviyo
 * property state; and records a suppression entry for each of their ids and
 * e-mails (and for the identifier given, known or not), keyed with key
 * (cvo_id_key_load), so no identifier is kept in the clear. One transaction,
 * with SQLite's secure_delete on. now_unix stamps the entries. Errors:
 * CVO_ERR_ARGUMENT (an empty identifier), CVO_ERR_IO, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_forget(cvo_history *history, const cvo_id_key *key,
                                                    const char *const *who, size_t count,
                                                    int64_t now_unix, cvo_forget_result *out);
/* drop[i] (room for every customer) is set for each customer of the table
 * whose id or e-mail was forgotten; *dropped counts them. Cheap when nobody
 * was: no hash is computed. Errors: CVO_ERR_ARGUMENT, CVO_ERR_IO, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_forgotten(cvo_history *history,
                                                       const cvo_id_key *key,
                                                       const cvo_customers *customers, bool *drop,
                                                       size_t *dropped);


/* Whether to leave customer index of the analysis out of every Klaviyo and
 * Gorgias output (consent, erasure); true leaves it out. */
typedef bool (*cvo_customer_filter)(void *user_data, const cvo_analysis *a, size_t index);

typedef struct cvo_export_options {
    const cvo_migration *migration; /* NULL: no migration properties or events */
    const cvo_id_key *id_key;       /* NULL: an all-zero key (identifiers stable but
                                       guessable; the command always passes one) */
    cvo_customer_filter leave_out;  /* NULL: nobody is left out */
    void *leave_out_data;
} cvo_export_options;

/* All NULL. */
CVO_API void cvo_export_options_init(cvo_export_options *options);

/* The Klaviyo and Gorgias writers with options (NULL: the defaults); the ones
 * above are these with the defaults (and the migration for the _migration ones).
 * Profiles carry every list as a boolean on every run ("CVO Exclude", "CVO
 * Winback", "CVO VIP", "CVO Referral", "CVO Interview", "CVO No Discount"; "CVO
 * Discount Eligible", its inverse, is deprecated and kept one release) and "CVO
 * Loyalty Tier"; "CVO Winback Date" only for customers on the win-back list.
 * Events' unique_id is "cvo-<kind>-" and the keyed hash of the customer key and
 * the customer's last order day (one per customer and purchase cycle), the
 * segment or R score for the migration events. Tickets: see gorgias_ticket_due
 * in docs; external_id "cvo-nps-<keyed customer>-<answer day YYYYMMDD>". */
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_profiles_with(cvo_ctx *ctx,
                                                                 const cvo_analysis *a,
                                                                 const cvo_export_options *options,
                                                                 FILE *out);
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_bulk_with(
    cvo_ctx *ctx, const cvo_analysis *a, const cvo_export_options *options, cvo_sink_open open,
    cvo_sink_close close, void *user_data, size_t *jobs);
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_events_with(cvo_ctx *ctx,
                                                               const cvo_analysis *a,
                                                               const cvo_export_options *options,
                                                               FILE *out);
/* klaviyo/withdrawn.jsonl: one line per customer with an e-mail left out of the
 * Klaviyo files (no marketing consent, or options' leave_out):
 * {"type":"profile","attributes":{"email":...,"external_id":...}}. The push
 * removes every cvo property the last push gave them (cvo_klaviyo_push). */
CVO_API CVO_NODISCARD cvo_status cvo_write_klaviyo_withdrawn(cvo_ctx *ctx, const cvo_analysis *a,
                                                             const cvo_export_options *options,
                                                             FILE *out);
CVO_API CVO_NODISCARD cvo_status cvo_write_gorgias_tickets_with(cvo_ctx *ctx,
                                                                const cvo_analysis *a,
                                                                const cvo_nps *nps,
                                                                const cvo_export_options *options,
                                                                FILE *out);

/* ---- pushing to Klaviyo and Gorgias ------------------------------------------------
 * The clients send the files cvo analyze wrote (DIR/klaviyo, DIR/gorgias) through a
 * transport the caller gives: libcurl (cvo_transport_curl_open) or a test double.
 * They pace requests under each service's limits, retry what is safe to retry,
 * and keep ledgers in the state database so nothing is sent twice. */

/* Why a request got no answer. */
typedef enum cvo_net_failure {
    CVO_NET_ANSWERED = 0, /* there is an answer (response.status) */
    CVO_NET_NOT_SENT = 1, /* no connection: nothing reached the server */
    CVO_NET_TIMEOUT = 2,  /* sent, no answer in time: the outcome is unknown */
    CVO_NET_BROKEN = 3    /* the connection broke after sending: the outcome is unknown */
} cvo_net_failure;

typedef struct cvo_http_request {
    const char *method;          /* "GET" or "POST" */
    const char *url;
    const char *const *headers;  /* "Name: value" lines */
    size_t header_count;
    const char *body;            /* NULL for none */
    size_t body_len;
    double timeout_s;            /* the whole exchange */
    double connect_timeout_s;
} cvo_http_request;

typedef struct cvo_http_response {
    long status;             /* the HTTP status; 0 without an answer */
    cvo_net_failure failure; /* CVO_NET_ANSWERED when status > 0 */
    char error[256];         /* the transport's words when there is no answer */
    double retry_after_s;    /* Retry-After in seconds; < 0 when absent */
    char rate_limit[64];     /* RateLimit-Remaining or X-Gorgias-Account-Api-Call-Limit, or "" */
    const char *body;        /* the answer's body (owned by the transport, valid until its
                                next send), NUL-terminated */
    size_t body_len;
} cvo_http_response;

/* Sends one request at a time; now and sleep are its clock (seconds, monotonic),
 * so tests can run on a fake one. send returns CVO_OK whenever the exchange was
 * tried (a network failure is response->failure), another status only for a
 * local failure (CVO_ERR_NOMEM). */
typedef struct cvo_transport {
    cvo_status (*send)(void *self, const cvo_http_request *request, cvo_http_response *response);
    double (*now)(void *self);
    void (*sleep)(void *self, double seconds);
    void *self;
    /* Optional (NULL: send is used, and its answer must fit in memory): sends request
     * and writes the answer's body to out as it arrives, without a size cap (a bulk
     * download); response->body is then "". Returns as send; CVO_ERR_WRITE when out
     * cannot be written. */
    cvo_status (*receive)(void *self, const cvo_http_request *request, FILE *out,
                          cvo_http_response *response);
} cvo_transport;

/* A libcurl transport (http and https only, answers cut at 1 MB, except those its
 * receive writes to a file); release it with
 * cvo_transport_curl_close. Errors: CVO_ERR_INTERNAL (libcurl would not start),
 * CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_transport_curl_open(cvo_ctx *ctx, cvo_transport *out);
CVO_API void cvo_transport_curl_close(cvo_transport *transport);

/* What a line given to the report callback is. */
typedef enum cvo_push_line {
    CVO_PUSH_PROGRESS = 0, /* what was sent, retries, a closing summary */
    CVO_PUSH_WARNING = 1,  /* something a person should check */
    CVO_PUSH_PLAN = 2      /* a dry run's request, or its headers */
} cvo_push_line;
typedef void (*cvo_push_report)(void *user_data, cvo_push_line kind, const char *text);

typedef struct cvo_push_options {
    const char *dir;            /* the output directory of cvo analyze */
    const cvo_config *config;   /* [push] timeout_seconds, connect_timeout_seconds, tries,
                                   [klaviyo] revision, [gorgias] max_answer_age_days;
                                   NULL: the defaults */
    cvo_history *state;         /* the ledgers; NULL only for a dry run */
    const cvo_id_key *id_key;   /* as given to the writers; NULL only for a dry run */
    cvo_transport *transport;   /* NULL only for a dry run */
    cvo_push_report report;     /* NULL: no lines */
    void *report_data;
    bool dry_run;               /* check the files and report what would be sent */
    int32_t as_of_day;          /* the analysis' as-of day (Gorgias' one-ticket rule) */
    const char *klaviyo_base_url; /* NULL: https://a.klaviyo.com; http:// only on loopback */
    const char *klaviyo_api_key;  /* the private key; needed unless dry_run */
    double klaviyo_wait_s;        /* follow the bulk-import jobs this long (0: do not) */
    const char *gorgias_base_url; /* NULL: https://<gorgias_domain>.gorgias.com */
    const char *gorgias_domain;
    const char *gorgias_user;     /* HTTP Basic user and key; needed unless dry_run */
    const char *gorgias_api_key;
} cvo_push_options;

/* Zeroes, with klaviyo_wait_s 60 and as_of_day INT32_MIN. */
CVO_API void cvo_push_options_init(cvo_push_options *options);

typedef struct cvo_push_result {
    size_t requests;         /* HTTP requests made, retries included */
    size_t bulk_sent;        /* bulk-import bodies accepted */
    size_t bulk_skipped;     /* accepted by an earlier run, the same bytes */
    size_t profiles;         /* profiles in the bodies accepted */
    size_t profiles_failed;  /* reported failed by the jobs followed */
    size_t jobs_cancelled, jobs_unfinished;
    size_t unset_sent;       /* profile-import calls removing properties */
    size_t unset_names;      /* properties removed by them */
    size_t events_sent, events_skipped; /* skipped: in the ledger */
    size_t tickets_sent, tickets_skipped; /* skipped: in the ledger */
    size_t tickets_held;     /* the customer had a cvo ticket within max_answer_age_days */
    size_t unknown;          /* requests of this or an interrupted run whose outcome is
                                unknown; never sent again */
} cvo_push_result;

/* Sends DIR/klaviyo: every profile-bulk-import body (NNNN.json, in order; a body
 * accepted before with the same bytes is skipped), follows the jobs for up to
 * klaviyo_wait_s, removes with POST /api/profile-import and
 * meta.patch_properties.unset every property the last accepted push set on a
 * profile and this one does not, then POSTs each line of events.jsonl to
 * /api/events unless the ledger has its unique_id. Requests are paced per
 * endpoint under Klaviyo's limits; 429 waits Retry-After, 5xx, timeouts and lost
 * connections are retried with backoff, up to [push] tries. Every file is checked
 * before the first request. Results in *result (counts so far on failure).
 * Errors: CVO_ERR_ARGUMENT (settings), CVO_ERR_IO / CVO_ERR_FORMAT / CVO_ERR_LIMIT
 * (a missing, unreadable or malformed file), CVO_ERR_REMOTE (refused, or no answer
 * after every try; the message says which file and line), CVO_ERR_WRITE (the
 * ledger), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_klaviyo_push(cvo_ctx *ctx, const cvo_push_options *options,
                                                  cvo_push_result *result);

/* POSTs each line of DIR/gorgias/tickets.jsonl to /api/tickets at most once: not
 * when the ledger has its external_id, nor when the ledger has a ticket cvo
 * opened for the same customer less than [gorgias] max_answer_age_days before
 * as_of_day. Paced at 40 requests per 20 s; 429 and connections that never opened
 * are retried; a 5xx, a timeout or a broken connection leaves the outcome
 * unknown: recorded as such, never sent again, and the push stops. A ticket an
 * interrupted run was sending is recorded unknown too. Errors as
 * cvo_klaviyo_push. */
CVO_API CVO_NODISCARD cvo_status cvo_gorgias_push(cvo_ctx *ctx, const cvo_push_options *options,
                                                  cvo_push_result *result);
/* Takes the ticket ledger an older cvo kept in DIR/gorgias/sent.ledger (path;
 * missing: nothing to take) into the state database, each "cvo-nps-<email>-<day>"
 * key as the keyed external_id this cvo would give the same answer (the
 * customer found by e-mail in customers), so no answer it ticketed gets a
 * second ticket. *imported counts the keys taken. Errors: CVO_ERR_IO,
 * CVO_ERR_ARGUMENT, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_gorgias_import_ledger(cvo_ctx *ctx, cvo_history *state,
                                                           const cvo_id_key *key,
                                                           const cvo_customers *customers,
                                                           const char *path, size_t *imported);

/* ---- pulling orders from Shopify -------------------------------------------------------
 * cvo pull shopify: the store's orders through the GraphQL Admin API's bulk operations
 * (bulkOperationRunQuery over orders and their line items, polled with bulkOperation(id:),
 * the JSONL result read with its __parentId child lines), written as a CSV in the columns
 * of Shopify's order export (cvo's shopify format reads it). Pulls are incremental: the
 * orders updated since the last pull replace their earlier rows in the previous file; a
 * full pull (every [shopify] full_every_days, or asked) drops the orders Shopify no
 * longer has. What a pull covered is kept beside the output (cvo_shopify_state). */

/* What the last pull into one output covered. */
typedef struct cvo_shopify_state {
    char shop[128];     /* NAME.myshopify.com; "" when there was none */
    int64_t watermark;  /* unix seconds: every order updated before it is in the file; -1:
                           the file is not known to be complete (pull in full) */
    int64_t last_full;  /* unix seconds: when the last full pull started; -1: never */
} cvo_shopify_state;

/* Reads the state file at path into *out; a missing file is the empty state (shop "",
 * watermark and last_full -1). Errors: CVO_ERR_IO (unreadable), CVO_ERR_FORMAT
 * ("path:line: ..." for a line cvo did not write). */
CVO_API CVO_NODISCARD cvo_status cvo_shopify_state_read(cvo_ctx *ctx, const char *path,
                                                        cvo_shopify_state *out);
/* Writes state as the lines cvo_shopify_state_read reads. Errors: CVO_ERR_WRITE. */
CVO_API CVO_NODISCARD cvo_status cvo_shopify_state_write(cvo_ctx *ctx,
                                                         const cvo_shopify_state *state,
                                                         FILE *out);

typedef struct cvo_shopify_pull_options {
    const char *shop;         /* NAME.myshopify.com */
    const char *token;        /* the Admin API access token; never printed */
    const char *base_url;     /* NULL: https://<shop>; http:// only on loopback (tests) */
    const cvo_config *config; /* [push] timeout_seconds, connect_timeout_seconds, tries;
                                 [shopify] api_version, full_every_days, poll_seconds,
                                 wait_minutes; NULL: the defaults */
    cvo_transport *transport;
    cvo_push_report report;   /* NULL: no lines */
    void *report_data;
    const char *previous;     /* the output of the last pull, merged into the new one;
                                 NULL or a missing file: none */
    cvo_shopify_state state;  /* read beside previous */
    int64_t since;            /* unix seconds: pull the orders updated since; INT64_MIN: from
                                 state (or in full when it has no watermark) */
    bool full;                /* pull every order and drop those Shopify no longer has */
    int64_t now;              /* unix seconds (when full_every_days is up) */
} cvo_shopify_pull_options;

/* Zeroes, with since INT64_MIN and state empty. */
CVO_API void cvo_shopify_pull_options_init(cvo_shopify_pull_options *options);

typedef struct cvo_shopify_pull_result {
    size_t requests;          /* HTTP requests, retries and the download included */
    bool full;                /* this pull was a full one */
    bool all_orders;          /* the token has read_all_orders (else only 60 days) */
    size_t orders_pulled;     /* orders in the bulk operation's result */
    size_t lines_pulled;      /* their line items */
    size_t orders_new;        /* pulled and not in the previous file */
    size_t orders_updated;    /* pulled and replacing their rows of the previous file */
    size_t orders_kept;       /* of the previous file, not pulled, written again */
    size_t orders_dropped;    /* of the previous file, gone from Shopify (full pulls) */
    size_t orders_written, rows_written;
    cvo_shopify_state state;  /* to record beside the output once it is published */
} cvo_shopify_pull_result;

/* Checks the token's scopes (read_orders needed; without read_all_orders a warning:
 * Shopify shows only the last 60 days, and a full pull keeps the previous file's older
 * orders), asks for the shop's time zone (shop.ianaTimezone, read from the system's
 * zoneinfo: every time is written in it, as the export writes them; the watermark and
 * the query's updated_at filter stay in UTC), starts a bulk query of the orders
 * updated since the watermark (all orders
 * for a full pull; when a bulk query of the app is already running, waits for it
 * first), polls it every poll_seconds for up to wait_minutes, downloads its JSONL
 * result (through transport->receive when set), and writes to out the previous
 * file's orders that were not pulled (none dropped but by a full pull) and the pulled
 * ones, in the columns of Shopify's order export plus Customer ID, sorted by Created
 * at. GraphQL throttling (THROTTLED, or HTTP 429) waits as the answer's cost and
 * restore rate say, up to [push] tries. Results in *result. Errors:
 * CVO_ERR_ARGUMENT (settings; a previous file of another shop), CVO_ERR_IO /
 * CVO_ERR_FORMAT (a previous file cvo did not write; the shop's time zone is not
 * installed or unreadable: the message names it and says to install tzdata),
 * CVO_ERR_REMOTE (refused, a missing scope, no zone name in shop.ianaTimezone, still
 * throttled after every try, the bulk operation failed, was cancelled or did not
 * finish in time; the message says which), CVO_ERR_WRITE,
 * CVO_ERR_LIMIT, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_shopify_pull(cvo_ctx *ctx,
                                                  const cvo_shopify_pull_options *options,
                                                  FILE *out, cvo_shopify_pull_result *result);

/* ---- deep dives -------------------------------------------------------------------
 * What drives customer value: customers grouped by how they started or who
 * they are, each group against all other customers (the rest).
 * Groupings: product / category: every distinct product (category) of the
 * customer's first counted order (orders[0]), so one customer can belong to
 * several groups; discount: "code" (the first order used a discount code) or
 * "full_price"; code: the first order's code (customers without one are only
 * in the rest); country and channel as in cvo_customer ("" -> "(unknown)").
 * Metrics per customer, censored so young customers do not bias them (as_of
 * is the day after the data: orders have day < as_of):
 *   repeat_<D>d  another order on a later day within D days ([dive] repeat_days):
 *                day - first < D; only customers with as_of - first >= D count
 *   orders_365d  counted orders with day - first < 365 (the first included),
 *   revenue_365d their net revenue (currency units), and profit_365d their
 *                margins less the acquisition cost (as cvo_profit_compute);
 *                only customers with as_of - first >= 365 count
 *   nps_post     the customer's latest post-delivery answer (one per customer)
 * Tests, group vs rest, two-sided: repeat rate: pooled two-proportion z with
 * Newcombe's hybrid score interval; orders, revenue, profit: Student's t with
 * the pooled variance (the null is that membership is random, so both sides
 * share one variance; Welch's t would be fooled by a small skewed group whose
 * own variance happens to be low) and the t interval; NPS: z on the difference with
 * Var = 100^2 (p + d - (p - d)^2) / n per side. Intervals at 1 - [dive] alpha.
 * A metric is tested only when the group and the rest each have at least
 * [dive] min_group customers counting for it. Benjamini-Hochberg q-values are
 * taken per grouping and metric across its tested groups; significant means
 * q < [dive] fdr. Lower is worse for the business on every metric: a group
 * below the rest is harmful, otherwise helpful.
 * Adjusted for first-order value (orders, revenue and profit): a premium
 * product's customers spend more in their first year because their first
 * order cost more and they keep to a dear category, which says nothing of
 * the product. The customers counting for the 365-day metrics are split in
 * quintiles of their first order's net value (cvo_dive_info.value_cuts). In
 * each cell of quintile x the first order's categories (the set of them; the
 * main category, which most of its products belong to, when fewer than 30
 * customers share the set) the metric is regressed on the first-order value
 * (for profit: on the first order's profit, its margin less acquisition, as a
 * thin-margin first order carries less profit into the year by itself) over
 * all customers, which gives every customer a fitted figure: what their first
 * order predicts. Within each quintile the metric is then compared
 * between the group and the rest at equal fitted figure (analysis of
 * covariance, one common slope; each side's variance about the line its own
 * or the pooled one, the larger), and the quintiles' differences are combined
 * with weights n_g n_r / (n_g + n_r), their variances summed with the squared
 * weights (a stratified difference); z test, normal interval at 1 - alpha,
 * Benjamini-Hochberg per grouping and metric. Strata alone would leave the
 * price differences inside the wide top quintile, and a regression alone one
 * straight line over all price tiers; on generated stores without planted
 * effects (where a customer's favourite category sets their spend) the raw
 * product differences are mostly significant and the adjusted ones are not. */

typedef enum cvo_dive_by {
    CVO_DIVE_PRODUCT = 0,
    CVO_DIVE_CATEGORY = 1,
    CVO_DIVE_COUNTRY = 2,
    CVO_DIVE_DISCOUNT = 3,
    CVO_DIVE_CODE = 4,
    CVO_DIVE_CHANNEL = 5,
    CVO_DIVE_BY__COUNT = 6
} cvo_dive_by;

typedef enum cvo_dive_metric {
    CVO_DIVE_REPEAT = 0,
    CVO_DIVE_ORDERS = 1,
    CVO_DIVE_REVENUE = 2,
    CVO_DIVE_PROFIT = 3,
    CVO_DIVE_NPS = 4,
    CVO_DIVE_METRIC__COUNT = 5
} cvo_dive_metric;

typedef enum cvo_dive_direction { CVO_DIVE_HARMFUL = 0, CVO_DIVE_HELPFUL = 1 } cvo_dive_direction;

/* "product", "category", "country", "discount", "code", "channel"; "harmful",
 * "helpful". Never NULL. */
CVO_API const char *cvo_dive_by_name(cvo_dive_by by);
CVO_API const char *cvo_dive_direction_name(cvo_dive_direction direction);
/* The grouping named name; false when there is none. */
CVO_API bool cvo_dive_by_parse(const char *name, cvo_dive_by *out);

/* One group: who is in it and its descriptive figures. */
typedef struct cvo_dive_group {
    const char *key;             /* SKU (else product name), category, code, country... */
    const char *label;           /* product name for products, else the key */
    uint64_t customers;          /* in the group */
    uint64_t repeat_customers;   /* of those, counting for the repeat rate */
    uint64_t year_customers;     /* counting for the 365-day means */
    uint64_t nps_customers;      /* with a post-delivery answer */
    double repeat_rate;          /* NaN when nobody counts */
    double mean_orders, mean_revenue, mean_profit; /* per customer within 365 days; NaN idem */
    double mean_clv, mean_p_alive; /* of those with a prediction; NaN without */
    double refund_rate;          /* refunded / (net + refunded) over all its counted orders */
    double mean_delivery_days;   /* order day to delivered_at over its counted orders that
                                    have one; NaN without (descriptive, not tested) */
    double nps;                  /* NaN without answers */
    bool small;                  /* customers < [dive] min_group: listed, never tested */
} cvo_dive_group;

/* One group and metric against the rest. */
typedef struct cvo_dive_row {
    cvo_dive_by grouping;
    const char *key;
    size_t group;               /* index into cvo_dive_groups */
    cvo_dive_metric metric;
    uint64_t customers;         /* of the group, counting for this metric */
    double value, rest_value;   /* the group's and the rest's figure (NaN: none) */
    double diff, ci_low, ci_high; /* value - rest_value and its interval (NaN untested) */
    double p_value, q_value;    /* NaN when not tested */
    bool tested;                /* both sides >= min_group and a test was defined */
    bool significant;           /* tested and q_value < fdr */
    cvo_dive_direction direction; /* harmful when diff < 0 */
    /* Adjusted for first-order value (orders, revenue and profit only; NaN and
     * false otherwise): the difference among customers whose first order was
     * worth about as much, so a group is not called harmful or helpful for
     * its price tier alone (see the deep-dive notes above). */
    double adj_diff, adj_ci_low, adj_ci_high;
    double adj_p, adj_q;        /* BH per grouping and metric over the adjusted tests */
    bool adj_tested;            /* tested, and the adjustment could be made */
    bool adj_significant;       /* adj_tested and adj_q < fdr */
} cvo_dive_row;

/* The settings a dive ran with, and its counts. */
typedef struct cvo_dive_info {
    cvo_dive_by by;
    int32_t as_of_day;
    uint32_t repeat_days;
    uint64_t min_group;
    double alpha, fdr;
    bool has_nps;               /* nps_post rows are there */
    bool has_predictions;       /* mean_clv and mean_p_alive are known */
    uint64_t customers, tests, significant;
    uint64_t adj_tests, adj_significant; /* the adjusted tests and those significant */
    double value_cuts[4];       /* first-order value (currency units) where the
                                   quintiles of the adjustment begin: 2nd..5th */
} cvo_dive_info;

typedef struct cvo_dive cvo_dive;

/* Compares the groups of one grouping of a table loaded with keep_orders.
 * config: [dive] and [profit] keys; as_of_day: the day after the data
 * (orders on or after it are ignored); results: cvo_customers_count entries
 * for the mean CLV and P(alive), or NULL; nps: answers loaded with this table
 * as customers, or NULL (no nps_post rows). *out is the caller's
 * (cvo_dive_free). Errors: CVO_ERR_ARGUMENT (no orders kept, unknown
 * grouping), CVO_ERR_CONFIG (a bad acquisition_cost item), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_dive_compute(cvo_ctx *ctx, const cvo_customers *customers,
                                                  const cvo_config *config, int32_t as_of_day,
                                                  const cvo_customer_result *results,
                                                  const cvo_nps *nps, cvo_dive_by by,
                                                  cvo_dive **out);
CVO_API const cvo_dive_info *cvo_dive_info_of(const cvo_dive *dive);
/* Groups, most customers first (then by key). */
CVO_API const cvo_dive_group *cvo_dive_groups(const cvo_dive *dive, size_t *count);
/* Rows, group by group in cvo_dive_groups order, metrics in enum order
 * (nps_post only when has_nps). */
CVO_API const cvo_dive_row *cvo_dive_rows(const cvo_dive *dive, size_t *count);
/* A metric's name: "repeat_180d" (with the dive's repeat_days), "orders_365d",
 * "revenue_365d", "profit_365d", "nps_post". */
CVO_API const char *cvo_dive_metric_name(const cvo_dive *dive, cvo_dive_metric metric);
/* The tested rows of one direction, most convincing first: by q-value, then
 * p-value, then the larger |diff| relative to the rest, then key; up to cap
 * pointers into out. Returns how many. */
CVO_API size_t cvo_dive_rank(const cvo_dive *dive, cvo_dive_direction direction,
                             const cvo_dive_row **out, size_t cap);
CVO_API void cvo_dive_free(cvo_dive *dive);
/* The latest post-delivery answer (score 0..10) of customer index of the
 * table nps was loaded with, or -1 when none. */
CVO_API int cvo_nps_customer_post_delivery(const cvo_nps *nps, size_t index);
/* The dive of one grouping made by cvo_analyze (with its predictions and NPS
 * answers), owned by the analysis; NULL when out of range. */
CVO_API const cvo_dive *cvo_analysis_dive(const cvo_analysis *analysis, cvo_dive_by by);

/* ---- experiments: holdouts, measured uplift, plans ---------------------------------
 * Every treatment list can be an experiment: a share of its members, drawn by a
 * keyed hash of (experiment id, customer), is held out of the action, and the
 * members' outcomes over a window after they entered the list are compared by
 * arm. Method and sources: docs/experiments.md. */

/* The per-member outcomes an experiment measures over its window. */
typedef enum cvo_exp_metric {
    CVO_EXP_CONVERSION = 0, /* 1 when the member placed a counted order in the window */
    CVO_EXP_ORDERS = 1,     /* counted orders in the window */
    CVO_EXP_REVENUE = 2,    /* their net revenue (cents) */
    CVO_EXP_PROFIT = 3,     /* their contribution margin under [profit] (cents) */
    CVO_EXP_METRIC__COUNT = 4
} cvo_exp_metric;

/* "conversion", "orders", "revenue", "profit"; never NULL. */
CVO_API const char *cvo_exp_metric_name(cvo_exp_metric metric);
/* The metric named name; false when there is none. */
CVO_API bool cvo_exp_metric_parse(const char *name, cvo_exp_metric *out);

/* One experiment as the history database keeps it. */
typedef struct cvo_experiment_info {
    char id[48];              /* "<list>@YYYY-MM-DD" (list name, start date); a second
                                 experiment of a list started the same day gets "-2"... */
    unsigned list_bit;        /* CVO_LIST_* (one of CVO_TREATMENT_LISTS) */
    double share;             /* holdout share, fixed for its life */
    int32_t start_day;        /* as-of day of the run that started it */
    int32_t stop_day;         /* INT32_MIN while it runs */
    cvo_exp_metric primary;   /* decided before it starts ([experiment] primary_metric) */
    uint32_t window_days;     /* outcome window after entry ([experiment] window_days) */
    uint64_t planned_members; /* members (both arms, windows closed) the verdict waits
                                 for, from the plan at the start; 0: no plan */
} cvo_experiment_info;

/* ---- the experiments of one run: arms and holdouts ----------------------------------
 * cvo_history_experiments_prepare reads the [holdout] shares and the running
 * experiments and decides which run this time (starting new ones); then
 * cvo_analysis_hold_out draws every list member's arm and moves the holdout out
 * of the list; cvo_history_begin_run records the new experiments and members
 * (pending, with the run's snapshot), cvo_history_commit_run commits them. */

typedef struct cvo_experiments cvo_experiments;

/* One experiment of this run and its counts after cvo_analysis_hold_out. */
typedef struct cvo_experiment_arms {
    cvo_experiment_info info;
    bool starts;        /* started by this run (recorded with its snapshot) */
    uint64_t recorded;  /* members recorded before this run (both arms) */
    uint64_t treatment; /* members on the list this run, treatment arm */
    uint64_t holdout;   /* members on the list this run, held out */
    uint64_t entered;   /* of treatment + holdout, new to the experiment this run */
} cvo_experiment_arms;

/* The holdout share configured for list_bit: [holdout] <list> ('-' as '_')
 * when set, else [holdout] share; 0 for a list that is not a treatment
 * (config NULL: the defaults). */
CVO_API double cvo_holdout_share(const cvo_config *config, unsigned list_bit);

/* The experiments a run as of as_of_day takes part in, from config and the
 * committed experiments of history: for each treatment list with a share
 * above 0, its running experiment, or a new one ("<list>@<as-of>", "-2"...
 * on a collision) when it has none or the latest was stopped by
 * cvo_history_experiment_new; none when the latest was stopped by
 * cvo_history_experiment_stop (cvo_experiments_note says so). *out is the
 * caller's (cvo_experiments_free). Errors: CVO_ERR_CONFIG (a configured share
 * differs from the running experiment's: the message names both and says to
 * run `cvo experiments --new LIST`, or --stop for a share of 0), CVO_ERR_IO,
 * CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_experiments_prepare(cvo_history *history,
                                                                 const cvo_config *config,
                                                                 int32_t as_of_day,
                                                                 cvo_experiments **out);
CVO_API size_t cvo_experiments_count(const cvo_experiments *e);
/* Experiment index (NULL when out of range); owned by e. */
CVO_API const cvo_experiment_arms *cvo_experiments_at(const cvo_experiments *e, size_t index);
/* The experiment of list_bit in e, or NULL (also for e NULL). */
CVO_API const cvo_experiment_arms *cvo_experiments_find(const cvo_experiments *e,
                                                        unsigned list_bit);
/* Notes for the user, lines ending in '\n' ("" when none): a list with a
 * share whose experiment was stopped. Owned by e. */
CVO_API const char *cvo_experiments_note(const cvo_experiments *e);
CVO_API void cvo_experiments_free(cvo_experiments *e);

/* Draws the arm of every member of each experiment's list in a (the keyed
 * hash keyed_uniform of the experiment id and the customer under key: holdout
 * when below the share; a member recorded before keeps their recorded arm) and
 * holds the holdout out: their list bit moves from cvo_customer_result.lists
 * to .holdout (for the win-back list, CVO_LIST_WINBACK_DUE is cleared too: no
 * win-back event). Fills the counts of e, which a keeps a reference to (e must
 * outlive a). Once per analysis. Errors: CVO_ERR_ARGUMENT (NULL, or a second
 * call), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_analysis_hold_out(cvo_analysis *a, cvo_experiments *e,
                                                       const cvo_id_key *key);
/* The experiments given to cvo_analysis_hold_out, or NULL. */
CVO_API const cvo_experiments *cvo_analysis_experiments(const cvo_analysis *a);

/* The experiments the history holds (running and stopped, committed only), by
 * start day and list, into *list (owned by history, valid until the next call
 * or close) and *count. Errors: CVO_ERR_IO, CVO_ERR_FORMAT, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_history_experiments(cvo_history *history,
                                                         const cvo_experiment_info **list,
                                                         size_t *count);
/* Stops the running experiment of list_bit as of day (cvo experiments --stop):
 * the next runs hold no one out of the list, whatever its share. *stopped gets
 * it. Errors: CVO_ERR_ARGUMENT (not a treatment list, or no experiment of it
 * runs: the message says so), CVO_ERR_IO. */
CVO_API CVO_NODISCARD cvo_status cvo_history_experiment_stop(cvo_history *history,
                                                             unsigned list_bit, int32_t day,
                                                             cvo_experiment_info *stopped);
/* Ends the latest experiment of list_bit as of day so that the next run with
 * a share above 0 starts a new one, with a new id and fresh arms (cvo
 * experiments --new). A running one is stopped; *stopped gets it and *found is
 * true; with no experiment of the list there is nothing to end (*found false:
 * the next run with a share starts one anyway). Errors: CVO_ERR_ARGUMENT (not
 * a treatment list), CVO_ERR_IO. */
CVO_API CVO_NODISCARD cvo_status cvo_history_experiment_new(cvo_history *history,
                                                            unsigned list_bit, int32_t day,
                                                            cvo_experiment_info *stopped,
                                                            bool *found);

/* One member of an experiment as the history database keeps it. */
typedef struct cvo_experiment_member {
    const char *experiment_id; /* cvo_experiment_info.id */
    const char *customer;      /* keyed identifier of the customer (KEYED_HEX hex digits,
                                  the keyed_customer of cvo's identifiers) */
    bool holdout;              /* the arm: holdout, else treatment */
    int32_t entry_day;         /* as-of day of the first run that had them on the list */
} cvo_experiment_member;

/* Called once per member; a status other than CVO_OK stops the walk and is returned. */
typedef cvo_status (*cvo_experiment_member_fn)(void *user_data, const cvo_experiment_member *m);

/* Calls each for every committed member of experiment_id, by customer hash.
 * Match a customer of a table with keyed_customer under the same cvo_id_key.
 * Errors: CVO_ERR_IO, CVO_ERR_FORMAT (a bad row), or each's status. */
CVO_API CVO_NODISCARD cvo_status cvo_history_experiment_members(cvo_history *history,
                                                                const char *experiment_id,
                                                                cvo_experiment_member_fn each,
                                                                void *user_data);

/* What a test of one list would need: the baseline of a metric per member, its
 * spread, and the members and weeks to detect [experiment] target_uplift at 80 %
 * power and two-sided alpha 0.05 (normal approximation:
 * N = (z_{0.975} + z_{0.8})^2 sd^2 (1 - rho^2) (1/s_T + 1/s_H) / delta^2). */
typedef struct cvo_experiment_plan {
    unsigned list_bit;
    cvo_exp_metric metric;
    double share;              /* holdout share assumed (the list's [holdout] share, else 0.2) */
    uint32_t window_days;
    uint64_t members_now;      /* on the list in this analysis (both arms) */
    double entrants_per_week;  /* new members per week (estimate; basis says how) */
    double baseline;           /* metric mean per member without the action (cents for money) */
    double sd;                 /* its standard deviation per member */
    double variance_reduction; /* CUPED's expected rho^2 (0 when unknown) */
    double target_effect;      /* relative effect sized for ([experiment] target_uplift) */
    uint64_t planned_members;  /* members (both arms) to detect target_effect at 80 %, 5 % */
    double weeks;              /* weeks until that many entered and their windows closed */
    double mde_now;            /* absolute MDE with members_now members */
    double mde_relative_now;   /* mde_now / baseline (NaN when baseline 0) */
    bool too_small;            /* weeks > [experiment] max_weeks (or never) */
    char basis[160];           /* how baseline, sd and entrants were estimated, in words */
    char advice[256];          /* "" or what would help (longer window, bigger share) */
} cvo_experiment_plan;

/* The plan of a test of list_bit (one of CVO_TREATMENT_LISTS) on metric, from
 * the analysis a (its customer table loaded with keep_orders) and config
 * ([experiment] window_days, target_uplift, max_weeks; [holdout] share; NULL:
 * the analysis' own configuration).
 * Baseline: with a fitted purchase model (BG/NBD), each member's chance of an
 * order in the window is P(alive) (1 - ((alpha + T)/(alpha + T + t))^(r + x)),
 * their mean is the conversion baseline; orders, revenue and profit per member
 * are that chance times what a converting customer of the store's own history
 * brought in one window (customers with an order before as_of - window, measured
 * over the last window), with the variance of that mixture,
 * p v_c + p (1 - p) m_c^2. Without a model, the members' own outcomes over the
 * last window. variance_reduction is rho^2 between the pre-period and the window
 * in that history; planned_members and mde_now use CUPED's sd sqrt(1 - rho^2), as
 * the verdict reads the CUPED estimate. Entrants per week: the
 * list's members turned over once per window (members_now x 7 / window_days).
 * The plan always fills out (too_small, NaN figures and advice say what is
 * missing). Errors: CVO_ERR_ARGUMENT (not a treatment list, bad metric, a table
 * without orders), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_experiment_plan_compute(cvo_ctx *ctx, const cvo_analysis *a,
                                                             unsigned list_bit,
                                                             const cvo_config *config,
                                                             cvo_exp_metric metric,
                                                             cvo_experiment_plan *out);

/* ---- experiments: results -------------------------------------------------------- */

/* A difference treatment - holdout of a metric's mean per member, its 95 %
 * interval and two-sided p-value (NaN when it cannot be computed). */
typedef struct cvo_uplift_estimate {
    double diff, ci_low, ci_high, p_value;
} cvo_uplift_estimate;

/* The comparison of one metric over the members whose window has closed. */
typedef struct cvo_experiment_metric_result {
    cvo_exp_metric metric;
    bool ok;                            /* both arms have at least 2 members: the figures below */
    double treatment;                   /* mean per member of the treatment arm (cents for money) */
    double holdout;                     /* the same of the holdout arm */
    cvo_uplift_estimate estimate;       /* the one shown: CUPED-adjusted (Welch) when cuped,
                                           else raw */
    bool cuped;                         /* CUPED applied: the pre-period value varies */
    double theta;                       /* CUPED's cov(y, x) / var(x), pooled over both arms */
    double variance_reduction;          /* rho^2 = corr(x, y)^2: the variance CUPED takes off */
    cvo_uplift_estimate raw;            /* without CUPED: Newcombe's hybrid score interval and the
                                           pooled z test (conversion), Welch (the others) */
    double relative;                    /* estimate.diff / the holdout's (adjusted) mean */
    double relative_low, relative_high; /* delta-method 95 % interval of relative */
    bool bootstrap;                     /* an arm has < 200 members: a seeded percentile bootstrap
                                           ([experiment] bootstrap_resamples, seed; theta held
                                           fixed) of estimate.diff beside Welch's interval */
    double bootstrap_low, bootstrap_high;
    double incremental; /* estimate.diff x treatment members: the metric the action
                           added over the list (cents for money) */
    double incremental_low, incremental_high; /* the interval scaled the same */
} cvo_experiment_metric_result;

typedef enum cvo_experiment_verdict {
    CVO_VERDICT_NONE = 0,        /* no verdict: no members, an empty arm, or a sample-ratio
                                    mismatch (verdict_text says which) */
    CVO_VERDICT_INTERIM = 1,     /* fewer closed-window members than planned_members */
    CVO_VERDICT_WIN = 2,         /* primary metric up, q < 0.05 */
    CVO_VERDICT_LOSS = 3,        /* primary metric down, q < 0.05 */
    CVO_VERDICT_INCONCLUSIVE = 4 /* at the planned size, q >= 0.05 */
} cvo_experiment_verdict;

/* One experiment's result. Arms are [0] treatment, [1] holdout. */
typedef struct cvo_experiment_result {
    cvo_experiment_info info;
    uint64_t stored;        /* members the database holds */
    uint64_t missing;       /* of them, not found in the orders (no counted order) */
    uint64_t members[2];    /* found and window closed: the members measured */
    uint64_t in_flight[2];  /* found, window not closed by the as-of day */
    double srm_chi2, srm_p; /* chi-square (1 df) of all found members against the share;
                               NaN without members */
    bool srm_flag;          /* srm_p < 0.001: the assignment or the data is broken */
    cvo_experiment_metric_result metrics[CVO_EXP_METRIC__COUNT];
    double q_value; /* Benjamini-Hochberg of the primary metric's p-value across the
                       experiments of the results; NaN when not measured */
    cvo_experiment_verdict verdict;
    char verdict_text[160]; /* "win", "loss", "inconclusive", "interim: N of M members,
                               no verdict yet" or "no verdict: why" */
} cvo_experiment_result;

typedef struct cvo_experiment_results cvo_experiment_results;

/* The results of experiments[0..count) from their members (any order; members of
 * ids not among experiments are ignored) on customers (loaded with keep_orders),
 * as of as_of_day (the orders hold the days before it; INT32_MIN, or a day after the
 * last order's: the day after the last order). A member is matched by keyed_customer(key, id, e-mail) and measured
 * over [entry, entry + window_days) when entry + window_days <= as_of_day (else in
 * flight), with the same window before entry as CUPED's covariate. config gives
 * [profit] (the margins) and [experiment] bootstrap_resamples and seed (NULL:
 * defaults). Errors: CVO_ERR_FORMAT (the orders end before an experiment started;
 * more than half of an experiment's members, and at least 10, not in the orders:
 * customer ids renamed?), CVO_ERR_ARGUMENT (a table without orders), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_experiments_compute(
    cvo_ctx *ctx, const cvo_customers *customers, const cvo_config *config, const cvo_id_key *key,
    const cvo_experiment_info *experiments, size_t count, const cvo_experiment_member *members,
    size_t member_count, int32_t as_of_day, cvo_experiment_results **out);
/* cvo_experiments_compute over the experiments and committed members of the history
 * database, the key from cvo_id_key_load(history, config). Errors: those of
 * cvo_experiments_compute, CVO_ERR_IO (SQLite), CVO_ERR_EMPTY (no experiment). */
CVO_API CVO_NODISCARD cvo_status cvo_experiments_measure(cvo_ctx *ctx, cvo_history *history,
                                                         const cvo_customers *customers,
                                                         const cvo_config *config,
                                                         int32_t as_of_day,
                                                         cvo_experiment_results **out);
CVO_API size_t cvo_experiment_results_count(const cvo_experiment_results *results);
/* Result index (in the order given: the database's is by start day, then id);
 * NULL out of range. Owned by results. */
CVO_API const cvo_experiment_result *
cvo_experiment_results_at(const cvo_experiment_results *results, size_t index);
/* The as-of day the results were measured at. */
CVO_API int32_t cvo_experiment_results_as_of(const cvo_experiment_results *results);
CVO_API void cvo_experiment_results_free(cvo_experiment_results *results);
/* Gives the analysis the results of its history's experiments (cvo_experiments_measure
 * as of its as-of day), for report.html's "Experiments" section and summary.json's
 * "experiments"; a keeps a reference (results must outlive it; NULL: none). */
CVO_API void cvo_analysis_set_experiment_results(cvo_analysis *a,
                                                 const cvo_experiment_results *results);
/* The results given to cvo_analysis_set_experiment_results, or NULL. */
CVO_API const cvo_experiment_results *cvo_analysis_experiment_results(const cvo_analysis *a);

/* Writes {"as_of","experiments":[{"id","list","start","stop","share","window_days",
 * "primary_metric","planned_members","members","missing","arms":{"treatment","holdout"},
 * "in_flight":{"treatment","holdout"},"srm_chi2","srm_p","srm_flag","metrics":[{"metric",
 * "treatment","holdout","diff","ci_low","ci_high","p_value","cuped","theta",
 * "variance_reduction","raw":{"diff","ci_low","ci_high","p_value","method"},"relative":
 * {"value","ci_low","ci_high","method":"delta"},"bootstrap":null|{"ci_low","ci_high",
 * "resamples"},"incremental":{"value","ci_low","ci_high"}}],"q_value","verdict",
 * "verdict_code"}]}: diff..p_value are the estimate shown (CUPED when "cuped"), money in
 * currency units; null for NaN. Errors: CVO_ERR_WRITE. */
CVO_API CVO_NODISCARD cvo_status cvo_write_experiments_json(cvo_ctx *ctx,
                                                            const cvo_experiment_results *r,
                                                            const cvo_config *config, FILE *out);

/* ---- opportunities: the findings ranked by value ----------------------------------
 * Every finding of an analysis that an action of cvo answers becomes an
 * opportunity: what it is, the customers concerned, the profit at stake over
 * 12 months with a range, the action cvo prepares, and the test that would
 * prove it (the plan of its list, cvo_experiment_plan_compute, on profit).
 * Profit at stake, two kinds (docs/cvo.1 says the same for the report):
 * - model: the customers' predicted profit (cvo_profit_row predicted_profit,
 *   [model] horizon_months scaled to 12); for no-discount, the discount a
 *   standard one would give away (predicted profit less
 *   cvo_analysis_profit_after_discount). Range: +-1.96 sd of that sum when
 *   each customer's orders over the 12 months are Poisson with the expected
 *   count (the model's own count noise; the parameters' is not included), a
 *   positive sum's range stopping at 0.
 * - effect: a harmful deep-dive group whose first-year profit is significantly
 *   lower after the first-order value adjustment (adj_significant): the
 *   adjusted difference per customer x the group's customers per year of
 *   history (its yearly intake); the range is the interval of the difference
 *   x that intake. Products, countries and discounts are judged only on the
 *   adjusted figure, so a cheap or dear product is never an opportunity for
 *   its price tier alone. */

typedef enum cvo_opportunity_kind {
    CVO_OPP_SEGMENT_AT_RISK = 0, /* a top segment's customers about to lapse (win-back) */
    CVO_OPP_TOXIC_PRODUCT = 1,   /* a first product whose customers bring less profit */
    CVO_OPP_WEAK_REGION = 2,     /* a country whose customers bring less profit */
    CVO_OPP_DISCOUNT_COHORT = 3, /* customers acquired with a discount (or one code) */
    CVO_OPP_UNHAPPY_TOP = 4,     /* detractors (latest answer) in top segments */
    CVO_OPP_NO_DISCOUNT = 5,     /* customers a discount would be wasted on, by reason */
    CVO_OPP__COUNT = 6
} cvo_opportunity_kind;

/* "segment_at_risk", "toxic_product", "weak_region", "discount_cohort",
 * "unhappy_top_customers", "no_discount"; never NULL. */
CVO_API const char *cvo_opportunity_kind_name(cvo_opportunity_kind kind);

typedef struct cvo_opportunity {
    cvo_opportunity_kind kind;
    const char *key;        /* segment, SKU, country, "code" or the code, the no-discount
                               reason ("lost", "unprofitable", "full_price"), "" for
                               unhappy top customers; owned by the analysis */
    const char *label;      /* a product's name, else the key */
    char what[320];         /* what it is, one sentence */
    uint64_t customers;     /* the customers concerned */
    int64_t at_stake_cents; /* profit at stake over 12 months (>= 0 for effects) */
    int64_t at_stake_low_cents, at_stake_high_cents; /* its range */
    bool from_effect;       /* at stake from an adjusted effect, else from the model */
    /* the adjusted first-year profit difference per customer (currency units)
     * the finding rests on, its interval and q-value; NaN when from the model */
    double effect, effect_low, effect_high, effect_q;
    unsigned action_list;   /* the CVO_LIST_* list of the action, 0 when not a list */
    const char *action;     /* the action cvo prepares and its file, in words */
    bool has_test;          /* false when the action is no list (Gorgias tickets) */
    cvo_experiment_plan test; /* the plan of a test of action_list on profit */
} cvo_opportunity;

typedef struct cvo_opportunities cvo_opportunities;

/* The opportunities of analysis a, highest profit at stake first (then kind,
 * then key); *out is the caller's (cvo_opportunities_free). Errors: those of
 * cvo_experiment_plan_compute, CVO_ERR_ARGUMENT, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_opportunities_compute(cvo_ctx *ctx, const cvo_analysis *a,
                                                           cvo_opportunities **out);
CVO_API const cvo_opportunity *cvo_opportunities_items(const cvo_opportunities *opps,
                                                       size_t *count);
CVO_API void cvo_opportunities_free(cvo_opportunities *opps);

/* ---- synthetic store ------------------------------------------------------ */

/* ---- cvo generate: the purchase process (issue 13) ---- */
enum { CVO_GEN_BGNBD = 0, CVO_GEN_PNBD = 1 };

typedef struct cvo_generate_options {
    uint64_t customers;     /* default 1000 */
    uint64_t seed;          /* default 1 */
    int32_t first_day;      /* first possible order day; default 2023-01-01 */
    int32_t last_day;       /* last possible order day; default 2025-12-31 */
    double duplicate_rate;  /* share of line rows written twice (exact copies); default 0 */
    /* The BG/NBD purchase process, time unit weeks: purchase rate ~ Gamma(r, alpha),
     * drop-out probability after each repeat purchase ~ Beta(a, b). Defaults
     * r 0.75, alpha 20, a 0.8, b 2.5. */
    double bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b;
    /* Which purchase process draws the customers: CVO_GEN_BGNBD (default, the
     * parameters above) or CVO_GEN_PNBD, the Pareto/NBD process (Schmittlein,
     * Morrison and Colombo 1987), time unit weeks: while alive a customer buys at
     * rate lambda ~ Gamma(pnbd_r, rate pnbd_alpha); they live an Exponential(mu)
     * time from their first order, mu ~ Gamma(pnbd_s, rate pnbd_beta). Defaults
     * r 0.55, alpha 10.5, s 0.6, beta 11.7 (near the CDNOW fit). A BG/NBD store's
     * bytes do not depend on the pnbd_* values. */
    int process; /* CVO_GEN_BGNBD / CVO_GEN_PNBD */
    double pnbd_r, pnbd_alpha, pnbd_s, pnbd_beta;
    /* Planted effects, all off by default (then nothing but the process above
     * shapes a customer). A planted customer never comes back after the first
     * order with probability plant_strength, and their drop-out probability p
     * becomes 1 - (1 - p)(1 - plant_strength); with several effects the
     * strengths combine the same way. Everything else is drawn independently. */
    const char *toxic_skus;    /* "SKU-0007,SKU-0042" (at most 8): a first order holding
                                * one plants churn and detractor post-delivery answers;
                                * NULL or "" none */
    const char *late_country;  /* "SE": its orders arrive 7..14 days late, and its
                                * customers churn and give detractor post-delivery
                                * answers; a catalog country, NULL or "" none */
    bool plant_discount_churn; /* a first order with a discount code plants churn */
    double plant_strength;     /* 0..1; default 0.5 (repeat probability about halved) */
    /* A planted uplift for the treatment arm of one experiment:
     * "LIST@YYYY-MM-DD[:conversion=0.05][,spend=0.10]" (the experiment id, then the
     * effects; none: an A/A store with the same arms). A customer whose first order
     * is before the day D and whose keyed_uniform(sha256(plant_id_key), id,
     * customer id "C...", e-mail) is >= plant_share is treated: over [D, D +
     * plant_window) their conversion rises by conversion exactly in expectation
     * (with no order in the window, one is added on a uniform day of it with
     * probability conversion / (1 - p), p their own chance of an order there:
     * 0 after they dropped out, else 1 - exp(-lambda window); capped at 1), and
     * the unit prices of their orders in the window are x (1 + spend). NULL or "":
     * none. Drawn from their own streams: every other draw stays the same. */
    const char *plant_uplift;
    double plant_share;       /* holdout share of that experiment; default 0.2 */
    const char *plant_id_key; /* the [privacy] id_key text the arms are drawn with */
    uint32_t plant_window;    /* days; default 60 */
    /* A planted static covariate in the process's own parametrisation (see the
     * covariates block below): "ATTRIBUTE:purchase=G[,dropout=G]" with
     * ATTRIBUTE "discount" (the first order used a code), "channel=NAME" or
     * "country=CC"; for customers with it the purchase rate lambda is x exp(G)
     * and dropout is scaled by exp(G): Pareto/NBD's rate mu x exp(G), BG/NBD's
     * Beta(a exp(G), b exp(G)) (as CLVTools). NULL or "": none; the others'
     * draws stay the same. */
    const char *plant_covariate;
    /* ---- planted seasonality (issue 13 section 3) ----
     * A yearly pattern of purchase rates: every live customer's rate lambda is
     * multiplied by s(day), drawn by thinning from their own stream (rate
     * lambda max(s), each draw kept with chance s(day) / max(s)); first orders
     * are not seasonal. Either months, "nov=1.6,dec=2.2,jan=0.7" (three-letter
     * names, factors > 0 up to 100; months not named keep 1), or a wave,
     * "amplitude=0.5,peak=12-15": s = 1 + amplitude cos(2 pi (day - peak) /
     * 365.25), amplitude in [0, 1). Not normalised: the factors are the rates'
     * multipliers as given. NULL or "": none, and the store's bytes are those
     * without it. */
    const char *plant_season;
} cvo_generate_options;

CVO_API void cvo_generate_options_init(cvo_generate_options *options);

/* Writes a deterministic synthetic store in the canonical formats: orders (one
 * row per line item, sorted by order date; fulfilled_at and delivered_at on the
 * first row of an order, empty when after last_day), products (sku,product,unit_cost,
 * category) and NPS answers (email,score,submitted_at,survey,comment,order_id; pre_delivery
 * on the order day, post_delivery 0..8 days after delivery). Any stream
 * may be NULL to skip it. Errors: CVO_ERR_ARGUMENT, CVO_ERR_WRITE, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_generate(cvo_ctx *ctx, const cvo_generate_options *options,
                                              FILE *orders, FILE *products, FILE *nps);

/* ---- covariates: static customer attributes in BG/NBD and Pareto/NBD ----------------
 * Time-invariant covariates as CLVTools has them (Fader & Hardie 2007, note 019;
 * CLVTools src/pnbd.cpp, src/bgnbd.cpp): with x the customer's covariate row,
 *   Pareto/NBD  alpha_i = alpha exp(-x'g_p), beta_i = beta exp(-x'g_d),
 *   BG/NBD      alpha_i = alpha exp(-x'g_p), a_i = a exp(x'g_d), b_i = b exp(x'g_d),
 * and the log-likelihood of a customer is the model's own at those parameters.
 * So exp(g_p) multiplies the purchase rate lambda (its Gamma scale), and in
 * Pareto/NBD exp(g_d) multiplies the dropout rate mu; in BG/NBD exp(g_d)
 * multiplies a and b alike (the mean dropout probability a / (a + b) stays, its
 * spread shrinks as g_d grows), which is CLVTools' parametrisation. Every
 * covariate enters both processes. Method and checks: docs/covariates.md. */

#define CVO_COV_MAX_COLUMNS 8 /* covariate columns in one fit */
#define CVO_COV_NAME_BYTES 64 /* a column's or group's name, cut there */

/* A covariate matrix: one row per summary row (in its order), columns added
 * one at a time. Each column belongs to a group (the attribute it codes:
 * "channel" for the dummy columns "channel=instagram", "channel=tiktok"), which
 * the group likelihood-ratio test drops as a whole. */
typedef struct cvo_covariates cvo_covariates;

/* An empty matrix of rows rows. Errors: CVO_ERR_ARGUMENT (rows 0), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_covariates_new(cvo_ctx *ctx, size_t rows,
                                                    cvo_covariates **out);
/* Adds a column (values: rows finite numbers, copied). group NULL or "": the
 * column is its own group. Errors: CVO_ERR_LIMIT (CVO_COV_MAX_COLUMNS columns
 * already), CVO_ERR_ARGUMENT (a value not finite, an empty name). */
CVO_API CVO_NODISCARD cvo_status cvo_covariates_add(cvo_covariates *cov, const char *group,
                                                    const char *name, const double *values);
/* The covariates cvo reads per customer, for the rows of summary (made by
 * cvo_summary_from_orders from customers, loaded with keep_orders), named in
 * list, comma-separated: "discount" (the first order used a discount code: 1,
 * else 0), "channel" (acquisition channel), "country", "category" (the first
 * order's main product category). A categorical one is coded as dummies
 * against its largest level; levels with fewer than 1% of the customers or 30
 * (or beyond the column budget) are pooled into "<group>=(other)" when that
 * pool has enough, else into the reference. At most max_columns columns in all
 * (0: CVO_COV_MAX_COLUMNS); an attribute with a single level gives no column
 * and is named in *note (may be NULL; "" when nothing was left out). Errors:
 * CVO_ERR_ARGUMENT (an unknown name, no orders kept, a summary of other
 * customers), CVO_ERR_EMPTY (no column at all), CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_covariates_from_customers(
    cvo_ctx *ctx, const cvo_customers *customers, const cvo_summary *summary, const char *list,
    size_t max_columns, cvo_covariates **out, char *note, size_t note_size);
/* Reads a covariate file: a customer key column (customer_id, Id or id) and
 * numeric columns (each its own group), matched to summary's rows by customer
 * id. Errors: CVO_ERR_IO, CVO_ERR_FORMAT (file:line: reason; a summary
 * customer missing from the file), CVO_ERR_LIMIT, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_covariates_load(cvo_ctx *ctx, const char *path,
                                                     const cvo_summary *summary,
                                                     cvo_covariates **out);
CVO_API size_t cvo_covariates_rows(const cvo_covariates *cov);
CVO_API size_t cvo_covariates_columns(const cvo_covariates *cov);
CVO_API const char *cvo_covariates_name(const cvo_covariates *cov, size_t column);
CVO_API const char *cvo_covariates_group(const cvo_covariates *cov, size_t column);
CVO_API double cvo_covariates_value(const cvo_covariates *cov, size_t row, size_t column);
CVO_API void cvo_covariates_free(cvo_covariates *cov);

/* One coefficient: gamma with its standard error (Hessian), the factor
 * exp(gamma) with its 95% Wald interval exp(gamma -+ 1.96 se), and the
 * likelihood-ratio test of gamma = 0 (the model refitted without it; 1 degree
 * of freedom; NaN without tests). */
typedef struct cvo_cov_effect {
    double gamma, std_error;
    double factor, factor_low, factor_high;
    double lr_stat, lr_p;
} cvo_cov_effect;

typedef struct cvo_cov_column {
    char name[CVO_COV_NAME_BYTES];
    char group[CVO_COV_NAME_BYTES];
    double customers;        /* with a value other than 0 (weights added up) */
    cvo_cov_effect purchase; /* on the purchase rate */
    cvo_cov_effect dropout;  /* on dropout (see the block's head) */
} cvo_cov_column;

/* The test of a whole group (all its columns, both processes: 2 x columns
 * degrees of freedom). */
typedef struct cvo_cov_group_test {
    char name[CVO_COV_NAME_BYTES];
    size_t first, count; /* its columns */
    double lr_stat, lr_p;
    int df;
} cvo_cov_group_test;

typedef struct cvo_cov_options {
    bool lr_tests;        /* refit without each coefficient and group; default true */
    int max_iterations;   /* Newton steps per fit; default 100 */
    size_t max_customers; /* fit every k-th summary row so that at most this many are
                             used (the intervals are then those of that sample); 0: all
                             (default) */
} cvo_cov_options;

CVO_API void cvo_cov_options_init(cvo_cov_options *options);

typedef struct cvo_cov_fit {
    cvo_model model;     /* CVO_MODEL_BGNBD or CVO_MODEL_PNBD */
    int nparams;
    const char *param_names[4];
    double params[4];    /* the base (x = 0) parameters, natural scale, the summary's time */
    double std_error[4];
    size_t columns;
    cvo_cov_column column[CVO_COV_MAX_COLUMNS];
    size_t groups;
    cvo_cov_group_test group[CVO_COV_MAX_COLUMNS];
    double loglik;       /* with the covariates */
    double loglik_base;  /* the model without covariates (cvo_model_fit) */
    double lr_all, lr_all_p; /* all covariates against none, 2 x columns df */
    uint64_t n;          /* customers (weights added up) */
    int iterations;      /* Newton steps of the full fit */
    bool converged;      /* a maximum with a usable Hessian */
    char note[256];      /* why not, or "" */
} cvo_cov_fit;

/* Fits model with the covariates cov (rows aligned with summary's) by maximum
 * likelihood: Newton steps on (ln r, ln alpha, ln s|a, ln beta|b, g_p, g_d)
 * from the fit without covariates, with the Hessian from the model's analytic
 * gradient (per covariate pattern, by differences, and the chain rule).
 * A fit that cannot be made (the model without covariates did not converge to
 * an interior maximum, no usable Hessian) returns CVO_OK with converged false
 * and a note. Errors: CVO_ERR_ARGUMENT (another model, rows that do not match),
 * CVO_ERR_EMPTY, CVO_ERR_NOMEM. */
CVO_API CVO_NODISCARD cvo_status cvo_cov_fit_model(cvo_ctx *ctx, cvo_model model,
                                                   const cvo_summary *summary,
                                                   const cvo_covariates *cov,
                                                   const cvo_cov_options *options,
                                                   cvo_cov_fit *out);
/* What the fit says of column's effect on one process (dropout or purchase),
 * in a sentence: "Customers acquired with a discount code drop out faster:
 * the dropout rate is x 2.37 (95% CI 1.79-3.14)." (or "slower", "buy more
 * often", "no clear difference ... (the interval holds 1)"). Pareto/NBD
 * only for dropout (BG/NBD's dropout effect is not a rate: "" then). Writes
 * at most size bytes; returns the length wanted. */
CVO_API size_t cvo_cov_effect_text(const cvo_cov_fit *fit, size_t column, bool dropout,
                                   char *out, size_t size);
/* The Pareto/NBD fit with the covariates discount and channel that
 * cvo_analyze makes for the deep dives (on at most 5,000 customers, every
 * k-th; no LR tests), or NULL when it could not be made:
 * cvo_analysis_covariates_note says why. */
CVO_API const cvo_cov_fit *cvo_analysis_covariates(const cvo_analysis *analysis);
CVO_API const char *cvo_analysis_covariates_note(const cvo_analysis *analysis);

#ifdef __cplusplus
}
#endif
#endif /* CVO_H */
