/* test_gg.c - the Gamma-Gamma spend model against note 025 / CLVTools /
 * lifetimes on the 946 CDNOW repeaters (both the 2-dp summary and BTYD's
 * full-precision CBS), E[M | x, m_x] for the first customers, the analytic
 * gradient against central finite differences, and extreme inputs; the batch
 * likelihood (loglik_sum) against the sum of the per-row one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "models/model.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_PATH "tests/data/cdnow_summary_with_transactions.csv" /* ID,x,t_x,T,zbar CRLF */
#define CBS_PATH "tests/data/cdnow_cbs.csv" /* cust,x,t.x,T.cal,x.star,m.x */
#define CDNOW_CUSTOMERS 2357
#define NP 3

static const double PAPER_PARAMS[NP] = {6.25, 3.74, 15.44};

/* ---- helpers ---------------------------------------------------------------- */

/* The (x, m_x) columns of a CDNOW file, one row per customer. */
typedef struct spend_table {
    double x[CDNOW_CUSTOMERS];
    double m_x[CDNOW_CUSTOMERS];
    size_t rows;
} spend_table;

/* Reads a numeric CSV with a header (CRLF allowed), keeping columns x_col and m_col. */
static spend_table *read_spend(const char *path, size_t cols, size_t x_col, size_t m_col)
{
    spend_table *t = calloc(1, sizeof *t);
    assert_non_null(t);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f) != NULL && line[0] != '\r' && line[0] != '\n') {
        assert_true(t->rows < CDNOW_CUSTOMERS);
        const char *s = line;
        for (size_t c = 0; c < cols; c++) {
            char *end = NULL;
            double v = strtod(s, &end);
            assert_true(end != s);
            if (c == x_col)
                t->x[t->rows] = v;
            if (c == m_col)
                t->m_x[t->rows] = v;
            s = *end == ',' ? end + 1 : end;
        }
        t->rows++;
    }
    fclose(f);
    assert_int_equal(t->rows, CDNOW_CUSTOMERS);
    return t;
}

static double loglik_of(const double *p, double x, double m_x, double *grad)
{
    model_row row = {x, 0, 0, m_x, 1};
    return gg_model()->loglik(p, &row, grad);
}

/* Total LL over the repeaters (x > 0); *count receives how many there are. */
static double repeaters_loglik(const double *p, const spend_table *t, size_t *count, double *grad)
{
    double sum = 0;
    *count = 0;
    if (grad != NULL)
        memset(grad, 0, NP * sizeof *grad);
    for (size_t i = 0; i < t->rows; i++) {
        if (t->x[i] <= 0)
            continue;
        double g[NP];
        sum += loglik_of(p, t->x[i], t->m_x[i], g);
        for (int k = 0; grad != NULL && k < NP; k++)
            grad[k] += g[k];
        (*count)++;
    }
    return sum;
}

static int setup(void **state)
{
    (void)state;
    gsl_set_error_handler_off();
    return 0;
}

/* ---- published values ------------------------------------------------------- */

static void test_table_fields(void **state)
{
    (void)state;
    const model_ops *m = gg_model();
    assert_string_equal(m->name, "gg");
    assert_int_equal(m->nparams, 3);
    assert_string_equal(m->param_names[0], "p");
    assert_string_equal(m->param_names[1], "q");
    assert_string_equal(m->param_names[2], "gamma");
    assert_true(m->needs_repeaters);
    assert_false(m->discrete);
    assert_int_equal(m->time_scale_mask, 0);
    assert_null(m->p_alive);
    assert_null(m->expected);
    assert_null(m->unconditional);
    assert_null(m->pmf);
}

/* clv.md B.5: LL = -4055.92 at (6.25, 3.74, 15.44) on lifetimes' zbar (2 dp):
 * -4055.9247. On BTYD's full-precision m.x: -4055.9192 (CLVTools prints
 * -4055.9177 on its own day-aggregated data). */
