/* csv.c - the record scanner. Invariant: *pos only ever moves past complete
 * records, so a caller that gets CSV_NEED_MORE can refill and call again with
 * the same bytes at *pos, and the result does not depend on chunk sizes. */
#include "csv.h"

#include "base/bytes.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <string.h>

void csv_init(csv_scanner *scanner, char delimiter, uint64_t first_line)
{
    scanner->delimiter = delimiter;
    scanner->line = first_line;
}

static uint32_t count_newlines(const char *from, const char *to)
{
    uint32_t count = 0;
    while (from < to && (from = memchr(from, '\n', (size_t)(to - from))) != NULL) {
        count++;
        from++;
    }
    return count;
}

/* Index of the first delimiter or '\n' at or after i, or len. */
static size_t scan_plain(const char *buf, size_t i, size_t len, char delimiter)
{
    while (i < len && buf[i] != delimiter && buf[i] != '\n')
        i++;
    return i;
}

/* End of field content before a line break: drops the CR of a CRLF. */
static size_t trim_cr(const char *buf, size_t begin, size_t end)
{
    return (end > begin && buf[end - 1] == '\r') ? end - 1 : end;
}

typedef struct field_scan {
    csv_field field;
    size_t next;       /* index of the delimiter / '\n' / len after the field */
    uint32_t newlines; /* line breaks inside quotes */
} field_scan;

static csv_result scan_quoted(const char *buf, size_t i, size_t len, bool eof, char delimiter,
                              field_scan *out)
{
    size_t j = i + 1;
    bool escaped = false;
    for (;;) {
        const char *quote = memchr(buf + j, '"', len - j);
        if (quote == NULL)
            return eof ? CSV_UNTERMINATED : CSV_NEED_MORE;
        size_t k = (size_t)(quote - buf);
        out->newlines += count_newlines(buf + j, quote);
        if (k + 1 >= len && !eof)
            return CSV_NEED_MORE; /* cannot tell "" from a closing quote yet */
        if (k + 1 < len && buf[k + 1] == '"') {
            escaped = true;
            j = k + 2;
            continue;
        }
        size_t m = scan_plain(buf, k + 1, len, delimiter);
        if (m == len && !eof)
            return CSV_NEED_MORE;
        size_t end = (m < len) ? trim_cr(buf, k + 1, m) : m;
        if (end > k + 1 || escaped) {
            size_t raw_end = end > k + 1 ? end : k + 1;
            out->field = (csv_field){buf + i, (uint32_t)(raw_end - i), true};
        } else {
            out->field = (csv_field){buf + i + 1, (uint32_t)(k - i - 1), false};
        }
        out->next = m;
        return CSV_RECORD;
    }
}

static csv_result scan_field(const char *buf, size_t i, size_t len, bool eof, char delimiter,
                             field_scan *out)
{
    if (i < len && buf[i] == '"')
        return scan_quoted(buf, i, len, eof, delimiter, out);
    size_t m = scan_plain(buf, i, len, delimiter);
    if (m == len && !eof)
        return CSV_NEED_MORE;
    size_t end = trim_cr(buf, i, m);
    out->field = (csv_field){buf + i, (uint32_t)(end - i), false};
    out->next = m;
    return CSV_RECORD;
}

static void finish_record(csv_scanner *s, const char *buf, size_t start, size_t end, size_t len,
                          uint32_t count, uint32_t newlines, size_t *pos, csv_record *rec)
{
    rec->fields = s->fields;
    rec->count = count;
    rec->stored = count < CVO_MAX_COLUMNS ? count : CVO_MAX_COLUMNS;
    rec->raw = buf + start;
    rec->raw_len = trim_cr(buf, start, end) - start;
    rec->line = s->line;
    rec->ascii = false;
    s->line += 1 + newlines;
    *pos = end < len ? end + 1 : end;
}

/* The fast path for the common record without quotes: one pass over the
 * line finds its end, the delimiters, any quote (then the general scanner
 * takes over) and whether every byte is ASCII. */
typedef struct line_scan {
    const char *field;  /* start of the current field */
    uint32_t count;
    uint64_t high;      /* OR of all bytes: bit 7 set means non-ASCII */
} line_scan;

static void put_field(csv_scanner *s, uint32_t count, const char *p, const char *end)
{
    if (count < CVO_MAX_COLUMNS)
        s->fields[count] = (csv_field){p, (uint32_t)(end - p), false};
}

static void emit_delimiters(csv_scanner *s, line_scan *ls, const char *p, uint64_t bits)
{
    for (; bits != 0; bits &= bits - 1) {
        const char *d = p + __builtin_ctzll(bits);
        put_field(s, ls->count++, ls->field, d);
        ls->field = d + 1;
    }
}

