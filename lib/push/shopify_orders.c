/* shopify_orders.c - bulk-operation JSONL to rows of Shopify's order export, the
 * previous pull read back, and the merge by order id (see shopify_orders.h). Every
 * order's rows stay together: order-level fields on its first row only, as the
 * export writes them, so cvo's shopify reader reads a pull like an export. */
#include "push/shopify_orders.h"

#include "base/limits.h"
#include "io/csv.h"
#include "io/datetime.h"
#include "push/jsonread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The 79 columns of Shopify's order export, then the customer's id. */
enum {
    COL_NAME = 0,
    COL_EMAIL = 1,
    COL_FINANCIAL = 2,
    COL_FULFILLMENT = 4,
    COL_FULFILLED_AT = 5,
    COL_ACCEPTS = 6,
    COL_CURRENCY = 7,
    COL_SUBTOTAL = 8,
    COL_SHIPPING = 9,
    COL_TAXES = 10,
    COL_TOTAL = 11,
    COL_DISCOUNT_CODE = 12,
    COL_DISCOUNT_AMOUNT = 13,
    COL_CREATED = 15,
    COL_LINE_QUANTITY = 16,
    COL_LINE_NAME = 17,
    COL_LINE_PRICE = 18,
    COL_LINE_SKU = 20,
    COL_BILLING_COUNTRY = 32,
    COL_SHIPPING_COUNTRY = 42,
    COL_CANCELLED = 46,
    COL_REFUNDED = 49,
    COL_ID = 55,
    COL_SOURCE = 58,
    COL_LINE_DISCOUNT = 59,
    COL_CUSTOMER_ID = 79,
    COL_COUNT = 80
};

static const char *const column_names[COL_COUNT] = {
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Tax 2 Name",
    "Tax 2 Value",
    "Tax 3 Name",
    "Tax 3 Value",
    "Tax 4 Name",
    "Tax 4 Value",
    "Tax 5 Name",
    "Tax 5 Value",
    "Phone",
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
    "Payment ID",
    "Payment Terms Name",
    "Next Payment Due At",
    "Payment References",
    "Customer ID",
};

static const char order_prefix[] = "gid://shopify/Order/";
static const char customer_prefix[] = "gid://shopify/Customer/";

void shop_table_init(shop_table *t, cvo_ctx *ctx)
{
    memset(t, 0, sizeof *t);
    t->ctx = ctx;
    cell_buf_init(&t->pulled_text, ctx);
}

void shop_table_free(shop_table *t)
{
    cell_buf_free(&t->pulled_text);
    mem_free(t->ctx, t->previous_text);
    mem_free(t->ctx, t->orders);
    memset(t, 0, sizeof *t);
}

static cvo_status add_order(shop_table *t, const shop_order *o)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        if (cap > CVO_MAX_PULL_ORDERS)
            cap = CVO_MAX_PULL_ORDERS;
        if (t->count >= cap)
            return ctx_fail(t->ctx, CVO_ERR_LIMIT, "shopify: more than %u orders",
                            (unsigned)CVO_MAX_PULL_ORDERS);
        shop_order *grown = mem_realloc(t->ctx, t->orders, cap * sizeof *grown);
        if (grown == NULL)
            return ctx_nomem(t->ctx);
        t->orders = grown;
        t->cap = cap;
    }
    t->orders[t->count++] = *o;
    return CVO_OK;
}

/* ---- times ---------------------------------------------------------------------- */

