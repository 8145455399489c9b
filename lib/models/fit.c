/* fit.c - maximum-likelihood fits of the BTYD models and the public model glue:
 * names, predictions, options, the fit of a summary (rows rescaled in time, the
 * search and polish of fit_optim.c and fit_newton.c, the NBD at the no-dropout
 * edge) and its judgement in plain words.
 * Invariant: the optimiser sees theta = ln p over compressed, time-rescaled rows;
 * everything reported is natural, unscaled and summed over customers. */
#include "models/fit_impl.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A parameter beyond these (in rescaled time) ran to the edge of its range. */
#define FIT_PARAM_MIN 1e-8
#define FIT_PARAM_MAX 1e8
/* Fewer repeat buyers than this (or than this share of all) cannot identify a model. */
#define FIT_MIN_REPEATERS 5.0
#define FIT_MIN_REPEAT_SHARE 0.01
/* A fit that found no interior maximum with a dropout below this has crawled
 * towards the edge without reaching FIT_NO_DROPOUT (fit_optim.c): the flat edge
 * is the answer. */
#define FIT_NEAR_EDGE 1e-3

/* ---- names and dispatch ------------------------------------------------------ */

static const char *const model_names[] = {"bgnbd", "mbgnbd", "pnbd", "bgbb", "gg", "nbd"};
enum { MODEL_COUNT = sizeof model_names / sizeof model_names[0] };

bool cvo_model_from_name(const char *name, cvo_model *out)
{
    for (int m = 0; name != NULL && m < MODEL_COUNT; m++) {
        if (strcmp(name, model_names[m]) == 0) {
            if (out != NULL)
                *out = (cvo_model)m;
            return true;
        }
    }
    return false;
}

const char *cvo_model_name(cvo_model model)
{
    return (unsigned)model < MODEL_COUNT ? model_names[model] : "unknown";
}

static const model_ops *ops_of(cvo_model model)
{
    switch (model) {
    case CVO_MODEL_BGNBD: return bgnbd_model();
    case CVO_MODEL_MBGNBD: return mbgnbd_model();
    case CVO_MODEL_PNBD: return pnbd_model();
    case CVO_MODEL_BGBB: return bgbb_model();
    case CVO_MODEL_GG: return gg_model();
    case CVO_MODEL_NBD: return nbd_model();
    }
    return NULL;
}

/* Models known for flat regions of the likelihood get several starts. */
static int default_starts(cvo_model model)
{
    switch (model) {
    case CVO_MODEL_PNBD:
    case CVO_MODEL_MBGNBD: return 4;
    case CVO_MODEL_BGNBD: return 2;
    default: return 1;
    }
}

/* GSL's default error handler aborts the process; the library must never abort,
 * and every GSL call here is checked through its return status. The setting is
 * process-wide, which is acceptable: libcvo is the GSL user of the programs it
 * lives in, every caller wants the same value, and storing it again is harmless. */
static void gsl_quiet(void)
{
    gsl_set_error_handler_off();
}

void cvo_fit_options_init(cvo_fit_options *options)
{
    options->penalty = 0;
    options->max_iterations = 500;
    options->starts = 0;
    options->start = NULL;
}

static const char *const status_names[] = {"converged", "no dropout", "not converged"};

const char *cvo_fit_status_name(cvo_fit_status status)
{
    return (unsigned)status < sizeof status_names / sizeof status_names[0] ? status_names[status]
                                                                           : "unknown";
}

/* ---- predictions ---------------------------------------------------------------- */

/* The model predictions run with: the NBD at the no-dropout edge. */
static const model_ops *fit_ops(const cvo_fit *fit, const double **params)
{
    if (fit == NULL)
        return NULL;
    if (fit->status == CVO_FIT_NO_DROPOUT) {
        *params = fit->nbd_params;
        return nbd_model();
    }
    *params = fit->params;
    return ops_of(fit->model);
}

