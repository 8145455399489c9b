/* push_gorgias.h - cvo analyze --push gorgias: sends the ticket bodies analyze
 * wrote to DIR/gorgias/tickets.jsonl to Gorgias' REST API, at most once each:
 * DIR/gorgias/sent.ledger remembers every ticket's external_id. */
#ifndef CVO_CLI_PUSH_GORGIAS_H
#define CVO_CLI_PUSH_GORGIAS_H

#include <stdbool.h>

/* Checks every line of DIR/gorgias/tickets.jsonl (a JSON object opening with its
 * external_id), then POSTs each one whose external_id is not in
 * DIR/gorgias/sent.ledger to /api/tickets, in file order, paced at 40 requests per
 * 20 s. After each 201 the key is appended to the ledger and fsynced. 429 waits
 * Retry-After (at most 60 s, at most 6 tries); a connection that never opened is
 * retried the same way. An answer that leaves it unknown whether the ticket was
 * made (5xx, a timeout) is written to the ledger as "KEY<TAB>unconfirmed" and stops
 * the push, so a later run never sends it twice; check it in Gorgias. Any other
 * answer stops the push with the status, Gorgias' message and the line. One
 * closing summary goes to stderr unless quiet; dry_run prints what would be sent
 * on stdout and sends nothing.
 *
 * ENVIRONMENT (for cvo(1)):
 *   CVO_GORGIAS_DOMAIN    the account: https://DOMAIN.gorgias.com
 *   CVO_GORGIAS_USER      the user owning the API key (HTTP Basic user name)
 *   CVO_GORGIAS_API_KEY   the REST API key; never printed. USER and KEY are required
 *                         unless dry_run, DOMAIN unless CVO_GORGIAS_BASE_URL is set.
 *   CVO_GORGIAS_BASE_URL  replaces https://DOMAIN.gorgias.com; plain http:// only
 *                         for a loopback host (tests use a local server).
 *
 * Returns EXIT_OK; EXIT_USAGE for missing or unusable settings; EXIT_INPUT for a
 * missing or malformed tickets file or ledger; EXIT_SYSTEM when Gorgias refused a
 * ticket, could not be reached, or the ledger cannot be written. */
int push_gorgias(const char *dir, bool dry_run, bool quiet);

#endif
