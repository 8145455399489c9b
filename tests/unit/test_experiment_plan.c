/* test_experiment_plan.c - the power arithmetic against textbook sample sizes
 * (acceptance 4 of issue 12: within 2 %), the metric names, and the plan of a
 * generated store's lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "cvo.h"
#include "experiment/power.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void assert_within(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%.6g is not within %.1f %% of %.6g", got, 100 * rel, want);
}

static void test_metric_names(void **state)
{
    (void)state;
    cvo_exp_metric m;
    for (int i = 0; i < CVO_EXP_METRIC__COUNT; i++) {
        assert_true(cvo_exp_metric_parse(cvo_exp_metric_name((cvo_exp_metric)i), &m));
        assert_int_equal(m, i);
    }
    assert_string_equal(cvo_exp_metric_name(CVO_EXP_PROFIT), "profit");
    assert_false(cvo_exp_metric_parse("margin", &m));
    assert_false(cvo_exp_metric_parse(NULL, &m));
    assert_string_equal(cvo_exp_metric_name((cvo_exp_metric)9), "unknown");
}

/* Textbook sample sizes (normal approximation, alpha 0.05 two-sided, 80 % power):
 * 1. two proportions, p = 0.10, delta = 0.02, equal arms: 2 x 2.80158^2 x 0.09 x 2 /
 *    0.0004 = 7,064 in total (Kohavi et al. 2020, ch. 17; reference/experiments.md);
 * 2. two means, sigma 50, delta 5 (Cohen's d 0.1), equal arms: n per arm =
 *    2 (z_a + z_b)^2 / d^2 = 1,570, 3,140 in total (Cohen 1988, table 2.4.1: 1,571);
 * 3. unequal arms, p = 0.05, delta = 0.01, holdout 20 % (k = n_T / n_H = 4):
 *    n_H = (z_a + z_b)^2 sigma^2 (1 + 1/k) / delta^2 = 4,660, N = 5 n_H = 23,302
 *    (Chow, Shao, Wang, Sample Size Calculations, 3.2.1). */
static void test_textbook(void **state)
{
    (void)state;
    assert_within(power_z_sum(0.05, 0.8), 2.80158, 1e-5);
    double sigma_p = sqrt(power_proportion_variance(0.10));
    assert_within(power_members(sigma_p, 0.02, 0.5, 0.05, 0.8), 7064, 0.02);
    assert_within(power_members(50, 5, 0.5, 0.05, 0.8), 3140, 0.02);
    double sigma_q = sqrt(power_proportion_variance(0.05));
    assert_within(power_members(sigma_q, 0.01, 0.2, 0.05, 0.8), 23302, 0.02);
    /* MDE inverts N */
    assert_within(power_mde(sigma_q, 23302, 0.2, 0.05, 0.8), 0.01, 0.001);
    assert_true(isinf(power_members(1, 0, 0.5, 0.05, 0.8)));
    assert_true(isnan(power_mde(1, 0, 0.5, 0.05, 0.8)));
    assert_true(isnan(power_members(1, 1, 1.0, 0.05, 0.8)));
}

/* ---- a generated store ------------------------------------------------------------ */

typedef struct fixture {
    cvo_ctx *ctx;
    cvo_config *config;
    cvo_customers *customers;
    cvo_analysis *analysis;
} fixture;

