/*
 * weir-join: joins two streams within an event-time interval, or a stream
 * with a lookup table.
 *
 * Interval join (LEFT RIGHT --on FIELDS --within DUR).  Both inputs are
 * read as they arrive, each with its own watermark, and the program's is
 * the lower of the two (lib/inputs.h).  Events wait in a pending queue per
 * input until the program's watermark passes them, and are then processed
 * in one event-time order over both inputs, (time, left before right,
 * arrival), so the rows come out the same however the two inputs happened
 * to interleave: a file piped at once and the same file fed slowly give the
 * same bytes.
 *
 *   left  ──► pending (t, seq) ──┐                 ┌─► state L ─┐
 *                                ├─► merged order ─┤            ├─ chained per key
 *   right ──► pending (t, seq) ──┘   below W       └─► state R ─┘
 *
 * Processing an event matches it against the other side's state for its
 * key, then appends it to its own side's state.  Events reach state in
 * time order, so each side's state is a FIFO (a ring of entries), and so
 * is each key's chain inside it: the oldest entry expires first, when the
 * watermark passes its time + within.  Everything still in the other
 * side's chain is within `within` of the event being processed, so a
 * match is a walk of that chain.  An expiry is ordered by its time
 * t + within among the events, so unmatched outer rows too come out in an
 * order that does not depend on how the inputs arrived.
 *
 * Backpressure (lib/inputs.h): an input whose event time runs ahead of the
 * other's watermark by more than the lag is not read until the other
 * catches up; its writer then blocks on the pipe.  Memory follows the
 * events inside the horizon, never the input.
 *
 * Table join (--table FILE): the table is read whole into a hash by key;
 * each stream event is enriched at once, in arrival order.  --reload looks
 * at the file (device, inode, size, mtime) four times a second between
 * events and swaps in a new table once it has read it whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/asof.h"
#include "../lib/driver.h"
#include "../lib/inputs.h"
#include "../lib/keys.h"
#include "../lib/map.h"
#include "../lib/merge.h"
#include "../lib/pending.h"
#include "../lib/program.h"
#include "../lib/slab.h"
#include "../lib/store.h"
#include "../lib/table.h"

#define NONE UINT64_MAX
#define RELOAD_EVERY (WEIR_NS_PER_SEC / 4)

enum { LEFT, RIGHT };
enum join_type { JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL };

/* A key of the interval join: its chains on both sides.  Counted
 * references from pending events and state entries; freed at zero. */
struct key {
	uint64_t hash;
	uint64_t head[2], tail[2];	/* seq of the chain's ends, NONE if empty */
	uint32_t refs;
	size_t len;
	char bytes[];
};

/* An event in state, waiting for partners until t + within. */
struct entry {
	int64_t t;
	struct key *key;
	uint64_t next;		/* seq of the next entry of the same key and side */
	struct weir_stored ev;
	bool matched;
	bool clean;
	uint32_t shape;
};

/* How far ahead of the oldest entry its line is fetched into cache. */
#define PREFETCH_AHEAD 8

/* Entry seq lives at ring[seq & mask]; head..tail are alive. */
struct state {
	struct entry *ring;
	uint64_t mask, head, tail;
};

/* One input's events: waiting for the watermark, then in state.  How the
 * input itself is read is lib/inputs.h's. */
struct side {
	uint64_t seq;		/* events pushed, for the order of equal times */
	struct weir_pendings pending;
	struct state st;
};

struct join {
	/* options */
	const char *on;
	int64_t within;
	enum join_type type;
	bool nest;
	const char *table_path;
	bool reload;
	bool asof, within_given;
	struct weir_asof as;		/* --asof: the driver's state, in place of this */

	struct weir_keys keys, rkeys;	/* --on LEFT=RIGHT: each side's names */
	char *lon, *ron;
	const char *time[2];		/* --left-time, --right-time */
	char *keybuf;
	size_t keycap;
	struct weir_merge merge;	/* the members a right line adds to a left */
	struct weir_buf row;		/* the output row being built */
	struct weir_buf members;
	struct weir_buf rowbuf;		/* a table row's line, made again */

	/* interval join */
	struct side side[2];
	struct weir_map key_table;	/* of struct key */
	struct weir_slab small_keys;	/* where keys of up to KEY_SMALL bytes live */
	size_t key_bytes;
	struct weir_store *store;
	size_t max_buffer;	/* --max-buffer: lines an input may be read ahead */

