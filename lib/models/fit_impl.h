/* fit_impl.h - what the files of the maximum-likelihood fitter share, beyond
 * fit.h: fit.c (entry points, judgement), fit_rows.c (rows, samples), fit_optim.c
 * (objective, BFGS/simplex, starts), fit_newton.c (Newton polish, standard errors).
 * Kept out of fit.h, which the covariate fit and the tests include.
 * Invariant: the optimiser sees theta = ln p over compressed, time-rescaled rows. */
#ifndef CVO_FIT_IMPL_H
#define CVO_FIT_IMPL_H

#include "models/fit.h"

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multimin.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* Returned for a point where the log-likelihood is not finite: large enough
 * that every line search backs off, finite so that its interpolation stays sane. */
#define FIT_BAD_VALUE 1e300
/* Fits with at least FIT_MID_FACTOR x FIT_MID_MIN x the sample's rows run Newton on a
 * middle sample of FIT_MID_FACTOR x the sample's rows between the search and
 * Newton on all rows (at most FIT_MID_STEPS steps): Newton on all rows then
 * starts closer and takes fewer passes over all rows. */
#define FIT_MID_FACTOR 8
#define FIT_MID_MIN 8
#define FIT_MID_STEPS 6

/* The objective on a set of rows: f(theta) = -weight_factor sum w loglik(e^theta)
 * + penalty sum e^(2 theta), minimised over theta = ln p. */
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

/* The workspace: sized once per fit, nothing allocated while iterating. */
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

/* One fit on its rows: the problems, the optimum and how it was reached. */
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

/* fit_rows.c: the samples. */

/* The search problem: all rows, or every stride-th row when there are many;
 * and the middle sample when ws has room for one. */
void fit_search_problem(fit_run *run, fit_ws *ws, size_t sample_rows);
/* Size of the middle sample for a fit of rows rows (0: none). */
size_t fit_mid_rows(const model_ops *ops, size_t rows, size_t sample_rows);

/* fit_optim.c: the objective, the workspace and the minimisers. */

/* f(theta) and its gradient (grad not NULL) from ll = sum w loglik(p) and sum,
 * its gradient in p = e^theta; FIT_BAD_VALUE (gradient 0) where not finite. */
double fit_problem_value(const fit_problem *pb, const double *p, double ll, const double *sum,
                         double *grad);
/* f and (when grad is not NULL) its gradient at theta. */
double fit_problem_eval(const fit_problem *pb, const double *theta, double *grad);
/* Whether the model has a batch log-likelihood (loglik_sum with its caches). */
bool fit_has_batch(const model_ops *ops);
/* The workspace of a fit with a sample and a middle sample of these many rows
 * (0: none); fit_ws_free frees it. Errors: CVO_ERR_NOMEM. */
cvo_status fit_ws_alloc(cvo_ctx *ctx, fit_ws *ws, const model_ops *ops, size_t sample,
                        size_t mid) CVO_MUST_USE;
void fit_ws_free(cvo_ctx *ctx, fit_ws *ws);
/* Whether theta's dropout is below limit (false for a model without dropout). */
bool fit_edge_within(const model_ops *ops, const double *theta, double limit);
/* Whether theta is at the model's no-dropout edge. */
bool fit_at_edge(const model_ops *ops, const double *theta);
/* BFGS; on failure the simplex and BFGS again. Returns the iterations; *ok when
 * the gradient test passed. */
int fit_minimise(fit_ws *ws, fit_problem *pb, double *theta, int max_iter, double gtol, bool *ok);
/* The largest difference of two points' components. */
double fit_distance(const double *a, const double *b, int k);
/* Several starts on pb (two at a time with other); theta receives the best
 * optimum. Returns the iterations of the start kept; *ok its gradient test. */
int fit_multistart(fit_ws *ws, fit_ws *other, fit_problem *pb, int starts, int max_iter,
                   double gtol, const double *warm, double *theta, bool *ok);

/* fit_newton.c: after the search. */

/* Search (on the sample), Newton polish on all rows; ws->hess ends as the
 * Hessian of all rows at (or within FIT_HESS_MOVE of) theta. */
void fit_optimise(fit_ws *ws, fit_run *run, double customers);
/* Natural parameters and standard errors into out. */
void fit_report(fit_ws *ws, fit_run *run, double time_scale, cvo_fit *out);

#endif
