/* report_experiment_results.c - the experiments' results in report.html: one table
 * per experiment, each metric's uplift drawn as a dot on its 95 % interval around
 * zero (inline SVG, as the deep dives draw theirs), and the verdict. */
#include "output/report_experiment_results.h"

#include "output/svg.h"

#include <math.h>
#include <string.h>

#define BAR_W 160.0
#define BAR_H 18.0

static bool money(cvo_exp_metric m)
{
    return m == CVO_EXP_REVENUE || m == CVO_EXP_PROFIT;
}

static void format_value(char *buf, size_t size, cvo_exp_metric m, double v, bool sign)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (m == CVO_EXP_CONVERSION)
        snprintf(buf, size, sign ? "%+.1f pt" : "%.1f%%", 100 * v);
    else
        snprintf(buf, size, sign ? "%+.2f" : "%.2f", money(m) ? v / 100 : v);
}

static void cell(FILE *out, const char *text)
{
    fputs("<td class=\"num\">", out);
    svg_escape(out, text);
    fputs("</td>", out);
}

/* The relative uplift's interval with the dot at its value, zero in the middle. */
static void uplift_bar(FILE *out, const cvo_experiment_metric_result *x)
{
    if (!isfinite(x->relative_low) || !isfinite(x->relative_high)) {
        fputs("-", out);
        return;
    }
    double reach = fmax(fabs(x->relative_low), fabs(x->relative_high));
    reach = reach > 0 ? reach * 1.1 : 1;
    double mid = BAR_W / 2, scale = (BAR_W / 2 - 6) / reach;
    bool clear = x->estimate.p_value < 0.05;
    const char *color = x->relative < 0 ? "#b91c1c" : "#0f766e";
    fprintf(out,
            "<svg role=\"img\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\">"
            "<title>uplift %+.1f%%, interval %+.1f%% to %+.1f%%</title>"
            "<line x1=\"%.1f\" y1=\"1\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#9ca3af\"/>"
            "<line x1=\"%.1f\" y1=\"9\" x2=\"%.1f\" y2=\"9\" stroke=\"%s\" stroke-width=\"2\"/>"
            "<circle cx=\"%.1f\" cy=\"9\" r=\"4.5\" fill=\"%s\" stroke=\"%s\" "
            "stroke-width=\"2\"/></svg>",
            BAR_W, BAR_H, BAR_W, BAR_H, 100 * x->relative, 100 * x->relative_low,
            100 * x->relative_high, mid, mid, BAR_H - 1, mid + x->relative_low * scale,
            mid + x->relative_high * scale, color, mid + x->relative * scale,
            clear ? color : "#ffffff", color);
}

static void metric_row(FILE *out, const cvo_experiment_metric_result *x, bool primary)
{
    char t[32], h[32], d[32], lo[32], hi[32], rel[32], vr[32];
    format_value(t, sizeof t, x->metric, x->treatment, false);
    format_value(h, sizeof h, x->metric, x->holdout, false);
    format_value(d, sizeof d, x->metric, x->estimate.diff, true);
    format_value(lo, sizeof lo, x->metric, x->estimate.ci_low, true);
    format_value(hi, sizeof hi, x->metric, x->estimate.ci_high, true);
    snprintf(rel, sizeof rel, isfinite(x->relative) ? "%+.1f%%" : "-", 100 * x->relative);
    snprintf(vr, sizeof vr, "%.1f%%", 100 * x->variance_reduction);
    fprintf(out, "<tr><th scope=\"row\">%s%s</th>", cvo_exp_metric_name(x->metric),
            primary ? " <strong title=\"primary metric\">*</strong>" : "");
    cell(out, t);
    cell(out, h);
    fputs("<td class=\"num\">", out);
    svg_escape(out, d);
    fputs("<br><small>", out);
    svg_escape(out, lo);
    fputs(" to ", out);
    svg_escape(out, hi);
    fputs("</small></td>", out);
    cell(out, rel);
    fputs("<td>", out);
    uplift_bar(out, x);
    fputs("</td>", out);
    cell(out, vr);
    fputs("</tr>\n", out);
}

