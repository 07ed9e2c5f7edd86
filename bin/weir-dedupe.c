/*
 * weir-dedupe: drops repeated events by key within an event-time horizon,
 * in bounded memory.
 *
 * A key is the --key values compared by value (lib/keys.h), or the whole
 * line as written, known only by its 128-bit XXH3 hash: two different keys
 * share a hash with probability about n^2 / 2^129, below 1e-26 for a
 * billion keys, and no key bytes are stored.  Per key:
 *
 *   entries[i]: hash, last sighting, first-seen number, LRU and bucket links
 *   held[i]:    --keep last: the event it holds (not there otherwise)
 *   slots[]:    open addressing (linear probing) from hash to i + 1
 *   wheel[]:    timers: buckets of 2^shift ns of horizon (last + DUR), each
 *               a list through the entries, moved on lazily when swept
 *
 * An event repeats its key when the key has state and the event lies within
 * DUR of the key's last sighting.  State ends when the watermark passes the
 * last sighting + DUR (then --keep last writes the event it held); a key
 * whose state ended is new again, and one whose horizon the watermark has
 * passed at its first event ends at once (end_if_past).  Nothing is ever
 * late here.  Without --within, state ends only by eviction: past
 * --max-keys the least recently seen key goes (and is counted as forced).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY	/* XXH3_state_t on the stack */
#include <xxhash.h>

#include "../lib/driver.h"
#include "../lib/keys.h"
#include "../lib/program.h"
#include "../lib/store.h"

#define NONE UINT32_MAX

struct entry {
	uint64_t lo, hi;	/* the key's hash */
	int64_t last;		/* its latest sighting */
	uint64_t seq;		/* first seen: ties in output order */
	uint32_t prev, next;	/* least recently seen list */
	uint32_t wprev, wnext;	/* its bucket's list */
	uint32_t bucket;	/* of the wheel, or NONE */
	bool holding;		/* --keep last: held[i] is an event */
};

/*
 * The wheel: nbuckets buckets, bucket b holding the keys whose horizon falls
 * in [b << shift, (b + 1) << shift) modulo nbuckets; a horizon spans a
 * quarter of the wheel.  Expiring up to a watermark sweeps the buckets from
 * the one it stopped at (the partial one, `swept`) to the watermark's: a key
 * due is taken, a key seen since is moved to the bucket of its later
 * horizon, and one a turn of the wheel ahead stays.  The partial bucket is
 * swept again only once the watermark reaches the earliest horizon in it
 * (next_due).  With more keys than buckets the wheel doubles, its buckets
 * halve, and every key is put in its new bucket (as a hash table grows), so
 * a bucket holds about four keys however dense the stream.  A key costs a
 * few dozen instructions, where a heap of horizons would cost a pop through
 * its levels.
 */
#define WHEEL_MIN 4096
#define WHEEL_MAX ((size_t)1 << 26)

struct dedupe {
	const char *key;
	struct weir_keys keys;	/* --key, or none: the whole line */
	int64_t within;		/* 0: no horizon */
	bool keep_last;
	size_t max_keys;
	const char *dups_path;
	FILE *dups;

	struct entry *entries;
	struct weir_stored *held;	/* beside entries, with --keep last */
	size_t nentries, entries_cap;
	uint32_t free_list;	/* reusable entries, linked by `next` */
	uint32_t *slots;	/* entry index + 1, 0 = empty */
	size_t slots_cap, live;
	uint32_t lru_head, lru_tail;	/* head: most recently seen */
	uint32_t *wheel;	/* nbuckets heads, NONE = empty; NULL without --within */
	size_t nbuckets;
	unsigned shift;
	int64_t swept;		/* buckets below this number are swept; INT64_MIN: none */
	int64_t next_due;	/* no key of the partial bucket is due before this */
	uint32_t *due;		/* the keys that came due, in one expire */
	size_t ndue, due_cap;
	struct weir_store *store;
	uint64_t seq;
};

/* --- least recently seen list -------------------------------------------- */

static void
lru_unlink(struct dedupe *d, uint32_t i)
{
	struct entry *e = &d->entries[i];
	if (e->prev != NONE)
		d->entries[e->prev].next = e->next;
	else
		d->lru_head = e->next;
	if (e->next != NONE)
		d->entries[e->next].prev = e->prev;
	else
		d->lru_tail = e->prev;
}

