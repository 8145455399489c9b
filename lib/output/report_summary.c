/* report_summary.c - the report's sections on the store as a whole and its RFM
 * segments: "Summary" (cards), "Segments", "Where profit comes from" and the
 * recency x frequency grid. A segment without customers is named in a sentence
 * under its table, never shown as an empty row. */
#include "output/report_page.h"

#include "base/ctx.h"
#include "output/report_text.h"
#include "output/svg.h"

#include <math.h>

/* ---- summary ------------------------------------------------------------- */

static void summary_cards(report *r, const char *as_of)
{
    char value[64], sub[160], first[11];
    report_count(value, sizeof value, r->count);
    snprintf(sub, sizeof sub, "%.1f%% bought more than once",
             r->count ? 100.0 * (double)r->repeat_buyers / (double)r->count : 0);
    report_card(r, "Customers", value, sub);
    report_count(value, sizeof value, r->orders);
    snprintf(sub, sizeof sub, "%.2f per customer",
             r->count ? (double)r->orders / (double)r->count : 0);
    report_card(r, "Orders", value, sub);
    report_fmt_cents(value, sizeof value, r, r->revenue_cents, 0);
    char aov[64];
    report_fmt_cents(aov, sizeof aov, r, r->orders ? r->revenue_cents / (int64_t)r->orders : 0, 2);
    snprintf(sub, sizeof sub, "net of discounts and refunds; %s per order", aov);
    if (r->no_amounts)
        report_card(r, "Revenue", "-", "no amounts: a count-only event log");
    else
        report_card(r, "Revenue", value, sub);
    report_fmt_day(first, r->first_day);
    snprintf(sub, sizeof sub, "history since %s", first);
    report_card(r, "As of", as_of, sub);
}

static void summary_model_cards(report *r)
{
    char value[64], sub[160];
    size_t n;
    double clv = report_sum_finite_clv(r, &n);
    double months = report_setting_number(r, "model", "horizon_months", 12);
    if (cvo_analysis_model_ok(r->a)) {
        const cvo_fit *fit = cvo_analysis_purchase_fit(r->a);
        char n_fit[32];
        report_count(n_fit, sizeof n_fit, fit ? fit->n : 0);
        snprintf(sub, sizeof sub, "%s and Gamma-Gamma, fitted on %s customers", report_chosen_title(r),
                 n_fit);
        report_card(r, "Model", "Fitted", sub);
    } else {
        report_card(r, "Model", "Not available", "see the note below");
    }
    if (n > 0) {
        report_fmt_units(value, sizeof value, r, clv, 0);
        snprintf(sub, sizeof sub, "predicted over the next %.0f months, discounted", months);
        report_card(r, "Predicted value", value, sub);
    }
}

static void summary_risk_card(report *r)
{
    uint64_t risk[3] = {0, 0, 0};
    for (size_t i = 0; i < r->count; i++)
        if ((unsigned)r->results[i].churn_risk < 3)
            risk[r->results[i].churn_risk]++;
    char value[32], sub[96], medium[32], low[32];
    report_count(value, sizeof value, risk[CVO_CHURN_HIGH]);
    report_count(medium, sizeof medium, risk[CVO_CHURN_MEDIUM]);
    report_count(low, sizeof low, risk[CVO_CHURN_LOW]);
    snprintf(sub, sizeof sub, "%s medium, %s low", medium, low);
    report_card(r, "High churn risk", value, sub);
}

void report_section_summary(report *r, const char *as_of)
{
    report_section_open(r, "summary", "Summary",
                 "The store at a glance: who buys, how much, and what the models expect next.");
    report_put(r, "<div class=\"cards\">\n");
    summary_cards(r, as_of);
    summary_model_cards(r);
    summary_risk_card(r);
    report_put(r, "</div>\n");
    const char *model_note = cvo_analysis_model_note(r->a);
    if (model_note && model_note[0])
        report_note_box(r, cvo_analysis_model_ok(r->a) ? "Model note." : "No model.", model_note);
    report_section_close(r);
}

/* ---- segments ------------------------------------------------------------ */

