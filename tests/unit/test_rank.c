/* Unit tests for lib/rank: the N first rows of each window, in
 * PostgreSQL's order (NULLS LAST ascending, FIRST descending), ties by key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/rank.h"

static char out[4096];

static int
collect(void *arg, const char *row, size_t len)
{
	(void)arg;
	strncat(out, row, len);
	strcat(out, "\n");
	return 0;
}

static void
add(struct weir_rank *r, const char *row, uint64_t *dropped)
{
	assert_int_equal(weir_rank_add(r, row, strlen(row), collect, NULL, dropped), 0);
}

static void
ascending_puts_nulls_last_and_breaks_ties_by_key(void **state)
{
	(void)state;
	const char *keys[] = {"status", "host"};
	char err[128];
	struct weir_rank *r = weir_rank_new("n", 3, false, keys, 2, err, sizeof err);
	uint64_t dropped = 0;
	out[0] = '\0';
	add(r, "{\"status\":500,\"host\":\"a\",\"n\":null}", &dropped);
	add(r, "{\"status\":50,\"host\":\"b\",\"n\":2}", &dropped);
	add(r, "{\"status\":404,\"host\":\"a\",\"n\":2}", &dropped);
	add(r, "{\"status\":404,\"host\":\"\\u0062\",\"n\":2}", &dropped);
	assert_int_equal(weir_rank_flush(r, collect, NULL, &dropped), 0);
	/* 50 before 404: numbers by value, not by their text; "\u0062" is b */
	assert_string_equal(out, "{\"status\":50,\"host\":\"b\",\"n\":2}\n"
	    "{\"status\":404,\"host\":\"a\",\"n\":2}\n{\"status\":404,\"host\":\"\\u0062\",\"n\":2}\n");
	assert_int_equal(dropped, 1);
	weir_rank_free(r);
}

static void
descending_puts_nulls_first_and_each_window_apart(void **state)
{
	(void)state;
	const char *keys[] = {"k"};
	char err[128];
	struct weir_rank *r = weir_rank_new("v", 1, true, keys, 1, err, sizeof err);
	uint64_t dropped = 0;
	out[0] = '\0';
	add(r, "{\"k\":\"a\",\"window_start\":0,\"window_end\":10,\"v\":5}", &dropped);
	add(r, "{\"k\":\"b\",\"window_start\":0,\"window_end\":10}", &dropped);
	/* another window: the first one's best goes out now */
	add(r, "{\"k\":\"a\",\"window_start\":10,\"window_end\":20,\"v\":1}", &dropped);
	assert_string_equal(out, "{\"k\":\"b\",\"window_start\":0,\"window_end\":10}\n");
	add(r, "{\"k\":\"b\",\"window_start\":10,\"window_end\":20,\"v\":\"x\"}", &dropped);
	assert_int_equal(weir_rank_flush(r, collect, NULL, &dropped), 0);
	assert_string_equal(out, "{\"k\":\"b\",\"window_start\":0,\"window_end\":10}\n"
	    "{\"k\":\"b\",\"window_start\":10,\"window_end\":20,\"v\":\"x\"}\n");
	assert_int_equal(dropped, 2);
	weir_rank_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ascending_puts_nulls_last_and_breaks_ties_by_key),
		cmocka_unit_test(descending_puts_nulls_first_and_each_window_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
