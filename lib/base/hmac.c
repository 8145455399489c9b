/* hmac.c - SHA-256 as FIPS 180-4 section 6.2 describes it, HMAC as RFC 2104
 * section 2, and the keyed identifiers over them. Big-endian words throughout. */
#include "base/hmac.h"

#include <string.h>

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The message schedule W0..W63 of one block (FIPS 180-4 6.2.2 step 1). */
static void schedule(const uint8_t block[SHA256_BLOCK], uint32_t w[64])
{
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
}

static void compress(uint32_t h[8], const uint8_t block[SHA256_BLOCK])
{
    uint32_t w[64], v[8];
    schedule(block, w);
    memcpy(v, h, sizeof v);
    for (int t = 0; t < 64; t++) {
        uint32_t e = v[4], a = v[0];
        uint32_t t1 = v[7] + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & v[5]) ^ (~e & v[6])) +
                      round_constants[t] + w[t];
        uint32_t t2 =
            (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof *v);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        h[i] += v[i];
}

void sha256_init(sha256_state *s)
{
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, initial, sizeof initial);
    s->length = 0;
    s->used = 0;
}

void sha256_update(sha256_state *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->length += len;
    while (len > 0) {
        size_t take = SHA256_BLOCK - s->used < len ? SHA256_BLOCK - s->used : len;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
        if (s->used == SHA256_BLOCK) {
            compress(s->h, s->block);
            s->used = 0;
        }
    }
}

/* Padding: 0x80, zeros, and the length in bits as 64 big-endian bits (5.1.1). */
void sha256_final(sha256_state *s, uint8_t digest[SHA256_BYTES])
{
    uint64_t bits = s->length * 8;
    uint8_t pad[SHA256_BLOCK + 8] = {0x80};
    size_t zeros = (s->used < 56 ? 56 : 120) - s->used;
    for (int i = 0; i < 8; i++)
        pad[zeros + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(s, pad, zeros + 8);
    for (int i = 0; i < 8; i++)
        store_be32(digest + 4 * i, s->h[i]);
}

void sha256(const void *data, size_t len, uint8_t digest[SHA256_BYTES])
{
    sha256_state s;
    sha256_init(&s);
    sha256_update(&s, data, len);
    sha256_final(&s, digest);
}

void hmac_init(hmac_state *m, const void *key, size_t key_len)
{
    uint8_t k[SHA256_BLOCK] = {0}, pad[SHA256_BLOCK];
    if (key_len > SHA256_BLOCK)
        sha256(key, key_len, k);
    else if (key_len > 0)
        memcpy(k, key, key_len);
    uint8_t outer_pad[SHA256_BLOCK];
    for (int i = 0; i < SHA256_BLOCK; i++) {
        pad[i] = k[i] ^ 0x36;
        outer_pad[i] = k[i] ^ 0x5c;
    }
    sha256_init(&m->inner);
    sha256_update(&m->inner, pad, sizeof pad);
    sha256_init(&m->outer);
    sha256_update(&m->outer, outer_pad, sizeof outer_pad);
}

void hmac_update(hmac_state *m, const void *data, size_t len)
{
    sha256_update(&m->inner, data, len);
}

void hmac_final(hmac_state *m, uint8_t mac[SHA256_BYTES])
{
    uint8_t inner[SHA256_BYTES];
    sha256_final(&m->inner, inner);
    sha256_state outer = m->outer;
    sha256_update(&outer, inner, sizeof inner);
    sha256_final(&outer, mac);
}

void hmac_sha256(const void *key, size_t key_len, const void *message, size_t len,
                 uint8_t mac[SHA256_BYTES])
{
    hmac_state m;
    hmac_init(&m, key, key_len);
    hmac_update(&m, message, len);
    hmac_final(&m, mac);
}

void hmac_hex(const uint8_t digest[SHA256_BYTES], size_t hex_chars, char *out)
{
    static const char digits[] = "0123456789abcdef";
    if (hex_chars > 2 * SHA256_BYTES)
        hex_chars = 2 * SHA256_BYTES;
    for (size_t i = 0; i < hex_chars; i++)
        out[i] = digits[(digest[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    out[hex_chars] = '\0';
}

/* ---- keyed identifiers -------------------------------------------------------------- */

void keyed_hasher_init(keyed_hasher *h, const cvo_id_key *key)
{
    hmac_init(&h->keyed, key->bytes, sizeof key->bytes);
}

void keyed_hasher_id(const keyed_hasher *h, const char *const *parts, size_t count,
                     char out[KEYED_HEX + 1])
{
    hmac_state m = h->keyed;
    uint8_t mac[SHA256_BYTES];
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            hmac_update(&m, "\x1f", 1);
        hmac_update(&m, parts[i], strlen(parts[i]));
    }
    hmac_final(&m, mac);
    hmac_hex(mac, KEYED_HEX, out);
}

void keyed_id(const cvo_id_key *key, const char *const *parts, size_t count,
              char out[KEYED_HEX + 1])
{
    keyed_hasher h;
    keyed_hasher_init(&h, key);
    keyed_hasher_id(&h, parts, count, out);
}

void keyed_customer(const cvo_id_key *key, const char *customer_id, const char *email,
                    char out[KEYED_HEX + 1])
{
    const char *parts[2] = {"customer", customer_id && customer_id[0] ? customer_id : email};
    keyed_id(key, parts, 2, out);
}

void keyed_hasher_customer(const keyed_hasher *h, const char *customer_id, const char *email,
                           char out[KEYED_HEX + 1])
{
    const char *parts[2] = {"customer", customer_id && customer_id[0] ? customer_id : email};
    keyed_hasher_id(h, parts, 2, out);
}

double keyed_hasher_uniform(const keyed_hasher *h, const char *experiment_id,
                            const char *customer_id, const char *email)
{
    const char *customer = customer_id && customer_id[0] ? customer_id : email;
    hmac_state m = h->keyed;
    hmac_update(&m, "arm\x1f", 4);
    hmac_update(&m, experiment_id, strlen(experiment_id));
    hmac_update(&m, "\x1f", 1);
    hmac_update(&m, customer, strlen(customer));
    uint8_t mac[SHA256_BYTES];
    hmac_final(&m, mac);
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | mac[i];
    return (double)(bits >> 11) * 0x1.0p-53; /* 53 bits: exact in a double, below 1 */
}

double keyed_uniform(const cvo_id_key *key, const char *experiment_id, const char *customer_id,
                     const char *email)
{
    keyed_hasher h;
    keyed_hasher_init(&h, key);
    return keyed_hasher_uniform(&h, experiment_id, customer_id, email);
}
