/* svg.c - inline-SVG charts for the report: paired bars, heat grid, histogram,
 * line chart, box rows and interval rows. Each writer emits one complete <svg> element whose
 * coordinates live in a fixed viewBox, so the page scales it to any width. */
#include "output/svg.h"

#include "cvo.h"

#include <math.h>
#include <string.h>

#define CHART_W 760.0
#define FONT "font-size=\"12\""
#define INK "#1f2937"
#define MUTED "#6b7280"
#define RULE "#e5e7eb"
#define COLOR_A "#a8b3c4"
#define COLOR_B "#0f766e"
#define COLOR_BAR "#2f6fb3"
#define LABEL_BYTES 24 /* row labels longer than this are cut */

void svg_escape(FILE *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*p, out);
        }
    }
}

/* ---- primitives ---------------------------------------------------------- */

static void svg_open(FILE *out, const char *title, double width, double height)
{
    fprintf(out,
            "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %.0f %.0f\" "
            "style=\"max-width:%.0fpx\" font-family=\"inherit\" " FONT " fill=\"" INK "\">"
            "<title>",
            width, height, width * 1.15);
    svg_escape(out, title);
    fputs("</title>\n", out);
}

static void svg_close(FILE *out)
{
    fputs("</svg>\n", out);
}

/* anchor: "start", "middle" or "end"; extra: more attributes, or "". */
static void svg_text(FILE *out, double x, double y, const char *anchor, const char *extra,
                     const char *text)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>", x, y, anchor, extra);
    svg_escape(out, text);
    fputs("</text>\n", out);
}

static void svg_rect(FILE *out, double x, double y, double w, double h, const char *fill)
{
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y,
            w < 0 ? 0 : w, h < 0 ? 0 : h, fill);
}

static void svg_line(FILE *out, double x1, double y1, double x2, double y2, const char *stroke,
                     const char *extra)
{
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" %s/>\n", x1,
            y1, x2, y2, stroke, extra);
}

/* A legend entry: a small swatch and its name; returns the x after it. */
static double svg_legend(FILE *out, double x, double y, const char *fill, bool line, bool dashed,
                         const char *name)
{
    if (line)
        svg_line(out, x, y - 4, x + 22, y - 4, fill,
                 dashed ? "stroke-width=\"2.5\" stroke-dasharray=\"6 4\"" : "stroke-width=\"2.5\"");
    else
        svg_rect(out, x, y - 10, 14, 12, fill);
    double text_x = x + (line ? 28 : 20);
    svg_text(out, text_x, y, "start", "", name);
    return text_x + 7.0 * (double)strlen(name) + 24;
}

/* A step of 1, 2 or 5 x 10^k giving about target ticks over 0..max. */
static double nice_step(double max, int target)
{
    if (!(max > 0))
        return 1;
    double raw = max / target;
    double base = pow(10, floor(log10(raw)));
    double unit = raw / base;
    double mult = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10;
    return mult * base;
}

/* Short axis numbers: 950, 1.5k, 12k, 3.2M. */
static void axis_number(char *buf, size_t size, double v)
{
    double mag = fabs(v);
    if (mag >= 1e6)
        snprintf(buf, size, "%.3gM", v / 1e6);
    else if (mag >= 1e4)
        snprintf(buf, size, "%.0fk", v / 1e3);
    else if (mag >= 1e3)
        snprintf(buf, size, "%.3gk", v / 1e3);
    else
        snprintf(buf, size, "%.4g", v);
}

/* A row label cut to about max_bytes at a UTF-8 boundary, with an ellipsis. */
static void svg_label(FILE *out, double x, double y, const char *text, size_t max_bytes)
{
    size_t len = strlen(text);
    if (len <= max_bytes) {
        svg_text(out, x, y, "end", "", text);
        return;
    }
    while (max_bytes > 0 && ((unsigned char)text[max_bytes] & 0xC0) == 0x80)
        max_bytes--;
    char cut[64];
    snprintf(cut, sizeof cut, "%.*s\xE2\x80\xA6", (int)max_bytes, text);
    svg_text(out, x, y, "end", "", cut);
}

