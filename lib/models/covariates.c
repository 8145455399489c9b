/* covariates.c - static covariates in BG/NBD and Pareto/NBD (CLVTools'
 * parametrisation, see cvo.h): the maximum-likelihood fit by damped Newton
 * steps, standard errors and likelihood-ratio tests. The matrix itself is in
 * covariates_matrix.c, an effect in words in covariates_text.c.
 * Invariant: a customer's log-likelihood is the model's own (ops->loglik) at
 * the customer's parameters; the optimiser sees theta = (ln p, g_p, g_d) over
 * rows grouped by covariate pattern, in rescaled time (largest T = 1). */
#include "models/covariates.h"
#include "models/fit.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Step in ln p of the differences for a pattern's Hessian. */
#define COV_HESS_STEP 1e-4
/* Newton stops when every |gradient| is below this per customer, or a step is below COV_STEP_TOL.
 */
#define COV_GRAD_TOL 1e-7
#define COV_STEP_TOL 1e-10
/* Levenberg damping: start, growth on a failed step, cap. */
#define COV_DAMP_START 1e-6
#define COV_DAMP_GROW 10.0
#define COV_DAMP_MAX 1e12
/* A fit with |ln p| (rescaled time) or |gamma| beyond these ran to an edge of
 * the parameter space (BG/NBD's a and b -> infinity: every customer with the
 * same dropout chance; a dropout effect of e^10): no interior maximum. */
#define COV_LOG_PARAM_MAX 12.0
#define COV_GAMMA_MAX 10.0
/* The 97.5% normal quantile of the 95% intervals. */
#define COV_Z95 1.959963984540054

/* ---- where the covariates enter ---------------------------------------------------- */

/* Which natural parameter each process scales, and with which sign of x'g. */
typedef struct cov_role {
    int purchase;   /* alpha */
    int dropout[2]; /* beta; or a and b */
    int dropout_count;
    double dropout_sign; /* -1: beta exp(-x'g_d); +1: a exp(x'g_d), b exp(x'g_d) */
} cov_role;

static const cov_role pnbd_role = {1, {3, 3}, 1, -1};
static const cov_role bgnbd_role = {1, {2, 3}, 2, +1};

/* ---- the problem ------------------------------------------------------------------- */

/* Summary rows sharing one covariate row, with identical (x, t_x, T) merged. */
typedef struct cov_pattern {
    double x[COV_MAX];
    size_t first, count; /* into the problem's rows */
} cov_pattern;

typedef struct cov_problem {
    const model_ops *ops;
    const cov_role *role;
    model_row *rows;
    size_t count;
    cov_pattern *patterns;
    size_t pattern_count;
    size_t columns;
    int k;                 /* COV_NAT + 2 columns */
    bool fixed[COV_K_MAX]; /* held at its value (0 for a tested gamma) */
    double scale;          /* times were divided by it */
    double weight;         /* customers */
    double weighted_x; /* sum of weight x: ln L in the summary's time = rescaled - this ln scale */
} cov_problem;

/* A row of the sort: summary row index, with its covariate row. */
typedef struct sort_item {
    const double *x;
    size_t columns;
    model_row row;
} sort_item;

static int compare_items(const void *pa, const void *pb)
{
    const sort_item *a = pa, *b = pb;
    for (size_t j = 0; j < a->columns; j++)
        if (a->x[j] != b->x[j])
            return a->x[j] < b->x[j] ? -1 : 1;
    const double ka[3] = {a->row.x, a->row.t_x, a->row.T}, kb[3] = {b->row.x, b->row.t_x, b->row.T};
    for (int j = 0; j < 3; j++)
        if (ka[j] != kb[j])
            return ka[j] < kb[j] ? -1 : 1;
    return 0;
}

static bool same_x(const sort_item *a, const sort_item *b)
{
    return memcmp(a->x, b->x, a->columns * sizeof *a->x) == 0;
}

static void problem_free(cvo_ctx *ctx, cov_problem *pb)
{
    mem_free(ctx, pb->rows);
    mem_free(ctx, pb->patterns);
}

