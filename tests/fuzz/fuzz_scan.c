/* Fuzz target: the validating scanner and what reads its spans. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/fields.h"

static int
visit(void *arg, const struct weir_span *key, const struct weir_span *value)
{
	size_t *n = arg;
	*n += key->n + value->n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct weir_plan *plan;
	if (plan == NULL) {
		plan = weir_plan_new();
		const char *paths[] = {"ts", "a.b", "a.b.c", "user\\.id", "x", "@timestamp", "k.0"};
		for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
			weir_plan_add(plan, paths[i]);
	}
	/* the line in its own allocation, so ASan sees any read past it */
	char *line = malloc(size ? size : 1);
	memcpy(line, data, size);
	struct weir_span spans[16];
	const char *why;
	if (weir_scan(plan, line, size, spans, &why) == 0) {
		size_t n = 0;
		weir_members(line, size, visit, &n);
		char out[256];
		double d;
		for (size_t i = 0; i < weir_plan_size(plan); i++) {
			weir_span_unescape(&spans[i], out, sizeof out);
			weir_span_number(&spans[i], &d);
			if (spans[i].p)
				weir_is_json_number(spans[i].p, spans[i].n);
		}
	}
	free(line);
	return 0;
}
