/* test_nbd.c - the NBD model and the no-dropout edge: BG/NBD, MBG/NBD and
 * Pareto/NBD fitted on customers who never drop out report the NBD fitted
 * directly (same log-likelihood, standard errors from its Hessian), and
 * predict with it; CDNOW, where customers do drop out, is not at the edge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "models/fit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- seeded random numbers ------------------------------------------------------ */

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

/* n customers who never drop out: Poisson purchases at a Gamma(r, alpha) rate
 * over ages T of 1..max_T weeks; the last of x purchases at T U^(1/x). */
static cvo_summary_row *simulate_no_dropout(size_t n, double r, double alpha, int max_T,
                                            uint64_t seed)
{
    rng g = {seed};
    cvo_summary_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++) {
        double T = 1 + (double)(rng_next(&g) % (uint64_t)max_T);
        double x = rng_poisson(&g, rng_gamma(&g, r) / alpha * T);
        double t_x = x > 0 ? T * pow(rng_uniform(&g), 1 / x) : 0;
        rows[i] = (cvo_summary_row){"", x, t_x, T, 0, 0, 1, 0, NAN};
    }
    return rows;
}

/* ---- helpers ------------------------------------------------------------------------ */

static cvo_ctx *new_ctx(void)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    return ctx;
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

enum { STORE_CUSTOMERS = 3000, STORE_WEEKS = 52 };
#define STORE_SEED 7u

static cvo_summary *no_dropout_store(cvo_ctx *ctx)
{
    cvo_summary_row *rows = simulate_no_dropout(STORE_CUSTOMERS, 0.7, 10, STORE_WEEKS, STORE_SEED);
    cvo_summary *s = NULL;
    assert_int_equal(summary_from_rows(ctx, rows, STORE_CUSTOMERS, &s), CVO_OK);
    free(rows);
    return s;
}

/* Total NBD log-likelihood of a summary at (r, alpha). */
static double nbd_total(const cvo_summary *s, double r, double alpha)
{
    const double p[2] = {r, alpha};
    double ll = 0;
    for (size_t i = 0; i < s->count; i++) {
        const cvo_summary_row *x = &s->rows[i];
        model_row row = {x->x, x->t_x, x->T, 0, x->weight};
        ll += x->weight * nbd_model()->loglik(p, &row, NULL);
    }
    return ll;
}

/* ---- the NBD model ------------------------------------------------------------------- */

static void test_nbd_gradient_matches_differences(void **state)
{
    (void)state;
    const model_row rows[] = {{0, 0, 30, 0, 1}, {3, 20, 38, 0, 1}, {17, 51, 52, 0, 1}};
    const double p[2] = {0.7, 9.4};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double grad[2];
        nbd_model()->loglik(p, &rows[i], grad);
        for (int k = 0; k < 2; k++) {
            double up[2] = {p[0], p[1]}, down[2] = {p[0], p[1]}, h = 1e-6 * p[k];
            up[k] += h;
            down[k] -= h;
            double diff = (nbd_model()->loglik(up, &rows[i], NULL) -
                           nbd_model()->loglik(down, &rows[i], NULL)) /
                          (2 * h);
            assert_rel(grad[k], diff, 1e-6);
        }
    }
}

static void test_nbd_predictions_closed_form(void **state)
{
    (void)state;
    const double p[2] = {0.7, 9.4};
    cvo_ctx *ctx = new_ctx();
    cvo_fit fit;
    assert_int_equal(cvo_fit_from_params(ctx, CVO_MODEL_NBD, p, 2, &fit), CVO_OK);
    assert_true(cvo_fit_p_alive(&fit, 3, 10, 40) == 1);
    assert_rel(cvo_fit_expected(&fit, 3, 10, 40, 13), (0.7 + 3) / (9.4 + 40) * 13, 1e-12);
    assert_rel(cvo_fit_unconditional(&fit, 52), 0.7 * 52 / 9.4, 1e-12);
    double sum = 0, mean = 0;
    for (int n = 0; n < 400; n++) {
        sum += cvo_fit_pmf(&fit, 52, n);
        mean += n * cvo_fit_pmf(&fit, 52, n);
    }
    assert_abs(sum, 1, 1e-9);
    assert_rel(mean, 0.7 * 52 / 9.4, 1e-9);
    cvo_model m;
    assert_true(cvo_model_from_name("nbd", &m));
    assert_int_equal(m, CVO_MODEL_NBD);
    assert_string_equal(cvo_model_name(CVO_MODEL_NBD), "nbd");
    assert_string_equal(cvo_fit_status_name(CVO_FIT_CONVERGED), "converged");
    assert_string_equal(cvo_fit_status_name(CVO_FIT_NO_DROPOUT), "no dropout");
    assert_string_equal(cvo_fit_status_name(CVO_FIT_NOT_CONVERGED), "not converged");
    assert_string_equal(cvo_fit_status_name((cvo_fit_status)9), "unknown");
    assert_false(cvo_fit_reduced(&fit, &fit)); /* not at an edge */
    cvo_ctx_free(ctx);
}

/* ---- the edge ------------------------------------------------------------------------ */

/* The NBD's standard errors against the inverse of a numerical Hessian of its
 * log-likelihood in (r, alpha). */