static cvo_customers *generated(cvo_ctx *ctx, uint64_t customers, uint64_t seed)
{
    char *orders = NULL, *products = NULL, path[] = "/tmp/test_experiment_plan_XXXXXX";
    size_t orders_len = 0, products_len = 0;
    FILE *o = open_memstream(&orders, &orders_len), *p = open_memstream(&products, &products_len);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = seed;
    assert_int_equal(cvo_generate(ctx, &g, o, p, NULL), CVO_OK);
    assert_int_equal(fclose(o), 0);
    assert_int_equal(fclose(p), 0);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, orders, orders_len), (ssize_t)orders_len);
    close(fd);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = path;
    lo.keep_orders = true;
    cvo_customers *table = NULL;
    assert_int_equal(cvo_orders_load(ctx, &lo, &table, NULL), CVO_OK);
    unlink(path);
    free(orders);
    free(products);
    return table;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    f->customers = generated(f->ctx, 3000, 3);
    assert_int_equal(cvo_analyze(f->ctx, f->customers, NULL, f->config, &f->analysis), CVO_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cvo_analysis_free(f->analysis);
    cvo_customers_free(f->customers);
    cvo_config_free(f->config);
    cvo_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* The plan's own figures obey the power formula it states, for every list and metric. */
static void test_plan_consistent(void **state)
{
    fixture *f = *state;
    const unsigned lists[] = {CVO_LIST_WINBACK, CVO_LIST_VIP, CVO_LIST_REFERRAL,
                              CVO_LIST_NO_DISCOUNT};
    for (size_t l = 0; l < 4; l++) {
        for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
            cvo_experiment_plan p;
            assert_int_equal(cvo_experiment_plan_compute(f->ctx, f->analysis, lists[l], NULL,
                                                         (cvo_exp_metric)m, &p),
                             CVO_OK);
            assert_int_equal(p.window_days, 60);
            assert_within(p.share, 0.2, 1e-12);
            assert_within(p.target_effect, 0.10, 1e-12);
            assert_true(p.basis[0] != '\0');
            if (getenv("CVO_PRINT_PLAN"))
                printf("%s %s: members %llu baseline %.4g sd %.4g rho2 %.3f N %llu weeks %.1f "
                       "mde %.3g (%.1f %%) %s | %s\n",
                       cvo_list_name(lists[l]), cvo_exp_metric_name(p.metric),
                       (unsigned long long)p.members_now, p.baseline, p.sd, p.variance_reduction,
                       (unsigned long long)p.planned_members, p.weeks, p.mde_now,
                       100 * p.mde_relative_now, p.basis, p.advice);
            if (p.members_now == 0 || !(p.baseline > 0))
                continue;
            double n = power_members(p.sd, 0.10 * p.baseline, p.share, 0.05, 0.8);
            assert_within((double)p.planned_members, ceil(n), 1e-9);
            assert_within(p.weeks, p.planned_members / p.entrants_per_week + 60 / 7.0, 1e-9);
            assert_int_equal(p.too_small, p.weeks > 26);
            assert_true(p.too_small == (p.advice[0] != '\0'));
            assert_true(p.variance_reduction >= 0 && p.variance_reduction <= 1);
            if (m == CVO_EXP_CONVERSION)
                assert_within(p.sd, sqrt(p.baseline * (1 - p.baseline)), 1e-9);
        }
    }
}

static void test_plan_errors(void **state)
{
    fixture *f = *state;
    cvo_experiment_plan p;
    assert_int_equal(cvo_experiment_plan_compute(f->ctx, f->analysis, CVO_LIST_EXCLUDE, NULL,
                                                 CVO_EXP_PROFIT, &p),
                     CVO_ERR_ARGUMENT);
    assert_int_equal(cvo_experiment_plan_compute(f->ctx, f->analysis,
                                                 CVO_LIST_VIP | CVO_LIST_WINBACK, NULL,
                                                 CVO_EXP_PROFIT, &p),
                     CVO_ERR_ARGUMENT);
    assert_int_equal(
        cvo_experiment_plan_compute(f->ctx, f->analysis, CVO_LIST_VIP, NULL, (cvo_exp_metric)7, &p),
        CVO_ERR_ARGUMENT);
    assert_int_equal(
        cvo_experiment_plan_compute(f->ctx, NULL, CVO_LIST_VIP, NULL, CVO_EXP_PROFIT, &p),
        CVO_ERR_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_textbook),
        cmocka_unit_test_setup_teardown(test_plan_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
