/* test_bgnbd.c - BG/NBD and MBG/NBD (lib/models/bgnbd.c) against the published
 * values of clv.md B.1-B.3 on the CDNOW CBS, against independent oracles
 * (quadrature, plain formulas, finite differences), and on extreme inputs; the
 * batch likelihood (loglik_sum) against the sum of the per-row one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "models/model.h"

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_hyperg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CBS_PATH "tests/data/cdnow_cbs.csv"
#define CBS_ROWS 2357

static const double PAPER[4] = {0.243, 4.414, 0.793, 2.426};
static const double BTYD[4] = {0.2425982, 4.4136842, 0.7929899, 2.4261667};
static const double MBG_MLE[4] = {0.52484, 6.18309, 0.89136, 1.61400};

/* ---- helpers ------------------------------------------------------------------ */

typedef struct cbs_row {
    double x, t_x, T, x_star;
} cbs_row;

/* Parses one field of a CBS line as a number; the end pointer must land on a
 * separator. */
static double field(char **cursor)
{
    char *end = NULL;
    double v = strtod(*cursor, &end);
    if (end == *cursor || (*end != ',' && *end != '\n' && *end != '\r' && *end != '\0'))
        fail_msg("bad number in %s near '%.20s'", CBS_PATH, *cursor);
    *cursor = *end == ',' ? end + 1 : end;
    return v;
}

/* Reads cust,x,t.x,T.cal,x.star,m.x; returns a malloc'd array of CBS_ROWS rows. */
static cbs_row *read_cbs(void)
{
    FILE *f = fopen(CBS_PATH, "r");
    if (f == NULL)
        fail_msg("cannot open %s (run from the repository root)", CBS_PATH);
    cbs_row *rows = calloc(CBS_ROWS, sizeof *rows);
    assert_non_null(rows);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    size_t n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        assert_true(n < CBS_ROWS);
        char *cursor = line;
        (void)field(&cursor);
        rows[n].x = field(&cursor);
        rows[n].t_x = field(&cursor);
        rows[n].T = field(&cursor);
        rows[n].x_star = field(&cursor);
        n++;
    }
    fclose(f);
    assert_int_equal(n, CBS_ROWS);
    return rows;
}

static double total_loglik(const model_ops *m, const double *p, const cbs_row *rows)
{
    double sum = 0;
    for (size_t i = 0; i < CBS_ROWS; i++) {
        model_row row = {rows[i].x, rows[i].t_x, rows[i].T, 0, 1};
        sum += m->loglik(p, &row, NULL);
    }
    return sum;
}

static void near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.10g, want %.10g (abs tol %g)", what, got, want, tol);
}

static void near_rel(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s: got %.10g, want %.10g (rel tol %g)", what, got, want, rel);
}

/* ---- oracles --------------------------------------------------------------------- */

/* The likelihood exactly as printed in clv.md A.1 / A.2, in plain arithmetic. */
static double plain_loglik(const double *p, double x, double t_x, double T, int mbg)
{
    double r = p[0], alpha = p[1], a = p[2], b = p[3];
    double nbd = lgamma(r + x) - lgamma(r) + r * log(alpha);
    double lb = lgamma(a) + lgamma(b) - lgamma(a + b);
    double beta1 = mbg ? gsl_sf_lnbeta(a, b + x + 1) : gsl_sf_lnbeta(a, b + x);
    double l = exp(beta1 - lb + nbd - (r + x) * log(alpha + T));
    if (mbg || x > 0) {
        double beta2 = mbg ? gsl_sf_lnbeta(a + 1, b + x) : gsl_sf_lnbeta(a + 1, b + x - 1);
        l += exp(beta2 - lb + nbd - (r + x) * log(alpha + t_x));
    }
    return log(l);
}

typedef struct residual_args {
    double A, B, a, u;
    bool upper; /* which half of (0, 1) the substitution covers */
} residual_args;

/* g(p) = (1 - (1 + p u)^-A) / p times the Beta kernel, after substituting
 * p = s^(1/a) on (0, 1/2] and 1 - p = s^(1/B) on [1/2, 1), which absorbs the
 * kernel's endpoint singularities: p^(a-1) dp = ds / a. */
