/* test_season.c - the seasonal index on generated stores with a planted
 * season: the 13-week holdout total within 3% of the actual over several
 * seeds (and the bias without the index beside it), no index without a season
 * or with less than a year, the warnings in words, predictions that agree with
 * the backtest, and the seasonal clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <math.h>

#include "cvo.h"
#include "models/season.h"

#define PLANTED "nov=1.6,dec=2.2,jan=0.7"
#define STORE_CUSTOMERS 50000
#define SEEDS 5
#define TOLERANCE 0.03

static cvo_customers *load_text(cvo_ctx *ctx, const char *text, size_t len)
{
    char path[] = "/tmp/cvo_test_season_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = path;
    o.keep_orders = true;
    cvo_customers *customers = NULL;
    cvo_status status = cvo_orders_load(ctx, &o, &customers, NULL);
    unlink(path);
    if (status != CVO_OK)
        fail_msg("load: %s", cvo_ctx_message(ctx));
    return customers;
}

/* A generated store: three years (2023..2025) unless first is given. */
static cvo_customers *store(cvo_ctx *ctx, uint64_t customers, uint64_t seed, const char *season,
                            int32_t first)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = seed;
    g.plant_season = season;
    if (first != INT32_MIN)
        g.first_day = first;
    assert_int_equal(cvo_generate(ctx, &g, f, NULL, NULL), CVO_OK);
    assert_int_equal(fclose(f), 0);
    cvo_customers *table = load_text(ctx, text, len);
    free(text);
    return table;
}

static cvo_summary *summary_at(cvo_ctx *ctx, const cvo_customers *c, int32_t calibration_end)
{
    cvo_summary_options o;
    cvo_summary_options_init(&o);
    o.calibration_end = calibration_end;
    o.as_of_day = cvo_day_from_ymd(2026, 1, 1);
    cvo_summary *s = NULL;
    assert_int_equal(cvo_summary_from_orders(ctx, c, &o, &s), CVO_OK);
    return s;
}

typedef struct holdout_run {
    double actual, with_index, without_index;
    cvo_season season;
} holdout_run;

/* BG/NBD fitted on the calibration, its index, and the 13-week backtest. */
static void run_holdout(cvo_ctx *ctx, const cvo_customers *c, cvo_season_mode mode,
                        int32_t calibration_end, holdout_run *out)
{
    cvo_summary *s = summary_at(ctx, c, calibration_end);
    cvo_fit fit;
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGNBD, s, NULL, &fit), CVO_OK);
    assert_true(fit.converged);
    assert_int_equal(cvo_season_estimate(ctx, &fit, s, c, mode, &out->season), CVO_OK);
    cvo_backtest *bt = NULL;
    assert_int_equal(cvo_backtest_run_season(ctx, &fit, &out->season, s, c, &bt), CVO_OK);
    out->actual = bt->actual_total;
    out->with_index = bt->model_total;
    out->without_index = bt->model_total_plain;
    assert_int_equal(bt->season_applied, out->season.active);
    cvo_backtest_free(bt);
    cvo_summary_free(s);
}

/* Acceptance (issue 13): three years with a planted season, a 13-week holdout
 * into the peak; each seed's total within 3% with the index. */
static void test_planted_season_holdout(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    int32_t end = cvo_day_from_ymd(2025, 12, 31) - 13 * 7;
    double sum = 0, sum_plain = 0, lo = INFINITY, hi = -INFINITY;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        cvo_customers *c = store(ctx, STORE_CUSTOMERS, seed, PLANTED, INT32_MIN);
        holdout_run run;
        run_holdout(ctx, c, CVO_SEASON_AUTO, end, &run);
        double bias = run.with_index / run.actual - 1, plain = run.without_index / run.actual - 1;
        print_message("seed %d: actual %.0f, with the index %.0f (%+.2f%%), without %.0f "
                      "(%+.2f%%); index Oct %.3f Nov %.3f Dec %.3f Jan %.3f\n",
                      (int)seed, run.actual, run.with_index, 100 * bias, run.without_index,
                      100 * plain, run.season.index[9], run.season.index[10], run.season.index[11],
                      run.season.index[0]);
        assert_true(run.season.active);
        assert_true(fabs(bias) < TOLERANCE);
        assert_true(plain < -0.2); /* the peak the plain model cannot see */
        sum += bias;
        sum_plain += plain;
        lo = fmin(lo, bias);
        hi = fmax(hi, bias);
        /* the planted ratios, up to noise: Nov / Oct 1.6, Dec / Oct 2.2, Jan / Oct 0.7 */
        assert_true(fabs(run.season.index[10] / run.season.index[9] - 1.6) < 0.15);
        assert_true(fabs(run.season.index[11] / run.season.index[9] - 2.2) < 0.2);
        assert_true(fabs(run.season.index[0] / run.season.index[9] - 0.7) < 0.1);
        cvo_customers_free(c);
    }
    print_message("%d seeds of %d customers: bias with the index %+.2f%% (from %+.2f%% to "
                  "%+.2f%%), without it %+.2f%%\n",
                  SEEDS, STORE_CUSTOMERS, 100 * sum / SEEDS, 100 * lo, 100 * hi,
                  100 * sum_plain / SEEDS);
    cvo_ctx_free(ctx);
}

