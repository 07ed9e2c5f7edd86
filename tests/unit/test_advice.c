/* Unit tests for lib/advice: grouped warnings, the time-field answer,
 * names near a name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/advice.h"

/* Five shown per reason (the fifth says so), the rest counted; the total
 * at exit only for a reason that had more than were shown. */
static void
warnings_are_grouped_by_reason(void **state)
{
	(void)state;
	struct weir_advice a = {0};
	for (int i = 1; i <= 7; i++)
		assert_int_equal(weir_advice_warn(&a, "not a JSON object"),
		    i < WEIR_WARN_FIRST ? 1 : i == WEIR_WARN_FIRST ? 2 : 0);
	assert_int_equal(weir_advice_warn(&a, "unparseable time"), 1);
	struct weir_buf b = {0};
	assert_int_equal(weir_advice_summary(&a, "p", &b), 0);
	assert_int_equal(weir_buf_add(&b, "", 1), 0);
	assert_string_equal(b.p, "p: 7 lines in all: not a JSON object\n");
	weir_buf_free(&b);
	/* past WEIR_CAUSES reasons, the rest share one count */
	char why[32];
	for (int i = 0; i < WEIR_CAUSES + 3; i++) {
		snprintf(why, sizeof why, "reason %d", i);
		weir_advice_warn(&a, why);
	}
	assert_int_equal(a.others, 5);	/* two reasons were there before */
	weir_advice_free(&a);
}

/* The members of the first line rejected for its time, nested ones too;
 * those that read as a plausible time are offered, with a pattern where
 * one reads them; a small number is no time. */
static void
the_time_answer_offers_what_reads_as_a_time(void **state)
{
	(void)state;
	struct weir_advice a = {0};
	const char *l1 = "{\"when\":{\"at\":\"2026-12-03T10:00:00Z\"},\"local\":"
	    "\"03/Dec/2026:10:00:01 +0000\",\"n\":200,\"ms\":1764756001123}";
	weir_advice_time_reject(&a, l1, strlen(l1), "no event time");
	weir_advice_time_reject(&a, "{}", 2, "other");
	struct weir_buf b = {0};
	assert_int_equal(weir_advice_no_time(&a, "p", &b), 0);
	assert_int_equal(weir_buf_add(&b, "", 1), 0);
	assert_non_null(strstr(b.p, "(2 lines rejected for it, the first: no event time)"));
	assert_non_null(strstr(b.p, "has when, when.at, local, n, ms\n"));
	assert_non_null(strstr(b.p, "p: try -t when.at\n"));
	assert_non_null(strstr(b.p, "p: try -t local -T '%d/%b/%Y:%H:%M:%S %z'\n"));
	assert_non_null(strstr(b.p, "p: try -t ms\n"));
	assert_null(strstr(b.p, "-t n\n"));
	weir_buf_free(&b);
	weir_advice_free(&a);
	/* nothing that reads as a time: how to say where it is */
	struct weir_advice c = {0};
	weir_advice_time_reject(&c, "{\"x\":\"hello\"}", 13, "no event time");
	assert_int_equal(weir_advice_no_time(&c, "p", &b), 0);
	assert_int_equal(weir_buf_add(&b, "", 1), 0);
	assert_non_null(strstr(b.p, "-t FIELD"));
	weir_buf_free(&b);
	weir_advice_free(&c);
}

static void
edit_distance_counts_one_swap_as_one(void **state)
{
	(void)state;
	assert_int_equal(weir_edit_distance("status", "status", 3), 0);
	assert_int_equal(weir_edit_distance("stauts", "status", 3), 1);	/* a swap */
	assert_int_equal(weir_edit_distance("reqest_time", "request_time", 3), 1);
	assert_int_equal(weir_edit_distance("kitten", "sitting", 5), 3);
	assert_int_equal(weir_edit_distance("a", "abcdef", 2), 3);	/* past the cap */
	assert_int_equal(weir_edit_distance("", "ab", 5), 2);
}