static double residual_integrand(double s, void *data)
{
    const residual_args *g = data;
    double p, weight;
    if (g->upper) {
        double q = pow(s, 1 / g->B);
        p = 1 - q;
        weight = exp((g->a - 1) * log1p(-q)) / g->B;
    } else {
        p = pow(s, 1 / g->a);
        weight = exp((g->B - 1) * log1p(-p)) / g->a;
    }
    double gp = p == 0 ? g->A * g->u : -expm1(-g->A * log1p(p * g->u)) / p;
    return weight * gp;
}

static double integrate_half(residual_args args, double upper_limit)
{
    gsl_function fn = {residual_integrand, &args};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    double value = NAN, err = NAN;
    int status = gsl_integration_qags(&fn, 0, upper_limit, 0, 1e-12, 2000, w, &value, &err);
    gsl_integration_workspace_free(w);
    if (status != GSL_SUCCESS)
        fail_msg("quadrature status %d (A %g, B %g, a %g, u %g)", status, args.A, args.B, args.a,
                 args.u);
    return value;
}

/* E[Y(t) | x, t_x, T] by adaptive quadrature of E_p[(1 - (1 + p t/y)^-A) / p]
 * over p | alive ~ Beta(a, b + x + mbg), times P(alive) from its plain formula. */
static double quadrature_expected(const double *p, double x, double t_x, double T, double t,
                                  int mbg)
{
    double r = p[0], alpha = p[1], a = p[2], b = p[3], B = b + x + mbg;
    residual_args lower = {r + x, B, a, t / (alpha + T), false}, upper = lower;
    upper.upper = true;
    double integral = integrate_half(lower, pow(0.5, a)) + integrate_half(upper, pow(0.5, B));
    double alive = 1;
    if (mbg || x > 0)
        alive = 1 / (1 + a / (B - 1) * pow((alpha + T) / (alpha + t_x), r + x));
    return alive * integral / exp(gsl_sf_lnbeta(a, B));
}

/* ---- published values (clv.md B.1 - B.3) ------------------------------------------ */

static void test_cdnow_loglik(void **state)
{
    (void)state;
    cbs_row *rows = read_cbs();
    double at_btyd = total_loglik(bgnbd_model(), BTYD, rows);
    double at_paper = total_loglik(bgnbd_model(), PAPER, rows);
    double mbg = total_loglik(mbgnbd_model(), MBG_MLE, rows);
    free(rows);
    near(at_btyd, -9582.429, 0.01, "BG/NBD LL at the BTYD estimates");
    near(at_paper, -9582.43, 0.01, "BG/NBD LL at the paper estimates");
    near(at_paper, at_btyd, 0.01, "BG/NBD LL, paper vs BTYD estimates");
    near(mbg, -9582.136, 0.01, "MBG/NBD LL at its MLE");
}

static void test_pmf_published(void **state)
{
    (void)state;
    const model_ops *m = bgnbd_model();
    static const double p30[10] = {0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148,
                                   0.0007023638, 0.0005517902, 0.0004361913, 0.0003467171,
                                   0.0002769613, 0.0002222260};
    near_rel(m->pmf(PAPER, 2, 10), 1.07869e-07, 1e-5, "P(X(2)=10)");
    near(m->pmf(PAPER, 39, 0), 0.5737864, 1e-7, "P(X(39)=0)");
    for (int n = 11; n <= 20; n++) {
        char what[32];
        snprintf(what, sizeof what, "P(X(30)=%d)", n);
        near(m->pmf(PAPER, 30, n), p30[n - 11], 1e-10, what);
    }
}