static void
lru_push_front(struct dedupe *d, uint32_t i)
{
	struct entry *e = &d->entries[i];
	e->prev = NONE;
	e->next = d->lru_head;
	if (d->lru_head != NONE)
		d->entries[d->lru_head].prev = i;
	d->lru_head = i;
	if (d->lru_tail == NONE)
		d->lru_tail = i;
}

/* --- the hash table ------------------------------------------------------- */

static int
slots_grow(struct dedupe *d)
{
	size_t cap = d->slots_cap ? d->slots_cap * 2 : 1024;
	uint32_t *s = calloc(cap, sizeof *s);
	if (s == NULL)
		return -1;
	for (size_t k = 0; k < d->slots_cap; k++) {
		if (d->slots[k] == 0)
			continue;
		size_t j = d->entries[d->slots[k] - 1].lo & (cap - 1);
		while (s[j] != 0)
			j = (j + 1) & (cap - 1);
		s[j] = d->slots[k];
	}
	free(d->slots);
	d->slots = s;
	d->slots_cap = cap;
	return 0;
}

/* The slot holding the key, or the empty slot where it would go. */
static size_t
slot_of(const struct dedupe *d, uint64_t lo, uint64_t hi)
{
	size_t j = lo & (d->slots_cap - 1);
	while (d->slots[j] != 0) {
		const struct entry *e = &d->entries[d->slots[j] - 1];
		if (e->lo == lo && e->hi == hi)
			return j;
		j = (j + 1) & (d->slots_cap - 1);
	}
	return j;
}

/* Removes slot j by shifting the probe chain back (no tombstones). */
static void
slot_remove(struct dedupe *d, size_t j)
{
	size_t mask = d->slots_cap - 1;
	d->slots[j] = 0;
	for (size_t k = (j + 1) & mask; d->slots[k] != 0; k = (k + 1) & mask) {
		size_t home = d->entries[d->slots[k] - 1].lo & mask;
		/* move k back to j unless its home lies cyclically in (j, k] */
		bool stays = j <= k ? (home > j && home <= k) : (home > j || home <= k);
		if (!stays) {
			d->slots[j] = d->slots[k];
			d->slots[k] = 0;
			j = k;
		}
	}
}

/* --- timers --------------------------------------------------------------- */

/* When the key's state ends: the watermark passes its last sighting + DUR. */
static inline int64_t
due_of(const struct dedupe *d, const struct entry *e)
{
	return d->within == 0 ? INT64_MAX : weir_time_add_sat(e->last, d->within + 1);
}

static void
wheel_unlink(struct dedupe *d, uint32_t i)
{
	struct entry *e = &d->entries[i];
	if (e->bucket == NONE)
		return;
	if (e->wprev != NONE)
		d->entries[e->wprev].wnext = e->wnext;
	else
		d->wheel[e->bucket] = e->wnext;
	if (e->wnext != NONE)
		d->entries[e->wnext].wprev = e->wprev;
	e->bucket = NONE;
}

/* Puts the key in the bucket of its horizon, or of the partial bucket when
 * that was swept already (it is then due at the next expiry). */
static void
arm(struct dedupe *d, uint32_t i)
{
	if (d->wheel == NULL)
		return;
	struct entry *e = &d->entries[i];
	int64_t due = due_of(d, e), b = due >> d->shift;
	if (b <= d->swept) {
		b = d->swept;
		if (due < d->next_due)
			d->next_due = due;
	}
	uint32_t k = (uint32_t)((uint64_t)b & (d->nbuckets - 1));
	e->bucket = k;
	e->wprev = NONE;
	e->wnext = d->wheel[k];
	if (e->wnext != NONE)
		d->entries[e->wnext].wprev = i;
	d->wheel[k] = i;
}

static int
add_due(struct dedupe *d, uint32_t i)
{
	if (d->ndue == d->due_cap) {
		size_t cap = d->due_cap ? d->due_cap * 2 : 1024;
		uint32_t *p = realloc(d->due, cap * sizeof *p);
		if (p == NULL)
			return -1;
		d->due = p;
		d->due_cap = cap;
	}
	d->due[d->ndue++] = i;
	return 0;
}

/* Takes the keys of bucket k that are due by the watermark; moves on those
 * seen since to their later bucket.  Returns the earliest horizon of those
 * that stay (INT64_MAX: none), or INT64_MIN when memory ran out. */
