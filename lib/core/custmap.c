/* custmap.c - the load-time customer table. Slots hold entry indexes so that
 * growing the slot array never moves entries, and entries stay in order. */
#include "custmap.h"

#include "base/bytes.h"
#include "base/hash.h"
#include "base/limits.h"

#include <pthread.h>
#include <string.h>

enum { SEED_ID = 0x1d, SEED_EMAIL = 0xe3 };

static uint64_t key_hash(const char *id, size_t id_len, const char *email, size_t email_len)
{
    return id_len ? hash_bytes(id, id_len, SEED_ID) : hash_bytes(email, email_len, SEED_EMAIL);
}

static bool alloc_slots(custmap *map, size_t n)
{
    map->slots = mem_zarray(map->ctx, n, sizeof *map->slots);
    map->slot_mask = n - 1;
    return map->slots != NULL;
}

static uint32_t slot_index(uint64_t slot)
{
    return (uint32_t)slot - 1;
}

static uint32_t slot_tag(uint64_t slot)
{
    return (uint32_t)(slot >> 32);
}

bool custmap_init(custmap *map, cvo_ctx *ctx, size_t expected)
{
    memset(map, 0, sizeof *map);
    map->ctx = ctx;
    arena_init(&map->strings, ctx);
    size_t slots = 1024;
    while (slots < expected * 2)
        slots *= 2;
    map->cap = slots / 2;
    map->entries = mem_array(ctx, map->cap, sizeof *map->entries);
    return map->entries != NULL && alloc_slots(map, slots);
}

void custmap_free(custmap *map)
{
    if (map->ctx == NULL)
        return; /* never set up, or freed already */
    for (size_t i = 0; i < CUST_PIPELINE; i++)
        mem_free(map->ctx, map->pending[i].text);
    mem_free(map->ctx, map->orders);
    mem_free(map->ctx, map->remap);
    mem_free(map->ctx, map->extra);
    mem_free(map->ctx, map->entries);
    mem_free(map->ctx, map->slots);
    arena_release(&map->strings);
    memset(map, 0, sizeof *map);
}

static bool same_key(const cust_acc *e, const char *id, size_t id_len, const char *email,
                     size_t email_len)
{
    if (id_len)
        return e->id_len == id_len && bytes_eq(e->id, id, id_len);
    return e->id_len == 0 && e->email_len == email_len && bytes_eq(e->email, email, email_len);
}

static void place(uint64_t *slots, size_t mask, uint32_t tag, uint32_t index)
{
    size_t i = tag & mask;
    while (slots[i] != 0)
        i = (i + 1) & mask;
    slots[i] = (uint64_t)tag << 32 | (index + 1u);
}

static bool grow(custmap *map)
{
    size_t cap = map->cap * 2;
    cust_acc *entries = mem_realloc(map->ctx, map->entries, cap * sizeof *entries);
    if (entries == NULL)
        return false;
    map->entries = entries;
    if (map->extra != NULL) {
        cust_extra *extra = mem_realloc(map->ctx, map->extra, cap * sizeof *extra);
        if (extra == NULL)
            return false;
        map->extra = extra;
    }
    map->cap = cap;
    uint64_t *old = map->slots;
    size_t old_size = map->slot_mask + 1;
    if (!alloc_slots(map, cap * 2)) {
        map->slots = old;
        return false;
    }
    for (size_t i = 0; i < old_size; i++)
        if (old[i] != 0)
            place(map->slots, map->slot_mask, slot_tag(old[i]), slot_index(old[i]));
    mem_free(map->ctx, old);
    return true;
}

static bool set_email(custmap *map, cust_acc *e, const char *email, size_t email_len)
{
    e->email = arena_strndup(&map->strings, email, email_len);
    e->email_len = (uint32_t)email_len;
    return e->email != NULL;
}

