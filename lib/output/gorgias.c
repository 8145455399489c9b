/* gorgias.c - Gorgias escalations: one POST /api/tickets body per line for
 * every top-segment customer whose latest NPS answer is a detractor. Each body
 * opens with its external_id, the key a push ledger remembers, so a response
 * never becomes two tickets. */
#include "output/gorgias.h"

#include "output/cells.h"

#include "analysis/analyze.h"
#include "base/ctx.h"

#include <math.h>
#include <string.h>

/* What the ticket says of the customer's latest answer. The NPS object keeps
 * only the latest score per customer today; day and comment follow when it
 * exposes them (day INT32_MIN and comment NULL until then). */
typedef struct latest_answer {
    int score;
    int32_t day;
    const char *comment;
} latest_answer;

static latest_answer latest_of(const cvo_nps *nps, size_t index)
{
    return (latest_answer){cvo_nps_customer_last(nps, index),
                           cvo_nps_customer_last_day(nps, index),
                           cvo_nps_customer_last_comment(nps, index)};
}

bool gorgias_ticket_due(const cvo_analysis *a, const cvo_nps *nps, size_t index)
{
    if (a == NULL || nps == NULL || index >= cvo_customers_count(a->customers))
        return false;
    const cvo_score *s = &cvo_rfm_scores(a->rfm)[index];
    int score = cvo_nps_customer_last(nps, index);
    return s->segment < CVO_MAX_SEGMENTS && a->rules.top[s->segment] &&
           cvo_customers_at(a->customers, index)->email[0] != '\0' && score >= 0 &&
           cvo_nps_class_of(score) == CVO_NPS_DETRACTOR;
}

/* "cvo-nps-<email>-<day>", or "cvo-nps-<email>-score-<score>" while the day
 * of the answer is not known: stable across runs for the same answer. */
static void json_key(cell_buf *b, const cvo_customer *c, const latest_answer *r)
{
    cell_str(b, "\"cvo-nps-");
    cell_json_chars(b, c->email);
    cell_char(b, '-');
    if (r->day != INT32_MIN) {
        cell_day(b, r->day);
    } else {
        cell_str(b, "score-");
        cell_int(b, r->score);
    }
    cell_char(b, '"');
}

static void json_subject(cell_buf *b, const cell_row *row, const latest_answer *r)
{
    cell_str(b, "\"Unhappy top customer: ");
    cell_json_chars(b, row->segment);
    cell_str(b, ", NPS ");
    cell_int(b, r->score);
    cell_char(b, '"');
}

static void note_money(cell_buf *b, const char *label, bool known, int64_t cents)
{
    cell_str(b, label);
    if (known)
        cell_money(b, cents);
    else
        cell_str(b, "unknown");
    cell_str(b, "\\n");
}

/* The internal note's text (inside a JSON string): what the agent needs first. */
static void note_text(cell_buf *b, const cell_row *row, const latest_answer *r)
{
    const cvo_profit *profit = cvo_analysis_profit(row->analysis);
    const cvo_profit_row *p = profit ? &cvo_profit_rows(profit)[row->index] : NULL;
    cell_str(b, "CVO: a customer of a top segment answered NPS as a detractor.\\nSegment: ");
    cell_json_chars(b, row->segment);
    cell_str(b, "\\nPredicted CLV: ");
    if (isfinite(row->result->predicted_clv))
        cell_fixed(b, row->result->predicted_clv, 2, false);
    else
        cell_str(b, "unknown");
    note_money(b, "\\nProfit to date: ", p != NULL, p ? p->profit_cents : 0);
    note_money(b, "Predicted profit: ", p && p->has_prediction,
               p ? p->predicted_profit_cents : 0);
    cell_str(b, "Orders: ");
    cell_int(b, row->customer->orders);
    cell_str(b, "\\nLast order: ");
    cell_day(b, row->customer->last_order_day);
    cell_str(b, "\\nNPS score: ");
    cell_int(b, r->score);
    if (r->day != INT32_MIN) {
        cell_str(b, " (answered ");
        cell_day(b, r->day);
        cell_char(b, ')');
    }
    cell_str(b, "\\nComment: ");
    cell_json_chars(b, r->comment && r->comment[0] ? r->comment : "(none)");
}

static void json_ticket(cell_buf *b, const cell_row *row, const latest_answer *r)
{
    cell_str(b, "{\"external_id\":");
    json_key(b, row->customer, r);
    cell_str(b, ",\"channel\":\"email\",\"via\":\"api\",\"from_agent\":false,"
                "\"status\":\"open\",\"priority\":\"high\",\"subject\":");
    json_subject(b, row, r);
    cell_str(b, ",\"customer\":{\"email\":");
    cell_json_string(b, row->customer->email);
    cell_str(b, "},\"tags\":[{\"name\":\"cvo\"},{\"name\":\"vip-detractor\"}],"
                "\"messages\":[{\"channel\":\"internal-note\",\"via\":\"api\","
                "\"from_agent\":true,\"public\":false,\"external_id\":");
    json_key(b, row->customer, r);
    cell_str(b, ",\"subject\":");
    json_subject(b, row, r);
    cell_str(b, ",\"body_text\":\"");
    note_text(b, row, r);
    cell_str(b, "\"}]}\n");
}

cvo_status cvo_write_gorgias_tickets(cvo_ctx *ctx, const cvo_analysis *a, const cvo_nps *nps,
                                     FILE *out)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (a == NULL || nps == NULL || out == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "no analysis, NPS answers or output");
    size_t count = cvo_customers_count(a->customers);
    cell_buf b;
    cell_buf_init(&b, ctx);
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < count; i++) {
        if (!gorgias_ticket_due(a, nps, i))
            continue;
        latest_answer r = latest_of(nps, i);
        cell_row row;
        export_row(a, i, &row);
        json_ticket(&b, &row, &r);
        status = cell_flush_some(&b, out);
    }
    return cell_finish(&b, out, status);
}
