/* Fuzz target: the log formats of lib/parse.  The first byte picks the
 * format (and its options), the rest is lines; every record a parser hands
 * out must scan as one JSON object, a line it does not read must come with
 * a reason, and the end of the input must give back what is held. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/fields.h"
#include "../../lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct weir_format *
format_for(unsigned pick)
{
	static const char *const names[] = {"combined", "common", "syslog", "logfmt", "kv", "cri",
		"docker", "regex", "auto"};
	static struct weir_format *made[9 * 4];
	unsigned kind = pick % 9, variant = (pick / 9) % 4;
	struct weir_format **f = &made[kind * 4 + variant];
	if (*f)
		return *f;
	char err[256];
	*f = weir_format_new(names[kind], "^(?<a>\\S+) (?<n>\\d+)?(?<rest>.*)$", err, sizeof err);
	if (*f == NULL)
		abort();
	if (variant & 1) {
		weir_format_raw(*f, "raw", err, sizeof err);
		weir_format_passthrough(*f, true);
	}
	if (variant & 2) {
		if (kind == 4 && weir_format_kv_separators(*f, ":", ",", err, sizeof err) < 0)
			abort();
		if ((kind == 5 || kind == 6) && weir_format_message(*f, variant & 1 ? "json" : "logfmt",
		    err, sizeof err) < 0)
			abort();
		if (kind == 7 && weir_format_types(*f, "n=int", err, sizeof err) < 0)
			abort();
	}
	return *f;
}

static void
check(const char *out, size_t n)
{
	static struct weir_plan *plan;
	static struct weir_span spans[4];
	if (plan == NULL) {
		plan = weir_plan_new();
		weir_plan_add(plan, "time");
	}
	const char *why;
	if (weir_scan(plan, out, n, spans, &why) < 0)
		abort();	/* a record that is not JSON */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const struct weir_format *f = format_for(data[0]);
	struct weir_parser *p = weir_parser_new(f);
	if (p == NULL)
		abort();
	const char *s = (const char *)data + 1, *e = (const char *)data + size;
	uint64_t lineno = 0;
	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t n = (size_t)((nl ? nl : e) - s);
		const char *out, *why = NULL;
		size_t on;
		uint64_t first;
		int rc = weir_parser_line(p, s, n, ++lineno, &out, &on, &first, &why);
		if (rc == WEIR_PARSE_RECORD) {
			if (first > lineno || first == 0)
				abort();
			/* passed through as it came: the driver checks it, not the parser */
			if (!(out >= s && out < s + n + 1))
				check(out, on);
		} else if (rc == WEIR_PARSE_NO) {
			if (why == NULL || *why == '\0')
				abort();
		} else if (rc != WEIR_PARSE_HELD) {
			abort();
		}
		s = nl ? nl + 1 : e;
	}
	const char *out;
	size_t on;
	uint64_t first;
	while (weir_parser_end(p, &out, &on, &first) == WEIR_PARSE_RECORD)
		check(out, on);
	if (weir_parser_holds(p))
		abort();
	weir_parser_free(p);
	return 0;
}
