/* cells.c - output cells: a buffer whose appends never fail (running out of
 * memory is sticky and reported at the flush), CSV cells that no spreadsheet
 * reads as a formula, and JSON values that are always valid (no NaN). */
#include "output/cells.h"

#include "base/ctx.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

/* ---- buffer --------------------------------------------------------------- */

void cell_buf_init(cell_buf *b, cvo_ctx *ctx)
{
    memset(b, 0, sizeof *b);
    b->ctx = ctx;
}

void cell_buf_free(cell_buf *b)
{
    mem_free(b->ctx, b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static bool cell_reserve(cell_buf *b, size_t more)
{
    if (b->nomem)
        return false;
    if (more <= b->cap - b->len)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) {
            b->nomem = true;
            return false;
        }
        cap *= 2;
    }
    char *data = mem_realloc(b->ctx, b->data, cap);
    if (data == NULL) {
        b->nomem = true;
        return false;
    }
    b->data = data;
    b->cap = cap;
    return true;
}

void cell_raw(cell_buf *b, const char *bytes, size_t len)
{
    if (len == 0 || !cell_reserve(b, len))
        return;
    memcpy(b->data + b->len, bytes, len);
    b->len += len;
}

void cell_str(cell_buf *b, const char *text)
{
    cell_raw(b, text, strlen(text));
}

void cell_char(cell_buf *b, char c)
{
    if (cell_reserve(b, 1))
        b->data[b->len++] = c;
}

cvo_status cell_status(cell_buf *b)
{
    return b->nomem ? ctx_nomem(b->ctx) : CVO_OK;
}

cvo_status cell_flush(cell_buf *b, FILE *out)
{
    CVO_TRY(cell_status(b));
    if (b->len > 0 && fwrite(b->data, 1, b->len, out) != b->len)
        return ctx_fail(b->ctx, CVO_ERR_WRITE, "write error: %s", strerror(errno));
    b->len = 0;
    return CVO_OK;
}

cvo_status cell_flush_some(cell_buf *b, FILE *out)
{
    return b->len > CELL_FLUSH_BYTES || b->nomem ? cell_flush(b, out) : CVO_OK;
}

cvo_status cell_finish(cell_buf *b, FILE *out, cvo_status status)
{
    if (status == CVO_OK)
        status = cell_flush(b, out);
    cell_buf_free(b);
    if (status == CVO_OK && (fflush(out) != 0 || ferror(out)))
        status = ctx_fail(b->ctx, CVO_ERR_WRITE, "write error: %s", strerror(errno));
    return status;
}

/* ---- formatting ------------------------------------------------------------- */

bool cell_is_formula(const char *text)
{
    return text[0] != '\0' && strchr("=+-@\t\r\n", text[0]) != NULL;
}

void cell_csv_text(cell_buf *b, const char *text)
{
    size_t len = strlen(text);
    bool formula = cell_is_formula(text);
    if (!formula && text[0] != ' ' && strpbrk(text, ",\"\r\n") == NULL) {
        cell_raw(b, text, len);
        return;
    }
    if (!cell_reserve(b, 2 * len + 3))
        return;
    char *p = b->data + b->len;
    *p++ = '"';
    if (formula)
        *p++ = '\'';
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"')
            *p++ = '"';
        *p++ = text[i];
    }
    *p++ = '"';
    b->len = (size_t)(p - b->data);
}

static void cell_unsigned(cell_buf *b, uint64_t value)
{
    char digits[20];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    cell_raw(b, digits + n, sizeof digits - n);
}

static uint64_t magnitude_of(int64_t value)
{
    return value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
}

void cell_int(cell_buf *b, int64_t value)
{
    if (value < 0)
        cell_char(b, '-');
    cell_unsigned(b, magnitude_of(value));
}

void cell_money(cell_buf *b, int64_t cents)
{
    uint64_t magnitude = magnitude_of(cents);
    char fraction[3] = {'.', (char)('0' + magnitude % 100 / 10), (char)('0' + magnitude % 10)};
    if (cents < 0)
        cell_char(b, '-');
    cell_unsigned(b, magnitude / 100);
    cell_raw(b, fraction, sizeof fraction);
}

/* Writes fraction as exactly digits decimals after a point, or less with trim. */
static void cell_fraction(cell_buf *b, uint64_t fraction, int digits, bool trim)
{
    while (trim && digits > 0 && fraction % 10 == 0) {
        fraction /= 10;
        digits--;
    }
    if (digits == 0)
        return;
    char text[10] = {'.'};
    for (int i = digits; i >= 1; i--) {
        text[i] = (char)('0' + fraction % 10);
        fraction /= 10;
    }
    cell_raw(b, text, (size_t)digits + 1);
}

