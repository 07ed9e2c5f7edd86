/*
 * rank.h: the N best rows of each window (weir-agg --top N --rank-by NAME).
 *
 *   rows of one window ──► weir_rank_add (copied, with the value ranked and
 *                          the key members read out of the row)
 *   a row of another window (its window_start and window_end), or the end
 *   of a firing ──► weir_rank_flush: sorted, the first N written, the rest
 *                          counted
 *
 * The order is PostgreSQL's `ORDER BY value [DESC], key...`: a number
 * ranks by its value; a row whose value is null, absent or not a number
 * comes last in ascending order and first in descending order (PostgreSQL's
 * NULLS LAST and NULLS FIRST defaults); ties go by the key members in
 * --by order, numbers by value before strings by their text.  Rows are
 * held only while one window fires, so a rank holds nothing between
 * watermarks and nothing goes into a checkpoint.
 *
 * Ownership: the rank copies the rows it is given; weir_rank_free accepts
 * NULL.
 */
#ifndef WEIR_RANK_H
#define WEIR_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct weir_rank;

/*
 * Ranks rows by their top-level member `by` (an output name such as
 * "p99_latency_ms"), keeps n of each window, ties broken by the members
 * named in keys (nkeys of them, output names).  NULL with a message in err.
 */
struct weir_rank *weir_rank_new(const char *by, size_t n, bool desc, const char *const *keys,
    int nkeys, char *err, size_t errlen);
void weir_rank_free(struct weir_rank *r);

/* Where the rows kept go: 0, or what the writer returned (which stops
 * the flush). */
typedef int weir_rank_emit(void *arg, const char *row, size_t len);

/*
 * A row: one of another window than the rows held (its window_start and
 * window_end members as written; rows without them are one window) first
 * flushes those, as weir_rank_flush.  Returns 0, what emit returned, or -1
 * when memory ran out.
 */
int weir_rank_add(struct weir_rank *r, const char *row, size_t len, weir_rank_emit *emit,
    void *arg, uint64_t *dropped);

/* Writes the best n of the rows held, in rank order, and forgets them all;
 * *dropped is raised by the others.  0, what emit returned, or -1. */
int weir_rank_flush(struct weir_rank *r, weir_rank_emit *emit, void *arg, uint64_t *dropped);

#endif
