/* Unit tests for lib/fields: the plan and the validating scanner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/fields.h"

struct fixture {
	struct weir_plan *plan;
	int ts, user_id, dotted, a, ab;
	struct weir_span spans[8];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->plan = weir_plan_new();
	f->ts = weir_plan_add(f->plan, "ts");
	f->user_id = weir_plan_add(f->plan, "user.id");
	f->dotted = weir_plan_add(f->plan, "k\\.8s");
	f->a = weir_plan_add(f->plan, "a");
	f->ab = weir_plan_add(f->plan, "a.b");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	weir_plan_free(f->plan);
	free(f);
	return 0;
}

static int
scan(struct fixture *f, const char *line)
{
	const char *why;
	return weir_scan(f->plan, line, strlen(line), f->spans, &why);
}

static void
expect_span(const struct weir_span *s, const char *text)
{
	assert_non_null(s->p);
	assert_int_equal(s->n, strlen(text));
	assert_memory_equal(s->p, text, s->n);
}

static void
plan_dedupes_and_rejects_bad_paths(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(weir_plan_add(f->plan, "ts"), f->ts);
	assert_int_equal(weir_plan_add(f->plan, ""), -1);
	assert_int_equal(weir_plan_add(f->plan, "a..b"), -1);
	assert_int_equal(weir_plan_add(f->plan, "a."), -1);
	assert_int_equal(weir_plan_add(f->plan, "a\\"), -1);
	assert_int_equal(weir_plan_size(f->plan), 5);
	int idx[4];
	assert_int_equal(weir_plan_add_list(f->plan, "ts,user.id", idx, 4), 2);
	assert_int_equal(idx[0], f->ts);
	assert_int_equal(idx[1], f->user_id);
}

static void
finds_top_level_nested_and_escaped_paths(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(scan(f, "{\"x\":[1,{\"ts\":9}],\"user\":{\"name\":\"n\",\"id\":42},"
	    "\"k.8s\":true, \"ts\" : \"2026-11-23T10:00:00Z\"}"), 0);
	expect_span(&f->spans[f->ts], "\"2026-11-23T10:00:00Z\"");
	expect_span(&f->spans[f->user_id], "42");
	expect_span(&f->spans[f->dotted], "true");
	assert_null(f->spans[f->a].p);
}

static void
a_path_and_its_prefix_both_found(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(scan(f, "{\"a\":{\"b\":[1, 2]}}"), 0);
	expect_span(&f->spans[f->a], "{\"b\":[1, 2]}");
	expect_span(&f->spans[f->ab], "[1, 2]");
	assert_int_equal(scan(f, "{\"a\":5}"), 0);
	expect_span(&f->spans[f->a], "5");
	assert_null(f->spans[f->ab].p);
}

static void
first_of_duplicate_keys_wins(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(scan(f, "{\"ts\":1,\"ts\":2}"), 0);
	expect_span(&f->spans[f->ts], "1");
}

static void
escaped_key_matches_its_meaning(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(scan(f, "{\"\\u0074s\":7}"), 0);
	expect_span(&f->spans[f->ts], "7");
}

static void
accepts_every_json_shape(void **state)
{
	struct fixture *f = *state;
	const char *good[] = {
		"{}", " {} ", "{\"a\":null}", "{\"n\":-0.0}", "{\"n\":1.10}",
		"{\"n\":12345678901234567890}", "{\"n\":1e400}", "{\"n\":-1.5E-7}",
		"{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}", "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		"{\"a\":[],\"b\":{},\"c\":[[[]]],\"d\":[true,false,null]}",
		"{\"long\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\\"aaaaaaaaaaaaa\"}",
		"{\"a\":1}\r",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(scan(f, good[i]), 0);
}

static void
rejects_what_is_not_one_object(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {
		"", "   ", "[]", "1", "\"s\"", "null", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}",
		"{\"a\":tru}", "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12G4\"}",
		"{\"a\":\"tab\there\"}", "{a:1}", "{'a':1}", "{\"a\":1}{}", "{\"a\":1} x",
		"{\"a\":[1,2}", "{\"a\":{\"b\":1]}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xe2\x82\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (scan(f, bad[i]) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
nul_byte_is_rejected(void **state)
{
	struct fixture *f = *state;
	const char line[] = "{\"a\":\"x\0y\"}";
	const char *why;
	assert_int_equal(weir_scan(f->plan, line, sizeof line - 1, f->spans, &why), -1);
}

static void
deep_nesting_is_bounded_not_a_crash(void **state)
{
	struct fixture *f = *state;
	size_t depth = 100000;
	char *line = malloc(depth * 2 + 16);
	size_t n = 0;
	line[n++] = '{';
	memcpy(line + n, "\"x\":", 4);
	n += 4;
	for (size_t i = 0; i < depth; i++)
		line[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		line[n++] = ']';
	line[n++] = '}';
	const char *why;
	assert_int_equal(weir_scan(f->plan, line, n, f->spans, &why), -1);
	assert_string_equal(why, "nesting too deep");
	/* and 1000 levels are fine */
	n = 5;
	for (size_t i = 0; i < 1000; i++)
		line[n++] = '[';
	for (size_t i = 0; i < 1000; i++)
		line[n++] = ']';
	line[n++] = '}';
	assert_int_equal(weir_scan(f->plan, line, n, f->spans, &why), 0);
	free(line);
}

