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
#define BAR_W 140.0
#define BAR_H 18.0

static const char *const headings[CVO_DIVE_BY__COUNT] = {
    "First-order product",  "First-order category",      "Country",
    "First-order discount", "First-order discount code", "Acquisition channel"};

/* The metric in words: what was measured, and over which time. */
static void metric_words(char *buf, size_t size, const cvo_dive *dive, cvo_dive_metric metric)
{
    switch (metric) {
    case CVO_DIVE_REPEAT:
        snprintf(buf, size, "Ordered again within %u days",
                 (unsigned)cvo_dive_info_of(dive)->repeat_days);
        break;
    case CVO_DIVE_ORDERS: snprintf(buf, size, "First-year orders"); break;
    case CVO_DIVE_REVENUE: snprintf(buf, size, "First-year revenue"); break;
    case CVO_DIVE_PROFIT: snprintf(buf, size, "First-year profit"); break;
    case CVO_DIVE_NPS: snprintf(buf, size, "NPS after delivery"); break;
    default: snprintf(buf, size, "%s", cvo_dive_metric_name(dive, metric)); break;
    }
}

/* A group's key as shown: the discount grouping's two keys in words. */
static const char *key_words(const cvo_dive_row *row)
{
    if (row->grouping == CVO_DIVE_DISCOUNT && strcmp(row->key, "code") == 0)
        return "Used a discount code";
    if (row->grouping == CVO_DIVE_DISCOUNT && strcmp(row->key, "full_price") == 0)
        return "Paid full price";
    return row->key;
}

/* The q-value as the risk that the difference is a false alarm. */
static void risk_text(char *buf, size_t size, double q)
{
    if (!isfinite(q))
        snprintf(buf, size, "-");
    else if (q < 0.001)
        snprintf(buf, size, "<0.1%%");
    else
        snprintf(buf, size, "%.*f%%", q < 0.1 ? 1 : 0, 100 * q);
}

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

/* "-36.40" over a smaller "-60.84 to -11.95": the difference and its interval. */
static void difference_cell(FILE *out, const cvo_dive_row *row)
{
    char diff[32], lo[32], hi[32];
    format_value(diff, sizeof diff, row->metric, row->diff, true);
    format_value(lo, sizeof lo, row->metric, row->ci_low, true);
    format_value(hi, sizeof hi, row->metric, row->ci_high, true);
    fputs("<td class=\"num\">", out);
    svg_escape(out, diff);
    fputs("<br><small>", out);
    svg_escape(out, lo);
    fputs(" to ", out);
    svg_escape(out, hi);
    fputs("</small></td>", out);
}

/* The difference adjusted for first-order value and its interval, marked *
 * when significant; "-" for the metrics not adjusted. */
static void adjusted_cell(FILE *out, const cvo_dive_row *row)
{
    if (!row->adj_tested) {
        cell(out, "-", true);
        return;
    }
    char diff[32], lo[32], hi[32];
    format_value(diff, sizeof diff, row->metric, row->adj_diff, true);
    format_value(lo, sizeof lo, row->metric, row->adj_ci_low, true);
    format_value(hi, sizeof hi, row->metric, row->adj_ci_high, true);
    fputs("<td class=\"num\">", out);
    svg_escape(out, diff);
    fputs(row->adj_significant ? " <strong title=\"significant\">*</strong>" : "", out);
    fputs("<br><small>", out);
    svg_escape(out, lo);
    fputs(" to ", out);
    svg_escape(out, hi);
    fputs("</small></td>", out);
}

