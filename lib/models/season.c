/* season.c - a monthly seasonal index of the repeat-purchase rate, estimated
 * from the calibration period only, and what a forecast should say of seasons.
 * Invariant: an inactive index is exactly 1 in every month, so predictions
 * without one are those of the plain model. */
#include "models/season.h"

#include "base/ctx.h"
#include "core/customers.h"
#include "core/summary.h"
#include "io/datetime.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MONTHS = 12,
    SEASON_MIN_DAYS = 365, /* a full year of calibration */
    SEEN_MIN_DAYS = 15     /* a month with fewer calibration days was not seen */
};
#define SEASON_AUTO_P 0.01 /* auto: the months must differ at this level */

static const char *const month_names[MONTHS] = {"January",   "February", "March",    "April",
                                                "May",       "June",     "July",     "August",
                                                "September", "October",  "November", "December"};

static int month_of(int32_t day)
{
    int year, month, dom;
    date_to_civil(day, &year, &month, &dom);
    return month - 1;
}

/* The first day of the month after day's. */
static int32_t next_month_start(int32_t day)
{
    int year, month, dom;
    date_to_civil(day, &year, &month, &dom);
    return month == 12 ? date_from_civil(year + 1, 1, 1) : date_from_civil(year, month + 1, 1);
}

bool cvo_season_mode_from_name(const char *name, cvo_season_mode *out)
{
    static const char *const names[] = {"auto", "monthly", "off"};
    for (int i = 0; name != NULL && i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (cvo_season_mode)i;
            return true;
        }
    }
    return false;
}

bool season_active(const cvo_season *season)
{
    return season != NULL && season->active;
}

double cvo_season_at(const cvo_season *season, int32_t day)
{
    return season_active(season) ? season->index[month_of(day)] : 1.0;
}

/* ---- the clock ------------------------------------------------------------------ */

cvo_status season_clock_new(cvo_ctx *ctx, const cvo_season *season, int32_t first_day,
                            int32_t last_day, double period_days, season_clock *out)
{
    memset(out, 0, sizeof *out);
    if (last_day < first_day)
        last_day = first_day;
    size_t n = (size_t)((int64_t)last_day - first_day) + 2;
    out->days = mem_array(ctx, n, sizeof *out->days);
    if (out->days == NULL)
        return ctx_nomem(ctx);
    out->first_day = first_day;
    out->last_day = last_day;
    out->period_days = period_days;
    out->season = season_active(season) ? season : NULL;
    out->days[0] = 0;
    for (int32_t day = first_day; day <= last_day;) {
        int32_t next = next_month_start(day);
        int32_t stop = next - 1 < last_day ? next - 1 : last_day;
        double rate = cvo_season_at(out->season, day);
        for (int32_t d = day; d <= stop; d++)
            out->days[d - first_day + 1] = out->days[d - first_day] + rate;
        day = next;
    }
    return CVO_OK;
}

void season_clock_free(cvo_ctx *ctx, season_clock *clock)
{
    mem_free(ctx, clock->days);
    clock->days = NULL;
}

double season_clock_at(const season_clock *c, double day)
{
    double offset = day - c->first_day, span = (double)(c->last_day - c->first_day + 1);
    double days;
    if (offset <= 0)
        days = offset * cvo_season_at(c->season, c->first_day);
    else if (offset >= span)
        days = c->days[(size_t)span] + (offset - span) * cvo_season_at(c->season, c->last_day);
    else {
        size_t i = (size_t)offset;
        days = c->days[i] + (offset - (double)i) * (c->days[i + 1] - c->days[i]);
    }
    return days / c->period_days;
}

