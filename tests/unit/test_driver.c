/* Unit tests for lib/driver: watermarks, protocol lines, accounting. */
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
#include "capture.h"

/* A program that records what the driver tells it, and passes events on
 * unless they are behind the watermark. */
struct recorder {
	char log[4096];
};

static void
note(struct recorder *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = strlen(r->log);
	vsnprintf(r->log + n, sizeof r->log - n, fmt, ap);
	va_end(ap);
}

static int
rec_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct recorder *r = ctx->prog_state;
	note(r, "e%lld@%lld ", (long long)(ev->t / 1000000000),
	    ctx->watermark == WEIR_TIME_NONE ? -1LL : (long long)(ctx->watermark / 1000000000));
	if (ev->t < ctx->watermark)
		return weir_late(ctx, ev);
	return weir_emit(ctx, ev->line, ev->len);
}

static int
rec_watermark(struct weir_ctx *ctx, int64_t wm)
{
	note(ctx->prog_state, "w%lld ", (long long)(wm / 1000000000));
	return 0;
}

static int
rec_end(struct weir_ctx *ctx)
{
	note(ctx->prog_state, "end");
	return 0;
}

static const struct weir_hooks hooks = {rec_event, rec_watermark, NULL, rec_end};

struct run {
	struct recorder rec;
	char out[4096];
	char err[4096];
	int status;
	struct weir_counters count;
};

/* Runs the driver over `input` with opts and the program h (its state is
 * r->rec); stdout and diagnostics captured. */
static void
run_with(struct weir_opts *o, const struct weir_hooks *h, const char *input, struct run *r)
{
	char path[] = "/tmp/weir-test-driver-XXXXXX";
	int fd = mkstemp(path);
	assert_int_equal(write(fd, input, strlen(input)), (ssize_t)strlen(input));
	close(fd);
	memset(r, 0, sizeof *r);
	char errbuf[256];
	struct weir_ctx *ctx = weir_ctx_new("test", o, h, &r->rec, errbuf, sizeof errbuf);
	assert_non_null(ctx);
	char *inputs[] = {path};
	r->status = run_captured(ctx, inputs, 1, r->out, sizeof r->out, r->err, sizeof r->err,
	    &r->count);
	unlink(path);
}

static void
run(struct weir_opts *o, const char *input, struct run *r)
{
	run_with(o, &hooks, input, r);
}

static void
watermark_is_max_event_time_minus_lag(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	o.lag = 2000000000LL;
	struct run r;
	run(&o, "{\"ts\":10}\n{\"ts\":13}\n{\"ts\":11}\n{\"ts\":10}\n{\"ts\":20}\n", &r);
	assert_int_equal(r.status, 0);
	/* watermark after 10 is 8, after 13 is 11; 10 < 11 is late */
	assert_string_equal(r.rec.log, "e10@-1 w8 e13@8 w11 e11@11 e10@11 e20@11 w18 end");
	assert_int_equal(r.count.in, 5);
	assert_int_equal(r.count.out, 4);
	assert_int_equal(r.count.late, 1);
	assert_non_null(strstr(r.err, "1 late event dropped"));
}

static void
received_watermark_is_forwarded_with_our_own(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	struct run r;
	run(&o, "{\"ts\":100}\n{\"_watermark\":\"1970-01-01T00:00:50Z\"}\n"
	    "{\"_watermark\":200}\n{\"_checkpoint\":3}\n", &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "{\"ts\":100}\n"
	    "{\"_watermark\":\"1970-01-01T00:01:40Z\"}\n"
	    "{\"_watermark\":\"1970-01-01T00:03:20Z\"}\n{\"_checkpoint\":3}\n");
	assert_int_equal(r.count.watermarks_in, 2);
	assert_int_equal(r.count.barriers, 1);
	assert_int_equal(r.count.in, 1);
}

static void
punctuation_at_multiples(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	o.punctuate = 10000000000LL;
	struct run r;
	run(&o, "{\"ts\":5}\n{\"ts\":12}\n{\"ts\":19}\n{\"ts\":31}\n", &r);
	assert_string_equal(r.out, "{\"ts\":5}\n{\"_watermark\":\"1970-01-01T00:00:00Z\"}\n"
	    "{\"ts\":12}\n{\"_watermark\":\"1970-01-01T00:00:10Z\"}\n{\"ts\":19}\n"
	    "{\"ts\":31}\n{\"_watermark\":\"1970-01-01T00:00:30Z\"}\n");
}

