/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_rng: xoshiro256** and Zipf by rejection-inversion (see gen_rng.h). */
#include "bench/gen_rng.h"

#include <math.h>

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

unsigned int rng_weighted(struct rng *r, const unsigned int *cum, unsigned int n)
{
	unsigned int x = rng_below(r, cum[n - 1]);
	unsigned int i = 0;

	while (cum[i] <= x)
		i++;
	return i;
}


static double zipf_helper1(double x)	/* log1p(x)/x, stable near 0 */
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

static double zipf_helper2(double x)	/* expm1(x)/x, stable near 0 */
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) *
								  (1.0 + 0.25 * x));
}

static double zipf_H(const struct zipf *z, double x)
{
	double lx = log(x);
	return zipf_helper2((1.0 - z->s) * lx) * lx;
}

static double zipf_h(const struct zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double zipf_Hinv(const struct zipf *z, double x)
{
	double t = x * (1.0 - z->s);
	if (t < -1.0)
		t = -1.0;	/* rounding at the boundary */
	return exp(zipf_helper1(t) * x);
}

void zipf_init(struct zipf *z, uint32_t n, double s)
{
	z->s = s;
	z->n = n;
	z->h_x1 = zipf_H(z, 1.5) - 1.0;
	z->h_n = zipf_H(z, n + 0.5);
	z->skip = 2.0 - zipf_Hinv(z, zipf_H(z, 2.5) - zipf_h(z, 2.0));
}

uint32_t zipf_draw(const struct zipf *z, struct rng *r)
{
	if (z->s <= 0.0)
		return 1 + rng_below(r, (uint32_t)z->n);
	for (;;) {
		double u = z->h_n + rng_unit(r) * (z->h_x1 - z->h_n);
		double x = zipf_Hinv(z, u);
		double k = floor(x + 0.5);
		if (k < 1.0)
			k = 1.0;
		else if (k > z->n)
			k = z->n;
		if (k - x <= z->skip || u >= zipf_H(z, k + 0.5) - zipf_h(z, k))
			return (uint32_t)k;
	}
}
