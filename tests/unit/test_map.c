/* Unit tests for lib/map: the open-addressing index from hashes to items. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/map.h"

static int *
find(const struct weir_map *m, uint64_t hash, int value)
{
	size_t at = weir_map_start(m, hash);
	for (int *it; (it = weir_map_next(m, hash, &at)) != NULL;)
		if (*it == value)
			return it;
	return NULL;
}

static void
an_empty_map_finds_nothing(void **state)
{
	(void)state;
	struct weir_map m = {0};
	assert_null(find(&m, 42, 1));
	assert_int_equal(weir_map_remove(&m, 42, &m), -1);
	weir_map_free(&m);
}

static void
items_with_one_hash_are_all_found(void **state)
{
	(void)state;
	struct weir_map m = {0};
	int v[5] = {1, 2, 3, 4, 5};
	for (int i = 0; i < 5; i++)
		assert_int_equal(weir_map_insert(&m, 7, &v[i]), 0);
	for (int i = 0; i < 5; i++)
		assert_ptr_equal(find(&m, 7, v[i]), &v[i]);
	assert_int_equal(weir_map_remove(&m, 7, &v[2]), 0);
	assert_null(find(&m, 7, 3));
	assert_ptr_equal(find(&m, 7, 5), &v[4]);
	weir_map_free(&m);
}

/* Against a plain array as the reference: random inserts and removals,
 * with hashes that collide on purpose (few distinct low bits). */
static void
random_inserts_and_removals_agree_with_a_reference(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct weir_map m = {0};
	int *values = calloc(N, sizeof *values);
	char *present = calloc(N, 1);
	uint64_t rng = 12345;
	for (int i = 0; i < N; i++)
		values[i] = i;
	for (int step = 0; step < 200000; step++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		int i = (int)((rng >> 33) % N);
		uint64_t h = (uint64_t)(i % 97) * 0x9E3779B97F4A7C15ULL;
		if (present[i]) {
			assert_int_equal(weir_map_remove(&m, h, &values[i]), 0);
			present[i] = 0;
		} else {
			assert_int_equal(weir_map_insert(&m, h, &values[i]), 0);
			present[i] = 1;
		}
		if (step % 1000 == 0) {
			size_t live = 0;
			for (int k = 0; k < N; k++) {
				uint64_t hk = (uint64_t)(k % 97) * 0x9E3779B97F4A7C15ULL;
				int *got = find(&m, hk, k);
				assert_true(present[k] ? got == &values[k] : got == NULL);
				live += present[k];
			}
			assert_int_equal(m.n, live);
			assert_true(weir_map_bytes(&m) >= 2 * live * sizeof(struct weir_map_slot));
		}
	}
	weir_map_free(&m);
	free(values);
	free(present);
}

static void
hashes_of_equal_bytes_are_equal(void **state)
{
	(void)state;
	assert_true(weir_map_hash("web-1", 5) == weir_map_hash("web-1", 5));
	assert_true(weir_map_hash("web-1", 5) != weir_map_hash("web-2", 5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_empty_map_finds_nothing),
		cmocka_unit_test(items_with_one_hash_are_all_found),
		cmocka_unit_test(random_inserts_and_removals_agree_with_a_reference),
		cmocka_unit_test(hashes_of_equal_bytes_are_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
