/*
 * sketch.c: DDSketch quantiles and sparse-then-dense HyperLogLog.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sketch.h"

/* --- DDSketch --------------------------------------------------------------- */

/* Buckets offset .. offset + n - 1; bucket i holds (gamma^(i-1), gamma^i]. */
struct bins {
	int32_t offset;
	uint32_t n;
	uint64_t *counts;
};

struct weir_quantiles {
	double relative_error, gamma, log_gamma;
	struct bins pos, neg;	/* neg: by magnitude */
	uint64_t zeros;
	uint64_t count;
	double min, max;
};

struct weir_quantiles *
weir_quantiles_new(double relative_error)
{
	struct weir_quantiles *q = calloc(1, sizeof *q);
	if (q == NULL)
		return NULL;
	q->relative_error = relative_error;
	q->gamma = (1 + relative_error) / (1 - relative_error);
	q->log_gamma = log(q->gamma);
	return q;
}

void
weir_quantiles_free(struct weir_quantiles *q)
{
	if (q == NULL)
		return;
	free(q->pos.counts);
	free(q->neg.counts);
	free(q);
}

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

/* Adds c to bucket i, growing the dense range to cover it. */
static int
bins_add(struct bins *b, int32_t i, uint64_t c)
{
	if (b->n == 0) {
		if ((b->counts = calloc(1, sizeof *b->counts)) == NULL)
			return -1;
		b->offset = i;
		b->n = 1;
	} else if (i < b->offset || i >= b->offset + (int32_t)b->n) {
		int32_t lo = i < b->offset ? i : b->offset;
		int32_t hi = i >= b->offset + (int32_t)b->n ? i + 1 : b->offset + (int32_t)b->n;
		uint64_t *counts = calloc((size_t)(hi - lo), sizeof *counts);
		if (counts == NULL)
			return -1;
		memcpy(counts + (b->offset - lo), b->counts, b->n * sizeof *counts);
		free(b->counts);
		b->counts = counts;
		b->offset = lo;
		b->n = (uint32_t)(hi - lo);
	}
	b->counts[i - b->offset] += c;
	return 0;
}