/* ---- paired bars --------------------------------------------------------- */

#define PAIR_LABEL_W 170.0
#define PAIR_ROW_H 36.0

/* A bar from the zero line at x0, leftwards for a negative share; the value
 * is written right of whichever end is further right. */
static void pair_bar(FILE *out, double x0, double y, double h, double share, double scale,
                     const char *fill)
{
    char value[32];
    double w = fabs(share) * scale;
    double left = share < 0 ? x0 - w : x0;
    svg_rect(out, left, y, w, h, fill);
    snprintf(value, sizeof value, "%.1f%%", 100 * share);
    svg_text(out, (share > 0 ? x0 + w : x0) + 5, y + h - 2, "start", "font-size=\"11\"", value);
}

void svg_paired_bars(FILE *out, const char *title, const svg_pair *rows, size_t count,
                     const char *a_name, const char *b_name)
{
    double height = 34 + (double)count * PAIR_ROW_H + 6;
    double max = 0, min = 0;
    for (size_t i = 0; i < count; i++) {
        max = fmax(max, fmax(rows[i].a, rows[i].b));
        min = fmin(min, fmin(rows[i].a, rows[i].b));
    }
    double span = max - min;
    double scale = (CHART_W - PAIR_LABEL_W - 60) / (span > 0 ? span : 1);
    double x0 = PAIR_LABEL_W - min * scale; /* the zero line */
    svg_open(out, title, CHART_W, height);
    double x = svg_legend(out, PAIR_LABEL_W, 16, COLOR_A, false, false, a_name);
    svg_legend(out, x, 16, COLOR_B, false, false, b_name);
    for (size_t i = 0; i < count; i++) {
        double y = 34 + (double)i * PAIR_ROW_H;
        svg_label(out, PAIR_LABEL_W - 10, y + 19, rows[i].label, LABEL_BYTES);
        pair_bar(out, x0, y + 2, 13, rows[i].a, scale, COLOR_A);
        pair_bar(out, x0, y + 16, 13, rows[i].b, scale, COLOR_B);
    }
    svg_line(out, x0, 30, x0, height - 4, MUTED, "");
    svg_close(out);
}

/* ---- heat grid ----------------------------------------------------------- */

#define CELL 64.0
#define GRID_X 90.0
#define GRID_Y 20.0

