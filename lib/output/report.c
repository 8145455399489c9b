/* report.c - report.html: one self-contained page (inline CSS and SVG, no script,
 * no network) showing an analysis section by section. Every text that comes from
 * the data is escaped, and the only date on the page is the analysis as-of day
 * (and, with a history database, the as-of days of the snapshots compared). */
#include "base/ctx.h"
#include "base/sort.h"
#include "output/report_actions.h"
#include "output/report_experiments.h"
#include "output/report_cohort.h"
#include "output/report_dive.h"
#include "output/report_history.h"
#include "output/report_opps.h"
#include "output/report_text.h"
#include "output/report_trend.h"
#include "output/svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOP_CUSTOMERS_DEFAULT 25
#define TOP_CUSTOMERS_MAX 1000 /* the config key's own maximum */
#define CLV_MAX_BINS 16

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

/* ---- text ---------------------------------------------------------------- */

static void put(report *r, const char *html)
{
    fputs(html, r->out);
}

static void esc(report *r, const char *text)
{
    svg_escape(r->out, text);
}

/* Money for running text: the amount and the currency code. */
static void fmt_cents(char *buf, size_t size, const report *r, int64_t cents, int decimals)
{
    char amount[40];
    report_amount(amount, sizeof amount, cents, decimals);
    snprintf(buf, size, "%s%s%.8s", amount, r->currency[0] ? " " : "", r->currency);
}

static void fmt_units(char *buf, size_t size, const report *r, double units, int decimals)
{
    if (!isfinite(units))
        snprintf(buf, size, "-");
    else
        fmt_cents(buf, size, r, (int64_t)llround(units * 100), decimals);
}

static void fmt_day(char *buf, int32_t day)
{
    if (day == INT32_MIN)
        memcpy(buf, "-", 2);
    else
        cvo_day_format(day, buf);
}

/* ---- configuration ------------------------------------------------------- */

static const char *setting_text(const report *r, const char *section, const char *key,
                                const char *fallback)
{
    const char *v = cvo_config_text(cvo_analysis_config(r->a), section, key);
    return v && v[0] ? v : fallback;
}

static double setting_number(const report *r, const char *section, const char *key, double fallback)
{
    double v = cvo_config_number(cvo_analysis_config(r->a), section, key);
    return isfinite(v) ? v : fallback;
}

static const char *period_name(const report *r)
{
    const char *p = setting_text(r, "model", "period", "week");
    return strcmp(p, "day") == 0 ? "days" : strcmp(p, "month") == 0 ? "months" : "weeks";
}

static double period_days(const report *r)
{
    const char *p = setting_text(r, "model", "period", "week");
    return strcmp(p, "day") == 0 ? 1 : strcmp(p, "month") == 0 ? 365.25 / 12 : 7;
}

/* ---- page pieces --------------------------------------------------------- */

static void section_open(report *r, const char *id, const char *heading, const char *lead)
{
    fprintf(r->out, "<section id=\"%s\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">", id, id, id);
    esc(r, heading);
    put(r, "</h2>\n");
    if (lead) {
        put(r, "<p class=\"lead\">");
        esc(r, lead);
        put(r, "</p>\n");
    }
}

static void section_close(report *r)
{
    put(r, "</section>\n");
}

/* A plain-words box for what could not be computed. */
static void note_box(report *r, const char *title, const char *text)
{
    put(r, "<div class=\"note\" role=\"note\"><strong>");
    esc(r, title);
    put(r, "</strong> ");
    esc(r, text && text[0] ? text : "No reason was recorded.");
    put(r, "</div>\n");
}

static void card(report *r, const char *label, const char *value, const char *sub)
{
    put(r, "<div class=\"card\"><div class=\"label\">");
    esc(r, label);
    put(r, "</div><div class=\"value\">");
    esc(r, value);
    put(r, "</div><div class=\"sub\">");
    esc(r, sub);
    put(r, "</div></div>\n");
}

static void th(report *r, const char *text, bool numeric)
{
    fprintf(r->out, "<th scope=\"col\"%s>", numeric ? " class=\"num\"" : "");
    esc(r, text);
    put(r, "</th>");
}

/* A table with a caption and a header row; a column name starting with '#' is
 * right-aligned (numbers), one containing "%s" gets the currency. wide tables
 * take the full width, others only what they need. */
static void table_head(report *r, const char *caption, const char *const *cols, size_t n, bool wide)
{
    fprintf(r->out, "<div class=\"scroll\"><table%s>\n<caption>", wide ? " class=\"wide\"" : "");
    esc(r, caption);
    put(r, "</caption>\n<thead><tr>");
    for (size_t i = 0; i < n; i++) {
        const char *name = cols[i][0] == '#' ? cols[i] + 1 : cols[i];
        char with_currency[64];
        if (strstr(name, "%s")) {
            const char *at = strstr(name, "%s");
            snprintf(with_currency, sizeof with_currency, "%.*s%s%s", (int)(at - name), name,
                     r->currency[0] ? r->currency : "amount", at + 2);
            name = with_currency;
        }
        th(r, name, cols[i][0] == '#');
    }
    put(r, "</tr></thead>\n<tbody>\n");
}

static void table_end(report *r)
{
    put(r, "</tbody></table></div>\n");
}

static void td(report *r, const char *text, bool numeric)
{
    put(r, numeric ? "<td class=\"num\">" : "<td>");
    esc(r, text);
    put(r, "</td>");
}

/* A table cell of money (the currency is in the column header). */
static void td_money(report *r, int64_t cents, int decimals)
{
    if (r->no_amounts) {
        td(r, "-", true);
        return;
    }
    char buf[40];
    report_amount(buf, sizeof buf, cents, decimals);
    td(r, buf, true);
}

static void td_count(report *r, uint64_t v)
{
    char buf[32];
    report_count(buf, sizeof buf, v);
    td(r, buf, true);
}

/* A number with decimals places, followed by suffix ("%" or ""); "-" if not finite. */
static void td_real(report *r, double v, int decimals, const char *suffix)
{
    char buf[48];
    if (isfinite(v))
        snprintf(buf, sizeof buf, "%.*f%s", decimals, v, suffix);
    else
        snprintf(buf, sizeof buf, "-");
    td(r, buf, true);
}

static const char *chosen_title(const report *r);

/* A sentence naming the groups a table left out for being empty: the first
 * call opens it with lead (HTML), each adds a name; empty_end closes it. */
static void empty_add(report *r, size_t *count, const char *lead, const char *name)
{
    put(r, *count ? ", " : lead);
    esc(r, name);
    (*count)++;
}

static void empty_end(report *r, size_t count)
{
    if (count > 0)
        put(r, ".</p>\n");
}

static void figure_open(report *r)
{
    put(r, "<figure>\n");
}

static void figure_close(report *r, const char *caption)
{
    put(r, "<figcaption>");
    esc(r, caption);
    put(r, "</figcaption>\n</figure>\n");
}

/* ---- sorting helpers ----------------------------------------------------- */

/* Linear-interpolated quantile of sorted v[0..n-1], n > 0. */
static double quantile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
}

/* The finite values of predicted CLV (clv) or P(alive), sorted; *n gets their count. */
static cvo_status finite_sorted(report *r, bool clv, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    double *v = mem_array(r->ctx, r->count ? r->count : 1, sizeof *v);
    if (v == NULL)
        return ctx_nomem(r->ctx);
    size_t k = 0;
    for (size_t i = 0; i < r->count; i++) {
        double x = clv ? r->results[i].predicted_clv : r->results[i].p_alive;
        if (isfinite(x))
            v[k++] = x;
    }
    double *scratch = mem_array(r->ctx, k ? k : 1, sizeof *scratch);
    if (scratch == NULL) {
        mem_free(r->ctx, v);
        return ctx_nomem(r->ctx);
    }
    sort_doubles(v, k, scratch);
    mem_free(r->ctx, scratch);
    *out = v;
    *n = k;
    return CVO_OK;
}

/* ---- head ---------------------------------------------------------------- */

