/* source.c - file, gzip and stdin input. The gzip and stdin paths are
 * sequential only; a plain file is also readable by offset from any thread. */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct source {
    cvo_ctx *ctx;
    const char *name;
    int fd;
    bool owns_fd;
    bool seekable;
    uint64_t size;
    gzFile gz;
    /* bytes read ahead to look for the gzip magic, replayed first */
    unsigned char peek[2];
    size_t peek_len;
    size_t peek_pos;
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

static cvo_status detect_gzip(source *src)
{
    struct stat st;
    bool regular = fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode);
    ssize_t n = regular ? pread(src->fd, src->peek, 2, 0) : read_fully(src->fd, src->peek, 2);
    if (n < 0)
        return ctx_fail(src->ctx, CVO_ERR_IO, "%s: cannot read: %s", src->name, strerror(errno));
    bool gzip = n == 2 && src->peek[0] == 0x1f && src->peek[1] == 0x8b;
    if (regular && !gzip) {
        src->seekable = true;
        src->size = (uint64_t)st.st_size;
        return CVO_OK;
    }
    src->peek_len = regular ? 0 : (size_t)n;
    if (!gzip)
        return CVO_OK;
    if (!regular)
        return ctx_fail(src->ctx, CVO_ERR_FORMAT,
                        "%s: gzip input must be a file (decompress a pipe with zcat)", src->name);
    src->gz = gzdopen(dup(src->fd), "rb");
    if (src->gz == NULL)
        return ctx_fail(src->ctx, CVO_ERR_IO, "%s: cannot open gzip stream", src->name);
    gzbuffer(src->gz, 1u << 17);
    return CVO_OK;
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
    if (src->gz != NULL)
        gzclose(src->gz);
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

const char *source_name(const source *src)
{
    return src->name;
}

static ssize_t read_gzip(source *src, char *buf, size_t cap)
{
    unsigned chunk = cap > (1u << 30) ? (1u << 30) : (unsigned)cap;
    int n = gzread(src->gz, buf, chunk);
    if (n < 0) {
        int code = 0;
        const char *why = gzerror(src->gz, &code);
        ctx_fail(src->ctx, CVO_ERR_IO, "%s: gzip error: %s", src->name, why);
        return -1;
    }
    return n;
}

ssize_t source_read(source *src, char *buf, size_t cap)
{
    if (cap == 0)
        return 0;
    if (src->peek_pos < src->peek_len) {
        buf[0] = (char)src->peek[src->peek_pos++];
        return 1;
    }
    if (src->gz != NULL)
        return read_gzip(src, buf, cap);
    for (;;) {
        ssize_t n = read(src->fd, buf, cap);
        if (n >= 0)
            return n;
        if (errno != EINTR) {
            ctx_fail(src->ctx, CVO_ERR_IO, "%s: cannot read: %s", src->name, strerror(errno));
            return -1;
        }
    }
}

ssize_t source_pread(source *src, char *buf, size_t cap, uint64_t offset)
{
    for (;;) {
        ssize_t n = pread(src->fd, buf, cap, (off_t)offset);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}
