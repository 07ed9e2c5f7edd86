/* Unit tests for lib/source: the driver's loop over a program that reads
 * its inputs itself.  A scripted source hands out lines, "nothing now"
 * and the end, as weir-replay and weir-kafka-source do. */
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
#include "../../lib/source.h"
#include "capture.h"

#define SEC 1000000000LL
#define NONE_NOW NULL	/* a step that has no line: "nothing now" */

struct step {
	const char *line;	/* NONE_NOW: nothing now */
	unsigned input;
	bool has_time;
	int64_t t;
	const char *no_time;
};

struct script {
	struct weir_source source;
	const struct step *steps;
	int nsteps, at;
	int opens, ends, events;
	int64_t times[16];
	unsigned inputs[16];
	uint64_t linenos[16];
	int waits_unflushed;	/* pulls told to wait with output still pending */
	int waits_after_line;	/* pulls told to wait right after a line */
	bool last_was_line;
	bool untimed;		/* the lines need no time field (--kafka-time) */
};

static int
s_open(struct weir_ctx *ctx, char **inputs, int ninputs)
{
	struct script *s = ctx->prog_state;
	assert_int_equal(ninputs, 1);
	assert_string_equal(inputs[0], "-");
	s->opens++;
	return 0;
}

static int
s_pull(struct weir_ctx *ctx, struct weir_pulled *p, bool wait)
{
	struct script *s = ctx->prog_state;
	if (wait && weir_out_pending(ctx->out))
		s->waits_unflushed++;
	if (wait && s->last_was_line)
		s->waits_after_line++;
	if (s->at == s->nsteps)
		return WEIR_PULL_END;
	const struct step *st = &s->steps[s->at++];
	s->last_was_line = st->line != NONE_NOW;
	if (st->line == NONE_NOW && st->t != 0) {
		/* what a merge lets out as time goes by (replay's --idle) */
		char row[64];
		int n = snprintf(row, sizeof row, "{\"let_out\":%lld}", (long long)(st->t / SEC));
		int rc = weir_emit_row(ctx, row, (size_t)n);
		return rc ? rc : WEIR_PULL_NONE;
	}
	if (st->line == NONE_NOW)
		return WEIR_PULL_NONE;
	*p = (struct weir_pulled){st->line, strlen(st->line), st->input,
		st->input ? "b.log" : "a.log", (uint64_t)s->at, NULL, st->has_time, st->t,
		st->no_time};
	return WEIR_PULL_LINE;
}

static int
s_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct script *s = ctx->prog_state;
	if (s->events < 16) {
		s->times[s->events] = ev->t;
		s->inputs[s->events] = ev->input;
		s->linenos[s->events] = ev->lineno;
	}
	s->events++;
	return weir_emit(ctx, ev->line, ev->len);
}

static int
s_end(struct weir_ctx *ctx)
{
	((struct script *)ctx->prog_state)->ends++;
	return 0;
}

static const struct weir_hooks hooks = {.on_event = s_event, .on_end = s_end};

struct result {
	char out[4096], err[4096];
	int status;
	struct weir_counters count;
};

static void
run_script(struct weir_opts *o, struct script *s, struct result *r)
{
	char errbuf[256];
	s->source.open = s_open;
	s->source.pull = s_pull;
	struct weir_ctx *ctx = weir_ctx_new("test", o, &hooks, s, errbuf, sizeof errbuf);
	assert_non_null(ctx);
	if (o->where)
		assert_int_equal(weir_where_compile(ctx, errbuf, sizeof errbuf), 0);
	ctx->source = &s->source;
	ctx->untimed = s->untimed;
	ctx->interrupt_ends_input = true;
	r->status = run_captured(ctx, NULL, 0, r->out, sizeof r->out, r->err, sizeof r->err,
	    &r->count);
}

/* Each line is what it is: an event goes to on_event with its input and
 * line number, a bad line is rejected under its input's name, protocol
 * and blank lines are counted and not written (a source makes its own). */
