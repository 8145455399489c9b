/* test_atomic.c - unit tests of cli/atomic.c, the CLI's publish-on-complete
 * output files (compiled in here: cli/ has no library of its own). A symlink
 * planted at the temporary name is never followed nor removed, on the
 * O_TMPFILE path and on the named fallback (forced with
 * CVO_TEST_ATOMIC_FALLBACK). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../cli/atomic.c"

typedef struct scene {
    char dir[64];
    char precious[128]; /* what the planted symlink points to */
    char planted[256];  /* dir/.out.csv.tmpPID -> precious */
    char target[128];   /* dir/out.csv */
} scene;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void expect_text(const char *path, const char *text)
{
    char buf[64] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, text);
}

static void scene_set(scene *s)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/cvo-test-atomic-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->precious, sizeof s->precious, "%s/precious", s->dir);
    snprintf(s->planted, sizeof s->planted, "%s/.out.csv.tmp%ld", s->dir, (long)getpid());
    snprintf(s->target, sizeof s->target, "%s/out.csv", s->dir);
    write_text(s->precious, "precious\n");
    assert_int_equal(symlink(s->precious, s->planted), 0);
}

/* The precious file untouched, the planted link still there and still a link. */
static void expect_untouched(const scene *s)
{
    expect_text(s->precious, "precious\n");
    struct stat st;
    assert_int_equal(lstat(s->planted, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
}

static void scene_clear(scene *s)
{
    unlink(s->target);
    unlink(s->planted);
    unlink(s->precious);
    assert_int_equal(rmdir(s->dir), 0); /* no temporary file left behind */
}

static void write_and_commit(const scene *s)
{
    atomic_file f;
    assert_true(atomic_open(&f, s->dir, "out.csv"));
    fputs("new\n", f.out);
    assert_true(atomic_commit(&f));
    struct stat st;
    assert_int_equal(lstat(s->target, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    expect_text(s->target, "new\n");
}

static void test_fallback_does_not_follow(void **state)
{
    (void)state;
    scene s;
    scene_set(&s);
    setenv("CVO_TEST_ATOMIC_FALLBACK", "1", 1);
    write_and_commit(&s);
    unsetenv("CVO_TEST_ATOMIC_FALLBACK");
    expect_untouched(&s);
    scene_clear(&s);
}

static void test_unnamed_does_not_follow(void **state)
{
    (void)state;
    scene s;
    scene_set(&s);
    write_and_commit(&s); /* linkat to a staged name that is taken */
    expect_untouched(&s);
    scene_clear(&s);
}

static void test_abort_removes_only_its_own(void **state)
{
    (void)state;
    scene s;
    scene_set(&s);
    setenv("CVO_TEST_ATOMIC_FALLBACK", "1", 1);
    atomic_file f;
    assert_true(atomic_open(&f, s.dir, "out.csv"));
    assert_true(f.temp[0] != '\0' && strcmp(f.temp, s.planted) != 0);
    fputs("half", f.out);
    atomic_abort(&f);
    unsetenv("CVO_TEST_ATOMIC_FALLBACK");
    assert_int_equal(access(s.target, F_OK), -1);
    expect_untouched(&s);
    scene_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fallback_does_not_follow),
        cmocka_unit_test(test_unnamed_does_not_follow),
        cmocka_unit_test(test_abort_removes_only_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
