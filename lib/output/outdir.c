/* outdir.c - an output directory whose runs appear whole: each run is written
 * into .NAME.cvo/runs/ID beside DIR and published by renaming a new symbolic
 * link over DIR, so a reader (or a run killed at any moment) sees the previous
 * complete set or the new one, never a mix. DIR.lock (flock) admits one run. */
#include "base/ctx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OUTDIR_PATH_BYTES = PATH_MAX, OUTDIR_OPEN_FILES = 16 };

struct cvo_outdir {
    cvo_ctx *ctx;
    int lock_fd;
    bool published;
    char link[OUTDIR_PATH_BYTES];    /* DIR, absolute */
    char lock[OUTDIR_PATH_BYTES];    /* DIR.lock */
    char home[OUTDIR_PATH_BYTES];    /* .NAME.cvo beside DIR */
    char runs[OUTDIR_PATH_BYTES];    /* .NAME.cvo/runs */
    char run_dir[OUTDIR_PATH_BYTES]; /* .NAME.cvo/runs/ID, this run */
    char run_id[64];
    char name[NAME_MAX + 1];          /* NAME */
    char current[NAME_MAX + 1];       /* the published run's id before this one, "" */
    char state_db[OUTDIR_PATH_BYTES]; /* .NAME.cvo/state.db */
    char replaced[OUTDIR_PATH_BYTES]; /* where a real directory DIR went, "" */
};

/* ---- paths ---------------------------------------------------------------------- */

static cvo_status path_join(cvo_outdir *o, char *out, const char *dir, const char *name)
{
    int n = snprintf(out, OUTDIR_PATH_BYTES, "%s/%s", dir, name);
    if (n < 0 || n >= OUTDIR_PATH_BYTES)
        return ctx_fail(o->ctx, CVO_ERR_ARGUMENT, "%s/%s: path too long", dir, name);
    return CVO_OK;
}

/* mkdir -p of path (its parents included). */
static cvo_status make_dirs(cvo_outdir *o, const char *path)
{
    char buf[OUTDIR_PATH_BYTES];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ctx_fail(o->ctx, CVO_ERR_ARGUMENT, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            break;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot create: %s", path, strerror(errno));
    return CVO_OK;
}

/* Splits path into its parent (made absolute, created if missing) and name. */
static cvo_status split_path(cvo_outdir *o, const char *path, char *parent)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    const char *slash = memrchr(path, '/', len);
    const char *name = slash ? slash + 1 : path;
    size_t name_len = len - (size_t)(name - path);
    if (name_len == 0 || name_len > NAME_MAX || (name_len == 1 && name[0] == '.') ||
        (name_len == 2 && name[0] == '.' && name[1] == '.'))
        return ctx_fail(o->ctx, CVO_ERR_ARGUMENT,
                        "%s: the output must name a directory (not '.', '..' or '/')", path);
    memcpy(o->name, name, name_len);
    o->name[name_len] = '\0';
    char dir[OUTDIR_PATH_BYTES];
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir)
        return ctx_fail(o->ctx, CVO_ERR_ARGUMENT, "%s: path too long", path);
    CVO_TRY(make_dirs(o, dir));
    if (realpath(dir, parent) == NULL)
        return ctx_fail(o->ctx, CVO_ERR_IO, "%s: %s", dir, strerror(errno));
    return CVO_OK;
}

static cvo_status set_paths(cvo_outdir *o, const char *parent)
{
    char hidden[NAME_MAX + 8];
    snprintf(hidden, sizeof hidden, ".%s.cvo", o->name);
    char lock_name[NAME_MAX + 8];
    snprintf(lock_name, sizeof lock_name, "%s.lock", o->name);
    CVO_TRY(path_join(o, o->link, parent, o->name));
    CVO_TRY(path_join(o, o->lock, parent, lock_name));
    CVO_TRY(path_join(o, o->home, parent, hidden));
    CVO_TRY(path_join(o, o->runs, o->home, "runs"));
    return path_join(o, o->state_db, o->home, "state.db");
}

/* ---- what DIR is now ---------------------------------------------------------------- */

/* The run id DIR's link names (our own link: ".NAME.cvo/runs/ID"), into id;
 * "" when DIR is missing or a real directory. A link of someone else's is an
 * error: switching it would lose where it pointed. */
