/* outbuf.c - buffered output for the generator: rows are formatted by hand
 * into one large buffer and written with fwrite, never fprintf per field.
 * Invariant: len <= cap; a write error is reported once, as CVO_ERR_WRITE. */
#include "outbuf.h"

#include <errno.h>
#include <string.h>

#define OUTBUF_BYTES (1u << 20)

cvo_status outbuf_open(outbuf *out, cvo_ctx *ctx, FILE *file, const char *name)
{
    out->file = file;
    out->name = name;
    out->data = NULL;
    out->len = 0;
    out->cap = 0;
    if (file == NULL)
        return CVO_OK;
    out->data = mem_alloc(ctx, OUTBUF_BYTES);
    if (out->data == NULL)
        return ctx_nomem(ctx);
    out->cap = OUTBUF_BYTES;
    return CVO_OK;
}

static cvo_status write_out(outbuf *out, cvo_ctx *ctx)
{
    if (out->len > 0 && fwrite(out->data, 1, out->len, out->file) != out->len)
        return ctx_fail(ctx, CVO_ERR_WRITE, "generate: cannot write the %s stream: %s", out->name,
                        strerror(errno));
    out->len = 0;
    return CVO_OK;
}

cvo_status outbuf_reserve(outbuf *out, cvo_ctx *ctx, size_t need)
{
    if (out->cap - out->len >= need)
        return CVO_OK;
    return write_out(out, ctx);
}

cvo_status outbuf_finish(outbuf *out, cvo_ctx *ctx)
{
    if (out->file == NULL)
        return CVO_OK;
    CVO_TRY(write_out(out, ctx));
    if (fflush(out->file) != 0 || ferror(out->file))
        return ctx_fail(ctx, CVO_ERR_WRITE, "generate: cannot write the %s stream: %s", out->name,
                        strerror(errno));
    return CVO_OK;
}

void outbuf_close(outbuf *out, cvo_ctx *ctx)
{
    mem_free(ctx, out->data);
    out->data = NULL;
    out->len = out->cap = 0;
}

void outbuf_uint(outbuf *out, uint64_t value, int width)
{
    int count = 1;
    for (uint64_t rest = value / 10; rest != 0; rest /= 10)
        count++;
    if (count < width)
        count = width;
    char *dst = out->data + out->len;
    for (int i = count - 1; i >= 0; i--) {
        dst[i] = (char)('0' + value % 10);
        value /= 10;
    }
    out->len += (size_t)count;
}

void outbuf_cents(outbuf *out, uint64_t cents)
{
    outbuf_uint(out, cents / 100, 1);
    char *dst = out->data + out->len;
    dst[0] = '.';
    dst[1] = (char)('0' + cents / 10 % 10);
    dst[2] = (char)('0' + cents % 10);
    out->len += 3;
}

void outbuf_csv(outbuf *out, const char *text)
{
    size_t len = strlen(text);
    if (strpbrk(text, ",\"\r\n") == NULL) {
        outbuf_bytes(out, text, len);
        return;
    }
    outbuf_char(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"')
            outbuf_char(out, '"');
        outbuf_char(out, text[i]);
    }
    outbuf_char(out, '"');
}
