/* pnbd.c - the Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) in the
 * stable log-space form of Fader & Hardie's note 009, with its analytic
 * gradient, P(alive), CET, E[X(t)] and DERT. Invariant: for p > 0 and a valid
 * row (0 <= t_x <= T) nothing here returns NaN; the likelihood's second term
 * is carried as the log of a positive area, never as a difference of logs
 * that could cancel to a negative number. */
#include "model.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_hyperg.h>
#include <math.h>

enum { P_R, P_ALPHA, P_S, P_BETA };

/*
 * The likelihood is
 *   L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s D ],
 *   D = integral over tau in [t_x, T] of f(tau) = (alpha+tau)^-(r+x) (beta+tau)^-(s+1),
 * so D = A0 / (r+s+x) of note 009. With I(y) = the same integral over [y, inf),
 * D = I(t_x) - I(T), and (M = max(alpha, beta), w = r+s+x, z = |alpha-beta|/(M+y))
 *   I(y) = 2F1(w, b; w+1; z) / (w (M+y)^w)              (note 009, CLVTools)
 * Euler's transformation 2F1(w, b; w+1; z) = (1-z)^(1-b) 2F1(1, w+1-b; w+1; z),
 * with 1 - z = (min(alpha,beta)+y)/(M+y), puts all the powers in front and
 * leaves a series of positive terms that never exceed z^k:
 *   alpha >= beta: I(y) = G(r+x) / (w (alpha+y)^(r+x) (beta+y)^s)
 *   alpha <  beta: I(y) = G(s+1) / (w (alpha+y)^(r+x-1) (beta+y)^(s+1))
 * with G(b) = 2F1(1, b; w+1; z), 1 <= G <= 1/(1-z). So ln I never overflows,
 * even for x in the hundreds (lifetimes #25, CLVTools #100). At alpha = beta,
 * z = 0 and G = 1 in both branches, which makes the branch switch continuous
 * in value and gradient; t_x = T gives D = 0 and a single likelihood term.
 * Where the series would be slow (z near 1 with small exponents, or t_x so
 * close to T that I(t_x) - I(T) cancels) D is integrated directly instead.
 */

/* z above which the series (terms ~ k^-s z^k in branch 1) is replaced by
 * the integral, which is also the faster of the two from about there; r+x
 * above which the branch-2 series (terms ~ k^-(r+x)) is kept however close
 * z is to 1; 1 - I(T)/I(t_x) below which the difference is integrated
 * rather than subtracted. */
#define PNBD_SERIES_MAX_Z 0.9
#define PNBD_FAST_DECAY 8.0
/* ... but only while s + 1 (where that decay starts) stays below this: with s
 * huge (no heterogeneity in dropout, beta huge too) the terms first fall like
 * z^k with z near 1, a million of them, and the integral is far faster. */
#define PNBD_FAST_DECAY_MAX_S 100.0
#define PNBD_MIN_GAP 1e-3

/* ---- ln I(y) from the transformed series --------------------------------- */

typedef struct pnbd_tail {
    double ln_value; /* ln I(y) */
    double grad[4];  /* d ln I(y) / d (r, alpha, s, beta) */
} pnbd_tail;

/* Gradient of ln I(y) when alpha >= beta: G = 2F1(1, r+x; w+1; z),
 * z = (alpha-beta)/(alpha+y); r enters b and c, s only c. */
static void tail_grad_alpha_big(const double *p, double x, double y, const double gd[3], double gz,
                                double w, double *grad)
{
    double a_y = p[P_ALPHA] + y, b_y = p[P_BETA] + y;
    grad[P_R] = -log(a_y) - 1 / w + gd[1] + gd[2];
    grad[P_ALPHA] = -(p[P_R] + x) / a_y + gz * b_y / (a_y * a_y);
    grad[P_S] = -log(b_y) - 1 / w + gd[2];
    grad[P_BETA] = -p[P_S] / b_y - gz / a_y;
}

/* Gradient of ln I(y) when alpha < beta: G = 2F1(1, s+1; w+1; z),
 * z = (beta-alpha)/(beta+y); s enters b and c, r only c. */
