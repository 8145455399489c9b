/* special.c - the special functions the models share: log-gamma, log-beta,
 * digamma (GSL), log-sum-exp, and the Gauss hypergeometric series with its
 * parameter derivatives (for analytic Pareto/NBD gradients). GSL is called
 * through its _e forms, so a domain error becomes NaN here, never an abort;
 * the fitter switches GSL's error handler off before any model runs. */
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

enum { HYP2F1_MAX_TERMS = 200000 };

/* Sums t_k = (a)_k (b)_k / ((c)_k k!) z^k and, for the derivatives, the
 * running sums of 1/(a+j), 1/(b+j), 1/(c+j) that d t_k / d a etc. carry. */
double special_hyp2f1(double a, double b, double c, double z, double *d)
{
    if (!(z >= 0 && z < 1) || c <= 0)
        return NAN;
    double term = 1, sum = 1, da = 0, db = 0, dc = 0;
    double sa = 0, sb = 0, sc = 0;
    for (int k = 0; k < HYP2F1_MAX_TERMS; k++) {
        sa += 1 / (a + k);
        sb += 1 / (b + k);
        sc += 1 / (c + k);
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
        sum += term;
        da += term * sa;
        db += term * sb;
        dc -= term * sc;
        if (!isfinite(sum))
            return NAN;
        if (fabs(term) <= 1e-16 * fabs(sum) && fabs(term * (sa + sb + sc)) <= 1e-15 * (fabs(da) + fabs(db) + fabs(dc) + 1e-300) && k > 2) {
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
