/* test_report.c - unit tests of the HTML report: every section present, nothing
 * loaded from outside the page, balanced SVG, escaped data, deterministic bytes,
 * write errors reported, and a useful page when no model can be fitted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cvo.h"

#define ORDERS_HEADER                                                                              \
    "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,discount,"              \
    "unit_cost,shipping_cost,refund,country,discount_code,channel\n"

static const char *const SECTION_IDS[] = {"summary",       "segments",     "profit",  "nps",
                                          "rfm-grid",      "clv",          "p-alive", "backtest",
                                          "top-customers", "data-quality", "method"};

/* ---- fixtures -------------------------------------------------------------------- */

typedef struct fixture {
    cvo_ctx *ctx;
    cvo_customers *customers;
    cvo_config *config;
    cvo_analysis *analysis;
    cvo_load_stats stats;
    char path[64];
} fixture;

static FILE *temp_orders(fixture *f)
{
    snprintf(f->path, sizeof f->path, "/tmp/cvo_test_report_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
    return file;
}

/* Loads f->path with keep_orders and analyses it with the default config. */
static void analyse(fixture *f)
{
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = f->path;
    o.keep_orders = true;
    assert_int_equal(cvo_orders_load(f->ctx, &o, &f->customers, &f->stats), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    cvo_status status = cvo_analyze(f->ctx, f->customers, &f->stats, f->config, &f->analysis);
    if (status != CVO_OK)
        fail_msg("cvo_analyze: %s", cvo_ctx_message(f->ctx));
}

static void fixture_generated(fixture *f, uint64_t customers, uint64_t seed)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = seed;
    FILE *orders = temp_orders(f);
    assert_int_equal(cvo_generate(f->ctx, &g, orders, NULL, NULL), CVO_OK);
    assert_int_equal(fclose(orders), 0);
    analyse(f);
}

static void fixture_text(fixture *f, const char *csv)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    FILE *orders = temp_orders(f);
    assert_int_equal(fputs(csv, orders) >= 0, 1);
    assert_int_equal(fclose(orders), 0);
    analyse(f);
}

static void fixture_free(fixture *f)
{
    cvo_analysis_free(f->analysis);
    cvo_config_free(f->config);
    cvo_customers_free(f->customers);
    cvo_ctx_free(f->ctx);
    unlink(f->path);
}

static char *render(fixture *f)
{
    char *html = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&html, &len);
    assert_non_null(out);
    cvo_status status = cvo_write_report_html(f->ctx, f->analysis, out);
    assert_int_equal(fclose(out), 0);
    if (status != CVO_OK)
        fail_msg("cvo_write_report_html: %s", cvo_ctx_message(f->ctx));
    assert_int_equal(strlen(html), len);
    return html;
}

/* ---- checks ------------------------------------------------------------------------ */

static size_t occurrences(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void assert_sections(const char *html)
{
    char want[64];
    for (size_t i = 0; i < sizeof SECTION_IDS / sizeof SECTION_IDS[0]; i++) {
        snprintf(want, sizeof want, "<section id=\"%s\"", SECTION_IDS[i]);
        if (occurrences(html, want) != 1)
            fail_msg("section %s appears %zu times", SECTION_IDS[i], occurrences(html, want));
    }
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "</html>\n"));
}

/* Returns the text of section id (a copy up to its </section>). */
static char *section_text(const char *html, const char *id)
{
    char want[64];
    snprintf(want, sizeof want, "<section id=\"%s\"", id);
    const char *start = strstr(html, want);
    assert_non_null(start);
    const char *end = strstr(start, "</section>");
    assert_non_null(end);
    char *copy = strndup(start, (size_t)(end - start));
    assert_non_null(copy);
    return copy;
}

/* Every <svg> closes before the next opens, and each has role img and a title. */
static void assert_svg_balanced(const char *html, size_t at_least)
{
    size_t n = 0;
    const char *p = html;
    while ((p = strstr(p, "<svg")) != NULL) {
        const char *close = strstr(p, "</svg>");
        const char *next = strstr(p + 4, "<svg");
        assert_non_null(close);
        assert_true(next == NULL || next > close);
        const char *tag_end = strchr(p, '>');
        assert_non_null(strstr(p, "role=\"img\""));
        assert_true(strstr(p, "role=\"img\"") < tag_end);
        assert_int_equal(strncmp(tag_end + 1, "<title>", 7), 0);
        p = close;
        n++;
    }
    assert_int_equal(occurrences(html, "</svg>"), n);
    assert_true(n >= at_least);
}