bool cvo_fit_reduced(const cvo_fit *fit, cvo_fit *out)
{
    if (fit == NULL || fit->status != CVO_FIT_NO_DROPOUT)
        return false;
    memset(out, 0, sizeof *out);
    out->model = CVO_MODEL_NBD;
    out->nparams = 2;
    for (int k = 0; k < MODEL_MAX_PARAMS; k++) {
        out->param_names[k] = k < 2 ? nbd_model()->param_names[k] : NULL;
        out->params[k] = k < 2 ? fit->nbd_params[k] : NAN;
        out->std_error[k] = k < 2 ? fit->nbd_std_error[k] : NAN;
    }
    out->nbd_params[0] = out->nbd_params[1] = NAN;
    out->nbd_std_error[0] = out->nbd_std_error[1] = NAN;
    out->loglik = fit->nbd_loglik;
    out->nbd_loglik = NAN;
    out->n = fit->n;
    out->iterations = fit->iterations;
    out->converged = true;
    out->status = CVO_FIT_CONVERGED;
    return true;
}

double cvo_fit_p_alive(const cvo_fit *fit, double x, double t_x, double T)
{
    const double *p = NULL;
    const model_ops *ops = fit_ops(fit, &p);
    return ops && ops->p_alive ? ops->p_alive(p, x, t_x, T) : NAN;
}

double cvo_fit_loglik(const cvo_fit *fit, double x, double t_x, double T)
{
    const double *p = NULL;
    const model_ops *ops = fit_ops(fit, &p);
    if (ops == NULL || ops->needs_repeaters || !fit->converged)
        return NAN;
    model_row row = {.x = x, .t_x = t_x, .T = T, .weight = 1};
    return ops->loglik(p, &row, NULL);
}

double cvo_fit_expected(const cvo_fit *fit, double x, double t_x, double T, double t)
{
    const double *p = NULL;
    const model_ops *ops = fit_ops(fit, &p);
    return ops && ops->expected ? ops->expected(p, x, t_x, T, t) : NAN;
}

double cvo_fit_unconditional(const cvo_fit *fit, double t)
{
    const double *p = NULL;
    const model_ops *ops = fit_ops(fit, &p);
    return ops && ops->unconditional ? ops->unconditional(p, t) : NAN;
}

double cvo_fit_pmf(const cvo_fit *fit, double t, int n)
{
    const double *p = NULL;
    const model_ops *ops = fit_ops(fit, &p);
    return ops && ops->pmf ? ops->pmf(p, t, n) : NAN;
}

double cvo_fit_spend(const cvo_fit *fit, double x, double m_x)
{
    return fit && fit->model == CVO_MODEL_GG ? gg_expected_spend(fit->params, x, m_x) : NAN;
}

double cvo_fit_dert(const cvo_fit *fit, double x, double t_x, double T, double delta)
{
    if (fit != NULL && fit->status == CVO_FIT_NO_DROPOUT)
        return nbd_dert(fit->nbd_params, x, T, delta);
    if (fit != NULL && fit->model == CVO_MODEL_NBD)
        return nbd_dert(fit->params, x, T, delta);
    return fit && fit->model == CVO_MODEL_PNBD ? pnbd_dert(fit->params, x, t_x, T, delta) : NAN;
}

/* ---- the result ----------------------------------------------------------------- */

static void fit_clear(cvo_fit *out, const model_ops *ops)
{
    memset(out, 0, sizeof *out);
    out->nparams = ops->nparams;
    for (int k = 0; k < MODEL_MAX_PARAMS; k++) {
        out->param_names[k] = k < ops->nparams ? ops->param_names[k] : NULL;
        out->params[k] = NAN;
        out->std_error[k] = NAN;
    }
    out->loglik = NAN;
    out->status = CVO_FIT_NOT_CONVERGED;
    out->nbd_params[0] = out->nbd_params[1] = NAN;
    out->nbd_std_error[0] = out->nbd_std_error[1] = NAN;
    out->nbd_loglik = NAN;
}

cvo_status cvo_fit_from_params(cvo_ctx *ctx, cvo_model model, const double *params, int count,
                               cvo_fit *out)
{
    gsl_quiet();
    const model_ops *ops = ops_of(model);
    if (ops == NULL || out == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "unknown model %d", (int)model);
    if (params == NULL || count != ops->nparams)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "model %s takes %d parameters, %d given", ops->name,
                        ops->nparams, params ? count : 0);
    for (int k = 0; k < count; k++) {
        if (!(params[k] > 0 && isfinite(params[k])))
            return ctx_fail(ctx, CVO_ERR_ARGUMENT, "parameter %s of model %s must be > 0",
                            ops->param_names[k], ops->name);
    }
    fit_clear(out, ops);
    out->model = model;
    memcpy(out->params, params, (size_t)count * sizeof *params);
    out->converged = true;
    out->status = CVO_FIT_CONVERGED;
    return CVO_OK;
}

