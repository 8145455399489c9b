/* nps.c - Net Promoter Score answers: a strict reader (every record used or
 * rejected with line and reason), the join to customers and orders, NPS with
 * intervals per group, and the frequent words of each class's comments. */
#include "base/arena.h"
#include "base/ctx.h"
#include "base/hash.h"
#include "io/datetime.h"
#include "io/header.h"
#include "io/reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct words or phrases kept per table; later new ones are not counted.
 * (Belongs in base/limits.h; kept here until that file can take it.) */
#define NPS_MAX_TERMS (1u << 20)
/* Distinct countries or months; more fall into "(other)". */
#define NPS_MAX_KEYS 4096u
/* Bytes of one word of a comment (longer ones are cut). */
#define NPS_WORD_BYTES 256
/* Bytes of a product name or SKU in a by-product key. */
#define NPS_LABEL_BYTES 120
#define NPS_Z95 1.959963984540054

/* ---- names and numbers ------------------------------------------------------ */

const char *cvo_nps_stage_name(cvo_nps_stage stage)
{
    static const char *const names[] = {"pre_delivery", "post_delivery", "unknown"};
    return (unsigned)stage < CVO_NPS_STAGE__COUNT ? names[stage] : "?";
}

const char *cvo_nps_class_name(cvo_nps_class nps_class)
{
    static const char *const names[] = {"detractor", "passive", "promoter"};
    return (unsigned)nps_class < CVO_NPS_CLASS__COUNT ? names[nps_class] : "?";
}

const char *cvo_nps_reject_reason_name(cvo_nps_reject_reason reason)
{
    static const char *const names[] = {
        "field count", "no email",        "bad score",          "no date",
        "bad date",    "record too long", "unterminated quote", "future date"};
    return (unsigned)reason < CVO_NPS_REJECT__COUNT ? names[reason] : "?";
}

cvo_nps_class cvo_nps_class_of(int score)
{
    return score <= 6 ? CVO_NPS_DETRACTOR : score <= 8 ? CVO_NPS_PASSIVE : CVO_NPS_PROMOTER;
}

static double clamp(double value, double limit)
{
    return value < -limit ? -limit : value > limit ? limit : value;
}

/* Var(NPS) = 100^2 (p + d - (p - d)^2) / n; 0 for an empty group. */
static double nps_variance(const cvo_nps_group *g)
{
    if (g->n == 0)
        return 0;
    double p = (double)g->promoters / (double)g->n, d = (double)g->detractors / (double)g->n;
    double v = 1e4 * (p + d - (p - d) * (p - d)) / (double)g->n;
    return v > 0 ? v : 0;
}

void cvo_nps_group_compute(uint64_t promoters, uint64_t passives, uint64_t detractors,
                           uint64_t min_group, cvo_nps_group *out)
{
    memset(out, 0, sizeof *out);
    out->promoters = promoters;
    out->passives = passives;
    out->detractors = detractors;
    out->n = promoters + passives + detractors;
    out->small = out->n < min_group;
    if (out->n == 0)
        return;
    out->nps = 100.0 * ((double)promoters - (double)detractors) / (double)out->n;
    double half = NPS_Z95 * sqrt(nps_variance(out));
    out->ci_low = clamp(out->nps - half, 100);
    out->ci_high = clamp(out->nps + half, 100);
}

void cvo_nps_difference_compute(const cvo_nps_group *a, const cvo_nps_group *b,
                                cvo_nps_difference *out)
{
    memset(out, 0, sizeof *out);
    if (a->n == 0 || b->n == 0)
        return;
    out->available = true;
    out->difference = a->nps - b->nps;
    double half = NPS_Z95 * sqrt(nps_variance(a) + nps_variance(b));
    out->ci_low = clamp(out->difference - half, 200);
    out->ci_high = clamp(out->difference + half, 200);
}

void cvo_nps_options_init(cvo_nps_options *options)
{
    memset(options, 0, sizeof *options);
    options->min_group = 30;
    options->delivery_days = 5;
    options->transit_days = 3;
    options->before_day = INT32_MAX;
    options->latest_day = INT32_MAX;
}

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

static cvo_status tally_init(cvo_ctx *ctx, tally *t, size_t capacity, size_t cap_keys)
{
    t->slots = mem_zarray(ctx, capacity, sizeof *t->slots);
    t->capacity = capacity;
    t->used = 0;
    t->cap_keys = cap_keys;
    return t->slots ? CVO_OK : ctx_nomem(ctx);
}

static tally_entry *tally_slot(tally_entry *slots, size_t capacity, const char *text, size_t len,
                               uint64_t hash)
{
    size_t i = (size_t)hash & (capacity - 1);
    while (slots[i].text != NULL &&
           !(slots[i].hash == hash && slots[i].len == len && memcmp(slots[i].text, text, len) == 0))
        i = (i + 1) & (capacity - 1);
    return &slots[i];
}

static cvo_status tally_grow(cvo_ctx *ctx, tally *t)
{
    size_t capacity = t->capacity * 2;
    tally_entry *slots = mem_zarray(ctx, capacity, sizeof *slots);
    if (slots == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].text != NULL)
            *tally_slot(slots, capacity, t->slots[i].text, t->slots[i].len, t->slots[i].hash) =
                t->slots[i];
    mem_free(ctx, t->slots);
    t->slots = slots;
    t->capacity = capacity;
    return CVO_OK;
}

/* Counts text once for nps_class; a new text beyond cap_keys is not counted. */
static cvo_status tally_add(cvo_ctx *ctx, arena *strings, tally *t, const char *text, size_t len,
                            cvo_nps_class nps_class)
{
    uint64_t hash = hash_bytes(text, len, 0x6e7073);
    tally_entry *e = tally_slot(t->slots, t->capacity, text, len, hash);
    if (e->text == NULL) {
        if (t->used >= t->cap_keys)
            return CVO_OK;
        if (2 * (t->used + 1) > t->capacity) {
            CVO_TRY(tally_grow(ctx, t));
            e = tally_slot(t->slots, t->capacity, text, len, hash);
        }
        e->text = arena_strndup(strings, text, len);
        if (e->text == NULL)
            return ctx_nomem(ctx);
        e->len = (uint32_t)len;
        e->hash = hash;
        t->used++;
    }
    e->counts[nps_class]++;
    return CVO_OK;
}

/* ---- the object ------------------------------------------------------------------ */

enum { COL_EMAIL, COL_SCORE, COL_DATE, COL_SURVEY, COL_COMMENT, COL_ORDER_ID, COL__COUNT };

