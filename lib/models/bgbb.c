/* bgbb.c - the BG/BB model (Fader, Hardie & Shang 2010) for discrete
 * transaction opportunities: likelihood with analytic gradient, P(alive),
 * conditional and unconditional expectations, and P(X(n) = x).
 * Invariant: every quantity is formed in log space; sums of beta-function
 * ratios go through a max-shifted log-sum-exp, so no term over- or underflows
 * and no bias is added. loglik is that of one customer: the fitter applies
 * row->weight. A row is valid when 0 <= x <= t_x <= n (t_x = 0 when x = 0). */
#include "model.h"

#include "base/limits.h"

#include <math.h>

enum { ALPHA, BETA, GAMMA, DELTA, NPARAMS };

/* Outside whole horizons up to RISING_SUM_MAX, below this |gamma - 1| the
 * expectations use their gamma -> 1 limit, whose error (~|gamma - 1|) is then
 * smaller than the cancellation in the log-gamma form. */
#define GAMMA_ONE_BAND 1e-7
/* Rising-factorial ratios are summed term by term up to this many terms. */
#define RISING_SUM_MAX 4096.0
/* A decreasing tail whose bound is below e^-40 of the sum is not summed. */
#define TAIL_LOG_CUTOFF 40.0
/* psi(z + k) - psi(z) is summed term by term for integer k up to this. */
#define DIGAMMA_SUM_MAX 64.0

/* Running max-shifted log-sum-exp of terms e^l, with the e^l-weighted sum
 * of their gradients dl; rescaled whenever a larger term arrives. */
typedef struct lse_acc {
    double max;
    double sum;
    double grad[NPARAMS];
} lse_acc;

static void lse_init(lse_acc *acc)
{
    acc->max = -INFINITY;
    acc->sum = 0;
    for (int k = 0; k < NPARAMS; k++)
        acc->grad[k] = 0;
}

static void lse_add(lse_acc *acc, double l, const double *dl)
{
    if (l == -INFINITY)
        return;
    if (l > acc->max) {
        double scale = exp(acc->max - l);
        acc->sum *= scale;
        for (int k = 0; k < NPARAMS; k++)
            acc->grad[k] *= scale;
        acc->max = l;
    }
    double w = exp(l - acc->max);
    acc->sum += w;
    if (dl != NULL)
        for (int k = 0; k < NPARAMS; k++)
            acc->grad[k] += w * dl[k];
}

static double lse_log(const lse_acc *acc)
{
    return acc->sum > 0 ? acc->max + log(acc->sum) : -INFINITY;
}

/* psi(z + k) - psi(z), exact 0 for k = 0 and free of cancellation for small
 * integer k (tiny z makes psi(z) ~ -1/z huge). */
static double digamma_diff(double z, double k)
{
    if (k == 0)
        return 0;
    if (k > DIGAMMA_SUM_MAX || k != floor(k))
        return special_digamma(z + k) - special_digamma(z);
    double sum = 0;
    for (double j = 0; j < k; j++)
        sum += 1 / (z + j);
    return sum;
}

static int row_valid(double x, double t_x, double n)
{
    return isfinite(n) && x >= 0 && t_x >= x && n >= t_x && (x > 0 || t_x == 0);
}

/* ln B(a+x, b+m-x)/B(a,b): the transaction part of a path with m opportunities
 * alive and x transactions among them. */
static double log_p_part(const double *p, double x, double m)
{
    return special_lbeta(p[ALPHA] + x, p[BETA] + m - x) - special_lbeta(p[ALPHA], p[BETA]);
}

/* ln B(g+s, d+m)/B(g,d): alive for m opportunities, then dropping out (s = 1)
 * or still alive (s = 0). */
static double log_theta_part(const double *p, double s, double m)
{
    return special_lbeta(p[GAMMA] + s, p[DELTA] + m) - special_lbeta(p[GAMMA], p[DELTA]);
}

/* Gradient of the "alive through all n" term, except d/d alpha's common
 * psi(a+x) - psi(a), which the caller adds once. */
static void survivor_grad(const double *p, double x, double n, double *dl)
{
    double ab = p[ALPHA] + p[BETA], gd = p[GAMMA] + p[DELTA];
    dl[ALPHA] = -digamma_diff(ab, n);
    dl[BETA] = digamma_diff(p[BETA], n - x) + dl[ALPHA];
    dl[GAMMA] = -digamma_diff(gd, n);
    dl[DELTA] = digamma_diff(p[DELTA], n) + dl[GAMMA];
}

/* The dropout terms i = 0 .. n - t_x - 1 (dropped out right after opportunity
 * m = t_x + i). They decrease in i, so the loop stops once the remaining
 * terms cannot matter. The digamma differences advance by recurrence. */
