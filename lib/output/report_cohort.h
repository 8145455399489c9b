/* report_cohort.h - the report's Cohorts section: heat maps (HTML tables with
 * shaded cells, no script) of first-order month x months since. */
#ifndef CVO_REPORT_COHORT_H
#define CVO_REPORT_COHORT_H

#include "cvo.h"

#include <stdio.h>

/* The section's CSS rules, for the page's <style>. */
extern const char REPORT_COHORT_STYLE[];

/* Writes <section id="cohorts"> for the analysis' cohorts (a note when there
 * are none). Errors: none beyond the stream's (checked by the caller). */
cvo_status report_cohorts(cvo_ctx *ctx, const cvo_analysis *a, FILE *out);

#endif
