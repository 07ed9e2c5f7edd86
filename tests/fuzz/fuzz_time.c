/* Fuzz target: event-time parsing in every -T format, and durations. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/evtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const specs[] = {
		"auto", "rfc3339", "epoch", "epoch_ms", "epoch_us", "epoch_ns",
		"%d/%b/%Y:%H:%M:%S %z", "%Y-%m-%d %H:%M:%S.%f", "%s.%f", "%a %b %e %T %Y",
	};
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		struct weir_timefmt tf;
		if (weir_timefmt_parse(&tf, specs[i]) < 0)
			continue;
		int64_t t;
		enum weir_repr repr;
		const char *why;
		if (weir_time_from_json(&tf, s, size, &t, &repr, &why) == 0) {
			char buf[WEIR_TIME_BUFSZ];
			weir_time_format_json(t, repr, buf);
			weir_time_format_rfc3339(t, buf);
		}
		weir_timefmt_free(&tf);
	}
	/* the input as a pattern, applied to itself */
	size_t half = size / 2;
	char *pattern = strndup(s, half);
	int64_t t;
	weir_time_parse_pattern(pattern, s + half, size - half, &t);
	free(pattern);
	weir_duration_parse(s, &t);
	free(s);
	return 0;
}
