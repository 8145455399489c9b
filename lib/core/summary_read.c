/* summary_read.c - reads a ready summary file (lifetimes, BTYD or cvo column
 * names). Strict: a row that is not a valid summary stops the read with
 * file:line: reason, since a summary has no partial meaning. */
#include "io/header.h"
#include "io/reader.h"
#include "core/summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { COL_ID, COL_X, COL_TX, COL_T, COL_M, COL_XSTAR, COL_WEIGHT, COL__COUNT };

/* Folded names per column, best first. */
static const char *const column_names[COL__COUNT][8] = {
    [COL_ID] = {"customer_id", "cust", "id", "customer", NULL},
    [COL_X] = {"x", "frequency", "frequency_cal", NULL},
    [COL_TX] = {"t_x", "recency", "recency_cal", NULL},
    [COL_T] = {"t", "t_cal", "t_cal", "periods", "n_cal", "n", NULL},
    [COL_M] = {"m_x", "monetary_value", "zbar", "monetary_value_cal", NULL},
    [COL_XSTAR] = {"x_star", "frequency_holdout", NULL},
    [COL_WEIGHT] = {"weight", "weights", "custs", "count", NULL},
};

static void fold(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char ch = text[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch == '.' || ch == ' ' || ch == '-')
            ch = '_';
        if (ch != '"' && ch != '\r')
            out[n++] = ch;
    }
    out[n] = '\0';
}

static void map_columns(const csv_record *header, int *columns)
{
    for (int c = 0; c < COL__COUNT; c++) {
        columns[c] = -1;
        for (int a = 0; column_names[c][a] != NULL && columns[c] < 0; a++) {
            for (uint32_t i = 0; i < header->stored && columns[c] < 0; i++) {
                char name[64];
                fold(header->fields[i].ptr, header->fields[i].len, name, sizeof name);
                if (strcmp(name, column_names[c][a]) == 0)
                    columns[c] = (int)i;
            }
        }
    }
}

static bool number(const csv_record *rec, int column, double fallback, double *out)
{
    if (column < 0) {
        *out = fallback;
        return true;
    }
    if ((uint32_t)column >= rec->stored || rec->fields[column].len == 0 ||
        rec->fields[column].len >= 64)
        return false;
    char text[64];
    memcpy(text, rec->fields[column].ptr, rec->fields[column].len);
    text[rec->fields[column].len] = '\0';
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    return errno == 0 && end != text && *end == '\0' && isfinite(*out);
}

typedef struct read_state {
    cvo_ctx *ctx;
    const char *path;
    int columns[COL__COUNT];
    cvo_summary *summary;
    size_t capacity;
} read_state;

static cvo_status bad(read_state *st, uint64_t line, const char *why)
{
    return ctx_fail(st->ctx, CVO_ERR_FORMAT, "%s:%llu: %s", st->path, (unsigned long long)line, why);
}

/* x repeat purchases all on the first purchase's day is no customer history;
 * the Pareto/NBD likelihood of such a row grows without bound as alpha or
 * beta goes to 0, and a fit chases it for minutes. */
static cvo_status inconsistent(read_state *st, uint64_t line, const cvo_summary_row *r)
{
    return ctx_fail(st->ctx, CVO_ERR_FORMAT,
                    "%s:%llu: inconsistent summary row: x = %g repeat purchases with t_x = 0 "
                    "(repeat purchases need t_x > 0)",
                    st->path, (unsigned long long)line, r->x);
}

static cvo_status check_row(read_state *st, uint64_t line, const cvo_summary_row *r)
{
    if (r->x < 0 || r->t_x < 0 || r->T < 0 || r->weight <= 0 || r->x_star < 0 || r->m_x < 0)
        return bad(st, line, "negative value (or weight not above 0)");
    if (r->t_x > r->T + 1e-9)
        return bad(st, line, "recency t_x is larger than T");
    if (r->x == 0 && r->t_x != 0)
        return bad(st, line, "t_x must be 0 when x is 0");
    if (r->x > 0 && r->t_x == 0)
        return inconsistent(st, line, r);
    return CVO_OK;
}

