/* progress_bar.c - draws "cvo: NAME [#####-----]  45%  12.3/27.4 MB   85.2 MB/s
 * ETA    0:04" over itself with a carriage return, padded to one fixed width so
 * the line stays steady; at most five drawings a second. */
#include "progress_bar.h"

#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { BAR_MAX_WIDTH = 100, BAR_CELLS_MAX = 40 };
static const double BAR_INTERVAL_SECONDS = 0.2;

static int terminal_width(void)
{
    struct winsize ws;
    int cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    cols -= 1; /* the last column would wrap on some terminals */
    return cols > BAR_MAX_WIDTH ? BAR_MAX_WIDTH : cols < 20 ? 20 : cols;
}

void bar_start(progress_bar *bar, const char *name, bool quiet)
{
    memset(bar, 0, sizeof *bar);
    bar->active = !quiet && isatty(STDERR_FILENO);
    const char *slash = strrchr(name, '/');
    snprintf(bar->name, sizeof bar->name, "%s", slash && slash[1] ? slash + 1 : name);
    bar->start = clock_seconds();
    bar->drawn_at = -1;
    bar->width = terminal_width();
}

/* "0:04", "1:02:03", or "--:--" before there is a rate. */
static void format_eta(char *out, size_t cap, double seconds)
{
    if (!(seconds >= 0 && seconds < 360000)) {
        snprintf(out, cap, "--:--");
        return;
    }
    unsigned s = (unsigned)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, cap, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, cap, "%u:%02u", s / 60, s % 60);
}

/* The figures after the bar, each in a fixed width so the line keeps still:
 * " 45%  12.3/27.4 MB   85.2 MB/s  ETA    0:04", or "  12.3 MB   85.2 MB/s"
 * when the size is unknown. */
static int format_figures(char *out, size_t cap, uint64_t done, uint64_t total, double elapsed)
{
    double rate = elapsed > 0.05 ? (double)done / elapsed / 1e6 : -1;
    char rate_text[24] = "    -- MB/s";
    if (rate >= 0)
        snprintf(rate_text, sizeof rate_text, "%6.1f MB/s", rate);
    if (total == 0)
        return snprintf(out, cap, "  %.1f MB  %s", (double)done / 1e6, rate_text);
    char eta[16], total_text[24];
    format_eta(eta, sizeof eta, rate > 0 ? (double)(total - done) / (rate * 1e6) : -1);
    int total_len = snprintf(total_text, sizeof total_text, "%.1f", (double)total / 1e6);
    return snprintf(out, cap, " %3d%%  %*.1f/%s MB  %s  ETA %7s",
                    (int)(100.0 * (double)done / (double)total), total_len, (double)done / 1e6,
                    total_text, rate_text, eta);
}

void bar_update(void *user_data, uint64_t done, uint64_t total)
{
    progress_bar *bar = user_data;
    double now = clock_seconds();
    if (!bar->active || (bar->drawn_at >= 0 && now - bar->drawn_at < BAR_INTERVAL_SECONDS))
        return;
    bar->drawn_at = now;
    if (total > 0 && done > total)
        done = total;
    char figures[128], cells[BAR_CELLS_MAX + 1] = "";
    int figures_len = format_figures(figures, sizeof figures, done, total, now - bar->start);
    /* the name gets what the figures and at least 10 cells leave */
    int name_room = bar->width - figures_len - (int)strlen("cvo: ") - (total ? 13 : 0);
    int name_len = (int)strlen(bar->name);
    const char *name = bar->name + (name_len > name_room && name_room > 0 ? name_len - name_room : 0);
    int cells_count = bar->width - figures_len - 5 - (int)strlen(name) - 3;
    cells_count = total == 0 ? 0 : cells_count > BAR_CELLS_MAX ? BAR_CELLS_MAX : cells_count;
    for (int i = 0; i < cells_count; i++)
        cells[i] = (uint64_t)i * total < (uint64_t)cells_count * done ? '#' : '-';
    cells[cells_count > 0 ? cells_count : 0] = '\0';
    char line[BAR_MAX_WIDTH * 2];
    snprintf(line, sizeof line, "cvo: %s%s%s%s%s", name, cells_count > 0 ? " [" : "", cells,
             cells_count > 0 ? "]" : "", figures);
    fprintf(stderr, "\r%-*.*s", bar->width, bar->width, line);
    fflush(stderr);
}

void bar_end(progress_bar *bar)
{
    if (!bar->active || bar->drawn_at < 0)
        return;
    fprintf(stderr, "\r%*s\r", bar->width, "");
    fflush(stderr);
}
