/* klaviyo.c - Klaviyo files: the list-upload CSV, bulk profile import bodies
 * (JSON:API, each at most profiles_per_job profiles and KLAVIYO_MAX_BODY_BYTES)
 * and "CVO Winback Due" event bodies. The CSV and the JSON share one property table.
 * With a migration (lib/history) profiles gain the previous segment and the day it
 * changed, and events gain "CVO Segment Changed" and "CVO Recency Dropped".
 * Every list is a boolean written on every run; an optional property a customer
 * no longer has is left out (the push unsets it). Event unique_ids are keyed
 * hashes, one per customer and purchase cycle (the last order day). */
#include "output/klaviyo.h"

#include "output/cells.h"

#include "base/ctx.h"
#include "base/hmac.h"

#include <math.h>
#include <string.h>

/* Klaviyo takes at most 5 MB per bulk-import body; bytes we write are counted. */
#define KLAVIYO_MAX_BODY_BYTES 5000000u
#define KLAVIYO_MAX_PROFILES_PER_JOB 10000u

/* ---- profile properties ----------------------------------------------------------- */

static void get_email(const cell_row *row, cell *out)
{
    cell_set_text(out, row->customer->email);
}

static void get_segment(const cell_row *row, cell *out)
{
    cell_set_text(out, row->segment);
}

static void get_rfm_score(const cell_row *row, cell *out)
{
    const cvo_score *s = row->score; /* m 0 (count-only): R and F alone */
    cell_set_int(out, s->m ? s->r * 100 + s->f * 10 + s->m : s->r * 10 + s->f);
}

static void get_recency(const cell_row *row, cell *out)
{
    cell_set_int(out, row->score->recency_days);
}

static void get_orders(const cell_row *row, cell *out)
{
    cell_set_int(out, row->customer->orders);
}

static void get_historic_clv(const cell_row *row, cell *out)
{
    cell_set_money(out, row->customer->net_revenue_cents);
}

static void get_predicted_clv(const cell_row *row, cell *out)
{
    cell_set_real(out, row->result->predicted_clv, 2);
}

static void get_p_alive(const cell_row *row, cell *out)
{
    cell_set_real(out, row->result->p_alive, 4);
}

static void get_churn_risk(const cell_row *row, cell *out)
{
    cvo_churn_risk risk = row->result->churn_risk;
    cell_set_text(out, risk == CVO_CHURN_LOW ? "low" : risk == CVO_CHURN_HIGH ? "high" : "medium");
}

/* Klaviyo takes a property for a date only in "YYYY-MM-DD HH:MM:SS" form (else
 * it is text, and no date condition of a segment or flow can use it). */
static void set_klaviyo_date(cell *out, int32_t day)
{
    char date[11];
    if (day == INT32_MIN) {
        out->type = CELL_EMPTY;
        return;
    }
    cvo_day_format(day, date);
    cell_set_format(out, "%s 00:00:00", date);
}

static void get_next_order(const cell_row *row, cell *out)
{
    set_klaviyo_date(out, row->result->next_order_day);
}

/* Only on the win-back list: a date outside the window is no call to act. */
static void get_winback(const cell_row *row, cell *out)
{
    bool listed = (row->result->lists & CVO_LIST_WINBACK) != 0;
    set_klaviyo_date(out, listed ? row->result->winback_day : INT32_MIN);
}

#define LIST_GETTER(name, bit)                                                                     \
    static void name(const cell_row *row, cell *out)                                               \
    {                                                                                              \
        cell_set_bool(out, (row->result->lists & (bit)) != 0);                                     \
    }
LIST_GETTER(get_exclude, CVO_LIST_EXCLUDE)
LIST_GETTER(get_winback_listed, CVO_LIST_WINBACK)
LIST_GETTER(get_vip, CVO_LIST_VIP)
LIST_GETTER(get_referral, CVO_LIST_REFERRAL)
LIST_GETTER(get_interview, CVO_LIST_INTERVIEW)
LIST_GETTER(get_no_discount, CVO_LIST_NO_DISCOUNT)

static void get_tier(const cell_row *row, cell *out)
{
    cell_set_text(out, row->tier);
}

