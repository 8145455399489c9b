/* sort.c - LSD radix sort of doubles: the bits are mapped to unsigned keys
 * whose order is the numeric order (negative values flipped), then sorted
 * 16 bits at a time in four stable counting passes. */
#include "sort.h"

#include <stdint.h>
#include <string.h>

static uint64_t to_key(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (u >> 63) ? ~u : u | 0x8000000000000000ull;
}

static double from_key(uint64_t k)
{
    uint64_t u = (k >> 63) ? k & 0x7fffffffffffffffull : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

enum { RADIX_BITS = 16, RADIX = 1 << RADIX_BITS };

static void pass(const uint64_t *from, uint64_t *to, size_t n, int shift, size_t *count)
{
    memset(count, 0, RADIX * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[(from[i] >> shift) & (RADIX - 1)]++;
    size_t sum = 0;
    for (size_t b = 0; b < RADIX; b++) {
        size_t c = count[b];
        count[b] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++)
        to[count[(from[i] >> shift) & (RADIX - 1)]++] = from[i];
}

void sort_doubles(double *v, size_t n, double *scratch)
{
    /* the keys live in the same storage as the doubles (both 64-bit) */
    uint64_t *a = (uint64_t *)(void *)v, *b = (uint64_t *)(void *)scratch;
    size_t count[RADIX];
    for (size_t i = 0; i < n; i++)
        a[i] = to_key(v[i]);
    for (int shift = 0; shift < 64; shift += RADIX_BITS) {
        pass(a, b, n, shift, count);
        uint64_t *t = a;
        a = b;
        b = t;
    }
    /* four passes: the sorted keys are back in v's storage */
    for (size_t i = 0; i < n; i++)
        v[i] = from_key(a[i]);
}