/* A sequential blue ramp; t in 0..1. */
static void heat_color(char out[8], double t)
{
    static const unsigned char stops[3][3] = {{239, 246, 255}, {86, 150, 204}, {12, 44, 98}};
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    int lo = t < 0.5 ? 0 : 1;
    double u = (t - 0.5 * lo) * 2;
    unsigned rgb[3];
    for (int k = 0; k < 3; k++)
        rgb[k] = (unsigned)lround(stops[lo][k] + u * (stops[lo + 1][k] - stops[lo][k]));
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static double grid_t(const svg_grid *grid, double value)
{
    double span = grid->max - grid->min;
    return span > 0 ? (value - grid->min) / span : 0.5;
}

static void grid_cell(FILE *out, const svg_grid *grid, int x, int y)
{
    int size = grid->size;
    double cx = GRID_X + x * CELL, cy = GRID_Y + (size - 1 - y) * CELL;
    size_t k = (size_t)(y * size + x);
    char fill[8], text[32];
    if (grid->count[k] == 0) {
        svg_rect(out, cx + 1, cy + 1, CELL - 2, CELL - 2, "#f9fafb");
        svg_text(out, cx + CELL / 2, cy + CELL / 2 + 4, "middle", "fill=\"" MUTED "\"", "-");
        return;
    }
    double t = grid_t(grid, grid->value[k]);
    heat_color(fill, t);
    svg_rect(out, cx + 1, cy + 1, CELL - 2, CELL - 2, fill);
    const char *ink = t > 0.55 ? "fill=\"#ffffff\"" : "fill=\"" INK "\"";
    char attrs[64];
    snprintf(text, sizeof text, "%.1f", grid->value[k]);
    snprintf(attrs, sizeof attrs, "%s font-size=\"15\" font-weight=\"600\"", ink);
    svg_text(out, cx + CELL / 2, cy + CELL / 2 + 2, "middle", attrs, text);
    snprintf(text, sizeof text, "n=%llu", (unsigned long long)grid->count[k]);
    snprintf(attrs, sizeof attrs, "%s font-size=\"10\"", ink);
    svg_text(out, cx + CELL / 2, cy + CELL / 2 + 17, "middle", attrs, text);
}

static void grid_axes(FILE *out, const svg_grid *grid)
{
    int size = grid->size;
    char label[16];
    for (int i = 0; i < size; i++) {
        snprintf(label, sizeof label, "%d", i + 1);
        svg_text(out, GRID_X + (i + 0.5) * CELL, GRID_Y + size * CELL + 16, "middle", "", label);
        svg_text(out, GRID_X - 8, GRID_Y + (size - 1 - i + 0.5) * CELL + 4, "end", "", label);
    }
    svg_text(out, GRID_X + size * CELL / 2, GRID_Y + size * CELL + 36, "middle",
             "font-weight=\"600\"", grid->x_name);
    fprintf(out, "<g transform=\"translate(%.1f %.1f) rotate(-90)\">", GRID_X - 34,
            GRID_Y + size * CELL / 2);
    svg_text(out, 0, 0, "middle", "font-weight=\"600\"", grid->y_name);
    fputs("</g>\n", out);
}

/* A stepped colour scale beside the grid, low at the bottom. */
static void grid_legend(FILE *out, const svg_grid *grid)
{
    enum { STEPS = 10 };
    double x = GRID_X + grid->size * CELL + 40, top = GRID_Y + 18;
    double h = grid->size * CELL - 36, step = h / STEPS;
    char fill[8], label[32];
    svg_text(out, x, GRID_Y + 6, "start", "font-weight=\"600\"", grid->value_name);
    for (int i = 0; i < STEPS; i++) {
        heat_color(fill, (i + 0.5) / STEPS);
        svg_rect(out, x, top + h - (i + 1) * step, 18, step + 0.5, fill);
    }
    snprintf(label, sizeof label, "%.1f", grid->max);
    svg_text(out, x + 26, top + 4, "start", "", label);
    snprintf(label, sizeof label, "%.1f", (grid->min + grid->max) / 2);
    svg_text(out, x + 26, top + h / 2 + 4, "start", "", label);
    snprintf(label, sizeof label, "%.1f", grid->min);
    svg_text(out, x + 26, top + h + 4, "start", "", label);
}

void svg_heat_grid(FILE *out, const char *title, const svg_grid *grid)
{
    double width = GRID_X + grid->size * CELL + 150;
    svg_open(out, title, width, GRID_Y + grid->size * CELL + 48);
    for (int y = 0; y < grid->size; y++)
        for (int x = 0; x < grid->size; x++)
            grid_cell(out, grid, x, y);
    grid_axes(out, grid);
    grid_legend(out, grid);
    svg_close(out);
}

/* ---- plot frame shared by histogram and line chart ----------------------- */

typedef struct frame {
    double left, top, width, height; /* plot area */
    double y_max, y_step;
} frame;

static double frame_y(const frame *f, double v)
{
    return f->top + f->height - v / f->y_max * f->height;
}

static void frame_y_axis(FILE *out, frame *f, double max, const char *y_name)
{
    f->y_step = nice_step(max, 5);
    f->y_max = f->y_step * ceil((max > 0 ? max : 1) / f->y_step);
    char label[32];
    for (double v = 0; v <= f->y_max + f->y_step / 2; v += f->y_step) {
        double y = frame_y(f, v);
        svg_line(out, f->left, y, f->left + f->width, y, RULE, "");
        axis_number(label, sizeof label, v);
        svg_text(out, f->left - 6, y + 4, "end", "fill=\"" MUTED "\"", label);
    }
    fprintf(out, "<g transform=\"translate(14 %.1f) rotate(-90)\">", f->top + f->height / 2);
    svg_text(out, 0, 0, "middle", "fill=\"" MUTED "\"", y_name);
    fputs("</g>\n", out);
}

/* ---- histogram ----------------------------------------------------------- */

void svg_histogram(FILE *out, const char *title, const svg_bar *bars, size_t count,
                   const char *x_name, const char *y_name)
{
    frame f = {64, 24, CHART_W - 80, 220, 1, 1};
    double max = 0;
    for (size_t i = 0; i < count; i++)
        max = fmax(max, bars[i].value);
    svg_open(out, title, CHART_W, f.top + f.height + 62);
    frame_y_axis(out, &f, max, y_name);
    double slot = f.width / (double)(count ? count : 1);
    char label[32];
    for (size_t i = 0; i < count; i++) {
        double x = f.left + slot * (double)i, y = frame_y(&f, bars[i].value);
        svg_rect(out, x + slot * 0.08, y, slot * 0.84, f.top + f.height - y, COLOR_BAR);
        snprintf(label, sizeof label, "%.0f", bars[i].value);
        svg_text(out, x + slot / 2, y - 4, "middle", "font-size=\"11\"", label);
        svg_text(out, x + slot / 2, f.top + f.height + 16, "middle", "font-size=\"11\"",
                 bars[i].label);
    }
    svg_line(out, f.left, f.top + f.height, f.left + f.width, f.top + f.height, INK, "");
    svg_text(out, f.left + f.width / 2, f.top + f.height + 44, "middle", "fill=\"" MUTED "\"",
             x_name);
    svg_close(out);
}

/* ---- line chart ---------------------------------------------------------- */

static double lines_x(const frame *f, double period, double periods)
{
    return f->left + (periods > 1 ? period / (periods - 1) : 0) * f->width;
}

static void lines_x_label(const svg_lines *c, double period, char *buf, size_t size)
{
    if (c->period_days > 0) {
        char day[11];
        cvo_day_format(c->origin_day + (int32_t)lround(period * c->period_days), day);
        snprintf(buf, size, "%.7s", day);
    } else {
        snprintf(buf, size, "%.0f", period);
    }
}

static void lines_x_axis(FILE *out, const frame *f, const svg_lines *c, double periods)
{
    double step = nice_step(periods - 1, 7);
    char label[32];
    for (double p = 0; p <= periods - 1 + 1e-9; p += step) {
        double x = lines_x(f, p, periods);
        svg_line(out, x, f->top + f->height, x, f->top + f->height + 5, INK, "");
        lines_x_label(c, p, label, sizeof label);
        svg_text(out, x, f->top + f->height + 18, "middle", "fill=\"" MUTED "\"", label);
    }
    svg_line(out, f->left, f->top + f->height, f->left + f->width, f->top + f->height, INK, "");
    svg_text(out, f->left + f->width / 2, f->top + f->height + 38, "middle", "fill=\"" MUTED "\"",
             c->x_name);
}

static void lines_series(FILE *out, const frame *f, const svg_series *s, const char *color,
                         double periods)
{
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" %s points=\"", color,
            s->dashed ? "stroke-dasharray=\"6 4\"" : "stroke-linejoin=\"round\"");
    for (size_t i = 0; i < s->n; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", lines_x(f, (double)i, periods),
                frame_y(f, s->y[i]));
    fputs("\"/>\n", out);
}

