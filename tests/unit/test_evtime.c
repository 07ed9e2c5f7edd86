/* Unit tests for lib/evtime: time formats, range checks, durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "../../lib/evtime.h"

#define S(x) (x), strlen(x)

static int64_t
rfc(const char *s)
{
	int64_t t = 0;
	assert_int_equal(weir_time_parse_rfc3339(S(s), &t), 0);
	return t;
}

static void
rfc3339_known_instants(void **state)
{
	(void)state;
	assert_int_equal(rfc("1970-01-01T00:00:00Z"), 0);
	/* date -u -d 2026-11-23T10:00:05Z +%s = 1795428005 */
	assert_int_equal(rfc("2026-11-23T10:00:05Z"), 1795428005LL * 1000000000);
	assert_int_equal(rfc("2026-11-23T10:00:05.25Z"), 1795428005250000000LL);
	assert_int_equal(rfc("2026-11-23T11:00:05+01:00"), 1795428005LL * 1000000000);
	assert_int_equal(rfc("2026-11-23T09:30:05-0030"), 1795428005LL * 1000000000);
	assert_int_equal(rfc("2026-11-23 10:00:05z"), 1795428005LL * 1000000000);
	assert_int_equal(rfc("2026-11-23t10:00:05.123456789Z"), 1795428005123456789LL);
	/* digits past nanoseconds are truncated */
	assert_int_equal(rfc("1970-01-01T00:00:00.0000000019Z"), 1);
	assert_int_equal(rfc("1969-12-31T23:59:59Z"), -1000000000LL);
	assert_int_equal(rfc("2024-02-29T00:00:00Z"), 1709164800LL * 1000000000);
	assert_int_equal(rfc("2026-11-23"), 1795392000LL * 1000000000);
}

static void
rfc3339_minute_cache_is_not_fooled(void **state)
{
	(void)state;
	assert_int_equal(rfc("2026-11-23T10:00:05Z"), 1795428005LL * 1000000000);
	assert_int_equal(rfc("2026-11-23T10:00:59.5Z"), 1795428059500000000LL);
	assert_int_equal(rfc("2026-11-23T10:01:00Z"), 1795428060LL * 1000000000);
	int64_t t;
	assert_int_equal(weir_time_parse_rfc3339(S("2026-11-23T10:01:6xZ"), &t), -1);
	assert_int_equal(weir_time_parse_rfc3339(S("2026-11-23T10:01:00Q"), &t), -1);
}

static void
rfc3339_rejects_malformed(void **state)
{
	(void)state;
	const char *bad[] = {
		"", "2026", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-11-31T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z",
		"2026-11-23T10:00:00.Z", "2026-11-23T10:00:00+25:00", "2026/11/23",
		"2026-11-23T10:00:00Zjunk", "yesterday",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t;
		assert_int_not_equal(weir_time_parse_rfc3339(S(bad[i]), &t), 0);
	}
}

static void
range_edges_1678_and_2262(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(weir_time_parse_rfc3339(S("2262-04-11T23:47:16.854775807Z"), &t), 0);
	assert_int_equal(t, INT64_MAX);
	assert_int_equal(weir_time_parse_rfc3339(S("2262-04-11T23:47:16.854775808Z"), &t), -2);
	assert_int_equal(weir_time_parse_rfc3339(S("1677-09-21T00:12:43.145224192Z"), &t), 0);
	assert_int_equal(t, INT64_MIN);
	assert_int_equal(weir_time_parse_rfc3339(S("1677-09-21T00:12:43.145224191Z"), &t), -2);
	assert_int_equal(weir_time_parse_rfc3339(S("9999-01-01T00:00:00Z"), &t), -2);
	assert_int_equal(weir_time_parse_rfc3339(S("0001-01-01T00:00:00Z"), &t), -2);
}

