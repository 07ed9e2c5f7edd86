/* Unit tests for lib/aggregate: cells take values, merge, and read back
 * what they wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/aggregate.h"

/* the result of one cell over values given as JSON number texts */
static bool linear;	/* result_of's percentiles interpolate */

static void
result_of(enum weir_func f, double rank, const char *const *values, size_t n, char *out)
{
	struct weir_cells cx = {0};
	struct weir_aggdef def = {.func = f, .rank = rank, .k = 2, .linear = linear};
	union weir_cell c;
	memset(&c, 0, sizeof c);
	for (size_t i = 0; i < n; i++) {
		struct weir_span v = {values[i], strlen(values[i])};
		struct weir_number num;
		weir_number_read(&v, true, &num);
		assert_int_equal(weir_cell_add(&cx, &def, &c, &v, &num, i), 0);
	}
	struct weir_buf b = {0};
	assert_int_equal(weir_cell_result(&def, &c, n, &b), 0);
	strcpy(out, b.p);
	weir_buf_free(&b);
	assert_true(cx.bytes == (int64_t)weir_cell_bytes(&def, &c));
	weir_cell_free(&cx, &def, &c);
	assert_true(cx.bytes == 0);	/* what the cell held, it gave back */
}

static void
sums_of_decimals_are_exact(void **state)
{
	(void)state;
	char out[256];
	const char *money[] = {"0.1", "0.2", "19.99", "-0.29"};
	result_of(WEIR_AGG_SUM, 0, money, 4, out);
	assert_string_equal(out, "20");
	const char *big[] = {"9223372036854775807", "9223372036854775807", "1"};
	result_of(WEIR_AGG_SUM, 0, big, 3, out);
	assert_string_equal(out, "18446744073709551615");
	const char *tiny[] = {"0.000000000000000000001", "2"};
	result_of(WEIR_AGG_SUM, 0, tiny, 2, out);
	assert_string_equal(out, "2.000000000000000000001");
	const char *none[] = {"null"};
	result_of(WEIR_AGG_SUM, 0, none, 1, out);
	assert_string_equal(out, "0");
}

static void
min_max_first_last_keep_the_text(void **state)
{
	(void)state;
	char out[256];
	const char *v[] = {"1.10", "-2.50", "1e1", "\"x\""};
	result_of(WEIR_AGG_MIN, 0, v, 4, out);
	assert_string_equal(out, "-2.50");
	result_of(WEIR_AGG_MAX, 0, v, 4, out);
	assert_string_equal(out, "1e1");
	result_of(WEIR_AGG_LAST, 0, v, 4, out);
	assert_string_equal(out, "\"x\"");
	result_of(WEIR_AGG_TOP, 0, v, 4, out);
	assert_string_equal(out, "[{\"value\":1.10,\"count\":1},{\"value\":-2.50,\"count\":1}]");
}

static void
variance_and_percentiles(void **state)
{
	(void)state;
	char out[256];
	const char *v[] = {"2", "4", "4", "4", "5", "5", "7", "9"};
	result_of(WEIR_AGG_VAR, 0, v, 8, out);
	assert_string_equal(out, "4.571428571428571");	/* 32 / 7 */
	result_of(WEIR_AGG_QUANTILE, 0.5, v, 8, out);
	assert_string_equal(out, "4");	/* nearest rank: the 4th of 8 */
	result_of(WEIR_AGG_QUANTILE, 1, v, 8, out);
	assert_string_equal(out, "9");
	/* :linear, PostgreSQL's percentile_cont: position 0.9 x 7 = 6.3, between 7 and 9 */
	linear = true;
	result_of(WEIR_AGG_QUANTILE, 0.9, v, 8, out);
	assert_string_equal(out, "7.6");
	result_of(WEIR_AGG_QUANTILE, 0.5, v, 8, out);
	assert_string_equal(out, "4.5");
	result_of(WEIR_AGG_QUANTILE, 1, v, 8, out);
	assert_string_equal(out, "9");
	linear = false;
	const char *one[] = {"3"};
	result_of(WEIR_AGG_STDDEV, 0, one, 1, out);
	assert_string_equal(out, "null");
}

/* two halves merged, and a cell written and read back, give what one
 * cell over everything gives */
