/*
 * weir-watermark: orders events within a bounded delay, separates late
 * events, emits watermarks.
 *
 * Held events sit in a min-heap ordered by (event time, arrival number), so
 * ties leave in arrival order.  Their bytes wait in a weir_store (chunks,
 * recycled as events leave): memory follows the events inside the lag,
 * never the size of the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/driver.h"
#include "../lib/heap.h"
#include "../lib/program.h"
#include "../lib/store.h"

#define DEFAULT_MAX_BUFFER 1000000

/* A heap entry is small (24 bytes) so that sifting touches little memory;
 * the bytes' whereabouts wait in a slot table. */
struct held {
	int64_t t;
	uint64_t seq;
	uint32_t slot;
	uint32_t spare;
};

union slot {
	struct weir_stored event;
	uint32_t next_free;	/* when free: the next free slot's index */
};

/* (t, seq) order, computed without branches: the heap compares often and
 * the outcome is unpredictable. */
static inline bool
before(const struct held *a, const struct held *b)
{
	return (a->t < b->t) | ((a->t == b->t) & (a->seq < b->seq));
}

WEIR_HEAP_DEFINE(held, struct held, before)

struct reorder {
	struct held_heap heap;	/* on (t, seq) */
	union slot *slots;
	size_t nslots, slots_cap;
	uint32_t free_slot;	/* head of the free list, UINT32_MAX if none */
	uint64_t seq;
	size_t max_buffer;
	struct weir_store *store;
	bool forcing;
};

static int
slot_take(struct reorder *r, uint32_t *index)
{
	if (r->free_slot != UINT32_MAX) {
		*index = r->free_slot;
		r->free_slot = r->slots[*index].next_free;
		return 0;
	}
	if (r->nslots == r->slots_cap) {
		size_t cap = r->slots_cap ? r->slots_cap * 2 : 1024;
		union slot *p = realloc(r->slots, cap * sizeof *p);
		if (p == NULL || cap > UINT32_MAX)
			return -1;
		r->slots = p;
		r->slots_cap = cap;
	}
	*index = (uint32_t)r->nslots++;
	return 0;
}

static void
slot_give(struct reorder *r, uint32_t index)
{
	r->slots[index].next_free = r->free_slot;
	r->free_slot = index;
}

static void
update_gauges(struct weir_ctx *ctx, struct reorder *r)
{
	ctx->count.held = r->heap.n;
	ctx->count.state_bytes = weir_store_bytes(r->store) + r->heap.cap * sizeof *r->heap.items +
	    r->slots_cap * sizeof *r->slots;
}

/* Lets out every held event at or before `upto`, in order. */
static int
release(struct weir_ctx *ctx, struct reorder *r, int64_t upto)
{
	while (r->heap.n > 0 && r->heap.items[0].t <= upto) {
		struct held h = held_pop(&r->heap);
		struct weir_stored ev = r->slots[h.slot].event;
		slot_give(r, h.slot);
		int rc = weir_emit(ctx, ev.line, ev.len);
		weir_store_release(r->store, &ev);
		if (r->forcing)
			ctx->count.forced++;
		if (rc != 0)
			return rc;
	}
	update_gauges(ctx, r);
	return 0;
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
	struct held h = {ev->t, r->seq++, 0, 0};
	struct weir_stored copy;
	if (weir_store_put(r->store, ev->line, ev->len, &copy) < 0 ||
	    slot_take(r, &h.slot) < 0 || held_push(&r->heap, h) < 0)
		return weir_fail(ctx, "out of memory holding %zu events", r->heap.n);
	r->slots[h.slot].event = copy;
	update_gauges(ctx, r);
	if (r->heap.n < r->max_buffer)
		return 0;
	/* Full: force the watermark to the oldest held event. */
	r->forcing = true;
	int rc = weir_force_watermark(ctx, r->heap.items[0].t);
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

/* --state: the held events, in heap order (pushed back in that order, they
 * make the same heap), and the arrival counter. */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct reorder *r = ctx->prog_state;
	int rc = weir_put_u64(b, r->seq) | weir_put_u64(b, r->heap.n);
	for (size_t i = 0; i < r->heap.n && rc == 0; i++) {
		const struct held *h = &r->heap.items[i];
		const struct weir_stored *ev = &r->slots[h->slot].event;
		rc = weir_put_i64(b, h->t) | weir_put_u64(b, h->seq) |
		    weir_put_bytes(b, ev->line, ev->len);
	}
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct reorder *r = ctx->prog_state;
	r->seq = weir_get_u64(g);
	uint64_t n = weir_get_count(g, 24);
	for (uint64_t i = 0; i < n && !g->bad; i++) {
		struct held h = {weir_get_i64(g), weir_get_u64(g), 0, 0};
		size_t len;
		const char *line = weir_get_bytes(g, &len);
		struct weir_stored copy;
		if (g->bad)
			break;
		if (weir_store_put(r->store, line, len, &copy) < 0 || slot_take(r, &h.slot) < 0 ||
		    held_push(&r->heap, h) < 0)
			return weir_fail(ctx, "out of memory restoring %zu events", r->heap.n);
		r->slots[h.slot].event = copy;
	}
	update_gauges(ctx, r);
	return g->bad ? -1 : 0;
}

static void
reorder_free(struct reorder *r)
{
	held_free(&r->heap);
	free(r->slots);
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
	if (r->store == NULL) {
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
	static struct reorder r = {.max_buffer = DEFAULT_MAX_BUFFER, .free_slot = UINT32_MAX};
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
