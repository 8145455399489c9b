/* test_source.c - io/source over pipes and files: gzip from a pipe (the bytes
 * that showed the magic are inflated too), read in tiny and large pieces,
 * concatenated members, a truncated stream, data after the end, a corrupt
 * stream, and what each counts as read for progress. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <zlib.h>

#include "io/source.h"

/* ---- input: text, and its gzip members ------------------------------------------- */

static char *make_text(size_t lines, size_t *len)
{
    char *text = malloc(lines * 64 + 1);
    assert_non_null(text);
    size_t n = 0;
    for (size_t i = 0; i < lines; i++)
        n += (size_t)snprintf(text + n, 64, "%zu,C%05zu,2024-01-%02zu,%zu.99\n", i, i % 997,
                              i % 28 + 1, i % 100);
    *len = n;
    return text;
}

/* Appends the gzip member of text to buf (grown with realloc). */
static void gzip_append(unsigned char **buf, size_t *len, const char *text, size_t text_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    size_t cap = deflateBound(&z, (uLong)text_len);
    *buf = realloc(*buf, *len + cap);
    assert_non_null(*buf);
    z.next_in = (unsigned char *)text;
    z.avail_in = (uInt)text_len;
    z.next_out = *buf + *len;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *len += cap - z.avail_out;
    deflateEnd(&z);
}

/* A text and its gzip stream (one member). */
typedef struct sample {
    char *text;
    size_t text_len;
    unsigned char *gz;
    size_t gz_len;
} sample;

static void sample_make(sample *s, size_t lines)
{
    s->text = make_text(lines, &s->text_len);
    s->gz = NULL;
    s->gz_len = 0;
    gzip_append(&s->gz, &s->gz_len, s->text, s->text_len);
}

static void sample_free(sample *s)
{
    free(s->gz);
    free(s->text);
}

/* ---- a pipe fed by a thread, opened by path as a non-regular file --------------------- */

typedef struct feeder {
    int write_fd, read_fd;
    const unsigned char *data;
    size_t len;
    pthread_t thread;
    char path[32];
} feeder;

static void *feed(void *arg)
{
    feeder *f = arg;
    for (size_t done = 0; done < f->len;) {
        ssize_t n = write(f->write_fd, f->data + done, f->len - done);
        if (n <= 0)
            break; /* the reader stopped early: EPIPE */
        done += (size_t)n;
    }
    close(f->write_fd);
    return NULL;
}

static void feeder_start(feeder *f, const unsigned char *data, size_t len)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    f->read_fd = fds[0];
    f->write_fd = fds[1];
    f->data = data;
    f->len = len;
    snprintf(f->path, sizeof f->path, "/dev/fd/%d", fds[0]);
    assert_int_equal(pthread_create(&f->thread, NULL, feed, f), 0);
}

static void feeder_stop(feeder *f)
{
    close(f->read_fd);
    pthread_join(f->thread, NULL);
}

/* Reads the whole source in pieces of cap bytes; -1 on error, else the length. */
static ssize_t read_all(source *src, char *out, size_t out_cap, size_t cap)
{
    size_t got = 0;
    for (;;) {
        size_t want = cap < out_cap - got ? cap : out_cap - got;
        ssize_t n = source_read(src, out + got, want);
        if (n < 0)
            return -1;
        if (n == 0)
            return (ssize_t)got;
        got += (size_t)n;
        assert_true(got < out_cap);
    }
}

typedef struct piped {
    cvo_ctx *ctx;
    source *src;
    feeder feeder;
    progress counted;
    uint64_t calls, last_done, last_total;
    char *out;
    ssize_t len;
} piped;

static void on_progress(void *user_data, uint64_t done, uint64_t total)
{
    piped *p = user_data;
    assert_true(done >= p->last_done);
    p->calls++;
    p->last_done = done;
    p->last_total = total;
}

static void pipe_read(piped *p, const unsigned char *data, size_t len, size_t cap, size_t out_cap)
{
    memset(p, 0, sizeof *p);
    assert_int_equal(cvo_ctx_new(&p->ctx, NULL), CVO_OK);
    feeder_start(&p->feeder, data, len);
    assert_int_equal(source_open(p->ctx, p->feeder.path, "pipe", &p->src), CVO_OK);
    assert_false(source_seekable(p->src));
    assert_int_equal(source_stored_size(p->src), 0);
    progress_init(&p->counted, on_progress, p, 0);
    source_set_progress(p->src, &p->counted);
    p->out = malloc(out_cap);
    assert_non_null(p->out);
    p->len = read_all(p->src, p->out, out_cap, cap);
}

static void piped_free(piped *p)
{
    source_close(p->src);
    feeder_stop(&p->feeder);
    progress_destroy(&p->counted);
    free(p->out);
    cvo_ctx_free(p->ctx);
}

/* ---- tests ------------------------------------------------------------------------ */

