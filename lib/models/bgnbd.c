/* bgnbd.c - BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam et al. 2007),
 * clv.md A.1/A.2; one file, as MBG/NBD only adds a drop-out chance at time 0.
 * Invariant: everything is computed in log space; for parameters > 0 and a valid
 * row no function returns NaN (loglik returns a finite value or -INFINITY).
 * loglik is that of one customer: the fitter applies row->weight. */
#include "model.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

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
 * w3 dA3 + w4 dA4, and the Hessian is that of A1 + A2 plus
 * w3 H3 + w4 H4 + w3 w4 (dA3 - dA4)(dA3 - dA4)'. The per-row function and the
 * batch share the pieces below, so the two agree to rounding of the sum. */

/* Terms of one x (with the shift): fixed for a whole pass over the rows. */
typedef struct bg_xterms {
    double head;           /* ln (r)_x + ln (b)_m - ln (a+b)_m */
    double l4_const;       /* ln a - ln(b+m-1); -INFINITY when m = 0 */
    double inv_bm;         /* 1 / (b+m-1); 0 when m = 0 */
    double rx;             /* r + x */
    double d_r, d_ab, d_b; /* psi(base + n) - psi(base) */
    double t_r, t_ab, t_b; /* psi'(base + n) - psi'(base), Hessian only */
} bg_xterms;

/* Terms of the parameters alone. */
typedef struct bg_consts {
    double r, alpha, a, ln_alpha, inv_a;
} bg_consts;

/* ln(alpha + t) and 1 / (alpha + t) of one time t. */
typedef struct bg_time {
    double ln, inv;
} bg_time;

/* psi'(base + n) - psi'(base); a sum for small integer n, like digamma_diff. */
static double trigamma_diff(double base, double n)
{
    if (n == 0)
        return 0;
    if (n <= PSI_SUM_MAX && n == floor(n)) {
        double sum = 0;
        for (int k = 0; k < (int)n; k++)
            sum -= 1 / ((base + k) * (base + k));
        return sum;
    }
    gsl_sf_result hi, lo;
    if (gsl_sf_psi_1_e(base + n, &hi) != GSL_SUCCESS || gsl_sf_psi_1_e(base, &lo) != GSL_SUCCESS)
        return NAN;
    return hi.val - lo.val;
}

static bg_consts bg_consts_of(const double *p)
{
    bg_consts c = {p[P_R], p[P_ALPHA], p[P_A], log(p[P_ALPHA]), 1 / p[P_A]};
    return c;
}

static bg_time bg_time_of(const bg_consts *c, double t)
{
    bg_time out = {log(c->alpha + t), 1 / (c->alpha + t)};
    return out;
}

/* The x terms; the digamma (want > 0) and trigamma (want > 1) ones on demand. */
static void bg_xterms_of(const double *p, double x, int shift, int want, bg_xterms *t)
{
    double r = p[P_R], a = p[P_A], b = p[P_B], m = x + shift;
    t->head = log_poch(r, x) + log_poch(b, m) - log_poch(a + b, m);
    t->l4_const = m > 0 ? log(a) - log(b + m - 1) : -INFINITY;
    t->inv_bm = m > 0 ? 1 / (b + m - 1) : 0;
    t->rx = r + x;
    if (want > 0) {
        t->d_r = digamma_diff(r, x);
        t->d_ab = digamma_diff(a + b, m);
        t->d_b = digamma_diff(b, m);
    }
    if (want > 1) {
        t->t_r = trigamma_diff(r, x);
        t->t_ab = trigamma_diff(a + b, m);
        t->t_b = trigamma_diff(b, m);
    }
}

/* Softmax of (l3, l4): ln(e^l3 + e^l4) with w3, w4; one exp and one log. As
 * 0 < e <= 1, log(1 + e) is off by at most 2^-53 absolute, like log1p(e) (and
 * several times faster). */
