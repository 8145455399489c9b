/* fit.h - internals of the maximum-likelihood fitter, shared with its tests:
 * the summary -> weighted model_row compression and the fit of any model_ops.
 * Invariant: compressed rows carry every used customer exactly once (weights add up). */
#ifndef CVO_FIT_H
#define CVO_FIT_H

#include "base/ctx.h"
#include "models/model.h"
#include "core/summary.h"

#include <stdint.h>

/* Fits with more distinct rows than this first search on a stratified sample
 * of this many rows, then polish on all rows (same optimum, fewer passes). */
#define FIT_SAMPLE_ROWS 4096u
/* Starting points a caller may ask for. */
#define FIT_MAX_STARTS 64

/* The distinct rows a model is fitted on. Owned; free with fit_rows_free. */
typedef struct fit_rows {
    model_row *rows;
    size_t count;
    double weight;           /* customers used (weights added up) */
    double repeat_weight;    /* of which with x > 0 */
    double nonpositive;      /* needs_repeaters: repeaters left out, mean value <= 0 */
    double max_T;            /* largest T used (0 for spend models) */
} fit_rows;

/* Builds the rows a model uses from a summary, collapsing identical
 * (x, t_x, T) - or (x, m_x) when ops->needs_repeaters - into one row whose
 * weight is the sum. Rows of weight 0 are skipped. Errors: CVO_ERR_ARGUMENT
 * (a row with negative, non-finite or inconsistent values, named by index),
 * CVO_ERR_NOMEM. An empty result is not an error here. */
cvo_status fit_rows_build(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                          fit_rows *out) CVO_MUST_USE;
void fit_rows_free(cvo_ctx *ctx, fit_rows *rows);

/* cvo_model_fit for any model table (tests plug in their own). options->starts
 * 0 means one start. The model's start values are read in rescaled time
 * (largest T = 1) for models with a time_scale_mask. out->model is left 0;
 * the caller sets it. Errors as cvo_model_fit. */
cvo_status fit_model(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                     const cvo_fit_options *options, cvo_fit *out) CVO_MUST_USE;
/* fit_model with the sampling threshold given (tests compare against SIZE_MAX). */
cvo_status fit_model_sampled(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                             const cvo_fit_options *options, size_t sample_rows,
                             cvo_fit *out) CVO_MUST_USE;

#endif