static void
rejected_lines_are_counted_and_named(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	struct run r;
	run(&o, "nope\n{\"x\":1}\n{\"ts\":\"later\"}\n{\"ts\":1}\n{\"_watermark\":\"soon\"}\n", &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.count.in, 5);
	assert_int_equal(r.count.rejected, 4);
	assert_int_equal(r.count.out, 1);
	assert_non_null(strstr(r.err, ":1: not a JSON object"));
	assert_non_null(strstr(r.err, ":2: no event time"));
	assert_non_null(strstr(r.err, ":3: unparseable time"));
	assert_non_null(strstr(r.err, ":5: bad _watermark"));
}

static void
on_error_fail_stops_at_the_line(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	o.on_error = WEIR_ON_ERROR_FAIL;
	struct run r;
	run(&o, "{\"ts\":1}\n[]\n{\"ts\":2}\n", &r);
	assert_int_equal(r.status, WEIR_EXIT_DATA);
	assert_string_equal(r.rec.log, "e1@-1 w1 ");
}

static void
a_chosen_time_field_and_format(void **state)
{
	(void)state;
	struct weir_opts o = {0};
	o.time_field = "meta.when";
	assert_int_equal(weir_timefmt_parse(&o.time_format, "epoch_ms"), 0);
	struct run r;
	run(&o, "{\"ts\":1,\"meta\":{\"when\":3000}}\n{\"meta\":{\"when\":\"4000\"}}\n", &r);
	assert_string_equal(r.rec.log, "e3@-1 w3 e4@3 w4 end");
}

/* on_ahead: each event's digest (its ts, from on_scan) is seen once as
 * near and once as far, both before the event itself. */
#define AHEAD_EVENTS 100
static int near_seen[AHEAD_EVENTS + 1], far_seen[AHEAD_EVENTS + 1];
static int ahead_errors;

static void
ahead_scan(const void *state, unsigned input, const char *line, size_t len,
    const struct weir_span *spans, uint64_t digest[2])
{
	(void)state;
	(void)input;
	(void)len;
	(void)spans;
	digest[0] = strtoull(line + strlen("{\"ts\":"), NULL, 10);
	digest[1] = 1;
}

static void
ahead_hint(void *state, const uint64_t *near, const uint64_t *far)
{
	(void)state;
	if (near && (near[1] != 1 || near[0] > AHEAD_EVENTS || far_seen[near[0]] != 1))
		ahead_errors++;	/* not a data line, or near before far */
	if (near && near[0] <= AHEAD_EVENTS)
		near_seen[near[0]]++;
	if (far && far[0] <= AHEAD_EVENTS)
		far_seen[far[0]]++;
}

static int
ahead_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	uint64_t n = ev->digest[0];
	if (n > AHEAD_EVENTS || near_seen[n] != 1 || far_seen[n] != 1)
		ahead_errors++;
	return weir_emit(ctx, ev->line, ev->len);
}

static void
ahead_sees_every_event_first_once_far_then_near(void **state)
{
	(void)state;
	static const struct weir_hooks h = {.on_event = ahead_event, .on_scan = ahead_scan,
		.on_ahead = ahead_hint};
	char input[8192] = "";
	for (int i = 1; i <= AHEAD_EVENTS; i++) {
		size_t n = strlen(input);
		snprintf(input + n, sizeof input - n, "{\"ts\":%d}\n%s", i,
		    i % 7 == 0 ? "not json\n{\"_watermark\":1}\n" : "");
	}
	struct weir_opts o = {0};
	o.on_error = WEIR_ON_ERROR_SKIP;
	struct run r;
	run_with(&o, &h, input, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.count.out, AHEAD_EVENTS);
	assert_int_equal(ahead_errors, 0);
	for (int i = 1; i <= AHEAD_EVENTS; i++) {
		assert_int_equal(near_seen[i], 1);
		assert_int_equal(far_seen[i], 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(watermark_is_max_event_time_minus_lag),
		cmocka_unit_test(received_watermark_is_forwarded_with_our_own),
		cmocka_unit_test(punctuation_at_multiples),
		cmocka_unit_test(rejected_lines_are_counted_and_named),
		cmocka_unit_test(on_error_fail_stops_at_the_line),
		cmocka_unit_test(a_chosen_time_field_and_format),
		cmocka_unit_test(ahead_sees_every_event_first_once_far_then_near),
	};
	return cmocka_run_group_tests_name("driver", tests, NULL, NULL);
}
