/* test_config.c - the analyze configuration: defaults, loading over them, every
 * error with its line, cvo_config_set, quoting, lists, the defaults file read
 * back, and the table of docs/config.md (regenerate it with
 * CVO_PRINT_CONFIG=1 build/tests/test_config). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "analysis/config.h"
#include "base/limits.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

typedef struct fixture {
    cvo_ctx *ctx;
    cvo_config *config;
    char path[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(cvo_ctx_new(&f->ctx, NULL), CVO_OK);
    assert_int_equal(cvo_config_new(f->ctx, &f->config), CVO_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cvo_config_free(f->config);
    cvo_ctx_free(f->ctx);
    if (f->path[0])
        unlink(f->path);
    free(f);
    return 0;
}

/* Writes len bytes of text to a fresh temporary file, f->path. */
static void write_file(fixture *f, const char *text, size_t len)
{
    if (f->path[0])
        unlink(f->path);
    strcpy(f->path, "/tmp/test_config_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(text, 1, len, file), len);
    assert_int_equal(fclose(file), 0);
}

static cvo_status load_text(fixture *f, const char *text)
{
    write_file(f, text, strlen(text));
    return cvo_config_load(f->config, f->path);
}

static const char *text_of(fixture *f, const char *section, const char *key)
{
    const char *value = cvo_config_text(f->config, section, key);
    assert_non_null(value);
    return value;
}

static void assert_all_defaults(fixture *f)
{
    for (size_t i = 0; i < config_key_count(); i++) {
        const config_key *key = config_key_at(i);
        assert_string_equal(text_of(f, key->section, key->key), key->default_value);
    }
}

/* ---- defaults ---------------------------------------------------------------- */

static void test_defaults(void **state)
{
    fixture *f = *state;
    assert_all_defaults(f);
    assert_null(config_key_at(config_key_count()));
    assert_string_equal(text_of(f, "scoring", "scheme"), "relationship");
    assert_string_equal(text_of(f, "model", "currency"), "");
    assert_string_equal(text_of(f, "klaviyo", "revision"), "2026-07-15");
    assert_string_equal(text_of(f, "report", "title"), "Customer value report");
    assert_true(cvo_config_number(f->config, "scoring", "levels") == 5);
    assert_true(cvo_config_number(f->config, "model", "annual_discount") == 0.10);
    assert_true(cvo_config_number(f->config, "model", "horizon_months") == 12);
    assert_true(cvo_config_number(f->config, "lists", "exclude_worst_cell") == 1);
    assert_true(cvo_config_number(f->config, "klaviyo", "profiles_per_job") == 10000);
    assert_true(isnan(cvo_config_number(f->config, "scoring", "scheme")));
    assert_true(isnan(cvo_config_number(f->config, "segments", "top")));
    assert_true(isnan(cvo_config_number(f->config, "model", "nothing")));
    assert_null(cvo_config_text(f->config, "nothing", "levels"));
    assert_null(cvo_config_text(f->config, "scoring", NULL));
    cvo_config_free(NULL);
}

/* Every default passes its own key's checks (cvo_config_set of each). */
static void test_defaults_are_valid(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < config_key_count(); i++) {
        const config_key *key = config_key_at(i);
        assert_non_null(key->doc);
        assert_null(strchr(key->doc, '|')); /* safe in a Markdown table */
        if (cvo_config_set(f->config, key->section, key->key, key->default_value) != CVO_OK)
            fail_msg("%s", cvo_ctx_message(f->ctx));
    }
}

/* ---- loading ------------------------------------------------------------------ */