int
weir_quantiles_add(struct weir_quantiles *q, double v)
{
	if (isnan(v))
		return 0;
	if (q->count == 0 || v < q->min)
		q->min = v;
	if (q->count == 0 || v > q->max)
		q->max = v;
	q->count++;
	if (v > 0)
		return bins_add(&q->pos, bucket_of(q, v), 1);
	if (v < 0)
		return bins_add(&q->neg, bucket_of(q, -v), 1);
	q->zeros++;
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

/*
 * The bucket holding the value of 0-based rank `target`, in value order:
 * negatives from the largest magnitude down, zeros, positives up.  Returns
 * -1 for a negative bucket, 0 for zero, 1 for a positive one; *index is the
 * bucket's.
 */
static int
bucket_at(const struct weir_quantiles *q, uint64_t target, int32_t *index)
{
	uint64_t seen = 0;
	for (uint32_t b = q->neg.n; b-- > 0;) {
		seen += q->neg.counts[b];
		if (seen > target) {
			*index = q->neg.offset + (int32_t)b;
			return -1;
		}
	}
	seen += q->zeros;
	if (seen > target)
		return 0;
	for (uint32_t b = 0; b < q->pos.n; b++) {
		seen += q->pos.counts[b];
		if (seen > target) {
			*index = q->pos.offset + (int32_t)b;
			return 1;
		}
	}
	if (q->pos.n) {
		*index = q->pos.offset + (int32_t)q->pos.n - 1;
		return 1;
	}
	return 0;
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

static double
clamp(const struct weir_quantiles *q, double v)
{
	return v < q->min ? q->min : v > q->max ? q->max : v;
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
	int32_t i = 0;
	int sign = bucket_at(q, k, &i);
	if (sign == 0)
		return 0;
	double v = 2 * pow(q->gamma, i) / (q->gamma + 1);
	return clamp(q, sign * v);
}

double
weir_quantiles_upper(const struct weir_quantiles *q, double rank)
{
	if (q->count == 0)
		return 0;
	uint64_t k = rank_index(q, rank);
	if (k == q->count - 1)
		return q->max;
	int32_t i = 0;
	int sign = bucket_at(q, k, &i);
	if (sign == 0)
		return 0;
	/* a negative bucket's upper end is its smaller magnitude */
	double v = sign > 0 ? pow(q->gamma, i) : -pow(q->gamma, i - 1);
	return clamp(q, v);
}

int
weir_quantiles_merge(struct weir_quantiles *dst, const struct weir_quantiles *src)
{
	if (src->relative_error != dst->relative_error)
		return -1;
	if (src->count == 0)
		return 0;
	for (uint32_t b = 0; b < src->pos.n; b++)
		if (src->pos.counts[b] && bins_add(&dst->pos, src->pos.offset + (int32_t)b,
		    src->pos.counts[b]) < 0)
			return -1;
	for (uint32_t b = 0; b < src->neg.n; b++)
		if (src->neg.counts[b] && bins_add(&dst->neg, src->neg.offset + (int32_t)b,
		    src->neg.counts[b]) < 0)
			return -1;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->zeros += src->zeros;
	dst->count += src->count;
	return 0;
}

size_t
weir_quantiles_bytes(const struct weir_quantiles *q)
{
	return sizeof *q + (q->pos.n + q->neg.n) * sizeof(uint64_t);
}

static int
bins_write(const struct bins *b, struct weir_buf *out)
{
	if (weir_buf_printf(out, "[%ld", (long)b->offset) < 0)
		return -1;
	for (uint32_t i = 0; i < b->n; i++)
		if (weir_buf_printf(out, ",%llu", (unsigned long long)b->counts[i]) < 0)
			return -1;
	return weir_buf_add(out, "]", 1);
}

/* {"a":0.01,"n":5,"min":1,"max":9,"zero":0,"pos":[offset,c0,c1,...],"neg":[...]} */
int
weir_quantiles_write(const struct weir_quantiles *q, struct weir_buf *b)
{
	if (weir_buf_str(b, "{\"a\":") < 0 || weir_buf_double(b, q->relative_error) < 0 ||
	    weir_buf_printf(b, ",\"n\":%llu,\"min\":", (unsigned long long)q->count) < 0 ||
	    weir_buf_double(b, q->min) < 0 || weir_buf_str(b, ",\"max\":") < 0 ||
	    weir_buf_double(b, q->max) < 0 ||
	    weir_buf_printf(b, ",\"zero\":%llu,\"pos\":", (unsigned long long)q->zeros) < 0 ||
	    bins_write(&q->pos, b) < 0 || weir_buf_str(b, ",\"neg\":") < 0 ||
	    bins_write(&q->neg, b) < 0)
		return -1;
	return weir_buf_add(b, "}", 1);
}

static uint64_t
read_count(const json_t *v, int *bad)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		*bad = 1;
		return 0;
	}
	return (uint64_t)json_integer_value(v);
}

static int
bins_read(struct bins *b, const json_t *arr, uint64_t *total)
{
	if (!json_is_array(arr) || json_array_size(arr) < 1 ||
	    !json_is_integer(json_array_get(arr, 0)))
		return -1;
	json_int_t offset = json_integer_value(json_array_get(arr, 0));
	size_t n = json_array_size(arr) - 1;
	if (offset < -100000 || offset > 100000 || n > 200001)
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t c = read_count(json_array_get(arr, i + 1), &bad);
		if (bad || (c && bins_add(b, (int32_t)(offset + (json_int_t)i), c) < 0))
			return -1;
		*total += c;
	}
	return 0;
}

