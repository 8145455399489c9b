/* customers.c - the customer table object and its accessors. */
#include "customers.h"

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