static void assert_self_contained(const char *html)
{
    static const char *const banned[] = {"http://", "https://", "<script src", "@import",
                                         "url(",    "<link",    "<img",        "<iframe"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        if (strstr(html, banned[i]) != NULL)
            fail_msg("the report contains \"%s\"", banned[i]);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_generated_store_has_every_section(void **state)
{
    (void)state;
    fixture f;
    fixture_generated(&f, 600, 5);
    assert_true(cvo_analysis_model_ok(f.analysis));
    char *html = render(&f);
    assert_sections(html);
    assert_self_contained(html);
    /* bars, profit bars, grid, histogram, P(alive) boxes, backtest lines */
    assert_svg_balanced(html, cvo_analysis_backtest(f.analysis) ? 6 : 5);
    char as_of[11];
    cvo_day_format(cvo_analysis_as_of(f.analysis), as_of);
    assert_non_null(strstr(html, as_of));
    char *top = section_text(html, "top-customers");
    assert_int_equal(occurrences(top, "<tr>"), 1 + 25); /* header + the default 25 */
    free(top);
    /* where profit comes from: the revenue vs profit bars, one table row per
     * segment, and the cost-source note */
    char *profit = section_text(html, "profit");
    assert_non_null(strstr(profit, "Where profit comes from"));
    assert_int_equal(occurrences(profit, "<svg"), 1);
    assert_non_null(strstr(profit, "share of profit"));
    size_t segments = cvo_scheme_segment_count(cvo_analysis_scheme(f.analysis));
    assert_int_equal(occurrences(profit, "<tr>"), 1 + segments);
    assert_non_null(strstr(profit, "Cost sources."));
    assert_non_null(strstr(profit, "Unprofitable customers"));
    free(profit);
    /* no NPS answers given: the section is there, with a plain note */
    char *nps = section_text(html, "nps");
    assert_non_null(strstr(nps, "class=\"note\""));
    assert_int_equal(occurrences(nps, "<svg"), 0);
    free(nps);
    free(html);
    fixture_free(&f);
}

/* With the generated store's NPS answers: intervals before / after delivery
 * and by segment, a table row per segment, no note. */
static void test_nps_section_with_answers(void **state)
{
    (void)state;
    fixture f;
    memset(&f, 0, sizeof f);
    assert_int_equal(cvo_ctx_new(&f.ctx, NULL), CVO_OK);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = 600;
    g.seed = 5;
    FILE *orders = temp_orders(&f);
    char nps_path[64];
    snprintf(nps_path, sizeof nps_path, "/tmp/cvo_test_report_nps_XXXXXX");
    int fd = mkstemp(nps_path);
    assert_true(fd >= 0);
    FILE *answers = fdopen(fd, "w");
    assert_non_null(answers);
    assert_int_equal(cvo_generate(f.ctx, &g, orders, NULL, answers), CVO_OK);
    assert_int_equal(fclose(orders), 0);
    assert_int_equal(fclose(answers), 0);
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = f.path;
    o.keep_orders = true;
    assert_int_equal(cvo_orders_load(f.ctx, &o, &f.customers, &f.stats), CVO_OK);
    assert_int_equal(cvo_config_new(f.ctx, &f.config), CVO_OK);
    cvo_nps_options n;
    cvo_nps_options_init(&n);
    n.path = nps_path;
    cvo_status status = cvo_analyze_nps(f.ctx, f.customers, &f.stats, f.config, &n, &f.analysis);
    if (status != CVO_OK)
        fail_msg("cvo_analyze_nps: %s", cvo_ctx_message(f.ctx));
    assert_non_null(cvo_analysis_nps(f.analysis));
    char *html = render(&f);
    assert_sections(html);
    assert_self_contained(html);
    char *nps = section_text(html, "nps");
    assert_null(strstr(nps, "class=\"note\""));
    assert_int_equal(occurrences(nps, "<svg"), 2);
    assert_non_null(strstr(nps, "before delivery"));
    assert_non_null(strstr(nps, "after delivery"));
    size_t groups = 0, products = 0, answered = 0;
    const cvo_nps_group *rows =
        cvo_nps_groups(cvo_analysis_nps(f.analysis), CVO_NPS_BY_SEGMENT, &groups);
    assert_true(groups >= cvo_scheme_segment_count(cvo_analysis_scheme(f.analysis)));
    for (size_t k = 0; k < groups; k++)
        answered += rows[k].n > 0;
    cvo_nps_groups(cvo_analysis_nps(f.analysis), CVO_NPS_BY_PRODUCT, &products);
    assert_true(products > 12);
    /* segments; products (the 12 with most answers); the words of each answered segment */
    assert_int_equal(occurrences(nps, "<tr>"), (1 + groups) + (1 + 12) + (1 + answered));
    assert_non_null(strstr(nps, "NPS by product of the answered order"));
    assert_non_null(strstr(nps, "What each segment says"));
    free(nps);
    free(html);
    unlink(nps_path);
    fixture_free(&f);
}

static void test_output_is_deterministic(void **state)
{
    (void)state;
    fixture f;
    fixture_generated(&f, 300, 9);
    char *first = render(&f);
    char *second = render(&f);
    assert_string_equal(first, second);
    free(first);
    free(second);
    fixture_free(&f);
}

/* A customer whose id and email hold every HTML special character. */
static const char ESCAPE_STORE[] = ORDERS_HEADER
    "1,\"<b>&\"\"x\"\"'\",\"a<b>&\"\"q\"\"@example.com\",2024-01-05,S1,Tea,1,900.00,,,,,,,\n"
    "2,\"<b>&\"\"x\"\"'\",\"a<b>&\"\"q\"\"@example.com\",2024-03-05,S1,Tea,1,900.00,,,,,,,\n"
    "3,c2,c2@example.com,2024-01-10,S1,Tea,1,20.00,,,,,,,\n"
    "4,c2,c2@example.com,2024-02-10,S1,Tea,1,20.00,,,,,,,\n"
    "5,c3,c3@example.com,2024-01-15,S1,Tea,1,25.00,,,,,,,\n"
    "6,c4,c4@example.com,2024-02-15,S1,Tea,1,30.00,,,,,,,\n"
    "7,c4,c4@example.com,2024-05-20,S1,Tea,2,30.00,,,,,,,\n"
    "8,c5,c5@example.com,2024-04-01,S1,\"<script>alert(1)</script>\",1,10.00,,,,,,,\n";

static void test_data_is_escaped(void **state)
{
    (void)state;
    fixture f;
    fixture_text(&f, ESCAPE_STORE);
    char *html = render(&f);
    assert_sections(html);
    assert_non_null(strstr(html, "&lt;b&gt;&amp;&quot;x&quot;&#39;"));
    assert_non_null(strstr(html, "a&lt;b&gt;&amp;&quot;q&quot;@example.com"));
    assert_null(strstr(html, "<b>&"));
    assert_null(strstr(html, "<script"));
    assert_svg_balanced(html, 2);
    free(html);
    fixture_free(&f);
}

/* Nobody buys twice: no model can be fitted, and the page says so. */
static void test_model_less_store_explains(void **state)
{
    (void)state;
    char csv[8192];
    size_t len = (size_t)snprintf(csv, sizeof csv, "%s", ORDERS_HEADER);
    for (int i = 0; i < 60; i++)
        len += (size_t)snprintf(csv + len, sizeof csv - len,
                                "o%d,c%d,c%d@example.com,2024-%02d-%02d,S1,Tea,1,%d.50,,,,,,,\n", i,
                                i, i, 1 + i % 12, 1 + (i * 7) % 28, 5 + (i * 13) % 90);
    fixture f;
    fixture_text(&f, csv);
    assert_false(cvo_analysis_model_ok(f.analysis));
    char *html = render(&f);
    assert_sections(html);
    assert_self_contained(html);
    assert_svg_balanced(html, 2);
    static const char *const noted[] = {"clv", "p-alive", "backtest"};
    for (size_t i = 0; i < sizeof noted / sizeof noted[0]; i++) {
        char *section = section_text(html, noted[i]);
        if (strstr(section, "class=\"note\"") == NULL)
            fail_msg("section %s has no plain-words note", noted[i]);
        free(section);
    }
    const char *note = cvo_analysis_model_note(f.analysis);
    assert_true(note[0] != '\0');
    if (strchr(note, '&') == NULL && strchr(note, '<') == NULL && strchr(note, '"') == NULL &&
        strchr(note, '\'') == NULL)
        assert_non_null(strstr(html, note));
    char *top = section_text(html, "top-customers");
    assert_non_null(strstr(top, "by revenue"));
    free(top);
    free(html);
    fixture_free(&f);
}

static void test_write_error_is_reported(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        skip();
    fixture f;
    fixture_generated(&f, 200, 3);
    assert_int_equal(cvo_write_report_html(f.ctx, f.analysis, full), CVO_ERR_WRITE);
    assert_non_null(strstr(cvo_ctx_message(f.ctx), "write error"));
    fclose(full);
    assert_int_equal(cvo_write_report_html(f.ctx, NULL, stdout), CVO_ERR_ARGUMENT);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_store_has_every_section),
        cmocka_unit_test(test_nps_section_with_answers),
        cmocka_unit_test(test_output_is_deterministic),
        cmocka_unit_test(test_data_is_escaped),
        cmocka_unit_test(test_model_less_store_explains),
        cmocka_unit_test(test_write_error_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
