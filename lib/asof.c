/*
 * asof.c: the ASOF join (asof.h).
 */
#include "asof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "state.h"

enum { LEFT, RIGHT };

/* A key: its latest right event, and the pending events that refer to it. */
struct weir_asof_key {
	uint64_t hash;		/* weir_keys_hash: weir_keys_bytes_hash of bytes */
	int64_t t;
	struct weir_stored ev;	/* ev.line NULL: no right event yet */
	uint64_t row_seq;	/* the right event's arrival */
	uint32_t shape;		/* the right event's scan found: weir_scan_shape, */
	int8_t clean;		/* weir_line_is_clean (-1: not known, restored) */
	uint32_t refs;		/* pending events and aging entries */
	size_t len;
	char bytes[];
};

/* Appends a row that ages after every one in the ring; -1 when memory
 * ran out. */
static int
aging_push(struct weir_asof_agings *q, struct weir_asof_aging g)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 1024;
		struct weir_asof_aging *items = malloc(cap * sizeof *items);
		if (items == NULL)
			return -1;
		for (size_t i = 0; i < q->n; i++)
			items[i] = q->items[(q->head + i) & (q->cap - 1)];
		free(q->items);
		q->items = items;
		q->head = 0;
		q->cap = cap;
	}
	q->items[(q->head + q->n++) & (q->cap - 1)] = g;
	return 0;
}

static int
aging_cmp(const void *x, const void *y)
{
	const struct weir_asof_aging *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Keys come and go with the events (each order its own key, say): those
 * of up to KEY_SMALL bytes come from a slab. */
#define KEY_SMALL 72
#define KEYS_A_BLOCK 512

static void
key_free(struct weir_asof *a, struct weir_asof_key *k)
{
	if (k->len > KEY_SMALL) {
		a->long_key_bytes -= sizeof *k + k->len;
		free(k);
	} else
		weir_slab_put(&a->small_keys, k);
}

static void
key_drop(struct weir_asof *a, struct weir_asof_key *k)
{
	if (k->ev.line)
		weir_store_release(a->store, &k->ev);
	weir_map_remove(&a->keys, k->hash, k);
	key_free(a, k);
}

/* The key of these bytes, made when it is new; NULL when memory ran out. */
static struct weir_asof_key *
key_of_bytes(struct weir_asof *a, uint64_t h, const char *bytes, size_t len)
{
	size_t at = weir_map_start(&a->keys, h);
	struct weir_asof_key *k;
	while ((k = weir_map_next(&a->keys, h, &at)) != NULL)
		if (k->len == len && memcmp(k->bytes, bytes, len) == 0)
			return k;
	k = len > KEY_SMALL ? malloc(sizeof *k + len) : weir_slab_get(&a->small_keys);
	if (k == NULL)
		return NULL;
	if (len > KEY_SMALL)
		a->long_key_bytes += sizeof *k + len;
	memset(k, 0, sizeof *k);
	k->hash = h;
	k->len = len;
	memcpy(k->bytes, bytes, len);
	if (weir_map_insert(&a->keys, h, k) < 0) {
		key_free(a, k);
		return NULL;
	}
	return k;
}

/* An event's key, hashed to h by the reader thread: found without writing
 * its bytes out, unless it is new. */
static struct weir_asof_key *
key_of_event(struct weir_asof *a, int s, uint64_t h, const struct weir_span *spans)
{
	size_t at = weir_map_start(&a->keys, h);
	struct weir_asof_key *k;
	while ((k = weir_map_next(&a->keys, h, &at)) != NULL)
		if (weir_keys_equal(a->keys_of[s], spans, k->bytes, k->len))
			return k;
	long n = weir_keys_bytes(a->keys_of[s], spans, &a->scratch, &a->scratch_cap);
	return n < 0 ? NULL : key_of_bytes(a, h, a->scratch, (size_t)n);
}

void
weir_asof_free(struct weir_asof *a)
{
	for (size_t i = 0; a->keys.slots && i <= a->keys.mask; i++) {
		struct weir_asof_key *k = a->keys.slots[i].item;
		if (k && k->ev.line)
			weir_store_release(a->store, &k->ev);
		if (k)
			key_free(a, k);
	}
	weir_map_free(&a->keys);
	weir_slab_free(&a->small_keys);
	for (int s = 0; s < 2; s++)
		weir_pendings_free(&a->pending[s]);
	free(a->aging.items);
	weir_store_free(a->store);
	weir_buf_free(&a->row);
	free(a->scratch);
}

/* A pending event lets go of its key: one no event refers to and with no
 * right event is forgotten (a left key the right side never had). */
static void
key_give(struct weir_asof *a, struct weir_asof_key *k)
{
	if (k && --k->refs == 0 && k->ev.line == NULL)
		key_drop(a, k);
}

/* The reader thread's part: the key's hash, if it has every field. */
static void
on_scan(const void *state, unsigned input, const char *line, size_t len,
    const struct weir_span *spans, uint64_t digest[2])
{
	const struct weir_asof *a = state;
	(void)line;
	(void)len;
	weir_keys_digest(a->keys_of[input == RIGHT], spans, digest);
}

static void
update_gauges(struct weir_ctx *ctx, struct weir_asof *a)
{
	ctx->count.held = weir_pendings_count(&a->pending[LEFT]) +
	    weir_pendings_count(&a->pending[RIGHT]);
	ctx->count.state_bytes = weir_store_bytes(a->store) + weir_pendings_bytes(&a->pending[LEFT]) +
	    weir_pendings_bytes(&a->pending[RIGHT]) + a->aging.cap * sizeof *a->aging.items +
	    weir_map_bytes(&a->keys) + a->small_keys.bytes + a->long_key_bytes;
}

/* An event that is not late: it waits with its key for the watermark.  A
 * right one without its key fields matches nothing; so does a left one,
 * which is dropped or, with keep_unmatched, waits to go out alone. */
static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct weir_asof *a = ctx->prog_state;
	int s = ev->input == RIGHT;
	struct weir_asof_key *k = NULL;
	if (ev->digest[1] & WEIR_KEY_COMPLETE) {
		if ((k = key_of_event(a, s, ev->digest[0], ev->fields)) == NULL)
			return weir_fail(ctx, "out of memory");
		k->refs++;
	} else if (s == RIGHT || !a->keep_unmatched) {
		ctx->count.dropped++;
		return 0;
	}
	if (weir_pendings_hold(&a->pending[s], a->store, ev->line, ev->len, ev->t, a->seq[s]++, k,
	    ev->clean, ev->shape) < 0)
		return weir_fail(ctx, "out of memory holding events");
	ctx->count.held++;
	return 0;
}

