/* report_history.c - the report's sections from the history database:
 * "Segments over time" (each segment's customers and revenue over the last
 * runs, this one included, as sparklines) and "Segment migration" (where the
 * customers of the previous snapshot are now, as a heat map whose rows add up
 * to the customers present in both snapshots, the counts, the largest flows). */
#include "output/report_history.h"

#include "base/ctx.h"
#include "base/sort.h"
#include "output/report_text.h"
#include "output/svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FLOWS 15
#define CELL_W 58.0
#define CELL_H 30.0
#define LEFT 190.0
#define TOP 150.0

static void report_esc(FILE *out, const char *text)
{
    svg_escape(out, text);
}

/* The segments that hold anyone then or now (rows and columns of the map). */
static size_t used_segments(const cvo_migration *m, size_t *used)
{
    size_t k = 0;
    for (size_t g = 0; g < cvo_migration_segment_count(m); g++)
        if (cvo_migration_segment_used(m, g))
            used[k++] = g;
    return k;
}

static uint64_t row_total(const cvo_migration *m, size_t then)
{
    uint64_t total = 0;
    for (size_t o = 0; o < cvo_migration_segment_count(m); o++)
        total += cvo_migration_cell_at(m, then, o)->customers;
    return total;
}

/* White to teal by the share of the row. */
static void share_color(char out[8], double share)
{
    double t = share < 0 ? 0 : share > 1 ? 1 : sqrt(share);
    int r = (int)lround(255 + t * (15 - 255)), g = (int)lround(255 + t * (118 - 255)),
        b = (int)lround(255 + t * (110 - 255));
    snprintf(out, 8, "#%02x%02x%02x", r, g, b);
}

static void map_labels(FILE *out, const cvo_migration *m, const size_t *used, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", LEFT - 8,
                TOP + CELL_H * (double)i + CELL_H / 2 + 4);
        report_esc(out, cvo_migration_segment_name(m, used[i]));
        fputs("</text>\n", out);
        fprintf(out, "<text transform=\"translate(%.1f %.1f) rotate(-45)\">",
                LEFT + CELL_W * (double)i + CELL_W / 2, TOP - 8);
        report_esc(out, cvo_migration_segment_name(m, used[i]));
        fputs("</text>\n", out);
    }
    fprintf(out, "<text x=\"12\" y=\"20\" fill=\"#6b7280\">rows: segment then; columns: segment "
                 "now; shade: share of the row</text>\n");
}

static void map_cell(FILE *out, const cvo_migration *m, size_t then, size_t now, double x, double y)
{
    uint64_t n = cvo_migration_cell_at(m, then, now)->customers, total = row_total(m, then);
    char fill[8];
    share_color(fill, total ? (double)n / (double)total : 0);
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
            "stroke=\"%s\"/>\n",
            x, y, CELL_W - 2, CELL_H - 2, n ? fill : "#f9fafb",
            then == now ? "#1f2937" : "#e5e7eb");
    bool dark = total && (double)n / (double)total > 0.45;
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\">%llu</text>\n",
            x + CELL_W / 2 - 1, y + CELL_H / 2 + 3, dark ? "#ffffff" : "#1f2937",
            (unsigned long long)n);
}

static void heat_map(FILE *out, const cvo_migration *m, const size_t *used, size_t k)
{
    double width = LEFT + CELL_W * (double)k + 40, height = TOP + CELL_H * (double)k + 16;
    fprintf(out,
            "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %.0f %.0f\" "
            "style=\"max-width:%.0fpx\" font-family=\"inherit\" font-size=\"12\" "
            "fill=\"#1f2937\"><title>Segment migration: customers by segment then and now"
            "</title>\n",
            width, height, width * 1.15);
    map_labels(out, m, used, k);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            map_cell(out, m, used[i], used[j], LEFT + CELL_W * (double)j, TOP + CELL_H * (double)i);
    fputs("</svg>\n", out);
}

static void count_item(FILE *out, const char *label, uint64_t value)
{
    char count[32];
    report_count(count, sizeof count, value);
    fputs("<li>", out);
    report_esc(out, label);
    fprintf(out, " <b>%s</b></li>", count);
}

static void counts(FILE *out, const cvo_migration_totals *t)
{
    fputs("<ul class=\"figures\">", out);
    count_item(out, "customers in both runs", t->in_both);
    count_item(out, "changed segment", t->changed_segment);
    count_item(out, "slipping away (recency score fell)", t->r_dropped);
    count_item(out, "entered the top segments", t->entered_top);
    count_item(out, "left the top segments", t->left_top);
    count_item(out, "new customers", t->new_customers);
    count_item(out, "no longer in the orders", t->gone_customers);
    fputs("</ul>\n", out);
}