static void tail_grad_beta_big(const double *p, double x, double y, const double gd[3], double gz,
                               double w, double *grad)
{
    double a_y = p[P_ALPHA] + y, b_y = p[P_BETA] + y;
    grad[P_R] = -log(a_y) - 1 / w + gd[2];
    grad[P_ALPHA] = -(p[P_R] + x - 1) / a_y - gz / b_y;
    grad[P_S] = -log(b_y) - 1 / w + gd[1] + gd[2];
    grad[P_BETA] = -(p[P_S] + 1) / b_y + gz * a_y / (b_y * b_y);
}

/* ln I(y) by the series; false when the series did not converge. The
 * z-derivative is dG/dz = (b/c) 2F1(2, b+1; c+1; z). */
static bool tail_series(const double *p, double x, double y, bool want_grad, pnbd_tail *out)
{
    double r = p[P_R], alpha = p[P_ALPHA], s = p[P_S], beta = p[P_BETA];
    double w = r + s + x, c = w + 1;
    bool alpha_big = alpha >= beta;
    double b = alpha_big ? r + x : s + 1;
    double z = fabs(alpha - beta) / ((alpha_big ? alpha : beta) + y);
    double gd[3];
    double g = special_hyp2f1(1, b, c, z, gd);
    if (!(g >= 1) || !isfinite(g))
        return false;
    double ln_a = log(alpha + y), ln_b = log(beta + y);
    out->ln_value = alpha_big ? -(r + x) * ln_a - s * ln_b : -(r + x - 1) * ln_a - (s + 1) * ln_b;
    out->ln_value += log(g) - log(w);
    if (!want_grad)
        return true;
    double gz = b / c * special_hyp2f1(2, b + 1, c + 1, z, NULL) / g;
    if (!isfinite(gz))
        return false;
    double gd_rel[3] = {gd[0] / g, gd[1] / g, gd[2] / g};
    if (alpha_big)
        tail_grad_alpha_big(p, x, y, gd_rel, gz, w, out->grad);
    else
        tail_grad_beta_big(p, x, y, gd_rel, gz, w, out->grad);
    return true;
}

/* ---- integrals of log-concave functions ----------------------------------- */

/*
 * D (below) and DERT's discounting integral are integrals of e^h(v) with h
 * concave (h'' <= 0) once written in a log variable. They are summed with
 * panels of 16-point Gauss-Legendre, each at most PANEL_SPAN / |h'| and
 * PANEL_SPAN / sqrt|h''| wide: the slope keeps the change of h across a panel
 * small, the curvature keeps e^h from growing off the real axis, where the
 * Gauss-Legendre error is decided (a factor (e^v + c)^-p with p ~ 50 needs
 * it). |h'| is largest at a panel end, h' being monotone. The march stops
 * once h has fallen PANEL_DROP below its maximum while decreasing: by
 * concavity it never comes back. A march that has not ended after PANEL_MAX
 * panels gives no value (NaN) rather than a partial sum: the likelihood is
 * then -inf there and the optimiser moves away, instead of spending minutes
 * on parameters that have run off to 1e-300 or 1e18 (the valid fits and the
 * tests need at most a few hundred panels).
 */
#define PANEL_SPAN 2.5
#define PANEL_DROP 40.0
enum { PANEL_MAX = 1000 };

static const double gauss_legendre_16[8][2] = {
    {0.095012509837637441, 0.1894506104550685}, {0.28160355077925892, 0.18260341504492358},
    {0.45801677765722737, 0.16915651939500254}, {0.61787624440264377, 0.14959598881657674},
    {0.755404408355003, 0.12462897125553388},   {0.86563120238783176, 0.095158511682492786},
    {0.9445750230732326, 0.062253523938647894}, {0.98940093499164994, 0.027152459411754096},
};

/* The ln of the integrand h(v), its slope h'(v), a bound on |h''| over the
 * panel that v ends (monotone in v, or a global bound) and, when dlnf is not
 * NULL, d ln f / d (r, alpha, s, beta) at v. */
typedef struct log_point {
    double h, slope, curvature;
} log_point;
typedef log_point (*log_integrand)(const void *ctx, double v, double *dlnf);

typedef struct log_sum {
    double ref;     /* ln of the scale of the sums below */
    double value;   /* integral * e^-ref */
    double grad[4]; /* integral of f * d ln f / d p, * e^-ref */
} log_sum;

