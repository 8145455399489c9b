/* fit.c - maximum-likelihood fits of the BTYD models (GSL BFGS on log-parameters,
 * simplex fallback, Newton polish, Hessian standard errors) and the public model glue.
 * Invariant: the optimiser sees theta = ln p over compressed, time-rescaled rows;
 * everything reported is natural, unscaled and summed over customers. */
#include "models/fit.h"

#include "base/hash.h"
#include "base/limits.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Returned for a point where the log-likelihood is not finite: large enough
 * that every line search backs off, finite so that its interpolation stays sane. */
#define FIT_BAD_VALUE 1e300
/* BFGS stops when |gradient| < FIT_GRAD_TOL * customers (per-customer scale). */
#define FIT_GRAD_TOL 1e-6
/* Newton polish: stop below this step in theta; call the fit converged below FIT_STEP_OK. */
#define FIT_STEP_TOL 1e-10
#define FIT_STEP_OK 1e-5
#define FIT_POLISH_STEPS 50
/* Relative rounding of a sum of many log-likelihood terms. */
#define FIT_NOISE 1e-12
/* Newton steps on all rows with a sample's Hessian before computing all rows' own. */
#define FIT_SAMPLE_STEPS 3
/* Fits with at least FIT_MID_FACTOR x FIT_MID_MIN x the sample's rows run Newton on a
 * middle sample of FIT_MID_FACTOR x the sample's rows between the search and
 * Newton on all rows (at most FIT_MID_STEPS steps): Newton on all rows then
 * starts closer and takes fewer passes over all rows. */
#define FIT_MID_FACTOR 8
#define FIT_MID_MIN 8
#define FIT_MID_STEPS 6
/* The Hessian for the standard errors is recomputed when theta moved more than this. */
#define FIT_HESS_MOVE 1e-3
/* Step in theta of the central differences for the Hessian. */
#define FIT_HESS_STEP 1e-4
/* A parameter beyond these (in rescaled time) ran to the edge of its range. */
#define FIT_PARAM_MIN 1e-8
#define FIT_PARAM_MAX 1e8
/* Fewer repeat buyers than this (or than this share of all) cannot identify a model. */
#define FIT_MIN_REPEATERS 5.0
#define FIT_MIN_REPEAT_SHARE 0.01
/* A dropout below this (ops->dropout, rescaled time) is the no-dropout edge:
 * fewer than one customer in a million would drop out over the whole history. */
#define FIT_NO_DROPOUT 1e-6
/* A fit that found no interior maximum with a dropout below this has crawled
 * towards the edge without reaching FIT_NO_DROPOUT: the flat edge is the answer. */
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

/* ---- rows: validation and compression ------------------------------------------- */

/* Open addressing over row indexes: a slot holds the high half of the row's
 * hash (so a probe reads a row only when that matches) and 1 + its index in
 * the low half; 0 when empty. */
typedef struct row_table {
    uint64_t *slots;
    size_t mask;
    size_t capacity; /* rows allocated */
} row_table;

/* Summary rows hashed this far ahead of their lookup, so the table's cache misses overlap. */
enum { ROW_AHEAD = 16 };

static uint64_t double_bits(double v)
{
    uint64_t u;
    v += 0.0; /* -0.0 becomes +0.0, so equal keys hash equally */
    memcpy(&u, &v, sizeof u);
    return u;
}

/* One mixing round over a sum of the fields times odd constants: distinct
 * rows collide only through a linear relation modulo 2^64. */
static uint64_t row_hash(const model_row *r)
{
    uint64_t h = double_bits(r->x) * 0x9e3779b97f4a7c15ull;
    h += double_bits(r->t_x) * 0xc2b2ae3d27d4eb4full;
    h += double_bits(r->T) * 0x165667b19e3779f9ull;
    h += double_bits(r->m_x) * 0xd6e8feb86659fd93ull;
    return hash_mix64(h);
}

static uint64_t slot_of(uint64_t hash, size_t index)
{
    return (hash & 0xffffffff00000000ull) | (uint64_t)(index + 1);
}

static size_t slot_index(uint64_t slot)
{
    return (size_t)(slot & 0xffffffffu) - 1;
}

static bool row_same(const model_row *a, const model_row *b)
{
    return a->x == b->x && a->t_x == b->t_x && a->T == b->T && a->m_x == b->m_x;
}

/* Checks one summary row; *use false when the model does not use it. Returns
 * the reason when the row is invalid, else NULL. */
static const char *row_prepare(const model_ops *ops, const cvo_summary_row *s, model_row *r,
                               bool *use, fit_rows *acc)
{
    *use = false;
    if (!(s->weight >= 0 && isfinite(s->weight)))
        return "weight must be a finite number >= 0";
    if (!(s->x >= 0 && isfinite(s->x) && s->t_x >= 0 && isfinite(s->t_x) && s->T >= 0 &&
          isfinite(s->T)))
        return "x, t_x and T must be finite numbers >= 0";
    if (s->t_x > s->T * (1 + 1e-9))
        return "t_x is larger than T";
    if (s->x == 0 && s->t_x != 0)
        return "t_x must be 0 when x is 0";
    if (s->weight == 0)
        return NULL;
    if (!ops->needs_repeaters) {
        *r = (model_row){s->x, s->t_x, s->T, 0, s->weight};
        *use = true;
        return NULL;
    }
    if (s->x == 0)
        return NULL;
    if (isnan(s->m_x) || isinf(s->m_x))
        return "m_x must be a finite number";
    if (s->m_x <= 0) {
        acc->nonpositive += s->weight;
        return NULL;
    }
    *r = (model_row){s->x, 0, 0, s->m_x, s->weight};
    *use = true;
    return NULL;
}

