/*
 * pending.h: events waiting for the watermark, taken out in (time, arrival)
 * order.
 *
 * Events come in nearly in time order (up to the input's disorder) and
 * leave in order once the watermark passes them.  A heap pays a walk down
 * its levels for each, with comparisons no branch predictor guesses.  The
 * wheel puts an event in the bucket of its time (2^shift ns wide;
 * WEIR_WHEEL_SIZE buckets from the cursor on), in its place in that
 * bucket's short list, and takes the earliest from the first bucket that is
 * not empty (a bitmap finds it).  An event outside the wheel's span, or
 * whose bucket is crowded past WEIR_WHEEL_WALK, goes to a heap of small
 * handles; the earlier of the wheel's and the heap's first goes out, so the
 * order is (t, seq) either way.
 *
 *   weir_pendings_init(&ps, span)          buckets to span about `span` ns
 *   weir_pendings_push(&ps, &p)            0, or -1 (memory)
 *   p = weir_pendings_reserve(&ps)         or a slot to fill in place,
 *   weir_pendings_commit(&ps)              then placed: 0, or -1 (memory)
 *   weir_pendings_hold(&ps, store, line, len, t, seq, key, clean, shape)
 *                                          the line's bytes stored, held so
 *   p = weir_pendings_peek(&ps, &slot, &wheel)   the earliest, or NULL
 *   *p = weir_pendings_take(&ps, slot, wheel)    and out it goes
 *
 * The set owns its slots, wheel and heap, and copies each event in (or
 * has it written in place); the event's bytes (ev) and its key stay the
 * caller's, handed back by weir_pendings_take.  weir_pendings_free accepts
 * a zeroed set.  A set that was never given weir_pendings_init works too,
 * on its heap alone.
 */
#ifndef WEIR_PENDING_H
#define WEIR_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "store.h"

/* An event not yet passed by the watermark. */
struct weir_pending {
	int64_t t;
	uint64_t seq;		/* arrival order: ties in time */
	void *key;		/* the caller's (weir-join: its key, NULL for none) */
	struct weir_stored ev;
	bool clean;		/* weir_line_is_clean, found by the scan */
	uint32_t shape;		/* weir_scan_shape, found by the scan */
};

/* (t, seq) as one unsigned 128-bit number, compared without a branch: the
 * heap's comparisons follow arrival disorder, which no branch predictor
 * guesses. */
static inline unsigned __int128
weir_time_seq_order(int64_t t, uint64_t seq)
{
	return (unsigned __int128)((uint64_t)t ^ (UINT64_C(1) << 63)) << 64 | seq;
}

/* The heap orders small handles, (t, seq) and the slot where the event
 * waits, not the events: a pop moves a handle down each level, and 24
 * bytes move faster than a whole event. */
struct weir_pending_ref {
	int64_t t;
	uint64_t seq;
	uint32_t slot;
};

static inline bool
weir_pending_ref_before(const struct weir_pending_ref *a, const struct weir_pending_ref *b)
{
	return weir_time_seq_order(a->t, a->seq) < weir_time_seq_order(b->t, b->seq);
}

WEIR_HEAP_DEFINE(weir_pending_refs, struct weir_pending_ref, weir_pending_ref_before)

#define WEIR_WHEEL_BITS 12
#define WEIR_WHEEL_SIZE (1u << WEIR_WHEEL_BITS)
#define WEIR_WHEEL_WALK 16
#define WEIR_NO_SLOT UINT32_MAX

struct weir_pendings {
	struct weir_pending_refs_heap heap;
	struct weir_pending *slots;
	uint32_t *link;		/* the next slot in the same bucket */
	uint32_t *free;		/* slots not in use */
	size_t nfree, cap;
	uint32_t *first, *last;	/* of each bucket's list, WEIR_NO_SLOT when empty */
	uint64_t used[WEIR_WHEEL_SIZE / 64];	/* the buckets that are not empty */
	uint64_t cursor;	/* the wheel's first bucket (absolute) */
	size_t nwheel;
	int shift;
};

/* The wheel's buckets 2^shift ns wide, shift the least for which
 * WEIR_WHEEL_SIZE of them span `span`; -1 when memory ran out. */
int weir_pendings_init(struct weir_pendings *ps, int64_t span);
void weir_pendings_free(struct weir_pendings *ps);

/* Calls f on every pending event, in no particular order; ORs the results. */
int weir_pendings_each(const struct weir_pendings *ps,
    int (*f)(void *, const struct weir_pending *), void *arg);

