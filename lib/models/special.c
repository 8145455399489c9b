/* special.c - the special functions the models share: log-gamma, log-beta,
 * digamma (GSL), log-sum-exp, and the Gauss hypergeometric series with its
 * parameter derivatives (for analytic Pareto/NBD gradients), summed with a
 * rigorous tail bound, after Euler's transformation where that converges
 * faster, and NaN rather than a wrong number when it cannot converge. GSL
 * is called through its _e forms, so a domain error becomes NaN here, never
 * an abort; the fitter switches GSL's error handler off before any model
 * runs. */
#include "model.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>

double special_lgamma(double x)
{
    gsl_sf_result r;
    return gsl_sf_lngamma_e(x, &r) == GSL_SUCCESS ? r.val : NAN;
}

double special_lbeta(double a, double b)
{
    gsl_sf_result r;
    return gsl_sf_lnbeta_e(a, b, &r) == GSL_SUCCESS ? r.val : NAN;
}

double special_digamma(double x)
{
    gsl_sf_result r;
    return gsl_sf_psi_e(x, &r) == GSL_SUCCESS ? r.val : NAN;
}

double special_logaddexp(double a, double b)
{
    if (a == -INFINITY)
        return b;
    if (b == -INFINITY)
        return a;
    double hi = a > b ? a : b, lo = a > b ? b : a;
    return hi + log1p(exp(lo - hi));
}

double special_logsubexp(double a, double b)
{
    if (b == -INFINITY)
        return a;
    if (b >= a)
        return b == a ? -INFINITY : NAN;
    return a + log1p(-exp(b - a));
}

/* Term cap of the 2F1 series: with the tail bound below, z <= 0.999 needs at
 * most a few tens of thousands of terms; beyond the cap the result is NaN
 * and the caller must use another representation (pnbd.c integrates). */
enum { HYP2F1_MAX_TERMS = 100000 };
#define HYP2F1_EPS 1e-16

/* Bound on the rest of the series after the term made with ratio index k:
 * rho(j)/z - 1 = (ab - c + j (a+b-c-1)) / ((c+j)(1+j)), so for j > k (and
 * c + k + 1 > 0) no later ratio exceeds the value below; the tail is at most
 * term * rho / (1 - rho). */
static double hyp2f1_tail_factor(double a, double b, double c, double z, int k)
{
    double ck = c + k + 1, excess = a + b - c - 1;
    if (ck <= 0)
        return INFINITY;
    double rho = z * (1 + fabs(a * b - c) / (ck * (k + 2)) + (excess > 0 ? excess : 0) / ck);
    return rho < 1 ? rho / (1 - rho) : INFINITY;
}

/* The plain series t_k = (a)_k (b)_k / ((c)_k k!) z^k. The derivative of t_k
 * w.r.t. a is t_k * sum_{j<k} 1/(a+j) (likewise b; minus for c), so the
 * three running sums give the parameter derivatives term by term; with d
 * NULL they are skipped. Stops when the bounded tail of the value (and of
 * the derivatives) is below HYP2F1_EPS relative, tested every
 * HYP2F1_TEST_EVERY terms: the bound holds after any term, and its two
 * divisions cost as much as the term. A term that is exactly 0 (z = 0, a or
 * b a non-positive integer) ends the sum. */
enum { HYP2F1_TEST_EVERY = 4 };

static double hyp2f1_series(double a, double b, double c, double z, double d[3])
{
    double term = 1, sum = 1, da = 0, db = 0, dc = 0;
    double sa = 0, sb = 0, sc = 0;
    for (int k = 0; k < HYP2F1_MAX_TERMS; k++) {
        double ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
        term *= ratio;
        sum += term;
        if (d != NULL) {
            sa += 1 / (a + k);
            sb += 1 / (b + k);
            sc += 1 / (c + k);
            da += term * sa;
            db += term * sb;
            dc -= term * sc;
        }
        if (term != 0 && k % HYP2F1_TEST_EVERY != HYP2F1_TEST_EVERY - 1)
            continue;
        if (!isfinite(sum) || !isfinite(da + db + dc))
            return NAN;
        double tail = fabs(term) * hyp2f1_tail_factor(a, b, c, z, k);
        double dtail = tail * (fabs(sa) + fabs(sb) + fabs(sc) + 1);
        if (term == 0 || (tail <= HYP2F1_EPS * fabs(sum) &&
                          (d == NULL || dtail <= HYP2F1_EPS * (fabs(da) + fabs(db) + fabs(dc))))) {
            if (d != NULL) {
                d[0] = da;
                d[1] = db;
                d[2] = dc;
            }
            return sum;
        }
    }
    return NAN;
}

/* Euler's transformation F(a,b;c;z) = (1-z)^(c-a-b) F(c-a, c-b; c; z) turns
 * terms that decay like k^(a+b-c-1) into terms that decay like k^(c-a-b-1);
 * worth it when a + b > c, and safe (no alternating signs, no (0)_k whose
 * derivative the running sums cannot carry) when c-a and c-b are positive.
 * Pareto/NBD's F(w, b; w+1; z) becomes F(1, w+1-b; w+1; z). */
static bool hyp2f1_euler_pays(double a, double b, double c)
{
    return a + b > c && c - a > 0 && c - b > 0;
}

double special_hyp2f1(double a, double b, double c, double z, double *d)
{
    double dg[3] = {0, 0, 0};
    if (!(z >= 0 && z < 1) || (c <= 0 && c == floor(c)))
        return NAN;
    if (!hyp2f1_euler_pays(a, b, c)) {
        double f = hyp2f1_series(a, b, c, z, d != NULL ? dg : NULL);
        if (d != NULL && !isnan(f))
            d[0] = dg[0], d[1] = dg[1], d[2] = dg[2];
        return f;
    }
    double ln1mz = log1p(-z);
    double g = hyp2f1_series(c - a, c - b, c, z, d != NULL ? dg : NULL);
    double e = exp((c - a - b) * ln1mz), f = e * g;
    if (isnan(g) || !isfinite(f))
        return NAN;
    if (d != NULL) {
        /* a' = c - a, b' = c - b: d/da = -ln(1-z) F - E G_a', and so on. */
        d[0] = -ln1mz * f - e * dg[0];
        d[1] = -ln1mz * f - e * dg[1];
        d[2] = ln1mz * f + e * (dg[0] + dg[1] + dg[2]);
    }
    return f;
}
