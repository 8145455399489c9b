/* header.c - duplicate column names (see header.h). Names are folded once
 * each and compared by hash, so a header of CVO_MAX_COLUMNS names costs
 * ~130k integer comparisons and a fold per candidate pair. */
#include "io/header.h"

#include "base/hash.h"

#include <string.h>
#include <strings.h>

size_t header_name_text(const csv_field *f, char *out, size_t cap)
{
    if (f->needs_unescape && f->len < cap)
        return csv_unescape(f, out);
    size_t len = f->len < cap ? f->len : cap - 1;
    memcpy(out, f->ptr, len);
    return len;
}

/* The name of field f as written, folded into out. */
static void fold_field(const csv_field *f, header_fold_fn fold, char *out, size_t cap)
{
    char raw[CVO_MAX_HEADER_BYTES];
    fold(raw, header_name_text(f, raw, sizeof raw), out, cap);
}

bool header_duplicate(const csv_record *header, header_fold_fn fold, uint32_t *first,
                      uint32_t *second)
{
    uint64_t hashes[CVO_MAX_COLUMNS]; /* 0: an empty name; else the hash with bit 0 set */
    char name[CVO_MAX_HEADER_BYTES], other[CVO_MAX_HEADER_BYTES];
    for (uint32_t j = 0; j < header->stored; j++) {
        fold_field(&header->fields[j], fold, name, sizeof name);
        hashes[j] = name[0] ? hash_bytes(name, strlen(name), 0x4eade5) | 1 : 0;
        for (uint32_t i = 0; hashes[j] != 0 && i < j; i++) {
            if (hashes[i] != hashes[j])
                continue;
            fold_field(&header->fields[i], fold, other, sizeof other);
            if (strcmp(name, other) == 0) {
                *first = i;
                *second = j;
                return true;
            }
        }
    }
    return false;
}

cvo_status header_unreadable(cvo_ctx *ctx, const char *name, reader_result rr)
{
    switch (rr) {
    case READER_END: return ctx_fail(ctx, CVO_ERR_EMPTY, "%s: empty input", name);
    case READER_TOO_LONG:
        return ctx_fail(ctx, CVO_ERR_LIMIT,
                        "%s:1: unreadable header: line too long (more than %u bytes, the most "
                        "one record may hold)",
                        name, CVO_MAX_RECORD_BYTES);
    case READER_UNTERMINATED:
        return ctx_fail(ctx, CVO_ERR_FORMAT,
                        "%s:1: unreadable header: a quoted field is still open at the end of "
                        "the input",
                        name);
    case READER_RECORD:
    case READER_ERROR: break;
    }
    return ctx_fail(ctx, CVO_ERR_IO, "%s: read error", name);
}

cvo_status header_check(cvo_ctx *ctx, const char *name, const csv_record *header,
                        header_fold_fn fold)
{
    if (header->count > CVO_MAX_COLUMNS)
        return ctx_fail(ctx, CVO_ERR_LIMIT,
                        "%s:%llu: unreadable header: too many columns (%u; at most %d)", name,
                        (unsigned long long)header->line, header->count, CVO_MAX_COLUMNS);
    uint32_t first, second;
    if (!header_duplicate(header, fold, &first, &second))
        return CVO_OK;
    char shown[CVO_MAX_HEADER_BYTES];
    size_t len = header_name_text(&header->fields[first], shown, sizeof shown);
    return ctx_fail(
        ctx, CVO_ERR_FORMAT, "%s:%llu: column \"%.*s\" appears twice (columns %u and %u)", name,
        (unsigned long long)header->line, (int)(len > 64 ? 64 : len), shown, first + 1, second + 1);
}

void header_fold_lower(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++)
        out[n++] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] - 'A' + 'a') : text[i];
    out[n] = '\0';
}

int header_column(const csv_record *header, const char *name)
{
    for (uint32_t i = 0; i < header->stored; i++) {
        const csv_field *f = &header->fields[i];
        if (f->len == strlen(name) && strncasecmp(f->ptr, name, f->len) == 0)
            return (int)i;
    }
    return -1;
}
