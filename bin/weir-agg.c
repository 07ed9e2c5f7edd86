/*
 * weir-agg: grouped, windowed aggregation.
 *
 *   key (the --by values) ──► its groups: one per open window (or one for
 *                             all input, without windows)
 *   group: bounds, count, one cell per aggregate (lib/aggregate.h:
 *          moments, a raw value, a value set, a sketch ...)
 *   timers (lib/windows.h, shared with weir-window): FIRE at the window's
 *          end, DROP at end + --allowed-lateness, ordered by (due, phase,
 *          start, first event's arrival)
 *
 * A key holds a short list of its open groups (with 1m windows and a few
 * seconds of lag, one or two), so an event costs one hash lookup for its
 * key and a walk of that list, and no tree or copy of the line: the values
 * are read from the spans the scanner found.
 *
 * --partial writes each group's cells as JSON (sketches included) and
 * --merge reads such rows back, merging cells with the same functions that
 * join two sessions.  Raw values (min, max, first, last, collect, top,
 * distinct) travel in partial rows as JSON strings holding their text as
 * it came, so a merge writes them byte for byte.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/driver.h"
#include "../lib/fill.h"
#include "../lib/hash.h"
#include "../lib/keys.h"
#include "../lib/program.h"
#include "../lib/aggregate.h"
#include "../lib/sketch.h"
#include "../lib/windows.h"

#define MAX_AGGS 64

enum emit { EMIT_FINAL, EMIT_UPDATES, EMIT_EVERY };

struct key;

struct group {
	struct weir_wtimes t;	/* first: the timers point at it (windows.h);
				 * unwindowed: INT64_MIN, INT64_MAX */
	struct key *key;
	uint64_t count;
	bool dirty;		/* changed since its row was last written */
	bool listed;		/* on the --emit every list */
	bool shown;		/* a row for shown_start/end is out, not retracted */
	int64_t shown_start, shown_end;
	char *bounds;		/* upstream or merged windows: the bounds as they came */
	size_t bounds_len;
	struct group *next;	/* the key's other groups */
	struct group *dirty_next;
	union weir_cell cells[];
};

struct key {
	struct weir_held_key held;	/* first: its bytes and members (lib/keys.h) */
	size_t ngroups;
	struct group *groups;
};

struct agg {
	struct weir_window_spec w;	/* --window */
	int64_t offset, lateness;
	const char *tz, *having;
	struct weir_zone *zone;		/* --tz: windows follow its local time */
	enum emit emit;
	int64_t every;
	bool partial, merge;
	bool strings;			/* -S: a string is never a number */
	bool filling;			/* --fill: keys stay; empty windows get rows */
	const char *fill_value, *fill_keys;
	struct weir_fill fill;
	uint64_t retracted;		/* session rows withdrawn (retract_row_of) */
	struct weir_cells cells;	/* --exact, and the bytes cells hold */
	const char *window_spec;
	const char *by_list;
	struct weir_keys by;
	int start_slot, end_slot, partial_slot;

	struct weir_aggdef defs[MAX_AGGS];
	int ndefs;
	struct weir_number *numbers;	/* per definition, for the event at hand */

	struct weir_held_key *keys;	/* of struct key */
	struct weir_timers_heap timers;
	struct group *dirty;	/* --emit every: changed since the last tick */
	uint64_t seq;
	size_t live_groups;
	size_t group_size;
	struct weir_buf row;
	char *scratch;
	size_t scratch_cap;
};

/* --- keys and groups -------------------------------------------------------------- */

/* The key of an event (lib/keys.h), found or made. */
static struct key *
find_key(struct agg *ag, const struct weir_event *ev)
{
	return (struct key *)weir_held_key_of(&ag->keys, &ag->by, ev->fields, sizeof(struct key),
	    &ag->scratch, &ag->scratch_cap);
}

static struct group *
group_new(struct agg *ag, struct key *k, int64_t start, int64_t end, uint64_t seq)
{
	struct group *g = calloc(1, ag->group_size);
	if (g == NULL)
		return NULL;
	g->key = k;
	g->t.start = start;
	g->t.end = end;
	g->t.first = seq;
	g->next = k->groups;
	k->groups = g;
	k->ngroups++;
	ag->live_groups++;
	return g;
}

/* Takes a group out of its key (a key with no group left is forgotten)
 * and frees its cells; the group itself goes once no timer points to it. */
static void
group_release(struct agg *ag, struct group *g)
{
	struct key *k = g->key;
	struct group **pp = &k->groups;
	while (*pp && *pp != g)
		pp = &(*pp)->next;
	if (*pp)
		*pp = g->next;
	if (--k->ngroups == 0 && !ag->filling)
		weir_held_key_drop(&ag->keys, &k->held);
	g->key = NULL;
	for (int i = 0; i < ag->ndefs; i++)
		weir_cell_free(&ag->cells, &ag->defs[i], &g->cells[i]);
	free(g->bounds);
	g->bounds = NULL;
	g->t.dead = true;
	ag->live_groups--;
	if (g->t.timers == 0 && !g->listed)
		free(g);
}

