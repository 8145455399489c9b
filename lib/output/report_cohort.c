/* report_cohort.c - the report's Cohorts section: one heat map per metric, an
 * HTML table whose cell background is shaded by the value (self-contained,
 * no script). Absent cells (after the as-of month) stay blank, never zero. */
#include "output/report_cohort.h"
#include "output/svg.h"

#include <math.h>
#include <string.h>

/* The newest cohorts and the first months shown; cvo cohorts prints all. */
#define REPORT_COHORTS_MAX 36
#define REPORT_MONTHS_MAX 60

const char REPORT_COHORT_STYLE[] =
    ".heat td,.heat th{padding:3px 6px;font-size:12px;text-align:right;white-space:nowrap}\n"
    ".heat th[scope=row]{font-size:12px;position:sticky;left:0;background:#fff}\n"
    ".heat thead th{text-align:right}.heat thead th.span{text-align:center}\n"
    ".heat .part{font-style:italic;outline:1px dashed #9ca3af;outline-offset:-2px}\n"
    ".heat .p1{background:#d3e6e5}.heat .p2{background:#bbd8d6}.heat .p3{background:#a2cac7}"
    ".heat .p4{background:#8abcb8}.heat .p5{background:#71aea9}"
    ".heat .p6{background:#59a09a;color:#fff}.heat .p7{background:#40928c;color:#fff}"
    ".heat .p8{background:#28847d;color:#fff}.heat .p9{background:#0f766e;color:#fff}\n"
    ".heat .n1{background:#f2d6d6}.heat .n2{background:#ebbebe}.heat .n3{background:#e4a7a7}"
    ".heat .n4{background:#dd9090}.heat .n5{background:#d67979}"
    ".heat .n6{background:#ce6262;color:#fff}.heat .n7{background:#c74a4a;color:#fff}"
    ".heat .n8{background:#c03333;color:#fff}.heat .n9{background:#b91c1c;color:#fff}\n";

typedef enum heat_metric { HEAT_REPEAT, HEAT_RETENTION, HEAT_REVENUE, HEAT_PROFIT } heat_metric;

typedef struct heat {
    FILE *out;
    const cvo_cohorts *co;
    size_t first, months; /* rows first .. count-1; columns 0 .. months-1 */
    const char *currency;
} heat;

static double value_of(const cvo_cohort_cell *c, heat_metric m)
{
    return m == HEAT_REPEAT      ? c->repeat_share
           : m == HEAT_RETENTION ? c->retention_share
           : m == HEAT_REVENUE   ? c->revenue_per_customer / 100
                                 : c->profit_per_customer / 100;
}

/* The largest magnitude shown, so the darkest shade is the table's maximum. */
static double scale_of(const heat *h, heat_metric m)
{
    double top = 0;
    for (size_t r = h->first; r < cvo_cohorts_count(h->co); r++) {
        const cvo_cohort *c = cvo_cohorts_at(h->co, r);
        for (size_t k = 0; k < c->months; k++)
            top = fmax(top, fabs(value_of(&c->cells[k], m)));
    }
    return top > 0 ? top : 1;
}

/* One cell, shaded in nine steps of its magnitude against the table's
 * largest: teal for shares and gains, red for losses. */
static void heat_cell(const heat *h, const cvo_cohort_cell *cell, heat_metric m, double scale)
{
    double v = value_of(cell, m);
    int level = (int)ceil(9 * fmin(1, fabs(v) / scale));
    const char *part = cell->complete ? "" : " part";
    if (level > 0)
        fprintf(h->out, "<td class=\"%c%d%s\">", v < 0 ? 'n' : 'p', level, part);
    else
        fprintf(h->out, "<td class=\"z%s\">", part);
    fprintf(h->out, "%.0f</td>", m == HEAT_REVENUE || m == HEAT_PROFIT ? v : 100 * v);
}

static void heat_row(const heat *h, size_t r, heat_metric m, double scale)
{
    const cvo_cohort *c = cvo_cohorts_at(h->co, r);
    fprintf(h->out, "<tr><th scope=\"row\">%04d-%02d</th><td class=\"num\">%llu</td>", c->year,
            c->month, (unsigned long long)c->customers);
    for (size_t k = 0; k < h->months; k++) {
        if (k < c->months)
            heat_cell(h, &c->cells[k], m, scale);
        else
            fputs("<td></td>", h->out);
    }
    fputs("</tr>\n", h->out);
}