static cvo_status table_grow(cvo_ctx *ctx, row_table *t, const fit_rows *rows)
{
    size_t size = (t->mask + 1) * 2;
    uint64_t *slots = mem_zarray(ctx, size, sizeof *slots);
    if (slots == NULL)
        return ctx_nomem(ctx);
    for (size_t i = 0; i < rows->count; i++) {
        uint64_t hash = row_hash(&rows->rows[i]);
        size_t at = (size_t)hash & (size - 1);
        while (slots[at] != 0)
            at = (at + 1) & (size - 1);
        slots[at] = slot_of(hash, i);
    }
    mem_free(ctx, t->slots);
    t->slots = slots;
    t->mask = size - 1;
    return CVO_OK;
}

static cvo_status rows_append(cvo_ctx *ctx, row_table *t, fit_rows *rows, const model_row *r)
{
    if (rows->count == t->capacity) {
        size_t capacity = t->capacity * 2;
        model_row *grown = mem_realloc(ctx, rows->rows, capacity * sizeof *grown);
        if (grown == NULL)
            return ctx_nomem(ctx);
        rows->rows = grown;
        t->capacity = capacity;
    }
    rows->rows[rows->count++] = *r;
    if (rows->count * 2 > t->mask + 1)
        return table_grow(ctx, t, rows);
    return CVO_OK;
}

/* Adds r (of the given hash) to its group, or starts a new group. */
static cvo_status rows_add(cvo_ctx *ctx, row_table *t, fit_rows *rows, const model_row *r,
                           uint64_t hash)
{
    rows->weight += r->weight;
    if (r->x > 0)
        rows->repeat_weight += r->weight;
    if (r->T > rows->max_T)
        rows->max_T = r->T;
    size_t at = (size_t)hash & t->mask;
    uint64_t tag = slot_of(hash, 0) & 0xffffffff00000000ull;
    for (; t->slots[at] != 0; at = (at + 1) & t->mask) {
        if ((t->slots[at] & 0xffffffff00000000ull) != tag)
            continue;
        model_row *group = &rows->rows[slot_index(t->slots[at])];
        if (row_same(group, r)) {
            group->weight += r->weight;
            return CVO_OK;
        }
    }
    t->slots[at] = slot_of(hash, rows->count);
    return rows_append(ctx, t, rows, r);
}

/* Summary rows staged ahead of their lookup: prepared, hashed, their slot prefetched. */
typedef struct row_stage {
    model_row row[ROW_AHEAD];
    uint64_t hash[ROW_AHEAD];
    bool use[ROW_AHEAD];
} row_stage;

static cvo_status rows_stage(cvo_ctx *ctx, const model_ops *ops, const cvo_summary_row *s,
                             size_t index, const row_table *t, fit_rows *out, row_stage *stage)
{
    size_t j = index % ROW_AHEAD;
    if (ops->discrete && s->T > CVO_MAX_OPPORTUNITIES)
        return ctx_fail(ctx, CVO_ERR_LIMIT,
                        "summary row %zu: T = %g opportunities; the %s model takes at most %d",
                        index + 1, s->T, ops->name, CVO_MAX_OPPORTUNITIES);
    const char *why = row_prepare(ops, s, &stage->row[j], &stage->use[j], out);
    if (why != NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT, "summary row %zu: %s", index + 1, why);
    stage->hash[j] = stage->use[j] ? row_hash(&stage->row[j]) : 0;
    if (stage->use[j])
        __builtin_prefetch(&t->slots[(size_t)stage->hash[j] & t->mask]);
    return CVO_OK;
}

/* Adds the summary's rows in order, each staged ROW_AHEAD rows before its lookup. */
static cvo_status rows_scan(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                            row_table *t, fit_rows *out)
{
    if (summary->count >= UINT32_MAX)
        return ctx_fail(ctx, CVO_ERR_LIMIT, "a fit takes at most %u customers", UINT32_MAX - 1);
    row_stage stage;
    for (size_t i = 0; i < summary->count + ROW_AHEAD; i++) {
        size_t j = i % ROW_AHEAD;
        if (i >= ROW_AHEAD && stage.use[j])
            CVO_TRY(rows_add(ctx, t, out, &stage.row[j], stage.hash[j]));
        if (i < summary->count)
            CVO_TRY(rows_stage(ctx, ops, &summary->rows[i], i, t, out, &stage));
    }
    return CVO_OK;
}

/* Table slots for a summary: at least its rows (summaries rarely compress
 * less than twofold, so the table seldom grows), capped so a huge summary
 * grows the table only as its distinct rows require. */
static size_t table_size(size_t summary_rows)
{
    size_t size = 1024;
    while (size < summary_rows && size < ((size_t)1 << 21))
        size *= 2;
    return size;
}

cvo_status fit_rows_build(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *summary,
                          fit_rows *out)
{
    memset(out, 0, sizeof *out);
    row_table t = {NULL, table_size(summary->count) - 1, 512};
    t.slots = mem_zarray(ctx, t.mask + 1, sizeof *t.slots);
    out->rows = mem_array(ctx, t.capacity, sizeof *out->rows);
    cvo_status status = CVO_ERR_NOMEM;
    if (t.slots == NULL || out->rows == NULL)
        status = ctx_nomem(ctx);
    else
        status = rows_scan(ctx, ops, summary, &t, out);
    mem_free(ctx, t.slots);
    if (status != CVO_OK)
        fit_rows_free(ctx, out);
    return status;
}

void fit_rows_free(cvo_ctx *ctx, fit_rows *rows)
{
    if (rows == NULL)
        return;
    mem_free(ctx, rows->rows);
    rows->rows = NULL;
    rows->count = 0;
}

/* ---- the objective ---------------------------------------------------------------- */

typedef struct fit_problem {
    const model_ops *ops;
    const model_row *rows;
    void *scratch; /* prepared for rows when the model has loglik_sum, else NULL */
    size_t count;
    double weight_factor; /* a sample stands for all rows: its weights are scaled up */
    double penalty;
    int k;
    atomic_bool *cancel; /* set by another start: stop at once (NULL: never) */
} fit_problem;

static bool cancelled(const fit_problem *pb)
{
    return pb->cancel != NULL && atomic_load_explicit(pb->cancel, memory_order_relaxed);
}