/* A right event becomes its key's row; a left one is joined with it. */
static int
process(struct weir_ctx *ctx, struct weir_asof *a, int s, struct weir_pending *p)
{
	struct weir_asof_key *k = p->key;
	int rc = 0;
	ctx->count.out++;
	if (s == RIGHT) {
		if (k->ev.line)
			weir_store_release(a->store, &k->ev);
		k->t = p->t;
		k->ev = p->ev;
		k->row_seq = p->seq;
		k->clean = p->clean;
		k->shape = p->shape;
		if (a->within != INT64_MAX) {
			if (aging_push(&a->aging, (struct weir_asof_aging){p->t, p->seq, k}) < 0)
				return weir_fail(ctx, "out of memory");
			k->refs++;
		}
		key_give(a, k);
		return 0;
	}
	if (k && k->ev.line && weir_time_add_sat(k->t, a->within) >= p->t) {
		a->matched++;
		rc = weir_merge_emit(ctx, a->merge, &a->row, a->nest, p->ev.line, p->ev.len, p->clean,
		    p->shape, k->ev.line, k->ev.len, k->clean, k->shape);
	} else if (a->keep_unmatched) {
		a->unmatched++;
		rc = weir_merge_emit(ctx, a->merge, &a->row, a->nest, p->ev.line, p->ev.len, -1, 0,
		    NULL, 0, -1, 0);
	} else {
		a->unmatched++;
		ctx->count.out--;
		ctx->count.dropped++;
	}
	weir_store_release(a->store, &p->ev);
	key_give(a, k);
	return rc;
}

/* Rows no event at or past w can match any more (older than within) go. */
static void
age(struct weir_asof *a, int64_t w)
{
	struct weir_asof_agings *q = &a->aging;
	while (q->n > 0 && weir_time_add_sat(q->items[q->head].t, a->within) < w) {
		struct weir_asof_aging g = q->items[q->head];
		q->head = (q->head + 1) & (q->cap - 1);
		q->n--;
		struct weir_asof_key *k = g.key;
		if (k->ev.line && k->row_seq == g.seq) {
			weir_store_release(a->store, &k->ev);
			k->ev.line = NULL;
		}
		key_give(a, k);
	}
}

/* Everything below the watermark w (all with final), in (t, right before
 * left, arrival) order. */
static int
advance(struct weir_ctx *ctx, struct weir_asof *a, int64_t w, bool final)
{
	int rc = 0;
	while (rc == 0) {
		uint32_t slot = 0;
		bool wheel = false;
		int es = weir_pendings_earliest(&a->pending[LEFT], &a->pending[RIGHT], RIGHT, w, final,
		    &slot, &wheel);
		if (es < 0)
			break;
		struct weir_pending p = weir_pendings_take(&a->pending[es], slot, wheel);
		rc = process(ctx, a, es, &p);
	}
	if (!final)
		age(a, w);
	update_gauges(ctx, a);
	return rc;
}

static int
on_watermark(struct weir_ctx *ctx, int64_t w)
{
	return advance(ctx, ctx->prog_state, w, false);
}

static int
on_end(struct weir_ctx *ctx)
{
	return advance(ctx, ctx->prog_state, INT64_MAX, true);
}

