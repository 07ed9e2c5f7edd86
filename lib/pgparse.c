/*
 * pgparse.c: loading libpg_query and reading its parse tree (pgparse.h).
 */
#include "pgparse.h"

#include <dlfcn.h>
#include <pg_query.h>
#include <stdio.h>

static PgQueryParseResult (*pq_parse)(const char *);
static void (*pq_free)(PgQueryParseResult);

/* PostgreSQL's parser, loaded once; -1 with a message in err. */
static int
load_parser(char *err, size_t errlen)
{
	static const char *const names[] = {"libpg_query.so.1504.0", "libpg_query.so"};
	if (pq_parse)
		return 0;
	void *h = NULL;
	for (size_t i = 0; h == NULL && i < sizeof names / sizeof *names; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL || (pq_parse = (PgQueryParseResult (*)(const char *))dlsym(h,
	    "pg_query_parse")) == NULL || (pq_free = (void (*)(PgQueryParseResult))dlsym(h,
	    "pg_query_free_parse_result")) == NULL) {
		snprintf(err, errlen, "cannot load PostgreSQL's parser, libpg_query (on Debian the "
		    "package libpg-query-dev brings it): %s", dlerror());
		pq_parse = NULL;
		return -1;
	}
	return 0;
}

int
weir_pg_parse(const char *sql, json_t **tree, int *errpos, char *err, size_t errlen)
{
	*tree = NULL;
	*errpos = -1;
	if (load_parser(err, errlen) < 0)
		return -1;
	PgQueryParseResult r = pq_parse(sql);
	int rc = 0;
	if (r.error) {
		/* cursorpos counts from 1; 0 when the parser gives none */
		*errpos = r.error->cursorpos > 0 ? r.error->cursorpos - 1 : -1;
		snprintf(err, errlen, "%s", r.error->message);
		rc = -1;
	} else if ((*tree = json_loads(r.parse_tree, 0, NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	pq_free(r);
	return rc;
}
