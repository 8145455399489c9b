/* movers.c - lists/movers.csv: the customers who moved since the last
 * snapshot (segment changed, R score dropped, entered or left the top
 * segments), ready to import as a Klaviyo list next to the events. */
#include "cvo.h"

#include "base/ctx.h"
#include "output/cells.h"

static const char MOVERS_HEADER[] = "Email,customer_id,segment_then,segment_now,r_then,r_now,"
                                    "segment_changed,r_dropped,entered_top,left_top,"
                                    "segment_changed_at\n";

static bool moved(const cvo_migration_customer *c)
{
    return c->segment_changed || c->r_dropped || c->entered_top || c->left_top;
}

static void mover_row(cell_buf *b, const cvo_analysis *a, size_t i,
                      const cvo_migration_customer *c)
{
    const cvo_customer *row = cvo_customers_at(cvo_analysis_customers(a), i);
    const cvo_score *s = &cvo_rfm_scores(cvo_analysis_rfm(a))[i];
    cell_csv_text(b, row->email);
    cell_char(b, ',');
    cell_csv_text(b, row->customer_id);
    cell_char(b, ',');
    cell_csv_text(b, c->then_segment ? c->then_segment : "");
    cell_char(b, ',');
    cell_csv_text(b, cvo_scheme_segment_name(cvo_analysis_scheme(a), s->segment));
    cell_char(b, ',');
    cell_int(b, c->previous_r);
    cell_char(b, ',');
    cell_int(b, s->r);
    const bool flags[] = {c->segment_changed, c->r_dropped, c->entered_top, c->left_top};
    for (size_t k = 0; k < sizeof flags / sizeof *flags; k++)
        cell_str(b, flags[k] ? ",1" : ",0");
    cell_char(b, ',');
    if (c->segment_changed_day != INT32_MIN)
        cell_day(b, c->segment_changed_day);
    cell_char(b, '\n');
}

cvo_status cvo_write_movers(cvo_ctx *ctx, const cvo_analysis *a, const cvo_migration *m,
                            FILE *out)
{
    if (ctx == NULL || a == NULL || m == NULL || out == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "movers: no analysis, migration or stream")
                   : CVO_ERR_ARGUMENT;
    size_t count = 0;
    const cvo_migration_customer *rows = cvo_migration_customers(m, &count);
    if (rows == NULL || count != cvo_customers_count(cvo_analysis_customers(a)))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "movers: the migration is not of this analysis");
    cell_buf b;
    cell_buf_init(&b, ctx);
    cell_str(&b, MOVERS_HEADER);
    cvo_status status = CVO_OK;
    for (size_t i = 0; status == CVO_OK && i < count; i++) {
        if (!moved(&rows[i]))
            continue;
        mover_row(&b, a, i, &rows[i]);
        status = cell_flush_some(&b, out);
    }
    return cell_finish(&b, out, status);
}
