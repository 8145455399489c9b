/* report_dive.h - the report's "What drives value" section: per grouping of
 * the deep dives, the most harmful and most helpful groups with their
 * differences from the rest, intervals drawn as bars, significance marked. */
#ifndef CVO_REPORT_DIVE_H
#define CVO_REPORT_DIVE_H

#include "cvo.h"

#include <stdio.h>

/* Writes <section id="drivers"> from the analysis' dives (a note when there
 * are none). Errors: none beyond the stream's (checked by the caller). */
cvo_status report_dive(cvo_ctx *ctx, const cvo_analysis *a, FILE *out);

#endif
