/* status.h - which order statuses count, per platform (issue 14). A status is
 * folded before it is matched: lower case, ' ' and '-' become '_', a leading
 * "wc_" (WooCommerce's internal prefix) is dropped, BigCommerce's numeric
 * status_id becomes its name. A status no rule names is unknown: the caller
 * rejects the order, since a store's own status may mean anything. */
#ifndef CVO_STATUS_H
#define CVO_STATUS_H

#include "base/ctx.h"

#define STATUS_NAME_BYTES 32
#define STATUS_MAX_LISTED 64

typedef enum status_class {
    STATUS_COUNTED = 0,
    STATUS_NOT_COUNTED,
    STATUS_UNKNOWN
} status_class;

typedef struct status_rules {
    cvo_format format;
    bool listed;      /* count_statuses given: it replaces the format's defaults */
    uint32_t counted_count, skipped_count;
    char counted[STATUS_MAX_LISTED][STATUS_NAME_BYTES];
    char skipped[STATUS_MAX_LISTED][STATUS_NAME_BYTES];
} status_rules;

/* Sets the rules of format from the comma-separated lists (NULL or "": none).
 * Errors: CVO_ERR_ARGUMENT (an empty or too long name, too many names). */
CVO_MUST_USE cvo_status status_rules_init(cvo_ctx *ctx, status_rules *rules, cvo_format format,
                                          const char *count_statuses, const char *skip_statuses);

/* Folds text into folded (NUL-terminated, cut to STATUS_NAME_BYTES - 1). */
void status_fold(const status_rules *rules, const char *text, size_t len,
                 char folded[STATUS_NAME_BYTES]);

/* What a folded status is under the rules. */
status_class status_classify(const status_rules *rules, const char *folded);

/* The known statuses of format, comma-separated, for messages. */
const char *status_known(cvo_format format);

#endif