/* sum w loglik(p) over pb's rows, the weighted gradient into sum when not NULL:
 * one batch call when the model has one, else row by row. */
static double problem_sum(const fit_problem *pb, const double *p, double *sum)
{
    if (pb->scratch != NULL)
        return pb->ops->loglik_sum(p, pb->rows, pb->count, sum, NULL, pb->scratch);
    double g[MODEL_MAX_PARAMS] = {0}, ll = 0;
    double *row_grad = sum ? g : NULL;
    for (size_t i = 0; i < pb->count; i++) {
        const model_row *row = &pb->rows[i];
        ll += row->weight * pb->ops->loglik(p, row, row_grad);
        for (int j = 0; row_grad != NULL && j < pb->k; j++)
            sum[j] += row->weight * g[j];
    }
    return ll;
}

/* f(theta) = -sum w loglik(e^theta) + penalty * sum e^(2 theta), and its
 * gradient (chain rule: d/dtheta_k = p_k d/dp_k) when grad is not NULL, from
 * ll = sum w loglik(p) and sum = its gradient in p, p = e^theta. */
static double problem_value(const fit_problem *pb, const double *p, double ll, const double *sum,
                            double *grad)
{
    double f = -pb->weight_factor * ll;
    bool finite = isfinite(f);
    for (int j = 0; j < pb->k; j++) {
        f += pb->penalty * p[j] * p[j];
        if (grad != NULL) {
            grad[j] = -pb->weight_factor * sum[j] * p[j] + 2 * pb->penalty * p[j] * p[j];
            finite = finite && isfinite(grad[j]);
        }
    }
    if (finite && isfinite(f))
        return f;
    for (int j = 0; grad != NULL && j < pb->k; j++)
        grad[j] = 0;
    return FIT_BAD_VALUE;
}

/* f and (when grad is not NULL) its gradient at theta. */
static double problem_eval(const fit_problem *pb, const double *theta, double *grad)
{
    double p[MODEL_MAX_PARAMS], sum[MODEL_MAX_PARAMS] = {0};
    for (int j = 0; j < pb->k; j++)
        p[j] = exp(theta[j]);
    double ll = problem_sum(pb, p, grad ? sum : NULL);
    return problem_value(pb, p, ll, sum, grad);
}

static void vector_get(const gsl_vector *v, double *out)
{
    for (size_t j = 0; j < v->size; j++)
        out[j] = gsl_vector_get(v, j);
}

static void vector_set(gsl_vector *v, const double *in)
{
    for (size_t j = 0; j < v->size; j++)
        gsl_vector_set(v, j, in[j]);
}

/* GSL's BFGS asks for f and then, at the same point, for the gradient; one pass
 * computes both and the second request is answered from this cache. */
typedef struct fit_eval {
    const fit_problem *pb;
    double theta[MODEL_MAX_PARAMS], f, grad[MODEL_MAX_PARAMS];
    bool cached;
} fit_eval;

static double eval_cached(fit_eval *e, const gsl_vector *v, gsl_vector *grad)
{
    double theta[MODEL_MAX_PARAMS];
    size_t bytes = (size_t)e->pb->k * sizeof *theta;
    vector_get(v, theta);
    if (!e->cached || memcmp(theta, e->theta, bytes) != 0) {
        e->f = problem_eval(e->pb, theta, e->grad);
        memcpy(e->theta, theta, bytes);
        e->cached = true;
    }
    if (grad != NULL)
        vector_set(grad, e->grad);
    return e->f;
}

static double gsl_f(const gsl_vector *v, void *data)
{
    return eval_cached(data, v, NULL);
}

static void gsl_df(const gsl_vector *v, void *data, gsl_vector *g)
{
    eval_cached(data, v, g);
}

static void gsl_fdf(const gsl_vector *v, void *data, double *f, gsl_vector *g)
{
    *f = eval_cached(data, v, g);
}

/* The simplex never needs a gradient. */
static double gsl_f_only(const gsl_vector *v, void *data)
{
    double theta[MODEL_MAX_PARAMS];
    vector_get(v, theta);
    return problem_eval(data, theta, NULL);
}

/* ---- workspace: sized once per fit, nothing allocated while iterating ------------- */

typedef struct fit_ws {
    gsl_multimin_fdfminimizer *bfgs;
    gsl_multimin_fminimizer *simplex;
    gsl_vector *x, *step, *grad, *newton;
    gsl_matrix *hess, *chol;
    model_row *sample;    /* NULL when the search runs on all rows */
    model_row *mid;       /* the middle sample, or NULL */
    struct fit_ws *other; /* a workspace for a second start at once, or NULL */
    void *full_scratch, *sample_scratch, *mid_scratch; /* the model's batch caches, or NULL */
} fit_ws;

static void ws_free(cvo_ctx *ctx, fit_ws *ws)
{
    if (ws->bfgs)
        gsl_multimin_fdfminimizer_free(ws->bfgs);
    if (ws->simplex)
        gsl_multimin_fminimizer_free(ws->simplex);
    gsl_vector_free(ws->x);
    gsl_vector_free(ws->step);
    gsl_vector_free(ws->grad);
    gsl_vector_free(ws->newton);
    gsl_matrix_free(ws->hess);
    gsl_matrix_free(ws->chol);
    mem_free(ctx, ws->sample);
    mem_free(ctx, ws->mid);
    mem_free(ctx, ws->full_scratch);
    mem_free(ctx, ws->sample_scratch);
    mem_free(ctx, ws->mid_scratch);
}

static bool has_batch(const model_ops *ops)
{
    return ops->loglik_sum != NULL && ops->batch_prepare != NULL;
}

/* The batch caches of a model with loglik_sum: one for all rows, one for the
 * sample, one with the middle sample (mid > 0). */
