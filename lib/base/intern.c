/* intern.c - open addressing over (hash, index) pairs; the table is kept at
 * most half full and rebuilt from the string list when it grows. */
#include "base/intern.h"

#include "base/bytes.h"
#include "base/hash.h"

#include <string.h>

#define INTERN_SEED 0x1e7e

void intern_init(intern *in, cvo_ctx *ctx)
{
    memset(in, 0, sizeof *in);
    in->ctx = ctx;
    arena_init(&in->text, ctx);
}

static size_t find_slot(const intern *in, const char *text, size_t len, uint64_t hash,
                        bool *found)
{
    uint64_t tag = hash & 0xffffffff00000000ull;
    size_t i = (size_t)hash & in->slot_mask;
    for (; in->slots[i] != 0; i = (i + 1) & in->slot_mask) {
        uint64_t s = in->slots[i];
        uint32_t index = (uint32_t)s - 1;
        if ((s & 0xffffffff00000000ull) == tag && in->lengths[index] == len &&
            bytes_eq(in->strings[index], text, len)) {
            *found = true;
            return i;
        }
    }
    *found = false;
    return i;
}

static bool grow(intern *in)
{
    size_t cap = in->cap ? in->cap * 2 : 64;
    const char **strings = mem_realloc(in->ctx, in->strings, cap * sizeof *strings);
    if (strings != NULL)
        in->strings = strings;
    uint32_t *lengths = mem_realloc(in->ctx, in->lengths, cap * sizeof *lengths);
    if (lengths != NULL)
        in->lengths = lengths;
    uint64_t *slots = mem_zarray(in->ctx, cap * 2, sizeof *slots);
    if (strings == NULL || lengths == NULL || slots == NULL) {
        mem_free(in->ctx, slots);
        return false;
    }
    mem_free(in->ctx, in->slots);
    in->slots = slots;
    in->slot_mask = cap * 2 - 1;
    in->cap = cap;
    for (size_t k = 0; k < in->count; k++) {
        bool found;
        uint64_t hash = hash_bytes(in->strings[k], in->lengths[k], INTERN_SEED);
        size_t slot = find_slot(in, in->strings[k], in->lengths[k], hash, &found);
        in->slots[slot] = (hash & 0xffffffff00000000ull) | (k + 1);
    }
    return true;
}

uint32_t intern_find(const intern *in, const char *text, size_t len)
{
    if (in->count == 0)
        return INTERN_NONE;
    bool found;
    size_t slot = find_slot(in, text, len, hash_bytes(text, len, INTERN_SEED), &found);
    return found ? (uint32_t)in->slots[slot] - 1 : INTERN_NONE;
}

uint32_t intern_put(intern *in, const char *text, size_t len, bool *added)
{
    if (added != NULL)
        *added = false;
    if (len > UINT32_MAX || in->count >= UINT32_MAX - 1)
        return INTERN_NONE;
    if (in->count * 2 >= in->cap && !grow(in))
        return INTERN_NONE;
    uint64_t hash = hash_bytes(text, len, INTERN_SEED);
    bool found;
    size_t slot = find_slot(in, text, len, hash, &found);
    if (found)
        return (uint32_t)in->slots[slot] - 1;
    char *copy = arena_strndup(&in->text, text, len);
    if (copy == NULL)
        return INTERN_NONE;
    uint32_t index = (uint32_t)in->count++;
    in->strings[index] = copy;
    in->lengths[index] = (uint32_t)len;
    in->slots[slot] = (hash & 0xffffffff00000000ull) | ((uint64_t)index + 1);
    if (added != NULL)
        *added = true;
    return index;
}

void intern_free(intern *in)
{
    if (in->ctx == NULL)
        return;
    arena_release(&in->text);
    mem_free(in->ctx, in->strings);
    mem_free(in->ctx, in->lengths);
    mem_free(in->ctx, in->slots);
    memset(in, 0, sizeof *in);
}
