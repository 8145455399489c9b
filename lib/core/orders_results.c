/* orders_results.c - the end of a load: the workers' shards closed and merged,
 * rejects emitted in file order, stats added up, the customer table built and
 * the product catalog attached. */
#include "core/orders_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- results --------------------------------------------------------------- */

static void add_stats(cvo_load_stats *a, const cvo_load_stats *b)
{
    a->records += b->records;
    a->used += b->used;
    a->rejected += b->rejected;
    for (int i = 0; i < CVO_REJECT__COUNT; i++)
        a->rejected_by_reason[i] += b->rejected_by_reason[i];
    a->duplicates += b->duplicates;
    a->return_lines += b->return_lines;
    a->returns_cents += b->returns_cents;
    a->orders += b->orders;
    a->cancelled_orders += b->cancelled_orders;
    a->refunded_orders += b->refunded_orders;
    a->return_orders += b->return_orders;
    a->repaired_fields += b->repaired_fields;
    a->not_counted += b->not_counted;
    a->not_counted_orders += b->not_counted_orders;
    for (uint32_t i = 0; i < b->status_kinds; i++)
        ingest_count_status(a, b->not_counted_by_status[i].status,
                            b->not_counted_by_status[i].orders,
                            b->not_counted_by_status[i].records);
    for (uint32_t i = 0; i < b->currency_count; i++) {
        const cvo_currency_total *t = &b->currencies[i];
        ingest_count_currency(a, t->code, t->orders, t->net_cents, t->store_cents,
                              t->rejected_orders);
    }
}

static cvo_status emit_rejects(load *ld, const shard *sh)
{
    cvo_reject_fn fn = ld->options->on_reject;
    for (size_t i = 0; fn && i < sh->reject_count; i++) {
        const reject_entry *e = &sh->rejects[i];
        char detail[64];
        cvo_reject r = {e->line, e->reason, e->detail, e->raw, e->raw_len};
        if (e->reason == CVO_REJECT_DUPLICATE) {
            snprintf(detail, sizeof detail, "exact duplicate of line %llu",
                     (unsigned long long)e->ref_line);
            r.detail = detail;
        }
        cvo_status status = fn(ld->options->reject_user_data, &r);
        if (status != CVO_OK)
            return status;
    }
    return CVO_OK;
}

/* Customer table row of every map entry (guests joined by email follow their
 * customer); UINT32_MAX for entries left out. */
static uint32_t *entry_rows(load *ld, const custmap *map)
{
    uint32_t *rows = mem_array(ld->ctx, map->count ? map->count : 1, sizeof *rows);
    if (rows == NULL)
        return NULL;
    uint32_t next = 0;
    for (size_t i = 0; i < map->count; i++) {
        const cust_acc *e = &map->entries[i];
        rows[i] = (e->dead || e->orders == 0) ? UINT32_MAX : next++;
    }
    for (size_t i = 0; i < map->count; i++)
        if (map->entries[i].dead)
            rows[i] = rows[map->entries[i].dead - 1];
    return rows;
}

static void sort_by_day(cvo_order *orders, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        cvo_order o = orders[i];
        size_t j = i;
        for (; j > 0 && orders[j - 1].day > o.day; j--)
            orders[j] = orders[j - 1];
        orders[j] = o;
    }
}

/* Where each logged order goes: its row's next place (a counting sort, so
 * file order is kept within a row); orders of customers left out go last.
 * start[r] is set to row r's first place. Returns how many are kept. */
static size_t order_places(const custmap *map, const uint32_t *rows, size_t rows_count,
                           size_t *start, uint32_t *place)
{
    size_t kept = 0;
    for (size_t i = 0; i < map->order_count; i++)
        if (rows[map->orders[i].entry] != UINT32_MAX) {
            start[rows[map->orders[i].entry] + 1]++;
            kept++;
        }
    for (size_t r = 0; r < rows_count; r++)
        start[r + 1] += start[r];
    size_t dropped = kept;
    for (size_t i = 0; i < map->order_count; i++) {
        uint32_t row = rows[map->orders[i].entry];
        place[i] = (uint32_t)(row != UINT32_MAX ? start[row]++ : dropped++);
    }
    for (size_t r = rows_count; r > 0; r--)
        start[r] = start[r - 1];
    start[0] = 0;
    return kept;
}

/* Moves every logged order to its place, following the permutation's cycles. */
static void permute(cust_order *orders, uint32_t *place, size_t n)
{
    for (size_t i = 0; i < n; i++)
        while (place[i] != i) {
            uint32_t j = place[i];
            cust_order o = orders[j];
            orders[j] = orders[i];
            orders[i] = o;
            place[i] = place[j];
            place[j] = j;
        }
}

/* Groups the kept orders by customer row, each by day, in the map's own
 * buffer: the table takes it over, so the orders are never held twice. */
