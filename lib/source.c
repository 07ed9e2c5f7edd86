/*
 * source.c: the driver's loop for a source (source.h).
 */
#include "source.h"

#include <poll.h>

/* A line the source read: what it is, and an event goes on to the program. */
static int
take(struct weir_ctx *ctx, const struct weir_pulled *p)
{
	ctx->at.lines++;
	int64_t t = 0;
	const char *why = p->why;
	int kind = why ? WEIR_LINE_BAD : weir_classify(ctx, p->line, p->len, ctx->spans, &t, &why);
	switch (kind) {
	case WEIR_LINE_BAD:
		ctx->count.in++;
		return weir_reject_line(ctx, p->line, p->len, p->input_name, p->lineno, why);
	case WEIR_LINE_WATERMARK:
		ctx->count.watermarks_in++;	/* the source writes its own */
		return 0;
	case WEIR_LINE_BARRIER:
		ctx->count.barriers++;
		return 0;
	case WEIR_LINE_BLANK:
		ctx->count.blank++;
		return 0;
	}
	ctx->count.in++;
	if (p->has_time) {
		if (p->no_time)
			return weir_reject_line(ctx, p->line, p->len, p->input_name, p->lineno,
			    p->no_time);
		t = p->t;
		if (ctx->repr == WEIR_REPR_NONE)
			ctx->repr = WEIR_REPR_RFC3339;
	}
	struct weir_event ev = {p->line, p->len, t, ctx->spans, p->input, p->lineno};
	int rc;
	if (!weir_where(ctx, &ev, p->input_name, &rc))
		return rc;
	return ctx->hooks->on_event ? ctx->hooks->on_event(ctx, &ev) : 0;
}

/* The state for the barrier is written first, then the line: a crash
 * between leaves a checkpoint that nobody downstream completed, and the
 * ledger goes back past it.  A barrier goes out also when nothing came: a
 * join downstream waits for the same barrier from its other input. */
int
weir_source_barrier(struct weir_ctx *ctx, bool stop)
{
	struct weir_source *s = ctx->source;
	struct weir_ckpt id = weir_cadence_next(&s->cadence);
	if (s->at_barrier)
		s->at_barrier(ctx, id);
	return weir_checkpoint_barrier(ctx, id, stop);
}

int
weir_source_wait(struct weir_ctx *ctx, int ms)
{
	struct pollfd out = weir_out_pollfd(ctx->out);
	if (poll(&out, 1, ms) > 0 && weir_out_gone(out.revents))
		return WEIR_IO_EPIPE;
	return 0;
}

int
weir_source_run(struct weir_ctx *ctx, char **inputs, int ninputs)
{
	struct weir_source *s = ctx->source;
	bool checkpoints = s->cadence.every > 0;
	if (checkpoints && weir_cadence_start(ctx, &s->cadence) < 0)
		return -1;
	int rc = s->open(ctx, inputs, ninputs);
	if (rc == 0 && checkpoints && ctx->state->have)
		rc = weir_emit_barrier(ctx, ctx->target, false);	/* downstream skips to here */
	bool wait = false;
	struct weir_pulled p;	/* filled by each pull that gives a line */
	while (rc == 0 && !weir_interrupted() && ctx->error[0] == '\0') {
		if ((rc = weir_housekeeping(ctx)) != 0)
			break;
		if (weir_cadence_due(ctx, &s->cadence) && (rc = weir_source_barrier(ctx, false)) != 0)
			break;
		int got = s->pull(ctx, &p, wait);
		if (got == WEIR_PULL_LINE) {
			rc = take(ctx, &p);
			wait = false;
		} else if (got == WEIR_PULL_END) {
			break;
		} else if (got != WEIR_PULL_NONE) {
			rc = got;
		} else if (!wait) {
			/* nothing now: what is written goes out before a wait */
			rc = weir_out_flush(ctx->out);
			wait = true;
		} else {
			rc = weir_source_wait(ctx, 0);	/* nobody reads on: the end */
			wait = false;	/* what the wait brought is flushed before the next */
		}
	}
	if (rc == 0 && ctx->error[0] != '\0')
		rc = -1;
	if (rc == 0 && checkpoints && weir_interrupted())
		rc = s->stop ? s->stop(ctx) : weir_source_barrier(ctx, true);
	return rc;
}