static void segments_table(report *r, const cvo_segment_row *rows, size_t n)
{
    static const char *const cols[] = {"Segment",
                                       "#Customers",
                                       "#Share",
                                       "#Revenue (%s)",
                                       "#Revenue share",
                                       "#Orders",
                                       "#Order value (%s)",
                                       "#Median days since last order"};
    report_table_head(r, "Segment table", cols, sizeof cols / sizeof cols[0], true);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].customers == 0)
            continue;
        report_put(r, "<tr><th scope=\"row\">");
        report_esc(r, rows[i].name);
        report_put(r, "</th>");
        report_td_count(r, rows[i].customers);
        report_td_real(r, 100 * rows[i].customer_share, 1, "%");
        report_td_money(r, rows[i].revenue_cents, 0);
        report_td_real(r, r->no_amounts ? NAN : 100 * rows[i].revenue_share, 1, "%");
        report_td_count(r, rows[i].orders);
        report_td_money(r, rows[i].aov_cents, 2);
        report_td_real(r, rows[i].median_recency_days, 0, "");
        report_put(r, "</tr>\n");
    }
    report_table_end(r);
    size_t empty = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].customers == 0)
            report_empty_add(r, &empty, "<p>No customer is in ", rows[i].name);
    report_empty_end(r, empty);
}

cvo_status report_section_segments(report *r)
{
    const cvo_segment_row *rows = cvo_analysis_segments(r->a);
    size_t n = cvo_scheme_segment_count(cvo_analysis_scheme(r->a));
    report_section_open(r, "segments", "Segments",
                 "How many customers each RFM segment holds, beside the share of revenue it "
                 "brings. Segments whose revenue bar is longer than their customer bar are "
                 "worth more than their size.");
    svg_pair *pairs = mem_array(r->ctx, n ? n : 1, sizeof *pairs);
    if (pairs == NULL)
        return ctx_nomem(r->ctx);
    for (size_t i = 0; i < n; i++)
        pairs[i] = (svg_pair){rows[i].name, rows[i].customer_share, rows[i].revenue_share};
    report_figure_open(r);
    svg_paired_bars(r->out, "Customer share and revenue share by segment", pairs, n,
                    "share of customers", "share of revenue");
    report_figure_close(r, "Grey: share of all customers; green: share of net revenue.");
    mem_free(r->ctx, pairs);
    segments_table(r, rows, n);
    report_section_close(r);
    return CVO_OK;
}

/* ---- profit --------------------------------------------------------------- */

static void profit_table(report *r, const cvo_profit *profit)
{
    static const char *const cols[] = {"Segment",
                                       "#Customers",
                                       "#Revenue share",
                                       "#Profit (%s)",
                                       "#Profit share",
                                       "#Mean profit per customer (%s)",
                                       "#Unprofitable customers"};
    const cvo_profit_segment *rows = cvo_profit_segments(profit);
    report_table_head(r, "Profit by segment", cols, sizeof cols / sizeof cols[0], true);
    size_t n = cvo_profit_segment_count(profit), empty = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].customers == 0)
            continue;
        report_put(r, "<tr><th scope=\"row\">");
        report_esc(r, rows[i].name);
        report_put(r, "</th>");
        report_td_count(r, rows[i].customers);
        report_td_real(r, 100 * rows[i].revenue_share, 1, "%");
        report_td_money(r, rows[i].profit_cents, 0);
        report_td_real(r, 100 * rows[i].profit_share, 1, "%");
        report_td_money(r, rows[i].mean_profit_cents, 2);
        report_td_real(r, 100 * rows[i].unprofitable_share, 1, "%");
        report_put(r, "</tr>\n");
    }
    report_table_end(r);
    for (size_t i = 0; i < n; i++)
        if (rows[i].customers == 0)
            report_empty_add(r, &empty, "<p>No customer is in ", rows[i].name);
    report_empty_end(r, empty);
}

static void profit_cards(report *r, const cvo_profit_totals *t)
{
    char value[64], sub[96];
    report_put(r, "<div class=\"cards\">\n");
    report_fmt_cents(value, sizeof value, r, t->profit_cents, 0);
    report_card(r, "Profit to date", value, "margin after acquisition costs");
    report_count(value, sizeof value, t->unprofitable);
    snprintf(sub, sizeof sub, "%.1f%% of customers have not paid back yet",
             t->customers ? 100.0 * (double)t->unprofitable / (double)t->customers : 0.0);
    report_card(r, "Unprofitable customers", value, sub);
    if (t->purchase_model) {
        report_fmt_cents(value, sizeof value, r, t->predicted_profit_cents, 0);
        report_card(r, "Predicted profit", value, "over the horizon, not discounted");
    }
    report_put(r, "</div>\n");
}

