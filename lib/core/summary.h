/* summary.h - the table of per-customer sufficient statistics the models fit
 * on: built from orders, or read from a lifetimes / BTYD / cvo summary file. */
#ifndef CVO_SUMMARY_H
#define CVO_SUMMARY_H

#include "base/arena.h"
#include "cvo.h"

struct cvo_summary {
    cvo_ctx *ctx;
    cvo_summary_row *rows;
    size_t count;
    uint64_t born_after;   /* customers left out: first purchase after calibration end */
    double holdout;        /* holdout length in periods, 0 without one */
    bool has_holdout;
    double period_days;    /* 0 when read from a file */
    int32_t end_day;       /* calibration end or as-of day; INT32_MIN from a file */
    arena strings;
};

/* A summary holding copies of rows (tests, callers with ready data). */
cvo_status summary_from_rows(cvo_ctx *ctx, const cvo_summary_row *rows, size_t count,
                             cvo_summary **out);
/* An empty summary with room for capacity rows; NULL when out of memory. */
cvo_summary *summary_new(cvo_ctx *ctx, size_t capacity);

#endif