static void
lines_are_classified_and_counted(void **state)
{
	(void)state;
	const struct step steps[] = {
		{"{\"ts\":1}", 0, false, 0, NULL},
		{"{\"ts\":2}", 1, false, 0, NULL},
		{"not json", 1, false, 0, NULL},
		{"{\"_watermark\":5}", 0, false, 0, NULL},
		{"{\"_checkpoint\":3}", 0, false, 0, NULL},
		{"  ", 0, false, 0, NULL},
		{"{\"ts\":3}", 0, false, 0, NULL},
	};
	struct script s = {.steps = steps, .nsteps = 7};
	struct weir_opts o = {0};
	struct result r;
	run_script(&o, &s, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(s.opens, 1);
	assert_int_equal(s.ends, 1);
	assert_int_equal(s.events, 3);
	assert_int_equal(s.times[1], 2 * SEC);
	assert_int_equal(s.inputs[1], 1);
	assert_int_equal(s.linenos[2], 7);
	assert_int_equal(r.count.in, 4);
	assert_int_equal(r.count.rejected, 1);
	assert_int_equal(r.count.out, 3);
	assert_int_equal(r.count.watermarks_in, 1);
	assert_int_equal(r.count.barriers, 1);
	assert_int_equal(r.count.blank, 1);
	assert_string_equal(r.out, "{\"ts\":1}\n{\"ts\":2}\n{\"ts\":3}\n");
	assert_non_null(strstr(r.err, "b.log:3: not a JSON object"));
}

/* "Nothing now": what was written is flushed before the source is told it
 * may wait, also what it wrote while it waited, and a source is never told
 * to wait right after a line. */
static void
nothing_now_flushes_then_waits(void **state)
{
	(void)state;
	const struct step steps[] = {
		{"{\"ts\":1}", 0, false, 0, NULL},
		{NONE_NOW, 0, false, 0, NULL},
		{NONE_NOW, 0, false, 5 * SEC, NULL},
		{NONE_NOW, 0, false, 0, NULL},
		{NONE_NOW, 0, false, 0, NULL},
		{"{\"ts\":2}", 0, false, 0, NULL},
		{NONE_NOW, 0, false, 0, NULL},
		{"{\"ts\":3}", 0, false, 0, NULL},
	};
	struct script s = {.steps = steps, .nsteps = 8};
	struct weir_opts o = {0};
	struct result r;
	run_script(&o, &s, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(s.events, 3);
	assert_int_equal(s.waits_unflushed, 0);
	assert_int_equal(s.waits_after_line, 0);
	assert_string_equal(r.out, "{\"ts\":1}\n{\"let_out\":5}\n{\"ts\":2}\n{\"ts\":3}\n");
}

/* A time the source knows (Kafka's timestamp) is the event's, whatever the
 * line holds; none is a rejected line; --where leaves events out, counted. */
static void
source_time_and_where(void **state)
{
	(void)state;
	const struct step steps[] = {
		{"{\"ts\":1,\"n\":1}", 0, true, 7 * SEC, NULL},
		{"{\"n\":2}", 0, true, 0, "no timestamp"},
		{"{\"n\":3}", 0, true, 9 * SEC, NULL},
		{"{\"n\":0}", 0, true, 10 * SEC, NULL},
	};
	struct script s = {.steps = steps, .nsteps = 4, .untimed = true};
	struct weir_opts o = {0};
	o.where = "n > 0";
	struct result r;
	run_script(&o, &s, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(s.events, 2);
	assert_int_equal(s.times[0], 7 * SEC);
	assert_int_equal(s.times[1], 9 * SEC);
	assert_int_equal(r.count.in, 4);
	assert_int_equal(r.count.rejected, 1);
	assert_int_equal(r.count.filtered, 1);
	assert_non_null(strstr(r.err, "a.log:2: no timestamp"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_are_classified_and_counted),
		cmocka_unit_test(nothing_now_flushes_then_waits),
		cmocka_unit_test(source_time_and_where),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
