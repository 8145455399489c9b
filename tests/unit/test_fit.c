/* test_fit.c - the maximum-likelihood fitter on models defined here (NBD counts,
 * Poisson, exponential spend) with simulated data from a seeded generator and
 * closed forms; the public dispatch; BG/NBD on CDNOW against BTYD's fit; and
 * fits through the models' batch likelihood against fits summed row by row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "models/fit.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- models defined for the tests -------------------------------------------------- */

static double lgam(double x)
{
    return lgamma(x);
}

/* Digamma by recurrence and the asymptotic series (enough for these tests). */
static double digam(double x)
{
    double shift = 0;
    while (x < 6) {
        shift -= 1 / x;
        x += 1;
    }
    double f = 1 / (x * x);
    return shift + log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

/* NBD (gamma-Poisson): x purchases in T, rate ~ Gamma(r, alpha). p = (r, alpha). */
static double nbd_loglik(const double *p, const model_row *row, double *grad)
{
    double r = p[0], alpha = p[1], x = row->x, T = row->T;
    double ll = lgam(r + x) - lgam(r) - lgam(x + 1) + r * log(alpha / (alpha + T));
    if (x > 0)
        ll += x * log(T / (alpha + T));
    if (grad != NULL) {
        grad[0] = digam(r + x) - digam(r) + log(alpha / (alpha + T));
        grad[1] = r / alpha - (r + x) / (alpha + T);
    }
    return ll;
}

static const model_ops NBD_OPS = {
    .name = "nbd",
    .title = "NBD (test)",
    .nparams = 2,
    .param_names = {"r", "alpha"},
    .start = {1, 1},
    .time_scale_mask = 1u << 1,
    .loglik = nbd_loglik,
};

/* Poisson: x purchases in T at rate 1 / tau (tau: mean time between purchases,
 * a time scale, so the fitter rescales it). */
static double poisson_loglik(const double *p, const model_row *row, double *grad)
{
    double tau = p[0], x = row->x, T = row->T;
    double ll = -T / tau - lgam(x + 1) + (x > 0 ? x * log(T / tau) : 0);
    if (grad != NULL)
        grad[0] = T / (tau * tau) - x / tau;
    return ll;
}

static const model_ops POISSON_OPS = {
    .name = "poisson",
    .nparams = 1,
    .param_names = {"tau"},
    .start = {1},
    .time_scale_mask = 1u,
    .loglik = poisson_loglik,
};

/* Spend: the mean value of a repeater is exponential with rate lambda. */
static double spend_loglik(const double *p, const model_row *row, double *grad)
{
    if (grad != NULL)
        grad[0] = 1 / p[0] - row->m_x;
    return log(p[0]) - p[0] * row->m_x;
}

static const model_ops SPEND_OPS = {
    .name = "spend",
    .nparams = 1,
    .param_names = {"lambda"},
    .start = {1},
    .needs_repeaters = true,
    .loglik = spend_loglik,
};

/* ---- seeded random numbers ------------------------------------------------------------ */

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *g)
{
    uint64_t z = (g->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_uniform(rng *g) /* in (0, 1) */
{
    return ((double)(rng_next(g) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(rng *g)
{
    return sqrt(-2 * log(rng_uniform(g))) * cos(6.283185307179586 * rng_uniform(g));
}

/* Gamma(shape, 1) by Marsaglia & Tsang; shape < 1 through the U^(1/shape) boost. */
static double rng_gamma(rng *g, double shape)
{
    if (shape < 1)
        return rng_gamma(g, shape + 1) * pow(rng_uniform(g), 1 / shape);
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double z = rng_normal(g), v = 1 + c * z;
        if (v <= 0)
            continue;
        v = v * v * v;
        if (log(rng_uniform(g)) < 0.5 * z * z + d - d * v + d * log(v))
            return d * v;
    }
}

static double rng_poisson(rng *g, double mean)
{
    double limit = exp(-mean), prod = rng_uniform(g);
    int n = 0;
    while (prod > limit) {
        prod *= rng_uniform(g);
        n++;
    }
    return n;
}

/* n customers of the NBD with ages T in whole weeks 1..max_T. */
static cvo_summary_row *simulate_nbd(size_t n, double r, double alpha, int max_T, uint64_t seed)
{
    rng g = {seed};
    cvo_summary_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++) {
        double T = 1 + (double)(rng_next(&g) % (uint64_t)max_T);
        double lambda = rng_gamma(&g, r) / alpha;
        double x = rng_poisson(&g, lambda * T);
        rows[i] = (cvo_summary_row){"", x, x > 0 ? T / 2 : 0, T, 0, 0, 1, 0, NAN};
    }
    return rows;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static cvo_ctx *new_ctx(void)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    return ctx;
}

static cvo_summary *summary_of(cvo_ctx *ctx, const cvo_summary_row *rows, size_t n)
{
    cvo_summary *s = NULL;
    assert_int_equal(summary_from_rows(ctx, rows, n, &s), CVO_OK);
    return s;
}

static cvo_fit fit_rows_with(cvo_ctx *ctx, const model_ops *ops, const cvo_summary_row *rows,
                             size_t n, const cvo_fit_options *options)
{
    cvo_summary *s = summary_of(ctx, rows, n);
    cvo_fit fit;
    cvo_status status = fit_model(ctx, ops, s, options, &fit);
    if (status != CVO_OK)
        fail_msg("fit failed: %s", cvo_ctx_message(ctx));
    cvo_summary_free(s);
    return fit;
}

static void assert_rel(double actual, double expected, double tolerance)
{
    if (!(fabs(actual - expected) <= tolerance * fabs(expected)))
        fail_msg("%.10g is not within %g (relative) of %.10g", actual, tolerance, expected);
}

static void assert_abs(double actual, double expected, double tolerance)
{
    if (!(fabs(actual - expected) <= tolerance))
        fail_msg("%.10g is not within %g of %.10g", actual, tolerance, expected);
}

/* Total log-likelihood of raw rows at natural parameters. */
static double total_loglik(const model_ops *ops, const double *p, const cvo_summary_row *rows,
                           size_t n)
{
    double ll = 0;
    for (size_t i = 0; i < n; i++) {
        model_row row = {rows[i].x, rows[i].t_x, rows[i].T, rows[i].m_x, rows[i].weight};
        ll += rows[i].weight * ops->loglik(p, &row, NULL);
    }
    return ll;
}

/* ---- the test models are right ------------------------------------------------------------ */

static void test_model_gradients_match_differences(void **state)
{
    (void)state;
    const model_row rows[] = {{0, 0, 3, 0, 1}, {4, 2, 7.5, 0, 1}, {12, 5, 30, 0, 1}};
    const double p[2] = {0.7, 3.2};
    for (size_t i = 0; i < 3; i++) {
        double grad[2], q[2];
        nbd_loglik(p, &rows[i], grad);
        for (int k = 0; k < 2; k++) {
            double h = 1e-6 * p[k];
            memcpy(q, p, sizeof q);
            q[k] = p[k] + h;
            double up = nbd_loglik(q, &rows[i], NULL);
            q[k] = p[k] - h;
            double down = nbd_loglik(q, &rows[i], NULL);
            assert_abs(grad[k], (up - down) / (2 * h), 1e-6);
        }
    }
}

/* ---- recovery, weights, compression ------------------------------------------------------- */

static void test_nbd_recovers_parameters(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const size_t n = 5000;
    cvo_summary_row *rows = simulate_nbd(n, 0.8, 6.0, 52, 12345);
    cvo_fit fit = fit_rows_with(ctx, &NBD_OPS, rows, n, NULL);
    assert_true(fit.converged);
    assert_string_equal(fit.note, "");
    assert_int_equal(fit.n, n);
    assert_int_equal(fit.nparams, 2);
    assert_string_equal(fit.param_names[1], "alpha");
    assert_true(fit.std_error[0] > 0 && fit.std_error[1] > 0);
    assert_abs(fit.params[0], 0.8, 4 * fit.std_error[0]);
    assert_abs(fit.params[1], 6.0, 4 * fit.std_error[1]);
    assert_rel(fit.loglik, total_loglik(&NBD_OPS, fit.params, rows, n), 1e-12);
    assert_true(fit.iterations > 0);
    free(rows);
    cvo_ctx_free(ctx);
}

static void test_weights_equal_exploded_rows(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const size_t n = 400;
    cvo_summary_row *rows = simulate_nbd(n, 1.5, 10.0, 40, 77);
    cvo_summary_row *exploded = calloc(n * 4, sizeof *exploded);
    assert_non_null(exploded);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        rows[i].weight = (double)(1 + i % 4);
        for (size_t c = 0; c < (size_t)rows[i].weight; c++) {
            exploded[m] = rows[i];
            exploded[m++].weight = 1;
        }
    }
    cvo_fit weighted = fit_rows_with(ctx, &NBD_OPS, rows, n, NULL);
    cvo_fit plain = fit_rows_with(ctx, &NBD_OPS, exploded, m, NULL);
    assert_int_equal(weighted.n, m);
    assert_int_equal(plain.n, m);
    for (int k = 0; k < 2; k++) {
        assert_rel(weighted.params[k], plain.params[k], 1e-9);
        assert_rel(weighted.std_error[k], plain.std_error[k], 1e-6);
    }
    assert_rel(weighted.loglik, plain.loglik, 1e-12);
    free(exploded);
    free(rows);
    cvo_ctx_free(ctx);
}

static void test_compression_groups_rows(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const cvo_summary_row rows[] = {
        {"a", 2, 3, 10, 5, 0, 1, 0, NAN}, {"b", 0, 0, 10, 0, 0, 1, 0, NAN}, {"c", 2, 3, 10, 9, 0, 2, 0, NAN},
        {"d", 0, 0, 10, 0, 0, 1, 0, NAN}, {"e", 0, 0, 8, 0, 0, 1, 0, NAN},  {"f", 0, -0.0, 8, 0, 0, 0, 0, NAN},
    };
    cvo_summary *s = summary_of(ctx, rows, 6);
    fit_rows built;
    assert_int_equal(fit_rows_build(ctx, &NBD_OPS, s, &built), CVO_OK);
    /* (2,3,10) x3, (0,0,10) x2, (0,0,8) x1; the weight-0 row is skipped */
    assert_int_equal(built.count, 3);
    assert_abs(built.weight, 6, 0);
    assert_abs(built.repeat_weight, 3, 0);
    assert_abs(built.max_T, 10, 0);
    assert_abs(built.rows[0].weight, 3, 0);
    assert_abs(built.rows[1].weight, 2, 0);
    fit_rows_free(ctx, &built);
    /* the spend model groups by (x, m_x): all rows differ in m_x or have x = 0 */
    assert_int_equal(fit_rows_build(ctx, &SPEND_OPS, s, &built), CVO_OK);
    assert_int_equal(built.count, 2);
    assert_abs(built.weight, 3, 0);
    fit_rows_free(ctx, &built);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void test_compression_keeps_loglik(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const size_t n = 3000;
    cvo_summary_row *rows = simulate_nbd(n, 0.6, 4.0, 8, 99); /* few distinct (x, T) */
    cvo_summary *s = summary_of(ctx, rows, n);
    fit_rows built;
    assert_int_equal(fit_rows_build(ctx, &NBD_OPS, s, &built), CVO_OK);
    assert_true(built.count < n / 10);
    const double p[2] = {0.6, 4.0};
    double grouped = 0;
    for (size_t i = 0; i < built.count; i++)
        grouped += built.rows[i].weight * NBD_OPS.loglik(p, &built.rows[i], NULL);
    assert_rel(grouped, total_loglik(&NBD_OPS, p, rows, n), 1e-12);
    cvo_fit fit;
    assert_int_equal(fit_model(ctx, &NBD_OPS, s, NULL, &fit), CVO_OK);
    assert_rel(fit.loglik, total_loglik(&NBD_OPS, fit.params, rows, n), 1e-12);
    fit_rows_free(ctx, &built);
    cvo_summary_free(s);
    free(rows);
    cvo_ctx_free(ctx);
}

/* A search on a small sample, polished on all rows, reaches the same optimum. */
static void test_sampled_search_reaches_full_optimum(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const size_t n = 6000;
    cvo_summary_row *rows = simulate_nbd(n, 0.9, 5.0, 300, 4242);
    for (size_t i = 0; i < n; i++)
        rows[i].T += (double)(i % 7) / 7; /* mostly distinct rows */
    cvo_summary *s = summary_of(ctx, rows, n);
    cvo_fit sampled, full;
    assert_int_equal(fit_model_sampled(ctx, &NBD_OPS, s, NULL, 300, &sampled), CVO_OK);
    assert_int_equal(fit_model_sampled(ctx, &NBD_OPS, s, NULL, SIZE_MAX, &full), CVO_OK);
    assert_true(sampled.converged && full.converged);
    for (int k = 0; k < 2; k++) {
        assert_rel(sampled.params[k], full.params[k], 1e-6);
        assert_rel(sampled.std_error[k], full.std_error[k], 1e-4);
    }
    assert_rel(sampled.loglik, full.loglik, 1e-12);
    cvo_summary_free(s);
    free(rows);
    cvo_ctx_free(ctx);
}

/* ---- standard errors ------------------------------------------------------------------------ */

/* Poisson: tau = sum T / sum x; the information in ln tau is sum x, so
 * SE(tau) = tau / sqrt(sum x). */
static void test_standard_error_closed_form(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const cvo_summary_row rows[] = {
        {"", 3, 2, 10, 0, 0, 2, 0, NAN}, {"", 0, 0, 4, 0, 0, 5, 0, NAN}, {"", 7, 6, 12, 0, 0, 1, 0, NAN},
        {"", 1, 0.5, 3, 0, 0, 3, 0, NAN},
    };
    double sum_x = 2 * 3 + 7 + 3 * 1, sum_T = 2 * 10 + 5 * 4 + 12 + 3 * 3;
    double tau = sum_T / sum_x, lambda = 1 / tau;
    cvo_fit fit = fit_rows_with(ctx, &POISSON_OPS, rows, 4, NULL);
    assert_true(fit.converged);
    assert_rel(fit.params[0], tau, 1e-8);
    assert_rel(fit.std_error[0], tau / sqrt(sum_x), 1e-6);
    double ll = 0;
    for (size_t i = 0; i < 4; i++)
        ll += rows[i].weight * (rows[i].x * log(lambda * rows[i].T) - lambda * rows[i].T -
                                lgamma(rows[i].x + 1));
    assert_rel(fit.loglik, ll, 1e-12);
    cvo_ctx_free(ctx);
}

/* NBD: the delta-method SEs equal the inverse of the natural-scale observed
 * information, here by second differences of the log-likelihood. */
static void test_standard_errors_match_inverse_hessian(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const size_t n = 2000;
    cvo_summary_row *rows = simulate_nbd(n, 1.2, 8.0, 30, 2024);
    cvo_fit fit = fit_rows_with(ctx, &NBD_OPS, rows, n, NULL);
    double h[2] = {1e-4 * fit.params[0], 1e-4 * fit.params[1]}, info[2][2];
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            double sum = 0;
            for (int c = 0; c < 4; c++) {
                double q[2] = {fit.params[0], fit.params[1]};
                double si = c & 1 ? -1 : 1, sj = c & 2 ? -1 : 1;
                q[i] += si * h[i];
                q[j] += sj * h[j];
                sum += si * sj * total_loglik(&NBD_OPS, q, rows, n);
            }
            info[i][j] = -sum / (4 * h[i] * h[j]);
        }
    }
    double det = info[0][0] * info[1][1] - info[0][1] * info[1][0];
    assert_rel(fit.std_error[0], sqrt(info[1][1] / det), 1e-3);
    assert_rel(fit.std_error[1], sqrt(info[0][0] / det), 1e-3);
    free(rows);
    cvo_ctx_free(ctx);
}

/* ---- penalty, identifiability, exclusions, errors --------------------------------------------- */

static void test_penalty_shrinks_parameters(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const size_t n = 1000;
    const int max_T = 40;
    cvo_summary_row *rows = simulate_nbd(n, 2.0, 10.0, max_T, 5);
    cvo_fit_options options;
    cvo_fit_options_init(&options);
    cvo_fit plain = fit_rows_with(ctx, &NBD_OPS, rows, n, &options);
    options.penalty = 50;
    cvo_fit shrunk = fit_rows_with(ctx, &NBD_OPS, rows, n, &options);
    double max_seen = 0;
    for (size_t i = 0; i < n; i++)
        max_seen = fmax(max_seen, rows[i].T);
    /* the penalty acts on the rescaled parameters (alpha / largest T) */
    double plain_norm = pow(plain.params[0], 2) + pow(plain.params[1] / max_seen, 2);
    double shrunk_norm = pow(shrunk.params[0], 2) + pow(shrunk.params[1] / max_seen, 2);
    assert_true(shrunk_norm < 0.9 * plain_norm);
    assert_true(shrunk.params[0] < plain.params[0]);
    assert_true(shrunk.loglik < plain.loglik);
    assert_rel(shrunk.loglik, total_loglik(&NBD_OPS, shrunk.params, rows, n), 1e-12);
    free(rows);
    cvo_ctx_free(ctx);
}

static void test_too_few_repeat_buyers(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const size_t n = 2000;
    cvo_summary_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (cvo_summary_row){"", 0, 0, 1 + (double)(i % 30), 0, 0, 1, 0, NAN};
    for (size_t i = 0; i < 3; i++)
        rows[i] = (cvo_summary_row){"", 1, 0.5, 2, 0, 0, 1, 0, NAN};
    cvo_fit fit = fit_rows_with(ctx, &NBD_OPS, rows, n, NULL);
    assert_false(fit.converged);
    assert_int_equal(fit.n, n);
    assert_non_null(strstr(fit.note, "only 3 of 2,000 customers bought twice"));
    assert_non_null(strstr(fit.note, "cannot identify"));
    for (size_t i = 0; i < 3; i++)
        rows[i].x = 0, rows[i].t_x = 0;
    fit = fit_rows_with(ctx, &NBD_OPS, rows, n, NULL);
    assert_false(fit.converged);
    assert_non_null(strstr(fit.note, "only 0 of 2,000 customers"));
    free(rows);
    cvo_ctx_free(ctx);
}

/* Spend-model style: non-repeaters are not used, repeaters with a mean value
 * <= 0 are left out and reported; lambda = customers / sum of m_x. */
static void test_spend_exclusions_are_reported(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const cvo_summary_row rows[] = {
        {"", 2, 3, 9, 20, 0, 1, 0, NAN}, {"", 0, 0, 9, 0, 0, 1, 0, NAN},  {"", 1, 3, 9, 0, 0, 1, 0, NAN},
        {"", 3, 5, 9, 35, 0, 2, 0, NAN}, {"", 4, 6, 9, -5, 0, 1, 0, NAN}, {"", 1, 1, 9, 12, 0, 1, 0, NAN},
        {"", 5, 8, 9, 40, 0, 1, 0, NAN}, {"", 2, 2, 9, 18, 0, 1, 0, NAN},
    };
    cvo_fit fit = fit_rows_with(ctx, &SPEND_OPS, rows, 8, NULL);
    assert_int_equal(fit.n, 6);
    assert_rel(fit.params[0], 6.0 / (20 + 2 * 35 + 12 + 40 + 18), 1e-8);
    assert_true(fit.converged);
    assert_string_equal(fit.note, "2 customers with a non-positive mean value were left out");
    cvo_ctx_free(ctx);
}

static void test_no_usable_rows_is_empty(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const cvo_summary_row rows[] = {{"", 0, 0, 9, 0, 0, 1, 0, NAN}, {"", 2, 1, 9, -1, 0, 1, 0, NAN}};
    cvo_summary *s = summary_of(ctx, rows, 2);
    cvo_fit fit;
    assert_int_equal(fit_model(ctx, &SPEND_OPS, s, NULL, &fit), CVO_ERR_EMPTY);
    assert_non_null(strstr(cvo_ctx_message(ctx), "repeat buyers"));
    cvo_summary_free(s);
    s = summary_of(ctx, rows, 0);
    assert_int_equal(fit_model(ctx, &NBD_OPS, s, NULL, &fit), CVO_ERR_EMPTY);
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGNBD, s, NULL, &fit), CVO_ERR_EMPTY);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void test_invalid_rows_and_options(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_summary_row rows[] = {{"", 1, 2, 9, 0, 0, 1, 0, NAN}, {"", 1, 12, 9, 0, 0, 1, 0, NAN}};
    cvo_summary *s = summary_of(ctx, rows, 2);
    cvo_fit fit;
    assert_int_equal(fit_model(ctx, &NBD_OPS, s, NULL, &fit), CVO_ERR_ARGUMENT);
    assert_string_equal(cvo_ctx_message(ctx), "summary row 2: t_x is larger than T");
    cvo_summary_free(s);
    /* BG/BB sums over the opportunities: T = 1e12 would take hours */
    rows[1] = (cvo_summary_row){"", 1, 5, 1e12, 0, 0, 1, 0, NAN};
    s = summary_of(ctx, rows, 2);
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGBB, s, NULL, &fit), CVO_ERR_LIMIT);
    assert_string_equal(
        cvo_ctx_message(ctx),
        "summary row 2: T = 1e+12 opportunities; the bgbb model takes at most 10000");
    cvo_summary_free(s);
    const double bgbb_params[4] = {1.2, 0.75, 0.66, 2.78};
    assert_int_equal(cvo_fit_from_params(ctx, CVO_MODEL_BGBB, bgbb_params, 4, &fit), CVO_OK);
    assert_true(cvo_fit_pmf(&fit, 6, 2) > 0);
    assert_true(isnan(cvo_fit_pmf(&fit, 1e12, 2)));
    rows[1] = (cvo_summary_row){"", 0, 0, 9, 0, 0, 1, 0, NAN};
    s = summary_of(ctx, rows, 2);
    cvo_fit_options options;
    cvo_fit_options_init(&options);
    options.penalty = -1;
    assert_int_equal(fit_model(ctx, &NBD_OPS, s, &options, &fit), CVO_ERR_ARGUMENT);
    cvo_fit_options_init(&options);
    options.max_iterations = 0;
    assert_int_equal(fit_model(ctx, &NBD_OPS, s, &options, &fit), CVO_ERR_ARGUMENT);
    cvo_fit_options_init(&options);
    options.starts = FIT_MAX_STARTS + 1;
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGNBD, s, &options, &fit), CVO_ERR_ARGUMENT);
    assert_int_equal(cvo_model_fit(ctx, (cvo_model)99, s, NULL, &fit), CVO_ERR_ARGUMENT);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void test_several_starts_keep_the_best(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    const size_t n = 1500;
    cvo_summary_row *rows = simulate_nbd(n, 0.5, 3.0, 20, 31);
    cvo_fit_options options;
    cvo_fit_options_init(&options);
    cvo_fit one = fit_rows_with(ctx, &NBD_OPS, rows, n, &options);
    options.starts = 6;
    cvo_fit six = fit_rows_with(ctx, &NBD_OPS, rows, n, &options);
    assert_true(six.converged);
    assert_true(six.loglik >= one.loglik - 1e-9 * fabs(one.loglik));
    assert_rel(six.params[0], one.params[0], 1e-6);
    free(rows);
    cvo_ctx_free(ctx);
}

