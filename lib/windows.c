/*
 * windows.c: window assignment shared by weir-window and weir-agg.
 */
#include "evtime.h"
#include "windows.h"

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