/* For a checkpoint (lib/state.h): the number of pending events, then each
 * (in no order: each keeps its (t, seq)) with its key, as key_bytes gives
 * its bytes (a NULL key: none), and its line.  0, or -1 (memory). */
struct weir_buf;
struct weir_get;
int weir_pendings_save(const struct weir_pendings *ps, struct weir_buf *b,
    void (*key_bytes)(const void *key, const char **bytes, size_t *len));
/* Reads them back into ps, their lines into store, each key as key_of
 * finds it by its bytes (NULL: the state is bad, g->bad set).  0, or -1
 * when memory ran out. */
int weir_pendings_restore(struct weir_pendings *ps, struct weir_get *g, struct weir_store *store,
    void *(*key_of)(void *arg, const char *bytes, size_t len), void *arg);

/* The bytes the set holds (slots, links, wheel and heap). */
size_t weir_pendings_bytes(const struct weir_pendings *ps);

/* Grows the slab when no slot is free; -1 when memory ran out. */
int weir_pendings_grow(struct weir_pendings *ps);

static inline size_t
weir_pendings_count(const struct weir_pendings *ps)
{
	return ps->heap.n + ps->nwheel;
}

/* Times as unsigned numbers in the same order; a bucket's is its high bits. */
static inline uint64_t
weir_pendings_bucket(const struct weir_pendings *ps, int64_t t)
{
	return ((uint64_t)t ^ (UINT64_C(1) << 63)) >> ps->shift;
}

static inline unsigned __int128
weir_pending_order(const struct weir_pending *p)
{
	return weir_time_seq_order(p->t, p->seq);
}

/* Into the bucket's list in (t, seq) order; false when it does not fit. */
static inline bool
weir_pendings_wheel_put(struct weir_pendings *ps, uint32_t slot)
{
	const struct weir_pending *p = &ps->slots[slot];
	uint64_t b = weir_pendings_bucket(ps, p->t);
	if (ps->nwheel == 0)
		ps->cursor = b >= WEIR_WHEEL_SIZE / 4 ? b - WEIR_WHEEL_SIZE / 4 : 0;
	if (b < ps->cursor || b - ps->cursor >= WEIR_WHEEL_SIZE)
		return false;
	size_t i = b & (WEIR_WHEEL_SIZE - 1);
	unsigned __int128 o = weir_pending_order(p);
	ps->link[slot] = WEIR_NO_SLOT;
	if (ps->last[i] == WEIR_NO_SLOT) {
		ps->first[i] = ps->last[i] = slot;
		ps->used[i / 64] |= UINT64_C(1) << (i % 64);
	} else if (weir_pending_order(&ps->slots[ps->last[i]]) < o) {
		ps->link[ps->last[i]] = slot;	/* the usual: after the last */
		ps->last[i] = slot;
	} else {
		uint32_t *at = &ps->first[i];
		for (int walk = 0; weir_pending_order(&ps->slots[*at]) < o; at = &ps->link[*at])
			if (++walk == WEIR_WHEEL_WALK)
				return false;
		ps->link[slot] = *at;
		*at = slot;
	}
	ps->nwheel++;
	return true;
}

/*
 * The slot the next event goes into, to be filled in place and then
 * placed with weir_pendings_commit (nothing else in between): a caller
 * that builds the event field by field (weir_store_put writing its ev)
 * writes it once, where a copy of a whole struct from the stack would
 * load in 16 bytes what was just stored in 8, which the CPU cannot
 * forward and waits for.  NULL when memory ran out.
 */
static inline struct weir_pending *
weir_pendings_reserve(struct weir_pendings *ps)
{
	if (ps->nfree == 0 && weir_pendings_grow(ps) < 0)
		return NULL;
	return &ps->slots[ps->free[ps->nfree - 1]];
}

/* Places the event filled in the reserved slot; -1 when memory ran out
 * (the slot stays free). */
static inline int
weir_pendings_commit(struct weir_pendings *ps)
{
	uint32_t slot = ps->free[--ps->nfree];
	if (ps->first && weir_pendings_wheel_put(ps, slot))
		return 0;
	const struct weir_pending *p = &ps->slots[slot];
	if (weir_pending_refs_push(&ps->heap, (struct weir_pending_ref){p->t, p->seq, slot}) < 0) {
		ps->nfree++;
		return -1;
	}
	return 0;
}

