/* Unit tests for lib/slab: objects of one size from blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/slab.h"

/* Objects across several blocks are distinct, aligned as malloc's, and
 * each holds its whole size (ASan sees any overlap or overrun). */
static void
objects_are_distinct_and_aligned(void **state)
{
	(void)state;
	struct weir_slab s;
	weir_slab_init(&s, 13, 4);
	assert_true(s.size >= 13 && s.size % _Alignof(max_align_t) == 0);
	unsigned char *got[10];
	for (int i = 0; i < 10; i++) {
		got[i] = weir_slab_get(&s);
		assert_non_null(got[i]);
		assert_int_equal((uintptr_t)got[i] % _Alignof(max_align_t), 0);
		memset(got[i], i, 13);
	}
	for (int i = 0; i < 10; i++)
		for (int k = 0; k < 13; k++)
			assert_int_equal(got[i][k], i);
	weir_slab_free(&s);
}

/* The last object put back is the next one got (still in cache), and a
 * slab freed with objects still out frees them too. */
static void
the_last_put_is_the_next_get(void **state)
{
	(void)state;
	struct weir_slab s;
	weir_slab_init(&s, 1, 2);	/* smaller than a pointer: made a pointer's */
	void *a = weir_slab_get(&s), *b = weir_slab_get(&s), *c = weir_slab_get(&s);
	assert_ptr_not_equal(a, b);
	assert_ptr_not_equal(b, c);
	weir_slab_put(&s, b);
	weir_slab_put(&s, a);
	assert_ptr_equal(weir_slab_get(&s), a);
	assert_ptr_equal(weir_slab_get(&s), b);
	assert_true(s.bytes > 0);
	weir_slab_free(&s);
	assert_int_equal(s.bytes, 0);
	(void)c;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(objects_are_distinct_and_aligned),
		cmocka_unit_test(the_last_put_is_the_next_get),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
