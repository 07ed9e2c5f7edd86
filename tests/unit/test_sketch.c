/* Unit tests for lib/sketch: quantiles within 1%, distinct counts within 2%. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../lib/sketch.h"

static uint64_t rng_state = 88172645463325252ULL;

static double
uniform(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void
quantiles_within_one_percent_of_the_exact_ones(void **state)
{
	(void)state;
	enum { N = 100000 };
	double *v = malloc(N * sizeof *v);
	struct weir_quantiles *q = weir_quantiles_new(0.01);
	for (int i = 0; i < N; i++) {
		/* log-uniform over 1 us .. 100 s, and a tenth exact zeros */
		v[i] = uniform() < 0.1 ? 0 : 1e-6 * pow(1e8, uniform());
		assert_int_equal(weir_quantiles_add(q, v[i]), 0);
	}
	qsort(v, N, sizeof *v, by_value);
	const double ranks[] = {0.05, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0};
	for (size_t r = 0; r < sizeof ranks / sizeof ranks[0]; r++) {
		size_t k = (size_t)ceil(ranks[r] * N) - 1;
		double exact = v[k], got = weir_quantiles_value(q, ranks[r]);
		if (exact == 0)
			assert_true(got == 0);
		else if (fabs(got - exact) > 0.0101 * exact)
			fail_msg("rank %g: %g, exact %g", ranks[r], got, exact);
		double up = weir_quantiles_upper(q, ranks[r]);
		assert_true(up >= exact);
		assert_true(exact == 0 || up <= exact * 1.0203);
	}
	assert_int_equal(weir_quantiles_count(q), N);
	assert_true(weir_quantiles_min(q) == v[0]);
	assert_true(weir_quantiles_max(q) == v[N - 1]);
	weir_quantiles_free(q);
	free(v);
}

static void
empty_and_single(void **state)
{
	(void)state;
	struct weir_quantiles *q = weir_quantiles_new(0.01);
	assert_true(weir_quantiles_value(q, 0.5) == 0);
	weir_quantiles_add(q, 3.5);
	assert_true(weir_quantiles_value(q, 0.5) == 3.5);
	assert_true(weir_quantiles_upper(q, 0.999) == 3.5);
	weir_quantiles_free(q);
	weir_quantiles_free(NULL);
}

static void
distinct_within_two_percent(void **state)
{
	(void)state;
	const unsigned sizes[] = {10, 1000, 3000, 40000, 100000, 1000000};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		struct weir_distinct *d = weir_distinct_new();
		char key[32];
		for (unsigned i = 0; i < sizes[s]; i++) {
			int n = snprintf(key, sizeof key, "user-%u", i);
			weir_distinct_add(d, key, (size_t)n);
			weir_distinct_add(d, key, (size_t)n);	/* repeats do not count */
		}
		double e = weir_distinct_estimate(d);
		if (fabs(e - sizes[s]) > 0.02 * sizes[s] + 0.5)
			fail_msg("%u distinct estimated as %.1f", sizes[s], e);
		weir_distinct_free(d);
	}
}

static void
negative_values_keep_their_order(void **state)
{
	(void)state;
	struct weir_quantiles *q = weir_quantiles_new(0.01);
	/* -100 .. 100, one each */
	for (int i = -100; i <= 100; i++)
		weir_quantiles_add(q, i);
	assert_true(weir_quantiles_value(q, 0) == -100);
	assert_true(fabs(weir_quantiles_value(q, 0.25) - (-50)) <= 0.5);	/* 51st of 201 */
	assert_true(weir_quantiles_value(q, 0.5) == 0);	/* 101st: zero */
	assert_true(fabs(weir_quantiles_value(q, 0.75) - 50) <= 0.5);
	assert_true(weir_quantiles_value(q, 1) == 100);
	/* upper bounds stay above the value, on both sides of zero */
	assert_true(weir_quantiles_upper(q, 0.25) >= -50);
	assert_true(weir_quantiles_upper(q, 0.75) >= 50);
	weir_quantiles_free(q);
}

