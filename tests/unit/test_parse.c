/* Unit tests for lib/parse: what each parser hands out for a line, the
 * partial lines it holds, and the limits of its time fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/parse.h"

static struct weir_format *
format(const char *name, const char *pattern)
{
	char err[256];
	struct weir_format *f = weir_format_new(name, pattern, err, sizeof err);
	if (f == NULL)
		fail_msg("%s", err);
	return f;
}

/* The record a line makes, as a string ("NO: why" when rejected, "HELD"). */
static const char *
one(struct weir_parser *p, const char *line, uint64_t lineno)
{
	static char buf[4096];
	const char *out, *why;
	size_t n;
	uint64_t first;
	int rc = weir_parser_line(p, line, strlen(line), lineno, &out, &n, &first, &why);
	if (rc == WEIR_PARSE_HELD)
		return "HELD";
	if (rc == WEIR_PARSE_NO) {
		snprintf(buf, sizeof buf, "NO: %s", why);
		return buf;
	}
	assert_int_equal(rc, WEIR_PARSE_RECORD);
	snprintf(buf, sizeof buf, "%.*s", (int)n, out);
	return buf;
}

static void
an_access_log_time_keeps_its_offset_and_its_second(void **state)
{
	(void)state;
	struct weir_format *f = format("common", NULL);
	struct weir_parser *p = weir_parser_new(f);
	/* the second line shares the first's minute: only its seconds differ */
	assert_string_equal(one(p, "h - - [28/Feb/2024:23:59:58 +0530] \"-\" 200 -", 1),
	    "{\"remote_addr\":\"h\",\"ident\":null,\"remote_user\":null,\"time\":\"2024-02-28T23:59:58+05:30\","
	    "\"request\":\"-\",\"method\":null,\"path\":null,\"protocol\":null,\"status\":200,\"bytes\":null}");
	assert_non_null(strstr(one(p, "h - - [28/Feb/2024:23:59:59 +0530] \"-\" 200 -", 2),
	    "\"2024-02-28T23:59:59+05:30\""));
	/* 29 February only in a leap year; a minute of 60 never */
	assert_non_null(strstr(one(p, "h - - [29/Feb/2024:00:00:00 +0000] \"-\" 200 -", 3),
	    "\"2024-02-29T00:00:00Z\""));
	assert_non_null(strstr(one(p, "h - - [29/Feb/2023:00:00:00 +0000] \"-\" 200 -", 4), "NO: no time"));
	assert_non_null(strstr(one(p, "h - - [28/Feb/2023:00:60:00 +0000] \"-\" 200 -", 5), "NO: no time"));
	assert_non_null(strstr(one(p, "h - - [28/Feb/2023:00:00:00 +0000] \"-\" 2x0 -", 6),
	    "NO: status: '2x0' is not an int"));
	weir_parser_free(p);
	weir_format_free(f);
}

static void
partial_lines_join_per_stream_and_keep_their_first_line(void **state)
{
	(void)state;
	struct weir_format *f = format("cri", NULL);
	struct weir_parser *p = weir_parser_new(f);
	assert_string_equal(one(p, "2026-01-01T00:00:00Z stdout P a", 7), "HELD");
	assert_true(weir_parser_holds(p));
	assert_string_equal(one(p, "2026-01-01T00:00:01Z stderr F e", 8),
	    "{\"time\":\"2026-01-01T00:00:01Z\",\"stream\":\"stderr\",\"message\":\"e\"}");
	const char *out, *why;
	size_t n;
	uint64_t first;
	assert_int_equal(weir_parser_line(p, "2026-01-01T00:00:02Z stdout F b", 31, 9, &out, &n, &first,
	    &why), WEIR_PARSE_RECORD);
	assert_int_equal(first, 7);
	assert_false(weir_parser_holds(p));
	/* a part whose end never comes is handed out at the end */
	assert_string_equal(one(p, "2026-01-01T00:00:03Z stdout P c", 10), "HELD");
	assert_int_equal(weir_parser_end(p, &out, &n, &first), WEIR_PARSE_RECORD);
	assert_int_equal(first, 10);
	assert_int_equal(weir_parser_end(p, &out, &n, &first), 0);
	weir_parser_free(p);
	weir_format_free(f);
}

static void
a_regex_writes_its_groups_in_pattern_order(void **state)
{
	(void)state;
	struct weir_format *f = format("regex", "(?<z>\\w+)=(?<a>\\d+)(?<opt>!)?");
	char err[256];
	assert_int_equal(weir_format_types(f, "a=int", err, sizeof err), 0);
	assert_int_equal(weir_format_types(f, "nope=int", err, sizeof err), -1);
	assert_non_null(strstr(err, "has no member 'nope' (it has z, a, opt)"));
	struct weir_parser *p = weir_parser_new(f);
	assert_string_equal(one(p, "x k=007", 1), "{\"z\":\"k\",\"a\":7,\"opt\":null}");
	assert_string_equal(one(p, "nothing", 2), "NO: the pattern does not match");
	weir_parser_free(p);
	weir_format_free(f);
	assert_null(weir_format_new("regex", "(\\d+)", err, sizeof err));
	assert_null(weir_format_new("nginx", NULL, err, sizeof err));
}

static void
strings_are_json_whatever_their_bytes(void **state)
{
	(void)state;
	struct weir_format *f = format("logfmt", NULL);
	struct weir_parser *p = weir_parser_new(f);
	assert_string_equal(one(p, "a=\"q\\\"\\\\\\n\" b=\x01 c=caf\xc3\xa9 d=\xff", 1),
	    "{\"a\":\"q\\\"\\\\\\n\",\"b\":\"\\u0001\",\"c\":\"caf\xc3\xa9\",\"d\":\"\\u00ff\"}");
	weir_parser_free(p);
	weir_format_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_access_log_time_keeps_its_offset_and_its_second),
		cmocka_unit_test(partial_lines_join_per_stream_and_keep_their_first_line),
		cmocka_unit_test(a_regex_writes_its_groups_in_pattern_order),
		cmocka_unit_test(strings_are_json_whatever_their_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