static double bg_mix(double l3, double l4, double *w3, double *w4)
{
    if (l4 == -INFINITY) {
        *w3 = 1, *w4 = 0;
        return l3;
    }
    double hi = fmax(l3, l4), e = exp(-fabs(l3 - l4)), w_hi = 1 / (1 + e);
    *w3 = l3 >= l4 ? w_hi : e * w_hi;
    *w4 = l3 >= l4 ? e * w_hi : w_hi;
    return hi + log(1 + e);
}

/* Adds the weighted Hessian of one row (natural scale) to the upper triangle
 * acc (rr, r alpha, r a, r b, alpha alpha, alpha a, alpha b, aa, ab, bb). */
static void bg_row_hessian(const bg_consts *c, const bg_xterms *t, const bg_time *tT,
                           const bg_time *tx, double w3, double w4, double weight, double *acc)
{
    double rx = t->rx, mix = weight * w3 * w4;
    /* the gradient of A3 minus that of A4 in (r, alpha, a, b) */
    double dr = tx->ln - tT->ln, dal = rx * (tx->inv - tT->inv), da = -c->inv_a, db = t->inv_bm;
    acc[0] += weight * t->t_r + mix * dr * dr;
    acc[1] += weight * (1 / c->alpha - w3 * tT->inv - w4 * tx->inv) + mix * dr * dal;
    acc[2] += mix * dr * da;
    acc[3] += mix * dr * db;
    acc[4] += weight * (rx * (w3 * tT->inv * tT->inv + w4 * tx->inv * tx->inv) -
                        c->r / (c->alpha * c->alpha)) +
              mix * dal * dal;
    acc[5] += mix * dal * da;
    acc[6] += mix * dal * db;
    acc[7] += weight * (-t->t_ab - w4 * c->inv_a * c->inv_a) + mix * da * da;
    acc[8] += -weight * t->t_ab + mix * da * db;
    acc[9] += weight * (t->t_b - t->t_ab + w4 * t->inv_bm * t->inv_bm) + mix * db * db;
}

/* The 4 x 4 matrix of an upper triangle as bg_row_hessian keeps it. */
static void bg_hessian_unpack(const double *acc, double *hess)
{
    int at = 0;
    for (int j = 0; j < 4; j++)
        for (int k = j; k < 4; k++, at++)
            hess[4 * j + k] = hess[4 * k + j] = acc[at];
}

/* ln L of one row from its pieces; the gradient (natural scale) into grad
 * when not NULL. */
static double bg_row(const bg_consts *c, const bg_xterms *t, const bg_time *tT, const bg_time *tx,
                     double *grad, double *w3, double *w4)
{
    double rx = t->rx;
    double l34 = bg_mix(-rx * tT->ln, t->l4_const - rx * tx->ln, w3, w4);
    if (grad != NULL) {
        grad[P_R] = t->d_r + c->ln_alpha - *w3 * tT->ln - *w4 * tx->ln;
        grad[P_ALPHA] = c->r / c->alpha - rx * (*w3 * tT->inv + *w4 * tx->inv);
        grad[P_A] = -t->d_ab + *w4 * c->inv_a;
        grad[P_B] = t->d_b - t->d_ab - *w4 * t->inv_bm;
    }
    return t->head + c->r * c->ln_alpha + l34;
}

