/* test_predict.c - per-customer predictions and the backtest against
 * published CDNOW values (clv.md B.2, B.3) and against independent
 * computations of the same quantities from the model's basic functions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cvo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double btyd_bgnbd[4] = {0.2425982, 4.4136842, 0.7929899, 2.4261667};
static const double btyd_pnbd[4] = {0.55339714, 10.58019854, 0.6060625, 11.65622367};
static const double gg_paper[3] = {6.25, 3.74, 15.44};

typedef struct fixture {
    cvo_ctx *ctx;
    cvo_summary *cbs;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    assert_int_equal(cvo_summary_load(f->ctx, "tests/data/cdnow_cbs.csv", &f->cbs), CVO_OK);
    cvo_summary_set_holdout(f->cbs, 39);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cvo_summary_free(f->cbs);
    cvo_ctx_free(f->ctx);
    free(f);
    return 0;
}

static cvo_fit fixed(cvo_ctx *ctx, cvo_model model, const double *p, int n)
{
    cvo_fit fit;
    assert_int_equal(cvo_fit_from_params(ctx, model, p, n, &fit), CVO_OK);
    return fit;
}

static size_t find(const cvo_summary *s, const char *id)
{
    for (size_t i = 0; i < cvo_summary_count(s); i++)
        if (strcmp(cvo_summary_at(s, i)->customer_id, id) == 0)
            return i;
    fail_msg("customer %s not found", id);
    return 0;
}

static cvo_prediction *predict(fixture *f, const cvo_fit *fit, const cvo_fit *spend,
                               const cvo_predict_options *o)
{
    cvo_prediction *p = calloc(cvo_summary_count(f->cbs), sizeof *p);
    assert_int_equal(cvo_predict_all(f->ctx, fit, spend, f->cbs, o, p), CVO_OK);
    return p;
}

/* Customer 1516 of the BTYD walkthrough: x = 26, t_x = 30.86, T = 31. */
static void test_customer_1516(void **state)
{
    fixture *f = *state;
    cvo_fit bg = fixed(f->ctx, CVO_MODEL_BGNBD, btyd_bgnbd, 4);
    cvo_fit pn = fixed(f->ctx, CVO_MODEL_PNBD, btyd_pnbd, 4);
    cvo_predict_options o;
    cvo_predict_options_init(&o);
    o.horizon = 52;
    size_t i = find(f->cbs, "1516");
    cvo_prediction *p = predict(f, &bg, NULL, &o);
    assert_true(fabs(p[i].p_alive - 0.9688523) < 1e-6);
    assert_true(fabs(p[i].expected - 25.75654) < 1e-3);
    assert_true(isnan(p[i].spend) && isnan(p[i].clv));
    free(p);
    p = predict(f, &pn, NULL, &o);
    assert_true(fabs(p[i].p_alive - 0.997874) < 1e-5);
    /* BTYD prints 25.45647; the formula gives 25.454 (clv.md B.2): 0.01 as lifetimes */
    assert_true(fabs(p[i].expected - 25.45647) < 0.01);
    free(p);
}

/* The shared (x, T) terms must give exactly the model's own conditional
 * expectation for every customer, and CLV must be the discounted monthly sum. */
static void test_matches_direct_computation(void **state)
{
    fixture *f = *state;
    cvo_fit bg = fixed(f->ctx, CVO_MODEL_BGNBD, btyd_bgnbd, 4);
    cvo_fit gg = fixed(f->ctx, CVO_MODEL_GG, gg_paper, 3);
    cvo_predict_options o;
    cvo_predict_options_init(&o);
    o.horizon = 52;
    o.annual_discount = 0.15;
    cvo_prediction *p = predict(f, &bg, &gg, &o);
    double month = 365.25 / 12 / 7;
    for (size_t i = 0; i < cvo_summary_count(f->cbs); i += 7) {
        const cvo_summary_row *r = cvo_summary_at(f->cbs, i);
        double direct = cvo_fit_expected(&bg, r->x, r->t_x, r->T, 52);
        assert_true(fabs(p[i].expected - direct) <= 1e-9 * (1 + direct));
        double spend = cvo_fit_spend(&gg, r->x, r->m_x), clv = 0, before = 0;
        for (int k = 1; k <= 12; k++) {
            double at = cvo_fit_expected(&bg, r->x, r->t_x, r->T, fmin(k * month, 52));
            clv += spend * (at - before) / pow(1.15, k / 12.0);
            before = at;
        }
        assert_true(fabs(p[i].clv - clv) <= 1e-9 * (1 + clv));
        assert_true(fabs(p[i].spend - spend) < 1e-12);
        /* a purchase within the year: at most as likely as alive, at least 0 */
        assert_true(p[i].prob_purchase >= 0 && p[i].prob_purchase <= p[i].p_alive + 1e-12);
        /* the next purchase: half of the Gamma(r + x, alpha + T) rate's zero mass */
        if (!isnan(p[i].next_purchase)) {
            double half = pow((bg.params[1] + r->T) / (bg.params[1] + r->T + p[i].next_purchase),
                              bg.params[0] + r->x);
            assert_true(fabs(half - 0.5) < 1e-9);
        }
    }
    free(p);
}