static void test_loglik_cdnow(void **state)
{
    (void)state;
    spend_table *summary = read_spend(SUMMARY_PATH, 5, 1, 4);
    spend_table *cbs = read_spend(CBS_PATH, 6, 1, 5);
    size_t n_summary = 0, n_cbs = 0;
    double ll_summary = repeaters_loglik(PAPER_PARAMS, summary, &n_summary, NULL);
    double ll_cbs = repeaters_loglik(PAPER_PARAMS, cbs, &n_cbs, NULL);
    assert_int_equal(n_summary, 946);
    assert_int_equal(n_cbs, 946);
    assert_true(fabs(ll_summary - -4055.92) < 0.01);
    assert_true(fabs(ll_summary - -4055.9247) < 1e-4);
    assert_true(fabs(ll_cbs - -4055.9192) < 1e-4);
    assert_true(fabs(ll_cbs - -4055.92) < 0.01);
    free(summary);
    free(cbs);
}

/* clv.md B.5 check: the MLE on zbar is (6.24880, 3.74459, 15.44775), LL
 * -4055.9232: higher than at the paper's rounding, with a vanishing gradient. */
static void test_mle_cdnow(void **state)
{
    (void)state;
    const double mle[NP] = {6.24880, 3.74459, 15.44775};
    spend_table *summary = read_spend(SUMMARY_PATH, 5, 1, 4);
    size_t count = 0;
    double grad[NP];
    double ll = repeaters_loglik(mle, summary, &count, grad);
    assert_true(fabs(ll - -4055.9232) < 1e-4);
    assert_true(ll > repeaters_loglik(PAPER_PARAMS, summary, &count, NULL));
    for (int k = 0; k < NP; k++)
        assert_true(fabs(grad[k] * mle[k]) < 0.05); /* d LL / d ln p_k */
    free(summary);
}

/* clv.md B.2: E[M] for the first 10 CDNOW customers (note 025 spreadsheet,
 * atol 0.1); customers with x = 0 get the population mean gamma p / (q-1). */
static void test_expected_spend_cdnow(void **state)
{
    (void)state;
    const double published[10] = {24.65, 18.91, 35.17, 35.17, 35.17,
                                  71.46, 18.91, 35.17, 27.28, 35.17};
    spend_table *summary = read_spend(SUMMARY_PATH, 5, 1, 4);
    for (int i = 0; i < 10; i++) {
        double spend = gg_expected_spend(PAPER_PARAMS, summary->x[i], summary->m_x[i]);
        assert_true(fabs(spend - published[i]) < 0.1);
    }
    assert_true(fabs(gg_expected_spend(PAPER_PARAMS, summary->x[0], summary->m_x[0]) - 24.664) <
                1e-3);
    double population = 15.44 * 6.25 / (3.74 - 1);
    assert_true(fabs(gg_expected_spend(PAPER_PARAMS, summary->x[2], summary->m_x[2]) - population) <
                1e-12);
    free(summary);
}

/* ---- E[M] ------------------------------------------------------------------- */

static void test_expected_spend_rules(void **state)
{
    (void)state;
    const double q_one[NP] = {6.25, 1.0, 15.44}, q_below[NP] = {6.25, 0.5, 15.44};
    assert_true(isnan(gg_expected_spend(q_one, 2, 20)));
    assert_true(isnan(gg_expected_spend(q_below, 0, 0)));
    assert_true(isnan(gg_expected_spend(PAPER_PARAMS, -1, 20)));
    double population = 15.44 * 6.25 / 2.74;
    assert_true(gg_expected_spend(PAPER_PARAMS, 0, NAN) == population);
    /* The weighted form: (q-1)/(px+q-1) population + px/(px+q-1) m_x. */
    double px = 6.25 * 3, shrink = 2.74 / (px + 2.74);
    double weighted = shrink * population + (1 - shrink) * 40;
    assert_true(fabs(gg_expected_spend(PAPER_PARAMS, 3, 40) - weighted) < 1e-12 * weighted);
    /* Many orders: the customer's own mean. */
    assert_true(fabs(gg_expected_spend(PAPER_PARAMS, 1e9, 40) - 40) < 1e-6);
}