	/* table join: the names the table's rows bring are top-level paths of
	 * the stream's plan too, so the reader thread tells whether an event
	 * has a member of that name (a clash, renamed right_NAME), and a row
	 * whose names all miss the event is appended as it was prepared,
	 * without reading either line again.  A table read again by --reload
	 * with a name not seen before (the plan is fixed once the stream is
	 * read) is not prepared, and goes the slow way, as a --nest join does. */
	struct weir_table table;
	struct stat tried;		/* the file last tried and refused by --reload */
	uint64_t reloads;
	struct weir_table_source tsrc;
};

static bool
outer(const struct join *j, int s)
{
	return j->type == JOIN_FULL || (s == LEFT ? j->type == JOIN_LEFT : j->type == JOIN_RIGHT);
}

/* --- output rows ----------------------------------------------------------------- */

/* Writes the row for a pair; a NULL side is missing (an outer row).
 * lclean, lshape, rclean and rshape: see weir_merge_members. */
static int
emit_pair(struct weir_ctx *ctx, struct join *j, const char *l, size_t ln, int lclean,
    uint32_t lshape, const char *r, size_t rn, int rclean, uint32_t rshape)
{
	return weir_merge_emit(ctx, &j->merge, &j->row, j->nest, l, ln, lclean, lshape, r, rn,
	    rclean, rshape);
}

/* --- keys -------------------------------------------------------------------------- */

/* The reader thread's part: the key's hash, if it has every field
 * (weir_keys_digest).  Whether the line is clean, for the interval join's
 * merge, the scan itself says (rec->clean). */
static void
on_key_scan(const void *state, unsigned input, const char *line, size_t len,
    const struct weir_span *spans, uint64_t digest[2])
{
	const struct join *j = state;
	(void)line;
	(void)len;
	weir_keys_digest(input == RIGHT ? &j->rkeys : &j->keys, spans, digest);
}

/* Keys come and go with every event (a payment's key goes when it and its
 * order leave state): those of up to KEY_SMALL bytes come from a slab. */
#define KEY_SMALL 72
#define KEYS_A_BLOCK 512

static struct key *
key_alloc(struct join *j, size_t len)
{
	return len > KEY_SMALL ? malloc(sizeof(struct key) + len) : weir_slab_get(&j->small_keys);
}

static void
key_free(struct join *j, struct key *k)
{
	if (k->len > KEY_SMALL)
		free(k);
	else
		weir_slab_put(&j->small_keys, k);
}

/* The key of hash h whose bytes are bytes[0..len), counted once more;
 * made when it is new.  NULL when memory ran out. */
static struct key *
key_take_hashed(struct join *j, uint64_t h, const char *bytes, size_t len)
{
	size_t at = weir_map_start(&j->key_table, h);
	struct key *k;
	while ((k = weir_map_next(&j->key_table, h, &at)) != NULL)
		if (k->len == len && memcmp(k->bytes, bytes, len) == 0)
			break;
	if (k == NULL) {
		if ((k = key_alloc(j, len)) == NULL)
			return NULL;
		k->hash = h;
		k->head[0] = k->head[1] = k->tail[0] = k->tail[1] = NONE;
		k->refs = 0;
		k->len = len;
		memcpy(k->bytes, bytes, len);
		if (weir_map_insert(&j->key_table, h, k) < 0) {
			key_free(j, k);
			return NULL;
		}
		j->key_bytes += sizeof *k + len;
	}
	k->refs++;
	return k;
}

static struct key *
key_take(struct join *j, const char *bytes, size_t len)
{
	return key_take_hashed(j, weir_keys_bytes_hash(bytes, len), bytes, len);
}

/* The event's key, hashed to h by the reader thread: found without
 * writing its bytes out, unless it is new. */
static struct key *
key_take_event(struct join *j, const struct weir_keys *by, uint64_t h,
    const struct weir_span *spans)
{
	size_t at = weir_map_start(&j->key_table, h);
	struct key *k;
	while ((k = weir_map_next(&j->key_table, h, &at)) != NULL)
		if (weir_keys_equal(by, spans, k->bytes, k->len)) {
			k->refs++;
			return k;
		}
	long n = weir_keys_bytes(by, spans, &j->keybuf, &j->keycap);
	return n < 0 ? NULL : key_take_hashed(j, h, j->keybuf, (size_t)n);
}

static void
key_give(struct join *j, struct key *k)
{
	if (k == NULL || --k->refs > 0)
		return;
	weir_map_remove(&j->key_table, k->hash, k);
	j->key_bytes -= sizeof *k + k->len;
	key_free(j, k);
}

/* --- the interval join's state ----------------------------------------------------- */

static struct entry *
entry_at(const struct state *st, uint64_t seq)
{
	return &st->ring[seq & st->mask];
}