static void heat_table(const heat *h, heat_metric m, const char *caption)
{
    double scale = scale_of(h, m);
    fputs("<div class=\"scroll\"><table class=\"heat\">\n<caption>", h->out);
    svg_escape(h->out, caption);
    fprintf(h->out,
            "</caption>\n<thead><tr><th scope=\"col\" rowspan=\"2\">Cohort</th>"
            "<th scope=\"col\" rowspan=\"2\" class=\"num\">Customers</th>"
            "<th scope=\"colgroup\" colspan=\"%zu\" class=\"span\">Months since the first "
            "order</th></tr>\n<tr>",
            h->months);
    for (size_t k = 0; k < h->months; k++)
        fprintf(h->out, "<th scope=\"col\">%zu</th>", k);
    fputs("</tr></thead>\n<tbody>\n", h->out);
    for (size_t r = h->first; r < cvo_cohorts_count(h->co); r++)
        heat_row(h, r, m, scale);
    fputs("</tbody></table></div>\n", h->out);
}

static void note(FILE *out, const char *title, const char *text)
{
    fputs("<div class=\"note\" role=\"note\"><strong>", out);
    svg_escape(out, title);
    fputs("</strong> ", out);
    svg_escape(out, text);
    fputs("</div>\n", out);
}

static void report_section_open(FILE *out)
{
    fputs("<section id=\"cohorts\" aria-labelledby=\"cohorts-h\">\n<h2 id=\"cohorts-h\">"
          "Cohorts: who comes back</h2>\n<p class=\"lead\">Customers grouped by the month of "
          "their first order (rows) and followed month by month since (columns: 0 is the "
          "month of the first order, 1 the next, and so on). A repeat order is one on a day "
          "after the first order's day. Darker cells are higher; italic, dashed cells are "
          "months not yet complete on the as-of date; blank cells lie after it. cvo cohorts "
          "prints the exact figures.</p>\n",
          out);
}

cvo_status report_cohorts(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    (void)ctx;
    const cvo_cohorts *co = cvo_analysis_cohorts(a);
    report_section_open(out);
    if (co == NULL || cvo_cohorts_count(co) == 0) {
        note(out, "No cohorts.",
             "The orders and the as-of date span too many months for a cohort table.");
        fputs("</section>\n", out);
        return CVO_OK;
    }
    size_t count = cvo_cohorts_count(co);
    heat h = {out, co, count > REPORT_COHORTS_MAX ? count - REPORT_COHORTS_MAX : 0, 0, ""};
    h.months = cvo_cohorts_at(co, h.first)->months;
    bool cut = h.first > 0 || h.months > REPORT_MONTHS_MAX;
    h.months = h.months > REPORT_MONTHS_MAX ? REPORT_MONTHS_MAX : h.months;
    const char *currency = cvo_currency_of(cvo_analysis_config(a), cvo_analysis_load_stats(a));
    h.currency = currency ? currency : "";
    if (cut) {
        char text[200];
        snprintf(text, sizeof text,
                 "The tables show the %d newest cohorts and their first %d months; "
                 "cvo cohorts prints them all.",
                 REPORT_COHORTS_MAX, REPORT_MONTHS_MAX);
        note(out, "Part of the cohorts.", text);
    }
    heat_table(&h, HEAT_REPEAT, "Ordered again in that month (% of the cohort)");
    heat_table(&h, HEAT_RETENTION, "Ordered again by that month (% of the cohort, cumulative)");
    const char *unit = h.currency[0] ? h.currency : "currency units";
    char caption[160];
    snprintf(caption, sizeof caption, "Net revenue per customer by that month (%s, cumulative)",
             unit);
    heat_table(&h, HEAT_REVENUE, caption);
    snprintf(caption, sizeof caption,
             "Profit per customer by that month (%s; margins less acquisition, cumulative; "
             "red: a loss)",
             unit);
    heat_table(&h, HEAT_PROFIT, caption);
    fputs("</section>\n", out);
    return CVO_OK;
}
