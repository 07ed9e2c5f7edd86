/*
 * driver.h: the one loop every weir program runs.
 *
 *   input ──► split lines ──► scan (plan) ──► classify
 *                                              │ data │ _watermark │ _checkpoint │ bad
 *                                              ▼
 *        hooks: on_event(ev)  on_watermark(wm)  on_barrier(n)  on_end()
 *                                              │
 *                                              ▼
 *                        output (weir_emit*, weir_emit_watermark)
 *
 * The driver owns reading, the field scan, event-time parsing, watermark
 * bookkeeping (lag, received watermark lines, --idle, forced advances),
 * rejected lines (--on-error, --errors), late routing (--late), counters
 * (--stats, --metrics), signals and flushing.  A program fills a
 * weir_hooks table and keeps its own state behind `prog`.
 *
 * Ownership: an event's line and field spans point into the reader's buffer
 * and are valid only until the hook returns; a program that holds an event
 * copies its bytes.  The context owns the output, the plan and the files it
 * opened; weir_ctx_free accepts NULL.
 *
 * Only the driver reads the wall clock (--idle, --processing-time,
 * --metrics), so program state never depends on it.
 */
#ifndef WEIR_DRIVER_H
#define WEIR_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "advice.h"
#include "evtime.h"
#include "fields.h"
#include "io.h"
#include "options.h"
#include "reader.h"
#include "state.h"

#define WEIR_EXIT_OK 0
#define WEIR_EXIT_FAILURE 1
#define WEIR_EXIT_USAGE 2
#define WEIR_EXIT_DATA 65

#define WEIR_TIME_NONE INT64_MIN	/* no watermark yet, no event yet */

struct weir_event {
	const char *line;		/* the bytes as they came, no newline */
	size_t len;
	int64_t t;			/* event time, ns since the epoch */
	const struct weir_span *fields;	/* indexed by the slots of ctx->plan */
	unsigned input;
	uint64_t lineno;
	uint64_t digest[2];		/* what hooks->on_scan wrote, or zeros */
	uint32_t shape;			/* weir_scan_shape of the line's scan */
	bool clean;			/* weir_line_is_clean: no escape, no space */
};

struct weir_counters {
	uint64_t in;		/* data lines read, rejected ones included */
	uint64_t out;		/* events that left the program, each once */
	uint64_t rows;		/* data lines written: events, copies, computed rows */
	uint64_t late;
	uint64_t rejected;
	uint64_t dropped;	/* dropped by the program's own job (dupes, filters) */
	uint64_t held;		/* events the program holds right now */
	uint64_t forced;	/* events let out by a forced watermark advance */
	uint64_t watermarks_in, watermarks_out, barriers;
	uint64_t state_bytes;
	uint64_t skipped;	/* read again after a restart, before the checkpoint */
	uint64_t disordered;	/* a source's events written behind its watermark */
	uint64_t blank;		/* lines of nothing but spaces and tabs: skipped,
				   not input (as jq and Miller skip them) */
	uint64_t filtered;	/* events --where left out */
	uint64_t withheld;	/* rows --having or --top left out */
};

struct weir_ctx;
struct weir_inputs;
struct weir_source;

/* Each hook returns 0, or what a weir_emit* call returned (WEIR_IO_EPIPE
 * or -1), or -1 after weir_fail().  Any hook may be NULL. */
