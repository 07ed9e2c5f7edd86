/* Events waiting for the watermark: the parts off the hot path (pending.h). */
#include "pending.h"

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
