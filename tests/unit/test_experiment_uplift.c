/* test_experiment_uplift.c - the statistics of experiment results by simulation
 * (issue 12, acceptance 2 and 3): stores made by cvo_generate, members drawn here
 * with the arm draw cvo uses (keyed_uniform), measured by cvo_experiments_compute.
 * A/A (no effect, 200 stores): the 95 % intervals cover 0 in 95 % +- 3 % of them and
 * the SRM check fires in under 1 %. Planted (conversion +5 points, spend +10 %, 200
 * stores): the conversion interval covers +0.05 in 95 % +- 3 %, and CUPED narrows
 * the intervals of orders, revenue and profit on average (widths printed). Also the
 * bad inputs: orders older than the experiment, ids renamed, no members, an empty arm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/hmac.h"
#include "cvo.h"
#include "experiment/uplift.h"
#include "output/experiments_json.h"
#include "output/report_experiment_results.h"

#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STORES 200
#define STORE_CUSTOMERS 2000
#define ID_KEY "test-key"
#define EXPERIMENT "winback@2025-06-01"
#define SHARE 0.2
#define WINDOW 60

typedef struct store {
    cvo_customers *customers;
    cvo_experiment_member *members;
    size_t member_count;
    cvo_experiment_info info;
    cvo_id_key key;
    char (*keys)[KEYED_HEX + 1];
} store;

static cvo_customers *load_text(cvo_ctx *ctx, const char *orders, size_t len)
{
    char path[] = "/tmp/test_experiment_uplift_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, orders, len), (ssize_t)len);
    close(fd);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = path;
    lo.keep_orders = true;
    cvo_customers *table = NULL;
    assert_int_equal(cvo_orders_load(ctx, &lo, &table, NULL), CVO_OK);
    unlink(path);
    return table;
}

/* A store of seed with the uplift effects (NULL: none, an A/A store). */
static cvo_customers *generated(cvo_ctx *ctx, uint64_t seed, const char *effects)
{
    char *orders = NULL, plant[96];
    size_t len = 0;
    FILE *o = open_memstream(&orders, &len);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = STORE_CUSTOMERS;
    g.seed = seed;
    snprintf(plant, sizeof plant, "%s%s%s", EXPERIMENT, effects ? ":" : "", effects ? effects : "");
    g.plant_uplift = plant;
    g.plant_share = SHARE;
    g.plant_id_key = ID_KEY;
    g.plant_window = WINDOW;
    assert_int_equal(cvo_generate(ctx, &g, o, NULL, NULL), CVO_OK);
    assert_int_equal(fclose(o), 0);
    cvo_customers *table = load_text(ctx, orders, len);
    free(orders);
    return table;
}

/* Every customer who bought before the start is a member from the start day, in
 * the arm keyed_uniform gives. */
static void draw_members(store *s, const char *experiment_id)
{
    size_t n = cvo_customers_count(s->customers);
    s->members = calloc(n ? n : 1, sizeof *s->members);
    s->keys = calloc(n ? n : 1, sizeof *s->keys);
    s->member_count = 0;
    keyed_hasher h;
    keyed_hasher_init(&h, &s->key);
    for (size_t i = 0; i < n; i++) {
        const cvo_customer *c = cvo_customers_at(s->customers, i);
        if (c->first_order_day >= s->info.start_day)
            continue;
        cvo_experiment_member *m = &s->members[s->member_count];
        keyed_hasher_customer(&h, c->customer_id, c->email, s->keys[s->member_count]);
        m->experiment_id = experiment_id;
        m->customer = s->keys[s->member_count];
        m->holdout = keyed_hasher_uniform(&h, experiment_id, c->customer_id, c->email) < SHARE;
        if (i % 64 == 0) /* the hasher draws what keyed_uniform draws */
            assert_true(m->holdout ==
                        (keyed_uniform(&s->key, experiment_id, c->customer_id, c->email) < SHARE));
        m->entry_day = s->info.start_day;
        s->member_count++;
    }
}

static void store_init(store *s, cvo_ctx *ctx, uint64_t seed, const char *effects)
{
    memset(s, 0, sizeof *s);
    sha256(ID_KEY, strlen(ID_KEY), s->key.bytes);
    snprintf(s->info.id, sizeof s->info.id, "%s", EXPERIMENT);
    s->info.list_bit = CVO_LIST_WINBACK;
    s->info.share = SHARE;
    assert_true(cvo_day_parse("2025-06-01", &s->info.start_day));
    s->info.stop_day = INT32_MIN;
    s->info.primary = CVO_EXP_PROFIT;
    s->info.window_days = WINDOW;
    s->customers = generated(ctx, seed, effects);
    draw_members(s, s->info.id);
}

static void store_free(store *s)
{
    cvo_customers_free(s->customers);
    free(s->members);
    free(s->keys);
}

static cvo_experiment_results *compute(cvo_ctx *ctx, const store *s)
{
    cvo_experiment_results *r = NULL;
    cvo_status status = cvo_experiments_compute(ctx, s->customers, NULL, &s->key, &s->info, 1,
                                                s->members, s->member_count, INT32_MIN, &r);
    if (status != CVO_OK)
        fail_msg("compute: %s", cvo_ctx_message(ctx));
    return r;
}

