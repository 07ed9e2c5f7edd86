/*
 * weir-watermark: orders events within a bounded delay, separates late
 * events, emits watermarks.
 *
 * Held events wait in a weir_pendings (lib/pending.h: a wheel of buckets
 * by time, a heap for what falls outside it), taken out in (event time,
 * arrival number) order, so ties leave in arrival order.  Their bytes wait
 * in a weir_store (chunks, recycled as events leave): memory follows the
 * events inside the lag, never the size of the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/driver.h"
#include "../lib/pending.h"
#include "../lib/program.h"
#include "../lib/store.h"

#define DEFAULT_MAX_BUFFER 1000000

struct reorder {
	struct weir_pendings pending;	/* on (t, seq) */
	uint64_t seq;
	size_t max_buffer;
	struct weir_store *store;
	bool forcing;
};

static void
update_gauges(struct weir_ctx *ctx, struct reorder *r)
{
	ctx->count.held = weir_pendings_count(&r->pending);
	ctx->count.state_bytes = weir_store_bytes(r->store) + weir_pendings_bytes(&r->pending);
}

/* Lets out every held event at or before `upto`, in order. */
static int
release(struct weir_ctx *ctx, struct reorder *r, int64_t upto)
{
	uint32_t slot;
	bool wheel;
	const struct weir_pending *p;
	while ((p = weir_pendings_peek(&r->pending, &slot, &wheel)) != NULL && p->t <= upto) {
		struct weir_pending e = weir_pendings_take(&r->pending, slot, wheel);
		int rc = weir_emit(ctx, e.ev.line, e.ev.len);
		weir_store_release(r->store, &e.ev);
		if (r->forcing)
			ctx->count.forced++;
		if (rc != 0)
			return rc;
	}
	update_gauges(ctx, r);
	return 0;
}

static int
hold(struct reorder *r, int64_t t, uint64_t seq, const char *line, size_t len)
{
	return weir_pendings_hold(&r->pending, r->store, line, len, t, seq, NULL, false, 0);
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct reorder *r = ctx->prog_state;
	if (ev->t < ctx->watermark)
		return weir_late(ctx, ev);
	/* At the watermark exactly: on time, and before everything held (which
	 * lies past the watermark), so it goes out now, not at the next advance. */
	if (ev->t == ctx->watermark)
		return weir_emit(ctx, ev->line, ev->len);
	if (hold(r, ev->t, r->seq++, ev->line, ev->len) < 0)
		return weir_fail(ctx, "out of memory holding %zu events",
		    weir_pendings_count(&r->pending));
	update_gauges(ctx, r);
	if (weir_pendings_count(&r->pending) < r->max_buffer)
		return 0;
	/* Full: force the watermark to the oldest held event. */
	uint32_t slot;
	bool wheel;
	r->forcing = true;
	int rc = weir_force_watermark(ctx, weir_pendings_peek(&r->pending, &slot, &wheel)->t);
	r->forcing = false;
	return rc;
}

static int
on_watermark(struct weir_ctx *ctx, int64_t watermark)
{
	return release(ctx, ctx->prog_state, watermark);
}

static int
on_end(struct weir_ctx *ctx)
{
	return release(ctx, ctx->prog_state, INT64_MAX);
}

static int
save_one(void *arg, const struct weir_pending *p)
{
	struct weir_buf *b = arg;
	return weir_put_i64(b, p->t) | weir_put_u64(b, p->seq) | weir_put_bytes(b, p->ev.line,
	    p->ev.len);
}

/* --state: the arrival counter and the held events, in no order (pushed
 * back, they leave in (time, arrival) order again). */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct reorder *r = ctx->prog_state;
	int rc = weir_put_u64(b, r->seq) | weir_put_u64(b, weir_pendings_count(&r->pending)) |
	    weir_pendings_each(&r->pending, save_one, b);
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct reorder *r = ctx->prog_state;
	r->seq = weir_get_u64(g);
	uint64_t n = weir_get_count(g, 24);
	for (uint64_t i = 0; i < n && !g->bad; i++) {
		int64_t t = weir_get_i64(g);
		uint64_t seq = weir_get_u64(g);
		size_t len;
		const char *line = weir_get_bytes(g, &len);
		if (g->bad)
			break;
		if (hold(r, t, seq, line, len) < 0)
			return weir_fail(ctx, "out of memory restoring %zu events",
			    weir_pendings_count(&r->pending));
	}
	update_gauges(ctx, r);
	return g->bad ? -1 : 0;
}

static void
reorder_free(struct reorder *r)
{
	weir_pendings_free(&r->pending);
	weir_store_free(r->store);
}

enum { OPT_MAX_BUFFER = 1 };

static const struct weir_optdef own_options[] = {
	{"max-buffer", 0, 1, OPT_MAX_BUFFER, "N"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct reorder *r = arg;
	if (id == OPT_MAX_BUFFER)
		return weir_option_count("max-buffer", value, 1, 1000000000ULL, &r->max_buffer, err,
		    errlen);
	return 0;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct reorder *r = ctx->prog_state;
	(void)argc;
	(void)argv;
	r->store = weir_store_new();
	if (r->store == NULL || weir_pendings_init(&r->pending,
	    ctx->opts->lag > 0 ? 2 * ctx->opts->lag : 1000000000) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;	/* every operand is an input file */
}

static void
teardown(void *state)
{
	reorder_free(state);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {on_event, on_watermark, NULL, on_end,
		.on_save = on_save, .on_restore = on_restore};
	static struct reorder r = {.max_buffer = DEFAULT_MAX_BUFFER};
	static const struct weir_program program = {
		.name = "weir-watermark",
		.synopsis = "weir-watermark [--lag DUR] [--punctuate DUR] [--max-buffer N] "
		    "[--late POLICY] [--idle DUR] [--state FILE] [options] [FILE ...]",
		.summary = "Orders events by event time within --lag, routes late ones, "
		    "emits watermarks.",
		.own_help = "      --max-buffer N       hold at most N events (default 1000000)\n"
		    "      --punctuate DUR      a watermark line each time it passes a multiple of DUR\n"
		    "      --state FILE         checkpoint the held events at each barrier; resume\n",
		.features = WEIR_FEATURE_PUNCTUATE | WEIR_FEATURE_STATE,
		.options = own_options,
		.option = own_option,
		.state = &r,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
