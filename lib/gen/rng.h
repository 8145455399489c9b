/* rng.h - a seeded pseudo-random generator (xoshiro256**, seeded by splitmix64)
 * and the distributions the store generator draws from. Pure functions of the
 * state: the same seed and call sequence always give the same numbers. */
#ifndef CVO_RNG_H
#define CVO_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

/* Seeds an independent stream named by (seed, stream, index, sub): the same
 * four values always give the same stream, different ones unrelated streams. */
void rng_seed(rng *g, uint64_t seed, uint64_t stream, uint64_t index, uint64_t sub);

uint64_t rng_next(rng *g);
/* Uniform in [0, 1), 53 random bits. */
double rng_uniform(rng *g);
/* Uniform integer in [0, n); n > 0. Unbiased (rejection). */
uint64_t rng_below(rng *g, uint64_t n);
/* Standard exponential (rate 1), always > 0. */
double rng_exponential(rng *g);
/* Standard normal (Marsaglia's polar method). */
double rng_normal(rng *g);
/* Gamma(shape, scale 1), shape > 0 (Marsaglia-Tsang; boosted below shape 1). */
double rng_gamma(rng *g, double shape);
/* Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b); a, b > 0. */
double rng_beta(rng *g, double a, double b);
/* Poisson(mean), mean >= 0: Knuth's product method on chunks of the mean. */
uint32_t rng_poisson(rng *g, double mean);
/* Index into weights[0..count) with probability weight / sum of weights. */
unsigned rng_weighted(rng *g, const uint16_t *weights, unsigned count, unsigned total);

#endif
