/* test_outdir.c - the output directory of cvo analyze: a run is written into
 * its own directory and published by switching the DIR link; one run at a
 * time (the lock); the published run and the one before it are kept, runs
 * never published are removed; a real directory left by an older cvo is
 * swapped out whole; links cvo did not make and paths naming no directory are
 * refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cvo.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    cvo_ctx *ctx;
    char root[64], out[128], runs[160];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    snprintf(f->root, sizeof f->root, "/tmp/cvo_test_outdir_XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->out, sizeof f->out, "%s/sub/out", f->root);
    snprintf(f->runs, sizeof f->runs, "%s/sub/.out.cvo/runs", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s'", f->root);
    assert_int_equal(system(command), 0);
    cvo_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + NAME_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    assert_int_equal(fclose(out), 0);
}

static void read_file(const char *dir, const char *name, char *text, size_t size)
{
    char path[PATH_MAX + NAME_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *in = fopen(path, "r");
    text[0] = '\0';
    if (in == NULL)
        return;
    size_t n = fread(text, 1, size - 1, in);
    text[n] = '\0';
    fclose(in);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* One complete run writing text into DIR/file.txt; the run id into id. */
static void run_once(fixture *f, const char *text, char *id, size_t size)
{
    cvo_outdir *o = NULL;
    if (cvo_outdir_open(f->ctx, f->out, 86400 * 20000 + 3723, &o) != CVO_OK)
        fail_msg("open: %s", cvo_ctx_message(f->ctx));
    write_file(cvo_outdir_run_path(o), "file.txt", text);
    if (id != NULL)
        snprintf(id, size, "%s", cvo_outdir_run_id(o));
    assert_int_equal(cvo_outdir_publish(o, true), CVO_OK);
    cvo_outdir_free(o);
}

static void test_publish_switches_the_link(void **state)
{
    fixture *f = *state;
    cvo_outdir *o = NULL;
    assert_int_equal(cvo_outdir_open(f->ctx, f->out, 86400 * 20000 + 3723, &o), CVO_OK);
    assert_non_null(strstr(cvo_outdir_run_id(o), "20241004T010203Z-"));
    write_file(cvo_outdir_run_path(o), "file.txt", "one");
    assert_false(exists(f->out)); /* nothing to see before the publish */
    assert_int_equal(cvo_outdir_publish(o, false), CVO_OK);
    assert_int_equal(cvo_outdir_publish(o, false), CVO_ERR_ARGUMENT);
    char text[16], target[PATH_MAX];
    read_file(f->out, "file.txt", text, sizeof text);
    assert_string_equal(text, "one");
    ssize_t n = readlink(f->out, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    char want[PATH_MAX];
    snprintf(want, sizeof want, ".out.cvo/runs/%s", cvo_outdir_run_id(o));
    assert_string_equal(target, want); /* relative: the pair can be moved together */
    assert_non_null(strstr(cvo_outdir_link_path(o), "/sub/out"));
    assert_non_null(strstr(cvo_outdir_lock_path(o), "/sub/out.lock"));
    assert_non_null(strstr(cvo_outdir_state_path(o), "/sub/.out.cvo/state.db"));
    assert_null(cvo_outdir_replaced_directory(o));
    cvo_outdir_free(o);
    read_file(f->out, "file.txt", text, sizeof text); /* published runs stay */
    assert_string_equal(text, "one");
}

static void test_one_run_at_a_time(void **state)
{
    fixture *f = *state;
    cvo_outdir *first = NULL, *second = NULL;
    assert_int_equal(cvo_outdir_open(f->ctx, f->out, 0, &first), CVO_OK);
    assert_int_equal(cvo_outdir_open(f->ctx, f->out, 0, &second), CVO_ERR_REFUSED);
    assert_null(second);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "is locked"));
    cvo_outdir_free(first); /* unpublished: its directory goes */
    assert_int_equal(count_entries(f->runs), 0);
    assert_int_equal(cvo_outdir_open(f->ctx, f->out, 0, &second), CVO_OK);
    cvo_outdir_free(second);
}

static void test_keeps_two_runs(void **state)
{
    fixture *f = *state;
    char id[3][64], path[PATH_MAX];
    run_once(f, "one", id[0], sizeof id[0]);
    run_once(f, "two", id[1], sizeof id[1]);
    assert_int_equal(count_entries(f->runs), 2);
    run_once(f, "three", id[2], sizeof id[2]);
    assert_int_equal(count_entries(f->runs), 2);
    snprintf(path, sizeof path, "%s/%s", f->runs, id[0]);
    assert_false(exists(path));
    snprintf(path, sizeof path, "%s/%s", f->runs, id[1]);
    assert_true(exists(path));
    char text[16];
    read_file(f->out, "file.txt", text, sizeof text);
    assert_string_equal(text, "three");
    /* a run killed before its switch left a directory: the next open removes it */
    snprintf(path, sizeof path, "%s/20240101T000000Z-killed", f->runs);
    assert_int_equal(mkdir(path, 0777), 0);
    write_file(path, "half.txt", "x");
    cvo_outdir *o = NULL;
    assert_int_equal(cvo_outdir_open(f->ctx, f->out, 0, &o), CVO_OK);
    assert_false(exists(path));
    assert_int_equal(count_entries(f->runs), 3); /* the two kept and the new one */
    cvo_outdir_free(o);
}

static void test_old_directory_swapped_out(void **state)
{
    fixture *f = *state;
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/sub", f->root);
    assert_int_equal(mkdir(sub, 0777), 0);
    assert_int_equal(mkdir(f->out, 0777), 0);
    write_file(f->out, "old.txt", "old");
    cvo_outdir *o = NULL;
    assert_int_equal(cvo_outdir_open(f->ctx, f->out, 0, &o), CVO_OK);
    write_file(cvo_outdir_run_path(o), "file.txt", "new");
    assert_int_equal(cvo_outdir_publish(o, false), CVO_OK);
    const char *moved = cvo_outdir_replaced_directory(o);
    assert_non_null(moved);
    char text[16];
    read_file(moved, "old.txt", text, sizeof text);
    assert_string_equal(text, "old");
    read_file(f->out, "file.txt", text, sizeof text);
    assert_string_equal(text, "new");
    struct stat st;
    assert_int_equal(lstat(f->out, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    cvo_outdir_free(o);
    run_once(f, "newer", NULL, 0); /* the old contents are now the previous run's */
    assert_int_equal(count_entries(f->runs), 2);
}

static void test_refused_paths(void **state)
{
    fixture *f = *state;
    cvo_outdir *o = NULL;
    const char *bad[] = {"", ".", "..", "/", "a/.."};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(cvo_outdir_open(f->ctx, bad[i], 0, &o), CVO_ERR_ARGUMENT);
        assert_null(o);
    }
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/sub", f->root);
    assert_int_equal(mkdir(sub, 0777), 0);
    assert_int_equal(symlink("/tmp", f->out), 0); /* someone else's link */
    assert_int_equal(cvo_outdir_open(f->ctx, f->out, 0, &o), CVO_ERR_ARGUMENT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "did not make"));
    unlink(f->out);
    write_file(sub, "out", "a file"); /* a file where the link goes */
    assert_int_equal(cvo_outdir_open(f->ctx, f->out, 0, &o), CVO_OK);
    assert_int_equal(cvo_outdir_publish(o, false), CVO_ERR_ARGUMENT);
    cvo_outdir_free(o);
    assert_int_equal(cvo_outdir_publish(NULL, false), CVO_ERR_ARGUMENT);
    cvo_outdir_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_switches_the_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_run_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keeps_two_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_directory_swapped_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_paths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