static const char STYLE[] =
    ":root{--ink:#1f2937;--muted:#6b7280;--rule:#e5e7eb;--accent:#0f766e;--bg:#f5f6f8}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
    "sans-serif}\n"
    "header.top{background:#fff;border-bottom:1px solid var(--rule)}\n"
    "header.top .wrap{padding-top:22px;padding-bottom:14px}\n"
    ".wrap{max-width:1040px;margin:0 auto;padding:0 24px}\n"
    "h1{font-size:26px;line-height:1.2;margin:0 0 4px;letter-spacing:-.01em}\n"
    "h2{font-size:19px;margin:0 0 2px}\n"
    "h3{font-size:15px;margin:18px 0 6px}\n"
    ".meta{color:var(--muted);margin:0}\n"
    "nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;margin:12px 0 0;"
    "padding:0;font-size:14px}\n"
    "nav a{color:var(--accent);text-decoration:none}\n"
    "nav a:hover{text-decoration:underline}\n"
    "section{background:#fff;border:1px solid var(--rule);border-radius:10px;"
    "padding:20px 24px;margin:20px 0}\n"
    ".lead{color:var(--muted);margin:0 0 16px;max-width:75ch}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}\n"
    ".card{border:1px solid var(--rule);border-radius:8px;padding:12px 14px}\n"
    ".card .label{font-size:12px;text-transform:uppercase;letter-spacing:.05em;"
    "color:var(--muted)}\n"
    ".card .value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;"
    "margin:2px 0}\n"
    ".card .sub{font-size:13px;color:var(--muted)}\n"
    ".chips{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}\n"
    ".chips li{border:1px solid var(--rule);border-radius:999px;padding:3px 12px;"
    "font-size:14px}\n"
    ".chips b{font-variant-numeric:tabular-nums}\n"
    ".note{border-left:4px solid #d97706;background:#fffbeb;padding:10px 14px;"
    "border-radius:4px;margin:12px 0;max-width:80ch}\n"
    ".figures{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0 0 12px;padding:0;"
    "list-style:none}\n"
    ".figures b{font-variant-numeric:tabular-nums}\n"
    "figure{margin:8px 0 18px}\n"
    "figcaption{font-size:13px;color:var(--muted);max-width:80ch;margin-top:4px}\n"
    "svg.chart{display:block;width:100%;height:auto}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums;"
    "min-width:min(100%,520px)}\n"
    "table.wide{width:100%}\n"
    ".scroll+.scroll,.scroll+h3{margin-top:18px}\n"
    "caption{text-align:left;font-weight:600;padding:0 0 6px}\n"
    "th,td{padding:6px 10px;border-bottom:1px solid var(--rule);text-align:left;"
    "vertical-align:top}\n"
    "th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;"
    "letter-spacing:.03em;vertical-align:bottom}\n"
    "th[scope=row]{text-transform:none;font-size:14px;color:var(--ink);font-weight:500;"
    "letter-spacing:0;vertical-align:top}\n"
    "table.dive th.group{white-space:normal;min-width:14ch;max-width:30ch}\n"
    "table.dive td.measure{min-width:17ch}\n"

    "table.trend td,table.trend th[scope=row]{vertical-align:middle}\n"
    ".num{text-align:right}\n"
    "td.num,td.nowrap,th[scope=row]{white-space:nowrap}\n"
    "td.id{overflow-wrap:anywhere;min-width:10ch}\n"
    "td.email{min-width:24ch}\n"
    ".actions{margin:0;padding:0;list-style:none;max-width:90ch}\n"
    ".actions li{border-left:4px solid var(--accent);background:#f0fdfa;padding:8px 14px;"
    "margin:0 0 8px;border-radius:4px}\n"
    ".actions li:not([data-count]),.actions li[data-count=\"0\"]{border-left-color:var(--rule);"
    "background:#f9fafb;color:var(--muted)}\n"
    ".actions b{font-variant-numeric:tabular-nums}\n"
    "code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef2f7;"
    "padding:1px 4px;border-radius:3px;white-space:nowrap}\n"
    "svg.spark{display:block}\n"
    "tr.total th,tr.total td{font-weight:650;border-top:2px solid var(--rule)}\n"
    ".risk-high{color:#b91c1c;font-weight:600}\n"
    ".risk-medium{color:#b45309}\n"
    ".risk-low{color:#15803d}\n"
    "dl.method{display:grid;grid-template-columns:max-content 1fr;gap:8px 20px;"
    "margin:12px 0 0;max-width:90ch}\n"
    "dl.method dt{font-weight:600}\n"
    "dl.method dd{margin:0}\n"
    "footer{color:var(--muted);font-size:13px;padding:8px 0 40px}\n"
    "@media print{body{background:#fff;font-size:12px}header.top{border:0}"
    "nav{display:none}section{border:0;border-radius:0;padding:0;margin:18px 0}"
    "h2{break-after:avoid}figure,svg,tr,.card,.note{break-inside:avoid}"
    ".scroll{overflow:visible}}\n";

static void page_head(report *r, const char *as_of)
{
    put(r, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"generator\" content=\"cvo ");
    esc(r, cvo_version());
    put(r, "\">\n<title>");
    esc(r, setting_text(r, "report", "title", "Customer value report"));
    put(r, ", as of ");
    esc(r, as_of);
    put(r, "</title>\n<style>\n");
    put(r, STYLE);
    put(r, REPORT_COHORT_STYLE);
    put(r, REPORT_OPPS_STYLE);
    put(r, "</style>\n</head>\n<body>\n");
}

static void page_header(report *r, const char *as_of)
{
    static const char *const links[][2] = {{"this-week", "This week"},
                                           {"summary", "Summary"},
                                           {"opportunities", "Opportunities"},
                                           {"experiments", "Experiments"},
                                           {"segments", "Segments"},
                                           {"profit", "Profit"},
                                           {"cohorts", "Cohorts"},
                                           {"nps", "NPS"},
                                           {"drivers", "What drives value"},
                                           {"rfm-grid", "R \xC3\x97 F grid"},
                                           {"clv", "Predicted CLV"},
                                           {"p-alive", "P(alive)"},
                                           {"backtest", "Backtest"},
                                           {"top-customers", "Top customers"},
                                           {"data-quality", "Data quality"},
                                           {"method", "Method"}};
    put(r, "<header class=\"top\"><div class=\"wrap\">\n<h1>");
    esc(r, setting_text(r, "report", "title", "Customer value report"));
    put(r, "</h1>\n<p class=\"meta\">Data as of ");
    esc(r, as_of);
    put(r, " \xC2\xB7 made with cvo ");
    esc(r, cvo_version());
    put(r, "</p>\n<nav aria-label=\"Sections\"><ul>");
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        fprintf(r->out, "<li><a href=\"#%s\">%s</a></li>", links[i][0], links[i][1]);
        if (strcmp(links[i][0], "cohorts") != 0) /* the history sections follow cohorts */
            continue;
        if (r->trend != NULL)
            put(r, "<li><a href=\"#trend\">Segments over time</a></li>");
        if (r->migration != NULL)
            put(r, "<li><a href=\"#migration\">Migration</a></li>");
    }
    put(r, "</ul></nav>\n</div></header>\n<main class=\"wrap\">\n");
}

static void page_end(report *r)
{
    put(r, "</main>\n<footer class=\"wrap\">Generated by cvo ");
    esc(r, cvo_version());
    put(r, ", free software under the GNU GPL version 3 or later. This page works offline: "
           "it loads nothing from the network.</footer>\n</body>\n</html>\n");
}

/* ---- summary ------------------------------------------------------------- */

static double sum_finite_clv(const report *r, size_t *n)
{
    double sum = 0;
    *n = 0;
    for (size_t i = 0; i < r->count; i++)
        if (isfinite(r->results[i].predicted_clv)) {
            sum += r->results[i].predicted_clv;
            (*n)++;
        }
    return sum;
}

static void summary_cards(report *r, const char *as_of)
{
    char value[64], sub[160], first[11];
    report_count(value, sizeof value, r->count);
    snprintf(sub, sizeof sub, "%.1f%% bought more than once",
             r->count ? 100.0 * (double)r->repeat_buyers / (double)r->count : 0);
    card(r, "Customers", value, sub);
    report_count(value, sizeof value, r->orders);
    snprintf(sub, sizeof sub, "%.2f per customer",
             r->count ? (double)r->orders / (double)r->count : 0);
    card(r, "Orders", value, sub);
    fmt_cents(value, sizeof value, r, r->revenue_cents, 0);
    char aov[64];
    fmt_cents(aov, sizeof aov, r, r->orders ? r->revenue_cents / (int64_t)r->orders : 0, 2);
    snprintf(sub, sizeof sub, "net of discounts and refunds; %s per order", aov);
    if (r->no_amounts)
        card(r, "Revenue", "-", "no amounts: a count-only event log");
    else
        card(r, "Revenue", value, sub);
    fmt_day(first, r->first_day);
    snprintf(sub, sizeof sub, "history since %s", first);
    card(r, "As of", as_of, sub);
}

