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
};

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
                            "delivered_at, accepts_marketing)",
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
                                 const schema *s)
{
    bool key = s->column[FIELD_CUSTOMER_ID] >= 0 || s->column[FIELD_EMAIL] >= 0;
    bool date = s->column[FIELD_ORDER_DATE] >= 0;
    bool amount = s->column[FIELD_UNIT_PRICE] >= 0 || s->column[FIELD_ORDER_TOTAL] >= 0 ||
                  s->column[FIELD_SUBTOTAL] >= 0;
    if (key && date && amount)
        return CVO_OK;
    char found[512], missing[96];
    list_columns(header, found, sizeof found);
    const char *parts[3];
    int n = 0;
    if (!key)
        parts[n++] = "a customer key";
    if (!date)
        parts[n++] = "an order date";
    if (!amount)
        parts[n++] = "an amount";
    snprintf(missing, sizeof missing, "%s%s%s%s%s", parts[0], n == 3 ? ", " : n == 2 ? " and " : "",
             n > 1 ? parts[1] : "", n == 3 ? " and " : "", n == 3 ? parts[2] : "");
    return ctx_fail(ctx, CVO_ERR_FORMAT,
                    "%s:1: unknown header: cannot find %s.\n"
                    "  found: %s\n"
                    "  cvo needs: a customer key (customer_id or email), an order date "
                    "(order_date) and an amount (quantity and unit_price, or order_total).\n"
                    "  name your columns with --map, e.g. "
                    "--map customer_id=CustomerID,order_date=InvoiceDate,quantity=Quantity,"
                    "unit_price=UnitPrice",
                    name, missing, found);
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
    if (!(want_log && out->delimiter == ' ' && map_headerless_log(header, out))) {
        if (options->format != CVO_FORMAT_GENERIC && is_shopify(h))
            map_shopify(h, out);
        else if (options->format == CVO_FORMAT_SHOPIFY) {
            mem_free(ctx, h);
            return ctx_fail(ctx, CVO_ERR_FORMAT, "%s:1: not a Shopify orders export "
                            "(needs Name, Financial Status, Created at, Lineitem quantity, "
                            "Lineitem price)", name);
        } else
            map_by_aliases(h, out);
    }
    if (out->delimiter == ' ' && out->format == CVO_FORMAT_GENERIC)
        out->format = CVO_FORMAT_CDNOW;
    cvo_status status = CVO_OK;
    if (options->column_map != NULL && out->has_header)
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