/* A JSON number by the grammar, written out here as the reference:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
is_number_ref(const char *s)
{
	const char *p = s;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return 0;
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* Numbers are read 16 bytes at a time, and near the line's end from its
 * last 16 bytes: every number, at every distance from the end, first or
 * last member, scans as the grammar says, with its exact span. */
static void
numbers_at_every_distance_from_the_end(void **state)
{
	struct fixture *f = *state;
	const char *nums[] = {
		"0", "-0", "7", "12", "73.96", "144.28", "-0.25", "1.10", "123456789012345",
		"1234567890123456", "12345678901234567", "123456789012.3456",
		"1.2345678901234567", "1e5", "1E+5", "-1.5e-7", "0.5e2",
		"01", "00", "-01", "-", "-a", "1.", ".5", "1e", "1.e5", "1..2", "+1", "0x1",
		"1.2.3", "--1", "2-", "9a",
	};
	const char *forms[] = {"{\"p\":\"%s\",\"a\":%s}", "{\"a\":%s,\"p\":\"%s\"}",
	    "{\"p\":\"%s\",\"a\":%s }"};
	char pad[48], line[160];
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		int ok = is_number_ref(nums[i]);
		for (size_t k = 0; k < 40; k++) {
			memset(pad, 'x', k);
			pad[k] = '\0';
			for (int form = 0; form < 3; form++) {
				int n = form == 1 ? snprintf(line, sizeof line, forms[form], nums[i], pad) :
				    snprintf(line, sizeof line, forms[form], pad, nums[i]);
				char *copy = malloc((size_t)n);	/* ASan sees any overread */
				memcpy(copy, line, (size_t)n);
				const char *why;
				int rc = weir_scan(f->plan, copy, (size_t)n, f->spans, &why);
				if (rc != (ok ? 0 : -1))
					fail_msg("%s: %s", ok ? "rejected" : "accepted", line);
				if (ok)
					expect_span(&f->spans[f->a], nums[i]);
				free(copy);
			}
		}
	}
}

static uint32_t
shape_of(const struct weir_plan *plan, const char *line)
{
	struct weir_span spans[8];
	const char *why;
	bool clean;
	int rc = weir_scan_clean(plan, line, strlen(line), spans, &why, &clean);
	uint32_t shape = weir_scan_shape();
	if (rc < 0 && shape != 0)
		fail_msg("a line that failed has shape %u: %s", shape, line);
	return shape;
}

/* Lines share a shape number only when their top-level keys are the same,
 * in the same order, byte for byte. */
