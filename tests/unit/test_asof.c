/* Unit tests for lib/asof: the ASOF join over two inputs read at once (a
 * reader thread each), so whatever the interleaving the rows are the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/asof.h"
#include "capture.h"

#define SEC 1000000000LL

struct run {
	char out[4096], err[4096];
	int status;
	struct weir_counters count;
};

/* Joins left and right on "k" as weir-join --asof does. */
static void
asof_run(const char *left, const char *right, int64_t within, bool keep, struct run *r)
{
	const char *input[2] = {left, right};
	char paths[2][64], *argv[2], err[256];
	for (int i = 0; i < 2; i++) {
		snprintf(paths[i], sizeof paths[i], "/tmp/weir-test-asof-%d-XXXXXX", i);
		int fd = mkstemp(paths[i]);
		assert_int_equal(write(fd, input[i], strlen(input[i])), (ssize_t)strlen(input[i]));
		close(fd);
		argv[i] = paths[i];
	}
	struct weir_opts o = {0};
	struct weir_keys keys = {0};
	struct weir_merge merge = {.keys = &keys};
	struct weir_asof a = {{&keys, &keys}, within, keep, false, &merge};
	struct weir_ctx *ctx = weir_ctx_new("test", &o, &(struct weir_hooks){0}, NULL, err,
	    sizeof err);
	assert_non_null(ctx);
	assert_int_equal(weir_keys_parse(&keys, ctx->plan, "k"), 0);
	ctx->ninputs = 2;
	ctx->max_ahead = 1000;
	assert_int_equal(weir_asof_start(ctx, &a, SEC, err, sizeof err), 0);
	r->status = run_captured(ctx, argv, 2, r->out, sizeof r->out, r->err, sizeof r->err,
	    &r->count);
	weir_asof_free(&a);
	weir_merge_free(&merge);
	weir_keys_free(&keys);
	for (int i = 0; i < 2; i++)
		unlink(paths[i]);
}

/* The latest right row at or before each left event, a right one first at
 * equal times, whatever order the two inputs were read in. */
static void
latest_at_or_before_whatever_the_interleaving(void **state)
{
	(void)state;
	const char *left = "{\"ts\":1,\"k\":\"a\"}\n{\"ts\":4,\"k\":\"a\"}\n{\"ts\":4,\"k\":\"b\"}\n"
	    "{\"ts\":9,\"k\":\"a\"}\n";
	const char *right = "{\"ts\":0,\"k\":\"a\",\"v\":1}\n{\"ts\":4,\"k\":\"a\",\"v\":2}\n"
	    "{\"ts\":5,\"k\":\"b\",\"v\":3}\n";
	for (int round = 0; round < 20; round++) {
		struct run r;
		asof_run(left, right, INT64_MAX, false, &r);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out,
		    "{\"ts\":1,\"k\":\"a\",\"right_ts\":0,\"v\":1}\n"
		    "{\"ts\":4,\"k\":\"a\",\"right_ts\":4,\"v\":2}\n"
		    "{\"ts\":9,\"k\":\"a\",\"right_ts\":4,\"v\":2}\n");
		assert_int_equal(r.count.in, 7);
		assert_int_equal(r.count.out, 6);	/* three rights taken in, three lefts */
		assert_int_equal(r.count.dropped, 1);	/* b at 4: its row comes at 5 */
	}
}

/* A row older than within does not match; kept, the left event goes alone. */
static void
within_bounds_the_age_of_the_row(void **state)
{
	(void)state;
	struct run r;
	asof_run("{\"ts\":3,\"k\":\"a\"}\n{\"ts\":10,\"k\":\"a\"}\n", "{\"ts\":1,\"k\":\"a\",\"v\":1}\n",
	    5 * SEC, true, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "{\"ts\":3,\"k\":\"a\",\"right_ts\":1,\"v\":1}\n"
	    "{\"ts\":10,\"k\":\"a\"}\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(latest_at_or_before_whatever_the_interleaving),
		cmocka_unit_test(within_bounds_the_age_of_the_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
