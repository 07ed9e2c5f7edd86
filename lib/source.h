/*
 * source.h: the driver's loop for a source, a program that reads its
 * inputs itself: weir-replay's files (merged in event time, followed,
 * paced) and weir-kafka-source's partitions.  As a Flink task polls its
 * source reader, the loop asks the program for its next line and does
 * the rest, as it does for every other program:
 *
 *   pull ──► a line ──► classify ──► an event ──► --where ──► on_event(ev)
 *    │                     ├─► a bad line: rejected (--on-error, --errors)
 *    │                     └─► a watermark, barrier or blank line: counted
 *    │                         (a source writes its own watermarks)
 *    └─► nothing now ──► output flushed ──► pull(wait): up to ~100 ms
 *
 * Between lines the loop owns SIGUSR1 and --metrics, the checkpoint
 * barriers of the source's cadence (--checkpoint-every), a reader of the
 * output that went away (the end, as for tail -F), and SIGINT/SIGTERM.
 * At the end of the input, or at a signal without checkpoints, weir_run
 * runs on_end as for any program; at a signal under checkpoints the
 * source stops at a stop barrier (`stop`), and the pipeline resumes there.
 * What stays the program's: which input to read next, its own merge and
 * watermark, pacing, following files, Kafka's group and offsets.
 *
 * Ownership: the program owns struct weir_source and everything a pull
 * hands out; a pulled line is valid until the next pull.
 */
#ifndef WEIR_SOURCE_H
#define WEIR_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "driver.h"

/* A line a source read. */
struct weir_pulled {
	const char *line;
	size_t len;
	unsigned input;		/* the program's index of its input: ev->input */
	const char *input_name;	/* for messages: "a.log", "topic[2]" */
	uint64_t lineno;	/* its line number, or a Kafka message's offset */
	const char *why;	/* not NULL: unreadable as a line, rejected for this */
	bool has_time;		/* the source knows the event's time (--kafka-time): */
	int64_t t;		/* it, used in place of the line's time field */
	const char *no_time;	/* with has_time: why there is none (rejected) */
};

enum { WEIR_PULL_NONE, WEIR_PULL_LINE, WEIR_PULL_END };

struct weir_source {
	/* Opens the inputs, once a checkpoint was restored (on_restore ran).
	 * 0, or -1 after weir_fail. */
	int (*open)(struct weir_ctx *ctx, char **inputs, int ninputs);
	/* The next line: WEIR_PULL_LINE with *p filled, WEIR_PULL_NONE when
	 * none can be read now, WEIR_PULL_END at the end of every input, or
	 * what failed (-1 after weir_fail, WEIR_IO_EPIPE).  With wait, the
	 * output has been flushed and the source may block for a line for at
	 * most about 100 ms (weir_source_wait, or a wait of its own). */
	int (*pull)(struct weir_ctx *ctx, struct weir_pulled *p, bool wait);
	/* Optional: checkpoint id is about to be taken; the source notes
	 * where its inputs stand at it (Kafka: each partition's offset). */
	void (*at_barrier)(struct weir_ctx *ctx, struct weir_ckpt id);
	/* Optional: a signal under checkpoints.  Writes the stop barrier
	 * (weir_source_barrier(ctx, true)) with what the source does around
	 * it, and returns what that returned (WEIR_STOPPED). */
	int (*stop)(struct weir_ctx *ctx);
	struct weir_cadence cadence;	/* every > 0: --checkpoint-every */
};

/* Runs the loop: weir_run calls it for a program that set ctx->source.
 * Returns 0 at the end of the input or at a signal, WEIR_STOPPED after a
 * stop barrier, or what failed. */
int weir_source_run(struct weir_ctx *ctx, char **inputs, int ninputs);

/* A checkpoint barrier of the source's cadence: at_barrier, the state
 * saved (on_save), then the line.  WEIR_STOPPED after a stop one. */
int weir_source_barrier(struct weir_ctx *ctx, bool stop);

/* Waits up to ms for the output's reader to go away: WEIR_IO_EPIPE if it
 * did, else 0.  A source with nothing of its own to wait on waits here. */
int weir_source_wait(struct weir_ctx *ctx, int ms);

#endif