/* The usable summary rows as sort items; *n how many. */
static cvo_status collect_items(cvo_ctx *ctx, const cvo_summary *summary, const cvo_covariates *cov,
                                size_t max_customers, sort_item *items, size_t *n)
{
    *n = 0;
    size_t total = cvo_summary_count(summary);
    size_t stride = max_customers > 0 && total > max_customers
                        ? (total + max_customers - 1) / max_customers
                        : 1;
    for (size_t i = 0; i < total; i += stride) {
        const cvo_summary_row *s = cvo_summary_at(summary, i);
        if (!(s->weight > 0))
            continue;
        if (!(isfinite(s->x) && s->x >= 0 && isfinite(s->T) && s->t_x >= 0 && s->t_x <= s->T &&
              isfinite(s->weight)))
            return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                            "summary row %zu: x, t_x, T must satisfy x >= 0, 0 <= t_x <= T", i + 1);
        sort_item *it = &items[(*n)++];
        it->x = &cov->values[i * COV_MAX];
        it->columns = cov->columns;
        it->row = (model_row){s->x, s->x > 0 ? s->t_x : 0, s->T, 0, s->weight};
    }
    return CVO_OK;
}

/* Rows grouped by pattern and merged, times divided by the largest T. */
static cvo_status problem_rows(cvo_ctx *ctx, cov_problem *pb, sort_item *items, size_t n)
{
    if (n > 1)
        qsort(items, n, sizeof *items, compare_items);
    pb->rows = mem_array(ctx, n, sizeof *pb->rows);
    pb->patterns = mem_array(ctx, n, sizeof *pb->patterns);
    if (pb->rows == NULL || pb->patterns == NULL)
        return ctx_nomem(ctx);
    double max_T = 0;
    for (size_t i = 0; i < n; i++) {
        bool new_pattern = i == 0 || !same_x(&items[i], &items[i - 1]);
        if (new_pattern) {
            cov_pattern *q = &pb->patterns[pb->pattern_count++];
            memcpy(q->x, items[i].x, pb->columns * sizeof *q->x);
            q->first = pb->count;
            q->count = 0;
        }
        cov_pattern *q = &pb->patterns[pb->pattern_count - 1];
        const model_row *r = &items[i].row;
        model_row *last = q->count > 0 ? &pb->rows[pb->count - 1] : NULL;
        if (last != NULL && last->x == r->x && last->t_x == r->t_x && last->T == r->T) {
            last->weight += r->weight;
        } else {
            pb->rows[pb->count++] = *r;
            q->count++;
        }
        pb->weight += r->weight;
        pb->weighted_x += r->weight * r->x;
        max_T = fmax(max_T, r->T);
    }
    pb->scale = max_T > 0 ? max_T : 1;
    for (size_t i = 0; i < pb->count; i++) {
        pb->rows[i].t_x /= pb->scale;
        pb->rows[i].T /= pb->scale;
    }
    return CVO_OK;
}

static cvo_status problem_build(cvo_ctx *ctx, const model_ops *ops, const cov_role *role,
                                const cvo_summary *summary, const cvo_covariates *cov,
                                size_t max_customers, cov_problem *pb)
{
    memset(pb, 0, sizeof *pb);
    pb->ops = ops;
    pb->role = role;
    pb->columns = cov->columns;
    pb->k = COV_NAT + 2 * (int)cov->columns;
    size_t total = cvo_summary_count(summary), n = 0;
    sort_item *items = mem_array(ctx, total, sizeof *items);
    if (items == NULL)
        return ctx_nomem(ctx);
    cvo_status status = collect_items(ctx, summary, cov, max_customers, items, &n);
    if (status == CVO_OK && n == 0)
        status = ctx_fail(ctx, CVO_ERR_EMPTY, "no customer to fit the covariates on");
    if (status == CVO_OK)
        status = problem_rows(ctx, pb, items, n);
    mem_free(ctx, items);
    if (status != CVO_OK)
        problem_free(ctx, pb);
    return status;
}

/* ---- the objective ----------------------------------------------------------------- */

/* ln p of pattern q at theta: the base ln p plus the linear predictors. */
static void pattern_log_params(const cov_problem *pb, const cov_pattern *q, const double *theta,
                               double *u)
{
    double eta_p = 0, eta_d = 0;
    size_t c = pb->columns;
    for (size_t j = 0; j < c; j++) {
        eta_p += q->x[j] * theta[COV_NAT + j];
        eta_d += q->x[j] * theta[COV_NAT + c + j];
    }
    for (int m = 0; m < COV_NAT; m++)
        u[m] = theta[m];
    u[pb->role->purchase] -= eta_p;
    for (int d = 0; d < pb->role->dropout_count; d++)
        u[pb->role->dropout[d]] += pb->role->dropout_sign * eta_d;
}

