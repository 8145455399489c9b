/* test_nps.c - cvo_nps_load: on a generated store the overall and by-stage
 * counts equal counts taken from nps.csv here; the interval formula by hand;
 * bad rows rejected with line and reason; stage inference; UTF-8 words. */
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

typedef struct fixture {
    char dir[64], orders[96], nps[96];
    cvo_ctx *ctx;
    cvo_customers *customers;
    cvo_nps *result;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cvo-test-nps-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->orders, sizeof f->orders, "%s/orders.csv", f->dir);
    snprintf(f->nps, sizeof f->nps, "%s/nps.csv", f->dir);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cvo_nps_free(f->result);
    cvo_customers_free(f->customers);
    unlink(f->orders);
    unlink(f->nps);
    rmdir(f->dir);
    cvo_ctx_free(f->ctx);
    free(f);
    return 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fputs(text, out) >= 0, 1);
    assert_int_equal(fclose(out), 0);
}

static void load_orders(fixture *f)
{
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = f->orders;
    o.keep_orders = true;
    assert_int_equal(cvo_orders_load(f->ctx, &o, &f->customers, NULL), CVO_OK);
}

typedef struct rejects {
    uint64_t lines[16];
    cvo_nps_reject_reason reasons[16];
    size_t count;
} rejects;

static cvo_status collect(void *user_data, const cvo_nps_reject *r)
{
    rejects *all = user_data;
    if (all->count < 16) {
        all->lines[all->count] = r->line;
        all->reasons[all->count++] = r->reason;
    }
    return CVO_OK;
}

static cvo_status load_nps(fixture *f, const char *map, rejects *seen, cvo_nps_stats *stats)
{
    cvo_nps_options o;
    cvo_nps_options_init(&o);
    o.path = f->nps;
    o.column_map = map;
    o.customers = f->customers;
    o.on_reject = seen ? collect : NULL;
    o.reject_user_data = seen;
    return cvo_nps_load(f->ctx, &o, &f->result, stats);
}

/* ---- the generated store ------------------------------------------------------- */

/* Counts [stage][class] from nps.csv: email,score,submitted_at,survey,comment
 * (the first four fields never hold a comma). */
static uint64_t count_file(const char *path, uint64_t counts[2][3])
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char line[4096];
    uint64_t rows = 0;
    assert_non_null(fgets(line, sizeof line, in)); /* header */
    while (fgets(line, sizeof line, in) != NULL) {
        char *score = strchr(line, ',') + 1;
        char *survey = strchr(strchr(score, ',') + 1, ',') + 1;
        long value = strtol(score, NULL, 10);
        int cls = value <= 6 ? 0 : value <= 8 ? 1 : 2;
        int stage = strncmp(survey, "pre_delivery,", 13) == 0 ? 0 : 1;
        counts[stage][cls]++;
        rows++;
    }
    fclose(in);
    return rows;
}

static void expect_group(const cvo_nps_group *g, const uint64_t counts[3])
{
    assert_int_equal(g->detractors, counts[0]);
    assert_int_equal(g->passives, counts[1]);
    assert_int_equal(g->promoters, counts[2]);
    assert_int_equal(g->n, counts[0] + counts[1] + counts[2]);
}

static void test_generated_store(void **state)
{
    fixture *f = *state;
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = 800;
    g.seed = 11;
    FILE *orders = fopen(f->orders, "wb"), *nps = fopen(f->nps, "wb");
    assert_int_equal(cvo_generate(f->ctx, &g, orders, NULL, nps), CVO_OK);
    assert_int_equal(fclose(orders) | fclose(nps), 0);
    load_orders(f);
    cvo_nps_stats stats;
    assert_int_equal(load_nps(f, NULL, NULL, &stats), CVO_OK);
    uint64_t counts[2][3] = {{0}};
    uint64_t rows = count_file(f->nps, counts);
    assert_true(rows > 100);
    assert_int_equal(stats.records, rows);
    assert_int_equal(stats.used, rows);
    assert_int_equal(stats.rejected, 0);
    uint64_t all[3];
    for (int c = 0; c < 3; c++)
        all[c] = counts[0][c] + counts[1][c];
    expect_group(cvo_nps_overall(f->result), all);
    expect_group(cvo_nps_by_stage(f->result, CVO_NPS_PRE_DELIVERY), counts[0]);
    expect_group(cvo_nps_by_stage(f->result, CVO_NPS_POST_DELIVERY), counts[1]);
    assert_int_equal(cvo_nps_by_stage(f->result, CVO_NPS_STAGE_UNKNOWN)->n, 0);
    const cvo_nps_group *o = cvo_nps_overall(f->result);
    assert_true(o->ci_low <= o->nps && o->nps <= o->ci_high);
}

