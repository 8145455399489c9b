/* source.h - where order bytes come from: a plain file (read in parallel
 * ranges with pread), a gzip file, or stdin (read sequentially). gzip is
 * recognised by its magic bytes, not by the file name. */
#ifndef CVO_SOURCE_H
#define CVO_SOURCE_H

#include "base/ctx.h"

#include <stdint.h>
#include <sys/types.h>

typedef struct source source;

/* path "-" is stdin. Errors: CVO_ERR_IO (message names the file), CVO_ERR_NOMEM. */
cvo_status source_open(cvo_ctx *ctx, const char *path, const char *name, source **out);
void source_close(source *src);

/* True for a plain regular file: pread at any offset works and size is known. */
bool source_seekable(const source *src);
uint64_t source_size(const source *src);
const char *source_name(const source *src);

/* Sequential read; returns bytes read, 0 at end, -1 on error (message on ctx). */
ssize_t source_read(source *src, char *buf, size_t cap);
/* Positional read of a seekable source; same returns. Safe from several threads. */
ssize_t source_pread(source *src, char *buf, size_t cap, uint64_t offset);

#endif