/* sum w ln L over pattern q's rows at ln p = u, and its gradient in u
 * (d/du_m = p_m d/dp_m) into gu when not NULL. -INFINITY when not finite. */
static double pattern_sum(const cov_problem *pb, const cov_pattern *q, const double *u, double *gu)
{
    double p[COV_NAT], g[COV_NAT], sum = 0;
    for (int m = 0; m < COV_NAT; m++) {
        p[m] = exp(u[m]);
        if (gu != NULL)
            gu[m] = 0;
    }
    for (size_t i = q->first; i < q->first + q->count; i++) {
        const model_row *row = &pb->rows[i];
        double ll = pb->ops->loglik(p, row, gu != NULL ? g : NULL);
        if (!isfinite(ll))
            return -INFINITY;
        sum += row->weight * ll;
        for (int m = 0; gu != NULL && m < COV_NAT; m++)
            gu[m] += row->weight * g[m] * p[m];
    }
    return sum;
}

/* The Hessian of pattern_sum in u by differences of its gradient: central
 * ones for the standard errors, forward ones from gu (the gradient at u) for
 * the Newton steps, at half the cost. */
static bool pattern_hessian(const cov_problem *pb, const cov_pattern *q, const double *u,
                            const double *gu, bool central, double hu[COV_NAT][COV_NAT])
{
    double at[COV_NAT], gp[COV_NAT], gm[COV_NAT];
    for (int m = 0; m < COV_NAT; m++) {
        memcpy(at, u, sizeof at);
        at[m] = u[m] + COV_HESS_STEP;
        double fp = pattern_sum(pb, q, at, gp), fm = 0;
        if (central) {
            at[m] = u[m] - COV_HESS_STEP;
            fm = pattern_sum(pb, q, at, gm);
        } else {
            memcpy(gm, gu, sizeof gm);
        }
        if (!isfinite(fp) || !isfinite(fm))
            return false;
        for (int n = 0; n < COV_NAT; n++)
            hu[m][n] = (gp[n] - gm[n]) / ((central ? 2 : 1) * COV_HESS_STEP);
    }
    for (int m = 0; m < COV_NAT; m++)
        for (int n = 0; n < m; n++)
            hu[m][n] = hu[n][m] = 0.5 * (hu[m][n] + hu[n][m]);
    return true;
}

/* d u_m / d theta as a dense row of length k. */
static void pattern_jacobian(const cov_problem *pb, const cov_pattern *q,
                             double jac[COV_NAT][COV_K_MAX])
{
    size_t c = pb->columns;
    memset(jac, 0, sizeof(double) * COV_NAT * COV_K_MAX);
    for (int m = 0; m < COV_NAT; m++)
        jac[m][m] = 1;
    for (size_t j = 0; j < c; j++)
        jac[pb->role->purchase][COV_NAT + j] = -q->x[j];
    for (int d = 0; d < pb->role->dropout_count; d++)
        for (size_t j = 0; j < c; j++)
            jac[pb->role->dropout[d]][COV_NAT + c + j] = pb->role->dropout_sign * q->x[j];
}

/* f = -sum w ln L at theta; its gradient (grad) and Hessian (hess, k x k,
 * row-major; grad then too) in theta when not NULL, the Hessian by central
 * differences when central. INFINITY where ln L is not finite. */