/* Deprecated: the inverse of "CVO No Discount", kept one release. */
static void get_discount_eligible(const cell_row *row, cell *out)
{
    cell_set_bool(out, (row->result->lists & CVO_LIST_NO_DISCOUNT) == 0);
}

/* The customer's profit row; NULL when the analysis has none. */
static const cvo_profit_row *profit_of(const cell_row *row)
{
    const cvo_profit *profit = cvo_analysis_profit(row->analysis);
    return profit ? &cvo_profit_rows(profit)[row->index] : NULL;
}

/* Money, or no property at all when unknown (empty cell, left out of JSON). */
static void get_profit(const cell_row *row, cell *out)
{
    const cvo_profit_row *p = profit_of(row);
    out->type = CELL_EMPTY;
    if (p != NULL)
        cell_set_money(out, p->profit_cents);
}

static void get_predicted_profit(const cell_row *row, cell *out)
{
    const cvo_profit_row *p = profit_of(row);
    out->type = CELL_EMPTY;
    if (p != NULL && p->has_prediction)
        cell_set_money(out, p->predicted_profit_cents);
}

/* Unknown, or never at the customer's margin per order: no property. */
static void get_break_even(const cell_row *row, cell *out)
{
    const cvo_profit_row *p = profit_of(row);
    out->type = CELL_EMPTY;
    if (p != NULL && p->break_even_orders > 0)
        cell_set_int(out, p->break_even_orders);
}

static const cell_column profile_properties[] = {
    {"CVO RFM Segment", get_segment},
    {"CVO RFM Score", get_rfm_score},
    {"CVO Recency Days", get_recency},
    {"CVO Orders", get_orders},
    {"CVO Historic CLV", get_historic_clv},
    {"CVO Predicted CLV", get_predicted_clv},
    {"CVO P Alive", get_p_alive},
    {"CVO Churn Risk", get_churn_risk},
    {"CVO Next Order Date", get_next_order},
    {"CVO Winback Date", get_winback},
    {"CVO Exclude", get_exclude},
    {"CVO Winback", get_winback_listed},
    {"CVO VIP", get_vip},
    {"CVO Referral", get_referral},
    {"CVO Interview", get_interview},
    {"CVO No Discount", get_no_discount},
    {"CVO Loyalty Tier", get_tier},
    {"CVO Discount Eligible", get_discount_eligible},
    {"CVO Profit", get_profit},
    {"CVO Predicted Profit", get_predicted_profit},
    {"CVO Orders To Break Even", get_break_even},
};

/* The properties of a winback-due event. Money goes here, never in the event's
 * value: Klaviyo counts value as revenue the flow earned. */
static const cell_column event_properties[] = {
    {"CVO Winback Date", get_winback}, {"CVO RFM Segment", get_segment},
    {"CVO P Alive", get_p_alive},      {"CVO Predicted CLV", get_predicted_clv},
    {"CVO Profit", get_profit},        {"CVO Predicted Profit", get_predicted_profit},
};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

/* ---- migration properties ------------------------------------------------------------ */

enum { HISTORY_PROPERTIES = 2 };
static const char *const history_names[HISTORY_PROPERTIES] = {"CVO Previous Segment",
                                                              "CVO Segment Changed At"};

/* The migration's properties of customer index (empty when it has none). */
static void history_cells(const cvo_migration *m, size_t index, cell out[HISTORY_PROPERTIES])
{
    size_t count = 0;
    const cvo_migration_customer *rows = cvo_migration_customers(m, &count);
    const cvo_migration_customer *c = index < count ? &rows[index] : NULL;
    out[0].type = out[1].type = CELL_EMPTY;
    if (c != NULL && c->previous_segment != NULL) {
        cell_set_text(&out[0], c->previous_segment);
        set_klaviyo_date(&out[1], c->segment_changed_day);
    }
}

/* ---- experiment properties ------------------------------------------------------------ */

/* "CVO Holdout <List>": true for the members an experiment holds out of the
 * list, false for everyone else, on every profile while the list is an
 * experiment (the list's own property is then true for the treatment only). */
