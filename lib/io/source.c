/* source.c - file, gzip and stdin input. gzip is inflated here with zlib's
 * stream interface, so a pipe works as well as a file: the bytes read to look
 * for the magic are fed to the inflater first. The gzip and stdin paths are
 * sequential only; a plain file is also readable by offset from any thread. */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

enum { GZIP_INPUT_BYTES = 1 << 17 };

struct source {
    cvo_ctx *ctx;
    const char *name;
    int fd;
    bool owns_fd;
    bool seekable;
    uint64_t size;        /* of a seekable file */
    uint64_t stored_size; /* of the file as stored (a gzip file's compressed size); 0 unknown */
    progress *progress;
    /* gzip: compressed bytes in `in`, inflated by `z` */
    bool gzip;
    bool gzip_end; /* the last member ended and nothing follows */
    bool in_eof;
    z_stream z;
    unsigned char *in;
    /* bytes read ahead to look for the gzip magic, replayed first */
    unsigned char peek[2];
    size_t peek_len;
    size_t peek_pos;
    char error[160]; /* why the last sequential read failed */
};

static cvo_status open_fd(cvo_ctx *ctx, const char *path, const char *name, int *fd)
{
    if (strcmp(path, "-") == 0) {
        *fd = STDIN_FILENO;
        return CVO_OK;
    }
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return ctx_fail(ctx, CVO_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
    return CVO_OK;
}

static ssize_t read_fully(int fd, unsigned char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* zlib allocates through the context's allocator. */
static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    return mem_array(opaque, items, size);
}

static void zlib_free(voidpf opaque, voidpf ptr)
{
    mem_free(opaque, ptr);
}

static cvo_status gzip_start(source *src)
{
    src->in = mem_alloc(src->ctx, GZIP_INPUT_BYTES);
    if (src->in == NULL)
        return ctx_nomem(src->ctx);
    src->z.zalloc = zlib_alloc;
    src->z.zfree = zlib_free;
    src->z.opaque = src->ctx;
    src->z.next_in = src->in;
    src->z.avail_in = 0;
    /* 16 + MAX_WBITS: a gzip wrapper, not zlib's own or raw deflate */
    if (inflateInit2(&src->z, 16 + MAX_WBITS) != Z_OK) {
        mem_free(src->ctx, src->in);
        src->in = NULL;
        return ctx_nomem(src->ctx);
    }
    src->gzip = true;
    return CVO_OK;
}

static cvo_status detect_gzip(source *src)
{
    struct stat st;
    bool regular = fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode);
    ssize_t n = regular ? pread(src->fd, src->peek, 2, 0) : read_fully(src->fd, src->peek, 2);
    if (n < 0)
        return ctx_fail(src->ctx, CVO_ERR_IO, "%s: cannot read: %s", src->name, strerror(errno));
    bool gzip = n == 2 && src->peek[0] == 0x1f && src->peek[1] == 0x8b;
    src->stored_size = regular ? (uint64_t)st.st_size : 0;
    if (regular && !gzip) {
        src->seekable = true;
        src->size = (uint64_t)st.st_size;
        return CVO_OK;
    }
    src->peek_len = regular ? 0 : (size_t)n;
    return gzip ? gzip_start(src) : CVO_OK;
}

cvo_status source_open(cvo_ctx *ctx, const char *path, const char *name, source **out)
{
    *out = NULL;
    source *src = mem_alloc(ctx, sizeof *src);
    if (src == NULL)
        return ctx_nomem(ctx);
    memset(src, 0, sizeof *src);
    src->ctx = ctx;
    src->name = name;
    cvo_status status = open_fd(ctx, path, name, &src->fd);
    if (status == CVO_OK) {
        src->owns_fd = src->fd != STDIN_FILENO;
        status = detect_gzip(src);
    }
    if (status != CVO_OK) {
        source_close(src);
        return status;
    }
    *out = src;
    return CVO_OK;
}

