/* report_trend.c - the report's "Segments over time" section: each segment's
 * customers and revenue to date over the last runs of the history database,
 * this run last, as a table of sparklines with the figures now and the
 * change. Segments are matched by name; one absent from a run counts 0. */
#include "output/report_trend.h"

#include "base/ctx.h"
#include "output/report_text.h"
#include "output/svg.h"

#include <math.h>
#include <string.h>

#define TREND_RUNS 12 /* runs shown, this one included */
#define SPARK_W 132.0
#define SPARK_H 30.0

typedef struct trend_table {
    size_t runs; /* columns, oldest first; the last is this run */
    int32_t day[TREND_RUNS];
    size_t segments;
    const char **names;
    uint64_t *customers; /* [segment * runs + run] */
    int64_t *revenue;
} trend_table;

static size_t name_index(trend_table *t, const char *name)
{
    for (size_t g = 0; g < t->segments; g++)
        if (strcmp(t->names[g], name) == 0)
            return g;
    t->names[t->segments] = name;
    return t->segments++;
}

/* The snapshots before this run's as-of day, the latest TREND_RUNS - 1. */
static size_t first_snapshot(const cvo_trend *trend, int32_t as_of, size_t *count)
{
    size_t n = 0;
    while (n < cvo_trend_snapshot_count(trend) && cvo_trend_day(trend, n) < as_of)
        n++;
    *count = n < TREND_RUNS - 1 ? n : TREND_RUNS - 1;
    return n - *count;
}

static cvo_status table_alloc(cvo_ctx *ctx, trend_table *t, size_t names, size_t runs)
{
    t->runs = runs;
    t->names = mem_array(ctx, names ? names : 1, sizeof *t->names);
    t->customers = mem_zarray(ctx, (names ? names : 1) * runs, sizeof *t->customers);
    t->revenue = mem_zarray(ctx, (names ? names : 1) * runs, sizeof *t->revenue);
    return t->names && t->customers && t->revenue ? CVO_OK : ctx_nomem(ctx);
}

static void table_free(cvo_ctx *ctx, trend_table *t)
{
    mem_free(ctx, t->names);
    mem_free(ctx, t->customers);
    mem_free(ctx, t->revenue);
}

/* This run's segments first (its scheme order), then those only older runs had. */
static cvo_status table_build(cvo_ctx *ctx, const cvo_analysis *a, const cvo_trend *trend,
                              trend_table *t)
{
    size_t count, first = first_snapshot(trend, cvo_analysis_as_of(a), &count);
    size_t scheme = cvo_scheme_segment_count(cvo_analysis_scheme(a));
    CVO_TRY(table_alloc(ctx, t, scheme + cvo_trend_segment_count(trend), count + 1));
    const cvo_segment_row *rows = cvo_analysis_segments(a);
    for (size_t g = 0; g < scheme; g++) {
        size_t k = name_index(t, rows[g].name);
        t->customers[k * t->runs + count] += rows[g].customers;
        t->revenue[k * t->runs + count] += rows[g].revenue_cents;
    }
    t->day[count] = cvo_analysis_as_of(a);
    for (size_t s = 0; s < count; s++) {
        t->day[s] = cvo_trend_day(trend, first + s);
        for (size_t g = 0; g < cvo_trend_segment_count(trend); g++) {
            const cvo_trend_cell *c = cvo_trend_cell_at(trend, first + s, g);
            size_t k = name_index(t, cvo_trend_segment_name(trend, g));
            t->customers[k * t->runs + s] += c->customers;
            t->revenue[k * t->runs + s] += c->revenue_cents;
        }
    }
    return CVO_OK;
}

/* ---- drawing ---------------------------------------------------------------- */

/* A small line of v over the runs, the last point marked; the title says the
 * first and the last value. The scale spans the values' range but at least a
 * tenth of their size, so a change of 1 in 500 stays a ripple. */