static const char *const column_fields[COL__COUNT] = {"email",  "score",   "submitted_at",
                                                      "survey", "comment", "order_id"};

/* Folded header names per column, best first. */
static const char *const column_aliases[COL__COUNT][12] = {
    [COL_EMAIL] = {"email", "person_properties_email", "email_address", "customer_email",
                   "respondent_email", "person_email", "e_mail", NULL},
    [COL_SCORE] = {"score", "nps", "nps_score", "rating", "likelihood_to_recommend", NULL},
    [COL_DATE] = {"submitted_at", "responded_at", "created_at", "submit_date_(utc)",
                  "submitted", "response_date", "end_date", "date", "timestamp", NULL},
    [COL_SURVEY] = {"survey", "survey_name", "stage", "survey_stage", NULL},
    [COL_COMMENT] = {"comment", "comments", "feedback", "reason", "text", NULL},
    [COL_ORDER_ID] = {"order_id", "order_number", "order", NULL},
};

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

/* ---- header --------------------------------------------------------------------- */

static void fold_name(const char *text, size_t len, char *out, size_t cap)
{
    while (len > 0 && (*text == ' ' || *text == '\t' || *text == '"')) {
        text++;
        len--;
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' ||
                       text[len - 1] == '"'))
        len--;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char ch = text[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch == ' ' || ch == '-' || ch == '.')
            ch = '_';
        out[n++] = ch;
    }
    out[n] = '\0';
}

static int header_find(const csv_record *header, const char *folded)
{
    for (uint32_t i = 0; i < header->stored; i++) {
        char name[128];
        fold_name(header->fields[i].ptr, header->fields[i].len, name, sizeof name);
        if (strcmp(name, folded) == 0)
            return (int)i;
    }
    return -1;
}

static int field_index(const char *text, size_t len)
{
    for (int c = 0; c < COL__COUNT; c++)
        if (strlen(column_fields[c]) == len && memcmp(column_fields[c], text, len) == 0)
            return c;
    return -1;
}

/* One "field=Header" item of the column map. */
static cvo_status map_item(nps_load *ld, const csv_record *header, const char *item, size_t len)
{
    const char *eq = memchr(item, '=', len);
    int field = eq ? field_index(item, (size_t)(eq - item)) : -1;
    if (field < 0)
        return ctx_fail(ld->ctx, CVO_ERR_ARGUMENT,
                        "column map: '%.*s' is not field=Header with a field of email, score, "
                        "submitted_at, survey, comment, order_id",
                        (int)len, item);
    char folded[128];
    fold_name(eq + 1, len - (size_t)(eq + 1 - item), folded, sizeof folded);
    ld->columns[field] = header_find(header, folded);
    if (ld->columns[field] < 0)
        return ctx_fail(ld->ctx, CVO_ERR_FORMAT, "%s: column map %.*s: no such column in the header",
                        ld->name, (int)len, item);
    return CVO_OK;
}

static cvo_status apply_map(nps_load *ld, const csv_record *header, const char *map)
{
    while (map != NULL && *map != '\0') {
        const char *comma = strchr(map, ',');
        size_t len = comma ? (size_t)(comma - map) : strlen(map);
        if (len > 0)
            CVO_TRY(map_item(ld, header, map, len));
        map = comma ? comma + 1 : NULL;
    }
    return CVO_OK;
}

static cvo_status map_header(nps_load *ld, const csv_record *header)
{
    CVO_TRY(header_check(ld->ctx, ld->name, header, fold_name));
    for (int c = 0; c < COL__COUNT; c++) {
        ld->columns[c] = -1;
        for (int a = 0; column_aliases[c][a] != NULL && ld->columns[c] < 0; a++)
            ld->columns[c] = header_find(header, column_aliases[c][a]);
    }
    ld->header_fields = header->count;
    CVO_TRY(apply_map(ld, header, ld->opt->column_map));
    if (ld->columns[COL_EMAIL] < 0 || ld->columns[COL_SCORE] < 0 || ld->columns[COL_DATE] < 0)
        return ctx_fail(ld->ctx, CVO_ERR_FORMAT,
                        "%s:1: NPS responses need the columns email, score and submitted_at "
                        "(or Delighted's person_properties.email, score, created_at; name "
                        "others with --map field=Header)",
                        ld->name);
    return CVO_OK;
}

/* ---- fields ------------------------------------------------------------------------ */

/* The unescaped, blank-trimmed value of column c ("" when absent). */
static cvo_status field(nps_load *ld, const csv_record *rec, int c, const char **text,
                        size_t *len)
{
    *text = "";
    *len = 0;
    int col = ld->columns[c];
    if (col < 0 || (uint32_t)col >= rec->stored)
        return CVO_OK;
    const csv_field *f = &rec->fields[col];
    const char *p = f->ptr;
    size_t n = f->len;
    if (f->needs_unescape) {
        if (ld->scratch_cap[c] < n + 1) {
            char *grown = mem_realloc(ld->ctx, ld->scratch[c], n + 1);
            if (grown == NULL)
                return ctx_nomem(ld->ctx);
            ld->scratch[c] = grown;
            ld->scratch_cap[c] = n + 1;
        }
        n = csv_unescape(f, ld->scratch[c]);
        p = ld->scratch[c];
    }
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    *text = p;
    *len = n;
    return CVO_OK;
}

/* An integer 0..10 written with digits only; -1 otherwise. */
static int parse_score(const char *text, size_t len)
{
    if (len == 0 || len > 2)
        return -1;
    int value = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value <= 10 ? value : -1;
}

/* Unix seconds (nine to eleven digits) to the UTC day. */
static bool parse_unix(const char *text, size_t len, int32_t *day)
{
    if (len < 9 || len > 11)
        return false;
    int64_t seconds = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        seconds = seconds * 10 + (text[i] - '0');
    }
    *day = (int32_t)(seconds / 86400);
    return true;
}

/* "pre_delivery" / "post_delivery" in any case with '_', '-' or blanks
 * (or none) between the words; CVO_NPS_STAGE_UNKNOWN otherwise. */
static cvo_nps_stage parse_stage(const char *text, size_t len)
{
    char folded[32];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '_' || ch == '-' || ch == ' ')
            continue;
        if (n + 1 >= sizeof folded)
            return CVO_NPS_STAGE_UNKNOWN;
        folded[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    folded[n] = '\0';
    if (strcmp(folded, "predelivery") == 0)
        return CVO_NPS_PRE_DELIVERY;
    if (strcmp(folded, "postdelivery") == 0)
        return CVO_NPS_POST_DELIVERY;
    return CVO_NPS_STAGE_UNKNOWN;
}

