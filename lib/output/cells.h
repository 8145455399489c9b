/* cells.h - the cells of cvo's output tables: a growable byte buffer, typed
 * values, and how a value is written as a CSV cell (OWASP-neutralised text,
 * plain numbers) or as JSON (escaped strings, null for NaN). */
#ifndef CVO_OUTPUT_CELLS_H
#define CVO_OUTPUT_CELLS_H

#include "base/ctx.h"
#include "cvo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- buffer --------------------------------------------------------------- */

/* Bytes on their way to a stream. Appends never fail: running out of memory
 * sets nomem, drops the bytes, and is reported by cell_flush / cell_status. */
typedef struct cell_buf {
    cvo_ctx *ctx;
    char *data;
    size_t len, cap;
    bool nomem;
} cell_buf;

/* Flush a buffer holding more than this many bytes. */
#define CELL_FLUSH_BYTES (64u * 1024u)

void cell_buf_init(cell_buf *b, cvo_ctx *ctx);
void cell_buf_free(cell_buf *b);
void cell_raw(cell_buf *b, const char *bytes, size_t len);
void cell_str(cell_buf *b, const char *text);
void cell_char(cell_buf *b, char c);
/* CVO_OK, or CVO_ERR_NOMEM (with the message set) after a failed append. */
cvo_status cell_status(cell_buf *b);
/* Writes the buffer to out and empties it. CVO_ERR_NOMEM, CVO_ERR_WRITE. */
cvo_status cell_flush(cell_buf *b, FILE *out);
/* cell_flush once more than CELL_FLUSH_BYTES are buffered. */
cvo_status cell_flush_some(cell_buf *b, FILE *out);

/* Ends a writer: unless status already failed, writes what is left and
 * flushes out; frees the buffer either way. Returns the first failure. */
cvo_status cell_finish(cell_buf *b, FILE *out, cvo_status status);

/* ---- formatting ------------------------------------------------------------- */

/* Whether text would start a formula in a spreadsheet (= + - @ TAB CR LF). */
bool cell_is_formula(const char *text);
/* A CSV cell: quoted when it holds , " CR LF or starts with a blank; a
 * formula start is quoted with a leading ' (OWASP); " doubled inside quotes. */
void cell_csv_text(cell_buf *b, const char *text);
void cell_int(cell_buf *b, int64_t value);
/* Cents as units with two decimals: -1250 -> -12.50. */
void cell_money(cell_buf *b, int64_t cents);
/* A number with decimals (0..9) decimals; trim drops trailing zeros. Nothing
 * for NaN or infinity. */
void cell_fixed(cell_buf *b, double value, int decimals, bool trim);
/* YYYY-MM-DD; nothing for INT32_MIN. */
void cell_day(cell_buf *b, int32_t day);
/* The inside of a JSON string (no quotes), escaped as cell_json_string. */
void cell_json_chars(cell_buf *b, const char *text);
/* A JSON string with quotes: " \ and control characters escaped (\uXXXX). */
void cell_json_string(cell_buf *b, const char *text);
/* A JSON number with up to 10 significant digits; null when not finite. */
void cell_json_number(cell_buf *b, double value);

/* ---- typed values ----------------------------------------------------------- */

typedef enum cell_type {
    CELL_EMPTY = 0, /* no value: an empty CSV cell, left out of JSON objects */
    CELL_TEXT,      /* text */
    CELL_INT,       /* integer */
    CELL_MONEY,     /* integer cents */
    CELL_REAL,      /* real with decimals */
    CELL_DAY,       /* day number */
    CELL_BOOL       /* true / false */
} cell_type;

typedef struct cell {
    cell_type type;
    int decimals;      /* CELL_REAL */
    const char *text;  /* CELL_TEXT; may point at scratch */
    int64_t integer;   /* CELL_INT, CELL_MONEY (cents), CELL_BOOL (0 or 1) */
    double real;       /* CELL_REAL */
    int32_t day;       /* CELL_DAY */
    char scratch[256]; /* text made for this cell (an RFM code, a rule) */
} cell;

void cell_set_text(cell *c, const char *text);
/* Text made with snprintf into the cell's scratch; when cut, never inside a
 * UTF-8 character. */
void cell_set_format(cell *c, const char *format, ...) CVO_PRINTF(2, 3);
void cell_set_int(cell *c, int64_t value);
void cell_set_money(cell *c, int64_t cents);
/* NaN or infinity makes the cell empty. */
void cell_set_real(cell *c, double value, int decimals);
/* INT32_MIN makes the cell empty. */
void cell_set_day(cell *c, int32_t day);
void cell_set_bool(cell *c, bool value);

/* A value as a CSV cell (booleans as true / false). */
void cell_write_csv(cell_buf *b, const cell *c);
/* A value as a JSON value (dates as "YYYY-MM-DD" strings); null when empty. */
void cell_write_json(cell_buf *b, const cell *c);

/* ---- rows and columns of an analysis (defined in exports.c) ------------------ */

/* Everything known of one customer of an analysis. */
typedef struct cell_row {
    const cvo_analysis *analysis;
    size_t index;
    const cvo_customer *customer;
    const cvo_score *score;
    const cvo_customer_result *result;
    const char *segment;
    const char *tier;
} cell_row;

typedef void (*cell_get)(const cell_row *row, cell *out);

typedef struct cell_column {
    const char *name;
    cell_get get;
} cell_column;

void export_row(const cvo_analysis *a, size_t index, cell_row *row);
/* The columns of customers.csv. */
const cell_column *export_customer_columns(size_t *count);
/* The columns of the list of list_bit (NULL for an unknown bit). */
const cell_column *export_list_columns(unsigned list_bit, size_t *count);
/* The columns of lists/loyalty-tiers.csv. */
const cell_column *export_tier_columns(size_t *count);

/* runsum.c: the run summary object (no newline). */
void run_summary_body(cell_buf *b, const cvo_run_summary *run);
/* The Klaviyo and Gorgias writers' options: given's, or the defaults for NULL,
 * with id_key never NULL (an all-zero key stands in). */
cvo_export_options export_options(const cvo_export_options *given);
/* Whether the caller leaves customer index out of the Klaviyo and Gorgias outputs. */
bool export_left_out(const cvo_export_options *o, const cvo_analysis *a, size_t index);

#endif
