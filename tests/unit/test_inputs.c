/* Unit tests for lib/inputs: several inputs read at once, each with its own
 * watermark.  The inputs are read on threads, so how their lines interleave
 * varies from run to run; the tests assert what holds for every
 * interleaving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/driver.h"
#include "../../lib/inputs.h"
#include "capture.h"

#define SEC 1000000000LL
#define NIN 3

struct recorder {
	int64_t seen[NIN][16];		/* event times delivered, per input */
	int nseen[NIN];
	int64_t max_t[NIN];		/* largest delivered, per input */
	int64_t last_w;
	int watermarks, bad_watermarks, events_after_end, ends;
};

static int
rec_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct recorder *r = ctx->prog_state;
	assert_true(ev->input < NIN);
	if (r->ends)
		r->events_after_end++;
	if (r->nseen[ev->input] < 16)
		r->seen[ev->input][r->nseen[ev->input]++] = ev->t / SEC;
	if (ev->t > r->max_t[ev->input])
		r->max_t[ev->input] = ev->t;
	return weir_emit(ctx, ev->line, ev->len);
}

/* The watermark never passes an input that has not ended: each input's
 * largest time less the lag bounds it (no watermark line comes in here). */
static int
rec_watermark(struct weir_ctx *ctx, int64_t w)
{
	struct recorder *r = ctx->prog_state;
	const struct weir_inputs *ins = weir_inputs_of(ctx);
	r->watermarks++;
	if (w < r->last_w)
		r->bad_watermarks++;
	r->last_w = w;
	for (unsigned i = 0; i < ins->n; i++)
		if (!ins->in[i].done && w > r->max_t[i] - ctx->opts->lag)
			r->bad_watermarks++;
	return 0;
}

static int
rec_end(struct weir_ctx *ctx)
{
	((struct recorder *)ctx->prog_state)->ends++;
	return 0;
}

static const struct weir_hooks hooks = {.on_event = rec_event, .on_watermark = rec_watermark,
	.on_end = rec_end};

struct run {
	struct recorder rec;
	char out[4096], err[4096];
	int status;
	struct weir_counters count;
};

static void
run_inputs(struct weir_opts *o, const char *const input[NIN], int64_t trail, struct run *r)
{
	char paths[NIN][64];
	char *argv[NIN];
	memset(r, 0, sizeof *r);
	for (int i = 0; i < NIN; i++) {
		snprintf(paths[i], sizeof paths[i], "/tmp/weir-test-inputs-%d-XXXXXX", i);
		int fd = mkstemp(paths[i]);
		assert_int_equal(write(fd, input[i], strlen(input[i])), (ssize_t)strlen(input[i]));
		close(fd);
		argv[i] = paths[i];
		r->rec.max_t[i] = INT64_MIN;
	}
	r->rec.last_w = INT64_MIN;
	char errbuf[256];
	struct weir_ctx *ctx = weir_ctx_new("test", o, &hooks, &r->rec, errbuf, sizeof errbuf);
	assert_non_null(ctx);
	ctx->ninputs = NIN;
	ctx->watermark_trail = trail;
	ctx->max_ahead = 1000;
	r->status = run_captured(ctx, argv, NIN, r->out, sizeof r->out, r->err, sizeof r->err,
	    &r->count);
	for (int i = 0; i < NIN; i++)
		unlink(paths[i]);
}

/* Each input's events arrive in its own order, with its number; one behind
 * its own input's watermark is late, whatever the others did. */
static void
each_input_has_its_own_watermark(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	o.lag = 2 * SEC;
	o.late = WEIR_LATE_DROP;
	const char *in[NIN] = {
		"{\"ts\":1}\n{\"ts\":4}\n{\"ts\":7}\n",
		"{\"ts\":2}\n{\"ts\":5}\n{\"ts\":8}\n",
		"{\"ts\":3}\n{\"ts\":9}\n{\"ts\":6}\n{\"ts\":20}\n",	/* 6 < 9 - 2 */
	};
	struct run r;
	for (int round = 0; round < 20; round++) {
		run_inputs(&o, in, 0, &r);
		assert_int_equal(r.status, 0);
		assert_int_equal(r.count.in, 10);
		assert_int_equal(r.count.late, 1);
		assert_int_equal(r.count.out, 9);
		assert_int_equal(r.rec.nseen[0], 3);
		assert_int_equal(r.rec.seen[0][2], 7);
		assert_int_equal(r.rec.nseen[1], 3);
		assert_int_equal(r.rec.nseen[2], 3);
		assert_int_equal(r.rec.seen[2][1], 9);
		assert_int_equal(r.rec.seen[2][2], 20);
		assert_int_equal(r.rec.bad_watermarks, 0);
		assert_int_equal(r.rec.ends, 1);
		assert_int_equal(r.rec.events_after_end, 0);
	}
}

/* Watermark lines on each input count, and a line the program writes
 * trails its watermark by watermark_trail. */
static void
received_watermarks_count_per_input(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	const char *in[NIN] = {
		"{\"_watermark\":100}\n",
		"{\"_watermark\":50}\n{\"_watermark\":300}\n",
		"{\"_watermark\":200}\n",
	};
	struct run r;
	run_inputs(&o, in, 10 * SEC, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.count.watermarks_in, 4);
	assert_int_equal(r.count.in, 0);
	/* every watermark line written is one received, less the trail */
	const char *trailed[] = {"00:00:40Z", "00:01:30Z", "00:03:10Z", "00:04:50Z"};
	for (char *line = r.out; *line; line = strchr(line, '\n') + 1) {
		int found = 0;
		for (int i = 0; i < 4; i++)
			found |= strncmp(line, "{\"_watermark\":\"1970-01-01T", 26) == 0 &&
			    strncmp(line + 26, trailed[i], 9) == 0;
		assert_true(found);
	}
}

/* A bad line is named with its own input's name and line, and counted. */
static void
a_bad_line_is_named_by_its_input(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	const char *in[NIN] = {"{\"ts\":1}\n", "{\"ts\":2}\nnope\n", "{\"ts\":3}\n"};
	struct run r;
	run_inputs(&o, in, 0, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.count.in, 4);
	assert_int_equal(r.count.rejected, 1);
	assert_non_null(strstr(r.err, "weir-test-inputs-1-"));
	assert_non_null(strstr(r.err, ":2: not a JSON object"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_input_has_its_own_watermark),
		cmocka_unit_test(received_watermarks_count_per_input),
		cmocka_unit_test(a_bad_line_is_named_by_its_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