/* Each treatment list's profile property and its holdout's. */
static const struct {
    unsigned bit;
    const char *property, *holdout;
} treatment_properties[] = {
    {CVO_LIST_WINBACK, "CVO Winback", "CVO Holdout Winback"},
    {CVO_LIST_VIP, "CVO VIP", "CVO Holdout VIP"},
    {CVO_LIST_REFERRAL, "CVO Referral", "CVO Holdout Referral"},
    {CVO_LIST_NO_DISCOUNT, "CVO No Discount", "CVO Holdout No Discount"},
};

const char *klaviyo_holdout_name(unsigned list_bit)
{
    for (size_t k = 0; k < COUNT_OF(treatment_properties); k++)
        if (treatment_properties[k].bit == list_bit)
            return treatment_properties[k].holdout;
    return "CVO Holdout";
}

const char *klaviyo_list_property(unsigned list_bit)
{
    for (size_t k = 0; k < COUNT_OF(treatment_properties); k++)
        if (treatment_properties[k].bit == list_bit)
            return treatment_properties[k].property;
    return "CVO";
}

/* History and experiment properties beyond the table: at most this many. */
enum { EXTRA_PROPERTIES = HISTORY_PROPERTIES + 4 };

typedef struct extra_properties {
    const char *names[EXTRA_PROPERTIES];
    cell values[EXTRA_PROPERTIES];
    size_t count;
} extra_properties;

/* The names of the extra properties (values unset). */
static void extra_names(const cvo_analysis *a, const cvo_migration *m, extra_properties *x)
{
    x->count = 0;
    for (size_t k = 0; m != NULL && k < HISTORY_PROPERTIES; k++)
        x->names[x->count++] = history_names[k];
    const cvo_experiments *e = cvo_analysis_experiments(a);
    for (size_t k = 0; k < cvo_experiments_count(e) && x->count < EXTRA_PROPERTIES; k++)
        x->names[x->count++] = klaviyo_holdout_name(cvo_experiments_at(e, k)->info.list_bit);
}

/* The extra properties of row. */
static void extra_values(const cell_row *row, const cvo_migration *m, extra_properties *x)
{
    extra_names(row->analysis, m, x);
    size_t n = 0;
    if (m != NULL) {
        history_cells(m, row->index, x->values);
        n = HISTORY_PROPERTIES;
    }
    const cvo_experiments *e = cvo_analysis_experiments(row->analysis);
    for (size_t k = 0; n < x->count; k++, n++)
        cell_set_bool(&x->values[n],
                      (row->result->holdout & cvo_experiments_at(e, k)->info.list_bit) != 0);
}

/* out is the stream (or the sink) the writer needs. */
static cvo_status check_arguments(cvo_ctx *ctx, const cvo_analysis *a, const void *out)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (a == NULL || out == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "no analysis or output");
    return CVO_OK;
}

static size_t customer_count(const cvo_analysis *a)
{
    return cvo_customers_count(cvo_analysis_customers(a));
}

/* ---- profiles.csv -------------------------------------------------------------------- */

static void profile_csv_header(cell_buf *b, const cvo_analysis *a, const cvo_migration *m)
{
    cell_str(b, "Email");
    for (size_t k = 0; k < COUNT_OF(profile_properties); k++) {
        cell_char(b, ',');
        cell_csv_text(b, profile_properties[k].name);
    }
    extra_properties x;
    extra_names(a, m, &x);
    for (size_t k = 0; k < x.count; k++) {
        cell_char(b, ',');
        cell_csv_text(b, x.names[k]);
    }
    cell_char(b, '\n');
}

static void profile_csv_row(cell_buf *b, const cell_row *row, const cvo_migration *m)
{
    cell value;
    get_email(row, &value);
    cell_write_csv(b, &value);
    for (size_t k = 0; k < COUNT_OF(profile_properties); k++) {
        cell_char(b, ',');
        profile_properties[k].get(row, &value);
        cell_write_csv(b, &value);
    }
    extra_properties x;
    extra_values(row, m, &x);
    for (size_t k = 0; k < x.count; k++) {
        cell_char(b, ',');
        cell_write_csv(b, &x.values[k]);
    }
    cell_char(b, '\n');
}

/* The defaults with the migration m: what the _migration writers mean. */
static cvo_export_options with_migration(const cvo_migration *m)
{
    cvo_export_options o;
    cvo_export_options_init(&o);
    o.migration = m;
    return o;
}

