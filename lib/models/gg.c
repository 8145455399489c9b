/* gg.c - the Gamma-Gamma model of spend per transaction (Colombo & Jiang
 * 1999; Fader, Hardie & Lee 2005; Fader & Hardie note 025): likelihood of a
 * repeater's mean repeat value with analytic gradient, and E[M | x, m_x].
 * Invariant: the likelihood is formed from log-beta and log1p terms, so it
 * stays finite for any p, q, gamma > 0 and any x > 0, m_x > 0; rows with
 * x <= 0 or m_x <= 0 (the model does not cover them) give -INFINITY.
 * loglik is that of one customer: the fitter applies row->weight. */
#include "model.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

enum { SHAPE_P, SHAPE_Q, SCALE_GAMMA, NPARAMS };

/* ln f(m | p, q, gamma, x) (note 025 eq. 1a)
 *   = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m + px ln x
 *     - (px+q) ln(gamma + m x),
 * regrouped as -ln B(px, q) - q ln(1 + mx/gamma) - px ln(1 + gamma/(mx)) - ln m,
 * which avoids the cancellation of large logarithms. The per-row function
 * and the batch share the pieces below. */

/* Terms of one x: fixed for a whole pass over the rows. */
typedef struct gg_xterms {
    double x, px, lbeta;
    double d_p, d_q;    /* psi(px+q) - psi(px), psi(px+q) - psi(q) */
    double t_sum, t_px; /* psi'(px+q), psi'(px): Hessian only */
} gg_xterms;

static double trigamma(double v)
{
    gsl_sf_result r;
    return gsl_sf_psi_1_e(v, &r) == GSL_SUCCESS ? r.val : NAN;
}

/* The x terms; the digamma (want > 0) and trigamma (want > 1) ones on demand. */
static void gg_xterms_of(const double *p, double x, int want, gg_xterms *t)
{
    double px = p[SHAPE_P] * x, q = p[SHAPE_Q];
    t->x = x;
    t->px = px;
    t->lbeta = special_lbeta(px, q);
    if (want > 0) {
        double psi_sum = special_digamma(px + q);
        t->d_p = psi_sum - special_digamma(px);
        t->d_q = psi_sum - special_digamma(q);
    }
    if (want > 1) {
        t->t_sum = trigamma(px + q);
        t->t_px = trigamma(px);
    }
}

static bool gg_row_valid(const model_row *row)
{
    return row->x > 0 && row->m_x > 0 && isfinite(row->x) && isfinite(row->m_x);
}

/* ln f of one valid row from its x terms; the gradient into grad when not NULL. */
static double gg_row(const double *p, const gg_xterms *t, double m, double *grad)
{
    double q = p[SHAPE_Q], g = p[SCALE_GAMMA], mx = m * t->x;
    double log_spend_over_scale = log1p(mx / g); /* ln((gamma + mx) / gamma) */
    double log_scale_over_spend = log1p(g / mx); /* ln((gamma + mx) / (mx)) */
    if (grad != NULL) {
        grad[SHAPE_P] = t->x * (t->d_p - log_scale_over_spend);
        grad[SHAPE_Q] = t->d_q - log_spend_over_scale;
        grad[SCALE_GAMMA] = q / g - (t->px + q) / (g + mx);
    }
    return -t->lbeta - q * log_spend_over_scale - t->px * log_scale_over_spend - log(m);
}

static double gg_loglik(const double *p, const model_row *row, double *grad)
{
    if (grad != NULL)
        for (int k = 0; k < NPARAMS; k++)
            grad[k] = 0;
    if (!gg_row_valid(row))
        return -INFINITY;
    gg_xterms t;
    gg_xterms_of(p, row->x, grad != NULL, &t);
    double ll = gg_row(p, &t, row->m_x, grad);
    return isnan(ll) ? -INFINITY : ll;
}

/* ---- batch likelihood ---------------------------------------------------------- */

/* The scratch caches the terms of each integer x below GG_X_SLOTS (repeat
 * counts; m_x is all but unique per customer, so nothing is cached by it). */
enum { GG_X_SLOTS = 1024 };

typedef struct gg_cache {
    size_t x_slots;
    double t_q; /* psi'(q) */
    bool x_seen[GG_X_SLOTS];
    gg_xterms x[GG_X_SLOTS];
} gg_cache;

static void gg_prepare(const model_row *rows, size_t n, void *scratch)
{
    gg_cache *cache = scratch;
    cache->x_slots = 0;
    memset(cache->x_seen, 0, sizeof cache->x_seen);
    for (size_t i = 0; i < n; i++) {
        double x = rows[i].x;
        if (x > 0 && x < GG_X_SLOTS && x == floor(x)) {
            cache->x_seen[(size_t)x] = true;
            if ((size_t)x >= cache->x_slots)
                cache->x_slots = (size_t)x + 1;
        }
    }
}

