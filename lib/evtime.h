/*
 * evtime.h: event time, time formats and durations.
 *
 * Internal time is signed 64-bit nanoseconds since the Unix epoch, which
 * covers the years 1678 to 2262.  Every parser here range-checks instead of
 * wrapping: a time outside that span is an error, never a wrong date.
 *
 * Nothing here allocates except weir_timefmt_parse (free with
 * weir_timefmt_free), and nothing reads the clock.
 */
#ifndef WEIR_EVTIME_H
#define WEIR_EVTIME_H

#include <stddef.h>
#include <stdint.h>

#define WEIR_TIME_MIN INT64_MIN
#define WEIR_TIME_MAX INT64_MAX
#define WEIR_NS_PER_SEC 1000000000LL

/* How a time was written in the input, so that computed times (window bounds)
 * can be written back the same way (SPEC §3). */
enum weir_repr {
	WEIR_REPR_NONE = 0,	/* nothing seen yet */
	WEIR_REPR_RFC3339,	/* a string: written back as RFC 3339 UTC with Z */
	WEIR_REPR_EPOCH_S,
	WEIR_REPR_EPOCH_MS,
	WEIR_REPR_EPOCH_US,
	WEIR_REPR_EPOCH_NS,
};

enum weir_timefmt_kind {
	WEIR_TF_AUTO,
	WEIR_TF_RFC3339,
	WEIR_TF_EPOCH_S,
	WEIR_TF_EPOCH_MS,
	WEIR_TF_EPOCH_US,
	WEIR_TF_EPOCH_NS,
	WEIR_TF_PATTERN,	/* a strptime-style pattern */
};

struct weir_timefmt {
	enum weir_timefmt_kind kind;
	char *pattern;		/* owned; only for WEIR_TF_PATTERN */
};

/* Parses the argument of -T.  Returns 0, or -1 when spec names no format. */
int weir_timefmt_parse(struct weir_timefmt *tf, const char *spec);
void weir_timefmt_free(struct weir_timefmt *tf);

/*
 * Reads an event time from a JSON value exactly as it appears in the line
 * (a string with its quotes, or a number).  On success stores the time in *t
 * and how it was written in *repr (repr may be NULL) and returns 0; returns
 * -1 with a static reason in *why when the value is not a time in that
 * format or lies outside 1678..2262.
 */
int weir_time_from_json(const struct weir_timefmt *tf, const char *v, size_t n,
    int64_t *t, enum weir_repr *repr, const char **why);

/* RFC 3339 / ISO 8601 text (no quotes): 2026-11-23T10:00:05.25+01:00. */
int weir_time_parse_rfc3339(const char *s, size_t n, int64_t *t);

/* A decimal number (optionally fractional, optionally with exponent) in the
 * given unit (ns per unit: 1e9 for seconds ... 1 for ns).  Exact: no double. */
int weir_time_parse_epoch(const char *s, size_t n, int64_t unit_ns, int64_t *t);

/* The unit `auto` picks for a number of this many integer digits' magnitude. */
enum weir_repr weir_time_guess_unit(const char *s, size_t n);

/* A strptime-style pattern; see weir(7) for the directives. */
int weir_time_parse_pattern(const char *pattern, const char *s, size_t n,
    int64_t *t);

/*
 * Writes t into buf (at least WEIR_TIME_BUFSZ bytes) in representation repr,
 * as a JSON value: RFC 3339 as a quoted string, epochs as numbers (fractional
 * only when t is not a whole number of the unit).  Returns the length.
 */
#define WEIR_TIME_BUFSZ 48
size_t weir_time_format_json(int64_t t, enum weir_repr repr, char *buf);

/* RFC 3339 UTC text without quotes, fraction digits only as many as needed. */
size_t weir_time_format_rfc3339(int64_t t, char *buf);

/*
 * Durations: one or more <number><unit> (ns us ms s m h d), `1h30m`, `1.5s`;
 * a bare number is seconds.  Negative durations are refused.  Returns 0 or -1.
 */
int weir_duration_parse(const char *s, int64_t *ns);

/* The smallest whole number of milliseconds at or above `ns`, as a
 * duration weir reads: 0s, 250ms, 4.87s (what --lag to suggest). */
void weir_duration_format_up(int64_t ns, char *buf, size_t size);

/* Days since 1970-01-01 of a proleptic Gregorian date (any int32 year). */
int64_t weir_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The civil date of a day number (days since 1970-01-01). */
void weir_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* floor(a / b) for b > 0, correct for negative a. */
static inline int64_t
weir_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* The largest multiple of step (> 0) at or below t, into *out; -1 when it
 * lies below the int64 range (t within step of 1677). */
static inline int
weir_floor_multiple(int64_t t, int64_t step, int64_t *out)
{
	return __builtin_mul_overflow(weir_floor_div(t, step), step, out) ? -1 : 0;
}

/* a + b clamped to the int64 range (watermark arithmetic never wraps). */
static inline int64_t
weir_time_add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

#endif
