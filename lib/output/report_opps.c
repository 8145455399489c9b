/* report_opps.c - the report's "Opportunities" section: one table row per
 * opportunity, highest profit at stake first, saying what it is, whom it
 * concerns, what is at stake (with its range), the action cvo prepares and the
 * test that would prove it. Every text from the data is escaped. */
#include "output/report_opps.h"
#include "base/ctx.h"
#include "output/report_text.h"
#include "output/svg.h"

#include <math.h>
#include <string.h>

/* "1,234.00 EUR" from cents. */
static void money(char *buf, size_t size, int64_t cents, const char *currency)
{
    char amount[40];
    report_amount(amount, sizeof amount, cents, 0);
    snprintf(buf, size, "%s%s%.8s", amount, currency[0] ? " " : "", currency);
}

static void stake_cell(FILE *out, const cvo_opportunity *op, const char *currency)
{
    char mid[64], low[64], high[64];
    money(mid, sizeof mid, op->at_stake_cents, currency);
    money(low, sizeof low, op->at_stake_low_cents, currency);
    money(high, sizeof high, op->at_stake_high_cents, currency);
    fputs("<td class=\"num\">", out);
    svg_escape(out, mid);
    fputs("<br><small>", out);
    svg_escape(out, low);
    fputs(" to ", out);
    svg_escape(out, high);
    fputs(op->from_effect ? "<br>from the adjusted effect" : "<br>from the model", out);
    fputs("</small></td>", out);
}

/* The test in words: list, members now and the MDE they give, weeks needed. */
static void test_cell(FILE *out, const cvo_opportunity *op, const char *currency)
{
    fputs("<td class=\"text\">", out);
    if (!op->has_test) {
        fputs("No list to hold out.</td>", out);
        return;
    }
    const cvo_experiment_plan *p = &op->test;
    char mde[64], members[32];
    report_count(members, sizeof members, p->members_now);
    if (isfinite(p->mde_now)) {
        char amount[40];
        report_amount(amount, sizeof amount, (int64_t)llround(p->mde_now), 2);
        snprintf(mde, sizeof mde, "%s%s%.8s", amount, currency[0] ? " " : "", currency);
    } else
        snprintf(mde, sizeof mde, "-");
    fprintf(out, "Hold out %.0f%% of <code>", 100 * p->share);
    svg_escape(out, cvo_list_name(p->list_bit));
    fputs("</code>, measure profit per member over ", out);
    fprintf(out, "%u days. Now %s members: smallest detectable difference ", p->window_days,
            members);
    svg_escape(out, mde);
    if (isfinite(p->mde_relative_now))
        fprintf(out, " (%.0f%%)", 100 * p->mde_relative_now);
    if (!isfinite(p->weeks))
        fprintf(out, "; a %.0f%% uplift cannot be detected on it", 100 * p->target_effect);
    else if (p->too_small)
        fprintf(out, "; a %.0f%% uplift needs %.0f weeks, too long: the list is too small",
                100 * p->target_effect, ceil(p->weeks));
    else
        fprintf(out, "; a %.0f%% uplift needs %.0f weeks", 100 * p->target_effect, ceil(p->weeks));
    fputs(".</td>", out);
}

static void row_html(FILE *out, const cvo_opportunity *op, size_t rank, const char *currency)
{
    char customers[32];
    report_count(customers, sizeof customers, op->customers);
    fprintf(out, "<tr><td class=\"num\">%zu</td><th scope=\"row\">", rank);
    svg_escape(out, op->what);
    fprintf(out, "</th><td class=\"num\">%s</td>", customers);
    stake_cell(out, op, currency);
    fputs("<td class=\"text\">", out);
    svg_escape(out, op->action ? op->action : "");
    fputs("</td>", out);
    test_cell(out, op, currency);
    fputs("</tr>\n", out);
}

static void table(FILE *out, const cvo_opportunity *items, size_t n, const char *currency)
{
    fputs("<div class=\"scroll\"><table class=\"wide opps\">\n<caption>Opportunities, highest profit "
          "at stake first</caption>\n<thead><tr><th scope=\"col\" class=\"num\">#</th>"
          "<th scope=\"col\">Opportunity</th><th scope=\"col\" class=\"num\">Customers</th>"
          "<th scope=\"col\" class=\"num\">Profit at stake, 12 months</th><th scope=\"col\">"
          "What cvo prepares</th><th scope=\"col\">The test that would prove it</th></tr>"
          "</thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < n; i++)
        row_html(out, &items[i], i + 1, currency);
    fputs("</tbody></table></div>\n", out);
}

cvo_status report_opportunities(cvo_ctx *ctx, const cvo_analysis *a, const char *currency,
                                FILE *out)
{
    cvo_opportunities *opps = NULL;
    CVO_TRY(cvo_opportunities_compute(ctx, a, &opps));
    size_t n = 0;
    const cvo_opportunity *items = cvo_opportunities_items(opps, &n);
    fputs("<section id=\"opportunities\" aria-labelledby=\"opportunities-h\">\n<h2 "
          "id=\"opportunities-h\">Opportunities</h2>\n<p class=\"lead\">What the findings below "
          "are worth, highest first: the profit at stake over the next 12 months, the action "
          "cvo has prepared and the holdout test that would show whether it works. Products, "
          "countries and discounts count only when their customers do worse than customers "
          "whose first order was worth as much, so a cheap or dear product is never blamed for "
          "its price alone. Model figures: the customers' predicted profit (range: the "
          "chance in how many orders they place); effects: the difference per customer times "
          "the customers the group gains in a year (range: its interval).</p>\n",
          out);
    if (n == 0)
        fputs("<p>No opportunity: no top customer is about to lapse or unhappy, no discount "
              "would be wasted, and no product, country or discount does worse than its price "
              "tier.</p>\n",
              out);
    else
        table(out, items, n, currency ? currency : "");
    fputs("</section>\n", out);
    cvo_opportunities_free(opps);
    return CVO_OK;
}
