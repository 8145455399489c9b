/* test_recovery.c - the whole pipeline recovers known BG/NBD and Pareto/NBD
 * parameters: cvo_generate simulates a store from (r, alpha, a, b) or (r, alpha,
 * s, beta), the orders are read back, summarised in weeks and fitted; each
 * estimate must lie within four standard errors of the truth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cvo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void recover_process(int process, const double truth[4], uint64_t seed)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    char path[] = "/tmp/cvo-recovery-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *orders = fdopen(fd, "w");
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = 20000;
    g.seed = seed;
    g.process = process;
    if (process == CVO_GEN_PNBD) {
        g.pnbd_r = truth[0];
        g.pnbd_alpha = truth[1];
        g.pnbd_s = truth[2];
        g.pnbd_beta = truth[3];
    } else {
        g.bgnbd_r = truth[0];
        g.bgnbd_alpha = truth[1];
        g.bgnbd_a = truth[2];
        g.bgnbd_b = truth[3];
    }
    assert_int_equal(cvo_generate(ctx, &g, orders, NULL, NULL), CVO_OK);
    fclose(orders);

    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = path;
    lo.keep_orders = true;
    cvo_customers *c = NULL;
    cvo_load_stats st;
    assert_int_equal(cvo_orders_load(ctx, &lo, &c, &st), CVO_OK);
    /* the generated store's time runs to its last possible day */
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.as_of_day = g.last_day + 1;
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_from_orders(ctx, c, &so, &s), CVO_OK);
    cvo_fit fit;
    cvo_fit_options fo;
    cvo_fit_options_init(&fo);
    cvo_model model = process == CVO_GEN_PNBD ? CVO_MODEL_PNBD : CVO_MODEL_BGNBD;
    assert_int_equal(cvo_model_fit(ctx, model, s, &fo, &fit), CVO_OK);
    assert_true(fit.converged);
    for (int k = 0; k < 4; k++) {
        double z = (fit.params[k] - truth[k]) / fit.std_error[k];
        print_message("%s: true %g, fitted %g (se %g, z %.2f)\n", fit.param_names[k], truth[k],
                      fit.params[k], fit.std_error[k], z);
        assert_true(isfinite(z) && fabs(z) < 4);
    }
    cvo_summary_free(s);
    cvo_customers_free(c);
    unlink(path);
    cvo_ctx_free(ctx);
}

static void recover(double r, double alpha, double a, double b, uint64_t seed)
{
    const double truth[4] = {r, alpha, a, b};
    recover_process(CVO_GEN_BGNBD, truth, seed);
}

/* Fully refunded orders (about 1.5%) do not count as purchases, so a tiny
 * thinning of the purchase process is expected; four SE absorbs it. */
static void test_default_store(void **state)
{
    (void)state;
    recover(0.75, 20, 0.8, 2.5, 11);
}

static void test_other_parameters(void **state)
{
    (void)state;
    recover(0.3, 6, 1.2, 3.5, 12);
}

/* The Pareto/NBD generator mode: its own fit recovers its parameters, over
 * several seeds and at the defaults and another point. */
static void test_pareto_nbd(void **state)
{
    (void)state;
    cvo_generate_options defaults;
    cvo_generate_options_init(&defaults);
    const double truth[4] = {defaults.pnbd_r, defaults.pnbd_alpha, defaults.pnbd_s,
                             defaults.pnbd_beta};
    for (uint64_t seed = 21; seed <= 23; seed++)
        recover_process(CVO_GEN_PNBD, truth, seed);
    const double other[4] = {1.2, 8, 0.4, 20};
    recover_process(CVO_GEN_PNBD, other, 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_store),
        cmocka_unit_test(test_other_parameters),
        cmocka_unit_test(test_pareto_nbd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