/* ---- the interval by hand --------------------------------------------------------- */

static void test_interval(void **state)
{
    (void)state;
    cvo_nps_group a, b, full;
    /* n 200, p 0.5, d 0.2: NPS 30, SE 100 sqrt(0.61 / 200) = 5.5227, margin 10.824 */
    cvo_nps_group_compute(100, 60, 40, 30, &a);
    assert_int_equal(a.n, 200);
    assert_false(a.small);
    assert_float_equal(a.nps, 30.0, 1e-12);
    assert_float_equal(a.ci_low, 30.0 - 1.959963984540054 * 5.522680508593631, 1e-9);
    assert_float_equal(a.ci_high, 30.0 + 1.959963984540054 * 5.522680508593631, 1e-9);
    /* 4 promoters, 1 passive: NPS 80, SE sqrt(1e4 (0.8 - 0.64) / 5) = 17.89: clamped */
    cvo_nps_group_compute(4, 1, 0, 30, &full);
    assert_true(full.small);
    assert_float_equal(full.nps, 80.0, 1e-12);
    assert_float_equal(full.ci_high, 100.0, 0);
    assert_float_equal(full.ci_low, 80.0 - 1.959963984540054 * 17.88854381999832, 1e-9);
    /* independent samples: variances add */
    cvo_nps_group_compute(50, 30, 20, 30, &b);
    cvo_nps_difference d;
    cvo_nps_difference_compute(&a, &b, &d);
    assert_true(d.available);
    assert_float_equal(d.difference, 0.0, 1e-12);
    double se = 100.0 * sqrt(0.61 / 200 + 0.61 / 100);
    assert_float_equal(d.ci_high, 1.959963984540054 * se, 1e-9);
    cvo_nps_group empty;
    cvo_nps_group_compute(0, 0, 0, 30, &empty);
    cvo_nps_difference_compute(&a, &empty, &d);
    assert_false(d.available);
}

/* ---- strict reading ------------------------------------------------------------------ */

static const char orders_csv[] = "order_id,email,order_date,order_total\n"
                                 "1,ann@example.com,2024-03-01,40.00\n"
                                 "2,bob@example.com,2024-03-02,25.00\n"
                                 "3,ann@example.com,2024-03-20,30.00\n";

static void test_bad_rows(void **state)
{
    fixture *f = *state;
    write_text(f->orders, orders_csv);
    load_orders(f);
    write_text(f->nps, "email,score,submitted_at,survey,comment\n"
                       "ann@example.com,11,2024-03-05,post_delivery,too high\n"
                       ",9,2024-03-05,post_delivery,no email\n"
                       "bob@example.com,8,yesterday,post_delivery,unknown date\n"
                       "bob@example.com,7.5,2024-03-05,post_delivery,not an integer\n"
                       "BOB@Example.com ,10,2024-03-06T09:00:00Z,post_delivery,fine\n"
                       "bob@example.com,3,,pre_delivery,no date\n"
                       "bob@example.com,3,2024-03-06\n");
    rejects seen = {0};
    cvo_nps_stats stats;
    assert_int_equal(load_nps(f, NULL, &seen, &stats), CVO_OK);
    assert_int_equal(stats.records, 7);
    assert_int_equal(stats.used, 1);
    assert_int_equal(stats.rejected, 6);
    assert_int_equal(stats.records, stats.used + stats.rejected);
    const uint64_t lines[] = {2, 3, 4, 5, 7, 8};
    const cvo_nps_reject_reason reasons[] = {CVO_NPS_REJECT_BAD_SCORE, CVO_NPS_REJECT_NO_EMAIL,
                                             CVO_NPS_REJECT_BAD_DATE, CVO_NPS_REJECT_BAD_SCORE,
                                             CVO_NPS_REJECT_NO_DATE, CVO_NPS_REJECT_FIELD_COUNT};
    assert_int_equal(seen.count, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(seen.lines[i], lines[i]);
        assert_int_equal(seen.reasons[i], reasons[i]);
    }
    assert_string_equal(cvo_nps_reject_reason_name(CVO_NPS_REJECT_BAD_SCORE), "bad score");
    assert_int_equal(stats.joined_customers, 1); /* "BOB@Example.com " normalised */
    assert_int_equal(cvo_nps_customer_last(f->result, 1), 10);
    assert_int_equal(cvo_nps_customer_last(f->result, 0), -1);
}

