/* stats.h - the tests behind the deep dives: two proportions (z, Newcombe's
 * interval), Student's pooled t and Welch's t for two means, a difference of
 * two NPS values, and Benjamini-Hochberg q-values. Pure functions of counts
 * and moments. */
#ifndef CVO_STATS_H
#define CVO_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A difference a - b with its two-sided test and a (1 - alpha) interval. */
typedef struct stats_test {
    bool ok;     /* false: a group is empty or the test is undefined */
    double diff; /* a - b */
    double ci_low, ci_high;
    double statistic; /* z or t */
    double df;        /* the t test's degrees of freedom; 0 for z tests */
    double p_value;   /* two-sided */
} stats_test;

/* Moments of one sample: n, mean and the sum of squared deviations from it. */
typedef struct stats_moments {
    double n, mean, m2;
} stats_moments;

/* Adds x (Welford's update, stable for large means). */
void stats_moments_add(stats_moments *m, double x);
/* The moments of all minus part (the rest of a group), exact in exact arithmetic. */
stats_moments stats_moments_minus(const stats_moments *all, const stats_moments *part);
/* Sample variance (n - 1 in the denominator); 0 when n < 2. */
double stats_moments_variance(const stats_moments *m);

/* x1/n1 - x2/n2: z with the pooled proportion, two-sided normal p, and
 * Newcombe's hybrid score interval (his method 10, from two Wilson intervals). */
stats_test stats_two_proportions(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double alpha);
/* mean(a) - mean(b): Welch's t, Satterthwaite's df, two-sided t p-value and
 * the t interval. Needs n >= 2 on both sides. */
stats_test stats_welch(const stats_moments *a, const stats_moments *b, double alpha);
/* mean(a) - mean(b): Student's t with the pooled variance, df = na + nb - 2,
 * two-sided p-value and the t interval. The test of a group against the rest
 * when the null is that membership is random (then both sides share one
 * variance): unlike Welch's, it is not fooled by a small, skewed group whose
 * own sample variance happens to be low. Needs n >= 1 on both sides, n >= 3 in all. */
stats_test stats_pooled_t(const stats_moments *a, const stats_moments *b, double alpha);
/* NPS(a) - NPS(b) from class counts (promoters, passives, detractors), each
 * with Var = 100^2 (p + d - (p - d)^2) / n; z test and the normal interval. */
stats_test stats_nps_difference(const uint64_t a[3], const uint64_t b[3], double alpha);

/* Sums of one sample of pairs (x, y): the sufficient statistics of a
 * regression of y on x. Raw sums: the callers' x and y are currency amounts
 * and counts of a store, far from where cancellation would matter. */
typedef struct stats_xy {
    double n, sx, sy, sxx, sxy, syy;
} stats_xy;

/* Adds the pair (x, y). */
void stats_xy_add(stats_xy *s, double x, double y);
/* all - part, sum by sum. */
stats_xy stats_xy_minus(const stats_xy *all, const stats_xy *part);

/* The difference in y of a group against the rest adjusted for a covariate x,
 * from strata of x (group[s], rest[s], s < strata): within each stratum an
 * analysis of covariance (y on membership and x, one common slope), so the
 * covariate's effect inside a wide stratum is removed too; its variance
 * from each side's own spread about the common line or the pooled one,
 * whichever is larger (buyers of a dear product spread wider than the rest,
 * and a small quiet group must not look precise either); the stratum
 * estimates combined with weights n_g n_r / (n_g + n_r) (the inverse of the
 * estimate's variance when variances are equal, without letting noisy
 * variance estimates pick the weights), variances summed with the squared
 * weights. A stratum counts when both sides have a member and it has 4 pairs
 * in all; z test and normal interval at 1 - alpha. ok false when none counts. */
stats_test stats_stratified_ancova(const stats_xy *group, const stats_xy *rest, size_t strata,
                                   double alpha);

/* Benjamini-Hochberg adjusted p-values (q-values) of p[0..n) into q[0..n):
 * q_(i) = min over j >= i of p_(j) n / j, capped at 1; NaN entries are left
 * out of the count and come back NaN. order is scratch for n indices. */
void stats_bh(const double *p, size_t n, double *q, size_t *order);

#endif