static bool ws_alloc_scratch(cvo_ctx *ctx, fit_ws *ws, const model_ops *ops, size_t sample,
                             size_t mid)
{
    if (!has_batch(ops))
        return true;
    size_t bytes = ops->batch_scratch > 0 ? ops->batch_scratch : 1;
    ws->full_scratch = mem_alloc(ctx, bytes);
    if (sample > 0)
        ws->sample_scratch = mem_alloc(ctx, bytes);
    if (mid > 0) {
        ws->mid = mem_array(ctx, mid, sizeof *ws->mid);
        ws->mid_scratch = mem_alloc(ctx, bytes);
    }
    return ws->full_scratch != NULL && (sample == 0 || ws->sample_scratch != NULL) &&
           (mid == 0 || (ws->mid != NULL && ws->mid_scratch != NULL));
}

static cvo_status ws_alloc(cvo_ctx *ctx, fit_ws *ws, const model_ops *ops, size_t sample,
                           size_t mid)
{
    memset(ws, 0, sizeof *ws);
    int k = ops->nparams;
    size_t n = (size_t)k;
    ws->bfgs = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, n);
    ws->simplex = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    ws->x = gsl_vector_alloc(n);
    ws->step = gsl_vector_alloc(n);
    ws->grad = gsl_vector_alloc(n);
    ws->newton = gsl_vector_alloc(n);
    ws->hess = gsl_matrix_alloc(n, n);
    ws->chol = gsl_matrix_alloc(n, n);
    if (sample > 0)
        ws->sample = mem_array(ctx, sample, sizeof *ws->sample);
    if (!ws->bfgs || !ws->simplex || !ws->x || !ws->step || !ws->grad || !ws->newton || !ws->hess ||
        !ws->chol || (sample > 0 && ws->sample == NULL) ||
        !ws_alloc_scratch(ctx, ws, ops, sample, mid)) {
        ws_free(ctx, ws);
        return ctx_nomem(ctx);
    }
    return CVO_OK;
}

/* ---- minimisers ------------------------------------------------------------------- */

/* Whether theta's dropout is below limit (false for a model without dropout). */
static bool edge_within(const model_ops *ops, const double *theta, double limit)
{
    double p[MODEL_MAX_PARAMS];
    if (ops->dropout == NULL)
        return false;
    for (int k = 0; k < ops->nparams; k++)
        p[k] = exp(theta[k]);
    return ops->dropout(p) < limit;
}

/* Whether theta is at the model's no-dropout edge. */
static bool at_edge(const model_ops *ops, const double *theta)
{
    return edge_within(ops, theta, FIT_NO_DROPOUT);
}

/* BFGS from theta (updated to the best point reached). *ok when the gradient
 * test passed. Returns the iterations used. Stops at the no-dropout edge: the
 * likelihood is flat there in the dropout parameters, so BFGS would crawl
 * along it for hundreds of iterations; the NBD fit finishes the job. */
static int bfgs_run(fit_ws *ws, fit_problem *pb, double *theta, int max_iter, double gtol, bool *ok)
{
    fit_eval cache = {.pb = pb, .cached = false};
    gsl_multimin_function_fdf fn = {gsl_f, gsl_df, gsl_fdf, (size_t)pb->k, &cache};
    *ok = false;
    vector_set(ws->x, theta);
    if (gsl_multimin_fdfminimizer_set(ws->bfgs, &fn, ws->x, 0.1, 0.1) != GSL_SUCCESS)
        return 0;
    int it = 0;
    *ok = gsl_multimin_test_gradient(ws->bfgs->gradient, gtol) == GSL_SUCCESS;
    while (!*ok && it < max_iter) {
        it++;
        int status = gsl_multimin_fdfminimizer_iterate(ws->bfgs);
        *ok = gsl_multimin_test_gradient(ws->bfgs->gradient, gtol) == GSL_SUCCESS;
        if (status != GSL_SUCCESS || at_edge(pb->ops, ws->bfgs->x->data) || cancelled(pb))
            break;
    }
    if (ws->bfgs->f < FIT_BAD_VALUE)
        vector_get(ws->bfgs->x, theta);
    return it;
}

/* Nelder-Mead from theta, for when BFGS fails or stalls. Keeps theta unless better. */
static int simplex_run(fit_ws *ws, fit_problem *pb, double *theta, int max_iter)
{
    gsl_multimin_function fn = {gsl_f_only, (size_t)pb->k, pb};
    double start_f = problem_eval(pb, theta, NULL);
    vector_set(ws->x, theta);
    gsl_vector_set_all(ws->step, 0.5);
    if (gsl_multimin_fminimizer_set(ws->simplex, &fn, ws->x, ws->step) != GSL_SUCCESS)
        return 0;
    int it = 0;
    while (it < max_iter && !cancelled(pb)) {
        it++;
        if (gsl_multimin_fminimizer_iterate(ws->simplex) != GSL_SUCCESS)
            break;
        double size = gsl_multimin_fminimizer_size(ws->simplex);
        if (gsl_multimin_test_size(size, 1e-9) == GSL_SUCCESS)
            break;
    }
    if (ws->simplex->fval < start_f)
        vector_get(ws->simplex->x, theta);
    return it;
}

/* BFGS; on failure the simplex and BFGS again to polish. */
static int minimise(fit_ws *ws, fit_problem *pb, double *theta, int max_iter, double gtol, bool *ok)
{
    int it = bfgs_run(ws, pb, theta, max_iter, gtol, ok);
    if (*ok || at_edge(pb->ops, theta))
        return it;
    it += simplex_run(ws, pb, theta, max_iter);
    return it + bfgs_run(ws, pb, theta, max_iter, gtol, ok);
}

/* Start j: the model's start (rescaled time), then deterministic perturbations
 * of up to a factor e^1.5 either way. */
static void start_point(const model_ops *ops, int j, const double *warm, double *theta)
{
    if (j == 0 && warm != NULL) {
        memcpy(theta, warm, (size_t)ops->nparams * sizeof *theta);
        return;
    }
    for (int k = 0; k < ops->nparams; k++) {
        double s = ops->start[k] > 0 ? ops->start[k] : 1;
        double u = 0;
        if (j > 0) {
            uint64_t h = hash_mix64((uint64_t)j * 0x100000001b3ull + (uint64_t)k + 1);
            u = (double)(h >> 11) / 9007199254740992.0 * 2 - 1;
        }
        theta[k] = log(s) + 1.5 * u;
    }
}