/* ---- gradient --------------------------------------------------------------- */

static void check_gradient(const double *p, double x, double m_x)
{
    double grad[NP];
    loglik_of(p, x, m_x, grad);
    for (int k = 0; k < NP; k++) {
        double up[NP], down[NP];
        memcpy(up, p, sizeof up);
        memcpy(down, p, sizeof down);
        double h = 1e-5 * p[k];
        up[k] += h;
        down[k] -= h;
        double fd = (loglik_of(up, x, m_x, NULL) - loglik_of(down, x, m_x, NULL)) / (2 * h);
        if (fabs(grad[k] - fd) > 1e-5 * fmax(fabs(grad[k]), 1e-3))
            fail_msg("d/dp%d at (%g,%g,%g), row (%g,%g): %.10g vs fd %.10g", k, p[0], p[1], p[2], x,
                     m_x, grad[k], fd);
    }
}

static void test_gradient_finite_differences(void **state)
{
    (void)state;
    const double points[5][NP] = {
        {6.25, 3.74, 15.44}, {0.5, 1.2, 0.3}, {40, 80, 500}, {1, 1, 1}, {0.05, 20, 1e3}};
    const double rows[6][2] = {{1, 11.77}, {2, 22.35}, {5, 80}, {20, 3.5}, {1, 1e4}, {100, 0.01}};
    for (int k = 0; k < 5; k++)
        for (int r = 0; r < 6; r++)
            check_gradient(points[k], rows[r][0], rows[r][1]);
}

/* ---- batch likelihood ------------------------------------------------------- */

static void near_abs(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.12g, want %.12g (abs tol %g)", what, got, want, tol);
}

/* The repeaters of t as weighted rows (weights 1..3), plus extra rows. */
static model_row *spend_rows(const spend_table *t, size_t *n)
{
    model_row *rows = calloc(t->rows + 2, sizeof *rows);
    assert_non_null(rows);
    *n = 0;
    for (size_t i = 0; i < t->rows; i++)
        if (t->x[i] > 0)
            rows[(*n)++] = (model_row){t->x[i], 0, 0, t->m_x[i], 1 + (double)(i % 3)};
    rows[(*n)++] = (model_row){5000, 0, 0, 12.5, 1}; /* beyond the cached x */
    rows[(*n)++] = (model_row){2.5, 0, 0, 40, 2};    /* x not whole */
    return rows;
}

/* loglik_sum against the per-row sum: value and gradient within 1e-12 of the
 * scale of their terms; the Hessian against differences of the batch gradient. */
static void check_batch(const double *p, const model_row *rows, size_t n)
{
    const model_ops *m = gg_model();
    void *scratch = malloc(m->batch_scratch);
    assert_non_null(scratch);
    m->batch_prepare(rows, n, scratch);
    double want = 0, scale = 0, want_g[NP] = {0}, scale_g[NP] = {0}, g[NP], h[NP * NP];
    for (size_t i = 0; i < n; i++) {
        double rg[NP], ll = m->loglik(p, &rows[i], rg);
        want += rows[i].weight * ll;
        scale += rows[i].weight * fabs(ll);
        for (int k = 0; k < NP; k++) {
            want_g[k] += rows[i].weight * rg[k];
            scale_g[k] += rows[i].weight * fabs(rg[k]);
        }
    }
    near_abs(m->loglik_sum(p, rows, n, g, h, scratch), want, 1e-12 * scale, "loglik_sum");
    near_abs(m->loglik_sum(p, rows, n, NULL, NULL, scratch), want, 1e-12 * scale, "value only");
    for (int k = 0; k < NP; k++)
        near_abs(g[k], want_g[k], 1e-12 * scale_g[k], "loglik_sum gradient");
    for (int j = 0; j < NP; j++) {
        double up[NP], down[NP], gu[NP], gd[NP];
        memcpy(up, p, sizeof up);
        memcpy(down, p, sizeof down);
        up[j] *= 1 + 1e-5;
        down[j] *= 1 - 1e-5;
        m->loglik_sum(up, rows, n, gu, NULL, scratch);
        m->loglik_sum(down, rows, n, gd, NULL, scratch);
        for (int k = 0; k < NP; k++) {
            double tol = 1e-6 * (fabs(h[NP * j + k]) + sqrt(fabs(h[NP * j + j] * h[NP * k + k])));
            near_abs(h[NP * j + k], (gu[k] - gd[k]) / (up[j] - down[j]), tol, "Hessian");
        }
    }
    free(scratch);
}