static void test_btyd_individual_values(void **state)
{
    (void)state;
    const model_ops *m = bgnbd_model();
    near(m->unconditional(BTYD, 52), 1.444004, 2e-6, "E[X(52)]");
    /* customer 1516: t_x = 30.85714 in the walkthrough's print, 216/7 in its CBS */
    near(m->expected(BTYD, 26, 30.85714, 31, 52), 25.75654, 1e-3, "CET(52) of customer 1516");
    near(m->expected(BTYD, 26, 216.0 / 7, 31, 52), 25.75659, 1e-3, "CET(52), BTYD's print");
    /* BTYD prints 0.9688523 from unrounded estimates; the rounded ones move it 1.5e-7 */
    near(m->p_alive(BTYD, 26, 216.0 / 7, 31), 0.9688523, 5e-7, "P(alive) of customer 1516");
    near(m->p_alive(BTYD, 26, 30.85714, 31), 0.968852, 1e-6, "P(alive), rounded t_x");
    near(m->expected(BTYD, 2, 30.43, 38.86, 39), 1.226, 1e-3, "CET(39), Hardie's sheet");
    near(m->expected(PAPER, 2, 30.43, 38.86, 39), 1.226, 1e-3, "CET(39), paper estimates");
    /* BTYD's printed paradox rows carry up to ~5e-6 of its own series error: the
     * same formula in 40-digit arithmetic (mpmath hyp2f1) gives the second set */
    static const double paradox[4] = {0.3474606, 0.04283391, 0.004158973, 0.0003583685};
    static const double paradox_exact[4] = {0.347460245626, 0.0428339541953,
                                            0.00415898573811, 0.000358370440126};
    for (int i = 0; i < 4; i++) {
        double x = 10 + 5 * i, got = m->expected(BTYD, x, 20, 39, 52);
        near_rel(got, paradox[i], 1e-5, "paradox row vs BTYD");
        near_rel(got, paradox_exact[i], 1e-10, "paradox row vs 40-digit value");
    }
    near_rel(m->unconditional(BTYD, 52), 1.44400480103593, 1e-11, "E[X(52)], 40 digits");
    near_rel(m->expected(BTYD, 26, 216.0 / 7, 31, 52), 25.7565377465, 1e-10, "CET(52), 40 digits");
}

/* MBG/NBD at its CDNOW MLE against its A.2 formulas in 40-digit arithmetic
 * (mpmath hyp2f1; derived values, not published). */
static void test_mbgnbd_high_precision(void **state)
{
    (void)state;
    const model_ops *m = mbgnbd_model();
    near_rel(m->unconditional(MBG_MLE, 52), 1.41887527716023, 1e-11, "MBG/NBD E[X(52)]");
    near_rel(m->expected(MBG_MLE, 0, 0, 38.86, 39), 0.153953790813735, 1e-11, "MBG CET x=0");
    near_rel(m->expected(MBG_MLE, 3, 20, 39, 52), 1.33070104370314, 1e-11, "MBG CET x=3");
    near_rel(m->expected(MBG_MLE, 7, 35, 38, 104), 8.96487006880899, 1e-11, "MBG CET x=7");
}

static void test_holdout_by_frequency(void **state)
{
    (void)state;
    static const double want[8] = {0.2250893, 0.5231364, 1.044126, 1.520256,
                                   2.163824,  2.653789,  3.503957, 6.157036};
    static const int customers[8] = {1411, 439, 214, 100, 62, 38, 29, 64};
    cbs_row *rows = read_cbs();
    double sum[8] = {0};
    int count[8] = {0};
    for (size_t i = 0; i < CBS_ROWS; i++) {
        int bin = rows[i].x >= 7 ? 7 : (int)rows[i].x;
        sum[bin] += bgnbd_model()->expected(BTYD, rows[i].x, rows[i].t_x, rows[i].T, 39);
        count[bin]++;
    }
    free(rows);
    for (int k = 0; k < 8; k++) {
        assert_int_equal(count[k], customers[k]);
        near_rel(sum[k] / count[k], want[k], 1e-4, "mean CET(39) by frequency");
    }
}

static void test_cumulative_tracking(void **state)
{
    (void)state;
    static const double want[6] = {1312.458, 1387.346, 1460.392, 1531.713, 1601.418, 1669.6};
    static const double tol[6] = {0.01, 0.01, 0.01, 0.01, 0.01, 0.05};
    cbs_row *rows = read_cbs();
    double latest = 0;
    for (size_t i = 0; i < CBS_ROWS; i++)
        latest = fmax(latest, rows[i].T);
    for (int week = 20; week <= 25; week++) {
        double total = 0;
        for (size_t i = 0; i < CBS_ROWS; i++) {
            double birth = latest - rows[i].T;
            if (birth <= week)
                total += bgnbd_model()->unconditional(BTYD, week - birth);
        }
        near(total, want[week - 20], tol[week - 20], "expected cumulative repeat purchases");
    }
    free(rows);
}

/* ---- the table itself ------------------------------------------------------------------- */