static void
shapes_name_the_same_keys_in_the_same_order(void **state)
{
	(void)state;
	struct weir_plan *plan = weir_plan_new();
	weir_plan_add(plan, "a");
	assert_int_equal(shape_of(plan, "{\"a\":1,\"b\":2}"), 0);	/* learned: no number yet */
	uint32_t ab = shape_of(plan, "{\"a\":3,\"b\":\"x\"}");
	assert_int_not_equal(ab, 0);
	assert_int_equal(shape_of(plan, "{\"a\":[1,{\"c\":2}],\"b\":null}"), ab);
	/* another order, fewer, more: not ab, and each a number of its own */
	uint32_t seen[8] = {ab};
	size_t nseen = 1;
	const char *others[] = {"{\"b\":1,\"a\":2}", "{\"a\":1}", "{\"a\":1,\"b\":2,\"c\":3}",
	    "{}", "{\"a\":1,\"bb\":2}"};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		assert_int_equal(shape_of(plan, others[i]), 0);
		uint32_t s = shape_of(plan, others[i]);
		assert_int_not_equal(s, 0);
		for (size_t k = 0; k < nseen; k++)
			assert_int_not_equal(s, seen[k]);
		seen[nseen++] = s;
	}
	/* a line that fails after its keys were learned: the next line with
	 * those keys does not take the number of the shape before */
	assert_int_equal(shape_of(plan, "{\"x\":1,\"y\":2}"), 0);
	uint32_t xy = shape_of(plan, "{\"x\":1,\"y\":2}");
	assert_int_not_equal(xy, 0);
	assert_int_equal(shape_of(plan, "{\"p\":1,\"q\":2,"), 0);
	assert_int_not_equal(shape_of(plan, "{\"p\":1,\"q\":2}"), xy);
	/* nothing for a line with escapes, a long key, bad JSON or text after */
	assert_int_equal(shape_of(plan, "{\"a\":\"\\u00e9\",\"b\":2}"), 0);
	assert_int_equal(shape_of(plan, "{\"a_key_longer_than_16\":1}"), 0);
	assert_int_equal(shape_of(plan, "{\"a_key_longer_than_16\":1}"), 0);
	assert_int_equal(shape_of(plan, "{\"a\":1,\"b\":2"), 0);
	assert_int_equal(shape_of(plan, "{\"a\":1,\"b\":2} x"), 0);
	weir_plan_free(plan);
}

/* weir_member_list_shaped gives what weir_member_list gives, for lines of
 * one shape whose values and spacing differ; a line of another shape gives
 * -1 (or its own members), never a read outside it. */
static void
member_list_shaped_agrees_with_member_list(void **state)
{
	(void)state;
	const char *lines[] = {
		"{\"ts\":1,\"s\":\"x\",\"o\":{\"a\":[1,2]},\"b\":true,\"n\":null,\"f\":-1.5e3}",
		"{\"ts\":22,\"s\":\"a longer string, with , and : and }\",\"o\":{},\"b\":false,"
		    "\"n\":null,\"f\":0}",
		"{\"ts\":3, \"s\":\"\",\"o\":[ ],\"b\":true ,\"n\":null,\"f\":12345678901234567890}",
		"{\"ts\":4,\"s\":\"y\",\"o\":{\"deep\":{\"er\":\"}\"}},\"b\":true,\"n\":null,\"f\":7} ",
	};
	struct weir_member want[8], got[8];
	uint16_t key_len[8];
	int n = weir_member_list(lines[0], strlen(lines[0]), 1, want, 8);
	assert_int_equal(n, 6);
	for (int k = 0; k < n; k++)
		key_len[k] = (uint16_t)want[k].key.n;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		size_t len = strlen(lines[i]);
		char *copy = malloc(len);	/* ASan sees any read past it */
		memcpy(copy, lines[i], len);
		assert_int_equal(weir_member_list(copy, len, 1, want, 8), n);
		assert_int_equal(weir_member_list_shaped(copy, len, key_len, n, got), n);
		for (int k = 0; k < n; k++) {
			assert_ptr_equal(got[k].key.p, want[k].key.p);
			assert_int_equal(got[k].key.n, want[k].key.n);
			assert_ptr_equal(got[k].value.p, want[k].value.p);
			assert_int_equal(got[k].value.n, want[k].value.n);
		}
		free(copy);
	}
	/* lines of other shapes, and every cut of the first line */
	const char *other[] = {"{\"ts\":1}", "{\"tsx\":1,\"s\":\"x\"}", "{}", "{\"t\":1,\"s\":2,\"o\":3,"
	    "\"b\":4,\"n\":5,\"f\":6,\"g\":7}"};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		assert_int_equal(weir_member_list_shaped(other[i], strlen(other[i]), key_len, n, got), -1);
	size_t full = strlen(lines[0]);
	for (size_t cut = 0; cut < full; cut++) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, lines[0], cut);
		assert_int_equal(weir_member_list_shaped(copy, cut, key_len, n, got), -1);
		free(copy);
	}
}

static void
truncated_objects_never_read_past_the_end(void **state)
{
	struct fixture *f = *state;
	const char *full = "{\"ts\":\"2026-11-23T10:00:00Z\",\"user\":{\"id\":[1,2.5e3,\"x\\u00e9\"]}}";
	size_t n = strlen(full);
	for (size_t k = 0; k < n; k++) {
		char *copy = malloc(k ? k : 1);	/* exactly k bytes: ASan sees any overread */
		memcpy(copy, full, k);
		const char *why;
		assert_int_equal(weir_scan(f->plan, copy, k, f->spans, &why), -1);
		free(copy);
	}
	assert_int_equal(scan(f, full), 0);
}