/* ---- joining ----------------------------------------------------------------------- */

static uint64_t email_hash(const char *text, size_t len)
{
    return hash_bytes(text, len, 0x656d61696c);
}

static size_t *email_slot(nps_load *ld, const char *email, size_t len)
{
    const cvo_customers *customers = ld->opt->customers;
    size_t mask = ld->email_capacity - 1;
    size_t i = (size_t)email_hash(email, len) & mask;
    while (ld->email_slots[i] != 0) {
        const char *known = cvo_customers_at(customers, ld->email_slots[i] - 1)->email;
        if (strlen(known) == len && memcmp(known, email, len) == 0)
            break;
        i = (i + 1) & mask;
    }
    return &ld->email_slots[i];
}

/* The email index over the customers (first customer wins a shared email). */
static cvo_status build_email_index(nps_load *ld)
{
    size_t count = ld->opt->customers ? cvo_customers_count(ld->opt->customers) : 0;
    ld->email_capacity = 16;
    while (ld->email_capacity < 2 * count)
        ld->email_capacity *= 2;
    ld->email_slots = mem_zarray(ld->ctx, ld->email_capacity, sizeof *ld->email_slots);
    if (ld->email_slots == NULL)
        return ctx_nomem(ld->ctx);
    for (size_t i = 0; i < count; i++) {
        const char *email = cvo_customers_at(ld->opt->customers, i)->email;
        size_t *slot = email[0] ? email_slot(ld, email, strlen(email)) : NULL;
        if (slot != NULL && *slot == 0)
            *slot = i + 1;
    }
    return CVO_OK;
}

/* Customer index of a raw email (trimmed, lower-cased here), or SIZE_MAX. */
static size_t find_customer(nps_load *ld, const char *email, size_t len)
{
    char folded[320];
    if (ld->opt->customers == NULL || len >= sizeof folded)
        return SIZE_MAX;
    for (size_t i = 0; i < len; i++)
        folded[i] = (char)(email[i] >= 'A' && email[i] <= 'Z' ? email[i] - 'A' + 'a' : email[i]);
    size_t slot = *email_slot(ld, folded, len);
    return slot ? slot - 1 : SIZE_MAX;
}

/* The order of customer index on or before day (the latest), or NULL. */
static const cvo_order *order_on_or_before(const cvo_customers *customers, size_t index,
                                           int32_t day)
{
    size_t count = 0;
    const cvo_order *orders = cvo_customers_orders(customers, index, &count);
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (orders[mid].day <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 ? &orders[lo - 1] : NULL;
}

/* Indexes every counted order by its id hash (first one wins), once, when the
 * file has an order_id column. */
static cvo_status build_order_index(nps_load *ld)
{
    const cvo_customers *c = ld->opt->customers;
    size_t total = 0, count = cvo_customers_count(c), n;
    for (size_t i = 0; i < count; i++) {
        cvo_customers_orders(c, i, &n);
        total += n;
    }
    size_t size = 64;
    while (size < 2 * total)
        size *= 2;
    ld->order_keys = mem_zarray(ld->ctx, size, sizeof *ld->order_keys);
    if (ld->order_keys == NULL)
        return ctx_nomem(ld->ctx);
    ld->order_key_mask = size - 1;
    for (size_t i = 0; i < count && i < UINT32_MAX; i++) {
        const cvo_order *orders = cvo_customers_orders(c, i, &n);
        for (size_t k = 0; k < n && k < UINT32_MAX; k++) {
            uint64_t h = orders[k].id_hash;
            size_t s = (size_t)hash_mix64(h) & ld->order_key_mask;
            while (h != 0 && ld->order_keys[s].id_hash != 0 && ld->order_keys[s].id_hash != h)
                s = (s + 1) & ld->order_key_mask;
            if (h != 0 && ld->order_keys[s].id_hash == 0)
                ld->order_keys[s] = (order_key){h, (uint32_t)i + 1, (uint32_t)k};
        }
    }
    return CVO_OK;
}

static const order_key *find_order_id(const nps_load *ld, const char *id, size_t len)
{
    uint64_t h = cvo_order_id_hash(id, len);
    if (h == 0 || ld->order_keys == NULL)
        return NULL;
    size_t s = (size_t)hash_mix64(h) & ld->order_key_mask;
    for (; ld->order_keys[s].id_hash != 0; s = (s + 1) & ld->order_key_mask)
        if (ld->order_keys[s].id_hash == h)
            return &ld->order_keys[s];
    return NULL;
}

/* ---- words --------------------------------------------------------------------------- */

/* Sorted for bsearch. */
static const char *const stop_words[] = {
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "both", "but", "by", "can", "could", "did",
    "didn't", "do", "does", "doesn't", "don't", "each", "even", "every", "for", "from", "get",
    "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "i'd", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "just",
    "me", "more", "most", "my", "no", "nor", "not", "now", "of", "on", "once", "one", "only",
    "or", "other", "our", "ours", "out", "over", "own", "really", "same", "she", "so", "some",
    "such", "than", "that", "that's", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "through", "to", "too", "up", "us", "very", "was", "wasn't", "we", "were",
    "what", "when", "where", "which", "while", "who", "why", "will", "with", "would", "you",
    "your",
};

static int compare_text(const void *key, const void *item)
{
    return strcmp((const char *)key, *(const char *const *)item);
}

static bool is_stop_word(const char *word)
{
    return bsearch(word, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words,
                   compare_text) != NULL;
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0. */
static size_t utf8_length(const unsigned char *p, size_t avail, uint32_t *code)
{
    size_t n = p[0] >= 0xf0 && p[0] < 0xf5 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || n > avail)
        return 0;
    uint32_t c = p[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3fu);
    }
    *code = c;
    return n;
}

/* Non-ASCII code points that separate words: Latin-1 punctuation and signs,
 * general punctuation (dashes, quotes, spaces) and CJK punctuation. */
static bool is_separator(uint32_t code)
{
    return (code >= 0x80 && code <= 0xbf) || code == 0xd7 || code == 0xf7 ||
           (code >= 0x2000 && code <= 0x206f) || (code >= 0x3000 && code <= 0x303f) ||
           code == 0xfeff;
}

typedef struct word_buf {
    char text[NPS_WORD_BYTES];
    size_t len;
    bool apostrophe; /* an apostrophe waits: kept only when a letter follows */
} word_buf;