static void
merged_sketches_equal_one_sketch_of_everything(void **state)
{
	(void)state;
	struct weir_quantiles *all = weir_quantiles_new(0.01), *a = weir_quantiles_new(0.01),
	    *b = weir_quantiles_new(0.01);
	struct weir_distinct *dall = weir_distinct_new(), *da = weir_distinct_new(),
	    *db = weir_distinct_new();
	char key[32];
	for (int i = 0; i < 50000; i++) {
		double v = (uniform() - 0.3) * 1000;
		int n = snprintf(key, sizeof key, "k%d", (int)(uniform() * 20000));
		weir_quantiles_add(all, v);
		weir_quantiles_add(i % 3 ? a : b, v);
		weir_distinct_add(dall, key, (size_t)n);
		weir_distinct_add(i % 3 ? da : db, key, (size_t)n);
	}
	assert_int_equal(weir_quantiles_merge(a, b), 0);
	assert_int_equal(weir_distinct_merge(da, db), 0);
	for (double r = 0; r <= 1; r += 0.01)
		assert_true(weir_quantiles_value(a, r) == weir_quantiles_value(all, r));
	assert_true(weir_distinct_estimate(da) == weir_distinct_estimate(dall));
	/* a different relative error does not merge */
	struct weir_quantiles *other = weir_quantiles_new(0.02);
	weir_quantiles_add(other, 1);
	assert_int_equal(weir_quantiles_merge(a, other), -1);
	weir_quantiles_free(other);
	weir_quantiles_free(all);
	weir_quantiles_free(a);
	weir_quantiles_free(b);
	weir_distinct_free(dall);
	weir_distinct_free(da);
	weir_distinct_free(db);
}

/* write, then read back: the same answers, sparse and dense */
static void
sketches_read_back_what_they_wrote(void **state)
{
	(void)state;
	const int sizes[] = {0, 5, 900, 30000};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		struct weir_quantiles *q = weir_quantiles_new(0.01);
		struct weir_distinct *d = weir_distinct_new();
		char key[32];
		for (int i = 0; i < sizes[s]; i++) {
			weir_quantiles_add(q, (uniform() - 0.5) * 1e6);
			int n = snprintf(key, sizeof key, "%d", i);
			weir_distinct_add(d, key, (size_t)n);
		}
		struct weir_buf b = {0};
		assert_int_equal(weir_quantiles_write(q, &b), 0);
		json_t *v = json_loadb(b.p, b.n, 0, NULL);
		assert_non_null(v);
		struct weir_quantiles *q2 = weir_quantiles_read(v);
		assert_non_null(q2);
		for (double r = 0; r <= 1; r += 0.05)
			assert_true(weir_quantiles_value(q, r) == weir_quantiles_value(q2, r));
		json_decref(v);
		b.n = 0;
		assert_int_equal(weir_distinct_write(d, &b), 0);
		v = json_loadb(b.p, b.n, 0, NULL);
		struct weir_distinct *d2 = weir_distinct_read(v);
		assert_non_null(d2);
		assert_true(weir_distinct_estimate(d) == weir_distinct_estimate(d2));
		json_decref(v);
		weir_buf_free(&b);
		weir_quantiles_free(q);
		weir_quantiles_free(q2);
		weir_distinct_free(d);
		weir_distinct_free(d2);
	}
	/* what is not a sketch is refused */
	const char *bad[] = {"{}", "{\"a\":0.01,\"n\":2,\"min\":1,\"max\":2,\"zero\":0,"
	    "\"pos\":[0,1],\"neg\":[0]}", "{\"h\":\"12\"}", "{\"r\":\"AAAA\"}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *v = json_loads(bad[i], 0, NULL);
		assert_null(i < 2 ? (void *)weir_quantiles_read(v) : (void *)weir_distinct_read(v));
		json_decref(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quantiles_within_one_percent_of_the_exact_ones),
		cmocka_unit_test(empty_and_single),
		cmocka_unit_test(distinct_within_two_percent),
		cmocka_unit_test(negative_values_keep_their_order),
		cmocka_unit_test(merged_sketches_equal_one_sketch_of_everything),
		cmocka_unit_test(sketches_read_back_what_they_wrote),
	};
	return cmocka_run_group_tests_name("sketch", tests, NULL, NULL);
}
