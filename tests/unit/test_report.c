/* test_report.c - unit tests of the HTML report: every section present, nothing
 * loaded from outside the page, balanced SVG, escaped data, deterministic bytes,
 * write errors reported, a useful page when no model can be fitted; "This week"
 * first, its counts equal to the analysis' own; e-mail addresses masked unless
 * [report] show_emails; the trend and movers of a history database. */
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
#include "output/report_text.h"

#define ORDERS_HEADER                                                                              \
    "order_id,customer_id,email,order_date,sku,product,quantity,unit_price,discount,"              \
    "unit_cost,shipping_cost,refund,country,discount_code,channel\n"

static const char *const SECTION_IDS[] = {"this-week",     "summary",      "segments", "profit",  "nps",
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

/* The generated store with its NPS answers, analysed with them. */
static void fixture_with_nps(fixture *f, uint64_t customers, uint64_t seed, char nps_path[64])
{
    memset(f, 0, sizeof *f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = seed;
    FILE *orders = temp_orders(f);
    snprintf(nps_path, 64, "/tmp/cvo_test_report_nps_XXXXXX");
    int fd = mkstemp(nps_path);
    assert_true(fd >= 0);
    FILE *answers = fdopen(fd, "w");
    assert_non_null(answers);
    assert_int_equal(cvo_generate(f->ctx, &g, orders, NULL, answers), CVO_OK);
    assert_int_equal(fclose(orders), 0);
    assert_int_equal(fclose(answers), 0);
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = f->path;
    o.keep_orders = true;
    assert_int_equal(cvo_orders_load(f->ctx, &o, &f->customers, &f->stats), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    cvo_nps_options n;
    cvo_nps_options_init(&n);
    n.path = nps_path;
    cvo_status status = cvo_analyze_nps(f->ctx, f->customers, &f->stats, f->config, &n, &f->analysis);
    if (status != CVO_OK)
        fail_msg("cvo_analyze_nps: %s", cvo_ctx_message(f->ctx));
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
    char nps_path[64];
    fixture_with_nps(&f, 600, 5, nps_path);
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
    assert_non_null(strstr(html, "a***@example.com")); /* masked by default */
    assert_null(strstr(html, "q&quot;@example.com"));
    assert_null(strstr(html, "<b>&"));
    assert_null(strstr(html, "<script"));
    assert_svg_balanced(html, 2);
    free(html);
    /* shown in full on request, and still escaped */
    assert_int_equal(cvo_config_set(f.config, "report", "show_emails", "true"), CVO_OK);
    html = render(&f);
    assert_non_null(strstr(html, "a&lt;b&gt;&amp;&quot;q&quot;@example.com"));
    assert_null(strstr(html, "<b>&"));
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

/* ---- This week ---------------------------------------------------------------------- */

/* The <li> of action in html (a copy), or NULL. */
static char *action_item(const char *html, const char *action)
{
    char want[64];
    snprintf(want, sizeof want, "<li data-action=\"%s\"", action);
    const char *start = strstr(html, want);
    if (start == NULL)
        return NULL;
    const char *end = strstr(start, "</li>");
    assert_non_null(end);
    char *copy = strndup(start, (size_t)(end - start));
    assert_non_null(copy);
    return copy;
}

/* The item of action names file with count, says the count with grouped digits
 * (or "No ..." for 0) and shows the file. */
static void expect_action(const char *html, const char *action, const char *file, uint64_t count)
{
    char *li = action_item(html, action);
    if (li == NULL)
        fail_msg("no This week item %s", action);
    char attrs[160], digits[32], said[40];
    snprintf(attrs, sizeof attrs, "data-file=\"%s\" data-count=\"%llu\"", file,
             (unsigned long long)count);
    report_count(digits, sizeof digits, count);
    snprintf(said, sizeof said, "%s ", digits);
    if (strstr(li, attrs) == NULL)
        fail_msg("%s: wants %s in %s", action, attrs, li);
    if (count > 0 && (strstr(li, said) == NULL || strstr(li, file) == NULL))
        fail_msg("%s: wants \"%s\" and %s in %s", action, said, file, li);
    if (count == 0 && strstr(li, ">No") == NULL)
        fail_msg("%s: an empty list wants a plain \"No ...\" sentence: %s", action, li);
    free(li);
}

static uint64_t list_members(const cvo_analysis *a, unsigned bit)
{
    uint64_t n = 0;
    const cvo_customer_result *r = cvo_analysis_results(a);
    for (size_t i = 0; i < cvo_customers_count(cvo_analysis_customers(a)); i++)
        n += (r[i].lists & bit) != 0;
    return n;
}

/* Top segment (the scheme's first two), an email, latest answer 0-6 given
 * fewer than 90 days ([gorgias] max_answer_age_days) before the as-of day. */
static uint64_t unhappy_top_customers(const cvo_analysis *a)
{
    const cvo_nps *nps = cvo_analysis_nps(a);
    const cvo_score *scores = cvo_rfm_scores(cvo_analysis_rfm(a));
    uint64_t n = 0;
    for (size_t i = 0; i < cvo_customers_count(cvo_analysis_customers(a)); i++) {
        int last = cvo_nps_customer_last(nps, i);
        int64_t age = (int64_t)cvo_analysis_as_of(a) - cvo_nps_customer_last_day(nps, i);
        n += scores[i].segment < 2 && cvo_customers_at(cvo_analysis_customers(a), i)->email[0] &&
             last >= 0 && last <= 6 && age < 90;
    }
    return n;
}

static size_t lines_of(const char *text)
{
    return occurrences(text, "\n");
}

static void test_this_week_first_with_counts(void **state)
{
    (void)state;
    fixture f;
    char nps_path[64];
    fixture_with_nps(&f, 1500, 7, nps_path);
    char *html = render(&f);
    /* the first section, and first in the navigation */
    const char *first = strstr(html, "<section id=");
    assert_non_null(first);
    assert_int_equal(strncmp(first, "<section id=\"this-week\"", 23), 0);
    assert_non_null(strstr(html, "<nav aria-label=\"Sections\"><ul><li><a href=\"#this-week\">"));
    const cvo_analysis *a = f.analysis;
    static const struct {
        const char *action, *file;
        unsigned bit;
    } lists[] = {{"winback-due", "klaviyo/events.jsonl", CVO_LIST_WINBACK_DUE},
                 {"winback", "lists/winback.csv", CVO_LIST_WINBACK},
                 {"no-discount", "lists/no-discount.csv", CVO_LIST_NO_DISCOUNT},
                 {"exclude", "lists/exclude.csv", CVO_LIST_EXCLUDE},
                 {"vip", "lists/vip.csv", CVO_LIST_VIP},
                 {"referral", "lists/referral.csv", CVO_LIST_REFERRAL},
                 {"interview", "lists/interview.csv", CVO_LIST_INTERVIEW}};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        uint64_t n = list_members(a, lists[k].bit);
        assert_true(n > 0); /* the store fills every list */
        expect_action(html, lists[k].action, lists[k].file, n);
    }
    expect_action(html, "loyalty-tiers", "lists/loyalty-tiers.csv",
                  cvo_customers_count(cvo_analysis_customers(a)));
    /* the tickets: the same count as the Gorgias writer's lines and an
     * independent count of unhappy top customers */
    char *tickets = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&tickets, &len);
    assert_int_equal(cvo_write_gorgias_tickets(f.ctx, a, cvo_analysis_nps(a), out), CVO_OK);
    assert_int_equal(fclose(out), 0);
    uint64_t unhappy = unhappy_top_customers(a);
    assert_true(unhappy > 0);
    assert_int_equal(lines_of(tickets), unhappy);
    expect_action(html, "tickets", "gorgias/tickets.jsonl", unhappy);
    char *li = action_item(html, "tickets");
    assert_non_null(strstr(li, "gave NPS 0-6"));
    assert_non_null(strstr(li, "tickets to open"));
    free(li);
    free(tickets);
    free(html);
    unlink(nps_path);
    fixture_free(&f);
}

/* No-discount by its reasons, the tiers by name, each count as the analysis has it. */
static void test_this_week_reasons_and_tiers(void **state)
{
    (void)state;
    fixture f;
    fixture_generated(&f, 1500, 7);
    char *html = render(&f);
    char *li = action_item(html, "no-discount");
    uint64_t reasons[4] = {0, 0, 0, 0}, tiers[8] = {0};
    const cvo_customer_result *r = cvo_analysis_results(f.analysis);
    size_t customers = cvo_customers_count(f.customers);
    for (size_t i = 0; i < customers; i++) {
        reasons[cvo_analysis_no_discount_reason(f.analysis, i)]++;
        tiers[r[i].tier < 8 ? r[i].tier : 7]++;
    }
    static const char *const why[4] = {NULL, " are unlikely to come back",
                                       " would turn unprofitable with a 10% discount",
                                       " buy at full price anyway"};
    char want[128], count[32];
    for (int k = 1; k < 4; k++) {
        report_count(count, sizeof count, reasons[k]);
        snprintf(want, sizeof want, "%s%s", count, why[k]);
        if (reasons[k] > 0 && strstr(li, want) == NULL)
            fail_msg("wants \"%s\" in %s", want, li);
    }
    assert_true(reasons[3] > 0);
    free(li);
    li = action_item(html, "loyalty-tiers");
    for (size_t t = 0; t < cvo_analysis_tier_count(f.analysis); t++) {
        report_count(count, sizeof count, tiers[t]);
        snprintf(want, sizeof want, "%s %s", cvo_analysis_tier_name(f.analysis, t), count);
        if (strstr(li, want) == NULL)
            fail_msg("wants \"%s\" in %s", want, li);
    }
    free(li);
    /* without answers or a history database, the page says what is missing */
    li = action_item(html, "tickets");
    assert_non_null(strstr(li, "No NPS answers were given"));
    assert_null(strstr(li, "data-count"));
    free(li);
    li = action_item(html, "movers");
    assert_non_null(strstr(li, "No history database"));
    free(li);
    free(html);
    fixture_free(&f);
}

/* A store too small for anything: every empty list is said plainly, and so
 * are the empty segments. */
static void test_this_week_zero_counts(void **state)
{
    (void)state;
    fixture f;
    fixture_text(&f, ORDERS_HEADER "1,c1,c1@example.com,2024-01-05,S1,Tea,1,9.00,,,,,,,\n"
                                   "2,c2,c2@example.com,2024-01-06,S1,Tea,1,9.00,,,,,,,\n");
    char *html = render(&f);
    assert_int_equal(list_members(f.analysis, CVO_LIST_WINBACK_DUE), 0);
    char *li = action_item(html, "winback-due");
    assert_non_null(strstr(li, "No customer reached a win-back date this week"));
    free(li);
    static const struct {
        const char *action, *file;
        unsigned bit;
    } lists[] = {{"winback", "lists/winback.csv", CVO_LIST_WINBACK},
                 {"exclude", "lists/exclude.csv", CVO_LIST_EXCLUDE},
                 {"referral", "lists/referral.csv", CVO_LIST_REFERRAL}};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
        expect_action(html, lists[k].action, lists[k].file, list_members(f.analysis, lists[k].bit));
    /* empty segments: no row of zeros, a sentence naming them */
    char *segments = section_text(html, "segments");
    const cvo_segment_row *rows = cvo_analysis_segments(f.analysis);
    size_t n = cvo_scheme_segment_count(cvo_analysis_scheme(f.analysis)), used = 0;
    for (size_t g = 0; g < n; g++)
        used += rows[g].customers > 0;
    assert_true(used < n);
    assert_int_equal(occurrences(segments, "<tr>"), 1 + used);
    assert_non_null(strstr(segments, "<p>No customer is in "));
    free(segments);
    free(html);
    fixture_free(&f);
}

/* ---- e-mail addresses ----------------------------------------------------------------- */

static void test_email_mask(void **state)
{
    (void)state;
    static const char *const cases[][2] = {{"jane@example.com", "j***@example.com"},
                                           {"j@example.com", "j***@example.com"},
                                           {"@example.com", "***@example.com"},
                                           {"a@b@example.com", "a***@example.com"},
                                           {"\xC3\xA9mile@example.fr", "\xC3\xA9***@example.fr"},
                                           {"no-at-sign", "n***"},
                                           {"", ""}};
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        report_email(out, sizeof out, cases[i][0], false);
        assert_string_equal(out, cases[i][1]);
        report_email(out, sizeof out, cases[i][0], true);
        assert_string_equal(out, cases[i][0]);
    }
    report_email(out, 8, "jane@example.com", false); /* cut, never overrun */
    assert_int_equal(strlen(out), 7);
}

/* No customer's address appears in the default report; every one of the top
 * customers appears in full with show_emails. */
static void test_emails_masked_in_report(void **state)
{
    (void)state;
    fixture f;
    fixture_generated(&f, 400, 4);
    char *html = render(&f);
    char *shown = NULL;
    assert_int_equal(cvo_config_set(f.config, "report", "show_emails", "true"), CVO_OK);
    shown = render(&f);
    size_t in_full = 0;
    for (size_t i = 0; i < cvo_customers_count(f.customers); i++) {
        const char *email = cvo_customers_at(f.customers, i)->email;
        char cell[128];
        snprintf(cell, sizeof cell, ">%s<", email);
        if (strstr(html, email) != NULL)
            fail_msg("%s shown in the default report", email);
        in_full += strstr(shown, cell) != NULL;
    }
    assert_int_equal(in_full, 25); /* the top customers' table */
    assert_int_equal(occurrences(html, "***@"), 25);
    free(html);
    free(shown);
    fixture_free(&f);
}

/* ---- history: trend and movers -------------------------------------------------------- */

static void test_report_with_history(void **state)
{
    (void)state;
    fixture f;
    fixture_generated(&f, 600, 11);
    char db[64];
    snprintf(db, sizeof db, "/tmp/cvo_test_report_db_XXXXXX");
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    unlink(db);
    cvo_history *h = NULL;
    assert_int_equal(cvo_history_open(f.ctx, db, &h), CVO_OK);
    /* two earlier runs, a month apart, then this one */
    int32_t as_of = cvo_analysis_as_of(f.analysis);
    for (int k = 2; k >= 1; k--) {
        cvo_customers *then = NULL;
        cvo_analysis *a = NULL;
        assert_int_equal(cvo_customers_as_of(f.ctx, f.customers, as_of - 30 * k, &then), CVO_OK);
        assert_int_equal(cvo_analyze(f.ctx, then, NULL, f.config, &a), CVO_OK);
        cvo_history_record_options o = {1000 + k, NULL, NULL};
        assert_int_equal(cvo_history_record(h, a, &o), CVO_OK);
        cvo_analysis_free(a);
        cvo_customers_free(then);
    }
    cvo_migration *m = NULL;
    cvo_trend *trend = NULL;
    assert_int_equal(cvo_migration_from_analysis(h, f.analysis, &m), CVO_OK);
    assert_int_equal(cvo_history_trend(h, 12, &trend), CVO_OK);
    cvo_report_options options;
    cvo_report_options_init(&options);
    options.migration = m;
    options.trend = trend;
    char *html = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&html, &len);
    assert_int_equal(cvo_write_report_html_options(f.ctx, f.analysis, &options, out), CVO_OK);
    assert_int_equal(fclose(out), 0);
    /* the trend: a row per segment and a total, two sparklines each, three runs */
    char *section = section_text(html, "trend");
    size_t segments = cvo_scheme_segment_count(cvo_analysis_scheme(f.analysis));
    assert_int_equal(occurrences(section, "<svg class=\"spark\""), 2 * (segments + 1));
    assert_non_null(strstr(section, "each of the last 3 runs"));
    assert_non_null(strstr(section, "<tr class=\"total\"><th scope=\"row\">All customers"));
    char total[32], want[64];
    report_count(total, sizeof total, cvo_customers_count(f.customers));
    snprintf(want, sizeof want, "<td class=\"num\">%s</td>", total);
    assert_non_null(strstr(strstr(section, "All customers"), want));
    free(section);
    assert_non_null(strstr(html, "<section id=\"migration\""));
    /* the movers: as lists/movers.csv counts them */
    size_t count = 0, moved = 0;
    const cvo_migration_customer *rows = cvo_migration_customers(m, &count);
    for (size_t i = 0; i < count; i++)
        moved += rows[i].segment_changed || rows[i].r_dropped || rows[i].entered_top ||
                 rows[i].left_top;
    assert_true(moved > 0);
    expect_action(html, "movers", "lists/movers.csv", moved);
    free(html);
    /* no options, or options without anything: the plain report */
    char *plain = render(&f);
    cvo_report_options_init(&options);
    out = open_memstream(&html, &len);
    assert_int_equal(cvo_write_report_html_options(f.ctx, f.analysis, &options, out), CVO_OK);
    assert_int_equal(fclose(out), 0);
    assert_string_equal(html, plain);
    assert_null(strstr(plain, "id=\"trend\""));
    free(html);
    free(plain);
    cvo_trend_free(trend);
    cvo_migration_free(m);
    cvo_history_close(h);
    unlink(db);
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
        cmocka_unit_test(test_this_week_first_with_counts),
        cmocka_unit_test(test_this_week_reasons_and_tiers),
        cmocka_unit_test(test_this_week_zero_counts),
        cmocka_unit_test(test_email_mask),
        cmocka_unit_test(test_emails_masked_in_report),
        cmocka_unit_test(test_report_with_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