static void test_tables(void **state)
{
    (void)state;
    const model_ops *tables[2] = {bgnbd_model(), mbgnbd_model()};
    static const char *names[2] = {"bgnbd", "mbgnbd"};
    for (int i = 0; i < 2; i++) {
        const model_ops *m = tables[i];
        assert_string_equal(m->name, names[i]);
        assert_int_equal(m->nparams, 4);
        assert_string_equal(m->param_names[0], "r");
        assert_string_equal(m->param_names[1], "alpha");
        assert_string_equal(m->param_names[2], "a");
        assert_string_equal(m->param_names[3], "b");
        assert_int_equal(m->time_scale_mask, 1u << 1);
        assert_false(m->needs_repeaters);
        assert_false(m->discrete);
        assert_true(m->start[0] == 1 && m->start[1] == 3 && m->start[2] == 1 && m->start[3] == 3);
        assert_non_null(m->loglik);
        assert_non_null(m->p_alive);
        assert_non_null(m->expected);
        assert_non_null(m->unconditional);
        assert_non_null(m->pmf);
    }
    assert_ptr_equal(bgnbd_model(), bgnbd_model());
}

/* ---- independent oracles ------------------------------------------------------------------ */

static const double POINTS[][4] = {
    {0.243, 4.414, 0.793, 2.426}, {2.5, 0.3, 3.0, 0.5}, {0.05, 50, 0.2, 20},
    {1, 3, 1, 3},                 {0.7, 12, 0.15, 0.4}, {4, 1.5, 1.7, 6},
};
static const double ROWS[][3] = {
    {0, 0, 38.86}, {1, 1.71, 38.86}, {2, 30.43, 38.86}, {26, 30.86, 31},
    {7, 0.5, 60},  {3, 2.5, 2.5},    {150, 5, 200},     {1000, 10, 100},
};
#define NPOINTS (sizeof POINTS / sizeof POINTS[0])
#define NROWS (sizeof ROWS / sizeof ROWS[0])

static void test_loglik_matches_plain_formula(void **state)
{
    (void)state;
    for (int mbg = 0; mbg <= 1; mbg++) {
        const model_ops *m = mbg ? mbgnbd_model() : bgnbd_model();
        for (size_t i = 0; i < NPOINTS; i++)
            for (size_t j = 0; j < NROWS - 2; j++) { /* plain form underflows on the last two */
                model_row row = {ROWS[j][0], ROWS[j][1], ROWS[j][2], 0, 1};
                double want = plain_loglik(POINTS[i], row.x, row.t_x, row.T, mbg);
                near(m->loglik(POINTS[i], &row, NULL), want, 1e-9 * (1 + fabs(want)),
                     "loglik vs plain formula");
            }
    }
}

static void check_gradient(const model_ops *m, const double *p, const model_row *row)
{
    double grad[4];
    double ll = m->loglik(p, row, grad);
    assert_true(isfinite(ll));
    for (int k = 0; k < 4; k++) {
        double up[4], down[4], h = 1e-6 * p[k];
        memcpy(up, p, sizeof up);
        memcpy(down, p, sizeof down);
        up[k] += h;
        down[k] -= h;
        double fd = (m->loglik(up, row, NULL) - m->loglik(down, row, NULL)) / (up[k] - down[k]);
        /* the finite difference itself carries ~1e-16 |ll| / h of rounding */
        double tol = 1e-5 * fmax(fabs(fd), 1e-3) + 1e-15 * fabs(ll) / h;
        if (!(fabs(grad[k] - fd) <= tol))
            fail_msg("%s d/d%s at (%g,%g,%g,%g) row (%g,%g,%g): analytic %.12g, fd %.12g",
                     m->name, m->param_names[k], p[0], p[1], p[2], p[3], row->x, row->t_x,
                     row->T, grad[k], fd);
    }
}

static void test_gradient_finite_differences(void **state)
{
    (void)state;
    for (int mbg = 0; mbg <= 1; mbg++)
        for (size_t i = 0; i < NPOINTS; i++)
            for (size_t j = 0; j < NROWS; j++) {
                model_row row = {ROWS[j][0], ROWS[j][1], ROWS[j][2], 0, 1};
                check_gradient(mbg ? mbgnbd_model() : bgnbd_model(), POINTS[i], &row);
            }
    /* fractional x (non-integer digamma steps) and a large x */
    model_row odd = {2.5, 3, 10, 0, 1}, big = {90, 20, 21, 0, 1};
    check_gradient(bgnbd_model(), PAPER, &odd);
    check_gradient(mbgnbd_model(), PAPER, &big);
}