/* ---- public API: names, options, dispatch -------------------------------------------------- */

static void test_model_names(void **state)
{
    (void)state;
    const char *names[] = {"bgnbd", "mbgnbd", "pnbd", "bgbb", "gg"};
    for (int m = 0; m < 5; m++) {
        cvo_model model = (cvo_model)-1;
        assert_true(cvo_model_from_name(names[m], &model));
        assert_int_equal(model, m);
        assert_string_equal(cvo_model_name(model), names[m]);
    }
    cvo_model model = CVO_MODEL_GG;
    assert_false(cvo_model_from_name("BGNBD", &model));
    assert_false(cvo_model_from_name("", &model));
    assert_false(cvo_model_from_name(NULL, &model));
    assert_int_equal(model, CVO_MODEL_GG);
    assert_string_equal(cvo_model_name((cvo_model)7), "unknown");
    cvo_fit_options options = {1, 2, 3, NULL};
    cvo_fit_options_init(&options);
    assert_true(options.penalty == 0);
    assert_int_equal(options.max_iterations, 500);
    assert_int_equal(options.starts, 0);
}

static void test_fit_from_params_and_dispatch(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_fit fit;
    const double bgnbd[] = {0.243, 4.414, 0.793, 2.426};
    assert_int_equal(cvo_fit_from_params(ctx, CVO_MODEL_BGNBD, bgnbd, 4, &fit), CVO_OK);
    assert_int_equal(fit.model, CVO_MODEL_BGNBD);
    assert_int_equal(fit.nparams, 4);
    assert_string_equal(fit.param_names[3], "b");
    assert_true(isnan(fit.loglik) && isnan(fit.std_error[0]));
    assert_abs(cvo_fit_pmf(&fit, 39, 0), 0.5737864, 1e-6); /* clv.md B.2 */
    assert_abs(cvo_fit_pmf(&fit, 2, 10), 1.07869e-07, 1e-11);
    double p_alive = cvo_fit_p_alive(&fit, 2, 30.43, 38.86);
    assert_true(p_alive > 0 && p_alive < 1);
    assert_abs(cvo_fit_expected(&fit, 2, 30.43, 38.86, 39), 1.226, 1e-3);
    assert_true(cvo_fit_unconditional(&fit, 52) > 0);
    assert_true(isnan(cvo_fit_spend(&fit, 2, 10)));
    assert_true(isnan(cvo_fit_dert(&fit, 2, 30, 38, 0.01)));
    assert_true(isnan(cvo_fit_p_alive(NULL, 1, 1, 2)));

    const double gg[] = {6.25, 3.74, 15.44};
    assert_int_equal(cvo_fit_from_params(ctx, CVO_MODEL_GG, gg, 3, &fit), CVO_OK);
    assert_rel(cvo_fit_spend(&fit, 2, 30), 6.25 * (15.44 + 60) / (6.25 * 2 + 3.74 - 1), 1e-12);
    assert_true(isnan(cvo_fit_pmf(&fit, 10, 1)));
    assert_true(isnan(cvo_fit_p_alive(&fit, 1, 1, 2)));

    const double pnbd[] = {0.5534, 10.5802, 0.6061, 11.6562};
    assert_int_equal(cvo_fit_from_params(ctx, CVO_MODEL_PNBD, pnbd, 4, &fit), CVO_OK);
    assert_abs(cvo_fit_p_alive(&fit, 26, 30.85714, 31), 0.9979, 1e-3); /* clv.md B.2 */
    double dert = cvo_fit_dert(&fit, 26, 30.85714, 31, 0.001);
    assert_true(dert > 0 && isfinite(dert));
    assert_true(isnan(cvo_fit_spend(&fit, 2, 10)));

    assert_int_equal(cvo_fit_from_params(ctx, CVO_MODEL_PNBD, pnbd, 3, &fit), CVO_ERR_ARGUMENT);
    const double bad[] = {1, 0, 1, 1};
    assert_int_equal(cvo_fit_from_params(ctx, CVO_MODEL_BGBB, bad, 4, &fit), CVO_ERR_ARGUMENT);
    assert_non_null(strstr(cvo_ctx_message(ctx), "must be > 0"));
    assert_int_equal(cvo_fit_from_params(ctx, (cvo_model)9, bad, 4, &fit), CVO_ERR_ARGUMENT);
    cvo_ctx_free(ctx);
}

