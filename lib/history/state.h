/* state.h - what the pushes remember in the state database (the history file):
 * the secret key of keyed identifiers, the Klaviyo properties each profile was
 * last given, and the ledgers of what Klaviyo and Gorgias accepted. Customers
 * appear only as keyed hashes (keyed_customer), never as e-mail addresses. */
#ifndef CVO_HISTORY_STATE_H
#define CVO_HISTORY_STATE_H

#include "history/history.h"

/* Ledgers, one per kind of request. */
#define STATE_KLAVIYO_BULK "klaviyo-bulk"     /* key: SHA-256 of the body */
#define STATE_KLAVIYO_EVENT "klaviyo-event"   /* key: the event's unique_id */
#define STATE_GORGIAS_TICKET "gorgias-ticket" /* key: the ticket's external_id */

/* Where a ledger entry stands. SENDING is written (and committed) before the
 * request goes out, so an interrupted run leaves a trace. */
typedef enum state_entry {
    STATE_NONE = 0, /* not in the ledger */
    STATE_SENDING,
    STATE_DONE,   /* accepted */
    STATE_UNKNOWN /* sent, outcome unknown: never sent again */
} state_entry;

/* Property names of a profile as one text: sorted, each ending in '\n'. */
#define STATE_NAMES_MAX 16384

/* Creates the state tables (CREATE TABLE IF NOT EXISTS); called by cvo_history_open. */
cvo_status state_setup(cvo_history *h) CVO_MUST_USE;
/* Finalises the cached statements; called by cvo_history_close. */
void state_close(cvo_history *h);

/* One transaction around many writes (each write alone is its own). */
cvo_status state_begin(cvo_history *h) CVO_MUST_USE;
cvo_status state_commit(cvo_history *h) CVO_MUST_USE;
void state_rollback(cvo_history *h);

cvo_status state_ledger_get(cvo_history *h, const char *kind, const char *key,
                            state_entry *out) CVO_MUST_USE;
/* Inserts or replaces the entry; day INT32_MIN and remote_id NULL leave them empty. */
cvo_status state_ledger_put(cvo_history *h, const char *kind, const char *key, const char *customer,
                            state_entry entry, int32_t day, const char *remote_id) CVO_MUST_USE;
/* Removes the entry (a request refused: nothing was made). */
cvo_status state_ledger_drop(cvo_history *h, const char *kind, const char *key) CVO_MUST_USE;
/* Turns every SENDING entry of kind into UNKNOWN (left by an interrupted run);
 * *count gets how many. */
cvo_status state_ledger_sweep(cvo_history *h, const char *kind, size_t *count) CVO_MUST_USE;
/* Whether kind has an entry of customer (any state) dated on or after day. */
cvo_status state_ledger_customer_since(cvo_history *h, const char *kind, const char *customer,
                                       int32_t day, bool *found) CVO_MUST_USE;

/* The property names last recorded for customer into out ("" when none). */
cvo_status state_properties_get(cvo_history *h, const char *customer,
                                char out[STATE_NAMES_MAX]) CVO_MUST_USE;
cvo_status state_properties_put(cvo_history *h, const char *customer,
                                const char *names) CVO_MUST_USE;

#endif
