/* nbd.c - the NBD model (Ehrenberg 1959): Poisson purchases at a Gamma(r, alpha)
 * distributed rate, nobody drops out. It is the model BG/NBD, MBG/NBD and
 * Pareto/NBD reduce to at their no-dropout edge, with the same likelihood there:
 *   L(r, alpha | x, T) = Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x)). */
#include "model.h"

#include <math.h>

enum { P_R, P_ALPHA };

static double nbd_loglik(const double *p, const model_row *row, double *grad)
{
    double r = p[P_R], alpha = p[P_ALPHA], x = row->x, a_T = alpha + row->T;
    if (grad != NULL) {
        grad[P_R] = special_digamma(r + x) - special_digamma(r) + log(alpha) - log(a_T);
        grad[P_ALPHA] = r / alpha - (r + x) / a_T;
    }
    double ll = special_lgamma(r + x) - special_lgamma(r) + r * log(alpha) - (r + x) * log(a_T);
    return isnan(ll) ? -INFINITY : ll;
}

static double nbd_p_alive(const double *p, double x, double t_x, double T)
{
    (void)p, (void)x, (void)t_x, (void)T;
    return 1;
}

/* The posterior rate is Gamma(r + x, alpha + T), and it never stops. */
static double nbd_expected(const double *p, double x, double t_x, double T, double t)
{
    (void)t_x;
    return (p[P_R] + x) / (p[P_ALPHA] + T) * t;
}

static double nbd_unconditional(const double *p, double t)
{
    return p[P_R] * t / p[P_ALPHA];
}

static double nbd_pmf(const double *p, double t, int n)
{
    double r = p[P_R], alpha = p[P_ALPHA];
    if (n < 0)
        return 0;
    double ln = special_lgamma(r + n) - special_lgamma(r) - special_lgamma(n + 1.0) +
                r * log(alpha / (alpha + t)) + (n > 0 ? n * log(t / (alpha + t)) : 0);
    return exp(ln);
}

double nbd_dert(const double *p, double x, double T, double delta)
{
    return delta > 0 ? (p[P_R] + x) / (p[P_ALPHA] + T) / delta : INFINITY;
}

static const model_ops nbd_ops = {
    .name = "nbd",
    .title = "NBD (Ehrenberg 1959): no dropout",
    .nparams = 2,
    .param_names = {"r", "alpha"},
    .start = {1, 1},
    .needs_repeaters = false,
    .discrete = false,
    .time_scale_mask = 1u << P_ALPHA,
    .loglik = nbd_loglik,
    .p_alive = nbd_p_alive,
    .expected = nbd_expected,
    .unconditional = nbd_unconditional,
    .pmf = nbd_pmf,
};

const model_ops *nbd_model(void)
{
    return &nbd_ops;
}
