/* ctx.c - contexts, allocation through the pluggable allocator, status text. */
#include "ctx.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *libc_alloc(void *user_data, size_t size)
{
    (void)user_data;
    return malloc(size);
}

static void *libc_realloc(void *user_data, void *ptr, size_t size)
{
    (void)user_data;
    return realloc(ptr, size);
}

static void libc_free(void *user_data, void *ptr)
{
    (void)user_data;
    free(ptr);
}

const char *cvo_version(void)
{
    return CVO_VERSION;
}

cvo_status cvo_ctx_new(cvo_ctx **out, const cvo_allocator *allocator)
{
    cvo_allocator chosen = {libc_alloc, libc_realloc, libc_free, NULL};
    if (out == NULL)
        return CVO_ERR_ARGUMENT;
    *out = NULL;
    if (allocator != NULL) {
        if (!allocator->alloc || !allocator->realloc || !allocator->free)
            return CVO_ERR_ARGUMENT;
        chosen = *allocator;
    }
    cvo_ctx *ctx = chosen.alloc(chosen.user_data, sizeof *ctx);
    if (ctx == NULL)
        return CVO_ERR_NOMEM;
    ctx->allocator = chosen;
    ctx->message[0] = '\0';
    /* GSL's default handler aborts; the library must never abort. Turning it
     * off is process-wide, but idempotent and the only setting cvo ever uses. */
    gsl_set_error_handler_off();
    *out = ctx;
    return CVO_OK;
}

void cvo_ctx_free(cvo_ctx *ctx)
{
    if (ctx != NULL)
        ctx->allocator.free(ctx->allocator.user_data, ctx);
}

const char *cvo_ctx_message(const cvo_ctx *ctx)
{
    return ctx ? ctx->message : "";
}

const char *cvo_strerror(cvo_status status)
{
    switch (status) {
    case CVO_OK: return "success";
    case CVO_ERR_NOMEM: return "out of memory";
    case CVO_ERR_IO: return "input/output error";
    case CVO_ERR_FORMAT: return "unusable input";
    case CVO_ERR_ARGUMENT: return "invalid argument";
    case CVO_ERR_LIMIT: return "limit reached";
    case CVO_ERR_EMPTY: return "no usable records";
    case CVO_ERR_CONFIG: return "invalid configuration";
    case CVO_ERR_INTERNAL: return "internal error";
    case CVO_ERR_WRITE: return "cannot write output";
    case CVO_ERR_REFUSED: return "refused by a safety check";
    case CVO_ERR_REMOTE: return "remote service failed";
    }
    return "unknown status";
}

void *mem_alloc(cvo_ctx *ctx, size_t size)
{
    return ctx->allocator.alloc(ctx->allocator.user_data, size ? size : 1);
}

void *mem_array(cvo_ctx *ctx, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return mem_alloc(ctx, n * size);
}

void *mem_zarray(cvo_ctx *ctx, size_t n, size_t size)
{
    void *ptr = mem_array(ctx, n, size);
    if (ptr != NULL)
        memset(ptr, 0, n * size);
    return ptr;
}

void *mem_realloc(cvo_ctx *ctx, void *ptr, size_t size)
{
    if (ptr == NULL)
        return mem_alloc(ctx, size);
    return ctx->allocator.realloc(ctx->allocator.user_data, ptr, size ? size : 1);
}

void mem_free(cvo_ctx *ctx, void *ptr)
{
    if (ptr != NULL)
        ctx->allocator.free(ctx->allocator.user_data, ptr);
}

char *mem_strndup(cvo_ctx *ctx, const char *text, size_t len)
{
    char *copy = mem_alloc(ctx, len + 1);
    if (copy != NULL) {
        memcpy(copy, text, len);
        copy[len] = '\0';
    }
    return copy;
}

cvo_status ctx_vfail(cvo_ctx *ctx, cvo_status status, const char *format, va_list args)
{
    if (ctx != NULL)
        vsnprintf(ctx->message, sizeof ctx->message, format, args);
    return status;
}

cvo_status ctx_fail(cvo_ctx *ctx, cvo_status status, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    ctx_vfail(ctx, status, format, args);
    va_end(args);
    return status;
}

cvo_status ctx_nomem(cvo_ctx *ctx)
{
    return ctx_fail(ctx, CVO_ERR_NOMEM, "out of memory");
}