static double problem_eval_with(const cov_problem *pb, const double *theta, double *grad,
                                double *hess, bool central)
{
    int k = pb->k;
    double f = 0;
    if (grad != NULL)
        memset(grad, 0, (size_t)k * sizeof *grad);
    if (hess != NULL)
        memset(hess, 0, (size_t)(k * k) * sizeof *hess);
    for (size_t qi = 0; qi < pb->pattern_count; qi++) {
        const cov_pattern *q = &pb->patterns[qi];
        double u[COV_NAT], gu[COV_NAT], hu[COV_NAT][COV_NAT], jac[COV_NAT][COV_K_MAX];
        pattern_log_params(pb, q, theta, u);
        double ll = pattern_sum(pb, q, u, grad != NULL ? gu : NULL);
        if (!isfinite(ll) || (hess != NULL && !pattern_hessian(pb, q, u, gu, central, hu)))
            return INFINITY;
        f -= ll;
        if (grad == NULL)
            continue;
        pattern_jacobian(pb, q, jac);
        for (int m = 0; m < COV_NAT; m++)
            for (int a = 0; a < k; a++)
                grad[a] -= jac[m][a] * gu[m];
        for (int m = 0; hess != NULL && m < COV_NAT; m++)
            for (int n = 0; n < COV_NAT; n++)
                for (int a = 0; a < k; a++)
                    for (int b = 0; jac[m][a] != 0 && b < k; b++)
                        hess[a * k + b] -= jac[m][a] * hu[m][n] * jac[n][b];
    }
    return f;
}

static double problem_eval(const cov_problem *pb, const double *theta, double *grad, double *hess)
{
    return problem_eval_with(pb, theta, grad, hess, false);
}

/* ---- damped Newton ------------------------------------------------------------------ */

typedef struct cov_solver {
    double h[COV_K_MAX * COV_K_MAX]; /* free x free, factored */
    double g[COV_K_MAX], step[COV_K_MAX];
    int free_index[COV_K_MAX];
    int free_count;
} cov_solver;

/* The free block of hess plus damp on the diagonal, Cholesky-factored in
 * s->h; false when not positive definite. */
static bool solver_factor(cov_solver *s, const double *hess, int k, double damp)
{
    int n = s->free_count;
    gsl_matrix_view h = gsl_matrix_view_array(s->h, (size_t)n, (size_t)n);
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            double v = hess[s->free_index[a] * k + s->free_index[b]];
            if (!isfinite(v))
                return false;
            gsl_matrix_set(&h.matrix, (size_t)a, (size_t)b,
                           v + (a == b ? damp * fmax(1.0, fabs(v)) : 0));
        }
    return gsl_linalg_cholesky_decomp1(&h.matrix) == GSL_SUCCESS;
}

/* The step -H^-1 g over the free components into step (fixed ones 0). */
static bool solver_step(cov_solver *s, const double *grad, double *step, int k)
{
    int n = s->free_count;
    gsl_matrix_view h = gsl_matrix_view_array(s->h, (size_t)n, (size_t)n);
    gsl_vector_view g = gsl_vector_view_array(s->g, (size_t)n);
    gsl_vector_view d = gsl_vector_view_array(s->step, (size_t)n);
    for (int a = 0; a < n; a++)
        gsl_vector_set(&g.vector, (size_t)a, -grad[s->free_index[a]]);
    if (gsl_linalg_cholesky_solve(&h.matrix, &g.vector, &d.vector) != GSL_SUCCESS)
        return false;
    memset(step, 0, (size_t)k * sizeof *step);
    for (int a = 0; a < n; a++)
        step[s->free_index[a]] = gsl_vector_get(&d.vector, (size_t)a);
    return true;
}

static double free_grad_max(const cov_solver *s, const double *grad)
{
    double biggest = 0;
    for (int a = 0; a < s->free_count; a++)
        biggest = fmax(biggest, fabs(grad[s->free_index[a]]));
    return biggest;
}

typedef struct newton_result {
    double f;
    int iterations;
    bool converged;
    bool edge; /* stopped: a free component ran beyond COV_LOG_PARAM_MAX or COV_GAMMA_MAX */
} newton_result;

/* Whether a free component of theta is beyond its bound (an edge of the space:
 * the steps would crawl after it for ever). */
static bool beyond_edge(const cov_problem *pb, const double *theta)
{
    for (int a = 0; a < pb->k; a++)
        if (!pb->fixed[a] && fabs(theta[a]) > (a < COV_NAT ? COV_LOG_PARAM_MAX : COV_GAMMA_MAX))
            return true;
    return false;
}

/* One accepted damped step from theta (f, grad, hess there); false when no
 * damping finds a lower f. *damp carries over between steps. */