static cvo_status read_current(cvo_outdir *o, char *id, size_t size)
{
    id[0] = '\0';
    char target[OUTDIR_PATH_BYTES];
    ssize_t n = readlink(o->link, target, sizeof target - 1);
    if (n < 0) {
        if (errno == ENOENT || errno == EINVAL)
            return CVO_OK;
        return ctx_fail(o->ctx, CVO_ERR_IO, "%s: %s", o->link, strerror(errno));
    }
    target[n] = '\0';
    char prefix[NAME_MAX + 16];
    int p = snprintf(prefix, sizeof prefix, ".%s.cvo/runs/", o->name);
    const char *rest = target + p;
    if (strncmp(target, prefix, (size_t)p) != 0 || rest[0] == '\0' || strchr(rest, '/') ||
        strlen(rest) >= size)
        return ctx_fail(o->ctx, CVO_ERR_ARGUMENT,
                        "%s: a symbolic link cvo did not make (to %s): give the directory it "
                        "points to as the output",
                        o->link, target);
    snprintf(id, size, "%s", rest);
    return CVO_OK;
}

static cvo_status take_lock(cvo_outdir *o)
{
    o->lock_fd = open(o->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (o->lock_fd < 0)
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot open the lock file: %s", o->lock,
                        strerror(errno));
    if (flock(o->lock_fd, LOCK_EX | LOCK_NB) == 0)
        return CVO_OK;
    if (errno == EWOULDBLOCK)
        return ctx_fail(o->ctx, CVO_ERR_REFUSED,
                        "%s: another cvo run is writing this output (%s is locked)",
                        o->link, o->lock);
    return ctx_fail(o->ctx, CVO_ERR_IO, "%s: cannot lock: %s", o->lock, strerror(errno));
}

/* ---- removing old runs ----------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

/* rm -r of dir; true when it is gone (or was never there). */
static bool remove_tree(const char *dir)
{
    return nftw(dir, remove_entry, OUTDIR_OPEN_FILES, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT;
}

/* The run id .NAME.cvo/previous names, into id ("" when none). */
static void read_previous(cvo_outdir *o, char *id, size_t size)
{
    char path[OUTDIR_PATH_BYTES], target[OUTDIR_PATH_BYTES];
    id[0] = '\0';
    if (path_join(o, path, o->home, "previous") != CVO_OK)
        return;
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 5)
        return;
    target[n] = '\0';
    if (strncmp(target, "runs/", 5) == 0 && strlen(target + 5) < size)
        snprintf(id, size, "%s", target + 5);
}

/* Removes every run directory but keep1 and keep2 (the published one and the
 * one before it): runs killed before their switch, and older ones. */
static cvo_status prune(cvo_outdir *o, const char *keep1, const char *keep2)
{
    DIR *d = opendir(o->runs);
    if (d == NULL)
        return errno == ENOENT ? CVO_OK
                               : ctx_fail(o->ctx, CVO_ERR_IO, "%s: %s", o->runs, strerror(errno));
    cvo_status status = CVO_OK;
    struct dirent *e;
    while (status == CVO_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, keep1) == 0 || strcmp(e->d_name, keep2) == 0)
            continue;
        char path[OUTDIR_PATH_BYTES];
        status = path_join(o, path, o->runs, e->d_name);
        if (status == CVO_OK && !remove_tree(path))
            status = ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot remove: %s", path,
                              strerror(errno));
    }
    closedir(d);
    return status;
}

/* ---- opening -------------------------------------------------------------------------- */

/* Six letters or digits from the kernel's random source. */
static void random_suffix(char out[7])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char bytes[6] = {0};
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        for (size_t i = 0; i < sizeof bytes; i++) /* never seen on Linux: fall back */
            bytes[i] = (unsigned char)((uintptr_t)out * 31u + i * 17u + (unsigned)getpid());
    for (size_t i = 0; i < 6; i++)
        out[i] = alphabet[bytes[i] % (sizeof alphabet - 1)];
    out[6] = '\0';
}