void cell_fixed(cell_buf *b, double value, int decimals, bool trim)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (!isfinite(value) || decimals < 0 || decimals > 9)
        return;
    double scaled = value * scale[decimals];
    if (scaled > 9e18 || scaled < -9e18) {
        cell_json_number(b, value);
        return;
    }
    int64_t units = (int64_t)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
    uint64_t magnitude = magnitude_of(units);
    uint64_t base = (uint64_t)scale[decimals];
    if (units < 0)
        cell_char(b, '-');
    cell_unsigned(b, magnitude / base);
    cell_fraction(b, magnitude % base, decimals, trim);
}

void cell_day(cell_buf *b, int32_t day)
{
    if (day == INT32_MIN)
        return;
    char text[11];
    cvo_day_format(day, text);
    cell_raw(b, text, 10);
}

/* The escape of a byte that JSON does not allow raw, or NULL. */
static const char *json_escape(unsigned char c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return NULL;
    }
}

void cell_json_chars(cell_buf *b, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = text; /* start of the bytes not yet copied */
    for (const char *p = text;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        cell_raw(b, run, (size_t)(p - run));
        if (c == '\0')
            break;
        const char *escape = json_escape(c);
        char unicode[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (escape != NULL)
            cell_str(b, escape);
        else
            cell_raw(b, unicode, sizeof unicode);
        run = p + 1;
    }
}

void cell_json_string(cell_buf *b, const char *text)
{
    cell_char(b, '"');
    cell_json_chars(b, text);
    cell_char(b, '"');
}

void cell_json_number(cell_buf *b, double value)
{
    char text[32];
    int n = isfinite(value) ? snprintf(text, sizeof text, "%.10g", value) : -1;
    if (n <= 0 || (size_t)n >= sizeof text)
        cell_str(b, "null");
    else
        cell_raw(b, text, (size_t)n);
}

/* ---- typed values ----------------------------------------------------------- */

void cell_set_text(cell *c, const char *text)
{
    c->type = CELL_TEXT;
    c->text = text ? text : "";
}

void cell_set_format(cell *c, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(c->scratch, sizeof c->scratch, format, args);
    va_end(args);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof c->scratch ? (size_t)n : sizeof c->scratch - 1;
    if ((size_t)n != len) { /* cut: drop a character left incomplete */
        while (len > 0 && ((unsigned char)c->scratch[len - 1] & 0xC0) == 0x80)
            len--;
        if (len > 0 && ((unsigned char)c->scratch[len - 1] & 0xC0) == 0xC0)
            len--;
    }
    c->scratch[len] = '\0';
    cell_set_text(c, c->scratch);
}

void cell_set_int(cell *c, int64_t value)
{
    c->type = CELL_INT;
    c->integer = value;
}

void cell_set_money(cell *c, int64_t cents)
{
    c->type = CELL_MONEY;
    c->integer = cents;
}

void cell_set_real(cell *c, double value, int decimals)
{
    c->type = isfinite(value) ? CELL_REAL : CELL_EMPTY;
    c->real = value;
    c->decimals = decimals;
}

void cell_set_day(cell *c, int32_t day)
{
    c->type = day == INT32_MIN ? CELL_EMPTY : CELL_DAY;
    c->day = day;
}

void cell_set_bool(cell *c, bool value)
{
    c->type = CELL_BOOL;
    c->integer = value;
}

void cell_write_csv(cell_buf *b, const cell *c)
{
    switch (c->type) {
    case CELL_EMPTY: break;
    case CELL_TEXT: cell_csv_text(b, c->text); break;
    case CELL_INT: cell_int(b, c->integer); break;
    case CELL_MONEY: cell_money(b, c->integer); break;
    case CELL_REAL: cell_fixed(b, c->real, c->decimals, false); break;
    case CELL_DAY: cell_day(b, c->day); break;
    case CELL_BOOL: cell_str(b, c->integer ? "true" : "false"); break;
    }
}

void cell_write_json(cell_buf *b, const cell *c)
{
    switch (c->type) {
    case CELL_EMPTY: cell_str(b, "null"); break;
    case CELL_TEXT: cell_json_string(b, c->text); break;
    case CELL_INT: cell_int(b, c->integer); break;
    case CELL_MONEY: cell_money(b, c->integer); break;
    case CELL_REAL: cell_fixed(b, c->real, c->decimals, true); break;
    case CELL_DAY:
        cell_char(b, '"');
        cell_day(b, c->day);
        cell_char(b, '"');
        break;
    case CELL_BOOL: cell_str(b, c->integer ? "true" : "false"); break;
    }
}