static void word_put(word_buf *w, const char *bytes, size_t n)
{
    if (w->apostrophe && w->len > 0 && w->len + 1 < sizeof w->text)
        w->text[w->len++] = '\'';
    w->apostrophe = false;
    if (w->len + n < sizeof w->text) {
        memcpy(w->text + w->len, bytes, n);
        w->len += n;
    }
}

/* Reads one character at text[*i] into w; false when it ends a word. */
static bool word_step(word_buf *w, const char *text, size_t len, size_t *i)
{
    unsigned char ch = (unsigned char)text[*i];
    if (ch < 0x80) {
        (*i)++;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
            char lower = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
            word_put(w, &lower, 1);
            return true;
        }
        w->apostrophe = ch == '\'' && w->len > 0 && !w->apostrophe;
        return ch == '\'' && w->apostrophe;
    }
    uint32_t code = 0;
    size_t n = utf8_length((const unsigned char *)text + *i, len - *i, &code);
    if (n == 0) {
        (*i)++;
        return false;
    }
    *i += n;
    if (code == 0x2019) { /* right single quotation mark: an apostrophe */
        w->apostrophe = w->len > 0 && !w->apostrophe;
        return w->apostrophe;
    }
    if (is_separator(code))
        return false;
    char bytes[4];
    memcpy(bytes, text + *i - n, n);
    if (n == 2 && code >= 0xc0 && code <= 0xde) /* Latin-1 capitals */
        bytes[1] = (char)(bytes[1] + 0x20);
    word_put(w, bytes, n);
    return true;
}

/* The next word of text from *i into w (lower case); false at the end. */
static bool next_word(const char *text, size_t len, size_t *i, word_buf *w)
{
    w->len = 0;
    w->apostrophe = false;
    while (*i < len) {
        if (!word_step(w, text, len, i) && w->len > 0)
            break;
    }
    w->text[w->len] = '\0';
    return w->len > 0;
}

/* Counts a term for the class, and for the segment (segment_byte 0: none). */
static cvo_status count_term(nps_load *ld, tally *all, tally *by_segment, const char *text,
                             size_t len, cvo_nps_class cls, unsigned char segment_byte)
{
    arena *strings = &ld->nps->strings;
    CVO_TRY(tally_add(ld->ctx, strings, all, text, len, cls));
    if (segment_byte == 0)
        return CVO_OK;
    char keyed[2 * NPS_WORD_BYTES + 2];
    keyed[0] = (char)segment_byte;
    memcpy(keyed + 1, text, len);
    return tally_add(ld->ctx, strings, by_segment, keyed, len + 1, cls);
}

static cvo_status count_comment(nps_load *ld, const char *text, size_t len, cvo_nps_class cls,
                                unsigned char segment_byte)
{
    word_buf word, previous = {{0}, 0, false};
    size_t i = 0;
    while (next_word(text, len, &i, &word)) {
        bool stop = is_stop_word(word.text);
        if (!stop)
            CVO_TRY(count_term(ld, &ld->words, &ld->segment_words, word.text, word.len, cls,
                               segment_byte));
        if (!stop && previous.len > 0) {
            char phrase[2 * sizeof word.text];
            memcpy(phrase, previous.text, previous.len);
            phrase[previous.len] = ' ';
            memcpy(phrase + previous.len + 1, word.text, word.len);
            CVO_TRY(count_term(ld, &ld->phrases, &ld->segment_phrases, phrase,
                               previous.len + 1 + word.len, cls, segment_byte));
        }
        previous.len = stop ? 0 : word.len;
        if (!stop)
            memcpy(previous.text, word.text, word.len + 1);
    }
    return CVO_OK;
}

/* ---- one response -------------------------------------------------------------------- */

static cvo_status reject(nps_load *ld, const csv_record *rec, uint64_t line,
                         cvo_nps_reject_reason reason, const char *detail)
{
    ld->nps->stats.rejected++;
    ld->nps->stats.rejected_by_reason[reason]++;
    if (ld->opt->on_reject == NULL)
        return CVO_OK;
    cvo_nps_reject r = {line, reason, detail, rec ? rec->raw : "", rec ? rec->raw_len : 0};
    return ld->opt->on_reject(ld->opt->reject_user_data, &r);
}

/* A parsed, valid response. */
typedef struct response {
    int score;
    int32_t day;
    cvo_nps_stage stage;
    size_t customer; /* SIZE_MAX: not a customer */
    const cvo_order *order; /* the joined order, or NULL */
    bool by_order_id;       /* order (and customer) found by the order_id column */
} response;

static cvo_status parse_date(nps_load *ld, const csv_record *rec, int32_t *day, bool *ok)
{
    const char *text;
    size_t len;
    CVO_TRY(field(ld, rec, COL_DATE, &text, &len));
    char detail[160];
    *ok = false;
    if (len == 0)
        return reject(ld, rec, rec->line, CVO_NPS_REJECT_NO_DATE, "empty submitted_at");
    int shown = (int)(len > 64 ? 64 : len);
    if (!parse_unix(text, len, day) && date_parse_auto(text, len, day) != DATE_OK) {
        snprintf(detail, sizeof detail, "bad date '%.*s' in column submitted_at", shown, text);
        return reject(ld, rec, rec->line, CVO_NPS_REJECT_BAD_DATE, detail);
    }
    if (*day > ld->opt->latest_day) {
        char latest[11];
        cvo_day_format(ld->opt->latest_day, latest);
        snprintf(detail, sizeof detail, "future date '%.*s' in column submitted_at (after %s)",
                 shown, text, latest);
        return reject(ld, rec, rec->line, CVO_NPS_REJECT_FUTURE_DATE, detail);
    }
    *ok = true;
    return CVO_OK;
}