struct weir_hooks {
	int (*on_event)(struct weir_ctx *ctx, const struct weir_event *ev);
	int (*on_watermark)(struct weir_ctx *ctx, int64_t watermark);
	int (*on_barrier)(struct weir_ctx *ctx, const char *line, size_t len);
	int (*on_end)(struct weir_ctx *ctx);
	/* SIGUSR1: a report of what has been seen so far (weir-profile).
	 * Without it SIGUSR1 prints the counters. */
	int (*on_snapshot)(struct weir_ctx *ctx);
	/* Every ctx->tick_every of wall time (weir-agg --emit every:DUR). */
	int (*on_tick)(struct weir_ctx *ctx);
	/* Adds the program's own members to the --stats line: writes
	 * `,"name":value...` to f. */
	void (*on_stats)(struct weir_ctx *ctx, FILE *f);
	/* --state: the program's part of a checkpoint, written into b (lib/
	 * state.h), and read back at start into a fresh program.  A program
	 * with these takes --state (WEIR_FEATURE_STATE).  on_restore returns
	 * 0, or -1 after weir_fail (the payload does not fit its options). */
	int (*on_save)(struct weir_ctx *ctx, struct weir_buf *b);
	int (*on_restore)(struct weir_ctx *ctx, struct weir_get *g);
	/* Optional, for work per event that needs no state: runs where the
	 * line is scanned (the reader thread, when there is one) for each data
	 * line, with ctx->prog_state as set up before weir_run and only read;
	 * what it writes into digest reaches on_event as ev->digest.  weir-
	 * dedupe hashes its key here, off the thread that holds the state.
	 * `input` is the line's input where a program reads several at once
	 * (ctx->ninputs), else 0. */
	void (*on_scan)(const void *prog_state, unsigned input, const char *line, size_t len,
	    const struct weir_span *spans, uint64_t digest[2]);
	/* Optional, with on_scan and a reader thread: while on_event works on
	 * one event, the driver hands on_ahead the digests of data lines
	 * further on in the same batch, `near` WEIR_AHEAD lines ahead and
	 * `far` twice that (either NULL past the batch's end), so that a
	 * program can fetch into cache what those events will touch: the far
	 * one's index slot, say, then the near one's record, found through
	 * the slot fetched before.  A hint only: it must change nothing. */
	void (*on_ahead)(void *prog_state, const uint64_t *near, const uint64_t *far);
};


struct weir_ctx {
	const char *prog;		/* program name, for messages */
	struct weir_opts *opts;		/* borrowed */
	const struct weir_hooks *hooks;
	void *prog_state;		/* the program's, borrowed */
	struct weir_plan *plan;		/* add the program's paths before weir_run */
	struct weir_output *out;
	FILE *diag;			/* where warnings and stats go (stderr) */

	enum weir_repr repr;		/* how the first event's time was written */
	const char *time_field_seen;	/* and in which field (NULL: none yet) */
	bool interrupt_ends_input;	/* SIGINT/SIGTERM end the input (then on_end) */
	bool report_only;		/* writes a report, not a stream: protocol
					   lines are counted, not forwarded */
	bool untimed;			/* events need no time field (weir-agg
					   --merge): t is WEIR_TIME_NONE */
	bool pass_protocol;		/* watermark lines go on as they came (a
					   viewer, weir-top), not rewritten */
	int64_t tick_every;		/* on_tick period in ns; 0: none */
	/* A source, a program that reads its inputs itself (weir-replay's
	 * files, weir-kafka-source's partitions): weir_run's loop pulls its
	 * lines from it (lib/source.h). */
	struct weir_source *source;
	/* More than 1: the program reads exactly this many inputs at once,
	 * each with its own watermark (lib/inputs.h: weir-join's two); on_event
	 * gets ev->input.  Watermark lines it writes trail its watermark by
	 * watermark_trail, and a paused pipe is read at most max_ahead lines
	 * ahead of a silent other. */
	unsigned ninputs;
	int input_time_slot[2];		/* a time field of input 0 or 1 of its own
					   (weir-join --left-time), or -1 */
	int64_t watermark_trail;
	size_t max_ahead;
	const char *fingerprint;	/* the options a state file must match */
	int64_t watermark;		/* the program's watermark */
	int64_t max_event;		/* largest event time seen */
	struct weir_counters count;

	/* private to the driver */
	int time_slots[4];
	int ntime_slots;
	int watermark_slot, checkpoint_slot;
	struct weir_span *spans;
	const char *input_name;		/* of the line being handled */
	int64_t received;		/* largest watermark line received */
	int64_t forced_to;		/* largest forced advance */
	int64_t idle_to;		/* largest idle advance */
	int64_t last_emitted;		/* last watermark line written */
	int64_t punct_mark;
	int64_t next_metrics;		/* weir_housekeeping's clock */
	struct weir_state *state;	/* --state */
	struct weir_inputs *inputs;	/* with ninputs > 1 (lib/inputs.h) */
	struct weir_expr *where;	/* --where, compiled */
	struct weir_expr *having;	/* weir_having: over the rows written */
	struct weir_plan *having_plan;
	struct weir_span *having_spans;
	struct weir_rank *rank;		/* --top (weir_top) */
	struct weir_ckpt at;		/* the last barrier, and lines read since */
	struct weir_ckpt target;	/* restored: skip input up to here */
	bool skipping, target_barrier_seen;
	uint64_t skip_left;
	bool input_is_pipe;		/* the input being read is a pipe or FIFO */
	bool stop_at_barrier;		/* a signal came: stop at the next one */
	int interrupts;			/* signals acted on */
	FILE *errors, *late;
	char missing_time[160];		/* "no event time field 'x'" */
	struct weir_advice advice;	/* warnings grouped, samples for advice */
	struct weir_lateness *lateness;	/* how far behind late events were */
	bool late_told;			/* the early notice of many late events */
	struct weir_watch {
		int slot;
		char what[128];		/* "--by stauts", "sum:reqest_time" */
		char path[96];
		bool seen;
	} watch[16];			/* fields the user named (weir_watch_field) */
	int nwatch, nunseen;
	char error[512];
};

