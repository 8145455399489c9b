/* hash.h - a fast 64-bit hash of byte strings for the open-addressing tables.
 * Not cryptographic; tables always confirm a hit by comparing the key. */
#ifndef CVO_HASH_H
#define CVO_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);
/* Another hash of the same quality, faster on inputs of 32 bytes and more
 * (whole records); its values differ from hash_bytes'. */
uint64_t hash_long(const void *data, size_t len, uint64_t seed);

/* Mixes a 64-bit value into a well-spread 64-bit value. */
static inline uint64_t hash_mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    x ^= x >> 32;
    return x;
}

#endif
