/*
 * weir-window: assigns events to tumbling, sliding or session windows.
 *
 * Tumbling and sliding windows without --collect annotate each event at
 * once (one copy per window for sliding) and hold nothing.  Sessions, and
 * every window under --collect, are held until the watermark reaches their
 * end:
 *
 *   key (the --by values) ──► windows of that key ──► members (held events)
 *                                   │
 *   timers (lib/windows.h, shared with weir-agg): FIRE at end, DROP at
 *   end + --allowed-lateness, ordered by (due, start, first event's arrival).
 *
 * Members keep their bytes in a weir_store; an event in several sliding
 * windows is stored once and referenced by each.  State is bounded by the
 * open windows and their events, never by the events read.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/driver.h"
#include "../lib/heap.h"
#include "../lib/keys.h"
#include "../lib/hash.h"
#include "../lib/program.h"
#include "../lib/store.h"
#include "../lib/windows.h"

enum kind { TUMBLING, SLIDING, SESSION };


/* An event in a window: 40 bytes, its bytes in the store (one copy however
 * many windows hold it; the store counts the references). */
struct member {
	int64_t t;
	uint64_t seq;		/* arrival order, for ties */
	struct weir_stored ev;
};

struct key;

struct window {
	struct weir_wtimes t;	/* first: the timers point at it (windows.h) */
	struct key *key;
	struct member *members;
	size_t n, cap;
	struct window *next;	/* sessions: the key's other sessions */
	UT_hash_handle hh;	/* tumbling and sliding: by (key, start, end) */
	struct {
		struct key *key;
		int64_t start, end;
	} id;
};

struct key {
	struct weir_held_key held;	/* first: its bytes and members (lib/keys.h) */
	size_t nwindows;	/* open or kept windows: at 0 the key is forgotten */
	struct window *sessions;
	size_t index;		/* its place in a checkpoint being written */
};


struct windower {
	enum kind kind;
	int64_t size, slide, gap, offset, lateness;
	bool collect;
	const char *by_list;
	const char *tz;
	struct weir_zone *zone;	/* --tz: windows follow its local time */
	struct weir_keys by;

	struct weir_held_key *keys;	/* of struct key */
	struct window *windows;	/* tumbling/sliding with --collect */
	struct weir_timers_heap timers;
	struct weir_store *store;
	uint64_t seq;
	uint64_t held;		/* distinct events in state */
	size_t live_windows;
	char *scratch;		/* key bytes and output rows */
	size_t scratch_cap;
	/* annotation: the last window's bounds, already formatted (consecutive
	 * events mostly share it) */
	int64_t cached_start;
	bool cached;
	size_t cached_len;
	char cached_bounds[WEIR_WINDOW_BOUNDS_BUFSZ];
};

/* --- timers -------------------------------------------------------------- */

static int
schedule(struct windower *wr, struct window *w, enum weir_phase phase)
{
	return weir_wtimes_schedule(&wr->timers, &w->t, phase, wr->lateness);
}

/* --- keys ---------------------------------------------------------------- */

/* The key of an event (lib/keys.h), found or made. */
static struct key *
find_key(struct windower *wr, const struct weir_event *ev)
{
	return (struct key *)weir_held_key_of(&wr->keys, &wr->by, ev->fields, sizeof(struct key),
	    &wr->scratch, &wr->scratch_cap);
}

/* --- windows ------------------------------------------------------------- */

static struct window *
window_new(struct windower *wr, struct key *k, int64_t start, int64_t end)
{
	struct window *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->t.start = start;
	w->t.end = end;
	w->key = k;
	w->id.key = k;
	w->id.start = start;
	w->id.end = end;
	k->nwindows++;
	wr->live_windows++;
	return w;
}

/* Adds an event to a window; the caller has given it a reference. */
static int
add_member(struct window *w, const struct weir_stored *ev, int64_t t, uint64_t seq)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		struct member *m = realloc(w->members, cap * sizeof *m);
		if (m == NULL)
			return -1;
		w->members = m;
		w->cap = cap;
	}
	if (w->n == 0 || seq < w->t.first)
		w->t.first = seq;
	w->members[w->n++] = (struct member){t, seq, *ev};
	return 0;
}

/* Lets go of a window's members (an event leaves when its last window
 * does); the window itself is freed once no timer points to it. */
