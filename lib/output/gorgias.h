/* gorgias.h - which customers get a Gorgias ticket, shared by the ticket writer
 * and the report's "This week" count so the two always agree, and the shape of
 * the tickets' external_id the push's ledger reads back. */
#ifndef CVO_OUTPUT_GORGIAS_H
#define CVO_OUTPUT_GORGIAS_H

#include "base/hmac.h"
#include "cvo.h"

#include <stdbool.h>
#include <stddef.h>

/* Whether customer index of a gets a ticket: in a top segment ([segments] top),
 * with an e-mail, and its latest answer in nps is a detractor (0-6) given fewer
 * than [gorgias] max_answer_age_days before the analysis' as-of day (age = as-of
 * day - answer day < max_answer_age_days). */
bool gorgias_ticket_due(const cvo_analysis *a, const cvo_nps *nps, size_t index);

/* external_id = "cvo-nps-" + keyed customer (KEYED_HEX) + "-" + answer day YYYYMMDD. */
#define GORGIAS_KEY_PREFIX "cvo-nps-"
#define GORGIAS_KEY_BYTES (sizeof GORGIAS_KEY_PREFIX - 1 + KEYED_HEX + 1 + 8 + 1) /* with the NUL  \
                                                                                   */

/* The keyed customer of an external_id of that shape into out; false otherwise. */
bool gorgias_key_customer(const char *external_id, char out[KEYED_HEX + 1]);

#endif
