/* clock.h - the clocks: monotonic time and sleeping (pacing, retries, durations),
 * and the calendar time a run is stamped with. */
#ifndef CVO_CLI_CLOCK_H
#define CVO_CLI_CLOCK_H

/* Seconds on the monotonic clock. */
double clock_seconds(void);
/* Seconds since 1970 (UTC): SOURCE_DATE_EPOCH when set to a number, so that
 * runs stay reproducible, else the system clock. */
long long clock_unix(void);
/* Sleeps that long (restarting after signals); nothing for <= 0. */
void clock_sleep(double seconds);

#endif
