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
	const unsigned sizes[] = {10, 1000, 100000, 1000000};
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quantiles_within_one_percent_of_the_exact_ones),
		cmocka_unit_test(empty_and_single),
		cmocka_unit_test(distinct_within_two_percent),
	};
	return cmocka_run_group_tests_name("sketch", tests, NULL, NULL);
}
