/* header.h - what every CSV reader checks of its header line: that no two
 * columns share a name (the first would silently win), compared the way that
 * reader matches names. Empty names (a trailing delimiter) can be named by
 * nobody, so they may repeat. */
#ifndef CVO_HEADER_H
#define CVO_HEADER_H

#include "base/ctx.h"
#include "io/csv.h"

/* A reader's folding of a header name: writes the name it matches into out
 * (NUL-terminated, at most cap - 1 bytes). */
typedef void (*header_fold_fn)(const char *text, size_t len, char *out, size_t cap);

/* The first pair of columns (0-based, *first < *second) whose names fold to
 * the same non-empty name; false when there is none. */
bool header_duplicate(const csv_record *header, header_fold_fn fold, uint32_t *first,
                      uint32_t *second);

/* CVO_OK, or CVO_ERR_FORMAT with
 * "name:LINE: column "email" appears twice (columns 2 and 7)" (1-based
 * columns, the name as the first of them writes it). */
CVO_MUST_USE cvo_status header_check_unique(cvo_ctx *ctx, const char *name,
                                            const csv_record *header, header_fold_fn fold);

#endif