static int
schedule(struct agg *ag, struct group *g, enum weir_phase phase)
{
	return weir_wtimes_schedule(&ag->timers, &g->t, phase, ag->lateness);
}

/* --- rows ---------------------------------------------------------------------------- */

static int
write_row(struct weir_ctx *ctx, struct agg *ag, struct group *g)
{
	struct weir_buf *b = &ag->row;
	const struct weir_held_key *h = &g->key->held;
	int rc = weir_window_row_open(b, h->members, h->members_len, g->bounds, g->bounds_len,
	    ag->zone, weir_output_repr(ctx), g->t.start, g->t.end);
	if (rc == 0)
		rc = weir_cells_row(b, b->n > 1, ag->defs, ag->ndefs, g->cells, g->count, ag->partial);
	if (rc == 0)
		rc = weir_buf_add(b, "}", 1);
	if (rc != 0)
		return weir_fail(ctx, "out of memory writing a row");
	g->dirty = false;
	g->shown = g->bounds == NULL && g->t.end != INT64_MAX && !ag->partial;
	g->shown_start = g->t.start;
	g->shown_end = g->t.end;
	return weir_emit_row(ctx, b->p, b->n);
}

/*
 * A session row that a merge superseded: when a session written out
 * (--emit updates or every:DUR, or fired and then grown by a late event
 * within --allowed-lateness) takes another in, or its bounds move, the row
 * of its old bounds is withdrawn with
 *
 *   {KEY...,"window_start":S,"window_end":E,"retract":true}
 *
 * before the new row, as Flink's UPDATE_BEFORE, so that a consumer that
 * keeps a table by key and bounds (a row replaces, a retraction deletes)
 * holds exactly the current sessions.
 */
static int
retract_row_of(struct weir_ctx *ctx, struct agg *ag, struct group *g)
{
	if (!g->shown)
		return 0;
	g->shown = false;
	struct weir_buf *b = &ag->row;
	const struct weir_held_key *h = &g->key->held;
	int rc = weir_window_row_open(b, h->members, h->members_len, NULL, 0, ag->zone,
	    weir_output_repr(ctx), g->shown_start, g->shown_end);
	if (rc == 0)
		rc = weir_buf_str(b, ",\"retract\":true}");
	if (rc != 0)
		return weir_fail(ctx, "out of memory writing a row");
	ag->retracted++;
	return weir_emit_row(ctx, b->p, b->n);
}

/* --- events ------------------------------------------------------------------------- */

static const struct weir_span no_value = {NULL, 0};

/* Reads the event's values for the numeric aggregates, once per event (a
 * time too for min and max); a value that is not one is counted against
 * its aggregate. */
static void
read_numbers(struct agg *ag, const struct weir_event *ev)
{
	for (int i = 0; i < ag->ndefs; i++) {
		struct weir_aggdef *def = &ag->defs[i];
		if (!weir_agg_is_numeric(def->func))
			continue;
		(def->func == WEIR_AGG_MIN || def->func == WEIR_AGG_MAX ? weir_extremum_read :
		    weir_number_read)(&ev->fields[def->slot], !ag->strings, &ag->numbers[i]);
		if (ag->numbers[i].kind == NUM_BAD)
			def->rejected++;
	}
}

static int
take(struct weir_ctx *ctx, struct agg *ag, struct group *g, const struct weir_event *ev,
    uint64_t seq)
{
	g->count++;
	for (int i = 0; i < ag->ndefs; i++) {
		const struct weir_aggdef *def = &ag->defs[i];
		const struct weir_span *v = def->slot >= 0 ? &ev->fields[def->slot] : &no_value;
		if (weir_cell_add(&ag->cells, def, &g->cells[i], v, &ag->numbers[i], seq) < 0)
			return weir_fail(ctx, "out of memory in %zu groups", ag->live_groups);
	}
	g->dirty = true;
	return 0;
}

/* After a group changed: an open window waits for its timer (writing its
 * row now under --emit updates, or listing it for the next tick under
 * every:DUR); one whose end has passed (a late event within
 * --allowed-lateness) fires again now and is kept until end + lateness. */
static int
settle(struct weir_ctx *ctx, struct agg *ag, struct group *g, bool is_new, bool moved)
{
	int rc = 0;
	if (ctx->watermark == WEIR_TIME_NONE || g->t.end > ctx->watermark) {
		if (is_new || g->t.kept) {
			if (g->t.kept)
				g->t.version++;	/* open again: its DROP timer is stale */
			g->t.kept = false;
			if (schedule(ag, g, WEIR_FIRE) < 0)
				return weir_fail(ctx, "out of memory");
		}
		if (ag->emit == EMIT_UPDATES) {
			rc = write_row(ctx, ag, g);
		} else if (ag->emit == EMIT_EVERY && !g->listed) {
			g->listed = true;
			g->dirty_next = ag->dirty;
			ag->dirty = g;
		}
		return rc;
	}
	rc = write_row(ctx, ag, g);
	if (rc == 0 && (is_new || moved || !g->t.kept)) {
		g->t.version++;
		g->t.kept = true;
		if (schedule(ag, g, WEIR_DROP) < 0)
			rc = weir_fail(ctx, "out of memory");
	}
	return rc;
}