typedef struct flow {
    size_t then, now;
    uint64_t customers;
    int64_t revenue_cents;
} flow;

static int by_customers(const void *x, const void *y)
{
    const flow *a = x, *b = y;
    if (a->customers != b->customers)
        return a->customers < b->customers ? 1 : -1;
    return a->then != b->then ? (a->then < b->then ? -1 : 1) : (a->now < b->now ? -1 : 1);
}

static void flow_row(FILE *out, const cvo_migration *m, const flow *f)
{
    fputs("<tr><td>", out);
    report_esc(out, cvo_migration_segment_name(m, f->then));
    fputs("</td><td>", out);
    report_esc(out, cvo_migration_segment_name(m, f->now));
    char count[32], amount[40];
    report_count(count, sizeof count, f->customers);
    report_amount(amount, sizeof amount, f->revenue_cents, 0);
    fprintf(out, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n", count,
            amount);
}

/* The largest moves between different segments. */
static cvo_status flows_table(cvo_ctx *ctx, FILE *out, const cvo_migration *m, const char *currency)
{
    size_t n = cvo_migration_segment_count(m), count = 0, cells = n * n;
    flow *flows = mem_array(ctx, cells > 0 ? cells : 1, sizeof *flows);
    if (flows == NULL)
        return ctx_nomem(ctx);
    for (size_t g = 0; g < n; g++)
        for (size_t o = 0; o < n; o++) {
            const cvo_migration_cell *c = cvo_migration_cell_at(m, g, o);
            if (g != o && c->customers > 0)
                flows[count++] = (flow){g, o, c->customers, c->revenue_cents};
        }
    qsort(flows, count, sizeof *flows, by_customers);
    if (count == 0) {
        fputs("<p>No customer changed segment between the two runs.</p>\n", out);
        mem_free(ctx, flows);
        return CVO_OK;
    }
    fputs("<div class=\"scroll\"><table>\n<caption>Largest moves between segments</caption>\n"
          "<thead><tr><th scope=\"col\">From</th><th scope=\"col\">To</th>"
          "<th scope=\"col\" class=\"num\">Customers</th><th scope=\"col\" class=\"num\">"
          "Revenue to date (",
          out);
    report_esc(out, currency && currency[0] ? currency : "amount");
    fputs(")</th></tr></thead>\n<tbody>\n", out);
    for (size_t i = 0; i < count && i < MAX_FLOWS; i++)
        flow_row(out, m, &flows[i]);
    fputs("</tbody></table></div>\n", out);
    mem_free(ctx, flows);
    return CVO_OK;
}

static cvo_status with_previous(cvo_ctx *ctx, FILE *out, const cvo_migration *m,
                                const char *currency)
{
    char from[11], to[11];
    cvo_day_format(cvo_migration_from_day(m), from);
    cvo_day_format(cvo_migration_to_day(m), to);
    fprintf(out,
            "<p class=\"lead\">From the snapshot of %s to %s: each row is a segment of the "
            "earlier snapshot and adds up to its customers present in both.</p>\n",
            from, to);
    counts(out, cvo_migration_overall(m));
    size_t n = cvo_migration_segment_count(m);
    size_t *used = mem_array(ctx, n ? n : 1, sizeof *used);
    if (used == NULL)
        return ctx_nomem(ctx);
    size_t k = used_segments(m, used);
    fputs("<figure>\n", out);
    heat_map(out, m, used, k);
    fputs("<figcaption>Customers in both snapshots by their segment then (rows) and now "
          "(columns); the diagonal, outlined, stayed put.</figcaption>\n</figure>\n",
          out);
    mem_free(ctx, used);
    return flows_table(ctx, out, m, currency);
}

cvo_status report_history_section(cvo_ctx *ctx, FILE *out, const cvo_migration *m,
                                  const char *currency)
{
    if (m == NULL)
        return CVO_OK;
    fputs("<section id=\"migration\" aria-labelledby=\"migration-h\">\n"
          "<h2 id=\"migration-h\">Segment migration</h2>\n",
          out);
    cvo_status status = CVO_OK;
    if (cvo_migration_has_previous(m))
        status = with_previous(ctx, out, m, currency);
    else
        fputs("<p class=\"lead\">The history database holds no earlier snapshot yet, so there "
              "is no migration to show; the next run with the same database will show one."
              "</p>\n",
              out);
    fputs("</section>\n", out);
    return status;
}
