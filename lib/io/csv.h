/* csv.h - RFC 4180 record scanner over a caller's buffer. It never copies
 * unless a field holds "" escapes; a record that does not end inside the
 * buffer is reported as CSV_NEED_MORE so the caller can read on and retry. */
#ifndef CVO_CSV_H
#define CVO_CSV_H

#include "base/limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct csv_field {
    const char *ptr; /* value bytes, or the raw field when needs_unescape */
    uint32_t len;
    bool needs_unescape; /* "" inside quotes, or text after the closing quote */
} csv_field;

typedef struct csv_record {
    const csv_field *fields;
    uint32_t count;      /* fields in the record (may exceed those stored) */
    uint32_t stored;     /* fields stored: min(count, CVO_MAX_COLUMNS) */
    const char *raw;     /* the record without its line ending */
    size_t raw_len;
    uint64_t line;       /* physical line where the record starts, 1-based */
    bool ascii;          /* known to be all ASCII (false: unknown) */
} csv_record;

typedef enum csv_result {
    CSV_RECORD = 0,       /* *record filled, *pos moved past it */
    CSV_NEED_MORE,        /* the record is not complete in the buffer */
    CSV_END,              /* eof and nothing left */
    CSV_UNTERMINATED      /* eof inside a quoted field */
} csv_result;

typedef struct csv_scanner {
    char delimiter;  /* ',' ';' '\t', or ' ' for whitespace-separated */
    uint64_t line;   /* line where the next record starts */
    csv_field fields[CVO_MAX_COLUMNS];
} csv_scanner;

void csv_init(csv_scanner *scanner, char delimiter, uint64_t first_line);

/* Scans the next record from buf[*pos .. len). Blank lines are skipped. With
 * eof false, a record must end in a line break to count as complete. */
csv_result csv_next(csv_scanner *scanner, const char *buf, size_t len, size_t *pos, bool eof,
                    csv_record *record);

/* The value of a field that needs_unescape, written into out (capacity at
 * least field->len); returns its length. */
size_t csv_unescape(const csv_field *field, char *out);

/* The delimiter a header line uses: the most frequent of , ; TAB outside
 * quotes, or ' ' when none occurs and blanks separate several words. */
char csv_sniff_delimiter(const char *line, size_t len);

/* Writes field as one CSV field (quoted when it holds , " CR LF or starts
 * with a blank) into out (capacity 2 * len + 3); returns the length. */
size_t csv_quote(const char *text, size_t len, char *out);

#endif
