/* report_actions.h - the report's first section, "This week": the actions of
 * the run in plain sentences, each with its count and its file. */
#ifndef CVO_REPORT_ACTIONS_H
#define CVO_REPORT_ACTIONS_H

#include "cvo.h"

#include <stdio.h>

/* Writes <section id="this-week">: one <li> per action (win-back due and
 * window, Gorgias tickets, no-discount by reason, exclude, VIP, referral,
 * interview, loyalty tiers, movers), each with data-action, and data-file and
 * data-count (the rows the file has) when a file holds the customers. m: the
 * migration of a (NULL without a history database). Errors: none beyond the
 * stream's (checked by the caller). */
cvo_status report_actions(cvo_ctx *ctx, const cvo_analysis *a, const cvo_migration *m, FILE *out);

#endif
