/* test_scheme.c - segment schemes: every cell of every built-in map at every
 * level count, the published codes of mission.md, the derivation rules written
 * out independently here, user map files and their errors, and the tables of
 * docs/segments.md (regenerate them with CVO_PRINT_MAPS=1 build/tests/test_scheme). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/scheme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

static cvo_ctx *new_ctx(void)
{
    cvo_ctx *ctx = NULL;
    assert_int_equal(cvo_ctx_new(&ctx, NULL), CVO_OK);
    return ctx;
}

static cvo_scheme *builtin(cvo_ctx *ctx, const char *name, int levels)
{
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, name, levels, &scheme), CVO_OK);
    assert_non_null(scheme);
    return scheme;
}

/* The segment name of code "rfm" (three digits). */
static const char *name_at(const cvo_scheme *scheme, const char *code)
{
    size_t segment = cvo_scheme_lookup(scheme, code[0] - '0', code[1] - '0', code[2] - '0');
    assert_true(segment < cvo_scheme_segment_count(scheme));
    return cvo_scheme_segment_name(scheme, segment);
}

static size_t segment_index(const cvo_scheme *scheme, const char *name)
{
    for (size_t i = 0; i < cvo_scheme_segment_count(scheme); i++)
        if (strcmp(cvo_scheme_segment_name(scheme, i), name) == 0)
            return i;
    fail_msg("no segment '%s'", name);
    return 0;
}

/* Writes "RFM,RFM,..." of the cells of one segment, in code order, to out. */
static void codes_of(const cvo_scheme *scheme, size_t segment, char *out, size_t size)
{
    int levels = cvo_scheme_levels(scheme);
    size_t used = 0;
    out[0] = '\0';
    for (int r = 1; r <= levels; r++)
        for (int f = 1; f <= levels; f++)
            for (int m = 1; m <= levels; m++)
                if (cvo_scheme_lookup(scheme, r, f, m) == segment)
                    used += (size_t)snprintf(out + used, size - used, "%s%d%d%d",
                                             used ? "," : "", r, f, m);
}

static void expect_codes(const cvo_scheme *scheme, const char *name, const char *codes)
{
    char list[1024];
    codes_of(scheme, segment_index(scheme, name), list, sizeof list);
    assert_string_equal(list, codes);
}

typedef struct range {
    int lo[3], hi[3]; /* R, F, M */
} range;

/* Every cell of the segment lies inside the published range. */
static void expect_inside(const cvo_scheme *scheme, const char *name, range inside)
{
    size_t segment = segment_index(scheme, name);
    int cells = 0;
    for (int r = 1; r <= 5; r++)
        for (int f = 1; f <= 5; f++)
            for (int m = 1; m <= 5; m++) {
                if (cvo_scheme_lookup(scheme, r, f, m) != segment)
                    continue;
                int score[3] = {r, f, m};
                for (int d = 0; d < 3; d++)
                    if (score[d] < inside.lo[d] || score[d] > inside.hi[d])
                        fail_msg("%s holds %d%d%d, outside its published range", name, r, f, m);
                cells++;
            }
    assert_true(cells > 0);
}