/* Appends "; "-separated text to the note, cutting at its size. */
static void note_add(cvo_fit *out, const char *format, ...) CVO_PRINTF(2, 3);
static void note_add(cvo_fit *out, const char *format, ...)
{
    size_t used = strlen(out->note);
    if (used > 0 && used + 2 < sizeof out->note) {
        memcpy(out->note + used, "; ", 3);
        used += 2;
    }
    va_list args;
    va_start(args, format);
    vsnprintf(out->note + used, sizeof out->note - used, format, args);
    va_end(args);
}

/* A count of customers with thousands separators ("2,357"). */
static const char *count_text(double value, char buf[32])
{
    char digits[24];
    unsigned long long n = value > 0 ? (unsigned long long)llround(value) : 0;
    int len = snprintf(digits, sizeof digits, "%llu", n);
    int out = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
    return buf;
}

/* ---- the fit ------------------------------------------------------------------------ */

/* Points pb at the batch caches in scratch (NULL: row by row), prepared for its rows. */
static void problem_attach(fit_problem *pb, void *scratch)
{
    pb->scratch = scratch;
    if (scratch != NULL)
        pb->ops->batch_prepare(pb->rows, pb->count, scratch);
}

/* The note of a fit at the no-dropout edge; false when its NBD fit failed. */
static bool edge_note(const cvo_fit *nbd, cvo_fit *out)
{
    if (!nbd->converged) {
        note_add(out, "no dropout detected, but its NBD fit failed: %s", nbd->note);
        return false;
    }
    note_add(out,
             "no dropout detected: the model reduces to NBD (r = %.6g, alpha = %.6g, "
             "log-likelihood %.4f); predictions use it, with P(alive) = 1",
             nbd->params[0], nbd->params[1], nbd->loglik);
    return true;
}

/* Plain-words notes on what the data cannot identify; converged false then.
 * nbd is the NBD fit at the no-dropout edge, else NULL. */
static void fit_judge(const fit_run *run, const fit_rows *rows, const cvo_fit *nbd, cvo_fit *out)
{
    const model_ops *ops = run->full.ops;
    char a[32], b[32];
    bool ok = nbd != NULL || (run->optimum && run->hessian);
    double repeaters = ops->needs_repeaters ? rows->weight : rows->repeat_weight;
    if (repeaters < FIT_MIN_REPEATERS || repeaters < FIT_MIN_REPEAT_SHARE * rows->weight) {
        ok = false;
        note_add(out,
                 "only %s of %s customers bought twice: the data cannot identify the "
                 "model; its parameters are not meaningful",
                 count_text(repeaters, a), count_text(rows->weight + rows->nonpositive, b));
    }
    /* at the edge the dropout parameters (2 and 3) run off by definition */
    for (int k = 0; k < (nbd != NULL ? 2 : ops->nparams); k++) {
        double p = exp(run->theta[k]);
        if (p < FIT_PARAM_MIN || p > FIT_PARAM_MAX) {
            ok = false;
            note_add(out, "parameter %s ran to %s: the data cannot identify it",
                     ops->param_names[k], p > 1 ? "infinity" : "zero");
        }
    }
    if (nbd != NULL)
        ok = edge_note(nbd, out) && ok;
    else if (!run->hessian && out->note[0] == '\0')
        note_add(out, "the likelihood is flat at the optimum (singular Hessian): the "
                      "parameters are not identified and have no standard errors");
    else if (!run->optimum && out->note[0] == '\0')
        note_add(out, "the optimiser did not converge in %d iterations", run->iterations);
    if (rows->nonpositive > 0)
        note_add(out, "%s customers with a non-positive mean value were left out",
                 count_text(rows->nonpositive, a));
    out->converged = ok;
    out->status = !ok ? CVO_FIT_NOT_CONVERGED : nbd ? CVO_FIT_NO_DROPOUT : CVO_FIT_CONVERGED;
}

