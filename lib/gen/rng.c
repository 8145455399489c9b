/* rng.c - xoshiro256** with splitmix64 seeding, and the distributions built on
 * it. Every draw depends only on the generator state, never on time or memory. */
#include "rng.h"

#include "base/hash.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void rng_seed(rng *g, uint64_t seed, uint64_t stream, uint64_t index, uint64_t sub)
{
    uint64_t key = hash_mix64(seed ^ 0x6a09e667f3bcc909ull);
    key = hash_mix64(key + stream * 0xbb67ae8584caa73bull + 1);
    key = hash_mix64(key + index * 0x3c6ef372fe94f82bull + 1);
    key = hash_mix64(key + sub * 0xa54ff53a5f1d36f1ull + 1);
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&key);
}

uint64_t rng_next(rng *g)
{
    uint64_t *s = g->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(rng *g)
{
    return (double)(rng_next(g) >> 11) * 0x1.0p-53;
}

/* Lemire's multiply-shift with rejection: unbiased, and a division only on
 * the rare draws that land in the biased zone. */
static uint32_t below32(rng *g, uint32_t n)
{
    uint64_t product = (rng_next(g) >> 32) * n;
    uint32_t low = (uint32_t)product;
    if (low < n) {
        uint32_t threshold = (0u - n) % n; /* 2^32 mod n */
        while (low < threshold) {
            product = (rng_next(g) >> 32) * n;
            low = (uint32_t)product;
        }
    }
    return (uint32_t)(product >> 32);
}

uint64_t rng_below(rng *g, uint64_t n)
{
    if (n <= UINT32_MAX)
        return below32(g, (uint32_t)n);
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n: values below it are biased */
    for (;;) {
        uint64_t x = rng_next(g);
        if (x >= threshold)
            return x % n;
    }
}

double rng_exponential(rng *g)
{
    return -log(1.0 - rng_uniform(g)); /* 1 - u is in (0, 1] */
}

double rng_normal(rng *g)
{
    double u, v, s;
    do {
        u = 2.0 * rng_uniform(g) - 1.0;
        v = 2.0 * rng_uniform(g) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

/* Marsaglia & Tsang (2000), valid for shape >= 1. */
static double gamma_large(rng *g, double shape)
{
    double d = shape - 1.0 / 3.0;
    double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = rng_normal(g);
        double v = 1.0 + c * x;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        double u = rng_uniform(g);
        if (u < 1.0 - 0.0331 * (x * x) * (x * x))
            return d * v;
        if (u > 0.0 && log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return d * v;
    }
}

double rng_gamma(rng *g, double shape)
{
    if (shape >= 1.0)
        return gamma_large(g, shape);
    /* Gamma(k) = Gamma(k + 1) * U^(1/k) for k < 1. */
    double boost = pow(1.0 - rng_uniform(g), 1.0 / shape);
    return gamma_large(g, shape + 1.0) * boost;
}

double rng_beta(rng *g, double a, double b)
{
    double x = rng_gamma(g, a);
    double y = rng_gamma(g, b);
    if (x + y > 0.0)
        return x / (x + y);
    /* Both underflowed (tiny shapes): the mass sits at the ends. */
    return rng_uniform(g) < a / (a + b) ? 1.0 : 0.0;
}

/* Knuth: count uniforms until their product falls below e^-mean. */
static uint32_t poisson_small(rng *g, double mean)
{
    double limit = exp(-mean);
    double product = 1.0 - rng_uniform(g);
    uint32_t count = 0;
    while (product > limit) {
        count++;
        product *= 1.0 - rng_uniform(g);
    }
    return count;
}

uint32_t rng_poisson(rng *g, double mean)
{
    /* A sum of independent Poissons is Poisson: draw large means in chunks. */
    uint32_t count = 0;
    while (mean > 16.0) {
        count += poisson_small(g, 16.0);
        mean -= 16.0;
    }
    return mean > 0.0 ? count + poisson_small(g, mean) : count;
}

unsigned rng_weighted(rng *g, const uint16_t *weights, unsigned count, unsigned total)
{
    unsigned pick = (unsigned)rng_below(g, total);
    for (unsigned i = 0; i + 1 < count; i++) {
        if (pick < weights[i])
            return i;
        pick -= weights[i];
    }
    return count - 1;
}