struct weir_quantiles *
weir_quantiles_read(const json_t *v)
{
	const json_t *a = json_object_get(v, "a");
	if (!json_is_number(a) || !(json_number_value(a) > 0 && json_number_value(a) < 1))
		return NULL;
	struct weir_quantiles *q = weir_quantiles_new(json_number_value(a));
	if (q == NULL)
		return NULL;
	int bad = 0;
	uint64_t total = 0;
	q->count = read_count(json_object_get(v, "n"), &bad);
	q->zeros = read_count(json_object_get(v, "zero"), &bad);
	const json_t *min = json_object_get(v, "min"), *max = json_object_get(v, "max");
	if (bad || !json_is_number(min) || !json_is_number(max) ||
	    bins_read(&q->pos, json_object_get(v, "pos"), &total) < 0 ||
	    bins_read(&q->neg, json_object_get(v, "neg"), &total) < 0 ||
	    total + q->zeros != q->count) {
		weir_quantiles_free(q);
		return NULL;
	}
	q->min = json_number_value(min);
	q->max = json_number_value(max);
	return q;
}

/* --- distinct counts ---------------------------------------------------------- */

#define HLL_P 14
#define HLL_M (1u << HLL_P)

struct weir_distinct {
	uint64_t *set;		/* sparse: open addressing, 0 is empty */
	uint32_t n, cap;
	uint8_t *reg;		/* dense: HLL_M registers */
};

struct weir_distinct *
weir_distinct_new(void)
{
	return calloc(1, sizeof(struct weir_distinct));
}

void
weir_distinct_free(struct weir_distinct *d)
{
	if (d == NULL)
		return;
	free(d->set);
	free(d->reg);
	free(d);
}

static void
register_hash(uint8_t *reg, uint64_t h)
{
	uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
	uint64_t rest = h << HLL_P;
	uint8_t rho = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - HLL_P + 1);
	if (rho > reg[idx])
		reg[idx] = rho;
}

static int
densify(struct weir_distinct *d)
{
	if (d->reg)
		return 0;
	if ((d->reg = calloc(HLL_M, 1)) == NULL)
		return -1;
	for (uint32_t i = 0; i < d->cap; i++)
		if (d->set[i])
			register_hash(d->reg, d->set[i]);
	free(d->set);
	d->set = NULL;
	d->n = d->cap = 0;
	return 0;
}

static void
set_insert(uint64_t *set, uint32_t cap, uint64_t h, uint32_t *n)
{
	uint32_t i = (uint32_t)h & (cap - 1);
	while (set[i] && set[i] != h)
		i = (i + 1) & (cap - 1);
	if (set[i] == 0) {
		set[i] = h;
		++*n;
	}
}

static int
add_hash(struct weir_distinct *d, uint64_t h)
{
	if (d->reg) {
		register_hash(d->reg, h);
		return 0;
	}
	if (h == 0)
		h = 1;	/* 0 marks an empty slot */
	if (2 * (d->n + 1) > d->cap) {
		if (d->n + 1 > WEIR_DISTINCT_SPARSE) {
			if (densify(d) < 0)
				return -1;
			register_hash(d->reg, h);
			return 0;
		}
		uint32_t cap = d->cap ? d->cap * 2 : 16;
		uint64_t *set = calloc(cap, sizeof *set);
		if (set == NULL)
			return -1;
		uint32_t n = 0;
		for (uint32_t i = 0; i < d->cap; i++)
			if (d->set[i])
				set_insert(set, cap, d->set[i], &n);
		free(d->set);
		d->set = set;
		d->cap = cap;
	}
	set_insert(d->set, d->cap, h, &d->n);
	return 0;
}

int
weir_distinct_add(struct weir_distinct *d, const void *bytes, size_t len)
{
	return add_hash(d, XXH3_64bits(bytes, len));
}

int
weir_distinct_merge(struct weir_distinct *dst, const struct weir_distinct *src)
{
	if (src->reg) {
		if (densify(dst) < 0)
			return -1;
		for (uint32_t i = 0; i < HLL_M; i++)
			if (src->reg[i] > dst->reg[i])
				dst->reg[i] = src->reg[i];
		return 0;
	}
	for (uint32_t i = 0; i < src->cap; i++)
		if (src->set[i] && add_hash(dst, src->set[i]) < 0)
			return -1;
	return 0;
}