static cvo_status check_options(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                                const cvo_fit_options *o, cvo_fit *out)
{
    if (ops == NULL || summary == NULL || out == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "fit: model, summary and result are required");
    if (ops->nparams < 1 || ops->nparams > MODEL_MAX_PARAMS || ops->loglik == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "fit: model %s is malformed", ops->name);
    if (!(o->penalty >= 0 && isfinite(o->penalty)))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "fit: the penalty must be a number >= 0");
    if (o->max_iterations < 1)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "fit: max_iterations must be >= 1");
    if (o->starts < 0 || o->starts > FIT_MAX_STARTS)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "fit: starts must be 0..%d", FIT_MAX_STARTS);
    return CVO_OK;
}

/* The log-likelihood in the data's own time unit: a density of purchase times
 * changes with the unit (by x ln c), so it is evaluated on the original rows
 * (with the batch caches prepared again for their times). */
static double natural_loglik(const fit_problem *full, const fit_rows *rows, const double *params,
                             void *scratch)
{
    fit_problem pb = *full;
    double theta[MODEL_MAX_PARAMS];
    pb.rows = rows->rows;
    pb.penalty = 0;
    problem_attach(&pb, scratch);
    for (int k = 0; k < pb.k; k++)
        theta[k] = log(params[k]);
    double f = fit_problem_eval(&pb, theta, NULL);
    return f < FIT_BAD_VALUE ? -f : -INFINITY;
}

static void restore_times(fit_rows *rows, double scale)
{
    for (size_t i = 0; scale != 1 && i < rows->count; i++) {
        rows->rows[i].t_x /= scale;
        rows->rows[i].T /= scale;
    }
}

/* Multiplies all times by 1 / max T (models with time-scale parameters). */
static double rescale_times(const model_ops *ops, fit_rows *rows)
{
    if (ops->discrete || ops->time_scale_mask == 0 || !(rows->max_T > 0))
        return 1;
    double scale = 1 / rows->max_T;
    for (size_t i = 0; i < rows->count; i++) {
        rows->rows[i].t_x *= scale;
        rows->rows[i].T *= scale;
    }
    return scale;
}

static cvo_status fit_rows_run(cvo_ctx *ctx, fit_rows *rows, fit_run *run, size_t sample_rows,
                               cvo_fit *out);

/* The caller's start as theta on times rescaled by scale (time-scale
 * parameters scale with the times); none when a parameter is not > 0. */
static void warm_start(fit_run *run, double scale)
{
    const model_ops *ops = run->full.ops;
    run->warm_set = run->start != NULL;
    for (int k = 0; run->warm_set && k < ops->nparams; k++) {
        double p = run->start[k] * ((ops->time_scale_mask >> k) & 1u ? scale : 1);
        run->warm_set = p > 0 && isfinite(p);
        run->warm[k] = log(p);
    }
}

/* At the no-dropout edge: the NBD fitted on the same rows into *nbd and out's
 * nbd_*; the dropout model's r and alpha become the NBD's (the search stops at
 * the edge before they settle), so its log-likelihood there is the NBD's. */
static cvo_status edge_finish(cvo_ctx *ctx, fit_rows *rows, const fit_run *run, size_t sample_rows,
                              cvo_fit *nbd, cvo_fit *out)
{
    const model_ops *ops = nbd_model();
    fit_run nbd_run = {.full = {ops, NULL, NULL, 0, 1, run->full.penalty, ops->nparams, NULL},
                       .starts = 1,
                       .max_iterations = run->max_iterations};
    fit_clear(nbd, ops);
    CVO_TRY(fit_rows_run(ctx, rows, &nbd_run, sample_rows, nbd));
    nbd->model = CVO_MODEL_NBD;
    if (!nbd->converged)
        return CVO_OK; /* nbd_* stay NaN; fit_judge says why */
    for (int k = 0; k < 2; k++) {
        out->nbd_params[k] = nbd->params[k];
        out->nbd_std_error[k] = nbd->std_error[k];
        out->params[k] = nbd->params[k];
    }
    out->nbd_loglik = nbd->loglik;
    return CVO_OK;
}

