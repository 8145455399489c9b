/* report_predictions.c - the report's sections on the models' predictions per
 * customer: "Predicted CLV" (a histogram on a 1-2-5 ladder of bins) and
 * "P(alive) by segment" (box rows). Values that are not finite are left out. */
#include "output/report_page.h"

#include "base/ctx.h"
#include "base/sort.h"
#include "output/svg.h"

#include <math.h>

#define CLV_MAX_BINS 16

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
    report_fmt_units(a, sizeof a, r, total, 0);
    report_fmt_units(b, sizeof b, r, quantile(v, n, 0.5), 2);
    report_fmt_units(c, sizeof c, r, total / (double)n, 2);
    fprintf(r->out, "<ul class=\"figures\"><li>Total <b>");
    report_esc(r, a);
    report_put(r, "</b></li><li>Median <b>");
    report_esc(r, b);
    report_put(r, "</b></li><li>Mean <b>");
    report_esc(r, c);
    fprintf(r->out, "</b></li><li>Top 10%% of customers hold <b>%.0f%%</b></li></ul>\n",
            total > 0 ? 100 * top / total : 0);
}

cvo_status report_section_clv(report *r)
{
    char lead[256];
    snprintf(lead, sizeof lead,
             "Predicted customer lifetime value over the next %.0f months (%s purchases "
             "\xC3\x97 Gamma-Gamma spend, discounted at %.0f%% a year), in %s.",
             report_setting_number(r, "model", "horizon_months", 12), report_chosen_title(r),
             100 * report_setting_number(r, "model", "annual_discount", 0.1), r->currency);
    report_section_open(r, "clv", "Predicted CLV", lead);
    double *v;
    size_t n;
    CVO_TRY(finite_sorted(r, true, &v, &n));
    svg_bar bars[CLV_MAX_BINS + 1];
    size_t bins = n ? clv_bins(v, n, bars) : 0;
    if (bins == 0) {
        report_note_box(r, "No predicted CLV.", cvo_analysis_model_note(r->a));
    } else {
        clv_figures(r, v, n);
        report_figure_open(r);
        svg_histogram(r->out, "Customers by predicted CLV", bars, bins,
                      "predicted CLV (log-scaled bins)", "customers");
        report_figure_close(r, "Bins grow on a 1-2-5 scale, so the long tail of valuable customers "
                        "stays visible beside the many small ones.");
    }
    mem_free(r->ctx, v);
    report_section_close(r);
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
    report_figure_open(r);
    svg_box_rows(r->out, "Probability of being alive by segment", rows, segments + 1,
                 "P(alive): probability that the customer still buys");
    report_figure_close(r, "Box: middle half of the customers (25th to 75th percentile); line: median; "
                    "dot: mean; whiskers: 10th to 90th percentile. BG/NBD lets a customer drop "
                    "out only after a repeat purchase, so one-time buyers all show P(alive) 1: "
                    "judge them by recency instead.");
    mem_free(r->ctx, pairs);
    mem_free(r->ctx, rows);
    return CVO_OK;
}

cvo_status report_section_p_alive(report *r)
{
    report_section_open(r, "p-alive", "P(alive) by segment",
                 "The BG/NBD model's probability that each customer is still an active buyer, "
                 "given how often and how recently they bought. Segments should fall in order: "
                 "if a \"good\" segment has low P(alive), its customers are slipping away.");
    double *all;
    size_t n;
    CVO_TRY(finite_sorted(r, false, &all, &n));
    cvo_status status = CVO_OK;
    if (n == 0)
        report_note_box(r, "No P(alive).", cvo_analysis_model_note(r->a));
    else
        status = alive_chart(r, all, n);
    mem_free(r->ctx, all);
    report_section_close(r);
    return status;
}