static bool newton_step(const cov_problem *pb, cov_solver *s, double *theta, double *f,
                        const double *grad, const double *hess, double *damp, double *moved)
{
    int k = pb->k;
    double step[COV_K_MAX], trial[COV_K_MAX];
    for (; *damp <= COV_DAMP_MAX; *damp *= COV_DAMP_GROW) {
        if (!solver_factor(s, hess, k, *damp) || !solver_step(s, grad, step, k))
            continue;
        *moved = 0;
        for (int a = 0; a < k; a++) {
            trial[a] = theta[a] + step[a];
            *moved = fmax(*moved, fabs(step[a]));
        }
        double ft = problem_eval(pb, trial, NULL, NULL);
        if (ft <= *f || *moved < COV_STEP_TOL) {
            memcpy(theta, trial, (size_t)k * sizeof *theta);
            *f = fmin(ft, *f);
            *damp = fmax(*damp / (COV_DAMP_GROW * COV_DAMP_GROW), COV_DAMP_START);
            return true;
        }
    }
    return false;
}

/* Maximises over the components not fixed, from theta; hess holds the last
 * Hessian (at the returned theta when converged). */
static newton_result newton_run(const cov_problem *pb, cov_solver *s, double *theta, double *hess,
                                int max_iterations)
{
    int k = pb->k;
    double grad[COV_K_MAX], damp = COV_DAMP_START;
    newton_result out = {INFINITY, 0, false, false};
    s->free_count = 0;
    for (int a = 0; a < k; a++)
        if (!pb->fixed[a])
            s->free_index[s->free_count++] = a;
    for (out.iterations = 0; out.iterations < max_iterations; out.iterations++) {
        out.f = problem_eval(pb, theta, grad, hess);
        if (!isfinite(out.f))
            return out;
        if (free_grad_max(s, grad) < COV_GRAD_TOL * pb->weight) {
            out.converged = true;
            return out;
        }
        double moved = 0;
        if (!newton_step(pb, s, theta, &out.f, grad, hess, &damp, &moved))
            return out;
        if (beyond_edge(pb, theta)) {
            out.edge = true;
            return out;
        }
        if (moved < COV_STEP_TOL) {
            out.f = problem_eval(pb, theta, grad, hess);
            out.converged = isfinite(out.f);
            return out;
        }
    }
    return out;
}

/* ---- the fit ----------------------------------------------------------------------- */

void cvo_cov_options_init(cvo_cov_options *options)
{
    options->lr_tests = true;
    options->max_iterations = 100;
    options->max_customers = 0;
}

static void effect_clear(cvo_cov_effect *e)
{
    *e = (cvo_cov_effect){NAN, NAN, NAN, NAN, NAN, NAN, NAN};
}

static void effect_set(cvo_cov_effect *e, double gamma, double se)
{
    e->gamma = gamma;
    e->std_error = se;
    e->factor = exp(gamma);
    e->factor_low = exp(gamma - COV_Z95 * se);
    e->factor_high = exp(gamma + COV_Z95 * se);
}

static void fit_clear(cvo_cov_fit *out, cvo_model model, const model_ops *ops,
                      const cvo_covariates *cov)
{
    memset(out, 0, sizeof *out);
    out->model = model;
    out->nparams = COV_NAT;
    for (int m = 0; m < COV_NAT; m++) {
        out->param_names[m] = ops->param_names[m];
        out->params[m] = out->std_error[m] = NAN;
    }
    out->columns = cov->columns;
    for (size_t j = 0; j < cov->columns; j++) {
        cvo_cov_column *c = &out->column[j];
        cov_name_copy(c->name, cov->names[j]);
        cov_name_copy(c->group, cov->groups[j]);
        effect_clear(&c->purchase);
        effect_clear(&c->dropout);
    }
    out->loglik = out->loglik_base = out->lr_all = out->lr_all_p = NAN;
}

/* The groups of cov's columns, in order of their first column. */
static void fit_groups(const cvo_covariates *cov, cvo_cov_fit *out)
{
    for (size_t j = 0; j < cov->columns; j++) {
        size_t g = 0;
        while (g < out->groups && strcmp(out->group[g].name, cov->groups[j]) != 0)
            g++;
        cvo_cov_group_test *t = &out->group[g];
        if (g == out->groups) {
            out->groups++;
            cov_name_copy(t->name, cov->groups[j]);
            t->first = j;
            t->count = 0;
            t->lr_stat = t->lr_p = NAN;
        }
        t->count++;
        t->df = 2 * (int)t->count;
    }
}