static void lines_marker(FILE *out, const frame *f, const svg_lines *c, double periods)
{
    if (c->marker < 0 || c->marker > periods - 1)
        return;
    double x = lines_x(f, c->marker, periods);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f3f4f6\"/>\n",
            x, f->top, f->left + f->width - x, f->height);
    svg_line(out, x, f->top - 6, x, f->top + f->height, INK, "stroke-dasharray=\"3 3\"");
    svg_text(out, x - 6, f->top + 12, "end", "font-size=\"11\"", c->marker_label);
    svg_text(out, x + 6, f->top + 12, "start", "font-size=\"11\" fill=\"" MUTED "\"", "holdout");
}

void svg_line_chart(FILE *out, const char *title, const svg_lines *c)
{
    static const char *const colors[] = {"#111827", "#d9480f", COLOR_B, COLOR_BAR};
    frame f = {64, 40, CHART_W - 84, 230, 1, 1};
    double max = 0, periods = 0;
    for (size_t s = 0; s < c->series_count; s++) {
        periods = fmax(periods, (double)c->series[s].n);
        for (size_t i = 0; i < c->series[s].n; i++)
            max = fmax(max, c->series[s].y[i]);
    }
    svg_open(out, title, CHART_W, f.top + f.height + 50);
    lines_marker(out, &f, c, periods);
    frame_y_axis(out, &f, max, c->y_name);
    lines_x_axis(out, &f, c, periods);
    double x = f.left;
    for (size_t s = 0; s < c->series_count; s++) {
        const char *color = colors[s % 4];
        lines_series(out, &f, &c->series[s], color, periods);
        x = svg_legend(out, x, 18, color, true, c->series[s].dashed, c->series[s].name);
    }
    svg_close(out);
}

