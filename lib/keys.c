/*
 * keys.c: keys from a list of fields (weir-window and weir-agg --by,
 * weir-join --on): their bytes, their hash, and comparing them.
 */
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY	/* XXH3_state_t on the stack */
#include <xxhash.h>

#include "io.h"
#include "keys.h"
#include "map.h"

int
weir_keys_parse(struct weir_keys *k, struct weir_plan *plan, const char *list)
{
	k->n = weir_plan_add_list(plan, list, k->slots, WEIR_MAX_KEY_FIELDS);
	if (k->n < 0) {
		k->n = 0;
		return -1;
	}
	/* the output name of each field: the path as given */
	char *copy = strdup(list), *save = NULL;
	if (copy == NULL)
		return -1;
	int i = 0;
	for (char *f = strtok_r(copy, ",", &save); f && i < k->n; f = strtok_r(NULL, ",", &save)) {
		size_t cap = 6 * strlen(f) + 3;
		if ((k->names[i] = malloc(cap)) == NULL)
			break;
		long n = weir_json_quote(k->names[i], cap, 0, f, strlen(f));
		k->names[i][n < 0 ? 0 : n] = '\0';
		k->name_len[i] = n < 0 ? 0 : (size_t)n;
		i++;
	}
	free(copy);
	return i == k->n ? 0 : -1;
}

void
weir_keys_free(struct weir_keys *k)
{
	for (int i = 0; i < WEIR_MAX_KEY_FIELDS; i++) {
		free(k->names[i]);
		k->names[i] = NULL;
	}
	k->n = 0;
}

long
weir_keys_bytes(const struct weir_keys *k, const struct weir_span *spans, char **buf,
    size_t *cap)
{
	size_t need = 1;
	for (int i = 0; i < k->n; i++)
		need += spans[k->slots[i]].n + 2;
	if (weir_reserve(buf, cap, need) < 0)
		return -1;
	size_t len = 0;
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		if (v->p == NULL) {
			(*buf)[len++] = '\1';
		} else {
			memcpy(*buf + len, v->p, v->n);
			len += v->n;
		}
		(*buf)[len++] = '\0';
	}
	return (long)len;
}

/* Keys up to this size are gathered on the stack and hashed at once;
 * longer ones stream through XXH3, which gives the same hash. */
#define KEY_STACK 512

uint64_t
weir_keys_hash(const struct weir_keys *k, const struct weir_span *spans)
{
	size_t need = 0;
	for (int i = 0; i < k->n; i++)
		need += spans[k->slots[i]].n + 2;
	if (need <= KEY_STACK) {
		char buf[KEY_STACK];
		size_t n = 0;
		for (int i = 0; i < k->n; i++) {
			const struct weir_span *v = &spans[k->slots[i]];
			if (v->p == NULL) {
				buf[n++] = '\1';
			} else {
				memcpy(buf + n, v->p, v->n);
				n += v->n;
			}
			buf[n++] = '\0';
		}
		return weir_map_hash(buf, n);
	}
	XXH3_state_t st;
	XXH3_64bits_reset(&st);
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		if (v->p == NULL)
			XXH3_64bits_update(&st, "\1", 1);
		else
			XXH3_64bits_update(&st, v->p, v->n);
		XXH3_64bits_update(&st, "", 1);
	}
	return XXH3_64bits_digest(&st);
}

bool
weir_keys_equal(const struct weir_keys *k, const struct weir_span *spans, const char *bytes,
    size_t len)
{
	size_t at = 0;
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		const char *p = v->p ? v->p : "\1";
		size_t n = v->p ? v->n : 1;
		if (len - at < n + 1 || memcmp(bytes + at, p, n) != 0 || bytes[at + n] != '\0')
			return false;
		at += n + 1;
	}
	return at == len;
}

char *
weir_keys_members(const struct weir_keys *k, const struct weir_span *spans, size_t *len)
{
	size_t need = 1;
	for (int i = 0; i < k->n; i++)
		need += strlen(k->names[i]) + spans[k->slots[i]].n + 2;
	char *m = malloc(need);
	if (m == NULL)
		return NULL;
	size_t n = 0;
	for (int i = 0; i < k->n; i++) {
		const struct weir_span *v = &spans[k->slots[i]];
		if (v->p == NULL)
			continue;
		if (n)
			m[n++] = ',';
		size_t nl = strlen(k->names[i]);
		memcpy(m + n, k->names[i], nl);
		n += nl;
		m[n++] = ':';
		memcpy(m + n, v->p, v->n);
		n += v->n;
	}
	m[n] = '\0';
	*len = n;
	return m;
}
