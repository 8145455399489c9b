/* history_run.h - what cvo analyze does with --db, --as-of and --backfill:
 * the table as of a day, monthly snapshots of the whole history, the
 * migration for the writers and the snapshot recorded after the run. */
#ifndef CVO_CLI_HISTORY_RUN_H
#define CVO_CLI_HISTORY_RUN_H

#include "common.h"

/* Parses --as-of (NULL: none, *day INT32_MIN). Returns -1 to go on or EXIT_USAGE. */
int history_parse_as_of(const char *text, int32_t *day);
/* Replaces *customers by the table as it stood on day (orders before it); the
 * new table borrows the strings of the old one, which moves to *source (the
 * caller frees it after the new one). Returns -1 to go on or an exit code. */
int history_as_of(cvo_ctx *ctx, cvo_customers **customers, int32_t day, cvo_customers **source);
/* Opens FILE of --db; returns -1 to go on or an exit code. */
int history_open(cvo_ctx *ctx, const char *path, cvo_history **out);
/* One snapshot per month start after the first order month, before end_day
 * (exclusive), each from the orders before it. Returns -1 or an exit code. */
int history_backfill(cvo_ctx *ctx, cvo_history *h, const cvo_customers *all,
                     const cvo_config *config, int32_t end_day, bool quiet);
/* Records the snapshot of a (the created time: SOURCE_DATE_EPOCH when set,
 * else now). CVO_TEST_HISTORY_PAUSE=SECONDS makes it say "recording" on stderr
 * and sleep that long before the commit (for the crash test). */
int history_record(cvo_ctx *ctx, cvo_history *h, const cvo_analysis *a, bool quiet);
/* Record options stamped created_unix, with the CVO_TEST_HISTORY_PAUSE hook
 * when it is set (*pause_seconds holds its value and must outlive the call). */
cvo_history_record_options history_record_options(int64_t created_unix, double *pause_seconds);

#endif