static void test_load_overrides(void **state)
{
    fixture *f = *state;
    const char *text = "\xEF\xBB\xBF# a comment\r\n"
                       "; another\n"
                       "\n"
                       "  [ scoring ]  # trailing comment\n"
                       "scheme=classic\n"
                       "  levels   =   4   ; four\n"
                       "[model]\n"
                       "annual_discount = 1e-1\n"
                       "horizon_months = 6.5\r\n"
                       "currency = EUR\n"
                       "[lists]\n"
                       "exclude_worst_cell = false\n"
                       "interview_seed = +42\n"
                       "[report]\n"
                       "title = Q1#1 report # the '#' inside a word stays\n"
                       "[scoring]\n"
                       "ties = ntile";
    assert_int_equal(load_text(f, text), CVO_OK);
    assert_string_equal(text_of(f, "scoring", "scheme"), "classic");
    assert_true(cvo_config_number(f->config, "scoring", "levels") == 4);
    assert_string_equal(text_of(f, "scoring", "ties"), "ntile");
    assert_true(cvo_config_number(f->config, "model", "annual_discount") == 0.1);
    assert_true(cvo_config_number(f->config, "model", "horizon_months") == 6.5);
    assert_string_equal(text_of(f, "model", "currency"), "EUR");
    assert_true(cvo_config_number(f->config, "lists", "exclude_worst_cell") == 0);
    assert_true(cvo_config_number(f->config, "lists", "interview_seed") == 42);
    assert_string_equal(text_of(f, "report", "title"), "Q1#1 report");
    /* keys the file does not name keep their values */
    assert_string_equal(text_of(f, "model", "period"), "week");
    /* a second file goes over the first */
    assert_int_equal(load_text(f, "[scoring]\nlevels = 3\n"), CVO_OK);
    assert_true(cvo_config_number(f->config, "scoring", "levels") == 3);
    assert_string_equal(text_of(f, "scoring", "scheme"), "classic");
    assert_int_equal(load_text(f, ""), CVO_OK);
    assert_int_equal(load_text(f, "# only comments\n\n   \n"), CVO_OK);
}

typedef struct error_case {
    const char *text;
    const char *message; /* after "path:" */
} error_case;

