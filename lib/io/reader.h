/* reader.h - feeds csv_next from a source: refills a buffer in chunks,
 * keeps the unfinished record at the front, and knows the absolute offset of
 * every byte so parallel readers can meet at record boundaries. */
#ifndef CVO_READER_H
#define CVO_READER_H

#include "io/csv.h"
#include "io/source.h"

typedef struct reader {
    cvo_ctx *ctx;
    source *src;
    bool positional;   /* pread from offset (seekable sources) */
    uint64_t offset;   /* absolute offset of the next byte to read */
    char *buf;
    size_t cap, len, pos;
    uint64_t buf_abs;  /* absolute offset of buf[0] */
    bool eof;
    size_t chunk;      /* bytes asked for per read */
    uint64_t bytes;    /* bytes read so far */
    int error;         /* errno of a failed positional read */
} reader;

/* chunk 0 means the default (4 MiB). */
cvo_status reader_init(reader *r, cvo_ctx *ctx, source *src, bool positional, uint64_t offset,
                       size_t chunk);
void reader_free(reader *r);

typedef enum reader_result { READER_RECORD, READER_END, READER_ERROR, READER_TOO_LONG,
                             READER_UNTERMINATED } reader_result;

/* The next record. On READER_TOO_LONG the record was longer than
 * CVO_MAX_RECORD_BYTES and has been skipped up to its end as far as it can be
 * found (its line is in record->line, no fields). */
reader_result reader_next(reader *r, csv_scanner *scanner, csv_record *record);

/* Absolute offset of a pointer into the current buffer. */
static inline uint64_t reader_abs(const reader *r, const char *p)
{
    return r->buf_abs + (uint64_t)(p - r->buf);
}

/* Makes sure the first line at the current position is in the buffer (or the
 * input ends first); sets *line / *len to it. false on a read error. */
bool reader_peek_line(reader *r, const char **line, size_t *len);

/* Drops a UTF-8 byte order mark at the current position, if any. */
void reader_skip_bom(reader *r);

#endif