static char *write_temp(const char *content)
{
    static const char pattern[] = "/tmp/cvo_test_scheme_XXXXXX";
    char *path = malloc(sizeof pattern);
    assert_non_null(path);
    memcpy(path, pattern, sizeof pattern);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(content);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

/* ---- every cell ------------------------------------------------------------------ */

static const char *const scheme_names[] = {"relationship", "classic", "klaviyo"};

static void test_every_cell(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    for (size_t s = 0; s < 3; s++)
        for (int levels = 3; levels <= 5; levels++) {
            cvo_scheme *scheme = NULL;
            cvo_status status = cvo_scheme_builtin(ctx, scheme_names[s], levels, &scheme);
            if (s == 2 && levels != 3) { /* klaviyo scores are 1-3 only */
                assert_int_equal(status, CVO_ERR_ARGUMENT);
                assert_null(scheme);
                assert_string_equal(cvo_ctx_message(ctx),
                                    levels == 4 ? "scheme 'klaviyo' needs 3 levels, not 4"
                                                : "scheme 'klaviyo' needs 3 levels, not 5");
                continue;
            }
            assert_int_equal(status, CVO_OK);
            assert_int_equal(cvo_scheme_levels(scheme), levels);
            size_t count = cvo_scheme_segment_count(scheme);
            assert_int_equal(count, s == 2 ? 6 : 11);
            for (int r = 1; r <= levels; r++)
                for (int f = 1; f <= levels; f++)
                    for (int m = 1; m <= levels; m++)
                        assert_true(cvo_scheme_lookup(scheme, r, f, m) < count);
            assert_int_equal(cvo_scheme_lookup(scheme, 0, 1, 1), SIZE_MAX);
            assert_int_equal(cvo_scheme_lookup(scheme, 1, levels + 1, 1), SIZE_MAX);
            assert_null(cvo_scheme_segment_name(scheme, count));
            cvo_scheme_free(scheme);
        }
    cvo_ctx_free(ctx);
}

/* Segments that own at least one cell. */
static size_t reachable(const cvo_scheme *scheme, bool *seen)
{
    int levels = cvo_scheme_levels(scheme);
    size_t count = 0;
    memset(seen, 0, CVO_MAX_SEGMENTS * sizeof *seen);
    for (int r = 1; r <= levels; r++)
        for (int f = 1; f <= levels; f++)
            for (int m = 1; m <= levels; m++) {
                size_t segment = cvo_scheme_lookup(scheme, r, f, m);
                count += !seen[segment];
                seen[segment] = true;
            }
    return count;
}

static void test_reachable_segments(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    bool seen[CVO_MAX_SEGMENTS];
    for (int levels = 3; levels <= 5; levels++) {
        cvo_scheme *scheme = builtin(ctx, "relationship", levels);
        assert_int_equal(reachable(scheme, seen), 11); /* all 11 at every level count */
        cvo_scheme_free(scheme);
    }
    /* classic: 11 at 5 levels; documented losses at 4 and 3 levels */
    cvo_scheme *classic5 = builtin(ctx, "classic", 5);
    assert_int_equal(reachable(classic5, seen), 11);
    cvo_scheme *classic4 = builtin(ctx, "classic", 4);
    assert_int_equal(reachable(classic4, seen), 10);
    assert_false(seen[segment_index(classic4, "Promising")]);
    cvo_scheme *classic3 = builtin(ctx, "classic", 3);
    assert_int_equal(reachable(classic3, seen), 9);
    assert_false(seen[segment_index(classic3, "Promising")]);
    assert_false(seen[segment_index(classic3, "Hibernating")]);
    cvo_scheme *klaviyo = builtin(ctx, "klaviyo", 3);
    assert_int_equal(reachable(klaviyo, seen), 6);
    cvo_scheme_free(classic5);
    cvo_scheme_free(classic4);
    cvo_scheme_free(classic3);
    cvo_scheme_free(klaviyo);
    cvo_ctx_free(ctx);
}

/* ---- published codes (mission.md 1.2, 2.1) ---------------------------------------------- */

static void test_relationship_published(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_scheme *scheme = builtin(ctx, NULL, 5); /* NULL: the default scheme */
    assert_string_equal(cvo_scheme_segment_name(scheme, 0), "Soulmates");
    expect_codes(scheme, "Don Juan", "114,115");
    expect_codes(scheme, "Ex-Lovers", "124,125,133,134,135,143,144,145,153,154,155");
    expect_codes(scheme, "Soulmates", "555");
    /* Breakup: R 1, the low-M rest of the row */
    expect_codes(scheme, "Breakup", "111,112,113,121,122,123,131,132,141,142,151,152");
    expect_inside(scheme, "Lovers", (range){{4, 3, 3}, {5, 5, 5}});
    expect_inside(scheme, "New Passion", (range){{5, 1, 4}, {5, 4, 5}});
    expect_inside(scheme, "Potential Lovers", (range){{3, 3, 2}, {5, 5, 5}});
    expect_inside(scheme, "Platonic Friends", (range){{3, 1, 1}, {5, 5, 4}});
    expect_inside(scheme, "Apprentice", (range){{4, 1, 1}, {5, 3, 2}});
    expect_inside(scheme, "About to Dump You", (range){{2, 1, 1}, {2, 5, 5}});
    expect_inside(scheme, "Flirting", (range){{2, 1, 4}, {4, 2, 5}});
    /* Reveal's own example code */
    assert_string_equal(name_at(scheme, "523"), "Platonic Friends");
    cvo_scheme_free(scheme);
    cvo_ctx_free(ctx);
}

static void test_klaviyo_published(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_scheme *scheme = builtin(ctx, "klaviyo", 3);
    expect_codes(scheme, "Loyal", "232,233,321,322,331");
    expect_codes(scheme, "Champions", "323,332,333");
    expect_codes(scheme, "Recent", "311,312,313");
    expect_codes(scheme, "Inactive", "111,112,113");
    expect_codes(scheme, "At risk", "121,122,123,131,132,133");
    expect_codes(scheme, "Needs attention", "211,212,213,221,222,223,231");
    cvo_scheme_free(scheme);
    cvo_ctx_free(ctx);
}

/* ---- the derivation rules, written out independently ---------------------------------- */

/* A level-L score stands for the 5-level score whose quantile band holds the
 * middle of its own band, except R at 3 levels (1,2,5). */
static int five_level_score(int levels, int score, bool recency)
{
    double middle = (score - 0.5) / levels; /* in 0..1 */
    if (levels == 3 && recency)
        return score == 1 ? 1 : score == 2 ? 2 : 5;
    return (int)(middle * 5) + 1;
}

static void test_fewer_levels_follow_five(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    for (size_t s = 0; s < 2; s++) {
        cvo_scheme *five = builtin(ctx, scheme_names[s], 5);
        for (int levels = 3; levels <= 4; levels++) {
            cvo_scheme *fewer = builtin(ctx, scheme_names[s], levels);
            for (int r = 1; r <= levels; r++)
                for (int f = 1; f <= levels; f++)
                    for (int m = 1; m <= levels; m++)
                        assert_int_equal(cvo_scheme_lookup(fewer, r, f, m),
                                         cvo_scheme_lookup(five, five_level_score(levels, r, true),
                                                           five_level_score(levels, f, false),
                                                           five_level_score(levels, m, false)));
            cvo_scheme_free(fewer);
        }
        cvo_scheme_free(five);
    }
    cvo_ctx_free(ctx);
}

/* The rules of R package rfm, in the order cvo applies them (first match). */
typedef struct classic_rule {
    const char *name;
    range box;
} classic_rule;

static const classic_rule classic_rules[] = {
    {"Champions", {{4, 4, 4}, {5, 5, 5}}},
    {"Can't Lose Them", {{1, 4, 4}, {1, 5, 5}}},
    {"New Customers", {{4, 1, 1}, {5, 1, 1}}},
    {"Promising", {{3, 1, 1}, {4, 1, 1}}},
    {"Loyal Customers", {{2, 3, 3}, {5, 5, 5}}},
    {"Potential Loyalist", {{3, 1, 1}, {5, 3, 3}}},
    {"Need Attention", {{2, 2, 2}, {3, 3, 3}}},
    {"At Risk", {{1, 2, 2}, {2, 5, 5}}},
    {"About To Sleep", {{2, 1, 1}, {3, 2, 2}}},
    {"Lost", {{1, 1, 1}, {1, 1, 1}}}, /* narrowed from R<=2 F<=2 M<=2, see docs */
    {"Hibernating", {{1, 1, 1}, {2, 2, 2}}},
};

static int distance(int value, int lo, int hi)
{
    return value < lo ? lo - value : value > hi ? value - hi : 0;
}

/* First rule whose box holds the cell; for uncovered cells the rule nearest in
 * R first, then in F + M, then the earlier rule. */
static const char *classic_by_rules(int r, int f, int m)
{
    const char *best = NULL;
    int best_r = 99, best_fm = 99;
    for (size_t i = 0; i < sizeof classic_rules / sizeof classic_rules[0]; i++) {
        const range *b = &classic_rules[i].box;
        int dr = distance(r, b->lo[0], b->hi[0]);
        int dfm = distance(f, b->lo[1], b->hi[1]) + distance(m, b->lo[2], b->hi[2]);
        if (dr < best_r || (dr == best_r && dfm < best_fm)) {
            best = classic_rules[i].name;
            best_r = dr;
            best_fm = dfm;
        }
    }
    return best;
}

static void test_classic_follows_rules(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_scheme *scheme = builtin(ctx, "classic", 5);
    for (int r = 1; r <= 5; r++)
        for (int f = 1; f <= 5; f++)
            for (int m = 1; m <= 5; m++) {
                char code[4] = {(char)('0' + r), (char)('0' + f), (char)('0' + m), '\0'};
                assert_string_equal(name_at(scheme, code), classic_by_rules(r, f, m));
            }
    assert_string_equal(name_at(scheme, "555"), "Champions");
    assert_string_equal(name_at(scheme, "155"), "Can't Lose Them");
    assert_string_equal(name_at(scheme, "111"), "Lost");
    cvo_scheme_free(scheme);
    cvo_ctx_free(ctx);
}

static void test_builtin_errors(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_builtin(ctx, "rfm", 5, &scheme), CVO_ERR_ARGUMENT);
    assert_string_equal(cvo_ctx_message(ctx),
                        "unknown scheme 'rfm' (expected relationship, classic or klaviyo)");
    assert_int_equal(cvo_scheme_builtin(ctx, "classic", 2, &scheme), CVO_ERR_ARGUMENT);
    assert_string_equal(cvo_ctx_message(ctx), "levels must be 3, 4 or 5, not 2");
    assert_int_equal(cvo_scheme_builtin(ctx, "classic", 6, &scheme), CVO_ERR_ARGUMENT);
    assert_null(scheme);
    cvo_scheme_free(NULL);
    assert_int_equal(cvo_scheme_segment_count(NULL), 0);
    cvo_ctx_free(ctx);
}

