/*
 * windows.h: which fixed windows hold an event time.
 *
 * Windows are half-open [start, start + size), their starts the multiples
 * of `step` from the epoch shifted by `offset` (SPEC §5).  Tumbling windows
 * have step == size; sliding windows step by their slide, so an event lies
 * in about size / step of them.  weir-window and weir-agg assign events
 * with this one function, so both put an event in the same windows.
 */
#ifndef WEIR_WINDOWS_H
#define WEIR_WINDOWS_H

#include <stdint.h>

/*
 * The starts of the windows holding t: *first .. *last in steps of `step`,
 * each with start <= t < start + size.  size >= step > 0.  Returns -1 when
 * a bound would fall outside the int64 range of times.
 */
int weir_window_starts(int64_t t, int64_t size, int64_t step, int64_t offset,
    int64_t *first, int64_t *last);

#endif
