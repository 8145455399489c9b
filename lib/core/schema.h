/* schema.h - which column holds which order field. Built once from the header
 * (aliases, Shopify's export, the CDNOW log layout) and --map overrides. */
#ifndef CVO_SCHEMA_H
#define CVO_SCHEMA_H

#include "base/ctx.h"
#include "io/csv.h"

typedef enum field_id {
    FIELD_ORDER_ID = 0,
    FIELD_CUSTOMER_ID,
    FIELD_EMAIL,
    FIELD_ORDER_DATE,
    FIELD_SKU,
    FIELD_PRODUCT,
    FIELD_QUANTITY,
    FIELD_UNIT_PRICE,
    FIELD_DISCOUNT,
    FIELD_UNIT_COST,
    FIELD_SHIPPING_COST,
    FIELD_REFUND,
    FIELD_COUNTRY,
    FIELD_DISCOUNT_CODE,
    FIELD_CHANNEL,
    FIELD_ORDER_TOTAL,   /* order-level amount instead of quantity x unit_price */
    FIELD_STATUS,        /* cancelled/voided/refunded orders do not count */
    FIELD_CANCELLED_AT,  /* any value: the order was cancelled */
    FIELD_ORDER_REFUND,  /* order-level refunded amount (Shopify Refunded Amount) */
    FIELD_SUBTOTAL,      /* order-level net of discounts (Shopify Subtotal) */
    FIELD_CATEGORY,      /* the line's product category */
    FIELD_FULFILLED_AT,  /* order-level: shipped (Shopify Fulfilled at) */
    FIELD_DELIVERED_AT,  /* order-level: delivered to the customer */
    FIELD_ACCEPTS_MARKETING, /* order-level: the customer's marketing consent (yes/no) */
    FIELD_CURRENCY,      /* order-level: ISO 4217 code of the order's amounts */
    FIELD_OUTSTANDING,   /* order-level: not yet paid (Shopify Outstanding Balance) */
    FIELD_SHIPPING_CHARGED, /* order-level: shipping in order_total, taken off it */
    FIELD_HANDLING_CHARGED, /* order-level: handling in order_total, taken off it */
    FIELD__COUNT
} field_id;

typedef struct schema {
    cvo_format format;
    char delimiter;
    bool has_header;          /* false for the headerless CDNOW sample */
    uint32_t columns;         /* fields a record must have (0: any, whitespace logs) */
    int column[FIELD__COUNT]; /* column index, -1 when absent */
    bool order_level_fields;  /* some fields sit on the first row of an order only */
    bool has_amount;          /* false: a count-only event log (customer, date) */
    bool compound_items;      /* WooCommerce: refund_items / coupon_items hold
                                 "key:value|key:value" lists */
    bool detected;            /* the format came from the header */
} schema;

/* The canonical name of a field ("order_date"). */
const char *schema_field_name(field_id field);

/* Builds the schema from the first record of the input. first_line is the
 * raw first line (for sniffing the headerless CDNOW layout). Errors:
 * CVO_ERR_FORMAT with the list of needed columns, CVO_ERR_ARGUMENT for a bad
 * --map. */
cvo_status schema_detect(cvo_ctx *ctx, const char *name, const csv_record *header,
                         const cvo_load_options *options, schema *out);

#endif