static void summary_model_cards(report *r)
{
    char value[64], sub[160];
    size_t n;
    double clv = sum_finite_clv(r, &n);
    double months = setting_number(r, "model", "horizon_months", 12);
    if (cvo_analysis_model_ok(r->a)) {
        const cvo_fit *fit = cvo_analysis_purchase_fit(r->a);
        char n_fit[32];
        report_count(n_fit, sizeof n_fit, fit ? fit->n : 0);
        snprintf(sub, sizeof sub, "%s and Gamma-Gamma, fitted on %s customers", chosen_title(r),
                 n_fit);
        card(r, "Model", "Fitted", sub);
    } else {
        card(r, "Model", "Not available", "see the note below");
    }
    if (n > 0) {
        fmt_units(value, sizeof value, r, clv, 0);
        snprintf(sub, sizeof sub, "predicted over the next %.0f months, discounted", months);
        card(r, "Predicted value", value, sub);
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
    card(r, "High churn risk", value, sub);
}

static void section_summary(report *r, const char *as_of)
{
    section_open(r, "summary", "Summary",
                 "The store at a glance: who buys, how much, and what the models expect next.");
    put(r, "<div class=\"cards\">\n");
    summary_cards(r, as_of);
    summary_model_cards(r);
    summary_risk_card(r);
    put(r, "</div>\n");
    const char *model_note = cvo_analysis_model_note(r->a);
    if (model_note && model_note[0])
        note_box(r, cvo_analysis_model_ok(r->a) ? "Model note." : "No model.", model_note);
    section_close(r);
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
    table_head(r, "Segment table", cols, sizeof cols / sizeof cols[0], true);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].customers == 0)
            continue;
        put(r, "<tr><th scope=\"row\">");
        esc(r, rows[i].name);
        put(r, "</th>");
        td_count(r, rows[i].customers);
        td_real(r, 100 * rows[i].customer_share, 1, "%");
        td_money(r, rows[i].revenue_cents, 0);
        td_real(r, r->no_amounts ? NAN : 100 * rows[i].revenue_share, 1, "%");
        td_count(r, rows[i].orders);
        td_money(r, rows[i].aov_cents, 2);
        td_real(r, rows[i].median_recency_days, 0, "");
        put(r, "</tr>\n");
    }
    table_end(r);
    size_t empty = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].customers == 0)
            empty_add(r, &empty, "<p>No customer is in ", rows[i].name);
    empty_end(r, empty);
}

static cvo_status section_segments(report *r)
{
    const cvo_segment_row *rows = cvo_analysis_segments(r->a);
    size_t n = cvo_scheme_segment_count(cvo_analysis_scheme(r->a));
    section_open(r, "segments", "Segments",
                 "How many customers each RFM segment holds, beside the share of revenue it "
                 "brings. Segments whose revenue bar is longer than their customer bar are "
                 "worth more than their size.");
    svg_pair *pairs = mem_array(r->ctx, n ? n : 1, sizeof *pairs);
    if (pairs == NULL)
        return ctx_nomem(r->ctx);
    for (size_t i = 0; i < n; i++)
        pairs[i] = (svg_pair){rows[i].name, rows[i].customer_share, rows[i].revenue_share};
    figure_open(r);
    svg_paired_bars(r->out, "Customer share and revenue share by segment", pairs, n,
                    "share of customers", "share of revenue");
    figure_close(r, "Grey: share of all customers; green: share of net revenue.");
    mem_free(r->ctx, pairs);
    segments_table(r, rows, n);
    section_close(r);
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
    table_head(r, "Profit by segment", cols, sizeof cols / sizeof cols[0], true);
    size_t n = cvo_profit_segment_count(profit), empty = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].customers == 0)
            continue;
        put(r, "<tr><th scope=\"row\">");
        esc(r, rows[i].name);
        put(r, "</th>");
        td_count(r, rows[i].customers);
        td_real(r, 100 * rows[i].revenue_share, 1, "%");
        td_money(r, rows[i].profit_cents, 0);
        td_real(r, 100 * rows[i].profit_share, 1, "%");
        td_money(r, rows[i].mean_profit_cents, 2);
        td_real(r, 100 * rows[i].unprofitable_share, 1, "%");
        put(r, "</tr>\n");
    }
    table_end(r);
    for (size_t i = 0; i < n; i++)
        if (rows[i].customers == 0)
            empty_add(r, &empty, "<p>No customer is in ", rows[i].name);
    empty_end(r, empty);
}

static void profit_cards(report *r, const cvo_profit_totals *t)
{
    char value[64], sub[96];
    put(r, "<div class=\"cards\">\n");
    fmt_cents(value, sizeof value, r, t->profit_cents, 0);
    card(r, "Profit to date", value, "margin after acquisition costs");
    report_count(value, sizeof value, t->unprofitable);
    snprintf(sub, sizeof sub, "%.1f%% of customers have not paid back yet",
             t->customers ? 100.0 * (double)t->unprofitable / (double)t->customers : 0.0);
    card(r, "Unprofitable customers", value, sub);
    if (t->purchase_model) {
        fmt_cents(value, sizeof value, r, t->predicted_profit_cents, 0);
        card(r, "Predicted profit", value, "over the horizon, not discounted");
    }
    put(r, "</div>\n");
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
             100 * setting_number(r, "profit", "default_margin", 0.5), 100 * t->by_default_share);
    note_box(r, "Cost sources.", text);
    if (cvo_profit_note(profit)[0])
        note_box(r, "Predicted profit.", cvo_profit_note(profit));
}

static cvo_status section_profit(report *r)
{
    const cvo_profit *profit = cvo_analysis_profit(r->a);
    section_open(r, "profit", "Where profit comes from",
                 "Each segment's share of net revenue beside its share of profit (margin after "
                 "goods, shipping, payment fees and acquisition). A segment whose profit bar is "
                 "shorter than its revenue bar earns less than its sales suggest.");
    if (profit == NULL) {
        note_box(r, "No profit.", "Profit could not be computed for this analysis.");
        section_close(r);
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
    figure_open(r);
    svg_paired_bars(r->out, "Revenue share and profit share by segment", pairs, n,
                    "share of revenue", "share of profit");
    figure_close(r, "Grey: share of net revenue; green: share of profit to date.");
    mem_free(r->ctx, pairs);
    profit_table(r, profit);
    profit_sources(r, profit);
    section_close(r);
    return CVO_OK;
}

/* ---- NPS ------------------------------------------------------------------ */

enum { REPORT_NPS_PRODUCTS = 12, REPORT_NPS_TERMS = 6 };

static svg_interval interval_of(const cvo_nps_group *g, const char *label)
{
    return (svg_interval){label, g->nps, g->ci_low, g->ci_high, g->n, g->small};
}

static void nps_cards(report *r, const cvo_nps *nps)
{
    const cvo_nps_group *all = cvo_nps_overall(nps);
    const cvo_nps_difference *d = cvo_nps_stage_difference(nps);
    char value[64], sub[128];
    put(r, "<div class=\"cards\">\n");
    snprintf(value, sizeof value, "%.0f", all->nps);
    snprintf(sub, sizeof sub, "95%% interval %.0f to %.0f; %llu answers", all->ci_low, all->ci_high,
             (unsigned long long)all->n);
    card(r, "NPS", value, sub);
    if (d->available) {
        snprintf(value, sizeof value, "%+.0f", d->difference);
        snprintf(sub, sizeof sub, "after minus before delivery; 95%% interval %.0f to %.0f",
                 d->ci_low, d->ci_high);
        card(r, "Delivery effect", value, sub);
    }
    put(r, "</div>\n");
}

static void nps_table(report *r, const char *title, const char *first, const cvo_nps_group *rows,
                      size_t n)
{
    const char *const cols[] = {first,         "#Answers", "#Promoters",   "#Passives",
                                "#Detractors", "#NPS",     "#95% interval"};
    table_head(r, title, cols, sizeof cols / sizeof cols[0], true);
    for (size_t i = 0; i < n; i++) {
        char interval[64];
        if (rows[i].n == 0)
            continue;
        put(r, "<tr><th scope=\"row\">");
        esc(r, rows[i].key);
        put(r, rows[i].small ? " <small>(small)</small></th>" : "</th>");
        td_count(r, rows[i].n);
        td_count(r, rows[i].promoters);
        td_count(r, rows[i].passives);
        td_count(r, rows[i].detractors);
        td_real(r, rows[i].n ? rows[i].nps : NAN, 0, "");
        snprintf(interval, sizeof interval, "%.0f to %.0f", rows[i].ci_low, rows[i].ci_high);
        td(r, interval, true);
        put(r, "</tr>\n");
    }
    table_end(r);
    size_t empty = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].n == 0)
            empty_add(r, &empty, "<p>No answers from ", rows[i].key);
    empty_end(r, empty);
}