/* ---- BG/NBD on CDNOW -------------------------------------------------------------------------- */

static bool parse_field(char **cursor, double *out)
{
    char *end;
    *out = strtod(*cursor, &end);
    if (end == *cursor || (*end != ',' && *end != '\n' && *end != '\r' && *end != '\0'))
        return false;
    *cursor = *end == ',' ? end + 1 : end;
    return true;
}

/* tests/data/cdnow_cbs.csv: cust,x,t.x,T.cal,x.star,m.x */
static cvo_summary *load_cdnow(cvo_ctx *ctx)
{
    FILE *file = fopen("tests/data/cdnow_cbs.csv", "r");
    assert_non_null(file);
    cvo_summary_row *rows = calloc(3000, sizeof *rows);
    assert_non_null(rows);
    char line[256];
    size_t n = 0;
    assert_non_null(fgets(line, sizeof line, file));
    while (fgets(line, sizeof line, file) != NULL && n < 3000) {
        double f[6];
        char *cursor = line;
        for (int c = 0; c < 6; c++)
            assert_true(parse_field(&cursor, &f[c]));
        rows[n++] = (cvo_summary_row){"", f[1], f[2], f[3], f[5], f[4], 1, 0, NAN};
    }
    fclose(file);
    assert_int_equal(n, 2357);
    cvo_summary *s = summary_of(ctx, rows, n);
    free(rows);
    return s;
}