/* Fills r from rec, or rejects rec (*ok false). */
static cvo_status parse_response(nps_load *ld, const csv_record *rec, response *r, bool *ok)
{
    const char *text;
    size_t len;
    char detail[160];
    *ok = false;
    if (rec->count != ld->header_fields) {
        snprintf(detail, sizeof detail, "%u fields, the header has %u", (unsigned)rec->count,
                 (unsigned)ld->header_fields);
        return reject(ld, rec, rec->line, CVO_NPS_REJECT_FIELD_COUNT, detail);
    }
    CVO_TRY(field(ld, rec, COL_SCORE, &text, &len));
    r->score = parse_score(text, len);
    if (r->score < 0) {
        snprintf(detail, sizeof detail, "score '%.*s' is not an integer from 0 to 10",
                 (int)(len > 64 ? 64 : len), text);
        return reject(ld, rec, rec->line, CVO_NPS_REJECT_BAD_SCORE, detail);
    }
    CVO_TRY(field(ld, rec, COL_EMAIL, &text, &len));
    if (len == 0)
        return reject(ld, rec, rec->line, CVO_NPS_REJECT_NO_EMAIL, "empty email");
    r->customer = find_customer(ld, text, len);
    CVO_TRY(parse_date(ld, rec, &r->day, ok));
    if (!*ok)
        return CVO_OK;
    CVO_TRY(field(ld, rec, COL_SURVEY, &text, &len));
    r->stage = parse_stage(text, len);
    r->order = NULL;
    CVO_TRY(field(ld, rec, COL_ORDER_ID, &text, &len));
    const order_key *k = len > 0 ? find_order_id(ld, text, len) : NULL;
    r->by_order_id = k != NULL;
    if (k != NULL) {
        size_t n;
        r->customer = k->customer_plus_one - 1;
        r->order = cvo_customers_orders(ld->opt->customers, r->customer, &n) + k->order;
    }
    return CVO_OK;
}

/* When the joined order reached the customer (see cvo.h: NPS, Stage). */
static int32_t delivery_day(const nps_load *ld, const cvo_order *o)
{
    if (o->delivered_day != INT32_MIN)
        return o->delivered_day;
    if (o->fulfilled_day != INT32_MIN)
        return o->fulfilled_day + ld->opt->transit_days;
    return o->day + ld->opt->delivery_days;
}

/* Stage from the order when the survey column did not say; counts the joins. */
static void join_order(nps_load *ld, response *r)
{
    cvo_nps_stats *st = &ld->nps->stats;
    if (r->stage != CVO_NPS_STAGE_UNKNOWN)
        st->stage_from_survey++;
    if (r->customer == SIZE_MAX)
        return;
    st->joined_customers++;
    st->joined_by_order_id += r->by_order_id;
    if (r->order == NULL)
        r->order = order_on_or_before(ld->opt->customers, r->customer, r->day);
    if (r->order == NULL)
        return;
    st->joined_orders++;
    if (r->stage == CVO_NPS_STAGE_UNKNOWN) {
        r->stage = r->day < delivery_day(ld, r->order) ? CVO_NPS_PRE_DELIVERY
                                                       : CVO_NPS_POST_DELIVERY;
        st->stage_inferred++;
    }
}

/* The products and categories of the joined order, each counted once. */
static cvo_status tally_products(nps_load *ld, const response *r, cvo_nps_class cls)
{
    if (r->order == NULL)
        return CVO_OK;
    const cvo_customers *c = ld->opt->customers;
    size_t n;
    const uint32_t *products = cvo_customers_order_products(c, r->order, &n);
    for (size_t k = 0; k < n; k++) {
        const cvo_product *p = cvo_customers_product(c, products[k]);
        char label[2 * NPS_LABEL_BYTES + 4];
        int len = p->sku[0] && p->name[0]
                      ? snprintf(label, sizeof label, "%.*s (%.*s)", NPS_LABEL_BYTES, p->name,
                                 NPS_LABEL_BYTES, p->sku)
                      : snprintf(label, sizeof label, "%.*s", NPS_LABEL_BYTES,
                                 p->sku[0] ? p->sku : p->name);
        CVO_TRY(tally_add(ld->ctx, &ld->nps->strings, &ld->products, label, (size_t)len, cls));
        bool repeated = false; /* a category already counted for this order */
        for (size_t j = 0; j < k && !repeated; j++)
            repeated = strcmp(cvo_customers_product(c, products[j])->category, p->category) == 0;
        if (!repeated)
            CVO_TRY(tally_add(ld->ctx, &ld->nps->strings, &ld->categories, p->category,
                              strlen(p->category), cls));
    }
    return CVO_OK;
}

/* Returns whether r is now its customer's latest response. */
static bool remember_last(cvo_nps *nps, const response *r)
{
    if (r->customer == SIZE_MAX || r->customer >= nps->customer_count)
        return false;
    if (nps->last_score[r->customer] < 0 || r->day >= nps->last_day[r->customer]) {
        nps->last_score[r->customer] = (int8_t)r->score;
        nps->last_day[r->customer] = r->day;
        return true;
    }
    return false;
}

/* Keeps a customer's latest post-delivery score (for the deep dives). */
static void remember_post(cvo_nps *nps, const response *r)
{
    if (r->stage != CVO_NPS_POST_DELIVERY || r->customer >= nps->customer_count)
        return;
    if (nps->post_score[r->customer] < 0 || r->day >= nps->post_day[r->customer]) {
        nps->post_score[r->customer] = (int8_t)r->score;
        nps->post_day[r->customer] = r->day;
    }
}

static cvo_status tally_groups(nps_load *ld, const response *r, cvo_nps_class cls)
{
    ld->counts_stage[r->stage][cls]++;
    if (ld->counts_segment != NULL) {
        size_t segment = ld->segments;
        if (r->customer != SIZE_MAX)
            segment = cvo_rfm_scores(ld->opt->rfm)[r->customer].segment;
        ld->counts_segment[segment * CVO_NPS_CLASS__COUNT + cls]++;
    }
    const char *country = "";
    if (r->customer != SIZE_MAX)
        country = cvo_customers_at(ld->opt->customers, r->customer)->country;
    CVO_TRY(tally_add(ld->ctx, &ld->nps->strings, &ld->countries, country, strlen(country), cls));
    char month[11];
    date_format_iso(r->day, month);
    CVO_TRY(tally_add(ld->ctx, &ld->nps->strings, &ld->months, month, 7, cls));
    return tally_products(ld, r, cls);
}

/* The byte that keys r's segment in the by-segment word tallies; 0 without segments. */
static unsigned char segment_byte(const nps_load *ld, const response *r)
{
    if (ld->counts_segment == NULL)
        return 0;
    size_t segment = r->customer != SIZE_MAX ? cvo_rfm_scores(ld->opt->rfm)[r->customer].segment
                                             : ld->segments;
    return (unsigned char)(segment + 1);
}

