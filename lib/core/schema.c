/* schema.c - header detection. Names are compared after folding case and
 * turning blanks, '-' and '.' into '_'; among a field's aliases the earlier
 * alias wins, so a canonical name always beats a loose one like "date". */
#include "schema.h"

#include "io/header.h"

#include <string.h>

static const char *const field_names[FIELD__COUNT] = {
    "order_id", "customer_id", "email", "order_date", "sku", "product", "quantity",
    "unit_price", "discount", "unit_cost", "shipping_cost", "refund", "country",
    "discount_code", "channel", "order_total", "status", "cancelled_at", "order_refund",
    "subtotal", "category", "fulfilled_at", "delivered_at", "accepts_marketing",
    "currency", "outstanding", "shipping_charged", "handling_charged",
};

/* Aliases per field, NULL-terminated, best first. */
static const char *const aliases[FIELD__COUNT][16] = {
    [FIELD_ORDER_ID] = {"order_id", "orderid", "order_number", "order_no", "order", "invoiceno",
                        "invoice_no", "invoice", "invoice_id", "transaction_id", NULL},
    [FIELD_CUSTOMER_ID] = {"customer_id", "customerid", "customer_no", "customer_number",
                           "customer", "client_id", "user_id", "cust_id", "cust", "masterid",
                           NULL},
    [FIELD_EMAIL] = {"email", "email_address", "customer_email", "e_mail", "billing_email", NULL},
    [FIELD_ORDER_DATE] = {"order_date", "orderdate", "invoicedate", "invoice_date", "created_at",
                          "purchase_date", "order_purchase_timestamp", "transaction_date",
                          "date", "timestamp", "datetime", NULL},
    [FIELD_SKU] = {"sku", "stockcode", "stock_code", "product_id", "item_id", "variant_sku",
                   "lineitem_sku", NULL},
    [FIELD_PRODUCT] = {"product", "product_name", "lineitem_name", "description", "item_name",
                       "item", "title", NULL},
    [FIELD_QUANTITY] = {"quantity", "qty", "lineitem_quantity", "units", "number_of_cds", "cds",
                        "items", NULL},
    [FIELD_UNIT_PRICE] = {"unit_price", "unitprice", "lineitem_price", "item_price", "price",
                          NULL},
    [FIELD_DISCOUNT] = {"discount", "line_discount", "lineitem_discount", "discount_amount", NULL},
    [FIELD_UNIT_COST] = {"unit_cost", "unitcost", "cost", "cogs", NULL},
    [FIELD_SHIPPING_COST] = {"shipping_cost", "shipping", "shipping_total", "freight_value",
                             "freight", NULL},
    [FIELD_REFUND] = {"refund", "refund_amount", "refunded", NULL},
    [FIELD_COUNTRY] = {"country", "country_code", "billing_country", "shipping_country",
                       "region", NULL},
    [FIELD_DISCOUNT_CODE] = {"discount_code", "coupon", "coupon_code", "promo_code", "voucher",
                             NULL},
    [FIELD_CHANNEL] = {"channel", "acquisition_channel", "source", "utm_source", NULL},
    [FIELD_ORDER_TOTAL] = {"order_total", "total", "revenue", "amount", "sales", "order_value",
                           "dollar_value", "total_price", "value", "payment_value", NULL},
    [FIELD_STATUS] = {"status", "order_status", "financial_status", NULL},
    [FIELD_CANCELLED_AT] = {"cancelled_at", "canceled_at", NULL},
    [FIELD_ORDER_REFUND] = {"order_refund", "refunded_amount", NULL},
    [FIELD_SUBTOTAL] = {"subtotal", NULL},
    [FIELD_CATEGORY] = {"category", "product_category", "product_type", "category_name",
                        "product_category_name", NULL},
    [FIELD_FULFILLED_AT] = {"fulfilled_at", "fulfillment_date", "shipped_at", "ship_date",
                            "shipped_date", "order_delivered_carrier_date", NULL},
    [FIELD_DELIVERED_AT] = {"delivered_at", "delivery_date", "delivered_date",
                            "order_delivered_customer_date", NULL},
    [FIELD_ACCEPTS_MARKETING] = {"accepts_marketing", "accepts_email_marketing",
                                 "marketing_consent", "email_marketing_consent",
                                 "marketing_opt_in", "email_opt_in", NULL},
    [FIELD_CURRENCY] = {"currency", "currency_code", "order_currency", "order_currency_code",
                        NULL},
    [FIELD_OUTSTANDING] = {"outstanding", "outstanding_balance", NULL},
    [FIELD_SHIPPING_CHARGED] = {"shipping_charged", NULL},
    [FIELD_HANDLING_CHARGED] = {"handling_charged", NULL},
};

