/*
 * aggregate.h: the state of one aggregate in one group (a cell), and what
 * weir-agg does with it: take a value, merge two cells (sessions that join,
 * partial rows from shards), write the result, write and read the state.
 *
 * Values are read from the spans the scanner found, once per event
 * (weir_number_read); raw values are copied.  A cell owns what it points
 * to; weir_cell_free releases it (a zeroed cell is empty and valid).  The
 * bytes cells hold are kept in weir_cells.bytes, for --stats.
 */
#ifndef WEIR_AGGREGATE_H
#define WEIR_AGGREGATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "fields.h"
#include "io.h"
#include "sketch.h"
#include "hash.h"

enum weir_func {
	WEIR_AGG_COUNT, WEIR_AGG_COUNT_FIELD, WEIR_AGG_SUM, WEIR_AGG_MIN, WEIR_AGG_MAX,
	WEIR_AGG_AVG, WEIR_AGG_STDDEV, WEIR_AGG_VAR, WEIR_AGG_FIRST, WEIR_AGG_LAST,
	WEIR_AGG_DISTINCT, WEIR_AGG_APPROX_DISTINCT, WEIR_AGG_QUANTILE, WEIR_AGG_TOP,
	WEIR_AGG_COLLECT, WEIR_AGG_HIST,
};

/* One AGG operand. */

struct weir_aggdef {
	enum weir_func func;
	const char *spec;	/* as given, for messages */
	char *field;		/* path; NULL for count */
	int slot;
	double rank;		/* WEIR_AGG_QUANTILE: 0..1 */
	bool linear;		/* WEIR_AGG_QUANTILE: interpolated between ranks */
	bool null_empty;	/* WEIR_AGG_SUM: null over no value (SQL's SUM), not 0 */
	size_t k;		/* WEIR_AGG_TOP */
	double *bounds;		/* WEIR_AGG_HIST: upper bounds, ascending (owned) */
	size_t nbounds;
	bool cumulative;	/* WEIR_AGG_HIST: counts of values <= each bound */
	char *name;		/* output name, JSON-quoted */
	char *plain;		/* output name as text */
	uint64_t rejected;	/* values that are not numbers */
};

/* Parses an AGG operand, FUNC[:ARGS][=NAME] (count, sum:latency_ms,
 * p99:latency_ms=p99, p50:latency_ms:linear, sum:bytes:null, top:5:path,
 * hist:latency_ms:50,100,250), into def,
 * adding its field to plan.
 * Returns 0, or -1 with a usage message in err.  def owns field, name
 * and plain (free them), also after a failure. */
int weir_aggdef_parse(struct weir_plan *plan, struct weir_aggdef *def, const char *spec,
    char *err, size_t errlen);

/* What the numeric aggregates left out: a line `PROG: N values of 'F'
 * were not numbers (A, B left them out)` per field, and as JSON for --stats,
 * {"NAME":N,...}.  -1 when memory ran out. */
int weir_aggdefs_rejected(const struct weir_aggdef *defs, int n, const char *prog,
    struct weir_buf *out);
int weir_aggdefs_rejected_json(const struct weir_aggdef *defs, int n, struct weir_buf *out);

/* Frees what def owns and zeroes it. */
void weir_aggdef_free(struct weir_aggdef *def);

/* Is s (up to ':' or '=') the name of a function?  Decides where a
 * command line's aggregates end and its input files begin. */
bool weir_aggdef_is_spec(const char *s);

/*
 * A program's AGG operands: those of argv that are aggregates, parsed into
 * defs[*n..max) (count when there are none); an operand that is neither an
 * aggregate nor a file is taken for a misspelt one; two aggregates writing
 * the same member are refused.  Returns how many operands were used, or -1
 * with a message in err.
 */
int weir_aggdefs_operands(struct weir_plan *plan, struct weir_aggdef *defs, int max, int *n,
    int argc, char **argv, char *err, size_t errlen);

/* Sum, mean and variance.  Numbers written as plain decimals (`42`,
 * `-0.125`, up to 38 digits) are summed exactly: their digits in 128 bits,
 * scaled to the most fraction digits seen, so 0.1 + 0.2 is 0.3 and integer
 * sums stay exact far beyond 2^53.  Other numbers (exponents, more digits,
 * a sum that would overflow) go to Neumaier's compensated sum; mean and M2
 * by Welford. */
struct weir_moments {
	__int128 dsum;		/* exact part: dsum / 10^scale */
	int scale;
	uint64_t n;
	bool inexact;		/* some value went to the float sum */
	double fsum, fcomp;
	double mean, m2;
};

/* A value as it came (min, max, first, last). */
struct weir_raw {
	char *p;		/* NULL: none yet */
	size_t len;
	double v;
	uint64_t seq;		/* arrival order of its event */
};

/* One distinct value and how often it came (distinct, top). */
struct weir_value {
	UT_hash_handle hh;
	uint64_t count;
	uint64_t seq;		/* first seen: ties in top */
	size_t len;
	char bytes[];
};