/* ---- user maps ------------------------------------------------------------------------------ */

/* A complete 3-level map text: cells with R=3 "Active", the rest "Gone", with
 * `extra` appended. */
static void map_text(char *out, size_t size, const char *extra, const char *skip)
{
    size_t used = (size_t)snprintf(out, size, "\xEF\xBB\xBF# a user map\r\n\n");
    for (int r = 1; r <= 3; r++)
        for (int f = 1; f <= 3; f++)
            for (int m = 1; m <= 3; m++) {
                char code[4] = {(char)('0' + r), (char)('0' + f), (char)('0' + m), '\0'};
                if (skip != NULL && strstr(skip, code) != NULL)
                    continue;
                used += (size_t)snprintf(out + used, size - used, " %s , %s  # cell\r\n", code,
                                         r == 3 ? "Active" : "Gone, for now");
            }
    snprintf(out + used, size - used, "%s", extra);
}

static cvo_status load_map(cvo_ctx *ctx, const char *text, int levels, cvo_scheme **out,
                           char *path_out, size_t path_size)
{
    char *path = write_temp(text);
    cvo_status status = cvo_scheme_load(ctx, path, levels, out);
    snprintf(path_out, path_size, "%s", path);
    unlink(path);
    free(path);
    return status;
}

static void test_user_map(void **state)
{
    (void)state;
    cvo_ctx *ctx = new_ctx();
    char text[4096], path[64];
    map_text(text, sizeof text, "", NULL);
    cvo_scheme *scheme = NULL;
    assert_int_equal(load_map(ctx, text, 3, &scheme, path, sizeof path), CVO_OK);
    assert_int_equal(cvo_scheme_levels(scheme), 3);
    assert_int_equal(cvo_scheme_segment_count(scheme), 2);
    /* names in order of first appearance; everything after the comma is the name */
    assert_string_equal(cvo_scheme_segment_name(scheme, 0), "Gone, for now");
    assert_string_equal(cvo_scheme_segment_name(scheme, 1), "Active");
    assert_string_equal(name_at(scheme, "311"), "Active");
    assert_string_equal(name_at(scheme, "233"), "Gone, for now");
    cvo_scheme_free(scheme);
    cvo_ctx_free(ctx);
}

