/* fit_newton.c - after the search: Newton polish with the Hessian (analytic from
 * a model's batch, else central differences), the middle sample, and the standard
 * errors from the inverse Hessian. Invariant: the standard errors come from the
 * Hessian of all rows at (or within FIT_HESS_MOVE of) the reported theta. */
#include "models/fit_impl.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <string.h>

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
/* The Hessian for the standard errors is recomputed when theta moved more than this. */
#define FIT_HESS_MOVE 1e-3
/* Step in theta of the central differences for the Hessian. */
#define FIT_HESS_STEP 1e-4

/* ---- Hessian and Newton polish ---------------------------------------------------- */

/* fit_problem_eval with the Hessian of f into ws->hess, in one pass of the model's
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
    return fit_problem_value(pb, p, ll, g, grad);
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
        fit_problem_eval(pb, at, gp);
        at[i] = theta[i] - FIT_HESS_STEP;
        fit_problem_eval(pb, at, gm);
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
        double ft = fit_problem_eval(pb, trial, gt);
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
    double f = fit_problem_eval(pb, theta, g);
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
    fit_problem_eval(pb, theta, g);
    return newton_step(ws, g, step, pb->k);
}

/* ---- after the search ------------------------------------------------------------- */

/* On a sample: a few Newton steps on all rows with the sample's curvature,
 * then the Hessian of all rows (BFGS on all rows when the sample's is singular). */
static bool leave_sample(fit_ws *ws, fit_run *run, bool factored, double gtol)
{
    double last;
    if (factored)
        run->iterations += polish(ws, &run->full, run->theta, FIT_SAMPLE_STEPS, &last);
    else
        run->iterations +=
            fit_minimise(ws, &run->full, run->theta, run->max_iterations, gtol, &run->optimum);
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
void fit_optimise(fit_ws *ws, fit_run *run, double customers)
{
    double gtol = FIT_GRAD_TOL * fmax(customers, 1), last = INFINITY;
    double at[MODEL_MAX_PARAMS];
    int k = run->full.k;
    run->iterations = fit_multistart(ws, ws->other, &run->search, run->starts, run->max_iterations,
                                 gtol, run->warm_set ? run->warm : NULL, run->theta,
                                 &run->optimum);
    if ((run->edge = fit_at_edge(run->full.ops, run->theta)))
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
    if (factored && fit_distance(at, run->theta, k) > FIT_HESS_MOVE) {
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
void fit_report(fit_ws *ws, fit_run *run, double time_scale, cvo_fit *out)
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