/* id and email share one allocation so a lookup touches one string block. */
static cust_acc *insert(custmap *map, uint32_t tag, const char *id, size_t id_len,
                        const char *email, size_t email_len)
{
    if (map->count >= CVO_MAX_CUSTOMERS || (map->count == map->cap && !grow(map)))
        return NULL;
    char *text = arena_alloc(&map->strings, id_len + email_len + 2);
    if (text == NULL)
        return NULL;
    memcpy(text, id, id_len);
    text[id_len] = '\0';
    memcpy(text + id_len + 1, email, email_len);
    text[id_len + 1 + email_len] = '\0';
    cust_acc *e = &map->entries[map->count];
    memset(e, 0, sizeof *e);
    e->first_day = INT32_MAX;
    e->last_day = INT32_MIN;
    e->id = text;
    e->id_len = (uint32_t)id_len;
    e->email = text + id_len + 1;
    e->email_len = (uint32_t)email_len;
    if (map->extra != NULL)
        map->extra[map->count] = (cust_extra){"", "", INT32_MAX, INT32_MIN};
    place(map->slots, map->slot_mask, tag, (uint32_t)map->count);
    map->count++;
    return e;
}

/* Finds or adds the customer whose key hashes to tag (low 32 bits). */
static cust_acc *get_tagged(custmap *map, uint32_t tag, const char *id, size_t id_len,
                            const char *email, size_t email_len)
{
    for (size_t i = tag & map->slot_mask; map->slots[i] != 0; i = (i + 1) & map->slot_mask) {
        if (slot_tag(map->slots[i]) != tag)
            continue;
        cust_acc *e = &map->entries[slot_index(map->slots[i])];
        if (same_key(e, id, id_len, email, email_len)) {
            if (e->email_len == 0 && email_len > 0 && !set_email(map, e, email, email_len))
                return NULL;
            return e;
        }
    }
    return insert(map, tag, id, id_len, email, email_len);
}

cust_acc *custmap_get(custmap *map, const char *id, size_t id_len, const char *email,
                      size_t email_len)
{
    return get_tagged(map, (uint32_t)key_hash(id, id_len, email, email_len), id, id_len, email,
                      email_len);
}

void cust_acc_combine(cust_acc *a, const cust_acc *b)
{
    if (b->first_day < a->first_day)
        a->first_day = b->first_day;
    if (b->last_day > a->last_day)
        a->last_day = b->last_day;
    a->orders += b->orders;
    a->revenue_cents += b->revenue_cents;
    a->items += b->items;
}

/* Adds d's figures into c; CUSTMAP_OVERFLOW when revenue or items overflow. */
static custmap_result add_figures(cust_acc *c, const cust_acc *d)
{
    if (__builtin_add_overflow(c->revenue_cents, d->revenue_cents, &c->revenue_cents) ||
        __builtin_add_overflow(c->items, d->items, &c->items))
        return CUSTMAP_OVERFLOW;
    c->orders += d->orders;
    if (d->first_day < c->first_day)
        c->first_day = d->first_day;
    if (d->last_day > c->last_day)
        c->last_day = d->last_day;
    return CUSTMAP_OK;
}

static bool log_order(custmap *map, uint32_t entry, const cvo_order *order)
{
    if (map->order_count == map->order_cap) {
        size_t cap = map->order_cap ? map->order_cap * 2 : 4096;
        cust_order *orders = mem_realloc(map->ctx, map->orders, cap * sizeof *orders);
        if (orders == NULL)
            return false;
        map->orders = orders;
        map->order_cap = cap;
    }
    map->orders[map->order_count++] = (cust_order){entry, *order};
    return true;
}

/* Orders of src, re-indexed to this map, are appended after its own. */
static custmap_result take_orders(custmap *map, const custmap *src)
{
    size_t need = map->order_count + src->order_count;
    if (need > map->order_cap) { /* once, to the size needed: this is the load's peak */
        cust_order *orders = mem_realloc(map->ctx, map->orders, need * sizeof *orders);
        if (orders == NULL)
            return CUSTMAP_NOMEM;
        map->orders = orders;
        map->order_cap = need;
    }
    for (size_t i = 0; i < src->order_count; i++) {
        const cust_order *o = &src->orders[i];
        if (!log_order(map, map->remap[o->entry], &o->order))
            return CUSTMAP_NOMEM;
    }
    return CUSTMAP_OK;
}

bool custmap_keep_orders(custmap *map)
{
    map->keep_orders = true;
    map->extra = mem_array(map->ctx, map->cap, sizeof *map->extra);
    for (size_t i = 0; map->extra != NULL && i < map->count; i++)
        map->extra[i] = (cust_extra){"", "", INT32_MAX, INT32_MIN};
    return map->extra != NULL;
}

/* ---- absorb ------------------------------------------------------------------ */

/* A src customer not in the map (yet). */
#define ABSORB_NEW UINT32_MAX