/* Shopify's export, by normalised header name. */
static const char *const shopify_columns[FIELD__COUNT] = {
    [FIELD_ORDER_ID] = "name",
    [FIELD_EMAIL] = "email",
    [FIELD_ORDER_DATE] = "created_at",
    [FIELD_SKU] = "lineitem_sku",
    [FIELD_PRODUCT] = "lineitem_name",
    [FIELD_QUANTITY] = "lineitem_quantity",
    [FIELD_UNIT_PRICE] = "lineitem_price",
    [FIELD_DISCOUNT] = "lineitem_discount",
    [FIELD_COUNTRY] = "billing_country",
    [FIELD_DISCOUNT_CODE] = "discount_code",
    [FIELD_CHANNEL] = "source",
    [FIELD_STATUS] = "financial_status",
    [FIELD_CANCELLED_AT] = "cancelled_at",
    [FIELD_ORDER_REFUND] = "refunded_amount",
    [FIELD_SUBTOTAL] = "subtotal",
    [FIELD_FULFILLED_AT] = "fulfilled_at",
    [FIELD_ACCEPTS_MARKETING] = "accepts_marketing",
    [FIELD_CURRENCY] = "currency",
    [FIELD_OUTSTANDING] = "outstanding_balance",
};

/* WooCommerce's order export (WebToffee / Customer-Order-Coupon Export
 * column keys), one row per order. Net revenue: order_subtotal (before
 * discounts, without shipping and tax) - discount_total - the refunds of
 * refund_items. Customers by customer_email (customer_id is 0 for guests). */
static const char *const woocommerce_columns[FIELD__COUNT] = {
    [FIELD_ORDER_ID] = "order_number",
    [FIELD_EMAIL] = "customer_email",
    [FIELD_ORDER_DATE] = "order_date",
    [FIELD_STATUS] = "status",
    [FIELD_CURRENCY] = "order_currency",
    [FIELD_ORDER_TOTAL] = "order_subtotal",
    [FIELD_DISCOUNT] = "discount_total",
    [FIELD_REFUND] = "refund_items",
    [FIELD_DISCOUNT_CODE] = "coupon_items",
    [FIELD_COUNTRY] = "billing_country",
};

/* BigCommerce's order export, one row per order. Net revenue: Order Total
 * (ex tax) - Shipping Cost (ex tax) - Handling Cost (ex tax) - Refund Amount.
 * Customers by Customer Email (Customer ID is 0 for guests). */
static const char *const bigcommerce_columns[FIELD__COUNT] = {
    [FIELD_ORDER_ID] = "order_id",
    [FIELD_EMAIL] = "customer_email",
    [FIELD_ORDER_DATE] = "order_date",
    [FIELD_STATUS] = "order_status",
    [FIELD_CURRENCY] = "order_currency_code",
    [FIELD_ORDER_TOTAL] = "order_total_(ex_tax)",
    [FIELD_SHIPPING_CHARGED] = "shipping_cost_(ex_tax)",
    [FIELD_HANDLING_CHARGED] = "handling_cost_(ex_tax)",
    [FIELD_REFUND] = "refund_amount",
    [FIELD_COUNTRY] = "billing_country",
    [FIELD_QUANTITY] = "total_quantity",
};

/* Magento's admin order grid export (Sales > Orders > Export) with the
 * Customer Email column switched on. Amounts in the base currency: Grand
 * Total (Base) - Shipping and Handling - Total Refunded (the grid has no tax
 * split: the net includes tax). */
static const char *const magento_columns[FIELD__COUNT] = {
    [FIELD_ORDER_ID] = "id",
    [FIELD_EMAIL] = "customer_email",
    [FIELD_ORDER_DATE] = "purchase_date",
    [FIELD_STATUS] = "status",
    [FIELD_ORDER_TOTAL] = "grand_total_(base)",
    [FIELD_SHIPPING_CHARGED] = "shipping_and_handling",
    [FIELD_REFUND] = "total_refunded",
};

static const char *const format_names[] = {"auto",    "generic",     "shopify",    "cdnow",
                                           "woocommerce", "bigcommerce", "magento"};

const char *cvo_format_name(cvo_format format)
{
    return (unsigned)format < sizeof format_names / sizeof *format_names ? format_names[format]
                                                                          : "?";
}