static void test_expected_matches_quadrature(void **state)
{
    (void)state;
    /* includes a < 1, a = 1 exactly, a near 1, a + b < 1 (c <= 0 when x = 0,
     * lifetimes #442), r much larger than a + b, and large a */
    static const double params[][4] = {
        {0.243, 4.414, 0.793, 2.426}, {0.5, 2, 1, 3},    {0.5, 2, 1 + 1e-9, 3},
        {0.5, 2, 0.3, 0.4},           {0.2, 1, 0.1, 0.05}, {3, 2, 0.3, 0.4},
        {25, 2, 0.6, 0.2},            {40, 5, 1.0005, 0.3}, {1.5, 10, 8, 2},
        {0.8, 7, 2.5, 0.01},
    };
    static const double rows[][4] = {
        /* x, t_x, T, t */
        {0, 0, 38.86, 39}, {0, 0, 0, 5},   {1, 3, 20, 52},      {5, 30, 31, 520},
        {2, 1, 5, 1e-3},   {20, 19, 20, 4}, {0, 0, 10, 400},    {3, 2, 3, 2000},
    };
    for (int mbg = 0; mbg <= 1; mbg++) {
        const model_ops *m = mbg ? mbgnbd_model() : bgnbd_model();
        for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
            for (size_t j = 0; j < sizeof rows / sizeof rows[0]; j++) {
                const double *q = params[i], *c = rows[j];
                double got = m->expected(q, c[0], c[1], c[2], c[3]);
                double want = quadrature_expected(q, c[0], c[1], c[2], c[3], mbg);
                if (!(fabs(got - want) <= 1e-8 * want))
                    fail_msg("%s CET at (%g,%g,%g,%g) x=%g t_x=%g T=%g t=%g: got %.12g, "
                             "quadrature %.12g",
                             m->name, q[0], q[1], q[2], q[3], c[0], c[1], c[2], c[3], got, want);
            }
    }
}

/* The pmf sums to 1 and its mean is E[X(t)]: ties pmf, unconditional and (through
 * it) expected together, for both models. */
static void test_pmf_consistency(void **state)
{
    (void)state;
    for (int mbg = 0; mbg <= 1; mbg++) {
        const model_ops *m = mbg ? mbgnbd_model() : bgnbd_model();
        for (size_t i = 0; i < NPOINTS; i++) {
            double total = 0, mean = 0;
            for (int n = 0; n < 4000; n++) {
                double pn = m->pmf(POINTS[i], 30, n);
                assert_true(pn >= 0 && pn <= 1);
                total += pn;
                mean += n * pn;
            }
            near(total, 1, 1e-9, "sum of P(X(30)=n)");
            near_rel(mean, m->unconditional(POINTS[i], 30), 1e-8, "mean of P(X(30)=n)");
        }
        assert_true(m->pmf(PAPER, 0, 0) == 1 && m->pmf(PAPER, 0, 3) == 0);
        assert_true(m->pmf(PAPER, 5, -1) == 0);
    }
}

static void test_mbgnbd_differs_as_specified(void **state)
{
    (void)state;
    /* MBG/NBD: P(alive) < 1 at x = 0, = 1 / (1 + a/b (...)^r); E[X(t)] = b/(a-1)[...] */
    const model_ops *m = mbgnbd_model();
    double p_alive = m->p_alive(MBG_MLE, 0, 0, 39);
    double want = 1 / (1 + MBG_MLE[2] / MBG_MLE[3] * pow((MBG_MLE[1] + 39) / MBG_MLE[1], MBG_MLE[0]));
    near_rel(p_alive, want, 1e-14, "MBG/NBD P(alive) at x = 0");
    assert_true(bgnbd_model()->p_alive(MBG_MLE, 0, 0, 39) == 1);
    double z = 52 / (MBG_MLE[1] + 52);
    double f = gsl_sf_hyperg_2F1(MBG_MLE[0], MBG_MLE[3] + 1, MBG_MLE[2] + MBG_MLE[3], z);
    double e52 = MBG_MLE[3] / (MBG_MLE[2] - 1) *
                 (1 - pow(MBG_MLE[1] / (MBG_MLE[1] + 52), MBG_MLE[0]) * f);
    near_rel(m->unconditional(MBG_MLE, 52), e52, 1e-10, "MBG/NBD E[X(52)] vs GSL 2F1");
}