static void expect_map_error(const char *text, int levels, cvo_status status, const char *message)
{
    cvo_ctx *ctx = new_ctx();
    char path[64], expected[1024];
    cvo_scheme *scheme = (cvo_scheme *)&path; /* any non-NULL value: a failure must reset it */
    assert_int_equal(load_map(ctx, text, levels, &scheme, path, sizeof path), status);
    assert_null(scheme);
    snprintf(expected, sizeof expected, "%s%s", path, message);
    assert_string_equal(cvo_ctx_message(ctx), expected);
    cvo_ctx_free(ctx);
}

static void test_user_map_errors(void **state)
{
    (void)state;
    char text[4096];
    /* the header takes 2 lines, the 27 cells lines 3..29 */
    map_text(text, sizeof text, "212,Again\n", NULL);
    expect_map_error(text, 3, CVO_ERR_CONFIG, ":30: cell 212 is already mapped on line 13");
    map_text(text, sizeof text, "", "111 123 333");
    expect_map_error(text, 3, CVO_ERR_CONFIG, ": 3 of 27 cells not mapped: 111, 123, 333");
    map_text(text, sizeof text, "", "111 112 113 121 122 123 131 132 133 211 212 213 221 222");
    expect_map_error(text, 3, CVO_ERR_CONFIG,
                     ": 14 of 27 cells not mapped: 111, 112, 113, 121, 122, 123, 131, 132, 133, "
                     "211, 212, 213, ...");
    expect_map_error("111,A\n11,B\n", 3, CVO_ERR_CONFIG,
                     ":2: bad code '11' (expected three digits R, F, M)");
    expect_map_error("1a1,A\n", 3, CVO_ERR_CONFIG,
                     ":1: bad code '1a1' (expected three digits R, F, M)");
    expect_map_error("# x\n141,A\n", 3, CVO_ERR_CONFIG,
                     ":2: score 4 in code '141' is out of range 1..3");
    expect_map_error("101,A\n", 5, CVO_ERR_CONFIG, ":1: score 0 in code '101' is out of range 1..5");
    expect_map_error("111 Champions\n", 3, CVO_ERR_CONFIG, ":1: expected 'code,segment name'");
    expect_map_error("111,  \n", 3, CVO_ERR_CONFIG, ":1: empty segment name");

    cvo_ctx *ctx = new_ctx();
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_load(ctx, "/nonexistent/map.csv", 5, &scheme), CVO_ERR_IO);
    assert_non_null(strstr(cvo_ctx_message(ctx), "/nonexistent/map.csv: cannot open"));
    assert_int_equal(cvo_scheme_load(ctx, "/nonexistent/map.csv", 7, &scheme), CVO_ERR_ARGUMENT);
    cvo_ctx_free(ctx);
}

