/* clock.c - monotonic time and sleeping (see clock.h). */
#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

double clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void clock_sleep(double seconds)
{
    if (!(seconds > 0))
        return;
    struct timespec left = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

long long clock_unix(void)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch != NULL && epoch[0] != '\0') {
        char *end;
        errno = 0;
        long long v = strtoll(epoch, &end, 10);
        if (errno == 0 && *end == '\0' && v >= 0)
            return v;
    }
    return (long long)time(NULL);
}