/* One start, on its own workspace and problem (so two can run at once). */
typedef struct start_job {
    fit_ws *ws;
    fit_problem pb;
    int j, max_iter, it;
    double gtol, f, theta[MODEL_MAX_PARAMS];
    bool ok;
    atomic_bool *edge_signal; /* set when this start ends at the no-dropout edge, or NULL */
    const double *warm;       /* start 0's theta (cvo_fit_options.start), or NULL */
} start_job;

static void start_run(start_job *s)
{
    start_point(s->pb.ops, s->j, s->warm, s->theta);
    s->it = minimise(s->ws, &s->pb, s->theta, s->max_iter, s->gtol, &s->ok);
    if (s->edge_signal != NULL && at_edge(s->pb.ops, s->theta))
        atomic_store(s->edge_signal, true);
    s->f = problem_eval(&s->pb, s->theta, NULL);
}

static void *start_main(void *arg)
{
    start_run(arg);
    return NULL;
}

/* Starts jobs[0] here and, when count is 2, jobs[1] on a second thread. */
static void starts_run(start_job *jobs, int count)
{
    pthread_t thread;
    bool threaded = count > 1 && pthread_create(&thread, NULL, start_main, &jobs[1]) == 0;
    start_run(&jobs[0]);
    if (threaded)
        pthread_join(thread, NULL);
    else if (count > 1)
        start_run(&jobs[1]);
}

static double distance(const double *a, const double *b, int k)
{
    double d = 0;
    for (int j = 0; j < k; j++)
        d = fmax(d, fabs(a[j] - b[j]));
    return d;
}

/* Two starts, drawn apart, that both passed the gradient test at the same
 * optimum: the likelihood has no flat region between them worth more starts. */
#define FIT_AGREE_F 1e-9
#define FIT_AGREE_THETA 1e-3

static bool starts_agree(const model_ops *ops, const start_job *a, const start_job *b)
{
    if (!a->ok || !b->ok || !isfinite(a->f) || !isfinite(b->f))
        return false;
    if (fabs(a->f - b->f) > FIT_AGREE_F * (1 + fabs(a->f)))
        return false;
    return distance(a->theta, b->theta, ops->nparams) <= FIT_AGREE_THETA;
}

/* Several starts on pb; theta receives the best optimum. Returns iterations of
 * the start kept; *ok its gradient test. With a second workspace (other not
 * NULL) starts run two at a time; each start is computed alone either way and
 * the best is kept in start order, so the result is the same. A pair of starts
 * that agree ends the search (starts_agree). */
static int multistart(fit_ws *ws, fit_ws *other, fit_problem *pb, int starts, int max_iter,
                      double gtol, const double *warm, double *theta, bool *ok)
{
    double best_f = INFINITY;
    int best_it = 0, step = other != NULL ? 2 : 1;
    fit_problem pb2 = *pb;
    if (other != NULL && pb->scratch != NULL) {
        pb2.scratch = other->full_scratch;
        pb->ops->batch_prepare(pb->rows, pb->count, pb2.scratch);
    }
    *ok = false;
    atomic_bool edge_first;
    atomic_init(&edge_first, false);
    pb2.cancel = &edge_first;
    for (int j = 0; j < starts; j += step) {
        int count = starts - j < step ? starts - j : step;
        start_job jobs[2] = {{ws, *pb, j, max_iter, 0, gtol, 0, {0}, false, NULL, warm},
                             {other, pb2, j + 1, max_iter, 0, gtol, 0, {0}, false, NULL, warm}};
        /* the first start at the no-dropout edge is the answer (the NBD's): the
         * start beside it is cancelled and ignored, whenever it stops */
        if (j == 0)
            jobs[0].edge_signal = &edge_first;
        starts_run(jobs, count);
        if (j == 0 && at_edge(pb->ops, jobs[0].theta))
            count = 1;
        for (int m = 0; m < count; m++) {
            if (j + m == 0 || jobs[m].f < best_f) {
                best_f = jobs[m].f;
                best_it = jobs[m].it;
                *ok = jobs[m].ok;
                memcpy(theta, jobs[m].theta, sizeof jobs[m].theta);
            }
        }
        if (at_edge(pb->ops, theta))
            break; /* the NBD answers there; more starts would crawl the same flat edge */
        if (count == 2 && starts_agree(pb->ops, &jobs[0], &jobs[1]))
            break;
    }
    return best_it;
}

/* ---- Hessian and Newton polish ---------------------------------------------------- */

/* problem_eval with the Hessian of f into ws->hess, in one pass of the model's
 * batch: with H, g those of sum w loglik in p = e^theta, d2f/dtheta_i dtheta_j =
 * -c (p_i p_j H_ij + [i = j] p_i g_i) + [i = j] 4 penalty p_i^2. */
static double eval_hessian(fit_ws *ws, const fit_problem *pb, const double *theta, double *grad)
{
    double p[MODEL_MAX_PARAMS] = {0}, g[MODEL_MAX_PARAMS] = {0};
    double h[MODEL_MAX_PARAMS * MODEL_MAX_PARAMS] = {0};
    int k = pb->k;
    for (int i = 0; i < k; i++)
        p[i] = exp(theta[i]);
    double ll = pb->ops->loglik_sum(p, pb->rows, pb->count, g, h, pb->scratch);
    for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
            double v = -pb->weight_factor * p[i] * p[j] * h[i * k + j];
            if (i == j)
                v += -pb->weight_factor * p[i] * g[i] + 4 * pb->penalty * p[i] * p[i];
            gsl_matrix_set(ws->hess, (size_t)i, (size_t)j, v);
        }
    }
    return problem_value(pb, p, ll, g, grad);
}

/* Hessian of pb at theta into ws->hess: analytic from the model's batch, else
 * by central differences of the analytic gradient, symmetrised. */
