/* push_klaviyo.h - cvo analyze --push klaviyo: sends the request bodies analyze
 * wrote under DIR/klaviyo to Klaviyo's REST API. Every file is checked before
 * the first request; the API key is never printed. */
#ifndef CVO_CLI_PUSH_KLAVIYO_H
#define CVO_CLI_PUSH_KLAVIYO_H

#include <stdbool.h>

/* The revision header sent when the caller passes NULL. */
#define PUSH_KLAVIYO_REVISION "2026-07-15"

/* Sends DIR/klaviyo/profile-bulk-import/NNNN.json to POST /api/profile-bulk-import-jobs
 * (in file-number order), follows the jobs until they finish, then sends each line of
 * DIR/klaviyo/events.jsonl to POST /api/events. Requests are paced under Klaviyo's
 * limits; 429 waits Retry-After (or backs off) and 5xx or a lost connection backs
 * off, a bounded number of times; any other answer stops the push with Klaviyo's
 * error detail and the file name. One line per job and a closing summary go to
 * stderr unless quiet. dry_run prints what would be sent on stdout and sends nothing.
 *
 * ENVIRONMENT (for cvo(1)):
 *   CVO_KLAVIYO_API_KEY   the private API key, required unless dry_run; never taken
 *                         from the command line, never printed. Scopes: profiles:write
 *                         lists:write events:write, and profiles:read lists:read to
 *                         follow the import jobs.
 *   CVO_KLAVIYO_BASE_URL  the API's base URL, default https://a.klaviyo.com; plain
 *                         http:// only for a loopback host (tests use a local server).
 *   CVO_KLAVIYO_WAIT      seconds to follow the import jobs until they are complete
 *                         (default 60, 0 to 3600; 0: submit and do not wait).
 *
 * Returns EXIT_OK; EXIT_REJECTS when a job finished with failed profiles or was
 * cancelled; EXIT_USAGE for a missing or unusable key, revision, base URL or wait;
 * EXIT_INPUT for missing, oversized or malformed files; EXIT_SYSTEM when Klaviyo
 * refused a request or could not be reached. */
int push_klaviyo(const char *dir, const char *revision, bool dry_run, bool quiet);

#endif
