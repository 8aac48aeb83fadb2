/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_rng: the trace generator's random numbers and Zipf ranks. Deterministic for
 * a seed on every platform (integer arithmetic, and libm only for Zipf), which
 * the generator's byte-identical output rests on.
 *
 * Threads: no shared state; a generator belongs to its caller.
 */
#ifndef DNSIFT_BENCH_GEN_RNG_H
#define DNSIFT_BENCH_GEN_RNG_H

#include <stdbool.h>
#include <stdint.h>

/* Random numbers: xoshiro256** seeded through splitmix64. */

struct rng {
	uint64_t s[4];
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t mix64(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b * 0xd6e8feb86659fd93ull);
	return splitmix64(&x);
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n); Lemire's multiply-shift, bias below 2^-32 for our n. */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static inline bool rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Seed the four words through splitmix64. */
void rng_seed(struct rng *r, uint64_t seed);
/* Pick an index from cumulative weights (last entry is the total). */
unsigned int rng_weighted(struct rng *r, const unsigned int *cum, unsigned int n);

/*
 * Zipf ranks 1..n by rejection-inversion (Hormann and Derflinger 1996, as in Apache
 * Commons RNG): O(1) per draw without a CDF table, so a 10M-name universe costs nothing.
 */
struct zipf {
	double s, n, h_x1, h_n, skip;
};

/* Ranks 1..n with exponent s (s <= 0: uniform). */
void zipf_init(struct zipf *z, uint32_t n, double s);
/* Rank in 1..n; rank 1 is the most popular. */
uint32_t zipf_draw(const struct zipf *z, struct rng *r);

#endif
