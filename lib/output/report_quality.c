/* report_quality.c - the report's "Data quality" section: what became of every
 * record read (used, not counted for the order's status, rejected by reason),
 * the orders and repairs, and the totals per currency. */
#include "output/report_page.h"

#include "output/report_text.h"

static void quality_row(report *r, const char *what, uint64_t count, uint64_t of)
{
    report_put(r, "<tr><th scope=\"row\">");
    report_esc(r, what);
    report_put(r, "</th>");
    report_td_count(r, count);
    if (of > 0)
        report_td_real(r, 100.0 * (double)count / (double)of, 2, "%");
    else
        report_td(r, "", true);
    report_put(r, "</tr>\n");
}

static void quality_sentence(report *r, const cvo_load_stats *st)
{
    char read[32], rejected[32];
    report_count(read, sizeof read, st->records);
    report_count(rejected, sizeof rejected, st->rejected);
    if (st->rejected == 0 && st->not_counted == 0)
        fprintf(r->out, "<p>All <b>%s</b> records were used.</p>\n", read);
    else if (st->rejected == 0)
        fprintf(r->out,
                "<p>No record of the %s was rejected; the orders whose status does not count "
                "are below.</p>\n",
                read);
    else
        fprintf(r->out,
                "<p><b>%s</b> of %s records (%.2f%%) were rejected; the reasons are "
                "below.</p>\n",
                rejected, read, 100.0 * (double)st->rejected / (double)st->records);
}

static void quality_records(report *r, const cvo_load_stats *st)
{
    static const char *const cols[] = {"Records", "#Count", "#Share of records"};
    report_table_head(r, "Records read", cols, 3, false);
    quality_row(r, "read", st->records, st->records);
    quality_row(r, "used", st->used, st->records);
    quality_row(r, "not counted (the order's status)", st->not_counted, st->records);
    quality_row(r, "rejected", st->rejected, st->records);
    char what[96];
    for (int k = 0; k < CVO_REJECT__COUNT; k++) {
        if (st->rejected_by_reason[k] == 0)
            continue;
        snprintf(what, sizeof what, "\xE2\x80\x83rejected: %s",
                 cvo_reject_reason_name((cvo_reject_reason)k));
        quality_row(r, what, st->rejected_by_reason[k], st->records);
    }
    report_table_end(r);
}

static void quality_orders(report *r, const cvo_load_stats *st)
{
    static const char *const cols[] = {"Orders and fields", "#Count", "#Amount (%s)"};
    report_table_head(r, "Orders and repairs", cols, 3, false);
    quality_row(r, "orders counted", st->orders, 0);
    quality_row(r, "cancelled or voided orders (not counted)", st->cancelled_orders, 0);
    quality_row(r, "fully refunded orders (not counted)", st->refunded_orders, 0);
    quality_row(r, "return-only orders (not counted)", st->return_orders, 0);
    quality_row(r, "duplicate records (exact copies, dropped)", st->duplicates, 0);
    report_put(r, "<tr><th scope=\"row\">return lines</th>");
    report_td_count(r, st->return_lines);
    report_td_money(r, st->returns_cents, 2);
    report_put(r, "</tr>\n");
    quality_row(r, "text fields with invalid UTF-8 repaired", st->repaired_fields, 0);
    quality_row(r, "customers joined to an id by email", st->joined_by_email, 0);
    report_table_end(r);
}

/* Orders whose status does not count, by status ([orders] count_statuses). */
static void quality_statuses(report *r, const cvo_load_stats *st)
{
    if (st->status_kinds == 0)
        return;
    static const char *const cols[] = {"Status", "#Orders", "#Records"};
    report_table_head(r, "Orders not counted, by status ([orders] count_statuses)", cols, 3, false);
    for (uint32_t i = 0; i < st->status_kinds; i++) {
        const cvo_status_count *c = &st->not_counted_by_status[i];
        report_put(r, "<tr><th scope=\"row\">");
        report_esc(r, c->status);
        report_put(r, "</th>");
        report_td_count(r, c->orders);
        report_td_count(r, c->records);
        report_put(r, "</tr>\n");
    }
    report_table_end(r);
}

/* Totals per currency: amounts in two currencies are never added. */
static void quality_currencies(report *r, const cvo_load_stats *st)
{
    if (st->currency_count == 0)
        return;
    const char *how = st->currency_source == CVO_CURRENCY_GIVEN      ? "[model] currency"
                      : st->currency_source == CVO_CURRENCY_MAJORITY ? "the currency of most orders"
                                                                     : "the first order's";
    fprintf(r->out, "<p>Store currency <b>%s</b> (%s). ", st->currency, how);
    report_put(r, st->rejected_by_reason[CVO_REJECT_OTHER_CURRENCY] > 0
               ? "Orders in another currency were rejected: no rates were given (--rates).</p>\n"
               : "Orders in another currency were converted at the rate in force on their date "
                 "(--rates), if any.</p>\n");
    static const char *const cols[] = {"Currency", "#Orders counted", "#Net revenue",
                                       "#Net revenue (%s)", "#Orders rejected"};
    report_table_head(r, "Totals per currency", cols, 5, false);
    for (uint32_t i = 0; i < st->currency_count; i++) {
        const cvo_currency_total *t = &st->currencies[i];
        report_put(r, "<tr><th scope=\"row\">");
        report_esc(r, t->code[0] ? t->code : "other");
        report_put(r, "</th>");
        report_td_count(r, t->orders);
        report_td_money(r, t->net_cents, 2);
        report_td_money(r, t->store_cents, 2);
        report_td_count(r, t->rejected_orders);
        report_put(r, "</tr>\n");
    }
    report_table_end(r);
}

void report_section_data_quality(report *r)
{
    report_section_open(r, "data-quality", "Data quality",
                 "What happened to every record of the input: used records, records of orders "
                 "whose status does not count and rejected records always add up to the "
                 "records read. Rejected records are left out of "
                 "every figure in this report.");
    const cvo_load_stats *st = cvo_analysis_load_stats(r->a);
    if (st == NULL || st->records == 0) {
        report_note_box(r, "No load statistics.",
                 "The analysis was given no record of how the input was read.");
    } else {
        quality_sentence(r, st);
        if (st->no_amounts)
            report_note_box(r, "A count-only event log.",
                     "The input has no amount column: the purchase models ran on the dates "
                     "alone; the spend model and every money figure are left out (shown as "
                     "-); customers are ranked by orders, and there is no M score (the segments "
                     "read F in its place).");
        quality_records(r, st);
        quality_orders(r, st);
        quality_statuses(r, st);
        quality_currencies(r, st);
    }
    report_section_close(r);
}