static int
state_append(struct state *st, const struct entry *e, uint64_t *seq)
{
	if (st->tail - st->head == st->mask + 1 || st->ring == NULL) {
		uint64_t cap = st->ring ? (st->mask + 1) * 2 : 1024;
		struct entry *ring = malloc(cap * sizeof *ring);
		if (ring == NULL)
			return -1;
		for (uint64_t s = st->head; s != st->tail; s++)
			ring[s & (cap - 1)] = *entry_at(st, s);
		free(st->ring);
		st->ring = ring;
		st->mask = cap - 1;
	}
	*seq = st->tail++;
	*entry_at(st, *seq) = *e;
	return 0;
}

static void
update_gauges(struct weir_ctx *ctx, struct join *j)
{
	size_t held = 0, bytes = weir_store_bytes(j->store) + j->key_bytes +
	    weir_map_bytes(&j->key_table);
	for (int s = 0; s < 2; s++) {
		const struct side *sd = &j->side[s];
		held += weir_pendings_count(&sd->pending) + (size_t)(sd->st.tail - sd->st.head);
		bytes += weir_pendings_bytes(&sd->pending);
		if (sd->st.ring)
			bytes += (sd->st.mask + 1) * sizeof *sd->st.ring;
	}
	ctx->count.held = held;
	ctx->count.state_bytes = bytes;
}

/* Matches a pending event with the other side's chain, then keeps it. */
static int
process(struct weir_ctx *ctx, struct join *j, int s, struct weir_pending *p)
{
	int o = 1 - s;
	bool matched = false;
	struct key *k = p->key;
	if (k) {
		struct state *ost = &j->side[o].st;
		for (uint64_t q = k->head[o]; q != NONE; q = entry_at(ost, q)->next) {
			/* e came first and has not expired: 0 <= p->t - e->t <= within */
			struct entry *e = entry_at(ost, q);
			int rc = s == LEFT ?
			    emit_pair(ctx, j, p->ev.line, p->ev.len, p->clean, p->shape, e->ev.line,
			    e->ev.len, e->clean, e->shape) :
			    emit_pair(ctx, j, e->ev.line, e->ev.len, e->clean, e->shape, p->ev.line,
			    p->ev.len, p->clean, p->shape);
			if (rc != 0) {
				weir_store_release(j->store, &p->ev);
				key_give(j, k);
				return rc;
			}
			e->matched = matched = true;
		}
	}
	struct state *st = &j->side[s].st;
	struct entry e = {p->t, k, NONE, p->ev, matched, p->clean, p->shape};
	uint64_t seq;
	if (state_append(st, &e, &seq) < 0)
		return weir_fail(ctx, "out of memory joining");
	if (k) {
		if (k->tail[s] == NONE)
			k->head[s] = seq;
		else
			entry_at(st, k->tail[s])->next = seq;
		k->tail[s] = seq;
	}
	return 0;
}

/* The oldest entry of side s leaves state: its outer row if unmatched. */
static int
expire(struct weir_ctx *ctx, struct join *j, int s)
{
	struct state *st = &j->side[s].st;
	struct entry e = *entry_at(st, st->head++);
	/* what expires soon was written a horizon ago, out of cache: the
	 * entry two PREFETCH_AHEAD on, then (in cache by then) what the entry
	 * one PREFETCH_AHEAD on points to */
	if (st->tail - st->head > 2 * PREFETCH_AHEAD)
		__builtin_prefetch(entry_at(st, st->head + 2 * PREFETCH_AHEAD));
	if (st->tail - st->head > PREFETCH_AHEAD) {
		const struct entry *soon = entry_at(st, st->head + PREFETCH_AHEAD);
		__builtin_prefetch(soon->ev.line - sizeof(uint32_t), 1);
		__builtin_prefetch(soon->key, 1);
	}
	if (e.key) {
		e.key->head[s] = e.next;
		if (e.next == NONE)
			e.key->tail[s] = NONE;
	}
	int rc = 0;
	if (e.matched) {
		ctx->count.out++;
	} else if (outer(j, s)) {
		ctx->count.out++;
		rc = s == LEFT ? emit_pair(ctx, j, e.ev.line, e.ev.len, -1, 0, NULL, 0, -1, 0) :
		    emit_pair(ctx, j, NULL, 0, -1, 0, e.ev.line, e.ev.len, -1, 0);
	} else {
		ctx->count.dropped++;
	}
	weir_store_release(j->store, &e.ev);
	key_give(j, e.key);
	return rc;
}

/*
 * The next events to process, taken from the pending queues a few ahead of
 * their turn.  The order is the one the queues give (they do not change
 * while events are processed), so this changes nothing but what is in
 * cache: an event's partners were written to state up to a horizon ago,
 * and each would be a miss, one after the other, through its key, the
 * partner's entry and the partner's line.  Those are fetched in stages as
 * the event moves up the window: its key as it comes in, the first
 * partner's entry halfway, the partner's line two from the front.
 */