static void
unescape_and_number(void **state)
{
	(void)state;
	char out[32];
	struct weir_span s = {"\"a\\nb\\u00e9\\ud83d\\ude00\"", 24};
	long n = weir_span_unescape(&s, out, sizeof out);
	assert_int_equal(n, 9);
	assert_memory_equal(out, "a\nb\xc3\xa9\xf0\x9f\x98\x80", 9);
	struct weir_span tiny = {"\"abcdef\"", 8};
	assert_int_equal(weir_span_unescape(&tiny, out, 4), -1);
	double d;
	struct weir_span num = {"1.10", 4};
	assert_int_equal(weir_span_number(&num, &d), 0);
	assert_true(d == 1.1);
	struct weir_span str = {"\"1\"", 3};
	assert_int_equal(weir_span_number(&str, &d), -1);
	assert_true(weir_is_json_number("-1.5e3", 6));
	assert_false(weir_is_json_number("007", 3));
	assert_false(weir_is_json_number("1,5", 3));
}

static int
collect(void *arg, const struct weir_span *key, const struct weir_span *value)
{
	char *acc = arg;
	strncat(acc, key->p, key->n);
	strcat(acc, "=");
	strncat(acc, value->p, value->n);
	strcat(acc, ";");
	return 0;
}

static void
members_in_order(void **state)
{
	(void)state;
	char acc[256] = "";
	const char *line = "{\"b\":1, \"a\":{\"x\":[1]},\"c\":\"s\"}";
	assert_int_equal(weir_members(line, strlen(line), collect, acc), 0);
	assert_string_equal(acc, "\"b\"=1;\"a\"={\"x\":[1]};\"c\"=\"s\";");
}

/* weir_member_list gives what weir_members calls back with, clean or not,
 * told or found out; more members than room is -1. */
static void
member_list_agrees_with_members(void **state)
{
	(void)state;
	const char *lines[] = {
		"{\"b\":1, \"a\":{\"x\":[1]},\"c\":\"s\"}",
		" { \"k\" : \"v\" , \"n\" :null } ",
		"{\"e\":\"q\\\"uote\",\"u\":\"\u00e9\",\"t\":true}",	/* not clean */
		"{}",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		const char *line = lines[i];
		size_t len = strlen(line);
		char expect[256] = "", got[256];
		assert_int_equal(weir_members(line, len, collect, expect), 0);
		int clean = weir_line_is_clean(line, len);
		assert_int_equal(clean, i != 2);
		for (int told = -1; told <= 1; told++) {
			if (told >= 0 && told != clean)
				continue;
			struct weir_member m[8];
			int n = weir_member_list(line, len, told, m, 8);
			assert_true(n >= 0);
			got[0] = '\0';
			for (int k = 0; k < n; k++)
				collect(got, &m[k].key, &m[k].value);
			assert_string_equal(got, expect);
		}
	}
	struct weir_member two[2];
	assert_int_equal(weir_member_list("{\"a\":1,\"b\":2,\"c\":3}", 19, 1, two, 2), -1);
	assert_int_equal(weir_member_list("{\"a\":1,\"b\":2}", 13, -1, two, 2), 2);
	assert_int_equal(weir_member_list("[1]", 3, -1, two, 2), -1);
}

/* weir_line_is_clean, at every length and every place of the one byte that
 * is not clean (the wide blocks overlap at the end of the line). */
static void
a_line_is_clean_unless_one_byte_is_not(void **state)
{
	(void)state;
	static const unsigned char bad[] = {'\\', 0x00, 0x1f, 0x7f + 1, 0xff};
	char line[130];
	for (size_t len = 0; len <= sizeof line; len++) {
		memset(line, 'a', sizeof line);
		assert_true(weir_line_is_clean(line, len));
		for (size_t at = 0; at < len; at++)
			for (size_t b = 0; b < sizeof bad; b++) {
				line[at] = (char)bad[b];
				assert_false(weir_line_is_clean(line, len));
				line[at] = '"';	/* quotes and DEL are clean */
				assert_true(weir_line_is_clean(line, len));
				line[at] = 0x7f;
				assert_true(weir_line_is_clean(line, len));
				line[at] = 'a';
			}
	}
}

/* weir_scan_clean says what weir_line_is_clean says, for a line it accepts
 * and for one it rejects. */
