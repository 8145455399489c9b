/* report_page.h - what the sections of report.html share: the report being
 * written (the analysis, the stream, totals worked out once) and the pieces
 * every section is made of. Every text from the data goes through esc; money
 * cells show "-" for a count-only event log. Internal to lib/output. */
#ifndef CVO_REPORT_PAGE_H
#define CVO_REPORT_PAGE_H

#include "cvo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The report being written: the analysis and its stream, and what every
 * section reads of it, worked out once by report.c. */
typedef struct report {
    cvo_ctx *ctx;
    const cvo_analysis *a;
    FILE *out;
    const cvo_customers *customers;
    const cvo_customer_result *results;
    size_t count;
    const char *currency;
    int64_t revenue_cents;
    uint64_t orders, repeat_buyers;
    int32_t first_day;
    const cvo_migration *migration; /* NULL: no migration section */
    const cvo_trend *trend;         /* NULL: no trend section */
    bool show_emails;               /* [report] show_emails: else masked */
    bool no_amounts;                /* a count-only log: money cells show "-" */
} report;

/* ---- text (report_page.c) ------------------------------------------------ */

/* Writes html as it is (markup of the report's own). */
void report_put(report *r, const char *html);
/* Writes text escaped for HTML (svg_escape). */
void report_esc(report *r, const char *text);
/* Money for running text: the amount and the currency code. */
void report_fmt_cents(char *buf, size_t size, const report *r, int64_t cents, int decimals);
/* As fmt_cents from currency units; "-" when not finite. */
void report_fmt_units(char *buf, size_t size, const report *r, double units, int decimals);
/* YYYY-MM-DD into buf (11 bytes); "-" for INT32_MIN. */
void report_fmt_day(char *buf, int32_t day);

/* ---- configuration (report_page.c) --------------------------------------- */

/* A setting of the analysis' configuration; fallback when unset or empty. */
const char *report_setting_text(const report *r, const char *section, const char *key,
                         const char *fallback);
/* A number setting; fallback when unset or not finite. */
double report_setting_number(const report *r, const char *section, const char *key, double fallback);
/* The model's period in the plural: "days", "weeks" or "months". */
const char *report_period_name(const report *r);

/* ---- page pieces (report_page.c) ----------------------------------------- */

/* <section id> with its <h2> heading and an optional lead paragraph. */
void report_section_open(report *r, const char *id, const char *heading, const char *lead);
void report_section_close(report *r);
/* A plain-words box for what could not be computed (text empty: "No reason
 * was recorded."). */
void report_note_box(report *r, const char *title, const char *text);
/* One summary card: a label, a large value and a line under it. */
void report_card(report *r, const char *label, const char *value, const char *sub);
/* A table with a caption and a header row; a column name starting with '#' is
 * right-aligned (numbers), one containing "%s" gets the currency. wide tables
 * take the full width, others only what they need. */
void report_table_head(report *r, const char *caption, const char *const *cols, size_t n, bool wide);
void report_table_end(report *r);
/* Table cells: text, money in cents ("-" without amounts), a grouped count,
 * and a real with decimals places and suffix ("-" if not finite). */
void report_td(report *r, const char *text, bool numeric);
void report_td_money(report *r, int64_t cents, int decimals);
void report_td_count(report *r, uint64_t v);
void report_td_real(report *r, double v, int decimals, const char *suffix);
/* A sentence naming the groups a table left out for being empty: the first
 * call opens it with lead (HTML), each adds a name; empty_end closes it. */
void report_empty_add(report *r, size_t *count, const char *lead, const char *name);
void report_empty_end(report *r, size_t count);
/* A <figure> around a chart, closed with its caption. */
void report_figure_open(report *r);
void report_figure_close(report *r, const char *caption);

/* ---- models and predictions (report_page.c) ------------------------------ */

/* A model's name as the report writes it: "BG/NBD", "Pareto/NBD", ... */
const char *report_model_title(cvo_model model);
/* The purchase model the analysis backtested and predicts with. */
const char *report_chosen_title(const report *r);
/* The sum of the finite predicted CLVs; *n gets their count. */
double report_sum_finite_clv(const report *r, size_t *n);

/* ---- sections ------------------------------------------------------------ */

/* report_summary.c: "Summary", "Segments", "Where profit comes from" and the
 * R x F grid. Errors (segments, profit): CVO_ERR_NOMEM. */
void report_section_summary(report *r, const char *as_of);
cvo_status report_section_segments(report *r);
cvo_status report_section_profit(report *r);
void report_section_rfm_grid(report *r);
/* report_nps.c: "What customers say: NPS". Errors: CVO_ERR_NOMEM. */
cvo_status report_section_nps(report *r);
/* report_predictions.c: "Predicted CLV" and "P(alive) by segment".
 * Errors: CVO_ERR_NOMEM. */
cvo_status report_section_clv(report *r);
cvo_status report_section_p_alive(report *r);
/* report_backtest.c: "Backtest". */
void report_section_backtest(report *r);
/* report_top_customers.c: "Top customers". */
void report_section_top_customers(report *r);
/* report_quality.c: "Data quality". */
void report_section_data_quality(report *r);
/* report_method.c: "Method". */
void report_section_method(report *r);

#endif