static void test_missing_columns(void **state)
{
    fixture *f = *state;
    write_text(f->nps, "mail,rating\nann@example.com,9\n");
    assert_int_equal(load_nps(f, NULL, NULL, NULL), CVO_ERR_FORMAT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "email, score and submitted_at"));
    assert_null(f->result);
    assert_int_equal(load_nps(f, "email=mail,score=rating,submitted=x", NULL, NULL),
                     CVO_ERR_ARGUMENT);
}

/* ---- stage, join, other exports -------------------------------------------------------- */

static void test_stage_inference(void **state)
{
    fixture *f = *state;
    write_text(f->orders, orders_csv);
    load_orders(f);
    /* Typeform-like columns through the map; survey variants, then inference. */
    write_text(f->nps, "#,Email,How likely?,Submit Date (UTC),Which survey\n"
                       "a,ann@example.com,9,2024-03-05 10:00:00,\n"         /* before delivery */
                       "b,ann@example.com,6,2024-03-06 10:00:00,\n"         /* day 5: post */
                       "c,ann@example.com,10,2024-03-20 08:00:00,nps\n"     /* 2nd order: pre */
                       "d,bob@example.com,7,2024-03-02 10:00:00,Post Delivery\n"
                       "e,bob@example.com,8,2024-03-09 10:00:00,pre-delivery\n"
                       "f,eve@example.com,9,2024-03-09 10:00:00,\n");       /* no customer */
    cvo_nps_stats stats;
    assert_int_equal(load_nps(f, "email=Email,score=How likely?,submitted_at=Submit Date (UTC),"
                                 "survey=Which survey",
                              NULL, &stats),
                     CVO_OK);
    assert_int_equal(stats.used, 6);
    assert_int_equal(stats.stage_from_survey, 2);
    assert_int_equal(stats.stage_inferred, 3);
    assert_int_equal(stats.joined_customers, 5);
    const cvo_nps_group *pre = cvo_nps_by_stage(f->result, CVO_NPS_PRE_DELIVERY);
    const cvo_nps_group *post = cvo_nps_by_stage(f->result, CVO_NPS_POST_DELIVERY);
    assert_int_equal(pre->n, 3);
    assert_int_equal(pre->promoters, 2);
    assert_int_equal(pre->passives, 1);
    assert_int_equal(post->n, 2);
    assert_int_equal(post->detractors, 1);
    assert_int_equal(cvo_nps_by_stage(f->result, CVO_NPS_STAGE_UNKNOWN)->n, 1);
    assert_int_equal(cvo_nps_customer_last(f->result, 0), 10);
    size_t n = 0;
    const cvo_nps_group *months = cvo_nps_groups(f->result, CVO_NPS_BY_MONTH, &n);
    assert_int_equal(n, 1);
    assert_string_equal(months[0].key, "2024-03");
    assert_true(months[0].small);
}

/* delivered_at, else fulfilled_at + transit_days, else order day + delivery_days;
 * order_id joins to its order (and customer) whatever the email says. */