/* ---- extremes -------------------------------------------------------------------------------- */

static void test_high_frequency_p_alive(void **state)
{
    (void)state;
    assert_true(bgnbd_model()->p_alive(BTYD, 1000, 10, 100) == 0.0);
    assert_true(mbgnbd_model()->p_alive(MBG_MLE, 1000, 10, 100) == 0.0);
    assert_true(bgnbd_model()->expected(BTYD, 1000, 10, 100, 52) == 0.0);
    assert_true(bgnbd_model()->p_alive(BTYD, 0, 0, 100) == 1.0);
    near(bgnbd_model()->p_alive(BTYD, 1000, 100, 100), 1 / (1 + BTYD[2] / (BTYD[3] + 999)),
         1e-15, "P(alive) with t_x = T");
}

static void test_extremes_never_nan(void **state)
{
    (void)state;
    static const double scales[] = {1e-8, 0.3, 1, 7, 1e8};
    static const double rows[][4] = {
        {0, 0, 0, 1},        {0, 0, 1e4, 52},    {1000, 10, 100, 52}, {1000, 1e4, 1e4, 1},
        {5, 1e4 - 1, 1e4, 1e6}, {1, 0, 1e-9, 1e-9}, {50, 3, 1e4, 1e4}, {2, 1, 2, 1e300},
    };
    size_t nscale = sizeof scales / sizeof scales[0];
    for (int mbg = 0; mbg <= 1; mbg++) {
        const model_ops *m = mbg ? mbgnbd_model() : bgnbd_model();
        for (size_t code = 0; code < nscale * nscale * nscale * nscale; code++) {
            double p[4];
            size_t rest = code;
            for (int k = 0; k < 4; k++, rest /= nscale)
                p[k] = scales[rest % nscale];
            for (size_t j = 0; j < sizeof rows / sizeof rows[0]; j++) {
                const double *c = rows[j];
                model_row row = {c[0], c[1], c[2], 0, 1};
                double grad[4];
                double ll = m->loglik(p, &row, grad);
                if (isnan(ll) || ll == INFINITY)
                    fail_msg("%s loglik %g at (%g,%g,%g,%g) row %zu", m->name, ll, p[0], p[1],
                             p[2], p[3], j);
                for (int k = 0; k < 4; k++)
                    if (!isfinite(grad[k]))
                        fail_msg("%s grad[%d] %g at (%g,%g,%g,%g) row %zu", m->name, k, grad[k],
                                 p[0], p[1], p[2], p[3], j);
                double alive = m->p_alive(p, c[0], c[1], c[2]);
                double e = m->expected(p, c[0], c[1], c[2], c[3]);
                double u = m->unconditional(p, c[3]);
                double pn = m->pmf(p, c[3], (int)fmin(c[0], 100));
                if (!(alive >= 0 && alive <= 1) || !(e >= 0 && e < INFINITY) ||
                    !(u >= 0 && u < INFINITY) || !(pn >= 0 && pn <= 1))
                    fail_msg("%s at (%g,%g,%g,%g) row %zu: p_alive %g, CET %g, E[X] %g, pmf %g",
                             m->name, p[0], p[1], p[2], p[3], j, alive, e, u, pn);
            }
        }
    }
}

static void test_c_nonpositive_case(void **state)
{
    (void)state;
    /* lifetimes #442: a + b < 1 and x = 0 give c = a + b - 1 < 0; the 2F1 is
     * negative and lifetimes returns NaN. */
    static const double p[4] = {0.24, 4.4, 0.3, 0.2};
    for (double t = 1; t <= 1e4; t *= 10) {
        double got = bgnbd_model()->expected(p, 0, 0, 38.86, t);
        double want = quadrature_expected(p, 0, 0, 38.86, t, 0);
        near_rel(got, want, 1e-8, "CET with a + b < 1, x = 0");
        near_rel(bgnbd_model()->unconditional(p, t), quadrature_expected(p, 0, 0, 0, t, 0), 1e-8,
                 "E[X(t)] with a + b < 1");
    }
    static const double edge[4] = {0.24, 4.4, 0.5, 0.5}; /* c = 0 exactly */
    near_rel(bgnbd_model()->expected(edge, 0, 0, 10, 20), quadrature_expected(edge, 0, 0, 10, 20, 0),
             1e-8, "CET with a + b = 1");
}