static void log_sum_add(const log_integrand f, const void *ctx, log_sum *acc, double v,
                        double weight, bool want_grad)
{
    double dlnf[4] = {0, 0, 0, 0};
    double h = f(ctx, v, want_grad ? dlnf : NULL).h;
    if (h > acc->ref) {
        double shrink = exp(acc->ref - h);
        acc->value *= shrink;
        for (int k = 0; k < 4; k++)
            acc->grad[k] *= shrink;
        acc->ref = h;
    }
    double term = weight * exp(h - acc->ref);
    acc->value += term;
    for (int k = 0; want_grad && k < 4; k++)
        acc->grad[k] += term * dlnf[k];
}

static void log_sum_panel(const log_integrand f, const void *ctx, log_sum *acc, double lo,
                          double hi, bool want_grad)
{
    double mid = (lo + hi) / 2, half = (hi - lo) / 2;
    for (int i = 0; i < 8; i++) {
        double offset = half * gauss_legendre_16[i][0], weight = half * gauss_legendre_16[i][1];
        log_sum_add(f, ctx, acc, mid - offset, weight, want_grad);
        log_sum_add(f, ctx, acc, mid + offset, weight, want_grad);
    }
}

/* The widest panel that point p allows. */
static double panel_width(log_point p)
{
    double slope = fabs(p.slope), by_slope = PANEL_SPAN / (slope > 1 ? slope : 1);
    double by_curvature = p.curvature > 1 ? PANEL_SPAN / sqrt(p.curvature) : PANEL_SPAN;
    return by_slope < by_curvature ? by_slope : by_curvature;
}

/* Width of the next panel from v (end may be INFINITY): what both ends allow. */
static double panel_step(const log_integrand f, const void *ctx, double v, double end)
{
    double step = panel_width(f(ctx, v, NULL));
    double far = panel_width(f(ctx, v + step < end ? v + step : end, NULL));
    step = far < step ? far : step;
    return v + step < end ? step : end - v;
}

/* Where the march may start. While h rises from v (h' > 0 there), e^h left
 * of any point c with h'(c) > 0 lies under e^(h(c) - h'(c) (c - u)), so the
 * part left of c - L, L = (PANEL_DROP + ln(h'(v) / h'(c))) / h'(c), is below
 * e^-PANEL_DROP of the part in [c - L, c] (where h' <= h'(v)). c is end when
 * h' is still at least half of h'(v) there, else the point where h' falls to
 * half, found by bisection (h' is monotone). Only an interval longer than
 * PANEL_DROP / h'(v) can lose anything; parameters run off to 1e-300 make
 * intervals of hundreds of units in v, which the march would cross in
 * hundreds of panels for nothing. */
enum { START_BISECTIONS = 60 };

static double march_start(const log_integrand f, const void *ctx, double v, double end)
{
    double slope_v = f(ctx, v, NULL).slope;
    if (!(slope_v > 0) || !isfinite(end) || !(end - v > PANEL_DROP / slope_v))
        return v;
    double c = end, slope_c = f(ctx, end, NULL).slope;
    if (!(slope_c >= slope_v / 2)) {
        double lo = v, hi = end;
        for (int i = 0; i < START_BISECTIONS; i++) {
            double mid = lo + (hi - lo) / 2;
            if (f(ctx, mid, NULL).slope >= slope_v / 2)
                lo = mid;
            else
                hi = mid;
        }
        c = lo;
        slope_c = f(ctx, c, NULL).slope;
    }
    double from = c - (PANEL_DROP + log(slope_v / slope_c)) / slope_c;
    return from > v ? from : v;
}

/* Integral of e^h over [v, end]: ln of it in the return value, the
 * f-weighted mean of d ln f / dp in grad (when not NULL); -INFINITY when the
 * integral underflows to 0; NaN (grad 0) when PANEL_MAX panels did not
 * finish it. */
static double log_concave_integral(const log_integrand f, const void *ctx, double v, double end,
                                   double *grad)
{
    v = march_start(f, ctx, v, end);
    double h_max = f(ctx, v, NULL).h;
    log_sum acc = {h_max, 0, {0, 0, 0, 0}};
    bool done = !(v < end);
    for (int panels = 0; !done && panels < PANEL_MAX; panels++) {
        double step = panel_step(f, ctx, v, end);
        log_sum_panel(f, ctx, &acc, v, v + step, grad != NULL);
        v += step;
        log_point at = f(ctx, v, NULL);
        h_max = at.h > h_max ? at.h : h_max;
        done = !(v < end) || (at.h < h_max - PANEL_DROP && at.slope < 0);
    }
    bool positive = done && acc.value > 0 && isfinite(acc.value);
    for (int k = 0; grad != NULL && k < 4; k++)
        grad[k] = positive ? acc.grad[k] / acc.value : 0;
    if (!done)
        return NAN;
    return positive ? acc.ref + log(acc.value) : -INFINITY;
}