#define LOOKAHEAD 16	/* a power of two */

struct lookahead {
	struct weir_pending p[LOOKAHEAD];
	int side[LOOKAHEAD];
	unsigned head, n;
	unsigned staged;	/* head << 8 | n when the partners were last fetched */
};

/* The entry of the first partner of the window's event at `at`; without
 * one, some entry of the ring (whether it has one is as good as a coin
 * toss to a branch predictor, and fetching what is not needed is cheaper
 * than a wrong guess).  NULL when there is no key or no ring. */
static const struct entry *
first_partner(const struct join *j, const struct lookahead *la, unsigned at)
{
	const struct weir_pending *p = &la->p[at % LOOKAHEAD];
	int o = 1 - la->side[at % LOOKAHEAD];
	const struct state *st = &j->side[o].st;
	if (p->key == NULL || st->ring == NULL)
		return NULL;
	return entry_at(st, ((const struct key *)p->key)->head[o]);
}

/* Pops what is below w (all with final) into the window, in order, and
 * moves the fetching on. */
static void
lookahead_fill(struct join *j, struct lookahead *la, int64_t w, bool final)
{
	while (la->n < LOOKAHEAD) {
		uint32_t slot = 0;
		bool wheel = false;
		int es = weir_pendings_earliest(&j->side[LEFT].pending, &j->side[RIGHT].pending, LEFT, w,
		    final, &slot, &wheel);
		if (es < 0)
			break;
		unsigned at = (la->head + la->n++) % LOOKAHEAD;
		la->p[at] = weir_pendings_take(&j->side[es].pending, slot, wheel);
		la->side[at] = es;
		__builtin_prefetch(la->p[at].key);
		__builtin_prefetch(la->p[at].ev.line);
		__builtin_prefetch(la->p[at].ev.line + 64);
	}
	/* the window moves once an event; expiries between leave it as it
	 * was, and what it fetched then is still on its way */
	if ((la->head << 8 | la->n) == la->staged)
		return;
	la->staged = la->head << 8 | la->n;
	const struct entry *e;
	if (la->n > LOOKAHEAD / 2 && (e = first_partner(j, la, la->head + LOOKAHEAD / 2)))
		__builtin_prefetch(e);
	if (la->n > 2 && (e = first_partner(j, la, la->head + 2))) {
		__builtin_prefetch(e->ev.line);
		__builtin_prefetch(e->ev.line + 64);
	}
}

/*
 * Processes everything below the watermark w, in one order: pending
 * events by (t, side, arrival), and between them the expiries, each at
 * its t + within (after the events of that same time, which may still
 * match it).  With `final`, everything goes.
 */
static int
advance_to(struct weir_ctx *ctx, struct join *j, int64_t w, bool final)
{
	struct lookahead la = {.n = 0};
	int rc = 0;
	while (rc == 0) {
		lookahead_fill(j, &la, w, final);
		const struct weir_pending *next = la.n > 0 ? &la.p[la.head] : NULL;
		int xs = -1;
		int64_t xt = 0;
		for (int s = 0; s < 2; s++) {
			const struct state *st = &j->side[s].st;
			if (st->head == st->tail)
				continue;
			int64_t t = weir_time_add_sat(entry_at(st, st->head)->t, j->within);
			if (xs < 0 || t < xt) {
				xs = s;
				xt = t;
			}
		}
		bool due = xs >= 0 && (final || xt < w);
		if (due && (next == NULL || xt < next->t)) {
			rc = expire(ctx, j, xs);
		} else if (next) {
			struct weir_pending p = *next;
			int s = la.side[la.head];
			la.head = (la.head + 1) % LOOKAHEAD;
			la.n--;
			rc = process(ctx, j, s, &p);
		} else {
			break;
		}
	}
	for (; la.n > 0; la.n--, la.head = (la.head + 1) % LOOKAHEAD) {
		/* a failure: what the window holds goes, as process lets go */
		weir_store_release(j->store, &la.p[la.head].ev);
		key_give(j, la.p[la.head].key);
	}
	update_gauges(ctx, j);
	return rc;
}

static int
save_key(struct weir_buf *b, const struct key *k)
{
	return weir_put_u64(b, k != NULL) | (k ? weir_put_bytes(b, k->bytes, k->len) : 0);
}

static struct key *
restore_key(struct join *j, struct weir_get *g, bool *oom)
{
	uint64_t has = weir_get_u64(g);
	if (!has || g->bad)
		return NULL;
	size_t len;
	const char *bytes = weir_get_bytes(g, &len);
	struct key *k = bytes ? key_take(j, bytes, len) : NULL;
	*oom |= bytes && k == NULL;
	return k;
}