static void
epoch_numbers_are_exact(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(weir_time_parse_epoch(S("1795428005"), 1000000000, &t), 0);
	assert_int_equal(t, 1795428005000000000LL);
	assert_int_equal(weir_time_parse_epoch(S("1795428005.123456789"), 1000000000, &t), 0);
	assert_int_equal(t, 1795428005123456789LL);
	assert_int_equal(weir_time_parse_epoch(S("1.5e3"), 1000000, &t), 0);
	assert_int_equal(t, 1500000000LL);
	assert_int_equal(weir_time_parse_epoch(S("-1.5"), 1000000000, &t), 0);
	assert_int_equal(t, -1500000000LL);
	/* below one nanosecond: floor */
	assert_int_equal(weir_time_parse_epoch(S("-0.0000000001"), 1000000000, &t), 0);
	assert_int_equal(t, -1);
	assert_int_equal(weir_time_parse_epoch(S("0.0000000001"), 1000000000, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(weir_time_parse_epoch(S("9223372036854775807"), 1, &t), 0);
	assert_int_equal(t, INT64_MAX);
	assert_int_equal(weir_time_parse_epoch(S("9223372036854775808"), 1, &t), -2);
	assert_int_equal(weir_time_parse_epoch(S("-9223372036854775808"), 1, &t), 0);
	assert_int_equal(t, INT64_MIN);
	assert_int_equal(weir_time_parse_epoch(S("1e400"), 1000000000, &t), -2);
	assert_int_equal(weir_time_parse_epoch(S("12abc"), 1, &t), -1);
	assert_int_equal(weir_time_parse_epoch(S("."), 1, &t), -1);
	assert_int_equal(weir_time_parse_epoch(S(""), 1, &t), -1);
}

static void
auto_guesses_the_unit_by_magnitude(void **state)
{
	(void)state;
	assert_int_equal(weir_time_guess_unit(S("1795428005")), WEIR_REPR_EPOCH_S);
	assert_int_equal(weir_time_guess_unit(S("1795428005.5")), WEIR_REPR_EPOCH_S);
	assert_int_equal(weir_time_guess_unit(S("1795428005250")), WEIR_REPR_EPOCH_MS);
	assert_int_equal(weir_time_guess_unit(S("1795428005250000")), WEIR_REPR_EPOCH_US);
	assert_int_equal(weir_time_guess_unit(S("1795428005250000000")), WEIR_REPR_EPOCH_NS);
	assert_int_equal(weir_time_guess_unit(S("-86400")), WEIR_REPR_EPOCH_S);
}

static void
from_json_reads_every_form(void **state)
{
	(void)state;
	struct weir_timefmt tf;
	int64_t t;
	enum weir_repr r;
	const char *why;
	assert_int_equal(weir_timefmt_parse(&tf, "auto"), 0);
	assert_int_equal(weir_time_from_json(&tf, S("\"2026-11-23T10:00:05Z\""), &t, &r, &why), 0);
	assert_int_equal(r, WEIR_REPR_RFC3339);
	assert_int_equal(weir_time_from_json(&tf, S("1795428005250"), &t, &r, &why), 0);
	assert_int_equal(r, WEIR_REPR_EPOCH_MS);
	assert_int_equal(t, 1795428005250000000LL);
	/* journald: microseconds in a string */
	assert_int_equal(weir_time_from_json(&tf, S("\"1795428030250000\""), &t, &r, &why), 0);
	assert_int_equal(r, WEIR_REPR_EPOCH_US);
	assert_int_equal(t, 1795428030250000000LL);
	assert_int_equal(weir_time_from_json(&tf, S("\"2026-11-23T10:00:05\\u005a\""), &t, &r, &why), 0);
	assert_int_equal(weir_time_from_json(&tf, S("true"), &t, &r, &why), -1);
	assert_int_equal(weir_time_from_json(&tf, S("\"soon\""), &t, &r, &why), -1);
	assert_int_equal(weir_time_from_json(&tf, S("\"3000-01-01T00:00:00Z\""), &t, &r, &why), -1);
	assert_non_null(strstr(why, "range"));
	assert_int_equal(weir_timefmt_parse(&tf, "epoch_ms"), 0);
	assert_int_equal(weir_time_from_json(&tf, S("1500"), &t, &r, &why), 0);
	assert_int_equal(t, 1500000000LL);
	assert_int_equal(weir_timefmt_parse(&tf, "rfc3339"), 0);
	assert_int_equal(weir_time_from_json(&tf, S("1500"), &t, &r, &why), -1);
	assert_int_equal(weir_timefmt_parse(&tf, "nonsense"), -1);
}

static void
patterns_with_zone_and_fraction(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(weir_time_parse_pattern("%d/%b/%Y:%H:%M:%S %z",
	    S("23/Nov/2026:11:00:05 +0100"), &t), 0);
	assert_int_equal(t, 1795428005LL * 1000000000);
	assert_int_equal(weir_time_parse_pattern("%Y-%m-%d %H:%M:%S.%f",
	    S("2026-11-23 10:00:05.25"), &t), 0);
	assert_int_equal(t, 1795428005250000000LL);
	assert_int_equal(weir_time_parse_pattern("%s.%f", S("1795428005.000001"), &t), 0);
	assert_int_equal(t, 1795428005000001000LL);
	/* no year: the latest that puts it no more than 31 days past the wall
	 * clock (timegm decides) */
	assert_int_equal(weir_time_parse_pattern("%b %e %T", S("Jan  2 03:04:05"), &t), 0);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int64_t want = 0;
	for (int y = tm.tm_year + 1; y >= tm.tm_year - 1 && want == 0; y--) {
		struct tm c = {.tm_year = y, .tm_mon = 0, .tm_mday = 2, .tm_hour = 3, .tm_min = 4,
			.tm_sec = 5};
		int64_t cand = (int64_t)timegm(&c);
		if (cand <= (int64_t)now + 31 * 86400)
			want = cand;
	}
	assert_int_equal(t, want * 1000000000);
	assert_int_equal(weir_time_parse_pattern("%I:%M %p %F", S("12:30 AM 1970-01-01"), &t), 0);
	assert_int_equal(t, 30LL * 60 * 1000000000);
	assert_int_equal(weir_time_parse_pattern("%Y-%m-%d", S("2026-11-23x"), &t), -1);
	assert_int_equal(weir_time_parse_pattern("%Y-%m-%d", S("2026-02-30"), &t), -1);
}

static void
format_round_trips(void **state)
{
	(void)state;
	char buf[WEIR_TIME_BUFSZ];
	weir_time_format_json(1795428005250000000LL, WEIR_REPR_RFC3339, buf);
	assert_string_equal(buf, "\"2026-11-23T10:00:05.25Z\"");
	weir_time_format_json(1795428005000000000LL, WEIR_REPR_RFC3339, buf);
	assert_string_equal(buf, "\"2026-11-23T10:00:05Z\"");
	weir_time_format_json(-1, WEIR_REPR_RFC3339, buf);
	assert_string_equal(buf, "\"1969-12-31T23:59:59.999999999Z\"");
	weir_time_format_json(INT64_MIN, WEIR_REPR_RFC3339, buf);
	assert_string_equal(buf, "\"1677-09-21T00:12:43.145224192Z\"");
	weir_time_format_json(INT64_MAX, WEIR_REPR_RFC3339, buf);
	assert_string_equal(buf, "\"2262-04-11T23:47:16.854775807Z\"");
	weir_time_format_json(1795428005250000000LL, WEIR_REPR_EPOCH_MS, buf);
	assert_string_equal(buf, "1795428005250");
	weir_time_format_json(1795428005250000000LL, WEIR_REPR_EPOCH_S, buf);
	assert_string_equal(buf, "1795428005.25");
	weir_time_format_json(-1500000000LL, WEIR_REPR_EPOCH_S, buf);
	assert_string_equal(buf, "-1.5");
	weir_time_format_json(7, WEIR_REPR_EPOCH_NS, buf);
	assert_string_equal(buf, "7");
	/* every instant survives text and back, leap days and 1970 included */
	for (int64_t t = -5000000000000000000LL; t < 5000000000000000000LL; t += 123456789012345679LL) {
		int64_t back;
		size_t n = weir_time_format_rfc3339(t, buf);
		assert_int_equal(weir_time_parse_rfc3339(buf, n, &back), 0);
		assert_int_equal(back, t);
	}
}

static void
durations(void **state)
{
	(void)state;
	int64_t d;
	assert_int_equal(weir_duration_parse("5s", &d), 0);
	assert_int_equal(d, 5000000000LL);
	assert_int_equal(weir_duration_parse("250ms", &d), 0);
	assert_int_equal(d, 250000000LL);
	assert_int_equal(weir_duration_parse("1h30m", &d), 0);
	assert_int_equal(d, 5400LL * 1000000000);
	assert_int_equal(weir_duration_parse("1.5s", &d), 0);
	assert_int_equal(d, 1500000000LL);
	assert_int_equal(weir_duration_parse("2", &d), 0);
	assert_int_equal(d, 2000000000LL);
	assert_int_equal(weir_duration_parse("1d", &d), 0);
	assert_int_equal(d, 86400LL * 1000000000);
	assert_int_equal(weir_duration_parse("3us", &d), 0);
	assert_int_equal(d, 3000);
	assert_int_equal(weir_duration_parse("", &d), -1);
	assert_int_equal(weir_duration_parse("5x", &d), -1);
	assert_int_equal(weir_duration_parse("-5s", &d), -1);
	assert_int_equal(weir_duration_parse("1h30", &d), -1);
	assert_int_equal(weir_duration_parse("s", &d), -1);
	assert_int_equal(weir_duration_parse("999999999d", &d), -1);
}

static void
days_from_civil_edges(void **state)
{
	(void)state;
	assert_int_equal(weir_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(weir_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(weir_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(weir_days_from_civil(1600, 1, 1), -135140);
	assert_int_equal(weir_floor_div(-1, 60), -1);
	assert_int_equal(weir_floor_div(-60, 60), -1);
	assert_int_equal(weir_floor_div(59, 60), 0);
}

/* found by fuzz_time: a %s of more digits than int64 holds */
static void
pattern_numbers_too_large_are_refused(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(weir_time_parse_pattern("%s", "99999999999999999999", 20, &t), -1);
	assert_int_equal(weir_time_parse_pattern("%s.%f", "9999999999999999999.5", 21, &t), -1);
	assert_int_equal(weir_time_parse_pattern("%s", "1795428000", 10, &t), 0);
	assert_true(t == 1795428000LL * 1000000000LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc3339_known_instants),
		cmocka_unit_test(rfc3339_minute_cache_is_not_fooled),
		cmocka_unit_test(rfc3339_rejects_malformed),
		cmocka_unit_test(range_edges_1678_and_2262),
		cmocka_unit_test(epoch_numbers_are_exact),
		cmocka_unit_test(auto_guesses_the_unit_by_magnitude),
		cmocka_unit_test(from_json_reads_every_form),
		cmocka_unit_test(patterns_with_zone_and_fraction),
		cmocka_unit_test(format_round_trips),
		cmocka_unit_test(durations),
		cmocka_unit_test(days_from_civil_edges),
		cmocka_unit_test(pattern_numbers_too_large_are_refused),
	};
	return cmocka_run_group_tests_name("evtime", tests, NULL, NULL);
}
