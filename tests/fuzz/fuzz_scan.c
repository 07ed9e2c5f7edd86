/* Fuzz target: the validating scanner and what reads its spans. */
#include <stdbool.h>
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

static int
count(void *arg, const struct weir_span *key, const struct weir_span *value)
{
	(void)key;
	(void)value;
	++*(int *)arg;
	return 0;
}

static int
count_members(const char *line, size_t len)
{
	int n = 0;
	return weir_members(line, len, count, &n) == 0 ? n : -1;
}

/* Lines given one shape number have the same top-level keys, in order:
 * the keys of the last 16 numbers seen are kept and compared. */
static void
check_shape(int rc, bool clean, uint32_t shape, const char *line, size_t size)
{
	static struct {
		uint32_t id;
		size_t n;
		char keys[1024];
	} seen[16];
	static unsigned next;
	if (shape == 0)
		return;
	if (rc != 0 || !clean)
		abort();	/* only a clean line that scanned has one */
	struct weir_member list[64];
	int k = weir_member_list(line, size, 1, list, 64);
	if (k < 0)
		return;
	char keys[1024];
	size_t n = 0;
	for (int i = 0; i < k; i++) {
		if (n + list[i].key.n + 1 > sizeof keys)
			return;
		memcpy(keys + n, list[i].key.p, list[i].key.n);
		n += list[i].key.n;
		keys[n++] = '\0';
	}
	for (unsigned i = 0; i < 16; i++)
		if (seen[i].id == shape) {
			if (seen[i].n != n || memcmp(seen[i].keys, keys, n) != 0)
				abort();
			return;
		}
	seen[next % 16].id = shape;
	seen[next % 16].n = n;
	memcpy(seen[next % 16].keys, keys, n);
	next++;
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
	bool clean = true;	/* the byte loop weir_line_is_clean must agree with */
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\\' || data[i] < 0x20 || data[i] >= 0x80)
			clean = false;
	if (weir_line_is_clean(line, size) != clean)
		abort();
	int rc = weir_scan(plan, line, size, spans, &why);
	check_shape(rc, clean, weir_scan_shape(), line, size);
	if (rc == 0) {
		size_t n = 0;
		int members = weir_members(line, size, visit, &n) == 0 ? count_members(line, size) : -1;
		/* the member list gives what the walk with calls gave */
		struct weir_member list[64];
		const int told[2] = {-1, clean};	/* not known, and known */
		for (int t = 0; t < 2; t++) {
			int k = weir_member_list(line, size, told[t], list, 64);
			size_t m = 0;
			for (int i = 0; i < k; i++)
				m += list[i].key.n + list[i].value.n;
			if (members >= 0 && members <= 64 && (k != members || m != n))
				abort();
		}
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