static void
key_bytes(const void *key, const char **bytes, size_t *len)
{
	*bytes = ((const struct key *)key)->bytes;
	*len = ((const struct key *)key)->len;
}

static void *
key_of(void *j, const char *bytes, size_t len)
{
	return key_take(j, bytes, len);
}

/* Each side: where its time stands, the events waiting for the watermark
 * (in any order: each keeps its (t, seq)) and those in state (ring order,
 * which rebuilds the key chains), each with its key. */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct join *j = ctx->prog_state;
	struct weir_inputs *ins = weir_inputs_of(ctx);
	int rc = weir_put_u64(b, ins->watermark_line_due);
	for (int s = 0; s < 2; s++) {
		const struct side *sd = &j->side[s];
		rc |= weir_in_save(&ins->in[s], b) | weir_put_u64(b, sd->seq) |
		    weir_pendings_save(&sd->pending, b, key_bytes);
		rc |= weir_put_u64(b, sd->st.tail - sd->st.head);
		for (uint64_t q = sd->st.head; q != sd->st.tail; q++) {
			const struct entry *e = entry_at(&sd->st, q);
			rc |= weir_put_i64(b, e->t) | weir_put_u64(b, e->matched) | save_key(b, e->key) |
			    weir_put_bytes(b, e->ev.line, e->ev.len);
		}
	}
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct join *j = ctx->prog_state;
	bool oom = false;
	struct weir_inputs *ins = weir_inputs_of(ctx);
	ins->watermark_line_due = weir_get_u64(g);
	for (int s = 0; s < 2 && !g->bad && !oom; s++) {
		struct side *sd = &j->side[s];
		weir_in_restore(&ins->in[s], g);
		sd->seq = weir_get_u64(g);
		oom |= weir_pendings_restore(&sd->pending, g, j->store, key_of, j) < 0;
		uint64_t n = weir_get_count(g, 32);
		for (uint64_t i = 0; i < n && !g->bad && !oom; i++) {
			struct entry e = {weir_get_i64(g), NULL, NONE, {0}, false, false};
			e.matched = weir_get_u64(g);
			e.key = restore_key(j, g, &oom);
			size_t len;
			const char *line = weir_get_bytes(g, &len);
			uint64_t seq;
			if (g->bad || oom)
				break;
			e.clean = weir_line_is_clean(line, len);
			if (weir_store_put(j->store, line, len, &e.ev) < 0 ||
			    state_append(&sd->st, &e, &seq) < 0) {
				oom = true;
				break;
			}
			if (e.key) {
				if (e.key->tail[s] == NONE)
					e.key->head[s] = seq;
				else
					entry_at(&sd->st, e.key->tail[s])->next = seq;
				e.key->tail[s] = seq;
			}
		}
	}
	if (oom)
		return weir_fail(ctx, "out of memory restoring state");
	return g->bad ? -1 : 0;
}

/* --- the hooks: events in, the watermark on ---------------------------------------- */

/* An event of input s, not late: it waits with its key for the watermark. */
static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct join *j = ctx->prog_state;
	struct side *sd = &j->side[ev->input];
	struct key *k = NULL;
	if ((ev->digest[1] & WEIR_KEY_COMPLETE) &&
	    (k = key_take_event(j, ev->input == RIGHT ? &j->rkeys : &j->keys, ev->digest[0],
	    ev->fields)) == NULL)
		return weir_fail(ctx, "out of memory");
	if (k == NULL && !outer(j, (int)ev->input)) {
		ctx->count.dropped++;	/* no key: no partner, and no outer row */
		return 0;
	}
	if (weir_pendings_hold(&sd->pending, j->store, ev->line, ev->len, ev->t, sd->seq++, k,
	    ev->clean, ev->shape) < 0)
		return weir_fail(ctx, "out of memory holding events");
	ctx->count.held++;	/* (advance_to counts it all again) */
	return 0;
}

static int
on_watermark(struct weir_ctx *ctx, int64_t w)
{
	return advance_to(ctx, ctx->prog_state, w, false);
}

/* Both inputs ended: everything goes. */
static int
on_end(struct weir_ctx *ctx)
{
	return advance_to(ctx, ctx->prog_state, INT64_MAX, true);
}

/*
 * The keys of the lines ahead (hashed by the reader): the map slot of the
 * far one, then, in cache by then, the key the near one's slot holds.  A
 * payment's key was made by its order seconds before: both were misses, a
 * fifth of the join's thread.
 */
