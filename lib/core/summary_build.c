/* summary_build.c - from each customer's counted orders to the models'
 * sufficient statistics: x, t_x, T, mean repeat value and holdout count.
 * Orders on the same day (or, in whole-period mode, the same period) make one
 * purchase occasion, as in BTYD and CLVTools; values are summed per occasion. */
#include "core/customers.h"
#include "io/datetime.h"
#include "core/summary.h"

#include <string.h>

/* Whole weeks run Monday to Sunday, counted from Monday 1970-01-05. */
enum { MONDAY_EPOCH = 4 };

typedef struct clock {
    cvo_period period;
    bool whole;
    double days; /* days per period */
} clock;

static double period_days(cvo_period period)
{
    return period == CVO_PERIOD_DAY ? 1.0 : period == CVO_PERIOD_WEEK ? 7.0 : 365.25 / 12.0;
}

/* A day's position on the model's time axis, in days (day mode) or in whole
 * periods (lifetimes mode). */
static int64_t tick(const clock *c, int32_t day)
{
    if (!c->whole || c->period == CVO_PERIOD_DAY)
        return day;
    if (c->period == CVO_PERIOD_WEEK) {
        int64_t d = (int64_t)day - MONDAY_EPOCH;
        return d >= 0 ? d / 7 : -((-d + 6) / 7);
    }
    int year, month, dom;
    date_to_civil(day, &year, &month, &dom);
    return (int64_t)year * 12 + (month - 1);
}

static double span(const clock *c, int64_t from, int64_t to)
{
    return c->whole ? (double)(to - from) : (double)(to - from) / c->days;
}

typedef struct occasion_walk {
    const cvo_order *orders;
    size_t count, pos;
} occasion_walk;

/* The next occasion: its tick, its first day and its summed value. */
static bool next_occasion(const clock *c, occasion_walk *w, int64_t *at, int32_t *day,
                          int64_t *cents)
{
    if (w->pos >= w->count)
        return false;
    *day = w->orders[w->pos].day;
    *at = tick(c, *day);
    *cents = 0;
    while (w->pos < w->count && tick(c, w->orders[w->pos].day) == *at)
        *cents += w->orders[w->pos++].net_cents;
    return true;
}

/* Fills row from one customer's orders; false when born after the end. */
static bool summarise(const clock *c, const cvo_order *orders, size_t count, int32_t cal_end,
                      int32_t last_day, cvo_summary_row *row)
{
    occasion_walk w = {orders, count, 0};
    int64_t first, at, cents;
    int32_t day;
    if (!next_occasion(c, &w, &first, &day, &cents) || day > cal_end)
        return false;
    row->first_day = day;
    int64_t last = first, last_any = first, repeat_cents = 0;
    row->x = row->x_star = 0;
    while (next_occasion(c, &w, &at, &day, &cents)) {
        if (day <= cal_end) {
            row->x++;
            last = at;
            repeat_cents += cents;
        } else if (day <= last_day) {
            row->x_star++;
            last_any = at;
        }
    }
    row->t_x = span(c, first, last);
    row->t_x_full = row->x_star > 0 ? span(c, first, last_any) : row->t_x;
    row->T = span(c, first, tick(c, cal_end));
    row->m_x = row->x > 0 ? (double)repeat_cents / 100.0 / row->x : 0;
    row->weight = 1;
    return true;
}

static cvo_status check_dates(cvo_ctx *ctx, const cvo_customers *customers,
                              const cvo_summary_options *o, int32_t *cal_end, int32_t *last_day)
{
    int32_t data_last = cvo_customers_last_day(customers);
    int32_t as_of = o->as_of_day != INT32_MIN ? o->as_of_day : data_last + 1;
    if (as_of <= data_last)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the as-of date must come after the last order");
    *last_day = as_of - 1;
    *cal_end = o->calibration_end != INT32_MIN ? o->calibration_end : *last_day;
    if (*cal_end > *last_day)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "the calibration end must come before the end of the data");
    return CVO_OK;
}

cvo_status cvo_summary_from_orders(cvo_ctx *ctx, const cvo_customers *customers,
                                   const cvo_summary_options *options, cvo_summary **out)
{
    cvo_summary_options defaults;
    cvo_summary_options_init(&defaults);
    const cvo_summary_options *o = options ? options : &defaults;
    *out = NULL;
    if (customers == NULL || customers->order_start == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "the customer table was loaded without orders");
    int32_t cal_end = 0, last_day = 0;
    CVO_TRY(check_dates(ctx, customers, o, &cal_end, &last_day));
    clock c = {o->period, o->whole_periods, period_days(o->period)};
    cvo_summary *s = summary_new(ctx, customers->count);
    if (s == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < customers->count; i++) {
        size_t n;
        const cvo_order *orders = cvo_customers_orders(customers, i, &n);
        cvo_summary_row *row = &s->rows[s->count];
        const cvo_customer *cu = &customers->rows[i];
        if (!summarise(&c, orders, n, cal_end, last_day, row)) {
            s->born_after++;
            continue;
        }
        const char *key = cu->customer_id[0] ? cu->customer_id : cu->email;
        row->customer_id = arena_strndup(&s->strings, key, strlen(key));
        if (row->customer_id == NULL) {
            cvo_summary_free(s);
            return ctx_nomem(ctx);
        }
        s->count++;
    }
    s->has_holdout = o->calibration_end != INT32_MIN;
    s->holdout = s->has_holdout ? span(&c, tick(&c, cal_end), tick(&c, last_day)) : 0;
    s->period_days = c.days;
    s->end_day = cal_end;
    *out = s;
    if (s->count == 0) {
        cvo_summary_free(s);
        *out = NULL;
        return ctx_fail(ctx, CVO_ERR_EMPTY, "no customer bought before the calibration end");
    }
    return CVO_OK;
}
