/* atomic.h - output files that appear whole or not at all: written to an
 * unnamed file in the target directory (O_TMPFILE) and given their name only
 * when complete, so a killed run never leaves a half-written file behind. */
#ifndef CVO_CLI_ATOMIC_H
#define CVO_CLI_ATOMIC_H

#include <stdbool.h>
#include <stdio.h>

typedef struct atomic_file {
    FILE *out;
    int fd;
    char dir[4096];
    char name[256];
    char temp[512]; /* fallback path when O_TMPFILE is not supported */
    bool sync;      /* fsync before publishing: survives a power cut, costs time */
} atomic_file;

/* Opens dir/name for writing; false with a message on stderr. */
bool atomic_open(atomic_file *f, const char *dir, const char *name);
/* Flushes (and with f->sync, syncs) and publishes the file under its name.
 * Without sync the file is still never seen half-written by a reader or after
 * the process is killed; sync adds durability across an operating-system
 * crash. false on any error
 * (then nothing is published). */
bool atomic_commit(atomic_file *f);
/* Drops an unfinished file. */
void atomic_abort(atomic_file *f);
/* mkdir -p for one path; false with a message. */
bool atomic_mkdirs(const char *path);

#endif
