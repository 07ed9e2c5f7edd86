/*
 * weir-watermark: orders events within a bounded delay, separates late
 * events, emits watermarks.
 *
 * Held events sit in a min-heap ordered by (event time, arrival number), so
 * ties leave in arrival order.  Their bytes are copied into chunks of 1 MiB;
 * a chunk counts the events still in it and is recycled when the last one
 * leaves.  Events leave in roughly arrival order (disorder is bounded by the
 * lag), so few chunks are alive at once: memory follows the events inside
 * the lag, never the size of the input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/driver.h"

#define CHUNK_SIZE ((size_t)1 << 20)
#define DEFAULT_MAX_BUFFER 1000000

struct chunk {
	size_t used, cap;
	size_t live;		/* held events whose bytes are here */
	char data[];
};

/* A heap entry is small (24 bytes) so that sifting touches little memory;
 * the bytes' whereabouts wait in a slot table. */
struct held {
	int64_t t;
	uint64_t seq;
	uint32_t slot;
	uint32_t spare;
};

struct slot {
	const char *line;
	size_t len;
	struct chunk *chunk;	/* or, when free, the next free slot's index */
};

struct reorder {
	struct held *heap;	/* a 4-ary min-heap on (t, seq) */
	size_t n, cap;
	struct slot *slots;
	size_t nslots, slots_cap;
	uint32_t free_slot;	/* head of the free list, UINT32_MAX if none */
	uint64_t seq;
	size_t max_buffer;
	struct chunk *current;	/* where new events are copied */
	struct chunk *spare;	/* one empty chunk kept for reuse */
	size_t chunk_bytes;
	bool forcing;
};

static void
chunk_release(struct reorder *r, struct chunk *c)
{
	if (c->cap == CHUNK_SIZE && r->spare == NULL) {
		r->spare = c;
		return;
	}
	r->chunk_bytes -= c->cap;
	free(c);
}

/* Copies an event's bytes; returns NULL when memory runs out. */
static struct chunk *
store(struct reorder *r, const char *line, size_t len, const char **copy)
{
	struct chunk *c = r->current;
	if (c == NULL || c->cap - c->used < len) {
		if (c != NULL) {
			r->current = NULL;
			if (c->live == 0)
				chunk_release(r, c);
		}
		if (len <= CHUNK_SIZE && r->spare != NULL) {
			c = r->spare;
			r->spare = NULL;
		} else {
			size_t cap = len > CHUNK_SIZE ? len : CHUNK_SIZE;
			c = malloc(sizeof *c + cap);
			if (c == NULL)
				return NULL;
			c->cap = cap;
			r->chunk_bytes += cap;
		}
		c->used = 0;
		c->live = 0;
		r->current = c;
	}
	memcpy(c->data + c->used, line, len);
	*copy = c->data + c->used;
	c->used += len;
	c->live++;
	return c;
}

/* (t, seq) order, computed without branches: the heap compares often and
 * the outcome is unpredictable. */
static inline bool
before(const struct held *a, const struct held *b)
{
	return (a->t < b->t) | ((a->t == b->t) & (a->seq < b->seq));
}

static int
slot_take(struct reorder *r, uint32_t *index)
{
	if (r->free_slot != UINT32_MAX) {
		*index = r->free_slot;
		r->free_slot = (uint32_t)(uintptr_t)r->slots[*index].chunk;
		return 0;
	}
	if (r->nslots == r->slots_cap) {
		size_t cap = r->slots_cap ? r->slots_cap * 2 : 1024;
		struct slot *p = realloc(r->slots, cap * sizeof *p);
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
	r->slots[index].chunk = (struct chunk *)(uintptr_t)r->free_slot;
	r->free_slot = index;
}

static int
heap_push(struct reorder *r, struct held h)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct held *p = realloc(r->heap, cap * sizeof *p);
		if (p == NULL)
			return -1;
		r->heap = p;
		r->cap = cap;
	}
	size_t i = r->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 4;
		if (!before(&h, &r->heap[parent]))
			break;
		r->heap[i] = r->heap[parent];
		i = parent;
	}
	r->heap[i] = h;
	return 0;
}