static struct group *
find_group(struct key *k, int64_t start, int64_t end)
{
	for (struct group *g = k->groups; g; g = g->next)
		if (g->t.start == start && g->t.end == end)
			return g;
	return NULL;
}

/* Forgets a key that only a late event brought. */
static void
drop_empty_key(struct agg *ag, struct key *k)
{
	if (k->ngroups == 0 && !ag->filling)
		weir_held_key_drop(&ag->keys, &k->held);
}

static bool
gone(const struct weir_ctx *ctx, const struct agg *ag, int64_t end)
{
	return ctx->watermark != WEIR_TIME_NONE &&
	    weir_time_add_sat(end, ag->lateness) <= ctx->watermark;
}

/* A window from upstream: its bounds as they came, for its rows. */
static int
keep_bounds(struct group *g, const struct weir_span *start, const struct weir_span *end)
{
	struct weir_buf b = {0};
	if (weir_buf_str(&b, "\"window_start\":") < 0 || weir_buf_add(&b, start->p, start->n) < 0 ||
	    weir_buf_str(&b, ",\"window_end\":") < 0 || weir_buf_add(&b, end->p, end->n) < 0) {
		weir_buf_free(&b);
		return -1;
	}
	g->bounds = b.p;
	g->bounds_len = b.n;
	return 0;
}

/* Tumbling and sliding windows, and windows that came from upstream
 * (bounds given: their text is kept for the rows). */
static int
fixed(struct weir_ctx *ctx, struct agg *ag, const struct weir_event *ev,
    int64_t first, int64_t last, int64_t size, int64_t step, struct weir_zone *zone,
    const struct weir_span *start_text, const struct weir_span *end_text)
{
	struct key *k = find_key(ag, ev);
	if (k == NULL)
		return weir_fail(ctx, "out of memory");
	uint64_t seq = ag->seq++;
	bool taken = false;
	for (int64_t local = first;; local += step) {
		int64_t s = local, end = INT64_MAX;
		if (size != INT64_MAX)
			weir_window_bounds(zone, local, size, &s, &end);
		if (!gone(ctx, ag, end)) {
			if (!taken)
				read_numbers(ag, ev);
			taken = true;
			struct group *g = find_group(k, s, end);
			bool is_new = g == NULL;
			if (is_new) {
				if ((g = group_new(ag, k, s, end, seq)) == NULL)
					return weir_fail(ctx, "out of memory");
				if (start_text && keep_bounds(g, start_text, end_text) < 0)
					return weir_fail(ctx, "out of memory");
			}
			int rc = take(ctx, ag, g, ev, seq);
			if (rc == 0)
				rc = settle(ctx, ag, g, is_new, false);
			if (rc != 0)
				return rc;
		}
		if (local == last)
			break;
	}
	if (!taken) {
		drop_empty_key(ag, k);
		return weir_late(ctx, ev);	/* every window it belongs to is gone */
	}
	ctx->count.out++;
	return 0;
}

struct joining {
	struct weir_ctx *ctx;
	struct agg *ag;
};

/* A session the event joined goes into the earliest (weir_sessions_absorb):
 * its row out is withdrawn, its cells folded in. */
static int
absorb(void *arg, struct weir_wtimes *into, struct weir_wtimes *from)
{
	struct joining *jn = arg;
	struct agg *ag = jn->ag;
	struct group *g = (struct group *)into, *f = (struct group *)from;
	int rc = retract_row_of(jn->ctx, ag, f);
	if (rc != 0)
		return rc;
	for (int i = 0; i < ag->ndefs; i++)
		if (weir_cell_merge(&ag->cells, &ag->defs[i], &g->cells[i], &f->cells[i]) < 0)
			return weir_fail(jn->ctx, "out of memory");
	g->count += f->count;
	group_release(ag, f);
	return 0;
}

static int
session(struct weir_ctx *ctx, struct agg *ag, const struct weir_event *ev)
{
	int64_t end;
	if (__builtin_add_overflow(ev->t, ag->w.gap, &end))
		return weir_reject(ctx, ev, "window out of range");
	struct key *k = find_key(ag, ev);
	if (k == NULL)
		return weir_fail(ctx, "out of memory");
	/* [t, t + gap) joins every session of the key it overlaps; the
	 * earliest of them takes in the others */
	const size_t next = offsetof(struct group, next);
	struct group *into = (struct group *)weir_session_find(&k->groups, next, NULL, ev->t, end);
	if (into == NULL && gone(ctx, ag, end)) {
		drop_empty_key(ag, k);
		return weir_late(ctx, ev);
	}
	uint64_t seq = ag->seq++;
	bool is_new = into == NULL, moved = false;
	if (is_new) {
		if ((into = group_new(ag, k, ev->t, end, seq)) == NULL)
			return weir_fail(ctx, "out of memory");
	} else {
		/* rows out for bounds that change are withdrawn, in start order
		 * (into first) */
		int64_t old_start = into->t.start;
		moved = ev->t < into->t.start || end > into->t.end ||
		    weir_session_find(&k->groups, next, &into->t, ev->t, end) != NULL;
		struct joining jn = {ctx, ag};
		int rc = moved ? retract_row_of(ctx, ag, into) : 0;
		if (rc == 0)
			rc = weir_sessions_absorb(&k->groups, next, &into->t, ev->t, end, absorb, &jn);
		if (rc != 0)
			return rc;
		if (weir_wtimes_cover(&ag->timers, &into->t, ev->t, end, old_start, ag->lateness) < 0)
			return weir_fail(ctx, "out of memory");
	}
	read_numbers(ag, ev);
	int rc = take(ctx, ag, into, ev, seq);
	if (rc == 0)
		rc = settle(ctx, ag, into, is_new, moved);
	if (rc == 0)
		ctx->count.out++;
	return rc;
}