/* Index of the entry with this key, or ABSORB_NEW. Reads the map only. */
static uint32_t find_tagged(const custmap *map, uint32_t tag, const cust_acc *key)
{
    for (size_t i = tag & map->slot_mask; map->slots[i] != 0; i = (i + 1) & map->slot_mask) {
        if (slot_tag(map->slots[i]) != tag)
            continue;
        uint32_t index = slot_index(map->slots[i]);
        if (same_key(&map->entries[index], key->id, key->id_len, key->email, key->email_len))
            return index;
    }
    return ABSORB_NEW;
}

typedef struct absorb_lookup {
    const custmap *map, *src;
    size_t from, to;
    uint32_t *found; /* per src entry: its index in map, or ABSORB_NEW */
} absorb_lookup;

/* Looks src entries [from, to) up, prefetching the slot of the entry
 * ABSORB_AHEAD places ahead and the candidate entry half as far ahead. */
enum { ABSORB_AHEAD = 16, ABSORB_RING = 32 };

static void *absorb_lookup_run(void *arg)
{
    absorb_lookup *job = arg;
    const custmap *map = job->map;
    const cust_acc *src = job->src->entries;
    uint32_t tags[ABSORB_RING];
    for (size_t k = job->from; k < job->to + ABSORB_AHEAD; k++) {
        if (k < job->to) {
            const cust_acc *e = &src[k];
            uint32_t tag = (uint32_t)key_hash(e->id, e->id_len, e->email, e->email_len);
            tags[k % ABSORB_RING] = tag;
            __builtin_prefetch(&map->slots[tag & map->slot_mask]);
        }
        size_t half = k - ABSORB_AHEAD / 2;
        if (k >= job->from + ABSORB_AHEAD / 2 && half < job->to) {
            uint64_t slot = map->slots[tags[half % ABSORB_RING] & map->slot_mask];
            if (slot != 0)
                __builtin_prefetch(&map->entries[slot_index(slot)]);
        }
        if (k >= job->from + ABSORB_AHEAD) {
            size_t i = k - ABSORB_AHEAD;
            job->found[i] = find_tagged(map, tags[i % ABSORB_RING], &src[i]);
        }
    }
    return NULL;
}

/* Looks every src entry up in map, in two threads (an absorb follows a load of
 * two workers, so the input is large; small test inputs take this path too). */
static void absorb_lookups(const custmap *map, const custmap *src, uint32_t *found)
{
    absorb_lookup jobs[2] = {{map, src, 0, src->count / 2, found},
                             {map, src, src->count / 2, src->count, found}};
    pthread_t thread;
    bool threaded = src->count >= 2 && pthread_create(&thread, NULL, absorb_lookup_run,
                                                      &jobs[1]) == 0;
    if (!threaded)
        jobs[0].to = src->count;
    absorb_lookup_run(&jobs[0]);
    if (threaded)
        pthread_join(thread, NULL);
}

/* A src entry's channel and country (from) taken into x as apply takes an update's. */
static bool absorb_extra(custmap *map, cust_extra *x, const cust_extra *from)
{
    size_t channel_len = strlen(from->channel), country_len = strlen(from->country);
    if (channel_len > 0 && from->channel_day < x->channel_day) {
        x->channel = arena_strndup(&map->strings, from->channel, channel_len);
        x->channel_day = from->channel_day;
    }
    if (country_len > 0 && from->country_day >= x->country_day) {
        bool same = strlen(x->country) == country_len &&
                    bytes_eq(x->country, from->country, country_len);
        if (!same)
            x->country = arena_strndup(&map->strings, from->country, country_len);
        x->country_day = from->country_day;
    }
    return x->channel != NULL && x->country != NULL;
}

/* Adds src entry i, found at map index (or new, its key hashing to tag). */
static custmap_result absorb_one(custmap *map, const custmap *src, size_t i, uint32_t index,
                                 uint32_t tag)
{
    const cust_acc *d = &src->entries[i];
    cust_acc *c;
    if (index == ABSORB_NEW) {
        c = insert(map, tag, d->id, d->id_len, d->email, d->email_len);
        if (c == NULL)
            return map->count >= CVO_MAX_CUSTOMERS ? CUSTMAP_LIMIT : CUSTMAP_NOMEM;
    } else {
        c = &map->entries[index];
        if (c->email_len == 0 && d->email_len > 0 && !set_email(map, c, d->email, d->email_len))
            return CUSTMAP_NOMEM;
    }
    index = (uint32_t)(c - map->entries);
    map->remap[i] = index;
    if (map->extra != NULL && src->extra != NULL &&
        !absorb_extra(map, &map->extra[index], &src->extra[i]))
        return CUSTMAP_NOMEM;
    return add_figures(c, d);
}

