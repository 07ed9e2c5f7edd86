/*
 * sql.h: weir sql's compiler: one SELECT, in PostgreSQL's grammar and
 * parsed by PostgreSQL's parser (pgparse.h), into a pipeline of weir's
 * programs that gives its rows.
 *
 *   SELECT … FROM 'file' WHERE … GROUP BY tumble(ts, INTERVAL '1 minute'), host
 *   HAVING …
 *   ──► [gzip -dc | weir-replay] ──► [weir-select: WHERE, computed keys and
 *       arguments] ──► weir-agg | weir-dedupe | weir-watermark ──►
 *       [weir-select --only: the SELECT list]
 *
 * What the pipeline cannot mean exactly is refused, with the query shown
 * and a caret under the clause.
 *
 * Ownership: weir_sql_compile fills a struct weir_sql the caller releases
 * with weir_sql_free, also after a failure; it owns every string in it.
 */
#ifndef WEIR_SQL_H
#define WEIR_SQL_H

#include <stdbool.h>
#include <stddef.h>

#define WEIR_SQL_STAGES 6
#define WEIR_SQL_ARGS 512

struct weir_sql_stage {
	char *argv[WEIR_SQL_ARGS + 1];	/* argv[0] the program: weir-agg, gzip … */
	int argc;
	bool weir;			/* one of weir's programs (takes the shared options) */
};

struct weir_sql {
	struct weir_sql_stage stage[WEIR_SQL_STAGES];
	int n;
	int reader;		/* the first weir program: reads the events */
	int timed;		/* the program that keeps event time, or -1 */
	int agg;		/* weir-agg, or -1 */
	bool stateful_after_join;	/* a second program with state after weir-join */
	char **files;		/* what the reader reads after its options (NULL: stdin) */
	int nfiles;
	char *input_format;	/* -i for the reader from the file's extension, or NULL */
};

/* What the user gave beside the query that changes the compiled program. */
struct weir_sql_opts {
	const char *time_field;	/* -t, or NULL */
	bool processing_time;	/* --processing-time */
};

/* Compiles query into s.  0, or -1 with a message in err that shows the
 * query with a caret under the position it concerns. */
int weir_sql_compile(const char *query, const struct weir_sql_opts *o, struct weir_sql *s,
    char *err, size_t errlen);
void weir_sql_free(struct weir_sql *s);

#endif
