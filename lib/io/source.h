/* source.h - where order bytes come from: a plain file (read in parallel
 * ranges with pread), gzip (a file or a pipe) or stdin (read sequentially).
 * gzip is recognised by its magic bytes, not by the file name. */
#ifndef CVO_SOURCE_H
#define CVO_SOURCE_H

#include "base/ctx.h"
#include "io/progress.h"

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
/* The size of the file as stored (a gzip file's compressed size), 0 when
 * unknown (a pipe): what progress is measured against. */
uint64_t source_stored_size(const source *src);
/* Bytes read from now on count in p (NULL: none): what the descriptor gave,
 * compressed bytes for gzip. p must outlive the reads. */
void source_set_progress(source *src, progress *p);
/* Why the last sequential read failed ("gzip error: unexpected end of file"),
 * without the name; "read error" when not known. */
const char *source_error(const source *src);

/* Sequential read; returns bytes read, 0 at end, -1 on error (source_error). */
ssize_t source_read(source *src, char *buf, size_t cap);
/* Positional read of a seekable source; same returns. Safe from several threads. */
ssize_t source_pread(source *src, char *buf, size_t cap, uint64_t offset);

#endif
