/* test_opportunity.c - cvo_opportunities_compute on generated stores, by
 * simulation over seeds: with a toxic SKU, a late country and discount churn
 * planted, each is among the top 10 opportunities of every seed; with nothing
 * planted, the share of seeds with any product opportunity (a harmful adjusted
 * effect, significant after BH), and of seeds with any product significant
 * on revenue or profit at equal first order, stay within the FDR's binomial
 * tolerance.
 * Plus the ranking, the fields' invariants and the stratified ANCOVA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis/stats.h"
#include "cvo.h"

#include <math.h>

#define PLANTED_SEEDS 5
#define PLANTED_CUSTOMERS 20000
#define NULL_SEEDS 20
#define NULL_CUSTOMERS 10000
#define TOXIC_SKU "SKU-0007"
#define LATE_COUNTRY "SE"

static char *write_temp(const char *text, size_t len)
{
    char *path = strdup("/tmp/test_opportunity_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* A generated store (orders and products written to memory, then to temporary
 * files for the loader), analysed with the default configuration. */
typedef struct store {
    cvo_ctx *ctx;
    cvo_config *config;
    cvo_customers *customers;
    cvo_analysis *analysis;
    cvo_opportunities *opps;
} store;

/* Loads the store; with nps the answers go to a temporary file (*nps_path,
 * the caller's to unlink and free). */
static void store_load(store *s, const cvo_generate_options *g, char **nps_path)
{
    char *orders = NULL, *products = NULL, *answers = NULL;
    size_t orders_len = 0, products_len = 0, answers_len = 0;
    FILE *o = open_memstream(&orders, &orders_len), *p = open_memstream(&products, &products_len);
    FILE *n = nps_path ? open_memstream(&answers, &answers_len) : NULL;
    assert_int_equal(cvo_generate(s->ctx, g, o, p, n), CVO_OK);
    assert_int_equal(fclose(o), 0);
    assert_int_equal(fclose(p), 0);
    if (n != NULL) {
        assert_int_equal(fclose(n), 0);
        *nps_path = write_temp(answers, answers_len);
        free(answers);
    }
    char *orders_path = write_temp(orders, orders_len);
    char *products_path = write_temp(products, products_len);
    free(orders);
    free(products);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = orders_path;
    lo.products_path = products_path;
    lo.keep_orders = true;
    cvo_status status = cvo_orders_load(s->ctx, &lo, &s->customers, NULL);
    unlink(orders_path);
    unlink(products_path);
    free(orders_path);
    free(products_path);
    if (status != CVO_OK)
        fail_msg("load: %s", cvo_ctx_message(s->ctx));
}

/* The store analysed, with its NPS answers when with_nps (as cvo analyze --nps). */
static void store_open(store *s, const cvo_generate_options *g, bool with_nps)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(cvo_ctx_new(&s->ctx, NULL), CVO_OK);
    assert_int_equal(cvo_config_new(s->ctx, &s->config), CVO_OK);
    char *nps_path = NULL;
    store_load(s, g, with_nps ? &nps_path : NULL);
    cvo_nps_options nps;
    cvo_nps_options_init(&nps);
    nps.path = nps_path;
    assert_int_equal(cvo_analyze_nps(s->ctx, s->customers, NULL, s->config, nps_path ? &nps : NULL,
                                     &s->analysis),
                     CVO_OK);
    if (nps_path != NULL) {
        unlink(nps_path);
        free(nps_path);
    }
    assert_int_equal(cvo_opportunities_compute(s->ctx, s->analysis, &s->opps), CVO_OK);
}

static void store_close(store *s)
{
    cvo_opportunities_free(s->opps);
    cvo_analysis_free(s->analysis);
    cvo_customers_free(s->customers);
    cvo_config_free(s->config);
    cvo_ctx_free(s->ctx);
}

/* The rank (1-based) of the first opportunity of kind with key, 0 when none. */
static size_t rank_of(const cvo_opportunities *opps, cvo_opportunity_kind kind, const char *key)
{
    size_t n = 0;
    const cvo_opportunity *items = cvo_opportunities_items(opps, &n);
    for (size_t i = 0; i < n; i++)
        if (items[i].kind == kind && strcmp(items[i].key, key) == 0)
            return i + 1;
    return 0;
}

