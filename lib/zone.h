/*
 * zone.h: a time zone of the system's tz database (--tz), for windows that
 * follow local time.
 *
 * Ownership: the caller owns a weir_zone and frees it with weir_zone_free.
 * Opening one sets the process's TZ, so a process has one zone; its cache
 * makes it a main-thread object (the program's event path).
 *
 * Local time here is "wall-clock nanoseconds": an instant plus the zone's
 * offset at that instant, so the arithmetic of windows (multiples of a
 * size from the epoch) runs on local times unchanged.  Going back from a
 * local time to an instant is where daylight saving time shows: a local
 * time in the hour the clocks skip never happens, one in the hour they
 * repeat happens twice.  weir_zone_from and weir_zone_until answer the two
 * questions windows ask, so that an event lies in the window its local
 * time falls in: the first instant from which local time is at or past S
 * (a window's start), and the instant after which local time is never
 * below E again (its end).  A day window is then 23 or 25 hours on the
 * days the clocks change, and an hour window holds the repeated hour twice
 * over (as Flink's windows on local time do).
 */
#ifndef WEIR_ZONE_H
#define WEIR_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "evtime.h"

struct weir_zone;

/* Opens the zone `name` (an IANA name such as Europe/Paris, or UTC), read
 * from TZDIR or /usr/share/zoneinfo; NULL with a message in err when there
 * is no such zone. */
struct weir_zone *weir_zone_open(const char *name, char *err, size_t errlen);
void weir_zone_free(struct weir_zone *z);

/* The zone's offset from UTC at instant t (ns), in seconds east. */
int32_t weir_zone_offset(struct weir_zone *z, int64_t t);

/* t's local time: t plus the offset, saturated at the int64 bounds. */
int64_t weir_zone_local(struct weir_zone *z, int64_t t);

/* The first instant from which local time is at or past `local`. */
int64_t weir_zone_from(struct weir_zone *z, int64_t local);

/* The instant after which local time is never below `local` again. */
int64_t weir_zone_until(struct weir_zone *z, int64_t local);

/* Writes t as RFC 3339 local time with the zone's offset ("+01:00"), NUL
 * terminated, into buf of at least WEIR_TIME_BUFSZ bytes; returns its
 * length. */
size_t weir_zone_format(struct weir_zone *z, int64_t t, char *buf);

/* weir_time_format_json, with RFC 3339 times in local time when z is not
 * NULL. */
size_t weir_zone_format_json(struct weir_zone *z, int64_t t, enum weir_repr repr, char *buf);

#endif