static void
scan_clean_tells_whether_the_line_is_clean(void **state)
{
	(void)state;
	struct weir_plan *plan = weir_plan_new();
	assert_int_equal(weir_plan_add(plan, "a"), 0);
	const char *lines[] = {"{\"a\":\"x\"}", "{\"a\":\"\\u00e9\"}", "{\"a\":\"\u00e9\"}",
		"[\"\\n\"]", "[1]"};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct weir_span spans[1];
		const char *why;
		bool clean = !weir_line_is_clean(lines[i], strlen(lines[i]));
		int rc = weir_scan_clean(plan, lines[i], strlen(lines[i]), spans, &why, &clean);
		assert_int_equal(rc, i < 3 ? 0 : -1);
		assert_int_equal(clean, weir_line_is_clean(lines[i], strlen(lines[i])));
		assert_int_equal(clean, i == 0 || i == 4);
	}
	weir_plan_free(plan);
}

/* The shape cache (the previous line's keys) must never change a result. */
static void
repeated_and_changing_shapes_scan_the_same(void **state)
{
	struct fixture *f = *state;
	const char *lines[] = {
		"{\"ts\":1,\"host\":\"a\",\"user\":{\"id\":7}}",
		"{\"ts\":2,\"host\":\"b\",\"user\":{\"id\":8}}",
		"{\"ts\":3,\"hos\":\"x\",\"user\":{\"id\":9}}",		/* a prefix of a cached key */
		"{\"tsx\":4,\"ts\":5,\"user\":{\"id\":10}}",		/* an extension */
		"{\"ts\" :6,\"user\" : {\"id\":11}}",			/* spaces before colons */
		"{\"abcdefghijklmn\":1,\"ts\":7}",			/* `"key":` of 17 bytes */
		"{\"abcdefghijklm\":1,\"ts\":8}",			/* of 16 bytes */
		"{\"abcdefghijklm\":1,\"ts\":8}",
		"{\"ts\":9,\"ts\":10}",					/* duplicate: first wins */
		"{\"user\":5,\"ts\":12}",				/* user no object now */
	};
	const char *ts[] = {"1", "2", "3", "5", "6", "7", "8", "8", "9", "12"};
	const char *id[] = {"7", "8", "9", "10", "11", NULL, NULL, NULL, NULL, NULL};
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
			assert_int_equal(scan(f, lines[i]), 0);
			expect_span(&f->spans[f->ts], ts[i]);
			if (id[i])
				expect_span(&f->spans[f->user_id], id[i]);
			else
				assert_null(f->spans[f->user_id].p);
		}
}

static void
a_new_plan_does_not_inherit_the_shape(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		struct weir_plan *plan = weir_plan_new();
		int slot = weir_plan_add(plan, i == 1 ? "b" : "a");
		struct weir_span spans[2];
		const char *why;
		const char *line = "{\"a\":1,\"b\":2}";
		assert_int_equal(weir_scan(plan, line, strlen(line), spans, &why), 0);
		expect_span(&spans[slot], i == 1 ? "2" : "1");
		weir_plan_free(plan);	/* the next plan may get the same address */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(plan_dedupes_and_rejects_bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(finds_top_level_nested_and_escaped_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(a_path_and_its_prefix_both_found, setup, teardown),
		cmocka_unit_test_setup_teardown(first_of_duplicate_keys_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(escaped_key_matches_its_meaning, setup, teardown),
		cmocka_unit_test_setup_teardown(accepts_every_json_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(rejects_what_is_not_one_object, setup, teardown),
		cmocka_unit_test_setup_teardown(nul_byte_is_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(deep_nesting_is_bounded_not_a_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_objects_never_read_past_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(numbers_at_every_distance_from_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(repeated_and_changing_shapes_scan_the_same, setup, teardown),
		cmocka_unit_test(a_new_plan_does_not_inherit_the_shape),
		cmocka_unit_test(shapes_name_the_same_keys_in_the_same_order),
		cmocka_unit_test(member_list_shaped_agrees_with_member_list),
		cmocka_unit_test(unescape_and_number),
		cmocka_unit_test(members_in_order),
		cmocka_unit_test(member_list_agrees_with_members),
		cmocka_unit_test(a_line_is_clean_unless_one_byte_is_not),
		cmocka_unit_test(scan_clean_tells_whether_the_line_is_clean),
	};
	return cmocka_run_group_tests_name("fields", tests, NULL, NULL);
}