static int64_t
sweep(struct dedupe *d, uint32_t k, int64_t watermark)
{
	int64_t first = INT64_MAX;
	for (uint32_t i = d->wheel[k], next; i != NONE; i = next) {
		struct entry *e = &d->entries[i];
		next = e->wnext;
		int64_t due = due_of(d, e);
		if (due <= watermark) {
			wheel_unlink(d, i);
			if (add_due(d, i) < 0)
				return INT64_MIN;
		} else if (((uint64_t)(due >> d->shift) & (d->nbuckets - 1)) != k) {
			wheel_unlink(d, i);
			arm(d, i);
		} else if (due < first) {
			first = due;
		}
	}
	return first;
}

/* More keys than buckets: twice the buckets, each half as wide. */
static int
wheel_grow(struct dedupe *d)
{
	if (d->shift == 0 || d->nbuckets >= WHEEL_MAX)
		return 0;
	uint32_t *w = malloc(2 * d->nbuckets * sizeof *w);
	if (w == NULL)
		return -1;
	free(d->wheel);
	d->wheel = w;
	d->nbuckets *= 2;
	memset(d->wheel, 0xff, d->nbuckets * sizeof *d->wheel);	/* NONE */
	d->shift--;
	if (d->swept != INT64_MIN)
		d->swept *= 2;	/* the lower half of the partial bucket */
	d->next_due = INT64_MIN;	/* swept again at the next expiry */
	for (uint32_t i = d->lru_head; i != NONE; i = d->entries[i].next)
		if (d->entries[i].bucket != NONE) {
			d->entries[i].bucket = NONE;
			arm(d, i);
		}
	return 0;
}

/* --- state ---------------------------------------------------------------- */

static int
drop(struct weir_ctx *ctx, struct dedupe *d, const char *line, size_t len)
{
	ctx->count.dropped++;
	if (d->dups && (fwrite(line, 1, len, d->dups) != len || putc('\n', d->dups) == EOF))
		return weir_fail(ctx, "cannot write dups file '%s': %s", d->dups_path,
		    strerror(errno));
	return 0;
}

/* The key's state ends: --keep last writes what it held. */
static int
finish(struct weir_ctx *ctx, struct dedupe *d, uint32_t i)
{
	struct entry *e = &d->entries[i];
	int rc = 0;
	if (e->holding) {
		rc = weir_emit(ctx, d->held[i].line, d->held[i].len);
		weir_store_release(d->store, &d->held[i]);
		e->holding = false;
		ctx->count.held--;
	}
	return rc;
}

static void
forget(struct dedupe *d, uint32_t i)
{
	struct entry *e = &d->entries[i];
	slot_remove(d, slot_of(d, e->lo, e->hi));
	lru_unlink(d, i);
	wheel_unlink(d, i);
	e->next = d->free_list;
	d->free_list = i;
	d->live--;
}

static int
hold(struct weir_ctx *ctx, struct dedupe *d, uint32_t i, const struct weir_event *ev)
{
	if (weir_store_put(d->store, ev->line, ev->len, &d->held[i]) < 0)
		return weir_fail(ctx, "out of memory holding events");
	d->entries[i].holding = true;
	ctx->count.held++;
	return 0;
}

static uint32_t
new_entry(struct dedupe *d)
{
	if (d->free_list != NONE) {
		uint32_t i = d->free_list;
		d->free_list = d->entries[i].next;
		return i;
	}
	if (d->nentries == d->entries_cap) {
		size_t cap = d->entries_cap ? d->entries_cap * 2 : 1024;
		struct entry *e = realloc(d->entries, cap * sizeof *e);
		if (e == NULL)
			return NONE;
		d->entries = e;
		if (d->keep_last) {
			struct weir_stored *h = realloc(d->held, cap * sizeof *h);
			if (h == NULL)
				return NONE;	/* entries_cap stays: grown again next time */
			d->held = h;
		}
		d->entries_cap = cap;
	}
	return (uint32_t)d->nentries++;
}

static void
update_gauges(struct weir_ctx *ctx, struct dedupe *d)
{
	ctx->count.state_bytes = d->entries_cap * sizeof *d->entries +
	    (d->held ? d->entries_cap * sizeof *d->held : 0) +
	    d->slots_cap * sizeof *d->slots + (d->wheel ? d->nbuckets * sizeof *d->wheel : 0) +
	    d->due_cap * sizeof *d->due + weir_store_bytes(d->store);
}

/*
 * The key's hash, in the reader thread: of the key's bytes (lib/keys.h:
 * the values compared by value), or of the whole line as written.
 */
