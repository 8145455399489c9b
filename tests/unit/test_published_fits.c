/* test_published_fits.c - issue #3's acceptance: every model fitted on the
 * published data sets reproduces the published parameters within 2e-3
 * relative and the log-likelihood within 0.01 (clv.md B.1, B.4, B.5), from the
 * BTYD summary and, for CDNOW, from the raw event log alike. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cvo.h"

#include <math.h>

typedef struct published {
    cvo_model model;
    double params[4];
    double loglik; /* NaN: not published */
} published;

static const published cdnow[] = {
    {CVO_MODEL_BGNBD, {0.2425982, 4.4136842, 0.7929899, 2.4261667}, -9582.429},
    {CVO_MODEL_PNBD, {0.5534, 10.580, 0.6061, 11.656}, -9594.976},
    {CVO_MODEL_MBGNBD, {0.525, 6.183, 0.891, 1.614}, NAN},
    {CVO_MODEL_GG, {6.25, 3.74, 15.44}, -4055.92},
};

static void check(const cvo_fit *fit, const published *want)
{
    assert_true(fit->converged);
    for (int k = 0; k < fit->nparams; k++) {
        double rel = fabs(fit->params[k] - want->params[k]) / want->params[k];
        print_message("%s %s: %.7g vs %.7g (rel %.1e)\n", cvo_model_name(fit->model),
                      fit->param_names[k], fit->params[k], want->params[k], rel);
        assert_true(rel < 2e-3);
    }
    if (!isnan(want->loglik))
        assert_true(fabs(fit->loglik - want->loglik) < 0.01);
}

static void fit_all(cvo_ctx *ctx, const cvo_summary *s)
{
    for (size_t i = 0; i < sizeof cdnow / sizeof *cdnow; i++) {
        cvo_fit fit;
        assert_int_equal(cvo_model_fit(ctx, cdnow[i].model, s, NULL, &fit), CVO_OK);
        check(&fit, &cdnow[i]);
    }
}

static void test_cdnow_from_summary(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_load(ctx, "tests/data/cdnow_cbs.csv", &s), CVO_OK);
    fit_all(ctx, s);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void test_cdnow_from_event_log(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = "tests/data/cdnowElog.csv";
    lo.keep_orders = true;
    cvo_customers *c = NULL;
    assert_int_equal(cvo_orders_load(ctx, &lo, &c, NULL), CVO_OK);
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.calibration_end = cvo_day_from_ymd(1997, 9, 30);
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_from_orders(ctx, c, &so, &s), CVO_OK);
    fit_all(ctx, s);
    cvo_summary_free(s);
    cvo_customers_free(c);
    cvo_ctx_free(ctx);
}

static void test_donations_bgbb(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    static const published donations = {CVO_MODEL_BGBB, {1.204, 0.750, 0.657, 2.783}, -33225.58};
    const char *files[] = {"tests/data/donations.csv", "tests/data/donations_rf_matrix.csv"};
    for (int i = 0; i < 2; i++) {
        cvo_summary *s = NULL;
        assert_int_equal(cvo_summary_load(ctx, files[i], &s), CVO_OK);
        cvo_fit fit;
        assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGBB, s, NULL, &fit), CVO_OK);
        check(&fit, &donations);
        assert_true(fit.n == 11104);
        cvo_summary_free(s);
    }
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cdnow_from_summary),
        cmocka_unit_test(test_cdnow_from_event_log),
        cmocka_unit_test(test_donations_bgbb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
