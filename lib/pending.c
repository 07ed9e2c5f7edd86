/* Events waiting for the watermark: the parts off the hot path (pending.h). */
#include "pending.h"

#include "fields.h"
#include "io.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>

int
weir_pendings_init(struct weir_pendings *ps, int64_t span)
{
	ps->first = malloc(WEIR_WHEEL_SIZE * sizeof *ps->first);
	ps->last = malloc(WEIR_WHEEL_SIZE * sizeof *ps->last);
	if (ps->first == NULL || ps->last == NULL)
		return -1;
	for (size_t i = 0; i < WEIR_WHEEL_SIZE; i++)
		ps->first[i] = ps->last[i] = WEIR_NO_SLOT;
	ps->shift = 0;
	while (ps->shift < 51 && ((uint64_t)WEIR_WHEEL_SIZE << ps->shift) < (uint64_t)span)
		ps->shift++;
	return 0;
}

int
weir_pendings_grow(struct weir_pendings *ps)
{
	size_t cap = ps->cap ? 2 * ps->cap : 1024;
	if (cap > UINT32_MAX)
		return -1;
	struct weir_pending *slots = realloc(ps->slots, cap * sizeof *slots);
	if (slots == NULL)
		return -1;
	ps->slots = slots;
	uint32_t *link = realloc(ps->link, cap * sizeof *link);
	if (link == NULL)
		return -1;
	ps->link = link;
	uint32_t *free_slots = realloc(ps->free, cap * sizeof *free_slots);
	if (free_slots == NULL)
		return -1;
	ps->free = free_slots;
	for (size_t i = cap; i-- > ps->cap;)
		ps->free[ps->nfree++] = (uint32_t)i;
	ps->cap = cap;
	return 0;
}

int
weir_pendings_each(const struct weir_pendings *ps,
    int (*f)(void *, const struct weir_pending *), void *arg)
{
	int rc = 0;
	for (size_t i = 0; i < ps->heap.n; i++)
		rc |= f(arg, &ps->slots[ps->heap.items[i].slot]);
	for (size_t i = 0; ps->nwheel > 0 && i < WEIR_WHEEL_SIZE; i++)
		for (uint32_t q = ps->first[i]; q != WEIR_NO_SLOT; q = ps->link[q])
			rc |= f(arg, &ps->slots[q]);
	return rc;
}

size_t
weir_pendings_bytes(const struct weir_pendings *ps)
{
	return ps->heap.cap * sizeof *ps->heap.items + ps->cap * (sizeof *ps->slots +
	    sizeof *ps->link + sizeof *ps->free) +
	    (ps->first ? 2 * WEIR_WHEEL_SIZE * sizeof(uint32_t) : 0);
}

void
weir_pendings_free(struct weir_pendings *ps)
{
	weir_pending_refs_free(&ps->heap);
	free(ps->slots);
	free(ps->link);
	free(ps->free);
	free(ps->first);
	free(ps->last);
	memset(ps, 0, sizeof *ps);
}

struct save_arg {
	struct weir_buf *b;
	void (*key_bytes)(const void *key, const char **bytes, size_t *len);
};

static int
save_one(void *arg, const struct weir_pending *p)
{
	const struct save_arg *sa = arg;
	const char *bytes = NULL;
	size_t len = 0;
	if (p->key)
		sa->key_bytes(p->key, &bytes, &len);
	return weir_put_i64(sa->b, p->t) | weir_put_u64(sa->b, p->seq) |
	    weir_put_u64(sa->b, p->key != NULL) | (p->key ? weir_put_bytes(sa->b, bytes, len) : 0) |
	    weir_put_bytes(sa->b, p->ev.line, p->ev.len);
}

int
weir_pendings_save(const struct weir_pendings *ps, struct weir_buf *b,
    void (*key_bytes)(const void *key, const char **bytes, size_t *len))
{
	struct save_arg sa = {b, key_bytes};
	return weir_put_u64(b, weir_pendings_count(ps)) | weir_pendings_each(ps, save_one, &sa);
}

int
weir_pendings_restore(struct weir_pendings *ps, struct weir_get *g, struct weir_store *store,
    void *(*key_of)(void *arg, const char *bytes, size_t len), void *arg)
{
	uint64_t n = weir_get_count(g, 32);
	for (uint64_t i = 0; i < n && !g->bad; i++) {
		int64_t t = weir_get_i64(g);
		uint64_t seq = weir_get_u64(g);
		void *key = NULL;
		size_t len;
		if (weir_get_u64(g)) {
			const char *bytes = weir_get_bytes(g, &len);
			if (bytes == NULL || (key = key_of(arg, bytes, len)) == NULL) {
				g->bad = true;
				break;
			}
		}
		const char *line = weir_get_bytes(g, &len);
		if (g->bad)
			break;
		if (weir_pendings_hold(ps, store, line, len, t, seq, key, weir_line_is_clean(line, len),
		    0) < 0)
			return -1;
	}
	return 0;
}
