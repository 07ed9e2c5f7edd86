/* Unit tests for lib/zone: local time and back, where the clocks change.
 * The transitions are the published ones of the tz database: New York
 * skips 02:00-03:00 on 8 March 2026 (07:00Z) and repeats 01:00-02:00 on
 * 1 November 2026 (06:00Z); Lord Howe repeats 01:30-02:00 on 5 April 2026
 * (15:00Z on the 4th), a change of half an hour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/zone.h"

/* An instant, or a wall-clock time written as if it were UTC. */
static int64_t
at(const char *s)
{
	int64_t t;
	assert_int_equal(weir_time_parse_rfc3339(s, strlen(s), &t), 0);
	return t;
}

static struct weir_zone *
open_zone(const char *name)
{
	char err[512];
	struct weir_zone *z = weir_zone_open(name, err, sizeof err);
	if (z == NULL)
		fail_msg("%s", err);
	return z;
}

/* A local time the clocks skip answers the instant they skip it, from
 * either side; times around it are one offset or the other. */
static void
a_skipped_hour_answers_the_change(void **state)
{
	(void)state;
	struct weir_zone *z = open_zone("America/New_York");
	assert_int_equal(weir_zone_from(z, at("2026-03-08T02:30:00Z")), at("2026-03-08T07:00:00Z"));
	assert_int_equal(weir_zone_until(z, at("2026-03-08T02:30:00Z")), at("2026-03-08T07:00:00Z"));
	assert_int_equal(weir_zone_from(z, at("2026-03-08T01:59:00Z")), at("2026-03-08T06:59:00Z"));
	assert_int_equal(weir_zone_from(z, at("2026-03-08T03:00:00Z")), at("2026-03-08T07:00:00Z"));
	assert_int_equal(weir_zone_until(z, at("2026-03-08T03:00:00Z")), at("2026-03-08T07:00:00Z"));
	assert_int_equal(weir_zone_until(z, at("2026-03-09T00:00:00Z")), at("2026-03-09T04:00:00Z"));
	assert_int_equal(weir_zone_local(z, at("2026-03-08T06:59:00Z")), at("2026-03-08T01:59:00Z"));
	assert_int_equal(weir_zone_local(z, at("2026-03-08T07:00:00Z")), at("2026-03-08T03:00:00Z"));
	weir_zone_free(z);
}

/* A repeated local time starts at its first occurrence and ends at its
 * last; the start of the repeat ends before it. */
static void
a_repeated_hour_starts_first_and_ends_last(void **state)
{
	(void)state;
	struct weir_zone *z = open_zone("America/New_York");
	assert_int_equal(weir_zone_from(z, at("2026-11-01T01:30:00Z")), at("2026-11-01T05:30:00Z"));
	assert_int_equal(weir_zone_until(z, at("2026-11-01T01:30:00Z")), at("2026-11-01T06:30:00Z"));
	assert_int_equal(weir_zone_until(z, at("2026-11-01T01:00:00Z")), at("2026-11-01T05:00:00Z"));
	assert_int_equal(weir_zone_from(z, at("2026-11-01T02:00:00Z")), at("2026-11-01T07:00:00Z"));
	assert_int_equal(weir_zone_until(z, at("2026-11-01T02:00:00Z")), at("2026-11-01T07:00:00Z"));
	assert_int_equal(weir_zone_local(z, at("2026-11-01T05:30:00Z")), at("2026-11-01T01:30:00Z"));
	assert_int_equal(weir_zone_local(z, at("2026-11-01T06:30:00Z")), at("2026-11-01T01:30:00Z"));
	assert_int_equal(weir_zone_offset(z, at("2026-07-01T12:00:00Z")), -4 * 3600);
	assert_int_equal(weir_zone_offset(z, at("2026-12-01T12:00:00Z")), -5 * 3600);
	weir_zone_free(z);

	z = open_zone("Australia/Lord_Howe");
	assert_int_equal(weir_zone_from(z, at("2026-04-05T01:45:00Z")), at("2026-04-04T14:45:00Z"));
	assert_int_equal(weir_zone_until(z, at("2026-04-05T01:45:00Z")), at("2026-04-04T15:15:00Z"));
	assert_int_equal(weir_zone_until(z, at("2026-04-05T01:30:00Z")), at("2026-04-04T14:30:00Z"));
	weir_zone_free(z);
}

/* RFC 3339 with the offset in force at the instant. */
static void
local_times_are_written_with_their_offset(void **state)
{
	(void)state;
	char buf[WEIR_TIME_BUFSZ];
	struct weir_zone *z = open_zone("America/New_York");
	weir_zone_format(z, at("2026-11-01T05:30:00Z"), buf);
	assert_string_equal(buf, "2026-11-01T01:30:00-04:00");
	weir_zone_format(z, at("2026-11-01T06:30:00Z"), buf);
	assert_string_equal(buf, "2026-11-01T01:30:00-05:00");
	size_t n = weir_zone_format_json(z, at("2026-07-01T12:00:00.5Z"), WEIR_REPR_RFC3339, buf);
	assert_string_equal(buf, "\"2026-07-01T08:00:00.5-04:00\"");
	assert_int_equal(n, strlen(buf));
	weir_zone_format_json(z, at("2026-07-01T12:00:00Z"), WEIR_REPR_EPOCH_S, buf);
	assert_string_equal(buf, "1782907200");
	weir_zone_free(z);
	z = open_zone("Asia/Kolkata");
	weir_zone_format(z, at("2026-07-01T12:00:00Z"), buf);
	assert_string_equal(buf, "2026-07-01T17:30:00+05:30");
	weir_zone_free(z);
	z = open_zone("UTC");
	weir_zone_format(z, at("2026-07-01T12:00:00Z"), buf);
	assert_string_equal(buf, "2026-07-01T12:00:00+00:00");
	weir_zone_free(z);
}

/* Only a zone of the database opens; the message says what would. */
static void
an_unknown_zone_is_refused(void **state)
{
	(void)state;
	char err[512];
	const char *bad[] = {"Mars/Olympus", "../../etc/passwd", "/etc/localtime", ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_null(weir_zone_open(bad[i], err, sizeof err));
		assert_non_null(strstr(err, "unknown time zone"));
		assert_non_null(strstr(err, "Europe/Paris"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_skipped_hour_answers_the_change),
		cmocka_unit_test(a_repeated_hour_starts_first_and_ends_last),
		cmocka_unit_test(local_times_are_written_with_their_offset),
		cmocka_unit_test(an_unknown_zone_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
