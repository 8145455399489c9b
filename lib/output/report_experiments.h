/* report_experiments.h - the report's "Experiments" section, after "This
 * week": each running experiment (how many are held out and why) and, for
 * each treatment list that is not one, what a test would need and how to
 * start it. */
#ifndef CVO_REPORT_EXPERIMENTS_H
#define CVO_REPORT_EXPERIMENTS_H

#include "cvo.h"

#include <stdio.h>

/* Writes <section id="experiments">: one <li> per treatment list, with
 * data-list, and for a running experiment data-experiment, data-treatment
 * and data-holdout (this run's arms, as the lists and summary.json count
 * them). Errors: none beyond the stream's (checked by the caller). */
cvo_status report_experiments(cvo_ctx *ctx, const cvo_analysis *a, FILE *out);

#endif
