/*
 * value.h: the values expressions compute with, and how they become JSON.
 *
 * A value is small and copied by value.  Text (a string's bytes, an
 * object's JSON, a number's original digits) is borrowed: from the event's
 * line, a constant of the expression, or the expression's scratch space
 * (struct weir_scratch), which the evaluator resets once per event.
 */
#ifndef WEIR_VALUE_H
#define WEIR_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "io.h"

enum weir_vtype {
	WEIR_V_NULL,
	WEIR_V_BOOL,
	WEIR_V_INT,		/* i: exact integer */
	WEIR_V_FLOAT,		/* d */
	WEIR_V_TEXT,		/* s, n: decoded bytes */
	WEIR_V_JSON,		/* s, n: an object or array as written */
	WEIR_V_TIME,		/* i: ns since the epoch (timestamptz) */
	WEIR_V_INTERVAL,	/* i: ns */
};

struct weir_value {
	enum weir_vtype type;
	bool b;
	int64_t i;
	double d;
	const char *s;	/* TEXT, JSON; for numbers read from an event, their
			   text as written (NULL when computed) */
	size_t n;
};

/*
 * Scratch space for values computed during one evaluation: blocks that
 * never move (a value keeps pointing into them), reused after a reset, so
 * an expression allocates only until it has seen its largest event.
 */
struct weir_scratch {
	struct weir_block *blocks, *cur;
};

char *weir_scratch_get(struct weir_scratch *sc, size_t n);	/* NULL: no memory */
void weir_scratch_reset(struct weir_scratch *sc);
void weir_scratch_free(struct weir_scratch *sc);

/* The value a field's span holds (absent: NULL); strings with escapes are
 * decoded into sc.  -1 when memory ran out. */
int weir_value_of_span(const struct weir_span *sp, struct weir_scratch *sc,
    struct weir_value *v);

/* Appends v as JSON: numbers read from an event keep their text, strings
 * are quoted, times are RFC 3339 strings, intervals PostgreSQL's text. */
int weir_value_json(const struct weir_value *v, struct weir_buf *b);

/* v as text, as ::text gives it, in sc (or borrowed).  -1: no memory. */
int weir_value_text(const struct weir_value *v, struct weir_scratch *sc, const char **s,
    size_t *n);

/* Reads text as a number the way a cast to a number does (white space
 * around allowed): 0 with *v an INT or FLOAT, -1 when it is none. */
int weir_number_parse(const char *s, size_t n, struct weir_value *v);

/* PostgreSQL's interval input for the forms weir reads ('5 minutes',
 * '1 hour 30 minutes', '1h', '00:05:00', '1 day'): 0 with *ns, or -1. */
int weir_interval_parse(const char *s, size_t n, int64_t *ns);

#endif
