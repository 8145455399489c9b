/* report_history.h - the report's "Segment migration" section, written from a
 * migration of the history layer (report.c calls it; NULL: no section). */
#ifndef CVO_REPORT_HISTORY_H
#define CVO_REPORT_HISTORY_H

#include "cvo.h"

/* Writes the section on out: with a previous snapshot a heat map (segment then
 * x segment now), the counts and the largest flows; without one a plain
 * sentence. Nothing at all when m is NULL. Errors: CVO_ERR_NOMEM. */
cvo_status report_history_section(cvo_ctx *ctx, FILE *out, const cvo_migration *m,
                                  const char *currency);

#endif