static void hessian(fit_ws *ws, const fit_problem *pb, const double *theta)
{
    double at[MODEL_MAX_PARAMS], gp[MODEL_MAX_PARAMS], gm[MODEL_MAX_PARAMS];
    size_t n = (size_t)pb->k;
    if (pb->scratch != NULL) {
        eval_hessian(ws, pb, theta, gp); /* the gradient is not wanted here */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(at, theta, n * sizeof *at);
        at[i] = theta[i] + FIT_HESS_STEP;
        problem_eval(pb, at, gp);
        at[i] = theta[i] - FIT_HESS_STEP;
        problem_eval(pb, at, gm);
        for (size_t j = 0; j < n; j++)
            gsl_matrix_set(ws->hess, i, j, (gp[j] - gm[j]) / (2 * FIT_HESS_STEP));
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            double h = 0.5 * (gsl_matrix_get(ws->hess, i, j) + gsl_matrix_get(ws->hess, j, i));
            gsl_matrix_set(ws->hess, i, j, h);
            gsl_matrix_set(ws->hess, j, i, h);
        }
    }
}

/* Cholesky factor of ws->hess minus a diagonal (NULL: none) into ws->chol.
 * False when that matrix is not finite and positive definite. */
static bool hessian_factor(fit_ws *ws, const double *diag_minus)
{
    bool finite = true;
    gsl_matrix_memcpy(ws->chol, ws->hess);
    for (size_t i = 0; i < ws->chol->size1; i++) {
        double d = gsl_matrix_get(ws->chol, i, i) - (diag_minus ? diag_minus[i] : 0);
        gsl_matrix_set(ws->chol, i, i, d);
        for (size_t j = 0; j < ws->chol->size2; j++)
            finite = finite && isfinite(gsl_matrix_get(ws->chol, i, j));
    }
    return finite && gsl_linalg_cholesky_decomp1(ws->chol) == GSL_SUCCESS;
}

/* The Newton step H^-1 g with the factor in ws->chol; returns its largest component. */
static double newton_step(fit_ws *ws, const double *grad, double *step, int k)
{
    for (int j = 0; j < k; j++)
        gsl_vector_set(ws->grad, (size_t)j, grad[j]);
    if (gsl_linalg_cholesky_solve(ws->chol, ws->grad, ws->newton) != GSL_SUCCESS)
        return INFINITY;
    double biggest = 0;
    for (int j = 0; j < k; j++) {
        step[j] = gsl_vector_get(ws->newton, (size_t)j);
        biggest = fmax(biggest, fabs(step[j]));
    }
    return isfinite(biggest) ? biggest : INFINITY;
}

static double dot(const double *a, const double *b, int k)
{
    double sum = 0;
    for (int j = 0; j < k; j++)
        sum += a[j] * b[j];
    return sum;
}

/* Backtracking along -step from theta (value f, gradient g, both updated).
 * False when no point decreases f enough. */
static bool line_step(const fit_problem *pb, double *theta, double *f, double *g,
                      const double *step)
{
    double trial[MODEL_MAX_PARAMS], gt[MODEL_MAX_PARAMS], slope = dot(g, step, pb->k);
    for (double t = 1; t > 1e-4; t *= 0.5) {
        for (int j = 0; j < pb->k; j++)
            trial[j] = theta[j] - t * step[j];
        double ft = problem_eval(pb, trial, gt);
        if (ft < FIT_BAD_VALUE && ft <= *f - 1e-4 * t * slope) {
            memcpy(theta, trial, (size_t)pb->k * sizeof *theta);
            memcpy(g, gt, (size_t)pb->k * sizeof *g);
            *f = ft;
            return true;
        }
    }
    return false;
}

/* Newton steps on pb with the fixed factor in ws->chol (a Hessian near theta).
 * Returns steps taken; *last the size of the last step computed. */
static int polish(fit_ws *ws, const fit_problem *pb, double *theta, int max_steps, double *last)
{
    double g[MODEL_MAX_PARAMS], step[MODEL_MAX_PARAMS];
    double f = problem_eval(pb, theta, g);
    int steps = 0;
    *last = INFINITY;
    while (steps < max_steps) {
        *last = newton_step(ws, g, step, pb->k);
        if (*last < FIT_STEP_TOL || !isfinite(*last))
            break;
        if (dot(g, step, pb->k) < FIT_NOISE * (fabs(f) + 1)) {
            /* the decrease is below the rounding of f: a line search would only
             * see noise, and the quadratic model is exact enough to step */
            for (int j = 0; j < pb->k; j++)
                theta[j] -= step[j];
            return steps + 1;
        }
        if (!line_step(pb, theta, &f, g, step))
            break;
        steps++;
    }
    return steps;
}

/* Backtracking along -step like line_step, every point with its Hessian (into
 * ws->hess). When no point is taken, ws->hess is that of theta again and
 * false is returned. */
static bool line_step_exact(fit_ws *ws, const fit_problem *pb, double *theta, double *f, double *g,
                            const double *step)
{
    double trial[MODEL_MAX_PARAMS], gt[MODEL_MAX_PARAMS], slope = dot(g, step, pb->k);
    for (double t = 1; t > 1e-4; t *= 0.5) {
        for (int j = 0; j < pb->k; j++)
            trial[j] = theta[j] - t * step[j];
        double ft = eval_hessian(ws, pb, trial, gt);
        if (ft < FIT_BAD_VALUE && ft <= *f - 1e-4 * t * slope) {
            memcpy(theta, trial, (size_t)pb->k * sizeof *theta);
            memcpy(g, gt, (size_t)pb->k * sizeof *g);
            *f = ft;
            return true;
        }
    }
    eval_hessian(ws, pb, theta, gt);
    return false;
}

/* Newton on pb with the exact Hessian at every point (models with a batch,
 * where one pass gives f, gradient and Hessian together). Ends with ws->hess
 * that of theta and, when *factored, its factor in ws->chol; *last is the step
 * still ahead. Returns the steps taken. */