static void row_html(FILE *out, const cvo_dive *dive, const cvo_dive_row *row)
{
    size_t count = 0;
    const cvo_dive_group *g = cvo_dive_groups(dive, &count);
    char value[32], rest[32], metric[64], risk[32];
    format_value(value, sizeof value, row->metric, row->value, false);
    format_value(rest, sizeof rest, row->metric, row->rest_value, false);
    metric_words(metric, sizeof metric, dive, row->metric);
    risk_text(risk, sizeof risk, row->q_value);
    fputs("<tr><th scope=\"row\" class=\"group\">", out);
    /* a product's name first, its key (the SKU) after it, small */
    bool labelled = row->group < count && strcmp(g[row->group].label, row->key) != 0;
    svg_escape(out, labelled ? g[row->group].label : key_words(row));
    if (labelled) {
        fputs(" <small>", out);
        svg_escape(out, row->key);
        fputs("</small>", out);
    }
    fputs(row->significant ? " <strong title=\"significant\">*</strong></th>" : "</th>", out);
    fputs("<td class=\"measure\">", out);
    svg_escape(out, metric);
    fprintf(out, "</td><td class=\"num\">%llu</td>", (unsigned long long)row->customers);
    cell(out, value, true);
    cell(out, rest, true);
    difference_cell(out, row);
    adjusted_cell(out, row);
    fputs("<td>", out);
    interval_bar(out, row);
    fputs("</td>", out);
    cell(out, risk, true);
    fputs("</tr>\n", out);
}