static const error_case error_cases[] = {
    {"[scoring]\n\n[colors]\n", "3: unknown section [colors] (expected one of scoring, model, "
                                "orders, churn, segments, lists, holdout, experiment, loyalty, "
                                "profit, nps, dive, klaviyo, push, gorgias, shopify, privacy, "
                                "report, safety)"},
    {"[model]\nhorizon = 3\n",
     "2: unknown key 'horizon' in [model] (expected one of period, horizon_months, "
     "annual_discount, currency, backtest_holdout_share, purchase_model, "
     "seasonality)"},
    {"[model]\npurchase_model = gamma\n",
     "2: model.purchase_model: must be one of auto, bgnbd, mbgnbd, pnbd, not 'gamma'"},
    {"[scoring]\nlevels = 4\n# again\nlevels = 3\n",
     "4: scoring.levels: duplicate key, already set on line 2"},
    {"[scoring]\nlevels = 4\n[model]\n[scoring]\nlevels = 4\n",
     "5: scoring.levels: duplicate key, already set on line 2"},
    {"levels = 4\n", "1: key 'levels' before any [section]"},
    {"[scoring]\nlevels\n", "2: expected 'key = value' or '[section]'"},
    {"[scoring]\n = 4\n", "2: missing key before '='"},
    {"[scoring\n", "1: missing ']' in section header"},
    {"[scoring] levels = 4\n", "1: text after ']' in section header"},
    {"[scoring]\nlevels = 7\n", "2: scoring.levels: must be an integer from 3 to 5, not '7'"},
    {"[scoring]\nlevels = 4.0\n", "2: scoring.levels: must be an integer from 3 to 5, not '4.0'"},
    {"[scoring]\nlevels =\n", "2: scoring.levels: must be an integer from 3 to 5, not ''"},
    {"[scoring]\nscheme = rfm\n",
     "2: scoring.scheme: must be one of relationship, classic, klaviyo, not 'rfm'"},
    {"[scoring]\nties = Equal\n", "2: scoring.ties: must be one of equal, ntile, not 'Equal'"},
    {"[model]\nperiod = year\n", "2: model.period: must be one of day, week, month, not 'year'"},
    {"[model]\nhorizon_months = 0\n",
     "2: model.horizon_months: must be a number > 0 and <= 120, not '0'"},
    {"[model]\nhorizon_months = 121\n",
     "2: model.horizon_months: must be a number > 0 and <= 120, not '121'"},
    {"[model]\nhorizon_months = twelve\n",
     "2: model.horizon_months: must be a number > 0 and <= 120, not 'twelve'"},
    {"[model]\nannual_discount = 10\n",
     "2: model.annual_discount: must be a number >= 0 and < 10, not '10'"},
    {"[model]\nannual_discount = inf\n",
     "2: model.annual_discount: must be a number >= 0 and < 10, not 'inf'"},
    {"[model]\nannual_discount = nan\n",
     "2: model.annual_discount: must be a number >= 0 and < 10, not 'nan'"},
    {"[model]\nannual_discount = 0x1\n",
     "2: model.annual_discount: must be a number >= 0 and < 10, not '0x1'"},
    {"[model]\nannual_discount = .\n",
     "2: model.annual_discount: must be a number >= 0 and < 10, not '.'"},
    {"[model]\nannual_discount = 1e\n",
     "2: model.annual_discount: must be a number >= 0 and < 10, not '1e'"},
    {"[model]\ncurrency = usd\n",
     "2: model.currency: must be three upper-case letters (an ISO 4217 code), or empty, not 'usd'"},
    {"[model]\ncurrency = EURO\n",
     "2: model.currency: must be three upper-case letters (an ISO 4217 code), or empty, not 'EURO'"},
    {"[model]\nbacktest_holdout_share = 1\n",
     "2: model.backtest_holdout_share: must be a number > 0 and < 1, not '1'"},
    {"[churn]\nhigh_below = 1.5\n", "2: churn.high_below: must be a number from 0 to 1, not '1.5'"},
    {"[churn]\nlow_from = 0.2\n", "2: churn.low_from (0.2) must be >= churn.high_below (0.3)"},
    {"[churn]\nlow_from = 0.5\nhigh_below = 0.6\n# end\n",
     "3: churn.low_from (0.5) must be >= churn.high_below (0.6)"},
    {"[segments]\ntop = Champions,,Loyal\n",
     "2: segments.top: must be a comma-separated list of names, or empty, not 'Champions,,Loyal'"},
    {"[segments]\ntop = Champions, \n",
     "2: segments.top: must be a comma-separated list of names, or empty, not 'Champions,'"},
    {"[lists]\nexclude_worst_cell = yes\n",
     "2: lists.exclude_worst_cell: must be true or false, not 'yes'"},
    {"[lists]\nexclude_after_days = 0\n",
     "2: lists.exclude_after_days: must be an integer >= 1, not '0'"},
    {"[lists]\nexclude_after_days = 99999999999999999999\n",
     "2: lists.exclude_after_days: must be an integer >= 1, not '99999999999999999999'"},
    {"[lists]\ninterview_seed = -1\n",
     "2: lists.interview_seed: must be an integer >= 0, not '-1'"},
    {"[lists]\ninterview_size = 10001\n",
     "2: lists.interview_size: must be an integer from 0 to 10000, not '10001'"},
    {"[lists]\nvip_share = 0\n", "2: lists.vip_share: must be a number > 0 and <= 1, not '0'"},
    {"[loyalty]\ngold_name = \"\"\n", "2: loyalty.gold_name: must be non-empty text, not ''"},
    {"[klaviyo]\nrevision = 2026-02-30\n",
     "2: klaviyo.revision: must be a date YYYY-MM-DD, not '2026-02-30'"},
    {"[klaviyo]\nrevision = 20260715\n",
     "2: klaviyo.revision: must be a date YYYY-MM-DD, not '20260715'"},
    {"[klaviyo]\nprofiles_per_job = 10001\n",
     "2: klaviyo.profiles_per_job: must be an integer from 1 to 10000, not '10001'"},
    {"[report]\ntitle = \"open\n", "2: report.title: unterminated quoted value"},
    {"[report]\ntitle = \"a\" b\n", "2: report.title: text after the closing quote"},
    {"[report]\ntitle = \"a\tb\"\n", "2: report.title: must be non-empty text, not 'a\tb'"},
    {"[report]\ntop_customers = 0\n",
     "2: report.top_customers: must be an integer from 1 to 1000, not '0'"},
};

static void test_load_errors(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        cvo_status status = load_text(f, error_cases[i].text);
        char expected[1024];
        snprintf(expected, sizeof expected, "%s:%s", f->path, error_cases[i].message);
        if (status != CVO_ERR_CONFIG || strcmp(cvo_ctx_message(f->ctx), expected) != 0)
            fail_msg("case %zu: status %d, message\n  %s\nexpected\n  %s", i, (int)status,
                     cvo_ctx_message(f->ctx), expected);
    }
    /* no failed load changed a value */
    assert_all_defaults(f);
}

/* A failing line late in a file leaves the values of earlier lines unapplied. */
static void test_load_is_all_or_nothing(void **state)
{
    fixture *f = *state;
    assert_int_equal(load_text(f, "[scoring]\nlevels = 3\nscheme = classic\nties = none\n"),
                     CVO_ERR_CONFIG);
    assert_string_equal(text_of(f, "scoring", "levels"), "5");
    assert_string_equal(text_of(f, "scoring", "scheme"), "relationship");
}