static void test_bgnbd_cdnow_matches_btyd(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = load_cdnow(ctx);
    cvo_fit fit;
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGNBD, s, NULL, &fit), CVO_OK);
    assert_true(fit.converged);
    assert_string_equal(fit.note, "");
    assert_int_equal(fit.n, 2357);
    const double expected[] = {0.2425982, 4.4136842, 0.7929899, 2.4261667};
    for (int k = 0; k < 4; k++) {
        assert_rel(fit.params[k], expected[k], 2e-3);
        assert_true(fit.std_error[k] > 0);
    }
    assert_abs(fit.loglik, -9582.429, 0.01);
    /* lifetimes' Quickstart SEs on the 2-decimal summary: 0.012557, 0.378221, 0.185719, 0.705345 */
    assert_rel(fit.std_error[0], 0.012557, 0.02);
    assert_rel(fit.std_error[1], 0.378221, 0.02);
    assert_rel(fit.std_error[2], 0.185719, 0.02);
    assert_rel(fit.std_error[3], 0.705345, 0.02);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

/* ---- batch likelihood in the fitter ---------------------------------------------- */

/* A generated store (cvo_generate), read back and summarised in weeks. */
static cvo_summary *generated_store(cvo_ctx *ctx, size_t customers, uint64_t seed)
{
    char path[] = "/tmp/cvo-fit-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *orders = fdopen(fd, "w");
    assert_non_null(orders);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = seed;
    assert_int_equal(cvo_generate(ctx, &g, orders, NULL, NULL), CVO_OK);
    fclose(orders);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = path;
    lo.keep_orders = true;
    cvo_customers *c = NULL;
    assert_int_equal(cvo_orders_load(ctx, &lo, &c, NULL), CVO_OK);
    remove(path);
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_from_orders(ctx, c, &so, &s), CVO_OK);
    cvo_customers_free(c);
    return s;
}