/* ---- box rows ------------------------------------------------------------ */

#define BOX_LABEL_W 170.0
#define BOX_ROW_H 30.0

static void box_row(FILE *out, const svg_box *b, double y, double left, double width)
{
    char label[32];
    svg_label(out, left - 10, y + 4, b->label, LABEL_BYTES);
    snprintf(label, sizeof label, "n=%llu", (unsigned long long)b->n);
    svg_text(out, left + width + 12, y + 4, "start", "font-size=\"11\" fill=\"" MUTED "\"", label);
    if (b->n == 0) {
        svg_text(out, left + 8, y + 4, "start", "fill=\"" MUTED "\"", "no customers");
        return;
    }
#define BX(v) (left + (v)*width)
    svg_line(out, BX(b->lo), y, BX(b->hi), y, MUTED, "stroke-width=\"1.5\"");
    svg_line(out, BX(b->lo), y - 5, BX(b->lo), y + 5, MUTED, "stroke-width=\"1.5\"");
    svg_line(out, BX(b->hi), y - 5, BX(b->hi), y + 5, MUTED, "stroke-width=\"1.5\"");
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"#cce7e4\" "
            "stroke=\"" COLOR_B "\"/>\n",
            BX(b->q1), y - 8, fmax(BX(b->q3) - BX(b->q1), 1.5));
    svg_line(out, BX(b->median), y - 8, BX(b->median), y + 8, COLOR_B, "stroke-width=\"3\"");
    fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#d9480f\"/>\n", BX(b->mean), y);
#undef BX
}

void svg_box_rows(FILE *out, const char *title, const svg_box *rows, size_t count,
                  const char *x_name)
{
    double left = BOX_LABEL_W, width = CHART_W - BOX_LABEL_W - 70;
    double top = 40, height = top + (double)count * BOX_ROW_H + 44;
    svg_open(out, title, CHART_W, height);
    double x = svg_legend(out, left, 16, "#cce7e4", false, false, "middle half (quartiles)");
    x = svg_legend(out, x, 16, COLOR_B, true, false, "median");
    fprintf(out, "<circle cx=\"%.1f\" cy=\"12\" r=\"4\" fill=\"#d9480f\"/>\n", x + 4);
    svg_text(out, x + 14, 16, "start", "", "mean");
    char label[16];
    double bottom = top + (double)count * BOX_ROW_H;
    for (int i = 0; i <= 4; i++) {
        double gx = left + i * width / 4;
        svg_line(out, gx, top - 8, gx, bottom, RULE, "");
        snprintf(label, sizeof label, "%.2g", i / 4.0);
        svg_text(out, gx, bottom + 16, "middle", "fill=\"" MUTED "\"", label);
    }
    for (size_t i = 0; i < count; i++)
        box_row(out, &rows[i], top + 6 + (double)i * BOX_ROW_H, left, width);
    svg_text(out, left + width / 2, bottom + 36, "middle", "fill=\"" MUTED "\"", x_name);
    svg_close(out);
}

