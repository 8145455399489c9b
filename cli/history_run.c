/* history_run.c - cvo analyze's history options: --as-of (the table as it
 * stood on a day), --backfill monthly (a snapshot per month start, each from
 * the orders before it) and the snapshot of --db recorded after the run. */
#include "history_run.h"

#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int history_parse_as_of(const char *text, int32_t *day)
{
    *day = INT32_MIN;
    if (text == NULL)
        return -1;
    if (!cvo_day_parse(text, day)) {
        fprintf(stderr, "cvo: --as-of must be a date like 2025-12-31\n");
        return EXIT_USAGE;
    }
    return -1;
}

int history_as_of(cvo_ctx *ctx, cvo_customers **customers, int32_t day, cvo_customers **source)
{
    cvo_customers *then = NULL;
    cvo_status status = cvo_customers_as_of(ctx, *customers, day, &then);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    *source = *customers;
    *customers = then;
    return -1;
}

int history_open(cvo_ctx *ctx, const char *path, cvo_history **out)
{
    cvo_status status = cvo_history_open(ctx, path, out);
    return status == CVO_OK ? -1 : cli_fail(ctx, status);
}

/* The first day of the month after day's month. */
static int32_t next_month_start(int32_t day)
{
    char text[11];
    cvo_day_format(day, text);
    int year = (int)strtol(text, NULL, 10), month = (int)strtol(text + 5, NULL, 10);
    return month == 12 ? cvo_day_from_ymd(year + 1, 1, 1) : cvo_day_from_ymd(year, month + 1, 1);
}

static int32_t first_order_day(const cvo_customers *c)
{
    int32_t first = INT32_MAX;
    for (size_t i = 0; i < cvo_customers_count(c); i++)
        if (cvo_customers_at(c, i)->first_order_day < first)
            first = cvo_customers_at(c, i)->first_order_day;
    return first;
}

static int backfill_one(cvo_ctx *ctx, cvo_history *h, const cvo_customers *all,
                        const cvo_config *config, int32_t day, bool quiet)
{
    cvo_customers *then = NULL;
    cvo_analysis *a = NULL;
    cvo_status status = cvo_customers_as_of(ctx, all, day, &then);
    if (status == CVO_OK)
        status = cvo_analyze(ctx, then, NULL, config, &a);
    int code = status == CVO_OK ? -1 : cli_fail(ctx, status);
    if (code < 0)
        code = history_record(ctx, h, a, true);
    if (code < 0 && !quiet) {
        char date[11];
        cvo_day_format(cvo_analysis_as_of(a), date);
        fprintf(stderr, "cvo: backfill: snapshot as of %s, %zu customers\n", date,
                cvo_customers_count(then));
    }
    cvo_analysis_free(a);
    cvo_customers_free(then);
    return code;
}

int history_backfill(cvo_ctx *ctx, cvo_history *h, const cvo_customers *all,
                     const cvo_config *config, int32_t end_day, bool quiet)
{
    int32_t first = first_order_day(all);
    if (first == INT32_MAX)
        return -1;
    int code = -1;
    for (int32_t day = next_month_start(first); code < 0 && day < end_day;
         day = next_month_start(day))
        code = backfill_one(ctx, h, all, config, day, quiet);
    return code;
}

static void pause_before_commit(void *user_data)
{
    double seconds = *(const double *)user_data;
    fprintf(stderr, "cvo: recording\n");
    fflush(stderr);
    clock_sleep(seconds);
}

cvo_history_record_options history_record_options(int64_t created_unix, double *pause_seconds)
{
    cvo_history_record_options options = {created_unix, NULL, NULL};
    const char *pause = getenv("CVO_TEST_HISTORY_PAUSE");
    if (pause != NULL && cli_parse_double(pause, 0, 3600, pause_seconds)) {
        options.before_commit = pause_before_commit;
        options.user_data = pause_seconds;
    }
    return options;
}

int history_record(cvo_ctx *ctx, cvo_history *h, const cvo_analysis *a, bool quiet)
{
    double seconds = 0;
    cvo_history_record_options options = history_record_options(clock_unix(), &seconds);
    cvo_status status = cvo_history_record(h, a, &options);
    if (status != CVO_OK)
        return cli_fail(ctx, status);
    if (!quiet) {
        char date[11];
        cvo_day_format(cvo_analysis_as_of(a), date);
        fprintf(stderr, "cvo: history: snapshot as of %s recorded\n", date);
    }
    return -1;
}