static void
on_scan(const void *state, unsigned input, const char *line, size_t len,
    const struct weir_span *spans, uint64_t digest[2])
{
	const struct dedupe *d = state;
	(void)input;
	if (d->keys.n == 0) {
		XXH128_hash_t h = XXH3_128bits(line, len);
		digest[0] = h.low64;
		digest[1] = h.high64;
	} else {
		weir_keys_hash128(&d->keys, spans, digest);
	}
}

/*
 * A key's state ends when the watermark passes its horizon, and an event
 * that arrives more than DUR behind the watermark (after an outlier far in
 * the future, say) starts a state whose horizon is passed already: it ends
 * at once, as the next sweep would end it, so that whether a later event
 * of the key is a repeat never depends on when that sweep comes.  The
 * event is written (--keep last: now), and its key is new again.
 */
static int
end_if_past(struct weir_ctx *ctx, struct dedupe *d, uint32_t i)
{
	if (d->within == 0 || ctx->watermark == WEIR_TIME_NONE ||
	    ctx->watermark < due_of(d, &d->entries[i]))
		return 0;
	int rc = finish(ctx, d, i);
	forget(d, i);
	return rc;
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct dedupe *d = ctx->prog_state;
	XXH128_hash_t h = {ev->digest[0], ev->digest[1]};
	if ((d->live + 1) * 4 > d->slots_cap * 3 && slots_grow(d) < 0)
		return weir_fail(ctx, "out of memory");
	size_t j = slot_of(d, h.low64, h.high64);
	int rc = 0;
	if (d->slots[j] != 0) {
		uint32_t i = d->slots[j] - 1;
		struct entry *e = &d->entries[i];
		int64_t gap = ev->t > e->last ? ev->t - e->last : e->last - ev->t;
		lru_unlink(d, i);
		lru_push_front(d, i);
		if (d->within == 0 || gap <= d->within) {
			/* a repeat */
			if (ev->t > e->last)
				e->last = ev->t;	/* its timer re-arms when it comes due */
			if (!d->keep_last)
				rc = drop(ctx, d, ev->line, ev->len);
			else {
				rc = drop(ctx, d, d->held[i].line, d->held[i].len);
				weir_store_release(d->store, &d->held[i]);
				e->holding = false;
				ctx->count.held--;
				if (rc == 0)
					rc = hold(ctx, d, i, ev);
			}
			update_gauges(ctx, d);
			return rc;
		}
		/* far from its last sighting: the key starts anew */
		if ((rc = finish(ctx, d, i)) != 0)
			return rc;
		e->last = ev->t;
		wheel_unlink(d, i);
		arm(d, i);
		rc = d->keep_last ? hold(ctx, d, i, ev) : weir_emit(ctx, ev->line, ev->len);
		if (rc == 0)
			rc = end_if_past(ctx, d, i);
		update_gauges(ctx, d);
		return rc;
	}
	uint32_t i = new_entry(d);
	if (i == NONE)
		return weir_fail(ctx, "out of memory");
	struct entry *e = &d->entries[i];
	*e = (struct entry){h.low64, h.high64, ev->t, d->seq++, NONE, NONE, NONE, NONE, NONE,
	    false};
	d->slots[j] = i + 1;
	d->live++;
	lru_push_front(d, i);
	arm(d, i);
	if (d->wheel && d->live > d->nbuckets && wheel_grow(d) < 0)
		return weir_fail(ctx, "out of memory");
	rc = d->keep_last ? hold(ctx, d, i, ev) : weir_emit(ctx, ev->line, ev->len);
	if (rc == 0)
		rc = end_if_past(ctx, d, i);
	if (rc == 0 && d->live > d->max_keys) {
		/* full: the least recently seen key goes */
		uint32_t victim = d->lru_tail;
		rc = finish(ctx, d, victim);
		forget(d, victim);
		ctx->count.forced++;
	}
	update_gauges(ctx, d);
	return rc;
}

