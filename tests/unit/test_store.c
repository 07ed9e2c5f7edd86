/* Unit tests for lib/store: held bytes, references, recycling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/store.h"

static void
bytes_survive_until_released(void **state)
{
	(void)state;
	struct weir_store *s = weir_store_new();
	struct weir_stored a, b;
	assert_int_equal(weir_store_put(s, "{\"a\":1}", 7, &a), 0);
	assert_int_equal(weir_store_put(s, "{\"b\":2}", 7, &b), 0);
	assert_memory_equal(a.line, "{\"a\":1}", 7);
	assert_memory_equal(b.line, "{\"b\":2}", 7);
	weir_store_ref(&a);
	weir_store_release(s, &a);
	assert_memory_equal(a.line, "{\"a\":1}", 7);
	weir_store_release(s, &a);
	weir_store_release(s, &b);
	weir_store_free(s);
}

static void
memory_follows_what_is_held_not_what_went_through(void **state)
{
	(void)state;
	struct weir_store *s = weir_store_new();
	char line[200];
	memset(line, 'x', sizeof line);
	/* a sliding set of 1000 held events while 200 MB pass through */
	enum { HELD = 1000 };
	struct weir_stored ring[HELD];
	for (size_t i = 0; i < 1000000; i++) {
		if (i >= HELD)
			weir_store_release(s, &ring[i % HELD]);
		assert_int_equal(weir_store_put(s, line, sizeof line, &ring[i % HELD]), 0);
	}
	assert_true(weir_store_bytes(s) <= 3u << 20);
	for (size_t i = 0; i < HELD; i++)
		weir_store_release(s, &ring[i]);
	weir_store_free(s);
}

static void
an_event_longer_than_a_chunk(void **state)
{
	(void)state;
	struct weir_store *s = weir_store_new();
	size_t n = 3u << 20;
	char *big = malloc(n);
	memset(big, 'y', n);
	struct weir_stored h, small;
	assert_int_equal(weir_store_put(s, "{}", 2, &small), 0);
	assert_int_equal(weir_store_put(s, big, n, &h), 0);
	assert_memory_equal(h.line, big, n);
	weir_store_release(s, &h);
	weir_store_release(s, &small);
	weir_store_free(s);
	free(big);
	weir_store_free(NULL);
}

/* A tail kept after the line comes back as it was, and the next event's
 * bytes do not overwrite it. */
static void
a_tail_is_kept_after_the_line(void **state)
{
	(void)state;
	struct weir_store *s = weir_store_new();
	struct weir_stored a, b;
	const uint32_t where[] = {1, 5, UINT32_MAX, 0, 7};
	assert_int_equal(weir_store_put_tail(s, "{\"a\":1}", 7, where, sizeof where, &a), 0);
	assert_int_equal(weir_store_put(s, "{\"b\":2}", 7, &b), 0);
	assert_int_equal(a.len, 7);
	assert_memory_equal(a.line, "{\"a\":1}", 7);
	uint32_t back[5];
	memcpy(back, a.line + a.len, sizeof back);
	assert_memory_equal(back, where, sizeof where);
	assert_memory_equal(b.line, "{\"b\":2}", 7);
	weir_store_release(s, &a);
	weir_store_release(s, &b);
	weir_store_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bytes_survive_until_released),
		cmocka_unit_test(memory_follows_what_is_held_not_what_went_through),
		cmocka_unit_test(an_event_longer_than_a_chunk),
		cmocka_unit_test(a_tail_is_kept_after_the_line),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
