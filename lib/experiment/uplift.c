/* uplift.c - one metric of one experiment: raw difference (Newcombe's interval for
 * conversion, Welch for means), CUPED (theta pooled over both arms, Welch on the
 * adjusted values), delta-method relative uplift, seeded percentile bootstrap of
 * the adjusted difference for small arms, and the incremental total.
 * Invariant: every figure is NaN rather than made up when an arm is too small. */
#include "experiment/uplift.h"

#include "analysis/stats.h"
#include "base/hash.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define UPLIFT_ALPHA 0.05

static const cvo_uplift_estimate no_estimate = {NAN, NAN, NAN, NAN};

static cvo_uplift_estimate from_test(const stats_test *t)
{
    if (!t->ok)
        return no_estimate;
    return (cvo_uplift_estimate){t->diff, t->ci_low, t->ci_high, t->p_value};
}

/* Moments of v by arm. */
static void arm_moments(const uplift_sample *s, const double *v, stats_moments *t, stats_moments *h)
{
    memset(t, 0, sizeof *t);
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < s->n; i++)
        stats_moments_add(s->holdout[i] ? h : t, v[i]);
}

static cvo_uplift_estimate raw_estimate(cvo_exp_metric metric, const stats_moments *t,
                                        const stats_moments *h)
{
    stats_test test;
    if (metric == CVO_EXP_CONVERSION)
        test =
            stats_two_proportions((uint64_t)llround(t->mean * t->n), (uint64_t)t->n,
                                  (uint64_t)llround(h->mean * h->n), (uint64_t)h->n, UPLIFT_ALPHA);
    else
        test = stats_welch(t, h, UPLIFT_ALPHA);
    return from_test(&test);
}

