/* hash.c - word-at-a-time multiply/rotate hash, finished with hash_mix64;
 * hash_long runs four independent lanes for long inputs such as whole records. */
#include "hash.h"

#include <string.h>

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(len + 1));
    while (len >= 16) {
        uint64_t a = load64(p) * 0xbf58476d1ce4e5b9ull;
        uint64_t b = load64(p + 8) * 0x94d049bb133111ebull;
        h = rotl(h ^ a, 29) * 0x9e3779b97f4a7c15ull + rotl(b, 31);
        p += 16;
        len -= 16;
    }
    if (len >= 8) {
        h = rotl(h ^ (load64(p) * 0xbf58476d1ce4e5b9ull), 29) * 0x9e3779b97f4a7c15ull;
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    h ^= tail * 0x94d049bb133111ebull;
    return hash_mix64(h);
}

static uint64_t lane(uint64_t acc, uint64_t word)
{
    return rotl(acc + word * 0xc2b2ae3d27d4eb4full, 31) * 0x9e3779b185ebca87ull;
}

uint64_t hash_long(const void *data, size_t len, uint64_t seed)
{
    if (len < 32)
        return hash_bytes(data, len, seed);
    const unsigned char *p = data;
    uint64_t a = seed + 0x60ea27eeadc0b5d6ull, b = seed + 0xc2b2ae3d27d4eb4full;
    uint64_t c = seed, d = seed - 0x9e3779b185ebca87ull;
    size_t total = len;
    while (len >= 32) {
        a = lane(a, load64(p));
        b = lane(b, load64(p + 8));
        c = lane(c, load64(p + 16));
        d = lane(d, load64(p + 24));
        p += 32;
        len -= 32;
    }
    uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
    h ^= hash_mix64(a ^ rotl(c, 29)) + hash_mix64(b ^ rotl(d, 29));
    return hash_bytes(p, len, h ^ (uint64_t)total);
}