double season_clock_day(const season_clock *c, double periods)
{
    double lo = c->first_day - 1e6, hi = c->last_day + 1e6;
    for (int i = 0; i < 80 && hi - lo > 1e-9; i++) {
        double mid = (lo + hi) / 2;
        if (season_clock_at(c, mid) < periods)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

cvo_status season_summary(cvo_ctx *ctx, const cvo_summary *summary, const season_clock *clock,
                          cvo_summary **out)
{
    cvo_summary *s = summary_new(ctx, summary->count);
    if (s == NULL)
        return ctx_nomem(ctx);
    double pd = summary->period_days, end = season_clock_at(clock, summary->end_day);
    for (size_t i = 0; i < summary->count; i++) {
        cvo_summary_row r = summary->rows[i];
        double first = season_clock_at(clock, r.first_day);
        r.t_x = season_clock_at(clock, r.first_day + r.t_x * pd) - first;
        r.T = end - first;
        s->rows[i] = r;
    }
    s->count = summary->count;
    s->born_after = summary->born_after;
    s->has_holdout = summary->has_holdout;
    s->holdout = season_clock_at(clock, summary->end_day + summary->holdout * pd) - end;
    s->period_days = pd;
    s->end_day = summary->end_day;
    *out = s;
    return CVO_OK;
}

/* ---- estimation -------------------------------------------------------------- */

enum { SEASON_ROUNDS = 3 }; /* index, refit on its clock, index again ... */

static void season_clear(cvo_season *s)
{
    memset(s, 0, sizeof *s);
    for (int m = 0; m < MONTHS; m++)
        s->index[m] = 1.0;
    s->shrinkage = INFINITY;
    s->chi_square = s->p_value = NAN;
    s->first_day = s->end_day = INT32_MIN;
}

/* Calendar days of each month in [first, end], over all years. */
static void cover(cvo_season *s)
{
    for (int32_t day = s->first_day; day <= s->end_day;) {
        int32_t next = next_month_start(day);
        int32_t stop = next - 1 < s->end_day ? next - 1 : s->end_day;
        s->days_seen[month_of(day)] += (uint32_t)(stop - day + 1);
        day = next;
    }
}

/* Repeat occasions (distinct days after the first) up to the end, by month. */
static void count_actual(const cvo_customers *c, int32_t end_day, double *actual)
{
    for (size_t i = 0; i < c->count; i++) {
        size_t n;
        const cvo_order *o = cvo_customers_orders(c, i, &n);
        if (n == 0 || o[0].day > end_day)
            continue;
        for (size_t k = 1; k < n && o[k].day <= end_day; k++)
            if (o[k].day != o[k - 1].day)
                actual[month_of(o[k].day)] += 1;
    }
}

/* The model's expected repeat occasions of the customers born on first_day
 * (weight of them), month by month up to the end: the unconditional curve's
 * increments over each month's days on the clock. */
static void expect_cohort(const cvo_fit *fit, const season_clock *clock, int32_t first_day,
                          double weight, int32_t end_day, double *expected)
{
    double before = 0, born = season_clock_at(clock, first_day);
    for (int32_t day = first_day; day <= end_day;) {
        int32_t next = next_month_start(day);
        int32_t stop = next - 1 < end_day ? next - 1 : end_day;
        double after = cvo_fit_unconditional(fit, season_clock_at(clock, stop + 1) - born);
        if (isfinite(after))
            expected[month_of(day)] += weight * (after - before);
        before = isfinite(after) ? after : before;
        day = next;
    }
}

static int by_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Expected occasions by month over the summary's birth cohorts, divided by
 * the clock's rate in each month (what the model expects at rate 1), scaled
 * to the actual total into s->expected; *ok false when either total is 0. */
static cvo_status count_expected(cvo_ctx *ctx, const cvo_fit *fit, const cvo_summary *summary,
                                 const season_clock *clock, cvo_season *s, bool *ok)
{
    size_t n = summary->count;
    int32_t *days = mem_array(ctx, n ? n : 1, sizeof *days);
    if (days == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < n; i++)
        days[i] = summary->rows[i].first_day;
    if (n > 1)
        qsort(days, n, sizeof *days, by_day);
    double expected[MONTHS] = {0}, actual = 0, total = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && days[j] == days[i])
            j++;
        expect_cohort(fit, clock, days[i], (double)(j - i), summary->end_day, expected);
        i = j;
    }
    mem_free(ctx, days);
    for (int m = 0; m < MONTHS; m++) {
        expected[m] /= clock->season ? s->index[m] : 1.0;
        actual += s->actual[m];
        total += expected[m];
    }
    *ok = actual > 0 && total > 0;
    for (int m = 0; m < MONTHS; m++)
        s->expected[m] = *ok ? expected[m] * actual / total : 0;
    return CVO_OK;
}

/* The chi-square test of equal months and the shrinkage it gives; false
 * (with the note) when no index should be used. */
