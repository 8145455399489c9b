/* line.c - printf-free formatting of output rows. Callers reserve the most a
 * row can take (line_reserve) before appending. */
#include "line.h"

#include "cvo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int line_reserve(line *l, size_t more)
{
    if (l->len + more <= l->cap)
        return 1;
    size_t cap = l->cap ? l->cap : 256;
    while (cap < l->len + more)
        cap *= 2;
    char *buf = realloc(l->buf, cap);
    if (buf == NULL)
        return 0;
    l->buf = buf;
    l->cap = cap;
    return 1;
}

void line_text(line *l, const char *text, size_t len)
{
    memcpy(l->buf + l->len, text, len);
    l->len += len;
}

void line_char(line *l, char c)
{
    l->buf[l->len++] = c;
}

void line_cell(line *l, const char *text)
{
    size_t len = strlen(text);
    int formula = len > 0 && strchr("=+-@\t\r", text[0]) != NULL;
    int quote = formula || strpbrk(text, ",\"\r\n") != NULL;
    if (!quote) {
        line_text(l, text, len);
        return;
    }
    line_char(l, '"');
    if (formula)
        line_char(l, '\'');
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"')
            line_char(l, '"');
        line_char(l, text[i]);
    }
    line_char(l, '"');
}

static void line_unsigned(line *l, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        line_char(l, digits[--n]);
}

void line_int(line *l, int64_t value)
{
    if (value < 0)
        line_char(l, '-');
    line_unsigned(l, value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value);
}

void line_money(line *l, int64_t cents)
{
    uint64_t magnitude = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0)
        line_char(l, '-');
    line_unsigned(l, magnitude / 100);
    line_char(l, '.');
    line_char(l, (char)('0' + magnitude % 100 / 10));
    line_char(l, (char)('0' + magnitude % 10));
}

void line_day(line *l, int32_t day)
{
    char text[11];
    cvo_day_format(day, text);
    line_text(l, text, 10);
}

void line_fixed(line *l, double value, int decimals, int trim)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (!(value == value) || decimals < 0 || decimals > 9)
        return; /* NaN: an empty cell */
    double scaled = value * scale[decimals];
    if (scaled > 9e18 || scaled < -9e18) {
        char text[64];
        int n = snprintf(text, sizeof text, "%.*g", 15, value);
        line_text(l, text, (size_t)n);
        return;
    }
    int64_t units = (int64_t)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
    uint64_t magnitude = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
    uint64_t base = (uint64_t)scale[decimals];
    if (units < 0)
        line_char(l, '-');
    line_unsigned(l, magnitude / base);
    uint64_t fraction = magnitude % base;
    int digits = decimals;
    while (trim && digits > 0 && fraction % 10 == 0) {
        fraction /= 10;
        digits--;
    }
    if (digits == 0)
        return;
    line_char(l, '.');
    char text[10];
    for (int i = digits - 1; i >= 0; i--) {
        text[i] = (char)('0' + fraction % 10);
        fraction /= 10;
    }
    line_text(l, text, (size_t)digits);
}
