/*
 * reader.h: a thread that reads NDJSON, splits lines and scans them, so
 * that the program's own work runs on the other core.
 *
 *   reader thread:  read(2) ─► split lines ─► batch READY ─► scan chunks
 *   main thread:    take batch ─► scan chunks, hooks, output ─► give it back
 *
 * Three batches are taken in turn, so the reader reads block k+1 while
 * the main thread works on block k.  The scan of a batch is shared: it is
 * cut into chunks of WEIR_CHUNK lines, and whichever thread comes first
 * claims the next one, so the two cores stay busy whichever side has more
 * to do.  The taker calls weir_batch_scanned before it reads a record's
 * scan.  A batch owns its bytes: the lines and spans it holds stay valid
 * until it is given back.  A line cut by the end of a block is carried
 * into the next one; a line longer than a block grows the block, up to
 * WEIR_MAX_LINE.
 *
 * weir_reader_fd is readable whenever a batch may be ready, so the main
 * thread can poll(2) it together with its timers; when no batch is ready,
 * the next one would block and the caller flushes its output.
 *
 * All signals are blocked in the reader thread: they reach the main thread.
 */
#ifndef WEIR_READER_H
#define WEIR_READER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"

struct weir_scanned {
	const char *line;
	size_t len;
	uint64_t lineno;
	int64_t t;
	int kind;		/* the scan function's classification */
	int repr;
	int aux;		/* for the scan function's own use */
	uint32_t shape;		/* weir_scan_shape, where the scan function says */
	uint64_t digest[2];	/* the program's on_scan result (lib/driver.h) */
	const char *why;	/* static reason for a rejected line */
	bool clean;		/* weir_line_is_clean, where the scan function says */
	bool no_time;		/* rejected for its event time: none, or unreadable */
	uint8_t input;		/* which of a program's inputs (lib/inputs.h), else 0
				   (in the padding after the flags: a record stays 80 bytes) */
};

/* Runs once per line, on the reader thread or on the thread that took the
 * batch (the two scan different lines at the same time): fills rec (line,
 * len and lineno are set) and spans[0..nslots).  Must only read shared
 * state. */
typedef void weir_scan_fn(void *arg, struct weir_scanned *rec, struct weir_span *spans);

struct weir_batch {
	struct weir_scanned *recs;	/* scanned up to `ready` (weir_batch_scanned) */
	struct weir_span *spans;	/* nslots per record */
	size_t n;
	size_t ready;			/* the taker's: records [0, ready) are scanned */
	/* private */
	char *buf;
	size_t cap, used;
	size_t reccap;
	int state;
	bool eof;
	int err;
	size_t nchunks;			/* chunks of WEIR_CHUNK records */
	atomic_size_t claim;		/* the next chunk a thread may scan */
	atomic_uchar *done;		/* per chunk: scanned */
	size_t donecap;
};

/* Lines a thread scans at a time: enough that claiming them (an atomic
 * operation between the cores) costs little beside their scan. */
#define WEIR_CHUNK 64

/* How many records ahead of the one being handled its successors are
 * fetched into cache: far enough that a miss to memory (~100 ns) is over
 * before the record is handled. */
#define WEIR_AHEAD 8

/*
 * For the thread handling record i of b: what the reader wrote of the
 * records further on (on the other core) two WEIR_AHEAD on, and the line
 * itself one WEIR_AHEAD on (its record in cache by then), fetched early
 * rather than missed one by one as the thread reaches them.  A hint only.
 * Always inlined: GCC otherwise takes a function that only prefetches for
 * one without effect and drops the call.
 */
static inline __attribute__((always_inline)) void
weir_batch_prefetch(const struct weir_batch *b, size_t i, size_t nslots)
{
	if (i + 2 * WEIR_AHEAD < b->n) {
		const struct weir_scanned *r = &b->recs[i + 2 * WEIR_AHEAD];
		const struct weir_span *sp = &b->spans[(i + 2 * WEIR_AHEAD) * nslots];
		__builtin_prefetch(r);
		__builtin_prefetch((const char *)(r + 1) - 1);
		__builtin_prefetch(sp);
		__builtin_prefetch(sp + nslots - 1);
	}
	if (i + WEIR_AHEAD < b->n)
		__builtin_prefetch(b->recs[i + WEIR_AHEAD].line);
}

struct weir_reader;

void weir_batch_scan_to(struct weir_reader *r, struct weir_batch *b, size_t upto);

/* Makes records [0, upto) of b scanned (all of them when upto is past
 * b->n), for the thread that took b: it scans the chunks no thread has
 * claimed yet itself, and waits only for one the reader is scanning. */
static inline void
weir_batch_scanned(struct weir_reader *r, struct weir_batch *b, size_t upto)
{
	if (upto > b->ready)
		weir_batch_scan_to(r, b, upto);
}

/* Starts the thread on fd.  Returns NULL with errno set on failure. */
struct weir_reader *weir_reader_start(int fd, size_t nslots, weir_scan_fn *fn, void *arg);

/* A descriptor that is readable when a batch may be ready. */
int weir_reader_fd(const struct weir_reader *r);

/*
 * Takes the next batch in order.  Returns 1 with *b (give it back with
 * weir_reader_give_back), or 0 when none is ready yet.  The last batch has
 * eof set, or err (an errno value: EFBIG for a line longer than
 * WEIR_MAX_LINE) after the lines read before the error.
 */
int weir_reader_take(struct weir_reader *r, struct weir_batch **b);
void weir_reader_give_back(struct weir_reader *r, struct weir_batch *b);

/* Stops the thread (also when it is blocked in read) and frees everything;
 * accepts NULL. */
void weir_reader_stop(struct weir_reader *r);

#endif