/* A customer Klaviyo gets: one with an e-mail (summary.json counts the others)
 * that the caller does not leave out. */
/* Out of every Klaviyo file: left out by the caller, or without marketing
 * consent (cvo_customer_result.left_out). */
static bool klaviyo_left_out(const cvo_export_options *o, const cvo_analysis *a, size_t index)
{
    return cvo_analysis_results(a)[index].left_out || export_left_out(o, a, index);
}

static bool profile_wanted(const cvo_export_options *o, const cvo_analysis *a, size_t index,
                           const cell_row *row)
{
    return row->customer->email[0] != '\0' && !klaviyo_left_out(o, a, index);
}

cvo_status cvo_write_klaviyo_profiles(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return cvo_write_klaviyo_profiles_with(ctx, a, NULL, out);
}

cvo_status cvo_write_klaviyo_profiles_migration(cvo_ctx *ctx, const cvo_analysis *a,
                                                const cvo_migration *m, FILE *out)
{
    cvo_export_options o = with_migration(m);
    return cvo_write_klaviyo_profiles_with(ctx, a, &o, out);
}

cvo_status cvo_write_klaviyo_profiles_with(cvo_ctx *ctx, const cvo_analysis *a,
                                           const cvo_export_options *options, FILE *out)
{
    CVO_TRY(check_arguments(ctx, a, out));
    cvo_export_options o = export_options(options);
    cell_buf b;
    cell_buf_init(&b, ctx);
    profile_csv_header(&b, a, o.migration);
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < customer_count(a); i++) {
        cell_row row;
        export_row(a, i, &row);
        if (!profile_wanted(&o, a, i, &row))
            continue;
        profile_csv_row(&b, &row, o.migration);
        status = cell_flush_some(&b, out);
    }
    return cell_finish(&b, out, status);
}

/* ---- JSON pieces ----------------------------------------------------------------------- */

/* {"name":value,...} of the columns that have a value (empty ones are left out:
 * a bulk import cannot clear a property with null anyway). */
static void json_property(cell_buf *b, const char *name, const cell *value, bool *first)
{
    if (value->type == CELL_EMPTY)
        return;
    if (!*first)
        cell_char(b, ',');
    *first = false;
    cell_json_string(b, name);
    cell_char(b, ':');
    cell_write_json(b, value);
}

/* The columns' properties, then extra_count more named by extra_names. */
static void json_properties_with(cell_buf *b, const cell_row *row, const cell_column *columns,
                                 size_t count, const cell *extra, const char *const *extra_names,
                                 size_t extra_count)
{
    cell value;
    bool first = true;
    cell_char(b, '{');
    for (size_t k = 0; k < count; k++) {
        columns[k].get(row, &value);
        json_property(b, columns[k].name, &value, &first);
    }
    for (size_t k = 0; k < extra_count; k++)
        json_property(b, extra_names[k], &extra[k], &first);
    cell_char(b, '}');
}

static void json_properties(cell_buf *b, const cell_row *row, const cell_column *columns,
                            size_t count)
{
    json_properties_with(b, row, columns, count, NULL, NULL, 0);
}

/* "email":...,"external_id":... for the identifiers the customer has. */
static void json_identifiers(cell_buf *b, const cvo_customer *c)
{
    bool email = c->email[0] != '\0';
    if (email) {
        cell_str(b, "\"email\":");
        cell_json_string(b, c->email);
    }
    if (c->customer_id[0] != '\0') {
        cell_str(b, email ? ",\"external_id\":" : "\"external_id\":");
        cell_json_string(b, c->customer_id);
    }
}

static void json_profile(cell_buf *b, const cell_row *row, const cvo_migration *m)
{
    extra_properties x;
    extra_values(row, m, &x);
    cell_str(b, "{\"type\":\"profile\",\"attributes\":{");
    json_identifiers(b, row->customer);
    cell_str(b, ",\"properties\":");
    json_properties_with(b, row, profile_properties, COUNT_OF(profile_properties), x.values,
                         x.names, x.count);
    cell_str(b, "}}");
}

/* ---- bulk import bodies ------------------------------------------------------------------- */