/* Pareto/NBD: P(no purchase | alive) by a fine independent integration. */
static void test_pnbd_purchase_probability(void **state)
{
    fixture *f = *state;
    cvo_fit pn = fixed(f->ctx, CVO_MODEL_PNBD, btyd_pnbd, 4);
    cvo_predict_options o;
    cvo_predict_options_init(&o);
    o.horizon = 26;
    cvo_prediction *p = predict(f, &pn, NULL, &o);
    const double *q = pn.params;
    for (size_t i = 0; i < cvo_summary_count(f->cbs); i += 97) {
        const cvo_summary_row *r = cvo_summary_at(f->cbs, i);
        double T = r->T, t = o.horizon, sum = 0;
        int steps = 20000;
        /* midpoint rule over the moment of death u */
        for (int k = 0; k < steps; k++) {
            double u = (k + 0.5) * t / steps;
            double dens = q[2] / (q[3] + T + u) * pow((q[3] + T) / (q[3] + T + u), q[2]);
            sum += dens * pow((q[1] + T) / (q[1] + T + u), q[0] + r->x) * t / steps;
        }
        double none = sum + pow((q[1] + T) / (q[1] + T + t), q[0] + r->x) *
                                pow((q[3] + T) / (q[3] + T + t), q[2]);
        double want = p[i].p_alive * (1 - none);
        assert_true(fabs(p[i].prob_purchase - want) < 1e-6);
    }
    free(p);
}

static void test_dert_clv(void **state)
{
    fixture *f = *state;
    cvo_fit pn = fixed(f->ctx, CVO_MODEL_PNBD, btyd_pnbd, 4);
    cvo_fit gg = fixed(f->ctx, CVO_MODEL_GG, gg_paper, 3);
    cvo_predict_options o;
    cvo_predict_options_init(&o);
    o.clv = CVO_CLV_DERT;
    o.annual_discount = 0.15;
    cvo_prediction *p = predict(f, &pn, &gg, &o);
    double delta = log(1.15) * 7 / 365.25; /* BTYD's 15% a year, per week: about 0.0027 */
    for (size_t i = 0; i < cvo_summary_count(f->cbs); i += 50) {
        const cvo_summary_row *r = cvo_summary_at(f->cbs, i);
        double want = cvo_fit_spend(&gg, r->x, r->m_x) * cvo_fit_dert(&pn, r->x, r->t_x, r->T, delta);
        assert_true(fabs(p[i].clv - want) <= 1e-9 * (1 + want));
    }
    free(p);
    cvo_fit bg = fixed(f->ctx, CVO_MODEL_BGNBD, btyd_bgnbd, 4);
    p = calloc(cvo_summary_count(f->cbs), sizeof *p);
    assert_int_equal(cvo_predict_all(f->ctx, &bg, &gg, f->cbs, &o, p), CVO_ERR_ARGUMENT);
    free(p);
}

/* clv.md B.3: mean holdout purchases by calibration frequency, BG/NBD. */
static void test_backtest_by_frequency(void **state)
{
    fixture *f = *state;
    cvo_fit bg = fixed(f->ctx, CVO_MODEL_BGNBD, btyd_bgnbd, 4);
    cvo_backtest *b = NULL;
    assert_int_equal(cvo_backtest_run(f->ctx, &bg, f->cbs, NULL, &b), CVO_OK);
    static const double customers[8] = {1411, 439, 214, 100, 62, 38, 29, 64};
    static const double actual[8] = {0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359};
    static const double model[8] = {0.2250893, 0.5231364, 1.044126, 1.520256,
                                    2.163824, 2.653789, 3.503957, 6.157036};
    for (int i = 0; i < 8; i++) {
        assert_true(b->bins[i].customers == customers[i]);
        assert_true(fabs(b->bins[i].actual - actual[i]) < 5e-4);
        assert_true(fabs(b->bins[i].model - model[i]) < 1e-4 * model[i]);
    }
    assert_true(b->actual_total == 1882);
    assert_int_equal(b->periods, 0); /* no orders: no tracking curve */
    cvo_backtest_free(b);
}

/* clv.md B.3: cumulative tracking weeks 20-25 from the raw event log. */
static void test_backtest_tracking(void **state)
{
    fixture *f = *state;
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = "tests/data/cdnowElog.csv";
    lo.keep_orders = true;
    cvo_customers *c = NULL;
    cvo_load_stats st;
    assert_int_equal(cvo_orders_load(f->ctx, &lo, &c, &st), CVO_OK);
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.calibration_end = cvo_day_from_ymd(1997, 9, 30);
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_from_orders(f->ctx, c, &so, &s), CVO_OK);
    cvo_fit bg = fixed(f->ctx, CVO_MODEL_BGNBD, btyd_bgnbd, 4);
    cvo_backtest *b = NULL;
    assert_int_equal(cvo_backtest_run(f->ctx, &bg, s, c, &b), CVO_OK);
    assert_int_equal(b->periods, 78);
    assert_int_equal(b->calibration_periods, 39);
    static const double actual[6] = {1359, 1414, 1484, 1517, 1573, 1672};
    static const double model[6] = {1312.458, 1387.346, 1460.392, 1531.713, 1601.418, 1669.6};
    for (int w = 0; w < 6; w++) {
        assert_true(b->tracking_actual[19 + w] == actual[w]);
        assert_true(fabs(b->tracking_model[19 + w] - model[w]) < 0.01);
    }
    assert_true(b->tracking_actual[38] == 2457 && b->tracking_actual[77] == 4339);
    cvo_backtest_free(b);
    cvo_summary_free(s);
    cvo_customers_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customer_1516),
        cmocka_unit_test(test_matches_direct_computation),
        cmocka_unit_test(test_pnbd_purchase_probability),
        cmocka_unit_test(test_dert_clv),
        cmocka_unit_test(test_backtest_by_frequency),
        cmocka_unit_test(test_backtest_tracking),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