/* Prefetches what adding e will touch: its entry, or for a new customer the
 * slot it will take; returns the key's tag for a new one. */
static uint32_t absorb_prefetch(const custmap *map, const cust_acc *e, uint32_t index)
{
    if (index != ABSORB_NEW) {
        __builtin_prefetch(&map->entries[index], 1);
        return 0;
    }
    uint32_t tag = (uint32_t)key_hash(e->id, e->id_len, e->email, e->email_len);
    __builtin_prefetch(&map->slots[tag & map->slot_mask], 1);
    return tag;
}

/* src's keys are first looked up in this map (read only, so split between two
 * threads); then, in src order, new customers are appended and the figures
 * added, exactly as queueing every src entry through custmap_add would. */
custmap_result custmap_absorb(custmap *map, const custmap *src)
{
    custmap_result r = custmap_flush(map);
    map->remap = mem_array(map->ctx, src->count ? src->count : 1, sizeof *map->remap);
    if (map->remap == NULL)
        return CUSTMAP_NOMEM;
    if (r == CUSTMAP_OK)
        absorb_lookups(map, src, map->remap);
    uint32_t tags[ABSORB_RING]; /* of new customers, hashed ABSORB_AHEAD / 2 ahead */
    for (size_t k = 0; k < src->count + ABSORB_AHEAD / 2 && r == CUSTMAP_OK; k++) {
        if (k < src->count)
            tags[k % ABSORB_RING] = absorb_prefetch(map, &src->entries[k], map->remap[k]);
        if (k >= ABSORB_AHEAD / 2) {
            size_t i = k - ABSORB_AHEAD / 2;
            r = absorb_one(map, src, i, map->remap[i], tags[i % ABSORB_RING]);
        }
    }
    if (r == CUSTMAP_OK && map->keep_orders)
        r = take_orders(map, src);
    mem_free(map->ctx, map->remap);
    map->remap = NULL;
    return r;
}

/* The customers known only by email, in a small table: slot -> entry + 1. */
static uint32_t *index_email_only(custmap *map, size_t *mask_out, size_t *count_out)
{
    size_t need = 0;
    for (size_t i = 0; i < map->count; i++)
        need += map->entries[i].id_len == 0 && map->entries[i].email_len > 0;
    size_t mask = 63;
    while (mask + 1 < need * 2)
        mask = mask * 2 + 1;
    uint32_t *slots = mem_zarray(map->ctx, mask + 1, sizeof *slots);
    if (slots == NULL)
        return NULL;
    for (size_t i = 0; need > 0 && i < map->count; i++) {
        const cust_acc *e = &map->entries[i];
        if (e->id_len != 0 || e->email_len == 0)
            continue;
        size_t s = (size_t)hash_bytes(e->email, e->email_len, SEED_EMAIL) & mask;
        while (slots[s] != 0)
            s = (s + 1) & mask;
        slots[s] = (uint32_t)i + 1;
    }
    *mask_out = mask;
    *count_out = need;
    return slots;
}

/* The live guest with e's email, or NULL. */
static cust_acc *take_email_only(const custmap *map, const uint32_t *slots, size_t mask,
                                 const cust_acc *e)
{
    size_t start = (size_t)hash_bytes(e->email, e->email_len, SEED_EMAIL);
    for (size_t s = start & mask; slots[s] != 0; s = (s + 1) & mask) {
        cust_acc *o = &map->entries[slots[s] - 1];
        if (!o->dead && o->email_len == e->email_len && bytes_eq(o->email, e->email, e->email_len))
            return o;
    }
    return NULL;
}

typedef struct guest_lookup {
    const custmap *map;
    const uint32_t *slots;
    size_t mask, from, to;
    uint32_t *guest; /* per entry: the guest with its email + 1, 0 none */
} guest_lookup;

/* Nothing is joined yet, so this only reads: two threads share the work. */
static void *guest_lookup_run(void *arg)
{
    guest_lookup *job = arg;
    for (size_t i = job->from; i < job->to; i++) {
        const cust_acc *e = &job->map->entries[i];
        const cust_acc *g = e->id_len == 0 || e->email_len == 0
                                ? NULL : take_email_only(job->map, job->slots, job->mask, e);
        job->guest[i] = g ? (uint32_t)(g - job->map->entries) + 1 : 0;
    }
    return NULL;
}