static void
window_release(struct weir_ctx *ctx, struct windower *wr, struct window *w)
{
	for (size_t i = 0; i < w->n; i++) {
		if (weir_store_release(wr->store, &w->members[i].ev)) {
			wr->held--;	/* its last window let it go */
			ctx->count.out++;
		}
	}
	free(w->members);
	w->members = NULL;
	w->n = w->cap = 0;
	w->t.dead = true;
	wr->live_windows--;
	if (w->t.timers == 0)
		free(w);
}

static int
member_order(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static size_t
format_bounds(const struct weir_ctx *ctx, const struct windower *wr, const struct window *w,
    char *buf)
{
	return weir_window_bounds_json(wr->zone, weir_output_repr(ctx), w->t.start, w->t.end, buf);
}

/* Writes what a window holds: its events annotated, or one --collect row. */
static int
fire(struct weir_ctx *ctx, struct windower *wr, struct window *w)
{
	char bounds[WEIR_WINDOW_BOUNDS_BUFSZ];
	size_t blen = format_bounds(ctx, wr, w, bounds);
	qsort(w->members, w->n, sizeof *w->members, member_order);
	if (!wr->collect) {
		for (size_t i = 0; i < w->n; i++) {
			int rc = weir_emit_insert(ctx, w->members[i].ev.line, w->members[i].ev.len,
			    bounds, blen);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	size_t need = blen + w->key->held.members_len + 64;
	for (size_t i = 0; i < w->n; i++)
		need += w->members[i].ev.len + 1;
	if (weir_reserve(&wr->scratch, &wr->scratch_cap, need) < 0)
		return weir_fail(ctx, "out of memory writing a window of %zu events", w->n);
	char *p = wr->scratch;
	*p++ = '{';
	memcpy(p, bounds, blen);
	p += blen;
	if (w->key->held.members_len) {
		*p++ = ',';
		memcpy(p, w->key->held.members, w->key->held.members_len);
		p += w->key->held.members_len;
	}
	p += sprintf(p, ",\"count\":%zu,\"events\":[", w->n);
	for (size_t i = 0; i < w->n; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, w->members[i].ev.line, w->members[i].ev.len);
		p += w->members[i].ev.len;
	}
	*p++ = ']';
	*p++ = '}';
	return weir_emit_row(ctx, wr->scratch, (size_t)(p - wr->scratch));
}

/* Takes a window out of its key; a key with no window left is forgotten,
 * so the key table follows open windows, not every key ever seen. */
static void
unlink_window(struct windower *wr, struct window *w)
{
	struct key *k = w->key;
	if (wr->kind == SESSION) {
		struct window **pp = &k->sessions;
		while (*pp && *pp != w)
			pp = &(*pp)->next;
		if (*pp)
			*pp = w->next;
	} else {
		HASH_DEL(wr->windows, w);
	}
	w->key = NULL;	/* no use of it from here on: it may be freed next */
	if (--k->nwindows == 0) {
		weir_held_key_drop(&wr->keys, &k->held);
	}
}

/* After a window took an event: an open window waits for its timer; one
 * whose end has passed (a late event within --allowed-lateness) fires again
 * now and is kept until its new end + lateness. */
static int
settle(struct weir_ctx *ctx, struct windower *wr, struct window *w, bool is_new,
    bool moved)
{
	int rc = 0;
	if (w->t.end > ctx->watermark || ctx->watermark == WEIR_TIME_NONE) {
		if (is_new || w->t.kept) {
			if (w->t.kept)
				w->t.version++;	/* open again: its DROP timer is stale */
			w->t.kept = false;
			rc = schedule(wr, w, WEIR_FIRE);
		}
	} else {
		rc = fire(ctx, wr, w);
		if (rc == 0 && (is_new || moved || !w->t.kept)) {
			w->t.version++;
			w->t.kept = true;
			rc = schedule(wr, w, WEIR_DROP);
		}
	}
	return rc < 0 && ctx->error[0] == '\0' ? weir_fail(ctx, "out of memory") : rc;
}

/* --- events -------------------------------------------------------------- */

/* Stores an event's bytes with one reference; returns -1 if out of memory. */
static int
keep(struct weir_ctx *ctx, struct windower *wr, const struct weir_event *ev,
    struct weir_stored *out)
{
	if (weir_store_put(wr->store, ev->line, ev->len, out) < 0)
		return weir_fail(ctx, "out of memory holding %llu events",
		    (unsigned long long)wr->held);
	wr->held++;
	return 0;
}

/* The starts of the windows holding t (lib/windows.h); -1 when a bound
 * falls outside the time range. */
static int
window_starts(const struct windower *wr, int64_t t, int64_t *first, int64_t *last)
{
	int64_t step = wr->kind == SLIDING ? wr->slide : wr->size;
	return weir_window_starts_in(wr->zone, t, wr->size, step, wr->offset, first, last);
}

static int
annotate(struct weir_ctx *ctx, struct windower *wr, const struct weir_event *ev)
{
	int64_t step = wr->kind == SLIDING ? wr->slide : wr->size;
	int64_t first, last;
	if (window_starts(wr, ev->t, &first, &last) < 0)
		return weir_reject(ctx, ev, "window out of range");
	for (int64_t s = first;; s += step) {
		if (!wr->cached || wr->cached_start != s) {
			struct window w;
			weir_window_bounds(wr->zone, s, wr->size, &w.t.start, &w.t.end);
			wr->cached_len = format_bounds(ctx, wr, &w, wr->cached_bounds);
			wr->cached_start = s;
			wr->cached = true;
		}
		int rc = weir_emit_insert(ctx, ev->line, ev->len, wr->cached_bounds, wr->cached_len);
		if (rc != 0)
			return rc;
		if (s == last)
			break;
	}
	ctx->count.out++;
	return 0;
}

static int
collect_fixed(struct weir_ctx *ctx, struct windower *wr, const struct weir_event *ev)
{
	int64_t step = wr->kind == SLIDING ? wr->slide : wr->size;
	int64_t first, last;
	if (window_starts(wr, ev->t, &first, &last) < 0)
		return weir_reject(ctx, ev, "window out of range");
	struct key *k = find_key(wr, ev);
	if (k == NULL)
		return weir_fail(ctx, "out of memory");
	struct weir_stored copy;
	bool kept = false;
	uint64_t seq = wr->seq++;
	for (int64_t local = first;; local += step) {
		int64_t s, end;
		weir_window_bounds(wr->zone, local, wr->size, &s, &end);
		bool gone = ctx->watermark != WEIR_TIME_NONE &&
		    weir_time_add_sat(end, wr->lateness) <= ctx->watermark;
		if (!gone) {
			if (!kept) {
				if (keep(ctx, wr, ev, &copy) < 0)
					return -1;
				kept = true;
			} else {
				weir_store_ref(&copy);	/* one more window holds it */
			}
			struct window *w;
			struct { struct key *key; int64_t start, end; } id = {k, s, end};
			HASH_FIND(hh, wr->windows, &id, sizeof id, w);
			bool is_new = w == NULL;
			if (is_new) {
				if ((w = window_new(wr, k, s, end)) == NULL)
					return weir_fail(ctx, "out of memory");
				HASH_ADD(hh, wr->windows, id, sizeof w->id, w);
			}
			if (add_member(w, &copy, ev->t, seq) < 0)
				return weir_fail(ctx, "out of memory");
			int rc = settle(ctx, wr, w, is_new, false);
			if (rc != 0)
				return rc;
		}
		if (local == last)
			break;
	}
	if (!kept) {
		if (k->nwindows == 0) {	/* a key seen only in a late event */
			weir_held_key_drop(&wr->keys, &k->held);
		}
		return weir_late(ctx, ev);	/* every window it belongs to is gone */
	}
	return 0;
}

struct joining {
	struct weir_ctx *ctx;
	struct windower *wr;
};

/* A session the event joined goes into the earliest (weir_sessions_absorb):
 * its members move (their references with them), and it is forgotten. */
static int
absorb(void *arg, struct weir_wtimes *into, struct weir_wtimes *from)
{
	struct joining *jn = arg;
	struct window *w = (struct window *)into, *f = (struct window *)from;
	for (size_t i = 0; i < f->n; i++) {
		struct member *m = &f->members[i];
		if (add_member(w, &m->ev, m->t, m->seq) < 0)
			return weir_fail(jn->ctx, "out of memory");
	}
	f->n = 0;
	unlink_window(jn->wr, f);
	window_release(jn->ctx, jn->wr, f);
	return 0;
}

static int
session(struct weir_ctx *ctx, struct windower *wr, const struct weir_event *ev)
{
	int64_t end;
	if (__builtin_add_overflow(ev->t, wr->gap, &end))
		return weir_reject(ctx, ev, "window out of range");
	struct key *k = find_key(wr, ev);
	if (k == NULL)
		return weir_fail(ctx, "out of memory");
	/* [t, t + gap) joins every session of the key it overlaps; the
	 * earliest of them takes in the others */
	const size_t next = offsetof(struct window, next);
	struct window *into = (struct window *)weir_session_find(&k->sessions, next, NULL, ev->t,
	    end);
	if (into == NULL && ctx->watermark != WEIR_TIME_NONE &&
	    weir_time_add_sat(end, wr->lateness) <= ctx->watermark) {
		if (k->nwindows == 0) {	/* a key seen only in a late event */
			weir_held_key_drop(&wr->keys, &k->held);
		}
		return weir_late(ctx, ev);
	}
	bool is_new = into == NULL, moved = false;
	if (is_new) {
		if ((into = window_new(wr, k, ev->t, end)) == NULL)
			return weir_fail(ctx, "out of memory");
		into->next = k->sessions;
		k->sessions = into;
	} else {
		int64_t old_start = into->t.start;
		moved = ev->t < into->t.start || end > into->t.end ||
		    weir_session_find(&k->sessions, next, &into->t, ev->t, end) != NULL;
		struct joining jn = {ctx, wr};
		int rc = weir_sessions_absorb(&k->sessions, next, &into->t, ev->t, end, absorb, &jn);
		if (rc != 0)
			return rc;
		if (weir_wtimes_cover(&wr->timers, &into->t, ev->t, end, old_start, wr->lateness) < 0)
			return weir_fail(ctx, "out of memory");
	}
	struct weir_stored copy;
	if (keep(ctx, wr, ev, &copy) < 0)
		return -1;
	if (add_member(into, &copy, ev->t, wr->seq++) < 0)
		return weir_fail(ctx, "out of memory");
	return settle(ctx, wr, into, is_new, moved);
}

static void
update_gauges(struct weir_ctx *ctx, struct windower *wr)
{
	ctx->count.held = wr->held;
	ctx->count.state_bytes = weir_store_bytes(wr->store) + wr->timers.cap * sizeof *wr->timers.items +
	    wr->live_windows * sizeof(struct window) + HASH_COUNT(wr->keys) * sizeof(struct key);
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct windower *wr = ctx->prog_state;
	int rc;
	if (wr->kind == SESSION)
		rc = session(ctx, wr, ev);
	else if (wr->collect)
		rc = collect_fixed(ctx, wr, ev);
	else
		return annotate(ctx, wr, ev);
	update_gauges(ctx, wr);
	return rc;
}

/* What weir_windows_fire does with a window of this program. */
struct firing {
	struct weir_ctx *ctx;
	struct windower *wr;
};

static int
fire_due(void *arg, struct weir_wtimes *t)
{
	struct firing *f = arg;
	return fire(f->ctx, f->wr, (struct window *)t);
}

static void
release_due(void *arg, struct weir_wtimes *t)
{
	struct firing *f = arg;
	struct window *w = (struct window *)t;
	unlink_window(f->wr, w);
	window_release(f->ctx, f->wr, w);
}

static void
destroy_window(void *arg, struct weir_wtimes *t)
{
	(void)arg;
	free(t);	/* the window it opens */
}

/* Fires every window whose end the watermark reached, in (end, start,
 * first event's arrival) order, and drops those past their allowed
 * lateness. */
static int
on_watermark(struct weir_ctx *ctx, int64_t watermark)
{
	struct windower *wr = ctx->prog_state;
	struct firing f = {ctx, wr};
	bool oom;
	const struct weir_fire_ops ops = {fire_due, release_due, destroy_window, &f};
	int rc = weir_windows_fire(&wr->timers, watermark, wr->lateness, wr->lateness > 0, &ops,
	    &oom);
	if (oom)
		rc = weir_fail(ctx, "out of memory");
	update_gauges(ctx, wr);
	return rc;
}

/* End of input is a watermark at +infinity: every open window fires in
 * order, and every kept one is dropped. */
static int
on_end(struct weir_ctx *ctx)
{
	return on_watermark(ctx, INT64_MAX);
}

/* --- checkpoints (--state) ------------------------------------------------ */

static int
ptr_order(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	return x < y ? -1 : x > y;
}

static size_t
event_index(const char **events, size_t n, const char *line)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (events[mid] < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
save_window(struct weir_buf *b, const struct window *w, const char **events, size_t nev)
{
	int rc = weir_put_u64(b, w->key->index) | weir_put_i64(b, w->t.start) |
	    weir_put_i64(b, w->t.end) | weir_put_u64(b, w->t.kept) | weir_put_u64(b, w->n);
	for (size_t i = 0; i < w->n; i++)
		rc |= weir_put_i64(b, w->members[i].t) | weir_put_u64(b, w->members[i].seq) |
		    weir_put_u64(b, event_index(events, nev, w->members[i].ev.line));
	return rc;
}

/*
 * The held events once each (an event in several sliding windows is one
 * entry), the keys in the order they came, then every open or kept window
 * with its members as indices into the events.  Timers are rebuilt, one
 * per window.
 */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct windower *wr = ctx->prog_state;
	size_t n = 0, cap = 0;
	const char **events = NULL;
	struct weir_stored *stored = NULL;
	struct key *k;
	size_t nkeys = 0;
	int rc = 0;
	/* every member, then one of each */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (k = (struct key *)wr->keys; k; k = (struct key *)k->held.hh.next)
			for (struct window *w = k->sessions; w; w = w->next)
				for (size_t i = 0; i < w->n; i++, n++)
					if (pass)
						events[n] = w->members[i].ev.line;
		for (struct window *w = wr->windows; w; w = w->hh.next)
			for (size_t i = 0; i < w->n; i++, n++)
				if (pass)
					events[n] = w->members[i].ev.line;
		if (pass == 0) {
			cap = n;
			n = 0;
			events = malloc((cap ? cap : 1) * sizeof *events);
			stored = malloc((cap ? cap : 1) * sizeof *stored);
			if (events == NULL || stored == NULL)
				rc = -1;
		}
	}
	if (rc == 0) {
		qsort(events, n, sizeof *events, ptr_order);
		size_t u = 0;
		for (size_t i = 0; i < n; i++)
			if (u == 0 || events[u - 1] != events[i])
				events[u++] = events[i];
		n = u;
		/* the lengths: from the members again */
		for (k = (struct key *)wr->keys; k; k = (struct key *)k->held.hh.next)
			for (struct window *w = k->sessions; w; w = w->next)
				for (size_t i = 0; i < w->n; i++)
					stored[event_index(events, n, w->members[i].ev.line)] = w->members[i].ev;
		for (struct window *w = wr->windows; w; w = w->hh.next)
			for (size_t i = 0; i < w->n; i++)
				stored[event_index(events, n, w->members[i].ev.line)] = w->members[i].ev;
		/* the 0s: words of the format no longer read (a key's number) */
		rc |= weir_put_u64(b, wr->seq) | weir_put_u64(b, 0) | weir_put_u64(b, n);
		for (size_t i = 0; i < n; i++)
			rc |= weir_put_bytes(b, stored[i].line, stored[i].len);
		rc |= weir_put_u64(b, HASH_COUNT(wr->keys));
		for (k = (struct key *)wr->keys; k; k = (struct key *)k->held.hh.next) {
			k->index = nkeys++;
			rc |= weir_put_u64(b, 0) | weir_put_bytes(b, k->held.bytes, k->held.len) |
			    weir_put_bytes(b, k->held.members, k->held.members_len);
		}
		rc |= weir_put_u64(b, wr->live_windows);
		for (k = (struct key *)wr->keys; k; k = (struct key *)k->held.hh.next)
			for (struct window *w = k->sessions; w; w = w->next)
				rc |= save_window(b, w, events, n);
		for (struct window *w = wr->windows; w; w = w->hh.next)
			rc |= save_window(b, w, events, n);
	}
	free(events);
	free(stored);
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct windower *wr = ctx->prog_state;
	wr->seq = weir_get_u64(g);
	(void)weir_get_u64(g);
	uint64_t nev = weir_get_count(g, 8);
	struct weir_stored *ev = calloc(nev ? nev : 1, sizeof *ev);
	bool *used = calloc(nev ? nev : 1, sizeof *used);
	struct key **keys = NULL;
	int rc = ev && used ? 0 : -1;
	for (uint64_t i = 0; i < nev && rc == 0 && !g->bad; i++) {
		size_t len;
		const char *line = weir_get_bytes(g, &len);
		if (line && weir_store_put(wr->store, line, len, &ev[i]) < 0)
			rc = -1;
	}
	uint64_t nkeys = weir_get_count(g, 24);
	if (rc == 0 && (keys = calloc(nkeys ? nkeys : 1, sizeof *keys)) == NULL)
		rc = -1;
	for (uint64_t i = 0; i < nkeys && rc == 0 && !g->bad; i++) {
		(void)weir_get_u64(g);
		size_t len, mlen;
		const char *bytes = weir_get_bytes(g, &len), *members = weir_get_bytes(g, &mlen);
		if (g->bad)
			break;
		struct key *k = (struct key *)weir_held_key_add(&wr->keys, bytes, len, members, mlen,
		    sizeof *k);
		if (k == NULL) {
			rc = -1;
			break;
		}
		keys[i] = k;
	}
	uint64_t nwin = weir_get_count(g, 40);
	for (uint64_t i = 0; i < nwin && rc == 0 && !g->bad; i++) {
		uint64_t ki = weir_get_u64(g);
		int64_t start = weir_get_i64(g), end = weir_get_i64(g);
		bool kept = weir_get_u64(g);
		uint64_t n = weir_get_count(g, 24);
		if (g->bad || ki >= nkeys || keys[ki] == NULL) {
			g->bad = true;
			break;
		}
		struct window *w = window_new(wr, keys[ki], start, end);
		if (w == NULL) {
			rc = -1;
			break;
		}
		w->t.kept = kept;
		if (wr->kind == SESSION) {
			/* put back in the order they were listed */
			struct window **pp = &keys[ki]->sessions;
			while (*pp)
				pp = &(*pp)->next;
			*pp = w;
		} else {
			HASH_ADD(hh, wr->windows, id, sizeof w->id, w);
		}
		for (uint64_t j = 0; j < n && rc == 0; j++) {
			int64_t t = weir_get_i64(g);
			uint64_t seq = weir_get_u64(g), e = weir_get_u64(g);
			if (g->bad || e >= nev) {
				g->bad = true;
				break;
			}
			if (used[e])
				weir_store_ref(&ev[e]);
			used[e] = true;
			if (add_member(w, &ev[e], t, seq) < 0)
				rc = -1;
		}
		if (rc == 0 && schedule(wr, w, kept ? WEIR_DROP : WEIR_FIRE) < 0)
			rc = -1;
	}
	for (uint64_t i = 0; i < nev && ev; i++)
		if (!used[i] && ev[i].line)
			g->bad = true;	/* an event no window holds */
	wr->held = nev;
	free(ev);
	free(used);
	free(keys);
	update_gauges(ctx, wr);
	if (rc < 0)
		return weir_fail(ctx, "out of memory restoring state");
	return g->bad ? -1 : 0;
}

/* --- options ------------------------------------------------------------- */

enum { OPT_OFFSET = 1, OPT_BY, OPT_COLLECT, OPT_ALLOWED_LATENESS, OPT_TZ };

static const struct weir_optdef own_options[] = {
	{"allowed-lateness", 0, 1, OPT_ALLOWED_LATENESS, "DUR"},
	{"by", 0, 1, OPT_BY, "FIELDS"},
	{"collect", 0, 0, OPT_COLLECT, NULL},
	{"offset", 0, 1, OPT_OFFSET, "DUR"},
	{"tz", 0, 1, OPT_TZ, "ZONE"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct windower *wr = arg;
	switch (id) {
	case OPT_OFFSET:
		return weir_option_duration("offset", value, &wr->offset, err, errlen);
	case OPT_ALLOWED_LATENESS:
		return weir_option_duration("allowed-lateness", value, &wr->lateness, err, errlen);
	case OPT_BY:
		wr->by_list = value;
		return 0;
	case OPT_COLLECT:
		wr->collect = true;
		return 0;
	case OPT_TZ:
		wr->tz = value;
		return 0;
	}
	return -1;
}

static int
positive_duration(const char *what, const char *value, int64_t *ns, char *err, size_t errlen)
{
	if (value == NULL) {
		snprintf(err, errlen, "%s needs a duration (e.g. 1m, 30s)", what);
		return -1;
	}
	if (weir_duration_parse(value, ns) < 0 || *ns <= 0) {
		snprintf(err, errlen, "bad %s '%s' (expected a duration above 0, e.g. 1m, 30s, 250ms)",
		    what, value);
		return -1;
	}
	return 0;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct windower *wr = ctx->prog_state;
	int used;
	if (argc < 1) {
		snprintf(err, errlen, "a window kind is needed: tumbling SIZE, sliding SIZE SLIDE "
		    "or session GAP");
		return -1;
	}
	if (strcmp(argv[0], "tumbling") == 0) {
		wr->kind = TUMBLING;
		if (positive_duration("tumbling SIZE", argc > 1 ? argv[1] : NULL, &wr->size, err,
		    errlen) < 0)
			return -1;
		used = 2;
	} else if (strcmp(argv[0], "sliding") == 0) {
		wr->kind = SLIDING;
		if (positive_duration("sliding SIZE", argc > 1 ? argv[1] : NULL, &wr->size, err,
		    errlen) < 0 || positive_duration("sliding SLIDE", argc > 2 ? argv[2] : NULL,
		    &wr->slide, err, errlen) < 0)
			return -1;
		if (wr->slide > wr->size) {
			snprintf(err, errlen, "sliding SLIDE '%s' is longer than SIZE '%s': "
			    "events between windows would belong to none", argv[2], argv[1]);
			return -1;
		}
		used = 3;
	} else if (strcmp(argv[0], "session") == 0) {
		wr->kind = SESSION;
		if (positive_duration("session GAP", argc > 1 ? argv[1] : NULL, &wr->gap, err,
		    errlen) < 0)
			return -1;
		used = 2;
	} else {
		snprintf(err, errlen, "unknown window kind '%s' (expected tumbling, sliding or "
		    "session)", argv[0]);
		return -1;
	}
	if (wr->offset != 0 && wr->kind == SESSION) {
		snprintf(err, errlen, "--offset applies to tumbling and sliding windows");
		return -1;
	}
	if (weir_keys_option(ctx, &wr->by, "--by", wr->by_list, err, errlen) < 0)
		return -1;
	if (wr->tz && (wr->zone = weir_zone_open(wr->tz, err, errlen)) == NULL)
		return -1;
	wr->store = weir_store_new();
	if (wr->store == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return used;
}

static void
teardown(void *state)
{
	struct windower *wr = state;
	while (wr->keys != NULL)
		weir_held_key_drop(&wr->keys, wr->keys);
	weir_keys_free(&wr->by);
	/* windows still open (a stop under --state fires nothing) */
	for (size_t i = 0; i < wr->timers.n; i++) {
		struct window *w = (struct window *)wr->timers.items[i].w;
		if (--w->t.timers == 0) {
			free(w->members);
			free(w);
		}
	}
	weir_timers_free(&wr->timers);
	free(wr->scratch);
	weir_store_free(wr->store);
	weir_zone_free(wr->zone);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {on_event, on_watermark, NULL, on_end,
		.on_save = on_save, .on_restore = on_restore};
	static struct windower wr;
	static const struct weir_program program = {
		.name = "weir-window",
		.synopsis = "weir-window tumbling SIZE [--offset DUR] [options] [FILE ...]\n"
		    "       weir-window sliding SIZE SLIDE [--offset DUR] [options] [FILE ...]\n"
		    "       weir-window session GAP [--by FIELDS] [--state FILE] [options] [FILE ...]",
		.summary = "Assigns events to tumbling, sliding or session windows.",
		.own_help =
		    "      --offset DUR         shift window bounds from the epoch by DUR\n"
		    "      --tz ZONE            windows follow local time in ZONE (Europe/Paris)\n"
		    "      --by FIELDS          key fields: sessions and --collect rows per key\n"
		    "      --collect            one row per closed window and key, with its events\n"
		    "      --allowed-lateness DUR  keep closed windows DUR longer; late events re-fire them\n"
		    "      --time-output FMT    rfc3339, epoch, epoch_ms, epoch_us or epoch_ns bounds\n"
		    "      --state FILE         checkpoint held windows at each barrier; resume\n",
		.features = WEIR_FEATURE_TIME_OUTPUT | WEIR_FEATURE_STATE,
		.options = own_options,
		.option = own_option,
		.state = &wr,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
