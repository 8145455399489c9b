/* progress_bar.h - the reading progress of a large input on stderr: one steady
 * line, redrawn a few times a second, cleared at the end; nothing at all when
 * stderr is not a terminal or with --quiet. */
#ifndef CVO_CLI_PROGRESS_BAR_H
#define CVO_CLI_PROGRESS_BAR_H

#include <stdbool.h>
#include <stdint.h>

typedef struct progress_bar {
    bool active;       /* stderr is a terminal and not quiet */
    char name[64];     /* the input's file name (without its folder) */
    double start;      /* monotonic seconds */
    double drawn_at;   /* of the last drawing; < 0: none yet */
    int width;         /* of the line: the terminal's, at most 100 */
} progress_bar;

/* Sets the bar up for input `name`; active unless quiet or stderr is no terminal. */
void bar_start(progress_bar *bar, const char *name, bool quiet);
/* The cvo_progress_fn of cvo_load_options; user_data is the progress_bar. */
void bar_update(void *user_data, uint64_t bytes_done, uint64_t bytes_total);
/* Clears the line when anything was drawn. */
void bar_end(progress_bar *bar);

#endif