static struct held
heap_pop(struct reorder *r)
{
	struct held top = r->heap[0];
	struct held last = r->heap[--r->n];
	size_t i = 0;
	for (;;) {
		size_t kid = 4 * i + 1;
		if (kid >= r->n)
			break;
		size_t best = kid;
		if (kid + 4 <= r->n) {
			/* a full family: a tournament of selects */
			size_t b1 = before(&r->heap[kid + 1], &r->heap[kid]) ? kid + 1 : kid;
			size_t b2 = before(&r->heap[kid + 3], &r->heap[kid + 2]) ? kid + 3 : kid + 2;
			best = before(&r->heap[b2], &r->heap[b1]) ? b2 : b1;
		} else {
			for (size_t k = kid + 1; k < r->n; k++)
				if (before(&r->heap[k], &r->heap[best]))
					best = k;
		}
		if (!before(&r->heap[best], &last))
			break;
		r->heap[i] = r->heap[best];
		i = best;
	}
	if (r->n > 0)
		r->heap[i] = last;
	return top;
}

static void
update_gauges(struct weir_ctx *ctx, struct reorder *r)
{
	ctx->count.held = r->n;
	ctx->count.state_bytes = r->chunk_bytes + r->cap * sizeof *r->heap +
	    r->slots_cap * sizeof *r->slots;
}

/* Lets out every held event at or before `upto`, in order. */
static int
release(struct weir_ctx *ctx, struct reorder *r, int64_t upto)
{
	while (r->n > 0 && r->heap[0].t <= upto) {
		struct held h = heap_pop(r);
		struct slot s = r->slots[h.slot];
		slot_give(r, h.slot);
		int rc = weir_emit(ctx, s.line, s.len);
		if (--s.chunk->live == 0 && s.chunk != r->current)
			chunk_release(r, s.chunk);
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
	struct held h = {ev->t, r->seq++, 0, 0};
	struct slot s = {NULL, ev->len, NULL};
	s.chunk = store(r, ev->line, ev->len, &s.line);
	if (s.chunk == NULL || slot_take(r, &h.slot) < 0 || heap_push(r, h) < 0)
		return weir_fail(ctx, "out of memory holding %zu events", r->n);
	r->slots[h.slot] = s;
	update_gauges(ctx, r);
	if (r->n < r->max_buffer)
		return 0;
	/* Full: force the watermark to the oldest held event. */
	r->forcing = true;
	int rc = weir_force_watermark(ctx, r->heap[0].t);
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

static void
reorder_free(struct reorder *r)
{
	free(r->heap);
	free(r->slots);
	free(r->current);
	free(r->spare);
	/* chunks still referenced by held events are reachable only through
	 * the heap; at exit the heap is empty unless a write failed */
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
	char *end;
	if (id == OPT_MAX_BUFFER) {
		errno = 0;
		unsigned long long n = strtoull(value, &end, 10);
		if (errno || *end || end == value || n < 1 || n > 1000000000ULL || *value == '-') {
			snprintf(err, errlen, "bad count '%s' for --max-buffer "
			    "(expected a whole number from 1 to 1000000000)", value);
			return -1;
		}
		r->max_buffer = (size_t)n;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: weir-watermark [--lag DUR] [--punctuate DUR] [--max-buffer N] "
	    "[--late POLICY] [--idle DUR] [options] [FILE ...]\n");
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {on_event, on_watermark, NULL, on_end};
	struct weir_opts opts = {0};
	struct reorder r = {.max_buffer = DEFAULT_MAX_BUFFER, .free_slot = UINT32_MAX};
	char err[512];

	int first = weir_options_parse(&opts, argc, argv, WEIR_FEATURE_PUNCTUATE,
	    own_options, own_option, &r);
	if (first == WEIR_OPTS_HELP) {
		usage(stdout);
		printf("Orders events by event time within --lag, routes late ones, emits "
		    "watermarks.\n\n"
		    "      --max-buffer N       hold at most N events (default 1000000)\n"
		    "      --punctuate DUR      emit a watermark line each time it passes a "
		    "multiple of DUR\n%s", weir_options_help);
		return fclose(stdout) == 0 ? 0 : 1;
	}
	if (first == WEIR_OPTS_VERSION) {
		printf("weir-watermark %s\n", WEIR_VERSION);
		return fclose(stdout) == 0 ? 0 : 1;
	}
	if (first < 0) {
		fprintf(stderr, "weir-watermark: %s\n", opts.error);
		usage(stderr);
		return WEIR_EXIT_USAGE;
	}
	struct weir_ctx *ctx = weir_ctx_new("weir-watermark", &opts, &hooks, &r, err,
	    sizeof err);
	if (ctx == NULL) {
		fprintf(stderr, "weir-watermark: %s\n", err);
		weir_options_free(&opts);
		return WEIR_EXIT_FAILURE;
	}
	int status = weir_run(ctx, argv + first, argc - first);
	if (status != WEIR_EXIT_OK && ctx->error[0])
		fprintf(stderr, "weir-watermark: %s\n", ctx->error);
	weir_ctx_free(ctx);
	reorder_free(&r);
	weir_options_free(&opts);
	return status;
}
