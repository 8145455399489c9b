/* bgnbd.c - BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam et al. 2007),
 * clv.md A.1/A.2; one file, as MBG/NBD only adds a drop-out chance at time 0.
 * Invariant: everything is computed in log space; for parameters > 0 and a valid
 * row no function returns NaN (loglik returns a finite value or -INFINITY).
 * loglik is that of one customer: the fitter applies row->weight. */
#include "model.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

enum { P_R, P_ALPHA, P_A, P_B };

/* Drop-out chances before a customer's (x+1)-th purchase: BG/NBD after each of
 * the x repeat purchases, MBG/NBD also right after the first one (x + 1).
 * This shift is the only difference between the two models. */
enum { SHIFT_BG = 0, SHIFT_MBG = 1 };

enum {
    HYP_MAX_TERMS = 1000000, /* cap on a series (z within ~4e-5 of 1 still converges) */
    PSI_SUM_MAX = 64         /* digamma differences up to this integer step are sums */
};

/* A result smaller than its largest intermediate by more than LOSS_RETRY (log)
 * is retried with the other hypergeometric form; by more than LOSS_MAX (fewer
 * than ~9 digits left), it is not used. */
#define LOSS_RETRY 9.2 /* log(1e4) */
#define LOSS_MAX 16.1  /* log(1e7) */

static bool params_valid(const double *p)
{
    for (int k = 0; k < 4; k++)
        if (!(p[k] > 0 && p[k] < INFINITY))
            return false;
    return true;
}

static bool times_valid(double x, double t_x, double T)
{
    return x >= 0 && x < INFINITY && t_x >= 0 && T >= t_x && T < INFINITY;
}

/* ln Gamma(base + n) - ln Gamma(base), accurate when n is small next to base. */
static double log_poch(double base, double n)
{
    if (n == 0)
        return 0;
    gsl_sf_result res;
    return gsl_sf_lnpoch_e(base, n, &res) == GSL_SUCCESS ? res.val : NAN;
}

/* psi(base + n) - psi(base); a sum for small integer n, where the difference of
 * two nearly equal digammas would lose digits for large base. */
static double digamma_diff(double base, double n)
{
    if (n == 0)
        return 0;
    if (n <= PSI_SUM_MAX && n == floor(n)) {
        double sum = 0;
        for (int k = 0; k < (int)n; k++)
            sum += 1 / (base + k);
        return sum;
    }
    return special_digamma(base + n) - special_digamma(base);
}

/* log(1 + e^v) without overflow. */
static double softplus(double v)
{
    return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
}

/* ---- likelihood ------------------------------------------------------------ */

/* ln L = A1 + A2 + logsumexp(A3, A4) of clv.md A.1 (shift 0, A4 only when x > 0)
 * and A.2 (shift 1, A4 rewritten as ln a - ln(b+x) - (r+x) ln(alpha+t_x)).
 * With w3, w4 the softmax weights of A3, A4, d/dtheta ln L = dA1 + dA2 +
 * w3 dA3 + w4 dA4. */
static double loglik_common(const double *p, const model_row *row, double *grad, int shift)
{
    if (!params_valid(p) || !times_valid(row->x, row->t_x, row->T))
        goto fail;
    double r = p[P_R], alpha = p[P_ALPHA], a = p[P_A], b = p[P_B];
    double x = row->x, m = x + shift, rx = r + x;
    double ln_alpha_T = log(alpha + row->T), ln_alpha_tx = log(alpha + row->t_x);
    double head = log_poch(r, x) + r * log(alpha) + log_poch(b, m) - log_poch(a + b, m);
    double l3 = -rx * ln_alpha_T;
    double l4 = m > 0 ? log(a) - log(b + m - 1) - rx * ln_alpha_tx : -INFINITY;
    double l34 = special_logaddexp(l3, l4);
    double ll = head + l34;
    if (!(ll > -INFINITY && ll < INFINITY))
        goto fail;
    if (grad != NULL) {
        double w3 = exp(l3 - l34), w4 = m > 0 ? exp(l4 - l34) : 0;
        double d_ab = digamma_diff(a + b, m);
        grad[P_R] = digamma_diff(r, x) + log(alpha) - w3 * ln_alpha_T - w4 * ln_alpha_tx;
        grad[P_ALPHA] = r / alpha - rx * (w3 / (alpha + row->T) + w4 / (alpha + row->t_x));
        grad[P_A] = -d_ab + w4 / a;
        grad[P_B] = digamma_diff(b, m) - d_ab - (m > 0 ? w4 / (b + m - 1) : 0);
        for (int k = 0; k < 4; k++)
            if (isnan(grad[k]))
                goto fail;
    }
    return ll;
fail:
    if (grad != NULL)
        for (int k = 0; k < 4; k++)
            grad[k] = 0;
    return -INFINITY;
}