static void test_invalid_inputs(void **state)
{
    (void)state;
    static const double bad[4] = {0.243, -1, 0.793, 2.426};
    model_row row = {1, 2, 3, 0, 1};
    double grad[4] = {1, 1, 1, 1};
    assert_true(bgnbd_model()->loglik(bad, &row, grad) == -INFINITY);
    assert_true(grad[0] == 0 && grad[1] == 0 && grad[2] == 0 && grad[3] == 0);
    model_row backwards = {1, 5, 3, 0, 1};
    assert_true(mbgnbd_model()->loglik(PAPER, &backwards, NULL) == -INFINITY);
    assert_true(bgnbd_model()->expected(PAPER, 1, 2, 3, 0) == 0);
    assert_true(isnan(bgnbd_model()->expected(bad, 1, 2, 3, 1)));
}

/* ---- batch likelihood ------------------------------------------------------------ */

/* Seeded xorshift64* in [0, 1). */
static double uniform(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

/* loglik_sum against the per-row sum of weight * loglik: the value and each
 * gradient component within 1e-12 of the scale of their terms; the value the
 * same without gradient and with the Hessian. */
static void check_batch(const model_ops *m, const double *p, const model_row *rows, size_t n)
{
    void *scratch = malloc(m->batch_scratch);
    assert_non_null(scratch);
    m->batch_prepare(rows, n, scratch);
    double want = 0, scale = 0, want_g[4] = {0}, scale_g[4] = {0}, g[4], h[16];
    for (size_t i = 0; i < n; i++) {
        double rg[4];
        double ll = m->loglik(p, &rows[i], rg);
        want += rows[i].weight * ll;
        scale += rows[i].weight * fabs(ll);
        for (int k = 0; k < 4; k++) {
            want_g[k] += rows[i].weight * rg[k];
            scale_g[k] += rows[i].weight * fabs(rg[k]);
        }
    }
    near(m->loglik_sum(p, rows, n, g, NULL, scratch), want, 1e-12 * scale, "loglik_sum");
    for (int k = 0; k < 4; k++)
        near(g[k], want_g[k], 1e-12 * scale_g[k], "loglik_sum gradient");
    near(m->loglik_sum(p, rows, n, NULL, NULL, scratch), want, 1e-12 * scale, "without gradient");
    near(m->loglik_sum(p, rows, n, g, h, scratch), want, 1e-12 * scale, "with Hessian");
    free(scratch);
}

/* The batch Hessian against central differences of the batch gradient. */
static void check_batch_hessian(const model_ops *m, const double *p, const model_row *rows,
                                size_t n)
{
    void *scratch = malloc(m->batch_scratch);
    assert_non_null(scratch);
    m->batch_prepare(rows, n, scratch);
    double g[4], h[16], up[4], down[4], gu[4], gd[4];
    m->loglik_sum(p, rows, n, g, h, scratch);
    for (int j = 0; j < 4; j++) {
        memcpy(up, p, sizeof up);
        memcpy(down, p, sizeof down);
        up[j] = p[j] * (1 + 1e-5);
        down[j] = p[j] * (1 - 1e-5);
        m->loglik_sum(up, rows, n, gu, NULL, scratch);
        m->loglik_sum(down, rows, n, gd, NULL, scratch);
        for (int k = 0; k < 4; k++) {
            double fd = (gu[k] - gd[k]) / (up[j] - down[j]);
            double tol = 1e-6 * (fabs(h[4 * j + k]) + sqrt(fabs(h[5 * j] * h[5 * k])));
            near(h[4 * j + k], fd, tol, "loglik_sum Hessian vs differences");
            near(h[4 * j + k], h[4 * k + j], 1e-12 * fabs(h[4 * j + k]), "symmetric Hessian");
        }
    }
    free(scratch);
}

static void test_batch_matches_rows_cdnow(void **state)
{
    (void)state;
    cbs_row *cbs = read_cbs();
    model_row *rows = calloc(CBS_ROWS, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < CBS_ROWS; i++)
        rows[i] = (model_row){cbs[i].x, cbs[i].t_x, cbs[i].T, 0, 1 + (double)(i % 3)};
    const model_ops *tables[2] = {bgnbd_model(), mbgnbd_model()};
    for (int t = 0; t < 2; t++) {
        assert_non_null(tables[t]->loglik_sum);
        assert_true(tables[t]->batch_scratch > 0);
        const double *points[3] = {PAPER, MBG_MLE, POINTS[2]};
        for (int i = 0; i < 3; i++) {
            check_batch(tables[t], points[i], rows, CBS_ROWS);
            check_batch_hessian(tables[t], points[i], rows, CBS_ROWS);
        }
    }
    free(rows);
    free(cbs);
}

/* Rows beyond the caches: x past the cached range and not whole, times off
 * any grid and a grid too fine to keep (t_x = 1e-9 of T). */
static void test_batch_matches_rows_uncached(void **state)
{
    (void)state;
    enum { N = 3000 };
    model_row *rows = calloc(N, sizeof *rows);
    assert_non_null(rows);
    uint64_t seed = 42;
    for (size_t i = 0; i < N; i++) {
        double T = 1 + 50 * uniform(&seed), x = floor(30 * uniform(&seed));
        if (i % 7 == 0)
            x = 1000 + floor(3000 * uniform(&seed)) + (i % 14 == 0 ? 0.5 : 0);
        double t_x = x > 0 ? T * uniform(&seed) : 0;
        rows[i] = (model_row){x, t_x, T, 0, 1 + floor(4 * uniform(&seed))};
    }
    rows[1] = (model_row){1, 1e-9, 40, 0, 1};
    const model_ops *tables[2] = {bgnbd_model(), mbgnbd_model()};
    for (int t = 0; t < 2; t++) {
        check_batch(tables[t], PAPER, rows, N);
        check_batch_hessian(tables[t], MBG_MLE, rows, N);
    }
    free(rows);
}

static void test_batch_invalid(void **state)
{
    (void)state;
    static const double bad[4] = {0.243, -1, 0.793, 2.426};
    model_row rows[3] = {{1, 2, 3, 0, 1}, {0, 0, 5, 0, 2}, {1, 5, 3, 0, 1}};
    void *scratch = malloc(bgnbd_model()->batch_scratch);
    assert_non_null(scratch);
    double g[4] = {1, 1, 1, 1}, h[16];
    for (int t = 0; t < 2; t++) {
        const model_ops *m = t ? mbgnbd_model() : bgnbd_model();
        m->batch_prepare(rows, 2, scratch);
        assert_true(m->loglik_sum(bad, rows, 2, g, h, scratch) == -INFINITY);
        assert_true(g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && h[5] == 0);
        m->batch_prepare(rows, 3, scratch); /* t_x > T */
        assert_true(m->loglik_sum(PAPER, rows, 3, g, NULL, scratch) == -INFINITY);
        m->batch_prepare(rows, 2, scratch);
        assert_true(isfinite(m->loglik_sum(PAPER, rows, 2, g, NULL, scratch)));
    }
    free(scratch);
}

static int setup(void **state)
{
    (void)state;
    gsl_set_error_handler_off();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_cdnow_loglik),
        cmocka_unit_test(test_pmf_published),
        cmocka_unit_test(test_btyd_individual_values),
        cmocka_unit_test(test_holdout_by_frequency),
        cmocka_unit_test(test_cumulative_tracking),
        cmocka_unit_test(test_loglik_matches_plain_formula),
        cmocka_unit_test(test_gradient_finite_differences),
        cmocka_unit_test(test_expected_matches_quadrature),
        cmocka_unit_test(test_pmf_consistency),
        cmocka_unit_test(test_mbgnbd_differs_as_specified),
        cmocka_unit_test(test_mbgnbd_high_precision),
        cmocka_unit_test(test_high_frequency_p_alive),
        cmocka_unit_test(test_extremes_never_nan),
        cmocka_unit_test(test_c_nonpositive_case),
        cmocka_unit_test(test_invalid_inputs),
        cmocka_unit_test(test_batch_matches_rows_cdnow),
        cmocka_unit_test(test_batch_matches_rows_uncached),
        cmocka_unit_test(test_batch_invalid),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
