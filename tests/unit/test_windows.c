/* Unit tests for lib/windows: which fixed windows hold an event time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tumbling_windows_hold_one_start),
		cmocka_unit_test(sliding_windows_hold_size_over_slide_starts),
		cmocka_unit_test(bounds_outside_the_time_range_are_refused),
	};
	return cmocka_run_group_tests_name("windows", tests, NULL, NULL);
}
