/* fit_optim.c - the objective of a fit (-log-likelihood in theta = ln p, with its
 * gradient) and its minimisers: GSL BFGS, the simplex fallback, several starts
 * (two at a time on their own workspaces). Invariant: a start's result does not
 * depend on whether it ran beside another. */
#include "models/fit_impl.h"

#include "base/hash.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* A dropout below this (ops->dropout, rescaled time) is the no-dropout edge:
 * fewer than one customer in a million would drop out over the whole history. */
#define FIT_NO_DROPOUT 1e-6

/* ---- the objective ---------------------------------------------------------------- */

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
double fit_problem_value(const fit_problem *pb, const double *p, double ll, const double *sum,
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
double fit_problem_eval(const fit_problem *pb, const double *theta, double *grad)
{
    double p[MODEL_MAX_PARAMS], sum[MODEL_MAX_PARAMS] = {0};
    for (int j = 0; j < pb->k; j++)
        p[j] = exp(theta[j]);
    double ll = problem_sum(pb, p, grad ? sum : NULL);
    return fit_problem_value(pb, p, ll, sum, grad);
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
        e->f = fit_problem_eval(e->pb, theta, e->grad);
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
    return fit_problem_eval(data, theta, NULL);
}

/* ---- workspace: sized once per fit, nothing allocated while iterating ------------- */

void fit_ws_free(cvo_ctx *ctx, fit_ws *ws)
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

bool fit_has_batch(const model_ops *ops)
{
    return ops->loglik_sum != NULL && ops->batch_prepare != NULL;
}

/* The batch caches of a model with loglik_sum: one for all rows, one for the
 * sample, one with the middle sample (mid > 0). */
static bool ws_alloc_scratch(cvo_ctx *ctx, fit_ws *ws, const model_ops *ops, size_t sample,
                             size_t mid)
{
    if (!fit_has_batch(ops))
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

cvo_status fit_ws_alloc(cvo_ctx *ctx, fit_ws *ws, const model_ops *ops, size_t sample, size_t mid)
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
        fit_ws_free(ctx, ws);
        return ctx_nomem(ctx);
    }
    return CVO_OK;
}

/* ---- minimisers ------------------------------------------------------------------- */

/* Whether theta's dropout is below limit (false for a model without dropout). */
bool fit_edge_within(const model_ops *ops, const double *theta, double limit)
{
    double p[MODEL_MAX_PARAMS];
    if (ops->dropout == NULL)
        return false;
    for (int k = 0; k < ops->nparams; k++)
        p[k] = exp(theta[k]);
    return ops->dropout(p) < limit;
}

/* Whether theta is at the model's no-dropout edge. */
bool fit_at_edge(const model_ops *ops, const double *theta)
{
    return fit_edge_within(ops, theta, FIT_NO_DROPOUT);
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
        if (status != GSL_SUCCESS || fit_at_edge(pb->ops, ws->bfgs->x->data) || cancelled(pb))
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
    double start_f = fit_problem_eval(pb, theta, NULL);
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
int fit_minimise(fit_ws *ws, fit_problem *pb, double *theta, int max_iter, double gtol, bool *ok)
{
    int it = bfgs_run(ws, pb, theta, max_iter, gtol, ok);
    if (*ok || fit_at_edge(pb->ops, theta))
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
    s->it = fit_minimise(s->ws, &s->pb, s->theta, s->max_iter, s->gtol, &s->ok);
    if (s->edge_signal != NULL && fit_at_edge(s->pb.ops, s->theta))
        atomic_store(s->edge_signal, true);
    s->f = fit_problem_eval(&s->pb, s->theta, NULL);
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

double fit_distance(const double *a, const double *b, int k)
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
    return fit_distance(a->theta, b->theta, ops->nparams) <= FIT_AGREE_THETA;
}

/* Several starts on pb; theta receives the best optimum. Returns iterations of
 * the start kept; *ok its gradient test. With a second workspace (other not
 * NULL) starts run two at a time; each start is computed alone either way and
 * the best is kept in start order, so the result is the same. A pair of starts
 * that agree ends the search (starts_agree). */
int fit_multistart(fit_ws *ws, fit_ws *other, fit_problem *pb, int starts, int max_iter,
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
        if (j == 0 && fit_at_edge(pb->ops, jobs[0].theta))
            count = 1;
        for (int m = 0; m < count; m++) {
            if (j + m == 0 || jobs[m].f < best_f) {
                best_f = jobs[m].f;
                best_it = jobs[m].it;
                *ok = jobs[m].ok;
                memcpy(theta, jobs[m].theta, sizeof jobs[m].theta);
            }
        }
        if (fit_at_edge(pb->ops, theta))
            break; /* the NBD answers there; more starts would crawl the same flat edge */
        if (count == 2 && starts_agree(pb->ops, &jobs[0], &jobs[1]))
            break;
    }
    return best_it;
}