static bool covers(const cvo_uplift_estimate *e, double value)
{
    return e->ci_low <= value && value <= e->ci_high;
}

/* 95 % +- 3 % of STORES. */
static void assert_coverage(const char *what, int covered)
{
    double rate = (double)covered / STORES;
    printf("  %s: %.1f %% of %d\n", what, 100 * rate, STORES);
    if (fabs(rate - 0.95) > 0.03)
        fail_msg("%s: coverage %.3f outside 0.95 +- 0.03", what, rate);
}

static void test_aa(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    int covered[CVO_EXP_METRIC__COUNT] = {0}, raw_covered[CVO_EXP_METRIC__COUNT] = {0}, srm = 0;
    double holdout = 0;
    for (uint64_t seed = 1; seed <= STORES; seed++) {
        store s;
        store_init(&s, ctx, 1000 + seed, NULL);
        cvo_experiment_results *r = compute(ctx, &s);
        const cvo_experiment_result *e = cvo_experiment_results_at(r, 0);
        srm += e->srm_flag;
        holdout += (double)e->members[1];
        for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
            assert_true(e->metrics[m].ok);
            covered[m] += covers(&e->metrics[m].estimate, 0);
            raw_covered[m] += covers(&e->metrics[m].raw, 0);
        }
        assert_int_equal(e->missing, 0);
        assert_int_equal(e->verdict, CVO_VERDICT_INTERIM);
        cvo_experiment_results_free(r);
        store_free(&s);
    }
    printf("A/A over %d stores (mean holdout arm %.0f members):\n", STORES, holdout / STORES);
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
        char what[64];
        snprintf(what, sizeof what, "%s CI covers 0 (CUPED)", cvo_exp_metric_name(m));
        assert_coverage(what, covered[m]);
        snprintf(what, sizeof what, "%s CI covers 0 (raw)", cvo_exp_metric_name(m));
        assert_coverage(what, raw_covered[m]);
    }
    printf("  SRM flagged: %d of %d\n", srm, STORES);
    assert_true(srm < STORES / 100);
    cvo_ctx_free(ctx);
}

static void test_planted(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    int covered = 0, raw_covered = 0, srm = 0;
    double width[CVO_EXP_METRIC__COUNT] = {0}, raw_width[CVO_EXP_METRIC__COUNT] = {0};
    double diff = 0, rho2[CVO_EXP_METRIC__COUNT] = {0};
    for (uint64_t seed = 1; seed <= STORES; seed++) {
        store s;
        store_init(&s, ctx, 5000 + seed, "conversion=0.05,spend=0.10");
        cvo_experiment_results *r = compute(ctx, &s);
        const cvo_experiment_result *e = cvo_experiment_results_at(r, 0);
        const cvo_experiment_metric_result *conv = &e->metrics[CVO_EXP_CONVERSION];
        covered += covers(&conv->estimate, 0.05);
        raw_covered += covers(&conv->raw, 0.05);
        diff += conv->estimate.diff;
        srm += e->srm_flag;
        for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
            const cvo_experiment_metric_result *x = &e->metrics[m];
            width[m] += x->estimate.ci_high - x->estimate.ci_low;
            raw_width[m] += x->raw.ci_high - x->raw.ci_low;
            rho2[m] += x->variance_reduction;
        }
        cvo_experiment_results_free(r);
        store_free(&s);
    }
    printf("Planted conversion +0.05, spend +10 %% over %d stores (mean estimate %+.4f):\n", STORES,
           diff / STORES);
    assert_coverage("conversion CI covers +0.05 (CUPED)", covered);
    assert_coverage("conversion CI covers +0.05 (raw, Newcombe)", raw_covered);
    assert_true(srm < STORES / 100);
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
        printf("  %s: mean CI width raw %.4g, CUPED %.4g (%.1f %% narrower), mean rho^2 %.3f\n",
               cvo_exp_metric_name(m), raw_width[m] / STORES, width[m] / STORES,
               100 * (1 - width[m] / raw_width[m]), rho2[m] / STORES);
        if (m != CVO_EXP_CONVERSION) /* Newcombe vs Welch widths are not like for like */
            assert_true(width[m] < raw_width[m]);
    }
    cvo_ctx_free(ctx);
}

/* A small store: arms under 200 get the bootstrap; the writers' JSON parses and holds
 * the same figures; the report fragment names the experiment and its verdict. */
