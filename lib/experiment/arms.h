/* arms.h - the experiments of one run (cvo_experiments): which lists have an
 * experiment, the members the history recorded for each (sorted by keyed
 * customer, with their arm) and this run's members, drawn by holdout.c and
 * recorded by history/experiments.c. Invariant: an arm, once recorded, never
 * changes. */
#ifndef CVO_EXPERIMENT_ARMS_H
#define CVO_EXPERIMENT_ARMS_H

#include "base/ctx.h"
#include "base/hmac.h"
#include "cvo.h"

/* One member: keyed customer (keyed_customer) and arm. */
typedef struct arms_member {
    char customer[KEYED_HEX + 1];
    bool holdout;
} arms_member;

typedef struct arms_experiment {
    cvo_experiment_arms pub;
    arms_member *recorded; /* sorted by customer; pub.recorded of them */
    size_t recorded_cap;
    arms_member *now; /* this run's list members, in customer-table order */
    size_t now_count;
} arms_experiment;

/* Room for one experiment per treatment list. */
#define ARMS_MAX 4

struct cvo_experiments {
    cvo_ctx *ctx;
    arms_experiment items[ARMS_MAX];
    size_t count;
    bool held_out; /* cvo_analysis_hold_out ran */
    char note[1024];
};

/* An empty set of experiments. Errors: CVO_ERR_NOMEM. */
cvo_status arms_new(cvo_ctx *ctx, cvo_experiments **out) CVO_MUST_USE;
/* Adds an experiment (info copied); *out points at it. Errors: CVO_ERR_LIMIT. */
cvo_status arms_add(cvo_experiments *e, const cvo_experiment_info *info, bool starts,
                    arms_experiment **out) CVO_MUST_USE;
/* Appends a recorded member (any order; arms_sort once after). Errors: CVO_ERR_NOMEM. */
cvo_status arms_add_recorded(cvo_experiments *e, arms_experiment *x,
                             const arms_member *m) CVO_MUST_USE;
void arms_sort(arms_experiment *x);
/* The recorded member customer, or NULL. */
const arms_member *arms_find_recorded(const arms_experiment *x, const char *customer);
/* Appends a line to the note. */
void arms_note(cvo_experiments *e, const char *line);

#endif