static void count_customers(const cvo_summary *summary, const cvo_covariates *cov, cvo_cov_fit *out)
{
    for (size_t i = 0; i < cov->rows; i++) {
        double w = cvo_summary_at(summary, i)->weight;
        for (size_t j = 0; j < cov->columns && w > 0; j++)
            out->column[j].customers += cov->values[i * COV_MAX + j] != 0 ? w : 0;
    }
}

/* ln L in the summary's own time from f in rescaled time. */
static double loglik_of(const cov_problem *pb, double f)
{
    return -f - pb->weighted_x * log(pb->scale);
}

/* Standard errors from the inverse of the Hessian of f at the optimum. */
static bool fit_errors(const cov_problem *pb, cov_solver *s, const double *theta,
                       const double *hess, cvo_cov_fit *out)
{
    int k = pb->k;
    if (!solver_factor(s, hess, k, 0))
        return false;
    gsl_matrix_view h = gsl_matrix_view_array(s->h, (size_t)k, (size_t)k);
    if (gsl_linalg_cholesky_invert(&h.matrix) != GSL_SUCCESS)
        return false;
    unsigned mask = pb->ops->time_scale_mask;
    for (int m = 0; m < COV_NAT; m++) {
        double scale = (mask >> m) & 1u ? pb->scale : 1;
        out->params[m] = exp(theta[m]) * scale;
        out->std_error[m] = out->params[m] * sqrt(gsl_matrix_get(&h.matrix, (size_t)m, (size_t)m));
    }
    size_t c = pb->columns;
    for (size_t j = 0; j < c; j++) {
        size_t ip = COV_NAT + j, id = COV_NAT + c + j;
        effect_set(&out->column[j].purchase, theta[ip], sqrt(gsl_matrix_get(&h.matrix, ip, ip)));
        effect_set(&out->column[j].dropout, theta[id], sqrt(gsl_matrix_get(&h.matrix, id, id)));
    }
    return true;
}

/* The likelihood-ratio statistic of holding the components in drop at 0,
 * refitted from the full optimum; NaN when the refit fails. */
static double lr_refit(cov_problem *pb, cov_solver *s, const double *best, double f_best,
                       const bool *drop, double *hess, int max_iterations)
{
    double theta[COV_K_MAX];
    memcpy(theta, best, (size_t)pb->k * sizeof *theta);
    for (int a = 0; a < pb->k; a++) {
        pb->fixed[a] = drop[a];
        if (drop[a])
            theta[a] = 0;
    }
    newton_result r = newton_run(pb, s, theta, hess, max_iterations);
    memset(pb->fixed, 0, sizeof pb->fixed);
    return r.converged ? fmax(0.0, 2 * (r.f - f_best)) : NAN;
}

static void lr_tests(cov_problem *pb, cov_solver *s, const double *best, double f_best,
                     double *hess, int max_iterations, cvo_cov_fit *out)
{
    size_t c = pb->columns;
    bool drop[COV_K_MAX];
    for (size_t j = 0; j < c; j++) {
        for (int process = 0; process < 2; process++) {
            memset(drop, 0, sizeof drop);
            drop[COV_NAT + process * c + j] = true;
            cvo_cov_effect *e = process == 0 ? &out->column[j].purchase : &out->column[j].dropout;
            e->lr_stat = lr_refit(pb, s, best, f_best, drop, hess, max_iterations);
            e->lr_p = isfinite(e->lr_stat) ? gsl_cdf_chisq_Q(e->lr_stat, 1) : NAN;
        }
    }
    for (size_t g = 0; g < out->groups; g++) {
        cvo_cov_group_test *t = &out->group[g];
        memset(drop, 0, sizeof drop);
        for (size_t j = t->first; j < c; j++)
            if (strcmp(out->column[j].group, t->name) == 0)
                drop[COV_NAT + j] = drop[COV_NAT + c + j] = true;
        t->lr_stat = lr_refit(pb, s, best, f_best, drop, hess, max_iterations);
        t->lr_p = isfinite(t->lr_stat) ? gsl_cdf_chisq_Q(t->lr_stat, t->df) : NAN;
    }
}

