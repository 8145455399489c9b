/* gg.c - the Gamma-Gamma model of spend per transaction (Colombo & Jiang
 * 1999; Fader, Hardie & Lee 2005; Fader & Hardie note 025): likelihood of a
 * repeater's mean repeat value with analytic gradient, and E[M | x, m_x].
 * Invariant: the likelihood is formed from log-beta and log1p terms, so it
 * stays finite for any p, q, gamma > 0 and any x > 0, m_x > 0; rows with
 * x <= 0 or m_x <= 0 (the model does not cover them) give -INFINITY.
 * loglik is that of one customer: the fitter applies row->weight. */
#include "model.h"

#include <math.h>

enum { SHAPE_P, SHAPE_Q, SCALE_GAMMA, NPARAMS };

/* ln f(m | p, q, gamma, x) (note 025 eq. 1a)
 *   = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m + px ln x
 *     - (px+q) ln(gamma + m x),
 * regrouped as -ln B(px, q) - q ln(1 + mx/gamma) - px ln(1 + gamma/(mx)) - ln m,
 * which avoids the cancellation of large logarithms. */
static double gg_loglik(const double *p, const model_row *row, double *grad)
{
    double x = row->x, m = row->m_x;
    if (grad != NULL)
        for (int k = 0; k < NPARAMS; k++)
            grad[k] = 0;
    if (!(x > 0 && m > 0 && isfinite(x) && isfinite(m)))
        return -INFINITY;
    double px = p[SHAPE_P] * x, q = p[SHAPE_Q], g = p[SCALE_GAMMA], mx = m * x;
    double log_spend_over_scale = log1p(mx / g); /* ln((gamma + mx) / gamma) */
    double log_scale_over_spend = log1p(g / mx); /* ln((gamma + mx) / (mx)) */
    double ll =
        -special_lbeta(px, q) - q * log_spend_over_scale - px * log_scale_over_spend - log(m);
    if (grad != NULL) {
        double psi_sum = special_digamma(px + q);
        grad[SHAPE_P] = x * (psi_sum - special_digamma(px) - log_scale_over_spend);
        grad[SHAPE_Q] = psi_sum - special_digamma(q) - log_spend_over_scale;
        grad[SCALE_GAMMA] = q / g - (px + q) / (g + mx);
    }
    return isnan(ll) ? -INFINITY : ll;
}

/* E[M | x, m_x] = (q-1)/(px+q-1) * gamma p/(q-1) + px/(px+q-1) * m_x
 *              = p (gamma + m_x x) / (p x + q - 1)   (note 025 eq. 5):
 * the population mean gamma p / (q-1) shrunk toward the customer's own mean.
 * For x = 0 it is the population mean, and m_x is ignored. NaN when q <= 1
 * (the population mean does not exist). */
double gg_expected_spend(const double *p, double x, double m_x)
{
    double shape = p[SHAPE_P], q = p[SHAPE_Q], g = p[SCALE_GAMMA];
    if (!(q > 1) || !(x >= 0))
        return NAN;
    if (x == 0)
        return g * shape / (q - 1);
    return shape * (g + m_x * x) / (shape * x + q - 1);
}

static const model_ops gg_ops = {
    .name = "gg",
    .title = "Gamma-Gamma spend (Fader, Hardie & Lee 2005; Colombo & Jiang 1999)",
    .nparams = NPARAMS,
    .param_names = {"p", "q", "gamma"},
    .start = {1, 1, 1},
    .needs_repeaters = true,
    .discrete = false,
    .time_scale_mask = 0,
    .loglik = gg_loglik,
    .p_alive = NULL,
    .expected = NULL,
    .unconditional = NULL,
    .pmf = NULL,
};

const model_ops *gg_model(void)
{
    return &gg_ops;
}
