/* Fuzz target: the CSV reader (libcsv records turned into JSON lines),
 * whose every line must then scan as one JSON object, or be a rejected
 * line of the input, byte for byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../lib/fields.h"
#include "../../lib/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct weir_plan *plan;
	if (plan == NULL) {
		plan = weir_plan_new();
		weir_plan_add(plan, "ts");
	}
	int fd = memfd_create("csv", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct weir_input *in = weir_input_open(path, true);
	close(fd);
	if (in == NULL)
		return 0;
	const char *line, *why;
	size_t len;
	uint64_t lineno;
	struct weir_span spans[4];
	for (;;) {
		/* CSV makes lines that are JSON objects; only bytes that are not
		 * UTF-8 make them invalid (and the driver rejects them) */
		while (weir_input_line(in, &line, &len, &lineno) == 1) {
			/* a malformed record's lines come out as they were written */
			if (weir_input_rejected(in)) {
				if (len > 0 && memmem(data, size, line, len) == NULL)
					abort();
				continue;
			}
			if (weir_scan(plan, line, len, spans, &why) < 0 && strstr(why, "UTF-8") == NULL)
				abort();
		}
		if (weir_input_eof(in) || weir_input_fill(in) < 0)
			break;
	}
	weir_input_close(in);
	return 0;
}