static void test_delivery_and_order_id(void **state)
{
    fixture *f = *state;
    write_text(f->orders, "order_id,email,order_date,sku,product,category,quantity,unit_price,"
                          "fulfilled_at,delivered_at\n"
                          "#1,ann@example.com,2024-03-01,S1,Beans,Coffee,1,40.00,2024-03-02,"
                          "2024-03-10\n"
                          "#1,ann@example.com,2024-03-01,S2,Mug,Cups,1,9.00,,\n"
                          "#2,bob@example.com,2024-03-02,S2,Mug,Cups,1,9.00,2024-03-03,\n"
                          "#3,ann@example.com,2024-03-20,S3,Tea,,1,30.00,,\n");
    load_orders(f);
    write_text(f->nps, "email,score,submitted_at,comment,order_id\n"
                       "ann@example.com,9,2024-03-09,fast shipping,\n"    /* #1 before the 10th */
                       "ann@example.com,3,2024-03-10,broken mug,1\n"      /* #1 delivered: post */
                       "bob@example.com,10,2024-03-05,fast shipping,\n"   /* #2 3rd+3: pre */
                       "bob@example.com,8,2024-03-06,good,\n"             /* #2: post */
                       "other@example.com,6,2024-03-24,slow shipping,#3\n" /* #3 20th+5: pre */
                       "ann@example.com,0,2024-03-25,slow shipping,\n"    /* #3: post */
                       "ann@example.com,9,2024-03-25,,#99\n");            /* unknown id: by day */
    cvo_nps_options o;
    cvo_nps_options_init(&o);
    o.path = f->nps;
    o.customers = f->customers;
    cvo_nps_stats stats;
    assert_int_equal(cvo_nps_load(f->ctx, &o, &f->result, &stats), CVO_OK);
    assert_int_equal(stats.used, 7);
    assert_int_equal(stats.joined_by_order_id, 2);
    assert_int_equal(stats.joined_customers, 7);
    assert_int_equal(stats.joined_orders, 7);
    assert_int_equal(stats.stage_inferred, 7);
    const cvo_nps_group *pre = cvo_nps_by_stage(f->result, CVO_NPS_PRE_DELIVERY);
    const cvo_nps_group *post = cvo_nps_by_stage(f->result, CVO_NPS_POST_DELIVERY);
    assert_int_equal(pre->n, 3);
    assert_int_equal(pre->promoters, 2);
    assert_int_equal(pre->detractors, 1);
    assert_int_equal(post->n, 4);
    assert_int_equal(post->promoters, 1);
    assert_int_equal(post->passives, 1);
    assert_int_equal(post->detractors, 2);
    /* products of the joined order; a response counts once per product */
    size_t n = 0;
    const cvo_nps_group *products = cvo_nps_groups(f->result, CVO_NPS_BY_PRODUCT, &n);
    assert_int_equal(n, 3);
    assert_string_equal(products[0].key, "Mug (S2)"); /* #1 twice, #2 twice */
    assert_int_equal(products[0].n, 4);
    assert_string_equal(products[1].key, "Tea (S3)"); /* #3 three times */
    assert_int_equal(products[1].n, 3);
    assert_string_equal(products[2].key, "Beans (S1)");
    assert_int_equal(products[2].n, 2);
    const cvo_nps_group *categories = cvo_nps_groups(f->result, CVO_NPS_BY_CATEGORY, &n);
    assert_int_equal(n, 3);
    assert_string_equal(categories[0].key, "Cups");
    assert_int_equal(categories[0].n, 4);
    /* the id join wins over the email: other@ answered about ann's order */
    assert_int_equal(cvo_nps_customer_last(f->result, 0), 9);
}

/* before_day: later answers are counted, not used; only later ones is no error. */
static void test_before_day(void **state)
{
    fixture *f = *state;
    write_text(f->orders, orders_csv);
    load_orders(f);
    write_text(f->nps, "email,score,submitted_at,order_id\n"
                       "ann@example.com,9,2024-03-09,\n"
                       "bob@example.com,3,2024-03-10,2\n"  /* on the day: later */
                       "ann@example.com,11,2024-03-11,\n" /* bad score: rejected first */
                       "ann@example.com,10,2024-04-01,\n");
    cvo_nps_options o;
    cvo_nps_options_init(&o);
    assert_int_equal(o.before_day, INT32_MAX);
    o.path = f->nps;
    o.customers = f->customers;
    o.before_day = cvo_day_from_ymd(2024, 3, 10);
    cvo_nps_stats stats;
    assert_int_equal(cvo_nps_load(f->ctx, &o, &f->result, &stats), CVO_OK);
    assert_int_equal(stats.records, 4);
    assert_int_equal(stats.used, 1);
    assert_int_equal(stats.rejected, 1);
    assert_int_equal(stats.later, 2);
    assert_int_equal(stats.joined_by_order_id, 0); /* the later answer's join is not counted */
    assert_int_equal(stats.records, stats.used + stats.rejected + stats.later);
    assert_int_equal(cvo_nps_overall(f->result)->n, 1);
    assert_int_equal(cvo_nps_customer_last(f->result, 0), 9);
    cvo_nps_free(f->result);
    f->result = NULL;
    o.before_day = cvo_day_from_ymd(2024, 1, 1); /* before every answer: empty, no error */
    assert_int_equal(cvo_nps_load(f->ctx, &o, &f->result, &stats), CVO_OK);
    assert_int_equal(stats.used, 0);
    assert_int_equal(stats.later, 3);
    assert_int_equal(cvo_nps_overall(f->result)->n, 0);
}