static void assert_nbd_std_errors(const cvo_summary *s, const double *p, const double *se)
{
    double h[2] = {1e-4 * p[0], 1e-4 * p[1]}, H[2][2];
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            double v[4];
            for (int c = 0; c < 4; c++) {
                double q[2] = {p[0], p[1]};
                q[i] += (c & 1 ? -1 : 1) * h[i];
                q[j] += (c & 2 ? -1 : 1) * h[j];
                v[c] = nbd_total(s, q[0], q[1]);
            }
            H[i][j] = (v[0] - v[1] - v[2] + v[3]) / (4 * h[i] * h[j]);
        }
    }
    double det = H[0][0] * H[1][1] - H[0][1] * H[1][0];
    assert_true(det > 0);
    assert_rel(se[0], sqrt(-H[1][1] / det), 1e-3);
    assert_rel(se[1], sqrt(-H[0][0] / det), 1e-3);
}

static void check_edge(cvo_model model)
{
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = no_dropout_store(ctx);
    cvo_fit fit, nbd, direct;
    assert_int_equal(cvo_model_fit(ctx, model, s, NULL, &fit), CVO_OK);
    if (fit.status != CVO_FIT_NO_DROPOUT)
        fail_msg("%s: status %s, note %s; %g %g %g %g", cvo_model_name(model),
                 cvo_fit_status_name(fit.status), fit.note, fit.params[0], fit.params[1],
                 fit.params[2], fit.params[3]);
    assert_true(fit.converged);
    assert_non_null(strstr(fit.note, "no dropout detected: the model reduces to NBD"));
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_NBD, s, NULL, &direct), CVO_OK);
    assert_int_equal(direct.status, CVO_FIT_CONVERGED);
    assert_true(cvo_fit_reduced(&fit, &nbd));
    assert_int_equal(nbd.model, CVO_MODEL_NBD);
    for (int k = 0; k < 2; k++) {
        assert_rel(fit.nbd_params[k], direct.params[k], 1e-6);
        assert_rel(nbd.params[k], direct.params[k], 1e-6);
        assert_rel(fit.nbd_std_error[k], direct.std_error[k], 1e-4);
        assert_true(fit.nbd_std_error[k] > 0);
    }
    assert_rel(fit.nbd_params[0], 0.7, 0.15); /* the simulated store's */
    assert_rel(fit.nbd_params[1], 10, 0.15);
    assert_nbd_std_errors(s, fit.nbd_params, fit.nbd_std_error);
    /* the edge of the dropout model has the NBD's likelihood */
    assert_abs(fit.nbd_loglik, direct.loglik, 1e-6 * fabs(direct.loglik));
    assert_abs(fit.nbd_loglik, nbd_total(s, fit.nbd_params[0], fit.nbd_params[1]), 1e-6);
    assert_abs(fit.loglik, fit.nbd_loglik, 0.01);
    /* predictions are the NBD's: nobody is gone */
    assert_true(cvo_fit_p_alive(&fit, 2, 5, 40) == 1);
    assert_rel(cvo_fit_expected(&fit, 2, 5, 40, 13),
               (fit.nbd_params[0] + 2) / (fit.nbd_params[1] + 40) * 13, 1e-12);
    cvo_prediction *out = calloc(s->count, sizeof *out);
    assert_non_null(out);
    assert_int_equal(cvo_predict_all(ctx, &fit, NULL, s, NULL, out), CVO_OK);
    for (size_t i = 0; i < s->count; i++)
        assert_true(out[i].p_alive == 1);
    free(out);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void test_bgnbd_edge_is_nbd(void **state)
{
    (void)state;
    check_edge(CVO_MODEL_BGNBD);
}

static void test_mbgnbd_edge_is_nbd(void **state)
{
    (void)state;
    check_edge(CVO_MODEL_MBGNBD);
}

static void test_pnbd_edge_is_nbd(void **state)
{
    (void)state;
    check_edge(CVO_MODEL_PNBD);
}

/* ---- CDNOW: customers drop out ---------------------------------------------------------- */

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
    cvo_summary *s = NULL;
    assert_int_equal(summary_from_rows(ctx, rows, n, &s), CVO_OK);
    free(rows);
    return s;
}

static void test_cdnow_is_not_at_the_edge(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = load_cdnow(ctx);
    const cvo_model models[] = {CVO_MODEL_BGNBD, CVO_MODEL_MBGNBD, CVO_MODEL_PNBD};
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        cvo_fit fit, nbd;
        assert_int_equal(cvo_model_fit(ctx, models[m], s, NULL, &fit), CVO_OK);
        assert_int_equal(fit.status, CVO_FIT_CONVERGED);
        assert_true(fit.converged);
        assert_false(cvo_fit_reduced(&fit, &nbd));
        assert_true(isnan(fit.nbd_params[0]) && isnan(fit.nbd_loglik));
    }
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

/* Fader, Hardie & Lee (2005) fit the NBD to these data as the benchmark of
 * BG/NBD: r = 0.385, alpha = 12.072, LL = -9763.7. */
static void test_nbd_cdnow_published(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = load_cdnow(ctx);
    cvo_fit fit;
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_NBD, s, NULL, &fit), CVO_OK);
    assert_int_equal(fit.status, CVO_FIT_CONVERGED);
    assert_abs(fit.params[0], 0.385, 5e-4);
    assert_abs(fit.params[1], 12.072, 5e-3);
    assert_abs(fit.loglik, -9763.7, 0.05);
    assert_nbd_std_errors(s, fit.params, fit.std_error);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nbd_gradient_matches_differences),
        cmocka_unit_test(test_nbd_predictions_closed_form),
        cmocka_unit_test(test_bgnbd_edge_is_nbd),
        cmocka_unit_test(test_mbgnbd_edge_is_nbd),
        cmocka_unit_test(test_pnbd_edge_is_nbd),
        cmocka_unit_test(test_cdnow_is_not_at_the_edge),
        cmocka_unit_test(test_nbd_cdnow_published),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
