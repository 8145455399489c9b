/* report_opps.h - the report's "Opportunities" section: every finding of the
 * analysis an action answers, ranked by the profit at stake over 12 months,
 * with its action and the test that would prove it (cvo_opportunities_compute). */
#ifndef CVO_REPORT_OPPS_H
#define CVO_REPORT_OPPS_H

#include "cvo.h"

#include <stdio.h>

/* The section's CSS (the page's style sheet takes it after its own). */
#define REPORT_OPPS_STYLE                                                                          \
    "table.opps th[scope=row]{white-space:normal;min-width:26ch;max-width:44ch}\n"                 \
    "table.opps td.text{min-width:18ch;max-width:34ch;font-size:13px}\n"

/* Writes <section id="opportunities">; currency is shown after amounts ("" none).
 * Errors: those of cvo_opportunities_compute. */
cvo_status report_opportunities(cvo_ctx *ctx, const cvo_analysis *a, const char *currency,
                                FILE *out);

#endif
