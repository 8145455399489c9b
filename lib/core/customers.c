/* customers.c - the customer table object and its accessors. */
#include "customers.h"

#include "base/hash.h"

#include <string.h>

cvo_customers *customers_new(cvo_ctx *ctx, size_t capacity)
{
    cvo_customers *table = mem_alloc(ctx, sizeof *table);
    if (table == NULL)
        return NULL;
    memset(table, 0, sizeof *table);
    table->ctx = ctx;
    table->last_day = INT32_MIN;
    arena_init(&table->strings, ctx);
    if (capacity < 16)
        capacity = 16;
    table->rows = mem_array(ctx, capacity, sizeof *table->rows);
    if (table->rows == NULL) {
        mem_free(ctx, table);
        return NULL;
    }
    table->capacity = capacity;
    return table;
}

static bool grow(cvo_customers *table)
{
    size_t capacity = table->capacity * 2;
    cvo_customer *rows = mem_realloc(table->ctx, table->rows, capacity * sizeof *rows);
    if (rows == NULL)
        return false;
    table->rows = rows;
    table->capacity = capacity;
    return true;
}

bool customers_append(cvo_customers *table, const cvo_customer *row)
{
    if (table->count == table->capacity && !grow(table))
        return false;
    cvo_customer copy = *row;
    copy.customer_id = arena_strndup(&table->strings, row->customer_id, strlen(row->customer_id));
    copy.email = arena_strndup(&table->strings, row->email, strlen(row->email));
    const char *channel = row->channel ? row->channel : "", *country = row->country ? row->country : "";
    copy.channel = arena_strndup(&table->strings, channel, strlen(channel));
    copy.country = arena_strndup(&table->strings, country, strlen(country));
    if (copy.customer_id == NULL || copy.email == NULL || copy.channel == NULL ||
        copy.country == NULL)
        return false;
    table->rows[table->count++] = copy;
    if (row->last_order_day > table->last_day)
        table->last_day = row->last_order_day;
    return true;
}

cvo_status customers_from_rows(cvo_ctx *ctx, const cvo_customer *rows, size_t count,
                               cvo_customers **out)
{
    *out = NULL;
    cvo_customers *table = customers_new(ctx, count);
    if (table == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < count; i++) {
        if (!customers_append(table, &rows[i])) {
            cvo_customers_free(table);
            return ctx_nomem(ctx);
        }
    }
    *out = table;
    return CVO_OK;
}

size_t cvo_customers_count(const cvo_customers *customers)
{
    return customers ? customers->count : 0;
}

const cvo_customer *cvo_customers_at(const cvo_customers *customers, size_t index)
{
    if (customers == NULL || index >= customers->count)
        return NULL;
    return &customers->rows[index];
}

int32_t cvo_customers_last_day(const cvo_customers *customers)
{
    return customers ? customers->last_day : INT32_MIN;
}

void cvo_customers_free(cvo_customers *customers)
{
    if (customers == NULL)
        return;
    arena_release(&customers->strings);
    if (customers->owns_catalog) {
        prodmap_free(customers->catalog);
        mem_free(customers->ctx, customers->catalog);
        mem_free(customers->ctx, customers->products);
    }
    mem_free(customers->ctx, customers->orders);
    mem_free(customers->ctx, customers->order_start);
    mem_free(customers->ctx, customers->rows);
    mem_free(customers->ctx, customers);
}

const cvo_order *cvo_customers_orders(const cvo_customers *customers, size_t index,
                                      size_t *count)
{
    *count = 0;
    if (customers == NULL || index >= customers->count || customers->order_start == NULL)
        return NULL;
    *count = customers->order_start[index + 1] - customers->order_start[index];
    return customers->orders + customers->order_start[index];
}

uint8_t cvo_customers_consent(const cvo_customers *customers, size_t index)
{
    size_t count = 0;
    const cvo_order *orders = cvo_customers_orders(customers, index, &count);
    for (size_t k = count; k-- > 0;) /* by day then file order: the latest that says */
        if (orders[k].consent != CVO_CONSENT_UNKNOWN)
            return orders[k].consent;
    return CVO_CONSENT_UNKNOWN;
}

bool customers_take_catalog(cvo_customers *table, prodmap *pm)
{
    table->catalog = mem_alloc(table->ctx, sizeof *table->catalog);
    size_t n = pm->keys.count;
    table->products = mem_array(table->ctx, n ? n : 1, sizeof *table->products);
    table->owns_catalog = true;
    if (table->catalog == NULL || table->products == NULL)
        return false;
    *table->catalog = *pm;
    memset(pm, 0, sizeof *pm);
    const prodmap *c = table->catalog;
    for (size_t i = 0; i < n; i++) {
        const char *key = intern_at(&c->keys, (uint32_t)i);
        table->products[i] = (cvo_product){key[0] == 's' ? key + 1 : "",
                                           intern_at(&c->text, c->name[i]),
                                           intern_at(&c->text, c->category[i])};
    }
    return true;
}

size_t cvo_customers_product_count(const cvo_customers *customers)
{
    return customers && customers->catalog ? customers->catalog->keys.count : 0;
}

const cvo_product *cvo_customers_product(const cvo_customers *customers, uint32_t index)
{
    if (index >= cvo_customers_product_count(customers))
        return NULL;
    return &customers->products[index];
}

const uint32_t *cvo_customers_order_products(const cvo_customers *customers,
                                             const cvo_order *order, size_t *count)
{
    *count = 0;
    /* No product column, or an order without lines: the catalog's list may be
     * NULL, and even a zero offset from NULL is undefined behaviour. */
    if (customers == NULL || customers->catalog == NULL || order == NULL ||
        order->product_count == 0 || customers->catalog->order_products == NULL ||
        (uint64_t)order->product_first + order->product_count > customers->catalog->count)
        return NULL;
    *count = order->product_count;
    return customers->catalog->order_products + order->product_first;
}

size_t cvo_customers_code_count(const cvo_customers *customers)
{
    return customers && customers->catalog ? customers->catalog->codes.count : 0;
}

const char *cvo_customers_code(const cvo_customers *customers, uint32_t code)
{
    if (code >= cvo_customers_code_count(customers))
        return "";
    return intern_at(&customers->catalog->codes, code);
}

uint64_t cvo_order_id_hash(const char *id, size_t len)
{
    while (len > 0 && (id[0] == ' ' || id[0] == '\t')) {
        id++;
        len--;
    }
    while (len > 0 && (id[len - 1] == ' ' || id[len - 1] == '\t'))
        len--;
    if (len > 1 && id[0] == '#') { /* Shopify's "#1001" is order 1001 elsewhere */
        id++;
        len--;
    }
    if (len == 0)
        return 0;
    uint64_t h = hash_bytes(id, len, 0x1d);
    return h ? h : 1;
}