static double bgnbd_loglik(const double *p, const model_row *row, double *grad)
{
    return loglik_common(p, row, grad, SHIFT_BG);
}

static double mbgnbd_loglik(const double *p, const model_row *row, double *grad)
{
    return loglik_common(p, row, grad, SHIFT_MBG);
}

/* ---- P(alive) ---------------------------------------------------------------- */

/* ln P(alive) = -log(1 + e^odds), odds = ln(a/(b+m-1)) + (r+x) ln((alpha+T)/(alpha+t_x));
 * 0 when there was no drop-out chance yet (BG/NBD, x = 0). */
static double log_p_alive(const double *p, double x, double t_x, double T, int shift)
{
    double m = x + shift;
    if (m == 0)
        return 0;
    double odds = log(p[P_A]) - log(p[P_B] + m - 1) +
                  (p[P_R] + x) * log1p((T - t_x) / (p[P_ALPHA] + t_x));
    return -softplus(odds);
}

static double p_alive_common(const double *p, double x, double t_x, double T, int shift)
{
    if (!params_valid(p) || !times_valid(x, t_x, T))
        return NAN;
    return exp(log_p_alive(p, x, t_x, T, shift));
}

static double bgnbd_p_alive(const double *p, double x, double t_x, double T)
{
    return p_alive_common(p, x, t_x, T, SHIFT_BG);
}

static double mbgnbd_p_alive(const double *p, double x, double t_x, double T)
{
    return p_alive_common(p, x, t_x, T, SHIFT_MBG);
}

/* ---- hypergeometric pieces -------------------------------------------------- */

/* A signed number kept as sign * e^lg (sign 0: zero). */
typedef struct slog {
    double lg;
    int sign;
} slog;

static const slog SLOG_ZERO = {-INFINITY, 0};

static slog slog_of(double lg, int sign)
{
    slog v = {lg, lg == -INFINITY ? 0 : sign};
    return v;
}

static slog slog_add(slog u, slog v)
{
    if (u.sign == 0)
        return v;
    if (v.sign == 0)
        return u;
    if (u.sign == v.sign)
        return slog_of(special_logaddexp(u.lg, v.lg), u.sign);
    slog hi = u.lg >= v.lg ? u : v, lo = u.lg >= v.lg ? v : u;
    if (hi.lg == lo.lg)
        return SLOG_ZERO;
    return slog_of(special_logsubexp(hi.lg, lo.lg), hi.sign);
}

/* The sum of a Gauss-type series from its first term on: s_1 = first,
 * s_{k+1} = s_k (p1+k)(p2+k) z / ((q1+k)(k+1)), i.e. (2F1(p1,p2;q1;z) - 1)
 * scaled so that s_1 = first. Kept in log form with a running scale, so
 * it neither overflows nor underflows; log_peak (largest |term|) tells how
 * much cancellation happened. Needs q1 > -1 and 0 <= z < 1. */
typedef struct series {
    slog sum;
    double log_peak;
    bool ok;
} series;

/* Whether the terms, which behave like k^q z^k (q = p1 + p2 - q1 - 1), fall
 * below 1e-17 (1 - z) of their peak within HYP_MAX_TERMS; checked first so a
 * hopeless series costs nothing. */
static bool hyp_tail_feasible(double p1, double p2, double q1, double z)
{
    if (-p1 >= HYP_MAX_TERMS || -p2 >= HYP_MAX_TERMS) /* sign changes until k > -p */
        return false;
    if (z == 0)
        return true;
    double q = p1 + p2 - q1 - 1, log_z = log(z), n = HYP_MAX_TERMS;
    if (q > 0 && -q / log_z >= n)
        return false;
    double log_peak = q > 0 ? q * log(-q / log_z) - q : 0; /* at k = -q / ln z */
    double log_end = (q > 0 ? q * log(n) : 0) + n * log_z;
    return log_end - log_peak <= log(1e-17) + log1p(-z);
}

