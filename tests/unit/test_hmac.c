/* test_hmac.c - SHA-256 against the examples of FIPS 180-4 (NIST's "SHA256"
 * example file: "abc", the 448-bit message, and the empty and million-'a'
 * messages of the NIST test set), HMAC-SHA-256 against RFC 4231 test cases 1-7
 * (HMAC as RFC 2104 defines it), the same digests when fed in pieces, and the
 * keyed identifiers (stable, keyed, no input in the output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/hmac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_hex(const uint8_t digest[SHA256_BYTES], size_t hex_chars, const char *want)
{
    char got[2 * SHA256_BYTES + 1];
    hmac_hex(digest, hex_chars, got);
    assert_string_equal(got, want);
}

static void test_fips_180_4(void **state)
{
    (void)state;
    uint8_t d[SHA256_BYTES];
    sha256("abc", 3, d);
    assert_hex(d, 64, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256(two_blocks, strlen(two_blocks), d);
    assert_hex(d, 64, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha256("", 0, d);
    assert_hex(d, 64, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    sha256(million, 1000000, d);
    assert_hex(d, 64, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

/* Every split of a message into two updates, and byte by byte, gives one digest:
 * the padding is right at every length around the 55/56/64-byte edges. */
static void test_pieces(void **state)
{
    (void)state;
    char text[200];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    for (size_t len = 0; len <= sizeof text; len++) {
        uint8_t whole[SHA256_BYTES], split[SHA256_BYTES], bytes[SHA256_BYTES];
        sha256(text, len, whole);
        sha256_state s;
        sha256_init(&s);
        sha256_update(&s, text, len / 3);
        sha256_update(&s, text + len / 3, len - len / 3);
        sha256_final(&s, split);
        sha256_init(&s);
        for (size_t i = 0; i < len; i++)
            sha256_update(&s, text + i, 1);
        sha256_final(&s, bytes);
        assert_memory_equal(whole, split, SHA256_BYTES);
        assert_memory_equal(whole, bytes, SHA256_BYTES);
    }
}

typedef struct rfc4231_case {
    uint8_t key_byte; /* 0: the key is 0x01..0x19 (case 4), or given as text */
    size_t key_len;
    const char *key_text;
    uint8_t data_byte;
    size_t data_len;
    const char *data_text;
    size_t hex_chars; /* case 5 compares the first 128 bits */
    const char *mac;
} rfc4231_case;

static const rfc4231_case rfc4231[] = {
    {0x0b, 20, NULL, 0, 0, "Hi There", 64,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {0, 0, "Jefe", 0, 0, "what do ya want for nothing?", 64,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {0xaa, 20, NULL, 0xdd, 50, NULL, 64,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {0, 25, NULL, 0xcd, 50, NULL, 64,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {0x0c, 20, NULL, 0, 0, "Test With Truncation", 32, "a3b6167473100ee06e0c796c2955552b"},
    {0xaa, 131, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First", 64,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {0xaa, 131, NULL, 0, 0,
     "This is a test using a larger than block-size key and a larger than block-size data. "
     "The key needs to be hashed before being used by the HMAC algorithm.",
     64, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void test_rfc_4231(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof rfc4231 / sizeof *rfc4231; c++) {
        const rfc4231_case *t = &rfc4231[c];
        uint8_t key[131], data[50], mac[SHA256_BYTES];
        size_t key_len = t->key_text ? strlen(t->key_text) : t->key_len;
        for (size_t i = 0; i < t->key_len; i++)
            key[i] = t->key_byte ? t->key_byte : (uint8_t)(i + 1);
        if (t->key_text)
            memcpy(key, t->key_text, key_len);
        size_t data_len = t->data_text ? strlen(t->data_text) : t->data_len;
        memset(data, t->data_byte, sizeof data);
        hmac_sha256(key, key_len, t->data_text ? (const void *)t->data_text : data, data_len, mac);
        assert_hex(mac, t->hex_chars, t->mac);
    }
}

/* The keyed ids: hex of the right length, the same for the same key and parts,
 * others for another key or other parts, and the parts' boundaries matter. */
static void test_keyed_ids(void **state)
{
    (void)state;
    cvo_id_key one, two;
    memset(&one, 1, sizeof one);
    memset(&two, 2, sizeof two);
    char a[KEYED_HEX + 1], b[KEYED_HEX + 1], c[KEYED_HEX + 1], d[KEYED_HEX + 1];
    keyed_customer(&one, "", "jane@example.com", a);
    keyed_customer(&one, "", "jane@example.com", b);
    keyed_customer(&two, "", "jane@example.com", c);
    assert_int_equal(strlen(a), KEYED_HEX);
    assert_int_equal(strspn(a, "0123456789abcdef"), KEYED_HEX);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    /* the customer id is the key when there is one */
    keyed_customer(&one, "C42", "jane@example.com", b);
    keyed_customer(&one, "C42", "other@example.com", c);
    assert_string_equal(b, c);
    assert_string_not_equal(a, b);
    const char *ab_c[2] = {"ab", "c"}, *a_bc[2] = {"a", "bc"};
    keyed_id(&one, ab_c, 2, c);
    keyed_id(&one, a_bc, 2, d);
    assert_string_not_equal(c, d);
    /* the HMAC of the joined parts under the key's bytes */
    uint8_t mac[SHA256_BYTES];
    hmac_sha256(one.bytes, sizeof one.bytes,
                "ab\x1f"
                "c",
                4, mac);
    assert_hex(mac, KEYED_HEX, c);
}

/* The arm draw: the value Python's hmac module gives for the same bytes
 * (hmac.new(bytes(32), b"arm\x1fwinback@2026-01-01\x1fC1", sha256), first 8
 * bytes big-endian >> 11, / 2^53), the e-mail when there is no id, and shares
 * near uniform over many customers. */
static void test_keyed_uniform(void **state)
{
    (void)state;
    cvo_id_key key;
    memset(&key, 0, sizeof key);
    assert_true(keyed_uniform(&key, "winback@2026-01-01", "C1", "x@example.com") ==
                8235655410145413.0 / 9007199254740992.0);
    assert_true(keyed_uniform(&key, "winback@2026-01-01", "", "C1") ==
                keyed_uniform(&key, "winback@2026-01-01", "C1", "other@example.com"));
    assert_true(keyed_uniform(&key, "vip@2026-01-01", "C1", "") !=
                keyed_uniform(&key, "winback@2026-01-01", "C1", ""));
    size_t below = 0, n = 20000;
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "C%zu", i);
        double u = keyed_uniform(&key, "winback@2026-01-01", id, "");
        assert_true(u >= 0 && u < 1);
        below += u < 0.2;
    }
    /* 0.2 x 20000 = 4000, sd 56.6: 99.9 % interval about +- 186 */
    assert_in_range(below, 4000 - 186, 4000 + 186);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_180_4),    cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_rfc_4231),      cmocka_unit_test(test_keyed_ids),
        cmocka_unit_test(test_keyed_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