/* A smooth yearly wave, which the monthly index only approximates. */
static void test_planted_wave_holdout(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *c = store(ctx, STORE_CUSTOMERS, 11, "amplitude=0.6,peak=12-10", INT32_MIN);
    holdout_run run;
    run_holdout(ctx, c, CVO_SEASON_AUTO, cvo_day_from_ymd(2025, 12, 31) - 13 * 7, &run);
    double bias = run.with_index / run.actual - 1, plain = run.without_index / run.actual - 1;
    print_message("wave: actual %.0f, with the index %.0f (%+.2f%%), without %.0f (%+.2f%%)\n",
                  run.actual, run.with_index, 100 * bias, run.without_index, 100 * plain);
    assert_true(run.season.active);
    assert_true(fabs(bias) < TOLERANCE);
    assert_true(fabs(bias) < fabs(plain));
    cvo_customers_free(c);
    cvo_ctx_free(ctx);
}

/* Without a planted season auto finds none, and the backtest is the plain one. */
static void test_no_season_no_index(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *c = store(ctx, 20000, 2, NULL, INT32_MIN);
    holdout_run run;
    run_holdout(ctx, c, CVO_SEASON_AUTO, cvo_day_from_ymd(2025, 12, 31) - 13 * 7, &run);
    assert_false(run.season.active);
    assert_true(run.season.p_value >= 0.01);
    assert_non_null(strstr(run.season.note, "do not differ beyond chance"));
    assert_true(run.with_index == run.without_index);
    for (int m = 0; m < 12; m++)
        assert_true(run.season.index[m] == 1.0);
    /* monthly insists, and shrinkage keeps the index near 1 */
    run_holdout(ctx, c, CVO_SEASON_MONTHLY, cvo_day_from_ymd(2025, 12, 31) - 13 * 7, &run);
    for (int m = 0; m < 12; m++)
        assert_true(fabs(run.season.index[m] - 1.0) < 0.08);
    cvo_customers_free(c);
    cvo_ctx_free(ctx);
}

/* Less than a year of calibration: no index, and the warning in words. */
static void test_short_calibration_warns(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *c = store(ctx, 5000, 3, PLANTED, cvo_day_from_ymd(2025, 1, 1));
    cvo_summary *s = summary_at(ctx, c, cvo_day_from_ymd(2025, 9, 8));
    cvo_fit fit;
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGNBD, s, NULL, &fit), CVO_OK);
    cvo_season season;
    assert_int_equal(cvo_season_estimate(ctx, &fit, s, c, CVO_SEASON_MONTHLY, &season), CVO_OK);
    assert_false(season.active);
    assert_non_null(strstr(season.note, "shorter than a year"));
    cvo_backtest *bt = NULL;
    assert_int_equal(cvo_backtest_run_season(ctx, &fit, &season, s, c, &bt), CVO_OK);
    assert_false(bt->season_applied);
    assert_non_null(strstr(bt->season_note, "shorter than a year (251 days)"));
    assert_non_null(strstr(bt->season_note,
                           "The holdout covers a season the history does not show (September, "
                           "October, November and December are not in the calibration period); "
                           "expect a seasonal bias."));
    cvo_backtest_free(bt);
    char words[256];
    cvo_season_warning(&season, cvo_day_from_ymd(2025, 9, 9), cvo_day_from_ymd(2025, 9, 20), words,
                       sizeof words);
    assert_non_null(strstr(words, "(September is not in the calibration period)"));
    cvo_season_warning(NULL, 0, 10, words, sizeof words);
    assert_string_equal(words, "");
    cvo_summary_free(s);
    cvo_customers_free(c);
    cvo_ctx_free(ctx);
}

/* cvo_predict_all over the holdout with the index gives the backtest's total;
 * an inactive index changes nothing. */
