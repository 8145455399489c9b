/* nps_read.c - reading Net Promoter Score answers: a strict reader (every record
 * used or rejected with line and reason) with its column map, and cvo_nps_load,
 * which drives each record through the join, the counts and the word mining. */
#include "analysis/nps.h"

#include "base/arena.h"
#include "base/ctx.h"
#include "io/datetime.h"
#include "io/header.h"
#include "io/reader.h"

#include <stdio.h>
#include <string.h>

/* Distinct words or phrases kept per table; later new ones are not counted.
 * (Belongs in base/limits.h; kept here until that file can take it.) */
#define NPS_MAX_TERMS (1u << 20)
/* Distinct countries or months; more fall into "(other)". */
#define NPS_MAX_KEYS 4096u

/* ---- header --------------------------------------------------------------------- */

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
    r->customer = nps_find_customer(ld, text, len);
    CVO_TRY(parse_date(ld, rec, &r->day, ok));
    if (!*ok)
        return CVO_OK;
    CVO_TRY(field(ld, rec, COL_SURVEY, &text, &len));
    r->stage = parse_stage(text, len);
    r->order = NULL;
    CVO_TRY(field(ld, rec, COL_ORDER_ID, &text, &len));
    const order_key *k = len > 0 ? nps_find_order_id(ld, text, len) : NULL;
    r->by_order_id = k != NULL;
    if (k != NULL) {
        size_t n;
        r->customer = k->customer_plus_one - 1;
        r->order = cvo_customers_orders(ld->opt->customers, r->customer, &n) + k->order;
    }
    return CVO_OK;
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
    nps_join_order(ld, &r);
    bool latest = nps_remember_last(ld->nps, &r);
    nps_remember_post(ld->nps, &r);
    cvo_nps_class cls = cvo_nps_class_of(r.score);
    CVO_TRY(nps_tally_groups(ld, &r, cls));
    const char *comment;
    size_t len;
    CVO_TRY(field(ld, rec, COL_COMMENT, &comment, &len));
    if (latest) {
        const char *copy = arena_strndup(&ld->nps->strings, comment, len);
        if (copy == NULL)
            return ctx_nomem(ld->ctx);
        ld->nps->last_comment[r.customer] = copy;
    }
    return nps_count_comment(ld, comment, len, cls, segment_byte(ld, &r));
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
        CVO_TRY(nps_build_order_index(ld));
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
    CVO_TRY(nps_build_email_index(ld));
    if (ld->opt->rfm != NULL && ld->opt->scheme != NULL && ld->opt->customers != NULL) {
        ld->segments = cvo_scheme_segment_count(ld->opt->scheme);
        ld->counts_segment = mem_zarray(ld->ctx, (ld->segments + 1) * CVO_NPS_CLASS__COUNT,
                                        sizeof *ld->counts_segment);
        if (ld->counts_segment == NULL)
            return ctx_nomem(ld->ctx);
    }
    CVO_TRY(nps_tally_init(ld->ctx, &ld->words, 1024, NPS_MAX_TERMS));
    CVO_TRY(nps_tally_init(ld->ctx, &ld->phrases, 1024, NPS_MAX_TERMS));
    CVO_TRY(nps_tally_init(ld->ctx, &ld->segment_words, 1024, NPS_MAX_TERMS));
    CVO_TRY(nps_tally_init(ld->ctx, &ld->segment_phrases, 1024, NPS_MAX_TERMS));
    CVO_TRY(nps_tally_init(ld->ctx, &ld->countries, 64, NPS_MAX_KEYS));
    CVO_TRY(nps_tally_init(ld->ctx, &ld->products, 64, NPS_MAX_KEYS));
    CVO_TRY(nps_tally_init(ld->ctx, &ld->categories, 64, NPS_MAX_KEYS));
    return nps_tally_init(ld->ctx, &ld->months, 64, NPS_MAX_KEYS);
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
        status = nps_finish(&ld);
    if (stats != NULL && ld.nps != NULL)
        *stats = ld.nps->stats;
    load_release(&ld);
    if (status != CVO_OK)
        cvo_nps_free(ld.nps);
    else
        *out = ld.nps;
    return status;
}