static cvo_status use_record(nps_load *ld, const csv_record *rec)
{
    response r;
    bool ok;
    ld->nps->stats.records++;
    CVO_TRY(parse_response(ld, rec, &r, &ok));
    if (!ok)
        return CVO_OK;
    if (r.day >= ld->opt->before_day) {
        ld->nps->stats.later++;
        return CVO_OK;
    }
    ld->nps->stats.used++;
    join_order(ld, &r);
    bool latest = remember_last(ld->nps, &r);
    remember_post(ld->nps, &r);
    cvo_nps_class cls = cvo_nps_class_of(r.score);
    CVO_TRY(tally_groups(ld, &r, cls));
    const char *comment;
    size_t len;
    CVO_TRY(field(ld, rec, COL_COMMENT, &comment, &len));
    if (latest) {
        const char *copy = arena_strndup(&ld->nps->strings, comment, len);
        if (copy == NULL)
            return ctx_nomem(ld->ctx);
        ld->nps->last_comment[r.customer] = copy;
    }
    return count_comment(ld, comment, len, cls, segment_byte(ld, &r));
}

/* ---- reading --------------------------------------------------------------------- */

static cvo_status read_failure(nps_load *ld, const reader *rd, reader_result rr,
                               const csv_record *rec)
{
    if (rr == READER_ERROR)
        return ctx_fail(ld->ctx, CVO_ERR_IO, "%s: %s", ld->name, source_error(rd->src));
    ld->nps->stats.records++;
    if (rr == READER_TOO_LONG)
        return reject(ld, NULL, rec->line, CVO_NPS_REJECT_TOO_LONG,
                      "record longer than the limit");
    return reject(ld, rec, rec->line, CVO_NPS_REJECT_UNTERMINATED,
                  "quoted field still open at the end");
}

static cvo_status read_records(nps_load *ld, reader *rd, csv_scanner *sc)
{
    const char *line;
    size_t len;
    reader_skip_bom(rd);
    if (!reader_peek_line(rd, &line, &len))
        return ctx_fail(ld->ctx, CVO_ERR_IO, "%s: %s", ld->name, source_error(rd->src));
    csv_init(sc, len ? csv_sniff_delimiter(line, len) : ',', 1);
    csv_record rec;
    reader_result rr = reader_next(rd, sc, &rec);
    if (rr != READER_RECORD)
        return header_unreadable(ld->ctx, ld->name, rr);
    CVO_TRY(map_header(ld, &rec));
    if (ld->columns[COL_ORDER_ID] >= 0 && ld->opt->customers != NULL)
        CVO_TRY(build_order_index(ld));
    for (;;) {
        rr = reader_next(rd, sc, &rec);
        if (rr == READER_END)
            return CVO_OK;
        if (rr == READER_RECORD)
            CVO_TRY(use_record(ld, &rec));
        else
            CVO_TRY(read_failure(ld, rd, rr, &rec));
        if (rr == READER_UNTERMINATED || rr == READER_ERROR)
            return CVO_OK;
    }
}

static cvo_status read_file(nps_load *ld)
{
    source *src = NULL;
    reader rd;
    memset(&rd, 0, sizeof rd);
    cvo_status status = source_open(ld->ctx, ld->opt->path, ld->name, &src);
    if (status == CVO_OK)
        status = reader_init(&rd, ld->ctx, src, false, 0, 0);
    csv_scanner *sc = status == CVO_OK ? mem_alloc(ld->ctx, sizeof *sc) : NULL;
    if (status == CVO_OK && sc == NULL)
        status = ctx_nomem(ld->ctx);
    if (status == CVO_OK)
        status = read_records(ld, &rd, sc);
    mem_free(ld->ctx, sc);
    reader_free(&rd);
    source_close(src);
    return status;
}

/* ---- results ------------------------------------------------------------------------ */

static void group_from(const uint64_t *counts, const char *key, uint64_t min_group,
                       cvo_nps_group *out)
{
    cvo_nps_group_compute(counts[CVO_NPS_PROMOTER], counts[CVO_NPS_PASSIVE],
                          counts[CVO_NPS_DETRACTOR], min_group, out);
    out->key = key;
}

static cvo_status stage_groups(nps_load *ld)
{
    cvo_nps *nps = ld->nps;
    uint64_t total[CVO_NPS_CLASS__COUNT] = {0};
    for (int s = 0; s < CVO_NPS_STAGE__COUNT; s++) {
        group_from(ld->counts_stage[s], cvo_nps_stage_name((cvo_nps_stage)s), ld->opt->min_group,
                   &nps->stages[s]);
        for (int c = 0; c < CVO_NPS_CLASS__COUNT; c++)
            total[c] += ld->counts_stage[s][c];
    }
    group_from(total, "overall", ld->opt->min_group, &nps->overall);
    cvo_nps_difference_compute(&nps->stages[CVO_NPS_POST_DELIVERY],
                               &nps->stages[CVO_NPS_PRE_DELIVERY], &nps->difference);
    size_t n = nps->stages[CVO_NPS_STAGE_UNKNOWN].n ? 3 : 2;
    nps->groups[CVO_NPS_BY_STAGE] = mem_array(ld->ctx, n, sizeof(cvo_nps_group));
    if (nps->groups[CVO_NPS_BY_STAGE] == NULL)
        return ctx_nomem(ld->ctx);
    memcpy(nps->groups[CVO_NPS_BY_STAGE], nps->stages, n * sizeof(cvo_nps_group));
    nps->group_count[CVO_NPS_BY_STAGE] = n;
    return CVO_OK;
}

static cvo_status segment_groups(nps_load *ld)
{
    if (ld->counts_segment == NULL)
        return CVO_OK;
    const uint64_t *outside = &ld->counts_segment[ld->segments * CVO_NPS_CLASS__COUNT];
    size_t n = ld->segments + (outside[0] + outside[1] + outside[2] > 0);
    cvo_nps_group *rows = mem_zarray(ld->ctx, n ? n : 1, sizeof *rows);
    if (rows == NULL)
        return ctx_nomem(ld->ctx);
    for (size_t s = 0; s < n; s++)
        group_from(&ld->counts_segment[s * CVO_NPS_CLASS__COUNT],
                   s < ld->segments ? cvo_scheme_segment_name(ld->opt->scheme, s)
                                    : "(not a customer)",
                   ld->opt->min_group, &rows[s]);
    ld->nps->groups[CVO_NPS_BY_SEGMENT] = rows;
    ld->nps->group_count[CVO_NPS_BY_SEGMENT] = n;
    return CVO_OK;
}

static int by_size_then_key(const void *a, const void *b)
{
    const cvo_nps_group *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const cvo_nps_group *)a)->key, ((const cvo_nps_group *)b)->key);
}