static void test_predictions_agree_with_backtest(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_customers *c = store(ctx, 8000, 4, PLANTED, INT32_MIN);
    cvo_summary *s = summary_at(ctx, c, cvo_day_from_ymd(2025, 12, 31) - 13 * 7);
    cvo_fit fit;
    assert_int_equal(cvo_model_fit(ctx, CVO_MODEL_BGNBD, s, NULL, &fit), CVO_OK);
    cvo_season season, none;
    assert_int_equal(cvo_season_estimate(ctx, &fit, s, c, CVO_SEASON_MONTHLY, &season), CVO_OK);
    assert_int_equal(cvo_season_estimate(ctx, &fit, s, c, CVO_SEASON_OFF, &none), CVO_OK);
    assert_true(season.active);
    assert_false(none.active);
    cvo_backtest *bt = NULL;
    assert_int_equal(cvo_backtest_run_season(ctx, &fit, &season, s, c, &bt), CVO_OK);
    size_t n = cvo_summary_count(s);
    cvo_prediction *with = calloc(n, sizeof *with), *plain = calloc(n, sizeof *plain),
                   *off = calloc(n, sizeof *off);
    assert_non_null(with);
    assert_non_null(plain);
    assert_non_null(off);
    cvo_predict_options o;
    cvo_predict_options_init(&o);
    o.horizon = cvo_summary_holdout(s);
    assert_int_equal(cvo_predict_all(ctx, &fit, NULL, s, &o, plain), CVO_OK);
    o.season = &none;
    assert_int_equal(cvo_predict_all(ctx, &fit, NULL, s, &o, off), CVO_OK);
    o.season = &season;
    assert_int_equal(cvo_predict_all(ctx, &fit, NULL, s, &o, with), CVO_OK);
    double total = 0, total_plain = 0;
    for (size_t i = 0; i < n; i++) {
        total += with[i].expected;
        total_plain += plain[i].expected;
        assert_memory_equal(&plain[i], &off[i], sizeof plain[i]);
        assert_true(with[i].prob_purchase >= 0 && with[i].prob_purchase <= 1);
    }
    assert_true(fabs(total / bt->model_total - 1) < 1e-6);
    assert_true(fabs(total_plain / bt->model_total_plain - 1) < 1e-6);
    assert_true(total > 1.2 * total_plain); /* the peak */
    free(with);
    free(plain);
    free(off);
    cvo_backtest_free(bt);
    cvo_summary_free(s);
    cvo_customers_free(c);
    cvo_ctx_free(ctx);
}

/* The clock runs s(month) days per day; season_clock_day inverts it. */
static void test_clock(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_season season;
    memset(&season, 0, sizeof season);
    for (int m = 0; m < 12; m++)
        season.index[m] = m == 11 ? 2.0 : 1.0;
    season.active = true;
    season_clock clock;
    int32_t nov1 = cvo_day_from_ymd(2024, 11, 1), dec1 = cvo_day_from_ymd(2024, 12, 1);
    assert_int_equal(season_clock_new(ctx, &season, nov1, dec1 + 40, 7, &clock), CVO_OK);
    assert_true(fabs(season_clock_at(&clock, dec1) - 30.0 / 7) < 1e-12);
    assert_true(fabs(season_clock_at(&clock, dec1 + 31) - (30.0 + 62.0) / 7) < 1e-12);
    assert_true(fabs(season_clock_at(&clock, dec1 + 10.5) - (30.0 + 21.0) / 7) < 1e-12);
    assert_true(fabs(season_clock_day(&clock, 51.0 / 7) - (dec1 + 10.5)) < 1e-6);
    assert_true(fabs(cvo_season_at(&season, dec1 + 3) - 2.0) < 1e-12);
    assert_true(cvo_season_at(NULL, dec1) == 1.0);
    season_clock_free(ctx, &clock);
    cvo_season_mode mode;
    assert_true(cvo_season_mode_from_name("monthly", &mode) && mode == CVO_SEASON_MONTHLY);
    assert_false(cvo_season_mode_from_name("weekly", &mode));
    cvo_ctx_free(ctx);
}

/* --plant-season "" is no season: the same bytes. */
static void test_generator_empty_season_same_bytes(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = 300;
    FILE *f = open_memstream(&a, &la);
    assert_int_equal(cvo_generate(ctx, &g, f, NULL, NULL), CVO_OK);
    fclose(f);
    g.plant_season = "";
    f = open_memstream(&b, &lb);
    assert_int_equal(cvo_generate(ctx, &g, f, NULL, NULL), CVO_OK);
    fclose(f);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    g.plant_season = "amplitude=1.5,peak=12-01";
    assert_int_equal(cvo_generate(ctx, &g, NULL, NULL, NULL), CVO_ERR_ARGUMENT);
    g.plant_season = "nov=0";
    assert_int_equal(cvo_generate(ctx, &g, NULL, NULL, NULL), CVO_ERR_ARGUMENT);
    g.plant_season = "amplitude=0.5";
    assert_int_equal(cvo_generate(ctx, &g, NULL, NULL, NULL), CVO_ERR_ARGUMENT);
    free(a);
    free(b);
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_generator_empty_season_same_bytes),
        cmocka_unit_test(test_short_calibration_warns),
        cmocka_unit_test(test_predictions_agree_with_backtest),
        cmocka_unit_test(test_no_season_no_index),
        cmocka_unit_test(test_planted_season_holdout),
        cmocka_unit_test(test_planted_wave_holdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