#if defined(__SSE2__)
/* Bit i set where byte i of the 32 at p equals c. */
static uint32_t match32(__m128i lo, __m128i hi, __m128i c)
{
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, c)) |
           (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, c)) << 16;
}

/* 32 bytes at a time, as scan_block16 below; returns p where fewer than 32
 * bytes are left. */
static const char *scan_block32(csv_scanner *s, line_scan *ls, const char *p, const char *limit,
                                bool *quote)
{
    const __m128i quotes = _mm_set1_epi8('"'), newlines = _mm_set1_epi8('\n');
    const __m128i delimiters = _mm_set1_epi8(s->delimiter);
    for (; limit - p >= 32; p += 32) {
        __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
        uint32_t nl = match32(lo, hi, newlines), q = match32(lo, hi, quotes);
        uint32_t high = (uint32_t)_mm_movemask_epi8(lo) | (uint32_t)_mm_movemask_epi8(hi) << 16;
        uint32_t before = nl ? (nl & (0u - nl)) - 1u : 0xffffffffu;
        if (q & before) {
            *quote = true;
            return NULL;
        }
        ls->high |= (high & before) ? 0x80u : 0u;
        emit_delimiters(s, ls, p, match32(lo, hi, delimiters) & before);
        if (nl)
            return p + __builtin_ctz(nl);
    }
    return p;
}

/* 16 bytes at a time; returns the line end, or NULL after a quote (*quote)
 * or when no line end is within the buffer. */
static const char *scan_block16(csv_scanner *s, line_scan *ls, const char *p, const char *limit,
                                bool *quote)
{
    const __m128i quotes = _mm_set1_epi8('"'), newlines = _mm_set1_epi8('\n');
    const __m128i delimiters = _mm_set1_epi8(s->delimiter);
    const char *at = scan_block32(s, ls, p, limit, quote);
    if (at == NULL || (at < limit && *at == '\n'))
        return at;
    p = at;
    for (; limit - p >= 16; p += 16) {
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned nl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, newlines));
        unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, quotes));
        unsigned d = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, delimiters));
        unsigned hi = (unsigned)_mm_movemask_epi8(w);
        unsigned before = nl ? (nl & (0u - nl)) - 1u : 0xffffu;
        if (q & before) {
            *quote = true;
            return NULL;
        }
        ls->high |= (hi & before) ? 0x80u : 0u;
        emit_delimiters(s, ls, p, d & before);
        if (nl)
            return p + __builtin_ctz(nl);
    }
    return p; /* fewer than 16 bytes left: the caller finishes bytewise */
}
#endif

static const char *scan_bytes(csv_scanner *s, line_scan *ls, const char *p, const char *limit,
                              bool *quote)
{
    for (; p < limit && *p != '\n'; p++) {
        ls->high |= (unsigned char)*p;
        if (*p == '"') {
            *quote = true;
            return NULL;
        }
        if (*p == s->delimiter)
            emit_delimiters(s, ls, p, 1);
    }
    return p;
}

/* false when the line holds a quote or does not end in the buffer; *ls then
 * has the fields before the one where the scan stopped. */
static bool scan_unquoted_line(csv_scanner *s, const char *buf, size_t start, size_t len,
                               bool eof, size_t *pos, csv_record *rec, line_scan *ls)
{
    const char *line = buf + start, *limit = buf + len, *end = line;
    *ls = (line_scan){line, 0, 0};
    bool quote = false;
#if defined(__SSE2__)
    end = scan_block16(s, ls, line, limit, &quote);
    if (end == NULL)
        return false;
    if (end < limit && *end != '\n')
        end = scan_bytes(s, ls, end, limit, &quote);
#else
    end = scan_bytes(s, ls, line, limit, &quote);
#endif
    if (quote || (end == limit && !eof))
        return false;
    size_t stop = trim_cr(buf, start, (size_t)(end - buf));
    const char *last_end = buf + stop;
    put_field(s, ls->count++, ls->field, ls->field > last_end ? ls->field : last_end);
    finish_record(s, buf, start, (size_t)(end - buf), len, ls->count, 0, pos, rec);
    rec->ascii = (ls->high & 0x80u) == 0;
    return true;
}