static void test_small_arms_and_writers(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_config *config = NULL;
    assert_int_equal(cvo_config_new(ctx, &config), CVO_OK);
    store s;
    store_init(&s, ctx, 77, "conversion=0.1");
    s.member_count = 600; /* a holdout arm of about 120 */
    s.info.planned_members = 500;
    cvo_experiment_results *r = NULL;
    assert_int_equal(cvo_experiments_compute(ctx, s.customers, config, &s.key, &s.info, 1,
                                             s.members, s.member_count, INT32_MIN, &r),
                     CVO_OK);
    const cvo_experiment_result *e = cvo_experiment_results_at(r, 0);
    assert_true(e->members[1] < UPLIFT_BOOTSTRAP_BELOW);
    for (int m = 0; m < CVO_EXP_METRIC__COUNT; m++) {
        const cvo_experiment_metric_result *x = &e->metrics[m];
        assert_true(x->bootstrap);
        assert_true(x->bootstrap_low < x->estimate.diff && x->estimate.diff < x->bootstrap_high);
        assert_true(x->relative_low < x->relative && x->relative < x->relative_high);
        assert_true(fabs(x->incremental - x->estimate.diff * (double)e->members[0]) <
                    1e-6 * (1 + fabs(x->incremental)));
    }
    assert_true(e->verdict == CVO_VERDICT_WIN || e->verdict == CVO_VERDICT_INCONCLUSIVE ||
                e->verdict == CVO_VERDICT_LOSS);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(cvo_write_experiments_json(ctx, r, config, out), CVO_OK);
    fclose(out);
    json_error_t error;
    json_t *root = json_loads(text, 0, &error);
    if (root == NULL)
        fail_msg("JSON: %s", error.text);
    json_t *x = json_array_get(json_object_get(root, "experiments"), 0);
    assert_string_equal(json_string_value(json_object_get(x, "id")), EXPERIMENT);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "arms"), "holdout")),
                     (json_int_t)e->members[1]);
    json_t *conv = json_array_get(json_object_get(x, "metrics"), 0);
    assert_true(fabs(json_number_value(json_object_get(conv, "diff")) -
                     e->metrics[0].estimate.diff) < 1e-8);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(conv, "bootstrap"), "resamples")), 2000);
    json_decref(root);
    free(text);
    out = open_memstream(&text, &len);
    assert_int_equal(report_experiment_results(ctx, r, out), CVO_OK);
    fclose(out);
    assert_non_null(strstr(text, "<h3>" EXPERIMENT "</h3>"));
    assert_non_null(strstr(text, e->verdict_text));
    assert_non_null(strstr(text, "<svg role=\"img\""));
    free(text);
    cvo_experiment_results_free(r);
    store_free(&s);
    cvo_config_free(config);
    cvo_ctx_free(ctx);
}

/* The bad inputs of acceptance 6 at the library: orders older than the start, members
 * not in the orders, no members, one arm empty. */
static void test_bad_inputs(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    store s;
    store_init(&s, ctx, 78, NULL);
    cvo_experiment_results *r = NULL;
    cvo_experiment_info later = s.info;
    assert_true(cvo_day_parse("2026-02-01", &later.start_day));
    assert_int_equal(cvo_experiments_compute(ctx, s.customers, NULL, &s.key, &later, 1, s.members,
                                             s.member_count, INT32_MIN, &r),
                     CVO_ERR_FORMAT);
    assert_non_null(strstr(cvo_ctx_message(ctx), "the orders end on 2025-12-31"));
    assert_null(r);
    cvo_id_key other = s.key;
    other.bytes[0] ^= 1;
    assert_int_equal(cvo_experiments_compute(ctx, s.customers, NULL, &other, &s.info, 1, s.members,
                                             s.member_count, INT32_MIN, &r),
                     CVO_ERR_FORMAT);
    assert_non_null(strstr(cvo_ctx_message(ctx), "customer ids renamed?"));
    /* no members; then the treatment arm only */
    assert_int_equal(cvo_experiments_compute(ctx, s.customers, NULL, &s.key, &s.info, 1, s.members,
                                             0, INT32_MIN, &r),
                     CVO_OK);
    assert_int_equal(cvo_experiment_results_at(r, 0)->verdict, CVO_VERDICT_NONE);
    assert_string_equal(cvo_experiment_results_at(r, 0)->verdict_text,
                        "no verdict: the experiment has no members yet");
    cvo_experiment_results_free(r);
    size_t kept = 0;
    for (size_t i = 0; i < s.member_count; i++)
        if (!s.members[i].holdout)
            s.members[kept++] = s.members[i];
    assert_int_equal(cvo_experiments_compute(ctx, s.customers, NULL, &s.key, &s.info, 1, s.members,
                                             kept, INT32_MIN, &r),
                     CVO_OK);
    const cvo_experiment_result *e = cvo_experiment_results_at(r, 0);
    assert_int_equal(e->verdict, CVO_VERDICT_NONE);
    assert_string_equal(e->verdict_text, "no verdict: the holdout arm is empty");
    assert_false(e->metrics[CVO_EXP_PROFIT].ok);
    assert_true(e->srm_flag);
    cvo_experiment_results_free(r);
    /* in flight: as of 30 days after the start, no window has closed */
    assert_int_equal(cvo_experiments_compute(ctx, s.customers, NULL, &s.key, &s.info, 1, s.members,
                                             kept, s.info.start_day + 30, &r),
                     CVO_OK);
    e = cvo_experiment_results_at(r, 0);
    assert_int_equal(e->members[0], 0);
    assert_int_equal(e->in_flight[0], kept);
    cvo_experiment_results_free(r);
    store_free(&s);
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aa),
        cmocka_unit_test(test_planted),
        cmocka_unit_test(test_small_arms_and_writers),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