static void ranked_table(FILE *out, const cvo_dive *dive, cvo_dive_direction direction)
{
    const cvo_dive_row *rows[DIVE_REPORT_TOP];
    size_t n = cvo_dive_rank(dive, direction, rows, DIVE_REPORT_TOP);
    bool harmful = direction == CVO_DIVE_HARMFUL;
    if (n == 0) {
        fprintf(out,
                "<p>No group is %s: none is large enough to test, or none differs from "
                "everyone else.</p>\n",
                harmful ? "doing worse than the others" : "doing better than the others");
        return;
    }
    fprintf(out,
            "<div class=\"scroll\"><table class=\"wide dive\">\n<caption>Most %s: groups "
            "doing %s than everyone else</caption>\n",
            cvo_dive_direction_name(direction), harmful ? "worse" : "better");
    fputs("<thead><tr><th scope=\"col\">Group</th><th scope=\"col\">Measure</th>"
          "<th scope=\"col\" class=\"num\">Customers</th><th scope=\"col\" class=\"num\">This "
          "group</th><th scope=\"col\" class=\"num\">Everyone else</th><th scope=\"col\" "
          "class=\"num\">Difference (interval)</th><th scope=\"col\" class=\"num\">At equal "
          "first order</th><th scope=\"col\">Drawn (0 in the "
          "middle)</th><th scope=\"col\" class=\"num\">False-alarm risk</th>"
          "</tr></thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < n; i++)
        row_html(out, dive, rows[i]);
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
    fprintf(out,
            "<div class=\"scroll\"><table>\n<caption>Countries side by side</caption>\n"
            "<thead><tr><th scope=\"col\">Country</th><th scope=\"col\" class=\"num\">"
            "Customers</th><th scope=\"col\" class=\"num\">Ordered again within %u days</th>"
            "<th scope=\"col\" class=\"num\">Orders in the first year</th><th scope=\"col\" "
            "class=\"num\">Days to delivery</th><th scope=\"col\" class=\"num\">NPS after "
            "delivery</th></tr></thead>\n<tbody>\n",
            (unsigned)cvo_dive_info_of(dive)->repeat_days);
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

/* Whether the effect's interval leaves out 1. */
static bool effect_clear(const cvo_cov_effect *e)
{
    return e->factor_low > 1 || e->factor_high < 1;
}

/* What the Pareto/NBD model with covariates says of this grouping's columns
 * (discount, channel=...): a sentence per clear effect, then the levels where
 * neither rate differs clearly, in one line. */
static void model_statements(FILE *out, const cvo_analysis *a, cvo_dive_by by)
{
    const cvo_cov_fit *fit = cvo_analysis_covariates(a);
    if (fit == NULL || (by != CVO_DIVE_DISCOUNT && by != CVO_DIVE_CHANNEL))
        return;
    const char *group = by == CVO_DIVE_DISCOUNT ? "discount" : "channel";
    fputs("<p>From the Pareto/NBD model with the first-order discount and the channel as "
          "covariates (all else equal; rates per customer while active):</p>\n<ul "
          "class=\"model\">\n",
          out);
    bool unclear_any = false;
    for (size_t j = 0; j < fit->columns; j++) {
        const cvo_cov_column *c = &fit->column[j];
        if (strcmp(c->group, group) != 0)
            continue;
        bool clear = false;
        for (int dropout = 1; dropout >= 0; dropout--) {
            char text[320];
            if (!effect_clear(dropout ? &c->dropout : &c->purchase) ||
                cvo_cov_effect_text(fit, j, dropout, text, sizeof text) == 0)
                continue;
            clear = true;
            fputs("<li>", out);
            svg_escape(out, text);
            fputs("</li>\n", out);
        }
        unclear_any |= !clear;
    }
    if (unclear_any) {
        fputs("<li>No clear difference in either rate (the 95% intervals hold 1): ", out);
        bool first = true;
        for (size_t j = 0; j < fit->columns; j++) {
            const cvo_cov_column *c = &fit->column[j];
            if (strcmp(c->group, group) != 0 || effect_clear(&c->dropout) ||
                effect_clear(&c->purchase))
                continue;
            const char *eq = strchr(c->name, '=');
            fputs(first ? "" : ", ", out);
            svg_escape(out, eq ? eq + 1 : "customers acquired with a discount code");
            first = false;
        }
        fputs(".</li>\n", out);
    }
    fputs("</ul>\n", out);
}

static void grouping(FILE *out, const cvo_analysis *a, const cvo_dive *dive)
{
    const cvo_dive_info *info = cvo_dive_info_of(dive);
    size_t groups = 0;
    cvo_dive_groups(dive, &groups);
    fprintf(out, "<h3 id=\"drivers-%s\">", cvo_dive_by_name(info->by));
    svg_escape(out, headings[info->by]);
    fputs("</h3>\n", out);
    model_statements(out, a, info->by);
    if (info->by == CVO_DIVE_COUNTRY && groups > 0)
        country_table(out, dive);
    if (info->tests == 0) {
        fprintf(out,
                "<p>Nothing to compare: %zu group%s, none with %llu customers on both "
                "sides.</p>\n",
                groups, groups == 1 ? "" : "s", (unsigned long long)info->min_group);
        return;
    }
    fprintf(out,
            "<p>%zu group%s; %llu comparisons, %llu of them marked *; at equal first order, "
            "%llu of %llu.</p>\n",
            groups, groups == 1 ? "" : "s", (unsigned long long)info->tests,
            (unsigned long long)info->significant, (unsigned long long)info->adj_significant,
            (unsigned long long)info->adj_tests);
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
            "<p class=\"lead\">Customers grouped by how they started (the products and "
            "categories of their first order, a discount code or full price), their country "
            "and the channel that brought them, each group against everyone else: how many "
            "ordered again within %u days, and their orders, revenue and profit in their "
            "first year (only customers who have had a full year count), and their NPS after "
            "delivery. A customer belongs to every product and category of their first "
            "order; a group needs %llu customers to be compared.</p>\n"
            "<p class=\"lead\">The interval holds the true difference with %g%% confidence. The "
            "false-alarm "
            "risk is the share of differences this strong that would be luck, allowing for "
            "the many groups compared (Benjamini-Hochberg); <strong>*</strong> and a solid "
            "dot mark a risk below %g%%: act on those first. <em>At equal first order</em> is "
            "the difference in orders, revenue and profit against customers whose first "
            "order was worth as much (and, for profit, earned as much), so a dear or cheap "
            "product is not judged on its price: products, countries and discounts become "
            "opportunities on this figure.</p>\n",
            (unsigned)info->repeat_days, (unsigned long long)info->min_group,
            100 * (1 - info->alpha), 100 * info->fdr);
    for (int by = 0; by < CVO_DIVE_BY__COUNT; by++)
        grouping(out, a, cvo_analysis_dive(a, (cvo_dive_by)by));
    fputs("</section>\n", out);
    return CVO_OK;
}
