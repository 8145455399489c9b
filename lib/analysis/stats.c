/* stats.c - two-sample tests for the deep dives: two proportions (pooled z,
 * Newcombe's interval), Welch's t, NPS differences and Benjamini-Hochberg.
 * Invariant: every p-value is two-sided and in [0, 1]; q >= p. */
#include "analysis/stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

void stats_moments_add(stats_moments *m, double x)
{
    m->n += 1;
    double delta = x - m->mean;
    m->mean += delta / m->n;
    m->m2 += delta * (x - m->mean);
}

stats_moments stats_moments_minus(const stats_moments *all, const stats_moments *part)
{
    stats_moments rest = {all->n - part->n, 0, 0};
    if (rest.n <= 0)
        return (stats_moments){0, 0, 0};
    rest.mean = (all->n * all->mean - part->n * part->mean) / rest.n;
    double delta = part->mean - rest.mean;
    /* Chan et al.: m2(all) = m2(part) + m2(rest) + delta^2 n_part n_rest / n_all */
    rest.m2 = all->m2 - part->m2 - delta * delta * part->n * rest.n / all->n;
    if (rest.m2 < 0)
        rest.m2 = 0;
    return rest;
}

double stats_moments_variance(const stats_moments *m)
{
    return m->n >= 2 ? m->m2 / (m->n - 1) : 0;
}

static double two_sided_normal(double z)
{
    double p = 2 * gsl_cdf_ugaussian_Q(fabs(z));
    return p > 1 ? 1 : p;
}

/* Wilson's score interval of x/n at critical value z. */
static void wilson(double x, double n, double z, double *low, double *high)
{
    double p = x / n, z2 = z * z;
    double centre = 2 * n * p + z2, half = z * sqrt(z2 + 4 * n * p * (1 - p));
    *low = (centre - half) / (2 * (n + z2));
    *high = (centre + half) / (2 * (n + z2));
}

stats_test stats_two_proportions(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double alpha)
{
    stats_test t = {0};
    if (n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2)
        return t;
    double a = (double)n1, b = (double)n2, p1 = (double)x1 / a, p2 = (double)x2 / b;
    double pooled = ((double)x1 + (double)x2) / (a + b);
    double se = sqrt(pooled * (1 - pooled) * (1 / a + 1 / b));
    double z = gsl_cdf_ugaussian_Qinv(alpha / 2), l1, u1, l2, u2;
    wilson((double)x1, a, z, &l1, &u1);
    wilson((double)x2, b, z, &l2, &u2);
    t.ok = true;
    t.diff = p1 - p2;
    t.ci_low = t.diff - sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
    t.ci_high = t.diff + sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
    t.statistic = se > 0 ? t.diff / se : 0;
    t.p_value = se > 0 ? two_sided_normal(t.statistic) : 1;
    return t;
}

stats_test stats_welch(const stats_moments *a, const stats_moments *b, double alpha)
{
    stats_test t = {0};
    if (a->n < 2 || b->n < 2)
        return t;
    double va = stats_moments_variance(a) / a->n, vb = stats_moments_variance(b) / b->n;
    double se2 = va + vb;
    if (!(se2 > 0))
        return t;
    t.ok = true;
    t.diff = a->mean - b->mean;
    t.statistic = t.diff / sqrt(se2);
    t.df = se2 * se2 / (va * va / (a->n - 1) + vb * vb / (b->n - 1));
    double p = 2 * gsl_cdf_tdist_Q(fabs(t.statistic), t.df);
    t.p_value = p > 1 ? 1 : p;
    double half = gsl_cdf_tdist_Qinv(alpha / 2, t.df) * sqrt(se2);
    t.ci_low = t.diff - half;
    t.ci_high = t.diff + half;
    return t;
}

stats_test stats_pooled_t(const stats_moments *a, const stats_moments *b, double alpha)
{
    stats_test t = {0};
    double df = a->n + b->n - 2;
    if (a->n < 1 || b->n < 1 || df < 1)
        return t;
    double pooled = (a->m2 + b->m2) / df;
    double se = sqrt(pooled * (1 / a->n + 1 / b->n));
    if (!(se > 0))
        return t;
    t.ok = true;
    t.diff = a->mean - b->mean;
    t.statistic = t.diff / se;
    t.df = df;
    double p = 2 * gsl_cdf_tdist_Q(fabs(t.statistic), df);
    t.p_value = p > 1 ? 1 : p;
    double half = gsl_cdf_tdist_Qinv(alpha / 2, df) * se;
    t.ci_low = t.diff - half;
    t.ci_high = t.diff + half;
    return t;
}

/* NPS of counts c (promoters, passives, detractors) and its variance. */
static double nps_of(const uint64_t c[3], double *variance)
{
    double n = (double)c[0] + (double)c[1] + (double)c[2];
    double p = (double)c[0] / n, d = (double)c[2] / n;
    double v = 1e4 * (p + d - (p - d) * (p - d)) / n;
    *variance = v > 0 ? v : 0;
    return 100 * (p - d);
}

