/* test_gorgias.c - cvo_write_gorgias_tickets: on a generated store every
 * top-segment customer whose latest answer in nps.csv (read here, independently)
 * is a detractor younger than [gorgias] max_answer_age_days has exactly one ticket
 * and nobody else has one; the customer's words are the customer's message and
 * cvo's words an internal note; no e-mail in an external_id; channel, tags and
 * team from the config; every line is JSON; hostile emails are escaped; bad
 * arguments are refused. */
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
#include "output/gorgias.h"

typedef struct fixture {
    char dir[64], orders[96], nps[96];
    cvo_ctx *ctx;
    cvo_config *config;
    cvo_customers *customers;
    cvo_analysis *analysis;
    cvo_nps *answers;
    char *tickets;
    size_t tickets_len;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cvo-test-gorgias-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->orders, sizeof f->orders, "%s/orders.csv", f->dir);
    snprintf(f->nps, sizeof f->nps, "%s/nps.csv", f->dir);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    *state = f;
    return 0;
}

static void analysis_free(fixture *f)
{
    cvo_nps_free(f->answers);
    cvo_analysis_free(f->analysis);
    cvo_config_free(f->config);
    cvo_customers_free(f->customers);
    f->answers = NULL;
    f->analysis = NULL;
    f->config = NULL;
    f->customers = NULL;
}

static int teardown(void **state)
{
    fixture *f = *state;
    analysis_free(f);
    free(f->tickets);
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
    assert_true(fputs(text, out) >= 0);
    assert_int_equal(fclose(out), 0);
}

/* Loads orders and answers, analyses with [segments] top = top (NULL: default). */
static void analyse(fixture *f, const char *top)
{
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = f->orders;
    o.keep_orders = true;
    cvo_load_stats stats;
    assert_int_equal(cvo_orders_load(f->ctx, &o, &f->customers, &stats), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    if (top != NULL)
        assert_int_equal(cvo_config_set(f->config, "segments", "top", top), CVO_OK);
    if (cvo_analyze(f->ctx, f->customers, &stats, f->config, &f->analysis) != CVO_OK)
        fail_msg("cvo_analyze: %s", cvo_ctx_message(f->ctx));
    cvo_nps_options n;
    cvo_nps_options_init(&n);
    n.path = f->nps;
    n.customers = f->customers;
    assert_int_equal(cvo_nps_load(f->ctx, &n, &f->answers, NULL), CVO_OK);
}

static void write_tickets(fixture *f)
{
    free(f->tickets);
    f->tickets = NULL;
    FILE *out = open_memstream(&f->tickets, &f->tickets_len);
    assert_non_null(out);
    assert_int_equal(cvo_write_gorgias_tickets(f->ctx, f->analysis, f->answers, out), CVO_OK);
    assert_int_equal(fclose(out), 0);
}

/* ---- a small strict JSON checker ----------------------------------------------- */

static const char *json_value(const char *p, int depth);

static const char *json_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    for (; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p != '\\')
            continue;
        p++;
        if (*p == 'u') {
            for (int i = 1; i <= 4; i++)
                if (!strchr("0123456789abcdefABCDEF", p[i]) || p[i] == '\0')
                    return NULL;
            p += 4;
        } else if (*p == '\0' || !strchr("\"\\/bfnrt", *p)) {
            return NULL;
        }
    }
    return p + 1;
}

static const char *json_container(const char *p, int depth, char close, bool keyed)
{
    p = json_space(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (keyed) {
            if ((p = json_string(p)) == NULL || *(p = json_space(p)) != ':')
                return NULL;
            p = json_space(p + 1);
        }
        if ((p = json_value(p, depth + 1)) == NULL)
            return NULL;
        p = json_space(p);
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = json_space(p + 1);
    }
}

static const char *json_value(const char *p, int depth)
{
    if (depth > 32)
        return NULL;
    if (*p == '{')
        return json_container(p, depth, '}', true);
    if (*p == '[')
        return json_container(p, depth, ']', false);
    if (*p == '"')
        return json_string(p);
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++)
        if (strncmp(p, words[i], strlen(words[i])) == 0)
            return p + strlen(words[i]);
    const char *start = p;
    p += *p == '-';
    while (*p >= '0' && *p <= '9')
        p++;
    return p > start ? p : NULL;
}

static bool json_line_ok(const char *line)
{
    const char *end = json_value(json_space(line), 0);
    return end != NULL && *json_space(end) == '\0';
}

/* ---- the expectation, from nps.csv -------------------------------------------- */

/* Latest answer of each email: latest day, then the later line. */
typedef struct answer {
    char email[64];
    char day[11];
    int score;
} answer;

