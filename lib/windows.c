/*
 * windows.c: window assignment and the timing of held windows, shared by
 * weir-window and weir-agg (windows.h).
 */
#include "evtime.h"
#include "io.h"
#include "windows.h"

#include <stdio.h>
#include <string.h>

int
weir_window_starts(int64_t t, int64_t size, int64_t step, int64_t offset,
    int64_t *first, int64_t *last)
{
	int64_t shifted, s, lowest, end;
	if (__builtin_sub_overflow(t, offset, &shifted) ||
	    weir_floor_multiple(shifted, step, &s) < 0)
		return -1;
	if (__builtin_add_overflow(s, offset, last) ||
	    __builtin_add_overflow(*last, size, &end))
		return -1;
	if (__builtin_sub_overflow(t, size, &lowest))
		return -1;
	*first = *last;
	int64_t earlier;	/* a start below INT64_MIN is below lowest too */
	while (!__builtin_sub_overflow(*first, step, &earlier) && earlier > lowest)
		*first = earlier;
	return 0;
}

size_t
weir_window_bounds_json(struct weir_zone *z, enum weir_repr repr, int64_t start, int64_t end,
    char *buf)
{
	size_t n = 0;
	memcpy(buf, "\"window_start\":", 15);
	n += 15;
	n += weir_zone_format_json(z, start, repr, buf + n);
	memcpy(buf + n, ",\"window_end\":", 14);
	n += 14;
	n += weir_zone_format_json(z, end, repr, buf + n);
	return n;
}

int
weir_window_row_open(struct weir_buf *b, const char *members, size_t mlen,
    const char *bounds, size_t blen, struct weir_zone *z, enum weir_repr repr, int64_t start,
    int64_t end)
{
	b->n = 0;
	int rc = weir_buf_add(b, "{", 1);
	if (rc == 0 && mlen > 0)
		rc = weir_buf_add(b, members, mlen);
	if (rc != 0 || (bounds == NULL && end == INT64_MAX))
		return rc;
	if (b->n > 1)
		rc = weir_buf_add(b, ",", 1);
	if (rc == 0 && bounds)
		return weir_buf_add(b, bounds, blen);
	char t[WEIR_WINDOW_BOUNDS_BUFSZ];
	size_t n = weir_window_bounds_json(z, repr, start, end, t);
	return rc ? rc : weir_buf_add(b, t, n);
}

int
weir_wtimes_schedule(struct weir_timers_heap *h, struct weir_wtimes *w,
    enum weir_phase phase, int64_t lateness)
{
	int64_t due = phase == WEIR_FIRE ? w->end : weir_time_add_sat(w->end, lateness);
	if (weir_timers_push(h, (struct weir_timer){due, w->start, w->first, w, w->version,
	    phase}) < 0)
		return -1;
	w->timers++;
	return 0;
}

int
weir_wtimes_cover(struct weir_timers_heap *h, struct weir_wtimes *w, int64_t t, int64_t end,
    int64_t old_start, int64_t lateness)
{
	if (t < w->start)
		w->start = t;
	if (end > w->end)
		w->end = end;
	if (w->start < old_start && !w->kept) {
		w->version++;
		return weir_wtimes_schedule(h, w, WEIR_FIRE, lateness);
	}
	return 0;
}

static int
positive(const char *s, int64_t *ns)
{
	return weir_duration_parse(s, ns) < 0 || *ns <= 0 ? -1 : 0;
}