stats_test stats_nps_difference(const uint64_t a[3], const uint64_t b[3], double alpha)
{
    stats_test t = {0};
    if (a[0] + a[1] + a[2] == 0 || b[0] + b[1] + b[2] == 0)
        return t;
    double va, vb;
    t.diff = nps_of(a, &va) - nps_of(b, &vb);
    double se = sqrt(va + vb), z = gsl_cdf_ugaussian_Qinv(alpha / 2);
    t.ok = true;
    t.ci_low = t.diff - z * se;
    t.ci_high = t.diff + z * se;
    t.statistic = se > 0 ? t.diff / se : 0;
    t.p_value = se > 0 ? two_sided_normal(t.statistic) : (t.diff == 0 ? 1 : 0);
    return t;
}

void stats_xy_add(stats_xy *s, double x, double y)
{
    s->n += 1;
    s->sx += x;
    s->sy += y;
    s->sxx += x * x;
    s->sxy += x * y;
    s->syy += y * y;
}

stats_xy stats_xy_minus(const stats_xy *all, const stats_xy *part)
{
    return (stats_xy){all->n - part->n,     all->sx - part->sx,   all->sy - part->sy,
                      all->sxx - part->sxx, all->sxy - part->sxy, all->syy - part->syy};
}

/* Sums of squares and products about the side's own means. */
static void centred(const stats_xy *s, double *xx, double *xy, double *yy)
{
    *xx = s->sxx - s->sx * s->sx / s->n;
    *xy = s->sxy - s->sx * s->sy / s->n;
    *yy = s->syy - s->sy * s->sy / s->n;
}

/* One stratum's covariance-adjusted difference and its variance; false when
 * the stratum cannot give one. */
static bool ancova_stratum(const stats_xy *g, const stats_xy *r, double *diff, double *variance)
{
    double n = g->n + r->n;
    if (g->n < 1 || r->n < 1 || n < 4)
        return false;
    double gxx, gxy, gyy, rxx, rxy, ryy;
    centred(g, &gxx, &gxy, &gyy);
    centred(r, &rxx, &rxy, &ryy);
    double sxx = gxx + rxx, sxy = gxy + rxy, syy = gyy + ryy;
    double dx = g->sx / g->n - r->sx / r->n, dy = g->sy / g->n - r->sy / r->n;
    bool slope = sxx > 1e-9 * (g->sxx + r->sxx) && sxx > 0;
    double c = slope ? sxy / sxx : 0, ssr = syy - c * sxy;
    double s2 = (ssr > 0 ? ssr : 0) / (n - (slope ? 3 : 2));
    /* each side's own spread about the common slope; the larger of it and
     * the pooled one, so neither a quiet small group nor a wild one fools it */
    double g2 = g->n >= 2 ? (gyy - 2 * c * gxy + c * c * gxx) / (g->n - 1) : s2;
    double r2 = r->n >= 2 ? (ryy - 2 * c * rxy + c * c * rxx) / (r->n - 1) : s2;
    *diff = dy - c * dx;
    *variance = fmax(g2, s2) / g->n + fmax(r2, s2) / r->n + (slope ? s2 * dx * dx / sxx : 0);
    return true;
}

stats_test stats_stratified_ancova(const stats_xy *group, const stats_xy *rest, size_t strata,
                                   double alpha)
{
    stats_test t = {0};
    double weights = 0, sum = 0, variance = 0;
    for (size_t s = 0; s < strata; s++) {
        double d, v;
        if (!ancova_stratum(&group[s], &rest[s], &d, &v))
            continue;
        double w = group[s].n * rest[s].n / (group[s].n + rest[s].n);
        weights += w;
        sum += w * d;
        variance += w * w * v;
    }
    if (!(weights > 0))
        return t;
    double se = sqrt(variance) / weights, z = gsl_cdf_ugaussian_Qinv(alpha / 2);
    t.ok = true;
    t.diff = sum / weights;
    t.ci_low = t.diff - z * se;
    t.ci_high = t.diff + z * se;
    t.statistic = se > 0 ? t.diff / se : 0;
    t.p_value = se > 0 ? two_sided_normal(t.statistic) : (t.diff == 0 ? 1 : 0);
    return t;
}

/* Shell sort of order[0..n) by p ascending (n is the groups of one table). */
static void sort_by_p(const double *p, size_t *order, size_t n)
{
    for (size_t gap = n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < n; i++) {
            size_t item = order[i], j = i;
            for (; j >= gap && p[order[j - gap]] > p[item]; j -= gap)
                order[j] = order[j - gap];
            order[j] = item;
        }
}

void stats_bh(const double *p, size_t n, double *q, size_t *order)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        q[i] = NAN;
        if (!isnan(p[i]))
            order[m++] = i;
    }
    sort_by_p(p, order, m);
    double running = 1;
    for (size_t k = m; k-- > 0;) {
        double adjusted = p[order[k]] * (double)m / (double)(k + 1);
        if (adjusted < running)
            running = adjusted;
        q[order[k]] = running;
    }
}
