/* Unit tests for lib/pending: events leave in (time, arrival) order, whether
 * they wait in the wheel or in the heap beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/pending.h"

/* A small seeded generator (xorshift64*), so that a failure repeats. */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static int
by_time_then_seq(const void *a, const void *b)
{
	const struct weir_pending *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * n events whose times run forward with disorder up to `disorder` ns, some
 * far behind or far ahead (outside the wheel's span: to the heap), and runs
 * of equal times (a crowded bucket: past the walk, to the heap).  They are
 * pushed in arrival order and taken while the earliest is at or below a
 * watermark that trails the largest time by `disorder`.  Each one taken
 * must be the least by (t, seq) of those pending then, kept apart in a
 * plain array, with its own payload.
 */
static void
check_order(bool wheel, int64_t span, int64_t disorder, size_t n, uint64_t seed)
{
	struct weir_pendings ps = {0};
	if (wheel)
		assert_int_equal(weir_pendings_init(&ps, span), 0);
	struct weir_pending *in = calloc(n, sizeof *in);
	size_t *ref = calloc(n, sizeof *ref), nref = 0;	/* indexes of in[] pending */
	assert_non_null(in);
	assert_non_null(ref);
	int64_t base = 1795428000000000000;
	for (size_t i = 0; i < n; i++) {
		uint64_t r = next_random(&seed);
		int64_t t = base + (int64_t)i * 1000000 - (int64_t)(r % (uint64_t)(disorder + 1));
		if (r % 97 == 0)
			t -= 3600 * INT64_C(1000000000);	/* far behind */
		else if (r % 89 == 0)
			t += 3600 * INT64_C(1000000000);	/* far ahead */
		else if (r % 7 == 0 && i > 0)
			t = in[i - 1].t;			/* a tie */
		in[i] = (struct weir_pending){.t = t, .seq = i, .key = &in[i], .shape = (uint32_t)i};
	}
	size_t got = 0;
	int64_t max = INT64_MIN;
	for (size_t i = 0; i <= n; i++) {
		int64_t watermark = i == n ? INT64_MAX : max == INT64_MIN ? INT64_MIN : max - disorder;
		uint32_t slot = 0;
		bool from_wheel;
		const struct weir_pending *p;
		while ((p = weir_pendings_peek(&ps, &slot, &from_wheel)) != NULL && p->t <= watermark) {
			struct weir_pending out = weir_pendings_take(&ps, slot, from_wheel);
			size_t least = 0;
			for (size_t k = 1; k < nref; k++)
				if (by_time_then_seq(&in[ref[k]], &in[ref[least]]) < 0)
					least = k;
			assert_true(nref > 0);
			assert_int_equal(out.seq, in[ref[least]].seq);
			assert_int_equal(out.t, in[ref[least]].t);
			assert_ptr_equal(out.key, &in[out.seq]);
			assert_int_equal(out.shape, (uint32_t)out.seq);
			ref[least] = ref[--nref];
			got++;
		}
		if (i == n)
			break;
		assert_int_equal(weir_pendings_push(&ps, &in[i]), 0);
		ref[nref++] = i;
		if (in[i].t > max)
			max = in[i].t;
	}
	assert_int_equal(got, n);
	assert_int_equal(weir_pendings_count(&ps), 0);
	free(in);
	free(ref);
	weir_pendings_free(&ps);
}

static void
events_leave_in_time_then_arrival_order_from_wheel_and_heap(void **state)
{
	(void)state;
	check_order(true, 4 * INT64_C(1000000000), 500000000, 20000, 7);
	check_order(true, 1000, 500000000, 5000, 11);	/* a narrow wheel: mostly heap */
	check_order(false, 0, 500000000, 5000, 13);	/* no wheel: the heap alone */
}

/* With no event late (all pushed before any is taken), what leaves is
 * exactly the events sorted by (t, seq). */
static void
a_whole_batch_leaves_sorted(void **state)
{
	(void)state;
	for (int wheel = 0; wheel < 2; wheel++) {
		size_t n = 30000;
		uint64_t seed = 99;
		struct weir_pendings ps = {0};
		if (wheel)
			assert_int_equal(weir_pendings_init(&ps, 2 * INT64_C(1000000000)), 0);
		struct weir_pending *in = calloc(n, sizeof *in);
		assert_non_null(in);
		for (size_t i = 0; i < n; i++) {
			uint64_t r = next_random(&seed);
			int64_t t = (int64_t)i * 100000 - (int64_t)(r % 3000000000u);
			if (r % 5 == 0 && i > 0)
				t = in[i - 1].t;
			in[i] = (struct weir_pending){.t = t, .seq = i};
			assert_int_equal(weir_pendings_push(&ps, &in[i]), 0);
		}
		assert_int_equal(weir_pendings_count(&ps), n);
		assert_true(weir_pendings_bytes(&ps) >= n * sizeof(struct weir_pending));
		qsort(in, n, sizeof *in, by_time_then_seq);
		for (size_t i = 0; i < n; i++) {
			uint32_t slot = 0;
			bool from_wheel;
			const struct weir_pending *p = weir_pendings_peek(&ps, &slot, &from_wheel);
			assert_non_null(p);
			struct weir_pending got = weir_pendings_take(&ps, slot, from_wheel);
			assert_int_equal(got.t, in[i].t);
			assert_int_equal(got.seq, in[i].seq);
		}
		uint32_t slot = 0;
		bool from_wheel;
		assert_null(weir_pendings_peek(&ps, &slot, &from_wheel));
		free(in);
		weir_pendings_free(&ps);
	}
}

static int
count_one(void *arg, const struct weir_pending *p)
{
	bool *seen = arg;
	if (seen[p->seq])
		return 1;
	seen[p->seq] = true;
	return 0;
}

static void
each_visits_every_pending_event_once(void **state)
{
	(void)state;
	struct weir_pendings ps = {0};
	assert_int_equal(weir_pendings_init(&ps, INT64_C(1000000000)), 0);
	bool seen[3000] = {0};
	for (uint64_t i = 0; i < 3000; i++) {
		/* most in the wheel's span, every tenth far out of it (the heap) */
		int64_t t = (int64_t)i * 1000 + (i % 10 == 0 ? INT64_C(1) << 50 : 0);
		struct weir_pending p = {.t = t, .seq = i};
		assert_int_equal(weir_pendings_push(&ps, &p), 0);
	}
	assert_int_equal(weir_pendings_each(&ps, count_one, seen), 0);
	for (size_t i = 0; i < 3000; i++)
		assert_true(seen[i]);
	weir_pendings_free(&ps);
	weir_pendings_free(&ps);	/* a zeroed set is fine to free */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_leave_in_time_then_arrival_order_from_wheel_and_heap),
		cmocka_unit_test(a_whole_batch_leaves_sorted),
		cmocka_unit_test(each_visits_every_pending_event_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