/* --merge: one partial row, folded into its group. */
static int
merge_row(struct weir_ctx *ctx, struct agg *ag, const struct weir_event *ev)
{
	const struct weir_span *p = &ev->fields[ag->partial_slot];
	int64_t start = INT64_MIN, end = INT64_MAX;
	const char *why = NULL;
	const struct weir_span *ws = &ev->fields[ag->start_slot], *we = &ev->fields[ag->end_slot];
	int windowed = weir_window_read(ws, we, &start, &end, &why);
	if (windowed < 0)
		return weir_reject(ctx, ev, why);
	if (p->p == NULL)
		return weir_reject(ctx, ev, "not a partial row (no _partial member)");
	union weir_cell *cells = calloc((size_t)ag->ndefs, sizeof *cells);
	if (cells == NULL)
		return weir_fail(ctx, "out of memory");
	uint64_t seq = ag->seq++, count = 0;
	int bad, rc = 0;
	struct group *g = NULL;
	struct key *k = NULL;
	if (weir_cells_from_partial(&ag->cells, ag->defs, ag->ndefs, p->p, p->n, seq, cells, &count,
	    &bad) < 0) {
		char msg[256];
		if (bad < 0)
			snprintf(msg, sizeof msg, "not a partial row of this version");
		else
			snprintf(msg, sizeof msg, "partial row has no valid state for '%s' "
			    "(were the shards run with the same aggregates?)", ag->defs[bad].plain);
		rc = weir_reject(ctx, ev, msg);
		goto out;
	}
	if ((k = find_key(ag, ev)) == NULL) {
		rc = weir_fail(ctx, "out of memory");
		goto out;
	}
	g = find_group(k, start, end);
	if (g == NULL) {
		if ((g = group_new(ag, k, start, end, seq)) == NULL) {
			rc = weir_fail(ctx, "out of memory");
			goto out;
		}
		if ((windowed && keep_bounds(g, ws, we) < 0) || schedule(ag, g, WEIR_FIRE) < 0) {
			rc = weir_fail(ctx, "out of memory");
			goto out;
		}
	}
	for (int i = 0; i < ag->ndefs && rc == 0; i++)
		if (weir_cell_merge(&ag->cells, &ag->defs[i], &g->cells[i], &cells[i]) < 0)
			rc = weir_fail(ctx, "out of memory");
	g->count += count;
	ctx->count.out++;
out:
	for (int i = 0; i < ag->ndefs; i++)
		weir_cell_free(&ag->cells, &ag->defs[i], &cells[i]);
	free(cells);
	return rc;
}

static void
update_gauges(struct weir_ctx *ctx, struct agg *ag)
{
	ctx->count.held = 0;	/* events are folded into groups, not held */
	int64_t bytes = (int64_t)(ag->live_groups * ag->group_size +
	    HASH_COUNT(ag->keys) * sizeof(struct key) + ag->timers.cap * sizeof(struct weir_timer)) +
	    ag->cells.bytes;
	ctx->count.state_bytes = bytes > 0 ? (uint64_t)bytes : 0;
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct agg *ag = ctx->prog_state;
	int rc;
	int64_t first, last, start, end;
	const char *why = NULL;
	switch (ag->w.kind) {
	case WEIR_WINDOW_TUMBLING:
	case WEIR_WINDOW_SLIDING: {
		int64_t step = ag->w.kind == WEIR_WINDOW_SLIDING ? ag->w.slide : ag->w.size;
		if (weir_window_starts_in(ag->zone, ev->t, ag->w.size, step, ag->offset, &first,
		    &last) < 0)
			return weir_reject(ctx, ev, "window out of range");
		rc = fixed(ctx, ag, ev, first, last, ag->w.size, step, ag->zone, NULL, NULL);
		break;
	}
	case WEIR_WINDOW_SESSION:
		rc = session(ctx, ag, ev);
		break;
	default:
		if (ag->merge) {
			rc = merge_row(ctx, ag, ev);
			break;
		}
		const struct weir_span *ws = &ev->fields[ag->start_slot], *we = &ev->fields[ag->end_slot];
		switch (weir_window_read(ws, we, &start, &end, &why)) {
		case 1:
			rc = fixed(ctx, ag, ev, start, start, end - start, 1, NULL, ws, we);
			break;
		case 0:
			rc = fixed(ctx, ag, ev, INT64_MIN, INT64_MIN, INT64_MAX, 1, NULL, NULL, NULL);
			break;
		default:
			return weir_reject(ctx, ev, why);
		}
	}
	if ((ag->seq & 1023) == 0)
		update_gauges(ctx, ag);
	return rc;
}