/* Names of the first event near a name, nested ones as a.b. */
static void
nearest_names_come_from_the_first_event(void **state)
{
	(void)state;
	struct weir_advice a = {0};
	struct weir_buf b = {0};
	assert_int_equal(weir_advice_nearest(&a, "stauts", &b), 0);	/* no event yet */
	assert_int_equal(b.n, 0);
	const char *ev = "{\"ts\":1,\"status\":200,\"req\":{\"time\":3},\"host\":\"h\"}";
	weir_advice_event(&a, ev, strlen(ev));
	weir_advice_event(&a, "{\"other\":1}", 11);	/* only the first is kept */
	assert_int_equal(weir_advice_nearest(&a, "stauts", &b), 0);
	assert_int_equal(weir_buf_add(&b, "", 1), 0);
	assert_string_equal(b.p, "'status'");
	b.n = 0;
	assert_int_equal(weir_advice_nearest(&a, "req.tme", &b), 0);
	assert_int_equal(weir_buf_add(&b, "", 1), 0);
	assert_string_equal(b.p, "'req.time'");
	b.n = 0;
	assert_int_equal(weir_advice_nearest(&a, "zzzzzzzz", &b), 0);
	assert_int_equal(b.n, 0);
	weir_buf_free(&b);
	weir_advice_free(&a);
}

/* The shapes a rejected line is named by; any other keeps its reason. */
static void
rejected_lines_are_explained_by_their_shape(void **state)
{
	(void)state;
	const char *why = "not a JSON object";
	assert_non_null(strstr(weir_advice_explain("\xff\xfe{\0", 4, why), "UTF-16"));
	assert_non_null(strstr(weir_advice_explain("\xef\xbb\xbf{}", 5, why), "byte-order mark"));
	assert_non_null(strstr(weir_advice_explain("{", 1, "truncated JSON"), "pretty-printed"));
	assert_non_null(strstr(weir_advice_explain("  \"a\": 1,", 9, why), "pretty-printed"));
	assert_non_null(strstr(weir_advice_explain("},", 2, why), "pretty-printed"));
	assert_non_null(strstr(weir_advice_explain("[{\"a\":1}]", 9, why), "a JSON array"));
	assert_non_null(strstr(weir_advice_explain("{}\r{}", 5, "text after the object"),
	    "carriage returns"));
	assert_non_null(strstr(weir_advice_explain("{} {}", 5, "text after the object"),
	    "several JSON objects"));
	assert_string_equal(weir_advice_explain("{} x", 4, "text after the object"),
	    "text after the object");
	assert_string_equal(weir_advice_explain("nope", 4, why), why);
}

/* The histogram's bounds are never below the true quantile, at most an
 * eighth above it, and never above the largest value. */
static void
lateness_bounds_hold_the_quantile(void **state)
{
	(void)state;
	static struct weir_lateness l;
	assert_int_equal(weir_lateness_upper(&l, 0.999), 0);
	for (int64_t i = 1; i <= 10000; i++)
		weir_lateness_add(&l, i * 1000003);	/* about 1 ms .. 10 s */
	assert_int_equal(l.max, 10000 * 1000003LL);
	assert_int_equal(weir_lateness_upper(&l, 1.0), l.max);
	int64_t p999 = weir_lateness_upper(&l, 0.999), truth = 9990 * 1000003LL;
	assert_true(p999 >= truth && p999 <= truth + truth / 8);
	int64_t p5 = weir_lateness_upper(&l, 0.5), half = 5000 * 1000003LL;
	assert_true(p5 >= half && p5 <= half + half / 8);
	weir_lateness_add(&l, 3);
	assert_true(weir_lateness_upper(&l, 0.00001) >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(warnings_are_grouped_by_reason),
		cmocka_unit_test(the_time_answer_offers_what_reads_as_a_time),
		cmocka_unit_test(edit_distance_counts_one_swap_as_one),
		cmocka_unit_test(nearest_names_come_from_the_first_event),
		cmocka_unit_test(rejected_lines_are_explained_by_their_shape),
		cmocka_unit_test(lateness_bounds_hold_the_quantile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