static void find_guests(const custmap *map, const uint32_t *slots, size_t mask, uint32_t *guest)
{
    guest_lookup jobs[2] = {{map, slots, mask, 0, map->count / 2, guest},
                            {map, slots, mask, map->count / 2, map->count, guest}};
    pthread_t thread;
    bool threaded = map->count >= 65536 && pthread_create(&thread, NULL, guest_lookup_run,
                                                          &jobs[1]) == 0;
    if (!threaded)
        jobs[0].to = map->count;
    guest_lookup_run(&jobs[0]);
    if (threaded)
        pthread_join(thread, NULL);
}

static void combine_extra(cust_extra *a, const cust_extra *b)
{
    if (b->channel[0] && b->channel_day < a->channel_day) {
        a->channel = b->channel;
        a->channel_day = b->channel_day;
    }
    if (b->country[0] && b->country_day > a->country_day) {
        a->country = b->country;
        a->country_day = b->country_day;
    }
}

long custmap_join_emails(custmap *map)
{
    size_t mask = 0, guests = 0;
    uint32_t *slots = index_email_only(map, &mask, &guests);
    if (slots == NULL)
        return -1;
    if (guests == 0) {
        mem_free(map->ctx, slots);
        return 0;
    }
    uint32_t *guest = mem_array(map->ctx, map->count ? map->count : 1, sizeof *guest);
    if (guest == NULL) {
        mem_free(map->ctx, slots);
        return -1;
    }
    find_guests(map, slots, mask, guest);
    mem_free(map->ctx, slots);
    long joined = 0;
    /* the first customer with an id and a given email takes that email's guest
     * (an email has one guest entry: it is the guest's key) */
    for (size_t i = 0; i < map->count; i++) {
        cust_acc *g = guest[i] ? &map->entries[guest[i] - 1] : NULL;
        if (g == NULL || g->dead)
            continue;
        cust_acc_combine(&map->entries[i], g);
        if (map->extra != NULL)
            combine_extra(&map->extra[i], &map->extra[g - map->entries]);
        g->dead = (uint32_t)i + 1;
        joined++;
    }
    mem_free(map->ctx, guest);
    return joined;
}

/* ---- the update pipeline ---------------------------------------------------- */

static void stage_slot(const custmap *map, const cust_update *u)
{
    __builtin_prefetch(&map->slots[u->tag & map->slot_mask]);
}

static void stage_entry(const custmap *map, cust_update *u)
{
    u->entry = 0;
    for (size_t i = u->tag & map->slot_mask; map->slots[i] != 0; i = (i + 1) & map->slot_mask) {
        if (slot_tag(map->slots[i]) == u->tag) {
            u->entry = slot_index(map->slots[i]) + 1;
            __builtin_prefetch(&map->entries[u->entry - 1]);
            return;
        }
    }
}

static void stage_text(const custmap *map, const cust_update *u)
{
    if (u->entry != 0 && u->entry <= map->count)
        __builtin_prefetch(map->entries[u->entry - 1].id);
}


/* Keeps the earliest channel and the latest country (copied on change only). */
static bool take_extra(custmap *map, cust_extra *x, const cust_update *u)
{
    const char *channel = u->text + u->id_len + 1 + u->email_len + 1;
    const char *country = channel + u->channel_len + 1;
    if (u->channel_len > 0 && u->channel_day < x->channel_day) {
        x->channel = arena_strndup(&map->strings, channel, u->channel_len);
        x->channel_day = u->channel_day;
    }
    if (u->country_len > 0 && u->country_day >= x->country_day) {
        bool same = strlen(x->country) == u->country_len &&
                    bytes_eq(x->country, country, u->country_len);
        if (!same)
            x->country = arena_strndup(&map->strings, country, u->country_len);
        x->country_day = u->country_day;
    }
    return x->channel != NULL && x->country != NULL;
}

