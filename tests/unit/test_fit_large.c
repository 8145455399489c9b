/* test_fit_large.c - fits on ~300k distinct rows simulated from BG/NBD, where the
 * fitter takes its large-data paths: batch sums on two threads (against serial
 * sums of chunks), the Newton start from a middle sample (against a fit without
 * it), bit-for-bit repeatable results, and the predictions' split P(alive). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/summary.h"
#include "models/fit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { CUSTOMERS = 600000 };

static void assert_rel(double got, double want, double tol)
{
    double scale = fmax(fabs(want), 1e-300);
    if (!(fabs(got - want) <= tol * scale))
        fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, tol);
}

/* xorshift64* in (0, 1). */
static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return ((double)((*s * 0x2545f4914f6cdd1dull) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(uint64_t *s)
{
    return sqrt(-2 * log(uniform(s))) * cos(6.283185307179586 * uniform(s));
}

/* Gamma(shape, 1) by Marsaglia and Tsang (boosted below shape 1). */
static double gamma_draw(uint64_t *s, double shape)
{
    if (shape < 1)
        return gamma_draw(s, shape + 1) * pow(uniform(s), 1 / shape);
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double z = normal(s), v = 1 + c * z;
        if (v <= 0)
            continue;
        v = v * v * v;
        if (log(uniform(s)) < 0.5 * z * z + d - d * v + d * log(v))
            return d * v;
    }
}

/* One BG/NBD customer observed for T days (p: alpha per day), its times in
 * weeks of whole days. */
static cvo_summary_row simulate(uint64_t *s, const double *p)
{
    double lambda = gamma_draw(s, p[0]) / p[1];
    double ga = gamma_draw(s, p[2]), gb = gamma_draw(s, p[3]), drop = ga / (ga + gb);
    double T_days = 1 + floor(uniform(s) * 700), t = 0, last = 0, x = 0;
    for (;;) {
        t += -log(uniform(s)) / lambda;
        if (t > T_days)
            break;
        x++;
        last = t;
        if (uniform(s) < drop)
            break;
    }
    cvo_summary_row r = {"", x, floor(last) / 7, T_days / 7, 0, 0, 1, 0, NAN};
    if (r.t_x > r.T)
        r.t_x = r.T;
    if (x == 0)
        r.t_x = 0;
    return r;
}

static cvo_summary *simulated(cvo_ctx *ctx, const double *p)
{
    cvo_summary_row *rows = malloc(CUSTOMERS * sizeof *rows);
    assert_non_null(rows);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < CUSTOMERS; i++)
        rows[i] = simulate(&seed, p);
    cvo_summary *s = NULL;
    assert_int_equal(summary_from_rows(ctx, rows, CUSTOMERS, &s), CVO_OK);
    free(rows);
    return s;
}

static cvo_ctx *new_ctx(void)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    return ctx;
}

/* The batch over all rows (two threads) against serial sums of chunks below
 * the threading size, and twice the same bits. */
static void check_sums(cvo_ctx *ctx, const model_ops *ops, const fit_rows *rows,
                       const double *p)
{
    enum { CHUNK = 30000 };
    void *scratch = malloc(ops->batch_scratch);
    assert_non_null(scratch);
    double g[4], h[16], g2[4], h2[16], gc[4] = {0}, hc[16] = {0}, lc = 0;
    ops->batch_prepare(rows->rows, rows->count, scratch);
    double l = ops->loglik_sum(p, rows->rows, rows->count, g, h, scratch);
    double l2 = ops->loglik_sum(p, rows->rows, rows->count, g2, h2, scratch);
    assert_true(l == l2 && memcmp(g, g2, sizeof g) == 0 && memcmp(h, h2, sizeof h) == 0);
    for (size_t at = 0; at < rows->count; at += CHUNK) {
        size_t n = rows->count - at < CHUNK ? rows->count - at : CHUNK;
        double gp[4], hp[16];
        ops->batch_prepare(rows->rows + at, n, scratch);
        lc += ops->loglik_sum(p, rows->rows + at, n, gp, hp, scratch);
        for (int k = 0; k < 4; k++)
            gc[k] += gp[k];
        for (int k = 0; k < 16; k++)
            hc[k] += hp[k];
    }
    assert_rel(l, lc, 1e-12);
    double g_scale = 0, h_scale = 0; /* sums near 0 are compared on their vector's scale */
    for (int k = 0; k < 4; k++)
        g_scale = fmax(g_scale, fabs(gc[k]));
    for (int k = 0; k < 16; k++)
        h_scale = fmax(h_scale, fabs(hc[k]));
    for (int k = 0; k < 4; k++)
        assert_true(fabs(g[k] - gc[k]) <= 1e-9 * g_scale);
    for (int k = 0; k < 16; k++)
        assert_true(fabs(h[k] - hc[k]) <= 1e-9 * h_scale);
    free(scratch);
}