static double loglik_common(const double *p, const model_row *row, double *grad, int shift)
{
    if (!params_valid(p) || !times_valid(row->x, row->t_x, row->T))
        goto fail;
    bg_consts c = bg_consts_of(p);
    bg_xterms t;
    bg_xterms_of(p, row->x, shift, grad != NULL, &t);
    bg_time tT = bg_time_of(&c, row->T), tx = bg_time_of(&c, row->t_x);
    double w3, w4, ll = bg_row(&c, &t, &tT, &tx, grad, &w3, &w4);
    if (!(ll > -INFINITY && ll < INFINITY))
        goto fail;
    for (int k = 0; grad != NULL && k < 4; k++)
        if (isnan(grad[k]))
            goto fail;
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

/* ---- batch likelihood ---------------------------------------------------------- */

/* Summaries at day resolution have a few thousand distinct times and a few
 * hundred distinct x against ~10^6 rows: the scratch caches the terms of each
 * integer x below BG_X_SLOTS, and of each time on a grid of step = the
 * smallest positive time (slot = time / step rounded) when the grid has at
 * most BG_TIME_SLOTS slots. A slot remembers the time it was prepared for, so
 * a row off the grid, or one sharing a slot, computes its terms directly. */
enum { BG_X_SLOTS = 1024, BG_TIME_SLOTS = 16384 };
/* Batches of at least this many rows are summed on two threads. */
enum { BG_PARALLEL_MIN = 1 << 16 };

typedef struct bg_cache {
    double step_inv;                  /* 1 / grid step */
    size_t time_slots;                /* slots in use (0: no grid) */
    size_t x_slots;                   /* x values 0 .. x_slots - 1 may be cached */
    double time_value[BG_TIME_SLOTS]; /* the time of each slot; NaN when unused */
    bg_time time[BG_TIME_SLOTS];
    bool x_seen[BG_X_SLOTS];
    bg_xterms x[BG_X_SLOTS];
} bg_cache;

static bool time_slot(const bg_cache *cache, double t, size_t *slot)
{
    double s = t * cache->step_inv + 0.5;
    if (!(s >= 0 && s < (double)cache->time_slots))
        return false;
    *slot = (size_t)s;
    return true;
}

static void cache_time(bg_cache *cache, double t)
{
    size_t slot;
    if (time_slot(cache, t, &slot) && isnan(cache->time_value[slot]))
        cache->time_value[slot] = t;
}

/* The grid: step = smallest positive time, slots up to the largest. */
static void grid_prepare(bg_cache *cache, const model_row *rows, size_t n)
{
    double smallest = INFINITY, largest = 0;
    for (size_t i = 0; i < n; i++) {
        double times[2] = {rows[i].t_x, rows[i].T};
        for (int j = 0; j < 2; j++) {
            if (times[j] > 0 && times[j] < smallest)
                smallest = times[j];
            largest = fmax(largest, times[j]);
        }
    }
    cache->step_inv = smallest < INFINITY ? 1 / smallest : 1;
    double slots = largest * cache->step_inv + 1.5;
    cache->time_slots = slots < BG_TIME_SLOTS ? (size_t)slots : 0;
    for (size_t k = 0; k < cache->time_slots; k++)
        cache->time_value[k] = NAN;
}

static void bg_prepare(const model_row *rows, size_t n, void *scratch)
{
    bg_cache *cache = scratch;
    grid_prepare(cache, rows, n);
    cache->x_slots = 0;
    memset(cache->x_seen, 0, sizeof cache->x_seen);
    for (size_t i = 0; i < n; i++) {
        double x = rows[i].x;
        if (x >= 0 && x < BG_X_SLOTS && x == floor(x)) {
            cache->x_seen[(size_t)x] = true;
            if ((size_t)x >= cache->x_slots)
                cache->x_slots = (size_t)x + 1;
        }
        cache_time(cache, rows[i].t_x);
        cache_time(cache, rows[i].T);
    }
}

/* Fills the caches for parameters p. */
static void bg_cache_fill(bg_cache *cache, const double *p, const bg_consts *c, int shift, int want)
{
    for (size_t k = 0; k < cache->time_slots; k++)
        if (!isnan(cache->time_value[k]))
            cache->time[k] = bg_time_of(c, cache->time_value[k]);
    for (size_t x = 0; x < cache->x_slots; x++)
        if (cache->x_seen[x])
            bg_xterms_of(p, (double)x, shift, want, &cache->x[x]);
}

static bg_time cached_time(const bg_cache *cache, const bg_consts *c, double t)
{
    size_t slot;
    if (time_slot(cache, t, &slot) && cache->time_value[slot] == t)
        return cache->time[slot];
    return bg_time_of(c, t);
}

/* The x terms of x from the cache, else computed into own. */
static const bg_xterms *cached_x(const bg_cache *cache, const double *p, double x, int shift,
                                 int want, bg_xterms *own)
{
    if (x >= 0 && x < (double)cache->x_slots && x == floor(x) && cache->x_seen[(size_t)x])
        return &cache->x[(size_t)x];
    bg_xterms_of(p, x, shift, want, own);
    return own;
}

static double batch_fail(double *grad, double *hess)
{
    for (int k = 0; grad != NULL && k < 4; k++)
        grad[k] = 0;
    for (int k = 0; hess != NULL && k < 16; k++)
        hess[k] = 0;
    return -INFINITY;
}

/* One share of a batch pass: its rows, and the partial sums of those rows. */
typedef struct bg_part {
    const bg_cache *cache;
    const bg_consts *c;
    const double *p;
    const model_row *rows;
    size_t n;
    int shift, want;
    bool grad, hess, bad; /* bad: a row with invalid times */
    double sum, gsum[4], acc[10];
} bg_part;

static void bg_part_run(bg_part *pt)
{
    /* the sums are locals: the two parts lie side by side, and stores through
     * pt for every row would share cache lines between the threads */
    double g[4], w3, w4, sum = 0, gsum[4] = {0}, acc[10] = {0};
    const bg_cache *cache = pt->cache;
    const bg_consts *c = pt->c;
    bool want_grad = pt->grad, want_hess = pt->hess;
    for (size_t i = 0; i < pt->n; i++) {
        const model_row *row = &pt->rows[i];
        bg_xterms own;
        if (!times_valid(row->x, row->t_x, row->T)) {
            pt->bad = true;
            return;
        }
        const bg_xterms *t = cached_x(cache, pt->p, row->x, pt->shift, pt->want, &own);
        bg_time tT = cached_time(cache, c, row->T), tx = cached_time(cache, c, row->t_x);
        sum += row->weight * bg_row(c, t, &tT, &tx, want_grad ? g : NULL, &w3, &w4);
        for (int k = 0; want_grad && k < 4; k++)
            gsum[k] += row->weight * g[k];
        if (want_hess)
            bg_row_hessian(c, t, &tT, &tx, w3, w4, row->weight, acc);
    }
    pt->sum = sum;
    memcpy(pt->gsum, gsum, sizeof gsum);
    memcpy(pt->acc, acc, sizeof acc);
}

static void *bg_part_main(void *arg)
{
    bg_part_run(arg);
    return NULL;
}

/* Runs the parts: the second on its own thread when the rows are many (the
 * caches are only read), else one after the other. */
static void bg_parts_run(bg_part *parts, int count)
{
    pthread_t thread;
    bool threaded = count > 1 && pthread_create(&thread, NULL, bg_part_main, &parts[1]) == 0;
    bg_part_run(&parts[0]);
    if (threaded)
        pthread_join(thread, NULL);
    else if (count > 1)
        bg_part_run(&parts[1]);
}

/* Large batches run on two threads, each summing half of the rows; the two
 * partial sums are then added in a fixed order, so the result does not
 * depend on thread timing. Smaller ones are one serial sum. */
static double loglik_sum_common(const double *p, const model_row *rows, size_t n, double *grad,
                                double *hess, void *scratch, int shift)
{
    bg_cache *cache = scratch;
    int want = hess != NULL ? 2 : grad != NULL;
    if (!params_valid(p))
        return batch_fail(grad, hess);
    bg_consts c = bg_consts_of(p);
    bg_cache_fill(cache, p, &c, shift, want);
    size_t half = n >= BG_PARALLEL_MIN ? n / 2 : n;
    bg_part parts[2];
    for (int j = 0; j < 2; j++)
        parts[j] = (bg_part){cache,
                             &c,
                             p,
                             rows + (j ? half : 0),
                             j ? n - half : half,
                             shift,
                             want,
                             grad != NULL,
                             hess != NULL,
                             false,
                             0,
                             {0},
                             {0}};
    bg_parts_run(parts, half < n ? 2 : 1);
    if (parts[0].bad || parts[1].bad)
        return batch_fail(grad, hess);
    double sum = parts[0].sum + parts[1].sum, acc[10];
    for (int k = 0; grad != NULL && k < 4; k++)
        grad[k] = parts[0].gsum[k] + parts[1].gsum[k];
    for (int k = 0; k < 10; k++)
        acc[k] = parts[0].acc[k] + parts[1].acc[k];
    if (hess != NULL)
        bg_hessian_unpack(acc, hess);
    return isnan(sum) ? batch_fail(grad, hess) : sum;
}

static double bgnbd_loglik_sum(const double *p, const model_row *rows, size_t n, double *grad,
                               double *hess, void *scratch)
{
    return loglik_sum_common(p, rows, n, grad, hess, scratch, SHIFT_BG);
}

static double mbgnbd_loglik_sum(const double *p, const model_row *rows, size_t n, double *grad,
                                double *hess, void *scratch)
{
    return loglik_sum_common(p, rows, n, grad, hess, scratch, SHIFT_MBG);
}

/* ---- P(alive) ---------------------------------------------------------------- */

/* ln P(alive) = -log(1 + e^odds), odds = ln(a/(b+m-1)) + (r+x) ln((alpha+T)/(alpha+t_x));
 * 0 when there was no drop-out chance yet (BG/NBD, x = 0). */
static double log_p_alive(const double *p, double x, double t_x, double T, int shift)
{
    double m = x + shift;
    if (m == 0)
        return 0;
    double odds =
        log(p[P_A]) - log(p[P_B] + m - 1) + (p[P_R] + x) * log1p((T - t_x) / (p[P_ALPHA] + t_x));
    return -softplus(odds);
}

static double p_alive_common(const double *p, double x, double t_x, double T, int shift)
{
    if (!params_valid(p) || !times_valid(x, t_x, T))
        return NAN;
    return exp(log_p_alive(p, x, t_x, T, shift));
}

double bg_alive_odds_x(const double *p, double x, bool mbg)
{
    double m = x + (mbg ? SHIFT_MBG : SHIFT_BG);
    return m > 0 ? log(p[P_A]) - log(p[P_B] + m - 1) : 0;
}

/* log_p_alive with its first two terms given: the same operations in the same
 * order, so the same bits. */
double bg_p_alive_with(const double *p, double odds_x, double x, double t_x, double T, bool mbg)
{
    if (!params_valid(p) || !times_valid(x, t_x, T))
        return NAN;
    if (x + (mbg ? SHIFT_MBG : SHIFT_BG) == 0)
        return exp(0.0);
    double odds = odds_x + (p[P_R] + x) * log1p((T - t_x) / (p[P_ALPHA] + t_x));
    return exp(-softplus(odds));
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
    slog first =
        c0 == 0 ? SLOG_ZERO : slog_of(log(fabs(c0)) + log_expm1_ratio(a - 1, L), c0 > 0 ? 1 : -1);
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
    slog first = c0 == 0 ? SLOG_ZERO : slog_of(log(fabs(c0)) + log(-expm1(A * L)), c0 > 0 ? 1 : -1);
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
static double expected_common(const double *p, double x, double t_x, double T, double t, int shift)
{
    if (!params_valid(p) || !times_valid(x, t_x, T) || !(t >= 0))
        return NAN;
    if (t == 0)
        return 0;
    double log_alive = log_p_alive(p, x, t_x, T, shift);
    if (log_alive < -745) /* P(alive) underflows: nothing more to expect */
        return 0;
    double log_i =
        log_residual_purchases(p[P_R] + x, p[P_B] + x + shift, p[P_A], p[P_ALPHA] + T, t);
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

/* E[p] = a / (a + b): the chance of dropping out after a purchase. */
static double bg_dropout(const double *p)
{
    return p[P_A] / (p[P_A] + p[P_B]);
}

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
    .batch_scratch = sizeof(bg_cache),
    .batch_prepare = bg_prepare,
    .loglik_sum = bgnbd_loglik_sum,
    .dropout = bg_dropout,
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
    .batch_scratch = sizeof(bg_cache),
    .batch_prepare = bg_prepare,
    .loglik_sum = mbgnbd_loglik_sum,
    .dropout = bg_dropout,
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
