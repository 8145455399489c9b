/* test_covariates.c - static covariates in BG/NBD and Pareto/NBD: the fit's
 * log-likelihood against the definition summed customer by customer, its
 * standard errors against a Hessian of differences of that sum, the
 * likelihood-ratio tests, and the coverage of the 95% intervals over many
 * stores simulated from the models themselves (planted and null effects). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/summary.h"
#include "models/covariates.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COV_Z 1.959964

/* ---- a small generator (tests only) ------------------------------------------------- */

typedef struct sim_rng {
    uint64_t s;
} sim_rng;

static double sim_uniform(sim_rng *g)
{
    /* splitmix64 */
    uint64_t z = (g->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double sim_normal(sim_rng *g)
{
    return sqrt(-2 * log(sim_uniform(g))) * cos(6.283185307179586 * sim_uniform(g));
}

/* Gamma(shape, 1), Marsaglia & Tsang. */
static double sim_gamma(sim_rng *g, double shape)
{
    if (shape < 1)
        return sim_gamma(g, shape + 1) * pow(sim_uniform(g), 1 / shape);
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = sim_normal(g), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = sim_uniform(g);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

typedef struct sim_truth {
    cvo_model model;
    double params[4]; /* r, alpha, s|a, beta|b */
    double gp[2], gd[2];
    double share[2]; /* P(x_j = 1) */
} sim_truth;

/* One customer's (x, t_x) over (0, T] given its own parameters. */
static void sim_customer(sim_rng *g, const sim_truth *t, const double *p, double T,
                         cvo_summary_row *row)
{
    double lambda = sim_gamma(g, p[0]) / p[1];
    double now = 0, death = INFINITY, drop = 0;
    if (t->model == CVO_MODEL_PNBD)
        death = -log(sim_uniform(g)) / (sim_gamma(g, p[2]) / p[3]);
    else {
        double ga = sim_gamma(g, p[2]), gb = sim_gamma(g, p[3]);
        drop = ga / (ga + gb);
    }
    row->x = row->t_x = 0;
    for (;;) {
        now += -log(sim_uniform(g)) / lambda;
        if (now > T || now > death)
            break;
        row->x++;
        row->t_x = now;
        if (t->model == CVO_MODEL_BGNBD && sim_uniform(g) < drop)
            break;
    }
}

/* A store of n customers: covariate columns x1, x2 (0/1), T uniform on [26, 104] weeks. */
static void sim_store(cvo_ctx *ctx, const sim_truth *t, size_t n, uint64_t seed,
                      cvo_summary **summary, cvo_covariates **cov)
{
    sim_rng g = {seed * 7919 + 17};
    cvo_summary_row *rows = calloc(n, sizeof *rows);
    double *x1 = calloc(n, sizeof *x1), *x2 = calloc(n, sizeof *x2);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++) {
        x1[i] = sim_uniform(&g) < t->share[0];
        x2[i] = sim_uniform(&g) < t->share[1];
        double eta_p = t->gp[0] * x1[i] + t->gp[1] * x2[i];
        double eta_d = t->gd[0] * x1[i] + t->gd[1] * x2[i];
        double p[4] = {t->params[0], t->params[1] * exp(-eta_p), t->params[2], t->params[3]};
        if (t->model == CVO_MODEL_PNBD)
            p[3] *= exp(-eta_d);
        else {
            p[2] *= exp(eta_d);
            p[3] *= exp(eta_d);
        }
        double T = 26 + 78 * sim_uniform(&g);
        rows[i].customer_id = "";
        rows[i].T = T;
        rows[i].weight = 1;
        sim_customer(&g, t, p, T, &rows[i]);
    }
    assert_int_equal(summary_from_rows(ctx, rows, n, summary), CVO_OK);
    assert_int_equal(cvo_covariates_new(ctx, n, cov), CVO_OK);
    assert_int_equal(cvo_covariates_add(*cov, NULL, "x1", x1), CVO_OK);
    assert_int_equal(cvo_covariates_add(*cov, NULL, "x2", x2), CVO_OK);
    free(rows);
    free(x1);
    free(x2);
}

/* ---- the fit against the definition --------------------------------------------------- */

static const sim_truth pnbd_truth = {
    CVO_MODEL_PNBD, {0.8, 10, 0.6, 20}, {0.5, 0}, {0.7, 0}, {0.4, 0.5}};
static const sim_truth bgnbd_truth = {
    CVO_MODEL_BGNBD, {0.8, 10, 0.8, 3}, {0.5, 0}, {0.7, 0}, {0.4, 0.5}};

/* ln L at theta = (ln p, gp, gd) from the direct sum. */
static double direct_at(const cvo_cov_fit *fit, const cvo_summary *s, const cvo_covariates *cov,
                        const double *theta)
{
    double p[4];
    for (int m = 0; m < 4; m++)
        p[m] = exp(theta[m]);
    return cov_loglik_direct(fit->model, s, cov, p, theta + 4, theta + 4 + fit->columns);
}

static void check_against_direct(const sim_truth *truth)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_summary *s = NULL;
    cvo_covariates *cov = NULL;
    sim_store(ctx, truth, 3000, 1, &s, &cov);
    cvo_cov_fit fit;
    assert_int_equal(cvo_cov_fit_model(ctx, truth->model, s, cov, NULL, &fit), CVO_OK);
    assert_true(fit.converged);
    enum { K = 8 };
    double theta[K];
    for (int m = 0; m < 4; m++)
        theta[m] = log(fit.params[m]);
    for (size_t j = 0; j < 2; j++) {
        theta[4 + j] = fit.column[j].purchase.gamma;
        theta[6 + j] = fit.column[j].dropout.gamma;
    }
    double ll = direct_at(&fit, s, cov, theta);
    print_message("%s: ln L %.6f (direct %.6f), base %.6f\n", cvo_model_name(fit.model), fit.loglik,
                  ll, fit.loglik_base);
    assert_true(fabs(ll - fit.loglik) < 1e-6 * fabs(ll));
    /* gammas at 0: the model without covariates */
    double zero[K];
    memcpy(zero, theta, sizeof zero);
    for (int m = 0; m < 4; m++)
        zero[m] = log(fit.params[m]);
    /* the Hessian of the direct sum by differences: standard errors */
    const double h = 1e-4;
    double hess[K][K];
    for (int a = 0; a < K; a++)
        for (int b = 0; b <= a; b++) {
            double t[K], f[4];
            for (int c = 0; c < 4; c++) {
                memcpy(t, theta, sizeof t);
                t[a] += (c & 1 ? -h : h);
                t[b] += (c & 2 ? -h : h);
                f[c] = direct_at(&fit, s, cov, t);
            }
            hess[a][b] = hess[b][a] = (f[0] - f[1] - f[2] + f[3]) / (4 * h * h);
        }
    /* invert -H by Gauss-Jordan */
    double m[K][2 * K];
    for (int a = 0; a < K; a++)
        for (int b = 0; b < 2 * K; b++)
            m[a][b] = b < K ? -hess[a][b] : (b - K == a);
    for (int c = 0; c < K; c++) {
        int piv = c;
        for (int r = c + 1; r < K; r++)
            if (fabs(m[r][c]) > fabs(m[piv][c]))
                piv = r;
        for (int b = 0; b < 2 * K; b++) {
            double tmp = m[c][b];
            m[c][b] = m[piv][b];
            m[piv][b] = tmp;
        }
        double d = m[c][c];
        for (int b = 0; b < 2 * K; b++)
            m[c][b] /= d;
        for (int r = 0; r < K; r++)
            if (r != c) {
                double f = m[r][c];
                for (int b = 0; b < 2 * K; b++)
                    m[r][b] -= f * m[c][b];
            }
    }
    for (int a = 0; a < K; a++) {
        double se_theta = sqrt(m[a][K + a]);
        double reported = a < 4   ? fit.std_error[a] / fit.params[a]
                          : a < 6 ? fit.column[a - 4].purchase.std_error
                                  : fit.column[a - 6].dropout.std_error;
        print_message("  theta %d: se %.6g, numerical %.6g\n", a, reported, se_theta);
        assert_true(fabs(reported - se_theta) < 1e-3 * se_theta);
    }
    /* the LR tests: the planted x1 is found, x2 (no effect) mostly is not */
    assert_true(fit.column[0].purchase.lr_p < 1e-3);
    assert_true(fit.column[0].dropout.lr_p < 0.05);
    assert_true(fit.lr_all_p < 1e-3);
    assert_int_equal((int)fit.groups, 2);
    for (size_t j = 0; j < 2; j++)
        print_message("  %s: purchase %.3f (%.3f..%.3f, LR p %.3g), dropout %.3f (%.3f..%.3f, "
                      "LR p %.3g)\n",
                      fit.column[j].name, fit.column[j].purchase.factor,
                      fit.column[j].purchase.factor_low, fit.column[j].purchase.factor_high,
                      fit.column[j].purchase.lr_p, fit.column[j].dropout.factor,
                      fit.column[j].dropout.factor_low, fit.column[j].dropout.factor_high,
                      fit.column[j].dropout.lr_p);
    cvo_covariates_free(cov);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void test_pnbd_direct(void **state)
{
    (void)state;
    check_against_direct(&pnbd_truth);
}

static void test_bgnbd_direct(void **state)
{
    (void)state;
    check_against_direct(&bgnbd_truth);
}

/* With the covariates all 0 the fit is the model's own. */
static void test_zero_covariates(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_summary *s = NULL;
    cvo_covariates *cov = NULL;
    sim_truth t = pnbd_truth;
    t.share[0] = t.share[1] = 0;
    sim_store(ctx, &t, 500, 3, &s, &cov);
    cvo_cov_fit fit;
    assert_int_equal(cvo_cov_fit_model(ctx, CVO_MODEL_PNBD, s, cov, NULL, &fit), CVO_OK);
    assert_false(fit.converged); /* gammas of an all-zero column: not identified */
    cvo_covariates_free(cov);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

static void test_errors(void **state)
{
    (void)state;
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_summary *s = NULL;
    cvo_covariates *cov = NULL;
    sim_store(ctx, &pnbd_truth, 100, 4, &s, &cov);
    cvo_cov_fit fit;
    assert_int_equal(cvo_cov_fit_model(ctx, CVO_MODEL_BGBB, s, cov, NULL, &fit), CVO_ERR_ARGUMENT);
    cvo_covariates *small = NULL;
    assert_int_equal(cvo_covariates_new(ctx, 10, &small), CVO_OK);
    double v[10] = {0};
    assert_int_equal(cvo_covariates_add(small, NULL, "z", v), CVO_OK);
    assert_int_equal(cvo_cov_fit_model(ctx, CVO_MODEL_PNBD, s, small, NULL, &fit),
                     CVO_ERR_ARGUMENT);
    v[3] = NAN;
    assert_int_equal(cvo_covariates_add(small, NULL, "nan", v), CVO_ERR_ARGUMENT);
    v[3] = 0;
    for (int j = 1; j < CVO_COV_MAX_COLUMNS; j++)
        assert_int_equal(cvo_covariates_add(small, NULL, "c", v), CVO_OK);
    assert_int_equal(cvo_covariates_add(small, NULL, "one too many", v), CVO_ERR_LIMIT);
    cvo_covariates_free(small);
    cvo_covariates_free(cov);
    cvo_summary_free(s);
    cvo_ctx_free(ctx);
}

/* ---- coverage over simulated stores ------------------------------------------------------ */

/* Over STORES stores of CUSTOMERS customers, the share of 95% intervals that
 * hold the true gamma, per coefficient (x1 planted, x2 null). With 100 stores
 * a rate is 0.95 +- 0.022 (one standard error): the test asks for 0.95 +- 0.06
 * of each rate, as the issue does, and prints them. */
enum { STORES = 100, CUSTOMERS = 1000 };

static void coverage(const sim_truth *t)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_cov_options o;
    cvo_cov_options_init(&o);
    o.lr_tests = false;
    int covered[4] = {0}, fitted = 0;
    for (uint64_t seed = 1; seed <= STORES; seed++) {
        cvo_summary *s = NULL;
        cvo_covariates *cov = NULL;
        sim_store(ctx, t, CUSTOMERS, 1000 + seed, &s, &cov);
        cvo_cov_fit fit;
        assert_int_equal(cvo_cov_fit_model(ctx, t->model, s, cov, &o, &fit), CVO_OK);
        cvo_covariates_free(cov);
        cvo_summary_free(s);
        if (!fit.converged) {
            print_message("  seed %d: %s\n", (int)seed, fit.note);
            continue;
        }
        fitted++;
        for (int j = 0; j < 2; j++) {
            const cvo_cov_effect *p = &fit.column[j].purchase, *d = &fit.column[j].dropout;
            covered[2 * j] += fabs(p->gamma - t->gp[j]) <= 1.959964 * p->std_error;
            covered[2 * j + 1] += fabs(d->gamma - t->gd[j]) <= 1.959964 * d->std_error;
        }
    }
    const char *names[4] = {"x1 purchase (planted)", "x1 dropout (planted)", "x2 purchase (0)",
                            "x2 dropout (0)"};
    print_message("%s: %d of %d stores fitted\n", cvo_model_name(t->model), fitted, STORES);
    assert_true(fitted >= STORES - 2);
    for (int c = 0; c < 4; c++) {
        double rate = (double)covered[c] / fitted;
        print_message("  coverage %-22s %.3f\n", names[c], rate);
        assert_true(fabs(rate - 0.95) <= 0.06);
    }
    cvo_ctx_free(ctx);
}

static void test_pnbd_coverage(void **state)
{
    (void)state;
    coverage(&pnbd_truth);
}

static void test_bgnbd_coverage(void **state)
{
    (void)state;
    coverage(&bgnbd_truth);
}

/* ---- coverage over generated stores --------------------------------------------------------- */

/* cvo_generate stores (weeks, 2023..2025; 1500 customers, 3000 for BG/NBD,
 * whose dropout effect only moves the spread of the dropout chance) with a
 * discount effect planted (purchase 0.4, dropout 0.7), read back, summarised
 * and fitted with the covariates discount and channel (4 dummies, nothing
 * planted). COV_STORES in the environment runs that many stores per model
 * instead (the closing note's figures come from 400). */
enum { GEN_STORES = 60 };
static const double planted_purchase = 0.4, planted_dropout = 0.7;

static void generated_store(cvo_ctx *ctx, int process, uint64_t seed, cvo_summary **summary,
                            cvo_covariates **cov, cvo_customers **customers)
{
    char path[] = "/tmp/cvo-covariates-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *orders = fdopen(fd, "w");
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = process == CVO_GEN_PNBD ? 1500 : 3000;
    g.seed = seed;
    g.process = process;
    g.plant_covariate = "discount:purchase=0.4,dropout=0.7";
    assert_int_equal(cvo_generate(ctx, &g, orders, NULL, NULL), CVO_OK);
    fclose(orders);
    cvo_load_options lo;
    cvo_load_options_init(&lo);
    lo.path = path;
    lo.keep_orders = true;
    assert_int_equal(cvo_orders_load(ctx, &lo, customers, NULL), CVO_OK);
    unlink(path);
    cvo_summary_options so;
    cvo_summary_options_init(&so);
    so.as_of_day = g.last_day + 1;
    assert_int_equal(cvo_summary_from_orders(ctx, *customers, &so, summary), CVO_OK);
    char note[256];
    assert_int_equal(cvo_covariates_from_customers(ctx, *customers, *summary, "discount,channel",
                                                   0, cov, note, sizeof note),
                     CVO_OK);
    assert_int_equal((int)cvo_covariates_columns(*cov), 5);
    assert_string_equal(cvo_covariates_name(*cov, 0), "discount");
}

static void generated_coverage(cvo_model model, int process)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    cvo_cov_options o;
    cvo_cov_options_init(&o);
    o.lr_tests = false;
    const char *env = getenv("COV_STORES");
    int stores = env != NULL ? atoi(env) : GEN_STORES, fitted = 0;
    int planted[2] = {0}, null_covered = 0, null_count = 0, null_zero[8] = {0};
    for (int seed = 1; seed <= stores; seed++) {
        cvo_summary *s = NULL;
        cvo_covariates *cov = NULL;
        cvo_customers *cs = NULL;
        generated_store(ctx, process, (uint64_t)seed, &s, &cov, &cs);
        cvo_cov_fit fit;
        assert_int_equal(cvo_cov_fit_model(ctx, model, s, cov, &o, &fit), CVO_OK);
        cvo_covariates_free(cov);
        cvo_summary_free(s);
        cvo_customers_free(cs);
        if (!fit.converged) {
            print_message("  seed %d: %s\n", seed, fit.note);
            continue;
        }
        fitted++;
        const cvo_cov_effect *p = &fit.column[0].purchase, *d = &fit.column[0].dropout;
        planted[0] += fabs(p->gamma - planted_purchase) <= COV_Z * p->std_error;
        planted[1] += fabs(d->gamma - planted_dropout) <= COV_Z * d->std_error;
        for (size_t j = 1; j < fit.columns; j++) {
            const cvo_cov_effect *e[2] = {&fit.column[j].purchase, &fit.column[j].dropout};
            for (int k = 0; k < 2; k++) {
                bool in = fabs(e[k]->gamma) <= COV_Z * e[k]->std_error;
                null_covered += in;
                null_zero[2 * (j - 1) + k] += in;
                null_count++;
            }
        }
    }
    double rate_p = (double)planted[0] / fitted, rate_d = (double)planted[1] / fitted;
    double rate_null = (double)null_covered / null_count;
    print_message("%s, generated stores: %d of %d fitted; 95%% CI covers the planted discount "
                  "gamma_p %.3f, gamma_d %.3f; 0 for the 8 channel gammas %.3f (each: %.2f %.2f "
                  "%.2f %.2f %.2f %.2f %.2f %.2f)\n",
                  cvo_model_name(model), fitted, stores, rate_p, rate_d, rate_null,
                  (double)null_zero[0] / fitted, (double)null_zero[1] / fitted,
                  (double)null_zero[2] / fitted, (double)null_zero[3] / fitted,
                  (double)null_zero[4] / fitted, (double)null_zero[5] / fitted,
                  (double)null_zero[6] / fitted, (double)null_zero[7] / fitted);
    assert_true(fitted >= stores * 90 / 100);
    assert_true(fabs(rate_p - 0.95) <= 0.06);
    assert_true(fabs(rate_d - 0.95) <= 0.06);
    assert_true(fabs(rate_null - 0.95) <= 0.03);
    cvo_ctx_free(ctx);
}

static void test_pnbd_generated(void **state)
{
    (void)state;
    generated_coverage(CVO_MODEL_PNBD, CVO_GEN_PNBD);
}

static void test_bgnbd_generated(void **state)
{
    (void)state;
    generated_coverage(CVO_MODEL_BGNBD, CVO_GEN_BGNBD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pnbd_direct),     cmocka_unit_test(test_bgnbd_direct),
        cmocka_unit_test(test_zero_covariates), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pnbd_coverage),   cmocka_unit_test(test_bgnbd_coverage),
        cmocka_unit_test(test_pnbd_generated),  cmocka_unit_test(test_bgnbd_generated),
    };
    if (getenv("COV_TEST") != NULL)
        cmocka_set_test_filter(getenv("COV_TEST"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