bool cvo_format_parse(const char *name, cvo_format *out)
{
    for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (cvo_format)i;
            return true;
        }
    return false;
}

const char *schema_field_name(field_id field)
{
    return field < FIELD__COUNT ? field_names[field] : "?";
}

/* Folds a header name into out (NUL-terminated, at most cap-1 bytes). */
static void fold_name(const char *text, size_t len, char *out, size_t cap)
{
    while (len > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (c == ' ' || c == '-' || c == '.')
            c = '_';
        out[n++] = c;
    }
    out[n] = '\0';
}

typedef struct folded_header {
    uint32_t count;
    char names[CVO_MAX_COLUMNS][CVO_MAX_HEADER_BYTES];
} folded_header;

static void fold_header(const csv_record *header, folded_header *out)
{
    out->count = header->stored;
    for (uint32_t i = 0; i < header->stored; i++) {
        char raw[CVO_MAX_HEADER_BYTES];
        size_t len = header_name_text(&header->fields[i], raw, sizeof raw);
        fold_name(raw, len, out->names[i], sizeof out->names[i]);
    }
}

static int find_column(const folded_header *h, const char *name)
{
    for (uint32_t i = 0; i < h->count; i++)
        if (strcmp(h->names[i], name) == 0)
            return (int)i;
    return -1;
}

static void map_by_aliases(const folded_header *h, schema *out)
{
    for (int f = 0; f < FIELD__COUNT; f++) {
        out->column[f] = -1;
        for (int a = 0; aliases[f][a] != NULL && out->column[f] < 0; a++)
            out->column[f] = find_column(h, aliases[f][a]);
    }
}

static bool is_shopify(const folded_header *h)
{
    return find_column(h, "name") >= 0 && find_column(h, "financial_status") >= 0 &&
           find_column(h, "created_at") >= 0 && find_column(h, "lineitem_quantity") >= 0 &&
           find_column(h, "lineitem_price") >= 0;
}

static bool has_all(const folded_header *h, const char *const *names)
{
    for (; *names != NULL; names++)
        if (find_column(h, *names) < 0)
            return false;
    return true;
}

static const char *const woocommerce_needs[] = {"order_number", "order_date", "status",
                                                "order_subtotal", "customer_email", NULL};
static const char *const bigcommerce_needs[] = {"order_id", "customer_email", "order_date",
                                                "order_status", "order_total_(ex_tax)", NULL};
static const char *const magento_needs[] = {"id", "purchase_point", "purchase_date",
                                            "grand_total_(base)", "status", NULL};

/* The preset a header is, CVO_FORMAT_GENERIC for none. */
static cvo_format detect_preset(const folded_header *h)
{
    if (is_shopify(h))
        return CVO_FORMAT_SHOPIFY;
    if (has_all(h, woocommerce_needs))
        return CVO_FORMAT_WOOCOMMERCE;
    if (has_all(h, bigcommerce_needs))
        return CVO_FORMAT_BIGCOMMERCE;
    if (has_all(h, magento_needs))
        return CVO_FORMAT_MAGENTO;
    return CVO_FORMAT_GENERIC;
}

static void map_columns(const folded_header *h, const char *const *columns, cvo_format format,
                        schema *out)
{
    for (int f = 0; f < FIELD__COUNT; f++)
        out->column[f] = columns[f] ? find_column(h, columns[f]) : -1;
    out->format = format;
}

static void map_preset(const folded_header *h, cvo_format format, schema *out)
{
    if (format == CVO_FORMAT_WOOCOMMERCE) {
        map_columns(h, woocommerce_columns, format, out);
        if (out->column[FIELD_ORDER_ID] < 0)
            out->column[FIELD_ORDER_ID] = find_column(h, "order_id");
        if (out->column[FIELD_EMAIL] < 0)
            out->column[FIELD_EMAIL] = find_column(h, "billing_email");
        out->compound_items = true;
    } else if (format == CVO_FORMAT_BIGCOMMERCE) {
        map_columns(h, bigcommerce_columns, format, out);
    } else {
        map_columns(h, magento_columns, format, out);
    }
}

static void map_shopify(const folded_header *h, schema *out)
{
    for (int f = 0; f < FIELD__COUNT; f++)
        out->column[f] = shopify_columns[f] ? find_column(h, shopify_columns[f]) : -1;
    if (out->column[FIELD_ACCEPTS_MARKETING] < 0) /* the name of newer exports */
        out->column[FIELD_ACCEPTS_MARKETING] = find_column(h, "accepts_email_marketing");
    out->format = CVO_FORMAT_SHOPIFY;
    out->order_level_fields = true;
}

