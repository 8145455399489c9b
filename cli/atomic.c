/* atomic.c - publish-on-complete output files (see atomic.h). */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool atomic_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return false;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            break;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "cvo: %s: cannot create: %s\n", path, strerror(errno));
        return false;
    }
    return true;
}

/* CVO_TEST_ATOMIC_FALLBACK set (tests only, documented in cvo(1)): behave as
 * on a file system without O_TMPFILE, so the named fallback can be tested. */
static int open_unnamed(const char *dir)
{
#ifdef O_TMPFILE
    if (getenv("CVO_TEST_ATOMIC_FALLBACK") == NULL)
        return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#endif
    (void)dir;
    errno = EOPNOTSUPP;
    return -1;
}

enum { TEMP_TRIES = 64 };

/* Temporary name try k of dir/.NAME: .NAME.tmpPID, then with a random suffix,
 * since another process may hold (or have planted) the first. false (errno
 * ENAMETOOLONG) when it does not fit. */
static bool temp_name(char *out, size_t cap, const char *dir, const char *name, int k)
{
    uint64_t suffix = 0;
    if (k > 0 && getrandom(&suffix, sizeof suffix, GRND_NONBLOCK) != (ssize_t)sizeof suffix)
        suffix = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull + (uint64_t)k;
    int n = k == 0 ? snprintf(out, cap, "%s/.%s.tmp%ld", dir, name, (long)getpid())
                   : snprintf(out, cap, "%s/.%s.tmp%ld.%016llx", dir, name, (long)getpid(),
                              (unsigned long long)suffix);
    if (n >= 0 && (size_t)n < cap)
        return true;
    errno = ENAMETOOLONG;
    return false;
}

/* A new file under a temporary name: O_EXCL never opens an existing name and,
 * with O_NOFOLLOW, never follows a symlink planted there. f->temp is set only
 * when the file is ours, so that nothing else is ever unlinked. */
static int open_named(atomic_file *f)
{
    for (int k = 0; k < TEMP_TRIES && temp_name(f->temp, sizeof f->temp, f->dir, f->name, k); k++) {
        int fd = open(f->temp, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0666);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            break;
    }
    f->temp[0] = '\0';
    return -1;
}

bool atomic_open(atomic_file *f, const char *dir, const char *name)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->fd = open_unnamed(dir);
    if (f->fd < 0) /* a file system without O_TMPFILE: a hidden temporary name */
        f->fd = open_named(f);
    if (f->fd < 0 || (f->out = fdopen(f->fd, "w")) == NULL) {
        fprintf(stderr, "cvo: %s/%s: cannot write: %s\n", dir, name, strerror(errno));
        if (f->fd >= 0)
            close(f->fd);
        if (f->temp[0])
            unlink(f->temp);
        return false;
    }
    return true;
}

/* Gives the unnamed file a temporary name (linkat never replaces an existing
 * name, so a taken one is retried), then the target's. */
static bool publish(atomic_file *f, const char *target)
{
    if (f->temp[0]) {
        if (rename(f->temp, target) != 0)
            return false;
        f->temp[0] = '\0'; /* the name is no longer ours */
        return true;
    }
    char proc[64], staged[sizeof f->dir + sizeof f->name + 48];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
    int linked = -1;
    for (int k = 0; k < TEMP_TRIES && linked != 0; k++) {
        if (!temp_name(staged, sizeof staged, f->dir, f->name, k))
            return false;
        linked = linkat(AT_FDCWD, proc, AT_FDCWD, staged, AT_SYMLINK_FOLLOW);
        if (linked != 0 && errno != EEXIST)
            return false;
    }
    if (linked != 0)
        return false;
    if (rename(staged, target) != 0) {
        unlink(staged);
        return false;
    }
    return true;
}

bool atomic_commit(atomic_file *f)
{
    char target[sizeof f->dir + sizeof f->name + 2];
    snprintf(target, sizeof target, "%s/%s", f->dir, f->name);
    bool ok = fflush(f->out) == 0 && !ferror(f->out) && (!f->sync || fsync(f->fd) == 0) &&
              publish(f, target);
    int saved = errno;
    if (fclose(f->out) != 0 && ok) { /* published, but the close reports a lost write */
        ok = false;
        saved = errno;
    }
    f->out = NULL;
    if (!ok) {
        if (f->temp[0])
            unlink(f->temp);
        fprintf(stderr, "cvo: %s: write error: %s\n", target, strerror(saved));
    }
    return ok;
}

void atomic_abort(atomic_file *f)
{
    if (f->out != NULL)
        fclose(f->out);
    f->out = NULL;
    if (f->temp[0])
        unlink(f->temp);
}
