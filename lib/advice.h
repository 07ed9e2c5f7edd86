/*
 * advice.h: saying what went wrong with the input once, with the fix,
 * rather than once a line.
 *
 * - Warnings about rejected lines are grouped by their reason: the first
 *   WEIR_WARN_FIRST of each are shown, the rest counted, and at exit one
 *   line per reason gives the total.
 * - When no line at all had a usable event time, the first line rejected
 *   for it says what to do: its members are listed, and those that read
 *   as a time are offered as `-t FIELD` (with `-T FORMAT` where a common
 *   pattern reads them).
 * - A field the user named that no event had gets the nearest names that
 *   the events did have.
 *
 * All of it runs off the hot path: once per rejected line, or at exit.
 * Nothing here prints: the text goes into a weir_buf for the caller.
 *
 * Ownership: a weir_advice owns its copy of the sample lines;
 * weir_advice_free releases them (a zeroed weir_advice is empty and valid).
 */
#ifndef WEIR_ADVICE_H
#define WEIR_ADVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"

#define WEIR_WARN_FIRST 5	/* lines shown per reason */
#define WEIR_CAUSES 16		/* reasons told apart; more share one count */
#define WEIR_SAMPLE_MAX 65536	/* bytes of a sample line kept */

struct weir_cause {
	uint64_t hash;
	uint64_t count;
	char why[160];
};

struct weir_advice {
	struct weir_cause causes[WEIR_CAUSES];
	int ncauses;
	uint64_t others;		/* rejected for a reason past WEIR_CAUSES */
	uint64_t time_rejects;		/* lines rejected for their event time */
	char *time_sample;		/* the first of them (of at most WEIR_SAMPLE_MAX) */
	char time_why[160];		/* why the first was rejected */
	size_t time_sample_len;
	char *event_sample;		/* the first event */
	size_t event_sample_len;
};

/* A line rejected because of `why`: 1 when its warning is shown, 2 when
 * it is the last one shown for that reason (say that more are counted),
 * 0 when it is only counted. */
int weir_advice_warn(struct weir_advice *a, const char *why);

/* A rejected line's reason, made specific where the line shows a common
 * cause (UTF-16 text, a byte-order mark within the input, carriage
 * returns, pretty-printed JSON, an array, several objects on a line):
 * a static text naming it and the fix, or `why` as it was. */
const char *weir_advice_explain(const char *line, size_t len, const char *why);

/* At exit: a line `PROG: N lines in all: WHY` for each reason that had
 * more lines than were shown.  -1 when memory ran out. */
int weir_advice_summary(const struct weir_advice *a, const char *prog, struct weir_buf *out);

/* Keeps the first line rejected for its event time and why, and counts them. */
void weir_advice_time_reject(struct weir_advice *a, const char *line, size_t len,
    const char *why);

/* Keeps the first event (for names that events have). */
void weir_advice_event(struct weir_advice *a, const char *line, size_t len);

/*
 * No line had a usable event time: what the first one rejected for it had,
 * and the -t / -T that would read it: members whose values read as a time
 * from 1990 to 2100 (a status of 200 is no time).  -1 when memory ran out.
 */
int weir_advice_no_time(const struct weir_advice *a, const char *prog, struct weir_buf *out);

/* The names of the first event's members (nested ones as a.b) nearest to
 * `name` by edit distance, as `'x', 'y'`; empty when none is near, or no
 * event came.  -1 when memory ran out. */
int weir_advice_nearest(const struct weir_advice *a, const char *name, struct weir_buf *out);

/* How far behind the watermark late events were: a log-scale histogram,
 * eight buckets to each power of two (an upper bound at most 1/8 above),
 * and the largest exactly. */
struct weir_lateness {
	uint64_t n;
	int64_t max;		/* ns */
	uint64_t count[512];
};

void weir_lateness_add(struct weir_lateness *l, int64_t ns);
/* At least the rank-quantile (0..1] of what was added, at most max; 0 when
 * nothing was. */
int64_t weir_lateness_upper(const struct weir_lateness *l, double rank);

/* The edit distance between two strings (insert, delete, substitute, and
 * swap two neighbours), at most `cap` + 1 (past it, the count stops). */
size_t weir_edit_distance(const char *a, const char *b, size_t cap);

void weir_advice_free(struct weir_advice *a);

#endif
