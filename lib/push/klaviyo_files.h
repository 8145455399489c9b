/* klaviyo_files.h - the Klaviyo files cvo analyze wrote, as the push reads them:
 * the bulk-import bodies in number order, each profile's keyed customer and the
 * names of the properties it sets, and the event lines. Everything is checked
 * before the first request. */
#ifndef CVO_PUSH_KLAVIYO_FILES_H
#define CVO_PUSH_KLAVIYO_FILES_H

#include "base/ctx.h"
#include "base/hmac.h"
#include "history/state.h"
#include "push/jsonread.h"

#include <stdbool.h>
#include <stddef.h>

enum {
    KLAVIYO_BODY_MAX = 5000000, /* Klaviyo's payload limit, as lib/output/klaviyo.c counts it */
    KLAVIYO_BULK_FILES_MAX = 100000,
    KLAVIYO_EVENTS_MAX = 10000000,
    KLAVIYO_PATH_BYTES = 4096,
    KLAVIYO_JOB_ID_MAX = 64
};

/* One bulk body and what became of it. */
typedef struct bulk_file {
    char name[16]; /* "0001.json" */
    size_t bytes, profiles;
    char job_id[KLAVIYO_JOB_ID_MAX];
    char sha[2 * SHA256_BYTES + 1]; /* of the bytes sent: the bulk ledger's key */
    char status[16];                /* the job's, once known */
    long long completed, failed;    /* -1 until known */
    bool sent, followed;
} bulk_file;

typedef struct klaviyo_files {
    cvo_ctx *ctx;
    char bulk_dir[KLAVIYO_PATH_BYTES], events_path[KLAVIYO_PATH_BYTES];
    char withdrawn_path[KLAVIYO_PATH_BYTES]; /* withdrawn.jsonl: may be missing */
    bulk_file *bulk;
    size_t bulk_count, profiles, events;
} klaviyo_files;

/* Lists and checks DIR/klaviyo/profile-bulk-import/NNNN.json and
 * DIR/klaviyo/events.jsonl. Errors: CVO_ERR_IO (missing, unreadable),
 * CVO_ERR_FORMAT (not what analyze writes), CVO_ERR_LIMIT, CVO_ERR_NOMEM. */
cvo_status klaviyo_files_plan(klaviyo_files *f, cvo_ctx *ctx, const char *dir) CVO_MUST_USE;
void klaviyo_files_free(klaviyo_files *f);

/* Reads body i (NUL-terminated, *text the caller's to mem_free). */
cvo_status klaviyo_files_read(klaviyo_files *f, size_t i, char **text, size_t *len) CVO_MUST_USE;

/* One profile of a parsed body. */
typedef struct bulk_profile {
    json_t *profile; /* the element of profiles.data */
    const char *email, *external_id;
    char customer[KEYED_HEX + 1]; /* keyed_customer of the two */
    char names[STATE_NAMES_MAX];  /* its property names with a value, sorted, each + '\n' */
} bulk_profile;

/* The profiles array of a parsed bulk body (NULL when the shape is wrong). */
json_t *klaviyo_body_profiles(json_t *body);
/* Fills *p from element `index` of profiles; false when it has no identifier or
 * its names do not fit. */
bool klaviyo_profile_at(json_t *profiles, size_t index, const cvo_id_key *key, bulk_profile *p);

/* One line of events.jsonl: called with its 1-based number and the parsed body. */
typedef cvo_status (*event_visit)(void *user, unsigned long number, const char *line, size_t len,
                                  json_t *event);
/* Calls visit for each non-blank line in order; stops at its first failure. */
cvo_status klaviyo_events_each(klaviyo_files *f, event_visit visit, void *user) CVO_MUST_USE;

/* One line of withdrawn.jsonl (a profile's identifiers: a customer who no
 * longer accepts marketing) as *p with no property names; called in order.
 * A missing file has no line. */
typedef cvo_status (*withdrawn_visit)(void *user, unsigned long number, const bulk_profile *p);
cvo_status klaviyo_withdrawn_each(klaviyo_files *f, const cvo_id_key *key, withdrawn_visit visit,
                                  void *user) CVO_MUST_USE;

/* Names (sorted, '\n'-terminated) in a and not in b, into out; their count. */
size_t names_minus(const char *a, const char *b, char out[STATE_NAMES_MAX]);
/* The names in a or b, into out; false when they do not fit. */
bool names_union(const char *a, const char *b, char out[STATE_NAMES_MAX]);

#endif