static void add_dropout_terms(const double *p, double x, double t_x, double n, lse_acc *acc,
                              int with_grad)
{
    double ab = p[ALPHA] + p[BETA], gd = p[GAMMA] + p[DELTA];
    double psi_ab = 0, psi_b = 0, psi_d = 0, psi_gd = 0;
    if (with_grad) {
        psi_ab = digamma_diff(ab, t_x);
        psi_b = digamma_diff(p[BETA], t_x - x);
        psi_d = digamma_diff(p[DELTA], t_x);
        psi_gd = digamma_diff(gd, t_x + 1);
    }
    for (double m = t_x; m < n; m++) {
        double l = log_p_part(p, x, m) + log_theta_part(p, 1, m);
        double dl[NPARAMS] = {-psi_ab, psi_b - psi_ab, 1 / p[GAMMA] - psi_gd, psi_d - psi_gd};
        lse_add(acc, l, with_grad ? dl : NULL);
        if (l + log(n - m) < lse_log(acc) - TAIL_LOG_CUTOFF)
            break;
        if (with_grad) {
            psi_ab += 1 / (ab + m);
            psi_b += 1 / (p[BETA] + m - x);
            psi_d += 1 / (p[DELTA] + m);
            psi_gd += 1 / (gd + m + 1);
        }
    }
}

/* FHS eq. 5: L = B(a+x,b+n-x)/B(a,b) B(g,d+n)/B(g,d)
 *              + sum_{i=0}^{n-t_x-1} B(a+x,b+t_x-x+i)/B(a,b) B(g+1,d+t_x+i)/B(g,d). */
static double bgbb_loglik(const double *p, const model_row *row, double *grad)
{
    double x = row->x, t_x = row->t_x, n = row->T;
    if (grad != NULL)
        for (int k = 0; k < NPARAMS; k++)
            grad[k] = 0;
    if (!row_valid(x, t_x, n))
        return -INFINITY;
    lse_acc acc;
    lse_init(&acc);
    double dl[NPARAMS];
    if (grad != NULL)
        survivor_grad(p, x, n, dl);
    lse_add(&acc, log_p_part(p, x, n) + log_theta_part(p, 0, n), grad != NULL ? dl : NULL);
    add_dropout_terms(p, x, t_x, n, &acc, grad != NULL);
    double ll = lse_log(&acc);
    if (grad != NULL && acc.sum > 0) {
        for (int k = 0; k < NPARAMS; k++)
            grad[k] = acc.grad[k] / acc.sum;
        grad[ALPHA] += digamma_diff(p[ALPHA], x);
    }
    return isnan(ll) ? -INFINITY : ll;
}

static double log_lik(const double *p, double x, double t_x, double n)
{
    model_row row = {x, t_x, n, 0, 1};
    return bgbb_loglik(p, &row, NULL);
}

/* P(alive at opportunity n + 1 | x, t_x, n) (FHS eq. A10 with m = 1): the
 * customer survived the n calibration opportunities and the next one. This
 * is the "P(alive in 2002)" of FHS Table 6 for the donations data (n = 6
 * for 1996..2001). NaN for an invalid row. */
static double bgbb_p_alive(const double *p, double x, double t_x, double n)
{
    if (!row_valid(x, t_x, n))
        return NAN;
    double l = log_p_part(p, x, n) + log_theta_part(p, 0, n + 1) - log_lik(p, x, t_x, n);
    return fmin(exp(l), 1.0);
}

/* ln(1 + u) / u, the slope of ln(1 + u) from 0; u = (1-g)/(g+d+m), so
 * 1 + u = (1+d+m)/(g+d+m), formed as that ratio when u is not small. */
static double log1p_slope(double g, double d, double m)
{
    double u = (1 - g) / (g + d + m);
    if (u == 0)
        return 1;
    return (fabs(u) < 0.5 ? log1p(u) : log((1 + d + m) / (g + d + m))) / u;
}

/* delta = ln[(1+d+m0)_k / (g+d+m0)_k] (rising factorials), and *slope =
 * delta / (1-g), which stays finite at g = 1. For whole k up to a cap it is
 * a sum of log1p terms of sign (1-g), free of cancellation for any d and g;
 * otherwise log-gamma differences, with the digamma limit near g = 1. */