static int
by_due(const void *a, const void *b, void *arg)
{
	const struct dedupe *d = arg;
	const struct entry *x = &d->entries[*(const uint32_t *)a];
	const struct entry *y = &d->entries[*(const uint32_t *)b];
	int64_t dx = due_of(d, x), dy = due_of(d, y);
	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Ends every key whose horizon the watermark passed (INT64_MAX: every key),
 * in (due, first seen) order: --keep last writes what they held in that
 * order; for --keep first the order shows nowhere.
 */
static int
expire(struct weir_ctx *ctx, struct dedupe *d, int64_t watermark)
{
	d->ndue = 0;
	if (watermark == INT64_MAX) {
		for (uint32_t i = d->lru_tail; i != NONE; i = d->entries[i].prev)
			if (add_due(d, i) < 0)
				return weir_fail(ctx, "out of memory");
	} else if (d->wheel != NULL) {
		int64_t upto = watermark >> d->shift;
		int64_t nb = (int64_t)d->nbuckets;
		if (upto < d->swept || upto < INT64_MIN + nb ||
		    (upto == d->swept && watermark < d->next_due))
			return 0;
		bool all = d->swept == INT64_MIN || upto - d->swept >= nb;
		for (int64_t b = all ? upto - nb + 1 : d->swept; b <= upto; b++) {
			int64_t first = sweep(d, (uint32_t)((uint64_t)b & (d->nbuckets - 1)), watermark);
			if (first == INT64_MIN)
				return weir_fail(ctx, "out of memory");
			d->next_due = first;	/* the last one swept is the partial one */
		}
		d->swept = upto;
	}
	if (d->ndue == 0)
		return 0;
	if (d->keep_last && d->ndue > 1)
		qsort_r(d->due, d->ndue, sizeof *d->due, by_due, d);
	int rc = 0;
	for (size_t k = 0; k < d->ndue; k++) {
		if (rc == 0)
			rc = finish(ctx, d, d->due[k]);
		forget(d, d->due[k]);
	}
	d->ndue = 0;
	update_gauges(ctx, d);
	return rc;
}

static int
on_watermark(struct weir_ctx *ctx, int64_t watermark)
{
	struct dedupe *d = ctx->prog_state;
	if (d->within == 0)
		return 0;
	return expire(ctx, d, watermark);
}

static int
on_end(struct weir_ctx *ctx)
{
	struct dedupe *d = ctx->prog_state;
	int rc = expire(ctx, d, INT64_MAX);
	if (d->dups && fflush(d->dups) != 0 && rc == 0)
		rc = weir_fail(ctx, "cannot write dups file '%s': %s", d->dups_path,
		    strerror(errno));
	return rc;
}

/* --- checkpoints (--state) ------------------------------------------------ */

/* Every live key from the least recently seen on (pushed back in that
 * order, they make the same list), with what --keep last holds.  Timers
 * are rebuilt: one per key, at its horizon. */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct dedupe *d = ctx->prog_state;
	int rc = weir_put_u64(b, d->seq) | weir_put_u64(b, d->live);
	for (uint32_t i = d->lru_tail; i != NONE && rc == 0; i = d->entries[i].prev) {
		const struct entry *e = &d->entries[i];
		rc |= weir_put_u64(b, e->lo) | weir_put_u64(b, e->hi) | weir_put_i64(b, e->last) |
		    weir_put_u64(b, e->seq) | weir_put_u64(b, e->holding);
		if (e->holding)
			rc |= weir_put_bytes(b, d->held[i].line, d->held[i].len);
	}
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct dedupe *d = ctx->prog_state;
	d->seq = weir_get_u64(g);
	uint64_t n = weir_get_count(g, 40);
	for (uint64_t k = 0; k < n && !g->bad; k++) {
		uint64_t lo = weir_get_u64(g), hi = weir_get_u64(g);
		int64_t last = weir_get_i64(g);
		uint64_t seq = weir_get_u64(g), holding = weir_get_u64(g);
		size_t len = 0;
		const char *line = holding ? weir_get_bytes(g, &len) : NULL;
		if (g->bad)
			break;
		if (holding && !d->keep_last)
			return weir_fail(ctx, "the state holds events: it was written with --keep last");
		if ((d->live + 1) * 4 > d->slots_cap * 3 && slots_grow(d) < 0)
			return weir_fail(ctx, "out of memory restoring state");
		size_t j = slot_of(d, lo, hi);
		uint32_t i = d->slots[j] ? NONE : new_entry(d);
		if (i == NONE)
			return d->slots[j] ? -1 : weir_fail(ctx, "out of memory restoring state");
		struct entry *e = &d->entries[i];
		*e = (struct entry){lo, hi, last, seq, NONE, NONE, NONE, NONE, NONE, false};
		d->slots[j] = i + 1;
		d->live++;
		lru_push_front(d, i);
		arm(d, i);
		if (d->wheel && d->live > d->nbuckets && wheel_grow(d) < 0)
			return weir_fail(ctx, "out of memory restoring state");
		if (holding) {
			struct weir_event ev = {.line = line, .len = len};
			if (hold(ctx, d, i, &ev) != 0)
				return -1;
		}
	}
	update_gauges(ctx, d);
	return g->bad ? -1 : 0;
}

