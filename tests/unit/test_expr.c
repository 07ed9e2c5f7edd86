/* Unit tests for lib/expr, lib/value and lib/exprfn: compiling, the
 * caret of an error, evaluation over a scanned line, and the number
 * conversions the evaluator relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/expr.h"

/* The value of text over line, as JSON, in out; or "ERROR". */
static void
value_of(const char *text, const char *line, char *out, size_t cap)
{
	struct weir_plan *plan = weir_plan_new();
	char err[512];
	struct weir_expr *e = weir_expr_compile(text, plan, err, sizeof err);
	if (e == NULL)
		fail_msg("%s: %s", text, err);
	struct weir_span spans[64];
	const char *why;
	assert_int_equal(weir_scan(plan, line, strlen(line), spans, &why), 0);
	struct weir_value v;
	if (weir_expr_eval(e, spans, 0, &v, &why) < 0) {
		snprintf(out, cap, "ERROR");
	} else {
		struct weir_buf b = {0};
		assert_int_equal(weir_value_json(&v, &b), 0);
		snprintf(out, cap, "%.*s", (int)b.n, b.p);
		weir_buf_free(&b);
	}
	weir_expr_free(e);
	weir_plan_free(plan);
}

static void
expect(const char *text, const char *line, const char *want)
{
	char got[256];
	value_of(text, line, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("%s over %s: got %s, want %s", text, line, got, want);
}

static void
fields_operators_and_nulls(void **state)
{
	(void)state;
	const char *line = "{\"status\":503,\"path\":\"/api/v1\",\"ms\":12.50,\"r\":{\"m\":\"GET\"},"
	    "\"q\":\"a\\\"b\",\"n\":null,\"u-a\":\"x\"}";
	expect("status >= 500", line, "true");
	expect("ms", line, "12.50");			/* the text as written */
	expect("ms * 2", line, "25");
	expect("r.m", line, "\"GET\"");
	expect("r", line, "{\"m\":\"GET\"}");
	expect("q || '!'", line, "\"a\\\"b!\"");	/* decoded, then quoted again */
	expect("n IS NULL AND missing IS NULL", line, "true");
	expect("\"u-a\"", line, "\"x\"");
	expect("status / 100", line, "5");
	expect("status / 0", line, "ERROR");
	expect("NULL AND FALSE", line, "false");
	expect("NULL OR TRUE", line, "true");
	expect("path LIKE '/api/%' AND path ~ 'v[0-9]'", line, "true");
	expect("CASE WHEN status >= 500 THEN 'e' END", line, "\"e\"");
	expect("9223372036854775807 + status", line, "ERROR");
	expect("-9223372036854775807 - 1", line, "-9223372036854775808");
	expect("226.7 / 1000", line, "0.2267");
	expect("date_trunc('hour', TIMESTAMP '2026-11-23 10:59:59')", line,
	    "\"2026-11-23T10:00:00Z\"");
	expect("INTERVAL '1 day 02:00:00'", line, "\"1 day 02:00:00\"");
}

/* The error names the place with a caret under it. */
static void
errors_point_at_their_place(void **state)
{
	(void)state;
	struct weir_plan *plan = weir_plan_new();
	char err[512];
	assert_null(weir_expr_compile("status >== 500", plan, err, sizeof err));
	assert_non_null(strstr(err, "\n  status >== 500\n         ^"));
	assert_null(weir_expr_compile("lower(x) = nosuch(y)", plan, err, sizeof err));
	assert_non_null(strstr(err, "function nosuch does not exist"));
	assert_non_null(strstr(err, "\n  lower(x) = nosuch(y)\n             ^"));
	const char *bad[] = {"", "1;2", "a, b", "1 FROM t", "x AS y", "(SELECT 1)", "1/0",
		"'abc'::int", "s + 'abc'", "s ~ '('", "count(*)", "now()", "x::money"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (weir_expr_compile(bad[i], plan, err, sizeof err) != NULL)
			fail_msg("'%s' compiled", bad[i]);
	weir_plan_free(plan);
}

/* A JSON decimal reads as strtod reads it, on the fast path or not. */
static void
decimals_read_as_strtod_does(void **state)
{
	(void)state;
	srand(7);
	struct weir_scratch sc = {0};
	for (int i = 0; i < 200000; i++) {
		char text[64];
		int digits = 1 + rand() % 18, point = rand() % (digits + 1);
		int k = 0;
		if (rand() % 2)
			text[k++] = '-';
		for (int d = 0; d < digits; d++) {
			if (d == point && d > 0)
				text[k++] = '.';
			text[k++] = (char)('0' + rand() % 10);
		}
		if (rand() % 10 == 0)
			k += snprintf(text + k, sizeof text - (size_t)k, "e%d", rand() % 40 - 20);
		text[k] = '}';	/* what follows a number in an object */
		text[k + 1] = '\0';
		struct weir_span sp = {text, (size_t)k};
		struct weir_value v;
		assert_int_equal(weir_value_of_span(&sp, &sc, &v), 0);
		double want = strtod(text, NULL);
		if (v.type == WEIR_V_INT)
			assert_true((double)v.i == want);
		else if (v.d != want)
			fail_msg("%.*s: %.17g, strtod %.17g", k, text, v.d, want);
	}
	weir_scratch_free(&sc);
}

static void
intervals_read_as_postgresql_writes_them(void **state)
{
	(void)state;
	int64_t ns;
	const struct {
		const char *text;
		int64_t s;
	} ok[] = {{"5 minutes", 300}, {"1 hour 30 minutes", 5400}, {"00:05:00", 300},
		{"1 day 02:00:00", 93600}, {"2h", 7200}, {"-1 hour", -3600}, {"90", 90},
		{"1 week", 604800}};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(weir_interval_parse(ok[i].text, strlen(ok[i].text), &ns), 0);
		assert_int_equal(ns, ok[i].s * 1000000000LL);
	}
	/* beyond 64 bits of nanoseconds, a part alone or the sum of parts, is no interval */
	const char *bad[] = {"", "5 fortnights", "1 month", "abc", "1:2:3:4",
	    "9000000000 seconds 9000000000 seconds", "3000000:0:0", "2562048:0:0 2562048:0:0"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(weir_interval_parse(bad[i], strlen(bad[i]), &ns), -1);
}

/* After a reset the scratch hands out the same memory again: an
 * evaluation allocates only until it has seen its largest event. */
static void
scratch_is_reused(void **state)
{
	(void)state;
	struct weir_scratch sc = {0};
	char *first[100];
	for (int i = 0; i < 100; i++)
		assert_non_null(first[i] = weir_scratch_get(&sc, 100));
	for (int round = 0; round < 3; round++) {
		weir_scratch_reset(&sc);
		for (int i = 0; i < 100; i++)
			assert_ptr_equal(weir_scratch_get(&sc, 100), first[i]);
	}
	weir_scratch_free(&sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields_operators_and_nulls),
		cmocka_unit_test(errors_point_at_their_place),
		cmocka_unit_test(decimals_read_as_strtod_does),
		cmocka_unit_test(intervals_read_as_postgresql_writes_them),
		cmocka_unit_test(scratch_is_reused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
