/* test_stats.c - the deep dives' tests against values computed independently:
 * Newcombe's published intervals, R's Welch test on the sleep data, z tests
 * and BH q-values worked out with python3 (math.erfc, mpmath.betainc). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "analysis/stats.h"
#include "cvo.h"

#include <math.h>
#include <stdint.h>

#define close_to(value, expected, tolerance) assert_true(fabs((value) - (expected)) <= (tolerance))

/* Newcombe (1998), Stat Med 17:873, table II, method 10: 56/70 - 48/80 has the
 * interval 0.0524 to 0.3339, and 9/10 - 3/10 has 0.1705 to 0.8090. The pooled
 * z of the first: p = 104/150, z = 0.2 / sqrt(p (1-p) (1/70 + 1/80)) =
 * 2.6501719512585336, two-sided p = erfc(z / sqrt 2) = 0.008045081368196568. */
static void test_two_proportions(void **state)
{
    (void)state;
    stats_test t = stats_two_proportions(56, 70, 48, 80, 0.05);
    assert_true(t.ok);
    close_to(t.diff, 0.2, 1e-12);
    close_to(t.ci_low, 0.0524, 5e-5);
    close_to(t.ci_high, 0.3339, 5e-5);
    close_to(t.statistic, 2.6501719512585336, 1e-12);
    close_to(t.p_value, 0.008045081368196568, 1e-12);
    t = stats_two_proportions(9, 10, 3, 10, 0.05);
    close_to(t.ci_low, 0.1705, 5e-5);
    close_to(t.ci_high, 0.8090, 5e-5);
    /* the same counts swapped: the difference, z and interval change sign */
    stats_test s = stats_two_proportions(3, 10, 9, 10, 0.05);
    close_to(s.diff, -t.diff, 1e-15);
    close_to(s.ci_low, -t.ci_high, 1e-12);
    close_to(s.p_value, t.p_value, 1e-15);
    /* nobody repeats on either side: no difference, p = 1 */
    t = stats_two_proportions(0, 40, 0, 60, 0.05);
    assert_true(t.ok);
    close_to(t.p_value, 1, 0);
    assert_false(stats_two_proportions(1, 0, 1, 5, 0.05).ok);
    assert_false(stats_two_proportions(6, 5, 1, 5, 0.05).ok);
}

static stats_moments moments_of(const double *x, size_t n)
{
    stats_moments m = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
        stats_moments_add(&m, x[i]);
    return m;
}

/* R: t.test(extra ~ group, data = sleep) gives t = -1.8608, df = 17.776,
 * p-value = 0.07939, 95 % interval -3.3654832 to 0.2054832; to more digits
 * (python3 with mpmath.betainc for the t tail and its root for the quantile):
 * t = -1.8608134674868526, df = 17.776473516178495, p = 0.0793941401873581,
 * interval -3.3654832307117104 to 0.20548323071171137. */
static void test_welch(void **state)
{
    (void)state;
    const double g1[] = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
    const double g2[] = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
    stats_moments a = moments_of(g1, 10), b = moments_of(g2, 10);
    stats_test t = stats_welch(&a, &b, 0.05);
    assert_true(t.ok);
    close_to(t.diff, -1.58, 1e-12);
    close_to(t.statistic, -1.8608134674868526, 1e-10);
    close_to(t.df, 17.776473516178495, 1e-9);
    close_to(t.p_value, 0.0793941401873581, 1e-9);
    close_to(t.ci_low, -3.3654832307117104, 1e-8);
    close_to(t.ci_high, 0.20548323071171137, 1e-8);
    /* too few on a side, or no variance at all: no test */
    stats_moments one = moments_of(g1, 1), flat = moments_of((const double[]){2, 2, 2}, 3);
    assert_false(stats_welch(&one, &b, 0.05).ok);
    assert_false(stats_welch(&flat, &flat, 0.05).ok);
}

/* R: t.test(extra ~ group, data = sleep, var.equal = TRUE) gives t = -1.8608,
 * df = 18, p-value = 0.07919, 95 % interval -3.363874 to 0.203874; to more
 * digits (python3 with mpmath: betainc for the t tail, findroot for the
 * quantile): p = 0.0791867142159381, interval -3.3638740322875986 to
 * 0.2038740322875986. */
