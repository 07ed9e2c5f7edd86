/*
 * windows.h: which fixed windows hold an event time.
 *
 * Windows are half-open [start, start + size), their starts the multiples
 * of `step` from the epoch shifted by `offset` (SPEC §5).  Tumbling windows
 * have step == size; sliding windows step by their slide, so an event lies
 * in about size / step of them.  weir-window and weir-agg assign events
 * with this one function, so both put an event in the same windows.
 *
 * Held windows (weir-window's windows and sessions, weir-agg's groups)
 * share their timing too: a FIRE timer at the window's end, a DROP timer at
 * end + allowed lateness, in a heap ordered by (due, phase, start, the
 * arrival of the window's first event), the one tie rule of SPEC §5.  An
 * open window has one FIRE timer: when a session grows, the timer is not
 * replaced but pushed again with the current end when it comes due, so
 * timers never multiply with events.  A window that changes after it fired
 * (a late event within the allowed lateness) bumps its version, which makes
 * its older timers stale.  A window is freed only when no timer refers to
 * it any more.
 *
 * The program embeds a weir_wtimes in its window and owns both; the heap
 * owns its items, which point into the program's windows.
 */
#ifndef WEIR_WINDOWS_H
#define WEIR_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "heap.h"
#include "zone.h"

/*
 * The starts of the windows holding t: *first .. *last in steps of `step`,
 * each with start <= t < start + size.  size >= step > 0.  Returns -1 when
 * a bound would fall outside the int64 range of times.
 */
int weir_window_starts(int64_t t, int64_t size, int64_t step, int64_t offset,
    int64_t *first, int64_t *last);

/* The same over local time in zone z (--tz; NULL for UTC): the windows'
 * starts are local times (lib/zone.h), which weir_window_bounds turns into
 * instants. */
static inline int
weir_window_starts_in(struct weir_zone *z, int64_t t, int64_t size, int64_t step,
    int64_t offset, int64_t *first, int64_t *last)
{
	return weir_window_starts(z ? weir_zone_local(z, t) : t, size, step, offset, first, last);
}

/* The bounds of the window of local start s and `size` as instants: with a
 * zone, from its start's first instant until its end's last (a day window
 * is 23 or 25 hours when the clocks change); without, [s, s + size). */
static inline void
weir_window_bounds(struct weir_zone *z, int64_t s, int64_t size, int64_t *start, int64_t *end)
{
	if (z == NULL) {
		*start = s;
		*end = s + size;	/* weir_window_starts checked it */
		return;
	}
	*start = weir_zone_from(z, s);
	*end = weir_zone_until(z, s + size);
}

/* Writes `"window_start":S,"window_end":E` in representation repr (RFC
 * 3339 in local time when z is not NULL) into buf, which holds at least
 * WEIR_WINDOW_BOUNDS_BUFSZ bytes; returns the length. */
#define WEIR_WINDOW_BOUNDS_BUFSZ (2 * WEIR_TIME_BUFSZ + 32)
size_t weir_window_bounds_json(struct weir_zone *z, enum weir_repr repr, int64_t start,
    int64_t end, char *buf);

/* Starts the row of a key's window in b (emptied first): `{`, the key's
 * members (mlen 0: none), then the window's bounds, `bounds` as they came
 * (an upstream window's) when not NULL, else [start, end) as
 * weir_window_bounds_json writes them, and none when end is INT64_MAX.
 * The caller adds the rest and the `}`, with a comma first when b->n > 1.
 * -1 when memory ran out. */
struct weir_buf;
int weir_window_row_open(struct weir_buf *b, const char *members, size_t mlen,
    const char *bounds, size_t blen, struct weir_zone *z, enum weir_repr repr, int64_t start,
    int64_t end);

/* A window as a command line gives it: SIZE (tumbling), SIZE/SLIDE
 * (sliding) or session:GAP, each a duration above 0 (1m, 10m/1m,
 * session:30s). */
enum weir_window_kind {
	WEIR_WINDOW_NONE, WEIR_WINDOW_TUMBLING, WEIR_WINDOW_SLIDING, WEIR_WINDOW_SESSION,
};

struct weir_window_spec {
	enum weir_window_kind kind;
	int64_t size, slide, gap;	/* ns */
};

