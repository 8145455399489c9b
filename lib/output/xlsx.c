/* xlsx.c - cvo.xlsx through libxlsxwriter: a Customers sheet (the customers.csv
 * columns, typed) and a sheet per list, each with a frozen header and an
 * autofilter. Built only with CVO_HAVE_XLSX (link -lxlsxwriter). */
#include "output/cells.h"

#include "base/ctx.h"

#ifndef CVO_HAVE_XLSX

cvo_status cvo_write_xlsx(cvo_ctx *ctx, const cvo_analysis *a, const char *path)
{
    (void)a;
    (void)path;
    return ctx ? ctx_fail(ctx, CVO_ERR_ARGUMENT, "built without xlsx support") : CVO_ERR_ARGUMENT;
}

#else

#include <errno.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

/* Excel's limits: rows per sheet (header included) and bytes per string. */
#define XLSX_MAX_ROWS 1048576u
#define XLSX_MAX_STRING 32767u
/* Excel's serial number of 1970-01-01 (day 0). */
#define XLSX_EPOCH_SERIAL 25569.0

typedef struct xlsx_writer {
    cvo_ctx *ctx;
    const cvo_analysis *analysis;
    lxw_workbook *book;
    lxw_format *bold, *date, *money, *real2, *real4;
    char *clipped; /* XLSX_MAX_STRING + 1 bytes for a string Excel cannot hold */
} xlsx_writer;

/* One sheet of a table: customers whose lists include mask (all for 0). */
typedef struct xlsx_table {
    const char *name;
    const cell_column *columns;
    size_t count;
    unsigned mask;
} xlsx_table;

static cvo_status xlsx_fail(xlsx_writer *w, lxw_error error, const char *what)
{
    return ctx_fail(w->ctx, CVO_ERR_WRITE, "xlsx: %s: %s", what, lxw_strerror(error));
}

/* text, or its longest prefix of whole UTF-8 characters that Excel takes. */
static const char *xlsx_text(xlsx_writer *w, const char *text)
{
    size_t len = strlen(text);
    if (len <= XLSX_MAX_STRING)
        return text;
    len = XLSX_MAX_STRING;
    while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
        len--;
    memcpy(w->clipped, text, len);
    w->clipped[len] = '\0';
    return w->clipped;
}

static lxw_error xlsx_cell(xlsx_writer *w, lxw_worksheet *sheet, lxw_row_t r, lxw_col_t col,
                           const cell *value)
{
    switch (value->type) {
    case CELL_EMPTY: return LXW_NO_ERROR;
    case CELL_TEXT: return worksheet_write_string(sheet, r, col, xlsx_text(w, value->text), NULL);
    case CELL_INT: return worksheet_write_number(sheet, r, col, (double)value->integer, NULL);
    case CELL_MONEY:
        return worksheet_write_number(sheet, r, col, (double)value->integer / 100.0, w->money);
    case CELL_REAL:
        return worksheet_write_number(sheet, r, col, value->real,
                                      value->decimals <= 2 ? w->real2 : w->real4);
    case CELL_DAY:
        return worksheet_write_number(sheet, r, col, value->day + XLSX_EPOCH_SERIAL, w->date);
    case CELL_BOOL: return worksheet_write_boolean(sheet, r, col, (int)value->integer, NULL);
    }
    return LXW_NO_ERROR;
}

static lxw_error xlsx_header(xlsx_writer *w, lxw_worksheet *sheet, const xlsx_table *t)
{
    for (size_t k = 0; k < t->count; k++) {
        lxw_error error =
            worksheet_write_string(sheet, 0, (lxw_col_t)k, t->columns[k].name, w->bold);
        if (error != LXW_NO_ERROR)
            return error;
    }
    worksheet_freeze_panes(sheet, 1, 0);
    return worksheet_set_column(sheet, 0, (lxw_col_t)(t->count - 1), 14, NULL);
}

static lxw_error xlsx_row(xlsx_writer *w, lxw_worksheet *sheet, lxw_row_t r, const xlsx_table *t,
                          size_t index)
{
    cell_row row;
    cell value;
    export_row(w->analysis, index, &row);
    for (size_t k = 0; k < t->count; k++) {
        t->columns[k].get(&row, &value);
        lxw_error error = xlsx_cell(w, sheet, r, (lxw_col_t)k, &value);
        if (error != LXW_NO_ERROR)
            return error;
    }
    return LXW_NO_ERROR;
}

static bool xlsx_member(const xlsx_table *t, const cvo_customer_result *result)
{
    return t->mask == 0 || (result->lists & t->mask) != 0;
}

/* Rows of the customers from *next on that fit one sheet; *next moves past them. */
static size_t xlsx_rows_for_sheet(const xlsx_writer *w, const xlsx_table *t, size_t next)
{
    const cvo_customer_result *results = cvo_analysis_results(w->analysis);
    size_t n = cvo_customers_count(cvo_analysis_customers(w->analysis)), rows = 0;
    for (size_t i = next; i < n && rows < XLSX_MAX_ROWS - 1; i++)
        rows += xlsx_member(t, &results[i]);
    return rows;
}

