/* test_analyze_nps.c - cvo_analyze_nps on a generated store and its nps.csv,
 * checked against an independent reading of nps.csv: summary.json's nps
 * counts, customers.csv's nps_last / nps_class, and the referral list (every
 * top-segment promoter in, no detractor). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cvo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS 40
#define MAX_EMAILS 4096

/* ---- a tiny CSV reader for the test's own counting ------------------------------ */

/* Splits one line (no embedded newlines) into fields, in place; quotes are
 * removed and doubled quotes undone. Returns the field count. */
static size_t split_csv(char *line, char **fields)
{
    size_t n = 0;
    char *in = line, *out = line;
    while (n < MAX_FIELDS) {
        fields[n++] = out;
        bool quoted = *in == '"';
        in += quoted;
        for (; *in; in++) {
            if (quoted && in[0] == '"' && in[1] == '"')
                *out++ = *in++;
            else if (quoted && *in == '"')
                quoted = false;
            else if (!quoted && *in == ',')
                break;
            else if (*in != '\n' && *in != '\r')
                *out++ = *in;
        }
        bool more = *in == ',';
        *out++ = '\0';
        if (!more)
            break;
        in++;
    }
    return n;
}

static int column(char **fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0)
            return (int)i;
    fail_msg("no column %s", name);
    return -1;
}

/* ---- the independent count of nps.csv ------------------------------------------- */

typedef struct latest {
    char email[128];
    char submitted[40]; /* ISO text sorts like the time it names */
    int score;
    uint64_t answers;
} latest;

typedef struct counted {
    uint64_t classes[3];  /* detractors, passives, promoters */
    uint64_t stage[2][3]; /* pre, post */
    latest last[MAX_EMAILS];
    size_t emails;
} counted;

static int class_of(int score)
{
    return score >= 9 ? 2 : score >= 7 ? 1 : 0;
}

static latest *find_latest(counted *c, const char *email)
{
    for (size_t i = 0; i < c->emails; i++)
        if (strcmp(c->last[i].email, email) == 0)
            return &c->last[i];
    return NULL;
}

static void count_answer(counted *c, char **f, const int *col)
{
    int score = atoi(f[col[1]]);
    int cls = class_of(score);
    c->classes[cls]++;
    if (strcmp(f[col[3]], "pre_delivery") == 0)
        c->stage[0][cls]++;
    else if (strcmp(f[col[3]], "post_delivery") == 0)
        c->stage[1][cls]++;
    latest *l = find_latest(c, f[col[0]]);
    if (l == NULL) {
        assert_true(c->emails < MAX_EMAILS);
        l = &c->last[c->emails++];
        snprintf(l->email, sizeof l->email, "%s", f[col[0]]);
        l->submitted[0] = '\0';
    }
    l->answers++;
    /* the later day wins; on the same day the later line */
    if (strncmp(f[col[2]], l->submitted, 10) >= 0) {
        snprintf(l->submitted, sizeof l->submitted, "%s", f[col[2]]);
        l->score = score;
    }
}