/* Answers submitted after latest_day are rejected (future date), before the
 * before_day cut: a typo is an error, not a later answer. */
static void test_future_answers(void **state)
{
    fixture *f = *state;
    write_text(f->orders, orders_csv);
    load_orders(f);
    write_text(f->nps, "email,score,submitted_at\n"
                       "ann@example.com,9,2024-03-09\n"
                       "bob@example.com,3,9999-12-31\n"
                       "ann@example.com,10,2024-03-21\n"
                       "bob@example.com,7,2024-03-20T23:59:00Z\n");
    cvo_nps_options o;
    cvo_nps_options_init(&o);
    assert_int_equal(o.latest_day, INT32_MAX);
    rejects seen = {0};
    o.path = f->nps;
    o.customers = f->customers;
    o.on_reject = collect;
    o.reject_user_data = &seen;
    o.latest_day = cvo_day_from_ymd(2024, 3, 20);
    o.before_day = cvo_day_from_ymd(2024, 3, 15);
    cvo_nps_stats stats;
    assert_int_equal(cvo_nps_load(f->ctx, &o, &f->result, &stats), CVO_OK);
    assert_int_equal(stats.used, 1);
    assert_int_equal(stats.later, 1);
    assert_int_equal(stats.rejected, 2);
    assert_int_equal(stats.rejected_by_reason[CVO_NPS_REJECT_FUTURE_DATE], 2);
    assert_int_equal(seen.lines[0], 3);
    assert_int_equal(seen.lines[1], 4);
    assert_string_equal(cvo_nps_reject_reason_name(CVO_NPS_REJECT_FUTURE_DATE), "future date");
}

/* The most frequent words and phrases of each segment's comments. */
static void test_segment_terms(void **state)
{
    fixture *f = *state;
    write_text(f->orders, orders_csv);
    load_orders(f);
    cvo_rfm_options ro;
    cvo_rfm_options_init(&ro);
    cvo_scheme *scheme = NULL;
    cvo_rfm *rfm = NULL;
    ro.levels = 3;
    assert_int_equal(cvo_scheme_builtin(f->ctx, "relationship", ro.levels, &scheme), CVO_OK);
    assert_int_equal(cvo_rfm_new(f->ctx, f->customers, &ro, scheme, &rfm), CVO_OK);
    write_text(f->nps, "email,score,submitted_at,comment\n"
                       "ann@example.com,9,2024-03-25,Lovely beans lovely beans\n"
                       "bob@example.com,4,2024-03-25,Late parcel\n"
                       "eve@example.com,4,2024-03-25,who am I\n");
    cvo_nps_options o;
    cvo_nps_options_init(&o);
    o.path = f->nps;
    o.customers = f->customers;
    o.rfm = rfm;
    o.scheme = scheme;
    assert_int_equal(cvo_nps_load(f->ctx, &o, &f->result, NULL), CVO_OK);
    size_t segments = 0, n = 0;
    const cvo_nps_group *rows = cvo_nps_groups(f->result, CVO_NPS_BY_SEGMENT, &segments);
    size_t ann = cvo_rfm_scores(rfm)[0].segment, bob = cvo_rfm_scores(rfm)[1].segment;
    assert_true(ann != bob);
    const cvo_nps_term *t = cvo_nps_segment_terms(f->result, ann, false, &n);
    assert_int_equal(n, 2);
    assert_string_equal(t[0].text, "beans");
    assert_int_equal(t[0].count, 2);
    assert_string_equal(t[1].text, "lovely");
    t = cvo_nps_segment_terms(f->result, ann, true, &n);
    assert_int_equal(n, 2); /* "lovely beans" twice, "beans lovely" once */
    assert_string_equal(t[0].text, "lovely beans");
    assert_int_equal(t[0].count, 2);
    t = cvo_nps_segment_terms(f->result, bob, false, &n);
    assert_int_equal(n, 2);
    assert_string_equal(t[0].text, "late");
    /* the last row is "(not a customer)" */
    assert_string_equal(rows[segments - 1].key, "(not a customer)");
    t = cvo_nps_segment_terms(f->result, segments - 1, false, &n);
    assert_int_equal(n, 0); /* "who am I": stop words only */
    assert_null(cvo_nps_segment_terms(f->result, segments, false, &n));
    cvo_rfm_free(rfm);
    cvo_scheme_free(scheme);
}

