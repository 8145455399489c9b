/* gorgias.h - the one rule that decides who gets a Gorgias ticket, shared by
 * the ticket writer (gorgias/tickets.jsonl) and the report's "This week"
 * count, so the two can never disagree. */
#ifndef CVO_OUTPUT_GORGIAS_H
#define CVO_OUTPUT_GORGIAS_H

#include "cvo.h"

#include <stdbool.h>
#include <stddef.h>

/* Whether customer index of a (nps loaded with a's customers) is due a
 * ticket: a customer of a top segment with an email whose latest answer is
 * a detractor (0-6). False for an index out of range. */
bool gorgias_ticket_due(const cvo_analysis *a, const cvo_nps *nps, size_t index);

#endif
