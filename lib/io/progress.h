/* progress.h - the bytes read so far, shared by the readers of one load, and
 * the caller's progress callback called from them at a bounded rate: at most
 * once per CVO_PROGRESS_STEP bytes, one thread at a time, never decreasing. */
#ifndef CVO_PROGRESS_H
#define CVO_PROGRESS_H

#include "cvo.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct progress {
    cvo_progress_fn fn;
    void *user_data;
    uint64_t total;          /* 0: unknown */
    _Atomic uint64_t done;   /* bytes read */
    _Atomic uint64_t next;   /* report once done reaches it */
    uint64_t reported;       /* the last bytes_done passed on (under lock) */
    pthread_mutex_t lock;    /* held while fn runs */
} progress;

void progress_init(progress *p, cvo_progress_fn fn, void *user_data, uint64_t total);
void progress_destroy(progress *p);
/* Reports now when nobody else is; called by progress_add past a step. */
void progress_report(progress *p);
/* A new pass over the input: counting starts again from 0. */
void progress_restart(progress *p);
/* The end of a successful read: bytes_done = bytes_total (when known). */
void progress_finish(progress *p);

/* Counts n bytes read; p may be NULL. Safe from several threads. */
static inline void progress_add(progress *p, uint64_t n)
{
    if (p == NULL)
        return;
    uint64_t done = atomic_fetch_add_explicit(&p->done, n, memory_order_relaxed) + n;
    if (done >= atomic_load_explicit(&p->next, memory_order_relaxed))
        progress_report(p);
}

#endif