/* Every opportunity: sorted by stake, a sentence, a range holding the stake,
 * an action, and a test on its list when it has one. */
static void check_fields(const cvo_opportunities *opps)
{
    size_t n = 0;
    const cvo_opportunity *items = cvo_opportunities_items(opps, &n);
    for (size_t i = 0; i < n; i++) {
        const cvo_opportunity *op = &items[i];
        if (i > 0)
            assert_true(items[i - 1].at_stake_cents >= op->at_stake_cents);
        assert_true(strlen(op->what) > 20);
        assert_non_null(op->action);
        assert_true(op->customers > 0);
        assert_true(op->at_stake_low_cents <= op->at_stake_cents);
        assert_true(op->at_stake_cents <= op->at_stake_high_cents);
        assert_true(op->has_test == (op->action_list != 0));
        if (op->has_test) {
            assert_int_equal(op->test.list_bit, op->action_list);
            assert_int_equal(op->test.metric, CVO_EXP_PROFIT);
        }
        if (op->from_effect) {
            assert_true(op->effect < 0 && op->effect_high < 0 && op->effect_q < 0.05);
            assert_true(op->at_stake_cents >= 0);
        }
    }
}

/* Acceptance 5, planted: each planted effect among the top 10 of every seed,
 * the NPS answers heard as cvo analyze --nps hears them. */
static void test_planted_in_top_ten(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= PLANTED_SEEDS; seed++) {
        cvo_generate_options g;
        cvo_generate_options_init(&g);
        g.customers = PLANTED_CUSTOMERS;
        g.seed = seed;
        g.toxic_skus = TOXIC_SKU;
        g.late_country = LATE_COUNTRY;
        g.plant_discount_churn = true;
        store s;
        store_open(&s, &g, true);
        check_fields(s.opps);
        assert_true(rank_of(s.opps, CVO_OPP_UNHAPPY_TOP, "") > 0);
        size_t toxic = rank_of(s.opps, CVO_OPP_TOXIC_PRODUCT, TOXIC_SKU);
        size_t late = rank_of(s.opps, CVO_OPP_WEAK_REGION, LATE_COUNTRY);
        size_t discount = rank_of(s.opps, CVO_OPP_DISCOUNT_COHORT, "code");
        print_message("seed %llu: toxic #%zu, late region #%zu, discount #%zu\n",
                      (unsigned long long)seed, toxic, late, discount);
        assert_true(toxic >= 1 && toxic <= 10);
        assert_true(late >= 1 && late <= 10);
        assert_true(discount >= 1 && discount <= 10);
        store_close(&s);
    }
}

/* P(X >= k) for X ~ Binomial(n, p). */
static double binomial_upper_tail(unsigned n, double p, unsigned k)
{
    double tail = 0;
    for (unsigned x = k; x <= n; x++)
        tail += exp(lgamma(n + 1.0) - lgamma(x + 1.0) - lgamma(n - x + 1.0) + x * log(p) +
                    (n - x) * log1p(-p));
    return tail;
}

/* The most seeds out of n that may show a false discovery when each does so
 * with probability at most rate: the largest count not in the 1 % upper tail. */
static unsigned tolerated(unsigned n, double rate)
{
    unsigned k = 0;
    while (k < n && binomial_upper_tail(n, rate, k + 1) >= 0.01)
        k++;
    return k;
}

/* Acceptance 5, nothing planted: every product opportunity is a false
 * discovery. Under the global null BH at q = [dive] fdr keeps the chance of
 * any at or below q per seed, so the count of seeds with one must stay within
 * the binomial tolerance of NULL_SEEDS draws at that rate. */