/* Adds the weighted Hessian of one row (natural scale) to hess (3 x 3). */
static void gg_row_hessian(const double *p, const gg_xterms *t, double m, double t_q,
                           double weight, double *hess)
{
    double q = p[SHAPE_Q], g = p[SCALE_GAMMA], x = t->x, inv = 1 / (g + m * x);
    double h[NPARAMS][NPARAMS] = {{0}};
    h[SHAPE_P][SHAPE_P] = x * x * (t->t_sum - t->t_px);
    h[SHAPE_P][SHAPE_Q] = x * t->t_sum;
    h[SHAPE_P][SCALE_GAMMA] = -x * inv;
    h[SHAPE_Q][SHAPE_Q] = t->t_sum - t_q;
    h[SHAPE_Q][SCALE_GAMMA] = 1 / g - inv;
    h[SCALE_GAMMA][SCALE_GAMMA] = -q / (g * g) + (t->px + q) * inv * inv;
    for (int j = 0; j < NPARAMS; j++) {
        for (int k = j; k < NPARAMS; k++) {
            hess[NPARAMS * j + k] += weight * h[j][k];
            if (k != j)
                hess[NPARAMS * k + j] += weight * h[j][k];
        }
    }
}

static double gg_batch_fail(double *grad, double *hess)
{
    for (int k = 0; grad != NULL && k < NPARAMS; k++)
        grad[k] = 0;
    for (int k = 0; hess != NULL && k < NPARAMS * NPARAMS; k++)
        hess[k] = 0;
    return -INFINITY;
}

static void gg_cache_fill(gg_cache *cache, const double *p, int want)
{
    cache->t_q = want > 1 ? trigamma(p[SHAPE_Q]) : NAN;
    for (size_t x = 0; x < cache->x_slots; x++)
        if (cache->x_seen[x])
            gg_xterms_of(p, (double)x, want, &cache->x[x]);
}

/* Batches of at least this many rows are summed on two threads. */
enum { GG_PARALLEL_MIN = 1 << 16 };

/* One share of a batch pass: its rows, and the partial sums of those rows. */
typedef struct gg_part {
    const gg_cache *cache;
    const double *p;
    const model_row *rows;
    size_t n;
    int want;
    bool grad, hess, bad; /* bad: a row the model does not cover */
    double sum, gsum[NPARAMS], h[NPARAMS * NPARAMS];
} gg_part;

static void gg_part_run(gg_part *pt)
{
    /* the sums are locals: the two parts lie side by side, and stores through
     * pt for every row would share cache lines between the threads */
    const gg_cache *cache = pt->cache;
    double g[NPARAMS], sum = 0, gsum[NPARAMS] = {0}, h[NPARAMS * NPARAMS] = {0};
    for (size_t i = 0; i < pt->n; i++) {
        const model_row *row = &pt->rows[i];
        if (!gg_row_valid(row)) {
            pt->bad = true;
            return;
        }
        gg_xterms own;
        const gg_xterms *t = &own;
        if (row->x < (double)cache->x_slots && row->x == floor(row->x) &&
            cache->x_seen[(size_t)row->x])
            t = &cache->x[(size_t)row->x];
        else
            gg_xterms_of(pt->p, row->x, pt->want, &own);
        sum += row->weight * gg_row(pt->p, t, row->m_x, pt->grad ? g : NULL);
        for (int k = 0; pt->grad && k < NPARAMS; k++)
            gsum[k] += row->weight * g[k];
        if (pt->hess)
            gg_row_hessian(pt->p, t, row->m_x, cache->t_q, row->weight, h);
    }
    pt->sum = sum;
    memcpy(pt->gsum, gsum, sizeof gsum);
    memcpy(pt->h, h, sizeof h);
}

static void *gg_part_main(void *arg)
{
    gg_part_run(arg);
    return NULL;
}

/* Large batches run on two threads, each summing half of the rows; the two
 * partial sums are then added in a fixed order, so the result does not
 * depend on thread timing. */
static double gg_loglik_sum(const double *p, const model_row *rows, size_t n, double *grad,
                            double *hess, void *scratch)
{
    gg_cache *cache = scratch;
    int want = hess != NULL ? 2 : grad != NULL;
    gg_cache_fill(cache, p, want);
    size_t half = n >= GG_PARALLEL_MIN ? n / 2 : n;
    gg_part parts[2];
    for (int j = 0; j < 2; j++)
        parts[j] = (gg_part){cache, p, rows + (j ? half : 0), j ? n - half : half, want,
                             grad != NULL, hess != NULL, false, 0, {0}, {0}};
    pthread_t thread;
    bool threaded = half < n && pthread_create(&thread, NULL, gg_part_main, &parts[1]) == 0;
    gg_part_run(&parts[0]);
    if (threaded)
        pthread_join(thread, NULL);
    else if (half < n)
        gg_part_run(&parts[1]);
    for (int k = 0; grad != NULL && k < NPARAMS; k++)
        grad[k] = parts[0].gsum[k] + parts[1].gsum[k];
    for (int k = 0; hess != NULL && k < NPARAMS * NPARAMS; k++)
        hess[k] = parts[0].h[k] + parts[1].h[k];
    double sum = parts[0].sum + parts[1].sum;
    if (parts[0].bad || parts[1].bad)
        return gg_batch_fail(grad, hess);
    return isnan(sum) ? gg_batch_fail(grad, hess) : sum;
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
    .batch_scratch = sizeof(gg_cache),
    .batch_prepare = gg_prepare,
    .loglik_sum = gg_loglik_sum,
    .p_alive = NULL,
    .expected = NULL,
    .unconditional = NULL,
    .pmf = NULL,
};

const model_ops *gg_model(void)
{
    return &gg_ops;
}