static void
on_key_ahead(void *state, const uint64_t *near, const uint64_t *far)
{
	const struct weir_map *m = &((const struct join *)state)->key_table;
	if (m->slots == NULL)
		return;
	if (far && (far[1] & WEIR_KEY_COMPLETE))
		__builtin_prefetch(&m->slots[far[0] & m->mask]);
	if (near && (near[1] & WEIR_KEY_COMPLETE)) {
		const struct weir_map_slot *slot = &m->slots[near[0] & m->mask];
		if (slot->hash == near[0] && slot->item)
			__builtin_prefetch(slot->item);
	}
}

/* --- the table join ------------------------------------------------------------------- */

/* --reload: a changed table is read whole, then swapped in; one that
 * cannot be read leaves the old one in place (with a warning, once). */
static int
on_tick(struct weir_ctx *ctx)
{
	struct join *j = ctx->prog_state;
	struct stat st;
	if (stat(j->table_path, &st) < 0 || weir_table_same_file(&st, &j->table.id) ||
	    weir_table_same_file(&st, &j->tried))
		return 0;
	struct weir_table fresh;
	char err[512];
	if (weir_table_load(&j->tsrc, &fresh, NULL, err, sizeof err) < 0) {
		fprintf(ctx->diag, "%s: %s; keeping the table read before\n", ctx->prog, err);
		j->tried = st;
		return 0;
	}
	weir_table_free(&j->table);
	j->table = fresh;
	j->reloads++;
	ctx->count.state_bytes = j->table.bytes;
	return 0;
}

/* The stream's next events' hashes: their table records fetched early
 * (weir_table_prefetch). */
static void
on_table_ahead(void *state, const uint64_t *near, const uint64_t *far)
{
	const struct join *j = state;
	weir_table_prefetch(&j->table, near && (near[1] & WEIR_KEY_COMPLETE) ? near : NULL,
	    far && (far[1] & WEIR_KEY_COMPLETE) ? far : NULL);
}

/* A malformed CSV row of the table: rejected as a stream's line is. */
static int
reject_table_row(void *arg, const char *line, size_t len, const char *path, uint64_t lineno,
    const char *why)
{
	return weir_reject_table_line(arg, line, len, path, lineno, why);
}

