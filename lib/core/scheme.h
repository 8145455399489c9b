/* scheme.h - segment schemes: a complete map from every RFM score cell to one
 * named segment (every one of levels^3 cells holds a valid segment index).
 * Also the line reader shared by the small config files (user maps, cut points). */
#ifndef CVO_SCHEME_H
#define CVO_SCHEME_H

#include "base/arena.h"
#include "base/limits.h"
#include "cvo.h"

#define SCHEME_MAX_CELLS (CVO_MAX_LEVELS * CVO_MAX_LEVELS * CVO_MAX_LEVELS)

struct cvo_scheme {
    cvo_ctx *ctx;
    int levels;
    size_t segment_count;
    const char *names[CVO_MAX_SEGMENTS]; /* static for built-ins, in `strings` for user maps */
    uint8_t cells[SCHEME_MAX_CELLS];     /* segment of cell scheme_cell(levels, r, f, m) */
    arena strings;
};

/* Index of score cell (r, f, m), each 1..levels, in cvo_scheme.cells. */
static inline size_t scheme_cell(int levels, int r, int f, int m)
{
    return ((size_t)(r - 1) * (size_t)levels + (size_t)(f - 1)) * (size_t)levels + (size_t)(m - 1);
}

/* A config file read whole, walked line by line. Lines lose their '\r', their
 * '#' comment and surrounding blanks; blank lines are skipped. */
typedef struct scheme_lines {
    char *text;         /* the whole file, NUL-terminated */
    size_t len;
    size_t next;        /* offset of the next unread line */
    unsigned long line; /* 1-based number of the line last returned */
} scheme_lines;

/* Reads path (at most CVO_MAX_CONFIG_BYTES; a leading UTF-8 BOM is skipped).
 * Errors: CVO_ERR_IO, CVO_ERR_LIMIT, CVO_ERR_CONFIG (a NUL byte), CVO_ERR_NOMEM. */
cvo_status scheme_lines_open(cvo_ctx *ctx, const char *path, scheme_lines *lines) CVO_MUST_USE;
/* The next non-blank line (not NUL-terminated); false at the end of the file. */
bool scheme_lines_next(scheme_lines *lines, const char **text, size_t *len);
void scheme_lines_close(cvo_ctx *ctx, scheme_lines *lines);

/* text[0..len) without leading and trailing blanks (space, tab). */
void scheme_trim(const char **text, size_t *len);

#endif