static void sparkline(FILE *out, const char *title, const double *v, size_t n)
{
    double lo = v[0], hi = v[0];
    for (size_t i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    double size = fabs(hi) > fabs(lo) ? fabs(hi) : fabs(lo), mid = (hi + lo) / 2;
    if (hi - lo < size / 10) {
        lo = mid - size / 20;
        hi = mid + size / 20;
    }
    fprintf(out, "<svg class=\"spark\" role=\"img\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
                 "height=\"%.0f\"><title>",
            SPARK_W, SPARK_H, SPARK_W, SPARK_H);
    svg_escape(out, title);
    fputs("</title><polyline fill=\"none\" stroke=\"#0f766e\" stroke-width=\"2\" "
          "stroke-linejoin=\"round\" points=\"",
          out);
    double x = 0, y = 0;
    for (size_t i = 0; i < n; i++) {
        x = 5 + (n > 1 ? (double)i / (double)(n - 1) : 0) * (SPARK_W - 10);
        y = hi > lo ? SPARK_H - 5 - (v[i] - lo) / (hi - lo) * (SPARK_H - 10) : SPARK_H / 2;
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", x, y);
    }
    fprintf(out, "\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#0f766e\"/></svg>", x, y);
}

static void spark_cell(FILE *out, const char *name, const char *what, const double *v, size_t n,
                       const char *first, const char *last)
{
    char title[256];
    snprintf(title, sizeof title, "%s, %s: %s then, %s now", name, what, first, last);
    fputs("<td>", out);
    sparkline(out, title, v, n);
    fputs("</td>", out);
}

static void td_text(FILE *out, const char *text)
{
    fputs("<td class=\"num\">", out);
    svg_escape(out, text);
    fputs("</td>", out);
}

/* "+1,234", "-12" or "0" with grouped digits. */
static void signed_count(char *buf, size_t size, int64_t change)
{
    char digits[32];
    report_count(digits, sizeof digits,
                 change < 0 ? (uint64_t)0 - (uint64_t)change : (uint64_t)change);
    snprintf(buf, size, "%s%s", change > 0 ? "+" : change < 0 ? "\xE2\x88\x92" : "", digits);
}

static void signed_amount(char *buf, size_t size, int64_t change)
{
    char digits[40];
    report_amount(digits, sizeof digits, change < 0 ? -change : change, 0);
    snprintf(buf, size, "%s%s", change > 0 ? "+" : change < 0 ? "\xE2\x88\x92" : "", digits);
}

static void customers_cells(FILE *out, const char *name, const uint64_t *c, size_t n)
{
    double v[TREND_RUNS];
    char first[32], last[32], change[40];
    for (size_t i = 0; i < n; i++)
        v[i] = (double)c[i];
    report_count(first, sizeof first, c[0]);
    report_count(last, sizeof last, c[n - 1]);
    spark_cell(out, name, "customers", v, n, first, last);
    td_text(out, last);
    signed_count(change, sizeof change, (int64_t)c[n - 1] - (int64_t)c[0]);
    td_text(out, change);
}

static void revenue_cells(FILE *out, const char *name, const int64_t *r, size_t n)
{
    double v[TREND_RUNS];
    char first[40], last[40], change[48];
    for (size_t i = 0; i < n; i++)
        v[i] = (double)r[i];
    report_amount(first, sizeof first, r[0], 0);
    report_amount(last, sizeof last, r[n - 1], 0);
    spark_cell(out, name, "revenue", v, n, first, last);
    td_text(out, last);
    signed_amount(change, sizeof change, r[n - 1] - r[0]);
    td_text(out, change);
}

static void trend_row(FILE *out, const char *name, const uint64_t *c, const int64_t *r, size_t n,
                      bool total)
{
    fputs(total ? "<tr class=\"total\"><th scope=\"row\">" : "<tr><th scope=\"row\">", out);
    svg_escape(out, name);
    fputs("</th>", out);
    customers_cells(out, name, c, n);
    revenue_cells(out, name, r, n);
    fputs("</tr>\n", out);
}

static void trend_head(FILE *out, const trend_table *t, const char *currency)
{
    char from[11];
    cvo_day_format(t->day[0], from);
    fputs("<div class=\"scroll\"><table class=\"wide trend\">\n<caption>Customers and revenue "
          "to date by segment</caption>\n<thead><tr><th scope=\"col\">Segment</th>"
          "<th scope=\"col\">Customers over time</th><th scope=\"col\" class=\"num\">Customers "
          "now</th><th scope=\"col\" class=\"num\">Change since ",
          out);
    fputs(from, out);
    fputs("</th><th scope=\"col\">Revenue over time</th><th scope=\"col\" class=\"num\">Revenue "
          "now (",
          out);
    svg_escape(out, currency && currency[0] ? currency : "amount");
    fputs(")</th><th scope=\"col\" class=\"num\">Change</th></tr></thead>\n<tbody>\n", out);
}

static cvo_status trend_rows(cvo_ctx *ctx, FILE *out, const trend_table *t)
{
    size_t n = t->runs;
    uint64_t *all = mem_zarray(ctx, n, sizeof *all);
    int64_t *all_revenue = mem_zarray(ctx, n, sizeof *all_revenue);
    if (all == NULL || all_revenue == NULL) {
        mem_free(ctx, all);
        mem_free(ctx, all_revenue);
        return ctx_nomem(ctx);
    }
    for (size_t g = 0; g < t->segments; g++) {
        trend_row(out, t->names[g], &t->customers[g * n], &t->revenue[g * n], n, false);
        for (size_t i = 0; i < n; i++) {
            all[i] += t->customers[g * n + i];
            all_revenue[i] += t->revenue[g * n + i];
        }
    }
    trend_row(out, "All customers", all, all_revenue, n, true);
    mem_free(ctx, all);
    mem_free(ctx, all_revenue);
    return CVO_OK;
}

static cvo_status trend_body(cvo_ctx *ctx, FILE *out, const trend_table *t, const char *currency)
{
    char from[11], to[11];
    cvo_day_format(t->day[0], from);
    cvo_day_format(t->day[t->runs - 1], to);
    fprintf(out,
            "<p class=\"lead\">How many customers each segment held at each of the last %zu "
            "runs, from %s to this run (%s), and their revenue to date. A good segment that "
            "grows is gaining loyal customers; a weak one that grows is losing them.</p>\n",
            t->runs, from, to);
    trend_head(out, t, currency);
    CVO_TRY(trend_rows(ctx, out, t));
    fputs("</tbody></table></div>\n", out);
    return CVO_OK;
}

cvo_status report_trend_section(cvo_ctx *ctx, FILE *out, const cvo_analysis *a,
                                const cvo_trend *trend, const char *currency)
{
    if (trend == NULL)
        return CVO_OK;
    fputs("<section id=\"trend\" aria-labelledby=\"trend-h\">\n"
          "<h2 id=\"trend-h\">Segments over time</h2>\n",
          out);
    trend_table t;
    memset(&t, 0, sizeof t);
    cvo_status status = table_build(ctx, a, trend, &t);
    if (status == CVO_OK && t.runs < 2)
        fputs("<p class=\"lead\">The history database holds no earlier run yet, so there is no "
              "trend to show; it starts with the next run that uses the same database.</p>\n",
              out);
    else if (status == CVO_OK)
        status = trend_body(ctx, out, &t, currency);
    table_free(ctx, &t);
    fputs("</section>\n", out);
    return status;
}
