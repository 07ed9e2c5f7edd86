/*
 * expr.h: expressions in PostgreSQL's language over an event's fields
 * (--where, --set, --having).
 *
 * The text is parsed by PostgreSQL's own parser (libpg_query) as the one
 * target of a SELECT, and the tree compiled once into nodes that are
 * evaluated per event over the field plan's spans: no JSON tree per line,
 * and no allocation per line once the scratch space has grown to what the
 * expression needs.  Field references add their paths to the plan.
 *
 * Values follow the JSON value a field holds (lib/value.h): a number is an
 * integer (exact to 64 bits) or a double, a string is its decoded bytes, a
 * missing field or JSON null is NULL; objects and arrays are their JSON
 * text.  PostgreSQL's meaning holds for each operator and function, with
 * the differences weir(7) lists.
 *
 * Ownership: weir_expr_compile returns an expression the caller frees with
 * weir_expr_free (NULL accepted); it owns its nodes, constants, compiled
 * regular expressions and scratch space.  A value weir_expr_eval returns
 * points into the event's line or into that scratch space, valid until the
 * next evaluation.  One expression is used by one thread at a time.
 */
#ifndef WEIR_EXPR_H
#define WEIR_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "value.h"

struct weir_expr;

/* Compiles text, adding the fields it reads to plan.  NULL with a message
 * in err when it is no expression or cannot mean anything (an unknown
 * function, a constant of the wrong type): the message shows the text
 * with a caret under the position it concerns. */
struct weir_expr *weir_expr_compile(const char *text, struct weir_plan *plan, char *err,
    size_t errlen);
void weir_expr_free(struct weir_expr *e);

/* The same, with the message alone in err and the position in the text
 * it concerns in *at (-1 when none), for a caller that shows the text
 * itself (weir sql shows the whole query). */
struct weir_expr *weir_expr_compile_at(const char *text, struct weir_plan *plan, char *err,
    size_t errlen, int *at);

/* The text it was compiled from. */
const char *weir_expr_text(const struct weir_expr *e);

/* Does it read the event's time (event_time())? */
bool weir_expr_uses_time(const struct weir_expr *e);

/* The fields it reads, for warnings about names no event had: calls f
 * with each path and its plan slot. */
void weir_expr_fields(const struct weir_expr *e, void (*f)(void *arg, const char *path, int slot),
    void *arg);

/* Evaluates over an event's spans (indexed by plan slot) and event time t
 * (ns; event_time()).  0 with the value in *out, or -1 with the reason in
 * *why (division by zero, a string that is no number ...). */
int weir_expr_eval(struct weir_expr *e, const struct weir_span *fields, int64_t t,
    struct weir_value *out, const char **why);

/* As a condition: 1 when it is true, 0 when false or NULL, -1 with *why
 * on an error or when the value is no boolean. */
int weir_expr_test(struct weir_expr *e, const struct weir_span *fields, int64_t t,
    const char **why);

#endif
