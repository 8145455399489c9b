/* header.h - what every CSV reader checks of its header line: that it could
 * be read at all (and if not, why, with the limit it hit), that it has no
 * more columns than cvo reads, and that no two columns share a name (the
 * first would silently win), compared the way that reader matches names.
 * Empty names (a trailing delimiter) can be named by nobody, so they may
 * repeat. */
#ifndef CVO_HEADER_H
#define CVO_HEADER_H

#include "base/ctx.h"
#include "io/csv.h"
#include "io/reader.h"

/* A reader's folding of a header name: writes the name it matches into out
 * (NUL-terminated, at most cap - 1 bytes). */
typedef void (*header_fold_fn)(const char *text, size_t len, char *out, size_t cap);

/* The name of header field f as written (unescaped when it fits), into out;
 * cut to cap - 1 bytes. Returns its length (out is not NUL-terminated). */
size_t header_name_text(const csv_field *f, char *out, size_t cap);

/* ASCII case folding, for readers that match names without regard to case. */
void header_fold_lower(const char *text, size_t len, char *out, size_t cap);

/* The 0-based column named name (any ASCII case); -1 when there is none. */
int header_column(const csv_record *header, const char *name);

/* The first pair of columns (0-based, *first < *second) whose names fold to
 * the same non-empty name; false when there is none. */
bool header_duplicate(const csv_record *header, header_fold_fn fold, uint32_t *first,
                      uint32_t *second);

/* Why reading the header of file name gave rr instead of a record:
 * CVO_ERR_EMPTY (no line at all), CVO_ERR_LIMIT (a line longer than
 * CVO_MAX_RECORD_BYTES), CVO_ERR_FORMAT (a quote still open at the end) or
 * CVO_ERR_IO, each with its message. */
CVO_MUST_USE cvo_status header_unreadable(cvo_ctx *ctx, const char *name, reader_result rr);

/* CVO_OK; CVO_ERR_LIMIT when the header has more than CVO_MAX_COLUMNS
 * columns; CVO_ERR_FORMAT with
 * "name:LINE: column "email" appears twice (columns 2 and 7)" (1-based
 * columns, the name as the first of them writes it). */
CVO_MUST_USE cvo_status header_check(cvo_ctx *ctx, const char *name, const csv_record *header,
                                     header_fold_fn fold);

#endif
