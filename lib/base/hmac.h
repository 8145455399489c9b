/* hmac.h - SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), and the keyed
 * identifiers cvo sends to other services: hex digests of a secret key and a
 * customer key, so no e-mail address ever appears in an identifier. */
#ifndef CVO_HMAC_H
#define CVO_HMAC_H

#include "cvo.h"

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32
#define SHA256_BLOCK 64

typedef struct sha256_state {
    uint32_t h[8];
    uint64_t length; /* bytes hashed so far */
    uint8_t block[SHA256_BLOCK];
    size_t used; /* bytes of block filled */
} sha256_state;

void sha256_init(sha256_state *s);
void sha256_update(sha256_state *s, const void *data, size_t len);
void sha256_final(sha256_state *s, uint8_t digest[SHA256_BYTES]);
/* The digest of one buffer. */
void sha256(const void *data, size_t len, uint8_t digest[SHA256_BYTES]);

/* HMAC-SHA-256 in steps: init with the key, update with the message in
 * pieces, final. */
typedef struct hmac_state {
    sha256_state inner;
    sha256_state outer; /* after the outer pad: a copied state hashes many messages */
} hmac_state;

void hmac_init(hmac_state *m, const void *key, size_t key_len);
void hmac_update(hmac_state *m, const void *data, size_t len);
void hmac_final(hmac_state *m, uint8_t mac[SHA256_BYTES]);

/* HMAC-SHA-256 of message under key (any length; keys longer than a block are
 * hashed first, as RFC 2104 says). */
void hmac_sha256(const void *key, size_t key_len, const void *message, size_t len,
                 uint8_t mac[SHA256_BYTES]);

/* Writes the first hex_chars (even, at most 64) lower-case hex digits of digest
 * and a NUL into out. */
void hmac_hex(const uint8_t digest[SHA256_BYTES], size_t hex_chars, char *out);

/* Hex digits of a keyed identifier: enough against collisions among a store's
 * customers (96 bits), short enough for Klaviyo's and Gorgias' id fields. */
#define KEYED_HEX 24

/* The keyed identifier of parts[0..count) (joined with the byte 0x1f, which no
 * part holds in practice) under key: KEYED_HEX hex digits and a NUL in out. */
void keyed_id(const cvo_id_key *key, const char *const *parts, size_t count,
              char out[KEYED_HEX + 1]);
/* The same for many identifiers under one key: the key's pads are hashed once,
 * in keyed_hasher_init, not for every identifier. */
typedef struct keyed_hasher {
    hmac_state keyed;
} keyed_hasher;
void keyed_hasher_init(keyed_hasher *h, const cvo_id_key *key);
void keyed_hasher_id(const keyed_hasher *h, const char *const *parts, size_t count,
                     char out[KEYED_HEX + 1]);
/* The keyed identifier of a customer: its key is the customer id, else the
 * normalised e-mail (as cvo_customer says). Ledgers and identifiers use it. */
void keyed_customer(const cvo_id_key *key, const char *customer_id, const char *email,
                    char out[KEYED_HEX + 1]);

/* The arm draw of an experiment: u in [0, 1) from the first 8 bytes
 * of HMAC-SHA-256(key, "arm" 0x1f experiment_id 0x1f customer_key), big-endian,
 * their top 53 bits / 2^53,
 * where customer_key is the customer id, else the normalised e-mail (as in
 * keyed_customer). A member is held out when u < the experiment's share. The
 * same on any machine, in any order, on any run; independent across
 * experiment ids. */
double keyed_uniform(const cvo_id_key *key, const char *experiment_id, const char *customer_id,
                     const char *email);
/* keyed_customer and keyed_uniform under a keyed_hasher: the key's pads hashed once
 * for many customers (the same values). */
void keyed_hasher_customer(const keyed_hasher *h, const char *customer_id, const char *email,
                           char out[KEYED_HEX + 1]);
double keyed_hasher_uniform(const keyed_hasher *h, const char *experiment_id,
                            const char *customer_id, const char *email);

#endif
