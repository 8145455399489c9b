/* spend_check.c - how Gamma-Gamma would have done on the user's own history:
 * each customer's predicted average spend per purchase (from the calibration
 * part) against the average they actually spent in the holdout, and the check
 * of the model's assumption that spend is independent of purchase frequency
 * (Fader, Hardie & Lee 2005, section 4: the correlation among repeat buyers). */
#include "core/customers.h"
#include "core/summary.h"
#include "cvo.h"

#include "base/ctx.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Pearson r of frequency and average spend over the repeat buyers. */
static double frequency_spend_correlation(const cvo_summary *s, double *buyers)
{
    double n = 0, mx = 0, mm = 0;
    for (size_t i = 0; i < s->count; i++) {
        const cvo_summary_row *r = &s->rows[i];
        if (r->x > 0) {
            n += r->weight;
            mx += r->weight * r->x;
            mm += r->weight * r->m_x;
        }
    }
    *buyers = n;
    if (!(n > 1))
        return NAN;
    mx /= n;
    mm /= n;
    double sxx = 0, smm = 0, sxm = 0;
    for (size_t i = 0; i < s->count; i++) {
        const cvo_summary_row *r = &s->rows[i];
        if (r->x > 0) {
            sxx += r->weight * (r->x - mx) * (r->x - mx);
            smm += r->weight * (r->m_x - mm) * (r->m_x - mm);
            sxm += r->weight * (r->x - mx) * (r->m_x - mm);
        }
    }
    return sxx > 0 && smm > 0 ? sxm / sqrt(sxx * smm) : NAN;
}

/* The customer's average value per holdout occasion (orders of one day make
 * one), days (end, last]; NaN without one. */
static double holdout_average(const cvo_order *orders, size_t count, int32_t end, int32_t last)
{
    double occasions = 0, cents = 0;
    int32_t day = INT32_MIN;
    for (size_t k = 0; k < count; k++) {
        if (orders[k].day <= end || orders[k].day > last)
            continue;
        if (orders[k].day != day)
            occasions++;
        day = orders[k].day;
        cents += (double)orders[k].net_cents;
    }
    return occasions > 0 ? cents / 100.0 / occasions : NAN;
}

/* Walks the customers beside the summary's rows (the same order, those born
 * after the calibration end left out of the summary). */
static void compare(const cvo_fit *gg, const cvo_summary *s, const cvo_customers *c,
                    cvo_spend_backtest *out)
{
    int32_t last = s->end_day + (int32_t)llround(s->holdout * s->period_days);
    size_t row = 0;
    for (size_t i = 0; i < c->count && row < s->count; i++) {
        const cvo_order *orders = c->orders + c->order_start[i];
        size_t count = c->order_start[i + 1] - c->order_start[i];
        if (count == 0 || orders[0].day > s->end_day)
            continue; /* not in the summary */
        const cvo_summary_row *r = &s->rows[row++];
        double actual = r->x_star > 0 ? holdout_average(orders, count, s->end_day, last) : NAN;
        double predicted = cvo_fit_spend(gg, r->x, r->m_x);
        if (!isfinite(actual) || !isfinite(predicted))
            continue;
        out->customers += r->weight;
        out->actual_total += r->weight * actual;
        out->predicted_total += r->weight * predicted;
        out->mae += r->weight * fabs(actual - predicted);
    }
    if (out->customers > 0)
        out->mae /= out->customers;
}

cvo_status cvo_spend_backtest_run(cvo_ctx *ctx, const cvo_fit *gg, const cvo_summary *summary,
                                  const cvo_customers *customers, cvo_spend_backtest *out)
{
    memset(out, 0, sizeof *out);
    out->mae = NAN;
    if (gg == NULL || summary == NULL || gg->model != CVO_MODEL_GG)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "a spend backtest needs a Gamma-Gamma fit");
    out->correlation = frequency_spend_correlation(summary, &out->repeat_buyers);
    out->correlation_warned = fabs(out->correlation) > CVO_SPEND_CORRELATION_WARN;
    if (out->correlation_warned)
        snprintf(out->correlation_note, sizeof out->correlation_note,
                 "Gamma-Gamma assumes spend per purchase does not depend on how often a "
                 "customer buys, but among repeat buyers the two correlate (r = %.2f, above "
                 "%.1f): predicted spend is biased %s for frequent buyers.",
                 out->correlation, CVO_SPEND_CORRELATION_WARN,
                 out->correlation > 0 ? "low" : "high");
    out->ran = cvo_summary_has_holdout(summary) && customers != NULL &&
               customers->order_start != NULL && summary->period_days > 0 &&
               summary->end_day != INT32_MIN;
    if (out->ran) {
        out->mae = 0;
        compare(gg, summary, customers, out);
    }
    return CVO_OK;
}