static cvo_status grow(read_state *st)
{
    size_t capacity = st->capacity * 2;
    cvo_summary_row *rows = mem_realloc(st->ctx, st->summary->rows, capacity * sizeof *rows);
    if (rows == NULL)
        return ctx_nomem(st->ctx);
    st->summary->rows = rows;
    st->capacity = capacity;
    return CVO_OK;
}

static cvo_status add_row(read_state *st, const csv_record *rec)
{
    if (st->summary->count == st->capacity)
        CVO_TRY(grow(st));
    cvo_summary_row *r = &st->summary->rows[st->summary->count];
    const int *c = st->columns;
    if (!number(rec, c[COL_X], 0, &r->x) || !number(rec, c[COL_TX], 0, &r->t_x) ||
        !number(rec, c[COL_T], 0, &r->T) || !number(rec, c[COL_M], 0, &r->m_x) ||
        !number(rec, c[COL_XSTAR], 0, &r->x_star) || !number(rec, c[COL_WEIGHT], 1, &r->weight))
        return bad(st, rec->line, "a field is not a number");
    CVO_TRY(check_row(st, rec->line, r));
    r->first_day = INT32_MIN;
    r->t_x_full = r->x_star > 0 ? NAN : r->t_x; /* the holdout's timing is not in the file */
    const char *id = "";
    size_t len = 0;
    if (c[COL_ID] >= 0 && (uint32_t)c[COL_ID] < rec->stored) {
        id = rec->fields[c[COL_ID]].ptr;
        len = rec->fields[c[COL_ID]].len;
    }
    r->customer_id = arena_strndup(&st->summary->strings, id, len);
    if (r->customer_id == NULL)
        return ctx_nomem(st->ctx);
    st->summary->count++;
    return CVO_OK;
}

static cvo_status read_rows(read_state *st, reader *rd, csv_scanner *sc)
{
    csv_record rec;
    reader_result rr = reader_next(rd, sc, &rec);
    if (rr != READER_RECORD)
        return header_unreadable(st->ctx, st->path, rr);
    CVO_TRY(header_check(st->ctx, st->path, &rec, fold));
    map_columns(&rec, st->columns);
    if (st->columns[COL_X] < 0 || st->columns[COL_TX] < 0 || st->columns[COL_T] < 0)
        return bad(st, 1, "needs columns x (or frequency), t_x (t.x, recency) and T (T.cal, "
                          "periods)");
    while ((rr = reader_next(rd, sc, &rec)) == READER_RECORD)
        CVO_TRY(add_row(st, &rec));
    if (rr != READER_END)
        return bad(st, sc->line, "unreadable record");
    st->summary->has_holdout = st->columns[COL_XSTAR] >= 0;
    return st->summary->count ? CVO_OK : ctx_fail(st->ctx, CVO_ERR_EMPTY, "%s: no rows", st->path);
}

cvo_status cvo_summary_load(cvo_ctx *ctx, const char *path, cvo_summary **out)
{
    *out = NULL;
    read_state st = {ctx, path, {0}, summary_new(ctx, 1024), 1024};
    if (st.summary == NULL)
        return ctx_nomem(ctx);
    source *src = NULL;
    reader rd;
    memset(&rd, 0, sizeof rd);
    cvo_status status = source_open(ctx, path, path, &src);
    if (status == CVO_OK)
        status = reader_init(&rd, ctx, src, false, 0, 0);
    if (status == CVO_OK) {
        reader_skip_bom(&rd);
        csv_scanner *sc = mem_alloc(ctx, sizeof *sc);
        status = sc ? CVO_OK : ctx_nomem(ctx);
        if (sc != NULL) {
            csv_init(sc, ',', 1);
            status = read_rows(&st, &rd, sc);
            mem_free(ctx, sc);
        }
    }
    reader_free(&rd);
    source_close(src);
    if (status != CVO_OK)
        cvo_summary_free(st.summary);
    else
        *out = st.summary;
    return status;
}