static void metrics_table(FILE *out, const cvo_experiment_result *r)
{
    fputs("<div class=\"scroll\"><table class=\"wide\">\n<caption>Per member over the window: "
          "treated against held out (CUPED-adjusted differences, 95% intervals)</caption>\n"
          "<thead><tr><th scope=\"col\">Metric</th><th scope=\"col\" class=\"num\">Treated"
          "</th><th scope=\"col\" class=\"num\">Held out</th><th scope=\"col\" class=\"num\">"
          "Difference (interval)</th><th scope=\"col\" class=\"num\">Uplift</th><th "
          "scope=\"col\">Drawn (0 in the middle)</th><th scope=\"col\" class=\"num\">CUPED "
          "variance reduction</th></tr></thead>\n<tbody>\n",
          out);
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++)
        metric_row(out, &r->metrics[m], m == (int)r->info.primary);
    fputs("</tbody></table></div>\n", out);
}

static void arms_text(FILE *out, const cvo_experiment_result *r)
{
    char start[11];
    cvo_day_format(r->info.start_day, start);
    fprintf(out,
            "<p>Holdout %.0f%% of the %s list since %s; members counted from the day they "
            "entered, over %u days: %llu measured (%llu treated, %llu held out), %llu in "
            "flight (window not closed), %llu not in the orders.",
            100 * r->info.share, cvo_list_name(r->info.list_bit), start,
            (unsigned)r->info.window_days, (unsigned long long)(r->members[0] + r->members[1]),
            (unsigned long long)r->members[0], (unsigned long long)r->members[1],
            (unsigned long long)(r->in_flight[0] + r->in_flight[1]),
            (unsigned long long)r->missing);
    if (isfinite(r->srm_p))
        fprintf(out, " Arm sizes against the share: p = %.3g%s.", r->srm_p,
                r->srm_flag ? ", a mismatch: do not read this result" : " (as expected)");
    fputs("</p>\n", out);
}

static void incremental_text(FILE *out, const cvo_experiment_result *r)
{
    const cvo_experiment_metric_result *p = &r->metrics[CVO_EXP_PROFIT];
    if (!p->ok)
        return;
    char v[32], lo[32], hi[32];
    format_value(v, sizeof v, CVO_EXP_PROFIT, p->incremental, true);
    format_value(lo, sizeof lo, CVO_EXP_PROFIT, p->incremental_low, true);
    format_value(hi, sizeof hi, CVO_EXP_PROFIT, p->incremental_high, true);
    fprintf(out, "<p>Profit the action added over its %llu treated members: ",
            (unsigned long long)r->members[0]);
    svg_escape(out, v);
    fputs(" (", out);
    svg_escape(out, lo);
    fputs(" to ", out);
    svg_escape(out, hi);
    fputs(").</p>\n", out);
}

static void experiment(FILE *out, const cvo_experiment_result *r)
{
    fputs("<h3>", out);
    svg_escape(out, r->info.id);
    fputs("</h3>\n", out);
    arms_text(out, r);
    if (r->metrics[0].ok) {
        metrics_table(out, r);
        incremental_text(out, r);
    }
    fputs("<p class=\"verdict\"><strong>Verdict:</strong> ", out);
    svg_escape(out, r->verdict_text);
    if (isfinite(r->q_value))
        fprintf(out, " (false-alarm risk across the experiments shown: q = %.3g)", r->q_value);
    fputs("</p>\n", out);
}

cvo_status report_experiment_results(cvo_ctx *ctx, const cvo_experiment_results *r, FILE *out)
{
    (void)ctx;
    size_t n = cvo_experiment_results_count(r);
    fputs("<div class=\"experiment-results\">\n", out);
    if (n == 0)
        fputs("<p>No experiment has results yet.</p>\n", out);
    for (size_t i = 0; i < n; i++)
        experiment(out, cvo_experiment_results_at(r, i));
    fputs("<p><small>The verdict waits for the planned number of members, so that reading "
          "the result every week does not make false wins; * marks the primary metric, a "
          "solid dot an interval clear of zero.</small></p>\n</div>\n",
          out);
    return CVO_OK;
}
