/* arena.c - bump allocator in growing blocks (64 KiB doubling up to 16 MiB). */
#include "arena.h"

#include <string.h>

struct arena_block {
    arena_block *next;
    size_t capacity;
    /* payload follows, 8-aligned because of the two size_t/pointer fields */
};

enum { ARENA_FIRST_BLOCK = 64 * 1024, ARENA_MAX_BLOCK = 16 * 1024 * 1024 };

void arena_init(arena *a, cvo_ctx *ctx)
{
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
}

static void *block_payload(arena_block *block)
{
    return (char *)block + sizeof(arena_block);
}

void *arena_alloc(arena *a, size_t size)
{
    size = (size + 7u) & ~(size_t)7u;
    if (a->head == NULL || a->capacity - a->used < size) {
        size_t want = a->total < ARENA_FIRST_BLOCK ? ARENA_FIRST_BLOCK : a->total;
        if (want > ARENA_MAX_BLOCK)
            want = ARENA_MAX_BLOCK;
        if (want < size)
            want = size;
        arena_block *block = mem_alloc(a->ctx, sizeof(arena_block) + want);
        if (block == NULL)
            return NULL;
        block->next = a->head;
        block->capacity = want;
        a->head = block;
        a->used = 0;
        a->capacity = want;
        a->total += want;
    }
    void *ptr = (char *)block_payload(a->head) + a->used;
    a->used += size;
    return ptr;
}

char *arena_strndup(arena *a, const char *text, size_t len)
{
    char *copy = arena_alloc(a, len + 1);
    if (copy != NULL) {
        if (len)
            memcpy(copy, text, len);
        copy[len] = '\0';
    }
    return copy;
}

void arena_release(arena *a)
{
    arena_block *block = a->head;
    while (block != NULL) {
        arena_block *next = block->next;
        mem_free(a->ctx, block);
        block = next;
    }
    a->head = NULL;
    a->used = a->capacity = a->total = 0;
}
