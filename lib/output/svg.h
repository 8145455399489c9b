/* svg.h - the small inline-SVG chart writers of the HTML report. Every chart is
 * one self-contained <svg role="img"> with a <title>, sized by its viewBox, with
 * all text escaped; nothing refers to anything outside the element. */
#ifndef CVO_SVG_H
#define CVO_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes text with & < > " ' escaped for HTML and SVG (text and attributes). */
void svg_escape(FILE *out, const char *text);

/* Two shares per row, drawn as a pair of horizontal bars from a zero line
 * (negative shares, e.g. of a loss-making segment's profit, to its left). */
typedef struct svg_pair {
    const char *label;
    double a, b;
} svg_pair;

void svg_paired_bars(FILE *out, const char *title, const svg_pair *rows, size_t count,
                     const char *a_name, const char *b_name);

/* A square heat grid; cell (x, y) is value[y * size + x], y = 0 the bottom row,
 * x = 0 the left column; cells with count 0 are drawn empty. */
typedef struct svg_grid {
    int size;
    const double *value;
    const uint64_t *count;
    double min, max; /* ends of the colour scale */
    const char *x_name, *y_name, *value_name;
} svg_grid;

void svg_heat_grid(FILE *out, const char *title, const svg_grid *grid);

/* One labelled bar of a histogram. */
typedef struct svg_bar {
    char label[48];
    double value;
} svg_bar;

void svg_histogram(FILE *out, const char *title, const svg_bar *bars, size_t count,
                   const char *x_name, const char *y_name);

/* Line chart of series over periods 0..n-1, with an optional vertical marker.
 * When period_days > 0, x ticks are labelled with the month of
 * origin_day + period x period_days; otherwise with the period number. */
typedef struct svg_series {
    const char *name;
    const double *y;
    size_t n;
    bool dashed;
} svg_series;

typedef struct svg_lines {
    const svg_series *series;
    size_t series_count;
    double marker; /* period of the marker; < 0 for none */
    const char *marker_label;
    const char *x_name, *y_name;
    int32_t origin_day;
    double period_days;
} svg_lines;

void svg_line_chart(FILE *out, const char *title, const svg_lines *chart);

/* One box per row on a 0..1 axis: whiskers lo..hi, box q1..q3, median line,
 * mean dot; an empty row shows a dash. */
typedef struct svg_box {
    const char *label;
    double lo, q1, median, q3, hi, mean;
    uint64_t n;
} svg_box;

void svg_box_rows(FILE *out, const char *title, const svg_box *rows, size_t count,
                  const char *x_name);

/* One estimate with its interval, drawn as a dot on a whisker lo..hi; a
 * row with n 0 shows a dash, a small one is drawn hollow. */
typedef struct svg_interval {
    const char *label;
    double value, lo, hi;
    uint64_t n;
    bool small;
} svg_interval;

/* Interval rows on a fixed axis min..max (NPS: -100..100) with a zero line. */
void svg_interval_rows(FILE *out, const char *title, const svg_interval *rows, size_t count,
                       double min, double max, const char *x_name);

#endif