static void
on_stats(struct weir_ctx *ctx, FILE *f)
{
	struct weir_asof *a = ctx->prog_state;
	const struct weir_inputs *ins = weir_inputs_of(ctx);
	fprintf(f, ",\"keys\":%zu,\"matched\":%llu,\"unmatched\":%llu,\"left_pauses\":%llu,"
	    "\"right_pauses\":%llu", a->keys.n, (unsigned long long)a->matched,
	    (unsigned long long)a->unmatched, (unsigned long long)(ins ? ins->in[LEFT].pauses : 0),
	    (unsigned long long)(ins ? ins->in[RIGHT].pauses : 0));
}

/* --- checkpoints ------------------------------------------------------------------ */

static void
key_bytes(const void *key, const char **bytes, size_t *len)
{
	*bytes = ((const struct weir_asof_key *)key)->bytes;
	*len = ((const struct weir_asof_key *)key)->len;
}

/* A pending event's key, restored. */
static void *
key_of(void *arg, const char *bytes, size_t len)
{
	struct weir_asof_key *k = key_of_bytes(arg, weir_keys_bytes_hash(bytes, len), bytes, len);
	if (k)
		k->refs++;
	return k;
}

/*
 * Each input's part (lib/inputs.h), then every key with its row (bytes,
 * time, arrival, line; a key only pending events refer to has none), then
 * each side's pending events, their key by its bytes.
 */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct weir_asof *a = ctx->prog_state;
	struct weir_inputs *ins = weir_inputs_of(ctx);
	int rc = weir_put_u64(b, ins->watermark_line_due) | weir_put_u64(b, a->matched) |
	    weir_put_u64(b, a->unmatched) | weir_put_u64(b, a->keys.n);
	for (int s = 0; s < 2; s++)
		rc |= weir_in_save(&ins->in[s], b) | weir_put_u64(b, a->seq[s]);
	for (size_t i = 0; a->keys.slots && i <= a->keys.mask && rc == 0; i++) {
		const struct weir_asof_key *k = a->keys.slots[i].item;
		if (k == NULL)
			continue;
		rc |= weir_put_bytes(b, k->bytes, k->len) | weir_put_i64(b, k->t) |
		    weir_put_u64(b, k->row_seq) | weir_put_u64(b, k->ev.line != NULL) |
		    (k->ev.line ? weir_put_bytes(b, k->ev.line, k->ev.len) : 0);
	}
	for (int s = 0; s < 2 && rc == 0; s++)
		rc |= weir_pendings_save(&a->pending[s], b, key_bytes);
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct weir_asof *a = ctx->prog_state;
	struct weir_inputs *ins = weir_inputs_of(ctx);
	ins->watermark_line_due = weir_get_u64(g);
	a->matched = weir_get_u64(g);
	a->unmatched = weir_get_u64(g);
	uint64_t nkeys = weir_get_count(g, 24);
	for (int s = 0; s < 2; s++) {
		weir_in_restore(&ins->in[s], g);
		a->seq[s] = weir_get_u64(g);
	}
	bool oom = false;
	for (uint64_t i = 0; i < nkeys && !g->bad && !oom; i++) {
		size_t len, ln = 0;
		const char *bytes = weir_get_bytes(g, &len);
		int64_t t = weir_get_i64(g);
		uint64_t row_seq = weir_get_u64(g);
		const char *line = weir_get_u64(g) ? weir_get_bytes(g, &ln) : NULL;
		if (g->bad)
			break;
		struct weir_asof_key *k = key_of_bytes(a, weir_keys_bytes_hash(bytes, len), bytes, len);
		oom = k == NULL || (line && weir_store_put(a->store, line, ln, &k->ev) < 0);
		if (oom)
			break;
		k->t = t;
		k->row_seq = row_seq;
		k->clean = -1;
		k->shape = 0;
		if (line && a->within != INT64_MAX) {
			oom = aging_push(&a->aging, (struct weir_asof_aging){t, row_seq, k}) < 0;
			k->refs++;
		}
	}
	/* the rows came in the keys' order: into aging order (pushed last, from
	 * head 0, they lie in one run) */
	if (a->aging.n > 1)
		qsort(a->aging.items, a->aging.n, sizeof *a->aging.items, aging_cmp);
	for (int s = 0; s < 2 && !g->bad && !oom; s++)
		oom = weir_pendings_restore(&a->pending[s], g, a->store, key_of, a) < 0;
	if (oom)
		return weir_fail(ctx, "out of memory restoring state");
	update_gauges(ctx, a);
	return g->bad ? -1 : 0;
}

int
weir_asof_start(struct weir_ctx *ctx, struct weir_asof *a, int64_t span, char *err,
    size_t errlen)
{
	static const struct weir_hooks hooks = {
		.on_event = on_event,
		.on_watermark = on_watermark,
		.on_end = on_end,
		.on_stats = on_stats,
		.on_save = on_save,
		.on_restore = on_restore,
		.on_scan = on_scan,
	};
	ctx->hooks = &hooks;
	ctx->prog_state = a;
	weir_slab_init(&a->small_keys, sizeof(struct weir_asof_key) + KEY_SMALL, KEYS_A_BLOCK);
	int rc = (a->store = weir_store_new()) == NULL ? -1 : 0;
	for (int s = 0; s < 2 && rc == 0; s++)
		rc = weir_pendings_init(&a->pending[s], span);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}
