/* Unit tests for lib/fill: empty windows as rows, keys in first-seen order,
 * from each key's first row on, up to the watermark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/fill.h"

#define SEC 1000000000LL

struct bench {
	struct weir_opts o;
	struct weir_ctx *ctx;
	struct weir_held_key *keys;
	struct weir_aggdef defs[2];
	struct weir_fill f;
	int fds[2];
};

static struct weir_held_key *
key(struct bench *b, const char *host)
{
	char members[64];
	int n = snprintf(members, sizeof members, "\"host\":\"%s\"", host);
	struct weir_held_key *k = weir_held_key_add(&b->keys, host, strlen(host), members,
	    (size_t)n, sizeof *k);
	assert_non_null(k);
	return k;
}

static void
start(struct bench *b, const char *window, const char *zone, const char *value)
{
	char err[256];
	memset(b, 0, sizeof *b);
	b->ctx = weir_ctx_new("test", &b->o, &(struct weir_hooks){0}, NULL, err, sizeof err);
	assert_non_null(b->ctx);
	assert_int_equal(pipe(b->fds), 0);
	weir_output_free(b->ctx->out);
	b->ctx->out = weir_output_new(b->fds[1], false, false);
	b->ctx->repr = zone ? WEIR_REPR_RFC3339 : WEIR_REPR_EPOCH_S;
	struct weir_plan *plan = weir_plan_new();
	const char *ops[] = {"count", "avg:v"};
	int n = 0;
	assert_true(weir_aggdefs_operands(plan, b->defs, 2, &n, 2, (char **)ops, err, sizeof err) == 2);
	struct weir_window_spec w;
	assert_int_equal(weir_window_spec_parse(window, &w, err, sizeof err), 0);
	struct weir_zone *z = zone ? weir_zone_open(zone, err, sizeof err) : NULL;
	assert_int_equal(weir_fill_init(&b->f, &w, z, &b->keys, b->ctx, b->defs, 2, false, value,
	    err, sizeof err), 0);
	weir_plan_free(plan);
}

/* What was written, as one string; frees the bench. */
static char *
finish(struct bench *b)
{
	static char out[8192];
	assert_int_equal(weir_out_flush(b->ctx->out), 0);
	close(b->fds[1]);
	ssize_t got = read(b->fds[0], out, sizeof out - 1);
	out[got > 0 ? got : 0] = '\0';
	close(b->fds[0]);
	struct weir_zone *z = b->f.zone;
	weir_fill_free(&b->f);
	weir_zone_free(z);
	for (int i = 0; i < 2; i++)
		weir_aggdef_free(&b->defs[i]);
	while (b->keys)
		weir_held_key_drop(&b->keys, b->keys);
	weir_ctx_free(b->ctx);
	return out;
}

/* A key gets rows from its first row on, in the order keys came; a window
 * nobody had an event in still has its rows; one a key had a row in, not. */
static void
windows_before_a_row_complete_in_key_order(void **state)
{
	(void)state;
	struct bench b;
	start(&b, "10s", NULL, NULL);
	struct weir_held_key *a = key(&b, "a"), *c = key(&b, "c"), *z = key(&b, "z");
	(void)c;	/* seen, never in a row: no row */
	assert_int_equal(weir_fill_before(&b.f, a, 0, 10 * SEC), 0);	/* a's row of [0,10) */
	assert_int_equal(weir_fill_before(&b.f, z, 0, 10 * SEC), 0);	/* z's row of [0,10) */
	assert_int_equal(weir_fill_before(&b.f, a, 30 * SEC, 40 * SEC), 0);	/* a's [30,40) */
	assert_int_equal(weir_fill_through(&b.f, 45 * SEC), 0);
	assert_int_equal(b.f.rows, 5);
	assert_string_equal(finish(&b),
	    "{\"host\":\"a\",\"window_start\":10,\"window_end\":20,\"count\":0,\"avg_v\":null}\n"
	    "{\"host\":\"z\",\"window_start\":10,\"window_end\":20,\"count\":0,\"avg_v\":null}\n"
	    "{\"host\":\"a\",\"window_start\":20,\"window_end\":30,\"count\":0,\"avg_v\":null}\n"
	    "{\"host\":\"z\",\"window_start\":20,\"window_end\":30,\"count\":0,\"avg_v\":null}\n"
	    "{\"host\":\"z\",\"window_start\":30,\"window_end\":40,\"count\":0,\"avg_v\":null}\n");
}

/* The watermark completes what ends at or before it; the end of input
 * only up to the last window with a row; a value takes the place of null. */
static void
through_the_watermark_and_the_end(void **state)
{
	(void)state;
	struct bench b;
	start(&b, "20s/10s", NULL, "-1");
	struct weir_held_key *a = key(&b, "a");
	assert_int_equal(weir_fill_through(&b.f, 100 * SEC), 0);	/* no row yet: nothing */
	assert_int_equal(weir_fill_before(&b.f, a, -10 * SEC, 10 * SEC), 0);
	assert_int_equal(weir_fill_through(&b.f, 29 * SEC), 0);	/* [0,20) only */
	assert_int_equal(weir_fill_before(&b.f, a, 30 * SEC, 50 * SEC), 0);	/* [10,30) first */
	assert_int_equal(weir_fill_through(&b.f, INT64_MAX), 0);
	assert_string_equal(finish(&b),
	    "{\"host\":\"a\",\"window_start\":0,\"window_end\":20,\"count\":0,\"avg_v\":-1}\n"
	    "{\"host\":\"a\",\"window_start\":10,\"window_end\":30,\"count\":0,\"avg_v\":-1}\n"
	    "{\"host\":\"a\",\"window_start\":20,\"window_end\":40,\"count\":0,\"avg_v\":-1}\n");
}

/* Day windows in local time: the day the clocks go forward is 23 hours. */
static void
local_days_follow_the_clock_change(void **state)
{
	(void)state;
	struct bench b;
	start(&b, "1d", "Europe/Paris", NULL);
	struct weir_held_key *a = key(&b, "a");
	int64_t mar28;	/* 2026-03-28T00:00:00+01:00 */
	assert_int_equal(weir_time_parse_rfc3339("2026-03-27T23:00:00Z", 20, &mar28), 0);
	assert_int_equal(weir_fill_before(&b.f, a, mar28, mar28 + 24 * 3600 * SEC), 0);
	assert_int_equal(weir_fill_through(&b.f, mar28 + 48 * 3600 * SEC), 0);
	assert_string_equal(finish(&b),
	    "{\"host\":\"a\",\"window_start\":\"2026-03-29T00:00:00+01:00\","
	    "\"window_end\":\"2026-03-30T00:00:00+02:00\",\"count\":0,\"avg_v\":null}\n");
}

/* A bad value is refused. */
static void
a_value_must_be_json(void **state)
{
	(void)state;
	struct weir_fill f;
	struct weir_window_spec w = {WEIR_WINDOW_TUMBLING, SEC, 0, 0};
	char err[128];
	assert_int_equal(weir_fill_init(&f, &w, NULL, NULL, NULL, NULL, 0, false, "zero", err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "bad --fill 'zero'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(windows_before_a_row_complete_in_key_order),
		cmocka_unit_test(through_the_watermark_and_the_end),
		cmocka_unit_test(local_days_follow_the_clock_change),
		cmocka_unit_test(a_value_must_be_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
