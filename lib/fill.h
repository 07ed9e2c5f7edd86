/*
 * fill.h: empty windows as rows (weir-agg --fill, as InfluxQL's fill(0)
 * and TimescaleDB's gap filling).
 *
 * A key with no event in a window has no group there, so no row.  With
 * fill, a key has a row in every fixed window from its first row on (the
 * window of its earliest event; a key known upfront, from the first window
 * with a row) up to the watermark, windows with no event at all included:
 * count 0, the other aggregates what they are over no value (null, or the
 * value given).  Which windows a key has rows in depends on event time
 * only, so a batch and a stream give the same rows.
 *
 *   window's own rows ──► its keys without one: a filled row each ──► next window
 *
 * The program writes a window's rows in order of end (SPEC 5) and calls
 * weir_fill_before ahead of each: every window before that one is then
 * complete, and gets the rows of the keys that had none, after its own
 * rows, keys in the order they were first seen.  After the watermark
 * moves, weir_fill_through
 * completes each window that ends at or before it; at the end of input
 * (INT64_MAX), up to the last window with a row.
 *
 * Ownership: the fill owns its buffers; the keys are the program's (each
 * one's fill state is in its weir_held_key), as is the context.
 */
#ifndef WEIR_FILL_H
#define WEIR_FILL_H

#include <stdbool.h>
#include <stdint.h>

#include "aggregate.h"
#include "driver.h"
#include "keys.h"
#include "windows.h"

struct weir_fill {
	int64_t size, step;		/* the windows: --window SIZE or SIZE/SLIDE */
	struct weir_zone *zone;		/* --tz, or NULL */
	struct weir_held_key **keys;	/* the program's keys */
	struct weir_ctx *ctx;		/* where the rows go */
	struct weir_buf cells;		/* an empty group's cells, as a row shows them */
	struct weir_buf row;
	int64_t next;		/* local start of the first window not complete;
				   WEIR_FILL_NONE before any row */
	int64_t last;		/* local start of the last window with a row */
	uint64_t rows;		/* rows written for keys without an event */
};
#define WEIR_FILL_NONE INT64_MIN

/* Sets f up for windows w (tumbling or sliding) in zone z and the
 * aggregates defs (partial: as --partial writes them), with `value` (JSON
 * text, or NULL) in place of each null.  -1 with a message in err: value
 * is not JSON, or memory ran out. */
int weir_fill_init(struct weir_fill *f, const struct weir_window_spec *w, struct weir_zone *z,
    struct weir_held_key **keys, struct weir_ctx *ctx, const struct weir_aggdef *defs, int n,
    bool partial, const char *value, char *err, size_t errlen);
void weir_fill_free(struct weir_fill *f);

/* Key k's row of the window [start, end) is about to be written: the
 * windows before it are complete, and k has its row in this one.  0, or
 * what writing a row returned. */
int weir_fill_before(struct weir_fill *f, struct weir_held_key *k, int64_t start, int64_t end);
/* The watermark is now w.  0, or what writing a row returned. */
int weir_fill_through(struct weir_fill *f, int64_t w);

/* Where the fill stands, for a checkpoint (each key's part goes with the
 * key: weir_fill_key_save/restore). */
int weir_fill_save(const struct weir_fill *f, struct weir_buf *b);
void weir_fill_restore(struct weir_fill *f, struct weir_get *g);
int weir_fill_key_save(const struct weir_held_key *k, struct weir_buf *b);
void weir_fill_key_restore(struct weir_held_key *k, struct weir_get *g);

#endif