/* loglik_sum over a model's compressed rows against their per-row sum. */
static void check_batch_rows(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *s,
                             const double *p)
{
    fit_rows rows;
    assert_int_equal(fit_rows_build(ctx, ops, s, &rows), CVO_OK);
    void *scratch = malloc(ops->batch_scratch);
    assert_non_null(scratch);
    ops->batch_prepare(rows.rows, rows.count, scratch);
    double want = 0, scale = 0, want_g[MODEL_MAX_PARAMS] = {0}, scale_g[MODEL_MAX_PARAMS] = {0};
    for (size_t i = 0; i < rows.count; i++) {
        double g[MODEL_MAX_PARAMS], w = rows.rows[i].weight;
        double ll = ops->loglik(p, &rows.rows[i], g);
        want += w * ll;
        scale += w * fabs(ll);
        for (int k = 0; k < ops->nparams; k++) {
            want_g[k] += w * g[k];
            scale_g[k] += w * fabs(g[k]);
        }
    }
    double got_g[MODEL_MAX_PARAMS];
    assert_abs(ops->loglik_sum(p, rows.rows, rows.count, got_g, NULL, scratch), want,
               1e-12 * scale);
    for (int k = 0; k < ops->nparams; k++)
        assert_abs(got_g[k], want_g[k], 1e-12 * scale_g[k]);
    free(scratch);
    fit_rows_free(ctx, &rows);
}