static void count_file(const char *path, counted *c)
{
    memset(c, 0, sizeof *c);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char line[2048], *f[MAX_FIELDS];
    assert_non_null(fgets(line, sizeof line, in));
    size_t n = split_csv(line, f);
    int col[4] = {column(f, n, "email"), column(f, n, "score"), column(f, n, "submitted_at"),
                  column(f, n, "survey")};
    while (fgets(line, sizeof line, in)) {
        n = split_csv(line, f);
        assert_true(n > 3);
        for (char *p = f[col[0]]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        count_answer(c, f, col);
    }
    fclose(in);
}

/* ---- the analysed store -------------------------------------------------------- */

typedef struct store {
    cvo_ctx *ctx;
    char orders[64], nps[64];
    cvo_customers *customers;
    cvo_config *config;
    cvo_analysis *analysis;
} store;

static FILE *temp_file(char *path, size_t size)
{
    snprintf(path, size, "/tmp/cvo_test_nps_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    return f;
}

static void store_open(store *s, uint64_t customers, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(cvo_ctx_new(&s->ctx, NULL), CVO_OK);
    cvo_generate_options g;
    cvo_generate_options_init(&g);
    g.customers = customers;
    g.seed = seed;
    FILE *orders = temp_file(s->orders, sizeof s->orders);
    FILE *nps = temp_file(s->nps, sizeof s->nps);
    assert_int_equal(cvo_generate(s->ctx, &g, orders, NULL, nps), CVO_OK);
    assert_int_equal(fclose(orders), 0);
    assert_int_equal(fclose(nps), 0);
    cvo_load_options o;
    cvo_load_options_init(&o);
    o.path = s->orders;
    o.keep_orders = true;
    cvo_load_stats stats;
    assert_int_equal(cvo_orders_load(s->ctx, &o, &s->customers, &stats), CVO_OK);
    assert_int_equal(cvo_config_new(s->ctx, &s->config), CVO_OK);
    cvo_nps_options n;
    cvo_nps_options_init(&n);
    n.path = s->nps;
    cvo_status status = cvo_analyze_nps(s->ctx, s->customers, &stats, s->config, &n, &s->analysis);
    if (status != CVO_OK)
        fail_msg("cvo_analyze_nps: %s", cvo_ctx_message(s->ctx));
}

static void store_close(store *s)
{
    cvo_analysis_free(s->analysis);
    cvo_config_free(s->config);
    cvo_customers_free(s->customers);
    cvo_ctx_free(s->ctx);
    unlink(s->orders);
    unlink(s->nps);
}

typedef cvo_status (*writer_fn)(cvo_ctx *ctx, const cvo_analysis *a, FILE *out);

/* What fn writes, as a string the caller frees (a tmpfile, not a memstream,
 * so that no pointer into a local escapes). */
static char *write_text(store *s, writer_fn fn)
{
    FILE *out = tmpfile();
    assert_non_null(out);
    assert_int_equal(fn(s->ctx, s->analysis, out), CVO_OK);
    long len = ftell(out);
    assert_true(len >= 0);
    char *text = malloc((size_t)len + 1);
    assert_non_null(text);
    rewind(out);
    assert_int_equal(fread(text, 1, (size_t)len, out), (size_t)len);
    text[len] = '\0';
    fclose(out);
    return text;
}

static cvo_status write_referral(cvo_ctx *ctx, const cvo_analysis *a, FILE *out)
{
    return cvo_write_list(ctx, a, CVO_LIST_REFERRAL, out);
}

/* The integer after "key": inside the object that starts at from. */
static uint64_t json_count(const char *from, const char *key)
{
    char want[64];
    snprintf(want, sizeof want, "\"%s\":", key);
    const char *at = strstr(from, want);
    assert_non_null(at);
    return strtoull(at + strlen(want), NULL, 10);
}

static void assert_group(const char *json, const char *key, const uint64_t *classes)
{
    char want[64];
    snprintf(want, sizeof want, "\"%s\":{", key);
    const char *at = strstr(json, want);
    if (at == NULL)
        fail_msg("summary.json has no %s", key);
    assert_int_equal(json_count(at, "n"), classes[0] + classes[1] + classes[2]);
    assert_int_equal(json_count(at, "promoters"), classes[2]);
    assert_int_equal(json_count(at, "passives"), classes[1]);
    assert_int_equal(json_count(at, "detractors"), classes[0]);
}

/* ---- tests --------------------------------------------------------------------- */

/* The store both checks use, and the independent count of its answers. */
static counted *open_counted(store *s)
{
    store_open(s, 800, 7);
    counted *c = malloc(sizeof *c);
    assert_non_null(c);
    count_file(s->nps, c);
    return c;
}

static void test_summary_counts_match_nps_csv(void **state)
{
    (void)state;
    store s;
    counted *c = open_counted(&s);
    char *json = write_text(&s, cvo_write_summary_json);
    const char *nps = strstr(json, "\"nps\":{");
    assert_non_null(nps);
    uint64_t answers = c->classes[0] + c->classes[1] + c->classes[2];
    assert_true(answers > 0);
    /* joined: the answers whose email is a customer's (generated answers may
     * come from people whose every order was cancelled) */
    uint64_t joined = 0;
    for (size_t i = 0; i < cvo_customers_count(s.customers); i++) {
        const latest *l = find_latest(c, cvo_customers_at(s.customers, i)->email);
        joined += l ? l->answers : 0;
    }
    assert_true(joined > answers * 9 / 10);
    assert_int_equal(json_count(nps, "responses"), answers);
    assert_int_equal(json_count(nps, "joined_customers"), joined);
    assert_group(nps, "overall", c->classes);
    assert_group(nps, "pre_delivery", c->stage[0]);
    assert_group(nps, "post_delivery", c->stage[1]);
    assert_non_null(strstr(nps, "\"by_segment\":{"));
    free(json);
    free(c);
    store_close(&s);
}

static void test_no_answers_gives_null(void **state)
{
    (void)state;
    store s;
    store_open(&s, 200, 3);
    cvo_analysis *plain = NULL;
    assert_int_equal(cvo_analyze(s.ctx, s.customers, NULL, s.config, &plain), CVO_OK);
    assert_null(cvo_analysis_nps(plain));
    cvo_analysis *with = s.analysis;
    s.analysis = plain;
    char *json = write_text(&s, cvo_write_summary_json);
    assert_non_null(strstr(json, "\"nps\":null"));
    free(json);
    char *csv = write_text(&s, cvo_write_customers_csv);
    assert_non_null(strstr(csv, ",nps_last,nps_class,accepts_marketing\n"));
    free(csv);
    s.analysis = with;
    cvo_analysis_free(plain);
    store_close(&s);
}

typedef struct customer_cols {
    int email, segment, referral, last, cls;
} customer_cols;

static bool is_top(const store *s, const char *segment)
{
    const cvo_scheme *scheme = cvo_analysis_scheme(s->analysis);
    return strcmp(segment, cvo_scheme_segment_name(scheme, 0)) == 0 ||
           strcmp(segment, cvo_scheme_segment_name(scheme, 1)) == 0;
}

/* One customers.csv row against the latest answer; counts top promoters. */
static void check_customer(const store *s, const counted *c, char **f, const customer_cols *k,
                           size_t *top_promoters)
{
    const latest *l = find_latest((counted *)c, f[k->email]);
    if (l == NULL) {
        assert_string_equal(f[k->last], "");
        assert_string_equal(f[k->cls], "");
        return;
    }
    assert_int_equal(atoi(f[k->last]), l->score);
    assert_string_equal(f[k->cls], cvo_nps_class_name((cvo_nps_class)class_of(l->score)));
    if (class_of(l->score) == 0)
        assert_string_equal(f[k->referral], "0");
    if (class_of(l->score) == 2 && is_top(s, f[k->segment])) {
        assert_string_equal(f[k->referral], "1");
        (*top_promoters)++;
    }
}

static void test_customers_and_referral_follow_answers(void **state)
{
    (void)state;
    store s;
    counted *c = open_counted(&s);
    char *csv = write_text(&s, cvo_write_customers_csv);
    char *f[MAX_FIELDS], *save = NULL;
    char *line = strtok_r(csv, "\n", &save);
    size_t n = split_csv(line, f);
    customer_cols k = {column(f, n, "email"), column(f, n, "segment"), column(f, n, "referral"),
                       column(f, n, "nps_last"), column(f, n, "nps_class")};
    assert_int_equal(k.cls, (int)n - 2); /* the NPS columns come last but consent */
    size_t top_promoters = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        assert_int_equal(split_csv(line, f), n);
        check_customer(&s, c, f, &k, &top_promoters);
    }
    free(csv);
    assert_true(top_promoters > 0);
    /* the referral list: no detractor, every top promoter with its reason */
    char *list = write_text(&s, write_referral);
    size_t promoters_listed = 0;
    line = strtok_r(list, "\n", &save);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        promoters_listed += strstr(line, "promoter in ") != NULL;
        split_csv(line, f);
        const latest *l = find_latest(c, f[0]);
        assert_true(l == NULL || class_of(l->score) != 0);
    }
    assert_true(promoters_listed >= top_promoters);
    free(list);
    free(c);
    store_close(&s);
}

static void test_bad_answers_file_fails(void **state)
{
    (void)state;
    store s;
    store_open(&s, 200, 3);
    cvo_nps_options n;
    cvo_nps_options_init(&n);
    n.path = "/nonexistent/nps.csv";
    cvo_analysis *a = NULL;
    assert_int_equal(cvo_analyze_nps(s.ctx, s.customers, NULL, s.config, &n, &a), CVO_ERR_IO);
    assert_null(a);
    store_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_counts_match_nps_csv),
        cmocka_unit_test(test_no_answers_gives_null),
        cmocka_unit_test(test_customers_and_referral_follow_answers),
        cmocka_unit_test(test_bad_answers_file_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