static bool digits(const char *text, int count, int *out)
{
    int value = 0;
    for (int i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
}

/* "+HH:MM", "+HHMM" or "Z" at text: the offset east of UTC in seconds. */
static bool zone_offset(const char *text, int64_t *offset)
{
    int hours, minutes;
    if (strcmp(text, "Z") == 0 || strcmp(text, "z") == 0)
        return *offset = 0, true;
    if ((text[0] != '+' && text[0] != '-') || !digits(text + 1, 2, &hours))
        return false;
    const char *m = text + 3 + (text[3] == ':');
    if (!digits(m, 2, &minutes) || m[2] != '\0' || hours > 23 || minutes > 59)
        return false;
    *offset = (text[0] == '-' ? -1 : 1) * (int64_t)(hours * 3600 + minutes * 60);
    return true;
}

bool shop_time_parse(const char *text, int64_t *out)
{
    int y, mo, d, h, mi, s;
    if (text == NULL || strlen(text) < 20 || !digits(text, 4, &y) || text[4] != '-' ||
        !digits(text + 5, 2, &mo) || text[7] != '-' || !digits(text + 8, 2, &d) ||
        (text[10] != 'T' && text[10] != ' ') || !digits(text + 11, 2, &h) || text[13] != ':' ||
        !digits(text + 14, 2, &mi) || text[16] != ':' || !digits(text + 17, 2, &s) ||
        !date_valid_civil(y, mo, d) || h > 23 || mi > 59 || s > 60)
        return false;
    const char *zone = text + 19;
    if (*zone == '.')
        zone += 1 + strspn(zone + 1, "0123456789");
    if (*zone == ' ' && text[10] == ' ') /* the export's "2025-10-07 09:50:26 +0200" */
        zone++;
    int64_t offset;
    if (!zone_offset(zone, &offset))
        return false;
    int64_t day = date_from_civil(y, mo, d);
    *out = day * 86400 + h * 3600 + mi * 60 + s - offset;
    return true;
}

static void civil_of(int64_t seconds, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
    int64_t day = seconds / 86400, rest = seconds % 86400;
    if (rest < 0)
        rest += 86400, day--;
    date_to_civil((int32_t)day, y, mo, d);
    *h = (int)(rest / 3600);
    *mi = (int)(rest / 60 % 60);
    *s = (int)(rest % 60);
}

void shop_time_iso(int64_t seconds, char *out)
{
    int y, mo, d, h, mi, s;
    civil_of(seconds, &y, &mo, &d, &h, &mi, &s);
    snprintf(out, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
}

/* The export's form, local time in zone with the offset then in force:
 * "2025-10-07 09:50:26 +0200" (out: 26 bytes). cvo takes an order's day from
 * the local date, so it falls on the shop's day as in an export. An offset with
 * seconds (local mean time, before about 1900) is cut to whole minutes in both
 * parts, so the text still names the exact instant. */
static void time_csv(const tz_zone *zone, int64_t seconds, char *out)
{
    int32_t offset = tz_offset(zone, seconds);
    offset -= offset % 60;
    unsigned minutes = (unsigned)(offset < 0 ? -offset : offset) / 60 % (100 * 60); /* tz: < 26 h */
    int y, mo, d, h, mi, s;
    civil_of(seconds + offset, &y, &mo, &d, &h, &mi, &s);
    snprintf(out, 26, "%04d-%02d-%02d %02d:%02d:%02d %c%02u%02u", y, mo, d, h, mi, s,
             offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

/* ---- ids ---------------------------------------------------------------------------- */

/* The number after prefix in a GID; false when text is not such a GID. */
static bool gid_number(const char *text, const char *prefix, int64_t *out)
{
    size_t n = strlen(prefix);
    if (text == NULL || strncmp(text, prefix, n) != 0)
        return false;
    const char *p = text + n;
    size_t len = strspn(p, "0123456789");
    if (len == 0 || len > 18 || (p[len] != '\0' && p[len] != '?'))
        return false;
    int64_t value = 0;
    for (size_t i = 0; i < len; i++)
        value = value * 10 + (p[i] - '0');
    *out = value;
    return true;
}

/* ---- pulled orders ----------------------------------------------------------------- */

/* Where an order's rows start and how many line items it has so far; the rows are
 * written in pass 2, the order-level row in pass 1. */
typedef struct pulled {
    int64_t id;
    size_t index;  /* in t->orders */
    json_t *node;  /* the order's line (kept for its first row) */
    json_t *lines; /* its line items, an array */
} pulled;

static int pulled_by_id(const void *a, const void *b)
{
    int64_t x = ((const pulled *)a)->id, y = ((const pulled *)b)->id;
    return (x > y) - (x < y);
}

/* Text at path, "" when absent or null; numbers as their text. */
static const char *text_at(json_t *node, const char *path, char *scratch, size_t cap)
{
    json_t *v = jsonread_at(node, path);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(scratch, cap, "%lld", (long long)json_integer_value(v));
        return scratch;
    }
    if (json_is_real(v)) {
        snprintf(scratch, cap, "%.2f", json_real_value(v));
        return scratch;
    }
    return "";
}

static void lower_copy(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    for (; text[n] && n + 1 < cap; n++)
        out[n] = text[n] >= 'A' && text[n] <= 'Z' ? (char)(text[n] - 'A' + 'a') : text[n];
    out[n] = '\0';
}

/* A DateTime field in the export's form, "" when absent; false when malformed. */
static bool time_field(const tz_zone *zone, json_t *node, const char *path, char *out)
{
    const char *text = jsonread_text(node, path);
    int64_t seconds;
    out[0] = '\0';
    if (text == NULL)
        return true;
    if (!shop_time_parse(text, &seconds))
        return false;
    time_csv(zone, seconds, out);
    return true;
}

static void emit_row(cell_buf *b, const char *const *cells)
{
    for (int c = 0; c < COL_COUNT; c++) {
        if (c > 0)
            cell_char(b, ',');
        if (cells[c] && cells[c][0])
            cell_csv_text(b, cells[c]);
    }
    cell_char(b, '\n');
}

/* The earliest fulfillment, "" when none (a plain list on the order). */
static bool first_fulfilled(const tz_zone *zone, json_t *node, char *out)
{
    json_t *list = json_object_get(node, "fulfillments");
    int64_t best = INT64_MAX;
    size_t i;
    json_t *f;
    json_array_foreach(list, i, f)
    {
        int64_t at;
        const char *text = jsonread_text(f, "createdAt");
        if (text && !shop_time_parse(text, &at))
            return false;
        if (text && at < best)
            best = at;
    }
    out[0] = '\0';
    if (best != INT64_MAX)
        time_csv(zone, best, out);
    return true;
}

static void join_codes(json_t *node, char *out, size_t cap)
{
    json_t *codes = json_object_get(node, "discountCodes");
    size_t i, n = 0;
    json_t *code;
    out[0] = '\0';
    json_array_foreach(codes, i, code)
    {
        if (!json_is_string(code))
            continue;
        int w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "", json_string_value(code));
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

/* Scratch for one order's cells. */
typedef struct order_cells {
    const char *cell[COL_COUNT];
    char financial[40], fulfillment[40], created[26], cancelled[26], fulfilled[26];
    char codes[512], customer_id[24], id[24], n[8][40], line_n[3][40];
} order_cells;

static bool fill_order(const tz_zone *zone, json_t *node, int64_t id, order_cells *c)
{
    memset(c->cell, 0, sizeof c->cell);
    if (!time_field(zone, node, "createdAt", c->created) || c->created[0] == '\0' ||
        !time_field(zone, node, "cancelledAt", c->cancelled) ||
        !first_fulfilled(zone, node, c->fulfilled))
        return false;
    const char *email = jsonread_text(node, "email");
    if (email == NULL || email[0] == '\0')
        email = jsonread_text(node, "customer.email");
    lower_copy(text_at(node, "displayFinancialStatus", c->n[0], 40), c->financial,
               sizeof c->financial);
    lower_copy(text_at(node, "displayFulfillmentStatus", c->n[0], 40), c->fulfillment,
               sizeof c->fulfillment);
    const char *state = jsonread_text(node, "customer.emailMarketingConsent.marketingState");
    int64_t customer;
    c->customer_id[0] = '\0';
    if (gid_number(jsonread_text(node, "customer.id"), customer_prefix, &customer))
        snprintf(c->customer_id, sizeof c->customer_id, "%lld", (long long)customer);
    snprintf(c->id, sizeof c->id, "%lld", (long long)id);
    join_codes(node, c->codes, sizeof c->codes);
    c->cell[COL_NAME] = jsonread_text(node, "name");
    c->cell[COL_EMAIL] = email;
    c->cell[COL_FINANCIAL] = c->financial;
    c->cell[COL_FULFILLMENT] = c->fulfillment;
    c->cell[COL_FULFILLED_AT] = c->fulfilled;
    c->cell[COL_ACCEPTS] = state == NULL ? NULL : strcmp(state, "SUBSCRIBED") == 0 ? "yes" : "no";
    c->cell[COL_CURRENCY] = jsonread_text(node, "currencyCode");
    c->cell[COL_SUBTOTAL] = text_at(node, "subtotalPriceSet.shopMoney.amount", c->n[1], 40);
    c->cell[COL_SHIPPING] = text_at(node, "totalShippingPriceSet.shopMoney.amount", c->n[2], 40);
    c->cell[COL_TAXES] = text_at(node, "totalTaxSet.shopMoney.amount", c->n[3], 40);
    c->cell[COL_TOTAL] = text_at(node, "totalPriceSet.shopMoney.amount", c->n[4], 40);
    c->cell[COL_DISCOUNT_CODE] = c->codes;
    c->cell[COL_DISCOUNT_AMOUNT] = text_at(node, "totalDiscountsSet.shopMoney.amount", c->n[5], 40);
    c->cell[COL_CREATED] = c->created;
    c->cell[COL_BILLING_COUNTRY] = jsonread_text(node, "billingAddress.countryCodeV2");
    c->cell[COL_SHIPPING_COUNTRY] = jsonread_text(node, "shippingAddress.countryCodeV2");
    c->cell[COL_CANCELLED] = c->cancelled;
    c->cell[COL_REFUNDED] = text_at(node, "totalRefundedSet.shopMoney.amount", c->n[6], 40);
    c->cell[COL_ID] = c->id;
    c->cell[COL_SOURCE] = jsonread_text(node, "sourceName");
    c->cell[COL_CUSTOMER_ID] = c->customer_id;
    return c->cell[COL_NAME] != NULL;
}

/* The line item's own cells; the order's Name, Email, Created at and Customer ID
 * stay (they are on every row of an export). */
static void fill_line(json_t *line, order_cells *c, bool first)
{
    if (!first) {
        static const int kept[] = {COL_NAME, COL_EMAIL, COL_CREATED, COL_CUSTOMER_ID};
        const char *keep[4];
        for (int i = 0; i < 4; i++)
            keep[i] = c->cell[kept[i]];
        memset(c->cell, 0, sizeof c->cell);
        for (int i = 0; i < 4; i++)
            c->cell[kept[i]] = keep[i];
    }
    c->cell[COL_LINE_QUANTITY] = text_at(line, "quantity", c->line_n[0], 40);
    c->cell[COL_LINE_NAME] = jsonread_text(line, "name");
    c->cell[COL_LINE_PRICE] =
        text_at(line, "originalUnitPriceSet.shopMoney.amount", c->line_n[1], 40);
    c->cell[COL_LINE_SKU] = jsonread_text(line, "sku");
    c->cell[COL_LINE_DISCOUNT] =
        text_at(line, "totalDiscountSet.shopMoney.amount", c->line_n[2], 40);
}

static cvo_status render(shop_table *t, pulled *p, int64_t *created)
{
    order_cells c;
    if (!fill_order(t->zone, p->node, p->id, &c))
        return ctx_fail(t->ctx, CVO_ERR_FORMAT,
                        "shopify: result: order %lld has no name or a malformed date",
                        (long long)p->id);
    shop_time_parse(jsonread_text(p->node, "createdAt"), created);
    size_t count = json_array_size(p->lines);
    if (count == 0)
        emit_row(&t->pulled_text, c.cell);
    for (size_t i = 0; i < count; i++) {
        fill_line(json_array_get(p->lines, i), &c, i == 0);
        emit_row(&t->pulled_text, c.cell);
    }
    return cell_status(&t->pulled_text);
}

/* Pass 1: every order line (no __parentId). */
typedef struct jsonl_pass {
    shop_table *t;
    pulled *orders;
    size_t count, cap;
    size_t lines;
} jsonl_pass;

static cvo_status read_line(jsonl_pass *j, char **text, size_t *cap, FILE *in, unsigned long *n,
                            json_t **node)
{
    ssize_t got = getline(text, cap, in);
    *node = NULL;
    if (got < 0)
        return ferror(in) ? ctx_fail(j->t->ctx, CVO_ERR_IO, "shopify: cannot read the result")
                          : CVO_OK;
    (*n)++;
    size_t len = (size_t)got;
    while (len > 0 && ((*text)[len - 1] == '\n' || (*text)[len - 1] == '\r'))
        len--;
    if (len == 0)
        return read_line(j, text, cap, in, n, node);
    *node = jsonread_parse(*text, len);
    if (!json_is_object(*node)) {
        json_decref(*node);
        return ctx_fail(j->t->ctx, CVO_ERR_FORMAT, "shopify: result line %lu: not a JSON object",
                        *n);
    }
    return CVO_OK;
}

static cvo_status keep_order(jsonl_pass *j, json_t *node, unsigned long n)
{
    int64_t id;
    if (!gid_number(jsonread_text(node, "id"), order_prefix, &id)) {
        json_decref(node);
        return ctx_fail(j->t->ctx, CVO_ERR_FORMAT,
                        "shopify: result line %lu: neither an order nor a child line", n);
    }
    if (j->count == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 1024;
        pulled *grown = cap <= CVO_MAX_PULL_ORDERS
                            ? mem_realloc(j->t->ctx, j->orders, cap * sizeof *grown)
                            : NULL;
        if (grown == NULL) {
            json_decref(node);
            return cap > CVO_MAX_PULL_ORDERS
                       ? ctx_fail(j->t->ctx, CVO_ERR_LIMIT, "shopify: more than %u orders",
                                  (unsigned)CVO_MAX_PULL_ORDERS)
                       : ctx_nomem(j->t->ctx);
        }
        j->orders = grown;
        j->cap = cap;
    }
    j->orders[j->count++] = (pulled){id, 0, node, json_array()};
    return j->orders[j->count - 1].lines ? CVO_OK : ctx_nomem(j->t->ctx);
}

/* Pass 2: a child line goes to its order; children of other kinds are ignored. */
static cvo_status attach_line(jsonl_pass *j, json_t *node, unsigned long n)
{
    int64_t parent;
    const char *parent_gid = jsonread_text(node, "__parentId");
    if (!gid_number(parent_gid, order_prefix, &parent) ||
        strncmp(text_at(node, "id", (char[40]){0}, 40), "gid://shopify/LineItem/", 23) != 0) {
        json_decref(node);
        return CVO_OK;
    }
    pulled key = {parent, 0, NULL, NULL};
    pulled *p = bsearch(&key, j->orders, j->count, sizeof *j->orders, pulled_by_id);
    if (p == NULL) {
        json_decref(node);
        return ctx_fail(j->t->ctx, CVO_ERR_FORMAT,
                        "shopify: result line %lu: a line item of order %s, which the result "
                        "does not hold",
                        n, parent_gid);
    }
    if (json_array_size(p->lines) >= CVO_MAX_ORDER_LINES) {
        json_decref(node);
        return ctx_fail(j->t->ctx, CVO_ERR_LIMIT, "shopify: order %s has more than %u lines",
                        parent_gid, (unsigned)CVO_MAX_ORDER_LINES);
    }
    j->lines++;
    return json_array_append_new(p->lines, node) == 0 ? CVO_OK : ctx_nomem(j->t->ctx);
}

static cvo_status jsonl_pass_run(jsonl_pass *j, FILE *in, bool children)
{
    char *text = NULL;
    size_t cap = 0;
    unsigned long n = 0;
    cvo_status status = CVO_OK;
    json_t *node;
    while (status == CVO_OK && (status = read_line(j, &text, &cap, in, &n, &node)) == CVO_OK &&
           node != NULL) {
        bool child = json_object_get(node, "__parentId") != NULL;
        if (child != children)
            json_decref(node);
        else
            status = children ? attach_line(j, node, n) : keep_order(j, node, n);
    }
    free(text); /* getline's */
    return status;
}

static cvo_status render_all(jsonl_pass *j)
{
    shop_table *t = j->t;
    for (size_t i = 0; i < j->count; i++) {
        if (i > 0 && j->orders[i].id == j->orders[i - 1].id)
            return ctx_fail(t->ctx, CVO_ERR_FORMAT, "shopify: result: order %lld twice",
                            (long long)j->orders[i].id);
        shop_order o = {j->orders[i].id, 0, t->pulled_text.len, 0, true, false};
        CVO_TRY(render(t, &j->orders[i], &o.created));
        o.len = t->pulled_text.len - o.offset;
        CVO_TRY(add_order(t, &o));
    }
    return CVO_OK;
}

cvo_status shop_read_jsonl(shop_table *t, FILE *jsonl, size_t *orders, size_t *lines)
{
    jsonl_pass j = {t, NULL, 0, 0, 0};
    cvo_status status = jsonl_pass_run(&j, jsonl, false);
    if (status == CVO_OK) {
        if (j.count > 1)
            qsort(j.orders, j.count, sizeof *j.orders, pulled_by_id);
        rewind(jsonl);
        status = jsonl_pass_run(&j, jsonl, true);
    }
    if (status == CVO_OK)
        status = render_all(&j);
    *orders = j.count;
    *lines = j.lines;
    for (size_t i = 0; i < j.count; i++) {
        json_decref(j.orders[i].node);
        json_decref(j.orders[i].lines);
    }
    mem_free(t->ctx, j.orders);
    return status;
}

/* ---- the previous file ------------------------------------------------------------ */

static cvo_status slurp(shop_table *t, FILE *in, const char *path)
{
    size_t cap = 1 << 16, len = 0;
    char *text = mem_alloc(t->ctx, cap + 1);
    while (text != NULL) {
        len += fread(text + len, 1, cap - len, in);
        if (len < cap)
            break;
        char *grown = mem_realloc(t->ctx, text, cap * 2 + 1);
        if (grown == NULL)
            mem_free(t->ctx, text);
        text = grown;
        cap *= 2;
    }
    if (text == NULL)
        return ctx_nomem(t->ctx);
    t->previous_text = text;
    t->previous_len = len;
    text[len] = '\0';
    return ferror(in) ? ctx_fail(t->ctx, CVO_ERR_IO, "%s: read error", path) : CVO_OK;
}

/* A field's value into out (cap bytes); "" when longer. */
static const char *field_text(const csv_record *r, uint32_t i, char *out, size_t cap)
{
    out[0] = '\0';
    if (i >= r->stored || 2 * (size_t)r->fields[i].len + 3 > cap)
        return out;
    const csv_field *f = &r->fields[i];
    size_t len = f->len;
    if (f->needs_unescape)
        len = csv_unescape(f, out);
    else
        memcpy(out, f->ptr, len);
    out[len] = '\0';
    return out;
}

static bool header_is_ours(const csv_record *r)
{
    if (r->count != COL_COUNT)
        return false;
    for (uint32_t i = 0; i < COL_COUNT; i++) {
        char name[128];
        if (strcmp(field_text(r, i, name, sizeof name), column_names[i]) != 0)
            return false;
    }
    return true;
}

/* Starts an order at record r, the first row of its Name. */
static cvo_status previous_order(shop_table *t, const csv_record *r, const char *path,
                                 shop_order *o)
{
    char id[64], created[80];
    int64_t at;
    char *end = NULL;
    field_text(r, COL_ID, id, sizeof id);
    errno = 0;
    long long value = strtoll(id, &end, 10);
    if (id[0] == '\0' || *end != '\0' || errno != 0 || value <= 0)
        return ctx_fail(t->ctx, CVO_ERR_FORMAT, "%s:%llu: the first row of an order has no Id",
                        path, (unsigned long long)r->line);
    field_text(r, COL_CREATED, created, sizeof created);
    if (!shop_time_parse(created, &at))
        return ctx_fail(t->ctx, CVO_ERR_FORMAT, "%s:%llu: bad Created at '%s'", path,
                        (unsigned long long)r->line, created);
    *o = (shop_order){value, at, (size_t)(r->raw - t->previous_text), 0, false, false};
    return CVO_OK;
}

static cvo_status read_records(shop_table *t, const char *path)
{
    csv_scanner scanner;
    csv_record r;
    size_t pos = 0;
    csv_init(&scanner, ',', 1);
    csv_result got = csv_next(&scanner, t->previous_text, t->previous_len, &pos, true, &r);
    if (got != CSV_RECORD || !header_is_ours(&r))
        return ctx_fail(t->ctx, CVO_ERR_FORMAT,
                        "%s:1: not a file cvo pull shopify wrote (its header differs): pull "
                        "into another file, or remove it for a full pull",
                        path);
    shop_order open = {0};
    char name[600] = "", this_name[600];
    bool have = false;
    while ((got = csv_next(&scanner, t->previous_text, t->previous_len, &pos, true, &r)) ==
           CSV_RECORD) {
        field_text(&r, COL_NAME, this_name, sizeof this_name);
        if (!have || strcmp(this_name, name) != 0) {
            if (have) {
                open.len = (size_t)(r.raw - t->previous_text) - open.offset;
                CVO_TRY(add_order(t, &open));
            }
            CVO_TRY(previous_order(t, &r, path, &open));
            memcpy(name, this_name, sizeof name);
            have = true;
        }
    }
    if (got == CSV_UNTERMINATED)
        return ctx_fail(t->ctx, CVO_ERR_FORMAT, "%s: unterminated quoted field at the end", path);
    if (have) {
        open.len = t->previous_len - open.offset;
        CVO_TRY(add_order(t, &open));
    }
    return CVO_OK;
}

cvo_status shop_read_previous(shop_table *t, const char *path, bool *found)
{
    *found = false;
    if (path == NULL)
        return CVO_OK;
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        return errno == ENOENT ? CVO_OK
                               : ctx_fail(t->ctx, CVO_ERR_IO, "%s: %s", path, strerror(errno));
    cvo_status status = slurp(t, in, path);
    fclose(in);
    *found = true;
    if (status == CVO_OK && t->previous_len > 0 && t->previous_text[t->previous_len - 1] != '\n')
        return ctx_fail(t->ctx, CVO_ERR_FORMAT, "%s: the last line is cut short", path);
    return status == CVO_OK ? read_records(t, path) : status;
}

/* ---- merge and write ---------------------------------------------------------------- */

static int by_id_pulled_first(const void *a, const void *b)
{
    const shop_order *x = a, *y = b;
    if (x->id != y->id)
        return (x->id > y->id) - (x->id < y->id);
    return (int)y->pulled - (int)x->pulled;
}

static int by_created(const void *a, const void *b)
{
    const shop_order *x = a, *y = b;
    if (x->created != y->created)
        return (x->created > y->created) - (x->created < y->created);
    return (x->id > y->id) - (x->id < y->id);
}

static void decide(shop_table *t, const shop_merge *m, cvo_shopify_pull_result *r)
{
    if (t->count > 1)
        qsort(t->orders, t->count, sizeof *t->orders, by_id_pulled_first);
    for (size_t i = 0; i < t->count; i++) {
        shop_order *o = &t->orders[i];
        bool replaced = i > 0 && t->orders[i - 1].id == o->id;
        if (o->pulled) {
            bool earlier = i + 1 < t->count && t->orders[i + 1].id == o->id;
            earlier ? r->orders_updated++ : r->orders_new++;
        } else if (replaced) {
            o->dropped = true;
        } else if (m->full && !(m->keep_before != INT64_MIN && o->created < m->keep_before)) {
            o->dropped = true;
            r->orders_dropped++;
        } else {
            r->orders_kept++;
        }
    }
}

static size_t rows_in(const char *text, size_t len)
{
    size_t rows = 0;
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"')
            quoted = !quoted;
        else if (text[i] == '\n' && !quoted)
            rows++;
    }
    return rows;
}

/* The time columns written (ascending: rows are copied between them). */
static const int time_columns[] = {COL_FULFILLED_AT, COL_CREATED, COL_CANCELLED};

/* One row of the previous file with its times in t->zone: the row's own bytes
 * with only the times replaced (cvo wrote them, so they parse; one that does
 * not stays as it was). */
static void rezone_row(shop_table *t, const csv_record *r, cell_buf *b)
{
    size_t copied = 0;
    for (size_t i = 0; i < sizeof time_columns / sizeof *time_columns; i++) {
        const csv_field *f =
            (uint32_t)time_columns[i] < r->stored ? &r->fields[time_columns[i]] : NULL;
        char text[40], local[26];
        int64_t at;
        if (f == NULL || f->needs_unescape || f->len == 0 || f->len >= sizeof text)
            continue;
        memcpy(text, f->ptr, f->len);
        text[f->len] = '\0';
        if (!shop_time_parse(text, &at))
            continue;
        time_csv(t->zone, at, local);
        size_t start = (size_t)(f->ptr - r->raw);
        cell_raw(b, r->raw + copied, start - copied);
        cell_str(b, local);
        copied = start + f->len;
    }
    cell_raw(b, r->raw + copied, r->raw_len - copied);
    cell_char(b, '\n');
}

static void write_previous(shop_table *t, const shop_order *o, csv_scanner *scanner, cell_buf *b)
{
    csv_record r;
    size_t pos = o->offset;
    csv_init(scanner, ',', 1);
    while (csv_next(scanner, t->previous_text, o->offset + o->len, &pos, true, &r) == CSV_RECORD)
        rezone_row(t, &r, b);
}

cvo_status shop_write(shop_table *t, const shop_merge *merge, FILE *out,
                      cvo_shopify_pull_result *result)
{
    decide(t, merge, result);
    if (t->count > 1)
        qsort(t->orders, t->count, sizeof *t->orders, by_created);
    cell_buf b;
    cell_buf_init(&b, t->ctx);
    for (int c = 0; c < COL_COUNT; c++) {
        if (c > 0)
            cell_char(&b, ',');
        cell_csv_text(&b, column_names[c]);
    }
    cell_char(&b, '\n');
    csv_scanner scanner;
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < t->count; i++) {
        const shop_order *o = &t->orders[i];
        if (o->dropped)
            continue;
        const char *text = (o->pulled ? t->pulled_text.data : t->previous_text) + o->offset;
        if (o->pulled)
            cell_raw(&b, text, o->len);
        else
            write_previous(t, o, &scanner, &b);
        status = cell_flush_some(&b, out);
        result->orders_written++;
        result->rows_written += rows_in(text, o->len);
    }
    return cell_finish(&b, out, status);
}
