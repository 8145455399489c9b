/* custmap.c - the load-time customer table. Slots hold entry indexes so that
 * growing the slot array never moves entries, and entries stay in order. */
#include "custmap.h"

#include "base/hash.h"
#include "base/limits.h"

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
    mem_free(map->ctx, map->entries);
    mem_free(map->ctx, map->slots);
    arena_release(&map->strings);
    memset(map, 0, sizeof *map);
}

static bool same_key(const cust_acc *e, const char *id, size_t id_len, const char *email,
                     size_t email_len)
{
    if (id_len)
        return e->id_len == id_len && memcmp(e->id, id, id_len) == 0;
    return e->id_len == 0 && e->email_len == email_len && memcmp(e->email, email, email_len) == 0;
}

static void place(custmap *map, uint64_t hash, uint32_t index)
{
    size_t i = (size_t)hash & map->slot_mask;
    while (map->slots[i] != 0)
        i = (i + 1) & map->slot_mask;
    map->slots[i] = index + 1;
}

static bool grow(custmap *map)
{
    size_t cap = map->cap * 2;
    cust_acc *entries = mem_realloc(map->ctx, map->entries, cap * sizeof *entries);
    if (entries == NULL)
        return false;
    map->entries = entries;
    map->cap = cap;
    mem_free(map->ctx, map->slots);
    if (!alloc_slots(map, cap * 2))
        return false;
    for (size_t i = 0; i < map->count; i++)
        place(map, map->entries[i].hash, (uint32_t)i);
    return true;
}

static bool set_email(custmap *map, cust_acc *e, const char *email, size_t email_len)
{
    e->email = arena_strndup(&map->strings, email, email_len);
    e->email_len = (uint32_t)email_len;
    return e->email != NULL;
}

static cust_acc *insert(custmap *map, uint64_t hash, const char *id, size_t id_len,
                        const char *email, size_t email_len)
{
    if (map->count >= CVO_MAX_CUSTOMERS || (map->count == map->cap && !grow(map)))
        return NULL;
    cust_acc *e = &map->entries[map->count];
    memset(e, 0, sizeof *e);
    e->hash = hash;
    e->first_day = INT32_MAX;
    e->last_day = INT32_MIN;
    e->id = arena_strndup(&map->strings, id, id_len);
    e->id_len = (uint32_t)id_len;
    if (e->id == NULL || !set_email(map, e, email, email_len))
        return NULL;
    place(map, hash, (uint32_t)map->count);
    map->count++;
    return e;
}

cust_acc *custmap_get(custmap *map, const char *id, size_t id_len, const char *email,
                      size_t email_len)
{
    uint64_t hash = key_hash(id, id_len, email, email_len);
    for (size_t i = (size_t)hash & map->slot_mask; map->slots[i] != 0;
         i = (i + 1) & map->slot_mask) {
        cust_acc *e = &map->entries[map->slots[i] - 1];
        if (e->hash == hash && same_key(e, id, id_len, email, email_len)) {
            if (e->email_len == 0 && email_len > 0 && !set_email(map, e, email, email_len))
                return NULL;
            return e;
        }
    }
    return insert(map, hash, id, id_len, email, email_len);
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

bool custmap_absorb(custmap *map, const custmap *src)
{
    for (size_t i = 0; i < src->count; i++) {
        const cust_acc *s = &src->entries[i];
        cust_acc *d = custmap_get(map, s->id, s->id_len, s->email, s->email_len);
        if (d == NULL)
            return false;
        cust_acc_combine(d, s);
    }
    return true;
}

/* email -> index of the first customer with an id and that email */
static uint32_t *build_email_index(custmap *map, size_t mask)
{
    uint32_t *slots = mem_zarray(map->ctx, mask + 1, sizeof *slots);
    if (slots == NULL)
        return NULL;
    for (size_t i = 0; i < map->count; i++) {
        const cust_acc *e = &map->entries[i];
        if (e->id_len == 0 || e->email_len == 0)
            continue;
        size_t s = (size_t)hash_bytes(e->email, e->email_len, SEED_EMAIL) & mask;
        bool taken = false;
        for (; slots[s] != 0 && !taken; s = (s + 1) & mask) {
            const cust_acc *o = &map->entries[slots[s] - 1];
            taken = o->email_len == e->email_len && memcmp(o->email, e->email, e->email_len) == 0;
        }
        if (!taken)
            slots[s] = (uint32_t)i + 1;
    }
    return slots;
}

static cust_acc *find_by_email(custmap *map, const uint32_t *slots, size_t mask,
                               const cust_acc *e)
{
    for (size_t s = (size_t)e->hash & mask; slots[s] != 0; s = (s + 1) & mask) {
        cust_acc *o = &map->entries[slots[s] - 1];
        if (o->email_len == e->email_len && memcmp(o->email, e->email, e->email_len) == 0)
            return o;
    }
    return NULL;
}

long custmap_join_emails(custmap *map)
{
    size_t mask = 1023;
    while (mask + 1 < map->count * 2)
        mask = mask * 2 + 1;
    uint32_t *slots = build_email_index(map, mask);
    if (slots == NULL)
        return -1;
    long joined = 0;
    for (size_t i = 0; i < map->count; i++) {
        cust_acc *e = &map->entries[i];
        if (e->id_len != 0 || e->email_len == 0)
            continue;
        cust_acc *target = find_by_email(map, slots, mask, e);
        if (target == NULL)
            continue;
        cust_acc_combine(target, e);
        e->dead = true;
        joined += e->orders > 0 || e->revenue_cents != 0;
    }
    mem_free(map->ctx, slots);
    return joined;
}
