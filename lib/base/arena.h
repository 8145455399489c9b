/* arena.h - bump allocation for data that lives as long as one object (strings
 * of a customer table, per-load scratch). Freed all at once; never per item. */
#ifndef CVO_ARENA_H
#define CVO_ARENA_H

#include "ctx.h"

typedef struct arena_block arena_block;

typedef struct arena {
    cvo_ctx *ctx;
    arena_block *head;
    size_t used;     /* bytes used in head */
    size_t capacity; /* bytes available in head */
    size_t total;    /* bytes reserved in all blocks */
} arena;

void arena_init(arena *a, cvo_ctx *ctx);
/* NULL when out of memory. Alignment is 8 bytes. */
void *arena_alloc(arena *a, size_t size);
/* A NUL-terminated copy, or NULL when out of memory. */
char *arena_strndup(arena *a, const char *text, size_t len);
void arena_release(arena *a);

#endif