static series hyp_tail(double p1, double p2, double q1, double z, double first)
{
    static const double big = 0x1p600;
    const double log_big = 600 * 0.69314718055994530942;
    series out = {SLOG_ZERO, -INFINITY, false};
    if (!hyp_tail_feasible(p1, p2, q1, z))
        return out;
    double term = first, sum = 0, peak = 0, log_scale = 0;
    for (int k = 1; k <= HYP_MAX_TERMS; k++) {
        sum += term;
        peak = fmax(peak, fabs(term));
        double ratio = (p1 + k) * (p2 + k) / ((q1 + k) * (k + 1.0)) * z;
        double rho = fmax(fabs(ratio), z);
        bool settled = p1 + k > 0 && p2 + k > 0 && rho < 1;
        if (term == 0 || (settled && fabs(term) * rho <= 1e-17 * (1 - rho) * fabs(sum))) {
            out.sum = slog_of(log(fabs(sum)) + log_scale, sum > 0 ? 1 : -1);
            out.log_peak = peak == 0 ? -INFINITY : log(peak) + log_scale;
            out.ok = true;
            return out;
        }
        term *= ratio;
        if (fabs(term) > big) {
            term /= big, sum /= big, peak /= big;
            log_scale += log_big;
        }
        if (!isfinite(term) || !isfinite(sum))
            return out;
    }
    return out;
}

/* One way of evaluating ln I (below): its value, and ln of the factor by which
 * its largest intermediate exceeded it (digits lost to cancellation). */
typedef struct attempt {
    double log_value;
    double loss;
    bool ok;
} attempt;

static attempt attempt_of(slog value, double log_largest)
{
    attempt out = {value.lg, log_largest - value.lg, value.sign > 0 && isfinite(value.lg)};
    return out;
}

static const attempt ATTEMPT_FAILED = {NAN, INFINITY, false};

/* ln of (1 - e^{e L}) / e for L < 0: positive for any e, -> -L as e -> 0. */
static double log_expm1_ratio(double e, double L)
{
    if (e == 0)
        return log(-L);
    double v = e * L;
    if (v > 700)
        return v - log(-e);
    return log(-expm1(v) / e);
}

/* Both forms compute I = c0/(a-1) [1 - (1-z)^A 2F1(A, B; c0; z)], c0 = a+B-1.
 * Euler form: (1-z)^A 2F1(A,B;c0;z) = (1-z)^{a-1} 2F1(D, a-1; c0; z), D = c0-A;
 * every term of the latter after the first carries (a-1), so
 * I = c0 (1 - (1-z)^{a-1})/(a-1) - (1-z)^{a-1} T, T = sum_k (D)_k (a)_{k-1} z^k /
 * ((c0+1)_{k-1} k!), which is smooth through a = 1. Terms keep one sign when
 * D > -1; the series decays like k^{a-A-2} z^k. */
static attempt euler_form(double A, double B, double a, double z, double L)
{
    double c0 = a + B - 1, D = c0 - A;
    series t = hyp_tail(D, a - 1, c0, z, D * z);
    if (!t.ok)
        return ATTEMPT_FAILED;
    slog first = c0 == 0 ? SLOG_ZERO
                         : slog_of(log(fabs(c0)) + log_expm1_ratio(a - 1, L), c0 > 0 ? 1 : -1);
    slog second = slog_of((a - 1) * L + t.sum.lg, -t.sum.sign);
    slog value = slog_add(first, second);
    double largest = fmax(fmax(first.lg, second.lg), (a - 1) * L + t.log_peak);
    return attempt_of(value, largest);
}

/* Direct form: c0 2F1(A,B;c0;z) = c0 + P, P = sum_k (A)_k (B)_k z^k / ((c0+1)_{k-1} k!),
 * all terms positive for c0 > -1 (so also when c0 <= 0, lifetimes #442), so
 * I = [c0 (1 - (1-z)^A) - (1-z)^A P] / (a-1). Decays like k^{A-a} z^k. */
