/* runsum.c - the one-line summary of a run of cvo analyze: what was read,
 * kept, pushed and how long it took, as one JSON object. cron greps it from
 * stderr; summary.json carries the same object as "run". */
#include "output/cells.h"

#include "base/ctx.h"

static void key(cell_buf *b, const char *name, bool *first)
{
    cell_char(b, *first ? '{' : ',');
    *first = false;
    cell_json_string(b, name);
    cell_char(b, ':');
}

static void count(cell_buf *b, const char *name, uint64_t value, bool *first)
{
    key(b, name, first);
    cell_int(b, value > INT64_MAX ? INT64_MAX : (int64_t)value);
}

static void text(cell_buf *b, const char *name, const char *value, bool *first)
{
    key(b, name, first);
    if (value != NULL)
        cell_json_string(b, value);
    else
        cell_str(b, "null");
}

void run_summary_body(cell_buf *b, const cvo_run_summary *run)
{
    bool first = true;
    text(b, "run_id", run->run_id && run->run_id[0] ? run->run_id : NULL, &first);
    text(b, "status", run->status, &first);
    count(b, "exit", run->exit_code < 0 ? 0 : (uint64_t)run->exit_code, &first);
    key(b, "as_of", &first);
    cell value;
    cell_set_day(&value, run->as_of_day);
    cell_write_json(b, &value);
    count(b, "records", run->records, &first);
    count(b, "used", run->used, &first);
    count(b, "not_counted", run->not_counted, &first);
    count(b, "rejected", run->rejected, &first);
    count(b, "nps_records", run->nps_records, &first);
    count(b, "nps_rejected", run->nps_rejected, &first);
    count(b, "customers", run->customers, &first);
    count(b, "orders", run->orders, &first);
    key(b, "revenue", &first);
    if (run->no_amounts)
        cell_str(b, "null");
    else
        cell_money(b, run->revenue_cents);
    count(b, "pushed", run->pushed, &first);
    count(b, "skipped", run->skipped, &first);
    key(b, "duration_s", &first);
    cell_fixed(b, run->duration_s >= 0 ? run->duration_s : 0, 3, false);
    text(b, "reason", run->reason && run->reason[0] ? run->reason : NULL, &first);
    cell_char(b, '}');
}

cvo_status cvo_write_run_summary(cvo_ctx *ctx, const cvo_run_summary *run, FILE *out)
{
    if (ctx == NULL || run == NULL || out == NULL)
        return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "no run or stream") : CVO_ERR_ARGUMENT;
    cell_buf b;
    cell_buf_init(&b, ctx);
    run_summary_body(&b, run);
    cell_char(&b, '\n');
    return cell_finish(&b, out, CVO_OK);
}