static void test_delighted(void **state)
{
    fixture *f = *state;
    /* 1709287200 = 2024-03-01T10:00:00Z */
    write_text(f->nps, "Response ID,Score,Comment,Created At,person_properties.email\n"
                       "r1,10,\"Great, \"\"really\"\" great\",1709287200,ann@example.com\n"
                       "r2,0,,1709287200,bob@example.com\n");
    cvo_nps_stats stats;
    assert_int_equal(load_nps(f, NULL, NULL, &stats), CVO_OK);
    assert_int_equal(stats.used, 2);
    const cvo_nps_group *o = cvo_nps_overall(f->result);
    assert_float_equal(o->nps, 0.0, 1e-12);
    size_t n = 0;
    const cvo_nps_group *months = cvo_nps_groups(f->result, CVO_NPS_BY_MONTH, &n);
    assert_int_equal(n, 1);
    assert_string_equal(months[0].key, "2024-03");
    const cvo_nps_term *words = cvo_nps_top_terms(f->result, CVO_NPS_PROMOTER, false, &n);
    assert_int_equal(n, 1);
    assert_string_equal(words[0].text, "great");
    assert_int_equal(words[0].count, 2);
}

/* ---- words ---------------------------------------------------------------------------- */

static void test_utf8_words(void **state)
{
    fixture *f = *state;
    write_text(f->nps, "email,score,submitted_at,comment\n"
                       "a@x.org,2,2024-01-01,\"ÉTÉ chaud, l’équipe était lente — don't order\"\n"
                       "b@x.org,3,2024-01-02,\"Été chaud!! L'ÉQUIPE... café 42 \xff naïve\"\n"
                       "c@x.org,9,2024-01-03,Fast delivery; very fast delivery\n");
    assert_int_equal(load_nps(f, NULL, NULL, NULL), CVO_OK);
    size_t n = 0;
    const cvo_nps_term *words = cvo_nps_top_terms(f->result, CVO_NPS_DETRACTOR, false, &n);
    assert_true(n >= 4);
    assert_string_equal(words[0].text, "chaud");
    assert_int_equal(words[0].count, 2);
    assert_string_equal(words[1].text, "l'équipe");
    assert_int_equal(words[1].count, 2);
    assert_string_equal(words[2].text, "été");
    assert_int_equal(words[2].count, 2);
    for (size_t i = 0; i < n; i++) {
        assert_true(strcmp(words[i].text, "don't") != 0);
        assert_true(strcmp(words[i].text, "42") != 0);
    }
    const cvo_nps_term *phrases = cvo_nps_top_terms(f->result, CVO_NPS_DETRACTOR, true, &n);
    assert_true(n >= 2);
    assert_string_equal(phrases[0].text, "chaud l'équipe");
    assert_string_equal(phrases[1].text, "été chaud");
    phrases = cvo_nps_top_terms(f->result, CVO_NPS_PROMOTER, true, &n);
    assert_int_equal(n, 1); /* "very" is a stop word: no "delivery fast" */
    assert_string_equal(phrases[0].text, "fast delivery");
    assert_int_equal(phrases[0].count, 2);
    cvo_nps_top_terms(f->result, CVO_NPS_PASSIVE, false, &n);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generated_store, setup, teardown),
        cmocka_unit_test(test_interval),
        cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage_inference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delighted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivery_and_order_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segment_terms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_before_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_future_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8_words, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