static void test_load_file_errors(void **state)
{
    fixture *f = *state;
    assert_int_equal(cvo_config_load(f->config, "/nonexistent/cvo.ini"), CVO_ERR_IO);
    assert_string_equal(cvo_ctx_message(f->ctx),
                        "/nonexistent/cvo.ini: cannot open: No such file or directory");
    size_t big = (size_t)CVO_MAX_CONFIG_BYTES + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, '\n', big);
    write_file(f, text, big);
    free(text);
    assert_int_equal(cvo_config_load(f->config, f->path), CVO_ERR_LIMIT);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), f->path));
    write_file(f, "[scoring]\nlevels = 4\0\n", 22);
    assert_int_equal(cvo_config_load(f->config, f->path), CVO_ERR_CONFIG);
    char expected[128];
    snprintf(expected, sizeof expected, "%s:2: NUL byte", f->path);
    assert_string_equal(cvo_ctx_message(f->ctx), expected);
    /* exactly the cap is fine */
    text = malloc(big - 1);
    assert_non_null(text);
    memset(text, ' ', big - 1);
    write_file(f, text, big - 1);
    free(text);
    assert_int_equal(cvo_config_load(f->config, f->path), CVO_OK);
}

/* ---- cvo_config_set --------------------------------------------------------------- */

static void expect_set_error(fixture *f, const char *section, const char *key, const char *value,
                             const char *message)
{
    assert_int_equal(cvo_config_set(f->config, section, key, value), CVO_ERR_CONFIG);
    assert_string_equal(cvo_ctx_message(f->ctx), message);
}

static void test_set(void **state)
{
    fixture *f = *state;
    assert_int_equal(cvo_config_set(f->config, "model", "horizon_months", "24"), CVO_OK);
    assert_true(cvo_config_number(f->config, "model", "horizon_months") == 24);
    assert_int_equal(cvo_config_set(f->config, "report", "title", "  \"My, report\"  "), CVO_OK);
    assert_string_equal(text_of(f, "report", "title"), "My, report");
    assert_int_equal(cvo_config_set(f->config, "report", "title", "  no # comment here "), CVO_OK);
    assert_string_equal(text_of(f, "report", "title"), "no # comment here");
    expect_set_error(f, "scoring", "levels", "6",
                     "scoring.levels: must be an integer from 3 to 5, not '6'");
    expect_set_error(f, "scoring", "colour", "red",
                     "scoring.colour: unknown key (expected one of scheme, segment_map, levels, "
                     "ties)");
    expect_set_error(f, "colours", "levels", "4",
                     "colours.levels: unknown section (expected one of scoring, model, orders, churn, "
                     "segments, lists, holdout, experiment, loyalty, profit, nps, dive, klaviyo, "
                     "push, gorgias, shopify, privacy, report, safety)");
    expect_set_error(f, "churn", "high_below", "0.8",
                     "churn.high_below: churn.low_from (0.7) must be >= churn.high_below (0.8)");
    expect_set_error(f, "report", "title", "\"a", "report.title: unterminated quoted value");
    expect_set_error(f, "report", "title", "a\nb",
                     "report.title: must be non-empty text, not 'a\nb'");
    expect_set_error(f, "report", "title", NULL, "report.title: no value");
    /* order matters across keys: raise low_from first */
    assert_int_equal(cvo_config_set(f->config, "churn", "low_from", "0.9"), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "churn", "high_below", "0.8"), CVO_OK);
    assert_int_equal(cvo_config_set(f->config, "churn", "low_from", "0.8"), CVO_OK);
    assert_string_equal(text_of(f, "scoring", "levels"), "5");
}

/* ---- quoting and lists ------------------------------------------------------------ */

static void test_quoting(void **state)
{
    fixture *f = *state;
    const char *text = "[report]\n"
                       "title = \"  Spaced, with # and ; and \\\"quotes\\\" \\\\ \"  # comment\n"
                       "[klaviyo]\n"
                       "list_id = \"\"\n"
                       "[scoring]\n"
                       "segment_map = \"/maps/my map.csv\"\n"
                       "[loyalty]\n"
                       "gold_name = \"Gold; Plus\"\n"
                       "silver_name = Silver \"Star\"\n"
                       "bronze_name = a\\b\n";
    assert_int_equal(load_text(f, text), CVO_OK);
    assert_string_equal(text_of(f, "report", "title"), "  Spaced, with # and ; and \"quotes\" \\ ");
    assert_string_equal(text_of(f, "klaviyo", "list_id"), "");
    assert_string_equal(text_of(f, "scoring", "segment_map"), "/maps/my map.csv");
    assert_string_equal(text_of(f, "loyalty", "gold_name"), "Gold; Plus");
    assert_string_equal(text_of(f, "loyalty", "silver_name"), "Silver \"Star\"");
    assert_string_equal(text_of(f, "loyalty", "bronze_name"), "a\\b");
}