/* NPS intervals before and after delivery, then by segment. */
static cvo_status nps_charts(report *r, const cvo_nps *nps)
{
    svg_interval stages[2] = {
        interval_of(cvo_nps_by_stage(nps, CVO_NPS_PRE_DELIVERY), "before delivery"),
        interval_of(cvo_nps_by_stage(nps, CVO_NPS_POST_DELIVERY), "after delivery")};
    figure_open(r);
    svg_interval_rows(r->out, "NPS before and after delivery", stages, 2, -100, 100, "NPS");
    figure_close(r, "Dot: NPS; whiskers: its 95% interval.");
    size_t n = 0;
    const cvo_nps_group *rows = cvo_nps_groups(nps, CVO_NPS_BY_SEGMENT, &n);
    svg_interval *bars = mem_array(r->ctx, n ? n : 1, sizeof *bars);
    if (bars == NULL)
        return ctx_nomem(r->ctx);
    for (size_t i = 0; i < n; i++)
        bars[i] = interval_of(&rows[i], rows[i].key);
    figure_open(r);
    svg_interval_rows(r->out, "NPS by segment", bars, n, -100, 100, "NPS");
    figure_close(r, "Dot: NPS; whiskers: its 95% interval; hollow: too few answers to trust.");
    mem_free(r->ctx, bars);
    nps_table(r, "NPS by segment", "Segment", rows, n);
    const cvo_nps_group *products = cvo_nps_groups(nps, CVO_NPS_BY_PRODUCT, &n);
    if (n > 0)
        nps_table(r, "NPS by product of the answered order (most answers first)", "Product",
                  products, n < REPORT_NPS_PRODUCTS ? n : REPORT_NPS_PRODUCTS);
    return CVO_OK;
}

/* The words each segment uses most, next to its NPS. */
static void nps_words(report *r, const cvo_nps *nps)
{
    static const char *const cols[] = {"Segment", "Most frequent words", "Most frequent phrases"};
    size_t segments = 0;
    const cvo_nps_group *rows = cvo_nps_groups(nps, CVO_NPS_BY_SEGMENT, &segments);
    table_head(r, "What each segment says", cols, 3, true);
    for (size_t s = 0; s < segments; s++) {
        if (rows[s].n == 0)
            continue;
        put(r, "<tr><th scope=\"row\">");
        esc(r, rows[s].key);
        put(r, "</th>");
        for (int phrases = 0; phrases < 2; phrases++) {
            size_t n = 0;
            const cvo_nps_term *t = cvo_nps_segment_terms(nps, s, phrases, &n);
            put(r, "<td>");
            for (size_t i = 0; i < n && i < REPORT_NPS_TERMS; i++) {
                char count[32];
                snprintf(count, sizeof count, " (%llu)", (unsigned long long)t[i].count);
                put(r, i ? ", " : "");
                esc(r, t[i].text);
                put(r, count);
            }
            put(r, n ? "</td>" : "-</td>");
        }
        put(r, "</tr>\n");
    }
    table_end(r);
}

static cvo_status section_nps(report *r)
{
    const cvo_nps *nps = cvo_analysis_nps(r->a);
    section_open(r, "nps", "What customers say: NPS",
                 "Net Promoter Score = % promoters (9-10) - % detractors (0-6), with its 95% "
                 "interval, before and after delivery and by segment.");
    if (nps == NULL) {
        note_box(r, "No NPS.",
                 "No NPS answers were given to this analysis (cvo analyze --nps FILE).");
        section_close(r);
        return CVO_OK;
    }
    nps_cards(r, nps);
    CVO_TRY(nps_charts(r, nps));
    nps_words(r, nps);
    section_close(r);
    return CVO_OK;
}

/* ---- R x F grid ---------------------------------------------------------- */

static void section_rfm_grid(report *r)
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
    section_open(r, "rfm-grid", "Recency \xC3\x97 frequency grid",
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
    figure_open(r);
    svg_heat_grid(r->out,
                  "Customers by recency and frequency score, coloured by mean "
                  "monetary score",
                  &grid);
    figure_close(r, "Top right: recent and frequent buyers. Bottom left: one order, long ago. "
                    "A dash marks an empty cell.");
    section_close(r);
}

/* ---- CLV distribution ---------------------------------------------------- */

/* The i-th value of a log ladder: 1, 2, 5, 10, 20, ... or 1, 10, 100, ... */
static double ladder(size_t i, bool decades)
{
    static const double mantissa[] = {1, 2, 5};
    if (decades)
        return pow(10, (double)i);
    return mantissa[i % 3] * pow(10, (double)(i / 3));
}

/* Bin edges on the 1-2-5 ladder (decades when that needs too many bins):
 * edges[0] is the largest ladder value <= lo (0 below 1), the last is > hi.
 * Returns the edge count, 0 when even decades cannot cover the range. */
static size_t clv_edges(double lo, double hi, double *edges)
{
    for (int decades = 0; decades < 2; decades++) {
        size_t n = 1;
        edges[0] = 0;
        for (size_t i = 0; n <= CLV_MAX_BINS; i++) {
            double v = ladder(i, decades);
            if (v <= lo)
                edges[0] = v;
            else
                edges[n++] = v;
            if (v > hi)
                return n;
        }
    }
    return 0;
}