/* Builds a context; returns NULL with a message in err on failure. */
struct weir_ctx *weir_ctx_new(const char *prog, struct weir_opts *opts,
    const struct weir_hooks *hooks, void *prog_state, char *err, size_t errlen);
void weir_ctx_free(struct weir_ctx *ctx);

/*
 * Runs the loop over the inputs (paths, "-" for stdin; none means stdin)
 * until end of input, then on_end.  Returns the exit status: 0, 1 (message
 * in ctx->error), or 65 under --on-error fail.  A closed stdout returns 0.
 * Prints the late-drop notice and --stats at the end.
 */
int weir_run(struct weir_ctx *ctx, char **inputs, int ninputs);

/*
 * Installs the driver's signal handling: SIGPIPE ignored (EPIPE instead),
 * SIGUSR1 for counters or a snapshot, and with interrupt_ends_input SIGINT
 * and SIGTERM ending the input.  weir_run calls it; a program's main calls
 * it first thing too, so that a signal sent right after start is not fatal.
 */
void weir_signals(bool interrupt_ends_input);

/* Ends a run whose loop returned rc: flushes, checks the late and errors
 * files, prints the late-drop notice and --stats, writes --metrics, and
 * returns the exit status as weir_run does. */
int weir_finish(struct weir_ctx *ctx, int rc);

/* For the loops of lib/source and lib/inputs: what a line is.  Scans it with the plan
 * (spans: weir_plan_size slots) and, for an event, reads its time into *t;
 * for a watermark line, its time.  A line that is no event gets *why. */
enum { WEIR_LINE_DATA, WEIR_LINE_WATERMARK, WEIR_LINE_BARRIER, WEIR_LINE_BAD, WEIR_LINE_BLANK };
int weir_classify(struct weir_ctx *ctx, const char *line, size_t len, struct weir_span *spans,
    int64_t *t, const char **why);

/* The same in two steps, for a program that reads through its own
 * reader threads (weir-join): weir_scan_record is the scan function to
 * give weir_reader_start with the context as its argument (it runs in the
 * reader thread), and weir_classify_scanned finishes on the main thread. */
struct weir_scanned;
void weir_scan_record(void *ctx, struct weir_scanned *rec, struct weir_span *spans);
int weir_classify_scanned(struct weir_ctx *ctx, const struct weir_scanned *rec,
    const struct weir_span *spans, int64_t *t, const char **why);

/* A line of a file that is not the stream (weir-join's table): warned
 * about, kept by --errors, or failed on as --on-error says, but not counted
 * among the stream's lines (the program counts it).  0, -1 or 65. */
int weir_reject_table_line(struct weir_ctx *ctx, const char *line, size_t len,
    const char *input_name, uint64_t lineno, const char *why);

/* Opens an input as the options say (-i csv, tsv, json-text, a log
 * format); NULL with errno set.  The caller closes it. */
struct weir_input *weir_open_input(struct weir_ctx *ctx, const char *path);

/* Whether inputs are read on the main thread through weir_input (CSV,
 * JSON text, a log format) rather than by a reader thread (NDJSON). */
bool weir_reads_direct(const struct weir_opts *o);

/* Rejects a line as --on-error says (counted); returns 0, -1 or 65. */
int weir_reject_line(struct weir_ctx *ctx, const char *line, size_t len, const char *input_name,
    uint64_t lineno, const char *why);

/* The monotonic clock in ns: the wall clock a source may read (pacing,
 * --idle, progress, Kafka's commits), as the driver does. */
