/* season.h - seasonal time, shared by the index's estimation, the predictions
 * and the backtest. With a seasonal index s, a purchase rate lambda s(day) is
 * a constant rate lambda on the clock that runs s(day) days per calendar day
 * (the time change of a non-homogeneous Poisson process), so the models are
 * fitted and predict on that clock. Invariant: without an index the clock is
 * the calendar. */
#ifndef CVO_SEASON_H
#define CVO_SEASON_H

#include "cvo.h"

#include <stddef.h>

/* Whether season is given and active. */
bool season_active(const cvo_season *season);

/* Seasonal days from the start of first_day, day by day up to last_day + 1. */
typedef struct season_clock {
    int32_t first_day, last_day;
    double period_days;
    const cvo_season *season;
    double *days; /* last_day - first_day + 2 values: days[i] at the start of first_day + i */
} season_clock;

/* A clock over [first_day, last_day] (NULL season: the calendar). Errors: CVO_ERR_NOMEM. */
cvo_status season_clock_new(cvo_ctx *ctx, const cvo_season *season, int32_t first_day,
                            int32_t last_day, double period_days, season_clock *out);
void season_clock_free(cvo_ctx *ctx, season_clock *clock);
/* Seasonal periods from the start of first_day to day (a real day number; days
 * outside the clock run at the rate of its nearest end). */
double season_clock_at(const season_clock *clock, double day);
/* The calendar day (real) at which the clock shows periods. */
double season_clock_day(const season_clock *clock, double periods);

/* A copy of summary on the clock: every row's t_x and T (and the holdout) in
 * seasonal periods; row ids are borrowed from summary, which must outlive it.
 * Errors: CVO_ERR_NOMEM. */
cvo_status season_summary(cvo_ctx *ctx, const cvo_summary *summary, const season_clock *clock,
                          cvo_summary **out);

#endif