static void short_number(char *buf, size_t size, double v)
{
    if (v >= 1e6)
        snprintf(buf, size, "%.4gM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, size, "%.4gk", v / 1e3);
    else
        snprintf(buf, size, "%.4g", v);
}

static void clv_label(char *buf, size_t size, double lo, double hi)
{
    char a[20], b[20];
    short_number(a, sizeof a, lo);
    short_number(b, sizeof b, hi);
    if (lo <= 0)
        snprintf(buf, size, "under %s", b);
    else
        snprintf(buf, size, "%s\xE2\x80\x93%s", a, b);
}

/* Fills bars from the sorted values; returns the bar count (0 if unbinnable). */
static size_t clv_bins(const double *v, size_t n, svg_bar *bars)
{
    double edges[CLV_MAX_BINS + 2];
    size_t ne = clv_edges(v[0], v[n - 1], edges);
    size_t bins = ne > 1 ? ne - 1 : 0, k = 0;
    for (size_t b = 0; b < bins; b++) {
        bars[b].value = 0;
        clv_label(bars[b].label, sizeof bars[b].label, edges[b], edges[b + 1]);
    }
    for (size_t i = 0; i < n && bins; i++) {
        while (k + 1 < bins && v[i] >= edges[k + 1])
            k++;
        bars[k].value++;
    }
    return bins;
}

static void clv_figures(report *r, const double *v, size_t n)
{
    double total = 0, top = 0;
    size_t top_n = (n + 9) / 10;
    for (size_t i = 0; i < n; i++)
        total += v[i];
    for (size_t i = n - top_n; i < n; i++)
        top += v[i];
    char a[64], b[64], c[64];
    fmt_units(a, sizeof a, r, total, 0);
    fmt_units(b, sizeof b, r, quantile(v, n, 0.5), 2);
    fmt_units(c, sizeof c, r, total / (double)n, 2);
    fprintf(r->out, "<ul class=\"figures\"><li>Total <b>");
    esc(r, a);
    put(r, "</b></li><li>Median <b>");
    esc(r, b);
    put(r, "</b></li><li>Mean <b>");
    esc(r, c);
    fprintf(r->out, "</b></li><li>Top 10%% of customers hold <b>%.0f%%</b></li></ul>\n",
            total > 0 ? 100 * top / total : 0);
}

static cvo_status section_clv(report *r)
{
    char lead[256];
    snprintf(lead, sizeof lead,
             "Predicted customer lifetime value over the next %.0f months (%s purchases "
             "\xC3\x97 Gamma-Gamma spend, discounted at %.0f%% a year), in %s.",
             setting_number(r, "model", "horizon_months", 12), chosen_title(r),
             100 * setting_number(r, "model", "annual_discount", 0.1), r->currency);
    section_open(r, "clv", "Predicted CLV", lead);
    double *v;
    size_t n;
    CVO_TRY(finite_sorted(r, true, &v, &n));
    svg_bar bars[CLV_MAX_BINS + 1];
    size_t bins = n ? clv_bins(v, n, bars) : 0;
    if (bins == 0) {
        note_box(r, "No predicted CLV.", cvo_analysis_model_note(r->a));
    } else {
        clv_figures(r, v, n);
        figure_open(r);
        svg_histogram(r->out, "Customers by predicted CLV", bars, bins,
                      "predicted CLV (log-scaled bins)", "customers");
        figure_close(r, "Bins grow on a 1-2-5 scale, so the long tail of valuable customers "
                        "stays visible beside the many small ones.");
    }
    mem_free(r->ctx, v);
    section_close(r);
    return CVO_OK;
}

/* ---- P(alive) by segment ------------------------------------------------- */

typedef struct seg_value {
    size_t segment;
    double value;
} seg_value;

/* Fills pairs with every finite P(alive), ordered by segment then value:
 * a counting pass by segment, then a radix sort of each segment's values.
 * Returns the count, or SIZE_MAX when out of memory. */
static size_t group_by_segment(report *r, const cvo_score *scores, size_t segments,
                               seg_value *pairs)
{
    size_t *start = mem_zarray(r->ctx, segments + 1, sizeof *start);
    double *v = mem_array(r->ctx, r->count + 1, sizeof *v);
    double *scratch = mem_array(r->ctx, r->count + 1, sizeof *scratch);
    size_t k = SIZE_MAX;
    if (start != NULL && v != NULL && scratch != NULL) {
        for (size_t i = 0; i < r->count; i++)
            if (isfinite(r->results[i].p_alive) && scores[i].segment < segments)
                start[scores[i].segment + 1]++;
        for (size_t g = 0; g < segments; g++)
            start[g + 1] += start[g];
        k = start[segments];
        for (size_t i = 0; i < r->count; i++)
            if (isfinite(r->results[i].p_alive) && scores[i].segment < segments)
                v[start[scores[i].segment]++] = r->results[i].p_alive;
        for (size_t g = segments, from = k; g-- > 0;) { /* restore starts, sort groups */
            size_t begin = g ? start[g - 1] : 0;
            sort_doubles(v + begin, from - begin, scratch);
            for (size_t j = begin; j < from; j++)
                pairs[j] = (seg_value){g, v[j]};
            from = begin;
        }
    }
    mem_free(r->ctx, start);
    mem_free(r->ctx, v);
    mem_free(r->ctx, scratch);
    return k;
}
static void box_from(svg_box *box, const char *label, const double *v, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    *box = (svg_box){label, 0, 0, 0, 0, 0, 0, n};
    if (n == 0)
        return;
    box->lo = quantile(v, n, 0.1);
    box->q1 = quantile(v, n, 0.25);
    box->median = quantile(v, n, 0.5);
    box->q3 = quantile(v, n, 0.75);
    box->hi = quantile(v, n, 0.9);
    box->mean = sum / (double)n;
}

/* rows[0] is everyone, rows[1 + s] segment s; pairs sorted by segment then value. */
static void alive_boxes(report *r, const seg_value *pairs, size_t n, double *all, svg_box *rows)
{
    const cvo_scheme *scheme = cvo_analysis_scheme(r->a);
    size_t segments = cvo_scheme_segment_count(scheme);
    box_from(&rows[0], "All customers", all, n);
    double *v = all; /* done with everyone: the segments reuse the storage */
    size_t i = 0;
    for (size_t s = 0; s < segments; s++) {
        size_t k = 0;
        while (i < n && pairs[i].segment == s)
            v[k++] = pairs[i++].value;
        box_from(&rows[1 + s], cvo_scheme_segment_name(scheme, s), v, k);
    }
}

static cvo_status alive_chart(report *r, double *all, size_t n)
{
    const cvo_score *scores = cvo_rfm_scores(cvo_analysis_rfm(r->a));
    size_t segments = cvo_scheme_segment_count(cvo_analysis_scheme(r->a));
    seg_value *pairs = mem_array(r->ctx, n ? n : 1, sizeof *pairs);
    svg_box *rows = mem_array(r->ctx, segments + 1, sizeof *rows);
    if (pairs == NULL || rows == NULL) {
        mem_free(r->ctx, pairs);
        mem_free(r->ctx, rows);
        return ctx_nomem(r->ctx);
    }
    size_t k = group_by_segment(r, scores, segments, pairs);
    if (k == SIZE_MAX) {
        mem_free(r->ctx, pairs);
        mem_free(r->ctx, rows);
        return ctx_nomem(r->ctx);
    }
    alive_boxes(r, pairs, k, all, rows);
    figure_open(r);
    svg_box_rows(r->out, "Probability of being alive by segment", rows, segments + 1,
                 "P(alive): probability that the customer still buys");
    figure_close(r, "Box: middle half of the customers (25th to 75th percentile); line: median; "
                    "dot: mean; whiskers: 10th to 90th percentile. BG/NBD lets a customer drop "
                    "out only after a repeat purchase, so one-time buyers all show P(alive) 1: "
                    "judge them by recency instead.");
    mem_free(r->ctx, pairs);
    mem_free(r->ctx, rows);
    return CVO_OK;
}

static cvo_status section_p_alive(report *r)
{
    section_open(r, "p-alive", "P(alive) by segment",
                 "The BG/NBD model's probability that each customer is still an active buyer, "
                 "given how often and how recently they bought. Segments should fall in order: "
                 "if a \"good\" segment has low P(alive), its customers are slipping away.");
    double *all;
    size_t n;
    CVO_TRY(finite_sorted(r, false, &all, &n));
    cvo_status status = CVO_OK;
    if (n == 0)
        note_box(r, "No P(alive).", cvo_analysis_model_note(r->a));
    else
        status = alive_chart(r, all, n);
    mem_free(r->ctx, all);
    section_close(r);
    return status;
}

/* ---- backtest ------------------------------------------------------------ */

static void fmt_total(char *buf, size_t size, double v)
{
    report_count(buf, size, isfinite(v) && v > 0 ? (uint64_t)llround(v) : 0);
}

static void backtest_figures(report *r, const cvo_backtest *bt)
{
    char cal[11], customers[32], actual[32], model[32], naive[32];
    fmt_day(cal, cvo_analysis_calibration_end(r->a));
    fmt_total(customers, sizeof customers, bt->customers);
    fmt_total(actual, sizeof actual, bt->actual_total);
    fmt_total(model, sizeof model, bt->model_total);
    fmt_total(naive, sizeof naive, bt->naive_total);
    fprintf(r->out,
            "<ul class=\"figures\"><li>Calibration until <b>%s</b></li>"
            "<li>Holdout <b>%.0f %s</b></li><li>Customers <b>%s</b></li></ul>\n"
            "<ul class=\"figures\"><li>Repeat purchases in the holdout: actual <b>%s</b>, "
            "model <b>%s</b>, naive <b>%s</b></li>"
            "<li>Mean absolute error per customer: model <b>%.3f</b>, naive <b>%.3f</b>"
            "</li></ul>\n",
            cal, bt->holdout, period_name(r), customers, actual, model, naive, bt->model_mae,
            bt->naive_mae);
}

static const char *model_title(cvo_model model);

/* The purchase model the analysis backtested and predicts with. */
static const char *chosen_title(const report *r)
{
    const cvo_fit *fit = cvo_analysis_purchase_fit(r->a);
    return fit != NULL && cvo_analysis_model_ok(r->a) ? model_title(fit->model) : "BG/NBD";
}

static void backtest_chart(report *r, const cvo_backtest *bt)
{
    char model_name[32];
    snprintf(model_name, sizeof model_name, "model (%s)", chosen_title(r));
    svg_series series[2] = {{"actual", bt->tracking_actual, bt->periods, false},
                            {model_name, bt->tracking_model, bt->periods, true}};
    char x_name[64];
    snprintf(x_name, sizeof x_name, "end of each %s, labelled by month",
             setting_text(r, "model", "period", "week"));
    /* point i is the total at the end of period i, so it is dated one period in */
    double days = period_days(r);
    svg_lines chart = {.series = series,
                       .series_count = 2,
                       .marker = (double)bt->calibration_periods - 1,
                       .marker_label = "calibration end",
                       .x_name = x_name,
                       .y_name = "cumulative repeat purchases",
                       .origin_day = r->first_day + (int32_t)lround(days),
                       .period_days = days};
    figure_open(r);
    svg_line_chart(r->out, "Predicted and actual cumulative repeat purchases", &chart);
    figure_close(r, "The model is fitted on the calibration period only; to the right of the "
                    "dashed line (shaded) it predicts purchases it has not seen.");
}

static void backtest_table(report *r, const cvo_backtest *bt)
{
    static const char *const cols[] = {"Repeat purchases in calibration", "#Customers", "#Actual",
                                       "#Model", "#Naive"};
    table_head(r, "Mean holdout purchases per customer, by calibration repeat purchases", cols,
               sizeof cols / sizeof cols[0], false);
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        const cvo_backtest_bin *b = &bt->bins[i];
        fprintf(r->out, "<tr><th scope=\"row\">%d%s</th>", b->x,
                i == CVO_BACKTEST_BINS - 1 ? "+" : "");
        td_count(r, (uint64_t)llround(b->customers));
        td_real(r, b->actual, 3, "");
        td_real(r, b->model, 3, "");
        td_real(r, b->naive, 3, "");
        put(r, "</tr>\n");
    }
    table_end(r);
}