static cvo_status tally_groups_out(nps_load *ld, const tally *t, cvo_nps_dimension dim,
                                   int (*order)(const void *, const void *))
{
    cvo_nps_group *rows = mem_zarray(ld->ctx, t->used ? t->used : 1, sizeof *rows);
    if (rows == NULL)
        return ctx_nomem(ld->ctx);
    size_t n = 0;
    for (size_t i = 0; i < t->capacity; i++)
        if (t->slots[i].text != NULL)
            group_from(t->slots[i].counts, t->slots[i].len ? t->slots[i].text : "(unknown)",
                       ld->opt->min_group, &rows[n++]);
    qsort(rows, n, sizeof *rows, order);
    ld->nps->groups[dim] = rows;
    ld->nps->group_count[dim] = n;
    return CVO_OK;
}

/* Whether entry e ranks before the term t for class c (count, then text). */
static bool ranks_before(const tally_entry *e, int c, const cvo_nps_term *t)
{
    return e->counts[c] > t->count || (e->counts[c] == t->count && strcmp(e->text, t->text) < 0);
}

static void top_terms(const tally *t, int c, cvo_nps_term *top, size_t *count)
{
    *count = 0;
    for (size_t i = 0; i < t->capacity; i++) {
        const tally_entry *e = &t->slots[i];
        if (e->text == NULL || e->counts[c] == 0)
            continue;
        size_t at = *count;
        while (at > 0 && ranks_before(e, c, &top[at - 1]))
            at--;
        if (at >= CVO_NPS_TOP_TERMS)
            continue;
        size_t last = *count < CVO_NPS_TOP_TERMS ? (*count)++ : CVO_NPS_TOP_TERMS - 1;
        memmove(&top[at + 1], &top[at], (last - at) * sizeof *top);
        top[at] = (cvo_nps_term){e->text, e->counts[c]};
    }
}

/* Top terms of one segment: entries whose key starts with its byte, ranked
 * by their count over all classes. */
static void top_segment_terms(const tally *t, unsigned char key, cvo_nps_term *top, size_t *count)
{
    *count = 0;
    for (size_t i = 0; i < t->capacity; i++) {
        const tally_entry *e = &t->slots[i];
        if (e->text == NULL || (unsigned char)e->text[0] != key)
            continue;
        cvo_nps_term term = {e->text + 1, e->counts[0] + e->counts[1] + e->counts[2]};
        size_t at = *count;
        while (at > 0 && (term.count > top[at - 1].count ||
                          (term.count == top[at - 1].count && strcmp(term.text, top[at - 1].text) < 0)))
            at--;
        if (at >= CVO_NPS_TOP_TERMS)
            continue;
        size_t last = *count < CVO_NPS_TOP_TERMS ? (*count)++ : CVO_NPS_TOP_TERMS - 1;
        memmove(&top[at + 1], &top[at], (last - at) * sizeof *top);
        top[at] = term;
    }
}

static cvo_status segment_terms(nps_load *ld)
{
    cvo_nps *nps = ld->nps;
    if (ld->counts_segment == NULL)
        return CVO_OK;
    size_t rows = ld->segments + 1;
    nps->segment_terms = mem_zarray(ld->ctx, rows, sizeof *nps->segment_terms);
    nps->segment_term_count = mem_zarray(ld->ctx, rows, sizeof *nps->segment_term_count);
    if (nps->segment_terms == NULL || nps->segment_term_count == NULL)
        return ctx_nomem(ld->ctx);
    nps->segment_term_rows = rows;
    for (size_t s = 0; s < rows; s++) {
        top_segment_terms(&ld->segment_words, (unsigned char)(s + 1), nps->segment_terms[s][0],
                          &nps->segment_term_count[s][0]);
        top_segment_terms(&ld->segment_phrases, (unsigned char)(s + 1), nps->segment_terms[s][1],
                          &nps->segment_term_count[s][1]);
    }
    return CVO_OK;
}

static cvo_status finish(nps_load *ld)
{
    cvo_nps *nps = ld->nps;
    CVO_TRY(stage_groups(ld));
    CVO_TRY(segment_groups(ld));
    CVO_TRY(tally_groups_out(ld, &ld->countries, CVO_NPS_BY_COUNTRY, by_size_then_key));
    CVO_TRY(tally_groups_out(ld, &ld->months, CVO_NPS_BY_MONTH, by_key));
    CVO_TRY(tally_groups_out(ld, &ld->products, CVO_NPS_BY_PRODUCT, by_size_then_key));
    CVO_TRY(tally_groups_out(ld, &ld->categories, CVO_NPS_BY_CATEGORY, by_size_then_key));
    for (int c = 0; c < CVO_NPS_CLASS__COUNT; c++) {
        top_terms(&ld->words, c, nps->terms[c][0], &nps->term_count[c][0]);
        top_terms(&ld->phrases, c, nps->terms[c][1], &nps->term_count[c][1]);
    }
    CVO_TRY(segment_terms(ld));
    if (nps->stats.used == 0 && nps->stats.later == 0) /* only later ones: none yet */
        return ctx_fail(ld->ctx, CVO_ERR_EMPTY, "%s: no usable NPS response", ld->name);
    return CVO_OK;
}

/* ---- load ------------------------------------------------------------------------------ */

static cvo_status nps_new(cvo_ctx *ctx, const cvo_nps_options *opt, cvo_nps **out)
{
    cvo_nps *nps = mem_alloc(ctx, sizeof *nps);
    *out = nps;
    if (nps == NULL)
        return ctx_nomem(ctx);
    memset(nps, 0, sizeof *nps);
    nps->ctx = ctx;
    arena_init(&nps->strings, ctx);
    nps->customer_count = opt->customers ? cvo_customers_count(opt->customers) : 0;
    size_t n = nps->customer_count ? nps->customer_count : 1;
    nps->last_score = mem_array(ctx, n, sizeof *nps->last_score);
    nps->last_day = mem_zarray(ctx, n, sizeof *nps->last_day);
    nps->last_comment = mem_zarray(ctx, n, sizeof *nps->last_comment);
    nps->post_score = mem_array(ctx, n, sizeof *nps->post_score);
    nps->post_day = mem_zarray(ctx, n, sizeof *nps->post_day);
    if (nps->last_score == NULL || nps->last_day == NULL || nps->last_comment == NULL ||
        nps->post_score == NULL || nps->post_day == NULL)
        return ctx_nomem(ctx);
    memset(nps->last_score, -1, n);
    memset(nps->post_score, -1, n);
    return CVO_OK;
}