/* One sheet named name holding up to XLSX_MAX_ROWS - 1 members from *next. */
static cvo_status xlsx_sheet(xlsx_writer *w, const xlsx_table *t, const char *name, size_t *next)
{
    lxw_worksheet *sheet = workbook_add_worksheet(w->book, name);
    if (sheet == NULL)
        return ctx_fail(w->ctx, CVO_ERR_WRITE, "xlsx: cannot add sheet %s", name);
    size_t rows = xlsx_rows_for_sheet(w, t, *next);
    lxw_error error = xlsx_header(w, sheet, t);
    if (error == LXW_NO_ERROR)
        error = worksheet_autofilter(sheet, 0, 0, (lxw_row_t)rows, (lxw_col_t)(t->count - 1));
    const cvo_customer_result *results = cvo_analysis_results(w->analysis);
    size_t n = cvo_customers_count(cvo_analysis_customers(w->analysis)), written = 0;
    size_t i = *next;
    for (; error == LXW_NO_ERROR && i < n && written < rows; i++)
        if (xlsx_member(t, &results[i]))
            error = xlsx_row(w, sheet, (lxw_row_t)++written, t, i);
    *next = i;
    return error == LXW_NO_ERROR ? CVO_OK : xlsx_fail(w, error, name);
}

/* A table on as many sheets as Excel's row limit needs ("Customers", "Customers 2"). */
static cvo_status xlsx_table_sheets(xlsx_writer *w, const xlsx_table *t)
{
    size_t n = cvo_customers_count(cvo_analysis_customers(w->analysis)), next = 0;
    for (int part = 1; part == 1 || next < n; part++) {
        char name[32];
        snprintf(name, sizeof name, part == 1 ? "%s" : "%s %d", t->name, part);
        CVO_TRY(xlsx_sheet(w, t, name, &next));
        if (xlsx_rows_for_sheet(w, t, next) == 0)
            break;
    }
    return CVO_OK;
}

static cvo_status xlsx_formats(xlsx_writer *w)
{
    w->bold = workbook_add_format(w->book);
    w->date = workbook_add_format(w->book);
    w->money = workbook_add_format(w->book);
    w->real2 = workbook_add_format(w->book);
    w->real4 = workbook_add_format(w->book);
    if (!w->bold || !w->date || !w->money || !w->real2 || !w->real4)
        return ctx_nomem(w->ctx);
    format_set_bold(w->bold);
    format_set_num_format(w->date, "yyyy-mm-dd");
    format_set_num_format(w->money, "0.00");
    format_set_num_format(w->real2, "0.00");
    format_set_num_format(w->real4, "0.0000");
    return CVO_OK;
}

static cvo_status xlsx_sheets(xlsx_writer *w)
{
    static const unsigned lists[] = {CVO_LIST_EXCLUDE, CVO_LIST_NO_DISCOUNT, CVO_LIST_WINBACK,
                                     CVO_LIST_VIP,     CVO_LIST_REFERRAL,    CVO_LIST_INTERVIEW};
    xlsx_table t = {"Customers", NULL, 0, 0};
    t.columns = export_customer_columns(&t.count);
    CVO_TRY(xlsx_formats(w));
    CVO_TRY(xlsx_table_sheets(w, &t));
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        t = (xlsx_table){cvo_list_name(lists[k]), NULL, 0, lists[k]};
        t.columns = export_list_columns(lists[k], &t.count);
        CVO_TRY(xlsx_table_sheets(w, &t));
    }
    t = (xlsx_table){"loyalty-tiers", NULL, 0, 0};
    t.columns = export_tier_columns(&t.count);
    return xlsx_table_sheets(w, &t);
}

/* libxlsxwriter reports a file it cannot create on stderr; find out first. */
static cvo_status xlsx_check_path(cvo_ctx *ctx, const char *path)
{
    FILE *probe = fopen(path, "wb");
    if (probe == NULL)
        return ctx_fail(ctx, CVO_ERR_WRITE, "%s: cannot write: %s", path, strerror(errno));
    fclose(probe);
    return CVO_OK;
}

cvo_status cvo_write_xlsx(cvo_ctx *ctx, const cvo_analysis *a, const char *path)
{
    if (ctx == NULL)
        return CVO_ERR_ARGUMENT;
    if (a == NULL || path == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "no analysis or path");
    CVO_TRY(xlsx_check_path(ctx, path));
    lxw_workbook_options options = {
        .constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_TRUE};
    xlsx_writer w = {ctx, a, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    w.clipped = mem_alloc(ctx, XLSX_MAX_STRING + 1);
    w.book = w.clipped ? workbook_new_opt(path, &options) : NULL;
    if (w.book == NULL) {
        mem_free(ctx, w.clipped);
        return ctx_nomem(ctx);
    }
    /* the file's creation time is the analysis date, so the same data always
     * gives the same bytes */
    lxw_doc_properties properties = {0};
    properties.title = "cvo customer table and lists";
    properties.created = (time_t)cvo_analysis_as_of(a) * 86400;
    workbook_set_properties(w.book, &properties);
    cvo_status status = xlsx_sheets(&w);
    lxw_error closed = workbook_close(w.book);
    mem_free(ctx, w.clipped);
    if (status == CVO_OK && closed != LXW_NO_ERROR)
        status = xlsx_fail(&w, closed, path);
    return status;
}

#endif
