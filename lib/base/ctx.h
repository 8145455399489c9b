/* ctx.h - the context every library object is made in: the allocator and the
 * message of the last failure. Also the error-propagation macros. */
#ifndef CVO_CTX_H
#define CVO_CTX_H

#include "cvo.h"

#include <stdarg.h>

#define CVO_MESSAGE_BYTES 1024

struct cvo_ctx {
    cvo_allocator allocator;
    char message[CVO_MESSAGE_BYTES];
};

/* Return early with the status of a failing call. */
#define CVO_TRY(call)                   \
    do {                                \
        cvo_status try_status_ = (call); \
        if (try_status_ != CVO_OK)      \
            return try_status_;         \
    } while (0)

#if defined(__GNUC__)
#define CVO_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define CVO_MUST_USE __attribute__((warn_unused_result))
#else
#define CVO_PRINTF(fmt, args)
#define CVO_MUST_USE
#endif

/* Allocation through the context's allocator. mem_array checks n * size for
 * overflow; all return NULL on failure without touching the message. */
void *mem_alloc(cvo_ctx *ctx, size_t size);
void *mem_array(cvo_ctx *ctx, size_t n, size_t size);
void *mem_zarray(cvo_ctx *ctx, size_t n, size_t size);
void *mem_realloc(cvo_ctx *ctx, void *ptr, size_t size);
void mem_free(cvo_ctx *ctx, void *ptr);
char *mem_strndup(cvo_ctx *ctx, const char *text, size_t len);

/* Records a formatted message on ctx and returns status, so that a failing
 * path reads: return ctx_fail(ctx, CVO_ERR_FORMAT, "%s:%llu: ...", ...); */
cvo_status ctx_fail(cvo_ctx *ctx, cvo_status status, const char *format, ...) CVO_PRINTF(3, 4);
cvo_status ctx_vfail(cvo_ctx *ctx, cvo_status status, const char *format, va_list args)
    CVO_PRINTF(3, 0);
/* Shorthand for running out of memory. */
cvo_status ctx_nomem(cvo_ctx *ctx);

#endif