static double log_rising_ratio(double g, double d, double m0, double k, double *slope)
{
    double delta = 0, sum = 0;
    if (k == floor(k) && k <= RISING_SUM_MAX) {
        for (double j = 0; j < k; j++) {
            double s = log1p_slope(g, d, m0 + j) / (g + d + m0 + j);
            sum += s;
            delta += s * (1 - g);
        }
        *slope = sum;
        return delta;
    }
    delta = special_lgamma(1 + d + m0 + k) - special_lgamma(1 + d + m0) -
            (special_lgamma(g + d + m0 + k) - special_lgamma(g + d + m0));
    *slope = fabs(g - 1) < GAMMA_ONE_BAND ? digamma_diff(1 + d + m0, k) : delta / (1 - g);
    return delta;
}

/* ln(expm1(v) / v), 0 at v = 0, without overflow for large v. */
static double log_expm1_slope(double v)
{
    if (v == 0)
        return 0;
    if (v > 1)
        return v + log(-expm1(-v)) - log(v);
    return log(expm1(v) / v);
}

/* ln of d/(g-1) G(g+d)/G(1+d) [G(1+d+m0)/G(g+d+m0) - G(1+d+m1)/G(g+d+m1)]
 * = ln sum_{j=m0+1}^{m1} B(g, d+j)/B(g,d) for whole m0 <= m1: the expected
 * number of opportunities in (m0, m1] at which a customer is alive. With
 * lead = ln (1+d)_m0/(g+d)_m0 and delta, slope of the rising ratio over
 * (m0, m1], it is d e^lead (e^delta - 1)/(1-g) = d e^lead slope expm1(delta)/delta,
 * positive and continuous through g = 1 (limit d (psi(1+d+m1) - psi(1+d+m0))). */
static double log_alive_opportunities(double g, double d, double m0, double m1)
{
    if (!(m1 > m0))
        return -INFINITY;
    double unused, slope;
    double lead = log_rising_ratio(g, d, 0, m0, &unused);
    double delta = log_rising_ratio(g, d, m0, m1 - m0, &slope);
    return log(d) + lead + log_expm1_slope(delta) + log(slope);
}

/* E[transactions in opportunities n+1 .. n+t | x, t_x, n] (FHS eq. 13). */
static double bgbb_expected(const double *p, double x, double t_x, double n, double t)
{
    if (!row_valid(x, t_x, n) || !(t >= 0))
        return NAN;
    if (t == 0)
        return 0;
    double l = special_lbeta(p[ALPHA] + x + 1, p[BETA] + n - x) - special_lbeta(p[ALPHA], p[BETA]) +
               log_alive_opportunities(p[GAMMA], p[DELTA], n, n + t) - log_lik(p, x, t_x, n);
    return exp(l);
}

/* E[X(n)]: expected transactions in the first n opportunities (FHS eq. 9). */
static double bgbb_unconditional(const double *p, double n)
{
    if (!(n >= 0))
        return NAN;
    double mean_p = p[ALPHA] / (p[ALPHA] + p[BETA]);
    return mean_p * exp(log_alive_opportunities(p[GAMMA], p[DELTA], 0, n));
}

/* ln C(i, x) for integers 0 <= x <= i. */
static double log_choose(double i, double x)
{
    return -special_lbeta(x + 1, i - x + 1) - log(i + 1);
}

/* P(X(n) = x) (FHS eq. 7): alive throughout, or dropped out after
 * opportunity i >= x having made all x transactions by then. n must be a
 * whole number of opportunities up to CVO_MAX_OPPORTUNITIES, the sum having
 * a term per opportunity (NaN otherwise); 0 for x outside 0..n. */
static double bgbb_pmf(const double *p, double n, int x)
{
    if (!(n >= 0) || n != floor(n) || !isfinite(n) || n > CVO_MAX_OPPORTUNITIES)
        return NAN;
    double xd = x;
    if (x < 0 || xd > n)
        return 0;
    lse_acc acc;
    lse_init(&acc);
    lse_add(&acc, log_choose(n, xd) + log_p_part(p, xd, n) + log_theta_part(p, 0, n), NULL);
    for (double i = xd; i < n; i++)
        lse_add(&acc, log_choose(i, xd) + log_p_part(p, xd, i) + log_theta_part(p, 1, i), NULL);
    return fmin(exp(lse_log(&acc)), 1.0);
}

static const model_ops bgbb_ops = {
    .name = "bgbb",
    .title = "BG/BB (Fader, Hardie & Shang 2010)",
    .nparams = NPARAMS,
    .param_names = {"alpha", "beta", "gamma", "delta"},
    .start = {1, 1, 1, 1},
    .needs_repeaters = false,
    .discrete = true,
    .time_scale_mask = 0,
    .loglik = bgbb_loglik,
    .p_alive = bgbb_p_alive,
    .expected = bgbb_expected,
    .unconditional = bgbb_unconditional,
    .pmf = bgbb_pmf,
};

const model_ops *bgbb_model(void)
{
    return &bgbb_ops;
}