/* The classic BTYD plot: mean holdout purchases by calibration repeat purchases. */
static void calibration_chart(report *r, const cvo_backtest *bt)
{
    double actual[CVO_BACKTEST_BINS], model[CVO_BACKTEST_BINS];
    for (int i = 0; i < CVO_BACKTEST_BINS; i++) {
        actual[i] = bt->bins[i].actual;
        model[i] = bt->bins[i].model;
    }
    char model_name[32], x_name[96];
    snprintf(model_name, sizeof model_name, "model (%s)", chosen_title(r));
    snprintf(x_name, sizeof x_name, "repeat purchases in calibration (%d: %d or more)",
             CVO_BACKTEST_BINS - 1, CVO_BACKTEST_BINS - 1);
    svg_series series[2] = {{"actual", actual, CVO_BACKTEST_BINS, false},
                            {model_name, model, CVO_BACKTEST_BINS, true}};
    svg_lines chart = {.series = series,
                       .series_count = 2,
                       .marker = -1,
                       .marker_label = NULL,
                       .x_name = x_name,
                       .y_name = "mean holdout purchases per customer",
                       .origin_day = 0,
                       .period_days = 0};
    figure_open(r);
    svg_line_chart(r->out,
                   "Calibration vs holdout: mean holdout purchases by calibration "
                   "purchases",
                   &chart);
    figure_close(r, "Customers grouped by their repeat purchases before the calibration end: "
                    "what the model expected each group to buy in the holdout, beside what "
                    "it bought.");
}

/* Which purchase model, why, and every candidate's holdout errors. */
static void backtest_choice(report *r)
{
    const cvo_model_choice *c = cvo_analysis_model_choice(r->a);
    if (c == NULL || c->chosen < 0)
        return;
    note_box(r, "Purchase model.", c->reason);
    static const char *const cols[] = {"Model", "#Log score", "#Standard error", "#Predicted",
                                       "#Actual",     "#MAE",   "#RMSE",
                                       "#Correlation", "Note"};
    table_head(r,
               "Each purchase model fitted on the calibration part, against the holdout, per "
               "customer: the log score (log-likelihood of the holdout purchases given the "
               "calibration; higher is better) with the standard error of its difference from "
               "the best, repeat purchases predicted and actual, and the errors",
               cols, sizeof cols / sizeof cols[0], false);
    for (int i = 0; i < CVO_CHOICE_MODELS; i++) {
        const cvo_choice_metrics *m = &c->metrics[i];
        fprintf(r->out, "<tr><th scope=\"row\">%s%s</th>", model_title(c->models[i]),
                i == c->chosen ? " (used)" : "");
        td_real(r, m->log_score, 4, "");
        td_real(r, m->log_score_se, 4, "");
        td_real(r, m->predicted, 3, "");
        td_real(r, m->actual, 3, "");
        td_real(r, m->mae, 4, "");
        td_real(r, m->rmse, 4, "");
        td_real(r, m->correlation, 3, "");
        td(r, c->notes[i], false);
        put(r, "</tr>\n");
    }
    table_end(r);
}

/* Gamma-Gamma against the holdout's average spend, and its assumption. */
static void backtest_spend(report *r)
{
    const cvo_spend_backtest *sp = cvo_analysis_spend_backtest(r->a);
    if (sp == NULL)
        return;
    if (sp->correlation_warned)
        note_box(r, "Spend model assumption.", sp->correlation_note);
    static const char *const cols[] = {"Spend model (Gamma-Gamma)", "#Value"};
    table_head(r,
               "Average spend per purchase of the customers who bought in the holdout: "
               "predicted from the calibration part, and actual",
               cols, sizeof cols / sizeof cols[0], false);
    double n = sp->customers;
    put(r, "<tr><th scope=\"row\">Customers with holdout purchases</th>");
    td_real(r, n, 0, "");
    put(r, "</tr>\n<tr><th scope=\"row\">Predicted average spend, mean</th>");
    td_real(r, n > 0 ? sp->predicted_total / n : NAN, 2, "");
    put(r, "</tr>\n<tr><th scope=\"row\">Actual average spend, mean</th>");
    td_real(r, n > 0 ? sp->actual_total / n : NAN, 2, "");
    put(r, "</tr>\n<tr><th scope=\"row\">Mean absolute error per customer</th>");
    td_real(r, sp->mae, 2, "");
    put(r, "</tr>\n<tr><th scope=\"row\">Correlation of frequency and average spend "
           "(repeat buyers; the model assumes none)</th>");
    td_real(r, sp->correlation, 3, "");
    put(r, "</tr>\n");
    table_end(r);
}

static void section_backtest(report *r)
{
    section_open(r, "backtest", "Backtest",
                 "How well would the model have predicted the most recent part of the history? "
                 "It is fitted without the holdout, then compared with what customers actually "
                 "did and with a naive forecast (each customer keeps their past rate).");
    const cvo_backtest *bt = cvo_analysis_backtest(r->a);
    if (bt == NULL) {
        note_box(r, "No backtest.", cvo_analysis_backtest_note(r->a));
    } else {
        const char *note = cvo_analysis_backtest_note(r->a);
        if (note != NULL && note[0])
            note_box(r, "Model note.", note);
        if (bt->season_note[0])
            note_box(r, "Seasons.", bt->season_note);
        backtest_figures(r, bt);
        if (bt->periods > 1 && bt->tracking_actual && bt->tracking_model)
            backtest_chart(r, bt);
        backtest_table(r, bt);
        calibration_chart(r, bt);
        backtest_choice(r);
        backtest_spend(r);
    }
    section_close(r);
}

/* ---- top customers ------------------------------------------------------- */

static double top_key(const report *r, size_t i, bool by_clv)
{
    if (by_clv)
        return isfinite(r->results[i].predicted_clv) ? r->results[i].predicted_clv : -INFINITY;
    if (r->no_amounts) /* no money: the most orders */
        return (double)cvo_customers_at(r->customers, i)->orders;
    return (double)cvo_customers_at(r->customers, i)->net_revenue_cents;
}

/* Keeps the best `want` indexes in top[] (value descending, index ascending). */
static size_t top_select(const report *r, bool by_clv, size_t *top, size_t want)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++) {
        double key = top_key(r, i, by_clv);
        if (n == want && key <= top_key(r, top[n - 1], by_clv))
            continue;
        size_t k = n < want ? n++ : n - 1;
        while (k > 0 && key > top_key(r, top[k - 1], by_clv)) {
            top[k] = top[k - 1];
            k--;
        }
        top[k] = i;
    }
    return n;
}