/* Writes the listed groups' rows in (end, start, first seen) order. */
static int
on_tick(struct weir_ctx *ctx)
{
	struct agg *ag = ctx->prog_state;
	size_t n = 0, i = 0;
	for (struct group *g = ag->dirty; g; g = g->dirty_next)
		n++;
	struct weir_timer *order = malloc((n ? n : 1) * sizeof *order);
	if (order == NULL)
		return weir_fail(ctx, "out of memory");
	for (struct group *g = ag->dirty, *next; g; g = next) {
		next = g->dirty_next;
		g->listed = false;
		if (g->t.dead) {
			if (g->t.timers == 0)
				free(g);
		} else if (g->dirty) {
			order[i++] = (struct weir_timer){g->t.end, g->t.start, g->t.first, &g->t, 0,
			    WEIR_FIRE};
		}
	}
	ag->dirty = NULL;
	struct weir_timers_heap h = {order, i, n ? n : 1};
	int rc = 0;
	while (rc == 0 && h.n > 0)
		rc = write_row(ctx, ag, (struct group *)weir_timers_pop(&h).w);
	free(order);
	return rc;
}

/* What weir_windows_fire does with a group (arg: the context). */
static int
fire_due(void *arg, struct weir_wtimes *t)
{
	struct agg *ag = ((struct weir_ctx *)arg)->prog_state;
	struct group *g = (struct group *)t;
	int rc = ag->filling ? weir_fill_before(&ag->fill, &g->key->held, g->t.start, g->t.end) : 0;
	if (rc == 0 && (ag->emit == EMIT_FINAL || g->dirty))
		rc = write_row(arg, ag, g);
	return rc;
}

static void
release_due(void *arg, struct weir_wtimes *t)
{
	group_release(((struct weir_ctx *)arg)->prog_state, (struct group *)t);
}

static void
destroy_group(void *arg, struct weir_wtimes *t)
{
	(void)arg;
	if (!((struct group *)t)->listed)
		free(t);	/* the group it opens; a listed one goes in on_tick */
}

/* Fires every window whose end the watermark reached, in (end, start,
 * first event's arrival) order, and drops those past their allowed
 * lateness. */
static int
on_watermark(struct weir_ctx *ctx, int64_t watermark)
{
	struct agg *ag = ctx->prog_state;
	if (ag->merge && watermark != INT64_MAX)
		return 0;	/* shards' watermarks: see weir-agg(1), --merge */
	bool oom;
	const struct weir_fire_ops ops = {fire_due, release_due, destroy_group, ctx};
	int rc = weir_windows_fire(&ag->timers, watermark, ag->lateness,
	    ag->lateness > 0 && watermark != INT64_MAX, &ops, &oom);
	if (oom)
		rc = weir_fail(ctx, "out of memory");
	if (rc == 0 && ag->filling)
		rc = weir_fill_through(&ag->fill, watermark);
	update_gauges(ctx, ag);
	return rc;
}

/* End of input is a watermark at +infinity: every open window fires in
 * order, then the groups without windows. */
static int
on_end(struct weir_ctx *ctx)
{
	struct agg *ag = ctx->prog_state;
	int rc = on_watermark(ctx, INT64_MAX);
	struct weir_buf b = {0};
	weir_aggdefs_rejected(ag->defs, ag->ndefs, ctx->prog, &b);
	if (b.n > 0)
		fwrite(b.p, 1, b.n, ctx->diag);
	weir_buf_free(&b);
	return rc;
}

/* --- checkpoints (--state) ------------------------------------------------------- */