static int newton_exact(fit_ws *ws, const fit_problem *pb, double *theta, int max_steps,
                        double *last, bool *factored)
{
    double g[MODEL_MAX_PARAMS], step[MODEL_MAX_PARAMS];
    double f = eval_hessian(ws, pb, theta, g);
    int steps = 0;
    *last = INFINITY;
    while ((*factored = hessian_factor(ws, NULL))) {
        *last = newton_step(ws, g, step, pb->k);
        if (*last < FIT_STEP_TOL || !isfinite(*last) || steps == max_steps)
            break;
        if (dot(g, step, pb->k) < FIT_NOISE * (fabs(f) + 1)) {
            /* the decrease is below the rounding of f: a line search would only
             * see noise, and the quadratic model is exact enough to step; the
             * Hessian this near stays that of theta */
            for (int j = 0; j < pb->k; j++)
                theta[j] -= step[j];
            return steps + 1;
        }
        if (!line_step_exact(ws, pb, theta, &f, g, step))
            break;
        steps++;
    }
    return steps;
}

/* The Newton step still ahead of theta, with the factor in ws->chol. */
static double newton_left(fit_ws *ws, const fit_problem *pb, const double *theta)
{
    double g[MODEL_MAX_PARAMS], step[MODEL_MAX_PARAMS];
    problem_eval(pb, theta, g);
    return newton_step(ws, g, step, pb->k);
}

/* ---- the fit ------------------------------------------------------------------------ */

typedef struct fit_run {
    fit_problem full, search;
    fit_problem mid; /* rows NULL: no middle sample */
    double theta[MODEL_MAX_PARAMS];
    int starts, max_iterations, iterations;
    const double *start; /* cvo_fit_options.start (the data's time unit), or NULL */
    double warm[MODEL_MAX_PARAMS]; /* start as theta on the rescaled times */
    bool warm_set;
    bool optimum; /* the optimiser met its tolerance */
    bool hessian; /* the final Hessian is positive definite */
    bool edge;    /* the search ended at the no-dropout edge (ws->hess not computed) */
} fit_run;

/* Every stride-th row of full (at most sample_rows, into sample) as *out, its
 * weights scaled up to stand for all rows; scratch (NULL: none) prepared for it. */
static void stride_problem(const fit_problem *full, model_row *sample, size_t sample_rows,
                           void *scratch, fit_problem *out)
{
    *out = *full;
    size_t stride = (full->count + sample_rows - 1) / sample_rows, n = 0;
    double weight = 0, all = 0;
    for (size_t i = 0; i < full->count; i++) {
        all += full->rows[i].weight;
        if (i % stride == stride / 2 && n < sample_rows) {
            sample[n] = full->rows[i];
            weight += sample[n++].weight;
        }
    }
    out->rows = sample;
    out->count = n;
    out->weight_factor = weight > 0 ? all / weight : 1;
    out->scratch = scratch;
    if (scratch != NULL)
        full->ops->batch_prepare(sample, n, scratch);
}

/* The smallest power of two w such that at most half of size rows weigh w or more. */
static double heavy_weight(const fit_problem *full, size_t size)
{
    size_t count[64] = {0}, above = 0;
    for (size_t i = 0; i < full->count; i++) {
        int e = 0;
        frexp(full->rows[i].weight, &e);
        count[e < 1 ? 0 : e > 63 ? 63 : e]++;
    }
    int e = 63;
    while (e > 1 && above + count[e] <= size / 2)
        above += count[e--];
    return ldexp(1, e); /* rows in buckets above e weigh at least 2^e */
}

/* A sample for Newton: every row of weight >= heavy_weight as it is (they
 * carry much of the likelihood), and every stride-th of the others, their
 * weights scaled up to stand for all of the others. */
static void heavy_problem(const fit_problem *full, model_row *sample, size_t size, void *scratch,
                          fit_problem *out)
{
    double heavy = heavy_weight(full, size), light = 0, taken = 0;
    size_t light_rows = 0, n = 0;
    for (size_t i = 0; i < full->count; i++)
        if (full->rows[i].weight < heavy)
            light_rows++;
    size_t room = size - size / 2, stride = room > 0 ? (light_rows + room - 1) / room : 1, k = 0;
    if (stride == 0)
        stride = 1;
    for (size_t i = 0; i < full->count && n < size; i++) {
        const model_row *r = &full->rows[i];
        if (r->weight >= heavy) {
            sample[n++] = *r;
            continue;
        }
        light += r->weight;
        if (k++ % stride == stride / 2 && n < size) {
            sample[n++] = *r;
            taken += r->weight;
        }
    }
    double scale = taken > 0 ? light / taken : 1;
    for (size_t i = 0; i < n; i++)
        if (sample[i].weight < heavy)
            sample[i].weight *= scale;
    *out = *full;
    out->rows = sample;
    out->count = n;
    out->weight_factor = 1;
    out->scratch = scratch;
    if (scratch != NULL)
        full->ops->batch_prepare(sample, n, scratch);
}

/* The search problem: all rows, or every stride-th row when there are many;
 * and the middle sample when ws has room for one. */
static void search_problem(fit_run *run, fit_ws *ws, size_t sample_rows)
{
    run->search = run->full;
    run->mid.rows = NULL;
    if (ws->sample == NULL)
        return;
    stride_problem(&run->full, ws->sample, sample_rows, ws->sample_scratch, &run->search);
    if (ws->mid != NULL)
        heavy_problem(&run->full, ws->mid, FIT_MID_FACTOR * sample_rows, ws->mid_scratch,
                      &run->mid);
}

/* Size of the middle sample for a fit of rows rows (0: none). */
static size_t mid_rows(const model_ops *ops, size_t rows, size_t sample_rows)
{
    if (!has_batch(ops) || sample_rows == 0)
        return 0;
    if (rows / (FIT_MID_FACTOR * FIT_MID_MIN) < sample_rows)
        return 0;
    return FIT_MID_FACTOR * sample_rows;
}

