/* report_nps.c - the report's "What customers say: NPS" section: the score with
 * its 95% interval overall, before and after delivery, by segment and product,
 * and the words each segment uses most. A small group is drawn hollow. */
#include "output/report_page.h"

#include "base/ctx.h"
#include "output/svg.h"

#include <math.h>

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
    report_put(r, "<div class=\"cards\">\n");
    snprintf(value, sizeof value, "%.0f", all->nps);
    snprintf(sub, sizeof sub, "95%% interval %.0f to %.0f; %llu answers", all->ci_low, all->ci_high,
             (unsigned long long)all->n);
    report_card(r, "NPS", value, sub);
    if (d->available) {
        snprintf(value, sizeof value, "%+.0f", d->difference);
        snprintf(sub, sizeof sub, "after minus before delivery; 95%% interval %.0f to %.0f",
                 d->ci_low, d->ci_high);
        report_card(r, "Delivery effect", value, sub);
    }
    report_put(r, "</div>\n");
}

static void nps_table(report *r, const char *title, const char *first, const cvo_nps_group *rows,
                      size_t n)
{
    const char *const cols[] = {first,         "#Answers", "#Promoters",   "#Passives",
                                "#Detractors", "#NPS",     "#95% interval"};
    report_table_head(r, title, cols, sizeof cols / sizeof cols[0], true);
    for (size_t i = 0; i < n; i++) {
        char interval[64];
        if (rows[i].n == 0)
            continue;
        report_put(r, "<tr><th scope=\"row\">");
        report_esc(r, rows[i].key);
        report_put(r, rows[i].small ? " <small>(small)</small></th>" : "</th>");
        report_td_count(r, rows[i].n);
        report_td_count(r, rows[i].promoters);
        report_td_count(r, rows[i].passives);
        report_td_count(r, rows[i].detractors);
        report_td_real(r, rows[i].n ? rows[i].nps : NAN, 0, "");
        snprintf(interval, sizeof interval, "%.0f to %.0f", rows[i].ci_low, rows[i].ci_high);
        report_td(r, interval, true);
        report_put(r, "</tr>\n");
    }
    report_table_end(r);
    size_t empty = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].n == 0)
            report_empty_add(r, &empty, "<p>No answers from ", rows[i].key);
    report_empty_end(r, empty);
}

/* NPS intervals before and after delivery, then by segment. */
static cvo_status nps_charts(report *r, const cvo_nps *nps)
{
    svg_interval stages[2] = {
        interval_of(cvo_nps_by_stage(nps, CVO_NPS_PRE_DELIVERY), "before delivery"),
        interval_of(cvo_nps_by_stage(nps, CVO_NPS_POST_DELIVERY), "after delivery")};
    report_figure_open(r);
    svg_interval_rows(r->out, "NPS before and after delivery", stages, 2, -100, 100, "NPS");
    report_figure_close(r, "Dot: NPS; whiskers: its 95% interval.");
    size_t n = 0;
    const cvo_nps_group *rows = cvo_nps_groups(nps, CVO_NPS_BY_SEGMENT, &n);
    svg_interval *bars = mem_array(r->ctx, n ? n : 1, sizeof *bars);
    if (bars == NULL)
        return ctx_nomem(r->ctx);
    for (size_t i = 0; i < n; i++)
        bars[i] = interval_of(&rows[i], rows[i].key);
    report_figure_open(r);
    svg_interval_rows(r->out, "NPS by segment", bars, n, -100, 100, "NPS");
    report_figure_close(r, "Dot: NPS; whiskers: its 95% interval; hollow: too few answers to trust.");
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
    report_table_head(r, "What each segment says", cols, 3, true);
    for (size_t s = 0; s < segments; s++) {
        if (rows[s].n == 0)
            continue;
        report_put(r, "<tr><th scope=\"row\">");
        report_esc(r, rows[s].key);
        report_put(r, "</th>");
        for (int phrases = 0; phrases < 2; phrases++) {
            size_t n = 0;
            const cvo_nps_term *t = cvo_nps_segment_terms(nps, s, phrases, &n);
            report_put(r, "<td>");
            for (size_t i = 0; i < n && i < REPORT_NPS_TERMS; i++) {
                char count[32];
                snprintf(count, sizeof count, " (%llu)", (unsigned long long)t[i].count);
                report_put(r, i ? ", " : "");
                report_esc(r, t[i].text);
                report_put(r, count);
            }
            report_put(r, n ? "</td>" : "-</td>");
        }
        report_put(r, "</tr>\n");
    }
    report_table_end(r);
}

cvo_status report_section_nps(report *r)
{
    const cvo_nps *nps = cvo_analysis_nps(r->a);
    report_section_open(r, "nps", "What customers say: NPS",
                 "Net Promoter Score = % promoters (9-10) - % detractors (0-6), with its 95% "
                 "interval, before and after delivery and by segment.");
    if (nps == NULL) {
        report_note_box(r, "No NPS.",
                 "No NPS answers were given to this analysis (cvo analyze --nps FILE).");
        report_section_close(r);
        return CVO_OK;
    }
    nps_cards(r, nps);
    CVO_TRY(nps_charts(r, nps));
    nps_words(r, nps);
    report_section_close(r);
    return CVO_OK;
}