static const char bulk_prefix[] =
    "{\"data\":{\"type\":\"profile-bulk-import-job\",\"attributes\":{\"profiles\":{\"data\":[";

typedef struct bulk_writer {
    cvo_ctx *ctx;
    cvo_sink_open open;
    cvo_sink_close close;
    void *user_data;
    size_t per_job;
    cell_buf suffix; /* closes a body, with the list relationship when configured */
    cell_buf body;   /* bytes of the open job not yet written */
    FILE *out;       /* the open job's stream, or NULL */
    size_t jobs;     /* jobs opened so far */
    size_t profiles; /* profiles in the open job */
    size_t bytes;    /* bytes of the open job, written or buffered */
    const cvo_export_options *options;
} bulk_writer;

static void bulk_suffix(cell_buf *b, const cvo_config *config)
{
    const char *list_id = config ? cvo_config_text(config, "klaviyo", "list_id") : NULL;
    cell_str(b, "]}}");
    if (list_id != NULL && list_id[0] != '\0') {
        cell_str(b, ",\"relationships\":{\"lists\":{\"data\":[{\"type\":\"list\",\"id\":");
        cell_json_string(b, list_id);
        cell_str(b, "}]}}");
    }
    cell_str(b, "}}\n");
}

static size_t profiles_per_job(const cvo_config *config)
{
    double n = config ? cvo_config_number(config, "klaviyo", "profiles_per_job") : NAN;
    if (!(n >= 1) || n > KLAVIYO_MAX_PROFILES_PER_JOB)
        return KLAVIYO_MAX_PROFILES_PER_JOB;
    return (size_t)n;
}

static cvo_status bulk_open(bulk_writer *w)
{
    FILE *out = NULL;
    CVO_TRY(w->open(w->user_data, w->jobs, &out));
    if (out == NULL)
        return ctx_fail(w->ctx, CVO_ERR_WRITE, "bulk-import body %zu: no stream", w->jobs);
    w->out = out;
    w->jobs++;
    w->profiles = 0;
    w->body.len = 0;
    cell_str(&w->body, bulk_prefix);
    w->bytes = w->body.len;
    return CVO_OK;
}

/* Finishes the open job; the stream is handed back even after a failed write. */
static cvo_status bulk_close(bulk_writer *w, cvo_status status)
{
    if (w->out == NULL)
        return status;
    if (status == CVO_OK) {
        cell_raw(&w->body, w->suffix.data, w->suffix.len);
        status = cell_flush(&w->body, w->out);
    }
    cvo_status closed = w->close(w->user_data, w->jobs - 1, w->out);
    w->out = NULL;
    return status != CVO_OK ? status : closed;
}

/* Adds one profile (JSON in profile), starting a new job when the open one is
 * full by count or would pass the byte cap. */
static cvo_status bulk_add(bulk_writer *w, const cell_buf *profile)
{
    size_t fixed = sizeof bulk_prefix - 1 + w->suffix.len;
    if (fixed + profile->len > KLAVIYO_MAX_BODY_BYTES)
        return ctx_fail(w->ctx, CVO_ERR_LIMIT, "a profile of %zu bytes does not fit a %u-byte body",
                        profile->len, KLAVIYO_MAX_BODY_BYTES);
    bool full = w->profiles >= w->per_job ||
                w->bytes + 1 + profile->len + w->suffix.len > KLAVIYO_MAX_BODY_BYTES;
    if (w->out != NULL && full)
        CVO_TRY(bulk_close(w, CVO_OK));
    if (w->out == NULL)
        CVO_TRY(bulk_open(w));
    if (w->profiles > 0) {
        cell_char(&w->body, ',');
        w->bytes++;
    }
    cell_raw(&w->body, profile->data, profile->len);
    w->bytes += profile->len;
    w->profiles++;
    return cell_flush_some(&w->body, w->out);
}

static cvo_status bulk_all(bulk_writer *w, const cvo_analysis *a)
{
    cell_buf profile;
    cell_buf_init(&profile, w->ctx);
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < customer_count(a); i++) {
        cell_row row;
        export_row(a, i, &row);
        if (!profile_wanted(w->options, a, i, &row))
            continue;
        profile.len = 0;
        json_profile(&profile, &row, w->options->migration);
        status = cell_status(&profile);
        if (status == CVO_OK)
            status = bulk_add(w, &profile);
    }
    cell_buf_free(&profile);
    return bulk_close(w, status);
}

