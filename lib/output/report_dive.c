/* report_dive.c - the report's "What drives value" section: for each deep-dive
 * grouping, the top harmful and helpful differences from the rest as a table
 * whose rows carry an inline interval bar (zero in the middle; a solid dot is
 * significant after Benjamini-Hochberg, a hollow one is not). */
#include "output/report_dive.h"
#include "output/svg.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define DIVE_REPORT_TOP 5
#define DIVE_REPORT_COUNTRIES 20
#define BAR_W 180.0
#define BAR_H 18.0

static const char *const headings[CVO_DIVE_BY__COUNT] = {
    "First-order product",  "First-order category",      "Country",
    "First-order discount", "First-order discount code", "Acquisition channel"};

/* A value as the metric reads: shares in %, NPS in points, money with cents. */
static void format_value(char *buf, size_t size, cvo_dive_metric metric, double v, bool sign)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (metric == CVO_DIVE_REPEAT)
        snprintf(buf, size, sign ? "%+.1f pt" : "%.1f%%", 100 * v);
    else if (metric == CVO_DIVE_NPS)
        snprintf(buf, size, sign ? "%+.1f" : "%.1f", v);
    else
        snprintf(buf, size, sign ? "%+.2f" : "%.2f", v);
}

/* The interval lo..hi with the dot at diff, on an axis symmetric about zero. */
static void interval_bar(FILE *out, const cvo_dive_row *row)
{
    double reach = fmax(fabs(row->ci_low), fabs(row->ci_high));
    reach = reach > 0 ? reach * 1.1 : 1;
    double mid = BAR_W / 2, scale = (BAR_W / 2 - 6) / reach;
    double lo = mid + row->ci_low * scale, hi = mid + row->ci_high * scale;
    double dot = mid + row->diff * scale;
    const char *color = row->direction == CVO_DIVE_HARMFUL ? "#b91c1c" : "#0f766e";
    fprintf(out,
            "<svg role=\"img\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\">"
            "<title>difference %g, interval %g to %g%s</title>"
            "<line x1=\"%.1f\" y1=\"1\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#9ca3af\"/>"
            "<line x1=\"%.1f\" y1=\"9\" x2=\"%.1f\" y2=\"9\" stroke=\"%s\" stroke-width=\"2\"/>"
            "<circle cx=\"%.1f\" cy=\"9\" r=\"4.5\" fill=\"%s\" stroke=\"%s\" "
            "stroke-width=\"2\"/></svg>",
            BAR_W, BAR_H, BAR_W, BAR_H, row->diff, row->ci_low, row->ci_high,
            row->significant ? ", significant" : "", mid, mid, BAR_H - 1, lo, hi, color, dot,
            row->significant ? color : "#ffffff", color);
}

static void cell(FILE *out, const char *text, bool numeric)
{
    fputs(numeric ? "<td class=\"num\">" : "<td>", out);
    svg_escape(out, text);
    fputs("</td>", out);
}

static void row_html(FILE *out, const cvo_dive *dive, const cvo_dive_row *row)
{
    size_t count = 0;
    const cvo_dive_group *g = cvo_dive_groups(dive, &count);
    char value[32], rest[32], diff[32], lo[32], hi[32], interval[72], q[32];
    format_value(value, sizeof value, row->metric, row->value, false);
    format_value(rest, sizeof rest, row->metric, row->rest_value, false);
    format_value(diff, sizeof diff, row->metric, row->diff, true);
    format_value(lo, sizeof lo, row->metric, row->ci_low, true);
    format_value(hi, sizeof hi, row->metric, row->ci_high, true);
    snprintf(interval, sizeof interval, "%s to %s", lo, hi);
    snprintf(q, sizeof q, "%.2g", row->q_value);
    fputs("<tr><th scope=\"row\">", out);
    svg_escape(out, row->key);
    if (row->group < count && strcmp(g[row->group].label, row->key) != 0) {
        fputs(" <small>", out);
        svg_escape(out, g[row->group].label);
        fputs("</small>", out);
    }
    fputs(row->significant ? " <strong title=\"significant\">*</strong></th>" : "</th>", out);
    cell(out, cvo_dive_metric_name(dive, row->metric), false);
    fprintf(out, "<td class=\"num\">%llu</td>", (unsigned long long)row->customers);
    cell(out, value, true);
    cell(out, rest, true);
    cell(out, diff, true);
    cell(out, interval, true);
    fputs("<td>", out);
    interval_bar(out, row);
    fputs("</td>", out);
    cell(out, q, true);
    fputs("</tr>\n", out);
}