struct weir_exact {
	double *v;
	size_t n, cap;
};

/*
 * Percentiles: the values themselves while there are at most WEIR_PCT_SMALL of
 * them (so small groups get exact answers), then a DDSketch; with --exact
 * always the values.
 */
#define WEIR_PCT_SMALL 64

struct weir_pct {
	struct weir_exact ex;
	struct weir_quantiles *q;
};

/* collect: the values' text one after another, and where each is. */
struct weir_collected {
	uint64_t seq;		/* arrival: merged sessions keep arrival order */
	size_t off, len;
};

struct weir_collect {
	struct weir_buf text;
	struct weir_collected *items;
	size_t n, cap;
};

union weir_cell {
	uint64_t count;
	struct weir_moments m;
	struct weir_raw r;
	struct weir_value *set;		/* uthash head, in first-seen order */
	struct weir_pct p;
	struct weir_distinct *d;
	struct weir_collect col;
	uint64_t *hist;			/* nbounds + 1 counts, the last +Inf; NULL: none */
};

/* A value read from an event once, however many groups take it. */
struct weir_number {
	enum { NUM_ABSENT, NUM_BAD, NUM_INT, NUM_REAL } kind;
	__int128 i;		/* its digits, when exact */
	int fd;			/* fraction digits of i; -1: not a plain decimal */
	double d;
};

/* Settings every cell shares, and the bytes all cells hold (sets, sketches,
 * collected values), kept up to date by the functions below. */
struct weir_cells {
	bool exact;		/* --exact: percentiles from every value */
	int64_t bytes;
};

/* Reads a span as a value for the numeric aggregates; with from_strings,
 * a string whose text is a JSON number counts as that number. */
void weir_number_read(const struct weir_span *s, bool from_strings, struct weir_number *out);

/* A value for min and max: a number as weir_number_read reads it, or a
 * string holding an RFC 3339 time, ordered as its seconds since the epoch
 * (so max(ts) is the latest time, written as it came). */
void weir_extremum_read(const struct weir_span *s, bool from_strings, struct weir_number *out);

/* Is the function numeric (a value that is not a number is rejected)? */
bool weir_agg_is_numeric(enum weir_func f);

/* Takes one event's value (v: its span, num: as read) into a cell; seq
 * is the event's arrival.  Returns -1 when memory runs out. */
int weir_cell_add(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *c,
    const struct weir_span *v, const struct weir_number *num, uint64_t seq);

/* Folds cell b into a (b's parts may move to a; free b after). */
int weir_cell_merge(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *a,
    union weir_cell *b);

/* Writes the result as a JSON value (count: the group's event count). */
int weir_cell_result(const struct weir_aggdef *def, union weir_cell *c, uint64_t count,
    struct weir_buf *b);

/* Writes the state as JSON for --partial; weir_cell_read reads it back
 * into a zeroed cell (seq: the partial row's arrival).  -1 when it is not
 * such a state or memory ran out. */
int weir_cell_write(const struct weir_aggdef *def, const union weir_cell *c, struct weir_buf *b);
int weir_cell_read(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *c,
    const json_t *v, uint64_t seq);

/* Frees what the cell holds (and takes its bytes off cx->bytes). */
void weir_cell_free(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *c);

/* Bytes a cell holds beyond itself: the sum over live cells is what
 * cx->bytes counts, kept by the functions above. */
size_t weir_cell_bytes(const struct weir_aggdef *def, const union weir_cell *c);

/* --- a group's cells, as a row ------------------------------------------------- */

/*
 * Appends the members a group's row carries for its n cells (count: its
 * events), each `,"name":value` (no comma before the first when !comma):
 * the results, or with partial the one member
 * `"_partial":{"v":1,"n":COUNT,"a":{"name":STATE,...}}` that --merge folds
 * back.  -1 when memory ran out.
 */
int weir_cells_row(struct weir_buf *b, bool comma, const struct weir_aggdef *defs, int n,
    union weir_cell *cells, uint64_t count, bool partial);

/* Reads a `_partial` member's value (text, len) into n zeroed cells and
 * *count; seq is its arrival.  Returns -1 with *bad the definition it has
 * no valid state for (or -1 when it is no partial of this version); the
 * caller frees the cells either way. */
int weir_cells_from_partial(struct weir_cells *cx, const struct weir_aggdef *defs, int n,
    const char *text, size_t len, uint64_t seq, union weir_cell *cells, uint64_t *count,
    int *bad);

/* A cell in a checkpoint (lib/state.h): its state as --partial writes it,
 * and the arrival numbers that form leaves out (first, last, collect), so
 * that a restored cell writes the same bytes.  scratch is the caller's.
 * weir_cell_restore reads one into a zeroed cell; -1 when it is not one. */
struct weir_get;
int weir_cell_save(const struct weir_aggdef *def, const union weir_cell *c, struct weir_buf *b,
    struct weir_buf *scratch);
int weir_cell_restore(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *c,
    struct weir_get *g, uint64_t seq);

#endif