/* ---- interval rows ------------------------------------------------------- */

#define INTERVAL_LABEL_W 170.0
#define INTERVAL_ROW_H 26.0

static double interval_x(double v, double min, double max, double left, double width)
{
    double t = (v - min) / (max - min);
    return left + (t < 0 ? 0 : t > 1 ? 1 : t) * width;
}

static void interval_row(FILE *out, const svg_interval *row, double y, double min, double max,
                         double left, double width)
{
    char value[48];
    svg_label(out, left - 10, y + 4, row->label, LABEL_BYTES);
    if (row->n == 0) {
        svg_text(out, left + width / 2, y + 4, "middle", "fill=\"" MUTED "\"", "\xE2\x80\x94");
        return;
    }
    double lo = interval_x(row->lo, min, max, left, width);
    double hi = interval_x(row->hi, min, max, left, width);
    double x = interval_x(row->value, min, max, left, width);
    svg_line(out, lo, y, hi, y, COLOR_B, "stroke-width=\"2\"");
    svg_line(out, lo, y - 5, lo, y + 5, COLOR_B, "stroke-width=\"2\"");
    svg_line(out, hi, y - 5, hi, y + 5, COLOR_B, "stroke-width=\"2\"");
    fprintf(out,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"" COLOR_B "\" "
            "stroke-width=\"2\"/>\n",
            x, y, row->small ? "#ffffff" : COLOR_B);
    snprintf(value, sizeof value, "%.0f (n %llu%s)", row->value, (unsigned long long)row->n,
             row->small ? ", small" : "");
    svg_text(out, left + width + 8, y + 4, "start", "font-size=\"11\"", value);
}

void svg_interval_rows(FILE *out, const char *title, const svg_interval *rows, size_t count,
                       double min, double max, const char *x_name)
{
    if (!(max > min))
        max = min + 1;
    double left = INTERVAL_LABEL_W, width = CHART_W - INTERVAL_LABEL_W - 120;
    double top = 36, bottom = top + (double)count * INTERVAL_ROW_H;
    svg_open(out, title, CHART_W, bottom + 44);
    double x = svg_legend(out, left, 16, COLOR_B, true, false, "95% interval");
    fprintf(out,
            "<circle cx=\"%.1f\" cy=\"12\" r=\"5\" fill=\"#ffffff\" stroke=\"" COLOR_B
            "\" stroke-width=\"2\"/>\n",
            x + 4);
    svg_text(out, x + 14, 16, "start", "", "fewer answers than the minimum group");
    char label[16];
    for (int i = 0; i <= 4; i++) {
        double v = min + i * (max - min) / 4, gx = left + i * width / 4;
        svg_line(out, gx, top - 8, gx, bottom, v == 0 ? MUTED : RULE, "");
        snprintf(label, sizeof label, "%.0f", v);
        svg_text(out, gx, bottom + 16, "middle", "fill=\"" MUTED "\"", label);
    }
    for (size_t i = 0; i < count; i++)
        interval_row(out, &rows[i], top + 6 + (double)i * INTERVAL_ROW_H, min, max, left, width);
    svg_text(out, left + width / 2, bottom + 36, "middle", "fill=\"" MUTED "\"", x_name);
    svg_close(out);
}