/* Which source covered what share of revenue, and what the model could not do. */
static void profit_sources(report *r, const cvo_profit *profit)
{
    const cvo_profit_totals *t = cvo_profit_overall(profit);
    char text[320];
    snprintf(text, sizeof text,
             "Cost of goods came from the order lines' own unit cost for %.1f%% of net revenue, "
             "from the products file for %.1f%%, and from the default margin of %.0f%% for "
             "%.1f%%.",
             100 * t->from_line_share, 100 * t->from_products_share,
             100 * report_setting_number(r, "profit", "default_margin", 0.5), 100 * t->by_default_share);
    report_note_box(r, "Cost sources.", text);
    if (cvo_profit_note(profit)[0])
        report_note_box(r, "Predicted profit.", cvo_profit_note(profit));
}

cvo_status report_section_profit(report *r)
{
    const cvo_profit *profit = cvo_analysis_profit(r->a);
    report_section_open(r, "profit", "Where profit comes from",
                 "Each segment's share of net revenue beside its share of profit (margin after "
                 "goods, shipping, payment fees and acquisition). A segment whose profit bar is "
                 "shorter than its revenue bar earns less than its sales suggest.");
    if (profit == NULL) {
        report_note_box(r, "No profit.", "Profit could not be computed for this analysis.");
        report_section_close(r);
        return CVO_OK;
    }
    size_t n = cvo_profit_segment_count(profit);
    const cvo_profit_segment *rows = cvo_profit_segments(profit);
    svg_pair *pairs = mem_array(r->ctx, n ? n : 1, sizeof *pairs);
    if (pairs == NULL)
        return ctx_nomem(r->ctx);
    for (size_t i = 0; i < n; i++)
        pairs[i] = (svg_pair){rows[i].name, rows[i].revenue_share, rows[i].profit_share};
    profit_cards(r, cvo_profit_overall(profit));
    report_figure_open(r);
    svg_paired_bars(r->out, "Revenue share and profit share by segment", pairs, n,
                    "share of revenue", "share of profit");
    report_figure_close(r, "Grey: share of net revenue; green: share of profit to date.");
    mem_free(r->ctx, pairs);
    profit_table(r, profit);
    profit_sources(r, profit);
    report_section_close(r);
    return CVO_OK;
}

/* ---- R x F grid ---------------------------------------------------------- */

void report_section_rfm_grid(report *r)
{
    const cvo_rfm *rfm = cvo_analysis_rfm(r->a);
    const cvo_score *scores = cvo_rfm_scores(rfm);
    int levels = cvo_rfm_levels(rfm);
    double sum[CVO_MAX_LEVELS * CVO_MAX_LEVELS] = {0}, mean[CVO_MAX_LEVELS * CVO_MAX_LEVELS];
    uint64_t count[CVO_MAX_LEVELS * CVO_MAX_LEVELS] = {0};
    for (size_t i = 0; i < r->count; i++) {
        int x = scores[i].r - 1, y = scores[i].f - 1;
        if (x < 0 || y < 0 || x >= levels || y >= levels)
            continue;
        sum[y * levels + x] += scores[i].m;
        count[y * levels + x]++;
    }
    for (int k = 0; k < levels * levels; k++)
        mean[k] = count[k] ? sum[k] / (double)count[k] : 0;
    report_section_open(r, "rfm-grid", "Recency \xC3\x97 frequency grid",
                 "Every customer sits in one cell by recency score (R, across) and frequency "
                 "score (F, up); 1 is worst, the highest score best. The colour and the large "
                 "number are the cell's mean monetary score (M); n is the number of customers.");
    svg_grid grid = {.size = levels,
                     .value = mean,
                     .count = count,
                     .min = 1,
                     .max = levels,
                     .x_name = "Recency score R (higher = more recent)",
                     .y_name = "Frequency score F",
                     .value_name = "Mean M"};
    report_figure_open(r);
    svg_heat_grid(r->out,
                  "Customers by recency and frequency score, coloured by mean "
                  "monetary score",
                  &grid);
    report_figure_close(r, "Top right: recent and frequent buyers. Bottom left: one order, long ago. "
                    "A dash marks an empty cell.");
    report_section_close(r);
}
