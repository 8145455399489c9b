/* test_utf8.c - unit tests of lib/io/utf8: validity at the edges of every
 * sequence length, the ASCII fast path, and repair with U+FFFD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "io/utf8.h"

#define FFFD "\xEF\xBF\xBD"

static size_t prefix(const char *text)
{
    return utf8_valid_prefix(text, strlen(text));
}

static void test_valid_sequences(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "",
        "plain ascii text that is longer than eight bytes",
        "caf\xC3\xA9",                 /* U+00E9 */
        "\xC2\x80",                    /* U+0080, the first two-byte value */
        "\xDF\xBF",                    /* U+07FF */
        "\xE0\xA0\x80",                /* U+0800, the first three-byte value */
        "\xE2\x82\xAC 12",             /* euro sign */
        "\xED\x9F\xBF",                /* U+D7FF, just below the surrogates */
        "\xEE\x80\x80",                /* U+E000, just above them */
        "\xEF\xBF\xBF",                /* U+FFFF */
        "\xF0\x90\x80\x80",            /* U+10000 */
        "\xF0\x9F\x98\x80",            /* emoji */
        "\xF4\x8F\xBF\xBF",            /* U+10FFFF, the last scalar value */
        "Gr\xC3\xBC\xC3\x9F" "e aus M\xC3\xBC" "nchen \xE2\x82\xAC\xF0\x9F\x98\x80 ok",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        assert_int_equal(prefix(valid[i]), strlen(valid[i]));
    /* NUL is U+0000, valid; only len decides where the text ends */
    assert_int_equal(utf8_valid_prefix("a\0b", 3), 3);
    assert_int_equal(utf8_valid_prefix(NULL, 0), 0);
}

static void test_invalid_sequences(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t valid_prefix;
    } cases[] = {
        {"\xC0\x80", 0},             /* overlong NUL */
        {"\xC1\xBF", 0},             /* overlong U+007F */
        {"\xE0\x80\x80", 0},         /* overlong three-byte */
        {"\xE0\x9F\xBF", 0},         /* overlong U+07FF */
        {"\xF0\x80\x80\x80", 0},     /* overlong four-byte */
        {"\xF0\x8F\xBF\xBF", 0},     /* overlong U+FFFF */
        {"\xED\xA0\x80", 0},         /* U+D800, a surrogate */
        {"\xED\xBF\xBF", 0},         /* U+DFFF */
        {"\xF4\x90\x80\x80", 0},     /* U+110000 */
        {"\xF5\x80\x80\x80", 0},     /* lead byte past the range */
        {"\xF8\x88\x80\x80\x80", 0}, /* old five-byte form */
        {"\xFE", 0},
        {"\xFF", 0},
        {"\x80", 0},                 /* lone continuation */
        {"\xBF", 0},
        {"ab\xC3", 2},               /* truncated at the end */
        {"ab\xE2\x82", 2},
        {"ab\xF0\x9F\x98", 2},
        {"ab\xC3" "A", 2},           /* continuation missing */
        {"ab\xE2" "A\xAC", 2},
        {"ab\xF0\x9F" "A\x80", 2},
        {"caf\xC3\xA9\xC3\xA9\x80", 7},
        {"0123456789abcdef\xC0\x80", 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = prefix(cases[i].text);
        if (got != cases[i].valid_prefix)
            fail_msg("case %zu: prefix %zu, want %zu", i, got, cases[i].valid_prefix);
    }
}

/* Every position of a bad byte, and a multi-byte character at every
 * alignment, so that the 8-byte ASCII steps meet them everywhere. */
static void test_fast_path_alignment(void **state)
{
    (void)state;
    char text[48];
    for (size_t bad = 0; bad < sizeof text; bad++) {
        memset(text, 'a', sizeof text);
        text[bad] = '\xFF';
        assert_int_equal(utf8_valid_prefix(text, sizeof text), bad);
    }
    for (size_t at = 0; at + 4 <= sizeof text; at++) {
        memset(text, 'a', sizeof text);
        memcpy(text + at, "\xF0\x9F\x98\x80", 4);
        assert_int_equal(utf8_valid_prefix(text, sizeof text), sizeof text);
        assert_int_equal(utf8_valid_prefix(text, at + 3), at); /* cut inside it */
    }
}