static const cov_role *role_of(cvo_model model, const model_ops **ops)
{
    *ops = model == CVO_MODEL_PNBD ? pnbd_model() : bgnbd_model();
    return model == CVO_MODEL_PNBD ? &pnbd_role : model == CVO_MODEL_BGNBD ? &bgnbd_role : NULL;
}

/* A start for the model without covariates in rescaled time: unit shapes,
 * the purchase scale from the mean rate, dropout over about the history. */
static void base_start(const cov_problem *pb, double *theta)
{
    double sum_T = 0;
    for (size_t i = 0; i < pb->count; i++)
        sum_T += pb->rows[i].weight * pb->rows[i].T;
    double rate = pb->weighted_x > 0 ? pb->weighted_x / sum_T : 1;
    memset(theta, 0, sizeof(double) * COV_K_MAX);
    theta[0] = 0;                                           /* r = 1 */
    theta[1] = -log(rate);                                  /* alpha: r / alpha = the mean rate */
    theta[2] = 0;                                           /* s or a = 1 */
    theta[3] = pb->role->dropout_count == 2 ? log(3.0) : 0; /* b = 3 (FHL's start), beta = 1 */
}

/* The model without covariates (every gamma held at 0) by the same Newton
 * steps: from base_start, else from cvo_model_fit's answer. f of the maximum
 * into *f; false when neither converges to an interior maximum. */
static bool fit_base(cvo_ctx *ctx, cov_problem *pb, const cvo_summary *summary,
                     const cvo_cov_options *o, double *theta, double *hess, double *f, char *why,
                     size_t why_size)
{
    cov_solver s;
    for (int a = COV_NAT; a < pb->k; a++)
        pb->fixed[a] = true;
    base_start(pb, theta);
    newton_result r = newton_run(pb, &s, theta, hess, o->max_iterations);
    if (!r.converged && !r.edge) {
        cvo_fit base;
        if (cvo_model_fit(ctx, pb->ops == pnbd_model() ? CVO_MODEL_PNBD : CVO_MODEL_BGNBD, summary,
                          NULL, &base) == CVO_OK &&
            base.status == CVO_FIT_CONVERGED) {
            unsigned mask = pb->ops->time_scale_mask;
            for (int m = 0; m < COV_NAT; m++)
                theta[m] = log(base.params[m] / ((mask >> m) & 1u ? pb->scale : 1));
            r = newton_run(pb, &s, theta, hess, o->max_iterations);
        } else {
            snprintf(why, why_size, "the model without covariates %s: no covariate fit",
                     base.status == CVO_FIT_NO_DROPOUT ? "reaches the no-dropout edge"
                                                       : "did not converge");
        }
    }
    memset(pb->fixed, 0, sizeof pb->fixed);
    *f = r.f;
    if (r.edge) {
        double p[COV_NAT];
        for (int m = 0; m < COV_NAT; m++)
            p[m] = exp(theta[m]);
        if (pb->ops->dropout != NULL && pb->ops->dropout(p) < 1e-3)
            snprintf(why, why_size,
                     "the model without covariates goes to the no-dropout edge (nobody drops "
                     "out; the NBD): no covariate fit");
        else
            for (int m = COV_NAT - 1; m >= 0; m--)
                if (fabs(theta[m]) > COV_LOG_PARAM_MAX)
                    snprintf(why, why_size,
                             "the model without covariates has no interior maximum here (%s "
                             "runs to the edge of its range): no covariate fit",
                             pb->ops->param_names[m]);
    }
    if (!r.converged && why[0] == '\0')
        snprintf(why, why_size, "the model without covariates has no interior maximum here");
    return r.converged;
}

/* Names the parameter that ran to an edge of the space into note; false when none did. */
static bool edge_note(const cov_problem *pb, const double *theta, char *note, size_t size)
{
    for (int a = 0; a < pb->k; a++) {
        bool param = a < COV_NAT;
        if (fabs(theta[a]) <= (param ? COV_LOG_PARAM_MAX : COV_GAMMA_MAX))
            continue;
        size_t c = pb->columns, j = param ? 0 : (size_t)(a - COV_NAT) % c;
        if (param)
            snprintf(note, size,
                     "parameter %s ran to the edge of its range: the data cannot tell the "
                     "covariate effects apart here",
                     pb->ops->param_names[a]);
        else
            snprintf(note, size,
                     "the %s effect of covariate %zu ran to the edge of its range (|gamma| > %g)",
                     a - COV_NAT < (int)c ? "purchase" : "dropout", j + 1, COV_GAMMA_MAX);
        return true;
    }
    return false;
}