static void test_pooled_t(void **state)
{
    (void)state;
    const double g1[] = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
    const double g2[] = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
    stats_moments a = moments_of(g1, 10), b = moments_of(g2, 10);
    stats_test t = stats_pooled_t(&a, &b, 0.05);
    assert_true(t.ok);
    close_to(t.diff, -1.58, 1e-12);
    close_to(t.statistic, -1.8608134674868531, 1e-10);
    close_to(t.df, 18, 0);
    close_to(t.p_value, 0.0791867142159381, 1e-9);
    close_to(t.ci_low, -3.3638740322875986, 1e-8);
    close_to(t.ci_high, 0.2038740322875986, 1e-8);
    /* a group of one against a spread rest is still a test; no variance at all is not */
    stats_moments one = moments_of(g1, 1), flat = moments_of((const double[]){2, 2, 2}, 3);
    assert_true(stats_pooled_t(&one, &b, 0.05).ok);
    assert_false(stats_pooled_t(&flat, &flat, 0.05).ok);
}

/* The rest of a group from the totals equals the moments of the rest itself
 * (sleep data: group 2 = all - group 1), even far from zero. */
static void test_moments_minus(void **state)
{
    (void)state;
    double all[20];
    for (int i = 0; i < 20; i++)
        all[i] = 1e6 + (i * 7919 % 23) * 0.5;
    stats_moments whole = moments_of(all, 20), part = moments_of(all, 8);
    stats_moments rest = stats_moments_minus(&whole, &part), direct = moments_of(all + 8, 12);
    close_to(rest.n, 12, 0);
    close_to(rest.mean, direct.mean, 1e-7);
    close_to(stats_moments_variance(&rest), stats_moments_variance(&direct), 1e-6);
    stats_moments single = moments_of(all, 1);
    close_to(stats_moments_variance(&single), 0, 0);
}

/* a: 50 promoters, 30 passives, 20 detractors (NPS 30); b: 30, 30, 40 (NPS -10).
 * Var a = 1e4 (0.7 - 0.09) / 100 = 61, Var b = 1e4 (0.7 - 0.01) / 100 = 69;
 * z = 40 / sqrt(130) = 3.5082320772281173, p = 0.0004510953476143051, and the
 * interval's half width 1.959963984540054 sqrt(130) = 22.347027692519564, as
 * cvo_nps_difference_compute gives it. */
static void test_nps_difference(void **state)
{
    (void)state;
    const uint64_t a[3] = {50, 30, 20}, b[3] = {30, 30, 40}, none[3] = {0, 0, 0};
    stats_test t = stats_nps_difference(a, b, 0.05);
    assert_true(t.ok);
    close_to(t.diff, 40, 1e-12);
    close_to(t.statistic, 3.5082320772281173, 1e-12);
    close_to(t.p_value, 0.0004510953476143051, 1e-13);
    close_to(t.ci_high - t.diff, 22.347027692519564, 1e-9);
    cvo_nps_group ga, gb;
    cvo_nps_difference d;
    cvo_nps_group_compute(50, 30, 20, 30, &ga);
    cvo_nps_group_compute(30, 30, 40, 30, &gb);
    cvo_nps_difference_compute(&ga, &gb, &d);
    close_to(t.ci_low, d.ci_low, 1e-9);
    close_to(t.ci_high, d.ci_high, 1e-9);
    assert_false(stats_nps_difference(a, none, 0.05).ok);
}

/* R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "BH") = 0.025 0.050 0.050 0.025
 * 0.500 (sorted 0.005 0.01 0.03 0.04 0.5 times 5/rank = 0.025 0.025 0.05 0.05
 * 0.5, then the running minimum from the largest); NaN stays out of the count. */
static void test_bh(void **state)
{
    (void)state;
    const double p[6] = {0.01, 0.04, NAN, 0.03, 0.005, 0.5};
    const double expected[6] = {0.025, 0.05, NAN, 0.05, 0.025, 0.5};
    double q[6];
    size_t order[6];
    stats_bh(p, 6, q, order);
    for (int i = 0; i < 6; i++) {
        if (isnan(expected[i]))
            assert_true(isnan(q[i]));
        else
            close_to(q[i], expected[i], 1e-15);
    }
    /* ties and a p of 1: q never above 1; one test: q = p */
    const double tied[3] = {0.02, 0.02, 1};
    stats_bh(tied, 3, q, order);
    close_to(q[0], 0.03, 1e-15);
    close_to(q[1], 0.03, 1e-15);
    close_to(q[2], 1, 0);
    stats_bh(p + 4, 1, q, order);
    close_to(q[0], 0.005, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_proportions),
        cmocka_unit_test(test_welch),
        cmocka_unit_test(test_pooled_t),
        cmocka_unit_test(test_moments_minus),
        cmocka_unit_test(test_nps_difference),
        cmocka_unit_test(test_bh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