static attempt direct_form(double A, double B, double a, double z, double L)
{
    if (a == 1)
        return ATTEMPT_FAILED;
    double c0 = a + B - 1;
    series s = hyp_tail(A, B, c0, z, A * B * z);
    if (!s.ok)
        return ATTEMPT_FAILED;
    slog first = c0 == 0 ? SLOG_ZERO
                         : slog_of(log(fabs(c0)) + log(-expm1(A * L)), c0 > 0 ? 1 : -1);
    slog second = slog_of(A * L + s.sum.lg, -s.sum.sign);
    slog num = slog_add(first, second);
    slog value = slog_of(num.lg - log(fabs(a - 1)), num.sign * (a > 1 ? 1 : -1));
    return attempt_of(value, fmax(first.lg, second.lg) - log(fabs(a - 1)));
}

/* ln I by the series: the form expected to be exact first, the other when it
 * fails or cancels; best.ok false when neither is usable. */
static attempt series_residual(double A, double B, double a, double z, double L)
{
    double c0 = a + B - 1, D = c0 - A;
    bool euler_first = c0 > 0 && a <= A + 2 && (D > -1 || fabs(a - 1) < 1e-3);
    attempt best = euler_first ? euler_form(A, B, a, z, L) : direct_form(A, B, a, z, L);
    if (!best.ok || best.loss > LOSS_RETRY) {
        attempt other = euler_first ? direct_form(A, B, a, z, L) : euler_form(A, B, a, z, L);
        if (other.ok && (!best.ok || other.loss < best.loss))
            best = other;
    }
    if (best.loss > LOSS_MAX)
        best.ok = false;
    return best;
}

/* ln I, I = E[(1 - (1 + p u)^-A) / p] over p ~ Beta(a, B), u = t/y: the expected
 * purchases in the next t of a customer known to be alive, whose purchase rate
 * is Gamma(A, y). I is finite and positive for all a, B, A, y, t > 0, though
 * the usual formula divides by a - 1. When no series is usable (z = t/(y+t)
 * within ~1e-5 of 1, or extreme parameters), the value at the mean of p. */
static double log_residual_purchases(double A, double B, double a, double y, double t)
{
    double u = t / y, z = t / (y + t), L = -log1p(u);
    double log_bound = log(A) + log(u); /* (1 - (1 + p u)^-A) / p < A u for every p */
    if (z < 1) {
        attempt best = series_residual(A, B, a, z, L);
        if (best.ok)
            return fmin(best.log_value, log_bound);
    }
    double p_mean = a / (a + B);
    return fmin(log(-expm1(-A * log1p(p_mean * u))) - log(p_mean), log_bound);
}

/* ---- expectations ------------------------------------------------------------ */

/* E[Y(t) | x, t_x, T] = P(alive) * I with A = r+x, y = alpha+T and p | alive ~
 * Beta(a, b+x+shift): clv.md A.1 eq. 10 and the MBG/NBD form of A.2. */
static double expected_common(const double *p, double x, double t_x, double T, double t,
                              int shift)
{
    if (!params_valid(p) || !times_valid(x, t_x, T) || !(t >= 0))
        return NAN;
    if (t == 0)
        return 0;
    double log_alive = log_p_alive(p, x, t_x, T, shift);
    if (log_alive < -745) /* P(alive) underflows: nothing more to expect */
        return 0;
    double log_i = log_residual_purchases(p[P_R] + x, p[P_B] + x + shift, p[P_A],
                                          p[P_ALPHA] + T, t);
    return exp(log_alive + log_i);
}

static double bgnbd_expected(const double *p, double x, double t_x, double T, double t)
{
    return expected_common(p, x, t_x, T, t, SHIFT_BG);
}

static double mbgnbd_expected(const double *p, double x, double t_x, double T, double t)
{
    return expected_common(p, x, t_x, T, t, SHIFT_MBG);
}

/* E[X(t)] is the conditional expectation of a customer just born (x = t_x = T = 0):
 * A.1 eq. 9, and A.2's b/(a-1) form, where b/(a+b) is P(alive) at birth. */
static double bgnbd_unconditional(const double *p, double t)
{
    return expected_common(p, 0, 0, 0, t, SHIFT_BG);
}

