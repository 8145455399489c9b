/* report.c - report.html: one self-contained page (inline CSS and SVG, no script,
 * no network) showing an analysis section by section. Every text that comes from
 * the data is escaped, and the only date on the page is the analysis as-of day
 * (and, with a history database, the as-of days of the snapshots compared).
 * This file writes the page around the sections and calls them in order. */
#include "base/ctx.h"
#include "output/report_page.h"
#include "output/report_actions.h"
#include "output/report_experiments.h"
#include "output/report_cohort.h"
#include "output/report_dive.h"
#include "output/report_history.h"
#include "output/report_opps.h"
#include "output/report_text.h"
#include "output/report_trend.h"

#include <errno.h>
#include <string.h>

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
    report_put(r, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"generator\" content=\"cvo ");
    report_esc(r, cvo_version());
    report_put(r, "\">\n<title>");
    report_esc(r, report_setting_text(r, "report", "title", "Customer value report"));
    report_put(r, ", as of ");
    report_esc(r, as_of);
    report_put(r, "</title>\n<style>\n");
    report_put(r, STYLE);
    report_put(r, REPORT_COHORT_STYLE);
    report_put(r, REPORT_OPPS_STYLE);
    report_put(r, "</style>\n</head>\n<body>\n");
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
    report_put(r, "<header class=\"top\"><div class=\"wrap\">\n<h1>");
    report_esc(r, report_setting_text(r, "report", "title", "Customer value report"));
    report_put(r, "</h1>\n<p class=\"meta\">Data as of ");
    report_esc(r, as_of);
    report_put(r, " \xC2\xB7 made with cvo ");
    report_esc(r, cvo_version());
    report_put(r, "</p>\n<nav aria-label=\"Sections\"><ul>");
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        fprintf(r->out, "<li><a href=\"#%s\">%s</a></li>", links[i][0], links[i][1]);
        if (strcmp(links[i][0], "cohorts") != 0) /* the history sections follow cohorts */
            continue;
        if (r->trend != NULL)
            report_put(r, "<li><a href=\"#trend\">Segments over time</a></li>");
        if (r->migration != NULL)
            report_put(r, "<li><a href=\"#migration\">Migration</a></li>");
    }
    report_put(r, "</ul></nav>\n</div></header>\n<main class=\"wrap\">\n");
}

static void page_end(report *r)
{
    report_put(r, "</main>\n<footer class=\"wrap\">Generated by cvo ");
    report_esc(r, cvo_version());
    report_put(r, ", free software under the GNU GPL version 3 or later. This page works offline: "
           "it loads nothing from the network.</footer>\n</body>\n</html>\n");
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
    report_section_summary(r, as_of);
    CVO_TRY(report_opportunities(r->ctx, r->a, r->currency, r->out));
    CVO_TRY(report_experiments(r->ctx, r->a, r->out));
    CVO_TRY(report_section_segments(r));
    CVO_TRY(report_section_profit(r));
    CVO_TRY(report_cohorts(r->ctx, r->a, r->out));
    CVO_TRY(report_trend_section(r->ctx, r->out, r->a, r->trend, r->currency));
    CVO_TRY(report_history_section(r->ctx, r->out, r->migration, r->currency));
    CVO_TRY(report_section_nps(r));
    CVO_TRY(report_dive(r->ctx, r->a, r->out));
    report_section_rfm_grid(r);
    CVO_TRY(report_section_clv(r));
    CVO_TRY(report_section_p_alive(r));
    report_section_backtest(r);
    report_section_top_customers(r);
    report_section_data_quality(r);
    report_section_method(r);
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
    report_fmt_day(as_of, cvo_analysis_as_of(a));
    page_head(&r, as_of);
    page_header(&r, as_of);
    CVO_TRY(report_body(&r, as_of));
    page_end(&r);
    if (fflush(out) != 0 || ferror(out))
        return ctx_fail(ctx, CVO_ERR_WRITE, "write error: %s", strerror(errno));
    return CVO_OK;
}
