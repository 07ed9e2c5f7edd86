/* Unit tests for lib/windows: which fixed windows hold an event time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/windows.h"

#define S 1000000000LL

static void
tumbling_windows_hold_one_start(void **state)
{
	(void)state;
	int64_t first, last;
	assert_int_equal(weir_window_starts(65 * S, 60 * S, 60 * S, 0, &first, &last), 0);
	assert_true(first == 60 * S && last == 60 * S);
	/* a window's start belongs to it, its end to the next */
	assert_int_equal(weir_window_starts(120 * S, 60 * S, 60 * S, 0, &first, &last), 0);
	assert_true(first == 120 * S);
	/* before the epoch: floor, not truncation */
	assert_int_equal(weir_window_starts(-1, 60 * S, 60 * S, 0, &first, &last), 0);
	assert_true(first == -60 * S && last == -60 * S);
	/* an offset shifts the grid */
	assert_int_equal(weir_window_starts(10 * S, 60 * S, 60 * S, 15 * S, &first, &last), 0);
	assert_true(first == -45 * S);
}

static void
sliding_windows_hold_size_over_slide_starts(void **state)
{
	(void)state;
	int64_t first, last;
	assert_int_equal(weir_window_starts(65 * S, 60 * S, 15 * S, 0, &first, &last), 0);
	assert_true(first == 15 * S && last == 60 * S);	/* 15, 30, 45, 60 */
	/* a slide that does not divide the size: 7 s windows every 3 s */
	assert_int_equal(weir_window_starts(10 * S, 7 * S, 3 * S, 0, &first, &last), 0);
	assert_true(first == 6 * S && last == 9 * S);	/* [6,13) [9,16) */
}

static void
bounds_outside_the_time_range_are_refused(void **state)
{
	(void)state;
	int64_t first, last;
	assert_int_equal(weir_window_starts(INT64_MIN + 5, 60 * S, 60 * S, 0, &first, &last), -1);
	assert_int_equal(weir_window_starts(INT64_MAX - 5, 60 * S, 60 * S, 0, &first, &last), -1);
}

/* A log of what weir_windows_fire did, for the windows of one test. */
struct log {
	char text[256];
	struct weir_wtimes *w;	/* the windows, named a, b, c ... by index */
};

static char
name_of(const struct log *l, const struct weir_wtimes *w)
{
	return (char)('a' + (w - l->w));
}

static void
note(struct log *l, char what, const struct weir_wtimes *w)
{
	size_t n = strlen(l->text);
	snprintf(l->text + n, sizeof l->text - n, "%s%c%c", n ? " " : "", what, name_of(l, w));
}

static int
log_fire(void *arg, struct weir_wtimes *w)
{
	note(arg, 'F', w);
	return 0;
}

static void
log_release(void *arg, struct weir_wtimes *w)
{
	note(arg, 'R', w);
	w->dead = true;
}

static void
log_destroy(void *arg, struct weir_wtimes *w)
{
	note(arg, 'D', w);
}

/* Timers fire in (due, start, first event's arrival) order; with keep, a
 * fired window waits for its DROP at end + lateness; a session that grew
 * waits for its new end; a stale timer is passed over; a dead window goes
 * when its last timer does. */
static void
held_windows_fire_in_one_order_and_drop_after_their_lateness(void **state)
{
	(void)state;
	struct weir_wtimes w[4] = {
		{.start = 0, .end = 10, .first = 5},	/* a */
		{.start = 0, .end = 10, .first = 2},	/* b */
		{.start = 5, .end = 10, .first = 1},	/* c */
		{.start = 0, .end = 10, .first = 0},	/* d: a session that grows */
	};
	struct log l = {"", w};
	struct weir_timers_heap h = {0};
	const struct weir_fire_ops ops = {log_fire, log_release, log_destroy, &l};
	bool oom;
	for (int i = 0; i < 4; i++)
		assert_int_equal(weir_wtimes_schedule(&h, &w[i], WEIR_FIRE, 5), 0);
	w[3].end = 12;	/* d grew after its timer was pushed */
	assert_int_equal(weir_windows_fire(&h, 9, 5, true, &ops, &oom), 0);
	assert_string_equal(l.text, "");
	assert_int_equal(weir_windows_fire(&h, 10, 5, true, &ops, &oom), 0);
	assert_false(oom);
	assert_string_equal(l.text, "Fb Fa Fc");
	assert_true(w[0].kept && w[1].kept && w[2].kept && !w[3].kept);
	/* b changes after it fired: its DROP timer is stale, a new one waits */
	w[1].version++;
	assert_int_equal(weir_wtimes_schedule(&h, &w[1], WEIR_DROP, 7), 0);
	l.text[0] = '\0';
	assert_int_equal(weir_windows_fire(&h, 15, 5, true, &ops, &oom), 0);
	assert_string_equal(l.text, "Fd Ra Rc");
	l.text[0] = '\0';
	assert_int_equal(weir_windows_fire(&h, 100, 5, false, &ops, &oom), 0);
	assert_string_equal(l.text, "Rd Rb");	/* both due at 17: d arrived first */
	assert_int_equal(h.n, 0);
	/* a window merged away (dead) with a timer still out: destroyed when it pops */
	struct weir_wtimes e = {.start = 0, .end = 10};
	l.w = &e;
	assert_int_equal(weir_wtimes_schedule(&h, &e, WEIR_FIRE, 0), 0);
	e.dead = true;
	l.text[0] = '\0';
	assert_int_equal(weir_windows_fire(&h, 10, 0, false, &ops, &oom), 0);
	assert_string_equal(l.text, "Da");
	weir_timers_free(&h);
}

