/* intern.h - a string interner: each distinct byte string gets a dense index
 * (0, 1, 2 ... in order of first appearance) and one NUL-terminated copy that
 * lives as long as the interner. Indices never change once given. */
#ifndef CVO_INTERN_H
#define CVO_INTERN_H

#include "base/arena.h"

#include <stdbool.h>
#include <stdint.h>

#define INTERN_NONE UINT32_MAX

typedef struct intern {
    cvo_ctx *ctx;
    arena text;
    const char **strings; /* by index */
    uint32_t *lengths;
    size_t count, cap;
    uint64_t *slots; /* (high 32 bits of the hash) << 32 | (index + 1); 0 = empty */
    size_t slot_mask;
} intern;

void intern_init(intern *in, cvo_ctx *ctx);
/* The index of text, adding it when new (*added says so; may be NULL).
 * INTERN_NONE when out of memory or past UINT32_MAX - 1 strings. */
uint32_t intern_put(intern *in, const char *text, size_t len, bool *added);
/* The index of text, or INTERN_NONE when it was never put. */
uint32_t intern_find(const intern *in, const char *text, size_t len);
static inline const char *intern_at(const intern *in, uint32_t index)
{
    return in->strings[index];
}
static inline uint32_t intern_length(const intern *in, uint32_t index)
{
    return in->lengths[index];
}
void intern_free(intern *in);

#endif
