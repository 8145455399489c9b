/* line.h - builds one output line in a fixed buffer without printf, for
 * commands that write a row per customer (millions of rows). */
#ifndef CVO_CLI_LINE_H
#define CVO_CLI_LINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct line {
    char *buf;
    size_t len, cap;
} line;

/* Grows as needed; false when out of memory. */
int line_reserve(line *l, size_t more);
void line_text(line *l, const char *text, size_t len);
/* A CSV cell: quoted when needed; formula starts (= + - @ TAB CR) neutralised
 * with a leading ' inside quotes, as OWASP recommends. */
void line_cell(line *l, const char *text);
void line_int(line *l, int64_t value);
void line_money(line *l, int64_t cents);
void line_day(line *l, int32_t day);
void line_char(line *l, char c);
/* A number with a fixed count of decimals (trim: drop trailing zeros);
 * NaN writes nothing (an empty cell). */
void line_fixed(line *l, double value, int decimals, int trim);

#endif