/* Standard errors from -H^-1, H the Hessian of the per-row sum in p by
 * central differences of the gradient at the fitted parameters: the batch's
 * exact Hessian must reproduce them to 1e-5, a Hessian of differences (Pareto/NBD,
 * BG/BB; step 1e-4 in the log-parameters) to 1e-3. */
static void check_standard_errors(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *s,
                                  const cvo_fit *fit, double tolerance)
{
    fit_rows rows;
    assert_int_equal(fit_rows_build(ctx, ops, s, &rows), CVO_OK);
    int n = ops->nparams;
    gsl_matrix *info = gsl_matrix_alloc((size_t)n, (size_t)n);
    assert_non_null(info);
    for (int j = 0; j < n; j++) {
        double up[MODEL_MAX_PARAMS], down[MODEL_MAX_PARAMS];
        double gu[MODEL_MAX_PARAMS] = {0}, gd[MODEL_MAX_PARAMS] = {0};
        memcpy(up, fit->params, sizeof up);
        memcpy(down, fit->params, sizeof down);
        up[j] *= 1 + 1e-5;
        down[j] *= 1 - 1e-5;
        for (size_t i = 0; i < rows.count; i++) {
            double g[MODEL_MAX_PARAMS], w = rows.rows[i].weight;
            ops->loglik(up, &rows.rows[i], g);
            for (int k = 0; k < n; k++)
                gu[k] += w * g[k];
            ops->loglik(down, &rows.rows[i], g);
            for (int k = 0; k < n; k++)
                gd[k] -= w * g[k];
        }
        for (int k = 0; k < n; k++)
            gsl_matrix_set(info, (size_t)j, (size_t)k, -(gu[k] + gd[k]) / (up[j] - down[j]));
    }
    assert_int_equal(gsl_linalg_cholesky_decomp1(info), GSL_SUCCESS);
    assert_int_equal(gsl_linalg_cholesky_invert(info), GSL_SUCCESS);
    for (int k = 0; k < n; k++)
        assert_rel(fit->std_error[k], sqrt(gsl_matrix_get(info, (size_t)k, (size_t)k)), tolerance);
    gsl_matrix_free(info);
    fit_rows_free(ctx, &rows);
}

