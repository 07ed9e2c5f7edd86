/*
 * keys.c: group keys from --by fields (weir-window, weir-agg).
 */
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "keys.h"

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
