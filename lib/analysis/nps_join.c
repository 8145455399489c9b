/* nps_join.c - NPS answers joined to customers (by email) and orders (by order_id,
 * else the customer's latest order on or before the answer), and the stage an
 * answer was given at when the survey column does not say. */
#include "analysis/nps.h"

#include "base/ctx.h"
#include "base/hash.h"

#include <string.h>

/* ---- joining ----------------------------------------------------------------------- */

static uint64_t email_hash(const char *text, size_t len)
{
    return hash_bytes(text, len, 0x656d61696c);
}

static size_t *email_slot(nps_load *ld, const char *email, size_t len)
{
    const cvo_customers *customers = ld->opt->customers;
    size_t mask = ld->email_capacity - 1;
    size_t i = (size_t)email_hash(email, len) & mask;
    while (ld->email_slots[i] != 0) {
        const char *known = cvo_customers_at(customers, ld->email_slots[i] - 1)->email;
        if (strlen(known) == len && memcmp(known, email, len) == 0)
            break;
        i = (i + 1) & mask;
    }
    return &ld->email_slots[i];
}

/* The email index over the customers (first customer wins a shared email). */
cvo_status nps_build_email_index(nps_load *ld)
{
    size_t count = ld->opt->customers ? cvo_customers_count(ld->opt->customers) : 0;
    ld->email_capacity = 16;
    while (ld->email_capacity < 2 * count)
        ld->email_capacity *= 2;
    ld->email_slots = mem_zarray(ld->ctx, ld->email_capacity, sizeof *ld->email_slots);
    if (ld->email_slots == NULL)
        return ctx_nomem(ld->ctx);
    for (size_t i = 0; i < count; i++) {
        const char *email = cvo_customers_at(ld->opt->customers, i)->email;
        size_t *slot = email[0] ? email_slot(ld, email, strlen(email)) : NULL;
        if (slot != NULL && *slot == 0)
            *slot = i + 1;
    }
    return CVO_OK;
}

/* Customer index of a raw email (trimmed, lower-cased here), or SIZE_MAX. */
size_t nps_find_customer(nps_load *ld, const char *email, size_t len)
{
    char folded[320];
    if (ld->opt->customers == NULL || len >= sizeof folded)
        return SIZE_MAX;
    for (size_t i = 0; i < len; i++)
        folded[i] = (char)(email[i] >= 'A' && email[i] <= 'Z' ? email[i] - 'A' + 'a' : email[i]);
    size_t slot = *email_slot(ld, folded, len);
    return slot ? slot - 1 : SIZE_MAX;
}

/* The order of customer index on or before day (the latest), or NULL. */
static const cvo_order *order_on_or_before(const cvo_customers *customers, size_t index,
                                           int32_t day)
{
    size_t count = 0;
    const cvo_order *orders = cvo_customers_orders(customers, index, &count);
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (orders[mid].day <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 ? &orders[lo - 1] : NULL;
}

/* Indexes every counted order by its id hash (first one wins), once, when the
 * file has an order_id column. */
cvo_status nps_build_order_index(nps_load *ld)
{
    const cvo_customers *c = ld->opt->customers;
    size_t total = 0, count = cvo_customers_count(c), n;
    for (size_t i = 0; i < count; i++) {
        cvo_customers_orders(c, i, &n);
        total += n;
    }
    size_t size = 64;
    while (size < 2 * total)
        size *= 2;
    ld->order_keys = mem_zarray(ld->ctx, size, sizeof *ld->order_keys);
    if (ld->order_keys == NULL)
        return ctx_nomem(ld->ctx);
    ld->order_key_mask = size - 1;
    for (size_t i = 0; i < count && i < UINT32_MAX; i++) {
        const cvo_order *orders = cvo_customers_orders(c, i, &n);
        for (size_t k = 0; k < n && k < UINT32_MAX; k++) {
            uint64_t h = orders[k].id_hash;
            size_t s = (size_t)hash_mix64(h) & ld->order_key_mask;
            while (h != 0 && ld->order_keys[s].id_hash != 0 && ld->order_keys[s].id_hash != h)
                s = (s + 1) & ld->order_key_mask;
            if (h != 0 && ld->order_keys[s].id_hash == 0)
                ld->order_keys[s] = (order_key){h, (uint32_t)i + 1, (uint32_t)k};
        }
    }
    return CVO_OK;
}

const order_key *nps_find_order_id(const nps_load *ld, const char *id, size_t len)
{
    uint64_t h = cvo_order_id_hash(id, len);
    if (h == 0 || ld->order_keys == NULL)
        return NULL;
    size_t s = (size_t)hash_mix64(h) & ld->order_key_mask;
    for (; ld->order_keys[s].id_hash != 0; s = (s + 1) & ld->order_key_mask)
        if (ld->order_keys[s].id_hash == h)
            return &ld->order_keys[s];
    return NULL;
}

/* When the joined order reached the customer (see cvo.h: NPS, Stage). */
static int32_t delivery_day(const nps_load *ld, const cvo_order *o)
{
    if (o->delivered_day != INT32_MIN)
        return o->delivered_day;
    if (o->fulfilled_day != INT32_MIN)
        return o->fulfilled_day + ld->opt->transit_days;
    return o->day + ld->opt->delivery_days;
}

/* Stage from the order when the survey column did not say; counts the joins. */
void nps_join_order(nps_load *ld, response *r)
{
    cvo_nps_stats *st = &ld->nps->stats;
    if (r->stage != CVO_NPS_STAGE_UNKNOWN)
        st->stage_from_survey++;
    if (r->customer == SIZE_MAX)
        return;
    st->joined_customers++;
    st->joined_by_order_id += r->by_order_id;
    if (r->order == NULL)
        r->order = order_on_or_before(ld->opt->customers, r->customer, r->day);
    if (r->order == NULL)
        return;
    st->joined_orders++;
    if (r->stage == CVO_NPS_STAGE_UNKNOWN) {
        r->stage = r->day < delivery_day(ld, r->order) ? CVO_NPS_PRE_DELIVERY
                                                       : CVO_NPS_POST_DELIVERY;
        st->stage_inferred++;
    }
}
