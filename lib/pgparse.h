/*
 * pgparse.h: PostgreSQL's own parser (libpg_query), loaded on first use.
 *
 * The library is opened with dlopen the first time a text is parsed, so a
 * program that parses nothing does not carry it in its memory.
 *
 * Ownership: weir_pg_parse hands back a jansson tree the caller releases
 * with json_decref.
 */
#ifndef WEIR_PGPARSE_H
#define WEIR_PGPARSE_H

#include <jansson.h>
#include <stddef.h>

/* Parses SQL text.  0 with its parse tree ({"version":…,"stmts":[…]}),
 * or -1 with a message in err and, in *errpos, the byte offset in sql the
 * parser stopped at (-1 when it names none, as when the library cannot be
 * loaded). */
int weir_pg_parse(const char *sql, json_t **tree, int *errpos, char *err, size_t errlen);

#endif
