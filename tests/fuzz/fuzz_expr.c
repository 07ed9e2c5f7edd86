/* Fuzz target: expressions.  The first line of the input is an
 * expression's text, compiled (never crashing, never leaking, whatever the
 * text); when it compiles, it is evaluated over every later line that
 * scans as a JSON object, and its value written as JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *nl = memchr(p, '\n', size);
	size_t tl = nl ? (size_t)(nl - p) : size;
	char *text = malloc(tl + 1);
	if (text == NULL)
		abort();
	memcpy(text, p, tl);
	text[tl] = '\0';
	struct weir_plan *plan = weir_plan_new();
	char err[1024];
	struct weir_expr *e = weir_expr_compile(text, plan, err, sizeof err);
	free(text);
	if (e != NULL) {
		size_t nslots = weir_plan_size(plan);
		struct weir_span *spans = calloc(nslots ? nslots : 1, sizeof *spans);
		struct weir_buf out = {0};
		for (const char *line = nl ? nl + 1 : end; line < end;) {
			const char *eol = memchr(line, '\n', (size_t)(end - line));
			size_t len = eol ? (size_t)(eol - line) : (size_t)(end - line);
			const char *why;
			struct weir_value v;
			if (weir_scan(plan, line, len, spans, &why) == 0 &&
			    weir_expr_eval(e, spans, 1795428000000000000LL, &v, &why) == 0) {
				out.n = 0;
				weir_value_json(&v, &out);
			}
			line = eol ? eol + 1 : end;
		}
		weir_buf_free(&out);
		free(spans);
		weir_expr_free(e);
	}
	weir_plan_free(plan);
	return 0;
}
