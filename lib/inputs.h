/*
 * inputs.h: several inputs read at once, each with its own watermark, for
 * a program that sets ctx->ninputs (weir-join's two).
 *
 *   input 0 ──► reader ──► classify ──► late? ──► on_event(ev, input 0) ─┐
 *   input 1 ──► reader ──► classify ──► late? ──► on_event(ev, input 1) ─┤
 *        each: watermark = max(largest time − lag, received, idle)       │
 *                                                                        ▼
 *                        the program's watermark = the lowest ──► on_watermark(w)
 *
 * weir_run hands its inputs here in place of its one-at-a-time loop; the
 * program sees the driver's hooks, as every other program does: on_event
 * for each event that is not late (ev->input says which input), and
 * on_watermark when the lowest watermark moves.  What this loop owns:
 *
 * - reading: a reader thread per NDJSON input, CSV and gzip read here;
 * - each input's watermark, and --idle per input (one silent from the
 *   start stops counting, so it holds nothing back);
 * - backpressure: an input whose time runs more than --lag past the
 *   lowest watermark of the others is not read until they catch up, so
 *   memory follows the lag, not the input; a pipe the program waits on
 *   while another is paused and silent is read on, at most
 *   ctx->max_ahead lines, so one producer feeding both cannot hang it;
 * - --state: the restore prologue (each input skips to the checkpoint
 *   on its own) and barriers aligned as in Flink: an input that gives
 *   barrier N is not read until every other has given N too or ended;
 * - rejected and late lines, read errors, signals, the metrics clock.
 *
 * Ownership: the context owns the inputs' state (weir_ctx_free frees it);
 * their files and reader threads live from weir_inputs_run's start to its
 * return (the readers scan with the context, so they stop before it
 * returns).
 */
#ifndef WEIR_INPUTS_H
#define WEIR_INPUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "driver.h"

/* One of the inputs. */
struct weir_in {
	const char *path;
	struct weir_input *in;		/* CSV and gzip are read through it */
	struct weir_reader *reader;	/* NDJSON: split and scanned on a thread */
	struct weir_batch *batch;	/* the reader's batch in hand */
	size_t at;			/* its next record */
	bool new_batch;		/* the watermark moves on before it is taken */
	bool done;
	bool excluded;		/* idle with nothing seen: holds no other back */
	int64_t max_t, received, idle_to;
	int64_t last_line_at;	/* monotonic */
	int64_t next_idle;	/* monotonic: when --idle looks at it again */
	uint64_t pauses;	/* times it was too far ahead to be read */
	bool paused;
	bool drain;		/* read on although too far ahead (see inputs.c) */
	bool pipe;		/* not a regular file: a writer may block on it */
	uint64_t ahead;		/* lines taken while too far ahead, draining */
	bool blocked, stop;	/* --state: gave `barrier`, waits for the others */
	struct weir_ckpt barrier;
	bool skipping;		/* restored: reading again up to the checkpoint */
	struct weir_ctx *ctx;	/* for its reader's scan */
	unsigned index;
};

struct weir_inputs {
	struct weir_in *in;
	unsigned n;
	bool watermark_line_due;	/* a watermark line came in, or --idle moved */
	bool stopping;		/* a signal came: stop at the next checkpoint */
	bool unblocked;		/* an input may read on: take its lines first */
	bool draining;		/* some input has been read on while too far ahead */
};

/* Runs the loop over ctx->ninputs paths until every input has ended.
 * Returns 0, WEIR_STOPPED at a stop checkpoint, or what failed; weir_run
 * then runs on_end and its accounting, as for one input. */
int weir_inputs_run(struct weir_ctx *ctx, char **paths, int n);

/* The inputs' state, for the program's --stats and checkpoints: from the
 * start of weir_inputs_run (on_restore comes before they open) until the
 * context is freed; NULL in a program with one input. */
struct weir_inputs *weir_inputs_of(const struct weir_ctx *ctx);
void weir_inputs_free(struct weir_inputs *ins);

/* An input's part of a checkpoint: ended or not, and where its time stands. */
int weir_in_save(const struct weir_in *in, struct weir_buf *b);
void weir_in_restore(struct weir_in *in, struct weir_get *g);

#endif
