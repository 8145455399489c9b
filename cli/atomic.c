/* atomic.c - publish-on-complete output files (see atomic.h). */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static int open_unnamed(const char *dir)
{
#ifdef O_TMPFILE
    return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#else
    (void)dir;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

bool atomic_open(atomic_file *f, const char *dir, const char *name)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->fd = open_unnamed(dir);
    if (f->fd < 0) { /* a file system without O_TMPFILE: a hidden temporary name */
        snprintf(f->temp, sizeof f->temp, "%s/.%s.tmp%ld", dir, name, (long)getpid());
        f->fd = open(f->temp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0666);
    }
    if (f->fd < 0 || (f->out = fdopen(f->fd, "w")) == NULL) {
        fprintf(stderr, "cvo: %s/%s: cannot write: %s\n", dir, name, strerror(errno));
        if (f->fd >= 0)
            close(f->fd);
        return false;
    }
    return true;
}

static bool publish(atomic_file *f, const char *target)
{
    if (f->temp[0])
        return rename(f->temp, target) == 0;
    char proc[64], staged[sizeof f->dir + sizeof f->name + 32];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
    snprintf(staged, sizeof staged, "%s/.%s.tmp%ld", f->dir, f->name, (long)getpid());
    unlink(staged);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, staged, AT_SYMLINK_FOLLOW) != 0)
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
    fclose(f->out);
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
