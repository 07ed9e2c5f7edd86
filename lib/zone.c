/*
 * zone.c: local time from the C library's view of the tz database.
 *
 * The offset at an instant comes from localtime_r, cached by UTC hour: an
 * hour whose two ends have the same offset has it throughout (no zone
 * changes its offset twice within an hour), so events in the same hour
 * cost one lookup.  Going back from local time looks 15 hours either side
 * (every offset lies within it); when the offsets there differ, the
 * transition between them is found by bisection to the second.  This
 * assumes at most one transition in 30 hours, true of every zone's rules.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "zone.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evtime.h"

#define HOUR_S 3600
#define SLOTS 64
#define REACH_S (15 * HOUR_S)

struct slot {
	int64_t hour;		/* UTC hours since the epoch */
	int32_t off;
	bool used, steady;	/* steady: the whole hour has off */
};

struct weir_zone {
	struct slot slots[SLOTS];
};

static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int32_t
offset_at_second(int64_t s)
{
	time_t tt = (time_t)s;
	struct tm tm;
	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

static bool
file_is_tzif(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	char magic[4];
	bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

struct weir_zone *
weir_zone_open(const char *name, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	char path[4096];
	bool named = *name != '\0' && *name != '/' && strstr(name, "..") == NULL &&
	    strlen(name) < 256;
	if (!named || snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
	    !file_is_tzif(path)) {
		snprintf(err, errlen, "unknown time zone '%s': give a name of the tz database such as "
		    "Europe/Paris, America/New_York or UTC (looked in %s; on Debian the package "
		    "tzdata holds it)", name, dir);
		return NULL;
	}
	struct weir_zone *z = calloc(1, sizeof *z);
	if (z == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	setenv("TZ", name, 1);
	tzset();
	return z;
}

void
weir_zone_free(struct weir_zone *z)
{
	free(z);
}

static int32_t
offset_s(struct weir_zone *z, int64_t s)
{
	int64_t hour = weir_floor_div(s, HOUR_S);
	struct slot *sl = &z->slots[(uint64_t)hour % SLOTS];
	if (!sl->used || sl->hour != hour) {
		sl->hour = hour;
		sl->used = true;
		sl->off = offset_at_second(hour * HOUR_S);
		sl->steady = offset_at_second(hour * HOUR_S + HOUR_S - 1) == sl->off;
	}
	return sl->steady ? sl->off : offset_at_second(s);
}

int32_t
weir_zone_offset(struct weir_zone *z, int64_t t)
{
	return offset_s(z, weir_floor_div(t, WEIR_NS_PER_SEC));
}

int64_t
weir_zone_local(struct weir_zone *z, int64_t t)
{
	return sat_add(t, (int64_t)weir_zone_offset(z, t) * WEIR_NS_PER_SEC);
}

/* The offsets before (*a) and after (*b) the transition near local time
 * `local`, and the transition's instant in *at (ns); false when there is
 * none within reach. */
static bool
transition_near(struct weir_zone *z, int64_t local, int32_t *a, int32_t *b, int64_t *at)
{
	int64_t s = weir_floor_div(local, WEIR_NS_PER_SEC);
	int64_t lo = s - REACH_S, hi = s + REACH_S;
	*a = offset_s(z, lo);
	*b = offset_s(z, hi);
	if (*a == *b)
		return false;
	while (hi - lo > 1) {	/* offset at lo is *a, at hi is not */
		int64_t mid = lo + (hi - lo) / 2;
		if (offset_s(z, mid) == *a)
			lo = mid;
		else
			hi = mid;
	}
	*b = offset_s(z, hi);
	*at = hi * WEIR_NS_PER_SEC;
	return true;
}

/*
 * With offsets a before the transition at T and b after it, local time
 * runs up to T + a and then on from T + b.  A gap (b > a): local times in
 * [T + a, T + b) never happen, and both questions answer T for them.  A
 * fold (b < a): local times in [T + b, T + a) happen twice; a start there
 * is first reached before T, and an end past T + b is reached for the last
 * time after T.
 */
/* The instant for local time `local`: weir_zone_from's (the first at or
 * past it) or, with until, weir_zone_until's (the last below it). */
static int64_t
instant(struct weir_zone *z, int64_t local, bool until)
{
	int32_t a, b;
	int64_t at;
	if (!transition_near(z, local, &a, &b, &at))
		return sat_add(local, -(int64_t)a * WEIR_NS_PER_SEC);
	int64_t before = sat_add(local, -(int64_t)a * WEIR_NS_PER_SEC);
	int64_t after = sat_add(local, -(int64_t)b * WEIR_NS_PER_SEC);
	if (until ? after > at : before < at)
		return until ? after : before;
	if (until)
		return before < at ? before : at;
	return after > at ? after : at;
}

int64_t
weir_zone_from(struct weir_zone *z, int64_t local)
{
	return instant(z, local, false);
}

int64_t
weir_zone_until(struct weir_zone *z, int64_t local)
{
	return instant(z, local, true);
}

size_t
weir_zone_format(struct weir_zone *z, int64_t t, char *buf)
{
	int32_t off = weir_zone_offset(z, t);
	size_t n = weir_time_format_rfc3339(sat_add(t, (int64_t)off * WEIR_NS_PER_SEC), buf);
	n--;	/* the 'Z' */
	unsigned m = (unsigned)((off < 0 ? -off : off) / 60);
	n += (size_t)snprintf(buf + n, 8, "%c%02u:%02u", off < 0 ? '-' : '+', m / 60 % 100, m % 60);
	return n;
}

size_t
weir_zone_format_json(struct weir_zone *z, int64_t t, enum weir_repr repr, char *buf)
{
	if (z == NULL || (repr != WEIR_REPR_RFC3339 && repr != WEIR_REPR_NONE))
		return weir_time_format_json(t, repr, buf);
	buf[0] = '"';
	size_t n = weir_zone_format(z, t, buf + 1);
	buf[n + 1] = '"';
	buf[n + 2] = '\0';
	return n + 2;
}