/* config_write_value writes what the reader reads back as the same text. */
static void test_write_value_round_trip(void **state)
{
    fixture *f = *state;
    static const char *const titles[] = {"plain", " lead",       "trail ", "a#b", "a #b", "x;y",
                                         "\"q\"", "back\\slash", "a, b",   "\"",  "\\"};
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
        char text[256];
        FILE *out = fmemopen(text, sizeof text, "w");
        assert_non_null(out);
        assert_true(fputs("[report]\ntitle = ", out) >= 0);
        assert_true(config_write_value(out, titles[i]));
        assert_int_equal(fclose(out), 0);
        if (load_text(f, text) != CVO_OK)
            fail_msg("'%s': %s", titles[i], cvo_ctx_message(f->ctx));
        assert_string_equal(text_of(f, "report", "title"), titles[i]);
    }
}

static void test_lists(void **state)
{
    fixture *f = *state;
    assert_false(cvo_config_has(f->config, "segments", "top", ""));
    assert_false(cvo_config_has(f->config, "segments", "top", "Champions"));
    assert_int_equal(load_text(f, "[segments]\ntop =  Champions , Loyal Customers,At Risk\n"
                                  "[loyalty]\nsilver_segments = \"  \"\n"),
                     CVO_OK);
    /* stored as trimmed items joined by ',': a list is empty exactly when its text is */
    assert_string_equal(text_of(f, "segments", "top"), "Champions,Loyal Customers,At Risk");
    assert_string_equal(text_of(f, "loyalty", "silver_segments"), "");
    assert_true(cvo_config_has(f->config, "segments", "top", "Champions"));
    assert_true(cvo_config_has(f->config, "segments", "top", "Loyal Customers"));
    assert_true(cvo_config_has(f->config, "segments", "top", "At Risk"));
    assert_false(cvo_config_has(f->config, "segments", "top", "Loyal"));
    assert_false(cvo_config_has(f->config, "segments", "top", "champions"));
    assert_false(cvo_config_has(f->config, "segments", "top", ""));
    assert_false(cvo_config_has(f->config, "segments", "top", NULL));
    assert_false(cvo_config_has(f->config, "loyalty", "silver_segments", ""));
    assert_false(cvo_config_has(f->config, "report", "title", "Customer value report"));
    assert_false(cvo_config_has(f->config, "segments", "none", "Champions"));
    assert_int_equal(cvo_config_set(f->config, "loyalty", "gold_segments", " Champions ,VIP"),
                     CVO_OK);
    assert_string_equal(text_of(f, "loyalty", "gold_segments"), "Champions,VIP");
    assert_true(cvo_config_has(f->config, "loyalty", "gold_segments", "Champions"));
    assert_true(cvo_config_has(f->config, "loyalty", "gold_segments", "VIP"));
    assert_int_equal(cvo_config_set(f->config, "loyalty", "gold_segments", "\" \""), CVO_OK);
    assert_string_equal(text_of(f, "loyalty", "gold_segments"), "");
}

/* ---- the defaults file ------------------------------------------------------------ */

static char *defaults_text(cvo_ctx *ctx, size_t *len)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    assert_non_null(out);
    assert_int_equal(cvo_config_write_defaults(ctx, out), CVO_OK);
    assert_int_equal(fclose(out), 0);
    return text;
}

