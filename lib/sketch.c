/*
 * sketch.c: DDSketch quantiles and HyperLogLog distinct counts.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sketch.h"

struct weir_quantiles {
	double gamma, log_gamma;
	int32_t offset;		/* bucket index of counts[0] */
	uint32_t nbuckets;
	uint64_t *counts;
	uint64_t zeros;		/* values <= 0 */
	uint64_t count;
	double min, max;
};

struct weir_quantiles *
weir_quantiles_new(double relative_error)
{
	struct weir_quantiles *q = calloc(1, sizeof *q);
	if (q == NULL)
		return NULL;
	q->gamma = (1 + relative_error) / (1 - relative_error);
	q->log_gamma = log(q->gamma);
	return q;
}

void
weir_quantiles_free(struct weir_quantiles *q)
{
	if (q == NULL)
		return;
	free(q->counts);
	free(q);
}

/* Bucket i holds (gamma^(i-1), gamma^i]. */
static int32_t
bucket_of(const struct weir_quantiles *q, double v)
{
	double i = ceil(log(v) / q->log_gamma);
	if (i < -100000)
		i = -100000;	/* below 1e-860: a subnormal; one bucket will do */
	if (i > 100000)
		i = 100000;
	return (int32_t)i;
}

int
weir_quantiles_add(struct weir_quantiles *q, double v)
{
	if (q->count == 0 || v < q->min)
		q->min = v;
	if (q->count == 0 || v > q->max)
		q->max = v;
	q->count++;
	if (!(v > 0)) {
		q->zeros++;
		return 0;
	}
	int32_t i = bucket_of(q, v);
	if (q->nbuckets == 0) {
		q->counts = calloc(1, sizeof *q->counts);
		if (q->counts == NULL)
			return -1;
		q->offset = i;
		q->nbuckets = 1;
	} else if (i < q->offset || i >= q->offset + (int32_t)q->nbuckets) {
		int32_t lo = i < q->offset ? i : q->offset;
		int32_t hi = i >= q->offset + (int32_t)q->nbuckets ? i + 1 :
		    q->offset + (int32_t)q->nbuckets;
		uint64_t *c = calloc((size_t)(hi - lo), sizeof *c);
		if (c == NULL)
			return -1;
		memcpy(c + (q->offset - lo), q->counts, q->nbuckets * sizeof *c);
		free(q->counts);
		q->counts = c;
		q->offset = lo;
		q->nbuckets = (uint32_t)(hi - lo);
	}
	q->counts[i - q->offset]++;
	return 0;
}

uint64_t
weir_quantiles_count(const struct weir_quantiles *q)
{
	return q->count;
}

double
weir_quantiles_min(const struct weir_quantiles *q)
{
	return q->count ? q->min : 0;
}

double
weir_quantiles_max(const struct weir_quantiles *q)
{
	return q->count ? q->max : 0;
}

/* The bucket holding the value of 0-based rank `target`; -1 for zeros. */
static int64_t
bucket_at(const struct weir_quantiles *q, uint64_t target)
{
	if (target < q->zeros)
		return -1;
	uint64_t seen = q->zeros;
	for (uint32_t b = 0; b < q->nbuckets; b++) {
		seen += q->counts[b];
		if (seen > target)
			return b;
	}
	return q->nbuckets ? (int64_t)q->nbuckets - 1 : -1;
}

static uint64_t
rank_index(const struct weir_quantiles *q, double rank)
{
	if (rank <= 0)
		return 0;
	if (rank >= 1)
		return q->count - 1;
	/* the smallest k with (k + 1) / count >= rank */
	double k = ceil(rank * (double)q->count) - 1;
	return k < 0 ? 0 : (uint64_t)k;
}

double
weir_quantiles_value(const struct weir_quantiles *q, double rank)
{
	if (q->count == 0)
		return 0;
	uint64_t k = rank_index(q, rank);
	if (k == 0)
		return q->min;
	if (k == q->count - 1)
		return q->max;
	int64_t b = bucket_at(q, k);
	if (b < 0)
		return 0;
	double v = 2 * pow(q->gamma, q->offset + (int32_t)b) / (q->gamma + 1);
	return v < q->min ? q->min : v > q->max ? q->max : v;
}

double
weir_quantiles_upper(const struct weir_quantiles *q, double rank)
{
	if (q->count == 0)
		return 0;
	uint64_t k = rank_index(q, rank);
	if (k == q->count - 1)
		return q->max;
	int64_t b = bucket_at(q, k);
	if (b < 0)
		return 0;
	double v = pow(q->gamma, q->offset + (int32_t)b);
	return v > q->max ? q->max : v;
}

/* --- HyperLogLog ---------------------------------------------------------- */

#define HLL_P 14
#define HLL_M (1u << HLL_P)

struct weir_distinct {
	uint8_t reg[HLL_M];
};

struct weir_distinct *
weir_distinct_new(void)
{
	return calloc(1, sizeof(struct weir_distinct));
}

void
weir_distinct_free(struct weir_distinct *d)
{
	free(d);
}

void
weir_distinct_add(struct weir_distinct *d, const void *bytes, size_t len)
{
	uint64_t h = XXH3_64bits(bytes, len);
	uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
	uint64_t rest = h << HLL_P;
	uint8_t rho = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - HLL_P + 1);
	if (rho > d->reg[idx])
		d->reg[idx] = rho;
}

double
weir_distinct_estimate(const struct weir_distinct *d)
{
	double sum = 0;
	unsigned zeros = 0;
	for (unsigned i = 0; i < HLL_M; i++) {
		sum += ldexp(1.0, -d->reg[i]);
		zeros += d->reg[i] == 0;
	}
	double m = HLL_M;
	double alpha = 0.7213 / (1 + 1.079 / m);
	double e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);	/* small ranges: linear counting */
	return e;
}