int64_t weir_mono_now(void);
/* The wall clock in ns since the epoch (--processing-time; how far event
 * time trails it, in weir-top). */
int64_t weir_wall_now(void);

/* SIGINT or SIGTERM arrived (with interrupt_ends_input). */
bool weir_interrupted(void);

/* Prints --stats if SIGUSR1 arrived since the last call; returns 1 if so. */
int weir_take_usr1(struct weir_ctx *ctx);

/* For the loops of lib/source and lib/inputs, between reads: SIGUSR1
 * (the counters) and the --metrics file, rewritten at most once a second.
 * Returns 0, or -1 when the metrics file cannot be written. */
int weir_housekeeping(struct weir_ctx *ctx);

/* Writes an event's line unchanged; counts it as out (it leaves) and as a row. */
int weir_emit(struct weir_ctx *ctx, const char *line, size_t len);

/* Writes a line (a computed row, or a copy of an event) and counts a row
 * only: the program counts count.out when the event leaves for good. */
int weir_emit_row(struct weir_ctx *ctx, const char *line, size_t len);

/* Writes the line with members inserted before its closing brace; a row. */
int weir_emit_insert(struct weir_ctx *ctx, const char *line, size_t len,
    const char *members, size_t mlen);

/* A line the program itself cannot take (e.g. a window bound out of range):
 * rejected as --on-error says, and counted.  Returns 0, -1 or 65. */
int weir_reject(struct weir_ctx *ctx, const struct weir_event *ev, const char *why);

/* Writes a watermark line for t, unless one for t or later was written. */
int weir_emit_watermark(struct weir_ctx *ctx, int64_t t);

/*
 * --where: true when the event goes on to the program.  Otherwise *rc is
 * what the caller returns: 0 for an event the condition left out (counted
 * as filtered; it moves no watermark, as if a weir-select in front had
 * left it out), or what rejecting it returned when the condition could not
 * be evaluated (0, -1 or 65).  input_name names the event's input in that
 * message (NULL: the input the driver is reading).
 */
bool weir_where(struct weir_ctx *ctx, const struct weir_event *ev, const char *input_name,
    int *rc);

/* Compiles --where (opts->where) against the plan, before weir_run; -1
 * with a message in err. */
int weir_where_compile(struct weir_ctx *ctx, char *err, size_t errlen);

/* --having EXPR (weir-agg): a row weir_emit_row writes goes out only when
 * EXPR is true over the row's own members; the others are counted as
 * withheld, and a row EXPR cannot be evaluated on is withheld with a
 * warning.  -1 with a message in err when EXPR is no expression. */
int weir_having(struct weir_ctx *ctx, const char *text, char *err, size_t errlen);

/*
 * --top N --rank-by NAME [--desc] (WEIR_FEATURE_TOP): the rows weir_emit_row
 * writes are held per window and only the N first by NAME go out (lib/
 * rank.h: PostgreSQL's ORDER BY NAME [DESC], then the key members of by),
 * after --having; the others are counted as withheld.  NAME must be one of
 * columns.  The driver writes a window's rows when the hook that fired it
 * (on_watermark, on_end) returns.  0, or -1 with a message in err.
 */
struct weir_keys;
int weir_top(struct weir_ctx *ctx, const struct weir_keys *by, const char *const *columns,
    int ncolumns, char *err, size_t errlen);

/* Routes a late event by --late and counts it. */
int weir_late(struct weir_ctx *ctx, const struct weir_event *ev);
/* The same for an event that is late for watermark w rather than the
 * program's (an input's own, lib/inputs.h): how far behind it was is
 * measured from w, for the notice at exit. */
int weir_late_behind(struct weir_ctx *ctx, const struct weir_event *ev, int64_t w);

/*
 * For a source (weir-replay, weir-kafka-source), an event older than what
 * it has written already: a source keeps everything it reads (SPEC 7a), so
 * the event is written where it arrived and counted as disordered, and
 * lateness is judged downstream; only a --late the user gave makes it late
 * here.  Watermark lines do not go back for it.
 */
int weir_disordered(struct weir_ctx *ctx, const struct weir_event *ev);

/*
 * Moves the watermark forward to at least t (a bound was hit, e.g.
 * --max-buffer) and runs on_watermark.  Events below it are late from now.
 */
int weir_force_watermark(struct weir_ctx *ctx, int64_t t);