static void test_no_plants_no_product(void **state)
{
    (void)state;
    unsigned with_product = 0, raw_significant = 0, with_adjusted = 0;
    for (uint64_t seed = 1; seed <= NULL_SEEDS; seed++) {
        cvo_generate_options g;
        cvo_generate_options_init(&g);
        g.customers = NULL_CUSTOMERS;
        g.seed = 100 + seed;
        store s;
        store_open(&s, &g, false);
        check_fields(s.opps);
        size_t n = 0;
        const cvo_opportunity *items = cvo_opportunities_items(s.opps, &n);
        bool any = false;
        for (size_t i = 0; i < n; i++)
            any |= items[i].kind == CVO_OPP_TOXIC_PRODUCT;
        with_product += any;
        const cvo_dive *d = cvo_analysis_dive(s.analysis, CVO_DIVE_PRODUCT);
        size_t rows = 0;
        const cvo_dive_row *r = cvo_dive_rows(d, &rows);
        bool adjusted = false;
        for (size_t i = 0; i < rows; i++) {
            raw_significant += r[i].metric == CVO_DIVE_PROFIT && r[i].significant &&
                               r[i].direction == CVO_DIVE_HARMFUL;
            adjusted |= (r[i].metric == CVO_DIVE_REVENUE || r[i].metric == CVO_DIVE_PROFIT) &&
                        r[i].adj_significant;
        }
        with_adjusted += adjusted;
        store_close(&s);
    }
    unsigned allowed = tolerated(NULL_SEEDS, 0.05);
    print_message("no plants: %u of %d seeds with a product opportunity (tolerated %u); "
                  "%u raw harmful profit rows significant without the adjustment; %u seeds "
                  "with any adjusted revenue or profit row significant, either way\n",
                  with_product, NULL_SEEDS, allowed, raw_significant, with_adjusted);
    assert_true(with_product <= allowed);
    /* and the wider claim: no product significant on revenue or profit at
     * equal first order, either way, beyond the same tolerance */
    assert_true(with_adjusted <= allowed);
}

/* The stratified ANCOVA: a group that differs from the rest only through the
 * covariate gets no difference; a shift of y by 5 in the group is found. */
static void test_stratified_ancova(void **state)
{
    (void)state;
    stats_xy group[2] = {{0}}, rest[2] = {{0}};
    for (int i = 0; i < 200; i++) {
        double x = (double)(i % 50), noise = (double)((i * 7919) % 13) - 6;
        int s = x < 25 ? 0 : 1;
        bool member = i % 4 == 0;
        double covariate = member ? x + 3 : x; /* members sit higher on x */
        double y = 2 * covariate + noise + (member ? 0 : 0);
        stats_xy_add(member ? &group[s] : &rest[s], covariate, y);
    }
    stats_test t = stats_stratified_ancova(group, rest, 2, 0.05);
    assert_true(t.ok);
    assert_true(fabs(t.diff) < 1.5);
    assert_true(t.ci_low < 0 && t.ci_high > 0);
    stats_xy shifted[2];
    for (int s = 0; s < 2; s++) {
        shifted[s] = group[s];
        shifted[s].sy += 5 * group[s].n;
        shifted[s].sxy += 5 * group[s].sx;
        shifted[s].syy += 10 * group[s].sy + 25 * group[s].n;
    }
    t = stats_stratified_ancova(shifted, rest, 2, 0.05);
    assert_true(fabs(t.diff - 5) < 1.5);
    assert_true(t.p_value < 0.001);
    stats_xy empty[2] = {{0}};
    assert_false(stats_stratified_ancova(empty, rest, 2, 0.05).ok);
}

static void test_names_and_errors(void **state)
{
    (void)state;
    assert_string_equal(cvo_opportunity_kind_name(CVO_OPP_TOXIC_PRODUCT), "toxic_product");
    assert_string_equal(cvo_opportunity_kind_name(CVO_OPP__COUNT), "?");
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_opportunities *opps = (cvo_opportunities *)1;
    assert_int_equal(cvo_opportunities_compute(ctx, NULL, &opps), CVO_ERR_ARGUMENT);
    assert_null(opps);
    size_t n = 1;
    assert_null(cvo_opportunities_items(NULL, &n));
    assert_int_equal(n, 0);
    cvo_opportunities_free(NULL);
    cvo_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stratified_ancova),
        cmocka_unit_test(test_names_and_errors),
        cmocka_unit_test(test_planted_in_top_ten),
        cmocka_unit_test(test_no_plants_no_product),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