static void top_row(report *r, size_t i)
{
    static const char *const risk[] = {"low", "medium", "high"};
    const cvo_customer *c = cvo_customers_at(r->customers, i);
    const cvo_customer_result *res = &r->results[i];
    const cvo_score *s = &cvo_rfm_scores(cvo_analysis_rfm(r->a))[i];
    char day[11], id[320], email[320];
    /* an id that is an e-mail address is masked like one */
    report_email(id, sizeof id, c->customer_id, r->show_emails || !strchr(c->customer_id, '@'));
    report_email(email, sizeof email, c->email, r->show_emails);
    put(r, "<tr><td class=\"id\">");
    esc(r, id[0] ? id : "-");
    put(r, "</td><td class=\"id email\">");
    esc(r, email[0] ? email : "-");
    put(r, "</td>");
    put(r, "<td class=\"nowrap\">");
    esc(r, cvo_scheme_segment_name(cvo_analysis_scheme(r->a), s->segment));
    put(r, "</td>");
    td_count(r, c->orders);
    td_money(r, c->net_revenue_cents, 2);
    td_real(r, res->p_alive, 2, "");
    if (isfinite(res->predicted_clv))
        td_money(r, (int64_t)llround(res->predicted_clv * 100), 2);
    else
        td(r, "-", true);
    unsigned k = (unsigned)res->churn_risk < 3 ? (unsigned)res->churn_risk : 0;
    fprintf(r->out, "<td class=\"risk-%s\">%s</td>", risk[k], risk[k]);
    fmt_day(day, res->next_order_day);
    td(r, day, true);
    put(r, "</tr>\n");
}

static void section_top_customers(report *r)
{
    size_t want = (size_t)setting_number(r, "report", "top_customers", TOP_CUSTOMERS_DEFAULT);
    want = want < 1 ? 1 : want > TOP_CUSTOMERS_MAX ? TOP_CUSTOMERS_MAX : want;
    size_t clv_n;
    sum_finite_clv(r, &clv_n);
    bool by_clv = clv_n > 0;
    char lead[200];
    snprintf(lead, sizeof lead,
             "The %zu customers with the highest %s: the people to know by "
             "name, thank, and ask for referrals and interviews.",
             want, by_clv ? "predicted CLV" : "revenue so far (no CLV prediction is available)");
    section_open(r, "top-customers", "Top customers", lead);
    size_t top[TOP_CUSTOMERS_MAX];
    size_t n = top_select(r, by_clv, top, want);
    static const char *const cols[] = {
        "Customer id",         "Email",      "Segment",    "#Orders", "#Revenue (%s)", "#P(alive)",
        "#Predicted CLV (%s)", "Churn risk", "#Next order"};
    const char *title = by_clv          ? "Top customers by predicted CLV"
                        : r->no_amounts ? "Top customers by orders"
                                        : "Top customers by revenue";
    table_head(r, title, cols, sizeof cols / sizeof cols[0], true);
    for (size_t i = 0; i < n; i++)
        top_row(r, top[i]);
    table_end(r);
    section_close(r);
}

/* ---- data quality -------------------------------------------------------- */

static void quality_row(report *r, const char *what, uint64_t count, uint64_t of)
{
    put(r, "<tr><th scope=\"row\">");
    esc(r, what);
    put(r, "</th>");
    td_count(r, count);
    if (of > 0)
        td_real(r, 100.0 * (double)count / (double)of, 2, "%");
    else
        td(r, "", true);
    put(r, "</tr>\n");
}

static void quality_sentence(report *r, const cvo_load_stats *st)
{
    char read[32], rejected[32];
    report_count(read, sizeof read, st->records);
    report_count(rejected, sizeof rejected, st->rejected);
    if (st->rejected == 0 && st->not_counted == 0)
        fprintf(r->out, "<p>All <b>%s</b> records were used.</p>\n", read);
    else if (st->rejected == 0)
        fprintf(r->out,
                "<p>No record of the %s was rejected; the orders whose status does not count "
                "are below.</p>\n",
                read);
    else
        fprintf(r->out,
                "<p><b>%s</b> of %s records (%.2f%%) were rejected; the reasons are "
                "below.</p>\n",
                rejected, read, 100.0 * (double)st->rejected / (double)st->records);
}

static void quality_records(report *r, const cvo_load_stats *st)
{
    static const char *const cols[] = {"Records", "#Count", "#Share of records"};
    table_head(r, "Records read", cols, 3, false);
    quality_row(r, "read", st->records, st->records);
    quality_row(r, "used", st->used, st->records);
    quality_row(r, "not counted (the order's status)", st->not_counted, st->records);
    quality_row(r, "rejected", st->rejected, st->records);
    char what[96];
    for (int k = 0; k < CVO_REJECT__COUNT; k++) {
        if (st->rejected_by_reason[k] == 0)
            continue;
        snprintf(what, sizeof what, "\xE2\x80\x83rejected: %s",
                 cvo_reject_reason_name((cvo_reject_reason)k));
        quality_row(r, what, st->rejected_by_reason[k], st->records);
    }
    table_end(r);
}

static void quality_orders(report *r, const cvo_load_stats *st)
{
    static const char *const cols[] = {"Orders and fields", "#Count", "#Amount (%s)"};
    table_head(r, "Orders and repairs", cols, 3, false);
    quality_row(r, "orders counted", st->orders, 0);
    quality_row(r, "cancelled or voided orders (not counted)", st->cancelled_orders, 0);
    quality_row(r, "fully refunded orders (not counted)", st->refunded_orders, 0);
    quality_row(r, "return-only orders (not counted)", st->return_orders, 0);
    quality_row(r, "duplicate records (exact copies, dropped)", st->duplicates, 0);
    put(r, "<tr><th scope=\"row\">return lines</th>");
    td_count(r, st->return_lines);
    td_money(r, st->returns_cents, 2);
    put(r, "</tr>\n");
    quality_row(r, "text fields with invalid UTF-8 repaired", st->repaired_fields, 0);
    quality_row(r, "customers joined to an id by email", st->joined_by_email, 0);
    table_end(r);
}

/* Orders whose status does not count, by status ([orders] count_statuses). */
static void quality_statuses(report *r, const cvo_load_stats *st)
{
    if (st->status_kinds == 0)
        return;
    static const char *const cols[] = {"Status", "#Orders", "#Records"};
    table_head(r, "Orders not counted, by status ([orders] count_statuses)", cols, 3, false);
    for (uint32_t i = 0; i < st->status_kinds; i++) {
        const cvo_status_count *c = &st->not_counted_by_status[i];
        put(r, "<tr><th scope=\"row\">");
        esc(r, c->status);
        put(r, "</th>");
        td_count(r, c->orders);
        td_count(r, c->records);
        put(r, "</tr>\n");
    }
    table_end(r);
}

/* Totals per currency: amounts in two currencies are never added. */
static void quality_currencies(report *r, const cvo_load_stats *st)
{
    if (st->currency_count == 0)
        return;
    const char *how = st->currency_source == CVO_CURRENCY_GIVEN      ? "[model] currency"
                      : st->currency_source == CVO_CURRENCY_MAJORITY ? "the currency of most orders"
                                                                     : "the first order's";
    fprintf(r->out, "<p>Store currency <b>%s</b> (%s). ", st->currency, how);
    put(r, st->rejected_by_reason[CVO_REJECT_OTHER_CURRENCY] > 0
               ? "Orders in another currency were rejected: no rates were given (--rates).</p>\n"
               : "Orders in another currency were converted at the rate in force on their date "
                 "(--rates), if any.</p>\n");
    static const char *const cols[] = {"Currency", "#Orders counted", "#Net revenue",
                                       "#Net revenue (%s)", "#Orders rejected"};
    table_head(r, "Totals per currency", cols, 5, false);
    for (uint32_t i = 0; i < st->currency_count; i++) {
        const cvo_currency_total *t = &st->currencies[i];
        put(r, "<tr><th scope=\"row\">");
        esc(r, t->code[0] ? t->code : "other");
        put(r, "</th>");
        td_count(r, t->orders);
        td_money(r, t->net_cents, 2);
        td_money(r, t->store_cents, 2);
        td_count(r, t->rejected_orders);
        put(r, "</tr>\n");
    }
    table_end(r);
}

