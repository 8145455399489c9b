/* gorgias.c - Gorgias escalations: one POST /api/tickets body per line for
 * every customer gorgias_ticket_due picks. The customer's own words are the
 * customer's message; everything cvo says is an internal note. Each body opens
 * with its external_id (keyed customer and answer day), the key of the push's
 * ledger, so an answer never becomes two tickets. */
#include "output/gorgias.h"
#include "output/cells.h"

#include "analysis/analyze.h"
#include "base/ctx.h"

#include <math.h>
#include <string.h>

/* The customer's latest answer. */
typedef struct latest_answer {
    int score;
    int32_t day;
    const char *comment;
} latest_answer;

static latest_answer latest_of(const cvo_nps *nps, size_t index)
{
    return (latest_answer){cvo_nps_customer_last(nps, index), cvo_nps_customer_last_day(nps, index),
                           cvo_nps_customer_last_comment(nps, index)};
}

static int max_answer_age(const cvo_analysis *a)
{
    double days = cvo_config_number(cvo_analysis_config(a), "gorgias", "max_answer_age_days");
    return isfinite(days) && days >= 1 ? (int)days : 90;
}

bool gorgias_ticket_due(const cvo_analysis *a, const cvo_nps *nps, size_t index)
{
    if (a == NULL || nps == NULL || index >= cvo_customers_count(a->customers))
        return false;
    const cvo_score *score = &cvo_rfm_scores(a->rfm)[index];
    const cvo_customer *c = cvo_customers_at(a->customers, index);
    latest_answer r = latest_of(nps, index);
    if (score->segment >= CVO_MAX_SEGMENTS || !a->rules.top[score->segment] ||
        c->email[0] == '\0' || r.score < 0 || cvo_nps_class_of(r.score) != CVO_NPS_DETRACTOR ||
        r.day == INT32_MIN)
        return false;
    /* an answer after the as-of day (a caller's own nps) is the youngest there is */
    int64_t age = (int64_t)cvo_analysis_as_of(a) - r.day;
    return age < max_answer_age(a);
}

bool gorgias_key_customer(const char *external_id, char out[KEYED_HEX + 1])
{
    size_t prefix = sizeof GORGIAS_KEY_PREFIX - 1;
    if (strlen(external_id) != GORGIAS_KEY_BYTES - 1 ||
        strncmp(external_id, GORGIAS_KEY_PREFIX, prefix) != 0 ||
        strspn(external_id + prefix, "0123456789abcdef") != KEYED_HEX ||
        external_id[prefix + KEYED_HEX] != '-' ||
        strspn(external_id + prefix + KEYED_HEX + 1, "0123456789") != 8)
        return false;
    memcpy(out, external_id + prefix, KEYED_HEX);
    out[KEYED_HEX] = '\0';
    return true;
}

/* ---- one ticket ------------------------------------------------------------------- */

/* What a ticket is written from. */
typedef struct ticket {
    const cell_row *row;
    latest_answer answer;
    char key[GORGIAS_KEY_BYTES];
    const cvo_config *config;
} ticket;

/* "cvo-nps-<keyed customer>-<YYYYMMDD>": no e-mail in it, stable for one answer. */
static void ticket_key(const cvo_export_options *o, ticket *t)
{
    char hash[KEYED_HEX + 1], date[11];
    const cvo_customer *c = t->row->customer;
    keyed_customer(o->id_key, c->customer_id, c->email, hash);
    cvo_day_format(t->answer.day, date);
    snprintf(t->key, sizeof t->key, GORGIAS_KEY_PREFIX "%s-%.4s%.2s%.2s", hash, date, date + 5,
             date + 8);
}

static void json_subject(cell_buf *b, const ticket *t)
{
    cell_str(b, "\"NPS ");
    cell_int(b, t->answer.score);
    cell_str(b, " from a top customer (");
    cell_json_chars(b, t->row->segment);
    cell_str(b, ")\"");
}

static void note_money(cell_buf *b, const char *label, bool known, int64_t cents)
{
    cell_str(b, label);
    if (known)
        cell_money(b, cents);
    else
        cell_str(b, "unknown");
}

/* Who the customer is for the store (inside a JSON string). */
static void note_who(cell_buf *b, const ticket *t)
{
    const cell_row *row = t->row;
    const cvo_profit *profit = cvo_analysis_profit(row->analysis);
    const cvo_profit_row *p = profit ? &cvo_profit_rows(profit)[row->index] : NULL;
    cell_str(b, "Segment: ");
    cell_json_chars(b, row->segment);
    cell_str(b, "\\nOrders: ");
    cell_int(b, row->customer->orders);
    cell_str(b, "\\nLast order: ");
    cell_day(b, row->customer->last_order_day);
    note_money(b, "\\nProfit to date: ", p != NULL, p ? p->profit_cents : 0);
    note_money(b, "\\nPredicted profit: ", p && p->has_prediction,
               p ? p->predicted_profit_cents : 0);
    cell_str(b, "\\nPredicted CLV: ");
    if (isfinite(row->result->predicted_clv))
        cell_fixed(b, row->result->predicted_clv, 2, false);
    else
        cell_str(b, "unknown");
}