typedef struct repair_case {
    const char *in;
    size_t in_len;
    const char *out;
    size_t out_len;
} repair_case;

/* Lengths from sizeof, as some cases hold a NUL. */
#define R(in, out) {in, sizeof(in) - 1, out, sizeof(out) - 1}

static void test_repair(void **state)
{
    (void)state;
    /* each maximal ill-formed subpart becomes one U+FFFD */
    static const repair_case cases[] = {
        R("", ""),
        R("hello", "hello"),
        R("caf\xC3\xA9", "caf\xC3\xA9"),
        R("a\xC0\x80" "b", "a" FFFD FFFD "b"),
        R("\xED\xA0\x80", FFFD FFFD FFFD),
        R("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD),
        R("x\xE2\x82", "x" FFFD),
        R("\xE2\x82" "A", FFFD "A"),
        R("\xF0\x9F\x98" "x", FFFD "x"),
        R("\xF0\x9F\x98\xF0\x9F\x98\x80", FFFD "\xF0\x9F\x98\x80"),
        R("\x80\x80", FFFD FFFD),
        R("M\xFCnchen", "M" FFFD "nchen"), /* Latin-1 text */
        R("a\0b\xFF", "a\0b" FFFD),
        R("\xC3", FFFD),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        size_t want_len = cases[i].out_len;
        size_t len = utf8_repair(cases[i].in, cases[i].in_len, out);
        assert_int_equal(len, want_len);
        assert_memory_equal(out, cases[i].out, want_len);
        assert_int_equal(out[len], '\0');
        assert_int_equal(utf8_valid_prefix(out, len), len);
    }
}

static void test_repair_worst_case_size(void **state)
{
    (void)state;
    char in[40], out[3 * sizeof in + 1];
    memset(in, '\xFF', sizeof in);
    memset(out, 'x', sizeof out);
    size_t len = utf8_repair(in, sizeof in, out);
    assert_int_equal(len, 3 * sizeof in);
    for (size_t i = 0; i < sizeof in; i++)
        assert_memory_equal(out + 3 * i, FFFD, 3);
    assert_int_equal(out[len], '\0');
}

/* A second, arithmetic validator: decode the value and check its range
 * against the shortest form, instead of byte ranges. */
static size_t reference_sequence(const unsigned char *p, size_t avail)
{
    static const uint32_t min_value[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xF0 && p[0] < 0xF8 ? 4 : p[0] >= 0xE0 && p[0] < 0xF0 ? 3
             : p[0] >= 0xC0 && p[0] < 0xE0 ? 2 : 0;
    if (n == 0 || n > avail)
        return 0;
    uint32_t value = n == 1 ? p[0] : p[0] & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (p[i] & 0x3Fu);
    }
    if (value < min_value[n] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    return n;
}

static size_t reference_prefix(const unsigned char *p, size_t len)
{
    size_t i = 0, n;
    while (i < len && (n = reference_sequence(p + i, len - i)) != 0)
        i += n;
    return i;
}

static void test_against_reference(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    unsigned char text[24];
    char repaired[3 * sizeof text + 1];
    for (int round = 0; round < 200000; round++) {
        size_t len = (size_t)(round % (int)sizeof text);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            unsigned byte = (unsigned)(seed >> 56);
            /* bias towards lead and continuation bytes, where the edges are */
            text[i] = (unsigned char)(round & 1 ? byte : 0x80 | (byte & 0x7F));
        }
        size_t got = utf8_valid_prefix((const char *)text, len);
        if (got != reference_prefix(text, len))
            fail_msg("round %d: prefix %zu, reference %zu", round, got,
                     reference_prefix(text, len));
        size_t out_len = utf8_repair((const char *)text, len, repaired);
        assert_int_equal(utf8_valid_prefix(repaired, out_len), out_len);
        if (got == len)
            assert_memory_equal(repaired, text, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_sequences),
        cmocka_unit_test(test_invalid_sequences),
        cmocka_unit_test(test_fast_path_alignment),
        cmocka_unit_test(test_repair),
        cmocka_unit_test(test_repair_worst_case_size),
        cmocka_unit_test(test_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
