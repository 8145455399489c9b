/* datetime.h - order dates as day numbers (days since 1970-01-01, proleptic
 * Gregorian). A timestamp's day is the local date as written: the UTC offset
 * is validated but never shifts the day. Ambiguous forms are never guessed. */
#ifndef CVO_DATETIME_H
#define CVO_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum date_result {
    DATE_OK = 0,
    DATE_EMPTY,     /* only blanks */
    DATE_INVALID,   /* not a date, or an impossible one (2021-02-30) */
    DATE_AMBIGUOUS  /* 03/04/2021, 3.4.21, ...: needs an explicit format */
} date_result;

int32_t date_from_civil(int year, int month, int day);
void date_to_civil(int32_t day_number, int *year, int *month, int *day);
bool date_valid_civil(int year, int month, int day);

/* Accepts, with surrounding blanks: YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD, and
 * either followed by [T or space]HH:MM[:SS[.fraction]] and an optional zone
 * (Z, +HH, +HHMM, +HH:MM, or " +0200" after a space). Anything with a day and
 * month whose order cannot be known (NN/NN/NNNN, NN.NN.NNNN, NN-NN-NNNN)
 * gives DATE_AMBIGUOUS. Years 1000..9999 only. */
date_result date_parse_auto(const char *text, size_t len, int32_t *day);

/* A compiled strptime-like format: %Y %y (2000-2099) %m %d %e (day, space or
 * no padding) %b (Jan..Dec, case-insensitive) %H %M %S %z (+HHMM, +HH:MM, Z)
 * %% and literal characters; a space in the format matches one or more blanks.
 * Numbers may have fewer digits than their width (%m matches "1" or "01"). */
typedef struct date_format {
    char spec[64];
    size_t len;
} date_format;

/* false with a reason in err when the format is unusable (unknown
 * conversion, no %Y/%y, %m/%b or %d/%e, too long). */
bool date_format_compile(const char *format, date_format *out, char *err, size_t err_len);
/* The whole text (after trimming blanks) must match. */
date_result date_parse_format(const date_format *format, const char *text, size_t len,
                              int32_t *day);

/* Writes YYYY-MM-DD and a NUL (11 bytes). */
void date_format_iso(int32_t day, char out[11]);

#endif