/* runs/YYYYMMDDTHHMMSSZ-xxxxxx, made with the usual permissions (umask). */
static cvo_status new_run_dir(cvo_outdir *o, int64_t now_unix)
{
    int64_t day = now_unix >= 0 ? now_unix / 86400 : 0, second = now_unix - day * 86400;
    char date[11], suffix[7];
    cvo_day_format((int32_t)day, date);
    for (int attempt = 0; attempt < 100; attempt++) {
        random_suffix(suffix);
        snprintf(o->run_id, sizeof o->run_id, "%.4s%.2s%.2sT%02d%02d%02dZ-%s", date, date + 5,
                 date + 8, (int)(second / 3600), (int)(second / 60 % 60), (int)(second % 60),
                 suffix);
        CVO_TRY(path_join(o, o->run_dir, o->runs, o->run_id));
        if (mkdir(o->run_dir, 0777) == 0)
            return CVO_OK;
        if (errno != EEXIST)
            break;
    }
    int saved = errno;
    o->run_dir[0] = '\0';
    return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot create a run directory: %s", o->runs,
                    strerror(saved));
}

static cvo_status open_in(cvo_outdir *o, const char *path, int64_t now_unix)
{
    char parent[OUTDIR_PATH_BYTES];
    CVO_TRY(split_path(o, path, parent));
    CVO_TRY(set_paths(o, parent));
    CVO_TRY(take_lock(o));
    CVO_TRY(read_current(o, o->current, sizeof o->current));
    CVO_TRY(make_dirs(o, o->runs));
    char previous[NAME_MAX + 1];
    read_previous(o, previous, sizeof previous);
    CVO_TRY(prune(o, o->current, previous));
    return new_run_dir(o, now_unix);
}

cvo_status cvo_outdir_open(cvo_ctx *ctx, const char *path, int64_t now_unix, cvo_outdir **out)
{
    if (ctx == NULL || out == NULL)
        return CVO_ERR_ARGUMENT;
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "no output directory");
    cvo_outdir *o = mem_alloc(ctx, sizeof *o);
    if (o == NULL)
        return ctx_nomem(ctx);
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->lock_fd = -1;
    cvo_status status = open_in(o, path, now_unix);
    if (status != CVO_OK) {
        cvo_outdir_free(o);
        return status;
    }
    *out = o;
    return CVO_OK;
}

/* ---- publishing ----------------------------------------------------------------------- */

static cvo_status sync_path(cvo_outdir *o, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0)
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: %s", path, strerror(errno));
    bool ok = fsync(fd) == 0;
    int saved = errno;
    close(fd);
    return ok ? CVO_OK
              : ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot sync: %s", path, strerror(saved));
}

static int sync_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    int rc = flag == FTW_SL ? 0 : fsync(fd);
    close(fd);
    return rc;
}

/* A symlink at path pointing at target, replacing whatever link is there. */
static cvo_status place_link(cvo_outdir *o, const char *target, const char *path)
{
    char temp[OUTDIR_PATH_BYTES];
    CVO_TRY(path_join(o, temp, o->home, "link.new"));
    unlink(temp);
    if (symlink(target, temp) != 0)
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: %s", temp, strerror(errno));
    if (rename(temp, path) != 0)
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot switch: %s", path, strerror(errno));
    return CVO_OK;
}

/* DIR is still a real directory (written by an older cvo): the new link and
 * it trade places in one step (RENAME_EXCHANGE), then it becomes a run that
 * the pruning keeps as the previous one. A file system without the exchange
 * gets two renames (DIR is missing for an instant between them). */
static cvo_status replace_directory(cvo_outdir *o, const char *target)
{
    char temp[OUTDIR_PATH_BYTES], legacy[OUTDIR_PATH_BYTES], id[80];
    snprintf(id, sizeof id, "before-%s", o->run_id);
    CVO_TRY(path_join(o, legacy, o->runs, id));
    CVO_TRY(path_join(o, temp, o->home, "link.new"));
    unlink(temp);
    if (symlink(target, temp) != 0)
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: %s", temp, strerror(errno));
    bool swapped = renameat2(AT_FDCWD, temp, AT_FDCWD, o->link, RENAME_EXCHANGE) == 0;
    if (swapped && rename(temp, legacy) != 0)
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot move the old directory: %s", temp,
                        strerror(errno));
    if (!swapped && (errno != EINVAL && errno != ENOSYS)) {
        int saved = errno;
        unlink(temp);
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot swap in the new run: %s", o->link,
                        strerror(saved));
    }
    if (!swapped && (rename(o->link, legacy) != 0 || rename(temp, o->link) != 0))
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot switch to the new run: %s", o->link,
                        strerror(errno));
    snprintf(o->current, sizeof o->current, "%s", id);
    snprintf(o->replaced, sizeof o->replaced, "%s", legacy);
    return CVO_OK;
}

