/* outbuf.h - a large output buffer over a FILE*, with the few appenders the
 * generator needs (digits, cents, RFC 4180 fields). Appenders never check for
 * room: callers reserve the most a row can take first, then append freely. */
#ifndef CVO_OUTBUF_H
#define CVO_OUTBUF_H

#include "base/ctx.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct outbuf {
    FILE *file;       /* NULL: the stream is skipped and nothing is buffered */
    const char *name; /* "orders", for messages */
    char *data;
    size_t len, cap;
} outbuf;

/* Allocates the buffer when file is not NULL. Errors: CVO_ERR_NOMEM. */
cvo_status outbuf_open(outbuf *out, cvo_ctx *ctx, FILE *file, const char *name) CVO_MUST_USE;
/* Makes room for need bytes, writing out what is buffered. Errors: CVO_ERR_WRITE. */
cvo_status outbuf_reserve(outbuf *out, cvo_ctx *ctx, size_t need) CVO_MUST_USE;
/* Writes the rest and flushes the stream. Errors: CVO_ERR_WRITE. */
cvo_status outbuf_finish(outbuf *out, cvo_ctx *ctx) CVO_MUST_USE;
void outbuf_close(outbuf *out, cvo_ctx *ctx);

static inline void outbuf_char(outbuf *out, char c)
{
    out->data[out->len++] = c;
}

static inline void outbuf_bytes(outbuf *out, const char *bytes, size_t len)
{
    memcpy(out->data + out->len, bytes, len);
    out->len += len;
}

static inline void outbuf_str(outbuf *out, const char *text)
{
    outbuf_bytes(out, text, strlen(text));
}

/* Decimal digits of value, left-padded with zeros to at least width. */
void outbuf_uint(outbuf *out, uint64_t value, int width);
/* Non-negative cents as "12.50". */
void outbuf_cents(outbuf *out, uint64_t cents);
/* A CSV field: quoted (quotes doubled) when it holds , " CR or LF. At most
 * 2 * strlen(text) + 2 bytes. */
void outbuf_csv(outbuf *out, const char *text);

#endif