static void test_user_map_nul_byte(void **state)
{
    (void)state;
    static const char pattern[] = "/tmp/cvo_test_scheme_XXXXXX";
    char path[sizeof pattern], expected[128];
    memcpy(path, pattern, sizeof pattern);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "111,A\n112,B\0\n", 13), 13);
    close(fd);
    cvo_ctx *ctx = new_ctx();
    cvo_scheme *scheme = NULL;
    assert_int_equal(cvo_scheme_load(ctx, path, 3, &scheme), CVO_ERR_CONFIG);
    snprintf(expected, sizeof expected, "%s:2: NUL byte", path);
    assert_string_equal(cvo_ctx_message(ctx), expected);
    unlink(path);
    cvo_ctx_free(ctx);
}

/* ---- the tables of docs/segments.md ------------------------------------------------------------ */

typedef struct text_buffer {
    char *data;
    size_t len, cap;
} text_buffer;

static void put(text_buffer *b, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void put(text_buffer *b, const char *format, ...)
{
    va_list args;
    if (b->data == NULL) { /* no offset from NULL: undefined even when 0 */
        b->cap = 256;
        b->data = malloc(b->cap);
        assert_non_null(b->data);
    }
    for (;;) {
        va_start(args, format);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, format, args);
        va_end(args);
        assert_true(n >= 0);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 1;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
}

static void render_scheme(text_buffer *b, const cvo_scheme *scheme, const char *name)
{
    int levels = cvo_scheme_levels(scheme);
    put(b, "\n#### %s, %d levels\n\n| R F |", name, levels);
    for (int m = 1; m <= levels; m++)
        put(b, " M=%d |", m);
    put(b, "\n|---|");
    for (int m = 1; m <= levels; m++)
        put(b, "---|");
    put(b, "\n");
    for (int r = levels; r >= 1; r--)
        for (int f = levels; f >= 1; f--) {
            put(b, "| %d %d |", r, f);
            for (int m = 1; m <= levels; m++)
                put(b, " %s |", cvo_scheme_segment_name(scheme, cvo_scheme_lookup(scheme, r, f, m)));
            put(b, "\n");
        }
    put(b, "\n| Segment | Cells | Codes (RFM) |\n|---|---|---|\n");
    for (size_t s = 0; s < cvo_scheme_segment_count(scheme); s++) {
        char codes[1024];
        codes_of(scheme, s, codes, sizeof codes);
        size_t cells = codes[0] ? 1 : 0;
        for (const char *c = codes; *c; c++)
            cells += *c == ',';
        put(b, "| %s | %zu | %s |\n", cvo_scheme_segment_name(scheme, s), cells,
            cells ? codes : "(none)");
    }
}

static char *render_all(void)
{
    text_buffer b = {NULL, 0, 0};
    cvo_ctx *ctx = new_ctx();
    put(&b, "<!-- BEGIN GENERATED MAPS (test_scheme, CVO_PRINT_MAPS=1) -->\n");
    for (size_t s = 0; s < 3; s++)
        for (int levels = 5; levels >= 3; levels--) {
            if (s == 2 && levels != 3)
                continue;
            cvo_scheme *scheme = builtin(ctx, scheme_names[s], levels);
            render_scheme(&b, scheme, scheme_names[s]);
            cvo_scheme_free(scheme);
        }
    put(&b, "\n<!-- END GENERATED MAPS -->\n");
    cvo_ctx_free(ctx);
    return b.data;
}

static char *read_text(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NULL;
    text_buffer b = {NULL, 0, 0};
    char chunk[4096];
    size_t n;
    put(&b, "%s", "");
    while ((n = fread(chunk, 1, sizeof chunk, file)) > 0)
        put(&b, "%.*s", (int)n, chunk);
    fclose(file);
    return b.data;
}

static void test_docs_tables(void **state)
{
    (void)state;
    char *rendered = render_all();
    if (getenv("CVO_PRINT_MAPS") != NULL)
        fputs(rendered, stdout);
    char *docs = read_text("docs/segments.md");
    if (docs == NULL) { /* run from another directory than the repository root */
        free(rendered);
        skip();
    }
    if (strstr(docs, rendered) == NULL)
        fail_msg("docs/segments.md does not hold the current maps; regenerate with "
                 "CVO_PRINT_MAPS=1 build/tests/test_scheme");
    free(docs);
    free(rendered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_reachable_segments),
        cmocka_unit_test(test_relationship_published),
        cmocka_unit_test(test_klaviyo_published),
        cmocka_unit_test(test_fewer_levels_follow_five),
        cmocka_unit_test(test_classic_follows_rules),
        cmocka_unit_test(test_builtin_errors),
        cmocka_unit_test(test_user_map),
        cmocka_unit_test(test_user_map_errors),
        cmocka_unit_test(test_user_map_nul_byte),
        cmocka_unit_test(test_docs_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