/*
 * Every live group, key by key in the order keys came, each key's groups in
 * list order: bounds, counts, flags, and each cell as --partial writes it
 * plus the arrival numbers the partial form leaves out (first, last,
 * collect), so that a restored group writes the same bytes.  Timers are
 * not written: each live group has exactly one that matters, rebuilt.
 */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct agg *ag = ctx->prog_state;
	struct weir_buf cell = {0};
	int rc = weir_put_u64(b, ag->seq) | weir_put_u64(b, (uint64_t)ag->ndefs);
	for (int i = 0; i < ag->ndefs; i++)
		rc |= weir_put_u64(b, ag->defs[i].rejected);
	rc |= weir_put_u64(b, HASH_COUNT(ag->keys));
	for (struct weir_held_key *h = ag->keys; h && rc == 0; h = h->hh.next) {
		const struct key *k = (const struct key *)h;
		rc |= weir_put_bytes(b, h->bytes, h->len) |
		    weir_put_bytes(b, h->members, h->members_len) | weir_put_u64(b, k->ngroups);
		for (struct group *g = k->groups; g && rc == 0; g = g->next) {
			rc |= weir_put_i64(b, g->t.start) | weir_put_i64(b, g->t.end) |
			    weir_put_u64(b, g->t.first) | weir_put_u64(b, g->count) |
			    weir_put_u64(b, (uint64_t)g->t.kept | (uint64_t)g->dirty << 1 |
			    (uint64_t)(g->bounds != NULL) << 2) |
			    weir_put_bytes(b, g->bounds, g->bounds_len);
			for (int i = 0; i < ag->ndefs && rc == 0; i++)
				rc |= weir_cell_save(&ag->defs[i], &g->cells[i], b, &cell);
		}
		if (ag->filling)
			rc |= weir_fill_key_save(h, b);
	}
	if (ag->filling)
		rc |= weir_fill_save(&ag->fill, b);
	weir_buf_free(&cell);
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
restore_group(struct weir_ctx *ctx, struct agg *ag, struct key *k, struct weir_get *g)
{
	int64_t start = weir_get_i64(g), end = weir_get_i64(g);
	uint64_t seq = weir_get_u64(g), count = weir_get_u64(g), flags = weir_get_u64(g);
	size_t blen;
	const char *bounds = weir_get_bytes(g, &blen);
	if (g->bad)
		return -1;
	struct group *gr = group_new(ag, k, start, end, seq);
	if (gr == NULL)
		return weir_fail(ctx, "out of memory restoring state");
	gr->count = count;
	gr->t.kept = flags & 1;
	gr->dirty = flags & 2;
	if (flags & 4) {
		if ((gr->bounds = malloc(blen ? blen : 1)) == NULL)
			return weir_fail(ctx, "out of memory restoring state");
		memcpy(gr->bounds, bounds, blen);
		gr->bounds_len = blen;
	}
	for (int i = 0; i < ag->ndefs; i++)
		if (weir_cell_restore(&ag->cells, &ag->defs[i], &gr->cells[i], g, seq) < 0) {
			g->bad = true;
			return -1;
		}
	if (schedule(ag, gr, gr->t.kept ? WEIR_DROP : WEIR_FIRE) < 0)
		return weir_fail(ctx, "out of memory restoring state");
	if (gr->dirty && ag->emit == EMIT_EVERY) {
		gr->listed = true;
		gr->dirty_next = ag->dirty;
		ag->dirty = gr;
	}
	return 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct agg *ag = ctx->prog_state;
	ag->seq = weir_get_u64(g);
	if (weir_get_u64(g) != (uint64_t)ag->ndefs)
		return -1;
	for (int i = 0; i < ag->ndefs; i++)
		ag->defs[i].rejected = weir_get_u64(g);
	uint64_t nkeys = weir_get_count(g, 24);
	for (uint64_t i = 0; i < nkeys && !g->bad; i++) {
		size_t len, mlen;
		const char *bytes = weir_get_bytes(g, &len);
		const char *members = weir_get_bytes(g, &mlen);
		uint64_t ngroups = weir_get_count(g, 40);
		if (g->bad || (ngroups == 0 && !ag->filling))
			return -1;
		struct key *k = (struct key *)weir_held_key_add(&ag->keys, bytes, len, members, mlen,
		    sizeof *k);
		if (k == NULL)
			return weir_fail(ctx, "out of memory restoring state");
		for (uint64_t j = 0; j < ngroups; j++)
			if (restore_group(ctx, ag, k, g) < 0)
				return -1;
		/* group_new put each first: back to the order they were in */
		struct group *rev = NULL;
		for (struct group *gr = k->groups, *next; gr; gr = next) {
			next = gr->next;
			gr->next = rev;
			rev = gr;
		}
		k->groups = rev;
		if (ag->filling)
			weir_fill_key_restore(&k->held, g);
	}
	if (ag->filling)
		weir_fill_restore(&ag->fill, g);
	update_gauges(ctx, ag);
	return g->bad ? -1 : 0;
}

static void
on_stats(struct weir_ctx *ctx, FILE *f)
{
	struct agg *ag = ctx->prog_state;
	update_gauges(ctx, ag);
	struct weir_buf b = {0};
	weir_aggdefs_rejected_json(ag->defs, ag->ndefs, &b);
	fprintf(f, ",\"groups\":%zu,\"retracted\":%llu,\"values_rejected\":%.*s", ag->live_groups,
	    (unsigned long long)ag->retracted, (int)b.n, b.p ? b.p : "");
	if (ag->filling)
		fprintf(f, ",\"filled\":%llu", (unsigned long long)ag->fill.rows);
	weir_buf_free(&b);
}

/* --- options ------------------------------------------------------------------------ */

enum {
	OPT_ALLOWED_LATENESS = 1, OPT_BY, OPT_EMIT, OPT_EXACT, OPT_MERGE, OPT_OFFSET,
	OPT_PARTIAL, OPT_WINDOW, OPT_TZ, OPT_HAVING, OPT_FILL, OPT_FILL_KEYS, OPT_STRINGS = 'S',
};