static cvo_status switch_link(cvo_outdir *o)
{
    char target[OUTDIR_PATH_BYTES];
    int n = snprintf(target, sizeof target, ".%s.cvo/runs/%s", o->name, o->run_id);
    if (n < 0 || n >= (int)sizeof target)
        return ctx_fail(o->ctx, CVO_ERR_ARGUMENT, "%s: path too long", o->link);
    struct stat st;
    if (lstat(o->link, &st) == 0 && S_ISDIR(st.st_mode))
        return replace_directory(o, target);
    if (lstat(o->link, &st) == 0 && !S_ISLNK(st.st_mode))
        return ctx_fail(o->ctx, CVO_ERR_ARGUMENT, "%s: exists and is not a directory", o->link);
    return place_link(o, target, o->link);
}

/* .NAME.cvo/previous -> runs/<the run published before>: kept by the pruning. */
static cvo_status remember_previous(cvo_outdir *o)
{
    char path[OUTDIR_PATH_BYTES], target[NAME_MAX + 8];
    CVO_TRY(path_join(o, path, o->home, "previous"));
    if (o->current[0] == '\0') {
        unlink(path);
        return CVO_OK;
    }
    snprintf(target, sizeof target, "runs/%s", o->current);
    return place_link(o, target, path);
}

cvo_status cvo_outdir_publish(cvo_outdir *o, bool sync)
{
    if (o == NULL)
        return CVO_ERR_ARGUMENT;
    if (o->published)
        return ctx_fail(o->ctx, CVO_ERR_ARGUMENT, "%s: published already", o->run_dir);
    if (sync && nftw(o->run_dir, sync_entry, OUTDIR_OPEN_FILES, FTW_PHYS) != 0)
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot sync: %s", o->run_dir,
                        strerror(errno));
    if (sync)
        CVO_TRY(sync_path(o, o->runs));
    CVO_TRY(switch_link(o));
    o->published = true;
    if (sync) {
        char parent[OUTDIR_PATH_BYTES];
        snprintf(parent, sizeof parent, "%.*s", (int)(strrchr(o->link, '/') - o->link), o->link);
        CVO_TRY(sync_path(o, parent[0] ? parent : "/"));
    }
    CVO_TRY(remember_previous(o));
    return prune(o, o->run_id, o->current);
}

cvo_status cvo_outdir_drop_previous(cvo_outdir *o, bool *dropped)
{
    if (o == NULL || dropped == NULL)
        return CVO_ERR_ARGUMENT;
    *dropped = false;
    char previous[NAME_MAX + 1], path[OUTDIR_PATH_BYTES], link[OUTDIR_PATH_BYTES];
    read_previous(o, previous, sizeof previous);
    if (previous[0] == '\0' || strcmp(previous, o->current) == 0)
        return CVO_OK;
    CVO_TRY(path_join(o, path, o->runs, previous));
    CVO_TRY(path_join(o, link, o->home, "previous"));
    if (!remove_tree(path))
        return ctx_fail(o->ctx, CVO_ERR_WRITE, "%s: cannot remove: %s", path, strerror(errno));
    unlink(link);
    *dropped = true;
    return CVO_OK;
}

/* ---- the rest ---------------------------------------------------------------------------- */

const char *cvo_outdir_run_path(const cvo_outdir *o)
{
    return o ? o->run_dir : NULL;
}

const char *cvo_outdir_run_id(const cvo_outdir *o)
{
    return o ? o->run_id : NULL;
}

const char *cvo_outdir_link_path(const cvo_outdir *o)
{
    return o ? o->link : NULL;
}

const char *cvo_outdir_lock_path(const cvo_outdir *o)
{
    return o ? o->lock : NULL;
}

const char *cvo_outdir_state_path(const cvo_outdir *o)
{
    return o ? o->state_db : NULL;
}

const char *cvo_outdir_replaced_directory(const cvo_outdir *o)
{
    return o != NULL && o->replaced[0] ? o->replaced : NULL;
}

void cvo_outdir_free(cvo_outdir *o)
{
    if (o == NULL)
        return;
    if (!o->published && o->run_dir[0] != '\0')
        (void)remove_tree(o->run_dir); /* an unpublished run: nobody will read it */
    if (o->lock_fd >= 0)
        close(o->lock_fd); /* releases the flock */
    mem_free(o->ctx, o);
}