static bool all_digits(const csv_field *f)
{
    if (f->len == 0)
        return false;
    for (uint32_t i = 0; i < f->len; i++)
        if ((f->ptr[i] < '0' || f->ptr[i] > '9') && f->ptr[i] != '.')
            return false;
    return true;
}

/* CDNOW_sample.txt: "id sample_id YYYYMMDD cds dollars" without a header;
 * the 4-column master layout "id YYYYMMDD cds dollars" likewise. */
static bool map_headerless_log(const csv_record *first, schema *out)
{
    if (first->count != 4 && first->count != 5)
        return false;
    for (uint32_t i = 0; i < first->count; i++)
        if (!all_digits(&first->fields[i]))
            return false;
    int date = first->count == 5 ? 2 : 1;
    if (first->fields[date].len != 8)
        return false;
    for (int f = 0; f < FIELD__COUNT; f++)
        out->column[f] = -1;
    out->column[FIELD_CUSTOMER_ID] = 0;
    out->column[FIELD_ORDER_DATE] = date;
    out->column[FIELD_QUANTITY] = date + 1;
    out->column[FIELD_ORDER_TOTAL] = date + 2;
    out->has_header = false;
    out->format = CVO_FORMAT_CDNOW;
    return true;
}

static int field_by_name(const char *name, size_t len)
{
    for (int f = 0; f < FIELD__COUNT; f++)
        if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
            return f;
    return -1;
}

static cvo_status map_error(cvo_ctx *ctx, const char *what, const char *item, size_t len)
{
    return ctx_fail(ctx, CVO_ERR_ARGUMENT, "--map: %s '%.*s'", what, (int)len, item);
}

/* Applies "field=Header,field=Header". */
static cvo_status apply_map(cvo_ctx *ctx, const folded_header *h, const char *map, schema *out)
{
    const char *p = map;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq == NULL)
            return map_error(ctx, "expected field=Header, got", p, len);
        int field = field_by_name(p, (size_t)(eq - p));
        if (field < 0)
            return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                            "--map: unknown field '%.*s' (fields: order_id, customer_id, email, "
                            "order_date, sku, product, quantity, unit_price, discount, unit_cost, "
                            "shipping_cost, refund, country, discount_code, channel, order_total, "
                            "status, cancelled_at, order_refund, subtotal, category, fulfilled_at, "
                            "delivered_at, accepts_marketing, currency, outstanding, "
                            "shipping_charged, handling_charged)",
                            (int)(eq - p), p);
        char folded[CVO_MAX_HEADER_BYTES];
        fold_name(eq + 1, len - (size_t)(eq + 1 - p), folded, sizeof folded);
        int column = find_column(h, folded);
        if (column < 0)
            return map_error(ctx, "no such column in the header:", eq + 1,
                             len - (size_t)(eq + 1 - p));
        out->column[field] = column;
        p += len + (end ? 1 : 0);
    }
    return CVO_OK;
}

static size_t list_columns(const csv_record *header, char *out, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < header->stored && n + 8 < cap; i++) {
        size_t len = header->fields[i].len;
        if (len > cap - n - 8)
            len = cap - n - 8;
        if (i)
            out[n++] = ',', out[n++] = ' ';
        memcpy(out + n, header->fields[i].ptr, len);
        n += len;
    }
    out[n] = '\0';
    return n;
}

static cvo_status check_required(cvo_ctx *ctx, const char *name, const csv_record *header,
                                 schema *s)
{
    bool key = s->column[FIELD_CUSTOMER_ID] >= 0 || s->column[FIELD_EMAIL] >= 0;
    bool date = s->column[FIELD_ORDER_DATE] >= 0;
    /* without an amount the file is a count-only event log (customer, date) */
    s->has_amount = s->column[FIELD_UNIT_PRICE] >= 0 || s->column[FIELD_ORDER_TOTAL] >= 0 ||
                    s->column[FIELD_SUBTOTAL] >= 0;
    if (s->format == CVO_FORMAT_MAGENTO && !key)
        return ctx_fail(ctx, CVO_ERR_FORMAT,
                        "%s:1: a Magento order grid export without a customer column: switch "
                        "on Customer Email with the grid's Columns control and export again",
                        name);
    if (key && date)
        return CVO_OK;
    char found[512];
    list_columns(header, found, sizeof found);
    return ctx_fail(ctx, CVO_ERR_FORMAT,
                    "%s:1: unknown header: cannot find %s.\n"
                    "  found: %s\n"
                    "  cvo needs: a customer key (customer_id or email), an order date "
                    "(order_date) and, for money figures, an amount (quantity and unit_price, "
                    "or order_total).\n"
                    "  name your columns with --map, e.g. "
                    "--map customer_id=CustomerID,order_date=InvoiceDate,quantity=Quantity,"
                    "unit_price=UnitPrice",
                    name,
                    !key && !date ? "a customer key and an order date"
                    : !key        ? "a customer key"
                                  : "an order date",
                    found);
}