/* theta = cov(y, x) / var(x) and rho^2 over all members; false when x does not vary. */
static bool cuped_theta(const uplift_sample *s, double *theta, double *rho2, double *mean_x)
{
    double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0, n = (double)s->n;
    for (size_t i = 0; i < s->n; i++) {
        mx += s->x[i];
        my += s->y[i];
    }
    mx /= n;
    my /= n;
    for (size_t i = 0; i < s->n; i++) {
        double dx = s->x[i] - mx, dy = s->y[i] - my;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    *mean_x = mx;
    if (!(sxx > 0)) {
        *theta = *rho2 = 0;
        return false;
    }
    *theta = sxy / sxx;
    *rho2 = syy > 0 ? sxy * sxy / (sxx * syy) : 0;
    return true;
}

/* R = mean_T' / mean_H' - 1 with Var(R) ~ (var(mT) + R1^2 var(mH)) / mH^2. */
static void relative_uplift(const stats_moments *t, const stats_moments *h,
                            cvo_experiment_metric_result *out)
{
    out->relative = out->relative_low = out->relative_high = NAN;
    if (!(h->mean > 0) || t->n < 2 || h->n < 2)
        return;
    double ratio = t->mean / h->mean;
    double var_t = stats_moments_variance(t) / t->n, var_h = stats_moments_variance(h) / h->n;
    double se = sqrt(var_t + ratio * ratio * var_h) / h->mean;
    double z = gsl_cdf_ugaussian_Qinv(UPLIFT_ALPHA / 2);
    out->relative = ratio - 1;
    out->relative_low = out->relative - z * se;
    out->relative_high = out->relative + z * se;
}

/* A uniform index below n from a counter-based stream (splitmix of seed, draw). */
static size_t draw_index(uint64_t seed, uint64_t draw, size_t n)
{
    uint64_t u = hash_mix64(seed ^ hash_mix64(draw + 0x9e3779b97f4a7c15ull));
    size_t k = (size_t)((double)(u >> 11) * 0x1.0p-53 * (double)n);
    return k < n ? k : n - 1;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The mean of n draws with replacement from values[0..n). */
static double resample_mean(const double *values, size_t n, uint64_t seed, uint64_t *draw)
{
    double sum = 0;
    for (size_t k = 0; k < n; k++)
        sum += values[draw_index(seed, (*draw)++, n)];
    return sum / (double)n;
}

/* Percentile bootstrap of mean(T) - mean(H), resampling within each arm; v holds
 * the treatment values first (nt of them), then the holdout's. */
static cvo_status bootstrap(cvo_ctx *ctx, const double *v, size_t nt, size_t nh,
                            const uplift_options *o, double *low, double *high)
{
    double *diffs = mem_array(ctx, o->resamples, sizeof *diffs);
    if (diffs == NULL)
        return ctx_nomem(ctx);
    uint64_t draw = 0;
    for (uint32_t b = 0; b < o->resamples; b++)
        diffs[b] = resample_mean(v, nt, o->seed, &draw) - resample_mean(v + nt, nh, o->seed, &draw);
    qsort(diffs, o->resamples, sizeof *diffs, compare_double);
    *low = diffs[(size_t)floor(UPLIFT_ALPHA / 2 * (o->resamples - 1))];
    *high = diffs[(size_t)ceil((1 - UPLIFT_ALPHA / 2) * (o->resamples - 1))];
    mem_free(ctx, diffs);
    return CVO_OK;
}

/* The adjusted values y - theta (x - mean x), treatment first. */
static void adjusted_values(const uplift_sample *s, double theta, double mean_x, double *out,
                            size_t nt)
{
    size_t ti = 0, hi = nt;
    for (size_t i = 0; i < s->n; i++)
        out[s->holdout[i] ? hi++ : ti++] = s->y[i] - theta * (s->x[i] - mean_x);
}

static void incremental(cvo_experiment_metric_result *out, double treatment_members)
{
    out->incremental = out->estimate.diff * treatment_members;
    out->incremental_low = out->estimate.ci_low * treatment_members;
    out->incremental_high = out->estimate.ci_high * treatment_members;
}

cvo_status uplift_metric(cvo_ctx *ctx, cvo_exp_metric metric, const uplift_sample *s,
                         const uplift_options *o, cvo_experiment_metric_result *out)
{
    stats_moments t, h;
    memset(out, 0, sizeof *out);
    out->metric = metric;
    arm_moments(s, s->y, &t, &h);
    out->treatment = t.n > 0 ? t.mean : NAN;
    out->holdout = h.n > 0 ? h.mean : NAN;
    out->estimate = out->raw = no_estimate;
    out->relative = out->relative_low = out->relative_high = NAN;
    out->bootstrap_low = out->bootstrap_high = NAN;
    out->incremental = out->incremental_low = out->incremental_high = NAN;
    out->ok = t.n >= 2 && h.n >= 2;
    if (!out->ok)
        return CVO_OK;
    out->raw = raw_estimate(metric, &t, &h);
    double mean_x = 0;
    out->cuped = cuped_theta(s, &out->theta, &out->variance_reduction, &mean_x);
    double *v = mem_array(ctx, s->n, sizeof *v);
    if (v == NULL)
        return ctx_nomem(ctx);
    size_t nt = (size_t)t.n, nh = (size_t)h.n;
    adjusted_values(s, out->theta, mean_x, v, nt);
    stats_moments ta = {0, 0, 0}, ha = {0, 0, 0};
    for (size_t i = 0; i < s->n; i++)
        stats_moments_add(i < nt ? &ta : &ha, v[i]);
    if (out->cuped) {
        stats_test welch = stats_welch(&ta, &ha, UPLIFT_ALPHA);
        out->estimate = from_test(&welch);
    } else {
        out->estimate = out->raw;
    }
    relative_uplift(&ta, &ha, out);
    incremental(out, t.n);
    cvo_status status = CVO_OK;
    out->bootstrap = nt < UPLIFT_BOOTSTRAP_BELOW || nh < UPLIFT_BOOTSTRAP_BELOW;
    if (out->bootstrap)
        status = bootstrap(ctx, v, nt, nh, o, &out->bootstrap_low, &out->bootstrap_high);
    mem_free(ctx, v);
    return status;
}

void uplift_srm(uint64_t treatment, uint64_t holdout, double share, double *chi2, double *p)
{
    double n = (double)treatment + (double)holdout;
    *chi2 = *p = NAN;
    if (!(n > 0 && share > 0 && share < 1))
        return;
    double eh = n * share, et = n - eh;
    double dt = (double)treatment - et, dh = (double)holdout - eh;
    *chi2 = dt * dt / et + dh * dh / eh;
    *p = gsl_cdf_chisq_Q(*chi2, 1);
}
