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
#include <xxhash.h>

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
key_bytes_are_each_value_by_its_text_then_nul_and_missing_is_1(void **state)
{
	(void)state;
	struct fixture f = {0};
	scan(&f, "host,user.id,zone", "{\"user\":{\"id\":7.0},\"host\":\"web-1\"}");
	long n = weir_keys_bytes(&f.keys, f.spans, &f.buf, &f.cap);
	const char expect[] = "web-1\0" "7.0\0" "\1";
	assert_int_equal(n, sizeof expect);
	assert_memory_equal(f.buf, expect, sizeof expect);
	done(&f);
}

/* Of several fields, and of one (hashed where it is in the line): plain,
 * escaped, a number, missing, longer than the stack buffer. */
static void
the_hash_is_the_bytes_hash_of_the_key_bytes(void **state)
{
	(void)state;
	static char long_one[1200];
	memset(long_one, 'z', sizeof long_one);
	memcpy(long_one, "{\"host\":\"", 9);
	memcpy(long_one + sizeof long_one - 3, "\"}", 3);
	const struct {
		const char *list, *line;
	} cases[] = {
		{"host,user.id,zone", "{\"user\":{\"id\":7},\"host\":\"web-1\"}"},
		{"host", "{\"host\":\"web-1\"}"},
		{"host", "{\"host\":\"jos\\u00e9\"}"},
		{"host", "{\"host\":1042}"},
		{"host", "{\"zone\":1}"},
		{"host", long_one},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fixture f = {0};
		scan(&f, cases[i].list, cases[i].line);
		long n = weir_keys_bytes(&f.keys, f.spans, &f.buf, &f.cap);
		assert_true(n > 0);
		assert_true(weir_keys_hash(&f.keys, f.spans) == weir_keys_bytes_hash(f.buf, (size_t)n));
		done(&f);
	}
	/* the number 1042 and the string "1042" are one key: one hash */
	struct fixture a = {0}, b = {0};
	scan(&a, "host", "{\"host\":1042}");
	scan(&b, "host", "{\"host\":\"1042\"}");
	assert_true(weir_keys_hash(&a.keys, a.spans) == weir_keys_hash(&b.keys, b.spans));
	done(&a);
	done(&b);
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
	assert_true(weir_keys_hash(&f.keys, f.spans) == weir_keys_bytes_hash(f.buf, (size_t)n));
	assert_true(weir_keys_equal(&f.keys, f.spans, f.buf, (size_t)n));
	done(&f);
}