/* The fit proper: the base, then everything from there. */
static void fit_run(cvo_ctx *ctx, cov_problem *pb, const cvo_summary *summary,
                    const cvo_cov_options *o, cvo_cov_fit *out)
{
    double theta[COV_K_MAX] = {0}, hess[COV_K_MAX * COV_K_MAX], grad[COV_K_MAX];
    double f_base = INFINITY;
    cov_solver s;
    if (!fit_base(ctx, pb, summary, o, theta, hess, &f_base, out->note, sizeof out->note))
        return;
    out->loglik_base = loglik_of(pb, f_base);
    newton_result r = newton_run(pb, &s, theta, hess, o->max_iterations);
    out->iterations = r.iterations;
    bool edge = (r.edge || r.converged) && edge_note(pb, theta, out->note, sizeof out->note);
    if (edge)
        return; /* the note says which parameter ran off */
    if (!r.converged)
        snprintf(out->note, sizeof out->note, "Newton steps found no maximum in %d iterations",
                 r.iterations);
    else if (problem_eval_with(pb, theta, grad, hess, true) == INFINITY ||
             !fit_errors(pb, &s, theta, hess, out))
        snprintf(out->note, sizeof out->note, "the Hessian at the maximum is not usable");
    else {
        out->converged = true;
        out->loglik = loglik_of(pb, r.f);
        out->lr_all = fmax(0.0, 2 * (out->loglik - out->loglik_base));
        out->lr_all_p = gsl_cdf_chisq_Q(out->lr_all, 2.0 * (double)pb->columns);
        if (o->lr_tests)
            lr_tests(pb, &s, theta, r.f, hess, o->max_iterations, out);
    }
}

cvo_status cvo_cov_fit_model(cvo_ctx *ctx, cvo_model model, const cvo_summary *summary,
                             const cvo_covariates *cov, const cvo_cov_options *options,
                             cvo_cov_fit *out)
{
    gsl_set_error_handler_off();
    const model_ops *ops = NULL;
    const cov_role *role = role_of(model, &ops);
    if (role == NULL)
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "covariates are fitted in the bgnbd and pnbd models only");
    if (cov == NULL || summary == NULL || cov->rows != cvo_summary_count(summary))
        return ctx_fail(ctx, CVO_ERR_ARGUMENT,
                        "the covariate matrix must have one row per summary row");
    cvo_cov_options defaults;
    cvo_cov_options_init(&defaults);
    const cvo_cov_options *o = options ? options : &defaults;
    fit_clear(out, model, ops, cov);
    fit_groups(cov, out);
    count_customers(summary, cov, out);
    cov_problem pb;
    CVO_TRY(problem_build(ctx, ops, role, summary, cov, o->max_customers, &pb));
    out->n = (uint64_t)llround(pb.weight);
    fit_run(ctx, &pb, summary, o, out);
    problem_free(ctx, &pb);
    return CVO_OK;
}

double cov_loglik_direct(cvo_model model, const cvo_summary *summary, const cvo_covariates *cov,
                         const double *params, const double *gp, const double *gd)
{
    const model_ops *ops = NULL;
    const cov_role *role = role_of(model, &ops);
    if (role == NULL || cov->rows != cvo_summary_count(summary))
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < cov->rows; i++) {
        const cvo_summary_row *s = cvo_summary_at(summary, i);
        double eta_p = 0, eta_d = 0, p[COV_NAT];
        for (size_t j = 0; j < cov->columns; j++) {
            eta_p += cov->values[i * COV_MAX + j] * gp[j];
            eta_d += cov->values[i * COV_MAX + j] * gd[j];
        }
        memcpy(p, params, sizeof p);
        p[role->purchase] *= exp(-eta_p);
        for (int d = 0; d < role->dropout_count; d++)
            p[role->dropout[d]] *= exp(role->dropout_sign * eta_d);
        model_row row = {s->x, s->x > 0 ? s->t_x : 0, s->T, 0, s->weight};
        if (s->weight > 0)
            sum += s->weight * ops->loglik(p, &row, NULL);
    }
    return sum;
}