static bool test_months(cvo_season *s, cvo_season_mode mode)
{
    double total = 0, chi = 0;
    int df = -1;
    for (int m = 0; m < MONTHS; m++) {
        total += s->expected[m];
        if (s->expected[m] > 0) {
            chi +=
                (s->actual[m] - s->expected[m]) * (s->actual[m] - s->expected[m]) / s->expected[m];
            df++;
        }
    }
    s->chi_square = chi;
    s->p_value = df > 0 ? gsl_cdf_chisq_Q(chi, df) : NAN;
    double tau2 = df > 0 ? (chi - df) / total : 0;
    s->shrinkage = tau2 > 0 ? 1 / tau2 : INFINITY;
    if (tau2 > 0 && (mode != CVO_SEASON_AUTO || s->p_value < SEASON_AUTO_P))
        return true;
    snprintf(s->note, sizeof s->note,
             "the months' repeat purchases do not differ beyond chance (chi-square %.1f, %d df, "
             "p = %.2g): no seasonal index",
             chi, df, s->p_value);
    return false;
}

/* The shrunk index, normalised to a mean of 1 over the calibration days. */
static void shrink(cvo_season *s)
{
    double days = 0, weighted = 0;
    for (int m = 0; m < MONTHS; m++) {
        s->index[m] = (s->actual[m] + s->shrinkage) / (s->expected[m] + s->shrinkage);
        days += s->days_seen[m];
        weighted += s->days_seen[m] * s->index[m];
    }
    for (int m = 0; m < MONTHS; m++)
        s->index[m] *= days / weighted;
    s->active = true;
}

static int32_t first_birth(const cvo_summary *summary)
{
    int32_t first = INT32_MAX;
    for (size_t i = 0; i < summary->count; i++)
        if (summary->rows[i].first_day < first)
            first = summary->rows[i].first_day;
    return first;
}

/* The model fitted again on the index's clock into s->fit, started from the
 * current fit when it is an interior one (a single start: the time change is
 * small; an edge fit gets the model's own starts); *ok false when it cannot be. */
static cvo_status refit(cvo_ctx *ctx, const cvo_summary *summary, cvo_season *s, bool *ok)
{
    season_clock clock;
    CVO_TRY(season_clock_new(ctx, s, s->first_day, s->end_day, summary->period_days, &clock));
    cvo_summary *on_clock = NULL;
    cvo_status status = season_summary(ctx, summary, &clock, &on_clock);
    season_clock_free(ctx, &clock);
    cvo_fit fit;
    cvo_fit_options options; /* from the current fit: the clock moves the optimum little */
    cvo_fit_options_init(&options);
    options.start = s->fit.status == CVO_FIT_CONVERGED ? s->fit.params : NULL;
    if (status == CVO_OK)
        status = cvo_model_fit(ctx, s->fit.model, on_clock, &options, &fit);
    cvo_summary_free(on_clock);
    *ok = status == CVO_OK && fit.converged;
    if (*ok)
        s->fit = fit;
    return status == CVO_ERR_NOMEM ? status : CVO_OK;
}

/* One round: the index from the current fit on the current clock, then the
 * fit on the index's clock. */
static cvo_status round_once(cvo_ctx *ctx, const cvo_summary *summary, cvo_season_mode mode,
                             int round, cvo_season *s, bool *ok)
{
    season_clock clock;
    CVO_TRY(season_clock_new(ctx, s, s->first_day, s->end_day, summary->period_days, &clock));
    cvo_fit reduced;
    const cvo_fit *fit = cvo_fit_reduced(&s->fit, &reduced) ? &reduced : &s->fit;
    cvo_status status = count_expected(ctx, fit, summary, &clock, s, ok);
    season_clock_free(ctx, &clock);
    CVO_TRY(status);
    if (!*ok) {
        snprintf(s->note, sizeof s->note, "no repeat purchases: no seasonal index");
        return CVO_OK;
    }
    if (round == 0 && !(*ok = test_months(s, mode)))
        return CVO_OK;
    shrink(s);
    CVO_TRY(refit(ctx, summary, s, ok));
    if (!*ok)
        snprintf(s->note, sizeof s->note,
                 "the model could not be fitted again on seasonal time: no seasonal index");
    return CVO_OK;
}