/* ---- D by direct integration --------------------------------------------- */

/* In v = ln(m + tau), m = min(alpha, beta), the integrand of D is e^h with
 *   h(v) = v - (r+x) ln(e^v + alpha - m) - (s+1) ln(e^v + beta - m),
 * concave, and free of cancellation (alpha - m or beta - m is exactly 0). */
typedef struct area_setup {
    const double *p;
    double x, m;
} area_setup;

/* |h''| = p e^v c / (e^v + c)^2 for the one term whose c = alpha - m or
 * beta - m is not 0 (p its exponent): at most p/4, reached at v = ln c, and
 * monotone on either side. Within PANEL_SPAN of ln c (where a panel may hold
 * the peak) the bound is p/4; elsewhere the value at v, since a panel away
 * from the peak has its largest |h''| at an end. A global p/4 would make
 * every panel 2.5/sqrt(p/4) wide even where h is a straight line, which for
 * p ~ 1e18 exhausts PANEL_MAX. */
static double area_curvature(double v, double ev, double c, double p)
{
    if (c == 0)
        return 0;
    if (fabs(v - log(c)) <= PANEL_SPAN)
        return p / 4;
    double sum = ev + c;
    return p * (ev / sum) * (c / sum);
}

static log_point area_integrand(const void *ctx, double v, double *dlnf)
{
    const area_setup *a = ctx;
    double ev = exp(v), rx = a->p[P_R] + a->x, s1 = a->p[P_S] + 1;
    double c_alpha = a->p[P_ALPHA] - a->m, c_beta = a->p[P_BETA] - a->m;
    double a_tau = ev + c_alpha, b_tau = ev + c_beta;
    double ln_a = log(a_tau), ln_b = log(b_tau);
    log_point at = {v - rx * ln_a - s1 * ln_b, 1 - rx * ev / a_tau - s1 * ev / b_tau,
                    area_curvature(v, ev, c_alpha, rx) + area_curvature(v, ev, c_beta, s1)};
    if (dlnf != NULL) {
        dlnf[P_R] = -ln_a;
        dlnf[P_ALPHA] = -rx / a_tau;
        dlnf[P_S] = -ln_b;
        dlnf[P_BETA] = -s1 / b_tau;
    }
    return at;
}

/* ln D and its gradient by integration; -INFINITY when D underflows. */
static double area_integral(const double *p, double x, double t_x, double T, double *grad)
{
    area_setup a = {p, x, p[P_ALPHA] < p[P_BETA] ? p[P_ALPHA] : p[P_BETA]};
    return log_concave_integral(area_integrand, &a, log(a.m + t_x), log(a.m + T), grad);
}

/* ---- ln D: series difference, or the integral ---------------------------- */

static bool series_converges_fast(const double *p, double x, double t_x)
{
    double alpha = p[P_ALPHA], beta = p[P_BETA];
    double z = fabs(alpha - beta) / ((alpha > beta ? alpha : beta) + t_x);
    return z <= PNBD_SERIES_MAX_Z ||
           (alpha < beta && p[P_R] + x >= PNBD_FAST_DECAY && p[P_S] < PNBD_FAST_DECAY_MAX_S);
}

/* ln(I(t_x) - I(T)) with d/dp = (g1 - rho g2) / (1 - rho), rho = I(T)/I(t_x). */
static bool area_series(const double *p, double x, double t_x, double T, double *ln_area,
                        double *grad)
{
    pnbd_tail lo, hi;
    if (!tail_series(p, x, t_x, grad != NULL, &lo) || !tail_series(p, x, T, grad != NULL, &hi))
        return false;
    double rho = exp(hi.ln_value - lo.ln_value);
    if (!(rho < 1 - PNBD_MIN_GAP))
        return false;
    *ln_area = lo.ln_value + log1p(-rho);
    for (int k = 0; grad != NULL && k < 4; k++)
        grad[k] = (lo.grad[k] - rho * hi.grad[k]) / (1 - rho);
    return true;
}

