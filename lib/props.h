/*
 * props.h: -X NAME=VALUE options, the librdkafka properties that the Kafka
 * programs pass through, collected as given and applied in order.
 *
 * Nothing here links librdkafka: the programs apply each property with
 * their own callback.  Values point into argv; weir_props_free releases
 * the list (and accepts a zeroed struct).
 */
#ifndef WEIR_PROPS_H
#define WEIR_PROPS_H

#include <stdbool.h>
#include <stddef.h>

struct weir_props {
	const char **v;		/* "name=value", as given */
	int n;
};

/* Adds one; -1 with a message naming the right form (and `example`) when
 * it is not NAME=VALUE, or memory ran out. */
int weir_props_add(struct weir_props *p, const char *value, const char *example, char *err,
    size_t errlen);

/* True when a property of that name was given. */
bool weir_props_has(const struct weir_props *p, const char *name);

/* Calls set for each, in order, with the name and the value; returns the
 * first nonzero it returns (or -1 when memory ran out), else 0. */
int weir_props_each(const struct weir_props *p,
    int (*set)(void *arg, const char *name, const char *value), void *arg);

void weir_props_free(struct weir_props *p);

#endif
