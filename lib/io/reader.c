/* reader.c - chunked refills. The buffer grows only while one record does
 * not fit, and never past CVO_MAX_RECORD_BYTES plus one chunk. */
#include "reader.h"

#include <errno.h>
#include <string.h>

enum { READER_DEFAULT_CHUNK = 4 << 20 };

cvo_status reader_init(reader *r, cvo_ctx *ctx, source *src, bool positional, uint64_t offset,
                       size_t chunk)
{
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->src = src;
    r->positional = positional;
    r->offset = offset;
    r->buf_abs = offset;
    r->chunk = chunk ? chunk : READER_DEFAULT_CHUNK;
    r->cap = r->chunk < 4096 ? 4096 : r->chunk;
    r->buf = mem_alloc(ctx, r->cap);
    return r->buf ? CVO_OK : ctx_nomem(ctx);
}

void reader_free(reader *r)
{
    mem_free(r->ctx, r->buf);
    r->buf = NULL;
}

static bool make_room(reader *r)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->buf_abs += r->pos;
        r->pos = 0;
    }
    if (r->cap - r->len >= r->chunk || r->cap - r->len >= 4096)
        return true;
    size_t cap = r->cap * 2;
    char *buf = mem_realloc(r->ctx, r->buf, cap);
    if (buf == NULL)
        return false;
    r->buf = buf;
    r->cap = cap;
    return true;
}

/* -1 on error, else bytes added (0 at end). */
static ssize_t fill(reader *r)
{
    if (!make_room(r))
        return -1;
    size_t want = r->cap - r->len;
    if (want > r->chunk)
        want = r->chunk;
    ssize_t n = r->positional ? source_pread(r->src, r->buf + r->len, want, r->offset)
                              : source_read(r->src, r->buf + r->len, want);
    if (n < 0) {
        r->error = errno;
        return -1;
    }
    if (n == 0)
        r->eof = true;
    r->len += (size_t)n;
    r->offset += (uint64_t)n;
    r->bytes += (uint64_t)n;
    return n;
}

void reader_skip_bom(reader *r)
{
    while (!r->eof && r->len - r->pos < 3 && fill(r) > 0) {
    }
    if (r->len - r->pos >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0)
        r->pos += 3;
}

/* Skips to the line break after an oversized record (quotes ignored). */
static reader_result skip_long_record(reader *r, csv_scanner *scanner, csv_record *record)
{
    record->line = scanner->line;
    record->raw = r->buf + r->pos;
    record->raw_len = 0;
    record->count = record->stored = 0;
    for (;;) {
        const char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl != NULL) {
            r->pos = (size_t)(nl - r->buf) + 1;
            scanner->line++;
            return READER_TOO_LONG;
        }
        r->pos = r->len;
        if (r->eof)
            return READER_TOO_LONG;
        if (fill(r) < 0)
            return READER_ERROR;
    }
}

reader_result reader_next(reader *r, csv_scanner *scanner, csv_record *record)
{
    for (;;) {
        size_t pos = r->pos;
        csv_result res = csv_next(scanner, r->buf, r->len, &pos, r->eof, record);
        if (res == CSV_RECORD) {
            r->pos = pos;
            if (record->raw_len <= CVO_MAX_RECORD_BYTES)
                return READER_RECORD;
            /* whole in the buffer, yet as oversized as one that is not: the
             * limit must not depend on where the chunks happen to end */
            record->raw_len = 0;
            record->count = record->stored = 0;
            return READER_TOO_LONG;
        }
        r->pos = pos; /* blank lines skipped */
        if (res == CSV_END)
            return READER_END;
        if (res == CSV_UNTERMINATED) {
            record->line = scanner->line;
            record->raw = r->buf + r->pos;
            record->raw_len = r->len - r->pos;
            record->count = record->stored = 0;
            r->pos = r->len;
            return READER_UNTERMINATED;
        }
        if (r->len - r->pos > CVO_MAX_RECORD_BYTES)
            return skip_long_record(r, scanner, record);
        if (fill(r) < 0)
            return READER_ERROR;
    }
}

bool reader_peek_line(reader *r, const char **line, size_t *len)
{
    for (;;) {
        const char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl != NULL || r->eof || r->len - r->pos > CVO_MAX_RECORD_BYTES) {
            *line = r->buf + r->pos;
            *len = nl ? (size_t)(nl - *line) : r->len - r->pos;
            return true;
        }
        if (fill(r) < 0)
            return false;
    }
}