cvo_status cvo_write_klaviyo_bulk(cvo_ctx *ctx, const cvo_analysis *a, cvo_sink_open open,
                                  cvo_sink_close close, void *user_data, size_t *jobs)
{
    return cvo_write_klaviyo_bulk_with(ctx, a, NULL, open, close, user_data, jobs);
}

cvo_status cvo_write_klaviyo_bulk_migration(cvo_ctx *ctx, const cvo_analysis *a,
                                            const cvo_migration *m, cvo_sink_open open,
                                            cvo_sink_close close, void *user_data, size_t *jobs)
{
    cvo_export_options o = with_migration(m);
    return cvo_write_klaviyo_bulk_with(ctx, a, &o, open, close, user_data, jobs);
}

cvo_status cvo_write_klaviyo_bulk_with(cvo_ctx *ctx, const cvo_analysis *a,
                                       const cvo_export_options *options, cvo_sink_open open,
                                       cvo_sink_close close, void *user_data, size_t *jobs)
{
    if (jobs != NULL)
        *jobs = 0;
    CVO_TRY(check_arguments(ctx, a, jobs));
    if (open == NULL || close == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "bulk import needs open and close callbacks");
    cvo_export_options o = export_options(options);
    bulk_writer w = {.ctx = ctx,
                     .open = open,
                     .close = close,
                     .user_data = user_data,
                     .per_job = profiles_per_job(cvo_analysis_config(a)),
                     .options = &o};
    cell_buf_init(&w.suffix, ctx);
    cell_buf_init(&w.body, ctx);
    bulk_suffix(&w.suffix, cvo_analysis_config(a));
    cvo_status status = cell_status(&w.suffix);
    if (status == CVO_OK)
        status = bulk_all(&w, a);
    cell_buf_free(&w.suffix);
    cell_buf_free(&w.body);
    *jobs = w.jobs;
    return status;
}

/* ---- events.jsonl --------------------------------------------------------------------------- */

static void json_event_open(cell_buf *b)
{
    cell_str(b, "{\"data\":{\"type\":\"event\",\"attributes\":{\"properties\":");
}

/* "cvo-<kind>-<keyed hash>": the hash of the kind, the customer key, the last
 * order day (the purchase cycle) and detail (what changed; "" for none). The
 * same event of the same cycle gets the same id on every run. */
static void event_unique_id(cell_buf *b, const keyed_hasher *ids, const cvo_customer *c,
                            const char *kind, const char *detail)
{
    char last_order[11], hash[KEYED_HEX + 1];
    cvo_day_format(c->last_order_day, last_order);
    const char *parts[4] = {kind, c->customer_id[0] ? c->customer_id : c->email, last_order,
                            detail};
    keyed_hasher_id(ids, parts, 4, hash);
    cell_str(b, "cvo-");
    cell_str(b, kind);
    cell_char(b, '-');
    cell_str(b, hash);
}

/* After the properties: time (the day), unique_id, metric name and profile. */
static void json_event_close(cell_buf *b, const keyed_hasher *ids, const cvo_customer *c,
                             int32_t day, const char *kind, const char *detail, const char *metric)
{
    char date[11];
    cvo_day_format(day, date);
    cell_str(b, ",\"time\":\"");
    cell_str(b, date);
    cell_str(b, "T00:00:00Z\",\"unique_id\":\"");
    event_unique_id(b, ids, c, kind, detail);
    cell_str(b, "\",\"metric\":{\"data\":{\"type\":\"metric\",\"attributes\":{\"name\":");
    cell_json_string(b, metric);
    cell_str(b, "}}},\"profile\":{\"data\":{\"type\":\"profile\",\"attributes\":{");
    json_identifiers(b, c);
    cell_str(b, "}}}}}}\n");
}

static void json_event(cell_buf *b, const keyed_hasher *ids, const cell_row *row)
{
    json_event_open(b);
    json_properties(b, row, event_properties, COUNT_OF(event_properties));
    json_event_close(b, ids, row->customer, row->result->winback_day, "winback", "",
                     "CVO Winback Due");
}