static void test_large_batch_sums(void **state)
{
    (void)state;
    const double truth[4] = {0.75, 20, 0.8, 2.5};
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = simulated(ctx, truth);
    fit_rows rows;
    assert_int_equal(fit_rows_build(ctx, bgnbd_model(), s, &rows), CVO_OK);
    assert_true(rows.count >= 2 * 65536);
    check_sums(ctx, bgnbd_model(), &rows, truth);
    fit_rows_free(ctx, &rows);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

/* With the middle sample (rows >= 64 x 4096) and without it (a search sample
 * of 16384 rows needs 1M rows for one): the same optimum; each fit repeats
 * to the bit; the parameters near the simulation's. */
static void test_large_fit_paths_agree(void **state)
{
    (void)state;
    const double truth[4] = {0.75, 20, 0.8, 2.5};
    cvo_ctx *ctx = new_ctx();
    cvo_summary *s = simulated(ctx, truth);
    fit_rows rows;
    assert_int_equal(fit_rows_build(ctx, bgnbd_model(), s, &rows), CVO_OK);
    assert_true(rows.count >= 64 * FIT_SAMPLE_ROWS);
    fit_rows_free(ctx, &rows);
    cvo_fit_options o;
    cvo_fit_options_init(&o);
    o.starts = 2;
    cvo_fit mid, again, plain;
    assert_int_equal(fit_model_sampled(ctx, bgnbd_model(), s, &o, FIT_SAMPLE_ROWS, &mid), CVO_OK);
    assert_int_equal(fit_model_sampled(ctx, bgnbd_model(), s, &o, FIT_SAMPLE_ROWS, &again),
                     CVO_OK);
    assert_int_equal(fit_model_sampled(ctx, bgnbd_model(), s, &o, 16384, &plain), CVO_OK);
    assert_true(mid.converged && plain.converged);
    assert_memory_equal(mid.params, again.params, sizeof mid.params);
    assert_true(mid.loglik == again.loglik);
    for (int k = 0; k < 4; k++) {
        assert_rel(mid.params[k], plain.params[k], 1e-8);
        assert_rel(mid.std_error[k], plain.std_error[k], 1e-4);
        assert_rel(mid.params[k], k == 1 ? truth[k] / 7 : truth[k], 0.1); /* alpha: days -> weeks */
    }
    assert_rel(mid.loglik, plain.loglik, 1e-12);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

/* The predictions' two-step P(alive) against the model's own, to the bit. */
static void test_split_p_alive(void **state)
{
    (void)state;
    const double p[4] = {0.75, 20, 0.8, 2.5};
    const double xs[] = {0, 1, 2, 7, 40}, times[] = {0, 0.5, 3, 50, 100};
    for (int mbg = 0; mbg < 2; mbg++) {
        const model_ops *ops = mbg ? mbgnbd_model() : bgnbd_model();
        for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
            double odds = bg_alive_odds_x(p, xs[i], mbg);
            for (size_t j = 0; j < sizeof times / sizeof *times; j++) {
                for (size_t k = j; k < sizeof times / sizeof *times; k++) {
                    double t_x = xs[i] == 0 ? 0 : times[j], T = times[k];
                    double want = ops->p_alive(p, xs[i], t_x, T);
                    double got = bg_p_alive_with(p, odds, xs[i], t_x, T, mbg);
                    assert_memory_equal(&got, &want, sizeof got);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_batch_sums),
        cmocka_unit_test(test_large_fit_paths_agree),
        cmocka_unit_test(test_split_p_alive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