static cvo_status fit_rows_run(cvo_ctx *ctx, fit_rows *rows, fit_run *run, size_t sample_rows,
                               cvo_fit *out)
{
    double scale = rescale_times(run->full.ops, rows);
    warm_start(run, scale);
    run->full.rows = rows->rows;
    run->full.count = rows->count;
    bool sampled = sample_rows > 0 && rows->count > sample_rows;
    fit_ws ws;
    size_t mid = sampled ? fit_mid_rows(run->full.ops, rows->count, sample_rows) : 0;
    CVO_TRY(fit_ws_alloc(ctx, &ws, run->full.ops, sampled ? sample_rows : 0, mid));
    fit_ws other;
    if (run->starts > 1) {
        cvo_status status = fit_ws_alloc(ctx, &other, run->full.ops, 0, 0);
        if (status != CVO_OK) {
            fit_ws_free(ctx, &ws);
            return status;
        }
        ws.other = &other;
    }
    problem_attach(&run->full, ws.full_scratch);
    fit_search_problem(run, &ws, sample_rows);
    fit_optimise(&ws, run, rows->weight);
    run->edge = run->edge || fit_at_edge(run->full.ops, run->theta) ||
                (!(run->optimum && run->hessian) &&
                 fit_edge_within(run->full.ops, run->theta, FIT_NEAR_EDGE));
    fit_report(&ws, run, scale, out);
    restore_times(rows, scale);
    cvo_fit nbd;
    cvo_status status = run->edge ? edge_finish(ctx, rows, run, sample_rows, &nbd, out) : CVO_OK;
    if (status == CVO_OK)
        out->loglik = natural_loglik(&run->full, rows, out->params, ws.full_scratch);
    if (ws.other != NULL)
        fit_ws_free(ctx, ws.other);
    fit_ws_free(ctx, &ws);
    CVO_TRY(status);
    out->n = (uint64_t)llround(rows->weight);
    out->iterations = run->iterations;
    fit_judge(run, rows, run->edge ? &nbd : NULL, out);
    return CVO_OK;
}

cvo_status fit_model_sampled(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                             const cvo_fit_options *options, size_t sample_rows, cvo_fit *out)
{
    gsl_quiet();
    cvo_fit_options defaults;
    cvo_fit_options_init(&defaults);
    const cvo_fit_options *o = options ? options : &defaults;
    CVO_TRY(check_options(ctx, ops, summary, o, out));
    fit_clear(out, ops);
    fit_rows rows;
    CVO_TRY(fit_rows_build(ctx, ops, summary, &rows));
    if (rows.count == 0) {
        fit_rows_free(ctx, &rows);
        return ctx_fail(ctx, CVO_ERR_EMPTY, "no customer can be used to fit the %s model%s",
                        ops->name, ops->needs_repeaters ? " (it needs repeat buyers)" : "");
    }
    fit_run run = {.full = {ops, NULL, NULL, 0, 1, o->penalty, ops->nparams, NULL},
                   .starts = o->starts > 0 ? o->starts : 1,
                   .max_iterations = o->max_iterations,
                   .start = o->start};
    cvo_status status = fit_rows_run(ctx, &rows, &run, sample_rows, out);
    fit_rows_free(ctx, &rows);
    return status;
}

cvo_status fit_model(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                     const cvo_fit_options *options, cvo_fit *out)
{
    return fit_model_sampled(ctx, ops, summary, options, FIT_SAMPLE_ROWS, out);
}

cvo_status cvo_model_fit(cvo_ctx *ctx, cvo_model model, const cvo_summary *summary,
                         const cvo_fit_options *options, cvo_fit *out)
{
    const model_ops *ops = ops_of(model);
    if (ops == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "unknown model %d", (int)model);
    cvo_fit_options o;
    cvo_fit_options_init(&o);
    if (options != NULL)
        o = *options;
    if (o.starts == 0)
        o.starts = o.start != NULL ? 1 : default_starts(model);
    CVO_TRY(fit_model(ctx, ops, summary, &o, out));
    out->model = model;
    return CVO_OK;
}