/* A field the user named (`what`: the option as written, "--by stauts",
 * "sum:reqest_time") at plan slot `slot`: when no event had it, a warning
 * at exit names it and the nearest names the first event had.  At most 16
 * are watched. */
void weir_watch_field(struct weir_ctx *ctx, const char *what, int slot, const char *path);
struct weir_keys;
/* The same for each field of a key list given with `option` (--by, --key). */
void weir_watch_keys(struct weir_ctx *ctx, const char *option, const struct weir_keys *k);

/* A key list an option gives (--by, --key): parsed into k (nothing when
 * list is NULL) and watched as weir_watch_keys does; -1 with the usage
 * message in err. */
int weir_keys_option(struct weir_ctx *ctx, struct weir_keys *k, const char *option,
    const char *list, char *err, size_t errlen);

/* Records a failure message for weir_run to return; returns -1. */
int weir_fail(struct weir_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* weir_fail for an input that could not be read (errno err, as
 * weir_input_fill or a reader leaves it), in the words every program uses:
 * a line too long (at line `lineno`, when known: not 0), corrupt gzip data,
 * or the system's reason. */
int weir_read_failed(struct weir_ctx *ctx, const char *name, int err, uint64_t lineno);

/* The representation computed times are written in (--time-output, or the
 * input's, or RFC 3339 before any event). */
enum weir_repr weir_output_repr(const struct weir_ctx *ctx);

/* What a hook or weir_run's loop returns when the program stops at a
 * checkpoint (a stop barrier, or a signal under --state): no on_end. */
#define WEIR_STOPPED 3

/* --state, for the loops of lib/source and lib/inputs: weir_restore
 * loads the checkpoint the pipeline completed (on_restore; ctx->target
 * then names it, ctx->state->have says there was one), weir_checkpoint
 * flushes the output and writes one (on_save).  0, or -1 with a message. */
int weir_restore(struct weir_ctx *ctx);
/* weir_restore for a source (weir-replay, weir-kafka-source, weir-join's
 * inputs): it reads on from the checkpoint's own positions, so the driver
 * skips none of its input. */
int weir_restore_source(struct weir_ctx *ctx);
/* A line a source took in that never reaches the driver (a Kafka delete
 * marker): counted in `in` and among the lines since the last barrier. */
void weir_line_in(struct weir_ctx *ctx);
int weir_checkpoint(struct weir_ctx *ctx, struct weir_ckpt id);
/* Both, then the barrier line for id; WEIR_STOPPED after a stop barrier. */
int weir_checkpoint_barrier(struct weir_ctx *ctx, struct weir_ckpt id, bool stop);

/*
 * For a source that writes checkpoint barriers of its own (weir-replay,
 * weir-kafka-source --checkpoint-every; lib/source.h): their numbers and
 * their clock.  The program keeps `last` in its checkpoints.
 */
struct weir_cadence {
	int64_t every;		/* ns; 0: no barriers */
	uint64_t last;		/* the number of the last barrier written */
	int64_t started, next;	/* monotonic */
	bool written;		/* this run has written one */
};

/* Loads the checkpoint (weir_restore_source: on_restore sets `last`) and
 * starts the clock.  0, or -1 with a message. */
int weir_cadence_start(struct weir_ctx *ctx, struct weir_cadence *c);
/* A barrier is due: `every` has passed since the last one, and someone
 * downstream has enrolled in the ledger or the grace to enrol is over (a
 * first checkpoint before would be one that nobody completes). */
bool weir_cadence_due(struct weir_ctx *ctx, struct weir_cadence *c);
/* The next barrier: numbered, counted, the clock started again. */
struct weir_ckpt weir_cadence_next(struct weir_cadence *c);

/* Reads a barrier line: its number, `lines` and `stop`.  -1 when
 * _checkpoint or lines is not a whole number from 0, or stop no boolean. */
int weir_barrier_parse(const char *line, size_t len, struct weir_ckpt *id, bool *stop);

/* Writes {"_checkpoint":N[,"lines":K][,"stop":true]}. */
int weir_emit_barrier(struct weir_ctx *ctx, struct weir_ckpt id, bool stop);

/* How many SIGINT/SIGTERM have arrived. */
int weir_interrupt_count(void);

/* Prints the counters as one JSON line on ctx->diag. */
void weir_print_stats(struct weir_ctx *ctx);

#endif