static custmap_result apply(custmap *map, const cust_update *u)
{
    cust_acc *c = get_tagged(map, u->tag, u->text, u->id_len, u->text + u->id_len + 1,
                             u->email_len);
    if (c == NULL)
        return map->count >= CVO_MAX_CUSTOMERS ? CUSTMAP_LIMIT : CUSTMAP_NOMEM;
    const cust_acc *d = &u->change;
    uint32_t index = (uint32_t)(c - map->entries);
    if (map->extra != NULL && !take_extra(map, &map->extra[index], u))
        return CUSTMAP_NOMEM;
    if (map->keep_orders && u->log && !log_order(map, index, &u->order))
        return CUSTMAP_NOMEM;
    return add_figures(c, d);
}

static cust_update *pending_at(custmap *map, size_t age)
{
    return &map->pending[(map->pending_head + CUST_PIPELINE - 1 - age) % CUST_PIPELINE];
}

static custmap_result apply_oldest(custmap *map)
{
    cust_update *oldest = pending_at(map, map->pending_count - 1);
    map->pending_count--;
    return apply(map, oldest);
}

static char *put_text(char *out, const char *text, size_t len)
{
    if (len)
        memcpy(out, text, len);
    out[len] = '\0';
    return out + len + 1;
}

static bool fill_update(custmap *map, cust_update *u, const char *id, size_t id_len,
                        const char *email, size_t email_len, const cust_order_info *info)
{
    size_t channel_len = info ? info->channel_len : 0, country_len = info ? info->country_len : 0;
    size_t need = id_len + email_len + channel_len + country_len + 4;
    if (need > u->text_cap) {
        size_t cap = need < 64 ? 64 : need * 2;
        char *text = mem_realloc(map->ctx, u->text, cap);
        if (text == NULL)
            return false;
        u->text = text;
        u->text_cap = cap;
    }
    char *p = put_text(u->text, id, id_len);
    p = put_text(p, email, email_len);
    p = put_text(p, info ? info->channel : "", channel_len);
    put_text(p, info ? info->country : "", country_len);
    u->id_len = (uint32_t)id_len;
    u->email_len = (uint32_t)email_len;
    u->channel_len = (uint32_t)channel_len;
    u->country_len = (uint32_t)country_len;
    u->tag = (uint32_t)key_hash(id, id_len, email, email_len);
    return true;
}

static custmap_result enqueue(custmap *map, const char *id, size_t id_len, const char *email,
                              size_t email_len, const cust_acc *change,
                              const cust_order_info *info, int32_t channel_day,
                              int32_t country_day)
{
    if (map->pending_count == CUST_PIPELINE) {
        custmap_result r = apply_oldest(map);
        if (r != CUSTMAP_OK)
            return r;
    }
    cust_update *u = &map->pending[map->pending_head];
    if (!fill_update(map, u, id, id_len, email, email_len, info))
        return CUSTMAP_NOMEM;
    u->change = *change;
    u->entry = 0;
    u->channel_day = channel_day;
    u->country_day = country_day;
    u->log = map->keep_orders && info != NULL && info->counted && info->order != NULL;
    if (u->log)
        u->order = *info->order;
    map->pending_head = (map->pending_head + 1) % CUST_PIPELINE;
    map->pending_count++;
    stage_slot(map, u);
    if (map->pending_count > CUST_PIPELINE / 4)
        stage_entry(map, pending_at(map, CUST_PIPELINE / 4));
    if (map->pending_count > CUST_PIPELINE / 2)
        stage_text(map, pending_at(map, CUST_PIPELINE / 2));
    return CUSTMAP_OK;
}

custmap_result custmap_update(custmap *map, const char *id, size_t id_len, const char *email,
                              size_t email_len, const cust_order_info *info)
{
    cust_acc change;
    int32_t day = info->order->day;
    change.first_day = info->counted ? day : INT32_MAX;
    change.last_day = info->counted ? day : INT32_MIN;
    change.orders = info->counted;
    change.revenue_cents = info->order->net_cents;
    change.items = info->items;
    int32_t when_first = info->counted ? day : INT32_MAX, when_last = info->counted ? day : INT32_MIN;
    return enqueue(map, id, id_len, email, email_len, &change, info, when_first, when_last);
}

custmap_result custmap_add(custmap *map, const cust_acc *figures)
{
    return enqueue(map, figures->id, figures->id_len, figures->email, figures->email_len, figures,
                   NULL, INT32_MAX, INT32_MIN);
}

custmap_result custmap_flush(custmap *map)
{
    while (map->pending_count > 0) {
        custmap_result r = apply_oldest(map);
        if (r != CUSTMAP_OK)
            return r;
    }
    return CUSTMAP_OK;
}
