/* report_experiment_results.h - the results part of the report's "Experiments"
 * section: per experiment its arms, sample-ratio check, a table of the metrics
 * (treated, held out, difference with its interval, relative uplift drawn with its
 * interval, CUPED's variance reduction) and the verdict in plain words. */
#ifndef CVO_REPORT_EXPERIMENT_RESULTS_H
#define CVO_REPORT_EXPERIMENT_RESULTS_H

#include "cvo.h"

#include <stdio.h>

/* Writes <div class="experiment-results"> with an <h3> per experiment of r (a note
 * when there is none; r may be NULL). Errors: none beyond the stream's (checked
 * by the caller). */
cvo_status report_experiment_results(cvo_ctx *ctx, const cvo_experiment_results *r, FILE *out);

#endif
