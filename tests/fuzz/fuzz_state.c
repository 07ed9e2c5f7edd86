/* Fuzz target: reading state back: a checkpoint file (lib/state.h, header
 * and payload codec), and merge state (weir-agg --merge): the sketches'
 * JSON, then merging and querying what was read. */
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "../../lib/sketch.h"
#include "../../lib/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct weir_state_hdr h;
	const char *why;
	weir_state_parse((const char *)data, size, false, &h, &why);
	if (weir_state_parse((const char *)data, size, true, &h, &why) == 0) {
		struct weir_get g = {h.payload, h.payload_len, 0, false};
		size_t n;
		while (!g.bad) {
			weir_get_count(&g, 8);
			weir_get_bytes(&g, &n);
		}
	}
	json_t *v = json_loadb((const char *)data, size, 0, NULL);
	if (v == NULL)
		return 0;
	struct weir_quantiles *q = weir_quantiles_read(v);
	if (q) {
		struct weir_quantiles *other = weir_quantiles_new(0.01);
		weir_quantiles_add(other, 3.5);
		weir_quantiles_merge(other, q);
		for (double r = 0; r <= 1; r += 0.25) {
			weir_quantiles_value(q, r);
			weir_quantiles_upper(other, r);
		}
		struct weir_buf b = {0};
		weir_quantiles_write(q, &b);
		weir_buf_free(&b);
		weir_quantiles_free(other);
		weir_quantiles_free(q);
	}
	struct weir_distinct *d = weir_distinct_read(v);
	if (d) {
		struct weir_distinct *other = weir_distinct_new();
		weir_distinct_add(other, "x", 1);
		weir_distinct_merge(other, d);
		weir_distinct_estimate(d);
		weir_distinct_estimate(other);
		weir_distinct_free(other);
		weir_distinct_free(d);
	}
	json_decref(v);
	return 0;
}