static void ranked_table(FILE *out, const cvo_dive *dive, cvo_dive_direction direction)
{
    const cvo_dive_row *rows[DIVE_REPORT_TOP];
    size_t n = cvo_dive_rank(dive, direction, rows, DIVE_REPORT_TOP);
    fprintf(out, "<div class=\"scroll\"><table class=\"wide\">\n<caption>Most %s</caption>\n",
            cvo_dive_direction_name(direction));
    fputs("<thead><tr><th scope=\"col\">Group</th><th scope=\"col\">Metric</th>"
          "<th scope=\"col\" class=\"num\">Customers</th><th scope=\"col\" class=\"num\">Group"
          "</th><th scope=\"col\" class=\"num\">Rest</th><th scope=\"col\" class=\"num\">"
          "Difference</th><th scope=\"col\" class=\"num\">Interval</th><th scope=\"col\">"
          "Difference and interval (0 in the middle)</th><th scope=\"col\" class=\"num\">q</th>"
          "</tr></thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < n; i++)
        row_html(out, dive, rows[i]);
    if (n == 0)
        fputs("<tr><td colspan=\"9\">No group large enough to test.</td></tr>\n", out);
    fputs("</tbody></table></div>\n", out);
}

/* A figure of a group with its decimals (and a % when percent), "-" when unknown. */
static void figure(FILE *out, double v, int decimals, bool percent)
{
    char text[32];
    if (isfinite(v))
        snprintf(text, sizeof text, "%.*f%s", decimals, v, percent ? "%" : "");
    else
        snprintf(text, sizeof text, "-");
    cell(out, text, true);
}

/* The countries side by side, with delivery: where parcels arrive late and
 * customers do worse shows at a glance (largest countries first). */
static void country_table(FILE *out, const cvo_dive *dive)
{
    size_t n = 0;
    const cvo_dive_group *g = cvo_dive_groups(dive, &n);
    fputs("<div class=\"scroll\"><table>\n<caption>Countries: figures of each group"
          "</caption>\n<thead><tr><th scope=\"col\">Country</th><th scope=\"col\" "
          "class=\"num\">Customers</th><th scope=\"col\" class=\"num\">Repeat rate</th>"
          "<th scope=\"col\" class=\"num\">Orders in a year</th><th scope=\"col\" "
          "class=\"num\">Days to delivery</th><th scope=\"col\" class=\"num\">NPS after "
          "delivery</th></tr></thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < n && i < DIVE_REPORT_COUNTRIES; i++) {
        fputs("<tr><th scope=\"row\">", out);
        svg_escape(out, g[i].key);
        fprintf(out, "</th><td class=\"num\">%llu</td>", (unsigned long long)g[i].customers);
        figure(out, 100 * g[i].repeat_rate, 1, true);
        figure(out, g[i].mean_orders, 2, false);
        figure(out, g[i].mean_delivery_days, 1, false);
        figure(out, g[i].nps, 0, false);
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table></div>\n", out);
}

static void grouping(FILE *out, const cvo_dive *dive)
{
    const cvo_dive_info *info = cvo_dive_info_of(dive);
    size_t groups = 0;
    cvo_dive_groups(dive, &groups);
    fprintf(out, "<h3 id=\"drivers-%s\">", cvo_dive_by_name(info->by));
    svg_escape(out, headings[info->by]);
    fprintf(out, "</h3>\n<p>%zu groups; %llu tests, %llu significant.</p>\n", groups,
            (unsigned long long)info->tests, (unsigned long long)info->significant);
    if (info->by == CVO_DIVE_COUNTRY)
        country_table(out, dive);
    ranked_table(out, dive, CVO_DIVE_HARMFUL);
    ranked_table(out, dive, CVO_DIVE_HELPFUL);
}

cvo_status report_dive(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    (void)ctx;
    const cvo_dive *first = cvo_analysis_dive(a, CVO_DIVE_PRODUCT);
    fputs("<section id=\"drivers\" aria-labelledby=\"drivers-h\">\n<h2 id=\"drivers-h\">What "
          "drives value</h2>\n",
          out);
    if (first == NULL) {
        fputs("<div class=\"note\" role=\"note\"><strong>No deep dives.</strong> The analysis "
              "has none.</div>\n</section>\n",
              out);
        return CVO_OK;
    }
    const cvo_dive_info *info = cvo_dive_info_of(first);
    fprintf(out,
            "<p class=\"lead\">Customers grouped by their first order (products, categories, "
            "discount code), country and acquisition channel, each group against all other "
            "customers: repeat rate within %u days, orders, revenue and profit per customer "
            "within 365 days (only customers old enough count), and post-delivery NPS. "
            "Intervals at %g%%; <strong>*</strong> and a solid dot: significant, "
            "Benjamini-Hochberg q below %g per grouping and metric. Groups need %llu customers "
            "to be tested. A customer belongs to every product and category of their first "
            "order.</p>\n",
            (unsigned)info->repeat_days, 100 * (1 - info->alpha), info->fdr,
            (unsigned long long)info->min_group);
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++)
        grouping(out, cvo_analysis_dive(a, (cvo_dive_by)by));
    fputs("</section>\n", out);
    return CVO_OK;
}