/* --format NAME for a header that is not NAME's export: say what it needs. */
static cvo_status not_the_format(cvo_ctx *ctx, const char *name, cvo_format format)
{
    if (format == CVO_FORMAT_SHOPIFY)
        return ctx_fail(ctx, CVO_ERR_FORMAT, "%s:1: not a Shopify orders export "
                        "(needs Name, Financial Status, Created at, Lineitem quantity, "
                        "Lineitem price)", name);
    static const char *const shown[] = {
        [CVO_FORMAT_WOOCOMMERCE] = "order_number, order_date, status, order_subtotal, "
                                   "customer_email",
        [CVO_FORMAT_BIGCOMMERCE] = "Order ID, Customer Email, Order Date, Order Status, "
                                   "Order Total (ex tax)",
        [CVO_FORMAT_MAGENTO] = "ID, Purchase Point, Purchase Date, Grand Total (Base), Status"};
    return ctx_fail(ctx, CVO_ERR_FORMAT, "%s:1: not a %s order export (needs %s)", name,
                    format == CVO_FORMAT_WOOCOMMERCE   ? "WooCommerce"
                    : format == CVO_FORMAT_BIGCOMMERCE ? "BigCommerce"
                                                       : "Magento",
                    shown[format]);
}

static bool is_preset(cvo_format format)
{
    return format == CVO_FORMAT_SHOPIFY || format == CVO_FORMAT_WOOCOMMERCE ||
           format == CVO_FORMAT_BIGCOMMERCE || format == CVO_FORMAT_MAGENTO;
}

/* Maps the header by the preset asked for, the one detected, or aliases. */
static cvo_status map_header(cvo_ctx *ctx, const char *name, const folded_header *h,
                             cvo_format asked, schema *out)
{
    cvo_format found = asked == CVO_FORMAT_GENERIC ? CVO_FORMAT_GENERIC : detect_preset(h);
    if (is_preset(asked) && found != asked)
        return not_the_format(ctx, name, asked);
    out->detected = asked == CVO_FORMAT_AUTO && found != CVO_FORMAT_GENERIC;
    if (found == CVO_FORMAT_SHOPIFY)
        map_shopify(h, out);
    else if (found != CVO_FORMAT_GENERIC)
        map_preset(h, found, out);
    else
        map_by_aliases(h, out);
    return CVO_OK;
}

cvo_status schema_detect(cvo_ctx *ctx, const char *name, const csv_record *header,
                         const cvo_load_options *options, schema *out)
{
    folded_header *h = mem_alloc(ctx, sizeof *h);
    if (h == NULL)
        return ctx_nomem(ctx);
    fold_header(header, h);
    out->has_header = true;
    out->order_level_fields = false;
    out->format = CVO_FORMAT_GENERIC;
    bool want_log = options->format == CVO_FORMAT_CDNOW || options->format == CVO_FORMAT_AUTO;
    out->compound_items = out->detected = false;
    cvo_status status = CVO_OK;
    if (!(want_log && out->delimiter == ' ' && map_headerless_log(header, out)))
        status = map_header(ctx, name, h, options->format, out);
    if (out->delimiter == ' ' && out->format == CVO_FORMAT_GENERIC)
        out->format = CVO_FORMAT_CDNOW;
    if (status == CVO_OK && options->column_map != NULL && out->has_header)
        status = apply_map(ctx, h, options->column_map, out);
    mem_free(ctx, h);
    out->columns = out->delimiter == ' ' ? 0 : header->count;
    if (status == CVO_OK && out->has_header)
        status = header_check(ctx, name, header, fold_name);
    else if (status == CVO_OK && header->count > CVO_MAX_COLUMNS)
        status = ctx_fail(ctx, CVO_ERR_LIMIT, "%s:1: %u fields (at most %d)", name, header->count,
                          CVO_MAX_COLUMNS);
    return status == CVO_OK ? check_required(ctx, name, header, out) : status;
}