/* --- options -------------------------------------------------------------- */

enum { OPT_KEY = 1, OPT_WITHIN, OPT_KEEP, OPT_MAX_KEYS, OPT_DUPS };

static const struct weir_optdef own_options[] = {
	{"dups", 0, 1, OPT_DUPS, "FILE"},
	{"keep", 0, 1, OPT_KEEP, "first|last"},
	{"key", 0, 1, OPT_KEY, "FIELDS"},
	{"max-keys", 0, 1, OPT_MAX_KEYS, "N"},
	{"within", 0, 1, OPT_WITHIN, "DUR"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct dedupe *d = arg;
	switch (id) {
	case OPT_KEY:
		d->key = value;
		return 0;
	case OPT_WITHIN:
		if (weir_option_duration("within", value, &d->within, err, errlen) < 0)
			return -1;
		if (d->within <= 0) {
			snprintf(err, errlen, "--within '%s' must be more than 0", value);
			return -1;
		}
		return 0;
	case OPT_KEEP:
		if (strcmp(value, "first") == 0)
			d->keep_last = false;
		else if (strcmp(value, "last") == 0)
			d->keep_last = true;
		else {
			snprintf(err, errlen, "bad value '%s' for --keep (expected first or last)", value);
			return -1;
		}
		return 0;
	case OPT_MAX_KEYS:
		return weir_option_count("max-keys", value, 1, 1000000000ULL, &d->max_keys, err, errlen);
	case OPT_DUPS:
		d->dups_path = value;
		return 0;
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct dedupe *d = ctx->prog_state;
	(void)argc;
	(void)argv;
	if (weir_keys_option(ctx, &d->keys, "--key", d->key, err, errlen) < 0)
		return -1;
	if (d->dups_path && (d->dups = fopen(d->dups_path, "ae")) == NULL) {
		snprintf(err, errlen, "cannot open dups file '%s': %s", d->dups_path,
		    strerror(errno));
		return -1;
	}
	if (d->within > 0) {
		/* a quarter of the buckets to a horizon */
		d->nbuckets = WHEEL_MIN;
		while (d->shift < 62 && ((int64_t)1 << d->shift) * (WHEEL_MIN / 4) < d->within)
			d->shift++;
		if ((d->wheel = malloc(d->nbuckets * sizeof *d->wheel)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memset(d->wheel, 0xff, d->nbuckets * sizeof *d->wheel);	/* NONE */
	}
	d->store = weir_store_new();
	if (d->store == NULL || slots_grow(d) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
teardown(void *state)
{
	struct dedupe *d = state;
	if (d->dups)
		fclose(d->dups);
	weir_keys_free(&d->keys);
	free(d->entries);
	free(d->held);
	free(d->slots);
	free(d->wheel);
	free(d->due);
	weir_store_free(d->store);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {
		.on_event = on_event, .on_scan = on_scan, .on_watermark = on_watermark,
		.on_end = on_end,
		.on_save = on_save, .on_restore = on_restore,
	};
	static struct dedupe d = {
		.max_keys = 1000000, .free_list = NONE, .lru_head = NONE, .lru_tail = NONE,
		.swept = INT64_MIN, .next_due = INT64_MIN,
	};
	static const struct weir_program program = {
		.name = "weir-dedupe",
		.synopsis = "weir-dedupe [--key FIELDS] [--within DUR] [--keep first|last] "
		    "[--max-keys N] [--dups FILE] [--state FILE] [options] [FILE ...]",
		.summary = "Drops repeated events by key within an event-time horizon, "
		    "in bounded memory.",
		.own_help =
		    "      --key FIELDS         the key (default: the whole line)\n"
		    "      --within DUR         horizon in event time after a key's last sighting\n"
		    "      --keep first|last    write the first at once (default), or the last "
		    "when the horizon closes\n"
		    "      --max-keys N         at most N keys; the least recently seen goes "
		    "(default 1000000)\n"
		    "      --dups FILE          append every dropped repeat to FILE\n"
		    "      --state FILE         checkpoint the keys at each barrier; resume\n",
		.features = WEIR_FEATURE_STATE,
		.options = own_options,
		.option = own_option,
		.state = &d,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
