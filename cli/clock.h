/* clock.h - monotonic time and sleeping for the pushes' pacing and retries. */
#ifndef CVO_CLI_CLOCK_H
#define CVO_CLI_CLOCK_H

/* Seconds on the monotonic clock. */
double clock_seconds(void);
/* Sleeps that long (restarting after signals); nothing for <= 0. */
void clock_sleep(double seconds);

#endif
