/* push.h - cvo analyze --push: reads the keys and base URLs from the environment,
 * builds the library's push options, calls cvo_klaviyo_push or cvo_gorgias_push
 * and prints their lines (progress and warnings on stderr, a dry run's plan on
 * stdout). The keys are never printed.
 *
 * ENVIRONMENT (for cvo(1)):
 *   CVO_KLAVIYO_API_KEY   the private API key (never on the command line)
 *   CVO_KLAVIYO_BASE_URL  default https://a.klaviyo.com; http:// only on loopback
 *   CVO_KLAVIYO_WAIT      seconds to follow the import jobs (default 60, 0 to 3600)
 *   CVO_GORGIAS_DOMAIN    the account: https://DOMAIN.gorgias.com
 *   CVO_GORGIAS_USER, CVO_GORGIAS_API_KEY   HTTP Basic user and REST API key
 *   CVO_GORGIAS_BASE_URL  replaces https://DOMAIN.gorgias.com; http:// only on loopback */
#ifndef CVO_CLI_PUSH_H
#define CVO_CLI_PUSH_H

#include "common.h"

typedef struct push_setup {
    const char *dir;
    const cvo_config *config;
    cvo_history *state;
    const cvo_id_key *id_key;
    int32_t as_of_day;
    bool dry_run, quiet;
} push_setup;

/* Each adds what it sent and skipped to *sent, and returns EXIT_OK; EXIT_REJECTS when a Klaviyo job lost profiles or was
 * cancelled; EXIT_USAGE for unusable settings; EXIT_INPUT for missing or
 * malformed files; EXIT_SYSTEM when the service refused, could not be reached,
 * left an outcome unknown, or the ledger could not be written. */
int push_klaviyo(cvo_ctx *ctx, const push_setup *setup, cvo_push_result *sent);
int push_gorgias(cvo_ctx *ctx, const push_setup *setup, cvo_push_result *sent);

#endif