static void test_batch_matches_rows(void **state)
{
    (void)state;
    spend_table *cbs = read_spend(CBS_PATH, 6, 1, 5);
    size_t n;
    model_row *rows = spend_rows(cbs, &n);
    const double points[4][NP] = {{6.25, 3.74, 15.44}, {0.5, 1.2, 0.3}, {40, 80, 500}, {1, 1, 1}};
    for (int k = 0; k < 4; k++)
        check_batch(points[k], rows, n);
    void *scratch = malloc(gg_model()->batch_scratch);
    assert_non_null(scratch);
    rows[3].m_x = 0; /* a row the model does not cover */
    gg_model()->batch_prepare(rows, n, scratch);
    double g[NP] = {1, 1, 1};
    assert_true(gg_model()->loglik_sum(PAPER_PARAMS, rows, n, g, NULL, scratch) == -INFINITY);
    assert_true(g[0] == 0 && g[1] == 0 && g[2] == 0);
    free(scratch);
    free(rows);
    free(cbs);
}

/* ---- bad and extreme input ------------------------------------------------ */

static void test_invalid_rows(void **state)
{
    (void)state;
    const double bad[5][2] = {{0, 20}, {-1, 20}, {2, 0}, {2, -5}, {2, NAN}};
    for (int r = 0; r < 5; r++) {
        double grad[NP] = {1, 1, 1};
        assert_true(loglik_of(PAPER_PARAMS, bad[r][0], bad[r][1], grad) == -INFINITY);
        for (int k = 0; k < NP; k++)
            assert_true(grad[k] == 0);
    }
}

static void test_extreme_inputs(void **state)
{
    (void)state;
    const double points[6][NP] = {{6.25, 3.74, 15.44},  {1e-10, 1e-10, 1e-10}, {1e10, 1e10, 1e10},
                                  {1e-10, 1e10, 1e-10}, {1e10, 1e-10, 1e10},   {1e-6, 1e6, 1e8}};
    const double rows[6][2] = {{1, 1e-9}, {1, 1e12}, {1e9, 35}, {1e9, 1e-9}, {1e9, 1e12}, {3, 35}};
    for (int k = 0; k < 6; k++)
        for (int r = 0; r < 6; r++) {
            double grad[NP];
            double ll = loglik_of(points[k], rows[r][0], rows[r][1], grad);
            if (isnan(ll) || ll == INFINITY)
                fail_msg("ll %g at point %d row %d", ll, k, r);
            for (int j = 0; j < NP; j++)
                if (!isfinite(grad[j]))
                    fail_msg("grad[%d] %g at point %d row %d", j, grad[j], k, r);
            double spend = gg_expected_spend(points[k], rows[r][0], rows[r][1]);
            assert_true(points[k][1] <= 1 || (isfinite(spend) && spend > 0));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_fields),
        cmocka_unit_test(test_loglik_cdnow),
        cmocka_unit_test(test_mle_cdnow),
        cmocka_unit_test(test_expected_spend_cdnow),
        cmocka_unit_test(test_expected_spend_rules),
        cmocka_unit_test(test_gradient_finite_differences),
        cmocka_unit_test(test_invalid_rows),
        cmocka_unit_test(test_extreme_inputs),
        cmocka_unit_test(test_batch_matches_rows),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
