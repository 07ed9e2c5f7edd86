/*
 * exprfn.h: the functions expressions call (lower, substr, round,
 * date_trunc ...), and the conversions operators share with them.
 *
 * Ownership: a function reads its arguments and writes its result into
 * *out, with any text it makes in the caller's scratch space; errors are
 * static strings or written into the caller's message buffer.
 */
#ifndef WEIR_EXPRFN_H
#define WEIR_EXPRFN_H

#include <stdbool.h>
#include <stddef.h>

#include "value.h"

/* What a function or conversion needs besides its arguments. */
struct weir_fnctx {
	struct weir_scratch *sc;
	int64_t t;		/* the event's time: event_time() */
	char *msg;		/* room for a message naming a value */
	size_t msglen;
	const char *why;	/* set on error */
};

typedef int (*weir_fn)(struct weir_fnctx *c, const struct weir_value *a, int n,
    struct weir_value *out);

struct weir_fndef {
	const char *name;
	int min, max;		/* arguments */
	bool strict;		/* NULL in any argument: NULL out, not called */
	weir_fn fn;
};

/* The function of that name (lower case), or NULL. */
const struct weir_fndef *weir_fn_find(const char *name);

/* Conversions, as casts and operators make them; -1 with c->why. */
int weir_to_number(struct weir_fnctx *c, const struct weir_value *v, struct weir_value *out);
int weir_to_time(struct weir_fnctx *c, const struct weir_value *v, int64_t *t);
int weir_to_interval(struct weir_fnctx *c, const struct weir_value *v, int64_t *ns);
int weir_to_bool(struct weir_fnctx *c, const struct weir_value *v, bool *b);
int weir_to_text(struct weir_fnctx *c, const struct weir_value *v, const char **s, size_t *n);

/* A failure naming a value: "invalid input syntax for type T: "V"". */
int weir_fn_bad_input(struct weir_fnctx *c, const char *type, const char *s, size_t n);

#endif