cvo_status cvo_season_estimate(cvo_ctx *ctx, const cvo_fit *fit, const cvo_summary *summary,
                               const cvo_customers *customers, cvo_season_mode mode,
                               cvo_season *out)
{
    season_clear(out);
    cvo_model model = fit->status == CVO_FIT_NO_DROPOUT ? CVO_MODEL_NBD : fit->model;
    out->fit = *fit;
    if (model != CVO_MODEL_BGNBD && model != CVO_MODEL_MBGNBD && model != CVO_MODEL_PNBD &&
        model != CVO_MODEL_NBD) {
        snprintf(out->note, sizeof out->note, "%s has no seasonal index (bgnbd, mbgnbd, pnbd, nbd)",
                 cvo_model_name(fit->model));
        return CVO_OK;
    }
    if (customers == NULL || customers->order_start == NULL || summary->period_days <= 0 ||
        summary->end_day == INT32_MIN || summary->count == 0) {
        snprintf(out->note, sizeof out->note, "no orders by date: no seasonal index");
        return CVO_OK;
    }
    int32_t first = first_birth(summary);
    if (first == INT32_MIN || first > summary->end_day) {
        snprintf(out->note, sizeof out->note, "no orders by date: no seasonal index");
        return CVO_OK;
    }
    out->first_day = first;
    out->end_day = summary->end_day;
    cover(out);
    int32_t days = out->end_day - out->first_day + 1;
    if (mode == CVO_SEASON_OFF) {
        snprintf(out->note, sizeof out->note, "the seasonal index is off");
        return CVO_OK;
    }
    if (days < SEASON_MIN_DAYS) {
        snprintf(out->note, sizeof out->note,
                 "the calibration period is shorter than a year (%d days): no seasonal index",
                 (int)days);
        return CVO_OK;
    }
    count_actual(customers, out->end_day, out->actual);
    bool ok = true;
    for (int round = 0; ok && round < SEASON_ROUNDS; round++)
        CVO_TRY(round_once(ctx, summary, mode, round, out, &ok));
    if (!ok) {
        out->active = false;
        out->fit = *fit;
        for (int m = 0; m < MONTHS; m++)
            out->index[m] = 1.0;
    }
    return CVO_OK;
}

/* ---- in words ---------------------------------------------------------------- */

typedef struct words {
    char *out;
    size_t cap, len;
} words;

static void say(words *w, const char *format, ...) CVO_PRINTF(2, 3);
static void say(words *w, const char *format, ...)
{
    if (w->len >= w->cap)
        return;
    va_list args;
    va_start(args, format);
    int n = vsnprintf(w->out + w->len, w->cap - w->len, format, args);
    va_end(args);
    w->len = n < 0 ? w->len : w->len + (size_t)n < w->cap ? w->len + (size_t)n : w->cap - 1;
}

/* Bit m set: the days [from, to] touch calendar month m. */
static unsigned months_touched(int32_t from, int32_t to)
{
    unsigned bits = 0;
    for (int32_t day = from; day <= to && bits != 0xfffu; day = next_month_start(day))
        bits |= 1u << month_of(day);
    return bits;
}

/* "October and November" from the set bits, in calendar order after from's month. */
static void say_months(words *w, unsigned bits, int32_t from, bool with_index, const cvo_season *s)
{
    int first = month_of(from), total = 0, said = 0;
    for (int m = 0; m < MONTHS; m++)
        total += (bits >> m) & 1u;
    for (int k = 0; k < MONTHS; k++) {
        int m = (first + k) % MONTHS;
        if (!((bits >> m) & 1u))
            continue;
        said++;
        say(w, "%s%s", said == 1 ? "" : said == total ? " and " : ", ", month_names[m]);
        if (with_index)
            say(w, " %.2f", s->index[m]);
    }
}

const char *cvo_season_warning(const cvo_season *s, int32_t from, int32_t to, char *out, size_t cap)
{
    words w = {out, cap, 0};
    if (cap > 0)
        out[0] = '\0';
    if (s == NULL || s->first_day == INT32_MIN || to < from)
        return out;
    int32_t days = s->end_day - s->first_day + 1;
    unsigned unseen = 0, touched = months_touched(from, to);
    for (int m = 0; m < MONTHS; m++)
        if (((touched >> m) & 1u) && s->days_seen[m] < SEEN_MIN_DAYS)
            unseen |= 1u << m;
    if (days < SEASON_MIN_DAYS)
        say(&w,
            "The calibration period is shorter than a year (%d days), so no seasonal index "
            "could be estimated. ",
            (int)days);
    if (unseen) {
        say(&w, "The holdout covers a season the history does not show (");
        say_months(&w, unseen, from, false, s);
        say(&w, " %s not in the calibration period); expect a seasonal bias.",
            (unseen & (unseen - 1)) ? "are" : "is");
    } else if (s->active) {
        say(&w, "The holdout was predicted with the monthly seasonal index of the calibration "
                "period (");
        say_months(&w, touched, from, true, s);
        say(&w, ").");
    }
    while (w.len > 0 && out[w.len - 1] == ' ')
        out[--w.len] = '\0';
    return out;
}
