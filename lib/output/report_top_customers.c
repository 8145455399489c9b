/* report_top_customers.c - the report's "Top customers" section: the customers
 * with the highest predicted CLV (or revenue, or orders, when there is none),
 * e-mail addresses masked unless [report] show_emails is true. */
#include "output/report_page.h"

#include "output/report_text.h"

#include <math.h>
#include <string.h>

#define TOP_CUSTOMERS_DEFAULT 25
#define TOP_CUSTOMERS_MAX 1000 /* the config key's own maximum */

static double top_key(const report *r, size_t i, bool by_clv)
{
    if (by_clv)
        return isfinite(r->results[i].predicted_clv) ? r->results[i].predicted_clv : -INFINITY;
    if (r->no_amounts) /* no money: the most orders */
        return (double)cvo_customers_at(r->customers, i)->orders;
    return (double)cvo_customers_at(r->customers, i)->net_revenue_cents;
}

/* Keeps the best `want` indexes in top[] (value descending, index ascending). */
static size_t top_select(const report *r, bool by_clv, size_t *top, size_t want)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++) {
        double key = top_key(r, i, by_clv);
        if (n == want && key <= top_key(r, top[n - 1], by_clv))
            continue;
        size_t k = n < want ? n++ : n - 1;
        while (k > 0 && key > top_key(r, top[k - 1], by_clv)) {
            top[k] = top[k - 1];
            k--;
        }
        top[k] = i;
    }
    return n;
}

static void top_row(report *r, size_t i)
{
    static const char *const risk[] = {"low", "medium", "high"};
    const cvo_customer *c = cvo_customers_at(r->customers, i);
    const cvo_customer_result *res = &r->results[i];
    const cvo_score *s = &cvo_rfm_scores(cvo_analysis_rfm(r->a))[i];
    char day[11], id[320], email[320];
    /* an id that is an e-mail address is masked like one */
    report_email(id, sizeof id, c->customer_id, r->show_emails || !strchr(c->customer_id, '@'));
    report_email(email, sizeof email, c->email, r->show_emails);
    report_put(r, "<tr><td class=\"id\">");
    report_esc(r, id[0] ? id : "-");
    report_put(r, "</td><td class=\"id email\">");
    report_esc(r, email[0] ? email : "-");
    report_put(r, "</td>");
    report_put(r, "<td class=\"nowrap\">");
    report_esc(r, cvo_scheme_segment_name(cvo_analysis_scheme(r->a), s->segment));
    report_put(r, "</td>");
    report_td_count(r, c->orders);
    report_td_money(r, c->net_revenue_cents, 2);
    report_td_real(r, res->p_alive, 2, "");
    if (isfinite(res->predicted_clv))
        report_td_money(r, (int64_t)llround(res->predicted_clv * 100), 2);
    else
        report_td(r, "-", true);
    unsigned k = (unsigned)res->churn_risk < 3 ? (unsigned)res->churn_risk : 0;
    fprintf(r->out, "<td class=\"risk-%s\">%s</td>", risk[k], risk[k]);
    report_fmt_day(day, res->next_order_day);
    report_td(r, day, true);
    report_put(r, "</tr>\n");
}

void report_section_top_customers(report *r)
{
    size_t want = (size_t)report_setting_number(r, "report", "top_customers", TOP_CUSTOMERS_DEFAULT);
    want = want < 1 ? 1 : want > TOP_CUSTOMERS_MAX ? TOP_CUSTOMERS_MAX : want;
    size_t clv_n;
    report_sum_finite_clv(r, &clv_n);
    bool by_clv = clv_n > 0;
    char lead[200];
    snprintf(lead, sizeof lead,
             "The %zu customers with the highest %s: the people to know by "
             "name, thank, and ask for referrals and interviews.",
             want, by_clv ? "predicted CLV" : "revenue so far (no CLV prediction is available)");
    report_section_open(r, "top-customers", "Top customers", lead);
    size_t top[TOP_CUSTOMERS_MAX];
    size_t n = top_select(r, by_clv, top, want);
    static const char *const cols[] = {
        "Customer id",         "Email",      "Segment",    "#Orders", "#Revenue (%s)", "#P(alive)",
        "#Predicted CLV (%s)", "Churn risk", "#Next order"};
    const char *title = by_clv          ? "Top customers by predicted CLV"
                        : r->no_amounts ? "Top customers by orders"
                                        : "Top customers by revenue";
    report_table_head(r, title, cols, sizeof cols / sizeof cols[0], true);
    for (size_t i = 0; i < n; i++)
        top_row(r, top[i]);
    report_table_end(r);
    report_section_close(r);
}
