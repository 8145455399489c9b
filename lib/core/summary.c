/* summary.c - the summary table object and its accessors. */
#include "summary.h"

#include <string.h>

cvo_summary *summary_new(cvo_ctx *ctx, size_t capacity)
{
    cvo_summary *s = mem_alloc(ctx, sizeof *s);
    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->end_day = INT32_MIN;
    arena_init(&s->strings, ctx);
    s->rows = mem_array(ctx, capacity ? capacity : 1, sizeof *s->rows);
    if (s->rows == NULL) {
        mem_free(ctx, s);
        return NULL;
    }
    return s;
}

cvo_status summary_from_rows(cvo_ctx *ctx, const cvo_summary_row *rows, size_t count,
                             cvo_summary **out)
{
    *out = NULL;
    cvo_summary *s = summary_new(ctx, count);
    if (s == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < count; i++) {
        s->rows[i] = rows[i];
        const char *id = rows[i].customer_id ? rows[i].customer_id : "";
        s->rows[i].customer_id = arena_strndup(&s->strings, id, strlen(id));
        if (s->rows[i].customer_id == NULL) {
            cvo_summary_free(s);
            return ctx_nomem(ctx);
        }
    }
    s->count = count;
    *out = s;
    return CVO_OK;
}

void cvo_summary_options_init(cvo_summary_options *options)
{
    options->period = CVO_PERIOD_WEEK;
    options->whole_periods = false;
    options->calibration_end = INT32_MIN;
    options->as_of_day = INT32_MIN;
}

size_t cvo_summary_count(const cvo_summary *summary)
{
    return summary ? summary->count : 0;
}

const cvo_summary_row *cvo_summary_at(const cvo_summary *summary, size_t index)
{
    return summary && index < summary->count ? &summary->rows[index] : NULL;
}

uint64_t cvo_summary_born_after(const cvo_summary *summary)
{
    return summary ? summary->born_after : 0;
}

double cvo_summary_holdout(const cvo_summary *summary)
{
    return summary ? summary->holdout : 0;
}

bool cvo_summary_has_holdout(const cvo_summary *summary)
{
    return summary && summary->has_holdout;
}

double cvo_summary_period_days(const cvo_summary *summary)
{
    return summary ? summary->period_days : 0;
}

int32_t cvo_summary_end_day(const cvo_summary *summary)
{
    return summary ? summary->end_day : INT32_MIN;
}

void cvo_summary_free(cvo_summary *summary)
{
    if (summary == NULL)
        return;
    arena_release(&summary->strings);
    mem_free(summary->ctx, summary->rows);
    mem_free(summary->ctx, summary);
}

void cvo_summary_set_holdout(cvo_summary *summary, double periods)
{
    if (summary != NULL && periods > 0) {
        summary->holdout = periods;
        summary->has_holdout = true;
    }
}
