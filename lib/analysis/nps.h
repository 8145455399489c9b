/* nps.h - internals of cvo_nps_load, shared by its files: reading the answers
 * (nps_read.c), joining them to customers and orders (nps_join.c), the counts and
 * NPS with intervals (nps_stats.c) and the words of the comments (nps_words.c).
 * Invariant: every record read is used, later than before_day, or rejected. */
#ifndef CVO_NPS_H
#define CVO_NPS_H

#include "base/arena.h"
#include "base/ctx.h"
#include "cvo.h"

/* ---- tally: text -> counts per class ------------------------------------------ */

typedef struct tally_entry {
    const char *text; /* NULL: empty slot */
    uint32_t len;
    uint64_t hash;
    uint64_t counts[CVO_NPS_CLASS__COUNT];
} tally_entry;

typedef struct tally {
    tally_entry *slots;
    size_t capacity; /* power of two */
    size_t used;
    size_t cap_keys;
} tally;

/* ---- the object ------------------------------------------------------------------ */

enum { COL_EMAIL, COL_SCORE, COL_DATE, COL_SURVEY, COL_COMMENT, COL_ORDER_ID, COL__COUNT };

struct cvo_nps {
    cvo_ctx *ctx;
    arena strings;
    cvo_nps_stats stats;
    cvo_nps_group overall;
    cvo_nps_group stages[CVO_NPS_STAGE__COUNT];
    cvo_nps_difference difference;
    cvo_nps_group *groups[CVO_NPS_BY__COUNT];
    size_t group_count[CVO_NPS_BY__COUNT];
    cvo_nps_term terms[CVO_NPS_CLASS__COUNT][2][CVO_NPS_TOP_TERMS];
    size_t term_count[CVO_NPS_CLASS__COUNT][2];
    cvo_nps_term (*segment_terms)[2][CVO_NPS_TOP_TERMS]; /* per segment, + not a customer */
    size_t (*segment_term_count)[2];
    size_t segment_term_rows;
    int8_t *last_score;   /* per customer, -1 none */
    int32_t *last_day;
    const char **last_comment; /* per customer, the latest response's comment (arena) */
    int8_t *post_score;        /* per customer, the latest post-delivery score, -1 none */
    int32_t *post_day;
    size_t customer_count;
};

/* Per-load state: the columns, the join index, and the running tallies. */
typedef struct nps_load {
    cvo_ctx *ctx;
    const cvo_nps_options *opt;
    const char *name;
    cvo_nps *nps;
    int columns[COL__COUNT];
    uint32_t header_fields;
    char *scratch[COL__COUNT];
    size_t scratch_cap[COL__COUNT];
    size_t *email_slots; /* customer index + 1, 0 empty */
    size_t email_capacity;
    uint64_t counts_stage[CVO_NPS_STAGE__COUNT][CVO_NPS_CLASS__COUNT];
    uint64_t *counts_segment; /* (segments + 1) x 3 */
    size_t segments;
    tally words, phrases, countries, months, products, categories;
    /* words and phrases by segment: keys are one byte (segment + 1), then the text */
    tally segment_words, segment_phrases;
    /* order_id join: (id hash, customer index + 1, order index) of every counted order */
    struct order_key *order_keys;
    size_t order_key_mask;
} nps_load;

typedef struct order_key {
    uint64_t id_hash; /* 0: empty slot */
    uint32_t customer_plus_one;
    uint32_t order;
} order_key;

/* A parsed, valid response. */
typedef struct response {
    int score;
    int32_t day;
    cvo_nps_stage stage;
    size_t customer; /* SIZE_MAX: not a customer */
    const cvo_order *order; /* the joined order, or NULL */
    bool by_order_id;       /* order (and customer) found by the order_id column */
} response;

/* ---- joining (nps_join.c) ------------------------------------------------------- */

/* The email index over the customers (first customer wins a shared email). */
cvo_status nps_build_email_index(nps_load *ld) CVO_MUST_USE;
/* Customer index of a raw email (trimmed, lower-cased here), or SIZE_MAX. */
size_t nps_find_customer(nps_load *ld, const char *email, size_t len);
/* Indexes every counted order by its id hash (first one wins), once, when the
 * file has an order_id column. */
cvo_status nps_build_order_index(nps_load *ld) CVO_MUST_USE;
/* The indexed order of an order_id, or NULL. */
const order_key *nps_find_order_id(const nps_load *ld, const char *id, size_t len);
/* Stage from the order when the survey column did not say; counts the joins. */
void nps_join_order(nps_load *ld, response *r);

/* ---- counting and results (nps_stats.c) ----------------------------------------- */

/* An empty tally of capacity slots (a power of two) taking at most cap_keys texts. */
cvo_status nps_tally_init(cvo_ctx *ctx, tally *t, size_t capacity, size_t cap_keys) CVO_MUST_USE;
/* Counts text once for nps_class; a new text beyond cap_keys is not counted. */
cvo_status nps_tally_add(cvo_ctx *ctx, arena *strings, tally *t, const char *text, size_t len,
                         cvo_nps_class nps_class) CVO_MUST_USE;
/* Returns whether r is now its customer's latest response. */
bool nps_remember_last(cvo_nps *nps, const response *r);
/* Keeps a customer's latest post-delivery score (for the deep dives). */
void nps_remember_post(cvo_nps *nps, const response *r);
/* Counts r by stage, segment, country, month, product and category. */
cvo_status nps_tally_groups(nps_load *ld, const response *r, cvo_nps_class cls) CVO_MUST_USE;
/* The groups and top terms of the load into ld->nps; CVO_ERR_EMPTY without a
 * usable response. */
cvo_status nps_finish(nps_load *ld) CVO_MUST_USE;

/* ---- words (nps_words.c) -------------------------------------------------------- */

/* Counts the words and two-word phrases of a comment for the class, and for the
 * segment keyed by segment_byte (0: none). */
cvo_status nps_count_comment(nps_load *ld, const char *text, size_t len, cvo_nps_class cls,
                             unsigned char segment_byte) CVO_MUST_USE;
/* The top words and phrases of each class, and of each segment, into ld->nps. */
cvo_status nps_rank_terms(nps_load *ld) CVO_MUST_USE;

#endif
