/* bytes.h - small inline byte helpers for the hot paths: equality of short
 * strings without a libc call, and SWAR masks for finding bytes 8 at a time. */
#ifndef CVO_BYTES_H
#define CVO_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t bytes_load64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Equal bytes; fast for the short keys (ids, dates) compared per record. */
static inline bool bytes_eq(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    while (n >= 8) {
        if (bytes_load64(x) != bytes_load64(y))
            return false;
        x += 8;
        y += 8;
        n -= 8;
    }
    while (n > 0) {
        if (*x++ != *y++)
            return false;
        n--;
    }
    return true;
}

#define BYTES_ONES 0x0101010101010101ull
#define BYTES_HIGHS 0x8080808080808080ull

/* High bit set in every byte of word that equals c (lowest set bit exact). */
static inline uint64_t bytes_match(uint64_t word, unsigned char c)
{
    uint64_t x = word ^ (BYTES_ONES * c);
    return (x - BYTES_ONES) & ~x & BYTES_HIGHS;
}

#endif