/* Parses v into *w; -1 with a usage message (naming `v`) in err. */
int weir_window_spec_parse(const char *v, struct weir_window_spec *w, char *err, size_t errlen);

/* Reads the window_start and window_end an event carries (a row of an
 * upstream weir-window or weir-agg, any time form): 1 when both are there,
 * 0 when neither is, -1 with *why otherwise. */
int weir_window_read(const struct weir_span *start, const struct weir_span *end, int64_t *s,
    int64_t *e, const char **why);

/* A held window's bounds and timing, embedded in the program's window. */
struct weir_wtimes {
	int64_t start, end;
	uint64_t first;		/* arrival of its first event: ties in output */
	uint64_t version;	/* bumped when its timers go stale */
	unsigned timers;	/* heap entries that point here */
	bool kept;		/* fired; kept until end + allowed lateness */
	bool dead;		/* merged away or dropped: waits for its timers */
};

enum weir_phase { WEIR_FIRE, WEIR_DROP };

struct weir_timer {
	int64_t due;
	int64_t start;
	uint64_t first;
	struct weir_wtimes *w;
	uint64_t version;
	enum weir_phase phase;
};

static inline bool
weir_timer_before(const struct weir_timer *a, const struct weir_timer *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	if (a->phase != b->phase)
		return a->phase < b->phase;	/* fire before drop at the same instant */
	if (a->start != b->start)
		return a->start < b->start;
	return a->first < b->first;
}

WEIR_HEAP_DEFINE(weir_timers, struct weir_timer, weir_timer_before)

/* Pushes w's timer for phase (FIRE at its end, DROP at end + lateness);
 * -1 when memory ran out. */
int weir_wtimes_schedule(struct weir_timers_heap *h, struct weir_wtimes *w,
    enum weir_phase phase, int64_t lateness);

/* A session takes in [t, end): its bounds grow to cover it.  When an open
 * session's start moved before old_start, its place among sessions of the
 * same end moved too: its FIRE timer is pushed again (the old one stale),
 * so that sessions ending together fire by start.  -1 when memory ran out. */
int weir_wtimes_cover(struct weir_timers_heap *h, struct weir_wtimes *w, int64_t t, int64_t end,
    int64_t old_start, int64_t lateness);

/*
 * Sessions.  A key's sessions are a list of the program's windows, each
 * starting with its weir_wtimes, linked through a pointer at next_off in
 * the window; `head` points to the list's first pointer.  An event at t
 * opens [t, end = t + gap), which joins every session of its key that it
 * overlaps.
 */

/* The session of the list that overlaps [t, end) and starts first (ties:
 * the first listed), `but` left out; NULL when none does. */
struct weir_wtimes *weir_session_find(const void *head, size_t next_off,
    const struct weir_wtimes *but, int64_t t, int64_t end);

/* The session `into` takes in every other session of the list that
 * overlaps [t, end), the earliest first: into's bounds and first arrival
 * grow to cover from's, then absorb(arg, into, from) moves from's payload
 * and takes from out of the list (it may free it).  Returns 0, or the
 * first non-zero absorb returned. */
int weir_sessions_absorb(const void *head, size_t next_off, struct weir_wtimes *into,
    int64_t t, int64_t end,
    int (*absorb)(void *arg, struct weir_wtimes *into, struct weir_wtimes *from), void *arg);

/* What the program does with its windows as their timers come due. */
struct weir_fire_ops {
	/* FIRE: write the window's rows; 0, or what the program returns */
	int (*fire)(void *arg, struct weir_wtimes *w);
	/* take it out of state (it marks it dead); its timers may still point
	 * to it */
	void (*release)(void *arg, struct weir_wtimes *w);
	/* free a dead window no timer points to, if nothing else holds it */
	void (*destroy)(void *arg, struct weir_wtimes *w);
	void *arg;
};

/*
 * Runs every timer due at or before the watermark, in the heap's order:
 * a stale one (the window merged away, dropped or rescheduled) is skipped,
 * a session that grew since waits for its current end, a window that fires
 * is kept for late events when `keep` (a DROP timer at end + lateness),
 * else released; a DROP releases.  0, or the first thing not 0 that
 * ops->fire returned, or -1 with *oom set when memory ran out.
 */
int weir_windows_fire(struct weir_timers_heap *h, int64_t watermark, int64_t lateness,
    bool keep, const struct weir_fire_ops *ops, bool *oom);

#endif
