/* Unit tests for lib/heap: pops come out in the order a sort gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../lib/heap.h"

struct item {
	int64_t t;
	uint64_t seq;
};

static bool
item_before(const struct item *a, const struct item *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

WEIR_HEAP_DEFINE(items, struct item, item_before)

static int
cmp_items(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return item_before(x, y) ? -1 : item_before(y, x) ? 1 : 0;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Pushes and pops interleaved at random, many equal times, against a
 * sorted copy of what is in the heap. */
static void
pops_follow_the_order_whatever_the_pushes(void **state)
{
	(void)state;
	for (int round = 0; round < 50; round++) {
		struct items_heap h = {0};
		struct item ref[2000];
		size_t nref = 0;
		uint64_t seq = 0;
		int64_t span = round % 2 ? 10 : 1000000;	/* ties, or few */
		for (int step = 0; step < 4000; step++) {
			bool push = nref == 0 || (nref < 2000 && next_random() % 3 != 0);
			if (push) {
				struct item it = {(int64_t)(next_random() % (uint64_t)span) - span / 2,
					seq++};
				assert_int_equal(items_push(&h, it), 0);
				ref[nref++] = it;
				continue;
			}
			qsort(ref, nref, sizeof ref[0], cmp_items);
			struct item got = items_pop(&h);
			assert_int_equal(got.t, ref[0].t);
			assert_int_equal(got.seq, ref[0].seq);
			for (size_t i = 1; i < nref; i++)
				ref[i - 1] = ref[i];
			nref--;
			assert_int_equal(h.n, nref);
		}
		while (nref > 0) {
			qsort(ref, nref, sizeof ref[0], cmp_items);
			struct item got = items_pop(&h);
			assert_int_equal(got.seq, ref[0].seq);
			for (size_t i = 1; i < nref; i++)
				ref[i - 1] = ref[i];
			nref--;
		}
		assert_int_equal(h.n, 0);
		items_free(&h);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pops_follow_the_order_whatever_the_pushes),
	};
	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