void source_close(source *src)
{
    if (src == NULL)
        return;
    if (src->gzip)
        inflateEnd(&src->z);
    mem_free(src->ctx, src->in);
    if (src->owns_fd && src->fd >= 0)
        close(src->fd);
    mem_free(src->ctx, src);
}

bool source_seekable(const source *src)
{
    return src->seekable;
}

uint64_t source_size(const source *src)
{
    return src->size;
}

uint64_t source_stored_size(const source *src)
{
    return src->stored_size;
}

const char *source_name(const source *src)
{
    return src->name;
}

const char *source_error(const source *src)
{
    return src->error[0] ? src->error : "read error";
}

void source_set_progress(source *src, progress *p)
{
    src->progress = p;
}

/* Reads from the descriptor, the bytes read ahead first; counts them as read. */
static ssize_t read_raw(source *src, char *buf, size_t cap)
{
    if (src->peek_pos < src->peek_len) {
        size_t n = 0;
        while (n < cap && src->peek_pos < src->peek_len)
            buf[n++] = (char)src->peek[src->peek_pos++];
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t n = read(src->fd, buf, cap);
        if (n >= 0) {
            progress_add(src->progress, (uint64_t)n);
            return n;
        }
        if (errno != EINTR) {
            snprintf(src->error, sizeof src->error, "cannot read: %s", strerror(errno));
            return -1;
        }
    }
}

/* Adds compressed bytes after those not yet inflated; false on a read error. */
static bool gzip_refill(source *src)
{
    if (src->in_eof)
        return true;
    if (src->z.avail_in > 0 && src->z.next_in != src->in)
        memmove(src->in, src->z.next_in, src->z.avail_in);
    src->z.next_in = src->in;
    ssize_t n = read_raw(src, (char *)src->in + src->z.avail_in,
                         GZIP_INPUT_BYTES - src->z.avail_in);
    if (n < 0)
        return false;
    if (n == 0)
        src->in_eof = true;
    src->z.avail_in += (uInt)n;
    return true;
}

/* At the end of a member: another member follows (as gzip(1) writes for
 * concatenated files), or the input ends. Anything else is an error, not
 * silently ignored. -1 on error, else 0. */
static int gzip_next_member(source *src)
{
    while (src->z.avail_in < 2 && !src->in_eof)
        if (!gzip_refill(src))
            return -1;
    if (src->z.avail_in == 0) {
        src->gzip_end = true;
        return 0;
    }
    if (src->z.avail_in < 2 || src->z.next_in[0] != 0x1f || src->z.next_in[1] != 0x8b) {
        snprintf(src->error, sizeof src->error, "gzip error: data after the end of the stream");
        return -1;
    }
    inflateReset(&src->z);
    return 0;
}

static ssize_t read_gzip(source *src, char *buf, size_t cap)
{
    uInt want = cap > (1u << 30) ? (1u << 30) : (uInt)cap;
    src->z.next_out = (unsigned char *)buf;
    src->z.avail_out = want;
    while (src->z.avail_out == want && !src->gzip_end) {
        if (src->z.avail_in == 0 && !gzip_refill(src))
            return -1;
        int rc = inflate(&src->z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            if (gzip_next_member(src) < 0)
                return -1;
        } else if (rc == Z_BUF_ERROR && src->z.avail_in == 0 && src->in_eof) {
            snprintf(src->error, sizeof src->error, "gzip error: unexpected end of file");
            return -1;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(src->error, sizeof src->error, "gzip error: %s",
                     rc == Z_MEM_ERROR ? "out of memory" : src->z.msg ? src->z.msg : "bad data");
            return -1;
        }
    }
    return (ssize_t)(want - src->z.avail_out);
}

ssize_t source_read(source *src, char *buf, size_t cap)
{
    if (cap == 0)
        return 0;
    if (src->gzip)
        return read_gzip(src, buf, cap);
    return read_raw(src, buf, cap);
}

ssize_t source_pread(source *src, char *buf, size_t cap, uint64_t offset)
{
    for (;;) {
        ssize_t n = pread(src->fd, buf, cap, (off_t)offset);
        if (n >= 0)
            progress_add(src->progress, (uint64_t)n);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}
