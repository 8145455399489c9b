/* hash.c - word-at-a-time multiply/rotate hash, finished with hash_mix64. */
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