/* Points pb at the batch caches in scratch (NULL: row by row), prepared for its rows. */
static void problem_attach(fit_problem *pb, void *scratch)
{
    pb->scratch = scratch;
    if (scratch != NULL)
        pb->ops->batch_prepare(pb->rows, pb->count, scratch);
}

/* On a sample: a few Newton steps on all rows with the sample's curvature,
 * then the Hessian of all rows (BFGS on all rows when the sample's is singular). */
static bool leave_sample(fit_ws *ws, fit_run *run, bool factored, double gtol)
{
    double last;
    if (factored)
        run->iterations += polish(ws, &run->full, run->theta, FIT_SAMPLE_STEPS, &last);
    else
        run->iterations +=
            minimise(ws, &run->full, run->theta, run->max_iterations, gtol, &run->optimum);
    hessian(ws, &run->full, run->theta);
    return hessian_factor(ws, NULL);
}

/* After the search, Newton with exact Hessians on all rows (models with a
 * batch): a few passes. False when a Hessian on the way is not positive
 * definite; run is then as the search left it. */
static bool exact_finish(fit_ws *ws, fit_run *run)
{
    double theta[MODEL_MAX_PARAMS], last;
    bool factored;
    if (run->full.scratch == NULL)
        return false;
    memcpy(theta, run->theta, sizeof theta);
    int steps = newton_exact(ws, &run->full, theta, FIT_POLISH_STEPS, &last, &factored);
    if (!factored)
        return false;
    memcpy(run->theta, theta, sizeof theta);
    run->iterations += steps;
    run->hessian = true;
    run->optimum = last < FIT_STEP_OK;
    return true;
}

/* Newton with exact Hessians on the middle sample from the search's optimum:
 * close to that of all rows for a fraction of a pass over them. Keeps theta
 * when no step is taken. */
static void mid_newton(fit_ws *ws, fit_run *run)
{
    double theta[MODEL_MAX_PARAMS], last;
    bool factored;
    if (run->mid.rows == NULL)
        return;
    memcpy(theta, run->theta, sizeof theta);
    int steps = newton_exact(ws, &run->mid, theta, FIT_MID_STEPS, &last, &factored);
    if (steps > 0) {
        memcpy(run->theta, theta, sizeof theta);
        run->iterations += steps;
    }
}

/* Search (on the sample), Newton polish on all rows; ws->hess ends as the
 * Hessian of all rows at (or within FIT_HESS_MOVE of) theta. */
static void fit_optimise(fit_ws *ws, fit_run *run, double customers)
{
    double gtol = FIT_GRAD_TOL * fmax(customers, 1), last = INFINITY;
    double at[MODEL_MAX_PARAMS];
    int k = run->full.k;
    run->iterations = multistart(ws, ws->other, &run->search, run->starts, run->max_iterations,
                                 gtol, run->warm_set ? run->warm : NULL, run->theta,
                                 &run->optimum);
    if ((run->edge = at_edge(run->full.ops, run->theta)))
        return;
    mid_newton(ws, run);
    if (exact_finish(ws, run))
        return;
    hessian(ws, &run->search, run->theta);
    bool factored = hessian_factor(ws, NULL);
    if (run->search.rows != run->full.rows)
        factored = leave_sample(ws, run, factored, gtol);
    memcpy(at, run->theta, sizeof at);
    if (factored)
        run->iterations += polish(ws, &run->full, run->theta, FIT_POLISH_STEPS, &last);
    if (factored && distance(at, run->theta, k) > FIT_HESS_MOVE) {
        hessian(ws, &run->full, run->theta);
        factored = hessian_factor(ws, NULL);
    }
    if (factored)
        last = newton_left(ws, &run->full, run->theta);
    run->hessian = factored;
    if (factored)
        run->optimum = last < FIT_STEP_OK;
}

/* Natural parameters and standard errors into out. */
static void fit_report(fit_ws *ws, fit_run *run, double time_scale, cvo_fit *out)
{
    const model_ops *ops = run->full.ops;
    double penalty_curv[MODEL_MAX_PARAMS];
    for (int k = 0; k < ops->nparams; k++) {
        double p = exp(run->theta[k]);
        penalty_curv[k] = 4 * run->full.penalty * p * p;
        out->params[k] = (ops->time_scale_mask >> k) & 1u ? p / time_scale : p;
    }
    if (run->edge || !hessian_factor(ws, penalty_curv))
        return;
    if (gsl_linalg_cholesky_invert(ws->chol) != GSL_SUCCESS)
        return;
    for (int k = 0; k < ops->nparams; k++) {
        double v = gsl_matrix_get(ws->chol, (size_t)k, (size_t)k);
        out->std_error[k] = v > 0 && isfinite(v) ? out->params[k] * sqrt(v) : NAN;
    }
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
    double f = problem_eval(&pb, theta, NULL);
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
    size_t mid = sampled ? mid_rows(run->full.ops, rows->count, sample_rows) : 0;
    CVO_TRY(ws_alloc(ctx, &ws, run->full.ops, sampled ? sample_rows : 0, mid));
    fit_ws other;
    if (run->starts > 1) {
        cvo_status status = ws_alloc(ctx, &other, run->full.ops, 0, 0);
        if (status != CVO_OK) {
            ws_free(ctx, &ws);
            return status;
        }
        ws.other = &other;
    }
    problem_attach(&run->full, ws.full_scratch);
    search_problem(run, &ws, sample_rows);
    fit_optimise(&ws, run, rows->weight);
    run->edge =
        run->edge || at_edge(run->full.ops, run->theta) ||
        (!(run->optimum && run->hessian) && edge_within(run->full.ops, run->theta, FIT_NEAR_EDGE));
    fit_report(&ws, run, scale, out);
    restore_times(rows, scale);
    cvo_fit nbd;
    cvo_status status = run->edge ? edge_finish(ctx, rows, run, sample_rows, &nbd, out) : CVO_OK;
    if (status == CVO_OK)
        out->loglik = natural_loglik(&run->full, rows, out->params, ws.full_scratch);
    if (ws.other != NULL)
        ws_free(ctx, ws.other);
    ws_free(ctx, &ws);
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