static cvo_status load_init(nps_load *ld)
{
    CVO_TRY(nps_new(ld->ctx, ld->opt, &ld->nps));
    CVO_TRY(build_email_index(ld));
    if (ld->opt->rfm != NULL && ld->opt->scheme != NULL && ld->opt->customers != NULL) {
        ld->segments = cvo_scheme_segment_count(ld->opt->scheme);
        ld->counts_segment = mem_zarray(ld->ctx, (ld->segments + 1) * CVO_NPS_CLASS__COUNT,
                                        sizeof *ld->counts_segment);
        if (ld->counts_segment == NULL)
            return ctx_nomem(ld->ctx);
    }
    CVO_TRY(tally_init(ld->ctx, &ld->words, 1024, NPS_MAX_TERMS));
    CVO_TRY(tally_init(ld->ctx, &ld->phrases, 1024, NPS_MAX_TERMS));
    CVO_TRY(tally_init(ld->ctx, &ld->segment_words, 1024, NPS_MAX_TERMS));
    CVO_TRY(tally_init(ld->ctx, &ld->segment_phrases, 1024, NPS_MAX_TERMS));
    CVO_TRY(tally_init(ld->ctx, &ld->countries, 64, NPS_MAX_KEYS));
    CVO_TRY(tally_init(ld->ctx, &ld->products, 64, NPS_MAX_KEYS));
    CVO_TRY(tally_init(ld->ctx, &ld->categories, 64, NPS_MAX_KEYS));
    return tally_init(ld->ctx, &ld->months, 64, NPS_MAX_KEYS);
}

static void load_release(nps_load *ld)
{
    for (int c = 0; c < COL__COUNT; c++)
        mem_free(ld->ctx, ld->scratch[c]);
    mem_free(ld->ctx, ld->email_slots);
    mem_free(ld->ctx, ld->counts_segment);
    mem_free(ld->ctx, ld->words.slots);
    mem_free(ld->ctx, ld->phrases.slots);
    mem_free(ld->ctx, ld->countries.slots);
    mem_free(ld->ctx, ld->months.slots);
    mem_free(ld->ctx, ld->products.slots);
    mem_free(ld->ctx, ld->categories.slots);
    mem_free(ld->ctx, ld->segment_words.slots);
    mem_free(ld->ctx, ld->segment_phrases.slots);
    mem_free(ld->ctx, ld->order_keys);
}

cvo_status cvo_nps_load(cvo_ctx *ctx, const cvo_nps_options *options, cvo_nps **out,
                        cvo_nps_stats *stats)
{
    *out = NULL;
    if (stats != NULL)
        memset(stats, 0, sizeof *stats);
    if (options == NULL || options->path == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "NPS: no input path");
    nps_load ld;
    memset(&ld, 0, sizeof ld);
    ld.ctx = ctx;
    ld.opt = options;
    ld.name = options->display_name ? options->display_name
              : strcmp(options->path, "-") == 0 ? "<stdin>" : options->path;
    cvo_status status = load_init(&ld);
    if (status == CVO_OK)
        status = read_file(&ld);
    if (status == CVO_OK)
        status = finish(&ld);
    if (stats != NULL && ld.nps != NULL)
        *stats = ld.nps->stats;
    load_release(&ld);
    if (status != CVO_OK)
        cvo_nps_free(ld.nps);
    else
        *out = ld.nps;
    return status;
}

/* ---- accessors ---------------------------------------------------------------------- */

const cvo_nps_stats *cvo_nps_load_stats(const cvo_nps *nps)
{
    return &nps->stats;
}

const cvo_nps_group *cvo_nps_overall(const cvo_nps *nps)
{
    return &nps->overall;
}

const cvo_nps_group *cvo_nps_by_stage(const cvo_nps *nps, cvo_nps_stage stage)
{
    return &nps->stages[(unsigned)stage < CVO_NPS_STAGE__COUNT ? stage : CVO_NPS_STAGE_UNKNOWN];
}

const cvo_nps_difference *cvo_nps_stage_difference(const cvo_nps *nps)
{
    return &nps->difference;
}

const cvo_nps_group *cvo_nps_groups(const cvo_nps *nps, cvo_nps_dimension dimension,
                                    size_t *count)
{
    if ((unsigned)dimension >= CVO_NPS_BY__COUNT) {
        *count = 0;
        return NULL;
    }
    *count = nps->group_count[dimension];
    return nps->groups[dimension];
}

const cvo_nps_term *cvo_nps_top_terms(const cvo_nps *nps, cvo_nps_class nps_class, bool phrases,
                                      size_t *count)
{
    if ((unsigned)nps_class >= CVO_NPS_CLASS__COUNT) {
        *count = 0;
        return NULL;
    }
    *count = nps->term_count[nps_class][phrases];
    return nps->terms[nps_class][phrases];
}

const cvo_nps_term *cvo_nps_segment_terms(const cvo_nps *nps, size_t segment, bool phrases,
                                          size_t *count)
{
    *count = 0;
    if (nps == NULL || segment >= nps->segment_term_rows)
        return NULL;
    *count = nps->segment_term_count[segment][phrases];
    return nps->segment_terms[segment][phrases];
}

int32_t cvo_nps_customer_last_day(const cvo_nps *nps, size_t index)
{
    if (nps == NULL || index >= nps->customer_count || nps->last_score[index] < 0)
        return INT32_MIN;
    return nps->last_day[index];
}

const char *cvo_nps_customer_last_comment(const cvo_nps *nps, size_t index)
{
    if (nps == NULL || index >= nps->customer_count || nps->last_comment[index] == NULL)
        return "";
    return nps->last_comment[index];
}

int cvo_nps_customer_last(const cvo_nps *nps, size_t index)
{
    return index < nps->customer_count ? nps->last_score[index] : -1;
}

int cvo_nps_customer_post_delivery(const cvo_nps *nps, size_t index)
{
    return nps != NULL && index < nps->customer_count ? nps->post_score[index] : -1;
}

void cvo_nps_free(cvo_nps *nps)
{
    if (nps == NULL)
        return;
    cvo_ctx *ctx = nps->ctx;
    for (int d = 0; d < CVO_NPS_BY__COUNT; d++)
        mem_free(ctx, nps->groups[d]);
    mem_free(ctx, nps->last_score);
    mem_free(ctx, nps->last_day);
    mem_free(ctx, nps->last_comment);
    mem_free(ctx, nps->post_score);
    mem_free(ctx, nps->post_day);
    mem_free(ctx, nps->segment_terms);
    mem_free(ctx, nps->segment_term_count);
    arena_release(&nps->strings);
    mem_free(ctx, nps);
}