static void gzip_pipe_equals_text_whatever_the_read_size(void **state)
{
    (void)state;
    sample in;
    sample_make(&in, 200000); /* ~6 MB, over 1 MB compressed */
    static const size_t caps[] = {1, 7, 4096, 4 << 20};
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
        piped p;
        pipe_read(&p, in.gz, in.gz_len, caps[i], in.text_len + 1);
        if (p.len != (ssize_t)in.text_len || memcmp(p.out, in.text, in.text_len) != 0)
            fail_msg("read size %zu: %zd bytes, want %zu", caps[i], p.len, in.text_len);
        /* progress counts compressed bytes (all but the two of the magic), one call
         * per step at most, and the end */
        assert_true(p.calls <= (in.gz_len - 2) / CVO_PROGRESS_STEP);
        progress_finish(&p.counted);
        assert_int_equal(p.last_done, in.gz_len - 2);
        assert_int_equal(p.last_total, 0);
        piped_free(&p);
    }
    sample_free(&in);
}

static void plain_pipe_is_passed_through(void **state)
{
    (void)state;
    size_t text_len;
    char *text = make_text(1000, &text_len);
    piped p;
    pipe_read(&p, (unsigned char *)text, text_len, 1000, text_len + 1);
    assert_int_equal(p.len, (ssize_t)text_len);
    assert_memory_equal(p.out, text, text_len);
    piped_free(&p);
    free(text);
}

static void gzip_members_are_concatenated(void **state)
{
    (void)state;
    size_t text_len;
    char *text = make_text(5000, &text_len);
    unsigned char *gz = NULL;
    size_t gz_len = 0;
    size_t cut = text_len / 3;
    gzip_append(&gz, &gz_len, text, cut);
    gzip_append(&gz, &gz_len, text + cut, 0); /* an empty member too */
    gzip_append(&gz, &gz_len, text + cut, text_len - cut);
    piped p;
    pipe_read(&p, gz, gz_len, 333, text_len + 1);
    assert_int_equal(p.len, (ssize_t)text_len);
    assert_memory_equal(p.out, text, text_len);
    piped_free(&p);
    free(gz);
    free(text);
}

static void expect_gzip_error(const unsigned char *gz, size_t gz_len, size_t out_cap,
                              const char *why)
{
    piped p;
    pipe_read(&p, gz, gz_len, 4096, out_cap);
    assert_int_equal(p.len, -1);
    assert_string_equal(source_error(p.src), why);
    piped_free(&p);
}

static void gzip_errors_are_said(void **state)
{
    (void)state;
    sample in;
    sample_make(&in, 2000);
    size_t out_cap = in.text_len + 1;
    expect_gzip_error(in.gz, in.gz_len - 8, out_cap, "gzip error: unexpected end of file");
    expect_gzip_error(in.gz, 10, out_cap, "gzip error: unexpected end of file");
    unsigned char *more = malloc(in.gz_len + 5);
    assert_non_null(more);
    memcpy(more, in.gz, in.gz_len);
    memcpy(more + in.gz_len, "junk\n", 5);
    expect_gzip_error(more, in.gz_len + 5, out_cap, "gzip error: data after the end of the stream");
    expect_gzip_error(more, in.gz_len + 1, out_cap, "gzip error: data after the end of the stream");
    memcpy(more, in.gz, in.gz_len);
    more[in.gz_len - 6] ^= 0x55; /* the CRC in the trailer */
    expect_gzip_error(more, in.gz_len, out_cap, "gzip error: incorrect data check");
    memcpy(more, in.gz, in.gz_len);
    more[in.gz_len - 2] ^= 0x55; /* the length in the trailer */
    expect_gzip_error(more, in.gz_len, out_cap, "gzip error: incorrect length check");
    free(more);
    sample_free(&in);
}

static void gzip_file_size_is_the_stored_size(void **state)
{
    (void)state;
    sample in;
    sample_make(&in, 3000);
    char path[] = "/tmp/cvo-test-source-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in.gz, in.gz_len), (ssize_t)in.gz_len);
    close(fd);
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    source *src = NULL;
    assert_int_equal(source_open(ctx, path, path, &src), CVO_OK);
    assert_false(source_seekable(src));
    assert_int_equal(source_stored_size(src), in.gz_len);
    char *out = malloc(in.text_len + 1);
    assert_non_null(out);
    assert_int_equal(read_all(src, out, in.text_len + 1, 1 << 16), (ssize_t)in.text_len);
    assert_memory_equal(out, in.text, in.text_len);
    free(out);
    source_close(src);
    cvo_ctx_free(ctx);
    unlink(path);
    sample_free(&in);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* a feeder whose reader stopped early */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gzip_pipe_equals_text_whatever_the_read_size),
        cmocka_unit_test(plain_pipe_is_passed_through),
        cmocka_unit_test(gzip_members_are_concatenated),
        cmocka_unit_test(gzip_errors_are_said),
        cmocka_unit_test(gzip_file_size_is_the_stored_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