static void section_data_quality(report *r)
{
    section_open(r, "data-quality", "Data quality",
                 "What happened to every record of the input: used records, records of orders "
                 "whose status does not count and rejected records always add up to the "
                 "records read. Rejected records are left out of "
                 "every figure in this report.");
    const cvo_load_stats *st = cvo_analysis_load_stats(r->a);
    if (st == NULL || st->records == 0) {
        note_box(r, "No load statistics.",
                 "The analysis was given no record of how the input was read.");
    } else {
        quality_sentence(r, st);
        if (st->no_amounts)
            note_box(r, "A count-only event log.",
                     "The input has no amount column: the purchase models ran on the dates "
                     "alone; the spend model and every money figure are left out (shown as "
                     "-); customers are ranked by orders, and there is no M score (the segments read F in its place).");
        quality_records(r, st);
        quality_orders(r, st);
        quality_statuses(r, st);
        quality_currencies(r, st);
    }
    section_close(r);
}

/* ---- method -------------------------------------------------------------- */

static void method_item(report *r, const char *term, const char *text)
{
    put(r, "<dt>");
    esc(r, term);
    put(r, "</dt><dd>");
    esc(r, text);
    put(r, "</dd>\n");
}

static const char *model_title(cvo_model model)
{
    switch (model) {
    case CVO_MODEL_BGNBD: return "BG/NBD";
    case CVO_MODEL_MBGNBD: return "MBG/NBD";
    case CVO_MODEL_PNBD: return "Pareto/NBD";
    case CVO_MODEL_BGBB: return "BG/BB";
    case CVO_MODEL_GG: return "Gamma-Gamma";
    case CVO_MODEL_NBD: return "NBD";
    }
    return cvo_model_name(model);
}

static void fit_text(char *buf, size_t size, const cvo_fit *fit)
{
    size_t k = (size_t)snprintf(buf, size, "%s,", model_title(fit->model));
    for (int i = 0; i < fit->nparams && i < 4 && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, " %s = %.4g%s", fit->param_names[i],
                              fit->params[i], i + 1 < fit->nparams ? "," : "");
    if (k < size)
        snprintf(buf + k, size - k, "; fitted on %llu customers.", (unsigned long long)fit->n);
}

static void method_models(report *r)
{
    char text[512];
    const cvo_fit *purchase = cvo_analysis_purchase_fit(r->a);
    const cvo_fit *spend = cvo_analysis_spend_fit(r->a);
    if (!cvo_analysis_model_ok(r->a) || purchase == NULL) {
        method_item(r, "Models",
                    "BG/NBD (Fader, Hardie & Lee 2005) for purchases and "
                    "Gamma-Gamma for spend; not fitted on this data.");
        return;
    }
    fit_text(text, sizeof text, purchase);
    method_item(r, "Purchase model", text);
    const cvo_model_choice *choice = cvo_analysis_model_choice(r->a);
    if (choice != NULL && choice->chosen >= 0)
        method_item(r, "Model choice", choice->reason);
    if (spend && spend->converged) {
        fit_text(text, sizeof text, spend);
        method_item(r, "Spend model", text);
    }
}

static void section_method(report *r)
{
    section_open(r, "method", "Method", NULL);
    char text[512];
    const char *ties = setting_text(r, "scoring", "ties", "equal");
    snprintf(text, sizeof text,
             "Scores 1 to %d for recency, frequency and monetary value, from quantiles of the "
             "customers' own values; ties rule \"%s\"%s. Segments: the \"%s\" scheme, one "
             "segment per score cell.",
             cvo_rfm_levels(cvo_analysis_rfm(r->a)), ties,
             strcmp(ties, "ntile") == 0 ? " (equal-sized groups, equal values may split)"
                                        : " (equal values always get equal scores)",
             setting_text(r, "scoring", "scheme", "relationship"));
    put(r, "<dl class=\"method\">\n");
    method_item(r, "RFM", text);
    method_models(r);
    snprintf(text, sizeof text,
             "%.0f months ahead, in %s; future value discounted at %.1f%% a year. P(alive) "
             "and purchases from %s, value per order from Gamma-Gamma.",
             setting_number(r, "model", "horizon_months", 12), period_name(r),
             100 * setting_number(r, "model", "annual_discount", 0.1), chosen_title(r));
    method_item(r, "Horizon and discount", text);
    snprintf(text, sizeof text,
             "The last %.0f%% of the history is held out, the model refitted on the rest, and "
             "its forecast compared with what happened and with each customer's past rate.",
             100 * setting_number(r, "model", "backtest_holdout_share", 0.25));
    method_item(r, "Backtest", text);
    method_item(r, "Money",
                "Net revenue: quantity \xC3\x97 unit price minus discounts, "
                "refunds and returns; cancelled and fully refunded orders do not "
                "count.");
    put(r, "</dl>\n");
    section_close(r);
}

/* ---- entry --------------------------------------------------------------- */

static void report_init(report *r, cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    *r = (report){ctx,
                  a,
                  out,
                  cvo_analysis_customers(a),
                  cvo_analysis_results(a),
                  0,
                  "",
                  0,
                  0,
                  0,
                  INT32_MIN,
                  NULL,
                  NULL,
                  false,
                  false};
    r->show_emails = report_show_emails(a);
    r->no_amounts = cvo_analysis_load_stats(a) && cvo_analysis_load_stats(a)->no_amounts;
    r->count = cvo_customers_count(r->customers);
    r->currency = cvo_currency_of(cvo_analysis_config(r->a), cvo_analysis_load_stats(r->a));
    for (size_t i = 0; i < r->count; i++) {
        const cvo_customer *c = cvo_customers_at(r->customers, i);
        r->revenue_cents += c->net_revenue_cents;
        r->orders += c->orders;
        r->repeat_buyers += c->orders > 1;
        if (r->first_day == INT32_MIN || c->first_order_day < r->first_day)
            r->first_day = c->first_order_day;
    }
}

static cvo_status report_body(report *r, const char *as_of)
{
    CVO_TRY(report_actions(r->ctx, r->a, r->migration, r->out));
    section_summary(r, as_of);
    CVO_TRY(report_opportunities(r->ctx, r->a, r->currency, r->out));
    CVO_TRY(report_experiments(r->ctx, r->a, r->out));
    CVO_TRY(section_segments(r));
    CVO_TRY(section_profit(r));
    CVO_TRY(report_cohorts(r->ctx, r->a, r->out));
    CVO_TRY(report_trend_section(r->ctx, r->out, r->a, r->trend, r->currency));
    CVO_TRY(report_history_section(r->ctx, r->out, r->migration, r->currency));
    CVO_TRY(section_nps(r));
    CVO_TRY(report_dive(r->ctx, r->a, r->out));
    section_rfm_grid(r);
    CVO_TRY(section_clv(r));
    CVO_TRY(section_p_alive(r));
    section_backtest(r);
    section_top_customers(r);
    section_data_quality(r);
    section_method(r);
    return CVO_OK;
}

void cvo_report_options_init(cvo_report_options *options)
{
    if (options != NULL)
        *options = (cvo_report_options){NULL, NULL};
}

cvo_status cvo_write_report_html(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return cvo_write_report_html_options(ctx, a, NULL, out);
}

cvo_status cvo_write_report_html_migration(cvo_ctx *ctx, const cvo_analysis *a,
                                           const cvo_migration *m, FILE *out)
{
    cvo_report_options options = {m, NULL};
    return cvo_write_report_html_options(ctx, a, &options, out);
}

cvo_status cvo_write_report_html_options(cvo_ctx *ctx, const cvo_analysis *a,
                                         const cvo_report_options *options, FILE *out)
{
    if (ctx == NULL || a == NULL || out == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "report: no analysis or stream")
                   : CVO_ERR_ARGUMENT;
    report r;
    report_init(&r, ctx, a, out);
    if (options != NULL) {
        r.migration = options->migration;
        r.trend = options->trend;
    }
    char as_of[11];
    fmt_day(as_of, cvo_analysis_as_of(a));
    page_head(&r, as_of);
    page_header(&r, as_of);
    CVO_TRY(report_body(&r, as_of));
    page_end(&r);
    if (fflush(out) != 0 || ferror(out))
        return ctx_fail(ctx, CVO_ERR_WRITE, "write error: %s", strerror(errno));
    return CVO_OK;
}