int
weir_window_spec_parse(const char *v, struct weir_window_spec *w, char *err, size_t errlen)
{
	const char *slash = strchr(v, '/');
	*w = (struct weir_window_spec){WEIR_WINDOW_NONE, 0, 0, 0};
	if (strncmp(v, "session:", 8) == 0) {
		w->kind = WEIR_WINDOW_SESSION;
		if (positive(v + 8, &w->gap) == 0)
			return 0;
	} else if (slash) {
		char size[64];
		w->kind = WEIR_WINDOW_SLIDING;
		snprintf(size, sizeof size, "%.*s", (int)(slash - v), v);
		if (positive(size, &w->size) == 0 && positive(slash + 1, &w->slide) == 0) {
			if (w->slide <= w->size)
				return 0;
			snprintf(err, errlen, "bad --window '%s': the slide is longer than the "
			    "window, so events between windows would belong to none", v);
			return -1;
		}
	} else {
		w->kind = WEIR_WINDOW_TUMBLING;
		if (positive(v, &w->size) == 0)
			return 0;
	}
	snprintf(err, errlen, "bad --window '%s' (expected SIZE, SIZE/SLIDE or session:GAP "
	    "with durations above 0, e.g. 1m, 10m/1m, session:30s)", v);
	return -1;
}

int
weir_window_read(const struct weir_span *start, const struct weir_span *end, int64_t *s,
    int64_t *e, const char **why)
{
	static const struct weir_timefmt auto_format = {WEIR_TF_AUTO, NULL};
	if (start->p == NULL && end->p == NULL)
		return 0;
	if (start->p == NULL || end->p == NULL) {
		*why = start->p ? "window_start without window_end" : "window_end without window_start";
		return -1;
	}
	if (weir_time_from_json(&auto_format, start->p, start->n, s, NULL, why) < 0 ||
	    weir_time_from_json(&auto_format, end->p, end->n, e, NULL, why) < 0) {
		*why = "window_start or window_end is not a time";
		return -1;
	}
	if (*e <= *s) {
		*why = "window_end is not after window_start";
		return -1;
	}
	return 1;
}

/* The pointer stored at p (a list's head, or a window's next), whatever
 * the type of window it points to. */
static struct weir_wtimes *
pointer_at(const void *p)
{
	void *w;
	memcpy(&w, p, sizeof w);
	return w;
}

struct weir_wtimes *
weir_session_find(const void *head, size_t next_off, const struct weir_wtimes *but, int64_t t,
    int64_t end)
{
	struct weir_wtimes *found = NULL;
	for (struct weir_wtimes *w = pointer_at(head); w; w = pointer_at((char *)w + next_off))
		if (w != but && w->start < end && t < w->end &&
		    (found == NULL || w->start < found->start))
			found = w;
	return found;
}

int
weir_sessions_absorb(const void *head, size_t next_off, struct weir_wtimes *into, int64_t t,
    int64_t end, int (*absorb)(void *arg, struct weir_wtimes *into, struct weir_wtimes *from),
    void *arg)
{
	struct weir_wtimes *from;
	while ((from = weir_session_find(head, next_off, into, t, end)) != NULL) {
		if (from->start < into->start)
			into->start = from->start;
		if (from->end > into->end)
			into->end = from->end;
		if (from->first < into->first)
			into->first = from->first;
		int rc = absorb(arg, into, from);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
weir_windows_fire(struct weir_timers_heap *h, int64_t watermark, int64_t lateness,
    bool keep, const struct weir_fire_ops *ops, bool *oom)
{
	int rc = 0;
	*oom = false;
	while (rc == 0 && h->n > 0 && h->items[0].due <= watermark) {
		struct weir_timer t = weir_timers_pop(h);
		struct weir_wtimes *w = t.w;
		w->timers--;
		if (w->dead || t.version != w->version) {
			if (w->dead && w->timers == 0)
				ops->destroy(ops->arg, w);
			continue;	/* stale: merged, dropped or rescheduled */
		}
		if (t.phase == WEIR_FIRE && (t.due != w->end || t.start != w->start)) {
			/* the session grew since: wait for its current end */
			if (weir_wtimes_schedule(h, w, WEIR_FIRE, lateness) < 0) {
				*oom = true;
				rc = -1;
			}
			continue;
		}
		if (t.phase == WEIR_FIRE) {
			rc = ops->fire(ops->arg, w);
			if (rc == 0 && keep) {
				w->kept = true;
				if (weir_wtimes_schedule(h, w, WEIR_DROP, lateness) < 0) {
					*oom = true;
					rc = -1;
				}
				continue;	/* kept for late events */
			}
		}
		ops->release(ops->arg, w);
	}
	return rc;
}