static int
on_table_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct join *j = ctx->prog_state;
	const char *k = (ev->digest[1] & WEIR_KEY_COMPLETE) ?
	    weir_table_lookup(&j->table, ev->digest[0], &j->keys, ev->fields) : NULL;
	if (k == NULL) {
		if (j->type == JOIN_INNER) {
			ctx->count.dropped++;
			return 0;
		}
		ctx->count.out++;
		return emit_pair(ctx, j, ev->line, ev->len, -1, 0, NULL, 0, -1, 0);
	}
	ctx->count.out++;
	const char *at;
	uint32_t rows = weir_table_rows(k, &at);
	for (uint32_t i = 0; i < rows; i++) {
		struct weir_table_row row = weir_table_row_next(&at);
		bool clash = !j->table.prepared;
		for (uint32_t m = 0; m < row.nn && !clash; m++)
			clash = ev->fields[j->tsrc.names[weir_table_row_name(&row, m)].slot].p != NULL;
		uint32_t rl = row.rl;
		const char *line = clash ? weir_table_row_line(&row, &j->rowbuf, &rl) : row.line;
		if (line == NULL && clash)
			return weir_fail(ctx, "out of memory");
		int rc = clash ? emit_pair(ctx, j, ev->line, ev->len, -1, 0, line, rl, -1, 0) :
		    weir_emit_insert(ctx, ev->line, ev->len, row.members, row.ml);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- options ------------------------------------------------------------------------- */

static void
on_stats(struct weir_ctx *ctx, FILE *f)
{
	struct join *j = ctx->prog_state;
	if (j->table_path) {
		fprintf(f, ",\"table_rows\":%zu,\"table_keys\":%zu,\"table_rows_without_key\":%zu,"
		    "\"table_rows_rejected\":%zu,\"reloads\":%llu", j->table.rows, j->table.nkeys,
		    j->table.without_key, j->table.rejected, (unsigned long long)j->reloads);
		return;
	}
	const struct weir_inputs *ins = weir_inputs_of(ctx);
	fprintf(f, ",\"keys\":%zu,\"left_pauses\":%llu,\"right_pauses\":%llu", j->key_table.n,
	    (unsigned long long)(ins ? ins->in[LEFT].pauses : 0),
	    (unsigned long long)(ins ? ins->in[RIGHT].pauses : 0));
}

enum { OPT_MAX_BUFFER = 1, OPT_NEST, OPT_ON, OPT_RELOAD, OPT_TABLE, OPT_TYPE, OPT_WITHIN,
	OPT_LEFT_TIME, OPT_RIGHT_TIME, OPT_ASOF };

static const struct weir_optdef own_options[] = {
	{"asof", 0, 0, OPT_ASOF, NULL},
	{"left-time", 0, 1, OPT_LEFT_TIME, "FIELD"},
	{"max-buffer", 0, 1, OPT_MAX_BUFFER, "N"},
	{"nest", 0, 0, OPT_NEST, NULL},
	{"on", 0, 1, OPT_ON, "FIELDS"},
	{"reload", 0, 0, OPT_RELOAD, NULL},
	{"right-time", 0, 1, OPT_RIGHT_TIME, "FIELD"},
	{"table", 0, 1, OPT_TABLE, "FILE"},
	{"type", 0, 1, OPT_TYPE, "inner|left|right|full"},
	{"within", 0, 1, OPT_WITHIN, "DUR"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct join *j = arg;
	static const char *const types[] = {"inner", "left", "right", "full"};
	switch (id) {
	case OPT_MAX_BUFFER:
		return weir_option_count("max-buffer", value, 1, 1000000000ULL, &j->max_buffer, err,
		    errlen);
	case OPT_NEST:
		j->nest = true;
		return 0;
	case OPT_ON:
		j->on = value;
		return 0;
	case OPT_RELOAD:
		j->reload = true;
		return 0;
	case OPT_TABLE:
		j->table_path = value;
		return 0;
	case OPT_TYPE:
		for (int i = 0; i < 4; i++)
			if (strcmp(value, types[i]) == 0) {
				j->type = (enum join_type)i;
				return 0;
			}
		snprintf(err, errlen, "--type takes inner, left, right or full, not '%s'", value);
		return -1;
	case OPT_WITHIN:
		j->within_given = true;
		return weir_option_duration("within", value, &j->within, err, errlen);
	case OPT_ASOF:
		j->asof = true;
		return 0;
	case OPT_LEFT_TIME:
	case OPT_RIGHT_TIME:
		j->time[id == OPT_RIGHT_TIME] = value;
		return 0;
	default:
		return 0;
	}
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	static const struct weir_hooks table_hooks = {
		.on_event = on_table_event, .on_tick = on_tick, .on_stats = on_stats,
		.on_scan = on_key_scan, .on_ahead = on_table_ahead,
	};
	struct join *j = ctx->prog_state;
	if (j->on == NULL) {
		snprintf(err, errlen, "--on FIELDS is required (the key both sides share)");
		return -1;
	}
	if (weir_keys_split_pairs(j->on, &j->lon, &j->ron) < 0 ||
	    weir_keys_parse(&j->keys, ctx->plan, j->lon) < 0 ||
	    weir_keys_parse(&j->rkeys, ctx->plan, j->ron) < 0) {
		snprintf(err, errlen, "--on takes FIELDS, paths separated by commas, each a name "
		    "both sides share or LEFT=RIGHT, not '%s'", j->on);
		return -1;
	}
	weir_watch_keys(ctx, "--on", &j->keys);
	j->merge.keys = &j->rkeys;	/* the right side's key is the left's */
	if (j->table_path == NULL) {
		if (argc != 2) {
			snprintf(err, errlen, "needs two inputs, LEFT and RIGHT (or --table FILE)");
			return -1;
		}
		if (strcmp(argv[0], "-") == 0 && strcmp(argv[1], "-") == 0) {
			snprintf(err, errlen, "LEFT and RIGHT cannot both be standard input");
			return -1;
		}
		if (j->reload) {
			snprintf(err, errlen, "--reload goes with --table FILE");
			return -1;
		}
		ctx->ninputs = 2;
		if (strcmp(j->lon, j->ron) != 0)
			weir_watch_keys(ctx, "--on", &j->rkeys);
		for (int s = 0; s < 2; s++)
			if (j->time[s] && (ctx->input_time_slot[s] = weir_plan_add(ctx->plan,
			    j->time[s])) < 0)
				return snprintf(err, errlen, "bad path '%s'", j->time[s]), -1;
		ctx->watermark_trail = j->asof ? 0 : j->within;
		ctx->max_ahead = j->max_buffer;
		/* what is pending spans about the lag and a batch's disorder */
		int64_t lag = ctx->opts->lag, span = lag > INT64_MAX / 4 ? INT64_MAX :
		    lag > WEIR_NS_PER_SEC / 4 ? 4 * lag : WEIR_NS_PER_SEC;
		if (j->asof) {
			if (j->type == JOIN_RIGHT || j->type == JOIN_FULL)
				return snprintf(err, errlen, "--asof keeps the left events: --type "
				    "inner or left"), -1;
			j->as = (struct weir_asof){{&j->keys, &j->rkeys}, j->within_given ? j->within :
			    INT64_MAX, j->type == JOIN_LEFT, j->nest, &j->merge};
			return weir_asof_start(ctx, &j->as, span, err, errlen);
		}
		weir_slab_init(&j->small_keys, sizeof(struct key) + KEY_SMALL, KEYS_A_BLOCK);
		if ((j->store = weir_store_new()) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (int s = 0; s < 2; s++)
			if (weir_pendings_init(&j->side[s].pending, span) < 0) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		return 0;
	}
	if (j->asof)
		return snprintf(err, errlen, "--asof joins two inputs: a table with a time column "
		    "is the right one (in time order within --lag)"), -1;
	if (j->type == JOIN_RIGHT || j->type == JOIN_FULL || j->time[0] || j->time[1]) {
		snprintf(err, errlen, "--table takes --type inner or left, and no --left-time or "
		    "--right-time (the stream is enriched whatever its time)");
		return -1;
	}
	/* The stream needs no event time to be enriched; watermark lines
	 * pass as they come. */
	ctx->untimed = true;
	ctx->hooks = &table_hooks;
	if (j->reload)
		ctx->tick_every = RELOAD_EVERY;
	if (weir_table_source_init(&j->tsrc, j->table_path, j->ron, !j->nest) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	j->tsrc.reject = reject_table_row;
	j->tsrc.reject_arg = ctx;
	if (weir_table_load(&j->tsrc, &j->table, ctx->plan, err, errlen) < 0)
		return WEIR_SETUP_FAILED;
	ctx->count.state_bytes = j->table.bytes;
	return 0;
}

static void
teardown(void *state)
{
	struct join *j = state;
	for (int s = 0; s < 2; s++) {
		struct side *sd = &j->side[s];
		weir_pendings_free(&sd->pending);
		free(sd->st.ring);
	}
	for (size_t i = 0; j->key_table.slots && i <= j->key_table.mask; i++) {
		const struct key *k = j->key_table.slots[i].item;
		if (k && k->len > KEY_SMALL)
			free(j->key_table.slots[i].item);
	}
	weir_slab_free(&j->small_keys);
	weir_map_free(&j->key_table);
	weir_store_free(j->store);
	weir_asof_free(&j->as);
	weir_table_free(&j->table);
	weir_table_source_free(&j->tsrc);
	weir_keys_free(&j->keys);
	weir_keys_free(&j->rkeys);
	free(j->lon);
	free(j->ron);
	weir_buf_free(&j->row);
	weir_merge_free(&j->merge);
	weir_buf_free(&j->rowbuf);
	free(j->keybuf);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {.on_event = on_event,
		.on_watermark = on_watermark, .on_end = on_end, .on_stats = on_stats,
		.on_save = on_save, .on_restore = on_restore, .on_scan = on_key_scan,
		.on_ahead = on_key_ahead};
	static struct join j = {.max_buffer = 1000000};
	static const struct weir_program program = {
		.name = "weir-join",
		.synopsis = "weir-join LEFT RIGHT --on FIELDS [--within DUR] "
		    "[--type inner|left|right|full] [--nest] [--max-buffer N] [--state FILE] "
		    "[options]\n"
		    "       weir-join --asof LEFT RIGHT --on FIELDS [--within DUR] [--type inner|left] "
		    "[--nest] [options]\n"
		    "       weir-join --table FILE --on FIELDS [--type inner|left] [--reload] "
		    "[--nest] [options] [FILE ...]",
		.summary = "Joins two streams on a key within an event-time interval, or a "
		    "stream with a lookup table.",
		.own_help =
		    "      --on FIELDS          the key: names both sides share, or LEFT=RIGHT\n"
		    "      --within DUR         pairs whose event times lie at most DUR apart (default 0)\n"
		    "      --asof               each left event with its key's latest right event at or\n"
		    "                           before it (within --within, if given)\n"
		    "      --left-time FIELD, --right-time FIELD  a side's own event-time field\n"
		    "      --max-buffer N       lines one input may be read ahead of a silent other\n"
		    "                           (default 1000000)\n"
		    "      --type TYPE          inner (default), left, right or full\n"
		    "      --nest               write {\"left\":...,\"right\":...} instead of merging\n"
		    "      --table FILE         enrich the stream from a table (NDJSON, or CSV if *.csv)\n"
		    "      --reload             read the table again when the file changes\n"
		    "      --state FILE         checkpoint both sides' state at aligned barriers; resume\n",
		.features = WEIR_FEATURE_STATE,
		.options = own_options,
		.option = own_option,
		.state = &j,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