/* ln D (D = A0 / (r+s+x)); -INFINITY when t_x >= T. grad may be NULL. */
static double pnbd_ln_area(const double *p, double x, double t_x, double T, double *grad)
{
    double ln_area;
    if (!(t_x < T)) {
        for (int k = 0; grad != NULL && k < 4; k++)
            grad[k] = 0;
        return -INFINITY;
    }
    if (series_converges_fast(p, x, t_x) && area_series(p, x, t_x, T, &ln_area, grad))
        return ln_area;
    return area_integral(p, x, t_x, T, grad);
}

/* ---- likelihood ------------------------------------------------------------ */

static bool params_valid(const double *p)
{
    for (int k = 0; k < 4; k++)
        if (!(p[k] > 0 && isfinite(p[k])))
            return false;
    return true;
}

static bool row_valid(double x, double t_x, double T)
{
    return x >= 0 && t_x >= 0 && T >= t_x && isfinite(x) && isfinite(T);
}

/* ln of the first bracket term, (alpha+T)^-(r+x) (beta+T)^-s: alive at T. */
static double ln_alive_term(const double *p, double x, double T)
{
    return -(p[P_R] + x) * log(p[P_ALPHA] + T) - p[P_S] * log(p[P_BETA] + T);
}

static double pnbd_loglik(const double *p, const model_row *row, double *grad)
{
    if (!params_valid(p) || !row_valid(row->x, row->t_x, row->T))
        return -INFINITY;
    double r = p[P_R], alpha = p[P_ALPHA], s = p[P_S], beta = p[P_BETA];
    double x = row->x, T = row->T, darea[4] = {0, 0, 0, 0};
    double head = special_lgamma(r + x) - special_lgamma(r) + r * log(alpha) + s * log(beta);
    double alive = ln_alive_term(p, x, T);
    double dead = log(s) + pnbd_ln_area(p, x, row->t_x, T, grad != NULL ? darea : NULL);
    double total = special_logaddexp(alive, dead);
    double ll = head + total;
    if (grad == NULL)
        return isfinite(ll) ? ll : -INFINITY;
    double w_alive = exp(alive - total), w_dead = dead == -INFINITY ? 0 : exp(dead - total);
    grad[P_R] = special_digamma(r + x) - special_digamma(r) + log(alpha) -
                w_alive * log(alpha + T) + w_dead * darea[P_R];
    grad[P_ALPHA] = r / alpha - w_alive * (r + x) / (alpha + T) + w_dead * darea[P_ALPHA];
    grad[P_S] = log(beta) - w_alive * log(beta + T) + w_dead * (1 / s + darea[P_S]);
    grad[P_BETA] = s / beta - w_alive * s / (beta + T) + w_dead * darea[P_BETA];
    return isfinite(ll) ? ll : -INFINITY;
}

/* ---- predictions ----------------------------------------------------------- */

/* ln-odds of "dropped out before T" against "alive at T": ln(s D) - ln alive term. */
static double dropout_log_odds(const double *p, double x, double t_x, double T)
{
    return log(p[P_S]) + pnbd_ln_area(p, x, t_x, T, NULL) - ln_alive_term(p, x, T);
}

/* ln(1 / (1 + e^u)) without overflow. */
static double ln_inv_one_plus_exp(double u)
{
    return u > 0 ? -u - log1p(exp(-u)) : -log1p(exp(u));
}

static double pnbd_p_alive(const double *p, double x, double t_x, double T)
{
    if (!params_valid(p) || !row_valid(x, t_x, T))
        return NAN;
    return exp(ln_inv_one_plus_exp(dropout_log_odds(p, x, t_x, T)));
}

/* (1 - (b/(b+t))^(s-1)) / (s-1), continuous at s = 1 where it is ln(1 + t/b). */
static double survival_integral(double s, double b, double t)
{
    double ln_ratio = log1p(t / b);
    return s == 1 ? ln_ratio : -expm1(-(s - 1) * ln_ratio) / (s - 1);
}