/* Ertl's sigma and tau ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017): the corrections for empty and saturated
 * registers that make the estimate unbiased across the whole range, where
 * the classic estimator with linear counting is off by a few percent
 * around 2.5 m distinct values. */
static double
hll_sigma(double x)
{
	if (x == 1)
		return INFINITY;
	double y = 1, z = x, old;
	do {
		x *= x;
		old = z;
		z += x * y;
		y += y;
	} while (z != old);
	return z;
}

static double
hll_tau(double x)
{
	if (x == 0 || x == 1)
		return 0;
	double y = 1, z = 1 - x, old;
	do {
		x = sqrt(x);
		old = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != old);
	return z / 3;
}

double
weir_distinct_estimate(const struct weir_distinct *d)
{
	if (d->reg == NULL)
		return d->n;
	enum { Q = 64 - HLL_P };
	uint32_t hist[Q + 2] = {0};
	for (unsigned i = 0; i < HLL_M; i++)
		hist[d->reg[i]]++;
	double m = HLL_M;
	double z = m * hll_tau(1 - hist[Q + 1] / m);
	for (int k = Q; k >= 1; k--)
		z = 0.5 * (z + hist[k]);
	z += m * hll_sigma(hist[0] / m);
	return m * m / (2 * log(2) * z);
}

size_t
weir_distinct_bytes(const struct weir_distinct *d)
{
	return sizeof *d + d->cap * sizeof(uint64_t) + (d->reg ? HLL_M : 0);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Sparse: {"h":"<16 hex digits per hash>"}; dense: {"r":"<one character
 * per register, its value in the base64 alphabet>"} (registers stay < 64). */
int
weir_distinct_write(const struct weir_distinct *d, struct weir_buf *b)
{
	if (d->reg) {
		if (weir_reserve(&b->p, &b->cap, b->n + HLL_M + 16) < 0)
			return -1;
		weir_buf_str(b, "{\"r\":\"");
		for (uint32_t i = 0; i < HLL_M; i++)
			b->p[b->n++] = b64[d->reg[i] & 63];
		return weir_buf_str(b, "\"}");
	}
	if (weir_buf_str(b, "{\"h\":\"") < 0)
		return -1;
	for (uint32_t i = 0; i < d->cap; i++)
		if (d->set[i] && weir_buf_printf(b, "%016llx", (unsigned long long)d->set[i]) < 0)
			return -1;
	return weir_buf_str(b, "\"}");
}

struct weir_distinct *
weir_distinct_read(const json_t *v)
{
	struct weir_distinct *d = weir_distinct_new();
	if (d == NULL)
		return NULL;
	const json_t *h = json_object_get(v, "h"), *r = json_object_get(v, "r");
	if (json_is_string(r) && json_string_length(r) == HLL_M) {
		const char *s = json_string_value(r);
		if ((d->reg = calloc(HLL_M, 1)) == NULL)
			goto bad;
		for (uint32_t i = 0; i < HLL_M; i++) {
			const char *at = strchr(b64, s[i]);
			if (s[i] == '\0' || at == NULL)
				goto bad;
			d->reg[i] = (uint8_t)(at - b64);
		}
		return d;
	}
	if (json_is_string(h) && json_string_length(h) % 16 == 0) {
		const char *s = json_string_value(h);
		for (size_t i = 0; i < json_string_length(h); i += 16) {
			uint64_t x = 0;
			for (int k = 0; k < 16; k++) {
				char c = s[i + k];
				int digit = c >= '0' && c <= '9' ? c - '0' :
				    c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
				if (digit < 0)
					goto bad;
				x = x << 4 | (uint64_t)digit;
			}
			if (add_hash(d, x) < 0)
				goto bad;
		}
		return d;
	}
bad:
	weir_distinct_free(d);
	return NULL;
}
