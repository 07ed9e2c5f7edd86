/*
 * props.c: -X NAME=VALUE options (props.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"

int
weir_props_add(struct weir_props *p, const char *value, const char *example, char *err,
    size_t errlen)
{
	const char *eq = strchr(value, '=');
	if (eq == NULL || eq == value) {
		snprintf(err, errlen, "bad -X '%s' (expected NAME=VALUE, a librdkafka property, "
		    "e.g. -X %s)", value, example);
		return -1;
	}
	const char **v = realloc(p->v, (size_t)(p->n + 1) * sizeof *v);
	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->v = v;
	p->v[p->n++] = value;
	return 0;
}

bool
weir_props_has(const struct weir_props *p, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < p->n; i++)
		if (strncmp(p->v[i], name, n) == 0 && p->v[i][n] == '=')
			return true;
	return false;
}

int
weir_props_each(const struct weir_props *p,
    int (*set)(void *arg, const char *name, const char *value), void *arg)
{
	for (int i = 0; i < p->n; i++) {
		const char *eq = strchr(p->v[i], '=');
		char *name = strndup(p->v[i], (size_t)(eq - p->v[i]));
		if (name == NULL)
			return -1;
		int rc = set(arg, name, eq + 1);
		free(name);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
weir_props_free(struct weir_props *p)
{
	free(p->v);
	p->v = NULL;
	p->n = 0;
}
