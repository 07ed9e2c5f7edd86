/*
 * asof.h: the ASOF join (weir-join --asof): each left event with the
 * latest right event of its key at or before its time, as DuckDB's ASOF
 * JOIN, ClickHouse's and Flink's event-time temporal join do: a price as of
 * a trade, the config version in force at a request, a vehicle's last
 * known position.
 *
 *   left  ──► pending (t, seq) ──┐
 *                                ├─► one order below W: (t, right first, arrival)
 *   right ──► pending (t, seq) ──┘      right: its key's latest row
 *                                       left: joined with its key's latest row
 *
 * Both inputs are read with their own watermarks (lib/inputs.h), and
 * events wait until the program's watermark (the lower) passes them, then
 * go in one event-time order over both inputs, a right event before a
 * left one of the same time, so that "at or before" holds and the rows do
 * not depend on how the inputs interleaved.  Right events only ever
 * replace their key's row, so the state is a row per key, never the
 * events read.  With within, a row older than the left event by more than
 * it does not match, and one older than the watermark by more than it is
 * let go: no event to come could match it, so state follows the horizon.  A left event without a match is written as it came
 * (keep_unmatched: --type left) or dropped and counted.
 *
 * Ownership: the join owns its keys, pending events and stored lines; the
 * key lists and the merge are the program's.  The program sets the fields
 * marked so and calls weir_asof_start, which hands the driver the join's
 * hooks with the join as ctx->prog_state.
 */
#ifndef WEIR_ASOF_H
#define WEIR_ASOF_H

#include <stdbool.h>
#include <stdint.h>

#include "driver.h"
#include "keys.h"
#include "map.h"
#include "merge.h"
#include "pending.h"
#include "slab.h"
#include "store.h"

/* A right row that ages out when the watermark passes its time + within. */
struct weir_asof_aging {
	int64_t t;
	uint64_t seq;		/* the row's: a row replaced since is not this one */
	void *key;
};

/* The rows in the order they age: right events become rows in event-time
 * order (the join takes both inputs in one order), so each new row ages
 * last and the rows wait in a ring, oldest first, with no heap to sift
 * (restored rows are sorted once). */
struct weir_asof_agings {
	struct weir_asof_aging *items;
	size_t head, n, cap;	/* cap a power of two */
};

struct weir_asof {
	/* set by the program */
	const struct weir_keys *keys_of[2];	/* the key fields of left and right */
	int64_t within;			/* INT64_MAX: any age */
	bool keep_unmatched;		/* --type left */
	bool nest;
	struct weir_merge *merge;	/* what a right line adds to a left one */

	struct weir_pendings pending[2];
	uint64_t seq[2];
	struct weir_map keys;		/* of struct weir_asof_key, by hash */
	struct weir_slab small_keys;	/* where the short ones live */
	size_t long_key_bytes;		/* of the others, malloc's */
	struct weir_asof_agings aging;	/* with within: the rows, by time */
	struct weir_store *store;
	struct weir_buf row;
	char *scratch;
	size_t scratch_cap;
	uint64_t matched, unmatched;
};

/* Makes a the driver's program (its hooks and ctx->prog_state), set up:
 * span is what pending events span (about the lag).  0, or -1 with a
 * message in err (memory). */
int weir_asof_start(struct weir_ctx *ctx, struct weir_asof *a, int64_t span, char *err,
    size_t errlen);
void weir_asof_free(struct weir_asof *a);

#endif