static cvo_status attach_orders(load *ld, custmap *map, cvo_customers *table)
{
    if (map->order_count >= UINT32_MAX)
        return ctx_fail(ld->ctx, CVO_ERR_LIMIT, "%s: more orders than cvo can hold", ld->name);
    uint32_t *rows = entry_rows(ld, map);
    uint32_t *place = mem_array(ld->ctx, map->order_count ? map->order_count : 1, sizeof *place);
    table->order_start = mem_zarray(ld->ctx, table->count + 1, sizeof *table->order_start);
    if (rows == NULL || place == NULL || table->order_start == NULL) {
        mem_free(ld->ctx, rows);
        mem_free(ld->ctx, place);
        return ctx_nomem(ld->ctx);
    }
    size_t kept = order_places(map, rows, table->count, table->order_start, place);
    mem_free(ld->ctx, rows);
    permute(map->orders, place, map->order_count);
    mem_free(ld->ctx, place);
    /* cvo_order is smaller than cust_order: copied down in place, front to back */
    cvo_order *orders = (cvo_order *)(void *)map->orders;
    for (size_t i = 0; i < kept; i++)
        memmove(&orders[i], &map->orders[i].order, sizeof *orders);
    cvo_order *fitted = mem_realloc(ld->ctx, orders, (kept ? kept : 1) * sizeof *orders);
    table->orders = fitted ? fitted : orders;
    map->orders = NULL;
    map->order_count = map->order_cap = 0;
    for (size_t r = 0; r < table->count; r++)
        sort_by_day(table->orders + table->order_start[r],
                    table->order_start[r + 1] - table->order_start[r]);
    return CVO_OK;
}

/* The table takes over the map's strings; customers without a counting
 * order are left out. */
static cvo_status build_table(load *ld, custmap *map, cvo_customers **out)
{
    cvo_customers *table = customers_new(ld->ctx, map->count);
    if (table == NULL)
        return ctx_nomem(ld->ctx);
    for (size_t i = 0; i < map->count; i++) {
        const cust_acc *e = &map->entries[i];
        if (e->dead || e->orders == 0)
            continue;
        const cust_extra *x = map->extra ? &map->extra[i] : NULL;
        table->rows[table->count++] = (cvo_customer){
            e->id, e->email, e->first_day, e->last_day, e->orders, e->revenue_cents, e->items,
            x ? x->channel : "", x ? x->country : ""};
        if (e->last_day > table->last_day)
            table->last_day = e->last_day;
    }
    table->strings = map->strings;
    arena_init(&map->strings, ld->ctx);
    *out = table;
    if (!map->keep_orders)
        return CVO_OK;
    cvo_status status = attach_orders(ld, map, table);
    if (status != CVO_OK) {
        cvo_customers_free(table);
        *out = NULL;
    }
    return status;
}

/* The table takes the products and codes; products without a category get
 * the products file's. */
static cvo_status attach_catalog(load *ld, prodmap *pm, cvo_customers *table)
{
    for (size_t i = 0; i < pm->keys.count; i++) {
        const char *key = intern_at(&pm->keys, (uint32_t)i);
        const char *category = NULL;
        if (pm->category[i] != 0 || key[0] != 's' ||
            !products_category(ld->config.products, key + 1, intern_length(&pm->keys, (uint32_t)i) - 1,
                               &category))
            continue;
        uint32_t c = intern_put(&pm->text, category, strlen(category), NULL);
        if (c == INTERN_NONE)
            return ctx_nomem(ld->ctx);
        pm->category[i] = c;
    }
    return customers_take_catalog(table, pm) ? CVO_OK : ctx_nomem(ld->ctx);
}

cvo_status orders_finish(load *ld, worker *w0, worker *w1, bool merged, cvo_customers **out,
                          cvo_load_stats *stats)
{
    if (shard_finish(&w0->sh) != CVO_OK || (merged && shard_finish(&w1->sh) != CVO_OK)) {
        shard *bad = w0->sh.status != CVO_OK ? &w0->sh : &w1->sh;
        return ctx_fail(ld->ctx, bad->status, "%s: %s", ld->name, bad->message);
    }
    *stats = w0->sh.stats;
    if (merged && ld->config.keep_orders &&
        !prodmap_absorb(&w0->sh.catalog, &w1->sh.catalog, &w1->sh.customers.orders[0].order,
                        w1->sh.customers.order_count, sizeof(cust_order)))
        return ctx_nomem(ld->ctx);
    if (merged) {
        custmap_result r = custmap_absorb(&w0->sh.customers, &w1->sh.customers);
        if (r != CUSTMAP_OK)
            return ctx_fail(ld->ctx, r == CUSTMAP_NOMEM ? CVO_ERR_NOMEM : CVO_ERR_LIMIT,
                            "%s: %s", ld->name, r == CUSTMAP_NOMEM ? "out of memory"
                                                                   : "too many customers or revenue overflow");
        add_stats(stats, &w1->sh.stats);
        custmap_free(&w1->sh.customers); /* the peak of memory is here: free early */
    }
    long joined = custmap_join_emails(&w0->sh.customers);
    if (joined < 0)
        return ctx_nomem(ld->ctx);
    stats->joined_by_email = (uint64_t)joined;
    CVO_TRY(emit_rejects(ld, &w0->sh));
    if (merged)
        CVO_TRY(emit_rejects(ld, &w1->sh));
    cvo_status status = build_table(ld, &w0->sh.customers, out);
    custmap_free(&w0->sh.customers);
    if (status == CVO_OK && ld->config.keep_orders)
        status = attach_catalog(ld, &w0->sh.catalog, *out);
    return status;
}