static void
merge_and_round_trip(void **state)
{
	(void)state;
	const enum weir_func funcs[] = {WEIR_AGG_SUM, WEIR_AGG_AVG, WEIR_AGG_MIN, WEIR_AGG_FIRST,
	    WEIR_AGG_LAST, WEIR_AGG_DISTINCT, WEIR_AGG_APPROX_DISTINCT, WEIR_AGG_QUANTILE,
	    WEIR_AGG_TOP, WEIR_AGG_COLLECT, WEIR_AGG_COUNT_FIELD};
	char text[300][16];
	for (int i = 0; i < 300; i++)
		snprintf(text[i], sizeof text[i], "%d.%d", (i * 37) % 101, i % 7);
	for (size_t f = 0; f < sizeof funcs / sizeof funcs[0]; f++) {
		struct weir_cells cx = {0};
		struct weir_aggdef def = {.func = funcs[f], .rank = 0.9, .k = 3};
		union weir_cell all, a, b, back;
		memset(&all, 0, sizeof all);
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		memset(&back, 0, sizeof back);
		for (int i = 0; i < 300; i++) {
			struct weir_span v = {text[i], strlen(text[i])};
			struct weir_number num;
			weir_number_read(&v, true, &num);
			weir_cell_add(&cx, &def, &all, &v, &num, (uint64_t)i);
			weir_cell_add(&cx, &def, i < 120 ? &a : &b, &v, &num, (uint64_t)i);
		}
		assert_int_equal(weir_cell_merge(&cx, &def, &a, &b), 0);
		struct weir_buf w = {0}, r1 = {0}, r2 = {0}, r3 = {0};
		assert_int_equal(weir_cell_write(&def, &a, &w), 0);
		json_t *j = json_loadb(w.p, w.n, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		assert_int_equal(weir_cell_read(&cx, &def, &back, j, 0), 0);
		weir_cell_result(&def, &all, 300, &r1);
		weir_cell_result(&def, &a, 300, &r2);
		weir_cell_result(&def, &back, 300, &r3);
		assert_string_equal(r1.p, r2.p);
		assert_string_equal(r1.p, r3.p);
		json_decref(j);
		weir_buf_free(&w);
		weir_buf_free(&r1);
		weir_buf_free(&r2);
		weir_buf_free(&r3);
		/* the bytes counted are the bytes held, through merge and read */
		assert_true(cx.bytes == (int64_t)(weir_cell_bytes(&def, &all) +
		    weir_cell_bytes(&def, &a) + weir_cell_bytes(&def, &b) +
		    weir_cell_bytes(&def, &back)));
		weir_cell_free(&cx, &def, &all);
		weir_cell_free(&cx, &def, &a);
		weir_cell_free(&cx, &def, &b);
		weir_cell_free(&cx, &def, &back);
		assert_true(cx.bytes == 0);
	}
}

/* Operands as a command line gives them: the function, its field, the
 * name of its column (FUNC_FIELD with dots as underscores, or =NAME). */
static void
operands_parse_to_functions_and_names(void **state)
{
	(void)state;
	struct weir_plan *plan = weir_plan_new();
	struct weir_aggdef d;
	char err[256];
	assert_int_equal(weir_aggdef_parse(plan, &d, "count", err, sizeof err), 0);
	assert_int_equal(d.func, WEIR_AGG_COUNT);
	assert_string_equal(d.plain, "count");
	assert_int_equal(d.slot, -1);
	weir_aggdef_free(&d);
	assert_int_equal(weir_aggdef_parse(plan, &d, "p99.9:req.latency", err, sizeof err), 0);
	assert_int_equal(d.func, WEIR_AGG_QUANTILE);
	assert_true(d.rank > 0.9989 && d.rank < 0.9991);
	assert_string_equal(d.plain, "p99.9_req_latency");
	assert_string_equal(d.field, "req.latency");
	assert_true(d.slot >= 0);
	weir_aggdef_free(&d);
	assert_int_equal(weir_aggdef_parse(plan, &d, "top:5:path=paths", err, sizeof err), 0);
	assert_int_equal(d.func, WEIR_AGG_TOP);
	assert_int_equal(d.k, 5);
	assert_string_equal(d.plain, "paths");
	assert_string_equal(d.name, "\"paths\"");
	weir_aggdef_free(&d);
	assert_int_equal(weir_aggdef_parse(plan, &d, "median:x", err, sizeof err), 0);
	assert_true(d.rank == 0.5);
	assert_false(d.linear);
	weir_aggdef_free(&d);
	assert_int_equal(weir_aggdef_parse(plan, &d, "p90:a.b:linear", err, sizeof err), 0);
	assert_true(d.linear);
	assert_string_equal(d.field, "a.b");
	assert_string_equal(d.plain, "p90_a_b");
	weir_aggdef_free(&d);
	/* sum:F:null, SQL's SUM: named as sum:F, null over no value */
	assert_int_equal(weir_aggdef_parse(plan, &d, "sum:a.b:null", err, sizeof err), 0);
	assert_true(d.null_empty);
	assert_string_equal(d.field, "a.b");
	assert_string_equal(d.plain, "sum_a_b");
	union weir_cell c;
	memset(&c, 0, sizeof c);
	struct weir_buf b = {0};
	assert_int_equal(weir_cell_result(&d, &c, 3, &b), 0);
	assert_string_equal(b.p, "null");
	d.null_empty = false;
	b.n = 0;
	assert_int_equal(weir_cell_result(&d, &c, 3, &b), 0);
	assert_string_equal(b.p, "0");
	weir_buf_free(&b);
	weir_aggdef_free(&d);
	const char *bad[] = {"p101:x", "top:0:x", "top:5", "sum", "nope:x", "avg:x=", "pNN:x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(weir_aggdef_parse(plan, &d, bad[i], err, sizeof err), -1);
		assert_non_null(strstr(err, bad[i]));	/* the message names it */
		weir_aggdef_free(&d);
	}
	assert_true(weir_aggdef_is_spec("count"));
	assert_true(weir_aggdef_is_spec("p99:x"));
	assert_true(weir_aggdef_is_spec("avg=a"));
	assert_false(weir_aggdef_is_spec("events.ndjson"));
	assert_false(weir_aggdef_is_spec("p9x:y"));
	weir_plan_free(plan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sums_of_decimals_are_exact),
		cmocka_unit_test(min_max_first_last_keep_the_text),
		cmocka_unit_test(variance_and_percentiles),
		cmocka_unit_test(merge_and_round_trip),
		cmocka_unit_test(operands_parse_to_functions_and_names),
	};
	return cmocka_run_group_tests_name("aggregate", tests, NULL, NULL);
}