/* The fit with the model's batch against the same fit summed row by row; its
 * standard errors against an independent Hessian (the row-by-row fit's own
 * Hessian is one of differences, possibly up to FIT_HESS_MOVE from its optimum,
 * so the two fits' standard errors agree only to about 1e-3). */
static void check_batch_fit(cvo_ctx *ctx, const model_ops *ops, const cvo_summary *s,
                            size_t sample_rows)
{
    model_ops plain = *ops;
    plain.loglik_sum = NULL;
    cvo_fit_options o;
    cvo_fit_options_init(&o);
    o.starts = 2;
    cvo_fit batch, rows;
    assert_int_equal(fit_model_sampled(ctx, ops, s, &o, sample_rows, &batch), CVO_OK);
    assert_int_equal(fit_model_sampled(ctx, &plain, s, &o, sample_rows, &rows), CVO_OK);
    assert_true(batch.converged && rows.converged);
    for (int k = 0; k < ops->nparams; k++) {
        assert_rel(batch.params[k], rows.params[k], 1e-6);
        assert_rel(batch.std_error[k], rows.std_error[k], 2e-3);
    }
    assert_rel(batch.loglik, rows.loglik, 1e-12);
    check_standard_errors(ctx, ops, s, &batch, 1e-5);
}

static void test_batch_on_generated_store(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = generated_store(ctx, 4000, 11);
    const double bg[4] = {0.7, 0.15, 0.8, 2.5}, gg[3] = {2, 6, 190};
    check_batch_rows(ctx, bgnbd_model(), s, bg);
    check_batch_rows(ctx, mbgnbd_model(), s, bg);
    check_batch_rows(ctx, gg_model(), s, gg);
    check_batch_fit(ctx, bgnbd_model(), s, SIZE_MAX);
    check_batch_fit(ctx, bgnbd_model(), s, 300);
    check_batch_fit(ctx, mbgnbd_model(), s, 300);
    check_batch_fit(ctx, gg_model(), s, 300);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void test_batch_on_cdnow(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = load_cdnow(ctx);
    check_batch_rows(ctx, bgnbd_model(), s, (const double[4]){0.243, 4.414, 0.793, 2.426});
    check_batch_rows(ctx, gg_model(), s, (const double[3]){6.25, 3.74, 15.44});
    check_batch_fit(ctx, bgnbd_model(), s, SIZE_MAX);
    check_batch_fit(ctx, bgnbd_model(), s, 500);
    check_batch_fit(ctx, gg_model(), s, SIZE_MAX);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

/* Every model's standard errors, from the fitter's Hessian, against an
 * independent Hessian by differences of the gradient: BG/NBD, MBG/NBD,
 * Pareto/NBD and Gamma-Gamma on CDNOW, BG/BB on the donations data. lifetimes
 * publishes BG/NBD's (checked above); BTYD and CLVTools publish none for these
 * data, so the differences are the reference. */
static void test_standard_errors_every_model(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = load_cdnow(ctx);
    const cvo_model models[] = {CVO_MODEL_BGNBD, CVO_MODEL_MBGNBD, CVO_MODEL_PNBD, CVO_MODEL_GG};
    const model_ops *ops[] = {bgnbd_model(), mbgnbd_model(), pnbd_model(), gg_model()};
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        cvo_fit fit;
        assert_int_equal(cvo_model_fit(ctx, models[m], s, NULL, &fit), CVO_OK);
        assert_int_equal(fit.status, CVO_FIT_CONVERGED);
        for (int k = 0; k < fit.nparams; k++)
            assert_true(fit.std_error[k] > 0 && isfinite(fit.std_error[k]));
        check_standard_errors(ctx, ops[m], s, &fit, 1e-3);
    }
    cvo_summary_free(s);
    cvo_summary *donations = NULL;
    assert_int_equal(cvo_summary_load(ctx, "tests/data/donations.csv", &donations), CVO_OK);
    cvo_fit fit;
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGBB, donations, NULL, &fit), CVO_OK);
    assert_int_equal(fit.status, CVO_FIT_CONVERGED);
    check_standard_errors(ctx, bgbb_model(), donations, &fit, 1e-3);
    cvo_summary_free(donations);
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_gradients_match_differences),
        cmocka_unit_test(test_nbd_recovers_parameters),
        cmocka_unit_test(test_weights_equal_exploded_rows),
        cmocka_unit_test(test_compression_groups_rows),
        cmocka_unit_test(test_compression_keeps_loglik),
        cmocka_unit_test(test_sampled_search_reaches_full_optimum),
        cmocka_unit_test(test_standard_error_closed_form),
        cmocka_unit_test(test_standard_errors_match_inverse_hessian),
        cmocka_unit_test(test_penalty_shrinks_parameters),
        cmocka_unit_test(test_too_few_repeat_buyers),
        cmocka_unit_test(test_spend_exclusions_are_reported),
        cmocka_unit_test(test_no_usable_rows_is_empty),
        cmocka_unit_test(test_invalid_rows_and_options),
        cmocka_unit_test(test_several_starts_keep_the_best),
        cmocka_unit_test(test_model_names),
        cmocka_unit_test(test_fit_from_params_and_dispatch),
        cmocka_unit_test(test_bgnbd_cdnow_matches_btyd),
        cmocka_unit_test(test_batch_on_generated_store),
        cmocka_unit_test(test_batch_on_cdnow),
        cmocka_unit_test(test_standard_errors_every_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