static size_t read_latest(const char *path, answer *all, size_t cap)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char line[4096];
    size_t count = 0;
    assert_non_null(fgets(line, sizeof line, in)); /* header */
    while (fgets(line, sizeof line, in) != NULL) {
        char *score = strchr(line, ',') + 1, *date = strchr(score, ',') + 1;
        *(score - 1) = '\0';
        size_t i = 0;
        while (i < count && strcmp(all[i].email, line) != 0)
            i++;
        if (i == count) {
            assert_true(count < cap && strlen(line) < sizeof all[i].email);
            all[count++] = (answer){.score = -1};
            memcpy(all[i].email, line, strlen(line) + 1);
        }
        if (all[i].score < 0 || strncmp(date, all[i].day, 10) >= 0) {
            memcpy(all[i].day, date, 10);
            all[i].score = (int)strtol(score, NULL, 10);
        }
    }
    fclose(in);
    return count;
}

/* Tickets whose customer email is email. */
static int tickets_for(const fixture *f, const char *email)
{
    char needle[128];
    snprintf(needle, sizeof needle, "\"customer\":{\"email\":\"%.63s\"}", email);
    int n = 0;
    for (const char *p = f->tickets; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static size_t customer_of(const cvo_customers *customers, const char *email)
{
    for (size_t i = 0; i < cvo_customers_count(customers); i++)
        if (strcmp(cvo_customers_at(customers, i)->email, email) == 0)
            return i;
    return SIZE_MAX;
}

static size_t check_lines(const fixture *f)
{
    size_t lines = 0;
    char *copy = strdup(f->tickets);
    assert_non_null(copy);
    for (char *line = strtok(copy, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (!json_line_ok(line))
            fail_msg("not JSON: %s", line);
        assert_non_null(strstr(line, "{\"external_id\":\"cvo-nps-"));
        char *key_end = strchr(line + 16, '"');
        assert_int_equal(key_end - (line + 16), 8 + 24 + 1 + 8); /* cvo-nps-HASH-YYYYMMDD */
        assert_null(memchr(line, '@', (size_t)(key_end - line)));
        assert_non_null(strstr(line, "\"tags\":[{\"name\":\"cvo\"},{\"name\":\"vip-detractor\"}]"));
        assert_non_null(strstr(line, "\"messages\":[{\"channel\":\"api\",\"via\":\"api\","
                                     "\"from_agent\":false,\"sender\":{\"email\":"));
        assert_non_null(strstr(line, "{\"channel\":\"internal-note\",\"via\":\"api\","
                                     "\"from_agent\":true,\"public\":false"));
        assert_non_null(strstr(line, "Written by cvo, not by the customer."));
        assert_non_null(strstr(line, "What to do: "));
        assert_non_null(strstr(line, "\"subject\":\"NPS "));
        lines++;
    }
    free(copy);
    return lines;
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
    analyse(f, NULL);
    write_tickets(f);

    static answer all[4000];
    size_t count = read_latest(f->nps, all, 4000);
    const cvo_score *scores = cvo_rfm_scores(cvo_analysis_rfm(f->analysis));
    int32_t as_of = cvo_analysis_as_of(f->analysis);
    size_t expected = 0, top_answers = 0, too_old = 0;
    for (size_t i = 0; i < count; i++) {
        size_t c = customer_of(f->customers, all[i].email);
        bool top = c != SIZE_MAX && scores[c].segment < 2; /* default: the scheme's first two */
        int32_t day = 0;
        assert_true(cvo_day_parse(all[i].day, &day));
        bool young = as_of - day < 90; /* [gorgias] max_answer_age_days */
        top_answers += top;
        too_old += top && all[i].score <= 6 && !young;
        int want = top && all[i].score <= 6 && young;
        expected += (size_t)want;
        if (tickets_for(f, all[i].email) != want)
            fail_msg("%s: %d tickets, want %d", all[i].email, tickets_for(f, all[i].email), want);
    }
    assert_true(top_answers > 0);
    assert_true(expected > 0); /* the store must hold the case under test */
    assert_true(too_old > 0);  /* and detractors too old for a ticket */
    assert_int_equal(check_lines(f), expected);
}

/* Every segment top: only the scores and the answers' age decide. */
static void analyse_all_top(fixture *f)
{
    analyse(f, NULL);
    const cvo_scheme *scheme = cvo_analysis_scheme(f->analysis);
    char top[2048] = "";
    for (size_t g = 0; g < cvo_scheme_segment_count(scheme); g++) {
        size_t used = strlen(top);
        snprintf(top + used, sizeof top - used, "%s%s", g ? "," : "",
                 cvo_scheme_segment_name(scheme, g));
    }
    analysis_free(f);
    analyse(f, top);
}

/* An email with a quote and a backslash, in a top segment, answers 2. */
static void test_escaping(void **state)
{
    fixture *f = *state;
    write_text(f->orders, "order_id,customer_id,email,order_date,total\n"
                          "1,,\"o\"\"brien\\x@example.com\",2025-01-10,120.00\n"
                          "2,,\"o\"\"brien\\x@example.com\",2025-03-10,80.00\n"
                          "3,,calm@example.com,2025-02-01,40.00\n");
    write_text(f->nps,
               "email,score,submitted_at,survey,comment\n"
               "\"o\"\"brien\\x@example.com\",9,2025-03-01,post_delivery,ok\n"
               "\"o\"\"brien\\x@example.com\",2,2025-03-12,post_delivery,\"bad, \"\"very\"\"\"\n"
               "calm@example.com,3,2025-01-01,post_delivery,late\n"
               "calm@example.com,10,2025-02-05,post_delivery,great\n");
    analyse_all_top(f); /* only the scores decide */
    write_tickets(f);
    assert_int_equal(check_lines(f), 1);
    assert_non_null(strstr(f->tickets, "\"customer\":{\"email\":\"o\\\"brien\\\\x@example.com\"}"));
    assert_non_null(strstr(f->tickets, "\"sender\":{\"email\":\"o\\\"brien\\\\x@example.com\"}"));
    assert_non_null(strstr(f->tickets, "-20250312\",\"channel\":\"api\""));
    /* the customer's own words, escaped, are their message */
    assert_non_null(strstr(f->tickets, "\"body_text\":\"bad, \\\"very\\\"\"}"));
    assert_non_null(strstr(f->tickets, "NPS survey with 2 (a detractor) on 2025-03-12"));
    assert_null(strstr(f->tickets, "calm@example.com"));
}

/* [gorgias] max_answer_age_days, channel, tags and assignee_team_id; an answer
 * without a comment; gorgias_ticket_due agrees with the file. */
static void test_config_age_and_no_comment(void **state)
{
    fixture *f = *state;
    write_text(f->orders, "order_id,customer_id,email,order_date,total\n"
                          "1,,old@example.com,2025-01-10,120.00\n"
                          "2,,old@example.com,2025-03-10,80.00\n"
                          "3,,new@example.com,2025-01-12,40.00\n"
                          "4,,new@example.com,2025-03-09,40.00\n");
    write_text(f->nps, "email,score,submitted_at,survey,comment\n"
                       "old@example.com,3,2025-02-15,post_delivery,slow\n"
                       "new@example.com,4,2025-03-08,post_delivery,\n");
    analyse_all_top(f);
    write_tickets(f);
    assert_int_equal(check_lines(f), 2); /* both younger than the default 90 days */
    assert_int_equal(cvo_config_set(f->config, "gorgias", "max_answer_age_days", "10"), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "gorgias", "channel", "email"), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "gorgias", "tags", "cvo, nps-low"), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "gorgias", "assignee_team_id", "7"), CVO_OK);
    write_tickets(f);
    size_t due = 0;
    for (size_t i = 0; i < cvo_customers_count(f->customers); i++)
        due += gorgias_ticket_due(f->analysis, f->answers, i);
    assert_int_equal(due, 1);
    assert_int_equal(tickets_for(f, "new@example.com"), 1);
    assert_int_equal(tickets_for(f, "old@example.com"), 0);
    assert_non_null(strstr(f->tickets, "\"body_text\":\"(NPS 4, no comment)\"}"));
    assert_non_null(strstr(f->tickets, "\"channel\":\"email\",\"via\":\"api\""));
    assert_non_null(strstr(f->tickets, "\"tags\":[{\"name\":\"cvo\"},{\"name\":\"nps-low\"}]"));
    assert_non_null(strstr(f->tickets, "\"assignee_team\":{\"id\":7}"));
    assert_non_null(strstr(f->tickets, "without a comment."));
    /* the customer key's hash under another key is another external_id */
    char first[64];
    snprintf(first, sizeof first, "%.41s", f->tickets + 16);
    cvo_id_key key;
    memset(&key, 9, sizeof key);
    cvo_export_options o;
    cvo_export_options_init(&o);
    o.id_key = &key;
    char *other = NULL;
    size_t other_len = 0;
    FILE *out = open_memstream(&other, &other_len);
    assert_int_equal(cvo_write_gorgias_tickets_with(f->ctx, f->analysis, f->answers, &o, out),
                     CVO_OK);
    assert_int_equal(fclose(out), 0);
    assert_null(strstr(other, first));
    char customer[KEYED_HEX + 1];
    assert_true(gorgias_key_customer(first, customer));
    assert_false(gorgias_key_customer("cvo-nps-someone@example.com-20250308", customer));
    free(other);
}

static void test_arguments(void **state)
{
    fixture *f = *state;
    assert_int_equal(cvo_write_gorgias_tickets(NULL, NULL, NULL, stdout), CVO_ERR_ARGUMENT);
    assert_int_equal(cvo_write_gorgias_tickets(f->ctx, NULL, NULL, stdout), CVO_ERR_ARGUMENT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "no analysis"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generated_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_age_and_no_comment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