/* Holds line[0..len) at (t, seq): its bytes copied into store, the event
 * written in its slot in place.  0, or -1 when memory ran out (nothing is
 * held then). */
static inline int
weir_pendings_hold(struct weir_pendings *ps, struct weir_store *store, const char *line,
    size_t len, int64_t t, uint64_t seq, void *key, bool clean, uint32_t shape)
{
	struct weir_pending *p = weir_pendings_reserve(ps);
	if (p == NULL || weir_store_put(store, line, len, &p->ev) < 0)
		return -1;
	p->t = t;
	p->seq = seq;
	p->key = key;
	p->clean = clean;
	p->shape = shape;
	if (weir_pendings_commit(ps) < 0) {
		weir_store_release(store, &p->ev);
		return -1;
	}
	return 0;
}

static inline int
weir_pendings_push(struct weir_pendings *ps, const struct weir_pending *p)
{
	struct weir_pending *s = weir_pendings_reserve(ps);
	if (s == NULL)
		return -1;
	*s = *p;
	return weir_pendings_commit(ps);
}

/* The wheel's first bucket that is not empty, from the cursor on; the
 * wheel holds something. */
static inline size_t
weir_pendings_wheel_first(const struct weir_pendings *ps)
{
	size_t i = ps->cursor & (WEIR_WHEEL_SIZE - 1), w = i / 64;
	uint64_t bits = ps->used[w] & (~UINT64_C(0) << (i % 64));
	while (bits == 0) {
		w = (w + 1) % (WEIR_WHEEL_SIZE / 64);
		bits = ps->used[w];
	}
	return w * 64 + (size_t)__builtin_ctzll(bits);
}

/* The earliest pending event, or NULL: its slot in *slot, and whether it
 * is the wheel's in *from_wheel. */
static inline const struct weir_pending *
weir_pendings_peek(const struct weir_pendings *ps, uint32_t *slot, bool *from_wheel)
{
	*from_wheel = false;
	if (ps->nwheel > 0) {
		uint32_t w = ps->first[weir_pendings_wheel_first(ps)];
		if (ps->heap.n == 0 || weir_pending_order(&ps->slots[w]) <
		    weir_time_seq_order(ps->heap.items[0].t, ps->heap.items[0].seq)) {
			*from_wheel = true;
			*slot = w;
			return &ps->slots[w];
		}
	}
	if (ps->heap.n == 0)
		return NULL;
	*slot = ps->heap.items[0].slot;
	return &ps->slots[*slot];
}

/* Takes the event weir_pendings_peek gave. */
static inline struct weir_pending
weir_pendings_take(struct weir_pendings *ps, uint32_t slot, bool from_wheel)
{
	if (from_wheel) {
		size_t i = weir_pendings_bucket(ps, ps->slots[slot].t) & (WEIR_WHEEL_SIZE - 1);
		ps->first[i] = ps->link[slot];
		if (ps->first[i] == WEIR_NO_SLOT) {
			ps->last[i] = WEIR_NO_SLOT;
			ps->used[i / 64] &= ~(UINT64_C(1) << (i % 64));
		}
		/* the cursor moves up to this bucket: nothing earlier is left */
		ps->cursor += (i - (ps->cursor & (WEIR_WHEEL_SIZE - 1))) & (WEIR_WHEEL_SIZE - 1);
		ps->nwheel--;
	} else {
		weir_pending_refs_pop(&ps->heap);
	}
	ps->free[ps->nfree++] = slot;
	return ps->slots[slot];
}

/* Of two sets (a join's inputs), the one whose earliest event comes first
 * and lies below w (any, with final); at equal times the set `prefer`
 * (0 or 1).  Returns 0 or 1 with the event's place in *slot and *wheel for
 * weir_pendings_take, or -1 when neither has one. */
static inline int
weir_pendings_earliest(const struct weir_pendings *ps0, const struct weir_pendings *ps1,
    int prefer, int64_t w, bool final, uint32_t *slot, bool *wheel)
{
	int es = -1;
	const struct weir_pending *first = NULL;
	for (int i = 0; i < 2; i++) {
		int s = i == 0 ? prefer : 1 - prefer;
		uint32_t q;
		bool qw;
		const struct weir_pending *p = weir_pendings_peek(s ? ps1 : ps0, &q, &qw);
		if (p == NULL || (!final && p->t >= w))
			continue;
		if (es < 0 || p->t < first->t) {
			es = s;
			first = p;
			*slot = q;
			*wheel = qw;
		}
	}
	return es;
}

#endif
