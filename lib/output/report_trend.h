/* report_trend.h - the report's "Segments over time" section, from a trend of
 * the history database and this run's analysis (report.c calls it). */
#ifndef CVO_REPORT_TREND_H
#define CVO_REPORT_TREND_H

#include "cvo.h"

#include <stdio.h>

/* Writes <section id="trend">: each segment's customers and revenue to date
 * over the snapshots of trend before a's as-of day (the latest 11) and a
 * itself, as sparklines with the figures now and the change, and a total
 * row; a sentence when there is no earlier snapshot. Nothing when trend is
 * NULL. Errors: CVO_ERR_NOMEM. */
cvo_status report_trend_section(cvo_ctx *ctx, FILE *out, const cvo_analysis *a,
                                const cvo_trend *trend, const char *currency);

#endif
