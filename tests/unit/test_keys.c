/* Unit tests for lib/keys: key bytes, their hash, and comparing them with an
 * event's fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/keys.h"
#include "../../lib/map.h"

struct fixture {
	struct weir_plan *plan;
	struct weir_keys keys;
	struct weir_span spans[8];
	char *buf;
	size_t cap;
};

/* Scans line with the key fields of list; the spans are in f->spans. */
static void
scan(struct fixture *f, const char *list, const char *line)
{
	f->plan = weir_plan_new();
	assert_non_null(f->plan);
	assert_int_equal(weir_keys_parse(&f->keys, f->plan, list), 0);
	const char *why = NULL;
	assert_int_equal(weir_scan(f->plan, line, strlen(line), f->spans, &why), 0);
}

static void
done(struct fixture *f)
{
	weir_keys_free(&f->keys);
	weir_plan_free(f->plan);
	free(f->buf);
}

static void
key_bytes_are_each_value_as_written_then_nul_and_missing_is_1(void **state)
{
	(void)state;
	struct fixture f = {0};
	scan(&f, "host,user.id,zone", "{\"user\":{\"id\":7.0},\"host\":\"web-1\"}");
	long n = weir_keys_bytes(&f.keys, f.spans, &f.buf, &f.cap);
	const char expect[] = "\"web-1\"\0" "7.0\0" "\1";
	assert_int_equal(n, sizeof expect);
	assert_memory_equal(f.buf, expect, sizeof expect);
	done(&f);
}

static void
the_hash_is_the_map_hash_of_the_key_bytes(void **state)
{
	(void)state;
	struct fixture f = {0};
	scan(&f, "host,user.id,zone", "{\"user\":{\"id\":7},\"host\":\"web-1\"}");
	long n = weir_keys_bytes(&f.keys, f.spans, &f.buf, &f.cap);
	assert_true(weir_keys_hash(&f.keys, f.spans) == weir_map_hash(f.buf, (size_t)n));
	done(&f);
}

static void
a_key_longer_than_the_stack_buffer_hashes_the_same(void **state)
{
	(void)state;
	/* two fields of 400 bytes each: past the 512 bytes gathered at once */
	char line[1024];
	char a[401], b[401];
	memset(a, 'a', 400);
	memset(b, 'b', 400);
	a[400] = b[400] = '\0';
	snprintf(line, sizeof line, "{\"x\":\"%s\",\"y\":\"%s\"}", a, b);
	struct fixture f = {0};
	scan(&f, "x,y", line);
	long n = weir_keys_bytes(&f.keys, f.spans, &f.buf, &f.cap);
	assert_true(n > 512);
	assert_true(weir_keys_hash(&f.keys, f.spans) == weir_map_hash(f.buf, (size_t)n));
	assert_true(weir_keys_equal(&f.keys, f.spans, f.buf, (size_t)n));
	done(&f);
}

static void
equal_compares_the_fields_with_key_bytes(void **state)
{
	(void)state;
	struct fixture f = {0};
	scan(&f, "a,b", "{\"a\":\"x\",\"b\":12}");
	/* "x" NUL 12 NUL: 7 bytes (the literals' own NUL is the last one) */
	assert_true(weir_keys_equal(&f.keys, f.spans, "\"x\"\0" "12", 7));
	/* a value split at another place, a shorter or longer key, another value */
	assert_false(weir_keys_equal(&f.keys, f.spans, "\"x\"1\0" "2", 7));
	assert_false(weir_keys_equal(&f.keys, f.spans, "\"x\"\0" "12", 6));
	assert_false(weir_keys_equal(&f.keys, f.spans, "\"x\"\0" "12\0\1", 9));
	assert_false(weir_keys_equal(&f.keys, f.spans, "\"x\"\0" "13", 7));
	assert_false(weir_keys_equal(&f.keys, f.spans, "", 0));
	done(&f);
}

static void
a_missing_field_equals_only_the_missing_byte(void **state)
{
	(void)state;
	struct fixture f = {0};
	scan(&f, "a,b", "{\"a\":1}");
	assert_true(weir_keys_equal(&f.keys, f.spans, "1\0\1", 4));
	assert_false(weir_keys_equal(&f.keys, f.spans, "1\0" "1", 4));
	done(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_bytes_are_each_value_as_written_then_nul_and_missing_is_1),
		cmocka_unit_test(the_hash_is_the_map_hash_of_the_key_bytes),
		cmocka_unit_test(a_key_longer_than_the_stack_buffer_hashes_the_same),
		cmocka_unit_test(equal_compares_the_fields_with_key_bytes),
		cmocka_unit_test(a_missing_field_equals_only_the_missing_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