/* The internal note's text: the answer, the customer, what to do. */
static void note_text(cell_buf *b, const ticket *t)
{
    cell_str(b, "Written by cvo, not by the customer. A customer of a top segment answered the "
                "NPS survey with ");
    cell_int(b, t->answer.score);
    cell_str(b, " (a detractor) on ");
    cell_day(b, t->answer.day);
    cell_str(b, t->answer.comment && t->answer.comment[0]
                    ? "; their comment is the customer message above.\\n\\n"
                    : " without a comment.\\n\\n");
    note_who(b, t);
    cell_str(b, "\\n\\nWhat to do: reply within two working days, thank them for the answer, "
                "ask what went wrong and offer to put it right. Tag the ticket with the cause "
                "you find.");
}

/* The customer's message: their comment, or a neutral line saying there is none. */
static void json_customer_message(cell_buf *b, const ticket *t, const char *channel)
{
    const cvo_customer *c = t->row->customer;
    cell_str(b, "{\"channel\":");
    cell_json_string(b, channel);
    cell_str(b, ",\"via\":\"api\",\"from_agent\":false,\"sender\":{\"email\":");
    cell_json_string(b, c->email);
    cell_str(b, "},\"external_id\":\"");
    cell_str(b, t->key);
    cell_str(b, "-answer\",\"body_text\":\"");
    if (t->answer.comment && t->answer.comment[0]) {
        cell_json_chars(b, t->answer.comment);
    } else {
        cell_str(b, "(NPS ");
        cell_int(b, t->answer.score);
        cell_str(b, ", no comment)");
    }
    cell_str(b, "\"}");
}

static void json_note(cell_buf *b, const ticket *t)
{
    cell_str(b, "{\"channel\":\"internal-note\",\"via\":\"api\",\"from_agent\":true,"
                "\"public\":false,\"external_id\":\"");
    cell_str(b, t->key);
    cell_str(b, "-note\",\"body_text\":\"");
    note_text(b, t);
    cell_str(b, "\"}");
}

/* [gorgias] tags as [{"name":...},...]. */
static void json_tags(cell_buf *b, const cvo_config *config)
{
    const char *tags = cvo_config_text(config, "gorgias", "tags");
    bool first = true;
    cell_char(b, '[');
    for (const char *p = tags ? tags : ""; *p;) {
        size_t len = strcspn(p, ",");
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len < 255 ? len : 255), p);
        if (len > 0) {
            cell_str(b, first ? "{\"name\":" : ",{\"name\":");
            cell_json_string(b, name);
            cell_char(b, '}');
            first = false;
        }
        p += len + (p[len] == ',');
    }
    cell_char(b, ']');
}

static void json_ticket(cell_buf *b, const ticket *t)
{
    const char *channel = cvo_config_text(t->config, "gorgias", "channel");
    double team = cvo_config_number(t->config, "gorgias", "assignee_team_id");
    channel = channel && channel[0] ? channel : "api";
    cell_str(b, "{\"external_id\":\"");
    cell_str(b, t->key);
    cell_str(b, "\",\"channel\":");
    cell_json_string(b, channel);
    cell_str(b, ",\"via\":\"api\",\"from_agent\":false,\"status\":\"open\",\"subject\":");
    json_subject(b, t);
    cell_str(b, ",\"customer\":{\"email\":");
    cell_json_string(b, t->row->customer->email);
    cell_str(b, "},\"tags\":");
    json_tags(b, t->config);
    if (team >= 1) {
        cell_str(b, ",\"assignee_team\":{\"id\":");
        cell_int(b, (int64_t)team);
        cell_char(b, '}');
    }
    cell_str(b, ",\"messages\":[");
    json_customer_message(b, t, channel);
    cell_char(b, ',');
    json_note(b, t);
    cell_str(b, "]}\n");
}

cvo_status cvo_write_gorgias_tickets(cvo_ctx *ctx, const cvo_analysis *a, const cvo_nps *nps,
                                     FILE *out)
{
    return cvo_write_gorgias_tickets_with(ctx, a, nps, NULL, out);
}

cvo_status cvo_write_gorgias_tickets_with(cvo_ctx *ctx, const cvo_analysis *a, const cvo_nps *nps,
                                          const cvo_export_options *options, FILE *out)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (a == NULL || nps == NULL || out == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "no analysis, NPS answers or output");
    cvo_export_options o = export_options(options);
    size_t count = cvo_customers_count(a->customers);
    cell_buf b;
    cell_buf_init(&b, ctx);
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < count; i++) {
        if (!gorgias_ticket_due(a, nps, i) || export_left_out(&o, a, i))
            continue;
        cell_row row;
        export_row(a, i, &row);
        ticket t = {&row, latest_of(nps, i), "", cvo_analysis_config(a)};
        ticket_key(&o, &t);
        json_ticket(&b, &t);
        status = cell_flush_some(&b, out);
    }
    return cell_finish(&b, out, status);
}