/* A session that grows backwards is fired at its new place: by start
 * among sessions that end together; one that already fired keeps its
 * timers. */
static void
a_session_grown_backwards_fires_at_its_new_place(void **state)
{
	(void)state;
	struct weir_wtimes w[2] = {
		{.start = 12, .end = 20, .first = 1},	/* a */
		{.start = 10, .end = 20, .first = 0},	/* b */
	};
	struct log l = {"", w};
	struct weir_timers_heap h = {0};
	const struct weir_fire_ops ops = {log_fire, log_release, log_destroy, &l};
	bool oom;
	for (int i = 0; i < 2; i++)
		assert_int_equal(weir_wtimes_schedule(&h, &w[i], WEIR_FIRE, 0), 0);
	/* a takes in [4, 9): it now starts at 4, before b */
	assert_int_equal(weir_wtimes_cover(&h, &w[0], 4, 9, 12, 0), 0);
	assert_true(w[0].start == 4 && w[0].end == 20 && w[0].version == 1);
	assert_int_equal(weir_windows_fire(&h, 20, 0, false, &ops, &oom), 0);
	assert_string_equal(l.text, "Fa Ra Fb Rb Da");	/* then a's stale timer: a goes */
	/* a fired one grows without a new timer */
	struct weir_wtimes k = {.start = 10, .end = 20, .kept = true};
	assert_int_equal(weir_wtimes_cover(&h, &k, 5, 25, 10, 0), 0);
	assert_true(k.start == 5 && k.end == 25 && k.version == 0 && h.n == 0);
	weir_timers_free(&h);
}

/* A program's session: its timing first, its payload, its list link. */
struct session {
	struct weir_wtimes t;
	int events;
	struct session *next;
};

static int
absorb_session(void *arg, struct weir_wtimes *into, struct weir_wtimes *from)
{
	struct session **head = arg, *f = (struct session *)from;
	((struct session *)into)->events += f->events;
	for (struct session **pp = head; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	return 0;
}

/* Sessions [0,10) [20,30) [40,50) of one key, opened in the order 20, 0, 40
 * (arrivals 0, 1, 2).  An event at 8 with gap 15 spans [8,23): it joins the
 * first two, the earlier by start takes in the other, and the merged one
 * keeps the earliest arrival; [40,50) is untouched. */
static void
an_event_joins_the_sessions_it_overlaps_into_the_earliest(void **state)
{
	(void)state;
	struct session c = {{40, 50, 2, 0, 0, false, false}, 1, NULL};
	struct session a = {{0, 10, 1, 0, 0, false, false}, 2, &c};
	struct session b = {{20, 30, 0, 0, 0, false, false}, 3, &a};
	struct session *head = &b;
	const size_t next = offsetof(struct session, next);
	assert_null(weir_session_find(&head, next, NULL, 11, 19));	/* in a gap */
	struct weir_wtimes *into = weir_session_find(&head, next, NULL, 8, 23);
	assert_ptr_equal(into, &a.t);
	assert_ptr_equal(weir_session_find(&head, next, into, 8, 23), &b.t);
	assert_int_equal(weir_sessions_absorb(&head, next, into, 8, 23, absorb_session, &head), 0);
	assert_int_equal(a.t.start, 0);
	assert_int_equal(a.t.end, 30);
	assert_int_equal(a.t.first, 0);	/* b's event came first */
	assert_int_equal(a.events, 5);
	assert_ptr_equal(head, &a);
	assert_ptr_equal(a.next, &c);
	assert_int_equal(c.t.start, 40);
	assert_null(weir_session_find(&head, next, into, 8, 23));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tumbling_windows_hold_one_start),
		cmocka_unit_test(sliding_windows_hold_size_over_slide_starts),
		cmocka_unit_test(held_windows_fire_in_one_order_and_drop_after_their_lateness),
		cmocka_unit_test(a_session_grown_backwards_fires_at_its_new_place),
		cmocka_unit_test(bounds_outside_the_time_range_are_refused),
		cmocka_unit_test(an_event_joins_the_sessions_it_overlaps_into_the_earliest),
	};
	return cmocka_run_group_tests_name("windows", tests, NULL, NULL);
}