/* "CVO Segment Changed" (old and new segment) and "CVO Recency Dropped" (old
 * and new R score) of a customer in the migration, dated its as-of day. */
static void json_migration_events(cell_buf *b, const keyed_hasher *ids, const cvo_migration *m,
                                  const cell_row *row)
{
    size_t count = 0;
    const cvo_migration_customer *rows = cvo_migration_customers(m, &count);
    if (row->index >= count)
        return;
    const cvo_migration_customer *c = &rows[row->index];
    int32_t day = cvo_migration_to_day(m);
    cell values[3];
    set_klaviyo_date(&values[2], day);
    if (c->segment_changed) {
        static const char *const names[3] = {"CVO Old Segment", "CVO New Segment", "CVO As Of"};
        cell_set_text(&values[0], c->then_segment);
        cell_set_text(&values[1], row->segment);
        json_event_open(b);
        json_properties_with(b, row, NULL, 0, values, names, 3);
        json_event_close(b, ids, row->customer, day, "segment-changed", row->segment,
                         "CVO Segment Changed");
    }
    if (c->r_dropped) {
        static const char *const names[3] = {"CVO Old R", "CVO New R", "CVO As Of"};
        char r[4];
        snprintf(r, sizeof r, "%d", row->score->r);
        cell_set_int(&values[0], c->previous_r);
        cell_set_int(&values[1], row->score->r);
        json_event_open(b);
        json_properties_with(b, row, NULL, 0, values, names, 3);
        json_event_close(b, ids, row->customer, day, "recency-dropped", r, "CVO Recency Dropped");
    }
}

cvo_status cvo_write_klaviyo_events(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return cvo_write_klaviyo_events_with(ctx, a, NULL, out);
}

cvo_status cvo_write_klaviyo_events_migration(cvo_ctx *ctx, const cvo_analysis *a,
                                              const cvo_migration *m, FILE *out)
{
    cvo_export_options o = with_migration(m);
    return cvo_write_klaviyo_events_with(ctx, a, &o, out);
}

cvo_status cvo_write_klaviyo_events_with(cvo_ctx *ctx, const cvo_analysis *a,
                                         const cvo_export_options *options, FILE *out)
{
    CVO_TRY(check_arguments(ctx, a, out));
    cvo_export_options o = export_options(options);
    keyed_hasher ids; /* the key's pads hashed once for every event's id */
    keyed_hasher_init(&ids, o.id_key);
    const cvo_customer_result *results = cvo_analysis_results(a);
    bool moves = cvo_migration_has_previous(o.migration);
    cell_buf b;
    cell_buf_init(&b, ctx);
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < customer_count(a); i++) {
        bool due = (results[i].lists & CVO_LIST_WINBACK_DUE) && results[i].winback_day != INT32_MIN;
        if ((!due && !moves) || klaviyo_left_out(&o, a, i))
            continue;
        cell_row row;
        export_row(a, i, &row);
        if (due)
            json_event(&b, &ids, &row);
        if (moves)
            json_migration_events(&b, &ids, o.migration, &row);
        status = cell_flush_some(&b, out);
    }
    return cell_finish(&b, out, status);
}

/* ---- withdrawn.jsonl ------------------------------------------------------------------------ */

cvo_status cvo_write_klaviyo_withdrawn(cvo_ctx *ctx, const cvo_analysis *a,
                                       const cvo_export_options *options, FILE *out)
{
    CVO_TRY(check_arguments(ctx, a, out));
    cvo_export_options o = export_options(options);
    cell_buf b;
    cell_buf_init(&b, ctx);
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < customer_count(a); i++) {
        const cvo_customer *c = cvo_customers_at(cvo_analysis_customers(a), i);
        if (c->email[0] == '\0' || !klaviyo_left_out(&o, a, i))
            continue;
        cell_str(&b, "{\"type\":\"profile\",\"attributes\":{");
        json_identifiers(&b, c);
        cell_str(&b, "}}\n");
        status = cell_flush_some(&b, out);
    }
    return cell_finish(&b, out, status);
}
