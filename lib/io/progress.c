/* progress.c - rate-bounded, serialised progress reports. A thread that finds
 * another reporting does not wait: the next step reports the later count. */
#include "io/progress.h"

#include <string.h>

void progress_init(progress *p, cvo_progress_fn fn, void *user_data, uint64_t total)
{
    memset(p, 0, sizeof *p);
    p->fn = fn;
    p->user_data = user_data;
    p->total = total;
    atomic_init(&p->done, 0);
    atomic_init(&p->next, CVO_PROGRESS_STEP);
    pthread_mutex_init(&p->lock, NULL);
}

void progress_destroy(progress *p)
{
    pthread_mutex_destroy(&p->lock);
}

/* Under the lock: passes on the current count unless it is not new. */
static void report_locked(progress *p, bool always)
{
    uint64_t done = atomic_load_explicit(&p->done, memory_order_relaxed);
    if (p->total > 0 && done > p->total)
        done = p->total; /* a few bytes read twice where the workers meet */
    atomic_store_explicit(&p->next, done + CVO_PROGRESS_STEP, memory_order_relaxed);
    if (done <= p->reported && !always)
        return;
    p->reported = done;
    p->fn(p->user_data, done, p->total);
}

void progress_report(progress *p)
{
    if (pthread_mutex_trylock(&p->lock) != 0)
        return;
    report_locked(p, false);
    pthread_mutex_unlock(&p->lock);
}

void progress_restart(progress *p)
{
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->done, 0);
    atomic_store(&p->next, CVO_PROGRESS_STEP);
    p->reported = 0;
    pthread_mutex_unlock(&p->lock);
}

void progress_finish(progress *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->total > 0)
        atomic_store(&p->done, p->total);
    report_locked(p, true);
    pthread_mutex_unlock(&p->lock);
}
