/* season.h - the seasonal index's calendar arithmetic, shared by the
 * predictions and the backtest: a horizon after the calibration end cut into
 * pieces that each lie in one calendar month, each with that month's index. */
#ifndef CVO_SEASON_H
#define CVO_SEASON_H

#include "cvo.h"

#include <stddef.h>

/* Whether season is given and active. */
bool season_active(const cvo_season *season);

/* Cuts the horizon (0, horizon] (periods of period_days after start_day, the
 * last calibration day) at the calendar month starts and at extra (ascending
 * cut points, may be NULL), into at most cap pieces: ends[i] ascending, the
 * last one horizon, and weights[i] the index of the month holding the piece's
 * middle. An order on day d lies at (d - start_day) / period_days, so a month
 * starting on day F is cut at (F - start_day - 0.5) / period_days. Returns the
 * count, 0 when cap is too small. */
size_t season_pieces(const cvo_season *season, int32_t start_day, double period_days,
                     double horizon, const double *extra, size_t extra_count, double *ends,
                     double *weights, size_t cap);

/* Pieces a horizon can need besides its extra cut points. */
size_t season_pieces_cap(double period_days, double horizon);

#endif