static csv_result scan_delimited(csv_scanner *s, const char *buf, size_t start, size_t len,
                                 bool eof, size_t *pos, csv_record *rec)
{
    line_scan ls;
    if (scan_unquoted_line(s, buf, start, len, eof, pos, rec, &ls))
        return CSV_RECORD;
    /* The fields before the one where the fast scan stopped hold no quote and
     * no line break: they stand as the field scanner would find them, which
     * also drops a CR before a delimiter. It goes on from there. */
    uint32_t count = ls.count, newlines = 0;
    for (uint32_t k = 0; k < count && k < CVO_MAX_COLUMNS; k++)
        if (s->fields[k].len > 0 && s->fields[k].ptr[s->fields[k].len - 1] == '\r')
            s->fields[k].len--;
    size_t i = (size_t)(ls.field - buf);
    for (;;) {
        field_scan fs = {.newlines = 0};
        csv_result r = scan_field(buf, i, len, eof, s->delimiter, &fs);
        if (r != CSV_RECORD)
            return r;
        if (count < CVO_MAX_COLUMNS)
            s->fields[count] = fs.field;
        count++;
        newlines += fs.newlines;
        i = fs.next;
        if (i < len && buf[i] == s->delimiter) {
            i++;
            continue;
        }
        finish_record(s, buf, start, i, len, count, newlines, pos, rec);
        return CSV_RECORD;
    }
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static csv_result scan_whitespace(csv_scanner *s, const char *buf, size_t start, size_t len,
                                  bool eof, size_t *pos, csv_record *rec)
{
    const char *nl = memchr(buf + start, '\n', len - start);
    if (nl == NULL && !eof)
        return CSV_NEED_MORE;
    size_t end = nl ? (size_t)(nl - buf) : len;
    uint32_t count = 0;
    size_t i = start;
    for (;;) {
        while (i < end && is_blank(buf[i]))
            i++;
        if (i == end)
            break;
        size_t j = i;
        while (j < end && !is_blank(buf[j]))
            j++;
        if (count < CVO_MAX_COLUMNS)
            s->fields[count] = (csv_field){buf + i, (uint32_t)(j - i), false};
        count++;
        i = j;
    }
    finish_record(s, buf, start, end, len, count, 0, pos, rec);
    return CSV_RECORD;
}

/* A line holding only blanks (whitespace mode) or nothing (CSV) is skipped. */
static csv_result skip_blank_lines(csv_scanner *s, const char *buf, size_t len, size_t *pos,
                                   bool eof)
{
    for (;;) {
        size_t i = *pos;
        if (s->delimiter == ' ')
            while (i < len && is_blank(buf[i]))
                i++;
        else if (i < len && buf[i] == '\r')
            i++;
        if (i >= len)
            return eof ? CSV_END : CSV_NEED_MORE;
        if (buf[i] != '\n')
            return CSV_RECORD;
        s->line++;
        *pos = i + 1;
    }
}

csv_result csv_next(csv_scanner *scanner, const char *buf, size_t len, size_t *pos, bool eof,
                    csv_record *record)
{
    csv_result r = skip_blank_lines(scanner, buf, len, pos, eof);
    if (r != CSV_RECORD) {
        /* a lone trailing CR (or blanks) at eof is not a record */
        if (r == CSV_END)
            *pos = len;
        return r;
    }
    if (scanner->delimiter == ' ')
        return scan_whitespace(scanner, buf, *pos, len, eof, pos, record);
    return scan_delimited(scanner, buf, *pos, len, eof, pos, record);
}

size_t csv_unescape(const csv_field *field, char *out)
{
    const char *p = field->ptr, *end = field->ptr + field->len;
    size_t n = 0;
    bool quoted = false;
    if (p < end && *p == '"') {
        quoted = true;
        p++;
    }
    while (p < end) {
        if (quoted && *p == '"') {
            if (p + 1 < end && p[1] == '"') {
                out[n++] = '"';
                p += 2;
                continue;
            }
            quoted = false;
            p++;
            continue;
        }
        out[n++] = *p++;
    }
    return n;
}

char csv_sniff_delimiter(const char *line, size_t len)
{
    size_t comma = 0, semicolon = 0, tab = 0, words = 0;
    bool quoted = false, in_word = false;
    for (size_t i = 0; i < len && line[i] != '\n'; i++) {
        char c = line[i];
        if (c == '"')
            quoted = !quoted;
        if (quoted)
            continue;
        comma += c == ',';
        semicolon += c == ';';
        tab += c == '\t';
        bool blank = c == ' ' || c == '\r';
        if (!blank && !in_word)
            words++;
        in_word = !blank;
    }
    if (comma == 0 && semicolon == 0 && tab == 0)
        return words > 1 ? ' ' : ',';
    if (tab >= comma && tab >= semicolon)
        return '\t';
    return semicolon > comma ? ';' : ',';
}

size_t csv_quote(const char *text, size_t len, char *out)
{
    bool needs = len > 0 && (text[0] == ' ' || text[len - 1] == ' ');
    for (size_t i = 0; i < len && !needs; i++)
        needs = text[i] == ',' || text[i] == '"' || text[i] == '\r' || text[i] == '\n';
    if (!needs) {
        memcpy(out, text, len);
        return len;
    }
    size_t n = 0;
    out[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"')
            out[n++] = '"';
        out[n++] = text[i];
    }
    out[n++] = '"';
    return n;
}