static void test_write_defaults_round_trip(void **state)
{
    fixture *f = *state;
    /* move every value away from its default first */
    assert_int_equal(load_text(f, "[scoring]\nscheme = klaviyo\nlevels = 3\n[model]\n"
                                  "currency = EUR\n[segments]\ntop = A, B\n[report]\n"
                                  "title = Other\n[churn]\nlow_from = 0.9\nhigh_below = 0.1\n"),
                     CVO_OK);
    size_t len = 0;
    char *text = defaults_text(f->ctx, &len);
    write_file(f, text, len);
    if (cvo_config_load(f->config, f->path) != CVO_OK)
        fail_msg("%s", cvo_ctx_message(f->ctx));
    assert_all_defaults(f);
    for (size_t i = 0; i < config_key_count(); i++) {
        const config_key *key = config_key_at(i);
        char doc[512], line[256];
        snprintf(doc, sizeof doc, "# %s\n# Allowed: ", key->doc);
        snprintf(line, sizeof line, "\n%s = ", key->key);
        assert_non_null(strstr(text, doc));
        assert_non_null(strstr(text, line));
    }
    assert_non_null(strstr(text, "\n[lists]\n"));
    assert_non_null(strstr(text, "\nsegment_map = \"\"\n"));
    assert_non_null(strstr(text, "\ntitle = Customer value report\n"));
    free(text);
}

static void test_write_defaults_error(void **state)
{
    fixture *f = *state;
    FILE *out = fopen("/dev/full", "w");
    if (out == NULL)
        skip();
    assert_int_equal(cvo_config_write_defaults(f->ctx, out), CVO_ERR_WRITE);
    assert_non_null(strstr(cvo_ctx_message(f->ctx), "cannot write the configuration"));
    fclose(out);
}

/* ---- docs/config.md ---------------------------------------------------------------- */

static void put(char **text, size_t *len, size_t *cap, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char **text, size_t *len, size_t *cap, const char *format, ...)
{
    va_list args;
    if (*text == NULL) { /* no offset from NULL: undefined even when 0 */
        *cap = 256;
        *text = malloc(*cap);
        assert_non_null(*text);
    }
    for (;;) {
        va_start(args, format);
        int n = vsnprintf(*text + *len, *cap - *len, format, args);
        va_end(args);
        assert_true(n >= 0);
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        *cap = *cap * 2 + (size_t)n + 1;
        *text = realloc(*text, *cap);
        assert_non_null(*text);
    }
}

static char *render_table(void)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    put(&text, &len, &cap, "<!-- BEGIN GENERATED TABLE (test_config, CVO_PRINT_CONFIG=1) -->\n");
    put(&text, &len, &cap, "| Section | Key | Default | Meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < config_key_count(); i++) {
        const config_key *key = config_key_at(i);
        char allowed[256];
        config_describe(key, allowed, sizeof allowed);
        put(&text, &len, &cap, "| %s | %s | `%s` | %s Allowed: %s. |\n", key->section, key->key,
            key->default_value[0] ? key->default_value : "\"\"", key->doc, allowed);
    }
    put(&text, &len, &cap, "<!-- END GENERATED TABLE -->\n");
    return text;
}

static char *read_text(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    char chunk[4096];
    size_t n;
    put(&text, &len, &cap, "%s", "");
    while ((n = fread(chunk, 1, sizeof chunk, file)) > 0)
        put(&text, &len, &cap, "%.*s", (int)n, chunk);
    fclose(file);
    return text;
}

static void test_docs_table(void **state)
{
    (void)state;
    char *rendered = render_table();
    if (getenv("CVO_PRINT_CONFIG") != NULL)
        fputs(rendered, stdout);
    char *docs = read_text("docs/config.md");
    if (docs == NULL) { /* run from another directory than the repository root */
        free(rendered);
        skip();
    }
    if (strstr(docs, rendered) == NULL)
        fail_msg("docs/config.md does not hold the current key table; regenerate with "
                 "CVO_PRINT_CONFIG=1 build/tests/test_config");
    free(docs);
    free(rendered);
}

/* The example of docs/config.md (between ```ini fences) loads as it is. */
static void test_docs_example(void **state)
{
    fixture *f = *state;
    char *docs = read_text("docs/config.md");
    if (docs == NULL)
        skip();
    char *start = strstr(docs, "```ini\n");
    assert_non_null(start);
    start += strlen("```ini\n");
    char *end = strstr(start, "```");
    assert_non_null(end);
    *end = '\0';
    if (load_text(f, start) != CVO_OK)
        fail_msg("%s", cvo_ctx_message(f->ctx));
    free(docs);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_defaults),
        TEST(test_defaults_are_valid),
        TEST(test_load_overrides),
        TEST(test_load_errors),
        TEST(test_load_is_all_or_nothing),
        TEST(test_load_file_errors),
        TEST(test_set),
        TEST(test_quoting),
        TEST(test_write_value_round_trip),
        TEST(test_lists),
        TEST(test_write_defaults_round_trip),
        TEST(test_write_defaults_error),
        TEST(test_docs_table),
        TEST(test_docs_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