static const struct weir_optdef own_options[] = {
	{"allowed-lateness", 0, 1, OPT_ALLOWED_LATENESS, "DUR"},
	{"by", 0, 1, OPT_BY, "FIELDS"},
	{"emit", 0, 1, OPT_EMIT, "final|updates|every:DUR"},
	{"exact", 0, 0, OPT_EXACT, NULL},
	{"fill", 0, 2, OPT_FILL, "VALUE"},
	{"fill-keys", 0, 1, OPT_FILL_KEYS, "FILE"},
	{"having", 0, 1, OPT_HAVING, "EXPR"},
	{"merge", 0, 0, OPT_MERGE, NULL},
	{"offset", 0, 1, OPT_OFFSET, "DUR"},
	{"partial", 0, 0, OPT_PARTIAL, NULL},
	{"strings", 'S', 0, OPT_STRINGS, NULL},
	{"tz", 0, 1, OPT_TZ, "ZONE"},
	{"window", 0, 1, OPT_WINDOW, "SIZE|SIZE/SLIDE|session:GAP"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct agg *ag = arg;
	switch (id) {
	case OPT_ALLOWED_LATENESS:
		return weir_option_duration("allowed-lateness", value, &ag->lateness, err, errlen);
	case OPT_BY:
		ag->by_list = value;
		return 0;
	case OPT_EMIT:
		if (strcmp(value, "final") == 0) {
			ag->emit = EMIT_FINAL;
		} else if (strcmp(value, "updates") == 0) {
			ag->emit = EMIT_UPDATES;
		} else if (strncmp(value, "every:", 6) == 0 &&
		    weir_duration_parse(value + 6, &ag->every) == 0 && ag->every > 0) {
			ag->emit = EMIT_EVERY;
		} else {
			snprintf(err, errlen, "bad --emit '%s' (expected final, updates or "
			    "every:DUR, e.g. every:10s)", value);
			return -1;
		}
		return 0;
	case OPT_EXACT:
		ag->cells.exact = true;
		return 0;
	case OPT_MERGE:
		ag->merge = true;
		return 0;
	case OPT_OFFSET:
		return weir_option_duration("offset", value, &ag->offset, err, errlen);
	case OPT_PARTIAL:
		ag->partial = true;
		return 0;
	case OPT_STRINGS:
		ag->strings = true;
		return 0;
	case OPT_TZ:
	case OPT_HAVING:
		*(id == OPT_TZ ? &ag->tz : &ag->having) = value;
		return 0;
	case OPT_FILL:
	case OPT_FILL_KEYS:
		ag->filling = true;
		*(id == OPT_FILL ? &ag->fill_value : &ag->fill_keys) = value;
		return 0;
	case OPT_WINDOW:
		ag->window_spec = value;
		return weir_window_spec_parse(value, &ag->w, err, errlen);
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct agg *ag = ctx->prog_state;
	int used = weir_aggdefs_operands(ctx->plan, ag->defs, MAX_AGGS, &ag->ndefs, argc, argv, err,
	    errlen);
	if (used < 0)
		return -1;
	if (ag->offset != 0 && ag->w.kind != WEIR_WINDOW_TUMBLING && ag->w.kind != WEIR_WINDOW_SLIDING) {
		snprintf(err, errlen, "--offset applies to --window SIZE and SIZE/SLIDE");
		return -1;
	}
	if (ag->tz && (ag->zone = weir_zone_open(ag->tz, err, errlen)) == NULL)
		return -1;
	if (ag->filling && ag->w.kind != WEIR_WINDOW_TUMBLING && ag->w.kind != WEIR_WINDOW_SLIDING) {
		snprintf(err, errlen, "--fill fills the windows of --window SIZE or SIZE/SLIDE");
		return -1;
	}
	if (ag->filling && weir_fill_init(&ag->fill, &ag->w, ag->zone, &ag->keys, ctx, ag->defs,
	    ag->ndefs, ag->partial, ag->fill_value, err, errlen) < 0)
		return -1;
	if (ag->having && (ag->emit != EMIT_FINAL || ag->partial)) {
		snprintf(err, errlen, "--having takes the final rows: not --emit updates/every "
		    "or --partial");
		return -1;
	}
	if (ag->having && weir_having(ctx, ag->having, err, errlen) < 0)
		return -1;
	if (ctx->opts->top && (ag->emit != EMIT_FINAL || ag->partial || ag->lateness > 0 ||
	    ag->w.kind == WEIR_WINDOW_SESSION)) {
		snprintf(err, errlen, "--top ranks the final rows of windows every key shares: not "
		    "with --emit updates/every, --partial, --allowed-lateness or sessions");
		return -1;
	}
	if (ag->partial && (ag->emit != EMIT_FINAL || ag->lateness > 0)) {
		snprintf(err, errlen, "--partial writes each group once, when it closes: it "
		    "takes neither --emit updates/every nor --allowed-lateness");
		return -1;
	}
	if (ag->merge && (ag->w.kind != WEIR_WINDOW_NONE || ag->emit != EMIT_FINAL || ag->lateness > 0)) {
		snprintf(err, errlen, "--merge takes its windows from the partial rows and writes "
		    "at end of input: no --window, --emit or --allowed-lateness");
		return -1;
	}
	const char *columns[MAX_AGGS];
	for (int i = 0; i < ag->ndefs; i++)
		columns[i] = ag->defs[i].plain;
	if (weir_keys_option(ctx, &ag->by, "--by", ag->by_list, err, errlen) < 0 ||
	    weir_top(ctx, &ag->by, columns, ag->ndefs, err, errlen) < 0)
		return -1;
	if (ag->fill_keys && weir_held_keys_load(&ag->keys, &ag->by, ctx->plan, sizeof(struct key),
	    ag->fill_keys, err, errlen) < 0)
		return WEIR_SETUP_FAILED;
	for (int i = 0; i < ag->ndefs && !ag->merge; i++)
		weir_watch_field(ctx, ag->defs[i].spec, ag->defs[i].slot, ag->defs[i].field);
	ag->start_slot = weir_plan_add(ctx->plan, "window_start");
	ag->end_slot = weir_plan_add(ctx->plan, "window_end");
	if (ag->merge) {
		ag->partial_slot = weir_plan_add(ctx->plan, "_partial");
		ctx->untimed = true;	/* partial rows have no event time */
		ctx->report_only = true;	/* protocol lines: see the man page */
	}
	if (ag->emit == EMIT_EVERY)
		ctx->tick_every = ag->every;
	ag->group_size = sizeof(struct group) + (size_t)ag->ndefs * sizeof(union weir_cell);
	ag->numbers = calloc((size_t)ag->ndefs, sizeof *ag->numbers);
	if (ag->numbers == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return used;
}

static void
teardown(void *state)
{
	struct agg *ag = state;
	while (ag->timers.n > 0) {
		struct group *g = (struct group *)weir_timers_pop(&ag->timers).w;
		if (--g->t.timers == 0) {
			if (!g->t.dead)
				group_release(ag, g);
			else if (!g->listed)
				free(g);
		}
	}
	weir_timers_free(&ag->timers);
	for (struct group *g = ag->dirty, *next; g; g = next) {
		next = g->dirty_next;
		if (g->t.dead && g->t.timers == 0)
			free(g);
	}
	for (int i = 0; i < ag->ndefs; i++)
		weir_aggdef_free(&ag->defs[i]);
	weir_keys_free(&ag->by);
	free(ag->numbers);
	weir_buf_free(&ag->row);
	weir_fill_free(&ag->fill);
	free(ag->scratch);
	weir_zone_free(ag->zone);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {
		.on_event = on_event,
		.on_watermark = on_watermark,
		.on_end = on_end,
		.on_tick = on_tick,
		.on_stats = on_stats,
		.on_save = on_save,
		.on_restore = on_restore,
	};
	static struct agg ag;
	static const struct weir_program program = {
		.name = "weir-agg",
		.synopsis = "weir-agg [--by FIELDS] [--window SIZE|SIZE/SLIDE|session:GAP] "
		    "[--emit final|updates|every:DUR] [--state FILE] [options] AGG... [FILE ...]\n"
		    "       weir-agg --partial ... AGG...\n"
		    "       weir-agg --merge [--by FIELDS] AGG... [FILE ...]",
		.summary = "Aggregates events by key and window: count, sum, avg, percentiles, "
		    "distinct, top-k ...",
		.own_help =
		    "      --by FIELDS          group by these fields (paths, comma separated)\n"
		    "      --window SPEC        1m (tumbling), 10m/1m (sliding) or session:30s\n"
		    "      --offset DUR         shift window bounds from the epoch by DUR\n"
		    "      --tz ZONE            windows follow local time in ZONE (Europe/Paris)\n"
		    "      --having EXPR        only rows for which EXPR is true (count > 100)\n"
		    "      --top N --rank-by NAME [--desc]  each window's N first rows by NAME\n"
		    "      --emit MODE          final (default), updates, or every:DUR\n"
		    "      --fill[=VALUE], --fill-keys FILE  a row for each key (and each in FILE) a window\n"
		    "      --allowed-lateness DUR  keep closed windows DUR longer; late events re-fire them\n"
		    "      --exact              percentiles from all values instead of a sketch\n"
		    "  -S, --strings            a string is never a number (\"0.12\" is 0.12 without)\n"
		    "      --partial            write each group's state, for --merge\n"
		    "      --merge              combine partial rows from several shards\n"
		    "      --time-output FMT    rfc3339, epoch, epoch_ms, epoch_us or epoch_ns bounds\n"
		    "      --punctuate DUR      a watermark line at each multiple of DUR, after its rows\n"
		    "      --state FILE         checkpoint the groups at each barrier; resume\n"
		    "AGG: count, count:F, sum:F, min:F, max:F, avg:F, stddev:F, var:F, first:F,\n"
		    "     last:F, distinct:F, approx_distinct:F, pNN:F, median:F, top:K:F,\n"
		    "     collect:F, hist:F:50,100,250; AGG=NAME renames the output field\n",
		.features = WEIR_FEATURE_TIME_OUTPUT | WEIR_FEATURE_STATE | WEIR_FEATURE_TOP |
		    WEIR_FEATURE_PUNCTUATE,
		.options = own_options,
		.option = own_option,
		.state = &ag,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