static void
equal_compares_the_fields_with_key_bytes(void **state)
{
	(void)state;
	struct fixture f = {0};
	scan(&f, "a,b", "{\"a\":\"x\",\"b\":12}");
	/* x NUL 12 NUL: 5 bytes (the literals' own NUL is the last one) */
	assert_true(weir_keys_equal(&f.keys, f.spans, "x\0" "12", 5));
	/* a value split at another place, a shorter or longer key, another value */
	assert_false(weir_keys_equal(&f.keys, f.spans, "x1\0" "2", 5));
	assert_false(weir_keys_equal(&f.keys, f.spans, "x\0" "12", 4));
	assert_false(weir_keys_equal(&f.keys, f.spans, "x\0" "12\0\1", 7));
	assert_false(weir_keys_equal(&f.keys, f.spans, "x\0" "13", 5));
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

/* The key bytes, hash and equality of one line's key. */
struct key_of {
	char bytes[2048];
	long n;
	uint64_t hash, wide[2];
};

static void
key_of(const char *list, const char *line, struct key_of *k)
{
	struct fixture f = {0};
	scan(&f, list, line);
	k->n = weir_keys_bytes(&f.keys, f.spans, &f.buf, &f.cap);
	assert_true(k->n > 0 && (size_t)k->n <= sizeof k->bytes);
	memcpy(k->bytes, f.buf, (size_t)k->n);
	k->hash = weir_keys_hash(&f.keys, f.spans);
	weir_keys_hash128(&f.keys, f.spans, k->wide);
	assert_true(k->hash == weir_keys_bytes_hash(k->bytes, (size_t)k->n));
	assert_true(weir_keys_equal(&f.keys, f.spans, k->bytes, (size_t)k->n));
	done(&f);
}

static bool
same_key(const char *list, const char *a, const char *b)
{
	struct key_of ka, kb;
	key_of(list, a, &ka);
	key_of(list, b, &kb);
	bool same = ka.n == kb.n && memcmp(ka.bytes, kb.bytes, (size_t)ka.n) == 0;
	assert_int_equal(same, ka.hash == kb.hash);
	assert_int_equal(same, ka.wide[0] == kb.wide[0] && ka.wide[1] == kb.wide[1]);
	return same;
}

static void
keys_compare_by_value_strings_decoded_numbers_by_their_text(void **state)
{
	(void)state;
	assert_true(same_key("k", "{\"k\":\"jos\\u00e9\"}", "{\"k\":\"jos\xc3\xa9\"}"));
	assert_true(same_key("k", "{\"k\":\"a\\/b\"}", "{\"k\":\"a/b\"}"));
	assert_true(same_key("k", "{\"k\":1042}", "{\"k\":\"1042\"}"));
	assert_true(same_key("k", "{\"k\":\"\\ud83d\\ude00\"}", "{\"k\":\"\xf0\x9f\x98\x80\"}"));
	assert_false(same_key("k", "{\"k\":1}", "{\"k\":1.0}"));
	assert_false(same_key("k", "{\"k\":\"\"}", "{}"));
	assert_false(same_key("a,b", "{\"a\":\"x\",\"b\":\"y\"}", "{\"a\":\"x\\u0000\",\"b\":\"y\"}"));
	/* a string that decodes to NUL or \1 keeps its text: no running into
	 * the separator or the missing mark */
	assert_false(same_key("a,b", "{\"a\":\"\\u0001\"}", "{}"));
	assert_false(same_key("a,b", "{\"a\":\"x\\u0000\",\"b\":\"y\"}",
	    "{\"a\":\"x\",\"b\":\"\\u0000y\"}"));
}

static void
a_long_escaped_key_hashes_the_same_streamed_as_gathered(void **state)
{
	(void)state;
	/* 600 bytes as written: streamed, decoded a field at a time */
	char a[1024], b[1024];
	int n = snprintf(a, sizeof a, "{\"k\":\"");
	int m = snprintf(b, sizeof b, "{\"k\":\"");
	for (int i = 0; i < 100; i++) {
		n += snprintf(a + n, sizeof a - (size_t)n, "\\u00e9");
		m += snprintf(b + m, sizeof b - (size_t)m, "\xc3\xa9");
	}
	snprintf(a + n, sizeof a - (size_t)n, "\"}");
	snprintf(b + m, sizeof b - (size_t)m, "\"}");
	assert_true(same_key("k", a, b));
}

/* `--key a,b` and `--key b,a` where a is a string of len x's and b is
 * missing, a number or empty: the key bytes by hand, and the library's
 * bytes, hashes and equality agree with them.  len runs across the size up
 * to which keys are gathered on the stack (512), so the key ends just
 * before, at and just past it with the missing mark at either end. */
static void
keys_at_every_boundary_of_the_stack_buffer_with_a_field_missing(void **state)
{
	(void)state;
	static const char *const b_member[] = {"", ",\"b\":7", ",\"b\":\"\""};
	static const char *const b_text[] = {"\1", "7", ""};
	static const size_t b_len[] = {1, 1, 0};
	for (int len = 495; len <= 520; len++) {
		for (int form = 0; form < 3; form++) {
			for (int b_first = 0; b_first < 2; b_first++) {
				char line[1200], want[1200];
				int n = snprintf(line, sizeof line, "{\"ts\":1,\"a\":\"");
				memset(line + n, 'x', (size_t)len);
				n += len;
				snprintf(line + n, sizeof line - (size_t)n, "\"%s}", b_member[form]);
				size_t w = 0;
				if (b_first) {
					memcpy(want, b_text[form], b_len[form]);
					w = b_len[form];
					want[w++] = '\0';
				}
				memset(want + w, 'x', (size_t)len);
				w += (size_t)len;
				want[w++] = '\0';
				if (!b_first) {
					memcpy(want + w, b_text[form], b_len[form]);
					w += b_len[form];
					want[w++] = '\0';
				}
				struct key_of k;
				key_of(b_first ? "b,a" : "a,b", line, &k);
				assert_int_equal(k.n, (long)w);
				assert_memory_equal(k.bytes, want, w);
				XXH128_hash_t h = XXH3_128bits(want, w);
				assert_true(k.wide[0] == h.low64 && k.wide[1] == h.high64);
			}
		}
	}
}

/* A program's key struct, starting with the held key. */
struct my_key {
	struct weir_held_key held;
	int windows;
};

/* Held keys: an event's key is found by value, made once with its row
 * members, restored with given bytes, and dropped. */
static void
held_keys_are_found_by_value_made_once_and_dropped(void **state)
{
	(void)state;
	struct weir_held_key *set = NULL;
	char *scratch = NULL;
	size_t cap = 0;
	struct fixture f = {0};
	scan(&f, "host", "{\"host\":\"web-1\",\"v\":1}");
	struct my_key *a = (struct my_key *)weir_held_key_of(&set, &f.keys, f.spans,
	    sizeof *a, &scratch, &cap);
	assert_non_null(a);
	assert_int_equal(a->windows, 0);
	a->windows = 3;
	assert_string_equal(a->held.members, "\"host\":\"web-1\"");
	done(&f);
	f = (struct fixture){0};
	scan(&f, "host", "{\"v\":2,\"host\":\"web\\u002d1\"}");	/* the same key, escaped */
	assert_ptr_equal(weir_held_key_of(&set, &f.keys, f.spans, sizeof *a, &scratch, &cap),
	    &a->held);
	done(&f);
	f = (struct fixture){0};
	scan(&f, "host", "{\"v\":3}");	/* host missing: a key of its own */
	struct weir_held_key *none = weir_held_key_of(&set, &f.keys, f.spans, sizeof *a,
	    &scratch, &cap);
	assert_non_null(none);
	assert_ptr_not_equal(none, &a->held);
	assert_int_equal(none->members_len, 0);
	done(&f);
	assert_int_equal(HASH_COUNT(set), 2);
	struct weir_held_key *r = weir_held_key_add(&set, "x\0", 2, "\"host\":\"x\"", 10,
	    sizeof(struct my_key));
	assert_non_null(r);
	assert_int_equal(HASH_COUNT(set), 3);
	weir_held_key_drop(&set, &a->held);
	weir_held_key_drop(&set, none);
	weir_held_key_drop(&set, r);
	assert_null(set);
	free(scratch);
}

/* A join's key pairs: LEFT=RIGHT or one shared name, escapes kept. */
static void
key_pairs_split_into_each_side(void **state)
{
	(void)state;
	char *l, *r;
	assert_int_equal(weir_keys_split_pairs("order_id=id,region,a\\=b=c\\,d", &l, &r), 0);
	assert_string_equal(l, "order_id,region,a\\=b");
	assert_string_equal(r, "id,region,c\\,d");
	free(l);
	free(r);
	const char *bad[] = {"a=", "=b", "a,,b", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(weir_keys_split_pairs(bad[i], &l, &r), -1);
		free(l);
		free(r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_pairs_split_into_each_side),
		cmocka_unit_test(key_bytes_are_each_value_by_its_text_then_nul_and_missing_is_1),
		cmocka_unit_test(keys_compare_by_value_strings_decoded_numbers_by_their_text),
		cmocka_unit_test(a_long_escaped_key_hashes_the_same_streamed_as_gathered),
		cmocka_unit_test(the_hash_is_the_bytes_hash_of_the_key_bytes),
		cmocka_unit_test(a_key_longer_than_the_stack_buffer_hashes_the_same),
		cmocka_unit_test(equal_compares_the_fields_with_key_bytes),
		cmocka_unit_test(a_missing_field_equals_only_the_missing_byte),
		cmocka_unit_test(keys_at_every_boundary_of_the_stack_buffer_with_a_field_missing),
		cmocka_unit_test(held_keys_are_found_by_value_made_once_and_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