/* note 009 eq. 41: P(alive) (r+x)(beta+T)/(alpha+T) [1 - ((beta+T)/(beta+T+t))^(s-1)]/(s-1) */
static double pnbd_expected(const double *p, double x, double t_x, double T, double t)
{
    if (!params_valid(p) || !row_valid(x, t_x, T) || !(t >= 0))
        return NAN;
    double b_T = p[P_BETA] + T;
    return pnbd_p_alive(p, x, t_x, T) * (p[P_R] + x) * b_T / (p[P_ALPHA] + T) *
           survival_integral(p[P_S], b_T, t);
}

/* note 009 eq. 27: r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] */
static double pnbd_unconditional(const double *p, double t)
{
    if (!params_valid(p) || !(t >= 0))
        return NAN;
    return p[P_R] / p[P_ALPHA] * p[P_BETA] * survival_integral(p[P_S], p[P_BETA], t);
}

/* ---- DERT ------------------------------------------------------------------- */

/* The discounting integral J = integral over u > 0 of e^-(z u) (1+u)^-s
 * = z^(s-1) U(s, s, z) = U(1, 2-s, z) (Kummer's transformation), written in
 * v = ln(1+u): h(v) = (1-s) v - z (e^v - 1), concave. */
typedef struct discount_setup {
    double s, z;
} discount_setup;

/* h'' = -z e^v, growing with v: the value at a panel's right end bounds it. */
static log_point discount_integrand(const void *ctx, double v, double *dlnf)
{
    const discount_setup *d = ctx;
    double ev = exp(v);
    (void)dlnf;
    return (log_point){(1 - d->s) * v - d->z * expm1(v), (1 - d->s) - d->z * ev, d->z * ev};
}

/* ln J. GSL's U(1, 2-s, z) in its e10 form for s <= DERT_GSL_MAX_S: J ~ 1/z
 * for large z, so nothing underflows where U(s, s, z) alone would (CLVTools
 * #163). For larger s GSL either fails or, worse, is off by up to 1e-7
 * relative while reporting 1e-12 (s = 300, z = 1); there J is integrated. */
#define DERT_GSL_MAX_S 30.0

static double ln_discounted_survival(double s, double z)
{
    gsl_sf_result_e10 u;
    if (s <= DERT_GSL_MAX_S && gsl_sf_hyperg_U_e10_e(1, 2 - s, z, &u) == GSL_SUCCESS && u.val > 0 &&
        isfinite(u.val) && u.err <= 1e-10 * u.val)
        return log(u.val) + u.e10 * M_LN10;
    discount_setup d = {s, z};
    return log_concave_integral(discount_integrand, &d, 0, INFINITY, NULL);
}

/* DERT = alpha^r beta^s delta^(s-1) Gamma(r+x+1) U(s, s; delta(beta+T))
 *        / (Gamma(r) (alpha+T)^(r+x+1) L)
 *      = P(alive) (r+x)(beta+T)/(alpha+T) J(s, delta(beta+T)),
 * dividing L by its alive term (which is how P(alive) enters). */
double pnbd_dert(const double *p, double x, double t_x, double T, double delta)
{
    if (!params_valid(p) || !row_valid(x, t_x, T) || !(delta > 0))
        return NAN;
    double b_T = p[P_BETA] + T;
    double ln_dert = ln_inv_one_plus_exp(dropout_log_odds(p, x, t_x, T)) + log(p[P_R] + x) +
                     log(b_T) - log(p[P_ALPHA] + T) + ln_discounted_survival(p[P_S], delta * b_T);
    return exp(ln_dert);
}

/* The mean dropout rate s / beta (per unit of time). */
static double pnbd_dropout(const double *p)
{
    return p[P_S] / p[P_BETA];
}

static const model_ops pnbd_ops = {
    .name = "pnbd",
    .title = "Pareto/NBD (Schmittlein, Morrison & Colombo 1987)",
    .nparams = 4,
    .param_names = {"r", "alpha", "s", "beta"},
    .start = {0.5, 15, 0.5, 10},
    .needs_repeaters = false,
    .discrete = false,
    .time_scale_mask = (1u << P_ALPHA) | (1u << P_BETA),
    .loglik = pnbd_loglik,
    .dropout = pnbd_dropout,
    .p_alive = pnbd_p_alive,
    .expected = pnbd_expected,
    .unconditional = pnbd_unconditional,
    .pmf = NULL,
};

const model_ops *pnbd_model(void)
{
    return &pnbd_ops;
}
