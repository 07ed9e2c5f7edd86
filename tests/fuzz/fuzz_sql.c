/* Fuzz target: weir sql's compiler.  The input is a query's text; it is
 * compiled (never crashing, never leaking, whatever the text), and a
 * compiled pipeline is walked as --explain would print it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	struct weir_sql s;
	struct weir_sql_opts o = {0};
	char err[4096];
	size_t total = 0;
	if (weir_sql_compile(text, &o, &s, err, sizeof err) == 0)
		for (int i = 0; i < s.n; i++)
			for (int k = 0; k < s.stage[i].argc; k++)
				total += strlen(s.stage[i].argv[k]);
	else
		total = strlen(err);
	weir_sql_free(&s);
	free(text);
	return total == (size_t)-1;
}