static double mbgnbd_unconditional(const double *p, double t)
{
    return expected_common(p, 0, 0, 0, t, SHIFT_MBG);
}

/* ---- P(X(t) = n) ------------------------------------------------------------- */

/* ln P(N >= n) for N negative binomial, P(N = j) = (r)_j/j! (1-z)^r z^j, which is
 * the regularized incomplete beta I_z(n, r); log_nb_n = ln P(N = n) is used by
 * the series fallback P(N >= n) = P(N = n) 2F1(r+n, 1; n+1; z). */
static double log_nbd_tail(double r, int n, double z, double log_nb_n)
{
    if (n == 0)
        return 0;
    gsl_sf_result res;
    if (gsl_sf_beta_inc_e(n, r, z, &res) == GSL_SUCCESS && res.val > 0 && res.val <= 1)
        return log(res.val);
    series s = hyp_tail(r + n, 1, n + 1, z, (r + n) / (n + 1) * z);
    if (!s.ok)
        return -INFINITY;
    return log_nb_n + slog_add(slog_of(0, 1), s.sum).lg;
}

/* P(X(t)=n) = B(a, b+m)/B(a,b) NB(n) + [m > 0] B(a+1, b+m-1)/B(a,b) P(NB >= n),
 * m = n + shift (A.1 eq. 8, A.2); the beta ratios as Pochhammer quotients. */
static double pmf_common(const double *p, double t, int n, int shift)
{
    if (!params_valid(p) || !(t >= 0 && t < INFINITY))
        return NAN;
    if (n < 0)
        return 0;
    if (t == 0)
        return n == 0 ? 1 : 0;
    double r = p[P_R], alpha = p[P_ALPHA], a = p[P_A], b = p[P_B];
    double m = (double)n + shift;
    double log_z = log(t) - log(alpha + t), log_1mz = -log1p(t / alpha);
    double log_nb = log_poch(r, n) - special_lgamma(n + 1.0) + r * log_1mz + n * log_z;
    double term1 = log_poch(b, m) - log_poch(a + b, m) + log_nb;
    if (m == 0)
        return exp(term1);
    double term2 = log(a) + log_poch(b, m - 1) - log_poch(a + b, m) +
                   log_nbd_tail(r, n, t / (alpha + t), log_nb);
    double value = exp(special_logaddexp(term1, term2));
    return isnan(value) ? 0 : fmin(value, 1);
}

static double bgnbd_pmf(const double *p, double t, int n)
{
    return pmf_common(p, t, n, SHIFT_BG);
}

static double mbgnbd_pmf(const double *p, double t, int n)
{
    return pmf_common(p, t, n, SHIFT_MBG);
}

/* ---- the tables ---------------------------------------------------------------- */

static const model_ops BGNBD_OPS = {
    .name = "bgnbd",
    .title = "BG/NBD (Fader, Hardie & Lee 2005)",
    .nparams = 4,
    .param_names = {"r", "alpha", "a", "b"},
    .start = {1, 3, 1, 3},
    .needs_repeaters = false,
    .discrete = false,
    .time_scale_mask = 1u << P_ALPHA,
    .loglik = bgnbd_loglik,
    .p_alive = bgnbd_p_alive,
    .expected = bgnbd_expected,
    .unconditional = bgnbd_unconditional,
    .pmf = bgnbd_pmf,
};

static const model_ops MBGNBD_OPS = {
    .name = "mbgnbd",
    .title = "MBG/NBD (Batislam, Denizel & Filiztekin 2007)",
    .nparams = 4,
    .param_names = {"r", "alpha", "a", "b"},
    .start = {1, 3, 1, 3},
    .needs_repeaters = false,
    .discrete = false,
    .time_scale_mask = 1u << P_ALPHA,
    .loglik = mbgnbd_loglik,
    .p_alive = mbgnbd_p_alive,
    .expected = mbgnbd_expected,
    .unconditional = mbgnbd_unconditional,
    .pmf = mbgnbd_pmf,
};

const model_ops *bgnbd_model(void)
{
    return &BGNBD_OPS;
}

const model_ops *mbgnbd_model(void)
{
    return &MBGNBD_OPS;
}
